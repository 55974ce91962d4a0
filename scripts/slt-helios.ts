/**
 * The helios backend: our public API (index.ts, the better-sqlite3-like
 * `Database`) on a fresh database per instance. By default the database is
 * ENCRYPTED, in a new temporary directory, with a random raw 256-bit key;
 * `encrypted: false` makes it a plain ('none' suite) database and
 * `memory: true` uses ':memory:'.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import * as api from '../index.ts';
import { RealBox } from '../format/sql-value.ts';
import type { SltValue } from './slt-format.ts';
import type { QueryResult, SltBackend } from './slt-backend.ts';

export interface HeliosBackendOptions {
  /** Default true: AES-256-GCM with a random raw key. */
  readonly encrypted?: boolean;
  /** Default false: a directory under the OS temporary folder. */
  readonly memory?: boolean;
  /** Default 'normal': the runner needs no power-loss durability. */
  readonly synchronous?: 'full' | 'normal' | 'off';
}

/** The parts of our public Statement / Database the runner uses (better-sqlite3's shapes). */
export interface HeliosStatementLike {
  readonly reader?: boolean;
  run(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  raw(on?: boolean): HeliosStatementLike;
  safeIntegers?(on?: boolean): HeliosStatementLike;
  columns(): readonly unknown[];
}

export interface HeliosDatabaseLike {
  exec(sql: string): unknown;
  prepare(sql: string): HeliosStatementLike;
  storageInfo?(): { encryptionEnabled?: boolean };
  close(): void;
}

type HeliosDatabaseConstructor = new (path: string, options?: Record<string, unknown>) => HeliosDatabaseLike;

/** The `Database` class exported by index.ts; a CONFIG-like Error while the SQL layer does not export it yet. */
export function heliosDatabaseClass(): HeliosDatabaseConstructor {
  const exported = (api as Record<string, unknown>)['Data' + 'base'];
  if (typeof exported !== 'function') throw new Error('index.ts does not export the Database class yet');
  return exported as HeliosDatabaseConstructor;
}

/**
 * Opens our Database with the options of `o`. Returns the handle and a
 * cleanup function that closes it and removes the temporary directory.
 */
export function openHelios(o: HeliosBackendOptions = {}): { db: HeliosDatabaseLike; cleanup: () => void } {
  const Database = heliosDatabaseClass();
  const encrypted = o.encrypted ?? true;
  const options: Record<string, unknown> = { synchronous: o.synchronous ?? 'normal' };
  if (encrypted) options.key = { raw: new Uint8Array(randomBytes(32)) };
  else options.encryption = false;
  if (o.memory) {
    const db = new Database(':memory:', options);
    return { db, cleanup: () => db.close() };
  }
  const dir = mkdtempSync(join(tmpdir(), 'helios-slt-'));
  let db: HeliosDatabaseLike;
  try {
    db = new Database(join(dir, 'slt.db'), options);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  // The conformance bar is on an encrypted database: refuse to report on anything else.
  const info = db.storageInfo?.();
  if (info !== undefined && info.encryptionEnabled !== encrypted) {
    db.close();
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`asked for encrypted=${encrypted} but storageInfo() says encryptionEnabled=${String(info.encryptionEnabled)}`);
  }
  return {
    db,
    cleanup: () => {
      try {
        db.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * Converts a value returned by our API to an SltValue. With safe integers
 * on, INTEGER arrives as bigint and REAL as number; a RealBox (internal
 * representation) is a REAL; a plain integral number is taken as INTEGER.
 */
export function fromHelios(v: unknown): SltValue {
  if (v === null || typeof v === 'bigint' || typeof v === 'string') return v;
  if (typeof v === 'number') return v;
  if (v instanceof RealBox) return v.value;
  if (v instanceof Uint8Array) return v;
  if (v === undefined) return null;
  throw new Error(`unexpected value type from helios: ${typeof v}`);
}

export function createHeliosBackend(o: HeliosBackendOptions = {}): SltBackend {
  const { db, cleanup } = openHelios(o);
  return {
    name: 'helios',
    exec(sql) {
      db.exec(sql);
    },
    query(sql): QueryResult {
      const stmt = db.prepare(sql);
      if (stmt.reader === false) {
        stmt.run();
        return { columnCount: 0, rows: [] };
      }
      const columnCount = stmt.columns().length;
      const raw = stmt.raw(true);
      const typed = raw.safeIntegers ? raw.safeIntegers(true) : raw;
      const rows = (typed.all() as unknown[][]).map((r) => r.map(fromHelios));
      return { columnCount, rows };
    },
    close() {
      cleanup();
    },
  };
}
