import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { crc32c } from './crc32c.ts';
import { utf8Encode } from './bytes.ts';

test('crc32c known answer for "123456789" is 0xE3069283', () => {
  assert.is(crc32c(utf8Encode('123456789')), 0xe3069283);
});

test('crc32c of 32 zero bytes is 0x8A9136AA (RFC 3720 B.4)', () => {
  assert.is(crc32c(new Uint8Array(32)), 0x8a9136aa);
});

test('crc32c chains across splits', () => {
  const data = utf8Encode('the quick brown fox jumps over the lazy dog, twice over');
  for (let cut = 0; cut <= data.length; cut++) {
    assert.is(crc32c(data.subarray(cut), crc32c(data.subarray(0, cut))), crc32c(data));
  }
});

test.run();
