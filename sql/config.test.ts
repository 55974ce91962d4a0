/**
 * TOML configuration files: the seed's five files (examples 1-5, copied
 * verbatim into sql/testdata/config/) load, say which keys are applied and
 * which are only accepted, and open encrypted databases; bad files give
 * CONFIG errors naming the file, key and line without echoing values.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { HeliosError, isHeliosError } from '../format/errors.ts';
import { fuzzParams } from '../fuzz/budget.ts';
import { Database } from './database.ts';
import { setFipsProviderCheck } from '../engine/engine.ts';
import { databaseOptionsFromConfig, memoryBudgetsFor, type HeliosConfig } from './config.ts';
import { loadConfig, openDatabaseFromConfig, parseConfig } from './config-loader.ts';

const CONFIG_DIR = join(process.cwd(), 'sql', 'testdata', 'config');
const SEED_FILES = ['heliosdb.toml', 'heliosdb_pos.toml', 'heliosdb_gdpr.toml', 'heliosdb_fips.toml', 'heliosdb_iot.toml'] as const;
const KEY_HEX = '5f'.repeat(32);
const FAST_KDF = { argon2: { memoryKiB: 64, iterations: 1, parallelism: 1 } };

function withTmp<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'helios-config-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function configError(fn: () => unknown): HeliosError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof HeliosError, `expected HeliosError, got ${String(e)}`);
    assert.is(e.code, 'CONFIG', e.message);
    return e;
  }
  throw new Error('expected a CONFIG error');
}

// The seed's FIPS file needs a runtime reporting a FIPS provider; this machine's may have none, so
// these tests inject the check (sql/fips.test.ts tests the refusal without it and the accepted path).
setFipsProviderCheck(() => true);

const keysOf = (list: HeliosConfig['ignored']): string[] => list.map((s) => s.key).sort();

test('the seed\'s five configuration files load with encryption on, a key file and the seed\'s database path', () => {
  const expected: Record<string, { path: string; key: string; fips: boolean; rotation: number; memory: number }> = {
    'heliosdb.toml': { path: '/var/lib/heliosdb/ehr.db', key: '/secure/ehr_encryption.key', fips: false, rotation: 90, memory: 512 },
    'heliosdb_pos.toml': { path: '/var/mobile/heliosdb/pos_transactions.db', key: '/secure/pos_encryption.key', fips: false, rotation: 90, memory: 256 },
    'heliosdb_gdpr.toml': { path: '/data/saas_customers.db', key: '/secrets/gdpr_encryption.key', fips: false, rotation: 90, memory: 1024 },
    'heliosdb_fips.toml': { path: '/opt/tactical_intel/classified.db', key: '/secure/classified_key.bin', fips: true, rotation: 30, memory: 2048 },
    'heliosdb_iot.toml': { path: '/data/factory_production.db', key: '/secure/gateway_key.bin', fips: false, rotation: 365, memory: 512 },
  };
  for (const f of SEED_FILES) {
    const c = loadConfig(join(CONFIG_DIR, f));
    const e = expected[f]!;
    assert.is(c.fileName, join(CONFIG_DIR, f));
    assert.is(c.database.path, resolve(e.path), f);
    assert.is(c.database.memoryLimitMb, e.memory, f);
    assert.is(c.database.enableWal, true, f);
    assert.is(c.encryption.enabled, true, f);
    assert.is(c.encryption.algorithm, 'Aes256Gcm', f);
    assert.equal(c.encryption.keySource, { kind: 'file', path: resolve(e.key) }, f);
    assert.is(c.encryption.fipsMode, e.fips, f);
    assert.is(c.encryption.rotationIntervalDays, e.rotation, f);
    for (const s of [...c.applied, ...c.ignored]) assert.ok(s.line > 0, `${f}: ${s.key} has a line`);
  }
});

test('informational keys are reported in ignored with a reason; keys acted on are reported in applied', () => {
  const ehr = loadConfig(join(CONFIG_DIR, 'heliosdb.toml'));
  assert.equal(keysOf(ehr.ignored), ['database.page_size']);
  assert.equal(keysOf(ehr.applied), [
    'database.enable_wal',
    'database.memory_limit_mb',
    'database.path',
    'encryption.algorithm',
    'encryption.enabled',
    'encryption.key_source',
    'encryption.rotation_interval_days',
    'logging.audit_log_enabled',
    'logging.audit_log_path',
    'logging.log_encryption_operations',
  ]);
  const audit = ehr.applied.find((s) => s.key === 'logging.audit_log_enabled')!;
  assert.is(audit.line, 16);
  assert.match(audit.note, /tamper-evident audit log/);
  assert.equal(ehr.logging, { auditLogEnabled: true, auditLogPath: '/var/log/heliosdb/audit.log', logEncryptionOperations: true });
  assert.is(ehr.database.pageSize, 4096);
  assert.match(ehr.applied.find((s) => s.key === 'encryption.rotation_interval_days')!.note, /every 90 days/);

  const pos = loadConfig(join(CONFIG_DIR, 'heliosdb_pos.toml'));
  assert.ok(pos.applied.some((s) => s.key === 'compliance.prohibit_plaintext_card'));
  assert.ok(pos.applied.some((s) => s.key === 'compliance.pci_dss_mode'));
  assert.equal(keysOf(pos.ignored), ['compliance.log_card_data_access']);

  const gdpr = loadConfig(join(CONFIG_DIR, 'heliosdb_gdpr.toml'));
  for (const k of ['backup.backup_enabled', 'backup.backup_encryption', 'backup.backup_retention_days']) assert.ok(gdpr.applied.some((s) => s.key === k), k);
  assert.equal(keysOf(gdpr.ignored).filter((k) => !k.startsWith('encryption.')), [
    'gdpr.anonymization_enabled',
    'gdpr.audit_retention_days',
    'gdpr.data_residency',
  ]);

  const fips = loadConfig(join(CONFIG_DIR, 'heliosdb_fips.toml'));
  assert.ok(fips.applied.some((s) => s.key === 'encryption.fips_mode'));
  assert.equal(keysOf(fips.ignored).filter((k) => k.startsWith('security.') || k.startsWith('offline.')), [
    'offline.external_sync_disabled',
    'offline.network_disabled',
    'offline.usb_transfer_only',
    'security.access_control',
    'security.audit_all_operations',
    'security.classification_level',
  ]);

  const iot = loadConfig(join(CONFIG_DIR, 'heliosdb_iot.toml'));
  assert.is(iot.database.synchronous, 'full', 'power_loss_protection = true means synchronous full');
  assert.ok(iot.applied.some((s) => s.key === 'iot.power_loss_protection' && s.line === 16));
  assert.equal(keysOf(iot.ignored), [
    'compliance.fda_21_cfr_part_11',
    'compliance.framework',
    'database.page_size',
    'iot.edge_mode',
    'iot.flash_optimization',
  ]);
});

test('each seed configuration creates an encrypted database (path and key overridden), and reopens it', () => {
  for (const f of SEED_FILES) {
    withTmp((dir) => {
      const keyFile = join(dir, 'db.key');
      writeFileSync(keyFile, KEY_HEX + '\n');
      const path = join(dir, 'app.db');
      const auditLogPath = join(dir, 'audit.log');
      let db = openDatabaseFromConfig(join(CONFIG_DIR, f), { path, key: { file: keyFile }, auditLogPath });
      try {
        const info = db.storageInfo();
        assert.is(info.encryptionEnabled, true, f);
        assert.is(info.encryptionAlgorithm, 'AES-256-GCM', f);
        assert.is(info.keySource, 'file', f);
        assert.is(info.fipsMode, f === 'heliosdb_fips.toml', f);
        assert.is(info.synchronous, 'full', f);
        db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, secret TEXT); INSERT INTO t (secret) VALUES ('PHI-0001')");
      } finally {
        db.close();
      }
      db = openDatabaseFromConfig(join(CONFIG_DIR, f), { path, key: { file: keyFile }, fileMustExist: true, auditLogPath });
      try {
        assert.equal(db.prepare('SELECT secret FROM t').pluck().all(), ['PHI-0001'], f);
      } finally {
        db.close();
      }
      const wrongKey = join(dir, 'wrong.key');
      writeFileSync(wrongKey, 'a0'.repeat(32));
      try {
        openDatabaseFromConfig(join(CONFIG_DIR, f), { path, key: { file: wrongKey }, auditLogPath }).close();
        assert.unreachable('a wrong key opened the database');
      } catch (e) {
        assert.ok(e instanceof HeliosError && e.code === 'WRONG_KEY', String(e));
      }
      // heliosdb.toml turns the audit log on: the opens, closes and the failed unlock are in it.
      if (f === 'heliosdb.toml') assert.match(readFileSync(auditLogPath, 'latin1'), /\topen\tok\t[^]*\tclose\tok\t[^]*\topen\twrong-key\t/);
    });
  }
});

test('a configuration with relative paths resolves them against its own directory and opens without overrides', () => {
  withTmp((dir) => {
    writeFileSync(join(dir, 'ehr.key'), KEY_HEX);
    const text = readFileSync(join(CONFIG_DIR, 'heliosdb.toml'), 'utf8')
      .replace('/var/lib/heliosdb/ehr.db"', 'data/ehr.db"\ncreate_dirs = true')
      .replace('/secure/ehr_encryption.key', 'ehr.key')
      .replace('/var/log/heliosdb/audit.log', 'logs/audit.log');
    writeFileSync(join(dir, 'heliosdb.toml'), text);
    const c = loadConfig(join(dir, 'heliosdb.toml'));
    assert.is(c.database.path, join(dir, 'data', 'ehr.db'));
    assert.equal(c.encryption.keySource, { kind: 'file', path: join(dir, 'ehr.key') });
    assert.is(c.logging.auditLogPath, join(dir, 'logs', 'audit.log'), 'relative to the file too');
    const db = openDatabaseFromConfig(c);
    try {
      db.exec('CREATE TABLE x (a)');
      assert.is(db.storageInfo().keySource, 'file');
    } finally {
      db.close();
    }
  });
});

test('a new database whose directory is missing is IO naming it and create_dirs; create_dirs = true creates it; readonly and fileMustExist create nothing', () => {
  withTmp((dir) => {
    writeFileSync(join(dir, 'k.key'), KEY_HEX);
    const write = (extra: string): string => {
      const f = join(dir, 'h.toml');
      writeFileSync(f, `[database]\npath = "data/sub/ehr.db"\n${extra}[encryption]\nkey_source = { File = "k.key" }\n`);
      return f;
    };
    const ioError = (fn: () => unknown): HeliosError => {
      try {
        fn();
      } catch (e) {
        assert.ok(e instanceof HeliosError, String(e));
        return e;
      }
      throw new Error('expected an error');
    };
    for (const extra of ['', 'create_dirs = false\n']) {
      const e = ioError(() => openDatabaseFromConfig(write(extra)));
      assert.is(e.code, 'IO', e.message);
      assert.is(e.details.osCode, 'ENOENT');
      assert.ok(e.message.includes(join(dir, 'data', 'sub')) && e.message.includes('create_dirs = true'), e.message);
      assert.not.ok(existsSync(join(dir, 'data')), 'nothing was created');
    }
    const on = write('create_dirs = true\n');
    assert.match(loadConfig(on).applied.find((s) => s.key === 'database.create_dirs')!.note, /parent directories of database\.path are created/);
    const ro = ioError(() => openDatabaseFromConfig(on, { readonly: true }));
    assert.is(ro.code, 'CONFIG', ro.message);
    const must = ioError(() => openDatabaseFromConfig(on, { fileMustExist: true }));
    assert.is(must.code, 'CONFIG', must.message);
    assert.not.ok(existsSync(join(dir, 'data')), 'a readonly or fileMustExist open creates nothing');
    // An overridden path is the API's: its missing parent is refused whatever the file says.
    const other = ioError(() => openDatabaseFromConfig(on, { path: join(dir, 'elsewhere', 'x.db') }));
    assert.is(other.code, 'IO', other.message);
    assert.not.ok(existsSync(join(dir, 'elsewhere')));
    openDatabaseFromConfig(on).close();
    assert.ok(statSync(join(dir, 'data', 'sub', 'ehr.db')).isDirectory());
    const again = openDatabaseFromConfig(on, { fileMustExist: true });
    again.close();
    configError(() => parseConfig('[database]\npath = ":memory:"\ncreate_dirs = true\n', 'm.toml'));
  });
});

test('memory_limit_mb sizes the memtable and the block cache exactly as the API\'s memoryLimitMb: a quarter each, for every seed file', () => {
  const MiB = 1024 * 1024;
  assert.equal(memoryBudgetsFor(512), { memtableBudgetBytes: 128 * MiB, blockCacheBytes: 128 * MiB });
  assert.equal(memoryBudgetsFor(2), { memtableBudgetBytes: MiB, blockCacheBytes: MiB / 2 });
  const c = parseConfig('[database]\npath = "/x"\nmemory_limit_mb = 100\n[encryption]\nenabled = false\n', '/etc/h.toml');
  assert.is(databaseOptionsFromConfig(c).options.memoryLimitMb, 100);
  assert.is(databaseOptionsFromConfig(c).options.memtableBudgetBytes, undefined);
  const engineInfo = (db: Database) => db.session.engine.info();
  for (const f of SEED_FILES) {
    withTmp((dir) => {
      const keyFile = join(dir, 'db.key');
      writeFileSync(keyFile, KEY_HEX + '\n');
      const config = loadConfig(join(CONFIG_DIR, f));
      const limitMb = config.database.memoryLimitMb!;
      const viaToml = openDatabaseFromConfig(config, { path: join(dir, 'toml.db'), key: { file: keyFile }, auditLogPath: join(dir, 'audit.log') });
      const viaApi = new Database(join(dir, 'api.db'), { key: { file: keyFile }, memoryLimitMb: limitMb });
      try {
        const t = engineInfo(viaToml);
        const a = engineInfo(viaApi);
        assert.is(t.blockCache.capacityBytes, (limitMb * MiB) / 4, `${f}: block cache of memory_limit_mb = ${limitMb}`);
        assert.is(t.memtableBudgetBytes, (limitMb * MiB) / 4, f);
        assert.is(t.blockCache.capacityBytes, a.blockCache.capacityBytes, f);
        assert.is(t.memtableBudgetBytes, a.memtableBudgetBytes, f);
      } finally {
        viaToml.close();
        viaApi.close();
      }
    });
  }
});

test('Environment and passphrase key sources open the database; missing variables are CONFIG naming the variable', () => {
  withTmp((dir) => {
    const env = { HELIOS_TEST_PASS: 'correct horse battery staple' };
    const envKey = parseConfig(`[encryption]\nkey_source = { Environment = "HELIOS_TEST_KEY" }\n`, join(dir, 'a.toml'));
    assert.equal(databaseOptionsFromConfig(envKey, { path: join(dir, 'a.db') }).options.key, { env: 'HELIOS_TEST_KEY' });
    const missing = configError(() => openDatabaseFromConfig(envKey, { path: join(dir, 'a.db') }));
    assert.match(missing.message, /HELIOS_TEST_KEY/);

    const viaEnv = parseConfig(`[encryption]\nkey_source = { PassphraseEnvironment = "HELIOS_TEST_PASS" }\n`, join(dir, 'b.toml'));
    let db = openDatabaseFromConfig(viaEnv, { path: join(dir, 'b.db'), env, kdf: FAST_KDF });
    assert.is(db.storageInfo().keySource, 'passphrase');
    assert.is(db.storageInfo().kdf, 'argon2id');
    db.exec('CREATE TABLE p (a); INSERT INTO p VALUES (7)');
    db.close();
    const unset = configError(() => openDatabaseFromConfig(viaEnv, { path: join(dir, 'b.db'), env: {} }));
    assert.match(unset.message, /HELIOS_TEST_PASS/);

    writeFileSync(join(dir, 'pass.txt'), 'correct horse battery staple\r\n');
    const viaFile = parseConfig(`[encryption]\nkey_source = { PassphraseFile = "pass.txt" }\n`, join(dir, 'c.toml'));
    db = openDatabaseFromConfig(viaFile, { path: join(dir, 'b.db') });
    assert.equal(db.prepare('SELECT a FROM p').pluck().all(), [7], 'the file passphrase (CRLF stripped) equals the env one');
    db.close();
    writeFileSync(join(dir, 'empty.txt'), '\n');
    const empty = parseConfig(`[encryption]\nkey_source = { PassphraseFile = "empty.txt" }\n`, join(dir, 'd.toml'));
    configError(() => openDatabaseFromConfig(empty, { path: join(dir, 'b.db') }));
  });
});

test('fips_mode = true refuses to open a database that was not created in FIPS mode', () => {
  withTmp((dir) => {
    const keyFile = join(dir, 'k');
    writeFileSync(keyFile, KEY_HEX);
    const path = join(dir, 'plainmode.db');
    new Database(path, { key: { file: keyFile } }).close();
    const e = configError(() => openDatabaseFromConfig(join(CONFIG_DIR, 'heliosdb_fips.toml'), { path, key: { file: keyFile } }));
    assert.match(e.message, /FIPS/);
    assert.is(e.details.file, join(CONFIG_DIR, 'heliosdb_fips.toml'));
    const again = new Database(path, { key: { file: keyFile } });
    assert.is(again.storageInfo().fipsMode, false, 'the refused open left the database usable');
    again.close();
  });
});

test('encryption.enabled = false opens an unencrypted database; a key with it is refused', () => {
  withTmp((dir) => {
    const c = parseConfig('[database]\npath = "plain.db"\n[encryption]\nenabled = false\n', join(dir, 'p.toml'));
    const db = openDatabaseFromConfig(c);
    assert.is(db.storageInfo().encryptionEnabled, false);
    db.close();
    const e = configError(() => parseConfig('[encryption]\nenabled = false\nkey_source = { File = "/k" }\n', 'p.toml'));
    assert.match(e.message, /^p\.toml:3: encryption\.key_source/);
    configError(() => parseConfig('[encryption]\nenabled = false\n[compliance]\npci_dss_mode = true\n', 'p.toml'));
    configError(() => parseConfig('[encryption]\nenabled = false\nfips_mode = true\n', 'p.toml'));
  });
});

test('unknown sections and keys are CONFIG errors naming the file, the key and the line', () => {
  const base = readFileSync(join(CONFIG_DIR, 'heliosdb.toml'), 'utf8');
  let e = configError(() => parseConfig(base + '\n[replication]\nenabled = true\n', 'heliosdb.toml'));
  assert.is(e.details.file, 'heliosdb.toml');
  assert.is(e.details.line, 20);
  assert.match(e.message, /^heliosdb\.toml:20: replication: unknown section/);

  e = configError(() => parseConfig(base.replace('enable_wal = true', 'enable_wall = true'), 'heliosdb.toml'));
  assert.is(e.details.line, 5);
  assert.match(e.message, /database\.enable_wall: unknown key/);

  e = configError(() => parseConfig('top_level = 1\n', 'x.toml'));
  assert.match(e.message, /^x\.toml:1: top_level: unknown key/);

  e = configError(() => parseConfig('[database.extra]\na = 1\n', 'x.toml'));
  assert.match(e.message, /database\.extra: unknown key/);
});

test('wrong types are CONFIG errors that never echo the value', () => {
  const secret = 'deadbeef'.repeat(8);
  const cases: [string, RegExp][] = [
    [`[encryption]\nenabled = "${secret}"\n`, /^t\.toml:2: encryption\.enabled: must be a boolean/],
    [`[database]\nmemory_limit_mb = "${secret}"\n`, /must be an integer, not a string/],
    [`[database]\nmemory_limit_mb = 51.5\n`, /must be an integer, not a float/],
    [`[database]\npath = 12\n`, /database\.path: must be a string/],
    [`[logging]\naudit_log_path = true\n`, /logging\.audit_log_path: must be a string/],
    [`[encryption]\nkey_source = "${secret}"\n`, /key_source: must be an inline table/],
    [`[encryption]\nkey_source = { File = 12 }\n`, /File must be a string/],
    [`[encryption]\nkey_source = { Raw = "${secret}" }\n`, /key_source: unknown form/],
    [`[encryption]\nkey_source = { File = "/a", Environment = "B" }\n`, /exactly one source/],
    [`[encryption]\nkey_source = { Environment = "${secret} x" }\n`, /environment variable name/],
    [`[encryption]\nkey_source = { Kms = "arn" }\n`, /KMS key source is not supported/],
    [`[encryption]\nalgorithm = "ChaCha20Poly1305"\n`, /unsupported algorithm/],
    [`[database]\nenable_wal = false\n`, /enable_wal: cannot be false/],
    [`[database]\npage_size = 1000\n`, /power of two/],
    [`[database]\nmemory_limit_mb = 0\n`, /from 1 to/],
    [`[database]\nsynchronous = "always"\n`, /"full", "normal" or "off"/],
    [`[database]\nsynchronous = "off"\n[iot]\npower_loss_protection = true\n`, /contradicts database\.synchronous/],
    [`[encryption]\nrotation_interval_days = -1\n`, /from 1 to/],
    [`[gdpr]\naudit_retention_days = 2024-01-01\n`, /must be an integer, not a date\/time/],
    [`[encryption]\nenabled = true\nenabled = false\n`, /invalid TOML/],
  ];
  for (const [text, re] of cases) {
    const e = configError(() => parseConfig(text, 't.toml'));
    assert.match(e.message, re, text);
    assert.not.ok(e.message.includes(secret), `value echoed: ${e.message}`);
    assert.not.ok(e.message.includes('ChaCha20Poly1305'), `value echoed: ${e.message}`);
  }
});

test('TOML syntax errors name the file, line and column without the excerpt of the file', () => {
  const e = configError(() => parseConfig('[encryption]\nkey_source = { File = "/secure/k.key"\npassword = "hunter2-hunter2"\n', 'bad.toml'));
  assert.match(e.message, /^bad\.toml:\d+:\d+: invalid TOML: /);
  assert.ok(typeof e.details.line === 'number' && e.details.line >= 2);
  assert.not.ok(e.message.includes('hunter2'), e.message);
  assert.not.ok(e.message.includes('/secure/k.key'), e.message);
});

test('an unreadable file, a missing path and bad arguments are typed errors', () => {
  const e = configError(() => loadConfig(join(CONFIG_DIR, 'does-not-exist.toml')));
  assert.match(e.message, /ENOENT/);
  configError(() => databaseOptionsFromConfig(parseConfig('[encryption]\nenabled = false\n', 'n.toml')));
  try {
    loadConfig('');
    assert.unreachable();
  } catch (err) {
    assert.ok(err instanceof HeliosError && err.code === 'INVALID_ARGUMENT');
  }
});

test('property: any document built from known and unknown sections, keys and values parses or is CONFIG with a line in the file, never echoing a value', () => {
  const SECRET = 'S3CR3T-VALUE';
  const sections = ['database', 'encryption', 'logging', 'compliance', 'gdpr', 'backup', 'security', 'offline', 'iot', 'replication', 'database.sub', '"quoted"'];
  const keys = ['path', 'create_dirs', 'memory_limit_mb', 'enable_wal', 'page_size', 'synchronous', 'enabled', 'algorithm', 'key_source', 'fips_mode', 'rotation_interval_days',
    'audit_log_enabled', 'pci_dss_mode', 'prohibit_plaintext_card', 'power_loss_protection', 'network_disabled', 'unknown_key', 'data_residency'];
  const values = [
    'true', 'false', '0', '1', '512', '-5', '4096', '1.5', 'inf', 'nan', `"${SECRET}"`, '"full"', '"off"', '"Aes256Gcm"', `"${SECRET}/db"`,
    `{ File = "${SECRET}" }`, `{ Environment = "${SECRET}" }`, '{ Environment = "HELIOS_K" }', `{ PassphraseFile = "${SECRET}" }`, `{ Kms = "${SECRET}" }`,
    `{ File = "${SECRET}", Environment = "X" }`, `[1, "${SECRET}"]`, '2024-01-01T00:00:00Z', `"""${SECRET}"""`, `'${SECRET}'`,
  ];
  const line = fc.oneof(
    fc.constantFrom(...sections).map((sct) => `[${sct}]`),
    fc.tuple(fc.constantFrom(...keys), fc.constantFrom(...values)).map(([k, v]) => `${k} = ${v}`),
    fc.constantFrom('', '# comment', `# ${SECRET}`, '[[array]]', 'broken = ', `= "${SECRET}"`, `x = "${SECRET}`),
  );
  fc.assert(
    fc.property(fc.array(line, { maxLength: 14 }), (lines) => {
      const text = lines.join('\n');
      try {
        const c = parseConfig(text, 'prop.toml');
        assert.type(c.encryption.enabled, 'boolean');
        for (const x of [...c.applied, ...c.ignored]) assert.ok(x.line >= 0 && x.line <= lines.length);
      } catch (e) {
        if (!(e instanceof HeliosError)) throw e;
        assert.is(e.code, 'CONFIG', e.message);
        assert.not.ok(e.message.includes(SECRET), e.message);
        if (e.details.line !== undefined) assert.ok(e.details.line >= 1 && e.details.line <= Math.max(1, lines.length), e.message);
      }
    }),
    fuzzParams(400),
  );
});


test('[CRY-ROTATE-8] [AUD-OPS-2] rotation_interval_days and [logging] become the API options; their mistakes are CONFIG', () => {
  const c = parseConfig(
    `[database]\npath = "db"\n[encryption]\nkey_source = { Environment = "K" }\nrotation_interval_days = 30\n[logging]\naudit_log_enabled = true\naudit_log_path = "logs/audit.log"\nlog_encryption_operations = false\n`,
    '/etc/helios/h.toml',
  );
  const { options } = databaseOptionsFromConfig(c);
  assert.is(options.rotationIntervalDays, 30);
  assert.equal(options.auditLog, { path: '/etc/helios/logs/audit.log', routine: false });
  const off = parseConfig(`[logging]\naudit_log_enabled = false\naudit_log_path = "a.log"\n`, '/x/h.toml');
  assert.is(databaseOptionsFromConfig(off, { path: 'db' }).options.auditLog, undefined);
  assert.match(off.applied.find((s) => s.key === 'logging.audit_log_path')!.note, /not used/);
  for (const [text, re] of [
    [`[logging]\naudit_log_enabled = true\n`, /no logging\.audit_log_path/],
    [`[encryption]\nenabled = false\nrotation_interval_days = 30\n`, /unencrypted database has no data key/],
    [`[logging]\naudit_log_path = ""\n`, /must be a file path/],
  ] as const) {
    try {
      parseConfig(text, 'h.toml');
      assert.unreachable(text);
    } catch (e) {
      assert.ok(isHeliosError(e, 'CONFIG'), String(e));
      assert.match((e as Error).message, re);
    }
  }
});

test.run();
