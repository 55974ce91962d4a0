/**
 * Property campaigns for the superblock (crypto/superblock.ts), spec/crypto.md section 4:
 *
 * 1. A model-based run of random key-management commands (add/remove slot, change key,
 *    add/drop data-key generation, revoke) against a model (the set of secrets that must open the
 *    database and the DEK of every live generation): after every command each model secret
 *    opens the superblock with exactly the model's DEKs, and removed or never-added secrets
 *    get WRONG_KEY. Every superblock a revoked slot belonged to is kept: each of its slots,
 *    spliced into the current superblock, opens nothing [CRY-SB-9].
 * 2. Damage (truncation, extension, bit flips, overwritten ranges) never yields wrong data:
 *    the open either fails with a typed error or returns exactly the original DEKs.
 * 3. Arbitrary bytes never crash: only typed HeliosErrors come out.
 * Budgets: fuzz/budget.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { toHex } from '../format/bytes.ts';
import { isHeliosError, type ErrorCode } from '../format/errors.ts';
import { passphraseSecret, rawKeySecret, type KeySecret } from '../crypto/key-source.ts';
import {
  addDataKeyGeneration, addKeySlot, changeKey, createSuperblock, dropDataKeyGeneration, MAX_SLOTS, openSuperblock,
  readSuperblockInfo, removeKeySlot, revokeSuperblock, type KdfOptions,
} from '../crypto/superblock.ts';
import { crc32c } from '../format/crc32c.ts';
import { fuzzParams } from './budget.ts';
import { seededBytes as streamRandom } from '../format/test-support.ts';

const FAST: KdfOptions = { argon2: { memoryKiB: 32, iterations: 1, parallelism: 1 } };

/** Secret number i: raw key of byte i, or (for i >= 200) a passphrase. */
function secret(i: number): KeySecret {
  return i >= 200 ? passphraseSecret(`passphrase ${i}`) : rawKeySecret(new Uint8Array(32).fill(i));
}

function code(f: () => unknown): ErrorCode | 'ok' {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (isHeliosError(e)) return e.code;
    throw e;
  }
}

type Cmd =
  | { op: 'addSlot'; secret: number }
  | { op: 'removeSlot'; pick: number }
  | { op: 'changeKey'; pick: number; secret: number }
  | { op: 'addGeneration'; pick: number }
  | { op: 'dropGeneration'; pick: number; which: number }
  | { op: 'revoke'; pick: number; keep: number[] };

const secretId = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 40 }) }, { weight: 1, arbitrary: fc.integer({ min: 200, max: 203 }) });
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({ op: fc.constant('addSlot' as const), secret: secretId }),
  fc.record({ op: fc.constant('removeSlot' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('changeKey' as const), pick: fc.nat(), secret: secretId }),
  fc.record({ op: fc.constant('addGeneration' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('dropGeneration' as const), pick: fc.nat(), which: fc.nat() }),
  fc.record({ op: fc.constant('revoke' as const), pick: fc.nat(), keep: fc.uniqueArray(secretId, { minLength: 1, maxLength: 3 }) }),
);

/** `bytes` with the 80-byte `slot` inserted first, count, length and CRC fixed: what a writer without a key can do. */
function spliceSlot(bytes: Uint8Array, slot: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length + 80);
  out.set(bytes.subarray(0, 56), 0);
  out.set(slot, 56);
  out.set(bytes.subarray(56), 136);
  out[36]! += 1;
  const dv = new DataView(out.buffer);
  dv.setUint32(32, out.length, false);
  dv.setUint32(out.length - 4, crc32c(out.subarray(0, out.length - 4)), false);
  return out;
}

