/**
 * The interactive shell (`heliosdb`): opens a database directory with a key,
 * reads SQL and dot commands, prints results — shaped after sqlite3's shell
 * (its output modes, dot commands, flags and .dump text; modes.test.ts
 * compares them with Debian's sqlite3). An application of the public API: it
 * imports only the package entry (index.ts; scripts/layers.test.ts checks
 * it). All terminal I/O is injected: main.ts wires it to the process (a
 * worker thread, terminal.ts for a TTY), tests drive it with a scripted input.
 *
 * ```
 * heliosdb [options] [DIR] [SQL | .command ...]     (USAGE lists the options)
 * ```
 * Without DIR the database is ':memory:'. Arguments after DIR run in turn and
 * the input is not read; otherwise the shell reads its input: statements may
 * span lines and run once a line completes them with `;` (strings, quoted
 * names and comments may hold `;`, and a CREATE TRIGGER body ends at END;),
 * and a line starting with `.` at a statement boundary is a dot command
 * (`.help` lists them).
 *
 * Errors print `Error [CODE]: message` on the error stream and the shell
 * goes on. Exit status (EXIT): 0 ok; 1 (input not interactive) a statement
 * or command failed, or the script was interrupted; 2 bad arguments; 3 the
 * database could not be opened (missing, wrong key, locked, bad config,
 * passphrase not given or the two entries of a new one differ); 4 an
 * internal error (a bug); `.exit N`. An interactive session exits 0 despite
 * failed statements, like sqlite3.
 *
 * Secrets: the shell never prints key material. A passphrase read at the
 * terminal arrives as bytes, is asked twice when it becomes a new key
 * (start-up --create of a new database, .rekey, .addkey, .revoke), and is
 * zeroed after use (a non-ASCII one passes through a JS string for NFC
 * normalization, which cannot be erased: see the threat model).
 */
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  Database,
  HeliosError,
  isHeliosError,
  loadConfig,
  openDatabaseFromConfig,
  renderReal,
  resolveKeySource,
  type ConfigOverrides,
  type ConfigSetting,
  type DatabaseOptions,
  type HeliosConfig,
  type KeySourceOption,
} from '../../index.ts';
import { VERSION } from './version.ts';
import { isBlankSql, newScanState, parameterNames, scanChunk } from './sql-complete.ts';
import { cString, defaultSettings, setModeFlag, formatNameColumns, formatResult, isOutputMode, MODES, quoteIdentifier, setMode, sqlLiteral, unescapeArg, type OutputMode, type OutputSettings } from './output-modes.ts';
import { importDelimited } from './csv-import.ts';
import { createProgress, type Progress } from './progress.ts';
export { sqlLiteral, formatResult, defaultSettings, setMode } from './output-modes.ts';
export type { OutputMode, OutputSettings } from './output-modes.ts';
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
  /** CPU time used so far in microseconds, for .timer's user and sys. Default process.cpuUsage(). */
  readonly cpu?: () => { user: number; system: number };
  /** KDF parameters for a database created with a passphrase (default: the library's). */
  readonly kdf?: DatabaseOptions['kdf'];
  /** Draw progress bars (on `errors`) for long work: true when standard error is a terminal. Default false. */
  readonly progress?: boolean;
  /**
   * The interrupt flag of the databases the shell opens (DatabaseOptions.interruptFlag):
   * main.ts shares it with the thread that catches Ctrl-C. Element 1, when present, is a
   * sticky copy of each Ctrl-C that only the shell clears: the database clears element 0 when
   * a statement starts, so without it a Ctrl-C between two statements of one line (or of a
   * .import) would be lost. The shell checks it before every statement.
   */
  readonly interruptFlag?: Int32Array;
}

/** Exit statuses scripts can rely on (README, "The shell"). */
export const EXIT = {
  /** Everything ran. */
  OK: 0,
  /** Input not interactive: at least one statement or dot command failed (or `verify` found damage). */
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
  /** SQL statements and dot commands given after DIR: run in turn instead of reading the input. */
  commands: string[];
  key: { kind: 'file' | 'env' | 'passphrase-file' | 'passphrase-env'; value: string } | { kind: 'passphrase' } | null;
  config: string | null;
  /** --audit-log PATH: the audit log on for this run, appended to PATH (spec/audit-log.md). */
  auditLog: string | null;
  noEncryption: boolean;
  create: boolean;
  readonly: boolean;
  mode: OutputMode | null;
  headers: boolean | null;
  separator: string | null;
  nullValue: string | null;
  /** -newline SEP: the row separator. */
  newline: string | null;
  /** -cmd: commands run before the input (or the commands given after DIR). */
  cmd: string[];
  /** -init FILE: a file run first. */
  init: string | null;
  bail: boolean;
  echo: boolean;
  /** -batch / -interactive: force how the input is treated (prompts, exit status). */
  batch: boolean | null;
  help: boolean;
  version: boolean;
}

export const USAGE = `usage: heliosdb [options] [DIR] [SQL | .command ...]
       heliosdb verify|info|dump|backup|rekey|addkey|removekey|rotate DIR [options]
       heliosdb audit verify DIR [--audit-log PATH] [options]
       heliosdb restore BACKUP DEST | import-sqlite SRC DEST [options]  (heliosdb COMMAND --help)
Key options:
  --key-file PATH        raw key file (32 bytes or 64 hex chars)
  --key-env VAR          raw key in an environment variable (64 hex chars)
  --passphrase           ask for a passphrase (not echoed; twice for a new database)
  --passphrase-file PATH passphrase in the first line of a file (never printed)
  --passphrase-env VAR   passphrase in an environment variable
  --config FILE.toml     settings and key source from a configuration file
  --no-encryption        open or create an unencrypted database
  --audit-log PATH       append this run's security operations (open, close, key
                         changes, backups, ...) to the tamper-evident audit log PATH
Database options:
  --create               create DIR when it does not exist
  --readonly             refuse statements that write
sqlite3-style options (one or two dashes):
  -cmd COMMAND           run COMMAND before reading the input (repeatable)
  -init FILE             run FILE first
  -batch | -interactive  force batch or interactive input
  -bail                  stop at the first error
  -echo                  print each command before running it
  -header | -noheader    turn column names on or off
  -separator SEP         column separator; -newline SEP row separator; -nullvalue TEXT
  -list -line -column -box -markdown -table -csv -json -insert -quote -tabs -html -ascii
  --mode MODE            the same, by name (default list)
  --version              print the version and exit
  -h, --help             this text
Without DIR the database is :memory:. Arguments after DIR are SQL or dot
commands run in turn, and the input is not read.
Exit status: 0 ok, 1 a statement failed (input not interactive), 2 bad
arguments, 3 the database could not be opened, 4 internal error.
`;

