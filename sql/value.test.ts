// SQLite value semantics, checked against answers SQLite 3.53 gives for the
// same expressions (each label is the SQL; the expectation is SQLite's
// typeof() and quote() of the result). fuzz/values-oracle.test.ts runs the
// same comparison live and exhaustively; these cases run on every runtime.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type SqlValue, RealBox } from '../format/sql-value.ts';
import * as V from './value.ts';
import { quoteValue } from './functions.ts';

const MIN = -(2n ** 63n);
const MAX = 2n ** 63n - 1n;
const r = (x: number): SqlValue => V.makeReal(x);

const cases: [string, () => SqlValue, string, string][] = [
  ["'12abc' + 0", () => V.add('12abc', 0), 'integer', '12'],
  ["' 3.5 ' + 0", () => V.add(' 3.5 ', 0), 'real', '3.5'],
  ["'0x10' + 0", () => V.add('0x10', 0), 'integer', '0'],
  ["'1e3' + 0", () => V.add('1e3', 0), 'real', '1000.0'],
  ['7 / 2', () => V.divide(7, 2), 'integer', '3'],
  ['-7 / 2', () => V.divide(-7, 2), 'integer', '-3'],
  ['7 % -3', () => V.remainder(7, -3), 'integer', '1'],
  ['-7 % 3', () => V.remainder(-7, 3), 'integer', '-1'],
  ['5.5 % 2', () => V.remainder(5.5, 2), 'real', '1.0'],
  ['1 / 0', () => V.divide(1, 0), 'null', 'NULL'],
  ['1.0 / 0', () => V.divide(r(1), 0), 'null', 'NULL'],
  ['1 % 0', () => V.remainder(1, 0), 'null', 'NULL'],
  ['9223372036854775807 + 1', () => V.add(MAX, 1), 'real', '9.2233720368547758e+18'],
  ['-9223372036854775808 - 1', () => V.subtract(MIN, 1), 'real', '-9.2233720368547758e+18'],
  ['9223372036854775807 * 2', () => V.multiply(MAX, 2), 'real', '1.8446744073709552e+19'],
  ['-9223372036854775808 / -1', () => V.divide(MIN, -1), 'real', '9.2233720368547758e+18'],
  ['1 << 63', () => V.shiftLeft(1, 63), 'integer', '-9223372036854775808'],
  ['1 << 64', () => V.shiftLeft(1, 64), 'integer', '0'],
  ['-1 >> 70', () => V.shiftRight(-1, 70), 'integer', '-1'],
  ['5 >> -1', () => V.shiftRight(5, -1), 'integer', '10'],
  ['~5', () => V.bitNot(5), 'integer', '-6'],
  ['6 & 3', () => V.bitAnd(6, 3), 'integer', '2'],
  ['6 | 3', () => V.bitOr(6, 3), 'integer', '7'],
  ["1.0 || ''", () => V.concat(r(1), ''), 'text', "'1.0'"],
  ["1e20 || ''", () => V.concat(r(1e20), ''), 'text', "'1.0e+20'"],
  ["0.1 || ''", () => V.concat(0.1, ''), 'text', "'0.1'"],
  ["(0.1 + 0.2) || ''", () => V.concat(V.add(0.1, 0.2), ''), 'text', "'0.30000000000000004'"],
  ["1.5e-7 || ''", () => V.concat(1.5e-7, ''), 'text', "'1.5e-07'"],
  ["100.0 || ''", () => V.concat(r(100), ''), 'text', "'100.0'"],
  ["1e15 || ''", () => V.concat(r(1e15), ''), 'text', "'1000000000000000.0'"],
  ["1e17 || ''", () => V.concat(r(1e17), ''), 'text', "'1.0e+17'"],
  ["-0.0 || ''", () => V.concat(r(-0), ''), 'text', "'0.0'"],
  ["(1e308 * 10) || ''", () => V.concat(V.multiply(r(1e308), 10), ''), 'text', "'Inf'"],
  ["CAST('1e3' AS INTEGER)", () => V.castValue('1e3', 'INTEGER'), 'integer', '1'],
  ["CAST('  -12  ' AS INTEGER)", () => V.castValue('  -12  ', 'INTEGER'), 'integer', '-12'],
  ['CAST(3.99 AS INTEGER)', () => V.castValue(3.99, 'INTEGER'), 'integer', '3'],
  ['CAST(-3.99 AS INTEGER)', () => V.castValue(-3.99, 'INTEGER'), 'integer', '-3'],
  ['CAST(1e30 AS INTEGER)', () => V.castValue(r(1e30), 'INTEGER'), 'integer', '9223372036854775807'],
  ["CAST('abc' AS REAL)", () => V.castValue('abc', 'REAL'), 'real', '0.0'],
  ["CAST('3.0' AS NUMERIC)", () => V.castValue('3.0', 'NUMERIC'), 'integer', '3'],
  ["CAST('1e3' AS NUMERIC)", () => V.castValue('1e3', 'NUMERIC'), 'integer', '1000'],
  ['CAST(3.0 AS NUMERIC)', () => V.castValue(r(3), 'NUMERIC'), 'real', '3.0'],
  ["CAST('12abc' AS NUMERIC)", () => V.castValue('12abc', 'NUMERIC'), 'integer', '12'],
  ["CAST(x'3132' AS INTEGER)", () => V.castValue(new Uint8Array([0x31, 0x32]), 'INTEGER'), 'integer', '12'],
  ['CAST(12 AS BLOB)', () => V.castValue(12, 'BLOB'), 'blob', "X'3132'"],
  ["CAST('9223372036854775808' AS NUMERIC)", () => V.castValue('9223372036854775808', 'NUMERIC'), 'real', '9.2233720368547758e+18'],
  ["NOT 'abc'", () => V.sqlNot('abc'), 'integer', '1'],
  ["NOT '1abc'", () => V.sqlNot('1abc'), 'integer', '0'],
  ['NOT 0.0', () => V.sqlNot(r(0)), 'integer', '1'],
  ['NULL AND 0', () => V.sqlAnd(null, 0), 'integer', '0'],
  ['NULL OR 1', () => V.sqlOr(null, 1), 'integer', '1'],
  ["-'abc'", () => V.negate('abc'), 'integer', '0'],
  ['-NULL', () => V.negate(null), 'null', 'NULL'],
  ["'a' || NULL", () => V.concat('a', null), 'null', 'NULL'],
  ['1 || 2', () => V.concat(1, 2), 'text', "'12'"],
];

