/**
 * SSTable framing around the blocks of format/sstable-block.ts: the block
 * handle stored in the index block, the properties block and the footer.
 * Wire constants never change; spec/format-sstable.md is normative.
 *
 * ```
 * file := fileHeader                      plaintext (format/file-header.ts), kind = SST
 *         sealed(data block 0)            block index 0
 *         …
 *         sealed(data block n-1)          block index n-1
 *         sealed(filter block)            block index n
 *         sealed(properties block)        block index n+1
 *         sealed(index block)             block index n+2
 *         sealed(footer)                  block index FOOTER_BLOCK_INDEX, FOOTER_BYTES of plaintext
 * ```
 * Every block is sealed with the AAD of format/record-frame.ts (encodeRecordAad)
 * with its block index and sealed length; blocks carry no length prefix, the
 * index block and the footer hold their offsets and lengths.
 *
 * Footer plaintext (FOOTER_BYTES = 40, little-endian):
 * ```
 *  0  u32 dataBlockCount
 *  4  u64 filterOffset      12  u32 filterSealedLength
 * 16  u64 propertiesOffset  24  u32 propertiesSealedLength
 * 28  u64 indexOffset       36  u32 indexSealedLength
 * ```
 * Index-block value (block handle): varint blockIndex, varint offset, varint sealedLength.
 *
 * Pure: no I/O, no Buffer; decoders check every length and throw CORRUPTION
 * naming the file and offset.
 */
import { corruption, HeliosError } from './errors.ts';
import { readVarint, varintLength, writeVarint } from './varint.ts';

/** Plaintext bytes of the footer [FMT-SST-FOOTER-1]. */
export const FOOTER_BYTES = 40;
/** The footer's block index (nonce): larger than any data or meta block index [FMT-SST-FOOTER-2]. */
export const FOOTER_BLOCK_INDEX = 0xffff_ffff;
/** A table holds at most this many data blocks so meta block indexes stay below FOOTER_BLOCK_INDEX. */
export const MAX_DATA_BLOCKS = FOOTER_BLOCK_INDEX - 3;
/** Version of the properties block layout. Readers refuse others. */
export const PROPERTIES_VERSION = 1;

/** Where a sealed block sits in the file. Offsets in bytes from the start of the file. */
export interface BlockHandle {
  readonly blockIndex: number;
  readonly offset: number;
  readonly sealedLength: number;
}

export interface Footer {
  readonly dataBlockCount: number;
  readonly filter: BlockHandle;
  readonly properties: BlockHandle;
  readonly index: BlockHandle;
}

function setU64(dv: DataView, o: number, v: number): void {
  dv.setUint32(o, v >>> 0, true);
  dv.setUint32(o + 4, Math.floor(v / 0x1_0000_0000), true);
}

function getU64(dv: DataView, o: number): number {
  return dv.getUint32(o, true) + dv.getUint32(o + 4, true) * 0x1_0000_0000;
}

export function encodeFooter(f: Footer): Uint8Array {
  const out = new Uint8Array(FOOTER_BYTES);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, f.dataBlockCount, true);
  setU64(dv, 4, f.filter.offset);
  dv.setUint32(12, f.filter.sealedLength, true);
  setU64(dv, 16, f.properties.offset);
  dv.setUint32(24, f.properties.sealedLength, true);
  setU64(dv, 28, f.index.offset);
  dv.setUint32(36, f.index.sealedLength, true);
  return out;
}

/**
 * Decodes an opened footer and checks that the meta blocks are contiguous
 * and end exactly at `footerOffset` [FMT-SST-FOOTER-3].
 */
export function decodeFooter(plain: Uint8Array, footerOffset: number, file: string): Footer {
  if (plain.length !== FOOTER_BYTES) corruption(file, footerOffset, 'footer has the wrong length');
  const dv = new DataView(plain.buffer, plain.byteOffset, plain.byteLength);
  const n = dv.getUint32(0, true);
  if (n > MAX_DATA_BLOCKS) corruption(file, footerOffset, 'footer data block count out of range');
  const filter = { blockIndex: n, offset: getU64(dv, 4), sealedLength: dv.getUint32(12, true) };
  const properties = { blockIndex: n + 1, offset: getU64(dv, 16), sealedLength: dv.getUint32(24, true) };
  const index = { blockIndex: n + 2, offset: getU64(dv, 28), sealedLength: dv.getUint32(36, true) };
  if (
    filter.offset + filter.sealedLength !== properties.offset ||
    properties.offset + properties.sealedLength !== index.offset ||
    index.offset + index.sealedLength !== footerOffset
  ) {
    corruption(file, footerOffset, 'footer block handles are not contiguous');
  }
  return { dataBlockCount: n, filter, properties, index };
}

/** Encodes the index-block value for a data block [FMT-SST-INDEX-1]. */
export function encodeBlockHandle(h: BlockHandle): Uint8Array {
  const out = new Uint8Array(varintLength(h.blockIndex) + varintLength(h.offset) + varintLength(h.sealedLength));
  let o = writeVarint(out, 0, h.blockIndex);
  o = writeVarint(out, o, h.offset);
  writeVarint(out, o, h.sealedLength);
  return out;
}

