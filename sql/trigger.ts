/**
 * Triggers at run time, as SQLite fires them (lang_createtrigger.html,
 * trigger.c, vdbe.c OP_Program):
 *
 * - Per row of an INSERT, UPDATE or DELETE, the statement calls `fire` for
 *   BEFORE (or INSTEAD OF, on a view) and AFTER; the triggers on the table
 *   for that event fire in SQLite's order (the most recently created first),
 *   each only when its WHEN holds, and an UPDATE trigger with `OF cols` only
 *   when the UPDATE assigns one of them. OLD and NEW are the row before and
 *   after, read as `old.x` / `new.x` (frame slots 0 and 1 of each body
 *   statement, planner.ts `PlanContext.pseudo`).
 * - A body is compiled on first use through the session (names in it are
 *   resolved then, not at CREATE TRIGGER, as in SQLite) and kept while the
 *   catalog's TriggerInfo object lives (any schema change makes new ones).
 * - RAISE(IGNORE) ends the trigger and skips the rest of the work on the
 *   current row of the statement that fired it (`fire` returns false); the
 *   changes already made stay. RAISE(ABORT, m) fails the statement (undone
 *   whole), RAISE(FAIL, m) keeps what the statement changed before, and
 *   RAISE(ROLLBACK, m) abandons the transaction: CONSTRAINT_TRIGGER errors,
 *   the latter two as a ConflictError that tells the session so.
 * - An OR <action> of the firing statement replaces the conflict action of
 *   every statement of the body (and on down), as in SQLite.
 * - Inside a body, changes() and last_insert_rowid() see the body's own
 *   statements; when the trigger returns they are what they were before it
 *   ran, so trigger rows never count in the firing statement's changes()
 *   (they do in total_changes()).
 * - Recursion: with PRAGMA recursive_triggers off (the default) a trigger
 *   already running does not fire again; on, nesting is bounded by
 *   SQLITE_MAX_TRIGGER_DEPTH (1000): SQL_ERROR "too many levels of trigger
 *   recursion".
 */
import type * as A from './ast.ts';
import type { ConflictAction } from './ast.ts';
import { HeliosError } from '../format/errors.ts';
import type { SqlValue } from '../format/sql-value.ts';
import { castValue, isTruthy } from './value.ts';
import type { Catalog, TriggerInfo } from './catalog.ts';
import type { ColMeta, Ev, Frame, Row } from './expr-compile.ts';
import { NEW_SLOT, OLD_SLOT, Planner, type PseudoRows } from './planner.ts';
import type { Overlay } from './txn.ts';
import type { Program } from './program.ts';
import { ConflictError } from './constraints.ts';
import { isStackOverflow } from './limits.ts';

/** SQLITE_MAX_TRIGGER_DEPTH: nested trigger programs allowed at once. */
export const MAX_TRIGGER_DEPTH = 1000;

export type TriggerTiming = A.CreateTriggerStmt['timing'];
export type TriggerEvent = A.CreateTriggerStmt['event'];

/** What firing triggers needs of the session. */
export interface TriggerHost {
  readonly catalog: Catalog;
  readonly overlay: Overlay;
  /** PRAGMA recursive_triggers. */
  readonly recursiveTriggers: boolean;
  changesCount: number;
  stmtChanges: number;
  lastRowid: number | bigint;
  frame(params: readonly SqlValue[]): Frame;
  /** Compiles one body statement (INSERT, UPDATE or DELETE) with `pseudo` in its planner. */
  compileBody(stmt: A.InsertStmt | A.UpdateStmt | A.DeleteStmt, pseudo: PseudoRows): Program;
}

/** Thrown by RAISE(IGNORE); caught by the `fire` that ran the trigger. */
class TriggerIgnore {
  readonly raised = 'IGNORE';
}

interface CompiledTrigger {
  /** UPDATE OF: the indexes of the named columns in OLD / NEW (a name not there never matches). */
  readonly ofColumns: readonly number[] | null;
  readonly when: Ev | null;
  /** SELECT steps as closures; INSERT / UPDATE / DELETE as programs run directly (a frame less per nesting level). */
  readonly steps: (((f: Frame) => void) | Program)[];
}

