/**
 * The engine's public types: options, snapshots, iterators, the handle and
 * its info. A file of its own so the files that implement the engine
 * (engine.ts, recovery.ts, wal-writer.ts, ...) share them without importing
 * each other in a circle.
 */
import { HeliosError } from '../format/errors.ts';
import { LOG_BLOCK_BYTES, MAX_LOG_FILE_BYTES, MAX_SEALED_RECORD_BYTES } from '../format/record-frame.ts';
import type { SuiteId } from '../crypto/cipher-suite.ts';
import type { Vfs, VfsFile } from './vfs.ts';
import type { CompactAllOptions } from './vacuum.ts';
import { keySourceKind, type KeySourceKind, type KeySourceOption } from './key-loader.ts';
import type { EngineKeyManagement } from './key-management.ts';
import type { KdfOptions } from '../crypto/superblock.ts';
import type { CompactionConfig } from './compaction.ts';
import type { WriteBatch } from './write-batch.ts';
import type { AuditVerifyReport } from './audit-log.ts';

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
  /**
   * FIPS mode: PBKDF2-HMAC-SHA256 instead of Argon2id for passphrases (new
   * databases), and every AES-GCM/HKDF/PBKDF2 operation through node:crypto;
   * the runtime must report a FIPS provider (crypto.getFips()), else CONFIG.
   */
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
  /**
   * Open without writing one byte anywhere [ENG-RO-1]: no LOCK, no new WAL
   * segment or manifest, no recovery cleanup. Every write throws READONLY. A
   * missing database is CONFIG. Beside a live writer it reads the committed
   * snapshot of the moment it opened.
   */
  readonly?: boolean;
  /**
   * An optional rollback witness [FMT-WIT-1]: a small sealed file on other
   * storage, updated at open, at each WAL segment switch and at a clean
   * close, and verified at open. With it, an open detects a directory rolled
   * back to before the witness's last update. A missing witness is CONFIG
   * unless `create` is true (or the database is new).
   */
  rollbackWitness?: { path: string; create?: boolean };
  /** Leveled compaction tuning (engine/compaction.ts); defaults in DEFAULT_COMPACTION_CONFIG. */
  compaction?: Partial<CompactionConfig>;
  /** Input entries of flush/compaction work done after each commit (default 64): bounds commit latency. */
  compactionStepEntries?: number;
  /**
   * Scheduled data-key rotation [CRY-ROTATE-8]: once the current generation is this many days
   * old (by `clock`), a writable open or a commit starts a new one, and the tables, WAL
   * segments and manifest of older generations are re-sealed in the background slices of later
   * commits until the older generations are dropped [CRY-ROTATE-9]. A positive number; encrypted
   * databases only (ignored for suite 'none').
   */
  rotationIntervalDays?: number;
  /** Milliseconds since the Unix epoch (default Date.now): the time of rotations and audit entries (tests move it). */
  clock?: () => number;
  /**
   * The audit log of security operations (spec/audit-log.md): entries are appended to `path`.
   * `routine: false` leaves out routine opens and closes (the seed's log_encryption_operations);
   * failed unlocks and key operations are always logged. An entry that cannot be written fails
   * the operation that asked for it (an open fails closed).
   */
  audit?: { path: string; routine?: boolean };
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

/** What FIPS mode is and is not for this handle (crypto/fips.ts, spec/threat-model.md). */
export interface FipsStatus {
  /** Opened with fips: true (TOML fips_mode = true). */
  readonly requested: boolean;
  /** The database was created in FIPS mode (PBKDF2 for passphrases; recorded in HELIOS). */
  readonly createdInFipsMode: boolean;
  /** The runtime reports a FIPS provider (crypto.getFips() === 1). */
  readonly providerActive: boolean;
  /** Every AES-GCM, HKDF and PBKDF2 operation of this process goes through node:crypto (OpenSSL): no JavaScript GHASH. */
  readonly opensslOnly: boolean;
  /** AES-256-GCM with HKDF-SHA256 and a raw key or PBKDF2: approved algorithms (Argon2id is not). */
  readonly algorithmsApproved: boolean;
  /** providerActive and opensslOnly: the cryptography runs in the module the runtime reports as validated. HeliosDB itself is no validated module. */
  readonly moduleValidated: boolean;
  /** requested, algorithmsApproved and moduleValidated. */
  readonly active: boolean;
}

export interface EngineInfo {
  /** Handles open on this database in this realm, this one included [ENG-SHARE-1]. */
  openHandles: number;
  /** FIPS mode as it really is (fipsMode below only says the database was created in FIPS mode). */
  fips: FipsStatus;
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
  /** Each live data-key generation: creation time (null when unknown: a readonly open of a database that never recorded it), tables and their bytes. */
  generationInfo: { generation: number; createdAtMs: number | null; tables: number; tableBytes: number }[];
  /** The scheduled rotation interval, or null. */
  rotationIntervalDays: number | null;
  /** When the scheduled rotation is next due (ms since the epoch), or null (no schedule, or unknown). */
  nextRotationAtMs: number | null;
  /** The audit log path, or null when the audit log is off. */
  auditLogPath: string | null;
}

