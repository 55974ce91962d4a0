/**
 * Functions, aggregates and table-valued functions defined through the API
 * (the drop-in's db.function / db.aggregate / db.table, sql/compat.ts), kept
 * per connection on its Catalog (`catalog.userFunctions`) where the planner
 * and the expression compiler look them up before the built-ins, as SQLite
 * lets an application function override a built-in one of the same name
 * and arity.
 *
 * Contracts:
 * - A scalar is registered per (folded name, argument count); count -1 is
 *   variadic and serves any count no exact registration serves. A name
 *   known under other counts only resolves to a function no count fits, so
 *   the call fails with SQLite's "wrong number of arguments".
 * - An aggregate follows AggregateDef (sql/aggregates.ts): with an
 *   `inverse` it also runs as a sliding window function.
 * - A table follows VirtualTable (sql/vtab.ts) minus the catalog context.
 * - A statement compiled before a registration keeps what it resolved; the
 *   registry bumps nothing (better-sqlite3 behaves the same way: SQLite
 *   re-prepares only on schema changes).
 */
import type { SqlValue } from '../format/sql-value.ts';
import type { ScalarFunction } from './functions.ts';
import type { AggregateDef } from './aggregates.ts';

/** A user table: VirtualTable's contract (sql/vtab.ts) without the context argument. */
export interface UserTable {
  readonly name: string;
  readonly columns: readonly string[];
  readonly parameters: readonly string[];
  readonly strictParameters: true;
  rows(args: readonly (SqlValue | undefined)[]): Iterable<readonly SqlValue[]>;
}

export interface UserFunctions {
  scalar(name: string, nargs: number): ScalarFunction | undefined;
  aggregate(name: string, nargs: number): AggregateDef | undefined;
  table(name: string): UserTable | undefined;
  /** Whether SQL may name the function from a view, trigger, CHECK, DEFAULT or index (false: directOnly). */
  addScalar(name: string, nargs: number, f: ScalarFunction): void;
  addAggregate(name: string, nargs: number, def: AggregateDef): void;
  addTable(name: string, t: UserTable): void;
}

/** An empty registry. Names are folded (ASCII lower case) by the caller. */
export function createUserFunctions(): UserFunctions {
  const scalars = new Map<string, Map<number, ScalarFunction>>();
  const aggregates = new Map<string, Map<number, AggregateDef>>();
  const tables = new Map<string, UserTable>();
  const pick = <T>(m: Map<string, Map<number, T>>, name: string, nargs: number): T | 'arity' | undefined => {
    const byCount = m.get(name);
    if (byCount === undefined) return undefined;
    return byCount.get(nargs) ?? byCount.get(-1) ?? 'arity';
  };
  return {
    scalar(name, nargs) {
      const f = pick(scalars, name, nargs);
      if (f !== 'arity') return f;
      return { name, minArgs: Infinity, maxArgs: -1, deterministic: false, fn: () => null };
    },
    aggregate(name, nargs) {
      const a = pick(aggregates, name, nargs);
      return a === 'arity' ? undefined : a;
    },
    table: (name) => tables.get(name),
    addScalar(name, nargs, f) {
      let m = scalars.get(name);
      if (m === undefined) scalars.set(name, (m = new Map()));
      m.set(nargs, f);
    },
    addAggregate(name, nargs, def) {
      let m = aggregates.get(name);
      if (m === undefined) aggregates.set(name, (m = new Map()));
      m.set(nargs, def);
    },
    addTable(name, t) {
      tables.set(name, t);
    },
  };
}
