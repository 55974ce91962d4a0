#!/usr/bin/env node
// Builds the package's dist/ (what `npm pack` ships; `prepack` runs this):
//
//   dist/cjs/index.js    the library: index.ts and everything it imports, @noble/* included, as
//                        ONE self-contained CommonJS module. `require('heliosdb-lite')` returns
//                        the default export, the better-sqlite3 drop-in (Sqlite3Database, as
//                        better-sqlite3's require gives its class); every named export of index.ts
//                        is also a property of it (`require('heliosdb-lite').HeliosError`, and
//                        `.Database`, HeliosDB's own class).
//   dist/index.js        the ES module entry: re-exports the same objects from dist/cjs/index.js,
//                        so `import Database from` / `import { Database } from` and `require`
//                        share one copy of the code (one Database class, one lock registry, and
//                        `instanceof` holds across both styles in one process).
//   dist/types/          declarations of index.ts and what it exposes (tsc, tsconfig.build.json);
//   dist/index.d.ts      their ES module entry (named exports plus `export default Database`);
//   dist/cjs/types/      the same declarations under dist/cjs/package.json {"type":"commonjs"},
//   dist/cjs/index.d.ts  so TypeScript reads them as CommonJS, and the entry `export = Database`
//                        with every named export in a namespace merged with the class;
//   dist/shell.js        the `heliosdb` command (package.json "bin"), smol-toml included.
//
// The package has no runtime dependencies: nothing in dist/ imports anything but node:
// built-ins, which Node, Bun and Deno all provide, so `npm install ./heliosdb-lite-X.tgz` and
// `bun add ./heliosdb-lite-X.tgz` work on an air-gapped machine. The build checks that, and
// that the declarations name no package either.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// HELIOS_DIST: build somewhere else (scripts/bundle.test.ts builds into its own directory).
const final = process.env.HELIOS_DIST ?? join(root, 'dist');
// Built beside dist/ and swapped in at the end, so a failed build leaves no half dist/.
const out = join(dirname(final), '.build', `dist-${process.pid}`);
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const fail = (msg) => {
  rmSync(out, { recursive: true, force: true });
  console.error(`build failed: ${msg}`);
  process.exit(1);
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'es2022',
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'error',
  metafile: true,
};

// Self-contained: a bundle may load nothing but node: built-ins at run time.
const checkExternals = (result, what, allowed = []) => {
  const foreign = new Set();
  for (const o of Object.values(result.metafile.outputs)) for (const i of o.imports) if (i.external && !i.path.startsWith('node:') && !allowed.includes(i.path)) foreign.add(i.path);
  if (foreign.size > 0) fail(`${what} loads ${[...foreign].join(', ')} at run time`);
};

