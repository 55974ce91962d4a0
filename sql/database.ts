/**
 * The public Database class, shaped like better-sqlite3's: synchronous,
 * one handle per open database directory (a second opener gets LOCKED).
 *
 * ```ts
 * const db = new Database('ehr.db', { key: { file: '/secure/ehr.key' } });
 * db.exec('CREATE TABLE IF NOT EXISTS patients (patient_id INTEGER PRIMARY KEY, mrn TEXT UNIQUE)');
 * db.prepare('INSERT INTO patients (mrn) VALUES (?)').run('MRN001234');
 * db.prepare('SELECT * FROM patients WHERE mrn = ?').get('MRN001234');
 * ```
 *
 * ':memory:' opens a database in an in-memory file system (unencrypted
 * unless a key is given: its bytes never reach a disk).
 *
 * Durability: a statement outside BEGIN … COMMIT (or a db.transaction()
 * function) commits when it returns; the commit survives a process crash
 * with synchronous 'normal' and power loss with 'full' (the default).
 */
import { HeliosError } from '../format/errors.ts';
import { runTransactionFunction } from './txn-control.ts';
import { openEngine, type Engine, type EngineOptions, type KeySourceOption, type SynchronousMode } from '../engine/engine.ts';
import type { AuditVerifyReport, ChangeKeyOptions, FipsStatus, KdfOptions, RewriteProgress, VacuumProgress } from '../engine/engine.ts';
import type { RevokeOptions, RevokeResult } from '../engine/key-management.ts';
import { createMemVfs } from '../engine/mem-vfs.ts';
import { captureEngineFiles, decodeImage, encodeImage, readDirectoryFiles, writeImageFiles } from '../engine/image.ts';
import type { Vfs } from '../engine/vfs-interface.ts';
import { createNodeVfs } from '../engine/node-vfs.ts';
import { parseOne } from './parser.ts';
import { Session } from './executor.ts';
import { Statement, outputValue } from './statement.ts';
import { defaultPragmaSettings } from './pragma.ts';
import { interruptFlagOption, withInterrupt } from './interrupt.ts';
import { backupEngine, type BackupResult } from '../engine/backup.ts';
import { engineBackupOptions, type BackupOptions, type BackupSetConfig } from './backup-options.ts';
import type { IntegrityProgress, IntegrityReport } from './integrity.ts';

