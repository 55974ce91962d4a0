/**
 * An in-memory `Vfs` that can crash. Used for `:memory:` databases and by
 * every crash and fault property.
 *
 * It keeps two views of the file system:
 *  - the live view, what the running process sees;
 *  - the durable view, what would be found after a power loss: for each
 *    directory the entries as of its last `syncDir()`, and for each file the
 *    bytes as of its last `sync()`.
 * Directories themselves are durable as soon as `mkdir()` returns.
 *
 * `crash()` replaces the live view by the durable one, optionally keeping a
 * prefix of each file's unsynced bytes (a torn write), invalidates every open
 * handle and releases every lock; `crash({ processOnly: true })` models a
 * killed process instead (nothing written is lost). `injectFault()` makes a chosen operation
 * throw ENOSPC or EIO, by predicate and/or countdown, optionally the way a
 * failing device does (`zeroFill`: the file grows, the blocks the write
 * touched read back as zeros, durably). `flipBit()` and `setFileBytes()`
 * damage or replace a file at rest (in both views).
 *
 * Paths are normalised (`//`, `.` and `..` segments resolved), so every
 * spelling of a path names the same file and the same lock, as device and
 * inode do for the Node implementation; a lock is held per normalised path,
 * by this process only (a MemVfs cannot be shared between processes).
 */
import { HeliosError } from '../format/errors.ts';
import { DEFAULT_READ_FILE_MAX_BYTES, fileTooLarge, MAX_READ_BYTES, readTooLarge, writeFileAtomicVia, type Vfs, type VfsFile, type VfsLock } from './vfs-interface.ts';
import { baseName, dirName } from './vfs-path.ts';

export type MemVfsOp =
  | 'create'
  | 'openRead'
  | 'readAt'
  | 'append'
  | 'truncate'
  | 'sync'
  | 'remove'
  | 'rename'
  | 'mkdir'
  | 'syncDir'
  | 'list'
  | 'readFile'
  | 'lock';

export interface MemVfsFault {
  /** Operations that may fail. Default: every mutating one (create, append, truncate, sync, remove, rename, mkdir, syncDir). */
  readonly ops?: readonly MemVfsOp[];
  /** Only paths for which this returns true. Default: every path. */
  readonly path?: (path: string) => boolean;
  readonly code: 'ENOSPC' | 'EIO';
  /** Countdown: this many matching operations succeed before the fault fires. Default 0. */
  readonly after?: number;
  /** Keep failing every matching operation once fired. Default false (fires once). */
  readonly sticky?: boolean;
  /** For a failing append: how many leading bytes of the data reach the file before the error. Default 0.
   *  With zeroFill, for a failing append or sync: how many bytes of the unsynced data survive. */
  readonly partialBytes?: number;
  /**
   * A failing device (ext4 on a loop device whose backing store is full):
   * for a failing append, the file still grows by the whole write; for a
   * failing sync, the unsynced bytes' new size becomes durable. Either way,
   * every byte from the start of the first `zeroFill`-byte block the lost
   * data touches (after its first `partialBytes` bytes) to the end of the
   * file reads back as zero, in the live and the durable view: such a device
   * zeroes whole blocks, including bytes of that block that were synced
   * before. Typical block sizes: 512, 1024, 4096.
   */
  readonly zeroFill?: number;
}

export interface CrashOptions {
  /** A process crash instead of a power loss: every appended byte and every directory
   *  change stays (they were in the OS); only handles and locks are lost. */
  readonly processOnly?: boolean;
  /** How many of the unsynced bytes at the end of `path` survive (a prefix): the torn
   *  last write. Called once per file with unsynced bytes. Default: none survive. */
  readonly keepUnsynced?: (path: string, unsyncedBytes: number) => number;
}