/**
 * A consistent point of the database taken for a backup (engine/backup.ts,
 * spec/backup.md): the small files (HELIOS, CURRENT, MANIFEST, the WAL up to
 * the last commit) are already written to the destination when the engine
 * hands it out; the table files it lists stay on disk (pinned) until
 * release(), however the database changes meanwhile.
 */
export interface BackupPoint {
  /** Highest sequence number the backup holds. */
  readonly lastSeqNum: number;
  /** Files written to the destination synchronously, with their sizes. */
  readonly written: readonly { readonly name: string; readonly byteLength: number }[];
  /** Table files still to copy (immutable). */
  readonly tables: readonly { readonly name: string; readonly byteLength: number }[];
  /** Opens table file `name` of the source for reading (the caller closes it). CLOSED once the engine closed. */
  openTable(name: string): VfsFile;
  /** CLOSED once the engine closed: a backup stops at its next slice (a reopen may delete what it copies). */
  check(): void;
  /**
   * Authenticates the copy of table `name` in the destination: every block, and the size,
   * digest and generation the manifest records. CORRUPTION naming the file when the source was
   * already damaged (or the copy is) — a backup never accepts a table that does not authenticate.
   */
  authenticate(name: string): void;
  /** Unpins the tables. Idempotent. */
  release(): void;
}

/** One file the integrity check read (engine/verify.ts). */
export interface FileCheck {
  readonly name: string;
  readonly kind: 'superblock' | 'current' | 'manifest' | 'wal' | 'table';
  readonly byteLength: number;
  /** Sealed records or blocks authenticated. */
  readonly units: number;
  /** null when every byte authenticated; else what failed (file and offset). */
  readonly error: string | null;
}

