/**
 * Buffers for key material [CRY-ZERO-2].
 *
 * V8 stores the bytes of a small typed array (`new Uint8Array(n)`, n <= 64, and `.slice()`
 * of one) inside the JavaScript heap, and the garbage collector moves such objects: every
 * scavenge or compaction copies them, and the copy it leaves behind is never zeroed. Zeroing
 * the array later wipes only its current place. The bytes of an explicit `ArrayBuffer` live
 * outside the moving heap and stay where they are until freed, so one fill(0) removes them.
 *
 * Hence every key this library holds for longer than one statement (raw keys, masters, KEKs,
 * the keyring root key, DEKs, file keys and the sealers' key copies) lives in an array made
 * here, and short-lived results of the hash libraries (HKDF, Argon2id output) are copied in
 * at once and zeroed.
 *
 * `copySecret` also never aliases its input: `Buffer.prototype.slice` returns a view, so a
 * `slice()` of a caller's Buffer followed by a wipe would zero the caller's own key.
 */

/** `byteLength` zero bytes whose storage the garbage collector never moves. */
export function secretBytes(byteLength: number): Uint8Array {
  return new Uint8Array(new ArrayBuffer(byteLength));
}

/** A copy of `src` in a secretBytes array (never a view of src, whatever its class). */
export function copySecret(src: Uint8Array): Uint8Array {
  const out = secretBytes(src.length);
  out.set(src);
  return out;
}

/** copySecret(src), then zeroes `src` (for results of the hash libraries we own). */
export function takeSecret(src: Uint8Array): Uint8Array {
  const out = copySecret(src);
  src.fill(0);
  return out;
}
