/**
 * The schema: tables, indexes and views, as the planner and executor see them.
 *
 * Persistence: each object is one engine key (see format/table-key.ts) holding
 * `{type, name, tbl_name, sql}` — the original CREATE text, exactly what
 * `sqlite_schema` shows — and the in-memory objects are rebuilt by parsing
 * that text on open (as SQLite does). Indexes created implicitly by UNIQUE
 * and PRIMARY KEY constraints are stored with `sql: null` and named
 * `sqlite_autoindex_<table>_<n>`, as in SQLite.
 *
 * Triggers are schema rows of type 'trigger' (tbl_name: the table or view
 * they are on) holding the CREATE TRIGGER text; they have a namespace of
 * their own, as in SQLite. TEMP triggers live only in memory, in `tempRows`
 * (SQLite's sqlite_temp_schema), and vanish when the database closes.
 *
 * Names are case-insensitive (ASCII folding), as in SQLite.
 */
import type {
  ColumnDef,
  ConflictAction,
  CreateIndexStmt,
  CreateTableStmt,
  CreateTriggerStmt,
  CreateViewStmt,
  Expr,
  ForeignKeyAction,
  IndexedColumn,
  Query,
  Statement,
} from './ast.ts';
import { HeliosError } from '../format/errors.ts';
import type { Collation, SqlValue } from '../format/sql-value.ts';
import { affinityOf, type Affinity } from './value.ts';
import { utf8Decode, utf8Encode } from '../format/bytes.ts';
import { parse } from './parser.ts';
import { createLexer } from './lexer.ts';
import { constantDefaultValue, type TokenText } from './default-value.ts';
import { META_KEY, SCHEMA_HI, SCHEMA_LO, readU32, schemaKey } from '../format/table-key.ts';
import type { Overlay } from './txn.ts';
import { TEMP_ID_BASE } from './temp-store.ts';
import type { UserFunctions } from './user-functions.ts';

export type { Affinity };

export function normalizeCollation(name: string, pos?: { line: number; column: number }): Collation {
  const c = name.toUpperCase();
  if (c === 'BINARY' || c === 'NOCASE' || c === 'RTRIM') return c;
  throw new HeliosError('SQL_ERROR', `no such collation sequence: ${name}`, pos ? { line: pos.line, column: pos.column } : {});
}

export interface ColumnInfo {
  readonly name: string;
  /** Declared type as written ('' when none). */
  readonly declType: string;
  readonly affinity: Affinity;
  readonly notNull: boolean;
  /** The NOT NULL constraint's own ON CONFLICT clause. */
  readonly notNullConflict: ConflictAction | null;
  readonly defaultExpr: Expr | null;
  /** The DEFAULT as written (PRAGMA table_info dflt_value). */
  readonly defaultText: string | null;
  /**
   * The column's value in a row written before ALTER TABLE added it (a row
   * with fewer values than columns): the DEFAULT's constant value as SQLite
   * computes it (sql/default-value.ts), NULL without a DEFAULT, `undefined`
   * when the DEFAULT is not constant (then no such row exists: ALTER TABLE
   * refuses it on a table with rows).
   */
  readonly absentValue: SqlValue | undefined;
  readonly collation: Collation;
  /** 1-based position in the PRIMARY KEY, 0 when not part of it. */
  readonly pk: number;
  readonly checks: readonly Expr[];
  /** `GENERATED ALWAYS AS (expr) [VIRTUAL|STORED]`: computed on every write (constraints.ts), never assigned; null for an ordinary column. */
  readonly generated: { readonly expr: Expr; readonly stored: boolean } | null;
}

export interface ForeignKeyInfo {
  readonly columns: readonly number[];
  readonly parentTable: string;
  /** Parent column names, or null for the parent's primary key. */
  readonly parentColumns: readonly string[] | null;
  readonly onDelete: ForeignKeyAction;
  readonly onUpdate: ForeignKeyAction;
  /** `DEFERRABLE INITIALLY DEFERRED`: checked at COMMIT (sql/foreign-keys.ts). */
  readonly deferred: boolean;
}

export interface IndexColumn {
  /** Table column index, or -1 for an expression term, or -2 for the rowid. */
  readonly column: number;
  readonly expr: Expr | null;
  readonly desc: boolean;
  readonly collation: Collation;
}

export interface IndexInfo {
  readonly id: number;
  readonly name: string;
  readonly table: string;
  readonly unique: boolean;
  readonly columns: readonly IndexColumn[];
  readonly where: Expr | null;
  /** 'c' CREATE INDEX, 'u' UNIQUE constraint, 'pk' PRIMARY KEY constraint (PRAGMA index_list origin). */
  readonly origin: 'c' | 'u' | 'pk';
  readonly sql: string | null;
  readonly conflict: ConflictAction | null;
}

export interface TableInfo {
  readonly type: 'table';
  readonly id: number;
  readonly name: string;
  readonly sql: string;
  readonly columns: readonly ColumnInfo[];
  /** Column that aliases the rowid (INTEGER PRIMARY KEY), or -1. */
  readonly rowidAlias: number;
  readonly autoincrement: boolean;
  readonly pkConflict: ConflictAction | null;
  readonly checks: readonly { readonly name: string | null; readonly expr: Expr }[];
  readonly foreignKeys: readonly ForeignKeyInfo[];
  /** Every index on the table, automatic ones first in constraint order, then CREATE INDEX ones. */
  readonly indexes: IndexInfo[];
  readonly columnIndex: ReadonlyMap<string, number>;
  readonly withoutRowid: boolean;
  /** A STRICT table: every column's type is one of STRICT_TYPES, checked on every write (constraints.ts). */
  readonly strict: boolean;
  /** A TEMP table (sqlite_temp_schema): its schema rows in memory, its rows in the session's temp store (temp-store.ts). */
  readonly temp: boolean;
}

