/**
 * Property campaigns for the cipher suites (crypto/cipher-suite.ts):
 * the node:crypto and @noble/ciphers AES-256-GCM backends agree byte for
 * byte on random keys, indices, AAD and lengths up to 70 KiB, and any
 * single-bit change to ciphertext, tag or AAD, or a different index, is
 * rejected. Budgets: fuzz/budget.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { toHex } from '../format/bytes.ts';
import { createSealer, type SealerOptions } from '../crypto/cipher-suite.ts';
import { fuzzParams } from './budget.ts';

/** Byte arrays whose length is spread over [min, max] (fast-check's default size keeps them tiny). */
const bytes = (minLength: number, maxLength: number): fc.Arbitrary<Uint8Array> =>
  fc.uint8Array({ minLength, maxLength, size: 'max' });

const key = bytes(32, 32);
const index = fc.oneof(
  fc.nat({ max: 1000 }),
  fc.integer({ min: 2 ** 32 - 8, max: 2 ** 32 + 8 }),
  fc.maxSafeNat(),
);
const aad = bytes(0, 80);
// Mostly record-sized inputs, some around the node backend's strategy crossover, some blocks up to 70 KiB.
const plaintext = fc.oneof(
  { weight: 5, arbitrary: bytes(0, 600) },
  { weight: 2, arbitrary: bytes(400, 5000) },
  { weight: 1, arbitrary: bytes(0, 70 * 1024) },
);

const nodeConfigs: Array<[string, SealerOptions]> = [
  ['node (default)', { backend: 'node' }],
  ['node (ECB + GHASH)', { backend: 'node', nodeLargeThreshold: Infinity }],
  ['node (GCM object)', { backend: 'node', nodeLargeThreshold: 0 }],
];

test('[CRY-GCM-1] node:crypto and @noble/ciphers backends give identical bytes and open each other', () => {
  fc.assert(
    fc.property(key, index, plaintext, aad, (k, i, pt, ad) => {
      const noble = createSealer('aes-256-gcm', k, { backend: 'noble' });
      const expected = noble.seal(i, pt, ad);
      assert.is(expected.length, pt.length + 16);
      for (const [name, options] of nodeConfigs) {
        const node = createSealer('aes-256-gcm', k, options);
        const got = node.seal(i, pt, ad);
        assert.is(toHex(got), toHex(expected), name);
        assert.is(toHex(node.open(i, expected, ad)!), toHex(pt), `${name} opens noble's output`);
        node.destroy();
      }
      assert.is(toHex(noble.open(i, expected, ad)!), toHex(pt));
      noble.destroy();
    }),
    fuzzParams(300),
  );
});

test('[CRY-GCM-1] a node sealer used in index order with random sizes (keystream batches) matches noble', () => {
  fc.assert(
    fc.property(key, fc.nat({ max: 2 ** 40 }), fc.array(bytes(0, 700), { minLength: 1, maxLength: 60 }), aad, (k, start, records, ad) => {
      const node = createSealer('aes-256-gcm', k, { backend: 'node' });
      const noble = createSealer('aes-256-gcm', k, { backend: 'noble' });
      records.forEach((pt, j) => {
        assert.is(toHex(node.seal(start + j, pt, ad)), toHex(noble.seal(start + j, pt, ad)), `record ${j}`);
      });
      // Read back in index order, as WAL replay does.
      records.forEach((pt, j) => {
        assert.is(toHex(node.open(start + j, noble.seal(start + j, pt, ad), ad)!), toHex(pt));
      });
      node.destroy();
      noble.destroy();
    }),
    fuzzParams(100),
  );
});

const tamper = fc.record({
  k: key,
  i: index,
  pt: bytes(0, 3000),
  ad: aad,
  where: fc.constantFrom('sealed', 'aad', 'index'),
  pos: fc.nat(),
  bit: fc.integer({ min: 0, max: 7 }),
  delta: fc.integer({ min: 1, max: 1000 }),
});

test('[CRY-TAG-1] flipping any bit of ciphertext, tag or AAD, or changing the index, is rejected', () => {
  fc.assert(
    fc.property(tamper, ({ k, i, pt, ad, where, pos, bit, delta }) => {
      for (const options of [{ backend: 'noble' }, ...nodeConfigs.map(([, o]) => o)] as SealerOptions[]) {
        const s = createSealer('aes-256-gcm', k, options);
        const sealed = s.seal(i, pt, ad);
        let openIndex = i;
        let openSealed = sealed;
        let openAad = ad;
        if (where === 'sealed') {
          openSealed = sealed.slice();
          openSealed[pos % sealed.length]! ^= 1 << bit;
        } else if (where === 'aad') {
          if (ad.length === 0) {
            openAad = Uint8Array.of(1 << bit); // appending a byte is a change too
          } else {
            openAad = ad.slice();
            openAad[pos % ad.length]! ^= 1 << bit;
          }
        } else {
          openIndex = i + delta <= Number.MAX_SAFE_INTEGER ? i + delta : i - delta;
        }
        assert.is(s.open(openIndex, openSealed, openAad), null, `${options.backend} ${where}`);
        assert.ok(s.open(i, sealed, ad) !== null);
        s.destroy();
      }
    }),
    fuzzParams(300),
  );
});

test('[CRY-SUITE-1] none: flipping any bit or changing the index is rejected; round trips otherwise', () => {
  fc.assert(
    fc.property(tamper, ({ i, pt, ad, pos, bit, delta }) => {
      const s = createSealer('none', new Uint8Array(0));
      const sealed = s.seal(i, pt, ad);
      assert.is(toHex(s.open(i, sealed, ad)!), toHex(pt));
      const bad = sealed.slice();
      bad[pos % bad.length]! ^= 1 << bit;
      assert.is(s.open(i, bad, ad), null);
      assert.is(s.open(i + delta <= Number.MAX_SAFE_INTEGER ? i + delta : i - delta, sealed, ad), null);
    }),
    fuzzParams(300),
  );
});

test.run();
