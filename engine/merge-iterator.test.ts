import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { compareBytes, toHex } from '../format/bytes.ts';
import { compareInternal, KIND_PUT, KIND_TOMBSTONE, type EntryKind } from '../format/sstable-block.ts';
import { createArrayCursor, createLevelCursor, createMergingCursor, createUserIterator, type ArrayEntry, type InternalCursor } from './merge-iterator.ts';
import { createMemtable } from './memtable.ts';

const sortInternal = (es: ArrayEntry[]): ArrayEntry[] => es.sort((a, b) => compareInternal(a.key, a.seqNum, b.key, b.seqNum));

/** Random history: each write gets a unique seq; spread over `k` sources. */
const historyArb = fc.record({
  writes: fc.array(fc.record({ key: fc.uint8Array({ minLength: 0, maxLength: 3, max: 4 }), del: fc.boolean(), value: fc.uint8Array({ maxLength: 4 }), src: fc.nat(3) }), { maxLength: 60 }),
  snap: fc.nat(70),
  bounds: fc.record({
    lo: fc.option(fc.record({ key: fc.uint8Array({ maxLength: 2, max: 4 }), incl: fc.boolean() }), { nil: undefined }),
    hi: fc.option(fc.record({ key: fc.uint8Array({ maxLength: 2, max: 4 }), incl: fc.boolean() }), { nil: undefined }),
  }),
  reverse: fc.boolean(),
  seekTo: fc.option(fc.uint8Array({ maxLength: 2, max: 4 }), { nil: undefined }),
  levelSplit: fc.boolean(),
});

function sources(writes: { key: Uint8Array; del: boolean; value: Uint8Array; src: number }[], levelSplit: boolean): InternalCursor[] {
  const per: ArrayEntry[][] = [[], [], [], []];
  writes.forEach((w, i) => per[w.src]!.push({ key: w.key, seqNum: i + 1, kind: (w.del ? KIND_TOMBSTONE : KIND_PUT) as EntryKind, value: w.del ? new Uint8Array() : w.value }));
  return per.map((es, i) => {
    sortInternal(es);
    if (!(levelSplit && i === 3) || es.length < 2) return createArrayCursor(es);
    // Split source 3 into "tables" at user-key boundaries, like a level.
    const tables: ArrayEntry[][] = [];
    for (const e of es) {
      const last = tables[tables.length - 1];
      if (last && compareBytes(last[last.length - 1]!.key, e.key) === 0) last.push(e);
      else if (last && last.length < 2) last.push(e);
      else tables.push([e]);
    }
    const ranges = tables.map((t) => ({ smallestKey: t[0]!.key, smallestSeq: t[0]!.seqNum, largestKey: t[t.length - 1]!.key, largestSeq: t[t.length - 1]!.seqNum }));
    return createLevelCursor(ranges, (j) => createArrayCursor(tables[j]!));
  });
}

type History = typeof historyArb extends fc.Arbitrary<infer T> ? T : never;

function model(h: History): string[] {
  const m = new Map<string, string | null>();
  h.writes.forEach((w, i) => {
    if (i + 1 <= h.snap) m.set(toHex(w.key), w.del ? null : toHex(w.value));
  });
  let keys = [...m.keys()].filter((k) => m.get(k) !== null).sort();
  const { lo, hi } = h.bounds;
  if (lo) keys = keys.filter((k) => (lo.incl ? k >= toHex(lo.key) : k > toHex(lo.key)));
  if (hi) keys = keys.filter((k) => (hi.incl ? k <= toHex(hi.key) : k < toHex(hi.key)));
  if (h.reverse) keys.reverse();
  if (h.seekTo) {
    const t = toHex(h.seekTo);
    keys = keys.filter((k) => (h.reverse ? k <= t : k >= t));
  }
  return keys.map((k) => `${k}=${m.get(k)}`);
}

test('the user iterator returns exactly the live entries of a snapshot, in either direction, within bounds, after seek', () => {
  fc.assert(
    fc.property(historyArb, (h) => {
      const it = createUserIterator(createMergingCursor(sources(h.writes, h.levelSplit)), {
        snapshotSeq: h.snap,
        reverse: h.reverse,
        ...(h.bounds.lo ? (h.bounds.lo.incl ? { gte: h.bounds.lo.key } : { gt: h.bounds.lo.key }) : {}),
        ...(h.bounds.hi ? (h.bounds.hi.incl ? { lte: h.bounds.hi.key } : { lt: h.bounds.hi.key }) : {}),
      });
      if (h.seekTo) it.seek(h.seekTo);
      const got: string[] = [];
      while (it.next()) got.push(`${toHex(it.key())}=${toHex(it.value())}`);
      assert.not.ok(it.next());
      it.close();
      assert.equal(got, model(h));
    }),
    { numRuns: 400 },
  );
});

