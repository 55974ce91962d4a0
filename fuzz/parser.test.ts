/**
 * Property campaigns for the SQL front end (sql/lexer.ts, sql/parser.ts):
 *
 * 1. Robustness: random token soup, random strings and mutations of valid SQL
 *    never make the parser throw anything but a HeliosError (SQL_SYNTAX,
 *    SQL_ERROR or TOO_BIG) — no TypeError, RangeError or hang.
 * 2. Canonical form: whatever parses prints (formatStatement) to SQL that
 *    parses back to the same tree and prints identically.
 * 3. SQLite as the oracle for the grammar: a random expression is a syntax
 *    error for us exactly when it is one for SQLite, and when it parses, our
 *    fully parenthesised form evaluates in SQLite to the same value as the
 *    original text — so our precedence and associativity are SQLite's.
 * 4. Size limits (sql/limits.ts): long operator chains, prefix chains, nested
 *    parentheses, subqueries and CASEs, compounds and CTE chains, at sizes
 *    around SQLite's limits, are prepared or refused with TOO_BIG exactly as
 *    SQLite prepares or refuses them (outside the differences the README
 *    lists), and never throw anything else.
 *
 * Failures print the fast-check seed and path; replay with
 * `npm test -- fuzz/parser --seed S` (HELIOS_FUZZ_PATH=P for the exact case).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fuzzParams } from './budget.ts';
import { parse } from '../sql/parser.ts';
import { formatStatement, formatExpr, type Statement } from '../sql/ast.ts';
import { HeliosError } from '../format/errors.ts';
import { openSqlite } from '../scripts/slt-backend.ts';
import { Database } from '../sql/database.ts';
import { MAX_QUERY_NESTING, MAX_PARSER_DEPTH } from '../sql/limits.ts';

const ALLOWED_CODES = new Set(['SQL_SYNTAX', 'SQL_ERROR', 'TOO_BIG']);

function strip(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(strip);
  if (x instanceof Uint8Array) return Array.from(x);
  if (typeof x === 'bigint') return `${x}n`;
  if (x === null || typeof x !== 'object') return x;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(x)) if (k !== 'pos' && k !== 'sql' && k !== 'text') out[k] = strip(v);
  return out;
}

/** Parses `sql`; fails the property on any throw that is not an allowed HeliosError. Returns null on a typed error. */
function parseTyped(sql: string): Statement[] | null {
  try {
    return parse(sql);
  } catch (e) {
    if (e instanceof HeliosError && ALLOWED_CODES.has(e.code)) return null;
    throw new Error(`parser threw ${e instanceof HeliosError ? e.code : String(e)} for ${JSON.stringify(sql)}`, { cause: e });
  }
}

/** Robustness + canonical-form round trip for one input. */
function checkInput(sql: string): void {
  const statements = parseTyped(sql);
  if (statements === null) return;
  for (const st of statements) {
    const text = formatStatement(st);
    let again: Statement[];
    try {
      again = parse(text);
    } catch (e) {
      throw new Error(`canonical text does not parse: ${text} (from ${JSON.stringify(sql)}): ${String(e)}`);
    }
    assert.is(again.length, 1, text);
    assert.equal(strip(again[0]), strip(st), `round trip of ${JSON.stringify(sql)} via ${text}`);
    assert.is(formatStatement(again[0]!), text);
  }
}

