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
      if (count > 0) {
        const c = compareKeyPrefix(lastKey, lastKeyLength, userKey);
        if (c > 0 || (c === 0 && lastSeq <= seqNum)) throw new HeliosError('INTERNAL', 'block keys added out of internal-key order');
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
      // Short copies by hand: subarray() + set() allocate a view each.
      if (unshared <= 32) for (let i = 0; i < unshared; i++) buf[used + i] = userKey[shared + i]!;
      else buf.set(userKey.subarray(shared), used);
      used += unshared;
      buf.set(value, used);
      used += value.length;
      if (lastKey.length < userKey.length) {
        const nk = new Uint8Array(Math.max(userKey.length, lastKey.length * 2));
        nk.set(lastKey.subarray(0, shared));
        lastKey = nk;
      }
      if (unshared <= 32) for (let i = shared; i < userKey.length; i++) lastKey[i] = userKey[i]!;
      else lastKey.set(userKey.subarray(shared), shared);
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
  return new BlockDecoder(block);
}

/** Compares keyBuf[0, keyLength) with `b` as unsigned bytes (compareBytes without a subarray). */
function compareKeyPrefix(keyBuf: Uint8Array, keyLength: number, b: Uint8Array): number {
  const n = keyLength < b.length ? keyLength : b.length;
  for (let i = 0; i < n; i++) {
    const d = keyBuf[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return keyLength - b.length;
}

/**
 * The block cursor: one object with fields (no closures), so a cursor costs
 * one allocation and a point lookup can reuse a decoder (findInBlock).
 */
class BlockDecoder implements BlockCursor {
  private data!: Uint8Array;
  private entriesEnd = 0;
  private restarts!: Uint32Array;
  private file = '';
  private fileOffset = 0;
  private keyBuf = new Uint8Array(64);
  private keyLength = 0;
  private seq = 0;
  private kindValue: EntryKind = 0;
  private valueStart = 0;
  private valueEnd = 0;
  /** Offset of the current entry; entriesEnd when invalid. */
  private current = 0;
  /** Offset of the entry after the current one. */
  private nextOffset = 0;
  /** Position after the last varint read; -1 when it ran past entriesEnd or was malformed. */
  private vpos = 0;

  constructor(block: BlockView) {
    this.reset(block);
  }

  reset(block: BlockView): void {
    this.data = block.data;
    this.entriesEnd = block.entriesEnd;
    this.restarts = block.restarts;
    this.file = block.file;
    this.fileOffset = block.fileOffset;
    this.keyLength = 0;
    this.current = block.entriesEnd;
    this.nextOffset = block.entriesEnd;
  }

  private bad(what: string): never {
    return corruption(this.file, this.fileOffset, `block entry ${what}`);
  }

  /** Reads a varint at vpos (allocation-free; the 1-byte case is the common one). */
  private varint(): number {
    const data = this.data;
    const end = this.entriesEnd;
    let p = this.vpos;
    if (p >= end) return (this.vpos = -1);
    let b = data[p++]!;
    if (b < 0x80) {
      this.vpos = p;
      return b;
    }
    let value = b & 0x7f;
    let scale = 128;
    for (let i = 1; i < MAX_VARINT_BYTES; i++) {
      if (p >= end) return (this.vpos = -1);
      b = data[p++]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) {
        this.vpos = Number.isSafeInteger(value) ? p : -1;
        return value;
      }
      scale *= 128;
    }
    return (this.vpos = -1);
  }

  /** Decodes the entry at `offset`, building on the key currently in keyBuf. */
  private decodeAt(offset: number): void {
    const data = this.data;
    const entriesEnd = this.entriesEnd;
    this.vpos = offset;
    const shared = this.varint();
    const unshared = this.vpos < 0 ? 0 : this.varint();
    const valueLength = this.vpos < 0 ? 0 : this.varint();
    const s = this.vpos < 0 ? 0 : this.varint();
    if (this.vpos < 0 || this.vpos >= entriesEnd) return this.bad('header truncated');
    let p = this.vpos;
    const k = data[p++]!;
    if (k !== KIND_PUT && k !== KIND_TOMBSTONE) return this.bad('kind unknown');
    if (shared > this.keyLength) return this.bad('shares more bytes than the previous key has');
    if (unshared > entriesEnd - p || valueLength > entriesEnd - p - unshared) return this.bad('overruns the block');
    const len = shared + unshared;
    let keyBuf = this.keyBuf;
    if (keyBuf.length < len) {
      const nb = new Uint8Array(Math.max(len, keyBuf.length * 2));
      nb.set(keyBuf.subarray(0, shared));
      this.keyBuf = keyBuf = nb;
    }
    if (unshared <= 16) for (let i = 0; i < unshared; i++) keyBuf[shared + i] = data[p + i]!;
    else keyBuf.set(data.subarray(p, p + unshared), shared);
    this.keyLength = len;
    p += unshared;
    this.seq = s;
    this.kindValue = k as EntryKind;
    this.valueStart = p;
    this.valueEnd = p + valueLength;
    this.current = offset;
    this.nextOffset = p + valueLength;
  }

  private atRestart(i: number): void {
    this.keyLength = 0;
    this.decodeAt(this.restarts[i]!);
  }

  private invalidate(): void {
    this.current = this.entriesEnd;
    this.nextOffset = this.entriesEnd;
  }

  /** Internal-order comparison of the current entry with (userKey, seqNum). */
  private compareCurrent(userKey: Uint8Array, seqNum: number): number {
    const c = compareKeyPrefix(this.keyBuf, this.keyLength, userKey);
    return c !== 0 ? c : seqNum - this.seq;
  }

  /** True when the current entry's user key equals `userKey`. */
  currentKeyEquals(userKey: Uint8Array): boolean {
    return this.keyLength === userKey.length && compareKeyPrefix(this.keyBuf, this.keyLength, userKey) === 0;
  }

  valid(): boolean {
    return this.current < this.entriesEnd;
  }

  seekToFirst(): void {
    if (this.restarts.length === 0) return this.invalidate();
    this.atRestart(0);
  }

  seekToLast(): void {
    if (this.restarts.length === 0) return this.invalidate();
    this.atRestart(this.restarts.length - 1);
    while (this.nextOffset < this.entriesEnd) this.decodeAt(this.nextOffset);
  }

  seek(userKey: Uint8Array, seqNum: number): void {
    const restarts = this.restarts;
    if (restarts.length === 0) return this.invalidate();
    // Last restart whose key is < target (or restart 0).
    let lo = 0;
    let hi = restarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      this.atRestart(mid);
      if (this.compareCurrent(userKey, seqNum) < 0) lo = mid;
      else hi = mid - 1;
    }
    this.atRestart(lo);
    for (;;) {
      if (this.compareCurrent(userKey, seqNum) >= 0) return;
      if (this.nextOffset >= this.entriesEnd) return this.invalidate();
      this.decodeAt(this.nextOffset);
    }
  }

  next(): void {
    if (this.current >= this.entriesEnd) return;
    if (this.nextOffset >= this.entriesEnd) return this.invalidate();
    this.decodeAt(this.nextOffset);
  }

  prev(): void {
    if (this.current >= this.entriesEnd) return;
    const target = this.current;
    if (target === 0) return this.invalidate();
    // Last restart strictly before the current entry.
    const restarts = this.restarts;
    let lo = 0;
    let hi = restarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (restarts[mid]! < target) lo = mid;
      else hi = mid - 1;
    }
    this.atRestart(lo);
    while (this.nextOffset < target) this.decodeAt(this.nextOffset);
    if (this.nextOffset !== target) this.bad('chain does not reach the current entry');
  }

  key(): Uint8Array {
    return this.keyBuf.subarray(0, this.keyLength);
  }

  seqNum(): number {
    return this.seq;
  }

  kind(): EntryKind {
    return this.kindValue;
  }

  value(): Uint8Array {
    return this.data.subarray(this.valueStart, this.valueEnd);
  }

  /** A copy of the current value. */
  valueCopy(): Uint8Array {
    return this.data.slice(this.valueStart, this.valueEnd);
  }
}

