/**
 * UPDATE … FROM against SQLite (better-sqlite3), on encrypted and plain
 * databases: joins, subqueries and self-joins in FROM, several matches for
 * one target row (the last match in join order wins, as SQLite's ephemeral
 * table keyed by rowid keeps it), row-value SETs, RETURNING (the target's
 * columns only), BEFORE/AFTER triggers, foreign keys and the refusals.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compareWithSqlite, sqliteOracleLoads } from '../scripts/sqlite-oracle.ts';
import { Database } from './database.ts';

const hasOracle = sqliteOracleLoads('update-from.test');
const same = (script: string): void => {
  if (!hasOracle) return;
  const d = compareWithSqlite(script);
  if (d !== null) assert.unreachable(d);
};

const BASE = `CREATE TABLE t(id INTEGER PRIMARY KEY, b, c TEXT);
CREATE TABLE u(a, c);
INSERT INTO t VALUES(1, 0, 'p'), (2, 0, 'q'), (3, 0, 'r');
INSERT INTO u VALUES(1, 'x'), (1, 'y'), (2, 'z'), (1, 'w');`;

test('UPDATE … FROM joins, and the last match of a target row wins', () => {
  same(`${BASE}
UPDATE t SET b = u.c FROM u WHERE u.a = t.id;
SELECT * FROM t;
UPDATE t SET b = u.c FROM u WHERE u.a = t.id RETURNING *;
CREATE INDEX ua ON u(a);
UPDATE t SET b = u.c || t.c FROM u WHERE u.a = t.id RETURNING id, b;
UPDATE t SET b = u.c FROM u WHERE u.a = t.id + 0 RETURNING *;
UPDATE t AS q SET b = u.c FROM u WHERE u.a = q.id RETURNING b;
SELECT changes(), total_changes();`);
});

test('UPDATE … FROM with subqueries, joins, self-joins and row values', () => {
  same(`${BASE}
UPDATE t SET b = x.c FROM (SELECT a, max(c) AS c FROM u GROUP BY a) AS x WHERE x.a = t.id RETURNING *;
UPDATE t SET b = u.c FROM u JOIN u AS v ON v.a = u.a WHERE u.a = t.id RETURNING *;
UPDATE t SET b = v.c FROM u LEFT JOIN u AS v ON v.a = u.a + 1 WHERE u.a = t.id RETURNING *;
UPDATE t SET b = t2.b || '+' FROM t AS t2 WHERE t2.id = t.id + 1 RETURNING *;
UPDATE t SET (b, c) = (u.c, t.c || u.a) FROM u WHERE u.a = t.id RETURNING *;
UPDATE t SET b = (SELECT count(*) FROM u) FROM u WHERE u.a = t.id RETURNING *;
UPDATE t SET id = t.id + 10 FROM u WHERE u.a = t.id RETURNING *;
UPDATE t SET b = 1 FROM (SELECT 1 WHERE 0) RETURNING *;
SELECT * FROM t;`);
});

test('UPDATE … FROM refuses what SQLite refuses', () => {
  same(`${BASE}
UPDATE t SET b = 1 FROM t;
UPDATE t SET b = u.c FROM u WHERE u.a = t.id RETURNING u.c;
UPDATE t SET b = nope.c FROM u;
UPDATE t SET (b, c) = (1) FROM u;
SELECT * FROM t;`);
});

test('UPDATE … FROM fires BEFORE and AFTER triggers, SET values computed before any of them', () => {
  same(`${BASE}
CREATE TABLE log(x);
CREATE TRIGGER tb BEFORE UPDATE ON t BEGIN INSERT INTO log VALUES('b' || old.id || old.b || new.b); UPDATE t SET b = 'bt', c = 'ct' WHERE id = new.id + 1; END;
CREATE TRIGGER ta AFTER UPDATE OF b ON t BEGIN INSERT INTO log VALUES('a' || old.id || old.b || new.b || new.c); END;
UPDATE t SET b = u.c FROM u WHERE u.a = t.id RETURNING *;
SELECT * FROM log;
SELECT * FROM t;
CREATE TRIGGER inner_upd AFTER INSERT ON log WHEN new.x = 'go' BEGIN UPDATE t SET c = u.c FROM u WHERE u.a = t.id AND u.c > 'x'; END;
INSERT INTO log VALUES('go');
SELECT * FROM t;`);
});

test('UPDATE … FROM checks foreign keys and conflicts row by row', () => {
  same(`PRAGMA foreign_keys = ON;
CREATE TABLE p(id INTEGER PRIMARY KEY);
CREATE TABLE ch(id INTEGER PRIMARY KEY, pid REFERENCES p(id), k UNIQUE);
CREATE TABLE m(id, newp, newk);
INSERT INTO p VALUES(1), (2);
INSERT INTO ch VALUES(1, 1, 'a'), (2, 1, 'b');
INSERT INTO m VALUES(1, 2, 'c'), (2, 3, 'd');
UPDATE ch SET pid = m.newp FROM m WHERE m.id = ch.id;
SELECT * FROM ch;
UPDATE ch SET pid = m.newp FROM m WHERE m.id = ch.id AND m.newp = 2 RETURNING *;
UPDATE ch SET k = 'b' FROM m WHERE m.id = ch.id;
UPDATE OR IGNORE ch SET k = 'b' FROM m WHERE m.id = ch.id RETURNING *;
UPDATE OR REPLACE ch SET k = m.newk || 'x' FROM m RETURNING *;
SELECT * FROM ch;`);
});

test('UPDATE … FROM works the same on an encrypted database without the oracle', () => {
  const db = new Database(':memory:', { key: { raw: new Uint8Array(32).fill(3) } });
  db.exec(BASE);
  const rows = db.prepare('UPDATE t SET b = u.c FROM u WHERE u.a = t.id RETURNING id, b').raw().all();
  assert.equal(rows, [[1, 'w'], [2, 'z']]);
  db.close();
});

test.run();
