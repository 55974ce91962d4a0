/**
 * The SQL lexer: SQLite's token set, scanned on UTF-16 char codes (no regular
 * expressions, no per-character allocation).
 *
 * Tokens (`Token.kind`):
 *   'ident'    bare identifier that is not a keyword        value: as written
 *   'dqident'  "quoted" identifier ("" escapes a quote)    value: unquoted
 *   'qident'   [quoted] or `quoted` identifier             value: unquoted
 *   'string'   'text' ('' escapes a quote)                 value: contents
 *   'blob'     X'hex' / x'hex' (even number of hex digits) value: the hex digits
 *   'integer'  123, 0x1F                                   value: as written
 *   'float'    1.5, .5, 1e10, 1.5E-3                       value: as written
 *   'param'    ?, ?12, :name, @name, $name                 value: as written
 *   keyword    its upper-case spelling ('SELECT', 'KEY')   value: as written
 *   operator   its canonical text: ( ) , ; . + - * / % || -> ->> < <= > >= =
 *              != & | ~ << >>  ('==' has kind '=', '<>' has kind '!=';
 *              value keeps the spelling)
 *   'eof'      end of input                                value: ''
 * Whitespace, `-- line` and `/* block *\/` comments (an unterminated block
 * comment runs to the end) separate tokens and are not returned.
 *
 * Positions: `offset`/`end` are UTF-16 indexes into the whole text,
 * `line`/`column` 1-based. An unknown character, an unterminated string or
 * quoted identifier, a malformed blob or number (`12abc`) is SQL_SYNTAX with a
 * caret under it.
 */
import { HeliosError } from '../format/errors.ts';

export interface Token {
  readonly kind: string;
  readonly value: string;
  readonly offset: number;
  readonly end: number;
  readonly line: number;
  readonly column: number;
}

/** SQLite's keywords (mkkeywordhash.c). Anything else is an identifier. */
export const KEYWORDS: ReadonlySet<string> = new Set([
  'ABORT', 'ACTION', 'ADD', 'AFTER', 'ALL', 'ALTER', 'ALWAYS', 'ANALYZE', 'AND', 'AS', 'ASC', 'ATTACH',
  'AUTOINCREMENT', 'BEFORE', 'BEGIN', 'BETWEEN', 'BY', 'CASCADE', 'CASE', 'CAST', 'CHECK', 'COLLATE',
  'COLUMN', 'COMMIT', 'CONFLICT', 'CONSTRAINT', 'CREATE', 'CROSS', 'CURRENT', 'CURRENT_DATE',
  'CURRENT_TIME', 'CURRENT_TIMESTAMP', 'DATABASE', 'DEFAULT', 'DEFERRABLE', 'DEFERRED', 'DELETE',
  'DESC', 'DETACH', 'DISTINCT', 'DO', 'DROP', 'EACH', 'ELSE', 'END', 'ESCAPE', 'EXCEPT', 'EXCLUDE',
  'EXCLUSIVE', 'EXISTS', 'EXPLAIN', 'FAIL', 'FILTER', 'FIRST', 'FOLLOWING', 'FOR', 'FOREIGN', 'FROM',
  'FULL', 'GENERATED', 'GLOB', 'GROUP', 'GROUPS', 'HAVING', 'IF', 'IGNORE', 'IMMEDIATE', 'IN', 'INDEX',
  'INDEXED', 'INITIALLY', 'INNER', 'INSERT', 'INSTEAD', 'INTERSECT', 'INTO', 'IS', 'ISNULL', 'JOIN',
  'KEY', 'LAST', 'LEFT', 'LIKE', 'LIMIT', 'MATCH', 'MATERIALIZED', 'NATURAL', 'NO', 'NOT', 'NOTHING',
  'NOTNULL', 'NULL', 'NULLS', 'OF', 'OFFSET', 'ON', 'OR', 'ORDER', 'OTHERS', 'OUTER', 'OVER',
  'PARTITION', 'PLAN', 'PRAGMA', 'PRECEDING', 'PRIMARY', 'QUERY', 'RAISE', 'RANGE', 'RECURSIVE',
  'REFERENCES', 'REGEXP', 'REINDEX', 'RELEASE', 'RENAME', 'REPLACE', 'RESTRICT', 'RETURNING', 'RIGHT',
  'ROLLBACK', 'ROW', 'ROWS', 'SAVEPOINT', 'SELECT', 'SET', 'TABLE', 'TEMP', 'TEMPORARY', 'THEN', 'TIES',
  'TO', 'TRANSACTION', 'TRIGGER', 'UNBOUNDED', 'UNION', 'UNIQUE', 'UPDATE', 'USING', 'VACUUM',
  'VALUES', 'VIEW', 'VIRTUAL', 'WHEN', 'WHERE', 'WINDOW', 'WITH', 'WITHOUT',
]);

