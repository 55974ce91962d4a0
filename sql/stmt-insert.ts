/**
 * INSERT (VALUES, SELECT, DEFAULT VALUES), INSERT OR <action> / REPLACE, and
 * upsert (ON CONFLICT … DO NOTHING / DO UPDATE). Per row, as SQLite: the
 * supplied values, then each missing column's DEFAULT, then column affinity;
 * the rowid from the rowid alias (or rowid) value, else a new one, and the
 * AUTOINCREMENT mark moves as soon as it is chosen, even if the row is then
 * ignored; NOT NULL and CHECK; uniqueness conflicts in SQLite's order, the
 * constraint an ON CONFLICT target names first, each handled by the first
 * matching upsert clause or else by the conflict action; foreign-key
 * parents; then the write. INSERT … SELECT materialises the query's rows
 * before writing (it may read the table it writes).
 */
import type * as A from './ast.ts';
import type { ConflictAction } from './ast.ts';
import { HeliosError } from '../format/errors.ts';
import type { SqlValue } from '../format/sql-value.ts';
import { applyAffinity, isTruthy } from './value.ts';
import { fold, type IndexInfo, type TableInfo } from './catalog.ts';
import type { Ev, Frame, Row } from './expr-compile.ts';
import { Planner } from './planner.ts';
import { lookupScalar } from './exec-env.ts';
import type { Program } from './program.ts';
import { checkRow, compileTableWriter, findConflicts, loadRow, putRow, type TableWriter } from './constraints.ts';
import { checkParents, parentAdded, prepareForeignKeys } from './foreign-keys.ts';
import { compileSets, recheckAfterReplace, resolveConflict, type SetAssignment } from './row-update.ts';
import { updateRow } from './stmt-modify.ts';
import { compileViewInsert } from './trigger-view.ts';
import { ROWID_NAMES, compileReturning, conflictAction, dmlDone, dmlProgram, tableOrThrow, type DmlSession } from './dml.ts';
import { sqlErr } from './sql-error.ts';

interface CompiledUpsert {
  readonly action: 'nothing' | 'update';
  /** Whether the clause names a conflict target. */
  readonly targeted: boolean;
  matches(ix: IndexInfo | null, t: TableInfo): boolean;
  readonly sets: SetAssignment[];
  /** Whether DO UPDATE assigns column i (UPDATE OF triggers). */
  readonly changed: (col: number) => boolean;
  readonly where: Ev | null;
  readonly scopeSlots: { existing: number; excluded: number } | null;
}

