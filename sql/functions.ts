/**
 * The built-in scalar SQL functions, by lower-case name, with SQLite's
 * semantics (lang_corefunc.html, lang_mathfunc.html, lang_datefunc.html;
 * ported from SQLite 3.53's func.c where the documentation is silent).
 *
 * The executor looks a function up in `scalarFunctions`, checks the
 * argument count against minArgs/maxArgs (`checkArity` gives SQLite's
 * error), evaluates the arguments and calls `fn`. Functions never mutate
 * their arguments; a returned Uint8Array is always a new array.
 * Errors a user can cause are HeliosErrors (SQL_ERROR, TOO_BIG).
 *
 * Aggregates (count, sum, avg, ...) live in sql/aggregates.ts. The
 * connection functions (changes, total_changes, last_insert_rowid) read the
 * optional hooks of the FunctionContext.
 */
import { HeliosError } from '../format/errors.ts';
import { type Collation, type SqlValue, RealBox, bytesToText, makeInteger, makeReal, textToBytes } from '../format/sql-value.ts';
import { type DateContext, dateFunc, datetimeFunc, juliandayFunc, strftimeFunc, timediffFunc, timeFunc, unixepochFunc } from './datetime.ts';
import { formatFloat } from './fp-decode.ts';
import { sqlPrintf } from './printf.ts';
import { jsonFunctions, plain } from './json-functions.ts';
import { applyComparisonAffinity, compareValues, isTruthy, MAX_TEXT_LENGTH, parseNumericText, toInteger, toReal, toText, typeOf } from './value.ts';

/** What a function call may see of its statement and connection. */
export interface FunctionContext extends DateContext {
  /**
   * `byteLength` random bytes for random() and randomblob(); when absent the
   * runtime's crypto.getRandomValues is used (tests inject a seeded source).
   */
  random?(byteLength: number): Uint8Array;
  /** The statement's time, milliseconds since the Unix epoch (UTC); stable within a statement. */
  now(): number;
  /** Collation of the call's arguments, for min(), max() and nullif() (default BINARY). */
  readonly collation?: Collation;
  changes?(): number;
  totalChanges?(): number;
  /** PRAGMA case_sensitive_like: LIKE and like() compare letters exactly (default false: ASCII letters fold). */
  readonly caseSensitiveLike?: boolean;
  lastInsertRowid?(): number | bigint;
}

export interface ScalarFunction {
  readonly name: string;
  readonly minArgs: number;
  /** Infinity for variadic functions. */
  readonly maxArgs: number;
  /** Same arguments → same result (false for random(), 'now', changes() ...). */
  readonly deterministic: boolean;
  readonly fn: (args: readonly SqlValue[], ctx: FunctionContext) => SqlValue;
}

/** The limit on the length of a string or blob (SQLITE_MAX_LENGTH): MAX_TEXT_LENGTH, see there. */
export const MAX_VALUE_LENGTH = MAX_TEXT_LENGTH;

/** Throws SQLite's error when `argc` arguments do not fit `f`. */
export function checkArity(f: ScalarFunction, argc: number): void {
  if (argc < f.minArgs || argc > f.maxArgs) throw new HeliosError('SQL_ERROR', `wrong number of arguments to function ${f.name}()`);
}

function tooBig(): never {
  throw new HeliosError('TOO_BIG', 'string or blob too big');
}

// ---------------------------------------------------------------------------
// Helpers

/** Text of a value up to its first NUL, as SQLite's C-string functions see it. */
function cText(v: SqlValue): string | null {
  const t = toText(v);
  if (t === null) return null;
  const z = t.indexOf('\0');
  return z < 0 ? t : t.slice(0, z);
}

function numberArg(v: SqlValue): number {
  const i = toInteger(v);
  return typeof i === 'bigint' ? (i < 0n ? -Number.MAX_SAFE_INTEGER : Number.MAX_SAFE_INTEGER) : i;
}

function bytesOf(v: SqlValue): Uint8Array {
  if (v === null) return new Uint8Array(0);
  if (v instanceof Uint8Array) return v;
  return textToBytes(toText(v)!);
}

/** Code points of s. */
function codePointsOf(s: string): string[] {
  return Array.from(s);
}

/** The UTF-8 bytes SQLite's sqlite3_value_text sees: a BLOB's own bytes, else the text's. */
function rawBytes(v: SqlValue): Uint8Array {
  return v instanceof Uint8Array ? v : textToBytes(toText(v) ?? '');
}

