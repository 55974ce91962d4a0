/**
 * SSTable block layout (plaintext, before sealing): sorted entries with
 * prefix-compressed keys and restart points. Data blocks and the index block
 * share this layout. Wire constants never change; see spec/format-sstable.md
 * [FMT-SST-BLOCK-1] … [FMT-SST-BLOCK-4].
 *
 * ```
 * block   := entry* restart[n] u32le n
 * entry   := varint shared      bytes of the key shared with the previous entry (0 at a restart)
 *            varint unshared    bytes of the key that follow
 *            varint valueLength
 *            varint seqNum      sequence number of the write (0 .. 2^53-1)
 *            u8     kind        0 = tombstone, 1 = put
 *            key[shared .. shared+unshared] value
 * restart := u32le offset of an entry whose `shared` is 0; ascending; restart[0] = 0
 * ```
 *
 * Entries are internal keys `(userKey, seqNum, kind)` in internal order:
 * user key ascending (unsigned bytes), then seqNum DESCENDING, so the newest
 * version of a key comes first [FMT-SST-BLOCK-2]. The pair (userKey, seqNum)
 * is unique in a table.
 *
 * Pure: no I/O, no Buffer. Decoders check every length before slicing and
 * throw CORRUPTION naming the file and the block's file offset.
 */
import { compareBytes } from './bytes.ts';
import { corruption, HeliosError } from './errors.ts';
import { MAX_VARINT_BYTES, varintLength, writeVarint } from './varint.ts';

export const KIND_TOMBSTONE = 0;
export const KIND_PUT = 1;
/** 0 = tombstone (delete), 1 = put. */
export type EntryKind = 0 | 1;

/** The largest sequence number; seeking with it finds the newest version of a key. */
export const MAX_SEQ = Number.MAX_SAFE_INTEGER;

/** Default number of entries between restart points in data blocks. */
export const DEFAULT_RESTART_INTERVAL = 16;

/**
 * Internal-key order: user key ascending, then seqNum descending.
 * Negative when (aKey, aSeq) sorts before (bKey, bSeq).
 */
export function compareInternal(aKey: Uint8Array, aSeq: number, bKey: Uint8Array, bSeq: number): number {
  const c = compareBytes(aKey, bKey);
  if (c !== 0) return c;
  return bSeq - aSeq;
}

/** Builds one block. Keys must be added in strictly increasing internal order. */
export interface BlockBuilder {
  /** Copies key and value into the block. Throws INTERNAL when out of order. */
  add(userKey: Uint8Array, seqNum: number, kind: EntryKind, value: Uint8Array): void;
  readonly entryCount: number;
  /** Bytes finish() would return now. */
  byteLength(): number;
  /** Returns the encoded block (a new array) and resets the builder for the next block. */
  finish(): Uint8Array;
}

