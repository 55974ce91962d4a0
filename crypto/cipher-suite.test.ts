import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { toHex } from '../format/bytes.ts';
import { isHeliosError } from '../format/errors.ts';
import { createSealer, defaultGcmBackend, gcmSeal, SUITE_OVERHEAD, setSealAudit, type Sealer } from './cipher-suite.ts';
import { nonceForIndex } from './gcm.ts';

const key = new Uint8Array(32).map((_, i) => (i * 7 + 1) & 0xff);
const otherKey = new Uint8Array(32).map((_, i) => (i * 11 + 5) & 0xff);

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isHeliosError(e) ? e.code : `not a HeliosError: ${String(e)}`;
  }
  return undefined;
}

test('the default AES-GCM backend is node:crypto where it exists (Node, Bun and Deno all have it)', () => {
  assert.is(defaultGcmBackend(), 'node');
  assert.is(createSealer('aes-256-gcm', key).suite, 'aes-256-gcm');
});

test('[CRY-SUITE-1] overheads: aes-256-gcm adds a 16-byte tag, none a 4-byte CRC32C', () => {
  assert.equal(SUITE_OVERHEAD, { 'aes-256-gcm': 16, none: 4 });
  for (const suite of ['aes-256-gcm', 'none'] as const) {
    for (const backend of ['node', 'noble'] as const) {
      const s = createSealer(suite, key, { backend });
      assert.is(s.suite, suite);
      assert.is(s.overhead, SUITE_OVERHEAD[suite]);
      for (const n of [0, 1, 100, 5000]) {
        const pt = new Uint8Array(n).fill(n & 0xff);
        const sealed = s.seal(n, pt, new Uint8Array(3));
        assert.is(sealed.length, n + s.overhead);
        assert.is(toHex(s.open(n, sealed, new Uint8Array(3))!), toHex(pt));
      }
      s.destroy();
    }
  }
});

test('[CRY-SUITE-1] none leaves the plaintext readable; aes-256-gcm does not', () => {
  const pt = new Uint8Array(64).fill(0x41);
  const none = createSealer('none', new Uint8Array(0));
  assert.is(toHex(none.seal(1, pt, new Uint8Array(0)).subarray(0, 64)), toHex(pt));
  const gcm = createSealer('aes-256-gcm', key);
  assert.is.not(toHex(gcm.seal(1, pt, new Uint8Array(0)).subarray(0, 64)), toHex(pt));
});

test('[CRY-NONCE-1] seal(index) is AES-256-GCM under nonce 0^32 ‖ u64be(index), indices beyond 2^32 included', () => {
  const pt = new Uint8Array(50).fill(3);
  const aad = new Uint8Array(8).fill(9);
  for (const backend of ['node', 'noble'] as const) {
    const s = createSealer('aes-256-gcm', key, { backend });
    for (const index of [0, 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 48 + 12345, Number.MAX_SAFE_INTEGER]) {
      const expected = gcmSeal(key, nonceForIndex(index), pt, aad, { backend: 'noble' });
      assert.is(toHex(s.seal(index, pt, aad)), toHex(expected), `${backend} index ${index}`);
    }
    s.destroy();
  }
});

test('[CRY-GCM-1] node and noble Sealers produce identical bytes and open each other', () => {
  const node = createSealer('aes-256-gcm', key, { backend: 'node' });
  const noble = createSealer('aes-256-gcm', key, { backend: 'noble' });
  for (let n = 0; n < 300; n += 7) {
    const pt = new Uint8Array(n).map((_, i) => i ^ n);
    const aad = new Uint8Array(n % 50).fill(n);
    const a = node.seal(n, pt, aad);
    const b = noble.seal(n, pt, aad);
    assert.is(toHex(a), toHex(b), `${n} bytes`);
    assert.is(toHex(noble.open(n, a, aad)!), toHex(pt));
    assert.is(toHex(node.open(n, b, aad)!), toHex(pt));
  }
});

test('[CRY-TAG-1] open returns null for a tampered record, a wrong index, aad or key, and short input', () => {
  for (const suite of ['aes-256-gcm', 'none'] as const) {
    for (const backend of ['node', 'noble'] as const) {
      const s = createSealer(suite, key, { backend });
      const aad = new Uint8Array([1, 2, 3, 4]);
      const sealed = s.seal(77, new Uint8Array(40).fill(0xee), aad);
      for (let i = 0; i < sealed.length; i++) {
        const bad = sealed.slice();
        bad[i]! ^= 0x10;
        assert.is(s.open(77, bad, aad), null, `${suite}/${backend} byte ${i}`);
      }
      assert.is(s.open(78, sealed, aad), null);
      assert.is(s.open(77, sealed, new Uint8Array([1, 2, 3, 5])), null);
      assert.is(s.open(77, sealed.subarray(0, s.overhead - 1), aad), null);
      assert.is(s.open(77, new Uint8Array(0), aad), null);
      if (suite === 'aes-256-gcm') assert.is(createSealer(suite, otherKey, { backend }).open(77, sealed, aad), null);
    }
  }
});

