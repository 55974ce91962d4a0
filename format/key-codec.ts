/**
 * Order-preserving key encoding: byte strings whose unsigned lexicographic
 * (memcmp) order equals SQLite's order of the value tuples they encode.
 * These bytes become engine keys for index entries and rowid-table rows.
 * The layout never changes once written (it is part of the file format).
 *
 * One column (ASC) is a tag byte followed by a payload:
 *
 *   NULL     0x05
 *   number   0x15  f[8] d[2]      INTEGER and REAL by exact value
 *   TEXT     0x25  esc(utf8(collate(s))) 0x00 0x01
 *   BLOB     0x35  esc(bytes)            0x00 0x01
 *
 * - number: let f be the double nearest to the value (the value itself for a
 *   REAL; -0.0 is written as +0.0), stored as its IEEE-754 bits big-endian
 *   with the sign bit flipped (negative: all bits flipped); d = value − f as
 *   a u16 big-endian biased by 0x8000 (|d| ≤ 1024 for int64; 0 for REALs and
 *   for integers a double holds exactly). Rounding to nearest is monotonic,
 *   so (f, d) order is numeric order and 1 and 1.0 encode identically.
 * - esc(): every 0x00 byte is written 0x00 0xFF; the terminator 0x00 0x01
 *   sorts below any continuation, so a string sorts before its extensions.
 * - collate(): BINARY keeps the text; NOCASE folds A-Z to a-z; RTRIM drops
 *   trailing spaces. utf8() is `textToBytes` (code-point order).
 *
 * A DESC column is the same bytes with every bit inverted. Each column's
 * encoding is prefix-free, so the key of a tuple is the concatenation of its
 * columns and the key of the first k columns is a byte prefix of the key of
 * all columns: `prefixSuccessor` turns such a prefix into an exclusive upper
 * bound.
 *
 * Rowid keys (`encodeRowidKey`) are 8 bytes: the signed 64-bit rowid
 * big-endian with the sign bit flipped.
 */
import { HeliosError, corruption } from './errors.ts';
import { type Collation, type SqlValue, MAX_INT64, MIN_INT64, RealBox, bytesToText, makeInteger, makeReal } from './sql-value.ts';

export const KEY_TAG_NULL = 0x05;
export const KEY_TAG_NUMBER = 0x15;
export const KEY_TAG_TEXT = 0x25;
export const KEY_TAG_BLOB = 0x35;

export interface KeyColumn {
  /** Descending order for this column (default ascending). */
  readonly desc?: boolean;
  /** How TEXT values compare (default BINARY). */
  readonly collation?: Collation;
}

const NUMBER_BYTES = 11;
const f64 = new Float64Array(1);
const u8 = new Uint8Array(f64.buffer);
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Growable output buffer for one key; one module-level instance is reused (calls never nest). */
class KeyBuffer {
  buf = new Uint8Array(256);
  len = 0;
  reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  /** A new array holding the bytes written; a buffer grown past 64 KiB is not kept. */
  finish(): Uint8Array {
    const out = this.buf.slice(0, this.len);
    if (this.buf.length > 65536) this.buf = new Uint8Array(256);
    return out;
  }
}

const scratch = new KeyBuffer();

/**
 * Encodes `values` (one per key column) into a new array. `columns[i]`
 * gives the direction and collation of column i (missing → ASC BINARY).
 * When `rowid` is given its rowid key is appended (index entries).
 */
export function encodeKey(values: readonly SqlValue[], columns?: readonly (KeyColumn | undefined)[], rowid?: number | bigint): Uint8Array {
  const out = scratch;
  out.len = 0;
  writeColumns(out, values, columns);
  if (rowid !== undefined) {
    out.reserve(8);
    writeRowid(out.buf, out.len, rowid);
    out.len += 8;
  }
  return out.finish();
}

