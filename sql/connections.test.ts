/**
 * Several SQL handles on one database (spec/connections.md): HeliosDB's own Database and the
 * better-sqlite3 drop-in, on encrypted databases in real directories.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from './database.ts';
import { Sqlite3Database } from './compat.ts';
import { isHeliosError } from '../format/errors.ts';

const KEY = new Uint8Array(32).map((_, i) => 3 * i + 1);

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'helios-conn-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function codeOf(fn: () => unknown): string | null {
  try {
    fn();
  } catch (e) {
    return isHeliosError(e) ? e.code : String((e as { code?: unknown }).code ?? e);
  }
  return null;
}

const count = (db: Database, table = 't'): unknown => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get();

test('[SQL-SHARE-1] a transaction reads its snapshot; the other handle sees the commit at its next read', () => {
  withDir((dir) => {
    const a = new Database(join(dir, 'db'), { key: { raw: KEY } });
    a.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1), (2)');
    const b = new Database(join(dir, 'db'), { key: { raw: KEY } });
    b.exec('BEGIN');
    assert.is(count(b), 2);
    a.exec('INSERT INTO t VALUES (3)');
    assert.is(count(b), 2, 'inside its transaction, b keeps its snapshot');
    b.exec('COMMIT');
    assert.is(count(b), 3, 'the next read transaction sees the commit');
    // An open iterator keeps its snapshot while the other handle commits.
    const it = b.prepare('SELECT x FROM t ORDER BY x').pluck().iterate();
    assert.is(it.next().value, 1);
    a.exec('DELETE FROM t');
    assert.equal([...it], [2, 3]);
    assert.is(count(b), 0);
    a.close();
    b.close();
  });
});

test('[SQL-SHARE-2] one writer at a time: the other waits busy_timeout, then LOCKED; the slot returns at COMMIT, ROLLBACK and close', () => {
  withDir((dir) => {
    const a = new Database(join(dir, 'db'), { key: { raw: KEY } });
    a.exec('CREATE TABLE t (x)');
    const b = new Database(join(dir, 'db'), { key: { raw: KEY } });
    a.exec('BEGIN; INSERT INTO t VALUES (1)');
    assert.is(codeOf(() => b.exec('INSERT INTO t VALUES (2)')), 'LOCKED');
    b.exec('PRAGMA busy_timeout = 120');
    const t0 = Date.now();
    assert.is(codeOf(() => b.exec('BEGIN IMMEDIATE')), 'LOCKED');
    assert.ok(Date.now() - t0 >= 119, 'waited the busy timeout');
    assert.not.ok(b.inTransaction, 'a BEGIN that could not take the slot starts nothing');
    assert.is(count(b), 0, 'reads go on meanwhile');
    a.exec('COMMIT');
    b.exec('INSERT INTO t VALUES (2)');
    b.exec('BEGIN IMMEDIATE');
    assert.is(codeOf(() => a.exec('UPDATE t SET x = x + 1')), 'LOCKED');
    b.exec('ROLLBACK');
    a.exec('UPDATE t SET x = x + 1');
    b.exec('BEGIN; DELETE FROM t');
    b.close(); // rolls back and gives the slot back
    a.exec('INSERT INTO t VALUES (9)');
    assert.equal(a.prepare('SELECT x FROM t ORDER BY x').pluck().all(), [2, 3, 9]);
    a.close();
  });
});

test('[SQL-SHARE-3] a transaction that read before another handle committed cannot write', () => {
  withDir((dir) => {
    const a = new Database(join(dir, 'db'), { key: { raw: KEY } });
    a.exec('CREATE TABLE t (x)');
    const b = new Database(join(dir, 'db'), { key: { raw: KEY } });
    b.exec('BEGIN');
    assert.is(count(b), 0);
    a.exec('INSERT INTO t VALUES (1)');
    assert.is(codeOf(() => b.exec('INSERT INTO t VALUES (2)')), 'LOCKED');
    assert.ok(b.inTransaction, 'the transaction stays open');
    b.exec('ROLLBACK');
    b.exec('INSERT INTO t VALUES (2)');
    assert.is(count(a), 2);
    // BEGIN alone reads nothing: a commit between BEGIN and the first statement is fine.
    b.exec('BEGIN');
    a.exec('INSERT INTO t VALUES (3)');
    b.exec('INSERT INTO t VALUES (4); COMMIT');
    assert.is(count(a), 4);
    a.close();
    b.close();
  });
});

test('[SQL-SHARE-4] schema changes and rowids of one handle reach the other, prepared statements included', () => {
  withDir((dir) => {
    const a = new Database(join(dir, 'db'), { key: { raw: KEY } });
    a.exec('CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, v)');
    const b = new Database(join(dir, 'db'), { key: { raw: KEY } });
    const insA = a.prepare('INSERT INTO t (v) VALUES (?)');
    const insB = b.prepare('INSERT INTO t (v) VALUES (?)');
    const ids: unknown[] = [];
    for (let i = 0; i < 6; i++) ids.push((i % 2 === 0 ? insA : insB).run(i).lastInsertRowid);
    assert.equal(ids, [1, 2, 3, 4, 5, 6], 'no rowid is taken twice');
    const sel = b.prepare('SELECT * FROM t ORDER BY id LIMIT 1');
    a.exec('ALTER TABLE t ADD COLUMN w DEFAULT 7; CREATE TABLE u (z)');
    assert.equal(sel.get(), { id: 1, v: 0, w: 7 }, 'the prepared statement recompiled against the new schema');
    b.exec('INSERT INTO u VALUES (1)');
    assert.is(count(a, 'u'), 1);
    a.exec('DROP TABLE u');
    assert.is(codeOf(() => b.prepare('SELECT * FROM u')), 'SQL_ERROR');
    b.exec('CREATE TEMP TABLE mine (q)');
    assert.is(codeOf(() => a.prepare('SELECT * FROM mine')), 'SQL_ERROR', 'TEMP tables are each handle\'s own');
    a.close();
    b.close();
  });
});

test('[SQL-SHARE-2] [ENG-SHARE-1] the drop-in: a second connection through a symlink, busy timeout, SQLITE_BUSY', () => {
  withDir((dir) => {
    const path = join(dir, 'db');
    const blocker = new Sqlite3Database(path, { key: { raw: KEY } });
    blocker.exec('CREATE TABLE t (x); BEGIN EXCLUSIVE');
    symlinkSync(path, join(dir, 'alias'));
    const other = new Sqlite3Database(join(dir, 'alias'), { key: { raw: KEY }, timeout: 50 });
    const t0 = Date.now();
    let err: { code?: string; name?: string } | null = null;
    try {
      other.exec('BEGIN EXCLUSIVE');
    } catch (e) {
      err = e as { code?: string };
    }
    assert.is(err?.code, 'SQLITE_BUSY');
    assert.is(err?.name, 'SqliteError');
    assert.ok(Date.now() - t0 >= 49);
    blocker.close();
    other.exec('BEGIN EXCLUSIVE; INSERT INTO t VALUES (1); COMMIT');
    assert.is(other.prepare('SELECT count(*) FROM t').pluck().get(), 1);
    other.close();
  });
});

test.run();
