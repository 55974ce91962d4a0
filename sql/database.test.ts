/**
 * The public Database / Statement API (better-sqlite3's shapes): binding,
 * result shapes, transactions, persistence across reopen (encrypted and
 * plain), statement atomicity, errors.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Database, type DatabaseOptions } from './database.ts';
import { isHeliosError } from '../format/errors.ts';

const KEY = new Uint8Array(32).fill(3);
const MODES: [string, DatabaseOptions][] = [
  ['encrypted', { key: { raw: KEY }, synchronous: 'off' }],
  ['plain', { encryption: false, synchronous: 'off' }],
];

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'helios-api-'));
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return isHeliosError(e) ? e.code : `not a HeliosError: ${String(e)}`;
  }
  return 'no error';
}

test('memoryLimitMb bounds the memtable: a small limit flushes to table files and every row reads back after reopen', () => {
  const dir = mkdtempSync(join(tmpdir(), 'helios-memlimit-'));
  try {
    const path = join(dir, 'db');
    const key = { raw: new Uint8Array(32).fill(3) };
    const db = new Database(path, { key, memoryLimitMb: 4, synchronous: 'off' });
    db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, body TEXT)');
    const ins = db.prepare('INSERT INTO t(body) VALUES (?)');
    db.transaction(() => { for (let i = 0; i < 20000; i++) ins.run('row-' + i + '-' + 'x'.repeat(64)); })();
    db.close();
    assert.ok(readdirSync(path).some((n) => n.endsWith('.sst')), 'a 1 MiB memtable must have flushed');
    const again = new Database(path, { key, memoryLimitMb: 4 });
    assert.is(again.prepare('SELECT count(*) FROM t').pluck().get(), 20000);
    assert.is(again.prepare('SELECT body FROM t WHERE id = 12345').pluck().get(), 'row-12344-' + 'x'.repeat(64));
    again.close();
    assert.throws(() => new Database(join(dir, 'bad'), { key, memoryLimitMb: -1 }), (e: unknown) => isHeliosError(e));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('positional ?, ?NNN by number, named parameters from an object without the prefix', () => {
  const db = new Database(':memory:');
  assert.equal(db.prepare('SELECT ?, ?').raw().get(1, 'a'), [1, 'a']);
  assert.equal(db.prepare('SELECT ?2, ?1, ?2').raw().get('x', 'y'), ['y', 'x', 'y']);
  assert.equal(db.prepare('SELECT :a, @b, $c, :a').raw().get({ a: 1, b: 2, c: 3 }), [1, 2, 3, 1]);
  assert.equal(db.prepare('SELECT ?, :n').raw().get(5, { n: 6 }), [5, 6]);
  assert.equal(db.prepare('SELECT ?, ?').raw().get([7, 8]), [7, 8]);
  assert.is(code(() => db.prepare('SELECT ?, ?').get(1)), 'MISMATCH');
  assert.is(code(() => db.prepare('SELECT ?').get(1, 2)), 'MISMATCH');
  assert.is(code(() => db.prepare('SELECT :a').get({ b: 1 })), 'MISMATCH');
  db.close();
});

test('JS values bind with SQLite types and come back as number, bigint, string, Uint8Array, null', () => {
  const db = new Database(':memory:');
  const types = db.prepare('SELECT typeof(?), typeof(?), typeof(?), typeof(?), typeof(?), typeof(?), typeof(?)').raw();
  assert.equal(types.get(1, 1.5, 'x', new Uint8Array([1]), null, 2n ** 62n, true), ['integer', 'real', 'text', 'blob', 'null', 'integer', 'integer']);
  const [big, blob, t, f] = db.prepare('SELECT ?, ?, ?, ?').raw().get(2n ** 62n, new Uint8Array([1, 2]), true, false) as unknown[];
  assert.is(big, 2n ** 62n);
  assert.ok(blob instanceof Uint8Array);
  assert.equal([...(blob as Uint8Array)], [1, 2]);
  assert.is(t, 1);
  assert.is(f, 0);
  assert.is(db.prepare('SELECT 9007199254740993').pluck().get(), 9007199254740993n);
  assert.is(db.prepare('SELECT 5').pluck().safeIntegers().get(), 5n);
  assert.is(db.prepare('SELECT 2.0').pluck().get(), 2);
  assert.is(code(() => db.prepare('SELECT ?').get({} as unknown as number)), 'MISMATCH');
  assert.is(code(() => db.prepare('SELECT ?').get(Symbol('x'))), 'INVALID_ARGUMENT');
  assert.is(code(() => db.prepare('SELECT ?').get(2n ** 64n)), 'TOO_BIG');
  db.close();
});

test('run, get, all, iterate, pluck, raw, columns and bind', () => {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, score REAL)');
  const ins = db.prepare('INSERT INTO t(name, score) VALUES (?, ?)');
  assert.equal(ins.run('a', 1.5), { changes: 1, lastInsertRowid: 1 });
  assert.equal(ins.run('b', 2.5), { changes: 1, lastInsertRowid: 2 });
  assert.is(ins.reader, false);
  const sel = db.prepare('SELECT id, name, score FROM t ORDER BY id');
  assert.is(sel.reader, true);
  assert.equal(sel.get(), { id: 1, name: 'a', score: 1.5 });
  assert.equal(sel.all(), [
    { id: 1, name: 'a', score: 1.5 },
    { id: 2, name: 'b', score: 2.5 },
  ]);
  assert.equal([...sel.iterate()], sel.all());
  assert.equal(db.prepare('SELECT name FROM t ORDER BY id').pluck().all(), ['a', 'b']);
  assert.equal(db.prepare('SELECT id, name FROM t ORDER BY id').raw().all(), [
    [1, 'a'],
    [2, 'b'],
  ]);
  assert.equal(
    sel.columns().map((c) => [c.name, c.type]),
    [
      ['id', 'INTEGER'],
      ['name', 'TEXT'],
      ['score', 'REAL'],
    ],
  );
  assert.is(db.prepare('SELECT * FROM t WHERE id = 99').get(), undefined);
  const bound = db.prepare('SELECT name FROM t WHERE id = ?').pluck().bind(2);
  assert.is(bound.get(), 'b');
  assert.is(code(() => bound.get(1)), 'INVALID_ARGUMENT');
  assert.is(code(() => ins.get('x', 1)), 'INVALID_ARGUMENT');
  assert.equal(db.prepare('UPDATE t SET score = score * 2 RETURNING id, score').all(), [
    { id: 1, score: 3 },
    { id: 2, score: 5 },
  ]);
  db.close();
});

test('prepare refuses several statements; exec runs them all and stops at the first error', () => {
  const db = new Database(':memory:');
  assert.is(code(() => db.prepare('SELECT 1; SELECT 2')), 'INVALID_ARGUMENT');
  assert.is(code(() => db.prepare('   ')), 'INVALID_ARGUMENT');
  assert.is(db.prepare('SELECT 1;').pluck().get(), 1);
  assert.is(code(() => db.exec('CREATE TABLE a(x); INSERT INTO a VALUES (1); INSERT INTO nosuch VALUES (2); INSERT INTO a VALUES (3)')), 'SQL_ERROR');
  assert.is(db.prepare('SELECT count(*) FROM a').pluck().get(), 1);
  assert.is(code(() => db.exec('SELEC 1')), 'SQL_SYNTAX');
  db.close();
});

test('db.transaction commits, rolls back on throw, nests with savepoints; inTransaction follows', () => {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t(x UNIQUE)');
  const ins = db.prepare('INSERT INTO t VALUES (?)');
  const many = db.transaction((xs: number[]) => {
    for (const x of xs) ins.run(x);
    return xs.length;
  });
  assert.is(many([1, 2, 3]), 3);
  assert.is(code(() => many([4, 1])), 'CONSTRAINT_UNIQUE');
  assert.equal(db.prepare('SELECT x FROM t ORDER BY x').pluck().all(), [1, 2, 3]);
  const outer = db.transaction(() => {
    ins.run(10);
    assert.is(db.inTransaction, true);
    try {
      db.transaction(() => {
        ins.run(11);
        throw new Error('inner fails');
      })();
    } catch {
      // the inner savepoint is rolled back, the outer transaction continues
    }
    ins.run(12);
  });
  outer.immediate();
  assert.is(db.inTransaction, false);
  assert.equal(db.prepare('SELECT x FROM t WHERE x >= 10 ORDER BY x').pluck().all(), [10, 12]);
  db.close();
});

test('a failing statement inside a transaction changes nothing, earlier statements stay', () => {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v UNIQUE)');
  db.exec('BEGIN');
  db.exec("INSERT INTO t VALUES (1, 'a')");
  assert.is(code(() => db.exec("INSERT INTO t VALUES (2, 'b'), (3, 'a')")), 'CONSTRAINT_UNIQUE');
  db.exec('COMMIT');
  assert.equal(db.prepare('SELECT id FROM t').pluck().all(), [1]);
  db.close();
});

for (const [mode, opts] of MODES) {
  test(`${mode}: schema, rows, AUTOINCREMENT and user_version survive close and reopen`, () => {
    const dir = tempDir();
    const path = join(dir, 'db');
    try {
      let db = new Database(path, opts);
      db.exec(`CREATE TABLE p(id INTEGER PRIMARY KEY AUTOINCREMENT, mrn TEXT UNIQUE NOT NULL, n INTEGER DEFAULT 0);
               CREATE INDEX p_n ON p(n DESC);
               CREATE VIEW pv AS SELECT mrn FROM p WHERE n > 0;
               INSERT INTO p(mrn, n) VALUES ('M1', 1), ('M2', 2), ('M3', 0);
               DELETE FROM p WHERE id = 3;
               PRAGMA user_version = 7;`);
      db.close();
      assert.is(db.open, false);
      assert.is(code(() => db.prepare('SELECT 1')), 'CLOSED');
      db = new Database(path, opts);
      assert.equal(db.prepare('SELECT mrn FROM pv ORDER BY mrn').pluck().all(), ['M1', 'M2']);
      assert.equal(db.prepare('INSERT INTO p(mrn) VALUES (?)').run('M4'), { changes: 1, lastInsertRowid: 4 });
      assert.is(code(() => db.prepare('INSERT INTO p(mrn) VALUES (?)').run('M1')), 'CONSTRAINT_UNIQUE');
      assert.is(db.pragma('user_version', { simple: true }), 7);
      assert.equal(db.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
      assert.equal((db.prepare('EXPLAIN QUERY PLAN SELECT * FROM p WHERE n = 2').all() as { detail: string }[]).map((r) => r.detail), ['SEARCH p USING INDEX p_n (n=?)']);
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('an uncommitted transaction is rolled back by close', () => {
  const dir = tempDir();
  const path = join(dir, 'db');
  try {
    let db = new Database(path, MODES[0]![1]);
    db.exec('CREATE TABLE t(x); BEGIN; INSERT INTO t VALUES (1)');
    db.close();
    db = new Database(path, MODES[0]![1]);
    assert.is(db.prepare('SELECT count(*) FROM t').pluck().get(), 0);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('prepared statements re-plan after schema changes', () => {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t(a, b)');
  const st = db.prepare('SELECT * FROM t');
  db.exec("INSERT INTO t VALUES (1, 2); ALTER TABLE t ADD COLUMN c DEFAULT 'z'");
  assert.equal(st.raw().all(), [[1, 2, 'z']]);
  db.exec('DROP TABLE t');
  assert.is(code(() => st.all()), 'SQL_ERROR');
  db.close();
});

test('storageInfo reports the encryption settings; pragma cipher_status shows no key material', () => {
  const dir = tempDir();
  try {
    const db = new Database(join(dir, 'db'), { key: { raw: KEY }, synchronous: 'normal' });
    const info = db.storageInfo();
    assert.is(info.encryptionEnabled, true);
    assert.is(info.encryptionAlgorithm, 'AES-256-GCM');
    assert.is(info.keySource, 'raw');
    assert.is(info.synchronous, 'normal');
    assert.ok(info.dataKeyGenerations.length >= 1);
    const status = db.pragma('cipher_status') as Record<string, unknown>[];
    assert.is(status[0]!.algorithm, 'AES-256-GCM');
    assert.not.ok(JSON.stringify(status).includes('0303030303'));
    db.pragma('synchronous = FULL');
    assert.is(db.storageInfo().synchronous, 'full');
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('readonly handles refuse writes', () => {
  const dir = tempDir();
  try {
    new Database(join(dir, 'db'), { encryption: false }).exec('CREATE TABLE t(x)').close();
    const ro = new Database(join(dir, 'db'), { encryption: false, readonly: true });
    assert.is(ro.prepare('SELECT count(*) FROM t').pluck().get(), 0);
    assert.is(code(() => ro.prepare('INSERT INTO t VALUES (1)')), 'SQL_ERROR');
    assert.is(code(() => ro.exec('INSERT INTO t VALUES (1)')), 'SQL_ERROR');
    ro.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a new database in a missing directory is IO naming the directory and creates nothing; readonly on a missing path is CONFIG', () => {
  const dir = tempDir();
  try {
    for (const [mode, o] of MODES) {
      for (const path of [join(dir, 'no', 'such', 'db'), join(dir, 'no', 'db') + '/']) {
        let err: unknown = null;
        try {
          new Database(path, o).close();
        } catch (e) {
          err = e;
        }
        assert.ok(isHeliosError(err, 'IO'), `${mode}: ${String(err)}`);
        assert.is(err.details.osCode, 'ENOENT');
        assert.ok(err.message.includes(dirname(path.replace(/\/$/, ''))), err.message);
      }
      assert.is(code(() => new Database(join(dir, 'no', 'db'), { ...o, readonly: true })), 'CONFIG', mode);
      assert.is(code(() => new Database(join(dir, 'missing.db'), { ...o, readonly: true })), 'CONFIG', mode);
      assert.is(code(() => new Database(join(dir, 'missing.db'), { ...o, fileMustExist: true })), 'CONFIG', mode);
      assert.equal(readdirSync(dir), [], `${mode}: nothing was created`);
    }
    // The directory of the database itself is created when its parent exists.
    new Database(join(dir, 'db'), MODES[1]![1]).close();
    assert.equal(readdirSync(dir), ['db']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad arguments are typed errors, never TypeErrors', () => {
  assert.is(code(() => new Database('' as string)), 'INVALID_ARGUMENT');
  assert.is(code(() => new Database(42 as unknown as string)), 'INVALID_ARGUMENT');
  const db = new Database(':memory:');
  assert.is(code(() => db.prepare(5 as unknown as string)), 'INVALID_ARGUMENT');
  assert.is(code(() => db.exec(null as unknown as string)), 'INVALID_ARGUMENT');
  assert.is(code(() => db.transaction(3 as unknown as () => void)), 'INVALID_ARGUMENT');
  assert.is(code(() => db.pragma(1 as unknown as string)), 'INVALID_ARGUMENT');
  db.close();
  db.close();
});

test.run();
