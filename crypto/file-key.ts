/**
 * Per-file keys [CRY-KEY-4]: every WAL, manifest and SSTable file is sealed under its own key
 *
 *   fileKey = HKDF-SHA256(ikm = DEK_g, salt = the file's random 16-byte salt,
 *                         info = "helios-file-key" ‖ u8 fileKind ‖ u64be fileNumber, L = 32)
 *
 * The salt is drawn fresh for every file and stored in its plaintext header, so a file key is
 * new even if a file number were ever reused; that is half of the nonce-uniqueness argument of
 * spec/crypto.md [CRY-NONCE-2].
 */
import { HeliosError } from '../format/errors.ts';
import { utf8Encode } from '../format/bytes.ts';
import { hkdfSha256 } from './hkdf.ts';
import { takeSecret } from './secret-bytes.ts';

export const FILE_KEY_INFO_LABEL = 'helios-file-key';
const LABEL = utf8Encode(FILE_KEY_INFO_LABEL);

/** The HKDF info bytes: "helios-file-key" ‖ u8 fileKind ‖ u64be fileNumber (24 bytes). */
export function fileKeyInfo(fileKind: number, fileNumber: number): Uint8Array {
  if (!Number.isInteger(fileKind) || fileKind < 0 || fileKind > 255) throw new HeliosError('INVALID_ARGUMENT', 'fileKind must be a u8');
  if (!Number.isSafeInteger(fileNumber) || fileNumber < 0) throw new HeliosError('INVALID_ARGUMENT', 'fileNumber must be a safe integer >= 0');
  const info = new Uint8Array(LABEL.length + 9);
  info.set(LABEL, 0);
  info[LABEL.length] = fileKind;
  const view = new DataView(info.buffer);
  view.setUint32(LABEL.length + 1, Math.floor(fileNumber / 0x1_0000_0000), false);
  view.setUint32(LABEL.length + 5, fileNumber >>> 0, false);
  return info;
}

/**
 * The 32-byte key of one file. `dek` must be 32 bytes and `fileSalt` 16 bytes (else
 * INVALID_ARGUMENT). Returns a new array the caller owns and zeroes when the file closes; its
 * storage is never moved by the garbage collector (crypto/secret-bytes.ts, [CRY-ZERO-2]).
 */
export function deriveFileKey(dek: Uint8Array, fileSalt: Uint8Array, fileKind: number, fileNumber: number): Uint8Array {
  if (!(dek instanceof Uint8Array) || dek.length !== 32) throw new HeliosError('INVALID_ARGUMENT', 'data key must be 32 bytes');
  if (!(fileSalt instanceof Uint8Array) || fileSalt.length !== 16) throw new HeliosError('INVALID_ARGUMENT', 'file salt must be 16 bytes');
  return takeSecret(hkdfSha256(dek, fileSalt, fileKeyInfo(fileKind, fileNumber), 32));
}
