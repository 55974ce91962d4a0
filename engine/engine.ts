/**
 * The key-value engine: a database directory opened with a key, offering
 * put/get/delete, atomic write batches, snapshots and ordered iterators.
 *
 * Data flow of a write:
 *   batch → WAL record (sealed, appended to the active segment, synced per
 *   `synchronous`) → memtable (visible to readers) → sequence number advanced.
 * Data flow of table maintenance (after each commit, a slice of at most
 * compactionStepEntries entries, see doWork):
 *   memtable past its budget → frozen (new WAL segment) → flushed to an L0
 *   table → one manifest edit adds the table and retires the WAL segments →
 *   leveled compaction merges L0 into L1, Ln into Ln+1 (engine/compaction.ts);
 *   each output is synced before the manifest names it and each input is
 *   deleted only after the manifest stopped naming it (spec/format-sstable.md).
 * Reads merge the memtable(s) and every level (engine/merge-iterator.ts).
 * Data flow of an open (recovery):
 *   LOCK → HELIOS (superblock: key check, keyring) → CURRENT → MANIFEST
 *   (the Version: live WAL segments and table files) → replay every live WAL
 *   segment into the memtable → new WAL segment + new manifest + CURRENT.
 * Recovery never appends to an existing file: nonces cannot repeat.
 *
 * Files: this one is the public handle (commits, reads, snapshots, iterators,
 * info, close); engine-types.ts its types; recovery.ts the open (returns a
 * RecoveredState); table-set.ts the table files and point reads across them;
 * maintenance.ts flushes, compaction, WAL switches, manifest rewrites and
 * CURRENT; key-management.ts key changes and data-key rotation.
 *
 * Durability of a write that returned (`synchronous`) [ENG-SYNC-1]:
 *   'full'   the WAL record is fsynced (fdatasync) before the call returns:
 *            survives a process crash and a power loss / OS crash.
 *   'normal' the record is handed to the OS (write(2)) before the call
 *            returns, fsynced only at segment rotation, close() and
 *            setSynchronous('full'): survives a process crash (kill -9), may
 *            be lost on power loss / OS crash.
 *   'off'    the record is buffered in the process (up to 64 KiB) and
 *            written with the next write past that size, rotation, close()
 *            or setSynchronous(): survives neither. A clean close() persists
 *            everything in every mode.
 * In every mode a crash loses a suffix of the history, never a middle part,
 * and never part of a batch: recovery yields a prefix of the commits.
 *
 * After any I/O error in the write path the handle is failed: the error
 * reaches the caller and every later write throws it too; reads keep
 * working; close() releases the handle (and throws the error again), and
 * reopening recovers every commit acknowledged before the error that the
 * synchronous mode had made durable (with 'full' and 'normal': all of them).
 */
import { createNodeVfs } from './node-vfs.ts';
import { identityOf } from './node-lock.ts';
import { attachHandle, checkSharedOptions, shareEngine, sharedCoreOf, type SharedCore } from './shared-open.ts';
import type { Vfs, VfsLock } from './vfs.ts';
import { dirName, joinPath } from './vfs-path.ts';
import { HeliosError, isHeliosError } from '../format/errors.ts';
import { MAX_SEALED_RECORD_BYTES } from '../format/record-frame.ts';
import { forEachWalEntry } from '../format/wal-record.ts';
import type { BlockView } from '../format/sstable-block.ts';
import type { Keyring, SuperblockInfo } from '../crypto/superblock.ts';
import type { KeyContext } from './file-cipher.ts';
import { hasSqliteMagic } from './sqlite-pages.ts';
import { CURRENT_FILE, LOCK_FILE, SUPERBLOCK_FILE, manifestFileName, tableFileName, walFileName } from './file-names.ts';
import { FILE_KIND_CURRENT } from '../format/file-header.ts';
import { encodeStateFile } from './current.ts';
import { createManifest } from './manifest.ts';
import { verifyFiles, verifyTableFile, verifyWalFile } from './verify.ts';
import { enterFipsMode, fipsProviderActive, opensslOnlyActive } from '../crypto/fips.ts';
/** Test hook re-exported so layers above never import crypto/ directly. */
export { setFipsProviderCheck } from '../crypto/fips.ts';
import type { KeySourceKind } from './key-loader.ts';
import type { WalWriter } from './wal-writer.ts';
import type { ManifestWriter, Version } from './manifest.ts';
import { createLevelCursor, createMergingCursor, createUserIterator, type InternalCursor } from './merge-iterator.ts';
import { createBlockCache } from './block-cache.ts';
import { DEFAULT_COMPACTION_CONFIG } from './compaction.ts';
import { batchBody, batchPlaintext, checkKey, checkValue, createWriteBatch, type WriteBatch } from './write-batch.ts';
import { randomBytes } from './random.ts';
import { createKeyManagement, readSuperblockFile } from './key-management.ts';
import { appendAuditEntry, verifyAuditFile, type AuditVerifyReport } from './audit-log.ts';
import { auditKeyOf, readSuperblockInfo } from '../crypto/superblock.ts';
import type { AuditCheckpoint } from '../format/manifest-edit.ts';
import { checkOptions, SYNC_MODES, type Engine, type EngineOptions, type Snapshot, type SynchronousMode } from './engine-types.ts';
import { openOrCreateSuperblock, recoverReadonly, recoverWritable, type RecoveredState } from './recovery.ts';
import { createTableSet } from './table-set.ts';
import { createMaintenance, type WriterState } from './maintenance.ts';
import { compactAll, copyDatabase } from './vacuum.ts';
export type { CompactAllOptions, VacuumProgress } from './vacuum.ts';