export interface MemVfs extends Vfs {
  /** Power loss: see the module comment. */
  crash(options?: CrashOptions): void;
  /** Arms one fault (replacing any armed one); null disarms. */
  injectFault(fault: MemVfsFault | null): void;
  /** How many operations failed because of an injected fault since creation. */
  readonly faultsFired: number;
  /** Flips bit `bitOffset` (0 = least significant bit of byte 0) of a file, at rest. */
  flipBit(path: string, bitOffset: number): void;
  /** Replaces the content of an existing file at rest (durable at once). */
  setFileBytes(path: string, data: Uint8Array): void;
  /** Every file path in the live view, sorted. */
  paths(): string[];
}

const DEFAULT_FAULT_OPS: readonly MemVfsOp[] = ['create', 'append', 'truncate', 'sync', 'remove', 'rename', 'mkdir', 'syncDir'];

interface MemNode {
  buf: Uint8Array;
  length: number;
  /** The first `synced` bytes of `buf` are durable (unless `durableImage` is set). */
  synced: number;
  /** The durable content when a truncation cut below `synced` and was not synced yet. */
  durableImage: Uint8Array | null;
}

/**
 * The zeroFill fault: bytes from the start of the `block`-byte block holding
 * offset `from` to the end of the file become zero and durable (a device that
 * lost those blocks after the file's new size reached its metadata).
 */
function zeroBlocks(node: MemNode, from: number, block: number): void {
  const start = Math.min(node.length, Math.floor(from / block) * block);
  node.buf.fill(0, start, node.length);
  node.synced = node.length;
  node.durableImage = null;
}

function grow(node: MemNode, extra: number): void {
  const need = node.length + extra;
  if (need <= node.buf.length) return;
  const next = new Uint8Array(Math.max(need, node.buf.length * 2, 256));
  next.set(node.buf.subarray(0, node.length));
  node.buf = next;
}

/** One spelling per path: no `//`, no trailing `/`, `.` and `..` segments resolved ('.' for the current directory). */
export function normalizeMemPath(path: string): string {
  const absolute = path.startsWith('/');
  const out: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!absolute) out.push('..');
      continue;
    }
    out.push(seg);
  }
  const p = out.join('/');
  return absolute ? '/' + p : p === '' ? '.' : p;
}
const normalize = normalizeMemPath;

