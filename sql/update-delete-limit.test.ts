// UPDATE/DELETE … ORDER BY … LIMIT … OFFSET (SQLite's SQLITE_ENABLE_UPDATE_DELETE_LIMIT form,
// which better-sqlite3 builds with), compared live with better-sqlite3.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compareWithSqlite, sqliteOracleLoads } from '../scripts/sqlite-oracle.ts';
import { openSqlite } from '../scripts/slt-backend.ts';
import { Database } from './database.ts';
import { isHeliosError } from '../format/errors.ts';

const haveOracle = sqliteOracleLoads('sql/update-delete-limit.test.ts');

const SETUP = `CREATE TABLE t (x INTEGER PRIMARY KEY, y INTEGER, z TEXT);
INSERT INTO t VALUES (1, 5, 'a'), (2, 4, 'b'), (3, 3, 'c'), (4, 2, 'd'), (5, 1, 'e'), (6, NULL, 'f');
CREATE TABLE w (k TEXT PRIMARY KEY, v INTEGER) WITHOUT ROWID;
INSERT INTO w VALUES ('p', 1), ('q', 2), ('r', 3);
CREATE TABLE s (a INTEGER, b INTEGER);
INSERT INTO s VALUES (3, 30), (4, 40), (5, 50);
`;

test('UPDATE and DELETE with ORDER BY, LIMIT and OFFSET change the rows SQLite changes', () => {
  if (!haveOracle) return;
  const script =
    SETUP +
    `DELETE FROM t ORDER BY x ASC LIMIT 1;
SELECT * FROM t ORDER BY x;
UPDATE t SET y = 100 ORDER BY x DESC LIMIT 2;
SELECT * FROM t ORDER BY x;
UPDATE t SET z = 'u' WHERE y < 100 ORDER BY y NULLS FIRST LIMIT 2 OFFSET 1;
SELECT * FROM t ORDER BY x;
DELETE FROM t AS q WHERE q.x > 2 ORDER BY q.z DESC LIMIT 1, 1;
SELECT * FROM t ORDER BY x;
UPDATE t SET y = s.b FROM s WHERE s.a = t.x ORDER BY s.b DESC LIMIT 1;
SELECT * FROM t ORDER BY x;
DELETE FROM t LIMIT 0;
DELETE FROM t LIMIT -1 OFFSET 3;
SELECT * FROM t ORDER BY x;
UPDATE w SET v = v * 10 ORDER BY k DESC LIMIT 2;
DELETE FROM w ORDER BY v LIMIT 1;
SELECT * FROM w ORDER BY k;
DELETE FROM t LIMIT 'a';
DELETE FROM t RETURNING x ORDER BY x DESC LIMIT 1;
UPDATE t SET y = 0 RETURNING * LIMIT 1;
SELECT * FROM t ORDER BY x;
`;
  const d = compareWithSqlite(script);
  if (d !== null) assert.unreachable(d);
});

test('ORDER BY without LIMIT, LIMIT before RETURNING and LIMIT inside a trigger are errors, as in SQLite', () => {
  const bad = [
    'DELETE FROM t ORDER BY x',
    'UPDATE t SET y = 1 ORDER BY x',
    'DELETE FROM t LIMIT 1 RETURNING x',
    'CREATE TRIGGER tr AFTER INSERT ON s BEGIN DELETE FROM t LIMIT 1; END',
  ];
  const db = new Database(':memory:');
  db.exec(SETUP);
  const oracle = haveOracle ? openSqlite(':memory:') : null;
  oracle?.exec(SETUP);
  for (const sql of bad) {
    assert.throws(() => db.prepare(sql), (e: unknown) => isHeliosError(e), sql);
    if (oracle !== null) assert.throws(() => oracle.prepare(sql), undefined, sql);
  }
  oracle?.close();
  db.close();
});

test.run();