test('key-management commands keep every model secret opening exactly the model DEKs [CRY-SB-5] [CRY-SB-7] [CRY-KEY-3] [CRY-REVOKE-1] [CRY-SB-9]', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 0x7fffffff }), secretId, fc.array(cmd, { maxLength: 12 }), (seed, first, cmds) => {
      const random = streamRandom(seed);
      const created = createSuperblock({ suite: 'aes-256-gcm', secret: secret(first), random, kdf: FAST });
      let bytes = created.bytes;
      let slots: number[] = [first]; // model: slot i holds secret slots[i]
      const deks = new Map<number, string>([[1, toHex(created.keyring.dek(1))]]);
      let current = 1;
      const everUsed = new Set<number>([first]);
      /** Slots (80 bytes, with their secret) of roots revoked since. */
      const revokedSlots: { slot: Uint8Array; secret: number }[] = [];
      for (const c of cmds) {
        const auth = slots[('pick' in c ? c.pick : 0) % slots.length]!;
        switch (c.op) {
          case 'addSlot':
            if (slots.includes(c.secret)) break; // two slots with one secret: legal, but the model keys by secret
            if (slots.length >= MAX_SLOTS) {
              assert.is(code(() => addKeySlot(bytes, secret(auth), secret(c.secret), random, FAST)), 'CONFIG');
              break;
            }
            bytes = addKeySlot(bytes, secret(auth), secret(c.secret), random, FAST);
            slots.push(c.secret);
            everUsed.add(c.secret);
            break;
          case 'removeSlot': {
            const idx = c.pick % slots.length;
            if (slots.length === 1) {
              assert.is(code(() => removeKeySlot(bytes, secret(auth), idx, random)), 'CONFIG');
              break;
            }
            bytes = removeKeySlot(bytes, secret(auth), idx, random);
            slots.splice(idx, 1);
            break;
          }
          case 'changeKey':
            if (slots.includes(c.secret)) break;
            bytes = changeKey(bytes, secret(auth), secret(c.secret), random, FAST);
            slots = slots.map((s) => (s === auth ? c.secret : s));
            everUsed.add(c.secret);
            break;
          case 'addGeneration': {
            const opened = openSuperblock(bytes, secret(auth));
            bytes = addDataKeyGeneration(bytes, opened.keyring, random);
            opened.keyring.destroy();
            current = Math.max(...deks.keys()) + 1;
            deks.set(current, toHex(openSuperblock(bytes, secret(auth)).keyring.dek(current)));
            break;
          }
          case 'dropGeneration': {
            const gens = [...deks.keys()].sort((a, b) => a - b);
            const g = gens[c.which % gens.length]!;
            if (g === current) {
              assert.is(code(() => dropDataKeyGeneration(bytes, secret(auth), g, random)), 'CONFIG');
              break;
            }
            bytes = dropDataKeyGeneration(bytes, secret(auth), g, random);
            deks.delete(g);
            break;
          }
          case 'revoke': {
            if (deks.size >= 4096) break;
            slots.forEach((s, i) => revokedSlots.push({ slot: bytes.slice(56 + 80 * i, 136 + 80 * i), secret: s }));
            const r = revokeSuperblock(bytes, secret(auth), c.keep.map(secret), random, FAST);
            bytes = r.bytes;
            current = r.keyring.currentGeneration;
            deks.set(current, toHex(r.keyring.dek(current)));
            r.keyring.destroy();
            slots = [...c.keep];
            for (const k of c.keep) everUsed.add(k);
            break;
          }
        }
        const info = readSuperblockInfo(bytes);
        assert.is(info.slotCount, slots.length);
        assert.equal(info.generations, [...deks.keys()].sort((a, b) => a - b));
      }
      for (const s of slots) {
        const o = openSuperblock(bytes, secret(s));
        assert.is(o.keyring.currentGeneration, current);
        for (const [g, hex] of deks) assert.is(toHex(o.keyring.dek(g)), hex);
      }
      for (const s of everUsed) if (!slots.includes(s)) assert.is(code(() => openSuperblock(bytes, secret(s))), 'WRONG_KEY');
      if (slots.length < MAX_SLOTS) {
        for (const r of revokedSlots) {
          const got = code(() => openSuperblock(spliceSlot(bytes, r.slot), secret(r.secret)));
          // A revoked secret that is not kept gets WRONG_KEY; a kept one opens its fresh slot,
          // whose keyring then sees the splice.
          assert.is(got, slots.includes(r.secret) ? 'CORRUPTION' : 'WRONG_KEY');
        }
      }
      assert.is(code(() => openSuperblock(bytes, secret(99))), 'WRONG_KEY');
    }),
    fuzzParams(60),
  );
});

