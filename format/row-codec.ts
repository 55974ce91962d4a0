/**
 * Row encoding: the bytes of one table row (a tuple of SqlValues), modelled
 * on SQLite's record format. The layout never changes once written:
 *
 *   row     = varint(count) serialType{count} payload{count}
 *   varint  = unsigned LEB128 (format/varint.ts), at most 8 bytes
 *
 *   serialType  payload                      value
 *   0           -                            NULL
 *   1,2,3,4     1,2,3,4 bytes                INTEGER, big-endian two's complement
 *   5           6 bytes                      INTEGER, big-endian two's complement
 *   6           8 bytes                      INTEGER, big-endian two's complement
 *   7           8 bytes                      REAL, IEEE-754 binary64 big-endian
 *   8           -                            INTEGER 0
 *   9           -                            INTEGER 1
 *   10, 11      (reserved: rejected)
 *   N>=12 even  (N-12)/2 bytes               BLOB
 *   N>=13 odd   (N-13)/2 bytes               TEXT, UTF-8 (`textToBytes`)
 *
 * Integers use the smallest width that holds them. REALs always take 8
 * bytes, so -0.0, integral REALs (RealBox) and Infinity round-trip exactly.
 * Decoders check every length and type and throw CORRUPTION naming `file`
 * and the byte offset inside the row; they never return partial rows.
 */
import { HeliosError, corruption } from './errors.ts';
import { type SqlValue, MAX_INT64, MIN_INT64, RealBox, bytesToText, makeInteger, makeReal, textToBytes } from './sql-value.ts';
import { varintLength, writeVarint } from './varint.ts';

const f64 = new Float64Array(1);
const u8 = new Uint8Array(f64.buffer);
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const EMPTY_TEXT_TYPE = 13;
const EMPTY_BLOB_TYPE = 12;

function intSerialType(v: number): number {
  if (v === 0) return 8;
  if (v === 1) return 9;
  if (v >= -128 && v <= 127) return 1;
  if (v >= -32768 && v <= 32767) return 2;
  if (v >= -8388608 && v <= 8388607) return 3;
  if (v >= -2147483648 && v <= 2147483647) return 4;
  if (v >= -140737488355328 && v <= 140737488355327) return 5;
  return 6;
}

const PAYLOAD_BYTES = [0, 1, 2, 3, 4, 6, 8, 8, 0, 0];

function payloadLength(serialType: number): number {
  if (serialType < 12) return PAYLOAD_BYTES[serialType] ?? 0;
  return (serialType - 12 - (serialType % 2)) / 2;
}

/**
 * Encodes one row into a new array. Every value must follow the SqlValue
 * contract; a bigint outside int64 is an INTERNAL error; NaN is stored as NULL.
 */
export function encodeRow(values: readonly SqlValue[]): Uint8Array {
  const n = values.length;
  const types = new Array<number>(n);
  const texts: (Uint8Array | undefined)[] = new Array(n);
  let headerLength = varintLength(n);
  let bodyLength = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    let t: number;
    if (v === null) t = 0;
    else if (typeof v === 'number') {
      if (Number.isInteger(v)) t = Number.isSafeInteger(v) ? intSerialType(v) : 6;
      else t = v !== v ? 0 : 7;
    } else if (typeof v === 'bigint') {
      if (v > MAX_INT64 || v < MIN_INT64) throw new HeliosError('INTERNAL', 'integer outside the 64-bit range');
      t = 6;
    } else if (typeof v === 'string') {
      const b = v.length === 0 ? EMPTY : textToBytes(v);
      texts[i] = b;
      t = EMPTY_TEXT_TYPE + 2 * b.length;
    } else if (v instanceof RealBox) t = 7;
    else t = EMPTY_BLOB_TYPE + 2 * v.length;
    types[i] = t;
    headerLength += t < 128 ? 1 : varintLength(t);
    bodyLength += payloadLength(t);
  }
  const out = new Uint8Array(headerLength + bodyLength);
  let o = writeVarint(out, 0, n);
  for (let i = 0; i < n; i++) {
    const t = types[i]!;
    if (t < 128) out[o++] = t;
    else o = writeVarint(out, o, t);
  }
  for (let i = 0; i < n; i++) {
    const t = types[i]!;
    const v = values[i]!;
    switch (t) {
      case 0:
      case 8:
      case 9:
        break;
      case 6: {
        let u = BigInt.asUintN(64, typeof v === 'bigint' ? v : BigInt(v as number));
        for (let j = 7; j >= 0; j--) {
          out[o + j] = Number(u & 0xffn);
          u >>= 8n;
        }
        o += 8;
        break;
      }
      case 7:
        f64[0] = typeof v === 'number' ? v : (v as RealBox).value;
        for (let j = 0; j < 8; j++) out[o + j] = u8[LITTLE ? 7 - j : j]!;
        o += 8;
        break;
      case 1:
      case 2:
      case 3:
      case 4:
      case 5: {
        const w = PAYLOAD_BYTES[t]!;
        let x = v as number;
        for (let j = w - 1; j >= 0; j--) {
          const byte = ((x % 256) + 256) % 256;
          out[o + j] = byte;
          x = (x - byte) / 256;
        }
        o += w;
        break;
      }
      default: {
        const b = t % 2 === 1 ? texts[i]! : (v as Uint8Array);
        out.set(b, o);
        o += b.length;
      }
    }
  }
  return out;
}

const EMPTY = new Uint8Array(0);

