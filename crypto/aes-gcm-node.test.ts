import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toHex } from '../format/bytes.ts';
import { isHeliosError } from '../format/errors.ts';
import { createNodeGcm, defaultLargeThreshold, nodeGcmAvailable } from './aes-gcm-node.ts';
import { createNobleGcm } from './aes-gcm-noble.ts';
import type { GcmContext } from './gcm.ts';
import { seededBytes as rng } from '../format/test-support.ts';

const random = rng(0xc0ffee);
const key = random(32);
const strategies: Array<[string, number]> = [
  ['ECB keystream + TS GHASH', Infinity],
  ['GCM object per call', 0],
  ['default crossover', defaultLargeThreshold()],
];

test(`node:crypto offers AES-256-ECB and AES-256-GCM in this runtime (${process.env.HELIOS_RUNTIME ?? 'node'})`, () => {
  assert.ok(nodeGcmAvailable());
});

for (const [name, largeThreshold] of strategies) {
  test(`[CRY-GCM-1] ${name}: index-order seals of mixed sizes equal @noble/ciphers byte for byte`, () => {
    const node = createNodeGcm(key, { largeThreshold });
    const noble = createNobleGcm(key);
    const aad = random(41);
    // Sizes chosen to cross every keystream-batch slot size, the batch limit (63 data
    // blocks = 1008 bytes) and the default strategy crossovers.
    const sizes = [0, 1, 15, 16, 17, 100, 100, 100, 250, 3, 383, 384, 496, 767, 768, 1007, 1008, 1009, 2049, 100, 64, 0, 5000, 7];
    for (let i = 0; i < 200; i++) {
      const pt = random(sizes[i % sizes.length]!);
      const a = node.seal(i, pt, aad);
      assert.is(toHex(a), toHex(noble.seal(i, pt, aad)), `index ${i}, ${pt.length} bytes`);
      const back = node.open(i, a, aad);
      assert.ok(back !== null);
      assert.is(toHex(back!), toHex(pt));
    }
    node.destroy();
    noble.destroy();
  });

  test(`[CRY-GCM-1] ${name}: random-order opens and seals across the 2^32 index boundary stay correct`, () => {
    const node = createNodeGcm(key, { largeThreshold });
    const noble = createNobleGcm(key);
    const base = 2 ** 32 - 40;
    const sealed: Uint8Array[] = [];
    const plain: Uint8Array[] = [];
    for (let i = 0; i < 80; i++) {
      plain.push(random((i * 37) % 300));
      sealed.push(noble.seal(base + i, plain[i]!, new Uint8Array([i])));
    }
    // Interleave in-order seals with out-of-order opens to exercise the keystream batch.
    for (let step = 0; step < 240; step++) {
      const i = (step * 53) % 80;
      const opened = node.open(base + i, sealed[i]!, new Uint8Array([i]));
      assert.ok(opened !== null, `open index ${base + i}`);
      assert.is(toHex(opened!), toHex(plain[i]!));
      const j = step % 80;
      assert.is(toHex(node.seal(base + j, plain[j]!, new Uint8Array([j]))), toHex(sealed[j]!), `seal index ${base + j}`);
    }
    node.destroy();
    noble.destroy();
  });

  test(`[CRY-TAG-1] ${name}: a wrong tag, index or aad yields null, not plaintext`, () => {
    const node = createNodeGcm(key, { largeThreshold });
    for (const n of [0, 5, 100, 3000]) {
      const pt = random(n);
      const aad = random(9);
      const sealed = node.seal(10, pt, aad);
      const badTag = sealed.slice();
      badTag[badTag.length - 1]! ^= 1;
      assert.is(node.open(10, badTag, aad), null);
      assert.is(node.open(11, sealed, aad), null);
      assert.is(node.open(9, sealed, aad), null);
      assert.is(node.open(10, sealed, aad.subarray(1)), null);
      assert.is(node.open(10, sealed.subarray(0, 15), aad), null);
      assert.ok(node.open(10, sealed, aad) !== null);
    }
    node.destroy();
  });
}

test('[CRY-GCM-1] inputs at a nonzero byteOffset (unaligned views) give the same bytes', () => {
  const node = createNodeGcm(key, { largeThreshold: 2048 });
  const noble = createNobleGcm(key);
  for (const n of [3, 100, 4000]) {
    const backing = random(n + 13);
    const pt = backing.subarray(3, 3 + n);
    const aad = backing.subarray(1, 12);
    const a = node.seal(5, pt, aad);
    assert.is(toHex(a), toHex(noble.seal(5, pt.slice(), aad.slice())));
    const holder = new Uint8Array(a.length + 5);
    holder.set(a, 5);
    assert.is(toHex(node.open(5, holder.subarray(5), aad)!), toHex(pt));
  }
  node.destroy();
  noble.destroy();
});

