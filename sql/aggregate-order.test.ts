/**
 * ORDER BY inside an aggregate call (SQLite 3.44+) against SQLite
 * (better-sqlite3), on encrypted and plain databases: group_concat and
 * string_agg with a separator, every built-in and JSON aggregate, several
 * keys with DESC / NULLS / COLLATE, ties kept in scan order, DISTINCT and
 * FILTER acting before the sort, per group and in correlated subqueries;
 * and SQLite's refusals (a window function, a scalar function, an aggregate
 * in the key).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compareWithSqlite, sqliteOracleLoads } from '../scripts/sqlite-oracle.ts';
import { Database } from './database.ts';

const hasOracle = sqliteOracleLoads('aggregate-order.test');
const same = (script: string): void => {
  if (!hasOracle) return;
  const d = compareWithSqlite(script);
  if (d !== null) assert.unreachable(d);
};

const DATA = `CREATE TABLE t(x, y, g);
INSERT INTO t VALUES('a', 3, 1), ('b', 1, 1), ('c', 2, 1), ('d', 1, 2), ('a', NULL, 2), (NULL, 0, 1), ('b', 2, 1), ('B', 5, 2);`;

test('group_concat and string_agg follow their ORDER BY, ties in scan order', () => {
  same(`${DATA}
SELECT g, group_concat(x, ',' ORDER BY y) FROM t GROUP BY g;
SELECT group_concat(x ORDER BY y DESC, x) FROM t;
SELECT string_agg(x, '-' ORDER BY y NULLS LAST) FROM t;
SELECT string_agg(x, '-' ORDER BY y DESC NULLS FIRST) FROM t;
SELECT group_concat(x, ';' ORDER BY x COLLATE NOCASE) FROM t;
SELECT group_concat(x ORDER BY 1), group_concat(x ORDER BY (SELECT 1)) FROM t;
SELECT group_concat(x ORDER BY y) FROM t WHERE 0;
SELECT g, avg(y ORDER BY x), group_concat(x ORDER BY x) || '|' || group_concat(x ORDER BY x DESC) FROM t GROUP BY g HAVING count(*) > 1 ORDER BY 1 DESC;
SELECT (SELECT group_concat(x ORDER BY t2.y) FROM t AS t2 WHERE t2.g = t.g) FROM t;
SELECT count(ORDER BY y), sum(y ORDER BY x), max(x ORDER BY y), total(y ORDER BY y DESC) FROM t;`);
});

test('DISTINCT and FILTER act before the ORDER BY', () => {
  same(`${DATA}
SELECT group_concat(DISTINCT x ORDER BY y) FROM t;
SELECT group_concat(DISTINCT x ORDER BY y DESC) FROM t;
SELECT group_concat(DISTINCT x ORDER BY x DESC) FROM t;
SELECT group_concat(x ORDER BY y) FILTER (WHERE g = 1) FROM t;
SELECT g, string_agg(DISTINCT x, '+' ORDER BY y) FILTER (WHERE y > 0) FROM t GROUP BY g;`);
});

test('JSON aggregates follow their ORDER BY and keep the subtype', () => {
  same(`${DATA}
SELECT json_group_array(x ORDER BY y) FROM t;
SELECT json_group_object(x, y ORDER BY y DESC) FROM t WHERE x IS NOT NULL;
SELECT json_group_array(json_object('x', x) ORDER BY y DESC) FROM t;
SELECT json_array(json_group_array(y ORDER BY x)) FROM t;`);
});

test('ORDER BY inside a call is refused where SQLite refuses it', () => {
  same(`${DATA}
SELECT group_concat(x ORDER BY y) OVER () FROM t;
SELECT group_concat(x ORDER BY y) OVER w FROM t WINDOW w AS ();
SELECT count(DISTINCT x ORDER BY y) FILTER (WHERE y > 0) OVER () FROM t;
SELECT row_number(ORDER BY 1) OVER () FROM t;
SELECT abs(y ORDER BY x) FROM t;
SELECT abs(DISTINCT 1 ORDER BY 1);
SELECT nosuch(1 ORDER BY 1);
SELECT group_concat(x ORDER BY count(*)) FROM t;
SELECT group_concat(x ORDER BY nosuch) FROM t;`);
});

test('aggregate ORDER BY on an encrypted database without the oracle', () => {
  const db = new Database(':memory:', { key: { raw: new Uint8Array(32).fill(5) } });
  db.exec(DATA);
  assert.equal(db.prepare("SELECT group_concat(x, '' ORDER BY x DESC) FROM t").pluck().get(), 'dcbbaaB');
  assert.equal(db.prepare("SELECT string_agg(x, '' ORDER BY y, x) FROM t").pluck().get(), 'abdbcaB');
  db.close();
});

test.run();
