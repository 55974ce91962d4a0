/**
 * Backups through the public API (spec/backup.md): a consistent point while
 * commits go on, backup sets sharing unchanged tables, retention, other-key
 * and plain copies, verification without restoring, restore, tampering,
 * and a backup process killed with SIGKILL.
 *
 * This file is its own child process: with HELIOS_BACKUP_CHILD set it opens
 * that database and runs a slow backup until the parent kills it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HeliosError } from '../format/errors.ts';
import { Database } from './database.ts';
import { listBackups, restoreBackup, verifyBackup } from './backup.ts';
import { loadConfig, openDatabaseFromConfig, parseConfig } from './config-loader.ts';
import { openEngine } from '../engine/engine.ts';

const KEY = { raw: new Uint8Array(32).fill(7) };
const OTHER = { raw: new Uint8Array(32).fill(9) };
const KEY_HEX = '07'.repeat(32);
const SMALL = { memtableBudgetBytes: 1 << 16 };

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return e instanceof HeliosError ? e.code : `non-helios ${String(e)}`;
  }
  return 'none';
}
async function codeAsync(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return e instanceof HeliosError ? e.code : `non-helios ${String(e)}`;
  }
  return 'none';
}

function fill(db: Database, from: number, to: number): void {
  const ins = db.prepare('INSERT INTO t (id, name, body) VALUES (?, ?, ?)');
  db.transaction(() => {
    for (let i = from; i < to; i++) ins.run(i, `name-${i}`, `body ${i} `.repeat(20));
  })();
}

function freshDb(dir: string, rows = 2000): Database {
  const db = new Database(join(dir, 'src.db'), { key: KEY, ...SMALL });
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, body TEXT); CREATE INDEX t_name ON t(name)');
  fill(db, 0, rows);
  return db;
}

function count(path: string, key: typeof KEY | null = KEY): number {
  const db = new Database(path, key === null ? { fileMustExist: true } : { key, fileMustExist: true });
  try {
    return db.prepare('SELECT count(*) FROM t').pluck().get() as number;
  } finally {
    db.close();
  }
}

function flipByte(path: string, offset: number): void {
  const b = readFileSync(path);
  b[offset] = b[offset]! ^ 0x40;
  writeFileSync(path, b);
}

const childDir = process.env.HELIOS_BACKUP_CHILD;
if (childDir !== undefined) {
  const db = new Database(join(childDir, 'src.db'), { key: { env: 'HELIOS_TEST_KEY' } });
  let told = false;
  void db.backup(join(childDir, 'set'), {
    set: true,
    progress: () => {
      if (!told) writeSync(1, 'copying\n');
      told = true;
      const until = Date.now() + 20;
      while (Date.now() < until) {
        // slow every slice so the parent's SIGKILL lands mid-backup
      }
    },
  });
} else {
  const tmp = (): string => mkdtempSync(join(tmpdir(), 'helios-backup-'));

  test('[ENG-BAK-POINT-1] a backup holds exactly the commits made before the call, while commits go on during it', async () => {
    const dir = tmp();
    try {
      const db = freshDb(dir, 3000);
      assert.ok(db.storageInfo().encryptionEnabled);
      let progressCalls = 0;
      let last = { filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0 };
      let next = 10_000;
      const p = db.backup(join(dir, 'b1'), {
        progress: (x) => {
          progressCalls++;
          last = x;
          // Commits (and with them flushes and compactions) while the backup copies: not in it.
          fill(db, next, next + 300);
          next += 300;
        },
      });
      fill(db, 3000, 3500);
      const r = await p;
      assert.is(r.mode, 'sealed');
      assert.ok(r.filesTotal >= 5, `files ${r.filesTotal}`);
      assert.ok(progressCalls >= 2);
      assert.is(last.filesDone, last.filesTotal);
      assert.is(last.bytesDone, last.bytesTotal);
      assert.is(r.bytesTotal, last.bytesTotal);
      assert.ok(readdirSync(dir).every((n) => !n.endsWith('.partial')));
      assert.is(count(r.path), 3000);
      assert.is(code(() => count(r.path, OTHER)), 'WRONG_KEY');
      const b = new Database(r.path, { key: KEY, readonly: true });
      assert.equal(b.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
      assert.is(b.prepare('SELECT body FROM t WHERE name = ?').pluck().get('name-2999'), `body 2999 `.repeat(20));
      b.close();
      assert.ok((db.prepare('SELECT count(*) FROM t').pluck().get() as number) > 3500, `commits went on during the backup: ${String(db.prepare('SELECT count(*) FROM t').pluck().get())} ${progressCalls}`);
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('[ENG-BAK-ATOMIC-1] a backup never writes into an existing non-empty directory; a readonly handle cannot back up', async () => {
    const dir = tmp();
    try {
      const db = freshDb(dir, 10);
      writeFileSync(join(dir, 'file'), 'x');
      assert.is(await codeAsync(db.backup(join(dir, 'file'))), 'CONFIG');
      assert.is(await codeAsync(db.backup(dir)), 'CONFIG');
      assert.is(await codeAsync(db.backup()), 'CONFIG');
      assert.is(await codeAsync(db.backup(join(dir, 'x'), { plain: true, key: OTHER })), 'INVALID_ARGUMENT');
      db.close();
      const ro = new Database(join(dir, 'src.db'), { key: KEY, readonly: true });
      assert.is(await codeAsync(ro.backup(join(dir, 'y'))), 'READONLY');
      ro.close();
      assert.is(existsSync(join(dir, 'y')), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('[ENG-BAK-SET-1] [ENG-BAK-SET-2] a backup set: the second backup links the unchanged tables of the first and copies only new files', async () => {
    const dir = tmp();
    try {
      const db = freshDb(dir, 3000);
      const set = join(dir, 'set');
      const r1 = await db.backup(set, { set: true });
      assert.is(r1.setPath, set);
      assert.is(r1.filesLinked, 0);
      fill(db, 3000, 3100);
      const r2 = await db.backup(set, { set: true });
      assert.ok(r2.filesLinked > 0, `linked ${r2.filesLinked}`);
      assert.ok(r2.bytesCopied < r2.bytesTotal / 2, `copied ${r2.bytesCopied} of ${r2.bytesTotal}`);
      const shared = readdirSync(r2.path).filter((n) => n.endsWith('.sst') && existsSync(join(r1.path, n)));
      assert.ok(shared.length > 0);
      for (const n of shared) assert.is(statSync(join(r2.path, n)).ino, statSync(join(r1.path, n)).ino);
      assert.equal(listBackups(set).map((b) => b.path), [r1.path, r2.path]);
      assert.is(count(r1.path), 3000);
      assert.is(count(r2.path), 3100);
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('[ENG-BAK-SET-3] retention removes old backups of a set, never the newest, and the newer ones still open and verify', async () => {
    const dir = tmp();
    try {
      const db = freshDb(dir, 2000);
      const set = join(dir, 'set');
      const day = 86_400_000;
      const nameAt = (ms: number): string => new Date(ms).toISOString().replace(/[-:.]/g, '');
      const r1 = await db.backup(set, { set: true });
      // Backups made "400 and 200 days ago": rename them as the clock would have named them.
      const n1 = nameAt(Date.now() - 400 * day);
      const old1 = join(set, n1);
      renameSync(r1.path, old1);
      fill(db, 2000, 2050);
      const r2 = await db.backup(set, { set: true });
      const old2 = join(set, nameAt(Date.now() - 200 * day));
      renameSync(r2.path, old2);
      fill(db, 2050, 2100);
      const r3 = await db.backup(set, { set: true, retentionDays: 365 });
      assert.equal(r3.pruned, [n1]);
      assert.equal(listBackups(set).map((b) => b.path), [old2, r3.path]);
      assert.ok(r3.filesLinked > 0);
      assert.is(count(old2), 2050);
      assert.is(count(r3.path), 2100);
      assert.ok(verifyBackup(old2, { key: KEY }).ok);
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a backup with another key opens with that key only; a plain backup only when asked, with no key at all', async () => {
    const dir = tmp();
    try {
      const db = freshDb(dir, 1500);
      const r = await db.backup(join(dir, 'other'), { key: OTHER });
      assert.is(r.mode, 'rekeyed');
      assert.is(count(r.path, OTHER), 1500);
      assert.is(code(() => count(r.path, KEY)), 'WRONG_KEY');
      const p = await db.backup(join(dir, 'plain'), { plain: true });
      assert.is(p.mode, 'plain');
      assert.is(count(p.path, null), 1500);
      const pd = new Database(p.path, {});
      assert.is(pd.storageInfo().encryptionEnabled, false);
      pd.close();
      // the plain copy really is plain: the row text is in its files
      const files = readdirSync(p.path).map((n) => readFileSync(join(p.path, n)).toString('latin1')).join('');
      assert.ok(files.includes('name-1234'));
      const sealed = await db.backup(join(dir, 'sealed'));
      const sfiles = readdirSync(sealed.path).map((n) => readFileSync(join(sealed.path, n)).toString('latin1')).join('');
      assert.not.ok(sfiles.includes('name-1234'));
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('[ENG-BAK-VERIFY-2] [ENG-BAK-RESTORE-1] verify finds a flipped byte in any file of a backup; restore refuses it and restores a good one', async () => {
    const dir = tmp();
    try {
      const db = freshDb(dir, 3000);
      fill(db, 3000, 3010); // some rows only in the WAL
      const r = await db.backup(join(dir, 'b'));
      db.close();
      const good = verifyBackup(r.path, { key: KEY });
      assert.ok(good.ok, good.problems.join('\n'));
      assert.ok(good.files.some((f) => f.kind === 'table') && good.files.some((f) => f.kind === 'wal'));
      assert.ok(good.blocksChecked > good.filesChecked);
      assert.is(good.tablesChecked, 1);
      assert.is(good.indexesChecked, 1);
      const restored = restoreBackup(r.path, join(dir, 'restored'), { key: KEY });
      assert.ok(restored.verified);
      assert.is(count(restored.path), 3010);
      for (const ext of ['.sst', '.wal']) {
        const name = readdirSync(r.path).find((n) => n.endsWith(ext))!;
        const copy = join(dir, `t${ext}`);
        rmSync(copy, { recursive: true, force: true });
        // tamper a copy of the backup
        const bad = join(dir, `bad${ext}`);
        restoreBackup(r.path, bad, { key: KEY, verify: false });
        flipByte(join(bad, name), statSync(join(bad, name)).size - 200);
        const rep = verifyBackup(bad, { key: KEY });
        assert.is(rep.ok, false, ext);
        assert.ok(rep.problems.some((p) => p.includes(name)), rep.problems.join('\n'));
        assert.is(code(() => restoreBackup(bad, join(dir, `restored${ext}`), { key: KEY })), 'CORRUPTION');
        assert.is(existsSync(join(dir, `restored${ext}`)), false);
      }
      assert.is(code(() => verifyBackup(r.path, { key: OTHER })), 'WRONG_KEY');
      assert.is(code(() => restoreBackup(r.path, restored.path, { key: KEY })), 'CONFIG');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('[ENG-BAK-VERIFY-1] db.verifyIntegrity and PRAGMA integrity_check authenticate every block of the live files: a flipped table byte is reported', () => {
    const dir = tmp();
    try {
      const path = join(dir, 'src.db');
      const db = freshDb(dir, 3000);
      const seen: string[] = [];
      const rep = db.verifyIntegrity({ onProgress: (p) => seen.push(p.phase) });
      assert.ok(rep.ok, rep.problems.join('\n'));
      assert.ok(seen.includes('files') && seen.includes('sql'));
      assert.ok(rep.files.some((f) => f.kind === 'table'));
      assert.equal(db.pragma('quick_check'), [{ quick_check: 'ok' }]);
      const sst = readdirSync(path).find((n) => n.endsWith('.sst'))!;
      // A byte of a data block flipped on disk under the open handle (whose cache may hold that block): the check reads the disk.
      flipByte(join(path, sst), 100);
      const bad = db.verifyIntegrity();
      assert.is(bad.ok, false);
      assert.ok(bad.files.find((f) => f.name === sst)!.error !== null);
      const lines = (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check);
      assert.ok(lines.some((l) => l.startsWith(sst)), lines.join('\n'));
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('[ENG-BAK-VERIFY-1] the SQL level: an index entry removed underneath (authentic bytes, inconsistent data) is reported by verifyIntegrity, integrity_check and verifyBackup', async () => {
    const dir = tmp();
    try {
      const path = join(dir, 'src.db');
      const db0 = freshDb(dir, 100);
      db0.close();
      // Remove one entry of the index at the engine level: every byte stays authentic, the SQL level is now wrong.
      const e = openEngine(path, { key: KEY });
      const groups = new Map<string, { keys: Uint8Array[]; maxValue: number }>();
      const it = e.iterator();
      while (it.next()) {
        const g = Buffer.from(it.key().subarray(0, 4)).toString('hex');
        const x = groups.get(g) ?? { keys: [], maxValue: 0 };
        x.keys.push(it.key().slice());
        x.maxValue = Math.max(x.maxValue, it.value().length);
        groups.set(g, x);
      }
      it.close();
      const index = [...groups.values()].find((g) => g.keys.length === 100 && g.maxValue <= 9)!;
      assert.ok(index !== undefined, 'found the index entries');
      e.delete(index.keys[50]!);
      e.close();
      const db = new Database(path, { key: KEY });
      const rep = db.verifyIntegrity();
      assert.is(rep.ok, false);
      assert.ok(rep.files.every((f) => f.error === null), 'the files are authentic');
      assert.ok(rep.problems.some((p) => /missing from index t_name/.test(p)), rep.problems.join('\n'));
      assert.ok(rep.problems.some((p) => /wrong # of entries in index t_name/.test(p)), rep.problems.join('\n'));
      assert.not.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      const b = await db.backup(join(dir, 'b'));
      db.close();
      assert.is(verifyBackup(b.path, { key: KEY }).ok, false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('[ENG-BAK-VERIFY-1] the SQL level: a row that breaks its table\'s CHECK constraint (moved in underneath) is reported as SQLite words it', () => {
    const dir = tmp();
    try {
      const path = join(dir, 'c.db');
      const db0 = new Database(path, { key: KEY });
      db0.exec('CREATE TABLE loose (id INTEGER PRIMARY KEY, x INTEGER); CREATE TABLE strict (id INTEGER PRIMARY KEY, x INTEGER CHECK (x > 0))');
      for (let i = 0; i < 7; i++) db0.prepare('INSERT INTO loose VALUES (?, -1)').run(100 + i);
      for (let i = 0; i < 11; i++) db0.prepare('INSERT INTO strict VALUES (?, 5)').run(i + 1);
      assert.is(db0.pragma('integrity_check', { simple: true }), 'ok');
      db0.close();
      const e = openEngine(path, { key: KEY });
      const groups = new Map<string, { key: Uint8Array; value: Uint8Array }[]>();
      const it = e.iterator();
      while (it.next()) {
        const g = Buffer.from(it.key().subarray(0, 4)).toString('hex');
        groups.set(g, [...(groups.get(g) ?? []), { key: it.key().slice(), value: it.value().slice() }]);
      }
      it.close();
      const loose = [...groups.values()].find((g) => g.length === 7)!;
      const strict = [...groups.values()].find((g) => g.length === 11)!;
      // loose's row 100 (x = -1) under strict's prefix, same rowid 100: a row strict's CHECK forbids.
      const key = new Uint8Array(loose[0]!.key);
      key.set(strict[0]!.key.subarray(0, 4), 0);
      e.put(key, loose[0]!.value);
      e.close();
      const db = new Database(path, { key: KEY });
      assert.is(db.prepare('SELECT x FROM strict WHERE id = 100').pluck().get(), -1);
      assert.equal(db.verifyIntegrity().problems, ['CHECK constraint failed in strict']);
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('[ENG-BAK-ATOMIC-1] a backup process killed with SIGKILL leaves no backup under its name; the next backup and a restore work', async () => {
    const dir = tmp();
    try {
      const db = freshDb(dir, 6000);
      fill(db, 6000, 6100);
      const set = join(dir, 'set');
      const first = await db.backup(set, { set: true });
      fill(db, 6100, 9000);
      db.close();
      const work = mkdtempSync(join(tmpdir(), 'helios-backup-child-'));
      const self = join(work, 'child.mjs');
      copyFileSync(fileURLToPath(import.meta.url), self);
      const child = spawn(process.execPath, [self], { env: { ...process.env, HELIOS_BACKUP_CHILD: dir, HELIOS_TEST_KEY: KEY_HEX }, stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => {
          if (d.toString().includes('copying')) {
            setTimeout(() => {
              child.kill('SIGKILL');
              resolve();
            }, 60);
          }
        });
        child.on('exit', (c, s) => {
          if (s !== 'SIGKILL') reject(new Error(`child exited ${c} ${s}: ${err}`));
        });
      });
      await new Promise((r) => child.on('exit', r));
      rmSync(work, { recursive: true, force: true });
      const names = readdirSync(set);
      assert.ok(names.some((n) => n.endsWith('.partial')), names.join(','));
      assert.equal(listBackups(set).map((b) => b.path), [first.path]);
      // the source survived the kill (its lock is taken over from the dead process)
      const again = new Database(join(dir, 'src.db'), { key: KEY });
      assert.is(again.prepare('SELECT count(*) FROM t').pluck().get(), 9000);
      const next = await again.backup(set, { set: true });
      again.close();
      assert.ok(readdirSync(set).every((n) => !n.endsWith('.partial')));
      assert.equal(listBackups(set).map((b) => b.path), [first.path, next.path]);
      const restored = restoreBackup(set, join(dir, 'restored'), { key: KEY });
      assert.is(restored.source, next.path);
      assert.is(count(restored.path), 9000);
      assert.is(count(restoreBackup(set, join(dir, 'older'), { key: KEY, name: listBackups(set)[0]!.name }).path), 6100);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('[ENG-BAK-SET-3] the seed\'s GDPR configuration: [backup] makes db.backup() write sealed, incremental backups beside the database and prune after 365 days', async () => {
    const dir = tmp();
    try {
      const file = join(process.cwd(), 'sql', 'testdata', 'config', 'heliosdb_gdpr.toml');
      const c = loadConfig(file);
      assert.ok(c.backup !== null);
      assert.is(c.backup!.encryption, true);
      assert.is(c.backup!.retentionDays, 365);
      for (const k of ['backup.backup_enabled', 'backup.backup_encryption', 'backup.backup_retention_days']) {
        assert.ok(c.applied.some((s) => s.key === k), k);
        assert.not.ok(c.ignored.some((s) => s.key === k), k);
      }
      const dbPath = join(dir, 'saas.db');
      const db = openDatabaseFromConfig(file, { path: dbPath, key: KEY });
      db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, body TEXT)');
      fill(db, 0, 500);
      const set = `${dbPath}.backups`;
      // An old backup, as if made 400 days ago, to be pruned by backup_retention_days = 365.
      const r0 = await db.backup();
      const oldName = new Date(Date.now() - 400 * 86_400_000).toISOString().replace(/[-:.]/g, '');
      renameSync(r0.path, join(set, oldName));
      fill(db, 500, 600);
      const r = await db.backup();
      assert.is(r.setPath, set);
      assert.is(r.mode, 'sealed');
      assert.equal(r.pruned, [oldName]);
      assert.equal(listBackups(set).map((b) => b.path), [r.path]);
      db.close();
      assert.is(count(r.path), 600);
      assert.is(code(() => count(r.path, null)), 'CONFIG');

      // backup_encryption = false: the configured set gets plain copies; backup_enabled = false: none.
      const text = readFileSync(file, 'utf8').replace('backup_encryption = true', 'backup_encryption = false');
      const plainCfg = parseConfig(text, join(dir, 'plain.toml'));
      const db2 = openDatabaseFromConfig(plainCfg, { path: join(dir, 'p.db'), key: KEY });
      db2.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, body TEXT)');
      fill(db2, 0, 10);
      const rp = await db2.backup();
      assert.is(rp.mode, 'plain');
      assert.is(rp.setPath, join(dir, 'p.db.backups'));
      db2.close();
      assert.is(count(rp.path, null), 10);
      const off = parseConfig(text.replace('backup_enabled = true', 'backup_enabled = false'), join(dir, 'off.toml'));
      assert.is(off.backup, null);
      assert.ok(off.ignored.some((s) => s.key === 'backup.backup_retention_days'));
      const db3 = openDatabaseFromConfig(off, { path: join(dir, 'o.db'), key: KEY });
      assert.is(await codeAsync(db3.backup()), 'CONFIG');
      db3.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('[ENG-BAK-ATOMIC-1] closing the database during a backup rejects it with CLOSED and leaves no backup behind', async () => {
    const dir = tmp();
    try {
      const db = freshDb(dir, 3000);
      let calls = 0;
      const p = db.backup(join(dir, 'b'), {
        progress: () => {
          if (++calls === 2) db.close();
        },
      });
      assert.is(await codeAsync(p), 'CLOSED');
      assert.is(existsSync(join(dir, 'b')), false);
      assert.is(existsSync(join(dir, 'b.partial')), false);
      assert.is(count(join(dir, 'src.db')), 3000, 'the source is intact');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an in-memory database backs up to a directory that opens as a database', async () => {
    const dir = tmp();
    try {
      const db = new Database(':memory:', { key: KEY });
      db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, body TEXT)');
      fill(db, 0, 100);
      const r = await db.backup(join(dir, 'm'));
      db.close();
      assert.is(count(r.path), 100);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a backup of a database whose table file is already damaged fails with CORRUPTION naming the file, and leaves no backup [ENG-BAK-AUTH-1]', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'helios-bak-damaged-'));
  try {
    const db = freshDb(dir);
    db.close();
    const src = join(dir, 'src.db');
    const sst = readdirSync(src).filter((f) => f.endsWith('.sst')).sort();
    assert.ok(sst.length > 0);
    // Damage in the middle of a data block of a table: opening does not read it.
    const victim = join(src, sst[0]!);
    flipByte(victim, statSync(victim).size >> 2);
    const again = new Database(src, { key: KEY, ...SMALL, fileMustExist: true });
    try {
      let err: unknown = null;
      try {
        await again.backup(join(dir, 'bk'));
      } catch (e) {
        err = e;
      }
      assert.ok(err instanceof HeliosError && err.code === 'CORRUPTION', String(err));
      assert.match((err as Error).message, new RegExp(`backup refused: ${sst[0]!.replace('.', '\\.')} of the database does not authenticate`));
      assert.is((err as HeliosError).details?.file, sst[0]);
      assert.not.ok(existsSync(join(dir, 'bk')), 'no directory under the final name');
      assert.not.ok(existsSync(join(dir, 'bk.partial')), 'the partial copy is removed');
      // A set is refused the same way, and the database itself stays usable.
      assert.is(await codeAsync(again.backup(join(dir, 'set'), { set: true })), 'CORRUPTION');
      assert.equal(listBackups(join(dir, 'set')), []);
      again.prepare('INSERT INTO t (id, name, body) VALUES (?, ?, ?)').run(99_999, 'n', 'b');
    } finally {
      again.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a table shared with the previous backup of a set is authenticated too: damage there since is not carried on [ENG-BAK-AUTH-1]', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'helios-bak-shared-'));
  try {
    const db = freshDb(dir);
    try {
      const first = await db.backup(join(dir, 'set'), { set: true });
      const shared = readdirSync(first.path).filter((f) => f.endsWith('.sst')).sort();
      flipByte(join(first.path, shared[0]!), statSync(join(first.path, shared[0]!)).size >> 2);
      let err: unknown = null;
      try {
        await db.backup(join(dir, 'set'), { set: true });
      } catch (e) {
        err = e;
      }
      assert.ok(err instanceof HeliosError && err.code === 'CORRUPTION', String(err));
      assert.match((err as Error).message, new RegExp(shared[0]!.replace('.', '\\.')));
      assert.is(listBackups(join(dir, 'set')).length, 1, 'only the first backup');
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
}
