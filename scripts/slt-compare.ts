/**
 * Comparing one statement's outcome on two engines, for differential
 * testing: errors vs no error, column counts, values with their storage
 * classes as multisets, and row order up to the ties ORDER BY leaves
 * unspecified.
 */
import type { QueryResult } from './slt-backend.ts';
import type { SltValue } from './slt-format.ts';
import { describeError, isCrash } from './slt-run.ts';

export type Outcome = { readonly ok: true; readonly result: QueryResult } | { readonly ok: false; readonly error: string; readonly crash: boolean };

export function attempt(run: () => QueryResult): Outcome {
  try {
    return { ok: true, result: run() };
  } catch (e) {
    return { ok: false, error: describeError(e), crash: isCrash(e) };
  }
}

/** A value as a string that is equal for equal values of the same storage class (0.0 and -0.0 are equal). */
export function valueKey(v: SltValue): string {
  if (v === null) return 'N';
  if (typeof v === 'bigint') return `I${v}`;
  if (typeof v === 'number') return `R${v === 0 ? 0 : v}`;
  if (typeof v === 'string') return `T${JSON.stringify(v)}`;
  let hex = '';
  for (const b of v) hex += b.toString(16).padStart(2, '0');
  return `B${hex}`;
}

/** A value's key for checking order: numbers by value whatever their class, text folded to lower case (NOCASE ties). */
function orderKey(v: SltValue): string {
  if (typeof v === 'bigint' || typeof v === 'number') return `#${Number(v)}`;
  if (typeof v === 'string') return `T${JSON.stringify(v.replace(/[A-Z]/g, (c) => c.toLowerCase()))}`;
  return valueKey(v);
}

function showRows(rows: readonly (readonly SltValue[])[]): string {
  const shown = rows.slice(0, 20).map((r) => `(${r.map((v) => valueKey(v)).join(', ')})`);
  return shown.join(' ') + (rows.length > 20 ? ` ... ${rows.length} rows` : '');
}

/** Null when the outcomes agree, else a description of the difference. */
/**
 * `representatives`: the query keeps one of several values that compare
 * equal (DISTINCT, GROUP BY, UNION/INTERSECT/EXCEPT, min/max, aggregate
 * DISTINCT) and SQL does not say which (INTEGER 3 or REAL 3.0, 'a' or 'A'
 * under NOCASE): values are then compared by what they compare equal as.
 */
export function compareOutcomes(expected: Outcome, actual: Outcome, ordered: boolean, representatives = false): string | null {
  if (!actual.ok && actual.crash) return `helios crashed: ${actual.error}${expected.ok ? '' : ` (sqlite: ${expected.error})`}`;
  if (!expected.ok && !actual.ok) return null;
  if (!expected.ok && actual.ok) return `sqlite failed (${expected.error}) but helios returned ${showRows(actual.result.rows)}`;
  if (expected.ok && !actual.ok) return `helios failed (${actual.error}) but sqlite returned ${showRows(expected.result.rows)}`;
  if (!expected.ok || !actual.ok) return null;
  const e = expected.result;
  const a = actual.result;
  if (e.columnCount !== a.columnCount) return `column count: sqlite ${e.columnCount}, helios ${a.columnCount}`;
  const same = (x: string[], y: string[]): boolean => x.length === y.length && x.every((k, i) => k === y[i]);
  // Exact values (or their equality classes), as multisets.
  const key = representatives ? orderKey : valueKey;
  const ek = e.rows.map((r) => r.map(key).join('\u0000')).sort();
  const ak = a.rows.map((r) => r.map(key).join('\u0000')).sort();
  if (!same(ek, ak)) return `rows differ:\n    sqlite: ${showRows(e.rows)}\n    helios: ${showRows(a.rows)}`;
  // Order, up to ties that ORDER BY leaves unspecified: INTEGER 0 and REAL 0.0, or
  // texts equal under NOCASE, sort as equals and may come in either order.
  if (ordered) {
    const eo = e.rows.map((r) => r.map(orderKey).join('\u0000'));
    const ao = a.rows.map((r) => r.map(orderKey).join('\u0000'));
    if (!same(eo, ao)) return `row order differs:\n    sqlite: ${showRows(e.rows)}\n    helios: ${showRows(a.rows)}`;
  }
  return null;
}
