/**
 * What the drop-in binds and refuses, compared live with better-sqlite3: booleans, Dates, Maps,
 * symbols, functions, plain objects and arrays give the same value or the same error class and
 * message (HeliosDB's own Database binds booleans as 1/0; the drop-in does not).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Sqlite3Database } from './compat.ts';
import { Database } from './database.ts';
import { betterSqlite3OrNull } from '../scripts/slt-backend.ts';

type Db = { prepare(sql: string): { get(...a: unknown[]): unknown } };
const Bs3 = betterSqlite3OrNull<new (path: string) => Db & { close(): void }>();

const VALUES: readonly (readonly [string, () => unknown[]])[] = [
  ['true', () => [true]],
  ['false', () => [false]],
  ['a Date', () => [new Date(0)]],
  ['a Map', () => [new Map()]],
  ['a Symbol', () => [Symbol('s')]],
  ['a function', () => [() => 1]],
  ['an empty object', () => [{}]],
  ['an array', () => [[7]]],
  ['undefined', () => [undefined]],
  ['a boolean by name', () => [{ a: true }]],
];

function outcome(db: Db, sql: string, args: unknown[]): string {
  try {
    return `ok ${JSON.stringify(db.prepare(sql).get(...args))}`;
  } catch (e) {
    return `${(e as Error).constructor.name}: ${(e as Error).message}`;
  }
}

test('binding: every value gives what better-sqlite3 gives', () => {
  if (Bs3 === null) {
    console.log('skipped: better-sqlite3 does not load in this runtime (the oracle)');
    return;
  }
  const theirs = new Bs3(':memory:');
  const ours = new Sqlite3Database(':memory:') as unknown as Db & { close(): void };
  try {
    for (const [what, args] of VALUES) {
      const sql = what.endsWith('by name') ? 'SELECT @a AS x' : 'SELECT ? AS x';
      assert.is(outcome(ours, sql, args()), outcome(theirs, sql, args()), what);
    }
  } finally {
    theirs.close();
    ours.close();
  }
});

test('HeliosDB\'s own Database binds booleans as 1 and 0', () => {
  const db = new Database(':memory:');
  assert.equal(db.prepare('SELECT ? AS t, ? AS f').get(true, false), { t: 1, f: 0 });
  db.close();
});

test.run();
