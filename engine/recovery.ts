/**
 * Opening a database directory: the superblock, then recovery, which returns
 * the recovered state for engine.ts to run (it never builds the handle).
 *
 *   HELIOS → keyring (WRONG_KEY before any file is read further)
 *   CURRENT (sealed: the live manifest, open or cleanly closed) → MANIFEST
 *   → every live WAL segment into a memtable → checks against CURRENT and
 *   the rollback witness → (writable) delete what the verified version
 *   proves garbage, new WAL segment, new manifest, CURRENT switched.
 *
 * Invariants (spec/format.md §8):
 *  - nothing is deleted, truncated or written before every check passed
 *    [ENG-REC-2]: a missing or damaged CURRENT or manifest beside data files
 *    is CORRUPTION with every file left as it was;
 *  - a readonly open writes nothing at all [ENG-RO-1];
 *  - recovery never appends to an existing file (nonces cannot repeat).
 */
import { HeliosError, corruption, isHeliosError } from '../format/errors.ts';
import { equalBytes } from '../format/bytes.ts';
import { manifestFileName, type CurrentState } from '../format/current-file.ts';
import { FILE_HEADER_BYTES, FILE_KIND_CURRENT, FILE_KIND_WAL, FILE_KIND_WITNESS } from '../format/file-header.ts';
import { decodeWalRecord } from '../format/wal-record.ts';
import { destroySecret, type KeySecret } from '../crypto/key-source.ts';
import { createSuperblock, openSuperblock, type KdfOptions, type Keyring, type SuperblockInfo } from '../crypto/superblock.ts';
import type { EngineOptions } from './engine-types.ts';
import { createFileCipher, newFileHeader, type KeyContext } from './file-cipher.ts';
import { CURRENT_FILE, SUPERBLOCK_FILE, parseFileName, tableFileName, walFileName } from './file-names.ts';
import { keySourceKind, loadKeySecret, type KeySourceKind } from './key-loader.ts';
import { createLogWriter } from './log-writer.ts';
import { logHoldsRecords, readLog } from './log-reader.ts';
import { applyEdit, checkWalSegments, createManifest, emptyVersion, readManifest, type ManifestWriter, type Version } from './manifest.ts';
import { createMemtable, type Memtable } from './memtable.ts';
import { noteOpenedSlot, readSuperblockFile } from './key-management.ts';
import { decodeStateFile, encodeStateFile, MAX_STATE_FILE_BYTES } from './current.ts';
import { createWalWriter, type WalWriter } from './wal-writer.ts';
import type { Vfs, VfsFile } from './vfs.ts';
import { joinPath } from './vfs-path.ts';
import { randomBytes } from './random.ts';

export interface OpenedSuperblock {
  keyring: Keyring;
  info: SuperblockInfo;
  keySource: KeySourceKind;
  /** True when this open created the database. */
  created: boolean;
}

/** Reads HELIOS (or, for a writable open of an empty directory, creates it). The caller holds LOCK. */
export function openOrCreateSuperblock(vfs: Vfs, dir: string, options: EngineOptions): OpenedSuperblock {
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
      if (options.readonly === true) throw new HeliosError('CONFIG', `no database at ${dir} (a readonly open never creates one)`);
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
      return { keyring: created.keyring, info: created.info, keySource, created: true };
    }
    const bytes = readSuperblockFile(vfs, sbPath); // size checked before reading [CRY-SB-10]
    secret = options.key === undefined ? null : loadKeySecret(options.key);
    const opened = openSuperblock(bytes, secret);
    if (options.encryption === false && opened.info.suite !== 'none') {
      opened.keyring.destroy();
      throw new HeliosError('CONFIG', 'the database is encrypted: open it with its key, not encryption: false');
    }
    noteOpenedSlot(opened.keyring, opened.slotIndex);
    return { keyring: opened.keyring, info: opened.info, keySource, created: false };
  } finally {
    if (secret !== null) destroySecret(secret);
  }
}

