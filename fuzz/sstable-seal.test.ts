// Sealing properties of tables: no (file key, nonce) pair is ever used twice
// across the blocks of many tables, and no key or value written reaches the
// file in plaintext (nor reversed, nor hex-encoded).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { setSealAudit } from '../crypto/cipher-suite.ts';
import { toHex, utf8Encode } from '../format/bytes.ts';
import { corruption } from '../format/errors.ts';
import { compareInternal, KIND_PUT } from '../format/sstable-block.ts';
import { FOOTER_BLOCK_INDEX } from '../format/sstable-footer.ts';
import { createMemVfs } from '../engine/mem-vfs.ts';
import { createTableWriter, type TableKeyring } from '../engine/sstable-writer.ts';
import { fuzzParams } from './budget.ts';

const keyring: TableKeyring = {
  databaseId: new Uint8Array(16).fill(5),
  suite: 'aes-256-gcm',
  dek: (g) => (g === 1 ? new Uint8Array(32).fill(1) : corruption('HELIOS', 0, 'unknown generation')),
};

test('[FMT-SST-SEAL-1] [FMT-SST-FOOTER-2] every block of every table is sealed under a fresh (file key, nonce) pair', () => {
  const seen = new Set<string>();
  let seals = 0;
  setSealAudit((fp, index) => {
    const id = `${fp}:${index}`;
    assert.not.ok(seen.has(id), `nonce reused: ${id}`);
    seen.add(id);
    seals++;
  });
  try {
    const vfs = createMemVfs();
    let number = 0;
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 200 }), fc.constantFrom(64, 512, 4096), fc.uint8Array({ minLength: 16, maxLength: 16 }), (keys, blockBytes, salt) => {
        const before = seals;
        // File numbers repeat every 5 tables: the salt must still give each table its own key.
        const fileNumber = number++ % 5;
        const w = createTableWriter({ file: vfs.create(`t${number}.sst`), fileName: 't.sst', fileNumber, keyring, generation: 1, salt: salt.map((b, i) => (i === 0 ? number & 255 : b)).map((b, i) => (i === 1 ? number >> 8 : b)), blockBytes });
        const uniq = [...new Map(keys.map((k) => [toHex(k), k])).values()].sort((a, b) => compareInternal(a, 1, b, 1));
        uniq.forEach((k) => w.add(k, 1, KIND_PUT, k));
        const meta = w.finish();
        assert.is(seals - before, meta.dataBlockCount + 4); // data blocks, filter, properties, index, footer
      }),
      fuzzParams(150),
    );
    assert.ok([...seen].some((id) => id.endsWith(`:${FOOTER_BLOCK_INDEX}`)));
  } finally {
    setSealAudit(null);
  }
});

test('no key or value of 4 bytes or more appears in a table file, nor reversed, nor hex-encoded', () => {
  fc.assert(
    fc.property(fc.array(fc.record({ key: fc.string({ minLength: 4, maxLength: 24 }), value: fc.string({ minLength: 4, maxLength: 64 }) }), { minLength: 1, maxLength: 120 }), (rows) => {
      const vfs = createMemVfs();
      const entries = [...new Map(rows.map((r) => [r.key, r.value])).entries()].map(([k, v]) => ({ key: utf8Encode(k), value: utf8Encode(v) }));
      entries.sort((a, b) => compareInternal(a.key, 1, b.key, 1));
      const w = createTableWriter({ file: vfs.create('t.sst'), fileName: 't.sst', fileNumber: 1, keyring, generation: 1, salt: new Uint8Array(16).fill(9), blockBytes: 256 });
      for (const e of entries) w.add(e.key, 7, KIND_PUT, e.value);
      w.finish();
      const file = toHex(vfs.readFile('t.sst'));
      const fileText = Buffer.from(vfs.readFile('t.sst')).toString('latin1');
      for (const e of entries) {
        for (const b of [e.key, e.value]) {
          for (const probe of [b, b.slice().reverse()]) assert.not.ok(file.includes(toHex(probe)), `plaintext ${toHex(probe)} found`);
          assert.not.ok(fileText.includes(toHex(b)), 'hex-encoded plaintext found');
        }
      }
    }),
    fuzzParams(150),
  );
});

test.run();
