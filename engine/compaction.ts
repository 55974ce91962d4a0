/**
 * Leveled compaction: the picker chooses what to merge, the job merges it.
 * Both are pure with respect to the Vfs: the picker reads a description of
 * the levels, the job reads an InternalCursor over its inputs and writes
 * through TableWriters the caller creates. The caller (engine) owns file
 * numbers, the manifest edit and deleting obsolete files.
 *
 * Shape of the tree:
 *   L0          tables flushed from the memtable; ranges may overlap.
 *   L1 … Lmax   each level sorted, ranges disjoint by user key; the target
 *               size of Ln is baseLevelBytes · sizeRatio^(n-1).
 *
 * Crash safety (spec/format-sstable.md "Compaction and crash safety"): a job
 * only creates new files. The caller makes the outputs durable (finish()
 * syncs each; then syncDir), then records "add outputs, remove inputs" in ONE
 * manifest edit, and deletes the inputs only after that edit is durable. A
 * crash before the edit leaves unreferenced outputs (deleted at open); a
 * crash after it leaves unreferenced inputs (deleted at open). Either way
 * the manifest names a complete set of tables [FMT-SST-COMPACT-1].
 *
 * Incremental: step(n) processes at most n input entries, so the engine can
 * interleave compaction with commits and bound the pause of any one commit.
 */
import { compareBytes } from '../format/bytes.ts';
import { HeliosError } from '../format/errors.ts';
import { KIND_TOMBSTONE } from '../format/sstable-block.ts';
import type { InternalCursor, TableRange } from './merge-iterator.ts';
import type { TableMeta, TableWriter } from './sstable-writer.ts';

/** What the picker needs to know about one live table. */
export interface LevelFile extends TableRange {
  readonly fileNumber: number;
  readonly fileSize: number;
  readonly generation: number;
}

export interface CompactionConfig {
  /** L0 is compacted when it holds this many tables (default 4). */
  readonly l0Trigger: number;
  /** Target size of L1 in bytes (default 16 MiB). */
  readonly baseLevelBytes: number;
  /** Each level targets this many times the size of the one above (default 10). */
  readonly sizeRatio: number;
  /** Number of levels, L0 included (default 7). */
  readonly levelCount: number;
  /** Output tables are cut near this size (default 4 MiB). */
  readonly targetFileBytes: number;
}

export const DEFAULT_COMPACTION_CONFIG: CompactionConfig = {
  l0Trigger: 4,
  baseLevelBytes: 16 * 1024 * 1024,
  sizeRatio: 10,
  levelCount: 7,
  targetFileBytes: 4 * 1024 * 1024,
};

export function checkCompactionConfig(c: CompactionConfig): void {
  const ok =
    Number.isInteger(c.l0Trigger) && c.l0Trigger >= 1 &&
    Number.isFinite(c.baseLevelBytes) && c.baseLevelBytes > 0 &&
    Number.isFinite(c.sizeRatio) && c.sizeRatio >= 2 &&
    Number.isInteger(c.levelCount) && c.levelCount >= 2 && c.levelCount <= 20 &&
    Number.isFinite(c.targetFileBytes) && c.targetFileBytes > 0;
  if (!ok) throw new HeliosError('INVALID_ARGUMENT', 'compaction config out of range (l0Trigger >= 1, sizeRatio >= 2, 2 <= levelCount <= 20, sizes > 0)');
}

/** A chosen compaction: merge `inputs` (from `level`) with `overlapping` (from level + 1). */
export interface Compaction {
  readonly level: number;
  readonly outputLevel: number;
  readonly inputs: readonly LevelFile[];
  readonly overlapping: readonly LevelFile[];
  /**
   * No table below outputLevel overlaps the key range: tombstones visible to
   * every snapshot can be dropped (nothing older remains to shadow).
   */
  readonly bottommost: boolean;
  /** Single input, nothing to merge with: the caller may just move the file (when its generation is current). */
  readonly trivialMove: boolean;
  /** Level score that triggered it (>= 1), for stats. */
  readonly score: number;
}

/** Target bytes of level `n` (n >= 1). */
export function levelTargetBytes(config: CompactionConfig, n: number): number {
  return config.baseLevelBytes * config.sizeRatio ** (n - 1);
}

