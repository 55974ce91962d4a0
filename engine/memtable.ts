/**
 * The memtable: every write not yet in a table file, as a skip list of
 * internal entries ordered by (user key ascending, seqNum descending), the
 * order of format/sstable-block.ts `compareInternal`.
 *
 * Every version is kept (puts and tombstones, one entry per seqNum), so a
 * read at snapshot S sees exactly the writes with seqNum <= S. Entries are
 * never removed: a memtable is dropped as a whole once flushed. Because of
 * that, a cursor stays valid while writes are added (it sees them or not
 * depending on where they land; readers filter by seqNum).
 *
 * Layout: no object per entry. An entry is a 64-byte record in one Int32Array
 * (level-0 link, where its higher links are, prev, where its bytes are, kind,
 * the first 12 key bytes as three words, hash, seqNum), and its key and value
 * bytes are copied one after the other into large slabs. So an insert
 * allocates nothing but the occasional slab or array doubling, the collector
 * never traces entries, a search step touches one record (entries are laid
 * out in insertion order, so a walk in key order after random inserts would
 * otherwise miss the cache once per field), and most comparisons are between
 * two key words rather than byte loops over two arrays.
 *
 * Point reads do not walk the list: an open-addressing hash table maps each
 * user key to its newest version (versions of one key are adjacent in the
 * list, newest first), so `get` costs one hash of the key plus a short walk
 * over the versions newer than the snapshot. Appends in ascending key order
 * (rowids, time series) link in from the rightmost node of every level
 * instead of searching from the head.
 *
 * Ownership: `add` copies `key` and `value`; the caller may reuse them at
 * once. Views returned by `get` and by cursors alias the memtable's slabs:
 * valid as long as the memtable is reachable, never to be modified.
 */
import { HeliosError } from '../format/errors.ts';
import { KIND_PUT, KIND_TOMBSTONE, type EntryKind } from '../format/sstable-block.ts';
import type { InternalCursor } from './merge-iterator.ts';

const MAX_HEIGHT = 16;
/** Node 0 is the head; as a link target 0 means "none" (the head is never one). */
const NIL = 0;
const FIRST_SLAB_BYTES = 4 * 1024;
const MAX_SLAB_BYTES = 1024 * 1024;
/** An entry at least this large gets a slab of its own (slabs are not wasted on big values). */
const OWN_SLAB_BYTES = 64 * 1024;
const FIRST_CAPACITY = 64;
/** Int32 fields of a node record; a record is STRIDE ints (64 bytes). */
const STRIDE = 16;
const F_NEXT = 0; // level-0 link; levels 1 and 2 are F_L1, F_L2 (a search step reads one record)
const F_UP = 1; // index in `links` of the level-3 link (levels 3 .. height-1 follow)
const F_PREV = 2;
const F_SLAB = 3;
const F_OFF = 4;
const F_KEYLEN = 5;
const F_VALLEN = 6;
const F_KIND = 7; // bit 0: the entry kind; bit 1 (IN_TABLE): the node is in the hash table
/** Flag in F_KIND: the node is its key's newest version, the one the hash table holds. */
const IN_TABLE = 2;
const F_W0 = 8; // key bytes 0..3, 4..7, 8..11 as big-endian words with the sign bit flipped (see keyWord)
const F_W1 = 9;
const F_W2 = 10;
const F_HASH = 11;
const F_SEQLO = 12; // seqNum mod 2^32
const F_SEQHI = 13; // floor(seqNum / 2^32)
const F_L1 = 14;
const F_L2 = 15;
/** Key prefixes (first key words) whose last insertion position is remembered, see hintNode. */
const HINTS = 4;
/** Levels whose links live in the record; higher ones in `links`. */
const INLINE_LEVELS = 3;
const TWO_32 = 4294967296;
/**
 * Heap cost of an entry beyond its key and value bytes, counted in
 * approximateByteLength so the memtable budget bounds real memory: a 64-byte
 * record (links of levels 0 … 2 included), links of levels above 2 (4 bytes
 * × 0.02 on average) and the hash table (4 bytes per slot, at most half
 * full); each array doubles when full, so at worst twice that:
 * 2 × (64 + 0.1) + 16 = 144, which also covers the
 * moment of a doubling when the old and new arrays coexist. Measured on Node
 * 20 (.scratch/memw/measure.ts: heap + array buffers held after 100k … 400k
 * entries of 20-byte keys and 120-byte values, minus those bytes): 72 … 102
 * bytes per entry depending on how far past the last doubling (the layout
 * with an object per entry measured ~456).
 */
