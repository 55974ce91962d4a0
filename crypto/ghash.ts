/**
 * GHASH (NIST SP 800-38D, section 6.4) in TypeScript with a per-key table,
 * for the node:crypto AES-256-GCM backend (crypto/aes-gcm-node.ts), where
 * AES comes from a reused AES-ECB context and only GHASH runs in JS.
 *
 * Representation: a field element is four 32-bit limbs holding the 16 block
 * bytes big-endian (limb 0 = bytes 0..3), stored in Int32Arrays so the JIT
 * keeps them as small integers. In GCM's bit order the
 * most significant bit of byte 0 is the coefficient of x^0, so multiplying
 * by x is a right shift of the 128-bit value, reduced by R = 0xE1 ‖ 0^120.
 *
 * Table: 16 sub-tables of 256 entries, T_k[b] = b(x) · x^(8k) · H, where
 * b(x) is byte b read in GCM bit order. Then X · H = XOR over k of
 * T_k[X_k]: 16 look-ups per block and no per-byte reduction. One table is
 * 16 · 256 · 4 limbs = 64 KiB; it is secret (it determines H) and
 * destroyGhashTable() zeroes it [CRY-ZERO-1].
 *
 * Look-ups are indexed by secret-dependent bytes (Y xor ciphertext); like
 * every table-based GHASH in software this is not constant-time with respect
 * to cache timing. spec/crypto.md's threat model states this.
 */

/** Number of 32-bit limbs in a GHASH table (16 sub-tables · 256 entries · 4 limbs). */
export const GHASH_TABLE_LIMBS = 16 * 256 * 4;

/** Builds the table for hash key `h` (16 bytes, H = AES_K(0^128)). Returns a new array. */
export function createGhashTable(h: Uint8Array): Int32Array {
  const t = new Int32Array(GHASH_TABLE_LIMBS);
  let v0 = be32(h, 0);
  let v1 = be32(h, 4);
  let v2 = be32(h, 8);
  let v3 = be32(h, 12);
  // Basis: T_k[0x80 >> j] = H · x^(8k + j).
  for (let n = 0; n < 128; n++) {
    const p = (((n >>> 3) << 8) + (0x80 >>> (n & 7))) << 2;
    t[p] = v0;
    t[p + 1] = v1;
    t[p + 2] = v2;
    t[p + 3] = v3;
    const carry = v3 & 1;
    v3 = ((v3 >>> 1) | (v2 << 31)) >>> 0;
    v2 = ((v2 >>> 1) | (v1 << 31)) >>> 0;
    v1 = ((v1 >>> 1) | (v0 << 31)) >>> 0;
    v0 = (v0 >>> 1) ^ (carry ? 0xe1000000 : 0);
    v0 >>>= 0;
  }
  v0 = v1 = v2 = v3 = 0;
  // Linearity: T_k[b] = T_k[lowest set bit of b] xor T_k[b without it].
  for (let k = 0; k < 16; k++) {
    const base = k << 8;
    for (let b = 3; b < 256; b++) {
      const low = b & -b;
      if (low === b) continue;
      const p = (base + b) << 2;
      const q = (base + low) << 2;
      const r = (base + (b ^ low)) << 2;
      t[p] = t[q]! ^ t[r]!;
      t[p + 1] = t[q + 1]! ^ t[r + 1]!;
      t[p + 2] = t[q + 2]! ^ t[r + 2]!;
      t[p + 3] = t[q + 3]! ^ t[r + 3]!;
    }
  }
  return t;
}

/** Overwrites a table (or a GHASH state) with zeros [CRY-ZERO-1]. */
export function destroyGhashTable(t: Int32Array): void {
  t.fill(0);
}

/**
 * Absorbs `data[start, end)` into the running GHASH `state` (4 limbs,
 * updated in place), zero-padding the last partial block as GCM does for
 * the AAD and the ciphertext. Call it once for the AAD, once for the
 * ciphertext, then ghashLengths(). Allocates nothing.
 */
export function ghashUpdate(t: Int32Array, state: Int32Array, data: Uint8Array, start: number, end: number): void {
  const full = start + ((end - start) & ~15);
  let i = start;
  for (; i < full; i += 16) {
    ghashBlock(
      t,
      state,
      (data[i]! << 24) | (data[i + 1]! << 16) | (data[i + 2]! << 8) | data[i + 3]!,
      (data[i + 4]! << 24) | (data[i + 5]! << 16) | (data[i + 6]! << 8) | data[i + 7]!,
      (data[i + 8]! << 24) | (data[i + 9]! << 16) | (data[i + 10]! << 8) | data[i + 11]!,
      (data[i + 12]! << 24) | (data[i + 13]! << 16) | (data[i + 14]! << 8) | data[i + 15]!,
    );
  }
  if (i < end) {
    // Last partial block, zero-padded: gather its bytes into big-endian limbs.
    let w0 = 0;
    let w1 = 0;
    let w2 = 0;
    let w3 = 0;
    for (let k = 0; i < end; k++, i++) {
      const v = data[i]! << (24 - ((k & 3) << 3));
      if (k < 4) w0 |= v;
      else if (k < 8) w1 |= v;
      else if (k < 12) w2 |= v;
      else w3 |= v;
    }
    ghashBlock(t, state, w0, w1, w2, w3);
  }
}

