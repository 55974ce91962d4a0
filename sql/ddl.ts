/**
 * CREATE TABLE (… AS SELECT included), CREATE [UNIQUE] INDEX, CREATE VIEW,
 * CREATE TRIGGER and DROP TABLE / INDEX / VIEW / TRIGGER (CREATE VIRTUAL TABLE and
 * DROP of one: vtab-ddl.ts): name rules (sqlite_* is reserved, one
 * namespace for tables, indexes and views, IF [NOT] EXISTS), the schema rows
 * and their stored CREATE text in SQLite's normal form, and the data: a new
 * index is filled from the table's rows (a duplicate fails a UNIQUE one); a
 * dropped object's key range is deleted, and with foreign_keys ON a dropped
 * table is first emptied as by DELETE, running its children's actions; a
 * dropped table or view takes its triggers with it. The first AUTOINCREMENT table creates sqlite_sequence, which is never dropped.
 *
 * Each runs inside the session's DDL program, which marks the statement as
 * touching the schema (the catalog is reloaded if it is undone).
 */
import type * as A from './ast.ts';
import type { SqlValue } from '../format/sql-value.ts';
import { objectPrefix, prefixEnd, rowidBytes, sequenceKey } from '../format/table-key.ts';
import { applyAffinity, isTruthy } from './value.ts';
import { parse } from './parser.ts';
import { buildIndex, buildTable, buildView, countAutoIndexes, fold, SEQUENCE_TABLE_SQL, type SchemaRow } from './catalog.ts';
import { type Frame, type Row, valueKey } from './expr-compile.ts';
import { Planner, readTableRows } from './planner.ts';
import { compileTableWriter, indexEntryKey, indexValues, putRow, removeRow, uniqueError } from './constraints.ts';
import { childRefs, childRemoved, type ForeignKeyContext } from './foreign-keys.ts';
import { sqlErr } from './sql-error.ts';
import { dropVirtualTable } from './vtab-ddl.ts';

/** What CREATE and DROP need of the session. */
export interface DdlSession extends ForeignKeyContext {
  /** A frame for one execution with `params` bound. */
  frame(params: readonly SqlValue[]): Frame;
}

function checkNewName(s: DdlSession, name: string, kind: string, pos: { line: number; column: number }): void {
  if (fold(name).startsWith('sqlite_')) throw sqlErr(`object name reserved for internal use: ${name}`, pos);
  const used = s.catalog.nameInUse(name);
  if (used) throw sqlErr(`${used.type === kind ? kind : 'there is already another table or index with this name:'}${used.type === kind ? ` ${name} already exists` : ` ${name}`}`, pos);
}

/** A TEMP table, index or view already named `name` (the temp schema's own namespace). */
function tempNameInUse(s: DdlSession, name: string): SchemaRow | undefined {
  const k = fold(name);
  return s.catalog.tempRows.find((r) => r.type !== 'trigger' && fold(r.name) === k);
}

