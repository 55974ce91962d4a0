/**
 * CREATE VIRTUAL TABLE name USING module(args), and the tables it makes, as
 * SQLite keeps them:
 *
 * - The table is a schema row (type 'table', rootpage 0) holding
 *   'CREATE VIRTUAL TABLE name USING module(args)' — the text from the name
 *   on, as written — and nothing else: it has no rows of its own. The row is
 *   written in the statement's transaction, so ROLLBACK undoes it, and it
 *   stays in sqlite_schema across closes and opens like any table's.
 * - Its columns and rows come from the module, which the application
 *   registers on each connection (the drop-in's db.table(name, factory),
 *   sql/compat-functions.ts). CREATE calls the module's constructor with the
 *   arguments' source text (SQLite's xCreate); the first statement using the
 *   table on another connection calls it again (xConnect), and the result
 *   is kept for the connection until the table is dropped or renamed or the
 *   module registered again (user-functions.ts `connected`). A connection
 *   without the module gets SQLite's "no such module: NAME" when it plans a
 *   statement using the table, DROP TABLE included (SQLite connects the
 *   table to drop it); sqlite_schema still lists it.
 * - Such a table cannot be written ("table NAME may not be modified"),
 *   indexed, given triggers or altered, except by RENAME TO; its name shares
 *   the namespace of tables, indexes and views. One in the temp schema
 *   (`CREATE VIRTUAL TABLE temp.name`) has its schema row in memory only,
 *   as a TEMP table (catalog.ts tempRows), and the factory is told
 *   database 'temp'.
 * - What the constructor throws reaches the caller unchanged and leaves no
 *   schema row.
 */
import type * as A from './ast.ts';
import type { Catalog, VirtualTableInfo } from './catalog.ts';
import { fold } from './catalog.ts';
import type { Overlay } from './txn.ts';
import type { VirtualTable } from './virtual-table.ts';
import type { UserFunctions, UserModule, UserTable } from './user-functions.ts';
import { HeliosError } from '../format/errors.ts';
import { createLexer } from './lexer.ts';
import { sqlErr } from './sql-error.ts';

type Pos = { line: number; column: number };

/** What CREATE and DROP of a virtual table need of the session (ddl.ts DdlSession has it). */
interface VtabSession {
  readonly catalog: Catalog;
  readonly overlay: Overlay;
}

/** The connection cache's key of a table: its id and its definition (a rename or a recreated table connects anew). */
function connectionKey(info: VirtualTableInfo): string {
  return `${info.id}\u0000${info.sql}`;
}

function noSuchModule(name: string, pos?: Pos): Error {
  return sqlErr(`no such module: ${name}`, pos);
}

/** The module `name` makes tables with: a registered module, or an eponymous table (SQLite's xConnect of one ignores the arguments). */
function moduleOf(uf: UserFunctions | null, name: string): { readonly connect: UserModule['connect'] } | undefined {
  if (uf === null) return undefined;
  const m = uf.module(fold(name));
  if (m !== undefined) return m;
  const t = uf.table(fold(name));
  return t === undefined ? undefined : { connect: (): UserTable => t };
}

/** Whether this connection can connect `info` (its module is registered). */
export function moduleRegistered(catalog: Catalog, info: VirtualTableInfo): boolean {
  return moduleOf(catalog.userFunctions, info.module) !== undefined;
}

/** The rows of virtual table `info` on this connection (connecting it the first time). */
export function connectVirtualTable(catalog: Catalog, info: VirtualTableInfo, pos?: Pos): VirtualTable {
  const uf = catalog.userFunctions;
  const m = moduleOf(uf, info.module);
  if (uf === null || m === undefined) throw noSuchModule(info.module, pos);
  return uf.connected(connectionKey(info), fold(info.module), () => m.connect({ module: info.module, database: info.temp ? 'temp' : 'main', table: info.name }, info.args));
}

