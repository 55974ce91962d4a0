// Tag verification (issue 3): flipping any single bit of any file of a
// cleanly closed database, swapping two records, truncating a file in the
// middle, or splicing in a record or file of another database opened with
// the same key yields an error on open or read — never different data
// [FMT-REC-2] [FMT-REC-4] [FMT-HDR-2] [FMT-CUR-2].
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { fuzzParams } from './budget.ts';
import { openEngine, createWriteBatch, type Engine } from '../engine/engine.ts';
import { createMemVfs, type MemVfs } from '../engine/vfs.ts';
import { isHeliosError } from '../format/errors.ts';
import { utf8Decode, utf8Encode } from '../format/bytes.ts';
import { FILE_HEADER_BYTES } from '../format/file-header.ts';
import { decodeRecordHeader, LOG_BLOCK_BYTES, RECORD_HEADER_BYTES } from '../format/record-frame.ts';

const KEY = new Uint8Array(32).fill(0x42);
type Files = Map<string, Uint8Array>;

function build(ops: readonly (readonly [string, string | null])[], walSegmentBytes = 1 << 20, vfs: MemVfs = createMemVfs()): Files {
  const db = openEngine('db', { key: { raw: KEY }, vfs, walSegmentBytes });
  for (const [k, v] of ops) v === null ? db.delete(utf8Encode(k)) : db.put(utf8Encode(k), utf8Encode(v));
  db.close();
  return new Map(vfs.paths().map((p) => [p, vfs.readFile(p)]));
}

function load(files: Files): MemVfs {
  const vfs = createMemVfs();
  vfs.mkdir('db');
  for (const [p, bytes] of files) {
    const f = vfs.create(p);
    f.append(bytes);
    f.sync();
    f.close();
  }
  vfs.syncDir('db');
  return vfs;
}

function dump(db: Engine): string {
  const it = db.iterator();
  const out: string[] = [];
  while (it.next()) out.push(`${utf8Decode(it.key())}=${utf8Decode(it.value())}`);
  it.close();
  return out.join('\n');
}

/** 'error' when open or read fails with a typed error, else the data read. */
function outcome(files: Files): string {
  let db: Engine | null = null;
  try {
    db = openEngine('db', { key: { raw: KEY }, vfs: load(files), createIfMissing: false });
    return dump(db);
  } catch (e) {
    if (!isHeliosError(e)) throw e; // a TypeError or similar is a bug
    return `error:${e.code}`;
  } finally {
    try {
      db?.close();
    } catch {
      // a failed close after a successful read does not change the verdict
    }
  }
}

function withFile(files: Files, path: string, bytes: Uint8Array): Files {
  const copy = new Map(files);
  copy.set(path, bytes);
  return copy;
}

function flip(bytes: Uint8Array, bit: number): Uint8Array {
  const b = bytes.slice();
  b[bit >> 3] = b[bit >> 3]! ^ (1 << (bit & 7));
  return b;
}

/** [offset, length] of each record of a log file (framing only; zero padding to a block boundary skipped, [FMT-REC-6]). */
function recordSpans(bytes: Uint8Array): [number, number][] {
  const out: [number, number][] = [];
  let o = FILE_HEADER_BYTES;
  while (o + RECORD_HEADER_BYTES <= bytes.length) {
    const blockEnd = Math.min(bytes.length, Math.ceil(o / LOG_BLOCK_BYTES) * LOG_BLOCK_BYTES);
    if (o % LOG_BLOCK_BYTES !== 0 && bytes.subarray(o, blockEnd).every((b) => b === 0)) {
      o = blockEnd;
      continue;
    }
    const len = decodeRecordHeader(bytes, o);
    if (len < 0 || o + RECORD_HEADER_BYTES + len > bytes.length) break;
    out.push([o, RECORD_HEADER_BYTES + len]);
    o += RECORD_HEADER_BYTES + len;
  }
  return out;
}

