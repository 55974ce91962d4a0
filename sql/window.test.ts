/**
 * Window functions against SQLite (better-sqlite3) as the oracle: every
 * window function and aggregate × partitions × frames (ROWS, RANGE, GROUPS,
 * every bound, EXCLUDE) over a table with ties, NULLs, mixed INTEGER/REAL
 * values and a one-row partition; named windows, FILTER, GROUP BY under
 * windows, several windows in one query, windows in ORDER BY, SQLite's
 * errors; run on an encrypted database. Values are compared through quote()
 * so INTEGER and REAL stay apart.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from './database.ts';
import { Sqlite3Database } from './compat.ts';
import { isHeliosError } from '../format/errors.ts';
import { sqliteOracleOrNull } from '../scripts/slt-backend.ts';
import { parse } from './parser.ts';
import { formatStatement } from './ast.ts';

type Oracle = { exec(sql: string): void; prepare(sql: string): { raw(): { all(): unknown[][] } }; close(): void };
/** What the laziness tests use of a better-sqlite3 handle (SQLite's, or the drop-in's). */
type Bs3 = {
  exec(sql: string): unknown;
  prepare(sql: string): { pluck(): { all(): unknown[]; iterate(): IterableIterator<unknown> } };
  aggregate(name: string, options: object): unknown;
  function(name: string, fn: (...a: never[]) => unknown): unknown;
  close(): void;
};
const openOracle = sqliteOracleOrNull<Oracle>('window.test', 'skipping the SQLite comparisons');

const SETUP = `
CREATE TABLE t(id INTEGER PRIMARY KEY, g, x, y);
INSERT INTO t(g, x, y) VALUES (1, 1, 'a'), (1, 2, 'b'), (2, 3, 'c'), (1, NULL, 'd'), (2, 3, 'e'), (3, 2.5, 'f'),
  (1, 2, 'g'), (NULL, 7, 'h'), (2, -1, NULL), (1, 2, 'j'), (2, 10, 'k'), (4, NULL, 'l');
CREATE TABLE e(id INTEGER PRIMARY KEY, g, x, y);
CREATE TABLE s(k, v);
INSERT INTO s VALUES ('a', 1), ('b', 2), ('a', 3), ('c', NULL), ('b', 5), ('a', 6);
`;

const FUNCS = [
  'row_number()', 'rank()', 'dense_rank()', 'percent_rank()', 'cume_dist()', 'ntile(3)', 'ntile(20)',
  'lag(x)', "lag(x, 2, 'd')", 'lead(x)', 'lead(y, 1, 0)', 'first_value(x)', 'last_value(y)', 'nth_value(x, 2)', 'nth_value(y, 3)',
  'sum(x)', 'total(x)', 'avg(x)', 'count(x)', 'count(*)', 'min(x)', 'max(y)', 'group_concat(y)', "group_concat(y, '-')",
  "string_agg(x, ';')", 'json_group_array(x)', 'json_group_object(y, x)', 'sum(x) FILTER (WHERE g <> 2)', 'count(*) FILTER (WHERE x > 1)', 'max(x) FILTER (WHERE id % 2 = 0)',
];
const WINDOWS = ['', 'PARTITION BY g', 'ORDER BY x', 'PARTITION BY g ORDER BY x', 'ORDER BY x DESC, id', 'PARTITION BY g ORDER BY id', 'ORDER BY g NULLS LAST'];
const FRAMES = [
  '',
  'ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING',
  'ROWS UNBOUNDED PRECEDING',
  'ROWS BETWEEN 2 PRECEDING AND 1 PRECEDING',
  'ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING',
  'ROWS BETWEEN CURRENT ROW AND CURRENT ROW',
  'ROWS BETWEEN 2 FOLLOWING AND 3 FOLLOWING',
  'GROUPS BETWEEN 1 PRECEDING AND 1 FOLLOWING',
  'GROUPS 1 PRECEDING EXCLUDE GROUP',
  'GROUPS BETWEEN CURRENT ROW AND 2 FOLLOWING EXCLUDE TIES',
  'RANGE BETWEEN 1 PRECEDING AND 2 FOLLOWING',
  'RANGE BETWEEN 1.5 PRECEDING AND CURRENT ROW',
  'RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING',
  'RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING',
  'ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING EXCLUDE CURRENT ROW',
  'RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW EXCLUDE TIES',
  'ROWS BETWEEN 2 PRECEDING AND 2 FOLLOWING EXCLUDE TIES',
  'ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING EXCLUDE GROUP',
];

