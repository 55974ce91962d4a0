/**
 * What an adversarial review of several handles on one database found (spec/connections.md):
 * what real users do with two handles, compared live with two better-sqlite3 connections in WAL
 * mode where SQLite's behaviour is the reference. Each test failed before its fix.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from './database.ts';
import { Sqlite3Database } from './compat.ts';
import { isHeliosError } from '../format/errors.ts';
import { betterSqlite3OrNull } from '../scripts/slt-backend.ts';

/** The oracle, loaded as installed (not bundled: it is a native module). */
interface OracleDb {
  exec(sql: string): unknown;
  pragma(sql: string, options?: { simple: boolean }): unknown;
  prepare(sql: string): any;
  function(name: string, fn: (...args: any[]) => unknown): unknown;
  close(): unknown;
}
const Oracle = betterSqlite3OrNull<new (path: string, options?: { timeout?: number; readonly?: boolean }) => OracleDb>();
const ORACLE_LOADS = Oracle !== null;
const BetterSqlite3 = Oracle!;
/** A test that compares with the oracle: skipped, saying so, where the oracle does not load. */
const oracleTest = (name: string, fn: () => void): void => {
  if (ORACLE_LOADS) test(name, fn);
  else test(name, () => console.log(`skipped: ${name.slice(0, 60)}… (better-sqlite3, the oracle, does not load in this runtime)`));
};

const KEY = new Uint8Array(32).map((_, i) => 5 * i + 2);

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'helios-conn-review-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The error code `fn` throws (HeliosError code, or the drop-in's SQLITE_* code), or 'ok'. */
function outcome(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isHeliosError(e)) return e.code;
    const c = (e as { code?: unknown }).code;
    return typeof c === 'string' ? c : String(e);
  }
  return 'ok';
}

const open = (path: string, options: { readonly?: boolean } = {}): Database => new Database(path, { key: { raw: KEY }, ...options });
const count = (db: { prepare(s: string): { pluck(): { get(): unknown } } }, table = 't'): unknown => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get();

/** Two better-sqlite3 connections in WAL mode, busy timeout 0 (the oracle). */
function sqlitePair(dir: string, setup: string): [OracleDb, OracleDb] {
  const path = join(dir, 'oracle.sqlite');
  const a = new BetterSqlite3(path, { timeout: 0 });
  a.pragma('journal_mode = WAL');
  a.exec(setup);
  return [a, new BetterSqlite3(path, { timeout: 0 })];
}

/** Two HeliosDB handles on one encrypted database. */
function heliosPair(dir: string, setup: string): [Database, Database] {
  const path = join(dir, 'db');
  const a = open(path);
  a.exec(setup);
  return [a, open(path)];
}

// ---------------------------------------------------------------------------
// Findings

oracleTest('an iterate() iterator ended with return() before its first next() ends its read transaction (was: stale reads and LOCKED writes for good)', () => {
  withDir((dir) => {
    // SQLite: an iterator that never stepped holds no read transaction; return() ends it anyway.
    const [sa, sb] = sqlitePair(dir, 'CREATE TABLE t (x); INSERT INTO t VALUES (1), (2)');
    const sit = sa.prepare('SELECT x FROM t').pluck().iterate();
    sit.return!();
    sb.exec('INSERT INTO t VALUES (3)');
    assert.is(count(sa), 3, 'oracle: the other connection\'s commit is seen');
    assert.is(outcome(() => sa.exec('INSERT INTO t VALUES (4)')), 'ok', 'oracle: and the connection can write');
    sa.close();
    sb.close();

    const [a, b] = heliosPair(dir, 'CREATE TABLE t (x); INSERT INTO t VALUES (1), (2)');
    const it = a.prepare('SELECT x FROM t').pluck().iterate();
    it.return!();
    b.exec('INSERT INTO t VALUES (3)');
    const seen = count(a);
    const write = outcome(() => a.exec('INSERT INTO t VALUES (4)'));
    a.close();
    b.close();
    assert.is(seen, 3, 'a reads the newest data after its iterator ended');
    assert.is(write, 'ok', 'a can write after its iterator ended');
  });
});

