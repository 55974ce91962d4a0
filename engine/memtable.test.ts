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

// Keys up to 20 bytes over {00, 01, ff}: many share their first 12 bytes (compared as
// words) and differ only later, or only in length ("01" vs "01 00"); values cross slab
// boundaries and some need a slab of their own; enough entries to regrow every array.
const longKeyArb = fc.uint8Array({ maxLength: 20 }).map((k) => k.map((b) => [0, 1, 0xff][b % 3]!));
const valueArb = fc.oneof(
  { weight: 20, arbitrary: fc.uint8Array({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.integer({ min: 1000, max: 9000 }).map((n) => new Uint8Array(n).fill(n & 0xff)) },
  { weight: 1, arbitrary: fc.constant(new Uint8Array(70 * 1024).fill(7)) },
);

test('keys sharing long prefixes or differing only in length keep internal order; get and seek agree with a model', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(longKeyArb, fc.option(valueArb, { freq: 6 }), fc.integer({ min: 1, max: 1e6 })), { minLength: 1, maxLength: 400 }),
      fc.array(longKeyArb, { minLength: 1, maxLength: 10 }),
      (ops, probes) => {
        const m = createMemtable();
        const seen = new Set<string>();
        const model: { key: Uint8Array; seq: number; value: Uint8Array | null }[] = [];
        for (const [key, value, seq] of ops) {
          const id = `${toHex(key)}/${seq}`;
          if (seen.has(id)) continue;
          seen.add(id);
          m.add(key, seq, value);
          model.push({ key, seq, value });
        }
        model.sort((a, b) => compareInternal(a.key, a.seq, b.key, b.seq));
        const show = (k: Uint8Array, s: number, v: Uint8Array | null): string => `${toHex(k)}/${s}/${v === null ? '-' : toHex(v)}`;
        const expect = model.map((e) => show(e.key, e.seq, e.value));
        const c = m.cursor();
        const fwd: string[] = [];
        for (c.seekToFirst(); c.valid(); c.next()) fwd.push(show(c.key(), c.seqNum(), c.kind() === KIND_TOMBSTONE ? null : c.value()));
        assert.equal(fwd, expect);
        const back: string[] = [];
        for (c.seekToLast(); c.valid(); c.prev()) back.push(show(c.key(), c.seqNum(), c.kind() === KIND_TOMBSTONE ? null : c.value()));
        assert.equal(back, [...expect].reverse());
        for (const probe of [...probes, ...model.slice(0, 20).map((e) => e.key)]) {
          for (const snap of [0, 500_000, Number.MAX_SAFE_INTEGER]) {
            const want = model.find((e) => toHex(e.key) === toHex(probe) && e.seq <= snap);
            const got = m.get(probe, snap);
            assert.equal(
              got === undefined ? undefined : show(probe, got.seqNum, got.value),
              want === undefined ? undefined : show(want.key, want.seq, want.value),
            );
            c.seek(probe, snap);
            const first = model.find((e) => compareInternal(e.key, e.seq, probe, snap) >= 0);
            assert.equal(c.valid() ? show(c.key(), c.seqNum(), c.kind() === KIND_TOMBSTONE ? null : c.value()) : undefined, first && show(first.key, first.seq, first.value));
          }
        }
      },
    ),
    { numRuns: 40 },
  );
});

