/**
 * SQLite's value semantics over the `SqlValue` representation
 * (format/sql-value.ts): storage classes, type affinity, comparison and sort
 * order, CAST, arithmetic, truthiness, and the text ↔ number conversions.
 *
 * Every function here follows SQLite 3's documented behaviour (datatype3.html,
 * lang_expr.html, lang_corefunc.html) and its VDBE code where the
 * documentation is silent; the tests beside this file pin the cases down.
 * Nothing here throws for any SqlValue input.
 */
import {
  type Collation,
  type SqlValue,
  type StorageClass,
  MAX_INT64,
  MIN_INT64,
  RealBox,
  bytesToText,
  compareText,
  makeInteger,
  makeReal,
  storageClass,
  textToBytes,
} from '../format/sql-value.ts';
import { type FloatFlags, formatFloat } from './fp-decode.ts';
import { HeliosError } from '../format/errors.ts';

export type { Collation, SqlValue, StorageClass };
export { RealBox, compareText, makeInteger, makeReal };

/** Column affinity (datatype3.html §3). */
export type Affinity = 'BLOB' | 'TEXT' | 'NUMERIC' | 'INTEGER' | 'REAL';

const TWO_53 = 9007199254740992;
const TWO_63 = 9223372036854775808; // 2^63 as a double
const MAX_SAFE_BIG = 9007199254740991n;

// ---------------------------------------------------------------------------
// Storage class

/** SQLite's typeof(): 'null' | 'integer' | 'real' | 'text' | 'blob'. */
export function typeOf(v: SqlValue): StorageClass {
  return storageClass(v);
}

// ---------------------------------------------------------------------------
// Affinity

/**
 * The affinity of a declared column type, by SQLite's five rules in order
 * (datatype3.html §3.1): contains "INT" → INTEGER; "CHAR", "CLOB" or "TEXT"
 * → TEXT; "BLOB" or no type → BLOB; "REAL", "FLOA" or "DOUB" → REAL; else
 * NUMERIC. Case-insensitive; `null`/empty means no declared type.
 */
