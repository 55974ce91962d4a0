/**
 * Cipher suites: the one primitive that seals every record and block of
 * every file, `seal(fileKey, index, plaintext, aad) → ciphertext ‖ tag`.
 *
 *   'aes-256-gcm'  AES-256-GCM, 96-bit nonce = 0^32 ‖ u64be(index)
 *                  [CRY-NONCE-1], 16-byte tag; overhead 16 bytes.
 *   'none'         plaintext ‖ CRC32C trailer (crypto/suite-none.ts);
 *                  overhead 4 bytes [CRY-SUITE-1].
 *
 * Nonce uniqueness is the caller's invariant: one Sealer per file key, and
 * `index` never repeats under it (the engine counts records/blocks of a file
 * upward and never appends to a closed file). setSealAudit() lets property
 * tests check that.
 *
 * Backends for AES-256-GCM, byte-identical [CRY-GCM-1]:
 *   'node'   node:crypto (Node, Bun, Deno): reused ECB keystream + table
 *            GHASH for small records, a GCM object per call for large ones.
 *   'noble'  @noble/ciphers: portable fallback and cross-check.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from '../format/bytes.ts';
import { HeliosError } from '../format/errors.ts';
import { createNodeGcm, nodeGcmAvailable, type NodeGcmOptions } from './aes-gcm-node.ts';
import { createNobleGcm } from './aes-gcm-noble.ts';
import { opensslOnlyActive } from './fips.ts';
import {
  type GcmIntoContext,
  GCM_TAG_BYTES,
  checkBytes,
  checkIndex,
  checkIv,
  checkKey,
  checkPlaintextLength,
} from './gcm.ts';
import { NONE_OVERHEAD_BYTES, noneOpen, noneSeal, noneSealInto } from './suite-none.ts';

export type SuiteId = 'aes-256-gcm' | 'none';
export type GcmBackend = 'node' | 'noble';

export interface Sealer {
  readonly suite: SuiteId;
  /** Bytes seal() adds to the plaintext: 16 (GCM tag) for aes-256-gcm, 4 (CRC32C) for none. */
  readonly overhead: number;
  /** nonce = 32 zero bits ‖ u64 big-endian `index` [CRY-NONCE-1]; index: safe integer >= 0.
   *  Returns a NEW array: ciphertext ‖ tag. Inputs are not retained or modified.
   *  Small results may be views into an ArrayBuffer shared with other seal results
   *  (crypto/seal-output.ts): honour byteOffset, never transfer or detach `.buffer`. */
  seal(index: number, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  /** Verifies the tag (constant time) BEFORE releasing any plaintext [CRY-TAG-1];
   *  returns null when verification fails (also when `sealed` is shorter than `overhead`).
   *  Returns a new array that owns its memory (byteOffset 0, nothing else in its buffer). */
  open(index: number, sealed: Uint8Array, aad: Uint8Array): Uint8Array | null;
  /** seal() without the result array: writes the same bytes, ciphertext ‖ tag
   *  (plaintext.length + overhead of them), to out[offset, offset + plaintext.length + overhead)
   *  and returns that count. Lets a caller seal straight into a record frame.
   *  The region must lie within `out` (else INVALID_ARGUMENT, nothing written) and must not
   *  overlap `plaintext` or `aad`. Same nonce rule, checks and audit call as seal(). */
  sealInto(index: number, plaintext: Uint8Array, aad: Uint8Array, out: Uint8Array, offset: number): number;
  /** Zeroes the key copy and every per-key table [CRY-ZERO-1]. Later calls throw CLOSED.
   *  Idempotent. */
  destroy(): void;
}

export interface SealerOptions {
  /** AES-256-GCM implementation. Default 'node' when node:crypto offers it, else 'noble'. */
  backend?: GcmBackend;
  /** Test and bench knob for the 'node' backend (see NodeGcmOptions). */
  nodeLargeThreshold?: number;
}