/** Hand-picked queries: named windows, errors, GROUP BY, several windows, ORDER BY, DISTINCT, subqueries. */
const EXTRA = [
  'SELECT id, sum(x) OVER w, count(*) OVER w FROM t WINDOW w AS (PARTITION BY g ORDER BY id) ORDER BY id',
  'SELECT id, sum(x) OVER (w ORDER BY id), max(x) OVER (w) FROM t WINDOW w AS (PARTITION BY g) ORDER BY id',
  'SELECT id, sum(x) OVER (b ROWS 1 PRECEDING) FROM t WINDOW a AS (PARTITION BY g), b AS (a ORDER BY id) ORDER BY id',
  'SELECT id, sum(x) OVER w FROM t WINDOW w AS (ORDER BY x), w AS (ORDER BY id) ORDER BY id',
  'SELECT sum(x) OVER (w ORDER BY y) FROM t WINDOW w AS (ORDER BY x)',
  'SELECT sum(x) OVER (w) FROM t WINDOW w AS (ORDER BY x ROWS 1 PRECEDING)',
  'SELECT sum(x) OVER (w PARTITION BY g) FROM t WINDOW w AS (ORDER BY x)',
  'SELECT sum(x) OVER v FROM t WINDOW w AS (ORDER BY x)',
  'SELECT 1 FROM t WINDOW a AS (PARTITION BY g), b AS (c)',
  'SELECT row_number() FROM t',
  'SELECT abs(x) OVER () FROM t',
  'SELECT nosuch(x) OVER () FROM t',
  'SELECT row_number(1) OVER () FROM t',
  'SELECT x FROM t WHERE row_number() OVER () > 1',
  'SELECT row_number() OVER () AS rn FROM t WHERE rn > 1',
  'SELECT g FROM t GROUP BY row_number() OVER ()',
  'SELECT max(row_number() OVER ()) FROM t',
  'SELECT sum(row_number() OVER ()) OVER () FROM t',
  'SELECT row_number() FILTER (WHERE 1) OVER () FROM t',
  'SELECT count(DISTINCT x) OVER () FROM t',
  'SELECT sum(x) OVER (ROWS BETWEEN CURRENT ROW AND 1 PRECEDING) FROM t',
  'SELECT sum(x) OVER (ROWS 1 FOLLOWING) FROM t',
  'SELECT sum(x) OVER (ROWS -1 PRECEDING) FROM t',
  'SELECT sum(x) OVER (ROWS -1 PRECEDING) FROM e',
  'SELECT sum(x) OVER (ROWS BETWEEN 1 PRECEDING AND -2 FOLLOWING) FROM t',
  'SELECT sum(x) OVER (ORDER BY x ROWS x PRECEDING) FROM t',
  "SELECT sum(x) OVER (ORDER BY x ROWS '2' PRECEDING) FROM t ORDER BY id",
  'SELECT sum(x) OVER (ORDER BY x ROWS 1.5 PRECEDING) FROM t',
  "SELECT sum(x) OVER (ORDER BY x GROUPS 'a' PRECEDING) FROM t",
  "SELECT sum(x) OVER (ORDER BY x RANGE 'a' PRECEDING) FROM t",
  'SELECT sum(x) OVER (ORDER BY x RANGE -1 PRECEDING) FROM t',
  "SELECT id, sum(x) OVER (ORDER BY x RANGE '2' PRECEDING) FROM t ORDER BY id",
  'SELECT sum(x) OVER (RANGE 1 PRECEDING) FROM t',
  'SELECT sum(x) OVER (ORDER BY x, id RANGE 1 PRECEDING) FROM t',
  'SELECT ntile(0) OVER () FROM t',
  "SELECT id, ntile('2') OVER (ORDER BY id), ntile(2.9) OVER (ORDER BY id) FROM t ORDER BY id",
  'SELECT nth_value(x, 0) OVER () FROM t',
  // SQLite checks N for every row, but under EXCLUDE only for frames left non-empty (found by fuzz/differential-windows).
  'SELECT nth_value(x, -1) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 3 PRECEDING) FROM t WHERE id = 1',
  'SELECT nth_value(x, -1) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 3 PRECEDING EXCLUDE GROUP) FROM t',
  'SELECT nth_value(x, -1) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 PRECEDING EXCLUDE CURRENT ROW) FROM t WHERE id = 1',
  'SELECT nth_value(x, -1) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 PRECEDING EXCLUDE TIES) FROM t',
  'SELECT nth_value(x, -1) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW EXCLUDE NO OTHERS) FROM t WHERE id = 1',
  // A written EXCLUDE NO OTHERS takes SQLite's full-scan path too: N unchecked on empty frames, each aggregate
  // started afresh (sum is an INTEGER again once the frame lost its REAL) (found by fuzz/differential-windows, 15x).
  'SELECT nth_value(x, NULL) OVER (ORDER BY id ROWS BETWEEN 3 FOLLOWING AND UNBOUNDED FOLLOWING EXCLUDE NO OTHERS) FROM t WHERE id = 1',
  'SELECT nth_value(x, NULL) OVER (ORDER BY id ROWS BETWEEN 3 FOLLOWING AND UNBOUNDED FOLLOWING) FROM t WHERE id = 1',
  'SELECT nth_value(x, 0) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 3 PRECEDING EXCLUDE NO OTHERS) FROM t WHERE id = 1',
  "SELECT id, sum(v) OVER (ORDER BY id ROWS CURRENT ROW EXCLUDE NO OTHERS), sum(v) OVER (ORDER BY id ROWS CURRENT ROW), total(v) OVER (ORDER BY id ROWS 1 PRECEDING EXCLUDE NO OTHERS) FROM (SELECT 1 id, 2.5 v UNION ALL SELECT 2, 0 UNION ALL SELECT 3, 0 UNION ALL SELECT 4, 'a' UNION ALL SELECT 5, 1) ORDER BY id",
  "SELECT id, nth_value(x, '2') OVER (ORDER BY id), nth_value(x, 2.0) OVER (ORDER BY id) FROM t ORDER BY id",
  "SELECT id, lag(x, 1.5, 'd') OVER (ORDER BY id), lag(x, 'abc') OVER (ORDER BY id), lead(x, -1) OVER (ORDER BY id), lag(x, NULL, 9) OVER (ORDER BY id) FROM t ORDER BY id",
  'SELECT g, sum(x), sum(sum(x)) OVER (ORDER BY g), rank() OVER (ORDER BY count(*) DESC, g) FROM t GROUP BY g ORDER BY g',
  'SELECT g, count(*) FILTER (WHERE x > 1), sum(x) FILTER (WHERE y < \'f\') FROM t GROUP BY g ORDER BY g',
  'SELECT count(*) FILTER (WHERE x IS NULL), total(x) FILTER (WHERE g = 1) FROM t',
  'SELECT g, sum(x) OVER (ORDER BY g ROWS 1 PRECEDING) FROM t GROUP BY g HAVING count(*) > 1 ORDER BY g',
  'SELECT g, x, y, count(*) OVER () FROM t GROUP BY g ORDER BY g',
  'SELECT g, x, max(id), count(*) OVER () FROM t GROUP BY g ORDER BY g',
  'SELECT id, row_number() OVER (ORDER BY x, id), sum(x) OVER (PARTITION BY g ORDER BY id), count(*) OVER () FROM t ORDER BY id',
  'SELECT id FROM t ORDER BY row_number() OVER (ORDER BY x DESC, id), id',
  'SELECT DISTINCT g, count(*) OVER (PARTITION BY g) FROM t ORDER BY 1',
  'SELECT * FROM (SELECT id, rank() OVER (ORDER BY g) r FROM t) WHERE r <= 3 ORDER BY id',
  'SELECT id, (SELECT count(*) FROM t u WHERE u.g = t.g) + row_number() OVER (ORDER BY id) FROM t ORDER BY id',
  'SELECT id, sum(x) OVER (ORDER BY id) FROM t ORDER BY id LIMIT 3 OFFSET 2',
  'SELECT k, v, sum(v) OVER (PARTITION BY k ORDER BY v ROWS 1 PRECEDING), group_concat(v, k) OVER (ORDER BY rowid ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM s ORDER BY rowid',
  'SELECT k, min(v) OVER (ORDER BY rowid ROWS BETWEEN 2 PRECEDING AND CURRENT ROW), max(v) OVER (ORDER BY rowid ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM s ORDER BY rowid',
  'SELECT row_number() OVER (), sum(x) OVER () FROM e',
  'SELECT count(*) OVER (), sum(x) FROM t',
  'SELECT id, typeof(sum(v) OVER (ORDER BY id ROWS 1 PRECEDING)) FROM (SELECT 1 id, 1.5 v UNION ALL SELECT 2, 2 UNION ALL SELECT 3, 3)',
  'SELECT id, sum(v) OVER (ORDER BY id ROWS 1 PRECEDING) FROM (SELECT 1 id, 9223372036854775807 v UNION ALL SELECT 2, 1 UNION ALL SELECT 3, 3)',
  'SELECT quote(x), count(*) OVER (ORDER BY x RANGE BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM (SELECT 1 x UNION ALL SELECT \'a\' UNION ALL SELECT \'a\' UNION ALL SELECT NULL UNION ALL SELECT 2.5 UNION ALL SELECT x\'00\') ORDER BY 1',
  'SELECT y, count(*) OVER (ORDER BY y COLLATE NOCASE RANGE CURRENT ROW) FROM (SELECT \'a\' y UNION ALL SELECT \'A\' UNION ALL SELECT \'b\') ORDER BY 1',
  'EXPLAIN QUERY PLAN SELECT x, row_number() OVER (ORDER BY x) FROM t',
  'EXPLAIN QUERY PLAN SELECT x, sum(x) OVER (PARTITION BY g ORDER BY x) FROM t ORDER BY g',
  'EXPLAIN QUERY PLAN SELECT x, sum(x) OVER (PARTITION BY g ORDER BY x) FROM t ORDER BY g DESC',
  'EXPLAIN QUERY PLAN SELECT g, sum(sum(x)) OVER () FROM t GROUP BY g',
  'EXPLAIN QUERY PLAN SELECT x, sum(x) OVER () FROM t',
];

