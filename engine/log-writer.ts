/**
 * Writes a log file (a WAL segment or a manifest): the plaintext file
 * header, then sealed records framed as in format/record-frame.ts, record
 * `i` sealed with nonce index `i`.
 *
 * A log writer only ever creates a NEW file (Vfs.create refuses to reuse a
 * path) and counts its records from 0, so a (file key, nonce) pair is never
 * used twice: the file key is new because the salt is fresh, and the index
 * only grows [FMT-REC-3].
 *
 * Durability: `add()` hands the record to the OS before returning (survives
 * a process crash); `sync()` makes every record added so far survive power
 * loss; `addSynced()` does both for one record. Every sync point is followed
 * by zero padding to the next LOG_BLOCK_BYTES boundary, written before the
 * fsync [FMT-REC-6]: bytes written after a sync never share a file-system
 * block with synced bytes, so a later failing write or fsync — which on a
 * real device can zero every block it touched — cannot damage a record that
 * was already acknowledged.
 *
 * Failure: after any I/O error the writer cuts the file back to the end of
 * the last acknowledged record (a record is acknowledged when `add()` or
 * `addSynced()` returned) and syncs that, best effort, then is poisoned:
 * every later call rethrows the first error. So after a failed commit the
 * file holds exactly the acknowledged records (unless the device refused the
 * truncation too; then recovery's torn-tail rules [FMT-REC-4] [FMT-REC-5]
 * drop what the failed write left). The index of the failed record is never
 * used again: the caller abandons the file (the next open starts a new one).
 */
import { HeliosError } from '../format/errors.ts';
import { encodeFileHeader } from '../format/file-header.ts';
import { LOG_BLOCK_BYTES, MAX_LOG_FILE_BYTES, MIN_RECORD_ROOM, RECORD_HEADER_BYTES, writeRecordHeader } from '../format/record-frame.ts';
import type { FileCipher } from './file-cipher.ts';
import type { Vfs, VfsFile } from './vfs.ts';

/** Frames up to this size are built in a buffer kept by the writer; larger ones in a one-off array. */
const MAX_REUSED_FRAME_BYTES = 128 * 1024;

export interface LogWriter {
  readonly fileName: string;
  readonly fileNumber: number;
  /** Bytes written to the file, header and padding included. */
  readonly byteLength: number;
  /** Records added so far (the index the next record gets). */
  readonly recordCount: number;
  /** Seals and appends one record (acknowledged once this returns). TOO_BIG, before
   *  anything is written, when the file would pass MAX_LOG_FILE_BYTES. */
  add(plaintext: Uint8Array): void;
  /** Seals and appends one record, pads to the block boundary and syncs, in that
   *  order (acknowledged once this returns). TOO_BIG as add(). */
  addSynced(plaintext: Uint8Array): void;
  /** Pads to the block boundary and makes every record added so far durable. */
  sync(): void;
  /** Releases the file handle and the file key. Does not flush. Idempotent. */
  close(): void;
}

/**
 * Creates `path` with the header of `cipher` (padded, [FMT-REC-6]) and syncs
 * it; if that fails the file is removed again (best effort). The directory
 * entry is not synced here: the caller syncs the directory before it
 * refers to the file from anywhere durable.
 */
