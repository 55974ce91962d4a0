/**
 * Key-value engine throughput, every workload run on an UNENCRYPTED ('none'
 * suite, CRC32C) and an ENCRYPTED (AES-256-GCM) database in the same run,
 * on the real file system (node:fs, a temp directory), printing operations
 * per second and the ratio encrypted / unencrypted (goal >= 0.97 on every
 * row). Measures, never asserts.
 *
 *   node scripts/run-ts.mjs bench/engine.ts [--quick]
 *
 * Rows: single puts of 100-byte values under synchronous full / normal /
 * off, write batches of 1,000 puts, point gets over 100k keys, and a full
 * scan of 100k keys. Each row alternates plain and encrypted runs
 * (ROUNDS times) and keeps the best of each, to damp noise from the 2 cores.
 * Besides wall-clock ops/s it prints CPU time per operation, whose ratio is
 * the steadier measure of the cipher's cost when the machine is busy.
 *
 * Beyond-memory rows (issue 4), over N = 1M rows (100k with --quick) of
 * 16-byte keys and 100-byte values, both variants opened with identical
 * options except `encryption: false` vs a raw key:
 *  - bulk import in batches of 1,000, synchronous 'normal', sequential and
 *    random key order, with memoryLimitMb BULK_MEMORY_MB so that flushes and
 *    compactions (the sealing of tables) happen during the import; one timed
 *    run per variant and round (tinybench, 1 iteration), rows/s;
 *  - random point gets on the random-order database after it is settled
 *    into tables and reopened: "cold" with a block cache a tenth of the table
 *    bytes (most gets open a sealed block; the OS page cache stays warm, so
 *    this measures decryption, not the disk), "warm" with a cache larger
 *    than the tables after a full-scan warm-up pass (no block opened);
 *  - range scans of 10k keys from a random start, forward and reverse, on
 *    the cold-cache handle.
 * The cache hit rate seen by each read row is printed under the table.
 */
import { Bench } from 'tinybench';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomFillSync } from 'node:crypto';
import { openEngine, createWriteBatch, type Engine, type SynchronousMode } from '../engine/engine.ts';

const quick = process.argv.includes('--quick');
const TIME_MS = quick ? 200 : 700;
const ROUNDS = quick ? 1 : 3;
const SCAN_KEYS = 100_000;
const VALUE = randomFillSync(new Uint8Array(100));
const KEY = randomFillSync(new Uint8Array(32));
const root = mkdtempSync(join(tmpdir(), 'helios-bench-'));
const loadAtStart = loadavg()[0]!;

let dbCounter = 0;
function openDb(encrypted: boolean, synchronous: SynchronousMode): Engine {
  const path = join(root, `db${dbCounter++}`);
  return openEngine(path, encrypted ? { key: { raw: KEY }, synchronous } : { encryption: false, synchronous });
}

const keyOf = (i: number): Uint8Array => new TextEncoder().encode(`key${String(i).padStart(10, '0')}`);

/** Wall-clock ops/s (tinybench) and CPU microseconds per op (user + system, this process). */
async function measure(name: string, opsPerIteration: number, fn: () => void): Promise<{ opsPerSec: number; cpuUsPerOp: number }> {
  // Few iterations are enough for the slow rows (a scan, a reopen); fast rows run for TIME_MS.
  const bench = new Bench({ time: TIME_MS, iterations: 3, warmup: true, warmupIterations: 2, warmupTime: 50 });
  let calls = 0;
  bench.add(name, () => {
    calls++;
    fn();
  });
  const cpu0 = process.cpuUsage();
  await bench.run();
  const cpu = process.cpuUsage(cpu0);
  const r = bench.tasks[0]!.result as { latency?: { mean: number }; state?: string };
  if (r.latency === undefined) throw new Error(`${name}: no result`);
  return { opsPerSec: (opsPerIteration * 1000) / r.latency.mean, cpuUsPerOp: (cpu.user + cpu.system) / (calls * opsPerIteration) };
}

interface Row {
  name: string;
  unit: string;
  plain: number;
  enc: number;
  plainCpu: number;
  encCpu: number;
}
const rows: Row[] = [];

/** `make(encrypted)` returns the measured function and the ops it does per call, and a cleanup. */
/**
 * One call of `fn` (a multi-second workload such as a 1M-row import), timed
 * by tinybench; CPU is measured around the call only, so setup is excluded.
 */