export interface DatabaseOptions {
  /** With path ':memory:': open this database image (Database.serialize(), spec/format.md [ENG-IMAGE-1]) in memory. */
  readonly image?: Uint8Array;
  /** The key source; required for an encrypted database (the default). */
  readonly key?: KeySourceOption;
  /** false: a plain database (CRC32C instead of AES-256-GCM); no key allowed. Default true. */
  readonly encryption?: boolean;
  /** Default 'full'. Also settable with PRAGMA synchronous. */
  readonly synchronous?: SynchronousMode;
  /** Fail with CONFIG instead of creating a missing database. */
  readonly fileMustExist?: boolean;
  /**
   * Refuse every statement that writes, and open without writing one byte to
   * the directory (no LOCK, no recovery cleanup: works on read-only media;
   * beside a live writer it reads the snapshot of the moment it opened). A
   * missing database is CONFIG.
   */
  readonly readonly?: boolean;
  /**
   * A rollback witness on other storage (spec/format.md [ENG-WIT-1]): the
   * open refuses a directory older than the witness's last update.
   */
  readonly rollbackWitness?: { readonly path: string; readonly create?: boolean };
  /**
   * FIPS mode (TOML fips_mode): PBKDF2-HMAC-SHA256 instead of Argon2id for passphrase keys of
   * new databases, and every AES-GCM, HKDF and PBKDF2 operation through node:crypto (OpenSSL,
   * no JavaScript GHASH). The runtime must report a FIPS provider (crypto.getFips()), else the
   * open fails with CONFIG saying so. storageInfo().fips reports each part as it is.
   */
  readonly fips?: boolean;
  /** KDF parameters for a new passphrase database. */
  readonly kdf?: KdfOptions;
  /** Memtable budget in bytes before a flush to a table file. */
  readonly memtableBudgetBytes?: number;
  /** Whole-engine memory budget (the seed's memory_limit_mb): sizes the memtable and block cache. */
  readonly memoryLimitMb?: number;
  /** Bytes of decrypted blocks kept in the LRU block cache (default: a quarter of memoryLimitMb, or 8 MiB). */
  readonly blockCacheBytes?: number;
  /**
   * Bytes of intermediate rows (ORDER BY without an index, GROUP BY,
   * DISTINCT, compound sets, materialised subqueries) one query execution
   * may hold; past it the query fails with TOO_BIG. Default 512 MiB.
   * Intermediate rows never go to disk.
   */
  readonly tempMemoryLimit?: number;
  /**
   * Scheduled data-key rotation (the seed's rotation_interval_days): once the current data key
   * is this many days old, an open or a commit starts a new generation; later commits re-seal
   * older files in small slices and the old generation is dropped when no file uses it.
   */
  readonly rotationIntervalDays?: number;
  /**
   * The tamper-evident audit log of security operations (spec/audit-log.md; the seed's
   * [logging] section): appended to `path`; `routine: false` leaves out routine opens and
   * closes (log_encryption_operations = false).
   */
  readonly auditLog?: { readonly path: string; readonly routine?: boolean };
  /** Milliseconds since the epoch, default Date.now: the clock of rotations and audit entries (tests move it). */
  readonly clock?: () => number;
  /**
   * The interrupt flag (sql/interrupt.ts): element 0 non-zero stops the running
   * statement with INTERRUPTED. Pass an Int32Array on a SharedArrayBuffer to
   * interrupt from another thread (Atomics.store(flag, 0, 1)); db.interrupt()
   * sets it from this one. Default: a private flag.
   */
  readonly interruptFlag?: Int32Array;
  /** The backup set db.backup() writes to when called without a destination (the TOML [backup] section). */
  readonly backup?: BackupSetConfig;
}

/** One live data-key generation in storageInfo(). */
export interface DataKeyGenerationInfo {
  readonly generation: number;
  /** ISO 8601 creation time, or null when unknown (a readonly open of a database that never recorded it). */
  readonly createdAt: string | null;
  /** Age in days (fractional) by the handle's clock, or null. */
  readonly ageDays: number | null;
  /** Table files sealed with it, and their bytes. */
  readonly tables: number;
  readonly bytes: number;
}

/** What db.storageInfo() reports (the seed's get_storage_info). Never any key material. */
export interface StorageInfo {
  readonly encryptionEnabled: boolean;
  readonly encryptionAlgorithm: 'AES-256-GCM' | 'none';
  readonly kdf: string;
  readonly keySource: string;
  /** True only when FIPS mode is really in force: requested, approved algorithms, and every AES-GCM/HKDF/PBKDF2 operation in the FIPS provider the runtime reports (see fips). */
  readonly fipsMode: boolean;
  /** The parts of FIPS mode, each as it is (spec/threat-model.md). */
  readonly fips: FipsStatus;
  readonly formatVersion: number;
  readonly dataKeyGenerations: readonly number[];
  readonly currentDataKeyGeneration: number;
  readonly synchronous: SynchronousMode;
  /** Each live generation's age and size. */
  readonly dataKeyGenerationInfo: readonly DataKeyGenerationInfo[];
  /** The scheduled rotation interval, or null. */
  readonly rotationIntervalDays: number | null;
  /** ISO 8601 time the next scheduled rotation is due, or null (no schedule). */
  readonly nextRotationAt: string | null;
  /** The audit log file, or null when the audit log is off. */
  readonly auditLogPath: string | null;
}

type TxnMode = 'deferred' | 'immediate' | 'exclusive';

export interface TransactionFunction<A extends unknown[], R> {
  (...args: A): R;
  deferred: (...args: A) => R;
  immediate: (...args: A) => R;
  exclusive: (...args: A) => R;
}

const MEMORY_DIR = '/memory.db';

/** What an image holds: the last commit, manifest and key generation (a rekey changes the files, not the commits). */
function imagePoint(engine: Engine): string {
  const i = engine.info();
  return `${i.lastSeqNum}/${i.manifestFileNumber}/${i.currentGeneration}/${i.generations.join(',')}`;
}

