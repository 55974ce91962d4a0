// Measurements of the SSTable layer, not part of CI (prints numbers, asserts
// nothing but correctness of what it reads back).
//
//   node scripts/run-ts.mjs scripts/scale.ts block-size [entries]
//       seal/open cost per block and point-read / scan throughput of one table
//       at 4, 16 and 64 KiB blocks, encrypted and unencrypted (the default
//       block size in engine/sstable-writer.ts was chosen from this).
//   node scripts/run-ts.mjs scripts/scale.ts scale [keys] [random|sequential] [dir]
//       loads `keys` keys × 100-byte values through memtable → L0 flush →
//       leveled compaction (incremental steps) on the real file system, then
//       reopens every table and verifies every key; reports throughput,
//       write amplification, space amplification, file count and peak RSS.
//       Drives the table layer directly (no WAL): it measures flush and
//       compaction, not commit durability.
//   node scripts/run-ts.mjs scripts/scale.ts engine [keys] [random|sequential] [synchronous] [memoryLimitMb]
//       the same load through openEngine (WAL, memtable, flush, incremental
//       compaction) with commits of one put each: commit latency p50/p99/max,
//       throughput, then reopen and verify every key, amplification, peak RSS.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSealer } from '../crypto/cipher-suite.ts';
import { corruption } from '../format/errors.ts';
import { KIND_PUT } from '../format/sstable-block.ts';
import { createBlockCache, type BlockCache } from '../engine/block-cache.ts';
import { compactionFor, createCompactionJob, DEFAULT_COMPACTION_CONFIG, pickCompaction, type LevelFile } from '../engine/compaction.ts';
import { createMemtable } from '../engine/memtable.ts';
import { createLevelCursor, createMergingCursor, type InternalCursor } from '../engine/merge-iterator.ts';
import { createMemVfs } from '../engine/mem-vfs.ts';
import { createNodeVfs } from '../engine/node-vfs.ts';
import { openTable, type Table } from '../engine/sstable-reader.ts';
import { createTableWriter, type TableKeyring, type TableMeta } from '../engine/sstable-writer.ts';
import type { Vfs } from '../engine/vfs.ts';
import { openEngine, type SynchronousMode } from '../engine/engine.ts';

