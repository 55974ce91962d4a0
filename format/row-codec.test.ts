// spec/sql-format.md §2: the row encoding.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toHex, fromHex } from './bytes.ts';
import { RealBox, type SqlValue } from './sql-value.ts';
import { decodeColumn, decodeColumnsInto, decodeRow, encodeRow, rowColumnCount } from './row-codec.ts';
import { isHeliosError } from './errors.ts';

test('[FMT-ROW-1] [FMT-ROW-2] byte-exact layout: count, serial types, payloads (the format never changes)', () => {
  assert.is(toHex(encodeRow([null, 0, 1, -1, 300, 'hi', new Uint8Array([7])])), '07' + '0008090102110e' + 'ff' + '012c' + '6869' + '07');
  assert.is(toHex(encodeRow([new RealBox(1)])), '01073ff0000000000000');
  assert.is(toHex(encodeRow([])), '00');
});

test('[FMT-ROW-1] counts and serial types are LEB128 varints: 200 NULLs, a 60-byte TEXT', () => {
  assert.is(toHex(encodeRow(new Array<SqlValue>(200).fill(null))), 'c801' + '00'.repeat(200));
  const long = 'x'.repeat(60); // serial type 13 + 120 = 133 = 0x85 0x01
  assert.is(toHex(encodeRow([long])), '018501' + '78'.repeat(60));
  assert.equal(decodeRow(encodeRow([long])), [long]);
});

test('[FMT-ROW-2] TEXT is UTF-8 without a terminator, BLOB the raw bytes, each with its length in the serial type', () => {
  assert.is(toHex(encodeRow(['', new Uint8Array(0), 'é', '\ud800', new Uint8Array([0, 0xff])])), '05' + '0d0c1113' + '10' + 'c3a9' + 'eda080' + '00ff');
});

test('[FMT-ROW-3] integers take the smallest serial type; widths and int64 extremes byte-exact', () => {
  const cases: [SqlValue, string][] = [
    [0, '08'], [1, '09'], [2, '0102'], [-1, '01ff'], [127, '017f'], [-128, '0180'], [128, '020080'], [-129, '02ff7f'],
    [32767, '027fff'], [32768, '03008000'], [-32769, '03ff7fff'], [8388607, '037fffff'], [8388608, '0400800000'],
    [-8388609, '04ff7fffff'], [2147483647, '047fffffff'], [2147483648, '05000080000000'], [-2147483649, '05ffff7fffffff'],
    [140737488355327, '057fffffffffff'], [140737488355328, '060000800000000000'], [-140737488355329, '06ffff7fffffffffff'],
    [9007199254740991, '06001fffffffffffff'], [2n ** 63n - 1n, '067fffffffffffffff'], [-(2n ** 63n), '068000000000000000'],
  ];
  for (const [v, hex] of cases) {
    const row = encodeRow([v]);
    assert.is(toHex(row).slice(2), hex, String(v));
    assert.equal(decodeRow(row), [v]);
  }
});

test('[FMT-ROW-3] integer widths and extremes round-trip', () => {
  const vals: SqlValue[] = [127, -128, 128, 32767, -32769, 8388607, -8388609, 2147483647, -2147483649, 140737488355327, -140737488355329,
    9007199254740991, -9007199254740991, 2n ** 53n, -(2n ** 53n), 2n ** 63n - 1n, -(2n ** 63n)];
  assert.equal(decodeRow(encodeRow(vals)), vals);
});

test('[FMT-ROW-4] REAL edge values keep their class and sign', () => {
  const back = decodeRow(encodeRow([new RealBox(-0), new RealBox(3e20), 1.5, Infinity, -Infinity]));
  assert.ok(back[0] instanceof RealBox && Object.is(back[0].value, -0));
  assert.ok(back[1] instanceof RealBox && back[1].value === 3e20);
  assert.equal(back.slice(2), [1.5, Infinity, -Infinity]);
});

test('[FMT-ROW-4] every REAL is serial type 7 with 8 bytes; NaN is written as NULL', () => {
  assert.is(toHex(encodeRow([new RealBox(-0)])), '0107' + '8000000000000000');
  assert.is(toHex(encodeRow([Infinity, -Infinity])), '020707' + '7ff0000000000000' + 'fff0000000000000');
  assert.is(toHex(encodeRow([new RealBox(0)])), '0107' + '0000000000000000', 'REAL 0.0 is not INTEGER 0 (type 8)');
  assert.is(toHex(encodeRow([NaN])), '0100');
  const one = decodeRow(encodeRow([new RealBox(1)]))[0];
  assert.ok(one instanceof RealBox && one.value === 1, 'REAL 1.0 stays REAL');
});

