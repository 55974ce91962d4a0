/**
 * Table-valued functions: SQLite's eponymous virtual tables used in FROM
 * (`FROM json_each(t.tags)`, `JOIN pragma_table_info('t') p`,
 * `FROM generate_series(1, 10)`), with their arguments bound to hidden
 * columns.
 *
 * A `VirtualTable` is the whole contract between the SQL engine and a row
 * source, and the one a user-defined table (better-sqlite3's
 * `db.table(name, { columns, parameters, rows: function* })`) plugs into:
 *
 * - `columns`: the visible result columns, in order (what `*` expands to).
 * - `parameters`: the hidden argument columns, in order. `f(a, b)` binds
 *   `a` to parameters[0] and `b` to parameters[1]; a parameter not given
 *   positionally may be bound by a WHERE/ON equality on its hidden column
 *   (`FROM pragma_table_info WHERE arg = 't'`); an unbound one is NULL.
 *   More arguments than parameters is SQLite's "too many arguments on
 *   NAME() - max N".
 * - `rows(args, ctx)`: the rows for one set of argument values (one per
 *   parameter). Called again for every outer row when
 *   the arguments are correlated (`FROM t, json_each(t.tags)`), and pulled
 *   lazily: a LIMIT or a satisfied EXISTS stops the iteration. Each row has
 *   `columns.length` values; it may carry up to `parameters.length` more,
 *   the hidden columns' values (generate_series reports the step it used),
 *   else each hidden column reads its argument. The iterator may throw a
 *   HeliosError (the statement fails, as SQLite's xFilter/xNext errors do).
 * - `rowid`: each row's rowid (default: numbered from 1 per call).
 * - `strictParameters`: better-sqlite3's rules for its tables (only `=` on a
 *   parameter, which must bind before the call; see virtual-table.ts).
 *
 * The planner (planner.ts) places the function's level after every table
 * its arguments read, and the executor (exec.ts) runs it as a
 * `{ kind: 'function' }` access; EXPLAIN QUERY PLAN says
 * `SCAN name VIRTUAL TABLE INDEX n:` with n the bit set of bound parameters.
 */
import type { SqlValue } from '../format/sql-value.ts';
import type { VirtualTable } from './virtual-table.ts';
import { HeliosError } from '../format/errors.ts';
import { makeInteger } from '../format/sql-value.ts';
import { toInteger } from './value.ts';
import { JSON_EACH, JSON_TREE } from './json-each.ts';
import { pragmaTableFunction } from './pragma.ts';

export type { VirtualTable, VirtualTableContext } from './virtual-table.ts';

/** The error SQLite gives for `name(a, b, c)` with more arguments than hidden columns. */
export function tooManyArguments(vt: VirtualTable): HeliosError {
  return new HeliosError('SQL_ERROR', `too many arguments on ${vt.name}() - max ${vt.parameters.length}`);
}

// ---------------------------------------------------------------------------
// generate_series (SQLite's ext/misc/series.c)

/**
 * generate_series(start, stop, step): the integers from start to stop
 * (inclusive) by step, as SQLite's series extension produces them. A
 * missing stop is 4294967295, a missing step 1; a zero step counts as 1; a
 * negative step runs from stop down to start. A NULL start, stop or step
 * gives no rows. The hidden columns report the start, stop and step used.
 */
export const GENERATE_SERIES: VirtualTable = {
  name: 'generate_series',
  columns: ['value'],
  parameters: ['start', 'stop', 'step'],
  rowid: (row) => row[0]!,
  *rows(args) {
    const [a, b, c] = args;
    if (a === undefined) throw new HeliosError('SQL_ERROR', 'first argument to "generate_series()" missing or unusable');
    // An argument given as NULL gives no rows; an omitted one takes its default.
    if (a === null || b === null || c === null) return;
    const start = BigInt(toInteger(a));
    const stop = b === undefined ? 4294967295n : BigInt(toInteger(b));
    let step = c === undefined ? 1n : BigInt(toInteger(c));
    if (step === 0n) step = 1n;
    const row = (v: bigint): SqlValue[] => [makeInteger(v), makeInteger(start), makeInteger(stop), makeInteger(step)];
    if (step > 0n) {
      for (let v = start; v <= stop; v += step) yield row(v);
    } else {
      // Descending: from the last value of the ascending series down to start.
      if (stop < start) return;
      const n = (stop - start) / -step;
      for (let v = start + n * -step; v >= start; v += step) yield row(v);
    }
  },
};

const BUILT_IN: ReadonlyMap<string, VirtualTable> = new Map([JSON_EACH, JSON_TREE, GENERATE_SERIES].map((v) => [v.name, v]));

/** The table-valued function named `name` (folded), or undefined. */
export function lookupTableFunction(name: string): VirtualTable | undefined {
  return BUILT_IN.get(name) ?? pragmaTableFunction(name);
}
