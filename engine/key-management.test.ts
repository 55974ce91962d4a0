import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openEngine, type Engine, type EngineOptions, type KeySourceOption, type RewriteProgress } from './engine.ts';
import { createMemVfs, type MemVfs, type Vfs } from './vfs.ts';
import { isHeliosError } from '../format/errors.ts';
import { toHex, utf8Decode, utf8Encode } from '../format/bytes.ts';
import { FILE_HEADER_BYTES, decodeFileHeader } from '../format/file-header.ts';
import { readSuperblockInfo } from '../crypto/superblock.ts';
import { throwsCode } from '../format/test-support.ts';

const KEY_A = new Uint8Array(32).map((_, i) => i + 1);
const KEY_B = new Uint8Array(32).map((_, i) => 200 - i);
const KEY_R = new Uint8Array(32).fill(0x5a);
const KDF = { argon2: { memoryKiB: 64, iterations: 1, parallelism: 1 } };
const u = utf8Encode;
const DIR = 'db';

function open(vfs: Vfs, key: KeySourceOption, extra: Partial<EngineOptions> = {}): Engine {
  return openEngine(DIR, { key, vfs, createIfMissing: false, ...extra });
}

/** Writes `n` keys (values big enough to flush to several tables with a small memtable). */
function fill(db: Engine, n: number, tag = 'v'): Map<string, string> {
  const model = new Map<string, string>();
  for (let i = 0; i < n; i++) {
    const k = `key-${String((i * 7919) % n).padStart(6, '0')}`;
    const v = `${tag}-${i}-SECRETMARKER-${'x'.repeat(40)}`;
    db.put(u(k), u(v));
    model.set(k, v);
  }
  return model;
}

function contents(db: Engine): Map<string, string> {
  const out = new Map<string, string>();
  const it = db.iterator();
  while (it.next()) out.set(utf8Decode(it.key()), utf8Decode(it.value()));
  it.close();
  return out;
}

function assertData(db: Engine, model: Map<string, string>): void {
  const got = contents(db);
  assert.is(got.size, model.size);
  for (const [k, v] of model) assert.is(got.get(k), v, k);
}

function files(vfs: MemVfs): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of vfs.paths()) if (!p.endsWith('/LOCK')) out[p] = toHex(vfs.readFile(p));
  return out;
}

/** The data-key generation in a file's header (plaintext, spec/format.md). */
function generationOf(vfs: Vfs, path: string): number {
  return decodeFileHeader(vfs.readFile(path).subarray(0, FILE_HEADER_BYTES), path).generation;
}

const slots = (vfs: Vfs): number => readSuperblockInfo(vfs.readFile(`${DIR}/HELIOS`)).slotCount;

function dataFiles(vfs: MemVfs): string[] {
  return vfs.paths().filter((p) => /\/(\d+\.(wal|sst)|MANIFEST-\d+)$/.test(p));
}

/** A Vfs that records the path of every mutating operation. */
function recording(inner: MemVfs): { vfs: Vfs; writes: string[] } {
  const writes: string[] = [];
  const vfs: Vfs = {
    ...inner,
    create(path) {
      writes.push(`create ${path}`);
      const f = inner.create(path);
      return { ...f, append: (d) => (writes.push(`append ${path}`), f.append(d)), sync: () => (writes.push(`sync ${path}`), f.sync()) };
    },
    remove: (p) => (writes.push(`remove ${p}`), inner.remove(p)),
    rename: (a, b) => (writes.push(`rename ${a} ${b}`), inner.rename(a, b)),
    syncDir: (d) => (writes.push(`syncDir ${d}`), inner.syncDir(d)),
    writeFileAtomic(path, data) {
      writes.push(`atomic ${path}`);
      inner.writeFileAtomic(path, data);
    },
  };
  return { vfs, writes };
}

function newDb(extra: Partial<EngineOptions> = {}): MemVfs {
  const vfs = createMemVfs();
  openEngine(DIR, { key: { raw: KEY_A }, vfs, ...extra }).close();
  return vfs;
}

