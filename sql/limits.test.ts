/**
 * SQL size limits (sql/limits.ts): every long or deep shape is either run or
 * refused with TOO_BIG — never a RangeError, a hang or a half-applied
 * statement. Where SQLite decides, we decide the same; the table below holds
 * SQLite's decisions (measured with 3.53) and is checked against
 * better-sqlite3 wherever the runtime loads it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Database } from './database.ts';
import { isHeliosError } from '../format/errors.ts';
import { sqliteOracleOrNull } from '../scripts/slt-backend.ts';
import { MAX_COMPOUND_TERMS, MAX_EXPR_HEIGHT, MAX_PARSER_DEPTH, MAX_QUERY_NESTING } from './limits.ts';

type Oracle = { prepare(sql: string): { reader: boolean; all(): unknown[]; run(): unknown } ; exec(sql: string): void; close(): void };
const openOracle = sqliteOracleOrNull<Oracle>('limits.test', 'checking against the recorded SQLite decisions only');

const SETUP = 'CREATE TABLE t(x); INSERT INTO t VALUES (1)';
const n = (k: number, s: string): string[] => Array.from({ length: k }, () => s);
const cteChain = (k: number): string => {
  let s = 'WITH c0 AS (SELECT 1 AS x)';
  for (let i = 1; i < k; i++) s += `, c${i} AS (SELECT x FROM c${i - 1})`;
  return `${s} SELECT x FROM c${k - 1}`;
};

/** What happened: 'ok', or the refusal (our TOO_BIG message, SQLite's message). */
function ours(db: Database, sql: string): { ok: boolean; message: string } {
  try {
    const st = db.prepare(sql);
    if (st.reader) st.all();
    else st.run();
    return { ok: true, message: '' };
  } catch (e) {
    if (!isHeliosError(e, 'TOO_BIG')) throw new Error(`${sql.slice(0, 60)}…: expected success or TOO_BIG, got ${String(e)}`);
    return { ok: false, message: e.message };
  }
}

