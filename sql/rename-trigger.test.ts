/**
 * ALTER TABLE … RENAME TO / RENAME COLUMN rewriting trigger text as SQLite
 * 3.26+ does, against SQLite (better-sqlite3) on encrypted and plain
 * databases: the ON table, UPDATE OF columns, WHEN, NEW./OLD. columns, and
 * the targets, column lists, SET targets and expressions of every body
 * statement, in triggers on the renamed table and on other tables; each
 * script lists sqlite_schema and then runs the triggers.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compareWithSqlite, sqliteOracleLoads } from '../scripts/sqlite-oracle.ts';

const hasOracle = sqliteOracleLoads('rename-trigger.test');
const SCHEMA = 'SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name';
const same = (script: string): void => {
  if (!hasOracle) return;
  const d = compareWithSqlite(`${script}\n${SCHEMA};`);
  if (d !== null) assert.unreachable(d);
};

const TRIGGERS = `CREATE TABLE t(a, b);
CREATE TABLE log(x, y);
CREATE TRIGGER tr AFTER UPDATE OF a ON t WHEN new.a > old.a BEGIN
  INSERT INTO log(x, y) VALUES(new.a, (SELECT count(*) FROM t WHERE t.a = new.a));
  UPDATE t SET b = new.a WHERE rowid = new.rowid;
  DELETE FROM log WHERE x = old.b;
END;
CREATE TRIGGER tl AFTER INSERT ON log BEGIN INSERT INTO t(a) SELECT new.x WHERE new.y < 0; END;
CREATE TRIGGER ti BEFORE INSERT ON t BEGIN SELECT CASE WHEN new.a = 'bad' THEN RAISE(ABORT, 'bad a') END; END;`;

test('RENAME COLUMN rewrites the triggers on the table and those naming it', () => {
  same(`${TRIGGERS}
ALTER TABLE t RENAME COLUMN a TO aa;
ALTER TABLE log RENAME COLUMN x TO "x x";
INSERT INTO t VALUES(1, 2);
UPDATE t SET aa = 5;
INSERT INTO log VALUES(9, -1);
INSERT INTO t VALUES('bad', 0);
SELECT * FROM log; SELECT * FROM t;`);
});

test('RENAME TO rewrites trigger text and moves the triggers to the new name', () => {
  same(`${TRIGGERS}
ALTER TABLE t RENAME TO t2;
INSERT INTO t2 VALUES(1, 2);
UPDATE t2 SET a = 5;
INSERT INTO log VALUES(9, -1);
SELECT * FROM log; SELECT * FROM t2;
ALTER TABLE log RENAME TO journal;
INSERT INTO t2 VALUES(3, 4);
UPDATE t2 SET a = a + 10 WHERE a = 3;
SELECT * FROM journal;`);
});

test.run();