test('[CRY-ROTATE-1] [CRY-ROTATE-2] changeKey: the old key gets WRONG_KEY, the new one opens, data intact, only HELIOS rewritten', () => {
  for (const n of [10, 3000]) {
    const vfs = newDb();
    let db = open(vfs, { raw: KEY_A }, { memtableBudgetBytes: 16 * 1024 });
    const model = fill(db, n);
    const before = files(vfs);
    const rec = recording(vfs);
    // Swap the Vfs under the open handle by reopening through the recorder.
    db.close();
    db = open(rec.vfs, { raw: KEY_A }, { memtableBudgetBytes: 16 * 1024 });
    const afterOpen = files(vfs);
    rec.writes.length = 0;
    db.changeKey({ raw: KEY_B });
    // The set of written files does not depend on the amount of data: only HELIOS (via its temp).
    assert.equal(rec.writes, [`atomic ${DIR}/HELIOS`]);
    const after = files(vfs);
    for (const p of Object.keys(afterOpen)) if (!p.endsWith('/HELIOS')) assert.is(after[p], afterOpen[p], p);
    assert.equal(Object.keys(after).sort(), Object.keys(afterOpen).sort());
    assert.is.not(after[`${DIR}/HELIOS`], before[`${DIR}/HELIOS`]);
    assertData(db, model);
    db.put(u('after'), u('change'));
    model.set('after', 'change');
    db.close();
    throwsCode(() => open(vfs, { raw: KEY_A }), 'WRONG_KEY');
    db = open(vfs, { raw: KEY_B });
    assertData(db, model);
    db.close();
  }
});

test('[CRY-ROTATE-2] a failure after the rename reports IO and the handle follows the HELIOS in place', () => {
  const vfs = newDb();
  const db = open(vfs, { raw: KEY_A });
  fill(db, 10);
  vfs.injectFault({ code: 'EIO', ops: ['syncDir'] });
  throwsCode(() => db.changeKey({ passphrase: 'pw' }, { kdf: KDF }), 'IO');
  assert.is(db.info().kdf, 'argon2id');
  vfs.injectFault({ code: 'EIO', ops: ['create'] });
  throwsCode(() => db.rotateDataKey(), 'IO');
  assert.equal(db.info().generations, [1], 'a failure before the rename changes nothing');
  assert.is(db.rotateDataKey(), 2);
  db.close();
  throwsCode(() => open(vfs, { raw: KEY_A }), 'WRONG_KEY');
  const again = open(vfs, { passphrase: 'pw' });
  assert.equal(again.info().generations, [1, 2]);
  again.close();
});

test('[CRY-ROTATE-1] changeKey raw → passphrase → raw; info() follows the new key', () => {
  const vfs = newDb();
  let db = open(vfs, { raw: KEY_A });
  const model = fill(db, 50);
  db.changeKey({ passphrase: 'correct horse battery staple' }, { kdf: KDF });
  assert.is(db.info().kdf, 'argon2id');
  assert.is(db.info().keySource, 'passphrase');
  db.close();
  throwsCode(() => open(vfs, { raw: KEY_A }), 'WRONG_KEY');
  throwsCode(() => open(vfs, { passphrase: 'wrong horse' }), 'WRONG_KEY');
  db = open(vfs, { passphrase: 'correct horse battery staple' });
  assertData(db, model);
  assert.is(db.info().kdf, 'argon2id');
  db.changeKey({ raw: KEY_B });
  assert.is(db.info().kdf, 'none');
  assert.is(db.info().keySource, 'raw');
  db.close();
  throwsCode(() => open(vfs, { passphrase: 'correct horse battery staple' }), 'WRONG_KEY');
  db = open(vfs, { raw: KEY_B });
  assertData(db, model);
  assert.is(slots(vfs), 1);
  db.close();
});

test('[CRY-ROTATE-1] changeKey refuses an unencrypted database, a FIPS switch, bad options and a closed handle', () => {
  const plain = createMemVfs();
  let db = openEngine(DIR, { encryption: false, vfs: plain });
  throwsCode(() => db.changeKey({ raw: KEY_B }), 'CONFIG');
  throwsCode(() => db.rotateDataKey(), 'CONFIG');
  throwsCode(() => db.addKey({ raw: KEY_B }), 'CONFIG');
  db.close();
  const vfs = newDb();
  db = open(vfs, { raw: KEY_A });
  const helios = toHex(vfs.readFile(`${DIR}/HELIOS`));
  throwsCode(() => db.changeKey({ raw: KEY_B }, { fips: true }), 'CONFIG');
  throwsCode(() => db.changeKey({ raw: new Uint8Array(31) }), 'CONFIG');
  throwsCode(() => db.changeKey({} as KeySourceOption), 'INVALID_ARGUMENT');
  throwsCode(() => db.changeKey({ passphrase: 'p' }, { kdf: { argon2: { memoryKiB: 1 } } }), 'CONFIG');
  assert.is(toHex(vfs.readFile(`${DIR}/HELIOS`)), helios, 'a refused change writes nothing');
  db.close();
  throwsCode(() => db.changeKey({ raw: KEY_B }), 'CLOSED');
  db = open(vfs, { raw: KEY_A });
  db.close();
});