const sumBytes = (fs: readonly LevelFile[]): number => fs.reduce((a, f) => a + f.fileSize, 0);

/** Tables of `files` whose user-key range intersects [lo, hi]. */
export function overlappingFiles(files: readonly LevelFile[], lo: Uint8Array, hi: Uint8Array): LevelFile[] {
  return files.filter((f) => compareBytes(f.largestKey, lo) >= 0 && compareBytes(f.smallestKey, hi) <= 0);
}

function userRange(files: readonly LevelFile[]): [Uint8Array, Uint8Array] {
  let lo = files[0]!.smallestKey;
  let hi = files[0]!.largestKey;
  for (const f of files) {
    if (compareBytes(f.smallestKey, lo) < 0) lo = f.smallestKey;
    if (compareBytes(f.largestKey, hi) > 0) hi = f.largestKey;
  }
  return [lo, hi];
}

/**
 * Scores every level and returns the most urgent compaction, or null when no
 * level is over its target. `levels[0]` is L0 (any order); deeper levels are
 * sorted by key. `cursors[n]` is the largest user key last compacted out of
 * level n (round-robin through the key space), or undefined.
 */
export function pickCompaction(
  levels: readonly (readonly LevelFile[])[],
  config: CompactionConfig = DEFAULT_COMPACTION_CONFIG,
  cursors: readonly (Uint8Array | undefined)[] = [],
): Compaction | null {
  let best = -1;
  let bestScore = 0;
  for (let n = 0; n < config.levelCount - 1; n++) {
    const files = levels[n] ?? [];
    if (files.length === 0) continue;
    const score = n === 0 ? files.length / config.l0Trigger : sumBytes(files) / levelTargetBytes(config, n);
    if (score >= 1 && score > bestScore) {
      best = n;
      bestScore = score;
    }
  }
  if (best < 0) return null;
  return compactionFor(levels, config, best, bestScore, cursors[best]);
}

/** Builds the compaction of `level` (used by the picker and by forced compactions). */
export function compactionFor(
  levels: readonly (readonly LevelFile[])[],
  config: CompactionConfig,
  level: number,
  score = 1,
  after?: Uint8Array,
): Compaction | null {
  const files = levels[level] ?? [];
  if (files.length === 0 || level >= config.levelCount - 1) return null;
  let inputs: LevelFile[];
  if (level === 0) {
    inputs = [...files];
  } else {
    const next = after === undefined ? undefined : files.find((f) => compareBytes(f.smallestKey, after) > 0);
    inputs = [next ?? files[0]!];
  }
  let [lo, hi] = userRange(inputs);
  const below = levels[level + 1] ?? [];
  const overlapping = overlappingFiles(below, lo, hi);
  if (overlapping.length > 0) [lo, hi] = userRange([...inputs, ...overlapping]);
  let bottommost = true;
  for (let n = level + 2; n < levels.length; n++) {
    if (overlappingFiles(levels[n] ?? [], lo, hi).length > 0) {
      bottommost = false;
      break;
    }
  }
  return {
    level,
    outputLevel: level + 1,
    inputs,
    overlapping,
    bottommost,
    trivialMove: inputs.length === 1 && overlapping.length === 0 && level > 0,
    score,
  };
}

export interface CompactionJobOptions {
  /** Every input entry in internal order (a merging cursor over the input tables or a memtable). */
  readonly input: InternalCursor;
  /** seqNums of every live snapshot (any order). Readers without an explicit snapshot must hold one too. */
  readonly snapshots: readonly number[];
  /** Drop tombstones that every snapshot sees (only when the output is bottommost for its range). */
  readonly dropTombstones: boolean;
  /** Cut output tables near this many bytes, never between two versions of one user key. Infinity: one table. */
  readonly targetFileBytes: number;
  /** Creates the next output table (the caller picks its file number, salt and newest key generation). */
  readonly newTable: () => TableWriter;
}

export interface CompactionJobStats {
  readonly entriesRead: number;
  readonly entriesWritten: number;
  /** Entries dropped because a newer version in the same snapshot stripe hides them. */
  readonly shadowedDropped: number;
  readonly tombstonesDropped: number;
  readonly bytesWritten: number;
}

