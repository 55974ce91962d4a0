import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { argon2id as nobleArgon2id } from '@noble/hashes/argon2.js';
import { fromHex, toHex } from '../format/bytes.ts';
import { isHeliosError } from '../format/errors.ts';
import { fuzzParams } from '../fuzz/budget.ts';
import { ARGON2ID_BOUNDS, ARGON2ID_DEFAULTS, argon2Hash, argon2id, setArgon2WorkerFaultForTests, type Argon2Type } from './argon2id.ts';

interface Argon2Vector {
  id: string; typeCode: number; t: number; m: number; p: number; tagLen: number;
  password: string; salt: string; secret: string; ad: string; tag: string; version: number;
}
const vectorFile = join(process.cwd(), 'spec', 'vectors', 'argon2-rfc9106.json');
const vectors = (JSON.parse(readFileSync(vectorFile, 'utf8')) as { vectors: Argon2Vector[] }).vectors;
const hex = (s: string): Uint8Array => fromHex(s) ?? new Uint8Array(0);
// The 256 MiB vector (phc-test.c-argon2id-v13-2) is above the memory budget of one test file
// run three times in parallel on a 2-core machine; every other vector runs.
const MAX_TEST_KIB = 65536;

test('the vector file holds the RFC 9106 section 5 vectors and the reference test.c vectors', () => {
  assert.ok(vectors.length >= 10);
  assert.ok(vectors.some((v) => v.id === 'rfc9106-5.3-argon2id'));
});

for (const v of vectors) {
  if (v.m > MAX_TEST_KIB) continue;
  for (const threads of [1, 2, 4]) {
    if (threads > v.p) continue;
    test(`${v.id} (m=${v.m} t=${v.t} p=${v.p}) gives the expected tag on ${threads} thread(s) [CRY-KDF-2] [CRY-KDF-3]`, () => {
      const out = argon2Hash(v.typeCode as Argon2Type, hex(v.password), hex(v.salt), {
        memoryKiB: v.m, iterations: v.t, parallelism: v.p, tagLength: v.tagLen, secret: hex(v.secret), associatedData: hex(v.ad),
      }, { threads });
      assert.is(toHex(out), v.tag);
    });
  }
}

test('worker threads really fill lanes on this runtime (no silent fallback) [CRY-KDF-3]', () => {
  const runs: { threads: number; fallback: string | null }[] = [];
  const pw = new Uint8Array([1, 2, 3]);
  const salt = new Uint8Array(16).fill(5);
  const a = argon2id(pw, salt, { memoryKiB: 2048, iterations: 2, parallelism: 4 }, { threads: 4, onRun: (r) => runs.push(r) });
  const b = argon2id(pw, salt, { memoryKiB: 2048, iterations: 2, parallelism: 4 }, { threads: 2, onRun: (r) => runs.push(r) });
  const c = argon2id(pw, salt, { memoryKiB: 2048, iterations: 2, parallelism: 4 }, { threads: 1, onRun: (r) => runs.push(r) });
  assert.equal(runs, [{ threads: 4, fallback: null }, { threads: 2, fallback: null }, { threads: 1, fallback: null }]);
  assert.is(toHex(a), toHex(c));
  assert.is(toHex(b), toHex(c));
});

test('a worker that fails or never starts makes the call fall back to one thread with the same tag [CRY-KDF-3]', () => {
  const pw = new Uint8Array([7, 7, 7]);
  const salt = new Uint8Array(16).fill(6);
  const params = { memoryKiB: 512, iterations: 2, parallelism: 4 };
  const expected = toHex(argon2id(pw, salt, params, { threads: 1 }));
  try {
    for (const fault of ['fail-after-claim', 'never-start'] as const) {
      setArgon2WorkerFaultForTests(fault);
      const runs: { threads: number; fallback: string | null }[] = [];
      const tag = argon2id(pw, salt, params, { threads: 2, onRun: (r) => runs.push(r) });
      assert.is(toHex(tag), expected, fault);
      assert.is(runs.length, 1);
      assert.is(runs[0]!.threads, 1, fault);
      assert.type(runs[0]!.fallback, 'string');
    }
  } finally {
    setArgon2WorkerFaultForTests(null);
  }
});

test('tag lengths above 64 bytes use the variable-length hash H\' (RFC 9106 section 3.3)', () => {
  const pw = new Uint8Array([9, 9]);
  const salt = new Uint8Array(8).fill(1);
  for (const tagLength of [4, 63, 64, 65, 96, 97, 128, 200, 1024]) {
    const ours = argon2id(pw, salt, { memoryKiB: 16, iterations: 1, parallelism: 1, tagLength });
    assert.is(toHex(ours), toHex(nobleArgon2id(pw, salt, { m: 16, t: 1, p: 1, dkLen: tagLength })), `T=${tagLength}`);
  }
});

test('matches @noble/hashes argon2id for random small parameters [CRY-KDF-2]', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 40 }),
      fc.uint8Array({ minLength: 8, maxLength: 40 }),
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 0, max: 300 }),
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 4, max: 80 }),
      fc.integer({ min: 1, max: 4 }),
      (pw, salt, p, extraKiB, t, tagLength, threads) => {
        const m = 8 * p + extraKiB;
        const ours = argon2id(pw, salt, { memoryKiB: m, iterations: t, parallelism: p, tagLength }, { threads });
        const theirs = nobleArgon2id(pw, salt, { m, t, p, dkLen: tagLength });
        assert.is(toHex(ours), toHex(theirs));
      },
    ),
    fuzzParams(25),
  );
});

test('the defaults are RFC 9106 section 4 option 2: m = 64 MiB, t = 3, p = 4 [CRY-KDF-2]', () => {
  assert.equal({ ...ARGON2ID_DEFAULTS }, { memoryKiB: 65536, iterations: 3, parallelism: 4 });
});

test('parameters outside the bounds are CONFIG [CRY-KDF-2]', () => {
  const pw = new Uint8Array(1);
  const salt = new Uint8Array(16);
  const bad = [
    { memoryKiB: 7, iterations: 1, parallelism: 1 },
    { memoryKiB: 31, iterations: 1, parallelism: 4 }, // m < 8p
    { memoryKiB: ARGON2ID_BOUNDS.memoryKiB.max + 1, iterations: 1, parallelism: 1 },
    { memoryKiB: 64, iterations: 0, parallelism: 1 },
    { memoryKiB: 64, iterations: 65, parallelism: 1 },
    { memoryKiB: 64 * 65, iterations: 1, parallelism: 65 },
    { memoryKiB: 64, iterations: 1, parallelism: 0 },
    { memoryKiB: 64.5, iterations: 1, parallelism: 1 },
    { memoryKiB: 64, iterations: 1, parallelism: 1, tagLength: 3 },
    { memoryKiB: 64, iterations: 1, parallelism: 1, tagLength: 1025 },
    { memoryKiB: '64' as unknown as number, iterations: 1, parallelism: 1 },
  ];
  for (const params of bad) {
    try {
      argon2id(pw, salt, params);
      assert.unreachable(JSON.stringify(params));
    } catch (e) {
      assert.ok(isHeliosError(e, 'CONFIG'), `${JSON.stringify(params)}: ${String(e)}`);
    }
  }
  for (const s of [new Uint8Array(7), new Uint8Array(1025)]) {
    try {
      argon2id(pw, s, { memoryKiB: 64, iterations: 1, parallelism: 1 });
      assert.unreachable(`salt of ${s.length}`);
    } catch (e) {
      assert.ok(isHeliosError(e, 'CONFIG'));
    }
  }
});

test.run();
