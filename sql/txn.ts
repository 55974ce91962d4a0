/**
 * The transaction overlay: every write of a transaction lands in an ordered
 * in-memory map merged over the engine for reads; COMMIT turns the map into
 * one engine WriteBatch, which the engine applies atomically. Nothing reaches
 * the engine before COMMIT, so ROLLBACK is dropping the map.
 *
 * Marks (statement savepoints, SAVEPOINT / ROLLBACK TO) are positions in an
 * undo log: rolling back to a mark restores every key written since, so a
 * failing statement leaves nothing behind.
 *
 * Keys are held as "binary strings" (one UTF-16 code unit per byte, 0-255):
 * JavaScript compares such strings exactly as memcmp compares the bytes, so
 * the native `<` orders them and a `Map` indexes them.
 *
 * A cursor over the overlay is valid while the overlay is not written to; the
 * executor materialises the rows an UPDATE or DELETE touches before writing.
 */
import { createWriteBatch, type Engine, type EngineIterator, type Snapshot, type WriteBatch } from '../engine/engine.ts';
import { createTempStore, isTempKey, type TempStore } from './temp-store.ts';

/** Reused argument list for short keys (one flat string instead of a chain of concatenations). */
const binScratch: number[] = [];

/** isTempKey for a key held as a binary string (sql/temp-store.ts). */
function isTempBin(k: string): boolean {
  return k.charCodeAt(0) >= 0x80 || (k.length >= 9 && k.charCodeAt(0) === 0 && k.charCodeAt(1) === 0 && k.charCodeAt(2) === 0 && k.charCodeAt(3) === 0 && k.charCodeAt(4) === 0x51 && k.charCodeAt(5) >= 0x80);
}

/** Converts key bytes to a binary string whose code-unit order is the byte order. */
export function bytesToBin(b: Uint8Array): string {
  const n = b.length;
  if (n <= 64) {
    const a = binScratch;
    a.length = n;
    for (let i = 0; i < n; i++) a[i] = b[i]!;
    return String.fromCharCode.apply(null, a);
  }
  let s = '';
  for (let i = 0; i < n; i += 4096) {
    s += String.fromCharCode.apply(null, b.subarray(i, Math.min(n, i + 4096)) as unknown as number[]);
  }
  return s;
}

/** Inverse of bytesToBin. Returns a new array. */
export function binToBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/**
 * What the overlay holds for a key: the value, or null when the key was
 * deleted in this transaction. The key bytes are not kept (they are the map's
 * string key; binToBytes recovers them), so each write retains one object less.
 */
type OverlayEntry = Uint8Array | null;

const CHUNK_MAX = 512;

/**
 * An ordered set of binary strings held as a list of sorted chunks (cheap
 * inserts anywhere). Added keys wait unsorted in `pending` until the order is
 * first needed (range or remove), so a transaction that only writes (a bulk
 * load) never pays for ordering; the caller never adds a key already present.
 */
class SortedKeys {
  private chunks: string[][] = [];
  private pending: string[] = [];

  /** Index of the first chunk whose last key is >= k (chunks.length when none). */
  private chunkFor(k: string): number {
    const cs = this.chunks;
    let lo = 0;
    let hi = cs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = cs[mid]!;
      if (c[c.length - 1]! < k) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  add(k: string): void {
    this.pending.push(k);
  }

  /** Moves the pending keys into the sorted chunks. */
  private settle(): void {
    const p = this.pending;
    if (p.length === 0) return;
    this.pending = [];
    p.sort();
    const cs = this.chunks;
    let i = 0;
    // Keys past every sorted key (ascending rowids, a bulk load) fill whole chunks at the end.
    const last = cs.length === 0 ? null : cs[cs.length - 1]!;
    if (last === null || last[last.length - 1]! < p[0]!) {
      if (last !== null && last.length < CHUNK_MAX) {
        const room = Math.min(CHUNK_MAX - last.length, p.length);
        for (; i < room; i++) last.push(p[i]!);
      }
      for (; i < p.length; i += CHUNK_MAX) cs.push(p.slice(i, i + CHUNK_MAX));
      return;
    }
    for (; i < p.length; i++) this.insert(p[i]!);
  }

  private insert(k: string): void {
    const cs = this.chunks;
    let ci = this.chunkFor(k);
    if (ci === cs.length) {
      ci--;
      const c = cs[ci]!;
      c.push(k);
      if (c.length > CHUNK_MAX) cs.splice(ci + 1, 0, c.splice(c.length >>> 1));
      return;
    }
    const c = cs[ci]!;
    const i = lowerBound(c, k);
    c.splice(i, 0, k);
    if (c.length > CHUNK_MAX) cs.splice(ci + 1, 0, c.splice(c.length >>> 1));
  }

  remove(k: string): void {
    this.settle();
    const cs = this.chunks;
    const ci = this.chunkFor(k);
    const c = cs[ci];
    if (c === undefined) return;
    const i = lowerBound(c, k);
    if (c[i] !== k) return;
    c.splice(i, 1);
    if (c.length === 0) cs.splice(ci, 1);
  }

  clear(): void {
    this.chunks = [];
    this.pending = [];
  }

  /** Keys in [lo, hi) (either bound optional), ascending or descending, as an array snapshot. */
  range(lo: string | undefined, hi: string | undefined, reverse: boolean): string[] {
    this.settle();
    const out: string[] = [];
    const cs = this.chunks;
    let ci = lo === undefined ? 0 : this.chunkFor(lo);
    let i = lo === undefined || ci >= cs.length ? 0 : lowerBound(cs[ci]!, lo);
    for (; ci < cs.length; ci++, i = 0) {
      const c = cs[ci]!;
      for (; i < c.length; i++) {
        const k = c[i]!;
        if (hi !== undefined && k >= hi) {
          ci = cs.length;
          break;
        }
        out.push(k);
      }
    }
    if (reverse) out.reverse();
    return out;
  }
}

function lowerBound(a: readonly string[], k: string): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < k) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A forward or reverse cursor over live entries. key()/value() are valid until next(). */
export interface KvCursor {
  next(): boolean;
  key(): Uint8Array;
  value(): Uint8Array;
  close(): void;
}

