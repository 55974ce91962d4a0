/**
 * sqllogictest runner.
 *
 *   npm run slt -- [paths...] [--engine helios|sqlite] [--plain] [--memory]
 *                  [--show N] [--categories] [--quiet]
 *
 * Runs every script given (a `.test` / `.slt` file, or a folder searched
 * recursively; default ../shared/conformance/slt), each on a fresh database:
 * for helios an ENCRYPTED database in a temporary directory with a random
 * raw key (`--plain`: unencrypted, `--memory`: ':memory:'), for sqlite an
 * in-memory better-sqlite3 database. Records are matched as engine
 * `sqlite` by skipif/onlyif, since our dialect is SQLite's.
 *
 * Prints per-file pass counts, up to N failures per file (default 5) with
 * the SQL and expected/actual results, throughput in records per second,
 * with --categories a ranked list of failure reasons, and ends with
 * "N passed, N failed". Exits 1 when any record failed.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { createSqliteBackend, type SltBackend } from './slt-backend.ts';
import { createHeliosBackend, type HeliosBackendOptions } from './slt-helios.ts';
import { runSltScript, type SltFailure, type SltFileReport } from './slt-run.ts';

export const DEFAULT_SLT_DIR = '../shared/conformance/slt';

/** Every sqllogictest script under `path` (itself when it is a file), sorted. */
export function collectSltFiles(path: string): string[] {
  const st = statSync(path);
  if (!st.isDirectory()) return [path];
  const out: string[] = [];
  for (const name of readdirSync(path).sort()) {
    if (name.startsWith('.')) continue;
    const p = join(path, name);
    if (statSync(p).isDirectory()) out.push(...collectSltFiles(p));
    else if (name.endsWith('.test') || name.endsWith('.slt')) out.push(p);
  }
  return out;
}

export type EngineName = 'helios' | 'sqlite';

export function createBackend(engine: EngineName, helios: HeliosBackendOptions = {}): SltBackend {
  return engine === 'sqlite' ? createSqliteBackend() : createHeliosBackend(helios);
}

/** Runs one file on a fresh backend; a backend that cannot even open counts as one failed record. */
export function runSltFile(path: string, engine: EngineName, helios: HeliosBackendOptions = {}): SltFileReport {
  const text = readFileSync(path, 'utf8');
  let backend: SltBackend;
  try {
    backend = createBackend(engine, helios);
  } catch (e) {
    const reason = `cannot open the ${engine} database: ${e instanceof Error ? e.message : String(e)}`;
    return { file: path, passed: 0, failed: 1, skipped: 0, halted: false, ms: 0, failures: [{ line: 0, header: '', sql: '', reason, expected: [], actual: [], errorCode: null, crash: true }] };
  }
  try {
    return runSltScript(path, text, backend);
  } finally {
    backend.close();
  }
}

/** One failure as shown to a person: location, SQL, reason, expected and actual. */
export function formatFailure(file: string, f: SltFailure): string {
  const lines = [`FAIL ${file}:${f.line}  ${f.header}`];
  for (const l of f.sql.split('\n')) lines.push(`    ${l}`);
  lines.push(`  ${f.reason}`);
  if (f.expected.length > 0 || f.actual.length > 0) {
    const show = (v: readonly string[]): string => (v.length > 12 ? [...v.slice(0, 12), `... (${v.length} values)`] : v).join(' | ');
    lines.push(`  expected: ${show(f.expected)}`);
    lines.push(`  actual:   ${show(f.actual)}`);
  }
  return lines.join('\n');
}

/**
 * A failure's category for ranking: the error with literals, names and
 * numbers masked, or the kind of mismatch.
 */
export function failureCategory(f: SltFailure): string {
  if (f.reason.startsWith('result differs')) return 'wrong result';
  if (f.reason.startsWith('query returned')) return 'wrong column count';
  return f.reason
    .replace(/'[^']*'/g, "'…'")
    .replace(/"[^"]*"/g, '"…"')
    .replace(/\b\d+\b/g, 'N')
    .slice(0, 160);
}

interface CliOptions {
  paths: string[];
  engine: EngineName;
  helios: HeliosBackendOptions;
  show: number;
  categories: boolean;
  quiet: boolean;
}

function parseArgs(argv: readonly string[]): CliOptions {
  const o: CliOptions = { paths: [], engine: 'helios', helios: {}, show: 5, categories: false, quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--engine') {
      const e = argv[++i];
      if (e !== 'helios' && e !== 'sqlite') throw new Error(`--engine must be helios or sqlite, got ${e ?? 'nothing'}`);
      o.engine = e;
    } else if (a === '--plain') o.helios = { ...o.helios, encrypted: false };
    else if (a === '--memory') o.helios = { ...o.helios, memory: true };
    else if (a === '--show') o.show = Number(argv[++i]);
    else if (a === '--categories') o.categories = true;
    else if (a === '--quiet') o.quiet = true;
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else o.paths.push(a);
  }
  if (o.paths.length === 0) o.paths.push(DEFAULT_SLT_DIR);
  return o;
}

function main(argv: readonly string[]): number {
  let o: CliOptions;
  try {
    o = parseArgs(argv);
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  const files = o.paths.flatMap((p) => collectSltFiles(resolve(p)));
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  let ms = 0;
  const categories = new Map<string, { count: number; example: string }>();
  for (const file of files) {
    const name = relative(process.cwd(), file);
    const r = runSltFile(file, o.engine, o.helios);
    passed += r.passed;
    failed += r.failed;
    skipped += r.skipped;
    ms += r.ms;
    const total = r.passed + r.failed;
    const pct = total === 0 ? 100 : (100 * r.passed) / total;
    const rate = r.ms > 0 ? Math.round((total * 1000) / r.ms) : 0;
    console.log(`${r.failed === 0 ? 'ok  ' : 'FAIL'} ${name}: ${r.passed}/${total} passed (${pct.toFixed(1)}%), ${r.skipped} skipped${r.halted ? ', halted' : ''}, ${(r.ms / 1000).toFixed(2)}s, ${rate} records/s`);
    if (!o.quiet) for (const f of r.failures.slice(0, o.show)) console.log(formatFailure(name, f));
    if (!o.quiet && r.failures.length > o.show) console.log(`  ... and ${r.failures.length - o.show} more failures in ${name}`);
    for (const f of r.failures) {
      const c = failureCategory(f);
      const entry = categories.get(c);
      if (entry) entry.count++;
      else categories.set(c, { count: 1, example: `${name}:${f.line}  ${f.sql.replace(/\s+/g, ' ').slice(0, 200)}` });
    }
  }
  if (o.categories && categories.size > 0) {
    console.log('\nfailure categories (most common first):');
    for (const [c, { count, example }] of [...categories].sort((a, b) => b[1].count - a[1].count)) {
      console.log(`  ${String(count).padStart(6)}  ${c}\n          e.g. ${example}`);
    }
  }
  const rate = ms > 0 ? Math.round(((passed + failed) * 1000) / ms) : 0;
  console.log(`\nengine ${o.engine}${o.engine === 'helios' ? (o.helios.memory ? ' (:memory:)' : o.helios.encrypted === false ? ' (unencrypted)' : ' (encrypted)') : ''}: ${files.length} file(s), ${skipped} skipped, ${(ms / 1000).toFixed(2)}s, ${rate} records/s`);
  console.log(`${passed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

const isMain = process.argv[1] !== undefined && /slt\.(ts|mjs|js)$/.test(process.argv[1]);
if (isMain) process.exitCode = main(process.argv.slice(2));
