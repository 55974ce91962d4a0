/**
 * The manifest: which files make up the database (the Version), kept as an
 * append-only log of sealed version edits (format/manifest-edit.ts) in a
 * MANIFEST-NNNNNN file named by CURRENT.
 *
 * Invariants:
 *  - an edit is applied in memory only after it is durable in the manifest
 *    (`ManifestWriter.apply` appends and syncs);
 *  - a manifest is never appended to by anyone but the writer that created
 *    it; every open writes a NEW manifest holding a snapshot of the version
 *    and switches CURRENT to it atomically, so a torn tail of the old manifest
 *    is never followed by new records (nonce uniqueness, [FMT-REC-3]);
 *  - a manifest that grows past its budget is replaced the same way.
 */
import { corruption, HeliosError } from '../format/errors.ts';
import { FILE_KIND_MANIFEST } from '../format/file-header.ts';
import { decodeManifestEdit, encodeManifestEdit, MAX_LEVELS, type AuditCheckpoint, type ManifestEdit, type TableFileMeta } from '../format/manifest-edit.ts';
import { manifestFileName } from '../format/current-file.ts';
import { createFileCipher, newFileHeader, type KeyContext } from './file-cipher.ts';
import { createLogWriter, type LogWriter } from './log-writer.ts';
import { readLog } from './log-reader.ts';
import type { Vfs } from './vfs.ts';
import { joinPath } from './vfs-path.ts';

export interface WalSegmentState {
  readonly fileNumber: number;
  /** Where the segment ends, once it is no longer written to; null for the active segment. */
  readonly sealedByteLength: number | null;
}

/** The set of files that make up the database at one point. Immutable. */
export interface Version {
  /** WAL segments numbered below logNumber are obsolete (their data is in table files). */
  readonly logNumber: number;
  readonly nextFileNumber: number;
  /** Highest sequence number stored in table files (WAL entries at or below it are skipped on replay). */
  readonly lastSeqNum: number;
  /** Live WAL segments, ascending by file number. */
  readonly walSegments: readonly WalSegmentState[];
  /** Table files per level (MAX_LEVELS arrays), each in the order they were added. */
  readonly levels: readonly (readonly TableFileMeta[])[];
  /** Creation time (ms since the Unix epoch) of data-key generations, ascending by generation [CRY-ROTATE-8]. */
  readonly generationTimes: readonly { readonly generation: number; readonly unixMs: number }[];
  /** The audit log's last checkpointed entry, or null [AUD-CKPT-1]. */
  readonly auditCheckpoint: AuditCheckpoint | null;
}

export function emptyVersion(): Version {
  return { logNumber: 0, nextFileNumber: 1, lastSeqNum: 0, walSegments: [], levels: Array.from({ length: MAX_LEVELS }, () => []), generationTimes: [], auditCheckpoint: null };
}

/** Applies `edit` to `v`; an edit inconsistent with `v` is CORRUPTION at (fileName, offset). */
export function applyEdit(v: Version, edit: ManifestEdit, fileName: string, offset: number): Version {
  const bad = (what: string): never => corruption(fileName, offset, `manifest edit: ${what}`);
  const segments = new Map<number, number | null>(v.walSegments.map((s) => [s.fileNumber, s.sealedByteLength]));
  for (const n of edit.walDeleted ?? []) if (!segments.delete(n)) bad(`deletes unknown WAL segment ${n}`);
  for (const n of edit.walAdded ?? []) {
    if (segments.has(n)) bad(`adds WAL segment ${n} twice`);
    segments.set(n, null);
  }
  for (const s of edit.walSealed ?? []) {
    if (!segments.has(s.fileNumber)) bad(`ends unknown WAL segment ${s.fileNumber}`);
    segments.set(s.fileNumber, s.byteLength);
  }
  const levels = v.levels.map((l) => [...l]);
  for (const d of edit.filesDeleted ?? []) {
    const level = levels[d.level]!;
    const i = level.findIndex((f) => f.fileNumber === d.fileNumber);
    if (i < 0) bad(`deletes unknown table ${d.fileNumber} at level ${d.level}`);
    level.splice(i, 1);
  }
  for (const f of edit.filesAdded ?? []) {
    if (levels.some((l) => l.some((g) => g.fileNumber === f.fileNumber))) bad(`adds table ${f.fileNumber} twice`);
    levels[f.level]!.push(f);
  }
  const logNumber = edit.logNumber ?? v.logNumber;
  for (const n of [...segments.keys()]) if (n < logNumber) segments.delete(n);
  const walSegments = [...segments.entries()].sort((a, b) => a[0] - b[0]).map(([fileNumber, sealedByteLength]) => ({ fileNumber, sealedByteLength }));
  const next: Version = {
    logNumber,
    nextFileNumber: Math.max(edit.nextFileNumber ?? v.nextFileNumber, v.nextFileNumber),
    lastSeqNum: Math.max(edit.lastSeqNum ?? v.lastSeqNum, v.lastSeqNum),
    walSegments,
    levels,
    generationTimes: mergeGenerationTimes(v.generationTimes, edit.generationsCreated),
    auditCheckpoint: edit.auditCheckpoint ?? v.auditCheckpoint,
  };
  const maxUsed = Math.max(0, ...walSegments.map((s) => s.fileNumber), ...levels.flatMap((l) => l.map((f) => f.fileNumber)));
  if (maxUsed >= next.nextFileNumber) bad(`file number ${maxUsed} is not below nextFileNumber ${next.nextFileNumber}`);
  return next;
}