export function affinityOf(declaredType: string | null | undefined): Affinity {
  if (declaredType === null || declaredType === undefined || declaredType === '') return 'BLOB';
  const t = declaredType.toUpperCase();
  if (t.includes('INT')) return 'INTEGER';
  if (t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT')) return 'TEXT';
  if (t.includes('BLOB')) return 'BLOB';
  if (t.includes('REAL') || t.includes('FLOA') || t.includes('DOUB')) return 'REAL';
  return 'NUMERIC';
}

/**
 * Converts `v` as storing it in a column of affinity `aff` does:
 * TEXT turns numbers into their text; NUMERIC and INTEGER turn well-formed
 * numeric text into INTEGER (or REAL when it is not an exact 64-bit integer)
 * and integral REALs into INTEGER; REAL turns numbers and numeric text into
 * REAL; BLOB changes nothing. Text that is not entirely a number (after
 * trimming spaces) stays text ('12abc', '0x10'); BLOBs never change.
 */
export function applyAffinity(v: SqlValue, aff: Affinity): SqlValue {
  if (v === null || v instanceof Uint8Array) return v;
  switch (aff) {
    case 'BLOB':
      return v;
    case 'TEXT':
      return typeof v === 'string' ? v : renderNumber(v);
    case 'NUMERIC':
    case 'INTEGER':
      if (typeof v === 'string') return applyNumericAffinity(v, true);
      if (typeof v === 'bigint') return v;
      return integerAffinity(v);
    case 'REAL':
      if (typeof v === 'string') {
        const n = applyNumericAffinity(v, false);
        return typeof n === 'string' ? n : makeReal(realOf(n as number | bigint | RealBox));
      }
      return makeReal(realOf(v));
  }
}

/**
 * The affinity SQLite applies to both operands of a comparison
 * (`= == <> != < <= > >= IN`, datatype3.html §4.2), given each operand's
 * affinity, where `null` means "no affinity" (a literal or an expression that
 * is not a column or CAST). Returns null when no conversion happens.
 */
export function comparisonAffinity(left: Affinity | null, right: Affinity | null): Affinity | null {
  if (left !== null && right !== null) {
    return isNumericAffinity(left) || isNumericAffinity(right) ? 'NUMERIC' : null;
  }
  const a = left ?? right;
  return a === 'BLOB' ? null : a;
}

/**
 * Converts one comparison operand for the affinity `comparisonAffinity`
 * chose: NUMERIC-class affinities turn well-formed numeric text into a
 * number, TEXT turns numbers into text; other values are unchanged.
 */
export function applyComparisonAffinity(v: SqlValue, aff: Affinity | null): SqlValue {
  if (aff === null || v === null || v instanceof Uint8Array) return v;
  if (aff === 'TEXT') return typeof v === 'string' ? v : renderNumber(v);
  if (isNumericAffinity(aff) && typeof v === 'string') return applyNumericAffinity(v, false);
  return v;
}

/**
 * A binary comparison with SQLite's affinity conversions: the sign of
 * `left` vs `right`, or null when either is NULL. `collation` applies when
 * both sides end up as text.
 */
export function compareWithAffinity(
  left: SqlValue,
  leftAff: Affinity | null,
  right: SqlValue,
  rightAff: Affinity | null,
  collation: Collation = 'BINARY',
): number | null {
  if (left === null || right === null) return null;
  const aff = comparisonAffinity(leftAff, rightAff);
  if (aff !== null) {
    left = applyComparisonAffinity(left, aff);
    right = applyComparisonAffinity(right, aff);
  }
  return compareValues(left, right, collation);
}

function isNumericAffinity(a: Affinity): boolean {
  return a === 'NUMERIC' || a === 'INTEGER' || a === 'REAL';
}

/** SQLite's applyNumericAffinity: well-formed numeric text → number; else the text unchanged. */
function applyNumericAffinity(s: string, tryForInt: boolean): SqlValue {
  const rc = atof(s, true);
  if (rc <= 0) return s;
  const r = atofValue;
  if ((rc & ATOF_FP) === 0) {
    const i = realToInt64(r);
    if (realSameAsInt(r, i)) return i;
    if (atoi64(s) === 0) return atoiValue;
  }
  const real = makeReal(r);
  return tryForInt && real !== null ? integerAffinity(real as number | RealBox) : real;
}

/** sqlite3VdbeIntegerAffinity: an integral REAL strictly inside the int64 range becomes INTEGER. */
function integerAffinity(v: number | RealBox): SqlValue {
  if (typeof v === 'number') return v; // an integer, or a non-integral real
  const r = v.value;
  if (Number.isInteger(r) && r > -TWO_63 && r < TWO_63) return makeInteger(Number.isSafeInteger(r) ? r : BigInt(r));
  return v;
}

/** sqlite3RealSameAsInt. */
function realSameAsInt(r: number, i: number | bigint): boolean {
  if (r === 0) return true;
  return typeof i === 'number' && i === r && i >= -2251799813685248 && i < 2251799813685248;
}

// ---------------------------------------------------------------------------
// Comparison and sort order

const CLASS_RANK = { null: 0, integer: 1, real: 1, text: 2, blob: 3 } as const;

/**
 * SQLite's total order of values (ORDER BY, min/max, DISTINCT, index keys):
 * NULL < INTEGER and REAL (compared by exact numeric value; 1 = 1.0, ints
 * beyond 2^53 exact) < TEXT (by `collation`) < BLOB (by bytes).
 * Returns negative, zero or positive. NULL equals NULL here.
 */
export function compareValues(a: SqlValue, b: SqlValue, collation: Collation = 'BINARY'): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return compareText(a, b, collation);
  const ra = CLASS_RANK[storageClass(a)];
  const rb = CLASS_RANK[storageClass(b)];
  if (ra !== rb) return ra - rb;
  switch (ra) {
    case 0:
      return 0;
    case 1:
      return compareNumbers(a as number | bigint | RealBox, b as number | bigint | RealBox);
    case 2:
      return compareText(a as string, b as string, collation);
    default:
      return compareBlobs(a as Uint8Array, b as Uint8Array);
  }
}

