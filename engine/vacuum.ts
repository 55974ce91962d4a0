/**
 * What SQL's VACUUM asks of the engine: a full compaction, and a copy of the
 * database in another directory (VACUUM INTO).
 *
 * compactAll: the memtable is flushed, then every level is merged into the
 * one below it down to the deepest level holding data, the last merge being
 * bottommost, so deleted keys (tombstones) and overwritten versions no live
 * snapshot or iterator needs are gone and their space is reclaimed. The
 * files it replaced are deleted by maintenance's usual rule (after the edit
 * that stopped naming them is durable and no reader pins them), the WAL is
 * switched (its obsolete segments deleted with the flush) and the manifest
 * rewritten as a fresh snapshot. Crash-safe at every step, like any
 * compaction: it is a sequence of ordinary ones.
 *
 * copyDatabase: after compactAll and a WAL switch, the copy holds HELIOS
 * (so the same keys open it, and only they), the live manifest, every live
 * table file and the (empty) active WAL segment, each written to a new file,
 * synced, then CURRENT naming that manifest, and the directory synced. Every
 * copied byte is the sealed byte of the source: nothing is decrypted or
 * re-encrypted, so no plaintext is written. The copy opens as after a crash
 * of the source at that commit (recovery starts a new WAL segment); it
 * shares the source's database id and data keys, which is safe for nonces
 * because every new file of either draws a fresh random salt [CRY-NONCE].
 */
import { HeliosError } from '../format/errors.ts';
import { compareBytes } from '../format/bytes.ts';
import { manifestFileName, type CurrentState } from '../format/current-file.ts';
import { FILE_KIND_CURRENT } from '../format/file-header.ts';
import { overlappingFiles, type Compaction, type LevelFile } from './compaction.ts';
import { encodeStateFile } from './current.ts';
import type { KeyContext } from './file-cipher.ts';
import { CURRENT_FILE, SUPERBLOCK_FILE, tableFileName, walFileName } from './file-names.ts';
import type { Vfs } from './vfs.ts';
import { dirName, joinPath } from './vfs-path.ts';

/** What a full compaction needs of a writable engine. */
export interface VacuumHost {
  checkWritable(): void;
  guarded<T>(fn: () => T): T;
  flushAll(): void;
  levels(): LevelFile[][];
  compact(c: Compaction): void;
  rotateWal(): void;
  rewriteManifest(): void;
}

function rangeOf(files: readonly LevelFile[]): [Uint8Array, Uint8Array] {
  let lo = files[0]!.smallestKey;
  let hi = files[0]!.largestKey;
  for (const f of files) {
    if (compareBytes(f.smallestKey, lo) < 0) lo = f.smallestKey;
    if (compareBytes(f.largestKey, hi) > 0) hi = f.largestKey;
  }
  return [lo, hi];
}

/**
 * Where a full compaction is: after the flush, after every merge step and at the end.
 * `bytesDone` counts the table bytes the finished steps read; `bytesTotal` is what all steps
 * read, estimated from the level sizes before each step (merged-away versions make the real
 * figure smaller) and equal to `bytesDone` at the end.
 */