const VOCAB = [
  'SELECT', 'FROM', 'WHERE', 'GROUP', 'BY', 'HAVING', 'ORDER', 'LIMIT', 'OFFSET', 'UNION', 'ALL', 'INTERSECT',
  'EXCEPT', 'VALUES', 'WITH', 'RECURSIVE', 'AS', 'DISTINCT', 'JOIN', 'LEFT', 'NATURAL', 'CROSS', 'ON', 'USING',
  'INSERT', 'INTO', 'OR', 'REPLACE', 'IGNORE', 'DEFAULT', 'CONFLICT', 'DO', 'NOTHING', 'UPDATE', 'SET',
  'DELETE', 'RETURNING', 'CREATE', 'TABLE', 'INDEX', 'UNIQUE', 'VIEW', 'IF', 'NOT', 'EXISTS', 'PRIMARY',
  'KEY', 'AUTOINCREMENT', 'NULL', 'CHECK', 'COLLATE', 'REFERENCES', 'FOREIGN', 'CONSTRAINT', 'DROP', 'ALTER',
  'ADD', 'COLUMN', 'RENAME', 'TO', 'BEGIN', 'COMMIT', 'END', 'ROLLBACK', 'SAVEPOINT', 'RELEASE', 'PRAGMA',
  'EXPLAIN', 'QUERY', 'PLAN', 'CASE', 'WHEN', 'THEN', 'ELSE', 'CAST', 'AND', 'IS', 'IN', 'LIKE', 'GLOB',
  'BETWEEN', 'ESCAPE', 'ISNULL', 'NOTNULL', 'ASC', 'DESC', 'NULLS', 'FIRST', 'LAST', 'FILTER', 'OVER',
  'WITHOUT', 'ROWID', 'INDEXED', 'TRUE', 'FALSE', 'CURRENT_TIME', 'RAISE', 'ABORT',
  't', 'a', 'b', 'x1', '"q"', '[b]', '`c`', 'count', 'max',
  '0', '1', '42', '1.5', '.5', '1e3', '0x1F', '9223372036854775808', "'s'", "''", "X'00'", "x'1'",
  '?', '?1', '?0', ':a', '@b', '$c',
  '(', ')', ',', ';', '.', '*', '+', '-', '/', '%', '||', '->', '->>', '<', '<=', '>', '>=', '=', '==', '!=',
  '<>', '&', '|', '~', '<<', '>>', '!', '#', "'", '"', '[', '/*', '--', '\n',
];

const soup = fc.array(fc.constantFrom(...VOCAB), { maxLength: 40 }).chain((tokens) =>
  fc.constantFrom(' ', '').map((sep) => tokens.join(sep)));

test('token soup never makes the parser throw anything but a typed error, and what parses round-trips', () => {
  fc.assert(fc.property(soup, checkInput), fuzzParams(3000));
});

test('arbitrary strings never make the parser throw anything but a typed error', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 80 }), checkInput), fuzzParams(2000));
  fc.assert(fc.property(fc.string({ unit: fc.constantFrom(...'()[]"\'`;,.-+*/<>=!|&~?:@$#xX01 \n\t\rSELECTselect'.split('')), maxLength: 60 }), checkInput), fuzzParams(2000));
});

/** Valid statements to mutate: the golden inputs, the seed-like DDL, and the sqllogictest corpus. */
function corpus(): string[] {
  const out: string[] = [];
  const goldenDir = join(process.cwd(), 'sql', 'testdata', 'parse');
  for (const f of readdirSync(goldenDir).filter((n) => n.endsWith('.txt'))) {
    const blocks = readFileSync(join(goldenDir, f), 'utf8').split('\nparse\n');
    for (const b of blocks) {
      const input = b.replace(/^parse\n/, '').split('\n----\n')[0]!;
      if (!input.startsWith('#')) out.push(input);
    }
  }
  const sltFile = join(process.cwd(), '..', 'shared', 'conformance', 'slt', 'select1.test');
  if (!existsSync(sltFile)) {
    console.log('skipped: ../shared/conformance/slt/select1.test is not beside this clone (CI has it); its tests did not run'.replace('its tests did not run', 'the corpus uses only the golden parse files'));
    return out.filter((s) => s.trim() !== '');
  }
  const slt = readFileSync(sltFile, 'utf8');
  const records = slt.split(/\n\n+/).slice(0, 400);
  for (const r of records) {
    const lines = r.split('\n').filter((l) => !l.startsWith('#'));
    if (lines.length < 2 || !/^(statement|query)/.test(lines[0]!)) continue;
    const end = lines.indexOf('----');
    out.push(lines.slice(1, end < 0 ? undefined : end).join('\n'));
  }
  return out.filter((s) => s.trim() !== '');
}

const CORPUS = corpus();

type Mutation =
  | { op: 'delete'; at: number; len: number }
  | { op: 'insert'; at: number; text: string }
  | { op: 'duplicate'; at: number; len: number }
  | { op: 'truncate'; at: number }
  | { op: 'swap'; at: number; at2: number; len: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: fc.constantFrom(...VOCAB).map((t) => ` ${t} `) }),
  fc.record({ op: fc.constant('duplicate' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 30 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('swap' as const), at: fc.nat(), at2: fc.nat(), len: fc.integer({ min: 1, max: 8 }) }),
);

