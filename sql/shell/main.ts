/**
 * The `heliosdb` command: runShell wired to this process.
 *
 * Two threads, so that Ctrl-C can stop a running statement: the shell and
 * its database run in a worker (node:worker_threads); this main thread owns
 * the terminal, standard input and output, and the interrupt. Everything
 * the worker's shell reads or writes is a message to the main thread (in
 * order, so prompts and results never interleave wrongly). Ctrl-C while a
 * statement runs stores 1 into a flag on a SharedArrayBuffer that the
 * database checks at every row (DatabaseOptions.interruptFlag): the
 * statement fails with INTERRUPTED and the shell goes on. Ctrl-C at the
 * prompt drops the partial statement. With standard input not a terminal,
 * SIGINT interrupts the running statement, and a third one exits (130), as
 * sqlite3 does. Where a worker cannot start the shell runs on this thread
 * (Ctrl-C then ends the process).
 *
 * - Standard input a TTY: line editing and unechoed passphrase prompts (terminal.ts).
 * - Otherwise standard input is read as a stream, never with readFileSync(0):
 *   a pipe whose writer is another Node process is non-blocking, and a
 *   synchronous read of it fails with EAGAIN (`heliosdb a.db .dump |
 *   heliosdb b.db --create`). The worker asks for one chunk at a time, so a
 *   dump of any size streams through in bounded memory.
 * - A broken pipe on standard output (`heliosdb db .dump | head`) ends quietly.
 * - Passphrase prompts with standard input a pipe read /dev/tty (readSecretFromDevTty).
 * - Progress bars are drawn when standard error is a terminal.
 * - Anything that escapes runShell is reported as `Error [INTERNAL]` without a
 *   stack trace, exit status 4.
 */
import { openSync } from 'node:fs';
import { ReadStream } from 'node:tty';
import { Worker, parentPort, workerData } from 'node:worker_threads';
import { EXIT, formatError, INTERRUPTED, parseShellArgs, runShell, type ShellLineReader, type ShellOptions } from './shell.ts';
import { runOperator, isOperatorCommand } from './operator.ts';
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

/** What the main thread tells the worker at start. */
interface WorkerStart {
  readonly heliosShellWorker: true;
  readonly args: readonly string[];
  /** How the worker's shell reads: not at all, lines at a terminal, or chunks of a stream. */
  readonly input: 'none' | 'lines' | 'stream';
  readonly progress: boolean;
  readonly flag: SharedArrayBuffer;
  /** BigInt64 [0]: characters of output the main thread has written (flow control, see OUTPUT_AHEAD). */
  readonly written: SharedArrayBuffer;
}

/**
 * Characters of output the worker may have sent that the main thread has not
 * written yet; past it the worker waits (Atomics.wait), so a huge .dump into
 * a slow pipe holds at most this much in the message queue.
 */
const OUTPUT_AHEAD = 4 * 1024 * 1024;

type ToMain =
  | { t: 'out' | 'err'; s: string }
  | { t: 'readLine'; prompt: string }
  | { t: 'readSecret'; prompt: string }
  | { t: 'chunk' }
  | { t: 'exit'; code: number };

type ToWorker = { t: 'line'; v: string | null | 'INTERRUPTED' } | { t: 'secret'; v: Uint8Array | null } | { t: 'chunk'; v: Uint8Array | null };

function readsInput(args: readonly string[]): boolean {
  if (isOperatorCommand(args)) return false;
  try {
    const parsed = parseShellArgs(args);
    return !parsed.help && !parsed.version && parsed.commands.length === 0;
  } catch {
    return false;
  }
}

/** The program. `workerUrl`: the entry module, started again as the worker (scripts/shell.ts); without it the shell runs on this thread. */
export async function main(args: readonly string[], workerUrl?: URL): Promise<number> {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? EXIT.OK);
    process.stderr.write(formatError(e));
    process.exit(EXIT.INTERNAL);
  });
  const stdin = process.stdin as unknown as TerminalInput;
  const interactive = stdin.isTTY === true;
  const reads = readsInput(args);
  const progress = process.stderr.isTTY === true;
  let terminal: Terminal | null = null;
  // [0]: the database's interrupt flag; [1]: the shell's sticky copy (ShellOptions.interruptFlag).
  const flag = new Int32Array(new SharedArrayBuffer(8));
  const interrupt = (): void => {
    Atomics.store(flag, 1, 1);
    Atomics.store(flag, 0, 1);
  };
  let busy = false;
  const tty = (): Terminal =>
    (terminal ??= createTerminal(stdin, process.stdout, process.stderr, () => {
      // Ctrl-C while no line is being read: a statement runs; stop it.
      if (busy) interrupt();
    }));
  const readSecret = interactive ? (prompt: string) => tty().readSecret(prompt) : readSecretFromDevTty;
  try {
    if (workerUrl !== undefined && !isOperatorCommand(args)) {
      const code = await runInWorker(workerUrl, args, reads ? (interactive ? 'lines' : 'stream') : 'none', progress, interrupt, flag, tty, readSecret, (b) => (busy = b));
      if (code !== null) return code;
    }
    if (isOperatorCommand(args)) {
      return await runOperator(args, { output: process.stdout, errors: process.stderr, readSecret, progress });
    }
    let input: ShellOptions['input'];
    if (!reads) input = '';
    else if (interactive) input = { readLine: (prompt) => tty().readLine(prompt) };
    else input = process.stdin;
    return await runShell({ args, input, output: process.stdout, errors: process.stderr, readSecret, progress });
  } catch (e) {
    process.stderr.write(formatError(e));
    return EXIT.INTERNAL;
  } finally {
    (terminal as Terminal | null)?.close();
  }
}