/**
 * u32be(prefixId) ‖ encodeKey(values, columns) ‖ `tail` zero bytes, as one
 * new array (the caller fills the tail, e.g. with a rowid), so a prefixed key
 * costs one allocation instead of an encode and a copy.
 */
export function encodePrefixedKey(prefixId: number, values: readonly SqlValue[], columns: readonly (KeyColumn | undefined)[] | undefined, tail: number): Uint8Array {
  const out = scratch;
  out.len = 0;
  out.reserve(4);
  const b = out.buf;
  b[0] = prefixId >>> 24;
  b[1] = (prefixId >>> 16) & 0xff;
  b[2] = (prefixId >>> 8) & 0xff;
  b[3] = prefixId & 0xff;
  out.len = 4;
  writeColumns(out, values, columns);
  out.reserve(tail);
  out.buf.fill(0, out.len, out.len + tail);
  out.len += tail;
  return out.finish();
}

function writeColumns(out: KeyBuffer, values: readonly SqlValue[], columns: readonly (KeyColumn | undefined)[] | undefined): void {
  for (let i = 0; i < values.length; i++) {
    const col = columns?.[i];
    const start = out.len;
    writeValue(out, values[i]!, col?.collation ?? 'BINARY');
    if (col?.desc === true) {
      const b = out.buf;
      for (let j = start; j < out.len; j++) b[j] = ~b[j]! & 0xff;
    }
  }
}

function writeValue(out: KeyBuffer, v: SqlValue, collation: Collation): void {
  if (v === null) {
    out.reserve(1);
    out.buf[out.len++] = KEY_TAG_NULL;
    return;
  }
  switch (typeof v) {
    case 'number':
      if (v !== v) {
        out.reserve(1);
        out.buf[out.len++] = KEY_TAG_NULL; // NaN is NULL in SQL
        return;
      }
      writeNumber(out, v, 0);
      return;
    case 'bigint': {
      if (v > MAX_INT64 || v < MIN_INT64) throw new HeliosError('INTERNAL', 'integer outside the 64-bit range');
      const f = Number(v);
      // f is within 2^63 (Number() rounds to nearest); the delta fits ±1024.
      const d = Number(v - BigInt(f));
      writeNumber(out, f, d);
      return;
    }
    case 'string':
      writeTextKey(out, v, collation);
      return;
    default:
      if (v instanceof RealBox) writeNumber(out, v.value, 0);
      else writeEscaped(out, KEY_TAG_BLOB, v);
  }
}

function writeNumber(out: KeyBuffer, f: number, delta: number): void {
  out.reserve(NUMBER_BYTES);
  const b = out.buf;
  let o = out.len;
  b[o++] = KEY_TAG_NUMBER;
  f64[0] = f === 0 ? 0 : f;
  const neg = f < 0;
  for (let i = 0; i < 8; i++) {
    const x = u8[LITTLE ? 7 - i : i]!;
    b[o++] = neg ? ~x & 0xff : i === 0 ? x ^ 0x80 : x;
  }
  const d = delta + 0x8000;
  b[o++] = d >>> 8;
  b[o++] = d & 0xff;
  out.len = o;
}

function writeEscaped(out: KeyBuffer, tag: number, bytes: Uint8Array): void {
  let zeros = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0) zeros++;
  out.reserve(bytes.length + zeros + 3);
  const b = out.buf;
  let o = out.len;
  b[o++] = tag;
  if (zeros === 0) {
    b.set(bytes, o);
    o += bytes.length;
  } else {
    for (let i = 0; i < bytes.length; i++) {
      const x = bytes[i]!;
      b[o++] = x;
      if (x === 0) b[o++] = 0xff;
    }
  }
  b[o++] = 0;
  b[o++] = 1;
  out.len = o;
}

/**
 * TEXT column: tag, the collated UTF-8 bytes (`textToBytes`) with 0x00
 * escaped as 0x00 0xFF, then 0x00 0x01, written straight into `out`.
 */
