/**
 * The planner's read shortcuts return what a full read returns: table reads
 * that decode only the columns a query reads must still see every column some
 * expression reads, wherever that expression is (WHERE, ON, USING, GROUP BY,
 * HAVING, ORDER BY, correlated subqueries, bare columns of min()/max()); a
 * table scan a SELECT repeats reuses its rows only within one execution and
 * never while a statement writes the table (expected values from SQLite 3).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Database } from './database.ts';

function wideTables(): Database {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE w(id INTEGER PRIMARY KEY, a TEXT, b INTEGER, c REAL, d TEXT, e BLOB, f TEXT, g INTEGER, h TEXT)');
  db.exec('CREATE TABLE v(k INTEGER PRIMARY KEY, a TEXT, p TEXT, q TEXT, r TEXT, s TEXT, t TEXT)');
  const ins = db.prepare('INSERT INTO w VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  for (let i = 1; i <= 40; i++) ins.run(i, `a${i % 5}`, i % 7, i / 4, `d${i}`, null, i % 3 ? 'x' : null, i * 10, `h${i % 2}`);
  const insV = db.prepare('INSERT INTO v VALUES (?, ?, ?, ?, ?, ?, ?)');
  for (let i = 1; i <= 10; i++) insV.run(i, `a${i % 5}`, `p${i}`, 'q', 'r', 's', `t${i}`);
  return db;
}

test('a query reading few columns of a wide table sees each of them, from every clause', () => {
  const db = wideTables();
  const q = (sql: string): unknown[] => db.prepare(sql).raw().all();
  assert.equal(q('SELECT h, count(*), sum(g) FROM w GROUP BY h'), [['h0', 20, 4200], ['h1', 20, 4000]]);
  assert.equal(q('SELECT id FROM w WHERE b = 3 AND f IS NULL ORDER BY id'), [[3], [24]]);
  assert.equal(q('SELECT d FROM w ORDER BY g DESC LIMIT 2'), [['d40'], ['d39']]);
  assert.equal(q('SELECT a, max(g), d FROM w GROUP BY a HAVING min(b) = 0 ORDER BY a'), [['a0', 400, 'd40'], ['a1', 360, 'd36'], ['a2', 370, 'd37'], ['a3', 380, 'd38'], ['a4', 390, 'd39']]);
  // Correlated subquery reading an outer column no other clause reads.
  assert.equal(q('SELECT id FROM w WHERE id < 4 AND EXISTS (SELECT 1 FROM v WHERE v.t = \'t\' || w.b) ORDER BY id'), [[1], [2], [3]]);
  // USING and NATURAL compare columns the select list never names.
  assert.equal(q('SELECT count(*) FROM w JOIN v USING (a)'), [[80]]);
  assert.equal(q('SELECT w.id, v.p FROM w NATURAL JOIN v WHERE w.id = 2 ORDER BY v.p'), [[2, 'p2'], [2, 'p7']]);
  assert.equal(q('SELECT w.id, v.p FROM w JOIN v ON v.k = w.b WHERE w.id = 9'), [[9, 'p2']]);
  // The rowid and its INTEGER PRIMARY KEY alias.
  assert.equal(q('SELECT rowid, id, e FROM w WHERE id = 5'), [[5, 5, null]]);
  assert.equal(q('SELECT count(*) FROM w'), [[40]]);
  db.close();
});

test('a column added by ALTER TABLE reads its default in older rows when it is the only column read', () => {
  const db = wideTables();
  db.exec("ALTER TABLE w ADD COLUMN z TEXT DEFAULT 'dz'");
  db.exec("INSERT INTO w(id, z) VALUES (100, 'new')");
  assert.equal(db.prepare('SELECT z, count(*) FROM w GROUP BY z ORDER BY z').raw().all(), [['dz', 40], ['new', 1]]);
  db.close();
});

test('UPDATE and DELETE through a table read keep every column of the row', () => {
  const db = wideTables();
  db.exec('UPDATE w SET g = g + 1 WHERE b = 1');
  db.exec('DELETE FROM w WHERE h = \'h0\' AND b = 2');
  assert.equal(db.prepare('SELECT * FROM w WHERE id IN (1, 8, 9)').raw().all(), [
    [1, 'a1', 1, 0.25, 'd1', null, 'x', 11, 'h1'],
    [8, 'a3', 1, 2, 'd8', null, 'x', 81, 'h0'],
    [9, 'a4', 2, 2.25, 'd9', null, null, 90, 'h1'],
  ]);
  assert.equal(db.prepare('SELECT count(*) FROM w').raw().all(), [[37]]);
  db.close();
});

test('a correlated subquery scanning a table gives the same answer on every run of the outer loop', () => {
  const db = wideTables();
  const q = db.prepare('SELECT w.id, (SELECT count(*) FROM w AS x WHERE x.g < w.g), EXISTS (SELECT 1 FROM v WHERE v.k = w.b), (SELECT max(k) FROM v WHERE v.a = w.a AND v.k < w.id) FROM w ORDER BY w.id');
  const rows = q.raw().all() as unknown[][];
  assert.equal(rows.length, 40);
  rows.forEach((r, i) => {
    const id = i + 1;
    const a = id % 5;
    const candidates = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].filter((k) => k % 5 === a && k < id);
    assert.equal(r, [id, id - 1, id % 7 >= 1 ? 1 : 0, candidates.length ? Math.max(...candidates) : null]);
  });
  // The inner side of a join without a usable index is a repeated scan too.
  assert.equal(db.prepare('SELECT count(*), sum(v.k) FROM w, v WHERE v.k * 4 < w.id').raw().all(), [[180, 660]]);
  // A second execution sees rows written since the first.
  const c = db.prepare('SELECT sum((SELECT count(*) FROM v WHERE v.k <= w.b)) FROM w');
  assert.equal(c.raw().all(), [[120]]);
  db.exec("INSERT INTO v VALUES (0, 'a0', 'p0', 'q', 'r', 's', 't0')");
  assert.equal(c.raw().all(), [[160]]);
  db.close();
});

test('UPDATE, DELETE and INSERT … SELECT whose subqueries read the table being written see it as SQLite does', () => {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t(a INTEGER, b INTEGER)');
  db.exec('INSERT INTO t VALUES (1, 10), (2, 20), (3, 30), (4, 40)');
  // Each row's subquery sees the rows updated before it.
  db.exec('UPDATE t SET b = (SELECT sum(b) FROM t AS x WHERE x.a <= t.a)');
  assert.equal(db.prepare('SELECT a, b FROM t ORDER BY a').raw().all(), [[1, 10], [2, 30], [3, 70], [4, 150]]);
  // The SELECT reads the table as it was before the first inserted row.
  db.exec('INSERT INTO t SELECT a + 10, (SELECT count(*) FROM t AS x WHERE x.b <= t.b) FROM t');
  assert.equal(db.prepare('SELECT a, b FROM t ORDER BY a').raw().all(), [[1, 10], [2, 30], [3, 70], [4, 150], [11, 1], [12, 2], [13, 3], [14, 4]]);
  db.exec('DELETE FROM t WHERE b > (SELECT min(b) FROM t AS x WHERE x.a > t.a)');
  assert.equal(db.prepare('SELECT a, b FROM t ORDER BY a').raw().all(), [[11, 1], [12, 2], [13, 3], [14, 4]]);
  db.close();
});

test('a repeated scan of a table too big to keep streams every run and still sees every row', () => {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE big(v INTEGER)');
  db.exec('CREATE TABLE s(k INTEGER)');
  db.exec('BEGIN');
  const ins = db.prepare('INSERT INTO big VALUES (?)');
  for (let i = 0; i < 10_050; i++) ins.run(i);
  db.exec('COMMIT');
  db.exec('INSERT INTO s VALUES (0), (10000), (10040), (5), (10049)');
  assert.equal(db.prepare('SELECT k, (SELECT count(*) FROM big WHERE big.v >= s.k), EXISTS (SELECT 1 FROM big WHERE big.v = s.k + 9) FROM s').raw().all(), [
    [0, 10_050, 1],
    [10000, 50, 1],
    [10040, 10, 1],
    [5, 10_045, 1],
    [10049, 1, 0],
  ]);
  db.close();
});

test('GROUP BY one text column keeps text, numbers, blobs and NULL in separate groups, ordered as SQLite orders them', () => {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE g(k, v INTEGER)');
  const ins = db.prepare('INSERT INTO g VALUES (?, ?)');
  for (const [k, v] of [['b', 1], ['1', 2], [1, 3], [1.0, 4], [null, 5], ['a', 6], [new Uint8Array([0x61]), 7], ['b', 8], [null, 9], ['A', 10]] as const) ins.run(k, v);
  assert.equal(db.prepare('SELECT k, sum(v), count(*) FROM g GROUP BY k').raw().all(), [
    [null, 14, 2],
    [1, 7, 2],
    ['1', 2, 1],
    ['A', 10, 1],
    ['a', 6, 1],
    ['b', 9, 2],
    [new Uint8Array([0x61]), 7, 1],
  ]);
  assert.equal(db.prepare('SELECT count(*), sum(v) FROM g WHERE typeof(k) = \'text\' GROUP BY k COLLATE NOCASE').raw().all(), [[1, 2], [2, 16], [2, 9]]);
  db.close();
});

test('ORDER BY … LIMIT/OFFSET without an index returns the same rows, ties in the same order, as the full sort sliced', () => {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE o(id INTEGER PRIMARY KEY, x, y TEXT)');
  const ins = db.prepare('INSERT INTO o VALUES (?, ?, ?)');
  let s = 7;
  const rnd = (n: number): number => ((s = (s * 1103515245 + 12345) % 2147483648), s % n);
  for (let i = 1; i <= 300; i++) {
    const r = rnd(10);
    ins.run(i, r === 0 ? null : r === 1 ? 'txt' + rnd(3) : r === 2 ? rnd(5) + 0.5 : rnd(20), rnd(4) === 0 ? null : 'y' + rnd(6));
  }
  for (const order of ['x', 'x DESC', 'y, x', 'y DESC NULLS LAST, x DESC', 'x NULLS LAST', 'y COLLATE NOCASE', '-id % 7, y']) {
    const all = db.prepare(`SELECT id, x, y FROM o ORDER BY ${order}`).raw().all();
    for (const [limit, offset] of [[1, 0], [5, 0], [10, 3], [37, 250], [299, 0], [300, 0], [400, 1], [3, 298], [2, 300]] as const) {
      const got = db.prepare(`SELECT id, x, y FROM o ORDER BY ${order} LIMIT ? OFFSET ?`).raw().all(limit, offset);
      assert.equal(got, all.slice(offset, offset + limit), `ORDER BY ${order} LIMIT ${limit} OFFSET ${offset}`);
    }
    assert.equal(db.prepare(`SELECT id, x, y FROM o ORDER BY ${order} LIMIT -1 OFFSET 10`).raw().all(), all.slice(10));
  }
  // Keys that are result columns by position or alias.
  for (const order of ['2', '2 DESC, 3', 'k DESC', 'k, 1 DESC']) {
    const all = db.prepare(`SELECT id, x AS k, y FROM o ORDER BY ${order}`).raw().all();
    for (const [limit, offset] of [[1, 0], [7, 0], [10, 40], [299, 1]] as const) {
      const got = db.prepare(`SELECT id, x AS k, y FROM o ORDER BY ${order} LIMIT ? OFFSET ?`).raw().all(limit, offset);
      assert.equal(got, all.slice(offset, offset + limit), `ORDER BY ${order} LIMIT ${limit} OFFSET ${offset}`);
    }
  }
  // Aggregates and DISTINCT feed the same sorter.
  const groups = db.prepare('SELECT y, count(*) FROM o GROUP BY y ORDER BY count(*) DESC, y').raw().all();
  assert.equal(db.prepare('SELECT y, count(*) FROM o GROUP BY y ORDER BY count(*) DESC, y LIMIT 3 OFFSET 1').raw().all(), groups.slice(1, 4));
  const distinct = db.prepare('SELECT DISTINCT x FROM o ORDER BY x DESC').raw().all();
  assert.equal(db.prepare('SELECT DISTINCT x FROM o ORDER BY x DESC LIMIT 4').raw().all(), distinct.slice(0, 4));
  db.close();
});

test('a recursive CTE with no end of its own stops when the reader stops: an outer LIMIT ends it, as in SQLite', () => {
  const db = new Database(':memory:');
  const endless = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)';
  assert.equal(db.prepare(`${endless} SELECT x FROM c LIMIT 5`).pluck().all(), [1, 2, 3, 4, 5]);
  assert.equal(db.prepare(`${endless} SELECT x FROM c WHERE x % 10 = 0 LIMIT 2 OFFSET 1`).pluck().all(), [20, 30]);
  assert.equal(db.prepare(`${endless} SELECT (SELECT x FROM c WHERE x > 41 LIMIT 1)`).pluck().get(), 42);
  assert.equal(db.prepare('WITH RECURSIVE c(x) AS (SELECT 1 UNION SELECT x % 3 + 1 FROM c) SELECT x FROM c ORDER BY x').pluck().all(), [1, 2, 3]);
  db.close();
});

test.run();
