/**
 * Framing of the sealed records of WAL segments and manifests,
 * spec/format.md [FMT-REC-1]:
 *
 * ```
 *  offset size field
 *   0     4   sealedLength, u32 big-endian: bytes of the sealed payload
 *   4     4   lengthCheck = CRC32C(bytes 0..3), u32 big-endian
 *   8     n   sealed payload = seal(fileKey, index, plaintext, aad)
 *             (ciphertext ‖ 16-byte GCM tag, or plaintext ‖ CRC32C for suite "none")
 * ```
 *
 * The record at position `index` (0 for the first record after the file
 * header, then 1, 2, ...) is sealed with nonce index `index` and with the AAD
 * [FMT-REC-2]:
 *
 * ```
 *  databaseId (16) ‖ fileKind (u8) ‖ fileNumber (u64 BE) ‖ generation (u32 BE)
 *  ‖ index (u64 BE) ‖ sealedLength (u32 BE)          = 41 bytes
 * ```
 *
 * so a record moved to another position, file or database fails verification.
 * The length check lets a reader tell a damaged length (corruption) from a
 * record cut short by a crash (a torn tail).
 *
 * Between records, zero bytes up to the next multiple of LOG_BLOCK_BYTES are
 * padding, written at sync points and before a record that would otherwise
 * start in the last MIN_RECORD_ROOM - 1 bytes of a block [FMT-REC-6].
 */
import { HeliosError } from './errors.ts';
import { crc32c } from './crc32c.ts';

export const RECORD_HEADER_BYTES = 8;
export const RECORD_AAD_BYTES = 41;
/** Upper bound on sealedLength accepted by readers and writers (256 MiB). */
export const MAX_SEALED_RECORD_BYTES = 256 * 1024 * 1024;

/**
 * Log block size [FMT-REC-6]: every sync point of a log file (the file
 * header, a record synced on its own) is followed by zero padding up to the
 * next multiple of LOG_BLOCK_BYTES, so bytes written after a sync never share
 * a file-system block with bytes already synced. A failed write or fsync can
 * zero the blocks it touched (ext4 on a failing device does); with the padding
 * those blocks hold only unacknowledged bytes. Never changes.
 */
export const LOG_BLOCK_BYTES = 4096;

/**
 * A record starts only where at least this many bytes are left before the
 * next LOG_BLOCK_BYTES boundary [FMT-REC-6]: the 4-byte sealedLength (never
 * zero: the seal adds at least 4 bytes) then lies within the block, so the
 * bytes from a record's start to the boundary are never all zero and never
 * look like padding. A writer with less room pads to the boundary first.
 * Never changes.
 */
export const MIN_RECORD_ROOM = 4;

/**
 * The unit in which a failing device loses data [FMT-REC-5]: a torn write that
 * leaves zeros leaves them from a multiple of SECTOR_BYTES to the end of the
 * file. Never changes.
 */
export const SECTOR_BYTES = 512;

/** Upper bound on the size of a log file (WAL segment or manifest) that readers accept and writers write (1 GiB). */
export const MAX_LOG_FILE_BYTES = 1024 * 1024 * 1024;

export interface RecordAadFields {
  readonly databaseId: Uint8Array;
  readonly fileKind: number;
  readonly fileNumber: number;
  readonly generation: number;
}

/** The 41-byte AAD of record `index` with the given sealed length (a new array). */
export function encodeRecordAad(f: RecordAadFields, index: number, sealedLength: number): Uint8Array {
  return createRecordAadWriter(f)(index, sealedLength).slice();
}

/**
 * A fast AAD builder for one file: the 29-byte prefix (database id, kind,
 * file number, generation) is written once. The returned function
 * overwrites and returns ONE internal buffer on every call: use the result
 * before the next call (sealers do not retain their AAD).
 */
export function createRecordAadWriter(f: RecordAadFields): (index: number, sealedLength: number) => Uint8Array {
  if (f.databaseId.length !== 16) throw new HeliosError('INTERNAL', 'database id must be 16 bytes');
  const out = new Uint8Array(RECORD_AAD_BYTES);
  const dv = new DataView(out.buffer);
  out.set(f.databaseId, 0);
  out[16] = f.fileKind;
  setU64(dv, 17, f.fileNumber);
  dv.setUint32(25, f.generation, false);
  return (index, sealedLength) => {
    setU64(dv, 29, index);
    dv.setUint32(37, sealedLength, false);
    return out;
  };
}

/** Big-endian u64 of a safe integer, without BigInt. */
function setU64(dv: DataView, offset: number, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new HeliosError('INTERNAL', `u64 field out of range: ${n}`);
  dv.setUint32(offset, Math.floor(n / 0x1_0000_0000), false);
  dv.setUint32(offset + 4, n >>> 0, false);
}

/** The 8-byte record header for a sealed payload of `sealedLength` bytes (a new array). */
export function encodeRecordHeader(sealedLength: number): Uint8Array {
  const out = new Uint8Array(RECORD_HEADER_BYTES);
  writeRecordHeader(out, 0, sealedLength);
  return out;
}

/**
 * Writes the 8-byte record header for a sealed payload of `sealedLength`
 * bytes to out[offset, offset + 8) (the bytes of encodeRecordHeader). TOO_BIG
 * beyond MAX_SEALED_RECORD_BYTES, before anything is written.
 */
export function writeRecordHeader(out: Uint8Array, offset: number, sealedLength: number): void {
  if (!Number.isInteger(sealedLength) || sealedLength < 0 || sealedLength > MAX_SEALED_RECORD_BYTES) {
    throw new HeliosError('TOO_BIG', `record of ${sealedLength} bytes exceeds the ${MAX_SEALED_RECORD_BYTES}-byte limit`);
  }
  out[offset] = sealedLength >>> 24;
  out[offset + 1] = (sealedLength >>> 16) & 0xff;
  out[offset + 2] = (sealedLength >>> 8) & 0xff;
  out[offset + 3] = sealedLength & 0xff;
  const c = crc32c(out.subarray(offset, offset + 4));
  out[offset + 4] = c >>> 24;
  out[offset + 5] = (c >>> 16) & 0xff;
  out[offset + 6] = (c >>> 8) & 0xff;
  out[offset + 7] = c & 0xff;
}

/**
 * Decodes the 8-byte record header at `offset` of `bytes`. Returns the sealed
 * length, or -1 when the length check fails (a damaged header), or -2 when
 * the length passes its check but exceeds MAX_SEALED_RECORD_BYTES. The check
 * comes first [FMT-REC-4]: a length is only ever trusted (as the size of a
 * record, or as a record cut short) after its lengthCheck matched.
 */
export function decodeRecordHeader(bytes: Uint8Array, offset: number): number {
  const dv = new DataView(bytes.buffer, bytes.byteOffset + offset, RECORD_HEADER_BYTES);
  const len = dv.getUint32(0, false);
  if (dv.getUint32(4, false) !== crc32c(bytes.subarray(offset, offset + 4))) return -1;
  if (len > MAX_SEALED_RECORD_BYTES) return -2;
  return len;
}
