/**
 * ALTER TABLE, done as SQLite does it: by rewriting the CREATE text stored
 * in the schema and rebuilding the catalog from it. Before and after a
 * rename or drop, every table, index and view must still resolve (SQLite's
 * renameTestSchema: "error in view v after rename: …").
 *  - RENAME TO: every name of the table in any schema text (its own,
 *    indexes, views, REFERENCES in other tables; sql/rename.ts finds them)
 *    becomes the new name, double-quoted; automatic indexes are renamed
 *    sqlite_autoindex_<new>_N.
 *  - RENAME COLUMN: every reference that resolves to the column (definition,
 *    constraints, CHECK, indexes, views, REFERENCES t(col) elsewhere), each
 *    written double-quoted when the ALTER quoted the new name or that
 *    occurrence was quoted, else bare (SQLite's renameEditSql).
 *  - ADD COLUMN: the column text goes before the first table constraint. Not
 *    allowed: PRIMARY KEY or UNIQUE; when the table holds rows, a non-constant
 *    default, NOT NULL with a NULL default, or (foreign_keys ON) REFERENCES
 *    with a non-NULL default.
 *  - DROP COLUMN: see dropColumn; rows are rewritten without the value.
 */
import type * as A from './ast.ts';
import { HeliosError } from '../format/errors.ts';
import { encodeRow } from '../format/row-codec.ts';
import { rowKey } from '../format/table-key.ts';
import { affinityOf } from './value.ts';
import { parse } from './parser.ts';
import { createLexer } from './lexer.ts';
import { buildIndex, buildTable, fold, type Catalog, type SchemaRow, type TableInfo, type VirtualTableInfo } from './catalog.ts';
import type { Overlay } from './txn.ts';
import type { Frame, Row } from './expr-compile.ts';
import type { SqlValue } from '../format/sql-value.ts';
import { Planner, readTableRows } from './planner.ts';
import { constantDefaultValue } from './default-value.ts';
import { anyRow, compileTableWriter, computeGenerated } from './constraints.ts';
import { createRenameCollector, replaceTokens, type RenameSchema, type RenameTarget } from './rename.ts';
import { sqlErr } from './sql-error.ts';
import { alterVirtualTable, connectVirtualTable, disconnectVirtualTable, renamedVirtualTableSql } from './vtab-ddl.ts';

/** What ALTER TABLE needs of the session. */
export interface AlterSession {
  readonly catalog: Catalog;
  readonly overlay: Overlay;
  /** PRAGMA foreign_keys. */
  readonly foreignKeys: boolean;
  /** A frame for one execution (computing an added generated column's values). */
  frame(params: readonly SqlValue[]): Frame;
}

/** The rewriter's view of the catalog (sql/rename.ts). */
function renameSchema(catalog: Catalog): RenameSchema {
  return {
    tableColumns: (name) => {
      const t = catalog.table(name);
      if (t !== undefined) return t.columns.map((c) => c.name);
      const vi = catalog.virtualTable(name);
      if (vi === undefined) return undefined;
      const vt = connectVirtualTable(catalog, vi);
      return [...vt.columns, ...vt.parameters];
    },
    view: (name) => catalog.views.get(fold(name)),
  };
}

/** Rewrites every schema entry's text for `target` (see rename.ts); `text` gives each token's replacement. */
function rewriteSchema(s: AlterSession, target: RenameTarget, text: (oldToken: string) => string, edit: (r: SchemaRow, sql: string | null) => SchemaRow): void {
  const schema = renameSchema(s.catalog);
  for (const r of [...s.catalog.rows]) {
    if (r.sql === null) {
      const e = edit(r, null);
      if (e !== r) s.catalog.replaceRow(s.overlay, e);
      continue;
    }
    // A row that did not load (kept under writable_schema) stays as written, as SQLite leaves it.
    if (s.catalog.damaged.has(r.id)) continue;
    const stmt = parse(r.sql)[0]!;
    const c = createRenameCollector(r.sql, schema, target);
    c.collectStatement(stmt);
    const sql = replaceTokens(r.sql, c.tokens(), text);
    const e = edit(r, sql);
    if (e !== r || sql !== r.sql) s.catalog.replaceRow(s.overlay, e === r ? { ...r, sql } : e);
  }
}