function mutate(sql: string, m: Mutation): string {
  const n = Math.max(1, sql.length);
  const at = m.at % n;
  switch (m.op) {
    case 'delete': return sql.slice(0, at) + sql.slice(at + m.len);
    case 'insert': return sql.slice(0, at) + m.text + sql.slice(at);
    case 'duplicate': return sql.slice(0, at + m.len) + sql.slice(at);
    case 'truncate': return sql.slice(0, at);
    case 'swap': {
      const b = m.at2 % n;
      const [x, y] = at < b ? [at, b] : [b, at];
      if (y < x + m.len) return sql;
      return sql.slice(0, x) + sql.slice(y, y + m.len) + sql.slice(x + m.len, y) + sql.slice(x, x + m.len) + sql.slice(y + m.len);
    }
  }
}

test('mutations of valid SQL never make the parser throw anything but a typed error', () => {
  assert.ok(CORPUS.length > (existsSync(join(process.cwd(), '..', 'shared', 'conformance', 'slt')) ? 300 : 100), `corpus has ${CORPUS.length} statements`);
  const arb = fc.tuple(fc.constantFrom(...CORPUS), fc.array(mutationArb, { minLength: 1, maxLength: 4 }));
  fc.assert(fc.property(arb, ([sql, ms]) => checkInput(ms.reduce(mutate, sql))), fuzzParams(3000));
});

// ---------------------------------------------------------------------------
// SQLite as the oracle

const sqlite = openSqlite();

/** SQLite messages that come from its tokenizer or parser (as opposed to name resolution or evaluation). */
const SQLITE_PARSE_ERROR = /syntax error|incomplete input|unrecognized token|hex literal too big|variable number must be|same number of terms|should come after|too many SQL variables|Expression tree is too large|parser stack overflow/;

type SqliteOutcome = { ok: true; value: string } | { ok: false; parseError: boolean; message: string };

function sqliteEval(expr: string): SqliteOutcome {
  try {
    const row = sqlite.prepare(`SELECT typeof(${expr}) || ':' || quote(${expr})`).raw(true).get() as unknown[];
    return { ok: true, value: String(row[0]) };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return { ok: false, parseError: SQLITE_PARSE_ERROR.test(message), message };
  }
}

/** Random expression text over constants, with operators of every precedence level and optional parentheses. */
const exprText: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => {
  const e = tie('e');
  const leaf = fc.constantFrom('0', '1', '2', '-3', '7', '2.5', '0.5', "'a'", "'B'", "'1'", "'%'", 'NULL', 'TRUE', 'FALSE', "X'41'", '0x10');
  const binop = fc.constantFrom('||', '*', '/', '%', '+', '-', '<<', '>>', '&', '|', '<', '<=', '>', '>=', '=', '==', '!=', '<>',
    'IS', 'IS NOT', 'IS DISTINCT FROM', 'IS NOT DISTINCT FROM', 'AND', 'OR', '->', '->>');
  return {
    e: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.tuple(e, binop, e).map(([a, op, b]) => `${a} ${op} ${b}`),
      fc.tuple(fc.constantFrom('-', '+', '~', 'NOT '), e).map(([op, a]) => `${op}${a}`),
      fc.tuple(e, fc.constantFrom('BETWEEN', 'NOT BETWEEN'), e, e).map(([a, op, b, c]) => `${a} ${op} ${b} AND ${c}`),
      fc.tuple(e, fc.constantFrom('IN', 'NOT IN'), fc.array(e, { maxLength: 3 })).map(([a, op, l]) => `${a} ${op} (${l.join(', ')})`),
      fc.tuple(e, fc.constantFrom('LIKE', 'NOT LIKE', 'GLOB', 'NOT GLOB'), e).map(([a, op, b]) => `${a} ${op} ${b}`),
      fc.tuple(e, fc.constantFrom('LIKE', 'NOT LIKE'), e, e).map(([a, op, b, c]) => `${a} ${op} ${b} ESCAPE ${c}`),
      fc.tuple(e, fc.constantFrom('ISNULL', 'NOTNULL', 'NOT NULL', 'COLLATE NOCASE', 'COLLATE BINARY')).map(([a, op]) => `${a} ${op}`),
      fc.tuple(fc.option(e), fc.array(fc.tuple(e, e), { minLength: 1, maxLength: 2 }), fc.option(e)).map(([b, ws, el]) =>
        `CASE${b === null ? '' : ' ' + b}${ws.map(([w, t]) => ` WHEN ${w} THEN ${t}`).join('')}${el === null ? '' : ' ELSE ' + el} END`),
      fc.tuple(e, fc.constantFrom('INTEGER', 'REAL', 'TEXT', 'BLOB', 'NUMERIC')).map(([a, t]) => `CAST(${a} AS ${t})`),
      e.map((a) => `(${a})`),
      e.map((a) => `(SELECT ${a})`),
      fc.tuple(e, e).map(([a, b]) => `coalesce(${a}, ${b})`),
    ),
  };
}).e;