/** Bytes per arena slab: values up to a quarter of it are carved from a shared slab. */
const SLAB_BYTES = 64 * 1024;

/** Reads (merged with the overlay) and buffered writes of one transaction. */
export class Overlay {
  private slab = new Uint8Array(0);
  private slabUsed = 0;

  /**
   * Returns `byteLength` fresh bytes for a value the caller is about to put:
   * small values are views into a shared slab, so buffering a row does not
   * allocate a buffer of its own. Slab bytes are handed out once and never
   * reused (a view stays valid and unshared for as long as anyone holds it).
   */
  readonly alloc = (byteLength: number): Uint8Array => {
    if (byteLength > SLAB_BYTES >>> 2) return new Uint8Array(byteLength);
    let used = this.slabUsed;
    if (used + byteLength > this.slab.length) {
      this.slab = new Uint8Array(SLAB_BYTES);
      used = 0;
    }
    this.slabUsed = used + byteLength;
    return this.slab.subarray(used, used + byteLength);
  };

  private readonly map = new Map<string, OverlayEntry>();
  private readonly keys = new SortedKeys();
  /**
   * Undo log, flat pairs: key string, then its previous entry (undefined:
   * absent before). Kept only while a mark exists.
   */
  private undo: (string | OverlayEntry | undefined)[] = [];
  private marks = 0;

  /** What engine reads go through: the read transaction's snapshot (sql/connections.ts), or undefined for the newest data. */
  private readOpt: { snapshot: Snapshot } | undefined = undefined;
  /** Whether a write reached this overlay since it was last emptied (onFirstWrite ran). */
  private writing = false;
  /** Called before the first write after the overlay was emptied: takes the write slot (may throw; nothing is written then). */
  onFirstWrite: (() => void) | null = null;
  /** Commits of this overlay to the engine so far (an index scan open across one may find its rows gone, sql/exec.ts). */
  commitCount = 0;
  /** Called (once, then cleared) before the next read of the engine: the read transaction's snapshot point (sql/connections.ts). */
  onFirstRead: (() => void) | null = null;

  /** A read of the database that the catalog answers from memory (the schema table): it counts as one. */
  noteRead(): void {
    if (this.onFirstRead !== null) this.fireFirstRead();
  }

  private fireFirstRead(): void {
    const f = this.onFirstRead!;
    this.onFirstRead = null;
    f();
  }

  /** Reads of the engine go through `snap` from now on (null: the newest data). */
  setSnapshot(snap: Snapshot | null): void {
    this.readOpt = snap === null ? undefined : { snapshot: snap };
  }

  /** `temp` holds the TEMP objects' keys (sql/temp-store.ts): reads, scans and commits of such keys go there, never to the engine. */
  constructor(
    private readonly engine: Engine,
    private readonly temp: TempStore = createTempStore(),
  ) {}

  /** Drops the TEMP objects' rows (the session closes). */
  closeTemp(): void {
    this.temp.close();
  }

  get size(): number {
    return this.map.size;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    if (this.map.size > 0) {
      const e = this.map.get(bytesToBin(key));
      if (e !== undefined) return e ?? undefined;
    }
    if (isTempKey(key)) return this.temp.get(key);
    if (this.onFirstRead !== null) this.fireFirstRead();
    return this.engine.get(key, this.readOpt);
  }

  /** get() for a caller that already holds `k` = bytesToBin(key) (e.g. to put the same key next). */
  getBin(key: Uint8Array, k: string): Uint8Array | undefined {
    if (this.map.size > 0) {
      const e = this.map.get(k);
      if (e !== undefined) return e ?? undefined;
    }
    if (isTempKey(key)) return this.temp.get(key);
    if (this.onFirstRead !== null) this.fireFirstRead();
    return this.engine.get(key, this.readOpt);
  }

  /** Buffers `key` → `value`. The overlay keeps `value`: the caller must not modify it afterwards. */
  put(key: Uint8Array, value: Uint8Array): void {
    this.write(bytesToBin(key), value);
  }

