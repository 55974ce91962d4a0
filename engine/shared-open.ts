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
 *  - security options that differ from the open engine's (audit log,
 *    rotation schedule, FIPS mode, clock, rollback witness) are CONFIG; sizes
 *    (memtable, caches, WAL segments) are the open engine's; `synchronous` is
 *    each handle's own.
 *
 * How the SQL layer keeps its handles' transactions apart (snapshots, one
 * writer at a time) is sql/connections.ts.
 */
import { HeliosError } from '../format/errors.ts';
import { SYNC_MODES, type Engine, type EngineIterator, type EngineOptions, type Snapshot, type SynchronousMode } from './engine-types.ts';
import { createWriteBatch } from './write-batch.ts';
import { identityOf } from './node-lock.ts';
import { LOCK_FILE } from './file-names.ts';
import { joinPath } from './vfs-path.ts';
import type { KeySourceKind } from './key-loader.ts';

/** One open engine and the handles sharing it. */
export interface SharedCore {
  readonly engine: Engine;
  readonly options: EngineOptions;
  /** Device and inode of the database directory ("dev:ino"). */
  readonly identity: string;
  /** Device and inode of the LOCK file the engine holds. */
  readonly lockIdentity: string | null;
  handles: number;
}

/** Open engines by directory identity, shared by every copy of this module in the realm. */
const cores: Map<string, SharedCore> = ((globalThis as Record<symbol, unknown>)[Symbol.for('heliosdb.engine.sharedCores')] ??= new Map<string, SharedCore>()) as Map<string, SharedCore>;

/**
 * The open engine of directory `dir` in this realm, or null. The directory is found by device
 * and inode, and it must still hold the LOCK file that engine took (same device and inode): a
 * directory deleted while open whose inode a new directory reuses is not that database.
 */
export function sharedCoreOf(dir: string): SharedCore | null {
  const identity = identityOf(dir);
  if (identity === null) return null;
  const core = cores.get(identity);
  if (core === undefined) return null;
  return identityOf(joinPath(dir, LOCK_FILE)) === core.lockIdentity ? core : null;
}

/**
 * CONFIG when `next` (the options of a later open) asks for a security setting other than the
 * open engine's — audit log, rotation schedule, FIPS mode, clock, rollback witness: the later
 * handle would otherwise run without what it asked for. Sizes (memtable, caches, WAL segments,
 * compaction) are the open engine's and a later handle's are not used; `synchronous` is each
 * handle's own [ENG-SHARE-5].
 */
export function checkSharedOptions(core: SharedCore, next: EngineOptions): void {
  const first = core.options;
  const refuse = (what: string): never => {
    throw new HeliosError('CONFIG', `the database is already open in this process with another ${what}; a second handle shares that open database and cannot change it (close the other handles first, or open with the same setting)`);
  };
  if (next.rotationIntervalDays !== undefined && next.rotationIntervalDays !== first.rotationIntervalDays) refuse(`rotation schedule (${String(first.rotationIntervalDays ?? 'none')})`);
  if (next.fips !== undefined && next.fips !== (first.fips ?? false)) refuse('FIPS mode setting');
  if (next.audit !== undefined && (first.audit === undefined || first.audit.path !== next.audit.path || (first.audit.routine !== false) !== (next.audit.routine !== false))) refuse('audit log setting');
  if (next.clock !== undefined && next.clock !== first.clock) refuse('clock');
  if (next.rollbackWitness !== undefined && next.rollbackWitness.path !== first.rollbackWitness?.path) refuse('rollback witness');
}

/**
 * Registers `engine` (just opened, writable, on the node file system) as the open database of
 * `identity` and returns the first handle on it.
 */
export function shareEngine(engine: Engine, dir: string, identity: string, options: EngineOptions, keySource: KeySourceKind): Engine {
  const core: SharedCore = { engine, options, identity, lockIdentity: identityOf(joinPath(dir, LOCK_FILE)), handles: 0 };
  cores.set(identity, core);
  return createHandle(core, { readonly: false, keySource, synchronous: options.synchronous });
}

/** A further handle on `core`; its key was checked against HELIOS by the caller. */
export function attachHandle(core: SharedCore, handle: { readonly readonly: boolean; readonly keySource: KeySourceKind; readonly synchronous: SynchronousMode | undefined }): Engine {
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

function createHandle(core: SharedCore, handle: { readonly readonly: boolean; readonly keySource: KeySourceKind; readonly synchronous: SynchronousMode | undefined }): Engine {
  const e = core.engine;
  let closed = false;
  let keySource = handle.keySource;
  /** This handle's durability [ENG-SHARE-5]: its own, as a SQLite connection's PRAGMA synchronous. */
  let mode: SynchronousMode = handle.synchronous ?? core.options.synchronous ?? 'full';
  /** What this handle opened and has not closed: its close ends them, as a lone engine's does. */
  const iterators = new Set<EngineIterator>();
  const snapshots = new Set<Snapshot>();
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
    put: (key, value) => {
      writable();
      const b = createWriteBatch();
      b.put(key, value);
      e.write(b, mode);
    },
    delete: (key) => {
      writable();
      const b = createWriteBatch();
      b.delete(key);
      e.write(b, mode);
    },
    write: (batch, m) => (writable(), e.write(batch, m ?? mode)),
    snapshot: () => {
      open();
      const snap = e.snapshot();
      const release = snap.release;
      // The engine's snapshot itself (reads take it as is); its release also forgets it here.
      (snap as { release(): void }).release = () => {
        snapshots.delete(snap);
        release.call(snap);
      };
      snapshots.add(snap);
      return snap;
    },
    iterator: (options) => {
      open();
      const inner = e.iterator(options);
      const it: EngineIterator = {
        next: () => {
          open();
          return inner.next();
        },
        key: () => inner.key(),
        value: () => inner.value(),
        seek: (k) => inner.seek(k),
        close: () => {
          iterators.delete(it);
          inner.close();
        },
      };
      iterators.add(it);
      return it;
    },
    setSynchronous: (next) => {
      open();
      if (!SYNC_MODES.includes(next)) throw new HeliosError('INVALID_ARGUMENT', `synchronous must be 'full', 'normal' or 'off'`);
      e.settleLog(next);
      mode = next;
    },
    settleLog: (next) => (open(), e.settleLog(next)),
    info: () => {
      open();
      return { ...e.info(), keySource, openHandles: core.handles, synchronous: mode };
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
      for (const it of [...iterators]) it.close();
      for (const snap of [...snapshots]) snap.release();
      // What this handle committed with 'normal' or 'off' is made durable as a lone handle's close does.
      if (!handle.readonly && core.handles > 1) {
        try {
          e.settleLog('full');
        } catch {
          // a failed write path is the engine's state: the last close reports it
        }
      }
      core.handles--;
      if (core.handles === 0) {
        if (cores.get(core.identity) === core) cores.delete(core.identity);
        e.close();
        return;
      }
      const audit = core.options.audit;
      if (audit !== undefined && audit.routine !== false) e.audit('close', 'ok');
    },
  };
}
