/**
 * Changing one existing row, shared by UPDATE and INSERT's upsert (DO
 * UPDATE): SET clauses, the new row's affinity and rowid (a NULL or
 * non-integer rowid is a datatype mismatch; UPDATE never picks a rowid),
 * NOT NULL and CHECK, uniqueness conflicts, then foreign keys (the new row's
 * parents, the old row's children). Also the resolution of one uniqueness
 * conflict by its conflict action, for INSERT and UPDATE alike: IGNORE skips
 * the row, REPLACE deletes the conflicting row (running its ON DELETE
 * actions), ABORT / FAIL / ROLLBACK throw.
 */
import type * as A from './ast.ts';
import type { ConflictAction } from './ast.ts';
import { HeliosError } from '../format/errors.ts';
import type { SqlValue } from '../format/sql-value.ts';
import { applyAffinity, compareValues } from './value.ts';
import { fold, type TableInfo } from './catalog.ts';
import type { Ev, Frame, Row, Scope } from './expr-compile.ts';
import type { Planner } from './planner.ts';
import { checkRow, conflictError, findConflicts, loadRow, putRow, removeRow, uniqueError, type Conflict, type TableWriter } from './constraints.ts';
import { checkParents, childRefs, childRemoved, parentAdded, type ForeignKeyContext } from './foreign-keys.ts';
import { ROWID_NAMES } from './rowids.ts';
import type { Triggers } from './trigger.ts';

/** What changing rows needs of the session: foreign keys, and the triggers REPLACE's deletes may fire. */
export interface RowChangeContext extends ForeignKeyContext {
  readonly triggers: Triggers;
  /** PRAGMA recursive_triggers: REPLACE's deletes fire DELETE triggers only when it is on (as SQLite). */
  readonly recursiveTriggers: boolean;
}
import { sqlErr } from './sql-error.ts';

/** A compiled SET assignment: column `col` (the rowid at t.columns.length) gets `ev`. */
export interface SetAssignment {
  readonly col: number;
  readonly ev: Ev;
}

/**
 * Applies the conflict action for one uniqueness conflict of INSERT or UPDATE:
 * 'skip' for IGNORE; for REPLACE the conflicting row is deleted (with its
 * foreign-key actions) and the statement goes on ('fired' when the delete
 * fired DELETE triggers, whose writes the caller must check again with
 * recheckAfterReplace); ABORT, FAIL and ROLLBACK throw.
 */
export function resolveConflict(s: RowChangeContext, w: TableWriter, c: Conflict, orAction: ConflictAction | null, f: Frame): 'skip' | 'replaced' | 'fired' {
  const t = w.t;
  const act = orAction ?? (c.ix === null ? t.pkConflict : c.ix.conflict) ?? 'ABORT';
  if (act === 'IGNORE') return 'skip';
  if (act === 'REPLACE') {
    let victim = loadRow(s.overlay, t, c.rowid);
    // As SQLite: the rows REPLACE deletes fire DELETE triggers only under recursive_triggers.
    const fire = victim !== null && s.recursiveTriggers;
    if (fire && victim !== null && s.triggers.fire(t.name, 'BEFORE', 'DELETE', victim, null, null, orAction)) victim = loadRow(s.overlay, t, c.rowid);
    if (victim) {
      childRefs(s, t, victim, null, f, 0);
      childRemoved(s, t, victim);
      removeRow(s, w, victim, f);
      if (fire) s.triggers.fire(t.name, 'AFTER', 'DELETE', victim, null, null, orAction);
    }
    return fire ? 'fired' : 'replaced';
  }
  throw conflictError(uniqueError(t, c.ix), act);
}

/**
 * SQLite's recheck after REPLACE deletes fired triggers: they may have
 * written a row the new one now conflicts with, and that is a plain ABORT
 * "UNIQUE constraint failed" (the rowid first, then each UNIQUE index), not
 * another REPLACE. `exclude` is an UPDATE's own old rowid.
 */
export function recheckAfterReplace(s: RowChangeContext, w: TableWriter, row: Row, rowid: number | bigint, exclude: number | bigint | null, f: Frame): void {
  const again = findConflicts(s, w, row, rowid, exclude, f);
  if (again.length > 0) throw uniqueError(w.t, again[0]!.ix);
}