export type { BackupPoint, FileCheck, FileCheckProgress, FipsStatus } from './engine-types.ts';
export type { Engine, EngineInfo, EngineIterator, EngineOptions, IteratorOptions, Snapshot, SynchronousMode } from './engine-types.ts';
export type { KeySourceOption, ResolvedKeySource } from './key-loader.ts';
export { resolveKeySource } from './key-loader.ts';
/** Re-exported so layers above the engine never import crypto/ directly. */
export type { KdfOptions } from '../crypto/superblock.ts';
export type { SuiteId } from '../crypto/cipher-suite.ts';
export type { ChangeKeyOptions, RewriteOptions, RewriteProgress, RewriteResult, RotateOptions } from './key-management.ts';
export type { AuditVerifyReport, AuditBrokenEntry } from './audit-log.ts';
export { createWriteBatch, type WriteBatch } from './write-batch.ts';


const DEFAULT_WAL_SEGMENT_BYTES = 4 * 1024 * 1024;
const DEFAULT_MANIFEST_REWRITE_BYTES = 1024 * 1024;
const DEFAULT_MEMTABLE_BUDGET_BYTES = 64 * 1024 * 1024;
const DEFAULT_BLOCK_CACHE_BYTES = 8 * 1024 * 1024;
const DEFAULT_COMPACTION_STEP_ENTRIES = 64;

/**
 * Opens (or creates) the database in directory `path`.
 *
 * Errors: LOCKED (open elsewhere), WRONG_KEY (no file is modified),
 * NOT_A_DATABASE (the directory holds something else), CONFIG (missing or
 * unusable key option, missing database with createIfMissing false),
 * CORRUPTION (file and offset named), UNSUPPORTED_VERSION, IO (osCode ENOENT
 * when the directory that would hold a new database does not exist: only the
 * database directory itself is created, never its parents).
 */
export function openEngine(path: string, options: EngineOptions = {}): Engine {
  if (typeof path !== 'string' || path === '') throw new HeliosError('INVALID_ARGUMENT', 'path must be a non-empty string');
  checkOptions(options);
  // Honest FIPS mode: no open at all unless the runtime reports a FIPS provider.
  if (options.fips === true) enterFipsMode();
  const vfs = options.vfs ?? createNodeVfs();
  const dir = path;
  const readonly = options.readonly === true;
  // [ENG-SHARE-1] a directory already open in this realm (node file system) is shared, not opened again.
  const shared = options.vfs === undefined ? sharedCoreOf(dir) : null;
  if (shared !== null) return attachToShared(shared, vfs, dir, options);
  if (!vfs.exists(dir)) {
    if (readonly) throw new HeliosError('CONFIG', `no database at ${path} (a readonly open never creates one)`);
    if (options.createIfMissing === false) throw new HeliosError('CONFIG', `no database at ${path} (createIfMissing is false)`);
    createDatabaseDir(vfs, dir);
  }
  // A readonly open takes no lock: it writes nothing, not even LOCK [ENG-RO-1].
  let lock: VfsLock;
  try {
    lock = readonly ? { release() {} } : vfs.lock(joinPath(dir, LOCK_FILE));
    if (readonly) refuseNonDirectory(vfs, dir);
  } catch (e) {
    if (isHeliosError(e, 'IO')) refuseNonDirectory(vfs, dir);
    throw e;
  }
  let keyring: Keyring | null = null;
  try {
    const sb = openOrCreateSuperblock(vfs, dir, options);
    keyring = sb.keyring;
    const ctx: KeyContext = { databaseId: sb.keyring.databaseId, suite: sb.keyring.suite, keyring: sb.keyring, random: randomBytes };
    const recovered = readonly ? recoverReadonly(vfs, dir, ctx, options) : recoverWritable(vfs, dir, ctx, options);
    const engine = createEngine({ vfs, dir, options, lock, ctx, info: sb.info, keySource: sb.keySource, readonly, recovered });
    const identity = options.vfs === undefined && !readonly ? identityOf(dir) : null;
    return identity === null ? engine : shareEngine(engine, dir, identity, options, sb.keySource);
  } catch (e) {
    const unlocked = keyring !== null;
    keyring?.destroy();
    if (!unlocked && options.audit !== undefined) auditFailedUnlock(vfs, dir, options, e);
    lock.release();
    throw e;
  }
}

/**
 * A later open of a database already open in this realm [ENG-SHARE-2]: its options must not
 * change the open engine's storage settings, and its key must open HELIOS as it is now (a
 * wrong key is WRONG_KEY and, with the audit log on, a failed unlock entry, exactly as a first
 * open); then it shares the open engine.
 */