test('the drop-in: an iterator ended with return() before its first next() ends its read transaction', () => {
  withDir((dir) => {
    const path = join(dir, 'db');
    const a = new Sqlite3Database(path, { key: { raw: KEY }, timeout: 0 });
    a.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1), (2)');
    const b = new Sqlite3Database(path, { key: { raw: KEY }, timeout: 0 });
    const it = a.prepare('SELECT x FROM t').pluck().iterate();
    it.return!();
    b.exec('INSERT INTO t VALUES (3)');
    const seen = count(a);
    const write = outcome(() => a.exec('INSERT INTO t VALUES (4)'));
    a.close();
    b.close();
    assert.is(seen, 3);
    assert.is(write, 'ok', 'SQLITE_BUSY here is a stale snapshot nobody can see');
  });
});

oracleTest('[SQL-SHARE-1] an iterate() iterator not yet stepped holds no read transaction: the handle sees the other\'s commit (SQLite: none until the first step)', () => {
  withDir((dir) => {
    const [sa, sb] = sqlitePair(dir, 'CREATE TABLE t (x); INSERT INTO t VALUES (1), (2)');
    const ti = sa.prepare('SELECT x FROM t').iterate(); // not stepped
    sb.exec('INSERT INTO t VALUES (3)');
    const expected = count(sa);
    ti.return?.(); // better-sqlite3 refuses to close a connection with an unfinished iterator
    sa.close();
    sb.close();
    assert.is(expected, 3, 'oracle');
    const [a, b] = heliosPair(dir, 'CREATE TABLE t (x); INSERT INTO t VALUES (1), (2)');
    const oi = a.prepare('SELECT x FROM t').iterate(); // not stepped
    b.exec('INSERT INTO t VALUES (3)');
    const seen = count(a);
    oi.return?.();
    a.close();
    b.close();
    assert.is(seen, expected);
  });
});

test('[ENG-SHARE-5] a native Database and then a drop-in connection on the same file: the drop-in opens (its own block cache size is not a conflict)', () => {
  withDir((dir) => {
    const path = join(dir, 'db');
    // A library uses HeliosDB's own API, the application the better-sqlite3 drop-in, neither sets a cache size.
    const lib = open(path);
    lib.exec('CREATE TABLE t (x)');
    let app: Sqlite3Database | null = null;
    const r = outcome(() => (app = new Sqlite3Database(path, { key: { raw: KEY }, timeout: 0 })));
    (app as Sqlite3Database | null)?.close();
    lib.close();
    assert.is(r, 'ok', 'the other order (drop-in first) opens fine');
  });
});

oracleTest('[SQL-SHARE-2] writing a TEMP table takes no write slot (as in SQLite, TEMP is a database of its own)', () => {
  withDir((dir) => {
    const steps = (a: { exec(s: string): unknown; prepare(s: string): { get(): unknown } }, b: { exec(s: string): unknown }): string[] => {
      const out: string[] = [];
      a.exec('CREATE TEMP TABLE scratch (y)');
      a.exec('BEGIN; INSERT INTO scratch VALUES (1)');
      out.push(`other writes main while this one writes only TEMP: ${outcome(() => b.exec('INSERT INTO t VALUES (5)'))}`);
      a.exec('COMMIT');
      b.exec('BEGIN; INSERT INTO t VALUES (6)');
      out.push(`TEMP insert while the other writes main: ${outcome(() => a.exec('INSERT INTO scratch VALUES (2)'))}`);
      b.exec('COMMIT');
      a.exec('BEGIN');
      a.prepare('SELECT count(*) FROM t').get();
      b.exec('INSERT INTO t VALUES (7)');
      out.push(`TEMP insert on a snapshot older than the other's commit: ${outcome(() => a.exec('INSERT INTO scratch VALUES (3)'))}`);
      a.exec('ROLLBACK');
      return out;
    };
    const [sa, sb] = sqlitePair(dir, 'CREATE TABLE t (x)');
    const expected = steps(sa, sb);
    sa.close();
    sb.close();
    assert.equal(expected, [
      'other writes main while this one writes only TEMP: ok',
      'TEMP insert while the other writes main: ok',
      "TEMP insert on a snapshot older than the other's commit: ok",
    ]);
    const [a, b] = heliosPair(dir, 'CREATE TABLE t (x)');
    let got: string[];
    try {
      got = steps(a, b);
    } finally {
      a.close();
      b.close();
    }
    assert.equal(got, expected);
  });
});

