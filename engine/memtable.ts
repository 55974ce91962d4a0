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
 * Layout: no object per entry. An entry is an index into parallel typed
 * arrays (seqNum, kind, where its bytes are, the first 12 key bytes as three
 * big-endian words, its skip-list links); its key and value bytes are copied
 * one after the other into large slabs. So an insert allocates nothing but
 * the occasional slab or array doubling, the collector never traces entries,
 * and most comparisons during a search are between two numbers held in
 * typed arrays (the key words) rather than byte loops over two arrays.
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
/**
 * Heap cost of an entry beyond its key and value bytes, counted in
 * approximateByteLength so the memtable budget bounds real memory: the typed
 * arrays hold 56 bytes per node slot (seqNum 8, kind 1, slab 4, offset 4, key
 * length 4, value length 4, key words 12, hash 4, prev 4, link base 4), links
 * 4 bytes per level (1.33 levels on average) and the hash table 4 bytes per
 * slot at most half full; each doubles when full, so at worst twice that:
 * ~2 × (56 + 5.3) + 16 = 139, which also covers the moment of a doubling
 * when the old and new arrays coexist. Measured on Node 20
 * (.scratch/memw/measure.ts: heap + array buffers held after 100k … 400k
 * entries of 20-byte keys and 120-byte values, minus those bytes): 66 … 93
 * bytes per entry depending on how far past the last doubling (the layout
 * with an object per entry measured ~456).
 */
const ENTRY_OVERHEAD_BYTES = 140;

/** FNV-1a over the key bytes: cheap and good enough for the hash table. */
function hashKey(key: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key[i]!, 0x01000193);
  return h | 0;
}

