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
import { HeliosError, corruption, isHeliosError } from '../format/errors.ts';
import { decodeCurrent, encodeCurrent, manifestFileName } from '../format/current-file.ts';
import { FILE_HEADER_BYTES, FILE_KIND_WAL } from '../format/file-header.ts';
import { MAX_SEALED_RECORD_BYTES } from '../format/record-frame.ts';
import { decodeWalRecord, encodeWalBatchBody, forEachWalEntry } from '../format/wal-record.ts';
import type { SuiteId } from '../crypto/cipher-suite.ts';
import { destroySecret, type KeySecret } from '../crypto/key-source.ts';
import { createSuperblock, openSuperblock, type KdfOptions, type Keyring, type SuperblockInfo } from '../crypto/superblock.ts';
import { createFileCipher, newFileHeader, type KeyContext } from './file-cipher.ts';
import { CURRENT_FILE, LOCK_FILE, SUPERBLOCK_FILE, parseFileName, tableFileName, walFileName } from './file-names.ts';
import { keySourceKind, loadKeySecret, type KeySourceKind, type KeySourceOption } from './key-loader.ts';
import { createLogWriter } from './log-writer.ts';
import { createWalWriter, type WalWriter } from './wal-writer.ts';
import { readLog } from './log-reader.ts';
import { applyEdit, checkWalSegments, createManifest, readManifest, emptyVersion, type ManifestWriter, type Version } from './manifest.ts';
import { createMemtable, type Memtable } from './memtable.ts';
import { createLevelCursor, createMergingCursor, createUserIterator, type InternalCursor } from './merge-iterator.ts';
import { createBlockCache } from './block-cache.ts';
import { createCompactionJob, DEFAULT_COMPACTION_CONFIG, pickCompaction, type Compaction, type CompactionConfig, type CompactionJob, type LevelFile } from './compaction.ts';
import { openTable, type Table } from './sstable-reader.ts';
import { createTableWriter, tableFileMeta, type TableMeta } from './sstable-writer.ts';
import { decodeInternalKey } from '../format/sstable-footer.ts';
import { KIND_TOMBSTONE, type BlockView } from '../format/sstable-block.ts';
import { compareBytes } from '../format/bytes.ts';
import type { TableFileMeta } from '../format/manifest-edit.ts';
import { batchBody, checkKey, checkValue, createWriteBatch, type WriteBatch } from './write-batch.ts';
import { randomBytes } from './random.ts';
import { createKeyManagement, noteOpenedSlot, type EngineKeyManagement } from './key-management.ts';

export type { KeySourceOption } from './key-loader.ts';
/** Re-exported so layers above the engine never import crypto/ directly. */
export type { KdfOptions } from '../crypto/superblock.ts';
export type { SuiteId } from '../crypto/cipher-suite.ts';
export type { ChangeKeyOptions, RewriteOptions, RewriteProgress, RewriteResult, RotateOptions } from './key-management.ts';
export { createWriteBatch, type WriteBatch } from './write-batch.ts';

export type SynchronousMode = 'full' | 'normal' | 'off';

export interface EngineOptions {
  /** Required unless encryption === false. */
  key?: KeySourceOption;
  /** Default true; false = the 'none' suite (CRC32C instead of a tag), no key allowed. */
  encryption?: boolean;
  /** Default true. */
  createIfMissing?: boolean;
  /** Default 'full'. See the module comment for the exact guarantees. */
  synchronous?: SynchronousMode;
  /** Memory the memtable may use before it is frozen and flushed to an L0 table, in bytes.
   *  Default 64 MiB (a quarter of memoryLimitMb when that is set). */
  memtableBudgetBytes?: number;
  /** PBKDF2-HMAC-SHA256 instead of Argon2id for passphrases (new databases). */
  fips?: boolean;
  /** KDF parameters for a new passphrase database. */
  kdf?: KdfOptions;
  /** Default: node:fs. createMemVfs() for ':memory:' and tests. */
  vfs?: Vfs;
  /** A WAL segment is ended and a new one started once it passes this size, in bytes. Default 4 MiB. */
  walSegmentBytes?: number;
  /** The manifest is rewritten once it passes this size, in bytes. Default 1 MiB. */
  manifestRewriteBytes?: number;
  /** Bytes of opened table blocks kept in the LRU block cache. Default 8 MiB. */
  blockCacheBytes?: number;
  /**
   * Whole-engine memory budget in MiB (the SQL layer's memory_limit_mb). When
   * set, the memtable budget and the block cache are each a quarter of it
   * (a memtable being flushed may add another quarter) unless given explicitly.
   */
  memoryLimitMb?: number;
  /** Leveled compaction tuning (engine/compaction.ts); defaults in DEFAULT_COMPACTION_CONFIG. */
  compaction?: Partial<CompactionConfig>;
  /** Input entries of flush/compaction work done after each commit (default 64): bounds commit latency. */
  compactionStepEntries?: number;
}