/**
 * The type names a STRICT table allows, with the affinity each applies before its type is
 * checked (SQLite: ANY converts nothing, unlike ANY in an ordinary table, which is NUMERIC).
 */
export const STRICT_TYPES: ReadonlyMap<string, Affinity> = new Map<string, Affinity>([
  ['INT', 'INTEGER'],
  ['INTEGER', 'INTEGER'],
  ['REAL', 'REAL'],
  ['TEXT', 'TEXT'],
  ['BLOB', 'BLOB'],
  ['ANY', 'BLOB'],
]);

export interface ViewInfo {
  readonly type: 'view';
  readonly id: number;
  readonly name: string;
  readonly sql: string;
  readonly columns: readonly string[] | null;
  readonly query: Query;
}

/**
 * A table made by CREATE VIRTUAL TABLE (schema row type 'table', its text
 * 'CREATE VIRTUAL TABLE … USING module(args)', rootpage 0 as in SQLite).
 * Only its definition is stored: its columns and rows come from the module,
 * which the application registers on each connection (the drop-in's
 * db.table(name, factory), sql/vtab-ddl.ts); without it, using the table is
 * SQLite's "no such module".
 */
export interface VirtualTableInfo {
  readonly type: 'virtual';
  readonly id: number;
  readonly name: string;
  readonly sql: string;
  readonly module: string;
  readonly args: readonly string[];
  /** In the temp schema (CREATE VIRTUAL TABLE temp.name): its entry held in memory only ([SQL-CAT-8]). */
  readonly temp: boolean;
}

/** A trigger as its CREATE TRIGGER text defines it (sql/trigger.ts compiles and fires it). */
export interface TriggerInfo {
  readonly type: 'trigger';
  readonly id: number;
  readonly name: string;
  /** The table or view the trigger is on, as written. */
  readonly table: string;
  readonly sql: string;
  readonly temp: boolean;
  readonly stmt: CreateTriggerStmt;
}

export interface SchemaRow {
  readonly id: number;
  readonly type: 'table' | 'index' | 'view' | 'trigger';
  readonly name: string;
  readonly tblName: string;
  readonly sql: string | null;
}

/**
 * The key a name is looked up by: SQLite folds identifiers by ASCII case only, so `"Ä"` and
 * `"ä"`, or the Kelvin sign and `k`, are different names. Only lookups use it: the catalog
 * stores names as written and rebuilds its maps at every open, so databases created while
 * names folded by Unicode case still open (they cannot hold two names differing only so).
 */
export const fold = (s: string): string => (/[A-Z]/.test(s) ? s.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : s);

/** The column a name matched under the Unicode case folding of databases written before ASCII folding. */
function legacyColumn(table: TableInfo, name: string): number | undefined {
  const lower = name.toLowerCase();
  const i = table.columns.findIndex((c) => c.name.toLowerCase() === lower);
  return i < 0 ? undefined : i;
}