/** Exact comparison of two INTEGER/REAL values. */
export function compareNumbers(a: number | bigint | RealBox, b: number | bigint | RealBox): number {
  if (a instanceof RealBox) a = a.value;
  if (b instanceof RealBox) b = b.value;
  if (typeof a === 'number') {
    if (typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
    return -compareBigToNumber(b, a);
  }
  if (typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  return compareBigToNumber(a, b);
}

/** Sign of (bigint i) - (double r), exactly. */
function compareBigToNumber(i: bigint, r: number): number {
  if (r !== r) return 1;
  if (r >= TWO_63) return -1;
  if (r < -TWO_63) return 1;
  const t = Math.trunc(r);
  const bt = BigInt(t);
  if (i !== bt) return i < bt ? -1 : 1;
  const frac = r - t;
  return frac > 0 ? -1 : frac < 0 ? 1 : 0;
}

function compareBlobs(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

// ---------------------------------------------------------------------------
// Numeric parsing (sqlite3AtoF / sqlite3Atoi64)

/** Value produced by the last atof() call. */
let atofValue = 0;
/** Value produced by the last atoi64() call. */
let atoiValue: number | bigint = 0;

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** atof() result bits (SQLite 3.53's sqlite3AtoF). */
const ATOF_DIGITS = 1; // some prefix is a number
const ATOF_FP = 2; // the number has a decimal point or an exponent
/** Mantissa limit of sqlite3AtoF: digits after it no longer count. */
const ATOF_MANTISSA_LIMIT = '1844674407370955160';

/**
 * sqlite3AtoF (SQLite 3.53): parses `s` (up to its first NUL, as the C
 * string SQLite parses) into `atofValue`. Returns 0 when no prefix is a
 * number; otherwise the bits ATOF_DIGITS | ATOF_FP, positive when the whole
 * text (spaces around allowed) is the number and negative when only a prefix
 * is. Like SQLite, only about the first 19 significant digits count. With
 * `fullOnly`, a prefix-only parse leaves atofValue 0 (the caller ignores it).
 */
function atof(s: string, fullOnly = false): number {
  let n = s.length;
  const nul = s.indexOf('\0');
  if (nul >= 0) n = nul;
  let i = 0;
  while (i < n && isSpace(s.charCodeAt(i))) i++;
  const start = i;
  let c = i < n ? s.charCodeAt(i) : 0;
  if (c === 45 || c === 43) {
    i++;
    c = i < n ? s.charCodeAt(i) : 0;
    if (!isDigit(c) && c !== 46) {
      atofValue = 0;
      return 0;
    }
  }
  let state = 0;
  let nDigits = 0; // significant digits (leading zeros excluded)
  const intStart = i;
  while (i < n && isDigit(s.charCodeAt(i))) {
    if (nDigits > 0 || s.charCodeAt(i) !== 48) nDigits++;
    i++;
  }
  if (i > intStart) state = ATOF_DIGITS;
  const intEnd = i;
  let fracStart = i;
  let fracEnd = i;
  if (i < n && s.charCodeAt(i) === 46) {
    i++;
    fracStart = i;
    while (i < n && isDigit(s.charCodeAt(i))) {
      if (nDigits > 0 || s.charCodeAt(i) !== 48) nDigits++;
      i++;
    }
    fracEnd = i;
    if (fracEnd > fracStart) state |= ATOF_DIGITS;
    else if (state === 0) {
      atofValue = 0;
      return 0;
    }
    state |= ATOF_FP;
  } else if (state === 0) {
    atofValue = 0;
    return 0;
  }
  let mantissaEnd = i;
  if (i < n && (s.charCodeAt(i) | 32) === 101) {
    let j = i + 1;
    const sc = j < n ? s.charCodeAt(j) : 0;
    if (sc === 45 || sc === 43) j++;
    if (j < n && isDigit(s.charCodeAt(j))) {
      while (j < n && isDigit(s.charCodeAt(j))) j++;
      state |= ATOF_FP;
      i = j;
    }
  }
  const numberEnd = i;
  while (i < n && isSpace(s.charCodeAt(i))) i++;
  if (fullOnly && i !== n) {
    // A prefix only ('1950-01-10'): the caller keeps the text, so skip computing the value.
    atofValue = 0;
    return state - 16;
  }
  atofValue = nDigits <= 19 ? Number(s.slice(start, numberEnd)) : longMantissa(s, start, intStart, intEnd, fracStart, fracEnd, mantissaEnd, numberEnd);
  if (atofValue === 0) atofValue = s.charCodeAt(start) === 45 ? -0 : 0;
  return i === n ? state : state - 16;
}

/** The value of a number with more than 19 significant digits, truncated to SQLite's 64-bit mantissa. */
function longMantissa(s: string, start: number, intStart: number, intEnd: number, fracStart: number, fracEnd: number, mantissaEnd: number, numberEnd: number): number {
  let m = '';
  let d = 0;
  const full = (): boolean => m.length > 19 || (m.length === 19 && m >= ATOF_MANTISSA_LIMIT);
  let k = intStart;
  for (; k < intEnd; k++) {
    const ch = s[k]!;
    if (m.length === 0 && ch === '0') continue;
    m += ch;
    if (full()) {
      k++;
      break;
    }
  }
  d += intEnd - k; // integer digits beyond the mantissa scale it up
  for (let f = fracStart; f < fracEnd; f++) {
    const ch = s[f]!;
    if (m.length === 0 && ch === '0') {
      d--;
      continue;
    }
    if (!full()) {
      m += ch;
      d--;
    }
  }
  let exp = 0;
  if (numberEnd > mantissaEnd) {
    const e = s.slice(mantissaEnd + 1, numberEnd);
    exp = Math.min(Number(e.replace(/^[+-]/, '')), 10000) * (e.charCodeAt(0) === 45 ? -1 : 1);
  }
  const v = m.length === 0 ? 0 : Number(`${m}e${d + exp}`);
  return s.charCodeAt(start) === 45 ? -v : v;
}

/**
 * sqlite3Atoi64: parses an integer prefix of `s` into `atoiValue`, clamped
 * to the int64 range. Returns 0 (the whole text is an integer that fits),
 * 1 (extra non-space text after the digits), 2 (too large: clamped), 3 (the
 * text is exactly 9223372036854775808: clamped), -1 (no digits: value 0).
 */
function atoi64(s: string): number {
  const n = s.length;
  let i = 0;
  while (i < n && isSpace(s.charCodeAt(i))) i++;
  let neg = false;
  if (i < n) {
    const c = s.charCodeAt(i);
    if (c === 45) {
      neg = true;
      i++;
    } else if (c === 43) i++;
  }
  const zStart = i;
  while (i < n && s.charCodeAt(i) === 48) i++;
  const dStart = i;
  while (i < n && isDigit(s.charCodeAt(i))) i++;
  const nd = i - dStart;
  let rc = 0;
  if (nd === 0 && dStart === zStart) rc = -1;
  else {
    for (let j = i; j < n; j++) {
      if (!isSpace(s.charCodeAt(j))) {
        rc = 1;
        break;
      }
    }
  }
  if (nd <= 15) {
    const v = nd === 0 ? 0 : Number(s.slice(dStart, i));
    atoiValue = neg && v !== 0 ? -v : v;
    return rc;
  }
  let big = BigInt(s.slice(dStart, i));
  if (neg) big = -big;
  if (big > MAX_INT64) {
    atoiValue = makeInteger(MAX_INT64);
    return nd === 19 && big === MAX_INT64 + 1n ? 3 : 2;
  }
  if (big < MIN_INT64) {
    atoiValue = makeInteger(MIN_INT64);
    return 2;
  }
  atoiValue = makeInteger(big);
  return rc;
}

/**
 * The number that `s` spells when the WHOLE text (spaces around allowed) is
 * an integer or real literal ('12', ' -3.5e2 ', '1.'), else null
 * ('12abc', '0x10', ''). SQLite's sqlite3AtoF(...) > 0 test.
 */
export function parseNumericText(s: string): number | null {
  return atof(s) > 0 ? atofValue : null;
}

/** double → int64 as SQLite's sqlite3RealToI64 (truncation; clamps at the ends; NaN → 0). */
function realToInt64(r: number): number | bigint {
  if (r !== r) return 0;
  if (r <= -TWO_63) return makeInteger(MIN_INT64);
  if (r >= TWO_63) return makeInteger(MAX_INT64);
  const t = Math.trunc(r);
  if (t > -TWO_53 && t < TWO_53) return t === 0 ? 0 : t;
  return BigInt(t);
}

// ---------------------------------------------------------------------------
// Conversions

function realOf(v: number | bigint | RealBox): number {
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : v.value;
}

/**
 * Longest TEXT or BLOB: 2^29 - 24, V8's longest string, which is also the
 * SQLITE_MAX_LENGTH better-sqlite3 builds SQLite with (stock SQLite allows
 * 10^9 bytes; README: differences from SQLite). TEXT is counted in UTF-16
 * units, BLOBs in bytes; a blob is checked by its byte length, which bounds
 * the length of the text it decodes to.
 */
export const MAX_TEXT_LENGTH = 536_870_888;

/** SQLite's "string or blob too big". */
export function tooBigError(): HeliosError {
  return new HeliosError('TOO_BIG', 'string or blob too big');
}

function blobText(b: Uint8Array): string {
  if (b.length > MAX_TEXT_LENGTH) throw tooBigError();
  return bytesToText(b, false) as string;
}

/**
 * The INTEGER value of `v` as sqlite3_value_int64 computes it: REALs truncate
 * toward zero (clamped to the int64 range); text and blobs take their longest
 * integer prefix ('12abc' → 12, '1e3' → 1, 'abc' → 0); NULL → 0.
 */
export function toInteger(v: SqlValue): number | bigint {
  if (v === null) return 0;
  switch (typeof v) {
    case 'number':
      return Number.isInteger(v) ? (Number.isSafeInteger(v) ? v : realToInt64(v)) : realToInt64(v);
    case 'bigint':
      return v;
    case 'string':
      atoi64(v);
      return atoiValue;
    default:
      if (v instanceof RealBox) return realToInt64(v.value);
      atoi64(blobText(v));
      return atoiValue;
  }
}

/**
 * The REAL value of `v` as sqlite3_value_double computes it: text and blobs
 * take their longest numeric prefix ('3.5kg' → 3.5, 'abc' → 0); NULL → 0.
 */
export function toReal(v: SqlValue): number {
  if (v === null) return 0;
  switch (typeof v) {
    case 'number':
      return v;
    case 'bigint':
      return Number(v);
    case 'string':
      atof(v);
      return atofValue;
    default:
      if (v instanceof RealBox) return v.value;
      atof(blobText(v));
      return atofValue;
  }
}

/**
 * The number an arithmetic operator sees for `v` (SQLite's numericType):
 * numbers as they are; text and blobs by their numeric prefix, INTEGER when
 * that prefix is an integer that fits ('12abc' → 12, '0x10' → 0, '' → 0),
 * REAL otherwise ('1.5x' → 1.5, '1e3' → 1000.0). NULL stays NULL.
 */
export function toNumeric(v: SqlValue): number | bigint | RealBox | null {
  if (v === null || typeof v === 'number' || typeof v === 'bigint' || v instanceof RealBox) return v;
  const s = typeof v === 'string' ? v : blobText(v);
  const rc = atof(s);
  if (rc <= 0) {
    if ((rc & ATOF_FP) === 0 && atoi64(s) <= 1) return atoiValue;
  } else if ((rc & ATOF_FP) === 0 && atoi64(s) === 0) return atoiValue;
  return makeReal(atofValue) as number | RealBox;
}

/**
 * Text of `v` as SQLite converts it (CAST AS TEXT, `||`, text functions):
 * INTEGER in decimal, REAL by `renderReal`, BLOB bytes read as UTF-8.
 * NULL → null.
 */
export function toText(v: SqlValue): string | null {
  if (v === null) return null;
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return blobText(v);
  return renderNumber(v);
}

/** Bytes of `v` as SQLite converts it to a BLOB (CAST AS BLOB): text as UTF-8. NULL → null. */
export function toBlob(v: SqlValue): Uint8Array | null {
  if (v === null) return null;
  if (v instanceof Uint8Array) return v;
  return textToBytes(typeof v === 'string' ? v : renderNumber(v));
}

function renderNumber(v: number | bigint | RealBox): string {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isInteger(v) ? (Number.isSafeInteger(v) ? String(v) : BigInt(v).toString()) : renderReal(v);
  return renderReal(v.value);
}

/**
 * A REAL as SQLite 3.53 converts it to text (printf "%!.17g" with SQLite's
 * own digit generation, sql/fp-decode.ts): 15 significant digits when they
 * round-trip, else up to 17; at least one digit after the point; exponent
 * form below 1e-4 and from 1e17, with a signed two-digit-minimum exponent:
 * 1.0 → "1.0", 0.1 → "0.1", 0.1+0.2 → "0.30000000000000004",
 * 1e20 → "1.0e+20", 1.5e-7 → "1.5e-07", -0.0 → "0.0", ±Infinity → "Inf" / "-Inf".
 */
export function renderReal(x: number): string {
  return formatFloat(x, 'g', 17, 0, REAL_TEXT_FLAGS);
}

const REAL_TEXT_FLAGS: FloatFlags = { alt2: true };

/**
 * CAST(v AS typeName): the target affinity comes from `affinityOf(typeName)`.
 * NULL stays NULL. INTEGER: `toInteger`; REAL: `toReal`; TEXT: `toText`;
 * BLOB: `toBlob`; NUMERIC: numbers unchanged, text/blobs by their numeric
 * prefix as INTEGER when exact ('3.0' → 3, '1e3' → 1000, '12abc' → 12) else REAL.
 */
export function castValue(v: SqlValue, typeName: string): SqlValue {
  return castToAffinity(v, affinityOf(typeName));
}

export function castToAffinity(v: SqlValue, aff: Affinity): SqlValue {
  if (v === null) return null;
  switch (aff) {
    case 'INTEGER':
      return toInteger(v);
    case 'REAL':
      return makeReal(toReal(v));
    case 'TEXT':
      return toText(v);
    case 'BLOB':
      return toBlob(v);
    case 'NUMERIC': {
      if (typeof v === 'number' || typeof v === 'bigint' || v instanceof RealBox) return v;
      const s = typeof v === 'string' ? v : blobText(v);
      const rc = atof(s);
      const r = atofValue;
      if ((rc & ATOF_FP) === 0 && atoi64(s) < 2) return atoiValue;
      const i = realToInt64(r);
      if (realSameAsInt(r, i)) return i;
      return makeReal(r);
    }
  }
}

// ---------------------------------------------------------------------------
// Truthiness and logic

/**
 * WHERE/ON/CASE/NOT truth of `v`: null for NULL; numbers are true when ≠ 0;
 * text and blobs by their numeric prefix ('1abc' true, 'abc' false, '0.0' false).
 */
export function isTruthy(v: SqlValue): boolean | null {
  if (v === null) return null;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'bigint') return v !== 0n;
  return toReal(v) !== 0;
}

/** Three-valued NOT: 1, 0 or NULL. */
export function sqlNot(v: SqlValue): SqlValue {
  const t = isTruthy(v);
  return t === null ? null : t ? 0 : 1;
}

/** Three-valued AND: 0 if either is false, else NULL if either is NULL, else 1. */
export function sqlAnd(a: SqlValue, b: SqlValue): SqlValue {
  const x = isTruthy(a);
  const y = isTruthy(b);
  if (x === false || y === false) return 0;
  return x === null || y === null ? null : 1;
}

/** Three-valued OR: 1 if either is true, else NULL if either is NULL, else 0. */
export function sqlOr(a: SqlValue, b: SqlValue): SqlValue {
  const x = isTruthy(a);
  const y = isTruthy(b);
  if (x === true || y === true) return 1;
  return x === null || y === null ? null : 0;
}

// ---------------------------------------------------------------------------
// Arithmetic

type Num = number | bigint | RealBox;

function isIntNum(v: Num): v is number | bigint {
  return typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v));
}

function operands(a: SqlValue, b: SqlValue): [Num, Num] | null {
  const x = toNumeric(a);
  if (x === null) return null;
  const y = toNumeric(b);
  if (y === null) return null;
  return [x, y];
}

function big(v: number | bigint): bigint {
  return typeof v === 'bigint' ? v : BigInt(v);
}

/** An exact integer result, or null when it overflows int64. */
function fitInt(r: bigint): number | bigint | null {
  if (r > MAX_INT64 || r < MIN_INT64) return null;
  return r >= -MAX_SAFE_BIG && r <= MAX_SAFE_BIG ? Number(r) : r;
}

/** a + b: INTEGER when both are integers and the sum fits int64, else REAL; NULL if either is NULL. */
export function add(a: SqlValue, b: SqlValue): SqlValue {
  if (typeof a === 'number' && typeof b === 'number' && Number.isInteger(a) && Number.isInteger(b)) {
    const r = a + b;
    if (Number.isSafeInteger(r)) return r === 0 ? 0 : r;
  }
  const p = operands(a, b);
  if (p === null) return null;
  const [x, y] = p;
  if (isIntNum(x) && isIntNum(y)) {
    const r = fitInt(big(x) + big(y));
    if (r !== null) return r;
  }
  return makeReal(realOf(x) + realOf(y));
}

/** a - b, with the rules of `add`. */
export function subtract(a: SqlValue, b: SqlValue): SqlValue {
  if (typeof a === 'number' && typeof b === 'number' && Number.isInteger(a) && Number.isInteger(b)) {
    const r = a - b;
    if (Number.isSafeInteger(r)) return r === 0 ? 0 : r;
  }
  const p = operands(a, b);
  if (p === null) return null;
  const [x, y] = p;
  if (isIntNum(x) && isIntNum(y)) {
    const r = fitInt(big(x) - big(y));
    if (r !== null) return r;
  }
  return makeReal(realOf(x) - realOf(y));
}

/** a * b, with the rules of `add`. */
export function multiply(a: SqlValue, b: SqlValue): SqlValue {
  if (typeof a === 'number' && typeof b === 'number' && Number.isInteger(a) && Number.isInteger(b)) {
    const r = a * b;
    if (Number.isSafeInteger(r)) return r === 0 ? 0 : r;
  }
  const p = operands(a, b);
  if (p === null) return null;
  const [x, y] = p;
  if (isIntNum(x) && isIntNum(y)) {
    const r = fitInt(big(x) * big(y));
    if (r !== null) return r;
  }
  return makeReal(realOf(x) * realOf(y));
}

/**
 * a / b: integers divide to an INTEGER truncated toward zero (7 / 2 = 3,
 * -7 / 2 = -3); otherwise REAL. Division by zero (integer or real) → NULL.
 * -9223372036854775808 / -1 overflows to REAL.
 */
export function divide(a: SqlValue, b: SqlValue): SqlValue {
  const p = operands(a, b);
  if (p === null) return null;
  const [x, y] = p;
  if (isIntNum(x) && isIntNum(y)) {
    if (y === 0 || y === 0n) return null;
    if (typeof x === 'number' && typeof y === 'number') {
      const q = Math.trunc(x / y);
      return q === 0 ? 0 : q;
    }
    const r = fitInt(big(x) / big(y));
    if (r !== null) return r;
  }
  const d = realOf(y);
  if (d === 0) return null;
  return makeReal(realOf(x) / d);
}

/**
 * a % b: both operands are taken as integers (REALs truncated, text by its
 * integer prefix) and the
 * result has the sign of `a`; it is REAL when either operand was REAL
 * (5.5 % 2 = 1.0). A zero divisor → NULL.
 */
export function remainder(a: SqlValue, b: SqlValue): SqlValue {
  const p = operands(a, b);
  if (p === null) return null;
  const [x, y] = p;
  const real = !(isIntNum(x) && isIntNum(y));
  // SQLite takes sqlite3_value_int64 of the original operands: '1e3' is 1 here.
  const ix = real ? toInteger(a) : x;
  let iy = real ? toInteger(b) : y;
  if (iy === 0 || iy === 0n) return null;
  if (iy === -1 || iy === -1n) iy = 1;
  let r: number | bigint;
  if (typeof ix === 'number' && typeof iy === 'number') {
    r = ix % iy;
    if (r === 0) r = 0;
  } else r = makeInteger(big(ix as number | bigint) % big(iy as number | bigint));
  return real ? makeReal(Number(r)) : r;
}

/** -a, computed as SQLite does: 0 - a (text is read numerically, NULL stays NULL, -(0.0) is 0.0). */
export function negate(a: SqlValue): SqlValue {
  return subtract(0, a);
}

/**
 * a || b: text concatenation; NULL if either is NULL. Like SQLite, which
 * joins the bytes, BLOB operands are joined as bytes before being read as
 * UTF-8 (so a character split across two blobs is reassembled).
 */
export function concat(a: SqlValue, b: SqlValue): SqlValue {
  if (a === null || b === null) return null;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    const x = toBlob(a)!;
    const y = toBlob(b)!;
    if (x.length + y.length > MAX_TEXT_LENGTH) throw tooBigError();
    const joined = new Uint8Array(x.length + y.length);
    joined.set(x);
    joined.set(y, x.length);
    return blobText(joined);
  }
  const x = toText(a) as string;
  const y = toText(b) as string;
  if (x.length + y.length > MAX_TEXT_LENGTH) throw tooBigError();
  return x + y;
}