const ENTRY_OVERHEAD_BYTES = 144;

/** FNV-1a over the key bytes: cheap and good enough for the hash table. */
function hashKey(key: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key[i]!, 0x01000193);
  return h | 0;
}

/**
 * Big-endian u32 of key[i .. i+4), zero past the end (zero padding keeps byte
 * order, see cmpNode), with the sign bit flipped: an int32 whose signed order
 * is the unsigned order of the bytes, so it fits an Int32Array and compares
 * with `<`.
 */
function keyWord(key: Uint8Array, i: number): number {
  const n = key.length;
  if (i + 4 <= n) return ((key[i]! << 24) | (key[i + 1]! << 16) | (key[i + 2]! << 8) | key[i + 3]!) ^ 0x80000000;
  let w = 0;
  for (let j = 0; j < 4; j++) w = (w << 8) | (i + j < n ? key[i + j]! : 0);
  return w ^ 0x80000000;
}

export interface MemtableGetResult {
  /** The newest version visible at the snapshot: a value (a view, see Ownership), or null for a tombstone. */
  readonly value: Uint8Array | null;
  readonly seqNum: number;
}

export interface Memtable {
  /** Adds one version (copies key and value). (key, seqNum) must be new; seqNums of one key only grow in practice. */
  add(key: Uint8Array, seqNum: number, value: Uint8Array | null): void;
  /** The newest version of `key` with seqNum <= `snapshotSeq`, or undefined when there is none. */
  get(key: Uint8Array, snapshotSeq: number): MemtableGetResult | undefined;
  /** A cursor over every entry in internal order (see InternalCursor). */
  cursor(): InternalCursor;
  /** Number of entries (versions). */
  readonly entryCount: number;
  /**
   * Approximate memory held, in bytes: keys + values + ENTRY_OVERHEAD_BYTES
   * per entry (slab space not yet used, at most one slab of 1 MiB, is not counted).
   */
  readonly approximateByteLength: number;
}