export function createMemVfs(): MemVfs {
  let live = new Map<string, MemNode>();
  let durable = new Map<string, MemNode>();
  const dirs = new Set<string>(['.', '/']);
  const locks = new Set<string>();
  let epoch = 0;
  let fault: (MemVfsFault & { remaining: number }) | null = null;
  let faultsFired = 0;

  const notFound = (op: string, path: string): HeliosError =>
    new HeliosError('IO', `${op} ${baseName(path)} failed: ENOENT`, { file: baseName(path), osCode: 'ENOENT' });

  /** Throws the armed fault when it matches (carrying partialBytes and zeroFill for the caller). */
  function maybeFail(op: MemVfsOp, path: string): void {
    if (fault === null) return;
    const ops = fault.ops ?? DEFAULT_FAULT_OPS;
    if (!ops.includes(op)) return;
    if (fault.path && !fault.path(path)) return;
    if (fault.remaining > 0) {
      fault.remaining--;
      return;
    }
    const f = fault;
    if (!f.sticky) fault = null;
    faultsFired++;
    const err = new HeliosError('IO', `${op} ${baseName(path)} failed: ${f.code}`, { file: baseName(path), osCode: f.code });
    throw Object.assign(err, { partialBytes: f.partialBytes ?? 0, zeroFill: f.zeroFill ?? 0 });
  }

  function openHandle(path: string, node: MemNode, writable: boolean): VfsFile {
    const myEpoch = epoch;
    let open = true;
    const check = (): void => {
      if (!open) throw new HeliosError('CLOSED', `${baseName(path)} is closed`, { file: baseName(path) });
      if (myEpoch !== epoch) {
        throw new HeliosError('IO', `${baseName(path)}: handle lost in a crash`, { file: baseName(path), osCode: 'EIO' });
      }
    };
    return {
      readAt(offset, length) {
        check();
        if (length > MAX_READ_BYTES) throw readTooLarge(path, length);
        maybeFail('readAt', path);
        const start = Math.min(Math.max(0, offset), node.length);
        const end = Math.min(node.length, start + Math.max(0, length));
        return node.buf.slice(start, end);
      },
      append(data) {
        check();
        if (!writable) throw new HeliosError('INTERNAL', `${baseName(path)} is open read-only`);
        try {
          maybeFail('append', path);
        } catch (e) {
          const { partialBytes, zeroFill } = e as { partialBytes?: number; zeroFill?: number };
          const partial = Math.min(data.length, partialBytes ?? 0);
          if (zeroFill) {
            const start = node.length;
            grow(node, data.length);
            node.buf.set(data, start);
            node.length += data.length;
            zeroBlocks(node, start + partial, zeroFill);
          } else if (partial > 0) {
            grow(node, partial);
            node.buf.set(data.subarray(0, partial), node.length);
            node.length += partial;
          }
          throw e;
        }
        grow(node, data.length);
        node.buf.set(data, node.length);
        node.length += data.length;
      },
      size() {
        check();
        return node.length;
      },
      truncate(length) {
        check();
        if (!writable) throw new HeliosError('INTERNAL', `${baseName(path)} is open read-only`);
        if (!Number.isSafeInteger(length) || length < 0 || length > node.length) throw new HeliosError('INTERNAL', `truncate ${baseName(path)} to ${length} of ${node.length} bytes`);
        maybeFail('truncate', path);
        if (length < node.synced && node.durableImage === null) node.durableImage = node.buf.slice(0, node.synced);
        node.synced = Math.min(node.synced, length);
        node.buf.fill(0, length, node.length);
        node.length = length;
      },
      sync() {
        check();
        try {
          maybeFail('sync', path);
        } catch (e) {
          const { partialBytes, zeroFill } = e as { partialBytes?: number; zeroFill?: number };
          if (zeroFill) zeroBlocks(node, node.synced + (partialBytes ?? 0), zeroFill);
          throw e;
        }
        node.synced = node.length;
        node.durableImage = null;
      },
      close() {
        open = false;
      },
    };
  }

  function requireDir(path: string): void {
    const d = dirName(path);
    if (!dirs.has(d)) throw notFound('create', path);
  }

  const vfs: MemVfs = {
    create(rawPath) {
      const path = normalize(rawPath);
      maybeFail('create', path);
      requireDir(path);
      if (live.has(path) || dirs.has(path)) {
        throw new HeliosError('IO', `create ${baseName(path)} failed: EEXIST`, { file: baseName(path), osCode: 'EEXIST' });
      }
      const node: MemNode = { buf: new Uint8Array(0), length: 0, synced: 0, durableImage: null };
      live.set(path, node);
      return openHandle(path, node, true);
    },
    openRead(rawPath) {
      const path = normalize(rawPath);
      maybeFail('openRead', path);
      const node = live.get(path);
      if (!node) throw notFound('open', path);
      return openHandle(path, node, false);
    },
    exists(rawPath) {
      const path = normalize(rawPath);
      return live.has(path) || dirs.has(path);
    },
    list(rawDir) {
      const dir = normalize(rawDir);
      maybeFail('list', dir);
      if (!dirs.has(dir)) throw notFound('list', dir);
      const out: string[] = [];
      for (const p of live.keys()) if (dirName(p) === dir) out.push(baseName(p));
      for (const p of dirs) if (p !== dir && dirName(p) === dir) out.push(baseName(p));
      return out.sort();
    },
    remove(rawPath) {
      const path = normalize(rawPath);
      maybeFail('remove', path);
      if (!live.delete(path)) throw notFound('remove', path);
    },
    rename(rawFrom, rawTo) {
      const from = normalize(rawFrom);
      const to = normalize(rawTo);
      maybeFail('rename', to);
      const node = live.get(from);
      if (!node) throw notFound('rename', from);
      requireDir(to);
      live.delete(from);
      live.set(to, node);
    },
    mkdir(rawPath) {
      const path = normalize(rawPath);
      maybeFail('mkdir', path);
      if (live.has(path)) {
        throw new HeliosError('IO', `mkdir ${baseName(path)} failed: EEXIST`, { file: baseName(path), osCode: 'EEXIST' });
      }
      const chain: string[] = [];
      for (let p = path; !dirs.has(p); p = dirName(p)) chain.push(p);
      for (const p of chain.reverse()) dirs.add(p);
    },
    syncDir(rawDir) {
      const dir = normalize(rawDir);
      maybeFail('syncDir', dir);
      for (const p of [...durable.keys()]) if (dirName(p) === dir && live.get(p) !== durable.get(p)) durable.delete(p);
      for (const [p, node] of live) if (dirName(p) === dir) durable.set(p, node);
    },
    readFile(rawPath, maxByteLength = DEFAULT_READ_FILE_MAX_BYTES) {
      const path = normalize(rawPath);
      maybeFail('readFile', path);
      const node = live.get(path);
      if (!node) throw notFound('read', path);
      if (node.length > maxByteLength) throw fileTooLarge(path, node.length, maxByteLength);
      return node.buf.slice(0, node.length);
    },
    writeFileAtomic(path, data) {
      writeFileAtomicVia(vfs, normalize(path), data);
    },
    lock(rawPath) {
      const path = normalize(rawPath);
      maybeFail('lock', path);
      if (locks.has(path)) {
        throw new HeliosError('LOCKED', `database is locked: another handle of this process has ${dirName(path)} open (perhaps by another path to the same directory)`, { file: 'LOCK' });
      }
      locks.add(path);
      const myEpoch = epoch;
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          if (myEpoch === epoch) locks.delete(path);
        },
      } satisfies VfsLock;
    },
    crash(options) {
      if (options?.processOnly) {
        locks.clear();
        fault = null;
        epoch++;
        return;
      }
      const next = new Map<string, MemNode>();
      const seen = new Map<MemNode, MemNode>();
      for (const [path, node] of durable) {
        let copy = seen.get(node);
        if (!copy) {
          if (node.durableImage !== null) {
            // An unsynced truncation is undone by the power loss.
            const img = node.durableImage.slice();
            copy = { buf: img, length: img.length, synced: img.length, durableImage: null };
          } else {
            const unsynced = node.length - node.synced;
            let keep = unsynced > 0 && options?.keepUnsynced ? options.keepUnsynced(path, unsynced) : 0;
            keep = Math.max(0, Math.min(unsynced, Math.floor(keep)));
            const len = node.synced + keep;
            copy = { buf: node.buf.slice(0, len), length: len, synced: len, durableImage: null };
          }
          seen.set(node, copy);
        }
        next.set(path, copy);
      }
      live = next;
      durable = new Map(next);
      locks.clear();
      fault = null;
      epoch++;
    },
    injectFault(f) {
      fault = f === null ? null : { ...f, remaining: f.after ?? 0 };
    },
    get faultsFired() {
      return faultsFired;
    },
    flipBit(rawPath, bitOffset) {
      const path = normalize(rawPath);
      const node = live.get(path);
      if (!node) throw notFound('flipBit', path);
      const byte = Math.floor(bitOffset / 8);
      if (byte < 0 || byte >= node.length) throw new HeliosError('INVALID_ARGUMENT', `bit ${bitOffset} is outside ${path}`);
      node.buf[byte] = node.buf[byte]! ^ (1 << (bitOffset % 8));
    },
    setFileBytes(rawPath, data) {
      const path = normalize(rawPath);
      const node = live.get(path);
      if (!node) throw notFound('setFileBytes', path);
      node.buf = data.slice();
      node.length = data.length;
      node.synced = data.length;
      node.durableImage = null;
    },
    paths() {
      return [...live.keys()].sort();
    },
  };
  return vfs;
}