function writeTextKey(out: KeyBuffer, s: string, collation: Collation): void {
  let n = s.length;
  if (collation === 'RTRIM') while (n > 0 && s.charCodeAt(n - 1) === 32) n--;
  const fold = collation === 'NOCASE';
  out.reserve(3 * n + 3);
  const b = out.buf;
  let o = out.len;
  b[o++] = KEY_TAG_TEXT;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      if (c === 0) {
        b[o++] = 0;
        b[o++] = 0xff;
      } else b[o++] = fold && c >= 65 && c <= 90 ? c + 32 : c;
    } else if (c < 0x800) {
      b[o++] = 0xc0 | (c >> 6);
      b[o++] = 0x80 | (c & 63);
    } else if (c < 0xd800 || c > 0xdfff) {
      b[o++] = 0xe0 | (c >> 12);
      b[o++] = 0x80 | ((c >> 6) & 63);
      b[o++] = 0x80 | (c & 63);
    } else {
      // A surrogate pair is one 4-byte sequence; a lone surrogate its own 3 bytes.
      const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
        b[o++] = 0xf0 | (c >> 18);
        b[o++] = 0x80 | ((c >> 12) & 63);
        b[o++] = 0x80 | ((c >> 6) & 63);
        b[o++] = 0x80 | (c & 63);
      } else {
        b[o++] = 0xe0 | (c >> 12);
        b[o++] = 0x80 | ((c >> 6) & 63);
        b[o++] = 0x80 | (c & 63);
      }
    }
  }
  b[o++] = 0;
  b[o++] = 1;
  out.len = o;
}

/**
 * Decodes the first `columns.length` (or `count`) values of a key written by
 * `encodeKey`, starting at `offset`. Numbers come back as INTEGER when the
 * value is integral and fits int64, else REAL (the key does not keep the
 * storage class); TEXT comes back exactly for BINARY columns and in its
 * collated form (folded / trimmed) otherwise. Returns the values and the
 * offset after them (a rowid may follow). Malformed bytes → CORRUPTION.
 */
export function decodeKey(
  bytes: Uint8Array,
  count: number,
  columns?: readonly (KeyColumn | undefined)[],
  offset = 0,
  file = 'key',
): { values: SqlValue[]; offset: number } {
  const values: SqlValue[] = [];
  let o = offset;
  for (let i = 0; i < count; i++) {
    const desc = columns?.[i]?.desc === true;
    const inv = desc ? 0xff : 0;
    if (o >= bytes.length) corruption(file, o, 'key ends before its last column');
    const tag = bytes[o]! ^ inv;
    o++;
    if (tag === KEY_TAG_NULL) values.push(null);
    else if (tag === KEY_TAG_NUMBER) {
      if (o + 10 > bytes.length) corruption(file, o, 'truncated number in key');
      const neg = ((bytes[o]! ^ inv) & 0x80) === 0;
      for (let j = 0; j < 8; j++) {
        const x = bytes[o + j]! ^ inv;
        u8[LITTLE ? 7 - j : j] = neg ? ~x & 0xff : j === 0 ? x ^ 0x80 : x;
      }
      const f = f64[0]!;
      const d = (((bytes[o + 8]! ^ inv) << 8) | (bytes[o + 9]! ^ inv)) - 0x8000;
      o += 10;
      if (f !== f || (d !== 0 && (!Number.isInteger(f) || Math.abs(d) > 1024))) corruption(file, o - 10, 'invalid number in key');
      if (Number.isInteger(f) && f >= -9223372036854775808 && f <= 9223372036854775808) {
        const exact = BigInt(f) + BigInt(d);
        if (exact >= MIN_INT64 && exact <= MAX_INT64) values.push(makeInteger(exact));
        else if (d === 0) values.push(makeReal(f));
        else corruption(file, o - 10, 'invalid number in key');
      } else values.push(makeReal(f));
    } else if (tag === KEY_TAG_TEXT || tag === KEY_TAG_BLOB) {
      const raw: number[] = [];
      for (;;) {
        if (o + 1 >= bytes.length) corruption(file, o, 'unterminated string in key');
        const x = bytes[o]! ^ inv;
        if (x !== 0) {
          raw.push(x);
          o++;
          continue;
        }
        const y = bytes[o + 1]! ^ inv;
        o += 2;
        if (y === 0xff) raw.push(0);
        else if (y === 1) break;
        else corruption(file, o - 2, 'invalid escape in key');
      }
      const arr = Uint8Array.from(raw);
      if (tag === KEY_TAG_BLOB) values.push(arr);
      else {
        const s = bytesToText(arr, true);
        if (s === null) corruption(file, offset, 'invalid UTF-8 in key');
        values.push(s);
      }
    } else corruption(file, o - 1, `unknown key tag 0x${tag.toString(16)}`);
  }
  return { values, offset: o };
}

