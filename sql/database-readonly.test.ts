/**
 * Readonly handles and the rollback witness through the public Database API
 * (spec/format.md [ENG-RO-1], [ENG-WIT-1]).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from './database.ts';
import { isHeliosError } from '../format/errors.ts';

const KEY = new Uint8Array(32).fill(9);

function code(fn: () => unknown): string | null {
  try {
    fn();
  } catch (e) {
    return isHeliosError(e) ? e.code : `not typed: ${String(e)}`;
  }
  return null;
}

function fingerprint(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .map((n) => `${n}:${statSync(join(dir, n)).size}:${readFileSync(join(dir, n)).toString('hex')}`);
}

test('[ENG-RO-1] a readonly Database writes nothing, reads beside a live writer, and refuses a missing path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'helios-ro-'));
  try {
    const path = join(dir, 'db');
    const w = new Database(path, { key: { raw: KEY } });
    w.exec('CREATE TABLE t(x); INSERT INTO t VALUES (1), (2), (3)');
    // Beside the live writer of this process: a readonly handle shares its open database [ENG-SHARE-4],
    // sees the committed rows, and each later read sees the newest commit (as a SQLite reader does).
    const ro = new Database(path, { key: { raw: KEY }, readonly: true });
    assert.is(ro.prepare('SELECT count(*) FROM t').pluck().get(), 3);
    w.exec('INSERT INTO t VALUES (4)');
    assert.is(ro.prepare('SELECT count(*) FROM t').pluck().get(), 4, 'the newest commit');
    assert.is(code(() => ro.exec('INSERT INTO t VALUES (5)')), 'SQL_ERROR');
    ro.close();
    w.close();
    const before = fingerprint(path);
    const ro2 = new Database(path, { key: { raw: KEY }, readonly: true });
    assert.is(ro2.prepare('SELECT sum(x) FROM t').pluck().get(), 10);
    ro2.close();
    assert.equal(fingerprint(path), before);
    assert.is(code(() => new Database(join(dir, 'missing'), { key: { raw: KEY }, readonly: true })), 'CONFIG');
    assert.not.ok(existsSync(join(dir, 'missing')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('[ENG-WIT-1] a Database with a rollback witness refuses a directory restored from an older copy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'helios-wit-'));
  try {
    const path = join(dir, 'db');
    const witness = { path: join(dir, 'witness') };
    let db = new Database(path, { key: { raw: KEY }, rollbackWitness: witness });
    db.exec('CREATE TABLE ledger(amount); INSERT INTO ledger VALUES (100)');
    db.close();
    cpSync(path, join(dir, 'saved'), { recursive: true });
    db = new Database(path, { key: { raw: KEY }, rollbackWitness: witness });
    db.exec('INSERT INTO ledger VALUES (-100)');
    db.close();
    rmSync(path, { recursive: true });
    cpSync(join(dir, 'saved'), path, { recursive: true });
    assert.is(code(() => new Database(path, { key: { raw: KEY }, rollbackWitness: witness })), 'CORRUPTION');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
