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
 * - A table follows VirtualTable (sql/vtab.ts) minus the catalog context;
 *   a module makes one per CREATE VIRTUAL TABLE (UserModule).
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

/** What a module's constructor is told about the table it makes (better-sqlite3's factory `this`). */
export interface ModuleContext {
  /** The module name as CREATE VIRTUAL TABLE wrote it. */
  readonly module: string;
  /** The schema: 'main', or 'temp' for CREATE VIRTUAL TABLE temp.name. */
  readonly database: string;
  /** The table's name as written. */
  readonly table: string;
}

/**
 * A module CREATE VIRTUAL TABLE … USING name(args) names (the drop-in's
 * db.table(name, factory)): `connect` makes a table's definition from its
 * arguments (their source text, sql/ast.ts CreateVirtualTableStmt), once per
 * table and connection (SQLite's xCreate / xConnect); what it throws reaches
 * the statement's caller unchanged.
 */
export interface UserModule {
  readonly name: string;
  connect(ctx: ModuleContext, args: readonly string[]): UserTable;
}

export interface UserFunctions {
  scalar(name: string, nargs: number): ScalarFunction | undefined;
  aggregate(name: string, nargs: number): AggregateDef | undefined;
  /** An eponymous table (db.table(name, definition)); a module is not one. */
  table(name: string): UserTable | undefined;
  module(name: string): UserModule | undefined;
  /**
   * The table a CREATE VIRTUAL TABLE made, connected through `module` on this
   * connection: `key` names the table's definition (sql/vtab-ddl.ts), `make`
   * connects it the first time. Registering the module again disconnects it.
   */
  connected(key: string, module: string, make: () => UserTable): UserTable;
  /** Forgets the connection of `key` (DROP TABLE). */
  disconnect(key: string): void;
  /** Whether SQL may name the function from a view, trigger, CHECK, DEFAULT or index (false: directOnly). */
  addScalar(name: string, nargs: number, f: ScalarFunction): void;
  addAggregate(name: string, nargs: number, def: AggregateDef): void;
  /** Registers an eponymous table; replaces a module of the same name (one namespace, as sqlite3_create_module). */
  addTable(name: string, t: UserTable): void;
  /** Registers a module; replaces an eponymous table of the same name. */
  addModule(name: string, m: UserModule): void;
}

/** An empty registry. Names are folded (ASCII lower case) by the caller. */
export function createUserFunctions(): UserFunctions {
  const scalars = new Map<string, Map<number, ScalarFunction>>();
  const aggregates = new Map<string, Map<number, AggregateDef>>();
  const tables = new Map<string, UserTable>();
  const modules = new Map<string, UserModule>();
  const connections = new Map<string, { readonly module: string; readonly table: UserTable }>();
  const disconnectModule = (name: string): void => {
    for (const [k, c] of connections) if (c.module === name) connections.delete(k);
  };
  const pick = <T>(m: Map<string, Map<number, T>>, name: string, nargs: number): T | 'arity' | undefined => {
    const byCount = m.get(name);
    if (byCount === undefined) return undefined;
    return byCount.get(nargs) ?? byCount.get(-1) ?? 'arity';
  };
  return {
    scalar(name, nargs) {
      const f = pick(scalars, name, nargs);
      if (f !== 'arity' && (f !== undefined || !aggregates.has(name))) return f;
      // Known by this name with other argument counts only (a scalar or an aggregate): the call is "wrong number of arguments".
      return { name, minArgs: Infinity, maxArgs: -1, deterministic: false, fn: () => null };
    },
    aggregate(name, nargs) {
      const a = pick(aggregates, name, nargs);
      return a === 'arity' ? undefined : a;
    },
    table: (name) => tables.get(name),
    module: (name) => modules.get(name),
    connected(key, module, make) {
      const c = connections.get(key);
      if (c !== undefined) return c.table;
      const table = make();
      connections.set(key, { module, table });
      return table;
    },
    disconnect(key) {
      connections.delete(key);
    },
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
      modules.delete(name);
      disconnectModule(name);
      tables.set(name, t);
    },
    addModule(name, m) {
      tables.delete(name);
      disconnectModule(name);
      modules.set(name, m);
    },
  };
}
