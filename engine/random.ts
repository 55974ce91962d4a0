/** Cryptographically secure random bytes (node:crypto) for salts, database ids and keys. A new array. */
import { randomFillSync } from 'node:crypto';

export function randomBytes(n: number): Uint8Array {
  // Backed by its own ArrayBuffer (off the moving heap even when small), so zeroing it removes the only copy.
  return randomFillSync(new Uint8Array(new ArrayBuffer(n)));
}
