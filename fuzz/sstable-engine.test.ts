// Flush and compaction inside the engine, model-based (issue 4): random puts,
// deletes, batches, snapshots, iterators held open across compactions, power
// losses with torn tails, process crashes and clean reopens, with a memtable
// of a few hundred bytes and compaction forced constantly (L0 trigger 2,
// levels of a few KiB, work sliced into a few entries per commit), so crash
// points fall inside flushes and compactions. After every crash the state is
// a prefix of the history holding every durable commit; every live snapshot
// reads exactly what the model says, by get, forward and reverse iteration
// [FMT-SST-COMPACT-1] [FMT-SST-COMPACT-2]. Power losses are also injected at
// the n-th mutating Vfs operation (create, append, sync, remove, rename,
// syncDir) from a random point, so they land between any two steps of a
// flush or compaction protocol.
//
// Replay a failure: npm test -- fuzz/sstable-engine --seed <seed>  (plus HELIOS_FUZZ_PATH=<path>)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { fuzzParams } from './budget.ts';
import { openEngine, createWriteBatch, type Engine, type EngineIterator, type SynchronousMode, type Snapshot } from '../engine/engine.ts';
import { createMemVfs, type MemVfs } from '../engine/vfs.ts';
import { utf8Decode, utf8Encode } from '../format/bytes.ts';

const KEY = new Uint8Array(32).fill(0x5b);

type Entry = readonly [key: string, value: string | null];
type Op =
  | { readonly t: 'write'; readonly entries: readonly Entry[] }
  | { readonly t: 'mode'; readonly mode: SynchronousMode }
  | { readonly t: 'snap' }
  | { readonly t: 'release' }
  | { readonly t: 'hold' }
  | { readonly t: 'check' }
  | { readonly t: 'crash'; readonly power: boolean; readonly tear: number }
  | { readonly t: 'fault'; readonly after: number; readonly tear: number }
  | { readonly t: 'reopen' };

const keyArb = fc.integer({ min: 0, max: 40 }).map((i) => `k${String(i).padStart(2, '0')}`);
const entryArb: fc.Arbitrary<Entry> = fc.tuple(keyArb, fc.option(fc.string({ minLength: 1, maxLength: 30 }), { freq: 3 })).map(([k, v]): Entry => [k, v]);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 12, arbitrary: entryArb.map((e) => ({ t: 'write' as const, entries: [e] })) },
  { weight: 4, arbitrary: fc.array(entryArb, { minLength: 1, maxLength: 8 }).map((entries) => ({ t: 'write' as const, entries })) },
  { weight: 1, arbitrary: fc.constantFrom<SynchronousMode>('full', 'normal', 'off').map((mode) => ({ t: 'mode' as const, mode })) },
  { weight: 2, arbitrary: fc.constant({ t: 'snap' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'release' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'hold' as const }) },
  { weight: 2, arbitrary: fc.constant({ t: 'check' as const }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('crash' as const), power: fc.boolean(), tear: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'reopen' as const }) },
  // Power loss at the after-th mutating Vfs operation from now (it fails with EIO, then the machine dies).
  { weight: 3, arbitrary: fc.record({ t: fc.constant('fault' as const), after: fc.nat(80), tear: fc.double({ min: 0, max: 1, noNaN: true }) }) },
);

function stateAt(history: readonly (readonly Entry[])[], n: number): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i < n; i++) for (const [k, v] of history[i]!) v === null ? m.delete(k) : m.set(k, v);
  return m;
}

const drain = (it: EngineIterator): [string, string][] => {
  const out: [string, string][] = [];
  while (it.next()) out.push([utf8Decode(it.key()), utf8Decode(it.value())]);
  it.close();
  return out;
};

function checkView(db: Engine, want: Map<string, string>, what: string, snapshot?: Snapshot): void {
  const sorted = [...want].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const o = snapshot ? { snapshot } : {};
  assert.equal(drain(db.iterator(o)), sorted, `${what}: forward scan`);
  assert.equal(drain(db.iterator({ ...o, reverse: true })), [...sorted].reverse(), `${what}: reverse scan`);
  for (let i = 0; i <= 40; i += 3) {
    const k = `k${String(i).padStart(2, '0')}`;
    const got = db.get(utf8Encode(k), o);
    assert.is(got === undefined ? undefined : utf8Decode(got), want.get(k), `${what}: get ${k}`);
  }
}

let flushes = 0;
let compactions = 0;
let crashes = 0;

