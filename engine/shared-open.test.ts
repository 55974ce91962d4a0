/**
 * Handles sharing one open database in this realm (engine/shared-open.ts, spec/format.md
 * [ENG-SHARE-1..5]): on the real file system, with real keys and the audit log.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEngine } from './engine.ts';
import { createNodeVfs } from './node-vfs.ts';
import { utf8Decode, utf8Encode } from '../format/bytes.ts';
import { throwsCode } from '../format/test-support.ts';

const KEY = new Uint8Array(32).map((_, i) => i + 7);
const OTHER = new Uint8Array(32).fill(0x42);
const u = (t: string): Uint8Array => utf8Encode(t);
const s = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : utf8Decode(b));

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'helios-share-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('[ENG-SHARE-1] a second open in this realm shares the database: writes of one are reads of the other, LOCK held until the last close', () => {
  withDir((dir) => {
    const path = join(dir, 'db');
    const a = openEngine(path, { key: { raw: KEY } });
    const b = openEngine(path, { key: { raw: KEY } });
    assert.is(a.openHandles(), 2);
    assert.is(b.info().openHandles, 2);
    assert.is(a.shareKey, b.shareKey);
    a.put(u('k'), u('from a'));
    assert.is(s(b.get(u('k'))), 'from a');
    b.put(u('k'), u('from b'));
    assert.is(s(a.get(u('k'))), 'from b');
    assert.is(a.lastSeqNum(), b.lastSeqNum());
    a.close();
    throwsCode(() => a.get(u('k')), 'CLOSED');
    assert.is(s(b.get(u('k'))), 'from b', 'the other handle goes on after one closes');
    assert.ok(existsSync(join(path, 'LOCK')));
    b.close();
    assert.not.ok(existsSync(join(path, 'LOCK')));
    const c = openEngine(path, { key: { raw: KEY } });
    assert.is(s(c.get(u('k'))), 'from b');
    assert.is(c.openHandles(), 1);
    c.close();
  });
});

test('[ENG-SHARE-2] a second open needs a key that opens HELIOS as it is now: a wrong key is WRONG_KEY, and the audit log records it', () => {
  withDir((dir) => {
    const path = join(dir, 'db');
    const log = join(dir, 'audit.log');
    const a = openEngine(path, { key: { raw: KEY }, audit: { path: log } });
    throwsCode(() => openEngine(path, { key: { raw: OTHER } }), 'WRONG_KEY');
    throwsCode(() => openEngine(path, {}), 'CONFIG');
    throwsCode(() => openEngine(path, { encryption: false }), 'CONFIG');
    assert.is(a.openHandles(), 1, 'no handle is left behind by a refused open');
    const b = openEngine(path, { key: { raw: KEY } });
    b.close();
    a.close();
    const ops = readFileSync(log, 'latin1').split('\n').filter((l) => l !== '').map((l) => `${l.split('\t')[4]} ${l.split('\t')[5]}`);
    assert.equal(ops, ['open ok', 'open wrong-key', 'open no-key', 'open no-key', 'open ok', 'close ok', 'close ok']);
    const v = openEngine(path, { key: { raw: KEY }, audit: { path: log } });
    const r = v.verifyAuditLog();
    assert.ok(r.ok, JSON.stringify(r));
    v.close();
  });
});

test('[ENG-SHARE-2] a key added by one handle opens a second; once it is removed (alone), it opens nothing', () => {
  withDir((dir) => {
    const path = join(dir, 'db');
    const a = openEngine(path, { key: { raw: KEY } });
    a.addKey({ raw: OTHER });
    const b = openEngine(path, { key: { raw: OTHER } });
    assert.is(b.info().keySource, 'raw');
    b.close();
    a.removeKey({ raw: OTHER });
    throwsCode(() => openEngine(path, { key: { raw: OTHER } }), 'WRONG_KEY');
    a.close();
  });
});

test('[ENG-SHARE-3] key changes need the database to itself', () => {
  withDir((dir) => {
    const path = join(dir, 'db');
    const a = openEngine(path, { key: { raw: KEY } });
    const b = openEngine(path, { key: { raw: KEY } });
    throwsCode(() => a.changeKey({ raw: OTHER }), 'CONFIG');
    throwsCode(() => b.addKey({ raw: OTHER }), 'CONFIG');
    throwsCode(() => a.removeKey({ raw: KEY }), 'CONFIG');
    throwsCode(() => b.rotateDataKey(), 'CONFIG');
    throwsCode(() => a.rewriteAll(), 'CONFIG');
    throwsCode(() => a.revokeKeys({ keys: [{ raw: OTHER }] }), 'CONFIG');
    b.close();
    a.changeKey({ raw: OTHER });
    throwsCode(() => openEngine(path, { key: { raw: KEY } }), 'WRONG_KEY');
    const c = openEngine(path, { key: { raw: OTHER } });
    c.close();
    a.close();
  });
});

test('[ENG-SHARE-4] a readonly handle on a shared database reads the newest data and writes nothing', () => {
  withDir((dir) => {
    const path = join(dir, 'db');
    const a = openEngine(path, { encryption: false });
    a.put(u('x'), u('1'));
    const r = openEngine(path, { encryption: false, readonly: true });
    assert.is(s(r.get(u('x'))), '1');
    throwsCode(() => r.put(u('y'), u('2')), 'READONLY');
    throwsCode(() => r.compactAll(), 'READONLY');
    a.put(u('x'), u('2'));
    assert.is(s(r.get(u('x'))), '2');
    r.close();
    a.close();
  });
});

test('[ENG-SHARE-5] security options of a later handle must match the open engine\'s; sizes are the engine\'s; synchronous is each handle\'s', () => {
  withDir((dir) => {
    const path = join(dir, 'db');
    const log = join(dir, 'audit.log');
    const a = openEngine(path, { encryption: false, synchronous: 'normal' });
    throwsCode(() => openEngine(path, { encryption: false, audit: { path: log } }), 'CONFIG');
    throwsCode(() => openEngine(path, { encryption: false, rotationIntervalDays: 30 }), 'CONFIG');
    throwsCode(() => openEngine(path, { encryption: false, fips: true }), 'CONFIG');
    throwsCode(() => openEngine(path, { encryption: false, clock: () => 0 }), 'CONFIG');
    const sized = openEngine(path, { encryption: false, blockCacheBytes: 1 << 20, memtableBudgetBytes: 1 << 20 });
    const full = openEngine(path, { encryption: false, synchronous: 'full' });
    assert.is(a.openHandles(), 3);
    assert.is(full.info().synchronous, 'full');
    assert.is(a.info().synchronous, 'normal', 'each handle keeps its own durability');
    full.setSynchronous('off');
    assert.is(a.info().synchronous, 'normal');
    assert.is(full.info().synchronous, 'off');
    full.put(u('x'), u('1'));
    assert.is(s(a.get(u('x'))), '1');
    sized.close();
    full.close();
    a.close();
    assert.not.ok(existsSync(log));
    const again = openEngine(path, { encryption: false });
    assert.is(s(again.get(u('x'))), '1', "an 'off' handle's commit is made durable when it closes");
    again.close();
  });
});

test('[ENG-SHARE-1] an explicit Vfs or a readonly first open is never shared', () => {
  withDir((dir) => {
    const path = join(dir, 'db');
    const a = openEngine(path, { encryption: false });
    a.put(u('x'), u('1'));
    throwsCode(() => openEngine(path, { encryption: false, vfs: createNodeVfs() }), 'LOCKED');
    a.close();
    const ro = openEngine(path, { encryption: false, readonly: true });
    const w = openEngine(path, { encryption: false });
    assert.is(w.openHandles(), 1, 'a readonly engine opened first takes no part in sharing');
    assert.is(ro.openHandles(), 1);
    w.close();
    ro.close();
  });
});

test('[ENG-SHARE-1] a directory is shared only while it holds the LOCK file its engine took', () => {
  withDir((dir) => {
    const path = join(dir, 'db');
    const a = openEngine(path, { encryption: false });
    // The LOCK removed by hand (as a directory deleted while open and another reusing its inode
    // would look): a later open does not take this engine for that directory's; it meets the lock rules.
    rmSync(join(path, 'LOCK'));
    throwsCode(() => openEngine(path, { encryption: false }), 'LOCKED');
    assert.is(a.openHandles(), 1);
    a.close();
    const b = openEngine(path, { encryption: false });
    const c = openEngine(path, { encryption: false });
    assert.is(b.openHandles(), 2, 'a fresh open shares again');
    c.close();
    b.close();
  });
});

test.run();