/** What recovery hands to engine.ts. */
export interface RecoveredState {
  /** null for a readonly open. */
  wal: WalWriter | null;
  /** null for a readonly open. */
  manifest: ManifestWriter | null;
  /** The recovered version (for a writable open, also `manifest.version`). */
  version: Version;
  memtable: Memtable;
  lastSeqNum: number;
  walDroppedBytes: number;
  walRecordsReplayed: number;
  /** The bytes this open wrote to CURRENT (null when readonly): a writer checks CURRENT still holds them [ENG-LOCK-3]. */
  currentBytes: Uint8Array | null;
  /** Readonly: every table file of the version, opened during recovery, so a writer deleting it later cannot take it away. */
  tableFiles: Map<number, VfsFile>;
  /** The manifest the version was read from (writable: the new one this open wrote). */
  manifestNumber: number;
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

/**
 * The directory has no CURRENT. Only a creation that stopped before its first
 * CURRENT leaves that state: then every WAL segment holds at most its header,
 * there is no table, and every manifest holds an empty version. Anything else
 * means CURRENT was lost: CORRUPTION, and nothing is touched [ENG-REC-2].
 */
function checkNoCurrent(vfs: Vfs, dir: string, ctx: KeyContext): void {
  const lost = (why: string): never => {
    throw new HeliosError('CORRUPTION', `CURRENT: missing from ${dir}, which holds ${why}; no file was changed (restore CURRENT from a backup)`, { file: CURRENT_FILE, offset: 0 });
  };
  for (const name of vfs.list(dir)) {
    const p = parseFileName(name);
    if (p.type === 'sst') lost(`table ${name}`);
    if (p.type === 'wal' && logHoldsRecords(vfs, joinPath(dir, name))) lost(`WAL segment ${name} with records`);
    if (p.type === 'manifest') {
      let v: Version;
      try {
        v = readManifest(vfs, dir, ctx, p.fileNumber).version;
      } catch (e) {
        if (isHeliosError(e, 'CORRUPTION')) lost(`manifest ${name}, itself damaged`);
        throw e;
      }
      if (v.lastSeqNum !== 0 || v.levels.some((l) => l.length > 0)) lost(`manifest ${name} listing data`);
    }
  }
}

interface Found {
  /** CURRENT's state, null when there is no CURRENT. */
  current: CurrentState | null;
  /** CURRENT's raw bytes (to notice a concurrent writer when readonly). */
  currentBytes: Uint8Array | null;
  version: Version;
  replay: ReplayState;
}

/** Reads CURRENT, the manifest and the WAL, and checks them against each other and the witness. Writes nothing. */
function readState(vfs: Vfs, dir: string, ctx: KeyContext, options: EngineOptions): Found {
  const currentPath = joinPath(dir, CURRENT_FILE);
  let current: CurrentState | null = null;
  let currentBytes: Uint8Array | null = null;
  let version: Version;
  if (vfs.exists(currentPath)) {
    currentBytes = vfs.readFile(currentPath, MAX_STATE_FILE_BYTES + 1);
    current = decodeStateFile(ctx, FILE_KIND_CURRENT, currentBytes, CURRENT_FILE);
    const m = readManifest(vfs, dir, ctx, current.manifestNumber);
    version = m.version;
    if (current.closed && (m.droppedBytes !== 0 || m.validByteLength !== current.manifestByteLength || m.fileByteLength !== current.manifestByteLength)) {
      // A clean close recorded the manifest's exact length [ENG-CLOSE-1].
      corruption(manifestFileName(current.manifestNumber), m.validByteLength, `the database was closed cleanly with a ${current.manifestByteLength}-byte manifest; it now holds ${m.fileByteLength} bytes (truncated or altered)`);
    }
  } else {
    checkNoCurrent(vfs, dir, ctx);
    version = emptyVersion();
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
  if (current !== null) {
    if (current.closed && (replay.lastSeqNum !== current.lastSeqNum || replay.droppedBytes !== 0)) {
      corruption(CURRENT_FILE, 0, `the database was closed cleanly at commit ${current.lastSeqNum}; its WAL now ends at commit ${replay.lastSeqNum} (truncated or altered)`);
    }
    if (!current.closed && replay.lastSeqNum < current.lastSeqNum) {
      corruption(CURRENT_FILE, 0, `commits up to ${current.lastSeqNum} were durable when CURRENT was written; the WAL now ends at commit ${replay.lastSeqNum} (truncated)`);
    }
  }
  if (options.rollbackWitness !== undefined) checkWitness(vfs, ctx, options, current, replay.lastSeqNum);
  return { current, currentBytes, version, replay };
}

/**
 * Verifies the rollback witness [ENG-WIT-1]: the directory must not be older
 * than the witness's last update.
 */
function checkWitness(vfs: Vfs, ctx: KeyContext, options: EngineOptions, current: CurrentState | null, lastSeqNum: number): void {
  const w = options.rollbackWitness!;
  if (!vfs.exists(w.path)) {
    if (w.create === true || current === null) return; // a new witness (or a new database) starts now
    throw new HeliosError('CONFIG', `the rollback witness ${w.path} is missing (pass rollbackWitness.create to start a new one for this database)`);
  }
  const witness = decodeStateFile(ctx, FILE_KIND_WITNESS, vfs.readFile(w.path, MAX_STATE_FILE_BYTES + 1), w.path);
  const rolledBack = (why: string): never => {
    throw new HeliosError('CORRUPTION', `${CURRENT_FILE}: the database is older than its rollback witness (${why}); no file was changed`, { file: CURRENT_FILE, offset: 0 });
  };
  if (current === null) rolledBack('CURRENT is missing');
  if (lastSeqNum < witness.lastSeqNum) rolledBack(`the witness records commit ${witness.lastSeqNum}, the database ends at ${lastSeqNum}`);
  if (witness.closed && !(current!.closed && current!.manifestNumber === witness.manifestNumber && current!.lastSeqNum === witness.lastSeqNum)) {
    rolledBack(`the witness records a clean close at commit ${witness.lastSeqNum} with MANIFEST-${witness.manifestNumber}`);
  }
}

/** Writes the witness for `state` (atomically, on its own storage) [FMT-WIT-1]. */
export function writeWitness(vfs: Vfs, ctx: KeyContext, path: string, state: CurrentState): void {
  vfs.writeFileAtomic(path, encodeStateFile(ctx, FILE_KIND_WITNESS, state));
}

/** How many times a readonly open starts over when a live writer changed the directory under it. */
const READONLY_ATTEMPTS = 8;

/**
 * A readonly open [ENG-RO-1]: reads the committed state and writes not one
 * byte (no LOCK, no WAL, no manifest, no CURRENT, no deletion). Beside a live
 * writer it reads the snapshot of the moment it opened (a record being written
 * at that moment counts as not yet there); if the writer replaces files under
 * it faster than it can read them, LOCKED.
 */
export function recoverReadonly(vfs: Vfs, dir: string, ctx: KeyContext, options: EngineOptions): RecoveredState {
  const currentPath = joinPath(dir, CURRENT_FILE);
  for (let attempt = 1; ; attempt++) {
    const before = vfs.exists(currentPath) ? vfs.readFile(currentPath, MAX_STATE_FILE_BYTES + 1) : null;
    const tableFiles = new Map<number, VfsFile>();
    try {
      const found = readState(vfs, dir, ctx, options);
      for (const f of found.version.levels.flat()) tableFiles.set(f.fileNumber, vfs.openRead(joinPath(dir, tableFileName(f.fileNumber))));
      return {
        wal: null,
        manifest: null,
        version: found.version,
        memtable: found.replay.memtable,
        lastSeqNum: found.replay.lastSeqNum,
        walDroppedBytes: found.replay.droppedBytes,
        walRecordsReplayed: found.replay.records,
        currentBytes: null,
        tableFiles,
        manifestNumber: found.current?.manifestNumber ?? 0,
      };
    } catch (e) {
      for (const f of tableFiles.values()) f.close();
      const after = vfs.exists(currentPath) ? vfs.readFile(currentPath, MAX_STATE_FILE_BYTES + 1) : null;
      const changed = before === null || after === null ? before !== after : !equalBytes(before, after);
      if (!changed || !isHeliosError(e) || !(isHeliosError(e, 'CORRUPTION') || isHeliosError(e, 'IO'))) throw e;
      if (attempt >= READONLY_ATTEMPTS) {
        throw new HeliosError('LOCKED', `database is locked: a writer changed ${dir} ${READONLY_ATTEMPTS} times while a readonly open was reading it`, { file: CURRENT_FILE });
      }
    }
  }
}


/**
 * A writable open: every check of readState first, then deletes what the
 * verified version proves garbage, starts a new WAL segment and a new
 * manifest, and switches CURRENT (open state).
 */
export function recoverWritable(vfs: Vfs, dir: string, ctx: KeyContext, options: EngineOptions): RecoveredState {
  const { current, version, replay } = readState(vfs, dir, ctx, options);
  const oldManifest = current?.manifestNumber ?? null;

  // What no durable state refers to: leftovers of a crash (a WAL segment or
  // manifest created but never recorded), obsolete files, temps. Decided and
  // checked for every file before the first deletion.
  const liveWal = new Set(version.walSegments.map((s) => s.fileNumber));
  const liveTables = new Set(version.levels.flat().map((f) => f.fileNumber));
  const garbage: string[] = [];
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
      // below logNumber are obsolete: their data is in table files.) [ENG-REC-1]
      if (logHoldsRecords(vfs, joinPath(dir, name))) corruption(name, FILE_HEADER_BYTES, 'WAL segment holds records but the manifest does not list it');
    }
    garbage.push(name);
  }

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
  for (const name of garbage) vfs.remove(joinPath(dir, name));