/**
 * Offsets worth testing one by one: every offset outside the zero padding of
 * a log file, and in the padding (thousands of identical zero bytes) its
 * first and last 16 bytes and every 61st byte.
 */
function interesting(path: string, bytes: Uint8Array): (offset: number) => boolean {
  if (!(path.endsWith('.wal') || path.includes('MANIFEST-'))) return () => true;
  const used = new Uint8Array(bytes.length + 1);
  used.fill(1, 0, FILE_HEADER_BYTES);
  for (const [o, n] of recordSpans(bytes)) used.fill(1, o, o + n);
  return (i) => {
    if (used[i]) return true;
    for (let d = 1; d <= 16; d++) if (used[i - d] || (i + d <= bytes.length && used[i + d]) || i - d < 0 || i + d >= bytes.length) return true;
    return i % 61 === 0;
  };
}

const engineFile = (p: string): boolean => p.endsWith('.wal') || p.includes('MANIFEST-') || p.endsWith('CURRENT');

test('[FMT-REC-2] [FMT-HDR-2] [FMT-CUR-2] every single-bit flip of every WAL, manifest and CURRENT byte is an error', () => {
  const ops: [string, string | null][] = [['alpha', 'one'], ['beta', 'two'], ['alpha', null], ['gamma', 'three']];
  const files = build(ops, 120); // small segments: several WAL files and rotation edits
  const expected = outcome(files);
  assert.is(expected, 'beta=two\ngamma=three');
  let flips = 0;
  for (const [path, bytes] of files) {
    if (!engineFile(path)) continue;
    const worth = interesting(path, bytes);
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      if (!worth(bit >> 3)) continue;
      const got = outcome(withFile(files, path, flip(bytes, bit)));
      if (!got.startsWith('error:')) assert.unreachable(`flipping bit ${bit} of ${path} gave data:\n${got}`);
      flips++;
    }
  }
  assert.ok(flips > 2000, `${flips} flips`);
});

test('bit flips in the superblock give an error or the unchanged data, never different data', () => {
  const files = build([['k1', 'v1'], ['k2', 'v2']]);
  const expected = outcome(files);
  const sb = files.get('db/HELIOS')!;
  for (let bit = 0; bit < sb.length * 8; bit++) {
    const got = outcome(withFile(files, 'db/HELIOS', flip(sb, bit)));
    if (!got.startsWith('error:')) assert.is(got, expected, `flipping bit ${bit} of HELIOS`);
  }
});

test('random single-bit flips anywhere in larger random databases are errors', () => {
  const opsArb = fc.array(fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), fc.option(fc.string({ maxLength: 60 }), { freq: 5 })), { minLength: 1, maxLength: 60 });
  fc.assert(
    fc.property(opsArb, fc.constantFrom(256, 4096), fc.nat(), fc.nat(), (ops, seg, fileSel, bitSel) => {
      const files = build(ops, seg);
      const paths = [...files.keys()].filter(engineFile);
      const path = paths[fileSel % paths.length]!;
      const bytes = files.get(path)!;
      const got = outcome(withFile(files, path, flip(bytes, bitSel % (bytes.length * 8))));
      assert.ok(got.startsWith('error:'), `flip in ${path} gave data`);
    }),
    fuzzParams(150),
  );
});

test('[FMT-REC-2] swapping two WAL records of equal length is CORRUPTION', () => {
  const files = build([['k1', 'aaaa'], ['k2', 'bbbb'], ['k3', 'cccc']]);
  const [walPath] = [...files.keys()].filter((p) => p.endsWith('.wal'));
  const wal = files.get(walPath!)!;
  const spans = recordSpans(wal);
  assert.is(spans.length, 3);
  const [[a, la], [b, lb]] = spans as [[number, number], [number, number]];
  assert.is(la, lb);
  const swapped = wal.slice();
  swapped.set(wal.subarray(b, b + lb), a);
  swapped.set(wal.subarray(a, a + la), b);
  assert.is(outcome(withFile(files, walPath!, swapped)), 'error:CORRUPTION');
});

