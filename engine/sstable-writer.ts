/**
 * Writes one immutable SSTable (spec/format-sstable.md): file header, sealed
 * data blocks, sealed filter, properties and index blocks, sealed footer.
 *
 * Each table gets its own random 16-byte salt and so its own HKDF file key
 * (crypto/file-key.ts); block i is sealed with nonce index i and the AAD of
 * format/record-frame.ts, so no (key, nonce) pair repeats and no block can be
 * moved [FMT-SST-SEAL-1]. Nothing but the file header leaves the writer in
 * plaintext.
 *
 * Durability: when finish() returns, every byte of the file is synced; the
 * directory entry is durable only after the caller's Vfs.syncDir(). A writer
 * that fails or is abandoned leaves a partial file that the caller removes;
 * such a file is never referenced by the manifest.
 */
import { createHash } from 'node:crypto';
import { createSealer, type Sealer, type SuiteId } from '../crypto/cipher-suite.ts';
import { deriveFileKey } from '../crypto/file-key.ts';
import { HeliosError } from '../format/errors.ts';
import { encodeFileHeader, FILE_KIND_SST } from '../format/file-header.ts';
import type { TableFileMeta } from '../format/manifest-edit.ts';
import { encodeRecordAad, type RecordAadFields } from '../format/record-frame.ts';
import { createBlockBuilder, KIND_PUT, KIND_TOMBSTONE, type EntryKind } from '../format/sstable-block.ts';
import {
  encodeBlockHandle,
  encodeFooter,
  encodeInternalKey,
  encodeProperties,
  FOOTER_BLOCK_INDEX,
  MAX_DATA_BLOCKS,
  type BlockHandle,
  type TableProperties,
} from '../format/sstable-footer.ts';
import { createBloomBuilder } from './bloom.ts';
import type { VfsFile } from './vfs.ts';

/** The part of crypto's Keyring that tables need. */
export interface TableKeyring {
  readonly databaseId: Uint8Array;
  readonly suite: SuiteId;
  /** DEK of a live generation; unknown generation → CORRUPTION. Not retained by tables. */
  dek(generation: number): Uint8Array;
}

/**
 * Builds the sealer of a table: suite 'none' has no key; otherwise the file
 * key is HKDF(DEK[generation], salt, kind SST, fileNumber), zeroed once the
 * sealer holds its copy.
 */
export function createTableSealer(keyring: TableKeyring, generation: number, salt: Uint8Array, fileNumber: number, backend?: 'node' | 'noble'): Sealer {
  if (keyring.suite === 'none') return createSealer('none', new Uint8Array(0));
  const fileKey = deriveFileKey(keyring.dek(generation), salt, FILE_KIND_SST, fileNumber);
  try {
    return createSealer(keyring.suite, fileKey, backend ? { backend } : {});
  } finally {
    fileKey.fill(0);
  }
}

/**
 * Default target plaintext bytes per data block, chosen by measurement
 * (scripts/scale.ts block-size; spec/format-sstable.md "Block size").
 */
export const DEFAULT_BLOCK_BYTES = 4 * 1024;
export const DEFAULT_BLOOM_BITS_PER_KEY = 10;
export const DEFAULT_SYNC_EVERY_BYTES = 1024 * 1024;

export interface TableWriterOptions {
  /** A new, empty file; the writer owns it from now on and closes it. */
  readonly file: VfsFile;
  /** Name used in error messages (relative to the database directory). */
  readonly fileName: string;
  readonly fileNumber: number;
  /** Database id, suite and data keys (crypto's Keyring fits). */
  readonly keyring: TableKeyring;
  /** Key generation to seal with: the newest (keyring.currentGeneration) for every new table. */
  readonly generation: number;
  /** 16 fresh random bytes: the file's salt. */
  readonly salt: Uint8Array;
  /** Target plaintext bytes per data block (default DEFAULT_BLOCK_BYTES). */
  readonly blockBytes?: number;
  readonly restartInterval?: number;
  readonly bloomBitsPerKey?: number;
  /** AES-GCM backend override (tests, benches). */
  readonly backend?: 'node' | 'noble';
  /**
   * Sync the file each time this many bytes were appended since the last
   * sync (default DEFAULT_SYNC_EVERY_BYTES), so the sync in finish() — and the
   * commit that runs it — never waits for a whole table to reach the disk.
   */
  readonly syncEveryBytes?: number;
}

