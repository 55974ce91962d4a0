/**
 * Helpers shared by the tests (pure: no I/O, no clock): a seeded generator so
 * that failures reproduce, and an assertion on typed error codes. Not used by
 * the library itself.
 */
import { isHeliosError, type ErrorCode } from './errors.ts';

/** xorshift32: a deterministic stream of unsigned 32-bit values from `seed` (0 counts as 1). */
export function xorshift32(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/** Uniform numbers in [0, 1) from xorshift32(seed). */
export function seededRandom(seed: number): () => number {
  const next = xorshift32(seed);
  return () => next() / 4294967296;
}

/** n bytes at a time from xorshift32(seed): the low byte of each value. */
export function seededBytes(seed: number): (n: number) => Uint8Array {
  const next = xorshift32(seed);
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = next() & 0xff;
    return out;
  };
}

/** Runs `fn` and requires a HeliosError with `code`; anything else fails with what happened. */
export function throwsCode(fn: () => unknown, code: ErrorCode): void {
  try {
    fn();
  } catch (e) {
    if (!isHeliosError(e, code)) throw new Error(`expected ${code}, got ${String(e)}`);
    return;
  }
  throw new Error(`expected ${code}, nothing thrown`);
}
