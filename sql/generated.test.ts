/**
 * Generated columns against SQLite (better-sqlite3), on encrypted and plain
 * databases: VIRTUAL and STORED (and the short `AS (expr)` form) computed on
 * every INSERT and UPDATE with the column's affinity, in dependency order;
 * refused in INSERT column lists and UPDATE SET; SQLite's refusals at CREATE
 * (PRIMARY KEY, DEFAULT, all columns generated, loops, subqueries,
 * non-deterministic functions, unknown names); indexes, UNIQUE, NOT NULL and
 * CHECK on them; PRAGMA table_info / table_xinfo; ALTER TABLE ADD COLUMN
 * (VIRTUAL only) and DROP COLUMN.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareWithSqlite, sqliteOracleLoads } from '../scripts/sqlite-oracle.ts';
import { Database } from './database.ts';

const hasOracle = sqliteOracleLoads('generated.test');
const same = (script: string): void => {
  if (!hasOracle) return;
  const d = compareWithSqlite(script);
  if (d !== null) assert.unreachable(d);
};

const T = "CREATE TABLE t(a INT, b AS (a * 2), c TEXT GENERATED ALWAYS AS (a || 'x') STORED, d);";

test('values are computed on INSERT and UPDATE, with the column affinity', () => {
  same(`${T}
INSERT INTO t VALUES(1, 2); INSERT INTO t(a, d) VALUES(3, 4); INSERT INTO t(d) VALUES('only d');
INSERT INTO t VALUES(1, 2, 3); INSERT INTO t(b) VALUES(1); INSERT INTO t(a, c) VALUES(1, 1);
UPDATE t SET b = 1; UPDATE t SET a = 10 WHERE a = 3; UPDATE t SET d = 'x' WHERE a = 1;
SELECT *, typeof(b), typeof(c) FROM t ORDER BY rowid;
CREATE TABLE e11(a, b INT AS (a), c REAL AS (a) STORED, d TEXT AS (a)); INSERT INTO e11 VALUES('5'), (2.0), (x'31');
SELECT b, typeof(b), c, typeof(c), d, typeof(d) FROM e11;
INSERT INTO t SELECT 7, 8; INSERT INTO t DEFAULT VALUES; SELECT a, b, c, d FROM t WHERE rowid > 3;`);
});

test('a generated column may use others, and the rowid alias', () => {
  same(`CREATE TABLE g(a, b AS (c + 1), c AS (a * 2) STORED, e AS (b || '/' || c));
INSERT INTO g VALUES(1); INSERT INTO g(a) VALUES(5); UPDATE g SET a = a + 1; SELECT * FROM g;
CREATE TABLE r(id INTEGER PRIMARY KEY, twice AS (id * 2)); INSERT INTO r(id) VALUES(5); INSERT INTO r VALUES(NULL); INSERT INTO r DEFAULT VALUES;
SELECT * FROM r; UPDATE r SET id = 100 WHERE id = 5; SELECT * FROM r;`);
});

test('refusals at CREATE as SQLite', () => {
  same(`CREATE TABLE e1(a PRIMARY KEY AS (1)); CREATE TABLE e1b(a, b AS (a), PRIMARY KEY(b)); CREATE TABLE e2(a, b DEFAULT 1 AS (a));
CREATE TABLE e3(a AS (1)); CREATE TABLE e4(a AS (b), b AS (a)); CREATE TABLE e4b(x, a AS (b), b AS (a)); CREATE TABLE e4c(x, a AS (a + 1));
CREATE TABLE e5(a, b AS (random())); CREATE TABLE e6(a, b AS ((SELECT 1))); CREATE TABLE e6b(a, b AS (a IN (SELECT 1)));
CREATE TABLE e7(a, b AS (count(*))); CREATE TABLE e8(a, b AS (zz)); CREATE TABLE e9(a INTEGER PRIMARY KEY AS (1));
CREATE TABLE ok(a, b AS (abs(a)) VIRTUAL, c AS (upper(a)) STORED);
SELECT name FROM sqlite_schema ORDER BY name;`);
});

test('constraints and indexes on generated columns', () => {
  same(`CREATE TABLE e10(a, b AS (a) VIRTUAL NOT NULL); INSERT INTO e10 VALUES(NULL); INSERT OR IGNORE INTO e10 VALUES(NULL); INSERT INTO e10 VALUES(1);
CREATE TABLE e12(a, b AS (a * 10) UNIQUE); INSERT INTO e12 VALUES(1); INSERT INTO e12 VALUES(1); INSERT OR REPLACE INTO e12 VALUES(1);
CREATE TABLE e13(a, b AS (a) CHECK(b > 0)); INSERT INTO e13 VALUES(0); INSERT INTO e13 VALUES(3);
${T} INSERT INTO t(a) VALUES(1), (2), (3); CREATE INDEX ib ON t(b); CREATE INDEX ic ON t(c, b);
SELECT a FROM t WHERE b = 4; UPDATE t SET a = 30 WHERE a = 3; SELECT a FROM t INDEXED BY ib WHERE b = 60;
SELECT a FROM t INDEXED BY ic WHERE c = '30x'; DELETE FROM t WHERE b = 2; SELECT * FROM t;
PRAGMA integrity_check;`);
});

test('PRAGMA table_info hides generated columns; table_xinfo shows them as 2 (VIRTUAL) and 3 (STORED)', () => {
  same(`${T} PRAGMA table_info(t); PRAGMA table_xinfo(t); SELECT name, hidden FROM pragma_table_xinfo('t');`);
});

test('ALTER TABLE ADD COLUMN takes VIRTUAL generated columns only; DROP COLUMN checks what uses it', () => {
  same(`${T} INSERT INTO t(a, d) VALUES(1, 2), (10, 4);
ALTER TABLE t ADD COLUMN f AS (a + 1) STORED; ALTER TABLE t ADD COLUMN f GENERATED ALWAYS AS (zz);
SELECT * FROM t ORDER BY a;
ALTER TABLE t DROP COLUMN a; ALTER TABLE t DROP COLUMN b; SELECT * FROM t ORDER BY c;
SELECT sql FROM sqlite_schema WHERE name = 't';`);
});

test('[SQL-CAT-7] a VIRTUAL column added to a table with rows has its value in every row, and survives reopening', () => {
  const dir = mkdtempSync(join(tmpdir(), 'helios-gen-'));
  try {
    for (const opts of [{ key: { raw: new Uint8Array(32).fill(6) } }, { encryption: false as const }]) {
      const path = join(dir, opts.key ? 'enc' : 'plain');
      let db = new Database(path, opts);
      db.exec(`${T} INSERT INTO t(a, d) VALUES(1, 2), (10, 4);`);
      db.exec('ALTER TABLE t ADD COLUMN f AS (a + d)');
      db.exec('CREATE INDEX tf ON t(f)');
      assert.equal(db.prepare('SELECT a, f FROM t ORDER BY a').raw().all(), [[1, 3], [10, 14]]);
      db.close();
      db = new Database(path, opts);
      db.exec('INSERT INTO t(a, d) VALUES (5, 5)');
      assert.equal(db.prepare('SELECT a FROM t INDEXED BY tf WHERE f = 10').pluck().all(), [5]);
      assert.equal(db.prepare('SELECT * FROM t WHERE a = 5').raw().all(), [[5, 10, '5x', 5, 10]]);
      assert.throws(() => db.prepare('UPDATE t SET f = 1'), /cannot UPDATE generated column "f"/);
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
