/**
 * A fresh 256-bit raw key as 64 lower-case hex characters — what
 * `openssl rand -hex 32` prints — ready for a key file or an environment
 * variable. Randomness comes from node:crypto's CSPRNG.
 */
import { generateKeyHex } from '../crypto/key-source.ts';
import { randomBytes } from './random.ts';

export function generateKey(): string {
  return generateKeyHex(randomBytes);
}
