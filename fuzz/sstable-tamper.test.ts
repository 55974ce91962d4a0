// Tag verification of tables: any single bit flip anywhere in a table file,
// a swap of two blocks, a block spliced from another table or database, or a
// truncation yields CORRUPTION on open or on read — never different data.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { utf8Encode } from '../format/bytes.ts';
import { corruption, isHeliosError } from '../format/errors.ts';
import { FILE_HEADER_BYTES } from '../format/file-header.ts';
import { KIND_PUT, KIND_TOMBSTONE } from '../format/sstable-block.ts';
import { createBlockCache } from '../engine/block-cache.ts';
import { createMemVfs, type MemVfs } from '../engine/mem-vfs.ts';
import { openTable } from '../engine/sstable-reader.ts';
import { createTableWriter, type TableKeyring, type TableMeta } from '../engine/sstable-writer.ts';
import { fuzzParams } from './budget.ts';

type Suite = 'aes-256-gcm' | 'none';
const keyring = (suite: Suite, dbByte = 5): TableKeyring => ({
  databaseId: new Uint8Array(16).fill(dbByte),
  suite,
  dek: (g) => (g === 1 ? new Uint8Array(32).fill(1) : corruption('HELIOS', 0, 'unknown generation')),
});

function writeTable(vfs: MemVfs, path: string, n: number, suite: Suite, opts: { salt?: number; dbByte?: number; blockBytes?: number } = {}): TableMeta {
  const w = createTableWriter({ file: vfs.create(path), fileName: path, fileNumber: 4, keyring: keyring(suite, opts.dbByte), generation: 1, salt: new Uint8Array(16).fill(opts.salt ?? 2), blockBytes: opts.blockBytes ?? 128 });
  for (let i = 0; i < n; i++) w.add(utf8Encode(`k${String(i).padStart(4, '0')}`), 1000 - i, i % 3 === 0 ? KIND_TOMBSTONE : KIND_PUT, i % 3 === 0 ? new Uint8Array() : utf8Encode(`value number ${i}`));
  return w.finish();
}

/** Opens and reads everything; returns 'ok' with a fingerprint of all data, or the error code. */
function readAll(vfs: MemVfs, path: string, suite: Suite, expected?: TableMeta): string {
  try {
    const t = openTable({
      file: vfs.openRead(path),
      fileName: path,
      fileNumber: 4,
      keyring: keyring(suite),
      cache: createBlockCache(1 << 16),
      ...(expected ? { expected: { fileSize: expected.fileSize, digest: expected.digest, generation: expected.generation } } : {}),
    });
    const c = t.cursor();
    let s = '';
    for (c.seekToFirst(); c.valid(); c.next()) s += `${c.key().join(',')}/${c.seqNum()}/${c.kind()}/${c.value().join(',')};`;
    for (c.seekToLast(); c.valid(); c.prev()) s += c.seqNum();
    t.close();
    return 'ok:' + s;
  } catch (e) {
    if (isHeliosError(e)) return e.code;
    throw e;
  }
}

for (const suite of ['aes-256-gcm', 'none'] as const) {
  test(`[FMT-SST-VERIFY-1] every single bit flip of a small table is CORRUPTION, with or without the manifest's digest (${suite})`, () => {
    const vfs = createMemVfs();
    const meta = writeTable(vfs, 't.sst', 12, suite);
    assert.ok(meta.dataBlockCount >= 2);
    const bits = meta.fileSize * 8;
    for (let bit = 0; bit < bits; bit++) {
      vfs.flipBit('t.sst', bit);
      assert.is(readAll(vfs, 't.sst', suite), 'CORRUPTION', `bit ${bit}`);
      assert.is(readAll(vfs, 't.sst', suite, meta), 'CORRUPTION', `bit ${bit} (with digest)`);
      vfs.flipBit('t.sst', bit);
    }
    assert.ok(readAll(vfs, 't.sst', suite, meta).startsWith('ok:'));
  });
}