function runScenario(ops: readonly Op[], initialMode: SynchronousMode, memtableBudgetBytes: number, stepEntries: number): void {
  const vfs: MemVfs = createMemVfs();
  let mode = initialMode;
  const open = (): Engine =>
    openEngine('db', {
      key: { raw: KEY },
      vfs,
      synchronous: mode,
      walSegmentBytes: 400,
      manifestRewriteBytes: 2048,
      memtableBudgetBytes,
      compactionStepEntries: stepEntries,
      compaction: { l0Trigger: 2, baseLevelBytes: 3000, sizeRatio: 2, targetFileBytes: 1500, levelCount: 4 },
    });
  let db = open();
  const history: (readonly Entry[])[] = [];
  let mustSurvivePower = 0;
  let mustSurviveProcess = 0;
  let snaps: { snap: Snapshot; n: number }[] = [];
  let held: { it: EngineIterator; want: [string, string][] } | null = null;
  const count = (): void => {
    const i = db.info();
    flushes += i.flushes;
    compactions += i.compactions;
  };

  let armed: { tear: number } | null = null;
  const crash = (power: boolean, tear: number): void => {
    if (held) assert.equal(drain(held.it), held.want, 'held iterator');
    held = null;
    try {
      count();
    } catch {
      // a failed handle still answers info(); nothing to count otherwise
    }
    vfs.injectFault(null);
    armed = null;
    if (power) vfs.crash({ keepUnsynced: (_p, n) => Math.floor(n * tear) });
    else vfs.crash({ processOnly: true });
    crashes++;
    db = open();
    snaps = [];
    const seq = db.info().lastSeqNum;
    let j = 0;
    let cum = 0;
    while (cum < seq && j < history.length) cum += history[j++]!.length;
    assert.is(cum, seq, `recovered lastSeqNum ${seq} is not at a commit boundary`);
    const lower = power ? mustSurvivePower : mustSurviveProcess;
    assert.ok(j >= lower, `recovered ${j} commits, but ${lower} were acknowledged as durable`);
    checkView(db, stateAt(history, j), `state after crash = first ${j} commits`);
    history.length = j;
    mustSurvivePower = mustSurviveProcess = j;
  };
  /** Runs `fn`; when an armed fault fired inside it, the machine loses power right there. Returns false then. */
  const maybeFault = (fn: () => void): boolean => {
    const fired = vfs.faultsFired;
    try {
      fn();
    } catch (e) {
      if (armed === null || vfs.faultsFired === fired) throw e;
    }
    if (armed !== null && (vfs.faultsFired !== fired || db.info().failure !== null)) {
      crash(true, armed.tear);
      return false;
    }
    return true;
  };

  for (const op of ops) {
    switch (op.t) {
      case 'write': {
        const b = createWriteBatch();
        for (const [k, v] of op.entries) v === null ? b.delete(utf8Encode(k)) : b.put(utf8Encode(k), utf8Encode(v));
        history.push(op.entries); // possibly committed even when write() throws: the prefix check decides
        const fired = vfs.faultsFired;
        let acked = false;
        try {
          db.write(b);
          acked = true;
        } catch (e) {
          if (armed === null || (vfs.faultsFired === fired && db.info().failure === null)) throw e;
        }
        if (acked) {
          if (mode !== 'off') mustSurviveProcess = history.length;
          if (mode === 'full') mustSurvivePower = history.length;
        }
        if (armed !== null && (vfs.faultsFired !== fired || db.info().failure !== null)) crash(true, armed.tear);
        break;
      }
      case 'fault':
        armed = { tear: op.tear };
        vfs.injectFault({ code: 'EIO', after: op.after });
        break;
      case 'mode':
        // Set first: a power loss inside setSynchronous reopens with `mode`,
        // and every later write must run in the mode the model assumes.
        mode = op.mode;
        if (!maybeFault(() => db.setSynchronous(op.mode))) break;
        mustSurviveProcess = history.length;
        if (op.mode === 'full') mustSurvivePower = history.length;
        break;
      case 'snap':
        snaps.push({ snap: db.snapshot(), n: history.length });
        break;
      case 'release':
        snaps.shift()?.snap.release();
        break;
      case 'hold':
        // An iterator opened now and drained later must see the state of now, whatever flushes and compactions ran.
        if (held) assert.equal(drain(held.it), held.want, 'held iterator');
        held = { it: db.iterator(), want: [...stateAt(history, history.length)].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)) };
        break;
      case 'check':
        checkView(db, stateAt(history, history.length), 'live state');
        for (const { snap, n } of snaps) checkView(db, stateAt(history, n), `snapshot at ${n}`, snap);
        break;
      case 'reopen':
        if (armed !== null) {
          // A reopen with a fault armed: the fault hits the close or the open; treat it as power loss there.
          crash(true, armed.tear);
          break;
        }
        if (held) assert.equal(drain(held.it), held.want, 'held iterator');
        held = null;
        count();
        db.close();
        db = open();
        snaps = [];
        mustSurvivePower = mustSurviveProcess = history.length;
        checkView(db, stateAt(history, history.length), 'after clean reopen');
        break;
      case 'crash':
        crash(op.power, op.tear);
        break;
    }
  }
  if (armed !== null) crash(true, armed.tear);
  if (held) assert.equal(drain(held.it), held.want, 'held iterator');
  count();
  db.close();
  db = open();
  checkView(db, stateAt(history, history.length), 'final reopen');
  const tables = db.info().tablesPerLevel.reduce((a, b) => a + b, 0);
  db.close();
  // Every table file on disk is one the manifest references: obsolete inputs and orphans are gone.
  assert.ok(vfs.list('db').filter((n) => n.endsWith('.sst')).length <= tables, 'unreferenced tables left behind');
}

test('[FMT-SST-COMPACT-1] [FMT-SST-COMPACT-2] with flushes and compactions constantly running, crashes lose nothing durable and every snapshot reads its model state', () => {
  fc.assert(
    fc.property(
      fc.array(opArb, { minLength: 30, maxLength: 160 }),
      fc.constantFrom<SynchronousMode>('full', 'normal', 'off'),
      fc.constantFrom(300, 800, 2000),
      fc.integer({ min: 1, max: 16 }),
      (ops, mode, budget, step) => runScenario(ops, mode, budget, step),
    ),
    { ...fuzzParams(120), reporter: (r) => { if (r.failed) throw new Error(`${r.counterexample ? JSON.stringify(r.counterexample) : ''}\nseed ${r.seed} path ${r.counterexamplePath}\n${r.errorInstance instanceof Error ? r.errorInstance.message : String(r.errorInstance)}`); } },
  );
  assert.ok(flushes > 100 && compactions > 20 && crashes > 100, `campaign too weak: ${flushes} flushes, ${compactions} compactions, ${crashes} crashes`);
});

test.run();
