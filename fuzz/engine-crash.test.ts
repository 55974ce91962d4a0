// Crash recovery, model-based (issue 3): random puts, deletes, batches,
// synchronous-mode switches, snapshots, power losses (with torn tails),
// process crashes and clean reopens against a Map model. After every crash
// the recovered state must equal a PREFIX of the committed history that
// contains every commit acknowledged as durable under the mode in use
// [ENG-SYNC-1] [ENG-REC-1]. The prefix is identified by the recovered
// lastSeqNum (sequence numbers count entries), then compared exactly.
//
// Replay a failure: npm test -- fuzz/engine-crash --seed <seed>  (plus HELIOS_FUZZ_PATH=<path>)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { fuzzParams } from './budget.ts';
import { openEngine, createWriteBatch, type Engine, type SynchronousMode, type Snapshot } from '../engine/engine.ts';
import { createMemVfs, type MemVfs } from '../engine/vfs.ts';
import { utf8Decode, utf8Encode } from '../format/bytes.ts';

const KEY = new Uint8Array(32).fill(0x5a);

type Entry = readonly [key: string, value: string | null];
type Op =
  | { readonly t: 'write'; readonly entries: readonly Entry[] }
  | { readonly t: 'mode'; readonly mode: SynchronousMode }
  | { readonly t: 'snap' }
  | { readonly t: 'check' }
  | { readonly t: 'crash'; readonly power: boolean; readonly tear: number }
  | { readonly t: 'reopen' };

const keyArb = fc.integer({ min: 0, max: 24 }).map((i) => `k${String(i).padStart(2, '0')}`);
const entryArb: fc.Arbitrary<Entry> = fc.tuple(keyArb, fc.option(fc.string({ maxLength: 40 }), { freq: 4 })).map(([k, v]): Entry => [k, v]);
const modeArb = fc.constantFrom<SynchronousMode>('full', 'normal', 'off');
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: entryArb.map((e) => ({ t: 'write' as const, entries: [e] })) },
  { weight: 3, arbitrary: fc.array(entryArb, { minLength: 1, maxLength: 6 }).map((entries) => ({ t: 'write' as const, entries })) },
  { weight: 2, arbitrary: modeArb.map((mode) => ({ t: 'mode' as const, mode })) },
  { weight: 1, arbitrary: fc.constant({ t: 'snap' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'check' as const }) },
  { weight: 5, arbitrary: fc.record({ t: fc.constant('crash' as const), power: fc.boolean(), tear: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'reopen' as const }) },
);

function stateAt(history: readonly (readonly Entry[])[], n: number): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i < n; i++) for (const [k, v] of history[i]!) v === null ? m.delete(k) : m.set(k, v);
  return m;
}

function scan(db: Engine, snapshot?: Snapshot): Map<string, string> {
  const it = db.iterator(snapshot ? { snapshot } : {});
  const m = new Map<string, string>();
  while (it.next()) m.set(utf8Decode(it.key()), utf8Decode(it.value()));
  it.close();
  return m;
}

function sameMap(actual: Map<string, string>, expected: Map<string, string>, what: string): void {
  assert.equal(Object.fromEntries([...actual].sort()), Object.fromEntries([...expected].sort()), what);
}

let crashCycles = 0;

function runScenario(ops: readonly Op[], initialMode: SynchronousMode, walSegmentBytes: number): void {
  const vfs: MemVfs = createMemVfs();
  let mode = initialMode;
  const open = (): Engine => openEngine('db', { key: { raw: KEY }, vfs, synchronous: mode, walSegmentBytes, manifestRewriteBytes: 512 });
  let db = open();
  const history: (readonly Entry[])[] = [];
  /** Commits that must survive a power loss / a process crash. */
  let mustSurvivePower = 0;
  let mustSurviveProcess = 0;
  let snaps: { snap: Snapshot; n: number }[] = [];

  for (const op of ops) {
    switch (op.t) {
      case 'write': {
        const b = createWriteBatch();
        for (const [k, v] of op.entries) v === null ? b.delete(utf8Encode(k)) : b.put(utf8Encode(k), utf8Encode(v));
        db.write(b);
        history.push(op.entries);
        if (mode !== 'off') mustSurviveProcess = history.length;
        if (mode === 'full') mustSurvivePower = history.length;
        break;
      }
      case 'mode':
        db.setSynchronous(op.mode);
        mode = op.mode;
        mustSurviveProcess = history.length; // switching flushes the buffer ...
        if (op.mode === 'full') mustSurvivePower = history.length; // ... and syncs when switching to full
        break;
      case 'snap':
        snaps.push({ snap: db.snapshot(), n: history.length });
        break;
      case 'check':
        sameMap(scan(db), stateAt(history, history.length), 'live state');
        for (const { snap, n } of snaps) sameMap(scan(db, snap), stateAt(history, n), `snapshot at ${n}`);
        break;
      case 'reopen':
        db.close();
        db = open();
        snaps = [];
        mustSurvivePower = mustSurviveProcess = history.length;
        sameMap(scan(db), stateAt(history, history.length), 'after clean reopen');
        break;
      case 'crash': {
        if (op.power) vfs.crash({ keepUnsynced: (_p, n) => Math.floor(n * op.tear) });
        else vfs.crash({ processOnly: true });
        crashCycles++;
        db = open();
        snaps = [];
        const seq = db.info().lastSeqNum;
        let j = 0;
        let cum = 0;
        while (cum < seq && j < history.length) cum += history[j++]!.length;
        assert.is(cum, seq, `recovered lastSeqNum ${seq} is not at a commit boundary`);
        const lower = op.power ? mustSurvivePower : mustSurviveProcess;
        assert.ok(j >= lower, `recovered ${j} commits, but ${lower} were acknowledged as durable (${op.power ? 'power loss' : 'process crash'})`);
        sameMap(scan(db), stateAt(history, j), `state after crash = first ${j} commits`);
        history.length = j;
        mustSurvivePower = mustSurviveProcess = j;
        break;
      }
    }
  }
  db.close();
  db = open();
  sameMap(scan(db), stateAt(history, history.length), 'final reopen');
  db.close();
}

test('[ENG-REC-1] [ENG-SYNC-1] after every crash the state is a prefix of the history holding every durable commit', () => {
  fc.assert(
    fc.property(
      fc.array(opArb, { minLength: 20, maxLength: 80 }),
      modeArb,
      fc.constantFrom(200, 1000, 1 << 20),
      (ops, mode, seg) => runScenario(ops, mode, seg),
    ),
    fuzzParams(300),
  );
  const env = process.env;
  if (!env.HELIOS_FUZZ_RUNS && !env.HELIOS_FUZZ_MINUTES && !env.HELIOS_FUZZ_PATH) {
    assert.ok(crashCycles >= 2000, `only ${crashCycles} crash cycles ran`);
  }
  console.log(`crash cycles: ${crashCycles}`);
});

test.run();