/** Builds the TableInfo of a CREATE TABLE (no storage). Auto-index ids come from `autoIds` in order. */
export function buildTable(stmt: CreateTableStmt, id: number, autoIds: readonly number[], descPkIsAlias = true): TableInfo {
  const def = stmt.definition;
  if (def.kind !== 'Columns') throw new HeliosError('INTERNAL', 'CREATE TABLE AS must be expanded before buildTable');
  const name = stmt.name.name;
  const columnIndex = new Map<string, number>();
  def.columns.forEach((c, i) => {
    const k = fold(c.name.name);
    if (columnIndex.has(k)) throw new HeliosError('SQL_ERROR', `duplicate column name: ${c.name.name}`, posOf(c.name.pos));
    columnIndex.set(k, i);
  });
  const colIdx = (n: string, pos: { line: number; column: number }): number => {
    const i = columnIndex.get(fold(n));
    if (i === undefined) throw new HeliosError('SQL_ERROR', `no such column: ${n}`, posOf(pos));
    return i;
  };
  // Primary key
  let pkCols: { col: number; desc: boolean; collation: string | null }[] = [];
  let pkInColumn = false;
  let autoincrement = false;
  let pkConflict: ConflictAction | null = null;
  let pkCount = 0;
  def.columns.forEach((c, i) => {
    for (const k of c.constraints) {
      if (k.kind === 'PrimaryKey') {
        pkCount++;
        pkCols = [{ col: i, desc: k.order === 'DESC', collation: null }];
        pkInColumn = true;
        autoincrement = k.autoincrement;
        pkConflict = k.conflict;
      }
    }
  });
  for (const k of def.constraints) {
    if (k.kind === 'PrimaryKey') {
      pkCount++;
      pkCols = k.columns.map((ic) => ({ col: colIdx(indexedColumnName(ic), ic.pos), desc: ic.order === 'DESC', collation: ic.collation }));
      pkInColumn = false;
      autoincrement = k.autoincrement;
      pkConflict = k.conflict;
    }
  }
  if (pkCount > 1) throw new HeliosError('SQL_ERROR', `table "${name}" has more than one primary key`, posOf(stmt.pos));
  let rowidAlias = -1;
  if (pkCols.length === 1 && !def.withoutRowid) {
    const c = def.columns[pkCols[0]!.col]!;
    // SQLite's quirk: `x INTEGER PRIMARY KEY DESC` is not a rowid alias, `PRIMARY KEY(x DESC)` is.
    if (c.type !== null && c.type.name.toUpperCase() === 'INTEGER' && !(pkCols[0]!.desc && (pkInColumn || !descPkIsAlias))) rowidAlias = pkCols[0]!.col;
  }
  if (autoincrement && rowidAlias < 0) throw new HeliosError('SQL_ERROR', 'AUTOINCREMENT is only allowed on an INTEGER PRIMARY KEY', posOf(stmt.pos));
  const pkPos = new Map<number, number>();
  pkCols.forEach((p, i) => pkPos.set(p.col, i + 1));

  const tokenText = (e: Expr): string => createLexer(stmt.sql, e.pos.offset - stmt.pos.offset).next().value;
  if (def.strict) {
    for (const c of def.columns) {
      if (c.type === null) throw new HeliosError('SQL_ERROR', `missing datatype for ${name}.${c.name.name}`, posOf(c.name.pos));
      const written = c.type.args.length > 0 ? `${c.type.name}(${c.type.args.join(',')})` : c.type.name;
      if (c.type.args.length > 0 || !STRICT_TYPES.has(c.type.name.toUpperCase())) {
        throw new HeliosError('SQL_ERROR', `unknown datatype for ${name}.${c.name.name}: "${written}"`, posOf(c.name.pos));
      }
    }
  }
  const columns: ColumnInfo[] = def.columns.map((c, i) => {
    const col = buildColumn(c, pkPos.get(i) ?? 0, tokenText, def.strict);
    // A WITHOUT ROWID table's PRIMARY KEY columns are NOT NULL (SQLite: convertToWithoutRowidTable).
    return def.withoutRowid && col.pk > 0 && !col.notNull ? { ...col, notNull: true } : col;
  });
  if (columns.some((c) => c.generated !== null)) {
    if (columns.every((c) => c.generated !== null)) throw new HeliosError('SQL_ERROR', 'must have at least one non-generated column', posOf(stmt.pos));
    generatedOrder(name, columns, columnIndex);
  }
  const checks: { name: string | null; expr: Expr }[] = [];
  const fks: ForeignKeyInfo[] = [];
  const indexes: IndexInfo[] = [];
  let autoN = 0;
  const addAuto = (cols: { col: number; desc: boolean; collation: string | null }[], origin: 'u' | 'pk', conflict: ConflictAction | null): void => {
    const collationOf = (p: { col: number; collation: string | null }): Collation => (p.collation ? normalizeCollation(p.collation) : columns[p.col]!.collation);
    // As SQLite (build.c): a constraint on the same columns in the same order
    // with the same collations as an earlier one shares its index (ASC/DESC
    // aside); UNIQUE(a) and UNIQUE(a COLLATE NOCASE) are two indexes. The
    // shared index becomes the PRIMARY KEY's if either is, and takes the one
    // ON CONFLICT clause given (two different ones are an error).
    const at = indexes.findIndex((ix) => ix.columns.length === cols.length && ix.columns.every((c, j) => c.column === cols[j]!.col && c.collation === collationOf(cols[j]!)));
    if (at >= 0) {
      const same = indexes[at]!;
      if (same.conflict !== null && conflict !== null && same.conflict !== conflict) {
        throw new HeliosError('SQL_ERROR', 'conflicting ON CONFLICT clauses specified', posOf(stmt.pos));
      }
      indexes[at] = { ...same, origin: origin === 'pk' ? 'pk' : same.origin, conflict: same.conflict ?? conflict };
      return;
    }
    const idxId = autoIds[autoN];
    if (idxId === undefined) {
      // A database written before constraints were told apart by collation stored one index for
      // UNIQUE(a) and UNIQUE(a COLLATE NOCASE): it keeps working as it was written.
      if (indexes.some((ix) => ix.columns.length === cols.length && ix.columns.every((c, j) => c.column === cols[j]!.col))) return;
      throw new HeliosError('CORRUPTION', `missing automatic index ${autoN + 1} of table ${name}`);
    }
    autoN++;
    indexes.push({
      id: idxId,
      name: `sqlite_autoindex_${name}_${autoN}`,
      table: name,
      unique: true,
      columns: cols.map((p) => ({ column: p.col, expr: null, desc: p.desc, collation: collationOf(p) })),
      where: null,
      origin,
      sql: null,
      conflict,
    });
  };
  // Order as SQLite: column constraints in column order, then table constraints.
  def.columns.forEach((c, i) => {
    for (const k of c.constraints) {
      if (k.kind === 'PrimaryKey' && rowidAlias !== i) addAuto([{ col: i, desc: k.order === 'DESC', collation: null }], 'pk', k.conflict);
      else if (k.kind === 'Unique') addAuto([{ col: i, desc: false, collation: null }], 'u', k.conflict);
      else if (k.kind === 'Check') checks.push({ name: k.name, expr: k.expr });
      else if (k.kind === 'References') fks.push(fkInfo([i], k.foreignKey));
    }
  });
  for (const k of def.constraints) {
    if (k.kind === 'PrimaryKey' && rowidAlias < 0) addAuto(pkCols, 'pk', k.conflict);
    else if (k.kind === 'Unique')
      addAuto(k.columns.map((ic) => ({ col: colIdx(indexedColumnName(ic), ic.pos), desc: ic.order === 'DESC', collation: ic.collation })), 'u', k.conflict);
    else if (k.kind === 'Check') checks.push({ name: k.name, expr: k.expr });
    else if (k.kind === 'ForeignKey') {
      const cols = k.columns.map((n) => {
        const i = columnIndex.get(fold(n.name));
        if (i === undefined) throw new HeliosError('SQL_ERROR', `unknown column "${n.name}" in foreign key definition`, posOf(n.pos));
        return i;
      });
      fks.push(fkInfo(cols, k.foreignKey));
    }
  }
  return {
    type: 'table',
    id,
    name,
    sql: stmt.sql,
    columns,
    rowidAlias,
    autoincrement,
    pkConflict,
    checks,
    foreignKeys: fks,
    indexes,
    columnIndex,
    withoutRowid: def.withoutRowid,
    strict: def.strict,
    temp: id >= TEMP_ID_BASE,
  };
}

/** The columns of table `tableName` an expression names (any AST node of kind Column, unqualified or qualified by the table). */
function columnsNamed(e: unknown, tableName: string, columnIndex: ReadonlyMap<string, number>, out: Set<number>): void {
  if (e === null || typeof e !== 'object') return;
  if (Array.isArray(e)) {
    for (const x of e) columnsNamed(x, tableName, columnIndex, out);
    return;
  }
  const node = e as { kind?: unknown; table?: unknown; column?: unknown };
  if (node.kind === 'Column' && typeof node.column === 'string' && (node.table === null || (typeof node.table === 'string' && fold(node.table) === fold(tableName)))) {
    const i = columnIndex.get(fold(node.column));
    if (i !== undefined) out.add(i);
  }
  for (const v of Object.values(e)) if (v !== null && typeof v === 'object') columnsNamed(v, tableName, columnIndex, out);
}