// Bitwise operators work on the int64 value of each operand (toInteger).

function asInt64(v: SqlValue): bigint {
  const i = toInteger(v);
  return typeof i === 'bigint' ? i : BigInt(i);
}

function isInt32(v: SqlValue): v is number {
  return typeof v === 'number' && (v | 0) === v;
}

/** a & b on 64-bit two's complement integers; NULL if either is NULL. */
export function bitAnd(a: SqlValue, b: SqlValue): SqlValue {
  if (isInt32(a) && isInt32(b)) return a & b;
  if (a === null || b === null) return null;
  return makeInteger(BigInt.asIntN(64, asInt64(a) & asInt64(b)));
}

/** a | b on 64-bit two's complement integers; NULL if either is NULL. */
export function bitOr(a: SqlValue, b: SqlValue): SqlValue {
  if (isInt32(a) && isInt32(b)) return a | b;
  if (a === null || b === null) return null;
  return makeInteger(BigInt.asIntN(64, asInt64(a) | asInt64(b)));
}

/** ~a on a 64-bit two's complement integer; NULL stays NULL. */
export function bitNot(a: SqlValue): SqlValue {
  if (isInt32(a)) return ~a;
  if (a === null) return null;
  return makeInteger(BigInt.asIntN(64, ~asInt64(a)));
}