test('expressions parse exactly when SQLite parses them, and our parenthesisation evaluates to the same value', () => {
  fc.assert(
    fc.property(exprText, (text) => {
      const expected = sqliteEval(text);
      let parsed: Statement[] | null;
      try {
        parsed = parse(`SELECT ${text}`);
      } catch (e) {
        if (!(e instanceof HeliosError) || !ALLOWED_CODES.has(e.code)) throw e;
        parsed = null;
        if (expected.ok || !expected.parseError) {
          throw new Error(`we reject what SQLite accepts: ${text}\n  ours: ${e.message}\n  sqlite: ${expected.ok ? expected.value : expected.message}`);
        }
        return;
      }
      if (!expected.ok && expected.parseError) throw new Error(`we accept what SQLite rejects: ${text}\n  sqlite: ${expected.message}`);
      const st = parsed[0]!;
      if (st.kind !== 'Select' || st.query.body.kind !== 'SelectCore') throw new Error('select expected');
      const col = st.query.body.columns[0]!;
      if (col.kind !== 'Expr') throw new Error('expression expected');
      const canonical = formatExpr(col.expr);
      const actual = sqliteEval(canonical);
      if (expected.ok) {
        assert.equal(actual, expected, `${text}\n  canonical: ${canonical}`);
      } else {
        assert.ok(!actual.ok, `${text}: sqlite fails (${expected.message}) but canonical ${canonical} evaluates`);
      }
    }),
    fuzzParams(3000),
  );
});

/** Statement-level soup checked against SQLite: a SQL_SYNTAX from us must be a parse error in SQLite and vice versa. */
test('statement soup is a syntax error for us exactly when it is for SQLite', () => {
  sqlite.exec('CREATE TABLE IF NOT EXISTS t(a, b, x1, q, c)');
  const stmtSoup = fc.tuple(
    fc.constantFrom('SELECT', 'SELECT', 'SELECT', 'INSERT INTO t', 'UPDATE t SET a =', 'DELETE FROM t', 'CREATE TABLE u', 'CREATE INDEX i ON t', 'WITH w AS', 'VALUES'),
    fc.array(fc.constantFrom(...VOCAB.filter((v) => !['OVER', 'FILTER', ';', '--', '/*', '\n', 'RAISE', 'EXPLAIN', "'", '"', '[', '?0'].includes(v))), { maxLength: 12 }),
  ).map(([head, rest]) => `${head} ${rest.join(' ')}`);
  fc.assert(
    fc.property(stmtSoup, (sql) => {
      let sqliteParseError = false;
      let sqliteMessage = '';
      try {
        sqlite.prepare(sql);
      } catch (e) {
        sqliteMessage = e instanceof Error ? e.message : String(e);
        sqliteParseError = SQLITE_PARSE_ERROR.test(sqliteMessage);
      }
      let ours: HeliosError | null = null;
      try {
        parse(sql);
      } catch (e) {
        if (!(e instanceof HeliosError) || !ALLOWED_CODES.has(e.code)) throw e;
        ours = e;
      }
      const oursSyntax = ours !== null && ours.code !== 'SQL_ERROR';
      if (oursSyntax !== sqliteParseError) {
        throw new Error(`${sql}\n  ours: ${ours === null ? 'parses' : ours.message}\n  sqlite: ${sqliteMessage || 'prepares'}`);
      }
    }),
    fuzzParams(3000),
  );
});

// ---------------------------------------------------------------------------
// Size limits against SQLite

type Shape = { kind: 'chain'; op: string; term: string } | { kind: 'prefix'; op: string } | { kind: 'parens' } | { kind: 'subquery' }
  | { kind: 'exists' } | { kind: 'case' } | { kind: 'cast' } | { kind: 'compound'; op: string } | { kind: 'cte' } | { kind: 'wrappedChain'; wrap: string };

