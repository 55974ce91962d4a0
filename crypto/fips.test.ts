/**
 * crypto/fips.ts: OpenSSL-only mode gives the same bytes as the default
 * backends [CRY-GCM-1] and refuses the JavaScript AES-GCM.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gcm } from '@noble/ciphers/aes.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { HeliosError } from '../format/errors.ts';
import { createSealer } from './cipher-suite.ts';
import { hkdfSha256 } from './hkdf.ts';
import { enterFipsMode, fipsProviderActive, opensslOnlyActive, opensslUnwrap, opensslWrap, setFipsProviderCheck } from './fips.ts';

const key = new Uint8Array(32).map((_, i) => i * 7);
const aad = new Uint8Array([1, 2, 3]);
const nonce = (index: number): Uint8Array => {
  const n = new Uint8Array(12);
  new DataView(n.buffer).setBigUint64(4, BigInt(index), false);
  return n;
};

test('without a provider, enterFipsMode is CONFIG and leaves OpenSSL-only mode off', () => {
  setFipsProviderCheck(() => false);
  assert.is(fipsProviderActive(), false);
  try {
    enterFipsMode();
    assert.unreachable();
  } catch (e) {
    assert.ok(e instanceof HeliosError && e.code === 'CONFIG');
  }
  assert.is(opensslOnlyActive(), false);
});

test('[CRY-GCM-1] in OpenSSL-only mode every record size seals to the same bytes as @noble/ciphers; the noble backend is refused', () => {
  setFipsProviderCheck(() => true);
  enterFipsMode();
  assert.is(opensslOnlyActive(), true);
  const s = createSealer('aes-256-gcm', key);
  for (const n of [0, 1, 15, 16, 100, 700, 4096]) {
    const pt = new Uint8Array(n).map((_, i) => i);
    const sealed = s.seal(n, pt, aad);
    assert.equal([...sealed], [...gcm(key, nonce(n), aad).encrypt(pt)], `size ${n}`);
    assert.equal([...s.open(n, sealed, aad)!], [...pt]);
    const bad = sealed.slice();
    bad[0]! ^= 1;
    assert.is(s.open(n, bad, aad), null);
  }
  s.destroy();
  try {
    createSealer('aes-256-gcm', key, { backend: 'noble' });
    assert.unreachable();
  } catch (e) {
    assert.ok(e instanceof HeliosError && e.code === 'CONFIG');
  }
  const w = opensslWrap(key, aad, new Uint8Array(32).fill(5));
  assert.equal([...w], [...gcm(key, new Uint8Array(12), aad).encrypt(new Uint8Array(32).fill(5))]);
  assert.equal([...opensslUnwrap(key, aad, w)], [...new Uint8Array(32).fill(5)]);
  assert.throws(() => opensslUnwrap(key, new Uint8Array([9]), w));
  assert.equal([...hkdfSha256(key, aad, aad, 42)], [...hkdf(sha256, key, aad, aad, 42)]);
  setFipsProviderCheck(null);
});

test.run();