/**
 * Replaces `old` by `nr` (affinity, constraints, conflicts). Returns the
 * written row or null when skipped. `setCols` are the columns the SET clauses
 * assign (the rowid as t.columns.length), which decide the foreign keys checked.
 */
export function applyUpdate(s: RowChangeContext, w: TableWriter, old: Row, nr: Row, f: Frame, orAction: ConflictAction | null, setCols: ReadonlySet<number> | null): Row | null {
  const t = w.t;
  const n = t.columns.length;
  for (let i = 0; i < n; i++) nr[i] = applyAffinity(nr[i]!, t.columns[i]!.affinity);
  const oldRowid = old[n] as number | bigint;
  // The rowid may change through the alias column or rowid itself.
  let rowidVal: SqlValue = nr[n]!;
  if (t.rowidAlias >= 0 && compareValues(nr[t.rowidAlias]!, old[t.rowidAlias]!) !== 0) rowidVal = nr[t.rowidAlias]!;
  let rowid: number | bigint;
  if (rowidVal === null) {
    // Unlike INSERT, UPDATE never picks a new rowid for NULL (SQLite: datatype mismatch).
    throw new HeliosError('MISMATCH', 'datatype mismatch');
  } else {
    const id = applyAffinity(rowidVal, 'INTEGER');
    if (typeof id !== 'bigint' && !(typeof id === 'number' && Number.isInteger(id))) throw new HeliosError('MISMATCH', 'datatype mismatch');
    rowid = id;
  }
  nr[n] = rowid;
  if (t.rowidAlias >= 0) nr[t.rowidAlias] = rowid;
  if (!checkRow(w, nr, f, orAction)) return null;
  const found = findConflicts(s, w, nr, rowid, oldRowid, f);
  let fired = false;
  for (const c of found) {
    const r = resolveConflict(s, w, c, orAction, f);
    if (r === 'skip') return null;
    if (r === 'fired') fired = true;
  }
  if (fired) recheckAfterReplace(s, w, nr, rowid, oldRowid, f);
  checkParents(s, t, nr, old, setCols);
  parentAdded(s, t, nr, old);
  childRefs(s, t, old, nr, f, 0);
  removeRow(s, w, old, f);
  putRow(s, w, nr, rowid, f);
  return nr;
}

/** Compiles SET clauses (`(a, b) = (x, y)` included) in `scope`. */
export function compileSets(sets: readonly A.SetClause[], t: TableInfo, planner: Planner, scope: Scope): SetAssignment[] {
  const out: SetAssignment[] = [];
  for (const s of sets) {
    const values = setValues(s);
    s.columns.forEach((c, i) => out.push({ col: setTarget(t, c), ev: planner.comp.compile(values[i]!, scope).ev }));
  }
  return out;
}

/** The value expressions of one SET clause, one per column assigned (`(a, b) = (x, y)` gives x, y), refused as SQLite refuses a count that differs. */
export function setValues(s: A.SetClause): readonly A.Expr[] {
  if (s.columns.length === 1) return [s.value];
  if (s.value.kind === 'Row' && s.value.items.length === s.columns.length) return s.value.items;
  if (s.value.kind === 'Subquery') throw sqlErr('row value misused', s.value.pos);
  throw sqlErr(`${s.columns.length} columns assigned ${s.value.kind === 'Row' ? s.value.items.length : 1} values`, s.value.pos);
}

/** The columns SET clauses assign, one per value in written order (a row-value SET gives one per column; the rowid as t.columns.length). */
export function setTargets(sets: readonly A.SetClause[], t: TableInfo): number[] {
  return sets.flatMap((s) => s.columns.map((c) => setTarget(t, c)));
}

function setTarget(t: TableInfo, c: A.Name): number {
  const i = t.columnIndex.get(fold(c.name));
  if (i !== undefined && t.columns[i]!.generated !== null) throw sqlErr(`cannot UPDATE generated column "${t.columns[i]!.name}"`, c.pos);
  if (i !== undefined) return i;
  if (ROWID_NAMES.has(fold(c.name))) return t.columns.length;
  throw sqlErr(`no such column: ${c.name}`, c.pos);
}
