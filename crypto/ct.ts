/**
 * Constant-time comparison of secret bytes (tags, key check values)
 * [CRY-CT-1]: the time taken depends only on the lengths, never on where
 * or whether the contents differ. Lengths are public and compared first.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
