/**
 * Property campaign: random interleavings of commits, data-key rotations, forced rewrites, key
 * changes and open iterators, with a power loss at a random Vfs operation, never lose an
 * acknowledged commit, and the database always reopens with exactly one of the old and new
 * keys [CRY-ROTATE-6]. After a completed forced rewrite only the newest generation is live
 * [CRY-ROTATE-4]. Revocations (a new root and generation, one key kept) interleave too: after a
 * crash the old key or the kept one opens, never both [CRY-REVOKE-4], and a completed one leaves
 * one generation and no other key [CRY-REVOKE-2].
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { fuzzParams } from './budget.ts';
import { openEngine, type Engine } from '../engine/engine.ts';
import { createMemVfs, type MemVfs } from '../engine/vfs.ts';
import { isHeliosError } from '../format/errors.ts';
import { utf8Decode, utf8Encode } from '../format/bytes.ts';

const KEYS = [1, 2, 3].map((b) => new Uint8Array(32).fill(b));

type Step =
  | { t: 'put'; k: number; v: number }
  | { t: 'del'; k: number }
  | { t: 'rotate'; rewrite: boolean }
  | { t: 'rewrite' }
  | { t: 'changeKey'; to: number }
  | { t: 'revoke'; to: number }
  | { t: 'iter' };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ t: fc.constant('put' as const), k: fc.nat(80), v: fc.nat(1_000_000) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('del' as const), k: fc.nat(80) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('rotate' as const), rewrite: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('rewrite' as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('changeKey' as const), to: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('revoke' as const), to: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('iter' as const) }) },
);

const key = (k: number): Uint8Array => utf8Encode(`k${String(k).padStart(4, '0')}`);
const val = (v: number): Uint8Array => utf8Encode(`v${v}-${'p'.repeat(50)}`);

function openWith(vfs: MemVfs, i: number): Engine {
  return openEngine('db', { key: { raw: KEYS[i]! }, vfs, memtableBudgetBytes: 2048, compaction: { baseLevelBytes: 4096, targetFileBytes: 2048, l0Trigger: 2 } });
}

test('[CRY-ROTATE-6] [CRY-ROTATE-4] [CRY-REVOKE-4] [CRY-REVOKE-2] rotations, rewrites, key changes and revocations interleaved with commits survive a power loss at any Vfs operation', () => {
  fc.assert(
    fc.property(fc.array(step, { minLength: 5, maxLength: 60 }), fc.nat(400), (steps, faultAfter) => {
      const vfs = createMemVfs();
      let keyIndex = 0;
      let db = openWith(vfs, keyIndex);
      const model = new Map<string, string>();
      const iters: ReturnType<Engine['iterator']>[] = [];
      let pendingKey: number | null = null;
      /** The key of a put/delete that threw: it may or may not have reached the WAL. */
      let inDoubt: { k: string; v: string | undefined } | null = null;
      vfs.injectFault({ code: 'EIO', after: faultAfter });
      try {
        for (const s of steps) {
          if (s.t === 'put') {
            inDoubt = { k: utf8Decode(key(s.k)), v: utf8Decode(val(s.v)) };
            db.put(key(s.k), val(s.v));
            inDoubt = null;
            model.set(utf8Decode(key(s.k)), utf8Decode(val(s.v)));
          } else if (s.t === 'del') {
            inDoubt = { k: utf8Decode(key(s.k)), v: undefined };
            db.delete(key(s.k));
            inDoubt = null;
            model.delete(utf8Decode(key(s.k)));
          } else if (s.t === 'rotate') {
            db.rotateDataKey({ rewrite: s.rewrite });
            if (s.rewrite && iters.length === 0) assert.equal(db.info().generations, [db.info().currentGeneration]);
          } else if (s.t === 'rewrite') {
            const r = db.rewriteAll();
            if (iters.length === 0) assert.equal(r.generationsAfter, [db.info().currentGeneration]);
          } else if (s.t === 'changeKey') {
            pendingKey = s.to;
            db.changeKey({ raw: KEYS[s.to]! });
            keyIndex = s.to;
            pendingKey = null;
          } else if (s.t === 'revoke') {
            pendingKey = s.to;
            const r = db.revokeKeys({ keys: [{ raw: KEYS[s.to]! }] });
            keyIndex = s.to;
            pendingKey = null;
            if (iters.length === 0) {
              assert.ok(r.complete);
              assert.equal(db.info().generations, [r.generation]);
            }
          } else {
            const it = db.iterator();
            it.next();
            iters.push(it);
            if (iters.length > 2) iters.shift()!.close();
          }
        }
      } catch (e) {
        if (!isHeliosError(e, 'IO')) throw e;
      }
      vfs.injectFault(null);
      vfs.crash();
      const candidates = pendingKey === null ? [keyIndex] : [keyIndex, pendingKey];
      // Exactly one key opens (there is one slot at any time), and it is the old or the new one.
      const opens = KEYS.map((_, i) => {
        try {
          openWith(vfs, i).close();
          return true;
        } catch (e) {
          if (!isHeliosError(e, 'WRONG_KEY')) throw e;
          return false;
        }
      });
      assert.is(opens.filter(Boolean).length, 1, `keys that open: ${opens.map((o, i) => (o ? i : '')).join('')}`);
      const opener = opens.indexOf(true);
      assert.ok(candidates.includes(opener), 'the database opens with the old or the new key');
      const reopened = openWith(vfs, opener);
      db = reopened;
      const got = new Map<string, string>();
      const it = db.iterator();
      while (it.next()) got.set(utf8Decode(it.key()), utf8Decode(it.value()));
      it.close();
      // Every acknowledged commit is there (synchronous 'full'), nothing else: only the write
      // that threw may have landed or not.
      if (inDoubt !== null && got.get(inDoubt.k) === inDoubt.v) {
        if (inDoubt.v === undefined) model.delete(inDoubt.k);
        else model.set(inDoubt.k, inDoubt.v);
      }
      assert.equal(got, model);
      db.close();
    }),
    fuzzParams(40),
  );
});

test.run();
