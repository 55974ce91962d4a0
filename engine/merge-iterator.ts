/**
 * Iterators that compose the memtable and every table of every level into
 * one view:
 *
 *   InternalCursor   one sorted source of internal keys (a memtable, a table, a level)
 *   createMergingCursor   k sources → one sorted stream of internal keys
 *   createLevelCursor     non-overlapping tables of a level, opened lazily
 *   createUserIterator    internal stream → live user entries at a snapshot,
 *                         bounds, forward or reverse, seek (the EngineIterator contract)
 *
 * Internal order: user key ascending, then seqNum descending (newest first),
 * see format/sstable-block.ts. A (userKey, seqNum) pair appears at most once
 * across the sources of one read; duplicates are tolerated (skipped) anyway.
 */
import { compareBytes, equalBytes } from '../format/bytes.ts';
import { HeliosError } from '../format/errors.ts';
import { compareInternal, KIND_TOMBSTONE, MAX_SEQ, type BlockCursor, type EntryKind } from '../format/sstable-block.ts';

/**
 * A bidirectional cursor over internal keys. key()/value() are views valid
 * until the next move of this cursor; callers copy what they keep. Calling
 * key()/value()/next()/prev() when !valid() is a bug of the caller.
 */
export interface InternalCursor extends BlockCursor {
  /** Releases what the cursor holds (table handles, pinned blocks). Idempotent. */
  close(): void;
  /**
   * True when every key() view stays valid and unchanged while the source
   * that made it is reachable (a memtable's slabs), so a reader may keep it
   * past the next move instead of copying it. Absent means false.
   */
  readonly stableKeys?: boolean;
}

/** An InternalCursor over an in-memory sorted array; used by tests and small sources. */
export interface ArrayEntry {
  readonly key: Uint8Array;
  readonly seqNum: number;
  readonly kind: EntryKind;
  readonly value: Uint8Array;
}

/** `entries` must be sorted in internal order (checked). The array is not copied. */
export function createArrayCursor(entries: readonly ArrayEntry[]): InternalCursor {
  for (let i = 1; i < entries.length; i++) {
    const a = entries[i - 1]!;
    const b = entries[i]!;
    if (compareInternal(a.key, a.seqNum, b.key, b.seqNum) >= 0) throw new HeliosError('INTERNAL', 'array cursor entries are not sorted');
  }
  let i = entries.length;
  const cur = (): ArrayEntry => entries[i]!;
  return {
    valid: () => i >= 0 && i < entries.length,
    seekToFirst: () => void (i = 0),
    seekToLast: () => void (i = entries.length - 1),
    seek(userKey, seqNum) {
      let lo = 0;
      let hi = entries.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        const e = entries[mid]!;
        if (compareInternal(e.key, e.seqNum, userKey, seqNum) < 0) lo = mid + 1;
        else hi = mid;
      }
      i = lo;
    },
    next: () => void (i = i + 1 > entries.length ? entries.length : i + 1),
    prev: () => void (i = i - 1),
    key: () => cur().key,
    seqNum: () => cur().seqNum,
    kind: () => cur().kind,
    value: () => cur().value,
    close: () => undefined,
  };
}

/**
 * Merges k cursors. Closing the merged cursor closes every child. With
 * k = 1 the child itself is returned.
 * Cost per step is O(k) comparisons; k is the memtable(s) + L0 tables + one
 * level cursor per deeper level, so it stays small. Each child's key and
 * seqNum are read once per move of that child and kept (a key view stays
 * valid until its cursor moves), so a step asks only the child that moved.
 */
