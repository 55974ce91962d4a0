/**
 * Reads a log file (WAL segment or manifest) written by log-writer.ts and
 * applies the reading rules of spec/format.md [FMT-REC-4..6]:
 *
 *  - Zero bytes from a record boundary up to the next LOG_BLOCK_BYTES
 *    boundary are padding (written at sync points, and before a record
 *    that would start too close to a boundary) and are skipped — except
 *    fewer than MIN_RECORD_ROOM of them that begin a complete record which
 *    verifies: a writer before that rule started records there.
 *  - A file whose end is recorded (`sealedByteLength` given: a WAL segment the
 *    manifest marks as ended) must hold exactly its records up to that
 *    length; any failure before it is CORRUPTION. Bytes past it are ignored:
 *    they are a torn tail dropped by an earlier recovery.
 *  - A file still open when the process stopped (`sealedByteLength` null)
 *    may end in a torn write, which is dropped and counted in
 *    `droppedBytes`: the rest all zero; fewer than 8 bytes; a record whose
 *    verified length runs past the end; or a record that fails (length check
 *    or tag) whose bytes are zero from a SECTOR_BYTES boundary inside it to
 *    the end of the file (a device that lost the blocks of a failed write).
 *  - Every other failure is CORRUPTION naming the file and the record's
 *    offset, wherever it is: the length check is verified before a length is
 *    believed, so a damaged length is never taken for a record cut short, and
 *    a complete failing record with anything non-zero after its cut is damage.
 *
 * Memory is bounded: the file is read in windows, a record at most
 * MAX_SEALED_RECORD_BYTES at a time, and a file larger than
 * MAX_LOG_FILE_BYTES is CORRUPTION before anything else is read.
 */
import { corruption, HeliosError } from '../format/errors.ts';
import { decodeFileHeader, FILE_HEADER_BYTES, type FileHeader, type FileKind } from '../format/file-header.ts';
import { decodeRecordHeader, LOG_BLOCK_BYTES, MAX_LOG_FILE_BYTES, MIN_RECORD_ROOM, RECORD_HEADER_BYTES, SECTOR_BYTES } from '../format/record-frame.ts';
import { createFileCipher, type KeyContext } from './file-cipher.ts';
import type { Vfs, VfsFile } from './vfs-interface.ts';

/** Bytes read ahead at a time. */
const WINDOW_BYTES = 1024 * 1024;

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
  try {
    return readOpenLog(f, fileName, ctx, expect);
  } finally {
    f.close();
  }
}

