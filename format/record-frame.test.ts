import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRecordAadWriter, decodeRecordHeader, encodeRecordAad, encodeRecordHeader, MAX_SEALED_RECORD_BYTES, RECORD_AAD_BYTES, writeRecordHeader } from './record-frame.ts';
import { toHex } from './bytes.ts';
import { isHeliosError } from './errors.ts';

test('[FMT-REC-1] the frame is sealedLength and its CRC32C, big-endian', () => {
  const h = encodeRecordHeader(23);
  assert.is(toHex(h), '00000017' + '8cf3e843');
  assert.is(decodeRecordHeader(h, 0), 23);
  const framed = new Uint8Array([9, 9, ...h]);
  assert.is(decodeRecordHeader(framed, 2), 23);
});

test('[FMT-REC-1] a damaged length check is -1; lengths above the limit are refused', () => {
  const h = encodeRecordHeader(100);
  for (let bit = 0; bit < 64; bit++) {
    const b = h.slice();
    b[bit >> 3] = b[bit >> 3]! ^ (1 << (bit & 7));
    assert.is(decodeRecordHeader(b, 0), -1, `bit ${bit}`);
  }
  try {
    encodeRecordHeader(MAX_SEALED_RECORD_BYTES + 1);
    assert.unreachable();
  } catch (e) {
    assert.ok(isHeliosError(e, 'TOO_BIG'));
  }
});

test('[FMT-REC-2] the AAD is database id, kind, file number, generation, index, sealed length (41 bytes)', () => {
  const f = { databaseId: new Uint8Array(16).fill(0xaa), fileKind: 1, fileNumber: 3, generation: 1 };
  const aad = encodeRecordAad(f, 0, 23);
  assert.is(aad.length, RECORD_AAD_BYTES);
  assert.is(toHex(aad), 'aa'.repeat(16) + '01' + '0000000000000003' + '00000001' + '0000000000000000' + '00000017');
  const w = createRecordAadWriter({ ...f, fileNumber: 2 ** 40 + 5 });
  assert.is(toHex(w(2 ** 33 + 1, 7)).slice(34), '0000010000000005' + '00000001' + '0000000200000001' + '00000007');
  assert.is(toHex(encodeRecordAad({ ...f, fileNumber: 2 ** 40 + 5 }, 2 ** 33 + 1, 7)), toHex(w(2 ** 33 + 1, 7)));
});


test('[FMT-REC-1] writeRecordHeader writes the bytes of encodeRecordHeader at an offset and nothing else', () => {
  for (const n of [0, 23, 116, 0x01020304, MAX_SEALED_RECORD_BYTES]) {
    const out = new Uint8Array(13).fill(0x5a);
    writeRecordHeader(out, 3, n);
    assert.is(toHex(out.subarray(3, 11)), toHex(encodeRecordHeader(n)), `length ${n}`);
    assert.is(toHex(out.subarray(0, 3)) + toHex(out.subarray(11)), '5a5a5a' + '5a5a');
    assert.is(decodeRecordHeader(out, 3), n);
  }
  const out = new Uint8Array(8);
  try {
    writeRecordHeader(out, 0, MAX_SEALED_RECORD_BYTES + 1);
    assert.unreachable('accepted an oversized record');
  } catch (e) {
    assert.ok(isHeliosError(e) && e.code === 'TOO_BIG');
  }
  assert.ok(out.every((x) => x === 0));
});

test.run();