/** Reads the header; returns the serial types and the offset of the first payload byte. */
function readHeader(bytes: Uint8Array, file: string): { types: number[]; body: number } {
  let o = 0;
  const count = readVarintAt(bytes, o, file);
  o = varintEnd;
  if (count > bytes.length) corruption(file, 0, `row claims ${count} columns`);
  const types = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    if (o < bytes.length && bytes[o]! < 128) types[i] = bytes[o++]!;
    else {
      types[i] = readVarintAt(bytes, o, file);
      o = varintEnd;
    }
  }
  return { types, body: o };
}

let varintEnd = 0;

function readVarintAt(bytes: Uint8Array, offset: number, file: string): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 8; i++) {
    const p = offset + i;
    if (p >= bytes.length) corruption(file, offset, 'row header ends inside a varint');
    const b = bytes[p]!;
    value += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) {
      if (!Number.isSafeInteger(value)) break;
      varintEnd = p + 1;
      return value;
    }
    scale *= 128;
  }
  return corruption(file, offset, 'invalid varint in row header');
}

function readValue(bytes: Uint8Array, o: number, t: number, file: string): SqlValue {
  switch (t) {
    case 0:
      return null;
    case 8:
      return 0;
    case 9:
      return 1;
    case 1:
      return (bytes[o]! << 24) >> 24;
    case 2:
      return (((bytes[o]! << 8) | bytes[o + 1]!) << 16) >> 16;
    case 3:
      return (((bytes[o]! << 16) | (bytes[o + 1]! << 8) | bytes[o + 2]!) << 8) >> 8;
    case 4:
      return (bytes[o]! << 24) | (bytes[o + 1]! << 16) | (bytes[o + 2]! << 8) | bytes[o + 3]!;
    case 5: {
      const hi = (((bytes[o]! << 8) | bytes[o + 1]!) << 16) >> 16;
      const lo = ((bytes[o + 2]! << 24) | (bytes[o + 3]! << 16) | (bytes[o + 4]! << 8) | bytes[o + 5]!) >>> 0;
      return hi * 4294967296 + lo;
    }
    case 6: {
      const hi = (bytes[o]! << 24) | (bytes[o + 1]! << 16) | (bytes[o + 2]! << 8) | bytes[o + 3]!;
      const lo = ((bytes[o + 4]! << 24) | (bytes[o + 5]! << 16) | (bytes[o + 6]! << 8) | bytes[o + 7]!) >>> 0;
      if (hi > -2097152 && hi < 2097152) return hi * 4294967296 + lo || 0;
      return makeInteger((BigInt(hi) << 32n) | BigInt(lo));
    }
    case 7: {
      for (let j = 0; j < 8; j++) u8[LITTLE ? 7 - j : j] = bytes[o + j]!;
      const r = f64[0]!;
      if (r !== r) corruption(file, o, 'NaN stored as a REAL');
      return makeReal(r);
    }
    default: {
      if (t < 12) return corruption(file, o, `reserved serial type ${t}`);
      const len = payloadLength(t);
      if (t % 2 === 0) return bytes.slice(o, o + len);
      if (len === 0) return '';
      const s = decodeText(bytes, o, o + len);
      if (s === null) corruption(file, o, 'invalid UTF-8 in TEXT value');
      return s;
    }
  }
}

function decodeText(bytes: Uint8Array, start: number, end: number): string | null {
  if (end - start <= 32) {
    let s = '';
    for (let i = start; i < end; i++) {
      const c = bytes[i]!;
      if (c >= 0x80) return bytesToText(bytes, true, start, end);
      s += String.fromCharCode(c);
    }
    return s;
  }
  return bytesToText(bytes, true, start, end);
}

function checkBody(types: readonly number[], body: number, bytes: Uint8Array, file: string): void {
  let o = body;
  for (let i = 0; i < types.length; i++) {
    const t = types[i]!;
    if (t === 10 || t === 11) corruption(file, o, `reserved serial type ${t}`);
    o += payloadLength(t);
  }
  if (o !== bytes.length) corruption(file, Math.min(o, bytes.length), `row payload is ${bytes.length - body} bytes, header says ${o - body}`);
}

/** Decodes a whole row. Every value is a fresh copy (no aliasing of `bytes`). */
export function decodeRow(bytes: Uint8Array, file = 'row'): SqlValue[] {
  const { types, body } = readHeader(bytes, file);
  checkBody(types, body, bytes, file);
  const out = new Array<SqlValue>(types.length);
  let o = body;
  for (let i = 0; i < types.length; i++) {
    const t = types[i]!;
    out[i] = readValue(bytes, o, t, file);
    o += payloadLength(t);
  }
  return out;
}

/** The number of columns stored in the row (rows written before ALTER TABLE ADD COLUMN have fewer). */
export function rowColumnCount(bytes: Uint8Array, file = 'row'): number {
  const n = readVarintAt(bytes, 0, file);
  if (n > bytes.length) corruption(file, 0, `row claims ${n} columns`);
  return n;
}

/**
 * Decodes column `index` only, or returns undefined when the row stores
 * fewer columns (the caller supplies the column's default). The row's
 * header and total length are still checked.
 */
export function decodeColumn(bytes: Uint8Array, index: number, file = 'row'): SqlValue | undefined {
  const { types, body } = readHeader(bytes, file);
  checkBody(types, body, bytes, file);
  if (index < 0 || index >= types.length) return undefined;
  let o = body;
  for (let i = 0; i < index; i++) o += payloadLength(types[i]!);
  return readValue(bytes, o, types[index]!, file);
}
