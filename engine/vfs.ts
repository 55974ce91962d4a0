/**
 * The file-system interface of the engine. Every byte the engine reads or
 * writes goes through a `Vfs`, so tests can swap the real one
 * (`createNodeVfs`, on `node:fs`) for an in-memory one that crashes, tears
 * writes and fails on demand (`createMemVfs`, engine/mem-vfs.ts).
 *
 * Synchronous, like the rest of the engine. Paths are plain strings joined
 * with `/` (the Node implementation passes them to `node:fs` unchanged).
 *
 * Durability model (what a crash may lose):
 *  - bytes appended to a file survive power loss only after `sync()` on it;
 *  - a created, renamed or removed directory entry survives power loss only
 *    after `syncDir()` on its directory;
 *  - a process crash (no power loss) loses nothing that `append()` returned
 *    from: the bytes are in the operating system.
 *
 * Every operation that the OS refuses throws `HeliosError('IO')` carrying the
 * OS code (ENOSPC, EIO, ...) in `details.osCode` and the path in `details.file`.
 */
export interface VfsFile {
  /** Returns a new array with up to `length` bytes at `offset` (fewer only at end of file). */
  readAt(offset: number, length: number): Uint8Array;
  /** Appends at the end of the file. Not durable until sync(). The caller may
   *  reuse `data` after the call returns (it is copied or written out). */
  append(data: Uint8Array): void;
  /** Current size in bytes, unsynced appends included. */
  size(): number;
  /** After this returns, every appended byte survives power loss. Also allowed on a
   *  handle from openRead (it makes bytes another handle wrote durable). */
  sync(): void;
  /** Releases the handle. Does not sync. Idempotent. */
  close(): void;
}

/** An exclusive lock on a database directory; see `Vfs.lock`. */
export interface VfsLock {
  /** Releases the lock and removes the lock file. Idempotent. */
  release(): void;
}

export interface Vfs {
  /** Creates a new, empty file opened for append and read. Fails with IO
   *  (osCode EEXIST) when the path exists: files are never overwritten.
   *  The directory entry is durable only after `syncDir()`. */
  create(path: string): VfsFile;
  /** Opens an existing file for reading; `append` on it throws. */
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
  /** The whole content of a file (a new array). */
  readFile(path: string): Uint8Array;
  /** Replaces `path` with `data` atomically and durably: writes `path.tmp`,
   *  syncs it, renames it over `path`, syncs the directory. After a crash the
   *  file holds either the old or the new content, never a mix. */
  writeFileAtomic(path: string, data: Uint8Array): void;
  /**
   * Takes the exclusive lock of a database directory, stored in the file
   * `path`. Throws `HeliosError('LOCKED')` when another handle of this
   * process or another live process holds it. A lock file left behind by a
   * process that no longer runs is taken over.
   */
  lock(path: string): VfsLock;
}

export { joinPath, dirName } from './vfs-path.ts';
export { createNodeVfs } from './node-vfs.ts';
export { createMemVfs } from './mem-vfs.ts';
export type { MemVfs, MemVfsOp, MemVfsFault, CrashOptions } from './mem-vfs.ts';