/**
 * SQLite's renameTestSchema: every table, index and view must still parse
 * and resolve its names. `when` is '' before the change, ' after rename' /
 * ' after drop column' after it; the first failing object is named in the error.
 */
function testSchema(s: AlterSession, when: string): void {
  const fail = (r: SchemaRow, e: unknown): HeliosError => {
    let msg = e instanceof HeliosError ? e.message.split('\n')[0]! : String(e);
    if (r.type === 'view') msg = msg.replace(/^no such table: ([^.]+)$/, 'no such table: main.$1');
    return sqlErr(`error in ${r.type} ${r.name}${when}: ${msg}`);
  };
  const planner = new Planner({ catalog: s.catalog, store: () => s.overlay });
  const built = new Map<string, TableInfo>();
  for (const r of s.catalog.rows) {
    if (r.sql === null || r.type === 'view' || fold(r.name) === 'sqlite_sequence' || s.catalog.damaged.has(r.id)) continue;
    try {
      const stmt = parse(r.sql)[0]!;
      if (stmt.kind === 'CreateTable') {
        const t = buildTable(stmt, r.id, new Array<number>(64).fill(0));
        compileTableWriter(t, planner);
        built.set(fold(t.name), t);
      } else if (stmt.kind === 'CreateIndex') {
        const t = built.get(fold(stmt.table.name));
        if (t === undefined) throw sqlErr(`no such table: main.${stmt.table.name}`);
        compileTableWriter({ ...t, indexes: [buildIndex(stmt, r.id, t)] }, planner);
      }
    } catch (e) {
      throw fail(r, e);
    }
  }
  s.catalog.rebuild();
  for (const v of s.catalog.views.values()) {
    try {
      new Planner({ catalog: s.catalog, store: () => s.overlay }).query(v.query, null);
    } catch (e) {
      throw fail(s.catalog.rows.find((r) => r.id === v.id)!, e);
    }
  }
}

/**
 * ALTER TABLE v RENAME TO n of a virtual table (vtab-ddl.ts): its schema row
 * and every reference to it are rewritten as for a table; the module must be
 * registered (SQLite connects the table to rename it), and the connection
 * makes it anew under its new name.
 */
function renameVirtualTable(s: AlterSession, vt: VirtualTableInfo, newName: A.Name): void {
  const nn = newName.name;
  if (s.catalog.nameInUse(nn)) throw sqlErr(`there is already another table or index with this name: ${nn}`, newName.pos);
  if (fold(nn).startsWith('sqlite_')) throw sqlErr(`object name reserved for internal use: ${nn}`, newName.pos);
  connectVirtualTable(s.catalog, vt);
  testSchema(s, '');
  const quoted = `"${nn.replace(/"/g, '""')}"`;
  rewriteSchema(s, { kind: 'table', table: vt.name }, () => quoted, (r, sql) => (r.id === vt.id ? { ...r, name: nn, tblName: nn, sql: renamedVirtualTableSql(vt, nn) } : r));
  disconnectVirtualTable(s.catalog, vt);
  testSchema(s, ' after rename');
}

/** SQLite's isAlterableTable: sqlite_* tables cannot be altered. */
function alterableTable(s: AlterSession, stmt: A.AlterTableStmt): TableInfo {
  const name = stmt.table.name;
  if (fold(name).startsWith('sqlite_')) throw sqlErr(`table ${fold(name) === 'sqlite_schema' ? 'sqlite_master' : name} may not be altered`, stmt.table.pos);
  const t = s.catalog.table(name);
  if (!t) {
    if (s.catalog.views.has(fold(name)) && stmt.action.kind === 'DropColumn') throw sqlErr(`cannot drop column from view "${name}"`, stmt.table.pos);
    if (s.catalog.views.has(fold(name)) && stmt.action.kind !== 'AddColumn') throw sqlErr(`view ${name} may not be altered`, stmt.table.pos);
    throw sqlErr(`no such table: ${name}`, stmt.table.pos);
  }
  // Its schema rows live in memory (sqlite_temp_schema); ALTER rewrites stored ones only.
  if (t.temp) throw sqlErr('ALTER TABLE on a TEMP table is not supported', stmt.table.pos);
  return t;
}