export class Database {
  readonly name: string;
  readonly memory: boolean;
  readonly readonly: boolean;
  private engine: Engine | null;
  /** @internal */
  readonly session: Session;
  private savepointSeq = 0;
  /** The last image serialize() made or the constructor opened, and the point it holds. */
  private lastImage: { at: string; bytes: Uint8Array } | null = null;
  private engineVfs: Vfs | undefined;
  private readonly clock: () => number;
  private readonly backupSet: BackupSetConfig | undefined;
  /** Statements iterating now: while any is, only reads may run. */
  private iterators = 0;
  /** @internal The drop-in's unsafeMode (sql/compat.ts): writes may run while a statement iterates. */
  writesWhileIterating = false;
  /** @internal The drop-in: a readonly handle prepares writes, which fail when run (READONLY), as in SQLite. */
  deferReadonlyCheck = false;
  /** @internal The interrupt flag its statements check (sql/interrupt.ts). */
  readonly interruptFlag: Int32Array;

  constructor(path: string, options: DatabaseOptions = {}) {
    if (typeof path !== 'string' || path === '') throw new HeliosError('INVALID_ARGUMENT', 'Database path must be a non-empty string');
    if (options === null || typeof options !== 'object') throw new HeliosError('INVALID_ARGUMENT', 'options must be an object');
    this.name = path;
    this.interruptFlag = interruptFlagOption(options.interruptFlag);
    this.memory = path === ':memory:';
    this.readonly = options.readonly === true;
    const eo: EngineOptions = {
      createIfMissing: options.fileMustExist !== true,
      synchronous: options.synchronous ?? 'full',
    };
    if (options.key !== undefined) eo.key = options.key;
    if (options.encryption !== undefined) eo.encryption = options.encryption;
    if (this.memory && options.key === undefined && options.encryption === undefined) eo.encryption = false;
    if (options.fips !== undefined) eo.fips = options.fips;
    if (options.kdf !== undefined) eo.kdf = options.kdf;
    if (options.memtableBudgetBytes !== undefined) eo.memtableBudgetBytes = options.memtableBudgetBytes;
    if (options.memoryLimitMb !== undefined) eo.memoryLimitMb = options.memoryLimitMb;
    if (options.blockCacheBytes !== undefined) eo.blockCacheBytes = options.blockCacheBytes;
    if (this.readonly && !this.memory) eo.readonly = true;
    if (options.rollbackWitness !== undefined) eo.rollbackWitness = { ...options.rollbackWitness };
    if (this.memory) eo.vfs = this.engineVfs = createMemVfs();
    if (options.image !== undefined) {
      if (!this.memory || !(options.image instanceof Uint8Array)) throw new HeliosError('INVALID_ARGUMENT', "image must be a Uint8Array, with the path ':memory:'");
      writeImageFiles(eo.vfs!, MEMORY_DIR, decodeImage(options.image));
      eo.createIfMissing = false;
      if (this.readonly) eo.readonly = true;
    }
    if (options.rotationIntervalDays !== undefined) eo.rotationIntervalDays = options.rotationIntervalDays;
    if (options.auditLog !== undefined) {
      const a = options.auditLog;
      if (typeof a !== 'object' || a === null) throw new HeliosError('INVALID_ARGUMENT', 'auditLog must be { path: string, routine?: boolean }');
      eo.audit = { path: a.path, ...(a.routine !== undefined ? { routine: a.routine } : {}) };
    }
    if (options.clock !== undefined) eo.clock = options.clock;
    this.clock = options.clock ?? Date.now;
    const tml = options.tempMemoryLimit;
    if (tml !== undefined && (typeof tml !== 'number' || !Number.isSafeInteger(tml) || tml < 1024)) {
      throw new HeliosError('INVALID_ARGUMENT', 'tempMemoryLimit must be an integer number of bytes, at least 1024');
    }
    const bs = options.backup;
    if (bs !== undefined && (bs === null || typeof bs !== 'object' || typeof bs.path !== 'string' || bs.path === '')) {
      throw new HeliosError('INVALID_ARGUMENT', 'backup must be { path: string, retentionDays?: number, encryption?: boolean }');
    }
    this.backupSet = bs === undefined ? undefined : { ...bs };
    this.engine = openEngine(this.memory ? MEMORY_DIR : path, eo);
    if (options.image !== undefined) this.lastImage = { at: imagePoint(this.engine), bytes: options.image.slice() };
    try {
      this.session = new Session(this.engine);
      if (tml !== undefined) this.session.tempMemoryLimit = tml;
      const cacheBytes = options.blockCacheBytes ?? (options.memoryLimitMb !== undefined ? Math.floor((options.memoryLimitMb * 1024 * 1024) / 4) : 8 * 1024 * 1024);
      this.session.settings = defaultPragmaSettings(this.memory, cacheBytes);
      // VACUUM INTO from a ':memory:' database writes its copy to the real file system.
      if (this.memory) this.session.copyVfs = createNodeVfs();
    } catch (e) {
      this.engine.close();
      this.engine = null;
      throw e;
    }
  }

