/**
 * db.table() parameter binding against better-sqlite3 (SQLite's xBestIndex
 * with better-sqlite3's module): random WHERE clauses of equalities on the
 * parameters (to bound values, literals, NULL, other parameters, a joined
 * table's column), IN lists, ORs of equalities and positional arguments,
 * with or without a join. The rows must agree (as a multiset: a join may
 * be ordered differently) and, without a join, so must the generator's
 * calls. Skipped where better-sqlite3's addon does not load (Bun, Deno).
 *
 * Values are integers, reals, text and NULL (the parameters' hidden columns
 * have NUMERIC affinity, as better-sqlite3 declares them). At most one
 * equality between two parameters, after the other terms: SQLite's
 * propagation through such ties depends on the order of the terms in ways
 * not modelled (README).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { fuzzParams } from './budget.ts';
import { Sqlite3Database } from '../sql/compat.ts';
import { betterSqlite3OrNull } from '../scripts/slt-backend.ts';

interface Db {
  prepare(sql: string): { all(...a: unknown[]): unknown[] };
  exec(sql: string): unknown;
  table(name: string, def: unknown): unknown;
  close(): void;
}

const Oracle = betterSqlite3OrNull<new (path: string) => Db>();
if (Oracle === null) console.log('differential-vtab: better-sqlite3 does not load on this runtime; skipped');

const PARAMS = ['x', 'y', 'z'];

interface Case {
  readonly positional: readonly (number | string | null)[];
  readonly terms: readonly string[];
  readonly join: boolean;
  readonly binds: readonly (number | string | null)[];
}

const value = fc.oneof(fc.integer({ min: 0, max: 2 }), fc.constantFrom(null, '1', 'a', 1.5));

/** One conjunct on parameter `p`; `?` takes the next bound value. */
const term = (p: string, join: boolean): fc.Arbitrary<string> => {
  const param = fc.constant(p);
  return fc.oneof(
    fc.tuple(param, fc.constantFrom('?', '0', '1', "'1'", "'a'", 'NULL', ...(join ? ['t.a'] : []))).map(([p, v]) => `${p} = ${v}`),
    fc.tuple(param, fc.array(fc.constantFrom('0', '1', '2', "'1'", 'NULL', '?'), { minLength: 1, maxLength: 3 })).map(([p, vs]) => `${p} IN (${vs.join(', ')})`),
    fc.tuple(param, fc.constantFrom('0', '1', '?'), fc.constantFrom('1', '2', '?')).map(([p, a, b]) => `(${p} = ${a} OR ${p} = ${b})`),
  );
};

const filter = fc.constantFrom('v >= 0', 'v IS NULL', 'w = v');

/**
 * The WHERE clause constrains only the parameters not given by position, each by one term (SQLite's
 * choice between a positional argument, the WHERE values and IN lists reaching the same parameter
 * depends on the terms' form and order in ways not modelled: which value binds, not the rows).
 */
const caseArb: fc.Arbitrary<Case> = fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 2 })).chain(([join, nPos]) => {
  const free = PARAMS.slice(nPos);
  return fc.record({
    positional: fc.array(value, { minLength: nPos, maxLength: nPos }),
    terms: fc
      .tuple(
        fc.subarray(free).chain((ps) => fc.tuple(...ps.map((p) => term(p, join)))),
        fc.array(filter, { maxLength: 2 }),
        fc.option(fc.tuple(fc.constantFrom(...free), fc.constantFrom(...free)), { nil: undefined }),
      )
      .chain(([ts, fs, link]) => fc.shuffledSubarray([...ts, ...fs], { minLength: ts.length + fs.length }).map((all) => (link === undefined ? all : [...all, `${link[0]} = ${link[1]}`]))),
    join: fc.constant(join),
    binds: fc.array(value, { minLength: 16, maxLength: 16 }),
  });
});

function sqlOf(c: Case): { sql: string; params: (number | string | null)[] } {
  const args = c.positional.map(() => '?');
  const from = `vt${args.length > 0 ? `(${args.join(', ')})` : ''}${c.join ? ', t' : ''}`;
  const where = c.terms.length > 0 ? ` WHERE ${c.terms.join(' AND ')}` : '';
  const sql = `SELECT v, w${c.join ? ', t.a' : ''} FROM ${from}${where}`;
  const n = (sql.match(/\?/g) ?? []).length;
  const params = [...c.positional, ...c.binds].slice(0, n);
  return { sql, params };
}

function run(db: Db, c: Case): unknown {
  const calls: unknown[] = [];
  db.table('vt', {
    columns: ['v', 'w'],
    parameters: [...PARAMS],
    *rows(x: unknown, y: unknown, z: unknown) {
      calls.push([x, y, z]);
      yield [x, y];
      yield [z, 1];
    },
  });
  db.exec('CREATE TABLE t(a INTEGER); INSERT INTO t VALUES (0), (1), (2)');
  const { sql, params } = sqlOf(c);
  try {
    const rows = db.prepare(sql).all(...params).map((r) => JSON.stringify(r)).sort();
    return c.join ? { rows } : { rows, calls };
  } catch (e) {
    return { error: (e as Error).message.split('\n')[0] };
  } finally {
    db.close();
  }
}

test('db.table() parameters bind, filter and call the generator as in better-sqlite3', () => {
  if (Oracle === null) return;
  const O = Oracle;
  fc.assert(
    fc.property(caseArb, (c) => {
      const ours = run(Sqlite3Database(':memory:') as unknown as Db, c);
      const theirs = run(new O(':memory:'), c);
      assert.equal(ours, theirs, sqlOf(c).sql);
    }),
    { ...fuzzParams<[Case]>(300), includeErrorInReport: true },
  );
});

test.run();
