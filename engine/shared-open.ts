/**
 * Handles sharing one open database in this realm (spec/format.md ENG-SHARE-1..5).
 *
 * The first writable open of a directory of the node file system opens the
 * engine and takes LOCK, as ever. A later open of the same directory (same
 * device and inode, whatever path leads there) in the same JavaScript realm
 * does not take LOCK again and does not recover anything: once its key has
 * opened the database's HELIOS as it is now, it gets a handle on the engine
 * already open. Each handle closes on its own; the last close closes the
 * engine (and releases LOCK). Another process, or a worker thread (another
 * realm), still gets LOCKED at open: only one realm writes a database.
 *
 * What a handle of a shared database may not do:
 *  - key changes (changeKey, addKey, removeKey, rotateDataKey, rewriteAll,
 *    revokeKeys) need the database to itself: CONFIG while another handle is
 *    open, so no handle keeps working on a key another one just removed;
 *  - a readonly handle writes nothing (READONLY), even though the engine it
 *    shares is writable;
 *  - storage options that would change what the first handle configured
 *    (synchronous, memory budgets, audit log, rotation schedule, FIPS, …) are
 *    CONFIG when they differ from the open engine's.
 *
 * How the SQL layer keeps its handles' transactions apart (snapshots, one
 * writer at a time) is sql/connections.ts.
 */
import { HeliosError } from '../format/errors.ts';
import type { Engine, EngineOptions } from './engine-types.ts';
import type { KeySourceKind } from './key-loader.ts';

/** One open engine and the handles sharing it. */
export interface SharedCore {
  readonly engine: Engine;
  readonly options: EngineOptions;
  /** Device and inode of the database directory ("dev:ino"). */
  readonly identity: string;
  handles: number;
}

/** Open engines by directory identity, shared by every copy of this module in the realm. */
const cores: Map<string, SharedCore> = ((globalThis as Record<symbol, unknown>)[Symbol.for('heliosdb.engine.sharedCores')] ??= new Map<string, SharedCore>()) as Map<string, SharedCore>;

/** The open engine of the directory with this identity in this realm, or null. */
export function sharedCoreOf(identity: string | null): SharedCore | null {
  return identity === null ? null : cores.get(identity) ?? null;
}

/** Options that configure the open engine: a later handle may repeat them, not change them. */
const SHARED_SCALARS = [
  'synchronous',
  'memtableBudgetBytes',
  'walSegmentBytes',
  'manifestRewriteBytes',
  'blockCacheBytes',
  'memoryLimitMb',
  'compactionStepEntries',
  'rotationIntervalDays',
  'fips',
] as const;

/**
 * CONFIG when `next` (the options of a later open) asks for a storage setting other than the
 * open engine's: the later handle would otherwise run with settings it did not ask for.
 */
export function checkSharedOptions(core: SharedCore, next: EngineOptions): void {
  const first = core.options;
  const refuse = (what: string): never => {
    throw new HeliosError('CONFIG', `the database is already open in this process with another ${what}; a second handle shares that open database and cannot change it (close the other handles first, or open with the same setting)`);
  };
  for (const k of SHARED_SCALARS) {
    const v = next[k];
    if (v === undefined) continue;
    const current = k === 'synchronous' ? (first.synchronous ?? 'full') : first[k];
    if (v !== current) refuse(`${k} (${String(current ?? 'the default')})`);
  }
  if (next.audit !== undefined && (first.audit === undefined || first.audit.path !== next.audit.path || (first.audit.routine !== false) !== (next.audit.routine !== false))) refuse('audit log setting');
  if (next.compaction !== undefined && JSON.stringify(next.compaction) !== JSON.stringify(first.compaction ?? {})) refuse('compaction setting');
  if (next.clock !== undefined && next.clock !== first.clock) refuse('clock');
  if (next.rollbackWitness !== undefined && next.rollbackWitness.path !== first.rollbackWitness?.path) refuse('rollback witness');
}

/**
 * Registers `engine` (just opened, writable, on the node file system) as the open database of
 * `identity` and returns the first handle on it.
 */