export function compileInsert(s: DmlSession, stmt: A.InsertStmt, version: number): Program {
  const view = s.catalog.views.get(fold(stmt.table.name));
  if (view !== undefined && s.triggers.has(view.name, 'INSTEAD OF', 'INSERT')) return compileViewInsert(s, stmt, version);
  const t = tableOrThrow(s.catalog, stmt.table.name, stmt.table.pos, true, stmt.schema);
  const planner = new Planner({ catalog: s.catalog, store: () => s.overlay, pseudo: s.planningPseudo });
  const w = compileTableWriter(t, planner);
  const n = t.columns.length;
  // Target columns: index into the table's columns, or -2 for the rowid.
  let targets: number[];
  // Generated columns take no value: left out of the implicit column list, refused in an explicit one.
  if (stmt.columns === null) targets = t.columns.flatMap((c, i) => (c.generated === null ? [i] : []));
  else {
    targets = stmt.columns.map((c) => {
      const i = t.columnIndex.get(fold(c.name));
      if (i !== undefined && t.columns[i]!.generated !== null) throw sqlErr(`cannot INSERT into generated column "${t.columns[i]!.name}"`, c.pos);
      if (i !== undefined) return i;
      if (ROWID_NAMES.has(fold(c.name))) return -2;
      throw sqlErr(`table ${t.name} has no column named ${c.name}`, c.pos);
    });
  }
  const root = planner.rootScope();
  if (stmt.with !== null && stmt.source.kind !== 'Select') planner.withCtes(stmt.with, root);
  let produce: (f: Frame, cb: (vals: SqlValue[]) => boolean) => void;
  const src = stmt.source;
  if (src.kind === 'Values') {
    for (const r of src.rows) {
      if (r.length !== targets.length) {
        throw sqlErr(stmt.columns === null ? `table ${t.name} has ${targets.length} columns but ${r.length} values were supplied` : `${r.length} values for ${targets.length} columns`, stmt.pos);
      }
    }
    const rows = src.rows.map((r) => r.map((e) => planner.comp.compile(e, root).ev));
    produce = (f, cb) => {
      for (const r of rows) {
        const vals = new Array<SqlValue>(r.length);
        for (let i = 0; i < r.length; i++) vals[i] = r[i]!(f);
        if (!cb(vals)) return;
      }
    };
  } else if (src.kind === 'Select') {
    const q: A.Query = stmt.with !== null && src.query.with === null ? { ...src.query, with: stmt.with } : src.query;
    const plan = planner.query(q, null);
    if (plan.columns.length !== targets.length) {
      throw sqlErr(stmt.columns === null ? `table ${t.name} has ${targets.length} columns but ${plan.columns.length} values were supplied` : `${plan.columns.length} values for ${targets.length} columns`, stmt.pos);
    }
    produce = (f, cb) => {
      // Materialise first: the SELECT may read the table being written.
      const rows: Row[] = [];
      plan.run(f, (r) => (rows.push(r), true));
      for (const r of rows) if (!cb(r)) return;
    };
  } else {
    targets = [];
    produce = (_f, cb) => void cb([]);
  }
  // Upsert clauses: the existing row is the table source, `excluded` the proposed row.
  // The triggers are compiled after the rows' expressions, as SQLite codes them (its first name error is the source's).
  s.triggers.prepare(t.name, 'INSERT');
  if (stmt.upsert.some((u) => u.action.kind === 'Update')) s.triggers.prepare(t.name, 'UPDATE');
  // A REPLACE's delete fires DELETE triggers (recursive_triggers): compiled only when a REPLACE can apply, as SQLite does.
  const replaces = stmt.orConflict === 'REPLACE' || (stmt.orConflict === null && (t.pkConflict === 'REPLACE' || t.indexes.some((ix) => ix.conflict === 'REPLACE')));
  if (s.recursiveTriggers && replaces) s.triggers.prepare(t.name, 'DELETE');
  const upserts = stmt.upsert.map((u) => compileUpsert(u, t, planner, stmt.alias));
  const returning = stmt.returning ? compileReturning(stmt.returning, w, planner) : null;
  const beforeTriggers = s.triggers.has(t.name, 'BEFORE', 'INSERT');
  const afterTriggers = s.triggers.has(t.name, 'AFTER', 'INSERT');
  const rowidTarget = targets.indexOf(-2) >= 0 ? targets.indexOf(-2) : t.rowidAlias >= 0 ? targets.indexOf(t.rowidAlias) : -1;
  // Per column: the DEFAULT evaluator when the statement does not supply the column (fixed per statement).
  const defaultFor = w.defaults.map((d, i) => (d && !targets.includes(i) ? d : null));
  const affinities = t.columns.map((c) => c.affinity);
  // A DEFAULT that depends on nothing but the statement's 'now' has one value per nowMs:
  // it is computed (with the column's affinity applied) once per distinct 'now', not per row.
  const nowOnly = t.columns.map((c, i) => defaultFor[i] !== null && c.defaultExpr !== null && dependsOnlyOnNow(c.defaultExpr));
  const defaultAt = t.columns.map(() => Number.NaN);
  const defaultValue = t.columns.map((): SqlValue => null);

  return dmlProgram(version, returning, (params, emit) => {
    prepareForeignKeys(s, t, 'INSERT');
    const f = s.frame(params);
    const orAction = conflictAction(s, stmt.orConflict);
    let changes = 0;
    produce(f, (vals) => {
      const row = new Array<SqlValue>(n + 1).fill(null);
      for (let i = 0; i < targets.length; i++) {
        const c = targets[i]!;
        if (c >= 0) row[c] = vals[i]!;
      }
      for (let i = 0; i < n; i++) {
        const d = defaultFor[i];
        if (d) {
          if (nowOnly[i]) {
            if (defaultAt[i] !== s.nowMs) {
              defaultValue[i] = applyAffinity(d(f), affinities[i]!);
              defaultAt[i] = s.nowMs;
            }
            row[i] = defaultValue[i]!;
            continue;
          }
          row[i] = d(f);
        }
        row[i] = applyAffinity(row[i]!, affinities[i]!);
      }
      const rv = rowidTarget >= 0 ? vals[rowidTarget]! : null;
      if (beforeTriggers) {
        // NEW in a BEFORE INSERT trigger: the row as it will be written, rowid -1 when it is still to be chosen (SQLite).
        const nb = row.slice();
        nb[n] = rv === null || rv === undefined ? -1 : applyAffinity(rv, 'INTEGER');
        if (t.rowidAlias >= 0) nb[t.rowidAlias] = nb[n]!;
        if (!s.triggers.fire(t.name, 'BEFORE', 'INSERT', null, nb, null, orAction)) return true;
      }
      // Rowid
      let rowid: number | bigint;
      let fresh = false;
      if (rv !== null && rv !== undefined) {
        const id = applyAffinity(rv, 'INTEGER');
        if (typeof id !== 'bigint' && !(typeof id === 'number' && Number.isInteger(id))) throw new HeliosError('MISMATCH', 'datatype mismatch');
        rowid = id;
      } else {
        rowid = s.rowids.newRowid(t);
        // max(rowid) + 1 cannot exist yet (random rowids past 2^63-1 are probed in newRowid).
        fresh = true;
      }
      row[n] = rowid;
      if (t.rowidAlias >= 0) row[t.rowidAlias] = rowid;
      // Like SQLite, the AUTOINCREMENT mark moves as soon as the rowid is chosen, even if the row is then ignored.
      if (t.autoincrement) s.rowids.bumpSequence(t, rowid);
      const res = insertOne(s, w, row, rowid, f, orAction, upserts, fresh);
      if (res === 'skip') return true;
      changes++;
      // A DO UPDATE row was counted in stmtChanges when written (upsertUpdate).
      if (res === 'inserted') s.stmtChanges++;
      if (res === 'inserted') s.lastRowid = rowid;
      if (res === 'inserted' && afterTriggers) s.triggers.fire(t.name, 'AFTER', 'INSERT', null, row, null, orAction);
      if (returning) {
        const out = returning.eval(f, res === 'inserted' ? row : (res as Row));
        emit(out);
      }
      return true;
    });
    if (t.autoincrement) s.rowids.flushSequences();
    return dmlDone(s, changes);
  });
}

