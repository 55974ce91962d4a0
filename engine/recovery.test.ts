// Recovery against damaged, truncated, rolled-back and read-only
// directories (spec/format.md §6 and §8): open never deletes what a verified
// manifest does not prove garbage, a clean close makes truncation
// detectable, the rollback witness makes older directories detectable, a
// readonly open writes nothing, and a writer notices a second writer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, readdirSync, statSync, readFileSync, truncateSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEngine, type Engine, type EngineOptions } from './engine.ts';
import { createMemVfs, type MemVfs } from './mem-vfs.ts';
import { createNodeVfs } from './node-vfs.ts';
import type { Vfs } from './vfs.ts';
import { utf8Decode, utf8Encode } from '../format/bytes.ts';
import { decodeRecordHeader, LOG_BLOCK_BYTES, RECORD_HEADER_BYTES } from '../format/record-frame.ts';
import { FILE_HEADER_BYTES } from '../format/file-header.ts';
import { HeliosError, isHeliosError, type ErrorCode } from '../format/errors.ts';

/** Runs fn, which must throw a HeliosError with `code`; returns it. */
function throwsCode(fn: () => unknown, code: ErrorCode): HeliosError {
  try {
    fn();
  } catch (e) {
    if (!isHeliosError(e, code)) throw new Error(`expected ${code}, got ${String(e)}`);
    return e as HeliosError;
  }
  throw new Error(`expected ${code}, nothing thrown`);
}

const KEY = new Uint8Array(32).map((_, i) => i + 7);
const u = utf8Encode;

function mem(extra: Partial<EngineOptions> = {}): { vfs: MemVfs; open: (o?: Partial<EngineOptions>) => Engine } {
  const vfs = createMemVfs();
  return { vfs, open: (o = {}) => openEngine('db', { key: { raw: KEY }, vfs, ...extra, ...o }) };
}

/** Every file's SHA-256: equal fingerprints mean not one byte changed. */
function files(vfs: MemVfs): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of vfs.paths()) out[p] = createHash('sha256').update(vfs.readFile(p)).digest('hex');
  return out;
}

/** Every file of the directory, to put back later (an attacker's saved copy). */
function saveDir(vfs: MemVfs): Map<string, Uint8Array> {
  return new Map(vfs.paths().filter((p) => p.startsWith('db/')).map((p) => [p, vfs.readFile(p)]));
}
function restoreDir(vfs: MemVfs, saved: Map<string, Uint8Array>): void {
  for (const p of vfs.paths()) if (p.startsWith('db/') && !saved.has(p)) vfs.remove(p);
  for (const [p, b] of saved) vfs.writeFileAtomic(p, b);
}

function count(db: Engine): number {
  const it = db.iterator();
  let n = 0;
  while (it.next()) n++;
  it.close();
  return n;
}

/** Offsets where each record of a log file ends (zero padding up to the next block boundary skipped). */
function recordEnds(bytes: Uint8Array): number[] {
  const ends: number[] = [];
  let o = FILE_HEADER_BYTES;
  while (o + RECORD_HEADER_BYTES <= bytes.length) {
    if (bytes[o] === 0 && bytes[o + 1] === 0 && bytes[o + 2] === 0 && bytes[o + 3] === 0 && bytes.subarray(o, o + RECORD_HEADER_BYTES).every((b) => b === 0)) {
      o = Math.ceil((o + 1) / LOG_BLOCK_BYTES) * LOG_BLOCK_BYTES;
      continue;
    }
    const len = decodeRecordHeader(bytes, o);
    if (len < 0 || o + RECORD_HEADER_BYTES + len > bytes.length) break;
    o += RECORD_HEADER_BYTES + len;
    ends.push(o);
  }
  return ends;
}

function truncateTo(vfs: MemVfs, path: string, length: number): void {
  vfs.writeFileAtomic(path, vfs.readFile(path).slice(0, length));
}

const named = (vfs: MemVfs, re: RegExp): string[] => vfs.paths().filter((p) => re.test(p)).sort();

/** 500 commits, most of them flushed into tables, a few in the WAL. */
function populated(): { vfs: MemVfs; open: (o?: Partial<EngineOptions>) => Engine } {
  const m = mem({ memtableBudgetBytes: 16 * 1024, walSegmentBytes: 8 * 1024 });
  const db = m.open();
  for (let i = 0; i < 500; i++) db.put(u(`key-${String(i).padStart(4, '0')}`), u(`value ${i} `.repeat(4)));
  assert.ok(db.info().flushes > 0, 'the test needs table files');
  db.close();
  return m;
}

