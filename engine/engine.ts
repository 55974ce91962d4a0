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
import { manifestFileName, type CurrentState } from '../format/current-file.ts';
import { FILE_KIND_CURRENT, FILE_KIND_WAL } from '../format/file-header.ts';
import { MAX_SEALED_RECORD_BYTES } from '../format/record-frame.ts';
import { encodeWalBatchBody, forEachWalEntry } from '../format/wal-record.ts';
import type { Keyring, SuperblockInfo } from '../crypto/superblock.ts';
import { createFileCipher, newFileHeader, type KeyContext } from './file-cipher.ts';
import { CURRENT_FILE, LOCK_FILE, tableFileName, walFileName } from './file-names.ts';
import type { KeySourceKind } from './key-loader.ts';
import { createLogWriter } from './log-writer.ts';
import { createWalWriter, type WalWriter } from './wal-writer.ts';
import { applyEdit, createManifest, type ManifestWriter, type Version } from './manifest.ts';
import { createMemtable, type Memtable } from './memtable.ts';
import { createLevelCursor, createMergingCursor, createUserIterator, type InternalCursor } from './merge-iterator.ts';
import { createBlockCache } from './block-cache.ts';
import { createCompactionJob, DEFAULT_COMPACTION_CONFIG, pickCompaction, type Compaction, type CompactionConfig, type CompactionJob, type LevelFile } from './compaction.ts';
import { openTable, type Table } from './sstable-reader.ts';
import { createTableWriter, tableFileMeta, type TableMeta } from './sstable-writer.ts';
import { decodeInternalKey } from '../format/sstable-footer.ts';
import { KIND_TOMBSTONE, type BlockView } from '../format/sstable-block.ts';
import { compareBytes, equalBytes } from '../format/bytes.ts';
import type { ManifestEdit, TableFileMeta } from '../format/manifest-edit.ts';
import { batchBody, checkKey, checkValue, createWriteBatch, type WriteBatch } from './write-batch.ts';
import { randomBytes } from './random.ts';
import { createKeyManagement } from './key-management.ts';
import { checkOptions, SYNC_MODES, type Engine, type EngineOptions, type Snapshot, type SynchronousMode } from './engine-types.ts';
import { encodeStateFile } from './current.ts';
import { openOrCreateSuperblock, recoverReadonly, recoverWritable, writeWitness, type RecoveredState } from './recovery.ts';

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
/** Flush work (entries moved to L0) per entry a commit writes: > 1 so a flush ends before the next memtable fills. */
const FLUSH_WORK_PER_ENTRY = 4;
/** Compaction work per entry written: leveled compaction rewrites each entry ~ size-ratio times per level. */
const COMPACTION_WORK_PER_ENTRY = 8;
const DEFAULT_COMPACTION_STEP_ENTRIES = 64;
/** L0 holding this many times the compaction trigger stalls commits until a compaction finishes. */
const L0_STALL_FACTOR = 3;

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
  let wal = r.wal ?? readonlyWal();
  let manifest = r.manifest ?? readonlyManifest(r.version);
  let memtable = r.memtable;
  let lastSeqNum = r.lastSeqNum;
  /** What this handle last wrote to CURRENT: any other content means another writer took over [ENG-LOCK-3]. */
  let currentBytes = r.currentBytes;
  const witness = s.options.rollbackWitness;
  let mode: SynchronousMode = s.options.synchronous ?? 'full';
  const walSegmentBytes = s.options.walSegmentBytes ?? DEFAULT_WAL_SEGMENT_BYTES;
  const manifestRewriteBytes = s.options.manifestRewriteBytes ?? DEFAULT_MANIFEST_REWRITE_BYTES;
  const limitBytes = s.options.memoryLimitMb !== undefined ? s.options.memoryLimitMb * 1024 * 1024 : undefined;
  const memtableBudgetBytes = s.options.memtableBudgetBytes ?? (limitBytes !== undefined ? Math.max(1 << 20, Math.floor(limitBytes / 4)) : DEFAULT_MEMTABLE_BUDGET_BYTES);
  const cache = createBlockCache<BlockView>(s.options.blockCacheBytes ?? (limitBytes !== undefined ? Math.floor(limitBytes / 4) : DEFAULT_BLOCK_CACHE_BYTES));
  const config: CompactionConfig = { ...DEFAULT_COMPACTION_CONFIG, ...s.options.compaction };
  const stepEntries = s.options.compactionStepEntries ?? DEFAULT_COMPACTION_STEP_ENTRIES;
  let failure: unknown = null;
  let closed = false;
  const liveSnapshots = new Map<Snapshot, number>();
  const released = new WeakSet<Snapshot>();

  const checkOpen = (): void => {
    if (closed) throw new HeliosError('CLOSED', 'the database is closed');
  };
  const checkWritable = (): void => {
    checkOpen();
    if (readonly) throw new HeliosError('READONLY', 'attempt to write a readonly database');
    if (failure !== null) throw failure;
  };
  /** Runs a write-path step; an I/O error fails the handle. */
  const guarded = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      if (isHeliosError(e, 'IO') || isHeliosError(e, 'INTERNAL') || !isHeliosError(e)) failure ??= e;
      throw e;
    }
  };

  /**
   * File numbers come from one counter: the manifest's nextFileNumber, moved
   * ahead here as files are started; every edit that adds a file records it.
   * A number handed out but never recorded belongs to an orphan that the next
   * open deletes; reusing it later is safe (every file draws a fresh salt).
   */
  let nextFileNumber = manifest.version.nextFileNumber;
  const allocFileNumber = (): number => {
    nextFileNumber = Math.max(nextFileNumber, manifest.version.nextFileNumber);
    return nextFileNumber++;
  };

  /** Highest sequence number known durable (recovered at open, or synced since): CURRENT and the witness record it. */
  let durableSeq = lastSeqNum;

  /**
   * Second line of defence against a second writer [ENG-LOCK-3]: before this
   * handle changes the manifest (and before each 'full' commit) it checks that
   * CURRENT still holds what it wrote. Another writer's open or manifest
   * rewrite replaces CURRENT (always with fresh bytes), so this handle then
   * stops with LOCKED instead of committing over that writer.
   */
  const checkCurrent = (): void => {
    if (currentBytes === null) return;
    let now: Uint8Array | null = null;
    try {
      now = vfs.readFile(joinPath(dir, CURRENT_FILE));
    } catch (e) {
      if (!isHeliosError(e, 'IO')) throw e;
    }
    if (now !== null && equalBytes(now, currentBytes)) return;
    const e = new HeliosError('LOCKED', `database is locked: another writer replaced ${dir}/CURRENT while this handle had it open; this handle stops writing (its commits so far are in the WAL; reopen to see the other writer's)`, { file: CURRENT_FILE });
    failure ??= e;
    throw e;
  };
  const editManifest = (edit: ManifestEdit): void => {
    checkCurrent();
    manifest.apply(edit);
  };
  const writeCurrent = (state: CurrentState): void => {
    const bytes = encodeStateFile(ctx, FILE_KIND_CURRENT, state);
    vfs.writeFileAtomic(joinPath(dir, CURRENT_FILE), bytes);
    currentBytes = bytes;
    if (witness !== undefined) writeWitness(vfs, ctx, witness.path, state);
  };

  const rewriteManifest = (): void => {
    checkCurrent();
    const number = allocFileNumber();
    const v = applyEdit(manifest.version, { nextFileNumber }, 'MANIFEST', 0);
    const fresh = createManifest(vfs, dir, ctx, number, v);
    try {
      writeCurrent({ manifestNumber: number, closed: false, lastSeqNum: durableSeq, manifestByteLength: 0 });
    } catch (e) {
      fresh.close();
      throw e;
    }
    const old = manifest;
    manifest = fresh;
    old.close();
    vfs.remove(joinPath(dir, manifestFileName(old.fileNumber)));
    vfs.syncDir(dir);
  };

  /** Ends the active segment at its current length and starts a new one. */
  const rotateWal = (): void => {
    wal.sync();
    durableSeq = lastSeqNum;
    const number = allocFileNumber();
    const name = walFileName(number);
    const fresh = createWalWriter(createLogWriter(vfs, joinPath(dir, name), name, createFileCipher(ctx, newFileHeader(ctx, FILE_KIND_WAL, number))));
    try {
      vfs.syncDir(dir);
      editManifest({ nextFileNumber, walSealed: [{ fileNumber: wal.fileNumber, byteLength: wal.writtenByteLength }], walAdded: [number] });
      if (witness !== undefined) writeWitness(vfs, ctx, witness.path, { manifestNumber: manifest.fileNumber, closed: false, lastSeqNum: durableSeq, manifestByteLength: 0 });
    } catch (e) {
      fresh.close();
      throw e;
    }
    wal.close();
    wal = fresh;
    if (manifest.byteLength >= manifestRewriteBytes) rewriteManifest();
  };

  // ---- Tables: flush, leveled compaction, reads (engine/compaction.ts, spec/format-sstable.md) ----

  /** One live (or obsolete but still pinned) table file. */
  interface TableHandle {
    readonly meta: TableFileMeta;
    readonly file: LevelFile;
    table: Table | null;
    /** Open iterators and running compactions reading it. */
    refs: number;
    /** No longer in the version: deleted once refs reaches 0. */
    obsolete: boolean;
  }
  const handles = new Map<number, TableHandle>();
  let levels: TableHandle[][] = [];
  const toHandle = (m: TableFileMeta): TableHandle => {
    const name = tableFileName(m.fileNumber);
    const lo = decodeInternalKey(m.smallest, name, 0);
    const hi = decodeInternalKey(m.largest, name, 0);
    const file: LevelFile = { fileNumber: m.fileNumber, fileSize: m.byteLength, generation: m.generation, smallestKey: lo.userKey, smallestSeq: lo.seqNum, largestKey: hi.userKey, largestSeq: hi.seqNum };
    return { meta: m, file, table: null, refs: 0, obsolete: false };
  };
  /** Rebuilds `levels` from the manifest's version: L0 newest first, deeper levels by key. */
  const syncLevels = (): void => {
    levels = manifest.version.levels.map((files, i) => {
      const hs = files.map((f) => {
        let h = handles.get(f.fileNumber);
        if (!h) handles.set(f.fileNumber, (h = toHandle(f)));
        return h;
      });
      if (i === 0) hs.sort((a, b) => b.meta.fileNumber - a.meta.fileNumber);
      else hs.sort((a, b) => compareBytes(a.file.smallestKey, b.file.smallestKey));
      return hs;
    });
  };
  syncLevels();
  /** Opens a table on first use, checking it against the manifest's size, digest and generation [FMT-SST-DIGEST-2]. */
  const tableOf = (h: TableHandle): Table => {
    if (h.table === null) {
      const name = tableFileName(h.meta.fileNumber);
      const opened = r.tableFiles.get(h.meta.fileNumber);
      r.tableFiles.delete(h.meta.fileNumber);
      h.table = openTable({
        file: opened ?? vfs.openRead(joinPath(dir, name)),
        fileName: name,
        fileNumber: h.meta.fileNumber,
        keyring: ctx.keyring,
        cache,
        expected: { fileSize: h.meta.byteLength, digest: h.meta.digest, generation: h.meta.generation },
      });
    }
    return h.table;
  };
  const dropTable = (h: TableHandle): void => {
    h.table?.close();
    h.table = null;
    handles.delete(h.meta.fileNumber);
    try {
      vfs.remove(joinPath(dir, tableFileName(h.meta.fileNumber)));
    } catch {
      // Unreferenced by the manifest: the next open deletes it.
    }
  };
  const unpin = (hs: readonly TableHandle[]): void => {
    let removed = false;
    for (const h of hs) {
      h.refs--;
      if (h.refs === 0 && h.obsolete) {
        dropTable(h);
        removed = true;
      }
    }
    if (removed) {
      try {
        vfs.syncDir(dir);
      } catch {
        // As above.
      }
    }
  };
  /** seqNums every flush/compaction must keep readable: live snapshots and open iterators. */
  const iteratorSeqs = new Map<object, number>();
  const readerSeqs = (): number[] => [...liveSnapshots.values(), ...iteratorSeqs.values()];

  const newTableWriter = () => {
    const n = allocFileNumber();
    const name = tableFileName(n);
    return createTableWriter({ file: vfs.create(joinPath(dir, name)), fileName: name, fileNumber: n, keyring: ctx.keyring, generation: ctx.keyring.currentGeneration, salt: ctx.random(16) });
  };
  let flushes = 0;
  let compactions = 0;
  let tableBytesWritten = 0;
  const written = (outs: readonly TableMeta[]): void => {
    for (const m of outs) tableBytesWritten += m.fileSize;
  };

  /** The memtable being flushed: its data stays in WAL segments below logNumber until the flush is recorded. */
  let imm: { memtable: Memtable; logNumber: number; lastSeqNum: number; job: CompactionJob | null } | null = null;

  /** Freezes the memtable: later commits go to a new WAL segment and a new memtable. */
  const freeze = (): void => {
    rotateWal();
    imm = { memtable, logNumber: wal.fileNumber, lastSeqNum, job: null };
    memtable = createMemtable();
  };

  /**
   * Flushes up to `budget` entries of the frozen memtable into an L0 table.
   * Crash safety [FMT-SST-COMPACT-1]: the table is synced (finish) and its
   * directory entry synced before ONE manifest edit adds it and moves
   * logNumber past the flushed WAL segments; only then are they deleted.
   */
  const flushStep = (budget: number): void => {
    const f = imm!;
    f.job ??= createCompactionJob({ input: f.memtable.cursor(), snapshots: readerSeqs(), dropTombstones: false, targetFileBytes: Infinity, newTable: newTableWriter });
    if (!f.job.step(budget)) return;
    const outputs = f.job.outputs;
    vfs.syncDir(dir);
    const obsoleteWal = manifest.version.walSegments.filter((seg) => seg.fileNumber < f.logNumber).map((seg) => seg.fileNumber);
    editManifest({ filesAdded: outputs.map((m) => tableFileMeta(m, 0)), logNumber: f.logNumber, lastSeqNum: f.lastSeqNum, nextFileNumber });
    imm = null;
    flushes++;
    written(outputs);
    syncLevels();
    for (const n of obsoleteWal) vfs.remove(joinPath(dir, walFileName(n)));
    vfs.syncDir(dir);
    if (manifest.byteLength >= manifestRewriteBytes) rewriteManifest();
  };

  const compactPointers: (Uint8Array | undefined)[] = [];
  let running: { c: Compaction; job: CompactionJob; pinned: TableHandle[] } | null = null;
  const levelFiles = (): LevelFile[][] => levels.map((l) => l.map((h) => h.file));

  /**
   * Advances leveled compaction by up to `budget` input entries; false when
   * there is nothing to do. Same protocol as flushStep: outputs synced, one
   * manifest edit adds the outputs and removes the inputs, inputs deleted only
   * after that edit is durable and no reader pins them.
   */
  const compactStep = (budget: number, forced?: Compaction): boolean => {
    if (running === null) {
      const c = forced ?? pickCompaction(levelFiles(), config, compactPointers);
      if (c === null) return false;
      const inputs = c.inputs.map((f) => handles.get(f.fileNumber)!);
      const overlapping = c.overlapping.map((f) => handles.get(f.fileNumber)!);
      if (c.trivialMove && c.inputs[0]!.generation === ctx.keyring.currentGeneration) {
        const h = inputs[0]!;
        editManifest({ filesDeleted: [{ level: c.level, fileNumber: h.meta.fileNumber }], filesAdded: [{ ...h.meta, level: c.outputLevel }] });
        compactPointers[c.level] = h.file.largestKey;
        syncLevels();
        return true;
      }
      const sources: InternalCursor[] = c.level === 0 ? inputs.map((h) => tableOf(h).cursor()) : [createLevelCursor(c.inputs, (i) => tableOf(inputs[i]!).cursor())];
      if (overlapping.length > 0) sources.push(createLevelCursor(c.overlapping, (i) => tableOf(overlapping[i]!).cursor()));
      const pinned = [...inputs, ...overlapping];
      for (const h of pinned) h.refs++;
      const job = createCompactionJob({ input: createMergingCursor(sources), snapshots: readerSeqs(), dropTombstones: c.bottommost, targetFileBytes: config.targetFileBytes, newTable: newTableWriter });
      running = { c, job, pinned };
    }
    const r = running;
    let done: boolean;
    try {
      done = r.job.step(budget);
    } catch (e) {
      running = null;
      unpin(r.pinned);
      throw e;
    }
    if (!done) return true;
    running = null;
    const { c, job, pinned } = r;
    try {
      vfs.syncDir(dir);
      editManifest({
        filesAdded: job.outputs.map((m) => tableFileMeta(m, c.outputLevel)),
        filesDeleted: [...c.inputs.map((f) => ({ level: c.level, fileNumber: f.fileNumber })), ...c.overlapping.map((f) => ({ level: c.outputLevel, fileNumber: f.fileNumber }))],
        nextFileNumber,
      });
    } catch (e) {
      unpin(pinned);
      throw e;
    }
    let last = c.inputs[0]!.largestKey;
    for (const f of c.inputs) if (compareBytes(f.largestKey, last) > 0) last = f.largestKey;
    compactPointers[c.level] = last;
    compactions++;
    written(job.outputs);
    for (const h of pinned) h.obsolete = true;
    syncLevels();
    unpin(pinned);
    if (manifest.byteLength >= manifestRewriteBytes) rewriteManifest();
    return true;
  };

  /**
   * Background work done in small slices after each commit, so no commit
   * waits for a whole flush or compaction. A commit stalls (finishes the work
   * first) only when the memtable fills while the previous one is still being
   * flushed, or when L0 reaches L0_STALL_FACTOR × its trigger.
   */
  const stalls = { memtable: 0, l0: 0, stallMs: 0, longestStallMs: 0 };
  const stalled = (started: number): void => {
    const ms = performance.now() - started;
    stalls.stallMs += ms;
    if (ms > stalls.longestStallMs) stalls.longestStallMs = ms;
  };
  const doWork = (entriesWritten: number): void => {
    if (memtable.approximateByteLength >= memtableBudgetBytes) {
      if (imm !== null) {
        stalls.memtable++;
        const t = performance.now();
        while (imm !== null) flushStep(1 << 16);
        stalled(t);
      }
      freeze();
    }
    // Work in proportion to what the commit wrote, so flushing outpaces the
    // writes (a frozen memtable is gone before the next one fills) and
    // compaction keeps up with flushing (L0 stays near its trigger instead of
    // growing until the stall) — a fixed slice starved both under batches.
    if (imm !== null) flushStep(stepEntries + FLUSH_WORK_PER_ENTRY * entriesWritten);
    if (levels[0]!.length >= config.l0Trigger * L0_STALL_FACTOR) {
      stalls.l0++;
      const t = performance.now();
      while (compactStep(1 << 16) && levels[0]!.length >= config.l0Trigger * L0_STALL_FACTOR);
      stalled(t);
      return;
    }
    if (imm === null) compactStep(stepEntries + COMPACTION_WORK_PER_ENTRY * entriesWritten);
  };

  /** Newest version of `key` at `seq` across memtables and tables (a copy), null if deleted, undefined if never written. */
  const getAt = (key: Uint8Array, seq: number): Uint8Array | null | undefined => {
    const m = memtable.get(key, seq) ?? imm?.memtable.get(key, seq);
    if (m !== undefined) return m.value === null ? null : m.value.slice();
    for (const h of levels[0]!) {
      const e = tableOf(h).get(key, seq);
      if (e) return e.kind === KIND_TOMBSTONE ? null : e.value;
    }
    for (let l = 1; l < levels.length; l++) {
      const hs = levels[l]!;
      let lo = 0;
      let hi = hs.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (compareBytes(hs[mid]!.file.largestKey, key) < 0) lo = mid + 1;
        else hi = mid;
      }
      const h = hs[lo];
      if (h === undefined || compareBytes(h.file.smallestKey, key) > 0) continue;
      const e = tableOf(h).get(key, seq);
      if (e) return e.kind === KIND_TOMBSTONE ? null : e.value;
    }
    return undefined;
  };

  const snapshotSeq = (snap: Snapshot | undefined): number => {
    if (snap === undefined) return lastSeqNum;
    if (!liveSnapshots.has(snap)) {
      throw new HeliosError('INVALID_ARGUMENT', released.has(snap) ? 'the snapshot was released' : 'the snapshot does not belong to this database');
    }
    return snap.seqNum;
  };

  const takeSnapshot = (): Snapshot => {
    const snap: Snapshot = {
      seqNum: lastSeqNum,
      release() {
        if (liveSnapshots.delete(snap)) released.add(snap);
      },
    };
    liveSnapshots.set(snap, lastSeqNum);
    return snap;
  };

  /** Sequence number of the next entry forEachWalEntry hands to addToMemtable. */
  let addSeq = 0;
  const addToMemtable = (key: Uint8Array, value: Uint8Array | null): void => memtable.add(key, addSeq++, value);

  const write = (batch: WriteBatch): void => {
    checkWritable();
    const { body, count } = batchBody(batch);
    if (count === 0) return;
    const firstSeqNum = lastSeqNum + 1;
    const plaintext = encodeWalBatchBody(firstSeqNum, count, body);
    if (plaintext.length + 64 > MAX_SEALED_RECORD_BYTES) {
      throw new HeliosError('TOO_BIG', `write batch of ${plaintext.length} bytes exceeds the ${MAX_SEALED_RECORD_BYTES}-byte record limit`);
    }
    if (mode === 'full') checkCurrent(); // one small read beside the fdatasync: a second writer is noticed before a commit goes over it
    guarded(() => wal.addBatch(plaintext, mode));
    addSeq = firstSeqNum;
    forEachWalEntry(body, count, addToMemtable);
    lastSeqNum = firstSeqNum + count - 1;
    if (mode === 'full') durableSeq = lastSeqNum;
    // The commit above is done; a failed rotation, flush or compaction fails the handle for later writes only.
    try {
      if (wal.byteLength >= walSegmentBytes) guarded(rotateWal);
      guarded(() => doWork(count));
    } catch {
      // recorded in `failure`
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
    rotateWal,
    flushAll: () => {
      while (imm !== null) flushStep(1 << 16);
      while (running !== null) compactStep(1 << 16);
      freeze();
      while (imm !== null) flushStep(1 << 16);
    },
    levels: levelFiles,
    compact: (c) => {
      while (running !== null) compactStep(1 << 16);
      compactStep(1 << 16, c);
      while (running !== null) compactStep(1 << 16);
    },
    rewriteManifest,
    tableGenerations: () => [...handles.values()].map((h) => h.meta.generation),
    walFileNumbers: () => manifest.version.walSegments.map((seg) => seg.fileNumber),
    manifestFileNumber: () => manifest.fileNumber,
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
      const pinned = levels.flat();
      for (const h of pinned) h.refs++;
      const token = {};
      iteratorSeqs.set(token, seq);
      let itClosed = false;
      const sources: InternalCursor[] = [memtable.cursor()];
      if (imm !== null) sources.push(imm.memtable.cursor());
      for (const h of levels[0]!) sources.push(tableOf(h).cursor());
      for (let l = 1; l < levels.length; l++) {
        const hs = levels[l]!;
        if (hs.length > 0) sources.push(createLevelCursor(hs.map((h) => h.file), (i) => tableOf(hs[i]!).cursor()));
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
          unpin(pinned);
        },
      };
    },
    setSynchronous(next) {
      checkOpen();
      if (!SYNC_MODES.includes(next)) throw new HeliosError('INVALID_ARGUMENT', `synchronous must be 'full', 'normal' or 'off'`);
      if (failure === null && !readonly) {
        guarded(() => {
          if (next === 'full') wal.sync();
          else wal.flush();
        });
      }
      mode = next;
    },
    info() {
      checkOpen();
      const v = manifest.version;
      return {
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
        lastSeqNum,
        walRecordsReplayed: r.walRecordsReplayed,
        memtableEntries: memtable.entryCount,
        memtableBytes: memtable.approximateByteLength,
        memtableBudgetBytes,
        immutableMemtableEntries: imm?.memtable.entryCount ?? 0,
        tablesPerLevel: levels.map((l) => l.length),
        tableBytesPerLevel: levels.map((l) => l.reduce((a, h) => a + h.meta.byteLength, 0)),
        flushes,
        stalls: { ...stalls },
        compactions,
        tableBytesWritten,
        blockCache: cache.stats(),
        walSegments: v.walSegments.length,
        activeWalFileNumber: wal.fileNumber,
        manifestFileNumber: manifest.fileNumber,
        liveSnapshots: liveSnapshots.size,
        failure: failure === null ? null : failure instanceof Error ? failure.message : String(failure),
      };
    },
    close() {
      if (closed) return;
      closed = true;
      let error: unknown = null;
      if (readonly) {
        // Nothing to persist: a readonly handle wrote nothing.
      } else if (failure === null) {
        try {
          wal.sync();
          editManifest({ walSealed: [{ fileNumber: wal.fileNumber, byteLength: wal.writtenByteLength }] });
          // The clean-close record [ENG-CLOSE-1]: the next open checks that the
          // manifest and the WAL still end exactly here.
          writeCurrent({ manifestNumber: manifest.fileNumber, closed: true, lastSeqNum, manifestByteLength: manifest.byteLength });
        } catch (e) {
          error = e;
        }
      } else {
        // Nothing more can be written: commits still buffered ('off') are lost. Say so.
        error = failure;
      }
      // A running flush or compaction is abandoned: its outputs are not in the
      // manifest (the next open deletes them) and the WAL still holds its data.
      try {
        imm?.job?.abort();
        running?.job.abort();
      } catch {
        // nothing more to release
      }
      for (const h of handles.values()) h.table?.close();
      for (const f of r.tableFiles.values()) f.close();
      r.tableFiles.clear();
      cache.clear();
      wal.close();
      manifest.close();
      for (const snap of liveSnapshots.keys()) released.add(snap);
      liveSnapshots.clear();
      ctx.keyring.destroy();
      s.lock.release();
      if (error !== null) throw error;
    },
  };
  return engine;
}
