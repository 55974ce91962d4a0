import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openEngine, type Engine, type EngineOptions, type KeySourceOption, type RewriteProgress } from './engine.ts';
import { createMemVfs, type MemVfs, type Vfs } from './vfs.ts';
import { isHeliosError } from '../format/errors.ts';
import { toHex, utf8Decode, utf8Encode } from '../format/bytes.ts';
import { FILE_HEADER_BYTES, FILE_MAGIC, decodeFileHeader } from '../format/file-header.ts';
import { openSuperblock, readSuperblockInfo } from '../crypto/superblock.ts';
import { rawKeySecret } from '../crypto/key-source.ts';
import { hkdfSha256 } from '../crypto/hkdf.ts';
import { crc32c } from '../format/crc32c.ts';
import { decodeSuperblock, encodeSlotDescriptor, encodeSuperblockHeader, encodeSuperblockPrefix, finishSuperblock, keyringAadOf, SLOT_RAW } from '../format/superblock-layout.ts';
import { gcm } from '@noble/ciphers/aes.js';
import { Buffer } from 'node:buffer';
import { readSuperblockFile } from './key-management.ts';
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

test('[CRY-ROTATE-7] zero plaintext still holds after key change, rotation, rewrite and revocation', () => {
  const vfs = newDb();
  const db = open(vfs, { raw: KEY_A }, { memtableBudgetBytes: 8 * 1024 });
  fill(db, 300);
  db.changeKey({ passphrase: 'pw' }, { kdf: KDF });
  db.rotateDataKey({ rewrite: true });
  fill(db, 50, 'later');
  db.revokeKeys({ keys: [{ raw: KEY_B }] });
  fill(db, 50, 'revoked');
  const marker = toHex(u('SECRETMARKER'));
  const keyHex = [KEY_A, KEY_B].map(toHex);
  for (const p of vfs.paths()) {
    const hex = toHex(vfs.readFile(p));
    for (let i = 0; i < hex.length; i += 2) if (hex.startsWith(marker, i)) assert.unreachable(`plaintext in ${p}`);
    for (const k of keyHex) assert.not.ok(hex.includes(k), `key bytes in ${p}`);
  }
  db.close();
});

// ---- revocation (spec/crypto.md §8) ----------------------------------------------------------

const KEY_C = new Uint8Array(32).fill(0xc3);
const KEY_X = new Uint8Array(32).fill(0xee); // the attacker's own key for a forged HELIOS
const HELIOS = `${DIR}/HELIOS`;

/**
 * What an attacker with the spec does with a HELIOS and a raw key, using only the primitives
 * (spec/crypto.md [CRY-SB-3], [CRY-SB-4]): the root key of the first raw slot the key opens
 * and, if it opens the keyring of that same HELIOS, its DEKs. null when no slot opens.
 */
function unwrapByHand(helios: Uint8Array, rawKey: Uint8Array): { krk: Uint8Array; deks: Map<number, Uint8Array> | null } | null {
  const p = decodeSuperblock(helios);
  for (const s of p.slots) {
    if (s.kind !== SLOT_RAW) continue;
    const kek = hkdfSha256(rawKey, s.salt, u('helios-kek'), 32);
    let krk: Uint8Array;
    try {
      krk = gcm(kek, new Uint8Array(12), new Uint8Array([...p.header, ...p.rootId, ...s.descriptor])).decrypt(s.wrapped);
    } catch {
      continue;
    }
    return { krk, deks: keyringByHand(helios, krk) };
  }
  return null;
}

function keyringByHand(helios: Uint8Array, krk: Uint8Array): Map<number, Uint8Array> | null {
  const p = decodeSuperblock(helios);
  const kk = hkdfSha256(krk, p.keyringSalt, u('helios-keyring'), 32);
  let plain: Uint8Array;
  try {
    plain = gcm(kk, new Uint8Array(12), p.keyringAad).decrypt(p.sealedDeks);
  } catch {
    return null;
  }
  return new Map(p.generations.map((g, i) => [g, plain.slice(32 * i, 32 * i + 32)] as const));
}

