/**
 * INSERT, UPDATE and DELETE on `sqlite_schema` (`sqlite_master`) under
 * `PRAGMA writable_schema = ON`, as SQLite allows when its defensive mode is
 * off (the drop-in is defensive unless `unsafeMode()`; HeliosDB's own
 * Database is not, like SQLite's C API: sql/pragma.ts). Anywhere else the
 * table "may not be modified".
 *
 * A write changes the stored schema rows (catalog.ts writeStoredRow) and
 * nothing else: the tables, indexes, views and triggers the connection has
 * loaded stay as they were, and `sqlite_schema` shows the rows as stored.
 * The change takes effect when the schema is next loaded: `PRAGMA
 * writable_schema = RESET`, a rollback that undoes a CREATE / DROP / ALTER,
 * the next open; a rolled-back write is simply undone. That is SQLite 3.53's behaviour: after `UPDATE sqlite_master SET
 * name = 'bar' WHERE name = 'foo'` the table is still `foo` to the
 * connection, and at the next load the row is "malformed database schema
 * (bar)", since its name no longer matches its CREATE TABLE (tbl_name and
 * the SQL must be changed with it).
 *
 * A row that does not load is skipped, never dropped, and its objects' data
 * stays (catalog.ts load): with writable_schema off every statement that
 * needs the schema fails with that CORRUPTION error; with it on the rest of
 * the schema loads, and the row can be repaired or deleted here.
 *
 * `rootpage` is the object's storage id here (what the object's rows and
 * index entries are keyed by: spec/sql-format.md). An UPDATE may keep it or
 * move the row to an id no other schema row holds (reattaching that id's
 * data, as pointing a row at a b-tree does in SQLite), but not to a
 * table's id as an index or an index's as a table (checkStorageKind); an
 * INSERT with rootpage 0 or NULL gets a fresh id. Written values take the
 * columns' affinities. Where we differ from SQLite (README):
 * `type` must be 'table', 'index', 'view' or 'trigger', `name` and
 * `tbl_name` text, `sql` text or NULL; RETURNING, WITH, UPDATE … FROM,
 * upserts and OR conflict clauses are refused; sqlite_temp_schema stays
 * read-only.
 */
import type * as A from './ast.ts';
import { columnRef, selectFrom } from './ast-build.ts';
import type { SqlValue } from '../format/sql-value.ts';
import { fold, type SchemaRow } from './catalog.ts';
import type { Row } from './expr-compile.ts';
import { Planner } from './planner.ts';
import type { Program } from './program.ts';
import type { DmlSession } from './dml.ts';
import { SCHEMA_FREE_PRAGMAS, schemaWritable, type PragmaSettings } from './pragma.ts';
import { TEMP_ID_BASE } from './temp-store.ts';
import { applyAffinity, type Affinity } from './value.ts';
import { sqlErr } from './sql-error.ts';
import { planInsertSource } from './insert-source.ts';

type SchemaStmt = A.InsertStmt | A.UpdateStmt | A.DeleteStmt;

/** What a write of sqlite_schema needs of the session. */
export interface SchemaWriteSession extends DmlSession {
  readonly settings: PragmaSettings;
}

const COLUMNS = ['type', 'name', 'tbl_name', 'rootpage', 'sql'] as const;
const TYPES: ReadonlySet<string> = new Set(['table', 'index', 'view', 'trigger']);

/** Whether `stmt` writes the main schema table (sqlite_schema or sqlite_master). */
export function writesSchema(stmt: SchemaStmt): boolean {
  const name = fold(stmt.table.name);
  const schema = stmt.kind === 'Insert' ? stmt.schema : stmt.table.schema;
  return (name === 'sqlite_schema' || name === 'sqlite_master') && (schema === null || fold(schema) === 'main');
}

/** Whether a statement reads the schema, so cannot run while it is malformed (catalog.ts requireLoaded). */
export function needsSchema(stmt: A.Statement): boolean {
  switch (stmt.kind) {
    case 'Begin':
    case 'Commit':
    case 'Rollback':
    case 'Savepoint':
    case 'Release':
      return false;
    case 'Pragma':
      return !SCHEMA_FREE_PRAGMAS.has(fold(stmt.name.name));
    default:
      return true;
  }
}

/** SQLite's refusal, which names sqlite_master whichever name the statement used. */
function notWritable(pos: { line: number; column: number }): never {
  throw sqlErr('table sqlite_master may not be modified', pos);
}

