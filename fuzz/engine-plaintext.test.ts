// Zero plaintext (issue 3, DESIGN "Sealing every byte"): after random
// workloads, no file of the database directory contains any written key or
// value of 4 bytes or more, nor any of them reversed or hex-encoded.
// A control run with the 'none' suite shows the search finds plaintext
// where it exists.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { fuzzParams } from './budget.ts';
import { openEngine, createWriteBatch } from '../engine/engine.ts';
import { createMemVfs, type MemVfs } from '../engine/vfs.ts';
import { toHex, utf8Encode } from '../format/bytes.ts';

const KEY = new Uint8Array(32).fill(0x77);

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

function forms(b: Uint8Array): Uint8Array[] {
  const hex = toHex(b);
  return [b, b.slice().reverse(), utf8Encode(hex), utf8Encode(hex.toUpperCase())];
}

/** Paths and forms of `secrets` found in any file of `vfs`. */
function leaks(vfs: MemVfs, secrets: readonly Uint8Array[]): string[] {
  const found: string[] = [];
  for (const p of vfs.paths()) {
    const bytes = vfs.readFile(p);
    for (const s of secrets) for (const f of forms(s)) if (indexOf(bytes, f) >= 0) found.push(`${p}: ${toHex(f)}`);
  }
  return found;
}

const textArb = fc.string({ minLength: 4, maxLength: 24, unit: 'grapheme-ascii' });
const bytesArb = fc.uint8Array({ minLength: 4, maxLength: 48 });
const itemArb = fc.oneof(textArb.map(utf8Encode), bytesArb);

function workload(vfs: MemVfs, encryption: boolean, pairs: readonly (readonly [Uint8Array, Uint8Array])[], crashAt: number): void {
  const opts = encryption ? { key: { raw: KEY } } : { encryption: false as const };
  let db = openEngine('db', { ...opts, vfs, walSegmentBytes: 512, synchronous: 'normal' });
  pairs.forEach(([k, v], i) => {
    if (i % 5 === 4) {
      const b = createWriteBatch();
      b.put(k, v);
      b.delete(v);
      db.write(b);
    } else db.put(k, v);
    if (i === crashAt) {
      vfs.crash({ processOnly: true });
      db = openEngine('db', { ...opts, vfs, walSegmentBytes: 512 });
    }
  });
  db.close();
}

test('no key or value (plain, reversed or hex) appears in any file of an encrypted database', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(itemArb, itemArb), { minLength: 1, maxLength: 30 }), fc.nat(40), (pairs, crashAt) => {
      const vfs = createMemVfs();
      workload(vfs, true, pairs, crashAt);
      assert.equal(leaks(vfs, pairs.flat()), []);
    }),
    fuzzParams(40),
  );
});

test('control: the same search finds keys and values in an unencrypted database', () => {
  const vfs = createMemVfs();
  const pairs: [Uint8Array, Uint8Array][] = [[utf8Encode('patient-0042'), utf8Encode('diagnosis: flu')]];
  workload(vfs, false, pairs, -1);
  assert.ok(leaks(vfs, pairs.flat()).length >= 2);
});

test.run();
