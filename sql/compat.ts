/**
 * The better-sqlite3 drop-in: `Sqlite3Database`, what `import Database from
 * 'heliosdb-lite'` and `require('heliosdb-lite')` give. Code written for
 * better-sqlite3 runs unchanged on it; HeliosDB's own class (`Database`,
 * sql/database.ts, the named export) keeps HeliosDB's conventions
 * (HeliosError codes, integral numbers bind as INTEGER, foreign keys off).
 *
 * What the drop-in does as better-sqlite3 does (its test suite is the
 * specification: scripts/bs3-suite.test.ts runs it):
 * - `Database(path?, options?)`, with or without `new`; `''` or no path is a
 *   temporary anonymous database (kept in memory), `':memory:'` too;
 *   options `readonly`, `fileMustExist`, `timeout`, `verbose` checked with
 *   better-sqlite3's TypeError / RangeError; an unknown option is refused.
 *   HeliosDB's own options (`key`, `encryption`, `synchronous`, …) are
 *   accepted too. Without `key` the database is created unencrypted
 *   (code moving from better-sqlite3 passes none); with `key` every byte
 *   on disk is sealed, as with HeliosDB's own class.
 * - errors: `SqliteError` with SQLite's `SQLITE_*` code (and `heliosCode`),
 *   TypeError / RangeError for misuse (compat-errors.ts);
 * - foreign keys enforced by default (better-sqlite3 compiles SQLite so);
 * - numbers bind as REAL, bigints as INTEGER, BLOBs come back as Buffer;
 * - `function`, `aggregate`, `table` (compat-functions.ts),
 *   `defaultSafeIntegers`, `unsafeMode`, `verbose`, the busy rules
 *   (compat-statement.ts).
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isHeliosError } from '../format/errors.ts';
import { Database, type DatabaseOptions, type StorageInfo } from './database.ts';
import type { ChangeKeyOptions, KdfOptions, KeySourceOption, RewriteProgress } from '../engine/engine.ts';
import type { RevokeOptions, RevokeResult } from '../engine/key-management.ts';
import type { BackupProgress } from '../engine/backup.ts';
import { PAGE_SIZE } from './pragma.ts';
import { parseOne } from './parser.ts';
import { createUserFunctions, type UserFunctions } from './user-functions.ts';
import { compatError, sqliteError, SqliteError, translating } from './compat-errors.ts';
import { Sqlite3Statement, type CompatConnection } from './compat-statement.ts';
import { blobOut } from './compat-values.ts';
import { registerAggregate, registerFunction, registerTable } from './compat-functions.ts';
import { runTransactionFunction } from './txn-control.ts';

export { SqliteError, Sqlite3Statement };

/** better-sqlite3's options, plus HeliosDB's own (DatabaseOptions). */
export interface Sqlite3Options extends Omit<DatabaseOptions, 'readonly' | 'fileMustExist'> {
  readonly readonly?: boolean;
  readonly fileMustExist?: boolean;
  /** Milliseconds a write waits while another connection writes (and an open for another process's lock) before SQLITE_BUSY (default 5000). */
  readonly timeout?: number;
  /** Called with the text of each statement run (parameters expanded). */
  readonly verbose?: ((message?: unknown, ...more: unknown[]) => void) | null;
}

const HELIOS_OPTIONS: readonly string[] = ['key', 'encryption', 'synchronous', 'rollbackWitness', 'fips', 'kdf', 'memtableBudgetBytes', 'memoryLimitMb', 'blockCacheBytes', 'tempMemoryLimit'];
const OPTIONS = new Set(['readonly', 'fileMustExist', 'timeout', 'verbose', ...HELIOS_OPTIONS]);
const MISSPELLED: Readonly<Record<string, string>> = { readOnly: 'readonly', filemustexist: 'fileMustExist', fileMustexist: 'fileMustExist', Timeout: 'timeout' };

type TxnMode = 'deferred' | 'immediate' | 'exclusive';

