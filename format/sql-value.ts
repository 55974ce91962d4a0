/**
 * The in-memory representation of one SQL value, shared by every part of
 * `sql/` and by the row and key codecs in `format/`.
 *
 * | SQL class | JS representation                                                  |
 * |-----------|--------------------------------------------------------------------|
 * | NULL      | `null`                                                             |
 * | INTEGER   | `number` with Number.isInteger(v) and |v| <= 2^53 - 1, else `bigint` |
 * |           | (a bigint is always within signed 64-bit and never a safe integer)  |
 * | REAL      | a non-integral `number` (1.5, Infinity, -Infinity), or a `RealBox` |
 * |           | when the real value is integral (1.0, -0.0, 3e20)                  |
 * | TEXT      | `string`                                                           |
 * | BLOB      | `Uint8Array`                                                       |
 *
 * NaN is never a value: SQLite turns it into NULL, and so does `makeReal`.
 * Producers must build INTEGERs with `makeInteger` (or keep the invariant by
 * hand) and REALs with `makeReal`, so that the class of a value is decided by
 * its representation alone.
 */

/** A REAL whose value is integral (or -0.0), boxed so it stays distinguishable from INTEGER. */
export class RealBox {
  constructor(readonly value: number) {}
}

export type SqlValue = null | number | bigint | string | Uint8Array | RealBox;

/** The storage class of a value, named as SQLite's typeof() names it. */
export type StorageClass = 'null' | 'integer' | 'real' | 'text' | 'blob';

export const MIN_INT64 = -(2n ** 63n);
export const MAX_INT64 = 2n ** 63n - 1n;

/** A REAL value: NaN → null; integral numbers and -0.0 → RealBox; otherwise the number itself. */
export function makeReal(x: number): SqlValue {
  if (Number.isNaN(x)) return null;
  if (Number.isInteger(x) || Object.is(x, -0)) return new RealBox(x);
  return x;
}

/**
 * An INTEGER value from a bigint or an integral number: a number when it is a
 * safe integer, else a bigint. The caller guarantees the value is within
 * signed 64-bit (see `sql/value.ts` for overflow handling); -0 becomes 0.
 */
export function makeInteger(x: bigint | number): number | bigint {
  if (typeof x === 'number') {
    if (Number.isSafeInteger(x)) return x === 0 ? 0 : x;
    return BigInt(x);
  }
  if (x >= -9007199254740991n && x <= 9007199254740991n) return Number(x);
  return x;
}

export function isInteger(v: SqlValue): v is number | bigint {
  return typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v));
}

export function isReal(v: SqlValue): v is number | RealBox {
  return v instanceof RealBox || (typeof v === 'number' && !Number.isInteger(v));
}

/** INTEGER or REAL. */
export function isNumeric(v: SqlValue): v is number | bigint | RealBox {
  return typeof v === 'number' || typeof v === 'bigint' || v instanceof RealBox;
}

/** The numeric value of a REAL as a plain number. */
export function realValue(v: number | RealBox): number {
  return typeof v === 'number' ? v : v.value;
}

/** The storage class of `v`. */
export function storageClass(v: SqlValue): StorageClass {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'number':
      return Number.isInteger(v) ? 'integer' : 'real';
    case 'bigint':
      return 'integer';
    case 'string':
      return 'text';
    default:
      return v instanceof RealBox ? 'real' : 'blob';
  }
}

/**
 * Whether `v` obeys the representation contract above (a bigint inside the
 * safe range, a RealBox holding a non-integral number, NaN, ... do not).
 * Cheap; used at trust boundaries (parameter binding) and by tests.
 */
export function isCanonicalSqlValue(v: unknown): v is SqlValue {
  if (v === null || typeof v === 'string' || v instanceof Uint8Array) return true;
  if (typeof v === 'number') return !Number.isNaN(v) && !(Number.isInteger(v) && !Number.isSafeInteger(v)) && !Object.is(v, -0);
  if (typeof v === 'bigint') return v >= MIN_INT64 && v <= MAX_INT64 && (v < -9007199254740991n || v > 9007199254740991n);
  if (v instanceof RealBox) return typeof v.value === 'number' && (Number.isInteger(v.value) || Object.is(v.value, -0));
  return false;
}

