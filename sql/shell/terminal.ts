/**
 * The shell at a terminal (standard input is a TTY): line editing with
 * node:readline, and passphrase prompts that echo nothing.
 *
 * readline puts the TTY in raw mode and echoes every key itself, so a
 * secret read while it is listening would be shown and would land in its
 * line buffer and history. readSecret therefore closes the readline
 * interface first (keeping its in-memory history), reads the passphrase in
 * raw mode with its own listener, restores cooked mode, and the next
 * readLine opens a new interface with the same history. Keys typed after
 * Enter go back to the stream for the next reader.
 *
 * History lives in memory for the session only (arrow up); nothing is ever
 * written to a history file.
 */
import { createInterface, type Interface } from 'node:readline';
import { INTERRUPTED, type ShellLineReader } from './shell.ts';

/** What the terminal needs of process.stdin (a tty.ReadStream). */
export interface TerminalInput extends NodeJS.ReadableStream {
  readonly isTTY?: boolean;
  setRawMode(mode: boolean): unknown;
  unshift(chunk: Uint8Array): void;
}

export interface Terminal extends ShellLineReader {
  /** Reads one line with nothing echoed; the UTF-8 bytes (the caller zeroes them), or null on Ctrl-C, Ctrl-D or end of input. */
  readSecret(prompt: string): Promise<Uint8Array | null>;
  close(): void;
}

const HISTORY_SIZE = 1000;

/**
 * `output` receives the REPL prompts and readline's echo; `prompts` the
 * passphrase prompts (standard error, so standard output can be redirected).
 * Ctrl-C while a line is being read drops it (INTERRUPTED); while none is
 * (a statement runs) it calls `onBusyInterrupt`.
 */
export function createTerminal(input: TerminalInput, output: NodeJS.WritableStream, prompts: NodeJS.WritableStream, onBusyInterrupt?: () => void): Terminal {
  let rl: Interface | null = null;
  let history: string[] = [];
  let closing = false;
  const lines: (string | null | typeof INTERRUPTED)[] = [];
  let waiting: ((v: string | null | typeof INTERRUPTED) => void) | null = null;
  const push = (v: string | null | typeof INTERRUPTED): void => {
    if (waiting !== null) {
      const w = waiting;
      waiting = null;
      w(v);
    } else lines.push(v);
  };
  const open = (): Interface => {
    const r = createInterface({ input, output, terminal: true, history, historySize: HISTORY_SIZE, removeHistoryDuplicates: true });
    r.on('line', (l) => push(l));
    r.on('close', () => {
      if (!closing) push(null);
    });
    r.on('SIGINT', () => {
      output.write('^C\n');
      if (waiting === null && onBusyInterrupt !== undefined) onBusyInterrupt();
      else push(INTERRUPTED);
    });
    return r;
  };
  /** Closes readline (history kept) without reporting end of input. */
  const detach = (): void => {
    if (rl === null) return;
    history = [...((rl as unknown as { history?: string[] }).history ?? history)];
    closing = true;
    try {
      rl.close();
    } finally {
      closing = false;
      rl = null;
    }
  };
  return {
    readLine(prompt) {
      if (lines.length > 0) return Promise.resolve(lines.shift()!);
      rl ??= open();
      rl.setPrompt(prompt);
      rl.prompt();
      return new Promise((r) => (waiting = r));
    },
    readSecret(prompt) {
      detach();
      return readSecretRaw(input, prompts, prompt);
    },
    close() {
      detach();
      input.pause();
    },
  };
}

/**
 * Reads a line in raw mode (no echo, no line discipline): Enter ends it,
 * Backspace removes a character, Ctrl-U clears, Ctrl-C / Ctrl-D (on an
 * empty line) cancel, other control keys and escape sequences are ignored.
 * Raw mode is on before the prompt is written, so nothing typed after the
 * prompt appears can be echoed by the TTY either.
 */
export function readSecretRaw(input: TerminalInput, prompts: NodeJS.WritableStream, prompt: string): Promise<Uint8Array | null> {
  input.setRawMode(true);
  prompts.write(prompt);
  return new Promise((done) => {
    let bytes = new Uint8Array(64);
    let length = 0;
    let escape = 0; // 0 none, 1 after ESC, 2 inside ESC [ … final
    const append = (b: number): void => {
      if (length === bytes.length) {
        const bigger = new Uint8Array(bytes.length * 2);
        bigger.set(bytes);
        bytes.fill(0);
        bytes = bigger;
      }
      bytes[length++] = b;
    };
    const finish = (ok: boolean, rest: Uint8Array | null): void => {
      input.removeListener('data', onData);
      input.removeListener('end', onEnd);
      input.setRawMode(false);
      input.pause();
      if (rest !== null && rest.length > 0) input.unshift(rest);
      prompts.write('\n');
      const secret = ok ? bytes.slice(0, length) : null;
      bytes.fill(0);
      done(secret);
    };
    const onEnd = (): void => finish(false, null);
    const onData = (chunk: Uint8Array | string): void => {
      const data = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk;
      for (let i = 0; i < data.length; i++) {
        const b = data[i]!;
        if (escape === 1) {
          escape = b === 0x5b || b === 0x4f ? 2 : 0;
          continue;
        }
        if (escape === 2) {
          if (b >= 0x40 && b <= 0x7e) escape = 0;
          continue;
        }
        if (b === 0x0d || b === 0x0a) {
          const rest = data.slice(i + 1 + (b === 0x0d && data[i + 1] === 0x0a ? 1 : 0));
          data.fill(0, 0, i);
          return finish(true, rest);
        }
        if (b === 0x03 || (b === 0x04 && length === 0)) {
          data.fill(0, 0, i);
          return finish(false, null);
        }
        if (b === 0x7f || b === 0x08) {
          while (length > 0 && (bytes[length - 1]! & 0xc0) === 0x80) bytes[--length] = 0;
          if (length > 0) bytes[--length] = 0;
        } else if (b === 0x15) {
          bytes.fill(0, 0, length);
          length = 0;
        } else if (b === 0x1b) {
          escape = 1;
        } else if (b >= 0x20) {
          append(b);
        }
      }
      data.fill(0);
    };
    input.on('data', onData);
    input.on('end', onEnd);
    input.resume();
  });
}