/**
 * Inserts one prepared row. Returns 'inserted', 'skip' (IGNORE / DO NOTHING),
 * or the updated row when an upsert turned the insert into an update.
 */
function insertOne(s: DmlSession, w: TableWriter, row: Row, rowid: number | bigint, f: Frame, orAction: ConflictAction | null, upserts: CompiledUpsert[], freshRowid: boolean): 'inserted' | 'skip' | Row {
  const t = w.t;
  if (!checkRow(w, row, f, orAction)) return 'skip';
  let found = findConflicts(s, w, row, rowid, null, f, freshRowid);
  // SQLite checks the constraint named by an ON CONFLICT target before the others.
  if (found.length > 1 && upserts.length > 0) {
    const targeted = (c: { ix: IndexInfo | null }): boolean => upserts.some((u) => u.targeted && u.matches(c.ix, t));
    found = found.slice().sort((a, b) => (targeted(b) ? 1 : 0) - (targeted(a) ? 1 : 0));
  }
  let fired = false;
  for (const c of found) {
    // An upsert clause whose target matches (or has none) handles the conflict.
    const u = upserts.find((u) => u.matches(c.ix, t));
    if (u) {
      if (u.action === 'nothing') return 'skip';
      const existing = loadRow(s.overlay, t, c.rowid);
      if (!existing) continue;
      return upsertUpdate(s, w, u, existing, row, f);
    }
    const r = resolveConflict(s, w, c, orAction, f);
    if (r === 'skip') return 'skip';
    if (r === 'fired') fired = true;
  }
  if (fired) recheckAfterReplace(s, w, row, rowid, null, f);
  checkParents(s, t, row);
  parentAdded(s, t, row, null);
  putRow(s, w, row, rowid, f);
  return 'inserted';
}