/** Bytes up to the first NUL (a C string). */
function cBytes(b: Uint8Array): Uint8Array {
  const z = b.indexOf(0);
  return z < 0 ? b : b.subarray(0, z);
}

/** Text from bytes built by a byte-level function (ill-formed UTF-8 → U+FFFD). */
function fromRaw(b: Uint8Array): string {
  return bytesToText(b, false)!;
}

const EMPTY_BYTES = new Uint8Array(0);

const HEX_UPPER = '0123456789ABCDEF';

function hexUpper(b: Uint8Array): string {
  if (2 * b.length > MAX_TEXT_LENGTH) tooBig();
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX_UPPER[b[i]! >> 4]! + HEX_UPPER[b[i]! & 15]!;
  return s;
}

function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

function hexValue(c: number): number {
  return c <= 57 ? c - 48 : (c | 32) - 87;
}

function foldCase(s: string, upper: boolean): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (upper ? c >= 97 && c <= 122 : c >= 65 && c <= 90) out += String.fromCharCode(upper ? c - 32 : c + 32);
    else out += s[i];
  }
  return out;
}

/** sqlite3_value_numeric_type: the value after numeric affinity (text must be entirely numeric). */
function numericValue(v: SqlValue): number | bigint | RealBox | null {
  if (v === null || v instanceof Uint8Array) return null;
  const n = typeof v === 'string' ? applyComparisonAffinity(v, 'NUMERIC') : v;
  return typeof n === 'string' || n === null || n instanceof Uint8Array ? null : n;
}

// ---------------------------------------------------------------------------
// Core functions

function lengthFn([x]: readonly SqlValue[]): SqlValue {
  if (x === null || x === undefined) return null;
  if (x instanceof Uint8Array) return x.length;
  if (typeof x !== 'string') return toText(x)!.length;
  return codePointsOf(cText(x)!).length;
}

function octetLengthFn([x]: readonly SqlValue[]): SqlValue {
  if (x === null || x === undefined) return null;
  return bytesOf(x).length;
}

/**
 * SQLite's substr() index arithmetic on int64 values: returns the 0-based
 * start and the count (both ≥ 0, the count possibly beyond the end).
 * `len` is the length in characters (text; 0 unless p1 < 0) or bytes (blob).
 */
function substrRange(p1: bigint, p2: bigint, len: bigint): [bigint, bigint] {
  if (p1 < 0n) {
    p1 += len;
    if (p1 < 0n) {
      p2 = p2 < 0n ? 0n : p2 + p1;
      p1 = 0n;
    }
  } else if (p1 > 0n) p1--;
  else if (p2 > 0n) p2--;
  if (p2 < 0n) {
    p2 = p2 < -p1 ? p1 : -p2;
    p1 -= p2;
  }
  return [p1, p2];
}

/** substr(X, Y[, Z]): characters of text, bytes of a blob; Y is 1-based, negative counts from the end. */
function substrFn(args: readonly SqlValue[]): SqlValue {
  const x = args[0]!;
  const y = args[1]!;
  if (x === null) return null;
  const isBlob = x instanceof Uint8Array;
  if (isBlob && x.length === 0) return null; // SQLite: an empty blob has no data pointer
  let z: SqlValue = null;
  if (args.length === 3) {
    z = args[2]!;
    if (z === null) return null;
  }
  const i1 = toInteger(y);
  if ((i1 === 0 || i1 === 0n) && y === null) return null;
  const i2 = z === null ? MAX_VALUE_LENGTH : toInteger(z);
  const chars = isBlob ? [] : codePointsOf(cText(x)!);
  const len = isBlob ? (x as Uint8Array).length : chars.length;
  const [b1, b2] = substrRange(BigInt(i1), BigInt(i2), BigInt(isBlob || i1 < 0 ? len : 0));
  const start = b1 > BigInt(len) ? len : Number(b1);
  const count = b2 > BigInt(len) ? len : Number(b2);
  if (!isBlob) {
    if (start >= chars.length || count <= 0) return '';
    return chars.slice(start, start + count).join('');
  }
  if (start >= len) return new Uint8Array(0);
  return (x as Uint8Array).slice(start, start + Math.min(count, len - start));
}

function upperFn([x]: readonly SqlValue[]): SqlValue {
  const t = toText(x ?? null);
  return t === null ? null : foldCase(t, true);
}

function lowerFn([x]: readonly SqlValue[]): SqlValue {
  const t = toText(x ?? null);
  return t === null ? null : foldCase(t, false);
}

