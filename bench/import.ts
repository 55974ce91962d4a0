/**
 * importSqlite throughput: rows per second from a SQLite file of N = 1M rows
 * (100k with --quick) into a new encrypted HeliosDB database (raw key,
 * AES-256-GCM), and from the same rows in a SQLCipher 4 file (default
 * parameters but for kdf_iter, so the one-off key derivation does not
 * dominate). The sources are made by better-sqlite3 and
 * better-sqlite3-multiple-ciphers (dev-only). One timed run each (tinybench,
 * 1 iteration, after an untimed warm-up import of 20k rows): an import of
 * a million rows is long enough to time alone.
 * Measures, never asserts.
 *
 *   node scripts/run-ts.mjs bench/import.ts [--quick]
 *
 * The table: id INTEGER PRIMARY KEY, name TEXT, email TEXT, score REAL,
 * created INTEGER, note TEXT (NULL in a third of the rows), plus one index
 * on email, about 90 bytes per row.
 */
import { Bench } from 'tinybench';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { importSqlite, type ImportProgress } from '../sql/import/importer.ts';
import { loadSqlite, type SqliteHandle } from '../fuzz/import-fixtures.ts';

const quick = process.argv.includes('--quick');
const N = quick ? 100_000 : 1_000_000;
const dir = mkdtempSync(join(tmpdir(), 'helios-bench-import-'));
const KEY = { raw: new Uint8Array(32).fill(7) };

function fill(db: SqliteHandle, rows: number): void {
  db.exec('CREATE TABLE person(id INTEGER PRIMARY KEY, name TEXT, email TEXT, score REAL, created INTEGER, note TEXT)');
  const ins = db.prepare('INSERT INTO person VALUES (?, ?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (let i = 1; i <= rows; i++) ins.run(i, `Person ${i}`, `person${i}@example.org`, (i % 1000) / 7, 1_700_000_000 + i, i % 3 === 0 ? null : `note ${i % 977}`);
  })();
  db.exec('CREATE INDEX person_email ON person(email)');
}

const Sqlite = loadSqlite('better-sqlite3', 'bench/import');
const Cipher = loadSqlite('better-sqlite3-multiple-ciphers', 'bench/import');
const sources: { name: string; path: string; source?: { passphrase: string; kdfIterations: number } }[] = [];
if (Sqlite) {
  const path = join(dir, 'plain.sqlite');
  const s = new Sqlite(path);
  fill(s, N);
  s.close();
  sources.push({ name: 'SQLite → HeliosDB (AES-256-GCM)', path });
}
if (Cipher) {
  const path = join(dir, 'cipher.sqlite');
  const s = new Cipher(path);
  s.pragma("cipher='sqlcipher'");
  s.pragma('legacy=4');
  s.pragma('kdf_iter=1000');
  s.pragma("key='bench'");
  fill(s, N);
  s.close();
  sources.push({ name: 'SQLCipher 4 → HeliosDB (AES-256-GCM)', path, source: { passphrase: 'bench', kdfIterations: 1000 } });
}

// An untimed warm-up import, so the first timed row does not pay for the JIT.
if (Sqlite) {
  const path = join(dir, 'warm.sqlite');
  const s = new Sqlite(path);
  fill(s, 20_000);
  s.close();
  importSqlite(path, join(dir, 'warm.db'), { key: KEY, synchronous: 'normal' });
  rmSync(join(dir, 'warm.db'), { recursive: true, force: true });
}

/** Per source: time to the end of the rows phase, and of the CREATE INDEX phase. */
const phases = new Map<string, { rowsMs: number; indexMs: number }>();
const bench = new Bench({ iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 });
let k = 0;
for (const src of sources) {
  bench.add(src.name, () => {
    const dest = join(dir, `dest${k++}.db`);
    const t0 = performance.now();
    const onProgress = (p: ImportProgress): void => {
      if (p.phase === 'indexes') phases.set(src.name, { rowsMs: performance.now() - t0, indexMs: 0 });
      if (p.phase === 'views') phases.get(src.name)!.indexMs = performance.now() - t0 - phases.get(src.name)!.rowsMs;
    };
    const r = importSqlite(src.path, dest, src.source ? { key: KEY, synchronous: 'normal', source: src.source, onProgress } : { key: KEY, synchronous: 'normal', onProgress });
    if (r.rows !== N) throw new Error(`imported ${r.rows} rows, expected ${N}`);
    rmSync(dest, { recursive: true, force: true });
  });
}
await bench.run();
console.log(`importSqlite, ${N.toLocaleString('en')} rows (+1 index), Node ${process.version}, load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`);
for (const t of bench.tasks) {
  const r = t.result as { latency?: { mean: number } } | undefined;
  const ms = r?.latency?.mean ?? NaN;
  const src = sources.find((s) => s.name === t.name)!;
  const mb = statSync(src.path).size / 1e6;
  const ph = phases.get(t.name);
  const split = ph ? `; rows ${(ph.rowsMs / 1000).toFixed(1)} s = ${Math.round(N / (ph.rowsMs / 1000)).toLocaleString('en')} rows/s, index ${(ph.indexMs / 1000).toFixed(1)} s` : '';
  console.log(`${t.name.padEnd(40)} ${(ms / 1000).toFixed(1).padStart(7)} s ${Math.round(N / (ms / 1000)).toLocaleString('en').padStart(10)} rows/s  (source ${mb.toFixed(0)} MB${split})`);
}
rmSync(dir, { recursive: true, force: true });
