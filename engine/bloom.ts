/**
 * The per-table bloom filter over user keys (not internal keys), so a point
 * lookup at any snapshot can skip a table that never saw the key.
 *
 * Filter block layout [FMT-SST-BLOOM-1]:
 * ```
 * bits[m/8]  u8 probeCount
 * ```
 * Probe i of key k sets bit (h + i·δ) mod m, with h = murmur3_32(k, seed
 * 0xbc9f1d34) and δ = (h >>> 17) | (h << 15) (double hashing, as LevelDB).
 * An empty bit array (m = 0) matches every key.
 *
 * The filter is sealed like every other block: its bits never reach disk in
 * plaintext.
 */
import { corruption } from '../format/errors.ts';

const SEED = 0xbc9f1d34;

/** murmur3 x86 32-bit hash of `key` with the filter's seed. */
export function bloomHash(key: Uint8Array): number {
  return murmur3(key, SEED);
}

/** murmur3 x86 32-bit (Austin Appleby's MurmurHash3_x86_32). */
export function murmur3(key: Uint8Array, seed: number): number {
  let h = seed | 0;
  const n = key.length;
  const blocks = n & ~3;
  let i = 0;
  for (; i < blocks; i += 4) {
    let k = key[i]! | (key[i + 1]! << 8) | (key[i + 2]! << 16) | (key[i + 3]! << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rest = n & 3;
  if (rest > 0) {
    let k = 0;
    if (rest === 3) k ^= key[i + 2]! << 16;
    if (rest >= 2) k ^= key[i + 1]! << 8;
    k ^= key[i]!;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Collects key hashes while a table is written and encodes the filter block. */
export interface BloomBuilder {
  addKey(userKey: Uint8Array): void;
  readonly keyCount: number;
  /** Encodes the filter block (a new array). */
  finish(): Uint8Array;
}

/** bitsPerKey 10 gives about 1% false positives. 0 disables the filter (matches everything). */
export function createBloomBuilder(bitsPerKey = 10): BloomBuilder {
  let hashes = new Uint32Array(1024);
  let count = 0;
  return {
    addKey(userKey) {
      if (count === hashes.length) {
        const next = new Uint32Array(hashes.length * 2);
        next.set(hashes);
        hashes = next;
      }
      hashes[count++] = bloomHash(userKey);
    },
    get keyCount() {
      return count;
    },
    finish() {
      if (bitsPerKey <= 0 || count === 0) return new Uint8Array([0]);
      const probes = Math.max(1, Math.min(30, Math.round(bitsPerKey * 0.69)));
      let bits = Math.max(64, count * bitsPerKey);
      const bytes = Math.ceil(bits / 8);
      bits = bytes * 8;
      const out = new Uint8Array(bytes + 1);
      for (let j = 0; j < count; j++) {
        let h = hashes[j]!;
        const delta = ((h >>> 17) | (h << 15)) >>> 0;
        for (let i = 0; i < probes; i++) {
          const pos = h % bits;
          out[pos >>> 3]! |= 1 << (pos & 7);
          h = (h + delta) >>> 0;
        }
      }
      out[bytes] = probes;
      return out;
    },
  };
}

/** A decoded filter. `bits` aliases the filter block. */
export interface BloomFilter {
  mayContain(userKey: Uint8Array): boolean;
}

/** Validates a filter block; throws CORRUPTION on a bad probe count. */
export function decodeBloomFilter(block: Uint8Array, file: string, fileOffset: number): BloomFilter {
  if (block.length < 1) corruption(file, fileOffset, 'bloom filter block is empty');
  const probes = block[block.length - 1]!;
  const bytes = block.length - 1;
  if (bytes === 0) return { mayContain: () => true };
  if (probes < 1 || probes > 30) corruption(file, fileOffset, 'bloom filter probe count out of range');
  const bits = bytes * 8;
  return {
    mayContain(userKey) {
      let h = bloomHash(userKey);
      const delta = ((h >>> 17) | (h << 15)) >>> 0;
      for (let i = 0; i < probes; i++) {
        const pos = h % bits;
        if ((block[pos >>> 3]! & (1 << (pos & 7))) === 0) return false;
        h = (h + delta) >>> 0;
      }
      return true;
    },
  };
}
