import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEngine, createWriteBatch, type Engine, type EngineOptions } from './engine.ts';
import { createMemVfs, createNodeVfs, type MemVfs } from './vfs.ts';
import { isHeliosError } from '../format/errors.ts';
import { toHex, utf8Decode, utf8Encode } from '../format/bytes.ts';
import { throwsCode } from '../format/test-support.ts';

const KEY = new Uint8Array(32).map((_, i) => i + 1);
const u = utf8Encode;
const s = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : utf8Decode(b));

function mem(extra: Partial<EngineOptions> = {}): { vfs: MemVfs; open: (o?: Partial<EngineOptions>) => Engine } {
  const vfs = createMemVfs();
  return { vfs, open: (o = {}) => openEngine('db', { key: { raw: KEY }, vfs, ...extra, ...o }) };
}

function entries(db: Engine, opts: Parameters<Engine['iterator']>[0] = {}): string[] {
  const it = db.iterator(opts);
  const out: string[] = [];
  while (it.next()) out.push(`${utf8Decode(it.key())}=${utf8Decode(it.value())}`);
  it.close();
  return out;
}

function snapshotFiles(vfs: MemVfs): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of vfs.paths()) out[p] = toHex(vfs.readFile(p));
  return out;
}

test('put, get, delete and reopen keep exactly the committed data', () => {
  const { open } = mem();
  let db = open();
  db.put(u('a'), u('1'));
  db.put(u('b'), u('2'));
  db.put(u('a'), u('3'));
  db.delete(u('b'));
  assert.is(s(db.get(u('a'))), '3');
  assert.is(db.get(u('b')), undefined);
  db.close();
  db = open();
  assert.is(s(db.get(u('a'))), '3');
  assert.is(db.get(u('b')), undefined);
  assert.is(db.info().lastSeqNum, 4);
  db.close();
});

test('get returns a copy: changing it does not change the database', () => {
  const { open } = mem();
  const db = open();
  const v = u('value');
  db.put(u('k'), v);
  v[0] = 0;
  const got = db.get(u('k'))!;
  got[1] = 0;
  assert.is(s(db.get(u('k'))), 'value');
  db.close();
});

test('a write batch applies every entry at one sequence range', () => {
  const { open } = mem();
  const db = open();
  db.put(u('x'), u('old'));
  const b = createWriteBatch();
  b.put(u('x'), u('new'));
  b.put(u('y'), u('1'));
  b.delete(u('x'));
  b.put(u('z'), u('2'));
  assert.is(b.count, 4);
  assert.is(b.byteLength, 1 + 3 + 1 + 1 + 1 + 1 + 1);
  const before = db.snapshot();
  db.write(b);
  assert.equal(entries(db), ['y=1', 'z=2']);
  assert.equal(entries(db, { snapshot: before }), ['x=old']);
  assert.is(db.info().lastSeqNum, 5);
  before.release();
  db.close();
});

test('a snapshot sees exactly the commits at or below its sequence number', () => {
  const { open } = mem();
  const db = open();
  db.put(u('k'), u('v1'));
  const s1 = db.snapshot();
  db.put(u('k'), u('v2'));
  db.delete(u('j'));
  const s2 = db.snapshot();
  db.delete(u('k'));
  assert.is(s(db.get(u('k'), { snapshot: s1 })), 'v1');
  assert.is(s(db.get(u('k'), { snapshot: s2 })), 'v2');
  assert.is(db.get(u('k')), undefined);
  assert.is(s1.seqNum, 1);
  s1.release();
  throwsCode(() => db.get(u('k'), { snapshot: s1 }), 'INVALID_ARGUMENT');
  db.close();
});

test('iterators honour bounds, reverse and seek', () => {
  const { open } = mem();
  const db = open();
  for (const k of ['a', 'b', 'c', 'd', 'e']) db.put(u(k), u(k.toUpperCase()));
  db.delete(u('c'));
  assert.equal(entries(db), ['a=A', 'b=B', 'd=D', 'e=E']);
  assert.equal(entries(db, { gt: u('a'), lte: u('d') }), ['b=B', 'd=D']);
  assert.equal(entries(db, { gte: u('b'), lt: u('e'), reverse: true }), ['d=D', 'b=B']);
  const it = db.iterator();
  it.seek(u('c'));
  assert.ok(it.next());
  assert.is(utf8Decode(it.key()), 'd');
  it.close();
  const rev = db.iterator({ reverse: true });
  rev.seek(u('c'));
  assert.ok(rev.next());
  assert.is(utf8Decode(rev.key()), 'b');
  rev.close();
  db.close();
});

