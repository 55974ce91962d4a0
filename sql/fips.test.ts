/**
 * Honest FIPS mode (crypto/fips.ts, spec/threat-model.md §5): fips: true /
 * fips_mode = true opens only when the runtime reports a FIPS provider, and
 * storageInfo() says what is true instead of "fipsMode: true" by default.
 *
 * Order matters: the refusals run first, before any accepted open turns the
 * process's OpenSSL-only mode on (it stays on, like the provider itself).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { getFips } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeliosError } from '../format/errors.ts';
import { setFipsProviderCheck } from '../engine/engine.ts';
import { Database } from './database.ts';
import { openDatabaseFromConfig } from './config-loader.ts';

const KEY = { raw: new Uint8Array(32).fill(3) };
const FIPS_TOML = join(process.cwd(), 'sql', 'testdata', 'config', 'heliosdb_fips.toml');
const machineHasFips = getFips() === 1;

function withTmp(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'helios-fips-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function configError(fn: () => unknown): HeliosError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof HeliosError && e.code === 'CONFIG', String(e));
    return e;
  }
  throw new Error('expected CONFIG');
}

test('without a FIPS provider, fips: true and fips_mode = true refuse to open with CONFIG saying why, creating nothing', () => {
  if (machineHasFips) return; // this runtime has a provider: the accepted path below covers it
  setFipsProviderCheck(null);
  withTmp((dir) => {
    const path = join(dir, 'f.db');
    const e = configError(() => new Database(path, { key: KEY, fips: true }));
    assert.match(e.message, /getFips/);
    assert.match(e.message, /FIPS 140 provider/);
    assert.is(existsSync(path), false, 'nothing was created');
    const keyFile = join(dir, 'k');
    writeFileSync(keyFile, '3'.repeat(64));
    const t = configError(() => openDatabaseFromConfig(FIPS_TOML, { path, key: { file: keyFile } }));
    assert.match(t.message, /getFips/);
    // Without fips the same database opens, and says it is not in FIPS mode.
    const db = new Database(path, { key: KEY });
    const i = db.storageInfo();
    assert.is(i.fipsMode, false);
    assert.is(i.fips.requested, false);
    assert.is(i.fips.providerActive, false);
    assert.is(i.fips.opensslOnly, false);
    assert.is(i.fips.moduleValidated, false);
    assert.is(i.fips.algorithmsApproved, true, 'AES-256-GCM with a raw key: approved algorithms, just not in a validated module');
    assert.is((db.pragma('cipher_status') as { fips_mode: number }[])[0]!.fips_mode, 0);
    db.close();
  });
});

test('storageInfo reports an Argon2id passphrase as a non-approved KDF', () => {
  withTmp((dir) => {
    const db = new Database(join(dir, 'p.db'), { key: { passphrase: 'correct horse' }, kdf: { argon2: { memoryKiB: 64, iterations: 1, parallelism: 1 } } });
    assert.is(db.storageInfo().fips.algorithmsApproved, false);
    assert.is(db.storageInfo().fipsMode, false);
    db.close();
  });
});

test('with a provider reported (injected check), FIPS mode opens, routes all AES-GCM through OpenSSL and says so; data round-trips', () => {
  setFipsProviderCheck(() => true);
  try {
    withTmp((dir) => {
      const path = join(dir, 'f.db');
      let db = new Database(path, { key: { passphrase: 'fips passphrase' }, fips: true, kdf: { pbkdf2Iterations: 600_000 } });
      const i = db.storageInfo();
      assert.equal(i.fips, { requested: true, createdInFipsMode: true, providerActive: true, opensslOnly: true, algorithmsApproved: true, moduleValidated: true, active: true });
      assert.is(i.fipsMode, true);
      assert.is(i.kdf, 'pbkdf2-sha256');
      db.exec("CREATE TABLE s (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO s (v) VALUES ('classified'), ('" + 'x'.repeat(5000) + "')");
      db.close();
      db = new Database(path, { key: { passphrase: 'fips passphrase' }, fips: true });
      assert.is(db.prepare('SELECT v FROM s WHERE id = 1').pluck().get(), 'classified');
      assert.is((db.pragma('cipher_status') as { fips_mode: number }[])[0]!.fips_mode, 1);
      db.close();
      // The seed's FIPS configuration opens too.
      const keyFile = join(dir, 'k');
      writeFileSync(keyFile, '3'.repeat(64));
      const c = openDatabaseFromConfig(FIPS_TOML, { path: join(dir, 'cfg.db'), key: { file: keyFile } });
      assert.is(c.storageInfo().fipsMode, true);
      c.close();
      // Opened without fips afterwards: the database was created in FIPS mode, but this handle did not ask for it.
      db = new Database(path, { key: { passphrase: 'fips passphrase' } });
      assert.is(db.storageInfo().fips.createdInFipsMode, true);
      assert.is(db.storageInfo().fipsMode, false);
      db.close();
    });
  } finally {
    setFipsProviderCheck(null);
  }
});

test.run();