test('[CRY-ZERO-1] after destroy() every call throws CLOSED; destroy() is idempotent', () => {
  for (const suite of ['aes-256-gcm', 'none'] as const) {
    for (const backend of ['node', 'noble'] as const) {
      const s: Sealer = createSealer(suite, key, { backend });
      const sealed = s.seal(0, new Uint8Array(5), new Uint8Array(0));
      s.destroy();
      s.destroy();
      assert.is(codeOf(() => s.seal(1, new Uint8Array(5), new Uint8Array(0))), 'CLOSED');
      assert.is(codeOf(() => s.open(0, sealed, new Uint8Array(0))), 'CLOSED');
    }
  }
});

test('seal results stay intact while later seals run (slab-allocated results never overlap)', () => {
  for (const suite of ['aes-256-gcm', 'none'] as const) {
    const s = createSealer(suite, key);
    const kept: Array<[Uint8Array, string]> = [];
    for (let i = 0; i < 3000; i++) {
      const sealed = s.seal(i, new Uint8Array(i % 700).fill(i & 0xff), new Uint8Array(0));
      kept.push([sealed, toHex(sealed)]);
    }
    kept.forEach(([sealed, hex], i) => assert.is(toHex(sealed), hex, `${suite} result ${i}`));
    kept.forEach(([sealed], i) => assert.ok(s.open(i, sealed, new Uint8Array(0)) !== null));
  }
});

test('open results own their memory on every suite and backend, at every size', () => {
  for (const suite of ['aes-256-gcm', 'none'] as const) {
    for (const backend of ['node', 'noble'] as const) {
      const s = createSealer(suite, key, { backend });
      for (const n of [0, 1, 100, 5000, 70000]) {
        const opened = s.open(n, s.seal(n, new Uint8Array(n).fill(1), new Uint8Array(2)), new Uint8Array(2))!;
        assert.is(opened.length, n);
        assert.is(opened.byteOffset, 0, `${suite}/${backend} ${n}`);
        assert.is(opened.buffer.byteLength, n, `${suite}/${backend} ${n}`);
      }
    }
  }
});

test('createSealer copies the key: the caller may zero its array at once', () => {
  const k = key.slice();
  const s = createSealer('aes-256-gcm', k);
  k.fill(0);
  const ref = createSealer('aes-256-gcm', key, { backend: 'noble' });
  assert.is(toHex(s.seal(9, new Uint8Array(20), new Uint8Array(0))), toHex(ref.seal(9, new Uint8Array(20), new Uint8Array(0))));
});

test('bad arguments throw typed INVALID_ARGUMENT errors, never TypeErrors', () => {
  const s = createSealer('aes-256-gcm', key);
  const n = createSealer('none', key);
  const pt = new Uint8Array(4);
  for (const sealer of [s, n]) {
    for (const index of [-1, 1.5, NaN, Infinity, 2 ** 53, '3', null, undefined, 1n]) {
      assert.is(codeOf(() => sealer.seal(index as number, pt, pt)), 'INVALID_ARGUMENT', `seal index ${String(index)}`);
      assert.is(codeOf(() => sealer.open(index as number, pt, pt)), 'INVALID_ARGUMENT', `open index ${String(index)}`);
    }
    for (const bad of [null, undefined, 'text', [1, 2], new ArrayBuffer(4), new Uint16Array(2)]) {
      assert.is(codeOf(() => sealer.seal(0, bad as unknown as Uint8Array, pt)), 'INVALID_ARGUMENT');
      assert.is(codeOf(() => sealer.seal(0, pt, bad as unknown as Uint8Array)), 'INVALID_ARGUMENT');
      assert.is(codeOf(() => sealer.open(0, bad as unknown as Uint8Array, pt)), 'INVALID_ARGUMENT');
    }
  }
  for (const badKey of [new Uint8Array(16), new Uint8Array(33), new Uint8Array(0), 'k'.repeat(32), null]) {
    assert.is(codeOf(() => createSealer('aes-256-gcm', badKey as unknown as Uint8Array)), 'INVALID_ARGUMENT');
  }
  assert.is(codeOf(() => createSealer('aes-128-gcm' as 'none', key)), 'INVALID_ARGUMENT');
  assert.is(codeOf(() => createSealer('aes-256-gcm', key, { backend: 'webcrypto' as 'node' })), 'INVALID_ARGUMENT');
});

test('setSealAudit sees every aes-256-gcm seal with SHA-256(key)[0..8) as fingerprint, on both backends', () => {
  const seen: Array<[string, number]> = [];
  setSealAudit((fp, index) => seen.push([fp, index]));
  try {
    const fp = (k: Uint8Array): string => createHash('sha256').update(k).digest('hex').slice(0, 16);
    createSealer('aes-256-gcm', key, { backend: 'node' }).seal(5, new Uint8Array(1), new Uint8Array(0));
    createSealer('aes-256-gcm', key, { backend: 'noble' }).seal(2 ** 40, new Uint8Array(1), new Uint8Array(0));
    createSealer('aes-256-gcm', otherKey).seal(5, new Uint8Array(1), new Uint8Array(0));
    createSealer('none', key).seal(6, new Uint8Array(1), new Uint8Array(0));
    const opener = createSealer('aes-256-gcm', key);
    opener.open(0, new Uint8Array(16), new Uint8Array(0));
    assert.equal(seen, [
      [fp(key), 5],
      [fp(key), 2 ** 40],
      [fp(otherKey), 5],
    ]);
  } finally {
    setSealAudit(null);
  }
  createSealer('aes-256-gcm', key).seal(1, new Uint8Array(1), new Uint8Array(0));
  assert.is(seen.length, 3);
});


