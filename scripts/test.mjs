#!/usr/bin/env node
// Test runner: type check, bundle every *.test.ts with esbuild, run each
// bundle with uvu under Node, Bun and Deno (unit tests) or Node only
// (fuzz/, spec/, scripts/), and print one summary line "N passed, N failed".
//
//   node scripts/test.mjs [filter...] [--runtime node|bun|deno] [--no-typecheck]
//                         [--fuzz-only] [--long] [--seed N] [--runs N] [--minutes N]
//
// Fuzz budgets reach the campaigns through HELIOS_FUZZ_* environment
// variables (see fuzz/budget.ts).
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync, rmSync, mkdirSync } from 'node:fs';
import { join, relative, dirname } from 'node:path';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);

const args = process.argv.slice(2);
const opt = { filters: [], runtimes: null, typecheck: true, fuzzOnly: false, long: false };
const env = { ...process.env };
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  const next = () => {
    const v = args[++i];
    if (v === undefined) { console.error(`missing value after ${a}`); process.exit(2); }
    return v;
  };
  if (a === '--runtime') (opt.runtimes ??= []).push(next());
  else if (a === '--no-typecheck') opt.typecheck = false;
  else if (a === '--fuzz-only') opt.fuzzOnly = true;
  else if (a === '--long') { opt.long = true; env.HELIOS_FUZZ_LONG = '1'; }
  else if (a === '--seed') env.HELIOS_FUZZ_SEED = next();
  else if (a === '--runs') env.HELIOS_FUZZ_RUNS = next();
  else if (a === '--minutes') env.HELIOS_FUZZ_MINUTES = next();
  else if (a.startsWith('--')) { console.error(`unknown option ${a}`); process.exit(2); }
  else opt.filters.push(a);
}

const UNIT_DIRS = ['format', 'crypto', 'engine', 'sql'];
const NODE_ONLY_DIRS = ['fuzz', 'spec', 'scripts', 'bench'];

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const files = [];
for (const d of [...UNIT_DIRS, ...NODE_ONLY_DIRS]) {
  try { walk(join(root, d), files); } catch { /* folder may not exist yet */ }
}
let selected = files.map((f) => relative(root, f)).sort();
if (opt.fuzzOnly) selected = selected.filter((f) => f.startsWith('fuzz/'));
if (opt.filters.length > 0) selected = selected.filter((f) => opt.filters.some((p) => f.includes(p)));

let passed = 0;
let failed = 0;
const failures = [];

if (opt.typecheck && !opt.fuzzOnly) {
  process.stdout.write('typecheck: tsc --noEmit ... ');
  const r = spawnSync(bin('tsc'), ['--noEmit', '-p', root], { encoding: 'utf8' });
  if (r.status === 0) { console.log('ok'); passed++; }
  else { console.log('FAILED'); console.log(r.stdout, r.stderr); failed++; failures.push('typecheck'); }
}

// A folder per run, so concurrent runs never delete each other's bundles.
const outdir = join(root, '.build', `test-${process.pid}`);
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
if (selected.length > 0) {
  await build({
    entryPoints: selected.map((f) => join(root, f)),
    outdir,
    outbase: root,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'es2022',
    sourcemap: 'inline',
    logLevel: 'error',
    outExtension: { '.js': '.mjs' },
    // Client libraries run as installed, the way a user's program loads them
    // (knex also names optional drivers that are not installed).
    external: ['knex', 'kysely', 'kysely/*', 'drizzle-orm', 'drizzle-orm/*'],
    banner: { js: "import { createRequire as __helios_cr } from 'node:module'; const require = __helios_cr(import.meta.url);" },
  });
}

const runtimeCmd = {
  node: (f) => [process.execPath, ['--enable-source-maps', f]],
  bun: (f) => [bin('bun'), [f]],
  deno: (f) => [bin('deno'), ['run', '-A', '--no-config', '--no-lock', '--quiet', f]],
};

const jobs = [];
for (const f of selected) {
  const isUnit = UNIT_DIRS.some((d) => f.startsWith(d + '/'));
  const rts = isUnit ? ['node', 'bun', 'deno'] : ['node'];
  for (const rt of rts) {
    if (opt.runtimes && !opt.runtimes.includes(rt)) continue;
    jobs.push({ file: f, rt, bundle: join(outdir, f.replace(/\.ts$/, '.mjs')) });
  }
}
// Heavy suites first so the tail of the run stays short.
jobs.sort((a, b) => Number(b.file.startsWith('fuzz/')) - Number(a.file.startsWith('fuzz/')));

const parse = (text, label) => {
  const m = text.match(new RegExp(`${label}:\\s+(\\d+)`));
  return m ? Number(m[1]) : null;
};

function runJob(job) {
  return new Promise((resolve) => {
    const [cmd, argv] = runtimeCmd[job.rt](job.bundle);
    const started = Date.now();
    const child = spawn(cmd, argv, { cwd: root, env: { ...env, HELIOS_RUNTIME: job.rt, NO_COLOR: '1', FORCE_COLOR: '0' } });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('close', (code, signal) => {
      const total = parse(out, 'Total');
      const ok = parse(out, 'Passed');
      const ms = Date.now() - started;
      let p = ok ?? 0;
      let f = total !== null && ok !== null ? total - ok - (parse(out, 'Skipped') ?? 0) : 0;
      if (code !== 0 && f === 0) f = 1; // crashed or failed outside a test
      if (total === null && code === 0) f = 1; // no uvu summary: the file ran no suite
      passed += p;
      failed += f;
      const tag = f > 0 ? 'FAIL' : 'ok  ';
      console.log(`${tag} ${job.rt.padEnd(4)} ${job.file}  (${p} passed${f ? `, ${f} failed` : ''}, ${(ms / 1000).toFixed(1)}s)`);
      if (f > 0) {
        failures.push(`${job.rt} ${job.file}`);
        console.log(out.split('\n').map((l) => '    | ' + l).join('\n'));
      }
      resolve();
    });
    child.on('error', (e) => { failed++; failures.push(`${job.rt} ${job.file}: ${e.message}`); resolve(); });
  });
}

const concurrency = Math.max(1, Math.min(cpus().length, Number(process.env.HELIOS_TEST_JOBS) || cpus().length));
let next = 0;
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (next < jobs.length) await runJob(jobs[next++]);
}));

rmSync(outdir, { recursive: true, force: true });
if (failures.length > 0) console.log(`\nfailed:\n  ${failures.join('\n  ')}`);
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
