/**
 * The file half of an integrity check (spec/backup.md [ENG-BAK-VERIFY-1]): every
 * live file of a database is read again from the directory and every sealed
 * record or block authenticated with its file key — CURRENT, the manifest,
 * every record of every live WAL segment, and for every table its header,
 * footer, filter, properties and index blocks, every data block, and the
 * digest and size the manifest recorded. Nothing is cached: a byte flipped on
 * disk after the open is found even when the block cache holds that block.
 *
 * A damaged file is reported (FileCheck.error names the file and offset), not
 * thrown, so one report lists every damaged file.
 */
import { HeliosError, isHeliosError } from '../format/errors.ts';
import { FILE_KIND_CURRENT, FILE_KIND_MANIFEST, FILE_KIND_WAL } from '../format/file-header.ts';
import type { KeyContext } from './file-cipher.ts';
import { decodeStateFile, MAX_STATE_FILE_BYTES } from './current.ts';
import { CURRENT_FILE, manifestFileName, tableFileName, walFileName } from './file-names.ts';
import { readLog } from './log-reader.ts';
import type { Version } from './manifest.ts';
import type { TableFileMeta } from '../format/manifest-edit.ts';
import { openTable } from './sstable-reader.ts';
import type { Vfs } from './vfs.ts';
import { joinPath } from './vfs-path.ts';
import type { FileCheck, FileCheckProgress } from './engine-types.ts';

export interface VerifyHost {
  readonly vfs: Vfs;
  readonly dir: string;
  readonly ctx: KeyContext;
  readonly version: Version;
  readonly manifestNumber: number;
  /** Bytes of the active WAL segment written so far (records beyond are not on disk yet). */
  readonly activeWal: { readonly fileNumber: number; readonly byteLength: number } | null;
}

/** Blocks of a table besides its data blocks: footer, filter, properties, index. */
const TABLE_META_BLOCKS = 4;

/**
 * Authenticates every block of the table file at `path` (header, footer, filter, properties,
 * index, every data block) and checks the size, digest and generation `meta` records.
 * Returns the blocks read; CORRUPTION (or IO) naming the file and offset otherwise.
 */
export function verifyTableFile(vfs: Vfs, path: string, ctx: KeyContext, meta: TableFileMeta): number {
  const name = tableFileName(meta.fileNumber);
  const t = openTable({ file: vfs.openRead(path), fileName: name, fileNumber: meta.fileNumber, keyring: ctx.keyring, expected: { fileSize: meta.byteLength, digest: meta.digest, generation: meta.generation } });
  try {
    const c = t.cursor();
    try {
      for (c.seekToFirst(); c.valid(); c.next()) {
        // every data block is opened (authenticated) on the way
      }
    } finally {
      c.close();
    }
    return t.properties.dataBlockCount + TABLE_META_BLOCKS;
  } finally {
    t.close();
  }
}

/**
 * Authenticates every record of the WAL segment at `path` up to `sealedByteLength` (null: to
 * its end). With `complete`, bytes that fail verification before that length are CORRUPTION
 * (naming the file and offset) instead of a torn tail. Returns the records read.
 */
export function verifyWalFile(vfs: Vfs, path: string, ctx: KeyContext, fileNumber: number, sealedByteLength: number | null, complete: boolean): number {
  const name = walFileName(fileNumber);
  const log = readLog(vfs, path, name, ctx, { kind: FILE_KIND_WAL, fileNumber, sealedByteLength });
  if (log.droppedBytes !== 0 && complete) throw new HeliosError('CORRUPTION', `${name}: ${log.droppedBytes} bytes at offset ${log.validByteLength} failed verification`, { file: name, offset: log.validByteLength });
  return log.records.length;
}

export function verifyFiles(h: VerifyHost, onProgress?: (p: FileCheckProgress) => void): FileCheck[] {
  const { vfs, dir, ctx, version } = h;
  const size = (name: string): number => {
    try {
      const f = vfs.openRead(joinPath(dir, name));
      try {
        return f.size();
      } finally {
        f.close();
      }
    } catch {
      return 0;
    }
  };
  type Job = { name: string; kind: FileCheck['kind']; byteLength: number; run: () => number };
  const jobs: Job[] = [];
  jobs.push({
    name: CURRENT_FILE,
    kind: 'current',
    byteLength: size(CURRENT_FILE),
    run: () => {
      decodeStateFile(ctx, FILE_KIND_CURRENT, vfs.readFile(joinPath(dir, CURRENT_FILE), MAX_STATE_FILE_BYTES + 1), CURRENT_FILE);
      return 1;
    },
  });
  const mName = manifestFileName(h.manifestNumber);
  jobs.push({
    name: mName,
    kind: 'manifest',
    byteLength: size(mName),
    run: () => readLog(vfs, joinPath(dir, mName), mName, ctx, { kind: FILE_KIND_MANIFEST, fileNumber: h.manifestNumber, sealedByteLength: null }).records.length,
  });
  for (const seg of version.walSegments) {
    const name = walFileName(seg.fileNumber);
    const active = h.activeWal !== null && h.activeWal.fileNumber === seg.fileNumber;
    const sealed = seg.sealedByteLength ?? (active ? h.activeWal!.byteLength : null);
    jobs.push({
      name,
      kind: 'wal',
      byteLength: sealed ?? size(name),
      run: () => verifyWalFile(vfs, joinPath(dir, name), ctx, seg.fileNumber, sealed, seg.sealedByteLength !== null),
    });
  }
  for (const m of version.levels.flat()) {
    const name = tableFileName(m.fileNumber);
    jobs.push({
      name,
      kind: 'table',
      byteLength: m.byteLength,
      run: () => verifyTableFile(vfs, joinPath(dir, name), ctx, m),
    });
  }
  const bytesTotal = jobs.reduce((a, j) => a + j.byteLength, 0);
  let bytesDone = 0;
  const out: FileCheck[] = [];
  onProgress?.({ filesDone: 0, filesTotal: jobs.length, bytesDone, bytesTotal });
  for (const j of jobs) {
    let units = 0;
    let error: string | null = null;
    try {
      units = j.run();
    } catch (e) {
      if (!isHeliosError(e, 'CORRUPTION') && !isHeliosError(e, 'IO') && !isHeliosError(e, 'NOT_A_DATABASE') && !isHeliosError(e, 'UNSUPPORTED_VERSION')) throw e;
      error = e.message;
    }
    out.push({ name: j.name, kind: j.kind, byteLength: j.byteLength, units, error });
    bytesDone += j.byteLength;
    onProgress?.({ filesDone: out.length, filesTotal: jobs.length, bytesDone, bytesTotal });
  }
  return out;
}
