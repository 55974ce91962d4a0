/**
 * Foreign keys against SQLite (better-sqlite3), on encrypted and plain
 * databases: deferred constraints (DEFERRABLE INITIALLY DEFERRED, PRAGMA
 * defer_foreign_keys) counted through the transaction and checked at
 * COMMIT, which fails and leaves the transaction open; savepoints and
 * failing statements restoring the count; PRAGMA foreign_key_check;
 * parent-key mismatches; self-referencing rows.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compareWithSqlite, sqliteOracleLoads } from '../scripts/sqlite-oracle.ts';

const hasOracle = sqliteOracleLoads('foreign-keys.test');
const same = (script: string): void => {
  if (!hasOracle) return;
  const d = compareWithSqlite(script);
  if (d !== null) assert.unreachable(d);
};

const SCHEMA = `PRAGMA foreign_keys=ON;
CREATE TABLE p(id INTEGER PRIMARY KEY, k UNIQUE);
CREATE TABLE c(a REFERENCES p(id), b REFERENCES p(k) DEFERRABLE INITIALLY DEFERRED, x);`;

test('a deferred foreign key is checked at COMMIT, which fails and keeps the transaction open until fixed', () => {
  same(`${SCHEMA}
INSERT INTO c VALUES(NULL, 5, 1);
BEGIN; INSERT INTO c VALUES(NULL, 5, 1); COMMIT;
SELECT * FROM c;
PRAGMA foreign_key_check; PRAGMA foreign_key_check(c);
INSERT INTO p VALUES(1, 5); COMMIT; SELECT * FROM c;
BEGIN; DELETE FROM p; COMMIT; INSERT INTO p VALUES(2, 5); COMMIT; SELECT * FROM p;
BEGIN; INSERT INTO c VALUES(NULL, 9, 2); DELETE FROM c WHERE x = 2; COMMIT;
BEGIN; UPDATE p SET k = 6; COMMIT; UPDATE c SET b = 6; COMMIT; SELECT * FROM c;
BEGIN; INSERT INTO c VALUES(NULL, 7, 3); ROLLBACK; SELECT count(*) FROM c;`);
});

test('an immediate foreign key still fails its statement at once inside a transaction', () => {
  same(`${SCHEMA}
BEGIN; INSERT INTO c VALUES(9, NULL, 1); INSERT INTO p VALUES(9, 9); INSERT INTO c VALUES(9, NULL, 1); COMMIT; SELECT * FROM c;`);
});

test('PRAGMA defer_foreign_keys defers every constraint until COMMIT and goes off at COMMIT and ROLLBACK', () => {
  same(`${SCHEMA}
PRAGMA defer_foreign_keys; PRAGMA defer_foreign_keys = ON; PRAGMA defer_foreign_keys;
INSERT INTO p VALUES(1, 1); PRAGMA defer_foreign_keys;
BEGIN; PRAGMA defer_foreign_keys = 1; INSERT INTO c VALUES(9, NULL, 1); SAVEPOINT a; RELEASE a; COMMIT;
INSERT INTO p VALUES(9, 9); COMMIT; PRAGMA defer_foreign_keys;
BEGIN; PRAGMA defer_foreign_keys(1); DELETE FROM p WHERE id = 9; COMMIT; ROLLBACK; PRAGMA defer_foreign_keys; SELECT * FROM p;`);
});

test('savepoints and failing statements restore the deferred count; RELEASE that commits checks it', () => {
  same(`${SCHEMA}
INSERT INTO p VALUES(1, 1);
BEGIN; INSERT INTO c VALUES(NULL, 5, 1); SAVEPOINT x; INSERT INTO c VALUES(NULL, 6, 1); ROLLBACK TO x; DELETE FROM c WHERE b = 5; COMMIT;
BEGIN; INSERT INTO c VALUES(NULL, 5, 1); SAVEPOINT x; INSERT INTO p VALUES(5, 5); ROLLBACK TO x; COMMIT; ROLLBACK;
BEGIN; INSERT INTO c VALUES(NULL, 5, 1); INSERT INTO p VALUES(1, 1); INSERT INTO p VALUES(5, 5); COMMIT;
SAVEPOINT s; INSERT INTO c VALUES(NULL, 77, 1); RELEASE s; SELECT count(*) FROM c; ROLLBACK; SELECT count(*) FROM c;
BEGIN; INSERT INTO c VALUES(NULL, 5, 2), (NULL, 66, 2); COMMIT; ROLLBACK;`);
});

test('RESTRICT acts at once on a deferred constraint unless defer_foreign_keys is on; CASCADE runs at once', () => {
  same(`PRAGMA foreign_keys=ON;
CREATE TABLE p(id INTEGER PRIMARY KEY);
CREATE TABLE r(a REFERENCES p(id) ON DELETE RESTRICT DEFERRABLE INITIALLY DEFERRED);
CREATE TABLE k(a REFERENCES p(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED);
INSERT INTO p VALUES(1), (2); INSERT INTO r VALUES(1); INSERT INTO k VALUES(2);
BEGIN; DELETE FROM p WHERE id = 1; ROLLBACK;
BEGIN; PRAGMA defer_foreign_keys = 1; DELETE FROM p WHERE id = 1; COMMIT; ROLLBACK;
BEGIN; DELETE FROM p WHERE id = 2; SELECT count(*) FROM k; COMMIT; SELECT * FROM p;`);
});

test('orphans written while foreign_keys was OFF: foreign_key_check lists them; the counter only moves for changed keys', () => {
  same(`PRAGMA foreign_keys=OFF;
CREATE TABLE p(id INTEGER PRIMARY KEY, k UNIQUE);
CREATE TABLE c(a REFERENCES p(id), b REFERENCES p(k) DEFERRABLE INITIALLY DEFERRED, x);
INSERT INTO c VALUES(3, 4, 0), (NULL, 6, 0), (NULL, NULL, 0);
PRAGMA foreign_keys=ON;
PRAGMA foreign_key_list(c);
PRAGMA foreign_key_check; SELECT * FROM pragma_foreign_key_check_is_not_a_table;
BEGIN; UPDATE c SET x = 5 WHERE x = 0; COMMIT;
BEGIN; UPDATE c SET b = b WHERE x = 5; COMMIT; ROLLBACK;
UPDATE c SET a = a WHERE x = 5;
PRAGMA foreign_key_check(nosuch);`);
});

test('foreign_key_check: missing parent tables, composite keys with affinity, WITHOUT ROWID children, mismatches', () => {
  same(`CREATE TABLE m(a REFERENCES nosuch(x), b);
INSERT INTO m VALUES(1, 2), (NULL, NULL);
PRAGMA foreign_key_check(m);
PRAGMA foreign_keys = ON; INSERT INTO m VALUES(NULL, 1); PRAGMA foreign_keys = OFF;
CREATE TABLE w(a PRIMARY KEY, b REFERENCES m2) WITHOUT ROWID;
CREATE TABLE m2(id INTEGER PRIMARY KEY);
INSERT INTO w VALUES(1, 99);
PRAGMA foreign_key_check(w);
CREATE TABLE pp(a, b, UNIQUE(a, b));
CREATE TABLE cp(x, y, FOREIGN KEY(x, y) REFERENCES pp(a, b));
INSERT INTO cp VALUES(1, 2), (1, NULL), ('1', 2); INSERT INTO pp VALUES(1, '2');
PRAGMA foreign_key_check(cp);
CREATE TABLE pt(x INTEGER, y TEXT, UNIQUE(y, x));
CREATE TABLE ct(p, q, FOREIGN KEY(p, q) REFERENCES pt(x, y));
INSERT INTO pt VALUES(1, 'a'); INSERT INTO ct VALUES('1', 'a'), (1, 'b');
PRAGMA foreign_key_check(ct);
CREATE TABLE nu(x, y); CREATE TABLE cn(a REFERENCES nu(x));
INSERT INTO cn VALUES(1);
PRAGMA foreign_key_check(cn);
PRAGMA foreign_keys = ON; INSERT INTO cn VALUES(1);`);
});

test('self-referencing rows are their own parents; deleting one is not blocked by itself', () => {
  same(`PRAGMA foreign_keys=ON;
CREATE TABLE s(id INTEGER PRIMARY KEY, par REFERENCES s(id));
INSERT INTO s VALUES(1, 1); INSERT INTO s VALUES(2, 3); DELETE FROM s WHERE id = 1;
INSERT INTO s VALUES(1, 1); UPDATE s SET id = 2; SELECT * FROM s;
INSERT INTO s VALUES(2, 1); DELETE FROM s WHERE id = 1; SELECT * FROM s;`);
});

test('a parent key without a UNIQUE index is a foreign key mismatch', () => {
  same(`PRAGMA foreign_keys=ON;
CREATE TABLE p(id INTEGER PRIMARY KEY, k, u UNIQUE, v COLLATE NOCASE UNIQUE);
CREATE UNIQUE INDEX pk2 ON p(k) WHERE k > 0;
CREATE TABLE c1(a REFERENCES p(k)); INSERT INTO c1 VALUES(1);
CREATE TABLE c2(a REFERENCES p(v)); INSERT INTO c2 VALUES(1);
CREATE TABLE np(x, y); CREATE TABLE c4(a REFERENCES np); INSERT INTO c4 VALUES(1);
INSERT INTO p VALUES(1, 1, 'x', 'y'); INSERT INTO c2 VALUES('Y'); SELECT * FROM c2;`);
});

test('DROP TABLE of a referenced table reports the rows of its implicit DELETE as changes, as SQLite', () => {
  same(`PRAGMA foreign_keys = ON;
CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE ages (age INTEGER, person INTEGER NOT NULL REFERENCES people ON DELETE CASCADE);
CREATE TABLE lone (x);
INSERT INTO people VALUES (1, 'a'), (2, 'b');
INSERT INTO ages VALUES (1, 1), (2, 2), (3, 1);
INSERT INTO lone VALUES (1), (2), (3);
DROP TABLE lone;
SELECT changes();
DROP TABLE people;
SELECT changes();
SELECT count(*) FROM ages;
DROP TABLE ages;
SELECT changes();`);
});

test('DROP TABLE of an empty referenced table sets changes() to 0, as its implicit DELETE does in SQLite; unreferenced or other-schema ones keep it; a deferred child counts only with violations outstanding', () => {
  same(`PRAGMA foreign_keys = ON;
CREATE TABLE p (id INTEGER PRIMARY KEY);
CREATE TABLE c (x REFERENCES p(id));
CREATE TABLE s (id INTEGER PRIMARY KEY, up REFERENCES s(id));
CREATE TABLE o (a);
CREATE TABLE u (a);
INSERT INTO o VALUES (1), (2), (3);
DROP TABLE u;
SELECT changes(), total_changes();
DROP TABLE IF EXISTS nothere;
SELECT changes(), total_changes();
DROP TABLE p;
SELECT changes(), total_changes();
INSERT INTO o VALUES (4), (5);
DROP TABLE s;
SELECT changes(), total_changes();
INSERT INTO o VALUES (6);
BEGIN; SAVEPOINT a; DROP TABLE c; SELECT changes(); ROLLBACK TO a; RELEASE a; COMMIT;
SELECT changes(), total_changes();
CREATE TABLE q (id INTEGER PRIMARY KEY);
CREATE TEMP TABLE tc (x REFERENCES q(id));
INSERT INTO o VALUES (7), (8);
DROP TABLE q;
SELECT changes(), total_changes();
PRAGMA foreign_keys = OFF;
CREATE TABLE p2 (id INTEGER PRIMARY KEY); CREATE TABLE c2 (x REFERENCES p2(id));
INSERT INTO o VALUES (9);
DROP TABLE p2;
SELECT changes(), total_changes();`);
  same(`PRAGMA foreign_keys = ON;
CREATE TABLE p (id INTEGER PRIMARY KEY);
CREATE TABLE dc (x REFERENCES p(id) DEFERRABLE INITIALLY DEFERRED);
CREATE TABLE ok (x REFERENCES p(id) DEFERRABLE INITIALLY DEFERRED);
CREATE TABLE ic (x REFERENCES p(id));
CREATE TABLE o (a);
INSERT INTO p VALUES (5);
BEGIN;
INSERT INTO ok VALUES (5);
INSERT INTO o VALUES (1), (2), (3);
DROP TABLE ok;
SELECT changes(), total_changes();
INSERT INTO dc VALUES (8), (9);
INSERT INTO o VALUES (1), (2), (3);
DROP TABLE dc;
SELECT changes(), total_changes();
COMMIT;
BEGIN;
PRAGMA defer_foreign_keys = ON;
INSERT INTO ic VALUES (7);
INSERT INTO o VALUES (4);
DROP TABLE ic;
SELECT changes(), total_changes();
COMMIT;`);
});

test('rows that ON DELETE CASCADE / ON UPDATE SET NULL actions change count in total_changes(), as in SQLite', () => {
  same(`PRAGMA foreign_keys=ON;
CREATE TABLE p(id INTEGER PRIMARY KEY, v);
CREATE TABLE c(id INTEGER PRIMARY KEY, p REFERENCES p ON DELETE CASCADE ON UPDATE SET NULL);
CREATE TABLE g(id INTEGER PRIMARY KEY, c REFERENCES c ON DELETE CASCADE);
CREATE TABLE log(x);
CREATE TRIGGER tr AFTER DELETE ON c BEGIN INSERT INTO log VALUES (old.id); END;
INSERT INTO p VALUES (1,0),(2,0),(3,0);
INSERT INTO c VALUES (1,1),(2,1),(3,2),(4,3);
INSERT INTO g VALUES (1,1),(2,3);
SELECT total_changes();
DELETE FROM p WHERE id=1;
SELECT total_changes(), changes();
UPDATE p SET id=20 WHERE id=2;
SELECT total_changes(), changes();
DELETE FROM p;
SELECT total_changes(), changes();`);
});

test('a foreign key mismatch stops the statement that needs the key even when it writes no row (found by fuzz/differential-schema, 15x)', () => {
  same(`PRAGMA foreign_keys=ON;
CREATE TABLE p(r0 INTEGER PRIMARY KEY, a); CREATE TABLE c(id INTEGER PRIMARY KEY, pid, n1 REFERENCES p(id));
UPDATE c SET n1 = 2 WHERE id < 2; UPDATE c SET pid = 2 WHERE id < 2; INSERT INTO c(n1) SELECT 1 WHERE 0;
DELETE FROM c; DELETE FROM p; UPDATE p SET a = 1; UPDATE p SET r0 = 1; UPDATE c SET n1 = 2 FROM p WHERE p.r0 = c.id;
CREATE TABLE q(k PRIMARY KEY, v); CREATE TABLE d(x REFERENCES q); CREATE TABLE e(y REFERENCES q(v));
UPDATE q SET k = 1; UPDATE q SET v = 1; DELETE FROM q; INSERT INTO q VALUES(1, 2); DELETE FROM d;
PRAGMA foreign_keys=OFF; DELETE FROM p; UPDATE c SET n1 = 3;
PRAGMA foreign_keys=ON; CREATE TABLE g(id INTEGER PRIMARY KEY, n REFERENCES nosuch(id), m); INSERT INTO g(id) SELECT 1 WHERE 0;
UPDATE g SET id = id + 10; UPDATE g SET m = 1; UPDATE g SET n = 1;`);
});

test.run();
