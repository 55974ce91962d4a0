// spec/sql-format.md §3: the order-preserving key encoding.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toHex, fromHex, compareBytes } from './bytes.ts';
import { RealBox, type SqlValue } from './sql-value.ts';
import { decodeKey, decodeRowidKey, encodeKey, encodePrefixedKey, encodeRowidKey, prefixSuccessor, type KeyColumn } from './key-codec.ts';
import { isHeliosError } from './errors.ts';
import { xorshift32 as rng } from './test-support.ts';

function corruptionOffset(fn: () => unknown): number {
  try {
    fn();
  } catch (e) {
    assert.ok(isHeliosError(e, 'CORRUPTION'), String(e));
    assert.type(e.details.offset, 'number');
    return e.details.offset as number;
  }
  return assert.unreachable('should throw CORRUPTION') as never;
}

test('[FMT-KEY-1] [FMT-KEY-2] [FMT-KEY-5] [FMT-KEY-7] byte-exact layout of each value class (the format never changes)', () => {
  assert.is(toHex(encodeKey([null])), '05');
  assert.is(toHex(encodeKey([1])), '15bff00000000000008000');
  assert.is(toHex(encodeKey([-1])), '15400fffffffffffff8000');
  assert.is(toHex(encodeKey([0])), '1580000000000000008000');
  assert.is(toHex(encodeKey(['a\0'])), '256100ff0001');
  assert.is(toHex(encodeKey([new Uint8Array([1, 0])])), '350100ff0001');
  assert.is(toHex(encodeKey([9223372036854775807n])), '15c3e00000000000007fff');
  assert.is(toHex(encodeKey([null], [{ desc: true }])), 'fa');
});

test('[FMT-KEY-2] the spec examples of numbers, byte-exact', () => {
  const cases: [SqlValue, string][] = [
    [2.5, '15c0040000000000008000'],
    [-2.5, '153ffbffffffffffff8000'],
    [2n ** 53n + 1n, '15c3400000000000008001'],
    [-(2n ** 63n), '153c1fffffffffffff8000'],
    [Infinity, '15fff00000000000008000'],
    [-Infinity, '15000fffffffffffff8000'],
  ];
  for (const [v, hex] of cases) assert.is(toHex(encodeKey([v])), hex, String(v));
});

test('[FMT-KEY-2] f is the nearest double (ties to even) and |d| <= 512 across the int64 range', () => {
  const next = rng(0x5eed);
  const values: bigint[] = [2n ** 63n - 1n, -(2n ** 63n), 2n ** 62n + 512n, 2n ** 62n + 513n, 2n ** 62n + 1536n];
  for (let i = 0; i < 2000; i++) values.push(BigInt.asIntN(64, (BigInt(next()) << 32n) | BigInt(next())));
  for (const v of values) {
    const k = encodeKey([v]);
    const d = ((k[9]! << 8) | k[10]!) - 0x8000;
    const f = BigInt(Number(v));
    assert.ok(Math.abs(d) <= 512, `${v}: d = ${d}`);
    assert.is(BigInt(d), v - f, String(v));
    assert.equal(decodeKey(k, 1).values, [v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v]);
  }
  // 2^62 + 512 is a tie between 2^62 and 2^62 + 1024: the even mantissa (2^62) wins, d = +512.
  assert.is(toHex(encodeKey([2n ** 62n + 512n])).slice(18), '8200');
});

test('[FMT-KEY-2] readers reject numbers no writer produces', () => {
  const nonIntegralWithDelta = '15' + toHex(encodeKey([2.5])).slice(2, 18) + '8001';
  const bigDelta = '15' + toHex(encodeKey([2 ** 62])).slice(2, 18) + '8401'; // d = 1025
  const nan = '15fff8000000000000' + '8000';
  for (const hex of [nonIntegralWithDelta, bigDelta, nan]) assert.is(corruptionOffset(() => decodeKey(fromHex(hex)!, 1)), 1, hex);
});

test('[FMT-KEY-3] INTEGER and REAL of equal value encode identically; -0.0 equals 0', () => {
  assert.equal(encodeKey([1]), encodeKey([new RealBox(1)]));
  assert.equal(encodeKey([0]), encodeKey([new RealBox(-0)]));
  assert.equal(encodeKey([2n ** 60n]), encodeKey([new RealBox(2 ** 60)]));
  assert.ok(compareBytes(encodeKey([2n ** 60n + 1n]), encodeKey([new RealBox(2 ** 60)])) > 0);
  assert.ok(compareBytes(encodeKey([2n ** 60n - 1n]), encodeKey([new RealBox(2 ** 60)])) < 0);
});

