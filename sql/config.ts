/**
 * TOML configuration files (the seed's heliosdb.toml and friends) → checked
 * options for `new Database(...)`.
 *
 * ```ts
 * const config = loadConfig('/etc/heliosdb/heliosdb.toml');
 * if (!config.encryption.enabled) throw new Error('encryption is mandatory');
 * const db = openDatabaseFromConfig(config);            // [database] path, [encryption] key_source
 * const db2 = openDatabaseFromConfig('heliosdb.toml', { path: './ehr.db' });
 * ```
 *
 * Every key of a file falls in exactly one of three groups:
 *
 * - applied: it changes how the database is opened. `[database] path`,
 *   `memory_limit_mb` (exactly the API's `memoryLimitMb`: the engine's
 *   memtable — its write buffer — and its block cache of decrypted table
 *   blocks are each a quarter of the limit; it is not a cap on process
 *   memory), `enable_wal` (the WAL is always on: `false` is refused),
 *   `synchronous`; `[encryption] enabled`, `algorithm` ("Aes256Gcm" only),
 *   `key_source`, `fips_mode` (the runtime must report a FIPS provider, every
 *   AES-GCM/HKDF/PBKDF2 operation goes through node:crypto, PBKDF2 for
 *   passphrases of new databases; an existing database must have been
 *   created in FIPS mode);
 *   `[iot] power_loss_protection` (true → synchronous 'full', false →
 *   'normal'); `[compliance] pci_dss_mode` / `prohibit_plaintext_card` (when
 *   true, encryption must be enabled); `[encryption]`
 *   `rotation_interval_days` (scheduled data-key rotation); `[logging]`
 *   `audit_log_enabled` / `audit_log_path` / `log_encryption_operations`
 *   (the audit log, spec/audit-log.md); `[backup] backup_enabled`,
 *   `backup_path` (default `<database path>.backups`), `backup_encryption`
 *   (false → unencrypted backups), `backup_retention_days`: the backup set
 *   db.backup() without a destination writes to and prunes (DatabaseOptions
 *   .backup; nothing runs on a timer). Listed in `config.applied`.
 * - accepted but not acted on: `[database] page_size` (HeliosDB has no
 *   pages), and every key of `[gdpr]`,
 *   `[security]`, `[offline]` and the rest of `[compliance]`/`[iot]`. Their
 *   types are still checked. Listed in `config.ignored`, each with the reason,
 *   so that nobody believes HeliosDB acts on them because a file says so.
 * - anything else: an unknown section or key, a wrong type or value →
 *   HeliosError 'CONFIG' naming the file, the key and the line
 *   (`details.file`, `details.line`). Messages never contain the value of a
 *   key (a misplaced secret is not echoed).
 *
 * `[database] create_dirs = true` creates the missing parent directories of
 * the file's `path` when the database is new (false, the default: a missing
 * parent is IO naming it, as for `new Database`, which never creates parents).
 * It applies to the file's own path, not to an overridden one.
 *
 * `key_source` forms: `{ File = "path" }` (32 raw bytes or 64 hex chars),
 * `{ Environment = "VAR" }` (64 hex chars), `{ PassphraseFile = "path" }`
 * (the file's first line is the passphrase, Argon2id or PBKDF2),
 * `{ PassphraseEnvironment = "VAR" }`. Relative paths (database and key
 * files) are resolved against the directory of the configuration file;
 * `path = ":memory:"` is an in-memory database.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { HeliosError } from '../format/errors.ts';
import type { KeySourceOption, SynchronousMode } from '../engine/engine.ts';
import { resolveKeySource } from '../engine/engine.ts';
import { Database, type DatabaseOptions } from './database.ts';

/** Where the key comes from; paths are absolute. Never holds key material. */
export type ConfigKeySource =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'env'; readonly variable: string }
  | { readonly kind: 'passphrase-file'; readonly path: string }
  | { readonly kind: 'passphrase-env'; readonly variable: string };

/** One key of the file and what HeliosDB does with it. */
export interface ConfigSetting {
  /** Dotted name, e.g. 'logging.audit_log_enabled'. */
  readonly key: string;
  /** 1-based line in the file (0 when it cannot be located, e.g. a dotted key in an inline table). */
  readonly line: number;
  readonly note: string;
}

