/**
 * UPDATE and DELETE. Both first materialise the rows their WHERE selects
 * (through the planner's access path for the target table, INDEXED BY
 * honoured), then change them one by one, so a write never disturbs the
 * scan. UPDATE evaluates every SET on the old row and replaces it under the
 * constraints (row-update.ts); DELETE runs the foreign-key actions of each
 * row, skipping rows a cascade already removed. Not supported: UPDATE …
 * FROM, and WITH before UPDATE or DELETE.
 */
import type * as A from './ast.ts';
import { rowKey } from '../format/table-key.ts';
import type { TableInfo } from './catalog.ts';
import type { Frame, Row } from './expr-compile.ts';
import { Planner } from './planner.ts';
import type { Program } from './program.ts';
import { compileTableWriter, removeRow, type TableWriter } from './constraints.ts';
import { childRefs, childRemoved } from './foreign-keys.ts';
import { applyUpdate, compileSets } from './row-update.ts';
import { compileReturning, tableOrThrow, type DmlSession } from './dml.ts';
import { sqlErr } from './sql-error.ts';

/** The writer of the target table and its WHERE scan, planned in the writer's scope (the source is named by the alias). */
function targetScan(planner: Planner, table: A.QualifiedTable, where: A.Expr | null, t: TableInfo): { w: TableWriter; run: (f: Frame) => Row[] } {
  const w = compileTableWriter(t, planner);
  // Re-plan the scan in the writer's scope: the source is named by the alias.
  const scope = w.scope;
  const src = scope.sources[0]!;
  if (table.alias !== null) (src as { name: string }).name = table.alias;
  const run = planner.tableScan(src, t, where, scope, table.indexedBy);
  return { w, run };
}

export function compileUpdate(s: DmlSession, stmt: A.UpdateStmt, version: number): Program {
  if (stmt.from !== null) throw sqlErr('UPDATE … FROM is not supported', stmt.pos);
  if (stmt.with !== null) throw sqlErr('WITH … UPDATE is not supported', stmt.pos);
  const t = tableOrThrow(s.catalog, stmt.table.name, stmt.table.pos);
  const planner = new Planner({ catalog: s.catalog, store: () => s.overlay });
  const { w, run } = targetScan(planner, stmt.table, stmt.where, t);
  const sets = compileSets(stmt.sets, t, planner, w.scope);
  const returning = stmt.returning ? compileReturning(stmt.returning, w, planner) : null;
  const orAction = stmt.orConflict;
  const setCols = new Set(sets.map((x) => x.col));
  return {
    dml: true,
    columns: returning ? returning.columns : null,
    declTypes: null,
    readonly: false,
    schemaVersion: version,
    execute: (params, emit) => {
      const f = s.frame(params);
      const rows = run(f);
      let changes = 0;
      for (const old of rows) {
        f.rows[w.slot] = old;
        const nr = old.slice();
        for (const set of sets) nr[set.col] = set.ev(f);
        const res = applyUpdate(s, w, old, nr, f, orAction, setCols);
        if (res === null) continue;
        changes++;
        s.stmtChanges++;
        if (returning) emit(returning.eval(f, res));
      }
      s.changesCount = changes;
      s.totalChangesCount += changes;
      return { changes, lastInsertRowid: s.lastRowid };
    },
  };
}

export function compileDelete(s: DmlSession, stmt: A.DeleteStmt, version: number): Program {
  if (stmt.with !== null) throw sqlErr('WITH … DELETE is not supported', stmt.pos);
  const t = tableOrThrow(s.catalog, stmt.table.name, stmt.table.pos);
  const planner = new Planner({ catalog: s.catalog, store: () => s.overlay });
  const { w, run } = targetScan(planner, stmt.table, stmt.where, t);
  const returning = stmt.returning ? compileReturning(stmt.returning, w, planner) : null;
  return {
    dml: true,
    columns: returning ? returning.columns : null,
    declTypes: null,
    readonly: false,
    schemaVersion: version,
    execute: (params, emit) => {
      const f = s.frame(params);
      const rows = run(f);
      let changes = 0;
      for (const old of rows) {
        // A cascade may already have removed the row.
        if (s.foreignKeys && s.overlay.get(rowKey(t.id, old[t.columns.length] as number | bigint)) === undefined) continue;
        childRefs(s, t, old, null, f, 0);
        childRemoved(s, t, old);
        removeRow(s, w, old, f);
        changes++;
        s.stmtChanges++;
        if (returning) emit(returning.eval(f, old));
      }
      s.changesCount = changes;
      s.totalChangesCount += changes;
      return { changes, lastInsertRowid: s.lastRowid };
    },
  };
}
