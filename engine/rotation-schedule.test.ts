/**
 * Scheduled data-key rotation with a moved clock [CRY-ROTATE-8] [CRY-ROTATE-9]: the database
 * starts a new generation by itself once the current one is older than the interval (at open
 * or at a commit), re-seals older files in the commits' background slices and drops the old
 * generation once no file uses it; a crash (power loss at any Vfs operation) loses nothing.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { openEngine, type Engine, type EngineOptions } from './engine.ts';
import { createMemVfs, type MemVfs } from './vfs.ts';
import { utf8Decode, utf8Encode } from '../format/bytes.ts';
import { isHeliosError } from '../format/errors.ts';
import { fuzzParams } from '../fuzz/budget.ts';

const KEY = { raw: new Uint8Array(32).fill(7) };
const DAY = 24 * 60 * 60 * 1000;
const T0 = Date.UTC(2026, 0, 1);
const SMALL = { memtableBudgetBytes: 2048, compaction: { baseLevelBytes: 4096, targetFileBytes: 2048, l0Trigger: 2 } };

function clockAt(start: number): { now: number; fn: () => number } {
  const c = { now: start, fn: () => c.now };
  return c;
}

function open(vfs: MemVfs, clock: () => number, extra: Partial<EngineOptions> = {}): Engine {
  return openEngine('db', { key: KEY, vfs, clock, rotationIntervalDays: 90, ...SMALL, ...extra });
}

const k = (i: number): Uint8Array => utf8Encode(`k${String(i).padStart(5, '0')}`);
const v = (i: number, tag: string): Uint8Array => utf8Encode(`${tag}-${i}-${'x'.repeat(60)}`);

test('[CRY-ROTATE-8] a new database records the creation time of generation 1, and storageInfo-level info shows its age and the next rotation', () => {
  const vfs = createMemVfs();
  const c = clockAt(T0);
  const db = open(vfs, c.fn);
  const i = db.info();
  assert.equal(i.generationInfo, [{ generation: 1, createdAtMs: T0, tables: 0, tableBytes: 0 }]);
  assert.is(i.rotationIntervalDays, 90);
  assert.is(i.nextRotationAtMs, T0 + 90 * DAY);
  db.close();
  // The time is sealed in the manifest: a later open (without a schedule) still knows it.
  const again = openEngine('db', { key: KEY, vfs, clock: () => T0 + 5 * DAY });
  assert.is(again.info().generationInfo[0]!.createdAtMs, T0);
  assert.is(again.info().nextRotationAtMs, null);
  again.close();
});

test('[CRY-ROTATE-8] a commit after the interval starts generation 2; the one before it does not', () => {
  const vfs = createMemVfs();
  const c = clockAt(T0);
  const db = open(vfs, c.fn);
  c.now = T0 + 90 * DAY - 1;
  db.put(k(1), v(1, 'a'));
  assert.is(db.info().currentGeneration, 1);
  c.now = T0 + 90 * DAY;
  db.put(k(2), v(2, 'a'));
  const i = db.info();
  assert.is(i.currentGeneration, 2);
  assert.is(i.generationInfo.find((g) => g.generation === 2)!.createdAtMs, T0 + 90 * DAY);
  assert.is(i.nextRotationAtMs, T0 + 180 * DAY);
  db.close();
});

test('[CRY-ROTATE-8] an open after the interval rotates at once', () => {
  const vfs = createMemVfs();
  open(vfs, () => T0).close();
  const db = open(vfs, () => T0 + 91 * DAY);
  assert.is(db.info().currentGeneration, 2);
  db.close();
});

test('[CRY-ROTATE-9] after a scheduled rotation, later commits re-seal every older table in slices and the old generation is dropped; data unchanged', () => {
  const vfs = createMemVfs();
  const c = clockAt(T0);
  const db = open(vfs, c.fn);
  const model = new Map<string, string>();
  for (let i = 0; i < 400; i++) {
    db.put(k(i), v(i, 'a'));
    model.set(utf8Decode(k(i)), utf8Decode(v(i, 'a')));
  }
  const before = db.info();
  assert.ok(before.tablesPerLevel.reduce((a, b) => a + b, 0) > 1, 'several tables');
  c.now = T0 + 100 * DAY;
  db.put(k(0), v(0, 'b'));
  model.set(utf8Decode(k(0)), utf8Decode(v(0, 'b')));
  assert.is(db.info().currentGeneration, 2);
  assert.equal(db.info().generations, [1, 2]);
  // The commit that rotated did not re-seal: the old tables are still there.
  assert.ok(db.info().generationInfo.find((g) => g.generation === 1)!.tables > 0);
  const stallsBefore = db.info().stalls;
  let commits = 0;
  while (db.info().generations.length > 1 && commits < 2000) {
    const i = 1000 + (commits % 50);
    db.put(k(i), v(i, 'c'));
    model.set(utf8Decode(k(i)), utf8Decode(v(i, 'c')));
    commits++;
    // No commit does the whole re-seal: stalls never grow past the regular ones.
  }
  assert.equal(db.info().generations, [2], `dropped after ${commits} commits`);
  assert.ok(commits > 1, 'the re-seal took several commits');
  const stallsAfter = db.info().stalls;
  assert.is(stallsAfter.memtable + stallsAfter.l0, stallsBefore.memtable + stallsBefore.l0, 'no commit stalled for the re-seal');
  assert.ok(db.info().generationInfo.every((g) => g.generation === 2));
  for (const [key, value] of model) assert.is(utf8Decode(db.get(utf8Encode(key))!), value);
  db.close();
  const again = open(vfs, c.fn);
  assert.equal(again.info().generations, [2]);
  for (const [key, value] of model) assert.is(utf8Decode(again.get(utf8Encode(key))!), value);
  again.close();
});

test('[CRY-ROTATE-9] an open iterator keeps its old tables, and so their generation, live; after it closes the re-seal drops it', () => {
  const vfs = createMemVfs();
  const c = clockAt(T0);
  const db = open(vfs, c.fn);
  for (let i = 0; i < 200; i++) db.put(k(i), v(i, 'a'));
  const it = db.iterator();
  c.now = T0 + 91 * DAY;
  for (let i = 0; i < 600; i++) db.put(k(i % 100), v(i, 'b'));
  assert.ok(db.info().generations.includes(1), 'pinned by the iterator');
  let n = 0;
  while (it.next()) n++;
  assert.is(n, 200, 'the iterator reads its snapshot');
  it.close();
  for (let i = 0; i < 200 && db.info().generations.length > 1; i++) db.put(k(i % 100), v(i, 'c'));
  assert.equal(db.info().generations, [2]);
  db.close();
});

test('[CRY-ROTATE-8] a clock that does not return a time fails the open with INVALID_ARGUMENT, and a good clock opens the database afterwards', () => {
  const vfs = createMemVfs();
  assert.throws(() => open(vfs, () => Number.NaN), (e: unknown) => isHeliosError(e, 'INVALID_ARGUMENT'));
  assert.throws(() => openEngine('db2', { key: KEY, vfs, rotationIntervalDays: -1 }), (e: unknown) => isHeliosError(e, 'INVALID_ARGUMENT'));
  const db = open(vfs, () => T0);
  db.close();
});

test('[CRY-ROTATE-6] [CRY-ROTATE-9] a power loss at any Vfs operation during scheduled rotations and re-seals loses no acknowledged commit', () => {
  fc.assert(
    fc.property(fc.integer({ min: 20, max: 200 }), fc.nat(600), fc.integer({ min: 1, max: 30 }), (n, faultAfter, daysPerCommit) => {
      const vfs = createMemVfs();
      const c = clockAt(T0);
      let db = openEngine('db', { key: KEY, vfs, clock: c.fn, rotationIntervalDays: 20, ...SMALL });
      const model = new Map<string, string>();
      let inDoubt: [string, string] | null = null;
      vfs.injectFault({ code: 'EIO', after: faultAfter });
      try {
        for (let i = 0; i < n; i++) {
          c.now += daysPerCommit * DAY / 4;
          inDoubt = [utf8Decode(k(i % 60)), utf8Decode(v(i, 'p'))];
          db.put(k(i % 60), v(i, 'p'));
          model.set(inDoubt[0], inDoubt[1]);
          inDoubt = null;
        }
      } catch (e) {
        if (!isHeliosError(e, 'IO')) throw e;
      }
      vfs.injectFault(null);
      vfs.crash();
      db = openEngine('db', { key: KEY, vfs, clock: c.fn, rotationIntervalDays: 20, ...SMALL });
      for (const [key, value] of model) {
        const got = db.get(utf8Encode(key));
        if (inDoubt !== null && inDoubt[0] === key) continue;
        assert.ok(got !== undefined, `${key} lost`);
        assert.is(utf8Decode(got), value);
      }
      // The database keeps rotating and re-sealing after the crash.
      for (let i = 0; i < 50; i++) {
        c.now += DAY;
        db.put(k(i), v(i, 'after'));
      }
      db.close();
    }),
    fuzzParams(40),
  );
});

test.run();