const HELP = `.backup [--set] [--plain] DEST   a sealed copy (same key; --set: incremental, in a backup set) while in use
.bail on|off             stop a script at the first error (default off)
.changes on|off          print the rows changed by each statement
.databases               the open database and its file
.dump [TABLE]            the database as SQL text (PLAINTEXT: handle it like the key)
.echo on|off             print each command before running it
.eqp on|off              print the query plan of each statement before running it
.exit [CODE] / .quit     leave the shell
.fullschema              .schema plus the statistics tables
.headers on|off          column names in the output
.help                    this text
.import [--csv|--ascii] [--skip N] FILE TABLE
                         load CSV/TSV (RFC 4180 quotes) into TABLE, new or existing, in one transaction
.indexes [TABLE]         index names (of TABLE)
.info                    encryption, key source, format and configuration facts
.mode MODE [TABLE]       ${MODES.join(' ')}
.nullvalue TEXT          how NULL prints
.once FILE               the next command's output goes to FILE
.open [--new] [--readonly] [KEY] DIR   close this database and open DIR
.output [FILE]           output to FILE (no FILE: back to standard output)
.parameter list|set NAME VALUE|unset NAME|clear   values bound to :NAME, @NAME, $NAME, ?N
.print TEXT              print TEXT
.read FILE               run the SQL and dot commands of FILE
.schema [TABLE]          CREATE statements (of TABLE and its indexes)
.separator COL [ROW]     separators of list mode and .import
.show                    the current settings
.tables                  table and view names
.timer on|off            print the run time of each statement
.width N ...             column widths of column/table/box/markdown (negative: right-aligned)
Keys (KEY is --key-file PATH, --key-env VAR, --passphrase-file PATH, --passphrase-env VAR or --passphrase):
.addkey KEY              add a key that also opens the database (a recovery key)
.rekey KEY               replace the key this shell opened with by KEY (O(1): data stays)
.removekey KEY           remove the key slot KEY opens
.revoke KEY              make KEY the only key: new root and data key, every file re-sealed
.rotate [--rewrite]      start a new data-key generation (--rewrite: re-seal every table)
.verify                  check every block and file (PRAGMA integrity_check)
.audit verify [PATH]     check the audit log (default: this run's --audit-log or the
                         configuration's audit_log_path); names the first broken entry
Statements end with ";" and may span lines; Ctrl-C stops a running statement
or drops a partial one.
`;

class UsageError extends Error {}

const MODE_FLAGS = new Set<string>(MODES);

