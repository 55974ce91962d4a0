/**
 * The interactive shell (`heliosdb`): opens a database directory with a key,
 * reads SQL and dot commands, prints results. An application of the public
 * API: it imports only the package entry (index.ts; scripts/layers.test.ts
 * checks it). All terminal I/O is injected: main.ts wires it to the process
 * (terminal.ts for a TTY), tests drive it with a scripted input.
 *
 * ```
 * heliosdb [options] [DIR] [SQL]
 *   --key-file PATH        raw key file (32 bytes or 64 hex chars)
 *   --key-env VAR          raw key in an environment variable (64 hex chars)
 *   --passphrase           ask for a passphrase (not echoed)
 *   --passphrase-env VAR   passphrase in an environment variable
 *   --config FILE.toml     settings and key source from a configuration file
 *   --no-encryption        open/create an unencrypted database
 *   --create               create DIR when it does not exist
 *   --readonly             refuse statements that write
 *   --mode table|csv|json  output format (default table)
 *   --version              print the package version
 * ```
 * Without DIR (and without a config naming one) the database is ':memory:'.
 * With SQL the shell runs it and exits; otherwise it reads standard input:
 * statements may span lines and run once a line completes them with `;`
 * (strings, quoted names and comments may hold `;`), and a line starting
 * with `.` at a statement boundary is a dot command (`.help` lists them;
 * `.rekey`, `.addkey`, `.removekey` and `.rotate` manage keys).
 *
 * Errors print `Error [CODE]: message` on the error stream and the shell
 * goes on. Exit status (EXIT): 0 ok; 1 (input not interactive) a statement
 * or command failed; 2 bad arguments; 3 the database could not be opened
 * (missing, wrong key, locked, bad config, passphrase not given or the two
 * entries of a new one differ); 4 an internal error (a bug). An interactive
 * session exits 0 despite failed statements, like sqlite3.
 *
 * Secrets: the shell never prints key material. A passphrase read at the
 * terminal arrives as bytes, is asked twice when it becomes a new key
 * (start-up --create of a new database, .rekey, .addkey, .revoke), and is
 * zeroed after use (a non-ASCII one passes through a JS string for NFC
 * normalization, which cannot be erased: see the threat model).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Database,
  HeliosError,
  isHeliosError,
  loadConfig,
  openDatabaseFromConfig,
  renderReal,
  type ConfigOverrides,
  type ConfigSetting,
  type DatabaseOptions,
  type HeliosConfig,
  type KeySourceOption,
} from '../../index.ts';
import { VERSION } from './version.ts';
import { isBlankSql, newScanState, scanChunk } from './sql-complete.ts';
export { findTerminator, isBlankSql } from './sql-complete.ts';

export interface ShellWriter {
  write(text: string): unknown;
}

/** What readLine returns when the user pressed Ctrl-C: the partial statement is dropped. */
export const INTERRUPTED = Symbol('interrupted');

/** A terminal: reads one line (without its end-of-line), null at end of input. */
export interface ShellLineReader {
  readLine(prompt: string): Promise<string | null | typeof INTERRUPTED>;
}

export interface ShellOptions {
  /** Command-line arguments (without the program name). */
  readonly args: readonly string[];
  /** A whole script (SQL argument, tests), a stream of script chunks (piped standard input), or an interactive terminal. */
  readonly input: string | AsyncIterable<string | Uint8Array> | ShellLineReader;
  /** Results, .dump, .help, .info. */
  readonly output: ShellWriter;
  /** Errors, warnings and notes. Default: output. */
  readonly errors?: ShellWriter;
  /** Where --passphrase-env (and a config's PassphraseEnvironment) look. Default process.env.
   *  --key-env is read by the engine from process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Reads a passphrase without echoing it (for --passphrase); null when none was given (Ctrl-C, Ctrl-D, end of input).
   *  Bytes returned are zeroed by the shell after use. */
  readonly readSecret?: (prompt: string) => Promise<string | Uint8Array | null>;
  /** Milliseconds, for .timer. Default performance.now(). */
  readonly clock?: () => number;
  /** KDF parameters for a database created with a passphrase (default: the library's). */
  readonly kdf?: DatabaseOptions['kdf'];
}

export type OutputMode = 'table' | 'csv' | 'json';

/** Exit statuses scripts can rely on (README, "The shell"). */
export const EXIT = {
  /** Everything ran. */
  OK: 0,
  /** Input not interactive: at least one statement or dot command failed. */
  FAILED: 1,
  /** Bad command-line arguments. */
  USAGE: 2,
  /** The database could not be opened or created (missing, wrong key, locked, bad config, no passphrase). */
  NOT_OPENED: 3,
  /** A bug: an error that is not a HeliosError escaped. */
  INTERNAL: 4,
} as const;