export function createMergingCursor(children: readonly InternalCursor[]): InternalCursor {
  // One source (a memtable alone, a single level) is its own merge: no compare or refresh per step.
  if (children.length === 1) return children[0]!;
  const n = children.length;
  /** Key of child i at its position, null when it is not valid. */
  const keys: (Uint8Array | null)[] = new Array<Uint8Array | null>(n).fill(null);
  const seqs: number[] = new Array<number>(n).fill(0);
  /** Index of the child at the current entry, -1 when not valid. */
  let current = -1;
  let forward = true;
  let closed = false;

  const refresh = (i: number): void => {
    const c = children[i]!;
    if (c.valid()) {
      keys[i] = c.key();
      seqs[i] = c.seqNum();
    } else {
      keys[i] = null;
    }
  };
  const refreshAll = (): void => {
    for (let i = 0; i < n; i++) refresh(i);
  };

  /**
   * Picks the child at the smallest entry (largest when `sign` is -1). A
   * child positioned on the same internal key as the pick so far is a
   * duplicate and steps past it, so no entry is yielded twice and no key
   * needs copying on the hot path.
   */
  const pick = (sign: 1 | -1): void => {
    current = -1;
    for (let i = 0; i < n; i++) {
      for (;;) {
        const k = keys[i];
        if (k === null || k === undefined) break;
        if (current < 0) {
          current = i;
          break;
        }
        const d = compareInternal(k, seqs[i]!, keys[current]!, seqs[current]!) * sign;
        if (d < 0) current = i;
        else if (d === 0) {
          const c = children[i]!;
          if (sign === 1) c.next();
          else c.prev();
          refresh(i);
          continue;
        }
        break;
      }
    }
  };
  const need = (): InternalCursor => {
    if (current < 0) throw new HeliosError('INTERNAL', 'merging cursor used while not valid');
    return children[current]!;
  };

  return {
    valid: () => current >= 0,
    seekToFirst() {
      for (const c of children) c.seekToFirst();
      forward = true;
      refreshAll();
      pick(1);
    },
    seekToLast() {
      for (const c of children) c.seekToLast();
      forward = false;
      refreshAll();
      pick(-1);
    },
    seek(userKey, seqNum) {
      for (const c of children) c.seek(userKey, seqNum);
      forward = true;
      refreshAll();
      pick(1);
    },
    next() {
      const cur = need();
      if (!forward) {
        // Every other child moves to its first entry after the current key.
        const k = cur.key().slice();
        const s = cur.seqNum();
        for (const c of children) {
          if (c === cur) continue;
          c.seek(k, s);
          while (c.valid() && compareInternal(c.key(), c.seqNum(), k, s) <= 0) c.next();
        }
        forward = true;
        refreshAll();
      }
      cur.next();
      refresh(current);
      pick(1);
    },
    prev() {
      const cur = need();
      if (forward) {
        // Every other child moves to its last entry before the current key.
        const k = cur.key().slice();
        const s = cur.seqNum();
        for (const c of children) {
          if (c === cur) continue;
          c.seek(k, s);
          if (c.valid()) c.prev();
          else c.seekToLast();
          while (c.valid() && compareInternal(c.key(), c.seqNum(), k, s) >= 0) c.prev();
        }
        forward = false;
        refreshAll();
      }
      cur.prev();
      refresh(current);
      pick(-1);
    },
    key: () => {
      if (current < 0) need();
      return keys[current]!;
    },
    seqNum: () => {
      if (current < 0) need();
      return seqs[current]!;
    },
    kind: () => need().kind(),
    value: () => need().value(),
    close() {
      if (closed) return;
      closed = true;
      current = -1;
      for (const c of children) c.close();
    },
  };
}

/** Key range of one table of a level, in internal order. */
export interface TableRange {
  readonly smallestKey: Uint8Array;
  readonly smallestSeq: number;
  readonly largestKey: Uint8Array;
  readonly largestSeq: number;
}

/**
 * Concatenates the tables of one level (sorted, non-overlapping ranges),
 * opening a table's cursor only when the walk reaches it and closing it when
 * the walk leaves it.
 */
