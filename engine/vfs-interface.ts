/**
 * The file-system interface of the engine. Every byte the engine reads or
 * writes goes through a `Vfs`, so tests can swap the real one
 * (`createNodeVfs`, engine/node-vfs.ts, on `node:fs`) for an in-memory one
 * that crashes, tears writes and fails on demand (`createMemVfs`,
 * engine/mem-vfs.ts). This file holds only the contract and imports no
 * implementation; engine/vfs.ts re-exports it with both implementations.
 *
 * Synchronous, like the rest of the engine. Paths are plain strings joined
 * with `/` (the Node implementation passes them to `node:fs` unchanged).
 *
 * Durability model (what a crash may lose):
 *  - bytes appended to a file, and a truncation, survive power loss only
 *    after `sync()` on it;
 *  - a created, renamed or removed directory entry survives power loss only
 *    after `syncDir()` on its directory;
 *  - a process crash (no power loss) loses nothing that `append()` returned
 *    from: the bytes are in the operating system.
 *
 * Every operation that the OS refuses throws `HeliosError('IO')` carrying the
 * OS code (ENOSPC, EIO, ...) in `details.osCode` and the file name in `details.file`.
 */
import { HeliosError } from '../format/errors.ts';
import { baseName, dirName } from './vfs-path.ts';

/** Largest `length` one `readAt` accepts (1 GiB): callers check lengths read from files first. */
export const MAX_READ_BYTES = 1024 * 1024 * 1024;
/** Default bound of `readFile` (64 MiB): larger files are CORRUPTION unless the caller allows more. */
export const DEFAULT_READ_FILE_MAX_BYTES = 64 * 1024 * 1024;

export interface VfsFile {
  /** Returns a new array with up to `length` bytes at `offset` (fewer only at end of file).
   *  `length` above MAX_READ_BYTES is INTERNAL (a caller that did not check a length). */
  readAt(offset: number, length: number): Uint8Array;
  /** Appends at the end of the file. Not durable until sync(). The caller may
   *  reuse `data` after the call returns (it is copied or written out). */
  append(data: Uint8Array): void;
  /** Current size in bytes, unsynced appends included. */
  size(): number;
  /** Cuts the file to `length` bytes (0 <= length <= size()); later appends
   *  go at the new end. Only on a handle from `create`. The new length
   *  survives power loss only after `sync()`: until then a crash may leave
   *  the old length. */
  truncate(length: number): void;
  /** After this returns, every appended byte survives power loss. Also allowed on a
   *  handle from openRead (it makes bytes another handle wrote durable). */
  sync(): void;
  /** Releases the handle. Does not sync. Idempotent. */
  close(): void;
}

/** An exclusive lock on a database directory; see `Vfs.lock`. */
export interface VfsLock {
  /** Releases the lock and removes the lock file (only if it is still this lock's). Idempotent. */
  release(): void;
}

export interface Vfs {
  /** Creates a new, empty file opened for append and read. Fails with IO
   *  (osCode EEXIST) when the path exists: files are never overwritten.
   *  The directory entry is durable only after `syncDir()`. */
  create(path: string): VfsFile;
  /** Opens an existing file for reading; `append` and `truncate` on it throw. */
  openRead(path: string): VfsFile;
  exists(path: string): boolean;
  /** Names (not paths) of the entries of `dir`, sorted. */
  list(dir: string): string[];
  /** Removes a file. Durable only after `syncDir()`. */
  remove(path: string): void;
  /** Atomically replaces `to` with `from`. Durable only after `syncDir()`. */
  rename(from: string, to: string): void;
  /** Creates a directory and its missing parents (no error if it exists). */
  mkdir(path: string): void;
  /** Makes every directory entry change in `dir` durable. */
  syncDir(dir: string): void;
  /** The whole content of a file (a new array). A file larger than
   *  `maxByteLength` (default DEFAULT_READ_FILE_MAX_BYTES) is CORRUPTION naming
   *  it, before anything is read: no file makes this allocate without bound. */
  readFile(path: string, maxByteLength?: number): Uint8Array;
  /** Replaces `path` with `data` atomically and durably: writes `path.tmp`,
   *  syncs it, renames it over `path`, syncs the directory. After a crash the
   *  file holds either the old or the new content, never a mix. */
  writeFileAtomic(path: string, data: Uint8Array): void;
  /**
   * Takes the exclusive lock of a database directory, stored in the file
   * `path` (spec/format.md [FMT-LOCK-1]). The directory is identified by
   * device and inode, so another path to it (symlink, `..`, bind mount) is
   * the same lock. Throws `HeliosError('LOCKED')` naming the owner when
   * another handle of this process or another process holds it. A lock is
   * taken over only when its owner is provably dead [FMT-LOCK-3]; an
   * unreadable lock file is never taken over.
   */
  lock(path: string): VfsLock;
}

/** The CORRUPTION a readFile of an oversized file throws. */
export function fileTooLarge(path: string, size: number, max: number): HeliosError {
  const name = baseName(path);
  return new HeliosError('CORRUPTION', `${name}: file is ${size} bytes, more than any valid ${name} (at most ${max})`, { file: name, offset: max });
}

/** The INTERNAL a readAt beyond MAX_READ_BYTES throws. */
export function readTooLarge(path: string, length: number): HeliosError {
  return new HeliosError('INTERNAL', `read of ${length} bytes from ${baseName(path)} exceeds ${MAX_READ_BYTES}: the caller did not bound a length`, { file: baseName(path) });
}

/** writeFileAtomic on top of the other calls (temp, sync, rename, sync dir), shared by every Vfs. */
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
