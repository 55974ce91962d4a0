/**
 * Equality keys of values and rows under a collation (DISTINCT, GROUP BY,
 * IN, hash joins, compound operators, window partitions). A leaf file shared
 * by the expression compiler and the window stage.
 */
import { RealBox, type SqlValue } from '../format/sql-value.ts';
import type { Collation } from './value.ts';

/**
 * A string that is equal for two values exactly when compareValues says they
 * are equal under `coll` (1 and 1.0 share a key; NOCASE folds ASCII; RTRIM
 * drops trailing spaces). Used for DISTINCT, GROUP BY, IN and hash joins.
 */
export function valueKey(v: SqlValue, coll: Collation = 'BINARY'): string {
  if (v === null) return 'N';
  switch (typeof v) {
    case 'number':
      return 'n' + v;
    case 'bigint':
      return 'n' + v.toString();
    case 'string':
      if (coll === 'NOCASE') return 't' + v.replace(/[A-Z]+/g, (m) => m.toLowerCase());
      if (coll === 'RTRIM') return 't' + v.replace(/ +$/, '');
      return 't' + v;
    default:
      if (v instanceof RealBox) {
        const x = v.value;
        if (Number.isSafeInteger(x)) return 'n' + (x === 0 ? 0 : x);
        if (Number.isFinite(x) && Math.abs(x) < 9.3e18) return 'n' + BigInt(x).toString();
        return 'n' + x;
      }
      return 'b' + Array.from(v, (b) => b.toString(16).padStart(2, '0')).join('');
  }
}

/** Key of a whole row (DISTINCT, compound operators, GROUP BY). */
export function rowKey(row: readonly SqlValue[], colls?: readonly Collation[]): string {
  let s = '';
  for (let i = 0; i < row.length; i++) {
    const k = valueKey(row[i]!, colls?.[i] ?? 'BINARY');
    s += k.length + ':' + k;
  }
  return s;
}