export interface HeliosConfig {
  /** The file name as given to loadConfig/parseConfig. */
  readonly fileName: string;
  /** @internal backup.path was derived from database.path (an overridden database path moves it). */
  readonly backupPathDefaulted?: boolean;
  readonly database: {
    /** Absolute path of the database directory, or null when the file names none. */
    readonly path: string | null;
    readonly memoryLimitMb: number | null;
    readonly enableWal: boolean;
    /** Advisory only (see the module comment). */
    readonly pageSize: number | null;
    readonly synchronous: SynchronousMode | null;
    /** `create_dirs`: missing parents of `path` are created for a new database (default false). */
    readonly createDirs?: boolean;
  };
  readonly encryption: {
    /** Default true (HeliosDB's default) when the file has no [encryption] section. */
    readonly enabled: boolean;
    readonly algorithm: 'Aes256Gcm';
    readonly keySource: ConfigKeySource | null;
    readonly fipsMode: boolean;
    /** Scheduled data-key rotation (the API's rotationIntervalDays), or null. */
    readonly rotationIntervalDays: number | null;
  };
  /** The audit log (spec/audit-log.md; the API's auditLog option). */
  readonly logging: {
    readonly auditLogEnabled: boolean;
    /** Absolute path, or null. */
    readonly auditLogPath: string | null;
    /** Whether routine opens and closes are logged (default true); key operations and failed unlocks always are. */
    readonly logEncryptionOperations: boolean;
  };
  /**
   * [backup]: the backup set db.backup() without a destination writes to
   * (spec/backup.md). Null when backup_enabled is absent or false.
   */
  readonly backup: {
    /** Absolute path of the backup set: backup_path, default `<database path>.backups`. */
    readonly path: string;
    /** false: the set's backups are unencrypted copies (backup_encryption = false). */
    readonly encryption: boolean;
    readonly retentionDays: number | null;
  } | null;
  /** Keys that change how the database is opened, with their effect. */
  readonly applied: readonly ConfigSetting[];
  /** Keys accepted (and type-checked) but not acted on, with the reason. */
  readonly ignored: readonly ConfigSetting[];
}

/** What openDatabaseFromConfig may replace; each wins over the file. */
export interface ConfigOverrides {
  /** Database directory (the seed opens './ehr.db' with a config naming another path). */
  readonly path?: string;
  /** Key source; replaces [encryption] key_source. */
  readonly key?: KeySourceOption;
  readonly synchronous?: SynchronousMode;
  readonly fileMustExist?: boolean;
  readonly readonly?: boolean;
  readonly kdf?: DatabaseOptions['kdf'];
  /** The clock of rotations and audit entries (tests move it). */
  readonly clock?: () => number;
  /** Audit log file; replaces [logging] audit_log_path (the log stays off unless audit_log_enabled = true). */
  readonly auditLogPath?: string;
  /** The audit log on for this open, whatever [logging] says (the shell's --audit-log). */
  readonly auditLog?: DatabaseOptions['auditLog'];
  /** Environment used to read PassphraseEnvironment variables. Default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** DatabaseOptions.interruptFlag. */
  readonly interruptFlag?: Int32Array;
}

type Kind = 'bool' | 'int' | 'string' | 'key_source';
interface KeySpec {
  readonly kind: Kind;
  /** Present for keys accepted but not acted on: the reason shown in `ignored`. */
  readonly ignored?: string;
}

const NO_AUDIT_LOG = "HeliosDB-Lite's audit log ([logging]) records security operations, not data access; log access in the application";
const INFORMATIONAL = 'informational: HeliosDB-Lite has no setting for it';