/** A HELIOS of `header` (the database's) opened by KEY_X that claims `deks` (generation → DEK): built from the primitives. */
function forgeHelios(header: Uint8Array, deks: Map<number, Uint8Array>): Uint8Array {
  const rootId = new Uint8Array(16).fill(1);
  const krk = new Uint8Array(32).fill(2);
  const salt = new Uint8Array(16).fill(3);
  const descriptor = encodeSlotDescriptor(SLOT_RAW, [0, 0, 0], salt);
  const kek = hkdfSha256(KEY_X, salt, u('helios-kek'), 32);
  const wrapped = gcm(kek, new Uint8Array(12), new Uint8Array([...header, ...rootId, ...descriptor])).encrypt(krk);
  const generations = [...deks.keys()].sort((a, b) => a - b);
  const keyringSalt = new Uint8Array(16).fill(4);
  const prefix = encodeSuperblockPrefix({ header, rootId, slots: [{ descriptor, wrapped }], current: generations[generations.length - 1]!, generations, keyringSalt });
  const kk = hkdfSha256(krk, keyringSalt, u('helios-keyring'), 32);
  const plain = new Uint8Array(generations.flatMap((g) => [...deks.get(g)!]));
  return finishSuperblock(prefix, gcm(kk, new Uint8Array(12), prefix).encrypt(plain));
}

/** A copy of the directory with HELIOS replaced. */
function withHelios(vfs: MemVfs, helios: Uint8Array): MemVfs {
  const copy = createMemVfs();
  copy.mkdir(DIR);
  for (const p of vfs.paths()) if (!p.endsWith('/LOCK')) copy.writeFileAtomic(p, p === HELIOS ? helios : vfs.readFile(p));
  return copy;
}

/** Every row the engine returns from `vfs` opened with KEY_X, or the error code that stopped it. */
function readAs(vfs: MemVfs): Map<string, string> | string {
  try {
    const db = open(vfs, { raw: KEY_X });
    try {
      return contents(db);
    } finally {
      db.close();
    }
  } catch (e) {
    return isHeliosError(e) ? e.code : String(e);
  }
}

/** Generations in the headers of every sealed file in the directory (WAL, manifests, tables, CURRENT, …). */
function fileGenerations(vfs: MemVfs): Set<number> {
  const sealed = vfs.paths().filter((p) => {
    const b = vfs.readFile(p);
    return FILE_MAGIC.every((m, i) => b[i] === m);
  });
  assert.ok(sealed.length >= 3, 'sealed files to check');
  return new Set(sealed.map((p) => generationOf(vfs, p)));
}

