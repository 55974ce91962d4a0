/**
 * bench/sql: the seed-like `patients` workload (issue 5 "Measure"), encrypted
 * (AES-256-GCM, raw key) vs unencrypted ('none' suite) on identical code, one
 * run, with the ratio encrypted/unencrypted per row (goal >= 0.97).
 *
 *   npm run bench -- sql            (HELIOS_BENCH_SCALE=0.1 for a quick run)
 *
 * Rows: 100k inserts in one transaction; 10k autocommit inserts with
 * synchronous NORMAL and (fewer) with FULL; 100k point selects by rowid and by
 * the UNIQUE mrn; a filtered full scan. Rounds alternate (best of
 * HELIOS_BENCH_ROUNDS, default 2). Measures, never asserts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Database } from '../index.ts';

const scale = Number(process.env.HELIOS_BENCH_SCALE ?? '1');
const N_BULK = Math.round(100_000 * scale);
const N_AUTO = Math.round(10_000 * scale);
const N_AUTO_FULL = Math.round(1_000 * scale);
const N_POINT = Math.round(100_000 * scale);
const SCANS = 5;

const SCHEMA = `CREATE TABLE patients (
  patient_id INTEGER PRIMARY KEY AUTOINCREMENT,
  mrn TEXT NOT NULL UNIQUE,
  first_name TEXT NOT NULL,
  last_name TEXT NOT NULL,
  date_of_birth DATE NOT NULL,
  email TEXT,
  phone TEXT,
  created_at INTEGER DEFAULT (strftime('%s', 'now')))`;
const INSERT = 'INSERT INTO patients (mrn, first_name, last_name, date_of_birth, email, phone) VALUES (?, ?, ?, ?, ?, ?)';
const LAST = ['Doe', 'Smith', 'Garcia', 'Nguyen', 'Okafor', 'Kowalski', 'Haddad', 'Tanaka'];

function row(i: number): unknown[] {
  return [`MRN${String(i).padStart(9, '0')}`, `First${i % 997}`, LAST[i % LAST.length], `19${String(50 + (i % 50))}-0${1 + (i % 9)}-1${i % 10}`, `patient${i}@example.com`, `555-${String(i % 10000).padStart(4, '0')}`];
}

type Result = Record<string, number>;

function open(dir: string, encrypted: boolean, sync: 'normal' | 'full'): Database {
  return new Database(join(dir, 'bench.db'), encrypted ? { key: { raw: new Uint8Array(32).fill(9) }, synchronous: sync } : { encryption: false, synchronous: sync });
}

function time(fn: () => void): number {
  const t = performance.now();
  fn();
  return (performance.now() - t) / 1000;
}

function runAll(encrypted: boolean): Result {
  const r: Result = {};
  const dir = mkdtempSync(join(tmpdir(), 'helios-bench-sql-'));
  try {
    let db = open(dir, encrypted, 'normal');
    db.exec(SCHEMA);
    const ins = db.prepare(INSERT);
    r['bulk insert, 1 txn (rows/s)'] = N_BULK / time(() => db.transaction(() => {
      for (let i = 0; i < N_BULK; i++) ins.run(...row(i));
    })());
    r['autocommit insert, sync NORMAL (rows/s)'] = N_AUTO / time(() => {
      for (let i = 0; i < N_AUTO; i++) ins.run(...row(N_BULK + i));
    });
    db.close();
    db = open(dir, encrypted, 'full');
    const insFull = db.prepare(INSERT);
    r['autocommit insert, sync FULL (rows/s)'] = N_AUTO_FULL / time(() => {
      for (let i = 0; i < N_AUTO_FULL; i++) insFull.run(...row(N_BULK + N_AUTO + i));
    });
    db.close();
    db = open(dir, encrypted, 'normal');
    const total = N_BULK + N_AUTO + N_AUTO_FULL;
    const byId = db.prepare('SELECT * FROM patients WHERE patient_id = ?');
    let seed = 12345;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) % total;
    r['point select by rowid (rows/s)'] = N_POINT / time(() => {
      for (let i = 0; i < N_POINT; i++) byId.get(rnd() + 1);
    });
    const byMrn = db.prepare('SELECT * FROM patients WHERE mrn = ?');
    r['point select by unique mrn (rows/s)'] = N_POINT / time(() => {
      for (let i = 0; i < N_POINT; i++) byMrn.get(row(rnd())[0]);
    });
    const scan = db.prepare("SELECT count(*) FROM patients WHERE last_name = 'Nguyen' AND date_of_birth >= '1970'");
    r['filtered full scan (rows scanned/s)'] = (SCANS * total) / time(() => {
      for (let i = 0; i < SCANS; i++) scan.get();
    });
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return r;
}

// Alternate plain and encrypted rounds and keep each row's best, so a noisy machine skews both alike.
const ROUNDS = Number(process.env.HELIOS_BENCH_ROUNDS ?? '2');
const plain: Result = {};
const enc: Result = {};
const keepBest = (into: Result, r: Result): void => {
  for (const [k, v] of Object.entries(r)) into[k] = Math.max(into[k] ?? 0, v);
};
for (let i = 0; i < ROUNDS; i++) {
  keepBest(plain, runAll(false));
  keepBest(enc, runAll(true));
}
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
console.log(`bench/sql: patients workload (${N_BULK} bulk, ${N_AUTO} autocommit NORMAL, ${N_AUTO_FULL} autocommit FULL, ${N_POINT} point selects), Node ${process.version}`);
console.log(`${'workload'.padEnd(42)} ${'unencrypted'.padStart(12)} ${'encrypted'.padStart(12)} ${'ratio'.padStart(7)}`);
for (const k of Object.keys(plain)) {
  console.log(`${k.padEnd(42)} ${fmt(plain[k]!).padStart(12)} ${fmt(enc[k]!).padStart(12)} ${(enc[k]! / plain[k]!).toFixed(3).padStart(7)}`);
}
