// The log writer and reader together: padding at sync points, the torn-tail
// rules, what a failed write or fsync leaves, and bounded reads
// (spec/format.md §3).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, mkdtempSync, openSync, rmSync, truncateSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogWriter, type LogWriter } from './log-writer.ts';
import { logHoldsRecords, readLog } from './log-reader.ts';
import { createFileCipher, type KeyContext } from './file-cipher.ts';
import { createMemVfs, type MemVfs } from './mem-vfs.ts';
import { createNodeVfs } from './node-vfs.ts';
import { encodeFileHeader, FILE_HEADER_BYTES, FILE_KIND_WAL } from '../format/file-header.ts';
import { encodeRecordHeader, LOG_BLOCK_BYTES, MAX_LOG_FILE_BYTES, RECORD_HEADER_BYTES, SECTOR_BYTES } from '../format/record-frame.ts';
import { isHeliosError } from '../format/errors.ts';
import { utf8Decode, utf8Encode } from '../format/bytes.ts';
import type { Keyring } from '../crypto/superblock.ts';
import type { SuiteId } from '../crypto/cipher-suite.ts';

function context(suite: SuiteId): KeyContext {
  const dek = new Uint8Array(32).fill(0x42);
  const keyring = { currentGeneration: 1, dek: () => dek } as unknown as Keyring;
  let n = 0;
  return { databaseId: new Uint8Array(16).fill(7), suite, keyring, random: (len) => new Uint8Array(len).fill(++n) };
}
const ctx = context('aes-256-gcm');
const PATH = 'd/000003.wal';
const NAME = '000003.wal';
const expectActive = { kind: FILE_KIND_WAL, fileNumber: 3, sealedByteLength: null } as const;

function writer(vfs: MemVfs, c = ctx): LogWriter {
  if (!vfs.exists('d')) vfs.mkdir('d');
  const w = createLogWriter(vfs, PATH, NAME, createFileCipher(c, { kind: FILE_KIND_WAL, formatVersion: 1, generation: 1, fileNumber: 3, salt: c.random(16) }));
  vfs.syncDir('d');
  return w;
}
const rec = (i: number): Uint8Array => utf8Encode(`record ${i} `.repeat(1 + (i % 5)));
const texts = (vfs: MemVfs): string[] => readLog(vfs, PATH, NAME, ctx, expectActive).records.map((r) => utf8Decode(r.plaintext));

function throwsCorruption(fn: () => unknown, offset?: number): void {
  try {
    fn();
    assert.unreachable('no error');
  } catch (e) {
    assert.ok(isHeliosError(e, 'CORRUPTION'), String(e));
    assert.is(e.details.file, NAME);
    if (offset !== undefined) assert.is(e.details.offset, offset);
  }
}

test('[FMT-REC-6] every sync point is padded with zeros to a 4096-byte boundary; the reader skips the padding', () => {
  const vfs = createMemVfs();
  const w = writer(vfs);
  assert.is(w.byteLength, LOG_BLOCK_BYTES, 'the synced header is padded');
  w.addSynced(rec(0));
  assert.is(w.byteLength, 2 * LOG_BLOCK_BYTES);
  w.add(rec(1));
  w.add(rec(2));
  const unpadded = w.byteLength;
  assert.ok(unpadded % LOG_BLOCK_BYTES !== 0, 'records between sync points are contiguous');
  w.sync();
  assert.is(w.byteLength, 3 * LOG_BLOCK_BYTES);
  w.addSynced(rec(3));
  w.close();
  const bytes = vfs.readFile(PATH);
  assert.ok(bytes.subarray(FILE_HEADER_BYTES, LOG_BLOCK_BYTES).every((b) => b === 0));
  const log = readLog(vfs, PATH, NAME, ctx, expectActive);
  assert.equal(log.records.map((r) => r.offset), [LOG_BLOCK_BYTES, 2 * LOG_BLOCK_BYTES, log.records[1]!.offset + RECORD_HEADER_BYTES + rec(1).length + 16, 3 * LOG_BLOCK_BYTES]);
  assert.equal(log.records.map((r) => utf8Decode(r.plaintext)), [0, 1, 2, 3].map((i) => utf8Decode(rec(i))));
  assert.is(log.droppedBytes, 0, 'padding is not a torn tail');
  assert.is(log.validByteLength, bytes.length);
  // Read as an ended segment of exactly that length, too.
  assert.is(readLog(vfs, PATH, NAME, ctx, { ...expectActive, sealedByteLength: bytes.length }).records.length, 4);
});

