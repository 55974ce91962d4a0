/**
 * Opens an SSTable written by engine/sstable-writer.ts and serves point
 * lookups (bloom filter first) and bidirectional cursors.
 *
 * Trust: every block is opened (tag verified) before any of its bytes is
 * used, and every decoded length is checked, so damage anywhere in the file
 * surfaces as CORRUPTION naming the file and offset, on open (header, footer,
 * filter, properties, index) or on the first read of a data block — never as
 * different data [FMT-SST-VERIFY-1]. When the manifest's size and digest are
 * passed in `expected`, a replaced or rolled-back file is refused at open
 * [FMT-SST-DIGEST-2].
 *
 * Aliasing: get() returns a copy of the value; cursor key()/value() are views
 * valid until the cursor moves.
 */
import type { Sealer } from '../crypto/cipher-suite.ts';
import { equalBytes } from '../format/bytes.ts';
import { corruption, HeliosError } from '../format/errors.ts';
import { decodeFileHeader, FILE_HEADER_BYTES, FILE_KIND_SST } from '../format/file-header.ts';
import { encodeRecordAad, type RecordAadFields } from '../format/record-frame.ts';
import { createBlockCursor, decodeBlock, findInBlock, MAX_SEQ, type BlockCursor, type BlockView, type EntryKind } from '../format/sstable-block.ts';
import {
  decodeBlockHandle,
  decodeFooter,
  decodeProperties,
  FOOTER_BLOCK_INDEX,
  FOOTER_BYTES,
  type BlockHandle,
  type Footer,
  type TableProperties,
} from '../format/sstable-footer.ts';
import type { BlockCache } from './block-cache.ts';
import { decodeBloomFilter, type BloomFilter } from './bloom.ts';
import type { InternalCursor } from './merge-iterator.ts';
import { createTableSealer, tableDigest, type TableKeyring } from './sstable-writer.ts';

export type { TableKeyring };
import type { VfsFile } from './vfs.ts';

export interface TableReaderOptions {
  /** Opened for reading; the table owns it and closes it in close(). */
  readonly file: VfsFile;
  readonly fileName: string;
  /** The number the manifest gives this file; the header must agree. */
  readonly fileNumber: number;
  readonly keyring: TableKeyring;
  /** Shared cache of opened data blocks; without one every read opens the block. */
  readonly cache?: BlockCache<BlockView>;
  /** What the manifest recorded; any mismatch is CORRUPTION at open. */
  readonly expected?: { readonly fileSize?: number; readonly digest?: Uint8Array; readonly generation?: number };
  readonly backend?: 'node' | 'noble';
}

/** One version of a key as stored in a table. */
export interface TableEntry {
  readonly seqNum: number;
  readonly kind: EntryKind;
  /** A copy. Empty for tombstones. */
  readonly value: Uint8Array;
}

export interface TableReadStats {
  /** Point lookups answered "absent" by the bloom filter alone. */
  readonly bloomNegatives: number;
  /** Data blocks read from the file and opened (cache misses). */
  readonly blocksOpened: number;
}

export interface Table {
  readonly fileNumber: number;
  readonly fileName: string;
  readonly generation: number;
  readonly fileSize: number;
  /** SHA-256(header ‖ sealed footer); compare with the manifest's. */
  readonly digest: Uint8Array;
  readonly properties: TableProperties;
  /** Newest version of `userKey` with seqNum <= snapshotSeq (tombstones included), or undefined. */
  get(userKey: Uint8Array, snapshotSeq?: number): TableEntry | undefined;
  /** False only when the bloom filter proves the key absent. */
  mayContain(userKey: Uint8Array): boolean;
  /** A new cursor over every entry. Closing it does not close the table. */
  cursor(): InternalCursor;
  stats(): TableReadStats;
  /** Destroys the file key, drops cached blocks, closes the file. Idempotent; later reads throw CLOSED. */
  close(): void;
}