test('[CRY-REVOKE-3] [CRY-REVOKE-2] [CRY-REVOKE-1] after revokeKeys an old HELIOS with the old or a removed key decrypts nothing current, rows written later included', () => {
  const vfs = newDb();
  const db = open(vfs, { raw: KEY_A }, { memtableBudgetBytes: 8 * 1024 });
  const model = fill(db, 400, 'before');
  db.addKey({ raw: KEY_R });
  const oldHelios = vfs.readFile(HELIOS); // the attacker's copy (a backup): opens with KEY_A and KEY_R
  // The everyday calls first: none of them is revocation.
  db.removeKey({ raw: KEY_R });
  db.changeKey({ raw: KEY_C });
  db.rotateDataKey({ rewrite: true });
  const r = db.revokeKeys({ keys: [{ raw: KEY_B }] });
  assert.ok(r.complete);
  assert.equal(r.generationsAfter, [r.generation]);
  assert.equal(db.info().generations, [r.generation]);
  assert.equal([...fileGenerations(vfs)], [r.generation], 'every WAL segment, manifest and table is re-sealed');
  for (const [k, v] of fill(db, 200, 'after')) model.set(k, v);
  assertData(db, model);
  db.close();
  assert.equal([...fileGenerations(vfs)], [r.generation]);
  assert.equal(readSuperblockInfo(vfs.readFile(HELIOS)).generations, [r.generation]);
  for (const k of [KEY_A, KEY_R, KEY_C]) throwsCode(() => open(vfs, { raw: k }), 'WRONG_KEY');

  const current = vfs.readFile(HELIOS);
  const header = current.slice(0, 32);
  for (const oldKey of [KEY_A, KEY_R]) {
    const got = unwrapByHand(oldHelios, oldKey)!;
    assert.ok(got !== null && got.deks !== null, 'the old HELIOS still opens with the old key (nothing can change a copy)');
    assert.is(unwrapByHand(current, oldKey), null, 'no slot of the current HELIOS opens with an old key');
    assert.is(keyringByHand(current, got.krk), null, 'the old root key does not open the current keyring');
    for (const g of got.deks!.keys()) assert.not.ok(fileGenerations(vfs).has(g), `no current file is sealed with old generation ${g}`);
    // Offline: try every old DEK as the key of the current generation.
    for (const dek of got.deks!.values()) {
      const attempt = readAs(withHelios(vfs, forgeHelios(header, new Map([[r.generation, dek]]))));
      assert.type(attempt, 'string', 'an old DEK must not decrypt the current files');
    }
  }
  // Control: the same procedure with the current key and HELIOS reads every row, so the failures above are real.
  const now = unwrapByHand(current, KEY_B)!;
  assert.equal(readAs(withHelios(vfs, forgeHelios(header, now.deks!))), model);
});

test('[CRY-REVOKE-5] changeKey, removeKey and rotateDataKey({ rewrite: true }) do not revoke: an old HELIOS with the old key reads current rows', () => {
  const vfs = newDb();
  const db = open(vfs, { raw: KEY_A }, { memtableBudgetBytes: 8 * 1024 });
  const model = fill(db, 200, 'before');
  db.addKey({ raw: KEY_R });
  const oldHelios = vfs.readFile(HELIOS);
  db.removeKey({ raw: KEY_R });
  db.changeKey({ raw: KEY_B });
  db.rotateDataKey({ rewrite: true });
  for (const [k, v] of fill(db, 100, 'after')) model.set(k, v);
  db.close();
  const current = vfs.readFile(HELIOS);
  for (const oldKey of [KEY_A, KEY_R]) {
    const krk = unwrapByHand(oldHelios, oldKey)!.krk;
    const deks = keyringByHand(current, krk);
    assert.ok(deks !== null, 'the unchanged root key opens the current keyring: what revokeKeys is for');
    assert.equal(readAs(withHelios(vfs, forgeHelios(current.slice(0, 32), deks!))), model);
  }
});

/** HELIOS bytes with `slot` (80 bytes) inserted as slot 0 and the length, count and CRC fixed. */
function spliceSlot(helios: Uint8Array, slot: Uint8Array): Uint8Array {
  const out = new Uint8Array(helios.length + 80);
  out.set(helios.subarray(0, 56), 0);
  out.set(slot, 56);
  out.set(helios.subarray(56), 136);
  out[36]! += 1;
  const dv = new DataView(out.buffer);
  dv.setUint32(32, out.length, false);
  dv.setUint32(out.length - 4, crc32c(out.subarray(0, out.length - 4)), false);
  return out;
}

test('[CRY-SB-9] an old 80-byte slot spliced into the current HELIOS does not open the database, after changeKey or after revokeKeys', () => {
  const vfs = newDb();
  let db = open(vfs, { raw: KEY_A });
  const model = fill(db, 30);
  const oldSlot = vfs.readFile(HELIOS).slice(56, 136);
  db.changeKey({ raw: KEY_B });
  db.close();
  const pristine = vfs.readFile(HELIOS);
  vfs.writeFileAtomic(HELIOS, spliceSlot(pristine, oldSlot));
  throwsCode(() => open(vfs, { raw: KEY_A }), 'CORRUPTION');
  vfs.writeFileAtomic(HELIOS, pristine);
  db = open(vfs, { raw: KEY_B });
  db.revokeKeys({ keys: [{ raw: KEY_B }] });
  db.close();
  const revoked = vfs.readFile(HELIOS);
  vfs.writeFileAtomic(HELIOS, spliceSlot(revoked, oldSlot));
  throwsCode(() => open(vfs, { raw: KEY_A }), 'WRONG_KEY');
  vfs.writeFileAtomic(HELIOS, revoked);
  db = open(vfs, { raw: KEY_B });
  assertData(db, model);
  db.close();
});

