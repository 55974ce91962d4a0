/**
 * The operator's commands, for scripts and cron: `heliosdb COMMAND DIR
 * [KEY] [options]`. Each is the shell run on DIR with one dot command, so
 * keys, configuration files, errors and exit statuses are the shell's:
 * 0 ok, 1 the command failed (verify: damage found), 2 bad arguments,
 * 3 the database could not be opened, 4 internal error.
 */
import { HeliosError, importSqlite, resolveKeySource, restoreBackup, type KeySourceOption } from '../../index.ts';
import { askPassphrase, EXIT, formatError, runShell, type ShellOptions, type ShellWriter } from './shell.ts';
import { createProgress } from './progress.ts';

interface Operator {
  readonly summary: string;
  /** Extra options: name → whether it takes a value. */
  readonly options: Readonly<Record<string, boolean>>;
  /** Opens DIR readonly. */
  readonly readonly?: boolean;
  /** The dot command to run, from the extra options given. */
  command(extra: ReadonlyMap<string, string | true>): string;
}

const KEY_OPTIONS = `  --key-file PATH | --key-env VAR | --passphrase | --passphrase-file PATH | --passphrase-env VAR | --config FILE.toml
                         the key that opens DIR (as for the shell); --no-encryption for a plain database
  --audit-log PATH       record this run's security operations in the audit log PATH`;

function quote(s: string): string {
  return `"${s.replace(/["\\]/g, (c) => '\\' + c)}"`;
}

/** The key a key command acts on, from --PREFIX-key-file/-key-env/-passphrase/-passphrase-file/-passphrase-env. */
function keyWords(prefix: string, extra: ReadonlyMap<string, string | true>): string {
  const given: string[] = [];
  for (const kind of ['key-file', 'key-env', 'passphrase-file', 'passphrase-env']) {
    const v = extra.get(`--${prefix}-${kind}`);
    if (typeof v === 'string') given.push(`--${kind} ${quote(v)}`);
  }
  if (extra.get(`--${prefix}-passphrase`) === true) given.push('--passphrase');
  if (given.length !== 1) throw new OperatorUsage(`give exactly one of --${prefix}-key-file, --${prefix}-key-env, --${prefix}-passphrase, --${prefix}-passphrase-file, --${prefix}-passphrase-env`);
  return given[0]!;
}

const keyOptions = (prefix: string): Record<string, boolean> => ({
  [`--${prefix}-key-file`]: true,
  [`--${prefix}-key-env`]: true,
  [`--${prefix}-passphrase`]: false,
  [`--${prefix}-passphrase-file`]: true,
  [`--${prefix}-passphrase-env`]: true,
});

const OPERATORS: Readonly<Record<string, Operator>> = {
  verify: {
    summary: 'read and check every block and file (PRAGMA integrity_check and every row); exit 1 when damage is found',
    options: {},
    command: () => '.verify',
  },
  info: { summary: 'encryption, key source, KDF, format version and data-key generations (never key material)', options: {}, command: () => '.info' },
  dump: {
    summary: 'the database as SQL text on standard output (PLAINTEXT); --table NAME for one table',
    options: { '--table': true },
    command: (x) => (typeof x.get('--table') === 'string' ? `.dump ${quote(x.get('--table') as string)}` : '.dump'),
  },
  rekey: {
    summary: 'replace the key that opens DIR by a new one (O(1)): --new-key-file PATH | --new-key-env VAR | --new-passphrase | --new-passphrase-file PATH | --new-passphrase-env VAR',
    options: keyOptions('new'),
    command: (x) => `.rekey ${keyWords('new', x)}`,
  },
  addkey: {
    summary: 'add a key that also opens DIR (a recovery key): --new-key-file PATH | --new-key-env VAR | --new-passphrase | --new-passphrase-file PATH | --new-passphrase-env VAR',
    options: keyOptions('new'),
    command: (x) => `.addkey ${keyWords('new', x)}`,
  },
  removekey: {
    summary: 'remove a key slot: --remove-key-file PATH | --remove-key-env VAR | --remove-passphrase | --remove-passphrase-file PATH | --remove-passphrase-env VAR',
    options: keyOptions('remove'),
    command: (x) => `.removekey ${keyWords('remove', x)}`,
  },
  backup: {
    summary: 'a sealed copy of DIR in DEST (same key) while DIR stays usable; --set: DEST is a backup set (incremental); --plain: UNENCRYPTED copy',
    options: { '--set': false, '--plain': false, '--to': true },
    command: (x) => {
      const to = x.get('--to');
      if (typeof to !== 'string') throw new OperatorUsage('give the destination: heliosdb backup DIR --to DEST');
      return `.backup ${x.has('--set') ? '--set ' : ''}${x.has('--plain') ? '--plain ' : ''}${quote(to)}`;
    },
  },
  'audit verify': {
    summary:
      'check the tamper-evident audit log of DIR (--audit-log PATH, else the --config file\'s audit_log_path) with its key; DIR is opened readonly; exit 1 names the first broken entry (line, seq, reason)',
    options: { '--audit-log': true },
    readonly: true,
    command: (x) => (typeof x.get('--audit-log') === 'string' ? `.audit verify ${quote(x.get('--audit-log') as string)}` : '.audit verify'),
  },
  rotate: {
    summary: 'start a new data-key generation; --rewrite re-seals every table with it (progress on a terminal)',
    options: { '--rewrite': false },
    command: (x) => (x.has('--rewrite') ? '.rotate --rewrite' : '.rotate'),
  },
};

