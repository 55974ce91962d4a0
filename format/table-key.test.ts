/**
 * format/table-key.ts byte for byte against spec/sql-format.md §4: the
 * system keys, rowid8, row keys and index keys, the worked example's keys,
 * and rowid8 cross-checked with key-codec's encodeRowidKey.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toHex } from './bytes.ts';
import { encodeKey, encodeRowidKey } from './key-codec.ts';
import { isHeliosError } from './errors.ts';
import { seededRandom } from './test-support.ts';
import {
  META_KEY, SCHEMA_HI, SCHEMA_LO, USER_VERSION_KEY, indexKey, objectPrefix, prefixEnd, prefixed, readRowid, readU32, rowKey, rowidBytes,
  rowidOfKey, schemaKey, sequenceKey, writeRowid,
} from './table-key.ts';

test('[FMT-SQLKEY-1] the system keys are object id 0 followed by M, S ‖ id, Q ‖ id and V', () => {
  assert.is(toHex(META_KEY), '000000004d');
  assert.is(toHex(USER_VERSION_KEY), '0000000056');
  assert.is(toHex(schemaKey(1)), '000000005300000001');
  assert.is(toHex(schemaKey(0x01020304)), '000000005301020304');
  assert.is(toHex(sequenceKey(7)), '000000005100000007');
  assert.is(toHex(SCHEMA_LO), '0000000053');
  assert.is(toHex(SCHEMA_HI), '0000000054');
  // Every system key sorts before object 1's keys.
  for (const k of [META_KEY, USER_VERSION_KEY, schemaKey(0xffffffff), sequenceKey(0xffffffff)]) assert.ok(toHex(k) < toHex(objectPrefix(1)));
});

test('[FMT-KEY-10] rowid8 is the two\'s complement with the sign bit flipped, and agrees with encodeRowidKey', () => {
  const cases: [number | bigint, string][] = [
    [-(2n ** 63n), '0000000000000000'],
    [-1, '7fffffffffffffff'],
    [0, '8000000000000000'],
    [1, '8000000000000001'],
    [2n ** 63n - 1n, 'ffffffffffffffff'],
    [2 ** 53 - 1, '801fffffffffffff'],
    [-(2 ** 53 - 1), '7fe0000000000001'],
  ];
  for (const [v, hex] of cases) {
    assert.is(toHex(rowidBytes(v)), hex, String(v));
    assert.is(toHex(encodeRowidKey(v)), hex, String(v));
    assert.is(readRowid(rowidBytes(v), 0), v);
  }
  const r = seededRandom(7);
  for (let i = 0; i < 2000; i++) {
    const v = BigInt.asIntN(64, (BigInt(Math.floor(r() * 2 ** 32)) << 32n) | BigInt(Math.floor(r() * 2 ** 32)));
    const n = v >= -(2n ** 53n) + 1n && v <= 2n ** 53n - 1n ? Number(v) : v;
    assert.is(toHex(rowidBytes(n)), toHex(encodeRowidKey(n)), String(v));
    assert.is(readRowid(rowidBytes(n), 0), n);
  }
  assert.throws(() => readRowid(new Uint8Array(7), 0), (e: unknown) => isHeliosError(e, 'CORRUPTION'));
});

test('[FMT-SQLKEY-4] a row key is u32 tableId ‖ rowid8 (12 bytes), and its rowid reads back', () => {
  assert.is(toHex(rowKey(1, 5)), '000000018000000000000005');
  assert.is(toHex(rowKey(0x10, -1)), '000000107fffffffffffffff');
  assert.is(rowidOfKey(rowKey(3, 2n ** 62n)), 2n ** 62n);
  const b = new Uint8Array(10);
  writeRowid(b, 2, 5);
  assert.is(toHex(b), '00008000000000000005');
  assert.is(readU32(objectPrefix(0xfedcba98), 0), 0xfedcba98);
});

test('[FMT-SQLKEY-6] an index key is u32 indexId ‖ key(values) ‖ rowid8, without the rowid for a UNIQUE entry without NULLs', () => {
  const cols = encodeKey(['Ann', 2.5], [{ collation: 'NOCASE' }, { desc: true }]);
  // The worked example of [FMT-SQLKEY-10].
  assert.is(toHex(indexKey(2, cols, 5)), '0000000225616e6e0001ea3ffbffffffffffff7fff8000000000000005');
  assert.is(toHex(indexKey(2, cols, null)), '0000000225616e6e0001ea3ffbffffffffffff7fff');
  assert.is(toHex(prefixed(2, cols)), toHex(indexKey(2, cols, null)));
});

test('prefixEnd is the first key after every key of the prefix', () => {
  assert.is(toHex(prefixEnd(objectPrefix(1))), '00000002');
  assert.is(toHex(prefixEnd(new Uint8Array([0, 0xff, 0xff]))), '01');
  assert.is(toHex(prefixEnd(new Uint8Array([0xff, 0xff]))), 'ffffffffffffffffff');
});

test.run();
