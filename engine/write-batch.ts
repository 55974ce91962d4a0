/**
 * Write batches: a list of puts and deletes applied atomically by
 * `Engine.write` (one WAL record, so after a crash either every entry is
 * there or none).
 *
 * Aliasing: `put` and `delete` copy the key and value, so the caller may
 * reuse its arrays at once. A batch may be written more than once; later
 * entries for the same key win.
 *
 * After the first two entries (sliced, so a single put allocates no more
 * than it must), the copies go into chunks of 128 B … 256 KiB owned by the
 * batch (a chunk is never reallocated or overwritten, so the entries' views
 * stay valid): one allocation per chunk instead of two array buffers per entry.
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

/**
 * Chunks start small and double up to MAX_CHUNK_BYTES (a 4 KiB first chunk
 * cost small batches ~2 µs each in allocation and collector pressure).
 */
const FIRST_CHUNK_BYTES = 128;
const MAX_CHUNK_BYTES = 256 * 1024;
/** The first entries are copied with slice(): for a batch of one or two (single puts) that beats a chunk and its views. */
const SLICED_ENTRIES = 2;
/** An entry at least this large is copied into an array of its own. */
const OWN_COPY_BYTES = 32 * 1024;

/** The chunk of a batch before its first chunked entry (shared: never written, it has no room). */
const NO_CHUNK = new Uint8Array(0);


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
  let chunk = NO_CHUNK;
  let used = 0;
  let nextChunkBytes = FIRST_CHUNK_BYTES;
  /** Room for `n` bytes at chunk[used]: a new chunk when the current one is full (the old one stays as it is). */
  const reserve = (n: number): Uint8Array => {
    if (used + n <= chunk.length) return chunk;
    if (n >= OWN_COPY_BYTES) return new Uint8Array(n);
    chunk = new Uint8Array(Math.max(nextChunkBytes, n));
    used = 0;
    nextChunkBytes = Math.min(MAX_CHUNK_BYTES, chunk.length * 2);
    return chunk;
  };
  const batch: WriteBatch = {
    put(key, value) {
      checkKey(key);
      checkValue(value);
      if (entries.length < SLICED_ENTRIES) {
        entries.push({ key: key.slice(), value: value.slice() });
        byteLength += key.length + value.length;
        return;
      }
      const kl = key.length;
      const n = kl + value.length;
      const c = reserve(n);
      const at = c === chunk ? used : 0;
      c.set(key, at);
      c.set(value, at + kl);
      if (c === chunk) used += n;
      entries.push({ key: c.subarray(at, at + kl), value: c.subarray(at + kl, at + n) });
      byteLength += n;
    },
    delete(key) {
      checkKey(key);
      if (entries.length < SLICED_ENTRIES) {
        entries.push({ key: key.slice(), value: null });
        byteLength += key.length;
        return;
      }
      const n = key.length;
      const c = reserve(n);
      const at = c === chunk ? used : 0;
      c.set(key, at);
      if (c === chunk) used += n;
      entries.push({ key: c.subarray(at, at + n), value: null });
      byteLength += n;
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
