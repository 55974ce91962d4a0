import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tokenize, createLexer, caretExcerpt, KEYWORDS } from './lexer.ts';
import { isHeliosError } from '../format/errors.ts';

const kinds = (sql: string) => tokenize(sql).map((t) => t.kind);
const values = (sql: string) => tokenize(sql).map((t) => t.value);

function expectSyntax(sql: string, line: number, column: number, fragment: string): void {
  try {
    tokenize(sql);
    assert.unreachable(`${JSON.stringify(sql)} should not tokenize`);
  } catch (e) {
    assert.ok(isHeliosError(e, 'SQL_SYNTAX'), String(e));
    assert.equal(e.details, { line, column }, sql);
    assert.ok(e.message.includes(fragment), e.message);
  }
}

test('keywords are case-insensitive and keep their spelling as value', () => {
  assert.equal(kinds('select SeLeCt SELECT'), ['SELECT', 'SELECT', 'SELECT']);
  assert.equal(values('select SeLeCt'), ['select', 'SeLeCt']);
  assert.equal(kinds('selects _select select_ a1 $'.slice(0, -2)), ['ident', 'ident', 'ident', 'ident']);
  assert.ok(KEYWORDS.has('AUTOINCREMENT') && !KEYWORDS.has('TRUE') && !KEYWORDS.has('ROWID'));
});

test('quoted identifiers unescape their quote character', () => {
  assert.equal(tokenize('"a""b"')[0], { kind: 'dqident', value: 'a"b', offset: 0, end: 6, line: 1, column: 1 });
  assert.equal(tokenize('[a"b]')[0]!.value, 'a"b');
  assert.equal(tokenize('`a``b`')[0]!.value, 'a`b');
  assert.equal(tokenize('ünïcode')[0]!.value, 'ünïcode');
  assert.equal(values('a$b _x x9'), ['a$b', '_x', 'x9']);
  // Every code unit >= 0x80 is an identifier character, as in SQLite.
  assert.equal(tokenize('\u{1F600}x')[0]!.kind, 'ident');
});

test('strings double their quote; blobs keep their hex digits', () => {
  assert.equal(tokenize("'it''s'")[0], { kind: 'string', value: "it's", offset: 0, end: 7, line: 1, column: 1 });
  assert.equal(tokenize("''")[0]!.value, '');
  assert.equal(tokenize("x'0aFF'")[0], { kind: 'blob', value: '0aFF', offset: 0, end: 7, line: 1, column: 1 });
  assert.equal(tokenize("X''")[0]!.value, '');
  assert.equal(kinds("x 'a'"), ['ident', 'string']);
});

test('numbers: integers, hex, reals with fraction and exponent', () => {
  assert.equal(tokenize('1 0x1F 0XaB 1.5 .5 5. 1e10 1E+3 2.5e-2 007').map((t) => [t.kind, t.value]), [
    ['integer', '1'], ['integer', '0x1F'], ['integer', '0XaB'], ['float', '1.5'], ['float', '.5'], ['float', '5.'],
    ['float', '1e10'], ['float', '1E+3'], ['float', '2.5e-2'], ['integer', '007'],
  ]);
  assert.equal(kinds('t.a 1.5.6'), ['ident', '.', 'ident', 'float', 'float']);
});

test('operators, with == and <> normalised in kind but not in value', () => {
  const ts = tokenize('( ) , ; . + - * / % || -> ->> < <= > >= = == != <> & | ~ << >>');
  assert.equal(ts.map((t) => t.kind), ['(', ')', ',', ';', '.', '+', '-', '*', '/', '%', '||', '->', '->>', '<', '<=', '>', '>=', '=', '=', '!=', '!=', '&', '|', '~', '<<', '>>']);
  assert.equal(ts[18]!.value, '==');
  assert.equal(ts[20]!.value, '<>');
  assert.equal(kinds('a-->b'), ['ident']);
  assert.equal(kinds('a->>b'), ['ident', '->>', 'ident']);
  assert.equal(kinds('a- ->b'), ['ident', '-', '->', 'ident']);
});

