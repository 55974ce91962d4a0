/**
 * UPDATE and DELETE. Both first materialise the rows their WHERE selects
 * (through the planner's access path for the target table, INDEXED BY
 * honoured), then change them one by one, so a write never disturbs the
 * scan. UPDATE evaluates every SET on the old row and replaces it under the
 * constraints (row-update.ts); DELETE runs the foreign-key actions of each
 * row, skipping rows a cascade already removed. With triggers on the table
 * each row is read again when its turn comes (an earlier row's trigger may
 * have changed or deleted it, as SQLite's two-pass plan sees), BEFORE
 * triggers fire first (and the row is read once more after them: what they
 * deleted is skipped, the columns the UPDATE does not assign are taken as
 * they left them), AFTER triggers after the write. A view with INSTEAD OF
 * triggers is written through them (trigger-view.ts). UPDATE … FROM runs
 * as SQLite's does: the join `SELECT target.rowid, <SET values> FROM target,
 * <from> WHERE …` is materialised first (every SET value computed on the
 * rows as they were before the statement), keyed by the target's rowid so
 * that when the join matches a target row several times the last match in
 * join order wins (SQLite writes its ephemeral table by rowid, overwriting);
 * then the target rows are updated in rowid order. A WITH before UPDATE or
 * DELETE names CTEs for the WHERE, SET and RETURNING expressions.
 */
import type * as A from './ast.ts';
import { rowKey } from '../format/table-key.ts';
import type { ConflictAction } from './ast.ts';
import { applyAffinity, compareValues } from './value.ts';
import { fold, type TableInfo } from './catalog.ts';
import type { Frame, Row } from './expr-compile.ts';
import { Planner } from './planner.ts';
import type { Program } from './program.ts';
import { compileTableWriter, loadRow, removeRow, type TableWriter } from './constraints.ts';
import { childRefs, childRemoved, prepareForeignKeys } from './foreign-keys.ts';
import { applyUpdate, compileSets, setTargets, setValues } from './row-update.ts';
import { compileReturning, conflictAction, dmlDone, dmlProgram, tableOrThrow, type DmlSession } from './dml.ts';
import { compileViewDelete, compileViewUpdate } from './trigger-view.ts';
import { sqlErr } from './sql-error.ts';

/** The writer of the target table and its WHERE scan, planned in the writer's scope (the source is named by the alias). */
/**
 * Updates one row, old → nr (nr: every column and the rowid, SETs applied),
 * with the table's UPDATE triggers: BEFORE sees NEW with the columns'
 * affinity applied; then the row is read again (null when a BEFORE trigger
 * deleted it: the row is skipped) and the columns not assigned are taken
 * from it; AFTER sees the row written. `setCols`: the columns the UPDATE
 * assigns (the rowid as t.columns.length). Returns the row written, or null when skipped.
 */
/**
 * `written` runs once the row is written, before its AFTER UPDATE triggers: the row counts
 * in changes() even when one of them then fails with RAISE(FAIL), as in SQLite.
 */
export function updateRow(s: DmlSession, w: TableWriter, old: Row, nr: Row, f: Frame, orAction: ConflictAction | null, setCols: ReadonlySet<number>, written?: () => void): Row | null {
  const changed = (c: number): boolean => setCols.has(c);
  const t = w.t;
  const n = t.columns.length;
  if (s.triggers.has(t.name, 'BEFORE', 'UPDATE')) {
    const nb = nr.slice();
    for (let i = 0; i < n; i++) nb[i] = applyAffinity(nb[i]!, t.columns[i]!.affinity);
    if (t.rowidAlias >= 0) {
      if (compareValues(nb[t.rowidAlias]!, old[t.rowidAlias]!) !== 0) nb[n] = applyAffinity(nb[t.rowidAlias]!, 'INTEGER');
      else nb[t.rowidAlias] = nb[n]!;
    }
    if (!s.triggers.fire(t.name, 'BEFORE', 'UPDATE', old, nb, changed, orAction)) return null;
    const cur = loadRow(s.overlay, t, old[n] as number | bigint);
    if (cur === null) return null;
    for (let i = 0; i <= n; i++) if (!changed(i) && !(i === n && t.rowidAlias >= 0 && changed(t.rowidAlias))) nr[i] = cur[i]!;
    if (t.rowidAlias >= 0 && !changed(t.rowidAlias) && !changed(n)) nr[t.rowidAlias] = cur[n]!;
    old = cur;
  }
  const res = applyUpdate(s, w, old, nr, f, orAction, setCols);
  if (res !== null) written?.();
  if (res !== null && s.triggers.has(t.name, 'AFTER', 'UPDATE')) s.triggers.fire(t.name, 'AFTER', 'UPDATE', old, res, changed, orAction);
  return res;
}