export function createMemtable(random: () => number = Math.random): Memtable {
  let cap = FIRST_CAPACITY;
  let meta = new Int32Array(cap * STRIDE);
  /** Links of levels >= 3: node x's level l (3 <= l < height) is links[meta[x·STRIDE + F_UP] + l - 3]. */
  let links = new Int32Array(cap);
  let linksUsed = MAX_HEIGHT; // the head's are links[0 .. MAX_HEIGHT - 3)
  let nodes = 1; // node 0 is the head

  let slab = new Uint8Array(FIRST_SLAB_BYTES);
  const slabs: Uint8Array[] = [slab];
  let slabIndex = 0;
  let slabUsed = 0;
  let bytes = 0;
  let nextSlabSize = FIRST_SLAB_BYTES * 2;

  /** Hash table: user key → node of its newest version (0 = empty slot). */
  let slots = new Int32Array(FIRST_CAPACITY * 2);
  let slotMask = slots.length - 1;
  let distinctKeys = 0;

  /** The last node on every level (head when the level is empty). */
  const lastAt = new Int32Array(MAX_HEIGHT);
  const update = new Int32Array(MAX_HEIGHT);
  let height = 1;
  let tail = NIL;
  /**
   * Ascending runs per key prefix: for up to HINTS distinct first key words,
   * the last node added with that word and its predecessors on every level
   * (itself on its own levels). Nodes are never removed, so they stay valid
   * starting points for any later key that sorts after that node: a run of
   * ascending keys under one prefix (the rows of a table, an index on an
   * ascending column) inserted while other prefixes sort after it costs a
   * compare per level instead of a search from the head.
   */
  const hintWord = new Int32Array(HINTS);
  const hintNode = new Int32Array(HINTS);
  const hintFinger = new Int32Array(HINTS * MAX_HEIGHT);
  let hintVictim = 0;

  // Key words of the key being searched for (set by setTarget).
  let t0 = 0;
  let t1 = 0;
  let t2 = 0;
  const setTarget = (key: Uint8Array): void => {
    t0 = keyWord(key, 0);
    t1 = keyWord(key, 4);
    t2 = keyWord(key, 8);
  };

  /**
   * Internal order of node x against (key, seq) whose words are in t0..t2:
   * negative when x sorts first. Keys are compared as their first 12 bytes
   * zero-padded, then byte by byte from 12, then by length: when the padded
   * prefixes differ at byte i, either both keys have byte i or the shorter
   * one ended before i with every byte equal (padding 0 <= any byte), so the
   * prefix order is the byte order.
   */
  const cmpNode = (x: number, key: Uint8Array, seq: number): number => {
    const r = x * STRIDE;
    let a = meta[r + F_W0]!;
    if (a !== t0) return a < t0 ? -1 : 1;
    a = meta[r + F_W1]!;
    if (a !== t1) return a < t1 ? -1 : 1;
    a = meta[r + F_W2]!;
    if (a !== t2) return a < t2 ? -1 : 1;
    const la = meta[r + F_KEYLEN]!;
    const lb = key.length;
    if (la > 12 && lb > 12) {
      const s = slabs[meta[r + F_SLAB]!]!;
      const o = meta[r + F_OFF]!;
      const n = la < lb ? la : lb;
      for (let i = 12; i < n; i++) {
        const d = s[o + i]! - key[i]!;
        if (d !== 0) return d;
      }
    }
    if (la !== lb) return la - lb;
    return seq - seqOf(x);
  };

  const seqOf = (x: number): number => {
    const r = x * STRIDE;
    return meta[r + F_SEQHI]! * TWO_32 + (meta[r + F_SEQLO]! >>> 0);
  };

  /** Node x holds user key `key` (words in t0..t2). */
  const sameKey = (x: number, key: Uint8Array): boolean => {
    const r = x * STRIDE;
    const n = key.length;
    if (meta[r + F_KEYLEN] !== n || meta[r + F_W0] !== t0 || meta[r + F_W1] !== t1 || meta[r + F_W2] !== t2) return false;
    if (n <= 12) return true;
    const s = slabs[meta[r + F_SLAB]!]!;
    const o = meta[r + F_OFF]!;
    for (let i = 12; i < n; i++) if (s[o + i] !== key[i]) return false;
    return true;
  };

  const getLink = (x: number, level: number): number => {
    const r = x * STRIDE;
    if (level === 0) return meta[r + F_NEXT]!;
    if (level < INLINE_LEVELS) return meta[r + (level === 1 ? F_L1 : F_L2)]!;
    return links[meta[r + F_UP]! + level - INLINE_LEVELS]!;
  };
  const setLink = (x: number, level: number, to: number): void => {
    const r = x * STRIDE;
    if (level === 0) meta[r + F_NEXT] = to;
    else if (level < INLINE_LEVELS) meta[r + (level === 1 ? F_L1 : F_L2)] = to;
    else links[meta[r + F_UP]! + level - INLINE_LEVELS] = to;
  };
  const next0 = (x: number): number => meta[x * STRIDE + F_NEXT]!;

  const randomHeight = (): number => {
    let h = 1;
    while (h < MAX_HEIGHT && random() < 0.25) h++;
    return h;
  };

  /** Last node < (key, seq) on every level (into `update` when `fill`); returns the level-0 predecessor. Needs setTarget(key). */
  const findPredecessors = (key: Uint8Array, seqNum: number, fill: boolean): number => {
    let x = 0;
    for (let level = height - 1; level > 0; level--) {
      for (;;) {
        const n = getLink(x, level);
        if (n === NIL || cmpNode(n, key, seqNum) >= 0) break;
        x = n;
      }
      if (fill) update[level] = x;
    }
    for (;;) {
      const n = meta[x * STRIDE + F_NEXT]!;
      if (n === NIL || cmpNode(n, key, seqNum) >= 0) break;
      x = n;
    }
    if (fill) update[0] = x;
    return x;
  };

  /**
   * findPredecessors starting from the hint at hintFinger[base ..]: every
   * finger sorts before (key, seqNum). Levels whose finger's successor is
   * already >= the target need one compare; from the first level where it
   * is not, an ordinary search continues down from that finger.
   */
  const searchFrom = (base: number, key: Uint8Array, seqNum: number): number => {
    let level = height - 1;
    for (; level > 0; level--) {
      const f = hintFinger[base + level]!;
      const n = getLink(f, level);
      if (n !== NIL && cmpNode(n, key, seqNum) < 0) break;
      update[level] = f;
    }
    let x = hintFinger[base + level]!;
    for (; level >= 0; level--) {
      for (;;) {
        const n = getLink(x, level);
        if (n === NIL || cmpNode(n, key, seqNum) >= 0) break;
        x = n;
      }
      update[level] = x;
    }
    return x;
  };

  /**
   * Doubles the hash table (kept at most half full). Walks the records in
   * order (flag and hash side by side) rather than the old slots, whose nodes
   * lie all over memory.
   */
  const growSlots = (): void => {
    slots = new Int32Array(slots.length * 2);
    slotMask = slots.length - 1;
    for (let x = 1, r = STRIDE; x < nodes; x++, r += STRIDE) {
      if ((meta[r + F_KIND]! & IN_TABLE) === 0) continue;
      let j = meta[r + F_HASH]! & slotMask;
      while (slots[j] !== NIL) j = (j + 1) & slotMask;
      slots[j] = x;
    }
  };

  /** Slot of `key` (words in t0..t2, hash h): the slot holding its newest version, or the empty slot where it would go. */
  const slotOf = (key: Uint8Array, h: number): number => {
    let j = h & slotMask;
    for (;;) {
      const x = slots[j]!;
      if (x === NIL || (meta[x * STRIDE + F_HASH] === h && sameKey(x, key))) return j;
      j = (j + 1) & slotMask;
    }
  };

  /** Copies key ‖ value into a slab; sets the slab and offset of the record at r. */
  const store = (r: number, key: Uint8Array, value: Uint8Array | null): void => {
    const kl = key.length;
    const vl = value === null ? 0 : value.length;
    const need = kl + vl;
    let s: Uint8Array;
    let o: number;
    if (need >= OWN_SLAB_BYTES) {
      s = new Uint8Array(need);
      slabs.push(s);
      meta[r + F_SLAB] = slabs.length - 1;
      o = 0;
    } else {
      if (slabUsed + need > slab.length) {
        slab = new Uint8Array(Math.max(nextSlabSize, need));
        slabs.push(slab);
        slabIndex = slabs.length - 1;
        slabUsed = 0;
        if (nextSlabSize < MAX_SLAB_BYTES) nextSlabSize *= 2;
      }
      s = slab;
      o = slabUsed;
      slabUsed += need;
      meta[r + F_SLAB] = slabIndex;
    }
    meta[r + F_OFF] = o;
    s.set(key, o);
    if (value !== null) s.set(value, o + kl);
  };

  const keyView = (x: number): Uint8Array => {
    const r = x * STRIDE;
    const o = meta[r + F_OFF]!;
    return slabs[meta[r + F_SLAB]!]!.subarray(o, o + meta[r + F_KEYLEN]!);
  };
  const valueView = (x: number): Uint8Array => {
    const r = x * STRIDE;
    const o = meta[r + F_OFF]! + meta[r + F_KEYLEN]!;
    return slabs[meta[r + F_SLAB]!]!.subarray(o, o + meta[r + F_VALLEN]!);
  };

  // The head: every link NIL; its levels >= 3 are links[0 .. MAX_HEIGHT - 3).
  meta[F_UP] = 0;

  const memtable: Memtable = {
    add(key, seqNum, value) {
      setTarget(key);
      let pred: number;
      if (tail !== NIL && cmpNode(tail, key, seqNum) < 0) {
        // Ascending append: the predecessor on every level is that level's last node.
        for (let l = 0; l < height; l++) update[l] = lastAt[l]!;
        pred = tail;
      } else {
        let k = 0;
        while (k < HINTS && (hintNode[k] === NIL || hintWord[k] !== t0)) k++;
        if (k < HINTS && cmpNode(hintNode[k]!, key, seqNum) < 0) pred = searchFrom(k * MAX_HEIGHT, key, seqNum);
        else pred = findPredecessors(key, seqNum, true);
      }
      const at = next0(pred);
      if (at !== NIL && cmpNode(at, key, seqNum) === 0) {
        throw new HeliosError('INTERNAL', `memtable already holds seqNum ${seqNum} for this key`);
      }
      const h = randomHeight();
      if (h > height) {
        for (let l = height; l < h; l++) update[l] = 0;
        height = h;
      }
      if (nodes === cap) {
        const b = new Int32Array(cap * 2 * STRIDE);
        b.set(meta);
        meta = b;
        cap *= 2;
      }
      if (linksUsed + h > links.length) {
        const b = new Int32Array(links.length * 2);
        b.set(links);
        links = b;
      }
      const x = nodes++;
      const r = x * STRIDE;
      meta[r + F_SEQLO] = seqNum >>> 0;
      meta[r + F_SEQHI] = Math.floor(seqNum / TWO_32);
      meta[r + F_KIND] = value === null ? KIND_TOMBSTONE : KIND_PUT;
      meta[r + F_KEYLEN] = key.length;
      meta[r + F_VALLEN] = value === null ? 0 : value.length;
      meta[r + F_W0] = t0;
      meta[r + F_W1] = t1;
      meta[r + F_W2] = t2;
      store(r, key, value);
      if (h > INLINE_LEVELS) {
        meta[r + F_UP] = linksUsed;
        linksUsed += h - INLINE_LEVELS;
      }
      for (let l = 0; l < h; l++) {
        const u = update[l]!;
        const n = getLink(u, l);
        setLink(x, l, n);
        setLink(u, l, x);
        if (n === NIL) lastAt[l] = x;
      }
      meta[r + F_PREV] = pred;
      if (at !== NIL) meta[at * STRIDE + F_PREV] = x;
      else tail = x;
      let k = 0;
      while (k < HINTS && (hintNode[k] === NIL || hintWord[k] !== t0)) k++;
      if (k === HINTS) {
        k = hintVictim;
        hintVictim = (hintVictim + 1) % HINTS;
        hintWord[k] = t0;
      }
      hintNode[k] = x;
      // Levels >= height keep the head (0): height never shrinks, so nothing stale lies above it.
      for (let l = 0, b = k * MAX_HEIGHT; l < height; l++) hintFinger[b + l] = l < h ? x : update[l]!;
      // Hash table: the node is the key's newest version unless a newer one exists.
      const hash = hashKey(key);
      meta[r + F_HASH] = hash;
      const j = slotOf(key, hash);
      const old = slots[j]!;
      if (old === NIL) {
        slots[j] = x;
        meta[r + F_KIND] = meta[r + F_KIND]! | IN_TABLE;
        if (++distinctKeys * 2 > slots.length) growSlots();
      } else if (seqOf(old) < seqNum) {
        slots[j] = x;
        meta[r + F_KIND] = meta[r + F_KIND]! | IN_TABLE;
        meta[old * STRIDE + F_KIND] = meta[old * STRIDE + F_KIND]! & ~IN_TABLE;
      }
      bytes += key.length + (value === null ? 0 : value.length) + ENTRY_OVERHEAD_BYTES;
    },
    get(key, snapshotSeq) {
      setTarget(key);
      let x = slots[slotOf(key, hashKey(key))]!;
      // Versions of one key follow the newest in the list, newer first.
      while (x !== NIL && seqOf(x) > snapshotSeq) {
        x = next0(x);
        if (x !== NIL && !sameKey(x, key)) x = NIL;
      }
      if (x === NIL) return undefined;
      return { value: (meta[x * STRIDE + F_KIND]! & 1) === KIND_TOMBSTONE ? null : valueView(x), seqNum: seqOf(x) };
    },
    cursor() {
      let at = NIL;
      /** key() of node `viewOf`, kept so repeated key() calls at one position allocate once. */
      let view: Uint8Array | null = null;
      let viewOf = NIL;
      const need = (): number => {
        if (at === NIL) throw new HeliosError('INTERNAL', 'memtable cursor is not positioned');
        return at;
      };
      return {
        valid: () => at !== NIL,
        seekToFirst: () => void (at = next0(0)),
        seekToLast: () => void (at = tail),
        seek: (k, s) => {
          setTarget(k);
          at = next0(findPredecessors(k, s, false));
        },
        next: () => void (at = next0(need())),
        prev: () => void (at = meta[need() * STRIDE + F_PREV]!),
        key: () => {
          const x = need();
          if (viewOf !== x || view === null) {
            view = keyView(x);
            viewOf = x;
          }
          return view;
        },
        seqNum: () => seqOf(need()),
        kind: () => (meta[need() * STRIDE + F_KIND]! & 1) as EntryKind,
        value: () => valueView(need()),
        close: () => void (at = NIL),
        stableKeys: true,
      };
    },
    get entryCount() {
      return nodes - 1;
    },
    get approximateByteLength() {
      return bytes;
    },
  };
  return memtable;
}
