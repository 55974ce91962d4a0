/**
 * ALTER TABLE against SQLite (better-sqlite3), on encrypted and plain
 * databases: DROP COLUMN with SQLite's refusals and text edit, RENAME TO and
 * RENAME COLUMN rewriting views, indexes and REFERENCES elsewhere, and the
 * schema test before and after ("error in view v after rename: …"). Each
 * script ends by listing sqlite_schema, so the stored text is compared too.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compareWithSqlite, sqliteOracleLoads } from '../scripts/sqlite-oracle.ts';
import { Database } from './database.ts';

const hasOracle = sqliteOracleLoads('alter.test');
const SCHEMA = 'SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name';
const same = (script: string): void => {
  if (!hasOracle) return;
  const d = compareWithSqlite(`${script}\n${SCHEMA};`);
  if (d !== null) assert.unreachable(d);
};

const WIDE = `CREATE TABLE p(id INTEGER PRIMARY KEY, a, b UNIQUE, c, d CHECK(d > 0), e, f, g REFERENCES p(id), h, i, j, k COLLATE NOCASE, CHECK(e <> f), FOREIGN KEY(h) REFERENCES p(id));
CREATE INDEX ic ON p(c); CREATE INDEX ie ON p(a) WHERE i > 0; CREATE INDEX ix ON p(a + j);
CREATE TABLE ch(x REFERENCES p(k)); CREATE VIEW v AS SELECT a, k FROM p;
INSERT INTO p(id, a, d, k, e, f) VALUES(1, 2, 3, 'z', 1, 2), (2, 'x', 4, 'y', 3, 4);`;

test('DROP COLUMN refuses what SQLite refuses, in SQLite order, and changes nothing then', () => {
  same(`${WIDE}
ALTER TABLE p DROP COLUMN id; ALTER TABLE p DROP COLUMN a; ALTER TABLE p DROP COLUMN b; ALTER TABLE p DROP COLUMN c;
ALTER TABLE p DROP COLUMN e; ALTER TABLE p DROP COLUMN h; ALTER TABLE p DROP COLUMN i; ALTER TABLE p DROP COLUMN j;
ALTER TABLE p DROP COLUMN k; ALTER TABLE p DROP COLUMN zz; ALTER TABLE v DROP COLUMN a; ALTER TABLE sqlite_schema DROP COLUMN sql;
CREATE TABLE q(x, y, z, PRIMARY KEY(x, y)); CREATE TABLE one(x); CREATE TABLE tu(a, b, c, UNIQUE(a, b));
ALTER TABLE q DROP COLUMN y; ALTER TABLE one DROP COLUMN x; ALTER TABLE tu DROP COLUMN a;
SELECT * FROM p ORDER BY id;`);
});

test('DROP COLUMN cuts the definition from the text as SQLite does and rewrites every row', () => {
  same(`${WIDE}
ALTER TABLE p DROP COLUMN d; ALTER TABLE p DROP COLUMN g;
SELECT * FROM p ORDER BY id; SELECT * FROM v;
INSERT INTO p(id, a, k, e, f) VALUES(3, 'w', 'x', 5, 6); SELECT * FROM p WHERE c IS NULL ORDER BY id;
CREATE TABLE t2("a b", [c], \`d\`, e /* cmt, with comma */ , f INTEGER DEFAULT (1+2) NOT NULL, CONSTRAINT x UNIQUE(e));
INSERT INTO t2 VALUES(1, 2, 3, 4, 5);
ALTER TABLE t2 DROP COLUMN "a b"; ALTER TABLE t2 DROP COLUMN c; ALTER TABLE t2 DROP COLUMN f; SELECT * FROM t2;
CREATE TABLE t3(a, b); INSERT INTO t3 VALUES(1, 2); ALTER TABLE t3 ADD COLUMN c DEFAULT 7; ALTER TABLE t3 DROP COLUMN b;
SELECT * FROM t3; ALTER TABLE t3 DROP COLUMN c; SELECT * FROM t3; PRAGMA integrity_check;
CREATE TABLE t4(a INTEGER PRIMARY KEY AUTOINCREMENT, b, c); INSERT INTO t4(b, c) VALUES(1, 2); ALTER TABLE t4 DROP COLUMN b;
INSERT INTO t4(c) VALUES(3); SELECT * FROM t4;
CREATE TABLE t5(x, y INTEGER PRIMARY KEY, z); INSERT INTO t5 VALUES(1, 2, 3); ALTER TABLE t5 DROP COLUMN x; SELECT rowid, * FROM t5;`);
});

const RENAME = `CREATE TABLE p(id INTEGER PRIMARY KEY, a, b, UNIQUE(a, b));
CREATE TABLE c(x REFERENCES p(a), y, FOREIGN KEY (y) REFERENCES "p");
CREATE VIEW v AS SELECT p.a, "p".b AS bb, (SELECT count(*) FROM p AS z WHERE z.a = p.a) n FROM p JOIN c ON c.x = p.a WHERE a > 1 ORDER BY b;
CREATE VIEW w(k) AS WITH p AS (SELECT 1 AS a) SELECT a FROM p;
CREATE VIEW u AS SELECT * FROM main.p WHERE id IN (SELECT id FROM p);
CREATE VIEW g AS SELECT b, count(*) FROM p GROUP BY b HAVING max(a) > 0 ORDER BY 1;
CREATE INDEX i1 ON p(b) WHERE a IS NOT NULL;
INSERT INTO p VALUES(1, 2, 3), (2, 5, 6); INSERT INTO c VALUES(2, 1), (5, 2);`;

test('RENAME COLUMN rewrites the table, its indexes, views and REFERENCES elsewhere', () => {
  same(`${RENAME}