test('an iterator keeps its snapshot while writes continue', () => {
  const { open } = mem();
  const db = open();
  db.put(u('a'), u('1'));
  db.put(u('c'), u('3'));
  const it = db.iterator();
  db.put(u('b'), u('2'));
  db.delete(u('c'));
  const seen: string[] = [];
  while (it.next()) seen.push(utf8Decode(it.key()));
  it.close();
  assert.equal(seen, ['a', 'c']);
  db.close();
});

test('a second opener gets LOCKED until the first closes', () => {
  const { open } = mem();
  const db = open();
  throwsCode(() => open(), 'LOCKED');
  db.close();
  open().close();
});

test('a wrong key is WRONG_KEY and modifies no file', () => {
  const { vfs, open } = mem();
  const db = open();
  db.put(u('k'), u('v'));
  db.close();
  const before = snapshotFiles(vfs);
  throwsCode(() => open({ key: { raw: new Uint8Array(32).fill(7) } }), 'WRONG_KEY');
  assert.equal(snapshotFiles(vfs), before);
  open().close(); // the lock was released
});

test('a table file the manifest lists but the directory lacks is CORRUPTION at open, naming it', () => {
  const { vfs, open } = mem({ memtableBudgetBytes: 4096 });
  const db = open();
  for (let i = 0; i < 400; i++) db.put(u(`key-${String(i).padStart(5, '0')}`), new Uint8Array(64).fill(i & 0xff));
  db.close();
  const tables = vfs.list('db').filter((n) => n.endsWith('.sst'));
  assert.ok(tables.length > 0, 'the budget forces at least one flush');
  vfs.remove(`db/${tables[0]!}`);
  try {
    open();
    assert.unreachable('open must fail');
  } catch (e) {
    assert.ok(isHeliosError(e, 'CORRUPTION'), String(e));
    assert.is((e as { details: { file?: string } }).details.file, tables[0]);
  }
});

test('info().stalls counts commits that waited for compaction, with the time spent', () => {
  // L0 trigger 1 with one-entry compaction slices: L0 reaches its stall size (3 tables) often.
  const { open } = mem({ memtableBudgetBytes: 2048, synchronous: 'off', compactionStepEntries: 1, compaction: { l0Trigger: 1, baseLevelBytes: 4000, sizeRatio: 2, targetFileBytes: 2000, levelCount: 4 } });
  const db = open();
  assert.equal(db.info().stalls, { memtable: 0, l0: 0, stallMs: 0, longestStallMs: 0 });
  for (let j = 0; j < 1500; j++) db.put(u(`k${(j * 7919) % 1500}`), new Uint8Array(60).fill(j & 0xff));
  const s = db.info().stalls;
  assert.ok(s.l0 > 0, 'L0 stalls happen and are counted');
  assert.ok(s.stallMs > 0 && s.longestStallMs > 0 && s.longestStallMs <= s.stallMs, JSON.stringify(s));
  assert.ok((db.info().tablesPerLevel[0] ?? 0) < 3, 'each stall ends below the stall size');
  db.close();
});

test('sustained batched writes keep compacting: L0 stays bounded and every key reads back', () => {
  const { open } = mem({ memtableBudgetBytes: 64 * 1024, synchronous: 'off' });
  const db = open();
  const key = (j: number): Uint8Array => u(`k${String((j * 7919) % 20000).padStart(6, '0')}-${j}`);
  let maxL0 = 0;
  for (let i = 0; i < 20000; i += 500) {
    const b = createWriteBatch();
    for (let j = i; j < i + 500; j++) b.put(key(j), new Uint8Array(40).fill(j & 0xff));
    db.write(b);
    maxL0 = Math.max(maxL0, db.info().tablesPerLevel[0] ?? 0);
  }
  const info = db.info();
  assert.ok(info.compactions > 0, 'compaction must run while batches keep arriving');
  assert.ok(maxL0 <= 12, `L0 grew to ${maxL0} tables (trigger 4 x stall factor 3)`);
  for (let j = 0; j < 20000; j += 997) assert.equal(db.get(key(j)), new Uint8Array(40).fill(j & 0xff));
  db.close();
});

test('calls after close throw CLOSED; close is idempotent', () => {
  const { open } = mem();
  const db = open();
  db.close();
  db.close();
  throwsCode(() => db.get(u('k')), 'CLOSED');
  throwsCode(() => db.put(u('k'), u('v')), 'CLOSED');
  throwsCode(() => db.iterator(), 'CLOSED');
  throwsCode(() => db.info(), 'CLOSED');
});

