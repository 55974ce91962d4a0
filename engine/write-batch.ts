/**
 * Write batches: a list of puts and deletes applied atomically by
 * `Engine.write` (one WAL record, so after a crash either every entry is
 * there or none).
 *
 * Aliasing: `put` and `delete` copy the key and value, so the caller may
 * reuse its arrays at once. A batch may be written more than once; later
 * entries for the same key win.
 *
 * The batch holds its entries already in their WAL encoding, back to back in
 * one growing buffer (format/wal-record.ts encodeWalEntry): no object per
 * entry survives until the write (a 200k-entry SQL commit used to keep 600k
 * small objects alive, promoted by the collector), and the WAL record is the
 * buffer behind a two-varint head. When the buffer grows it is copied into a
 * new one; the old one is never written again, so entries read from it
 * (batchEntries) stay as they were.
 */
import { HeliosError } from '../format/errors.ts';
import { encodeWalEntry, forEachWalEntry, walEntryByteLength, type WalEntry } from '../format/wal-record.ts';

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
  /** The entries' WAL encodings: body[0, bodyLength). */
  body: Uint8Array;
  bodyLength: number;
  count: number;
}

const internals = new WeakMap<WriteBatch, BatchInternals>();

/** The encoded entries of a batch, as the engine writes them. */
export interface BatchBody {
  /** count entries encoded back to back (a view; do not keep it past the write). */
  readonly body: Uint8Array;
  readonly count: number;
}

export function checkKey(key: unknown): asserts key is Uint8Array {
  if (!(key instanceof Uint8Array)) throw new HeliosError('INVALID_ARGUMENT', 'key must be a Uint8Array');
  if (key.length > MAX_KEY_BYTES) throw new HeliosError('TOO_BIG', `key of ${key.length} bytes exceeds ${MAX_KEY_BYTES}`);
}

export function checkValue(value: unknown): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new HeliosError('INVALID_ARGUMENT', 'value must be a Uint8Array');
  if (value.length > MAX_VALUE_BYTES) throw new HeliosError('TOO_BIG', `value of ${value.length} bytes exceeds ${MAX_VALUE_BYTES}`);
}

export function createWriteBatch(): WriteBatch {
  const st: BatchInternals = { body: EMPTY, bodyLength: 0, count: 0 };
  let byteLength = 0;
  /** Room for `n` more bytes: the buffer doubles (at least) into a new array. */
  const reserve = (n: number): Uint8Array => {
    const need = st.bodyLength + n;
    if (need <= st.body.length) return st.body;
    const grown = new Uint8Array(Math.max(need, st.body.length * 2, FIRST_BODY_BYTES));
    grown.set(st.body.subarray(0, st.bodyLength));
    st.body = grown;
    return grown;
  };
  const append = (key: Uint8Array, value: Uint8Array | null): void => {
    const body = reserve(walEntryByteLength(key, value));
    st.bodyLength = encodeWalEntry(body, st.bodyLength, key, value);
    st.count++;
    byteLength += key.length + (value === null ? 0 : value.length);
  };
  const batch: WriteBatch = {
    put(key, value) {
      checkKey(key);
      checkValue(value);
      append(key, value);
    },
    delete(key) {
      checkKey(key);
      append(key, null);
    },
    get count() {
      return st.count;
    },
    get byteLength() {
      return byteLength;
    },
  };
  internals.set(batch, st);
  return batch;
}

/** First buffer of a batch: room for a single put of a short key and a ~100-byte value. */
const FIRST_BODY_BYTES = 160;
const EMPTY = new Uint8Array(0);

function internalsOf(batch: WriteBatch): BatchInternals {
  const i = internals.get(batch);
  if (!i) throw new HeliosError('INVALID_ARGUMENT', 'write() takes a batch made by createWriteBatch()');
  return i;
}

/** The encoded entries of a batch made by createWriteBatch; INVALID_ARGUMENT for any other object. */
export function batchBody(batch: WriteBatch): BatchBody {
  const i = internalsOf(batch);
  return { body: i.body.subarray(0, i.bodyLength), count: i.count };
}

/** The entries of a batch (views into its buffer, which is never overwritten); INVALID_ARGUMENT for a foreign object. */
export function batchEntries(batch: WriteBatch): readonly WalEntry[] {
  const { body, count } = batchBody(batch);
  const out: WalEntry[] = [];
  forEachWalEntry(body, count, (key, value) => out.push({ key, value }));
  return out;
}