test('opened plaintext owns its memory; seal does not modify its inputs', () => {
  for (const largeThreshold of [Infinity, 0]) {
    const node = createNodeGcm(key, { largeThreshold });
    const pt = random(300);
    const aad = random(20);
    const ptCopy = pt.slice();
    const aadCopy = aad.slice();
    const sealed = node.seal(1, pt, aad);
    assert.is(toHex(pt), toHex(ptCopy));
    assert.is(toHex(aad), toHex(aadCopy));
    const opened = node.open(1, sealed, aad)!;
    assert.is(opened.byteOffset, 0);
    assert.is(opened.buffer.byteLength, opened.length);
    assert.is(Object.getPrototypeOf(opened), Uint8Array.prototype);
    node.destroy();
  }
});

function assertZeroedOnDestroy(ctx: GcmContext, label: string): void {
  ctx.seal(0, random(100), new Uint8Array(3));
  ctx.seal(1, random(100), new Uint8Array(3)); // in-order: fills the keystream batch
  const secrets = ctx.secretsForTest();
  assert.ok(secrets.length > 0);
  assert.ok(secrets.some((s) => s.some((x) => x !== 0)), `${label}: holds secrets before destroy`);
  ctx.destroy();
  secrets.forEach((s, i) => assert.ok(s.every((x) => x === 0), `${label}: secret #${i} zeroed`));
  for (const call of [() => ctx.seal(2, new Uint8Array(1), new Uint8Array(0)), () => ctx.open(0, new Uint8Array(17), new Uint8Array(0))]) {
    try {
      call();
      assert.unreachable('used after destroy');
    } catch (e) {
      assert.ok(isHeliosError(e, 'CLOSED'), String(e));
    }
  }
  ctx.destroy(); // idempotent
}

test('[CRY-ZERO-1] destroy() zeroes the key copy, GHASH table and cached keystream, then refuses work', () => {
  assertZeroedOnDestroy(createNodeGcm(key), 'node');
  assertZeroedOnDestroy(createNobleGcm(key), 'noble');
});

test('[CRY-ZERO-1] a context that only sealed large records never built a GHASH table and zeroes its key', () => {
  const ctx = createNodeGcm(key, { largeThreshold: 1000 });
  const pt = random(4096);
  const sealed = ctx.seal(0, pt, new Uint8Array(0));
  assert.is(toHex(ctx.open(0, sealed, new Uint8Array(0))!), toHex(pt));
  const secrets = ctx.secretsForTest();
  assert.ok(secrets.every((s) => s.length < 1024), 'no 64 KiB table');
  ctx.destroy();
  secrets.forEach((s) => assert.ok(s.every((x) => x === 0)));
});

test('the context copies the key: zeroing the caller key afterwards changes nothing', () => {
  const k = key.slice();
  const node = createNodeGcm(k, { largeThreshold: 0 });
  const before = node.seal(3, new Uint8Array(10), new Uint8Array(0));
  k.fill(0);
  assert.is(toHex(node.seal(3, new Uint8Array(10), new Uint8Array(0))), toHex(before));
  node.destroy();
});

test('[CRY-GCM-1] the cached GHASH state of a shared 32-byte AAD prefix never changes a result: same, changed, shorter and longer AADs match noble', () => {
  const node = createNodeGcm(key, { largeThreshold: Infinity });
  const noble = createNobleGcm(key);
  const base = random(41);
  const aads: Uint8Array[] = [];
  for (let i = 0; i < 40; i++) {
    const a = base.slice();
    a[29 + (i % 12)]! ^= i; // the per-record tail: index and length bytes
    if (i % 7 === 3) a[i % 32]! ^= 0x80; // a different prefix now and then (another file)
    aads.push(i % 11 === 5 ? a.subarray(0, i % 33) : i % 13 === 6 ? new Uint8Array([...a, 1, 2, 3]) : a);
  }
  aads.push(base.subarray(0, 32), base.slice(), base.subarray(0, 31), base.slice());
  aads.forEach((aad, i) => {
    const pt = random(i % 50);
    const sealed = node.seal(i, pt, aad);
    assert.is(toHex(sealed), toHex(noble.seal(i, pt, aad)), `seal ${i}, aad of ${aad.length} bytes`);
    assert.is(toHex(node.open(i, sealed, aad)!), toHex(pt), `open ${i}`);
    const other = aad.slice();
    if (other.length > 0) {
      other[0]! ^= 1;
      assert.is(node.open(i, sealed, other), null, `a changed prefix byte fails ${i}`);
    }
  });
  node.destroy();
});

test('[CRY-ZERO-1] destroy() also zeroes the cached GHASH state of the AAD prefix', () => {
  const ctx = createNodeGcm(key, { largeThreshold: Infinity });
  ctx.seal(0, random(100), random(41));
  const secrets = ctx.secretsForTest();
  assert.ok(secrets.some((s) => s.length === 4 && s.some((x) => x !== 0)), 'a nonzero 4-word state is cached');
  ctx.destroy();
  secrets.forEach((s, i) => assert.ok(s.every((x) => x === 0), `secret #${i} zeroed`));
});

test.run();