/**
 * a << b: a negative shift shifts the other way; shifts of 64 or more give 0
 * (or -1 for a right shift of a negative number). NULL if either is NULL.
 */
export function shiftLeft(a: SqlValue, b: SqlValue): SqlValue {
  return shift(a, b, true);
}

/** a >> b: arithmetic (sign-extending) right shift; see `shiftLeft`. */
export function shiftRight(a: SqlValue, b: SqlValue): SqlValue {
  return shift(a, b, false);
}

function shift(a: SqlValue, b: SqlValue, left: boolean): SqlValue {
  if (a === null || b === null) return null;
  const x = asInt64(a);
  let n = asInt64(b);
  if (n === 0n) return makeInteger(x);
  if (n < 0n) {
    left = !left;
    n = n > -64n ? -n : 64n;
  }
  if (n >= 64n) return x >= 0n || left ? 0 : -1;
  return makeInteger(left ? BigInt.asIntN(64, x << n) : x >> n);
}

/** One ORDER BY term over rows of values: the value at `key`, its direction, NULLS FIRST/LAST and collation. */
export interface RowOrderTerm {
  readonly key: number;
  readonly desc: boolean;
  readonly nullsFirst: boolean;
  readonly coll: Collation;
}

/** The comparison of two rows by `terms` (ORDER BY of a query, ORDER BY inside an aggregate call). */
export function rowOrderCompare(terms: readonly RowOrderTerm[]): (a: readonly SqlValue[], b: readonly SqlValue[]) => number {
  return (a, b) => {
    for (const t of terms) {
      const x = a[t.key]!;
      const y = b[t.key]!;
      if (x === null || y === null) {
        if (x === y) continue;
        return (x === null) === t.nullsFirst ? -1 : 1;
      }
      const c = compareValues(x, y, t.coll);
      if (c !== 0) return t.desc ? -c : c;
    }
    return 0;
  };
}
