/**
 * INSERT, UPDATE and DELETE on `sqlite_sequence`, as SQLite lets a user move
 * an AUTOINCREMENT mark: `UPDATE sqlite_sequence SET seq = 100 WHERE name =
 * 't'` makes t's next rowid 101 (when no larger rowid exists), `DELETE` of a
 * row lets t's rowids start again after its largest one, and `INSERT` sets a
 * mark (what a `.dump` replays after `DELETE FROM sqlite_sequence`).
 *
 * The rows of sqlite_sequence are the tables' marks (spec/sql-format.md
 * [FMT-SQLKEY-7]): one row per AUTOINCREMENT table at most, `seq` an
 * INTEGER. So, unlike SQLite's ordinary table, a row must name an existing
 * AUTOINCREMENT table, a table gets one row (a second INSERT for it is
 * refused), `seq` is stored as its integer value (SQLite's own reading of
 * it: '12abc' → 12, 2.5 → 2), and a NULL `seq` removes the row (SQLite reads
 * a NULL mark as 0, so the next rowid is the same). RETURNING and upserts
 * are not offered here. README, "Where we differ from SQLite".
 */
import type * as A from './ast.ts';
import { columnRef, selectFrom } from './ast-build.ts';
import type { SqlValue } from '../format/sql-value.ts';
import { rowidBytes, sequenceKey } from '../format/table-key.ts';
import { fold, type TableInfo } from './catalog.ts';
import type { Row } from './expr-compile.ts';
import { Planner } from './planner.ts';
import type { Program } from './program.ts';
import type { DmlSession } from './dml.ts';
import { toInteger } from './value.ts';
import { sqlErr } from './sql-error.ts';
import { planInsertSource } from './insert-source.ts';

type SequenceStmt = A.InsertStmt | A.UpdateStmt | A.DeleteStmt;

/** Whether `stmt` writes sqlite_sequence (of a database that has it). */
export function writesSequence(s: DmlSession, stmt: SequenceStmt): boolean {
  const name = stmt.kind === 'Insert' ? stmt.table.name : stmt.table.name;
  const schema = stmt.kind === 'Insert' ? stmt.schema : stmt.table.schema;
  return fold(name) === 'sqlite_sequence' && (schema === null || fold(schema) === 'main') && s.catalog.hasSequenceTable();
}

export function compileSequenceWrite(s: DmlSession, stmt: SequenceStmt, version: number): Program {
  if (stmt.returning !== null) throw sqlErr('RETURNING is not supported on sqlite_sequence', stmt.pos);
  if (stmt.with !== null) throw sqlErr('WITH is not supported on sqlite_sequence', stmt.pos);
  const planner = new Planner({ catalog: s.catalog, store: () => s.overlay, pseudo: s.planningPseudo });
  const at = stmt.pos;
  const col = (c: string): A.Expr => columnRef(at, c);
  const select = (cols: A.Expr[], from: A.QualifiedTable, where: A.Expr | null): A.Query => selectFrom(at, cols, from, where);
  /** The AUTOINCREMENT table a row names (the name compared exactly, as SQLite's autoincrement code compares it). */
  const tableNamed = (name: SqlValue): TableInfo => {
    const t = typeof name === 'string' ? s.catalog.table(name) : undefined;
    if (t === undefined || t.name !== name || !t.autoincrement) {
      throw sqlErr(`sqlite_sequence rows name AUTOINCREMENT tables here: ${name === null ? 'NULL' : String(name)} is not one`, at);
    }
    return t;
  };
  const setMark = (t: TableInfo, seq: SqlValue): void => {
    if (seq === null) s.overlay.delete(sequenceKey(t.id));
    else s.overlay.put(sequenceKey(t.id), rowidBytes(toInteger(seq)));
  };
  let run: (params: readonly SqlValue[]) => number;
  if (stmt.kind === 'Delete') {
    const plan = planner.query(select([col('name')], stmt.table, stmt.where), null);
    run = (params) => {
      const rows: Row[] = [];
      plan.run(s.frame(params), (r) => (rows.push(r), true));
      for (const r of rows) s.overlay.delete(sequenceKey(tableNamed(r[0]!).id));
      return rows.length;
    };
  } else if (stmt.kind === 'Update') {
    if (stmt.from !== null) throw sqlErr('UPDATE … FROM is not supported on sqlite_sequence', stmt.pos);
    const targets: number[] = [];
    const values: A.Expr[] = [];
    for (const set of stmt.sets) {
      if (set.columns.length !== 1) throw sqlErr('row value assignments are not supported on sqlite_sequence', stmt.pos);
      const c = fold(set.columns[0]!.name);
      if (c !== 'name' && c !== 'seq') throw sqlErr(`no such column: ${set.columns[0]!.name}`, set.columns[0]!.pos);
      targets.push(c === 'name' ? 0 : 1);
      values.push(set.value);
    }
    const plan = planner.query(select([col('name'), col('seq'), ...values], stmt.table, stmt.where), null);
    run = (params) => {
      const rows: Row[] = [];
      plan.run(s.frame(params), (r) => (rows.push(r), true));
      const next: [TableInfo, SqlValue][] = [];
      for (const r of rows) {
        const nr = [r[0]!, r[1]!];
        targets.forEach((c, i) => (nr[c] = r[2 + i]!));
        const old = tableNamed(r[0]!);
        const t = tableNamed(nr[0]!);
        if (t !== old) s.overlay.delete(sequenceKey(old.id));
        next.push([t, nr[1]!]);
      }
      for (const [t, seq] of next) setMark(t, seq);
      return rows.length;
    };
  } else {
    if (stmt.orConflict !== null || stmt.upsert.length > 0) throw sqlErr('conflict clauses are not supported on sqlite_sequence', stmt.pos);
    const { cols, produce } = planInsertSource(stmt, 'sqlite_sequence', ['name', 'seq'], planner, (params) => s.frame(params));
    run = (params) => {
      const rows = produce(params);
      for (const r of rows) {
        const nr: SqlValue[] = [null, null];
        cols.forEach((c, i) => (nr[c] = r[i]!));
        const t = tableNamed(nr[0]!);
        if (s.overlay.get(sequenceKey(t.id)) !== undefined) throw sqlErr(`sqlite_sequence already has the row of ${t.name}`, at);
        setMark(t, nr[1]!);
      }
      return rows.length;
    };
  }
  return {
    dml: true,
    columns: null,
    declTypes: null,
    readonly: false,
    schemaVersion: version,
    execute: (params) => {
      const changes = run(params);
      // The marks were written under the rowid allocator's feet: it reads them again.
      s.rowids.clear();
      s.stmtChanges += changes;
      s.changesCount = changes;
      s.totalChangesCount += changes;
      return { changes, lastInsertRowid: s.lastRowid };
    },
  };
}
