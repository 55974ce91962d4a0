/**
 * Write batches: a list of puts and deletes applied atomically by
 * `Engine.write` (one WAL record, so after a crash either every entry is
 * there or none).
 *
 * Aliasing: `put` and `delete` copy the key and value, so the caller may
 * reuse its arrays at once. A batch may be written more than once; later
 * entries for the same key win.
 */
import { HeliosError } from '../format/errors.ts';
import type { WalEntry } from '../format/wal-record.ts';

export interface WriteBatch {
  put(key: Uint8Array, value: Uint8Array): void;
  delete(key: Uint8Array): void;
  /** Number of entries. */
  readonly count: number;
  /** Sum of key and value lengths, in bytes. */
  readonly byteLength: number;
}

/** Largest key accepted, in bytes. */
export const MAX_KEY_BYTES = 64 * 1024;
/** Largest value accepted, in bytes. */
export const MAX_VALUE_BYTES = 64 * 1024 * 1024;

interface BatchInternals {
  readonly entries: WalEntry[];
}

const internals = new WeakMap<WriteBatch, BatchInternals>();

export function checkKey(key: unknown): asserts key is Uint8Array {
  if (!(key instanceof Uint8Array)) throw new HeliosError('INVALID_ARGUMENT', 'key must be a Uint8Array');
  if (key.length > MAX_KEY_BYTES) throw new HeliosError('TOO_BIG', `key of ${key.length} bytes exceeds ${MAX_KEY_BYTES}`);
}

export function checkValue(value: unknown): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new HeliosError('INVALID_ARGUMENT', 'value must be a Uint8Array');
  if (value.length > MAX_VALUE_BYTES) throw new HeliosError('TOO_BIG', `value of ${value.length} bytes exceeds ${MAX_VALUE_BYTES}`);
}

export function createWriteBatch(): WriteBatch {
  const entries: WalEntry[] = [];
  let byteLength = 0;
  const batch: WriteBatch = {
    put(key, value) {
      checkKey(key);
      checkValue(value);
      entries.push({ key: key.slice(), value: value.slice() });
      byteLength += key.length + value.length;
    },
    delete(key) {
      checkKey(key);
      entries.push({ key: key.slice(), value: null });
      byteLength += key.length;
    },
    get count() {
      return entries.length;
    },
    get byteLength() {
      return byteLength;
    },
  };
  internals.set(batch, { entries });
  return batch;
}

/** The entries of a batch made by createWriteBatch (private copies); INVALID_ARGUMENT for any other object. */
export function batchEntries(batch: WriteBatch): readonly WalEntry[] {
  const i = internals.get(batch);
  if (!i) throw new HeliosError('INVALID_ARGUMENT', 'write() takes a batch made by createWriteBatch()');
  return i.entries;
}