async function measureOnce(name: string, opsPerIteration: number, fn: () => void): Promise<{ opsPerSec: number; cpuUsPerOp: number }> {
  const bench = new Bench({ time: 0, iterations: 1, warmup: false });
  let calls = 0;
  let cpuUs = 0;
  bench.add(name, () => {
    const c0 = process.cpuUsage();
    fn();
    const c = process.cpuUsage(c0);
    cpuUs += c.user + c.system;
    calls++;
  });
  await bench.run();
  const r = bench.tasks[0]!.result as { latency?: { mean: number } };
  if (r.latency === undefined || calls === 0) throw new Error(`${name}: no result`);
  return { opsPerSec: (opsPerIteration * 1000) / r.latency.mean, cpuUsPerOp: cpuUs / (calls * opsPerIteration) };
}

async function row(
  name: string,
  unit: string,
  make: (encrypted: boolean) => { fn: () => void; ops: number; done: () => void },
  how: { once?: boolean; rounds?: number } = {},
): Promise<void> {
  let plain = 0;
  let enc = 0;
  let plainCpu = Infinity;
  let encCpu = Infinity;
  for (let r = 0; r < (how.rounds ?? ROUNDS); r++) {
    for (const encrypted of [false, true]) {
      const w = make(encrypted);
      const label = `${name} ${encrypted ? 'enc' : 'plain'}`;
      const m = how.once === true ? await measureOnce(label, w.ops, w.fn) : await measure(label, w.ops, w.fn);
      w.done();
      if (encrypted) {
        enc = Math.max(enc, m.opsPerSec);
        encCpu = Math.min(encCpu, m.cpuUsPerOp);
      } else {
        plain = Math.max(plain, m.opsPerSec);
        plainCpu = Math.min(plainCpu, m.cpuUsPerOp);
      }
    }
  }
  rows.push({ name, unit, plain, enc, plainCpu, encCpu });
  console.log(`  measured: ${name}`);
}

function singlePuts(mode: SynchronousMode) {
  return (encrypted: boolean) => {
    const db = openDb(encrypted, mode);
    let i = 0;
    return { fn: () => db.put(keyOf(i++), VALUE), ops: 1, done: () => db.close() };
  };
}

function preloaded(encrypted: boolean): Engine {
  const db = openDb(encrypted, 'off');
  for (let i = 0; i < SCAN_KEYS; i += 1000) {
    const b = createWriteBatch();
    for (let j = i; j < i + 1000; j++) b.put(keyOf(j), VALUE);
    db.write(b);
  }
  return db;
}

await row('put 100 B, synchronous full', 'puts/s', singlePuts('full'));
await row('put 100 B, synchronous normal', 'puts/s', singlePuts('normal'));
await row('put 100 B, synchronous off', 'puts/s', singlePuts('off'));
await row('batch of 1,000 puts (normal)', 'puts/s', (encrypted) => {
  const db = openDb(encrypted, 'normal');
  let i = 0;
  return {
    fn: () => {
      const b = createWriteBatch();
      for (let j = 0; j < 1000; j++) b.put(keyOf(i++), VALUE);
      db.write(b);
    },
    ops: 1000,
    done: () => db.close(),
  };
});
await row('point get (100k keys)', 'gets/s', (encrypted) => {
  const db = preloaded(encrypted);
  let i = 0;
  return {
    fn: () => {
      db.get(keyOf((i = (i + 7919) % SCAN_KEYS)));
    },
    ops: 1,
    done: () => db.close(),
  };
});
await row('scan of 100k keys', 'keys/s', (encrypted) => {
  const db = preloaded(encrypted);
  return {
    fn: () => {
      const it = db.iterator();
      let n = 0;
      while (it.next()) n += it.value().length > 0 ? 1 : 0;
      it.close();
      if (n !== SCAN_KEYS) throw new Error(`scan saw ${n} keys`);
    },
    ops: SCAN_KEYS,
    done: () => db.close(),
  };
});
await row('reopen (recovery) of 100k keys', 'keys/s', (encrypted) => {
  const db = preloaded(encrypted);
  db.close();
  const path = join(root, `db${dbCounter - 1}`);
  return {
    fn: () => openEngine(path, encrypted ? { key: { raw: KEY } } : { encryption: false }).close(),
    ops: SCAN_KEYS,
    done: () => {},
  };
});

// ---- Beyond memory (issue 4): bulk import, cold/warm point gets, range scans ----

const N = quick ? 100_000 : 1_000_000;
const BATCH = 1000;
const SCAN_LEN = 10_000;
/** Memtable and block cache 16 MiB each during the import: about 7 flushes per 1M rows. */
const BULK_MEMORY_MB = 64;
const BULK_ROUNDS = quick ? 1 : 2;
const notes: string[] = [`N = ${N.toLocaleString('en-US')} rows of 16-byte keys and 100-byte values; import memoryLimitMb ${BULK_MEMORY_MB}`];

