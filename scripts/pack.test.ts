// The package users vendor: `npm pack` builds one tarball that installs with
// no registry (dependencies bundled) and runs unchanged on Node, Bun and Deno.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = process.cwd();
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

test('the packed tarball installs offline and opens an encrypted database on Node, Bun and Deno', () => {
  const work = mkdtempSync(join(tmpdir(), 'helios-pack-'));
  try {
    execFileSync(npm, ['pack', '--silent', '--pack-destination', work], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const tgz = readdirSync(work).find((n) => n.endsWith('.tgz'));
    assert.ok(tgz, 'npm pack wrote a tarball');
    const app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', type: 'module', private: true }));
    // An empty cache and --offline: only what the tarball carries can be installed.
    execFileSync(npm, ['install', '--offline', '--cache', join(work, 'empty-cache'), '--no-audit', '--no-fund', join(work, tgz!)], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] });
    writeFileSync(
      join(app, 'main.mjs'),
      `import { Database, generateKey } from 'heliosdb-lite';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const dir = mkdtempSync(join(tmpdir(), 'helios-pack-db-'));
const raw = new Uint8Array(generateKey().match(/../g).map((h) => parseInt(h, 16)));
const db = new Database(join(dir, 'db'), { key: { raw } });
db.exec("CREATE TABLE vault(secret TEXT); INSERT INTO vault VALUES ('needle-in-the-haystack')");
const got = db.prepare('SELECT secret FROM vault').pluck().get();
const algo = db.storageInfo().encryptionAlgorithm;
db.close();
const leaked = readdirSync(join(dir, 'db')).some((f) => readFileSync(join(dir, 'db', f)).includes('needle-in-the-haystack'));
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({ got, algo, leaked }));
`,
    );
    const runtimes: [string, string[]][] = [
      [process.execPath, ['main.mjs']],
      [join(root, 'node_modules', '.bin', 'bun'), ['main.mjs']],
      [join(root, 'node_modules', '.bin', 'deno'), ['run', '-A', '--quiet', 'main.mjs']],
    ];
    for (const [cmd, args] of runtimes) {
      const out = execFileSync(cmd, args, { cwd: app, encoding: 'utf8' });
      assert.equal(JSON.parse(out.trim()), { got: 'needle-in-the-haystack', algo: 'AES-256-GCM', leaked: false }, cmd);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test.run();