test('[CRY-REVOKE-1] revokeKeys keeps exactly the listed keys (passphrases too) and refuses bad calls', () => {
  const vfs = newDb();
  let db = open(vfs, { raw: KEY_A });
  const model = fill(db, 50);
  db.addKey({ raw: KEY_R });
  const helios = toHex(vfs.readFile(HELIOS));
  throwsCode(() => db.revokeKeys({ keys: [] }), 'CONFIG');
  throwsCode(() => db.revokeKeys({} as { keys: KeySourceOption[] }), 'CONFIG');
  throwsCode(() => db.revokeKeys({ keys: [{ raw: new Uint8Array(5) }] }), 'CONFIG');
  throwsCode(() => db.revokeKeys({ keys: [{} as KeySourceOption] }), 'INVALID_ARGUMENT');
  throwsCode(() => db.revokeKeys({ keys: Array.from({ length: 17 }, (_, i) => ({ raw: new Uint8Array(32).fill(i) })) }), 'CONFIG');
  throwsCode(() => db.revokeKeys({ keys: [{ raw: KEY_B }], onProgress: 5 as unknown as () => void }), 'INVALID_ARGUMENT');
  throwsCode(() => db.rotateDataKey({ rewrite: true, onProgress: 'x' as unknown as () => void }), 'INVALID_ARGUMENT');
  assert.is(toHex(vfs.readFile(HELIOS)), helios, 'a refused revocation writes nothing');
  const r = db.revokeKeys({ keys: [{ passphrase: 'new pass' }, { raw: KEY_R }], kdf: KDF });
  assert.is(r.generation, 2);
  assert.is(db.info().kdf, 'argon2id');
  assert.is(db.info().keySource, 'passphrase');
  db.changeKey({ raw: KEY_B }); // the handle counts as opened with keys[0]
  db.close();
  throwsCode(() => open(vfs, { raw: KEY_A }), 'WRONG_KEY');
  throwsCode(() => open(vfs, { passphrase: 'new pass' }), 'WRONG_KEY');
  for (const k of [KEY_R, KEY_B]) {
    db = open(vfs, { raw: k });
    assertData(db, model);
    db.close();
  }
  throwsCode(() => db.revokeKeys({ keys: [{ raw: KEY_B }] }), 'CLOSED');
  const plain = openEngine(DIR, { encryption: false, vfs: createMemVfs() });
  throwsCode(() => plain.revokeKeys({ keys: [{ raw: KEY_B }] }), 'CONFIG');
  plain.close();
});

test('[CRY-REVOKE-6] a table an open iterator reads keeps its generation: complete is false until rewriteAll after the close', () => {
  const vfs = newDb();
  const db = open(vfs, { raw: KEY_A }, { memtableBudgetBytes: 8 * 1024 });
  const model = fill(db, 300);
  const it = db.iterator();
  const r = db.revokeKeys({ keys: [{ raw: KEY_B }] });
  assert.is(r.complete, false);
  assert.equal(db.info().generations, [1, 2]);
  const seen = new Map<string, string>();
  while (it.next()) seen.set(utf8Decode(it.key()), utf8Decode(it.value()));
  it.close();
  assert.equal(seen, model);
  assert.equal(db.rewriteAll().dropped, [1]);
  assert.equal(db.info().generations, [2]);
  db.close();
});

