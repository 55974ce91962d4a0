/**
 * The engines a sqllogictest script (or a differential test) can run on:
 * a small synchronous interface, one fresh database per backend instance.
 *
 * `sqlite` is better-sqlite3 (SQLite 3.53 compiled by node-gyp, a test-only
 * dev dependency): it validates the runner itself and is the oracle of the
 * differential tests.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { SltValue } from './slt-format.ts';

export interface QueryResult {
  /** Number of result columns (also when there are no rows). */
  readonly columnCount: number;
  /** Row-major values; INTEGER as bigint, REAL as number (see SltValue). */
  readonly rows: SltValue[][];
}

export interface SltBackend {
  /** Short name shown in reports ('helios', 'sqlite'). */
  readonly name: string;
  /** Runs one or more statements; throws on any error. */
  exec(sql: string): void;
  /** Runs one statement and returns its result rows; throws on any error. */
  query(sql: string): QueryResult;
  /** Releases the database and removes what it created on disk. */
  close(): void;
}

// --- better-sqlite3 -------------------------------------------------------

/** The part of better-sqlite3's API we use (the package ships no types of its own). */
export interface BetterSqliteStatement {
  readonly reader: boolean;
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  all(...params: unknown[]): unknown[];
  get(...params: unknown[]): unknown;
  raw(on?: boolean): BetterSqliteStatement;
  safeIntegers(on?: boolean): BetterSqliteStatement;
  columns(): { name: string }[];
}

export interface BetterSqliteDatabase {
  prepare(sql: string): BetterSqliteStatement;
  exec(sql: string): BetterSqliteDatabase;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
  defaultSafeIntegers(on?: boolean): BetterSqliteDatabase;
  close(): void;
}

type BetterSqliteConstructor = new (path: string, options?: { readonly?: boolean }) => BetterSqliteDatabase;

let betterSqlite: BetterSqliteConstructor | null = null;

/**
 * Loads better-sqlite3 at run time with a require rooted at this file (the
 * bundles live under the repository, so node_modules is found) or else at
 * the working directory, keeping the native addon out of esbuild bundles.
 */
export function loadBetterSqlite3(): BetterSqliteConstructor {
  if (betterSqlite === null) {
    let load = createRequire(import.meta.url);
    try {
      load.resolve('better-sqlite3');
    } catch {
      load = createRequire(join(process.cwd(), 'package.json'));
    }
    betterSqlite = load('better-sqlite3') as BetterSqliteConstructor;
  }
  return betterSqlite;
}

/**
 * For tests that use SQLite as the oracle: a factory of in-memory better-sqlite3
 * databases typed as the caller needs, or null (with a printed notice) where
 * the native addon does not load (Bun and Deno load the package but not the
 * addon: opening one database tells).
 */
/**
 * better-sqlite3's constructor typed as the caller uses it, or null where its native addon does not
 * load (Bun and Deno resolve the package but cannot load the addon): tests then print a skip.
 */
export function betterSqlite3OrNull<C>(): C | null {
  try {
    const Ctor = loadBetterSqlite3();
    new Ctor(':memory:').close();
    return Ctor as unknown as C;
  } catch {
    return null;
  }
}

export function sqliteOracleOrNull<T>(who: string, fallback: string): ((configure?: (db: T) => void) => T) | null {
  try {
    const Ctor = loadBetterSqlite3() as unknown as new (p: string) => T & { close(): void };
    new Ctor(':memory:').close();
    return (configure) => {
      const db = new Ctor(':memory:');
      configure?.(db);
      return db;
    };
  } catch {
    console.log(`${who}: better-sqlite3 does not load on this runtime; ${fallback}`);
    return null;
  }
}

/** Opens a better-sqlite3 database (':memory:' by default) with INTEGER values read as bigint. */
export function openSqlite(path = ':memory:'): BetterSqliteDatabase {
  const Ctor = loadBetterSqlite3();
  const db = new Ctor(path);
  db.defaultSafeIntegers(true);
  return db;
}

/** Converts a better-sqlite3 value (safe integers on) to an SltValue. */
export function fromSqlite(v: unknown): SltValue {
  if (v === null || typeof v === 'bigint' || typeof v === 'number' || typeof v === 'string') return v;
  if (v instanceof Uint8Array) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  throw new Error(`unexpected value from better-sqlite3: ${typeof v}`);
}

/**
 * The sqlite backend: an in-memory better-sqlite3 database. `pragmas` run
 * first (e.g. 'reverse_unordered_selects = ON' to expose reliance on an
 * unspecified row order).
 */
export function createSqliteBackend(pragmas: readonly string[] = []): SltBackend {
  const db = openSqlite(':memory:');
  for (const p of pragmas) db.pragma(p);
  return {
    name: 'sqlite',
    exec(sql) {
      db.exec(sql);
    },
    query(sql) {
      const stmt = db.prepare(sql);
      if (!stmt.reader) {
        stmt.run();
        return { columnCount: 0, rows: [] };
      }
      const columnCount = stmt.columns().length;
      const rows = (stmt.raw(true).all() as unknown[][]).map((r) => r.map(fromSqlite));
      return { columnCount, rows };
    },
    close() {
      db.close();
    },
  };
}
