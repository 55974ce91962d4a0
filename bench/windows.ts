/**
 * bench/windows: window functions over 1M rows from generate_series, pulled
 * through iterate(): a running sum and a 10-row sliding sum (frames SQLite
 * streams: no PARTITION BY/ORDER BY to sort, the frame ends at CURRENT ROW),
 * and the same running sum with ORDER BY (which must buffer its rows to sort
 * them), for comparison. Per query: the process CPU time of a full pass
 * (tinybench, best of 3: the machine is shared, so wall time is noise) and the peak JavaScript heap above the start while the rows are
 * pulled (after a full GC, sampled every 10,000 rows).
 *
 *   npm run bench -- windows        (HELIOS_BENCH_SCALE=0.1 for a quick run)
 *
 * Measures, never asserts.
 */
import { Bench } from 'tinybench';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Database } from '../index.ts';

const scale = Number(process.env.HELIOS_BENCH_SCALE ?? '1');
const N = Math.round(1_000_000 * scale);
const QUERIES: readonly [string, string][] = [
  ['running sum, ROWS UNBOUNDED PRECEDING', `SELECT value, sum(value) OVER (ROWS UNBOUNDED PRECEDING) FROM generate_series(1, ${N})`],
  ['sliding sum, ROWS 9 PRECEDING', `SELECT value, sum(value) OVER (ROWS 9 PRECEDING) FROM generate_series(1, ${N})`],
  ['running sum, ORDER BY value (sorts)', `SELECT value, sum(value) OVER (ORDER BY value) FROM generate_series(1, ${N})`],
];

const db = new Database(':memory:');
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Pulls every row; returns the peak heap bytes above the heap at the start. */
function pass(sql: string, sample: boolean): number {
  if (sample) gc();
  const start = process.memoryUsage().heapUsed;
  let peak = 0;
  let i = 0;
  for (const _ of db.prepare(sql).raw().iterate()) {
    if (sample && ++i % 10_000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed - start);
  }
  return peak;
}

/** Milliseconds of process CPU time (user + system), for tinybench's `now`. */
const cpuNow = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const rows: { query: string; cpuMs: number; peakMiB: number }[] = [];
for (const [name, sql] of QUERIES) {
  const peak = pass(sql, true);
  const bench = new Bench({ iterations: 3, time: 0, warmup: false, now: cpuNow });
  bench.add(name, () => void pass(sql, false));
  await bench.run();
  const r = bench.tasks[0]!.result as { latency?: { min: number } };
  if (r.latency === undefined) throw new Error(`${name}: no result`);
  rows.push({ query: name, cpuMs: Math.round(r.latency.min), peakMiB: Math.round((peak / 1048576) * 10) / 10 });
}
db.close();
console.log(`${N} rows, node ${process.version}`);
console.table(rows);