function compileUpsert(u: A.UpsertClause, t: TableInfo, planner: Planner, alias: string | null): CompiledUpsert {
  let targetCols: number[] | null = null;
  if (u.target !== null) {
    targetCols = u.target.columns.map((ic) => {
      let e = ic.expr;
      while (e.kind === 'Collate') e = e.expr;
      if (e.kind !== 'Column') throw sqlErr('ON CONFLICT target must name columns', ic.pos);
      const i = t.columnIndex.get(fold(e.column));
      if (i === undefined) throw sqlErr(`no such column: ${e.column}`, ic.pos);
      return i === t.rowidAlias ? -2 : i;
    });
    const set = new Set(targetCols);
    const ok =
      (set.size === 1 && set.has(-2)) ||
      t.indexes.some((ix) => ix.unique && ix.columns.length === set.size && ix.columns.every((c) => set.has(c.column)));
    if (!ok) throw sqlErr('ON CONFLICT clause does not match any PRIMARY KEY or UNIQUE constraint', u.pos);
  }
  const matches = (ix: IndexInfo | null, tt: TableInfo): boolean => {
    if (targetCols === null) return true;
    if (ix === null) return targetCols.length === 1 && targetCols[0] === -2;
    void tt;
    return ix.columns.length === targetCols.length && ix.columns.every((c) => targetCols!.includes(c.column));
  };
  if (u.action.kind === 'Nothing') return { action: 'nothing', targeted: targetCols !== null, matches, sets: [], changed: () => false, where: null, scopeSlots: null };
  const scope = planner.rootScope();
  const existingSlot = planner.comp.allocSlot();
  const excludedSlot = planner.comp.allocSlot();
  const cols = t.columns.map((c) => ({ name: c.name, aff: c.affinity, coll: c.collation }));
  scope.sources.push({ slot: existingSlot, name: alias ?? t.name, columns: cols, rowidIndex: t.columns.length, table: t, mergedColumns: new Set(), width: cols.length + 1 });
  scope.sources.push({ slot: excludedSlot, name: 'excluded', columns: cols, rowidIndex: t.columns.length, table: null, mergedColumns: new Set(cols.map((c) => fold(c.name))), width: cols.length + 1 });
  const sets = compileSets(u.action.sets, t, planner, scope);
  const where = u.action.where ? planner.comp.compile(u.action.where, scope).ev : null;
  const assigned = new Set(sets.map((x) => x.col));
  return { action: 'update', targeted: targetCols !== null, matches, sets, changed: (c) => assigned.has(c), where, scopeSlots: { existing: existingSlot, excluded: excludedSlot } };
}

function upsertUpdate(s: DmlSession, w: TableWriter, u: CompiledUpsert, existing: Row, proposed: Row, f: Frame): Row | 'skip' {
  const slots = u.scopeSlots!;
  f.rows[slots.existing] = existing;
  f.rows[slots.excluded] = proposed;
  if (u.where && isTruthy(u.where(f)) !== true) return 'skip';
  const nr = existing.slice();
  for (const set of u.sets) nr[set.col] = set.ev(f);
  // DO UPDATE is an UPDATE: its BEFORE and AFTER UPDATE triggers fire (sql/stmt-modify.ts updateRow).
  // Counted before its AFTER UPDATE triggers run: a RAISE(FAIL) there keeps the row in changes(), as in SQLite.
  return updateRow(s, w, existing, nr, f, null, new Set(u.sets.map((x) => x.col)), () => s.stmtChanges++) ?? 'skip';
}

/** Date and time functions: besides their arguments they read only the statement's 'now'. */
const NOW_FUNCTIONS = new Set(['date', 'time', 'datetime', 'julianday', 'unixepoch', 'strftime']);

/**
 * Whether `e` depends on nothing but literals and the statement's 'now'
 * (CURRENT_*, date/time functions), through operators, CAST and
 * deterministic functions, so that it has exactly one value per 'now'.
 */
function dependsOnlyOnNow(e: A.Expr): boolean {
  if (isLiteral(e)) return true;
  switch (e.kind) {
    case 'CurrentTime':
      return true;
    case 'Unary':
      return dependsOnlyOnNow(e.operand);
    case 'Binary':
      return dependsOnlyOnNow(e.left) && dependsOnlyOnNow(e.right);
    case 'Cast':
      return dependsOnlyOnNow(e.expr);
    case 'Function': {
      if (e.star || e.distinct || e.filter !== null) return false;
      const name = fold(e.name);
      const impl = lookupScalar(name);
      if (impl === undefined || !(impl.deterministic || NOW_FUNCTIONS.has(name))) return false;
      return e.args.every(dependsOnlyOnNow);
    }
    default:
      return false;
  }
}

/** A number, string, blob, NULL or TRUE/FALSE literal. */
function isLiteral(e: A.Expr): boolean {
  switch (e.kind) {
    case 'Integer':
    case 'Real':
    case 'String':
    case 'Blob':
    case 'Null':
    case 'Bool':
      return true;
    default:
      return false;
  }
}