/**
 * The generated columns of a table in the order they are computed: each after the generated
 * columns its expression names. A cycle is SQLite's "generated column loop on "x"".
 */
export function generatedOrder(tableName: string, columns: readonly ColumnInfo[], columnIndex: ReadonlyMap<string, number>): number[] {
  const order: number[] = [];
  const state = new Map<number, 'visiting' | 'done'>();
  // As SQLite names it: the column whose expression reaches a column still being computed.
  const visit = (i: number): void => {
    if (state.get(i) === 'done') return;
    state.set(i, 'visiting');
    const deps = new Set<number>();
    columnsNamed(columns[i]!.generated!.expr, tableName, columnIndex, deps);
    for (const d of deps) {
      if (columns[d]!.generated === null) continue;
      if (state.get(d) === 'visiting') throw new HeliosError('SQL_ERROR', `generated column loop on "${columns[i]!.name}"`);
      visit(d);
    }
    state.set(i, 'done');
    order.push(i);
  };
  columns.forEach((c, i) => {
    if (c.generated !== null) visit(i);
  });
  return order;
}

/** How many automatic indexes a CREATE TABLE needs (so ids can be allocated first). */
export function countAutoIndexes(stmt: CreateTableStmt): number {
  return buildTable(stmt, 0, new Array<number>(stmt.definition.kind === 'Columns' ? stmt.definition.columns.length + stmt.definition.constraints.length + 1 : 0).fill(1)).indexes.length;
}

function indexedColumnName(ic: IndexedColumn): string {
  if (ic.expr.kind !== 'Column' || ic.expr.table !== null) {
    throw new HeliosError('SQL_ERROR', 'expressions prohibited in PRIMARY KEY and UNIQUE constraints', posOf(ic.pos));
  }
  return ic.expr.column;
}

function fkInfo(cols: number[], fk: { table: { name: string }; columns: readonly { name: string }[] | null; onDelete: ForeignKeyAction | null; onUpdate: ForeignKeyAction | null; deferred: boolean }): ForeignKeyInfo {
  return {
    columns: cols,
    parentTable: fk.table.name,
    parentColumns: fk.columns ? fk.columns.map((c) => c.name) : null,
    onDelete: fk.onDelete ?? 'NO ACTION',
    onUpdate: fk.onUpdate ?? 'NO ACTION',
    deferred: fk.deferred,
  };
}

function buildColumn(c: ColumnDef, pk: number, tokenText: TokenText, strict: boolean): ColumnInfo {
  let notNull = false;
  let notNullConflict: ConflictAction | null = null;
  let defaultExpr: Expr | null = null;
  let defaultText: string | null = null;
  let collation: Collation = 'BINARY';
  let generated: ColumnInfo['generated'] = null;
  let hasDefault = false;
  const checks: Expr[] = [];
  for (const k of c.constraints) {
    switch (k.kind) {
      case 'NotNull':
        notNull = true;
        notNullConflict = k.conflict;
        break;
      case 'Default':
        hasDefault = true;
        defaultExpr = k.expr;
        defaultText = k.text;
        break;
      case 'Collate':
        collation = normalizeCollation(k.collation, k.pos);
        break;
      case 'Generated':
        if (pk > 0) throw new HeliosError('SQL_ERROR', 'generated columns cannot be part of the PRIMARY KEY', posOf(k.pos));
        generated = { expr: k.expr, stored: k.stored };
        break;
      default:
        break;
    }
  }
  const declType = c.type === null ? '' : c.type.args.length > 0 ? `${c.type.name}(${c.type.args.join(',')})` : c.type.name;
  const affinity = strict ? STRICT_TYPES.get(c.type!.name.toUpperCase())! : affinityOf(c.type?.name ?? null);
  if (generated !== null && hasDefault) throw new HeliosError('SQL_ERROR', `error in generated column "${c.name.name}"`, posOf(c.name.pos));
  const absentValue = defaultExpr === null ? null : constantDefaultValue(defaultExpr, affinity, tokenText);
  return { name: c.name.name, declType, affinity, notNull, notNullConflict, defaultExpr, defaultText, absentValue, collation, pk, checks, generated };
}

/** Builds an IndexInfo from CREATE INDEX against its table. */
export function buildIndex(stmt: CreateIndexStmt, id: number, table: TableInfo): IndexInfo {
  const columns: IndexColumn[] = stmt.columns.map((ic) => {
    let e = ic.expr;
    let coll: string | null = ic.collation;
    while (e.kind === 'Collate') {
      coll = e.collation;
      e = e.expr;
    }
    if (e.kind === 'Column' && e.table === null) {
      const n = fold(e.column);
      // An index written when names folded by Unicode case may spell its column so ("É" for "é").
      const col = table.columnIndex.get(n) ?? legacyColumn(table, e.column);
      if (col === undefined) {
        if ((n === 'rowid' || n === 'oid' || n === '_rowid_') && table.rowidAlias < 0) {
          return { column: -2, expr: null, desc: ic.order === 'DESC', collation: 'BINARY' as Collation };
        }
        throw new HeliosError('SQL_ERROR', `no such column: ${e.column}`, posOf(e.pos));
      }
      return { column: col, expr: null, desc: ic.order === 'DESC', collation: coll ? normalizeCollation(coll) : table.columns[col]!.collation };
    }
    return { column: -1, expr: e, desc: ic.order === 'DESC', collation: coll ? normalizeCollation(coll) : 'BINARY' };
  });
  return {
    id,
    name: stmt.name.name,
    table: table.name,
    unique: stmt.unique,
    columns,
    where: stmt.where,
    origin: 'c',
    sql: stmt.sql,
    conflict: null,
  };
}