/**
 * The built-in collating sequences. BINARY compares code points (the order of
 * the UTF-8 bytes); NOCASE folds the 26 ASCII upper-case letters to lower
 * case first (exactly like SQLite: no Unicode folding); RTRIM ignores
 * trailing U+0020 spaces.
 */
export type Collation = 'BINARY' | 'NOCASE' | 'RTRIM';

/**
 * UTF-8 bytes of `s` (a new array). Well-formed strings give standard UTF-8;
 * a lone surrogate is written as its own 3-byte sequence (WTF-8), so every JS
 * string round-trips through `bytesToText` and byte order equals code-point
 * order (the order `compareText` uses).
 */
export function textToBytes(s: string): Uint8Array {
  const n = s.length;
  if (n > 48) {
    let ascii = true;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdfff) {
        ascii = false;
        break;
      }
    }
    if (ascii) return textEncoder.encode(s);
  }
  let size = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) size += 1;
    else if (c < 0x800) size += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && isLowSurrogate(s.charCodeAt(i + 1))) {
      size += 4;
      i++;
    } else size += 3;
  }
  const out = new Uint8Array(size);
  let o = 0;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) out[o++] = c;
    else if (c < 0x800) {
      out[o++] = 0xc0 | (c >> 6);
      out[o++] = 0x80 | (c & 63);
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && isLowSurrogate(s.charCodeAt(i + 1))) {
      c = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(++i) - 0xdc00);
      out[o++] = 0xf0 | (c >> 18);
      out[o++] = 0x80 | ((c >> 12) & 63);
      out[o++] = 0x80 | ((c >> 6) & 63);
      out[o++] = 0x80 | (c & 63);
    } else {
      out[o++] = 0xe0 | (c >> 12);
      out[o++] = 0x80 | ((c >> 6) & 63);
      out[o++] = 0x80 | (c & 63);
    }
  }
  return out;
}

/**
 * Number of bytes `textToBytes(s)` produces (a lone surrogate counts 3).
 */
export function utf8Length(s: string): number {
  const n = s.length;
  let size = n;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) size += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && isLowSurrogate(s.charCodeAt(i + 1))) {
      size += 2; // 4 bytes for 2 code units
      i++;
    } else size += 2;
  }
  return size;
}

/**
 * Writes `textToBytes(s)` into `out` at `offset` (the caller sized it with
 * `utf8Length`); returns the offset after the text.
 */
export function writeText(out: Uint8Array, offset: number, s: string, byteLength: number): number {
  const n = s.length;
  if (byteLength === n) {
    for (let i = 0; i < n; i++) out[offset + i] = s.charCodeAt(i);
    return offset + n;
  }
  if (n > 32) {
    const r = textEncoder.encodeInto(s, out.subarray(offset, offset + byteLength));
    if (r.written === byteLength && r.read === n) {
      // encodeInto wrote U+FFFD (3 bytes) for a lone surrogate; lengths match
      // either way, so re-check that the text was well-formed.
      if ((s as { isWellFormed?: () => boolean }).isWellFormed?.() ?? !/[\ud800-\udfff]/.test(s)) return offset + byteLength;
    }
  }
  const b = textToBytes(s);
  out.set(b, offset);
  return offset + b.length;
}

/**
 * Decodes UTF-8 (plus WTF-8 lone surrogates, as `textToBytes` writes them)
 * from `bytes[start, end)`. `strict`: returns null on any ill-formed sequence
 * (over-long forms, surrogate pairs split into two 3-byte sequences,
 * truncation); otherwise ill-formed sequences become U+FFFD by the WHATWG
 * rule (one per maximal invalid subpart), which is how a BLOB of invalid
 * UTF-8 read as text reaches JavaScript from SQLite too.
 */