/** What the manifest records about a finished table. Keys are copies. */
export interface TableMeta extends TableProperties {
  readonly fileNumber: number;
  /** Size of the complete file in bytes. */
  readonly fileSize: number;
  readonly generation: number;
  /**
   * SHA-256(file header ‖ sealed footer) [FMT-SST-DIGEST-1]. The header
   * carries the salt (hence the key) and the footer authenticates every block
   * under that key, so the digest names this exact file: a table of another
   * database or an earlier table that had the same number differs.
   */
  readonly digest: Uint8Array;
}

export interface TableWriter {
  /** Adds an entry; entries must come in strictly increasing internal order. */
  add(userKey: Uint8Array, seqNum: number, kind: EntryKind, value: Uint8Array): void;
  readonly entryCount: number;
  /** Bytes written so far plus the open block: the file size if finished now (minus meta blocks). */
  estimatedFileSize(): number;
  /** The last user key added (a view, valid until the next add), or undefined. */
  lastUserKey(): Uint8Array | undefined;
  /** Writes the meta blocks and footer, syncs and closes the file. At least one entry is required. */
  finish(): TableMeta;
  /** Stops writing, destroys the file key and closes the file (the caller removes it). Idempotent. */
  abandon(): void;
}

export function createTableWriter(o: TableWriterOptions): TableWriter {
  const blockBytes = o.blockBytes ?? DEFAULT_BLOCK_BYTES;
  if (!Number.isInteger(blockBytes) || blockBytes < 64 || blockBytes > 64 * 1024 * 1024) {
    throw new HeliosError('INVALID_ARGUMENT', `block size must be 64 B … 64 MiB, got ${blockBytes}`);
  }
  let sealer: Sealer | null = createTableSealer(o.keyring, o.generation, o.salt, o.fileNumber, o.backend);
  const aadFields: RecordAadFields = { databaseId: o.keyring.databaseId, fileKind: FILE_KIND_SST, fileNumber: o.fileNumber, generation: o.generation };
  const file = o.file;
  const header = encodeFileHeader({ kind: FILE_KIND_SST, generation: o.generation, fileNumber: o.fileNumber, salt: o.salt });
  try {
    file.append(header);
  } catch (e) {
    sealer.destroy();
    file.close();
    throw e;
  }
  let offset = header.length;
  let nextBlockIndex = 0;
  const syncEvery = o.syncEveryBytes ?? DEFAULT_SYNC_EVERY_BYTES;
  let syncedAt = 0;

  const data = createBlockBuilder(o.restartInterval);
  const index = createBlockBuilder(1);
  const bloom = createBloomBuilder(o.bloomBitsPerKey ?? DEFAULT_BLOOM_BITS_PER_KEY);

  let entryCount = 0;
  let tombstoneCount = 0;
  let minSeq = Number.MAX_SAFE_INTEGER;
  let maxSeq = 0;
  let rawKeyBytes = 0;
  let rawValueBytes = 0;
  let smallestKey: Uint8Array | null = null;
  let smallestSeq = 0;
  let lastKey = new Uint8Array(64);
  let lastKeyLength = 0;
  let lastSeq = 0;
  let done = false;

  const live = (): Sealer => {
    if (sealer === null || done) throw new HeliosError('INTERNAL', `${o.fileName}: table writer used after finish or abandon`);
    return sealer;
  };

  /** Seals `plain` as the next block and appends it; returns its handle. */
  const writeBlock = (plain: Uint8Array, blockIndex: number): BlockHandle => {
    const s = live();
    const sealedLength = plain.length + s.overhead;
    const sealed = s.seal(blockIndex, plain, encodeRecordAad(aadFields, blockIndex, sealedLength));
    file.append(sealed);
    const h = { blockIndex, offset, sealedLength };
    offset += sealedLength;
    if (offset - syncedAt >= syncEvery) {
      file.sync();
      syncedAt = offset;
    }
    return h;
  };

  const flushDataBlock = (): void => {
    if (data.entryCount === 0) return;
    if (nextBlockIndex >= MAX_DATA_BLOCKS) throw new HeliosError('TOO_BIG', `${o.fileName}: too many blocks in one table`);
    const h = writeBlock(data.finish(), nextBlockIndex++);
    index.add(lastKey.subarray(0, lastKeyLength), lastSeq, KIND_PUT, encodeBlockHandle(h));
  };

  /** Byte order of the last user key added against `key` (sign only), without a view of lastKey. */
  const compareLast = (key: Uint8Array): number => {
    const n = lastKeyLength < key.length ? lastKeyLength : key.length;
    for (let i = 0; i < n; i++) {
      const d = lastKey[i]! - key[i]!;
      if (d !== 0) return d;
    }
    return lastKeyLength - key.length;
  };

  const closeQuietly = (): void => {
    sealer?.destroy();
    sealer = null;
    file.close();
  };

  return {
    add(userKey, seqNum, kind, value) {
      live();
      if (entryCount > 0) {
        const c = compareLast(userKey);
        if (c > 0 || (c === 0 && lastSeq <= seqNum)) {
          throw new HeliosError('INTERNAL', `${o.fileName}: table entries added out of internal-key order`);
        }
        if (c !== 0) bloom.addKey(userKey);
      } else {
        bloom.addKey(userKey);
      }
      if (kind !== KIND_PUT && kind !== KIND_TOMBSTONE) throw new HeliosError('INTERNAL', `bad entry kind ${String(kind)}`);
      if (smallestKey === null) {
        smallestKey = userKey.slice();
        smallestSeq = seqNum;
      }
      data.add(userKey, seqNum, kind, value);
      const n = userKey.length;
      if (lastKey.length < n) lastKey = new Uint8Array(Math.max(n, lastKey.length * 2));
      lastKey.set(userKey);
      lastKeyLength = n;
      lastSeq = seqNum;
      entryCount++;
      if (kind === KIND_TOMBSTONE) tombstoneCount++;
      if (seqNum < minSeq) minSeq = seqNum;
      if (seqNum > maxSeq) maxSeq = seqNum;
      rawKeyBytes += userKey.length;
      rawValueBytes += value.length;
      if (data.byteLength() >= blockBytes) flushDataBlock();
    },
    get entryCount() {
      return entryCount;
    },
    estimatedFileSize: () => offset + data.byteLength(),
    lastUserKey: () => (entryCount > 0 ? lastKey.subarray(0, lastKeyLength) : undefined),
    finish() {
      live();
      if (entryCount === 0 || smallestKey === null) throw new HeliosError('INTERNAL', `${o.fileName}: an empty table is never written`);
      try {
        flushDataBlock();
        const dataBlockCount = nextBlockIndex;
        const props: TableProperties = {
          entryCount,
          tombstoneCount,
          minSeq,
          maxSeq,
          rawKeyBytes,
          rawValueBytes,
          dataBlockCount,
          smallestKey,
          smallestSeq,
          largestKey: lastKey.slice(0, lastKeyLength),
          largestSeq: lastSeq,
        };
        const filter = writeBlock(bloom.finish(), dataBlockCount);
        const properties = writeBlock(encodeProperties(props), dataBlockCount + 1);
        const idx = writeBlock(index.finish(), dataBlockCount + 2);
        const footerOffset = offset;
        const s = live();
        const footerPlain = encodeFooter({ dataBlockCount, filter, properties, index: idx });
        const footerSealedLength = footerPlain.length + s.overhead;
        const footer = s.seal(FOOTER_BLOCK_INDEX, footerPlain, encodeRecordAad(aadFields, FOOTER_BLOCK_INDEX, footerSealedLength));
        file.append(footer);
        offset = footerOffset + footer.length;
        file.sync();
        done = true;
        const digest = tableDigest(header, footer);
        return { ...props, fileNumber: o.fileNumber, fileSize: offset, generation: o.generation, digest };
      } finally {
        done = true;
        closeQuietly();
      }
    },
    abandon() {
      if (sealer === null) return;
      done = true;
      closeQuietly();
    },
  };
}

/** The manifest's record of a finished table placed at `level`. */
export function tableFileMeta(meta: TableMeta, level: number): TableFileMeta {
  return {
    level,
    fileNumber: meta.fileNumber,
    byteLength: meta.fileSize,
    generation: meta.generation,
    smallest: encodeInternalKey(meta.smallestKey, meta.smallestSeq),
    largest: encodeInternalKey(meta.largestKey, meta.largestSeq),
    digest: meta.digest,
  };
}

/** Computes a table's digest from its header and sealed footer bytes (see TableMeta.digest). */
export function tableDigest(header: Uint8Array, sealedFooter: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(header).update(sealedFooter).digest());
}