/** A transaction function as better-sqlite3's db.transaction() returns it. */
export interface Sqlite3Transaction<F extends (...args: never[]) => unknown> {
  (...args: Parameters<F>): ReturnType<F>;
  readonly default: Sqlite3Transaction<F>;
  readonly deferred: Sqlite3Transaction<F>;
  readonly immediate: Sqlite3Transaction<F>;
  readonly exclusive: Sqlite3Transaction<F>;
  readonly database: Sqlite3DatabaseImpl;
}

/** Sleeps `ms` milliseconds synchronously (the open waits for a lock, as SQLite's busy handler). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The drop-in's implementation; use it through Sqlite3Database (callable without `new`). */
export class Sqlite3DatabaseImpl {
  #inner: Database | null;
  readonly #name: string;
  readonly #memory: boolean;
  readonly #readonly: boolean;
  readonly #functions: UserFunctions;
  #safeIntegers = false;
  readonly #conn: CompatConnection;
  #savepointSeq = 0;

  constructor(filename?: unknown, options?: unknown) {
    if (filename === undefined || filename === null) filename = '';
    // better-sqlite3: a Buffer is a serialized database (here an image, db.serialize()), opened in memory.
    let image: Uint8Array | undefined;
    if (filename instanceof Uint8Array) {
      image = filename;
      filename = ':memory:';
    }
    if (typeof filename !== 'string') throw new TypeError('Expected first argument to be a string');
    if (options === undefined) options = {};
    if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new TypeError('Expected second argument to be an options object');
    const o = options as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      const right = MISSPELLED[k];
      if (right !== undefined) throw new TypeError(`Misspelled option "${k}" should be "${right}"`);
      if (!OPTIONS.has(k)) throw new TypeError(`Unknown option "${k}"`);
    }
    const bool = (k: string): boolean => {
      if (!(k in o)) return false;
      if (typeof o[k] !== 'boolean') throw new TypeError(`Expected the "${k}" option to be a boolean`);
      return o[k] as boolean;
    };
    const readonly = bool('readonly');
    const fileMustExist = bool('fileMustExist');
    let timeout = 5000;
    if ('timeout' in o) {
      const t = o.timeout;
      if (typeof t !== 'number' || !Number.isInteger(t) || t < 0) throw new TypeError('Expected the "timeout" option to be a positive integer');
      if (t > 0x7fffffff) throw new RangeError('Option "timeout" cannot be greater than 2147483647');
      timeout = t;
    }
    let verbose: ((sql: string) => void) | null = null;
    if ('verbose' in o && o.verbose !== undefined && o.verbose !== null) {
      const v = o.verbose;
      if (typeof v !== 'function') throw new TypeError('Expected the "verbose" option to be a function');
      verbose = (sql) => void (v as (s: string) => void).call(undefined, sql);
    }
    const anonymous = filename === '';
    const memory = anonymous || filename === ':memory:';
    if (memory && readonly && image === undefined) throw new TypeError('In-memory/temporary databases cannot be readonly');
    if (!memory) {
      const dir = dirname(resolve(filename));
      if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new TypeError('Cannot open database because the directory does not exist');
    }
    const inner: DatabaseOptions = {};
    const io = inner as Record<string, unknown>;
    for (const k of HELIOS_OPTIONS) if (o[k] !== undefined) io[k] = o[k];
    if (o.key === undefined && o.encryption === undefined) io.encryption = false;
    if (readonly) io.readonly = true;
    // better-sqlite3's SQLite has a 16000 KiB page cache (cache_size -16000): the same budget for the block cache.
    if (o.blockCacheBytes === undefined && o.memoryLimitMb === undefined) io.blockCacheBytes = 16000 * 1024;
    if (fileMustExist) io.fileMustExist = true;
    if (image !== undefined) io.image = image;
    this.#name = filename;
    this.#memory = memory;
    this.#readonly = readonly;
    this.#inner = openWaiting(memory ? ':memory:' : filename, inner, timeout);
    this.#functions = createUserFunctions();
    this.#inner.session.catalog.userFunctions = this.#functions;
    this.#inner.session.foreignKeys = true;
    this.#inner.session.settings.busyTimeout = timeout;
    this.#inner.session.settings.defensive = true;
    this.#inner.deferReadonlyCheck = true;
    const self = this;
    this.#conn = {
      busy: false,
      iterators: 0,
      unsafe: false,
      verbose,
      checkOpen() {
        if (self.#inner === null) throw new TypeError('The database connection is not open');
      },
    };
  }

  /** The path as given ('' for an anonymous temporary database). */
  get name(): string {
    return this.#name;
  }

  get memory(): boolean {
    return this.#memory;
  }

  get readonly(): boolean {
    return this.#readonly;
  }

  get open(): boolean {
    return this.#inner !== null;
  }

  get inTransaction(): boolean {
    return this.#inner !== null && this.#inner.inTransaction;
  }

  #db(): Database {
    if (this.#inner === null) throw new TypeError('The database connection is not open');
    return this.#inner;
  }

  #notBusy(): Database {
    const db = this.#db();
    if (this.#conn.busy) throw new TypeError('This database connection is busy executing a query');
    return db;
  }

  #noIterators(): Database {
    const db = this.#notBusy();
    if (this.#conn.iterators > 0 && !this.#conn.unsafe) throw new TypeError('This database connection is busy executing a query');
    return db;
  }

  prepare(source: string): Sqlite3Statement {
    const db = this.#notBusy();
    if (typeof source !== 'string') throw new TypeError('Expected first argument to be a string');
    const inner = translating(() => {
      const first = parseOne(source, 0);
      if (first.statement === null) throw new RangeError('The supplied SQL string contains no statements');
      if (!onlyCommentsFrom(source, first.end)) throw new RangeError('The supplied SQL string contains more than one statement');
      return db.prepare(source.slice(0, first.end));
    });
    return Sqlite3Statement.create(inner, source, this.#conn, this, this.#safeIntegers);
  }

  exec(source: string): this {
    const db = this.#noIterators();
    if (typeof source !== 'string') throw new TypeError('Expected first argument to be a string');
    const c = this.#conn;
    c.busy = true;
    try {
      let offset = 0;
      for (;;) {
        const r = parseOne(source, offset);
        if (r.statement === null) return this;
        offset = r.end;
        if (c.verbose !== null) c.verbose(r.statement.sql);
        db.exec(r.statement.sql);
      }
    } catch (e) {
      throw compatError(e);
    } finally {
      c.busy = false;
    }
  }

  pragma(source: string, options?: { simple?: boolean }): unknown {
    this.#noIterators();
    if (typeof source !== 'string') throw new TypeError('Expected first argument to be a string');
    if (options === undefined) options = {};
    if (options === null || typeof options !== 'object') throw new TypeError('Expected second argument to be an options object');
    let simple = false;
    if ('simple' in options) {
      if (typeof options.simple !== 'boolean') throw new TypeError('Expected the "simple" option to be a boolean');
      simple = options.simple;
    }
    const st = this.prepare(`PRAGMA ${source}`);
    if (!st.reader) {
      st.run();
      return simple ? undefined : [];
    }
    return simple ? st.pluck().get() : st.all();
  }

  transaction<F extends (...args: never[]) => unknown>(fn: F): Sqlite3Transaction<F> {
    this.#db();
    if (typeof fn !== 'function') throw new TypeError('Expected first argument to be a function');
    const self = this;
    const make = (mode: TxnMode): Sqlite3Transaction<F> =>
      function (this: unknown, ...args: Parameters<F>): ReturnType<F> {
        return self.#runTransaction(mode, fn, this, args) as ReturnType<F>;
      } as unknown as Sqlite3Transaction<F>;
    const modes = { deferred: make('deferred'), immediate: make('immediate'), exclusive: make('exclusive') };
    const props: PropertyDescriptorMap = {
      default: { value: modes.deferred },
      deferred: { value: modes.deferred },
      immediate: { value: modes.immediate },
      exclusive: { value: modes.exclusive },
      database: { value: this },
    };
    for (const m of Object.values(modes)) Object.defineProperties(m, props);
    return modes.deferred;
  }

  #runTransaction(mode: TxnMode, fn: (...args: never[]) => unknown, thisArg: unknown, args: unknown[]): unknown {
    this.#noIterators();
    const call = (): unknown => {
      const r = (fn as (...a: unknown[]) => unknown).apply(thisArg, args);
      if (r !== null && typeof r === 'object' && typeof (r as { then?: unknown }).then === 'function') throw new TypeError('Transaction function cannot return a promise');
      return r;
    };
    return runTransactionFunction(this, `BEGIN ${mode.toUpperCase()}`, () => `\`_bs3.sp.${++this.#savepointSeq}\``, call);
  }

  /** Defines a SQL function calling `fn` (options: varargs, deterministic, directOnly, safeIntegers). */
  function(name: string, optionsOrFn: unknown, fn?: unknown): this {
    this.#noIterators();
    registerFunction(this.#functions, { safeIntegers: this.#safeIntegers }, name, optionsOrFn, fn);
    return this;
  }

  /** Defines an aggregate (options: start, step, inverse, result, varargs, …); with inverse it is also a window function. */
  aggregate(name: string, options: unknown): this {
    this.#noIterators();
    registerAggregate(this.#functions, { safeIntegers: this.#safeIntegers }, name, options);
    return this;
  }

  /** Defines a table-valued function from a generator (options: columns, parameters, rows, safeIntegers, directOnly). */
  table(name: string, definition: unknown): this {
    this.#noIterators();
    registerTable(this.#functions, { safeIntegers: this.#safeIntegers }, name, definition);
    return this;
  }

  /**
   * Always fails with SQLITE_ERROR: HeliosDB-Lite is pure TypeScript and
   * cannot load SQLite's native (C) extensions (README, better-sqlite3 exceptions).
   */
  loadExtension(path: string, entryPoint?: string): never {
    this.#noIterators();
    if (typeof path !== 'string') throw new TypeError('Expected first argument to be a string');
    if (entryPoint !== undefined && typeof entryPoint !== 'string') throw new TypeError('Expected second argument to be a string');
    throw sqliteError('HeliosDB-Lite cannot load native SQLite extensions (it is pure TypeScript, with no native code): define the functions with db.function(), db.aggregate() or db.table()', 'SQLITE_ERROR');
  }

  /** Statements prepared from now on return INTEGER as bigint (or not); so do functions defined from now on. */
  defaultSafeIntegers(toggle?: boolean): this {
    if (toggle !== undefined && typeof toggle !== 'boolean') throw new TypeError('Expected first argument to be a boolean');
    this.#safeIntegers = toggle ?? true;
    return this;
  }

  /** Lets writes run while an iterator is open (better-sqlite3's unsafe mode). */
  unsafeMode(toggle?: boolean): this {
    this.#db();
    if (toggle !== undefined && typeof toggle !== 'boolean') throw new TypeError('Expected first argument to be a boolean');
    this.#conn.unsafe = toggle ?? true;
    this.#inner!.writesWhileIterating = this.#conn.unsafe;
    this.#inner!.session.settings.defensive = !this.#conn.unsafe;
    return this;
  }

  close(): this {
    if (this.#inner === null) return this;
    if (this.#conn.busy) throw new TypeError('This database connection is busy executing a query');
    const db = this.#inner;
    translating(() => db.close());
    this.#inner = null;
    return this;
  }

  /**
   * better-sqlite3's backup: resolves with `{ totalPages, remainingPages }` once `destination`
   * holds a complete, durable copy. It delegates to HeliosDB's online backup (Database.backup,
   * spec/backup.md): the copy is a database directory sealed with the same key (the files are
   * copied as they are). `progress({ totalPages, remainingPages })` is called as files are copied
   * (pages are 4096-byte units of the bytes to copy, PRAGMA page_size); a throw aborts the
   * backup. For another key or an unencrypted copy use HeliosDB's options on
   * `db.helios.backup(dest, { key } | { plain: true })`. Only the 'main' database exists (no ATTACH).
   */
  backup(destination: string, options?: { attached?: string; progress?: (info: { totalPages: number; remainingPages: number }) => number }): Promise<{ totalPages: number; remainingPages: number }> {
    try {
      const db = this.#db();
      if (typeof destination !== 'string') throw new TypeError('Expected first argument to be a string');
      if (destination.trim() === '') throw new TypeError('Backup filename cannot be an empty string');
      if (destination === ':memory:') throw new TypeError('Invalid backup filename ":memory:"');
      if (options === undefined) options = {};
      if (options === null || typeof options !== 'object') throw new TypeError('Expected second argument to be an options object');
      const attached = options.attached ?? 'main';
      if (typeof attached !== 'string') throw new TypeError('Expected the "attached" option to be a string');
      if (attached === '') throw new TypeError('The "attached" option cannot be an empty string');
      if (attached !== 'main') throw sqliteError(`unknown database ${attached}`, 'SQLITE_ERROR');
      const progress = options.progress;
      if (progress !== undefined && typeof progress !== 'function') throw new TypeError('Expected the "progress" option to be a function');
      const dir = dirname(resolve(destination));
      if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new TypeError('Cannot save backup because the directory does not exist');
      const pages = (bytes: number): number => Math.max(1, Math.ceil(bytes / PAGE_SIZE));
      const onProgress = (p: BackupProgress): void => {
        if (progress === undefined) return;
        const r = progress({ totalPages: pages(p.bytesTotal), remainingPages: pages(p.bytesTotal) - pages(p.bytesDone) });
        if (typeof r !== 'number' && r !== undefined) throw new TypeError('Expected the progress callback to return a number');
      };
      return db.backup(destination, { progress: onProgress }).then(
        (r) => ({ totalPages: pages(r.bytesTotal), remainingPages: 0 }),
        (e: unknown) => {
          throw compatError(e);
        },
      );
    } catch (e) {
      return Promise.reject(compatError(e));
    }
  }

  /**
   * better-sqlite3's serialize(): the database as one Buffer, which `new Database(buffer)` opens in
   * memory. Here it is an image of the database directory at its last commit (spec/format.md
   * [ENG-IMAGE-1]): its files framed together, still sealed under the database's key when it is
   * encrypted (open it with the same `key` option); plain bytes for an unencrypted database.
   * Only 'main' exists (no ATTACH).
   */
  serialize(options?: { attached?: string }): Uint8Array {
    return translating(() => {
      const db = this.#db();
      if (options === undefined) options = {};
      if (options === null || typeof options !== 'object') throw new TypeError('Expected first argument to be an options object');
      const attached = options.attached ?? 'main';
      if (typeof attached !== 'string') throw new TypeError('Expected the "attached" option to be a string');
      if (attached === '') throw new TypeError('The "attached" option cannot be an empty string');
      if (attached !== 'main') throw sqliteError(`unknown database ${attached}`, 'SQLITE_ERROR');
      this.#conn.checkOpen();
      return blobOut(db.serialize()) as Uint8Array;
    });
  }

  /** HeliosDB's own Database under this drop-in (its backup options, verifyIntegrity(), …). */
  get helios(): Database {
    return this.#db();
  }

  /** Encryption and format facts (HeliosDB's Database.storageInfo). */
  storageInfo(): StorageInfo {
    return translating(() => this.#db().storageInfo());
  }

  /** Replaces the key (HeliosDB's Database.changeKey; also PRAGMA rekey). */
  changeKey(newKey: KeySourceOption, options?: ChangeKeyOptions): this {
    translating(() => this.#noIterators().changeKey(newKey, options));
    return this;
  }

  /** Adds a key that also opens the database (HeliosDB's Database.addKey). */
  addKey(key: KeySourceOption, options?: { kdf?: KdfOptions }): this {
    translating(() => this.#noIterators().addKey(key, options));
    return this;
  }

  /** Removes the key slot `key` opens (HeliosDB's Database.removeKey). */
  removeKey(key: KeySourceOption): this {
    translating(() => this.#noIterators().removeKey(key));
    return this;
  }

  /** Starts a new data-key generation (HeliosDB's Database.rotateDataKey). */
  rotateDataKey(options?: { rewrite?: boolean; onProgress?: (p: RewriteProgress) => void }): number {
    return translating(() => this.#noIterators().rotateDataKey(options));
  }

  /** Revokes every earlier key (HeliosDB's Database.revokeKeys). */
  revokeKeys(options: RevokeOptions): RevokeResult {
    return translating(() => this.#noIterators().revokeKeys(options));
  }
}

/** Whether `sql` from `offset` holds only whitespace, comments and semicolons (better-sqlite3's tail rule). */
function onlyCommentsFrom(sql: string, offset: number): boolean {
  let i = offset;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (c === ';' || c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') i++;
    else if (c === '-' && sql[i + 1] === '-') {
      const j = sql.indexOf('\n', i + 2);
      i = j < 0 ? n : j + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const j = sql.indexOf('*/', i + 2);
      if (j < 0) return false;
      i = j + 2;
    } else return false;
  }
  return true;
}

/** Opens `path`, retrying for `timeoutMs` while another process holds its lock; then SQLITE_BUSY. */
function openWaiting(path: string, options: DatabaseOptions, timeoutMs: number): Database {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return new Database(path, options);
    } catch (e) {
      if (isHeliosError(e, 'LOCKED')) {
        const left = deadline - Date.now();
        if (left > 0) {
          sleepSync(Math.min(left, 25));
          continue;
        }
        throw sqliteError('database is locked', 'SQLITE_BUSY', 'LOCKED', e);
      }
      if (isHeliosError(e, 'CONFIG') || isHeliosError(e, 'NOT_A_DATABASE')) throw sqliteError(`unable to open database file: ${e.message}`, isHeliosError(e, 'CONFIG') ? 'SQLITE_CANTOPEN' : 'SQLITE_NOTADB', e.code, e);
      throw compatError(e);
    }
  }
}

/** The drop-in's constructor type: callable with or without `new`, and subclassable. */
export interface Sqlite3DatabaseConstructor {
  new (filename?: string | Uint8Array | null, options?: Sqlite3Options): Sqlite3DatabaseImpl;
  (filename?: string | Uint8Array | null, options?: Sqlite3Options): Sqlite3DatabaseImpl;
  readonly prototype: Sqlite3DatabaseImpl;
  readonly SqliteError: typeof SqliteError;
}

/** The better-sqlite3 drop-in class (the package's default export). */
export const Sqlite3Database: Sqlite3DatabaseConstructor = new Proxy(Sqlite3DatabaseImpl, {
  apply: (target, _this, args: unknown[]) => new target(...args),
}) as unknown as Sqlite3DatabaseConstructor;
Object.defineProperty(Sqlite3DatabaseImpl.prototype, 'constructor', { value: Sqlite3Database, writable: true, configurable: true, enumerable: false });
Object.defineProperty(Sqlite3DatabaseImpl, 'name', { value: 'Database' });
Object.defineProperty(Sqlite3DatabaseImpl, 'SqliteError', { value: SqliteError, writable: true, configurable: true, enumerable: false });

/** A drop-in database handle (the type of `new Sqlite3Database(...)`). */
export type Sqlite3Database = Sqlite3DatabaseImpl;
export type Sqlite3DatabaseInstance = Sqlite3DatabaseImpl;
