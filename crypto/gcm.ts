/**
 * What the two AES-256-GCM backends (crypto/aes-gcm-node.ts,
 * crypto/aes-gcm-noble.ts) share: the per-key context they implement, the
 * nonce construction and the argument checks.
 *
 * Both backends emit standard AES-GCM (NIST SP 800-38D) with a 96-bit IV
 * and a 128-bit tag, byte for byte the same [CRY-GCM-1].
 */
import { HeliosError } from '../format/errors.ts';

export const GCM_KEY_BYTES = 32;
export const GCM_IV_BYTES = 12;
export const GCM_TAG_BYTES = 16;

/**
 * Largest plaintext one GCM invocation may seal: 2^32 - 2 counter blocks
 * (SP 800-38D: len(P) <= 2^39 - 256 bits). Far above anything HeliosDB
 * seals; checked so the 32-bit block counter can never wrap.
 */
export const GCM_MAX_PLAINTEXT_BYTES = (2 ** 32 - 2) * 16;

/** A per-key AES-256-GCM context. Every returned array is new (never aliases an input). */
export interface GcmContext {
  /** Seals under nonce = 0^32 ‖ u64be(index) [CRY-NONCE-1]. Returns ciphertext ‖ tag. */
  seal(index: number, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  /** Verifies the tag before any plaintext is produced [CRY-TAG-1]; null when it does not verify. */
  open(index: number, sealed: Uint8Array, aad: Uint8Array): Uint8Array | null;
  /** Seals under an arbitrary 12-byte IV (test vectors only; the engine always uses an index). */
  sealWithIv(iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  openWithIv(iv: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array | null;
  /** Zeroes the key copy and every per-key table [CRY-ZERO-1]; the context is unusable afterwards.
   *  Idempotent; later seal/open calls throw CLOSED. */
  destroy(): void;
  /** The arrays holding key-derived secrets (for the zeroization test only; never use them). */
  secretsForTest(): ReadonlyArray<Uint8Array | Int32Array>;
}

/** A GCM context that can also seal into a caller's array (Sealer.sealInto, crypto/cipher-suite.ts). */
export interface GcmIntoContext extends GcmContext {
  /** Writes ctx.seal(index, plaintext, aad)'s bytes to out[at, at + plaintext.length + 16); bounds checked by the caller. */
  sealInto(index: number, plaintext: Uint8Array, aad: Uint8Array, out: Uint8Array, at: number): void;
}

/** The 96-bit GCM nonce for record/block `index`: 32 zero bits ‖ u64 big-endian index [CRY-NONCE-1]. */
export function nonceForIndex(index: number): Uint8Array {
  const iv = new Uint8Array(GCM_IV_BYTES);
  writeNonce(iv, 0, index);
  return iv;
}

/** Writes the 12 nonce bytes for `index` at `out[offset]`. `index` must be a safe integer >= 0. */
export function writeNonce(out: Uint8Array, offset: number, index: number): void {
  const hi = Math.floor(index / 0x100000000);
  const lo = index >>> 0;
  out[offset] = 0;
  out[offset + 1] = 0;
  out[offset + 2] = 0;
  out[offset + 3] = 0;
  out[offset + 4] = hi >>> 24;
  out[offset + 5] = (hi >>> 16) & 0xff;
  out[offset + 6] = (hi >>> 8) & 0xff;
  out[offset + 7] = hi & 0xff;
  out[offset + 8] = lo >>> 24;
  out[offset + 9] = (lo >>> 16) & 0xff;
  out[offset + 10] = (lo >>> 8) & 0xff;
  out[offset + 11] = lo & 0xff;
}

export function checkKey(key: unknown): asserts key is Uint8Array {
  if (!(key instanceof Uint8Array) || key.length !== GCM_KEY_BYTES) {
    throw new HeliosError('INVALID_ARGUMENT', `AES-256-GCM key must be a ${GCM_KEY_BYTES}-byte Uint8Array`);
  }
}

export function checkIv(iv: unknown): asserts iv is Uint8Array {
  if (!(iv instanceof Uint8Array) || iv.length !== GCM_IV_BYTES) {
    throw new HeliosError('INVALID_ARGUMENT', `AES-GCM IV must be a ${GCM_IV_BYTES}-byte Uint8Array`);
  }
}

export function checkIndex(index: unknown): asserts index is number {
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0) {
    throw new HeliosError('INVALID_ARGUMENT', `seal index must be a safe integer >= 0, got ${String(index)}`);
  }
}

export function checkBytes(value: unknown, what: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new HeliosError('INVALID_ARGUMENT', `${what} must be a Uint8Array`);
}

export function checkPlaintextLength(byteLength: number): void {
  if (byteLength > GCM_MAX_PLAINTEXT_BYTES) {
    throw new HeliosError('TOO_BIG', `AES-GCM plaintext of ${byteLength} bytes exceeds ${GCM_MAX_PLAINTEXT_BYTES}`);
  }
}