/** Every section and key a configuration file may contain. */
const SCHEMA: Readonly<Record<string, Readonly<Record<string, KeySpec>>>> = {
  database: {
    path: { kind: 'string' },
    memory_limit_mb: { kind: 'int' },
    enable_wal: { kind: 'bool' },
    page_size: { kind: 'int', ignored: 'HeliosDB-Lite stores sorted tables in sealed blocks, not pages; the value is only checked' },
    synchronous: { kind: 'string' },
    create_dirs: { kind: 'bool' },
  },
  encryption: {
    enabled: { kind: 'bool' },
    algorithm: { kind: 'string' },
    key_source: { kind: 'key_source' },
    fips_mode: { kind: 'bool' },
    rotation_interval_days: { kind: 'int' },
  },
  logging: {
    audit_log_enabled: { kind: 'bool' },
    audit_log_path: { kind: 'string' },
    log_encryption_operations: { kind: 'bool' },
  },
  compliance: {
    pci_dss_mode: { kind: 'bool' },
    log_card_data_access: { kind: 'bool', ignored: NO_AUDIT_LOG },
    prohibit_plaintext_card: { kind: 'bool' },
    framework: { kind: 'string', ignored: INFORMATIONAL },
    fda_21_cfr_part_11: { kind: 'bool', ignored: INFORMATIONAL },
  },
  gdpr: {
    data_residency: { kind: 'string', ignored: 'HeliosDB-Lite keeps data in the database directory only and never sends it anywhere' },
    anonymization_enabled: { kind: 'bool', ignored: 'erasure and anonymization are done with SQL (DELETE/UPDATE) by the application' },
    audit_retention_days: { kind: 'int', ignored: NO_AUDIT_LOG },
  },
  backup: {
    backup_enabled: { kind: 'bool' },
    backup_encryption: { kind: 'bool' },
    backup_retention_days: { kind: 'int' },
    backup_path: { kind: 'string' },
  },
  security: {
    classification_level: { kind: 'string', ignored: INFORMATIONAL },
    access_control: { kind: 'string', ignored: 'HeliosDB-Lite has no users or access control; protect the key and the directory' },
    audit_all_operations: { kind: 'bool', ignored: NO_AUDIT_LOG },
  },
  offline: {
    network_disabled: { kind: 'bool', ignored: 'HeliosDB-Lite never opens a network connection' },
    external_sync_disabled: { kind: 'bool', ignored: 'HeliosDB-Lite has no sync feature' },
    usb_transfer_only: { kind: 'bool', ignored: INFORMATIONAL },
  },
  iot: {
    power_loss_protection: { kind: 'bool' },
    flash_optimization: { kind: 'bool', ignored: INFORMATIONAL },
    edge_mode: { kind: 'bool', ignored: INFORMATIONAL },
  },
};

const MIB = 1024 * 1024;
const SYNC_MODES: readonly SynchronousMode[] = ['full', 'normal', 'off'];
const KEY_SOURCE_FORMS = '{ File = "path" }, { Environment = "VAR" }, { PassphraseFile = "path" } or { PassphraseEnvironment = "VAR" }';

/**
 * A TOML parser: the document as plain objects (integers as bigint), or CONFIG naming
 * `fileName`, line and column, never quoting the text (it may hold a secret). The loader
 * (sql/config-loader.ts) passes smol-toml's, so this module — and a bundle that does not load
 * configurations — does not depend on it.
 */
export type TomlParse = (text: string, fileName: string) => Record<string, unknown>;

/** loadConfig with the given TOML parser. */
export function loadConfigWith(parse: TomlParse, path: string): HeliosConfig {
  if (typeof path !== 'string' || path === '') throw new HeliosError('INVALID_ARGUMENT', 'config path must be a non-empty string');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : 'EIO';
    throw new HeliosError('CONFIG', `cannot read config file ${path}: ${code}`, { file: path, osCode: code });
  }
  return parseConfigWith(parse, text, path);
}

/** parseConfig with the given TOML parser. */
export function parseConfigWith(parse: TomlParse, text: string, fileName: string): HeliosConfig {
  if (typeof text !== 'string') throw new HeliosError('INVALID_ARGUMENT', 'config text must be a string');
  if (typeof fileName !== 'string' || fileName === '') throw new HeliosError('INVALID_ARGUMENT', 'config file name must be a non-empty string');
  return new ConfigChecker(text, fileName, parse(text, fileName)).check();
}

/**
 * The path and options `new Database(path, options)` takes for this
 * configuration, overrides applied. CONFIG when no path is given, or when a
 * passphrase source cannot be read.
 */
