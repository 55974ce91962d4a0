import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeLockRecord, encodeLockRecord, lockFieldValue, MAX_LOCK_FILE_BYTES } from './lock-file.ts';
import { utf8Decode, utf8Encode } from './bytes.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const r = { host: 'db1', boot: 'linux:e8edaf37-4432-419d-998d-b743c7b7e340', pidns: 'pid:[4026531836]', pid: 4242, start: '123456', since: '2026-12-07T15:00:00.000Z', token: '00112233445566778899aabbccddeeff' };

test('[FMT-LOCK-1] the lock record is these exact lines, ending in the CRC32C of the lines before', () => {
  const text = utf8Decode(encodeLockRecord(r));
  assert.is(
    text,
    'helios-lock 1\nhost db1\nboot linux:e8edaf37-4432-419d-998d-b743c7b7e340\npidns pid:[4026531836]\npid 4242\nstart 123456\n' +
      'since 2026-12-07T15:00:00.000Z\ntoken 00112233445566778899aabbccddeeff\ncrc a3b25753\n',
  );
  assert.equal(decodeLockRecord(encodeLockRecord(r)), r);
  // The example of spec/format.md is these bytes.
  const spec = readFileSync(join(process.cwd(), 'spec', 'format.md'), 'utf8');
  const blocks = [...spec.slice(spec.indexOf('**[FMT-LOCK-1]**')).matchAll(/```\n(helios-lock 1\nhost db1\n[\s\S]*?)```/g)];
  assert.is(blocks[0]?.[1], text);
});

test('[FMT-LOCK-1] every prefix, a flipped byte, a legacy pid file or an oversized file decodes to null', () => {
  const b = encodeLockRecord(r);
  for (let n = 0; n < b.length; n++) assert.is(decodeLockRecord(b.subarray(0, n)), null, `prefix ${n}`);
  for (let i = 0; i < b.length; i++) {
    const c = b.slice();
    c[i] = c[i]! ^ 0x01;
    assert.is(decodeLockRecord(c), null, `byte ${i}`);
  }
  assert.is(decodeLockRecord(utf8Encode('4242\n')), null);
  assert.is(decodeLockRecord(new Uint8Array(MAX_LOCK_FILE_BYTES + 1).fill(0x41)), null);
});

test('[FMT-LOCK-1] field values are printable ASCII without spaces; empty is "-"', () => {
  assert.is(lockFieldValue('my host\u00e9'), 'my?host?');
  assert.is(lockFieldValue(''), '-');
  assert.is(lockFieldValue('x'.repeat(300)).length, 255);
  const odd = { ...r, host: 'a b' };
  assert.is(decodeLockRecord(encodeLockRecord(odd))!.host, 'a?b');
});

test.run();
