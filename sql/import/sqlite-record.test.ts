import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HeliosError } from '../../format/errors.ts';
import { RealBox } from '../../format/sql-value.ts';
import { asSigned, decodeRecord, decodeText, readVarint, type Varint } from './sqlite-record.ts';

const v: Varint = { value: 0, end: 0 };
const code = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return e instanceof HeliosError ? e.code : `not a HeliosError: ${String(e)}`;
  }
  return 'no error';
};

test('varints of 1 to 9 bytes decode as SQLite writes them, the 9th byte giving all 8 bits', () => {
  const cases: [number[], number | bigint][] = [
    [[0x00], 0],
    [[0x7f], 127],
    [[0x81, 0x00], 128],
    [[0xff, 0x7f], 16383],
    [[0x81, 0x80, 0x00], 16384],
    [[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], 2n ** 56n - 1n],
    [[0x8f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], 2 ** 53 - 1],
    [[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 2n ** 64n - 1n],
    [[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], 1],
  ];
  for (const [bytes, want] of cases) {
    readVarint(new Uint8Array(bytes), 0, bytes.length, 'f', v);
    assert.equal(v.value, want, bytes.join(','));
    assert.is(v.end, bytes.length);
  }
  assert.is(asSigned(2n ** 64n - 1n), -1);
  assert.is(asSigned(2n ** 63n), -(2n ** 63n));
});

test('a varint cut short by its limit is IMPORT_FORMAT', () => {
  assert.is(code(() => readVarint(new Uint8Array([0x81, 0x81]), 0, 2, 'f', v)), 'IMPORT_FORMAT');
  assert.is(code(() => readVarint(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 0, 8, 'f', v)), 'IMPORT_FORMAT');
});

test('every serial type decodes: NULL, the six integer widths, float64, 0 and 1, BLOB and TEXT', () => {
  // header: size 12, types 0,1,2,3,4,5,6,7,8,9,14 (blob 1),15 (text 1)
  const header = [13, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 14, 15];
  const body = [0xff, 0x80, 0x00, 0x7f, 0xff, 0xff, 0x80, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0xab, 0x41];
  const rec = decodeRecord(new Uint8Array([...header, ...body]), 'utf-8', 'f');
  assert.equal(rec, [null, -1, -32768, 8388607, -2147483648, -2, -(2n ** 63n), new RealBox(1), 0, 1, new Uint8Array([0xab]), 'A']);
});

test('reserved serial types, bodies past the end and oversized headers are IMPORT_FORMAT', () => {
  assert.is(code(() => decodeRecord(new Uint8Array([2, 10]), 'utf-8', 'f')), 'IMPORT_FORMAT');
  assert.is(code(() => decodeRecord(new Uint8Array([2, 11]), 'utf-8', 'f')), 'IMPORT_FORMAT');
  assert.is(code(() => decodeRecord(new Uint8Array([2, 6, 1, 2]), 'utf-8', 'f')), 'IMPORT_FORMAT');
  assert.is(code(() => decodeRecord(new Uint8Array([9, 1]), 'utf-8', 'f')), 'IMPORT_FORMAT');
  assert.is(code(() => decodeRecord(new Uint8Array([0x87, 0xff, 0xff, 0xff, 0x7f]), 'utf-8', 'f')), 'IMPORT_FORMAT');
  assert.is(code(() => decodeRecord(new Uint8Array([4, 1, 1, 1, 0, 0, 0]), 'utf-8', 'f', 2)), 'IMPORT_FORMAT');
});

test('UTF-16 text in both byte orders decodes, surrogate pairs included', () => {
  const s = 'aé€𝄞';
  const le = new Uint8Array(s.length * 2);
  const be = new Uint8Array(s.length * 2);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    le[2 * i] = c & 255;
    le[2 * i + 1] = c >> 8;
    be[2 * i] = c >> 8;
    be[2 * i + 1] = c & 255;
  }
  assert.is(decodeText(le, 'utf-16le'), s);
  assert.is(decodeText(be, 'utf-16be'), s);
  assert.is(decodeText(new Uint8Array(20000).fill(0x41), 'utf-16le').length, 10000);
});

test.run();