export interface ShellArgs {
  path: string | null;
  sql: string | null;
  key: { kind: 'file' | 'env' | 'passphrase-env'; value: string } | { kind: 'passphrase' } | null;
  config: string | null;
  noEncryption: boolean;
  create: boolean;
  readonly: boolean;
  mode: OutputMode;
  help: boolean;
  version: boolean;
}

export const USAGE = `usage: heliosdb [options] [DIR] [SQL]
  --key-file PATH        raw key file (32 bytes or 64 hex chars)
  --key-env VAR          raw key in an environment variable (64 hex chars)
  --passphrase           ask for a passphrase (not echoed)
  --passphrase-env VAR   passphrase in an environment variable
  --config FILE.toml     settings and key source from a configuration file
  --no-encryption        open or create an unencrypted database
  --create               create DIR when it does not exist
  --readonly             refuse statements that write
  --mode table|csv|json  output format (default table)
  --version              print the version and exit
  -h, --help             this text
Without DIR the database is :memory:. With SQL, run it and exit.
Exit status: 0 ok, 1 a statement failed (input not interactive), 2 bad
arguments, 3 the database could not be opened, 4 internal error.
`;

const HELP = `.dump                  the whole database as SQL text (PLAINTEXT: handle it like the key)
.addkey KEY            add a key that also opens the database (a recovery key)
.bail on|off           stop a script at the first error (default off)
.exit / .quit          leave the shell
.headers on|off        column names in table and csv output
.help                  this text
.indexes [TABLE]       index names (of TABLE)
.info                  encryption, key source, format and configuration facts
.mode [table|csv|json] show or set the output format
.print TEXT            print TEXT
.read FILE             run the SQL and dot commands of FILE
.rekey KEY             replace the key this shell opened with by KEY (O(1): data stays)
.removekey KEY         remove the key slot KEY opens
.revoke KEY            make KEY the only key: new root and data key, every file re-sealed, so no
                       other key and no saved copy of HELIOS decrypts the database any more
.rotate [--rewrite]    start a new data-key generation (--rewrite: re-seal every table with it)
.schema [TABLE]        CREATE statements (of TABLE and its indexes)
.tables                table and view names
.timer on|off          print the run time of each statement
KEY is --key-file PATH, --key-env VAR, --passphrase-env VAR, or --passphrase
(asks at the terminal).
Statements end with ";" and may span lines; Ctrl-C drops a partial one.
`;

class UsageError extends Error {}

/** Parses the command line; throws UsageError. */
export function parseShellArgs(args: readonly string[]): ShellArgs {
  const a: ShellArgs = { path: null, sql: null, key: null, config: null, noEncryption: false, create: false, readonly: false, mode: 'table', help: false, version: false };
  const positional: string[] = [];
  const setKey = (k: NonNullable<ShellArgs['key']>): void => {
    if (a.key !== null) throw new UsageError('give at most one of --key-file, --key-env, --passphrase, --passphrase-env');
    a.key = k;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined || v === '') throw new UsageError(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case '--key-file':
        setKey({ kind: 'file', value: value() });
        break;
      case '--key-env':
        setKey({ kind: 'env', value: value() });
        break;
      case '--passphrase':
        setKey({ kind: 'passphrase' });
        break;
      case '--passphrase-env':
        setKey({ kind: 'passphrase-env', value: value() });
        break;
      case '--config':
        a.config = value();
        break;
      case '--no-encryption':
        a.noEncryption = true;
        break;
      case '--create':
        a.create = true;
        break;
      case '--readonly':
        a.readonly = true;
        break;
      case '--mode': {
        const m = value();
        if (m !== 'table' && m !== 'csv' && m !== 'json') throw new UsageError('--mode must be table, csv or json');
        a.mode = m;
        break;
      }
      case '-h':
      case '--help':
        a.help = true;
        break;
      case '--version':
        a.version = true;
        break;
      default:
        if (arg.startsWith('-') && arg !== '-' && positional.length === 0) throw new UsageError(`unknown option ${arg}`);
        positional.push(arg);
    }
  }
  if (positional.length > 2) throw new UsageError('too many arguments (quote the SQL as one argument)');
  a.path = positional[0] ?? null;
  a.sql = positional[1] ?? null;
  if (a.noEncryption && a.key !== null) throw new UsageError('--no-encryption takes no key');
  return a;
}