export function decodeBlockHandle(b: Uint8Array, file: string, fileOffset: number): BlockHandle {
  const r1 = readVarint(b, 0);
  const r2 = r1 && readVarint(b, r1[1]);
  const r3 = r2 && readVarint(b, r2[1]);
  if (!r1 || !r2 || !r3 || r3[1] !== b.length) corruption(file, fileOffset, 'index entry has a malformed block handle');
  return { blockIndex: r1[0], offset: r2[0], sealedLength: r3[0] };
}

/** Summary of a table, stored sealed in its properties block [FMT-SST-PROPS-1]. */
export interface TableProperties {
  readonly entryCount: number;
  readonly tombstoneCount: number;
  readonly minSeq: number;
  readonly maxSeq: number;
  /** Sum of user-key lengths and of value lengths over all entries (before prefix compression). */
  readonly rawKeyBytes: number;
  readonly rawValueBytes: number;
  readonly dataBlockCount: number;
  /** Smallest and largest internal keys. Empty tables are never written. */
  readonly smallestKey: Uint8Array;
  readonly smallestSeq: number;
  readonly largestKey: Uint8Array;
  readonly largestSeq: number;
}

export function encodeProperties(p: TableProperties): Uint8Array {
  const nums = [PROPERTIES_VERSION, p.entryCount, p.tombstoneCount, p.minSeq, p.maxSeq, p.rawKeyBytes, p.rawValueBytes, p.dataBlockCount];
  let n = 0;
  for (const v of nums) n += varintLength(v);
  n += varintLength(p.smallestKey.length) + p.smallestKey.length + varintLength(p.smallestSeq);
  n += varintLength(p.largestKey.length) + p.largestKey.length + varintLength(p.largestSeq);
  const out = new Uint8Array(n);
  let o = 0;
  for (const v of nums) o = writeVarint(out, o, v);
  o = writeVarint(out, o, p.smallestKey.length);
  out.set(p.smallestKey, o);
  o = writeVarint(out, o + p.smallestKey.length, p.smallestSeq);
  o = writeVarint(out, o, p.largestKey.length);
  out.set(p.largestKey, o);
  writeVarint(out, o + p.largestKey.length, p.largestSeq);
  return out;
}

/** Decodes a properties block; returned keys are copies. */
export function decodeProperties(b: Uint8Array, file: string, fileOffset: number): TableProperties {
  let o = 0;
  const num = (): number => {
    const r = readVarint(b, o);
    if (r === null) return corruption(file, fileOffset, 'properties block truncated');
    o = r[1];
    return r[0];
  };
  const bytes = (): Uint8Array => {
    const len = num();
    if (len > b.length - o) return corruption(file, fileOffset, 'properties block truncated');
    const out = b.slice(o, o + len);
    o += len;
    return out;
  };
  const version = num();
  if (version !== PROPERTIES_VERSION) {
    throw new HeliosError('UNSUPPORTED_VERSION', `${file}: properties version ${version} is not supported`, { file, offset: fileOffset });
  }
  const entryCount = num();
  const tombstoneCount = num();
  const minSeq = num();
  const maxSeq = num();
  const rawKeyBytes = num();
  const rawValueBytes = num();
  const dataBlockCount = num();
  const smallestKey = bytes();
  const smallestSeq = num();
  const largestKey = bytes();
  const largestSeq = num();
  if (o !== b.length) corruption(file, fileOffset, 'properties block has trailing bytes');
  return { entryCount, tombstoneCount, minSeq, maxSeq, rawKeyBytes, rawValueBytes, dataBlockCount, smallestKey, smallestSeq, largestKey, largestSeq };
}

/**
 * Byte form of an internal key where one is stored outside a block (the
 * manifest's smallest/largest) [FMT-SST-IKEY-1]: `userKey ‖ u64be seqNum`.
 * Compare decoded keys with compareInternal, not these bytes.
 */
export function encodeInternalKey(userKey: Uint8Array, seqNum: number): Uint8Array {
  const out = new Uint8Array(userKey.length + 8);
  out.set(userKey);
  const dv = new DataView(out.buffer);
  dv.setUint32(userKey.length, Math.floor(seqNum / 0x1_0000_0000), false);
  dv.setUint32(userKey.length + 4, seqNum >>> 0, false);
  return out;
}

/** Inverse of encodeInternalKey; the user key is a copy. */
export function decodeInternalKey(b: Uint8Array, file: string, offset: number): { userKey: Uint8Array; seqNum: number } {
  if (b.length < 8) corruption(file, offset, 'internal key shorter than its sequence number');
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const hi = dv.getUint32(b.length - 8, false);
  if (hi > 0x1f_ffff) corruption(file, offset, 'internal key sequence number out of range');
  return { userKey: b.slice(0, b.length - 8), seqNum: hi * 0x1_0000_0000 + dv.getUint32(b.length - 4, false) };
}
