#!/usr/bin/env node
// Runs better-sqlite3's own test suite (../shared/conformance/better-sqlite3/test, v12.11.1)
// against HeliosDB-Lite's drop-in (sql/compat.ts, the package's default export):
//
//   node scripts/bs3-suite.mjs [--json] [file-filter...]
//
// The suite does `require('../.')`, so test/ is copied into a scratch folder whose index.js is
// the drop-in, bundled by esbuild from index.ts as one CommonJS module (the package's entry,
// as dist/cjs/index.js is). Each mocha file runs in its own process (a crash hides nothing
// else), two at a time; the summary counts the passing tests of each file. With --json the
// last line of stdout is {"files":{name:{passed,failed,pending,failures:[title...]}}}.
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SUITE = join(root, '..', 'shared', 'conformance', 'better-sqlite3', 'test');

const REPORTER = `'use strict';
const { writeFileSync } = require('fs');
module.exports = function Reporter(runner, options) {
  const r = { passed: 0, failed: 0, pending: 0, failures: [] };
  runner.on('pass', () => r.passed++);
  runner.on('pending', () => r.pending++);
  runner.on('fail', (t, err) => {
    r.failed++;
    let message;
    try { message = String(err && err.message); } catch { message = '(unprintable)'; }
    r.failures.push({ title: t.fullTitle(), message: message.slice(0, 300) });
  });
  runner.once('end', () => writeFileSync(options.reporterOptions.output, JSON.stringify(r)));
};
`;

/** Runs the suite; resolves to { files: { [file]: { passed, failed, pending, failures } } }. */
export async function runSuite(filters = [], { concurrency = 2 } = {}) {
  const work = mkdtempSync(join(tmpdir(), 'helios-bs3-'));
  try {
    await build({
      entryPoints: [join(root, 'index.ts')],
      outfile: join(work, 'lib.js'),
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'es2022',
      logLevel: 'error',
    });
    // mocha's JSON reporter cannot serialise a failure carrying a bigint: a reporter of our own.
    writeFileSync(join(work, 'reporter.js'), REPORTER);
    const files = readdirSync(SUITE)
      .filter((f) => f.endsWith('.js') && f !== '00.setup.js')
      .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
      .sort();
    const results = {};
    const queue = [...files];
    const mocha = join(root, 'node_modules', 'mocha', 'bin', 'mocha.js');
    const one = (file) =>
      new Promise((resolve) => {
        // A folder per file: the suite keeps its databases in test/../temp and wipes it first.
        const dir = join(work, file.replace(/\.js$/, ''));
        mkdirSync(join(dir, 'test'), { recursive: true });
        for (const f of ['00.setup.js', file]) cpSync(join(SUITE, f), join(dir, 'test', f));
        symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
        // The package's CommonJS entry: require('heliosdb-lite') is the drop-in (scripts/build.mjs).
        writeFileSync(join(dir, 'index.js'), "'use strict';\nmodule.exports = require('../lib.js').default;\n");
        const out = join(dir, 'result.json');
        const p = spawn(process.execPath, [mocha, '--exit', '--timeout', '15000', '--reporter', join(work, 'reporter.js'), '--reporter-option', `output=${out}`, 'test/00.setup.js', `test/${file}`], { cwd: dir, stdio: ['ignore', 'ignore', openSync(join(dir, 'stderr.txt'), 'w')] });
        const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
        // 'exit', not 'close': a child the test forks may keep the stdio open after mocha ends.
        p.on('exit', () => {
          clearTimeout(timer);
          let r;
          try {
            const j = JSON.parse(readFileSync(out, 'utf8'));
            r = j;
          } catch {
            r = { passed: 0, failed: 1, pending: 0, failures: [{ title: '(file did not run)', message: readFileSync(join(dir, 'stderr.txt'), 'utf8').slice(0, 2000) }] };
          }
          results[file] = r;
          resolve();
        });
      });
    const workers = Array.from({ length: concurrency }, async () => {
      for (let f = queue.shift(); f !== undefined; f = queue.shift()) await one(f);
    });
    await Promise.all(workers);
    return { files: Object.fromEntries(Object.keys(results).sort().map((k) => [k, results[k]])) };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const verbose = args.includes('-v');
  if (!existsSync(SUITE)) {
    console.log(`skipped: ${SUITE} is absent`);
    process.exit(0);
  }
  const r = await runSuite(args.filter((a) => !a.startsWith('-')));
  let pass = 0;
  let total = 0;
  for (const [f, x] of Object.entries(r.files)) {
    pass += x.passed;
    total += x.passed + x.failed;
    console.log(`${f.padEnd(34)} ${x.passed}/${x.passed + x.failed}`);
    if (verbose) for (const t of x.failures) console.log(`    ✗ ${t.title}\n        ${t.message.split('\n')[0]}`);
  }
  console.log(`total ${pass}/${total}`);
  if (json) console.log(JSON.stringify(r));
}
