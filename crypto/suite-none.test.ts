import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { concatBytes, toHex, utf8Encode } from '../format/bytes.ts';
import { crc32c } from '../format/crc32c.ts';
import { NONE_OVERHEAD_BYTES, noneOpen, noneSeal } from './suite-none.ts';

const u64be = (x: number): Uint8Array => {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  v.setUint32(0, Math.floor(x / 2 ** 32), false);
  v.setUint32(4, x >>> 0, false);
  return b;
};

test('[CRY-SUITE-1] none: sealed = plaintext ‖ u32be(CRC32C(aad ‖ pt ‖ u64be |aad| ‖ u64be |pt| ‖ u64be index))', () => {
  const aad = utf8Encode('aad bytes');
  const pt = utf8Encode('hello, world');
  for (const index of [0, 1, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER]) {
    const sealed = noneSeal(index, pt, aad);
    assert.is(sealed.length, pt.length + NONE_OVERHEAD_BYTES);
    assert.is(toHex(sealed.subarray(0, pt.length)), toHex(pt));
    const crc = crc32c(concatBytes(aad, pt, u64be(aad.length), u64be(pt.length), u64be(index)));
    const trailer = new DataView(sealed.buffer, sealed.byteOffset + pt.length, 4).getUint32(0, false);
    assert.is(trailer, crc, `index ${index}`);
  }
});

test('[CRY-SUITE-1] none: byte-exact fixtures (the format never changes; computed independently)', () => {
  assert.is(toHex(noneSeal(7, utf8Encode('abc'), utf8Encode('xy'))), '6162631eaa7995');
  assert.is(toHex(noneSeal(0, new Uint8Array(0), new Uint8Array(0))), '84fbecee');
  assert.is(toHex(noneSeal(2 ** 32 + 1, utf8Encode('abc'), utf8Encode('xy'))), '616263001af1d1');
});

test('[CRY-SUITE-1] none: round trip returns a copy that owns its memory', () => {
  const pt = utf8Encode('payload');
  const sealed = noneSeal(3, pt, new Uint8Array(2));
  const opened = noneOpen(3, sealed, new Uint8Array(2));
  assert.ok(opened !== null);
  assert.is(toHex(opened!), toHex(pt));
  assert.is(opened!.byteOffset, 0);
  assert.is(opened!.buffer.byteLength, pt.length);
});

test('[CRY-SUITE-1] none: any flipped bit, other index or other aad is rejected', () => {
  const aad = utf8Encode('header');
  const pt = utf8Encode('some record payload');
  const sealed = noneSeal(42, pt, aad);
  for (let i = 0; i < sealed.length * 8; i++) {
    const bad = sealed.slice();
    bad[i >>> 3]! ^= 1 << (i & 7);
    assert.is(noneOpen(42, bad, aad), null, `bit ${i}`);
  }
  assert.is(noneOpen(43, sealed, aad), null);
  assert.is(noneOpen(42, sealed, utf8Encode('headeR')), null);
  assert.is(noneOpen(42, sealed.subarray(0, 3), aad), null);
  assert.is(noneOpen(42, new Uint8Array(0), aad), null);
});

test('[CRY-SUITE-1] none: moving bytes between aad and plaintext changes the checksum (lengths are bound)', () => {
  const a = noneSeal(0, utf8Encode('c'), utf8Encode('ab'));
  assert.is(noneOpen(0, concatBytes(utf8Encode('bc'), a.subarray(1)), utf8Encode('a')), null);
});

test.run();