/** Maps every spelling we have seen to its keyword (or null): avoids toUpperCase for repeats. */
const keywordCache = new Map<string, string | null>();
function keywordOf(text: string): string | null {
  const hit = keywordCache.get(text);
  if (hit !== undefined) return hit;
  const upper = text.toUpperCase();
  const kw = KEYWORDS.has(upper) ? upper : null;
  if (keywordCache.size < 4096) keywordCache.set(text, kw);
  return kw;
}

/** Build the SQL_SYNTAX error for a problem at `offset` (line/column given): the
 *  message ends with the offending line and a caret under the column. */
export function syntaxError(sql: string, offset: number, line: number, column: number, message: string): HeliosError {
  return new HeliosError('SQL_SYNTAX', `${message} at line ${line}, column ${column}\n${caretExcerpt(sql, offset)}`, { line, column });
}

const EXCERPT_HALF_WIDTH = 60;

/** The source line holding `offset` (cut to ±60 characters around it, tabs as spaces) and a caret line. */
export function caretExcerpt(sql: string, offset: number): string {
  let start = offset;
  while (start > 0 && sql.charCodeAt(start - 1) !== 10 && sql.charCodeAt(start - 1) !== 13) start--;
  let end = offset;
  while (end < sql.length && sql.charCodeAt(end) !== 10 && sql.charCodeAt(end) !== 13) end++;
  let from = start;
  let to = end;
  let prefix = '';
  let suffix = '';
  if (offset - from > EXCERPT_HALF_WIDTH) { from = offset - EXCERPT_HALF_WIDTH; prefix = '...'; }
  if (to - offset > EXCERPT_HALF_WIDTH) { to = offset + EXCERPT_HALF_WIDTH; suffix = '...'; }
  const text = sql.slice(from, to).replace(/\t/g, ' ');
  return `  ${prefix}${text}${suffix}\n  ${' '.repeat(prefix.length + offset - from)}^`;
}

/** Scans tokens one at a time from `offset` on; after 'eof' it keeps returning 'eof'. */
export interface Lexer {
  next(): Token;
}

// Character classes for ASCII; every code unit >= 0x80 is an identifier character (as in SQLite).
const C_OTHER = 0;
const C_SPACE = 1;
const C_DIGIT = 2;
const C_IDSTART = 3; // letters and '_'
const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if (c === 32 || c === 9 || c === 10 || c === 12 || c === 13) CLASS[c] = C_SPACE;
  else if (c >= 48 && c <= 57) CLASS[c] = C_DIGIT;
  else if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95) CLASS[c] = C_IDSTART;
  else CLASS[c] = C_OTHER;
}

function isIdChar(c: number): boolean {
  if (c >= 128) return true;
  const k = CLASS[c]!;
  return k === C_IDSTART || k === C_DIGIT || c === 36; /* $ */
}

function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

let cachedText: string | null = null;
let cachedLineStarts: number[] = [0];

/** Offsets where each line of `text` starts (a line ends at LF, CRLF or a lone CR); cached for the last text. */
function lineStartsOf(text: string): number[] {
  if (text === cachedText) return cachedLineStarts;
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) starts.push(i + 1);
  }
  cachedText = text;
  cachedLineStarts = starts;
  return starts;
}