  /** put() of the key whose bytesToBin string is `k` (already computed by the caller). */
  putBin(k: string, value: Uint8Array): void {
    this.write(k, value);
  }

  delete(key: Uint8Array): void {
    this.write(bytesToBin(key), null);
  }

  private write(k: string, value: Uint8Array | null): void {
    // The first write of a main-database key takes the write slot; TEMP keys are the handle's own.
    if (!this.writing && !isTempBin(k)) {
      this.onFirstWrite?.();
      this.writing = true;
    }
    const prev = this.map.get(k);
    if (prev === undefined) this.keys.add(k);
    if (this.marks > 0) this.undo.push(k, prev);
    this.map.set(k, value);
  }

  /** Starts a mark; returns its id for rollbackTo / release. */
  mark(): number {
    this.marks++;
    return this.undo.length;
  }

  /** Undoes every write since the mark (the mark stays active until released). */
  rollbackTo(mark: number): void {
    const u = this.undo;
    while (u.length > mark) {
      const prev = u.pop() as OverlayEntry | undefined;
      const k = u.pop() as string;
      if (prev === undefined) {
        this.map.delete(k);
        this.keys.remove(k);
      } else this.map.set(k, prev);
    }
  }

  /** Ends a mark, keeping its writes. */
  release(): void {
    if (this.marks > 0) this.marks--;
    if (this.marks === 0 && this.undo.length > 0) this.undo.length = 0;
  }

  /** Applies every buffered write as one atomic engine batch and empties the overlay. */
  commit(): void {
    if (this.map.size > 0) {
      const batch = createWriteBatch();
      let tempBatch: WriteBatch | null = null;
      // The batch copies keys and values, so each key is decoded into a reused array of its length.
      const scratch: Uint8Array[] = [];
      for (const [k, v] of this.map) {
        if (isTempBin(k)) {
          tempBatch ??= createWriteBatch();
          if (v === null) tempBatch.delete(binToBytes(k));
          else tempBatch.put(binToBytes(k), v);
          continue;
        }
        const n = k.length;
        let key = n < 256 ? scratch[n] : undefined;
        if (key === undefined) {
          key = new Uint8Array(n);
          if (n < 256) scratch[n] = key;
        }
        for (let i = 0; i < n; i++) key[i] = k.charCodeAt(i);
        if (v === null) batch.delete(key);
        else batch.put(key, v);
      }
      // TEMP rows first: they live only as long as the session, the main batch is the durable commit.
      if (tempBatch !== null) this.temp.write(tempBatch);
      if (batch.count > 0) {
        this.engine.write(batch);
        this.commitCount++;
      }
    }
    this.clear();
  }

  clear(): void {
    this.writing = false;
    if (this.map.size > 0) {
      this.map.clear();
      this.keys.clear();
    }
    if (this.undo.length > 0) this.undo.length = 0;
    this.marks = 0;
  }

  /** Live entries with lo <= key < hi, merged from the overlay and the engine. */
  scan(lo: Uint8Array, hi: Uint8Array, reverse = false): KvCursor {
    const src = isTempKey(lo) ? this.temp : this.engine;
    if (src === this.engine && this.onFirstRead !== null) this.fireFirstRead();
    const snap = src === this.engine ? this.readOpt : undefined;
    const eng = src.iterator(reverse ? { gte: lo, lt: hi, reverse: true, ...snap } : { gte: lo, lt: hi, ...snap });
    if (this.map.size === 0) return engineCursor(eng);
    const over = this.keys.range(bytesToBin(lo), bytesToBin(hi), reverse);
    if (over.length === 0) return engineCursor(eng);
    return mergeCursor(eng, over, this.map, reverse);
  }
}

/** An engine iterator is already a KvCursor (same methods, same validity): no wrapper call per entry. */
function engineCursor(it: EngineIterator): KvCursor {
  return it;
}

function mergeCursor(eng: EngineIterator, over: string[], map: Map<string, OverlayEntry>, reverse: boolean): KvCursor {
  let engHas = eng.next();
  let engKey = engHas ? bytesToBin(eng.key()) : '';
  let oi = 0;
  let curKey: Uint8Array = new Uint8Array(0);
  let curVal: Uint8Array = new Uint8Array(0);
  const advanceEng = (): void => {
    engHas = eng.next();
    engKey = engHas ? bytesToBin(eng.key()) : '';
  };
  return {
    next(): boolean {
      for (;;) {
        const overHas = oi < over.length;
        if (!overHas && !engHas) return false;
        let takeOver: boolean;
        if (!overHas) takeOver = false;
        else if (!engHas) takeOver = true;
        else {
          const ok = over[oi]!;
          if (ok === engKey) {
            advanceEng();
            takeOver = true;
          } else takeOver = reverse ? ok > engKey : ok < engKey;
        }
        if (takeOver) {
          const k = over[oi++]!;
          const v = map.get(k)!;
          if (v === null) continue;
          curKey = binToBytes(k);
          curVal = v;
          return true;
        }
        curKey = eng.key().slice();
        curVal = eng.value().slice();
        advanceEng();
        return true;
      }
    },
    key: () => curKey,
    value: () => curVal,
    close: () => eng.close(),
  };
}