export function createVirtualTable(s: VtabSession, stmt: A.CreateVirtualTableStmt): void {
  const name = stmt.name.name;
  const schema = stmt.schema === null ? 'main' : fold(stmt.schema);
  if (schema !== 'main' && schema !== 'temp') throw sqlErr(`unknown database ${stmt.schema}`, stmt.name.pos);
  const temp = schema === 'temp';
  // The temp schema is a namespace of its own (its tables, indexes and views); the main one is shared by all three.
  const used = temp ? s.catalog.tempRows.find((r) => r.type !== 'trigger' && fold(r.name) === fold(name)) : s.catalog.nameInUse(name);
  if (used !== undefined) {
    if (stmt.ifNotExists) return;
    throw sqlErr(used.type === 'index' ? `there is already an index named ${name}` : `table ${name} already exists`, stmt.name.pos);
  }
  if (fold(name).startsWith('sqlite_')) throw sqlErr(`object name reserved for internal use: ${name}`, stmt.name.pos);
  // Only a registered module creates tables: an eponymous-only one (db.table with a definition) cannot (SQLite: no xCreate).
  const uf = s.catalog.userFunctions;
  const m = uf?.module(fold(stmt.module.name));
  if (uf === null || uf === undefined || m === undefined) throw noSuchModule(stmt.module.name, stmt.module.pos);
  const table = m.connect({ module: stmt.module.name, database: schema, table: name }, stmt.args);
  const id = temp ? s.catalog.allocateTempId() : s.catalog.allocateId(s.overlay);
  const sql = `CREATE VIRTUAL TABLE ${stmt.sql.slice(stmt.name.pos.offset - stmt.pos.offset)}`;
  const info: VirtualTableInfo = { type: 'virtual', id, name, sql, module: stmt.module.name, args: stmt.args, temp };
  // A connection left from a table that a ROLLBACK undid may have the same id and text: this one replaces it.
  uf.disconnect(connectionKey(info));
  uf.connected(connectionKey(info), fold(stmt.module.name), () => table);
  const row = { id, type: 'table' as const, name, tblName: name, sql };
  if (temp) s.catalog.addTempRow(row);
  else s.catalog.addRow(s.overlay, row);
  s.catalog.rebuild();
}

/** DROP TABLE of a virtual table: the module must be there (SQLite connects the table to destroy it). */
export function dropVirtualTable(s: VtabSession, info: VirtualTableInfo, pos: Pos): void {
  connectVirtualTable(s.catalog, info, pos);
  s.catalog.userFunctions?.disconnect(connectionKey(info));
  if (info.temp) s.catalog.removeTempRow(info.id);
  else s.catalog.removeRow(s.overlay, info.id);
  s.catalog.rebuild();
}

/** Forgets this connection's instance of `info` (its definition is about to change). */
export function disconnectVirtualTable(catalog: Catalog, info: VirtualTableInfo): void {
  catalog.userFunctions?.disconnect(connectionKey(info));
}

/** The schema text of `info` renamed to `to`: the name double-quoted, as SQLite's RENAME writes it. */
export function renamedVirtualTableSql(info: VirtualTableInfo, to: string): string {
  const head = 'CREATE VIRTUAL TABLE ';
  const nameEnd = createLexer(info.sql, head.length).next().end;
  return `${head}"${to.replace(/"/g, '""')}"${info.sql.slice(nameEnd)}`;
}

/** ALTER TABLE on a virtual table other than RENAME TO (alter.ts renames it): refused with SQLite's messages. */
export function alterVirtualTable(info: VirtualTableInfo, stmt: A.AlterTableStmt): never {
  const a = stmt.action;
  switch (a.kind) {
    case 'RenameTable':
      throw new HeliosError('INTERNAL', 'RENAME TO of a virtual table is alter.ts renameVirtualTable');
    case 'RenameColumn':
      throw sqlErr(`cannot rename columns of virtual table "${info.name}"`, stmt.table.pos);
    case 'DropColumn':
      throw sqlErr(`cannot drop column from virtual table "${info.name}"`, stmt.table.pos);
    case 'AddColumn':
      throw sqlErr('virtual tables may not be altered', stmt.table.pos);
  }
}