export function compileSchemaWrite(s: SchemaWriteSession, stmt: SchemaStmt, version: number): Program {
  const at = stmt.pos;
  if (!schemaWritable(s.settings)) notWritable(stmt.table.pos);
  if (stmt.returning !== null) throw sqlErr('RETURNING is not supported on sqlite_schema', at);
  if (stmt.with !== null) throw sqlErr('WITH is not supported on sqlite_schema', at);
  const planner = new Planner({ catalog: s.catalog, store: () => s.overlay, pseudo: s.planningPseudo });
  const col = (c: string): A.Expr => columnRef(at, c);
  /** SELECT type, name, tbl_name, rootpage, sql, extra… FROM the target WHERE where. */
  const select = (extra: readonly A.Expr[], where: A.Expr | null): A.Query => selectFrom(at, [...COLUMNS.map(col), ...extra], stmt.table as A.QualifiedTable, where);
  const collect = (plan: ReturnType<Planner['query']>, params: readonly SqlValue[]): Row[] => {
    const rows: Row[] = [];
    plan.run(s.frame(params), (r) => (rows.push(r), true));
    return rows;
  };
  let run: (params: readonly SqlValue[]) => number;
  if (stmt.kind === 'Delete') {
    const plan = planner.query(select([], stmt.where), null);
    run = (params) => {
      const targets = storedRowsOf(s, collect(plan, params), at);
      for (const r of targets) s.catalog.writeStoredRow(s.overlay, r.id, null);
      return targets.length;
    };
  } else if (stmt.kind === 'Update') {
    if (stmt.from !== null) throw sqlErr('UPDATE … FROM is not supported on sqlite_schema', at);
    if (stmt.orConflict !== null) throw sqlErr('conflict clauses are not supported on sqlite_schema', at);
    const targets: number[] = [];
    const values: A.Expr[] = [];
    for (const set of stmt.sets) {
      if (set.columns.length !== 1) throw sqlErr('row value assignments are not supported on sqlite_schema', at);
      const c = (COLUMNS as readonly string[]).indexOf(fold(set.columns[0]!.name));
      if (c < 0) throw sqlErr(`no such column: ${set.columns[0]!.name}`, set.columns[0]!.pos);
      targets.push(c);
      values.push(set.value);
    }
    const plan = planner.query(select(values, stmt.where), null);
    run = (params) => {
      const rows = collect(plan, params);
      const olds = storedRowsOf(s, rows.map((r) => r.slice(0, COLUMNS.length)), at);
      const moving = new Set(olds.map((o) => o.id));
      const next = rows.map((r, i) => {
        const nr = r.slice(0, COLUMNS.length);
        targets.forEach((c, j) => (nr[c] = r[COLUMNS.length + j]!));
        nr.splice(0, COLUMNS.length, ...withAffinity(nr));
        const old = olds[i]!;
        const id = sameNumber(nr[3]!, r[3]!) ? old.id : rootpageId(s, nr[3]!, moving, at);
        const row = schemaRow(id, nr, at);
        checkStorageKind(s, row, at);
        return row;
      });
      // Every new row checked before any is written (the statement mark undoes the writes of one that fails anyway).
      const ids = new Set<number>();
      for (const n of next) {
        if (ids.has(n.id)) throw sqlErr(`two sqlite_schema rows cannot share rootpage ${n.id} here`, at);
        ids.add(n.id);
      }
      olds.forEach((o, i) => {
        if (next[i]!.id !== o.id) s.catalog.writeStoredRow(s.overlay, o.id, null);
      });
      for (const n of next) s.catalog.writeStoredRow(s.overlay, n.id, n);
      return next.length;
    };
  } else {
    if (stmt.orConflict !== null || stmt.upsert.length > 0) throw sqlErr('conflict clauses are not supported on sqlite_schema', at);
    const { cols, produce } = planInsertSource(stmt, 'sqlite_master', COLUMNS, planner, (params) => s.frame(params));
    run = (params) => {
      const rows = produce(params).map((r) => {
        const nr: SqlValue[] = [null, null, null, null, null];
        cols.forEach((c, i) => (nr[c] = r[i]!));
        return withAffinity(nr);
      });
      const taken = new Set<number>();
      const next = rows.map((nr) => {
        const checked = schemaRow(0, nr, at);
        const given = nr[3] === null || nr[3] === 0 || nr[3] === 0n ? null : rootpageId(s, nr[3]!, new Set(), at);
        if (given !== null) {
          checkStorageKind(s, { ...checked, id: given }, at);
          if (taken.has(given)) throw sqlErr(`two sqlite_schema rows cannot share rootpage ${given} here`, at);
          taken.add(given);
        }
        return { given, nr };
      });
      // Every row was checked before anything is written (fresh ids only once all are valid).
      for (const n of next) {
        const id = n.given ?? s.catalog.allocateId(s.overlay);
        s.catalog.writeStoredRow(s.overlay, id, schemaRow(id, n.nr, at));
      }
      return next.length;
    };
  }
  return {
    dml: true,
    columns: null,
    declTypes: null,
    readonly: false,
    schemaVersion: version,
    execute: (params) => {
      // unsafeMode(false) may have come between prepare and run.
      if (!schemaWritable(s.settings)) notWritable(stmt.table.pos);
      const changes = run(params);
      s.stmtChanges += changes;
      s.changesCount = changes;
      s.totalChangesCount += changes;
      return { changes, lastInsertRowid: s.lastRowid };
    },
  };
}