/** trim/ltrim/rtrim(X[, Y]): removes any of the characters of Y (default a space) from the chosen ends. */
function trimFn(flags: 1 | 2 | 3): ScalarFunction['fn'] {
  return (args) => {
    const x = args[0]!;
    if (x === null) return null;
    const y = args.length === 2 ? args[1]! : ' ';
    if (y === null) return null;
    if (x instanceof Uint8Array || y instanceof Uint8Array) return trimBytes(rawBytes(x), rawBytes(y), flags);
    let s = toText(x)!;
    const set = codePointsOf(cText(y)!);
    if (set.length === 0) return s;
    if (flags & 1) {
      let i = 0;
      for (;;) {
        const hit = set.find((c) => s.startsWith(c, i));
        if (hit === undefined) break;
        i += hit.length;
      }
      s = s.slice(i);
    }
    if (flags & 2) {
      let end = s.length;
      for (;;) {
        const hit = set.find((c) => end >= c.length && s.startsWith(c, end - c.length));
        if (hit === undefined) break;
        end -= hit.length;
      }
      s = s.slice(0, end);
    }
    return s;
  };
}

/** trim() on UTF-8 bytes, as SQLite does it (used when a BLOB is involved). */
function trimBytes(input: Uint8Array, charset: Uint8Array, flags: 1 | 2 | 3): SqlValue {
  const set: Uint8Array[] = [];
  const cs = cBytes(charset);
  for (let i = 0; i < cs.length; ) {
    const start = i;
    if (cs[i++]! >= 0xc0) while (i < cs.length && (cs[i]! & 0xc0) === 0x80) i++;
    set.push(cs.subarray(start, i));
  }
  let lo = 0;
  let hi = input.length;
  const matchAt = (at: number, ch: Uint8Array): boolean => {
    for (let k = 0; k < ch.length; k++) if (input[at + k] !== ch[k]) return false;
    return true;
  };
  if (set.length > 0) {
    if (flags & 1) {
      for (;;) {
        const ch = set.find((c) => c.length <= hi - lo && matchAt(lo, c));
        if (ch === undefined) break;
        lo += ch.length;
      }
    }
    if (flags & 2) {
      for (;;) {
        const ch = set.find((c) => c.length <= hi - lo && matchAt(hi - c.length, c));
        if (ch === undefined) break;
        hi -= ch.length;
      }
    }
  }
  return fromRaw(input.subarray(lo, hi));
}

function replaceFn([x, y, z]: readonly SqlValue[]): SqlValue {
  if (x === null || x === undefined || y === null || y === undefined) return null;
  if (x instanceof Uint8Array || y instanceof Uint8Array || z instanceof Uint8Array) {
    const str = rawBytes(x);
    const pat = rawBytes(y);
    if (pat.length === 0 || pat[0] === 0) return fromRaw(str);
    if (z === null || z === undefined) return null;
    const rep = rawBytes(z);
    const hitAt = (i: number): boolean => {
      for (let k = 0; k < pat.length; k++) if (str[i + k] !== pat[k]) return false;
      return true;
    };
    // Count first, so the result's size is known (and checked) before it is built.
    let hits = 0;
    for (let i = 0; i + pat.length <= str.length; i++) if (hitAt(i)) (hits++, (i += pat.length - 1));
    const size = str.length + hits * (rep.length - pat.length);
    if (size > MAX_TEXT_LENGTH) tooBig();
    const out = new Uint8Array(size);
    let o = 0;
    let i = 0;
    for (; i + pat.length <= str.length; i++) {
      if (hitAt(i)) {
        out.set(rep, o);
        o += rep.length;
        i += pat.length - 1;
      } else out[o++] = str[i]!;
    }
    for (; i < str.length; i++) out[o++] = str[i]!;
    return fromRaw(out);
  }
  const s = toText(x)!;
  const p = toText(y)!;
  if (p.length === 0 || p.charCodeAt(0) === 0) return s; // SQLite: a pattern starting with NUL is empty
  const r = toText(z ?? null);
  if (r === null) return null;
  const parts = s.split(p);
  if (s.length + (parts.length - 1) * (r.length - p.length) > MAX_TEXT_LENGTH) tooBig();
  return parts.join(r);
}