export function alterTable(s: AlterSession, stmt: A.AlterTableStmt): void {
  const t0 = s.catalog.table(stmt.table.name);
  const vt0 = s.catalog.virtualTable(stmt.table.name);
  // A TEMP virtual table shadows a main table of the same name.
  const vt = t0 === undefined || (vt0 !== undefined && vt0.temp && !t0.temp) ? vt0 : undefined;
  if (vt !== undefined) {
    if (vt.temp) throw sqlErr('ALTER TABLE on a TEMP table is not supported', stmt.table.pos);
    if (stmt.action.kind === 'RenameTable') return renameVirtualTable(s, vt, stmt.action.newName);
    alterVirtualTable(vt, stmt);
  }
  const t = alterableTable(s, stmt);
  const row = s.catalog.rows.find((r) => r.id === t.id)!;
  const a = stmt.action;
  switch (a.kind) {
    case 'RenameTable': {
      const nn = a.newName.name;
      // As SQLite, also when only the case changes (RENAME TO T of t).
      if (s.catalog.nameInUse(nn)) {
        throw sqlErr(`there is already another table or index with this name: ${nn}`, a.newName.pos);
      }
      if (fold(nn).startsWith('sqlite_')) throw sqlErr(`object name reserved for internal use: ${nn}`, a.newName.pos);
      testSchema(s, '');
      // As SQLite, the new table name is written double-quoted wherever the table is named.
      const quoted = `"${nn.replace(/"/g, '""')}"`;
      const old = fold(t.name);
      rewriteSchema(s, { kind: 'table', table: t.name }, () => quoted, (r, sql) => {
        if (r.id === t.id) return { ...r, name: nn, tblName: nn, sql };
        if ((r.type !== 'index' && r.type !== 'trigger') || fold(r.tblName) !== old) return r;
        if (r.sql === null) return { ...r, tblName: nn, name: r.name.replace(/^sqlite_autoindex_.*_(\d+)$/, `sqlite_autoindex_${nn}_$1`) };
        return { ...r, tblName: nn, sql };
      });
      testSchema(s, ' after rename');
      return;
    }
    case 'RenameColumn': {
      const ci = t.columnIndex.get(fold(a.column.name));
      if (ci === undefined) throw sqlErr(`no such column: "${a.column.name}"`, a.column.pos);
      // A new name already in use is found by the schema test after the rename, as in SQLite.
      testSchema(s, '');
      // As SQLite (renameEditSql): each occurrence is written double-quoted when the ALTER quoted the new
      // name or that occurrence was quoted, else bare.
      const first = stmt.sql[a.newName.pos.offset - stmt.pos.offset] ?? '';
      const newQuoted = first === '"' || first === '`' || first === '[' || first === "'";
      const quotedName = `"${a.newName.name.replace(/"/g, '""')}"`;
      const newText = (oldToken: string): string => (newQuoted || !/^[A-Za-z0-9_$\u0080-\uffff]/.test(oldToken) ? quotedName : a.newName.name);
      rewriteSchema(s, { kind: 'column', table: t.name, column: t.columns[ci]!.name }, newText, (r) => r);
      testSchema(s, ' after rename');
      void row;
      return;
    }
    case 'AddColumn': {
      const c = a.column;
      if (t.columnIndex.has(fold(c.name.name))) throw sqlErr(`duplicate column name: ${c.name.name}`, c.name.pos);
      for (const k of c.constraints) {
        if (k.kind === 'PrimaryKey') throw sqlErr('Cannot add a PRIMARY KEY column', k.pos);
        if (k.kind === 'Unique') throw sqlErr('Cannot add a UNIQUE column', k.pos);
      }
      // Like SQLite (sqlite3ErrorIfNotEmpty), these only fail when the table already holds rows.
      const hasRows = anyRow(s.overlay, t, () => true);
      const stored = c.constraints.find((k) => k.kind === 'Generated' && k.stored);
      if (hasRows && stored) throw sqlErr('cannot add a STORED column', stored.pos);
      const def = c.constraints.find((k) => k.kind === 'Default') as (A.ColumnConstraint & { kind: 'Default' }) | undefined;
      const tokenText = (e: A.Expr): string => createLexer(stmt.sql, e.pos.offset - stmt.pos.offset).next().value;
      if (hasRows && def && constantDefaultValue(def.expr, affinityOf(c.type?.name ?? null), tokenText) === undefined) {
        throw sqlErr('Cannot add a column with non-constant default', def.pos);
      }
      if (hasRows && def && def.expr.kind !== 'Null' && s.foreignKeys && c.constraints.some((k) => k.kind === 'References')) {
        throw sqlErr('Cannot add a REFERENCES column with non-NULL default value', def.pos);
      }
      const nn = c.constraints.some((k) => k.kind === 'NotNull');
      if (hasRows && nn && (!def || def.expr.kind === 'Null')) throw sqlErr('Cannot add a NOT NULL column with default value NULL', c.pos);
      const colText = stmt.sql.slice(c.pos.offset - stmt.pos.offset).trim();
      const sql = row.sql!;
      const created = parse(sql)[0] as A.CreateTableStmt;
      const firstConstraint = created.definition.kind === 'Columns' ? created.definition.constraints[0] : undefined;
      let newSql: string;
      if (firstConstraint) {
        const at = firstConstraint.pos.offset - created.pos.offset;
        newSql = `${sql.slice(0, at)}${colText}, ${sql.slice(at)}`;
      } else {
        const close = sql.lastIndexOf(')');
        newSql = `${sql.slice(0, close).replace(/\s+$/, '')}, ${colText}${sql.slice(close)}`;
      }
      try {
        // The new text must still define a table (a STRICT table refuses an unknown type name), as SQLite tests it.
        const nt = buildTable(parse(newSql)[0] as A.CreateTableStmt, t.id, t.indexes.map((ix) => ix.id));
        if (nt.columns.some((col) => col.generated !== null)) compileTableWriter(nt, new Planner({ catalog: s.catalog, store: () => s.overlay }));
      } catch (e) {
        throw sqlErr(`error in table ${t.name} after add column: ${e instanceof HeliosError ? e.message.split('\n')[0]! : String(e)}`, c.pos);
      }
      s.catalog.replaceRow(s.overlay, { ...row, sql: newSql });
      s.catalog.rebuild();
      if (hasRows && c.constraints.some((k) => k.kind === 'Generated')) fillGenerated(s, s.catalog.table(t.name)!);
      return;
    }
    case 'DropColumn':
      dropColumn(s, t, row, a.column);
      return;
  }
}