/** A lexer over `sql` starting at `offset` (default 0). Line/column count from the start of `sql`. */
export function createLexer(sql: string, offset = 0): Lexer {
  const n = sql.length;
  let pos = 0;
  let line = 1;
  let lineStart = 0;
  // Positions are relative to the whole text: find the line holding `offset`
  // from a cached line table, so lexing statement after statement of one
  // script stays linear in its length.
  if (offset > 0) {
    const starts = lineStartsOf(sql);
    let lo = 0;
    let hi = starts.length - 1;
    const at = Math.min(offset, n);
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid]! <= at) lo = mid;
      else hi = mid - 1;
    }
    line = lo + 1;
    lineStart = starts[lo]!;
    pos = at;
  }

  function fail(at: number, message: string): never {
    // `at` lies on the current line or later; recount from lineStart.
    let l = line;
    let ls = lineStart;
    for (let i = lineStart; i < at; i++) {
      const c = sql.charCodeAt(i);
      if (c === 10 || (c === 13 && sql.charCodeAt(i + 1) !== 10)) { l++; ls = i + 1; }
    }
    throw syntaxError(sql, at, l, at - ls + 1, message);
  }

  /** Advance over text that may contain newlines, keeping line/lineStart right. */
  function skipTo(end: number): void {
    for (let i = pos; i < end; i++) {
      const c = sql.charCodeAt(i);
      if (c === 10 || (c === 13 && sql.charCodeAt(i + 1) !== 10)) { line++; lineStart = i + 1; }
    }
    pos = end;
  }

  // Line and line start of the token being scanned (a token spanning lines is reported where it starts).
  let tokLine = 1;
  let tokLineStart = 0;
  function tok(kind: string, value: string, start: number): Token {
    return { kind, value, offset: start, end: pos, line: tokLine, column: start - tokLineStart + 1 };
  }

  /** Scan a quoted run closed by `close`; a doubled `close` is an escaped one when `doubling`. */
  function scanQuoted(start: number, close: number, doubling: boolean, what: string): string {
    let i = start + 1;
    let out = '';
    let runStart = i;
    for (;;) {
      if (i >= n) fail(start, `unterminated ${what}`);
      const c = sql.charCodeAt(i);
      if (c === close) {
        if (doubling && sql.charCodeAt(i + 1) === close) {
          out += sql.slice(runStart, i + 1);
          i += 2;
          runStart = i;
          continue;
        }
        out += sql.slice(runStart, i);
        break;
      }
      i++;
    }
    skipTo(i + 1);
    return out;
  }

  function next(): Token {
    // Skip whitespace and comments.
    for (;;) {
      if (pos >= n) return { kind: 'eof', value: '', offset: n, end: n, line, column: n - lineStart + 1 };
      const c = sql.charCodeAt(pos);
      if (c < 128 && CLASS[c] === C_SPACE) {
        if (c === 10 || (c === 13 && sql.charCodeAt(pos + 1) !== 10)) { line++; lineStart = pos + 1; }
        pos++;
        continue;
      }
      if (c === 45 /* - */ && sql.charCodeAt(pos + 1) === 45) {
        let i = pos + 2;
        while (i < n && sql.charCodeAt(i) !== 10 && sql.charCodeAt(i) !== 13) i++;
        pos = i;
        continue;
      }
      if (c === 47 /* / */ && sql.charCodeAt(pos + 1) === 42 /* * */) {
        let i = pos + 2;
        while (i < n && !(sql.charCodeAt(i) === 42 && sql.charCodeAt(i + 1) === 47)) i++;
        skipTo(i < n ? i + 2 : n);
        continue;
      }
      break;
    }

    const start = pos;
    const c = sql.charCodeAt(pos);
    tokLine = line;
    tokLineStart = lineStart;

    // Identifiers, keywords and blob literals.
    if (c >= 128 || CLASS[c] === C_IDSTART) {
      if ((c === 120 || c === 88) /* x X */ && sql.charCodeAt(pos + 1) === 39 /* ' */) {
        let i = pos + 2;
        while (i < n && isHexDigit(sql.charCodeAt(i))) i++;
        if (sql.charCodeAt(i) !== 39 || (i - pos - 2) % 2 !== 0) {
          fail(start, 'malformed blob literal: X\'…\' holds an even number of hex digits');
        }
        pos = i + 1;
        return tok('blob', sql.slice(start + 2, i), start);
      }
      let i = pos + 1;
      while (i < n && isIdChar(sql.charCodeAt(i))) i++;
      pos = i;
      const text = sql.slice(start, i);
      const kw = i - start >= 2 && i - start <= 17 ? keywordOf(text) : null;
      return tok(kw ?? 'ident', text, start);
    }

    // Numbers.
    if ((c >= 48 && c <= 57) || (c === 46 && pos + 1 < n && CLASS[sql.charCodeAt(pos + 1)] === C_DIGIT)) {
      return scanNumber(start);
    }

    switch (c) {
      case 39: { // 'string'
        const v = scanQuoted(start, 39, true, 'string literal');
        return tok('string', v, start);
      }
      case 34: { // "identifier"
        const v = scanQuoted(start, 34, true, 'quoted identifier');
        return tok('dqident', v, start);
      }
      case 96: { // `identifier`
        const v = scanQuoted(start, 96, true, 'quoted identifier');
        return tok('qident', v, start);
      }
      case 91: { // [identifier]
        const v = scanQuoted(start, 93, false, 'quoted identifier');
        return tok('qident', v, start);
      }
      case 63: { // ?NNN
        let i = pos + 1;
        while (i < n && CLASS[sql.charCodeAt(i)] === C_DIGIT) i++;
        pos = i;
        return tok('param', sql.slice(start, i), start);
      }
      case 58: case 64: case 36: { // :name @name $name
        let i = pos + 1;
        while (i < n && isIdChar(sql.charCodeAt(i))) i++;
        if (i === pos + 1) fail(start, `unrecognized token: "${sql[start]}"`);
        pos = i;
        return tok('param', sql.slice(start, i), start);
      }
      case 40: pos++; return tok('(', '(', start);
      case 41: pos++; return tok(')', ')', start);
      case 44: pos++; return tok(',', ',', start);
      case 59: pos++; return tok(';', ';', start);
      case 46: pos++; return tok('.', '.', start);
      case 43: pos++; return tok('+', '+', start);
      case 42: pos++; return tok('*', '*', start);
      case 47: pos++; return tok('/', '/', start);
      case 37: pos++; return tok('%', '%', start);
      case 38: pos++; return tok('&', '&', start);
      case 126: pos++; return tok('~', '~', start);
      case 45: { // - -> ->>
        if (sql.charCodeAt(pos + 1) === 62) {
          if (sql.charCodeAt(pos + 2) === 62) { pos += 3; return tok('->>', '->>', start); }
          pos += 2;
          return tok('->', '->', start);
        }
        pos++;
        return tok('-', '-', start);
      }
      case 124: { // | ||
        if (sql.charCodeAt(pos + 1) === 124) { pos += 2; return tok('||', '||', start); }
        pos++;
        return tok('|', '|', start);
      }
      case 61: { // = ==
        if (sql.charCodeAt(pos + 1) === 61) { pos += 2; return tok('=', '==', start); }
        pos++;
        return tok('=', '=', start);
      }
      case 60: { // < <= <> <<
        const d = sql.charCodeAt(pos + 1);
        if (d === 61) { pos += 2; return tok('<=', '<=', start); }
        if (d === 62) { pos += 2; return tok('!=', '<>', start); }
        if (d === 60) { pos += 2; return tok('<<', '<<', start); }
        pos++;
        return tok('<', '<', start);
      }
      case 62: { // > >= >>
        const d = sql.charCodeAt(pos + 1);
        if (d === 61) { pos += 2; return tok('>=', '>=', start); }
        if (d === 62) { pos += 2; return tok('>>', '>>', start); }
        pos++;
        return tok('>', '>', start);
      }
      case 33: { // !=
        if (sql.charCodeAt(pos + 1) === 61) { pos += 2; return tok('!=', '!=', start); }
        break;
      }
    }
    const cp = sql.codePointAt(start) ?? c;
    fail(start, `unrecognized token: ${JSON.stringify(String.fromCodePoint(cp))}`);
  }

  function scanNumber(start: number): Token {
    let i = start;
    const c0 = sql.charCodeAt(i);
    if (c0 === 48 && (sql.charCodeAt(i + 1) === 120 || sql.charCodeAt(i + 1) === 88) && isHexDigit(sql.charCodeAt(i + 2))) {
      i += 2;
      while (i < n && isHexDigit(sql.charCodeAt(i))) i++;
      if (i < n && isIdChar(sql.charCodeAt(i))) badNumber(start, i);
      pos = i;
      return tok('integer', sql.slice(start, i), start);
    }
    let kind = 'integer';
    while (i < n && CLASS[sql.charCodeAt(i)] === C_DIGIT) i++;
    if (sql.charCodeAt(i) === 46 /* . */) {
      kind = 'float';
      i++;
      while (i < n && CLASS[sql.charCodeAt(i)] === C_DIGIT) i++;
    }
    const e = sql.charCodeAt(i);
    if (e === 101 || e === 69) {
      const s = sql.charCodeAt(i + 1);
      const d = s === 43 || s === 45 ? sql.charCodeAt(i + 2) : s;
      if (d >= 48 && d <= 57) {
        kind = 'float';
        i += s === 43 || s === 45 ? 2 : 1;
        while (i < n && CLASS[sql.charCodeAt(i)] === C_DIGIT) i++;
      }
    }
    if (i < n && isIdChar(sql.charCodeAt(i))) badNumber(start, i);
    pos = i;
    return tok(kind, sql.slice(start, i), start);
  }

  function badNumber(start: number, i: number): never {
    while (i < n && isIdChar(sql.charCodeAt(i))) i++;
    fail(start, `unrecognized token: ${JSON.stringify(sql.slice(start, i))}`);
  }

  if (offset > n) pos = n;
  return { next };
}

/** All tokens of `sql` (without the final 'eof'). Throws SQL_SYNTAX on the first bad token. */
export function tokenize(sql: string): Token[] {
  const lexer = createLexer(sql);
  const out: Token[] = [];
  for (;;) {
    const t = lexer.next();
    if (t.kind === 'eof') return out;
    out.push(t);
  }
}