  /** Whether the handle is open. */
  get open(): boolean {
    return this.engine !== null;
  }

  /** Whether a transaction (BEGIN, SAVEPOINT or db.transaction) is active. */
  get inTransaction(): boolean {
    return this.engine !== null && this.session.inTxn;
  }

  /** @internal */
  checkOpen(): void {
    if (this.engine === null) throw new HeliosError('CLOSED', 'The database connection is not open');
  }

  /** @internal BUSY while a statement iterates (a write would change the rows it is reading). */
  checkNotBusy(): void {
    if (this.iterators > 0 && !this.writesWhileIterating) throw new HeliosError('BUSY', 'This database connection is busy executing a query');
  }

  /** @internal A readonly handle refuses what may write (at prepare, or at run for the drop-in). */
  checkWritable(): void {
    if (this.readonly) throw new HeliosError('READONLY', 'attempt to write a readonly database');
  }

  /** @internal */
  iterating(delta: 1 | -1): void {
    this.iterators += delta;
  }

  /** Compiles one statement. Trailing whitespace, comments and one ';' are allowed; more SQL is an error. */
  prepare(sql: string): Statement {
    this.checkOpen();
    if (typeof sql !== 'string') throw new HeliosError('INVALID_ARGUMENT', 'Expected first argument to be a string');
    const first = parseOne(sql, 0);
    if (first.statement === null) throw new HeliosError('INVALID_ARGUMENT', 'The supplied SQL string contains no statements');
    const rest = parseOne(sql, first.end);
    if (rest.statement !== null) throw new HeliosError('INVALID_ARGUMENT', 'The supplied SQL string contains more than one statement');
    const st = new Statement(this, first.statement, first.statement.sql);
    if (this.readonly && !st.readonly && !this.deferReadonlyCheck) throw new HeliosError('SQL_ERROR', 'attempt to write a readonly database');
    return st;
  }

  /** Runs every statement in `sql` (no parameters); stops at the first error. */
  exec(sql: string): this {
    this.checkOpen();
    this.checkNotBusy();
    if (typeof sql !== 'string') throw new HeliosError('INVALID_ARGUMENT', 'Expected first argument to be a string');
    let offset = 0;
    for (;;) {
      const r = parseOne(sql, offset);
      if (r.statement === null) return this;
      offset = r.end;
      const p = this.session.compile(r.statement);
      if (this.readonly && !p.readonly && (p.txnControl !== true || p.beginsWrite === true)) {
        if (this.deferReadonlyCheck) this.checkWritable();
        throw new HeliosError('SQL_ERROR', 'attempt to write a readonly database');
      }
      if (r.statement.parameters.count > 0) throw new HeliosError('MISMATCH', 'Too few parameter values were provided');
      withInterrupt(this.interruptFlag, true, () => this.session.run(p, [], () => true));
    }
  }

