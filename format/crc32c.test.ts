import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { crc32c } from './crc32c.ts';
import { utf8Encode } from './bytes.ts';
import { encodeFileHeader, FILE_KIND_WAL } from './file-header.ts';

test('[FMT-CRC-1] crc32c known answer for "123456789" is 0xE3069283, stored big-endian in a file header', () => {
  assert.is(crc32c(utf8Encode('123456789')), 0xe3069283);
  const h = encodeFileHeader({ kind: FILE_KIND_WAL, generation: 1, fileNumber: 3, salt: new Uint8Array(16) });
  const c = crc32c(h.subarray(0, 36));
  assert.equal([...h.subarray(36, 40)], [c >>> 24, (c >>> 16) & 0xff, (c >>> 8) & 0xff, c & 0xff]);
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