export const SUITE_OVERHEAD: Readonly<Record<SuiteId, number>> = {
  'aes-256-gcm': GCM_TAG_BYTES,
  none: NONE_OVERHEAD_BYTES,
};

let audit: ((keyFingerprint: string, index: number) => void) | null = null;

/**
 * Test instrumentation for nonce-uniqueness properties: called on every
 * aes-256-gcm seal with a non-secret fingerprint of the key (hex of the
 * first 8 bytes of SHA-256(key)) and the index. Not called for 'none',
 * which has no key and no nonce. Pass null to remove.
 */
export function setSealAudit(fn: ((keyFingerprint: string, index: number) => void) | null): void {
  audit = fn;
}

let nodeAvailable: boolean | undefined;

/** The backend createSealer() picks when none is requested. */
export function defaultGcmBackend(): GcmBackend {
  nodeAvailable ??= nodeGcmAvailable();
  return nodeAvailable ? 'node' : 'noble';
}

/**
 * fileKey: 32 bytes, copied (the caller may zero its own copy at once). For
 * suite 'none' the key is not used and may be any Uint8Array, empty included.
 * backend: 'node' (node:crypto, fast; default when available) | 'noble'.
 * Errors: INVALID_ARGUMENT for a bad suite or key, CONFIG when backend
 * 'node' is requested but node:crypto lacks AES-256-ECB/GCM.
 */
export function createSealer(suite: SuiteId, fileKey: Uint8Array, options: SealerOptions = {}): Sealer {
  if (suite === 'none') {
    checkBytes(fileKey, 'file key');
    return createNoneSealer();
  }
  if (suite !== 'aes-256-gcm') {
    throw new HeliosError('INVALID_ARGUMENT', `unknown cipher suite ${JSON.stringify(String(suite))}`);
  }
  checkKey(fileKey);
  return createGcmSealer(createGcmContext(fileKey, options), fileKey);
}

function createGcmContext(key: Uint8Array, options: SealerOptions): GcmIntoContext {
  const fips = opensslOnlyActive();
  const backend = fips ? 'node' : options.backend ?? defaultGcmBackend();
  if (fips && options.backend === 'noble') throw new HeliosError('CONFIG', 'FIPS mode: AES-GCM runs only through node:crypto, not @noble/ciphers');
  if (backend === 'noble') return createNobleGcm(key);
  if (backend !== 'node') throw new HeliosError('INVALID_ARGUMENT', `unknown AES-GCM backend ${JSON.stringify(String(backend))}`);
  if (!(nodeAvailable ??= nodeGcmAvailable())) {
    throw new HeliosError('CONFIG', 'node:crypto does not provide AES-256-ECB and AES-256-GCM in this runtime');
  }
  const nodeOptions: NodeGcmOptions = {};
  if (options.nodeLargeThreshold !== undefined) nodeOptions.largeThreshold = options.nodeLargeThreshold;
  // FIPS mode (crypto/fips.ts): one OpenSSL GCM object per operation, so GHASH never runs in TypeScript.
  if (fips) nodeOptions.largeThreshold = 0;
  return createNodeGcm(key, nodeOptions);
}

/** Boundary checks shared by every seal/sealInto/open of every suite. */
function checkRecordArgs(index: number, data: Uint8Array, dataName: string, aad: Uint8Array): void {
  checkIndex(index);
  checkBytes(data, dataName);
  checkBytes(aad, 'aad');
}