/**
 * The trigger part of SQLite's schema test after DROP COLUMN: a trigger
 * whose WHEN or body has an expression naming the column (NEW.c, OLD.c,
 * t.c, or c resolving to it) would no longer resolve, so the drop is refused
 * with SQLite's message ("error in trigger ct after drop column: no such
 * column: NEW.pid"). INSERT column lists, SET targets and UPDATE OF lists
 * naming it do not stop it, as in SQLite. Checked before the change, on the
 * schema that still has the column.
 */
function triggersStillResolve(s: AlterSession, t: TableInfo, column: string): void {
  const schema = renameSchema(s.catalog);
  for (const r of s.catalog.rows) {
    if (r.type !== 'trigger' || r.sql === null || s.catalog.damaged.has(r.id)) continue;
    const c = createRenameCollector(r.sql, schema, { kind: 'column', table: t.name, column }, true);
    c.collectStatement(parse(r.sql)[0]!);
    const first = c.tokens().at(-1);
    if (first === undefined) continue;
    // The reference as SQLite names it: its qualifier (if any) and the column, unquoted.
    const names = [first];
    const lx = createLexer(r.sql, 0);
    let prev: { offset: number; end: number; kind: string }[] = [];
    for (let tok = lx.next(); tok.kind !== 'eof' && tok.offset < first.offset; tok = lx.next()) prev = [...prev.slice(-1), tok];
    if (prev.length === 2 && prev[1]!.kind === '.' && prev[1]!.end === first.offset) names.unshift(prev[0]!);
    const text = names.map((n) => unquote(r.sql!.slice(n.offset, n.end))).join('.');
    throw sqlErr(`error in trigger ${r.name} after drop column: no such column: ${text}`);
  }
}

