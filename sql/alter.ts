/**
 * ALTER TABLE, done as SQLite does it: by rewriting the CREATE text stored
 * in the schema (never the rows) and rebuilding the catalog from it.
 *  - RENAME TO: the table's and its indexes' text get the new name,
 *    double-quoted; automatic indexes are renamed sqlite_autoindex_<new>_N.
 *  - RENAME COLUMN: the column's definition, table-constraint references and
 *    references inside CHECK and index expressions, each written
 *    double-quoted when the ALTER quoted the new name or that occurrence was
 *    quoted, else bare (SQLite's renameEditSql).
 *  - ADD COLUMN: the column text goes before the first table constraint. Not
 *    allowed: PRIMARY KEY or UNIQUE; when the table holds rows, a non-constant
 *    default, NOT NULL with a NULL default, or (foreign_keys ON) REFERENCES
 *    with a non-NULL default.
 *  - DROP COLUMN is not supported.
 */
import type * as A from './ast.ts';
import { affinityOf } from './value.ts';
import { parse } from './parser.ts';
import { createLexer } from './lexer.ts';
import { fold, type Catalog } from './catalog.ts';
import type { Overlay } from './txn.ts';
import { constantDefaultValue } from './default-value.ts';
import { anyRow } from './constraints.ts';
import { sqlErr } from './sql-error.ts';

/** What ALTER TABLE needs of the session. */
export interface AlterSession {
  readonly catalog: Catalog;
  readonly overlay: Overlay;
  /** PRAGMA foreign_keys. */
  readonly foreignKeys: boolean;
}

export function alterTable(s: AlterSession, stmt: A.AlterTableStmt): void {
  const t = s.catalog.table(stmt.table.name);
  if (!t) throw sqlErr(`no such table: ${stmt.table.name}`, stmt.table.pos);
  const row = s.catalog.rows.find((r) => r.id === t.id)!;
  const a = stmt.action;
  switch (a.kind) {
    case 'RenameTable': {
      const nn = a.newName.name;
      if (s.catalog.nameInUse(nn) && fold(nn) !== fold(t.name)) {
        throw sqlErr(`there is already another table or index with this name: ${nn}`, a.newName.pos);
      }
      if (fold(nn).startsWith('sqlite_')) throw sqlErr(`object name reserved for internal use: ${nn}`, a.newName.pos);
      // As SQLite, the new table name is written double-quoted, in the table's and its indexes' text.
      const quoted = `"${nn.replace(/"/g, '""')}"`;
      const created = parse(row.sql!)[0] as A.CreateTableStmt;
      const sql = replaceToken(row.sql!, created.name.pos.offset - created.pos.offset, quoted);
      s.catalog.replaceRow(s.overlay, { ...row, name: nn, tblName: nn, sql });
      for (const r of [...s.catalog.rows]) {
        if (r.type !== 'index' || fold(r.tblName) !== fold(t.name)) continue;
        if (r.sql === null) {
          s.catalog.replaceRow(s.overlay, { ...r, tblName: nn, name: r.name.replace(/^sqlite_autoindex_.*_(\d+)$/, `sqlite_autoindex_${nn}_$1`) });
        } else {
          const ci = parse(r.sql)[0] as A.CreateIndexStmt;
          s.catalog.replaceRow(s.overlay, { ...r, tblName: nn, sql: replaceToken(r.sql, ci.table.pos.offset - ci.pos.offset, quoted) });
        }
      }
      s.catalog.rebuild();
      return;
    }
    case 'RenameColumn': {
      const ci = t.columnIndex.get(fold(a.column.name));
      if (ci === undefined) throw sqlErr(`no such column: "${a.column.name}"`, a.column.pos);
      if (t.columnIndex.has(fold(a.newName.name))) throw sqlErr(`duplicate column name: ${a.newName.name}`, a.newName.pos);
      // As SQLite (renameEditSql): each occurrence is written double-quoted when the ALTER quoted the new
      // name or that occurrence was quoted, else bare.
      const first = stmt.sql[a.newName.pos.offset - stmt.pos.offset] ?? '';
      const newQuoted = first === '"' || first === '`' || first === '[' || first === "'";
      const quotedName = `"${a.newName.name.replace(/"/g, '""')}"`;
      const newText = (oldToken: string): string => (newQuoted || !/^[A-Za-z0-9_$\u0080-\uffff]/.test(oldToken) ? quotedName : a.newName.name);
      const created = parse(row.sql!)[0] as A.CreateTableStmt;
      const sql = renameColumnInSql(row.sql!, created, a.column.name, newText);
      s.catalog.replaceRow(s.overlay, { ...row, sql });
      for (const r of [...s.catalog.rows]) {
        if (r.type !== 'index' || r.sql === null || fold(r.tblName) !== fold(t.name)) continue;
        s.catalog.replaceRow(s.overlay, { ...r, sql: renameColumnRefs(r.sql, a.column.name, newText) });
      }
      s.catalog.rebuild();
      return;
    }
    case 'AddColumn': {
      const c = a.column;
      if (t.columnIndex.has(fold(c.name.name))) throw sqlErr(`duplicate column name: ${c.name.name}`, c.name.pos);
      for (const k of c.constraints) {
        if (k.kind === 'PrimaryKey') throw sqlErr('Cannot add a PRIMARY KEY column', k.pos);
        if (k.kind === 'Unique') throw sqlErr('Cannot add a UNIQUE column', k.pos);
      }
      const def = c.constraints.find((k) => k.kind === 'Default') as (A.ColumnConstraint & { kind: 'Default' }) | undefined;
      // Like SQLite, these two only fail when the table already holds rows.
      const hasRows = anyRow(s.overlay, t, () => true);
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
      s.catalog.replaceRow(s.overlay, { ...row, sql: newSql });
      s.catalog.rebuild();
      return;
    }
    case 'DropColumn':
      throw sqlErr('ALTER TABLE DROP COLUMN is not supported', stmt.pos);
  }
}

