import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toHex, fromHex } from './bytes.ts';
import { RealBox, type SqlValue } from './sql-value.ts';
import { decodeColumn, decodeRow, encodeRow, rowColumnCount } from './row-codec.ts';
import { isHeliosError } from './errors.ts';

test('byte-exact layout: count, serial types, payloads (the format never changes)', () => {
  assert.is(toHex(encodeRow([null, 0, 1, -1, 300, 'hi', new Uint8Array([7])])), '07' + '0008090102110e' + 'ff' + '012c' + '6869' + '07');
  assert.is(toHex(encodeRow([new RealBox(1)])), '01073ff0000000000000');
  assert.is(toHex(encodeRow([])), '00');
});

test('integer widths and extremes round-trip', () => {
  const vals: SqlValue[] = [127, -128, 128, 32767, -32769, 8388607, -8388609, 2147483647, -2147483649, 140737488355327, -140737488355329,
    9007199254740991, -9007199254740991, 2n ** 53n, -(2n ** 53n), 2n ** 63n - 1n, -(2n ** 63n)];
  assert.equal(decodeRow(encodeRow(vals)), vals);
});

test('REAL edge values keep their class and sign', () => {
  const back = decodeRow(encodeRow([new RealBox(-0), new RealBox(3e20), 1.5, Infinity, -Infinity]));
  assert.ok(back[0] instanceof RealBox && Object.is(back[0].value, -0));
  assert.ok(back[1] instanceof RealBox && back[1].value === 3e20);
  assert.equal(back.slice(2), [1.5, Infinity, -Infinity]);
});

test('empty and non-ASCII strings, empty blobs, lone surrogates round-trip', () => {
  const vals: SqlValue[] = ['', 'héllo 😀', '\ud800x', new Uint8Array(0), 'x'.repeat(1000)];
  assert.equal(decodeRow(encodeRow(vals)), vals);
});

test('decodeColumn reads one column and returns undefined past the stored count', () => {
  const row = encodeRow([1, 'two', null]);
  assert.is(decodeColumn(row, 1), 'two');
  assert.is(decodeColumn(row, 2), null);
  assert.is(decodeColumn(row, 3), undefined);
  assert.is(rowColumnCount(row), 3);
});

test('corrupt rows throw CORRUPTION: truncation, extra bytes, reserved types, bad UTF-8, NaN', () => {
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

test.run();
