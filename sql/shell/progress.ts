/**
 * A progress bar for long shell work (.import, .dump, .rotate --rewrite,
 * .verify, and the operator commands): done/total with a bar, the rate and
 * the time left, redrawn in place at most every 100 ms on one line of the
 * error stream. Drawn only when that stream is a terminal; with no stream
 * (piped, redirected, tests) every call is a no-op, so scripts see nothing.
 *
 * ```
 * import data.csv [##########..........]  50%  1.2 MB/2.4 MB  3.1 MB/s  ETA 0:01
 * ```
 */
/** Where the bar is drawn (the shell's error stream). */
export interface ProgressWriter {
  write(text: string): unknown;
}

export interface Progress {
  /** Sets the amount of work (0: unknown, the bar shows the count and rate only). */
  total(n: number): void;
  /** Work done so far (absolute). */
  update(done: number): void;
  /** Erases the bar. */
  done(): void;
}

const NO_PROGRESS: Progress = { total() {}, update() {}, done() {} };
const REDRAW_MS = 100;
/** Work shorter than this never draws (no flicker for small tables). */
const SHOW_AFTER_MS = 300;
const WIDTH = 20;

function amount(n: number, unit: string): string {
  if (unit !== 'bytes') return `${Math.round(n)} ${unit}`;
  if (n < 1024) return `${Math.round(n)} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

function clockText(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** The bar's text for `done` of `total` after `elapsedMs` (exported for tests). */
export function progressLine(label: string, done: number, total: number, unit: string, elapsedMs: number): string {
  const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
  const rateText = `${amount(rate, unit)}/s`;
  if (total <= 0) return `${label} ${amount(done, unit)}  ${rateText}`;
  const f = Math.min(1, done / total);
  const filled = Math.round(f * WIDTH);
  const eta = rate > 0 ? (total - done) / rate : 0;
  return `${label} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${String(Math.floor(f * 100)).padStart(3)}%  ${amount(done, unit)}/${amount(total, unit)}  ${rateText}  ETA ${clockText(eta)}`;
}

/** A bar on `stream` (null: none). `clock` gives milliseconds. */
export function createProgress(stream: ProgressWriter | null, label: string, total: number, unit: 'rows' | 'bytes' | 'files' | 'pages', clock: () => number): Progress {
  if (stream === null) return NO_PROGRESS;
  const start = clock();
  let last = -Infinity;
  let all = total;
  let drawn = false;
  return {
    total(n) {
      all = n;
    },
    update(done) {
      const now = clock();
      if (now - start < SHOW_AFTER_MS || now - last < REDRAW_MS) return;
      last = now;
      drawn = true;
      stream.write(`\r\x1b[2K${progressLine(label, done, all, unit, now - start)}`);
    },
    done() {
      if (drawn) stream.write('\r\x1b[2K');
      drawn = false;
    },
  };
}