for (const [sql, fn, type, quoted] of cases) {
  test(`${sql} gives ${type} ${quoted} as in SQLite`, () => {
    const v = fn();
    assert.is(V.typeOf(v), type);
    assert.is(quoteValue(v), quoted);
  });
}

test('sort order: NULL < numbers by exact value < TEXT by collation < BLOB', () => {
  const sorted: SqlValue[] = [null, -Infinity, MIN, -1.5, 0, new RealBox(1), 2n ** 53n, 2n ** 53n + 1n, MAX, Infinity, '', 'A', 'B', 'a', new Uint8Array([]), new Uint8Array([0])];
  for (let i = 0; i < sorted.length; i++)
    for (let j = 0; j < sorted.length; j++) {
      const c = Math.sign(V.compareValues(sorted[i]!, sorted[j]!));
      const expected = Math.sign(i - j) || 0;
      // 0 and RealBox(1) are distinct; no two entries are equal.
      assert.is(c, expected, `${String(sorted[i])} vs ${String(sorted[j])}`);
    }
  assert.is(V.compareValues(1, new RealBox(1)), 0);
  assert.is(V.compareValues('a', 'A', 'NOCASE'), 0);
  assert.is(V.compareValues('x  ', 'x', 'RTRIM'), 0);
  assert.ok(V.compareValues('_', 'a', 'NOCASE') < 0 && V.compareValues('_', 'A', 'BINARY') > 0);
});

