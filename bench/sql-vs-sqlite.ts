/**
 * HeliosDB (ENCRYPTED, AES-256-GCM, synchronous 'normal') against SQLite
 * (better-sqlite3 12, plain, WAL journal, synchronous NORMAL), same data in
 * one run, printing each row's operations per second and the ratio
 * helios / sqlite (> 1 means HeliosDB is faster). Measures, never asserts.
 *
 *   node scripts/run-ts.mjs bench/sql-vs-sqlite.ts [--rows N] [--quick]
 *
 * Rows:
 *  - seed example 3: tasks ⋈ projects for one customer (index on
 *    projects(customer_id) as in the seed, plus tasks(project_id) so the join
 *    can use an index), 1,000 customers × 5 projects × 10 tasks;
 *  - GROUP BY production_line over N sensor readings (default N = 1,000,000);
 *  - seed example 5: WHERE sensor_id = ? AND timestamp > ? ORDER BY timestamp
 *    DESC LIMIT 1000 over the same N rows with index (sensor_id, timestamp DESC);
 *  - ORDER BY value DESC LIMIT 10 over the same N rows, no index on value
 *    (a sort that keeps only the first rows);
 *  - 100k inserts in one transaction; 10k autocommit inserts;
 *    100k point selects by rowid;
 *  - the sqllogictest runner's records per second on ../shared/conformance/slt.
 * `--quick` uses N = 100,000 and fewer repetitions.
 */
import { Bench } from 'tinybench';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from '../scripts/slt-backend.ts';
import { openHelios } from '../scripts/slt-helios.ts';
import { collectSltFiles, DEFAULT_SLT_DIR, runSltFile } from '../scripts/slt.ts';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const rowsArg = argv.indexOf('--rows');
const N = rowsArg >= 0 ? Number(argv[rowsArg + 1]) : quick ? 100_000 : 1_000_000;
const TIME_MS = quick ? 300 : 1000;

/** The statement API both engines share (better-sqlite3's shape). */
interface Stmt {
  run(...params: unknown[]): unknown;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}
interface Conn {
  exec(sql: string): unknown;
  prepare(sql: string): Stmt;
}

/** Deterministic data: both engines load exactly the same rows. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SENSORS = 100;
const LINES = ['line-A', 'line-B', 'line-C', 'line-D', 'line-E', 'line-F', 'line-G', 'line-H'];
const T0 = 1_700_000_000;

function loadSeedExample3(db: Conn): void {
  db.exec(`CREATE TABLE customers (customer_id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, first_name TEXT NOT NULL, last_name TEXT NOT NULL, country TEXT NOT NULL, consent_given BOOLEAN NOT NULL, created_at INTEGER)`);
  db.exec(`CREATE TABLE projects (project_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, title TEXT NOT NULL, description TEXT, team_members TEXT, created_at INTEGER, FOREIGN KEY (customer_id) REFERENCES customers(customer_id))`);
  db.exec(`CREATE TABLE tasks (task_id TEXT PRIMARY KEY, project_id TEXT NOT NULL, title TEXT NOT NULL, description TEXT, assignee_id TEXT, status TEXT NOT NULL, created_at INTEGER, FOREIGN KEY (project_id) REFERENCES projects(project_id))`);
  db.exec('CREATE INDEX idx_projects_customer ON projects(customer_id)');
  db.exec('CREATE INDEX idx_tasks_project ON tasks(project_id)');
  const c = db.prepare('INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?, ?)');
  const p = db.prepare('INSERT INTO projects VALUES (?, ?, ?, ?, ?, ?)');
  const t = db.prepare('INSERT INTO tasks VALUES (?, ?, ?, ?, ?, ?, ?)');
  db.exec('BEGIN');
  for (let ci = 0; ci < 1000; ci++) {
    const cid = `cust-${ci}`;
    c.run(cid, `user${ci}@example.eu`, 'Anna', `Muster${ci}`, 'DE', 1, T0 + ci);
    for (let pi = 0; pi < 5; pi++) {
      const pid = `${cid}-p${pi}`;
      p.run(pid, cid, `Project ${pi}`, 'A project description of moderate length', '["u1","u2"]', T0 + pi);
      for (let ti = 0; ti < 10; ti++) t.run(`${pid}-t${ti}`, pid, `Task ${ti}`, 'Do the thing', `u${ti % 3}`, ti % 2 ? 'open' : 'done', T0 + ti);
    }
  }
  db.exec('COMMIT');
}

function loadSensorReadings(db: Conn): number {
  db.exec(`CREATE TABLE sensor_readings (reading_id INTEGER PRIMARY KEY AUTOINCREMENT, sensor_id TEXT NOT NULL, sensor_type TEXT NOT NULL, value REAL NOT NULL, unit TEXT NOT NULL, timestamp INTEGER NOT NULL, production_line TEXT NOT NULL)`);
  db.exec('CREATE INDEX idx_sensor_timestamp ON sensor_readings(sensor_id, timestamp DESC)');
  const ins = db.prepare('INSERT INTO sensor_readings (sensor_id, sensor_type, value, unit, timestamp, production_line) VALUES (?, ?, ?, ?, ?, ?)');
  const rnd = prng(42);
  const started = performance.now();
  const CHUNK = 100_000;
  for (let done = 0; done < N; done += CHUNK) {
    db.exec('BEGIN');
    for (let i = done; i < Math.min(N, done + CHUNK); i++) {
      const s = i % SENSORS;
      ins.run(`sensor-${s}`, s % 2 ? 'temperature' : 'pressure', Math.round(rnd() * 100000) / 100 + 0.5, s % 2 ? 'C' : 'bar', T0 + i, LINES[i % LINES.length]);
    }
    db.exec('COMMIT');
  }
  return (N * 1000) / (performance.now() - started);
}

interface Engine {
  readonly name: 'helios' | 'sqlite';
  readonly db: Conn;
  close(): void;
}

function openEngines(): { engines: Engine[]; heliosError: string | null } {
  const dir = mkdtempSync(join(tmpdir(), 'helios-bench-sqlite-'));
  const sq = openSqlite(join(dir, 'bench.sqlite'));
  sq.defaultSafeIntegers(false);
  sq.pragma('journal_mode = WAL');
  sq.pragma('synchronous = NORMAL');
  const engines: Engine[] = [{ name: 'sqlite', db: sq as unknown as Conn, close: () => (sq.close(), rmSync(dir, { recursive: true, force: true })) }];
  try {
    const h = openHelios({ encrypted: true, synchronous: 'normal' });
    engines.unshift({ name: 'helios', db: h.db as unknown as Conn, close: h.cleanup });
    return { engines, heliosError: null };
  } catch (e) {
    return { engines, heliosError: e instanceof Error ? e.message : String(e) };
  }
}

/** Mean milliseconds per call of `fn`, measured by tinybench. */
async function measure(name: string, fn: () => void, opts: { iterations?: number; time?: number; beforeEach?: () => void } = {}): Promise<number> {
  const bench = new Bench({ time: opts.time ?? TIME_MS, iterations: opts.iterations ?? 5, warmup: opts.iterations === undefined, throws: true });
  bench.add(name, fn, opts.beforeEach ? { beforeEach: opts.beforeEach } : {});
  await bench.run();
  const r = bench.tasks[0]!.result as { latency?: { mean: number }; error?: unknown };
  if (r.latency === undefined) throw new Error(`${name}: no result`);
  return r.latency.mean;
}

