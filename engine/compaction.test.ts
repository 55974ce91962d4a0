import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { compareBytes, toHex, utf8Encode } from '../format/bytes.ts';
import { compareInternal, KIND_PUT, KIND_TOMBSTONE, type EntryKind } from '../format/sstable-block.ts';
import { compactionFor, createCompactionJob, DEFAULT_COMPACTION_CONFIG, pickCompaction, type CompactionConfig, type LevelFile } from './compaction.ts';
import { createArrayCursor, createMergingCursor, createUserIterator, type ArrayEntry } from './merge-iterator.ts';
import type { TableMeta, TableWriter } from './sstable-writer.ts';
import { openEngine } from './engine.ts';
import { createMemVfs } from './mem-vfs.ts';

const k = (s: string): Uint8Array => utf8Encode(s);
let nextNumber = 1;
const file = (lo: string, hi: string, fileSize: number, generation = 1): LevelFile => ({
  fileNumber: nextNumber++,
  fileSize,
  generation,
  smallestKey: k(lo),
  smallestSeq: 9,
  largestKey: k(hi),
  largestSeq: 1,
});
const cfg: CompactionConfig = { ...DEFAULT_COMPACTION_CONFIG, baseLevelBytes: 1000, sizeRatio: 10, l0Trigger: 4, levelCount: 4 };

test('nothing is picked while every level is within its target', () => {
  assert.is(pickCompaction([[file('a', 'z', 10)], [file('a', 'm', 900)], [file('a', 'z', 9000)]], cfg), null);
});

test('L0 at its trigger compacts all of L0 into the overlapping part of L1', () => {
  const l1 = [file('a', 'c', 100), file('d', 'f', 100), file('x', 'z', 100)];
  const c = pickCompaction([[file('b', 'e', 10), file('a', 'b', 10), file('c', 'd', 10), file('b', 'c', 10)], l1, []], cfg)!;
  assert.is(c.level, 0);
  assert.is(c.outputLevel, 1);
  assert.is(c.inputs.length, 4);
  assert.equal(c.overlapping.map((f) => f.fileNumber), [l1[0]!.fileNumber, l1[1]!.fileNumber]);
  assert.ok(c.bottommost);
  assert.not.ok(c.trivialMove);
});

test('the level most over its target wins, inputs go round-robin through the key space, and bottommost sees deeper levels', () => {
  const l1 = [file('a', 'c', 800), file('d', 'f', 800)];
  const l2 = [file('a', 'b', 100)];
  const l3 = [file('e', 'e', 100)];
  const c = pickCompaction([[], l1, l2, l3], cfg)!;
  assert.is(c.level, 1);
  assert.is(c.inputs[0]!.fileNumber, l1[0]!.fileNumber);
  assert.is(c.overlapping.length, 1);
  assert.ok(c.bottommost);
  const c2 = pickCompaction([[], l1, l2, l3], cfg, [undefined, k('c')])!;
  assert.is(c2.inputs[0]!.fileNumber, l1[1]!.fileNumber);
  assert.ok(c2.trivialMove);
  assert.not.ok(c2.bottommost);
  assert.is(compactionFor([[], [], [], l3], cfg, 3), null);
});

/** A TableWriter that keeps entries in memory (the job is pure w.r.t. files). */
function memWriter(out: ArrayEntry[][], bytesPerEntry: number): TableWriter {
  const es: ArrayEntry[] = [];
  out.push(es);
  return {
    add: (key, seqNum, kind, value) => void es.push({ key: key.slice(), seqNum, kind, value: value.slice() }),
    get entryCount() {
      return es.length;
    },
    estimatedFileSize: () => es.length * bytesPerEntry,
    lastUserKey: () => es[es.length - 1]?.key,
    finish: () => ({ fileNumber: out.length, fileSize: es.length * bytesPerEntry, generation: 1, digest: new Uint8Array(32), entryCount: es.length } as unknown as TableMeta),
    abandon: () => undefined,
  };
}

function visible(entries: readonly ArrayEntry[], snap: number): string[] {
  const sorted = [...entries].sort((a, b) => compareInternal(a.key, a.seqNum, b.key, b.seqNum));
  const it = createUserIterator(createArrayCursor(sorted), { snapshotSeq: snap });
  const out: string[] = [];
  while (it.next()) out.push(`${toHex(it.key())}=${toHex(it.value())}`);
  return out;
}