/** Parses the command line; throws UsageError. sqlite3-style flags take one or two dashes. */
export function parseShellArgs(args: readonly string[]): ShellArgs {
  const a: ShellArgs = {
    path: null, commands: [], key: null, config: null, auditLog: null, noEncryption: false, create: false, readonly: false,
    mode: null, headers: null, separator: null, nullValue: null, newline: null, cmd: [], init: null, bail: false, echo: false, batch: null, help: false, version: false,
  };
  const positional: string[] = [];
  const setKey = (k: NonNullable<ShellArgs['key']>): void => {
    if (a.key !== null) throw new UsageError('give at most one of --key-file, --key-env, --passphrase, --passphrase-file, --passphrase-env');
    a.key = k;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value`);
      if (v === '' && arg !== '-separator' && arg !== '--separator' && arg !== '-nullvalue' && arg !== '--nullvalue' && arg !== '-cmd' && arg !== '--cmd') throw new UsageError(`${arg} needs a value`);
      return v;
    };
    if (!arg.startsWith('-') || arg === '-' || /^--\s/.test(arg)) {
      positional.push(arg);
      continue;
    }
    const flag = arg.startsWith('--') ? arg.slice(2) : arg.slice(1);
    if (MODE_FLAGS.has(flag)) {
      a.mode = flag as OutputMode;
      continue;
    }
    switch (flag) {
      case 'key-file':
        setKey({ kind: 'file', value: value() });
        break;
      case 'key-env':
        setKey({ kind: 'env', value: value() });
        break;
      case 'passphrase':
        setKey({ kind: 'passphrase' });
        break;
      case 'passphrase-file':
        setKey({ kind: 'passphrase-file', value: value() });
        break;
      case 'passphrase-env':
        setKey({ kind: 'passphrase-env', value: value() });
        break;
      case 'config':
        a.config = value();
        break;
      case 'audit-log':
        a.auditLog = value();
        break;
      case 'no-encryption':
        a.noEncryption = true;
        break;
      case 'create':
        a.create = true;
        break;
      case 'readonly':
        a.readonly = true;
        break;
      case 'mode': {
        const m = value();
        if (!isOutputMode(m)) throw new UsageError(`--mode must be one of ${MODES.join(', ')}`);
        a.mode = m;
        break;
      }
      case 'header':
      case 'headers':
        a.headers = true;
        break;
      case 'noheader':
        a.headers = false;
        break;
      case 'separator':
        a.separator = value();
        break;
      case 'nullvalue':
        a.nullValue = value();
        break;
      case 'newline':
        a.newline = value();
        break;
      case 'cmd':
        a.cmd.push(value());
        break;
      case 'init':
        a.init = value();
        break;
      case 'bail':
        a.bail = true;
        break;
      case 'echo':
        a.echo = true;
        break;
      case 'batch':
        a.batch = true;
        break;
      case 'interactive':
        a.batch = false;
        break;
      case 'h':
      case 'help':
        a.help = true;
        break;
      case 'version':
        a.version = true;
        break;
      default:
        throw new UsageError(`unknown option ${arg}`);
    }
  }
  a.path = positional[0] ?? null;
  a.commands = positional.slice(1);
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
  const interactive = isLineReader(input) && args.commands.length === 0 && args.batch !== true;
  let opened: { db: Database; config: HeliosConfig | null; path: string };
  try {
    opened = await openFromArgs(args, options);
  } catch (e) {
    errors.write(formatError(e));
    return EXIT.NOT_OPENED;
  }
  const shell = new Shell(opened.db, opened.path, opened.config, options, interactive);
  if (args.path !== null) shell.overridden.add('database.path');
  if (args.key !== null) shell.overridden.add('encryption.key_source');
  shell.applyArgs(args);
  try {
    if (opened.config !== null && opened.config.ignored.length > 0) {
      errors.write(`note: ${opened.config.ignored.length} setting(s) of ${opened.config.fileName} are accepted but not acted on (see .info)\n`);
    }
    if (args.init !== null) await shell.runScript(`.read ${quoteArg(args.init)}`);
    for (const c of args.cmd) if (!shell.done) await shell.runScript(c);
    if (shell.done) {
      // .quit or -bail in -init / -cmd: the input is not read.
    } else if (args.commands.length > 0) {
      for (const c of args.commands) if (!shell.done) await shell.runScript(c);
    } else if (typeof input === 'string') {
      await shell.runScript(input);
    } else if (!isLineReader(input)) {
      await shell.runStream(input);
    } else if (!interactive) {
      await shell.runLines(input);
    } else {
      const info = shell.database.storageInfo();
      options.output.write(
        `HeliosDB-Lite shell ${VERSION}: ${opened.path} (${info.encryptionEnabled ? `${info.encryptionAlgorithm}, key from ${info.keySource}` : 'unencrypted'}). Enter .help for help.\n`,
      );
      await shell.runInteractive(input);
    }
  } finally {
    shell.closeOutput();
    const db = shell.database;
    if (db.open && db.inTransaction) errors.write('warning: the open transaction was rolled back (no COMMIT before the end of input)\n');
    try {
      if (db.open) db.close();
    } catch (e) {
      errors.write(formatError(e));
      shell.failed = true;
    }
  }
  if (shell.exitCode !== null) return shell.exitCode;
  return shell.failed && !interactive ? EXIT.FAILED : EXIT.OK;
}

/** An argument for a dot command, quoted so splitArgs gives it back whole. */
function quoteArg(s: string): string {
  return `"${s.replace(/["\\]/g, (c) => '\\' + c)}"`;
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
export async function askPassphrase(readSecret: NonNullable<ShellOptions['readSecret']>, prompt: string, isNew: boolean, what: string): Promise<Uint8Array | null> {
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
    case 'passphrase-file':
      // Read by the engine (resolveKeySource, as a TOML PassphraseFile), which zeroes its bytes.
      key = { passphraseFile: args.key.value };
      break;
    case 'passphrase-env':
      key = resolveKeySource({ passphraseEnv: args.key.value }, { env });
      break;
    case 'passphrase': {
      if (o.readSecret === undefined) throw new HeliosError('CONFIG', '--passphrase needs a terminal to ask on; use --passphrase-file PATH or --passphrase-env VAR');
      const isNew = args.create && newDatabasePath(args);
      // A database that cannot be made (its directory is missing) fails before anyone types a passphrase twice.
      if (isNew && args.path !== null && args.config === null) {
        const parent = dirname(resolve(args.path));
        // The engine's own refusal (openEngine), said before the prompt.
        if (!existsSync(parent)) throw new HeliosError('IO', `cannot create the database ${args.path}: its directory ${parent} does not exist (create it first; HeliosDB creates the database directory, not its parents)`, { osCode: 'ENOENT' });
      }
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
      if (o.interruptFlag !== undefined) overrides.interruptFlag = o.interruptFlag;
      if (args.path !== null) overrides.path = args.path;
      if (key !== undefined) overrides.key = key;
      if (args.auditLog !== null) overrides.auditLog = { path: args.auditLog, routine: config.logging.logEncryptionOperations };
      if (args.noEncryption && config.encryption.enabled) throw new HeliosError('CONFIG', `--no-encryption contradicts ${config.fileName} (encryption.enabled)`);
      const path = args.path ?? config.database.path ?? '';
      if (path !== ':memory:') overrides.fileMustExist = !args.create;
      return { db: withCreateHint(path, args.create, () => openDatabaseFromConfig(config, overrides)), config, path };
    }
    const path = args.path ?? ':memory:';
    const opts: { -readonly [K in keyof DatabaseOptions]: DatabaseOptions[K] } = { readonly: args.readonly };
    if (o.interruptFlag !== undefined) opts.interruptFlag = o.interruptFlag;
    if (key !== undefined) opts.key = key;
    if (o.kdf !== undefined) opts.kdf = o.kdf;
    if (args.noEncryption) opts.encryption = false;
    if (args.auditLog !== null) opts.auditLog = { path: args.auditLog };
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

/** The rows of one statement printed in batches of this many, so a huge SELECT streams in bounded memory (columnar modes hold all: they size columns first). */
const PRINT_BATCH = 256;

class Shell {
  failed = false;
  /** .exit CODE: the status the shell ends with. */
  exitCode: number | null = null;
  /** Lines (each ending in \n) of a statement still waiting for its `;`. */
  private pending: string[] = [];
  private scan = newScanState();
  private readonly settings: OutputSettings = defaultSettings();
  private timer = false;
  /** .bail on: input not interactive stops at the first failed statement or command (sqlite3's .bail). */
  private bail = false;
  private echo = false;
  private changes = false;
  private eqp = false;
  /** .parameter: values bound by name (with its prefix, as sqlite3 keeps them: ":x", "@x", "$x", "?1"). */
  private readonly params = new Map<string, unknown>();
  private readDepth = 0;
  private quit = false;
  /** .output / .once target: a file descriptor, and whether it closes after the next command. */
  private outFd: number | null = null;
  private outName = 'stdout';
  private once = false;
  private readonly stdout: ShellWriter;
  private readonly err: ShellWriter;
  private readonly clock: () => number;
  private readonly cpu: () => { user: number; system: number };
  private readonly env: Readonly<Record<string, string | undefined>>;
  private readonly readSecret: ShellOptions['readSecret'];
  private readonly kdf: ShellOptions['kdf'];
  private readonly progress: boolean;
  private readonly interruptFlag: Int32Array | undefined;
  /** At a terminal: a Ctrl-C stopped this input line; the rest of it (and of a .read file) is dropped. */
  private interruptedLine = false;
  /** A passphrase read at the terminal for the dot command being run (zeroed after it). */
  private secret: Uint8Array | null = null;
  /** Config keys the command line replaced (database.path, encryption.key_source). */
  readonly overridden = new Set<string>();

  constructor(
    private db: Database,
    private path: string,
    private config: HeliosConfig | null,
    options: ShellOptions,
    private readonly interactive: boolean,
  ) {
    this.stdout = options.output;
    this.err = options.errors ?? options.output;
    this.clock = options.clock ?? (() => performance.now());
    this.cpu = options.cpu ?? (typeof process !== 'undefined' && typeof process.cpuUsage === 'function' ? () => process.cpuUsage() : () => ({ user: 0, system: 0 }));
    this.env = options.env ?? (typeof process !== 'undefined' ? process.env : {});
    this.readSecret = options.readSecret;
    this.kdf = options.kdf;
    this.progress = options.progress === true;
    this.interruptFlag = options.interruptFlag;
  }

  get database(): Database {
    return this.db;
  }

  /** Whether the shell stops reading (.quit, .exit, -bail after an error). */
  get done(): boolean {
    return this.quit;
  }

  applyArgs(a: ShellArgs): void {
    if (a.mode !== null) setModeFlag(this.settings, a.mode);
    if (a.headers !== null) {
      this.settings.headers = a.headers;
      this.settings.headersSet = true;
    }
    if (a.separator !== null) this.settings.colSeparator = a.separator;
    if (a.nullValue !== null) this.settings.nullValue = a.nullValue;
    if (a.newline !== null) this.settings.rowSeparator = a.newline;
    this.bail = a.bail;
    this.echo = a.echo;
  }

  /** Writes results (standard output, or the .output/.once file). */
  private write(text: string): void {
    if (text === '') return;
    if (this.outFd !== null) writeSync(this.outFd, text);
    else this.stdout.write(text);
  }

  closeOutput(): void {
    if (this.outFd !== null) closeSync(this.outFd);
    this.outFd = null;
    this.outName = 'stdout';
    this.once = false;
  }

  async runInteractive(reader: ShellLineReader): Promise<void> {
    while (!this.quit) {
      const line = await reader.readLine(this.pending.length === 0 ? 'heliosdb> ' : '     ...> ');
      if (line === null) {
        this.stdout.write('\n');
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

  /** A line reader that is not a person at a terminal (-batch): no prompts. */
  async runLines(reader: ShellLineReader): Promise<void> {
    while (!this.quit) {
      const line = await reader.readLine('');
      if (line === null) break;
      if (line === INTERRUPTED) continue;
      await this.feedLine(line);
    }
    if (!this.quit) this.finish();
  }

  /**
   * Feeds one line; a key command with --passphrase first asks for the
   * passphrase (twice when it becomes a key), which is zeroed afterwards.
   */
  private async feedLine(line: string): Promise<void> {
    // Ctrl-C between two statements: a script stops; at a terminal the next line typed runs
    // (a Ctrl-C before it was typed is spent), but not the next line of a .read file.
    if (this.interactive && this.readDepth === 0) {
      this.clearInterrupt();
      this.interruptedLine = false;
    } else {
      try {
        this.checkInterrupt();
      } catch (e) {
        this.fail(e);
        return;
      }
    }
    if (this.pending.length === 0 && /^\s*\.(rekey|addkey|removekey|revoke|open)\s.*--passphrase(\s|$)/.test(line)) {
      try {
        const t = line.trim();
        await this.askSecret(t.startsWith('.removekey') ? 'remove' : t.startsWith('.open') ? 'open' : 'new');
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
  private async askSecret(kind: 'new' | 'remove' | 'open'): Promise<void> {
    if (this.readSecret === undefined) return;
    const prompt = kind === 'remove' ? 'Passphrase of the key to remove: ' : kind === 'open' ? 'Passphrase: ' : 'New passphrase: ';
    const p = await askPassphrase(this.readSecret, prompt, kind === 'new', 'nothing changed');
    this.secret = p ?? new Uint8Array(0);
  }

  /** Runs a whole script (SQL argument, .read file). */
  async runScript(text: string): Promise<void> {
    for (const line of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
      if (this.quit || (this.readDepth > 0 && this.interruptedLine)) return;
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
      let start = 0;
      let nl: number;
      while ((nl = carry.indexOf('\n', start)) >= 0) {
        const line = carry.slice(start, nl > start && carry[nl - 1] === '\r' ? nl - 1 : nl);
        start = nl + 1;
        if (this.quit) return;
        await this.feedLine(line);
      }
      carry = carry.slice(start);
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
    if (isHeliosError(e, 'INTERRUPTED')) {
      // This Ctrl-C is spent; at a terminal it drops the rest of the input line (and of a .read).
      this.clearInterrupt();
      if (this.interactive) this.interruptedLine = true;
    }
    // As sqlite3: an interrupted script stops (at a terminal the session goes on).
    if (!this.interactive && (this.bail || isHeliosError(e, 'INTERRUPTED'))) this.quit = true;
  }

  /**
   * Throws INTERRUPTED when Ctrl-C came (the shared flag is set) and clears
   * it: long dot commands (.import, .rotate --rewrite) call it per step.
   */
  private checkInterrupt(): void {
    const f = this.interruptFlag;
    if (f !== undefined && (Atomics.load(f, 0) !== 0 || (f.length > 1 && Atomics.load(f, 1) !== 0))) {
      this.clearInterrupt();
      throw new HeliosError('INTERRUPTED', 'interrupted');
    }
  }

  /** Forgets a Ctrl-C: both the database's flag and the shell's sticky copy (ShellOptions.interruptFlag). */
  private clearInterrupt(): void {
    const f = this.interruptFlag;
    if (f === undefined) return;
    Atomics.store(f, 0, 0);
    if (f.length > 1) Atomics.store(f, 1, 0);
  }

  /**
   * Feeds one input line. Lines accumulate until one holds a `;` outside
   * strings, quoted names and comments (and after END in CREATE TRIGGER);
   * the text up to it is one statement. Each character is scanned once, so
   * a statement of n lines costs O(n).
   */
  private async processLine(line: string): Promise<void> {
    if (this.pending.length === 0) {
      if (line.trimStart().startsWith('.')) {
        if (this.echo) this.write(`${line}\n`);
        const closesAfter = this.once;
        try {
          await this.dotCommand(line.trim());
        } catch (e) {
          this.fail(e);
        }
        if (closesAfter && this.once) this.closeOutput();
        return;
      }
      if (line.trim() === '') return;
    }
    if (this.echo) this.write(`${line}\n`);
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
      // A Ctrl-C that came after the previous statement ended (the database clears its flag when
      // a statement starts; the sticky copy survives): this statement does not run.
      try {
        this.checkInterrupt();
        this.runStatementText(text);
      } catch (e) {
        this.fail(e);
      }
      if (this.quit || this.interruptedLine || rest.trim() === '') return;
    }
  }

  /** Runs `text`, which ends at a statement-ending `;`. */
  private runStatementText(text: string): void {
    if (isBlankSql(text.slice(0, -1))) return;
    this.execute(text);
  }

  /** The .parameter values a statement's parameters take (unset ones are NULL, as in sqlite3). */
  private bindings(sql: string): unknown[] {
    const names = parameterNames(sql);
    if (names.length === 0) return [];
    const named: Record<string, unknown> = {};
    let highest = 0;
    let anyNamed = false;
    for (const n of names) {
      if (n.startsWith('?')) highest = Math.max(highest, Number(n.slice(1)));
      else {
        named[n.slice(1)] = this.params.get(n) ?? null;
        anyNamed = true;
      }
    }
    const positional = Array.from({ length: highest }, (_, k) => this.params.get(`?${k + 1}`) ?? null);
    return anyNamed ? [...positional, named] : positional;
  }

  /** Runs one statement and prints its rows. */
  private execute(sql: string): void {
    const started = this.timer ? this.clock() : 0;
    const cpuStarted = this.timer ? this.cpu() : null;
    const closesAfter = this.once;
    try {
      if (this.eqp && !/^\s*explain\b/i.test(sql)) this.printPlan(sql);
      const st = this.db.prepare(sql);
      const args = this.bindings(sql);
      if (st.reader) {
        const names = st.columns().map((c) => c.name);
        st.raw().safeIntegers();
        if (/^\s*explain\s+query\s+plan\b/i.test(sql)) {
          this.write(renderPlan(st.all(...args) as unknown[][]));
        } else if (this.settings.mode === 'column' || this.settings.mode === 'table' || this.settings.mode === 'box' || this.settings.mode === 'markdown' || this.settings.mode === 'json') {
          this.write(formatResult(this.settings, names, st.all(...args) as unknown[][]));
        } else {
          this.streamRows(names, st.iterate(...args) as Iterable<unknown[]>);
        }
      } else if (this.progress && /^\s*vacuum(\s+main)?\s*;?\s*$/i.test(sql)) {
        // VACUUM on a terminal: the same statement through db.vacuum, with a bar of the bytes merged.
        const bar = this.bar('vacuum', 0, 'bytes');
        try {
          this.db.vacuum({
            onProgress: (p) => {
              bar.total(p.bytesTotal);
              bar.update(p.bytesDone);
            },
          });
        } finally {
          bar.done();
        }
      } else {
        st.run(...args);
      }
      if (this.changes) {
        const [c, t] = this.query('SELECT changes(), total_changes()')[0]!;
        this.write(`changes: ${String(c)}   total_changes: ${String(t)}\n`);
      }
    } catch (e) {
      this.fail(e);
    }
    if (cpuStarted !== null) {
      // sqlite3's line: real seconds, then user and system CPU seconds.
      const c = this.cpu();
      const real = ((this.clock() - started) / 1000).toFixed(3);
      this.write(`Run Time: real ${real} user ${((c.user - cpuStarted.user) / 1e6).toFixed(6)} sys ${((c.system - cpuStarted.system) / 1e6).toFixed(6)}\n`);
    }
    if (closesAfter && this.once) this.closeOutput();
  }

  /** Prints rows as they come (modes that need not see every row first), in batches. */
  private streamRows(names: readonly string[], rows: Iterable<unknown[]>): void {
    let batch: unknown[][] = [];
    let first = true;
    const flush = (): void => {
      if (batch.length === 0) return;
      const s = this.settings;
      if (first) this.write(formatResult(s, names, batch));
      else {
        // Only the first batch carries the header; line mode separates records with a blank line.
        const headers = s.headers;
        s.headers = false;
        try {
          this.write((s.mode === 'line' ? s.rowSeparator : '') + formatResult(s, names, batch));
        } finally {
          s.headers = headers;
        }
      }
      first = false;
      batch = [];
    };
    for (const r of rows) {
      batch.push(r);
      if (batch.length >= PRINT_BATCH) flush();
    }
    flush();
  }

  private printPlan(sql: string): void {
    let rows: unknown[][];
    try {
      rows = this.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).raw().all(...this.bindings(sql)) as unknown[][];
    } catch {
      return; // the statement itself reports the error
    }
    this.write(renderPlan(rows));
  }

  /** Runs a query of the shell's own and returns its rows as arrays. */
  private query(sql: string, ...params: unknown[]): unknown[][] {
    return this.db.prepare(sql).raw().all(...params) as unknown[][];
  }

  /** A progress bar on the error stream when it is a terminal; a no-op otherwise. */
  private bar(label: string, total: number, unit: 'rows' | 'bytes' | 'files'): Progress {
    return createProgress(this.progress ? this.err : null, label, total, unit, this.clock);
  }

  private async dotCommand(line: string): Promise<void> {
    const [typed, ...rest] = splitArgs(line);
    const cmd = dotCommandName(typed!);
    const arg = (n: number): string | undefined => rest[n];
    const maxArgs = (n: number): void => {
      if (rest.length > n) throw new HeliosError('INVALID_ARGUMENT', `${cmd}: too many arguments (see .help)`);
    };
    const onOff = (): boolean => {
      maxArgs(1);
      const v = arg(0)?.toLowerCase();
      if (v === 'on' || v === '1' || v === 'yes' || v === 'true') return true;
      if (v === 'off' || v === '0' || v === 'no' || v === 'false') return false;
      throw new HeliosError('INVALID_ARGUMENT', `${cmd} takes on or off`);
    };
    const s = this.settings;
    switch (cmd) {
      case '.quit':
        maxArgs(0);
        this.quit = true;
        return;
      case '.exit': {
        maxArgs(1);
        const c = arg(0);
        if (c !== undefined) {
          if (!/^\d+$/.test(c)) throw new HeliosError('INVALID_ARGUMENT', '.exit takes a number');
          this.exitCode = Number(c) & 255;
        }
        this.quit = true;
        return;
      }
      case '.help':
        maxArgs(1);
        this.write(HELP);
        return;
      case '.mode': {
        maxArgs(2);
        const m = arg(0);
        if (m === undefined) {
          this.write(`current output mode: ${s.mode === 'tabs' ? 'list' : s.mode}\n`); // as sqlite3: tabs is list with a tab
          return;
        }
        if (!isOutputMode(m)) throw new HeliosError('INVALID_ARGUMENT', `.mode takes one of ${MODES.join(' ')}`);
        if (arg(1) !== undefined && m !== 'insert') throw new HeliosError('INVALID_ARGUMENT', '.mode: only insert takes a table name');
        setMode(s, m, arg(1));
        return;
      }
      case '.headers':
      case '.header':
        s.headers = onOff();
        s.headersSet = true;
        return;
      case '.separator': {
        maxArgs(2);
        const c = arg(0);
        if (c === undefined) throw new HeliosError('INVALID_ARGUMENT', '.separator takes COL [ROW]');
        s.colSeparator = c;
        const r = arg(1);
        if (r !== undefined) s.rowSeparator = r;
        return;
      }
      case '.nullvalue': {
        maxArgs(1);
        const v = arg(0);
        if (v === undefined) throw new HeliosError('INVALID_ARGUMENT', '.nullvalue takes the text NULL prints as');
        s.nullValue = v;
        return;
      }
      case '.width':
        for (const w of rest) if (!/^-?\d+$/.test(w)) throw new HeliosError('INVALID_ARGUMENT', '.width takes numbers');
        s.widths = rest.map(Number);
        return;
      case '.timer':
        this.timer = onOff();
        return;
      case '.bail':
        this.bail = onOff();
        return;
      case '.echo':
        this.echo = onOff();
        return;
      case '.changes':
        this.changes = onOff();
        return;
      case '.eqp': {
        maxArgs(1);
        const v = arg(0)?.toLowerCase();
        this.eqp = v === 'full' ? true : onOff();
        return;
      }
      case '.show': {
        maxArgs(0);
        const lines: [string, string][] = [
          ['echo', this.echo ? 'on' : 'off'],
          ['eqp', this.eqp ? 'on' : 'off'],
          ['bail', this.bail ? 'on' : 'off'],
          ['headers', s.headers ? 'on' : 'off'],
          ['mode', s.mode === 'insert' ? `insert ${s.insertTable}` : s.mode],
          ['nullvalue', cString(s.nullValue)],
          ['output', this.outName],
          ['colseparator', cString(s.colSeparator)],
          ['rowseparator', cString(s.rowSeparator)],
          ['changes', this.changes ? 'on' : 'off'],
          ['timer', this.timer ? 'on' : 'off'],
          ['width', s.widths.join(' ')],
          ['filename', this.path],
        ];
        this.write(lines.map(([k, v]) => `${k.padStart(12)}: ${v}\n`).join(''));
        return;
      }
      case '.print':
        this.write(`${rest.join(' ')}\n`);
        return;
      case '.output':
      case '.once': {
        maxArgs(1);
        const file = arg(0);
        this.closeOutput();
        if (file === undefined || file === 'stdout' || file === '') {
          if (cmd === '.once') throw new HeliosError('INVALID_ARGUMENT', '.once needs a file name');
          return;
        }
        try {
          this.outFd = openSync(file, 'w', 0o600);
        } catch (e) {
          throw ioError(`cannot open ${file}`, file, e);
        }
        this.outName = file;
        this.once = cmd === '.once';
        return;
      }
      case '.parameter':
      case '.param':
        this.parameter(rest);
        return;
      case '.databases':
        maxArgs(0);
        this.write(`main: ${this.path === ':memory:' ? '""' : resolve(this.path)} ${this.db.readonly ? 'r/o' : 'r/w'}\n`);
        return;
      case '.tables': {
        maxArgs(1);
        const pattern = arg(0) ?? '%';
        const rows = this.query("SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name LIKE ? ORDER BY name", pattern);
        this.write(formatNameColumns(rows.map((r) => String(r[0]))));
        return;
      }
      case '.indexes':
      case '.indices': {
        maxArgs(1);
        const t = arg(0);
        const rows =
          t === undefined
            ? this.query("SELECT name FROM sqlite_schema WHERE type = 'index' ORDER BY name")
            : this.query("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name LIKE ? ORDER BY name", t);
        this.write(formatNameColumns(rows.map((r) => String(r[0]))));
        return;
      }
      case '.schema':
      case '.fullschema': {
        maxArgs(cmd === '.schema' ? 1 : 0);
        const t = arg(0);
        const rows =
          t === undefined
            ? this.query("SELECT sql, type, name FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")
            : this.query("SELECT sql, type, name FROM sqlite_schema WHERE sql IS NOT NULL AND tbl_name LIKE ? AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'", t);
        for (const [sql, type, name] of rows) {
          let text = schemaText(String(sql));
          // sqlite3's .schema notes a view's columns after it.
          if (type === 'view' && cmd === '.schema') {
            const cols = this.db.prepare(`SELECT * FROM ${quoteIdentifier(String(name))}`).columns().map((c) => quoteIdentifier(c.name));
            text += `\n/* ${quoteIdentifier(String(name))}(${cols.join(',')}) */`;
          }
          this.write(`${text};\n`);
        }
        if (cmd === '.fullschema') this.write('/* No STAT tables available */\n');
        return;
      }
      case '.info':
        maxArgs(0);
        this.write(this.info());
        return;
      case '.dump': {
        maxArgs(1);
        this.err.write('warning: .dump writes the database as PLAINTEXT SQL; protect the output like the key\n');
        dumpDatabase(this.db, (t) => this.write(t), arg(0), this.bar('dump', 0, 'rows'));
        this.db.audit('export', 'ok'); // spec/audit-log.md [AUD-OPS-1]: a plaintext export is a security operation
        return;
      }
      case '.import':
        this.importFile(rest);
        return;
      case '.backup': {
        // .backup [--set] [--plain] DEST: a sealed copy (same key) while the database stays usable.
        const flags = rest.filter((a) => a.startsWith('--'));
        const dests = rest.filter((a) => !a.startsWith('--'));
        for (const f of flags) if (f !== '--set' && f !== '--plain') throw new HeliosError('INVALID_ARGUMENT', `.backup: unknown option ${f}`);
        if (dests.length !== 1) throw new HeliosError('INVALID_ARGUMENT', '.backup [--set] [--plain] DEST');
        const bar = this.bar('backup', 0, 'bytes');
        try {
          const r = await this.db.backup(dests[0]!, {
            ...(flags.includes('--set') ? { set: true } : {}),
            ...(flags.includes('--plain') ? { plain: true as const } : {}),
            progress: (p) => {
              bar.total(p.bytesTotal);
              bar.update(p.bytesDone);
            },
          });
          this.write(`backup written: ${r.path}\n`);
        } finally {
          bar.done();
        }
        return;
      }
      case '.open':
        this.openOther(rest);
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
          throw ioError(`cannot read ${file}`, file, e);
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
      case '.verify': {
        maxArgs(0);
        const problems = verifyDatabase(this.db, this.bar('verify', 0, 'bytes'));
        if (problems.length > 0) throw new HeliosError('CORRUPTION', `verify found ${problems.length} problem(s):\n${problems.join('\n')}`);
        this.write('ok\n');
        return;
      }
      case '.audit': {
        maxArgs(2);
        if (arg(0) !== 'verify') throw new HeliosError('INVALID_ARGUMENT', 'usage: .audit verify [PATH]');
        const path = arg(1) ?? this.auditLogPath();
        const r = this.db.verifyAuditLog(path);
        if (r.firstBroken !== null) {
          const b = r.firstBroken;
          throw new HeliosError('CORRUPTION', `audit log ${r.path}: entry broken at line ${b.line}${b.seq !== null ? ` (seq ${b.seq})` : ''}: ${b.reason}`, { file: r.path });
        }
        const notes = [`${r.verified} verified`];
        if (r.unauthenticated > 0) notes.push(`${r.unauthenticated} failed unlock(s) vouched for by a later entry`);
        if (r.unauthenticatedTail > 0) notes.push(`${r.unauthenticatedTail} at the end not vouched for yet`);
        if (r.earlierRoot > 0) notes.push(`${r.earlierRoot} under an earlier root key`);
        if (r.otherDatabases > 0) notes.push(`${r.otherDatabases} line(s) of other databases`);
        this.write(`ok: audit log ${r.path}: ${r.entries} entries (${notes.join(', ')}), last seq ${r.lastSeq}${r.checkpointSeq !== null ? `, checkpoint seq ${r.checkpointSeq}` : ''}\n`);
        return;
      }
      case '.rekey':
        this.db.changeKey(this.keyArg(cmd, rest), this.kdf === undefined ? {} : { kdf: this.kdf });
        this.write('key changed: the old key no longer opens this database\n');
        return;
      case '.addkey':
        this.db.addKey(this.keyArg(cmd, rest), this.kdf === undefined ? {} : { kdf: this.kdf });
        this.write('key added\n');
        return;
      case '.removekey':
        this.db.removeKey(this.keyArg(cmd, rest));
        this.write('key removed\n');
        return;
      case '.revoke': {
        const r = this.db.revokeKeys({ keys: [this.keyArg(cmd, rest)], ...(this.kdf === undefined ? {} : { kdf: this.kdf }) });
        this.write(`keys revoked: only the given key opens this database; every file re-sealed with data key generation ${r.generation}\n`);
        return;
      }
      case '.rotate': {
        maxArgs(1);
        const r = arg(0);
        if (r !== undefined && r !== '--rewrite') throw new HeliosError('INVALID_ARGUMENT', '.rotate takes only --rewrite');
        const g = rotate(this.db, r === '--rewrite', this.bar('rewrite', 0, 'bytes'), () => this.checkInterrupt());
        const live = this.db.storageInfo().dataKeyGenerations;
        this.write(`data key generation ${g} started (live: ${live.join(', ')})\n`);
        return;
      }
      default:
        throw new HeliosError('INVALID_ARGUMENT', `unknown command ${JSON.stringify(cmd)}; enter .help for the list`);
    }
  }

  /** The audit log `.audit verify` checks by default: this handle's, else the configuration's. */
  private auditLogPath(): string | undefined {
    return this.db.storageInfo().auditLogPath ?? this.config?.logging.auditLogPath ?? undefined;
  }

  /** .parameter list | set NAME VALUE | unset NAME | clear (init is accepted and does nothing: the values live in the shell). */
  private parameter(rest: readonly string[]): void {
    const [sub, name, ...value] = rest;
    switch (sub) {
      case undefined:
      case 'list': {
        const w = Math.max(0, ...[...this.params.keys()].map((k) => k.length));
        for (const k of [...this.params.keys()].sort()) this.write(`${k.padEnd(w)} ${sqlLiteral(this.params.get(k), 'raw')}\n`);
        return;
      }
      case 'init':
        return;
      case 'clear':
        this.params.clear();
        return;
      case 'unset':
        if (name === undefined) throw new HeliosError('INVALID_ARGUMENT', '.parameter unset NAME');
        this.params.delete(name);
        return;
      case 'set': {
        if (name === undefined || value.length === 0) throw new HeliosError('INVALID_ARGUMENT', '.parameter set NAME VALUE');
        if (!/^([:@$][A-Za-z0-9_]+|\?\d+)$/.test(name)) throw new HeliosError('INVALID_ARGUMENT', `.parameter: ${name} is not a parameter name (:NAME, @NAME, $NAME or ?N)`);
        const text = value.join(' ');
        // As sqlite3: the value is an SQL expression when it is one ('text', 12, x'00', NULL), else the text itself.
        let v: unknown = text;
        try {
          v = this.db.prepare(`SELECT ${text}`).raw().safeIntegers().get()![0 as keyof object];
        } catch {
          v = text;
        }
        this.params.set(name, v);
        return;
      }
      default:
        throw new HeliosError('INVALID_ARGUMENT', '.parameter takes list, set NAME VALUE, unset NAME or clear');
    }
  }

  /** .import [--csv|--ascii] [--skip N] FILE TABLE */
  private importFile(rest: readonly string[]): void {
    const s = this.settings;
    let col = s.colSeparator;
    let row = s.rowSeparator;
    if (s.mode === 'csv') {
      col = ',';
      row = '\n';
    }
    let skip = 0;
    const names: string[] = [];
    for (let i = 0; i < rest.length; i++) {
      const a = rest[i]!;
      if (a === '--csv') {
        col = ',';
        row = '\n';
      } else if (a === '--ascii') {
        col = '\x1f';
        row = '\x1e';
      } else if (a === '--skip') {
        const n = rest[++i];
        if (n === undefined || !/^\d+$/.test(n)) throw new HeliosError('INVALID_ARGUMENT', '.import --skip takes a number');
        skip = Number(n);
      } else if (a === '-v') {
        // sqlite3's verbose flag: accepted.
      } else if (a.startsWith('-') && a !== '-') throw new HeliosError('INVALID_ARGUMENT', `.import: unknown option ${a}`);
      else names.push(a);
    }
    if (names.length !== 2) throw new HeliosError('INVALID_ARGUMENT', '.import takes [--csv|--ascii] [--skip N] FILE TABLE');
    if (row === '\r\n') row = '\n';
    if ([...col].length !== 1 || [...row].length !== 1) throw new HeliosError('INVALID_ARGUMENT', '.import needs one-character separators (see .separator)');
    const [file, table] = names as [string, string];
    let fd: number;
    let size: number;
    try {
      fd = openSync(file, 'r');
      size = fstatSync(fd).size;
    } catch (e) {
      throw ioError(`cannot read ${file}`, file, e);
    }
    let read = 0;
    // The file is read 1 MiB at a time: an import of any size holds one record, not the file.
    function* chunks(): Generator<string> {
      const buf = new Uint8Array(1 << 20);
      const decoder = new TextDecoder('utf-8');
      for (;;) {
        let n: number;
        try {
          n = readSync(fd, buf, 0, buf.length, null);
        } catch (e) {
          throw ioError(`cannot read ${file}`, file, e);
        }
        if (n === 0) break;
        read += n;
        yield decoder.decode(buf.subarray(0, n), { stream: true });
      }
      const tail = decoder.decode();
      if (tail !== '') yield tail;
    }
    try {
      importDelimited(this.db, chunks(), { file, table, colSeparator: col, rowSeparator: row, skip }, this.bar(`import ${file}`, size, 'bytes'), (w) => this.err.write(`${w}\n`), () => this.checkInterrupt(), () => read);
    } finally {
      closeSync(fd);
    }
  }

  /** .open [--new] [--readonly] [KEY] DIR: closes this database and opens DIR (with KEY, or the way the shell was started). */
  private openOther(rest: readonly string[]): void {
    let create = false;
    let readonly = false;
    let noEncryption = false;
    const keyWords: string[] = [];
    let path: string | null = null;
    for (let i = 0; i < rest.length; i++) {
      const a = rest[i]!;
      if (a === '--new' || a === '--create') create = true;
      else if (a === '--readonly') readonly = true;
      else if (a === '--no-encryption') noEncryption = true;
      else if (a === '--passphrase') keyWords.push(a);
      else if (a === '--key-file' || a === '--key-env' || a === '--passphrase-file' || a === '--passphrase-env') keyWords.push(a, rest[++i] ?? '');
      else if (a.startsWith('-')) throw new HeliosError('INVALID_ARGUMENT', `.open: unknown option ${a}`);
      else if (path === null) path = a;
      else throw new HeliosError('INVALID_ARGUMENT', '.open takes one directory');
    }
    if (path === null) throw new HeliosError('INVALID_ARGUMENT', '.open [--new] [--readonly] [KEY] DIR');
    const opts: { -readonly [K in keyof DatabaseOptions]: DatabaseOptions[K] } = { readonly, fileMustExist: !create && path !== ':memory:' };
    if (keyWords.length > 0) opts.key = this.keyArg('.open', keyWords);
    if (noEncryption) opts.encryption = false;
    if (this.kdf !== undefined) opts.kdf = this.kdf;
    if (this.interruptFlag !== undefined) opts.interruptFlag = this.interruptFlag;
    if (this.db.open && this.db.inTransaction) throw new HeliosError('TRANSACTION', '.open: COMMIT or ROLLBACK the open transaction first');
    const next = withCreateHint(path, create, () => new Database(path, opts));
    try {
      this.db.close();
    } finally {
      this.db = next;
      this.path = path;
      this.config = null;
    }
  }

  /** The key source a key command names: --key-file PATH | --key-env VAR | --passphrase-file PATH | --passphrase-env VAR | --passphrase. */
  private keyArg(cmd: string, rest: readonly string[]): KeySourceOption {
    const usage = `${cmd} takes one of --key-file PATH, --key-env VAR, --passphrase-file PATH, --passphrase-env VAR, --passphrase`;
    const [flag, value, ...extra] = rest;
    if (extra.length > 0) throw new HeliosError('INVALID_ARGUMENT', usage);
    if (flag === '--passphrase') {
      if (value !== undefined) throw new HeliosError('INVALID_ARGUMENT', usage);
      if (this.secret === null) throw new HeliosError('CONFIG', `${cmd} --passphrase needs a terminal to ask on; use --passphrase-file PATH or --passphrase-env VAR`);
      if (this.secret.length === 0) throw new HeliosError('CONFIG', 'no passphrase given; nothing changed');
      return { passphrase: this.secret };
    }
    if (value === undefined || value === '') throw new HeliosError('INVALID_ARGUMENT', usage);
    switch (flag) {
      case '--key-file':
        return { file: value };
      case '--key-env':
        return { env: value };
      case '--passphrase-file':
        return { passphraseFile: value };
      case '--passphrase-env':
        return resolveKeySource({ passphraseEnv: value }, { env: this.env });
      default:
        throw new HeliosError('INVALID_ARGUMENT', usage);
    }
  }

  private info(): string {
    let s = storageInfoText(this.db, this.path);
    const c = this.config;
    if (c !== null) {
      const width = 20;
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
}

/** `.info` / `heliosdb info`: encryption and format facts (never key material). */
export function storageInfoText(db: Database, path: string): string {
  const i = db.storageInfo();
  const lines: [string, string][] = [
    ['database', path],
    ['encryption', i.encryptionAlgorithm],
    ['key source', i.keySource],
    ['kdf', i.kdf],
    ['fips mode', i.fipsMode ? 'on' : 'off'],
    ['format version', String(i.formatVersion)],
    ['data key generation', `${i.currentDataKeyGeneration} (live: ${i.dataKeyGenerations.join(', ')})`],
    ['synchronous', i.synchronous],
    ['readonly', db.readonly ? 'yes' : 'no'],
  ];
  const width = 20;
  return lines.map(([k, v]) => `${(k + ':').padEnd(width)} ${v}\n`).join('');
}

/** rotateDataKey with its progress drawn (rewrite: bytes re-sealed); `check` may throw to stop between steps (the database stays consistent). */
export function rotate(db: Database, rewrite: boolean, bar: Progress, check: () => void): number {
  try {
    return db.rotateDataKey({
      rewrite,
      onProgress: (p) => {
        check();
        bar.total(p.bytesTotal);
        bar.update(p.bytesRewritten);
      },
    });
  } finally {
    bar.done();
  }
}

/** db.verifyIntegrity(): every block of every file authenticated, then the SQL level; the problems found (empty: ok), bytes on the bar. */
export function verifyDatabase(db: Database, bar: Progress): string[] {
  try {
    const r = db.verifyIntegrity({
      onProgress: (p) => {
        bar.total(p.bytesTotal);
        bar.update(p.bytesDone);
      },
    });
    return r.ok ? [] : [...r.problems];
  } finally {
    bar.done();
  }
}

/**
 * The schema and every row as SQL text that recreates the database, in
 * sqlite3's .dump form (sqlite3 loads it, and we load sqlite3's): tables
 * with their rows, sqlite_sequence, then indexes, triggers and views; a
 * virtual table as an INSERT INTO sqlite_schema under writable_schema.
 */
export function dumpDatabase(db: Database, write: (text: string) => void, like: string | undefined, bar: Progress): void {
  const q = (sql: string, ...p: unknown[]): unknown[][] => db.prepare(sql).raw().all(...p) as unknown[][];
  write('PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n');
  const filter = like === undefined ? '' : ' AND tbl_name LIKE ?';
  const params = like === undefined ? [] : [like];
  const tables = q(`SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'${filter}`, ...params);
  // A virtual table has no rows to dump (and its module may be missing): as sqlite3, its schema row goes in through writable_schema.
  const isVirtual = (sql: unknown): boolean => /^CREATE VIRTUAL TABLE/i.test(String(sql));
  let writableSchema = false;
  let total = 0;
  for (const [name, sql] of tables) if (!isVirtual(sql)) total += Number(q(`SELECT count(*) FROM ${quoteIdentifier(String(name))}`)[0]![0]);
  bar.total(total);
  let done = 0;
  try {
    for (const [name, sql] of tables) {
      const table = String(name);
      const text = String(sql);
      if (isVirtual(text)) {
        if (!writableSchema) write('PRAGMA writable_schema=ON;\n');
        writableSchema = true;
        const lit = (v: string): string => `'${v.replace(/'/g, "''")}'`;
        write(`INSERT INTO sqlite_schema(type,name,tbl_name,rootpage,sql)VALUES('table',${lit(table)},${lit(table)},0,${lit(text)});\n`);
        continue;
      }
      write(`${schemaText(text)};\n`);
      // As sqlite3's .dump: generated columns are left out (the reload computes them).
      const info = q('SELECT name, hidden FROM pragma_table_xinfo(?)', table);
      const list = info.some((r) => r[1] !== 0) ? info.filter((r) => r[1] === 0).map((r) => quoteIdentifier(String(r[0]))).join(',') : '*';
      const st = db.prepare(`SELECT ${list} FROM main.${quoteIdentifier(table)}`).raw().safeIntegers();
      const head = `INSERT INTO ${quoteIdentifier(table)} VALUES(`;
      let chunk = '';
      for (const row of st.iterate() as Iterable<unknown[]>) {
        chunk += head + row.map((v) => sqlLiteral(v)).join(',') + ');\n';
        if (++done % 512 === 0) {
          write(chunk);
          chunk = '';
          bar.update(done);
        }
      }
      write(chunk);
    }
    const seq = like === undefined ? q("SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_sequence'") : [];
    if (seq.length > 0) {
      const rows = q('SELECT name, seq FROM sqlite_sequence');
      if (rows.length > 0) write('DELETE FROM sqlite_sequence;\n' + rows.map(([n, s]) => `INSERT INTO sqlite_sequence VALUES(${sqlLiteral(n)},${String(s)});\n`).join(''));
    }
    for (const [sql] of q(`SELECT sql FROM sqlite_schema WHERE type IN ('index', 'trigger', 'view') AND sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'${filter}`, ...params)) {
      write(`${String(sql)};\n`);
    }
    if (writableSchema) write('PRAGMA writable_schema=OFF;\n');
    write('COMMIT;\n');
  } finally {
    bar.update(done);
    bar.done();
  }
}

/** A CREATE statement as sqlite3's .schema and .dump print it: a table whose CREATE quotes its name becomes CREATE TABLE IF NOT EXISTS. */
function schemaText(sql: string): string {
  return /^CREATE TABLE\s+["'`[]/i.test(sql) ? sql.replace(/^CREATE TABLE/i, 'CREATE TABLE IF NOT EXISTS') : sql;
}

/** EXPLAIN QUERY PLAN rows (id, parent, notused, detail) drawn as sqlite3 draws them. */
export function renderPlan(rows: readonly (readonly unknown[])[]): string {
  const children = new Map<string, { id: string; detail: string }[]>();
  for (const r of rows) {
    const parent = String(r[1]);
    const list = children.get(parent) ?? [];
    list.push({ id: String(r[0]), detail: String(r[3]) });
    children.set(parent, list);
  }
  let out = 'QUERY PLAN\n';
  const walk = (parent: string, prefix: string): void => {
    const list = children.get(parent) ?? [];
    list.forEach((c, i) => {
      const last = i === list.length - 1;
      out += `${prefix}${last ? '`--' : '|--'}${c.detail}\n`;
      walk(c.id, prefix + (last ? '   ' : '|  '));
    });
  };
  walk('0', '');
  return out;
}

function ioError(what: string, file: string, e: unknown): HeliosError {
  const code = typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : 'EIO';
  return new HeliosError('IO', `${what}: ${code}`, { file, osCode: code });
}

const DOT_COMMANDS = [
  '.addkey', '.audit', '.backup', '.bail', '.changes', '.databases', '.dump', '.echo', '.eqp', '.exit', '.fullschema', '.headers', '.help', '.import', '.indexes', '.info',
  '.mode', '.nullvalue', '.once', '.open', '.output', '.parameter', '.print', '.quit', '.read', '.rekey', '.removekey', '.revoke', '.rotate', '.schema',
  '.separator', '.show', '.tables', '.timer', '.verify', '.width',
];

/** Key commands are never abbreviated: they change who can open the database. */
const FULL_NAME_ONLY = new Set(['.addkey', '.rekey', '.removekey', '.revoke', '.rotate']);

/**
 * A dot command as typed, or abbreviated as sqlite3 allows (`.he on`,
 * `.mo csv`, `.sch`): two letters or more, the first command in
 * alphabetical order that starts with them; key commands only in full.
 */
function dotCommandName(typed: string): string {
  if (DOT_COMMANDS.includes(typed) || typed === '.header' || typed === '.indices' || typed === '.param') return typed;
  if (typed.length < 3) return typed;
  return DOT_COMMANDS.find((c) => c.startsWith(typed) && !FULL_NAME_ONLY.has(c)) ?? typed;
}

/**
 * Splits a dot-command line on blanks as sqlite3 does: "double" or 'single'
 * quotes group words; backslash escapes (\t \n \\ \" …) are resolved in
 * double-quoted and bare words, not in single-quoted ones.
 */
function splitArgs(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (const m of line.matchAll(re)) out.push(m[2] !== undefined ? m[2] : unescapeArg(m[1] ?? m[3]!));
  return out;
}
