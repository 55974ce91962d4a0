import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createBlockCache, ENTRY_OVERHEAD_BYTES } from './block-cache.ts';

const block = (n: number, fill = 1): Uint8Array => new Uint8Array(n).fill(fill);

test('the block cache evicts the least recently used block to stay within its byte budget', () => {
  const c = createBlockCache(3 * (1000 + ENTRY_OVERHEAD_BYTES));
  const id = c.newId();
  c.put(id, 0, block(1000));
  c.put(id, 1, block(1000));
  c.put(id, 2, block(1000));
  assert.ok(c.get(id, 0)); // 0 becomes most recent
  c.put(id, 3, block(1000));
  assert.is(c.get(id, 1), undefined);
  assert.ok(c.get(id, 0));
  assert.ok(c.get(id, 2));
  assert.ok(c.get(id, 3));
  assert.ok(c.stats().chargedBytes <= c.stats().capacityBytes);
});

test('blocks of different table opens never collide, and evictTable drops only that table', () => {
  const c = createBlockCache(1 << 20);
  const a = c.newId();
  const b = c.newId();
  c.put(a, 0, block(10, 1));
  c.put(b, 0, block(10, 2));
  assert.is(c.get(a, 0)![0], 1);
  assert.is(c.get(b, 0)![0], 2);
  c.evictTable(a);
  assert.is(c.get(a, 0), undefined);
  assert.is(c.get(b, 0)![0], 2);
  assert.is(c.stats().entries, 1);
});

test('a block larger than the budget is not cached; shrinking the budget evicts', () => {
  const c = createBlockCache(500);
  const id = c.newId();
  c.put(id, 0, block(1000));
  assert.is(c.stats().entries, 0);
  c.put(id, 1, block(100));
  c.put(id, 2, block(100));
  c.setCapacity(250);
  assert.is(c.stats().entries, 1);
  assert.ok(c.get(id, 2));
  assert.throws(() => c.setCapacity(-1), (e: { code: string }) => e.code === 'INVALID_ARGUMENT');
});

test('hits and misses are counted', () => {
  const c = createBlockCache(1 << 16);
  const id = c.newId();
  c.get(id, 5);
  c.put(id, 5, block(8));
  c.get(id, 5);
  assert.is(c.stats().hits, 1);
  assert.is(c.stats().misses, 1);
});

test.run();