export interface VacuumProgress {
  readonly stepsDone: number;
  readonly stepsTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

export interface CompactAllOptions {
  /** Called synchronously between steps; an exception from it stops the compaction after a complete step (the database stays consistent). */
  readonly onProgress?: (p: VacuumProgress) => void;
}

const sizeOf = (files: readonly LevelFile[]): number => files.reduce((a, f) => a + f.fileSize, 0);

/** Compacts every table into the deepest level holding data, dropping what no reader needs. */
export function compactAll(host: VacuumHost, options: CompactAllOptions = {}): void {
  host.checkWritable();
  host.guarded(() => host.flushAll());
  const levels = host.levels();
  let deepest = 0;
  levels.forEach((l, n) => {
    if (l.length > 0) deepest = n;
  });
  const target = Math.max(1, deepest);
  if (target >= levels.length) throw new HeliosError('INTERNAL', 'no level below L0');
  // Step n merges everything above level n+1 (it has all moved down by then) with what overlaps there.
  const remaining = (from: number): { steps: number; bytes: number } => {
    const ls = host.levels();
    let above = 0;
    for (let k = 0; k < from; k++) above += sizeOf(ls[k]!);
    let steps = 0;
    let bytes = 0;
    for (let n = from; n < target; n++) {
      above += sizeOf(ls[n]!);
      if (above === 0) continue;
      steps++;
      bytes += above + sizeOf(ls[n + 1]!);
    }
    if (steps === 0 && sizeOf(ls[target]!) > 0) return { steps: 1, bytes: sizeOf(ls[target]!) };
    return { steps, bytes };
  };
  let stepsDone = 0;
  let bytesDone = 0;
  const report = (from: number): void => {
    if (options.onProgress === undefined) return;
    const r = from > target ? { steps: 0, bytes: 0 } : remaining(from);
    options.onProgress({ stepsDone, stepsTotal: stepsDone + r.steps, bytesDone, bytesTotal: bytesDone + r.bytes });
  };
  report(0);
  let bottomDone = false;
  for (let n = 0; n < target; n++) {
    const inputs = host.levels()[n]!;
    if (inputs.length === 0) continue;
    const [lo, hi] = rangeOf(inputs);
    const overlapping = overlappingFiles(host.levels()[n + 1]!, lo, hi);
    const bottommost = n + 1 === target;
    host.guarded(() => host.compact({ level: n, outputLevel: n + 1, inputs, overlapping, bottommost, trivialMove: false, score: 0 }));
    if (bottommost) bottomDone = true;
    stepsDone++;
    bytesDone += sizeOf(inputs) + sizeOf(overlapping);
    report(bottommost ? target + 1 : n + 1);
  }
  // Everything already sat in the deepest level: rewrite it in place, bottommost, to drop its tombstones.
  const last = host.levels()[target]!;
  if (!bottomDone && last.length > 0) {
    host.guarded(() => host.compact({ level: target, outputLevel: target, inputs: last, overlapping: [], bottommost: true, trivialMove: false, score: 0 }));
    stepsDone++;
    bytesDone += sizeOf(last);
  }
  host.guarded(() => host.rotateWal());
  host.guarded(() => host.rewriteManifest());
  report(target + 1);
}

/** What a copy needs of the engine, after compactAll. */
export interface CopyHost extends VacuumHost {
  readonly vfs: Vfs;
  readonly dir: string;
  readonly ctx: KeyContext;
  liveFiles(): { manifestNumber: number; walNumbers: number[]; tableNumbers: number[]; durableSeq: number };
}

/**
 * Writes a copy of the database to the new directory `destDir` of `destVfs`
 * (CONFIG when it exists and is not empty, as SQLite refuses an existing
 * output file). A failure leaves a partial directory without CURRENT, which
 * does not open as a database.
 */
export function copyDatabase(host: CopyHost, destVfs: Vfs, destDir: string): void {
  if (destVfs.exists(destDir) && destVfs.list(destDir).length > 0) throw new HeliosError('CONFIG', 'output file already exists');
  // As SQLite cannot open an output file in a missing directory: nothing is created then.
  const parent = dirName(destDir.length > 1 ? destDir.replace(/\/+$/, '') : destDir);
  if (!destVfs.exists(parent)) throw new HeliosError('CONFIG', `unable to open database: ${destDir} (its directory ${parent} does not exist)`, { osCode: 'ENOENT' });
  compactAll(host);
  const live = host.liveFiles();
  const names = [
    SUPERBLOCK_FILE,
    manifestFileName(live.manifestNumber),
    ...live.tableNumbers.map(tableFileName),
    ...live.walNumbers.map(walFileName),
  ];
  destVfs.mkdir(destDir);
  for (const name of names) {
    const src = host.vfs.openRead(joinPath(host.dir, name));
    let out;
    try {
      out = destVfs.create(joinPath(destDir, name));
      try {
        const size = src.size();
        const CHUNK = 1 << 20;
        for (let at = 0; at < size; at += CHUNK) out.append(src.readAt(at, Math.min(CHUNK, size - at)));
        out.sync();
      } finally {
        out.close();
      }
    } finally {
      src.close();
    }
  }
  const state: CurrentState = { manifestNumber: live.manifestNumber, closed: false, lastSeqNum: live.durableSeq, manifestByteLength: 0 };
  destVfs.writeFileAtomic(joinPath(destDir, CURRENT_FILE), encodeStateFile(host.ctx, FILE_KIND_CURRENT, state));
  destVfs.syncDir(destDir);
}
