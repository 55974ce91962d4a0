import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hkdfSync } from 'node:crypto';
import { fromHex, toHex } from '../format/bytes.ts';
import { isHeliosError } from '../format/errors.ts';
import { encodeRecordAad } from '../format/record-frame.ts';
import { createSealer } from './cipher-suite.ts';
import { deriveFileKey, fileKeyInfo } from './file-key.ts';

/** The `name = hex` lines of the file-key example in spec/crypto.md. */
function specVector(): Record<string, string> {
  const spec = readFileSync(join(process.cwd(), 'spec', 'crypto.md'), 'utf8');
  const start = spec.indexOf('<!-- file-key-vector -->');
  assert.ok(start >= 0, 'spec/crypto.md has the file-key vector block');
  const block = spec.slice(start, spec.indexOf('```', spec.indexOf('```', start) + 3));
  const out: Record<string, string> = {};
  for (const m of block.matchAll(/^([a-z ]+?)\s*=\s*([0-9a-fx]+)/gm)) out[m[1]!.trim()] = m[2]!;
  return out;
}

test('the file-key example in spec/crypto.md is what the code derives [CRY-KEY-4]', () => {
  const v = specVector();
  const dek = fromHex(v['dek']!)!;
  const salt = fromHex(v['file salt']!)!;
  const kind = Number(v['file kind']);
  const number = Number(v['file number']);
  assert.is(dek.length, 32);
  assert.is(salt.length, 16);
  assert.is(toHex(fileKeyInfo(kind, number)), v['info']);
  assert.is(toHex(deriveFileKey(dek, salt, kind, number)), v['file key']);
});

test('file key = HKDF-SHA256(dek, salt, "helios-file-key" ‖ u8 kind ‖ u64be number), checked against node:crypto [CRY-KEY-4]', () => {
  const dek = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);
  const salt = Uint8Array.from({ length: 16 }, (_, i) => i * 3);
  for (const [kind, num] of [[0, 0], [1, 1], [255, Number.MAX_SAFE_INTEGER], [7, 2 ** 32], [2, 2 ** 32 - 1]] as const) {
    const info = fileKeyInfo(kind, num);
    assert.is(info.length, 24);
    assert.is(new TextDecoder().decode(info.subarray(0, 15)), 'helios-file-key');
    assert.is(info[15], kind);
    assert.is(new DataView(info.buffer).getBigUint64(16, false), BigInt(num));
    const expected = new Uint8Array(hkdfSync('sha256', dek, salt, info, 32));
    assert.is(toHex(deriveFileKey(dek, salt, kind, num)), toHex(expected));
  }
});

test('different salts, kinds or numbers give different file keys [CRY-NONCE-2]', () => {
  const dek = new Uint8Array(32).fill(1);
  const salt = new Uint8Array(16);
  const seen = new Set<string>();
  for (let kind = 0; kind < 4; kind++) for (let n = 0; n < 4; n++) for (let s = 0; s < 4; s++) {
    salt[0] = s;
    seen.add(toHex(deriveFileKey(dek, salt, kind, n)));
  }
  assert.is(seen.size, 64);
});

test('bad file-key inputs are INVALID_ARGUMENT, never a crash', () => {
  const dek = new Uint8Array(32);
  const salt = new Uint8Array(16);
  const bad: [Uint8Array, Uint8Array, number, number][] = [
    [new Uint8Array(31), salt, 0, 0],
    [dek, new Uint8Array(15), 0, 0],
    [dek, salt, 256, 0],
    [dek, salt, -1, 0],
    [dek, salt, 0, -1],
    [dek, salt, 0, 2 ** 53],
    [dek, salt, 0.5, 0],
  ];
  for (const args of bad) {
    try {
      deriveFileKey(...args);
      assert.unreachable('accepted');
    } catch (e) {
      assert.ok(isHeliosError(e, 'INVALID_ARGUMENT'), String(e));
    }
  }
});

test('a record sealed under its file key and record AAD opens only at the same database, file, generation, index and length [CRY-AAD-1]', () => {
  const dek = new Uint8Array(32).fill(7);
  const salt = new Uint8Array(16).fill(3);
  const at = { databaseId: new Uint8Array(16).fill(1), fileKind: 1, fileNumber: 12, generation: 2 };
  const plaintext = new TextEncoder().encode('row 42: alice');
  const sealer = createSealer('aes-256-gcm', deriveFileKey(dek, salt, at.fileKind, at.fileNumber));
  const index = 5;
  const sealedLength = plaintext.length + sealer.overhead;
  const sealed = sealer.seal(index, plaintext, encodeRecordAad(at, index, sealedLength));
  assert.is(new TextDecoder().decode(sealer.open(index, sealed, encodeRecordAad(at, index, sealedLength))!), 'row 42: alice');
  const moved = [
    { ...at, databaseId: new Uint8Array(16).fill(2) },
    { ...at, fileKind: 2 },
    { ...at, fileNumber: 13 },
    { ...at, generation: 3 },
  ];
  for (const other of moved) assert.is(sealer.open(index, sealed, encodeRecordAad(other, index, sealedLength)), null);
  assert.is(sealer.open(index, sealed, encodeRecordAad(at, index + 1, sealedLength)), null);
  assert.is(sealer.open(index + 1, sealed, encodeRecordAad(at, index + 1, sealedLength)), null);
  assert.is(sealer.open(index, sealed, encodeRecordAad(at, index, sealedLength + 1)), null);
  // Another file's key (other salt) does not open it either.
  const other = createSealer('aes-256-gcm', deriveFileKey(dek, new Uint8Array(16).fill(4), at.fileKind, at.fileNumber));
  assert.is(other.open(index, sealed, encodeRecordAad(at, index, sealedLength)), null);
  sealer.destroy();
  other.destroy();
});

test.run();
