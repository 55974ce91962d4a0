// The package as a user gets it: `npm pack` builds one tarball; it installs with no registry
// (npm and bun), type-checks in a strict consumer project under `nodenext` and `bundler`
// resolution, and runs unchanged on Node (ES module and CommonJS), Bun and Deno, where
// `import Database from 'heliosdb-lite'` and `require('heliosdb-lite')` both give the class.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = process.cwd();
const bin = (name: string): string => join(root, 'node_modules', '.bin', name);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const tsc = [process.execPath, join(root, 'node_modules', 'typescript', 'bin', 'tsc')] as const;
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

/** Runs a command; fails the test with its output when it exits non-zero. */
function run(cmd: string, args: readonly string[], options: SpawnSyncOptions & { cwd: string }): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 300_000, ...options });
  const out = `${String(r.stdout ?? '')}${String(r.stderr ?? '')}`;
  if (r.error !== undefined || r.status !== 0) assert.unreachable(`${cmd} ${args.join(' ')} (in ${options.cwd}) failed: ${r.error?.message ?? `exit ${r.status}`}\n${out}`);
  return String(r.stdout);
}

// A fresh, empty cache and an unreachable registry: only what the tarball carries installs.
const offlineEnv = (work: string): NodeJS.ProcessEnv => ({
  ...process.env,
  npm_config_registry: 'http://127.0.0.1:9/',
  NPM_CONFIG_REGISTRY: 'http://127.0.0.1:9/',
  BUN_CONFIG_REGISTRY: 'http://127.0.0.1:9/',
  BUN_INSTALL_CACHE_DIR: join(work, 'empty-bun-cache'),
  DENO_DIR: join(work, 'empty-deno-dir'),
});

const work = mkdtempSync(join(tmpdir(), 'helios-consumer-'));
let tgz = '';
const app = join(work, 'app');

/** What every runnable consumer prints when the package behaves. */
const expected = {
  got: 'needle-in-the-haystack', algo: 'AES-256-GCM', leaked: false,
  isClass: true, sameClass: true, oneCopy: true, named: true, errorIsHelios: true,
};

const ESM_PROGRAM = `import Database, { Database as NamedDatabase, HeliosError, Sqlite3Database, SqliteError, generateKey, isHeliosError, type DatabaseOptions, type StorageInfo, type Sqlite3Statement } from 'heliosdb-lite';
import { createRequire } from 'node:module';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const required = createRequire(import.meta.url)('heliosdb-lite') as unknown;
const dir = mkdtempSync(join(tmpdir(), 'helios-consumer-db-'));
const raw = new Uint8Array((generateKey().match(/../g) ?? []).map((h) => parseInt(h, 16)));
const options: DatabaseOptions = { key: { raw } };
const db: Database = new Database(join(dir, 'db'), options);
db.exec("CREATE TABLE vault(secret TEXT); INSERT INTO vault VALUES ('needle-in-the-haystack')");
const stmt: Sqlite3Statement = db.prepare('SELECT secret FROM vault');
const got: unknown = stmt.pluck().get();
const info: StorageInfo = db.storageInfo();
db.close();
// The drop-in reports a wrong key as better-sqlite3 would (SqliteError, SQLITE_NOTADB) with HeliosDB's code;
// HeliosDB's own class throws the HeliosError.
let errorIsHelios = false;
try {
  new Database(join(dir, 'db'), { key: { raw: new Uint8Array(32) } });
} catch (e) {
  errorIsHelios = e instanceof SqliteError && e.code === 'SQLITE_NOTADB' && e.heliosCode === 'WRONG_KEY';
}
try {
  new NamedDatabase(join(dir, 'db'), { key: { raw: new Uint8Array(32) } });
  errorIsHelios = false;
} catch (e) {
  errorIsHelios &&= e instanceof HeliosError && isHeliosError(e, 'WRONG_KEY');
}
const leaked = readdirSync(join(dir, 'db')).some((f) => readFileSync(join(dir, 'db', f)).includes('needle-in-the-haystack'));
rmSync(dir, { recursive: true, force: true });
if (Math.random() > 2) {
  // @ts-expect-error the path is a string: the declarations are real types, not any
  new Database(42);
  // @ts-expect-error no such method
  db.prepareStatement('SELECT 1');
}
console.log(JSON.stringify({
  got, algo: info.encryptionAlgorithm, leaked,
  isClass: typeof Database === 'function' && db instanceof Database,
  sameClass: Database === Sqlite3Database && (NamedDatabase as unknown) !== Database,
  oneCopy: required === Database,
  named: typeof generateKey === 'function' && typeof HeliosError === 'function',
  errorIsHelios,
}));
`;