const unquote = (token: string): string => (/^["`'[]/.test(token) ? token.slice(1, -1).replace(/""/g, '"') : token);

/**
 * ALTER TABLE … DROP COLUMN with SQLite's refusals, in its order: no such
 * column; a PRIMARY KEY column or one with a column-level UNIQUE; the only
 * column; then any schema object that no longer resolves (a table CHECK or
 * constraint, an index, a view naming it). The column's definition is cut
 * from the CREATE text as sqlite_drop_column cuts it, and every row is
 * rewritten without its value.
 */
function dropColumn(s: AlterSession, t: TableInfo, row: SchemaRow, name: A.Name): void {
  const ci = t.columnIndex.get(fold(name.name));
  if (ci === undefined) throw sqlErr(`no such column: "${name.name}"`, name.pos);
  const col = t.columns[ci]!;
  const created = parse(row.sql!)[0] as A.CreateTableStmt;
  if (created.definition.kind !== 'Columns') throw new HeliosError('INTERNAL', 'stored CREATE TABLE without columns');
  const def = created.definition.columns[ci]!;
  if (col.pk > 0) throw sqlErr(`cannot drop PRIMARY KEY column: "${col.name}"`, name.pos);
  if (def.constraints.some((k) => k.kind === 'Unique')) throw sqlErr(`cannot drop UNIQUE column: "${col.name}"`, name.pos);
  if (t.columns.length <= 1) throw sqlErr(`cannot drop column "${col.name}": no other columns exist`, name.pos);
  testSchema(s, '');
  triggersStillResolve(s, t, col.name);
  const sql = row.sql!;
  const base = created.pos.offset;
  let from = def.pos.offset - base;
  let to: number;
  if (ci < t.columns.length - 1) to = created.definition.columns[ci + 1]!.pos.offset - base;
  else {
    // The last column: from the comma before it to where ADD COLUMN would insert (the comma before the table constraints, or the closing parenthesis).
    to = columnEnd(sql, from);
    while (from > 0 && sql[from] !== ',') from--;
  }
  s.catalog.replaceRow(s.overlay, { ...row, sql: sql.slice(0, from) + sql.slice(to) });
  testSchema(s, ' after drop column');
  const nt = s.catalog.table(t.name)!;
  const rows = readTableRows(s.overlay, t);
  const n = nt.columns.length;
  for (const r of rows) {
    const rowid = r[t.columns.length] as number | bigint;
    const vals = r.slice(0, t.columns.length);
    vals.splice(ci, 1);
    s.overlay.put(rowKey(t.id, rowid), encodeRow(vals, n, nt.rowidAlias, s.overlay.alloc));
  }
}

/**
 * Gives every row of `t` the value of a VIRTUAL column ADD COLUMN just added (rows written
 * before it hold fewer values): each row is read, its generated columns computed, and written
 * back, so a read never computes. No index names the new column yet.
 */
function fillGenerated(s: AlterSession, t: TableInfo): void {
  const w = compileTableWriter(t, new Planner({ catalog: s.catalog, store: () => s.overlay }));
  const f = s.frame([]);
  const rows = readTableRows(s.overlay, t);
  const n = t.columns.length;
  for (const r of rows) {
    computeGenerated(w, r, f);
    s.overlay.put(rowKey(t.id, r[n] as number | bigint), encodeRow(r.slice(0, n), n, t.rowidAlias, s.overlay.alloc));
  }
}

/** Offset of the ',' or ')' that ends the column definition starting at `offset` (depth 0, tokens, so strings and comments are skipped). */
function columnEnd(sql: string, offset: number): number {
  const lx = createLexer(sql, offset);
  let depth = 0;
  for (;;) {
    const tk = lx.next();
    if (tk.kind === 'eof' || tk.offset >= sql.length) return sql.length;
    if (tk.kind === '(') depth++;
    else if (tk.kind === ')') {
      if (depth === 0) return tk.offset;
      depth--;
    } else if (tk.kind === ',' && depth === 0) return tk.offset;
  }
}