  /**
   * Wraps `fn` in a transaction: BEGIN … COMMIT, or a savepoint when a
   * transaction is already active (nesting). If `fn` throws, its changes are
   * rolled back and the error is rethrown.
   */
  transaction<A extends unknown[], R>(fn: (...args: A) => R): TransactionFunction<A, R> {
    if (typeof fn !== 'function') throw new HeliosError('INVALID_ARGUMENT', 'Expected first argument to be a function');
    const make = (mode: TxnMode) => (...args: A): R => this.runTransaction(mode, fn, args);
    const t = make('deferred') as TransactionFunction<A, R>;
    t.deferred = make('deferred');
    t.immediate = make('immediate');
    t.exclusive = make('exclusive');
    return t;
  }

  private runTransaction<A extends unknown[], R>(mode: TxnMode, fn: (...args: A) => R, args: A): R {
    this.checkOpen();
    return runTransactionFunction(this, `BEGIN ${mode.toUpperCase()}`, () => `_helios_sp_${++this.savepointSeq}`, () => {
      const result = fn(...args);
      if (result instanceof Promise) throw new HeliosError('INVALID_ARGUMENT', 'Transaction function cannot return a promise');
      return result;
    });
  }



  /**
   * Runs `PRAGMA <source>`. Returns the rows as objects, or with
   * `{ simple: true }` the first column of the first row.
   */
  pragma(source: string, options: { simple?: boolean } = {}): unknown {
    this.checkOpen();
    if (typeof source !== 'string') throw new HeliosError('INVALID_ARGUMENT', 'Expected first argument to be a string');
    const st = this.prepare(`PRAGMA ${source}`);
    if (!st.reader) {
      st.run();
      return options.simple ? undefined : [];
    }
    if (options.simple) return st.pluck().get();
    return st.all();
  }

  /** Encryption and format facts (the seed's get_storage_info). */
  storageInfo(): StorageInfo {
    this.checkOpen();
    const i = this.engine!.info();
    return {
      encryptionEnabled: i.encryptionEnabled,
      encryptionAlgorithm: i.encryptionEnabled ? 'AES-256-GCM' : 'none',
      kdf: i.kdf,
      keySource: i.keySource,
      fipsMode: i.fips.active,
      fips: { ...i.fips },
      formatVersion: i.formatVersion,
      dataKeyGenerations: [...i.generations],
      currentDataKeyGeneration: i.currentGeneration,
      synchronous: i.synchronous,
      dataKeyGenerationInfo: i.generationInfo.map((g) => ({
        generation: g.generation,
        createdAt: g.createdAtMs === null ? null : new Date(g.createdAtMs).toISOString(),
        ageDays: g.createdAtMs === null ? null : (this.clock() - g.createdAtMs) / 86_400_000,
        tables: g.tables,
        bytes: g.tableBytes,
      })),
      rotationIntervalDays: i.rotationIntervalDays,
      nextRotationAt: i.nextRotationAtMs === null ? null : new Date(i.nextRotationAtMs).toISOString(),
      auditLogPath: i.auditLogPath,
    };
  }

  /**
   * Verifies the audit log (default: this handle's auditLog path) for this database with its
   * key [AUD-VERIFY-1]: returns a report naming the first broken entry (changed, forged,
   * removed, reordered, or missing at the tail before the database's sealed checkpoint).
   * Errors: CONFIG (no path), IO.
   */
  verifyAuditLog(path?: string): AuditVerifyReport {
    this.checkOpen();
    if (path !== undefined && (typeof path !== 'string' || path === '')) throw new HeliosError('INVALID_ARGUMENT', 'path must be a non-empty string');
    return this.engine!.verifyAuditLog(path);
  }

  /**
   * @internal The audit hook of other operations (backup, restore, verify, import, export):
   * appends `op` with `outcome` to the audit log when it is on (spec/audit-log.md).
   */
  audit(op: string, outcome: string, extra?: { generation?: number | null; slot?: number | null }): void {
    this.checkOpen();
    this.engine!.audit(op, outcome, extra);
  }

  /**
   * Replaces the key this handle was opened with by `newKey` (passphrase, key file, env var or
   * raw key): only HELIOS is rewritten, atomically, in O(1) of the data size; afterwards the old
   * key gets WRONG_KEY. Other key slots (addKey) stay. Errors: CONFIG (unencrypted database,
   * bad key, KDF parameters out of bounds, fips differs), SQL_ERROR (readonly handle), IO.
   */
  changeKey(newKey: KeySourceOption, options: ChangeKeyOptions = {}): this {
    this.checkKeyChange();
    this.engine!.changeKey(newKey, options);
    return this;
  }

