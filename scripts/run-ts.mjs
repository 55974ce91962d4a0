#!/usr/bin/env node
// Runs a TypeScript entry point: bundles it with esbuild (our code and its
// dependencies; node: built-ins stay external) into .build/run/ and executes
// it with the current Node, passing the remaining arguments through.
//
//   node scripts/run-ts.mjs scripts/demo.ts [args...]
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, dirname, basename, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [entry, ...rest] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node scripts/run-ts.mjs <file.ts> [args...]');
  process.exit(2);
}
const outdir = join(root, '.build', 'run');
mkdirSync(outdir, { recursive: true });
const outfile = join(outdir, basename(entry).replace(/\.ts$/, '') + '.mjs');
await build({
  entryPoints: [resolve(entry)],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'es2022',
  sourcemap: 'inline',
  logLevel: 'error',
  external: ['better-sqlite3'],
  banner: { js: "import { createRequire as __helios_cr } from 'node:module'; const require = __helios_cr(import.meta.url);" },
});
const r = spawnSync(process.execPath, ['--enable-source-maps', outfile, ...rest], { stdio: 'inherit' });
process.exit(r.status ?? 1);
