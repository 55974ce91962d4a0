/**
 * The 'none' cipher suite: no confidentiality, integrity against accidents
 * only. Unencrypted databases use it so they share every byte of format and
 * code with encrypted ones (and benchmarks compare on/off fairly).
 *
 *   sealed = plaintext ‖ u32be(C)                         (overhead 4 bytes)
 *   C      = CRC32C( aad ‖ plaintext ‖ u64be(aad byte length)
 *                    ‖ u64be(plaintext byte length) ‖ u64be(index) )
 *
 * The fixed-size length suffix makes the (aad, plaintext) split unambiguous,
 * and binding `index` catches a record read at the wrong position [CRY-SUITE-1].
 * A CRC is no MAC: anyone can forge it. That is the point of 'none'.
 */
import { crc32c } from '../format/crc32c.ts';
import { allocSealOutput } from './seal-output.ts';

export const NONE_OVERHEAD_BYTES = 4;

// Scratch for the 24-byte length suffix (public data, reused).
const suffix = new Uint8Array(24);

/** CRC32C over the length-bound encoding of (aad, data[0, byteLength), index) above. */
export function noneChecksum(index: number, aad: Uint8Array, data: Uint8Array, byteLength: number): number {
  writeU64(suffix, 0, aad.length);
  writeU64(suffix, 8, byteLength);
  writeU64(suffix, 16, index);
  let c = crc32c(aad);
  c = crc32c(byteLength === data.length ? data : data.subarray(0, byteLength), c);
  return crc32c(suffix, c);
}

/** Returns a new array: plaintext ‖ u32be(checksum) (see seal-output.ts for its aliasing). */
export function noneSeal(index: number, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const out = allocSealOutput(plaintext.length + NONE_OVERHEAD_BYTES);
  noneSealInto(index, plaintext, aad, out, 0);
  return out;
}

/** Writes plaintext ‖ u32be(checksum) to out[at, at + plaintext.length + 4); the bytes of noneSeal(). */
export function noneSealInto(index: number, plaintext: Uint8Array, aad: Uint8Array, out: Uint8Array, at: number): void {
  const n = plaintext.length;
  const c = noneChecksum(index, aad, plaintext, n);
  out.set(plaintext, at);
  const t = at + n;
  out[t] = c >>> 24;
  out[t + 1] = (c >>> 16) & 0xff;
  out[t + 2] = (c >>> 8) & 0xff;
  out[t + 3] = c & 0xff;
}

/** Returns a new array holding the plaintext, or null when the checksum does not match. */
export function noneOpen(index: number, sealed: Uint8Array, aad: Uint8Array): Uint8Array | null {
  if (sealed.length < NONE_OVERHEAD_BYTES) return null;
  const n = sealed.length - NONE_OVERHEAD_BYTES;
  const stored = ((sealed[n]! << 24) | (sealed[n + 1]! << 16) | (sealed[n + 2]! << 8) | sealed[n + 3]!) >>> 0;
  if (noneChecksum(index, aad, sealed, n) !== stored) return null;
  const out = new Uint8Array(n); // not slice(): on a Buffer that would alias
  out.set(sealed.subarray(0, n));
  return out;
}

function writeU64(out: Uint8Array, offset: number, x: number): void {
  const hi = Math.floor(x / 0x100000000);
  const lo = x >>> 0;
  out[offset] = hi >>> 24;
  out[offset + 1] = (hi >>> 16) & 0xff;
  out[offset + 2] = (hi >>> 8) & 0xff;
  out[offset + 3] = hi & 0xff;
  out[offset + 4] = lo >>> 24;
  out[offset + 5] = (lo >>> 16) & 0xff;
  out[offset + 6] = (lo >>> 8) & 0xff;
  out[offset + 7] = lo & 0xff;
}
