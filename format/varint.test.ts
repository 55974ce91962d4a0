import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeVarint, readVarint, varintLength } from './varint.ts';

test('varints round-trip at every length boundary', () => {
  for (const v of [0, 1, 127, 128, 16383, 16384, 2 ** 21, 2 ** 32, 2 ** 49, Number.MAX_SAFE_INTEGER]) {
    const enc = encodeVarint(v);
    assert.is(enc.length, varintLength(v));
    assert.equal(readVarint(enc, 0), [v, enc.length]);
  }
});

test('a truncated or overlong varint reads as null', () => {
  assert.is(readVarint(new Uint8Array([0x80]), 0), null);
  assert.is(readVarint(new Uint8Array(9).fill(0xff), 0), null);
  assert.is(readVarint(new Uint8Array([]), 0), null);
});

test.run();