interface Row {
  readonly row: string;
  readonly unit: string;
  /** Per engine: units per second. */
  readonly rates: Partial<Record<'helios' | 'sqlite', number>>;
  readonly error?: string;
}

async function main(): Promise<void> {
  console.log(`HeliosDB (encrypted, synchronous normal) vs SQLite ${String((openSqlite().prepare('SELECT sqlite_version()').raw(true).get() as unknown[])[0])} (plain, WAL, synchronous NORMAL); N = ${N.toLocaleString('en')} rows${quick ? ' (--quick)' : ''}`);
  const { engines, heliosError } = openEngines();
  if (heliosError !== null) console.log(`helios: not measured (${heliosError})`);
  const rows: Row[] = [];
  const record = (row: string, unit: string, name: Engine['name'], rate: number): void => {
    let r = rows.find((x) => x.row === row);
    if (!r) rows.push((r = { row, unit, rates: {} }));
    r.rates[name] = rate;
  };
  const guarded = async (row: string, unit: string, e: Engine, fn: () => Promise<number>): Promise<void> => {
    try {
      record(row, unit, e.name, await fn());
    } catch (err) {
      console.log(`${e.name} ${row}: failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  };

  for (const e of engines) {
    const db = e.db;
    await guarded('load seed example 3 (5,000 projects, 50,000 tasks)', 'rows/s', e, async () => {
      const t = performance.now();
      loadSeedExample3(db);
      return (56_000 * 1000) / (performance.now() - t);
    });
    await guarded('tasks ⋈ projects for one customer (seed ex. 3)', 'queries/s', e, async () => {
      const q = db.prepare('SELECT t.task_id, t.title, t.description, t.status, t.created_at FROM tasks t JOIN projects p ON t.project_id = p.project_id WHERE p.customer_id = ?');
      let k = 0;
      if (q.all('cust-7').length !== 50) throw new Error('join returned the wrong number of rows');
      const ms = await measure('join', () => {
        for (let i = 0; i < 100; i++) q.all(`cust-${(k = (k + 7919) % 1000)}`);
      });
      return (100 * 1000) / ms;
    });
    await guarded(`load ${N.toLocaleString('en')} sensor readings (100k per transaction)`, 'rows/s', e, async () => loadSensorReadings(db));
    await guarded(`GROUP BY production_line over ${N.toLocaleString('en')} rows`, 'queries/s', e, async () => {
      const q = db.prepare('SELECT production_line, count(*), avg(value), max(value) FROM sensor_readings GROUP BY production_line');
      const ms = await measure('group by', () => void q.all(), { iterations: quick ? 3 : 5, time: 0 });
      return 1000 / ms;
    });
    await guarded(`ORDER BY timestamp DESC LIMIT 1000, indexed (seed ex. 5), ${N.toLocaleString('en')} rows`, 'queries/s', e, async () => {
      const q = db.prepare('SELECT sensor_id, sensor_type, value, unit, timestamp, production_line FROM sensor_readings WHERE sensor_id = ? AND timestamp > ? ORDER BY timestamp DESC LIMIT 1000');
      let k = 0;
      const ms = await measure('order by limit', () => {
        const r = q.all(`sensor-${(k = (k + 37) % SENSORS)}`, T0 - 1);
        if (r.length !== Math.min(1000, Math.floor(N / SENSORS))) throw new Error(`ORDER BY LIMIT returned ${r.length} rows`);
      });
      return 1000 / ms;
    });
    await guarded(`ORDER BY value DESC LIMIT 10, not indexed, ${N.toLocaleString('en')} rows`, 'queries/s', e, async () => {
      const q = db.prepare('SELECT reading_id, sensor_id, value, timestamp FROM sensor_readings ORDER BY value DESC LIMIT 10');
      const ms = await measure('order by limit, no index', () => {
        if (q.all().length !== Math.min(10, N)) throw new Error('ORDER BY value LIMIT 10 returned the wrong number of rows');
      }, { iterations: quick ? 3 : 5, time: 0 });
      return 1000 / ms;
    });
    db.exec('CREATE TABLE patients (id INTEGER PRIMARY KEY, mrn TEXT NOT NULL UNIQUE, name TEXT NOT NULL, dob TEXT, notes TEXT)');
    let next = 0;
    const insert = db.prepare('INSERT INTO patients (mrn, name, dob, notes) VALUES (?, ?, ?, ?)');
    const ins = (): void => {
      next++;
      insert.run(`MRN-${next}`, `Patient ${next}`, '1980-01-01', 'Allergies: none. Notes of typical clinic length.');
    };
    await guarded('100k inserts in one transaction', 'rows/s', e, async () => {
      const ms = await measure('bulk insert', () => {
        db.exec('BEGIN');
        for (let i = 0; i < 100_000; i++) ins();
        db.exec('COMMIT');
      }, { iterations: quick ? 1 : 3, time: 0 });
      return (100_000 * 1000) / ms;
    });
    await guarded('10k autocommit inserts (synchronous normal)', 'rows/s', e, async () => {
      const ms = await measure('autocommit insert', () => {
        for (let i = 0; i < 10_000; i++) ins();
      }, { iterations: quick ? 1 : 3, time: 0 });
      return (10_000 * 1000) / ms;
    });
    await guarded('100k point selects by rowid', 'rows/s', e, async () => {
      const q = db.prepare('SELECT * FROM patients WHERE id = ?');
      const max = next;
      let k = 0;
      const ms = await measure('point select', () => {
        for (let i = 0; i < 100_000; i++) {
          k = (k + 104729) % max;
          if (q.get(k + 1) === undefined) throw new Error('point select missed');
        }
      }, { iterations: quick ? 1 : 3, time: 0 });
      return (100_000 * 1000) / ms;
    });
    e.close();
  }

  // The sqllogictest runner itself, on each engine.
  for (const name of ['helios', 'sqlite'] as const) {
    if (name === 'helios' && heliosError !== null) continue;
    const files = collectSltFiles(DEFAULT_SLT_DIR);
    let records = 0;
    let ms = 0;
    let failed = 0;
    for (const f of files) {
      const r = runSltFile(f, name, { encrypted: true });
      records += r.passed + r.failed;
      failed += r.failed;
      ms += r.ms;
    }
    record(`sqllogictest runner on ../shared/conformance/slt${failed ? ` (${failed} records failed)` : ''}`, 'records/s', name, (records * 1000) / ms);
  }

  const fmt = (x: number | undefined): string => (x === undefined ? '—' : x >= 100 ? Math.round(x).toLocaleString('en') : x.toFixed(1));
  const w = Math.max(...rows.map((r) => r.row.length));
  console.log(`\n${'row'.padEnd(w)}  ${'unit'.padEnd(10)} ${'helios'.padStart(12)} ${'sqlite'.padStart(12)}  helios/sqlite`);
  for (const r of rows) {
    const ratio = r.rates.helios !== undefined && r.rates.sqlite !== undefined ? (r.rates.helios / r.rates.sqlite).toFixed(2) : '—';
    console.log(`${r.row.padEnd(w)}  ${r.unit.padEnd(10)} ${fmt(r.rates.helios).padStart(12)} ${fmt(r.rates.sqlite).padStart(12)}  ${ratio.padStart(6)}`);
  }
}

await main();