export function databaseOptionsFromConfig(config: HeliosConfig, overrides: ConfigOverrides = {}): { path: string; options: DatabaseOptions } {
  const path = overrides.path ?? config.database.path;
  if (path === null || path === undefined || path === '') {
    throw new HeliosError('CONFIG', `${config.fileName}: no database path ([database] path) and none given`, { file: config.fileName });
  }
  const o: {
    -readonly [K in keyof DatabaseOptions]: DatabaseOptions[K];
  } = {};
  if (!config.encryption.enabled) o.encryption = false;
  if (overrides.key !== undefined) o.key = overrides.key;
  else if (config.encryption.enabled && config.encryption.keySource !== null) o.key = keyOption(config, overrides.env);
  if (config.encryption.fipsMode) o.fips = true;
  if (overrides.interruptFlag !== undefined) o.interruptFlag = overrides.interruptFlag;
  const sync = overrides.synchronous ?? config.database.synchronous;
  if (sync !== null) o.synchronous = sync;
  if (config.database.memoryLimitMb !== null) o.memoryLimitMb = config.database.memoryLimitMb;
  if (config.encryption.rotationIntervalDays !== null) o.rotationIntervalDays = config.encryption.rotationIntervalDays;
  const auditPath = overrides.auditLogPath ?? config.logging.auditLogPath;
  if (overrides.auditLog !== undefined) o.auditLog = overrides.auditLog;
  else if (config.logging.auditLogEnabled && auditPath !== null) o.auditLog = { path: auditPath, routine: config.logging.logEncryptionOperations };
  if (overrides.clock !== undefined) o.clock = overrides.clock;
  if (overrides.fileMustExist !== undefined) o.fileMustExist = overrides.fileMustExist;
  if (overrides.readonly !== undefined) o.readonly = overrides.readonly;
  if (overrides.kdf !== undefined) o.kdf = overrides.kdf;
  const b = config.backup;
  if (b !== null) {
    // The default set sits beside the database the overrides name.
    const setPath = overrides.path !== undefined && config.backupPathDefaulted ? `${overrides.path.replace(/\/+$/, '')}.backups` : b.path;
    o.backup = { path: setPath, encryption: b.encryption, ...(b.retentionDays !== null ? { retentionDays: b.retentionDays } : {}) };
  }
  return { path, options: o };
}

/** openDatabaseFromConfig of a loaded configuration (sql/config-loader.ts reads a file first). */
export function openDatabaseWithConfig(c: HeliosConfig, overrides: ConfigOverrides = {}): Database {
  const { path, options } = databaseOptionsFromConfig(c, overrides);
  if (overrides.path === undefined && path !== ':memory:') prepareParentDir(c, path, options);
  const db = new Database(path, options);
  if (c.encryption.fipsMode && !db.storageInfo().fips.createdInFipsMode) {
    db.close();
    throw new HeliosError('CONFIG', `${c.fileName}: encryption.fips_mode = true but the database ${path} was not created in FIPS mode`, { file: c.fileName });
  }
  return db;
}

/**
 * The file's own database path, new, in a missing directory: created when the file says
 * `create_dirs = true` (never for a readonly or fileMustExist open: they create nothing), else
 * IO naming the directory and the key that would create it. The engine itself creates only
 * the database directory (engine/engine.ts createDatabaseDir).
 */
function prepareParentDir(c: HeliosConfig, path: string, options: DatabaseOptions): void {
  if (options.readonly === true || options.fileMustExist === true || existsSync(path)) return;
  const parent = dirname(path);
  if (existsSync(parent)) return;
  if (c.database.createDirs !== true) {
    throw new HeliosError('IO', `cannot create the database ${path}: its directory ${parent} does not exist (create it, or set create_dirs = true in [database] of ${c.fileName})`, { osCode: 'ENOENT' });
  }
  try {
    mkdirSync(parent, { recursive: true });
  } catch (e) {
    const code = typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : 'EIO';
    throw new HeliosError('IO', `cannot create ${parent} (database.create_dirs of ${c.fileName}): ${code}`, { osCode: code }, { cause: e });
  }
}

/** What memory_limit_mb (= the API's memoryLimitMb) gives the engine: the memtable and the block cache a quarter each. */
export function memoryBudgetsFor(memoryLimitMb: number): { readonly memtableBudgetBytes: number; readonly blockCacheBytes: number } {
  const limitBytes = memoryLimitMb * MIB;
  return { memtableBudgetBytes: Math.max(MIB, Math.floor(limitBytes / 4)), blockCacheBytes: Math.floor(limitBytes / 4) };
}