test('[ENG-REC-2] a missing CURRENT beside table files and WAL records is CORRUPTION naming it, and every file is left as it was', () => {
  const { vfs, open } = populated();
  vfs.remove('db/CURRENT');
  const before = files(vfs);
  const e = throwsCode(() => open(), 'CORRUPTION');
  assert.match(e.message, /CURRENT/);
  assert.equal(files(vfs), before);
  throwsCode(() => open({ readonly: true }), 'CORRUPTION');
  assert.equal(files(vfs), before);
});

test('[ENG-REC-2] a missing CURRENT is CORRUPTION even when every commit is in tables and the WAL is empty', () => {
  const { vfs, open } = populated();
  const db = open();
  db.close(); // a reopen moves nothing; now flush everything by a key rotation-free path: reopen with a tiny memtable
  vfs.remove('db/CURRENT');
  for (const w of named(vfs, /\.wal$/)) vfs.writeFileAtomic(w, vfs.readFile(w).slice(0, FILE_HEADER_BYTES));
  const before = files(vfs);
  throwsCode(() => open(), 'CORRUPTION');
  assert.equal(files(vfs), before);
});

test('[ENG-REC-2] a damaged CURRENT or manifest is CORRUPTION before any file is deleted', () => {
  const { vfs, open } = populated();
  const current = vfs.readFile('db/CURRENT');
  const damaged = current.slice();
  damaged[damaged.length - 3]! ^= 1;
  vfs.writeFileAtomic('db/CURRENT', damaged);
  // leftovers recovery would normally delete: a temp file and an orphan table
  vfs.writeFileAtomic('db/999999.sst', new Uint8Array(10));
  const before = files(vfs);
  throwsCode(() => open(), 'CORRUPTION');
  assert.equal(files(vfs), before);
  vfs.writeFileAtomic('db/CURRENT', current);
  const manifest = named(vfs, /MANIFEST-/)[0]!;
  const m = vfs.readFile(manifest);
  const bad = m.slice();
  bad[FILE_HEADER_BYTES + RECORD_HEADER_BYTES + 2]! ^= 1;
  vfs.writeFileAtomic(manifest, bad);
  const before2 = files(vfs);
  throwsCode(() => open(), 'CORRUPTION');
  assert.equal(files(vfs), before2);
});

test('[ENG-REC-1] a crash between a flush\'s manifest edit and the deletion of the WAL segments it retired leaves a valid database', () => {
  const { vfs, open } = mem({ memtableBudgetBytes: 16 * 1024, walSegmentBytes: 1 << 20 });
  const db = open();
  vfs.injectFault({ ops: ['remove'], path: (p) => p.endsWith('.wal'), code: 'EIO', sticky: true });
  let i = 0;
  while (db.info().flushes === 0) db.put(u(`key-${i}`), u(`value ${i++} `.repeat(8)));
  vfs.injectFault(null);
  vfs.crash();
  const retired = named(vfs, /\.wal$/)[0]!;
  const again = open();
  assert.is(count(again), i);
  again.close();
  assert.not.ok(vfs.exists(retired), `the retired segment ${retired} was deleted by the recovery`);
});

test('[ENG-REC-2] a creation that stopped before its first CURRENT opens as a new, empty database', () => {
  const vfs = createMemVfs();
  vfs.injectFault({ ops: ['rename'], path: (p) => p.endsWith('CURRENT'), code: 'EIO' });
  throwsCode(() => openEngine('db', { key: { raw: KEY }, vfs }), 'IO');
  assert.not.ok(vfs.exists('db/CURRENT'));
  assert.ok(named(vfs, /\.wal$/).length > 0 && named(vfs, /MANIFEST-/).length > 0, 'the interrupted creation left its WAL and manifest');
  const db = openEngine('db', { key: { raw: KEY }, vfs });
  assert.is(count(db), 0);
  db.put(u('a'), u('1'));
  db.close();
  const again = openEngine('db', { key: { raw: KEY }, vfs });
  assert.is(utf8Decode(again.get(u('a'))!), '1');
  again.close();
});

test('[ENG-CLOSE-1] truncating the WAL and the manifest of a cleanly closed database at a record boundary is detected', () => {
  const { vfs, open } = mem({ walSegmentBytes: 1 << 20 });
  const db = open();
  for (let i = 0; i < 2000; i++) db.put(u(`k${i}`), u(`v${i}`));
  db.close();
  const wal = named(vfs, /\.wal$/).at(-1)!;
  const manifest = named(vfs, /MANIFEST-/)[0]!;
  const saved = saveDir(vfs);
  // Drop the last 100 commits from the WAL and the manifest's last edit (the one ending the segment).
  const walEnds = recordEnds(vfs.readFile(wal));
  truncateTo(vfs, wal, walEnds[walEnds.length - 101]!);
  const manEnds = recordEnds(vfs.readFile(manifest));
  truncateTo(vfs, manifest, manEnds[manEnds.length - 2]!);
  const before = files(vfs);
  const e = throwsCode(() => open(), 'CORRUPTION');
  assert.match(e.message, /closed cleanly/);
  assert.equal(files(vfs), before);
  throwsCode(() => open({ readonly: true }), 'CORRUPTION');
  // The WAL alone truncated (the manifest still ends the segment): detected too.
  restoreDir(vfs, saved);
  truncateTo(vfs, wal, walEnds[walEnds.length - 101]!);
  throwsCode(() => open(), 'CORRUPTION');
});