export function createTable(s: DdlSession, stmt: A.CreateTableStmt): void {
  const name = stmt.name.name;
  const temp = stmt.temporary;
  if (temp) {
    // The temp schema is a namespace of its own: a TEMP table may shadow a main table, as in SQLite.
    const used = tempNameInUse(s, name);
    if (used) {
      if (stmt.ifNotExists) return;
      throw sqlErr(`${used.type === 'index' ? 'there is already an index named' : used.type} ${name}${used.type === 'index' ? '' : ' already exists'}`, stmt.name.pos);
    }
    if (fold(name).startsWith('sqlite_')) throw sqlErr(`object name reserved for internal use: ${name}`, stmt.name.pos);
  } else if (s.catalog.nameInUse(name)) {
    const used = s.catalog.nameInUse(name)!;
    if (stmt.ifNotExists && (used.type === 'table' || used.type === 'view')) return;
    if (stmt.ifNotExists) return;
    throw sqlErr(`${used.type === 'index' ? 'there is already an index named' : used.type} ${name}${used.type === 'index' ? '' : ' already exists'}`, stmt.name.pos);
  }
  if (!temp) checkNewName(s, name, 'table', stmt.name.pos);
  let create = stmt;
  let asRows: Row[] | null = null;
  if (stmt.definition.kind === 'AsSelect') {
    const planner = new Planner({ catalog: s.catalog, store: () => s.overlay });
    const plan = planner.query(stmt.definition.query, null);
    const f = s.frame([]);
    asRows = [];
    plan.run(f, (r) => (asRows!.push(r), true));
    const cols = plan.columns.map((c) => `${quoteIdent(c.name)}${c.aff === null || c.aff === 'BLOB' ? '' : ` ${affTypeName(c.aff)}`}`);
    const sql = `CREATE TABLE ${quoteIdent(name)}(${cols.join(',')})`;
    const parsed = parse(sql)[0] as A.CreateTableStmt;
    create = parsed;
  }
  const nAuto = countAutoIndexes(create);
  const newId = (): number => (temp ? s.catalog.allocateTempId() : s.catalog.allocateId(s.overlay));
  const id = newId();
  const autoIds: number[] = [];
  for (let i = 0; i < nAuto; i++) autoIds.push(newId());
  const t = buildTable(create, id, autoIds);
  // Generated columns' expressions must compile over the row (names, no subquery, deterministic), as SQLite checks at CREATE.
  if (t.columns.some((c) => c.generated !== null)) compileTableWriter(t, new Planner({ catalog: s.catalog, store: () => s.overlay }));
  const sql = schemaText('CREATE TABLE', create, create.name.pos.offset);
  if (temp) {
    // A TEMP table's schema rows stay in memory (sqlite_temp_schema), its rows in the temp store ([SQL-CAT-8]).
    s.catalog.addTempRow({ id, type: 'table', name, tblName: name, sql });
    t.indexes.forEach((ix) => s.catalog.addTempRow({ id: ix.id, type: 'index', name: ix.name, tblName: name, sql: null }));
  } else {
    s.catalog.addRow(s.overlay, { id, type: 'table', name, tblName: name, sql });
    t.indexes.forEach((ix) => s.catalog.addRow(s.overlay, { id: ix.id, type: 'index', name: ix.name, tblName: name, sql: null }));
  }
  if (!temp && t.autoincrement && s.catalog.sequenceRow() === undefined) {
    // As SQLite: the first AUTOINCREMENT table creates sqlite_sequence, listed right after it and its indexes, never dropped.
    const seqId = s.catalog.allocateId(s.overlay);
    s.catalog.addRow(s.overlay, { id: seqId, type: 'table', name: 'sqlite_sequence', tblName: 'sqlite_sequence', sql: SEQUENCE_TABLE_SQL });
  }
  s.catalog.rebuild();
  if (asRows !== null) {
    const tt = s.catalog.table(name, temp ? 'temp' : 'main')!;
    const planner = new Planner({ catalog: s.catalog, store: () => s.overlay });
    const w = compileTableWriter(tt, planner);
    const f = s.frame([]);
    for (const r of asRows) {
      const row = [...r.map((v, i) => applyAffinity(v, tt.columns[i]!.affinity)), null];
      const rowid = s.rowids.newRowid(tt);
      row[tt.columns.length] = rowid;
      putRow(s, w, row, rowid, f);
    }
  }
}

