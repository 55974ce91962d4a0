/** Cryptographically secure random bytes (node:crypto) for salts, database ids and keys. A new array. */
import { randomFillSync } from 'node:crypto';

export function randomBytes(n: number): Uint8Array {
  return randomFillSync(new Uint8Array(n));
}
