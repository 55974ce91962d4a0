/**
 * Test support: runs one SQL script statement by statement on SQLite
 * (better-sqlite3, the oracle) and on HeliosDB databases (encrypted and
 * unencrypted, each in a fresh directory), and reports the first statement
 * whose outcome differs. An outcome is the rows a statement returns (as
 * arrays, values with their storage class), or `changes` for a statement
 * without rows, or the error message (codes are not compared: SQLite's and
 * ours are different families), followed by whether a transaction is open.
 * A failure that is not a HeliosError is always a difference.
 *
 * Only tests import this file (better-sqlite3 is a dev dependency, as in slt-backend.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite, sqliteOracleOrNull } from './slt-backend.ts';
import { Database, type DatabaseOptions } from '../sql/database.ts';
import { isHeliosError } from '../format/errors.ts';
import { parse } from '../sql/parser.ts';

export const ORACLE_MODES: readonly [string, DatabaseOptions][] = [
  ['encrypted', { key: { raw: new Uint8Array(32).fill(7) }, synchronous: 'off' }],
  ['plain', { encryption: false, synchronous: 'off' }],
];

function show(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'bigint') return `int:${v}`;
  if (typeof v === 'number') return Number.isInteger(v) ? `num:${v}` : `real:${v}`;
  if (typeof v === 'string') return `text:${JSON.stringify(v)}`;
  if (v instanceof Uint8Array) return `blob:${Array.from(v, (b) => b.toString(16).padStart(2, '0')).join('')}`;
  return `?${String(v)}`;
}

interface Runner {
  run(sql: string): string;
  close(): void;
}

function sqliteRunner(): Runner {
  const db = openSqlite(':memory:');
  // better-sqlite3 is built with foreign keys ON by default; SQLite's (and our) default is OFF.
  db.pragma('foreign_keys = OFF');
  return {
    run(sql) {
      let out: string;
      try {
        const st = db.prepare(sql);
        if (st.reader) out = (st.raw(true).all() as unknown[][]).map((r) => r.map(show).join('|')).join('\n') || '(no rows)';
        else out = `changes ${(st.run() as { changes: number }).changes}`;
      } catch (e) {
        out = `error: ${(e as Error).message}`;
      }
      return `${out}\n[txn ${(db as unknown as { inTransaction: boolean }).inTransaction}]`;
    },
    close: () => db.close(),
  };
}

function heliosRunner(opts: DatabaseOptions): Runner {
  const dir = mkdtempSync(join(tmpdir(), 'helios-oracle-'));
  const db = new Database(join(dir, 'db'), opts);
  return {
    run(sql) {
      let out: string;
      try {
        const st = db.prepare(sql);
        st.safeIntegers(true);
        if (st.reader) out = (st.raw(true).all() as unknown[][]).map((r) => r.map(show).join('|')).join('\n') || '(no rows)';
        else out = `changes ${st.run().changes}`;
      } catch (e) {
        out = isHeliosError(e) ? `error: ${e.message.split('\n')[0]}` : `CRASH ${String(e)}`;
      }
      return `${out}\n[txn ${db.inTransaction}]`;
    },
    close: () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Whether better-sqlite3 loads on this runtime (Node); elsewhere compareWithSqlite has no oracle. */
export function sqliteOracleLoads(who: string): boolean {
  return sqliteOracleOrNull(who, 'its comparisons with SQLite are skipped') !== null;
}

/**
 * Runs `script` (statements separated as the parser splits them) on SQLite
 * and on HeliosDB in each mode; returns null when every outcome matches,
 * else a description of the first difference.
 */
export function compareWithSqlite(script: string): string | null {
  const statements = parse(script).map((s) => s.sql);
  for (const [mode, opts] of ORACLE_MODES) {
    const oracle = sqliteRunner();
    const subject = heliosRunner(opts);
    try {
      for (let i = 0; i < statements.length; i++) {
        const sql = statements[i]!;
        const want = oracle.run(sql);
        const got = subject.run(sql);
        if (want !== got) return `${mode}: statement ${i + 1} differs: ${sql}\n--- sqlite:\n${want}\n--- helios:\n${got}`;
      }
    } finally {
      oracle.close();
      subject.close();
    }
  }
  return null;
}