export function createIndex(s: DdlSession, stmt: A.CreateIndexStmt): void {
  const t = s.catalog.table(stmt.table.name, stmt.schema);
  if (!t && s.catalog.virtualTable(stmt.table.name, stmt.schema) !== undefined) throw sqlErr('virtual tables may not be indexed', stmt.table.pos);
  if (!t) throw sqlErr(`no such table: ${stmt.schema ?? 'main'}.${stmt.table.name}`, stmt.table.pos);
  // An index on a TEMP table is TEMP too (SQLite puts it in the table's schema).
  const used = t.temp ? tempNameInUse(s, stmt.name.name) : s.catalog.nameInUse(stmt.name.name);
  if (used) {
    if (stmt.ifNotExists) return;
    throw sqlErr(used.type === 'index' ? `index ${stmt.name.name} already exists` : `there is already a table named ${stmt.name.name}`, stmt.name.pos);
  }
  if (t.temp) {
    if (fold(stmt.name.name).startsWith('sqlite_')) throw sqlErr(`object name reserved for internal use: ${stmt.name.name}`, stmt.name.pos);
  } else checkNewName(s, stmt.name.name, 'index', stmt.name.pos);
  const id = t.temp ? s.catalog.allocateTempId() : s.catalog.allocateId(s.overlay);
  const ix = buildIndex(stmt, id, t);
  // Populate from existing rows (and check uniqueness).
  const planner = new Planner({ catalog: s.catalog, store: () => s.overlay });
  const scope = planner.rootScope();
  const slot = planner.comp.allocSlot();
  scope.sources.push({ slot, name: t.name, columns: t.columns.map((c) => ({ name: c.name, aff: c.affinity, coll: c.collation })), rowidIndex: t.columns.length, table: t, mergedColumns: new Set(), width: t.columns.length + 1 });
  const exprEvs = ix.columns.map((c) => (c.expr ? planner.comp.compile(c.expr, scope).ev : null));
  const where = ix.where ? planner.comp.compile(ix.where, scope).ev : null;
  const f = s.frame([]);
  const rows = readTableRows(s.overlay, t);
  const seen = new Set<string>();
  for (const r of rows) {
    f.rows[slot] = r;
    if (where && isTruthy(where(f)) !== true) continue;
    const vals = indexValues(ix, r, exprEvs, f, slot);
    const rowid = r[t.columns.length] as number | bigint;
    if (ix.unique && !vals.some((v) => v === null)) {
      const k = vals.map((v, i) => valueKey(v, ix.columns[i]!.collation)).join('\u0001');
      if (seen.has(k)) throw uniqueError(t, ix);
      seen.add(k);
    }
    s.overlay.put(indexEntryKey(ix, vals, rowid), rowidBytes(rowid));
  }
  const row: SchemaRow = { id, type: 'index', name: stmt.name.name, tblName: t.name, sql: schemaText(stmt.unique ? 'CREATE UNIQUE INDEX' : 'CREATE INDEX', stmt, stmt.name.pos.offset) };
  if (t.temp) s.catalog.addTempRow(row);
  else s.catalog.addRow(s.overlay, row);
  s.catalog.rebuild();
}

export function createView(s: DdlSession, stmt: A.CreateViewStmt): void {
  const used = s.catalog.nameInUse(stmt.name.name);
  if (used) {
    if (stmt.ifNotExists) return;
    throw sqlErr(`${used.type} ${stmt.name.name} already exists`, stmt.name.pos);
  }
  checkNewName(s, stmt.name.name, 'view', stmt.name.pos);
  // Like SQLite, names inside the view are resolved when it is used, not now.
  const sql = schemaText('CREATE VIEW', stmt, stmt.name.pos.offset);
  if (stmt.temporary) {
    // A TEMP view lives in memory only, like a TEMP trigger ([SQL-CAT-6]).
    s.catalog.addTempRow({ id: s.catalog.allocateTempId(), type: 'view', name: stmt.name.name, tblName: stmt.name.name, sql });
    s.catalog.rebuild();
    return;
  }
  const id = s.catalog.allocateId(s.overlay);
  buildView(stmt, id);
  s.catalog.addRow(s.overlay, { id, type: 'view', name: stmt.name.name, tblName: stmt.name.name, sql });
  s.catalog.rebuild();
}

/**
 * CREATE TRIGGER: the trigger's own namespace (IF NOT EXISTS), a table for
 * BEFORE / AFTER, a view for INSTEAD OF, never a sqlite_* table. Names in the
 * body are resolved when the trigger fires, as SQLite does. A TEMP trigger's
 * row stays in memory.
 */
