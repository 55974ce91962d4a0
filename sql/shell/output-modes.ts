/**
 * The shell's output modes, written to match sqlite3's shell (shell.c of
 * 3.4x/3.5x) byte for byte where the values agree: list (the default),
 * line, column, box, markdown, table, csv, json, insert, quote, tabs, html,
 * ascii. sql/shell/modes.test.ts compares each with Debian's `sqlite3`.
 *
 * Values arrive as the API returns them in raw, safeIntegers mode: INTEGER a
 * bigint, REAL a number, TEXT a string, BLOB a Uint8Array, NULL null.
 * Difference kept on purpose: a REAL prints as the library renders it
 * (`renderReal`, SQLite 3.53's shortest round-trip text) where an older
 * sqlite3 prints 20 significant digits in json, insert and quote modes.
 */
import { renderReal } from '../../index.ts';

export const MODES = ['list', 'line', 'column', 'box', 'markdown', 'table', 'csv', 'json', 'insert', 'quote', 'tabs', 'html', 'ascii'] as const;
export type OutputMode = (typeof MODES)[number];

export function isOutputMode(m: string): m is OutputMode {
  return (MODES as readonly string[]).includes(m);
}

/** What shapes a result on screen (.mode, .headers, .separator, .nullvalue, .width). */
export interface OutputSettings {
  mode: OutputMode;
  headers: boolean;
  /** .headers was given explicitly: .mode column then leaves it alone (sqlite3's SHFLG_HeaderSet). */
  headersSet: boolean;
  colSeparator: string;
  rowSeparator: string;
  nullValue: string;
  /** .width: per column; 0 automatic, negative right-aligned. */
  widths: number[];
  /** The table name insert mode writes. */
  insertTable: string;
}

export function defaultSettings(): OutputSettings {
  return { mode: 'list', headers: false, headersSet: false, colSeparator: '|', rowSeparator: '\n', nullValue: '', widths: [], insertTable: 'table' };
}

/** `.mode NAME [TABLE]`: the separators each mode brings, as sqlite3 sets them. */
export function setMode(s: OutputSettings, mode: OutputMode, table?: string): void {
  s.mode = mode;
  switch (mode) {
    case 'list':
      s.colSeparator = '|';
      s.rowSeparator = '\n';
      break;
    case 'line':
      s.rowSeparator = '\n';
      break;
    case 'column':
    case 'box':
    case 'markdown':
    case 'table':
      if (!s.headersSet) s.headers = true;
      break;
    case 'csv':
      s.colSeparator = ',';
      s.rowSeparator = '\r\n';
      break;
    case 'tabs':
      s.colSeparator = '\t';
      s.rowSeparator = '\n';
      break;
    case 'quote':
      s.colSeparator = ',';
      s.rowSeparator = '\n';
      break;
    case 'ascii':
      s.colSeparator = '\x1f';
      s.rowSeparator = '\x1e';
      break;
    case 'insert':
      s.insertTable = table ?? 'table';
      break;
    case 'json':
    case 'html':
      break;
  }
}

/** A mode given as a command-line flag (-csv, -column, …): sqlite3 sets fewer things than .mode does (no CRLF for -csv, no header for -column). */
export function setModeFlag(s: OutputSettings, mode: OutputMode): void {
  s.mode = mode;
  if (mode === 'csv') s.colSeparator = ',';
  else if (mode === 'tabs') {
    s.colSeparator = '\t';
    s.rowSeparator = '\n';
  } else if (mode === 'quote') {
    s.colSeparator = ',';
    s.rowSeparator = '\n';
  } else if (mode === 'ascii') {
    s.colSeparator = '\x1f';
    s.rowSeparator = '\x1e';
  }
}

const utf8 = new TextDecoder('utf-8');

function hexLower(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** sqlite3_column_text of a value: null stays null. */
export function valueText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return renderReal(v);
  if (v instanceof Uint8Array) return utf8.decode(v);
  return String(v);
}

/** A REAL as SQL text that reads back as the same value (±1e999 for the infinities). */
function realLiteral(x: number): string {
  if (x === Infinity) return '1e999';
  if (x === -Infinity) return '-1e999';
  if (Number.isNaN(x)) return 'NULL';
  return renderReal(x);
}