function writeRowid(b: Uint8Array, o: number, rowid: number | bigint): void {
  if (typeof rowid === 'number') {
    if (!Number.isSafeInteger(rowid)) throw new HeliosError('INTERNAL', `rowid is not an integer: ${rowid}`);
    // Split into high and low 32-bit halves of the two's complement value.
    const hi = Math.floor(rowid / 4294967296);
    const lo = rowid - hi * 4294967296;
    const h = (hi ^ 0x80000000) >>> 0;
    b[o] = h >>> 24;
    b[o + 1] = (h >>> 16) & 0xff;
    b[o + 2] = (h >>> 8) & 0xff;
    b[o + 3] = h & 0xff;
    b[o + 4] = lo >>> 24;
    b[o + 5] = (lo >>> 16) & 0xff;
    b[o + 6] = (lo >>> 8) & 0xff;
    b[o + 7] = lo & 0xff;
    return;
  }
  if (rowid > MAX_INT64 || rowid < MIN_INT64) throw new HeliosError('INTERNAL', 'rowid outside the 64-bit range');
  let u = BigInt.asUintN(64, rowid) ^ 0x8000000000000000n;
  for (let i = 7; i >= 0; i--) {
    b[o + i] = Number(u & 0xffn);
    u >>= 8n;
  }
}

/** The 8-byte order-preserving key of a signed 64-bit rowid (a new array). */
export function encodeRowidKey(rowid: number | bigint): Uint8Array {
  const out = new Uint8Array(8);
  writeRowid(out, 0, rowid);
  return out;
}

/**
 * The rowid stored in the 8 bytes at `offset` (a number when it is a safe
 * integer, else a bigint). Fewer than 8 bytes → CORRUPTION.
 */
export function decodeRowidKey(bytes: Uint8Array, offset = 0, file = 'key'): number | bigint {
  if (offset < 0 || offset + 8 > bytes.length) corruption(file, offset, 'truncated rowid key');
  const h = (((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) ^ 0x80000000) | 0;
  const lo = ((bytes[offset + 4]! << 24) | (bytes[offset + 5]! << 16) | (bytes[offset + 6]! << 8) | bytes[offset + 7]!) >>> 0;
  if (h >= -2097152 && h < 2097152) {
    const v = h * 4294967296 + lo;
    if (v !== -9007199254740992) return v;
  }
  return makeInteger((BigInt(h) << 32n) | BigInt(lo));
}

/**
 * The smallest byte string greater than every string that starts with
 * `prefix` (an exclusive upper bound for a prefix scan), or null when there
 * is none (the prefix is empty or all 0xFF). Returns a new array.
 */
export function prefixSuccessor(prefix: Uint8Array): Uint8Array | null {
  let n = prefix.length;
  while (n > 0 && prefix[n - 1] === 0xff) n--;
  if (n === 0) return null;
  const out = prefix.slice(0, n);
  out[n - 1]!++;
  return out;
}
