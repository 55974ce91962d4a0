/**
 * Interrupting a running statement (sqlite3_interrupt): `db.interrupt()` or
 * a store of a non-zero value into the database's interrupt flag — an
 * Int32Array that may live on a SharedArrayBuffer, so another thread (a
 * signal handler on the main thread while the statement runs in a worker)
 * can set it — makes the statement fail with INTERRUPTED at the next row it
 * pulls (table scans, joins, recursive CTEs). The statement rolls back as
 * any failing statement does; an open transaction stays open.
 *
 * A flag set while no statement runs is cleared when the next one starts:
 * an interrupt stops what is running, never a later statement.
 *
 * The flag of the statement running now is module state: statements run
 * synchronously and to completion on one thread, and a nested one (a
 * database used inside a user function) saves and restores it.
 */
import { HeliosError } from '../format/errors.ts';

let active: Int32Array | null = null;

/** Throws INTERRUPTED when the running statement's flag is set (and clears it). Called per row. */
export function checkInterrupt(): void {
  if (active !== null && Atomics.load(active, 0) !== 0) {
    Atomics.store(active, 0, 0);
    throw new HeliosError('INTERRUPTED', 'interrupted');
  }
}

/** Runs one statement step (`run` or one `next()` of an iteration) with `flag` as the interrupt flag. `fresh`: clear it first (a statement starts). */
export function withInterrupt<T>(flag: Int32Array, fresh: boolean, fn: () => T): T {
  const saved = active;
  if (fresh) Atomics.store(flag, 0, 0);
  active = flag;
  try {
    return fn();
  } finally {
    active = saved;
  }
}

/** Checks an interrupt flag option: an Int32Array of at least one element. */
export function interruptFlagOption(v: unknown): Int32Array {
  if (v === undefined) return new Int32Array(1);
  if (!(v instanceof Int32Array) || v.length < 1) throw new HeliosError('INVALID_ARGUMENT', 'interruptFlag must be an Int32Array (on a SharedArrayBuffer to interrupt from another thread)');
  return v;
}