class OperatorUsage extends Error {}

/** Commands that do not open a database with the shell: they take two paths. */
const TWO_PATHS: Readonly<Record<string, string>> = {
  restore: 'usage: heliosdb restore BACKUP DEST [KEY] [--name NAME]\n  verify backup BACKUP (a backup, or the newest / NAMEd one of a backup set) and restore it into the new directory DEST; it opens with the key of the backup',
  'import-sqlite': 'usage: heliosdb import-sqlite SRC DEST [KEY]\n  copy the SQLite database file SRC (tables, rows, indexes, views, triggers, AUTOINCREMENT marks) into the new encrypted database DEST, sealed with KEY',
};

/** Whether the arguments name an operator command (COMMAND then DIR or --help). A directory named like one opens as ./verify. */
export function isOperatorCommand(args: readonly string[]): boolean {
  const name = args[0]!;
  if (name === 'audit') return args.length >= 2;
  return args.length >= 2 && (Object.prototype.hasOwnProperty.call(OPERATORS, name) || Object.prototype.hasOwnProperty.call(TWO_PATHS, name));
}

/** The key options of restore and import-sqlite (as the shell's); a passphrase is asked (twice when it makes a new key). */
async function keyFrom(args: readonly string[], io: OperatorIo, isNew: boolean): Promise<{ key: KeySourceOption | undefined; paths: string[]; name: string | undefined }> {
  let key: KeySourceOption | undefined;
  let name: string | undefined;
  const paths: string[] = [];
  const env = io.env ?? process.env;
  const set = (k: KeySourceOption): void => {
    if (key !== undefined) throw new OperatorUsage('give at most one key option');
    key = k;
  };
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined || v === '') throw new OperatorUsage(`${a} needs a value`);
      return v;
    };
    if (a === '--key-file') set({ file: value() });
    else if (a === '--key-env') set({ env: value() });
    else if (a === '--passphrase-file') set({ passphraseFile: value() });
    else if (a === '--passphrase-env') set(resolveKeySource({ passphraseEnv: value() }, { env }));
    else if (a === '--passphrase') {
      if (io.readSecret === undefined) throw new HeliosError('CONFIG', '--passphrase needs a terminal to ask on; use --passphrase-file PATH or --passphrase-env VAR');
      const p = await askPassphrase(io.readSecret, isNew ? 'New passphrase: ' : 'Passphrase: ', isNew, 'nothing written');
      if (p === null) throw new HeliosError('CONFIG', 'no passphrase given');
      set({ passphrase: p });
    } else if (a === '--name') name = value();
    else if (a.startsWith('-')) throw new OperatorUsage(`unknown option ${a}`);
    else paths.push(a);
  }
  if (paths.length !== 2) throw new OperatorUsage('give two paths');
  return { key, paths, name };
}

async function runTwoPaths(name: string, args: readonly string[], io: OperatorIo): Promise<number> {
  const bar = createProgress(io.progress === true ? io.errors : null, name, 0, name === 'restore' ? 'bytes' : 'pages', () => performance.now());
  let key: KeySourceOption | undefined;
  try {
    const parsed = await keyFrom(args, io, name === 'import-sqlite');
    key = parsed.key;
    const [from, to] = parsed.paths as [string, string];
    if (name === 'restore') {
      const r = restoreBackup(from, to, {
        ...(key !== undefined ? { key } : {}),
        ...(parsed.name !== undefined ? { name: parsed.name } : {}),
        progress: (p) => {
          bar.total(p.bytesTotal);
          bar.update(p.bytesDone);
        },
      });
      bar.done();
      io.output.write(`restored ${r.source} into ${r.path} (${r.files} files, ${r.bytes} bytes, verified)\n`);
    } else {
      if (key === undefined) throw new OperatorUsage('give the key of the new database (--key-file, --key-env, --passphrase, --passphrase-file, --passphrase-env)');
      const r = importSqlite(from, to, {
        key,
        ...(io.kdf !== undefined ? { kdf: io.kdf } : {}),
        onProgress: (p) => {
          bar.total(p.pageCount);
          bar.update(p.pagesRead);
        },
      });
      bar.done();
      io.output.write(`imported ${from} into ${to}: ${r.tables} tables, ${r.rows} rows, ${r.indexes} indexes, ${r.views} views, ${r.triggers} triggers\n`);
    }
    return EXIT.OK;
  } catch (e) {
    bar.done();
    if (e instanceof OperatorUsage) {
      io.errors.write(`heliosdb ${name}: ${e.message}\n${TWO_PATHS[name]}\n`);
      return EXIT.USAGE;
    }
    io.errors.write(formatError(e));
    return e instanceof HeliosError ? EXIT.FAILED : EXIT.INTERNAL;
  } finally {
    const p = key !== undefined && 'passphrase' in key ? key.passphrase : null;
    if (p instanceof Uint8Array) p.fill(0);
  }
}