ALTER TABLE p RENAME a TO "A 2"; ALTER TABLE p RENAME COLUMN b TO bee; ALTER TABLE p RENAME COLUMN nosuch TO x; ALTER TABLE p RENAME id TO bee;
SELECT * FROM v; SELECT * FROM u; SELECT * FROM g; SELECT * FROM w;`);
});

test('RENAME TO rewrites every name of the table, double-quoted, but not a CTE of the same name', () => {
  same(`${RENAME}
ALTER TABLE p RENAME TO q; SELECT * FROM v; SELECT * FROM u; SELECT * FROM g;
ALTER TABLE q RENAME TO c; ALTER TABLE q RENAME TO sqlite_x; ALTER TABLE v RENAME TO vv; ALTER TABLE sqlite_schema RENAME TO x;
ALTER TABLE q RENAME TO q; ALTER TABLE q RENAME TO Q;
PRAGMA foreign_keys = ON; INSERT INTO c(x) VALUES(99);`);
});

test('a view that no longer resolves stops every ALTER, before or after the change', () => {
  same(`${RENAME}
CREATE VIEW broken AS SELECT * FROM nosuch;
ALTER TABLE p RENAME TO r; ALTER TABLE p RENAME COLUMN id TO ident; ALTER TABLE p DROP COLUMN b;
DROP VIEW broken; CREATE TABLE one(x); CREATE VIEW uses AS SELECT 1 IN one FROM one;
ALTER TABLE one RENAME TO r; ALTER TABLE p RENAME TO r;`);
});

test('RENAME COLUMN through subqueries, joins with USING, CTEs and aliases resolves as SQLite', () => {
  same(`CREATE TABLE t(a, b); CREATE TABLE s(a, c);