/** Runs the shell to the end of its input; resolves to the exit status. */
export async function runShell(options: ShellOptions): Promise<number> {
  const errors = options.errors ?? options.output;
  let args: ShellArgs;
  try {
    args = parseShellArgs(options.args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    errors.write(`heliosdb: ${e.message}\n${USAGE}`);
    return EXIT.USAGE;
  }
  if (args.help) {
    options.output.write(USAGE);
    return EXIT.OK;
  }
  if (args.version) {
    options.output.write(`heliosdb-lite ${VERSION}\n`);
    return EXIT.OK;
  }
  const input = options.input;
  const interactive = isLineReader(input) && args.sql === null;
  let opened: { db: Database; config: HeliosConfig | null; path: string };
  try {
    opened = await openFromArgs(args, options);
  } catch (e) {
    errors.write(formatError(e));
    return EXIT.NOT_OPENED;
  }
  const shell = new Shell(opened.db, opened.path, opened.config, options, args.mode, interactive);
  if (args.path !== null) shell.overridden.add('database.path');
  if (args.key !== null) shell.overridden.add('encryption.key_source');
  try {
    if (opened.config !== null && opened.config.ignored.length > 0) {
      errors.write(`note: ${opened.config.ignored.length} setting(s) of ${opened.config.fileName} are accepted but not acted on (see .info)\n`);
    }
    if (args.sql !== null) {
      await shell.runScript(args.sql);
    } else if (typeof input === 'string') {
      await shell.runScript(input);
    } else if (!isLineReader(input)) {
      await shell.runStream(input);
    } else {
      const info = opened.db.storageInfo();
      options.output.write(
        `HeliosDB-Lite shell: ${opened.path} (${info.encryptionEnabled ? `${info.encryptionAlgorithm}, key from ${info.keySource}` : 'unencrypted'}). Enter .help for help.\n`,
      );
      await shell.runInteractive(input);
    }
  } finally {
    if (opened.db.inTransaction) errors.write('warning: the open transaction was rolled back (no COMMIT before the end of input)\n');
    try {
      opened.db.close();
    } catch (e) {
      errors.write(formatError(e));
      shell.failed = true;
    }
  }
  return shell.failed && !interactive ? EXIT.FAILED : EXIT.OK;
}

function isLineReader(input: ShellOptions['input']): input is ShellLineReader {
  return typeof input === 'object' && input !== null && typeof (input as Partial<ShellLineReader>).readLine === 'function';
}

/** A passphrase as the key source takes it: UTF-8 bytes of its NFC form. `raw` is zeroed when a copy is made. */
function passphraseBytes(raw: string | Uint8Array): Uint8Array {
  if (typeof raw === 'string') return new TextEncoder().encode(raw.normalize('NFC'));
  if (raw.every((b) => b < 0x80)) return raw;
  const normalized = new TextEncoder().encode(new TextDecoder().decode(raw).normalize('NFC'));
  raw.fill(0);
  return normalized;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/**
 * Asks for a passphrase; twice when `isNew` (it becomes a key), compared.
 * Null when none was given. CONFIG when the two entries differ (both are zeroed).
 */
async function askPassphrase(readSecret: NonNullable<ShellOptions['readSecret']>, prompt: string, isNew: boolean, what: string): Promise<Uint8Array | null> {
  const first = await readSecret(prompt);
  if (first === null || first.length === 0) return null;
  const p = passphraseBytes(first);
  if (!isNew) return p;
  const second = await readSecret('Repeat the new passphrase: ');
  const q = second === null ? new Uint8Array(0) : passphraseBytes(second);
  const same = sameBytes(p, q);
  q.fill(0);
  if (!same) {
    p.fill(0);
    throw new HeliosError('CONFIG', `the passphrases differ; ${what}`);
  }
  return p;
}

async function openFromArgs(args: ShellArgs, o: ShellOptions): Promise<{ db: Database; config: HeliosConfig | null; path: string }> {
  const env = o.env ?? (typeof process !== 'undefined' ? process.env : {});
  let passphrase: Uint8Array | null = null;
  let key: KeySourceOption | undefined;
  switch (args.key?.kind) {
    case undefined:
      break;
    case 'file':
      key = { file: args.key.value };
      break;
    case 'env':
      key = { env: args.key.value };
      break;
    case 'passphrase-env': {
      const name = args.key.value;
      const v = env[name];
      if (v === undefined || v === '') throw new HeliosError('CONFIG', `environment variable ${name} (the passphrase) is not set or empty`);
      key = { passphrase: v };
      break;
    }
    case 'passphrase': {
      if (o.readSecret === undefined) throw new HeliosError('CONFIG', '--passphrase needs a terminal to ask on; use --passphrase-env VAR');
      const isNew = args.create && newDatabasePath(args);
      const p = await askPassphrase(o.readSecret, isNew ? 'New passphrase: ' : 'Passphrase: ', isNew, 'nothing created');
      if (p === null) throw new HeliosError('CONFIG', 'no passphrase given');
      passphrase = p;
      key = { passphrase };
      break;
    }
  }
  try {
    if (args.config !== null) {
      const config = loadConfig(args.config);
      const overrides: { -readonly [K in keyof ConfigOverrides]: ConfigOverrides[K] } = { env, readonly: args.readonly };
      if (o.kdf !== undefined) overrides.kdf = o.kdf;
      if (args.path !== null) overrides.path = args.path;
      if (key !== undefined) overrides.key = key;
      if (args.noEncryption && config.encryption.enabled) throw new HeliosError('CONFIG', `--no-encryption contradicts ${config.fileName} (encryption.enabled)`);
      const path = args.path ?? config.database.path ?? '';
      if (path !== ':memory:') overrides.fileMustExist = !args.create;
      return { db: withCreateHint(path, args.create, () => openDatabaseFromConfig(config, overrides)), config, path };
    }
    const path = args.path ?? ':memory:';
    const opts: { -readonly [K in keyof DatabaseOptions]: DatabaseOptions[K] } = { readonly: args.readonly };
    if (key !== undefined) opts.key = key;
    if (o.kdf !== undefined) opts.kdf = o.kdf;
    if (args.noEncryption) opts.encryption = false;
    if (path !== ':memory:') opts.fileMustExist = !args.create;
    return { db: withCreateHint(path, args.create, () => new Database(path, opts)), config: null, path };
  } finally {
    passphrase?.fill(0);
  }
}

/**
 * Whether the database the arguments name does not exist yet on disk (so a
 * passphrase typed now becomes its key and is asked twice). A config file
 * that cannot be read counts as "exists": opening reports the error.
 */
function newDatabasePath(args: ShellArgs): boolean {
  let path = args.path;
  if (path === null && args.config !== null) {
    try {
      path = loadConfig(args.config).database.path;
    } catch {
      return false;
    }
  }
  if (path === null || path === ':memory:') return false;
  return !existsSync(join(path, 'HELIOS'));
}

/** Adds "use --create" to the error for a database directory that does not exist. */
function withCreateHint(path: string, create: boolean, open: () => Database): Database {
  try {
    return open();
  } catch (e) {
    if (!create && path !== ':memory:' && isHeliosError(e, 'CONFIG') && !existsSync(path)) {
      throw new HeliosError('CONFIG', `${e.message} (use --create to create a new database)`, e.details, { cause: e });
    }
    throw e;
  }
}

/** `Error [CODE]: message` plus a newline. Non-HeliosErrors are bugs: INTERNAL. */
export function formatError(e: unknown): string {
  if (e instanceof HeliosError) return `Error [${e.code}]: ${e.message}\n`;
  return `Error [INTERNAL]: ${e instanceof Error ? e.message : String(e)}\n`;
}

const MAX_READ_DEPTH = 16;

class Shell {
  failed = false;
  /** Lines (each ending in \n) of a statement still waiting for its `;`. */
  private pending: string[] = [];
  private scan = newScanState();
  private headers = true;
  private timer = false;
  /** .bail on: input not interactive stops at the first failed statement or command (sqlite3's .bail). */
  private bail = false;
  private readDepth = 0;
  private quit = false;
  private readonly out: ShellWriter;
  private readonly err: ShellWriter;
  private readonly clock: () => number;
  private readonly env: Readonly<Record<string, string | undefined>>;
  private readonly readSecret: ShellOptions['readSecret'];
  private readonly kdf: ShellOptions['kdf'];
  /** A passphrase read at the terminal for the dot command being run (zeroed after it). */
  private secret: Uint8Array | null = null;
  /** Config keys the command line replaced (database.path, encryption.key_source). */
  readonly overridden = new Set<string>();

  constructor(
    private readonly db: Database,
    private readonly path: string,
    private readonly config: HeliosConfig | null,
    options: ShellOptions,
    private mode: OutputMode,
    private readonly interactive: boolean,
  ) {
    this.out = options.output;
    this.err = options.errors ?? options.output;
    this.clock = options.clock ?? (() => performance.now());
    this.env = options.env ?? (typeof process !== 'undefined' ? process.env : {});
    this.readSecret = options.readSecret;
    this.kdf = options.kdf;
  }

  async runInteractive(reader: ShellLineReader): Promise<void> {
    while (!this.quit) {
      const line = await reader.readLine(this.pending.length === 0 ? 'heliosdb> ' : '     ...> ');
      if (line === null) {
        this.out.write('\n');
        break;
      }
      if (line === INTERRUPTED) {
        this.pending = [];
        this.scan = newScanState();
        continue;
      }
      await this.feedLine(line);
    }
    if (!this.quit) this.finish();
  }

  /**
   * Feeds one line; a key command with --passphrase first asks for the
   * passphrase (twice when it becomes a key), which is zeroed afterwards.
   */
  private async feedLine(line: string): Promise<void> {
    if (this.pending.length === 0 && /^\s*\.(rekey|addkey|removekey|revoke)\s.*--passphrase(\s|$)/.test(line)) {
      try {
        await this.askSecret(line.trim().startsWith('.removekey'));
      } catch (e) {
        this.fail(e);
        return;
      }
    }
    try {
      await this.processLine(line);
    } finally {
      this.secret?.fill(0);
      this.secret = null;
    }
  }

  /** Reads the passphrase a key command will use (twice, to confirm, when it becomes a key). */
  private async askSecret(existing: boolean): Promise<void> {
    if (this.readSecret === undefined) return;
    const p = await askPassphrase(this.readSecret, existing ? 'Passphrase of the key to remove: ' : 'New passphrase: ', !existing, 'nothing changed');
    this.secret = p ?? new Uint8Array(0);
  }

  /** Runs a whole script (SQL argument, .read file). */
  async runScript(text: string): Promise<void> {
    for (const line of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
      if (this.quit) return;
      await this.feedLine(line);
    }
    if (!this.quit) this.finish();
  }

  /**
   * Runs a script that arrives in chunks (standard input from a pipe or a
   * file), line by line as they complete: a dump of any size streams through
   * without being held whole. Bytes are UTF-8 (a leading BOM is dropped).
   */
  async runStream(chunks: AsyncIterable<string | Uint8Array>): Promise<void> {
    const decoder = new TextDecoder('utf-8');
    let carry = '';
    let first = true;
    for await (const chunk of chunks) {
      carry += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
      if (first && carry.length > 0) {
        carry = carry.replace(/^\uFEFF/, '');
        first = false;
      }
      let nl: number;
      while ((nl = carry.indexOf('\n')) >= 0) {
        const line = carry.slice(0, nl > 0 && carry[nl - 1] === '\r' ? nl - 1 : nl);
        carry = carry.slice(nl + 1);
        if (this.quit) return;
        await this.feedLine(line);
      }
    }
    carry += decoder.decode();
    if (this.quit) return;
    if (carry !== '') await this.feedLine(carry.replace(/\r$/, ''));
    if (!this.quit) this.finish();
  }

  /** End of input: a last statement without ';' still runs. */
  private finish(): void {
    const text = this.pending.join('');
    const blank = !this.scan.sawToken;
    this.pending = [];
    this.scan = newScanState();
    if (blank) return;
    this.execute(text);
  }

  private fail(e: unknown): void {
    this.failed = true;
    this.err.write(formatError(e));
    if (this.bail && !this.interactive) this.quit = true;
  }

  /**
   * Feeds one input line. Lines accumulate until one holds a `;` outside
   * strings, quoted names and comments; the text up to it is one statement.
   * Each character is scanned once, so a statement of n lines costs O(n).
   */
  private async processLine(line: string): Promise<void> {
    if (this.pending.length === 0) {
      if (line.trimStart().startsWith('.')) {
        try {
          await this.dotCommand(line.trim());
        } catch (e) {
          this.fail(e);
        }
        return;
      }
      if (line.trim() === '') return;
    }
    let rest = line + '\n';
    for (;;) {
      const semi = scanChunk(this.scan, rest);
      if (semi < 0) {
        if (this.scan.sawToken || this.scan.mode !== 'sql') this.pending.push(rest);
        else {
          this.pending = [];
          this.scan = newScanState();
        }
        return;
      }
      const text = this.pending.join('') + rest.slice(0, semi + 1);
      this.pending = [];
      this.scan = newScanState();
      rest = rest.slice(semi + 1);
      this.runStatementText(text);
      if (this.quit || rest.trim() === '') return;
    }
  }

  /** Runs `text`, which ends at a statement-ending `;`. */
  private runStatementText(text: string): void {
    if (isBlankSql(text.slice(0, -1))) return;
    this.execute(text);
  }

  /** Runs one statement and prints its rows. */
  private execute(sql: string): void {
    const started = this.timer ? this.clock() : 0;
    try {
      const st = this.db.prepare(sql);
      if (st.reader) {
        const names = st.columns().map((c) => c.name);
        const rows = st.raw().safeIntegers().all() as unknown[][];
        this.printRows(names, rows);
      } else {
        st.run();
      }
    } catch (e) {
      this.fail(e);
    }
    if (this.timer) this.out.write(`Run Time: real ${((this.clock() - started) / 1000).toFixed(3)}\n`);
  }

  private printRows(names: readonly string[], rows: readonly (readonly unknown[])[]): void {
    switch (this.mode) {
      case 'table':
        if (rows.length > 0 || names.length > 0) this.out.write(formatTable(names, rows, this.headers));
        return;
      case 'csv':
        this.out.write(formatCsv(names, rows, this.headers));
        return;
      case 'json':
        if (rows.length > 0) this.out.write(formatJson(names, rows));
        return;
    }
  }

  /** Runs a query of the shell's own and returns its rows as arrays. */
  private query(sql: string, ...params: unknown[]): unknown[][] {
    return this.db.prepare(sql).raw().all(...params) as unknown[][];
  }

  private async dotCommand(line: string): Promise<void> {
    const [cmd, ...rest] = splitArgs(line);
    const arg = (n: number): string | undefined => rest[n];
    const maxArgs = (n: number): void => {
      if (rest.length > n) throw new HeliosError('INVALID_ARGUMENT', `${cmd}: too many arguments (see .help)`);
    };
    const onOff = (): boolean => {
      maxArgs(1);
      const v = arg(0)?.toLowerCase();
      if (v === 'on' || v === '1' || v === 'yes') return true;
      if (v === 'off' || v === '0' || v === 'no') return false;
      throw new HeliosError('INVALID_ARGUMENT', `${cmd} takes on or off`);
    };
    switch (cmd) {
      case '.quit':
      case '.exit':
        maxArgs(0);
        this.quit = true;
        return;
      case '.help':
        maxArgs(0);
        this.out.write(HELP);
        return;
      case '.mode': {
        maxArgs(1);
        const m = arg(0);
        if (m === undefined) {
          this.out.write(`${this.mode}\n`);
          return;
        }
        if (m !== 'table' && m !== 'csv' && m !== 'json') throw new HeliosError('INVALID_ARGUMENT', '.mode takes table, csv or json');
        this.mode = m;
        return;
      }
      case '.headers':
        this.headers = onOff();
        return;
      case '.timer':
        this.timer = onOff();
        return;
      case '.bail':
        this.bail = onOff();
        return;
      case '.print':
        this.out.write(`${rest.join(' ')}\n`);
        return;
      case '.tables': {
        maxArgs(0);
        const rows = this.query("SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name");
        this.out.write(rows.map((r) => `${String(r[0])}\n`).join(''));
        return;
      }
      case '.indexes':
      case '.indices': {
        maxArgs(1);
        const t = arg(0);
        const rows =
          t === undefined
            ? this.query("SELECT name FROM sqlite_schema WHERE type = 'index' ORDER BY name")
            : this.query("SELECT name FROM sqlite_schema WHERE type = 'index' AND lower(tbl_name) = lower(?) ORDER BY name", t);
        this.out.write(rows.map((r) => `${String(r[0])}\n`).join(''));
        return;
      }
      case '.schema': {
        maxArgs(1);
        const t = arg(0);
        const rows =
          t === undefined
            ? this.query('SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL')
            : this.query('SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL AND lower(tbl_name) = lower(?)', t);
        this.out.write(rows.map((r) => `${String(r[0])};\n`).join(''));
        return;
      }
      case '.info':
        maxArgs(0);
        this.out.write(this.info());
        return;
      case '.dump':
        maxArgs(0);
        this.err.write('warning: .dump writes the database as PLAINTEXT SQL; protect the output like the key\n');
        this.out.write(this.dump());
        return;
      case '.read': {
        maxArgs(1);
        const file = arg(0);
        if (file === undefined) throw new HeliosError('INVALID_ARGUMENT', '.read needs a file name');
        if (this.readDepth >= MAX_READ_DEPTH) throw new HeliosError('TOO_BIG', `.read nested more than ${MAX_READ_DEPTH} deep`);
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch (e) {
          const code = typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : 'EIO';
          throw new HeliosError('IO', `cannot read ${file}: ${code}`, { file, osCode: code });
        }
        const saved = { pending: this.pending, scan: this.scan };
        this.pending = [];
        this.scan = newScanState();
        this.readDepth++;
        try {
          await this.runScript(text);
        } finally {
          this.readDepth--;
          this.pending = saved.pending;
          this.scan = saved.scan;
        }
        return;
      }
      case '.rekey':
        this.db.changeKey(this.keyArg(cmd, rest), this.kdf === undefined ? {} : { kdf: this.kdf });
        this.out.write('key changed: the old key no longer opens this database\n');
        return;
      case '.addkey':
        this.db.addKey(this.keyArg(cmd, rest), this.kdf === undefined ? {} : { kdf: this.kdf });
        this.out.write('key added\n');
        return;
      case '.removekey':
        this.db.removeKey(this.keyArg(cmd, rest));
        this.out.write('key removed\n');
        return;
      case '.revoke': {
        const r = this.db.revokeKeys({ keys: [this.keyArg(cmd, rest)], ...(this.kdf === undefined ? {} : { kdf: this.kdf }) });
        this.out.write(`keys revoked: only the given key opens this database; every file re-sealed with data key generation ${r.generation}\n`);
        return;
      }
      case '.rotate': {
        maxArgs(1);
        const r = arg(0);
        if (r !== undefined && r !== '--rewrite') throw new HeliosError('INVALID_ARGUMENT', '.rotate takes only --rewrite');
        const g = this.db.rotateDataKey({ rewrite: r === '--rewrite' });
        const live = this.db.storageInfo().dataKeyGenerations;
        this.out.write(`data key generation ${g} started (live: ${live.join(', ')})\n`);
        return;
      }
      default:
        throw new HeliosError('INVALID_ARGUMENT', `unknown command ${JSON.stringify(cmd)}; enter .help for the list`);
    }
  }

  /** The key source a key command names: --key-file PATH | --key-env VAR | --passphrase-env VAR | --passphrase. */
  private keyArg(cmd: string, rest: readonly string[]): KeySourceOption {
    const usage = `${cmd} takes one of --key-file PATH, --key-env VAR, --passphrase-env VAR, --passphrase`;
    const [flag, value, ...extra] = rest;
    if (extra.length > 0) throw new HeliosError('INVALID_ARGUMENT', usage);
    if (flag === '--passphrase') {
      if (value !== undefined) throw new HeliosError('INVALID_ARGUMENT', usage);
      if (this.secret === null) throw new HeliosError('CONFIG', `${cmd} --passphrase needs a terminal to ask on; use --passphrase-env VAR`);
      if (this.secret.length === 0) throw new HeliosError('CONFIG', 'no passphrase given; nothing changed');
      return { passphrase: this.secret };
    }
    if (value === undefined || value === '') throw new HeliosError('INVALID_ARGUMENT', usage);
    switch (flag) {
      case '--key-file':
        return { file: value };
      case '--key-env':
        return { env: value };
      case '--passphrase-env': {
        const v = this.env[value];
        if (v === undefined || v === '') throw new HeliosError('CONFIG', `environment variable ${value} (the passphrase) is not set or empty`);
        return { passphrase: v };
      }
      default:
        throw new HeliosError('INVALID_ARGUMENT', usage);
    }
  }

  private info(): string {
    const i = this.db.storageInfo();
    const lines: [string, string][] = [
      ['database', this.path],
      ['encryption', i.encryptionAlgorithm],
      ['key source', i.keySource],
      ['kdf', i.kdf],
      ['fips mode', i.fipsMode ? 'on' : 'off'],
      ['format version', String(i.formatVersion)],
      ['data key generation', `${i.currentDataKeyGeneration} (live: ${i.dataKeyGenerations.join(', ')})`],
      ['synchronous', i.synchronous],
      ['readonly', this.db.readonly ? 'yes' : 'no'],
    ];
    const width = Math.max(...lines.map(([k]) => k.length)) + 1;
    let s = lines.map(([k, v]) => `${(k + ':').padEnd(width)} ${v}\n`).join('');
    const c = this.config;
    if (c !== null) {
      s += `${'config:'.padEnd(width)} ${c.fileName}\n`;
      const at = (x: ConfigSetting): string => `${x.key}${x.line > 0 ? ` (line ${x.line})` : ''}`;
      for (const x of c.applied) {
        const over = this.overridden.has(x.key) ? 'overridden by the command line' : null;
        s += `  ${over === null ? 'applied ' : 'replaced'} ${at(x)}: ${over ?? x.note}\n`;
      }
      for (const x of c.ignored) s += `  ignored  ${at(x)}: ${x.note}\n`;
    }
    return s;
  }

  /** The schema and every row as SQL text that recreates the database. */
  private dump(): string {
    const parts: string[] = [
      `-- HeliosDB-Lite dump of ${this.path}. PLAINTEXT: whoever reads this file reads the data.\n`,
      'PRAGMA foreign_keys=OFF;\n',
      'BEGIN TRANSACTION;\n',
    ];
    const schema = this.query("SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'");
    for (const [type, name, sql] of schema) {
      if (type !== 'table') continue;
      parts.push(`${String(sql)};\n`);
      const table = String(name);
      // As sqlite3's .dump: generated columns are left out (the reload computes them).
      const info = this.query('SELECT name, hidden FROM pragma_table_xinfo(?)', table);
      const list = info.some((r) => r[1] !== 0) ? info.filter((r) => r[1] === 0).map((r) => quoteName(String(r[0]))).join(',') : '*';
      const st = this.db.prepare(`SELECT ${list} FROM main.${quoteName(table)}`).raw().safeIntegers();
      for (const row of st.iterate() as Iterable<unknown[]>) {
        parts.push(`INSERT INTO ${quoteName(table)} VALUES(${row.map(sqlLiteral).join(',')});\n`);
      }
    }
    // As sqlite3's .dump: the AUTOINCREMENT marks after every table's rows, so a reload does not reuse ids.
    if (this.query("SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_sequence'").length > 0) {
      parts.push('DELETE FROM sqlite_sequence;\n');
      for (const row of this.db.prepare('SELECT * FROM sqlite_sequence').raw().safeIntegers().iterate() as Iterable<unknown[]>) {
        parts.push(`INSERT INTO sqlite_sequence VALUES(${row.map(sqlLiteral).join(',')});\n`);
      }
    }
    for (const [type, , sql] of schema) if (type !== 'table') parts.push(`${String(sql)};\n`);
    parts.push('COMMIT;\n');
    return parts.join('');
  }
}

/** Splits a dot-command line on blanks; "double" or 'single' quotes group words. */
function splitArgs(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (const m of line.matchAll(re)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? m[3]!));
  return out;
}

function quoteName(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s.toUpperCase();
}

/** A real as SQL text that reads back as the same REAL (17 significant digits; ±1e999 for infinities). */
function realLiteral(x: number): string {
  if (x === Infinity) return '1e999';
  if (x === -Infinity) return '-1e999';
  return renderReal(x);
}

/** A result value (raw, safeIntegers mode: INTEGER is a bigint, REAL a number) as an SQL literal. */
export function sqlLiteral(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return realLiteral(v);
  if (typeof v === 'string') return `'${v.replace(/'/g, "''")}'`;
  if (v instanceof Uint8Array) return `X'${hex(v)}'`;
  return `'${String(v).replace(/'/g, "''")}'`;
}

/** A result value as display text (table and csv modes); null → null. */
function displayText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return renderReal(v);
  if (v instanceof Uint8Array) return `X'${hex(v)}'`;
  return String(v);
}

