// Byte-exact fixtures of spec/format.md: the hex examples in the spec are
// recomputed here from the format encoders and the crypto core, so the
// document and the code cannot drift apart. Also checks that a database the
// engine writes has exactly the directory layout and framing of the spec.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSealer } from '../crypto/cipher-suite.ts';
import { deriveFileKey } from '../crypto/file-key.ts';
import { concatBytes, toHex, utf8Encode } from '../format/bytes.ts';
import { encodeCurrentState, manifestFileName } from '../format/current-file.ts';
import { decodeStateFile } from './current.ts';
import { decodeFileHeader, encodeFileHeader, FILE_HEADER_BYTES, FILE_KIND_CURRENT, FILE_KIND_MANIFEST, FILE_KIND_WAL } from '../format/file-header.ts';
import { decodeRecordHeader, encodeRecordAad, encodeRecordHeader, LOG_BLOCK_BYTES, RECORD_HEADER_BYTES } from '../format/record-frame.ts';
import { encodeWalBatch } from '../format/wal-record.ts';
import { encodeManifestEdit } from '../format/manifest-edit.ts';
import { openEngine } from './engine.ts';
import { dumpDatabase } from './dump.ts';
import { createMemVfs } from './vfs.ts';

const spec = readFileSync(join(process.cwd(), 'spec', 'format.md'), 'utf8');

/** The ```hex blocks following the tag, whitespace removed. */
function hexBlocks(tag: string): string[] {
  const at = spec.indexOf(`**[${tag}]**`);
  assert.ok(at >= 0, `${tag} not in spec/format.md`);
  const next = spec.indexOf('**[', at + 5);
  const section = spec.slice(at, next < 0 ? undefined : next);
  return [...section.matchAll(/```hex\n([\s\S]*?)```/g)].map((m) => m[1]!.replace(/\s+/g, ''));
}

test('[FMT-HEX-1] the example WAL segment of the spec is reproduced byte for byte', () => {
  const dek = new Uint8Array(32).fill(0x11);
  const databaseId = new Uint8Array(16).fill(0xaa);
  const salt = Uint8Array.from({ length: 16 }, (_, i) => i);
  const header = encodeFileHeader({ kind: FILE_KIND_WAL, generation: 1, fileNumber: 3, salt });
  const fileKey = deriveFileKey(dek, salt, FILE_KIND_WAL, 3);
  assert.ok(spec.includes(toHex(fileKey)), 'file key of the example');
  const plaintext = encodeWalBatch(1, [{ key: utf8Encode('k'), value: utf8Encode('v') }]);
  const sealedLength = plaintext.length + 16;
  const aad = encodeRecordAad({ databaseId, fileKind: FILE_KIND_WAL, fileNumber: 3, generation: 1 }, 0, sealedLength);
  const sealer = createSealer('aes-256-gcm', fileKey);
  const sealed = sealer.seal(0, plaintext, aad);
  sealer.destroy();
  const file = concatBytes(header, encodeRecordHeader(sealed.length), sealed);
  assert.is(file.length, 71);
  assert.equal(hexBlocks('FMT-HEX-1'), [toHex(file)]);
});

test('[FMT-HEX-2] the example manifest edit is reproduced byte for byte', () => {
  const edit = encodeManifestEdit({ logNumber: 0, nextFileNumber: 5, lastSeqNum: 0, walAdded: [3], walSealed: [{ fileNumber: 3, byteLength: 71 }] });
  assert.equal(hexBlocks('FMT-HEX-2'), [toHex(edit)]);
});

test('[FMT-HEX-3] [FMT-CUR-1] the example CURRENT is reproduced byte for byte and decodes to its state', () => {
  const dek = new Uint8Array(32).fill(0x11);
  const databaseId = new Uint8Array(16).fill(0xaa);
  const salt = Uint8Array.from({ length: 16 }, (_, i) => i);
  const header = encodeFileHeader({ kind: FILE_KIND_CURRENT, generation: 1, fileNumber: 0, salt });
  const fileKey = deriveFileKey(dek, salt, FILE_KIND_CURRENT, 0);
  assert.ok(spec.includes(toHex(fileKey)), 'file key of the example');
  const state = { manifestNumber: 4, closed: true, lastSeqNum: 1, manifestByteLength: 200 };
  const plaintext = encodeCurrentState(state);
  const aad = encodeRecordAad({ databaseId, fileKind: FILE_KIND_CURRENT, fileNumber: 0, generation: 1 }, 0, plaintext.length + 16);
  const sealer = createSealer('aes-256-gcm', fileKey);
  const sealed = sealer.seal(0, plaintext, aad);
  sealer.destroy();
  const file = concatBytes(header, encodeRecordHeader(sealed.length), sealed);
  assert.is(file.length, 69);
  assert.equal(hexBlocks('FMT-HEX-3'), [toHex(file)]);
  const keyring = { currentGeneration: 1, dek: () => dek } as unknown as Parameters<typeof decodeStateFile>[0]['keyring'];
  assert.equal(decodeStateFile({ databaseId, suite: 'aes-256-gcm', keyring, random: () => salt }, FILE_KIND_CURRENT, file, 'CURRENT'), state);
});

test('[FMT-DIR-1] a database directory holds HELIOS, CURRENT, one manifest, WAL segments and nothing else', () => {
  const vfs = createMemVfs();
  const db = openEngine('db', { key: { raw: new Uint8Array(32).fill(3) }, vfs, walSegmentBytes: 200 });
  for (let i = 0; i < 20; i++) db.put(utf8Encode(`key ${i}`), utf8Encode(`value ${i}`));
  db.close();
  const names = vfs.list('db');
  assert.not.ok(names.includes('LOCK'));
  const manifests = names.filter((n) => /^MANIFEST-\d{6}$/.test(n));
  const wals = names.filter((n) => /^\d{6}\.wal$/.test(n));
  assert.is(manifests.length, 1);
  assert.ok(wals.length > 3);
  assert.equal(names.filter((n) => !manifests.includes(n) && !wals.includes(n)).sort(), ['CURRENT', 'HELIOS']);
  const dump = dumpDatabase('db', { vfs, key: { raw: new Uint8Array(32).fill(3) } });
  assert.ok(dump.includes(`CURRENT: ${manifests[0]}, closed at seq 20`), dump);
  assert.is(manifestFileName(Number(manifests[0]!.slice(9))), manifests[0]);
  // Every log file is a header naming its own number and kind, then well-framed records up to its end,
  // with zero padding from a record's end to the next block boundary at sync points [FMT-REC-4].
  for (const n of [...wals, ...manifests]) {
    const bytes = vfs.readFile(`db/${n}`);
    const h = decodeFileHeader(bytes, n);
    assert.is(h.kind, n.endsWith('.wal') ? FILE_KIND_WAL : FILE_KIND_MANIFEST);
    assert.is(h.fileNumber, Number(n.replace(/\D/g, '')));
    let o = FILE_HEADER_BYTES;
    while (o < bytes.length) {
      if (bytes.subarray(o, Math.min(bytes.length, Math.ceil((o + 1) / LOG_BLOCK_BYTES) * LOG_BLOCK_BYTES)).every((b) => b === 0)) {
        o = Math.min(bytes.length, Math.ceil((o + 1) / LOG_BLOCK_BYTES) * LOG_BLOCK_BYTES);
        continue;
      }
      const len = decodeRecordHeader(bytes, o);
      assert.ok(len > 16, `${n} record at ${o}`);
      o += RECORD_HEADER_BYTES + len;
    }
    assert.is(o, bytes.length, n);
  }
});

test.run();