test('[FMT-REC-4] a torn tail is dropped and counted; the state is a prefix of the commits', () => {
  const { vfs, open } = mem({ synchronous: 'normal' });
  let db = open();
  db.setSynchronous('full');
  db.put(u('durable'), u('yes'));
  db.setSynchronous('normal');
  db.put(u('maybe'), u('x'.repeat(100)));
  vfs.crash({ keepUnsynced: (_p, n) => n - 3 });
  db = open();
  assert.is(s(db.get(u('durable'))), 'yes');
  assert.is(db.get(u('maybe')), undefined);
  assert.ok(db.info().walDroppedBytes > 0);
  db.close();
  db = open();
  assert.is(db.info().walDroppedBytes, 0);
  assert.is(s(db.get(u('durable'))), 'yes');
  db.put(u('after'), u('1'));
  db.close();
  db = open();
  assert.equal(entries(db), ['after=1', 'durable=yes']);
  db.close();
});

test('[FMT-REC-4] a complete record failing verification is CORRUPTION naming file and offset', () => {
  const { vfs, open } = mem();
  let db = open();
  db.put(u('a'), u('1'));
  db.put(u('b'), u('2'));
  // Crash without close: the active segment has no recorded end.
  vfs.crash();
  const wal = vfs.paths().filter((p) => p.endsWith('.wal'));
  assert.is(wal.length, 1);
  const size = vfs.readFile(wal[0]!).length;
  vfs.flipBit(wal[0]!, (size - 2) * 8); // inside the last record's tag
  try {
    db = open();
    assert.unreachable();
  } catch (e) {
    assert.ok(isHeliosError(e, 'CORRUPTION'), String(e));
    assert.is(e.details.file, wal[0]!.slice(3));
    assert.type(e.details.offset, 'number');
  }
});

test('WAL segments rotate by size and the manifest is rewritten as it grows', () => {
  const { vfs, open } = mem({ walSegmentBytes: 300, manifestRewriteBytes: 400 });
  let db = open();
  for (let i = 0; i < 100; i++) db.put(u(`key${String(i).padStart(3, '0')}`), u(`value${i}`));
  const info = db.info();
  assert.ok(info.walSegments > 5, `segments ${info.walSegments}`);
  const manifests = vfs.paths().filter((p) => p.includes('MANIFEST-'));
  assert.is(manifests.length, 1);
  db.close();
  db = open();
  assert.is(entries(db).length, 100);
  assert.is(s(db.get(u('key042'))), 'value42');
  db.close();
});

test('an unencrypted database works without a key and refuses one', () => {
  const vfs = createMemVfs();
  let db = openEngine('db', { encryption: false, vfs });
  db.put(u('k'), u('v'));
  assert.is(db.info().suite, 'none');
  assert.is(db.info().encryptionEnabled, false);
  db.close();
  throwsCode(() => openEngine('db', { encryption: false, key: { raw: KEY }, vfs }), 'CONFIG');
  db = openEngine('db', { vfs });
  assert.is(s(db.get(u('k'))), 'v');
  db.close();
});

test('an encrypted database needs its key: none given is CONFIG, encryption:false is CONFIG', () => {
  const { vfs, open } = mem();
  open().close();
  throwsCode(() => openEngine('db', { vfs }), 'CONFIG');
  throwsCode(() => openEngine('db', { vfs, encryption: false }), 'CONFIG');
  throwsCode(() => openEngine('new', { vfs }), 'CONFIG');
});

test('a directory holding something else is NOT_A_DATABASE; a missing one with createIfMissing false is CONFIG', () => {
  const vfs = createMemVfs();
  vfs.mkdir('other');
  vfs.create('other/notes.txt').close();
  throwsCode(() => openEngine('other', { key: { raw: KEY }, vfs }), 'NOT_A_DATABASE');
  throwsCode(() => openEngine('nothing', { key: { raw: KEY }, vfs, createIfMissing: false }), 'CONFIG');
  assert.not.ok(vfs.exists('nothing'));
});

test('a new database is created only in an existing directory: a missing parent is IO (ENOENT) naming it, nothing created; readonly never creates', () => {
  const vfs = createMemVfs();
  for (const path of ['a/b/db', 'a/db/', '/x/db']) {
    let err: unknown = null;
    try {
      openEngine(path, { key: { raw: KEY }, vfs }).close();
    } catch (e) {
      err = e;
    }
    assert.ok(isHeliosError(err, 'IO'), String(err));
    assert.is(err.details.osCode, 'ENOENT');
    assert.match(err.message, new RegExp(`its directory ${path.startsWith('/x') ? '/x' : path.startsWith('a/b') ? 'a/b' : 'a'} does not exist`));
  }
  throwsCode(() => openEngine('a/db', { key: { raw: KEY }, vfs, readonly: true }), 'CONFIG');
  assert.equal(vfs.paths(), [], 'nothing was created');
  assert.not.ok(vfs.exists('a') || vfs.exists('/x'));
  vfs.mkdir('a');
  openEngine('a/db/', { key: { raw: KEY }, vfs }).close();
  assert.ok(vfs.exists('a/db/HELIOS'));
});