function instrFn([x, y]: readonly SqlValue[]): SqlValue {
  if (x === null || y === null || x === undefined || y === undefined) return null;
  if (x instanceof Uint8Array && y instanceof Uint8Array) {
    if (y.length === 0) return 1;
    outer: for (let i = 0; i + y.length <= x.length; i++) {
      for (let j = 0; j < y.length; j++) if (x[i + j] !== y[j]) continue outer;
      return i + 1;
    }
    return 0;
  }
  if (x instanceof Uint8Array || y instanceof Uint8Array) {
    // One BLOB, one not: both as text bytes, positions counted in characters.
    const hb = rawBytes(x);
    const nb = rawBytes(y);
    if (nb.length === 0) return 1;
    let pos = 1;
    for (let i = 0; i + nb.length <= hb.length; ) {
      let hit = true;
      for (let k = 0; k < nb.length && hit; k++) hit = hb[i + k] === nb[k];
      if (hit) return pos;
      pos++;
      do i++;
      while (i < hb.length && (hb[i]! & 0xc0) === 0x80);
    }
    return 0;
  }
  const h = toText(x)!;
  const n = toText(y)!;
  if (n.length === 0) return 1;
  const at = h.indexOf(n);
  if (at < 0) return 0;
  return codePointsOf(h.slice(0, at)).length + 1;
}

function absFn([x]: readonly SqlValue[]): SqlValue {
  if (x === null || x === undefined) return null;
  if (typeof x === 'bigint' || (typeof x === 'number' && Number.isInteger(x))) {
    if (x === -(2n ** 63n)) throw new HeliosError('SQL_ERROR', 'integer overflow');
    return typeof x === 'bigint' ? (x < 0n ? makeInteger(-x) : x) : Math.abs(x);
  }
  return makeReal(Math.abs(toReal(x)));
}

/** round(X[, Y]): REAL rounded half away from zero to Y (0..30) decimal digits. */
function roundFn(args: readonly SqlValue[]): SqlValue {
  let n = 0;
  if (args.length === 2) {
    if (args[1] === null) return null;
    n = numberArg(args[1]!);
    if (n > 30) n = 30;
    if (n < 0) n = 0;
  }
  const x = args[0]!;
  if (x === null) return null;
  let r = toReal(x);
  if (r < -4503599627370496 || r > 4503599627370496) {
    // no fractional part
  } else if (n === 0) {
    r = Math.trunc(r + (r < 0 ? -0.5 : 0.5));
  } else {
    r = parseNumericText(formatFloat(r, 'f', n, 0, { alt2: true })) ?? r;
  }
  return makeReal(r === 0 ? 0 : r);
}

function typeofFn([x]: readonly SqlValue[]): SqlValue {
  return typeOf(x ?? null);
}

function coalesceFn(args: readonly SqlValue[]): SqlValue {
  for (const a of args) if (a !== null) return a;
  return null;
}

function nullifFn([x, y]: readonly SqlValue[], ctx: FunctionContext): SqlValue {
  return compareValues(x ?? null, y ?? null, ctx.collation ?? 'BINARY') === 0 ? null : (x ?? null);
}

/** iif(B1, V1 [, B2, V2 ...] [, E]): CASE WHEN B1 THEN V1 ... ELSE E END. */
function iifFn(args: readonly SqlValue[]): SqlValue {
  let i = 0;
  for (; i + 1 < args.length; i += 2) if (isTruthy(args[i]!) === true) return args[i + 1]!;
  return i < args.length ? args[i]! : null;
}

function minMaxFn(isMax: boolean): ScalarFunction['fn'] {
  return (args, ctx) => {
    const coll = ctx.collation ?? 'BINARY';
    let best = 0;
    if (args[0] === null) return null;
    for (let i = 1; i < args.length; i++) {
      if (args[i] === null) return null;
      const c = compareValues(args[best]!, args[i]!, coll);
      if (isMax ? c < 0 : c >= 0) best = i;
    }
    return args[best]!;
  };
}

function hexFn([x]: readonly SqlValue[]): SqlValue {
  return hexUpper(bytesOf(x ?? null));
}

/** Position after the character utf8Read read last. */
let utf8ReadEnd = 0;

/**
 * The character at b[i] as SQLite's sqlite3Utf8Read reads it: a byte below
 * 0xC0 stands for itself (so invalid bytes are compared as bytes, not as
 * U+FFFD), a lead byte takes the continuation bytes that follow, and an
 * overlong, surrogate or non-character result is U+FFFD.
 */