export function buildView(stmt: CreateViewStmt, id: number): ViewInfo {
  return { type: 'view', id, name: stmt.name.name, sql: stmt.sql, columns: stmt.columns ? stmt.columns.map((c) => c.name) : null, query: stmt.query };
}

function posOf(p: { line: number; column: number }): { line: number; column: number } {
  return { line: p.line, column: p.column };
}

/** The live schema of one database, loaded from and written through an Overlay. */
export class Catalog {
  /** Functions, aggregates and tables the application defined (sql/user-functions.ts); null: none. */
  userFunctions: UserFunctions | null = null;
  /** Tables by name as an unqualified name finds them: a TEMP table shadows a main one of the same name, as in SQLite. */
  readonly tables = new Map<string, TableInfo>();
  /** The main database's tables (what `main.t` names). */
  readonly mainTables = new Map<string, TableInfo>();
  readonly views = new Map<string, ViewInfo>();
  /** CREATE VIRTUAL TABLE tables of the main schema by folded name. */
  readonly virtualTables = new Map<string, VirtualTableInfo>();
  /** Those of the temp schema. */
  readonly tempVirtualTables = new Map<string, VirtualTableInfo>();
  /** trigger name → trigger (TEMP ones included). */
  readonly triggers = new Map<string, TriggerInfo>();
  /** TEMP triggers' schema rows: in memory only, never written to the store (sqlite_temp_schema). */
  tempRows: SchemaRow[] = [];
  /** index name → index (every table's). */
  readonly indexes = new Map<string, IndexInfo>();
  /** Schema rows in creation order (sqlite_schema). */
  rows: SchemaRow[] = [];
  nextId = 1;
  /** Bumped on every schema change; prepared statements re-plan when it moved. */
  version = 0;

  /**
   * Whether PRAGMA writable_schema is in effect for the connection (on, and
   * SQLITE_DBCONFIG_DEFENSIVE off: sql/pragma.ts). The Session sets it; a
   * catalog on its own never lets the schema be written.
   */
  writableSchema: () => boolean = () => false;
  /**
   * Whether the stored schema rows may differ from `rows`: DML on
   * sqlite_schema under PRAGMA writable_schema (sql/schema-write.ts) wrote
   * them since the last load. sqlite_schema then shows them as stored (read
   * from the store, so a rollback undoes them there too); the objects they
   * describe change at the next load, as in SQLite.
   */
  private storeDiffers = false;
  /** Whether the last load compared each row's type, name and tbl_name with its SQL (SQLite skips that under writable_schema). */
  private schemaChecks = true;
  /** Stored rows the last build skipped because they do not load: id → "malformed database schema (name)". */
  readonly damaged = new Map<number, HeliosError>();
  /**
   * The error of the first damaged row when the schema was last loaded
   * without writable_schema: every statement but a few PRAGMAs and
   * transaction control reports it (requireLoaded), until writable_schema
   * lets the schema load without that row (SQLite's SQLITE_NoSchemaError).
   */
  malformed: HeliosError | null = null;

  /**
   * Reads the schema rows from `store` and builds the objects. A row that
   * does not load (its SQL does not parse or does not match its type, name
   * and tbl_name: only writable_schema can write such rows) is skipped and
   * recorded in `damaged`, so the database stays open for the repair; the
   * rows themselves, and the data of the objects they describe, are kept.
   */
  load(store: Overlay, tempRows: readonly SchemaRow[] = this.tempRows): void {
    this.tempRows = tempRows.slice();
    this.tables.clear();
    this.views.clear();
    this.indexes.clear();
    this.rows = [];
    this.storeDiffers = false;
    const meta = store.get(META_KEY);
    this.nextId = meta && meta.length >= 4 ? readU32(meta, 0) : 1;
    this.rows = readSchemaRows(store);
    const writable = this.writableSchema();
    this.schemaChecks = !writable;
    this.rebuild();
    let first: number | null = null;
    for (const id of this.damaged.keys()) if (first === null || id < first) first = id;
    this.malformed = writable || first === null ? null : this.damaged.get(first)!;
  }

  /**
   * Throws `malformed` for a statement that needs the schema; under
   * writable_schema the schema is loaded again instead, without the damaged
   * rows, so they can be repaired (or deleted) through sqlite_schema.
   */
  requireLoaded(store: Overlay): void {
    if (this.malformed === null) return;
    if (!this.writableSchema()) throw this.malformed;
    this.load(store);
  }

