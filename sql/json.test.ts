/**
 * JSON1 against SQLite: every case of sql/json-cases.ts runs on our
 * database (encrypted and plain) and on better-sqlite3, and the rows —
 * values with integers as BigInt, so INTEGER and REAL stay apart, BLOBs as
 * hex — or the error messages must be equal. Plus the typed errors and
 * bounds a crafted document must hit.
 */
import { test } from 'uvu';
import { sqliteOracleOrNull } from '../scripts/slt-backend.ts';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { Database, type DatabaseOptions } from './database.ts';
import { isHeliosError } from '../format/errors.ts';
import { JSON_CASES, JSON_SETUP, MORE_TABLE_FUNCTION_CASES, TABLE_FUNCTION_CASES, TABLE_FUNCTION_PLANS, TABLE_FUNCTION_SETUP } from './json-cases.ts';

interface OracleStmt {
  raw(on?: boolean): OracleStmt;
  safeIntegers(on?: boolean): OracleStmt;
  all(...params: unknown[]): unknown[];
}
interface Oracle {
  prepare(sql: string): OracleStmt;
  exec(sql: string): void;
  close(): void;
}
const openOracle = sqliteOracleOrNull<object>('json.test', 'skipping the SQLite comparisons');
const Sqlite = createRequire(join(process.cwd(), 'package.json'))('better-sqlite3') as new (path: string) => Oracle;

const KEY = new Uint8Array(32).fill(7);
const MODES: [string, DatabaseOptions][] = [
  ['encrypted', { key: { raw: KEY }, synchronous: 'off' }],
  ['plain', { encryption: false, synchronous: 'off' }],
];

/** A result in comparable form: rows of normalised values, or the error message. */
function show(run: () => unknown[]): string {
  let rows: unknown[];
  try {
    rows = run();
  } catch (e) {
    return `error: ${(e as Error).message}`;
  }
  return JSON.stringify(rows, (_k, v: unknown) => {
    if (typeof v === 'bigint') return `${v}n`;
    if (v instanceof Uint8Array) return `x'${Array.from(v, (b) => b.toString(16).padStart(2, '0')).join('')}'`;
    if (typeof v === 'number' && Object.is(v, -0)) return '-0';
    return v;
  });
}

/** Buffers from better-sqlite3 as plain Uint8Arrays (JSON.stringify would show a Buffer differently). */
function plainRows(rows: unknown[]): unknown[] {
  return rows.map((r) => (r as unknown[]).map((v) => (v instanceof Uint8Array ? new Uint8Array(v) : v)));
}

const PARAM = '[5,"six",{"seven":7}]';

