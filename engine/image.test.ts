import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromHex, toHex } from '../format/bytes.ts';
import { isHeliosError } from '../format/errors.ts';
import { decodeImage, encodeImage } from './image.ts';

// spec/format.md [ENG-IMAGE-1]: the worked example, byte for byte.
const FILES = [
  { name: 'HELIOS', bytes: new Uint8Array([1, 2, 3]) },
  { name: 'CURRENT', bytes: new Uint8Array([]) },
  { name: '000001.wal', bytes: new Uint8Array([0xab, 0xab, 0xab, 0xab, ...new Uint8Array(32), 9]) },
];
const VECTOR =
  '484c494d41474531' + '00000003' +
  '000a' + '3030303030312e77616c' + '00000025' + '00000002' + '00000000' + '00000004' + 'abababab' + '00000020' + '00000001' + '09' +
  '0007' + '43555252454e54' + '00000000' + '00000001' + '00000000' + '00000000' +
  '0006' + '48454c494f53' + '00000003' + '00000001' + '00000000' + '00000003' + '010203' +
  '181b129b';

test('[ENG-IMAGE-1] the image layout matches the spec vector and decodes back', () => {
  assert.is(toHex(encodeImage(FILES)), VECTOR);
  const back = decodeImage(fromHex(VECTOR)!);
  assert.equal(back.map((f) => f.name), ['000001.wal', 'CURRENT', 'HELIOS']);
  assert.equal(back.map((f) => toHex(f.bytes)), [toHex(FILES[2]!.bytes), '', '010203']);
});

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isHeliosError(e)) return e.code;
    throw e;
  }
  throw new Error('did not throw');
}

test('[ENG-IMAGE-1] damaged and crafted images fail with typed errors, never a crash', () => {
  const good = fromHex(VECTOR)!;
  assert.is(code(() => decodeImage(new Uint8Array(3))), 'NOT_A_DATABASE');
  assert.is(code(() => decodeImage(new TextEncoder().encode('SQLite format 3\0 and more bytes'))), 'NOT_A_DATABASE');
  for (let i = 8; i < good.length; i++) {
    const bad = good.slice();
    bad[i]! ^= 0x10;
    assert.is(code(() => decodeImage(bad)), 'CORRUPTION', `flipped byte ${i}`);
  }
  for (let n = 8; n < good.length; n++) assert.ok(['CORRUPTION', 'NOT_A_DATABASE'].includes(code(() => decodeImage(good.subarray(0, n)))), `truncated to ${n}`);
  // Well-formed frames around bad content: a path-like name is refused, an image without CURRENT too.
  assert.throws(() => encodeImage([{ name: '../x', bytes: new Uint8Array(1) }]), (e: unknown) => isHeliosError(e) && e.code === 'INVALID_ARGUMENT');
  assert.is(code(() => decodeImage(encodeImage([{ name: 'HELIOS', bytes: new Uint8Array(1) }]))), 'CORRUPTION');
});

test.run();