/**
 * One row of an UPDATE: through its triggers when `triggered`. `count` runs as the row is
 * written — before its AFTER triggers, so a row whose AFTER trigger fails is still counted, as
 * SQLite's changes() counts it.
 */
function writeUpdate(s: DmlSession, w: TableWriter, old: Row, nr: Row, f: Frame, orAction: ConflictAction | null, setCols: ReadonlySet<number>, triggered: boolean, count: () => void): Row | null {
  const written = (): void => {
    s.stmtChanges++;
    count();
  };
  if (triggered) return updateRow(s, w, old, nr, f, orAction, setCols, written);
  const res = applyUpdate(s, w, old, nr, f, orAction, setCols);
  if (res !== null) written();
  return res;
}

function targetScan(planner: Planner, table: A.QualifiedTable, where: A.Expr | null, t: TableInfo, withClause: A.WithClause | null): { w: TableWriter; run: (f: Frame) => Row[] } {
  const w = compileTableWriter(t, planner);
  if (withClause !== null) planner.withCtes(withClause, w.scope);
  // Re-plan the scan in the writer's scope: the source is named by the alias.
  const scope = w.scope;
  const src = scope.sources[0]!;
  if (table.alias !== null) (src as { name: string }).name = table.alias;
  const run = planner.tableScan(src, t, where, scope, table.indexedBy);
  return { w, run };
}

/** Puts the target first in the FROM list, as SQLite's flat source list does (`FROM u LEFT JOIN v` becomes `target, u LEFT JOIN v`). */
function prependTarget(target: A.FromItem, from: A.FromItem): A.FromItem {
  if (from.kind === 'Join') return { ...from, left: prependTarget(target, from.left) };
  return { kind: 'Join', pos: from.pos, joinType: 'INNER', natural: false, comma: true, left: target, right: from, on: null, using: null };
}

/**
 * UPDATE … FROM's join: per target rowid (in rowid order) the values of the
 * SET expressions, flattened (a row-value SET gives one per column), the
 * last match in join order winning.
 */
