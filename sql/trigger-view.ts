/**
 * Writing a view through its INSTEAD OF triggers, as SQLite does: INSERT
 * INTO v hands each proposed row to the INSTEAD OF INSERT triggers as NEW
 * (the view's columns, no affinity applied, columns not given NULL, no
 * rowid); UPDATE v and DELETE FROM v select the view's rows that match
 * WHERE (as `SELECT * FROM v WHERE …` would), then hand each to the INSTEAD
 * OF UPDATE (OLD, and NEW with the SETs applied) or DELETE (OLD) triggers.
 * Nothing is written by the statement itself, so changes() reports 0 (the
 * triggers' own rows count in total_changes()); RETURNING reports NEW
 * (INSERT, UPDATE) or OLD (DELETE). The statement's OR … passes on to the
 * triggers' statements.
 */
import type * as A from './ast.ts';
import { selectFrom } from './ast-build.ts';
import type { SqlValue } from '../format/sql-value.ts';
import { fold, type ViewInfo } from './catalog.ts';
import type { ColMeta, Ev, Frame, Row, Scope } from './expr-compile.ts';
import { Planner } from './planner.ts';
import type { Program } from './program.ts';
import { compileReturning, conflictAction, dmlDone, dmlProgram, type DmlSession, type Returning } from './dml.ts';
import { viewColumnNames } from './trigger.ts';
import { sqlErr } from './sql-error.ts';

interface ViewTarget {
  readonly view: ViewInfo;
  readonly planner: Planner;
  readonly columns: ColMeta[];
  /** A scope whose one source (at `slot`) is the view's row, named `name`. */
  readonly scope: Scope;
  readonly slot: number;
}

/** `event`: the triggers compiled now (an UPDATE compiles its own once it knows the assigned columns); SQLite compiles no others. */
function viewTarget(s: DmlSession, name: string, alias: string | null, event: 'INSERT' | 'DELETE' | null): ViewTarget {
  const view = s.catalog.views.get(fold(name))!;
  if (event !== null) s.triggers.prepare(view.name, event);
  const planner = new Planner({ catalog: s.catalog, store: () => s.overlay, pseudo: s.planningPseudo });
  const columns: ColMeta[] = viewColumnNames(s.catalog, view.name, () => s.overlay).map((c) => ({ name: c, aff: null, coll: 'BINARY' }));
  const scope = planner.rootScope();
  const slot = planner.comp.allocSlot();
  scope.sources.push({ slot, name: alias ?? view.name, columns, rowidIndex: -1, table: null, mergedColumns: new Set(), width: columns.length });
  return { view, planner, columns, scope, slot };
}

function viewReturning(cols: readonly A.ResultColumn[] | null, v: ViewTarget): Returning | null {
  return cols === null ? null : compileReturning(cols, { scope: v.scope, slot: v.slot }, v.planner);
}

function columnOf(v: ViewTarget, n: A.Name, insert: boolean): number {
  const i = v.columns.findIndex((c) => fold(c.name) === fold(n.name));
  if (i < 0) throw sqlErr(insert ? `table ${v.view.name} has no column named ${n.name}` : `no such column: ${n.name}`, n.pos);
  return i;
}

export function compileViewInsert(s: DmlSession, stmt: A.InsertStmt, version: number): Program {
  if (stmt.upsert.length > 0) throw sqlErr('cannot UPSERT a view', stmt.upsert[0]!.pos);
  const v = viewTarget(s, stmt.table.name, null, 'INSERT');
  const n = v.columns.length;
  const targets = stmt.columns === null ? v.columns.map((_, i) => i) : stmt.columns.map((c) => columnOf(v, c, true));
  const root = v.planner.rootScope();
  let produce: (f: Frame, cb: (vals: readonly SqlValue[]) => void) => void;
  const src = stmt.source;
  const width = (k: number): void => {
    if (k !== targets.length) throw sqlErr(stmt.columns === null ? `table ${v.view.name} has ${n} columns but ${k} values were supplied` : `${k} values for ${targets.length} columns`, stmt.pos);
  };
  if (src.kind === 'Values') {
    for (const r of src.rows) width(r.length);
    const rows = src.rows.map((r) => r.map((e) => v.planner.comp.compile(e, root).ev));
    produce = (f, cb) => {
      for (const r of rows) cb(r.map((ev) => ev(f)));
    };
  } else if (src.kind === 'Select') {
    const q: A.Query = stmt.with !== null && src.query.with === null ? { ...src.query, with: stmt.with } : src.query;
    const plan = v.planner.query(q, null);
    width(plan.columns.length);
    produce = (f, cb) => {
      const rows: Row[] = [];
      plan.run(f, (r) => (rows.push(r), true));
      for (const r of rows) cb(r);
    };
  } else {
    produce = (_f, cb) => cb([]);
    targets.length = 0;
  }
  const returning = viewReturning(stmt.returning, v);
  return dmlProgram(version, returning, (params, emit) => {
    const f = s.frame(params);
    const orAction = conflictAction(s, stmt.orConflict);
    produce(f, (vals) => {
      const row = new Array<SqlValue>(n).fill(null);
      targets.forEach((c, i) => (row[c] = vals[i]!));
      if (!s.triggers.fire(v.view.name, 'INSTEAD OF', 'INSERT', null, row, null, orAction)) return;
      if (returning) emit(returning.eval(f, row));
    });
    return dmlDone(s, 0);
  });
}