test('[FMT-ROW-2] empty and non-ASCII strings, empty blobs, lone surrogates round-trip', () => {
  const vals: SqlValue[] = ['', 'héllo 😀', '\ud800x', new Uint8Array(0), 'x'.repeat(1000)];
  assert.equal(decodeRow(encodeRow(vals)), vals);
});

test('[FMT-ROW-6] decodeColumn reads one column and returns undefined past the stored count', () => {
  const row = encodeRow([1, 'two', null]);
  assert.is(decodeColumn(row, 1), 'two');
  assert.is(decodeColumn(row, 2), null);
  assert.is(decodeColumn(row, 3), undefined);
  assert.is(rowColumnCount(row), 3);
});

test('[FMT-ROW-6] decodeColumnsInto fills exactly the wanted columns, as decodeRow decodes them, and leaves columns past the stored count alone', () => {
  const pool: SqlValue[] = [null, 0, 1, -7, 300, 70000, 2 ** 40, -(2 ** 52), new RealBox(1.5), 'a', '', 'héllo', 'x'.repeat(200), new Uint8Array([1, 2]), new Uint8Array(0)];
  let seed = 7;
  const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) >>> 8) % n;
  for (let round = 0; round < 300; round++) {
    const width = 1 + rnd(9);
    const vals = Array.from({ length: width }, () => pool[rnd(pool.length)]!);
    const row = encodeRow(vals);
    const want: number[] = [];
    for (let i = 0; i < width + 2; i++) if (rnd(2) === 1) want.push(i);
    const out: SqlValue[] = new Array(width + 3).fill('untouched');
    assert.is(decodeColumnsInto(row, want, out), width);
    const full = decodeRow(row);
    for (let i = 0; i < width + 3; i++) {
      assert.equal(out[i], want.includes(i) && i < width ? full[i] : 'untouched', `round ${round} column ${i}`);
    }
  }
  const bad = encodeRow([1, 'abc']).subarray(0, 4);
  assert.throws(() => decodeColumnsInto(bad, [0], []), (e: unknown) => isHeliosError(e, 'CORRUPTION'));
});

test('[FMT-ROW-5] corrupt rows throw CORRUPTION: truncation, extra bytes, reserved types, bad UTF-8, NaN', () => {
  const good = encodeRow([1, 'abc']);
  const cases = [good.subarray(0, good.length - 1), new Uint8Array([...good, 0]), fromHex('010a')!, fromHex('0113ff')!, fromHex('0107fff8000000000001')!, fromHex('ff')!, fromHex('05')!];
  for (const bad of cases) {
    try {
      decodeRow(bad);
      assert.unreachable(toHex(bad));
    } catch (e) {
      assert.ok(isHeliosError(e, 'CORRUPTION'), `${toHex(bad)}: ${e}`);
    }
  }
});

test('[FMT-ROW-5] more corruption: varints over 8 bytes, empty input, reserved type 11; errors name the file and an offset', () => {
  const cases: [string, string][] = [
    ['', 'empty'],
    ['01' + '80'.repeat(8) + '00', 'serial type varint of 9 bytes'],
    ['0b', 'reserved type 11 as count 11 with no types'],
    ['010b', 'reserved type 11'],
    ['0201', 'header ends inside the types'],
    ['0115c3', 'TEXT of 4 bytes given 1'],
    ['0107' + 'fff0000000000001', 'a NaN REAL'],
  ];
  for (const [hex, what] of cases) {
    try {
      decodeRow(fromHex(hex)!, 'table 7');
      assert.unreachable(what);
    } catch (e) {
      assert.ok(isHeliosError(e, 'CORRUPTION'), `${what}: ${e}`);
      assert.is(e.details.file, 'table 7', what);
      assert.type(e.details.offset, 'number', what);
    }
  }
  try {
    decodeColumn(fromHex('0201')!, 0);
    assert.unreachable('decodeColumn checks the header too');
  } catch (e) {
    assert.ok(isHeliosError(e, 'CORRUPTION'));
  }
});

test('[FMT-ROW-7] the spec example row, byte-exact both ways', () => {
  const hex = '05' + '0013020710' + '416e6e' + '012c' + '4004000000000000' + '00ff';
  const values: SqlValue[] = [null, 'Ann', 300, 2.5, new Uint8Array([0, 0xff])];
  assert.is(toHex(encodeRow(values)), hex);
  assert.is(hex.length / 2, 21);
  assert.equal(decodeRow(fromHex(hex)!), values);
});

test.run();
