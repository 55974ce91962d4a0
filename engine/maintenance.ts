/**
 * Table maintenance of a writable engine: the WAL segment switch, flushes of
 * the frozen memtable to L0, leveled compaction, manifest rewrites, and the
 * CURRENT / witness writes that go with them. Work runs in slices after each
 * commit (doWork), so no commit waits for a whole flush or compaction.
 *
 * Crash safety, for every step: a new file is synced (and its directory
 * entry) before ONE manifest edit names it; a file is deleted only after the
 * edit that stopped naming it is durable and no reader pins it
 * [FMT-SST-COMPACT-1]. Before every manifest edit the writer checks CURRENT
 * still holds what it wrote [ENG-LOCK-3].
 */
import { HeliosError, isHeliosError } from '../format/errors.ts';
import { compareBytes, equalBytes } from '../format/bytes.ts';
import { manifestFileName, type CurrentState } from '../format/current-file.ts';
import { decodeFileHeader, FILE_HEADER_BYTES, FILE_KIND_CURRENT, FILE_KIND_WAL } from '../format/file-header.ts';
import type { ManifestEdit } from '../format/manifest-edit.ts';
import { createCompactionJob, overlappingFiles, pickCompaction, type Compaction, type CompactionConfig, type CompactionJob } from './compaction.ts';
import { encodeStateFile, MAX_STATE_FILE_BYTES } from './current.ts';
import { createFileCipher, newFileHeader, type KeyContext } from './file-cipher.ts';
import { CURRENT_FILE, tableFileName, walFileName } from './file-names.ts';
import { createLogWriter } from './log-writer.ts';
import { applyEdit, createManifest, type ManifestWriter } from './manifest.ts';
import { createMemtable, type Memtable } from './memtable.ts';
import { createLevelCursor, createMergingCursor, type InternalCursor } from './merge-iterator.ts';
import { writeWitness } from './recovery.ts';
import { createTableWriter, tableFileMeta, type TableMeta } from './sstable-writer.ts';
import type { TableHandle, TableSet } from './table-set.ts';
import type { Vfs } from './vfs.ts';
import { joinPath } from './vfs-path.ts';
import { createWalWriter, type WalWriter } from './wal-writer.ts';

/** Flush work (entries moved to L0) per entry a commit writes: > 1 so a flush ends before the next memtable fills. */
const FLUSH_WORK_PER_ENTRY = 4;
/** Compaction work per entry written: leveled compaction rewrites each entry ~ size-ratio times per level. */
const COMPACTION_WORK_PER_ENTRY = 8;
/** L0 holding this many times the compaction trigger stalls commits until a compaction finishes. */
const L0_STALL_FACTOR = 3;

/** The memtable being flushed: its data stays in WAL segments below logNumber until the flush is recorded. */
export interface FrozenMemtable {
  memtable: Memtable;
  logNumber: number;
  lastSeqNum: number;
  job: CompactionJob | null;
}

/** The mutable state of a writable engine, shared by engine.ts (commits, reads) and maintenance. */
export interface WriterState {
  wal: WalWriter;
  manifest: ManifestWriter;
  memtable: Memtable;
  imm: FrozenMemtable | null;
  lastSeqNum: number;
  /** Highest sequence number known durable (recovered at open, or synced since): CURRENT and the witness record it. */
  durableSeq: number;
  /** What this handle last wrote to CURRENT (null: readonly): any other content means another writer took over [ENG-LOCK-3]. */
  currentBytes: Uint8Array | null;
  /** The error that failed the write path, or null. */
  failure: unknown;
}

export interface MaintenanceHost {
  vfs: Vfs;
  dir: string;
  ctx: KeyContext;
  st: WriterState;
  tables: TableSet;
  config: CompactionConfig;
  manifestRewriteBytes: number;
  memtableBudgetBytes: number;
  stepEntries: number;
  witness: { path: string } | undefined;
  /** seqNums every flush/compaction must keep readable: live snapshots and open iterators. */
  readerSeqs(): number[];
  /**
   * The background re-seal after a data-key rotation [CRY-ROTATE-9], or null when it is off:
   * `wanted` says whether an older generation is still live; `retire` drops the generations no
   * file uses once every table and WAL segment is sealed with the current one.
   */
  reseal: { wanted(): boolean; retire(): void } | null;
}

