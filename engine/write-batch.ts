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
import { varintLength, writeVarint } from '../format/varint.ts';

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

/**
 * Bytes kept free before the first entry for the batch head (varint
 * firstSeqNum, at most 8 bytes below 2^56, and varint count, at most 5
 * below 2^35), so the WAL plaintext is the buffer itself, not a copy.
 */
const HEAD_ROOM = 16;

interface BatchInternals {
  /** The entries' WAL encodings: body[HEAD_ROOM, bodyLength); body[0, HEAD_ROOM) is room for the head. */
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
  const st: BatchInternals = { body: EMPTY, bodyLength: HEAD_ROOM, count: 0 };
  let byteLength = 0;
  /** Room for `n` more bytes: the buffer doubles (at least) into a new array. */
  const reserve = (n: number): Uint8Array => {
    const need = st.bodyLength + n;
    if (need <= st.body.length) return st.body;
    const grown = new Uint8Array(Math.max(need, st.body.length * 2, FIRST_BODY_BYTES));
    if (st.count > 0) grown.set(st.body.subarray(HEAD_ROOM, st.bodyLength), HEAD_ROOM);
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

/** First buffer of a batch: room for the head and a row plus a few index entries (an autocommit INSERT) without growing. */
const FIRST_BODY_BYTES = 512;
const EMPTY = new Uint8Array(0);

function internalsOf(batch: WriteBatch): BatchInternals {
  const i = internals.get(batch);
  if (!i) throw new HeliosError('INVALID_ARGUMENT', 'write() takes a batch made by createWriteBatch()');
  return i;
}

/** The encoded entries of a batch made by createWriteBatch; INVALID_ARGUMENT for any other object. */
export function batchBody(batch: WriteBatch): BatchBody {
  const i = internalsOf(batch);
  return { body: i.body.subarray(HEAD_ROOM, i.bodyLength), count: i.count };
}

/**
 * The WAL batch plaintext of `batch` with first sequence number
 * `firstSeqNum` (the bytes of format/wal-record.ts encodeWalBatchBody): the
 * head is written into the room kept before the entries and a VIEW of the
 * batch's buffer is returned, valid until the batch is changed or passed
 * here again. INVALID_ARGUMENT for a foreign object.
 */
export function batchPlaintext(batch: WriteBatch, firstSeqNum: number): Uint8Array {
  const i = internalsOf(batch);
  const head = varintLength(firstSeqNum) + varintLength(i.count);
  if (head > HEAD_ROOM) throw new HeliosError('INTERNAL', `batch head of ${head} bytes`);
  if (i.body.length < HEAD_ROOM) i.body = new Uint8Array(HEAD_ROOM);
  const start = HEAD_ROOM - head;
  writeVarint(i.body, writeVarint(i.body, start, firstSeqNum), i.count);
  return i.body.subarray(start, i.bodyLength);
}

/** The entries of a batch (views into its buffer, which is never overwritten); INVALID_ARGUMENT for a foreign object. */
export function batchEntries(batch: WriteBatch): readonly WalEntry[] {
  const { body, count } = batchBody(batch);
  const out: WalEntry[] = [];
  forEachWalEntry(body, count, (key, value) => out.push({ key, value }));
  return out;
}
