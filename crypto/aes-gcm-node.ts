/**
 * AES-256-GCM on node:crypto (present in Node, Bun and Deno), tuned for many
 * small records under one key.
 *
 * Creating a GCM cipher object costs a fixed ~4.5 µs on Node, more than
 * sealing a 100-byte record should take in total. So each context keeps:
 *   - ONE reused `aes-256-ecb` cipher (no padding) that turns counter blocks
 *     into CTR keystream — J0 (the tag mask) and J0+1.. — for one record, or
 *     for a batch of upcoming indices at once when records are sealed or
 *     opened in index order (the WAL, the manifest, SSTable writers);
 *   - GHASH in TypeScript with a per-key table (crypto/ghash.ts).
 * Records of `largeThreshold` bytes or more use one `aes-256-gcm` cipher
 * object per call instead: its fixed cost is amortized there and OpenSSL's
 * GHASH is far faster than ours. The ECB cipher and the 64 KiB table are
 * built on the first small record, so a context that only sees large
 * blocks (an SSTable reader) costs ~a key copy. Both strategies produce standard AES-GCM
 * bytes, identical to crypto/aes-gcm-noble.ts [CRY-GCM-1].
 *
 * Key material held: a copy of the key (needed by the per-call GCM
 * strategy), the GHASH table and cached keystream, all zeroed by destroy()
 * [CRY-ZERO-1]; destroy() also finalizes the ECB cipher, which makes OpenSSL
 * free (and cleanse) its key schedule. Copies that node:crypto makes for
 * the per-call GCM objects are released to the garbage collector; the
 * threat model in spec/crypto.md says so.
 */
import { createCipheriv, createDecipheriv, type Cipher } from 'node:crypto';
import { HeliosError } from '../format/errors.ts';
import { constantTimeEqual } from './ct.ts';
import { GCM_IV_BYTES, GCM_TAG_BYTES, writeNonce, type GcmIntoContext } from './gcm.ts';
import { createGhashTable, ghashBlock, ghashLengths, ghashUpdate } from './ghash.ts';
import { allocSealOutput } from './seal-output.ts';
import { copySecret, secretBytes } from './secret-bytes.ts';

export interface NodeGcmOptions {
  /**
   * Plaintext byte length from which seal/open use one node:crypto GCM
   * object per call instead of ECB keystream + TypeScript GHASH. 0 forces the
   * per-call strategy, Infinity the ECB one (tests run both). Default: the
   * crossover measured for the running runtime (defaultLargeThreshold()).
   */
  largeThreshold?: number;
}

/**
 * Crossover measured with bench/crypto.ts on the reference machine (2 cores,
 * AES-NI): below it ECB keystream + TypeScript GHASH wins, from it on a GCM
 * cipher object per call wins. Node 20: ~700 B (the GCM object costs
 * ~4.5 µs fixed, our GHASH ~50 ns per 16-byte block). Bun: ~350 B (its GCM
 * object costs ~1.5 µs). Deno: never (its GCM object runs at ~0.15 GB/s,
 * below ECB + our GHASH at any size).
 */
export function defaultLargeThreshold(): number {
  const g = globalThis as { Bun?: unknown; Deno?: unknown };
  if (g.Bun !== undefined) return 384;
  if (g.Deno !== undefined) return Infinity;
  return 768;
}

/** Whether node:crypto offers the two ciphers this backend needs in this runtime. */
export function nodeGcmAvailable(): boolean {
  try {
    const probe = new Uint8Array(32);
    const ecb = createCipheriv('aes-256-ecb', probe, null);
    ecb.setAutoPadding(false);
    const block = ecb.update(new Uint8Array(16));
    ecb.final();
    const gcm = createCipheriv('aes-256-gcm', probe, new Uint8Array(GCM_IV_BYTES), { authTagLength: GCM_TAG_BYTES });
    gcm.update(new Uint8Array(1));
    gcm.final();
    return block.length === 16 && gcm.getAuthTag().length === GCM_TAG_BYTES;
  } catch {
    return false;
  }
}

/** Keystream cache: at most this many 16-byte blocks computed per batch
 *  (16 KiB: one ECB call costs ~0.7 µs fixed, ~0.3 ns per byte). */
const BATCH_BLOCKS = 1024;
/** AAD bytes (two GHASH blocks) whose GHASH state is cached per context. */
const AAD_PREFIX_BYTES = 32;
/** Records needing more blocks than this (J0 included) are never batched. */
const MAX_SLOT_BLOCKS = 64;