/** One version of a key found by findInBlock. `value` is a copy (empty for tombstones). */
export interface BlockEntry {
  readonly seqNum: number;
  readonly kind: EntryKind;
  readonly value: Uint8Array;
}

/** Decoder reused by findInBlock (it calls nothing that could re-enter). */
let probe: BlockDecoder | null = null;

/**
 * Point lookup without a cursor: the first entry >= (userKey, seqNum) in
 * internal order. Returns it when its user key is `userKey`, null when the
 * entry there belongs to another key, undefined when the block holds no
 * entry >= the target. Same validation (CORRUPTION) as a cursor.
 */
export function findInBlock(block: BlockView, userKey: Uint8Array, seqNum: number): BlockEntry | null | undefined {
  const d = probe ?? (probe = new BlockDecoder(block));
  d.reset(block);
  try {
    d.seek(userKey, seqNum);
    if (!d.valid()) return undefined;
    if (!d.currentKeyEquals(userKey)) return null;
    return { seqNum: d.seqNum(), kind: d.kind(), value: d.valueCopy() };
  } finally {
    // Drop the reference to the block so the decoder does not keep it alive.
    d.reset(EMPTY_VIEW);
  }
}

const EMPTY_VIEW: BlockView = { data: new Uint8Array(0), entriesEnd: 0, restarts: new Uint32Array(0), file: '', fileOffset: 0 };
