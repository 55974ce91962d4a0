/**
 * The plaintext of a WAL record: one or more write batches, one after the
 * other, spec/format.md [FMT-WAL-1]. It is sealed inside a record frame
 * (format/record-frame.ts), so none of it is readable on disk. A batch:
 *
 * ```
 *  varint firstSeqNum        sequence number of the first entry; entry i has firstSeqNum + i
 *  varint count              number of entries (>= 1)
 *  count times:
 *    u8     type             1 = put, 0 = delete
 *    varint keyLength, key bytes
 *    put only: varint valueLength, value bytes
 * ```
 * The batches of one record have consecutive sequence numbers [FMT-WAL-2];
 * nothing follows the last entry of the last batch. A record is atomic, so
 * each of its batches is too (synchronous 'off' groups the batches written
 * between two flushes into one record).
 */
import { corruption } from './errors.ts';
import { readVarint, varintLength, writeVarint } from './varint.ts';

export const WAL_ENTRY_DELETE = 0;
export const WAL_ENTRY_PUT = 1;

export interface WalEntry {
  readonly key: Uint8Array;
  /** null for a delete (a tombstone). */
  readonly value: Uint8Array | null;
}

export interface WalBatch {
  readonly firstSeqNum: number;
  readonly entries: readonly WalEntry[];
}

/** Bytes `encodeWalBatch` produces for these entries. */
export function walBatchByteLength(firstSeqNum: number, entries: readonly WalEntry[]): number {
  let n = varintLength(firstSeqNum) + varintLength(entries.length);
  for (const e of entries) n += walEntryByteLength(e.key, e.value);
  return n;
}

/** Bytes one entry takes in a batch (type, key length, key, and for a put value length, value). */
export function walEntryByteLength(key: Uint8Array, value: Uint8Array | null): number {
  return 1 + varintLength(key.length) + key.length + (value === null ? 0 : varintLength(value.length) + value.length);
}

/** Writes one entry's encoding at out[o]; returns the offset after it. `out` must have room (walEntryByteLength). */
export function encodeWalEntry(out: Uint8Array, o: number, key: Uint8Array, value: Uint8Array | null): number {
  out[o++] = value === null ? WAL_ENTRY_DELETE : WAL_ENTRY_PUT;
  o = writeVarint(out, o, key.length);
  out.set(key, o);
  o += key.length;
  if (value !== null) {
    o = writeVarint(out, o, value.length);
    out.set(value, o);
    o += value.length;
  }
  return o;
}

/**
 * A batch from `count` entries already encoded back to back in `body` (by
 * encodeWalEntry): the same bytes encodeWalBatch gives for those entries.
 * Returns a new array.
 */
export function encodeWalBatchBody(firstSeqNum: number, count: number, body: Uint8Array): Uint8Array {
  const head = varintLength(firstSeqNum) + varintLength(count);
  const out = new Uint8Array(head + body.length);
  writeVarint(out, writeVarint(out, 0, firstSeqNum), count);
  out.set(body, head);
  return out;
}

/** Returns a new array. */
export function encodeWalBatch(firstSeqNum: number, entries: readonly WalEntry[]): Uint8Array {
  const out = new Uint8Array(walBatchByteLength(firstSeqNum, entries));
  let o = writeVarint(out, 0, firstSeqNum);
  o = writeVarint(out, o, entries.length);
  for (const e of entries) o = encodeWalEntry(out, o, e.key, e.value);
  return out;
}

/**
 * Calls fn(key, value) for each of the `count` entries encoded in `body`
 * (a batch's entries, trusted: built by encodeWalEntry in this process).
 * key and value are views into `body`, valid as long as it is.
 */
export function forEachWalEntry(body: Uint8Array, count: number, fn: (key: Uint8Array, value: Uint8Array | null) => void): void {
  let o = 0;
  for (let i = 0; i < count; i++) {
    const type = body[o++];
    let kl = body[o++]!;
    if (kl >= 0x80) {
      const k = readVarint(body, o - 1)!;
      kl = k[0];
      o = k[1];
    }
    const key = body.subarray(o, o + kl);
    o += kl;
    if (type === WAL_ENTRY_DELETE) {
      fn(key, null);
      continue;
    }
    let vl = body[o++]!;
    if (vl >= 0x80) {
      const v = readVarint(body, o - 1)!;
      vl = v[0];
      o = v[1];
    }
    fn(key, body.subarray(o, o + vl));
    o += vl;
  }
}

/**
 * Decodes every batch of a record. Keys and values are views (`subarray`)
 * into `bytes`. Any malformation, or batches whose sequence numbers do not
 * follow each other, is CORRUPTION naming `fileName` and `fileOffset` (the
 * offset of the record in its file).
 */
export function decodeWalRecord(bytes: Uint8Array, fileName: string, fileOffset: number): WalBatch[] {
  const bad = (what: string): never => corruption(fileName, fileOffset, `WAL record: ${what}`);
  const batches: WalBatch[] = [];
  let o = 0;
  while (o < bytes.length || batches.length === 0) {
    const a = readVarint(bytes, o) ?? bad('bad sequence number');
    const firstSeqNum = a[0];
    const b = readVarint(bytes, a[1]) ?? bad('bad entry count');
    const count = b[0];
    o = b[1];
    if (count < 1 || count > bytes.length) bad('bad entry count');
    if (firstSeqNum + count > Number.MAX_SAFE_INTEGER) bad('sequence number out of range');
    const prev = batches[batches.length - 1];
    if (prev && firstSeqNum !== prev.firstSeqNum + prev.entries.length) bad('batches of a record are not consecutive');
    const entries: WalEntry[] = [];
    for (let i = 0; i < count; i++) {
      const type = bytes[o++];
      if (type !== WAL_ENTRY_PUT && type !== WAL_ENTRY_DELETE) bad('bad entry type');
      const k = readVarint(bytes, o) ?? bad('bad key length');
      if (k[1] + k[0] > bytes.length) bad('key overruns the record');
      const key = bytes.subarray(k[1], k[1] + k[0]);
      o = k[1] + k[0];
      let value: Uint8Array | null = null;
      if (type === WAL_ENTRY_PUT) {
        const v = readVarint(bytes, o) ?? bad('bad value length');
        if (v[1] + v[0] > bytes.length) bad('value overruns the record');
        value = bytes.subarray(v[1], v[1] + v[0]);
        o = v[1] + v[0];
      }
      entries.push({ key, value });
    }
    batches.push({ firstSeqNum, entries });
  }
  return batches;
}