// 1. The library as CommonJS modules whose exports object is the Database class: the core
// (dist/cjs/core.js: index.ts without the TOML loader) and the loader (dist/cjs/config.js:
// sql/config-loader.ts with smol-toml, taking everything else from the core), so that a
// bundle of `import { Database } from 'heliosdb-lite'` does not carry the TOML parser; the
// CommonJS entry (dist/cjs/index.js) joins them.
// esbuild turns the core into `module.exports = {getters}`; the footer, run after every module
// has initialised, replaces that object by the class carrying the same properties (the
// loader's helpers not enumerable: they are not part of the API).
const LOADER_EXPORT = /^export \{ loadConfig, parseConfig, openDatabaseFromConfig \} from '\.\/sql\/config-loader\.ts';\n/m;
const CONFIG_NAMES = ['loadConfig', 'openDatabaseFromConfig', 'parseConfig'];
const LOADER_HELPERS = ['loadConfigWith', 'parseConfigWith', 'openDatabaseWithConfig'];
const indexText = readFileSync(join(root, 'index.ts'), 'utf8');
if (!LOADER_EXPORT.test(indexText)) fail('index.ts does not export loadConfig, parseConfig, openDatabaseFromConfig from ./sql/config-loader.ts');
const library = await build({
  ...common,
  stdin: {
    contents: indexText.replace(LOADER_EXPORT, '') + `export { ${LOADER_HELPERS.join(', ')} } from './sql/config.ts';\n`,
    resolveDir: root,
    sourcefile: 'index.ts',
    loader: 'ts',
  },
  outfile: join(out, 'cjs', 'core.js'),
  format: 'cjs',
  footer: {
    js: `{
  const api = module.exports;
  const Database = api.default;
  for (const name of Object.keys(api)) {
    if (name === 'default') continue;
    if (Object.prototype.hasOwnProperty.call(Database, name) && Database[name] !== api[name]) {
      throw new Error('heliosdb-lite build: export ' + name + ' collides with a static member of the default export');
    }
    Object.defineProperty(Database, name, { value: api[name], enumerable: !${JSON.stringify(LOADER_HELPERS)}.includes(name) });
  }
  Object.defineProperty(Database, 'default', { value: Database, enumerable: false });
  module.exports = Database;
}`,
  },
});
checkExternals(library, 'dist/cjs/core.js');
const loader = await build({
  ...common,
  entryPoints: [join(root, 'sql', 'config-loader.ts')],
  outfile: join(out, 'cjs', 'config.js'),
  format: 'cjs',
  plugins: [
    {
      name: 'the-core',
      setup(b) {
        // The loader's own imports (config.ts, errors.ts, ...) are the core's objects: one copy.
        b.onResolve({ filter: /^\.\.?\// }, (a) => (a.importer.endsWith(join('sql', 'config-loader.ts')) ? { path: './core.js', external: true } : undefined));
      },
    },
  ],
});
checkExternals(loader, 'dist/cjs/config.js', ['./core.js']);
writeFileSync(
  join(out, 'cjs', 'index.js'),
  `'use strict';
// require('heliosdb-lite'): the Database class of the core, with the TOML loader's functions.
const Database = require('./core.js');
const config = require('./config.js');
for (const name of ${JSON.stringify(CONFIG_NAMES)}) Object.defineProperty(Database, name, { value: config[name], enumerable: true });
module.exports = Database;
`,
);
writeFileSync(join(out, 'cjs', 'package.json'), JSON.stringify({ type: 'commonjs', sideEffects: false }) + '\n');

// 2. The ES module entry, naming every runtime export of the CommonJS module.
const cjs = createRequire(import.meta.url)(join(out, 'cjs', 'index.js'));
if (typeof cjs !== 'function' || cjs.Sqlite3Database !== cjs || typeof cjs.Database !== 'function') fail('dist/cjs/index.js does not export the drop-in with the Database class');
const names = Object.keys(cjs).sort();
for (const n of names) if (!/^[A-Za-z_$][\w$]*$/.test(n)) fail(`export name ${n} is not an identifier`);
writeFileSync(
  join(out, 'index.js'),
  `// The ES module entry of heliosdb-lite: the same objects as require('heliosdb-lite') (dist/cjs/index.js).
// The TOML loader comes from its own module, which a bundler leaves out when it is not used.
import drop_in from './cjs/core.js';
export default drop_in;
${names.filter((n) => !CONFIG_NAMES.includes(n)).map((n) => `export const ${n} = drop_in.${n};`).join('\n')}
export { ${CONFIG_NAMES.join(', ')} } from './cjs/config.js';
`,
);

// 3. Declarations.
const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json'), '--outDir', join(out, 'types')], { cwd: root, encoding: 'utf8' });
if (tsc.status !== 0) fail(`tsc -p tsconfig.build.json:\n${tsc.stdout}${tsc.stderr}`);
// The sources import './x.ts' (allowImportingTsExtensions); the declarations sit beside no
// .ts file, so their relative specifiers name the .js the consumer's resolver maps to .d.ts.
const declFiles = [];
const walk = (dir) => {
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) walk(p);
    else if (n.endsWith('.d.ts')) declFiles.push(p);
  }
};
walk(join(out, 'types'));
const specifier = /(\bfrom\s+|\bimport\s*\(\s*)(['"])([^'"]+)\2/g;
for (const f of declFiles) {
  const text = readFileSync(f, 'utf8').replace(specifier, (m, pre, q, spec) => {
    if (!spec.startsWith('.')) fail(`${relative(out, f)} imports the package ${spec}: the declarations must be self-contained`);
    return `${pre}${q}${spec.replace(/\.ts$/, '.js')}${q}`;
  });
  writeFileSync(f, text);
}
// tsc writes a declaration for every module of the program; keep those index.d.ts reaches.
const reached = new Set();
const visit = (f) => {
  if (reached.has(f)) return;
  reached.add(f);
  for (const m of readFileSync(f, 'utf8').matchAll(specifier)) visit(join(dirname(f), m[3].replace(/\.js$/, '.d.ts')));
};
visit(join(out, 'types', 'index.d.ts'));
for (const f of declFiles) if (!reached.has(f)) rmSync(f);
for (const f of reached) if (!declFiles.includes(f)) fail(`${relative(out, f)} is imported by a declaration but was not emitted`);
writeFileSync(
  join(out, 'index.d.ts'),
  `export * from './types/index.js';
export { default } from './types/index.js';
`,
);
cpSync(join(out, 'types'), join(out, 'cjs', 'types'), { recursive: true });

// Every export of index.ts, and whether it is a value (then also a property at run time).
const ts = createRequire(import.meta.url)('typescript');
const program = ts.createProgram([join(out, 'types', 'index.d.ts')], { noEmit: true, types: [] });
const checker = program.getTypeChecker();
const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(join(out, 'types', 'index.d.ts')));
const declared = checker.getExportsOfModule(moduleSymbol).map((s) => {
  const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
  const decl = target.declarations?.[0];
  if (decl === undefined) fail(`export ${s.name} has no declaration`);
  const from = './' + relative(out, decl.getSourceFile().fileName).replace(/\\/g, '/').replace(/\.d\.ts$/, '.js');
  return { name: s.name, value: (target.flags & ts.SymbolFlags.Value) !== 0, from, original: target.name };
}).filter((e) => e.name !== 'default').sort((a, b) => (a.name < b.name ? -1 : 1));
const declaredValues = declared.filter((e) => e.value).map((e) => e.name);
if (declaredValues.join() !== names.join()) fail(`declared values [${declaredValues}] differ from the runtime exports [${names}]`);
// Types that index.ts exports with \`export type\` cannot be aliased through it (TS1379), so the
// namespace aliases each type where it is declared; generics keep their parameters that way.
const modules = [...new Set(declared.filter((e) => !e.value).map((e) => e.from))].sort();
const moduleAlias = new Map(modules.map((m, i) => [m, `m${i}`]));
writeFileSync(
  join(out, 'cjs', 'index.d.ts'),
  `// CommonJS: require('heliosdb-lite') is the better-sqlite3 drop-in (Sqlite3Database); each
// named export is also a property of it, and each exported type is reachable as Database.<Name>
// (Database.Database is HeliosDB's own class).
import * as api from './types/index.js';
${modules.map((m) => `import * as ${moduleAlias.get(m)} from '${m}';`).join('\n')}
declare class Database extends api.Sqlite3Database {}
declare namespace Database {
${declared.map((e) => `  export import ${e.name} = ${e.value ? `api.${e.name}` : `${moduleAlias.get(e.from)}.${e.original}`};`).join('\n')}
}
export = Database;
`,
);

// 4. The `heliosdb` shell (package.json "bin"), an ES module (it awaits at the top level).
const shell = await build({
  ...common,
  entryPoints: [join(root, 'scripts', 'shell.ts')],
  outfile: join(out, 'shell.js'),
  format: 'esm',
  banner: { js: '#!/usr/bin/env node' },
});
checkExternals(shell, 'dist/shell.js');

rmSync(final, { recursive: true, force: true });
mkdirSync(dirname(final), { recursive: true });
renameSync(out, final);
console.log(`built dist/: index.js + cjs/index.js (${names.length + 1} exports), ${reached.size} declaration files, shell.js`);