export function createTrigger(s: DdlSession, stmt: A.CreateTriggerStmt): void {
  const name = stmt.name.name;
  if (s.catalog.triggers.has(fold(name))) {
    if (stmt.ifNotExists) return;
    throw sqlErr(`trigger ${name} already exists`, stmt.name.pos);
  }
  if (fold(name).startsWith('sqlite_')) throw sqlErr(`object name reserved for internal use: ${name}`, stmt.name.pos);
  const on = stmt.table.name;
  if (fold(on).startsWith('sqlite_')) throw sqlErr('cannot create trigger on system table', stmt.table.pos);
  const t = s.catalog.table(on);
  const v = s.catalog.views.get(fold(on));
  if (!t && !v && s.catalog.virtualTable(on) !== undefined) throw sqlErr('cannot create triggers on virtual tables', stmt.table.pos);
  if (!t && !v) throw sqlErr(`no such table: main.${on}`, stmt.table.pos);
  if (v && stmt.timing !== 'INSTEAD OF') throw sqlErr(`cannot create ${stmt.timing} trigger on view: ${on}`, stmt.table.pos);
  if (t && stmt.timing === 'INSTEAD OF') throw sqlErr(`cannot create INSTEAD OF trigger on table: ${on}`, stmt.table.pos);
  const tblName = t ? t.name : v!.name;
  const sql = schemaText('CREATE TRIGGER', stmt, stmt.name.pos.offset);
  // A trigger on a TEMP table is TEMP itself, as in SQLite.
  if (stmt.temporary || t?.temp === true) s.catalog.addTempRow({ id: s.catalog.allocateTempId(), type: 'trigger', name, tblName, sql });
  else s.catalog.addRow(s.overlay, { id: s.catalog.allocateId(s.overlay), type: 'trigger', name, tblName, sql });
  s.catalog.rebuild();
}

/** Removes the triggers on table or view `name` (DROP TABLE, DROP VIEW). */
function dropTriggersOn(s: DdlSession, name: string): void {
  for (const tr of s.catalog.triggersOn(name)) {
    if (tr.temp) s.catalog.removeTempRow(tr.id);
    else s.catalog.removeRow(s.overlay, tr.id);
  }
}

function deleteRange(s: DdlSession, id: number): void {
  const lo = objectPrefix(id);
  const keys: Uint8Array[] = [];
  const cur = s.overlay.scan(lo, prefixEnd(lo));
  try {
    while (cur.next()) keys.push(cur.key().slice());
  } finally {
    cur.close();
  }
  for (const k of keys) s.overlay.delete(k);
}

/**
 * DROP TABLE/INDEX/VIEW/TRIGGER. Returns the changes of the implicit DELETE FROM that SQLite runs
 * (sqlite3FkDropTable) when foreign keys are on and a foreign key of the same schema references the
 * dropped table, or the table has a deferred foreign key of its own: its row count — 0 for an empty
 * table (or a deferred child while no violation is outstanding), which still sets changes() to 0,
 * as that DELETE does. null when no DELETE ran: changes() keeps the previous statement's count.
 */