oracleTest('[SQL-SHARE-1] a readonly handle can BEGIN and read several statements from one snapshot (as in SQLite)', () => {
  withDir((dir) => {
    const path = join(dir, 'db');
    const a = open(path);
    a.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    const r = open(path, { readonly: true });
    const begin = outcome(() => r.exec('BEGIN'));
    const first = count(r);
    a.exec('INSERT INTO t VALUES (2)');
    const second = count(r);
    if (r.inTransaction) r.exec('COMMIT');
    r.close();
    a.close();
    // better-sqlite3: a readonly connection begins a (read) transaction.
    const sp = join(dir, 'oracle.sqlite');
    const sw = new BetterSqlite3(sp);
    sw.pragma('journal_mode = WAL');
    sw.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    const sr = new BetterSqlite3(sp, { readonly: true });
    const sBegin = outcome(() => sr.exec('BEGIN'));
    const sFirst = count(sr);
    sw.exec('INSERT INTO t VALUES (2)');
    const sSecond = count(sr);
    sr.exec('COMMIT');
    sr.close();
    sw.close();
    assert.equal([sBegin, sFirst, sSecond], ['ok', 1, 1], 'oracle');
    assert.equal([begin, first, second], [sBegin, sFirst, sSecond]);
  });
});

oracleTest('[SQL-SHARE-1] [SQL-SHARE-3] inside BEGIN, a statement that reads no table of the database (SELECT 1, last_insert_rowid(), connection PRAGMAs, TEMP) begins no read transaction, so a later write is fine (as in SQLite)', () => {
  withDir((dir) => {
    const first = ['SELECT 1', 'SELECT last_insert_rowid()', "SELECT datetime('now')", 'VALUES (1)', 'PRAGMA foreign_keys', 'PRAGMA busy_timeout', 'SELECT * FROM scratch', 'SELECT count(*) FROM t'];
    const run = (mk: () => { exec(s: string): unknown; close(): unknown }): string[] =>
      first.map((sql) => {
        const a = mk();
        const b = mk();
        a.exec('CREATE TEMP TABLE scratch (y)');
        a.exec('BEGIN');
        a.exec(sql);
        b.exec('INSERT INTO t VALUES (1)');
        const r = `${sql}: ${outcome(() => a.exec('INSERT INTO t VALUES (2)'))}`;
        a.close();
        b.close();
        return r;
      });
    const sp = join(dir, 'oracle.sqlite');
    const init = new BetterSqlite3(sp);
    init.pragma('journal_mode = WAL');
    init.exec('CREATE TABLE t (x)');
    init.close();
    // SQLite names a stale snapshot SQLITE_BUSY_SNAPSHOT, HeliosDB LOCKED.
    const expected = run(() => new BetterSqlite3(sp, { timeout: 0 })).map((r) => r.replace('SQLITE_BUSY_SNAPSHOT', 'LOCKED'));
    assert.equal(expected.filter((r) => r.endsWith('LOCKED')), ['SELECT count(*) FROM t: LOCKED'], 'oracle: only the statement that read t pins the snapshot');
    const path = join(dir, 'db');
    const init2 = open(path);
    init2.exec('CREATE TABLE t (x)');
    init2.close();
    assert.equal(run(() => open(path)), expected);
  });
});

oracleTest('unsafe mode: a connection that deletes rows ahead of its own index scan skips them (as SQLite), not CORRUPTION', () => {
  withDir((dir) => {
    const scenario = (a: { exec(s: string): unknown; prepare(s: string): any; unsafeMode(on: boolean): unknown }): string => {
      a.exec('CREATE TABLE t (a INTEGER PRIMARY KEY, b, c); CREATE INDEX ib ON t(b)');
      const ins = a.prepare('INSERT INTO t VALUES (?, ?, ?)');
      for (let i = 1; i <= 8; i++) ins.run(i, i, `c${i}`);
      a.unsafeMode(true);
      const seen: unknown[] = [];
      try {
        for (const r of a.prepare('SELECT a, c FROM t WHERE b > 0 ORDER BY b').raw().iterate() as Iterable<unknown[]>) {
          seen.push(r[1]);
          if (r[0] === 3) a.exec('DELETE FROM t WHERE a IN (5, 6)');
        }
      } catch (e) {
        return `${(e as { code?: string }).code}: ${(e as Error).message}`;
      }
      return JSON.stringify(seen);
    };
    const s = new BetterSqlite3(join(dir, 'oracle.sqlite'), { timeout: 0 }) as OracleDb & { unsafeMode(on: boolean): unknown };
    const expected = scenario(s);
    s.close();
    assert.is(expected, '["c1","c2","c3","c4","c7","c8"]', 'oracle');
    const a = new Sqlite3Database(join(dir, 'db'), { key: { raw: KEY }, timeout: 0 });
    const got = scenario(a as unknown as Parameters<typeof scenario>[0]);
    a.close();
    assert.is(got, expected);
  });
});

