/**
 * LRU cache of opened (decrypted, verified) SSTable blocks with a byte budget.
 *
 * Keys are (cacheId, blockIndex): every table open takes a fresh cacheId, so
 * a block of one table can never be served for another, even when a file
 * number is reused. Cached plaintext lives in memory only; the cache holds no
 * key material.
 *
 * Aliasing: get() returns the cached array itself; callers must treat it as
 * read-only. An entry larger than the whole budget is not cached.
 */
import { HeliosError } from '../format/errors.ts';

/** Bookkeeping charged per entry on top of its bytes (Map slot, key string, object headers). */
export const ENTRY_OVERHEAD_BYTES = 96;

export interface BlockCacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly entries: number;
  /** Bytes charged now (block bytes + ENTRY_OVERHEAD_BYTES per entry). */
  readonly chargedBytes: number;
  readonly capacityBytes: number;
}

export interface BlockCache {
  /** A new id for one open table; entries of different ids never collide. */
  newId(): number;
  get(cacheId: number, blockIndex: number): Uint8Array | undefined;
  /** Inserts (or replaces) and evicts least-recently-used entries down to the budget. */
  put(cacheId: number, blockIndex: number, block: Uint8Array): void;
  /** Drops every entry of a table (called when the table is closed or deleted). */
  evictTable(cacheId: number): void;
  /** Changes the budget, evicting as needed. */
  setCapacity(capacityBytes: number): void;
  stats(): BlockCacheStats;
  clear(): void;
}

export function createBlockCache(capacityBytes: number): BlockCache {
  checkCapacity(capacityBytes);
  let capacity = capacityBytes;
  /** Insertion order of a Map is the LRU order: the first entry is the oldest. */
  const map = new Map<string, Uint8Array>();
  const perTable = new Map<number, Set<string>>();
  let charged = 0;
  let hits = 0;
  let misses = 0;
  let nextId = 1;

  const cost = (b: Uint8Array): number => b.length + ENTRY_OVERHEAD_BYTES;
  const keyOf = (id: number, idx: number): string => `${id}:${idx}`;
  const idOf = (k: string): number => Number(k.slice(0, k.indexOf(':')));

  const remove = (k: string): void => {
    const b = map.get(k);
    if (b === undefined) return;
    map.delete(k);
    charged -= cost(b);
    const id = idOf(k);
    const s = perTable.get(id);
    if (s) {
      s.delete(k);
      if (s.size === 0) perTable.delete(id);
    }
  };

  const shrink = (): void => {
    for (const k of map.keys()) {
      if (charged <= capacity) break;
      remove(k);
    }
  };

  return {
    newId: () => nextId++,
    get(cacheId, blockIndex) {
      const k = keyOf(cacheId, blockIndex);
      const b = map.get(k);
      if (b === undefined) {
        misses++;
        return undefined;
      }
      hits++;
      map.delete(k);
      map.set(k, b);
      return b;
    },
    put(cacheId, blockIndex, block) {
      const k = keyOf(cacheId, blockIndex);
      remove(k);
      if (cost(block) > capacity) return;
      map.set(k, block);
      charged += cost(block);
      let s = perTable.get(cacheId);
      if (!s) perTable.set(cacheId, (s = new Set()));
      s.add(k);
      shrink();
    },
    evictTable(cacheId) {
      const s = perTable.get(cacheId);
      if (!s) return;
      for (const k of [...s]) remove(k);
    },
    setCapacity(bytes) {
      checkCapacity(bytes);
      capacity = bytes;
      shrink();
    },
    stats: () => ({ hits, misses, entries: map.size, chargedBytes: charged, capacityBytes: capacity }),
    clear() {
      map.clear();
      perTable.clear();
      charged = 0;
    },
  };
}

function checkCapacity(bytes: number): void {
  if (!Number.isSafeInteger(bytes) || bytes < 0) {
    throw new HeliosError('INVALID_ARGUMENT', `block cache capacity must be a non-negative integer of bytes, got ${bytes}`);
  }
}