function compareAll(name: string, setup: readonly string[], cases: readonly string[]): void {
  for (const [mode, options] of MODES) {
    test(`${name} give SQLite's results (${mode})`, () => {
      if (openOracle === null) return; // printed once: better-sqlite3 does not load on this runtime
      const dir = mkdtempSync(join(tmpdir(), 'helios-json-'));
      const db = new Database(join(dir, 'db'), options);
      const oracle = openOracle() as InstanceType<typeof Sqlite>;
      try {
        for (const s of setup) {
          db.exec(s);
          oracle.exec(s);
        }
        const failures: string[] = [];
        for (const sql of cases) {
          const args = sql.includes('(?)') ? [PARAM] : [];
          const ours = show(() => db.prepare(sql).raw().safeIntegers().all(...args) as unknown[]);
          const theirs = show(() => plainRows(oracle.prepare(sql).raw().safeIntegers().all(...args) as unknown[]));
          if (ours !== theirs) failures.push(`${sql}\n   ours:   ${ours}\n   sqlite: ${theirs}`);
        }
        assert.is(failures.length, 0, `${failures.length} of ${cases.length} differ:\n${failures.join('\n')}`);
      } finally {
        db.close();
        oracle.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
}

compareAll('JSON functions, operators and aggregates', JSON_SETUP, JSON_CASES);
compareAll('table-valued functions', [...JSON_SETUP, ...TABLE_FUNCTION_SETUP], [...TABLE_FUNCTION_CASES, ...MORE_TABLE_FUNCTION_CASES]);

function errorOf(fn: () => unknown): { code: string; message: string } | null {
  try {
    fn();
  } catch (e) {
    return isHeliosError(e) ? { code: e.code, message: e.message } : { code: `not a HeliosError: ${String(e)}`, message: '' };
  }
  return null;
}

test('a crafted deeply nested document is a typed error, never a stack overflow', () => {
  const db = new Database(':memory:');
  try {
    for (const depth of [1001, 100_000]) {
      const doc = '['.repeat(depth) + ']'.repeat(depth);
      assert.equal(errorOf(() => db.prepare('SELECT json(?)').get(doc)), { code: 'SQL_ERROR', message: 'malformed JSON' });
      assert.is(db.prepare('SELECT json_valid(?)').pluck().get(doc), 0);
      // Deep JSONB (a blob of nested array headers) fails validation the same way.
      const blob = new Uint8Array(depth).fill(0x0b);
      for (let i = depth - 1, size = 0; i >= 0; i--, size++) {
        if (size > 11) break;
        blob[i] = 0x0b | (size << 4);
      }
      assert.is(db.prepare('SELECT json_valid(?, 8)').pluck().get(blob), 0);
    }
    const ok = '['.repeat(1000) + ']'.repeat(1000);
    assert.is(db.prepare('SELECT json(?)').pluck().get(ok), ok);
    assert.equal(errorOf(() => db.prepare("SELECT * FROM json_tree(?)").all('{"a":'.repeat(1001) + '1' + '}'.repeat(1001)))?.message, 'malformed JSON');
  } finally {
    db.close();
  }
});

test('JSON errors are SQL_ERROR HeliosErrors with SQLite\'s messages', () => {
  const db = new Database(':memory:');
  try {
    assert.equal(errorOf(() => db.prepare("SELECT json('{')").get()), { code: 'SQL_ERROR', message: 'malformed JSON' });
    assert.equal(errorOf(() => db.prepare("SELECT json_extract('{}', 'a.b')").get()), { code: 'SQL_ERROR', message: "bad JSON path: 'a.b'" });
    assert.equal(errorOf(() => db.prepare("SELECT json_array(x'ff')").get()), { code: 'SQL_ERROR', message: 'JSON cannot hold BLOB values' });
    assert.equal(errorOf(() => db.prepare("SELECT json_object('a')").get()), { code: 'SQL_ERROR', message: 'json_object() requires an even number of arguments' });
  } finally {
    db.close();
  }
});

test('EXPLAIN QUERY PLAN shows a table-valued function as SQLite does, after the tables its arguments read', () => {
  const db = new Database(':memory:');
  try {
    for (const x of JSON_SETUP) db.exec(x);
    for (const [sql, lines] of TABLE_FUNCTION_PLANS) {
      const got = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).raw().all() as unknown[][]).map((r) => r[3]);
      assert.equal(got, lines, sql);
    }
  } finally {
    db.close();
  }
});

test('generate_series(start, stop, step) follows SQLite\'s series extension', () => {
  const db = new Database(':memory:');
  try {
    const q = (sql: string): unknown[] => db.prepare(sql).raw().all() as unknown[];
    assert.equal(q('SELECT value, start, stop, step FROM generate_series(1, 10, 3)'), [[1, 1, 10, 3], [4, 1, 10, 3], [7, 1, 10, 3], [10, 1, 10, 3]]);
    assert.equal(q('SELECT value FROM generate_series(1, 5, -2)'), [[5], [3], [1]]);
    assert.equal(q('SELECT value FROM generate_series(5, 1)'), []);
    assert.equal(q('SELECT value FROM generate_series(1, 3, 0)'), [[1], [2], [3]]);
    assert.equal(q('SELECT value FROM generate_series(3) LIMIT 3'), [[3], [4], [5]]);
    assert.equal(q('SELECT * FROM generate_series(1, NULL)'), []);
    assert.equal(q('SELECT value FROM generate_series WHERE start = 2 AND stop = 4'), [[2], [3], [4]]);
    assert.equal(q('SELECT a.value, b.value FROM generate_series(1, 2) a, generate_series(a.value, 2) b'), [[1, 1], [1, 2], [2, 2]]);
    assert.equal(q('SELECT value FROM generate_series(9223372036854775806, 9223372036854775807)').length, 2);
    assert.equal(errorOf(() => q('SELECT * FROM generate_series()')), { code: 'SQL_ERROR', message: 'first argument to "generate_series()" missing or unusable' });
    assert.equal(errorOf(() => q('SELECT * FROM generate_series(1, 2, 3, 4)')), { code: 'SQL_ERROR', message: 'too many arguments on generate_series() - max 3' });
  } finally {
    db.close();
  }
});

test('a view over a table-valued function keeps its arguments across reopen (encrypted)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'helios-json-'));
  try {
    const path = join(dir, 'db');
    let db = new Database(path, MODES[0]![1]);
    db.exec(`CREATE TABLE t(id INTEGER PRIMARY KEY, tags TEXT); INSERT INTO t VALUES (1, '["a","b"]'), (2, '[]')`);
    db.exec(`CREATE VIEW tag AS SELECT t.id, j.value AS tag FROM t, json_each(t.tags) AS j`);
    db.close();
    db = new Database(path, MODES[0]![1]);
    assert.equal(db.prepare('SELECT * FROM tag ORDER BY 1, 2').raw().all(), [[1, 'a'], [1, 'b']]);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