/** The configured key source as the API's key option; passphrase files and variables are read by resolveKeySource, as for `new Database`. */
function keyOption(config: HeliosConfig, env: Readonly<Record<string, string | undefined>> | undefined): KeySourceOption {
  const ks = config.encryption.keySource!;
  switch (ks.kind) {
    case 'file':
      return { file: ks.path };
    case 'env':
      return { env: ks.variable };
    case 'passphrase-file':
      return resolveKeySource({ passphraseFile: ks.path });
    case 'passphrase-env':
      return resolveKeySource({ passphraseEnv: ks.variable }, env !== undefined ? { env } : {});
  }
}

/** Walks the parsed document against SCHEMA; collects the applied/ignored lists. */
class ConfigChecker {
  private readonly lines: string[];
  private readonly baseDir: string;
  private readonly applied: ConfigSetting[] = [];
  private readonly ignored: ConfigSetting[] = [];

  constructor(
    text: string,
    private readonly fileName: string,
    private readonly doc: Record<string, unknown>,
  ) {
    this.lines = text.split(/\r?\n/);
    this.baseDir = dirname(resolve(fileName));
  }

  private fail(key: string, message: string): never {
    const line = this.lineOf(key);
    const at = line > 0 ? `${this.fileName}:${line}` : this.fileName;
    throw new HeliosError('CONFIG', `${at}: ${key}: ${message}`, line > 0 ? { file: this.fileName, line } : { file: this.fileName });
  }

