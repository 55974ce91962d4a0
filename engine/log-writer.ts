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
 * loss.
 *
 * Failure: after any I/O error the writer is poisoned: every later call
 * rethrows that error. The bytes of a failed write may be partly in the file;
 * the index of the failed record must not be used again with other content,
 * so the caller abandons the file (the next open starts a new one).
 */
import { HeliosError } from '../format/errors.ts';
import { encodeFileHeader } from '../format/file-header.ts';
import { RECORD_HEADER_BYTES, writeRecordHeader } from '../format/record-frame.ts';
import type { FileCipher } from './file-cipher.ts';
import type { Vfs, VfsFile } from './vfs.ts';

/** Frames up to this size are built in a buffer kept by the writer; larger ones in a one-off array. */
const MAX_REUSED_FRAME_BYTES = 128 * 1024;

export interface LogWriter {
  readonly fileName: string;
  readonly fileNumber: number;
  /** Bytes written to the file, header included. */
  readonly byteLength: number;
  /** Records added so far (the index the next record gets). */
  readonly recordCount: number;
  /** Seals and appends one record. */
  add(plaintext: Uint8Array): void;
  /** Makes every record added so far durable. */
  sync(): void;
  /** Releases the file handle and the file key. Does not flush. Idempotent. */
  close(): void;
}

/**
 * Creates `path` with the header of `cipher` and syncs it. The directory
 * entry is not synced here: the caller syncs the directory before it
 * refers to the file from anywhere durable.
 */
export function createLogWriter(vfs: Vfs, path: string, fileName: string, cipher: FileCipher): LogWriter {
  let file: VfsFile | null = vfs.create(path);
  let failure: unknown = null;
  let index = 0;
  let written = 0;
  let frame: Uint8Array = new Uint8Array(256);

  const fail = (e: unknown): never => {
    failure ??= e;
    throw e;
  };
  const live = (): VfsFile => {
    if (failure !== null) throw failure;
    if (file === null) throw new HeliosError('CLOSED', `${fileName} is closed`, { file: fileName });
    return file;
  };
  const appendNow = (data: Uint8Array): void => {
    const f = live();
    try {
      f.append(data);
    } catch (e) {
      fail(e);
    }
    written += data.length;
  };

  try {
    appendNow(encodeFileHeader(cipher.header));
    file.sync();
  } catch (e) {
    file.close();
    cipher.destroy();
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
      live();
      // The frame is built in place, header then ciphertext ‖ tag, in a
      // buffer reused across records: append() copies or writes out its
      // argument (vfs.ts), and the buffer only ever holds ciphertext.
      const sealedLength = plaintext.length + cipher.overhead;
      const frameLength = RECORD_HEADER_BYTES + sealedLength;
      let rec: Uint8Array;
      if (frameLength <= frame.length) {
        rec = frame.subarray(0, frameLength);
      } else {
        rec = new Uint8Array(frameLength);
        if (frameLength <= MAX_REUSED_FRAME_BYTES) frame = rec;
      }
      writeRecordHeader(rec, 0, sealedLength);
      cipher.sealInto(index, plaintext, rec, RECORD_HEADER_BYTES);
      index++;
      appendNow(rec);
    },
    sync() {
      const f = live();
      try {
        f.sync();
      } catch (e) {
        fail(e);
      }
    },
    close() {
      if (file === null) return;
      file.close();
      file = null;
      cipher.destroy();
    },
  };
}

