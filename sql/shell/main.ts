/**
 * The `heliosdb` command: runShell wired to this process.
 *
 * - Standard input a TTY: line editing and unechoed passphrase prompts (terminal.ts).
 * - Otherwise standard input is read as a stream (process.stdin), never with
 *   readFileSync(0): a pipe whose writer is another Node process is
 *   non-blocking, and a synchronous read of it fails with EAGAIN
 *   (`heliosdb a.db .dump | heliosdb b.db --create`). The stream streams, so
 *   a dump of any size is restored line by line.
 * - A broken pipe on standard output (`heliosdb db .dump | head`) ends quietly.
 * - Passphrase prompts with standard input a pipe read /dev/tty (readSecretFromDevTty).
 * - Anything that escapes runShell is reported as `Error [INTERNAL]` without a
 *   stack trace, exit status 4.
 */
import { openSync } from 'node:fs';
import { ReadStream } from 'node:tty';
import { EXIT, formatError, parseShellArgs, runShell, type ShellOptions } from './shell.ts';
import { createTerminal, readSecretRaw, type Terminal, type TerminalInput } from './terminal.ts';

/**
 * With standard input a pipe (`… .dump | heliosdb b.db --create --passphrase`)
 * a passphrase is read from the controlling terminal, /dev/tty, as ssh and
 * gpg do; the prompt goes to standard error. Null when there is none.
 */
async function readSecretFromDevTty(prompt: string): Promise<Uint8Array | null> {
  let fd: number;
  try {
    fd = openSync('/dev/tty', 'r');
  } catch {
    return null;
  }
  const input = new ReadStream(fd);
  try {
    return await readSecretRaw(input as unknown as TerminalInput, process.stderr, prompt);
  } finally {
    input.destroy();
  }
}

export async function main(args: readonly string[]): Promise<number> {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? EXIT.OK);
    process.stderr.write(formatError(e));
    process.exit(EXIT.INTERNAL);
  });
  const stdin = process.stdin as unknown as TerminalInput;
  const interactive = stdin.isTTY === true;
  // Standard input is not read when the arguments are wrong, ask for help or the version, or carry the SQL.
  let readsInput = true;
  try {
    const parsed = parseShellArgs(args);
    readsInput = !parsed.help && !parsed.version && parsed.commands.length === 0;
  } catch {
    readsInput = false;
  }
  let terminal: Terminal | null = null;
  const tty = (): Terminal => (terminal ??= createTerminal(stdin, process.stdout, process.stderr));
  let input: ShellOptions['input'];
  if (!readsInput) input = '';
  else if (interactive) input = { readLine: (prompt) => tty().readLine(prompt) };
  else input = process.stdin;
  try {
    return await runShell({
      args,
      input,
      output: process.stdout,
      errors: process.stderr,
      readSecret: interactive ? (prompt: string) => tty().readSecret(prompt) : readSecretFromDevTty,
    });
  } catch (e) {
    process.stderr.write(formatError(e));
    return EXIT.INTERNAL;
  } finally {
    (terminal as Terminal | null)?.close();
  }
}
