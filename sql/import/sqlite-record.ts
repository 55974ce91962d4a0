/**
 * SQLite's varint and record format (fileformat2 §1.6 and §2.1), decoding
 * into our SqlValue (format/sql-value.ts). Trusts nothing: every length is
 * checked against the bytes present, and a bad byte is IMPORT_FORMAT naming
 * the file and what was being read.
 *
 * Record: header-size varint (counting itself), one serial-type varint per
 * column, then the bodies in order.
 *
 * | serial type | body                                       |
 * |-------------|--------------------------------------------|
 * | 0           | NULL                                       |
 * | 1..6        | big-endian two's complement 1,2,3,4,6,8 B  |
 * | 7           | IEEE 754 float64 big-endian                |
 * | 8, 9        | the integers 0 and 1 (no body)             |
 * | 10, 11      | reserved: IMPORT_FORMAT                    |
 * | N ≥ 12 even | BLOB of (N-12)/2 bytes                     |
 * | N ≥ 13 odd  | TEXT of (N-13)/2 bytes in the file's encoding |
 */
import { HeliosError } from '../../format/errors.ts';
import { makeReal, type SqlValue } from '../../format/sql-value.ts';

/** The database text encoding (header offset 56). */
export type TextEncoding = 'utf-8' | 'utf-16le' | 'utf-16be';

export function importError(file: string, what: string): HeliosError {
  return new HeliosError('IMPORT_FORMAT', `${file}: ${what}`, { file });
}

/** A varint read: its value (a number when it is a safe integer, else a bigint, always as unsigned 64-bit) and where it ends. */
export interface Varint {
  value: number | bigint;
  end: number;
}

/**
 * Reads the varint at `pos` of `b` (at most 9 bytes; the 9th contributes all
 * 8 bits). The value is unsigned; `asSigned` turns it into a rowid. Reading
 * past `limit` is IMPORT_FORMAT.
 */
export function readVarint(b: Uint8Array, pos: number, limit: number, file: string, out: Varint): void {
  let v = 0;
  for (let i = 0; i < 8; i++) {
    if (pos + i >= limit) throw importError(file, 'a varint runs past the end of its cell');
    const c = b[pos + i]!;
    if (i < 7) {
      v = v * 128 + (c & 0x7f);
      if (c < 0x80) {
        out.value = v;
        out.end = pos + i + 1;
        return;
      }
    } else {
      // 8 bytes read: 56 bits may not fit a safe integer.
      let big = BigInt(v) * 128n + BigInt(c & 0x7f);
      if (c < 0x80) {
        out.value = big <= 9007199254740991n ? Number(big) : big;
        out.end = pos + 8;
        return;
      }
      if (pos + 8 >= limit) throw importError(file, 'a varint runs past the end of its cell');
      big = (big << 8n) | BigInt(b[pos + 8]!);
      out.value = big <= 9007199254740991n ? Number(big) : big;
      out.end = pos + 9;
      return;
    }
  }
}

/** An unsigned 64-bit varint value as a signed rowid (number when safe). */
export function asSigned(v: number | bigint): number | bigint {
  if (typeof v === 'number') return v;
  const s = BigInt.asIntN(64, v);
  return s >= -9007199254740991n && s <= 9007199254740991n ? Number(s) : s;
}

const UTF8 = new TextDecoder('utf-8');

/** Text bytes of the file's encoding as a string (invalid UTF-8 becomes U+FFFD, as SQLite's own conversion does). */
export function decodeText(b: Uint8Array, enc: TextEncoding): string {
  if (enc === 'utf-8') return UTF8.decode(b);
  const n = b.length >> 1;
  const le = enc === 'utf-16le';
  let s = '';
  const CHUNK = 4096;
  const units = new Array<number>(Math.min(n, CHUNK));
  for (let i = 0; i < n; ) {
    const m = Math.min(CHUNK, n - i);
    units.length = m;
    for (let j = 0; j < m; j++, i++) units[j] = le ? b[2 * i]! | (b[2 * i + 1]! << 8) : (b[2 * i]! << 8) | b[2 * i + 1]!;
    s += String.fromCharCode(...units);
  }
  return s;
}

/** Body size of a serial type (IMPORT_FORMAT for the reserved 10 and 11). */
function bodyLength(t: number, file: string): number {
  if (t < 12) {
    switch (t) {
      case 0: case 8: case 9: return 0;
      case 1: return 1;
      case 2: return 2;
      case 3: return 3;
      case 4: return 4;
      case 5: return 6;
      case 6: case 7: return 8;
      default: throw importError(file, `record uses the reserved serial type ${t}`);
    }
  }
  return (t - 12) >> 1;
}

const scratch: Varint = { value: 0, end: 0 };

/**
 * Decodes the record in `b` into one value per column. `maxColumns` bounds
 * the header (a table's column count; SQLite's limit is 32767). The result
 * starts with `lead` NULLs (room for a statement's 1-based parameters and a
 * rowid), then column 0, 1, ...
 */
export function decodeRecord(b: Uint8Array, enc: TextEncoding, file: string, maxColumns = 32767, lead = 0): SqlValue[] {
  const len = b.length;
  readVarint(b, 0, len, file, scratch);
  const headerSize = scratch.value;
  if (typeof headerSize !== 'number' || headerSize < scratch.end || headerSize > len) throw importError(file, `record header size ${headerSize} does not fit the ${len}-byte record`);
  let pos = scratch.end;
  const types: number[] = [];
  while (pos < headerSize) {
    readVarint(b, pos, headerSize, file, scratch);
    const t = scratch.value;
    if (typeof t !== 'number' || t > 0x7fffffff) throw importError(file, 'record serial type is out of range');
    types.push(t);
    if (types.length > maxColumns) throw importError(file, `record has more than ${maxColumns} columns`);
    pos = scratch.end;
  }
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: SqlValue[] = new Array(lead + types.length);
  for (let i = 0; i < lead; i++) out[i] = null;
  let body = headerSize;
  for (let i = 0; i < types.length; i++) {
    const t = types[i]!;
    const n = bodyLength(t, file);
    if (body + n > len) throw importError(file, `record column ${i} runs past the end of the ${len}-byte record`);
    let v: SqlValue;
    switch (t) {
      case 0: v = null; break;
      case 1: v = dv.getInt8(body); break;
      case 2: v = dv.getInt16(body, false); break;
      case 3: v = (dv.getInt8(body) << 16) | dv.getUint16(body + 1, false); break;
      case 4: v = dv.getInt32(body, false); break;
      case 5: v = dv.getInt16(body, false) * 4294967296 + dv.getUint32(body + 2, false); break;
      case 6: {
        const x = dv.getBigInt64(body, false);
        v = x >= -9007199254740991n && x <= 9007199254740991n ? Number(x) : x;
        break;
      }
      case 7: v = makeReal(dv.getFloat64(body, false)); break;
      case 8: v = 0; break;
      case 9: v = 1; break;
      default:
        v = t & 1 ? decodeText(b.subarray(body, body + n), enc) : b.slice(body, body + n);
    }
    out[lead + i] = v;
    body += n;
  }
  return out;
}
