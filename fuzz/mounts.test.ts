// Real file systems for the operations of this release: a read-only mount (a
// new database, an audit log) and a full tmpfs as a backup destination. Each
// must be a typed error with the OS's own reason, leave nothing behind and
// keep the source database whole.
//
// The mounts need root and mount(8); otherwise those tests print why they are
// skipped. Every mount is released in a finally.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../sql/database.ts';
import { isHeliosError } from '../format/errors.ts';

const KEY = { raw: new Uint8Array(32).fill(9) };

function mount(args: string[]): boolean {
  return spawnSync('mount', args, { encoding: 'utf8' }).status === 0;
}

/** Runs `fn` with a fresh mount point made by `how`, or prints why it is skipped. */
async function withMount(what: string, how: (point: string) => boolean, fn: (point: string) => Promise<void> | void): Promise<void> {
  const point = mkdtempSync(join(tmpdir(), 'helios-mnt-'));
  let mounted = false;
  try {
    if (process.getuid?.() !== 0 || !(mounted = how(point))) {
      console.log(`mounts.test: skipped "${what}": needs root and mount(8) (${process.getuid?.() === 0 ? 'mount failed' : 'not root'})`);
      return;
    }
    await fn(point);
  } finally {
    if (mounted) spawnSync('umount', ['-l', point]);
    rmSync(point, { recursive: true, force: true });
  }
}

test('on a read-only mount: creating a database is IO with EROFS; an audit log there fails the open closed', async () => {
  const src = mkdtempSync(join(tmpdir(), 'helios-rosrc-'));
  try {
    await withMount('read-only mount', (p) => mount(['--bind', src, p]) && mount(['-o', 'remount,bind,ro', p]), (ro) => {
      let err: unknown = null;
      try {
        new Database(join(ro, 'new.db'), { key: KEY });
      } catch (e) {
        err = e;
      }
      assert.ok(isHeliosError(err, 'IO'), String(err));
      assert.is((err as { details: { osCode?: string } }).details.osCode, 'EROFS');
      const db = join(src, 'db');
      new Database(db, { key: KEY }).close();
      err = null;
      try {
        new Database(db, { key: KEY, auditLog: { path: join(ro, 'audit.log') } });
      } catch (e) {
        err = e;
      }
      assert.ok(isHeliosError(err, 'IO'), `an open whose audit entry cannot be written fails: ${String(err)}`);
      assert.match((err as Error).message, /EROFS/);
      new Database(db, { key: KEY }).close(); // not left locked
    });
  } finally {
    rmSync(src, { recursive: true, force: true });
  }
});

test('a backup onto a full tmpfs rejects with IO (ENOSPC), leaves nothing there, and the database goes on', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'helios-bak-src-'));
  try {
    await withMount('full tmpfs', (p) => mount(['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', p]), async (tiny) => {
      const db = new Database(join(dir, 'db'), { key: KEY });
      try {
        db.exec('CREATE TABLE t (a)');
        const ins = db.prepare('INSERT INTO t VALUES (?)');
        db.transaction(() => {
          for (let i = 0; i < 8000; i++) ins.run(`${i}`.repeat(40) + Math.random());
        })();
        let err: unknown = null;
        await db.backup(join(tiny, 'bak')).catch((e: unknown) => (err = e));
        assert.ok(isHeliosError(err, 'IO'), String(err));
        assert.match((err as Error).message, /ENOSPC/);
        assert.equal(readdirSync(tiny), [], 'no partial backup left');
        db.exec("INSERT INTO t VALUES ('after')");
        assert.is(db.prepare('SELECT count(*) FROM t').pluck().get(), 8001);
        mkdirSync(join(dir, 'ok'));
        await db.backup(join(dir, 'ok', 'bak'));
        assert.ok(new Database(join(dir, 'ok', 'bak'), { key: KEY, readonly: true }).verifyIntegrity().ok);
      } finally {
        db.close();
      }
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
