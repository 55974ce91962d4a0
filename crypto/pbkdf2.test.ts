import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pbkdf2 as noblePbkdf2 } from '@noble/hashes/pbkdf2.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex, utf8Encode } from '../format/bytes.ts';
import { isHeliosError } from '../format/errors.ts';
import { PBKDF2_BOUNDS, PBKDF2_DEFAULT_ITERATIONS, pbkdf2HmacSha256, pbkdf2Master, validatePbkdf2Iterations } from './pbkdf2.ts';

// RFC 7914 section 11 (PBKDF2-HMAC-SHA256 test vectors).
const RFC7914 = [
  { p: 'passwd', s: 'salt', c: 1, dk: '55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783' },
  { p: 'Password', s: 'NaCl', c: 80000, dk: '4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d' },
];

for (const backend of ['node', 'noble'] as const) {
  for (const v of RFC7914) {
    test(`PBKDF2-HMAC-SHA256 (${backend}) matches RFC 7914 c=${v.c} [CRY-KDF-4]`, () => {
      assert.is(toHex(pbkdf2HmacSha256(utf8Encode(v.p), utf8Encode(v.s), v.c, 64, backend)), v.dk);
    });
  }
}

test('node:crypto and @noble/hashes agree on varied inputs [CRY-KDF-4]', () => {
  for (let i = 0; i < 20; i++) {
    const pw = Uint8Array.from({ length: i * 3 }, (_, j) => (j * 31 + i) & 0xff);
    const salt = Uint8Array.from({ length: 16 + i }, (_, j) => (j * 7 + i) & 0xff);
    const c = 1 + i * 13;
    const len = 1 + ((i * 11) % 70);
    assert.is(toHex(pbkdf2HmacSha256(pw, salt, c, len, 'node')), toHex(noblePbkdf2(sha256, pw, salt, { c, dkLen: len })));
  }
});

test('the FIPS master secret uses 600,000 iterations by default and both backends agree [CRY-KDF-4]', () => {
  assert.is(PBKDF2_DEFAULT_ITERATIONS, 600_000);
  const pw = utf8Encode('correct horse battery staple');
  const salt = new Uint8Array(16).fill(9);
  const a = pbkdf2Master(pw, salt, PBKDF2_DEFAULT_ITERATIONS, 'node');
  assert.is(a.length, 32);
  assert.is(toHex(a), toHex(pbkdf2HmacSha256(pw, salt, 600_000, 32, 'noble')));
});

test('PBKDF2 iteration counts outside 600,000..10,000,000 are CONFIG [CRY-KDF-4]', () => {
  for (const c of [599_999, 1, 0, 10_000_001, 1.5, '600000']) {
    try {
      validatePbkdf2Iterations(c);
      assert.unreachable(`${String(c)} accepted`);
    } catch (e) {
      assert.ok(isHeliosError(e, 'CONFIG'), String(e));
    }
  }
  validatePbkdf2Iterations(PBKDF2_BOUNDS.iterations.min);
  validatePbkdf2Iterations(PBKDF2_BOUNDS.iterations.max);
});

test('a PBKDF2 salt shorter than 16 bytes is CONFIG', () => {
  try {
    pbkdf2Master(utf8Encode('x'), new Uint8Array(15), 600_000);
    assert.unreachable();
  } catch (e) {
    assert.ok(isHeliosError(e, 'CONFIG'));
  }
});

test.run();
