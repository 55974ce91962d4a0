import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromHex, toHex } from '../format/bytes.ts';
import { isHeliosError } from '../format/errors.ts';
import { hkdfSha256 } from './hkdf.ts';

interface HkdfVector { id: string; ikm: string; salt: string; info: string; L: number; okm: string }
const vectorFile = join(process.cwd(), 'spec', 'vectors', 'hkdf-rfc5869.json');
const vectors = (JSON.parse(readFileSync(vectorFile, 'utf8')) as { vectors: HkdfVector[] }).vectors;
const hex = (s: string): Uint8Array => fromHex(s) ?? assert.unreachable(`bad hex ${s}`) as never;

test('the RFC 5869 vector file holds the three SHA-256 cases', () => {
  assert.is(vectors.length, 3);
});

for (const v of vectors) {
  test(`HKDF-SHA256 matches RFC 5869 ${v.id} [CRY-KDF-1]`, () => {
    assert.is(toHex(hkdfSha256(hex(v.ikm), hex(v.salt), hex(v.info), v.L)), v.okm);
  });
}

test('an empty salt equals 32 zero bytes (RFC 5869 section 2.2) [CRY-KDF-1]', () => {
  const ikm = new Uint8Array(22).fill(0x0b);
  assert.is(toHex(hkdfSha256(ikm, new Uint8Array(0), new Uint8Array(0), 42)), toHex(hkdfSha256(ikm, new Uint8Array(32), new Uint8Array(0), 42)));
});

test('HKDF output lengths outside 1..8160 are INVALID_ARGUMENT', () => {
  const k = new Uint8Array(32);
  for (const n of [0, -1, 8161, 1.5, NaN]) {
    try {
      hkdfSha256(k, k, k, n);
      assert.unreachable(`length ${n} accepted`);
    } catch (e) {
      assert.ok(isHeliosError(e, 'INVALID_ARGUMENT'), `length ${n}: ${String(e)}`);
    }
  }
  assert.is(hkdfSha256(k, k, k, 8160).length, 8160);
});

test('HKDF rejects non-byte inputs with INVALID_ARGUMENT', () => {
  try {
    hkdfSha256('key' as unknown as Uint8Array, new Uint8Array(0), new Uint8Array(0), 32);
    assert.unreachable();
  } catch (e) {
    assert.ok(isHeliosError(e, 'INVALID_ARGUMENT'));
  }
});

test.run();
