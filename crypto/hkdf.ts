/**
 * HKDF-SHA256 (RFC 5869): every derived key in HeliosDB goes through it (key-encryption keys,
 * the keyring key, file keys; spec/crypto.md [CRY-KDF-1]).
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { HeliosError } from '../format/errors.ts';
import { opensslHkdf, opensslOnlyActive } from './fips.ts';

/** RFC 5869 section 2.3: L <= 255 * HashLen. */
export const HKDF_SHA256_MAX_LENGTH = 255 * 32;

/**
 * OKM = HKDF-Expand(HKDF-Extract(salt, ikm), info, length). An empty salt means HashLen zero
 * bytes (RFC 5869 section 2.2). Returns a new array of `length` bytes; inputs are not retained.
 * Errors: INVALID_ARGUMENT for a non-Uint8Array input or a length outside 1..8160.
 */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  if (!(ikm instanceof Uint8Array) || !(salt instanceof Uint8Array) || !(info instanceof Uint8Array)) {
    throw new HeliosError('INVALID_ARGUMENT', 'hkdfSha256: ikm, salt and info must be Uint8Arrays');
  }
  if (!Number.isInteger(length) || length < 1 || length > HKDF_SHA256_MAX_LENGTH) {
    throw new HeliosError('INVALID_ARGUMENT', `hkdfSha256: length must be 1..${HKDF_SHA256_MAX_LENGTH}`);
  }
  // FIPS mode: through node:crypto's OpenSSL (crypto/fips.ts); the same bytes.
  if (opensslOnlyActive()) return opensslHkdf(ikm, salt, info, length);
  return hkdf(sha256, ikm, salt, info, length);
}
