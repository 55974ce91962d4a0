import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toHex } from '../format/bytes.ts';
import { createNobleGcm } from './aes-gcm-noble.ts';
import { nonceForIndex } from './gcm.ts';

const key = new Uint8Array(32).map((_, i) => (i * 29 + 3) & 0xff);

test('[CRY-NONCE-1] noble: seal(index) is sealWithIv(0^32 ‖ u64be(index))', () => {
  const ctx = createNobleGcm(key);
  const pt = new Uint8Array(33).fill(7);
  const aad = new Uint8Array(5).fill(1);
  for (const index of [0, 1, 255, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 3, Number.MAX_SAFE_INTEGER]) {
    assert.is(toHex(ctx.seal(index, pt, aad)), toHex(ctx.sealWithIv(nonceForIndex(index), pt, aad)), `index ${index}`);
  }
  ctx.destroy();
});

test('[CRY-TAG-1] noble: every single-bit flip of ciphertext or tag is rejected', () => {
  const ctx = createNobleGcm(key);
  const aad = new Uint8Array([9, 9]);
  const sealed = ctx.seal(4, new Uint8Array(20).fill(0x5a), aad);
  for (let bit = 0; bit < sealed.length * 8; bit++) {
    const bad = sealed.slice();
    bad[bit >>> 3]! ^= 1 << (bit & 7);
    assert.is(ctx.open(4, bad, aad), null, `bit ${bit}`);
  }
  assert.is(ctx.open(4, sealed.subarray(0, 15), aad), null);
  assert.is(toHex(ctx.open(4, sealed, aad)!), '5a'.repeat(20));
  ctx.destroy();
});

test.run();