export function createLevelCursor(tables: readonly TableRange[], open: (i: number) => InternalCursor): InternalCursor {
  let idx = -1;
  let cur: InternalCursor | null = null;

  const use = (i: number): InternalCursor | null => {
    if (i === idx && cur) return cur;
    cur?.close();
    cur = null;
    idx = i;
    if (i < 0 || i >= tables.length) return null;
    cur = open(i);
    return cur;
  };
  const skipForward = (): void => {
    while (cur && !cur.valid()) {
      const c = use(idx + 1);
      c?.seekToFirst();
    }
  };
  const skipBackward = (): void => {
    while (cur && !cur.valid()) {
      const c = use(idx - 1);
      c?.seekToLast();
    }
  };
  const need = (): InternalCursor => {
    if (!cur || !cur.valid()) throw new HeliosError('INTERNAL', 'level cursor used while not valid');
    return cur;
  };

  return {
    valid: () => cur !== null && cur.valid(),
    seekToFirst() {
      use(0)?.seekToFirst();
      skipForward();
    },
    seekToLast() {
      use(tables.length - 1)?.seekToLast();
      skipBackward();
    },
    seek(userKey, seqNum) {
      // First table whose largest key >= target.
      let lo = 0;
      let hi = tables.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        const t = tables[mid]!;
        if (compareInternal(t.largestKey, t.largestSeq, userKey, seqNum) < 0) lo = mid + 1;
        else hi = mid;
      }
      use(lo)?.seek(userKey, seqNum);
      skipForward();
    },
    next() {
      need().next();
      skipForward();
    },
    prev() {
      need().prev();
      skipBackward();
    },
    key: () => need().key(),
    seqNum: () => need().seqNum(),
    kind: () => need().kind(),
    value: () => need().value(),
    close() {
      cur?.close();
      cur = null;
      idx = -1;
    },
  };
}

/** Options of a user-level iterator; bounds are user keys. */
export interface UserIteratorOptions {
  gte?: Uint8Array;
  gt?: Uint8Array;
  lte?: Uint8Array;
  lt?: Uint8Array;
  reverse?: boolean;
  /** Only entries with seqNum <= snapshotSeq are visible (default: all). */
  snapshotSeq?: number;
}

/** The EngineIterator contract (engine/engine.ts), implemented over an internal stream. */
export interface UserIterator {
  /** Advances to the next live entry; false at the end. Call once before the first key(). */
  next(): boolean;
  /** Valid until the next next()/seek(); callers copy what they keep. */
  key(): Uint8Array;
  value(): Uint8Array;
  /** The following next() lands on the first entry >= key (forward) / <= key (reverse), within bounds. */
  seek(key: Uint8Array): void;
  close(): void;
}

/** A growable scratch buffer that holds one copied key or value. */
function createScratch(): { set(b: Uint8Array): void; view(): Uint8Array } {
  let buf = new Uint8Array(64);
  let len = 0;
  return {
    set(b) {
      if (b.length > buf.length) buf = new Uint8Array(Math.max(b.length, buf.length * 2));
      buf.set(b);
      len = b.length;
    },
    view: () => buf.subarray(0, len),
  };
}

/**
 * Live entries of `source` as of `snapshotSeq`: for each user key the newest
 * version with seqNum <= snapshotSeq, skipped when it is a tombstone.
 * Takes ownership of `source` (closed by close()).
 */