/** The triggers of one session: firing, and the state body statements read. */
export interface Triggers {
  /**
   * Compiles every `event` trigger of `target` now, as SQLite does when the
   * statement that may fire them is prepared (an error in a body is the
   * statement's prepare error).
   */
  prepare(target: string, event: TriggerEvent, changed?: (col: number) => boolean): void;
  /** Whether `target` has a trigger for `event` at `timing` (so statements skip the work when none). */
  has(target: string, timing: TriggerTiming, event: TriggerEvent): boolean;
  /**
   * Fires the `timing` `event` triggers of `target` for one row. `changed`
   * tells an UPDATE's assigned columns (by index; the rowid at the table's
   * column count). Returns false when a trigger ran RAISE(IGNORE): the
   * caller skips the rest of that row.
   */
  fire(target: string, timing: TriggerTiming, event: TriggerEvent, oldRow: Row | null, newRow: Row | null, changed: ((col: number) => boolean) | null, orConflict: ConflictAction | null): boolean;
  /** The conflict action that overrides those of the running body's statements (the firing statement's OR …), or null. */
  readonly conflictOverride: ConflictAction | null;
  /** The OLD / NEW rows for the frame a body statement makes when it starts (taken once). */
  takeRows(): readonly [Row | null, Row | null] | null;
}

/** The columns of OLD / NEW for a trigger on a table (its columns and affinities) or a view (no affinity). */
function pseudoColumns(catalog: Catalog, tr: TriggerInfo, store: () => Overlay): ColMeta[] {
  const t = catalog.table(tr.table);
  if (t) return t.columns.map((c) => ({ name: c.name, aff: c.affinity, coll: c.collation }));
  return viewColumnNames(catalog, tr.table, store).map((name) => ({ name, aff: null, coll: 'BINARY' }));
}

/** The result column names of view `name`, as a query of it shows them. */
export function viewColumnNames(catalog: Catalog, name: string, store: () => Overlay): string[] {
  const v = catalog.views.get(name.toLowerCase());
  if (!v) return [];
  const planner = new Planner({ catalog, store });
  const plan = planner.query(v.query, null);
  return v.columns !== null ? [...v.columns] : plan.columns.map((c) => c.name);
}

const NO_PARAMS: readonly SqlValue[] = [];
const keepGoing = (): boolean => true;