const [mode = 'block-size', ...args] = process.argv.slice(2);
const now = (): number => performance.now();
const fmt = (n: number, d = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
let peakRss = 0;
const sampleRss = (): void => {
  const r = process.memoryUsage().rss;
  if (r > peakRss) peakRss = r;
};

const keyringFor = (suite: 'aes-256-gcm' | 'none'): TableKeyring => {
  const dek = randomBytes(32);
  return { databaseId: randomBytes(16), suite, dek: (g) => (g === 1 ? dek : corruption('HELIOS', 0, 'unknown generation')) };
};

/** 16-byte keys: "k" + 15 digits, so order = numeric order. */
const keyOf = (i: number): Uint8Array => new TextEncoder().encode('k' + String(i).padStart(15, '0'));
const valueOf = (i: number): Uint8Array => {
  const v = new Uint8Array(100);
  let x = (i * 2654435761) >>> 0;
  for (let j = 0; j < 100; j++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    v[j] = x >>> 24;
  }
  return v;
};

function blockSize(): void {
  const n = Number(args[0] ?? 200_000);
  console.log(`seal/open per block (node backend):`);
  for (const kib of [4, 16, 64]) {
    const s = createSealer('aes-256-gcm', randomBytes(32));
    const plain = randomBytes(kib * 1024);
    const aad = new Uint8Array(41);
    const iters = Math.max(200, Math.floor(40_000 / kib));
    let sealed = s.seal(0, plain, aad);
    let t = now();
    for (let i = 0; i < iters; i++) sealed = s.seal(i, plain, aad);
    const sealUs = ((now() - t) * 1000) / iters;
    sealed = s.seal(1, plain, aad);
    t = now();
    for (let i = 0; i < iters; i++) s.open(1, sealed, aad);
    const openUs = ((now() - t) * 1000) / iters;
    console.log(`  ${String(kib).padStart(2)} KiB  seal ${fmt(sealUs, 1)} µs (${fmt((kib * 1024) / sealUs, 0)} MB/s)  open ${fmt(openUs, 1)} µs (${fmt((kib * 1024) / openUs, 0)} MB/s)`);
  }
  console.log(`\none table of ${fmt(n)} entries (16 B keys, 100 B values):`);
  console.log(`  block  suite         size MB  write k/s  cold get k/s  warm get k/s  scan k/s  scan MB/s`);
  const best = (f: () => number): number => Math.max(f(), f(), f());
  for (const round of [0, 1]) {
    if (round === 0) console.log('  (warm-up round, discarded)');
    for (const kib of [4, 16, 64]) {
      for (const suite of ['none', 'aes-256-gcm'] as const) {
        const vfs = createMemVfs();
        const keyring = keyringFor(suite);
        let meta: TableMeta | undefined;
        let file = 0;
        const writeKps = best(() => {
          const name = `t${++file}.sst`;
          const t = now();
          const w = createTableWriter({ file: vfs.create(name), fileName: name, fileNumber: 1, keyring, generation: 1, salt: randomBytes(16), blockBytes: kib * 1024 });
          for (let i = 0; i < n; i++) w.add(keyOf(i), i + 1, KIND_PUT, valueOf(i));
          meta = w.finish();
          return n / (now() - t);
        });
        const name = `t${file}.sst`;
        const probes = Array.from({ length: 20_000 }, () => Math.floor(Math.random() * n));
        const gets = (cacheBytes: number): number => {
          const cache = createBlockCache(cacheBytes);
          const table = openTable({ file: vfs.openRead(name), fileName: name, fileNumber: 1, keyring, cache });
          if (cacheBytes > 0) for (const p of probes) table.get(keyOf(p)); // warm the cache
          const t0 = now();
          for (const p of probes) if (!table.get(keyOf(p))) throw new Error('missing key');
          const kps = probes.length / (now() - t0);
          table.close();
          return kps;
        };
        const cold = best(() => gets(0));
        const warm = best(() => gets(512 << 20));
        const scan = best(() => {
          const table = openTable({ file: vfs.openRead(name), fileName: name, fileNumber: 1, keyring });
          const c = table.cursor();
          const t = now();
          let count = 0;
          for (c.seekToFirst(); c.valid(); c.next()) count++;
          const kps = count / (now() - t);
          if (count !== n) throw new Error('scan lost entries');
          table.close();
          return kps;
        });
        if (round === 0) continue;
        const m = meta!;
        console.log(
          `  ${String(kib).padStart(2)} KiB ${suite.padEnd(12)} ${fmt(m.fileSize / 1e6, 1).padStart(8)} ${fmt(writeKps, 0).padStart(10)} ${fmt(cold, 0).padStart(13)} ${fmt(warm, 0).padStart(13)} ${fmt(scan, 0).padStart(9)} ${fmt((scan * (m.rawKeyBytes + m.rawValueBytes)) / n / 1000, 0).padStart(10)}`,
        );
      }
    }
  }
}

function scale(): void {
  const total = Number(args[0] ?? 10_000_000);
  const order = args[1] ?? 'random';
  const dir = args[2] ?? mkdtempSync(join(tmpdir(), 'helios-scale-'));
  const vfs: Vfs = createNodeVfs();
  vfs.mkdir(dir);
  const keyring = keyringFor('aes-256-gcm');
  const cache = createBlockCache(64 << 20);
  const config = { ...DEFAULT_COMPACTION_CONFIG };
  const memtableBudget = 32 << 20;
  const stepEntries = 4096;
  let nextFile = 1;
  let seq = 0;
  const levels: LevelFile[][] = Array.from({ length: config.levelCount }, () => []);
  const metas = new Map<number, TableMeta>();
  const open = new Map<number, Table>();
  let bytesFlushed = 0;
  let bytesCompacted = 0;
  let userBytes = 0;
  const path = (n: number): string => join(dir, `${String(n).padStart(6, '0')}.sst`);
  const tableOf = (n: number): Table => {
    let t = open.get(n);
    if (!t) {
      const m = metas.get(n)!;
      t = openTable({ file: vfs.openRead(path(n)), fileName: path(n), fileNumber: n, keyring, cache, expected: { fileSize: m.fileSize, digest: m.digest, generation: 1 } });
      open.set(n, t);
    }
    return t;
  };
  const newTable = () => {
    const n = nextFile++;
    return createTableWriter({ file: vfs.create(path(n)), fileName: path(n), fileNumber: n, keyring, generation: 1, salt: randomBytes(16) });
  };
  const asLevelFile = (m: TableMeta): LevelFile => ({ fileNumber: m.fileNumber, fileSize: m.fileSize, generation: m.generation, smallestKey: m.smallestKey, smallestSeq: m.smallestSeq, largestKey: m.largestKey, largestSeq: m.largestSeq });
  const install = (level: number, outs: readonly TableMeta[]): void => {
    for (const m of outs) {
      metas.set(m.fileNumber, m);
      levels[level]!.push(asLevelFile(m));
    }
    if (level > 0) levels[level]!.sort((a, b) => Buffer.compare(a.smallestKey, b.smallestKey));
  };
  const remove = (level: number, files: readonly LevelFile[]): void => {
    const gone = new Set(files.map((f) => f.fileNumber));
    levels[level] = levels[level]!.filter((f) => !gone.has(f.fileNumber));
    for (const n of gone) {
      open.get(n)?.close();
      open.delete(n);
      metas.delete(n);
      vfs.remove(path(n));
    }
  };
  const cursors: (Uint8Array | undefined)[] = [];
  let job: { c: NonNullable<ReturnType<typeof pickCompaction>>; j: ReturnType<typeof createCompactionJob> } | null = null;
  const compactStep = (): void => {
    if (job === null) {
      const c = pickCompaction(levels, config, cursors);
      if (c === null) return;
      if (c.trivialMove) {
        levels[c.level] = levels[c.level]!.filter((f) => f !== c.inputs[0]);
        levels[c.outputLevel]!.push(c.inputs[0]!);
        levels[c.outputLevel]!.sort((a, b) => Buffer.compare(a.smallestKey, b.smallestKey));
        cursors[c.level] = c.inputs[0]!.largestKey;
        return;
      }
      const inputs: InternalCursor[] = c.level === 0 ? c.inputs.map((f) => tableOf(f.fileNumber).cursor()) : [createLevelCursor(c.inputs, (i) => tableOf(c.inputs[i]!.fileNumber).cursor())];
      if (c.overlapping.length > 0) inputs.push(createLevelCursor(c.overlapping, (i) => tableOf(c.overlapping[i]!.fileNumber).cursor()));
      job = { c, j: createCompactionJob({ input: createMergingCursor(inputs), snapshots: [], dropTombstones: c.bottommost, targetFileBytes: config.targetFileBytes, newTable }) };
    }
    if (job.j.step(stepEntries)) {
      const { c, j } = job;
      job = null;
      for (const m of j.outputs) bytesCompacted += m.fileSize;
      remove(c.level, c.inputs);
      remove(c.outputLevel, c.overlapping);
      install(c.outputLevel, j.outputs);
      cursors[c.level] = c.inputs.reduce((a, f) => (Buffer.compare(f.largestKey, a) > 0 ? f.largestKey : a), c.inputs[0]!.largestKey);
    }
  };
  // Random order: a bijection of [0, total), i ↦ i·a mod total with gcd(a, total) = 1
  // (a < 2^21 keeps i·a exact in a double).
  const gcd = (x: number, y: number): number => (y === 0 ? x : gcd(y, x % y));
  let unit = 1_048_573 % total || 1;
  while (gcd(unit, total) !== 1) unit++;
  const keyIndex = (i: number): number => (order === 'random' ? (i * unit) % total : i);

  let mem = createMemtable();
  const latencies: number[] = [];
  const t0 = now();
  for (let i = 0; i < total; i++) {
    const k = keyIndex(i);
    const key = keyOf(k);
    const value = valueOf(k);
    userBytes += key.length + value.length;
    const ts = now();
    mem.add(key, ++seq, value);
    if (mem.approximateByteLength >= memtableBudget) {
      const w = newTable();
      const c = mem.cursor();
      for (c.seekToFirst(); c.valid(); c.next()) w.add(c.key(), c.seqNum(), c.kind(), c.value());
      const m = w.finish();
      bytesFlushed += m.fileSize;
      install(0, [m]);
      mem = createMemtable();
    }
    if ((i & 63) === 0) compactStep();
    if ((i & 1023) === 0) {
      latencies.push(now() - ts);
      sampleRss();
    }
    if (i % 1_000_000 === 999_999) console.log(`  ${fmt(i + 1)} keys, ${fmt((now() - t0) / 1000, 1)} s, ${levels.map((l) => l.length).join('/')} tables per level, rss ${fmt(process.memoryUsage().rss / 2 ** 20)} MiB`);
  }
  // Final flush, then drain compaction.
  {
    const w = newTable();
    const c = mem.cursor();
    let any = false;
    for (c.seekToFirst(); c.valid(); c.next()) (w.add(c.key(), c.seqNum(), c.kind(), c.value()), (any = true));
    if (any) {
      const m = w.finish();
      bytesFlushed += m.fileSize;
      install(0, [m]);
    } else w.abandon();
  }
  const loadMs = now() - t0;
  while (job !== null || pickCompaction(levels, config, cursors) !== null) (compactStep(), sampleRss());
  const settleMs = now() - t0 - loadMs;
  for (const t of open.values()) t.close();
  open.clear();
  // Reopen every table from disk and verify every key.
  const t1 = now();
  const all: InternalCursor[] = [];
  for (const f of levels[0]!) all.push(tableOf(f.fileNumber).cursor());
  for (let l = 1; l < levels.length; l++) {
    const fs = levels[l]!;
    if (fs.length) all.push(createLevelCursor(fs, (i) => tableOf(fs[i]!.fileNumber).cursor()));
  }
  const merged = createMergingCursor(all);
  let n = 0;
  for (merged.seekToFirst(); merged.valid(); merged.next(), n++) {
    const want = keyOf(n);
    if (Buffer.compare(merged.key(), want) !== 0 || Buffer.compare(merged.value(), valueOf(n)) !== 0) throw new Error(`key ${n} wrong after reopen`);
    if ((n & 65535) === 0) sampleRss();
  }
  if (n !== total) throw new Error(`verified ${n} keys, expected ${total}`);
  const verifyMs = now() - t1;
  const liveBytes = [...metas.values()].reduce((a, m) => a + m.fileSize, 0);
  latencies.sort((a, b) => a - b);
  const pct = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
  console.log(`\n${fmt(total)} keys × 100 B, ${order} order, AES-256-GCM, dir ${dir}`);
  console.log(`  load: ${fmt(loadMs / 1000, 1)} s (${fmt(total / loadMs, 1)} k keys/s) + compaction drain ${fmt(settleMs / 1000, 1)} s`);
  console.log(`  per-put latency incl. incremental compaction steps (sampled 1/1024): p50 ${fmt(pct(0.5) * 1000, 1)} µs, p99 ${fmt(pct(0.99) * 1000, 1)} µs, max ${fmt(latencies.at(-1)! , 1)} ms`);
  console.log(`  reopen + verify every key: ${fmt(verifyMs / 1000, 1)} s (${fmt(total / verifyMs, 1)} k keys/s)`);
  console.log(`  write amplification (flushed + compacted bytes / user bytes): ${fmt((bytesFlushed + bytesCompacted) / userBytes, 2)}`);
  console.log(`  space amplification (live table bytes / user bytes): ${fmt(liveBytes / userBytes, 2)}`);
  console.log(`  files: ${metas.size} (${levels.map((l) => l.length).join('/')} per level), ${fmt(liveBytes / 1e6, 0)} MB`);
  console.log(`  peak RSS: ${fmt(peakRss / 2 ** 20)} MiB (memtable budget ${memtableBudget >> 20} MiB, block cache 64 MiB)`);
  if (!args[2]) rmSync(dir, { recursive: true, force: true });
}

function engineScale(): void {
  const total = Number(args[0] ?? 1_000_000);
  const order = args[1] ?? 'random';
  const synchronous = (args[2] ?? 'normal') as SynchronousMode;
  const memoryLimitMb = Number(args[3] ?? 256);
  const dir = mkdtempSync(join(tmpdir(), 'helios-engine-scale-'));
  const gcd = (x: number, y: number): number => (y === 0 ? x : gcd(y, x % y));
  let unit = 1_048_573 % total || 1;
  while (gcd(unit, total) !== 1) unit++;
  const keyIndex = (i: number): number => (order === 'random' ? (i * unit) % total : i);
  const key = randomBytes(32);
  let db = openEngine(dir, { key: { raw: new Uint8Array(key) }, synchronous, memoryLimitMb });
  const lat = new Float64Array(total);
  let userBytes = 0;
  const t0 = now();
  for (let i = 0; i < total; i++) {
    const k = keyIndex(i);
    const kb = keyOf(k);
    const vb = valueOf(k);
    userBytes += kb.length + vb.length;
    const ts = now();
    db.put(kb, vb);
    lat[i] = now() - ts;
    if ((i & 4095) === 0) sampleRss();
    if (i % 1_000_000 === 999_999) {
      const inf = db.info();
      console.log(`  ${fmt(i + 1)} keys, ${fmt((now() - t0) / 1000, 1)} s, tables ${inf.tablesPerLevel.join('/')}, rss ${fmt(process.memoryUsage().rss / 2 ** 20)} MiB`);
    }
  }
  const loadMs = now() - t0;
  const info = db.info();
  db.close();
  lat.sort();
  const pct = (p: number): number => lat[Math.min(total - 1, Math.floor(p * total))]!;
  const t1 = now();
  db = openEngine(dir, { key: { raw: new Uint8Array(key) }, memoryLimitMb });
  const it = db.iterator();
  let n = 0;
  while (it.next()) {
    if (Buffer.compare(it.key(), keyOf(n)) !== 0 || Buffer.compare(it.value(), valueOf(n)) !== 0) throw new Error(`key ${n} wrong after reopen`);
    n++;
    if ((n & 65535) === 0) sampleRss();
  }
  it.close();
  if (n !== total) throw new Error(`verified ${n} keys, expected ${total}`);
  const scanMs = now() - t1;
  const t2 = now();
  const gets = 100_000;
  for (let i = 0; i < gets; i++) {
    const k = (i * 7919) % total;
    const v = db.get(keyOf(k));
    if (!v || Buffer.compare(v, valueOf(k)) !== 0) throw new Error(`get ${k} wrong`);
  }
  const getMs = now() - t2;
  const after = db.info();
  db.close();
  let diskBytes = 0;
  for (const name of readdirSync(dir)) diskBytes += statSync(join(dir, name)).size;
  console.log(`\n${fmt(total)} puts (one per commit) × 100 B, ${order} order, synchronous ${synchronous}, memoryLimitMb ${memoryLimitMb}, AES-256-GCM`);
  console.log(`  load: ${fmt(loadMs / 1000, 1)} s (${fmt(total / loadMs, 1)} k commits/s)`);
  console.log(`  commit latency: p50 ${fmt(pct(0.5) * 1000, 1)} µs, p99 ${fmt(pct(0.99) * 1000, 1)} µs, p99.9 ${fmt(pct(0.999) * 1000, 1)} µs, max ${fmt(lat[total - 1]!, 1)} ms`);
  console.log(`  flushes ${info.flushes}, compactions ${info.compactions}, tables per level ${after.tablesPerLevel.join('/')}`);
  console.log(`  stalls: ${info.stalls.memtable} waiting for a flush, ${info.stalls.l0} for L0 compaction; ${fmt(info.stalls.stallMs, 0)} ms in all, longest ${fmt(info.stalls.longestStallMs, 1)} ms`);
  console.log(`  reopen + full scan verifying every key: ${fmt(scanMs / 1000, 1)} s (${fmt(total / scanMs, 1)} k keys/s); random gets ${fmt(gets / getMs, 1)} k/s`);
  console.log(`  write amplification (table bytes written / user bytes): ${fmt(info.tableBytesWritten / userBytes, 2)} (+1 for the WAL)`);
  console.log(`  space amplification (directory bytes / user bytes): ${fmt(diskBytes / userBytes, 2)}; files ${readdirSync(dir).length}`);
  console.log(`  peak RSS: ${fmt(peakRss / 2 ** 20)} MiB`);
  rmSync(dir, { recursive: true, force: true });
}

if (mode === 'block-size') blockSize();
else if (mode === 'scale') scale();
else if (mode === 'engine') engineScale();
else {
  console.error('usage: scale.ts block-size [entries] | scale [keys] [random|sequential] [dir] | engine [keys] [random|sequential] [synchronous] [memoryLimitMb]');
  process.exit(2);
}
