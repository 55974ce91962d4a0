import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { toHex, utf8Encode } from '../format/bytes.ts';
import { corruption } from '../format/errors.ts';
import { FILE_HEADER_BYTES } from '../format/file-header.ts';
import { KIND_PUT, KIND_TOMBSTONE } from '../format/sstable-block.ts';
import { decodeFooter, encodeFooter, FOOTER_BYTES } from '../format/sstable-footer.ts';
import { createMemVfs } from './mem-vfs.ts';
import { openTable } from './sstable-reader.ts';
import { createTableWriter, tableDigest, type TableKeyring } from './sstable-writer.ts';

const SPEC = 'spec/format-sstable.md';

/** The tiny table of the spec: fixed DEK, salt and database id, so its bytes never change. */
export function tinyTable(suite: 'aes-256-gcm' | 'none'): Uint8Array {
  const keyring: TableKeyring = {
    databaseId: Uint8Array.from({ length: 16 }, (_, i) => 0xd0 + i),
    suite,
    dek: (g) => (g === 1 ? Uint8Array.from({ length: 32 }, (_, i) => i) : corruption('HELIOS', 0, 'unknown generation')),
  };
  const vfs = createMemVfs();
  const w = createTableWriter({ file: vfs.create('000007.sst'), fileName: '000007.sst', fileNumber: 7, keyring, generation: 1, salt: Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i) });
  w.add(utf8Encode('apple'), 2, KIND_PUT, utf8Encode('red'));
  w.add(utf8Encode('apricot'), 1, KIND_TOMBSTONE, new Uint8Array());
  w.finish();
  return vfs.readFile('000007.sst');
}

export function hexDump(b: Uint8Array): string {
  const lines: string[] = [];
  for (let o = 0; o < b.length; o += 16) {
    const row = b.subarray(o, o + 16);
    const hex = [...row].map((x) => x.toString(16).padStart(2, '0')).join(' ');
    lines.push(`${o.toString(16).padStart(4, '0')}  ${hex}`);
  }
  return lines.join('\n');
}

function specDump(text: string, suite: string): string | null {
  const m = text.match(new RegExp('<!-- hex:' + suite + ' -->\\n```\\n([\\s\\S]*?)\\n```'));
  return m ? m[1]! : null;
}

test('[FMT-SST-HEX-1] the hex dumps of the tiny table in the spec are what the writer produces today', () => {
  let text = readFileSync(SPEC, 'utf8');
  for (const suite of ['none', 'aes-256-gcm'] as const) {
    const dump = hexDump(tinyTable(suite));
    if (process.env.HELIOS_REWRITE === '1') {
      text = text.replace(new RegExp('(<!-- hex:' + suite + ' -->\\n```\\n)[\\s\\S]*?(\\n```)'), (_m, a: string, b: string) => a + dump + b);
      writeFileSync(SPEC, text);
    }
    assert.is(specDump(text, suite), dump, `${suite} dump differs (HELIOS_REWRITE=1 regenerates it)`);
  }
});

test('[FMT-SST-FOOTER-1] [FMT-SST-FOOTER-3] the footer is 40 bytes of handles, and its handles must tile the meta region up to the footer', () => {
  const f = { dataBlockCount: 2, filter: { blockIndex: 2, offset: 100, sealedLength: 20 }, properties: { blockIndex: 3, offset: 120, sealedLength: 30 }, index: { blockIndex: 4, offset: 150, sealedLength: 10 } };
  const b = encodeFooter(f);
  assert.is(b.length, FOOTER_BYTES);
  assert.equal(decodeFooter(b, 160, 't.sst'), f);
  assert.throws(() => decodeFooter(b, 161, 't.sst'), (e: { code: string }) => e.code === 'CORRUPTION');
  assert.throws(() => decodeFooter(b.subarray(1), 160, 't.sst'), (e: { code: string }) => e.code === 'CORRUPTION');
});

test('[FMT-SST-DIGEST-1] the digest is SHA-256 of the file header and the sealed footer', () => {
  const bytes = tinyTable('aes-256-gcm');
  const vfs = createMemVfs();
  const f = vfs.create('000007.sst');
  f.append(bytes);
  f.close();
  const keyring: TableKeyring = { databaseId: Uint8Array.from({ length: 16 }, (_, i) => 0xd0 + i), suite: 'aes-256-gcm', dek: () => Uint8Array.from({ length: 32 }, (_, i) => i) };
  const t = openTable({ file: vfs.openRead('000007.sst'), fileName: '000007.sst', fileNumber: 7, keyring });
  const footer = bytes.subarray(bytes.length - FOOTER_BYTES - 16);
  assert.is(toHex(t.digest), toHex(tableDigest(bytes.subarray(0, FILE_HEADER_BYTES), footer)));
  t.close();
});

test('data blocks are cut near the configured block size', () => {
  const keyring: TableKeyring = { databaseId: new Uint8Array(16), suite: 'none', dek: () => new Uint8Array(32) };
  for (const blockBytes of [256, 4096]) {
    const vfs = createMemVfs();
    const w = createTableWriter({ file: vfs.create('a.sst'), fileName: 'a.sst', fileNumber: 1, keyring, generation: 1, salt: new Uint8Array(16), blockBytes });
    let raw = 0;
    for (let i = 0; i < 2000; i++) {
      const k = utf8Encode(`key${String(i).padStart(6, '0')}`);
      const v = utf8Encode('v'.repeat(20));
      raw += k.length + v.length;
      w.add(k, i + 1, KIND_PUT, v);
    }
    const meta = w.finish();
    const perBlock = meta.fileSize / meta.dataBlockCount;
    assert.ok(perBlock > blockBytes * 0.6 && perBlock < blockBytes * 1.5, `blockBytes ${blockBytes}: ${perBlock} bytes per block`);
    // Without prefix compression each entry would take 5 header bytes + 9 key bytes + 20 value bytes.
    if (blockBytes >= 4096) assert.ok(meta.fileSize < 2000 * 34 * 0.9, `prefix compression shrinks the table (${meta.fileSize} bytes for ${raw} raw)`);
  }
});

test.run();