export function createTriggers(host: TriggerHost): Triggers {
  const compiled = new WeakMap<TriggerInfo, CompiledTrigger>();
  /** Triggers running now (for recursive_triggers off). */
  const running = new Set<TriggerInfo>();
  let depth = 0;
  let override: ConflictAction | null = null;
  let pendingRows: readonly [Row | null, Row | null] | null = null;

  const raise = (action: 'IGNORE' | 'ROLLBACK' | 'ABORT' | 'FAIL', message: Ev | null): Ev => (f) => {
    if (action === 'IGNORE') throw new TriggerIgnore();
    const m = message === null ? null : castValue(message(f), 'TEXT');
    const e = new HeliosError('CONSTRAINT_TRIGGER', m === null ? '' : String(m));
    throw action === 'ABORT' ? e : new ConflictError(e, action);
  };

  /** Whether an UPDATE assigning `changed` fires `tr` by its UPDATE OF list (always when it has none). */
  const assignsOf = (tr: TriggerInfo, changed: (col: number) => boolean): boolean => {
    if (tr.stmt.columns === null) return true;
    const cols = pseudoColumns(host.catalog, tr, () => host.overlay);
    return tr.stmt.columns.some((c) => {
      const i = cols.findIndex((x) => x.name.toLowerCase() === c.name.toLowerCase());
      return i >= 0 && changed(i);
    });
  };

  const compile = (tr: TriggerInfo): CompiledTrigger => {
    const done = compiled.get(tr);
    if (done) return done;
    const cols = pseudoColumns(host.catalog, tr, () => host.overlay);
    const ev = tr.stmt.event;
    const isTable = host.catalog.table(tr.table) !== undefined;
    const pseudo: PseudoRows = { old: ev === 'INSERT' ? null : cols, new: ev === 'DELETE' ? null : cols, rowid: isTable, raise };
    const ofColumns = tr.stmt.columns === null ? null : tr.stmt.columns.map((c) => cols.findIndex((x) => x.name.toLowerCase() === c.name.toLowerCase())).filter((i) => i >= 0);
    // A body naming this trigger's own table again compiles once: the entry is in place before the body is planned.
    const c: { ofColumns: readonly number[] | null; when: Ev | null; steps: (((f: Frame) => void) | Program)[] } = { ofColumns, when: null, steps: [] };
    compiled.set(tr, c);
    try {
      compileInto(c, tr, pseudo);
    } catch (e) {
      compiled.delete(tr);
      throw e;
    }
    return c;
  };

  const compileInto = (c: { when: Ev | null; steps: (((f: Frame) => void) | Program)[] }, tr: TriggerInfo, pseudo: PseudoRows): void => {
    const plannerFor = (): Planner => new Planner({ catalog: host.catalog, store: () => host.overlay, pseudo });
    if (tr.stmt.when !== null) {
      const p = plannerFor();
      c.when = p.comp.compile(tr.stmt.when, p.rootScope()).ev;
    }
    for (const step of tr.stmt.body.map((st): ((f: Frame) => void) | Program => {
      if (st.kind === 'Select') {
        const plan = plannerFor().query(st.query, null);
        return (f) => {
          const sf = host.frame([]);
          sf.rows[OLD_SLOT] = f.rows[OLD_SLOT]!;
          sf.rows[NEW_SLOT] = f.rows[NEW_SLOT]!;
          plan.run(sf, () => true);
        };
      }
      return host.compileBody(st, pseudo);
    })) c.steps.push(step);
  };

  return {
    // `changed`: an UPDATE's assigned columns; an UPDATE OF trigger naming none of them is not compiled (SQLite's order).
    // BEFORE (and INSTEAD OF) triggers first, then AFTER ones, as SQLite codes them: the first broken one is the error.
    prepare(target, event, changed) {
      const list = host.catalog.triggersOn(target).filter((tr) => tr.stmt.event === event && (changed === undefined || assignsOf(tr, changed)));
      for (const tr of list) if (tr.stmt.timing !== 'AFTER') compile(tr);
      for (const tr of list) if (tr.stmt.timing === 'AFTER') compile(tr);
    },

    has(target, timing, event) {
      for (const tr of host.catalog.triggers.values()) {
        if (tr.stmt.timing === timing && tr.stmt.event === event && tr.table.toLowerCase() === target.toLowerCase()) return true;
      }
      return false;
    },

    fire(target, timing, event, oldRow, newRow, changed, orConflict) {
      const list = host.catalog.triggersOn(target);
      for (const tr of list) {
        if (tr.stmt.timing !== timing || tr.stmt.event !== event) continue;
        if (running.has(tr) && !host.recursiveTriggers) continue;
        if (depth >= MAX_TRIGGER_DEPTH) throw new HeliosError('SQL_ERROR', 'too many levels of trigger recursion');
        // UPDATE OF: fires when the UPDATE assigns one of the columns (whatever the value); one that does not fire is not compiled.
        if (changed !== null && !assignsOf(tr, changed)) continue;
        const c = compile(tr);
        const f = host.frame([]);
        f.rows[OLD_SLOT] = oldRow!;
        f.rows[NEW_SLOT] = newRow!;
        const saved = { changes: host.changesCount, stmt: host.stmtChanges, rowid: host.lastRowid, override, wasRunning: running.has(tr) };
        depth++;
        running.add(tr);
        override = orConflict;
        try {
          if (c.when !== null && isTruthy(c.when(f)) !== true) continue;
          for (const step of c.steps) {
            if (typeof step === 'function') step(f);
            else {
              pendingRows = [oldRow, newRow];
              step.execute(NO_PARAMS, keepGoing);
            }
          }
        } catch (e) {
          if (e instanceof TriggerIgnore) return false;
          // The host's stack ran out before MAX_TRIGGER_DEPTH (README): the same error as SQLite's limit.
          // So close to the overflow the check itself can overflow: then the original error goes
          // on up, to be converted by an outer level.
          if (e instanceof RangeError) {
            let overflow: boolean;
            try {
              overflow = isStackOverflow(e);
            } catch {
              throw e;
            }
            if (overflow) throw new HeliosError('SQL_ERROR', 'too many levels of trigger recursion');
          }
          throw e;
        } finally {
          pendingRows = null;
          depth--;
          if (!saved.wasRunning) running.delete(tr);
          override = saved.override;
          host.changesCount = saved.changes;
          host.stmtChanges = saved.stmt;
          host.lastRowid = saved.rowid;
        }
      }
      return true;
    },

    get conflictOverride() {
      return override;
    },

    takeRows() {
      const r = pendingRows;
      pendingRows = null;
      return r;
    },
  };
}