function theirs(db: Oracle, sql: string): { ok: boolean; message: string } {
  try {
    const st = db.prepare(sql);
    if (st.reader) st.all();
    else st.run();
    return { ok: true, message: '' };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}

/** [shape, SQL, SQLite accepts it, message SQLite and we give when refused]. */
const SAME_AS_SQLITE: [string, string, boolean, RegExp | null][] = [
  ['1+1+… of 1000 terms', `SELECT ${n(1000, '1').join('+')}`, true, null],
  ['1+1+… of 1001 terms', `SELECT ${n(1001, '1').join('+')}`, false, /Expression tree is too large \(maximum depth 1000\)/],
  ['1+1+… of 3000 terms', `SELECT ${n(3000, '1').join('+')}`, false, /Expression tree is too large/],
  ['x OR x OR … of 3000 terms', `SELECT ${n(3000, 'x').join(' OR ')} FROM t`, false, /Expression tree is too large/],
  ['x AND … of 1000 terms in WHERE', `SELECT 1 FROM t WHERE ${n(1000, 'x').join(' AND ')}`, true, null],
  ["'a' || … of 3000 terms", `SELECT ${n(3000, "'a'").join(' || ')}`, false, /Expression tree is too large/],
  ["'a' || … of 1000 terms", `SELECT ${n(1000, "'a'").join(' || ')}`, true, null],
  ['999 NOTs', `SELECT ${'NOT '.repeat(999)}x FROM t`, true, null],
  ['1000 NOTs', `SELECT ${'NOT '.repeat(1000)}x FROM t`, false, /Expression tree is too large/],
  ['999 unary minus', `SELECT ${'- '.repeat(999)}x FROM t`, true, null],
  ['1000 unary minus', `SELECT ${'- '.repeat(1000)}x FROM t`, false, /Expression tree is too large/],
  ['1000 nested parentheses', `SELECT ${'('.repeat(1000)}1${')'.repeat(1000)}`, true, null],
  ['100000 nested parentheses', `SELECT ${'('.repeat(100000)}1${')'.repeat(100000)}`, false, null],
  ['20000 COLLATEs', `SELECT x${' COLLATE NOCASE'.repeat(20000)} FROM t`, true, null],
  ['43 nested scalar subqueries', `SELECT ${'(SELECT '.repeat(43)}1${')'.repeat(43)}`, true, null],
  ['44 nested scalar subqueries', `SELECT ${'(SELECT '.repeat(44)}1${')'.repeat(44)}`, false, /Expression tree is too large/],
  ['1000 nested scalar subqueries', `SELECT ${'(SELECT '.repeat(1000)}1${')'.repeat(1000)}`, false, null],
  ['43 nested EXISTS', `SELECT ${'EXISTS (SELECT '.repeat(43)}1${')'.repeat(43)}`, true, null],
  ['44 nested EXISTS', `SELECT ${'EXISTS (SELECT '.repeat(44)}1${')'.repeat(44)}`, false, /Expression tree is too large/],
  ['a subquery holding a 998-term sum', `SELECT (SELECT ${n(998, '1').join('+')})`, false, /Expression tree is too large/],
  ['a FROM subquery holding a 999-term sum', `SELECT * FROM (SELECT ${n(999, '1').join('+')}) WHERE (SELECT ${n(10, '1').join('+')})`, true, null],
  ['1000 nested CAST', `SELECT ${'CAST('.repeat(1000)}1${' AS INT)'.repeat(1000)}`, false, /Expression tree is too large/],
  ['100 nested FROM subqueries', `SELECT * FROM ${'(SELECT * FROM '.repeat(100)}(SELECT 1)${')'.repeat(100)}`, true, null],
  ['1000 nested FROM subqueries', `SELECT * FROM ${'(SELECT * FROM '.repeat(1000)}(SELECT 1)${')'.repeat(1000)}`, false, null],
  ['2000 nested function calls', `SELECT ${'abs('.repeat(2000)}1${')'.repeat(2000)}`, false, null],
  ['2000 nested CASE', `SELECT ${'CASE WHEN 1 THEN '.repeat(2000)}1${' END'.repeat(2000)}`, false, null],
  ['2000 nested WITH', `${'WITH a AS ('.repeat(2000)}SELECT 1${') SELECT * FROM a'.repeat(2000)}`, false, null],
  ['100 chained CTEs', cteChain(100), true, null],
  ['compound SELECT of 500 terms', n(500, 'SELECT 1').join(' UNION ALL '), true, null],
  ['compound SELECT of 501 terms', n(501, 'SELECT 1').join(' UNION ALL '), false, /too many terms in compound SELECT/],
  ['compound SELECT of 3000 terms', n(3000, 'SELECT 1').join(' UNION '), false, /too many terms in compound SELECT/],
  ['VALUES of 100000 rows', `VALUES ${n(100000, '(1)').join(',')}`, true, null],
  ['IN list of 100000 items', `SELECT 1 IN (${n(100000, '1').join(',')})`, true, null],
  ['CASE of 100000 WHENs', `SELECT CASE ${n(100000, 'WHEN 0 THEN 1').join(' ')} END`, true, null],
  ['a join of 64 tables', `SELECT count(*) FROM ${Array.from({ length: 64 }, (_, i) => `t t${i}`).join(', ')}`, true, null],
  ['a join of 65 tables', `SELECT count(*) FROM ${Array.from({ length: 65 }, (_, i) => `t t${i}`).join(', ')}`, false, /at most 64 tables in a join/],
  ['a join of 200 tables', `SELECT 1 FROM ${Array.from({ length: 200 }, (_, i) => `t t${i}`).join(' JOIN ')}`, false, /at most 64 tables in a join/],
  ['a join of 5000 tables', `SELECT 1 FROM ${Array.from({ length: 5000 }, (_, i) => `t t${i}`).join(' JOIN ')}`, false, /too many FROM clause terms, max: 200/],
  ['CHECK of a 1000-term sum', `CREATE TABLE q(a CHECK (${n(1000, '1').join('+')}))`, true, null],
];

test('long operator chains, deep nesting and long compounds are run or refused with TOO_BIG exactly as SQLite decides', () => {
  assert.is(MAX_EXPR_HEIGHT, 1000);
  assert.is(MAX_COMPOUND_TERMS, 500);
  const db = new Database(':memory:');
  db.exec(SETUP);
  const oracle = openOracle?.() ?? null;
  oracle?.exec(SETUP);
  for (const [shape, sql, accepts, message] of SAME_AS_SQLITE) {
    if (oracle) assert.is(theirs(oracle, sql).ok, accepts, `SQLite's decision on ${shape} is not the one recorded`);
    const r = ours(db, sql);
    assert.is(r.ok, accepts, `${shape}: ${r.message}`);
    if (message) {
      assert.match(r.message, message, shape);
      if (oracle) assert.match(theirs(oracle, sql).message, message, `SQLite's message on ${shape}`);
    }
  }
  assert.equal(db.prepare('SELECT x FROM t').pluck().all(), [1]);
  db.close();
  oracle?.close();
});

test('the value of a 1000-term chain is what SQLite computes', () => {
  const db = new Database(':memory:');
  assert.is(db.prepare(`SELECT ${n(1000, '1').join('+')}`).pluck().get(), 1000);
  assert.is(db.prepare(`SELECT length(${n(999, "'ab'").join(' || ')})`).pluck().get(), 1998);
  assert.is(db.prepare(`SELECT ${n(999, '0').join(' OR ')} OR 1`).pluck().get(), 1);
  db.close();
});

test('CTEs, views and FROM subqueries nested past MAX_QUERY_NESTING are TOO_BIG (SQLite accepts them: README)', () => {
  assert.is(MAX_QUERY_NESTING, 250);
  const db = new Database(':memory:');
  assert.is(db.prepare(cteChain(MAX_QUERY_NESTING)).pluck().get(), 1);
  for (const sql of [cteChain(MAX_QUERY_NESTING + 1), cteChain(3000), `SELECT * FROM ${'(SELECT * FROM '.repeat(400)}(SELECT 1)${')'.repeat(400)}`]) {
    assert.throws(() => db.prepare(sql).all(), (e: unknown) => isHeliosError(e, 'TOO_BIG') && /nested more than 250 levels/.test((e as Error).message));
  }
  db.exec('CREATE VIEW v0 AS SELECT 1 AS x');
  for (let i = 1; i < 1000; i++) db.exec(`CREATE VIEW v${i} AS SELECT x FROM v${i - 1}`);
  assert.is(db.prepare(`SELECT x FROM v${MAX_QUERY_NESTING - 1}`).pluck().get(), 1);
  assert.throws(() => db.prepare('SELECT x FROM v999').all(), (e: unknown) => isHeliosError(e, 'TOO_BIG'));
  db.close();
});

test('an INSERT refused for its size writes nothing', () => {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t(x)');
  assert.throws(() => db.prepare(`INSERT INTO t SELECT ${n(1001, '1').join('+')}`).run(), (e: unknown) => isHeliosError(e, 'TOO_BIG'));
  assert.throws(() => db.prepare(`INSERT INTO t ${cteChain(1000)}`).run(), (e: unknown) => isHeliosError(e, 'TOO_BIG'));
  assert.throws(() => db.prepare(`INSERT INTO t ${n(501, 'SELECT 1').join(' UNION ALL ')}`).run(), (e: unknown) => isHeliosError(e, 'TOO_BIG'));
  assert.is(db.prepare('SELECT count(*) FROM t').pluck().get(), 0);
  db.close();
});

test('a CTE or view referring to itself is "circular reference" / "circularly defined", not a stack overflow', () => {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t(x)');
  for (const sql of ['WITH a AS (SELECT * FROM a) SELECT * FROM a', 'WITH RECURSIVE a AS (SELECT * FROM a) SELECT * FROM a', 'WITH t AS (SELECT x + 1 AS x FROM t) SELECT * FROM t', 'WITH a AS (SELECT * FROM b), b AS (SELECT * FROM a) SELECT * FROM a']) {
    assert.throws(() => db.prepare(sql).all(), (e: unknown) => isHeliosError(e, 'SQL_ERROR') && /circular reference/.test((e as Error).message), sql);
  }
  db.exec('CREATE TABLE b(x); CREATE VIEW a AS SELECT * FROM b; DROP TABLE b; CREATE VIEW b AS SELECT * FROM a');
  assert.throws(() => db.prepare('SELECT * FROM a').all(), (e: unknown) => isHeliosError(e, 'SQL_ERROR') && /circularly defined/.test((e as Error).message));
  db.close();
});

test('a CTE referred to twice is planned once and read once, so a chain of doubled references is linear, and random() agrees (as SQLite)', () => {
  const db = new Database(':memory:');
  let s = 'WITH c0 AS (SELECT 1 AS x)';
  for (let i = 1; i < 60; i++) s += `, c${i} AS (SELECT a.x FROM c${i - 1} a, c${i - 1} b)`;
  assert.is(db.prepare(`${s} SELECT count(*) FROM c59`).pluck().get(), 1);
  assert.is(db.prepare('WITH a AS (SELECT random() AS r) SELECT (SELECT r FROM a) = (SELECT r FROM a)').pluck().get(), 1);
  assert.is(db.prepare('WITH a AS (SELECT random() AS r) SELECT x.r = y.r FROM a x, a y').pluck().get(), 1);
  db.close();
});

test('the parser refuses nesting deeper than MAX_PARSER_DEPTH before the stack runs out', () => {
  assert.is(MAX_PARSER_DEPTH, 1100);
  const db = new Database(':memory:');
  assert.is(db.prepare(`SELECT ${'('.repeat(MAX_PARSER_DEPTH - 2)}1${')'.repeat(MAX_PARSER_DEPTH - 2)}`).pluck().get(), 1);
  assert.throws(() => db.prepare(`SELECT ${'('.repeat(MAX_PARSER_DEPTH)}1${')'.repeat(MAX_PARSER_DEPTH)}`), (e: unknown) => isHeliosError(e, 'TOO_BIG'));
  db.close();
});

test.run();
