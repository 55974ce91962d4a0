/**
 * TEMP tables against SQLite (better-sqlite3), on encrypted and plain
 * databases: `CREATE TEMP TABLE` and `temp.` names, shadowing a main table
 * (`main.t` still reaches it), indexes, triggers and views on them,
 * transactions, sqlite_temp_schema; and what SQLite cannot show: their rows
 * never reach a file of the database directory (not even sealed), and they
 * are gone when the database closes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareWithSqlite, sqliteOracleLoads, ORACLE_MODES } from '../scripts/sqlite-oracle.ts';
import { Database } from './database.ts';

const hasOracle = sqliteOracleLoads('temp-table.test');
const same = (script: string): void => {
  if (!hasOracle) return;
  const d = compareWithSqlite(script);
  if (d !== null) assert.unreachable(d);
};

test('a TEMP table shadows a main one; main.t and temp.t name each', () => {
  same(`CREATE TABLE t(a, b); INSERT INTO t VALUES(1, 'main');
CREATE TEMP TABLE t(x INTEGER PRIMARY KEY, y UNIQUE); INSERT INTO t(y) VALUES('temp1'), ('temp2');
SELECT * FROM t; SELECT * FROM main.t; SELECT * FROM temp.t; INSERT INTO t(y) VALUES('temp1');
INSERT INTO main.t VALUES(2, 'main2'); SELECT * FROM main.t; UPDATE main.t SET b = 'M'; SELECT * FROM main.t; SELECT * FROM t;
CREATE INDEX ti ON t(y); SELECT type, name, tbl_name, sql FROM sqlite_temp_schema; SELECT type, name, tbl_name, sql FROM sqlite_schema;
CREATE TEMP TABLE t(z); CREATE TEMP TABLE IF NOT EXISTS t(z); CREATE TABLE t(z);
DROP TABLE t; SELECT * FROM t; DROP TABLE t; SELECT * FROM t; SELECT type, name FROM sqlite_temp_schema;`);
});

test('TEMP tables with AS SELECT, transactions, triggers, views, AUTOINCREMENT, STRICT and generated columns', () => {
  same(`CREATE TABLE m(a); INSERT INTO m VALUES(1), (2);
CREATE TABLE temp.u AS SELECT a * 10 AS a10 FROM main.m; SELECT * FROM u;
BEGIN; INSERT INTO u VALUES(99); ROLLBACK; SELECT * FROM u;
BEGIN; CREATE TEMP TABLE w(q); INSERT INTO w VALUES(1); ROLLBACK; SELECT * FROM w;
BEGIN; CREATE TEMP TABLE w(q); INSERT INTO w VALUES(2); COMMIT; SELECT * FROM w;
CREATE TEMP TABLE log(x); CREATE TRIGGER tr AFTER INSERT ON u BEGIN INSERT INTO log VALUES('trig' || new.a10); END;
INSERT INTO u VALUES(5); SELECT * FROM log; SELECT type, name, tbl_name FROM sqlite_temp_schema WHERE type = 'trigger';
CREATE TEMP VIEW tv AS SELECT * FROM u; SELECT * FROM tv;
CREATE TABLE sh(a); CREATE TABLE shlog(x); CREATE TRIGGER shmain AFTER INSERT ON sh BEGIN INSERT INTO shlog VALUES('main ' || new.a); END;
INSERT INTO sh VALUES(1); CREATE TEMP TABLE sh(a); CREATE TRIGGER shtemp AFTER INSERT ON sh BEGIN INSERT INTO shlog VALUES('temp ' || new.a); END;
INSERT INTO sh VALUES(2); SELECT * FROM shlog; DROP TABLE sh; INSERT INTO sh VALUES(3); SELECT * FROM shlog;
CREATE TEMP TABLE seqt(id INTEGER PRIMARY KEY AUTOINCREMENT, v); INSERT INTO seqt(v) VALUES(1), (2); DELETE FROM seqt; INSERT INTO seqt(v) VALUES(3); SELECT * FROM seqt;
CREATE TEMP TABLE g(a INT, b INT AS (a * 2)) STRICT; INSERT INTO g(a) VALUES('4'); SELECT * FROM g; INSERT INTO g(a) VALUES('x');
SELECT name FROM sqlite_schema;`);
});

for (const [mode, opts] of ORACLE_MODES) {
  test(`[SQL-CAT-8] ${mode}: TEMP rows never reach the database directory and are gone after close`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'helios-temp-'));
    try {
      const path = join(dir, 'db');
      let db = new Database(path, { ...opts, memtableBudgetBytes: 64 * 1024 });
      db.exec("CREATE TABLE keep(a); INSERT INTO keep VALUES ('kept'); CREATE TEMP TABLE scratch(s TEXT UNIQUE, n)");
      const ins = db.prepare('INSERT INTO scratch VALUES (?, ?)');
      db.transaction(() => {
        for (let i = 0; i < 2000; i++) ins.run(`TEMP-MARKER-${i}`, i);
      })();
      db.exec('VACUUM');
      assert.is(db.prepare("SELECT n FROM scratch WHERE s = 'TEMP-MARKER-1999'").pluck().get(), 1999);
      for (const f of readdirSync(path)) assert.not.ok(readFileSync(join(path, f)).includes('TEMP-MARKER'), `TEMP data in ${f}`);
      db.close();
      db = new Database(path, opts);
      assert.throws(() => db.prepare('SELECT * FROM scratch'), /no such table: scratch/);
      assert.equal(db.prepare('SELECT count(*) FROM sqlite_temp_schema').pluck().get(), 0);
      assert.equal(db.prepare('SELECT a FROM keep').pluck().all(), ['kept']);
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test.run();