export function createBlockBuilder(restartInterval = DEFAULT_RESTART_INTERVAL): BlockBuilder {
  if (!Number.isInteger(restartInterval) || restartInterval < 1) {
    throw new HeliosError('INVALID_ARGUMENT', `restart interval must be a positive integer, got ${restartInterval}`);
  }
  let buf = new Uint8Array(4096);
  let used = 0;
  let restarts: number[] = [];
  let sinceRestart = 0;
  let count = 0;
  let lastKey = new Uint8Array(64);
  let lastKeyLength = 0;
  let lastSeq = 0;

  const ensure = (extra: number): void => {
    if (used + extra <= buf.length) return;
    let cap = buf.length * 2;
    while (cap < used + extra) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(buf.subarray(0, used));
    buf = next;
  };

  return {
    add(userKey, seqNum, kind, value) {
      if (!Number.isSafeInteger(seqNum) || seqNum < 0) throw new HeliosError('INTERNAL', `bad seqNum ${seqNum}`);
      const prev = lastKey.subarray(0, lastKeyLength);
      if (count > 0 && compareInternal(prev, lastSeq, userKey, seqNum) >= 0) {
        throw new HeliosError('INTERNAL', 'block keys added out of internal-key order');
      }
      let shared = 0;
      if (sinceRestart === restartInterval || count === 0) {
        restarts.push(used);
        sinceRestart = 0;
      } else {
        const n = Math.min(lastKeyLength, userKey.length);
        while (shared < n && lastKey[shared] === userKey[shared]) shared++;
      }
      const unshared = userKey.length - shared;
      ensure(varintLength(shared) + varintLength(unshared) + varintLength(value.length) + varintLength(seqNum) + 1 + unshared + value.length);
      used = writeVarint(buf, used, shared);
      used = writeVarint(buf, used, unshared);
      used = writeVarint(buf, used, value.length);
      used = writeVarint(buf, used, seqNum);
      buf[used++] = kind;
      buf.set(userKey.subarray(shared), used);
      used += unshared;
      buf.set(value, used);
      used += value.length;
      if (lastKey.length < userKey.length) lastKey = new Uint8Array(Math.max(userKey.length, lastKey.length * 2));
      lastKey.set(userKey.subarray(shared), shared);
      lastKeyLength = userKey.length;
      lastSeq = seqNum;
      sinceRestart++;
      count++;
    },
    get entryCount() {
      return count;
    },
    byteLength() {
      return used + 4 * restarts.length + 4;
    },
    finish() {
      const out = new Uint8Array(used + 4 * restarts.length + 4);
      out.set(buf.subarray(0, used));
      const dv = new DataView(out.buffer);
      let o = used;
      for (const r of restarts) {
        dv.setUint32(o, r, true);
        o += 4;
      }
      dv.setUint32(o, restarts.length, true);
      used = 0;
      restarts = [];
      sinceRestart = 0;
      count = 0;
      lastKeyLength = 0;
      return out;
    },
  };
}

/** A decoded, validated view of a block. `data` aliases the caller's array. */
export interface BlockView {
  readonly data: Uint8Array;
  /** Byte offset where the restart array begins (= end of the entries). */
  readonly entriesEnd: number;
  readonly restarts: Uint32Array;
  /** File name and file offset used in error messages. */
  readonly file: string;
  readonly fileOffset: number;
}

/**
 * Validates the trailer of `data` and returns a view over it (no copy).
 * Throws CORRUPTION when the restart array is malformed [FMT-SST-BLOCK-3].
 */
export function decodeBlock(data: Uint8Array, file: string, fileOffset: number): BlockView {
  if (data.length < 4) corruption(file, fileOffset, 'block shorter than its trailer');
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const n = dv.getUint32(data.length - 4, true);
  if (n > (data.length - 4) / 4) corruption(file, fileOffset, 'block restart count out of range');
  const entriesEnd = data.length - 4 - 4 * n;
  const restarts = new Uint32Array(n);
  let prev = -1;
  for (let i = 0; i < n; i++) {
    const r = dv.getUint32(entriesEnd + 4 * i, true);
    if (r <= prev || r >= entriesEnd || (i === 0 && r !== 0)) corruption(file, fileOffset, 'block restart points out of order or range');
    restarts[i] = r;
    prev = r;
  }
  if (n === 0 && entriesEnd !== 0) corruption(file, fileOffset, 'block has entries but no restart point');
  return { data, entriesEnd, restarts, file, fileOffset };
}

/**
 * Cursor over one block. key()/value() return views valid until the next
 * move (key() aliases an internal buffer, value() aliases the block bytes).
 */
export interface BlockCursor {
  valid(): boolean;
  seekToFirst(): void;
  seekToLast(): void;
  /** Positions at the first entry >= (userKey, seqNum) in internal order; invalid if none. */
  seek(userKey: Uint8Array, seqNum: number): void;
  next(): void;
  prev(): void;
  key(): Uint8Array;
  seqNum(): number;
  kind(): EntryKind;
  value(): Uint8Array;
}