function createGcmSealer(ctx: GcmIntoContext, key: Uint8Array): Sealer {
  let closed = false;
  const fingerprint = keyFingerprint(key);
  const check = (): void => {
    if (closed) throw new HeliosError('CLOSED', 'sealer used after destroy()');
  };
  return {
    suite: 'aes-256-gcm',
    overhead: GCM_TAG_BYTES,
    seal(index, plaintext, aad) {
      check();
      checkRecordArgs(index, plaintext, 'plaintext', aad);
      checkPlaintextLength(plaintext.length);
      if (audit !== null) audit(fingerprint, index);
      return ctx.seal(index, plaintext, aad);
    },
    sealInto(index, plaintext, aad, out, offset) {
      check();
      checkRecordArgs(index, plaintext, 'plaintext', aad);
      checkPlaintextLength(plaintext.length);
      const n = plaintext.length + GCM_TAG_BYTES;
      checkOutput(out, offset, n);
      if (audit !== null) audit(fingerprint, index);
      ctx.sealInto(index, plaintext, aad, out, offset);
      return n;
    },
    open(index, sealed, aad) {
      check();
      checkRecordArgs(index, sealed, 'sealed', aad);
      if (sealed.length < GCM_TAG_BYTES) return null;
      return ctx.open(index, sealed, aad);
    },
    destroy() {
      if (closed) return;
      closed = true;
      ctx.destroy();
    },
  };
}

function createNoneSealer(): Sealer {
  let closed = false;
  const check = (): void => {
    if (closed) throw new HeliosError('CLOSED', 'sealer used after destroy()');
  };
  return {
    suite: 'none',
    overhead: NONE_OVERHEAD_BYTES,
    seal(index, plaintext, aad) {
      check();
      checkRecordArgs(index, plaintext, 'plaintext', aad);
      return noneSeal(index, plaintext, aad);
    },
    sealInto(index, plaintext, aad, out, offset) {
      check();
      checkRecordArgs(index, plaintext, 'plaintext', aad);
      const n = plaintext.length + NONE_OVERHEAD_BYTES;
      checkOutput(out, offset, n);
      noneSealInto(index, plaintext, aad, out, offset);
      return n;
    },
    open(index, sealed, aad) {
      check();
      checkRecordArgs(index, sealed, 'sealed', aad);
      return noneOpen(index, sealed, aad);
    },
    destroy() {
      closed = true;
    },
  };
}

/** sealInto's destination check: `byteLength` bytes from `offset` must fit in `out`. */
function checkOutput(out: unknown, offset: unknown, byteLength: number): void {
  checkBytes(out, 'output');
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0 || offset + byteLength > (out as Uint8Array).length) {
    throw new HeliosError('INVALID_ARGUMENT', `sealInto needs ${byteLength} bytes at offset ${String(offset)} of a ${(out as Uint8Array).length}-byte array`);
  }
}

/** Non-secret key fingerprint for setSealAudit: hex of SHA-256(key)[0..8). */
function keyFingerprint(key: Uint8Array): string {
  const digest = sha256(key);
  const fp = toHex(digest.subarray(0, 8));
  digest.fill(0);
  return fp;
}

/**
 * Raw AES-256-GCM seal under an arbitrary 12-byte IV, for known-answer
 * vectors (Wycheproof IVs are not of the 0^32 ‖ index form). The engine
 * never calls this. Returns a new array: ciphertext ‖ tag.
 */
export function gcmSeal(key: Uint8Array, iv12: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, options: SealerOptions = {}): Uint8Array {
  checkKey(key);
  checkIv(iv12);
  checkBytes(plaintext, 'plaintext');
  checkBytes(aad, 'aad');
  checkPlaintextLength(plaintext.length);
  const ctx = createGcmContext(key, options);
  try {
    return ctx.sealWithIv(iv12, plaintext, aad);
  } finally {
    ctx.destroy();
  }
}

/** Raw AES-256-GCM open under an arbitrary 12-byte IV; null when the tag does not verify. */
export function gcmOpen(key: Uint8Array, iv12: Uint8Array, sealed: Uint8Array, aad: Uint8Array, options: SealerOptions = {}): Uint8Array | null {
  checkKey(key);
  checkIv(iv12);
  checkBytes(sealed, 'sealed');
  checkBytes(aad, 'aad');
  const ctx = createGcmContext(key, options);
  try {
    return ctx.openWithIv(iv12, sealed, aad);
  } finally {
    ctx.destroy();
  }
}