function attachToShared(core: SharedCore, vfs: Vfs, dir: string, options: EngineOptions): Engine {
  checkSharedOptions(core, options);
  try {
    const sb = openOrCreateSuperblock(vfs, dir, { ...options, createIfMissing: false, readonly: true });
    sb.keyring.destroy();
    return attachHandle(core, { readonly: options.readonly === true, keySource: sb.keySource, synchronous: options.synchronous });
  } catch (e) {
    if (core.options.audit !== undefined) auditFailedUnlock(vfs, dir, { ...options, audit: core.options.audit }, e);
    throw e;
  }
}

/**
 * Called when taking the lock failed with IO (or before a readonly open
 * reads anything): a database is a directory, so a file at `dir` is
 * NOT_A_DATABASE, and a SQLite
 * (or SQLCipher) file is named as such with the command that imports it.
 */
function refuseNonDirectory(vfs: Vfs, dir: string): void {
  try {
    vfs.list(dir);
    return;
  } catch (e) {
    if (!(e instanceof HeliosError) || e.details.osCode !== 'ENOTDIR') throw e;
  }
  let head: Uint8Array = new Uint8Array(0);
  try {
    const f = vfs.openRead(dir);
    try {
      head = f.readAt(0, 16);
    } finally {
      f.close();
    }
  } catch {
    // Unreadable: still not a database directory.
  }
  const how = `import it into a new HeliosDB database with importSqlite(src, dest, { key }) or \`heliosdb import-sqlite ${dir} DEST\``;
  if (hasSqliteMagic(head)) throw new HeliosError('NOT_A_DATABASE', `${dir} is a SQLite database file, not a HeliosDB database (a directory): ${how}`);
  throw new HeliosError('NOT_A_DATABASE', `${dir} is a file, not a HeliosDB database (a directory); if it is a SQLCipher database, import it with importSqlite(src, dest, { key, source: { passphrase } }) or \`heliosdb import-sqlite ${dir} DEST\``);
}

/**
 * Creates the directory of a new database, and only it: a missing parent is IO (osCode
 * ENOENT) naming it, and nothing is created. A mistyped path ('/var/lib/helois/ehr.db')
 * fails instead of growing a directory tree, as SQLite refuses a file in a missing directory.
 */