test('[CRY-ROTATE-3] rotateDataKey writes a new manifest at once: no later edit is sealed with the old generation', () => {
  const vfs = newDb();
  const db = open(vfs, { raw: KEY_A }, { memtableBudgetBytes: 8 * 1024 });
  fill(db, 100);
  db.rotateDataKey();
  const manifest = `${DIR}/MANIFEST-${String(db.info().manifestFileNumber).padStart(6, '0')}`;
  assert.is(generationOf(vfs, manifest), 2);
  fill(db, 300, 'later');
  const now = `${DIR}/MANIFEST-${String(db.info().manifestFileNumber).padStart(6, '0')}`;
  assert.is(generationOf(vfs, now), 2);
  db.close();
});

test('[CRY-ZERO-2] the caller\'s key array is copied, never zeroed: the same Uint8Array or Buffer opens again after close', () => {
  for (const key of [new Uint8Array(KEY_A), Buffer.from(KEY_A)]) {
    const vfs = createMemVfs();
    const before = toHex(key);
    let db = openEngine(DIR, { key: { raw: key }, vfs });
    db.put(u('k'), u('v'));
    db.close();
    assert.is(toHex(key), before, 'unchanged after close');
    db = openEngine(DIR, { key: { raw: key }, vfs });
    assert.is(utf8Decode(db.get(u('k'))!), 'v');
    db.changeKey({ raw: key });
    db.addKey({ passphrase: Buffer.from('a passphrase') }, { kdf: KDF });
    db.close();
    assert.is(toHex(key), before, 'unchanged after changeKey and close');
    openEngine(DIR, { key: { raw: key }, vfs }).close();
  }
});

/** A version-1 HELIOS (spec/crypto.md [CRY-SB-11]) for the database in `vfs`, opened by `rawKey`, with the same DEKs. */
function versionOneHelios(vfs: MemVfs, rawKey: Uint8Array): Uint8Array {
  const v2 = vfs.readFile(HELIOS);
  const { keyring, info } = openSuperblock(v2, rawKeySecret(rawKey));
  const header = encodeSuperblockHeader('aes-256-gcm', false, info.databaseId, 1);
  const krk = new Uint8Array(32).fill(0x77);
  const salt = new Uint8Array(16).fill(0x78);
  const descriptor = encodeSlotDescriptor(SLOT_RAW, [0, 0, 0], salt);
  const kek = hkdfSha256(rawKey, salt, u('helios-kek'), 32);
  const wrapped = gcm(kek, new Uint8Array(12), new Uint8Array([...header, ...descriptor])).encrypt(krk);
  const generations = [...keyring.generations];
  const keyringSalt = new Uint8Array(16).fill(0x79);
  const prefix = encodeSuperblockPrefix({ header, rootId: new Uint8Array(0), slots: [{ descriptor, wrapped }], current: keyring.currentGeneration, generations, keyringSalt });
  const kk = hkdfSha256(krk, keyringSalt, u('helios-keyring'), 32);
  const plain = new Uint8Array(generations.flatMap((g) => [...keyring.dek(g)]));
  return finishSuperblock(prefix, gcm(kk, new Uint8Array(12), keyringAadOf(prefix)).encrypt(plain));
}

test('[CRY-SB-11] a database with a version-1 HELIOS opens and changes keys in version 1; revokeKeys upgrades it to version 2', () => {
  const vfs = newDb();
  let db = open(vfs, { raw: KEY_A }, { memtableBudgetBytes: 8 * 1024 });
  const model = fill(db, 200);
  db.close();
  vfs.writeFileAtomic(HELIOS, versionOneHelios(vfs, KEY_A));
  assert.is(readSuperblockInfo(vfs.readFile(HELIOS)).formatVersion, 1);
  db = open(vfs, { raw: KEY_A });
  assertData(db, model);
  db.changeKey({ raw: KEY_B });
  db.addKey({ raw: KEY_R });
  assert.is(readSuperblockInfo(vfs.readFile(HELIOS)).formatVersion, 1);
  db.close();
  throwsCode(() => open(vfs, { raw: KEY_A }), 'WRONG_KEY');
  db = open(vfs, { raw: KEY_R });
  const r = db.revokeKeys({ keys: [{ raw: KEY_C }] });
  assert.ok(r.complete);
  assert.is(readSuperblockInfo(vfs.readFile(HELIOS)).formatVersion, 2);
  db.close();
  for (const k of [KEY_A, KEY_B, KEY_R]) throwsCode(() => open(vfs, { raw: k }), 'WRONG_KEY');
  db = open(vfs, { raw: KEY_C });
  assertData(db, model);
  db.close();
});