function shapeSql(s: Shape, k: number): string {
  const rep = (x: string, n: number) => x.repeat(n);
  switch (s.kind) {
    case 'chain': return `SELECT ${Array.from({ length: k }, () => s.term).join(` ${s.op} `)} FROM tl`;
    case 'prefix': return `SELECT ${rep(`${s.op} `, k)}x FROM tl`;
    case 'parens': return `SELECT ${rep('(', k)}x${rep(')', k)} FROM tl`;
    case 'subquery': return `SELECT ${rep('(SELECT ', k)}1${rep(')', k)}`;
    case 'exists': return `SELECT ${rep('EXISTS (SELECT ', k)}1${rep(')', k)}`;
    case 'case': return `SELECT ${rep('CASE WHEN x THEN ', k)}1${rep(' END', k)} FROM tl`;
    case 'cast': return `SELECT ${rep('CAST(', k)}x${rep(' AS INT)', k)} FROM tl`;
    case 'compound': return Array.from({ length: k }, () => 'SELECT x FROM tl').join(` ${s.op} `);
    case 'cte': {
      let q = 'WITH c0 AS (SELECT x FROM tl)';
      for (let i = 1; i < k; i++) q += `, c${i} AS (SELECT x FROM c${i - 1})`;
      return `${q} SELECT x FROM c${k - 1}`;
    }
    case 'wrappedChain': return `SELECT ${s.wrap.replace('$', Array.from({ length: k }, () => 'x').join(' + '))} FROM tl`;
  }
}

/** The README's listed differences: SQLite's parser stack is larger for parentheses, smaller for CASE, and ends runs of prefix operators near 2490 as we do; views and CTEs nest 250 deep here. */
function differenceListed(s: Shape, k: number): boolean {
  switch (s.kind) {
    case 'parens': return k > MAX_PARSER_DEPTH - 10;
    case 'prefix': return k > 2470 && k < 2510;
    case 'case': return k > 490;
    case 'cte': return k > MAX_QUERY_NESTING - 5;
    default: return false;
  }
}

const shapeArb: fc.Arbitrary<Shape> = fc.oneof(
  fc.record({ kind: fc.constant('chain' as const), op: fc.constantFrom('+', '*', 'OR', 'AND', '||', '=', '<', '&', 'IS', '-', '/'), term: fc.constantFrom('1', 'x', "'a'", '(x)', 'x COLLATE NOCASE') }),
  fc.record({ kind: fc.constant('prefix' as const), op: fc.constantFrom('NOT', '-', '~', '+') }),
  fc.constantFrom<Shape>({ kind: 'parens' }, { kind: 'subquery' }, { kind: 'exists' }, { kind: 'case' }, { kind: 'cast' }, { kind: 'cte' }),
  fc.record({ kind: fc.constant('compound' as const), op: fc.constantFrom('UNION', 'UNION ALL', 'INTERSECT', 'EXCEPT') }),
  fc.record({ kind: fc.constant('wrappedChain' as const), wrap: fc.constantFrom('($)', 'abs($)', '-($)', '($) > 0', 'CASE WHEN 1 THEN $ END', '$ BETWEEN 0 AND 1', 'coalesce($, 1)') }),
);
const sizeArb = fc.oneof(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 990, max: 1010 }), fc.integer({ min: 40, max: 48 }), fc.integer({ min: 495, max: 505 }));

test('long and deep statements are prepared or refused with TOO_BIG exactly as SQLite prepares or refuses them', () => {
  sqlite.exec('CREATE TABLE IF NOT EXISTS tl(x)');
  const db = new Database(':memory:', { encryption: false });
  db.exec('CREATE TABLE tl(x)');
  fc.assert(
    fc.property(shapeArb, sizeArb, (shape, k) => {
      const sql = shapeSql(shape, k);
      let sqliteOk = true;
      let sqliteMessage = '';
      try {
        sqlite.prepare(sql);
      } catch (e) {
        sqliteOk = false;
        sqliteMessage = e instanceof Error ? e.message : String(e);
      }
      let ours: HeliosError | null = null;
      try {
        db.prepare(sql);
      } catch (e) {
        if (!(e instanceof HeliosError) || e.code !== 'TOO_BIG') throw new Error(`${JSON.stringify(shape)} × ${k}: ${String(e)}`);
        ours = e;
      }
      if (differenceListed(shape, k)) return;
      if ((ours === null) !== sqliteOk) {
        throw new Error(`${JSON.stringify(shape)} × ${k}\n  ours: ${ours === null ? 'prepares' : ours.message}\n  sqlite: ${sqliteMessage || 'prepares'}`);
      }
    }),
    fuzzParams(300),
  );
  db.close();
});

test.run();
