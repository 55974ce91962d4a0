/**
 * Differential testing against SQLite (better-sqlite3, the oracle): random
 * schemas, rows and queries (fuzz/sqlgen.ts) run on HeliosDB and on SQLite;
 * every statement must succeed on both or fail on both, and every query
 * must return the same columns and the same values with the same storage
 * classes — in the same order when ORDER BY covers every output column,
 * else as multisets. A crash (an error that is not a typed HeliosError)
 * always fails.
 *
 * One campaign per query shape, so a shape the engine does not support yet
 * fails on its own. Failures print the fast-check seed and path (replay with
 * `npm test -- fuzz/differential --seed S`, HELIOS_FUZZ_PATH=P) and the
 * minimal SQL script. Queries using a feature in INTENDED_DIFFERENCES are
 * not compared.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { fuzzParams } from './budget.ts';
import { INTENDED_DIFFERENCES, SHAPES, isIntendedDifference, scenarioArb, scenarioScript, setupStatements, type GenScenario, type Shape } from './sqlgen.ts';
import { createSqliteBackend, type QueryResult, type SltBackend } from '../scripts/slt-backend.ts';
import { createHeliosBackend } from '../scripts/slt-helios.ts';
import { describeError, isCrash } from '../scripts/slt-run.ts';
import type { SltValue } from '../scripts/slt-format.ts';

type Outcome = { readonly ok: true; readonly result: QueryResult } | { readonly ok: false; readonly error: string; readonly crash: boolean };

function attempt(run: () => QueryResult): Outcome {
  try {
    return { ok: true, result: run() };
  } catch (e) {
    return { ok: false, error: describeError(e), crash: isCrash(e) };
  }
}

/** A value as a string that is equal for equal values of the same storage class (0.0 and -0.0 are equal). */
export function valueKey(v: SltValue): string {
  if (v === null) return 'N';
  if (typeof v === 'bigint') return `I${v}`;
  if (typeof v === 'number') return `R${v === 0 ? 0 : v}`;
  if (typeof v === 'string') return `T${JSON.stringify(v)}`;
  let hex = '';
  for (const b of v) hex += b.toString(16).padStart(2, '0');
  return `B${hex}`;
}

function showRows(rows: readonly (readonly SltValue[])[]): string {
  const shown = rows.slice(0, 20).map((r) => `(${r.map((v) => valueKey(v)).join(', ')})`);
  return shown.join(' ') + (rows.length > 20 ? ` ... ${rows.length} rows` : '');
}

/** Null when the outcomes agree, else a description of the difference. */
export function compareOutcomes(expected: Outcome, actual: Outcome, ordered: boolean): string | null {
  if (!actual.ok && actual.crash) return `helios crashed: ${actual.error}${expected.ok ? '' : ` (sqlite: ${expected.error})`}`;
  if (!expected.ok && !actual.ok) return null;
  if (!expected.ok && actual.ok) return `sqlite failed (${expected.error}) but helios returned ${showRows(actual.result.rows)}`;
  if (expected.ok && !actual.ok) return `helios failed (${actual.error}) but sqlite returned ${showRows(expected.result.rows)}`;
  if (!expected.ok || !actual.ok) return null;
  const e = expected.result;
  const a = actual.result;
  if (e.columnCount !== a.columnCount) return `column count: sqlite ${e.columnCount}, helios ${a.columnCount}`;
  const ek = e.rows.map((r) => r.map(valueKey).join('\u0000'));
  const ak = a.rows.map((r) => r.map(valueKey).join('\u0000'));
  if (!ordered) {
    ek.sort();
    ak.sort();
  }
  if (ek.length === ak.length && ek.every((k, i) => k === ak[i])) return null;
  return `${ordered ? 'ordered ' : ''}rows differ:\n    sqlite: ${showRows(e.rows)}\n    helios: ${showRows(a.rows)}`;
}

/**
 * Runs a scenario on both backends; throws an Error naming the statement,
 * the difference and the script up to it when they disagree.
 */