test('[CRY-SB-10] a HELIOS longer than any valid superblock is CORRUPTION without being read', () => {
  const vfs = newDb();
  const db = open(vfs, { raw: KEY_A });
  vfs.writeFileAtomic(HELIOS, new Uint8Array(148_837));
  throwsCode(() => readSuperblockFile(vfs, HELIOS), 'CORRUPTION');
  throwsCode(() => db.addKey({ raw: KEY_R }), 'CORRUPTION');
  db.close();
});

// ---- crash at every Vfs operation ----------------------------------------------------------

type Op = 'changeKey' | 'addKey' | 'removeKey' | 'rotate' | 'rotate+rewrite' | 'revoke';

function crashCampaign(op: Op, processOnly: boolean): number {
  let points = 0;
  for (let k = 0; ; k++) {
    const vfs = newDb();
    let db = open(vfs, { raw: KEY_A }, { memtableBudgetBytes: 4 * 1024, compaction: { baseLevelBytes: 8 * 1024, targetFileBytes: 4 * 1024 } });
    const model = fill(db, 150);
    if (op === 'removeKey' || op === 'revoke') db.addKey({ raw: KEY_R });
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
      else if (op === 'revoke') db.revokeKeys({ keys: [{ raw: KEY_B }] });
      else db.rotateDataKey({ rewrite: true });
    } catch (e) {
      if (!isHeliosError(e, 'IO')) throw e;
      completed = false;
    }
    const faulted = vfs.faultsFired > fired;
    vfs.injectFault(null);
    vfs.crash(processOnly ? { processOnly: true } : {});
    const keys = op === 'changeKey' ? [KEY_A, KEY_B] : op === 'removeKey' ? [KEY_A, KEY_R] : op === 'revoke' ? [KEY_A, KEY_R, KEY_B] : [KEY_A];
    let opened = 0;
    const openedWith: string[] = [];
    for (const key of keys) {
      try {
        db = open(vfs, { raw: key });
      } catch (e) {
        if (isHeliosError(e, 'WRONG_KEY')) continue;
        throw new Error(`${op} crash before mutating op ${k}: reopen failed: ${String(e)}`);
      }
      opened++;
      openedWith.push(key === KEY_A ? 'A' : key === KEY_R ? 'R' : 'B');
      assertData(db, model);
      const gens = db.info().generations;
      if (op === 'revoke' && completed) {
        assert.equal(gens, [2]);
        assert.equal([...fileGenerations(vfs)], [2]);
      }
      if (op === 'rotate' && completed) assert.equal(gens, [1, 2]);
      if (op === 'rotate+rewrite' && completed) assert.equal(gens, [3]);
      db.close();
    }
    if (op === 'changeKey') assert.is(opened, 1, 'exactly one of old and new key opens');
    if (op === 'removeKey') assert.ok(opened >= 1);
    // [CRY-REVOKE-4]: the old key set (A and R) or the new one (B), never a mixture.
    if (op === 'revoke') assert.ok(['A,R', 'B'].includes(openedWith.join()), `opened with ${openedWith.join()}`);
    if (op === 'revoke' && completed) assert.equal(openedWith, ['B']);
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

for (const processOnly of [false, true]) {
  test(`[CRY-REVOKE-4] a ${processOnly ? 'process crash' : 'power loss'} at any Vfs operation of revokeKeys leaves the old keys or the new ones, and every commit`, () => {
    assert.ok(crashCampaign('revoke', processOnly) >= 2);
  });
}

test.run();