function readOpenLog(f: VfsFile, fileName: string, ctx: KeyContext, expect: { kind: FileKind; fileNumber: number; sealedByteLength: number | null }): LogReadResult {
  const size = f.size();
  if (size > MAX_LOG_FILE_BYTES) corruption(fileName, MAX_LOG_FILE_BYTES, `file is ${size} bytes, more than any log file (at most ${MAX_LOG_FILE_BYTES})`);
  const header = decodeFileHeader(f.readAt(0, FILE_HEADER_BYTES), fileName);
  if (header.kind !== expect.kind) corruption(fileName, 6, `file kind ${header.kind} where ${expect.kind} was expected`);
  if (header.fileNumber !== expect.fileNumber) corruption(fileName, 12, `file number ${header.fileNumber} does not match the file name`);
  const sealed = expect.sealedByteLength;
  if (sealed !== null && size < sealed) corruption(fileName, size, `file is truncated (expected ${sealed} bytes)`);
  if (sealed !== null && sealed < FILE_HEADER_BYTES) corruption(fileName, 0, 'recorded length is shorter than the header');
  const end = sealed ?? size;
  const tailAllowed = sealed === null;
  const bytes = createWindowReader(f, fileName, end);
  // Where the run of zero bytes that ends the file starts (end when the last byte is not zero).
  const zeroFrom = tailAllowed ? trailingZeroStart(bytes, FILE_HEADER_BYTES, end) : end;
  /** [FMT-REC-5]: the bytes from a sector boundary after `o` and before `frameEnd` to the end are all zero. */
  const zeroCut = (o: number, frameEnd: number): boolean => {
    const z = Math.ceil(Math.max(zeroFrom, o + 1) / SECTOR_BYTES) * SECTOR_BYTES;
    return z < frameEnd;
  };

  const cipher = createFileCipher(ctx, header);
  const records: LogRecord[] = [];
  let o = FILE_HEADER_BYTES;
  let index = 0;
  let dropped = 0;
  /**
   * The record at `o` when one is complete there and verifies, else null.
   * For zeros before a block boundary too short to hold a length field:
   * writers before [FMT-REC-6]'s MIN_RECORD_ROOM rule started records there.
   */
  const verifiedRecordAt = (o: number): Uint8Array | null => {
    if (end - o < RECORD_HEADER_BYTES) return null;
    const len = decodeRecordHeader(bytes.at(o, RECORD_HEADER_BYTES), 0);
    if (len < 0 || RECORD_HEADER_BYTES + len > end - o) return null;
    return cipher.open(index, bytes.at(o + RECORD_HEADER_BYTES, len));
  };
  try {
    while (o < end) {
      if (o % LOG_BLOCK_BYTES !== 0) {
        const blockEnd = Math.min(end, Math.ceil(o / LOG_BLOCK_BYTES) * LOG_BLOCK_BYTES);
        if (bytes.allZero(o, blockEnd)) {
          const legacy = blockEnd - o < MIN_RECORD_ROOM ? verifiedRecordAt(o) : null;
          if (legacy === null) {
            o = blockEnd; // padding [FMT-REC-6]
            continue;
          }
          records.push({ offset: o, index, plaintext: legacy });
          index++;
          o += RECORD_HEADER_BYTES + (legacy.length + cipher.overhead);
          continue;
        }
      }
      const rem = end - o;
      if (tailAllowed && zeroFrom <= o) {
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
      const len = decodeRecordHeader(bytes.at(o, RECORD_HEADER_BYTES), 0);
      if (len === -1) {
        if (tailAllowed && zeroCut(o, o + RECORD_HEADER_BYTES)) {
          dropped = rem;
          break;
        }
        corruption(fileName, o, 'record length check failed');
      }
      if (len === -2) corruption(fileName, o, 'record length out of range');
      if (RECORD_HEADER_BYTES + len > rem) {
        if (tailAllowed) {
          dropped = rem;
          break;
        }
        corruption(fileName, o, 'record is truncated');
      }
      const plaintext = cipher.open(index, bytes.at(o + RECORD_HEADER_BYTES, len));
      if (plaintext === null) {
        if (tailAllowed && zeroCut(o, o + RECORD_HEADER_BYTES + len)) {
          dropped = rem;
          break;
        }
        corruption(fileName, o, 'record failed verification');
      }
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

interface WindowReader {
  /** Bytes [offset, offset + length) (within the end): a view valid until the next call. */
  at(offset: number, length: number): Uint8Array;
  allZero(from: number, to: number): boolean;
}

/** Reads `f` up to `end` through a window of WINDOW_BYTES (or one record, if larger). */
function createWindowReader(f: VfsFile, fileName: string, end: number): WindowReader {
  let winStart = 0;
  let win: Uint8Array = new Uint8Array(0);
  const at = (offset: number, length: number): Uint8Array => {
    if (offset >= winStart && offset + length <= winStart + win.length) return win.subarray(offset - winStart, offset - winStart + length);
    const n = Math.min(end - offset, Math.max(length, WINDOW_BYTES));
    const got = f.readAt(offset, n);
    if (got.length < Math.min(length, n)) {
      throw new HeliosError('IO', `read ${fileName} at ${offset} failed: the file shrank while it was read`, { file: fileName, osCode: 'EIO' });
    }
    winStart = offset;
    win = got;
    return win.subarray(0, length);
  };
  return {
    at,
    allZero(from, to) {
      for (let o = from; o < to; ) {
        const n = Math.min(to - o, WINDOW_BYTES);
        const b = at(o, n);
        for (let i = 0; i < n; i++) if (b[i] !== 0) return false;
        o += n;
      }
      return true;
    },
  };
}

/** The offset from which every byte of [from, end) is zero (end when the last byte is not zero). */
function trailingZeroStart(bytes: WindowReader, from: number, end: number): number {
  let pos = end;
  while (pos > from) {
    const n = Math.min(pos - from, WINDOW_BYTES);
    const b = bytes.at(pos - n, n);
    for (let i = n - 1; i >= 0; i--) if (b[i] !== 0) return pos - n + i + 1;
    pos -= n;
  }
  return from;
}

/**
 * Whether the log file at `path` holds anything after its header and the
 * header's padding (a record, or bytes of one). A log writer that was created
 * but never added a record leaves a file of exactly the padded header (or, if
 * written before [FMT-REC-6], the bare 40-byte header).
 */
export function logHoldsRecords(vfs: Vfs, path: string): boolean {
  const f = vfs.openRead(path);
  try {
    const size = f.size();
    if (size > LOG_BLOCK_BYTES) return true;
    if (size <= FILE_HEADER_BYTES) return false;
    const rest = f.readAt(FILE_HEADER_BYTES, size - FILE_HEADER_BYTES);
    return rest.some((b) => b !== 0);
  } finally {
    f.close();
  }
}
