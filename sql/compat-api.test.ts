/**
 * Corners of the drop-in's API outside better-sqlite3's own suite, compared live with
 * better-sqlite3 12.11.1 on the same calls: messages and classes of misuse errors, values of
 * edge-case reads, statement properties, PRAGMAs on the schema table, expand() shapes,
 * transactions' variants, user functions' return values, closed connections.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Sqlite3Database as Database } from './compat.ts';
import { betterSqlite3OrNull } from '../scripts/slt-backend.ts';

const Bs3 = betterSqlite3OrNull<unknown>();

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
  ['setup', (db) => void db.exec('CREATE TABLE t9 (a INTEGER PRIMARY KEY, b TEXT, c REAL, d BLOB); INSERT INTO t9 VALUES (1, \'x\', 1.5, x\'00\'), (2, NULL, NULL, NULL)')],
  ['iterate break then reuse', (db) => { const s = db.prepare('SELECT a FROM t9'); for (const _r of s.iterate()) break; return s.all(); }],
  ['iterate busy stmt', (db) => { const s = db.prepare('SELECT a FROM t9'); const it = s.iterate(); it.next(); try { return s.all(); } finally { it.return(); } }],
  ['exec while iterating', (db) => { const it = db.prepare('SELECT a FROM t9').iterate(); it.next(); try { return db.exec('SELECT 1'); } finally { it.return(); } }],
  ['write while iterating', (db) => { const it = db.prepare('SELECT a FROM t9').iterate(); it.next(); try { return db.prepare('INSERT INTO t9 (b) VALUES (1)').run(); } finally { it.return(); } }],
  ['read while iterating', (db) => { const it = db.prepare('SELECT a FROM t9').iterate(); it.next(); try { return db.prepare('SELECT count(*) FROM t9').pluck().get(); } finally { it.return(); } }],
  ['columns types', (db) => db.prepare('SELECT a, b, c, d, a + 1 AS e FROM t9').columns()],
  ['columns through a view', (db) => { db.exec('CREATE VIEW IF NOT EXISTS vt9 AS SELECT a, b AS bee FROM t9'); return db.prepare('SELECT * FROM vt9').columns(); }],
  ['txn returns', (db) => db.transaction((x: number) => x * 2)(21)],
  ['txn inTransaction', (db) => db.transaction(() => db.inTransaction)()],
  ['txn on open txn', (db) => { db.exec('BEGIN'); try { return db.transaction(() => db.inTransaction)(); } finally { db.exec('ROLLBACK'); } }],
  ['function not deterministic in index', (db) => { db.function('nd', () => 1); return db.exec('CREATE INDEX ix_nd ON t9 (nd(a))'); }],
  ['function deterministic in index', (db) => { db.function('dt', { deterministic: true }, (x: number) => x); db.exec('CREATE INDEX IF NOT EXISTS ix_dt ON t9 (dt(a))'); return db.prepare('SELECT count(*) FROM t9 INDEXED BY ix_dt WHERE dt(a) = 1').pluck().get(); }],
  ['function throws', (db) => { db.function('th', () => { throw new Error('boom'); }); return db.prepare('SELECT th()').get(); }],
  ['function wrong arity', (db) => { db.function('two', (_a: unknown, _b: unknown) => 1); return db.prepare('SELECT two(1)').get(); }],
  ['function of another arity leaves the built-in', (db) => { db.function('abs', () => 42); return [db.prepare('SELECT abs(-1)').pluck().get(), db.prepare('SELECT abs()').pluck().get()]; }],
  ['aggregate of another arity', (db) => { db.aggregate('cnt', { step: (t: any) => (t ?? 0) + 1 }); return db.prepare('SELECT cnt(a) FROM t9').pluck().get(); }],
  ['aggregate result', (db) => { db.aggregate('cat', { start: () => [], step: (a: any[], v: any) => (a.push(v), a), result: (a: any[]) => a.join(',') }); return db.prepare('SELECT cat(a) FROM t9').pluck().get(); }],
  ['aggregate as window without inverse', (db) => db.prepare('SELECT cat(a) OVER (ORDER BY a) FROM t9').pluck().all()],
  ['table function', (db) => { db.table('gen', { columns: ['v'], *rows() { yield { v: 1 }; yield { v: 2 }; } }); return db.prepare('SELECT * FROM gen').all(); }],
  ['pragma foreign_keys', (db) => db.pragma('foreign_keys', { simple: true })],
  ['pragma journal_mode', (db) => db.pragma('journal_mode', { simple: true })],
  ['pragma journal_mode = WAL', (db) => db.pragma('journal_mode = WAL', { simple: true })],
  ['pragma cache_size', (db) => db.pragma('cache_size', { simple: true })],
  ['pragma page_size', (db) => db.pragma('page_size', { simple: true })],
  ['pragma unknown', (db) => db.pragma('nosuchpragma')],
  ['serialize is a Buffer', (db) => Buffer.isBuffer(db.serialize())],
  ['defaultSafeIntegers', (db) => { db.defaultSafeIntegers(); const r = db.prepare('SELECT 1 AS x').get(); db.defaultSafeIntegers(false); return r; }],
  ['object to a positional', (db) => db.prepare('SELECT ? AS x').get({ a: 1 })],
  ['array spread', (db) => db.prepare('SELECT ? AS x, ? AS y').get([1, 2])],
  ['positional and named', (db) => db.prepare('SELECT ? AS x, @y AS y').get(1, { y: 2 })],
  ['bind() twice', (db) => db.prepare('SELECT ? AS x').bind(1).bind(2)],
  ['bound, then arguments', (db) => db.prepare('SELECT ? AS x').bind(1).get(2)],
  ['run with RETURNING', (db) => db.prepare('INSERT INTO t9 (b) VALUES (?) RETURNING a').run('r')],
  ['get with RETURNING', (db) => db.prepare('INSERT INTO t9 (b) VALUES (?) RETURNING a, b').get('g')],
  ['NaN', (db) => db.prepare('SELECT ? AS x').get(NaN)],
  ['Infinity', (db) => db.prepare('SELECT ? AS x').get(Infinity)],
  ['-0', (db) => Object.is(db.prepare('SELECT ? AS x').pluck().get(-0), -0)],
  ['setup 3', (db) => void db.exec("CREATE TABLE p (id INTEGER PRIMARY KEY, n TEXT); CREATE TABLE c (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES p(id), n TEXT); INSERT INTO p VALUES (1, 'a'); INSERT INTO c VALUES (1, 1, 'x')")],
  ['simple multi-col', (db) => db.pragma('table_info(p)', { simple: true })],
  ['pragma arg not string', (db) => db.pragma(5)],
  ['pragma options not object', (db) => db.pragma('user_version', 5)],
  ['expand join same names', (db) => db.prepare('SELECT * FROM p JOIN c ON c.pid = p.id').expand().get()],
  ['join same names plain', (db) => db.prepare('SELECT * FROM p JOIN c ON c.pid = p.id').get()],
  ['raw false', (db) => db.prepare('SELECT 1 AS a').raw().raw(false).get()],
  ['pluck then raw', (db) => db.prepare('SELECT 1 AS a, 2 AS b').pluck().raw().get()],
  ['returning columns', (db) => db.prepare('INSERT INTO p (n) VALUES (1) RETURNING id, n').columns()],
  ['close with iterator', (db) => { const d = new (db.constructor)(':memory:'); const it = d.prepare('SELECT 1 UNION SELECT 2').iterate(); it.next(); try { d.close(); return d.open; } finally { try { it.return(); } catch {} } }],
  ['iterate return value', (db) => { const it = db.prepare('SELECT 1 AS a UNION SELECT 2').iterate(); it.next(); return it.return(); }],
  ['iterate after done', (db) => { const it = db.prepare('SELECT 1 AS a').iterate(); it.next(); it.next(); return it.next(); }],
  ['function opts bad', (db) => db.function('f1', { varargs: 1 }, () => 1)],
  ['function name bad', (db) => db.function(5, () => 1)],
  ['function no fn', (db) => db.function('f2')],
  ['aggregate no step', (db) => db.aggregate('a1', {})],
  ['aggregate bad start', (db) => { db.aggregate('a2', { start: 5, step: (t: number) => t + 1 }); return db.prepare('SELECT a2() FROM p').pluck().get(); }],
  ['fn returns object', (db) => { db.function('ro', () => ({})); return db.prepare('SELECT ro()').get(); }],
  ['fn returns boolean', (db) => { db.function('rb', () => true); return db.prepare('SELECT rb()').get(); }],
  ['fn gets blob', (db) => { db.function('gb', (b: any) => Buffer.isBuffer(b) ? 'buf' : typeof b); return db.prepare("SELECT gb(x'01')").pluck().get(); }],
  ['fn gets int', (db) => { db.function('gi', (b: any) => typeof b); return db.prepare('SELECT gi(1), gi(1.5), gi(NULL), gi(\'s\')').raw().get(); }],
  ['fn safeIntegers', (db) => { db.function('gs', { safeIntegers: true }, (b: any) => typeof b); return db.prepare('SELECT gs(1)').pluck().get(); }],
  ['txn savepoint error rethrow', (db) => { const outer = db.transaction(() => { try { db.transaction(() => { db.prepare("INSERT INTO p (n) VALUES ('in')").run(); throw new Error('inner'); })(); } catch (e) { /* swallow */ } db.prepare("INSERT INTO p (n) VALUES ('out')").run(); }); outer(); return db.prepare("SELECT n FROM p WHERE n IN ('in','out')").pluck().all(); }],
  ['txn COMMIT inside', (db) => db.transaction(() => db.exec('COMMIT'))()],
  ['fk violation on delete', (db) => db.prepare('DELETE FROM p WHERE id = 1').run()],
  ['check message', (db) => { db.exec('CREATE TABLE ck (a CHECK (a > 0))'); return db.exec('INSERT INTO ck VALUES (0)'); }],
  ['notnull message', (db) => { db.exec('CREATE TABLE nn (a NOT NULL)'); return db.exec('INSERT INTO nn VALUES (NULL)'); }],
  ['pk message', (db) => db.exec('INSERT INTO p VALUES (1, \'dup\')')],
  ['datatype mismatch', (db) => db.exec("INSERT INTO p VALUES ('abc', 'x')")],
  ['too many terms', (db) => db.prepare('SELECT ' + Array(2001).fill('1').join(',')).get() ? 'ok' : 'x'],
  ['deep expression', (db) => db.prepare('SELECT ' + Array(500).fill('(').join('') + '1' + Array(500).fill(')').join('')).pluck().get()],
  ['string blob concat', (db) => db.prepare("SELECT x'41' || 'b'").pluck().get()],
  ['integer overflow', (db) => db.prepare('SELECT 9223372036854775807 + 1').pluck().get()],
  ['division by zero', (db) => db.prepare('SELECT 1 / 0, 1 % 0').raw().get()],
  ['unknown column in order', (db) => db.prepare('SELECT id FROM p ORDER BY nope').all()],
  ['ambiguous column', (db) => db.prepare('SELECT id FROM p, c').all()],
  ['sqlite_version', (db) => typeof db.prepare('SELECT sqlite_version()').pluck().get()],
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
