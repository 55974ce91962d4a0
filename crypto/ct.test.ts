import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { constantTimeEqual } from './ct.ts';

test('[CRY-CT-1] constantTimeEqual is true exactly for equal contents', () => {
  assert.ok(constantTimeEqual(new Uint8Array(0), new Uint8Array(0)));
  assert.ok(constantTimeEqual(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 3)));
  assert.not.ok(constantTimeEqual(Uint8Array.of(1, 2, 3), Uint8Array.of(0, 2, 3)));
  assert.not.ok(constantTimeEqual(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 2)));
  assert.not.ok(constantTimeEqual(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2)));
  assert.not.ok(constantTimeEqual(Uint8Array.of(0x80), Uint8Array.of(0)));
});

test('[CRY-CT-1] constantTimeEqual detects a difference in every bit of every position', () => {
  const a = new Uint8Array(16).map((_, i) => i * 17);
  for (let i = 0; i < a.length; i++) {
    for (let bit = 0; bit < 8; bit++) {
      const b = a.slice();
      b[i]! ^= 1 << bit;
      assert.not.ok(constantTimeEqual(a, b), `byte ${i} bit ${bit}`);
    }
  }
});

test('[CRY-CT-1] constantTimeEqual reads every byte even when the first one differs (no early exit)', () => {
  const read = new Set<number>();
  const target = new Uint8Array(32).fill(0xaa);
  const spy = new Proxy(target, {
    get(t, prop) {
      if (typeof prop === 'string' && /^\d+$/.test(prop)) read.add(Number(prop));
      const v = Reflect.get(t, prop, t) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
  assert.not.ok(constantTimeEqual(new Uint8Array(32), spy));
  assert.is(read.size, 32);
});

test.run();