test('[CRY-GCM-1] sealInto writes exactly the bytes of seal() at the offset, on every suite and backend, small and large records', () => {
  const aad = new Uint8Array(41).map((_, i) => i);
  const variants: Array<[string, () => Sealer]> = [
    ['gcm node', () => createSealer('aes-256-gcm', key, { backend: 'node' })],
    ['gcm node, GCM object path', () => createSealer('aes-256-gcm', key, { backend: 'node', nodeLargeThreshold: 0 })],
    ['gcm node, ECB path', () => createSealer('aes-256-gcm', key, { backend: 'node', nodeLargeThreshold: Infinity })],
    ['gcm noble', () => createSealer('aes-256-gcm', key, { backend: 'noble' })],
    ['none', () => createSealer('none', key)],
  ];
  for (const [label, make] of variants) {
    const a = make();
    const b = make();
    // In index order (the batched keystream path) and then out of order.
    const indices = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 40, 3, 2 ** 33 + 1];
    indices.forEach((index, k) => {
      const n = [0, 1, 15, 16, 17, 100, 117, 1000, 5000][k % 9]!;
      const pt = new Uint8Array(n).map((_, i) => (i * 13 + k) & 0xff);
      const expected = a.seal(index, pt, aad);
      const out = new Uint8Array(n + a.overhead + 11).fill(0xa5);
      const written = b.sealInto(index, pt, aad, out, 7);
      assert.is(written, n + a.overhead, `${label} length`);
      assert.is(toHex(out.subarray(7, 7 + written)), toHex(expected), `${label} index ${index} n ${n}`);
      assert.ok(out.subarray(0, 7).every((x) => x === 0xa5), `${label} bytes before the offset untouched`);
      assert.ok(out.subarray(7 + written).every((x) => x === 0xa5), `${label} bytes after the result untouched`);
      assert.equal(b.open(index, out.subarray(7, 7 + written), aad), pt, `${label} opens`);
    });
  }
});

test('sealInto refuses a destination that is too short or a bad offset (INVALID_ARGUMENT, nothing written) and throws CLOSED after destroy()', () => {
  for (const suite of ['aes-256-gcm', 'none'] as const) {
    for (const backend of ['node', 'noble'] as const) {
      const s = createSealer(suite, key, { backend });
      const pt = new Uint8Array(10).fill(3);
      const need = 10 + s.overhead;
      const out = new Uint8Array(need + 2);
      assert.is(codeOf(() => s.sealInto(0, pt, new Uint8Array(0), out, 3)), 'INVALID_ARGUMENT', `${suite} ${backend} overflow`);
      assert.is(codeOf(() => s.sealInto(0, pt, new Uint8Array(0), out, -1)), 'INVALID_ARGUMENT');
      assert.is(codeOf(() => s.sealInto(0, pt, new Uint8Array(0), out, 0.5)), 'INVALID_ARGUMENT');
      assert.is(codeOf(() => s.sealInto(0, pt, new Uint8Array(0), null as unknown as Uint8Array, 0)), 'INVALID_ARGUMENT');
      assert.is(codeOf(() => s.sealInto(-1, pt, new Uint8Array(0), out, 0)), 'INVALID_ARGUMENT');
      assert.ok(out.every((x) => x === 0), `${suite} ${backend} nothing written`);
      assert.is(s.sealInto(0, pt, new Uint8Array(0), out, 2), need);
      s.destroy();
      assert.is(codeOf(() => s.sealInto(1, pt, new Uint8Array(0), out, 0)), 'CLOSED');
    }
  }
});

test('[CRY-NONCE-1] setSealAudit sees every aes-256-gcm sealInto, on both backends, and no refused one', () => {
  const seen: Array<[string, number]> = [];
  setSealAudit((fp, index) => seen.push([fp, index]));
  try {
    const fp = createHash('sha256').update(key).digest('hex').slice(0, 16);
    const out = new Uint8Array(64);
    createSealer('aes-256-gcm', key, { backend: 'node' }).sealInto(4, new Uint8Array(1), new Uint8Array(0), out, 0);
    createSealer('aes-256-gcm', key, { backend: 'noble' }).sealInto(2 ** 40, new Uint8Array(1), new Uint8Array(0), out, 0);
    createSealer('none', key).sealInto(6, new Uint8Array(1), new Uint8Array(0), out, 0);
    codeOf(() => createSealer('aes-256-gcm', key).sealInto(9, new Uint8Array(60), new Uint8Array(0), out, 0));
    assert.equal(seen, [
      [fp, 4],
      [fp, 2 ** 40],
    ]);
  } finally {
    setSealAudit(null);
  }
});

test.run();