export function createUserIterator(source: InternalCursor, options: UserIteratorOptions = {}): UserIterator {
  const snap = options.snapshotSeq ?? MAX_SEQ;
  const reverse = options.reverse === true;
  const lower = options.gte ?? options.gt;
  const lowerInclusive = options.gte !== undefined;
  const upper = options.lte ?? options.lt;
  const upperInclusive = options.lte !== undefined;
  if (options.gte && options.gt) throw new HeliosError('INVALID_ARGUMENT', 'iterator bounds: give gte or gt, not both');
  if (options.lte && options.lt) throw new HeliosError('INVALID_ARGUMENT', 'iterator bounds: give lte or lt, not both');

  const aboveLower = (k: Uint8Array): boolean => {
    if (!lower) return true;
    const c = compareBytes(k, lower);
    return lowerInclusive ? c >= 0 : c > 0;
  };
  const belowUpper = (k: Uint8Array): boolean => {
    if (!upper) return true;
    const c = compareBytes(k, upper);
    return upperInclusive ? c <= 0 : c < 0;
  };

  /** 'pending': the next next() positions at `target`; 'at': positioned; 'done': exhausted. */
  let state: 'pending' | 'at' | 'done' = 'pending';
  let target: Uint8Array | undefined; // user seek target, undefined = start of range
  let closed = false;
  const curKey = createScratch();
  const curValue = createScratch();
  /** Keys of `source` need no copy to outlive its next move (a lone memtable). */
  const stable = source.stableKeys === true;
  /** The current user key: a view of `curKey`, or the source's own view when `stable`. */
  let cur: Uint8Array = curKey.view();

  const checkOpen = (): void => {
    if (closed) throw new HeliosError('CLOSED', 'iterator is closed');
  };

  /** Forward: from the source position, the first live user key (source stays on it). */
  const findForward = (skip: Uint8Array | null): boolean => {
    while (source.valid()) {
      const k = source.key();
      if (skip !== null && equalBytes(k, skip)) {
        source.next();
        continue;
      }
      if (!belowUpper(k)) return false;
      if (source.seqNum() > snap || !aboveLower(k)) {
        source.next();
        continue;
      }
      if (source.kind() === KIND_TOMBSTONE) {
        if (stable) skip = k;
        else {
          curKey.set(k);
          skip = curKey.view();
        }
        source.next();
        continue;
      }
      if (stable) cur = k;
      else {
        curKey.set(k);
        cur = curKey.view();
      }
      return true;
    }
    return false;
  };

  /**
   * Reverse (LevelDB's FindPrevUserEntry): scans back through all versions of
   * a user key to find its newest visible one; leaves the source on the
   * previous user key and keeps copies of the result.
   */
  const findReverse = (): boolean => {
    let haveLive = false;
    while (source.valid()) {
      const k = source.key();
      if (haveLive && compareBytes(k, curKey.view()) < 0) break;
      if (!aboveLower(k)) break;
      if (source.seqNum() <= snap && belowUpper(k)) {
        if (source.kind() === KIND_TOMBSTONE) haveLive = false;
        else {
          curKey.set(k);
          curValue.set(source.value());
          haveLive = true;
        }
      }
      source.prev();
    }
    if (haveLive) cur = curKey.view();
    return haveLive;
  };

  const position = (): void => {
    if (!reverse) {
      let t = target;
      if (lower && (!t || compareBytes(t, lower) < 0)) t = lower;
      if (t) source.seek(t, MAX_SEQ);
      else source.seekToFirst();
    } else {
      let t = target;
      let inclusive = true;
      if (upper && (!t || compareBytes(t, upper) >= 0)) {
        t = upper;
        inclusive = upperInclusive;
      }
      if (!t) {
        source.seekToLast();
        return;
      }
      // Last entry <= (t, 0) when inclusive, or < (t, MAX_SEQ) when exclusive.
      const seq = inclusive ? 0 : MAX_SEQ;
      source.seek(t, seq);
      if (!source.valid()) source.seekToLast();
      else if (!(inclusive && compareInternal(source.key(), source.seqNum(), t, seq) === 0)) source.prev();
    }
  };

  return {
    next() {
      checkOpen();
      if (state === 'done') return false;
      let found: boolean;
      if (state === 'pending') {
        position();
        found = reverse ? findReverse() : findForward(null);
      } else {
        found = reverse ? findReverse() : findForward(cur);
      }
      state = found ? 'at' : 'done';
      return found;
    },
    key() {
      checkOpen();
      if (state !== 'at') throw new HeliosError('INVALID_ARGUMENT', 'iterator is not positioned on an entry');
      return cur;
    },
    value() {
      checkOpen();
      if (state !== 'at') throw new HeliosError('INVALID_ARGUMENT', 'iterator is not positioned on an entry');
      return reverse ? curValue.view() : source.value();
    },
    seek(key) {
      checkOpen();
      target = key.slice();
      state = 'pending';
    },
    close() {
      if (closed) return;
      closed = true;
      source.close();
    },
  };
}