export interface CompactionJob {
  /** Processes up to `maxEntries` input entries. Returns true once the input is exhausted and every output is finished. */
  step(maxEntries: number): boolean;
  /** Finished output tables so far (all of them once step() returned true). */
  readonly outputs: readonly TableMeta[];
  stats(): CompactionJobStats;
  /** Abandons the open output; finished outputs stay on disk for the caller to remove. Closes the input. */
  abort(): void;
}

/**
 * Merges the input into new tables, keeping for every user key exactly the
 * versions some snapshot can see [FMT-SST-COMPACT-2]: with live snapshots
 * s1 < s2 < … the seqNums fall into stripes (0, s1], (s1, s2], …, (sk, ∞);
 * within a stripe only the newest version survives, and a tombstone that is
 * the newest of the first stripe is dropped too when `dropTombstones`.
 */
export function createCompactionJob(o: CompactionJobOptions): CompactionJob {
  const snaps = [...new Set(o.snapshots)].sort((a, b) => a - b);
  const stripeOf = (seq: number): number => {
    if (snaps.length === 0) return 0;
    let lo = 0;
    let hi = snaps.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (snaps[mid]! >= seq) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
  const input = o.input;
  let started = false;
  let finished = false;
  let aborted = false;
  let writer: TableWriter | null = null;
  const outputs: TableMeta[] = [];
  /** The user key of the previous input entry (a copy; the input's views move on), lastKeyLength < 0 before the first. */
  let lastKey = new Uint8Array(64);
  let lastKeyLength = -1;
  let lastStripe = -1;
  /** key differs from the previous entry's user key. Compares from the end: keys sharing a long prefix differ there. */
  const isNewUserKey = (key: Uint8Array): boolean => {
    const n = key.length;
    if (n !== lastKeyLength) return true;
    for (let i = n - 1; i >= 0; i--) if (key[i] !== lastKey[i]) return true;
    return false;
  };
  const keepKey = (key: Uint8Array): void => {
    const n = key.length;
    if (n > lastKey.length) lastKey = new Uint8Array(Math.max(n, lastKey.length * 2));
    lastKey.set(key);
    lastKeyLength = n;
  };
  let entriesRead = 0;
  let entriesWritten = 0;
  let shadowedDropped = 0;
  let tombstonesDropped = 0;
  let bytesWritten = 0;

  const finishWriter = (): void => {
    if (writer === null) return;
    const w = writer;
    writer = null;
    const meta = w.finish();
    outputs.push(meta);
    bytesWritten += meta.fileSize;
  };

  return {
    step(maxEntries) {
      if (aborted) throw new HeliosError('INTERNAL', 'compaction job used after abort');
      if (finished) return true;
      try {
        if (!started) {
          input.seekToFirst();
          started = true;
        }
        for (let n = 0; n < maxEntries && input.valid(); n++, input.next()) {
          entriesRead++;
          const key = input.key();
          const seq = input.seqNum();
          const kind = input.kind();
          if (isNewUserKey(key)) {
            // A user key boundary: the only place an output may be cut.
            if (writer !== null && writer.estimatedFileSize() >= o.targetFileBytes) finishWriter();
            keepKey(key);
            lastStripe = -1;
          }
          const stripe = stripeOf(seq);
          if (stripe === lastStripe) {
            shadowedDropped++;
            continue;
          }
          lastStripe = stripe;
          if (kind === KIND_TOMBSTONE && o.dropTombstones && stripe === 0) {
            tombstonesDropped++;
            continue;
          }
          writer ??= o.newTable();
          writer.add(key, seq, kind, input.value());
          entriesWritten++;
        }
        if (!input.valid()) {
          finishWriter();
          finished = true;
          input.close();
        }
        return finished;
      } catch (e) {
        this.abort();
        throw e;
      }
    },
    get outputs() {
      return outputs;
    },
    stats: () => ({ entriesRead, entriesWritten, shadowedDropped, tombstonesDropped, bytesWritten }),
    abort() {
      if (aborted) return;
      aborted = true;
      writer?.abandon();
      writer = null;
      input.close();
    },
  };
}