export function checkScenario(s: GenScenario, makeOracle: () => SltBackend, makeSubject: () => SltBackend): void {
  const oracle = makeOracle();
  const subject = makeSubject();
  try {
    const setup = setupStatements(s);
    for (let i = 0; i < setup.length; i++) {
      const sql = setup[i]!;
      const run = (b: SltBackend) => () => (b.exec(sql), { columnCount: 0, rows: [] });
      const diff = compareOutcomes(attempt(run(oracle)), attempt(run(subject)), true);
      if (diff !== null) throw new Error(`statement differs: ${sql}\n  ${diff}\n-- script:\n${setup.slice(0, i + 1).join(';\n')};`);
    }
    s.queries.forEach((q, k) => {
      if (isIntendedDifference(q)) return;
      const diff = compareOutcomes(attempt(() => oracle.query(q.sql)), attempt(() => subject.query(q.sql)), q.ordered);
      if (diff !== null) throw new Error(`query differs: ${q.sql}\n  ${diff}\n-- script:\n${scenarioScript(s, k)}`);
    });
  } finally {
    oracle.close();
    subject.close();
  }
}

const heliosBackend = (): SltBackend => createHeliosBackend({ memory: true });

/** CI budget (scenarios) per shape; `npm run fuzz` multiplies it. */
const CI_RUNS: Record<Shape, number> = { select: 150, aggregate: 100, join: 80, subquery: 80, compound: 60 };

const SHAPE_NAMES: Record<Shape, string> = {
  select: 'single-table SELECT (expressions, WHERE, DISTINCT, ORDER BY, LIMIT)',
  aggregate: 'aggregates, GROUP BY and HAVING',
  join: 'inner, left and cross joins',
  subquery: 'scalar, IN, EXISTS, correlated and derived-table subqueries',
  compound: 'UNION, UNION ALL, INTERSECT and EXCEPT',
};

// --- the harness itself can fail ---------------------------------------------

test('generated queries do not depend on an unspecified row order (SQLite vs SQLite with reversed scans)', () => {
  const reversed = (): SltBackend => createSqliteBackend(['reverse_unordered_selects = ON']);
  fc.assert(
    fc.property(scenarioArb(SHAPES), (s) => checkScenario(s, () => createSqliteBackend(), reversed)),
    { ...fuzzParams<[GenScenario]>(300), includeErrorInReport: true },
  );
});

test('the comparison catches a lost row, a changed storage class and an error mismatch', () => {
  const rows: SltValue[][] = [[1n, 'a'], [2n, null]];
  const ok = (r: SltValue[][]): Outcome => ({ ok: true, result: { columnCount: 2, rows: r } });
  assert.is(compareOutcomes(ok(rows), ok([...rows].reverse()), false), null);
  assert.ok(compareOutcomes(ok(rows), ok([...rows].reverse()), true) !== null, 'order matters when ordered');
  assert.ok(compareOutcomes(ok(rows), ok(rows.slice(1)), false) !== null, 'lost row');
  assert.ok(compareOutcomes(ok([[1n]]), ok([[1]]), false) !== null, 'INTEGER 1 vs REAL 1.0');
  assert.ok(compareOutcomes(ok(rows), { ok: false, error: 'x', crash: false }, false) !== null, 'error vs rows');
  assert.is(compareOutcomes({ ok: false, error: 'x', crash: false }, { ok: false, error: 'y', crash: false }, false), null);
  assert.ok(compareOutcomes({ ok: false, error: 'x', crash: false }, { ok: false, error: 'TypeError', crash: true }, false) !== null, 'crash');
  assert.is(compareOutcomes(ok([[0]]), ok([[-0]]), true), null);
});

test('intended differences are named with a reason', () => {
  for (const d of INTENDED_DIFFERENCES) {
    assert.ok(d.feature.length > 0 && d.why.length > 0);
  }
});

// --- HeliosDB against SQLite, one campaign per shape ------------------------------

for (const shape of SHAPES) {
  test(`${SHAPE_NAMES[shape]} give the same results as SQLite`, () => {
    fc.assert(
      fc.property(scenarioArb([shape]), (s) => checkScenario(s, () => createSqliteBackend(), heliosBackend)),
      { ...fuzzParams<[GenScenario]>(CI_RUNS[shape]), includeErrorInReport: true },
    );
  });
}

test.run();
