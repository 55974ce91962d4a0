import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toHex } from '../format/bytes.ts';
import { GHASH_TABLE_LIMBS, createGhashTable, destroyGhashTable, ghashLengths, ghashUpdate } from './ghash.ts';
import { seededBytes as rng } from '../format/test-support.ts';

// Reference: NIST SP 800-38D Algorithm 1 (bit by bit), on 128-bit BigInts
// holding the block big-endian, so bit i of the spec is bit 127 - i here.
const R = 0xe1n << 120n;
function refMul(x: bigint, y: bigint): bigint {
  let z = 0n;
  let v = y;
  for (let i = 127n; i >= 0n; i--) {
    if ((x >> i) & 1n) z ^= v;
    v = v & 1n ? (v >> 1n) ^ R : v >> 1n;
  }
  return z;
}
const toBig = (b: Uint8Array, off = 0): bigint => {
  let x = 0n;
  for (let i = 0; i < 16; i++) x = (x << 8n) | BigInt(b[off + i] ?? 0);
  return x;
};
function refGhash(h: Uint8Array, aad: Uint8Array, ct: Uint8Array): string {
  const hb = toBig(h);
  let y = 0n;
  for (const part of [aad, ct]) {
    const padded = new Uint8Array(Math.ceil(part.length / 16) * 16);
    padded.set(part);
    for (let i = 0; i < padded.length; i += 16) y = refMul(y ^ toBig(padded, i), hb);
  }
  y = refMul(y ^ ((BigInt(aad.length * 8) << 64n) | BigInt(ct.length * 8)), hb);
  return y.toString(16).padStart(32, '0');
}

function tableGhash(h: Uint8Array, aad: Uint8Array, ct: Uint8Array): string {
  const t = createGhashTable(h);
  const state = new Int32Array(4);
  ghashUpdate(t, state, aad, 0, aad.length);
  ghashUpdate(t, state, ct, 0, ct.length);
  ghashLengths(t, state, aad.length, ct.length);
  const out = new Uint8Array(16);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) view.setInt32(i * 4, state[i]!, false);
  return toHex(out);
}

test('table GHASH equals the bit-by-bit SP 800-38D reference for every length 0..70 and several keys', () => {
  const random = rng(0x5eed);
  for (let k = 0; k < 4; k++) {
    const h = random(16);
    for (let n = 0; n <= 70; n++) {
      const aad = random(n % 37);
      const ct = random(n);
      assert.is(tableGhash(h, aad, ct), refGhash(h, aad, ct), `key ${k}, aad ${aad.length}, ct ${n}`);
    }
  }
});

test('table GHASH handles H with the top and bottom bits set (reduction edge cases)', () => {
  const random = rng(77);
  for (const hHex of ['80000000000000000000000000000000', '00000000000000000000000000000001', 'ffffffffffffffffffffffffffffffff']) {
    const h = new Uint8Array(16);
    for (let i = 0; i < 16; i++) h[i] = parseInt(hHex.slice(2 * i, 2 * i + 2), 16);
    const ct = random(53);
    assert.is(tableGhash(h, new Uint8Array(0), ct), refGhash(h, new Uint8Array(0), ct), hHex);
  }
});

test('ghashUpdate only reads data[start, end)', () => {
  const random = rng(9);
  const h = random(16);
  const t = createGhashTable(h);
  const data = random(100);
  const a = new Int32Array(4);
  ghashUpdate(t, a, data, 7, 7 + 41);
  const b = new Int32Array(4);
  ghashUpdate(t, b, data.slice(7, 48), 0, 41);
  assert.equal(Array.from(a), Array.from(b));
});

test('[CRY-ZERO-1] destroyGhashTable zeroes all 64 KiB of the table', () => {
  const t = createGhashTable(rng(3)(16));
  assert.is(t.length, GHASH_TABLE_LIMBS);
  assert.ok(t.some((x) => x !== 0));
  destroyGhashTable(t);
  assert.ok(t.every((x) => x === 0));
});

test.run();