/** Length of the identifier token at `offset` (quoted or bare). */
function tokenLength(sql: string, offset: number): number {
  const c = sql[offset];
  const close = c === '"' ? '"' : c === '`' ? '`' : c === '[' ? ']' : c === "'" ? "'" : null;
  if (close !== null) {
    let i = offset + 1;
    for (;;) {
      if (i >= sql.length) return sql.length - offset;
      if (sql[i] === close) {
        if (close !== ']' && sql[i + 1] === close) {
          i += 2;
          continue;
        }
        return i + 1 - offset;
      }
      i++;
    }
  }
  let i = offset;
  while (i < sql.length && /[A-Za-z0-9_$\u0080-\uffff]/.test(sql[i]!)) i++;
  return i - offset;
}

/** `sql` with the token at `offset` replaced by `text`, or by `text(oldToken)`. */
function replaceToken(sql: string, offset: number, text: string | ((oldToken: string) => string)): string {
  const n = tokenLength(sql, offset);
  return sql.slice(0, offset) + (typeof text === 'string' ? text : text(sql.slice(offset, offset + n))) + sql.slice(offset + n);
}

/** Renames a column in CREATE TABLE text: its definition and table-constraint references. */
function renameColumnInSql(sql: string, created: A.CreateTableStmt, oldName: string, newText: (oldToken: string) => string): string {
  if (created.definition.kind !== 'Columns') return sql;
  const base = created.pos.offset;
  const offsets: number[] = [];
  for (const c of created.definition.columns) if (fold(c.name.name) === fold(oldName)) offsets.push(c.name.pos.offset - base);
  for (const k of created.definition.constraints) {
    if (k.kind === 'PrimaryKey' || k.kind === 'Unique') {
      for (const ic of k.columns) if (ic.expr.kind === 'Column' && fold(ic.expr.column) === fold(oldName)) offsets.push(ic.expr.pos.offset - base);
    } else if (k.kind === 'ForeignKey') {
      for (const n of k.columns) if (fold(n.name) === fold(oldName)) offsets.push(n.pos.offset - base);
    }
  }
  let out = sql;
  for (const o of offsets.sort((a, b) => b - a)) out = replaceToken(out, o, newText);
  return renameColumnRefs(out, oldName, newText, true);
}

/** Renames column references inside CHECK / index expressions (token-level, outside string literals). */
function renameColumnRefs(sql: string, oldName: string, newText: (oldToken: string) => string, onlyChecks = false): string {
  const stmts = parse(sql);
  const s = stmts[0];
  if (!s) return sql;
  const offsets: number[] = [];
  const visit = (e: A.Expr | null): void => {
    if (e === null) return;
    if (e.kind === 'Column') {
      if (fold(e.column) === fold(oldName)) offsets.push(e.pos.offset + (e.table !== null ? sql.slice(e.pos.offset).indexOf('.') + 1 : 0));
      return;
    }
    for (const v of Object.values(e)) {
      if (v && typeof v === 'object' && 'kind' in (v as object)) visit(v as A.Expr);
      else if (Array.isArray(v)) for (const x of v) if (x && typeof x === 'object' && 'kind' in x) visit(x as A.Expr);
    }
  };
  if (s.kind === 'CreateIndex' && !onlyChecks) {
    for (const ic of s.columns) visit(ic.expr);
    visit(s.where);
  } else if (s.kind === 'CreateTable' && s.definition.kind === 'Columns') {
    for (const c of s.definition.columns) for (const k of c.constraints) if (k.kind === 'Check') visit(k.expr);
    for (const k of s.definition.constraints) if (k.kind === 'Check') visit(k.expr);
  }
  let out = sql;
  for (const o of [...new Set(offsets)].sort((a, b) => b - a)) out = replaceToken(out, o - s.pos.offset, newText);
  return out;
}