/** A value as an SQL literal the way sqlite3's quote/insert modes and .dump write it. */
export function sqlLiteral(v: unknown, newlines: 'raw' | 'replace' = 'replace'): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return realLiteral(v);
  if (v instanceof Uint8Array) return `X'${hexLower(v)}'`;
  const s = String(v);
  const quoted = `'${s.replace(/'/g, "''")}'`;
  if (newlines === 'raw' || !/[\r\n]/.test(s)) return quoted;
  let out = quoted;
  let wrap = '';
  if (s.includes('\n')) {
    out = out.replace(/\n/g, '\\n');
    wrap = 'n';
  }
  if (s.includes('\r')) {
    out = out.replace(/\r/g, '\\r');
    wrap += 'r';
  }
  if (wrap === 'n') return `replace(${out},'\\n',char(10))`;
  if (wrap === 'r') return `replace(${out},'\\r',char(13))`;
  return `replace(replace(${out},'\\r',char(13)),'\\n',char(10))`;
}

/** A name as sqlite3 writes it in insert mode and .dump: bare when it is a plain identifier and not a keyword. */
export function quoteIdentifier(name: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !SQL_KEYWORDS.has(name.toUpperCase())) return name;
  return `"${name.replace(/"/g, '""')}"`;
}

const SQL_KEYWORDS = new Set(
  ('ABORT ACTION ADD AFTER ALL ALTER ALWAYS ANALYZE AND AS ASC ATTACH AUTOINCREMENT BEFORE BEGIN BETWEEN BY CASCADE CASE CAST CHECK COLLATE COLUMN COMMIT ' +
    'CONFLICT CONSTRAINT CREATE CROSS CURRENT CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP DATABASE DEFAULT DEFERRABLE DEFERRED DELETE DESC DETACH DISTINCT DO DROP EACH ELSE END ' +
    'ESCAPE EXCEPT EXCLUDE EXCLUSIVE EXISTS EXPLAIN FAIL FILTER FIRST FOLLOWING FOR FOREIGN FROM FULL GENERATED GLOB GROUP GROUPS HAVING IF IGNORE IMMEDIATE IN INDEX ' +
    'INDEXED INITIALLY INNER INSERT INSTEAD INTERSECT INTO IS ISNULL JOIN KEY LAST LEFT LIKE LIMIT MATCH MATERIALIZED NATURAL NO NOT NOTHING NOTNULL NULL NULLS OF ' +
    'OFFSET ON OR ORDER OTHERS OUTER OVER PARTITION PLAN PRAGMA PRECEDING PRIMARY QUERY RAISE RANGE RECURSIVE REFERENCES REGEXP REINDEX RELEASE RENAME REPLACE RESTRICT ' +
    'RETURNING RIGHT ROLLBACK ROW ROWS SAVEPOINT SELECT SET TABLE TEMP TEMPORARY THEN TIES TO TRANSACTION TRIGGER UNBOUNDED UNION UNIQUE UPDATE USING VACUUM VALUES VIEW ' +
    'VIRTUAL WHEN WHERE WINDOW WITH WITHOUT').split(' '),
);

/** sqlite3's needCsvQuote: the empty string, controls, space, `"`, `'`, DEL, every non-ASCII byte, and the separator. */
function needsCsvQuote(s: string, sep: string): boolean {
  if (s === '') return true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c === 0x22 || c === 0x27 || c >= 0x7f) return true;
  }
  return sep !== '' && s.includes(sep);
}

function csvField(s: string, sep: string): string {
  return needsCsvQuote(s, sep) ? `"${s.replace(/"/g, '""')}"` : s;
}