test('[FMT-REC-6] a record never starts in the last 3 bytes of a block: the writer pads to the boundary first', () => {
  // After the padded header (4096) each record of a p-byte plaintext takes 8 + p + 16 bytes.
  for (const room of [1, 2, 3, 4, 5]) {
    for (const suite of ['aes-256-gcm', 'none'] as const) {
      const c = context(suite);
      const vfs = createMemVfs();
      const w = writer(vfs, c);
      const overhead = suite === 'none' ? 4 : 16;
      const first = new Uint8Array(LOG_BLOCK_BYTES - room - RECORD_HEADER_BYTES - overhead).fill(0x61);
      w.add(first); // ends `room` bytes before the 8192 boundary
      assert.is(w.byteLength, 2 * LOG_BLOCK_BYTES - room);
      w.add(rec(1));
      w.add(rec(2));
      w.close();
      const log = readLog(vfs, PATH, NAME, c, expectActive);
      const second = room < 4 ? 2 * LOG_BLOCK_BYTES : 2 * LOG_BLOCK_BYTES - room;
      assert.equal(log.records.map((r) => r.offset).slice(0, 2), [LOG_BLOCK_BYTES, second], `room ${room}, ${suite}`);
      assert.equal(log.records.map((r) => r.plaintext.length), [first.length, rec(1).length, rec(2).length]);
      assert.is(log.droppedBytes, 0);
    }
  }
});

test('[FMT-REC-6] a record that older writers started 1-3 bytes before a block boundary is read, not skipped as padding', () => {
  for (const room of [1, 2, 3]) {
    for (const suite of ['aes-256-gcm', 'none'] as const) {
      const c = context(suite);
      const header = { kind: FILE_KIND_WAL, formatVersion: 1, generation: 1, fileNumber: 3, salt: c.random(16) } as const;
      const cipher = createFileCipher(c, header);
      const overhead = cipher.overhead;
      // The layout of a writer without the 4-byte rule: header, padding, record 0 ending `room` bytes before 8192, record 1 right after it.
      const plaintexts = [new Uint8Array(LOG_BLOCK_BYTES - room - RECORD_HEADER_BYTES - overhead).fill(0x62), rec(1), rec(2)];
      const parts: Uint8Array[] = [encodeFileHeader(header), new Uint8Array(LOG_BLOCK_BYTES - FILE_HEADER_BYTES)];
      plaintexts.forEach((p, i) => parts.push(encodeRecordHeader(p.length + overhead), cipher.seal(i, p)));
      cipher.destroy();
      const bytes = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
      parts.reduce((o, p) => (bytes.set(p, o), o + p.length), 0);
      assert.ok(bytes.subarray(2 * LOG_BLOCK_BYTES - room, 2 * LOG_BLOCK_BYTES).every((b) => b === 0), 'the length high bytes fill the block');
      const vfs = createMemVfs();
      vfs.mkdir('d');
      const f = vfs.create(PATH);
      f.append(bytes);
      f.close();
      for (const sealedByteLength of [null, bytes.length]) {
        const log = readLog(vfs, PATH, NAME, c, { ...expectActive, sealedByteLength });
        assert.equal(log.records.map((r) => r.offset), [LOG_BLOCK_BYTES, 2 * LOG_BLOCK_BYTES - room, 2 * LOG_BLOCK_BYTES - room + RECORD_HEADER_BYTES + rec(1).length + overhead]);
        assert.equal(log.records.map((r) => utf8Decode(r.plaintext)).slice(1), [utf8Decode(rec(1)), utf8Decode(rec(2))]);
        assert.is(log.validByteLength, bytes.length);
      }
    }
  }
});

test('[FMT-REC-6] a fresh log holds no records; one record makes logHoldsRecords true', () => {
  const vfs = createMemVfs();
  const w = writer(vfs);
  assert.not.ok(logHoldsRecords(vfs, PATH));
  w.add(rec(0));
  assert.ok(logHoldsRecords(vfs, PATH));
  w.close();
});