  /** Rebuilds the in-memory objects from `rows` (stored rows that do not load are skipped into `damaged`). */
  rebuild(): void {
    this.tables.clear();
    this.mainTables.clear();
    this.views.clear();
    this.virtualTables.clear();
    this.tempVirtualTables.clear();
    this.indexes.clear();
    this.triggers.clear();
    this.damaged.clear();
    /** Runs `build` for row `r`; a stored row that fails is recorded as damaged (TEMP rows are written by HeliosDB alone). */
    const guard = (r: SchemaRow, temp: boolean, build: () => void): void => {
      if (temp) return build();
      if (this.damaged.has(r.id)) return;
      try {
        build();
      } catch (e) {
        if (!(e instanceof HeliosError) || e.code === 'INTERNAL') throw e;
        this.damaged.set(r.id, malformedSchema(r.name, e.message));
      }
    };
    /** SQLite's check that a row's type, name and tbl_name are what its SQL creates (case as in legacy Unicode-folded names ignored). */
    const matches = (r: SchemaRow, temp: boolean, type: SchemaRow['type'], name: string, tblName: string): void => {
      if (temp || !this.schemaChecks) return;
      if (r.type !== type || r.name.toLowerCase() !== name.toLowerCase() || r.tblName.toLowerCase() !== tblName.toLowerCase()) throw new HeliosError('CORRUPTION', '');
    };
    // SQLite reads the stored rows in order: each one's SQL must parse, and a second table, index
    // or view of a name (they share one namespace; triggers have their own) is refused, so the later row is damaged.
    const parsed = new Map<number, Statement>();
    const names = new Map<string, string>();
    const triggerNames = new Map<string, string>();
    type Kind = 'table' | 'index' | 'view' | 'trigger';
    /** SQLite's checks as it meets a CREATE's name: the row describes it, and (but for an index) no earlier object holds the name. */
    const check = (r: SchemaRow, kind: Kind, name: string, tblName: string): void => {
      matches(r, false, kind, name, tblName);
      const held = (kind === 'trigger' ? triggerNames : names).get(fold(name));
      if (held !== undefined && kind !== 'index') throw new HeliosError('CORRUPTION', held === 'index' ? `there is already an index named ${name}` : `${held} ${name} already exists`);
    };
    for (const r of [...this.rows].sort((a, b) => a.id - b.id)) {
      if (r.sql === null) continue;
      guard(r, false, () => {
        const stmt = parseSchemaSql(r.sql!, (name) => check(r, 'table', name, name));
        parsed.set(r.id, stmt);
        if (stmt.kind !== 'CreateTable' && stmt.kind !== 'CreateIndex' && stmt.kind !== 'CreateView' && stmt.kind !== 'CreateTrigger') return; // the type check reports it
        const kind: Kind = stmt.kind === 'CreateTable' ? 'table' : stmt.kind === 'CreateIndex' ? 'index' : stmt.kind === 'CreateView' ? 'view' : 'trigger';
        // SQLite's CREATE INDEX finds its table (loaded before it) first; tbl_name may spell it in a legacy Unicode case variant.
        if (stmt.kind === 'CreateIndex' && names.get(fold(stmt.table.name)) !== 'table' && names.get(fold(r.tblName)) !== 'table') {
          throw new HeliosError('CORRUPTION', `no such table: main.${stmt.table.name}`);
        }
        check(r, kind, stmt.name.name, stmt.kind === 'CreateIndex' || stmt.kind === 'CreateTrigger' ? stmt.table.name : stmt.name.name);
        const space = kind === 'trigger' ? triggerNames : names;
        const k = fold(stmt.name.name);
        // The first of two indexes of a name keeps it.
        if (!space.has(k)) space.set(k, kind);
      });
    }
    /** A row's parsed SQL: stored rows' from the pass above (a row that failed it is damaged, and `guard` skips it). */
    const sqlOf = (r: SchemaRow, temp: boolean): Statement => (temp ? parseSchemaSql(r.sql!) : parsed.get(r.id)!);
    // Main tables and indexes first, then TEMP ones (which shadow main tables of the same name).
    for (const rows of [this.rows, this.tempRows]) {
      const temp = rows === this.tempRows;
      const tables = new Map<string, TableInfo>();
      const autoIds = new Map<string, { n: number; id: number }[]>();
      for (const r of rows) {
        if (r.type === 'index' && r.sql === null) {
          const m = /_(\d+)$/.exec(r.name);
          const list = autoIds.get(fold(r.tblName)) ?? [];
          list.push({ n: m ? Number(m[1]) : 0, id: r.id });
          autoIds.set(fold(r.tblName), list);
        }
      }
      for (const r of rows) {
        if (r.type !== 'table' || r.sql === null || isSequenceRow(r)) continue;
        guard(r, temp, () => {
          const stmt = sqlOf(r, temp);
          if (stmt.kind === 'CreateVirtualTable') {
            matches(r, temp, 'table', stmt.name.name, stmt.name.name);
            (temp ? this.tempVirtualTables : this.virtualTables).set(fold(r.name), { type: 'virtual', id: r.id, name: r.name, sql: r.sql!, module: stmt.module.name, args: stmt.args, temp });
            return;
          }
          if (stmt.kind !== 'CreateTable') throw new HeliosError('CORRUPTION', ''); // SQLite: the row's type is not what its SQL creates
          if (stmt.definition.kind !== 'Columns') throw new HeliosError('CORRUPTION', 'CREATE TABLE … AS is no stored table definition');
          matches(r, temp, 'table', stmt.name.name, stmt.name.name);
          if (this.tables.has(fold(stmt.name.name)) && this.tables.get(fold(stmt.name.name))!.temp === temp) throw new HeliosError('CORRUPTION', `table ${stmt.name.name} already exists`);
          const ids = (autoIds.get(fold(r.name)) ?? []).sort((a, b) => a.n - b.n).map((x) => x.id);
          let t = buildTable(stmt, r.id, ids);
          // Databases written before `PRIMARY KEY(x DESC)` became a rowid alias (as in SQLite) keep
          // that column in the row with an automatic PRIMARY KEY index: the unused index id says so,
          // and the table goes on being read as it was written.
          if (ids.length > t.indexes.filter((ix) => ix.sql === null).length && t.rowidAlias >= 0 && hasDescTablePk(stmt)) t = buildTable(stmt, r.id, ids, false);
          tables.set(fold(t.name), t);
          this.tables.set(fold(t.name), t);
          if (!temp) this.mainTables.set(fold(t.name), t);
          for (const ix of t.indexes) this.indexes.set(fold(ix.name), ix);
        });
      }
      for (const r of rows) {
        if (r.sql === null || r.type !== 'index') continue;
        guard(r, temp, () => {
          const stmt = sqlOf(r, temp);
          if (stmt.kind !== 'CreateIndex') throw new HeliosError('CORRUPTION', ''); // SQLite: the row's type is not what its SQL creates
          matches(r, temp, 'index', stmt.name.name, stmt.table.name);
          // tbl_name is the table's own spelling; the index text may use a Unicode case variant.
          const t = tables.get(fold(r.tblName)) ?? tables.get(fold(stmt.table.name));
          if (!t) throw new HeliosError('CORRUPTION', `no such table: main.${stmt.table.name}`);
          if (this.indexes.has(fold(stmt.name.name))) throw new HeliosError('CORRUPTION', `index ${stmt.name.name} already exists`);
          const ix = buildIndex(stmt, r.id, t);
          t.indexes.push(ix);
          this.indexes.set(fold(ix.name), ix);
        });
      }
    }
    for (const r of this.rows) {
      if (r.sql === null || r.type !== 'view') continue;
      guard(r, false, () => {
        const stmt = sqlOf(r, false);
        if (stmt.kind !== 'CreateView') throw new HeliosError('CORRUPTION', ''); // SQLite: the row's type is not what its SQL creates
        matches(r, false, 'view', stmt.name.name, stmt.name.name);
        this.views.set(fold(this.schemaChecks ? r.name : stmt.name.name), buildView(stmt, r.id));
      });
    }
    for (const r of this.tempRows) {
      if (r.type !== 'view' || r.sql === null) continue;
      const stmt = parseSchemaSql(r.sql);
      if (stmt.kind !== 'CreateView') throw new HeliosError('INTERNAL', `TEMP entry for ${r.name} is not CREATE VIEW`);
      this.views.set(fold(r.name), buildView(stmt, r.id));
    }
    for (const r of [...this.rows, ...this.tempRows]) {
      if (r.type !== 'trigger' || r.sql === null) continue;
      const temp = this.tempRows.includes(r);
      guard(r, temp, () => {
        const stmt = sqlOf(r, temp);
        if (stmt.kind !== 'CreateTrigger') throw new HeliosError('CORRUPTION', ''); // SQLite: the row's type is not what its SQL creates
        matches(r, temp, 'trigger', stmt.name.name, stmt.table.name);
        const asRow = temp || this.schemaChecks;
        const table = asRow ? r.tblName : stmt.table.name;
        // A TEMP trigger whose table was dropped went with it (as in SQLite); a stored one must name an existing table or view.
        if (!this.tables.has(fold(table)) && !this.views.has(fold(table))) {
          if (temp) return;
          throw new HeliosError('CORRUPTION', `no such table: main.${table}`);
        }
        const name = asRow ? r.name : stmt.name.name;
        this.triggers.set(fold(name), { type: 'trigger', id: r.id, name, table, sql: r.sql!, temp, stmt });
      });
    }
    this.version++;
  }