test('[FMT-KEY-3] byte order is exact numeric order across INTEGER and REAL, beyond 2^53 too', () => {
  const ordered: SqlValue[] = [
    -Infinity, new RealBox(-(2 ** 63)) /* equal to -2^63, skipped below */, -(2n ** 63n) + 1n, -1e18 - 0.5 + 0.5, -9007199254740993n, new RealBox(-(2 ** 53)),
    -9007199254740991, -1.5, -1, -0.5, 0, 1e-300, 0.5, 1, 1.5, 9007199254740991, new RealBox(2 ** 53), 9007199254740993n,
    2n ** 60n - 1n, new RealBox(2 ** 60), 2n ** 60n + 1n, 2n ** 63n - 1n, new RealBox(2 ** 63), 1e300, Infinity,
  ];
  const keys = ordered.filter((_, i) => i !== 1).map((v) => encodeKey([v]));
  for (let i = 1; i < keys.length; i++) assert.ok(compareBytes(keys[i - 1]!, keys[i]!) < 0, `position ${i}`);
  assert.equal(encodeKey([new RealBox(-(2 ** 63))]), encodeKey([-(2n ** 63n)]));
});

test('[FMT-KEY-3] the key does not keep the storage class: integral values within int64 read back as INTEGER', () => {
  assert.equal(decodeKey(encodeKey([new RealBox(1), new RealBox(-0), 2.5, new RealBox(2 ** 63), new RealBox(3e20)]), 5).values, [
    1, 0, 2.5, new RealBox(2 ** 63), new RealBox(3e20),
  ]);
  assert.equal(decodeKey(encodeKey([2n ** 63n - 1n, -(2n ** 63n)]), 2).values, [2n ** 63n - 1n, -(2n ** 63n)]);
});

test('[FMT-KEY-4] NaN is written as NULL', () => {
  assert.is(toHex(encodeKey([NaN])), '05');
  assert.is(toHex(encodeKey([NaN], [{ desc: true }])), 'fa');
});

test('[FMT-KEY-1] cross-type order is NULL < numbers < TEXT < BLOB', () => {
  const keys = [null, -Infinity, -5, 0.5, 1e300, Infinity, '', 'a', new Uint8Array(0), new Uint8Array([0])].map((v) => encodeKey([v]));
  for (let i = 1; i < keys.length; i++) assert.ok(compareBytes(keys[i - 1]!, keys[i]!) < 0, `position ${i}`);
  assert.equal([null, 0, '', new Uint8Array(0)].map((v) => encodeKey([v])[0]), [0x05, 0x15, 0x25, 0x35]);
});

test('[FMT-KEY-5] strings: escaped zeros, terminator below every continuation, code-point order, WTF-8 lone surrogates', () => {
  assert.is(toHex(encodeKey([new Uint8Array([1, 0])])), '350100ff0001');
  assert.is(toHex(encodeKey(['\ud800'])), '25eda0800001');
  assert.equal(decodeKey(encodeKey(['\ud800x', 'a\0b']), 2).values, ['\ud800x', 'a\0b']);
  const texts = ['', '\0', '\0\0', '\0a', 'a', 'a\0', 'a\0\0', 'aa', 'b', '\u007f', '\u0080', '\uffff', '\ud800', '\ud83d\ude00', '\udc00'];
  const byCodePoint = [...texts].sort((a, b) => {
    const x = [...a].map((c) => c.codePointAt(0)!);
    const y = [...b].map((c) => c.codePointAt(0)!);
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
    return x.length - y.length;
  });
  const byKey = [...texts].sort((a, b) => compareBytes(encodeKey([a]), encodeKey([b])));
  assert.equal(byKey, byCodePoint);
  const blobs = [[], [0], [0, 0], [0, 1], [0, 0xff], [1], [1, 0], [0xff], [0xff, 0]].map((b) => new Uint8Array(b));
  for (let i = 1; i < blobs.length; i++) assert.ok(compareBytes(encodeKey([blobs[i - 1]!]), encodeKey([blobs[i]!])) < 0, `blob ${i}`);
});