test('ascending runs under several key prefixes, interleaved with each other and with random keys, keep internal order', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ stream: fc.integer({ min: 0, max: 6 }), random: fc.boolean(), r: fc.integer({ min: 0, max: 200 }), seq: fc.integer({ min: 1, max: 50 }) }), { minLength: 1, maxLength: 400 }),
      (ops) => {
        // Streams 0..6 (more than the memtable remembers) each append ascending keys (bytes 4..5) under
        // their own 4-byte prefix, like the rows of a table and its indexes; some keys land anywhere instead,
        // and some repeat the previous key of a stream with another seqNum.
        const m = createMemtable();
        const nextOf = new Array<number>(7).fill(0);
        const seen = new Set<string>();
        const model: { key: Uint8Array; seq: number }[] = [];
        for (const op of ops) {
          const key = new Uint8Array(6 + (op.stream % 3) * 6);
          key[3] = 0x40 + op.stream;
          if (op.random) {
            key[4] = op.r >> 8;
            key[5] = op.r & 0xff;
          } else {
            const n = nextOf[op.stream]! + (op.seq % 5 === 0 ? 0 : 1);
            nextOf[op.stream] = n;
            key[4] = n >> 8;
            key[5] = n & 0xff;
          }
          const id = `${toHex(key)}/${op.seq}`;
          if (seen.has(id)) continue;
          seen.add(id);
          m.add(key, op.seq, key);
          model.push({ key, seq: op.seq });
        }
        model.sort((a, b) => compareInternal(a.key, a.seq, b.key, b.seq));
        const c = m.cursor();
        const got: string[] = [];
        for (c.seekToFirst(); c.valid(); c.next()) got.push(`${toHex(c.key())}/${c.seqNum()}/${toHex(c.value())}`);
        assert.equal(got, model.map((e) => `${toHex(e.key)}/${e.seq}/${toHex(e.key)}`));
        const back: string[] = [];
        for (c.seekToLast(); c.valid(); c.prev()) back.push(`${toHex(c.key())}/${c.seqNum()}`);
        assert.equal(back, model.map((e) => `${toHex(e.key)}/${e.seq}`).reverse());
        for (const e of model) {
          assert.is(m.get(e.key, Number.MAX_SAFE_INTEGER)?.seqNum, Math.max(...model.filter((x) => toHex(x.key) === toHex(e.key)).map((x) => x.seq)));
          // seek walks the upper levels: a node linked after the wrong predecessor there is found here.
          c.seek(e.key, e.seq);
          assert.equal(c.valid() ? `${toHex(c.key())}/${c.seqNum()}` : null, `${toHex(e.key)}/${e.seq}`);
        }
      },
    ),
    { numRuns: 60 },
  );
});

test('point reads find the newest version after the hash index grew, whatever order the versions came in', () => {
  const m = createMemtable();
  // 50 keys with 3 versions each, seqNums not in insertion order; then enough other keys to double the index several times.
  const seqs = [20, 30, 10];
  for (let k = 0; k < 50; k++) for (const s of seqs) m.add(new Uint8Array([1, k]), s * 1000 + k, new Uint8Array([s]));
  for (let i = 0; i < 5000; i++) m.add(new Uint8Array([2, i >> 8, i & 0xff]), 1e6 + i, new Uint8Array([i & 0xff]));
  for (let k = 0; k < 50; k++) {
    const key = new Uint8Array([1, k]);
    assert.equal(m.get(key, Number.MAX_SAFE_INTEGER), { value: new Uint8Array([30]), seqNum: 30000 + k });
    assert.equal(m.get(key, 25000), { value: new Uint8Array([20]), seqNum: 20000 + k });
    assert.equal(m.get(key, 10000 + k), { value: new Uint8Array([10]), seqNum: 10000 + k });
    assert.is(m.get(key, 9999), undefined);
  }
  for (let i = 0; i < 5000; i += 97) assert.equal(m.get(new Uint8Array([2, i >> 8, i & 0xff]), Number.MAX_SAFE_INTEGER)?.seqNum, 1e6 + i);
});

test('add copies key and value: the caller may reuse its arrays at once', () => {
  const m = createMemtable();
  const key = new Uint8Array([1, 2, 3]);
  const value = new Uint8Array([9, 9]);
  m.add(key, 1, value);
  key.fill(0);
  value.fill(0);
  assert.equal(m.get(new Uint8Array([1, 2, 3]), 1)?.value, new Uint8Array([9, 9]));
  assert.is(m.get(key, 1), undefined);
  const c = m.cursor();
  c.seekToFirst();
  assert.equal(c.key(), new Uint8Array([1, 2, 3]));
});

test('approximateByteLength counts every key and value byte plus a fixed cost per entry', () => {
  const m = createMemtable();
  let prev = m.approximateByteLength;
  const perEntry = new Set<number>();
  for (let i = 0; i < 1000; i++) {
    const key = new Uint8Array(1 + (i % 30)).fill(i & 0xff);
    const value = i % 7 === 0 ? null : new Uint8Array(i % 200);
    m.add(key, i + 1, value);
    const now = m.approximateByteLength;
    perEntry.add(now - prev - key.length - (value?.length ?? 0));
    prev = now;
  }
  assert.is(perEntry.size, 1);
  assert.ok([...perEntry][0]! > 0);
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
