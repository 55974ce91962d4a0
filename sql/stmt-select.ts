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
export function columnOriginsOf(q: A.Query, catalog: Catalog, depth = 0): (ColumnOrigin | null)[] | null {
  if (q.body.kind !== 'SelectCore' || depth > 32) return null;
  return coreOrigins(q.body, catalog, depth).map((c) => c.origin);
}

/** One result column of a FROM item or a SELECT: its name and where it comes from (null: an expression). */
interface NamedOrigin {
  readonly name: string | null;
  readonly origin: ColumnOrigin | null;
}

/** A SELECT core's result columns with their origins; a view in FROM passes on its own (as sqlite3_column_table_name does). */
function coreOrigins(core: A.SelectCore, catalog: Catalog, depth: number): NamedOrigin[] {
  const sources = new Map<string, NamedOrigin[]>();
  const collect = (f: A.FromItem | null): void => {
    if (f === null) return;
    if (f.kind === 'Table') {
      if (f.args !== undefined) return;
      const t = catalog.table(f.name);
      if (t) {
        sources.set(fold(f.alias ?? f.name), t.columns.map((c) => ({ name: c.name, origin: { table: t.name, column: c.name, type: c.declType || null } })));
        return;
      }
      const v = catalog.views.get(fold(f.name));
      if (v && v.query.body.kind === 'SelectCore' && depth < 32) {
        const inner = coreOrigins(v.query.body, catalog, depth + 1);
        sources.set(fold(f.alias ?? f.name), inner.map((c, i) => ({ name: v.columns?.[i] ?? c.name, origin: c.origin })));
      }
    } else if (f.kind === 'Join') {
      collect(f.left);
      collect(f.right);
    }
  };
  collect(core.from);
  const out: NamedOrigin[] = [];
  for (const rc of core.columns) {
    if (rc.kind === 'Star' || rc.kind === 'TableStar') {
      for (const [k, cols] of sources) if (rc.kind === 'Star' || fold(rc.table) === k) out.push(...cols);
      continue;
    }
    const e = rc.expr;
    if (e.kind !== 'Column') {
      out.push({ name: rc.alias, origin: null });
      continue;
    }
    let found: ColumnOrigin | null = null;
    for (const [k, cols] of sources) {
      if (e.table !== null && fold(e.table) !== k) continue;
      const c = cols.find((x) => x.name !== null && fold(x.name) === fold(e.column));
      if (c !== undefined) {
        found = c.origin;
        break;
      }
    }
    out.push({ name: rc.alias ?? e.column, origin: found });
  }
  return out;
}

export interface ColumnOrigin {
  readonly table: string;
  readonly column: string;
  readonly type: string | null;
}
