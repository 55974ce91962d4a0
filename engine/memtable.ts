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
 * Ownership: `add` keeps references to `key` and `value`; the caller must
 * not modify them afterwards (the engine passes views of the private
 * plaintext of a WAL record).
 */
import { HeliosError } from '../format/errors.ts';
import { compareInternal, KIND_PUT, KIND_TOMBSTONE, type EntryKind } from '../format/sstable-block.ts';
import type { InternalCursor } from './merge-iterator.ts';

const MAX_HEIGHT = 16;
/** Rough per-entry bookkeeping cost counted in approximateByteLength. */
const ENTRY_OVERHEAD_BYTES = 64;

interface Node {
  readonly key: Uint8Array;
  readonly seqNum: number;
  readonly kind: EntryKind;
  readonly value: Uint8Array;
  readonly next: (Node | null)[];
  prev: Node | null;
}

const EMPTY = new Uint8Array(0);

export interface MemtableGetResult {
  /** The newest version visible at the snapshot: a value, or null for a tombstone. */
  readonly value: Uint8Array | null;
  readonly seqNum: number;
}

export interface Memtable {
  /** Adds one version. (key, seqNum) must be new; seqNums of one key only grow in practice. */
  add(key: Uint8Array, seqNum: number, value: Uint8Array | null): void;
  /** The newest version of `key` with seqNum <= `snapshotSeq`, or undefined when there is none. */
  get(key: Uint8Array, snapshotSeq: number): MemtableGetResult | undefined;
  /** A cursor over every entry in internal order (see InternalCursor). */
  cursor(): InternalCursor;
  /** Number of entries (versions). */
  readonly entryCount: number;
  /** Approximate memory held, in bytes (keys + values + a fixed cost per entry). */
  readonly approximateByteLength: number;
}

export function createMemtable(random: () => number = Math.random): Memtable {
  const head: Node = { key: EMPTY, seqNum: 0, kind: KIND_TOMBSTONE, value: EMPTY, next: new Array<Node | null>(MAX_HEIGHT).fill(null), prev: null };
  let height = 1;
  let entryCount = 0;
  let bytes = 0;
  let tail: Node | null = null;
  const update: Node[] = new Array<Node>(MAX_HEIGHT).fill(head);

  const randomHeight = (): number => {
    let h = 1;
    while (h < MAX_HEIGHT && random() < 0.25) h++;
    return h;
  };

  /** Last node < (key, seq) on every level into `update`; returns the level-0 predecessor. */
  const findPredecessors = (key: Uint8Array, seqNum: number, fill: boolean): Node => {
    let x = head;
    for (let level = height - 1; level >= 0; level--) {
      for (;;) {
        const n = x.next[level]!;
        if (n === null || compareInternal(n.key, n.seqNum, key, seqNum) >= 0) break;
        x = n;
      }
      if (fill) update[level] = x;
    }
    return x;
  };

  /** First node >= (key, seq), or null. */
  const seekNode = (key: Uint8Array, seqNum: number): Node | null => findPredecessors(key, seqNum, false).next[0]!;

  const memtable: Memtable = {
    add(key, seqNum, value) {
      const pred = findPredecessors(key, seqNum, true);
      const at = pred.next[0]!;
      if (at !== null && compareInternal(at.key, at.seqNum, key, seqNum) === 0) {
        throw new HeliosError('INTERNAL', `memtable already holds seqNum ${seqNum} for this key`);
      }
      const h = randomHeight();
      if (h > height) {
        for (let l = height; l < h; l++) update[l] = head;
        height = h;
      }
      const node: Node = {
        key,
        seqNum,
        kind: value === null ? KIND_TOMBSTONE : KIND_PUT,
        value: value ?? EMPTY,
        next: new Array<Node | null>(h),
        prev: pred === head ? null : pred,
      };
      for (let l = 0; l < h; l++) {
        const u = update[l]!;
        node.next[l] = u.next[l]!;
        u.next[l] = node;
      }
      if (at !== null) at.prev = node;
      else tail = node;
      entryCount++;
      bytes += key.length + (value?.length ?? 0) + ENTRY_OVERHEAD_BYTES;
    },
    get(key, snapshotSeq) {
      const n = seekNode(key, snapshotSeq);
      if (n === null || n.key.length !== key.length || compareInternal(n.key, 0, key, 0) !== 0) return undefined;
      return { value: n.kind === KIND_TOMBSTONE ? null : n.value, seqNum: n.seqNum };
    },
    cursor() {
      let at: Node | null = null;
      const need = (): Node => {
        if (at === null) throw new HeliosError('INTERNAL', 'memtable cursor is not positioned');
        return at;
      };
      return {
        valid: () => at !== null,
        seekToFirst: () => void (at = head.next[0]!),
        seekToLast: () => void (at = tail),
        seek: (k, s) => void (at = seekNode(k, s)),
        next: () => void (at = need().next[0]!),
        prev: () => void (at = need().prev),
        key: () => need().key,
        seqNum: () => need().seqNum,
        kind: () => need().kind,
        value: () => need().value,
        close: () => void (at = null),
      };
    },
    get entryCount() {
      return entryCount;
    },
    get approximateByteLength() {
      return bytes;
    },
  };
  return memtable;
}
