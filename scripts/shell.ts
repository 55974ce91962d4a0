// The `heliosdb` command: sql/shell.ts wired to this process's terminal.
//
//   npm run shell -- ehr.db --key-file /secure/ehr.key
//   echo "SELECT count(*) FROM patients;" | npm run shell -- ehr.db --key-env HELIOS_KEY
//
// Standard input that is a terminal gets line editing (node:readline) and a
// passphrase prompt that does not echo; anything else is read whole as a script.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { INTERRUPTED, parseShellArgs, runShell, type ShellLineReader } from '../sql/shell.ts';

/** Reads one line from the terminal in raw mode, echoing nothing. */
function readSecret(prompt: string): Promise<string | null> {
  const stdin = process.stdin;
  if (!stdin.isTTY) return Promise.resolve(null);
  process.stderr.write(prompt);
  return new Promise((done) => {
    let text = '';
    const finish = (v: string | null): void => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.removeListener('data', onData);
      process.stderr.write('\n');
      done(v);
    };
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish(text);
        if (ch === '\u0003' || ch === '\u0004') return finish(null);
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else text += ch;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

function terminalReader(): { reader: ShellLineReader; close(): void } {
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true, historySize: 1000 });
  const lines: (string | null | typeof INTERRUPTED)[] = [];
  let waiting: ((v: string | null | typeof INTERRUPTED) => void) | null = null;
  const push = (v: string | null | typeof INTERRUPTED): void => {
    if (waiting !== null) {
      const w = waiting;
      waiting = null;
      w(v);
    } else lines.push(v);
  };
  rl.on('line', (l) => push(l));
  rl.on('close', () => push(null));
  rl.on('SIGINT', () => {
    process.stdout.write('^C\n');
    push(INTERRUPTED);
  });
  return {
    reader: {
      readLine(prompt) {
        if (lines.length > 0) return Promise.resolve(lines.shift()!);
        rl.setPrompt(prompt);
        rl.prompt();
        return new Promise((r) => (waiting = r));
      },
    },
    close: () => rl.close(),
  };
}

process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

const args = process.argv.slice(2);
const interactive = process.stdin.isTTY === true;
// Standard input is not read when the arguments are wrong, ask for help or carry the SQL.
let readsInput = true;
try {
  const parsed = parseShellArgs(args);
  readsInput = !parsed.help && parsed.sql === null;
} catch {
  readsInput = false;
}
let terminal: ReturnType<typeof terminalReader> | null = null;
let input: string | ShellLineReader;
if (interactive && readsInput) {
  input = {
    readLine: (prompt) => {
      terminal ??= terminalReader();
      return terminal.reader.readLine(prompt);
    },
  };
} else {
  input = readsInput ? readFileSync(0, 'utf8') : '';
}
process.exitCode = await runShell({
  args,
  input,
  output: process.stdout,
  errors: process.stderr,
  ...(interactive ? { readSecret } : {}),
});
(terminal as ReturnType<typeof terminalReader> | null)?.close();