export function createBlockCursor(block: BlockView): BlockCursor {
  const { data, entriesEnd, restarts, file, fileOffset } = block;
  let keyBuf = new Uint8Array(64);
  let keyLength = 0;
  let seq = 0;
  let kindValue: EntryKind = 0;
  let valueStart = 0;
  let valueEnd = 0;
  /** Offset of the current entry; entriesEnd when invalid. */
  let current = entriesEnd;
  /** Offset of the entry after the current one. */
  let nextOffset = entriesEnd;

  const bad = (what: string): never => corruption(file, fileOffset, `block entry ${what}`);

  /** Position after the last varint read by `varint`; -1 when it ran past entriesEnd or was malformed. */
  let vpos = 0;
  /** Reads a varint at vpos (allocation-free; the 1-byte case is the common one). */
  const varint = (): number => {
    let p = vpos;
    if (p >= entriesEnd) return (vpos = -1);
    let b = data[p++]!;
    if (b < 0x80) {
      vpos = p;
      return b;
    }
    let value = b & 0x7f;
    let scale = 128;
    for (let i = 1; i < MAX_VARINT_BYTES; i++) {
      if (p >= entriesEnd) return (vpos = -1);
      b = data[p++]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) {
        vpos = Number.isSafeInteger(value) ? p : -1;
        return value;
      }
      scale *= 128;
    }
    return (vpos = -1);
  };

  /** Decodes the entry at `offset`, building on the key currently in keyBuf. */
  const decodeAt = (offset: number): void => {
    vpos = offset;
    const shared = varint();
    const unshared = vpos < 0 ? 0 : varint();
    const valueLength = vpos < 0 ? 0 : varint();
    const s = vpos < 0 ? 0 : varint();
    if (vpos < 0 || vpos >= entriesEnd) return bad('header truncated');
    let p = vpos;
    const k = data[p++]!;
    if (k !== KIND_PUT && k !== KIND_TOMBSTONE) return bad('kind unknown');
    if (shared > keyLength) return bad('shares more bytes than the previous key has');
    if (unshared > entriesEnd - p || valueLength > entriesEnd - p - unshared) return bad('overruns the block');
    const len = shared + unshared;
    if (keyBuf.length < len) {
      const nb = new Uint8Array(Math.max(len, keyBuf.length * 2));
      nb.set(keyBuf.subarray(0, shared));
      keyBuf = nb;
    }
    if (unshared <= 16) for (let i = 0; i < unshared; i++) keyBuf[shared + i] = data[p + i]!;
    else keyBuf.set(data.subarray(p, p + unshared), shared);
    keyLength = len;
    p += unshared;
    seq = s;
    kindValue = k as EntryKind;
    valueStart = p;
    valueEnd = p + valueLength;
    current = offset;
    nextOffset = valueEnd;
  };

  const atRestart = (i: number): void => {
    keyLength = 0;
    decodeAt(restarts[i]!);
  };

  const invalidate = (): void => {
    current = entriesEnd;
    nextOffset = entriesEnd;
  };

  const self: BlockCursor = {
    valid: () => current < entriesEnd,
    seekToFirst() {
      if (restarts.length === 0) return invalidate();
      atRestart(0);
    },
    seekToLast() {
      if (restarts.length === 0) return invalidate();
      atRestart(restarts.length - 1);
      while (nextOffset < entriesEnd) decodeAt(nextOffset);
    },
    seek(userKey, seqNum) {
      if (restarts.length === 0) return invalidate();
      // Last restart whose key is < target (or restart 0).
      let lo = 0;
      let hi = restarts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        atRestart(mid);
        if (compareInternal(keyBuf.subarray(0, keyLength), seq, userKey, seqNum) < 0) lo = mid;
        else hi = mid - 1;
      }
      atRestart(lo);
      for (;;) {
        if (compareInternal(keyBuf.subarray(0, keyLength), seq, userKey, seqNum) >= 0) return;
        if (nextOffset >= entriesEnd) return invalidate();
        decodeAt(nextOffset);
      }
    },
    next() {
      if (current >= entriesEnd) return;
      if (nextOffset >= entriesEnd) return invalidate();
      decodeAt(nextOffset);
    },
    prev() {
      if (current >= entriesEnd) return;
      const target = current;
      if (target === 0) return invalidate();
      // Last restart strictly before the current entry.
      let lo = 0;
      let hi = restarts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if (restarts[mid]! < target) lo = mid;
        else hi = mid - 1;
      }
      atRestart(lo);
      while (nextOffset < target) decodeAt(nextOffset);
      if (nextOffset !== target) bad('chain does not reach the current entry');
    },
    key: () => keyBuf.subarray(0, keyLength),
    seqNum: () => seq,
    kind: () => kindValue,
    value: () => data.subarray(valueStart, valueEnd),
  };
  return self;
}