/**
 * The stored rows that sqlite_schema rows read back as (their 5 columns):
 * rows with equal columns are matched in order, which a WHERE cannot tell
 * apart either.
 */
function storedRowsOf(s: SchemaWriteSession, shown: readonly Row[], at: { line: number; column: number }): SchemaRow[] {
  const stored = s.catalog.storedRows(s.overlay);
  const claimed = new Set<number>();
  return shown.map((v) => {
    const r = stored.find((c) => !claimed.has(c.id) && c.type === v[0] && c.name === v[1] && c.tblName === v[2] && c.sql === v[4] && shownRootpage(c) === Number(v[3]));
    // Only the entry a database made before sqlite_sequence had its own row shows without one.
    if (r === undefined) throw sqlErr(`the sqlite_schema row of ${String(v[1])} is not stored and cannot be changed`, at);
    claimed.add(r.id);
    return r;
  });
}

/** Whether a rootpage written is the one read (2, 2.0 and 2n alike). */
function sameNumber(a: SqlValue, b: SqlValue): boolean {
  return (typeof a === 'number' || typeof a === 'bigint') && Number(a) === Number(b);
}

/** The rootpage sqlite_schema shows for a stored row (planner.ts schemaRows): the id, 0 for a trigger. */
function shownRootpage(r: SchemaRow): number {
  return r.type === 'trigger' ? 0 : r.id;
}

/** The storage id a written rootpage names: a positive integer below the TEMP ids that no other stored row (than those in `freed`) holds. */
function rootpageId(s: SchemaWriteSession, v: SqlValue, freed: ReadonlySet<number>, at: { line: number; column: number }): number {
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n >= TEMP_ID_BASE) throw sqlErr(`sqlite_schema.rootpage must be 0 or an object id from 1 to ${TEMP_ID_BASE - 1} here, not ${String(v)}`, at);
  if (s.catalog.storedRows(s.overlay).some((r) => r.id === n && !freed.has(n))) throw sqlErr(`two sqlite_schema rows cannot share rootpage ${n} here`, at);
  return n;
}

/** sqlite_schema's declared types (type text, name text, tbl_name text, rootpage int, sql text), applied to written values as SQLite does. */
const AFFINITIES: readonly Affinity[] = ['TEXT', 'TEXT', 'TEXT', 'INTEGER', 'TEXT'];

function withAffinity(v: readonly SqlValue[]): SqlValue[] {
  return v.map((x, i) => applyAffinity(x, AFFINITIES[i]!));
}

/**
 * Refuses a row that would read one kind of storage as the other: a table's
 * rows and an index's entries share their id's key space (spec/sql-format.md
 * §4), so an index loaded on a table's id could overwrite its rows. The
 * kind is the loaded row's of that id (SQLite lets a row point anywhere).
 */
function checkStorageKind(s: SchemaWriteSession, row: SchemaRow, at: { line: number; column: number }): void {
  const loaded = s.catalog.rows.find((r) => r.id === row.id);
  if (loaded === undefined || (loaded.type !== 'table' && loaded.type !== 'index') || (row.type !== 'table' && row.type !== 'index')) return;
  if (loaded.type !== row.type) throw sqlErr(`rootpage ${row.id} holds ${loaded.type === 'table' ? "a table's rows" : "an index's entries"}: a row of type ${row.type} cannot use it`, at);
}

/** A written row as a SchemaRow, its values checked (see the module comment). */
function schemaRow(id: number, v: readonly SqlValue[], at: { line: number; column: number }): SchemaRow {
  const [type, name, tblName, , sql] = v;
  if (typeof type !== 'string' || !TYPES.has(type)) throw sqlErr(`sqlite_schema.type must be 'table', 'index', 'view' or 'trigger' here, not ${type === null ? 'NULL' : String(type)}`, at);
  if (typeof name !== 'string') throw sqlErr('sqlite_schema.name must be text here', at);
  if (typeof tblName !== 'string') throw sqlErr('sqlite_schema.tbl_name must be text here', at);
  if (sql !== null && typeof sql !== 'string') throw sqlErr('sqlite_schema.sql must be text or NULL here', at);
  return { id, type: type as SchemaRow['type'], name, tblName, sql: sql ?? null };
}