/** Visible form of control characters in a table cell (the cell stays one line). */
function oneLine(s: string): string {
  return s.replace(/[\n\r\t]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'));
}

const textWidth = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

/** An ASCII table; numbers right-aligned, NULL shown as NULL. */
export function formatTable(names: readonly string[], rows: readonly (readonly unknown[])[], headers = true): string {
  const cells = rows.map((r) => names.map((_, i) => oneLine(displayText(r[i]) ?? 'NULL')));
  const numeric = rows.length > 0 ? names.map((_, i) => rows.every((r) => r[i] === null || typeof r[i] === 'bigint' || typeof r[i] === 'number')) : names.map(() => false);
  const heads = names.map(oneLine);
  const widths = names.map((_, i) => Math.max(headers ? textWidth(heads[i]!) : 0, ...cells.map((c) => textWidth(c[i]!)), 1));
  const pad = (s: string, i: number, right: boolean): string => {
    const fill = ' '.repeat(widths[i]! - textWidth(s));
    return right ? fill + s : s + fill;
  };
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+\n`;
  let s = rule;
  if (headers) s += `| ${heads.map((h, i) => pad(h, i, false)).join(' | ')} |\n` + rule;
  for (const c of cells) s += `| ${c.map((v, i) => pad(v, i, numeric[i]!)).join(' | ')} |\n`;
  if (cells.length > 0) s += rule;
  return s;
}

/** RFC 4180 fields (quoted when they hold , " CR LF or edge blanks), rows ended by \n; NULL is empty. */
export function formatCsv(names: readonly string[], rows: readonly (readonly unknown[])[], headers = true): string {
  const field = (s: string): string => (/[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  let s = headers ? names.map(field).join(',') + '\n' : '';
  for (const r of rows) s += names.map((_, i) => field(displayText(r[i]) ?? '')).join(',') + '\n';
  return s;
}

/** A JSON array of row objects, one row per line. INTEGER stays exact (bigint digits); BLOB → "X'hex'". */
export function formatJson(names: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const value = (v: unknown): string => {
    if (v === null || v === undefined) return 'null';
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return v > 0 ? '1e999' : '-1e999';
      return renderReal(v);
    }
    if (v instanceof Uint8Array) return JSON.stringify(`X'${hex(v)}'`);
    return JSON.stringify(String(v));
  };
  const keys = names.map((n) => JSON.stringify(n));
  const lines = rows.map((r) => `{${keys.map((k, i) => `${k}:${value(r[i])}`).join(',')}}`);
  return `[${lines.join(',\n')}]\n`;
}
