import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toHex, utf8Decode, utf8Encode } from '../format/bytes.ts';
import { corruption, isHeliosError, type ErrorCode } from '../format/errors.ts';
import { compareInternal, KIND_PUT, KIND_TOMBSTONE, MAX_SEQ, type BlockView, type EntryKind } from '../format/sstable-block.ts';
import { createBlockCache } from './block-cache.ts';
import { createMemVfs, type MemVfs } from './mem-vfs.ts';
import { openTable, type TableKeyring } from './sstable-reader.ts';
import { createTableWriter, type TableMeta } from './sstable-writer.ts';

type Suite = 'aes-256-gcm' | 'none';
interface E { key: Uint8Array; seq: number; kind: EntryKind; value: Uint8Array }

const DB_ID = new Uint8Array(16).fill(0x11);
const DEK = new Uint8Array(32).fill(0x22);
const keyring = (suite: Suite, databaseId = DB_ID): TableKeyring => ({
  databaseId,
  suite,
  dek: (g) => (g === 1 ? DEK : corruption('HELIOS', 0, `unknown key generation ${g}`)),
});

function entries(n: number): E[] {
  const out: E[] = [];
  for (let i = 0; i < n; i++) {
    const key = utf8Encode(`key-${String(i % Math.ceil(n / 2)).padStart(6, '0')}`);
    const del = i % 7 === 0;
    out.push({ key, seq: i + 1, kind: del ? KIND_TOMBSTONE : KIND_PUT, value: del ? new Uint8Array() : utf8Encode(`value-${i}-${'x'.repeat(i % 50)}`) });
  }
  return out.sort((a, b) => compareInternal(a.key, a.seq, b.key, b.seq));
}

function write(vfs: MemVfs, path: string, fileNumber: number, es: E[], suite: Suite = 'aes-256-gcm', blockBytes = 512, databaseId = DB_ID): TableMeta {
  const w = createTableWriter({ file: vfs.create(path), fileName: path, fileNumber, keyring: keyring(suite, databaseId), generation: 1, salt: new Uint8Array(16).fill(fileNumber), blockBytes });
  for (const e of es) w.add(e.key, e.seq, e.kind, e.value);
  return w.finish();
}

const open = (vfs: MemVfs, path: string, fileNumber: number, suite: Suite = 'aes-256-gcm', expected?: { fileSize?: number; digest?: Uint8Array; generation?: number }, cache = createBlockCache<BlockView>(1 << 20)) =>
  openTable({ file: vfs.openRead(path), fileName: path, fileNumber, keyring: keyring(suite), cache, ...(expected ? { expected } : {}) });

function code(f: () => unknown): ErrorCode | 'none' {
  try {
    f();
    return 'none';
  } catch (e) {
    if (isHeliosError(e)) return e.code;
    throw e;
  }
}

for (const suite of ['aes-256-gcm', 'none'] as const) {
  test(`[FMT-SST-VERIFY-1] a table returns every entry it was given, forward and backward (${suite})`, () => {
    const vfs = createMemVfs();
    const es = entries(700);
    const meta = write(vfs, '000005.sst', 5, es, suite);
    assert.ok(meta.dataBlockCount > 10);
    const t = open(vfs, '000005.sst', 5, suite, { fileSize: meta.fileSize, digest: meta.digest, generation: 1 });
    const c = t.cursor();
    let i = 0;
    for (c.seekToFirst(); c.valid(); c.next(), i++) {
      const e = es[i]!;
      assert.equal([utf8Decode(c.key()), c.seqNum(), c.kind(), utf8Decode(c.value())], [utf8Decode(e.key), e.seq, e.kind, utf8Decode(e.value)]);
    }
    assert.is(i, es.length);
    for (c.seekToLast(); c.valid(); c.prev()) i--;
    assert.is(i, 0);
    assert.is(t.properties.entryCount, es.length);
    assert.is(t.properties.tombstoneCount, es.filter((e) => e.kind === KIND_TOMBSTONE).length);
    assert.equal(t.properties.smallestKey, es[0]!.key);
    assert.equal(t.properties.largestKey, es[es.length - 1]!.key);
    t.close();
  });
}

test('get returns the newest version at or below the snapshot, tombstones included, and nothing for absent keys', () => {
  const vfs = createMemVfs();
  const es = entries(300);
  write(vfs, '1.sst', 1, es);
  const t = open(vfs, '1.sst', 1);
  for (const e of es) {
    const got = t.get(e.key, e.seq);
    assert.ok(got);
    assert.is(got!.seqNum, e.seq);
    assert.is(got!.kind, e.kind);
    assert.equal(got!.value, e.value);
    const newest = es.find((x) => compareInternal(x.key, x.seq, e.key, MAX_SEQ) >= 0)!;
    assert.is(t.get(e.key)!.seqNum, newest.seq);
    const older = es.filter((x) => utf8Decode(x.key) === utf8Decode(e.key) && x.seq < e.seq);
    const below = t.get(e.key, e.seq - 1);
    assert.is(below?.seqNum, older[0]?.seq);
  }
  for (let i = 0; i < 200; i++) assert.is(t.get(utf8Encode(`absent-${i}`)), undefined);
  assert.ok(t.stats().bloomNegatives > 180);
});