  // New active segment and new manifest: recovery never appends to an existing file.
  const walNumber = version.nextFileNumber;
  const manifestNumber = walNumber + 1;
  const edit = {
    nextFileNumber: manifestNumber + 1,
    lastSeqNum: version.lastSeqNum,
    walSealed: wasActive && replay.activeValidBytes !== null && !replay.emptySegments.includes(wasActive.fileNumber) ? [{ fileNumber: wasActive.fileNumber, byteLength: replay.activeValidBytes }] : [],
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
  const openState: CurrentState = { manifestNumber, closed: false, lastSeqNum: replay.lastSeqNum, manifestByteLength: 0 };
  const currentBytes = encodeStateFile(ctx, FILE_KIND_CURRENT, openState);
  try {
    vfs.writeFileAtomic(joinPath(dir, CURRENT_FILE), currentBytes);
    for (const n of replay.emptySegments) vfs.remove(joinPath(dir, walFileName(n)));
    if (oldManifest !== null) vfs.remove(joinPath(dir, manifestFileName(oldManifest)));
    vfs.syncDir(dir);
    if (options.rollbackWitness !== undefined) writeWitness(vfs, ctx, options.rollbackWitness.path, openState);
  } catch (e) {
    wal.close();
    manifest.close();
    throw e;
  }
  return {
    wal,
    manifest,
    version: manifest.version,
    memtable: replay.memtable,
    lastSeqNum: replay.lastSeqNum,
    walDroppedBytes: replay.droppedBytes,
    walRecordsReplayed: replay.records,
    currentBytes,
    tableFiles: new Map(),
    manifestNumber: manifest.fileNumber,
  };
}