function fromJoin(planner: Planner, stmt: A.UpdateStmt, from: A.FromItem, t: TableInfo): (f: Frame) => [number | bigint, Row][] {
  const pos = stmt.table.pos;
  const rowidName = ['rowid', 'oid', '_rowid_'].find((r) => !t.columnIndex.has(r));
  if (rowidName === undefined) throw sqlErr(`no such column: rowid`, pos);
  const qual = stmt.table.alias ?? t.name;
  const named = (it: A.FromItem): A.TableRef | null => (it.kind === 'Join' ? named(it.left) ?? named(it.right) : it.kind === 'Table' && it.alias === null && fold(it.name) === fold(qual) ? it : null);
  const clash = named(from);
  if (clash !== null) throw sqlErr(`target object/alias may not appear in FROM clause: ${clash.name}`, clash.pos);
  const expr = (e: A.Expr, text: string): A.ResultColumn => ({ kind: 'Expr', pos: e.pos, expr: e, alias: null, text });
  const columns: A.ResultColumn[] = [expr({ kind: 'Column', pos, schema: null, table: qual, column: rowidName, doubleQuoted: false }, rowidName)];
  for (const set of stmt.sets) for (const v of setValues(set)) columns.push(expr(v, ''));
  const target: A.TableRef = { kind: 'Table', pos, schema: stmt.table.schema, name: stmt.table.name, alias: stmt.table.alias, indexedBy: stmt.table.indexedBy };
  const q: A.Query = {
    kind: 'Query',
    pos,
    with: stmt.with,
    body: { kind: 'SelectCore', pos, distinct: false, columns, from: prependTarget(target, from), where: stmt.where, groupBy: [], having: null },
    orderBy: [],
    limit: null,
    offset: null,
  };
  const plan = planner.query(q, null);
  return (f) => {
    const byRowid = new Map<number | bigint, Row>();
    plan.run(f, (r) => {
      const rowid = r[0]!;
      // An aggregate SET over a join that matched nothing still yields one row, with a NULL rowid: SQLite skips it.
      if (rowid !== null) byRowid.set(rowid as number | bigint, r);
      return true;
    });
    return [...byRowid].sort((a, b) => compareValues(a[0], b[0]));
  };
}

/** UPDATE … FROM (see the file comment). */
function compileUpdateFrom(s: DmlSession, stmt: A.UpdateStmt, from: A.FromItem, t: TableInfo, version: number): Program {
  const planner = new Planner({ catalog: s.catalog, store: () => s.overlay, pseudo: s.planningPseudo });
  const join = fromJoin(planner, stmt, from, t);
  const w = compileTableWriter(t, planner);
  if (stmt.with !== null) planner.withCtes(stmt.with, w.scope);
  if (stmt.table.alias !== null) (w.scope.sources[0]! as { name: string }).name = stmt.table.alias;
  // The SET targets, in the order of the join's value columns (their expressions are compiled in the join).
  const targets = setTargets(stmt.sets, t);
  const returning = stmt.returning ? compileReturning(stmt.returning, w, planner) : null;
  const setCols = new Set(targets);
  s.triggers.prepare(t.name, 'UPDATE', (i) => setCols.has(i));
  const triggered = s.triggers.has(t.name, 'BEFORE', 'UPDATE') || s.triggers.has(t.name, 'AFTER', 'UPDATE');
  return dmlProgram(version, returning, (params, emit) => {
    prepareForeignKeys(s, t, 'UPDATE', setCols);
    const f = s.frame(params);
    const orAction = conflictAction(s, stmt.orConflict);
    let changes = 0;
    for (const [rowid, vals] of join(f)) {
      // Read when its turn comes: an earlier row's trigger, cascade or REPLACE may have changed or deleted it.
      const old = loadRow(s.overlay, t, rowid);
      if (old === null) continue;
      f.rows[w.slot] = old;
      const nr = old.slice();
      for (let i = 0; i < targets.length; i++) nr[targets[i]!] = vals[i + 1]!;
      const res = writeUpdate(s, w, old, nr, f, orAction, setCols, triggered, () => changes++);
      if (res === null) continue;
      if (returning) emit(returning.eval(f, res));
    }
    return dmlDone(s, changes);
  });
}

