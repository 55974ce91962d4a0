/** The audit log through the public Database API (spec/audit-log.md). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database, verifyAuditLog } from './database.ts';
import { restoreBackup } from './backup.ts';
import { importSqlite } from './import/importer.ts';
import { loadSqlite } from '../fuzz/import-fixtures.ts';
import { isHeliosError } from '../format/errors.ts';

const KEY = new Uint8Array(32).fill(3);

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'helios-sql-audit-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ops = (log: string): string[] => readFileSync(log, 'latin1').trim().split('\n').map((l) => `${l.split('\t')[4]} ${l.split('\t')[5]}`);

test('[AUD-OPS-1] PRAGMA integrity_check is logged as a verification, key operations through Database too', () => {
  withDir((dir) => {
    const log = join(dir, 'audit.log');
    const db = new Database(join(dir, 'db'), { key: { raw: KEY }, auditLog: { path: log } });
    db.exec('CREATE TABLE t (a)');
    assert.is(db.pragma('integrity_check', { simple: true }), 'ok');
    db.rotateDataKey({ rewrite: true });
    db.close();
    assert.equal(ops(log), ['open ok', 'verify ok', 'rotate ok', 'close ok']);
    const r = verifyAuditLog(join(dir, 'db'), { key: { raw: KEY }, auditLogPath: log });
    assert.ok(r.ok);
    assert.is(r.verified, 4);
    assert.is(r.checkpointSeq, 4);
  });
});

test('[AUD-KEY-1] an unencrypted database keeps a chained log too (its key is public, so it only detects accidents)', () => {
  withDir((dir) => {
    const log = join(dir, 'audit.log');
    new Database(join(dir, 'db'), { encryption: false, auditLog: { path: log } }).close();
    const db = new Database(join(dir, 'db'), { encryption: false, auditLog: { path: log, routine: false } });
    const r = db.verifyAuditLog();
    assert.ok(r.ok);
    assert.is(r.verified, 2);
    db.close();
  });
});

test('[AUD-VERIFY-1] verifyAuditLog needs a path when the handle has no audit log; bad options are INVALID_ARGUMENT', () => {
  withDir((dir) => {
    const db = new Database(join(dir, 'db'), { key: { raw: KEY } });
    assert.throws(() => db.verifyAuditLog(), (e: unknown) => isHeliosError(e, 'CONFIG'));
    assert.throws(() => db.verifyAuditLog(''), (e: unknown) => isHeliosError(e, 'INVALID_ARGUMENT'));
    const missing = db.verifyAuditLog(join(dir, 'none.log'));
    assert.ok(missing.ok, 'no file and no checkpoint: an empty log');
    assert.is(missing.entries, 0);
    db.close();
    assert.throws(() => new Database(join(dir, 'db'), { key: { raw: KEY }, auditLog: { path: '' } }), (e: unknown) => isHeliosError(e, 'INVALID_ARGUMENT'));
    assert.throws(() => new Database(join(dir, 'db'), { key: { raw: KEY }, rotationIntervalDays: 0 }), (e: unknown) => isHeliosError(e, 'INVALID_ARGUMENT'));
  });
});

test('[AUD-OPS-1] backup, verifyIntegrity, restore and import file their entries through the hook', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'helios-sql-audit-'));
  try {
    const log = join(dir, 'audit.log');
    const db = new Database(join(dir, 'db'), { key: { raw: KEY }, auditLog: { path: log, routine: false } });
    db.exec('CREATE TABLE t (a); INSERT INTO t VALUES (1)');
    await db.backup(join(dir, 'bak'));
    assert.ok(db.verifyIntegrity().ok);
    let failed: unknown = null;
    await db.backup(join(dir, 'bak')).catch((e: unknown) => (failed = e)); // exists: CONFIG
    assert.ok(isHeliosError(failed, 'CONFIG'));
    db.close();
    assert.equal(ops(log), ['backup ok', 'verify ok', 'backup error-config']);
    const rlog = join(dir, 'restore.log');
    restoreBackup(join(dir, 'bak'), join(dir, 'restored'), { key: { raw: KEY }, auditLog: { path: rlog, routine: false } });
    assert.equal(ops(rlog), ['restore ok']);
    assert.ok(verifyAuditLog(join(dir, 'restored'), { key: { raw: KEY }, auditLogPath: rlog }).ok);
    const sqlite = loadSqlite('better-sqlite3', 'audit.test (the import entry)');
    if (sqlite !== null) {
      const src = join(dir, 'src.sqlite');
      const s = new sqlite(src);
      s.exec('CREATE TABLE u (b); INSERT INTO u VALUES (2)');
      s.close();
      const ilog = join(dir, 'import.log');
      importSqlite(src, join(dir, 'imported'), { key: { raw: KEY }, auditLog: { path: ilog, routine: false } });
      assert.equal(ops(ilog), ['import ok']);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
