import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseOne, MAX_DEPTH, MAX_EXPR_HEIGHT } from './parser.ts';
import { formatStatement, type Statement, type Expr, type Query } from './ast.ts';
import { HeliosError, isHeliosError } from '../format/errors.ts';

const REWRITE = typeof process !== 'undefined' && process.env.HELIOS_REWRITE === '1';
const GOLDEN_DIR = join(process.cwd(), 'sql', 'testdata', 'parse');
const SHARED = join(process.cwd(), '..', 'shared');

/** The golden output of one input: canonical SQL per statement (+ parameters), or the error. */
function render(sql: string): string {
  try {
    const out: string[] = [];
    for (const st of parse(sql)) {
      out.push(formatStatement(st));
      if (st.parameters.count > 0) out.push(`params: ${st.parameters.count} ${JSON.stringify(st.parameters.names)}`);
    }
    return out.length === 0 ? '(no statements)' : out.join('\n');
  } catch (e) {
    if (!(e instanceof HeliosError)) throw e;
    return `error ${e.code}: ${e.message}`;
  }
}

/** Removes positions and source-text fields so two parses of different text compare equal. */
function strip(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(strip);
  if (x instanceof Uint8Array) return Array.from(x);
  if (typeof x === 'bigint') return `${x}n`;
  if (x === null || typeof x !== 'object') return x;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(x)) {
    if (k === 'pos' || k === 'sql' || k === 'text') continue;
    out[k] = strip(v);
  }
  return out;
}

interface GoldenCase { comments: string[]; input: string; expected: string; line: number }

/** Data-driven files: a `parse` line, SQL lines, `----`, expected lines, blank line. `#` lines are comments. */
function readGolden(file: string): GoldenCase[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const cases: GoldenCase[] = [];
  let i = 0;
  let comments: string[] = [];
  while (i < lines.length) {
    const l = lines[i]!;
    if (l.startsWith('#')) { comments.push(l); i++; continue; }
    if (l.trim() === '') { i++; continue; }
    if (l !== 'parse') throw new Error(`${file}:${i + 1}: expected "parse", got ${JSON.stringify(l)}`);
    const line = i + 1;
    i++;
    const input: string[] = [];
    while (i < lines.length && lines[i] !== '----') input.push(lines[i++]!);
    i++;
    const expected: string[] = [];
    while (i < lines.length && lines[i] !== '') expected.push(lines[i++]!);
    cases.push({ comments, input: input.join('\n'), expected: expected.join('\n'), line });
    comments = [];
  }
  return cases;
}

/** `HELIOS_REWRITE=1 node scripts/test.mjs sql/parser` regenerates the expected outputs (review the diff!). */
function writeGolden(file: string, cases: GoldenCase[]): void {
  const body = cases.map((c) => `${c.comments.map((l) => l + '\n').join('')}parse\n${c.input}\n----\n${render(c.input)}\n`);
  writeFileSync(file, body.join('\n') + '\n');
}

const goldenFiles = readdirSync(GOLDEN_DIR).filter((f) => f.endsWith('.txt')).sort();

for (const name of goldenFiles) {
  const file = join(GOLDEN_DIR, name);
  test(`golden parse output matches testdata/parse/${name}`, () => {
    const cases = readGolden(file);
    if (REWRITE) {
      writeGolden(file, cases);
      return;
    }
    assert.ok(cases.length > 0, 'file has cases');
    for (const c of cases) {
      assert.is(render(c.input), c.expected, `${name}:${c.line}`);
    }
  });

  test(`canonical text of testdata/parse/${name} parses back to the same tree`, () => {
    for (const c of readGolden(file)) {
      let statements: Statement[];
      try { statements = parse(c.input); } catch { continue; }
      for (const st of statements) {
        const text = formatStatement(st);
        const again = parse(text);
        assert.is(again.length, 1, text);
        assert.equal(strip(again[0]), strip(st), `${name}:${c.line}: ${text}`);
        assert.is(formatStatement(again[0]!), text);
      }
    }
  });
}

// ---------------------------------------------------------------------------
// The seed's SQL (examples 1-5) and the sqllogictest corpus

