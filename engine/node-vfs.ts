/**
 * The real `Vfs` on `node:fs` (works unchanged on Node, Bun and Deno).
 *
 * Durability: `sync()` is `fdatasync` (falls back to `fsync`); `syncDir()`
 * opens the directory and fsyncs it. Platforms that cannot fsync a directory
 * (Windows; some Deno versions) report EISDIR/EPERM/EINVAL/ENOTSUP there;
 * that case is ignored, as SQLite does, because the directory entry is then
 * made durable by the file system itself or not at all.
 *
 * Locking: the lock file holds the decimal pid of its owner. Node has no
 * portable advisory lock, so a lock is held when the lock file exists AND
 * either this process registered the path (in-process registry, so a second
 * handle of the same process gets LOCKED) or `process.kill(pid, 0)` says the
 * owner still runs. A lock file of a dead owner is taken over by renaming it
 * to a unique name, checking that the renamed file is the one that was read
 * (so two processes recovering the same stale lock cannot both win), and
 * creating a fresh one with O_EXCL. A pid reused by an unrelated live
 * process makes the lock look held: the safe direction of the ambiguity.
 */
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { HeliosError } from '../format/errors.ts';
import type { Vfs, VfsFile, VfsLock } from './vfs.ts';
import { baseName, dirName } from './vfs-path.ts';

/** Absolute lock paths held by handles of this process. */
const heldLocks = new Set<string>();

function ioError(op: string, path: string, e: unknown): HeliosError {
  const code = typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : 'EIO';
  return new HeliosError('IO', `${op} ${baseName(path)} failed: ${code}`, { file: baseName(path), osCode: code }, { cause: e });
}

function wrap<T>(op: string, path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof HeliosError) throw e;
    throw ioError(op, path, e);
  }
}

function osCodeOf(e: unknown): string | undefined {
  if (e instanceof HeliosError) return e.details.osCode;
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

const datasync: (fd: number) => void = typeof fs.fdatasyncSync === 'function' ? fs.fdatasyncSync : fs.fsyncSync;

function openNodeFile(path: string, fd: number, writable: boolean, initialSize: number): VfsFile {
  let size = initialSize;
  let open = true;
  const check = (): void => {
    if (!open) throw new HeliosError('CLOSED', `${baseName(path)} is closed`, { file: baseName(path) });
  };
  return {
    readAt(offset, length) {
      check();
      const n = Math.max(0, Math.min(length, size - offset));
      const out = new Uint8Array(n);
      let done = 0;
      while (done < n) {
        const r = wrap('read', path, () => fs.readSync(fd, out, done, n - done, offset + done));
        if (r === 0) break;
        done += r;
      }
      return done === n ? out : out.slice(0, done);
    },
    append(data) {
      check();
      if (!writable) throw new HeliosError('INTERNAL', `${baseName(path)} is open read-only`);
      let done = 0;
      try {
        while (done < data.length) {
          done += fs.writeSync(fd, data, done, data.length - done, size + done);
        }
      } catch (e) {
        throw ioError('write', path, e);
      } finally {
        size += done;
      }
    },
    size() {
      check();
      return size;
    },
    sync() {
      check();
      wrap('sync', path, () => datasync(fd));
    },
    close() {
      if (!open) return;
      open = false;
      try {
        fs.closeSync(fd);
      } catch {
        // Closing cannot lose data we promised: sync() is the durability point.
      }
    },
  };
}

export function createNodeVfs(): Vfs {
  const vfs: Vfs = {
    create(path) {
      const fd = wrap('create', path, () => fs.openSync(path, 'wx+'));
      return openNodeFile(path, fd, true, 0);
    },
    openRead(path) {
      const fd = wrap('open', path, () => fs.openSync(path, 'r'));
      try {
        const size = wrap('stat', path, () => fs.fstatSync(fd).size);
        return openNodeFile(path, fd, false, size);
      } catch (e) {
        fs.closeSync(fd);
        throw e;
      }
    },
    exists(path) {
      return fs.existsSync(path);
    },
    list(dir) {
      return wrap('list', dir, () => fs.readdirSync(dir)).sort();
    },
    remove(path) {
      wrap('remove', path, () => fs.unlinkSync(path));
    },
    rename(from, to) {
      wrap('rename', to, () => fs.renameSync(from, to));
    },
    mkdir(path) {
      wrap('mkdir', path, () => fs.mkdirSync(path, { recursive: true }));
    },
    syncDir(dir) {
      let fd: number;
      try {
        fd = fs.openSync(dir, 'r');
      } catch (e) {
        if (ignorableDirSyncError(e)) return;
        throw ioError('open directory', dir, e);
      }
      try {
        fs.fsyncSync(fd);
      } catch (e) {
        if (!ignorableDirSyncError(e)) throw ioError('sync directory', dir, e);
      } finally {
        fs.closeSync(fd);
      }
    },
    readFile(path) {
      const b = wrap('read', path, () => fs.readFileSync(path));
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    },
    writeFileAtomic(path, data) {
      writeFileAtomicVia(vfs, path, data);
    },
    lock(path) {
      return takeNodeLock(path);
    },
  };
  return vfs;
}

function ignorableDirSyncError(e: unknown): boolean {
  const c = osCodeOf(e);
  return c === 'EISDIR' || c === 'EPERM' || c === 'EINVAL' || c === 'ENOTSUP' || c === 'EACCES' || c === 'EBADF';
}

/** temp, sync, rename, sync dir — shared by every Vfs. */
export function writeFileAtomicVia(vfs: Vfs, path: string, data: Uint8Array): void {
  const tmp = path + '.tmp';
  if (vfs.exists(tmp)) vfs.remove(tmp);
  const f = vfs.create(tmp);
  try {
    f.append(data);
    f.sync();
  } finally {
    f.close();
  }
  vfs.rename(tmp, path);
  vfs.syncDir(dirName(path));
}

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return false; // our own pid but not in the registry: a handle we lost
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return osCodeOf(e) === 'EPERM'; // exists, owned by another user
  }
}

