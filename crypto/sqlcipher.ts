/**
 * SQLCipher page decryption, read-only, for importing a SQLCipher database
 * (sql/import/). Pure: no I/O, no clock. Layout of one page of `pageSize`
 * bytes with `reserve` = IV + HMAC rounded up to the AES block (16):
 *
 * ```
 *  0        16 (page 1 only)                   pageSize-reserve
 *  | salt   | AES-256-CBC ciphertext ...        | IV (16) | HMAC | pad |
 * ```
 * * The file's first 16 bytes are the KDF salt (page 1's plaintext header is
 *   replaced by it; page 1's ciphertext starts at byte 16).
 * * encKey = PBKDF2-HMAC-<hash>(passphrase, salt, kdfIterations, 32), or the
 *   raw key of `x'<64 hex>'` as is (`x'<96 hex>'` also gives the salt).
 * * hmacKey = PBKDF2-HMAC-<hash>(encKey, salt XOR 0x3a, 2, 32).
 * * HMAC-<hash>(hmacKey, ciphertext ‖ IV ‖ pgno as 4 bytes little-endian)
 *   must equal the stored HMAC, compared in constant time, before any
 *   plaintext of the page is released.
 *
 * SQLCipher 4 defaults: SHA-512, 256,000 iterations, 4096-byte pages,
 * reserve 80. SQLCipher 3: SHA-1, 64,000 iterations, 1024-byte pages,
 * reserve 48.
 *
 * Backends: node:crypto (OpenSSL) where it exists, @noble (portable and the
 * cross-check); both give the same bytes.
 */
import { createDecipheriv, createHmac, pbkdf2Sync } from 'node:crypto';
import { cbc } from '@noble/ciphers/aes.js';
import { hmac } from '@noble/hashes/hmac.js';
import { pbkdf2 } from '@noble/hashes/pbkdf2.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { HeliosError } from '../format/errors.ts';
import { constantTimeEqual } from './ct.ts';

export type SqlcipherHash = 'sha1' | 'sha512';
export type SqlcipherBackend = 'node' | 'noble';

export interface SqlcipherParams {
  readonly pageSize: number;
  readonly kdfIterations: number;
  readonly hash: SqlcipherHash;
  /** Bytes at the end of each page: IV + HMAC, rounded up to 16. */
  readonly reserve: number;
}

export const SQLCIPHER_SALT_BYTES = 16;
const IV_BYTES = 16;
const HMAC_SALT_MASK = 0x3a;
const FAST_KDF_ITERATIONS = 2;

/** The parameters of SQLCipher `version` (3 or 4), optionally with another page size or KDF iteration count. */
export function sqlcipherParams(version: 3 | 4, overrides: { pageSize?: number; kdfIterations?: number } = {}): SqlcipherParams {
  const hash: SqlcipherHash = version === 4 ? 'sha512' : 'sha1';
  const pageSize = overrides.pageSize ?? (version === 4 ? 4096 : 1024);
  const kdfIterations = overrides.kdfIterations ?? (version === 4 ? 256_000 : 64_000);
  if (!Number.isInteger(pageSize) || pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) {
    throw new HeliosError('INVALID_ARGUMENT', 'SQLCipher page size must be a power of two in 512..65536');
  }
  if (!Number.isSafeInteger(kdfIterations) || kdfIterations < 1 || kdfIterations > 100_000_000) {
    throw new HeliosError('INVALID_ARGUMENT', 'SQLCipher KDF iterations must be an integer in 1..100000000');
  }
  const raw = IV_BYTES + hmacBytes(hash);
  return { pageSize, kdfIterations, hash, reserve: Math.ceil(raw / 16) * 16 };
}

function hmacBytes(hash: SqlcipherHash): number {
  return hash === 'sha512' ? 64 : 20;
}

export interface SqlcipherKeys {
  /** Verifies and decrypts page `pgno` (1-based) into a new plaintext page; null when its HMAC fails. */
  decryptPage(page: Uint8Array, pgno: number): Uint8Array | null;
  /** Overwrites both keys with zeros. */
  destroy(): void;
}

export type SqlcipherSecret = { readonly passphrase: Uint8Array } | { readonly rawKey: Uint8Array };

