/**
 * A view over a table that is gone names it as SQLite does: "no such table: main.t" from a view
 * of the main schema (its unqualified names are looked up there), "no such table: t" from a
 * TEMP view; compared live with better-sqlite3.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Database } from './database.ts';
import { betterSqlite3OrNull } from '../scripts/slt-backend.ts';

type Db = { exec(sql: string): unknown; prepare(sql: string): { all(): unknown[] }; close(): void };
const Bs3 = betterSqlite3OrNull<new (path: string) => Db>();

function messages(db: Db): string[] {
  db.exec('CREATE TABLE t (a); CREATE VIEW v AS SELECT * FROM t; CREATE VIEW w AS SELECT * FROM v; CREATE TEMP VIEW tv AS SELECT * FROM t; DROP TABLE t');
  return ['SELECT * FROM v', 'SELECT * FROM w', 'SELECT * FROM main.v', 'SELECT * FROM tv', 'SELECT * FROM nosuch', 'SELECT * FROM main.nosuch'].map((q) => {
    try {
      db.prepare(q).all();
      return `${q}: ok`;
    } catch (e) {
      return `${q}: ${(e as Error).message}`;
    }
  });
}

test('a view over a dropped table: the messages SQLite gives', () => {
  const ours = messages(new Database(':memory:') as unknown as Db);
  assert.equal(ours.slice(0, 4), ['SELECT * FROM v: no such table: main.t', 'SELECT * FROM w: no such table: main.t', 'SELECT * FROM main.v: no such table: main.t', 'SELECT * FROM tv: no such table: t']);
  if (Bs3 === null) {
    console.log('skipped: the comparison with better-sqlite3 (its addon does not load in this runtime)');
    return;
  }
  assert.equal(ours, messages(new Bs3(':memory:')));
});

test.run();
