/**
 * The INSERT path's shortcuts keep SQLite's semantics: a DEFAULT that reads
 * only the statement's 'now' is computed once per 'now' (and follows the
 * clock), every other DEFAULT once per row.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Database } from './database.ts';

/** Runs `fn` with Date.now() returning `clock.ms`. */
function withClock<T>(clock: { ms: number }, fn: () => T): T {
  const real = Date.now;
  Date.now = () => clock.ms;
  try {
    return fn();
  } finally {
    Date.now = real;
  }
}

test("a DEFAULT reading 'now' follows the clock from one statement to the next and is one value within a statement", () => {
  const db = new Database(':memory:');
  db.exec(`CREATE TABLE t(id INTEGER PRIMARY KEY, x, at INTEGER DEFAULT (strftime('%s', 'now')), ms TEXT DEFAULT (strftime('%f', 'now') || '!'), d DEFAULT CURRENT_TIMESTAMP)`);
  const ins = db.prepare('INSERT INTO t(x) VALUES (?)');
  const clock = { ms: Date.UTC(2024, 0, 2, 3, 4, 5, 678) };
  withClock(clock, () => {
    ins.run(1);
    clock.ms += 1001;
    ins.run(2);
    ins.run(3);
    clock.ms += 60_000;
    db.exec('INSERT INTO t(x) VALUES (4), (5), (6)');
  });
  const rows = db.prepare('SELECT x, at, ms, d FROM t ORDER BY id').raw().all();
  const t0 = Date.UTC(2024, 0, 2, 3, 4, 5) / 1000;
  assert.equal(rows, [
    [1, t0, '05.678!', '2024-01-02 03:04:05'],
    [2, t0 + 1, '06.679!', '2024-01-02 03:04:06'],
    [3, t0 + 1, '06.679!', '2024-01-02 03:04:06'],
    [4, t0 + 61, '06.679!', '2024-01-02 03:05:06'],
    [5, t0 + 61, '06.679!', '2024-01-02 03:05:06'],
    [6, t0 + 61, '06.679!', '2024-01-02 03:05:06'],
  ]);
  db.close();
});

test('a DEFAULT that calls random() is computed for each row, within one statement and across runs in the same millisecond', () => {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, x, r DEFAULT (random()), s DEFAULT (abs(random()) % 1000000 + 0))');
  const ins = db.prepare('INSERT INTO t(x) VALUES (?)');
  withClock({ ms: 1_700_000_000_000 }, () => {
    for (let i = 0; i < 20; i++) ins.run(i);
    db.exec('INSERT INTO t(x) VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10)');
  });
  const r = db.prepare('SELECT count(DISTINCT r), count(DISTINCT s) FROM t').raw().get() as number[];
  assert.is(r[0], 30);
  assert.ok(r[1]! > 20, `only ${r[1]} distinct values of abs(random()) % 1000000`);
  db.close();
});

test('a constant DEFAULT gets the column affinity, and a supplied value wins over any DEFAULT', () => {
  const db = new Database(':memory:');
  db.exec(`CREATE TABLE t(id INTEGER PRIMARY KEY, n INTEGER DEFAULT ('42'), at INTEGER DEFAULT (strftime('%s', 'now')), r REAL DEFAULT (1 + 1))`);
  db.exec("INSERT INTO t(id) VALUES (1); INSERT INTO t(id, at) VALUES (2, 'x'); INSERT INTO t(id, n) VALUES (3, '7')");
  assert.equal(db.prepare('SELECT n, typeof(n), typeof(at), r, typeof(r) FROM t ORDER BY id').raw().all(), [
    [42, 'integer', 'integer', 2, 'real'],
    [42, 'integer', 'text', 2, 'real'],
    [7, 'integer', 'integer', 2, 'real'],
  ]);
  db.close();
});

test.run();
