/**
 * What INSERT, UPDATE and DELETE share at the statement level: the session
 * state a DML statement reads and moves (`DmlSession`: changes(),
 * total_changes(), last_insert_rowid(), the rows changed so far that OR FAIL
 * keeps), the target-table lookup (views and sqlite_* tables cannot be
 * written), RETURNING, evaluated on each written row as it is written, and
 * the Program every DML statement compiles to (dmlProgram).
 */
import type * as A from './ast.ts';
import type { ConflictAction } from './ast.ts';
import type { Program } from './program.ts';
import type { SqlValue } from '../format/sql-value.ts';
import { fold, type TableInfo } from './catalog.ts';
import type { CExpr, ColMeta, Frame, Row } from './expr-compile.ts';
import type { Planner } from './planner.ts';
import type { TableWriter } from './constraints.ts';
import type { RowChangeContext } from './row-update.ts';
import type { PseudoRows } from './planner.ts';
import { sqlErr } from './sql-error.ts';

/** What a DML statement needs of the session. */
export interface DmlSession extends RowChangeContext {
  /** The OLD / NEW rows while a trigger body statement is compiled (planner.ts PlanContext.pseudo), else null. */
  readonly planningPseudo: PseudoRows | null;
  /** The running statement's 'now' (ms since the epoch). */
  readonly nowMs: number;
  lastRowid: number | bigint;
  /** changes(): rows changed by the last DML statement. */
  changesCount: number;
  totalChangesCount: number;
  /** Rows changed so far by the running DML statement (what OR FAIL keeps). */
  stmtChanges: number;
  /** A frame for one execution with `params` bound. */
  frame(params: readonly SqlValue[]): Frame;
}

/** rowid, oid and _rowid_ name the rowid when no column has that name. */
export { ROWID_NAMES } from './rowids.ts';

/** The table a statement writes (a view or a sqlite_* table is an error). */
export function tableOrThrow(catalog: RowChangeContext['catalog'], name: string, pos?: { line: number; column: number }, forWrite = true, schema: string | null = null): TableInfo {
  const t = catalog.table(name, schema);
  // A TEMP virtual table shadows a main table of the same name.
  const shadowed = t !== undefined && !t.temp && schema === null && catalog.tempVirtualTables.has(fold(name));
  if (t && !shadowed) return t;
  if (forWrite && catalog.views.has(fold(name))) throw sqlErr(`cannot modify ${name} because it is a view`, pos);
  const k = fold(name);
  // SQLite names sqlite_master for either name of the schema table (sql/schema-write.ts writes it under writable_schema).
  if (k === 'sqlite_schema' || k === 'sqlite_master') throw sqlErr('table sqlite_master may not be modified', pos);
  if (k === 'sqlite_temp_schema' || k === 'sqlite_temp_master') throw sqlErr('table sqlite_temp_master may not be modified', pos);
  if (k === 'sqlite_sequence') throw sqlErr(`table ${name} may not be modified`, pos);
  if (catalog.virtualTable(name, schema) !== undefined) throw sqlErr(`table ${name} may not be modified`, pos);
  throw sqlErr(`no such table: ${name}`, pos);
}

/** A compiled RETURNING clause: its result columns, and their values for a written row. */
export interface Returning {
  readonly columns: ColMeta[];
  /** Where each column comes from (a column of the written table), for columns() as SQLite reports it. */
  readonly origins: ({ readonly table: string; readonly column: string; readonly type: string | null } | null)[];
  eval(f: Frame, row: Row): Row;
}

/** Compiles RETURNING over the writer's row (`*` is the table's columns). */
export function compileReturning(cols: readonly A.ResultColumn[], w: Pick<TableWriter, 'scope' | 'slot'>, planner: Planner): Returning {
  const evs: CExpr[] = [];
  const columns: ColMeta[] = [];
  const origins: Returning['origins'] = [];
  const src = w.scope.sources[0]!;
  const t = src.table;
  const originOf = (name: string): Returning['origins'][number] => {
    const i = t?.columnIndex.get(fold(name));
    return t === null || t === undefined || i === undefined ? null : { table: t.name, column: t.columns[i]!.name, type: t.columns[i]!.declType || null };
  };
  for (const rc of cols) {
    if (rc.kind === 'Star' || rc.kind === 'TableStar') {
      src.columns.forEach((c, i) => {
        evs.push({ ev: (f) => f.rows[w.slot]![i]!, aff: c.aff, coll: c.coll, explicitColl: false });
        columns.push({ name: c.name, aff: c.aff, coll: c.coll });
        origins.push(originOf(c.name));
      });
      continue;
    }
    const c = planner.comp.compile(rc.expr, w.scope);
    evs.push(c);
    columns.push({ name: rc.alias ?? (rc.expr.kind === 'Column' ? rc.expr.column : rc.text), aff: c.aff, coll: c.coll ?? 'BINARY' });
    origins.push(rc.expr.kind === 'Column' && (rc.expr.table === null || fold(rc.expr.table) === fold(src.name)) ? originOf(rc.expr.column) : null);
  }
  return {
    columns,
    origins,
    eval: (f, row) => {
      f.rows[w.slot] = row;
      return evs.map((e) => e.ev(f));
    },
  };
}

/**
 * The Program of an INSERT, UPDATE or DELETE (on a table or through a view's
 * INSTEAD OF triggers) around its `execute`, which must end with
 * `dmlDone`. `execute` is used as is, not wrapped: trigger programs nest one
 * statement's execute inside another's up to 1000 levels, so every stack
 * frame per level counts (see the README on trigger depth).
 */
export function dmlProgram(version: number, returning: Returning | null, execute: Program['execute']): Program {
  return { dml: true, columns: returning ? returning.columns : null, origins: returning ? returning.origins : null, declTypes: null, readonly: false, schemaVersion: version, execute };
}

/**
 * The conflict action in force for a DML statement whose own is
 * `orConflict`: inside a trigger, the OR … of the statement that fired it
 * wins (sql/trigger.ts).
 */
export function conflictAction(s: DmlSession, orConflict: ConflictAction | null): ConflictAction | null {
  return s.triggers.conflictOverride ?? orConflict;
}

/** Ends one execution that changed `changes` rows itself: they become changes() and are added to total_changes(). */
export function dmlDone(s: DmlSession, changes: number): { changes: number; lastInsertRowid: number | bigint } {
  s.changesCount = changes;
  s.totalChangesCount += changes;
  return { changes, lastInsertRowid: s.lastRowid };
}
