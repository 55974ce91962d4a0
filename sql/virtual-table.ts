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
  rows(args: readonly (SqlValue | undefined)[], ctx: VirtualTableContext): Iterable<readonly SqlValue[]>;
}