  allocateId(store: Overlay): number {
    const id = this.nextId++;
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, this.nextId, false);
    store.put(META_KEY, b);
    return id;
  }

  addRow(store: Overlay, row: SchemaRow): void {
    this.rows.push(row);
    store.put(schemaKey(row.id), encodeSchemaRow(row));
  }

  /** Replaces a loaded row, in memory and as stored (a DDL statement's row wins over a writable_schema edit of it). */
  replaceRow(store: Overlay, row: SchemaRow): void {
    const i = this.rows.findIndex((r) => r.id === row.id);
    if (i < 0) throw new HeliosError('INTERNAL', `schema row ${row.id} missing`);
    this.rows[i] = row;
    store.put(schemaKey(row.id), encodeSchemaRow(row));
  }

  removeRow(store: Overlay, id: number): void {
    this.rows = this.rows.filter((r) => r.id !== id);
    store.delete(schemaKey(id));
  }

  /**
   * The schema rows as stored in `store`, in id order: `rows` unless
   * writable_schema DML wrote them since the last load (what sqlite_schema
   * shows).
   */
  storedRows(store: Overlay): SchemaRow[] {
    return this.storeDiffers ? readSchemaRows(store) : this.rows;
  }

  /**
   * Writes (or, with `row` null, deletes) the stored schema row `id` without
   * changing the loaded objects: they follow at the next load (PRAGMA
   * writable_schema = RESET, a rollback of a CREATE / DROP / ALTER, the next open),
   * as in SQLite. A row with an id the catalog never handed out moves
   * nextId past it, so no later object shares its keys.
   */
  writeStoredRow(store: Overlay, id: number, row: SchemaRow | null): void {
    this.storeDiffers = true;
    if (row === null) store.delete(schemaKey(id));
    else store.put(schemaKey(id), encodeSchemaRow(row));
    if (id >= this.nextId) {
      this.nextId = id;
      this.allocateId(store);
    }
  }

  /** The table an unqualified name finds (TEMP first), or the one of schema `main` / `temp` when qualified. */
  table(name: string, schema: string | null = null): TableInfo | undefined {
    if (schema !== null) {
      const sch = fold(schema);
      if (sch === 'main') return this.mainTables.get(fold(name));
      if (sch === 'temp') {
        const t = this.tables.get(fold(name));
        return t !== undefined && t.temp ? t : undefined;
      }
    }
    return this.tables.get(fold(name));
  }

  /** The virtual table `name` finds: of schema `main` / `temp` when qualified, else the temp one first (as for tables). */
  virtualTable(name: string, schema: string | null = null): VirtualTableInfo | undefined {
    const k = fold(name);
    if (schema !== null) {
      const sch = fold(schema);
      return sch === 'main' ? this.virtualTables.get(k) : sch === 'temp' ? this.tempVirtualTables.get(k) : undefined;
    }
    return this.tempVirtualTables.get(k) ?? this.virtualTables.get(k);
  }

  /**
   * The triggers on table or view `name`, in the order SQLite fires them:
   * the most recently created first (TEMP ones, kept apart, before the others).
   */
  triggersOn(name: string): TriggerInfo[] {
    const k = fold(name);
    const out: TriggerInfo[] = [];
    // A TEMP table shadowing a main one: the name reaches the TEMP table, and a stored trigger is always on a main table.
    const tempTable = this.tables.get(k)?.temp === true;
    for (const tr of this.triggers.values()) if (fold(tr.table) === k && (tr.temp || !tempTable)) out.push(tr);
    return out.sort((a, b) => (a.temp !== b.temp ? (a.temp ? -1 : 1) : b.id - a.id));
  }

  /** Ids of TEMP objects: their own sequence, never written (a rolled-back transaction cannot reuse one). */
  private tempNextId = 1;

  allocateTempId(): number {
    return TEMP_ID_BASE + this.tempNextId++;
  }

  /** Adds a TEMP trigger's row (memory only; the list is replaced, so a saved reference is a snapshot). */
  addTempRow(row: SchemaRow): void {
    this.tempRows = [...this.tempRows, row];
  }

  removeTempRow(id: number): void {
    this.tempRows = this.tempRows.filter((r) => r.id !== id);
  }

  /** The sqlite_sequence entry, written with the first AUTOINCREMENT table (absent in databases made before it was). */
  sequenceRow(): SchemaRow | undefined {
    return this.rows.find(isSequenceRow);
  }

  /** Whether `sqlite_sequence` exists: SQLite creates it with the first AUTOINCREMENT table and never drops it. */
  hasSequenceTable(): boolean {
    return this.sequenceRow() !== undefined || [...this.tables.values()].some((t) => t.autoincrement);
  }

  /** Whether any table, view or index (TEMP views included) already uses the name (triggers have a namespace of their own). */
  nameInUse(name: string): SchemaRow | undefined {
    const k = fold(name);
    const byRow = this.rows.find((r) => r.type !== 'trigger' && fold(r.name) === k) ?? this.tempRows.find((r) => r.type === 'view' && fold(r.name) === k);
    if (byRow !== undefined) return byRow;
    // An object loaded under writable_schema from a row whose name differs from its SQL's holds the SQL's name.
    const obj = this.mainTables.get(k) ?? this.views.get(k) ?? this.indexes.get(k);
    return obj === undefined ? undefined : this.rows.find((r) => r.id === obj.id);
  }
}