test('over a lone memtable (keys kept uncopied) the user iterator returns exactly the live entries of a snapshot', () => {
  fc.assert(
    fc.property(historyArb, (h) => {
      const m = createMemtable();
      h.writes.forEach((w, i) => m.add(w.key, i + 1, w.del ? null : w.value));
      const it = createUserIterator(createMergingCursor([m.cursor()]), {
        snapshotSeq: h.snap,
        reverse: h.reverse,
        ...(h.bounds.lo ? (h.bounds.lo.incl ? { gte: h.bounds.lo.key } : { gt: h.bounds.lo.key }) : {}),
        ...(h.bounds.hi ? (h.bounds.hi.incl ? { lte: h.bounds.hi.key } : { lt: h.bounds.hi.key }) : {}),
      });
      if (h.seekTo) it.seek(h.seekTo);
      const got: string[] = [];
      while (it.next()) got.push(`${toHex(it.key())}=${toHex(it.value())}`);
      it.close();
      assert.equal(got, model(h));
    }),
    { numRuns: 300 },
  );
});

test('the merging cursor walks the union of its sources in internal order, switching direction anywhere', () => {
  fc.assert(
    fc.property(historyArb, fc.array(fc.boolean(), { maxLength: 80 }), (h, moves) => {
      const all: ArrayEntry[] = sortInternal(h.writes.map((w, i) => ({ key: w.key, seqNum: i + 1, kind: (w.del ? 0 : 1) as EntryKind, value: w.value })));
      const m = createMergingCursor(sources(h.writes, h.levelSplit));
      m.seekToFirst();
      let pos = 0;
      for (const fwd of moves) {
        if (pos < 0 || pos >= all.length) break;
        assert.ok(m.valid());
        assert.is(m.seqNum(), all[pos]!.seqNum);
        if (fwd) {
          m.next();
          pos++;
        } else {
          m.prev();
          pos--;
        }
      }
      assert.is(m.valid(), pos >= 0 && pos < all.length);
      m.close();
    }),
    { numRuns: 300 },
  );
});

test('an entry present in several sources is yielded once, in either direction', () => {
  const es: ArrayEntry[] = sortInternal([1, 2, 3, 4, 5].map((i) => ({ key: new Uint8Array([i]), seqNum: 10 - i, kind: KIND_PUT as EntryKind, value: new Uint8Array([i]) })));
  const m = createMergingCursor([createArrayCursor(es), createArrayCursor(es.slice(1)), createArrayCursor(es)]);
  const fwd: number[] = [];
  for (m.seekToFirst(); m.valid(); m.next()) fwd.push(m.key()[0]!);
  assert.equal(fwd, [1, 2, 3, 4, 5]);
  const back: number[] = [];
  for (m.seekToLast(); m.valid(); m.prev()) back.push(m.key()[0]!);
  assert.equal(back, [5, 4, 3, 2, 1]);
  const zig: number[] = [];
  m.seek(new Uint8Array([3]), 100);
  zig.push(m.key()[0]!);
  m.next();
  zig.push(m.key()[0]!);
  m.prev();
  zig.push(m.key()[0]!);
  m.prev();
  zig.push(m.key()[0]!);
  m.next();
  zig.push(m.key()[0]!);
  assert.equal(zig, [3, 4, 3, 2, 3]);
});

test('iterator bounds reject gte with gt and lte with lt', () => {
  assert.throws(() => createUserIterator(createArrayCursor([]), { gte: new Uint8Array(1), gt: new Uint8Array(1) }), (e: { code: string }) => e.code === 'INVALID_ARGUMENT');
  assert.throws(() => createUserIterator(createArrayCursor([]), { lte: new Uint8Array(1), lt: new Uint8Array(1) }), (e: { code: string }) => e.code === 'INVALID_ARGUMENT');
});

test('a closed user iterator throws CLOSED and closes its source once', () => {
  let closes = 0;
  const src = createArrayCursor([]);
  const it = createUserIterator({ ...src, close: () => void closes++ });
  it.close();
  it.close();
  assert.is(closes, 1);
  assert.throws(() => it.next(), (e: { code: string }) => e.code === 'CLOSED');
});

test.run();