test('[CRY-ROTATE-5] addKey / removeKey: a recovery key opens; the last slot cannot be removed', () => {
  const vfs = newDb();
  let db = open(vfs, { raw: KEY_A });
  const model = fill(db, 20);
  db.addKey({ raw: KEY_R });
  assert.is(slots(vfs), 2);
  db.close();
  db = open(vfs, { raw: KEY_R });
  assertData(db, model);
  // Change the recovery key handle's own slot: KEY_A's slot stays.
  db.changeKey({ raw: KEY_B });
  db.close();
  throwsCode(() => open(vfs, { raw: KEY_R }), 'WRONG_KEY');
  db = open(vfs, { raw: KEY_A });
  throwsCode(() => db.removeKey({ raw: KEY_R }), 'WRONG_KEY');
  db.removeKey({ raw: KEY_A }); // its own slot: the handle stays usable
  assert.is(slots(vfs), 1);
  throwsCode(() => db.changeKey({ raw: KEY_R }), 'CONFIG');
  throwsCode(() => db.removeKey({ raw: KEY_B }), 'CONFIG');
  db.put(u('still'), u('writable'));
  model.set('still', 'writable');
  db.close();
  throwsCode(() => open(vfs, { raw: KEY_A }), 'WRONG_KEY');
  db = open(vfs, { raw: KEY_B });
  assertData(db, model);
  db.close();
});

test('[CRY-ROTATE-3] rotateDataKey: new files carry the new generation at once, old files stay readable', () => {
  const vfs = newDb();
  let db = open(vfs, { raw: KEY_A }, { memtableBudgetBytes: 8 * 1024 });
  const model = fill(db, 400, 'old');
  const oldTables = dataFiles(vfs).filter((p) => p.endsWith('.sst'));
  assert.ok(oldTables.length > 0);
  for (const p of oldTables) assert.is(generationOf(vfs, p), 1);
  const before = db.info();
  assert.equal([before.generations, before.currentGeneration], [[1], 1]);
  const g = db.rotateDataKey();
  assert.is(g, 2);
  const after = db.info();
  assert.equal([after.generations, after.currentGeneration], [[1, 2], 2]);
  assert.equal(readSuperblockInfo(vfs.readFile(`${DIR}/HELIOS`)).generations, [1, 2]);
  const activeWal = `${DIR}/${String(after.activeWalFileNumber).padStart(6, '0')}.wal`;
  assert.is(generationOf(vfs, activeWal), 2, 'the WAL segment started at once uses the new generation');
  const known = new Set(dataFiles(vfs));
  for (const [k, v] of fill(db, 400, 'new')) model.set(k, v);
  const fresh = dataFiles(vfs).filter((p) => !known.has(p));
  assert.ok(fresh.some((p) => p.endsWith('.sst')), 'new tables were written');
  for (const p of fresh) assert.is(generationOf(vfs, p), 2, p);
  assertData(db, model);
  db.close();
  db = open(vfs, { raw: KEY_A });
  assertData(db, model);
  assert.equal(db.info().generations, [1, 2]);
  assert.is(db.rotateDataKey(), 3);
  db.close();
});

test('[CRY-ROTATE-4] rewriteAll rewrites every file with the newest generation and drops the others from HELIOS', () => {
  const vfs = newDb();
  let db = open(vfs, { raw: KEY_A }, { memtableBudgetBytes: 8 * 1024, compaction: { baseLevelBytes: 16 * 1024, targetFileBytes: 8 * 1024 } });
  const model = fill(db, 600, 'g1');
  db.rotateDataKey();
  for (const [k, v] of fill(db, 300, 'g2')) model.set(k, v);
  const progress: RewriteProgress[] = [];
  const g = db.rotateDataKey({ rewrite: true, onProgress: (p) => progress.push(p) });
  assert.is(g, 3);
  assert.equal(db.info().generations, [3]);
  assert.equal(readSuperblockInfo(vfs.readFile(`${DIR}/HELIOS`)).generations, [3]);
  for (const p of dataFiles(vfs)) assert.is(generationOf(vfs, p), 3, p);
  assert.is(progress[0]!.phase, 'flush');
  assert.is(progress[progress.length - 1]!.phase, 'drop');
  const last = progress[progress.length - 1]!;
  assert.ok(last.tablesTotal > 0);
  assert.is(last.tablesRewritten, last.tablesTotal);
  assert.is(last.bytesRewritten, last.bytesTotal);
  for (let i = 1; i < progress.length; i++) assert.ok(progress[i]!.tablesRewritten >= progress[i - 1]!.tablesRewritten);
  assertData(db, model);
  db.close();
  db = open(vfs, { raw: KEY_A });
  assertData(db, model);
  assert.equal(db.info().generations, [3]);
  // Nothing left to do: a second pass drops nothing.
  const again = db.rewriteAll();
  assert.equal([again.generationsBefore, again.generationsAfter, again.dropped], [[3], [3], []]);
  db.close();
});