export interface Snapshot {
  /** Reads at this snapshot see exactly the commits with sequence number <= seqNum. */
  readonly seqNum: number;
  /** Idempotent. A released snapshot may not be passed to reads. */
  release(): void;
}

export interface IteratorOptions {
  gte?: Uint8Array;
  gt?: Uint8Array;
  lte?: Uint8Array;
  lt?: Uint8Array;
  reverse?: boolean;
  /** Default: a snapshot taken when the iterator is created. */
  snapshot?: Snapshot;
}

/** Cursor over live (non-deleted) entries in key order (or reverse). key()/value() are valid
 *  until the next call to next()/seek(); callers copy if they keep them, and never modify them. */
export interface EngineIterator {
  /** Advances to the next entry; returns false at the end (call once before the first key()). */
  next(): boolean;
  key(): Uint8Array;
  value(): Uint8Array;
  /** The following next() lands on the first entry >= key (forward) / <= key (reverse), within bounds. */
  seek(key: Uint8Array): void;
  close(): void;
}

export interface EngineInfo {
  encryptionEnabled: boolean;
  suite: SuiteId;
  kdf: string;
  keySource: KeySourceKind;
  fipsMode: boolean;
  formatVersion: number;
  generations: number[];
  currentGeneration: number;
  synchronous: SynchronousMode;
  /** Bytes of torn WAL tail dropped by the recovery of this open (0 after a clean close). */
  walDroppedBytes: number;
  /** Highest sequence number committed. */
  lastSeqNum: number;
  /** Number of WAL records replayed when opening. */
  walRecordsReplayed: number;
  memtableEntries: number;
  memtableBytes: number;
  memtableBudgetBytes: number;
  /** Entries of the memtable being flushed to an L0 table, 0 if none. */
  immutableMemtableEntries: number;
  /** Table files per level, L0 first. */
  tablesPerLevel: number[];
  /** Bytes of table files per level. */
  tableBytesPerLevel: number[];
  flushes: number;
  compactions: number;
  /** Bytes written by flushes and compactions (for write amplification). */
  tableBytesWritten: number;
  /**
   * Commits that waited for background work beyond their slice: `memtable`
   * when the memtable filled while the previous one was still being flushed
   * (the commit finished that flush), `l0` when L0 reached its stall size
   * (the commit ran compactions until it shrank); `stallMs` is the time spent.
   */
  stalls: { memtable: number; l0: number; stallMs: number; longestStallMs: number };
  blockCache: { hits: number; misses: number; entries: number; chargedBytes: number; capacityBytes: number };
  walSegments: number;
  activeWalFileNumber: number;
  manifestFileNumber: number;
  liveSnapshots: number;
  /** The I/O error that failed this handle's write path, or null. */
  failure: string | null;
}

/** Key change and data-key rotation: engine/key-management.ts. */
export interface Engine extends EngineKeyManagement {
  /** The value stored for `key` (a new array), or undefined. */
  get(key: Uint8Array, options?: { snapshot?: Snapshot }): Uint8Array | undefined;
  put(key: Uint8Array, value: Uint8Array): void;
  delete(key: Uint8Array): void;
  /** Atomic: after a crash either every entry of the batch is there or none. Durable per `synchronous`. */
  write(batch: WriteBatch): void;
  snapshot(): Snapshot;
  /** An open iterator keeps the table files it reads alive (compaction deletes them only after
   *  close()) and keeps its snapshot's versions from being compacted away: close it when done. */
  iterator(options?: IteratorOptions): EngineIterator;
  setSynchronous(mode: SynchronousMode): void;
  info(): EngineInfo;
  /**
   * Persists buffered writes, ends the WAL segment, zeroes keys, releases the
   * lock; later calls throw CLOSED. Idempotent. On a handle whose write path
   * failed it still releases everything, then throws that I/O error: commits
   * not yet written when it happened (synchronous 'off') are lost.
   */
  close(): void;
}

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
const SYNC_MODES: readonly SynchronousMode[] = ['full', 'normal', 'off'];

