/**
 * CURRENT and the rollback witness as files: one sealed record each
 * (format/current-file.ts, spec/format.md §6).
 *
 * Both are replaced whole (temp file, sync, rename, sync directory) and every
 * write draws a fresh salt, so every write has a new file key and its one
 * record (index 0) never shares a (key, nonce) pair with another.
 */
import { corruption } from '../format/errors.ts';
import { decodeCurrentState, encodeCurrentState, type CurrentState } from '../format/current-file.ts';
import { decodeFileHeader, encodeFileHeader, FILE_HEADER_BYTES, FILE_KIND_CURRENT, FILE_KIND_WITNESS } from '../format/file-header.ts';
import { decodeRecordHeader, RECORD_HEADER_BYTES, writeRecordHeader } from '../format/record-frame.ts';
import { createFileCipher, newFileHeader, type KeyContext } from './file-cipher.ts';

/** A CURRENT or witness file is never larger than this (header, frame, tag, three varints and a byte). */
export const MAX_STATE_FILE_BYTES = 256;

type StateKind = typeof FILE_KIND_CURRENT | typeof FILE_KIND_WITNESS;

/** The bytes of a CURRENT (kind 4) or witness (kind 5) file holding `state`, sealed under the current generation. */
export function encodeStateFile(ctx: KeyContext, kind: StateKind, state: CurrentState): Uint8Array {
  const cipher = createFileCipher(ctx, newFileHeader(ctx, kind, 0));
  try {
    const sealed = cipher.seal(0, encodeCurrentState(state));
    const out = new Uint8Array(FILE_HEADER_BYTES + RECORD_HEADER_BYTES + sealed.length);
    out.set(encodeFileHeader(cipher.header), 0);
    writeRecordHeader(out, FILE_HEADER_BYTES, sealed.length);
    out.set(sealed, FILE_HEADER_BYTES + RECORD_HEADER_BYTES);
    return out;
  } finally {
    cipher.destroy();
  }
}

/**
 * Verifies and decodes a CURRENT or witness file [FMT-CUR-2]. Any damage —
 * wrong size, header, kind, frame, tag, or a record sealed for another
 * database — is CORRUPTION naming `fileName`.
 */
export function decodeStateFile(ctx: KeyContext, kind: StateKind, bytes: Uint8Array, fileName: string): CurrentState {
  if (bytes.length > MAX_STATE_FILE_BYTES) corruption(fileName, MAX_STATE_FILE_BYTES, `file is ${bytes.length} bytes, more than a ${fileName} file can be`);
  const header = decodeFileHeader(bytes, fileName);
  if (header.kind !== kind) corruption(fileName, 6, `file kind ${header.kind} where ${kind} was expected`);
  if (header.fileNumber !== 0) corruption(fileName, 12, 'file number is not 0');
  if (bytes.length < FILE_HEADER_BYTES + RECORD_HEADER_BYTES) corruption(fileName, FILE_HEADER_BYTES, 'record is truncated');
  const len = decodeRecordHeader(bytes, FILE_HEADER_BYTES);
  if (len < 0) corruption(fileName, FILE_HEADER_BYTES, 'record length check failed');
  if (FILE_HEADER_BYTES + RECORD_HEADER_BYTES + len !== bytes.length) corruption(fileName, FILE_HEADER_BYTES, 'record length does not match the file size');
  const cipher = createFileCipher(ctx, header);
  try {
    const plaintext = cipher.open(0, bytes.subarray(FILE_HEADER_BYTES + RECORD_HEADER_BYTES));
    if (plaintext === null) corruption(fileName, FILE_HEADER_BYTES, 'record failed verification');
    return decodeCurrentState(plaintext, fileName, FILE_HEADER_BYTES + RECORD_HEADER_BYTES);
  } finally {
    cipher.destroy();
  }
}