test('another handle deletes and updates rows ahead of an index scan with table lookups: the scan reads its snapshot', () => {
  withDir((dir) => {
    const [a, b] = heliosPair(dir, 'CREATE TABLE t (a INTEGER PRIMARY KEY, b, c); CREATE INDEX ib ON t(b)');
    const ins = a.prepare('INSERT INTO t VALUES (?, ?, ?)');
    for (let i = 1; i <= 8; i++) ins.run(i, i, `c${i}`);
    const seen: unknown[] = [];
    for (const r of a.prepare('SELECT a, c FROM t WHERE b > 0 ORDER BY b').raw().iterate() as Iterable<unknown[]>) {
      seen.push(r[1]);
      if (r[0] === 3) b.exec("DELETE FROM t WHERE a IN (5, 6); UPDATE t SET c = 'new' WHERE a = 8; UPDATE t SET b = -1 WHERE a = 7");
    }
    assert.equal(seen, ['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8']);
    assert.equal(a.prepare('SELECT c FROM t WHERE b > 0 ORDER BY b').pluck().all(), ['c1', 'c2', 'c3', 'c4', 'new']);
    a.close();
    b.close();
  });
});

oracleTest('[SQL-SHARE-4] PRAGMA data_version changes only with another connection\'s commit, schema_version with any schema change (as in SQLite)', () => {
  withDir((dir) => {
    const probe = (a: { exec(s: string): unknown; pragma(s: string, o?: { simple: boolean }): unknown }, b: { exec(s: string): unknown }): unknown[] => {
      const v0 = a.pragma('data_version', { simple: true });
      a.exec('INSERT INTO t VALUES (1)');
      const v1 = a.pragma('data_version', { simple: true });
      b.exec('INSERT INTO t VALUES (2)');
      const v2 = a.pragma('data_version', { simple: true });
      const s0 = a.pragma('schema_version', { simple: true });
      b.exec('CREATE TABLE z (q)');
      const s1 = a.pragma('schema_version', { simple: true });
      return [typeof v0, v0 === v1, v1 === v2, typeof s0, s0 === s1];
    };
    const [sa, sb] = sqlitePair(dir, 'CREATE TABLE t (x)');
    const expected = probe(sa, sb);
    sa.close();
    sb.close();
    assert.equal(expected, ['number', true, false, 'number', false], 'oracle: only another connection\'s commit changes data_version');
    const [a, b] = heliosPair(dir, 'CREATE TABLE t (x)');
    const got = probe(a, b);
    a.close();
    b.close();
    assert.equal(got, expected);
  });
});

oracleTest('[ENG-SHARE-5] PRAGMA synchronous is each handle\'s own (as in SQLite)', () => {
  withDir((dir) => {
    const [sa, sb] = sqlitePair(dir, 'CREATE TABLE t (x)');
    const before = sa.pragma('synchronous', { simple: true });
    sb.pragma('synchronous = OFF');
    const expected = [before, sa.pragma('synchronous', { simple: true })];
    sa.close();
    sb.close();
    assert.is(expected[0], expected[1], 'oracle: the other connection keeps its setting');
    const [a, b] = heliosPair(dir, 'CREATE TABLE t (x)');
    const hBefore = a.pragma('synchronous', { simple: true });
    b.pragma('synchronous = OFF');
    const got = [hBefore, a.pragma('synchronous', { simple: true })];
    a.close();
    b.close();
    assert.is(got[1], got[0], "b's PRAGMA made a's commits unsynced");
  });
});

test('db.verifyIntegrity() after another handle dropped an index checks the schema as it is (was: a false corruption report from the stale catalog)', () => {
  withDir((dir) => {
    const [a, b] = heliosPair(dir, 'CREATE TABLE t (x, y); INSERT INTO t VALUES (1, 1), (2, 2); CREATE INDEX ix ON t(x)');
    b.exec('DROP INDEX ix; CREATE TABLE u (z); CREATE INDEX iu ON u(z); INSERT INTO u VALUES (3)');
    const r = a.verifyIntegrity();
    assert.equal(r.problems, []);
    assert.ok(r.ok);
    assert.is(r.tablesChecked, 2, 'the table the other handle created is checked too');
    // Inside a read transaction the check reads its snapshot, with the schema of that snapshot.
    a.exec('BEGIN');
    count(a);
    b.exec('DROP INDEX iu; DROP TABLE u');
    const inTxn = a.verifyIntegrity();
    a.exec('COMMIT');
    assert.equal(inTxn.problems, []);
    assert.is(inTxn.tablesChecked, 2);
    // A progress callback that lets the other handle change the schema mid-check changes nothing the check sees.
    b.exec('CREATE TABLE w (k UNIQUE); INSERT INTO w VALUES (1)');
    let dropped = false;
    const mid = a.verifyIntegrity({
      onProgress: (p) => {
        if (p.phase === 'sql' && !dropped) {
          dropped = true;
          b.exec('DROP TABLE w');
        }
      },
    });
    assert.ok(dropped);
    assert.equal(mid.problems, []);
    a.close();
    b.close();
  });
});