test('bad options are typed errors', () => {
  const vfs = createMemVfs();
  throwsCode(() => openEngine('db', { key: { raw: KEY }, vfs, synchronous: 'fast' as never }), 'INVALID_ARGUMENT');
  throwsCode(() => openEngine('db', { key: { raw: KEY }, vfs, walSegmentBytes: -1 }), 'INVALID_ARGUMENT');
  throwsCode(() => openEngine('db', { key: { raw: KEY }, vfs, walSegmentBytes: 2 ** 30 }), 'INVALID_ARGUMENT'); // a log past 1 GiB would be unreadable
  throwsCode(() => openEngine('db', { key: { raw: KEY }, vfs, manifestRewriteBytes: 2 ** 30 }), 'INVALID_ARGUMENT');
  throwsCode(() => openEngine('db', { key: {} as never, vfs }), 'INVALID_ARGUMENT');
  const db = openEngine('db', { key: { raw: KEY }, vfs });
  throwsCode(() => db.put('k' as never, u('v')), 'INVALID_ARGUMENT');
  throwsCode(() => db.write({} as never), 'INVALID_ARGUMENT');
  throwsCode(() => db.setSynchronous('sometimes' as never), 'INVALID_ARGUMENT');
  db.close();
});

test('[ENG-SYNC-1] info reports the synchronous mode, key source and cipher', () => {
  const { open } = mem({ synchronous: 'off' });
  const db = open();
  const info = db.info();
  assert.is(info.synchronous, 'off');
  assert.is(info.keySource, 'raw');
  assert.is(info.suite, 'aes-256-gcm');
  assert.is(info.encryptionEnabled, true);
  db.setSynchronous('normal');
  assert.is(db.info().synchronous, 'normal');
  db.close();
});

test('synchronous off loses unflushed commits in a crash but a clean close keeps them', () => {
  const { vfs, open } = mem({ synchronous: 'off' });
  let db = open();
  db.put(u('a'), u('1'));
  vfs.crash();
  db = open();
  assert.is(db.get(u('a')), undefined);
  db.put(u('b'), u('2'));
  db.close();
  db = open();
  assert.is(s(db.get(u('b'))), '2');
  db.close();
});

test('an I/O error fails the write path; reopening keeps every acknowledged commit', () => {
  const { vfs, open } = mem();
  let db = open();
  db.put(u('a'), u('1'));
  vfs.injectFault({ ops: ['append'], path: (p) => p.endsWith('.wal'), code: 'ENOSPC', partialBytes: 5 });
  throwsCode(() => db.put(u('b'), u('2')), 'IO');
  throwsCode(() => db.put(u('c'), u('3')), 'IO');
  assert.is(s(db.get(u('a'))), '1');
  assert.ok(db.info().failure !== null);
  throwsCode(() => db.close(), 'IO'); // releases the handle, reports the failure again
  throwsCode(() => db.get(u('a')), 'CLOSED');
  db = open();
  assert.is(s(db.get(u('a'))), '1');
  assert.is(db.get(u('b')), undefined);
  db.put(u('d'), u('4'));
  db.close();
  db = open();
  assert.equal(entries(db), ['a=1', 'd=4']);
  db.close();
});

test('the real file system: create, reopen, lock file removed on close', () => {
  const dir = mkdtempSync(join(tmpdir(), 'helios-engine-'));
  try {
    const path = join(dir, 'db');
    const keyFile = join(dir, 'key.hex');
    writeFileSync(keyFile, toHex(KEY) + '\n');
    let db = openEngine(path, { key: { file: keyFile } });
    db.put(u('k'), u('v'));
    assert.is(db.info().keySource, 'file');
    // A second handle in this process shares the open database [ENG-SHARE-1]; one on an explicit Vfs is a second engine: LOCKED.
    const second = openEngine(path, { key: { file: keyFile } });
    assert.is(s(second.get(u('k'))), 'v');
    throwsCode(() => openEngine(path, { key: { file: keyFile }, vfs: createNodeVfs() }), 'LOCKED');
    second.close();
    assert.ok(readdirSync(path).includes('LOCK'), 'LOCK stays while a handle is open');
    db.close();
    assert.not.ok(readdirSync(path).includes('LOCK'));
    db = openEngine(path, { key: { raw: KEY }, vfs: createNodeVfs() });
    assert.is(s(db.get(u('k'))), 'v');
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