function createDatabaseDir(vfs: Vfs, dir: string): void {
  const parent = dirName(dir.length > 1 ? dir.replace(/\/+$/, '') : dir);
  if (!vfs.exists(parent)) {
    throw new HeliosError('IO', `cannot create the database ${dir}: its directory ${parent} does not exist (create it first; HeliosDB creates the database directory, not its parents)`, { osCode: 'ENOENT' });
  }
  vfs.mkdir(dir);
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The lower-case, dashed form of an error's code for an audit outcome ("error-wrong-key"). */
function outcomeOf(e: unknown): string {
  const code = isHeliosError(e) ? e.code : 'INTERNAL';
  return `error-${code.toLowerCase().replace(/_/g, '-')}`;
}

/**
 * A failed unlock (wrong key or passphrase, or no key for an encrypted database) goes to the
 * audit log as an entry written without the key [AUD-UNLOCK-1]: nobody can MAC it, so it carries
 * the SHA-256 of its prefix and is vouched for by the next entry a key holder writes. Nothing
 * is logged when HELIOS cannot be read (no database id to file it under). The open's own error
 * is what the caller gets, even when this append fails.
 */
function auditFailedUnlock(vfs: Vfs, dir: string, options: EngineOptions, e: unknown): void {
  let outcome: string;
  if (isHeliosError(e, 'WRONG_KEY')) outcome = 'wrong-key';
  else if (isHeliosError(e, 'CONFIG') && options.key === undefined) outcome = 'no-key';
  else return;
  try {
    const info = readSuperblockInfo(readSuperblockFile(vfs, joinPath(dir, SUPERBLOCK_FILE)));
    if (info.suite === 'none') return;
    appendAuditEntry({ path: options.audit!.path, databaseId: info.databaseId, key: null, unixMs: (options.clock ?? Date.now)(), op: 'open', outcome, generation: null, slot: null });
  } catch {
    // the open's error stands
  }
}

interface EngineState {
  vfs: Vfs;
  dir: string;
  options: EngineOptions;
  lock: VfsLock;
  ctx: KeyContext;
  info: SuperblockInfo;
  keySource: KeySourceKind;
  readonly: boolean;
  recovered: RecoveredState;
}

/** Stand-ins for the writers of a readonly handle: checkWritable refuses every write before they are reached. */
function readonlyWal(): WalWriter {
  const refuse = (): never => {
    throw new HeliosError('INTERNAL', 'a readonly handle reached its WAL writer');
  };
  return { fileNumber: 0, byteLength: 0, writtenByteLength: 0, addBatch: refuse, flush: refuse, sync: refuse, close() {} };
}
function readonlyManifest(version: Version): ManifestWriter {
  return {
    fileNumber: 0,
    byteLength: 0,
    version,
    apply() {
      throw new HeliosError('INTERNAL', 'a readonly handle reached its manifest writer');
    },
    close() {},
  };
}

function createEngine(s: EngineState): Engine {
  const { vfs, dir, ctx, info, readonly } = s;
  const r = s.recovered;
  const st: WriterState = {
    wal: r.wal ?? readonlyWal(),
    manifest: r.manifest ?? readonlyManifest(r.version),
    memtable: r.memtable,
    imm: null,
    lastSeqNum: r.lastSeqNum,
    durableSeq: r.lastSeqNum,
    currentBytes: r.currentBytes,
    failure: null,
  };
  let engineMode: SynchronousMode = s.options.synchronous ?? 'full';
  const walSegmentBytes = s.options.walSegmentBytes ?? DEFAULT_WAL_SEGMENT_BYTES;
  const limitBytes = s.options.memoryLimitMb !== undefined ? s.options.memoryLimitMb * 1024 * 1024 : undefined;
  const memtableBudgetBytes = s.options.memtableBudgetBytes ?? (limitBytes !== undefined ? Math.max(1 << 20, Math.floor(limitBytes / 4)) : DEFAULT_MEMTABLE_BUDGET_BYTES);
  const cache = createBlockCache<BlockView>(s.options.blockCacheBytes ?? (limitBytes !== undefined ? Math.floor(limitBytes / 4) : DEFAULT_BLOCK_CACHE_BYTES));
  let closed = false;
  const userClock = s.options.clock ?? Date.now;
  /** The clock in whole milliseconds; a value that is not a time (NaN, negative, past year 9999) is INVALID_ARGUMENT, before anything is written. */
  const clock = (): number => {
    const t = userClock();
    if (typeof t !== 'number' || !Number.isFinite(t) || t < 0 || t > 253402300799999) throw new HeliosError('INVALID_ARGUMENT', 'clock() must return milliseconds since the Unix epoch (0 .. year 9999)');
    return Math.floor(t);
  };
  const auditOpt = s.options.audit;
  const intervalMs = !readonly && ctx.suite !== 'none' && s.options.rotationIntervalDays !== undefined ? s.options.rotationIntervalDays * DAY_MS : null;
  const liveSnapshots = new Map<Snapshot, number>();
  const released = new WeakSet<Snapshot>();
  /** seqNums of open iterators: flushes and compactions keep what they can see. */
  const iteratorSeqs = new Map<object, number>();

  const checkOpen = (): void => {
    if (closed) throw new HeliosError('CLOSED', 'the database is closed');
  };
  const checkWritable = (): void => {
    checkOpen();
    if (readonly) throw new HeliosError('READONLY', 'attempt to write a readonly database');
    if (st.failure !== null) throw st.failure;
  };
  /** Runs a write-path step; an I/O error fails the handle. */
  const guarded = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      if (isHeliosError(e, 'IO') || isHeliosError(e, 'INTERNAL') || !isHeliosError(e)) st.failure ??= e;
      throw e;
    }
  };

  const tables = createTableSet({ vfs, dir, keyring: ctx.keyring, cache, preopened: r.tableFiles });
  tables.sync(st.manifest.version);
  const work = createMaintenance({
    vfs,
    dir,
    ctx,
    st,
    tables,
    config: { ...DEFAULT_COMPACTION_CONFIG, ...s.options.compaction },
    manifestRewriteBytes: s.options.manifestRewriteBytes ?? DEFAULT_MANIFEST_REWRITE_BYTES,
    memtableBudgetBytes,
    stepEntries: s.options.compactionStepEntries ?? DEFAULT_COMPACTION_STEP_ENTRIES,
    witness: s.options.rollbackWitness,
    readerSeqs: () => [...liveSnapshots.values(), ...iteratorSeqs.values()],
    reseal:
      intervalMs === null
        ? null
        : {
            wanted: () => ctx.keyring.generations.length > 1,
            retire: () => {
              const dropped = keys.retireUnusedGenerations();
              for (const g of dropped) auditOrFail('drop-generation', 'ok', { generation: g, slot: null });
            },
          },
  });

  /** Creation time of generation `g` (ms since the epoch) as the manifest records it, or null. */
  const createdAt = (g: number): number | null => st.manifest.version.generationTimes.find((t) => t.generation === g)?.unixMs ?? null;
  /** When the scheduled rotation is due, or null (no schedule, or the current generation's time is unknown). */
  const rotationDueAt = (): number | null => {
    if (intervalMs === null) return null;
    const t = createdAt(ctx.keyring.currentGeneration);
    return t === null ? null : t + intervalMs;
  };

  /** Appends an audit entry; returns its checkpoint (null when the audit log is off). */
  const appendAudit = (op: string, outcome: string, extra: { generation?: number | null; slot?: number | null }): AuditCheckpoint | null => {
    if (auditOpt === undefined) return null;
    const key = auditKeyOf(ctx.keyring);
    try {
      return appendAuditEntry({
        path: auditOpt.path,
        databaseId: ctx.databaseId,
        key,
        unixMs: clock(),
        op,
        outcome,
        generation: extra.generation !== undefined ? extra.generation : ctx.keyring.currentGeneration,
        slot: extra.slot !== undefined ? extra.slot : keys.ownSlotIndex(),
      });
    } finally {
      key.fill(0);
    }
  };
  /** appendAudit, then (writable, healthy handle) the sealed checkpoint [AUD-CKPT-1]. */
  const audit = (op: string, outcome: string, extra: { generation?: number | null; slot?: number | null } = {}): void => {
    const ck = appendAudit(op, outcome, extra);
    if (ck !== null && !readonly && st.failure === null) guarded(() => work.editManifest({ auditCheckpoint: ck }));
  };
  /**
   * audit() for what the database does by itself after a commit (scheduled rotations, drops):
   * nobody is there to receive the error, so an entry that cannot be written fails the handle
   * (later writes throw it) rather than leaving the operation unlogged [AUD-OPS-4].
   */
  const auditOrFail = (op: string, outcome: string, extra: { generation?: number | null; slot?: number | null }): void => {
    try {
      audit(op, outcome, extra);
    } catch (e) {
      st.failure ??= e;
      throw e;
    }
  };
  /** Runs a key operation and logs its outcome (a failure too, then rethrows it). */
  const audited = <T>(op: string, fn: () => T, slot?: () => number | null): T => {
    let r: T;
    try {
      r = fn();
    } catch (e) {
      if (auditOpt !== undefined && !closed) {
        try {
          audit(op, outcomeOf(e));
        } catch {
          // the operation's error stands
        }
      }
      throw e;
    }
    audit(op, 'ok', slot === undefined ? {} : { slot: slot() });
    return r;
  };
  /** The scheduled rotation [CRY-ROTATE-8]: O(1) (HELIOS, a manifest, a WAL segment); the re-seal follows in slices. */
  const rotateIfDue = (): void => {
    const due = rotationDueAt();
    if (due === null || clock() < due) return;
    const g = keys.rotateDataKey();
    auditOrFail('rotate-scheduled', 'ok', { generation: g });
  };

  /** Newest version of `key` at `seq` across memtables and tables (a copy), null if deleted, undefined if never written. */
  const getAt = (key: Uint8Array, seq: number): Uint8Array | null | undefined => {
    const m = st.memtable.get(key, seq) ?? st.imm?.memtable.get(key, seq);
    if (m !== undefined) return m.value === null ? null : m.value.slice();
    return tables.get(key, seq);
  };

  const snapshotSeq = (snap: Snapshot | undefined): number => {
    if (snap === undefined) return st.lastSeqNum;
    if (!liveSnapshots.has(snap)) {
      throw new HeliosError('INVALID_ARGUMENT', released.has(snap) ? 'the snapshot was released' : 'the snapshot does not belong to this database');
    }
    return snap.seqNum;
  };

  const takeSnapshot = (): Snapshot => {
    const snap: Snapshot = {
      seqNum: st.lastSeqNum,
      release() {
        if (liveSnapshots.delete(snap)) released.add(snap);
      },
    };
    liveSnapshots.set(snap, st.lastSeqNum);
    return snap;
  };

  /** Sequence number of the next entry forEachWalEntry hands to addToMemtable. */
  let addSeq = 0;
  const addToMemtable = (key: Uint8Array, value: Uint8Array | null): void => st.memtable.add(key, addSeq++, value);

  const write = (batch: WriteBatch, mode: SynchronousMode = engineMode): void => {
    checkWritable();
    const { body, count } = batchBody(batch);
    if (count === 0) return;
    const firstSeqNum = st.lastSeqNum + 1;
    // A view of the batch's own buffer; 'off' keeps plaintexts until a group is sealed, so it gets a copy.
    const view = batchPlaintext(batch, firstSeqNum);
    const plaintext = mode === 'off' ? view.slice() : view;
    if (plaintext.length + 64 > MAX_SEALED_RECORD_BYTES) {
      throw new HeliosError('TOO_BIG', `write batch of ${plaintext.length} bytes exceeds the ${MAX_SEALED_RECORD_BYTES}-byte record limit`);
    }
    if (mode === 'full') work.checkCurrent(); // one small read beside the fdatasync: a second writer is noticed before a commit goes over it
    guarded(() => st.wal.addBatch(plaintext, mode));
    addSeq = firstSeqNum;
    forEachWalEntry(body, count, addToMemtable);
    st.lastSeqNum = firstSeqNum + count - 1;
    if (mode === 'full') st.durableSeq = st.lastSeqNum;
    // The commit above is done; a failed rotation, flush or compaction fails the handle for later writes only.
    try {
      if (st.wal.byteLength >= walSegmentBytes) guarded(work.rotateWal);
      if (intervalMs !== null) guarded(rotateIfDue);
      guarded(() => work.doWork(count));
    } catch {
      // recorded in `st.failure`
    }
  };

  /** What switching to mode `next` needs first: 'full' syncs what is written, the others write out what 'off' buffered. */
  const settleLog = (next: SynchronousMode): void => {
    if (st.failure === null && !readonly) {
      guarded(() => {
        if (next === 'full') st.wal.sync();
        else st.wal.flush();
      });
    }
  };

  const keys = createKeyManagement({
    vfs,
    dir,
    ctx,
    info,
    setKeySource: (kind) => (s.keySource = kind),
    checkWritable,
    guarded,
    rotateWal: work.rotateWal,
    flushAll: work.flushAll,
    levels: tables.levelFiles,
    compact: work.compact,
    rewriteManifest: work.rewriteManifest,
    tableGenerations: tables.generations,
    walFileNumbers: () => st.manifest.version.walSegments.map((seg) => seg.fileNumber),
    manifestFileNumber: () => st.manifest.fileNumber,
    recordGenerationTime: (generation) => work.editManifest({ generationsCreated: [{ generation, unixMs: clock() }] }),
  }, ctx.random);

  const vacuumHost = {
    checkWritable,
    guarded,
    flushAll: work.flushAll,
    levels: tables.levelFiles,
    compact: work.compact,
    rotateWal: work.rotateWal,
    rewriteManifest: work.rewriteManifest,
    vfs,
    dir,
    ctx,
    liveFiles: () => ({
      manifestNumber: st.manifest.fileNumber,
      walNumbers: st.manifest.version.walSegments.map((seg) => seg.fileNumber),
      tableNumbers: st.manifest.version.levels.flat().map((f) => f.fileNumber),
      durableSeq: st.durableSeq,
    }),
  };

  const engine: Engine = {
    ...keys,
    changeKey: (newKey, options) => audited('change-key', () => keys.changeKey(newKey, options), keys.lastChangedSlot),
    addKey: (key, options) => audited('add-key', () => keys.addKey(key, options), keys.lastChangedSlot),
    removeKey: (key) => audited('remove-key', () => keys.removeKey(key), keys.lastChangedSlot),
    rotateDataKey: (options) => audited('rotate', () => keys.rotateDataKey(options)),
    rewriteAll: (options) => audited('rewrite', () => keys.rewriteAll(options)),
    revokeKeys: (options) => audited('revoke', () => keys.revokeKeys(options)),
    audit(op, outcome, extra) {
      checkOpen();
      audit(op, outcome, extra ?? {});
    },
    verifyAuditLog(path) {
      checkOpen();
      const p = path ?? auditOpt?.path;
      if (p === undefined) throw new HeliosError('CONFIG', 'no audit log path: the audit log is off for this handle and none was given');
      const key = auditKeyOf(ctx.keyring);
      try {
        return verifyAuditFile(p, ctx.databaseId, key, st.manifest.version.auditCheckpoint);
      } finally {
        key.fill(0);
      }
    },
    compactAll(options) {
      checkOpen();
      compactAll(vacuumHost, options);
    },
    copyTo(destDir, destVfs = vfs) {
      checkOpen();
      copyDatabase(vacuumHost, destVfs, destDir);
    },
    get(key, options) {
      checkOpen();
      checkKey(key);
      const v = getAt(key, snapshotSeq(options?.snapshot));
      return v === null ? undefined : v;
    },
    put(key, value) {
      checkKey(key);
      checkValue(value);
      const b = createWriteBatch();
      b.put(key, value);
      write(b);
    },
    delete(key) {
      checkKey(key);
      const b = createWriteBatch();
      b.delete(key);
      write(b);
    },
    write,
    snapshot() {
      checkOpen();
      return takeSnapshot();
    },
    iterator(options = {}) {
      checkOpen();
      for (const k of ['gte', 'gt', 'lte', 'lt'] as const) {
        const b = options[k];
        if (b !== undefined && !(b instanceof Uint8Array)) throw new HeliosError('INVALID_ARGUMENT', `iterator bound ${k} must be a Uint8Array`);
      }
      const seq = snapshotSeq(options.snapshot);
      const levels = tables.levels;
      const pinned = levels.flat();
      tables.pin(pinned);
      const token = {};
      iteratorSeqs.set(token, seq);
      let itClosed = false;
      const sources: InternalCursor[] = [st.memtable.cursor()];
      if (st.imm !== null) sources.push(st.imm.memtable.cursor());
      for (const h of levels[0]!) sources.push(tables.tableOf(h).cursor());
      for (let l = 1; l < levels.length; l++) {
        const hs = levels[l]!;
        if (hs.length > 0) sources.push(createLevelCursor(hs.map((h) => h.file), (i) => tables.tableOf(hs[i]!).cursor()));
      }
      const it = createUserIterator(createMergingCursor(sources), {
        ...(options.gte ? { gte: options.gte } : {}),
        ...(options.gt ? { gt: options.gt } : {}),
        ...(options.lte ? { lte: options.lte } : {}),
        ...(options.lt ? { lt: options.lt } : {}),
        reverse: options.reverse === true,
        snapshotSeq: seq,
      });
      return {
        next: () => {
          checkOpen();
          return it.next();
        },
        key: () => it.key(),
        value: () => it.value(),
        seek: (k) => {
          checkKey(k);
          it.seek(k);
        },
        close: () => {
          if (itClosed) return;
          itClosed = true;
          it.close();
          iteratorSeqs.delete(token);
          tables.unpin(pinned);
        },
      };
    },
    beginBackup(destVfs, destDir) {
      checkWritable();
      /** [ENG-BAK-AUTH-1] a copied file that does not authenticate fails the backup, naming the file. */
      const refuseDamaged = (name: string, verify: () => void): void => {
        try {
          verify();
        } catch (e) {
          if (!isHeliosError(e, 'CORRUPTION') && !isHeliosError(e, 'IO') && !isHeliosError(e, 'UNSUPPORTED_VERSION') && !isHeliosError(e, 'NOT_A_DATABASE')) throw e;
          throw new HeliosError('CORRUPTION', `backup refused: ${name} of the database does not authenticate (${e.message})`, { file: name }, { cause: e });
        }
      };
      // [ENG-BAK-POINT-1] the WAL is on disk up to the last commit; that commit is the backup's point.
      guarded(() => st.wal.sync());
      st.durableSeq = st.lastSeqNum;
      const v = st.manifest.version;
      const lastSeqNum = st.lastSeqNum;
      const written: { name: string; byteLength: number }[] = [];
      const put = (name: string, bytes: Uint8Array): void => {
        const f = destVfs.create(joinPath(destDir, name));
        try {
          f.append(bytes);
          f.sync();
        } finally {
          f.close();
        }
        written.push({ name, byteLength: bytes.length });
      };
      put(SUPERBLOCK_FILE, vfs.readFile(joinPath(dir, SUPERBLOCK_FILE)));
      const walSegments = v.walSegments.map((seg) => {
        const byteLength = seg.sealedByteLength ?? (seg.fileNumber === st.wal.fileNumber ? st.wal.writtenByteLength : 0);
        const name = walFileName(seg.fileNumber);
        const f = vfs.openRead(joinPath(dir, name));
        let bytes: Uint8Array;
        try {
          bytes = f.readAt(0, byteLength);
        } finally {
          f.close();
        }
        if (bytes.length !== byteLength) throw new HeliosError('CORRUPTION', `${name}: shorter than the ${byteLength} bytes written`, { file: name, offset: bytes.length });
        put(name, bytes);
        refuseDamaged(name, () => verifyWalFile(destVfs, joinPath(destDir, name), ctx, seg.fileNumber, byteLength, true));
        return { fileNumber: seg.fileNumber, sealedByteLength: byteLength };
      });
      const metas = v.levels.flat();
      const maxUsed = Math.max(0, ...walSegments.map((w) => w.fileNumber), ...metas.map((m) => m.fileNumber));
      const manifestNumber = Math.max(v.nextFileNumber, maxUsed + 1);
      const m = createManifest(destVfs, destDir, ctx, manifestNumber, { ...v, nextFileNumber: manifestNumber + 1, walSegments });
      const manifestByteLength = m.byteLength;
      m.close();
      written.push({ name: manifestFileName(manifestNumber), byteLength: manifestByteLength });
      // A cleanly closed CURRENT [ENG-CLOSE-1]: opening the backup checks that its manifest and WAL end exactly here.
      put(CURRENT_FILE, encodeStateFile(ctx, FILE_KIND_CURRENT, { manifestNumber, closed: true, lastSeqNum, manifestByteLength }));
      destVfs.syncDir(destDir);
      const handles = metas.map((meta) => tables.handle(meta.fileNumber));
      tables.pin(handles);
      let pinned = true;
      return {
        lastSeqNum,
        written,
        tables: metas.map((meta) => ({ name: tableFileName(meta.fileNumber), byteLength: meta.byteLength })),
        check: checkOpen,
        authenticate(name) {
          checkOpen();
          const meta = metas.find((x) => tableFileName(x.fileNumber) === name);
          if (meta === undefined) throw new HeliosError('INVALID_ARGUMENT', `${name} is not a table of this backup point`);
          refuseDamaged(name, () => verifyTableFile(destVfs, joinPath(destDir, name), ctx, meta));
        },
        openTable(name) {
          checkOpen();
          if (!pinned) throw new HeliosError('INVALID_ARGUMENT', 'the backup point was released');
          if (!metas.some((meta) => tableFileName(meta.fileNumber) === name)) throw new HeliosError('INVALID_ARGUMENT', `${name} is not a table of this backup point`);
          return vfs.openRead(joinPath(dir, name));
        },
        release() {
          if (!pinned) return;
          pinned = false;
          if (!closed) tables.unpin(handles);
        },
      };
    },
    verifyFiles(onProgress) {
      checkOpen();
      if (!readonly && st.failure === null) guarded(() => st.wal.flush());
      return verifyFiles({
        vfs,
        dir,
        ctx,
        version: st.manifest.version,
        manifestNumber: readonly ? r.manifestNumber : st.manifest.fileNumber,
        activeWal: readonly ? null : { fileNumber: st.wal.fileNumber, byteLength: st.wal.writtenByteLength },
      }, onProgress);
    },
    setSynchronous(next) {
      checkOpen();
      if (!SYNC_MODES.includes(next)) throw new HeliosError('INVALID_ARGUMENT', `synchronous must be 'full', 'normal' or 'off'`);
      settleLog(next);
      engineMode = next;
    },
    settleLog(next) {
      checkOpen();
      settleLog(next);
    },
    info() {
      checkOpen();
      const v = st.manifest.version;
      const providerActive = fipsProviderActive();
      const opensslOnly = opensslOnlyActive();
      const algorithmsApproved = info.suite === 'aes-256-gcm' && info.kdf !== 'argon2id';
      const moduleValidated = providerActive && opensslOnly;
      const requested = s.options.fips === true;
      return {
        openHandles: 1,
        fips: { requested, createdInFipsMode: info.fipsMode, providerActive, opensslOnly, algorithmsApproved, moduleValidated, active: requested && algorithmsApproved && moduleValidated },
        encryptionEnabled: info.suite !== 'none',
        suite: info.suite,
        kdf: info.kdf,
        keySource: s.keySource,
        fipsMode: info.fipsMode,
        formatVersion: info.formatVersion,
        generations: [...info.generations],
        currentGeneration: ctx.keyring.currentGeneration,
        synchronous: engineMode,
        walDroppedBytes: r.walDroppedBytes,
        lastSeqNum: st.lastSeqNum,
        walRecordsReplayed: r.walRecordsReplayed,
        memtableEntries: st.memtable.entryCount,
        memtableBytes: st.memtable.approximateByteLength,
        memtableBudgetBytes,
        immutableMemtableEntries: st.imm?.memtable.entryCount ?? 0,
        tablesPerLevel: tables.levels.map((l) => l.length),
        tableBytesPerLevel: tables.levels.map((l) => l.reduce((a, h) => a + h.meta.byteLength, 0)),
        ...work.stats(),
        blockCache: cache.stats(),
        walSegments: v.walSegments.length,
        activeWalFileNumber: st.wal.fileNumber,
        manifestFileNumber: st.manifest.fileNumber,
        liveSnapshots: liveSnapshots.size,
        failure: st.failure === null ? null : st.failure instanceof Error ? st.failure.message : String(st.failure),
        generationInfo: ctx.keyring.generations.map((g) => {
          const files = tables.levelFiles().flat().filter((f) => f.generation === g);
          return { generation: g, createdAtMs: createdAt(g), tables: files.length, tableBytes: files.reduce((a, f) => a + f.fileSize, 0) };
        }),
        rotationIntervalDays: intervalMs === null ? null : intervalMs / DAY_MS,
        nextRotationAtMs: rotationDueAt(),
        auditLogPath: auditOpt?.path ?? null,
      };
    },
    lastSeqNum: () => st.lastSeqNum,
    openHandles: () => 1,
    shareKey: {},
    close() {
      if (closed) return;
      let error: unknown = null;
      let closeCheckpoint: AuditCheckpoint | null = null;
      if (auditOpt !== undefined && auditOpt.routine !== false) {
        try {
          closeCheckpoint = appendAudit('close', 'ok', {});
        } catch (e) {
          error = e;
        }
      }
      closed = true;
      if (readonly) {
        // Nothing to persist: a readonly handle wrote nothing.
      } else if (st.failure === null) {
        try {
          st.wal.sync();
          work.editManifest({ walSealed: [{ fileNumber: st.wal.fileNumber, byteLength: st.wal.writtenByteLength }], ...(closeCheckpoint !== null ? { auditCheckpoint: closeCheckpoint } : {}) });
          // The clean-close record [ENG-CLOSE-1]: the next open checks that the
          // manifest and the WAL still end exactly here.
          work.writeCurrent({ manifestNumber: st.manifest.fileNumber, closed: true, lastSeqNum: st.lastSeqNum, manifestByteLength: st.manifest.byteLength });
        } catch (e) {
          error ??= e;
        }
      } else {
        // Nothing more can be written: commits still buffered ('off') are lost. Say so.
        error ??= st.failure;
      }
      // A running flush or compaction is abandoned: its outputs are not in the
      // manifest (the next open deletes them) and the WAL still holds its data.
      work.abort();
      tables.close();
      cache.clear();
      st.wal.close();
      st.manifest.close();
      for (const snap of liveSnapshots.keys()) released.add(snap);
      liveSnapshots.clear();
      ctx.keyring.destroy();
      s.lock.release();
      if (error !== null) throw error;
    },
  };
  // What an open does once the handle works: record the creation time of generations that have
  // none (a new database, or one made before times were recorded) [CRY-ROTATE-8], log the open,
  // and start a scheduled rotation that is due. A failure closes the handle (the audit log
  // fails closed).
  try {
    if (!readonly) {
      const missing = ctx.keyring.generations.filter((g) => createdAt(g) === null);
      if (missing.length > 0) guarded(() => work.editManifest({ generationsCreated: missing.map((generation) => ({ generation, unixMs: clock() })) }));
    }
    if (auditOpt !== undefined && auditOpt.routine !== false) audit('open', 'ok');
    if (intervalMs !== null) guarded(rotateIfDue);
  } catch (e) {
    try {
      engine.close();
    } catch {
      // the first error is the one to report
    }
    throw e;
  }
  return engine;
}