test('[FMT-REC-4] truncating a WAL segment, CURRENT or the superblock anywhere before its end is an error', () => {
  const files = build([['k1', 'v1'], ['k2', 'v2'], ['k3', 'v3']], 150);
  for (const [path, bytes] of files) {
    if (path.includes('MANIFEST-')) continue;
    const worth = interesting(path, bytes);
    for (let len = 0; len < bytes.length; len++) {
      if (!worth(len)) continue;
      const got = outcome(withFile(files, path, bytes.slice(0, len)));
      if (!got.startsWith('error:')) assert.unreachable(`truncating ${path} to ${len} bytes gave data:\n${got}`);
    }
  }
});

test('[FMT-REC-4] truncating the manifest is an error or, when only its last edits go, the same data', () => {
  // A manifest may end in a torn edit after a crash; that edit was never
  // acknowledged, so it is dropped. Cutting edits off the end is therefore
  // indistinguishable from such a crash — but it can never change the data:
  // losing a rotation edit leaves a WAL segment with records the manifest
  // does not list (CORRUPTION), losing an end-of-segment edit leaves an
  // active segment that is not the newest (CORRUPTION).
  const files = build([['k1', 'v1'], ['k2', 'v2'], ['k3', 'v3']], 150);
  const expected = outcome(files);
  const path = [...files.keys()].find((p) => p.includes('MANIFEST-'))!;
  const bytes = files.get(path)!;
  let errors = 0;
  let tried = 0;
  const worth = interesting(path, bytes);
  for (let len = 0; len < bytes.length; len++) {
    if (!worth(len)) continue;
    tried++;
    const got = outcome(withFile(files, path, bytes.slice(0, len)));
    if (got.startsWith('error:')) errors++;
    else assert.is(got, expected, `truncating ${path} to ${len} bytes`);
  }
  assert.ok(errors > tried / 2, `${errors} of ${tried} truncations were errors`);
});

test('[FMT-REC-2] a record or a whole WAL file spliced from another database with the same key is an error', () => {
  const ops: [string, string][] = [['k1', 'same'], ['k2', 'same']];
  const a = build(ops);
  const b = build(ops); // same key, same content, different database (id, DEK, salts)
  const walA = [...a.keys()].find((p) => p.endsWith('.wal'))!;
  const walB = [...b.keys()].find((p) => p.endsWith('.wal'))!;
  assert.is(walA, walB); // same file numbers
  const bytesA = a.get(walA)!;
  const bytesB = b.get(walB)!;
  const [spanA] = recordSpans(bytesA);
  const [spanB] = recordSpans(bytesB);
  assert.equal(spanA, spanB);
  const spliced = bytesA.slice();
  spliced.set(bytesB.subarray(spanB![0], spanB![0] + spanB![1]), spanA![0]);
  assert.is(outcome(withFile(a, walA, spliced)), 'error:CORRUPTION');
  assert.is(outcome(withFile(a, walA, bytesB)), 'error:CORRUPTION');
  const manA = [...a.keys()].find((p) => p.includes('MANIFEST-'))!;
  assert.is(outcome(withFile(a, manA, b.get(manA)!)), 'error:CORRUPTION');
});

test('a WAL segment holding records that the manifest does not list is CORRUPTION, not deleted', () => {
  const vfs = createMemVfs();
  const files = build([['k1', 'v1']], 1 << 20, vfs);
  const wal = [...files.keys()].find((p) => p.endsWith('.wal'))!;
  const renamed = new Map(files);
  renamed.delete(wal);
  renamed.set('db/000900.wal', files.get(wal)!);
  const got = outcome(renamed);
  assert.ok(got.startsWith('error:'), got);
});

test('an unchanged database reads back exactly (the oracle above is not vacuous)', () => {
  const files = build([['x', '1'], ['y', null], ['z', '3']]);
  assert.is(outcome(files), 'x=1\nz=3');
  const b = createWriteBatch();
  assert.is(b.count, 0);
});

test.run();