  /**
   * The line that defines `key` ('section' or 'section.name'): a `[section]`
   * header, a `name = ` line inside it, or a dotted `section.name = ` line.
   * 0 when not found.
   */
  lineOf(key: string): number {
    const dot = key.indexOf('.');
    const section = dot < 0 ? key : key.slice(0, dot);
    const name = dot < 0 ? null : key.slice(dot + 1);
    let current = '';
    for (let i = 0; i < this.lines.length; i++) {
      const raw = this.lines[i]!;
      const header = /^\s*\[\s*([^\]]*?)\s*\]/.exec(raw);
      if (header !== null && !raw.trimStart().startsWith('[[')) {
        current = unquoteKey(header[1]!);
        if (name === null && current === section) return i + 1;
        continue;
      }
      const kv = /^\s*([^=#]+?)\s*=/.exec(raw);
      if (kv === null) continue;
      const k = unquoteKey(kv[1]!);
      const full = current === '' ? k : `${current}.${k}`;
      if (name === null ? full === section || full.startsWith(section + '.') : full === key) return i + 1;
    }
    return 0;
  }

  check(): HeliosConfig {
    for (const section of Object.keys(this.doc)) {
      const spec = SCHEMA[section];
      if (!Object.prototype.hasOwnProperty.call(SCHEMA, section) || spec === undefined) {
        this.fail(section, `unknown ${isTable(this.doc[section]) ? 'section' : 'key'} (known sections: ${Object.keys(SCHEMA).join(', ')})`);
      }
      const table = this.doc[section];
      if (!isTable(table)) this.fail(section, 'must be a section ([' + section + '])');
      for (const name of Object.keys(table)) {
        const keySpec = Object.prototype.hasOwnProperty.call(spec, name) ? spec[name] : undefined;
        if (keySpec === undefined) this.fail(`${section}.${name}`, `unknown key (known keys of [${section}]: ${Object.keys(spec).join(', ')})`);
        this.checkType(`${section}.${name}`, keySpec.kind, table[name]);
        if (keySpec.ignored !== undefined) this.ignored.push({ key: `${section}.${name}`, line: this.lineOf(`${section}.${name}`), note: keySpec.ignored });
      }
    }
    const db = this.section('database');
    const enc = this.section('encryption');
    const iot = this.section('iot');
    const compliance = this.section('compliance');

    let path: string | null = null;
    if (db.path !== undefined) {
      const p = db.path as string;
      if (p === '') this.fail('database.path', 'must not be empty');
      path = this.resolvePath(p);
      this.note('database.path', `database directory ${path}`);
    }
    let memoryLimitMb: number | null = null;
    if (db.memory_limit_mb !== undefined) {
      memoryLimitMb = this.positiveInt('database.memory_limit_mb', db.memory_limit_mb as bigint, 1 << 20);
      const b = memoryBudgetsFor(memoryLimitMb);
      this.note('database.memory_limit_mb', `memtable budget ${b.memtableBudgetBytes / MIB} MiB, block cache ${b.blockCacheBytes / MIB} MiB (not a cap on process memory)`);
    }
    const enableWal = (db.enable_wal as boolean | undefined) ?? true;
    if (!enableWal) this.fail('database.enable_wal', 'cannot be false: every commit goes through the write-ahead log (use synchronous to trade durability for speed)');
    if (db.enable_wal !== undefined) this.note('database.enable_wal', 'write-ahead log on (always)');
    let pageSize: number | null = null;
    if (db.page_size !== undefined) {
      pageSize = this.positiveInt('database.page_size', db.page_size as bigint, 65536);
      if ((pageSize & (pageSize - 1)) !== 0 || pageSize < 512) this.fail('database.page_size', 'must be a power of two from 512 to 65536');
    }
    let synchronous: SynchronousMode | null = null;
    if (db.synchronous !== undefined) {
      const s = db.synchronous as string;
      if (!(SYNC_MODES as readonly string[]).includes(s)) this.fail('database.synchronous', `must be "full", "normal" or "off"`);
      synchronous = s as SynchronousMode;
      this.note('database.synchronous', `synchronous '${s}'`);
    }
    const createDirs = (db.create_dirs as boolean | undefined) ?? false;
    if (db.create_dirs !== undefined) {
      if (createDirs && path === ':memory:') this.fail('database.create_dirs', 'is true but path = ":memory:" has no directory');
      this.note('database.create_dirs', createDirs ? 'missing parent directories of database.path are created for a new database' : 'a database.path whose parent directory is missing is refused (IO)');
    }
    if (iot.power_loss_protection !== undefined) {
      const want: SynchronousMode = iot.power_loss_protection === true ? 'full' : 'normal';
      if (synchronous !== null && synchronous !== want) {
        this.fail('iot.power_loss_protection', `contradicts database.synchronous (power_loss_protection = ${String(iot.power_loss_protection)} means synchronous "${want}")`);
      }
      synchronous = want;
      this.note('iot.power_loss_protection', want === 'full' ? `synchronous 'full': commits survive power loss` : `synchronous 'normal': commits survive a process crash, not power loss`);
    }

    const enabled = (enc.enabled as boolean | undefined) ?? true;
    if (enc.enabled !== undefined) this.note('encryption.enabled', enabled ? 'AES-256-GCM on every byte on disk' : 'unencrypted database (CRC32C only)');
    if (enc.algorithm !== undefined) {
      if (enc.algorithm !== 'Aes256Gcm') this.fail('encryption.algorithm', 'unsupported algorithm (the only one is "Aes256Gcm")');
      if (!enabled) this.fail('encryption.algorithm', 'is set but encryption.enabled = false');
      this.note('encryption.algorithm', 'AES-256-GCM');
    }
    let keySource: ConfigKeySource | null = null;
    if (enc.key_source !== undefined) {
      if (!enabled) this.fail('encryption.key_source', 'is set but encryption.enabled = false (an unencrypted database takes no key)');
      keySource = this.keySource(enc.key_source as Record<string, unknown>);
      this.note('encryption.key_source', describeKeySource(keySource));
    }
    const fipsMode = (enc.fips_mode as boolean | undefined) ?? false;
    if (fipsMode && !enabled) this.fail('encryption.fips_mode', 'is true but encryption.enabled = false');
    if (enc.fips_mode !== undefined) {
      this.note('encryption.fips_mode', fipsMode ? 'FIPS mode: the runtime must report a FIPS provider (crypto.getFips()), every AES-GCM/HKDF/PBKDF2 operation goes through it, PBKDF2-HMAC-SHA256 for passphrases of new databases; an existing database must be a FIPS one' : 'FIPS mode off');
    }
    let rotationIntervalDays: number | null = null;
    if (enc.rotation_interval_days !== undefined) {
      rotationIntervalDays = this.positiveInt('encryption.rotation_interval_days', enc.rotation_interval_days as bigint, 36500);
      if (!enabled) this.fail('encryption.rotation_interval_days', 'is set but encryption.enabled = false (an unencrypted database has no data key)');
      this.note('encryption.rotation_interval_days', `a new data-key generation every ${rotationIntervalDays} days (at open or commit); older files are re-sealed in the background and the old generation dropped`);
    }
    const log = this.section('logging');
    const auditLogEnabled = (log.audit_log_enabled as boolean | undefined) ?? false;
    let auditLogPath: string | null = null;
    if (log.audit_log_path !== undefined) {
      const p = log.audit_log_path as string;
      if (p === '' || p === ':memory:') this.fail('logging.audit_log_path', 'must be a file path');
      auditLogPath = this.resolvePath(p);
    }
    const logEncryptionOperations = (log.log_encryption_operations as boolean | undefined) ?? true;
    if (auditLogEnabled && auditLogPath === null) this.fail('logging.audit_log_enabled', 'is true but no logging.audit_log_path is given');
    if (log.audit_log_enabled !== undefined) this.note('logging.audit_log_enabled', auditLogEnabled ? 'tamper-evident audit log of key operations, failed unlocks, opens and closes (spec/audit-log.md)' : 'audit log off');
    if (auditLogPath !== null) this.note('logging.audit_log_path', auditLogEnabled ? `audit log appended to ${auditLogPath}` : 'not used: audit_log_enabled is not true');
    if (log.log_encryption_operations !== undefined) {
      this.note('logging.log_encryption_operations', logEncryptionOperations ? 'routine opens and closes are logged too' : 'routine opens and closes are not logged (key operations and failed unlocks still are)');
    }
    for (const k of ['pci_dss_mode', 'prohibit_plaintext_card'] as const) {
      if (compliance[k] === true) {
        if (!enabled) this.fail(`compliance.${k}`, 'is true but encryption.enabled = false');
        this.note(`compliance.${k}`, 'requires encryption.enabled (checked)');
      } else if (compliance[k] === false) {
        this.note(`compliance.${k}`, 'no requirement');
      }
    }

    const bk = this.section('backup');
    let backup: HeliosConfig['backup'] = null;
    let backupPathDefaulted = false;
    const backupEnabled = bk.backup_enabled === true;
    let retentionDays: number | null = null;
    if (bk.backup_retention_days !== undefined) retentionDays = this.positiveInt('backup.backup_retention_days', bk.backup_retention_days as bigint, 36500);
    const backupEncryption = (bk.backup_encryption as boolean | undefined) ?? true;
    if (bk.backup_enabled !== undefined) this.note('backup.backup_enabled', backupEnabled ? 'db.backup() without a destination writes an incremental backup to the backup set (HeliosDB runs no timer: call it from your scheduler)' : 'no backup set configured');
    if (backupEnabled) {
      let setPath: string;
      if (bk.backup_path !== undefined) {
        const p = bk.backup_path as string;
        if (p === '' || p === ':memory:') this.fail('backup.backup_path', 'must be a directory path');
        setPath = this.resolvePath(p);
      } else {
        if (path === null || path === ':memory:') this.fail('backup.backup_enabled', 'is true but there is no database path to put the backup set beside: set backup.backup_path');
        setPath = `${path}.backups`;
        backupPathDefaulted = true;
      }
      if (bk.backup_path !== undefined) this.note('backup.backup_path', `backup set ${setPath}`);
      if (bk.backup_encryption !== undefined) this.note('backup.backup_encryption', backupEncryption ? 'backups stay sealed with the database keys' : 'backups are UNENCRYPTED copies (asked for explicitly)');
      if (backupEncryption === false && compliance.prohibit_plaintext_card === true) this.fail('backup.backup_encryption', 'is false but compliance.prohibit_plaintext_card = true');
      if (retentionDays !== null) this.note('backup.backup_retention_days', `after each backup, backups older than ${retentionDays} days are removed (never the newest)`);
      backup = { path: setPath, encryption: backupEncryption, retentionDays };
    } else {
      for (const k of ['backup_encryption', 'backup_retention_days', 'backup_path'] as const) {
        if (bk[k] !== undefined) this.ignored.push({ key: `backup.${k}`, line: this.lineOf(`backup.${k}`), note: 'backup.backup_enabled is not true: no backup set is configured' });
      }
    }

    return {
      fileName: this.fileName,
      backup,
      backupPathDefaulted,
      database: { path, memoryLimitMb, enableWal, pageSize, synchronous, createDirs },
      encryption: { enabled, algorithm: 'Aes256Gcm', keySource, fipsMode, rotationIntervalDays },
      logging: { auditLogEnabled, auditLogPath, logEncryptionOperations },
      applied: this.applied,
      ignored: this.ignored,
    };
  }

  private section(name: string): Record<string, unknown> {
    const t = this.doc[name];
    return isTable(t) ? t : {};
  }

  private note(key: string, note: string): void {
    this.applied.push({ key, line: this.lineOf(key), note });
  }

  private resolvePath(p: string): string {
    return p === ':memory:' || isAbsolute(p) ? p : resolve(this.baseDir, p);
  }

  private positiveInt(key: string, v: bigint, max: number): number {
    if (v < 1n || v > BigInt(max)) this.fail(key, `must be an integer from 1 to ${max}`);
    return Number(v);
  }

  private checkType(key: string, kind: Kind, v: unknown): void {
    switch (kind) {
      case 'bool':
        if (typeof v !== 'boolean') this.fail(key, `must be a boolean (true or false), not ${tomlTypeName(v)}`);
        return;
      case 'int':
        if (typeof v !== 'bigint') this.fail(key, `must be an integer, not ${tomlTypeName(v)}`);
        return;
      case 'string':
        if (typeof v !== 'string') this.fail(key, `must be a string, not ${tomlTypeName(v)}`);
        return;
      case 'key_source':
        if (!isTable(v)) this.fail(key, `must be an inline table: ${KEY_SOURCE_FORMS}, not ${tomlTypeName(v)}`);
        return;
    }
  }

  private keySource(t: Record<string, unknown>): ConfigKeySource {
    const key = 'encryption.key_source';
    const names = Object.keys(t);
    if (names.length !== 1) this.fail(key, `must name exactly one source: ${KEY_SOURCE_FORMS}`);
    const form = names[0]!;
    const v = t[form];
    if (form === 'Kms' || form === 'KMS') this.fail(key, 'a KMS key source is not supported (HeliosDB-Lite runs without network access)');
    if (!['File', 'Environment', 'PassphraseFile', 'PassphraseEnvironment'].includes(form)) this.fail(key, `unknown form (use ${KEY_SOURCE_FORMS})`);
    if (typeof v !== 'string') this.fail(key, `${form} must be a string, not ${tomlTypeName(v)}`);
    if (v === '') this.fail(key, `${form} must not be empty`);
    switch (form) {
      case 'File':
        return { kind: 'file', path: this.resolvePath(v) };
      case 'PassphraseFile':
        return { kind: 'passphrase-file', path: this.resolvePath(v) };
      default:
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(v)) this.fail(key, `${form} must be an environment variable name (letters, digits, _)`);
        return form === 'Environment' ? { kind: 'env', variable: v } : { kind: 'passphrase-env', variable: v };
    }
  }
}

function describeKeySource(k: ConfigKeySource): string {
  switch (k.kind) {
    case 'file':
      return `raw key from file ${k.path}`;
    case 'env':
      return `raw key from environment variable ${k.variable}`;
    case 'passphrase-file':
      return `passphrase from file ${k.path}`;
    case 'passphrase-env':
      return `passphrase from environment variable ${k.variable}`;
  }
}

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function tomlTypeName(v: unknown): string {
  if (typeof v === 'boolean') return 'a boolean';
  if (typeof v === 'bigint') return 'an integer';
  if (typeof v === 'number') return 'a float';
  if (typeof v === 'string') return 'a string';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Date) return 'a date/time';
  return 'a table';
}

/** `"name"` / `'name'` / ` name ` → name; dotted parts joined with '.'. */
function unquoteKey(k: string): string {
  return k
    .split('.')
    .map((part) => part.trim().replace(/^"(.*)"$|^'(.*)'$/, (_m, a: string | undefined, b: string | undefined) => a ?? b ?? ''))
    .join('.');
}