/** murmur3's 32-bit finalizer: a bijection, so randKey(i) is unique and its order is unrelated to i. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
/** 16-byte key in ascending order of i. */
function seqKey(i: number): Uint8Array {
  const k = new Uint8Array(16);
  new DataView(k.buffer).setUint32(12, i);
  return k;
}
/** 16-byte key whose first 4 bytes are a hash of i (random order), then i. */
function randKey(i: number): Uint8Array {
  const k = new Uint8Array(16);
  const v = new DataView(k.buffer);
  v.setUint32(0, fmix32(i));
  v.setUint32(4, i);
  return k;
}
/** Deterministic xorshift32 in [0, n). */
function rng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

const optionsFor = (encrypted: boolean): { key: { raw: Uint8Array } } | { encryption: false } => (encrypted ? { key: { raw: KEY } } : { encryption: false });
/** The random-order database of the last import round, per variant: the read rows use it. */
const readDbPath: Record<'plain' | 'enc', string> = { plain: '', enc: '' };

function bulkImport(keyOfRow: (i: number) => Uint8Array, keep: boolean) {
  return (encrypted: boolean) => {
    const path = join(root, `db${dbCounter++}`);
    const db = openEngine(path, { ...optionsFor(encrypted), synchronous: 'normal', memoryLimitMb: BULK_MEMORY_MB });
    // Keys built before timing: the row measures the engine, not key generation.
    const keys = Array.from({ length: N }, (_, i) => keyOfRow(i));
    return {
      fn: () => {
        for (let i = 0; i < N; i += BATCH) {
          const b = createWriteBatch();
          for (let j = i; j < i + BATCH; j++) b.put(keys[j]!, VALUE);
          db.write(b);
        }
      },
      ops: N,
      done: () => {
        const inf = db.info();
        db.close();
        const variant = encrypted ? 'enc' : 'plain';
        if (keep) {
          if (readDbPath[variant] !== '') rmSync(readDbPath[variant], { recursive: true, force: true });
          readDbPath[variant] = path;
        } else {
          rmSync(path, { recursive: true, force: true });
        }
        if (keep) notes.push(`import ${variant}: ${inf.flushes} flushes, ${inf.compactions} compactions, tables per level ${inf.tablesPerLevel.join('/')}, ${mib(inf.tableBytesWritten)} table bytes written`);
      },
    };
  };
}

const mib = (n: number): string => `${(n / 1048576).toFixed(1)} MiB`;

/**
 * Moves the unflushed tail of an imported database into tables (a reopen
 * would otherwise replay it into the memtable and serve those gets from
 * memory): reopens with a 1 MiB memtable and rewrites existing keys with
 * their own value, one per commit (each commit then flushes more entries
 * than it adds), until the flush is done and L0 is below the stall bound, or
 * SETTLE_MAX_COMMITS. Returns the table bytes and a note of the shape.
 */
const SETTLE_MAX_COMMITS = 200_000;
function settle(path: string, encrypted: boolean): { bytes: number; note: string } {
  const db = openEngine(path, { ...optionsFor(encrypted), synchronous: 'off', memtableBudgetBytes: 1 << 20 });
  const flushes0 = db.info().flushes;
  let i = 0;
  for (; i < SETTLE_MAX_COMMITS; i++) {
    const inf = db.info();
    if (i > 0 && inf.flushes > flushes0 && inf.immutableMemtableEntries === 0 && inf.tablesPerLevel[0]! < 12) break;
    db.put(randKey(i % N), VALUE);
  }
  const inf = db.info();
  const bytes = inf.tableBytesPerLevel.reduce((a, b) => a + b, 0);
  db.close();
  return { bytes, note: `settled in ${i} commits: tables per level ${inf.tablesPerLevel.join('/')}, ${inf.compactions} compactions, memtable entries ${inf.memtableEntries}` };
}

await row(`bulk import, sequential keys`, 'rows/s', bulkImport(seqKey, false), { once: true, rounds: BULK_ROUNDS });
await row(`bulk import, random keys`, 'rows/s', bulkImport(randKey, true), { once: true, rounds: BULK_ROUNDS });

const settled = { plain: settle(readDbPath.plain, false), enc: settle(readDbPath.enc, true) };
notes.push(`read database plain: ${settled.plain.note}`, `read database enc: ${settled.enc.note}`);
const tableBytes = { plain: settled.plain.bytes, enc: settled.enc.bytes };
const coldCache = Math.max(64 * 1024, Math.floor(Math.max(tableBytes.plain, tableBytes.enc) / 10));
const warmCache = 2 * Math.max(tableBytes.plain, tableBytes.enc) + (16 << 20);
notes.push(`read database: tables ${mib(tableBytes.plain)} plain, ${mib(tableBytes.enc)} enc; cold block cache ${mib(coldCache)}, warm ${mib(warmCache)}`);