test('[ENG-CLOSE-1] a crash image is not a clean close: its torn tail is dropped and counted, and reopen works', () => {
  const { vfs, open } = mem();
  const db = open({ synchronous: 'full' });
  for (let i = 0; i < 50; i++) db.put(u(`k${i}`), u(`v${i}`));
  db.setSynchronous('normal');
  db.put(u('torn'), u('x'));
  vfs.crash({ keepUnsynced: () => 5 });
  const again = open();
  assert.is(count(again), 50);
  assert.is(again.info().walDroppedBytes, 5);
  again.close();
});

test('[FMT-WIT-1] [ENG-WIT-1] with a rollback witness, a directory restored from an older copy is refused; without one it opens', () => {
  const { vfs, open } = mem();
  const witness = { path: 'other/witness' };
  vfs.mkdir('other');
  let db = open({ rollbackWitness: witness });
  for (let i = 0; i < 100; i++) db.put(u(`k${i}`), u(`v${i}`));
  db.close();
  const old = saveDir(vfs);
  db = open({ rollbackWitness: witness });
  for (let i = 100; i < 200; i++) db.put(u(`k${i}`), u(`v${i}`));
  db.close();
  restoreDir(vfs, old);
  const e = throwsCode(() => open({ rollbackWitness: witness }), 'CORRUPTION');
  assert.match(e.message, /older than its rollback witness/);
  throwsCode(() => open({ rollbackWitness: witness, readonly: true }), 'CORRUPTION');
  // Without the witness the older copy is indistinguishable from the real thing.
  db = open();
  assert.is(count(db), 100);
  db.close();
});

test('[ENG-WIT-1] a missing witness is CONFIG unless create is set; a witness of another database is CORRUPTION', () => {
  const { vfs, open } = mem();
  vfs.mkdir('other');
  open().close();
  throwsCode(() => open({ rollbackWitness: { path: 'other/w' } }), 'CONFIG');
  open({ rollbackWitness: { path: 'other/w', create: true } }).close();
  open({ rollbackWitness: { path: 'other/w' } }).close();
  const otherDb = openEngine('db2', { key: { raw: KEY }, vfs, rollbackWitness: { path: 'other/w2' } });
  otherDb.close();
  vfs.writeFileAtomic('other/w', vfs.readFile('other/w2'));
  throwsCode(() => open({ rollbackWitness: { path: 'other/w' } }), 'CORRUPTION');
});

test('[ENG-WIT-1] after a crash, commits up to the last witness update cannot be cut off unnoticed', () => {
  const { vfs, open } = mem({ walSegmentBytes: 4096 });
  vfs.mkdir('other');
  const witness = { path: 'other/w' };
  const db = open({ rollbackWitness: witness, synchronous: 'full' });
  for (let i = 0; i < 300; i++) db.put(u(`k${i}`), u(`value ${i}`));
  vfs.crash();
  const crashed = saveDir(vfs);
  open({ rollbackWitness: witness }).close(); // recovery: the witness now records all 300
  restoreDir(vfs, crashed);
  // cut the newest WAL segments of the crash image off at their first record
  for (const w of named(vfs, /\.wal$/).slice(-2)) truncateTo(vfs, w, FILE_HEADER_BYTES);
  throwsCode(() => open({ rollbackWitness: witness }), 'CORRUPTION');
});

test('[ENG-RO-1] a readonly open writes not one byte, refuses writes with READONLY and refuses a missing database', () => {
  const { vfs, open } = populated();
  const before = files(vfs);
  const db = open({ readonly: true });
  assert.is(count(db), 500);
  assert.is(utf8Decode(db.get(u('key-0042'))!), 'value 42 '.repeat(4));
  throwsCode(() => db.put(u('x'), u('y')), 'READONLY');
  throwsCode(() => db.delete(u('x')), 'READONLY');
  db.setSynchronous('normal');
  db.close();
  assert.equal(files(vfs), before);
  const empty = createMemVfs();
  throwsCode(() => openEngine('nothing', { key: { raw: KEY }, vfs: empty, readonly: true }), 'CONFIG');
  assert.equal(empty.paths(), []);
  assert.not.ok(empty.exists('nothing'));
});

