#!/usr/bin/env node
// Builds dist/index.js (the public API) and dist/shell.js (the shell). index.js is the public API as one self-contained ES module with
// @noble/* bundled in, so the packed tarball needs no runtime install (air-gapped
// machines: `npm install ./heliosdb-lite-X.tgz` works offline). node: built-ins
// stay external; Node, Bun and Deno all provide them.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
rmSync(join(root, 'dist'), { recursive: true, force: true });
await build({
  entryPoints: [join(root, 'index.ts')],
  outfile: join(root, 'dist', 'index.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'es2022',
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'error',
});
// The `heliosdb` shell (package.json "bin"), smol-toml bundled in as well.
await build({
  entryPoints: [join(root, 'scripts', 'shell.ts')],
  outfile: join(root, 'dist', 'shell.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'es2022',
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'error',
  banner: { js: '#!/usr/bin/env node' },
});
console.log('built dist/index.js, dist/shell.js');
