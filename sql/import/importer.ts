/**
 * importSqlite: a SQLite or SQLCipher database file into a new HeliosDB
 * database, with no native code.
 *
 *   1. refuse a source with a pending WAL or hot rollback journal (policy:
 *      checkpoint first; the main file alone is then the whole database);
 *   2. open the source's pages (engine/sqlite-pages.ts: plain or SQLCipher 3/4)
 *      and read sqlite_schema from page 1 (sqlite-file.ts, sqlite-record.ts);
 *   3. create the destination (it must not exist) with the caller's key, and
 *      replay each table's CREATE TABLE through our parser;
 *   4. copy every table's rows (rowids kept) in large transactions;
 *   5. replay CREATE INDEX, then views and then triggers (each in an order
 *      where what it depends on exists), then the AUTOINCREMENT marks of
 *      sqlite_sequence and PRAGMA user_version;
 *   6. close. On any failure the destination directory is removed: there is
 *      never a half-imported database.
 *
 * Foreign keys are not enforced while copying (the source already holds the
 * rows it holds); triggers are created after the rows so none fires.
 */
import { rmSync } from 'node:fs';
import { HeliosError } from '../../format/errors.ts';
import type { SqlValue } from '../../format/sql-value.ts';
import { createNodeVfs } from '../../engine/node-vfs.ts';
import type { Vfs } from '../../engine/vfs.ts';
import { openSqlitePages, type SqlcipherSourceOptions, type SqlitePages } from '../../engine/sqlite-pages.ts';
import { Database, type DatabaseOptions } from '../database.ts';
import { parse } from '../parser.ts';
import { ROWID_NAMES } from '../rowids.ts';
import { createBtreeReader, type BtreeReader } from './sqlite-file.ts';
import { decodeRecord, importError } from './sqlite-record.ts';

export type ImportPhase = 'schema' | 'rows' | 'indexes' | 'views' | 'triggers' | 'done';

export interface ImportProgress {
  readonly phase: ImportPhase;
  /** The table being copied (phase 'rows'). */
  readonly table?: string;
  /** Rows copied so far, all tables. */
  readonly rows: number;
  /** Source pages read so far, and the source's page count (a progress fraction). */
  readonly pagesRead: number;
  readonly pageCount: number;
}

export interface ImportOptions extends Omit<DatabaseOptions, 'readonly' | 'fileMustExist' | 'rollbackWitness'> {
  /** How to open the source: a SQLCipher passphrase or raw key, and its version (default plain SQLite). */
  readonly source?: SqlcipherSourceOptions;
  /** Called at each phase and after each committed batch of rows. Throwing aborts the import (the destination is removed). */
  readonly onProgress?: (p: ImportProgress) => void;
  /** Rows per transaction (default 50,000). */
  readonly batchRows?: number;
}

export interface ImportResult {
  readonly tables: number;
  readonly rows: number;
  readonly indexes: number;
  readonly views: number;
  readonly triggers: number;
  /** AUTOINCREMENT marks restored from sqlite_sequence. */
  readonly sequences: number;
  readonly pagesRead: number;
  readonly pageCount: number;
  readonly encrypted: boolean;
}

interface SchemaEntry {
  readonly type: string;
  readonly name: string;
  readonly tblName: string;
  readonly rootpage: number;
  readonly sql: string | null;
}

const DEFAULT_BATCH_ROWS = 50_000;
/** Bytes of row payload per transaction, whatever the row count (bounds the transaction's memory). */
const BATCH_BYTES = 32 * 1024 * 1024;

