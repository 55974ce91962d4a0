/**
 * HeliosDB against SQLite, same data and same statements, one run, five
 * engines:
 *
 *  - helios-enc    HeliosDB ENCRYPTED (AES-256-GCM, raw key), synchronous 'normal';
 *  - helios-plain  HeliosDB unencrypted ('none' suite, `encryption: false`), same code;
 *  - sqlite        better-sqlite3 (plain SQLite), WAL journal, synchronous NORMAL;
 *  - sqlcipher     better-sqlite3-multiple-ciphers with the SQLCipher 4 scheme
 *                  (`cipher='sqlcipher'`, `legacy=4`, raw key), WAL, NORMAL;
 *  - sqljs         sql.js (SQLite compiled to WebAssembly), IN MEMORY: it has
 *                  no file system, so it never writes or syncs anything.
 *
 * It prints each row's rate per engine and the ratios HeliosDB encrypted ÷
 * better-sqlite3, encrypted ÷ unencrypted and encrypted ÷ SQLCipher, and
 * writes the same numbers as JSON for scripts/bench-chart.mjs:
 * bench/results/sql-vs-sqlite.json for the default N = 1M,
 * sql-vs-sqlite-100k.json for --quick (N = 100k), `--json PATH` to choose.
 * `npm run bench:sql` runs both and redraws the charts. Measures, never asserts.
 *
 *   node scripts/run-ts.mjs bench/sql-vs-sqlite.ts [--rows N] [--quick]
 *                                                  [--engines a,b] [--json PATH]
 *
 * Each engine runs in its own Node process (started with --expose-gc), one
 * after the other, so one engine's heap and caches never slow another's.
 *
 * Rows, in the order they run on one database per engine:
 *  - seed example 3: load 1,000 customers × 5 projects × 10 tasks, then
 *    tasks ⋈ projects for one customer (index on projects(customer_id) as in
 *    the seed, plus tasks(project_id));
 *  - load N sensor readings (default N = 1,000,000; 100k per transaction)
 *    with the seed's index (sensor_id, timestamp DESC);
 *  - GROUP BY production_line over the N rows;
 *  - seed example 5: WHERE sensor_id = ? AND timestamp > ? ORDER BY
 *    timestamp DESC LIMIT 1000 (indexed);
 *  - ORDER BY value DESC LIMIT 10, no index on value;
 *  - streaming: `iterate()` over all N rows: time to the first row (median
 *    of 3), rows per second of the whole pass, and the peak growth of
 *    `process.memoryUsage().heapUsed` over the pass (after a gc; sampled
 *    every 10,000 rows). heapUsed is the JavaScript heap only: memory that
 *    SQLite holds in C or in WebAssembly is not in it;
 *  - people: 100k inserts in one transaction (×3), 10k autocommit inserts
 *    into a table with no secondary index and 10k into `people`, which has
 *    a UNIQUE text column; 100k point selects by rowid and by the UNIQUE
 *    column; a filtered full scan `count(*) … WHERE last_name = ?` (no index);
 *  - the sqllogictest runner's records per second on ../shared/conformance/slt
 *    (HeliosDB on disk, encrypted or not; better-sqlite3 in memory, the
 *    runner's oracle backend).
 * `--quick` uses N = 100,000 and a shorter time per timed row.
 */
import { Bench } from 'tinybench';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, platform, arch, release, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { openHelios } from '../scripts/slt-helios.ts';
import { collectSltFiles, DEFAULT_SLT_DIR, runSltFile } from '../scripts/slt.ts';

const ENGINE_IDS = ['helios-enc', 'helios-plain', 'sqlite', 'sqlcipher', 'sqljs'] as const;
type EngineId = (typeof ENGINE_IDS)[number];

const argv = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = argv.includes('--quick');
const N = option('--rows') !== undefined ? Number(option('--rows')) : quick ? 100_000 : 1_000_000;
const TIME_MS = quick ? 300 : 1000;

/** The statement API every engine offers here (better-sqlite3's shape). */
interface Stmt {
  run(...params: unknown[]): unknown;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  iterate(...params: unknown[]): IterableIterator<unknown>;
}
interface Conn {
  exec(sql: string): unknown;
  prepare(sql: string): Stmt;
}
interface OpenEngine {
  readonly db: Conn;
  /** What exactly was measured, for the report: package, SQLite version, configuration. */
  readonly description: string;
  close(): void;
}