const CJS_PROGRAM = `import Database = require('heliosdb-lite');
import fs = require('node:fs');
import os = require('node:os');
import path = require('node:path');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'helios-consumer-db-'));
const raw = new Uint8Array((Database.generateKey().match(/../g) ?? []).map((h) => parseInt(h, 16)));
const options: Database.DatabaseOptions = { key: { raw } };
const db: Database = new Database(path.join(dir, 'db'), options);
db.exec("CREATE TABLE vault(secret TEXT); INSERT INTO vault VALUES ('needle-in-the-haystack')");
const stmt: Database.Sqlite3Statement = db.prepare('SELECT secret FROM vault');
const got: unknown = stmt.pluck().get();
const info: Database.StorageInfo = db.storageInfo();
db.close();
let errorIsHelios = false;
try {
  new Database(path.join(dir, 'db'), { key: { raw: new Uint8Array(32) } });
} catch (e) {
  errorIsHelios = e instanceof Database.SqliteError && e.heliosCode === 'WRONG_KEY';
}
const leaked = fs.readdirSync(path.join(dir, 'db')).some((f) => fs.readFileSync(path.join(dir, 'db', f)).includes('needle-in-the-haystack'));
fs.rmSync(dir, { recursive: true, force: true });
if (Math.random() > 2) {
  // @ts-expect-error the path is a string: the declarations are real types, not any
  new Database(42);
  // @ts-expect-error no such export
  Database.notAnExport();
}
const viaImport: Promise<unknown> = import('heliosdb-lite');
void viaImport.then((esm) => {
  console.log(JSON.stringify({
    got, algo: info.encryptionAlgorithm, leaked,
    isClass: typeof Database === 'function' && db instanceof Database,
    sameClass: (Database.Sqlite3Database as unknown) === Database && (Database.Database as unknown) !== Database,
    oneCopy: (esm as { default: unknown }).default === Database,
    named: typeof Database.generateKey === 'function' && typeof Database.Statement === 'function',
    errorIsHelios,
  }));
});
`;

// Bundler resolution, no @types/node: the declarations need nothing but the ES library.
const BUNDLER_PROGRAM = `import Database, { SqliteError, Sqlite3Statement, type ColumnDescriptor, type ErrorCode } from 'heliosdb-lite';

const db = new Database(':memory:');
db.exec('CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT)');
const insert: Sqlite3Statement = db.prepare('INSERT INTO t(b) VALUES (?)');
const { changes, lastInsertRowid } = insert.run('x');
const columns: ColumnDescriptor[] = db.prepare('SELECT a, b FROM t').columns();
const rows: unknown[] = db.prepare('SELECT a, b FROM t').all();
let code: ErrorCode | null = null;
try {
  db.exec('SELEC 1');
} catch (e) {
  if (e instanceof SqliteError && e.heliosCode !== undefined) code = e.heliosCode;
}
db.close();
if (Math.random() > 2) {
  // @ts-expect-error exec takes SQL text
  db.exec(1);
}
console.log(JSON.stringify({ changes, lastInsertRowid: Number(lastInsertRowid), columns: columns.map((c) => c.name), rows, syntaxError: code !== null }));
`;
const BUNDLER_EXPECTED = { changes: 1, lastInsertRowid: 1, columns: ['a', 'b'], rows: [{ a: 1, b: 'x' }], syntaxError: true };

const strict = { strict: true, noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: true, noImplicitOverride: true, verbatimModuleSyntax: true, skipLibCheck: false, target: 'ES2022', lib: ['ES2022'] };

