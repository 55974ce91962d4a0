import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromHex, toHex } from '../format/bytes.ts';
import { gcmOpen, gcmSeal, type SealerOptions } from './cipher-suite.ts';
import { nonceForIndex } from './gcm.ts';

interface WycheproofCase {
  tcId: number;
  comment: string;
  flags: string[];
  key: string;
  iv: string;
  aad: string;
  msg: string;
  ct: string;
  tag: string;
  result: 'valid' | 'invalid' | 'acceptable';
}
interface WycheproofGroup {
  keySize: number;
  ivSize: number;
  tagSize: number;
  tests: WycheproofCase[];
}

// Wycheproof's AES-256 / 96-bit IV group, kept beside the spec (spec/vectors/README.md).
const file = join(process.cwd(), 'spec', 'vectors', 'aes-gcm-256-96-wycheproof.json');
const groups = (JSON.parse(readFileSync(file, 'utf8')) as { testGroups: WycheproofGroup[] }).testGroups;
const cases = groups
  .filter((g) => g.keySize === 256 && g.ivSize === 96 && g.tagSize === 128)
  .flatMap((g) => g.tests);

const hex = (s: string): Uint8Array => {
  const b = fromHex(s);
  if (b === null) throw new Error(`bad hex in vector file: ${s}`);
  return b;
};

// Each backend, and the node backend with each of its two strategies forced.
const configs: Array<[string, SealerOptions]> = [
  ['noble', { backend: 'noble' }],
  ['node (default crossover)', { backend: 'node' }],
  ['node (ECB keystream + TS GHASH)', { backend: 'node', nodeLargeThreshold: Infinity }],
  ['node (GCM object per call)', { backend: 'node', nodeLargeThreshold: 0 }],
];

test('the vector file holds every AES-256 / 96-bit IV Wycheproof case (66, valid and invalid)', () => {
  assert.is(cases.length, 66);
  assert.ok(cases.some((c) => c.result === 'valid'));
  assert.ok(cases.some((c) => c.result === 'invalid'));
});

for (const [name, options] of configs) {
  test(`[CRY-GCM-1] ${name}: valid Wycheproof cases seal to the expected ct‖tag and open to the message`, () => {
    let checked = 0;
    for (const c of cases) {
      if (c.result !== 'valid') continue;
      const key = hex(c.key);
      const iv = hex(c.iv);
      const aad = hex(c.aad);
      const sealed = gcmSeal(key, iv, hex(c.msg), aad, options);
      assert.is(toHex(sealed), c.ct + c.tag, `tcId ${c.tcId} seal`);
      const opened = gcmOpen(key, iv, sealed, aad, options);
      assert.ok(opened !== null, `tcId ${c.tcId} open`);
      assert.is(toHex(opened!), c.msg, `tcId ${c.tcId} plaintext`);
      checked++;
    }
    assert.is(checked, 39);
  });

  test(`[CRY-TAG-1] ${name}: invalid Wycheproof cases are rejected`, () => {
    let checked = 0;
    for (const c of cases) {
      if (c.result === 'valid') continue;
      const key = hex(c.key);
      const iv = hex(c.iv);
      const aad = hex(c.aad);
      const opened = gcmOpen(key, iv, hex(c.ct + c.tag), aad, options);
      assert.is(opened, null, `tcId ${c.tcId} (${c.comment}) must not open`);
      checked++;
    }
    assert.is(checked, 27);
  });
}

test('[CRY-NONCE-1] nonce is 32 zero bits then the index as u64 big-endian', () => {
  assert.is(toHex(nonceForIndex(0)), '000000000000000000000000');
  assert.is(toHex(nonceForIndex(1)), '000000000000000000000001');
  assert.is(toHex(nonceForIndex(0x0102030405)), '000000000000000102030405');
  assert.is(toHex(nonceForIndex(2 ** 32)), '000000000000000100000000');
  assert.is(toHex(nonceForIndex(Number.MAX_SAFE_INTEGER)), '00000000001fffffffffffff');
});

test('raw gcmSeal/gcmOpen reject a wrong-size key or IV with INVALID_ARGUMENT', () => {
  const codeOf = (f: () => unknown): string | undefined => {
    try {
      f();
    } catch (e) {
      return (e as { code?: string }).code;
    }
    return undefined;
  };
  const pt = new Uint8Array(3);
  assert.is(codeOf(() => gcmSeal(new Uint8Array(16), new Uint8Array(12), pt, pt)), 'INVALID_ARGUMENT');
  assert.is(codeOf(() => gcmSeal(new Uint8Array(32), new Uint8Array(16), pt, pt)), 'INVALID_ARGUMENT');
  assert.is(codeOf(() => gcmOpen(new Uint8Array(32), new Uint8Array(8), pt, pt)), 'INVALID_ARGUMENT');
});

test.run();
