import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { utf8Encode, utf8Decode } from './bytes.ts';
import { isHeliosError } from './errors.ts';
import { decodeInternalKey, encodeInternalKey } from './sstable-footer.ts';
import { compareInternal, createBlockBuilder, createBlockCursor, decodeBlock, KIND_PUT, KIND_TOMBSTONE, MAX_SEQ, type EntryKind } from './sstable-block.ts';

type E = { key: string; seq: number; kind: EntryKind; value: string };

function sample(n: number): E[] {
  const out: E[] = [];
  for (let i = 0; i < n; i++) {
    const key = `user:${String(i >> 1).padStart(5, '0')}`;
    // two versions per user key, newest first
    out.push({ key, seq: 1000 - (i & 1) * 10 + i, kind: i % 5 === 3 ? KIND_TOMBSTONE : KIND_PUT, value: i % 5 === 3 ? '' : `v${i}` });
  }
  out.sort((a, b) => compareInternal(utf8Encode(a.key), a.seq, utf8Encode(b.key), b.seq));
  return out;
}

function build(entries: E[], interval = 4): Uint8Array {
  const b = createBlockBuilder(interval);
  for (const e of entries) b.add(utf8Encode(e.key), e.seq, e.kind, utf8Encode(e.value));
  assert.is(b.byteLength(), b.byteLength());
  return b.finish();
}

const read = (c: ReturnType<typeof createBlockCursor>): E => ({ key: utf8Decode(c.key()), seq: c.seqNum(), kind: c.kind(), value: utf8Decode(c.value()) });

test('[FMT-SST-BLOCK-1] a block returns every entry in order, forward and backward', () => {
  const entries = sample(101);
  const c = createBlockCursor(decodeBlock(build(entries), 't.sst', 0));
  const fwd: E[] = [];
  for (c.seekToFirst(); c.valid(); c.next()) fwd.push(read(c));
  assert.equal(fwd, entries);
  const back: E[] = [];
  for (c.seekToLast(); c.valid(); c.prev()) back.push(read(c));
  assert.equal(back, [...entries].reverse());
});

test('[FMT-SST-BLOCK-2] internal order puts the newest version of a key first', () => {
  const k = utf8Encode('k');
  assert.ok(compareInternal(k, 9, k, 3) < 0);
  assert.ok(compareInternal(utf8Encode('a'), 1, k, 9) < 0);
  const c = createBlockCursor(decodeBlock(build([
    { key: 'k', seq: 9, kind: KIND_PUT, value: 'new' },
    { key: 'k', seq: 3, kind: KIND_PUT, value: 'old' },
  ]), 't.sst', 0));
  c.seek(k, MAX_SEQ);
  assert.is(utf8Decode(c.value()), 'new');
  c.seek(k, 5);
  assert.is(utf8Decode(c.value()), 'old');
  c.seek(k, 2);
  assert.not.ok(c.valid());
});

test('seek lands on the first entry at or after the target for every target', () => {
  const entries = sample(77);
  const c = createBlockCursor(decodeBlock(build(entries, 3), 't.sst', 0));
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    c.seek(utf8Encode(e.key), e.seq);
    assert.equal(read(c), e);
    c.seek(utf8Encode(e.key), e.seq + 1);
    assert.equal(read(c), e);
    c.seek(utf8Encode(e.key + '\0'), MAX_SEQ);
    const want = entries.find((x) => x.key > e.key);
    if (want) assert.equal(read(c), want);
    else assert.not.ok(c.valid());
  }
});

test('keys added out of internal order are refused', () => {
  const b = createBlockBuilder();
  b.add(utf8Encode('b'), 1, KIND_PUT, new Uint8Array());
  try {
    b.add(utf8Encode('a'), 2, KIND_PUT, new Uint8Array());
    assert.unreachable();
  } catch (e) {
    assert.ok(isHeliosError(e, 'INTERNAL'));
  }
});

test('[FMT-SST-BLOCK-3] a malformed restart array or entry is CORRUPTION naming the file and offset', () => {
  const good = build(sample(20));
  const badCount = good.slice();
  badCount[badCount.length - 1] = 0x7f;
  const badRestart = good.slice();
  const n = new DataView(good.buffer).getUint32(good.length - 4, true);
  new DataView(badRestart.buffer).setUint32(good.length - 4 - 4 * n, 5, true);
  for (const b of [new Uint8Array(2), badCount, badRestart]) {
    try {
      decodeBlock(b, 'x.sst', 123);
      assert.unreachable();
    } catch (e) {
      assert.ok(isHeliosError(e, 'CORRUPTION'));
      assert.is((e as { details: { file: string; offset: number } }).details.file, 'x.sst');
      assert.is((e as { details: { file: string; offset: number } }).details.offset, 123);
    }
  }
  // Entry damage: every byte of the entry region replaced by 0xff either decodes or throws CORRUPTION.
  for (let i = 0; i < good.length - 4 - 4 * n; i++) {
    const b = good.slice();
    b[i] = 0xff;
    try {
      const c = createBlockCursor(decodeBlock(b, 'x.sst', 0));
      for (c.seekToFirst(); c.valid(); c.next()) c.key();
      for (c.seekToLast(); c.valid(); c.prev()) c.key();
    } catch (e) {
      assert.ok(isHeliosError(e, 'CORRUPTION'), String(e));
    }
  }
});

test('an empty block has no entries', () => {
  const c = createBlockCursor(decodeBlock(createBlockBuilder().finish(), 't.sst', 0));
  c.seekToFirst();
  assert.not.ok(c.valid());
  c.seek(utf8Encode('a'), MAX_SEQ);
  assert.not.ok(c.valid());
});

test('[FMT-SST-BLOCK-4] keys after a restart point are stored without a shared prefix', () => {
  const block = build([
    { key: 'prefix-a', seq: 1, kind: KIND_PUT, value: '' },
    { key: 'prefix-b', seq: 1, kind: KIND_PUT, value: '' },
  ], 16);
  // entry 2 header: shared 7, unshared 1
  const second = 5 + 8;
  assert.is(block[second], 7);
  assert.is(block[second + 1], 1);
});

test('[FMT-SST-IKEY-1] internal keys stored outside blocks round-trip as user key and big-endian seqNum', () => {
  for (const seq of [0, 1, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER]) {
    const b = encodeInternalKey(utf8Encode('user'), seq);
    assert.is(b.length, 12);
    assert.equal(decodeInternalKey(b, 'MANIFEST-000001', 0), { userKey: utf8Encode('user'), seqNum: seq });
  }
  assert.throws(() => decodeInternalKey(new Uint8Array(7), 'M', 3), (e: { code: string }) => e.code === 'CORRUPTION');
  assert.throws(() => decodeInternalKey(new Uint8Array(8).fill(0xff), 'M', 3), (e: { code: string }) => e.code === 'CORRUPTION');
});

test.run();
