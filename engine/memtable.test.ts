import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { createMemtable } from './memtable.ts';
import { compareInternal, KIND_PUT, KIND_TOMBSTONE } from '../format/sstable-block.ts';
import { toHex } from '../format/bytes.ts';
import { isHeliosError } from '../format/errors.ts';

const opArb = fc.tuple(fc.uint8Array({ maxLength: 3 }), fc.option(fc.uint8Array({ maxLength: 4 })));

test('the cursor yields every version in internal order (key ascending, seqNum descending), both ways', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 200 }), (ops) => {
      const m = createMemtable();
      const model = ops.map(([k, v], i) => ({ key: k, seq: i + 1, value: v }));
      for (const e of model) m.add(e.key, e.seq, e.value);
      model.sort((a, b) => compareInternal(a.key, a.seq, b.key, b.seq));
      const c = m.cursor();
      const fwd: string[] = [];
      for (c.seekToFirst(); c.valid(); c.next()) fwd.push(`${toHex(c.key())}/${c.seqNum()}/${c.kind()}/${toHex(c.value())}`);
      const expect = model.map((e) => `${toHex(e.key)}/${e.seq}/${e.value === null ? KIND_TOMBSTONE : KIND_PUT}/${toHex(e.value ?? new Uint8Array(0))}`);
      assert.equal(fwd, expect);
      const back: string[] = [];
      for (c.seekToLast(); c.valid(); c.prev()) back.push(`${toHex(c.key())}/${c.seqNum()}/${c.kind()}/${toHex(c.value())}`);
      assert.equal(back, [...expect].reverse());
      assert.is(m.entryCount, ops.length);
    }),
  );
});

test('get at a snapshot returns the newest version at or below it; seek finds the first entry >= target', () => {
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 1, maxLength: 100 }), fc.uint8Array({ maxLength: 3 }), fc.nat(120), (ops, probe, snap) => {
      const m = createMemtable();
      ops.forEach(([k, v], i) => m.add(k, i + 1, v));
      let expected: { value: string | null; seqNum: number } | undefined;
      ops.forEach(([k, v], i) => {
        if (toHex(k) === toHex(probe) && i + 1 <= snap) expected = { value: v === null ? null : toHex(v), seqNum: i + 1 };
      });
      const got = m.get(probe, snap);
      assert.equal(got === undefined ? undefined : { value: got.value === null ? null : toHex(got.value), seqNum: got.seqNum }, expected);
      const c = m.cursor();
      c.seek(probe, snap);
      const sorted = ops.map(([k], i) => ({ k, s: i + 1 })).sort((a, b) => compareInternal(a.k, a.s, b.k, b.s));
      const first = sorted.find((e) => compareInternal(e.k, e.s, probe, snap) >= 0);
      assert.is(c.valid(), first !== undefined);
      if (first) assert.equal([toHex(c.key()), c.seqNum()], [toHex(first.k), first.s]);
    }),
  );
});

test('ascending appends mixed with inserts keep list order, and point reads match the model at every snapshot', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ asc: fc.boolean(), k: fc.integer({ min: 0, max: 40 }), del: fc.boolean() }), { minLength: 1, maxLength: 120 }),
      fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 60 }),
      (ops, seqOrder) => {
        const m = createMemtable();
        let next = 1000;
        const entries: { k: Uint8Array; s: number; v: Uint8Array | null }[] = [];
        ops.forEach((op, i) => {
          // Ascending runs append keys above every key so far (the fast path); others land anywhere.
          const key = op.asc ? new Uint8Array([0xff, next >> 8, next++ & 0xff]) : new Uint8Array([op.k]);
          // seqNums are unique but not monotonic per key.
          const s = (seqOrder[i % seqOrder.length]! * 1000 + i) + 1;
          const v = op.del ? null : new Uint8Array([i & 0xff]);
          m.add(key, s, v);
          entries.push({ k: key, s, v });
        });
        const sorted = [...entries].sort((a, b) => compareInternal(a.k, a.s, b.k, b.s));
        const c = m.cursor();
        c.seekToFirst();
        for (const e of sorted) {
          assert.ok(c.valid());
          assert.equal([toHex(c.key()), c.seqNum()], [toHex(e.k), e.s]);
          c.next();
        }
        assert.is(c.valid(), false);
        const snaps = [0, ...entries.map((e) => e.s), Number.MAX_SAFE_INTEGER];
        for (const e of entries) {
          for (const snap of snaps) {
            const want = entries.filter((x) => toHex(x.k) === toHex(e.k) && x.s <= snap).sort((a, b) => b.s - a.s)[0];
            const got = m.get(e.k, snap);
            assert.equal(
              got === undefined ? undefined : [got.seqNum, got.value === null ? null : toHex(got.value)],
              want === undefined ? undefined : [want.s, want.v === null ? null : toHex(want.v)],
            );
          }
        }
      },
    ),
    { numRuns: 60 },
  );
});

test('adding the same (key, seqNum) twice is an INTERNAL error', () => {
  const m = createMemtable();
  m.add(new Uint8Array([1]), 5, null);
  try {
    m.add(new Uint8Array([1]), 5, new Uint8Array([2]));
    assert.unreachable();
  } catch (e) {
    assert.ok(isHeliosError(e, 'INTERNAL'));
  }
});

test.run();