function checkOptions(o: EngineOptions): void {
  if (typeof o !== 'object' || o === null) throw new HeliosError('INVALID_ARGUMENT', 'options must be an object');
  if (o.synchronous !== undefined && !SYNC_MODES.includes(o.synchronous)) {
    throw new HeliosError('INVALID_ARGUMENT', `synchronous must be 'full', 'normal' or 'off'`);
  }
  for (const k of ['memtableBudgetBytes', 'walSegmentBytes', 'manifestRewriteBytes', 'blockCacheBytes', 'memoryLimitMb', 'compactionStepEntries'] as const) {
    const v = o[k];
    if (v !== undefined && (!Number.isSafeInteger(v) || v <= 0)) throw new HeliosError('INVALID_ARGUMENT', `${k} must be a positive integer`);
  }
  if (o.encryption === false && o.key !== undefined) throw new HeliosError('CONFIG', 'encryption: false takes no key');
  if (o.key !== undefined) keySourceKind(o.key);
}

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
  if (!vfs.exists(dir)) {
    if (options.createIfMissing === false) throw new HeliosError('CONFIG', `no database at ${path} (createIfMissing is false)`);
    vfs.mkdir(dir);
  }
  const lock = vfs.lock(joinPath(dir, LOCK_FILE));
  let keyring: Keyring | null = null;
  try {
    const sb = openOrCreateSuperblock(vfs, dir, options);
    keyring = sb.keyring;
    return recover(vfs, dir, options, lock, sb.keyring, sb.info, sb.keySource);
  } catch (e) {
    keyring?.destroy();
    lock.release();
    throw e;
  }
}

function openOrCreateSuperblock(vfs: Vfs, dir: string, options: EngineOptions): { keyring: Keyring; info: SuperblockInfo; keySource: KeySourceKind } {
  const sbPath = joinPath(dir, SUPERBLOCK_FILE);
  const keySource: KeySourceKind = options.key === undefined ? 'none' : keySourceKind(options.key);
  let secret: KeySecret | null = null;
  try {
    if (!vfs.exists(sbPath)) {
      const foreign = vfs.list(dir).filter((n) => {
        const t = parseFileName(n).type;
        return t !== 'lock' && t !== 'temp' && !(t === 'wal' || t === 'manifest' || t === 'current');
      });
      if (foreign.length > 0 || vfs.exists(joinPath(dir, CURRENT_FILE))) {
        throw new HeliosError('NOT_A_DATABASE', `${dir} is not a HeliosDB database (no ${SUPERBLOCK_FILE} file)`, { file: SUPERBLOCK_FILE });
      }
      if (options.createIfMissing === false) throw new HeliosError('CONFIG', `no database at ${dir} (createIfMissing is false)`);
      const encryption = options.encryption !== false;
      if (encryption && options.key === undefined) throw new HeliosError('CONFIG', 'an encrypted database needs a key (or pass encryption: false)');
      secret = options.key === undefined ? null : loadKeySecret(options.key);
      const kdf: KdfOptions = { ...(options.kdf ?? {}) };
      if (options.fips !== undefined) kdf.fips = options.fips;
      const created = createSuperblock({ suite: encryption ? 'aes-256-gcm' : 'none', secret, random: randomBytes, kdf });
      try {
        vfs.writeFileAtomic(sbPath, created.bytes);
      } catch (e) {
        created.keyring.destroy();
        throw e;
      }
      noteOpenedSlot(created.keyring, 0);
      return { keyring: created.keyring, info: created.info, keySource };
    }
    const bytes = vfs.readFile(sbPath);
    secret = options.key === undefined ? null : loadKeySecret(options.key);
    const opened = openSuperblock(bytes, secret);
    if (options.encryption === false && opened.info.suite !== 'none') {
      opened.keyring.destroy();
      throw new HeliosError('CONFIG', 'the database is encrypted: open it with its key, not encryption: false');
    }
    noteOpenedSlot(opened.keyring, opened.slotIndex);
    return { keyring: opened.keyring, info: opened.info, keySource };
  } finally {
    if (secret !== null) destroySecret(secret);
  }
}

interface ReplayState {
  memtable: Memtable;
  lastSeqNum: number;
  records: number;
  droppedBytes: number;
  /** Valid length of the segment that was active when the process stopped. */
  activeValidBytes: number | null;
  emptySegments: number[];
}