function queries(): string[] {
  const out: string[] = [];
  for (const fn of FUNCS) {
    for (const w of WINDOWS) {
      for (const fr of FRAMES) {
        const over = [w, fr].filter((p) => p !== '').join(' ');
        out.push(`SELECT id, quote(${fn} OVER (${over})) FROM t ORDER BY id`);
      }
    }
  }
  return [...out, ...EXTRA];
}

type Outcome = string;

/** A query's rows as text (values through quote() where the query has it), or its error message. */
function outcome(all: () => unknown[][], explain: boolean): Outcome {
  try {
    const rows = all();
    // EXPLAIN QUERY PLAN: compare the detail column only (ids and parents are SQLite's addresses).
    const shown = explain ? rows.map((r) => [r[3]]) : rows;
    return JSON.stringify(shown, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}` : v instanceof Uint8Array ? `x'${Buffer.from(v).toString('hex')}'` : v));
  } catch (e) {
    return `error: ${(e as Error).message.replace(/ at line \d+, column \d+$/, '')}`;
  }
}

/** EXPLAIN QUERY PLAN details differ in SQLite's subquery numbers only where a statement has other SELECTs. */
const normalize = (s: string): string => s;

test('every window function × partition × frame matches SQLite, on an encrypted database', () => {
  if (openOracle === null) return;
  const oracle = openOracle();
  oracle.exec(SETUP);
  const dir = mkdtempSync(join(tmpdir(), 'helios-window-'));
  try {
    const db = new Database(join(dir, 'db'), { key: { raw: new Uint8Array(32).fill(7) }, synchronous: 'off' });
    db.exec(SETUP);
    const qs = queries();
    const bad: string[] = [];
    for (const q of qs) {
      const explain = q.startsWith('EXPLAIN');
      const want = outcome(() => oracle.prepare(q).raw().all(), explain);
      const got = outcome(() => db.prepare(q).raw().all() as unknown[][], explain);
      if (normalize(want) !== normalize(got)) bad.push(`${q}\n  sqlite: ${want}\n  helios: ${got}`);
    }
    db.close();
    assert.ok(qs.length > 3500, `${qs.length} queries`);
    assert.is(bad.length, 0, `${bad.length} of ${qs.length} differ:\n${bad.slice(0, 10).join('\n')}`);
  } finally {
    oracle.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a huge partition is TOO_BIG within the temp memory budget, not an out-of-memory crash', () => {
  const db = new Database(':memory:', { tempMemoryLimit: 256 * 1024 });
  db.exec('CREATE TABLE big(x)');
  db.exec("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 20000) INSERT INTO big SELECT printf('%050d', i) FROM c");
  try {
    db.prepare('SELECT x, count(*) OVER (ORDER BY x ROWS 1 PRECEDING) FROM big').all();
    assert.unreachable('no TOO_BIG');
  } catch (e) {
    assert.ok(isHeliosError(e, 'TOO_BIG'), String(e));
  }
  // The budget is given back: a small window query runs afterwards on the same connection.
  assert.equal(db.prepare('SELECT count(*) OVER () FROM big WHERE rowid <= 10 LIMIT 1').raw().all(), [[10]]);
  db.close();
});

test('a sliding frame over many rows costs inverse steps, not a recompute per row', () => {
  // 200,000 rows with a 1,000-row sliding frame: with a recompute per frame this is 2e8 steps.
  const db = new Database(':memory:');
  const rows = db
    .prepare(
      'WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 200000) SELECT max(s), max(m), max(n) FROM (SELECT sum(i) OVER w s, min(i) OVER w m, count(*) OVER w n FROM c WINDOW w AS (ORDER BY i ROWS BETWEEN 999 PRECEDING AND CURRENT ROW))',
    )
    .raw()
    .all();
  assert.equal(rows, [[199500500, 199001, 1000]]);
  db.close();
});

test('window syntax prints back as text that parses to the same printed form', () => {
  for (const sql of [
    'SELECT sum(x) FILTER (WHERE x > 1) OVER (PARTITION BY g ORDER BY x DESC NULLS LAST RANGE BETWEEN 1 PRECEDING AND CURRENT ROW EXCLUDE TIES) FROM t',
    'SELECT row_number() OVER w, rank() OVER (w ORDER BY y) FROM t WINDOW w AS (PARTITION BY g), v AS (w ROWS UNBOUNDED PRECEDING)',
    'SELECT count(*) OVER (GROUPS BETWEEN 2 PRECEDING AND UNBOUNDED FOLLOWING EXCLUDE CURRENT ROW) FROM t',
  ]) {
    const once = formatStatement(parse(sql)[0]!);
    assert.is(formatStatement(parse(once)[0]!), once);
  }
});

/** Frames over 20 rows 1..20 (ties under value / 3): a user aggregate's calls under LIMIT 4 are counted. */
const LAZY_FRAMES = [
  'ROWS CURRENT ROW', 'ROWS UNBOUNDED PRECEDING', 'ROWS 2 PRECEDING', 'ROWS BETWEEN 1 PRECEDING AND 2 FOLLOWING',
  'ROWS BETWEEN 2 FOLLOWING AND 3 FOLLOWING', 'ROWS BETWEEN 3 PRECEDING AND 1 PRECEDING', 'ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING',
  'ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING', '', 'ORDER BY value', 'ORDER BY value ROWS CURRENT ROW', 'ORDER BY value DESC ROWS 1 PRECEDING',
  'PARTITION BY value % 2 ROWS CURRENT ROW', 'PARTITION BY value / 5', 'PARTITION BY value % 2 ORDER BY value / 4', 'ORDER BY value / 3',
  'ORDER BY value / 3 RANGE CURRENT ROW', 'ORDER BY value / 3 GROUPS BETWEEN 1 PRECEDING AND CURRENT ROW', 'ORDER BY value / 3 GROUPS BETWEEN 1 FOLLOWING AND 2 FOLLOWING',
  'ORDER BY value / 3 RANGE BETWEEN 1 PRECEDING AND 1 FOLLOWING', 'ORDER BY value RANGE BETWEEN 2 PRECEDING AND 1 FOLLOWING',
  'ORDER BY value ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING EXCLUDE CURRENT ROW', 'ORDER BY value / 3 RANGE BETWEEN 1 PRECEDING AND 1 FOLLOWING EXCLUDE NO OTHERS',
  'ORDER BY value / 3 GROUPS BETWEEN CURRENT ROW AND CURRENT ROW EXCLUDE CURRENT ROW',
];

/** Per frame: the rows of `SELECT wn(value) OVER (frame) … LIMIT 4` and how often wn's step, inverse and result ran. */
function countCalls(db: Bs3): string[] {
  db.exec('CREATE TABLE t(value INTEGER)');
  db.exec('INSERT INTO t WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 20) SELECT x FROM c');
  let steps = 0;
  let inverses = 0;
  let results = 0;
  db.aggregate('wn', {
    start: 0,
    step: (a: number, x: number) => (steps++, a + x),
    inverse: (a: number, x: number) => (inverses++, a - x),
    result: (a: number) => (results++, a),
  });
  return LAZY_FRAMES.map((fr) => {
    steps = inverses = results = 0;
    const rows = db.prepare(`SELECT wn(value) OVER (${fr}) FROM t LIMIT 4`).pluck().all();
    return `OVER (${fr}): ${JSON.stringify(rows)} step ${steps}, inverse ${inverses}, result ${results}`;
  });
}

test('a user aggregate under LIMIT is stepped, inverted and asked for its result as often as in SQLite, frame by frame', () => {
  const db = new Sqlite3Database(':memory:') as unknown as Bs3;
  const got = countCalls(db);
  db.close();
  // Without the oracle, the frames whose counts need no SQLite to know: 4 rows, 4 steps.
  assert.is(got[0], 'OVER (ROWS CURRENT ROW): [1,2,3,4] step 4, inverse 3, result 4');
  assert.is(got[1], 'OVER (ROWS UNBOUNDED PRECEDING): [1,3,6,10] step 4, inverse 0, result 4');
  const open = sqliteOracleOrNull<Bs3>('window.test', 'skipping the SQLite call counts');
  if (open === null) return;
  const oracle = open();
  const want = countCalls(oracle);
  oracle.close();
  assert.equal(got, want);
});

test("an aggregate's error surfaces after the rows before it were returned, and the statement is closed", () => {
  // better-sqlite3's 33.database.aggregate "should close a statement iterator that caused its aggregate to throw".
  const db = new Sqlite3Database(':memory:') as unknown as Bs3;
  db.exec('CREATE TABLE t(value INTEGER)');
  db.exec('INSERT INTO t WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x * 2 FROM c LIMIT 10) SELECT x FROM c');
  let i = 0;
  const err = new Error('fifth step');
  db.aggregate('wn', {
    step: (_ctx: unknown, x: number) => {
      if (++i >= 5) throw err;
      return x;
    },
    inverse: () => {},
  });
  for (const frame of ['ROWS CURRENT ROW', 'ROWS BETWEEN 1 PRECEDING AND CURRENT ROW', 'ORDER BY rowid ROWS CURRENT ROW']) {
    i = 0;
    const seen: unknown[] = [];
    const it = db.prepare(`SELECT wn(value) OVER (${frame}) FROM t`).pluck().iterate();
    try {
      for (const v of it) seen.push(v);
      assert.unreachable('no error');
    } catch (e) {
      assert.is(e, err, frame);
    }
    assert.equal(seen, [1, 2, 4, 8], frame);
    assert.equal(it.next(), { value: undefined, done: true });
  }
  i = 0;
  db.exec('SELECT wn(value) OVER (ROWS CURRENT ROW) FROM t LIMIT 4');
  assert.is(i, 4);
  db.close();
});

test('a streaming frame reads its input only as far as the frame reaches ahead; a sorted one reads it all first', () => {
  const db = new Sqlite3Database(':memory:') as unknown as Bs3;
  db.exec('CREATE TABLE t(value INTEGER)');
  db.exec('INSERT INTO t WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 50) SELECT x FROM c');
  let read = 0;
  // A window call's arguments are evaluated as its input row is read.
  db.function('tick', (x: never) => (read++, x));
  const ahead = (sql: string): number[] => {
    read = 0;
    const out: number[] = [];
    for (const _ of db.prepare(sql).pluck().iterate()) out.push(read);
    return out;
  };
  const range = (n: number, f: (r: number) => number): number[] => Array.from({ length: n }, (_, r) => f(r));
  assert.equal(ahead('SELECT sum(tick(value)) OVER (ROWS UNBOUNDED PRECEDING) FROM t'), range(50, (r) => r + 1));
  assert.equal(ahead('SELECT sum(tick(value)) OVER (ROWS BETWEEN 1 PRECEDING AND 2 FOLLOWING) FROM t'), range(50, (r) => Math.min(50, r + 3)));
  assert.equal(ahead('SELECT row_number() OVER (), first_value(tick(value)) OVER (ROWS 3 PRECEDING) FROM t'), range(50, (r) => r + 1));
  assert.equal(ahead('SELECT sum(tick(value)) OVER (ORDER BY value ROWS CURRENT ROW) FROM t'), range(50, () => 50));
  assert.equal(ahead('SELECT sum(tick(value)) OVER () FROM t'), range(50, () => 50));
  db.close();
});

test('a streaming frame holds its frame, not the table, in the temp memory budget', () => {
  // The budget is the counter: 20,000 rows of 50 characters need ~2 MiB buffered, 16 times this limit.
  const db = new Database(':memory:', { tempMemoryLimit: 128 * 1024 });
  db.exec('CREATE TABLE big(x)');
  db.exec("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 20000) INSERT INTO big SELECT printf('%050d', i) FROM c");
  const q = (sql: string): unknown[][] => db.prepare(sql).raw().all() as unknown[][];
  assert.equal(q('SELECT count(*), max(n), max(l) FROM (SELECT count(*) OVER (ROWS 1 PRECEDING) n, length(group_concat(x) OVER (ROWS BETWEEN 2 PRECEDING AND 3 FOLLOWING)) l FROM big)'), [[20000, 2, 305]]);
  assert.equal(q('SELECT max(s) FROM (SELECT sum(rowid) OVER (ROWS UNBOUNDED PRECEDING) s, row_number() OVER () FROM big)'), [[200010000]]);
  assert.equal(q('SELECT count(DISTINCT f), max(l) FROM (SELECT first_value(x) OVER (ROWS UNBOUNDED PRECEDING) f, last_value(x) OVER (ROWS BETWEEN 5 PRECEDING AND 1 FOLLOWING) l FROM big)'), [[1, '0'.repeat(45) + '20000']]);
  for (const sql of ['SELECT count(*) OVER (ORDER BY x ROWS 1 PRECEDING) FROM big', 'SELECT count(*) OVER (ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) FROM big']) {
    try {
      q(sql);
      assert.unreachable(`no TOO_BIG: ${sql}`);
    } catch (e) {
      assert.ok(isHeliosError(e, 'TOO_BIG'), String(e));
    }
  }
  db.close();
});

test('a streaming frame over a join gives what the buffered path gives, though the join advances between output rows', () => {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE a(k, v); CREATE TABLE b(k, w)');
  db.exec('INSERT INTO a WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 30) SELECT i, i * 7 % 11 FROM c');
  db.exec('INSERT INTO b WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 30) SELECT i, i * 5 % 13 FROM c');
  // EXCLUDE NO OTHERS takes the buffered full-scan path over the same rows in the same order.
  const q = (x: string): unknown[][] =>
    db
      .prepare(
        `SELECT a.k, b.k, a.v + b.w, sum(a.v * b.w) OVER (ROWS BETWEEN 2 PRECEDING AND 3 FOLLOWING ${x}), (SELECT count(*) FROM b b2 WHERE b2.w < a.v) FROM a, b WHERE b.k <= a.k % 7 AND b.w > a.v % 3`,
      )
      .raw()
      .all() as unknown[][];
  const streamed = q('');
  assert.ok(streamed.length > 50, `${streamed.length} rows`);
  assert.equal(streamed, q('EXCLUDE NO OTHERS'));
  db.close();
});

test.run();