function utf8Read(b: Uint8Array, i: number): number {
  let c = b[i++]!;
  if (c >= 0xc0) {
    c = c < 0xe0 ? c & 0x1f : c < 0xf0 ? c & 0x0f : c < 0xf8 ? c & 0x07 : c < 0xfc ? c & 0x03 : c < 0xfe ? c & 0x01 : 0;
    while (i < b.length && (b[i]! & 0xc0) === 0x80) c = c * 64 + (b[i++]! & 0x3f);
    if (c < 0x80 || (c >= 0xd800 && c <= 0xdfff) || c === 0xfffe || c === 0xffff) c = 0xfffd;
  }
  utf8ReadEnd = i;
  return c;
}

/**
 * unhex(X[, Y]): the blob X spells in hex; characters of Y may separate byte
 * pairs; else NULL. Works on the UTF-8 bytes of X and Y up to their first NUL,
 * character by character as SQLite reads them (blobs that are not valid
 * UTF-8 included).
 */
function unhexFn(args: readonly SqlValue[]): SqlValue {
  const x = args[0]!;
  if (x === null) return null;
  const pass: number[] = [];
  if (args.length === 2) {
    if (args[1] === null) return null;
    const p = cBytes(rawBytes(args[1]!));
    for (let k = 0; k < p.length; k = utf8ReadEnd) pass.push(utf8Read(p, k));
  }
  const h = cBytes(rawBytes(x));
  const out = new Uint8Array(h.length >>> 1);
  let o = 0;
  let i = 0;
  while (i < h.length) {
    let c = h[i]!;
    while (!isHexDigit(c)) {
      if (!pass.includes(utf8Read(h, i))) return null;
      i = utf8ReadEnd;
      if (i >= h.length) return out.slice(0, o);
      c = h[i]!;
    }
    const d = i + 1 < h.length ? h[i + 1]! : 0;
    if (!isHexDigit(d)) return null;
    out[o++] = (hexValue(c) << 4) | hexValue(d);
    i += 2;
  }
  return out.slice(0, o);
}

/** quote(X): an SQL literal for X. */
export function quoteValue(x: SqlValue): string {
  if (x === null) return 'NULL';
  if (typeof x === 'bigint') return x.toString();
  if (typeof x === 'number' && Number.isInteger(x)) return String(x);
  if (typeof x === 'number' || x instanceof RealBox) return formatFloat(typeof x === 'number' ? x : x.value, 'g', 17, 0, { alt2: true, zeroPad: true });
  if (x instanceof Uint8Array) return `X'${hexUpper(x)}'`;
  const s = cText(x)!;
  const parts = s.split("'");
  if (s.length + parts.length + 1 > MAX_TEXT_LENGTH) tooBig();
  return `'${parts.join("''")}'`;
}

function randomBytes(ctx: FunctionContext, n: number): Uint8Array {
  if (ctx.random) return ctx.random(n);
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) globalThis.crypto.getRandomValues(b.subarray(i, Math.min(n, i + 65536)));
  return b;
}

function randomFn(_args: readonly SqlValue[], ctx: FunctionContext): SqlValue {
  const b = randomBytes(ctx, 8);
  let r = 0n;
  for (let i = 0; i < 8; i++) r = (r << 8n) | BigInt(b[i] ?? 0);
  let v = BigInt.asIntN(64, r);
  if (v < 0n) v = -(v & (2n ** 63n - 1n));
  return makeInteger(v);
}

function randomblobFn([x]: readonly SqlValue[], ctx: FunctionContext): SqlValue {
  let n = numberArg(x ?? null);
  if (n < 1) n = 1;
  if (n > MAX_VALUE_LENGTH) tooBig();
  const b = randomBytes(ctx, n);
  return b.length === n ? b.slice() : tooBig();
}

function zeroblobFn([x]: readonly SqlValue[]): SqlValue {
  let n = numberArg(x ?? null);
  if (n < 0) n = 0;
  if (n > MAX_VALUE_LENGTH) tooBig();
  return new Uint8Array(n);
}

function charFn(args: readonly SqlValue[]): SqlValue {
  let s = '';
  for (const a of args) {
    let x = numberArg(a);
    if (x < 0 || x > 0x10ffff) x = 0xfffd;
    s += x >= 0xd800 && x <= 0xdfff ? String.fromCharCode(x) : String.fromCodePoint(x);
  }
  return s;
}