test.before(() => {
  run(npm, ['pack', '--silent', '--pack-destination', work], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const name = readdirSync(work).find((n) => n.endsWith('.tgz'));
  assert.ok(name !== undefined, 'npm pack wrote a tarball');
  tgz = join(work, name);
});

test.after(() => {
  rmSync(work, { recursive: true, force: true });
});

test('the tarball carries dist/, spec/, README and LICENSE, no sources or node_modules, and a package.json with no runtime dependencies', () => {
  const listing = run('tar', ['tzf', tgz], { cwd: work }).split('\n').filter((l) => l !== '');
  const files = listing.map((l) => l.replace(/^package\//, ''));
  for (const f of ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts', 'dist/cjs/index.js', 'dist/cjs/index.d.ts', 'dist/cjs/package.json', 'dist/types/index.d.ts', 'dist/cjs/types/index.d.ts', 'dist/shell.js', 'spec/crypto.md']) {
    assert.ok(files.includes(f), `${f} is in the tarball`);
  }
  assert.equal(files.filter((f) => f.startsWith('node_modules/')), [], 'no bundled node_modules');
  assert.equal(files.filter((f) => /\.(ts|mts|cts)$/.test(f) && !/\.d\.ts$/.test(f)), [], 'no TypeScript sources');
  mkdirSync(join(work, 'unpacked'));
  run('tar', ['xzf', tgz, '-C', join(work, 'unpacked')], { cwd: work });
  const pkg = JSON.parse(readFileSync(join(work, 'unpacked', 'package', 'package.json'), 'utf8')) as Record<string, unknown>;
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies', 'bundleDependencies', 'bundledDependencies']) assert.is(pkg[field], undefined, field);
});

test('npm installs the tarball with an empty cache and no registry', () => {
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', type: 'module', private: true }));
  run(npm, ['install', '--offline', '--cache', join(work, 'empty-npm-cache'), '--no-audit', '--no-fund', tgz], { cwd: app, env: offlineEnv(work) });
  assert.ok(existsSync(join(app, 'node_modules', 'heliosdb-lite', 'dist', 'index.js')));
  // A Node project has @types/node; the bundler check below runs without it.
  mkdirSync(join(app, 'node_modules', '@types'), { recursive: true });
  symlinkSync(join(root, 'node_modules', '@types', 'node'), join(app, 'node_modules', '@types', 'node'), 'dir');
  writeFileSync(join(app, 'esm.mts'), ESM_PROGRAM);
  writeFileSync(join(app, 'cjs.cts'), CJS_PROGRAM);
  writeFileSync(join(app, 'bundler.ts'), BUNDLER_PROGRAM);
});

test('bun adds the tarball with an empty cache and no registry', () => {
  const bunApp = join(work, 'bun-app');
  mkdirSync(bunApp);
  writeFileSync(join(bunApp, 'package.json'), JSON.stringify({ name: 'bun-app', version: '1.0.0', type: 'module', private: true }));
  run(bin('bun'), ['add', tgz], { cwd: bunApp, env: offlineEnv(work) });
  writeFileSync(join(bunApp, 'main.mjs'), "import Database from 'heliosdb-lite';\nconst db = new Database(':memory:');\nconsole.log(JSON.stringify(db.prepare('SELECT 40 + 2 AS x').get()));\n");
  assert.equal(JSON.parse(run(bin('bun'), ['main.mjs'], { cwd: bunApp })), { x: 42 });
});

test('a strict consumer type-checks under nodenext (ES module and CommonJS files), and the emitted programs run on Node', () => {
  writeFileSync(join(app, 'tsconfig.nodenext.json'), JSON.stringify({
    compilerOptions: { ...strict, module: 'nodenext', moduleResolution: 'nodenext', types: ['node'], outDir: 'out', rootDir: '.' },
    files: ['esm.mts', 'cjs.cts'],
  }));
  run(tsc[0], [tsc[1], '-p', 'tsconfig.nodenext.json'], { cwd: app });
  assert.match(readFileSync(join(app, 'out', 'cjs.cjs'), 'utf8'), /require\("heliosdb-lite"\)/, 'the CommonJS file compiles to require()');
  for (const program of ['out/esm.mjs', 'out/cjs.cjs']) {
    assert.equal(JSON.parse(run(process.execPath, [program], { cwd: app })), expected, `node ${program}`);
  }
});

test('the same consumer type-checks under the older node16 and node10 resolution modes', () => {
  writeFileSync(join(app, 'tsconfig.node16.json'), JSON.stringify({
    compilerOptions: { ...strict, module: 'node16', moduleResolution: 'node16', types: ['node'], noEmit: true },
    files: ['esm.mts', 'cjs.cts'],
  }));
  run(tsc[0], [tsc[1], '-p', 'tsconfig.node16.json'], { cwd: app });
  // node10 ignores "exports": it reads "main" and "types", the CommonJS build.
  writeFileSync(join(app, 'tsconfig.node10.json'), JSON.stringify({
    compilerOptions: { ...strict, verbatimModuleSyntax: false, module: 'commonjs', moduleResolution: 'node10', types: ['node'], noEmit: true },
    files: ['cjs.cts'],
  }));
  run(tsc[0], [tsc[1], '-p', 'tsconfig.node10.json'], { cwd: app });
});

test('a strict consumer with no @types/node type-checks under bundler resolution', () => {
  writeFileSync(join(app, 'tsconfig.bundler.json'), JSON.stringify({
    compilerOptions: { ...strict, lib: ['ES2022', 'DOM'], module: 'esnext', moduleResolution: 'bundler', types: [], noEmit: true },
    files: ['bundler.ts'],
  }));
  run(tsc[0], [tsc[1], '-p', 'tsconfig.bundler.json'], { cwd: app });
});

test('Bun runs the ES module, CommonJS and bundler consumers from their TypeScript sources', () => {
  for (const program of ['esm.mts', 'cjs.cts']) {
    assert.equal(JSON.parse(run(bin('bun'), [program], { cwd: app })), expected, `bun ${program}`);
  }
  assert.equal(JSON.parse(run(bin('bun'), ['bundler.ts'], { cwd: app })), BUNDLER_EXPECTED, 'bun bundler.ts');
});

test('Deno type-checks the bundler consumer against the package and runs every consumer', () => {
  const env = offlineEnv(work);
  run(bin('deno'), ['check', '--quiet', 'bundler.ts'], { cwd: app, env });
  assert.equal(JSON.parse(run(bin('deno'), ['run', '-A', '--quiet', 'bundler.ts'], { cwd: app, env })), BUNDLER_EXPECTED, 'deno bundler.ts');
  for (const program of ['out/esm.mjs', 'out/cjs.cjs']) {
    assert.equal(JSON.parse(run(bin('deno'), ['run', '-A', '--quiet', program], { cwd: app, env })), expected, `deno ${program}`);
  }
});

test('the heliosdb command is installed and runs', () => {
  assert.is(run(join(app, 'node_modules', '.bin', 'heliosdb'), ['--version'], { cwd: app }), `heliosdb-lite ${version}\n`);
});

test.run();