test('[FMT-KEY-6] NOCASE folds ASCII only and RTRIM ignores trailing spaces', () => {
  assert.equal(encodeKey(['ABC'], [{ collation: 'NOCASE' }]), encodeKey(['abc'], [{ collation: 'NOCASE' }]));
  assert.not.equal(encodeKey(['É'], [{ collation: 'NOCASE' }]), encodeKey(['é'], [{ collation: 'NOCASE' }]));
  assert.equal(encodeKey(['x  '], [{ collation: 'RTRIM' }]), encodeKey(['x'], [{ collation: 'RTRIM' }]));
  assert.ok(compareBytes(encodeKey(['_'], [{ collation: 'NOCASE' }]), encodeKey(['A'], [{ collation: 'NOCASE' }])) < 0);
});

test('[FMT-KEY-6] collated bytes, byte-exact, and readers return the collated form', () => {
  assert.is(toHex(encodeKey(['Ab '], [{ collation: 'RTRIM' }])), '2541620001');
  assert.is(toHex(encodeKey(['Ab '], [{ collation: 'NOCASE' }])), '256162200001');
  assert.not.equal(encodeKey([' x'], [{ collation: 'RTRIM' }]), encodeKey(['x'], [{ collation: 'RTRIM' }]), 'leading spaces count');
  assert.not.equal(encodeKey(['x\t'], [{ collation: 'RTRIM' }]), encodeKey(['x'], [{ collation: 'RTRIM' }]), 'only U+0020 is trimmed');
  const cols: KeyColumn[] = [{ collation: 'NOCASE' }, { collation: 'RTRIM' }, {}];
  assert.equal(decodeKey(encodeKey(['MiXeD', 'pad  ', 'Keep  '], cols), 3, cols).values, ['mixed', 'pad', 'Keep  ']);
});

test('[FMT-KEY-7] DESC inverts every bit, so larger values sort first and a string sorts after its extensions', () => {
  assert.is(toHex(encodeKey(['a'], [{ desc: true }])), 'da9efffe');
  assert.is(toHex(encodeKey(['ab'], [{ desc: true }])), 'da9e9dfffe');
  const desc = [{ desc: true }];
  const asc = encodeKey([2.5, 'x', null, new Uint8Array([0])]);
  const inv = encodeKey([2.5, 'x', null, new Uint8Array([0])], [{ desc: true }, { desc: true }, { desc: true }, { desc: true }]);
  assert.equal(inv, asc.map((b) => b ^ 0xff));
  const values: SqlValue[] = [null, -1, 0, 2.5, '', 'a', 'ab', 'b', new Uint8Array(0)];
  for (let i = 1; i < values.length; i++) assert.ok(compareBytes(encodeKey([values[i - 1]!], desc), encodeKey([values[i]!], desc)) > 0, `position ${i}`);
  const mixed: KeyColumn[] = [{ desc: true, collation: 'NOCASE' }, {}];
  assert.equal(decodeKey(encodeKey(['Q', 7], mixed), 2, mixed).values, ['q', 7]);
});

test('[FMT-KEY-8] tuple keys concatenate prefix-free column keys, so a prefix of the tuple is a byte prefix and bounds a range', () => {
  const cols: KeyColumn[] = [{ collation: 'NOCASE' }, { desc: true }, {}];
  const tuple: SqlValue[] = ['Ann', 2.5, new Uint8Array([0, 1])];
  const full = encodeKey(tuple, cols);
  assert.equal(full, Uint8Array.from([...encodeKey([tuple[0]!], [cols[0]!]), ...encodeKey([tuple[1]!], [cols[1]!]), ...encodeKey([tuple[2]!])]));
  for (let k = 0; k <= 3; k++) assert.equal(full.subarray(0, encodeKey(tuple.slice(0, k), cols).length), encodeKey(tuple.slice(0, k), cols));
  // Every tuple starting with ('ann', 2.5) lies in [P, successor(P)); others outside.
  const p = encodeKey(['ann', 2.5], cols);
  const hi = prefixSuccessor(p)!;
  const inside: SqlValue[][] = [['ANN', 2.5, null], ['ann', 2.5, 1e300], ['Ann', 2.5, new Uint8Array([0xff, 0xff])]];
  const outside: SqlValue[][] = [['ann', 3, null], ['ann', 2, null], ['anna', 2.5, null], ['an', 2.5, null], ['ann', null, null]];
  for (const t of inside) {
    const key = encodeKey(t, cols);
    assert.ok(compareBytes(p, key) <= 0 && compareBytes(key, hi) < 0, JSON.stringify(t.map(String)));
  }
  for (const t of outside) {
    const key = encodeKey(t, cols);
    assert.ok(compareBytes(key, p) < 0 || compareBytes(key, hi) >= 0, JSON.stringify(t.map(String)));
  }
  // The decoder finds where the columns end (a rowid may follow).
  const withRowid = Uint8Array.from([...full, ...encodeRowidKey(5)]);
  const d = decodeKey(withRowid, 3, cols);
  assert.is(d.offset, full.length);
  assert.is(decodeRowidKey(withRowid, d.offset), 5);
});

