/**
 * AES-256-GCM on @noble/ciphers: pure JavaScript, so it runs wherever
 * node:crypto is missing, and it is the independent implementation the
 * node:crypto backend is cross-checked against [CRY-GCM-1]. Much slower
 * (noble expands the key on every call), never the hot path where
 * node:crypto exists.
 *
 * noble's gcm decrypt compares the tag (constant time) before it runs CTR,
 * so no unverified plaintext is ever produced [CRY-TAG-1].
 */
import { gcm } from '@noble/ciphers/aes.js';
import { HeliosError } from '../format/errors.ts';
import { GCM_IV_BYTES, GCM_TAG_BYTES, writeNonce, type GcmIntoContext } from './gcm.ts';
import { copySecret } from './secret-bytes.ts';

/** A GCM context for `key` (32 bytes, validated by the caller; copied). */
export function createNobleGcm(key: Uint8Array): GcmIntoContext {
  const keyCopy = copySecret(key); // [CRY-ZERO-2]
  const iv = new Uint8Array(GCM_IV_BYTES);
  let closed = false;

  function check(): void {
    if (closed) throw new HeliosError('CLOSED', 'sealer used after destroy()');
  }
  function sealWithIv(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
    check();
    return gcm(keyCopy, nonce, aad).encrypt(plaintext);
  }
  function openWithIv(nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array | null {
    check();
    if (sealed.length < GCM_TAG_BYTES) return null;
    try {
      return gcm(keyCopy, nonce, aad).decrypt(sealed);
    } catch {
      return null; // tag mismatch: noble throws before decrypting
    }
  }
  return {
    seal(index, plaintext, aad) {
      check();
      writeNonce(iv, 0, index);
      return sealWithIv(iv, plaintext, aad);
    },
    open(index, sealed, aad) {
      check();
      writeNonce(iv, 0, index);
      return openWithIv(iv, sealed, aad);
    },
    sealInto(index, plaintext, aad, out, at) {
      check();
      writeNonce(iv, 0, index);
      // noble returns a fresh array; ciphertext is not secret, the copy needs no wipe.
      out.set(gcm(keyCopy, iv, aad).encrypt(plaintext), at);
    },
    sealWithIv,
    openWithIv,
    destroy() {
      closed = true;
      keyCopy.fill(0); // [CRY-ZERO-1]; noble zeroes its own expanded key after each call
    },
    secretsForTest: () => [keyCopy],
  };
}