export interface Maintenance {
  checkCurrent(): void;
  writeCurrent(state: CurrentState): void;
  editManifest(edit: ManifestEdit): void;
  rewriteManifest(): void;
  /** Ends the active segment at its current length and starts a new one. */
  rotateWal(): void;
  /** Freezes the memtable: later commits go to a new WAL segment and a new memtable. */
  freeze(): void;
  /** The slice of work after a commit of `entriesWritten` entries. */
  doWork(entriesWritten: number): void;
  /** Finishes every flush and compaction in progress, then flushes the memtable. */
  flushAll(): void;
  /** Runs compaction `c` to its end (after any compaction in progress). */
  compact(c: Compaction): void;
  /** Abandons the running flush and compaction (their outputs are orphans the next open deletes). */
  abort(): void;
  stats(): { flushes: number; compactions: number; tableBytesWritten: number; stalls: { memtable: number; l0: number; stallMs: number; longestStallMs: number } };
}

export function createMaintenance(host: MaintenanceHost): Maintenance {
  const { vfs, dir, ctx, st, tables, config, manifestRewriteBytes, memtableBudgetBytes, stepEntries, witness } = host;

  /**
   * File numbers come from one counter: the manifest's nextFileNumber, moved
   * ahead here as files are started; every edit that adds a file records it.
   * A number handed out but never recorded belongs to an orphan that the next
   * open deletes; reusing it later is safe (every file draws a fresh salt).
   */
  let nextFileNumber = st.manifest.version.nextFileNumber;
  const allocFileNumber = (): number => {
    nextFileNumber = Math.max(nextFileNumber, st.manifest.version.nextFileNumber);
    return nextFileNumber++;
  };


  /**
   * Second line of defence against a second writer [ENG-LOCK-3]: before this
   * handle changes the manifest (and before each 'full' commit) it checks that
   * CURRENT still holds what it wrote. Another writer's open or manifest
   * rewrite replaces CURRENT (always with fresh bytes), so this handle then
   * stops with LOCKED instead of committing over that writer.
   */
  const checkCurrent = (): void => {
    if (st.currentBytes === null) return;
    let now: Uint8Array | null = null;
    try {
      now = vfs.readFile(joinPath(dir, CURRENT_FILE), MAX_STATE_FILE_BYTES + 1);
    } catch (e) {
      if (!isHeliosError(e, 'IO')) throw e;
    }
    if (now !== null && equalBytes(now, st.currentBytes)) return;
    const e = new HeliosError('LOCKED', `database is locked: another writer replaced ${dir}/CURRENT while this handle had it open; this handle stops writing (its commits so far are in the WAL; reopen to see the other writer's)`, { file: CURRENT_FILE });
    st.failure ??= e;
    throw e;
  };
  const editManifest = (edit: ManifestEdit): void => {
    checkCurrent();
    st.manifest.apply(edit);
  };
  const writeCurrent = (state: CurrentState): void => {
    const bytes = encodeStateFile(ctx, FILE_KIND_CURRENT, state);
    vfs.writeFileAtomic(joinPath(dir, CURRENT_FILE), bytes);
    st.currentBytes = bytes;
    if (witness !== undefined) writeWitness(vfs, ctx, witness.path, state);
  };

  const rewriteManifest = (): void => {
    checkCurrent();
    const number = allocFileNumber();
    const next = applyEdit(st.manifest.version, { nextFileNumber }, 'MANIFEST', 0);
    // Creation times of generations HELIOS no longer holds are forgotten [CRY-ROTATE-8].
    const live = ctx.keyring.generations;
    const v = { ...next, generationTimes: next.generationTimes.filter((t) => live.includes(t.generation)) };
    const fresh = createManifest(vfs, dir, ctx, number, v);
    try {
      writeCurrent({ manifestNumber: number, closed: false, lastSeqNum: st.durableSeq, manifestByteLength: 0 });
    } catch (e) {
      fresh.close();
      throw e;
    }
    const old = st.manifest;
    st.manifest = fresh;
    old.close();
    vfs.remove(joinPath(dir, manifestFileName(old.fileNumber)));
    vfs.syncDir(dir);
  };

  /** Ends the active segment at its current length and starts a new one. */
  const rotateWal = (): void => {
    st.wal.sync();
    st.durableSeq = st.lastSeqNum;
    const number = allocFileNumber();
    const name = walFileName(number);
    const fresh = createWalWriter(createLogWriter(vfs, joinPath(dir, name), name, createFileCipher(ctx, newFileHeader(ctx, FILE_KIND_WAL, number))));
    try {
      vfs.syncDir(dir);
      editManifest({ nextFileNumber, walSealed: [{ fileNumber: st.wal.fileNumber, byteLength: st.wal.writtenByteLength }], walAdded: [number] });
      if (witness !== undefined) writeWitness(vfs, ctx, witness.path, { manifestNumber: st.manifest.fileNumber, closed: false, lastSeqNum: st.durableSeq, manifestByteLength: 0 });
    } catch (e) {
      fresh.close();
      throw e;
    }
    st.wal.close();
    st.wal = fresh;
    if (st.manifest.byteLength >= manifestRewriteBytes) rewriteManifest();
  };

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


  /** Freezes the memtable: later commits go to a new WAL segment and a new memtable. */
  const freeze = (): void => {
    rotateWal();
    st.imm = { memtable: st.memtable, logNumber: st.wal.fileNumber, lastSeqNum: st.lastSeqNum, job: null };
    st.memtable = createMemtable();
  };

  /**
   * Flushes up to `budget` entries of the frozen memtable into an L0 table.
   * Crash safety [FMT-SST-COMPACT-1]: the table is synced (finish) and its
   * directory entry synced before ONE manifest edit adds it and moves
   * logNumber past the flushed WAL segments; only then are they deleted.
   */
  const flushStep = (budget: number): void => {
    const f = st.imm!;
    f.job ??= createCompactionJob({ input: f.memtable.cursor(), snapshots: host.readerSeqs(), dropTombstones: false, targetFileBytes: Infinity, newTable: newTableWriter });
    if (!f.job.step(budget)) return;
    const outputs = f.job.outputs;
    vfs.syncDir(dir);
    const obsoleteWal = st.manifest.version.walSegments.filter((seg) => seg.fileNumber < f.logNumber).map((seg) => seg.fileNumber);
    editManifest({ filesAdded: outputs.map((m) => tableFileMeta(m, 0)), logNumber: f.logNumber, lastSeqNum: f.lastSeqNum, nextFileNumber });
    st.imm = null;
    flushes++;
    written(outputs);
    tables.sync(st.manifest.version);
    for (const n of obsoleteWal) vfs.remove(joinPath(dir, walFileName(n)));
    vfs.syncDir(dir);
    if (st.manifest.byteLength >= manifestRewriteBytes) rewriteManifest();
  };

  const compactPointers: (Uint8Array | undefined)[] = [];
  let running: { c: Compaction; job: CompactionJob; pinned: TableHandle[] } | null = null;

  /**
   * Advances leveled compaction by up to `budget` input entries; false when
   * there is nothing to do. Same protocol as flushStep: outputs synced, one
   * manifest edit adds the outputs and removes the inputs, inputs deleted only
   * after that edit is durable and no reader pins them.
   */
  const compactStep = (budget: number, forced?: Compaction): boolean => {
    if (running === null) {
      const c = forced ?? pickCompaction(tables.levelFiles(), config, compactPointers);
      if (c === null) return false;
      const inputs = c.inputs.map((f) => tables.handle(f.fileNumber));
      const overlapping = c.overlapping.map((f) => tables.handle(f.fileNumber));
      if (c.trivialMove && c.inputs[0]!.generation === ctx.keyring.currentGeneration) {
        const h = inputs[0]!;
        editManifest({ filesDeleted: [{ level: c.level, fileNumber: h.meta.fileNumber }], filesAdded: [{ ...h.meta, level: c.outputLevel }] });
        compactPointers[c.level] = h.file.largestKey;
        tables.sync(st.manifest.version);
        return true;
      }
      const sources: InternalCursor[] = c.level === 0 ? inputs.map((h) => tables.tableOf(h).cursor()) : [createLevelCursor(c.inputs, (i) => tables.tableOf(inputs[i]!).cursor())];
      if (overlapping.length > 0) sources.push(createLevelCursor(c.overlapping, (i) => tables.tableOf(overlapping[i]!).cursor()));
      const pinned = [...inputs, ...overlapping];
      tables.pin(pinned);
      const job = createCompactionJob({ input: createMergingCursor(sources), snapshots: host.readerSeqs(), dropTombstones: c.bottommost, targetFileBytes: config.targetFileBytes, newTable: newTableWriter });
      running = { c, job, pinned };
    }
    const r = running;
    let done: boolean;
    try {
      done = r.job.step(budget);
    } catch (e) {
      running = null;
      tables.unpin(r.pinned);
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
      tables.unpin(pinned);
      throw e;
    }
    let last = c.inputs[0]!.largestKey;
    for (const f of c.inputs) if (compareBytes(f.largestKey, last) > 0) last = f.largestKey;
    compactPointers[c.level] = last;
    compactions++;
    written(job.outputs);
    for (const h of pinned) h.obsolete = true;
    tables.sync(st.manifest.version);
    tables.unpin(pinned);
    if (st.manifest.byteLength >= manifestRewriteBytes) rewriteManifest();
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
    if (st.memtable.approximateByteLength >= memtableBudgetBytes) {
      if (st.imm !== null) {
        stalls.memtable++;
        const t = performance.now();
        while (st.imm !== null) flushStep(1 << 16);
        stalled(t);
      }
      freeze();
    }
    // Work in proportion to what the commit wrote, so flushing outpaces the
    // writes (a frozen memtable is gone before the next one fills) and
    // compaction keeps up with flushing (L0 stays near its trigger instead of
    // growing until the stall) — a fixed slice starved both under batches.
    if (st.imm !== null) flushStep(stepEntries + FLUSH_WORK_PER_ENTRY * entriesWritten);
    if (tables.levels[0]!.length >= config.l0Trigger * L0_STALL_FACTOR) {
      stalls.l0++;
      const t = performance.now();
      while (compactStep(1 << 16) && tables.levels[0]!.length >= config.l0Trigger * L0_STALL_FACTOR);
      stalled(t);
      return;
    }
    if (st.imm === null) {
      const budget = stepEntries + COMPACTION_WORK_PER_ENTRY * entriesWritten;
      if (!compactStep(budget) && host.reseal !== null && host.reseal.wanted()) resealStep(budget);
    }
  };

  /** Generations of WAL segments by file number (a file's header never changes). */
  const walGenerations = new Map<number, number>();
  const walGeneration = (fileNumber: number): number => {
    const known = walGenerations.get(fileNumber);
    if (known !== undefined) return known;
    const name = walFileName(fileNumber);
    const f = vfs.openRead(joinPath(dir, name));
    try {
      const g = decodeFileHeader(f.readAt(0, FILE_HEADER_BYTES), name).generation;
      walGenerations.set(fileNumber, g);
      return g;
    } finally {
      f.close();
    }
  };

  /**
   * One slice of the background re-seal [CRY-ROTATE-9], run only when no compaction is due: the
   * first table sealed with an older generation is rewritten through the normal compaction job
   * (sliced like any compaction: L0 as a whole into L1, a deeper table in place, as rewriteAll
   * does); when none is left, a WAL segment of an older generation is retired by freezing the
   * memtable (the flush runs in slices too); when none is left either, the generations no file
   * uses are dropped from HELIOS.
   */
  const resealStep = (budget: number): void => {
    const current = ctx.keyring.currentGeneration;
    const levels = tables.levelFiles();
    const l0 = levels[0]!;
    if (l0.some((f) => f.generation !== current)) {
      let lo = l0[0]!.smallestKey;
      let hi = l0[0]!.largestKey;
      for (const f of l0) {
        if (compareBytes(f.smallestKey, lo) < 0) lo = f.smallestKey;
        if (compareBytes(f.largestKey, hi) > 0) hi = f.largestKey;
      }
      compactStep(budget, { level: 0, outputLevel: 1, inputs: l0, overlapping: overlappingFiles(levels[1]!, lo, hi), bottommost: false, trivialMove: false, score: 0 });
      return;
    }
    for (let n = 1; n < levels.length; n++) {
      const f = levels[n]!.find((t) => t.generation !== current);
      if (f !== undefined) {
        compactStep(budget, { level: n, outputLevel: n, inputs: [f], overlapping: [], bottommost: false, trivialMove: false, score: 0 });
        return;
      }
    }
    if (st.manifest.version.walSegments.some((seg) => seg.fileNumber !== st.wal.fileNumber && walGeneration(seg.fileNumber) !== current)) {
      freeze();
      return;
    }
    host.reseal!.retire();
  };


  return {
    checkCurrent,
    writeCurrent,
    editManifest,
    rewriteManifest,
    rotateWal,
    freeze,
    doWork,
    flushAll() {
      while (st.imm !== null) flushStep(1 << 16);
      while (running !== null) compactStep(1 << 16);
      freeze();
      while (st.imm !== null) flushStep(1 << 16);
    },
    compact(c) {
      while (running !== null) compactStep(1 << 16);
      compactStep(1 << 16, c);
      while (running !== null) compactStep(1 << 16);
    },
    abort() {
      try {
        st.imm?.job?.abort();
        running?.job.abort();
      } catch {
        // nothing more to release
      }
    },
    stats: () => ({ flushes, compactions, tableBytesWritten, stalls: { ...stalls } }),
  };
}
