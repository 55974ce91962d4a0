/**
 * PBKDF2-HMAC-SHA256 (RFC 8018 section 5.2), the passphrase KDF of FIPS mode [CRY-KDF-4]:
 * Argon2id is not a FIPS 140 approved algorithm, PBKDF2 with HMAC-SHA-256 is (NIST SP 800-132).
 * The iteration floor is OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256 (600,000).
 *
 * Backends: node:crypto pbkdf2Sync (OpenSSL, fast; default where it exists) and
 * @noble/hashes (portable, and the cross-check). Both give identical bytes.
 */
import { pbkdf2Sync } from 'node:crypto';
import { pbkdf2 as noblePbkdf2 } from '@noble/hashes/pbkdf2.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { opensslOnlyActive } from './fips.ts';
import { HeliosError } from '../format/errors.ts';

export const PBKDF2_DEFAULT_ITERATIONS = 600_000;
/** Inclusive bounds for the database KDF ([CRY-KDF-4]); outside them: CONFIG. */
export const PBKDF2_BOUNDS = {
  iterations: { min: 600_000, max: 10_000_000 },
  saltLength: { min: 16, max: 1024 },
} as const;

export type Pbkdf2Backend = 'node' | 'noble';

/**
 * Plain PBKDF2-HMAC-SHA256 with no policy floor (iterations >= 1), for known-answer tests and
 * cross-checks. Returns a new array of `length` bytes.
 */
export function pbkdf2HmacSha256(password: Uint8Array, salt: Uint8Array, iterations: number, length: number, backend: Pbkdf2Backend = 'node'): Uint8Array {
  if (!(password instanceof Uint8Array) || !(salt instanceof Uint8Array)) throw new HeliosError('INVALID_ARGUMENT', 'PBKDF2 password and salt must be Uint8Arrays');
  if (!Number.isSafeInteger(iterations) || iterations < 1) throw new HeliosError('INVALID_ARGUMENT', 'PBKDF2 iterations must be a positive integer');
  if (!Number.isInteger(length) || length < 1 || length > 1024) throw new HeliosError('INVALID_ARGUMENT', 'PBKDF2 length must be 1..1024');
  if (opensslOnlyActive()) {
    // FIPS mode (crypto/fips.ts): OpenSSL only, never the JavaScript fallback.
    if (typeof pbkdf2Sync !== 'function') throw new HeliosError('CONFIG', 'FIPS mode needs node:crypto pbkdf2Sync, which this runtime lacks');
    backend = 'node';
  }
  if (backend === 'node' && typeof pbkdf2Sync === 'function') {
    const out = pbkdf2Sync(password, salt, iterations, length, 'sha256');
    const copy = new Uint8Array(out.length);
    copy.set(out);
    out.fill(0);
    return copy;
  }
  return noblePbkdf2(sha256, password, salt, { c: iterations, dkLen: length });
}

/** Throws CONFIG unless `iterations` is inside PBKDF2_BOUNDS. */
export function validatePbkdf2Iterations(iterations: unknown): void {
  const b = PBKDF2_BOUNDS.iterations;
  if (typeof iterations !== 'number' || !Number.isInteger(iterations) || iterations < b.min || iterations > b.max) {
    throw new HeliosError('CONFIG', `PBKDF2 iterations must be an integer in ${b.min}..${b.max}, got ${String(iterations)}`);
  }
}

/** The 32-byte master secret of a passphrase in FIPS mode. CONFIG outside the bounds. */
export function pbkdf2Master(passphrase: Uint8Array, salt: Uint8Array, iterations: number, backend: Pbkdf2Backend = 'node'): Uint8Array {
  validatePbkdf2Iterations(iterations);
  if (!(salt instanceof Uint8Array) || salt.length < PBKDF2_BOUNDS.saltLength.min || salt.length > PBKDF2_BOUNDS.saltLength.max) {
    throw new HeliosError('CONFIG', `PBKDF2 salt must be ${PBKDF2_BOUNDS.saltLength.min}..${PBKDF2_BOUNDS.saltLength.max} bytes`);
  }
  return pbkdf2HmacSha256(passphrase, salt, iterations, 32, backend);
}