export function drop(s: DdlSession, stmt: A.DropStmt): number | null {
  const name = stmt.name.name;
  const k = fold(name);
  switch (stmt.objectType) {
    case 'TABLE': {
      const t = s.catalog.table(name, stmt.schema);
      // A TEMP virtual table shadows a main table of the same name, as a TEMP table does.
      const vt = s.catalog.virtualTable(name, stmt.schema);
      if (vt !== undefined && (t === undefined || (vt.temp && !t.temp))) {
        dropVirtualTable(s, vt, stmt.name.pos);
        return 0;
      }
      if (!t) {
        if (k === 'sqlite_sequence' && s.catalog.hasSequenceTable()) throw sqlErr('table sqlite_sequence may not be dropped', stmt.name.pos);
        if (stmt.ifExists) return null;
        if (s.catalog.views.has(k)) throw sqlErr(`use DROP VIEW to delete view ${name}`, stmt.name.pos);
        throw sqlErr(`no such table: ${name}`, stmt.name.pos);
      }
      let changes: number | null = null;
      if (s.foreignKeys) {
        // SQLite's sqlite3FkDropTable: a DELETE FROM is compiled when a foreign key of the table's own
        // schema references it, or when the table has a deferred foreign key of its own; that one
        // runs only while deferred violations are outstanding (OP_FkIfZero), else it deletes nothing.
        const referenced = [...s.catalog.tables.values()].some((c) => c.temp === t.temp && c.foreignKeys.some((fk) => fold(fk.parentTable) === fold(t.name)));
        const deferredChild = t.foreignKeys.some((fk) => fk.deferred || s.deferForeignKeys);
        const counted = referenced || (deferredChild && s.deferredViolations !== 0);
        // An implicit DELETE FROM: children referencing rows must not be left dangling.
        const planner = new Planner({ catalog: s.catalog, store: () => s.overlay });
        const w = compileTableWriter(t, planner);
        const f = s.frame([]);
        const rows = readTableRows(s.overlay, t);
        for (const r of rows) {
          childRefs(s, t, r, null, f, 0);
          childRemoved(s, t, r);
          removeRow(s, w, r, f);
        }
        if (referenced || deferredChild) changes = counted ? rows.length : 0;
      }
      deleteRange(s, t.id);
      const removeSchemaRow = (id: number): void => (t.temp ? s.catalog.removeTempRow(id) : s.catalog.removeRow(s.overlay, id));
      for (const ix of t.indexes) {
        deleteRange(s, ix.id);
        removeSchemaRow(ix.id);
      }
      s.overlay.delete(sequenceKey(t.id));
      // A TEMP table shadowing a main one of the same name takes only its own triggers (all TEMP).
      if (t.temp) {
        for (const tr of s.catalog.triggersOn(t.name)) if (tr.temp) s.catalog.removeTempRow(tr.id);
      } else dropTriggersOn(s, t.name);
      removeSchemaRow(t.id);
      s.rowids.dropTable(t.id);
      s.catalog.rebuild();
      return changes;
    }
    case 'INDEX': {
      const ix = s.catalog.indexes.get(k);
      if (!ix) {
        if (stmt.ifExists) return null;
        throw sqlErr(`no such index: ${name}`, stmt.name.pos);
      }
      if (ix.sql === null) throw sqlErr('index associated with UNIQUE or PRIMARY KEY constraint cannot be dropped', stmt.name.pos);
      deleteRange(s, ix.id);
      if (s.catalog.tempRows.some((r) => r.id === ix.id)) s.catalog.removeTempRow(ix.id);
      else s.catalog.removeRow(s.overlay, ix.id);
      s.catalog.rebuild();
      return null;
    }
    case 'VIEW': {
      const v = s.catalog.views.get(k);
      if (!v) {
        if (stmt.ifExists) return null;
        if (s.catalog.tables.has(k) || s.catalog.virtualTable(name) !== undefined) throw sqlErr(`use DROP TABLE to delete table ${name}`, stmt.name.pos);
        throw sqlErr(`no such view: ${name}`, stmt.name.pos);
      }
      dropTriggersOn(s, v.name);
      if (s.catalog.tempRows.some((r) => r.type === 'view' && r.id === v.id && fold(r.name) === k)) s.catalog.removeTempRow(v.id);
      else s.catalog.removeRow(s.overlay, v.id);
      s.catalog.rebuild();
      return null;
    }
    case 'TRIGGER': {
      const tr = s.catalog.triggers.get(k);
      if (!tr) {
        if (stmt.ifExists) return null;
        throw sqlErr(`no such trigger: ${name}`, stmt.name.pos);
      }
      if (tr.temp) s.catalog.removeTempRow(tr.id);
      else s.catalog.removeRow(s.overlay, tr.id);
      s.catalog.rebuild();
      return null;
    }
  }
}

/**
 * The CREATE text stored in sqlite_schema: SQLite's normal form keeps the
 * text from the object name on, behind a canonical 'CREATE TABLE' etc.
 * (dropping IF NOT EXISTS and a schema prefix).
 */
function schemaText(head: string, stmt: A.Statement, nameOffset: number): string {
  return `${head} ${stmt.sql.slice(nameOffset - stmt.pos.offset)}`;
}

function quoteIdent(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/** The declared type CREATE TABLE … AS SELECT gives a column of affinity `a` (as SQLite). */
function affTypeName(a: string): string {
  switch (a) {
    case 'INTEGER':
      return 'INT';
    case 'REAL':
      return 'REAL';
    case 'NUMERIC':
      return 'NUM';
    case 'TEXT':
      return 'TEXT';
    default:
      return '';
  }
}
