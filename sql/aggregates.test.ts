/**
 * sum(), total() and avg() keep SQLite's sumStep results when the integer sum
 * runs in doubles while it is a safe integer: crossing 2^53 either way, int64
 * values near 2^63, a REAL or text arriving after integers, and the int64
 * overflow error (expected values from SQLite 3).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Database } from './database.ts';

function sums(): Database {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE s(g INTEGER, v)');
  const ins = db.prepare('INSERT INTO s VALUES (?, ?)');
  const rows: [number, unknown][] = [
    [1, 9007199254740991n], [1, 1n], [1, 5n],
    [2, -9007199254740991n], [2, -2n], [2, 3n],
    [3, 4611686018427387904n], [3, 4611686018427387903n], [3, -1n],
    [4, 1n], [4, 2.5], [4, 3n],
    [5, 10n], [5, '20'], [5, 'x'], [5, null],
    [6, 3n], [6, -3n],
    [7, 9223372036854775807n], [7, 1n],
  ];
  for (const [g, v] of rows) ins.run(g, v);
  return db;
}

test('integer sums past 2^53 stay exact and integer, as in SQLite', () => {
  const db = sums();
  const q = db.prepare('SELECT sum(v), total(v), avg(v), count(v) FROM s WHERE g = ?').raw().safeIntegers(true);
  assert.equal(q.get(1), [9007199254740997n, 9007199254740996, 3002399751580332, 3n]);
  assert.equal(q.get(2), [-9007199254740990n, -9007199254740990, -3002399751580330, 3n]);
  assert.equal(q.get(3), [9223372036854775806n, 9223372036854776000, 3074457345618258400, 3n]);
  assert.equal(q.get(6), [0n, 0, 0, 2n]);
  db.close();
});

test('a REAL or text after integers switches the sum to floating point, as in SQLite', () => {
  const db = sums();
  const q = db.prepare('SELECT sum(v), total(v), avg(v), count(v) FROM s WHERE g = ?').raw();
  assert.equal(q.get(4), [6.5, 6.5, 2.1666666666666665, 3]);
  assert.equal(q.get(5), [30, 30, 10, 3]);
  db.close();
});

test('sum() past int64 is an integer overflow error; total() and avg() are REAL', () => {
  const db = sums();
  assert.throws(() => db.prepare('SELECT sum(v) FROM s WHERE g = 7').get(), (e: unknown) => e instanceof Error && /integer overflow/.test(e.message));
  assert.equal(db.prepare('SELECT total(v), avg(v) FROM s WHERE g = 7').raw().get(), [9223372036854776000, 4611686018427388000]);
  db.close();
});

test('GROUP BY sums each group on its own', () => {
  const db = sums();
  assert.equal(db.prepare('SELECT g, sum(v) FROM s WHERE g IN (1, 2, 6) GROUP BY g').raw().safeIntegers(true).all(), [
    [1n, 9007199254740997n],
    [2n, -9007199254740990n],
    [6n, 0n],
  ]);
  db.close();
});

test.run();