test('[CRY-ROTATE-4] a table an open iterator still reads keeps its generation live', () => {
  const vfs = newDb();
  const db = open(vfs, { raw: KEY_A }, { memtableBudgetBytes: 8 * 1024 });
  const model = fill(db, 300);
  const it = db.iterator();
  db.rotateDataKey();
  const r = db.rewriteAll();
  assert.equal(r.dropped, []);
  assert.equal(db.info().generations, [1, 2]);
  const seen = new Map<string, string>();
  while (it.next()) seen.set(utf8Decode(it.key()), utf8Decode(it.value()));
  it.close();
  assert.equal(seen, model);
  const r2 = db.rewriteAll();
  assert.equal(r2.dropped, [1]);
  assert.equal(db.info().generations, [2]);
  assertData(db, model);
  db.close();
});

test('[CRY-ROTATE-7] zero plaintext still holds after key change, rotation and rewrite', () => {
  const vfs = newDb();
  const db = open(vfs, { raw: KEY_A }, { memtableBudgetBytes: 8 * 1024 });
  fill(db, 300);
  db.changeKey({ passphrase: 'pw' }, { kdf: KDF });
  db.rotateDataKey({ rewrite: true });
  fill(db, 50, 'later');
  const marker = toHex(u('SECRETMARKER'));
  const keyHex = [KEY_A, KEY_B].map(toHex);
  for (const p of vfs.paths()) {
    const hex = toHex(vfs.readFile(p));
    for (let i = 0; i < hex.length; i += 2) if (hex.startsWith(marker, i)) assert.unreachable(`plaintext in ${p}`);
    for (const k of keyHex) assert.not.ok(hex.includes(k), `key bytes in ${p}`);
  }
  db.close();
});

// ---- crash at every Vfs operation ----------------------------------------------------------

type Op = 'changeKey' | 'addKey' | 'removeKey' | 'rotate' | 'rotate+rewrite';

function crashCampaign(op: Op, processOnly: boolean): number {
  let points = 0;
  for (let k = 0; ; k++) {
    const vfs = newDb();
    let db = open(vfs, { raw: KEY_A }, { memtableBudgetBytes: 4 * 1024, compaction: { baseLevelBytes: 8 * 1024, targetFileBytes: 4 * 1024 } });
    const model = fill(db, 150);
    if (op === 'removeKey') db.addKey({ raw: KEY_R });
    if (op === 'rotate+rewrite') {
      db.rotateDataKey();
      for (const [key, v] of fill(db, 60, 'g2')) model.set(key, v);
    }
    const fired = vfs.faultsFired;
    vfs.injectFault({ code: 'EIO', after: k });
    let completed = true;
    try {
      if (op === 'changeKey') db.changeKey({ raw: KEY_B });
      else if (op === 'addKey') db.addKey({ raw: KEY_R });
      else if (op === 'removeKey') db.removeKey({ raw: KEY_A });
      else if (op === 'rotate') db.rotateDataKey();
      else db.rotateDataKey({ rewrite: true });
    } catch (e) {
      if (!isHeliosError(e, 'IO')) throw e;
      completed = false;
    }
    const faulted = vfs.faultsFired > fired;
    vfs.injectFault(null);
    vfs.crash(processOnly ? { processOnly: true } : {});
    const keys = op === 'changeKey' ? [KEY_A, KEY_B] : op === 'removeKey' ? [KEY_A, KEY_R] : [KEY_A];
    let opened = 0;
    for (const key of keys) {
      try {
        db = open(vfs, { raw: key });
      } catch (e) {
        if (isHeliosError(e, 'WRONG_KEY')) continue;
        throw new Error(`${op} crash before mutating op ${k}: reopen failed: ${String(e)}`);
      }
      opened++;
      assertData(db, model);
      const gens = db.info().generations;
      if (op === 'rotate' && completed) assert.equal(gens, [1, 2]);
      if (op === 'rotate+rewrite' && completed) assert.equal(gens, [3]);
      db.close();
    }
    if (op === 'changeKey') assert.is(opened, 1, 'exactly one of old and new key opens');
    if (op === 'removeKey') assert.ok(opened >= 1);
    if (op === 'changeKey' && completed) {
      throwsCode(() => open(vfs, { raw: KEY_A }), 'WRONG_KEY');
    }
    points++;
    if (!faulted) return points;
    if (k > 5000) throw new Error('the operation never completed');
  }
}

for (const op of ['changeKey', 'addKey', 'removeKey', 'rotate', 'rotate+rewrite'] as const) {
  test(`[CRY-ROTATE-6] a power loss at any Vfs operation of ${op} leaves the old or the new key state and every commit`, () => {
    assert.ok(crashCampaign(op, false) >= 2);
  });
}

test('[CRY-ROTATE-6] a process crash at any Vfs operation of a forced rotation loses nothing', () => {
  assert.ok(crashCampaign('rotate+rewrite', true) >= 2);
});

test.run();
