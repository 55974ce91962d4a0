/**
 * VACUUM and VACUUM INTO on encrypted and plain databases: VACUUM compacts
 * the store so deleted rows stop taking space (the directory shrinks) and the
 * data survives reopening; VACUUM INTO writes a copy that the same key opens,
 * another key does not, that holds no plaintext, and that is independent of
 * the source afterwards; SQLite's refusals (inside a transaction, an unknown
 * schema, a non-text or existing output) compared with better-sqlite3.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareWithSqlite, sqliteOracleLoads, ORACLE_MODES } from '../scripts/sqlite-oracle.ts';
import { Database } from './database.ts';
import { isHeliosError } from '../format/errors.ts';

const hasOracle = sqliteOracleLoads('vacuum.test');
const KEY = { raw: new Uint8Array(32).fill(9) };
const OTHER = { raw: new Uint8Array(32).fill(10) };

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'helios-vacuum-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const dirBytes = (d: string): number => readdirSync(d).reduce((a, n) => a + statSync(join(d, n)).size, 0);

test('VACUUM refusals and no-ops as SQLite', () => {
  if (!hasOracle) return;
  const d = compareWithSqlite(`CREATE TABLE t(a); INSERT INTO t VALUES(1);
BEGIN; VACUUM; VACUUM INTO 'x'; COMMIT; VACUUM foo; VACUUM temp; VACUUM main; VACUUM;
VACUUM INTO 5; VACUUM INTO NULL; VACUUM INTO x'00'; SELECT * FROM t;`);
  if (d !== null) assert.unreachable(d);
});

for (const [mode, opts] of ORACLE_MODES) {
  test(`[ENG-VACUUM-1] ${mode}: VACUUM reclaims the space of deleted rows and keeps the rest`, () => {
    withDir((dir) => {
      const path = join(dir, 'db');
      const o = { ...opts, memtableBudgetBytes: 256 * 1024 };
      let db = new Database(path, o);
      db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB); CREATE INDEX tb ON t(length(b))');
      const ins = db.prepare('INSERT INTO t(b) VALUES (randomblob(1000))');
      db.transaction(() => {
        for (let i = 0; i < 3000; i++) ins.run();
      })();
      db.exec('DELETE FROM t WHERE id > 10');
      const before = dirBytes(path);
      db.exec('VACUUM');
      const after = dirBytes(path);
      assert.ok(after < before / 4, `${before} → ${after}`);
      assert.equal(db.prepare('SELECT count(*), sum(length(b)) FROM t').raw().get(), [10, 10000]);
      db.close();
      db = new Database(path, o);
      assert.equal(db.prepare('SELECT count(*) FROM t INDEXED BY tb WHERE length(b) = 1000').pluck().get(), 10);
      db.exec('VACUUM; INSERT INTO t(b) VALUES (x\'01\'); VACUUM');
      assert.is(db.prepare('SELECT count(*) FROM t').pluck().get(), 11);
      db.close();
    });
  });

  test(`[ENG-VACUUM-1] ${mode}: VACUUM INTO writes a copy the same key opens, independent of the source`, () => {
    withDir((dir) => {
      const path = join(dir, 'db');
      const copy = join(dir, 'copy.db');
      const db = new Database(path, opts);
      db.exec("CREATE TABLE p(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE); INSERT INTO p(name) VALUES ('SECRET-PATIENT-NAME'), ('bob'); DELETE FROM p WHERE name = 'bob'");
      db.prepare('VACUUM INTO ?').run(copy);
      db.exec("INSERT INTO p(name) VALUES ('after')");
      try {
        db.exec(`VACUUM INTO '${copy}'`);
        assert.unreachable('overwrote an existing copy');
      } catch (e) {
        assert.ok(isHeliosError(e, 'SQL_ERROR') && /output file already exists/.test((e as Error).message), String(e));
      }
      writeFileSync(join(dir, 'plainfile'), 'x');
      assert.throws(() => db.exec(`VACUUM INTO '${join(dir, 'plainfile')}'`), /output file already exists/);
      mkdirSync(join(dir, 'empty'));
      db.exec(`VACUUM INTO '${join(dir, 'empty')}'`);
      // A missing directory: CONFIG (SQLITE_CANTOPEN in the drop-in, as SQLite), nothing created.
      assert.throws(() => db.exec(`VACUUM INTO '${join(dir, 'missing', 'copy.db')}'`), (e: unknown) => isHeliosError(e, 'CONFIG') && /unable to open database/.test((e as Error).message));
      assert.not.ok(existsSync(join(dir, 'missing')));
      db.close();
      if (opts.key !== undefined) {
        for (const f of readdirSync(copy)) assert.not.ok(readFileSync(join(copy, f)).includes('SECRET-PATIENT-NAME'), `plaintext in ${f}`);
        assert.throws(() => new Database(copy, { ...opts, key: OTHER }), (e: unknown) => isHeliosError(e, 'WRONG_KEY'));
      }
      const c = new Database(copy, opts);
      assert.equal(c.prepare('SELECT id, name FROM p').raw().all(), [[1, 'SECRET-PATIENT-NAME']]);
      c.exec("INSERT INTO p(name) VALUES ('in copy')");
      assert.equal(c.prepare("SELECT id FROM p WHERE name = 'in copy'").pluck().get(), 3);
      c.close();
      const e = new Database(join(dir, 'empty'), opts);
      assert.is(e.prepare('SELECT count(*) FROM p').pluck().get(), 2);
      e.close();
      const again = new Database(path, opts);
      assert.is(again.prepare('SELECT count(*) FROM p').pluck().get(), 2);
      again.close();
    });
  });
}

test('VACUUM INTO from :memory: writes the copy to disk, encrypted with its key', () => {
  withDir((dir) => {
    const copy = join(dir, 'm.db');
    const m = new Database(':memory:', { key: KEY });
    m.exec("CREATE TABLE t(a); INSERT INTO t VALUES ('memory row')");
    m.exec(`VACUUM INTO '${copy}'`);
    m.close();
    const c = new Database(copy, { key: KEY });
    assert.equal(c.prepare('SELECT a FROM t').pluck().all(), ['memory row']);
    c.close();
  });
});

test('VACUUM on a readonly handle is refused', () => {
  withDir((dir) => {
    const path = join(dir, 'db');
    new Database(path, { key: KEY }).exec('CREATE TABLE t(a)').close();
    const r = new Database(path, { key: KEY, readonly: true });
    assert.throws(() => r.exec('VACUUM'), /attempt to write a readonly database/);
    r.close();
  });
});

test('db.vacuum({ onProgress }) runs VACUUM and reports its steps and bytes, ending with all of them done', () => {
  withDir((dir) => {
    const db = new Database(join(dir, 'db'), { key: KEY, memtableBudgetBytes: 1 << 15 } as never);
    db.exec("CREATE TABLE t (i INTEGER PRIMARY KEY, s TEXT); WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 4000) INSERT INTO t SELECT x, printf('value %d', x) FROM c; DELETE FROM t WHERE i > 1000");
    const seen: { stepsDone: number; stepsTotal: number; bytesDone: number; bytesTotal: number }[] = [];
    assert.is(db.vacuum({ onProgress: (p) => seen.push(p) }), db);
    assert.ok(seen.length >= 2, JSON.stringify(seen));
    assert.equal(seen[0]!.stepsDone, 0);
    const end = seen[seen.length - 1]!;
    assert.ok(end.stepsDone >= 1 && end.stepsDone === end.stepsTotal && end.bytesDone === end.bytesTotal && end.bytesDone > 0, JSON.stringify(end));
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.bytesDone >= seen[i - 1]!.bytesDone && seen[i]!.bytesDone <= seen[i]!.bytesTotal);
    assert.is(db.prepare('SELECT count(*) FROM t').pluck().get(), 1000);
    db.exec('BEGIN');
    assert.throws(() => db.vacuum(), (e: unknown) => isHeliosError(e, 'SQL_ERROR') && /within a transaction/.test((e as Error).message));
    db.exec('ROLLBACK');
    assert.throws(() => db.vacuum({ onProgress: 3 } as never), (e: unknown) => isHeliosError(e, 'INVALID_ARGUMENT'));
    db.close();
  });
});

test.run();