export function openTable(o: TableReaderOptions): Table {
  const file = o.file;
  const name = o.fileName;
  let sealer: Sealer | null = null;
  try {
    const size = file.size();
    if (o.expected?.fileSize !== undefined && o.expected.fileSize !== size) {
      corruption(name, size, `table size ${size} differs from the ${o.expected.fileSize} bytes the manifest recorded`);
    }
    const headerBytes = file.readAt(0, FILE_HEADER_BYTES);
    const header = decodeFileHeader(headerBytes, name);
    if (header.kind !== FILE_KIND_SST) corruption(name, 6, `file kind ${header.kind} is not a table`);
    if (header.fileNumber !== o.fileNumber) corruption(name, 12, `header names file number ${header.fileNumber}, expected ${o.fileNumber}`);
    if (o.expected?.generation !== undefined && header.generation !== o.expected.generation) {
      corruption(name, 8, `key generation ${header.generation} differs from the manifest's ${o.expected.generation}`);
    }
    const s = createTableSealer(o.keyring, header.generation, header.salt, o.fileNumber, o.backend);
    sealer = s;
    const aadFields: RecordAadFields = { databaseId: o.keyring.databaseId, fileKind: FILE_KIND_SST, fileNumber: o.fileNumber, generation: header.generation };

    const openBlock = (h: BlockHandle, what: string): Uint8Array => {
      const sealed = file.readAt(h.offset, h.sealedLength);
      if (sealed.length !== h.sealedLength) corruption(name, h.offset, `${what} is truncated`);
      const plain = s.open(h.blockIndex, sealed, encodeRecordAad(aadFields, h.blockIndex, h.sealedLength));
      if (plain === null) corruption(name, h.offset, `${what} failed verification`);
      return plain;
    };

    const footerSealedLength = FOOTER_BYTES + s.overhead;
    const footerOffset = size - footerSealedLength;
    if (footerOffset < FILE_HEADER_BYTES) corruption(name, size, 'file too short for a table');
    const sealedFooter = file.readAt(footerOffset, footerSealedLength);
    const footerHandle = { blockIndex: FOOTER_BLOCK_INDEX, offset: footerOffset, sealedLength: footerSealedLength };
    const digest = tableDigest(headerBytes, sealedFooter);
    if (o.expected?.digest !== undefined && !equalBytes(digest, o.expected.digest)) {
      corruption(name, footerOffset, 'table digest differs from the manifest (file replaced or rolled back)');
    }
    const footer: Footer = decodeFooter(openBlock(footerHandle, 'footer'), footerOffset, name);
    if (footer.filter.offset < FILE_HEADER_BYTES) corruption(name, footerOffset, 'footer handles point into the header');
    const dataEnd = footer.filter.offset;
    const bloom: BloomFilter = decodeBloomFilter(openBlock(footer.filter, 'filter block'), name, footer.filter.offset);
    const properties = decodeProperties(openBlock(footer.properties, 'properties block'), name, footer.properties.offset);
    if (properties.dataBlockCount !== footer.dataBlockCount) corruption(name, footer.properties.offset, 'properties and footer disagree on the block count');
    const indexView: BlockView = decodeBlock(openBlock(footer.index, 'index block'), name, footer.index.offset);

    // The index is decoded once: block i's last internal key (keys packed in
    // one array, keyEnds[i] = end of key i) and where the block starts (it
    // ends where block i+1 starts: numbers, not handle objects, as a table of
    // small blocks has many). Structural check: handles 0..n-1, contiguous
    // from the header to the filter.
    const n = footer.dataBlockCount;
    if (n > (dataEnd - FILE_HEADER_BYTES) / (s.overhead + 1)) corruption(name, footerOffset, `footer claims ${n} data blocks, more than the file can hold`);
    const blockStarts = new Float64Array(n + 1);
    const indexSeqs = new Float64Array(n);
    const keyEnds = new Uint32Array(n);
    let count = 0;
    let indexKeys = new Uint8Array(1024);
    let keysUsed = 0;
    {
      const c = createBlockCursor(indexView);
      let expectOffset = FILE_HEADER_BYTES;
      for (c.seekToFirst(); c.valid(); c.next()) {
        const h = decodeBlockHandle(c.value(), name, footer.index.offset);
        if (count >= n || h.blockIndex !== count || h.offset !== expectOffset || h.sealedLength <= s.overhead) {
          corruption(name, footer.index.offset, `index entry ${count} has an inconsistent block handle`);
        }
        blockStarts[count] = h.offset;
        expectOffset += h.sealedLength;
        const k = c.key();
        if (keysUsed + k.length > indexKeys.length) {
          const grown = new Uint8Array(Math.max(keysUsed + k.length, indexKeys.length * 2));
          grown.set(indexKeys.subarray(0, keysUsed));
          indexKeys = grown;
        }
        indexKeys.set(k, keysUsed);
        keysUsed += k.length;
        keyEnds[count] = keysUsed;
        indexSeqs[count] = c.seqNum();
        count++;
      }
      if (count !== n || expectOffset !== dataEnd) corruption(name, footer.index.offset, 'index does not cover the data blocks');
      blockStarts[n] = dataEnd;
    }
    const blockCount = n;
    const keyBytes = keysUsed === indexKeys.length ? indexKeys : indexKeys.slice(0, keysUsed);
    /** Index of the first block whose last key is >= (userKey, seqNum); blockCount when none. */
    const findBlock = (userKey: Uint8Array, seqNum: number): number => {
      let lo = 0;
      let hi = blockCount;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        const start = mid === 0 ? 0 : keyEnds[mid - 1]!;
        const end = keyEnds[mid]!;
        const n = Math.min(end - start, userKey.length);
        let c = 0;
        for (let i = 0; i < n && c === 0; i++) c = keyBytes[start + i]! - userKey[i]!;
        if (c === 0) c = end - start - userKey.length;
        if (c === 0) c = seqNum - indexSeqs[mid]!;
        if (c < 0) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };

    const cache = o.cache;
    const cacheId = cache ? cache.newId() : 0;
    let closed = false;
    let bloomNegatives = 0;
    let blocksOpened = 0;

    const dataBlock = (i: number): BlockView => {
      if (closed) throw new HeliosError('CLOSED', `${name}: table is closed`);
      let view = cache?.get(cacheId, i);
      if (view === undefined) {
        const h: BlockHandle = { blockIndex: i, offset: blockStarts[i]!, sealedLength: blockStarts[i + 1]! - blockStarts[i]! };
        const plain = openBlock(h, `data block ${i}`);
        blocksOpened++;
        view = decodeBlock(plain, name, h.offset);
        cache?.put(cacheId, i, view, plain.length);
      }
      return view;
    };

    const table: Table = {
      fileNumber: o.fileNumber,
      fileName: name,
      generation: header.generation,
      fileSize: size,
      digest,
      properties,
      mayContain: (userKey) => bloom.mayContain(userKey),
      get(userKey, snapshotSeq = MAX_SEQ) {
        if (closed) throw new HeliosError('CLOSED', `${name}: table is closed`);
        if (!bloom.mayContain(userKey)) {
          bloomNegatives++;
          return undefined;
        }
        const i = findBlock(userKey, snapshotSeq);
        if (i === blockCount) return undefined;
        const e = findInBlock(dataBlock(i), userKey, snapshotSeq);
        if (e === undefined) corruption(name, blockStarts[i]!, 'data block does not reach its index key');
        return e ?? undefined;
      },
      cursor: () => createTableCursor(blockCount, findBlock, dataBlock),
      stats: () => ({ bloomNegatives, blocksOpened }),
      close() {
        if (closed) return;
        closed = true;
        s.destroy();
        cache?.evictTable(cacheId);
        file.close();
      },
    };
    return table;
  } catch (e) {
    sealer?.destroy();
    file.close();
    throw e;
  }
}

