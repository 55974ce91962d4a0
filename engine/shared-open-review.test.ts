/**
 * What an adversarial review of handles sharing one open engine found (engine/shared-open.ts,
 * spec/format.md ENG-SHARE-1..5); each test failed before its fix.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { openEngine } from './engine.ts';
import { utf8Decode, utf8Encode } from '../format/bytes.ts';
import { throwsCode } from '../format/test-support.ts';

const KEY = new Uint8Array(32).map((_, i) => i + 11);
const u = (t: string): Uint8Array => utf8Encode(t);
const s = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : utf8Decode(b));

/** In a worker (another realm) this file only tries the open it is given and reports its outcome. */
if (!isMainThread) {
  const { path } = workerData as { path: string };
  let outcome = 'ok';
  try {
    openEngine(path, { key: { raw: KEY } }).close();
  } catch (e) {
    outcome = (e as { code?: string }).code ?? String(e);
  }
  parentPort!.postMessage(outcome);
}

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'helios-share-review-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('[ENG-SHARE-1] closing one shared handle closes its iterators and releases its snapshots, as a lone handle\'s close does', () => {
  withDir((dir) => {
    const path = join(dir, 'db');
    const a = openEngine(path, { key: { raw: KEY } });
    a.put(u('k1'), u('v1'));
    const b = openEngine(path, { key: { raw: KEY } });
    a.snapshot();
    const it = a.iterator();
    assert.is(b.info().liveSnapshots, 1);
    a.close();
    const pinned = b.info().liveSnapshots;
    let afterClose: string;
    try {
      afterClose = `next() = ${String(it.next())}`;
    } catch (e) {
      afterClose = (e as { code?: string }).code ?? String(e);
    }
    b.close();
    assert.is(afterClose, 'CLOSED', "the closed handle's iterator reads on (a lone handle's is CLOSED)");
    assert.is(pinned, 0, "the closed handle's snapshot keeps its versions from compaction until the last handle closes");
  });
});

test('[ENG-SHARE-5] a later open may name sizes and the default synchronous mode explicitly', () => {
  withDir((dir) => {
    const path = join(dir, 'db');
    const a = openEngine(path, { key: { raw: KEY } });
    let code = 'ok';
    try {
      // 8 MiB is the block cache the first open runs with; `synchronous: 'full'` (also the default) is accepted.
      openEngine(path, { key: { raw: KEY }, synchronous: 'full' }).close();
      openEngine(path, { key: { raw: KEY }, blockCacheBytes: 8 * 1024 * 1024 }).close();
    } catch (e) {
      code = (e as { code?: string }).code ?? String(e);
    } finally {
      a.close();
    }
    assert.is(code, 'ok');
  });
});

test('[ENG-SHARE-1] any path to the directory shares it; a handle opened after the first closed still shares the open engine', () => {
  withDir((dir) => {
    const path = join(dir, 'db');
    const a = openEngine(path, { key: { raw: KEY } });
    symlinkSync(path, join(dir, 'alias'));
    const b = openEngine(join(dir, 'alias'), { key: { raw: KEY } });
    const c = openEngine(`${path}/`, { key: { raw: KEY } });
    assert.is(a.openHandles(), 3);
    a.put(u('k'), u('1'));
    a.close();
    const d = openEngine(join(dir, '.', 'db'), { key: { raw: KEY } });
    assert.is(d.openHandles(), 3);
    assert.is(s(d.get(u('k'))), '1');
    b.close();
    c.close();
    d.put(u('k'), u('2'));
    d.close();
    const e = openEngine(path, { key: { raw: KEY } });
    assert.is(e.openHandles(), 1);
    assert.is(s(e.get(u('k'))), '2');
    e.close();
  });
});

test('[ENG-SHARE-3] [ENG-SHARE-4] a readonly handle writes nothing and still counts against key changes', () => {
  withDir((dir) => {
    const path = join(dir, 'db');
    const a = openEngine(path, { key: { raw: KEY } });
    const r = openEngine(path, { key: { raw: KEY }, readonly: true });
    throwsCode(() => r.put(u('k'), u('v')), 'READONLY');
    throwsCode(() => r.compactAll(), 'READONLY');
    throwsCode(() => a.changeKey({ passphrase: 'other' }), 'CONFIG');
    throwsCode(() => a.rotateDataKey(), 'CONFIG');
    a.put(u('k'), u('v'));
    assert.is(s(r.get(u('k'))), 'v');
    r.close();
    a.rotateDataKey();
    a.close();
  });
});

test('[ENG-LOCK-1] a worker thread (another realm) still gets LOCKED while this realm shares the database', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'helios-share-review-'));
  try {
    const path = join(dir, 'db');
    const a = openEngine(path, { key: { raw: KEY } });
    const b = openEngine(path, { key: { raw: KEY } });
    const worker = new Worker(new URL(import.meta.url), { workerData: { path } });
    const outcome = await new Promise<unknown>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    assert.is(outcome, 'LOCKED');
    a.close();
    b.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

if (isMainThread) test.run();
