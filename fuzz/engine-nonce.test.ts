// Nonce uniqueness (issue 3, DESIGN "Sealing every byte"): across random
// workloads with WAL segment rotations, manifest rewrites, power losses,
// process crashes and reopenings, no (file key, nonce index) pair is ever
// sealed twice [FMT-REC-3]. Instrumented through crypto's setSealAudit.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { fuzzParams } from './budget.ts';
import { openEngine, type Engine, type SynchronousMode } from '../engine/engine.ts';
import { createMemVfs } from '../engine/vfs.ts';
import { createSealer, setSealAudit } from '../crypto/cipher-suite.ts';
import { utf8Encode } from '../format/bytes.ts';

const KEY = new Uint8Array(32).fill(0x33);

type Op =
  | { readonly t: 'put'; readonly k: number; readonly size: number }
  | { readonly t: 'mode'; readonly mode: SynchronousMode }
  | { readonly t: 'crash'; readonly power: boolean; readonly tear: number }
  | { readonly t: 'reopen' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ t: fc.constant('put' as const), k: fc.nat(50), size: fc.nat(200) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('mode' as const), mode: fc.constantFrom<SynchronousMode>('full', 'normal', 'off') }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('crash' as const), power: fc.boolean(), tear: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'reopen' as const }) },
);

test('the audit hook sees a repeated (key, nonce) pair (the instrument works)', () => {
  const seen: string[] = [];
  setSealAudit((fp, index) => seen.push(`${fp}:${index}`));
  try {
    const s = createSealer('aes-256-gcm', new Uint8Array(32).fill(1));
    s.seal(7, new Uint8Array(4), new Uint8Array(0));
    s.seal(7, new Uint8Array(4), new Uint8Array(0));
    s.destroy();
  } finally {
    setSealAudit(null);
  }
  assert.is(seen.length, 2);
  assert.is(seen[0], seen[1]);
});

test('[FMT-REC-3] no (file key, nonce) pair is sealed twice across rotations, crashes and reopenings', () => {
  let totalSeals = 0;
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 10, maxLength: 120 }), fc.constantFrom(200, 600, 4096), (ops, seg) => {
      const used = new Set<string>();
      let duplicate: string | null = null;
      setSealAudit((fp, index) => {
        const id = `${fp}:${index}`;
        if (used.has(id)) duplicate ??= id;
        used.add(id);
      });
      try {
        const vfs = createMemVfs();
        let mode: SynchronousMode = 'normal';
        const open = (): Engine => openEngine('db', { key: { raw: KEY }, vfs, synchronous: mode, walSegmentBytes: seg, manifestRewriteBytes: 300 });
        let db = open();
        for (const op of ops) {
          if (op.t === 'put') db.put(utf8Encode(`key-${op.k}`), new Uint8Array(op.size).fill(op.k));
          else if (op.t === 'mode') db.setSynchronous((mode = op.mode));
          else if (op.t === 'reopen') {
            db.close();
            db = open();
          } else {
            vfs.crash(op.power ? { keepUnsynced: (_p, n) => Math.floor(n * op.tear) } : { processOnly: true });
            db = open();
          }
        }
        db.close();
      } finally {
        setSealAudit(null);
      }
      totalSeals += used.size;
      assert.is(duplicate, null, `(key, nonce) ${duplicate} sealed twice`);
    }),
    fuzzParams(120),
  );
  assert.ok(totalSeals > 1000, `only ${totalSeals} seals audited`);
});

test.run();