export interface FileCheckProgress {
  readonly filesDone: number;
  readonly filesTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

/** Key change and data-key rotation: engine/key-management.ts. */
export interface Engine extends EngineKeyManagement {
  /**
   * Starts a backup into the new, empty directory `destDir` of `destVfs`
   * (spec/backup.md [ENG-BAK-POINT-1]): syncs the WAL, then writes HELIOS, the
   * WAL up to the last commit, a manifest listing the tables of this moment
   * and a CLOSED CURRENT to `destDir`, and pins those tables. Later commits
   * do not change what the backup holds. Writable handles only (READONLY).
   */
  beginBackup(destVfs: Vfs, destDir: string): BackupPoint;
  /**
   * Reads every live file — CURRENT, the manifest, every WAL record, every
   * block of every table (header, data, filter, index, footer and digest) —
   * and authenticates it (spec/backup.md [ENG-BAK-VERIFY-1]). Never throws for a
   * damaged file: each file gets its FileCheck.
   */
  verifyFiles(onProgress?: (p: FileCheckProgress) => void): FileCheck[];
  /** The value stored for `key` (a new array), or undefined. */
  get(key: Uint8Array, options?: { snapshot?: Snapshot }): Uint8Array | undefined;
  put(key: Uint8Array, value: Uint8Array): void;
  delete(key: Uint8Array): void;
  /** Atomic: after a crash either every entry of the batch is there or none. Durable per `mode` (default: the engine's `synchronous`). */
  write(batch: WriteBatch, mode?: SynchronousMode): void;
  /**
   * What a handle switching its own durability to `mode` needs (spec/format.md [ENG-SHARE-5]):
   * 'full' syncs the WAL, the others write out what 'off' buffered. The engine's mode stays.
   */
  settleLog(mode: SynchronousMode): void;
  snapshot(): Snapshot;
  /** An open iterator keeps the table files it reads alive (compaction deletes them only after
   *  close()) and keeps its snapshot's versions from being compacted away: close it when done. */
  iterator(options?: IteratorOptions): EngineIterator;
  setSynchronous(mode: SynchronousMode): void;
  info(): EngineInfo;
  /**
   * Appends an entry for operation `op` with `outcome` to the audit log (spec/audit-log.md),
   * with the current generation and this handle's key slot unless given, and (writable handle)
   * records it as the database's sealed checkpoint [AUD-CKPT-1]. Nothing when the audit log is
   * off. The hook other operations (backup, restore, verify, import, export) call. Errors:
   * INVALID_ARGUMENT (op or outcome outside [AUD-LINE-1]), CLOSED, IO, LOCKED.
   */
  audit(op: string, outcome: string, extra?: { generation?: number | null; slot?: number | null }): void;
  /**
   * Verifies the audit log at `path` (default: this handle's audit path) for this database with
   * its audit key and sealed checkpoint [AUD-VERIFY-1]. CONFIG when no path is known.
   */
  verifyAuditLog(path?: string): AuditVerifyReport;
  /**
   * SQL's VACUUM (engine/vacuum.ts): flushes, merges every table into the deepest level so
   * deleted and overwritten entries no reader needs are dropped and their files deleted.
   * READONLY on a readonly handle.
   */
  compactAll(options?: CompactAllOptions): void;
  /**
   * VACUUM INTO (engine/vacuum.ts): compactAll, then a copy of the database's sealed files in
   * the new directory `destDir` of `destVfs` (default: this engine's), opened by the same keys.
   * CONFIG when `destDir` exists and is not empty.
   */
  copyTo(destDir: string, destVfs?: Vfs): void;
  /** Sequence number of the newest committed entry: grows with every commit of any handle on this database. */
  lastSeqNum(): number;
  /** Handles open on this database in this realm, this one included (1 when it is not shared) [ENG-SHARE-1]. */
  openHandles(): number;
  /** One object per open database: every handle sharing it [ENG-SHARE-1] has the same one (the SQL layer keys what its handles coordinate on it). */
  readonly shareKey: object;
  /**
   * Persists buffered writes, ends the WAL segment, zeroes keys, releases the
   * lock; later calls throw CLOSED. Idempotent. On a handle whose write path
   * failed it still releases everything, then throws that I/O error: commits
   * not yet written when it happened (synchronous 'off') are lost.
   */
  close(): void;
}

/** The largest walSegmentBytes / manifestRewriteBytes: a log of that size plus one record and its padding stays within MAX_LOG_FILE_BYTES. */
export const MAX_LOG_ROTATE_BYTES = MAX_LOG_FILE_BYTES - MAX_SEALED_RECORD_BYTES - 2 * LOG_BLOCK_BYTES;

export const SYNC_MODES: readonly SynchronousMode[] = ['full', 'normal', 'off'];

export function checkOptions(o: EngineOptions): void {
  if (typeof o !== 'object' || o === null) throw new HeliosError('INVALID_ARGUMENT', 'options must be an object');
  if (o.synchronous !== undefined && !SYNC_MODES.includes(o.synchronous)) {
    throw new HeliosError('INVALID_ARGUMENT', `synchronous must be 'full', 'normal' or 'off'`);
  }
  for (const k of ['memtableBudgetBytes', 'walSegmentBytes', 'manifestRewriteBytes', 'blockCacheBytes', 'memoryLimitMb', 'compactionStepEntries'] as const) {
    const v = o[k];
    if (v !== undefined && (!Number.isSafeInteger(v) || v <= 0)) throw new HeliosError('INVALID_ARGUMENT', `${k} must be a positive integer`);
  }
  // A log rotates once it passes its size, so it may grow by one more record (and its padding):
  // keep that below the largest log a reader accepts.
  for (const k of ['walSegmentBytes', 'manifestRewriteBytes'] as const) {
    const v = o[k];
    if (v !== undefined && v > MAX_LOG_ROTATE_BYTES) throw new HeliosError('INVALID_ARGUMENT', `${k} must be at most ${MAX_LOG_ROTATE_BYTES}`);
  }
  if (o.encryption === false && o.key !== undefined) throw new HeliosError('CONFIG', 'encryption: false takes no key');
  if (o.key !== undefined) keySourceKind(o.key);
  if (o.readonly !== undefined && typeof o.readonly !== 'boolean') throw new HeliosError('INVALID_ARGUMENT', 'readonly must be a boolean');
  const r = o.rotationIntervalDays;
  if (r !== undefined && (typeof r !== 'number' || !Number.isFinite(r) || r <= 0)) throw new HeliosError('INVALID_ARGUMENT', 'rotationIntervalDays must be a positive number');
  if (o.clock !== undefined && typeof o.clock !== 'function') throw new HeliosError('INVALID_ARGUMENT', 'clock must be a function returning milliseconds since the epoch');
  const a = o.audit;
  if (a !== undefined && (typeof a !== 'object' || a === null || typeof a.path !== 'string' || a.path === '' || (a.routine !== undefined && typeof a.routine !== 'boolean'))) {
    throw new HeliosError('INVALID_ARGUMENT', 'audit must be { path: string, routine?: boolean }');
  }
  const w = o.rollbackWitness;
  if (w !== undefined && (typeof w !== 'object' || w === null || typeof w.path !== 'string' || w.path === '' || (w.create !== undefined && typeof w.create !== 'boolean'))) {
    throw new HeliosError('INVALID_ARGUMENT', 'rollbackWitness must be { path: string, create?: boolean }');
  }
}
