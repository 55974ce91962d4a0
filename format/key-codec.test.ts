import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toHex, compareBytes } from './bytes.ts';
import { RealBox } from './sql-value.ts';
import { decodeKey, decodeRowidKey, encodeKey, encodeRowidKey, prefixSuccessor } from './key-codec.ts';
import { isHeliosError } from './errors.ts';

test('byte-exact layout of each value class (the format never changes)', () => {
  assert.is(toHex(encodeKey([null])), '05');
  assert.is(toHex(encodeKey([1])), '15bff00000000000008000');
  assert.is(toHex(encodeKey([-1])), '15400fffffffffffff8000');
  assert.is(toHex(encodeKey([0])), '1580000000000000008000');
  assert.is(toHex(encodeKey(['a\0'])), '256100ff0001');
  assert.is(toHex(encodeKey([new Uint8Array([1, 0])])), '350100ff0001');
  assert.is(toHex(encodeKey([9223372036854775807n])), '15c3e00000000000007fff');
  assert.is(toHex(encodeKey([null], [{ desc: true }])), 'fa');
});

test('INTEGER and REAL of equal value encode identically; -0.0 equals 0', () => {
  assert.equal(encodeKey([1]), encodeKey([new RealBox(1)]));
  assert.equal(encodeKey([0]), encodeKey([new RealBox(-0)]));
  assert.equal(encodeKey([2n ** 60n]), encodeKey([new RealBox(2 ** 60)]));
  assert.ok(compareBytes(encodeKey([2n ** 60n + 1n]), encodeKey([new RealBox(2 ** 60)])) > 0);
  assert.ok(compareBytes(encodeKey([2n ** 60n - 1n]), encodeKey([new RealBox(2 ** 60)])) < 0);
});

test('cross-type order is NULL < numbers < TEXT < BLOB', () => {
  const keys = [null, -Infinity, -5, 0.5, 1e300, Infinity, '', 'a', new Uint8Array(0), new Uint8Array([0])].map((v) => encodeKey([v]));
  for (let i = 1; i < keys.length; i++) assert.ok(compareBytes(keys[i - 1]!, keys[i]!) < 0, `position ${i}`);
});

test('NOCASE folds ASCII only and RTRIM ignores trailing spaces', () => {
  assert.equal(encodeKey(['ABC'], [{ collation: 'NOCASE' }]), encodeKey(['abc'], [{ collation: 'NOCASE' }]));
  assert.not.equal(encodeKey(['É'], [{ collation: 'NOCASE' }]), encodeKey(['é'], [{ collation: 'NOCASE' }]));
  assert.equal(encodeKey(['x  '], [{ collation: 'RTRIM' }]), encodeKey(['x'], [{ collation: 'RTRIM' }]));
  assert.ok(compareBytes(encodeKey(['_'], [{ collation: 'NOCASE' }]), encodeKey(['A'], [{ collation: 'NOCASE' }])) < 0);
});

test('rowid keys: order, extremes and round-trip', () => {
  const ids = [-(2n ** 63n), -(2n ** 53n), -9007199254740991, -1, 0, 1, 4294967296, 9007199254740991, 2n ** 53n, 2n ** 63n - 1n];
  for (let i = 0; i < ids.length; i++) {
    const k = encodeRowidKey(ids[i]!);
    assert.is(decodeRowidKey(k), ids[i]);
    if (i > 0) assert.ok(compareBytes(encodeRowidKey(ids[i - 1]!), k) < 0);
  }
  assert.is(toHex(encodeRowidKey(1)), '8000000000000001');
  assert.is(toHex(encodeRowidKey(-1)), '7fffffffffffffff');
});

test('prefixSuccessor bounds a prefix scan', () => {
  assert.equal(prefixSuccessor(new Uint8Array([1, 0xff, 0xff])), new Uint8Array([2]));
  assert.is(prefixSuccessor(new Uint8Array([0xff])), null);
  assert.is(prefixSuccessor(new Uint8Array(0)), null);
});

test('decodeKey reports truncation and bad tags as CORRUPTION naming the offset', () => {
  const k = encodeKey([1, 'ab']);
  for (const bad of [k.subarray(0, 5), k.subarray(0, k.length - 1), new Uint8Array([0x99])]) {
    try {
      decodeKey(bad, 2);
      assert.unreachable('should throw');
    } catch (e) {
      assert.ok(isHeliosError(e, 'CORRUPTION'), String(e));
      assert.type(e.details.offset, 'number');
    }
  }
});

test.run();
