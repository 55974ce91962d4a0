/**
 * LRU cache of opened (decrypted, verified, decoded) SSTable blocks with a
 * byte budget.
 *
 * Keys are (cacheId, blockIndex): every table open takes a fresh cacheId, so
 * a block of one table can never be served for another, even when a file
 * number is reused. Cached plaintext lives in memory only; the cache holds no
 * key material.
 *
 * Entries form one doubly linked list in recency order (a hit moves its entry
 * to the front in O(1), eviction takes from the back) and are found through a
 * per-table map from block index to entry, so a lookup builds no string key.
 *
 * Aliasing: get() returns the cached value itself; callers must treat it as
 * read-only. An entry larger than the whole budget is not cached.
 */
import { HeliosError } from '../format/errors.ts';
import type { BlockView } from '../format/sstable-block.ts';

/** Bookkeeping charged per entry on top of its bytes (list node, map slot, decoded view, object headers). */
export const ENTRY_OVERHEAD_BYTES = 160;

export interface BlockCacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly entries: number;
  /** Bytes charged now (block bytes + ENTRY_OVERHEAD_BYTES per entry). */
  readonly chargedBytes: number;
  readonly capacityBytes: number;
}

export interface BlockCache<T = BlockView> {
  /** A new id for one open table; entries of different ids never collide. */
  newId(): number;
  get(cacheId: number, blockIndex: number): T | undefined;
  /**
   * Inserts (or replaces) and evicts least-recently-used entries down to the
   * budget. `bytes` is what the entry holds in memory (the block's length).
   */
  put(cacheId: number, blockIndex: number, value: T, bytes: number): void;
  /** Drops every entry of a table (called when the table is closed or deleted). */
  evictTable(cacheId: number): void;
  /** Changes the budget, evicting as needed. */
  setCapacity(capacityBytes: number): void;
  stats(): BlockCacheStats;
  clear(): void;
}

interface Node<T> {
  readonly cacheId: number;
  readonly blockIndex: number;
  value: T;
  cost: number;
  prev: Node<T> | null;
  next: Node<T> | null;
}

export function createBlockCache<T = BlockView>(capacityBytes: number): BlockCache<T> {
  checkCapacity(capacityBytes);
  let capacity = capacityBytes;
  const tables = new Map<number, Map<number, Node<T>>>();
  /** Most recently used first. */
  let head: Node<T> | null = null;
  let tail: Node<T> | null = null;
  let entries = 0;
  let charged = 0;
  let hits = 0;
  let misses = 0;
  let nextId = 1;

  const unlink = (n: Node<T>): void => {
    if (n.prev) n.prev.next = n.next;
    else head = n.next;
    if (n.next) n.next.prev = n.prev;
    else tail = n.prev;
    n.prev = n.next = null;
  };
  const pushFront = (n: Node<T>): void => {
    n.next = head;
    n.prev = null;
    if (head) head.prev = n;
    head = n;
    if (tail === null) tail = n;
  };
  const remove = (n: Node<T>): void => {
    unlink(n);
    entries--;
    charged -= n.cost;
    const m = tables.get(n.cacheId);
    if (m) {
      m.delete(n.blockIndex);
      if (m.size === 0) tables.delete(n.cacheId);
    }
  };
  const shrink = (): void => {
    while (charged > capacity && tail !== null) remove(tail);
  };

  return {
    newId: () => nextId++,
    get(cacheId, blockIndex) {
      const n = tables.get(cacheId)?.get(blockIndex);
      if (n === undefined) {
        misses++;
        return undefined;
      }
      hits++;
      if (head !== n) {
        unlink(n);
        pushFront(n);
      }
      return n.value;
    },
    put(cacheId, blockIndex, value, bytes) {
      const cost = bytes + ENTRY_OVERHEAD_BYTES;
      const old = tables.get(cacheId)?.get(blockIndex);
      if (old !== undefined) remove(old);
      if (cost > capacity) return;
      let m = tables.get(cacheId);
      if (m === undefined) tables.set(cacheId, (m = new Map()));
      const n: Node<T> = { cacheId, blockIndex, value, cost, prev: null, next: null };
      m.set(blockIndex, n);
      pushFront(n);
      entries++;
      charged += cost;
      shrink();
    },
    evictTable(cacheId) {
      const m = tables.get(cacheId);
      if (!m) return;
      for (const n of [...m.values()]) remove(n);
    },
    setCapacity(bytes) {
      checkCapacity(bytes);
      capacity = bytes;
      shrink();
    },
    stats: () => ({ hits, misses, entries, chargedBytes: charged, capacityBytes: capacity }),
    clear() {
      tables.clear();
      head = tail = null;
      entries = 0;
      charged = 0;
    },
  };
}

function checkCapacity(bytes: number): void {
  if (!Number.isSafeInteger(bytes) || bytes < 0) {
    throw new HeliosError('INVALID_ARGUMENT', `block cache capacity must be a non-negative integer of bytes, got ${bytes}`);
  }
}