// ---------------------------------------------------------------------------
// What the review verified works (each compared with SQLite's behaviour where it applies)

test('rowids and AUTOINCREMENT across handles: no reuse after the other handle inserted, deleted or rolled back', () => {
  withDir((dir) => {
    const [a, b] = heliosPair(dir, 'CREATE TABLE r (id INTEGER PRIMARY KEY AUTOINCREMENT, v); CREATE TABLE q (v)');
    const insA = a.prepare('INSERT INTO r (v) VALUES (?)');
    const insB = b.prepare('INSERT INTO r (v) VALUES (?)');
    insA.run('a1');
    insA.run('a2');
    insB.run('b3');
    b.exec('DELETE FROM r WHERE id = 3');
    assert.is(insA.run('a4').lastInsertRowid, 4, 'AUTOINCREMENT never reuses the id the other handle took and deleted');
    a.exec('BEGIN');
    insA.run('rolled back');
    a.exec('ROLLBACK');
    assert.is(insB.run('b').lastInsertRowid, 5);
    assert.is(insA.run('a').lastInsertRowid, 6);
    assert.equal(b.prepare('SELECT seq FROM sqlite_sequence WHERE name = ?').pluck().get('r'), 6);
    a.exec("INSERT INTO q VALUES ('a1')");
    b.exec("INSERT INTO q VALUES ('b2')");
    assert.is(a.prepare("INSERT INTO q VALUES ('a3')").run().lastInsertRowid, 3);
    assert.equal(a.prepare('PRAGMA integrity_check').pluck().all(), ['ok']);
    a.close();
    b.close();
  });
});

test('DDL by one handle while the other iterates or holds prepared statements: snapshot reads, then recompiles', () => {
  withDir((dir) => {
    const [a, b] = heliosPair(dir, 'CREATE TABLE t (x); INSERT INTO t VALUES (1), (2), (3); CREATE INDEX ix ON t(x)');
    const it = a.prepare('SELECT x FROM t WHERE x > 0 ORDER BY x').pluck().iterate();
    assert.is(it.next().value, 1);
    b.exec('DROP TABLE t; CREATE TABLE t (p, q); INSERT INTO t VALUES (10, 20)');
    assert.equal([...it], [2, 3], 'the open iterator finishes on its snapshot, through the dropped index');
    const sel = a.prepare('SELECT * FROM t');
    assert.equal(sel.all(), [{ p: 10, q: 20 }]);
    b.exec('ALTER TABLE t RENAME COLUMN p TO pp');
    assert.equal(sel.all(), [{ pp: 10, q: 20 }]);
    b.exec('ALTER TABLE t DROP COLUMN q');
    assert.equal(sel.all(), [{ pp: 10 }]);
    b.exec('ALTER TABLE t ADD COLUMN z DEFAULT 7');
    assert.equal(sel.all(), [{ pp: 10, z: 7 }]);
    const ins = a.prepare('INSERT INTO t (pp) VALUES (?)');
    b.exec('CREATE TABLE log (v); CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES (new.pp); END');
    ins.run(11);
    assert.equal(b.prepare('SELECT v FROM log').pluck().all(), [11], "a's prepared INSERT fires b's new trigger");
    b.exec('ALTER TABLE t RENAME TO t9');
    assert.is(outcome(() => sel.all()), 'SQL_ERROR');
    assert.equal(a.prepare('PRAGMA integrity_check').pluck().all(), ['ok']);
    a.close();
    b.close();
  });
});

