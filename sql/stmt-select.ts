/**
 * SELECT (and VALUES and compound queries) as a Program: the planner's plan
 * run on a fresh frame per execution, and the declared types of the result
 * columns that are plain table columns (what Statement.columns() reports as
 * `type`, as SQLite's sqlite3_column_decltype).
 */
import type * as A from './ast.ts';
import type { SqlValue } from '../format/sql-value.ts';
import { fold, type Catalog, type TableInfo } from './catalog.ts';
import type { Frame } from './expr-compile.ts';
import { Planner } from './planner.ts';
import type { Overlay } from './txn.ts';
import type { Program } from './program.ts';

/** What a query needs of the session. */
export interface SelectSession {
  readonly catalog: Catalog;
  readonly overlay: Overlay;
  readonly lastRowid: number | bigint;
  readonly tempMemoryLimit: number;
  /** A frame for one execution with `params` bound. */
  frame(params: readonly SqlValue[]): Frame;
}

export function compileSelect(s: SelectSession, stmt: A.SelectStmt, version: number): Program {
  const planner = new Planner({ catalog: s.catalog, store: () => s.overlay, tempMemoryLimit: () => s.tempMemoryLimit });
  const plan = planner.query(stmt.query, null);
  return {
    columns: plan.columns,
    declTypes: declTypesOf(stmt.query, s.catalog),
    origins: columnOriginsOf(stmt.query, s.catalog),
    readonly: true,
    schemaVersion: version,
    execute: (params, emit) => {
      const f = s.frame(params);
      plan.run(f, emit);
      return { changes: 0, lastInsertRowid: s.lastRowid };
    },
    open: (params) => plan.open(s.frame(params)),
  };
}

/** Declared types of result columns that are plain table columns (Statement.columns()). */
function declTypesOf(q: A.Query, catalog: Catalog): (string | null)[] | null {
  const o = columnOriginsOf(q, catalog);
  return o === null ? null : o.map((c) => (c === null ? null : c.type));
}

/**
 * Where each result column comes from when it is a plain table column
 * (sqlite3_column_table_name / _origin_name / _decltype): the table's and
 * column's names as declared, and the declared type (null when none).
 * Null for a compound query; a null entry for an expression.
 */
export function columnOriginsOf(q: A.Query, catalog: Catalog): (ColumnOrigin | null)[] | null {
  if (q.body.kind !== 'SelectCore') return null;
  const core = q.body;
  const tables = new Map<string, TableInfo>();
  const collect = (f: A.FromItem | null): void => {
    if (f === null) return;
    if (f.kind === 'Table') {
      const t = f.args === undefined ? catalog.table(f.name) : undefined;
      if (t) tables.set(fold(f.alias ?? f.name), t);
    } else if (f.kind === 'Join') {
      collect(f.left);
      collect(f.right);
    }
  };
  collect(core.from);
  const out: (ColumnOrigin | null)[] = [];
  const origin = (t: TableInfo, i: number): ColumnOrigin => ({ table: t.name, column: t.columns[i]!.name, type: t.columns[i]!.declType || null });
  for (const rc of core.columns) {
    if (rc.kind === 'Star' || rc.kind === 'TableStar') {
      for (const [k, t] of tables) if (rc.kind === 'Star' || fold(rc.table) === k) t.columns.forEach((_, i) => out.push(origin(t, i)));
      continue;
    }
    const e = rc.expr;
    if (e.kind !== 'Column') {
      out.push(null);
      continue;
    }
    const col = e.column;
    const tab = e.table;
    let found: ColumnOrigin | null = null;
    for (const [k, t] of tables) {
      if (tab !== null && fold(tab) !== k) continue;
      const i = t.columnIndex.get(fold(col));
      if (i !== undefined) {
        found = origin(t, i);
        break;
      }
    }
    out.push(found);
  }
  return out;
}

export interface ColumnOrigin {
  readonly table: string;
  readonly column: string;
  readonly type: string | null;
}
