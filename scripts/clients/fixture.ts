/**
 * A fresh encrypted database for a client-library workload, and the checks
 * every workload ends with: the rows read back through a new connection,
 * and none of the workload's names or values appears in any file.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import Database, { type Sqlite3DatabaseInstance } from '../../index.ts';

/** A connection of the drop-in: what users of better-sqlite3 drivers get from `import Database from 'heliosdb-lite'`. */
export type Connection = Sqlite3DatabaseInstance;

/**
 * HELIOS_CLIENT_ORACLE=1 runs a workload on better-sqlite3 itself, to show
 * that every check is what SQLite gives (the plaintext checks are skipped).
 */
export const ORACLE = process.env.HELIOS_CLIENT_ORACLE === '1';

/**
 * The connection a workload opens: the drop-in (the package's default export, with foreign keys
 * enforced by default as in better-sqlite3), or better-sqlite3 itself under ORACLE.
 */
export function connect(path: string, key: { raw: Uint8Array }, options: { fileMustExist?: boolean } = {}): Connection {
  if (ORACLE) {
    const Oracle = createRequire(import.meta.url)('better-sqlite3') as new (path: string, o?: object) => Connection;
    return new Oracle(path, options);
  }
  return new Database(path, { key, synchronous: 'off', ...options });
}

export interface ClientFixture {
  /** An open, encrypted connection. */
  readonly db: Connection;
  readonly path: string;
  readonly key: { raw: Uint8Array };
  /** Opens the database again (the workload has closed it) and returns the first column of each row. */
  reopenAndRead(sql: string): unknown[];
  /** The needles found in plaintext in any file of the database directory. */
  plaintextFound(needles: string[]): string[];
  cleanup(): void;
}

export function clientDatabase(name: string): ClientFixture {
  const dir = mkdtempSync(join(tmpdir(), `helios-${name}-`));
  const path = join(dir, `${name}.db`);
  const key = { raw: new Uint8Array(32).fill(0x5a) };
  const db = connect(path, key);
  return {
    db,
    path,
    key,
    reopenAndRead(sql) {
      const again = connect(path, key, { fileMustExist: true });
      try {
        return again.prepare(sql).pluck().all();
      } finally {
        again.close();
      }
    },
    plaintextFound(needles) {
      if (ORACLE) return [];
      const files: string[] = [];
      const walk = (d: string): void => {
        for (const f of readdirSync(d)) {
          const p = join(d, f);
          if (statSync(p).isDirectory()) walk(p);
          else files.push(p);
        }
      };
      walk(dir);
      const blobs = files.map((f) => readFileSync(f).toString('latin1'));
      return needles.filter((n) => blobs.some((b) => b.includes(n)));
    },
    cleanup() {
      if (db.open) db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves to the error a promise rejects with; fails the test when it fulfils. */
export async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the promise to reject');
}

/**
 * Wraps a test body so a HeliosError fails with its code and message shown:
 * uvu takes any error with a `details` field for an assertion and prints
 * nothing else.
 */
export function shown<T>(body: () => T | Promise<T>): () => Promise<void> {
  return async () => {
    try {
      await body();
    } catch (e) {
      const err = e as { code?: string; message?: string; stack?: string; details?: unknown };
      if (err && typeof err === 'object' && 'details' in err && !('operator' in err)) {
        const plain = new Error(`${err.code ?? 'error'}: ${err.message}`);
        plain.stack = err.stack;
        throw plain;
      }
      throw e;
    }
  };
}