function replayWal(vfs: Vfs, dir: string, ctx: KeyContext, version: Version): ReplayState {
  checkWalSegments(version, 'MANIFEST');
  const st: ReplayState = { memtable: createMemtable(), lastSeqNum: version.lastSeqNum, records: 0, droppedBytes: 0, activeValidBytes: null, emptySegments: [] };
  let walSeq: number | null = null; // last sequence number seen in the WAL
  for (const seg of version.walSegments) {
    const name = walFileName(seg.fileNumber);
    const path = joinPath(dir, name);
    if (!vfs.exists(path)) corruption(name, 0, 'WAL segment listed in the manifest is missing');
    const log = readLog(vfs, path, name, ctx, { kind: FILE_KIND_WAL, fileNumber: seg.fileNumber, sealedByteLength: seg.sealedByteLength });
    if (seg.sealedByteLength === null) {
      st.activeValidBytes = log.validByteLength;
      st.droppedBytes += log.droppedBytes;
    }
    if (log.records.length === 0) st.emptySegments.push(seg.fileNumber);
    for (const r of log.records) {
      for (const batch of decodeWalRecord(r.plaintext, name, r.offset)) {
        if (walSeq !== null && batch.firstSeqNum !== walSeq + 1) corruption(name, r.offset, `WAL sequence gap: ${batch.firstSeqNum} follows ${walSeq}`);
        let seq = batch.firstSeqNum;
        for (const e of batch.entries) {
          if (seq > version.lastSeqNum) st.memtable.add(e.key, seq, e.value); // older entries are in table files
          seq++;
        }
        walSeq = seq - 1;
      }
      st.records++;
    }
  }
  if (walSeq !== null) st.lastSeqNum = Math.max(st.lastSeqNum, walSeq);
  return st;
}

function recover(vfs: Vfs, dir: string, options: EngineOptions, lock: VfsLock, keyring: Keyring, info: SuperblockInfo, keySource: KeySourceKind): Engine {
  const ctx: KeyContext = { databaseId: keyring.databaseId, suite: keyring.suite, keyring, random: randomBytes };
  const currentPath = joinPath(dir, CURRENT_FILE);
  let version: Version;
  let oldManifest: number | null = null;
  if (vfs.exists(currentPath)) {
    oldManifest = decodeCurrent(vfs.readFile(currentPath));
    version = readManifest(vfs, dir, ctx, oldManifest);
  } else {
    version = emptyVersion(); // a new database, or a creation that stopped before CURRENT
  }
  // Every table the manifest lists must be there: a missing one is damage to the
  // directory (or a partial copy of it), reported before anything is modified.
  for (const f of version.levels.flat()) {
    const name = tableFileName(f.fileNumber);
    if (!vfs.exists(joinPath(dir, name))) {
      throw new HeliosError('CORRUPTION', `${name}: table listed in the manifest is missing from ${dir}`, { file: name, offset: 0 });
    }
  }
  const replay = replayWal(vfs, dir, ctx, version);
  // The segment that was active may hold bytes only the OS has (a process
  // crash under 'normal'/'off'): make them durable before the manifest records
  // the segment's end, or a later power loss would cut it short of that end.
  const wasActive = version.walSegments.find((seg) => seg.sealedByteLength === null);
  if (wasActive) {
    const f = vfs.openRead(joinPath(dir, walFileName(wasActive.fileNumber)));
    try {
      f.sync();
    } finally {
      f.close();
    }
  }

  // Remove what no durable state refers to: leftovers of a crash (a WAL
  // segment or manifest created but never recorded), obsolete files, temps.
  const liveWal = new Set(version.walSegments.map((s) => s.fileNumber));
  const liveTables = new Set(version.levels.flat().map((f) => f.fileNumber));
  for (const name of vfs.list(dir)) {
    const p = parseFileName(name);
    const orphan =
      (p.type === 'wal' && !liveWal.has(p.fileNumber)) ||
      (p.type === 'sst' && !liveTables.has(p.fileNumber)) ||
      (p.type === 'manifest' && p.fileNumber !== oldManifest) ||
      p.type === 'temp';
    if (!orphan) continue;
    if (p.type === 'wal' && p.fileNumber >= version.logNumber) {
      // A segment gets records only after the manifest edit naming it is
      // durable, so a genuine leftover holds at most its header. More means
      // the manifest lost an edit: refuse rather than delete data. (Segments
      // below logNumber are obsolete: their data is in table files.)
      const f = vfs.openRead(joinPath(dir, name));
      const size = f.size();
      f.close();
      if (size > FILE_HEADER_BYTES) corruption(name, FILE_HEADER_BYTES, 'WAL segment holds records but the manifest does not list it');
    }
    vfs.remove(joinPath(dir, name));
  }

  // New active segment and new manifest: recovery never appends to an existing file.
  const walNumber = version.nextFileNumber;
  const manifestNumber = walNumber + 1;
  const active = wasActive;
  const edit = {
    nextFileNumber: manifestNumber + 1,
    lastSeqNum: version.lastSeqNum,
    walSealed: active && replay.activeValidBytes !== null && !replay.emptySegments.includes(active.fileNumber) ? [{ fileNumber: active.fileNumber, byteLength: replay.activeValidBytes }] : [],
    walDeleted: replay.emptySegments,
    walAdded: [walNumber],
  };
  const next = applyEdit(version, edit, 'MANIFEST', 0);
  const wal = createWalWriter(createLogWriter(vfs, joinPath(dir, walFileName(walNumber)), walFileName(walNumber), createFileCipher(ctx, newFileHeader(ctx, FILE_KIND_WAL, walNumber))));
  let manifest: ManifestWriter;
  try {
    vfs.syncDir(dir);
    manifest = createManifest(vfs, dir, ctx, manifestNumber, next);
  } catch (e) {
    wal.close();
    throw e;
  }
  try {
    vfs.writeFileAtomic(currentPath, encodeCurrent(manifestNumber));
    for (const n of replay.emptySegments) vfs.remove(joinPath(dir, walFileName(n)));
    if (oldManifest !== null) vfs.remove(joinPath(dir, manifestFileName(oldManifest)));
    vfs.syncDir(dir);
  } catch (e) {
    wal.close();
    manifest.close();
    throw e;
  }
  return createEngine({
    vfs,
    dir,
    options,
    lock,
    ctx,
    info,
    keySource,
    wal,
    manifest,
    memtable: replay.memtable,
    lastSeqNum: replay.lastSeqNum,
    walDroppedBytes: replay.droppedBytes,
    walRecordsReplayed: replay.records,
  });
}