/** unicode(X): the first character of X's UTF-8 bytes as SQLite's sqlite3Utf8Read decodes it. */
function unicodeFn([x]: readonly SqlValue[]): SqlValue {
  if (x === null || x === undefined) return null;
  const b = x instanceof Uint8Array ? x : textToBytes(toText(x)!);
  if (b.length === 0 || b[0] === 0) return null;
  let c = b[0]!;
  if (c >= 0xc0) {
    c = c < 0xe0 ? c & 0x1f : c < 0xf0 ? c & 0x0f : c < 0xf8 ? c & 0x07 : c < 0xfc ? c & 0x03 : c < 0xfe ? c & 0x01 : 0;
    for (let i = 1; i < b.length && (b[i]! & 0xc0) === 0x80; i++) c = ((c << 6) + (b[i]! & 0x3f)) >>> 0; // u32, as in C
    if (c < 0x80 || (c >= 0xd800 && c <= 0xdfff) || c === 0xfffe || c === 0xffff) c = 0xfffd;
  }
  return c;
}

function signFn([x]: readonly SqlValue[]): SqlValue {
  const n = numericValue(x ?? null);
  if (n === null) return null;
  const r = typeof n === 'number' ? n : typeof n === 'bigint' ? Number(n) : n.value;
  return r < 0 ? -1 : r > 0 ? 1 : 0;
}

function concatFn(args: readonly SqlValue[]): SqlValue {
  if (args.some((a) => a instanceof Uint8Array)) return fromRaw(joinBytes(args.filter((a) => a !== null).map(rawBytes), EMPTY_BYTES));
  let s = '';
  for (const a of args) if (a !== null) s += toText(a)!;
  return s;
}

function concatWsFn(args: readonly SqlValue[]): SqlValue {
  const sep = args[0] ?? null;
  if (sep === null) return null;
  const rest = args.slice(1).filter((a) => a !== null);
  if (sep instanceof Uint8Array || rest.some((a) => a instanceof Uint8Array)) return fromRaw(joinBytes(rest.map(rawBytes), rawBytes(sep)));
  return rest.map((a) => toText(a)!).join(toText(sep)!);
}

function joinBytes(parts: readonly Uint8Array[], sep: Uint8Array): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  n += Math.max(parts.length - 1, 0) * sep.length;
  if (n > MAX_VALUE_LENGTH) tooBig();
  const out = new Uint8Array(n);
  let o = 0;
  parts.forEach((p, i) => {
    if (i > 0) {
      out.set(sep, o);
      o += sep.length;
    }
    out.set(p, o);
    o += p.length;
  });
  return out;
}

function likelihoodFn([x, p]: readonly SqlValue[]): SqlValue {
  const r = p === null || p === undefined || typeof p === 'string' || p instanceof Uint8Array ? -1 : toReal(p);
  if (!(r >= 0 && r <= 1)) throw new HeliosError('SQL_ERROR', 'second argument to likelihood() must be a constant between 0.0 and 1.0');
  return x ?? null;
}