/** The view's rows matching `where` (under the alias), materialised before any trigger runs. */
function selectRows(v: ViewTarget, table: A.QualifiedTable, where: A.Expr | null, withClause: A.WithClause | null): (f: Frame) => Row[] {
  const pos = table.pos;
  if (withClause !== null) v.planner.withCtes(withClause, v.scope);
  const q = selectFrom(pos, '*', { pos, schema: null, name: v.view.name, alias: table.alias, indexedBy: null }, where, withClause);
  const plan = v.planner.query(q, null);
  return (f) => {
    const rows: Row[] = [];
    plan.run(f, (r) => (rows.push(r), true));
    return rows;
  };
}

export function compileViewUpdate(s: DmlSession, stmt: A.UpdateStmt, version: number): Program {
  if (stmt.table.indexedBy !== null) throw sqlErr(`no such index: ${stmt.table.indexedBy === false ? 'NOT INDEXED' : stmt.table.indexedBy}`, stmt.table.pos);
  if (stmt.from !== null) throw sqlErr('UPDATE … FROM on a view is not supported', stmt.pos);
  const v = viewTarget(s, stmt.table.name, stmt.table.alias, null);
  const run = selectRows(v, stmt.table, stmt.where, stmt.with);
  const sets: { col: number; ev: Ev }[] = [];
  for (const set of stmt.sets) {
    if (set.columns.length !== 1) {
      if (set.value.kind !== 'Row' || set.value.items.length !== set.columns.length) throw sqlErr('row value misused', set.value.pos);
      const items = set.value.items;
      set.columns.forEach((c, i) => sets.push({ col: columnOf(v, c, false), ev: v.planner.comp.compile(items[i]!, v.scope).ev }));
    } else sets.push({ col: columnOf(v, set.columns[0]!, false), ev: v.planner.comp.compile(set.value, v.scope).ev });
  }
  const assigned = new Set(sets.map((x) => x.col));
  // As SQLite: without an INSTEAD OF UPDATE trigger for the assigned columns the view cannot be updated.
  const fires = s.catalog.triggersOn(v.view.name).some((tr) => tr.stmt.timing === 'INSTEAD OF' && tr.stmt.event === 'UPDATE' && (tr.stmt.columns === null || tr.stmt.columns.some((c) => assigned.has(v.columns.findIndex((x) => fold(x.name) === fold(c.name))))));
  if (!fires) throw sqlErr(`cannot modify ${stmt.table.name} because it is a view`, stmt.table.pos);
  s.triggers.prepare(v.view.name, 'UPDATE', (c) => assigned.has(c));
  const returning = viewReturning(stmt.returning, v);
  return dmlProgram(version, returning, (params, emit) => {
    const f = s.frame(params);
    const orAction = conflictAction(s, stmt.orConflict);
    for (const old of run(f)) {
      f.rows[v.slot] = old;
      const nr = old.slice();
      for (const set of sets) nr[set.col] = set.ev(f);
      if (!s.triggers.fire(v.view.name, 'INSTEAD OF', 'UPDATE', old, nr, (c) => assigned.has(c), orAction)) continue;
      if (returning) emit(returning.eval(f, nr));
    }
    return dmlDone(s, 0);
  });
}

export function compileViewDelete(s: DmlSession, stmt: A.DeleteStmt, version: number): Program {
  if (stmt.table.indexedBy !== null) throw sqlErr(`no such index: ${stmt.table.indexedBy === false ? 'NOT INDEXED' : stmt.table.indexedBy}`, stmt.table.pos);
  const v = viewTarget(s, stmt.table.name, stmt.table.alias, 'DELETE');
  const run = selectRows(v, stmt.table, stmt.where, stmt.with);
  const returning = viewReturning(stmt.returning, v);
  return dmlProgram(version, returning, (params, emit) => {
    const f = s.frame(params);
    const orAction = conflictAction(s, null);
    for (const old of run(f)) {
      if (!s.triggers.fire(v.view.name, 'INSTEAD OF', 'DELETE', old, null, null, orAction)) continue;
      if (returning) emit(returning.eval(f, old));
    }
    return dmlDone(s, 0);
  });
}
