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