test('[ENG-RO-1] a readonly open beside a live writer reads the committed snapshot of its open, even after the writer deletes files', () => {
  const { open } = mem({ memtableBudgetBytes: 8 * 1024, walSegmentBytes: 4096, compaction: { l0Trigger: 2 } });
  const w = open({ synchronous: 'normal' });
  for (let i = 0; i < 400; i++) w.put(u(`k${String(i).padStart(4, '0')}`), u(`v${i}`.repeat(10)));
  const r = open({ readonly: true });
  assert.is(count(r), 400);
  for (let i = 0; i < 2000; i++) w.put(u(`k${String(i).padStart(4, '0')}`), u(`w${i}`.repeat(10)));
  assert.ok(w.info().compactions > 0, 'the writer compacted (and deleted) the tables the reader opened');
  assert.is(count(r), 400);
  assert.is(utf8Decode(r.get(u('k0007'))!), 'v7'.repeat(10));
  r.close();
  w.close();
});

/** A Vfs whose lock always succeeds: two writers on one directory, as on a file system where locking is broken. */
function brokenLock(vfs: MemVfs): Vfs {
  return { ...vfs, lock: () => ({ release() {} }) };
}

test('[ENG-LOCK-3] a writer that finds CURRENT replaced by another writer stops with LOCKED instead of committing over it', () => {
  const vfs = createMemVfs();
  const v = brokenLock(vfs);
  const a = openEngine('db', { key: { raw: KEY }, vfs: v });
  for (let i = 0; i < 10; i++) a.put(u(`a${i}`), u('1'));
  const b = openEngine('db', { key: { raw: KEY }, vfs: v });
  b.put(u('b'), u('1'));
  throwsCode(() => a.put(u('a-late'), u('1')), 'LOCKED');
  throwsCode(() => a.put(u('a-later'), u('1')), 'LOCKED');
  assert.is(a.get(u('a-late')), undefined);
  b.close();
  try {
    a.close();
  } catch {
    // the failed handle reports its failure again
  }
  const c = openEngine('db', { key: { raw: KEY }, vfs });
  for (let i = 0; i < 10; i++) assert.ok(c.get(u(`a${i}`)) !== undefined, `a${i}`);
  assert.ok(c.get(u('b')) !== undefined);
  assert.is(c.get(u('a-late')), undefined);
  c.close();
});

test('[ENG-RO-1] on a real read-only mount, a readonly open works and a writable open fails cleanly', () => {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    console.log('  skipped: a read-only mount needs root on Linux');
    return;
  }
  const base = mkdtempSync(join(tmpdir(), 'helios-ro-'));
  const mnt = join(base, 'mnt');
  const sh = (cmd: string): boolean => spawnSync('sh', ['-c', cmd], { stdio: 'ignore' }).status === 0;
  if (!sh(`mkdir -p ${mnt} && mount -t tmpfs -o size=16m tmpfs ${mnt}`)) {
    console.log('  skipped: mount -t tmpfs is not permitted here');
    rmSync(base, { recursive: true, force: true });
    return;
  }
  try {
    const dir = join(mnt, 'db');
    const db = openEngine(dir, { key: { raw: KEY } });
    for (let i = 0; i < 100; i++) db.put(u(`k${i}`), u(`v${i}`));
    db.close();
    assert.ok(sh(`mount -o remount,ro ${mnt}`), 'remount read-only');
    const listing = readdirSync(dir).sort();
    const sizes = listing.map((n) => statSync(join(dir, n)).size);
    const ro = openEngine(dir, { key: { raw: KEY }, readonly: true, vfs: createNodeVfs() });
    assert.is(count(ro), 100);
    ro.close();
    assert.equal(readdirSync(dir).sort(), listing);
    assert.equal(listing.map((n) => statSync(join(dir, n)).size), sizes);
    const e = throwsCode(() => openEngine(dir, { key: { raw: KEY } }), 'IO');
    assert.ok(/EROFS|read-only/i.test(e.message), e.message);
    assert.ok(readFileSync(join(dir, 'CURRENT')).length > 0);
  } finally {
    sh(`umount ${mnt}`);
    rmSync(base, { recursive: true, force: true });
  }
});

test('[CRY-SB-10] an open of a directory whose HELIOS is padded to 5 GiB is CORRUPTION, read without allocating it', () => {
  const base = mkdtempSync(join(tmpdir(), 'helios-big-'));
  try {
    const dir = join(base, 'db');
    openEngine(dir, { key: { raw: KEY } }).close();
    truncateSync(join(dir, 'HELIOS'), 5 * 2 ** 30); // sparse: costs no disk
    const e = throwsCode(() => openEngine(dir, { key: { raw: KEY } }), 'CORRUPTION');
    assert.match(e.message, /HELIOS/);
    throwsCode(() => openEngine(dir, { key: { raw: KEY }, readonly: true }), 'CORRUPTION');
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test.run();