/** The `sql` of the sqlite_sequence entry, exactly as SQLite writes it. */
export const SEQUENCE_TABLE_SQL = 'CREATE TABLE sqlite_sequence(name,seq)';

/** The sqlite_sequence entry lists the table in sqlite_schema; its rows are the AUTOINCREMENT marks (table-key.ts), so no TableInfo is built for it. */
function isSequenceRow(r: SchemaRow): boolean {
  return r.type === 'table' && fold(r.name) === 'sqlite_sequence';
}

/** Every stored schema row, in id order. */
function readSchemaRows(store: Overlay): SchemaRow[] {
  const rows: SchemaRow[] = [];
  const cur = store.scan(SCHEMA_LO, SCHEMA_HI);
  try {
    while (cur.next()) {
      const id = readU32(cur.key(), 5);
      let o: { type: SchemaRow['type']; name: string; tbl_name: string; sql: string | null };
      try {
        o = JSON.parse(utf8Decode(cur.value())) as typeof o;
      } catch {
        throw new HeliosError('CORRUPTION', `schema entry ${id} does not decode`);
      }
      rows.push({ id, type: o.type, name: o.name, tblName: o.tbl_name, sql: o.sql });
    }
  } finally {
    cur.close();
  }
  return rows;
}

/** SQLite's error for a schema row that does not load: "malformed database schema (name)", then " - " and why when there is a why. */
export function malformedSchema(name: string, why: string): HeliosError {
  // A position in the schema's own text means nothing to the statement that met it.
  const detail = why.split('\n')[0]!.replace(/ at line \d+, column \d+$/, '');
  return new HeliosError('CORRUPTION', `malformed database schema (${name})${detail === '' ? '' : ` - ${detail}`}`);
}

function encodeSchemaRow(r: SchemaRow): Uint8Array {
  return utf8Encode(JSON.stringify({ type: r.type, name: r.name, tbl_name: r.tblName, sql: r.sql }));
}

/**
 * Parses a schema entry's text with the user-SQL parser ([SQL-CAT-1]); text that does not parse is
 * CORRUPTION. When it does not, `header` is first given the name of a CREATE TABLE header the
 * text starts with: SQLite checks it (against the row, and for an earlier object of the name)
 * as soon as it has read it, so a row cut short is reported for its name when that is wrong.
 */
function parseSchemaSql(sql: string, header?: (tableName: string) => void): Statement {
  let stmts: Statement[];
  try {
    stmts = parse(sql);
  } catch (e) {
    const m = header === undefined ? null : TABLE_HEADER.exec(sql);
    if (m !== null) header!(unquoteName(m[2] ?? m[1]!));
    throw new HeliosError('CORRUPTION', (e as Error).message.split('\n')[0]!, {}, { cause: e });
  }
  const s = stmts[0];
  if (stmts.length !== 1 || s === undefined) throw new HeliosError('CORRUPTION', 'schema SQL does not hold exactly one statement');
  return s;
}

/** `CREATE [TEMP] TABLE [IF NOT EXISTS] [schema.]name`, the name (group 2, else 1) quoted as written. */
const NAME = String.raw`("(?:[^"]|"")*"|\[[^\]]*\]|\`(?:[^\`]|\`\`)*\`|'(?:[^']|'')*'|[A-Za-z_-￿][\w$-￿]*)`;
const TABLE_HEADER = new RegExp(String.raw`^\s*CREATE\s+(?:TEMP\s+|TEMPORARY\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?${NAME}(?:\s*\.\s*${NAME})?`, 'i');

function unquoteName(t: string): string {
  const q = t[0];
  if (q === '"' || q === '`' || q === "'") return t.slice(1, -1).split(q + q).join(q);
  if (q === '[') return t.slice(1, -1);
  return t;
}

/** A table constraint PRIMARY KEY of one DESC column (the shape whose rowid-alias reading changed). */
function hasDescTablePk(stmt: CreateTableStmt): boolean {
  if (stmt.definition.kind !== 'Columns') return false;
  return stmt.definition.constraints.some((k) => k.kind === 'PrimaryKey' && k.columns.length === 1 && k.columns[0]!.order === 'DESC');
}