function quoteId(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Imports the SQLite (or SQLCipher, with `options.source`) database file
 * `src` into a new HeliosDB database at `destPath`, sealed with
 * `options.key` (the DatabaseOptions of the new database). Errors:
 * IMPORT_FORMAT (a damaged, truncated or unsupported source), WRONG_KEY
 * (the SQLCipher key), CONFIG (destPath exists, or a key for a plain file),
 * SQL_* (a schema entry our SQL does not support, named), IO.
 */
export function importSqlite(src: string, destPath: string, options: ImportOptions = {}): ImportResult {
  if (typeof src !== 'string' || src === '') throw new HeliosError('INVALID_ARGUMENT', 'importSqlite: src must be the path of a SQLite database file');
  if (typeof destPath !== 'string' || destPath === '' || destPath === ':memory:') throw new HeliosError('INVALID_ARGUMENT', 'importSqlite: destPath must be the path of a new database directory');
  if (options === null || typeof options !== 'object') throw new HeliosError('INVALID_ARGUMENT', 'importSqlite: options must be an object');
  const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
  if (!Number.isSafeInteger(batchRows) || batchRows < 1) throw new HeliosError('INVALID_ARGUMENT', 'importSqlite: batchRows must be a positive integer');
  const vfs = createNodeVfs();
  if (!vfs.exists(src)) throw new HeliosError('CONFIG', `importSqlite: no file at ${src}`);
  if (vfs.exists(destPath)) throw new HeliosError('CONFIG', `importSqlite: ${destPath} exists; the import creates a new database`);
  refusePendingLogs(vfs, src);
  const pages = openSqlitePages(vfs, src, options.source);
  let db: Database | null = null;
  try {
    const reader = createBtreeReader(pages);
    const schema = readSchema(reader, pages.file);
    const { source: _s, onProgress: _p, batchRows: _b, ...dbOptions } = options;
    db = new Database(destPath, dbOptions);
    const result = copyDatabase(db, reader, pages, schema, options.onProgress, batchRows);
    db.audit('import', 'ok'); // spec/audit-log.md [AUD-OPS-1], with options.auditLog
    db.close();
    db = null;
    return result;
  } catch (e) {
    if (db !== null) {
      try {
        db.close();
      } catch {
        // The import already failed; the directory is removed below.
      }
    }
    // destPath did not exist when the import began: whatever is there now is ours
    // (a Database constructor that failed after creating the directory included).
    rmSync(destPath, { recursive: true, force: true });
    throw e;
  } finally {
    pages.close();
  }
}

/** The first 8 bytes of a rollback journal that still holds a transaction (a zeroed header, journal_mode=PERSIST, is finished). */
const JOURNAL_MAGIC = [0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7];

/**
 * The WAL policy: the main file alone must be the whole database. A `-wal`
 * with any content, or a `-journal` whose header is live (hot), is
 * IMPORT_FORMAT with the advice to checkpoint or roll back in SQLite first.
 */
function refusePendingLogs(vfs: Vfs, src: string): void {
  const head = (p: string): Uint8Array | null => {
    if (!vfs.exists(p)) return null;
    const f = vfs.openRead(p);
    try {
      return f.readAt(0, Math.min(f.size(), 8));
    } finally {
      f.close();
    }
  };
  const wal = head(src + '-wal');
  if (wal !== null && wal.length > 0) {
    throw new HeliosError('IMPORT_FORMAT', `${src} has a write-ahead log with changes not yet checkpointed into the main file; checkpoint it first (sqlite3 SRC "PRAGMA wal_checkpoint(TRUNCATE)") or close every connection to it`, { file: src + '-wal' });
  }
  const journal = head(src + '-journal');
  if (journal !== null && journal.length === 8 && JOURNAL_MAGIC.every((b, i) => journal[i] === b)) {
    throw new HeliosError('IMPORT_FORMAT', `${src} has a hot rollback journal (an interrupted transaction); open it once with sqlite3 to roll it back first`, { file: src + '-journal' });
  }
}

function readSchema(reader: BtreeReader, file: string): SchemaEntry[] {
  const out: SchemaEntry[] = [];
  const enc = reader.header.textEncoding;
  reader.walkTable(1, (_rowid, payload) => {
    const v = decodeRecord(payload, enc, file, 5);
    const [type, name, tblName, rootpage, sql] = [v[0] ?? null, v[1] ?? null, v[2] ?? null, v[3] ?? null, v[4] ?? null];
    if (typeof type !== 'string' || typeof name !== 'string' || typeof tblName !== 'string') throw importError(file, 'a sqlite_schema row has no type, name or tbl_name');
    if (rootpage !== null && typeof rootpage !== 'number') throw importError(file, `sqlite_schema row ${name} has a bad rootpage`);
    if (sql !== null && typeof sql !== 'string') throw importError(file, `sqlite_schema row ${name} has a bad sql`);
    out.push({ type, name, tblName, rootpage: rootpage ?? 0, sql });
  });
  return out;
}

const KIND_OF: Record<string, string> = { table: 'CreateTable', index: 'CreateIndex', view: 'CreateView', trigger: 'CreateTrigger' };

/** Runs a schema entry's CREATE text: exactly one statement, of the entry's kind (a crafted file cannot smuggle in another statement). */
function runDdl(db: Database, e: SchemaEntry, file: string): void {
  const stmts = parse(e.sql!);
  if (stmts.length !== 1 || stmts[0]!.kind !== KIND_OF[e.type]) throw importError(file, `sqlite_schema's ${e.type} ${e.name} is not one CREATE ${e.type.toUpperCase()} statement`);
  db.exec(e.sql!);
}

function isInternal(name: string): boolean {
  return name.toLowerCase().startsWith('sqlite_');
}

function copyDatabase(db: Database, reader: BtreeReader, pages: SqlitePages, schema: SchemaEntry[], onProgress: ImportOptions['onProgress'], batchRows: number): ImportResult {
  const file = pages.file;
  let rows = 0;
  const progress = (phase: ImportPhase, table?: string): void => {
    if (onProgress === undefined) return;
    onProgress(table === undefined ? { phase, rows, pagesRead: reader.pagesRead(), pageCount: pages.pageCount } : { phase, table, rows, pagesRead: reader.pagesRead(), pageCount: pages.pageCount });
  };
  progress('schema');
  const tables = schema.filter((e) => e.type === 'table' && !isInternal(e.name));
  for (const t of tables) {
    if (t.sql === null) throw importError(file, `table ${t.name} has no CREATE TABLE text`);
    if (/^\s*create\s+virtual\s/i.test(t.sql)) throw new HeliosError('IMPORT_FORMAT', `${file}: virtual table ${t.name} cannot be imported (virtual table modules are not supported)`, { file });
  }
  db.exec('PRAGMA foreign_keys = OFF');
  db.exec('BEGIN');
  for (const t of tables) runDdl(db, t, file);
  db.exec('COMMIT');

  const s = db.session;
  for (const t of tables) {
    const info = s.catalog.table(t.name);
    if (info === undefined) throw new HeliosError('INTERNAL', `importSqlite: table ${t.name} was not created`);
    progress('rows', t.name);
    const names = info.columns.map((c) => quoteId(c.name));
    // Record column i holds table column order[i]. SQLite's records leave VIRTUAL generated
    // columns out and keep STORED ones in declaration order; neither may be inserted (the
    // insert computes them), so a STORED column's record value is skipped.
    const inRecord = (i: number): boolean => !(info.columns[i]!.generated !== null && !info.columns[i]!.generated!.stored);
    const isGenerated = (i: number): boolean => info.columns[i]!.generated !== null;
    let order: number[];
    let rowidName: string | null = null;
    if (info.withoutRowid) {
      const pk = info.indexes.find((i) => i.origin === 'pk');
      if (pk === undefined) throw new HeliosError('INTERNAL', `importSqlite: WITHOUT ROWID table ${t.name} has no primary key`);
      const pkCols = [...new Set(pk.columns.map((c) => c.column))];
      order = [...pkCols, ...info.columns.map((_c, i) => i).filter((i) => !pkCols.includes(i) && inRecord(i))];
    } else {
      order = info.columns.map((_c, i) => i).filter(inRecord);
      if (info.rowidAlias < 0) rowidName = [...ROWID_NAMES].find((n) => !info.columnIndex.has(n)) ?? null;
    }
    const ncols = order.length;
    const hasStored = order.some(isGenerated);
    const stmts = new Map<number, ReturnType<typeof s.compile>>();
    const insertFor = (k: number): ReturnType<typeof s.compile> => {
      let p = stmts.get(k);
      if (p === undefined) {
        const cols = order.slice(0, k).filter((i) => !isGenerated(i)).map((i) => names[i]!);
        if (rowidName !== null) cols.unshift(rowidName);
        const sql = `INSERT INTO ${quoteId(info.name)}(${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`;
        p = s.compile(parse(sql)[0]!);
        stmts.set(k, p);
      }
      return p;
    };
    const enc = reader.header.textEncoding;
    const emit = (): boolean => true;
    let inBatch = 0;
    let batchBytes = 0;
    db.exec('BEGIN');
    // Parameters are 1-based (slot 0 unused); slot 1 is the rowid when the statement names it.
    const lead = rowidName !== null ? 2 : 1;
    const put = (rowid: number | bigint | null, payload: Uint8Array): void => {
      let v = decodeRecord(payload, enc, file, ncols, lead);
      const k = v.length - lead;
      if (k === 0) throw importError(file, `a row of ${info.name} has an empty record`);
      const p = insertFor(k);
      if (rowid !== null) {
        if (info.rowidAlias >= 0) {
          const at = order.indexOf(info.rowidAlias);
          if (at >= k) throw importError(file, `a row of ${info.name} ends before its INTEGER PRIMARY KEY column`);
          v[lead + at] = rowid;
        } else if (rowidName !== null) v[1] = rowid;
      }
      if (hasStored) v = v.filter((_x, j) => j < lead || !isGenerated(order[j - lead]!));
      s.run(p, v, emit);
      rows++;
      batchBytes += payload.length;
      if (++inBatch >= batchRows || batchBytes >= BATCH_BYTES) {
        db.exec('COMMIT');
        progress('rows', t.name);
        inBatch = 0;
        batchBytes = 0;
        db.exec('BEGIN');
      }
    };
    if (t.rootpage < 1) throw importError(file, `table ${t.name} has no root page`);
    if (info.withoutRowid) {
      reader.walkIndex(t.rootpage, (payload) => put(null, payload));
    } else {
      let last: number | bigint | null = null;
      reader.walkTable(t.rootpage, (rowid, payload) => {
        if (last !== null && rowid <= last) throw importError(file, `table ${t.name}'s rows are out of rowid order (${rowid} after ${last}): the b-tree is damaged`);
        last = rowid;
        put(rowid, payload);
      });
    }
    db.exec('COMMIT');
  }

  progress('indexes');
  let indexes = 0;
  for (const e of schema) {
    if (e.type !== 'index' || e.sql === null) continue; // autoindexes come with their table's constraints
    runDdl(db, e, file);
    indexes++;
  }
  progress('views');
  const views = replayInDependencyOrder(db, schema.filter((e) => e.type === 'view'), file);
  progress('triggers');
  const triggers = replayInDependencyOrder(db, schema.filter((e) => e.type === 'trigger'), file);

  let sequences = 0;
  const seq = schema.find((e) => e.type === 'table' && e.name.toLowerCase() === 'sqlite_sequence');
  if (seq !== undefined && seq.rootpage > 0) {
    const marks: [string, number | bigint][] = [];
    reader.walkTable(seq.rootpage, (_rowid, payload) => {
      const [name, value] = decodeRecord(payload, reader.header.textEncoding, file, 2);
      if (typeof name === 'string' && (typeof value === 'number' || typeof value === 'bigint')) marks.push([name, value]);
    });
    db.exec('BEGIN');
    for (const [name, value] of marks) {
      const t = s.catalog.table(name);
      if (t === undefined || !t.autoincrement) continue;
      s.rowids.bumpSequence(t, value);
      sequences++;
    }
    s.rowids.flushSequences();
    db.exec('COMMIT');
  }
  const uv = reader.header.userVersion;
  if (uv !== 0) db.exec(`PRAGMA user_version = ${uv}`);
  progress('done');
  return { tables: tables.length, rows, indexes, views, triggers, sequences, pagesRead: reader.pagesRead(), pageCount: pages.pageCount, encrypted: pages.encrypted };
}

/**
 * Runs each entry's CREATE text, retrying those that fail with SQL_ERROR
 * (a view naming a view that comes later in sqlite_schema, after renames)
 * until a pass makes no progress; then the first remaining error is thrown.
 */
function replayInDependencyOrder(db: Database, entries: SchemaEntry[], file: string): number {
  let pending = entries.filter((e) => e.sql !== null);
  let done = 0;
  while (pending.length > 0) {
    const failed: { e: SchemaEntry; err: unknown }[] = [];
    for (const e of pending) {
      try {
        runDdl(db, e, file);
        done++;
      } catch (err) {
        if (!(err instanceof HeliosError) || err.code !== 'SQL_ERROR') throw err;
        failed.push({ e, err });
      }
    }
    if (failed.length === pending.length) throw failed[0]!.err;
    pending = failed.map((f) => f.e);
  }
  return done;
}