/** Big-endian u32 of key[i .. i+4), zero past the end (zero padding keeps byte order, see cmpNode). */
function keyWord(key: Uint8Array, i: number): number {
  const n = key.length;
  if (i + 4 <= n) return ((key[i]! << 24) | (key[i + 1]! << 16) | (key[i + 2]! << 8) | key[i + 3]!) >>> 0;
  let w = 0;
  for (let j = 0; j < 4; j++) w = w * 256 + (i + j < n ? key[i + j]! : 0);
  return w;
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
  let seqs = new Float64Array(cap);
  let kinds = new Uint8Array(cap);
  let slabOf = new Int32Array(cap);
  let offOf = new Int32Array(cap);
  let keyLen = new Int32Array(cap);
  let valLen = new Int32Array(cap);
  let w0 = new Uint32Array(cap);
  let w1 = new Uint32Array(cap);
  let w2 = new Uint32Array(cap);
  let hashOf = new Int32Array(cap);
  let prevOf = new Int32Array(cap);
  let linkAt = new Int32Array(cap);
  let links = new Int32Array(cap * 2);
  let linksUsed = MAX_HEIGHT; // the head's links are links[0 .. MAX_HEIGHT)
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
    let a = w0[x]!;
    if (a !== t0) return a < t0 ? -1 : 1;
    a = w1[x]!;
    if (a !== t1) return a < t1 ? -1 : 1;
    a = w2[x]!;
    if (a !== t2) return a < t2 ? -1 : 1;
    const la = keyLen[x]!;
    const lb = key.length;
    if (la > 12 && lb > 12) {
      const s = slabs[slabOf[x]!]!;
      const o = offOf[x]!;
      const n = la < lb ? la : lb;
      for (let i = 12; i < n; i++) {
        const d = s[o + i]! - key[i]!;
        if (d !== 0) return d;
      }
    }
    if (la !== lb) return la - lb;
    return seq - seqs[x]!;
  };

  /** Node x holds user key `key` (words in t0..t2). */
  const sameKey = (x: number, key: Uint8Array): boolean => {
    const n = key.length;
    if (keyLen[x] !== n || w0[x] !== t0 || w1[x] !== t1 || w2[x] !== t2) return false;
    if (n <= 12) return true;
    const s = slabs[slabOf[x]!]!;
    const o = offOf[x]!;
    for (let i = 12; i < n; i++) if (s[o + i] !== key[i]) return false;
    return true;
  };

  const randomHeight = (): number => {
    let h = 1;
    while (h < MAX_HEIGHT && random() < 0.25) h++;
    return h;
  };

  /** Last node < (key, seq) on every level (into `update` when `fill`); returns the level-0 predecessor. Needs setTarget(key). */
  const findPredecessors = (key: Uint8Array, seqNum: number, fill: boolean): number => {
    let x = 0;
    for (let level = height - 1; level >= 0; level--) {
      for (;;) {
        const n = links[linkAt[x]! + level]!;
        if (n === NIL || cmpNode(n, key, seqNum) >= 0) break;
        x = n;
      }
      if (fill) update[level] = x;
    }
    return x;
  };

  const growNodes = (): void => {
    const c = cap * 2;
    const grow = <T extends Float64Array | Uint8Array | Int32Array | Uint32Array>(a: T, make: (n: number) => T): T => {
      const b = make(c);
      b.set(a);
      return b;
    };
    seqs = grow(seqs, (n) => new Float64Array(n));
    kinds = grow(kinds, (n) => new Uint8Array(n));
    slabOf = grow(slabOf, (n) => new Int32Array(n));
    offOf = grow(offOf, (n) => new Int32Array(n));
    keyLen = grow(keyLen, (n) => new Int32Array(n));
    valLen = grow(valLen, (n) => new Int32Array(n));
    w0 = grow(w0, (n) => new Uint32Array(n));
    w1 = grow(w1, (n) => new Uint32Array(n));
    w2 = grow(w2, (n) => new Uint32Array(n));
    hashOf = grow(hashOf, (n) => new Int32Array(n));
    prevOf = grow(prevOf, (n) => new Int32Array(n));
    linkAt = grow(linkAt, (n) => new Int32Array(n));
    cap = c;
  };

  /** Doubles the hash table (kept at most half full). */
  const growSlots = (): void => {
    const old = slots;
    slots = new Int32Array(old.length * 2);
    slotMask = slots.length - 1;
    for (let i = 0; i < old.length; i++) {
      const x = old[i]!;
      if (x === NIL) continue;
      let j = hashOf[x]! & slotMask;
      while (slots[j] !== NIL) j = (j + 1) & slotMask;
      slots[j] = x;
    }
  };

  /** Slot of `key` (words in t0..t2, hash h): the slot holding its newest version, or the empty slot where it would go. */
  const slotOf = (key: Uint8Array, h: number): number => {
    let j = h & slotMask;
    for (;;) {
      const x = slots[j]!;
      if (x === NIL || (hashOf[x] === h && sameKey(x, key))) return j;
      j = (j + 1) & slotMask;
    }
  };

  /** Copies key ‖ value into a slab; sets slabOf/offOf of node i. */
  const store = (i: number, key: Uint8Array, value: Uint8Array | null): void => {
    const kl = key.length;
    const vl = value === null ? 0 : value.length;
    const need = kl + vl;
    let s: Uint8Array;
    let o: number;
    if (need >= OWN_SLAB_BYTES) {
      s = new Uint8Array(need);
      slabs.push(s);
      slabOf[i] = slabs.length - 1;
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
      slabOf[i] = slabIndex;
    }
    offOf[i] = o;
    if (kl <= 32) for (let j = 0; j < kl; j++) s[o + j] = key[j]!;
    else s.set(key, o);
    if (value !== null) {
      if (vl <= 32) for (let j = 0; j < vl; j++) s[o + kl + j] = value[j]!;
      else s.set(value, o + kl);
    }
  };

  const keyView = (x: number): Uint8Array => {
    const o = offOf[x]!;
    return slabs[slabOf[x]!]!.subarray(o, o + keyLen[x]!);
  };
  const valueView = (x: number): Uint8Array => {
    const o = offOf[x]! + keyLen[x]!;
    return slabs[slabOf[x]!]!.subarray(o, o + valLen[x]!);
  };
  const next0 = (x: number): number => links[linkAt[x]!]!;

  // The head: links[0 .. MAX_HEIGHT) all NIL, linkAt[0] = 0.
  links.fill(NIL, 0, MAX_HEIGHT);

  const memtable: Memtable = {
    add(key, seqNum, value) {
      setTarget(key);
      let pred: number;
      if (tail !== NIL && cmpNode(tail, key, seqNum) < 0) {
        // Ascending append: the predecessor on every level is that level's last node.
        for (let l = 0; l < height; l++) update[l] = lastAt[l]!;
        pred = tail;
      } else {
        pred = findPredecessors(key, seqNum, true);
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
      if (nodes === cap) growNodes();
      if (linksUsed + h > links.length) {
        const b = new Int32Array(links.length * 2);
        b.set(links);
        links = b;
      }
      const x = nodes++;
      seqs[x] = seqNum;
      kinds[x] = value === null ? KIND_TOMBSTONE : KIND_PUT;
      keyLen[x] = key.length;
      valLen[x] = value === null ? 0 : value.length;
      w0[x] = t0;
      w1[x] = t1;
      w2[x] = t2;
      store(x, key, value);
      const base = linksUsed;
      linksUsed += h;
      linkAt[x] = base;
      for (let l = 0; l < h; l++) {
        const u = update[l]!;
        const ul = linkAt[u]! + l;
        const n = links[ul]!;
        links[base + l] = n;
        links[ul] = x;
        if (n === NIL) lastAt[l] = x;
      }
      prevOf[x] = pred;
      if (at !== NIL) prevOf[at] = x;
      else tail = x;
      // Hash table: the node is the key's newest version unless a newer one exists.
      const hash = hashKey(key);
      hashOf[x] = hash;
      const j = slotOf(key, hash);
      const old = slots[j]!;
      if (old === NIL) {
        slots[j] = x;
        if (++distinctKeys * 2 > slots.length) growSlots();
      } else if (seqs[old]! < seqNum) {
        slots[j] = x;
      }
      bytes += key.length + valLen[x]! + ENTRY_OVERHEAD_BYTES;
    },
    get(key, snapshotSeq) {
      setTarget(key);
      let x = slots[slotOf(key, hashKey(key))]!;
      // Versions of one key follow the newest in the list, newer first.
      while (x !== NIL && seqs[x]! > snapshotSeq) {
        x = next0(x);
        if (x !== NIL && !sameKey(x, key)) x = NIL;
      }
      if (x === NIL) return undefined;
      return { value: kinds[x] === KIND_TOMBSTONE ? null : valueView(x), seqNum: seqs[x]! };
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
        prev: () => void (at = prevOf[need()]!),
        key: () => {
          const x = need();
          if (viewOf !== x || view === null) {
            view = keyView(x);
            viewOf = x;
          }
          return view;
        },
        seqNum: () => seqs[need()]!,
        kind: () => kinds[need()] as EntryKind,
        value: () => valueView(need()),
        close: () => void (at = NIL),
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
