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
async function row(name: string, unit: string, make: (encrypted: boolean) => { fn: () => void; ops: number; done: () => void }): Promise<void> {
  let plain = 0;
  let enc = 0;
  let plainCpu = Infinity;
  let encCpu = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    for (const encrypted of [false, true]) {
      const w = make(encrypted);
      const m = await measure(`${name} ${encrypted ? 'enc' : 'plain'}`, w.ops, w.fn);
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