  /** Adds a second key (e.g. a recovery key) that also opens the database; at most 16. */
  addKey(key: KeySourceOption, options: { kdf?: KdfOptions } = {}): this {
    this.checkKeyChange();
    this.engine!.addKey(key, options);
    return this;
  }

  /** Removes the key slot `key` opens (WRONG_KEY if none); the last key cannot be removed (CONFIG). */
  removeKey(key: KeySourceOption): this {
    this.checkKeyChange();
    this.engine!.removeKey(key);
    return this;
  }

  /**
   * Starts data-key generation g+1: every file written from now on uses it, older files stay
   * readable. With `rewrite: true` every table is rewritten with it and the older generations
   * are dropped (progress through `onProgress`). Returns the new generation; storageInfo()
   * lists the live ones. Errors: CONFIG (unencrypted database), SQL_ERROR (readonly), IO.
   */
  rotateDataKey(options: { rewrite?: boolean; onProgress?: (p: RewriteProgress) => void } = {}): number {
    this.checkKeyChange();
    return this.engine!.rotateDataKey(options);
  }

  /**
   * Revokes every earlier key and every saved copy of HELIOS: a new keyring root and data key,
   * exactly `options.keys` open the database afterwards (list a recovery key to keep it), and
   * every file is re-sealed (Engine.revokeKeys, spec/crypto.md §8). changeKey does not do this.
   * Errors: CONFIG (unencrypted database, no keys), SQL_ERROR (readonly handle), IO.
   */
  revokeKeys(options: RevokeOptions): RevokeResult {
    this.checkKeyChange();
    return this.engine!.revokeKeys(options);
  }

  private checkKeyChange(): void {
    this.checkOpen();
    if (this.readonly) throw new HeliosError('SQL_ERROR', 'attempt to write a readonly database');
  }

  /**
   * Stops the statement running now (from a user function, or through a shared
   * interruptFlag from another thread) with INTERRUPTED at the next row it
   * pulls; it rolls back like any failed statement. With none running: no effect.
   */
  interrupt(): this {
    Atomics.store(this.interruptFlag, 0, 1);
    return this;
  }