/** `times` with `added` applied (a later time for a generation replaces the earlier one), ascending. */
function mergeGenerationTimes(times: Version['generationTimes'], added: ManifestEdit['generationsCreated']): Version['generationTimes'] {
  if (added === undefined || added.length === 0) return times;
  const m = new Map(times.map((t) => [t.generation, t.unixMs]));
  for (const a of added) m.set(a.generation, a.unixMs);
  return [...m.entries()].sort((a, b) => a[0] - b[0]).map(([generation, unixMs]) => ({ generation, unixMs }));
}

/** The edit that rebuilds `v` from an empty version: the first record of every manifest. */
export function snapshotEdit(v: Version): ManifestEdit {
  return {
    logNumber: v.logNumber,
    nextFileNumber: v.nextFileNumber,
    lastSeqNum: v.lastSeqNum,
    walAdded: v.walSegments.map((s) => s.fileNumber),
    walSealed: v.walSegments.filter((s) => s.sealedByteLength !== null).map((s) => ({ fileNumber: s.fileNumber, byteLength: s.sealedByteLength! })),
    filesAdded: v.levels.flat(),
    ...(v.generationTimes.length > 0 ? { generationsCreated: v.generationTimes } : {}),
    ...(v.auditCheckpoint !== null ? { auditCheckpoint: v.auditCheckpoint } : {}),
  };
}

export interface ManifestReadResult {
  readonly version: Version;
  /** End of the last good record. */
  readonly validByteLength: number;
  /** Bytes of a torn tail dropped (0 when none). */
  readonly droppedBytes: number;
  /** The file's size. */
  readonly fileByteLength: number;
}

/** Replays MANIFEST-`fileNumber` (its torn tail, if any, is dropped: it was never acknowledged). */
export function readManifest(vfs: Vfs, dir: string, ctx: KeyContext, fileNumber: number): ManifestReadResult {
  const name = manifestFileName(fileNumber);
  const path = joinPath(dir, name);
  if (!vfs.exists(path)) corruption(name, 0, 'the manifest named by CURRENT is missing');
  const log = readLog(vfs, path, name, ctx, { kind: FILE_KIND_MANIFEST, fileNumber, sealedByteLength: null });
  if (log.records.length === 0) corruption(name, log.validByteLength, 'manifest holds no version');
  let v = emptyVersion();
  for (const r of log.records) v = applyEdit(v, decodeManifestEdit(r.plaintext, name, r.offset), name, r.offset);
  return { version: v, validByteLength: log.validByteLength, droppedBytes: log.droppedBytes, fileByteLength: log.validByteLength + log.droppedBytes };
}

export interface ManifestWriter {
  readonly fileNumber: number;
  readonly byteLength: number;
  /** The version as of the last applied edit. */
  readonly version: Version;
  /** Makes `edit` durable in the manifest, then applies it. Throws (and stays failed) on I/O error. */
  apply(edit: ManifestEdit): Version;
  close(): void;
}

/**
 * Creates MANIFEST-`fileNumber` holding a snapshot of `version` and syncs it
 * and the directory. The caller then points CURRENT at it.
 */
export function createManifest(vfs: Vfs, dir: string, ctx: KeyContext, fileNumber: number, version: Version): ManifestWriter {
  const name = manifestFileName(fileNumber);
  const log: LogWriter = createLogWriter(vfs, joinPath(dir, name), name, createFileCipher(ctx, newFileHeader(ctx, FILE_KIND_MANIFEST, fileNumber)));
  let current = version;
  try {
    // Check the snapshot applies cleanly before writing it.
    applyEdit(emptyVersion(), snapshotEdit(version), name, 0);
    log.addSynced(encodeManifestEdit(snapshotEdit(version)));
    vfs.syncDir(dir);
  } catch (e) {
    log.close();
    throw e;
  }
  return {
    fileNumber,
    get byteLength() {
      return log.byteLength;
    },
    get version() {
      return current;
    },
    apply(edit) {
      const next = applyEdit(current, edit, name, log.byteLength);
      log.addSynced(encodeManifestEdit(edit)); // on a failed sync the writer cuts the edit off again
      current = next;
      return next;
    },
    close() {
      log.close();
    },
  };
}

/** Throws INTERNAL unless `v` lists its WAL segments in order with only the last one active. */
export function checkWalSegments(v: Version, fileName: string): void {
  v.walSegments.forEach((s, i) => {
    if (s.sealedByteLength === null && i !== v.walSegments.length - 1) {
      throw new HeliosError('CORRUPTION', `${fileName}: WAL segment ${s.fileNumber} is still active but is not the newest`, { file: fileName });
    }
  });
}