export function bytesToText(bytes: Uint8Array, strict: boolean, start = 0, end = bytes.length): string | null {
  if (!strict) return laxDecoder.decode(bytes.subarray(start, end));
  if (end - start > 64) {
    try {
      return fatalDecoder.decode(bytes.subarray(start, end));
    } catch {
      // Falls through to the byte loop, which accepts WTF-8 lone surrogates.
    }
  }
  let s = '';
  let chunk: number[] | null = null;
  let i = start;
  let prevHigh = false;
  while (i < end) {
    const b = bytes[i]!;
    let cp = -1;
    let len = 1;
    if (b < 0x80) {
      cp = b;
    } else if (b >= 0xc2 && b <= 0xdf) {
      if (i + 1 < end && isCont(bytes[i + 1]!)) {
        cp = ((b & 31) << 6) | (bytes[i + 1]! & 63);
        len = 2;
      }
    } else if (b >= 0xe0 && b <= 0xef) {
      if (i + 2 < end && isCont(bytes[i + 1]!) && isCont(bytes[i + 2]!)) {
        const c = ((b & 15) << 12) | ((bytes[i + 1]! & 63) << 6) | (bytes[i + 2]! & 63);
        if (c >= 0x800) {
          cp = c;
          len = 3;
        }
      }
    } else if (b >= 0xf0 && b <= 0xf4) {
      if (i + 3 < end && isCont(bytes[i + 1]!) && isCont(bytes[i + 2]!) && isCont(bytes[i + 3]!)) {
        const c = ((b & 7) << 18) | ((bytes[i + 1]! & 63) << 12) | ((bytes[i + 2]! & 63) << 6) | (bytes[i + 3]! & 63);
        if (c >= 0x10000 && c <= 0x10ffff) {
          cp = c;
          len = 4;
        }
      }
    }
    if (cp < 0) return null;
    if (prevHigh && cp >= 0xdc00 && cp <= 0xdfff) {
      return null; // a pair must be one 4-byte sequence
    }
    prevHigh = cp >= 0xd800 && cp <= 0xdbff;
    chunk ??= [];
    if (cp >= 0x10000) {
      cp -= 0x10000;
      chunk.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 1023));
    } else chunk.push(cp);
    if (chunk.length > 4096) {
      s += String.fromCharCode.apply(null, chunk);
      chunk = null;
    }
    i += len;
  }
  if (chunk !== null) s += String.fromCharCode.apply(null, chunk);
  return s;
}

/**
 * Compares two strings under `collation`: negative, zero or positive.
 * BINARY order is code-point order (a lone surrogate counts as its own code
 * point), which equals the order of the bytes `textToBytes` produces.
 */
export function compareText(a: string, b: string, collation: Collation = 'BINARY'): number {
  if (a === b) return 0;
  let na = a.length;
  let nb = b.length;
  if (collation === 'RTRIM') {
    while (na > 0 && a.charCodeAt(na - 1) === 32) na--;
    while (nb > 0 && b.charCodeAt(nb - 1) === 32) nb--;
  }
  const fold = collation === 'NOCASE';
  const n = na < nb ? na : nb;
  let i = 0;
  let ca = 0;
  let cb = 0;
  for (; i < n; i++) {
    ca = a.charCodeAt(i);
    cb = b.charCodeAt(i);
    if (ca === cb) continue;
    if (fold) {
      if (ca >= 65 && ca <= 90) ca += 32;
      if (cb >= 65 && cb <= 90) cb += 32;
      if (ca === cb) continue;
    }
    break;
  }
  if (i === n) return na - nb;
  if (ca < 0xd800 && cb < 0xd800) return ca - cb;
  // Surrogates: compare whole code points from the start of the one that differs.
  let at = i;
  if (i > 0 && isHighSurrogate(a.charCodeAt(i - 1))) at = i - 1;
  const pa = codePointAt(a, at, na);
  const pb = codePointAt(b, at, nb);
  if (pa !== pb) return pa - pb;
  return codePointAt(a, i, na) - codePointAt(b, i, nb);
}

function codePointAt(s: string, i: number, n: number): number {
  const c = s.charCodeAt(i);
  if (isHighSurrogate(c) && i + 1 < n) {
    const d = s.charCodeAt(i + 1);
    if (isLowSurrogate(d)) return 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
  }
  return c;
}

const isHighSurrogate = (c: number): boolean => c >= 0xd800 && c <= 0xdbff;
const isLowSurrogate = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff;
const isCont = (b: number): boolean => (b & 0xc0) === 0x80;
const textEncoder = new TextEncoder();
const fatalDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const laxDecoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