test('[FMT-KEY-8] prefixSuccessor bounds a prefix scan', () => {
  assert.equal(prefixSuccessor(new Uint8Array([1, 0xff, 0xff])), new Uint8Array([2]));
  assert.is(prefixSuccessor(new Uint8Array([0xff])), null);
  assert.is(prefixSuccessor(new Uint8Array(0)), null);
});

test('[FMT-KEY-10] rowid keys: order, extremes and round-trip', () => {
  const ids = [-(2n ** 63n), -(2n ** 53n), -9007199254740991, -1, 0, 1, 4294967296, 9007199254740991, 2n ** 53n, 2n ** 63n - 1n];
  for (let i = 0; i < ids.length; i++) {
    const k = encodeRowidKey(ids[i]!);
    assert.is(decodeRowidKey(k), ids[i]);
    if (i > 0) assert.ok(compareBytes(encodeRowidKey(ids[i - 1]!), k) < 0);
  }
  assert.is(toHex(encodeRowidKey(1)), '8000000000000001');
  assert.is(toHex(encodeRowidKey(-1)), '7fffffffffffffff');
  assert.is(toHex(encodeRowidKey(0)), '8000000000000000');
  assert.is(toHex(encodeRowidKey(-(2n ** 63n))), '0000000000000000');
  assert.is(toHex(encodeRowidKey(2n ** 63n - 1n)), 'ffffffffffffffff');
});

test('[FMT-KEY-9] decodeKey reports truncation and bad tags as CORRUPTION naming the offset', () => {
  const k = encodeKey([1, 'ab']);
  for (const bad of [k.subarray(0, 5), k.subarray(0, k.length - 1), new Uint8Array([0x99])]) {
    try {
      decodeKey(bad, 2);
      assert.unreachable('should throw');
    } catch (e) {
      assert.ok(isHeliosError(e, 'CORRUPTION'), String(e));
      assert.type(e.details.offset, 'number');
    }
  }
});

test('[FMT-KEY-9] a bad escape and invalid UTF-8 are CORRUPTION; a short rowid too', () => {
  assert.is(corruptionOffset(() => decodeKey(fromHex('25610002')!, 1)), 2);
  corruptionOffset(() => decodeKey(fromHex('25ff0001')!, 1));
  corruptionOffset(() => decodeKey(fromHex('25c0af0001')!, 1));
  assert.is(corruptionOffset(() => decodeRowidKey(fromHex('80000000000000')!)), 0);
});

test('encodePrefixedKey is u32be(id) ‖ encodeKey(values, columns) ‖ zeroed tail, byte for byte', () => {
  const cases: [SqlValue[], KeyColumn[] | undefined][] = [
    [[], undefined],
    [[null, 1, 2.5, 'MRN001234', new Uint8Array([0, 1, 255])], undefined],
    [['Jane', new RealBox(1), -(7n ** 20n)], [{ desc: false, collation: 'NOCASE' }, { desc: true, collation: 'BINARY' }, { desc: false, collation: 'BINARY' }]],
    [['trailing   ', 'x'.repeat(300)], [{ desc: true, collation: 'RTRIM' }, { desc: false, collation: 'BINARY' }]],
  ];
  for (const id of [0, 1, 0x1234, 0xffffffff]) {
    for (const [values, columns] of cases) {
      for (const tail of [0, 8]) {
        const head = new Uint8Array(4);
        new DataView(head.buffer).setUint32(0, id, false);
        const body = encodeKey(values, columns);
        const want = new Uint8Array(4 + body.length + tail);
        want.set(head, 0);
        want.set(body, 4);
        assert.is(toHex(encodePrefixedKey(id, values, columns, tail)), toHex(want));
      }
    }
  }
});

test.run();
