// The TOML parser stays out of a user's bundle unless the bundle loads configurations: the
// package is built (scripts/build.mjs, into a directory of its own) and an application importing only `Database` is
// bundled with esbuild; smol-toml's code must be absent from it, present in one that imports
// loadConfig, and both bundles must run.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = process.cwd();
const work = mkdtempSync(join(tmpdir(), 'helios-bundle-'));
/** A name only smol-toml's code defines. */
const TOML_MARK = /\bTomlError\b/;

const dist = join(work, 'dist');

function run(args: string[]): string {
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 300_000, env: { ...process.env, HELIOS_DIST: dist } });
  if (r.status !== 0) assert.unreachable(`node ${args.join(' ')} failed: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

function bundle(name: string, source: string): string {
  const entry = join(work, `${name}.mjs`);
  writeFileSync(entry, source.replaceAll('PKG', JSON.stringify(join(dist, 'index.js'))));
  const outfile = join(work, `${name}.cjs`);
  const r = spawnSync(join(root, 'node_modules', '.bin', 'esbuild'), [entry, '--bundle', '--platform=node', '--format=cjs', `--outfile=${outfile}`, '--log-level=error'], { encoding: 'utf8' });
  if (r.status !== 0) assert.unreachable(`esbuild ${entry} failed: ${r.stdout}${r.stderr}`);
  return outfile;
}

test('a bundle of `import { Database }` holds no TOML parser; one that uses loadConfig holds it and loads a file', () => {
  run(['scripts/build.mjs']);
  try {
    const plain = bundle('plain', "import { Database } from PKG;\nconsole.log(JSON.stringify(new Database(':memory:').prepare('SELECT 40 + 2 AS x').get()));\n");
    assert.not.match(readFileSync(plain, 'utf8'), TOML_MARK, 'smol-toml is left out');
    assert.is(run([plain]).trim(), '{"x":42}');
    writeFileSync(join(work, 'h.toml'), '[database]\npath = ":memory:"\n[encryption]\nenabled = false\n');
    const withConfig = bundle('config', `import { loadConfig, openDatabaseFromConfig } from PKG;\nconst db = openDatabaseFromConfig(loadConfig(${JSON.stringify(join(work, 'h.toml'))}));\nconsole.log(JSON.stringify(db.prepare('SELECT 1 AS one').get()));\n`);
    assert.match(readFileSync(withConfig, 'utf8'), TOML_MARK);
    assert.is(run([withConfig]).trim(), '{"one":1}');
    // CommonJS: the same functions on the class, one copy of everything.
    const cjs = run(['-e', `const D = require(${JSON.stringify(join(dist, 'cjs', 'index.js'))}); console.log(typeof D.loadConfig, typeof D.parseConfig, Object.keys(D).includes('parseConfigWith'))`]);
    assert.is(cjs.trim(), 'function function false');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test.run();
