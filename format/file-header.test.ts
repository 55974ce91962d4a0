import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeFileHeader, encodeFileHeader, FILE_HEADER_BYTES, FILE_KIND_MANIFEST, FILE_KIND_WAL } from './file-header.ts';
import { isHeliosError, type ErrorCode } from './errors.ts';
import { toHex } from './bytes.ts';
import { crc32c } from './crc32c.ts';

const salt = Uint8Array.from({ length: 16 }, (_, i) => i);

function code(fn: () => unknown): ErrorCode | 'ok' {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (isHeliosError(e)) return e.code;
    throw e;
  }
}

test('[FMT-HDR-1] the header is magic, version, kind, reserved, generation, file number, salt, CRC32C', () => {
  const h = encodeFileHeader({ kind: FILE_KIND_WAL, generation: 1, fileNumber: 3, salt });
  assert.is(h.length, FILE_HEADER_BYTES);
  assert.is(toHex(h.subarray(0, 36)), '48454c46' + '0001' + '01' + '00' + '00000001' + '0000000000000003' + toHex(salt));
  assert.is(new DataView(h.buffer).getUint32(36, false), crc32c(h.subarray(0, 36)));
  const d = decodeFileHeader(h, 'x.wal');
  assert.equal({ ...d, salt: toHex(d.salt) }, { kind: 1, formatVersion: 1, generation: 1, fileNumber: 3, salt: toHex(salt) });
});

test('[FMT-HDR-1] file numbers up to 2^53 - 1 and generations up to 2^32 - 1 round-trip', () => {
  const h = encodeFileHeader({ kind: FILE_KIND_MANIFEST, generation: 0xffffffff, fileNumber: Number.MAX_SAFE_INTEGER, salt });
  const d = decodeFileHeader(h, 'm');
  assert.is(d.fileNumber, Number.MAX_SAFE_INTEGER);
  assert.is(d.generation, 0xffffffff);
});

test('[FMT-HDR-2] damaged headers are CORRUPTION, other versions UNSUPPORTED_VERSION', () => {
  const h = encodeFileHeader({ kind: FILE_KIND_WAL, generation: 1, fileNumber: 3, salt });
  assert.is(code(() => decodeFileHeader(h.subarray(0, 39), 'f')), 'CORRUPTION');
  for (let bit = 0; bit < 40 * 8; bit++) {
    const b = h.slice();
    b[bit >> 3] = b[bit >> 3]! ^ (1 << (bit & 7));
    assert.is(code(() => decodeFileHeader(b, 'f')), 'CORRUPTION', `bit ${bit}`);
  }
  const v2 = h.slice();
  v2[5] = 2;
  new DataView(v2.buffer).setUint32(36, crc32c(v2.subarray(0, 36)), false);
  assert.is(code(() => decodeFileHeader(v2, 'f')), 'UNSUPPORTED_VERSION');
  const kind9 = h.slice();
  kind9[6] = 9;
  new DataView(kind9.buffer).setUint32(36, crc32c(kind9.subarray(0, 36)), false);
  assert.is(code(() => decodeFileHeader(kind9, 'f')), 'CORRUPTION');
});

test('[FMT-HDR-2] a corruption error names the file and offset', () => {
  try {
    decodeFileHeader(new Uint8Array(40), '000007.wal');
    assert.unreachable();
  } catch (e) {
    assert.ok(isHeliosError(e, 'CORRUPTION'));
    assert.is(e.details.file, '000007.wal');
    assert.is(e.details.offset, 0);
  }
});

test.run();