test('VACUUM by one handle while the other iterates keeps the versions its snapshot reads', () => {
  withDir((dir) => {
    const [a, b] = heliosPair(dir, 'CREATE TABLE t (x); INSERT INTO t VALUES (1), (2), (3)');
    const it = a.prepare('SELECT x FROM t ORDER BY rowid').pluck().iterate();
    assert.is(it.next().value, 1);
    b.exec('DELETE FROM t; VACUUM');
    assert.equal([...it], [2, 3]);
    assert.is(count(a), 0);
    // HeliosDB's VACUUM changes no row, so a read transaction stays writable across it (SQLite: BUSY_SNAPSHOT).
    a.exec('BEGIN');
    count(a);
    b.exec('VACUUM');
    a.exec('INSERT INTO t VALUES (9); COMMIT');
    assert.is(count(b), 1);
    a.close();
    b.close();
  });
});

test('closing in any order: a close inside a transaction rolls back and frees the write slot; the last close releases LOCK', () => {
  withDir((dir) => {
    const path = join(dir, 'db');
    const a = open(path);
    a.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    const b = open(path);
    a.exec('BEGIN; INSERT INTO t VALUES (2)');
    a.close();
    b.exec('INSERT INTO t VALUES (3)');
    assert.equal(b.prepare('SELECT x FROM t ORDER BY x').pluck().all(), [1, 3]);
    const c = open(path);
    assert.is(count(c), 2);
    b.close();
    assert.ok(existsSync(join(path, 'LOCK')));
    c.close();
    assert.not.ok(existsSync(join(path, 'LOCK')));
  });
});

test('key changes while shared: changeKey and PRAGMA rekey are CONFIG, a readonly handle counts as sharing', () => {
  withDir((dir) => {
    const path = join(dir, 'db');
    const a = open(path);
    a.exec('CREATE TABLE t (x)');
    const r = open(path, { readonly: true });
    assert.is(outcome(() => a.pragma("rekey = 'new passphrase'")), 'CONFIG');
    assert.is(outcome(() => a.changeKey({ passphrase: 'new passphrase' })), 'CONFIG');
    assert.is(outcome(() => r.exec('INSERT INTO t VALUES (1)')), 'SQL_ERROR', 'a readonly handle refuses writes at prepare');
    a.exec('INSERT INTO t VALUES (1)');
    assert.is(count(r), 1, 'the readonly handle reads the newest commit');
    r.close();
    a.pragma("rekey = 'new passphrase'");
    a.close();
    const again = new Database(path, { key: { passphrase: 'new passphrase' } });
    assert.is(count(again), 1);
    again.close();
  });
});

oracleTest('re-entrancy: a user function of one drop-in connection uses the other, as with two SQLite connections', () => {
  withDir((dir) => {
    type Conn = { exec(s: string): unknown; prepare(s: string): any; function(n: string, f: (...a: any[]) => unknown): unknown; close(): unknown };
    const scenario = (a: Conn, b: Conn): string[] => {
      const out: string[] = [];
      a.function('bins', (x: number) => (b.prepare('INSERT INTO t VALUES (?)').run(x + 100), x));
      out.push(`${outcome(() => out.push(JSON.stringify(a.prepare('SELECT bins(x) FROM t').pluck().all())))}`);
      out.push(`${String(a.prepare('SELECT count(*) FROM t').pluck().get())}`);
      out.push(outcome(() => a.prepare('UPDATE t SET x = bins(x) WHERE x < 3').run()));
      a.exec('CREATE TABLE u (x)');
      a.function('bread', () => b.prepare('SELECT count(*) FROM u').pluck().get());
      a.prepare('INSERT INTO u SELECT bread() FROM (SELECT 1 UNION ALL SELECT 2)').run();
      out.push(JSON.stringify(a.prepare('SELECT x FROM u').pluck().all()));
      b.function('adrop', () => (a.exec('DROP TABLE t'), 1));
      out.push(outcome(() => b.prepare('SELECT adrop(), x FROM t').all()));
      return out;
    };
    const [sa, sb] = sqlitePair(dir, 'CREATE TABLE t (x); INSERT INTO t VALUES (1), (2), (3)');
    const expected = scenario(sa as unknown as Conn, sb as unknown as Conn);
    sa.close();
    sb.close();
    const path = join(dir, 'db');
    const a = new Sqlite3Database(path, { key: { raw: KEY }, timeout: 0 });
    a.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1), (2), (3)');
    const b = new Sqlite3Database(path, { key: { raw: KEY }, timeout: 0 });
    const got = scenario(a as unknown as Conn, b as unknown as Conn);
    a.close();
    b.close();
    assert.equal(got, expected);
  });
});

test.run();