  /**
   * Backs the database up while it stays usable (spec/backup.md): resolves
   * once the backup in `dest` is complete and durable. The backup holds
   * exactly the commits made before the call (not an open transaction's
   * changes) and opens as a database with the same key. By default the
   * files are copied as they are (still sealed); `key`/`passphrase` seals it
   * with another key (fresh data keys, full copy); `plain: true` makes an
   * unencrypted copy. With `set: true` `dest` is a backup set: each backup
   * goes into a new directory inside it and shares unchanged table files
   * with the previous one; `retentionDays` prunes older ones. Without `dest`
   * it writes to the configured set (DatabaseOptions.backup, TOML
   * [backup]). Errors: CONFIG (dest exists, no set configured), READONLY
   * (a readonly handle), CLOSED (closed meanwhile), IO.
   */
  backup(dest?: string, options: BackupOptions = {}): Promise<BackupResult> {
    try {
      this.checkOpen();
      if (this.readonly) throw new HeliosError('READONLY', 'a backup needs a writable handle (open the database without readonly)');
      const eo = engineBackupOptions(options, this.backupSet, dest !== undefined);
      const target = dest ?? this.backupSet?.path;
      if (target === undefined) throw new HeliosError('CONFIG', 'no backup destination given and no backup set configured ([backup] backup_enabled)');
      // spec/audit-log.md [AUD-OPS-1]: a backup is logged with its outcome (fail closed: an entry
      // that cannot be written rejects the backup's promise).
      return backupEngine(this.engine!, target, eo).then(
        (r) => {
          if (this.engine !== null) this.audit('backup', 'ok');
          return r;
        },
        (e: unknown) => {
          if (this.engine !== null) this.audit('backup', auditOutcome(e));
          throw e;
        },
      );
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * `VACUUM` with a progress hook: flushes and merges every table into the deepest level, so
   * deleted and overwritten rows no reader needs are dropped and their space given back.
   * `onProgress` is called synchronously after the flush, after each merge step and at the
   * end ({ stepsDone, stepsTotal, bytesDone, bytesTotal }). Errors as the statement: inside a
   * transaction SQL_ERROR, on a readonly handle SQL_ERROR (readonly).
   */
  vacuum(options: { onProgress?: (p: VacuumProgress) => void } = {}): this {
    this.checkOpen();
    if (options === null || typeof options !== 'object' || (options.onProgress !== undefined && typeof options.onProgress !== 'function')) {
      throw new HeliosError('INVALID_ARGUMENT', 'vacuum options must be { onProgress?: function }');
    }
    this.session.vacuumProgress = options.onProgress ?? null;
    try {
      this.exec('VACUUM');
    } finally {
      this.session.vacuumProgress = null;
    }
    return this;
  }

  /**
   * Reads and authenticates every block of every file, then checks the SQL
   * level (every index entry matches its row and back, NOT NULL); returns a
   * report instead of throwing for damage. PRAGMA integrity_check uses it.
   */
  verifyIntegrity(options: { onProgress?: (p: IntegrityProgress) => void } = {}): IntegrityReport {
    this.checkOpen();
    this.checkNotBusy();
    const report = this.session.verifyIntegrity(options.onProgress);
    this.audit('verify', report.ok ? 'ok' : 'failed'); // spec/audit-log.md [AUD-OPS-1]
    return report;
  }

  /**
   * An image of the database at its last commit (spec/format.md [ENG-IMAGE-1]): its files
   * framed into one byte string, copied as they are — sealed under the same key for an
   * encrypted database, plain bytes for an unencrypted one. `new Database(':memory:', { image })`
   * opens it. While nothing changes, the same bytes come back (also right after opening one).
   */
  serialize(): Uint8Array {
    this.checkOpen();
    this.checkNotBusy();
    const at = imagePoint(this.engine!);
    if (this.lastImage !== null && this.lastImage.at === at) return this.lastImage.bytes.slice();
    const files = this.readonly ? readDirectoryFiles(this.memory ? this.engineVfs! : createNodeVfs(), this.memory ? MEMORY_DIR : this.name) : captureEngineFiles(this.engine!);
    const bytes = encodeImage(files);
    this.lastImage = { at, bytes };
    return bytes.slice();
  }

  /** Rolls back an open transaction, persists, zeroes keys and releases the lock. Idempotent. */
  close(): this {
    if (this.engine === null) return this;
    this.checkNotBusy();
    try {
      this.session.abandon();
    } finally {
      const e = this.engine;
      this.engine = null;
      e.close();
    }
    return this;
  }
}

/**
 * Verifies the audit log of the database at `path` (for `heliosdb audit verify`): opens it
 * readonly with `options.key` (the open itself is not logged), verifies `options.auditLogPath`
 * and closes it. Errors as `new Database` and verifyAuditLog.
 */
export function verifyAuditLog(path: string, options: { key?: KeySourceOption; encryption?: boolean; auditLogPath: string }): AuditVerifyReport {
  if (options === null || typeof options !== 'object' || typeof options.auditLogPath !== 'string' || options.auditLogPath === '') {
    throw new HeliosError('INVALID_ARGUMENT', 'verifyAuditLog needs options.auditLogPath');
  }
  const db = new Database(path, { readonly: true, fileMustExist: true, ...(options.key !== undefined ? { key: options.key } : {}), ...(options.encryption !== undefined ? { encryption: options.encryption } : {}) });
  try {
    return db.verifyAuditLog(options.auditLogPath);
  } finally {
    db.close();
  }
}

export type { AuditVerifyReport };
export { outputValue };

/** An error as an audit outcome: `error-` and its code in lower case with dashes ("error-io"). */
function auditOutcome(e: unknown): string {
  const code = e instanceof HeliosError ? e.code : 'INTERNAL';
  return `error-${code.toLowerCase().replace(/_/g, '-')}`;
}