test('the block cache serves repeated reads without opening the block again', () => {
  const vfs = createMemVfs();
  const es = entries(100);
  write(vfs, '1.sst', 1, es);
  const cache = createBlockCache<BlockView>(1 << 20);
  const t = open(vfs, '1.sst', 1, 'aes-256-gcm', undefined, cache);
  t.get(es[0]!.key);
  const opened = t.stats().blocksOpened;
  t.get(es[0]!.key);
  t.get(es[1]!.key);
  assert.is(t.stats().blocksOpened, opened);
  t.close();
  assert.is(cache.stats().entries, 0);
  assert.is(code(() => t.get(es[0]!.key)), 'CLOSED');
});

test('[FMT-SST-DIGEST-2] a table whose size or digest differs from the manifest is CORRUPTION at open', () => {
  const vfs = createMemVfs();
  const es = entries(50);
  const m1 = write(vfs, 'a.sst', 7, es);
  // Same number, same content, new salt: what a rollback to an earlier table 7 looks like.
  const w = createTableWriter({ file: vfs.create('b.sst'), fileName: 'b.sst', fileNumber: 7, keyring: keyring('aes-256-gcm'), generation: 1, salt: new Uint8Array(16).fill(99), blockBytes: 512 });
  for (const e of es) w.add(e.key, e.seq, e.kind, e.value);
  const m2 = w.finish();
  assert.is(m1.fileSize, m2.fileSize);
  assert.is.not(toHex(m1.digest), toHex(m2.digest));
  assert.is(code(() => open(vfs, 'b.sst', 7, 'aes-256-gcm', { digest: m1.digest })), 'CORRUPTION');
  assert.is(code(() => open(vfs, 'a.sst', 7, 'aes-256-gcm', { fileSize: m1.fileSize + 1 })), 'CORRUPTION');
  assert.is(code(() => open(vfs, 'a.sst', 7, 'aes-256-gcm', { generation: 2 })), 'CORRUPTION');
  assert.is(code(() => open(vfs, 'a.sst', 7, 'aes-256-gcm', { digest: m1.digest, fileSize: m1.fileSize, generation: 1 }).close()), 'none');
});

test('a table renamed to another file number, or from another database, is CORRUPTION at open', () => {
  const vfs = createMemVfs();
  write(vfs, 'a.sst', 7, entries(20));
  assert.is(code(() => open(vfs, 'a.sst', 8)), 'CORRUPTION');
  write(vfs, 'other.sst', 7, entries(20), 'aes-256-gcm', 512, new Uint8Array(16).fill(0x33));
  assert.is(code(() => open(vfs, 'other.sst', 7)), 'CORRUPTION');
  assert.is(code(() => open(vfs, 'a.sst', 7, 'none')), 'CORRUPTION');
});

test('a truncated table or a non-table file is refused with a typed error', () => {
  const vfs = createMemVfs();
  write(vfs, 'a.sst', 1, entries(20));
  const bytes = vfs.readFile('a.sst');
  for (const n of [0, 10, 40, 60, bytes.length - 1]) {
    const f = vfs.create(`t${n}.sst`);
    f.append(bytes.subarray(0, n));
    f.close();
    assert.is(code(() => open(vfs, `t${n}.sst`, 1)), 'CORRUPTION', `truncated to ${n}`);
  }
});

test('the writer refuses out-of-order entries and empty tables', () => {
  const vfs = createMemVfs();
  const w = createTableWriter({ file: vfs.create('a.sst'), fileName: 'a.sst', fileNumber: 1, keyring: keyring('none'), generation: 1, salt: new Uint8Array(16) });
  assert.is(code(() => w.finish()), 'INTERNAL');
  const w2 = createTableWriter({ file: vfs.create('b.sst'), fileName: 'b.sst', fileNumber: 2, keyring: keyring('none'), generation: 1, salt: new Uint8Array(16) });
  w2.add(utf8Encode('b'), 5, KIND_PUT, new Uint8Array());
  assert.is(code(() => w2.add(utf8Encode('b'), 5, KIND_PUT, new Uint8Array())), 'INTERNAL');
  assert.is(code(() => w2.add(utf8Encode('a'), 9, KIND_PUT, new Uint8Array())), 'INTERNAL');
  w2.abandon();
  w2.abandon();
});

test.run();