type Damage =
  | { kind: 'truncate'; at: number }
  | { kind: 'extend'; extra: Uint8Array }
  | { kind: 'flip'; bits: number[] }
  | { kind: 'overwrite'; at: number; data: Uint8Array };

const damage: fc.Arbitrary<Damage> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('extend' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 100 }) }),
  fc.record({ kind: fc.constant('flip' as const), bits: fc.array(fc.nat(), { minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('overwrite' as const), at: fc.nat(), data: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
);

function applyDamage(b: Uint8Array, d: Damage): Uint8Array {
  switch (d.kind) {
    case 'truncate':
      return b.slice(0, d.at % b.length);
    case 'extend': {
      const out = new Uint8Array(b.length + d.extra.length);
      out.set(b);
      out.set(d.extra, b.length);
      return out;
    }
    case 'flip': {
      const out = b.slice();
      for (const bit of d.bits) out[(bit >> 3) % out.length]! ^= 1 << (bit & 7);
      return out;
    }
    case 'overwrite': {
      const out = b.slice();
      const at = d.at % out.length;
      out.set(d.data.subarray(0, out.length - at), at);
      return out;
    }
  }
}

test('damaged superblocks give a typed error or exactly the original DEKs, never wrong data [CRY-SB-6] [CRY-TAG-1]', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 0x7fffffff }), fc.integer({ min: 1, max: 4 }), fc.boolean(), damage, (seed, slots, none, d) => {
      const random = streamRandom(seed);
      const c = createSuperblock({ suite: none ? 'none' : 'aes-256-gcm', secret: none ? null : secret(1), random });
      let bytes = c.bytes;
      if (!none) for (let i = 1; i < slots; i++) bytes = addKeySlot(bytes, secret(1), secret(1 + i), random);
      if (!none) bytes = addDataKeyGeneration(bytes, secret(1), random);
      const expected = openSuperblock(bytes, none ? null : secret(1));
      const broken = applyDamage(bytes, d);
      const changed = broken.length !== bytes.length || broken.some((x, i) => x !== bytes[i]);
      try {
        const o = openSuperblock(broken, none ? null : secret(1));
        assert.not.ok(changed, `damage ${d.kind} was accepted`);
        for (const g of expected.keyring.generations) assert.is(toHex(o.keyring.dek(g)), toHex(expected.keyring.dek(g)));
      } catch (e) {
        if (!isHeliosError(e)) throw e;
        assert.ok(changed, `undamaged bytes failed: ${e.code}`);
        assert.ok(['NOT_A_DATABASE', 'CORRUPTION', 'UNSUPPORTED_VERSION', 'WRONG_KEY'].includes(e.code), e.code);
        if (d.kind === 'flip' && d.bits.length === 1) assert.ok(['NOT_A_DATABASE', 'CORRUPTION'].includes(e.code), `single flip gave ${e.code}`);
        if (d.kind === 'truncate' || d.kind === 'extend') assert.ok(['NOT_A_DATABASE', 'CORRUPTION'].includes(e.code), `${d.kind} gave ${e.code}`);
      }
    }),
    fuzzParams(300),
  );
});

test('arbitrary bytes (with and without the magic) only ever produce typed errors', () => {
  const magic = new TextEncoder().encode('HELIOSSB');
  fc.assert(
    fc.property(fc.boolean(), fc.uint8Array({ maxLength: 400 }), (withMagic, tail) => {
      const b = withMagic ? new Uint8Array([...magic, ...tail]) : tail;
      for (const s of [null, secret(1)]) {
        try {
          openSuperblock(b, s);
        } catch (e) {
          assert.ok(isHeliosError(e), String(e));
        }
      }
      try {
        readSuperblockInfo(b);
      } catch (e) {
        assert.ok(isHeliosError(e), String(e));
      }
    }),
    fuzzParams(500),
  );
});

test.run();
