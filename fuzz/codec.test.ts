// Property campaigns for the key and row codecs (format/key-codec.ts,
// format/row-codec.ts): key byte order equals SQLite's value order
// (sql/value.ts compareValues) for every collation and direction, prefixes
// stay prefixes, and rows round-trip exactly.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { fuzzParams } from './budget.ts';
import { compareBytes } from '../format/bytes.ts';
import { type Collation, type SqlValue, RealBox, makeInteger, makeReal, MAX_INT64, MIN_INT64 } from '../format/sql-value.ts';
import { type KeyColumn, decodeKey, encodeKey, encodeRowidKey, decodeRowidKey, prefixSuccessor } from '../format/key-codec.ts';
import { decodeColumn, decodeRow, encodeRow } from '../format/row-codec.ts';
import { compareValues } from '../sql/value.ts';

const sign = (x: number): number => (x < 0 ? -1 : x > 0 ? 1 : 0);

const intArb: fc.Arbitrary<SqlValue> = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.bigInt({ min: MIN_INT64, max: MAX_INT64 }).map(makeInteger),
  fc.bigInt({ min: -(2n ** 54n), max: 2n ** 54n }).map(makeInteger),
  fc.constantFrom(MIN_INT64, MAX_INT64, MAX_INT64 - 1n, 2n ** 53n, 2n ** 53n + 1n, -(2n ** 53n) - 1n).map(makeInteger),
);
const realArb: fc.Arbitrary<SqlValue> = fc.oneof(
  fc.double({ noNaN: true }).map(makeReal),
  fc.integer({ min: -1000, max: 1000 }).map((i) => makeReal(i + 0.5)),
  fc.integer({ min: -1000, max: 1000 }).map((i) => new RealBox(i)),
  fc.constantFrom(-0, 2 ** 53, 2 ** 63, -(2 ** 63), 9223372036854774784, 1e300, -Infinity, Infinity).map((x) => makeReal(x)),
);
const textArb: fc.Arbitrary<SqlValue> = fc.oneof(
  fc.string({ unit: fc.constantFrom('a', 'A', 'b', 'B', ' ', '\0', 'é', '\u{1F600}', '\uffff', '\ud800', '\udc00'), maxLength: 6 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
);
const blobArb: fc.Arbitrary<SqlValue> = fc.uint8Array({ maxLength: 6 }).chain((b) => fc.constant(b.map((x) => x % 4 === 0 ? 0 : x)));
const valueArb: fc.Arbitrary<SqlValue> = fc.oneof(fc.constant(null), intArb, realArb, textArb, blobArb);
const collationArb = fc.constantFrom<Collation>('BINARY', 'NOCASE', 'RTRIM');
const columnArb: fc.Arbitrary<KeyColumn> = fc.record({ desc: fc.boolean(), collation: collationArb });

function compareTuples(a: readonly SqlValue[], b: readonly SqlValue[], cols: readonly KeyColumn[]): number {
  for (let i = 0; i < a.length; i++) {
    const c = compareValues(a[i]!, b[i]!, cols[i]!.collation);
    if (c !== 0) return cols[i]!.desc ? -c : c;
  }
  return 0;
}

test('key byte order equals compareValues for single values under every collation and direction', () => {
  fc.assert(
    fc.property(valueArb, valueArb, columnArb, (a, b, col) => {
      const ka = encodeKey([a], [col]);
      const kb = encodeKey([b], [col]);
      const expected = sign(compareValues(a, b, col.collation)) * (col.desc ? -1 : 1);
      assert.is(sign(compareBytes(ka, kb)), expected);
    }),
    fuzzParams(20000),
  );
});

test('key byte order equals tuple order for mixed multi-column keys', () => {
  const tuples = fc.integer({ min: 1, max: 4 }).chain((n) =>
    fc.tuple(fc.array(valueArb, { minLength: n, maxLength: n }), fc.array(valueArb, { minLength: n, maxLength: n }), fc.array(columnArb, { minLength: n, maxLength: n })),
  );
  fc.assert(
    fc.property(tuples, ([a, b, cols]) => {
      // Make equal leading columns likely so later columns decide.
      const b2 = b.map((v, i) => (i < b.length - 1 && (i + a.length) % 2 === 0 ? a[i]! : v));
      assert.is(sign(compareBytes(encodeKey(a, cols), encodeKey(b2, cols))), sign(compareTuples(a, b2, cols)));
    }),
    fuzzParams(10000),
  );
});

test('the key of a column prefix is a byte prefix and bounds every extension', () => {
  fc.assert(
    fc.property(fc.array(valueArb, { minLength: 1, maxLength: 4 }), fc.array(columnArb, { minLength: 4, maxLength: 4 }), fc.integer({ min: -5, max: 5 }), (vals, cols, rowid) => {
      const full = encodeKey(vals, cols, rowid);
      for (let k = 0; k <= vals.length; k++) {
        const p = encodeKey(vals.slice(0, k), cols);
        assert.ok(compareBytes(full.subarray(0, p.length), p) === 0);
        const succ = prefixSuccessor(p);
        if (succ !== null) assert.ok(compareBytes(full, succ) < 0);
      }
    }),
    fuzzParams(5000),
  );
});

test('keys of BINARY columns decode to values that compare equal', () => {
  fc.assert(
    fc.property(fc.array(valueArb, { maxLength: 4 }), fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), (vals, descs) => {
      const cols = descs.map((desc) => ({ desc }));
      const key = encodeKey(vals, cols, 42);
      const { values, offset } = decodeKey(key, vals.length, cols);
      assert.is(values.length, vals.length);
      for (let i = 0; i < vals.length; i++) assert.is(compareValues(values[i]!, vals[i]!), 0);
      assert.is(decodeRowidKey(key, offset), 42);
    }),
    fuzzParams(5000),
  );
});

test('rowid keys sort as signed 64-bit integers and round-trip', () => {
  const rowidArb = fc.oneof(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), fc.bigInt({ min: MIN_INT64, max: MAX_INT64 }).map(makeInteger));
  fc.assert(
    fc.property(rowidArb, rowidArb, (a, b) => {
      const ka = encodeRowidKey(a);
      const kb = encodeRowidKey(b);
      assert.is(sign(compareBytes(ka, kb)), sign(compareValues(a, b)));
      assert.is(decodeRowidKey(ka), a);
    }),
    fuzzParams(10000),
  );
});

