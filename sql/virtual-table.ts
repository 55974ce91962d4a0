/**
 * The contract between the SQL engine and a table-valued function's rows
 * (described in full in vtab.ts, which holds the registry of built-in
 * ones). A leaf file: the functions (json-each.ts, pragma.ts) and the plan
 * (plan.ts) name the type without importing the registry.
 */
import type { SqlValue } from '../format/sql-value.ts';
import type { Catalog } from './catalog.ts';

/** What a table-valued function may read while producing rows. */
export interface VirtualTableContext {
  readonly catalog: Catalog;
}

export interface VirtualTable {
  readonly name: string;
  readonly columns: readonly string[];
  readonly parameters: readonly string[];
  /**
   * Columns whose text values may be JsonText (text with SQLite's JSON
   * subtype, sql/json.ts): json_each's value, so `json_group_array(value)`
   * nests arrays instead of quoting them. Readers see plain text.
   */
  readonly jsonColumns?: readonly string[];
  /**
   * The rowid of the row `row` (its visible and reported hidden values), the
   * `ordinal`-th (from 0) of one call of `rows`. Default: ordinal + 1, as
   * better-sqlite3's tables and SQLite's pragma functions number their rows.
   */
  rowid?(row: readonly SqlValue[], ordinal: number): SqlValue;
  /**
   * better-sqlite3's rules for its tables (db.table, sql/compat-functions.ts):
   * a parameter may only be constrained by `=` or `IN (list)` (any other
   * operator on it is an error at prepare); the function is only called
   * once every such constraint on its parameters can bind them (its level
   * waits for the tables they read); an IN list runs it once per value;
   * several equalities on one parameter, or tying two parameters
   * (`"$2" = "$1"`), bind it to one value, the others having to be equal to
   * it or the function is not called, as SQLite's constant propagation
   * arranges (planner.ts strictFunctionAccess).
   */
  readonly strictParameters?: boolean;
  rows(args: readonly (SqlValue | undefined)[], ctx: VirtualTableContext): Iterable<readonly SqlValue[]>;
}
