/**
 * The plaintext header at the start of every engine file (WAL segment,
 * manifest, SSTable, CURRENT, rollback witness), spec/format.md [FMT-HDR-1]. It carries what a reader
 * needs to derive the file key and build the AAD of the file's records, and
 * nothing secret:
 *
 * ```
 *  offset size field
 *   0     4   magic "HELF" (48 45 4C 46)
 *   4     2   format version, u16 big-endian (1)
 *   6     1   file kind (1 WAL, 2 MANIFEST, 3 SST, 4 CURRENT, 5 rollback witness)
 *   7     1   reserved, 0
 *   8     4   key generation, u32 big-endian
 *  12     8   file number, u64 big-endian (< 2^53)
 *  20    16   salt: 16 random bytes, fresh for every file
 *  36     4   CRC32C of bytes 0..35, u32 big-endian
 *  40         first record
 * ```
 *
 * These constants are part of the on-disk format and never change; a new
 * layout gets a new format version.
 */
import { HeliosError, corruption } from './errors.ts';
import { crc32c } from './crc32c.ts';

export const FILE_MAGIC = new Uint8Array([0x48, 0x45, 0x4c, 0x46]); // "HELF"
export const FILE_FORMAT_VERSION = 1;
export const FILE_HEADER_BYTES = 40;
export const FILE_SALT_BYTES = 16;

export const FILE_KIND_WAL = 1;
export const FILE_KIND_MANIFEST = 2;
export const FILE_KIND_SST = 3;
/** CURRENT: one sealed record naming the live manifest (format/current-file.ts); file number 0. */
export const FILE_KIND_CURRENT = 4;
/** The optional rollback witness kept on other storage (format/current-file.ts); file number 0. */
export const FILE_KIND_WITNESS = 5;
export type FileKind = typeof FILE_KIND_WAL | typeof FILE_KIND_MANIFEST | typeof FILE_KIND_SST | typeof FILE_KIND_CURRENT | typeof FILE_KIND_WITNESS;

export interface FileHeader {
  readonly kind: FileKind;
  readonly formatVersion: number;
  readonly generation: number;
  readonly fileNumber: number;
  /** 16 bytes. */
  readonly salt: Uint8Array;
}

export function isFileKind(k: number): k is FileKind {
  return k === FILE_KIND_WAL || k === FILE_KIND_MANIFEST || k === FILE_KIND_SST || k === FILE_KIND_CURRENT || k === FILE_KIND_WITNESS;
}

/** Returns a new 40-byte array. */
export function encodeFileHeader(h: Omit<FileHeader, 'formatVersion'>): Uint8Array {
  if (h.salt.length !== FILE_SALT_BYTES) throw new HeliosError('INTERNAL', 'file salt must be 16 bytes');
  if (!Number.isSafeInteger(h.fileNumber) || h.fileNumber < 0) throw new HeliosError('INTERNAL', `bad file number ${h.fileNumber}`);
  if (!Number.isInteger(h.generation) || h.generation < 0 || h.generation > 0xffffffff) {
    throw new HeliosError('INTERNAL', `bad key generation ${h.generation}`);
  }
  const out = new Uint8Array(FILE_HEADER_BYTES);
  const dv = new DataView(out.buffer);
  out.set(FILE_MAGIC, 0);
  dv.setUint16(4, FILE_FORMAT_VERSION, false);
  out[6] = h.kind;
  out[7] = 0;
  dv.setUint32(8, h.generation, false);
  dv.setBigUint64(12, BigInt(h.fileNumber), false);
  out.set(h.salt, 20);
  dv.setUint32(36, crc32c(out.subarray(0, 36)), false);
  return out;
}

/**
 * Decodes and checks a header [FMT-HDR-2]: magic, CRC, version, kind.
 * `fileName` only names the file in errors. Damage is CORRUPTION; a version
 * newer than this library is UNSUPPORTED_VERSION. The salt is a copy.
 */
export function decodeFileHeader(bytes: Uint8Array, fileName: string): FileHeader {
  if (bytes.length < FILE_HEADER_BYTES) corruption(fileName, bytes.length, 'file header is truncated');
  for (let i = 0; i < 4; i++) if (bytes[i] !== FILE_MAGIC[i]) corruption(fileName, 0, 'bad file magic');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, FILE_HEADER_BYTES);
  if (dv.getUint32(36, false) !== crc32c(bytes.subarray(0, 36))) corruption(fileName, 36, 'file header checksum mismatch');
  const formatVersion = dv.getUint16(4, false);
  if (formatVersion !== FILE_FORMAT_VERSION) {
    throw new HeliosError('UNSUPPORTED_VERSION', `${fileName}: file format version ${formatVersion} is not supported (this library reads ${FILE_FORMAT_VERSION})`, { file: fileName, offset: 4 });
  }
  const kind = bytes[6]!;
  if (!isFileKind(kind) || bytes[7] !== 0) corruption(fileName, 6, `unknown file kind ${kind}`);
  const number = dv.getBigUint64(12, false);
  if (number > BigInt(Number.MAX_SAFE_INTEGER)) corruption(fileName, 12, 'file number out of range');
  return {
    kind,
    formatVersion,
    generation: dv.getUint32(8, false),
    fileNumber: Number(number),
    salt: bytes.slice(20, 36),
  };
}