/** unistr(X): X with \XXXX, \uXXXX, \+XXXXXX, \UXXXXXXXX and \\ escapes decoded. */
function unistrFn([x]: readonly SqlValue[]): SqlValue {
  const s = toText(x ?? null);
  if (s === null) return null;
  let out = '';
  let i = 0;
  const hexRun = (from: number, n: number): number => {
    let v = 0;
    for (let k = 0; k < n; k++) {
      const c = from + k < s.length ? s.charCodeAt(from + k) : 0;
      if (!isHexDigit(c)) return -1;
      v = v * 16 + hexValue(c);
    }
    return v;
  };
  const fail = (): never => {
    throw new HeliosError('SQL_ERROR', 'invalid Unicode escape');
  };
  while (i < s.length) {
    // SQLite looks for the next backslash with strchr: a NUL before it ends the search, and the
    // rest of the text is copied as it is (x'005c' gives NUL and a lone backslash, not an error).
    let z = s.indexOf('\\', i);
    const nul = s.indexOf('\0', i);
    if (nul >= 0 && nul < z) z = -1;
    if (z < 0) {
      out += s.slice(i);
      break;
    }
    out += s.slice(i, z);
    i = z;
    const n = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
    let v: number;
    if (n === 92) {
      out += '\\';
      i += 2;
      continue;
    } else if (isHexDigit(n)) {
      v = hexRun(i + 1, 4);
      i += 5;
    } else if (n === 43) {
      v = hexRun(i + 2, 6);
      i += 8;
    } else if (n === 117) {
      v = hexRun(i + 2, 4);
      i += 6;
    } else if (n === 85) {
      v = hexRun(i + 2, 8);
      i += 10;
    } else return fail();
    if (v < 0) fail();
    out += v > 0x10ffff ? '\ufffd' : v >= 0xd800 && v <= 0xdfff ? String.fromCharCode(v) : String.fromCodePoint(v);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Math functions (SQLITE_ENABLE_MATH_FUNCTIONS)

function math1(f: (x: number) => number): ScalarFunction['fn'] {
  return ([x]) => {
    const n = numericValue(x ?? null);
    if (n === null) return null;
    return makeReal(f(typeof n === 'number' ? n : typeof n === 'bigint' ? Number(n) : n.value));
  };
}

function math2(f: (x: number, y: number) => number): ScalarFunction['fn'] {
  return ([x, y]) => {
    const a = numericValue(x ?? null);
    const b = numericValue(y ?? null);
    if (a === null || b === null) return null;
    const num = (v: number | bigint | RealBox): number => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : v.value);
    return makeReal(f(num(a), num(b)));
  };
}

/** ceil/floor/trunc: integers come back unchanged; reals are rounded and stay REAL. */
function ceilingFn(f: (x: number) => number): ScalarFunction['fn'] {
  return ([x]) => {
    const n = numericValue(x ?? null);
    if (n === null) return null;
    if (typeof n === 'bigint' || (typeof n === 'number' && Number.isInteger(n))) return n;
    return makeReal(f(typeof n === 'number' ? n : n.value));
  };
}

/** C's pow(): unlike Math.pow, pow(±1, ±Infinity) is 1 and pow(1, y) is 1. */
function cPow(x: number, y: number): number {
  if (x === 1 || (x === -1 && !Number.isFinite(y))) return 1;
  return Math.pow(x, y);
}

/** ln, log10, log2, and log(B, X) = ln(X) / ln(B); out-of-domain arguments → NULL. */
function logFn(base: number | null): ScalarFunction['fn'] {
  return (args) => {
    const n0 = numericValue(args[0] ?? null);
    if (n0 === null) return null;
    let x = toReal(n0);
    if (x <= 0) return null;
    let r: number;
    if (args.length === 2) {
      const b = Math.log(x);
      if (b <= 0) return null;
      x = toReal(args[1] ?? null);
      if (x <= 0) return null;
      r = Math.log(x) / b;
    } else r = base === null ? Math.log(x) : base === 10 ? Math.log10(x) : Math.log2(x);
    return makeReal(r);
  };
}

// ---------------------------------------------------------------------------
// Registry

const VARIADIC = Infinity;

/**
 * What sqlite_version() reports: the SQLite release whose SQL this engine
 * matches (the better-sqlite3 oracle's; tests compare it), so that tools
 * choosing features by version (RETURNING ≥ 3.35, ->> ≥ 3.38, …) choose right.
 */
export const SQLITE_VERSION = '3.53.2';

function def(name: string, minArgs: number, maxArgs: number, fn: ScalarFunction['fn'], deterministic = true): ScalarFunction {
  return { name, minArgs, maxArgs, deterministic, fn };
}

const dateFn =
  (f: (args: readonly SqlValue[], ctx: DateContext) => SqlValue): ScalarFunction['fn'] =>
  (args, ctx) =>
    f(args, ctx);

const definitions: ScalarFunction[] = [
  def('length', 1, 1, lengthFn),
  def('octet_length', 1, 1, octetLengthFn),
  def('substr', 2, 3, substrFn),
  def('substring', 2, 3, substrFn),
  def('upper', 1, 1, upperFn),
  def('lower', 1, 1, lowerFn),
  def('trim', 1, 2, trimFn(3)),
  def('ltrim', 1, 2, trimFn(1)),
  def('rtrim', 1, 2, trimFn(2)),
  def('replace', 3, 3, replaceFn),
  def('instr', 2, 2, instrFn),
  def('abs', 1, 1, absFn),
  def('round', 1, 2, roundFn),
  def('coalesce', 2, VARIADIC, coalesceFn),
  def('ifnull', 2, 2, coalesceFn),
  def('nullif', 2, 2, nullifFn),
  def('iif', 2, VARIADIC, iifFn),
  def('if', 2, VARIADIC, iifFn),
  def('typeof', 1, 1, typeofFn),
  def('hex', 1, 1, hexFn),
  def('unhex', 1, 2, unhexFn),
  def('quote', 1, 1, ([x]) => quoteValue(x ?? null)),
  def('random', 0, 0, randomFn, false),
  def('randomblob', 1, 1, randomblobFn, false),
  def('printf', 0, VARIADIC, (args) => (args.length === 0 ? null : sqlPrintf(args[0]!, args.slice(1)))),
  def('format', 0, VARIADIC, (args) => (args.length === 0 ? null : sqlPrintf(args[0]!, args.slice(1)))),
  // One-argument min(X)/max(X) are the aggregates (sql/aggregates.ts).
  def('min', 2, VARIADIC, minMaxFn(false)),
  def('max', 2, VARIADIC, minMaxFn(true)),
  def('char', 0, VARIADIC, charFn),
  def('unicode', 1, 1, unicodeFn),
  def('unistr', 1, 1, unistrFn),
  def('zeroblob', 1, 1, zeroblobFn),
  def('likely', 1, 1, ([x]) => x ?? null),
  def('unlikely', 1, 1, ([x]) => x ?? null),
  def('likelihood', 2, 2, likelihoodFn),
  def('sign', 1, 1, signFn),
  def('concat', 1, VARIADIC, concatFn),
  def('concat_ws', 2, VARIADIC, concatWsFn),
  def('date', 0, VARIADIC, dateFn(dateFunc), false),
  def('time', 0, VARIADIC, dateFn(timeFunc), false),
  def('datetime', 0, VARIADIC, dateFn(datetimeFunc), false),
  def('julianday', 0, VARIADIC, dateFn(juliandayFunc), false),
  def('unixepoch', 0, VARIADIC, dateFn(unixepochFunc), false),
  def('strftime', 1, VARIADIC, dateFn(strftimeFunc), false),
  def('timediff', 2, 2, dateFn(timediffFunc), false),
  def('sqlite_version', 0, 0, () => SQLITE_VERSION),
  def('changes', 0, 0, (_a, ctx) => ctx.changes?.() ?? 0, false),
  def('total_changes', 0, 0, (_a, ctx) => ctx.totalChanges?.() ?? 0, false),
  def('last_insert_rowid', 0, 0, (_a, ctx) => ctx.lastInsertRowid?.() ?? 0, false),
  def('ceil', 1, 1, ceilingFn(Math.ceil)),
  def('ceiling', 1, 1, ceilingFn(Math.ceil)),
  def('floor', 1, 1, ceilingFn(Math.floor)),
  def('trunc', 1, 1, ceilingFn(Math.trunc)),
  def('ln', 1, 1, logFn(null)),
  def('log', 1, 2, logFn(10)),
  def('log10', 1, 1, logFn(10)),
  def('log2', 1, 1, logFn(2)),
  def('exp', 1, 1, math1(Math.exp)),
  def('pow', 2, 2, math2(cPow)),
  def('power', 2, 2, math2(cPow)),
  def('mod', 2, 2, math2((a, b) => a % b)),
  def('acos', 1, 1, math1(Math.acos)),
  def('asin', 1, 1, math1(Math.asin)),
  def('atan', 1, 1, math1(Math.atan)),
  def('atan2', 2, 2, math2(Math.atan2)),
  def('cos', 1, 1, math1(Math.cos)),
  def('sin', 1, 1, math1(Math.sin)),
  def('tan', 1, 1, math1(Math.tan)),
  def('cosh', 1, 1, math1(Math.cosh)),
  def('sinh', 1, 1, math1(Math.sinh)),
  def('tanh', 1, 1, math1(Math.tanh)),
  def('acosh', 1, 1, math1(Math.acosh)),
  def('asinh', 1, 1, math1(Math.asinh)),
  def('atanh', 1, 1, math1(Math.atanh)),
  def('sqrt', 1, 1, math1(Math.sqrt)),
  def('radians', 1, 1, math1((x) => x * (Math.PI / 180))),
  def('degrees', 1, 1, math1((x) => x * (180 / Math.PI))),
  def('pi', 0, 0, () => Math.PI),
  // JSON1 (sql/json-functions.ts); the expression compiler calls these with subtypes, this form drops them.
  ...[...jsonFunctions.values()]
    .filter((j) => j.name[0] !== '-')
    .map((j) => def(j.name, j.minArgs, j.maxArgs, (args) => plain(j.fn(args)))),
];

/** Every built-in scalar function by lower-case name. */
export const scalarFunctions: ReadonlyMap<string, ScalarFunction> = new Map(definitions.map((f) => [f.name, f]));

