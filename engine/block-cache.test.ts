import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createBlockCache, ENTRY_OVERHEAD_BYTES } from './block-cache.ts';

const block = (n: number, fill = 1): Uint8Array => new Uint8Array(n).fill(fill);

test('the block cache evicts the least recently used block to stay within its byte budget', () => {
  const c = createBlockCache<Uint8Array>(3 * (1000 + ENTRY_OVERHEAD_BYTES));
  const id = c.newId();
  c.put(id, 0, block(1000), 1000);
  c.put(id, 1, block(1000), 1000);
  c.put(id, 2, block(1000), 1000);
  assert.ok(c.get(id, 0)); // 0 becomes most recent
  c.put(id, 3, block(1000), 1000);
  assert.is(c.get(id, 1), undefined);
  assert.ok(c.get(id, 0));
  assert.ok(c.get(id, 2));
  assert.ok(c.get(id, 3));
  assert.ok(c.stats().chargedBytes <= c.stats().capacityBytes);
});

test('blocks of different table opens never collide, and evictTable drops only that table', () => {
  const c = createBlockCache<Uint8Array>(1 << 20);
  const a = c.newId();
  const b = c.newId();
  c.put(a, 0, block(10, 1), 10);
  c.put(b, 0, block(10, 2), 10);
  assert.is(c.get(a, 0)![0], 1);
  assert.is(c.get(b, 0)![0], 2);
  c.evictTable(a);
  assert.is(c.get(a, 0), undefined);
  assert.is(c.get(b, 0)![0], 2);
  assert.is(c.stats().entries, 1);
});

test('a block larger than the budget is not cached; shrinking the budget evicts', () => {
  const one = 100 + ENTRY_OVERHEAD_BYTES;
  const c = createBlockCache<Uint8Array>(3 * one);
  const id = c.newId();
  c.put(id, 0, block(4 * one), 4 * one);
  assert.is(c.stats().entries, 0);
  c.put(id, 1, block(100), 100);
  c.put(id, 2, block(100), 100);
  assert.is(c.stats().entries, 2);
  c.setCapacity(one + 50);
  assert.is(c.stats().entries, 1);
  assert.ok(c.get(id, 2));
  assert.throws(() => c.setCapacity(-1), (e: { code: string }) => e.code === 'INVALID_ARGUMENT');
});

test('hits and misses are counted', () => {
  const c = createBlockCache<Uint8Array>(1 << 16);
  const id = c.newId();
  c.get(id, 5);
  c.put(id, 5, block(8), 8);
  c.get(id, 5);
  assert.is(c.stats().hits, 1);
  assert.is(c.stats().misses, 1);
});

test('replacing an entry re-charges it, and a long LRU run keeps the budget and the newest entries', () => {
  const c = createBlockCache<Uint8Array>(10 * (100 + ENTRY_OVERHEAD_BYTES));
  const id = c.newId();
  c.put(id, 0, block(100), 100);
  c.put(id, 0, block(50, 7), 50);
  assert.is(c.stats().entries, 1);
  assert.is(c.stats().chargedBytes, 50 + ENTRY_OVERHEAD_BYTES);
  assert.is(c.get(id, 0)![0], 7);
  for (let i = 1; i <= 1000; i++) {
    c.put(id, i, block(100, i & 0xff), 100);
    if (i % 3 === 0) assert.is(c.get(id, i - 1)![0], (i - 1) & 0xff);
    assert.ok(c.stats().chargedBytes <= c.stats().capacityBytes);
  }
  assert.is(c.stats().entries, 10);
  for (let i = 991; i <= 1000; i++) assert.ok(c.get(id, i), `block ${i} kept`);
  c.evictTable(id);
  assert.is(c.stats().entries, 0);
  assert.is(c.stats().chargedBytes, 0);
  c.put(id, 1, block(10), 10);
  assert.ok(c.get(id, 1));
  c.clear();
  assert.is(c.get(id, 1), undefined);
  assert.is(c.stats().chargedBytes, 0);
});

test.run();