/** SQL string literals of the seed's examples 1-5 (Python, Swift, TypeScript, Rust, Go sources). */
function seedStatements(): string[] {
  const text = readFileSync(join(SHARED, 'seed', '000_8fba95470b0f508f.txt'), 'utf8');
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith('Example 1:'));
  const end = lines.findIndex((l, i) => i > start && l.startsWith('Market Audience'));
  const region = lines.slice(start, end).join('\n');
  const re = /"""([\s\S]*?)"""|`([^`]*)`|"((?:[^"\\\n]|\\.|\n)*?)"|'((?:[^'\\\n])*)'/g;
  const out: string[] = [];
  for (let m = re.exec(region); m !== null; m = re.exec(region)) {
    const s = (m[1] ?? m[2] ?? m[3] ?? m[4] ?? '').trim();
    if (!/^(CREATE|INSERT|SELECT|UPDATE|DELETE)\s/.test(s)) continue;
    out.push(s.replace(/\\\([^)]*\)/g, '?, ?').replace(/\$\{[^}]*\}/g, '?'));
  }
  return out;
}

const haveSeed = existsSync(join(SHARED, 'seed'));
if (haveSeed) test('every SQL statement of the seed examples 1-5 parses', () => {
  const stmts = seedStatements();
  assert.ok(stmts.length >= 45, `found ${stmts.length} seed statements`);
  const kinds = new Set<string>();
  for (const sql of stmts) {
    const parsed = parse(sql);
    assert.is(parsed.length, 1, sql);
    kinds.add(parsed[0]!.kind);
  }
  assert.equal([...kinds].sort(), ['CreateIndex', 'CreateTable', 'Insert', 'Select', 'Update']);
});

if (haveSeed) test('seed example 4 numbers ?1..?8 by their digits', () => {
  const sql = seedStatements().find((s) => s.includes("VALUES (?1, 'ACCESS_DENIED'"))!;
  const st = parse(sql)[0]!;
  assert.is(st.parameters.count, 5);
  assert.equal(st.parameters.names, [null, null, null, null, null]);
});

interface SltRecord { kind: 'statement ok' | 'statement error' | 'query'; sql: string; file: string; line: number }

/** The records of a sqllogictest file that apply to engine `sqlite`. */
function sltRecords(file: string): SltRecord[] {
  const lines = readFileSync(file, 'utf8').replace(/\r\n/g, '\n').split('\n');
  const out: SltRecord[] = [];
  let i = 0;
  let skip = false;
  while (i < lines.length) {
    const l = lines[i]!;
    if (l.trim() === '') { skip = false; i++; continue; }
    if (l.startsWith('#')) { i++; continue; }
    const words = l.split(/\s+/);
    if (words[0] === 'skipif') { if (words[1] === 'sqlite') skip = true; i++; continue; }
    if (words[0] === 'onlyif') { if (words[1] !== 'sqlite') skip = true; i++; continue; }
    if (words[0] === 'halt') { if (!skip) break; i++; continue; }
    if (words[0] === 'hash-threshold') { i++; continue; }
    const kind = words[0] === 'query' ? 'query' : words[0] === 'statement' ? (words[1] === 'ok' ? 'statement ok' : 'statement error') : null;
    if (kind === null) throw new Error(`${file}:${i + 1}: unknown record ${l}`);
    const line = i + 1;
    i++;
    const sql: string[] = [];
    while (i < lines.length && lines[i] !== '----' && lines[i]!.trim() !== '') sql.push(lines[i++]!);
    while (i < lines.length && lines[i]!.trim() !== '') i++;
    if (!skip) out.push({ kind, sql: sql.join('\n'), file, line });
    skip = false;
  }
  return out;
}

const sltDir = join(SHARED, 'conformance', 'slt');
const haveShared = existsSync(sltDir) && existsSync(join(SHARED, 'seed'));
if (!haveShared) console.log('skipped: ../shared/ (seed, conformance/slt) is not beside this clone (CI has it); the seed and sqllogictest parse tests did not run');
const sltFiles = haveShared ? readdirSync(sltDir).filter((f) => f.endsWith('.test')).sort() : [];

for (const name of sltFiles) {
  test(`every statement ok and query record of slt/${name} parses to one statement`, () => {
    const records = sltRecords(join(sltDir, name));
    assert.ok(records.length > 20, `${records.length} records`);
    for (const r of records) {
      if (r.kind === 'statement error') continue;
      let st: Statement[];
      try {
        st = parse(r.sql);
      } catch (e) {
        assert.unreachable(`${name}:${r.line}: ${(e as Error).message}`);
        return;
      }
      assert.is(st.length, 1, `${name}:${r.line}`);
      if (r.kind === 'query') assert.is(st[0]!.kind, 'Select', `${name}:${r.line}`);
    }
  });
}

if (haveShared) test('the statement error records of the slt corpus are semantic errors: they parse', () => {
  // evidence-slt_lang_update.test: `UPDATE t1 SET z='foo'` names a column that does not exist.
  const errors = sltFiles.flatMap((f) => sltRecords(join(sltDir, f))).filter((r) => r.kind === 'statement error');
  assert.is(errors.length, 2);
  for (const r of errors) assert.is(parse(r.sql)[0]!.kind, 'Update');
});

// ---------------------------------------------------------------------------
// API contracts

test('parseOne returns the first statement and the offset after its semicolon', () => {
  const sql = 'SELECT 1; INSERT INTO t VALUES (2) ;  -- tail\n';
  const a = parseOne(sql);
  assert.is(a.statement!.kind, 'Select');
  assert.is(a.statement!.sql, 'SELECT 1');
  assert.is(a.end, 9);
  const b = parseOne(sql, a.end);
  assert.is(b.statement!.kind, 'Insert');
  assert.is(b.statement!.sql, 'INSERT INTO t VALUES (2)');
  assert.is(sql.slice(b.end), '  -- tail\n');
  const c = parseOne(sql, b.end);
  assert.is(c.statement, null);
  assert.is(c.end, sql.length);
});

test('parseOne without a trailing semicolon ends after the last token', () => {
  const r = parseOne('  SELECT 1  /* c */ ');
  assert.is(r.end, 10);
  assert.is(r.statement!.pos.offset, 2);
});

test('parse skips empty statements and comments between semicolons', () => {
  assert.is(parse(';;; -- x\n ; /* y */ ;').length, 0);
  assert.is(parse('').length, 0);
  assert.equal(parse(';SELECT 1;;SELECT 2;').map((s) => s.sql), ['SELECT 1', 'SELECT 2']);
});

test('statement positions and error positions are relative to the whole text', () => {
  const sql = 'SELECT 1;\n\n  SELECT\n    a +\n    FROM t';
  const first = parseOne(sql);
  try {
    parseOne(sql, first.end);
    assert.unreachable('should fail');
  } catch (e) {
    assert.ok(isHeliosError(e, 'SQL_SYNTAX'));
    assert.equal(e.details, { line: 5, column: 5 });
    assert.ok(e.message.startsWith('near "FROM": syntax error at line 5, column 5\n'), e.message);
    assert.ok(e.message.endsWith('\n      FROM t\n      ^'), e.message);
  }
});

test('nodes carry line and column of where they start', () => {
  const st = parse('SELECT\n  x,\n  "y" + 1\nFROM\n\tt1 AS q')[0]!;
  assert.is(st.kind, 'Select');
  if (st.kind !== 'Select' || st.query.body.kind !== 'SelectCore') return;
  const [c1, c2] = st.query.body.columns;
  assert.equal(c1!.pos, { offset: 9, line: 2, column: 3 });
  assert.equal(c2!.pos, { offset: 14, line: 3, column: 3 });
  if (c2!.kind === 'Expr' && c2!.expr.kind === 'Binary') {
    assert.equal(c2!.expr.left.pos, { offset: 14, line: 3, column: 3 });
    assert.equal(c2!.expr.right.pos, { offset: 20, line: 3, column: 9 });
    assert.is(c2!.text, '"y" + 1');
  } else assert.unreachable('binary expected');
  assert.equal(st.query.body.from!.pos, { offset: 28, line: 5, column: 2 });
});

test('incomplete input reports the end of the text', () => {
  try {
    parse('SELECT (1 +');
    assert.unreachable();
  } catch (e) {
    assert.ok(isHeliosError(e, 'SQL_SYNTAX'));
    assert.ok(e.message.startsWith('incomplete input at line 1, column 12'), e.message);
  }
});

test('parameters: ? takes max+1, ?NNN its number, names reuse their index', () => {
  const st = parse('SELECT ?, ?3, :a, ?, @b, :a, $c, ?2, ?')[0]!;
  const params: { index: number; form: string; name: string | null }[] = [];
  const visit = (e: Expr) => { if (e.kind === 'Param') params.push({ index: e.index, form: e.form, name: e.name }); };
  if (st.kind === 'Select' && st.query.body.kind === 'SelectCore') {
    for (const c of st.query.body.columns) if (c.kind === 'Expr') visit(c.expr);
  }
  assert.equal(params.map((p) => p.index), [1, 3, 4, 5, 6, 4, 7, 2, 8]);
  assert.equal(params.map((p) => p.form), ['?', '?NNN', ':', '?', '@', ':', '$', '?NNN', '?']);
  assert.equal(st.parameters, { count: 8, names: [null, null, null, ':a', null, '@b', '$c', null] });
});

test('parameters are numbered per statement', () => {
  const [a, b] = parse('SELECT ?, ?; SELECT :x');
  assert.is(a!.parameters.count, 2);
  assert.equal(b!.parameters, { count: 1, names: [':x'] });
});

test('?0 and ?32767 are rejected; ?32766 is the largest index', () => {
  for (const bad of ['SELECT ?0', 'SELECT ?32767', 'SELECT ?99999999999']) {
    try {
      parse(bad);
      assert.unreachable(bad);
    } catch (e) {
      assert.ok(isHeliosError(e, 'SQL_SYNTAX'), bad);
    }
  }
  assert.is(parse('SELECT ?32766')[0]!.parameters.count, 32766);
  try {
    parse('SELECT ?32766, ?');
    assert.unreachable();
  } catch (e) {
    assert.ok(isHeliosError(e, 'TOO_BIG'));
  }
});

test('EXPLAIN shares the parameters of the explained statement', () => {
  const st = parse('EXPLAIN QUERY PLAN SELECT * FROM t WHERE a = :a')[0]!;
  assert.is(st.kind, 'Explain');
  assert.equal(st.parameters, { count: 1, names: [':a'] });
  if (st.kind === 'Explain') assert.equal(st.statement.parameters, { count: 1, names: [':a'] });
});

test('CREATE statements keep their exact source text for sqlite_schema', () => {
  const sql = 'create   table "T" ( a int  default (1+2) ) ; ';
  const st = parse(sql)[0]!;
  assert.is(st.sql, 'create   table "T" ( a int  default (1+2) )');
  if (st.kind === 'CreateTable' && st.definition.kind === 'Columns') {
    const d = st.definition.columns[0]!.constraints[0]!;
    assert.is(d.kind === 'Default' ? d.text : '', '1+2');
  } else assert.unreachable();
});

test('DEFAULT text is what PRAGMA table_info shows', () => {
  const st = parse("CREATE TABLE t(a DEFAULT -5, b DEFAULT 'x''y', c DEFAULT CURRENT_TIMESTAMP, d DEFAULT (strftime('%s', 'now')), e DEFAULT abc)")[0]!;
  if (st.kind !== 'CreateTable' || st.definition.kind !== 'Columns') return assert.unreachable();
  const texts = st.definition.columns.map((c) => {
    const d = c.constraints[0]!;
    return d.kind === 'Default' ? d.text : '';
  });
  assert.equal(texts, ['-5', "'x''y'", 'CURRENT_TIMESTAMP', "strftime('%s', 'now')", 'abc']);
});

test('result columns keep their source text for column naming', () => {
  const st = parse('SELECT count( * ), a+1, "x" AS y, t.* FROM t')[0]!;
  if (st.kind !== 'Select' || st.query.body.kind !== 'SelectCore') return assert.unreachable();
  assert.equal(st.query.body.columns.map((c) => (c.kind === 'Expr' ? c.text : c.kind)), ['count( * )', 'a+1', '"x"', 'TableStar']);
});

test('integer literals follow SQLite: bigint beyond 2^53, real beyond 2^63, hex as two\'s complement', () => {
  const values = (sql: string) => {
    const st = parse(sql)[0]!;
    if (st.kind !== 'Select' || st.query.body.kind !== 'SelectCore') throw new Error('select');
    return st.query.body.columns.map((c) => (c.kind === 'Expr' ? c.expr : null));
  };
  const v = values('SELECT 9007199254740991, 9007199254740992, 9223372036854775807, 9223372036854775808, -9223372036854775808, 0x7FFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFF, 0x10, 1e3, .5');
  assert.equal(v[0], { kind: 'Integer', pos: v[0]!.pos, value: 9007199254740991 });
  assert.equal(v[1], { kind: 'Integer', pos: v[1]!.pos, value: 9007199254740992n });
  assert.equal(v[2], { kind: 'Integer', pos: v[2]!.pos, value: 9223372036854775807n });
  assert.equal(v[3], { kind: 'Real', pos: v[3]!.pos, value: 9223372036854775808 });
  assert.equal(v[4], { kind: 'Integer', pos: v[4]!.pos, value: -9223372036854775808n });
  assert.equal(v[5], { kind: 'Integer', pos: v[5]!.pos, value: 9223372036854775807n });
  assert.equal(v[6], { kind: 'Integer', pos: v[6]!.pos, value: -1 });
  assert.equal(v[7], { kind: 'Integer', pos: v[7]!.pos, value: 16 });
  assert.equal(v[8], { kind: 'Real', pos: v[8]!.pos, value: 1000 });
  assert.equal(v[9], { kind: 'Real', pos: v[9]!.pos, value: 0.5 });
});

// ---------------------------------------------------------------------------
// Nesting limits: a typed error, never a stack overflow

function expectTooBig(sql: string, message?: RegExp): void {
  try {
    parse(sql);
    assert.unreachable('should fail');
  } catch (e) {
    assert.ok(isHeliosError(e, 'TOO_BIG'), String(e));
    if (message) assert.match((e as Error).message, message);
  }
}

test('expressions nested within the depth limit parse', () => {
  const n = 300;
  parse(`SELECT ${'('.repeat(n)}1${')'.repeat(n)}`);
  parse(`SELECT ${'-'.repeat(n).split('').join(' ')} 1`);
  parse(`SELECT ${'NOT '.repeat(n)}1`);
  parse(`SELECT 1 WHERE ${'EXISTS (SELECT 1 WHERE '.repeat(100)}1${')'.repeat(100)}`);
});

test('nesting beyond MAX_DEPTH is TOO_BIG, even 100000 levels deep', () => {
  assert.is(MAX_DEPTH, 1100);
  expectTooBig(`SELECT ${'('.repeat(MAX_DEPTH + 1)}1${')'.repeat(MAX_DEPTH + 1)}`);
  expectTooBig(`SELECT ${'('.repeat(100000)}1`);
  expectTooBig(`SELECT ${'- '.repeat(100000)}1`);
  expectTooBig(`SELECT ${'NOT '.repeat(100000)}1`);
  expectTooBig(`SELECT ${'(SELECT '.repeat(50000)}1`);
  expectTooBig(`SELECT * FROM ${'('.repeat(100000)}t`);
  expectTooBig(`SELECT ${'CASE WHEN '.repeat(100000)}`);
  expectTooBig(`SELECT ${'f('.repeat(100000)}`);
  expectTooBig(`SELECT 1 IN ${'(SELECT 1 IN '.repeat(50000)}`);
});

test('an operator chain of 1000 terms parses and one of 1001 is TOO_BIG, as in SQLite (expression depth 1000)', () => {
  const chain = (n: number, op: string, term = '1') => Array.from({ length: n }, () => term).join(op);
  assert.is(MAX_EXPR_HEIGHT, 1000);
  for (const op of [' + ', ' OR ', ' AND ', ' || ', ' = ', ' * ']) {
    parse(`SELECT ${chain(1000, op)}`);
    expectTooBig(`SELECT ${chain(1001, op)}`, /Expression tree is too large \(maximum depth 1000\)/);
    expectTooBig(`SELECT ${chain(3000, op)}`, /Expression tree is too large/);
  }
  // `a = 1` is of height 2, so 999 of them ORed are of height 1000.
  parse(`SELECT 1 WHERE ${chain(999, ' OR ', 'a = 1')}`);
  expectTooBig(`SELECT 1 WHERE ${chain(1000, ' OR ', 'a = 1')}`, /Expression tree is too large/);
  expectTooBig(`SELECT 1 WHERE ${chain(20000, ' OR ', 'a = 1')}`, /Expression tree is too large/);
  // Prefix operators: 999 over a leaf is height 1000.
  parse(`SELECT ${'NOT '.repeat(999)}x`);
  expectTooBig(`SELECT ${'NOT '.repeat(1000)}x`, /Expression tree is too large/);
  parse(`SELECT ${'- '.repeat(999)}x`);
  expectTooBig(`SELECT ${'- '.repeat(1000)}x`, /Expression tree is too large/);
});

test('parentheses add no height; a COLLATE chain keeps only the outermost COLLATE and adds none', () => {
  parse(`SELECT ${'('.repeat(990)}${Array.from({ length: 1000 }, () => '1').join('+')}${')'.repeat(990)}`);
  const st = parse(`SELECT x${' COLLATE NOCASE'.repeat(5000)} COLLATE RTRIM`)[0]!;
  assert.is(st.kind, 'Select');
  const body = st.kind === 'Select' ? st.query.body : null;
  const col = body && body.kind === 'SelectCore' ? body.columns[0] : null;
  const e = col && col.kind === 'Expr' ? col.expr : null;
  assert.ok(e && e.kind === 'Collate' && e.collation === 'RTRIM' && e.expr.kind === 'Column');
});

test('a compound SELECT of 500 terms parses and one of 501 is TOO_BIG "too many terms in compound SELECT"', () => {
  parse(Array.from({ length: 500 }, () => 'SELECT 1').join(' UNION ALL '));
  expectTooBig(Array.from({ length: 501 }, () => 'SELECT 1').join(' UNION '), /too many terms in compound SELECT/);
  expectTooBig(`SELECT 1 ${'UNION ALL SELECT 1 '.repeat(5000)}`, /too many terms in compound SELECT/);
  // A multi-row VALUES is one term, however many rows it has (as in SQLite).
  parse(`INSERT INTO t VALUES ${Array.from({ length: 5000 }, () => '(1, 2)').join(', ')}`);
  parse(`VALUES ${Array.from({ length: 5000 }, () => '(1)').join(', ')}`);
});

test('unsupported SQLite features are SQL_ERROR, not syntax errors', () => {
  for (const sql of [
    "ATTACH 'x.db' AS x",
  ]) {
    try {
      parse(sql);
      assert.unreachable(sql);
    } catch (e) {
      assert.ok(isHeliosError(e, 'SQL_ERROR'), `${sql}: ${String(e)}`);
    }
  }
});

test('CREATE VIRTUAL TABLE keeps each module argument as written, split at the commas outside parentheses, empty ones dropped', () => {
  const [st] = parse("CREATE VIRTUAL TABLE IF NOT EXISTS main.v USING m ( hello  world, 'a,b' (c, d) ,, ? , )");
  assert.ok(st !== undefined && st.kind === 'CreateVirtualTable');
  assert.equal([st.ifNotExists, st.schema, st.name.name, st.module.name, st.args], [true, 'main', 'v', 'm', ['hello  world', "'a,b' (c, d)", '?']]);
  assert.is(st.parameters.count, 0);
  const [bare] = parse('CREATE VIRTUAL TABLE v USING m');
  assert.ok(bare !== undefined && bare.kind === 'CreateVirtualTable' && bare.args.length === 0);
  for (const bad of ['CREATE VIRTUAL TABLE v USING m(a', 'CREATE VIRTUAL TABLE v USING m x', 'CREATE TEMP VIRTUAL TABLE v USING m', 'CREATE VIRTUAL TABLE v']) {
    assert.throws(() => parse(bad), (e: unknown) => isHeliosError(e, 'SQL_SYNTAX'), bad);
  }
});

test('a non-string argument is INVALID_ARGUMENT', () => {
  try {
    parseOne(42 as unknown as string);
    assert.unreachable();
  } catch (e) {
    assert.ok(isHeliosError(e, 'INVALID_ARGUMENT'));
  }
});

test.run();