/** Runs the shell in a worker; null when the worker could not start (the caller runs it here). */
function runInWorker(
  url: URL,
  args: readonly string[],
  input: WorkerStart['input'],
  progress: boolean,
  interrupt: () => void,
  flag: Int32Array,
  tty: () => Terminal,
  readSecret: (prompt: string) => Promise<Uint8Array | null>,
  setBusy: (busy: boolean) => void,
): Promise<number | null> {
  return new Promise((resolveRun, rejectRun) => {
    const written = new BigInt64Array(new SharedArrayBuffer(8));
    const start: WorkerStart = { heliosShellWorker: true, args, input, progress, flag: flag.buffer as SharedArrayBuffer, written: written.buffer as SharedArrayBuffer };
    const wrote = (n: number): void => {
      Atomics.add(written, 0, BigInt(n));
      Atomics.notify(written, 0);
    };
    let worker: Worker;
    try {
      worker = new Worker(url, { workerData: start });
    } catch {
      resolveRun(null);
      return;
    }
    let online = false;
    let interrupts = 0;
    const chunks = input === 'stream' ? process.stdin[Symbol.asyncIterator]() : null;
    const onSigint = (): void => {
      // A signal, not a key read by readline: standard input is not a terminal, or the terminal is in
      // cooked mode (a key command's KDF runs after its passphrase prompt). Interrupt the statement;
      // in a script the third Ctrl-C ends the shell.
      if (input !== 'lines' && ++interrupts > 2) process.exit(130);
      interrupt();
    };
    process.on('SIGINT', onSigint);
    setBusy(true);
    const post = (m: ToWorker, transfer: ArrayBuffer[] = []): void => worker.postMessage(m, transfer);
    worker.on('online', () => (online = true));
    worker.on('message', (m: ToMain) => {
      switch (m.t) {
        case 'out':
          process.stdout.write(m.s);
          wrote(m.s.length);
          return;
        case 'err':
          process.stderr.write(m.s);
          wrote(m.s.length);
          return;
        case 'readLine':
          setBusy(false);
          void tty()
            .readLine(m.prompt)
            .then((v) => {
              setBusy(true);
              post({ t: 'line', v: v === INTERRUPTED ? 'INTERRUPTED' : v });
            });
          return;
        case 'readSecret':
          setBusy(false);
          void readSecret(m.prompt).then((v) => {
            setBusy(true);
            if (v === null) post({ t: 'secret', v: null });
            else post({ t: 'secret', v }, [v.buffer as ArrayBuffer]);
          });
          return;
        case 'chunk':
          void chunks!.next().then(
            (r) => {
              interrupts = 0;
              const v = r.done === true ? null : typeof r.value === 'string' ? new TextEncoder().encode(r.value) : (r.value as Uint8Array);
              post({ t: 'chunk', v });
            },
            (e: unknown) => {
              process.stderr.write(formatError(e));
              post({ t: 'chunk', v: null });
            },
          );
          return;
        case 'exit':
          process.removeListener('SIGINT', onSigint);
          void worker.terminate().then(() => resolveRun(m.code));
          return;
      }
    });
    worker.on('error', (e) => {
      process.removeListener('SIGINT', onSigint);
      if (!online) resolveRun(null);
      else rejectRun(e);
    });
  });
}

/** True in the thread main() started (scripts/shell.ts checks it). */
export function isShellWorker(): boolean {
  return parentPort !== null && (workerData as Partial<WorkerStart> | null)?.heliosShellWorker === true;
}

/** The worker's side: runShell with every read and write a message to the main thread. */
export async function workerMain(): Promise<void> {
  const port = parentPort!;
  const start = workerData as WorkerStart;
  const written = new BigInt64Array(start.written);
  let sent = 0;
  const send = (m: ToMain): void => port.postMessage(m);
  /** Output is sent at once, but never more than OUTPUT_AHEAD characters ahead of what the main thread wrote. */
  const sendText = (t: 'out' | 'err', s: string): void => {
    for (;;) {
      const done = Atomics.load(written, 0);
      if (sent - Number(done) <= OUTPUT_AHEAD) break;
      Atomics.wait(written, 0, done, 1000);
    }
    sent += s.length;
    send({ t, s });
  };
  let waiting: ((m: ToWorker) => void) | null = null;
  port.on('message', (m: ToWorker) => {
    const w = waiting;
    waiting = null;
    w?.(m);
  });
  const ask = (m: ToMain): Promise<ToWorker> =>
    new Promise((r) => {
      waiting = r;
      send(m);
    });
  const lines: ShellLineReader = {
    readLine: async (prompt) => {
      const r = await ask({ t: 'readLine', prompt });
      if (r.t !== 'line') return null;
      return r.v === 'INTERRUPTED' ? INTERRUPTED : r.v;
    },
  };
  async function* stream(): AsyncGenerator<Uint8Array> {
    for (;;) {
      const r = await ask({ t: 'chunk' });
      if (r.t !== 'chunk' || r.v === null) return;
      yield r.v;
    }
  }
  let code: number;
  try {
    code = await runShell({
      args: start.args,
      input: start.input === 'none' ? '' : start.input === 'lines' ? lines : stream(),
      output: { write: (s: string) => sendText('out', s) },
      errors: { write: (s: string) => sendText('err', s) },
      readSecret: async (prompt) => {
        const r = await ask({ t: 'readSecret', prompt });
        return r.t === 'secret' ? r.v : null;
      },
      progress: start.progress,
      interruptFlag: new Int32Array(start.flag),
    });
  } catch (e) {
    send({ t: 'err', s: formatError(e) });
    code = EXIT.INTERNAL;
  }
  send({ t: 'exit', code });
}
