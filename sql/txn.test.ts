/**
 * The transaction overlay against a simple model (a Map of committed data
 * plus the transaction's writes): reads, ordered scans (forward and reverse,
 * merged with the engine), marks rolled back and released, commit as one
 * batch. Deterministic pseudo-random operation sequences, seed printed on failure.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openEngine } from '../engine/engine.ts';
import { createMemVfs } from '../engine/mem-vfs.ts';
import { compareBytes } from '../format/bytes.ts';
import { Overlay, binToBytes, bytesToBin } from './txn.ts';
import { seededRandom as rng } from '../format/test-support.ts';

const key = (n: number): Uint8Array => new Uint8Array([n >> 8, n & 255, n % 3]);
const val = (n: number): Uint8Array => new Uint8Array([n & 255, (n >> 8) & 255]);
const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

test('binary strings order exactly like the bytes and round-trip', () => {
  const r = rng(7);
  for (let i = 0; i < 2000; i++) {
    const a = new Uint8Array(Math.floor(r() * 20)).map(() => Math.floor(r() * 256));
    const b = new Uint8Array(Math.floor(r() * 20)).map(() => Math.floor(r() * 256));
    assert.equal([...binToBytes(bytesToBin(a))], [...a]);
    const byteOrder = Math.sign(compareBytes(a, b));
    const strOrder = bytesToBin(a) < bytesToBin(b) ? -1 : bytesToBin(a) > bytesToBin(b) ? 1 : 0;
    assert.is(strOrder, byteOrder);
  }
});

for (const seed of [1, 2, 3, 42, 1234]) {
  test(`overlay matches the model for random puts, deletes, marks, scans and commits (seed ${seed})`, () => {
    const engine = openEngine('/db', { encryption: false, vfs: createMemVfs(), synchronous: 'off' });
    const r = rng(seed);
    let committed = new Map<string, Uint8Array>();
    let ov = new Overlay(engine);
    let model = new Map(committed);
    const marks: { mark: number; snapshot: Map<string, Uint8Array> }[] = [];
    try {
      for (let step = 0; step < 3000; step++) {
        const op = r();
        const k = key(Math.floor(r() * 300));
        if (op < 0.35) {
          // Values carved by alloc() from the shared slab, large ones, plain arrays, and views read back.
          const pick = r();
          let v: Uint8Array;
          if (pick < 0.4) {
            const src = val(step);
            v = ov.alloc(src.length + (step % 5));
            v.set(src);
            v.fill(step & 255, src.length);
          } else if (pick < 0.45) v = ov.alloc(17000).fill(step & 255);
          else if (pick < 0.55) v = ov.get(key(Math.floor(r() * 300))) ?? val(step);
          else v = val(step);
          ov.put(k, v);
          model.set(hex(k), v.slice());
        } else if (op < 0.5) {
          ov.delete(k);
          model.delete(hex(k));
        } else if (op < 0.6) {
          const got = ov.get(k);
          const want = model.get(hex(k));
          assert.equal(got === undefined ? undefined : hex(got), want === undefined ? undefined : hex(want), `get at step ${step}`);
        } else if (op < 0.7) {
          const a = Math.floor(r() * 300);
          const b = a + Math.floor(r() * 100);
          const reverse = r() < 0.5;
          const cur = ov.scan(key(a), key(b), reverse);
          const got: string[] = [];
          while (cur.next()) got.push(`${hex(cur.key())}=${hex(cur.value())}`);
          cur.close();
          const lo = hex(key(a));
          const hi = hex(key(b));
          const want = [...model.entries()].filter(([kk]) => kk >= lo && kk < hi).sort(([x], [y]) => (x < y ? -1 : 1)).map(([kk, v]) => `${kk}=${hex(v)}`);
          if (reverse) want.reverse();
          assert.equal(got, want, `scan at step ${step}`);
        } else if (op < 0.76) {
          marks.push({ mark: ov.mark(), snapshot: new Map(model) });
        } else if (op < 0.82 && marks.length > 0) {
          const m = marks.pop()!;
          ov.rollbackTo(m.mark);
          ov.release();
          model = m.snapshot;
        } else if (op < 0.88 && marks.length > 0) {
          marks.pop();
          ov.release();
        } else if (op < 0.9) {
          ov.commit();
          committed = new Map(model);
          marks.length = 0;
        } else if (op < 0.91) {
          ov.clear();
          model = new Map(committed);
          marks.length = 0;
          ov = new Overlay(engine);
        }
      }
    } catch (e) {
      console.error(`overlay model test failed with seed ${seed}`);
      throw e;
    } finally {
      engine.close();
    }
  });
}

test('keys buffered in ascending runs and then anywhere scan in byte order (bulk append, chunk splits, rollback of unsorted keys)', () => {
  const engine = openEngine('/db', { encryption: false, vfs: createMemVfs(), synchronous: 'off' });
  try {
    const ov = new Overlay(engine);
    const k2 = (n: number): Uint8Array => new Uint8Array([n >> 16, (n >> 8) & 255, n & 255]);
    const model = new Map<string, string>();
    const scanAll = (): string[] => {
      const cur = ov.scan(new Uint8Array([0]), new Uint8Array([255]));
      const out: string[] = [];
      while (cur.next()) out.push(`${hex(cur.key())}=${hex(cur.value())}`);
      cur.close();
      return out;
    };
    const want = (): string[] => [...model.entries()].sort(([x], [y]) => (x < y ? -1 : 1)).map(([k, v]) => `${k}=${v}`);
    // An ascending run (fills whole chunks), then a second run past it, then keys anywhere.
    for (let i = 0; i < 3000; i++) ov.put(k2(1000 + 2 * i), val(i)), model.set(hex(k2(1000 + 2 * i)), hex(val(i)));
    assert.equal(scanAll(), want());
    for (let i = 0; i < 700; i++) ov.put(k2(9000 + i), val(i)), model.set(hex(k2(9000 + i)), hex(val(i)));
    const r = rng(99);
    for (let i = 0; i < 2500; i++) {
      const n = Math.floor(r() * 12000);
      ov.put(k2(n), val(n + 1));
      model.set(hex(k2(n)), hex(val(n + 1)));
    }
    assert.equal(scanAll(), want());
    // Keys added after a mark are still unsorted when the mark is rolled back.
    const before = new Map(model);
    const m = ov.mark();
    for (let i = 0; i < 600; i++) {
      const n = 20000 + Math.floor(r() * 5000);
      ov.put(k2(n), val(i));
      if (i % 3 === 0) ov.delete(k2(1000 + 2 * i));
    }
    ov.rollbackTo(m);
    ov.release();
    model.clear();
    for (const [k, v] of before) model.set(k, v);
    assert.equal(scanAll(), want());
    ov.put(k2(21000), val(5));
    model.set(hex(k2(21000)), hex(val(5)));
    assert.equal(scanAll(), want());
    ov.commit();
    assert.equal(scanAll(), want());
  } finally {
    engine.close();
  }
});

test('alloc hands out disjoint arrays of the asked length, small ones from a shared slab and large ones alone', () => {
  const engine = openEngine('/db', { encryption: false, vfs: createMemVfs(), synchronous: 'off' });
  try {
    const ov = new Overlay(engine);
    const r = rng(5);
    const got: Uint8Array[] = [];
    for (let i = 0; i < 3000; i++) {
      const n = r() < 0.02 ? 20000 + Math.floor(r() * 50000) : Math.floor(r() * 300);
      const a = ov.alloc(n);
      assert.is(a.length, n);
      a.fill(i & 255);
      got.push(a);
    }
    for (let i = 0; i < got.length; i++) assert.ok(got[i]!.every((b) => b === (i & 255)), `array ${i} was overwritten`);
  } finally {
    engine.close();
  }
});

test('values carved from many slabs read back through get, scan and commit, transaction after transaction', () => {
  const engine = openEngine('/db', { encryption: false, vfs: createMemVfs(), synchronous: 'off' });
  try {
    const ov = new Overlay(engine);
    const model = new Map<string, string>();
    const k4 = (n: number): Uint8Array => new Uint8Array([9, n >> 16, (n >> 8) & 255, n & 255]);
    let n = 0;
    for (let txn = 0; txn < 4; txn++) {
      // ~200 KiB per transaction: several slabs, the last one partly used when the next transaction starts.
      for (let i = 0; i < 1500; i++, n++) {
        const v = ov.alloc(1 + ((n * 37) % 250));
        for (let j = 0; j < v.length; j++) v[j] = (n + j) & 255;
        ov.put(k4(n % 4000), v);
        model.set(hex(k4(n % 4000)), hex(v));
      }
      for (let i = 0; i < 4000; i += 97) {
        const got = ov.get(k4(i));
        assert.is(got === undefined ? undefined : hex(got), model.get(hex(k4(i))), `get ${i} in transaction ${txn}`);
      }
      const cur = ov.scan(k4(0), k4(4000));
      const got: string[] = [];
      while (cur.next()) got.push(`${hex(cur.key())}=${hex(cur.value())}`);
      cur.close();
      assert.equal(got, [...model.entries()].sort(([x], [y]) => (x < y ? -1 : 1)).map(([k, v]) => `${k}=${v}`));
      ov.commit();
      for (let i = 0; i < 4000; i += 89) {
        const e = engine.get(k4(i));
        assert.is(e === undefined ? undefined : hex(e), model.get(hex(k4(i))), `committed ${i} after transaction ${txn}`);
      }
    }
  } finally {
    engine.close();
  }
});

test.run();
