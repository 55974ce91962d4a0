/**
 * iterate() streams (issue 10): each row is computed when asked for, so an
 * endless recursive CTE can be read row by row and left, a LIMIT stops the
 * recursion, memory stays bounded over a long result, and while a statement
 * iterates the connection runs only reads (better-sqlite3's rules). Sorting
 * and grouping past the temporary memory budget fail with TOO_BIG.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Database } from './database.ts';
import { HeliosError } from '../format/errors.ts';

const ENDLESS = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c';

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return e instanceof HeliosError ? e.code : `not a HeliosError: ${String(e)}`;
  }
  return 'no error';
}

test('iterate() over an endless recursive CTE yields rows on demand and stops when left', () => {
  const db = new Database(':memory:');
  const got: unknown[] = [];
  for (const r of db.prepare(ENDLESS).pluck().iterate()) {
    got.push(r);
    if (got.length === 5) break;
  }
  assert.equal(got, [1, 2, 3, 4, 5]);
  // LIMIT stops the recursion for all() and get() too.
  assert.equal(db.prepare(`${ENDLESS} LIMIT 5`).pluck().all(), [1, 2, 3, 4, 5]);
  assert.is(db.prepare(ENDLESS).pluck().get(), 1);
  assert.equal(db.prepare(`SELECT count(*) FROM (${ENDLESS} LIMIT 1000)`).pluck().get(), 1000);
  // A join whose outer side is endless stops as well.
  db.exec('CREATE TABLE t(x INTEGER PRIMARY KEY, y TEXT)');
  db.exec("INSERT INTO t VALUES (2, 'two'), (4, 'four')");
  assert.equal(db.prepare(`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT y FROM c JOIN t USING (x) LIMIT 2`).pluck().all(), ['two', 'four']);
  db.close();
});

test('the first row of a table scan comes before the rest are read, in bounded memory', () => {
  const db = new Database(':memory:');
  // 1.5M rows of an endless CTE: the old executor held every row (hundreds of MiB) before the first.
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  let n = 0;
  for (const r of db.prepare(ENDLESS).raw().iterate()) {
    n++;
    if ((n & 0xffff) === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
    if (n === 1_500_000) break;
    void r;
  }
  assert.is(n, 1_500_000);
  assert.ok(peak - before < 64 * 1024 * 1024, `heap grew ${Math.round((peak - before) / 1048576)} MiB`);
  db.exec('CREATE TABLE big(id INTEGER PRIMARY KEY, v TEXT)');
  db.exec(`INSERT INTO big SELECT x, 'v' || x FROM (${ENDLESS} LIMIT 20000)`);
  const it = db.prepare('SELECT v FROM big ORDER BY id').pluck().iterate();
  assert.equal(it.next(), { value: 'v1', done: false });
  assert.equal(it.next(), { value: 'v2', done: false });
  it.return!(undefined);
  db.close();
});

test('while a statement iterates, the connection runs reads only, as better-sqlite3 does', () => {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t(a INTEGER)');
  db.exec('INSERT INTO t VALUES (1), (2), (3)');
  const reader = db.prepare('SELECT a FROM t ORDER BY a').pluck();
  const other = db.prepare('SELECT count(*) FROM t').pluck();
  const insert = db.prepare('INSERT INTO t VALUES (?)');
  const seen: unknown[] = [];
  for (const a of reader.iterate()) {
    seen.push(a);
    assert.is(other.get(), 3); // another read is fine
    assert.equal(other.all(), [3]);
    assert.is(code(() => insert.run(9)), 'BUSY');
    assert.is(code(() => db.exec('DELETE FROM t')), 'BUSY');
    assert.is(code(() => reader.all()), 'BUSY'); // the iterating statement itself
    assert.is(code(() => reader.iterate().next()), 'BUSY');
    assert.is(code(() => db.close()), 'BUSY');
    assert.is(code(() => db.transaction(() => 1)()), 'BUSY');
  }
  assert.equal(seen, [1, 2, 3]);
  // Leaving the loop early ends the iteration too.
  for (const a of reader.iterate()) {
    void a;
    break;
  }
  insert.run(4);
  assert.equal(reader.all(), [1, 2, 3, 4]);
  // A write that returns rows runs to completion first, then yields.
  assert.equal([...db.prepare('INSERT INTO t VALUES (5), (6) RETURNING a').pluck().iterate()], [5, 6]);
  db.close();
});

test('a sort or group past tempMemoryLimit fails with TOO_BIG and changes nothing; a LIMIT keeps within it', () => {
  const db = new Database(':memory:', { tempMemoryLimit: 256 * 1024 });
  db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)');
  db.exec(`INSERT INTO t SELECT x, printf('%050d', x) FROM (${ENDLESS} LIMIT 20000)`);
  assert.is(code(() => db.prepare('SELECT v FROM t ORDER BY v DESC').all()), 'TOO_BIG');
  assert.is(code(() => db.prepare('SELECT v, count(*) FROM t GROUP BY v').all()), 'TOO_BIG');
  assert.is(code(() => db.prepare('SELECT DISTINCT v FROM t').all()), 'TOO_BIG');
  // Top-N keeps only N rows; a streaming scan keeps none.
  assert.equal(db.prepare('SELECT id FROM t ORDER BY v DESC LIMIT 2').pluck().all(), [20000, 19999]);
  assert.is(db.prepare('SELECT count(*) FROM t').pluck().get(), 20000);
  assert.is(db.prepare('SELECT count(*) FROM (SELECT v FROM t)').pluck().get(), 20000);
  assert.is(code(() => new Database(':memory:', { tempMemoryLimit: -1 })), 'INVALID_ARGUMENT');
  db.close();
});

test('EXPLAIN QUERY PLAN prints the plan tree: access paths, subqueries, temp b-trees, compounds', () => {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT, c INTEGER)');
  db.exec('CREATE INDEX t_b ON t(b)');
  db.exec('CREATE TABLE u(x INTEGER, y TEXT)');
  const plan = (sql: string): string[] => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail);
  const tree = (sql: string): [number, number, string][] => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).raw().all() as [number, number, number, string][]).map((r) => [r[0], r[1], r[3]]);
  assert.equal(plan('SELECT * FROM t WHERE a = 1'), ['SEARCH t USING INTEGER PRIMARY KEY (rowid=?)']);
  assert.equal(plan("SELECT * FROM t WHERE b = 'x'"), ['SEARCH t USING INDEX t_b (b=?)']);
  assert.equal(plan('SELECT * FROM t ORDER BY c'), ['SCAN t', 'USE TEMP B-TREE FOR ORDER BY']);
  assert.equal(plan('SELECT * FROM t ORDER BY b LIMIT 3'), ['SCAN t USING INDEX t_b']);
  assert.equal(plan('SELECT b, count(*) FROM t GROUP BY b'), ['SCAN t', 'USE TEMP B-TREE FOR GROUP BY']);
  // The greedy join order places t first (both scans cost the same) and probes u through a hash index.
  assert.equal(plan('SELECT * FROM t JOIN u ON u.x = t.a'), ['SCAN t', 'SEARCH u USING AUTOMATIC COVERING INDEX (x=?)']);
  assert.equal(tree('SELECT a FROM t WHERE c = (SELECT max(x) FROM u WHERE u.y = t.b)'), [
    [1, 0, 'SCAN t'],
    [2, 0, 'CORRELATED SCALAR SUBQUERY 1'],
    [3, 2, 'SCAN u'],
  ]);
  assert.equal(tree('SELECT a FROM t UNION SELECT x FROM u'), [
    [1, 0, 'COMPOUND QUERY'],
    [2, 1, 'LEFT-MOST SUBQUERY'],
    [3, 2, 'SCAN t'],
    [4, 1, 'UNION USING TEMP B-TREE'],
    [5, 4, 'SCAN u'],
  ]);
  assert.equal(plan('SELECT * FROM (SELECT b FROM t) AS s'), ['MATERIALIZE s', 'SCAN t', 'SCAN s']);
  // EXPLAIN lists every operator of the tree (p1 is its depth).
  const ops = (db.prepare('EXPLAIN SELECT b, count(*) FROM t WHERE c > 1 GROUP BY b ORDER BY 2 DESC LIMIT 3').raw().all() as unknown[][]).map((r) => [r[1], r[2]]);
  assert.equal(ops, [['Limit', 0], ['Sort', 1], ['Project (per group)', 2], ['Aggregate', 3], ['NestedLoop', 4], ['Level', 5]]);
  db.close();
});

test.run();