export function operatorUsage(name: string): string {
  const op = OPERATORS[name]!;
  const extra = Object.entries(op.options)
    .map(([k, v]) => `${k}${v ? ' VALUE' : ''}`)
    .join(' | ');
  // audit verify's --audit-log names the log to check, not one to record this run in.
  const keys = name === 'audit verify' ? KEY_OPTIONS.split('\n').slice(0, 2).join('\n') : KEY_OPTIONS;
  const failed = name === 'verify' ? ' (damage found)' : name === 'audit verify' ? ' (a broken entry: line, seq, reason)' : '';
  return `usage: heliosdb ${name} DIR [KEY] ${extra === '' ? '' : `[${extra}]`}\n  ${op.summary}\n${keys}\nExit status: 0 ok, 1 the command failed${failed}, 2 bad arguments, 3 DIR could not be opened, 4 internal error.\n`;
}

export interface OperatorIo {
  readonly output: ShellWriter;
  readonly errors: ShellWriter;
  readonly readSecret?: ShellOptions['readSecret'];
  readonly progress?: boolean;
  readonly env?: ShellOptions['env'];
  readonly kdf?: ShellOptions['kdf'];
}

/** Runs `heliosdb COMMAND …`; resolves to the exit status. */
export async function runOperator(args: readonly string[], io: OperatorIo): Promise<number> {
  if (args[0] === 'audit') {
    // `heliosdb audit verify DIR …`: the one subcommand of audit so far.
    if (args[1] !== 'verify') {
      if (args[1] === '--help' || args[1] === '-h') {
        io.output.write(operatorUsage('audit verify'));
        return EXIT.OK;
      }
      io.errors.write(`heliosdb audit: unknown subcommand ${JSON.stringify(args[1] ?? '')}\n${operatorUsage('audit verify')}`);
      return EXIT.USAGE;
    }
    args = ['audit verify', ...args.slice(2)];
  }
  const name = args[0]!;
  const two = TWO_PATHS[name];
  if (two !== undefined) {
    if (args.includes('--help') || args.includes('-h')) {
      io.output.write(`${two}\n${KEY_OPTIONS}\nExit status: 0 ok, 1 it failed (nothing written), 2 bad arguments, 4 internal error.\n`);
      return EXIT.OK;
    }
    return runTwoPaths(name, args, io);
  }
  const op = OPERATORS[name]!;
  if (args.includes('--help') || args.includes('-h')) {
    io.output.write(operatorUsage(name));
    return EXIT.OK;
  }
  const extra = new Map<string, string | true>();
  const pass: string[] = [];
  try {
    for (let i = 1; i < args.length; i++) {
      const a = args[i]!;
      if (Object.prototype.hasOwnProperty.call(op.options, a)) {
        if (op.options[a]) {
          const v = args[++i];
          if (v === undefined || v === '') throw new OperatorUsage(`${a} needs a value`);
          extra.set(a, v);
        } else extra.set(a, true);
      } else pass.push(a);
    }
    const dirs = pass.filter((a, i) => !a.startsWith('-') && !['--key-file', '--key-env', '--passphrase-file', '--passphrase-env', '--config', '--audit-log'].includes(pass[i - 1] ?? ''));
    if (dirs.length !== 1) throw new OperatorUsage('give one database directory');
    const command = op.command(extra);
    const options: ShellOptions = {
      args: [...pass, ...(op.readonly === true ? ['--readonly'] : []), command],
      input: '',
      output: io.output,
      errors: io.errors,
      ...(io.readSecret !== undefined ? { readSecret: io.readSecret } : {}),
      ...(io.progress !== undefined ? { progress: io.progress } : {}),
      ...(io.env !== undefined ? { env: io.env } : {}),
      ...(io.kdf !== undefined ? { kdf: io.kdf } : {}),
    };
    return await runShell(options);
  } catch (e) {
    if (!(e instanceof OperatorUsage)) throw e;
    io.errors.write(`heliosdb ${name}: ${e.message}\n${operatorUsage(name)}`);
    return EXIT.USAGE;
  }
}