function readPid(path: string): number | null {
  try {
    const text = fs.readFileSync(path, 'utf8');
    return /^\d+\n?$/.test(text) ? Number.parseInt(text, 10) : null;
  } catch {
    return null;
  }
}

function lockedError(): HeliosError {
  return new HeliosError('LOCKED', 'database is locked: another handle or process has it open', { file: 'LOCK' });
}

function takeNodeLock(path: string): VfsLock {
  const abs = nodePath.resolve(path);
  if (heldLocks.has(abs)) throw lockedError();
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fd = fs.openSync(abs, 'wx');
      try {
        fs.writeSync(fd, `${process.pid}\n`);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      heldLocks.add(abs);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          heldLocks.delete(abs);
          try {
            if (readPid(abs) === process.pid) fs.unlinkSync(abs);
          } catch {
            // A lock file we cannot remove is stale once we exit: the next opener takes it over.
          }
        },
      };
    } catch (e) {
      if (osCodeOf(e) !== 'EEXIST') throw ioError('lock', abs, e);
    }
    // The lock file exists: held by a live process, or stale.
    const pid = readPid(abs);
    if (pid !== null && pidAlive(pid)) throw lockedError();
    if (pid === null) {
      // Being written right now by another opener, or damaged. Give a writer a moment.
      const text = safeRead(abs);
      if (text !== null && text.length > 0) {
        // Damaged content from a crash mid-write: treat as stale.
      } else if (attempt < 2) {
        sleepMs(20);
        continue;
      }
    }
    const aside = `${abs}.stale-${process.pid}-${attempt}`;
    try {
      fs.renameSync(abs, aside);
    } catch (e) {
      if (osCodeOf(e) === 'ENOENT') continue; // someone else moved it; retry
      throw ioError('lock', abs, e);
    }
    const movedPid = readPid(aside);
    if (movedPid !== pid && movedPid !== null && pidAlive(movedPid)) {
      // We raced with another process that had just taken the lock: put it back.
      try {
        fs.linkSync(aside, abs);
      } catch {
        // It took the lock again already; either way the live owner keeps it.
      }
      safeUnlink(aside);
      throw lockedError();
    }
    safeUnlink(aside);
  }
  throw lockedError();
}

function safeRead(path: string): string | null {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function safeUnlink(path: string): void {
  try {
    fs.unlinkSync(path);
  } catch {
    // already gone
  }
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

