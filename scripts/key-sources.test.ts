// The key option's sources, read in one place (resolveKeySource): the API, the TOML
// configuration and the shell all take passphrase files and variables through it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database, isHeliosError, parseConfig, databaseOptionsFromConfig, resolveKeySource } from '../index.ts';

const FAST_KDF = { argon2: { memoryKiB: 64, iterations: 1, parallelism: 1 } };

const withTmp = (fn: (dir: string) => void): void => {
  const dir = mkdtempSync(join(tmpdir(), 'helios-keyloader-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

const text = (p: { passphrase: string | Uint8Array }): string => (typeof p.passphrase === 'string' ? p.passphrase : new TextDecoder().decode(p.passphrase));

test('a passphrase file gives its first line without CR LF; a variable its value; other sources pass through unchanged', () => {
  withTmp((dir) => {
    const f = join(dir, 'pass');
    writeFileSync(f, 'correct horse\r\nsecond line\n');
    assert.is(text(resolveKeySource({ passphraseFile: f }) as { passphrase: Uint8Array }), 'correct horse');
    assert.is(text(resolveKeySource({ passphraseEnv: 'P' }, { env: { P: 'from env' } }) as { passphrase: string }), 'from env');
    const file = { file: f };
    assert.is(resolveKeySource(file), file);
  });
});

test('an unreadable or empty passphrase file, and an unset or empty variable, are CONFIG naming it but not its content', () => {
  withTmp((dir) => {
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\nsecret-on-line-two\n');
    const cases: [() => unknown, RegExp][] = [
      [() => resolveKeySource({ passphraseFile: join(dir, 'none') }), /cannot read passphrase file .*none: ENOENT/],
      [() => resolveKeySource({ passphraseFile: empty }), /passphrase file .*empty is empty/],
      [() => resolveKeySource({ passphraseEnv: 'NOPE' }, { env: {} }), /environment variable NOPE \(the passphrase\) is not set or empty/],
      [() => resolveKeySource({ passphraseEnv: 'E' }, { env: { E: '' } }), /environment variable E/],
    ];
    for (const [fn, message] of cases) {
      try {
        fn();
        assert.unreachable('no error');
      } catch (e) {
        assert.ok(isHeliosError(e, 'CONFIG'), String(e));
        assert.match((e as Error).message, message);
        assert.not.match((e as Error).message, /secret-on-line-two/);
      }
    }
  });
});

test('new Database takes { passphraseFile } and { passphraseEnv }: the same key as the passphrase itself, reported as a passphrase source', () => {
  withTmp((dir) => {
    const path = join(dir, 'db');
    const f = join(dir, 'pass');
    writeFileSync(f, 'tiger lily\n');
    const db = new Database(path, { key: { passphraseFile: f }, kdf: FAST_KDF });
    db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (42)');
    assert.is(db.storageInfo().keySource, 'passphrase');
    db.close();
    process.env.HELIOS_KEY_LOADER_TEST = 'tiger lily';
    try {
      const again = new Database(path, { key: { passphraseEnv: 'HELIOS_KEY_LOADER_TEST' }, fileMustExist: true });
      assert.is(again.prepare('SELECT x FROM t').pluck().get(), 42);
      again.close();
    } finally {
      delete process.env.HELIOS_KEY_LOADER_TEST;
    }
    const same = new Database(path, { key: { passphrase: 'tiger lily' }, fileMustExist: true });
    same.close();
    assert.throws(() => new Database(path, { key: { passphraseFile: f, passphrase: 'x' } as never }), (e: unknown) => isHeliosError(e, 'INVALID_ARGUMENT'));
  });
});

test('the TOML PassphraseFile and PassphraseEnvironment sources resolve through resolveKeySource', () => {
  withTmp((dir) => {
    const f = join(dir, 'pass');
    writeFileSync(f, 'from the file\n');
    const c = parseConfig(`[database]\npath = "db"\n[encryption]\nenabled = true\nkey_source = { PassphraseFile = "${f}" }\n`, join(dir, 'a.toml'));
    assert.is(text(databaseOptionsFromConfig(c).options.key as { passphrase: Uint8Array }), 'from the file');
    const e = parseConfig(`[database]\npath = "db"\n[encryption]\nenabled = true\nkey_source = { PassphraseEnvironment = "PV" }\n`, join(dir, 'b.toml'));
    assert.is(text(databaseOptionsFromConfig(e, { env: { PV: 'from env' } }).options.key as { passphrase: string }), 'from env');
    assert.throws(() => databaseOptionsFromConfig(e, { env: {} }), (x: unknown) => isHeliosError(x, 'CONFIG') && /PV \(the passphrase\)/.test((x as Error).message));
  });
});

test.run();