/** Absorbs GCM's final length block: u64be(aad bits) ‖ u64be(ciphertext bits). Lengths in bytes. */
export function ghashLengths(t: Int32Array, state: Int32Array, aadByteLength: number, ctByteLength: number): void {
  // bits = bytes · 8, split into 32-bit halves without leaving safe integers.
  ghashBlock(
    t,
    state,
    Math.floor(aadByteLength / 0x20000000),
    (aadByteLength * 8) >>> 0,
    Math.floor(ctByteLength / 0x20000000),
    (ctByteLength * 8) >>> 0,
  );
}

/** state = (state xor X) · H, X given as four big-endian limbs (one full block). */
export function ghashBlock(t: Int32Array, state: Int32Array, x0: number, x1: number, x2: number, x3: number): void {
  const y0 = state[0]! ^ x0;
  const y1 = state[1]! ^ x1;
  const y2 = state[2]! ^ x2;
  const y3 = state[3]! ^ x3;
  let p = (y0 >>> 24) << 2;
  let z0 = t[p]!;
  let z1 = t[p + 1]!;
  let z2 = t[p + 2]!;
  let z3 = t[p + 3]!;
  p = (0x100 | ((y0 >>> 16) & 0xff)) << 2;
  z0 ^= t[p]!; z1 ^= t[p + 1]!; z2 ^= t[p + 2]!; z3 ^= t[p + 3]!;
  p = (0x200 | ((y0 >>> 8) & 0xff)) << 2;
  z0 ^= t[p]!; z1 ^= t[p + 1]!; z2 ^= t[p + 2]!; z3 ^= t[p + 3]!;
  p = (0x300 | (y0 & 0xff)) << 2;
  z0 ^= t[p]!; z1 ^= t[p + 1]!; z2 ^= t[p + 2]!; z3 ^= t[p + 3]!;
  p = (0x400 | (y1 >>> 24)) << 2;
  z0 ^= t[p]!; z1 ^= t[p + 1]!; z2 ^= t[p + 2]!; z3 ^= t[p + 3]!;
  p = (0x500 | ((y1 >>> 16) & 0xff)) << 2;
  z0 ^= t[p]!; z1 ^= t[p + 1]!; z2 ^= t[p + 2]!; z3 ^= t[p + 3]!;
  p = (0x600 | ((y1 >>> 8) & 0xff)) << 2;
  z0 ^= t[p]!; z1 ^= t[p + 1]!; z2 ^= t[p + 2]!; z3 ^= t[p + 3]!;
  p = (0x700 | (y1 & 0xff)) << 2;
  z0 ^= t[p]!; z1 ^= t[p + 1]!; z2 ^= t[p + 2]!; z3 ^= t[p + 3]!;
  p = (0x800 | (y2 >>> 24)) << 2;
  z0 ^= t[p]!; z1 ^= t[p + 1]!; z2 ^= t[p + 2]!; z3 ^= t[p + 3]!;
  p = (0x900 | ((y2 >>> 16) & 0xff)) << 2;
  z0 ^= t[p]!; z1 ^= t[p + 1]!; z2 ^= t[p + 2]!; z3 ^= t[p + 3]!;
  p = (0xa00 | ((y2 >>> 8) & 0xff)) << 2;
  z0 ^= t[p]!; z1 ^= t[p + 1]!; z2 ^= t[p + 2]!; z3 ^= t[p + 3]!;
  p = (0xb00 | (y2 & 0xff)) << 2;
  z0 ^= t[p]!; z1 ^= t[p + 1]!; z2 ^= t[p + 2]!; z3 ^= t[p + 3]!;
  p = (0xc00 | (y3 >>> 24)) << 2;
  z0 ^= t[p]!; z1 ^= t[p + 1]!; z2 ^= t[p + 2]!; z3 ^= t[p + 3]!;
  p = (0xd00 | ((y3 >>> 16) & 0xff)) << 2;
  z0 ^= t[p]!; z1 ^= t[p + 1]!; z2 ^= t[p + 2]!; z3 ^= t[p + 3]!;
  p = (0xe00 | ((y3 >>> 8) & 0xff)) << 2;
  z0 ^= t[p]!; z1 ^= t[p + 1]!; z2 ^= t[p + 2]!; z3 ^= t[p + 3]!;
  p = (0xf00 | (y3 & 0xff)) << 2;
  state[0] = z0 ^ t[p]!;
  state[1] = z1 ^ t[p + 1]!;
  state[2] = z2 ^ t[p + 2]!;
  state[3] = z3 ^ t[p + 3]!;
}

function be32(b: Uint8Array, i: number): number {
  return ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
}
