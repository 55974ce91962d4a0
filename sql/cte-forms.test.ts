/**
 * CTE forms against SQLite (better-sqlite3), on encrypted and plain
 * databases: a CTE reading itself without RECURSIVE (SQLite treats it as
 * recursive), MATERIALIZED / NOT MATERIALIZED hints, WITH before INSERT …
 * VALUES, UPDATE (with and without FROM), DELETE and a view written through
 * INSTEAD OF triggers, later CTEs read by earlier ones, and the refusals
 * (a non-compound self reference, a duplicate name).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compareWithSqlite, sqliteOracleLoads } from '../scripts/sqlite-oracle.ts';

const hasOracle = sqliteOracleLoads('cte-forms.test');
const same = (script: string): void => {
  if (!hasOracle) return;
  const d = compareWithSqlite(script);
  if (d !== null) assert.unreachable(d);
};

test('a CTE that reads itself is recursive with or without RECURSIVE, hints accepted', () => {
  same(`WITH r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT * FROM r;
WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT sum(n) FROM r;
WITH r(n) AS MATERIALIZED (SELECT 1 UNION SELECT n * 2 FROM r WHERE n < 50) SELECT group_concat(n) FROM r;
WITH c AS NOT MATERIALIZED (SELECT 7 AS v), r(n) AS (SELECT v FROM c UNION ALL SELECT n - 1 FROM r WHERE n > 4) SELECT * FROM r;
WITH a AS (SELECT * FROM b), b AS (SELECT 1 AS x) SELECT * FROM a;
WITH r AS (SELECT * FROM r) SELECT * FROM r;
WITH r AS (SELECT 1 AS x), r AS (SELECT 2) SELECT * FROM r;
WITH r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r LIMIT 4) SELECT * FROM r;`);
});

test('WITH before INSERT, UPDATE and DELETE', () => {
  same(`CREATE TABLE t(a);
INSERT INTO t VALUES(1), (2), (3);
WITH c AS (SELECT 2 AS v) UPDATE t SET a = a * 10 WHERE a IN (SELECT v FROM c) RETURNING *;
WITH c AS (SELECT 3 AS v) DELETE FROM t WHERE a = (SELECT v FROM c) RETURNING *;
WITH c(v) AS (VALUES(5)) INSERT INTO t VALUES((SELECT v FROM c)) RETURNING *;
WITH c AS (SELECT 2 AS v) UPDATE t SET a = c.v + t.a FROM c WHERE t.a > 1 RETURNING *;
WITH r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) UPDATE t SET a = (SELECT max(n) FROM r) WHERE a = 1 RETURNING *;
CREATE VIEW v AS SELECT a FROM t;
CREATE TABLE log(x);
CREATE TRIGGER vu INSTEAD OF UPDATE ON v BEGIN INSERT INTO log VALUES(old.a || '>' || new.a); END;
CREATE TRIGGER vd INSTEAD OF DELETE ON v BEGIN INSERT INTO log VALUES('-' || old.a); END;
WITH c AS (SELECT 5 AS v) UPDATE v SET a = (SELECT v FROM c) WHERE a IN (SELECT v FROM c);
WITH c AS (SELECT 3 AS v) DELETE FROM v WHERE a = (SELECT v FROM c);
SELECT * FROM log;
SELECT * FROM t;`);
});

test.run();