test('[FMT-REC-4] a damaged length that claims more bytes than remain at the tail is CORRUPTION, not a torn write', () => {
  const vfs = createMemVfs();
  const w = writer(vfs);
  w.add(rec(0));
  w.add(rec(1));
  w.close();
  const bytes = vfs.readFile(PATH);
  const second = LOG_BLOCK_BYTES + RECORD_HEADER_BYTES + rec(0).length + 16;
  // A length far beyond the end, with its check left as it was: the check fails first.
  const bad = bytes.slice();
  bad.set([0x00, 0x10, 0x00, 0x00], second);
  vfs.setFileBytes(PATH, bad);
  throwsCorruption(() => readLog(vfs, PATH, NAME, ctx, expectActive), second);
  // The same too-long length with a matching check is a record cut short: torn.
  const cut = bytes.slice();
  cut.set(encodeRecordHeader(0x100000), second);
  vfs.setFileBytes(PATH, cut);
  const log = readLog(vfs, PATH, NAME, ctx, expectActive);
  assert.is(log.records.length, 1);
  assert.is(log.droppedBytes, bytes.length - second);
});

test('[FMT-REC-5] a last record zeroed from a sector boundary to the end is a torn write; other zeros are damage', () => {
  const vfs = createMemVfs();
  const w = writer(vfs);
  w.addSynced(rec(0));
  const big = new Uint8Array(3000).fill(0x61);
  w.add(big); // record 1 at 8192, 3024 bytes: spans the sector boundaries 8704 .. 10752
  w.close();
  const bytes = vfs.readFile(PATH);
  const start = 2 * LOG_BLOCK_BYTES;
  const end = bytes.length;
  const withZeros = (from: number): Uint8Array => {
    const b = bytes.slice();
    b.fill(0, from);
    return b;
  };
  for (const from of [start + 4 * SECTOR_BYTES, start + SECTOR_BYTES, start + 2 * SECTOR_BYTES - 3]) {
    vfs.setFileBytes(PATH, withZeros(from));
    const log = readLog(vfs, PATH, NAME, ctx, expectActive);
    assert.equal(log.records.map((r) => r.index), [0], `zeros from ${from}`);
    assert.is(log.droppedBytes, end - start);
    assert.is(log.validByteLength, start);
  }
  // Zeros that start past the last sector boundary of the record: not how a device loses data.
  const lastBoundary = Math.floor((end - 1) / SECTOR_BYTES) * SECTOR_BYTES;
  vfs.setFileBytes(PATH, withZeros(lastBoundary + 5));
  throwsCorruption(() => readLog(vfs, PATH, NAME, ctx, expectActive), start);
  // Something non-zero after the zeros: damage.
  const b = withZeros(start + SECTOR_BYTES);
  b[end - 1] = 1;
  vfs.setFileBytes(PATH, b);
  throwsCorruption(() => readLog(vfs, PATH, NAME, ctx, expectActive), start);
  // In a segment whose end is recorded there is no torn tail at all.
  vfs.setFileBytes(PATH, withZeros(start + SECTOR_BYTES));
  throwsCorruption(() => readLog(vfs, PATH, NAME, ctx, { ...expectActive, sealedByteLength: end }), start);
  // A header whose check is zeroed from an offset that is no sector boundary: damage.
  const hb = bytes.slice();
  hb.fill(0, start + 4);
  const header = hb.subarray(start, start + 8);
  assert.ok(header.some((x) => x !== 0));
  vfs.setFileBytes(PATH, hb);
  throwsCorruption(() => readLog(vfs, PATH, NAME, ctx, expectActive), start);
});

test('[FMT-REC-5] [FMT-REC-6] a failing fsync that zeroes the blocks it touched leaves every acknowledged record readable', () => {
  for (const zeroFill of [512, 1024, 4096]) {
    for (const cleanup of ['allowed', 'refused'] as const) {
      const vfs = createMemVfs();
      const w = writer(vfs);
      for (let i = 0; i < 5; i++) w.addSynced(rec(i));
      w.add(rec(5)); // acknowledged under 'normal' (not synced)
      vfs.injectFault(cleanup === 'allowed' ? { ops: ['sync'], code: 'EIO', zeroFill, partialBytes: 7 } : { ops: ['sync', 'truncate'], code: 'EIO', zeroFill, partialBytes: 7, sticky: true });
      try {
        w.addSynced(rec(6));
        assert.unreachable('the failing sync was not reported');
      } catch (e) {
        assert.ok(isHeliosError(e, 'IO'), String(e));
      }
      try {
        w.add(rec(7));
        assert.unreachable('a failed writer accepted a record');
      } catch (e) {
        assert.ok(isHeliosError(e, 'IO'), String(e));
      }
      w.close();
      vfs.injectFault(null);
      vfs.crash();
      const got = texts(vfs);
      const want = [0, 1, 2, 3, 4].map((i) => utf8Decode(rec(i)));
      // The unsynced 'normal' record 5 shares its block with the failed write: it may be gone, never half.
      assert.equal(got.slice(0, 5), want, `zeroFill ${zeroFill}, cleanup ${cleanup}`);
      assert.ok(got.length <= 6 && !got.includes(utf8Decode(rec(6))), `the failed record is absent (${got.length})`);
    }
  }
});