export function shareEngine(engine: Engine, identity: string, options: EngineOptions, keySource: KeySourceKind): Engine {
  const core: SharedCore = { engine, options, identity, handles: 0 };
  cores.set(identity, core);
  return createHandle(core, { readonly: false, keySource });
}

/** A further handle on `core`; its key was checked against HELIOS by the caller. */
export function attachHandle(core: SharedCore, handle: { readonly readonly: boolean; readonly keySource: KeySourceKind }): Engine {
  const h = createHandle(core, handle);
  const audit = core.options.audit;
  if (audit !== undefined && audit.routine !== false) {
    try {
      core.engine.audit('open', 'ok');
    } catch (e) {
      try {
        h.close();
      } catch {
        // the open's error is the one to report
      }
      throw e;
    }
  }
  return h;
}

function createHandle(core: SharedCore, handle: { readonly readonly: boolean; readonly keySource: KeySourceKind }): Engine {
  const e = core.engine;
  let closed = false;
  let keySource = handle.keySource;
  core.handles++;
  const open = (): void => {
    if (closed) throw new HeliosError('CLOSED', 'the database is closed');
  };
  const writable = (): void => {
    open();
    if (handle.readonly) throw new HeliosError('READONLY', 'attempt to write a readonly database');
  };
  /** Key changes need the database to itself [ENG-SHARE-3]. */
  const alone = (what: string): void => {
    writable();
    const others = core.handles - 1;
    if (others > 0) throw new HeliosError('CONFIG', `${what} needs the database to itself: ${others} other handle${others === 1 ? '' : 's'} of this process ${others === 1 ? 'has' : 'have'} it open; close ${others === 1 ? 'it' : 'them'} first`);
  };
  return {
    changeKey: (newKey, options) => {
      alone('changing the key');
      e.changeKey(newKey, options);
      keySource = e.info().keySource; // this handle now holds the new key
    },
    addKey: (key, options) => (alone('adding a key'), e.addKey(key, options)),
    removeKey: (key) => (alone('removing a key'), e.removeKey(key)),
    rotateDataKey: (options) => (alone('rotating the data key'), e.rotateDataKey(options)),
    rewriteAll: (options) => (alone('rewriting the database'), e.rewriteAll(options)),
    revokeKeys: (options) => (alone('revoking keys'), e.revokeKeys(options)),
    retireUnusedGenerations: () => (alone('dropping key generations'), e.retireUnusedGenerations()),
    lastChangedSlot: () => (open(), e.lastChangedSlot()),
    ownSlotIndex: () => (open(), e.ownSlotIndex()),
    beginBackup: (destVfs, destDir) => (writable(), e.beginBackup(destVfs, destDir)),
    verifyFiles: (onProgress) => (open(), e.verifyFiles(onProgress)),
    get: (key, options) => (open(), e.get(key, options)),
    put: (key, value) => (writable(), e.put(key, value)),
    delete: (key) => (writable(), e.delete(key)),
    write: (batch) => (writable(), e.write(batch)),
    snapshot: () => (open(), e.snapshot()),
    iterator: (options) => (open(), e.iterator(options)),
    setSynchronous: (mode) => (open(), e.setSynchronous(mode)),
    info: () => {
      open();
      return { ...e.info(), keySource, openHandles: core.handles };
    },
    audit: (op, outcome, extra) => (open(), e.audit(op, outcome, extra)),
    verifyAuditLog: (path) => (open(), e.verifyAuditLog(path)),
    compactAll: (options) => (writable(), e.compactAll(options)),
    copyTo: (destDir, destVfs) => (writable(), e.copyTo(destDir, destVfs)),
    lastSeqNum: () => e.lastSeqNum(),
    openHandles: () => core.handles,
    shareKey: e.shareKey,
    close() {
      if (closed) return;
      closed = true;
      core.handles--;
      if (core.handles === 0) {
        cores.delete(core.identity);
        e.close();
        return;
      }
      const audit = core.options.audit;
      if (audit !== undefined && audit.routine !== false) e.audit('close', 'ok');
    },
  };
}
