/**
 * CURRENT names the live manifest and says whether the database was closed
 * cleanly, spec/format.md §6 [FMT-CUR-1]. The rollback witness (an optional
 * copy kept on other storage, [FMT-WIT-1]) has the same body.
 *
 * ```
 *  CURRENT / witness file:
 *   0   40  file header (format/file-header.ts): kind 4 (CURRENT) or 5 (witness),
 *           file number 0, a fresh salt for every write
 *  40    8  record frame (format/record-frame.ts), record index 0
 *  48    n  sealed record: ciphertext of the state below ‖ 16-byte tag
 *  48+n     end of file: nothing may follow
 *
 *  state (the record's plaintext):
 *   u8      state: 1 = open (a writer may have been appending when the
 *           process stopped), 2 = closed (written by a clean close)
 *   varint  manifestNumber: the live manifest is MANIFEST-<manifestNumber>
 *   varint  lastSeqNum: open: every commit up to it was durable when this
 *           CURRENT was written; closed: the last commit, exactly
 *   varint  manifestByteLength: closed: the manifest's exact length; open: 0
 * ```
 * These constants are part of the on-disk format and never change.
 */
import { corruption } from './errors.ts';
import { readVarint, varintLength, writeVarint } from './varint.ts';

export const CURRENT_STATE_OPEN = 1;
export const CURRENT_STATE_CLOSED = 2;

/** What CURRENT (or the witness) says about the database. */
export interface CurrentState {
  readonly manifestNumber: number;
  /** True when written by a clean close: the manifest and every WAL segment end exactly where it says. */
  readonly closed: boolean;
  readonly lastSeqNum: number;
  /** The manifest's exact byte length when closed; 0 when open. */
  readonly manifestByteLength: number;
}

export function manifestFileName(fileNumber: number): string {
  return `MANIFEST-${String(fileNumber).padStart(6, '0')}`;
}

/** The plaintext of the CURRENT record (a new array). */
export function encodeCurrentState(s: CurrentState): Uint8Array {
  const length = s.closed ? s.manifestByteLength : 0;
  const out = new Uint8Array(1 + varintLength(s.manifestNumber) + varintLength(s.lastSeqNum) + varintLength(length));
  out[0] = s.closed ? CURRENT_STATE_CLOSED : CURRENT_STATE_OPEN;
  let o = writeVarint(out, 1, s.manifestNumber);
  o = writeVarint(out, o, s.lastSeqNum);
  writeVarint(out, o, length);
  return out;
}

/** Decodes the CURRENT record's plaintext; anything malformed is CORRUPTION [FMT-CUR-2]. */
export function decodeCurrentState(bytes: Uint8Array, fileName: string, offset: number): CurrentState {
  if (bytes.length < 4) corruption(fileName, offset, 'CURRENT record is too short');
  const state = bytes[0]!;
  if (state !== CURRENT_STATE_OPEN && state !== CURRENT_STATE_CLOSED) corruption(fileName, offset, `unknown CURRENT state ${state}`);
  const fields: number[] = [];
  let o = 1;
  for (let i = 0; i < 3; i++) {
    const r = readVarint(bytes, o);
    if (r === null) corruption(fileName, offset + o, 'bad varint in the CURRENT state');
    fields.push(r[0]);
    o = r[1];
  }
  if (o !== bytes.length) corruption(fileName, offset + o, 'bytes after the CURRENT state');
  const closed = state === CURRENT_STATE_CLOSED;
  const [manifestNumber, lastSeqNum, manifestByteLength] = fields as [number, number, number];
  if (!closed && manifestByteLength !== 0) corruption(fileName, offset, 'an open CURRENT records a manifest length');
  return { manifestNumber, closed, lastSeqNum, manifestByteLength };
}
