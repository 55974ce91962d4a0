/**
 * The real `Vfs` on `node:fs` (works unchanged on Node, Bun and Deno).
 *
 * Durability: `sync()` is `fdatasync` (falls back to `fsync`); `syncDir()`
 * opens the directory and fsyncs it. Platforms that cannot fsync a directory
 * (Windows; some Deno versions) report EISDIR/EPERM/EINVAL/ENOTSUP there;
 * that case is ignored, as SQLite does, because the directory entry is then
 * made durable by the file system itself or not at all.
 *
 * Locking: engine/node-lock.ts (a complete record linked to LOCK with
 * link(2); the directory identified by device and inode; a lock taken over
 * only from a provably dead owner).
 *
 * Reads are bounded: `readAt` refuses lengths above MAX_READ_BYTES and
 * `readFile` checks the size before reading (vfs-interface.ts).
 */
import * as fs from 'node:fs';
import { HeliosError } from '../format/errors.ts';
import { DEFAULT_READ_FILE_MAX_BYTES, fileTooLarge, MAX_READ_BYTES, readTooLarge, writeFileAtomicVia, type Vfs, type VfsFile } from './vfs-interface.ts';
import { baseName } from './vfs-path.ts';
import { takeNodeLock, type LockStep } from './node-lock.ts';

export type { LockStep } from './node-lock.ts';

export interface NodeVfsOptions {
  /** Test hook: runs at the named steps of taking a lock (a test stops or stalls the process there). */
  readonly lockHook?: (step: LockStep) => void;
}

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
      if (length > MAX_READ_BYTES) throw readTooLarge(path, length);
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
    truncate(length) {
      check();
      if (!writable) throw new HeliosError('INTERNAL', `${baseName(path)} is open read-only`);
      if (!Number.isSafeInteger(length) || length < 0 || length > size) throw new HeliosError('INTERNAL', `truncate ${baseName(path)} to ${length} of ${size} bytes`);
      wrap('truncate', path, () => fs.ftruncateSync(fd, length));
      size = length;
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

export function createNodeVfs(options: NodeVfsOptions = {}): Vfs {
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
      // Non-recursive first, so a read-only file system says EROFS (a recursive mkdir reports ENOENT there).
      wrap('mkdir', path, () => {
        try {
          fs.mkdirSync(path);
        } catch (e) {
          const code = (e as { code?: unknown }).code;
          if (code === 'EEXIST' && fs.statSync(path).isDirectory()) return; // as a recursive mkdir: an existing directory is fine
          if (code !== 'ENOENT') throw e;
          fs.mkdirSync(path, { recursive: true });
        }
      });
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
    readFile(path, maxByteLength = DEFAULT_READ_FILE_MAX_BYTES) {
      const f = vfs.openRead(path);
      try {
        const n = f.size();
        if (n > maxByteLength) throw fileTooLarge(path, n, maxByteLength);
        return f.readAt(0, n);
      } finally {
        f.close();
      }
    },
    writeFileAtomic(path, data) {
      writeFileAtomicVia(vfs, path, data);
    },
    lock(path) {
      return takeNodeLock(path, options.lockHook ? { hook: options.lockHook } : {});
    },
  };
  return vfs;
}

function ignorableDirSyncError(e: unknown): boolean {
  const c = osCodeOf(e);
  return c === 'EISDIR' || c === 'EPERM' || c === 'EINVAL' || c === 'ENOTSUP' || c === 'EACCES' || c === 'EBADF';
}

