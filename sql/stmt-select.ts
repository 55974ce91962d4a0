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
  if (q.body.kind !== 'SelectCore') return null;
  const core = q.body;
  const tables = new Map<string, TableInfo>();
  const collect = (f: A.FromItem | null): void => {
    if (f === null) return;
    if (f.kind === 'Table') {
      const t = catalog.table(f.name);
      if (t) tables.set(fold(f.alias ?? f.name), t);
    } else if (f.kind === 'Join') {
      collect(f.left);
      collect(f.right);
    }
  };
  collect(core.from);
  const out: (string | null)[] = [];
  for (const rc of core.columns) {
    if (rc.kind === 'Star' || rc.kind === 'TableStar') {
      for (const [k, t] of tables) if (rc.kind === 'Star' || fold(rc.table) === k) for (const c of t.columns) out.push(c.declType || null);
      continue;
    }
    let e = rc.expr;
    if (e.kind !== 'Column') {
      out.push(null);
      continue;
    }
    const col = e.column;
    const tab = e.table;
    let found: string | null = null;
    for (const [k, t] of tables) {
      if (tab !== null && fold(tab) !== k) continue;
      const i = t.columnIndex.get(fold(col));
      if (i !== undefined) {
        found = t.columns[i]!.declType || null;
        break;
      }
    }
    out.push(found);
    e = rc.expr;
  }
  return out;
}
