/**
 * FIPS mode's two facts, kept apart because only one is ours to make true
 * (spec/threat-model.md §FIPS):
 *
 *  - the runtime reports a FIPS provider: node:crypto's `getFips()` is 1 when
 *    the OpenSSL it is linked with runs its FIPS provider (Node started with
 *    --enable-fips or an OpenSSL configuration that activates it). HeliosDB
 *    cannot make this true and does not pretend to: fips mode refuses to
 *    open without it;
 *  - OpenSSL-only cryptography: once enabled (process-wide, never disabled
 *    again — the provider is process-wide too), every AES-256-GCM operation
 *    (file records and blocks, key-slot and keyring wraps), every HKDF and
 *    every PBKDF2 goes through node:crypto: one GCM cipher object per
 *    operation, so OpenSSL computes GHASH; the TypeScript GHASH and
 *    @noble/ciphers are not used. The bytes are identical either way
 *    [CRY-GCM-1].
 *
 * Still outside the module: SHA-256 table digests and CRC32C framing
 * (integrity checks inside sealed data), Argon2id (not an approved KDF: FIPS
 * databases use PBKDF2), and random bytes (node:crypto's randomBytes, which
 * is OpenSSL's DRBG).
 */
import { createCipheriv, createDecipheriv, getFips, hkdfSync } from 'node:crypto';
import { HeliosError } from '../format/errors.ts';

let opensslOnly = false;
let providerCheck: (() => boolean) | null = null;

/** Whether the runtime reports an active FIPS provider (crypto.getFips() === 1, or the check a test injected). */
export function fipsProviderActive(): boolean {
  if (providerCheck !== null) return providerCheck();
  try {
    return getFips() === 1;
  } catch {
    return false;
  }
}

/** Test hook: replaces the provider check (null restores crypto.getFips()). */
export function setFipsProviderCheck(check: (() => boolean) | null): void {
  providerCheck = check;
}

/**
 * Checks the provider and turns OpenSSL-only cryptography on for the process.
 * CONFIG when the runtime reports no FIPS provider, saying why.
 */
export function enterFipsMode(): void {
  if (!fipsProviderActive()) {
    throw new HeliosError(
      'CONFIG',
      'fips_mode is on but this runtime reports no FIPS 140 provider (crypto.getFips() is 0): start Node with --enable-fips or an OpenSSL configuration that activates a validated FIPS provider; HeliosDB refuses to run in FIPS mode on cryptography the runtime does not report as validated',
    );
  }
  opensslOnly = true;
}

/** Whether every AES-GCM, HKDF and PBKDF2 operation of this process goes through node:crypto. */
export function opensslOnlyActive(): boolean {
  return opensslOnly;
}

const ZERO_NONCE = new Uint8Array(12);

/** AES-256-GCM with a zero nonce through node:crypto: ciphertext ‖ tag (the key wraps of HELIOS). */
export function opensslWrap(key: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const c = createCipheriv('aes-256-gcm', key, ZERO_NONCE);
  c.setAAD(aad);
  const a = c.update(plaintext);
  const b = c.final();
  const tag = c.getAuthTag();
  const out = new Uint8Array(a.length + b.length + tag.length);
  out.set(a, 0);
  out.set(b, a.length);
  out.set(tag, a.length + b.length);
  a.fill(0);
  return out;
}

/** Inverse of opensslWrap; throws (like @noble/ciphers) when the tag does not verify. */
export function opensslUnwrap(key: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array {
  if (sealed.length < 16) throw new Error('sealed data too short');
  const d = createDecipheriv('aes-256-gcm', key, ZERO_NONCE);
  d.setAAD(aad);
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  const a = d.update(sealed.subarray(0, sealed.length - 16));
  const b = d.final(); // throws on a bad tag, before the plaintext is returned
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  a.fill(0);
  return out;
}

/** HKDF-SHA256 through node:crypto. */
export function opensslHkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', ikm, salt, info, length));
}