/** Two-level cursor: the decoded index picks the data block, a block cursor walks it. */
function createTableCursor(blockCount: number, findBlock: (userKey: Uint8Array, seqNum: number) => number, dataBlock: (i: number) => BlockView): InternalCursor {
  let dc: BlockCursor | null = null;
  /** The block dc walks; -1 or blockCount when the cursor is off either end. */
  let block = -1;

  const load = (i: number): void => {
    if (i < 0 || i >= blockCount) {
      dc = null;
      block = i < 0 ? -1 : blockCount;
      return;
    }
    if (dc === null || block !== i) {
      dc = createBlockCursor(dataBlock(i));
      block = i;
    }
  };
  const forwardToValid = (): void => {
    while (dc !== null && !dc.valid()) {
      load(block + 1);
      dc?.seekToFirst();
    }
  };
  const backwardToValid = (): void => {
    while (dc !== null && !dc.valid()) {
      load(block - 1);
      dc?.seekToLast();
    }
  };
  const need = (): BlockCursor => {
    if (dc === null || !dc.valid()) throw new HeliosError('INTERNAL', 'table cursor used while not valid');
    return dc;
  };

  return {
    valid: () => dc !== null && dc.valid(),
    seekToFirst() {
      load(0);
      dc?.seekToFirst();
      forwardToValid();
    },
    seekToLast() {
      load(blockCount - 1);
      dc?.seekToLast();
      backwardToValid();
    },
    seek(userKey, seqNum) {
      load(findBlock(userKey, seqNum));
      dc?.seek(userKey, seqNum);
      forwardToValid();
    },
    next() {
      need().next();
      forwardToValid();
    },
    prev() {
      need().prev();
      backwardToValid();
    },
    key: () => need().key(),
    seqNum: () => need().seqNum(),
    kind: () => need().kind(),
    value: () => need().value(),
    close() {
      dc = null;
    },
  };
}