const EMPTY = new Uint8Array(0);
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** A big-endian u32 as the int to store through an Int32Array so its bytes land big-endian. */
const be = (x: number): number =>
  LITTLE_ENDIAN ? ((x >>> 24) | ((x >>> 8) & 0xff00) | ((x << 8) & 0xff0000) | (x << 24)) | 0 : x | 0;

/** A GCM context for `key` (32 bytes, validated by the caller; copied). */
export function createNodeGcm(key: Uint8Array, options: NodeGcmOptions = {}): GcmIntoContext {
  const largeThreshold = options.largeThreshold ?? defaultLargeThreshold();
  // Key-derived state lives in buffers the GC never moves, so destroy() wipes its only copy [CRY-ZERO-2].
  const keyCopy = copySecret(key);
  // ECB cipher and GHASH table (64 KiB, ~50 µs to build) exist only once a
  // record below largeThreshold is sealed or opened: SSTable readers whose
  // blocks all take the GCM-object path never pay for them.
  let ecb: Cipher | null = null;
  let table: Int32Array = new Int32Array(0);
  const state = new Int32Array(secretBytes(16).buffer);
  // absorbAad's cache: the first AAD_PREFIX_BYTES of the last AAD (public) and
  // the GHASH state after them (key-derived: zeroed by destroy()).
  const prefixState = new Int32Array(secretBytes(16).buffer);
  const prefixAad = new Uint8Array(AAD_PREFIX_BYTES);
  let prefixValid = false;
  const expectedTag = secretBytes(GCM_TAG_BYTES);
  const iv = new Uint8Array(GCM_IV_BYTES);

  // Counter-block input for the ECB cipher (not secret), reused and grown.
  let ctrBytes = new Uint8Array(0);
  let ctrWords = new Int32Array(0);

  // Keystream of the current record: `ks` from byte `ksOff` on, J0 block first.
  let ks: Uint8Array = EMPTY;
  let ksOff = 0;
  let ksOwned = false; // true when `ks` is a one-off buffer to zero after use

  // Batch cache: keystream for indices [cacheBase, cacheBase + cacheRecords), `slotBlocks` blocks each.
  let cache: Uint8Array | null = null;
  let cacheBase = 0;
  let cacheRecords = 0;
  let slotBlocks = 0;
  let maxNeedInWindow = 0;
  let lastIndex = -2;
  let closed = false;

  function ensureCtr(blocks: number): void {
    if (ctrBytes.length < blocks * 16) {
      ctrBytes = new Uint8Array(blocks * 16);
      ctrWords = new Int32Array(ctrBytes.buffer);
    }
  }

  function encryptCounters(blocks: number): Uint8Array {
    if (ecb === null) {
      if (closed) throw closedError();
      const c = createCipheriv('aes-256-ecb', keyCopy, null);
      c.setAutoPadding(false);
      const h = c.update(new Uint8Array(16)); // H = AES_K(0^128)
      table = createGhashTable(h);
      h.fill(0);
      ecb = c;
    }
    const out = ecb.update(ctrBytes.subarray(0, blocks * 16));
    // A short keystream would silently leave plaintext bytes unencrypted: refuse.
    if (out.length !== blocks * 16) throw new HeliosError('INTERNAL', 'AES-ECB returned a short keystream');
    return out;
  }

  /** Counter blocks J0.. J0+blocks-1 for nonce words (0, w1, w2) into ctrWords at block `at`. */
  function writeCounters(at: number, w1: number, w2: number, blocks: number): void {
    let p = at * 4;
    for (let j = 1; j <= blocks; j++) {
      ctrWords[p] = 0;
      ctrWords[p + 1] = w1;
      ctrWords[p + 2] = w2;
      ctrWords[p + 3] = be(j);
      p += 4;
    }
  }

  function keystreamForIndex(index: number, need: number): void {
    const inWindow = cache !== null && index >= cacheBase && index < cacheBase + cacheRecords;
    if (inWindow && need <= slotBlocks) {
      ks = cache!;
      ksOff = (index - cacheBase) * slotBlocks * 16;
      ksOwned = false;
      lastIndex = index;
      return;
    }
    if (!inWindow && index === lastIndex + 1 && need <= MAX_SLOT_BLOCKS) {
      // Index-order access: compute keystream for a batch of upcoming indices at once.
      let slot = 2;
      const want = Math.max(need, maxNeedInWindow);
      while (slot < want) slot *= 2;
      const records = Math.max(4, Math.floor(BATCH_BLOCKS / slot));
      ensureCtr(records * slot);
      for (let r = 0; r < records; r++) {
        const i = index + r;
        writeCounters(r * slot, be(Math.floor(i / 0x100000000)), be(i >>> 0), slot);
      }
      const fresh = encryptCounters(records * slot);
      if (cache !== null) cache.fill(0);
      cache = fresh;
      cacheBase = index;
      cacheRecords = records;
      slotBlocks = slot;
      maxNeedInWindow = need;
      ks = fresh;
      ksOff = 0;
      ksOwned = false;
      lastIndex = index;
      return;
    }
    if (inWindow && need <= MAX_SLOT_BLOCKS && need > maxNeedInWindow) maxNeedInWindow = need;
    ensureCtr(need);
    writeCounters(0, be(Math.floor(index / 0x100000000)), be(index >>> 0), need);
    ks = encryptCounters(need);
    ksOff = 0;
    ksOwned = true;
    lastIndex = index;
  }

  function keystreamForIv(nonce: Uint8Array, need: number): void {
    ensureCtr(need);
    const w1 = (nonce[4]! << 24) | (nonce[5]! << 16) | (nonce[6]! << 8) | nonce[7]!;
    const w2 = (nonce[8]! << 24) | (nonce[9]! << 16) | (nonce[10]! << 8) | nonce[11]!;
    writeCounters(0, be(w1), be(w2), need);
    const w0 = (nonce[0]! << 24) | (nonce[1]! << 16) | (nonce[2]! << 8) | nonce[3]!;
    for (let j = 0; j < need; j++) ctrWords[j * 4] = be(w0);
    ks = encryptCounters(need);
    ksOff = 0;
    ksOwned = true;
  }

  function releaseKeystream(): void {
    if (ksOwned) ks.fill(0);
    ks = EMPTY;
    ksOwned = false;
  }

  /**
   * state = GHASH of `aad` (zero-padded), from a zero state. The GHASH state
   * after the first AAD_PREFIX_BYTES of the AAD is cached with those bytes:
   * every record of a file shares them (spec/format.md [FMT-REC-2]: database
   * id, kind, file number, generation, high bytes of the index), so the two
   * blocks are multiplied once per file instead of once per record.
   */
  function absorbAad(aad: Uint8Array): void {
    const n = aad.length;
    if (n < AAD_PREFIX_BYTES) {
      state[0] = state[1] = state[2] = state[3] = 0;
      ghashUpdate(table, state, aad, 0, n);
      return;
    }
    let same = prefixValid;
    for (let i = 0; same && i < AAD_PREFIX_BYTES; i++) same = aad[i] === prefixAad[i];
    if (same) {
      state[0] = prefixState[0]!;
      state[1] = prefixState[1]!;
      state[2] = prefixState[2]!;
      state[3] = prefixState[3]!;
    } else {
      state[0] = state[1] = state[2] = state[3] = 0;
      ghashUpdate(table, state, aad, 0, AAD_PREFIX_BYTES);
      prefixState.set(state);
      for (let i = 0; i < AAD_PREFIX_BYTES; i++) prefixAad[i] = aad[i]!;
      prefixValid = true;
    }
    ghashUpdate(table, state, aad, AAD_PREFIX_BYTES, n);
  }

  /** GHASH(aad, ct) xor E(J0) into expectedTag; ct = data[0, ctLen). */
  function computeTag(aad: Uint8Array, data: Uint8Array, ctLen: number): void {
    absorbAad(aad);
    ghashUpdate(table, state, data, 0, ctLen);
    finishTag(aad.length, ctLen);
  }

  /** Absorbs the length block, then expectedTag = GHASH xor E(J0); clears the state. */
  function finishTag(aadLen: number, ctLen: number): void {
    ghashLengths(table, state, aadLen, ctLen);
    for (let w = 0; w < 4; w++) {
      const s = state[w]!;
      const o = ksOff + w * 4;
      expectedTag[w * 4] = (s >>> 24) ^ ks[o]!;
      expectedTag[w * 4 + 1] = ((s >>> 16) & 0xff) ^ ks[o + 1]!;
      expectedTag[w * 4 + 2] = ((s >>> 8) & 0xff) ^ ks[o + 2]!;
      expectedTag[w * 4 + 3] = (s & 0xff) ^ ks[o + 3]!;
    }
    state[0] = state[1] = state[2] = state[3] = 0;
  }

  /**
   * CTR-encrypts and GHASHes each full block in one pass (the hot path for
   * small records), writing ciphertext ‖ tag to out[at, at + n + 16).
   */
  function sealSmall(plaintext: Uint8Array, aad: Uint8Array, out: Uint8Array, at: number): void {
    const n = plaintext.length;
    absorbAad(aad);
    const o = ksOff + 16;
    const full = n & ~15;
    let i = 0;
    for (; i < full; i += 16) {
      const k = o + i;
      const c0 = plaintext[i + 0]! ^ ks[k + 0]!;
      const c1 = plaintext[i + 1]! ^ ks[k + 1]!;
      const c2 = plaintext[i + 2]! ^ ks[k + 2]!;
      const c3 = plaintext[i + 3]! ^ ks[k + 3]!;
      const c4 = plaintext[i + 4]! ^ ks[k + 4]!;
      const c5 = plaintext[i + 5]! ^ ks[k + 5]!;
      const c6 = plaintext[i + 6]! ^ ks[k + 6]!;
      const c7 = plaintext[i + 7]! ^ ks[k + 7]!;
      const c8 = plaintext[i + 8]! ^ ks[k + 8]!;
      const c9 = plaintext[i + 9]! ^ ks[k + 9]!;
      const c10 = plaintext[i + 10]! ^ ks[k + 10]!;
      const c11 = plaintext[i + 11]! ^ ks[k + 11]!;
      const c12 = plaintext[i + 12]! ^ ks[k + 12]!;
      const c13 = plaintext[i + 13]! ^ ks[k + 13]!;
      const c14 = plaintext[i + 14]! ^ ks[k + 14]!;
      const c15 = plaintext[i + 15]! ^ ks[k + 15]!;
      out[at + i + 0] = c0;
      out[at + i + 1] = c1;
      out[at + i + 2] = c2;
      out[at + i + 3] = c3;
      out[at + i + 4] = c4;
      out[at + i + 5] = c5;
      out[at + i + 6] = c6;
      out[at + i + 7] = c7;
      out[at + i + 8] = c8;
      out[at + i + 9] = c9;
      out[at + i + 10] = c10;
      out[at + i + 11] = c11;
      out[at + i + 12] = c12;
      out[at + i + 13] = c13;
      out[at + i + 14] = c14;
      out[at + i + 15] = c15;
      ghashBlock(
        table,
        state,
        (c0 << 24) | (c1 << 16) | (c2 << 8) | c3,
        (c4 << 24) | (c5 << 16) | (c6 << 8) | c7,
        (c8 << 24) | (c9 << 16) | (c10 << 8) | c11,
        (c12 << 24) | (c13 << 16) | (c14 << 8) | c15,
      );
    }
    for (let j = i; j < n; j++) out[at + j] = plaintext[j]! ^ ks[o + j]!;
    ghashUpdate(table, state, out, at + full, at + n);
    finishTag(aad.length, n);
    out.set(expectedTag, at + n);
    expectedTag.fill(0);
    releaseKeystream();
  }

  function openSmall(sealed: Uint8Array, aad: Uint8Array): Uint8Array | null {
    const n = sealed.length - GCM_TAG_BYTES;
    computeTag(aad, sealed, n);
    const ok = constantTimeEqual(expectedTag, sealed.subarray(n)); // [CRY-CT-1]
    expectedTag.fill(0);
    if (!ok) {
      releaseKeystream();
      return null; // [CRY-TAG-1] no plaintext was computed
    }
    const out = new Uint8Array(n);
    const o = ksOff + 16;
    for (let i = 0; i < n; i++) out[i] = sealed[i]! ^ ks[o + i]!;
    releaseKeystream();
    return out;
  }

  /** One node:crypto GCM object; writes ciphertext ‖ tag to out[at, at + n + 16). */
  function sealLarge(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, out: Uint8Array, at: number): void {
    const c = createCipheriv('aes-256-gcm', keyCopy, nonce, { authTagLength: GCM_TAG_BYTES });
    c.setAAD(aad);
    const n = plaintext.length;
    const body = c.update(plaintext);
    const rest = c.final();
    if (body.length + rest.length !== n) throw new HeliosError('INTERNAL', 'AES-GCM returned a short ciphertext');
    out.set(body, at);
    out.set(rest, at + body.length);
    out.set(c.getAuthTag(), at + n);
  }

  function sealIndex(index: number, plaintext: Uint8Array, aad: Uint8Array, out: Uint8Array, at: number): void {
    checkOpen();
    if (plaintext.length >= largeThreshold) {
      writeNonce(iv, 0, index);
      sealLarge(iv, plaintext, aad, out, at);
      return;
    }
    keystreamForIndex(index, ((plaintext.length + 15) >>> 4) + 1);
    sealSmall(plaintext, aad, out, at);
  }

  function openLarge(nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array | null {
    const n = sealed.length - GCM_TAG_BYTES;
    const d = createDecipheriv('aes-256-gcm', keyCopy, nonce, { authTagLength: GCM_TAG_BYTES });
    d.setAuthTag(sealed.subarray(n));
    d.setAAD(aad);
    const body = d.update(sealed.subarray(0, n));
    let rest: Uint8Array;
    try {
      rest = d.final(); // OpenSSL compares the tag here, in constant time.
    } catch {
      body.fill(0); // [CRY-TAG-1] unverified plaintext never leaves this function
      return null;
    }
    if (body.length + rest.length !== n) throw new HeliosError('INTERNAL', 'AES-GCM returned a short plaintext');
    if (rest.length === 0) return ownedBytes(body);
    const out = new Uint8Array(body.length + rest.length);
    out.set(body, 0);
    out.set(rest, body.length);
    body.fill(0);
    return out;
  }

  function checkOpen(): void {
    if (closed) throw closedError();
  }

  return {
    seal(index, plaintext, aad) {
      const n = plaintext.length;
      const out = n >= largeThreshold ? new Uint8Array(n + GCM_TAG_BYTES) : allocSealOutput(n + GCM_TAG_BYTES);
      sealIndex(index, plaintext, aad, out, 0);
      return out;
    },
    sealInto: sealIndex,
    open(index, sealed, aad) {
      checkOpen();
      if (sealed.length < GCM_TAG_BYTES) return null;
      const n = sealed.length - GCM_TAG_BYTES;
      if (n >= largeThreshold) {
        writeNonce(iv, 0, index);
        return openLarge(iv, sealed, aad);
      }
      keystreamForIndex(index, ((n + 15) >>> 4) + 1);
      return openSmall(sealed, aad);
    },
    sealWithIv(nonce, plaintext, aad) {
      checkOpen();
      const n = plaintext.length;
      if (n >= largeThreshold) {
        const big = new Uint8Array(n + GCM_TAG_BYTES);
        sealLarge(nonce, plaintext, aad, big, 0);
        return big;
      }
      const out = allocSealOutput(n + GCM_TAG_BYTES);
      keystreamForIv(nonce, ((n + 15) >>> 4) + 1);
      sealSmall(plaintext, aad, out, 0);
      return out;
    },
    openWithIv(nonce, sealed, aad) {
      checkOpen();
      if (sealed.length < GCM_TAG_BYTES) return null;
      const n = sealed.length - GCM_TAG_BYTES;
      if (n >= largeThreshold) return openLarge(nonce, sealed, aad);
      keystreamForIv(nonce, ((n + 15) >>> 4) + 1);
      return openSmall(sealed, aad);
    },
    destroy() {
      if (closed) return;
      closed = true;
      keyCopy.fill(0);
      table.fill(0);
      state.fill(0);
      prefixState.fill(0);
      prefixValid = false;
      expectedTag.fill(0);
      if (cache !== null) cache.fill(0);
      cache = null;
      releaseKeystream();
      try {
        ecb?.final();
      } catch {
        // Already finalized: nothing left to release.
      }
      ecb = null;
    },
    secretsForTest() {
      const out: Array<Uint8Array | Int32Array> = [keyCopy, state, prefixState, expectedTag];
      if (table.length > 0) out.push(table);
      if (cache !== null) out.push(cache);
      return out;
    },
  };
}

/**
 * `body` as a plain Uint8Array owning its whole ArrayBuffer: node:crypto
 * returns Buffers, whose slice() aliases and which may be pool slices.
 */
function ownedBytes(body: Uint8Array): Uint8Array {
  if (body.byteOffset === 0 && body.buffer.byteLength === body.length) {
    return new Uint8Array(body.buffer, 0, body.length);
  }
  const plain = new Uint8Array(body.length);
  plain.set(body);
  body.fill(0);
  return plain;
}

function closedError(): HeliosError {
  return new HeliosError('CLOSED', 'sealer used after destroy()');
}
