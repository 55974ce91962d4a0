/**
 * Corners of the drop-in's API outside better-sqlite3's own suite, compared live with
 * better-sqlite3 12.11.1 on the same calls: messages and classes of misuse errors, values of
 * edge-case reads, statement properties, PRAGMAs on the schema table, expand() shapes,
 * transactions' variants, user functions' return values, closed connections.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRequire } from 'node:module';
import Database from '../index.ts';

let Bs3: unknown = null;
try {
  Bs3 = createRequire(import.meta.url)('better-sqlite3');
  new (Bs3 as new (p: string) => { close(): void })(':memory:').close();
} catch {
  Bs3 = null;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
const cases: [string, (db: any) => unknown][] = [
  ['multi', (db) => db.prepare('SELECT 1; SELECT 2')],
  ['empty prepare', (db) => db.prepare('')],
  ['comment prepare', (db) => db.prepare('-- hi')],
  ['run select', (db) => db.prepare('SELECT 1').run()],
  ['get none', (db) => db.prepare('SELECT 1 WHERE 0').get()],
  ['all none', (db) => db.prepare('SELECT 1 WHERE 0').all()],
  ['exec empty', (db) => db.exec('') === db],
  ['big int', (db) => db.prepare('SELECT 9007199254740993 AS x').get()],
  ['big int safe', (db) => db.prepare('SELECT 9007199254740993 AS x').safeIntegers().get()],
  ['bind bigint', (db) => db.prepare('SELECT ? AS x').get(9007199254740993n)],
  ['bind too big bigint', (db) => db.prepare('SELECT ? AS x').get(2n ** 70n)],
  ['real int', (db) => db.prepare('SELECT 2.0 AS x, typeof(2.0) t').get()],
  ['bind 2', (db) => db.prepare('SELECT ? AS x, typeof(?) AS t').get(2, 2)],
  ['pragma simple', (db) => db.pragma('user_version', { simple: true })],
  ['pragma bad opt', (db) => db.pragma('user_version', { simple: 1 })],
  ['pragma rows', (db) => db.pragma('table_info(sqlite_master)')],
  ['columns expr', (db) => db.prepare('SELECT 1 AS a, abs(-1)').columns()],
  ['raw+pluck', (db) => db.prepare('SELECT 1 AS a, 2 AS b').raw().all()],
  ['pluck on no-reader', (db) => db.prepare('CREATE TABLE IF NOT EXISTS zz (a)').pluck()],
  ['txn nested', (db) => { db.exec('CREATE TABLE IF NOT EXISTS tt (a)'); const t = db.transaction(() => { db.transaction(() => db.prepare('INSERT INTO tt VALUES (1)').run())(); throw new Error('x'); }); try { t(); } catch {} return db.prepare('SELECT count(*) FROM tt').pluck().get(); }],
  ['txn modes', (db) => [typeof db.transaction(() => 1).deferred, db.transaction(() => 1).immediate(), db.transaction(() => 2).exclusive()]],
  ['blob', (db) => db.prepare("SELECT x'0102' AS b").get()],
  ['null param named missing', (db) => db.prepare('SELECT @a AS x').get({})],
  ['named with prefix', (db) => db.prepare('SELECT $a AS x, :b AS y, @c AS z').get({ a: 1, b: 2, c: 3 })],
  ['positional too many', (db) => db.prepare('SELECT ? AS x').get(1, 2)],
  ['lastInsertRowid type', (db) => { db.exec('CREATE TABLE IF NOT EXISTS li (a)'); return typeof db.prepare('INSERT INTO li VALUES (1)').run().lastInsertRowid; }],
  ['changes after ddl', (db) => db.prepare('CREATE TABLE IF NOT EXISTS ch (a)').run()],
  ['source', (db) => db.prepare('  SELECT 1  ').source],
  ['reader', (db) => [db.prepare('SELECT 1').reader, db.prepare('CREATE TABLE IF NOT EXISTS rr (a)').reader, db.prepare('INSERT INTO li VALUES (1) RETURNING a').reader]],
  ['readonly stmt', (db) => [db.prepare('SELECT 1').readonly, db.prepare('INSERT INTO li VALUES (1)').readonly, db.prepare('BEGIN').readonly]],
  ['iterate returning', (db) => [...db.prepare('INSERT INTO li VALUES (5) RETURNING a').iterate()]],
  ['expand', (db) => db.prepare('SELECT li.a, 1 AS one FROM li LIMIT 1').expand().get()],
  ['syntax error', (db) => db.prepare('SELEC 1')],
  ['no such column', (db) => db.prepare('SELECT nope FROM li')],
  ['constraint', (db) => { db.exec('CREATE TABLE IF NOT EXISTS u1 (a UNIQUE)'); db.exec('INSERT INTO u1 VALUES (1)'); return db.exec('INSERT INTO u1 VALUES (1)'); }],
  ['fk default', (db) => { db.exec('CREATE TABLE IF NOT EXISTS par (id INTEGER PRIMARY KEY); CREATE TABLE IF NOT EXISTS chi (p REFERENCES par(id))'); return db.exec('INSERT INTO chi VALUES (99)'); }],
  ['function varargs', (db) => { db.function('va', { varargs: true }, (...a: unknown[]) => a.length); return db.prepare('SELECT va(1,2,3) AS n').get(); }],
  ['function returns bigint', (db) => { db.function('bi', () => 5n); return db.prepare('SELECT bi() AS n, typeof(bi()) t').get(); }],
  ['function returns undefined', (db) => { db.function('un', () => undefined); return db.prepare('SELECT un() AS n').get(); }],
  ['aggregate', (db) => { db.aggregate('su', { start: 0, step: (t: number, v: number) => t + v }); return db.prepare('SELECT su(value) AS s FROM json_each(\'[1,2,3]\')').get(); }],
  ['memory', (db) => [db.memory, db.name, db.open, db.readonly, db.inTransaction]],
  ['close twice', (db) => { const d = new (db.constructor)(':memory:'); d.close(); d.close(); return d.open; }],
  ['prepare after close', (db) => { const d = new (db.constructor)(':memory:'); d.close(); return d.prepare('SELECT 1'); }],
];

function run(D: any): [string, string][] {
  const db = new D(':memory:');
  return cases.map(([n, f]) => {
    try {
      return [n, JSON.stringify(f(db), (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))];
    } catch (e) {
      const err = e as { code?: string; message: string };
      return [n, `${(e as Error).constructor.name}${err.code ? ' ' + err.code : ''}: ${err.message}`];
    }
  });
}

test('every call gives what better-sqlite3 gives', () => {
  if (Bs3 === null) {
    console.log('skipped: better-sqlite3 (the oracle) does not load in this runtime');
    return;
  }
  const theirs = run(Bs3);
  const ours = run(Database);
  for (let i = 0; i < theirs.length; i++) assert.is(ours[i]![1], theirs[i]![1], theirs[i]![0]);
});

test.run();