/** Opens a read database; `row` below reports its cache hit rate over the measured run. */
function readDb(encrypted: boolean, cacheBytes: number): Engine {
  return openEngine(readDbPath[encrypted ? 'enc' : 'plain'], { ...optionsFor(encrypted), blockCacheBytes: cacheBytes });
}
function hitRateNote(name: string, encrypted: boolean, db: Engine, before: { hits: number; misses: number }): void {
  const c = db.info().blockCache;
  const hits = c.hits - before.hits;
  const misses = c.misses - before.misses;
  notes.push(`${name} ${encrypted ? 'enc' : 'plain'}: block cache hit rate ${((100 * hits) / Math.max(1, hits + misses)).toFixed(1)}% (${misses} blocks opened), memtable entries ${db.info().memtableEntries}`);
}

function pointGets(name: string, warm: boolean) {
  return (encrypted: boolean) => {
    const db = readDb(encrypted, warm ? warmCache : coldCache);
    if (warm) {
      const it = db.iterator();
      while (it.next());
      it.close();
    }
    const pick = rng(12345);
    const keys = Array.from({ length: 1 << 16 }, () => randKey(pick(N)));
    const before = { ...db.info().blockCache };
    let i = 0;
    return {
      fn: () => {
        db.get(keys[i++ & 0xffff]!);
      },
      ops: 1,
      done: () => {
        hitRateNote(name, encrypted, db, before);
        db.close();
      },
    };
  };
}

/**
 * 10k keys from a random start. A start prefix is drawn from the part of
 * the 32-bit hash space with, on average, at least 2 × SCAN_LEN keys beyond
 * it in the scan direction, so every scan reads SCAN_LEN keys.
 */
function rangeScans(name: string, reverse: boolean) {
  return (encrypted: boolean) => {
    const db = readDb(encrypted, coldCache);
    const pick = rng(777);
    const span = Math.floor(2 ** 32 * (1 - (2 * SCAN_LEN) / N));
    const before = { ...db.info().blockCache };
    return {
      fn: () => {
        const start = new Uint8Array(16);
        new DataView(start.buffer).setUint32(0, reverse ? 2 ** 32 - 1 - pick(span) : pick(span));
        const it = db.iterator(reverse ? { lte: start, reverse: true } : { gte: start });
        let n = 0;
        while (n < SCAN_LEN && it.next()) n += it.value().length > 0 ? 1 : 0;
        it.close();
        if (n !== SCAN_LEN) throw new Error(`scan saw ${n} keys`);
      },
      ops: SCAN_LEN,
      done: () => {
        hitRateNote(name, encrypted, db, before);
        db.close();
      },
    };
  };
}

await row('point get, cold cache (tables 10x cache)', 'gets/s', pointGets('cold get', false));
await row('point get, warm cache', 'gets/s', pointGets('warm get', true));
await row('range scan of 10k keys, forward', 'keys/s', rangeScans('scan fwd', false));
await row('range scan of 10k keys, reverse', 'keys/s', rangeScans('scan rev', true));

rmSync(root, { recursive: true, force: true });

const fmt = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(0));
console.log(`\nengine: node ${process.version}, ${process.platform}, load average ${loadAtStart.toFixed(2)} at start, best of ${ROUNDS} alternating runs`);
console.log('CPU µs/op = user + system CPU time of this process per operation (steadier than wall time on a busy machine).');
console.log('| workload | unencrypted | encrypted | ratio enc/plain | CPU µs/op plain | CPU µs/op enc | CPU ratio plain/enc |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  const ratio = r.enc / r.plain;
  const cpuRatio = r.plainCpu / r.encCpu;
  console.log(
    `| ${r.name} | ${fmt(r.plain)} ${r.unit} | ${fmt(r.enc)} ${r.unit} | ${ratio.toFixed(3)}${ratio < 0.97 ? ' (below 0.97)' : ''} | ${r.plainCpu.toFixed(2)} | ${r.encCpu.toFixed(2)} | ${cpuRatio.toFixed(3)}${cpuRatio < 0.97 ? ' (below 0.97)' : ''} |`,
  );
}
console.log('');
for (const n of notes) console.log(`- ${n}`);
console.log(`- load average ${loadavg()[0]!.toFixed(2)} at end`);
