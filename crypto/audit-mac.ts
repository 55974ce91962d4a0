/**
 * The MACs of the audit log, spec/audit-log.md [AUD-MAC-1]. Pure: strings and keys in, hex out.
 *
 *   audit key K = HKDF-SHA256(root key, database id, "helios-audit-log")   (crypto/superblock.ts auditKeyOf)
 *   kid         = first 8 bytes of HMAC-SHA256(K, "helios-audit-kid"), hex: names K without revealing it
 *   mac         = HMAC-SHA256(K, prefix of the line), hex
 *   digest      = SHA-256(prefix), hex: the mac field of an entry written without the key
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex, utf8Encode } from '../format/bytes.ts';
import { constantTimeEqual } from './ct.ts';

const KID_LABEL = utf8Encode('helios-audit-kid');

export function auditKeyId(key: Uint8Array): string {
  return toHex(hmac(sha256, key, KID_LABEL).subarray(0, 8));
}

export function auditMac(key: Uint8Array, prefix: string): string {
  return toHex(hmac(sha256, key, utf8Encode(prefix)));
}

export function auditDigest(prefix: string): string {
  return toHex(sha256(utf8Encode(prefix)));
}

/** Constant-time comparison of two hex MACs of equal length [CRY-CT-1]. */
export function auditMacEqual(a: string, b: string): boolean {
  return constantTimeEqual(utf8Encode(a), utf8Encode(b));
}
