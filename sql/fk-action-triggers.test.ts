/**
 * Triggers fired by foreign-key actions, against SQLite (better-sqlite3) on
 * encrypted and plain databases: ON DELETE CASCADE fires the child's DELETE
 * triggers, SET NULL / SET DEFAULT / ON UPDATE CASCADE its UPDATE triggers
 * (UPDATE OF the key columns included), cascades through several levels,
 * WHEN clauses, RAISE(IGNORE) leaving the child row as it is, and
 * RAISE(ABORT) undoing the whole statement.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compareWithSqlite, sqliteOracleLoads } from '../scripts/sqlite-oracle.ts';

const hasOracle = sqliteOracleLoads('fk-action-triggers.test');
const same = (script: string): void => {
  if (!hasOracle) return;
  const d = compareWithSqlite(script);
  if (d !== null) assert.unreachable(d);
};

const SCHEMA = `PRAGMA foreign_keys = ON;
CREATE TABLE p(id INTEGER PRIMARY KEY, k UNIQUE);
CREATE TABLE c_del(id INTEGER PRIMARY KEY, pid REFERENCES p(id) ON DELETE CASCADE, v);
CREATE TABLE c_null(id INTEGER PRIMARY KEY, pid REFERENCES p(id) ON DELETE SET NULL, v);
CREATE TABLE c_def(id INTEGER PRIMARY KEY, pid INTEGER DEFAULT 0 REFERENCES p(id) ON DELETE SET DEFAULT, v);
CREATE TABLE c_upd(id INTEGER PRIMARY KEY, pk REFERENCES p(k) ON UPDATE CASCADE, v);
CREATE TABLE log(x);
INSERT INTO p VALUES(0, 'zero'), (1, 'one'), (2, 'two');
INSERT INTO c_del VALUES(10, 1, 'a'), (11, 1, 'b'), (12, 2, 'c');
INSERT INTO c_null VALUES(20, 1, 'a'), (21, 2, 'b');
INSERT INTO c_def VALUES(30, 1, 'a');
INSERT INTO c_upd VALUES(40, 'one', 'a'), (41, 'two', 'b');`;

test('ON DELETE CASCADE / SET NULL / SET DEFAULT fire the triggers of the child table', () => {
  same(`${SCHEMA}
CREATE TRIGGER bd BEFORE DELETE ON c_del BEGIN INSERT INTO log VALUES('bd ' || old.id || ' ' || old.pid); END;
CREATE TRIGGER ad AFTER DELETE ON c_del BEGIN INSERT INTO log VALUES('ad ' || old.id || ' ' || (SELECT count(*) FROM c_del)); END;
CREATE TRIGGER bu BEFORE UPDATE ON c_null BEGIN INSERT INTO log VALUES('bu ' || old.id || ' ' || old.pid || '>' || ifnull(new.pid, 'NULL')); END;
CREATE TRIGGER au AFTER UPDATE OF pid ON c_null BEGIN INSERT INTO log VALUES('au ' || old.id || ' ' || ifnull(new.pid, 'NULL')); END;
CREATE TRIGGER au_v AFTER UPDATE OF v ON c_null BEGIN INSERT INTO log VALUES('never'); END;
CREATE TRIGGER dd AFTER UPDATE ON c_def WHEN new.pid = 0 BEGIN INSERT INTO log VALUES('dd ' || old.id || ' ' || new.pid); END;
DELETE FROM p WHERE id = 1;
SELECT * FROM log;
SELECT * FROM c_del; SELECT * FROM c_null; SELECT * FROM c_def;
DELETE FROM log;
DELETE FROM p WHERE id = 2 RETURNING *;
SELECT * FROM log;`);
});

test('ON UPDATE CASCADE fires UPDATE triggers, and triggers cascade on', () => {
  same(`${SCHEMA}
CREATE TABLE g(id INTEGER PRIMARY KEY, cid REFERENCES c_del(id) ON DELETE CASCADE);
INSERT INTO g VALUES(100, 10), (101, 12);
CREATE TRIGGER gu AFTER DELETE ON g BEGIN INSERT INTO log VALUES('g ' || old.id); END;
CREATE TRIGGER cu AFTER DELETE ON c_del BEGIN INSERT INTO log VALUES('c ' || old.id); END;
CREATE TRIGGER uu AFTER UPDATE ON c_upd BEGIN INSERT INTO log VALUES('u ' || old.pk || '>' || new.pk); UPDATE c_upd SET v = v || '!' WHERE id = new.id; END;
UPDATE p SET k = 'uno' WHERE id = 1;
DELETE FROM p WHERE id = 1;
SELECT * FROM log;
SELECT * FROM c_upd; SELECT * FROM g;`);
});

test('RAISE(IGNORE) in an action-fired trigger keeps the child row; RAISE(ABORT) undoes the statement', () => {
  same(`PRAGMA foreign_keys = ON;
CREATE TABLE p(id INTEGER PRIMARY KEY);
CREATE TABLE c(id INTEGER PRIMARY KEY, pid REFERENCES p(id) ON DELETE SET NULL);
CREATE TABLE log(x);
INSERT INTO p VALUES(1), (2);
INSERT INTO c VALUES(10, 1), (11, 1), (12, 2);
CREATE TRIGGER keep BEFORE UPDATE ON c WHEN old.id = 11 BEGIN SELECT RAISE(IGNORE); END;
CREATE TRIGGER stop BEFORE UPDATE ON c WHEN old.pid = 2 BEGIN SELECT RAISE(ABORT, 'no'); END;
DELETE FROM p WHERE id = 1;
SELECT * FROM c;
DELETE FROM p WHERE id = 2;
SELECT * FROM p; SELECT * FROM c;`);
});

test('a child trigger fired by a cascade no longer sees the deleted parent row, as in SQLite', () => {
  same(`PRAGMA foreign_keys = ON;
CREATE TABLE p(id INTEGER PRIMARY KEY);
CREATE TABLE c(id INTEGER PRIMARY KEY, pid REFERENCES p(id) ON DELETE CASCADE);
CREATE TABLE g(id INTEGER PRIMARY KEY, cid REFERENCES c(id) ON DELETE CASCADE);
CREATE TABLE log(x);
INSERT INTO p VALUES(1), (2); INSERT INTO c VALUES(10, 1), (11, 1); INSERT INTO g VALUES(100, 10);
CREATE TRIGGER cd AFTER DELETE ON c BEGIN INSERT INTO log VALUES('c' || old.id || ' p' || (SELECT count(*) FROM p) || ' c' || (SELECT count(*) FROM c)); END;
CREATE TRIGGER gd BEFORE DELETE ON g BEGIN INSERT INTO log VALUES('g' || old.id || ' p' || (SELECT count(*) FROM p) || ' c' || (SELECT count(*) FROM c)); END;
DELETE FROM p WHERE id = 1;
SELECT * FROM log; SELECT * FROM c; SELECT * FROM g;`);
});

test.run();
