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
 * throw ENOSPC or EIO, by predicate and/or countdown. `flipBit()` and
 * `setFileBytes()` damage or replace a file at rest (in both views).
 */
import { HeliosError } from '../format/errors.ts';
import type { Vfs, VfsFile, VfsLock } from './vfs.ts';
import { baseName, dirName } from './vfs-path.ts';
import { writeFileAtomicVia } from './node-vfs.ts';

export type MemVfsOp =
  | 'create'
  | 'openRead'
  | 'readAt'
  | 'append'
  | 'sync'
  | 'remove'
  | 'rename'
  | 'mkdir'
  | 'syncDir'
  | 'list'
  | 'readFile'
  | 'lock';

export interface MemVfsFault {
  /** Operations that may fail. Default: every mutating one (create, append, sync, remove, rename, mkdir, syncDir). */
  readonly ops?: readonly MemVfsOp[];
  /** Only paths for which this returns true. Default: every path. */
  readonly path?: (path: string) => boolean;
  readonly code: 'ENOSPC' | 'EIO';
  /** Countdown: this many matching operations succeed before the fault fires. Default 0. */
  readonly after?: number;
  /** Keep failing every matching operation once fired. Default false (fires once). */
  readonly sticky?: boolean;
  /** For a failing append: how many leading bytes of the data reach the file before the error. Default 0. */
  readonly partialBytes?: number;
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

const DEFAULT_FAULT_OPS: readonly MemVfsOp[] = ['create', 'append', 'sync', 'remove', 'rename', 'mkdir', 'syncDir'];

interface MemNode {
  buf: Uint8Array;
  length: number;
  synced: number;
}

function grow(node: MemNode, extra: number): void {
  const need = node.length + extra;
  if (need <= node.buf.length) return;
  const next = new Uint8Array(Math.max(need, node.buf.length * 2, 256));
  next.set(node.buf.subarray(0, node.length));
  node.buf = next;
}

function normalize(path: string): string {
  let p = path.replace(/\/+/g, '/');
  if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  if (p.startsWith('./')) p = p.slice(2);
  return p;
}

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

  /** Throws the armed fault when it matches; returns the partial byte count for appends. */
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
    if (op === 'append' && (f.partialBytes ?? 0) > 0) throw Object.assign(err, { partialBytes: f.partialBytes });
    throw err;
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
          const partial = Math.min(data.length, (e as { partialBytes?: number }).partialBytes ?? 0);
          if (partial > 0) {
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
      sync() {
        check();
        maybeFail('sync', path);
        node.synced = node.length;
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
      const node: MemNode = { buf: new Uint8Array(0), length: 0, synced: 0 };
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
    readFile(rawPath) {
      const path = normalize(rawPath);
      maybeFail('readFile', path);
      const node = live.get(path);
      if (!node) throw notFound('read', path);
      return node.buf.slice(0, node.length);
    },
    writeFileAtomic(path, data) {
      writeFileAtomicVia(vfs, normalize(path), data);
    },
    lock(rawPath) {
      const path = normalize(rawPath);
      maybeFail('lock', path);
      if (locks.has(path)) {
        throw new HeliosError('LOCKED', 'database is locked: another handle or process has it open', { file: 'LOCK' });
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
          const unsynced = node.length - node.synced;
          let keep = unsynced > 0 && options?.keepUnsynced ? options.keepUnsynced(path, unsynced) : 0;
          keep = Math.max(0, Math.min(unsynced, Math.floor(keep)));
          const len = node.synced + keep;
          copy = { buf: node.buf.slice(0, len), length: len, synced: len };
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
    },
    paths() {
      return [...live.keys()].sort();
    },
  };
  return vfs;
}