function sameValue(a: SqlValue, b: SqlValue): boolean {
  if (a instanceof RealBox) return b instanceof RealBox && Object.is(a.value, b.value);
  if (a instanceof Uint8Array) return b instanceof Uint8Array && compareBytes(a, b) === 0;
  return Object.is(a, b);
}

test('rows round-trip exactly, whole and column by column', () => {
  fc.assert(
    fc.property(fc.array(valueArb, { maxLength: 8 }), (vals) => {
      const bytes = encodeRow(vals);
      const back = decodeRow(bytes);
      assert.is(back.length, vals.length);
      for (let i = 0; i < vals.length; i++) {
        assert.ok(sameValue(back[i]!, vals[i]!), `column ${i}`);
        assert.ok(sameValue(decodeColumn(bytes, i)!, vals[i]!), `decodeColumn ${i}`);
      }
      assert.is(decodeColumn(bytes, vals.length), undefined);
    }),
    fuzzParams(10000),
  );
});

test('decoders reject or survive arbitrary bytes with CORRUPTION only', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), fc.integer({ min: 0, max: 3 }), (bytes, n) => {
      for (const fn of [() => decodeRow(bytes), () => decodeColumn(bytes, n), () => decodeKey(bytes, n), () => decodeRowidKey(bytes)]) {
        try {
          fn();
        } catch (e) {
          assert.is((e as { code?: string }).code, 'CORRUPTION', String(e));
        }
      }
    }),
    fuzzParams(20000),
  );
});

test('mutating one byte of an encoded row never crashes the decoder', () => {
  fc.assert(
    fc.property(fc.array(valueArb, { minLength: 1, maxLength: 6 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (vals, pos, x) => {
      const bytes = encodeRow(vals);
      const at = pos % bytes.length;
      bytes[at] = bytes[at]! ^ x;
      try {
        decodeRow(bytes);
      } catch (e) {
        assert.is((e as { code?: string }).code, 'CORRUPTION', String(e));
      }
    }),
    fuzzParams(10000),
  );
});

test.run();
