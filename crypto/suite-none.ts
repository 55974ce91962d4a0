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

export const NONE_OVERHEAD_BYTES = 4;

/** CRC32C over the length-bound encoding of (aad, plaintext, index) above. */
export function noneChecksum(index: number, aad: Uint8Array, plaintext: Uint8Array, plaintextByteLength: number): number {
  const suffix = new Uint8Array(24);
  const view = new DataView(suffix.buffer);
  writeU64(view, 0, aad.length);
  writeU64(view, 8, plaintextByteLength);
  writeU64(view, 16, index);
  let c = crc32c(aad);
  c = crc32c(plaintextByteLength === plaintext.length ? plaintext : plaintext.subarray(0, plaintextByteLength), c);
  return crc32c(suffix, c);
}

/** Returns a new array: plaintext ‖ u32be(checksum). */
export function noneSeal(index: number, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const n = plaintext.length;
  const out = new Uint8Array(n + NONE_OVERHEAD_BYTES);
  out.set(plaintext, 0);
  new DataView(out.buffer).setUint32(n, noneChecksum(index, aad, plaintext, n), false);
  return out;
}

/** Returns a new array holding the plaintext, or null when the checksum does not match. */
export function noneOpen(index: number, sealed: Uint8Array, aad: Uint8Array): Uint8Array | null {
  if (sealed.length < NONE_OVERHEAD_BYTES) return null;
  const n = sealed.length - NONE_OVERHEAD_BYTES;
  const stored = new DataView(sealed.buffer, sealed.byteOffset, sealed.byteLength).getUint32(n, false);
  if (noneChecksum(index, aad, sealed, n) !== stored) return null;
  const out = new Uint8Array(n); // not slice(): on a Buffer that would alias
  out.set(sealed.subarray(0, n));
  return out;
}

function writeU64(view: DataView, offset: number, x: number): void {
  view.setUint32(offset, Math.floor(x / 0x100000000), false);
  view.setUint32(offset + 4, x >>> 0, false);
}