export function createLogWriter(vfs: Vfs, path: string, fileName: string, cipher: FileCipher): LogWriter {
  let file: VfsFile | null = vfs.create(path);
  let failure: unknown = null;
  let index = 0;
  let written = 0;
  /** End of the last acknowledged record (or of the header): where a failure cuts the file back to. */
  let acknowledged = 0;
  let frame: Uint8Array = new Uint8Array(256);

  const live = (): VfsFile => {
    if (failure !== null) throw failure;
    if (file === null) throw new HeliosError('CLOSED', `${fileName} is closed`, { file: fileName });
    return file;
  };
  /** Records the first failure, cuts the file back to the acknowledged end (best effort), rethrows. */
  const fail = (f: VfsFile, e: unknown): never => {
    failure ??= e;
    try {
      if (f.size() > acknowledged) f.truncate(acknowledged);
      f.sync();
      written = acknowledged;
    } catch {
      // The device refused the cleanup too: recovery's torn-tail rules handle what is left.
    }
    throw e;
  };
  const paddingAfter = (end: number): number => (LOG_BLOCK_BYTES - (end % LOG_BLOCK_BYTES)) % LOG_BLOCK_BYTES;
  const checkRoom = (bytes: number): void => {
    if (written + bytes > MAX_LOG_FILE_BYTES) {
      throw new HeliosError('TOO_BIG', `${fileName}: a record of ${bytes} bytes would take the file past ${MAX_LOG_FILE_BYTES} bytes`, { file: fileName });
    }
  };
  /**
   * The sealed frame of record `index` (after lead padding, see below),
   * then, with `padToBlock`, zero padding to the block boundary; in a buffer
   * reused across records.
   *
   * A record never starts in the last MIN_RECORD_ROOM - 1 bytes of a block
   * [FMT-REC-6]: its length field would then end at the boundary, and the
   * high bytes of a length below 2^24 are zero, so the bytes from its start to
   * the boundary could all be zero and read as padding. Such a record gets
   * zero lead padding to the boundary instead.
   */
  const buildFrame = (plaintext: Uint8Array, padToBlock: boolean): Uint8Array => {
    // The frame is built in place, header then ciphertext ‖ tag (then padding),
    // in a buffer reused across records: append() copies or writes out its
    // argument (vfs.ts), and the buffer only ever holds ciphertext and zeros.
    const room = LOG_BLOCK_BYTES - (written % LOG_BLOCK_BYTES);
    const lead = room < MIN_RECORD_ROOM ? room : 0;
    const sealedLength = plaintext.length + cipher.overhead;
    const frameEnd = lead + RECORD_HEADER_BYTES + sealedLength;
    const total = frameEnd + (padToBlock ? paddingAfter(written + frameEnd) : 0);
    checkRoom(total);
    let rec: Uint8Array;
    if (total <= frame.length) {
      rec = frame.subarray(0, total);
    } else {
      rec = new Uint8Array(total);
      if (total <= MAX_REUSED_FRAME_BYTES) frame = rec;
    }
    if (lead > 0) rec.fill(0, 0, lead);
    writeRecordHeader(rec, lead, sealedLength);
    cipher.sealInto(index, plaintext, rec, lead + RECORD_HEADER_BYTES);
    rec.fill(0, frameEnd);
    return rec;
  };
  const appendNow = (f: VfsFile, data: Uint8Array): void => {
    try {
      f.append(data);
    } catch (e) {
      fail(f, e);
    }
    written += data.length;
  };
  const syncNow = (f: VfsFile): void => {
    const pad = paddingAfter(written);
    if (pad > 0) appendNow(f, new Uint8Array(pad));
    try {
      f.sync();
    } catch (e) {
      fail(f, e);
    }
  };

  try {
    const f = live();
    appendNow(f, encodeFileHeader(cipher.header));
    syncNow(f);
    acknowledged = written;
  } catch (e) {
    file.close();
    cipher.destroy();
    try {
      vfs.remove(path); // nothing refers to the file yet: leave no half-written header behind
    } catch {
      // The device refused this too; an unlisted log without records is a leftover to recovery.
    }
    throw e;
  }

  return {
    fileName,
    fileNumber: cipher.header.fileNumber,
    get byteLength() {
      return written;
    },
    get recordCount() {
      return index;
    },
    add(plaintext) {
      const f = live();
      const rec = buildFrame(plaintext, false);
      index++;
      appendNow(f, rec);
      acknowledged = written;
    },
    addSynced(plaintext) {
      const f = live();
      const rec = buildFrame(plaintext, true);
      index++;
      appendNow(f, rec);
      try {
        f.sync();
      } catch (e) {
        fail(f, e);
      }
      acknowledged = written;
    },
    sync() {
      syncNow(live());
      acknowledged = written;
    },
    close() {
      if (file === null) return;
      file.close();
      file = null;
      cipher.destroy();
    },
  };
}
