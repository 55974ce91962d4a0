/**
 * The operator's commands, for scripts and cron: `heliosdb COMMAND DIR
 * [KEY] [options]`. Each is the shell run on DIR with one dot command, so
 * keys, configuration files, errors and exit statuses are the shell's:
 * 0 ok, 1 the command failed (verify: damage found), 2 bad arguments,
 * 3 the database could not be opened, 4 internal error.
 */
import { EXIT, runShell, type ShellOptions, type ShellWriter } from './shell.ts';

interface Operator {
  readonly summary: string;
  /** Extra options: name → whether it takes a value. */
  readonly options: Readonly<Record<string, boolean>>;
  /** The dot command to run, from the extra options given. */
  command(extra: ReadonlyMap<string, string | true>): string;
}

const KEY_OPTIONS = `  --key-file PATH | --key-env VAR | --passphrase | --passphrase-env VAR | --config FILE.toml
                         the key that opens DIR (as for the shell); --no-encryption for a plain database`;

function quote(s: string): string {
  return `"${s.replace(/["\\]/g, (c) => '\\' + c)}"`;
}

/** The key a key command acts on, from --PREFIX-key-file/-key-env/-passphrase/-passphrase-env. */
function keyWords(prefix: string, extra: ReadonlyMap<string, string | true>): string {
  const given: string[] = [];
  for (const kind of ['key-file', 'key-env', 'passphrase-env']) {
    const v = extra.get(`--${prefix}-${kind}`);
    if (typeof v === 'string') given.push(`--${kind} ${quote(v)}`);
  }
  if (extra.get(`--${prefix}-passphrase`) === true) given.push('--passphrase');
  if (given.length !== 1) throw new OperatorUsage(`give exactly one of --${prefix}-key-file, --${prefix}-key-env, --${prefix}-passphrase, --${prefix}-passphrase-env`);
  return given[0]!;
}

const keyOptions = (prefix: string): Record<string, boolean> => ({
  [`--${prefix}-key-file`]: true,
  [`--${prefix}-key-env`]: true,
  [`--${prefix}-passphrase`]: false,
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
    summary: 'replace the key that opens DIR by a new one (O(1)): --new-key-file PATH | --new-key-env VAR | --new-passphrase | --new-passphrase-env VAR',
    options: keyOptions('new'),
    command: (x) => `.rekey ${keyWords('new', x)}`,
  },
  addkey: {
    summary: 'add a key that also opens DIR (a recovery key): --new-key-file PATH | --new-key-env VAR | --new-passphrase | --new-passphrase-env VAR',
    options: keyOptions('new'),
    command: (x) => `.addkey ${keyWords('new', x)}`,
  },
  removekey: {
    summary: 'remove a key slot: --remove-key-file PATH | --remove-key-env VAR | --remove-passphrase | --remove-passphrase-env VAR',
    options: keyOptions('remove'),
    command: (x) => `.removekey ${keyWords('remove', x)}`,
  },
  rotate: {
    summary: 'start a new data-key generation; --rewrite re-seals every table with it (progress on a terminal)',
    options: { '--rewrite': false },
    command: (x) => (x.has('--rewrite') ? '.rotate --rewrite' : '.rotate'),
  },
};

class OperatorUsage extends Error {}

/** Whether the arguments name an operator command (COMMAND then DIR or --help). A directory named like one opens as ./verify. */
export function isOperatorCommand(args: readonly string[]): boolean {
  return args.length >= 2 && Object.prototype.hasOwnProperty.call(OPERATORS, args[0]!);
}

export function operatorUsage(name: string): string {
  const op = OPERATORS[name]!;
  const extra = Object.entries(op.options)
    .map(([k, v]) => `${k}${v ? ' VALUE' : ''}`)
    .join(' | ');
  return `usage: heliosdb ${name} DIR [KEY] ${extra === '' ? '' : `[${extra}]`}\n  ${op.summary}\n${KEY_OPTIONS}\nExit status: 0 ok, 1 the command failed${name === 'verify' ? ' (damage found)' : ''}, 2 bad arguments, 3 DIR could not be opened, 4 internal error.\n`;
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
  const name = args[0]!;
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
    const dirs = pass.filter((a, i) => !a.startsWith('-') && !['--key-file', '--key-env', '--passphrase-env', '--config'].includes(pass[i - 1] ?? ''));
    if (dirs.length !== 1) throw new OperatorUsage('give one database directory');
    const command = op.command(extra);
    const options: ShellOptions = {
      args: [...pass, command],
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