test('[FMT-SST-COMPACT-2] a compaction keeps exactly what every snapshot sees, drops what none sees, and cuts outputs only between user keys', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ key: fc.integer({ min: 0, max: 12 }), del: fc.boolean(), v: fc.nat(99), src: fc.nat(2) }), { maxLength: 80 }),
      fc.uniqueArray(fc.nat(85), { maxLength: 4 }),
      fc.boolean(),
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 1, max: 7 }),
      (writes, snapshots, dropTombstones, per, stepSize) => {
        const srcs: ArrayEntry[][] = [[], [], []];
        writes.forEach((w, i) =>
          srcs[w.src]!.push({ key: k(`key${String(w.key).padStart(2, '0')}`), seqNum: i + 1, kind: (w.del ? KIND_TOMBSTONE : KIND_PUT) as EntryKind, value: w.del ? new Uint8Array() : k(`v${w.v}`) }),
        );
        for (const s of srcs) s.sort((a, b) => compareInternal(a.key, a.seqNum, b.key, b.seqNum));
        const tables: ArrayEntry[][] = [];
        const job = createCompactionJob({
          input: createMergingCursor(srcs.map((s) => createArrayCursor(s))),
          snapshots,
          dropTombstones,
          targetFileBytes: per * 10,
          newTable: () => memWriter(tables, 10),
        });
        let steps = 0;
        while (!job.step(stepSize)) steps++;
        assert.ok(steps <= writes.length);
        const all = tables.flat();
        for (const snap of [...snapshots, Number.MAX_SAFE_INTEGER]) assert.equal(visible(all, snap), visible(writes.length ? srcs.flat() : [], snap));
        // Outputs are sorted, disjoint by user key, and never empty.
        for (let i = 0; i < tables.length; i++) {
          assert.ok(tables[i]!.length > 0);
          if (i > 0) assert.ok(compareBytes(tables[i - 1]!.at(-1)!.key, tables[i]![0]!.key) < 0);
        }
        // Nothing kept that no snapshot can see: at most one version per (key, stripe).
        const st = job.stats();
        assert.is(st.entriesRead, writes.length);
        assert.is(st.entriesWritten + st.shadowedDropped + st.tombstonesDropped, writes.length);
        if (dropTombstones && snapshots.length === 0) assert.ok(all.every((e) => e.kind === KIND_PUT));
        if (snapshots.length === 0) assert.is(new Set(all.map((e) => toHex(e.key))).size, all.length);
      },
    ),
    { numRuns: 300 },
  );
});

test('an aborted job abandons its open output and closes its input', () => {
  let closed = 0;
  let abandoned = 0;
  const src = createArrayCursor([{ key: k('a'), seqNum: 1, kind: KIND_PUT, value: k('1') }, { key: k('b'), seqNum: 2, kind: KIND_PUT, value: k('2') }]);
  const job = createCompactionJob({
    input: { ...src, close: () => void closed++ },
    snapshots: [],
    dropTombstones: false,
    targetFileBytes: Infinity,
    newTable: () => ({ ...memWriter([], 1), abandon: () => void abandoned++ }),
  });
  assert.not.ok(job.step(1));
  job.abort();
  job.abort();
  assert.is(closed, 1);
  assert.is(abandoned, 1);
});

test('an engine with a tiny memtable flushes and compacts while reads, snapshots and reopen see every commit', () => {
  const vfs = createMemVfs();
  const options = { key: { raw: new Uint8Array(32).fill(3) }, vfs, synchronous: 'normal' as const, memtableBudgetBytes: 4096, compactionStepEntries: 8, compaction: { l0Trigger: 2, baseLevelBytes: 16384, sizeRatio: 4, targetFileBytes: 4096, levelCount: 4 } };
  let db = openEngine('db', options);
  const model = new Map<string, string>();
  let snap: { s: ReturnType<typeof db.snapshot>; at: Map<string, string> } | null = null;
  for (let i = 0; i < 3000; i++) {
    const key = `key${String((i * 7919) % 1000).padStart(4, '0')}`;
    if (i % 5 === 4) {
      db.delete(k(key));
      model.delete(key);
    } else {
      db.put(k(key), k(`v${i}`));
      model.set(key, `v${i}`);
    }
    if (i === 1500) snap = { s: db.snapshot(), at: new Map(model) };
  }
  const info = db.info();
  assert.ok(info.flushes > 5 && info.compactions > 0, `flushes ${info.flushes}, compactions ${info.compactions}`);
  assert.ok(info.tablesPerLevel.slice(1).some((n) => n > 0), 'data reached L1 or deeper');
  const scan = (d: typeof db, snapshot?: ReturnType<typeof db.snapshot>): string[] => {
    const it = d.iterator(snapshot ? { snapshot } : {});
    const out: string[] = [];
    while (it.next()) out.push(`${new TextDecoder().decode(it.key())}=${new TextDecoder().decode(it.value())}`);
    it.close();
    return out;
  };
  const want = (m: Map<string, string>): string[] => [...m].sort().map(([a, b]) => `${a}=${b}`);
  assert.equal(scan(db), want(model));
  assert.equal(scan(db, snap!.s), want(snap!.at));
  for (const [key, v] of model) assert.equal(db.get(k(key)), k(v));
  db.close();
  db = openEngine('db', options);
  assert.equal(scan(db), want(model));
  db.close();
  const sst = vfs.list('db').filter((n) => n.endsWith('.sst'));
  assert.ok(sst.length > 0);
});

test.run();