interface EngineState {
  vfs: Vfs;
  dir: string;
  options: EngineOptions;
  lock: VfsLock;
  ctx: KeyContext;
  info: SuperblockInfo;
  keySource: KeySourceKind;
  wal: WalWriter;
  manifest: ManifestWriter;
  memtable: Memtable;
  lastSeqNum: number;
  walDroppedBytes: number;
  walRecordsReplayed: number;
}

function createEngine(s: EngineState): Engine {
  const { vfs, dir, ctx, info } = s;
  let wal = s.wal;
  let manifest = s.manifest;
  let memtable = s.memtable;
  let lastSeqNum = s.lastSeqNum;
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

  const rewriteManifest = (): void => {
    const number = allocFileNumber();
    const v = applyEdit(manifest.version, { nextFileNumber }, 'MANIFEST', 0);
    const fresh = createManifest(vfs, dir, ctx, number, v);
    try {
      vfs.writeFileAtomic(joinPath(dir, CURRENT_FILE), encodeCurrent(number));
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
    const number = allocFileNumber();
    const name = walFileName(number);
    const fresh = createWalWriter(createLogWriter(vfs, joinPath(dir, name), name, createFileCipher(ctx, newFileHeader(ctx, FILE_KIND_WAL, number))));
    try {
      vfs.syncDir(dir);
      manifest.apply({ nextFileNumber, walSealed: [{ fileNumber: wal.fileNumber, byteLength: wal.writtenByteLength }], walAdded: [number] });
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
      h.table = openTable({
        file: vfs.openRead(joinPath(dir, name)),
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
    manifest.apply({ filesAdded: outputs.map((m) => tableFileMeta(m, 0)), logNumber: f.logNumber, lastSeqNum: f.lastSeqNum, nextFileNumber });
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
        manifest.apply({ filesDeleted: [{ level: c.level, fileNumber: h.meta.fileNumber }], filesAdded: [{ ...h.meta, level: c.outputLevel }] });
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
      manifest.apply({
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
    guarded(() => wal.addBatch(plaintext, mode));
    addSeq = firstSeqNum;
    forEachWalEntry(body, count, addToMemtable);
    lastSeqNum = firstSeqNum + count - 1;
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
      if (failure === null) {
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
        walDroppedBytes: s.walDroppedBytes,
        lastSeqNum,
        walRecordsReplayed: s.walRecordsReplayed,
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
      if (failure === null) {
        try {
          wal.sync();
          manifest.apply({ walSealed: [{ fileNumber: wal.fileNumber, byteLength: wal.writtenByteLength }] });
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