test('affinity of declared types follows the five rules in order', () => {
  const expected: [string | null, V.Affinity][] = [
    ['INT', 'INTEGER'], ['BIGINT', 'INTEGER'], ['POINT', 'INTEGER'], ['CHARINT', 'INTEGER'], ['VARCHAR(255)', 'TEXT'], ['NCHAR', 'TEXT'], ['CLOB', 'TEXT'],
    ['BLOB', 'BLOB'], ['', 'BLOB'], [null, 'BLOB'], ['REAL', 'REAL'], ['DOUBLE PRECISION', 'REAL'], ['FLOAT', 'REAL'], ['NUMERIC', 'NUMERIC'], ['DECIMAL(10,5)', 'NUMERIC'],
    ['BOOLEAN', 'NUMERIC'], ['DATETIME', 'NUMERIC'], ['STRING', 'NUMERIC'], ['FLOATING POINT', 'INTEGER'],
  ];
  for (const [t, a] of expected) assert.is(V.affinityOf(t), a, String(t));
});

test('applying column affinity converts as storing in the column does', () => {
  assert.is(V.applyAffinity('123', 'INTEGER'), 123);
  assert.is(V.applyAffinity(' 12 ', 'NUMERIC'), 12);
  assert.is(V.applyAffinity('3.0', 'NUMERIC'), 3);
  assert.is(V.applyAffinity('3.5', 'INTEGER'), 3.5);
  assert.is(V.applyAffinity('12abc', 'INTEGER'), '12abc');
  assert.is(V.applyAffinity('0x10', 'NUMERIC'), '0x10');
  assert.is(V.applyAffinity('9007199254740993', 'INTEGER'), 9007199254740993n);
  assert.equal(V.applyAffinity(3, 'REAL'), new RealBox(3));
  assert.equal(V.applyAffinity('7', 'REAL'), new RealBox(7));
  assert.is(V.applyAffinity(new RealBox(3), 'INTEGER'), 3);
  assert.is(V.applyAffinity(15, 'TEXT'), '15');
  assert.is(V.applyAffinity(1.5, 'TEXT'), '1.5');
  assert.is(V.applyAffinity('15', 'BLOB'), '15');
  const blob = new Uint8Array([0x31]);
  assert.is(V.applyAffinity(blob, 'INTEGER'), blob);
});

test('comparison affinity: numeric column vs text literal compares numerically, TEXT column vs number compares as text', () => {
  // CREATE TABLE t(i INTEGER, t TEXT, b BLOB); i=5, t='5', b=5
  assert.is(V.compareWithAffinity(5, 'INTEGER', '5', null), 0);
  assert.is(V.compareWithAffinity('5', 'TEXT', 5, null), 0);
  assert.ok(V.compareWithAffinity(5, 'BLOB', '5', null)! < 0);
  assert.ok(V.compareWithAffinity('10', 'TEXT', 9, null)! < 0); // '10' < '9' as text
  assert.is(V.compareWithAffinity(null, 'INTEGER', 1, null), null);
  assert.is(V.comparisonAffinity('TEXT', 'BLOB'), null);
  assert.is(V.comparisonAffinity('TEXT', 'REAL'), 'NUMERIC');
  assert.is(V.comparisonAffinity(null, 'TEXT'), 'TEXT');
});

test('text → number conversions take the longest numeric prefix', () => {
  assert.is(V.toInteger('  42xyz'), 42);
  assert.is(V.toInteger('99999999999999999999'), MAX);
  assert.is(V.toInteger('-99999999999999999999'), MIN);
  assert.is(V.toReal('3.5kg'), 3.5);
  assert.is(V.toReal('-.5e1x'), -5);
  assert.equal(V.toNumeric('1.'), new RealBox(1));
  assert.is(V.parseNumericText(' 12 '), 12);
  assert.is(V.parseNumericText('12 a'), null);
  assert.is(V.isTruthy('0.0'), false);
  assert.is(V.isTruthy(' 1'), true);
  assert.is(V.isTruthy(null), null);
});

test.run();
