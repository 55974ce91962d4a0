/**
 * Reads a log file (WAL segment or manifest) written by log-writer.ts and
 * applies the recovery rules of spec/format.md [FMT-REC-4]:
 *
 *  - A file whose end is recorded (`sealedByteLength` given: a WAL segment the
 *    manifest marks as ended) must hold exactly its records up to that
 *    length; any failure before it is CORRUPTION. Bytes past it are ignored:
 *    they are a torn tail dropped by an earlier recovery.
 *  - A file still open when the process stopped (`sealedByteLength` null)
 *    may end in a torn write: a record cut short (fewer than 8 header bytes,
 *    or fewer payload bytes than its length says), or a tail of zero bytes.
 *    That tail is dropped and counted in `droppedBytes`.
 *  - A complete record whose length check or tag fails is CORRUPTION
 *    naming the file and the record's offset, wherever it is: a torn write
 *    cuts a record short, it does not produce a complete record with wrong
 *    bytes, so a complete failing record means damage, never a crash.
 */
import { corruption, HeliosError } from '../format/errors.ts';
import { decodeFileHeader, FILE_HEADER_BYTES, type FileHeader, type FileKind } from '../format/file-header.ts';
import { decodeRecordHeader, RECORD_HEADER_BYTES } from '../format/record-frame.ts';
import { createFileCipher, type KeyContext } from './file-cipher.ts';
import type { Vfs } from './vfs.ts';

export interface LogRecord {
  /** Byte offset of the record (its 8-byte frame header) in the file. */
  readonly offset: number;
  readonly index: number;
  /** The opened plaintext (a private new array). */
  readonly plaintext: Uint8Array;
}

export interface LogReadResult {
  readonly header: FileHeader;
  readonly records: LogRecord[];
  /** End of the last good record: where a recovery seals this file. */
  readonly validByteLength: number;
  /** Bytes of a torn tail that were dropped (0 when none). */
  readonly droppedBytes: number;
}

export function readLog(
  vfs: Vfs,
  path: string,
  fileName: string,
  ctx: KeyContext,
  expect: { kind: FileKind; fileNumber: number; sealedByteLength: number | null },
): LogReadResult {
  const f = vfs.openRead(path);
  let bytes: Uint8Array;
  try {
    bytes = f.readAt(0, f.size());
  } finally {
    f.close();
  }
  const header = decodeFileHeader(bytes, fileName);
  if (header.kind !== expect.kind) corruption(fileName, 6, `file kind ${header.kind} where ${expect.kind} was expected`);
  if (header.fileNumber !== expect.fileNumber) corruption(fileName, 12, `file number ${header.fileNumber} does not match the file name`);
  const sealed = expect.sealedByteLength;
  if (sealed !== null && bytes.length < sealed) corruption(fileName, bytes.length, `file is truncated (expected ${sealed} bytes)`);
  if (sealed !== null && sealed < FILE_HEADER_BYTES) corruption(fileName, 0, 'recorded length is shorter than the header');
  const end = sealed ?? bytes.length;
  const tailAllowed = sealed === null;

  const cipher = createFileCipher(ctx, header);
  const records: LogRecord[] = [];
  let o = FILE_HEADER_BYTES;
  let index = 0;
  let dropped = 0;
  try {
    while (o < end) {
      const rem = end - o;
      if (tailAllowed && allZero(bytes, o, end)) {
        dropped = rem;
        break;
      }
      if (rem < RECORD_HEADER_BYTES) {
        if (tailAllowed) {
          dropped = rem;
          break;
        }
        corruption(fileName, o, 'record header is truncated');
      }
      const len = decodeRecordHeader(bytes, o);
      if (len < 0) corruption(fileName, o, len === -1 ? 'record length check failed' : 'record length out of range');
      if (RECORD_HEADER_BYTES + len > rem) {
        if (tailAllowed) {
          dropped = rem;
          break;
        }
        corruption(fileName, o, 'record is truncated');
      }
      const plaintext = cipher.open(index, bytes.subarray(o + RECORD_HEADER_BYTES, o + RECORD_HEADER_BYTES + len));
      if (plaintext === null) corruption(fileName, o, 'record failed verification');
      records.push({ offset: o, index, plaintext });
      index++;
      o += RECORD_HEADER_BYTES + len;
    }
  } finally {
    cipher.destroy();
  }
  if (o > end) throw new HeliosError('INTERNAL', 'log reader overran the file');
  return { header, records, validByteLength: o, droppedBytes: dropped };
}

function allZero(b: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (b[i] !== 0) return false;
  return true;
}
