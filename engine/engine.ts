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
import type { Vfs, VfsLock } from './vfs.ts';
import { joinPath } from './vfs-path.ts';
import { HeliosError, isHeliosError } from '../format/errors.ts';
import { MAX_SEALED_RECORD_BYTES } from '../format/record-frame.ts';
import { forEachWalEntry } from '../format/wal-record.ts';
import type { BlockView } from '../format/sstable-block.ts';
import type { Keyring, SuperblockInfo } from '../crypto/superblock.ts';
import type { KeyContext } from './file-cipher.ts';
import { CURRENT_FILE, LOCK_FILE, SUPERBLOCK_FILE, manifestFileName, tableFileName, walFileName } from './file-names.ts';
import { FILE_KIND_CURRENT } from '../format/file-header.ts';
import { encodeStateFile } from './current.ts';
import { createManifest } from './manifest.ts';
import { verifyFiles } from './verify.ts';
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
import { createKeyManagement } from './key-management.ts';
import { checkOptions, SYNC_MODES, type Engine, type EngineOptions, type Snapshot, type SynchronousMode } from './engine-types.ts';
import { openOrCreateSuperblock, recoverReadonly, recoverWritable, type RecoveredState } from './recovery.ts';
import { createTableSet } from './table-set.ts';
import { createMaintenance, type WriterState } from './maintenance.ts';

export type { BackupPoint, FileCheck, FileCheckProgress, FipsStatus } from './engine-types.ts';
export type { Engine, EngineInfo, EngineIterator, EngineOptions, IteratorOptions, Snapshot, SynchronousMode } from './engine-types.ts';
export type { KeySourceOption } from './key-loader.ts';
/** Re-exported so layers above the engine never import crypto/ directly. */
export type { KdfOptions } from '../crypto/superblock.ts';
export type { SuiteId } from '../crypto/cipher-suite.ts';
export type { ChangeKeyOptions, RewriteOptions, RewriteProgress, RewriteResult, RotateOptions } from './key-management.ts';
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
 * CORRUPTION (file and offset named), UNSUPPORTED_VERSION, IO.
 */
export function openEngine(path: string, options: EngineOptions = {}): Engine {
  if (typeof path !== 'string' || path === '') throw new HeliosError('INVALID_ARGUMENT', 'path must be a non-empty string');
  checkOptions(options);
  // Honest FIPS mode: no open at all unless the runtime reports a FIPS provider.
  if (options.fips === true) enterFipsMode();
  const vfs = options.vfs ?? createNodeVfs();
  const dir = path;
  const readonly = options.readonly === true;
  if (!vfs.exists(dir)) {
    if (readonly) throw new HeliosError('CONFIG', `no database at ${path} (a readonly open never creates one)`);
    if (options.createIfMissing === false) throw new HeliosError('CONFIG', `no database at ${path} (createIfMissing is false)`);
    vfs.mkdir(dir);
  }
  // A readonly open takes no lock: it writes nothing, not even LOCK [ENG-RO-1].
  const lock: VfsLock = readonly ? { release() {} } : vfs.lock(joinPath(dir, LOCK_FILE));
  let keyring: Keyring | null = null;
  try {
    const sb = openOrCreateSuperblock(vfs, dir, options);
    keyring = sb.keyring;
    const ctx: KeyContext = { databaseId: sb.keyring.databaseId, suite: sb.keyring.suite, keyring: sb.keyring, random: randomBytes };
    const recovered = readonly ? recoverReadonly(vfs, dir, ctx, options) : recoverWritable(vfs, dir, ctx, options);
    return createEngine({ vfs, dir, options, lock, ctx, info: sb.info, keySource: sb.keySource, readonly, recovered });
  } catch (e) {
    keyring?.destroy();
    lock.release();
    throw e;
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
  let mode: SynchronousMode = s.options.synchronous ?? 'full';
  const walSegmentBytes = s.options.walSegmentBytes ?? DEFAULT_WAL_SEGMENT_BYTES;
  const limitBytes = s.options.memoryLimitMb !== undefined ? s.options.memoryLimitMb * 1024 * 1024 : undefined;
  const memtableBudgetBytes = s.options.memtableBudgetBytes ?? (limitBytes !== undefined ? Math.max(1 << 20, Math.floor(limitBytes / 4)) : DEFAULT_MEMTABLE_BUDGET_BYTES);
  const cache = createBlockCache<BlockView>(s.options.blockCacheBytes ?? (limitBytes !== undefined ? Math.floor(limitBytes / 4) : DEFAULT_BLOCK_CACHE_BYTES));
  let closed = false;
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
  });

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

  const write = (batch: WriteBatch): void => {
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
      guarded(() => work.doWork(count));
    } catch {
      // recorded in `st.failure`
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
  }, ctx.random);

  const engine: Engine = {
    ...keys,
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
      if (st.failure === null && !readonly) {
        guarded(() => {
          if (next === 'full') st.wal.sync();
          else st.wal.flush();
        });
      }
      mode = next;
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
        fips: { requested, createdInFipsMode: info.fipsMode, providerActive, opensslOnly, algorithmsApproved, moduleValidated, active: requested && algorithmsApproved && moduleValidated },
        encryptionEnabled: info.suite !== 'none',
        suite: info.suite,
        kdf: info.kdf,
        keySource: s.keySource,
        fipsMode: info.fipsMode,
        formatVersion: info.formatVersion,
        generations: [...info.generations],
        currentGeneration: ctx.keyring.currentGeneration,
        synchronous: mode,
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
      };
    },
    close() {
      if (closed) return;
      closed = true;
      let error: unknown = null;
      if (readonly) {
        // Nothing to persist: a readonly handle wrote nothing.
      } else if (st.failure === null) {
        try {
          st.wal.sync();
          work.editManifest({ walSealed: [{ fileNumber: st.wal.fileNumber, byteLength: st.wal.writtenByteLength }] });
          // The clean-close record [ENG-CLOSE-1]: the next open checks that the
          // manifest and the WAL still end exactly here.
          work.writeCurrent({ manifestNumber: st.manifest.fileNumber, closed: true, lastSeqNum: st.lastSeqNum, manifestByteLength: st.manifest.byteLength });
        } catch (e) {
          error = e;
        }
      } else {
        // Nothing more can be written: commits still buffered ('off') are lost. Say so.
        error = st.failure;
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
  return engine;
}