CREATE VIEW v1 AS SELECT a FROM t JOIN s USING (a);
CREATE VIEW v2 AS SELECT x.a, y.a AS sa FROM t x, s y WHERE x.a = y.a ORDER BY a;
CREATE VIEW v3 AS WITH RECURSIVE r(n) AS (SELECT a FROM t UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT n, (SELECT b FROM t WHERE t.a = r.n) FROM r;
CREATE VIEW v4 AS SELECT a AS b, b AS a FROM t ORDER BY a, b;
CREATE VIEW v5 AS SELECT * FROM (SELECT a, b FROM t) AS sub WHERE sub.a > 0;
INSERT INTO t VALUES(1, 2); INSERT INTO s VALUES(1, 3);
ALTER TABLE t RENAME COLUMN a TO alpha; ALTER TABLE t RENAME COLUMN b TO "be ta";
SELECT * FROM v1; SELECT * FROM v2; SELECT * FROM v3; SELECT * FROM v4; SELECT * FROM v5;`);
});

test('RENAME COLUMN in CHECKs, expression and partial indexes, self references, quoted names', () => {
  same(`CREATE TABLE t(id INTEGER PRIMARY KEY, "x" CHECK ("x" > 0), y, par REFERENCES t(id), CHECK (x < y), UNIQUE (y COLLATE NOCASE, x));
CREATE INDEX e ON t(x + y, lower(y)) WHERE x IS NOT NULL AND t.y > 0;
INSERT INTO t VALUES(1, 1, 2, NULL);
ALTER TABLE t RENAME COLUMN x TO [new x]; ALTER TABLE t RENAME COLUMN y TO yy; ALTER TABLE t RENAME COLUMN id TO ident;
ALTER TABLE t RENAME TO "T two"; INSERT INTO "T two" VALUES(2, 0, 3, 1); INSERT INTO "T two" VALUES(2, 1, 3, 1);
SELECT * FROM "T two"; PRAGMA index_info(e);`);
});

test('ADD COLUMN … STORED is refused only when the table holds rows, as SQLite refuses it (differential-schema)', () => {
  // On an empty table SQLite accepts it (its check query makes better-sqlite3 call the ALTER a reader, so it is run here, not compared).
  const db = new Database(':memory:');
  db.exec("CREATE TABLE p(id INTEGER PRIMARY KEY, a); ALTER TABLE p ADD COLUMN n0 AS (id || 'x') STORED; INSERT INTO p(a) VALUES(5)");
  assert.equal(db.prepare('SELECT * FROM p').all(), [{ id: 1, a: 5, n0: '1x' }]);
  db.close();
  same(`CREATE TABLE p(id INTEGER PRIMARY KEY, a); INSERT INTO p(a) VALUES(1), (2);
ALTER TABLE p ADD COLUMN n2 AS (id || 'y') STORED; ALTER TABLE p ADD COLUMN n3 AS (a * 2) VIRTUAL;
SELECT * FROM p ORDER BY id; SELECT name, hidden FROM pragma_table_xinfo('p');`);
});

test('DROP COLUMN of a column a trigger expression names is refused as SQLite refuses it (differential-schema)', () => {
  same(`CREATE TABLE p(id INTEGER PRIMARY KEY, a, b TEXT); CREATE TABLE c(id INTEGER PRIMARY KEY, pid, v, w); CREATE TABLE q(x, y, z);
CREATE TRIGGER ct AFTER INSERT ON c BEGIN UPDATE p SET b = coalesce(b, '') || 'c' WHERE id = NEW.pid; END;
CREATE TRIGGER c2 AFTER INSERT ON c WHEN NEW."v" > 0 BEGIN INSERT INTO p(a) VALUES(1); DELETE FROM p WHERE p.a = 2; END;
CREATE TRIGGER q1 AFTER UPDATE OF y ON q BEGIN UPDATE p SET a = 1; END;
ALTER TABLE p DROP COLUMN b; ALTER TABLE c DROP COLUMN pid; ALTER TABLE c DROP COLUMN v; ALTER TABLE p DROP COLUMN a;
ALTER TABLE q DROP COLUMN y; ALTER TABLE c DROP COLUMN w;
CREATE TRIGGER q2 AFTER UPDATE ON q BEGIN SELECT OLD.z; END; ALTER TABLE q DROP COLUMN z;`);
});

test('RENAME COLUMN of a column a SELECT * … ORDER BY view orders by fails as in SQLite: the name is a result name (differential-schema)', () => {
  same(`CREATE TABLE c(id INTEGER PRIMARY KEY, v, w); CREATE TABLE d(x, y);
CREATE VIEW v0 AS SELECT * FROM c ORDER BY v; ALTER TABLE c RENAME COLUMN v TO r1; DROP VIEW v0;
CREATE VIEW v1 AS SELECT c.*, d.x FROM c, d ORDER BY w; ALTER TABLE c RENAME COLUMN w TO r2; DROP VIEW v1;
CREATE VIEW v2 AS SELECT d.*, c.id FROM c, d ORDER BY w; ALTER TABLE c RENAME COLUMN w TO r2;
CREATE VIEW v3 AS SELECT * FROM c ORDER BY c.v; ALTER TABLE c RENAME COLUMN v TO r3;
CREATE VIEW v4 AS SELECT * FROM c ORDER BY r3 + 1; ALTER TABLE c RENAME COLUMN r3 TO r4;`);
});

test.run();