function jsonString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (c <= 0x1f) {
      out += ch === '\b' ? '\\b' : ch === '\f' ? '\\f' : ch === '\n' ? '\\n' : ch === '\r' ? '\\r' : ch === '\t' ? '\\t' : `\\u${c.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return out + '"';
}

function jsonValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isFinite(v) ? renderReal(v) : v > 0 ? '1e999' : '-1e999';
  if (v instanceof Uint8Array) return jsonString(utf8.decode(v));
  return jsonString(String(v));
}

function htmlEscape(s: string): string {
  return s.replace(/[<>&"']/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : c === '"' ? '&quot;' : '&#39;'));
}

const charLength = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

/**
 * One cell split for a columnar mode, as sqlite3's translateForDisplayAndDup:
 * lines end at \n (a \r\n counts as one), tabs expand to the next multiple of
 * 8, and a width wraps longer lines.
 */
function splitCell(z: string, wrap: number): string[] {
  const max = wrap === 0 ? 1_000_000 : Math.abs(wrap);
  const lines: string[] = [];
  const chars = [...z];
  let i = 0;
  for (;;) {
    let line = '';
    let n = 0;
    while (n < max && i < chars.length) {
      const c = chars[i]!;
      if (c === '\t') {
        do {
          line += ' ';
          n++;
        } while ((n & 7) !== 0 && n < max);
        i++;
      } else if (c < ' ') break;
      else {
        line += c;
        n++;
        i++;
      }
    }
    lines.push(line);
    if (i >= chars.length) return lines;
    // A line ends at \n or \r\n, at another control character (dropped), or at the width (the text goes on).
    if (chars[i] === '\r' && chars[i + 1] === '\n') i += 2;
    else if (chars[i]! < ' ') i += 1;
    if (i >= chars.length) return lines;
  }
}

function padTo(s: string, w: number): string {
  const n = charLength(s);
  if (w < 0) return n >= -w ? s : ' '.repeat(-w - n) + s;
  return n >= w ? s : s + ' '.repeat(w - n);
}

function center(s: string, w: number): string {
  const n = charLength(s);
  return ' '.repeat(Math.max(0, Math.floor((w - n) / 2))) + s + ' '.repeat(Math.max(0, Math.floor((w - n + 1) / 2)));
}

function formatColumnar(s: OutputSettings, names: readonly string[], rows: readonly (readonly unknown[])[]): string {
  if (rows.length === 0 || names.length === 0) return '';
  const nCol = names.length;
  const width = (i: number): number => s.widths[i] ?? 0;
  // Each result row becomes one or more screen lines of cells (multi-line values).
  const grid: { cells: string[]; lastOfRow: boolean }[] = [];
  let multiLine = false;
  const header = names.map((n, i) => splitCell(n, width(i))[0]!);
  for (const r of rows) {
    const split = names.map((_, i) => splitCell(valueText(r[i]) ?? s.nullValue, width(i)));
    const height = Math.max(...split.map((x) => x.length));
    if (height > 1) multiLine = true;
    for (let k = 0; k < height; k++) grid.push({ cells: split.map((x) => x[k] ?? ''), lastOfRow: k === height - 1 });
  }
  const w = names.map((_, i) => Math.max(Math.abs(width(i)), charLength(header[i]!), ...grid.map((g) => charLength(g.cells[i]!))));
  const signed = (i: number): number => (width(i) < 0 ? -w[i]! : w[i]!);
  const dashes = (ch: string, left: string, mid: string, right: string): string => left + w.map((x) => ch.repeat(x + 2)).join(mid) + right + '\n';
  let out = '';
  let colSep: string;
  let rowSep: string;
  let lineStart = '';
  switch (s.mode) {
    case 'column':
      colSep = '  ';
      rowSep = '\n';
      if (s.headers) {
        out += header.map((h, i) => padTo(h, signed(i))).join('  ') + '\n';
        out += w.map((x) => '-'.repeat(x)).join('  ') + '\n';
      }
      break;
    case 'table':
      colSep = ' | ';
      rowSep = ' |\n';
      lineStart = '| ';
      out += dashes('-', '+', '+', '+');
      out += '| ' + header.map((h, i) => center(h, w[i]!)).join(' | ') + ' |\n';
      out += dashes('-', '+', '+', '+');
      break;
    case 'markdown':
      colSep = ' | ';
      rowSep = ' |\n';
      lineStart = '| ';
      out += '| ' + header.map((h, i) => center(h, w[i]!)).join(' | ') + ' |\n';
      out += dashes('-', '|', '|', '|');
      break;
    default:
      colSep = ' │ ';
      rowSep = ' │\n';
      lineStart = '│ ';
      out += dashes('─', '┌', '┬', '┐');
      out += '│ ' + header.map((h, i) => center(h, w[i]!)).join(' │ ') + ' │\n';
      out += dashes('─', '├', '┼', '┤');
  }
  for (let g = 0; g < grid.length; g++) {
    const line = grid[g]!;
    out += lineStart + line.cells.map((c, i) => padTo(c, signed(i))).join(colSep) + rowSep;
    if (multiLine && line.lastOfRow && g + 1 < grid.length) {
      if (s.mode === 'table') out += dashes('-', '+', '+', '+');
      else if (s.mode === 'box') out += dashes('─', '├', '┼', '┤');
      else if (s.mode === 'column') out += '\n';
    }
  }
  if (s.mode === 'table') out += dashes('-', '+', '+', '+');
  else if (s.mode === 'box') out += dashes('─', '└', '┴', '┘');
  void nCol;
  return out;
}

/**
 * The text one statement's result prints as. `counter` carries the line
 * mode's record count across calls for a statement whose rows arrive in
 * batches (the blank line between records); pass a fresh one per statement.
 */
export function formatResult(s: OutputSettings, names: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const text = (v: unknown): string => valueText(v) ?? s.nullValue;
  const cs = s.colSeparator;
  const rs = s.rowSeparator;
  switch (s.mode) {
    case 'column':
    case 'table':
    case 'markdown':
    case 'box':
      return formatColumnar(s, names, rows);
    case 'list':
    case 'tabs':
    case 'ascii': {
      if (rows.length === 0) return '';
      let out = s.headers ? names.join(cs) + rs : '';
      for (const r of rows) out += names.map((_, i) => text(r[i])).join(cs) + rs;
      return out;
    }
    case 'line': {
      const w = Math.max(5, ...names.map(charLength));
      return rows.map((r) => names.map((n, i) => `${' '.repeat(w - charLength(n))}${n} = ${text(r[i])}${rs}`).join('')).join(rs);
    }
    case 'csv': {
      if (rows.length === 0) return '';
      let out = s.headers ? names.map((n) => csvField(n, cs)).join(cs) + rs : '';
      for (const r of rows) out += names.map((_, i) => (r[i] === null || r[i] === undefined ? s.nullValue : csvField(text(r[i]), cs))).join(cs) + rs;
      return out;
    }
    case 'quote': {
      if (rows.length === 0) return '';
      let out = s.headers ? names.map((n) => `'${n.replace(/'/g, "''")}'`).join(cs) + rs : '';
      for (const r of rows) out += names.map((_, i) => sqlLiteral(r[i], 'raw')).join(cs) + rs;
      return out;
    }
    case 'insert': {
      const cols = s.headers ? `(${names.map(quoteIdentifier).join(',')})` : '';
      const head = `INSERT INTO ${quoteIdentifier(s.insertTable)}${cols} VALUES(`;
      return rows.map((r) => head + names.map((_, i) => sqlLiteral(r[i])).join(',') + ');\n').join('');
    }
    case 'json': {
      if (rows.length === 0) return '';
      const keys = names.map(jsonString);
      return '[' + rows.map((r) => '{' + keys.map((k, i) => `${k}:${jsonValue(r[i])}`).join(',') + '}').join(',\n') + ']\n';
    }
    case 'html': {
      if (rows.length === 0) return '';
      let out = s.headers ? '<TR>' + names.map((n) => `<TH>${htmlEscape(n)}</TH>\n`).join('') + '</TR>\n' : '';
      for (const r of rows) out += '<TR>' + names.map((_, i) => `<TD>${htmlEscape(text(r[i]))}</TD>\n`).join('') + '</TR>\n';
      return out;
    }
  }
}

/** sqlite3's .tables / .indexes layout: names in columns across an 80-character line. */
export function formatNameColumns(names: readonly string[]): string {
  if (names.length === 0) return '';
  const max = Math.max(...names.map(charLength));
  const nCol = Math.max(1, Math.floor(80 / (max + 2)));
  const nRow = Math.ceil(names.length / nCol);
  let out = '';
  for (let i = 0; i < nRow; i++) {
    for (let j = i; j < names.length; j += nRow) out += (j < nRow ? '' : '  ') + padTo(names[j]!, max);
    out += '\n';
  }
  return out;
}

/** `.show`'s C-string form of a separator or null value: "\n", "\t", "\r", "\x1F" escaped. */
export function cString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += `\\${c.toString(8).padStart(3, '0')}`;
    else out += ch;
  }
  return out + '"';
}

/** A separator argument of .separator / -separator: backslash escapes (\t \n \r \\ \" \NNN octal, \xHH). */
export function unescapeArg(s: string): string {
  return s.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/g, (_, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return e === 't' ? '\t' : e === 'n' ? '\n' : e === 'r' ? '\r' : e === 'f' ? '\f' : e === 'v' ? '\v' : e === 'a' ? '\x07' : e === 'b' ? '\b' : e;
  });
}