/** How to read a row: a rate (higher is better), a latency or a memory figure (lower is better). */
type RowKind = 'rate' | 'latency' | 'memory';
interface RowResult {
  readonly id: string;
  readonly label: string;
  readonly unit: string;
  readonly kind: RowKind;
  readonly value?: number;
  readonly error?: string;
}
interface EngineReport {
  readonly engine: EngineId;
  readonly description: string;
  readonly rows: RowResult[];
  readonly error?: string;
}

// --- engines --------------------------------------------------------------

/** A require rooted at this file (bundles live under the repository) or at the working directory. */
function requireFromRepo(name: string): unknown {
  let load = createRequire(import.meta.url);
  try {
    load.resolve(name);
  } catch {
    load = createRequire(join(process.cwd(), 'package.json'));
  }
  return load(name);
}
function packageVersion(name: string): string {
  try {
    const path = name === 'heliosdb-lite' ? 'package.json' : join('node_modules', name, 'package.json');
    return (JSON.parse(readFileSync(join(process.cwd(), path), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

interface BetterLike extends Conn {
  pragma(source: string, options?: { simple?: boolean }): unknown;
  close(): void;
}
type BetterCtor = new (path: string) => BetterLike;

function openTempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'helios-bench-sql-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

function openBetter(Ctor: BetterCtor, configure: (db: BetterLike) => void, label: string): OpenEngine {
  const { dir, remove } = openTempDir();
  const db = new Ctor(join(dir, 'bench.sqlite'));
  configure(db);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const version = db.pragma('sqlite_version', { simple: true }) ?? (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  const journal = String(db.pragma('journal_mode', { simple: true }));
  return { db, description: `${label}, SQLite ${String(version)}, journal_mode ${journal}, synchronous NORMAL`, close: () => (db.close(), remove()) };
}

/** sql.js's Database and Statement, as far as this file uses them (the package ships no types). */
interface SqlJsStatement {
  bind(values?: unknown[]): boolean;
  step(): boolean;
  getAsObject(): Record<string, unknown>;
  reset(): void;
  run(values?: unknown[]): void;
  free(): boolean;
}
interface SqlJsDatabase {
  exec(sql: string): { columns: string[]; values: unknown[][] }[];
  run(sql: string): void;
  prepare(sql: string): SqlJsStatement;
  close(): void;
}
type SqlJsInit = () => Promise<{ Database: new () => SqlJsDatabase }>;

async function openSqlJs(): Promise<OpenEngine> {
  const SQL = await (requireFromRepo('sql.js') as SqlJsInit)();
  const raw = new SQL.Database();
  const stmts: SqlJsStatement[] = [];
  const db: Conn = {
    exec: (sql) => raw.run(sql),
    prepare(sql) {
      const s = raw.prepare(sql);
      stmts.push(s);
      return {
        run: (...p) => s.run(p),
        get(...p) {
          s.bind(p);
          const r = s.step() ? s.getAsObject() : undefined;
          s.reset();
          return r;
        },
        all(...p) {
          s.bind(p);
          const out: unknown[] = [];
          while (s.step()) out.push(s.getAsObject());
          s.reset();
          return out;
        },
        *iterate(...p) {
          s.bind(p);
          try {
            while (s.step()) yield s.getAsObject();
          } finally {
            s.reset();
          }
        },
      };
    },
  };
  const version = String(raw.exec('SELECT sqlite_version()')[0]?.values[0]?.[0]);
  return {
    db,
    description: `sql.js ${packageVersion('sql.js')}, SQLite ${version} in WebAssembly, IN MEMORY (no file, no durability)`,
    close: () => {
      for (const s of stmts) s.free();
      raw.close();
    },
  };
}

async function openEngine(id: EngineId): Promise<OpenEngine> {
  switch (id) {
    case 'helios-enc':
    case 'helios-plain': {
      const encrypted = id === 'helios-enc';
      const h = openHelios({ encrypted, synchronous: 'normal' });
      const info = h.db.storageInfo?.();
      return {
        db: h.db as unknown as Conn,
        description: `HeliosDB-Lite ${packageVersion('heliosdb-lite')} (this tree), ${encrypted ? 'ENCRYPTED (AES-256-GCM, raw key)' : 'unencrypted (none suite)'}, encryptionAlgorithm ${String((info as { encryptionAlgorithm?: string } | undefined)?.encryptionAlgorithm)}, synchronous normal`,
        close: h.cleanup,
      };
    }
    case 'sqlite': {
      const Ctor = requireFromRepo('better-sqlite3') as BetterCtor;
      return openBetter(Ctor, () => {}, `better-sqlite3 ${packageVersion('better-sqlite3')}`);
    }
    case 'sqlcipher': {
      const Ctor = requireFromRepo('better-sqlite3-multiple-ciphers') as BetterCtor;
      const key = Buffer.alloc(32, 9).toString('hex');
      let check = '';
      const e = openBetter(Ctor, (db) => {
        // SQLCipher 4 defaults: 4096-byte pages, AES-256-CBC + HMAC-SHA512 per page, PBKDF2 256,000 (unused with a raw key).
        db.pragma(`cipher = 'sqlcipher'`);
        db.pragma('legacy = 4');
        db.pragma(`key = "x'${key}'"`);
        db.exec('CREATE TABLE IF NOT EXISTS bench_probe (x); DROP TABLE bench_probe');
        check = `cipher ${String(db.pragma('cipher', { simple: true }))}, legacy ${String(db.pragma('legacy', { simple: true }))}`;
      }, `better-sqlite3-multiple-ciphers ${packageVersion('better-sqlite3-multiple-ciphers')} (SQLCipher 4 scheme, raw key)`);
      return { ...e, description: `${e.description}, ${check}` };
    }
    case 'sqljs':
      return openSqlJs();
  }
}

// --- data -----------------------------------------------------------------

/** Deterministic data: every engine loads exactly the same rows. */
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
const LAST_NAMES = ['Doe', 'Smith', 'Garcia', 'Nguyen', 'Okafor', 'Kowalski', 'Haddad', 'Tanaka', 'Muller', 'Rossi'];
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

function loadSensorReadings(db: Conn): void {
  db.exec(`CREATE TABLE sensor_readings (reading_id INTEGER PRIMARY KEY AUTOINCREMENT, sensor_id TEXT NOT NULL, sensor_type TEXT NOT NULL, value REAL NOT NULL, unit TEXT NOT NULL, timestamp INTEGER NOT NULL, production_line TEXT NOT NULL)`);
  db.exec('CREATE INDEX idx_sensor_timestamp ON sensor_readings(sensor_id, timestamp DESC)');
  const ins = db.prepare('INSERT INTO sensor_readings (sensor_id, sensor_type, value, unit, timestamp, production_line) VALUES (?, ?, ?, ?, ?, ?)');
  const rnd = prng(42);
  const CHUNK = 100_000;
  for (let done = 0; done < N; done += CHUNK) {
    db.exec('BEGIN');
    for (let i = done; i < Math.min(N, done + CHUNK); i++) {
      const s = i % SENSORS;
      ins.run(`sensor-${s}`, s % 2 ? 'temperature' : 'pressure', Math.round(rnd() * 100000) / 100 + 0.5, s % 2 ? 'C' : 'bar', T0 + i, LINES[i % LINES.length]);
    }
    db.exec('COMMIT');
  }
}

/** The UNIQUE text column of `people` for person i. */
const emailOf = (i: number): string => `person${i}@example.org`;

// --- measuring ------------------------------------------------------------

/**
 * Mean milliseconds per call of `fn`: with `iterations`, exactly that many
 * calls and no warm-up (rows that grow a table stay the same size on every
 * engine); without, tinybench for TIME_MS after its warm-up.
 */
async function measure(name: string, fn: () => void, opts: { iterations?: number } = {}): Promise<number> {
  if (opts.iterations !== undefined) {
    const t = performance.now();
    for (let i = 0; i < opts.iterations; i++) fn();
    return (performance.now() - t) / opts.iterations;
  }
  const bench = new Bench({ time: TIME_MS, iterations: 5, warmup: true, throws: true });
  bench.add(name, fn);
  await bench.run();
  const r = bench.tasks[0]!.result as { latency?: { mean: number } };
  if (r.latency === undefined) throw new Error(`${name}: no result`);
  return r.latency.mean;
}

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const MiB = 1024 * 1024;

/** Runs every row on one engine; a row that fails is reported and the next one runs. */
async function runEngine(id: EngineId): Promise<EngineReport> {
  let e: OpenEngine;
  try {
    e = await openEngine(id);
  } catch (err) {
    return { engine: id, description: id, rows: [], error: err instanceof Error ? err.message : String(err) };
  }
  const rows: RowResult[] = [];
  const db = e.db;
  const n = N.toLocaleString('en');
  const row = async (id: string, label: string, unit: string, kind: RowKind, fn: () => Promise<number> | number): Promise<void> => {
    gc();
    const started = performance.now();
    try {
      const value = await fn();
      rows.push({ id, label, unit, kind, value });
      console.log(`  ${label}: ${fmt(value)} ${unit}  (${((performance.now() - started) / 1000).toFixed(1)} s)`);
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      rows.push({ id, label, unit, kind, error });
      console.log(`  ${label}: FAILED ${error}`);
    }
  };
  const rate = (count: number, ms: number): number => (count * 1000) / ms;
  const timed = (fn: () => void): number => {
    const t = performance.now();
    fn();
    return performance.now() - t;
  };

  await row('load-seed3', 'load seed example 3 (1,000 customers, 5,000 projects, 50,000 tasks)', 'rows/s', 'rate', () => rate(56_000, timed(() => loadSeedExample3(db))));
  await row('join', 'tasks ⋈ projects for one customer (seed ex. 3)', 'queries/s', 'rate', async () => {
    const q = db.prepare('SELECT t.task_id, t.title, t.description, t.status, t.created_at FROM tasks t JOIN projects p ON t.project_id = p.project_id WHERE p.customer_id = ?');
    if (q.all('cust-7').length !== 50) throw new Error('join returned the wrong number of rows');
    let k = 0;
    return rate(100, await measure('join', () => {
      for (let i = 0; i < 100; i++) q.all(`cust-${(k = (k + 7919) % 1000)}`);
    }));
  });
  await row('load-sensors', `load ${n} sensor readings (100k per transaction, 1 index)`, 'rows/s', 'rate', () => rate(N, timed(() => loadSensorReadings(db))));
  await row('group-by', `GROUP BY production_line over ${n} rows`, 'queries/s', 'rate', async () => {
    const q = db.prepare('SELECT production_line, count(*), avg(value), max(value) FROM sensor_readings GROUP BY production_line');
    return rate(1, await measure('group by', () => void q.all(), { iterations: quick ? 3 : 5 }));
  });
  await row('order-by-indexed', `ORDER BY timestamp DESC LIMIT 1000, indexed (seed ex. 5), ${n} rows`, 'queries/s', 'rate', async () => {
    const q = db.prepare('SELECT sensor_id, sensor_type, value, unit, timestamp, production_line FROM sensor_readings WHERE sensor_id = ? AND timestamp > ? ORDER BY timestamp DESC LIMIT 1000');
    let k = 0;
    return rate(1, await measure('order by limit', () => {
      const r = q.all(`sensor-${(k = (k + 37) % SENSORS)}`, T0 - 1);
      if (r.length !== Math.min(1000, Math.floor(N / SENSORS))) throw new Error(`ORDER BY LIMIT returned ${r.length} rows`);
    }));
  });
  await row('order-by-noindex', `ORDER BY value DESC LIMIT 10, no index, ${n} rows`, 'queries/s', 'rate', async () => {
    const q = db.prepare('SELECT reading_id, sensor_id, value, timestamp FROM sensor_readings ORDER BY value DESC LIMIT 10');
    return rate(1, await measure('order by limit, no index', () => {
      if (q.all().length !== Math.min(10, N)) throw new Error('ORDER BY value LIMIT 10 returned the wrong number of rows');
    }, { iterations: quick ? 3 : 5 }));
  });

  // Streaming: one full pass (first-row time, heap peak, rows/s), then two more first-row times.
  const scan = db.prepare('SELECT * FROM sensor_readings');
  const firstRowMs: number[] = [];
  let passRowsPerS = NaN;
  let heapGrowthBytes = NaN;
  let streamError: string | undefined;
  try {
    gc();
    const base = process.memoryUsage().heapUsed;
    let peak = base;
    let count = 0;
    const t = performance.now();
    for (const r of scan.iterate()) {
      if (count === 0) {
        firstRowMs.push(performance.now() - t);
        peak = Math.max(peak, process.memoryUsage().heapUsed);
        if (r === undefined) throw new Error('iterate() yielded undefined');
      }
      if (++count % 10_000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
    }
    passRowsPerS = rate(count, performance.now() - t);
    heapGrowthBytes = Math.max(0, peak - base);
    if (count !== N) throw new Error(`iterate() yielded ${count} rows, not ${N}`);
    for (let i = 0; i < 2; i++) {
      gc();
      const t1 = performance.now();
      const it = scan.iterate();
      it.next();
      firstRowMs.push(performance.now() - t1);
      it.return?.();
    }
  } catch (err) {
    streamError = err instanceof Error ? err.message : String(err);
  }
  const streamRow = (id: string, label: string, unit: string, kind: RowKind, value: number): Promise<void> =>
    row(id, label, unit, kind, () => {
      if (streamError !== undefined) throw new Error(streamError);
      return value;
    });
  const median = [...firstRowMs].sort((a, b) => a - b)[Math.floor(firstRowMs.length / 2)] ?? NaN;
  await streamRow('iterate-first-row', `iterate() over ${n} rows: time to first row (median of 3)`, 'ms', 'latency', median);
  await streamRow('iterate-all', `iterate() over ${n} rows: whole pass`, 'rows/s', 'rate', passRowsPerS);
  await streamRow('iterate-heap', `iterate() over ${n} rows: peak JS heap growth`, 'MiB', 'memory', heapGrowthBytes / MiB);

  db.exec('CREATE TABLE people (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, first_name TEXT NOT NULL, last_name TEXT NOT NULL, birth_date TEXT, notes TEXT)');
  db.exec('CREATE TABLE events (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, kind TEXT NOT NULL, payload TEXT)');
  let people = 0;
  const insertPerson = db.prepare('INSERT INTO people (email, first_name, last_name, birth_date, notes) VALUES (?, ?, ?, ?, ?)');
  const addPerson = (): void => {
    const i = people++;
    insertPerson.run(emailOf(i), `First${i % 997}`, LAST_NAMES[i % LAST_NAMES.length], `19${50 + (i % 50)}-0${1 + (i % 9)}-1${i % 10}`, 'Allergies: none. Notes of typical clinic length.');
  };
  const BULK_ROUNDS = 3;
  await row('bulk-insert', '100k inserts in one transaction (table with a UNIQUE column)', 'rows/s', 'rate', async () =>
    rate(100_000, await measure('bulk insert', () => {
      db.exec('BEGIN');
      for (let i = 0; i < 100_000; i++) addPerson();
      db.exec('COMMIT');
    }, { iterations: BULK_ROUNDS })));
  let events = 0;
  const insertEvent = db.prepare('INSERT INTO events (at, kind, payload) VALUES (?, ?, ?)');
  await row('autocommit', '10k autocommit inserts, no secondary index', 'rows/s', 'rate', async () =>
    rate(10_000, await measure('autocommit insert', () => {
      for (let i = 0; i < 10_000; i++) insertEvent.run(T0 + events++, 'visit', 'checked in at the front desk');
    }, { iterations: quick ? 1 : 3 })));
  await row('autocommit-unique', '10k autocommit inserts, table with a UNIQUE index', 'rows/s', 'rate', async () =>
    rate(10_000, await measure('autocommit insert, unique', () => {
      for (let i = 0; i < 10_000; i++) addPerson();
    }, { iterations: quick ? 1 : 3 })));
  await row('point-rowid', '100k point selects by rowid', 'rows/s', 'rate', async () => {
    const q = db.prepare('SELECT * FROM people WHERE id = ?');
    let k = 0;
    return rate(100_000, await measure('point select', () => {
      for (let i = 0; i < 100_000; i++) {
        k = (k + 104729) % people;
        if (q.get(k + 1) === undefined) throw new Error('point select by rowid missed');
      }
    }, { iterations: quick ? 1 : 3 }));
  });
  await row('point-unique', '100k point selects by a UNIQUE text column', 'rows/s', 'rate', async () => {
    const q = db.prepare('SELECT * FROM people WHERE email = ?');
    let k = 0;
    return rate(100_000, await measure('point select unique', () => {
      for (let i = 0; i < 100_000; i++) {
        k = (k + 104729) % people;
        if (q.get(emailOf(k)) === undefined) throw new Error('point select by email missed');
      }
    }, { iterations: quick ? 1 : 3 }));
  });
  await row('filtered-scan', `filtered full scan: count(*) WHERE last_name = ? (no index, ${people.toLocaleString('en')} rows)`, 'queries/s', 'rate', async () => {
    const q = db.prepare('SELECT count(*) AS c FROM people WHERE last_name = ?');
    let k = 0;
    return rate(1, await measure('filtered scan', () => {
      const r = q.get(LAST_NAMES[(k = (k + 3) % LAST_NAMES.length)]) as { c: number | bigint };
      if (Number(r.c) !== people / LAST_NAMES.length) throw new Error(`filtered scan counted ${String(r.c)}`);
    }, { iterations: quick ? 3 : 5 }));
  });
  e.close();

  if (id === 'helios-enc' || id === 'helios-plain' || id === 'sqlite') {
    await row('slt', 'sqllogictest runner on ../shared/conformance/slt', 'records/s', 'rate', () => {
      let records = 0;
      let ms = 0;
      let failed = 0;
      for (const f of collectSltFiles(DEFAULT_SLT_DIR)) {
        const r = runSltFile(f, id === 'sqlite' ? 'sqlite' : 'helios', { encrypted: id === 'helios-enc' });
        records += r.passed + r.failed;
        failed += r.failed;
        ms += r.ms;
      }
      if (failed > 0) console.log(`  (sqllogictest: ${failed} records failed)`);
      return rate(records, ms);
    });
  }
  return { engine: id, description: e.description, rows };
}

// --- report ---------------------------------------------------------------

function fmt(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return '—';
  return x >= 100 ? Math.round(x).toLocaleString('en') : x >= 10 ? x.toFixed(1) : x.toPrecision(2);
}

const LABELS: Record<EngineId, string> = {
  'helios-enc': 'helios enc',
  'helios-plain': 'helios plain',
  sqlite: 'sqlite',
  sqlcipher: 'sqlcipher',
  sqljs: 'sql.js mem',
};

interface MergedRow {
  id: string;
  label: string;
  unit: string;
  kind: RowKind;
  values: Partial<Record<EngineId, number>>;
  errors: Partial<Record<EngineId, string>>;
}

function merge(reports: readonly EngineReport[]): MergedRow[] {
  const out: MergedRow[] = [];
  for (const rep of reports) {
    for (const r of rep.rows) {
      let m = out.find((x) => x.id === r.id);
      if (!m) out.push((m = { id: r.id, label: r.label, unit: r.unit, kind: r.kind, values: {}, errors: {} }));
      if (r.value !== undefined && Number.isFinite(r.value)) m.values[rep.engine] = r.value;
      if (r.error !== undefined) m.errors[rep.engine] = r.error;
    }
  }
  return out;
}

/** a ÷ b of the raw values; for a memory row, only when the divisor is at least 1 MiB (below that it is noise). */
function ratio(r: MergedRow, a: EngineId, b: EngineId): string {
  const x = r.values[a];
  const y = r.values[b];
  if (x === undefined || y === undefined || y === 0) return '—';
  if (r.kind === 'memory' && y < 1) return '—';
  return (x / y).toFixed(2);
}

function printTable(rows: readonly MergedRow[], engines: readonly EngineId[]): void {
  const w = Math.max(...rows.map((r) => r.label.length));
  const head = `${'row'.padEnd(w)}  ${'unit'.padEnd(10)}${engines.map((e) => LABELS[e].padStart(13)).join('')}  ${'enc÷sqlite'.padStart(10)} ${'enc÷plain'.padStart(9)} ${'enc÷cipher'.padStart(10)}`;
  console.log(`\n${head}\n${'-'.repeat(head.length)}`);
  for (const r of rows) {
    const unit = r.kind === 'rate' ? r.unit : `${r.unit} (lower)`;
    const cells = engines.map((e) => (r.errors[e] !== undefined ? 'failed' : fmt(r.values[e])).padStart(13)).join('');
    console.log(`${r.label.padEnd(w)}  ${unit.padEnd(10)}${cells}  ${ratio(r, 'helios-enc', 'sqlite').padStart(10)} ${ratio(r, 'helios-enc', 'helios-plain').padStart(9)} ${ratio(r, 'helios-enc', 'sqlcipher').padStart(10)}`);
  }
  console.log('\nRatios are of the raw values: for rates > 1 means HeliosDB encrypted is faster; for rows marked (lower) < 1 is better.');
}

async function child(id: EngineId, out: string): Promise<void> {
  const report = await runEngine(id);
  writeFileSync(out, JSON.stringify(report));
}

function parent(): void {
  const engines = (option('--engines')?.split(',') ?? [...ENGINE_IDS]) as EngineId[];
  for (const e of engines) if (!ENGINE_IDS.includes(e)) throw new Error(`unknown engine ${e} (known: ${ENGINE_IDS.join(', ')})`);
  const jsonPath = option('--json') ?? join(process.cwd(), 'bench', 'results', N === 1_000_000 ? 'sql-vs-sqlite.json' : `sql-vs-sqlite-${N % 1000 === 0 ? `${N / 1000}k` : N}.json`);
  const started = new Date();
  const loadBefore = loadavg();
  console.log(`bench/sql-vs-sqlite: N = ${N.toLocaleString('en')} rows${quick ? ' (--quick)' : ''}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, load average ${loadBefore.map((x) => x.toFixed(2)).join(' ')}`);
  const tmp = mkdtempSync(join(tmpdir(), 'helios-bench-report-'));
  const reports: EngineReport[] = [];
  try {
    for (const id of engines) {
      console.log(`\n${id}:`);
      const out = join(tmp, `${id}.json`);
      const args = ['--expose-gc', '--enable-source-maps', process.argv[1]!, '--engine', id, '--result', out, '--rows', String(N)];
      if (quick) args.push('--quick');
      const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
      try {
        const rep = JSON.parse(readFileSync(out, 'utf8')) as EngineReport;
        reports.push(rep);
        console.log(`  = ${rep.description}${rep.error ? `: NOT MEASURED (${rep.error})` : ''}`);
      } catch {
        reports.push({ engine: id, description: id, rows: [], error: `the child process exited with ${String(r.status ?? r.signal)} before reporting` });
        console.log(`  ${id}: NOT MEASURED (exit ${String(r.status ?? r.signal)})`);
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const rows = merge(reports);
  printTable(rows, engines);
  const result = {
    benchmark: 'bench/sql-vs-sqlite.ts',
    command: `node scripts/run-ts.mjs bench/sql-vs-sqlite.ts ${argv.join(' ')}`.trim(),
    date: started.toISOString(),
    seconds: Math.round((Date.now() - started.getTime()) / 1000),
    rows: N,
    quick,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '?', memoryGiB: Math.round(totalmem() / 2 ** 30), platform: platform(), arch: arch(), kernel: release(), loadAverageBefore: loadBefore, loadAverageAfter: loadavg() },
    node: process.version,
    engines: Object.fromEntries(reports.map((r) => [r.engine, { label: LABELS[r.engine], description: r.description, ...(r.error ? { error: r.error } : {}) }])),
    results: rows.map((r) => ({ id: r.id, label: r.label, unit: r.unit, kind: r.kind, values: r.values, ...(Object.keys(r.errors).length ? { errors: r.errors } : {}) })),
  };
  mkdirSync(dirname(jsonPath), { recursive: true });
  writeFileSync(jsonPath, JSON.stringify(result, null, 2) + '\n');
  console.log(`\nwrote ${jsonPath} (${result.seconds} s); chart: node scripts/bench-chart.mjs ${jsonPath}`);
}

const engineArg = option('--engine');
if (engineArg !== undefined) await child(engineArg as EngineId, option('--result')!);
else parent();
