/**
 * Cipher-suite throughput: seal and open per backend at 100 B, 4 KiB, 16 KiB
 * and 64 KiB, the node backend's strategy crossover, the 'none' suite for
 * comparison, and Argon2id at its defaults. Measures, never asserts.
 *
 *   node scripts/run-ts.mjs bench/crypto.ts [--quick] [--cpu]
 *
 * --cpu times with the process's CPU time (user + system, all threads)
 * instead of the wall clock: on a shared, overloaded machine that shows what
 * an operation costs rather than how long it waited for a core.
 *
 * Sub-microsecond operations are timed in batches (one tinybench iteration =
 * BATCH calls) and reported per call. Seals use consecutive indices, as the
 * WAL and SSTable writers do; "random index" rows defeat the keystream batch.
 */
import { Bench } from 'tinybench';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { createSealer, type SealerOptions, type SuiteId } from '../crypto/cipher-suite.ts';
import { argon2id, ARGON2ID_DEFAULTS } from '../crypto/argon2id.ts';

const quick = process.argv.includes('--quick');
const cpuClock = process.argv.includes('--cpu');
/** Milliseconds of process CPU time (user + system), for tinybench's `now`. */
const cpuNow = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const loadAtStart = loadavg()[0]!;
const TIME_MS = quick ? 150 : 600;
const AAD_BYTES = 41; // the engine's record AAD (format/record-frame.ts RECORD_AAD_BYTES)
const SIZES = [100, 4096, 16384, 65536];

const key = new Uint8Array(randomBytes(32));
const aad = new Uint8Array(randomBytes(AAD_BYTES));

interface Row {
  name: string;
  bytes: number;
  usPerOp: number;
}
const rows: Row[] = [];

function batchFor(bytes: number): number {
  return Math.max(1, Math.floor(32768 / Math.max(bytes, 128)));
}

async function measure(name: string, bytes: number, batch: number, fn: () => void): Promise<void> {
  const bench = new Bench({ time: TIME_MS, warmup: true, ...(cpuClock ? { now: cpuNow } : {}) });
  bench.add(name, fn);
  await bench.run();
  const task = bench.tasks[0]!;
  const r = task.result as { latency?: { mean: number } };
  if (r.latency === undefined) throw new Error(`${name}: no result (${task.result.state})`);
  rows.push({ name, bytes, usPerOp: (r.latency.mean * 1000) / batch });
}

async function sealOpen(label: string, suite: SuiteId, options: SealerOptions, bytes: number, randomIndex = false): Promise<void> {
  const sealer = createSealer(suite, key, options);
  const batch = batchFor(bytes);
  const pt = new Uint8Array(randomBytes(bytes));
  let next = 0;
  const indexAt = (i: number): number => (randomIndex ? (i * 2654435761) % 1_000_003 : i);
  const sealed: Uint8Array[] = [];
  for (let i = 0; i < batch; i++) sealed.push(sealer.seal(indexAt(i), pt, aad));
  await measure(`${label} seal${randomIndex ? ' (random index)' : ''}`, bytes, batch, () => {
    for (let i = 0; i < batch; i++) sealer.seal(indexAt(next++), pt, aad);
  });
  await measure(`${label} open${randomIndex ? ' (random index)' : ''}`, bytes, batch, () => {
    for (let i = 0; i < batch; i++) {
      if (sealer.open(indexAt(i), sealed[i]!, aad) === null) throw new Error('open failed');
    }
  });
  sealer.destroy();
}

for (const bytes of SIZES) {
  await sealOpen('node ', 'aes-256-gcm', { backend: 'node' }, bytes);
  if (bytes === 100) await sealOpen('node ', 'aes-256-gcm', { backend: 'node' }, bytes, true);
  await sealOpen('noble', 'aes-256-gcm', { backend: 'noble' }, bytes);
  await sealOpen('none ', 'none', {}, bytes);
}

// Crossover of the node backend's two strategies (pick defaultLargeThreshold from this).
const crossover: Array<{ bytes: number; ecb: number; perCall: number }> = [];
for (const bytes of [256, 384, 512, 768, 1024, 1536, 2048, 4096]) {
  const out: number[] = [];
  for (const threshold of [Infinity, 0]) {
    const before = rows.length;
    await sealOpen(threshold === 0 ? 'gcm-object' : 'ecb+ghash', 'aes-256-gcm', { backend: 'node', nodeLargeThreshold: threshold }, bytes);
    const [s, o] = rows.splice(before, 2);
    out.push((s!.usPerOp + o!.usPerOp) / 2);
  }
  crossover.push({ bytes, ecb: out[0]!, perCall: out[1]! });
}

const fmtRate = (bytes: number, us: number): string => {
  const bps = bytes / (us / 1e6);
  return bps >= 1e9 ? `${(bps / 1e9).toFixed(2)} GB/s` : `${(bps / 1e6).toFixed(1)} MB/s`;
};
console.log(`runtime: node ${process.versions.node}; AAD ${AAD_BYTES} B; ${quick ? 'quick' : 'full'} run; clock: ${cpuClock ? 'process CPU time' : 'wall'}`);
console.log(`1-min load average: ${loadAtStart.toFixed(2)} at start, ${loadavg()[0]!.toFixed(2)} now (2 cores: above ~1 the numbers are inflated)`);
console.log('');
console.log('suite/backend, operation          bytes      µs/op     throughput');
for (const r of rows) {
  console.log(`${r.name.padEnd(34)} ${String(r.bytes).padStart(6)} ${r.usPerOp.toFixed(3).padStart(10)} ${fmtRate(r.bytes, r.usPerOp).padStart(14)}`);
}
console.log('');
console.log('node backend crossover (mean of seal and open, µs/op)');
console.log('  bytes  ecb+ghash  gcm-object');
for (const c of crossover) {
  console.log(`  ${String(c.bytes).padStart(5)} ${c.ecb.toFixed(2).padStart(10)} ${c.perCall.toFixed(2).padStart(11)}`);
}

{
  const password = new TextEncoder().encode('correct horse battery staple');
  const salt = new Uint8Array(randomBytes(16));
  const bench = new Bench({ time: 0, iterations: quick ? 1 : 3, warmup: false });
  bench.add('argon2id', () => {
    argon2id(password, salt, ARGON2ID_DEFAULTS);
  });
  await bench.run();
  const r = bench.tasks[0]!.result as { latency?: { mean: number } };
  console.log('');
  console.log(
    `argon2id m=${ARGON2ID_DEFAULTS.memoryKiB} KiB t=${ARGON2ID_DEFAULTS.iterations} p=${ARGON2ID_DEFAULTS.parallelism}: ` +
      (r.latency ? `${r.latency.mean.toFixed(0)} ms` : 'failed'),
  );
}