test('[FMT-REC-6] a failed append is cut back: the file ends at the last acknowledged record', () => {
  const vfs = createMemVfs();
  const w = writer(vfs);
  w.addSynced(rec(0));
  w.add(rec(1));
  const acked = w.byteLength;
  vfs.injectFault({ ops: ['append'], code: 'ENOSPC', partialBytes: 11 });
  try {
    w.add(rec(2));
    assert.unreachable();
  } catch (e) {
    assert.ok(isHeliosError(e, 'IO'));
  }
  assert.is(vfs.readFile(PATH).length, acked);
  w.close();
  assert.equal(texts(vfs), [utf8Decode(rec(0)), utf8Decode(rec(1))]);
});

test('[FMT-REC-1] a log file padded past 4 GiB is CORRUPTION naming it, without reading it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'helios-log-'));
  try {
    const vfs = createNodeVfs();
    const path = join(dir, NAME);
    const w = createLogWriter(vfs, path, NAME, createFileCipher(ctx, { kind: FILE_KIND_WAL, formatVersion: 1, generation: 1, fileNumber: 3, salt: ctx.random(16) }));
    w.addSynced(rec(0));
    w.close();
    for (const size of [2 ** 31 + 5, 5 * 2 ** 30]) {
      truncateSync(path, size); // sparse: costs no disk
      throwsCorruption(() => readLog(vfs, path, NAME, ctx, expectActive), MAX_LOG_FILE_BYTES);
    }
    // Padded with zeros to just under the bound: a torn tail, read in bounded windows.
    truncateSync(path, 64 * 1024 * 1024);
    const log = readLog(vfs, path, NAME, ctx, expectActive);
    assert.is(log.records.length, 1);
    assert.is(log.droppedBytes, 64 * 1024 * 1024 - 2 * LOG_BLOCK_BYTES);
    // A record whose (checked) length runs past the end of a huge file is cut short, not allocated.
    const fd = openSync(path, 'r+');
    writeSync(fd, encodeRecordHeader(256 * 1024 * 1024), 0, 8, 2 * LOG_BLOCK_BYTES);
    closeSync(fd);
    assert.is(readLog(vfs, path, NAME, ctx, expectActive).records.length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('[FMT-REC-1] readFile of an oversized file is CORRUPTION before anything is read; readAt refuses unbounded lengths', () => {
  const dir = mkdtempSync(join(tmpdir(), 'helios-log-'));
  try {
    const vfs = createNodeVfs();
    const path = join(dir, 'HELIOS');
    closeSync(openSync(path, 'w'));
    truncateSync(path, 5 * 2 ** 30);
    try {
      vfs.readFile(path);
      assert.unreachable();
    } catch (e) {
      assert.ok(isHeliosError(e, 'CORRUPTION'), String(e));
      assert.is(e.details.file, 'HELIOS');
    }
    try {
      vfs.readFile(path, 4096);
      assert.unreachable();
    } catch (e) {
      assert.ok(isHeliosError(e, 'CORRUPTION'), String(e));
    }
    const f = vfs.openRead(path);
    try {
      f.readAt(0, 2 ** 31);
      assert.unreachable();
    } catch (e) {
      assert.ok(isHeliosError(e, 'INTERNAL'), String(e));
    } finally {
      f.close();
    }
    const m = createMemVfs();
    m.mkdir('d');
    const h = m.create('d/HELIOS');
    h.append(new Uint8Array(5000));
    h.close();
    try {
      m.readFile('d/HELIOS', 4096);
      assert.unreachable();
    } catch (e) {
      assert.ok(isHeliosError(e, 'CORRUPTION'), String(e));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('[FMT-REC-1] the unencrypted suite follows the same padding and torn-tail rules', () => {
  const none = context('none');
  const vfs = createMemVfs();
  const w = writer(vfs, none);
  w.addSynced(rec(0));
  w.add(rec(1));
  w.close();
  const log = readLog(vfs, PATH, NAME, none, expectActive);
  assert.equal(log.records.map((r) => r.offset)[1], 2 * LOG_BLOCK_BYTES);
});

test.run();