/**
 * Derives the page keys of a SQLCipher file whose first 16 bytes are
 * `fileSalt`. A raw key is 32 bytes, or 48 (key ‖ salt, the salt replacing
 * the file's). The caller keeps ownership of the secret's bytes.
 */
export function createSqlcipherKeys(secret: SqlcipherSecret, fileSalt: Uint8Array, params: SqlcipherParams, backend: SqlcipherBackend = 'node'): SqlcipherKeys {
  if (fileSalt.length !== SQLCIPHER_SALT_BYTES) throw new HeliosError('INTERNAL', 'SQLCipher salt must be 16 bytes');
  const useNode = backend === 'node' && typeof pbkdf2Sync === 'function';
  let salt = fileSalt;
  let encKey: Uint8Array;
  if ('rawKey' in secret) {
    const k = secret.rawKey;
    if (k.length !== 32 && k.length !== 48) throw new HeliosError('INVALID_ARGUMENT', 'a SQLCipher raw key is 32 bytes (64 hex digits), or 48 with the salt (96 hex digits)');
    encKey = k.slice(0, 32);
    if (k.length === 48) salt = k.slice(32);
  } else {
    encKey = kdf(params.hash, secret.passphrase, salt, params.kdfIterations, useNode);
  }
  const hmacSalt = salt.map((b) => b ^ HMAC_SALT_MASK);
  const hmacKey = kdf(params.hash, encKey, hmacSalt, FAST_KDF_ITERATIONS, useNode);
  const { pageSize, reserve } = params;
  const macLen = hmacBytes(params.hash);
  const pgnoBytes = new Uint8Array(4);
  const pgnoView = new DataView(pgnoBytes.buffer);
  return {
    decryptPage(page, pgno) {
      if (page.length !== pageSize) throw new HeliosError('INTERNAL', 'SQLCipher page of the wrong size');
      const offset = pgno === 1 ? SQLCIPHER_SALT_BYTES : 0;
      const end = pageSize - reserve;
      const iv = page.subarray(end, end + IV_BYTES);
      const stored = page.subarray(end + IV_BYTES, end + IV_BYTES + macLen);
      pgnoView.setUint32(0, pgno, true);
      const mac = pageMac(params.hash, hmacKey, page.subarray(offset, end + IV_BYTES), pgnoBytes, useNode);
      if (!constantTimeEqual(mac, stored)) return null;
      const plain = decryptCbc(encKey, iv, page.subarray(offset, end), useNode);
      const out = new Uint8Array(pageSize);
      out.set(plain, offset);
      plain.fill(0);
      out.set(page.subarray(end), end);
      return out;
    },
    destroy() {
      encKey.fill(0);
      hmacKey.fill(0);
    },
  };
}

function kdf(hash: SqlcipherHash, password: Uint8Array, salt: Uint8Array, iterations: number, useNode: boolean): Uint8Array {
  if (useNode) {
    const out = pbkdf2Sync(password, salt, iterations, 32, hash);
    const copy = new Uint8Array(32);
    copy.set(out);
    out.fill(0);
    return copy;
  }
  return pbkdf2(hash === 'sha512' ? sha512 : sha1, password, salt, { c: iterations, dkLen: 32 });
}

function pageMac(hash: SqlcipherHash, key: Uint8Array, data: Uint8Array, pgno: Uint8Array, useNode: boolean): Uint8Array {
  if (useNode) {
    const h = createHmac(hash, key);
    h.update(data);
    h.update(pgno);
    return new Uint8Array(h.digest());
  }
  const h = hmac.create(hash === 'sha512' ? sha512 : sha1, key);
  h.update(data);
  h.update(pgno);
  return h.digest();
}

function decryptCbc(key: Uint8Array, iv: Uint8Array, data: Uint8Array, useNode: boolean): Uint8Array {
  if (useNode) {
    const d = createDecipheriv('aes-256-cbc', key, iv);
    d.setAutoPadding(false);
    const a = d.update(data);
    const b = d.final();
    const out = new Uint8Array(a.length + b.length);
    out.set(a);
    out.set(b, a.length);
    a.fill(0);
    return out;
  }
  return cbc(key, iv, { disablePadding: true }).decrypt(data);
}
