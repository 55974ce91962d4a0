import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { batchEntries, createWriteBatch } from './write-batch.ts';
import { toHex } from '../format/bytes.ts';
import { isHeliosError } from '../format/errors.ts';

const show = (k: Uint8Array, v: Uint8Array | null): string => `${toHex(k)}=${v === null ? '-' : toHex(v)}`;

test('entries hold copies of every key and value, in order, across chunk boundaries and oversized entries', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(
          fc.uint8Array({ maxLength: 40 }),
          fc.option(fc.oneof({ weight: 10, arbitrary: fc.uint8Array({ maxLength: 300 }) }, { weight: 1, arbitrary: fc.integer({ min: 3000, max: 40_000 }).map((n) => new Uint8Array(n).fill(n & 0xff)) }), { freq: 5 }),
        ),
        { maxLength: 300 },
      ),
      (ops) => {
        const b = createWriteBatch();
        const expect: string[] = [];
        let bytes = 0;
        for (const [k, v] of ops) {
          expect.push(show(k, v));
          if (v === null) b.delete(k);
          else b.put(k, v);
          bytes += k.length + (v?.length ?? 0);
          // The caller reuses its arrays at once.
          k.fill(0xee);
          v?.fill(0xee);
        }
        assert.equal(batchEntries(b).map((e) => show(e.key, e.value)), expect);
        assert.is(b.count, ops.length);
        assert.is(b.byteLength, bytes);
      },
    ),
    { numRuns: 60 },
  );
});

test('entries already taken stay unchanged while the batch grows (a batch may be written, extended and written again)', () => {
  const b = createWriteBatch();
  b.put(new Uint8Array([1]), new Uint8Array([2, 3]));
  const first = batchEntries(b).map((e) => show(e.key, e.value));
  for (let i = 0; i < 5000; i++) b.put(new Uint8Array([i & 0xff, i >> 8]), new Uint8Array(100).fill(i & 0xff));
  assert.equal(batchEntries(b).slice(0, 1).map((e) => show(e.key, e.value)), first);
  assert.is(batchEntries(b).length, 5001);
  assert.equal(batchEntries(b)[4000]!.value, new Uint8Array(100).fill(3999 & 0xff));
});

test('non-Uint8Array keys or values are INVALID_ARGUMENT; a batch not made by createWriteBatch is rejected', () => {
  const b = createWriteBatch();
  for (const bad of [() => b.put('k' as unknown as Uint8Array, new Uint8Array(1)), () => b.put(new Uint8Array(1), [1] as unknown as Uint8Array), () => b.delete(null as unknown as Uint8Array), () => batchEntries({ count: 0, byteLength: 0, put() {}, delete() {} })]) {
    try {
      bad();
      assert.unreachable();
    } catch (e) {
      assert.ok(isHeliosError(e, 'INVALID_ARGUMENT'));
    }
  }
  assert.is(b.count, 0);
});

test.run();