export function compileUpdate(s: DmlSession, stmt: A.UpdateStmt, version: number): Program {
  const view = s.catalog.views.get(fold(stmt.table.name));
  if (view !== undefined && s.triggers.has(view.name, 'INSTEAD OF', 'UPDATE')) return compileViewUpdate(s, stmt, version);
  const t = tableOrThrow(s.catalog, stmt.table.name, stmt.table.pos, true, stmt.table.schema);
  if (stmt.from !== null) return compileUpdateFrom(s, stmt, stmt.from, t, version);
  const planner = new Planner({ catalog: s.catalog, store: () => s.overlay, pseudo: s.planningPseudo });
  const { w, run } = targetScan(planner, stmt.table, stmt.where, t, stmt.with);
  const sets = compileSets(stmt.sets, t, planner, w.scope);
  const returning = stmt.returning ? compileReturning(stmt.returning, w, planner) : null;
  const setCols = new Set(sets.map((x) => x.col));
  s.triggers.prepare(t.name, 'UPDATE', (i) => setCols.has(i));
  const triggered = s.triggers.has(t.name, 'BEFORE', 'UPDATE') || s.triggers.has(t.name, 'AFTER', 'UPDATE');
  const n = t.columns.length;
  return dmlProgram(version, returning, (params, emit) => {
    prepareForeignKeys(s, t, 'UPDATE', setCols);
    const f = s.frame(params);
    const orAction = conflictAction(s, stmt.orConflict);
    const rows = run(f);
    let changes = 0;
    for (let old of rows) {
      if (triggered) {
        // An earlier row's trigger may have changed or deleted this one.
        const cur = loadRow(s.overlay, t, old[n] as number | bigint);
        if (cur === null) continue;
        old = cur;
      }
      f.rows[w.slot] = old;
      const nr = old.slice();
      for (const set of sets) nr[set.col] = set.ev(f);
      const res = writeUpdate(s, w, old, nr, f, orAction, setCols, triggered, () => changes++);
      if (res === null) continue;
      if (returning) emit(returning.eval(f, res));
    }
    return dmlDone(s, changes);
  });
}

export function compileDelete(s: DmlSession, stmt: A.DeleteStmt, version: number): Program {
  const view = s.catalog.views.get(fold(stmt.table.name));
  if (view !== undefined && s.triggers.has(view.name, 'INSTEAD OF', 'DELETE')) return compileViewDelete(s, stmt, version);
  const t = tableOrThrow(s.catalog, stmt.table.name, stmt.table.pos, true, stmt.table.schema);
  s.triggers.prepare(t.name, 'DELETE');
  const planner = new Planner({ catalog: s.catalog, store: () => s.overlay, pseudo: s.planningPseudo });
  const { w, run } = targetScan(planner, stmt.table, stmt.where, t, stmt.with);
  const returning = stmt.returning ? compileReturning(stmt.returning, w, planner) : null;
  const before = s.triggers.has(t.name, 'BEFORE', 'DELETE');
  const after = s.triggers.has(t.name, 'AFTER', 'DELETE');
  const n = t.columns.length;
  return dmlProgram(version, returning, (params, emit) => {
    prepareForeignKeys(s, t, 'DELETE');
    const f = s.frame(params);
    const orAction = conflictAction(s, null);
    const rows = run(f);
    let changes = 0;
    for (let old of rows) {
      if (before || after) {
        // An earlier row's trigger may have changed or deleted this one.
        const cur = loadRow(s.overlay, t, old[n] as number | bigint);
        if (cur === null) continue;
        old = cur;
      }
      // A cascade may already have removed the row.
      else if (s.foreignKeys && s.overlay.get(rowKey(t.id, old[t.columns.length] as number | bigint)) === undefined) continue;
      // As SQLite (its OLD registers are loaded once): a BEFORE trigger that changes the row changes what is
      // removed, but OLD in AFTER triggers, RETURNING and the foreign-key work keep the values read first.
      let cur = old;
      if (before) {
        if (!s.triggers.fire(t.name, 'BEFORE', 'DELETE', old, null, null, orAction)) continue;
        const now = loadRow(s.overlay, t, old[n] as number | bigint);
        if (now === null) continue;
        cur = now;
      }
      // As SQLite: the row is removed first, then its foreign-key actions run (a child's trigger no longer sees it).
      removeRow(s, w, cur, f);
      childRefs(s, t, old, null, f, 0);
      childRemoved(s, t, old);
      changes++;
      s.stmtChanges++;
      if (after) s.triggers.fire(t.name, 'AFTER', 'DELETE', old, null, null, orAction);
      if (returning) emit(returning.eval(f, old));
    }
    return dmlDone(s, changes);
  });
}