test('a random bit flip in a larger table is CORRUPTION on open or read', () => {
  const vfs = createMemVfs();
  const metas = { 'aes-256-gcm': writeTable(vfs, 'g.sst', 400, 'aes-256-gcm', { blockBytes: 1024 }), none: writeTable(vfs, 'n.sst', 400, 'none', { blockBytes: 1024 }) };
  fc.assert(
    fc.property(fc.constantFrom('aes-256-gcm' as const, 'none' as const), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (suite, at) => {
      const path = suite === 'none' ? 'n.sst' : 'g.sst';
      const bit = Math.floor(at * metas[suite].fileSize * 8);
      vfs.flipBit(path, bit);
      try {
        assert.is(readAll(vfs, path, suite), 'CORRUPTION', `bit ${bit}`);
      } finally {
        vfs.flipBit(path, bit);
      }
    }),
    fuzzParams(300),
  );
});

test('swapping two data blocks, or splicing one from another table or database, is CORRUPTION', () => {
  const vfs = createMemVfs();
  // Equal-length blocks: every entry has the same size, so blocks of the same entry count have the same length.
  const write = (path: string, salt: number, dbByte: number): { meta: TableMeta; blocks: { offset: number; length: number }[] } => {
    const blocks: { offset: number; length: number }[] = [];
    const file = vfs.create(path);
    let offset = 0;
    const spy = { ...file, append: (d: Uint8Array) => { blocks.push({ offset, length: d.length }); offset += d.length; file.append(d); }, size: () => file.size(), sync: () => file.sync(), close: () => file.close(), readAt: (o: number, n: number) => file.readAt(o, n) };
    const w = createTableWriter({ file: spy, fileName: path, fileNumber: 4, keyring: keyring('aes-256-gcm', dbByte), generation: 1, salt: new Uint8Array(16).fill(salt), blockBytes: 100, restartInterval: 1 });
    for (let i = 0; i < 40; i++) w.add(utf8Encode(`key${String(i).padStart(3, '0')}`), 100 - i, KIND_PUT, utf8Encode(`v${String(i).padStart(3, '0')}`));
    const meta = w.finish();
    return { meta, blocks: blocks.slice(1) }; // [0] is the file header
  };
  const a = write('a.sst', 2, 5);
  const b = write('b.sst', 3, 5); // same database, same file number, other salt (an earlier table 4)
  const c = write('c.sst', 2, 6); // another database, same salt and number
  const n = a.meta.dataBlockCount;
  const bytes = vfs.readFile('a.sst');
  const [x, y] = [a.blocks[0]!, a.blocks[1]!];
  assert.is(x.length, y.length);
  const swapped = bytes.slice();
  swapped.set(bytes.subarray(y.offset, y.offset + y.length), x.offset);
  swapped.set(bytes.subarray(x.offset, x.offset + x.length), y.offset);
  vfs.setFileBytes('a.sst', swapped);
  assert.is(readAll(vfs, 'a.sst', 'aes-256-gcm'), 'CORRUPTION');
  let splices = 0;
  for (const other of [b, c]) {
    const src = vfs.readFile(other === b ? 'b.sst' : 'c.sst');
    for (let i = 0; i < n + 3; i++) {
      const blk = a.blocks[i]!;
      const ob = other.blocks[i]!;
      if (ob.length !== blk.length) continue;
      const spliced = bytes.slice();
      spliced.set(src.subarray(ob.offset, ob.offset + ob.length), blk.offset);
      vfs.setFileBytes('a.sst', spliced);
      assert.is(readAll(vfs, 'a.sst', 'aes-256-gcm'), 'CORRUPTION', `block ${i}`);
      splices++;
    }
  }
  assert.ok(splices >= 2 * n);
  vfs.setFileBytes('a.sst', bytes);
  assert.ok(readAll(vfs, 'a.sst', 'aes-256-gcm').startsWith('ok:'));
});

test('a table cut at any length is CORRUPTION', () => {
  const vfs = createMemVfs();
  const meta = writeTable(vfs, 't.sst', 30, 'aes-256-gcm');
  const bytes = vfs.readFile('t.sst');
  for (let n = 0; n < meta.fileSize; n += 7) {
    vfs.setFileBytes('t.sst', bytes.subarray(0, n));
    assert.is(readAll(vfs, 't.sst', 'aes-256-gcm'), 'CORRUPTION', `length ${n}`);
  }
});

test.run();