test('parameters: ?, ?NNN, :name, @name, $name', () => {
  assert.equal(tokenize('? ?12 :a @b_1 $c ?').map((t) => [t.kind, t.value]), [
    ['param', '?'], ['param', '?12'], ['param', ':a'], ['param', '@b_1'], ['param', '$c'], ['param', '?'],
  ]);
});

test('comments and whitespace separate tokens; an open block comment runs to the end', () => {
  assert.equal(values('a--x\nb/*y*/c /* z'), ['a', 'b', 'c']);
  assert.equal(values('a\t\f\r\nb'), ['a', 'b']);
  assert.equal(tokenize('-- only').length, 0);
  assert.equal(values('1/**/2'), ['1', '2']);
});

test('line and column count \\n, \\r\\n and lone \\r; tokens spanning lines report where they start', () => {
  const ts = tokenize("a\nb\r\nc\rd /* x\n y */ e 'multi\nline' f");
  assert.equal(ts.map((t) => [t.value, t.line, t.column]), [
    ['a', 1, 1], ['b', 2, 1], ['c', 3, 1], ['d', 4, 1], ['e', 5, 7], ['multi\nline', 5, 9], ['f', 6, 7],
  ]);
});

test('createLexer from an offset counts lines from the start of the text', () => {
  const sql = 'SELECT 1;\nSELECT 2';
  const lx = createLexer(sql, 9);
  const t = lx.next();
  assert.equal(t, { kind: 'SELECT', value: 'SELECT', offset: 10, end: 16, line: 2, column: 1 });
  lx.next();
  assert.is(lx.next().kind, 'eof');
  assert.is(lx.next().kind, 'eof');
});

test('bad tokens are SQL_SYNTAX with line, column and a caret', () => {
  expectSyntax("SELECT 'abc", 1, 8, 'unterminated string literal');
  expectSyntax('SELECT\n  "abc', 2, 3, 'unterminated quoted identifier');
  expectSyntax('[abc', 1, 1, 'unterminated quoted identifier');
  expectSyntax('`abc', 1, 1, 'unterminated quoted identifier');
  expectSyntax("x'abc'", 1, 1, 'malformed blob literal');
  expectSyntax("x'ag'", 1, 1, 'malformed blob literal');
  expectSyntax("x'ab", 1, 1, 'malformed blob literal');
  expectSyntax('12abc', 1, 1, 'unrecognized token: "12abc"');
  expectSyntax('0x', 1, 1, 'unrecognized token: "0x"');
  expectSyntax('0x1g', 1, 1, 'unrecognized token: "0x1g"');
  expectSyntax('1e+', 1, 1, 'unrecognized token');
  expectSyntax('a ! b', 1, 3, 'unrecognized token: "!"');
  expectSyntax('a\n\n  #', 3, 3, 'unrecognized token: "#"');
  expectSyntax(': x', 1, 1, 'unrecognized token: ":"');
  expectSyntax('@', 1, 1, 'unrecognized token: "@"');
  expectSyntax('a {', 1, 3, 'unrecognized token: "{"');
  expectSyntax('1.a', 1, 1, 'unrecognized token: "1.a"');
  expectSyntax('\\', 1, 1, 'unrecognized token');
});

test('the caret excerpt shows the line and a caret under the column', () => {
  assert.is(caretExcerpt('SELECT 1\nFROM x WHERE', 14), '  FROM x WHERE\n       ^');
  assert.is(caretExcerpt('a\tb', 2), '  a b\n    ^');
  const long = 'x'.repeat(200) + 'HERE' + 'y'.repeat(200);
  const ex = caretExcerpt(long, 200);
  const [text, caret] = ex.split('\n');
  assert.ok(text!.startsWith('  ...') && text!.endsWith('...'));
  assert.is(text!.slice(caret!.indexOf('^'), caret!.indexOf('^') + 4), 'HERE');
});

test('a 1 MB statement tokenizes in one pass', () => {
  const sql = 'SELECT ' + Array.from({ length: 100000 }, (_, i) => `c${i}`).join(', ');
  const ts = tokenize(sql);
  assert.is(ts.length, 1 + 100000 * 2 - 1);
  assert.is(ts[ts.length - 1]!.value, 'c99999');
});

test.run();
