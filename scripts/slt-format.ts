/**
 * SQLite's sqllogictest format: parsing a script into records, rendering
 * result values the way the reference C runner (sqllogictest.c with its
 * SQLite adapter) renders them, sorting, and MD5 hashing of result sets.
 *
 * Format (https://www.sqlite.org/sqllogictest/doc/trunk/about.wiki):
 *
 *   # comment                      records are separated by blank lines
 *   skipif <engine>                conditions precede a record; the record is
 *   onlyif <engine>                skipped when they do not hold for our engine
 *   statement ok | statement error
 *   <sql ...>
 *
 *   query <types> <nosort|rowsort|valuesort> [label]
 *   <sql ...>
 *   ----
 *   <one rendered value per line>  or  "<n> values hashing to <md5>"
 *
 *   hash-threshold <n>             hash results with more than n values (default 8, 0 = never)
 *   halt                           stop reading the script
 *
 * Pure: no I/O besides MD5 from node:crypto (allowed in scripts/). Float
 * formatting reuses the SQL layer's exact port of SQLite's printf.
 */
import { createHash } from 'node:crypto';
import { formatFloat } from '../sql/fp-decode.ts';
import { renderReal } from '../sql/value.ts';

/**
 * One result value as a backend reports it, with its SQLite storage class
 * carried by the JS type: INTEGER is a `bigint` (any value, even 1), REAL is
 * a `number` (1.0 included), TEXT a `string`, BLOB a `Uint8Array`, NULL `null`.
 */
export type SltValue = null | bigint | number | string | Uint8Array;

export type SortMode = 'nosort' | 'rowsort' | 'valuesort';

export interface Conditions {
  /** Engines named by `skipif` lines. */
  readonly skipIf: readonly string[];
  /** Engines named by `onlyif` lines. */
  readonly onlyIf: readonly string[];
}

interface RecordBase {
  /** 1-based line of the record's header line (`statement`, `query`, ...). */
  readonly line: number;
  readonly conditions: Conditions;
}

export type SltRecord =
  | (RecordBase & { readonly kind: 'statement'; readonly expectError: boolean; readonly sql: string })
  | (RecordBase & {
      readonly kind: 'query';
      /** One of I, R, T per column. */
      readonly types: string;
      readonly sort: SortMode;
      readonly label: string | null;
      readonly sql: string;
      /** The lines after `----` (none when there is no `----`). */
      readonly expected: readonly string[];
    })
  | (RecordBase & { readonly kind: 'hash-threshold'; readonly threshold: number })
  | (RecordBase & { readonly kind: 'halt' })
  /** A record the runner cannot understand: reported as a failure, never silently skipped. */
  | (RecordBase & { readonly kind: 'invalid'; readonly reason: string; readonly text: string });

/** The number of values above which results are hashed when a script sets no threshold. */
export const DEFAULT_HASH_THRESHOLD = 8;

const SORT_MODES: ReadonlySet<string> = new Set(['nosort', 'rowsort', 'valuesort']);

/**
 * Splits a script into records. Tolerates CRLF line ends. Lines starting
 * with `#` are comments wherever a record header or SQL may stand; in the
 * expected-results section every line is data (a value may start with `#`).
 */
export function parseSltScript(text: string): SltRecord[] {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  const records: SltRecord[] = [];
  let i = 0;
  const blank = (l: string): boolean => l.trim() === '';
  const comment = (l: string): boolean => l.startsWith('#');
  while (i < lines.length) {
    // Skip blank and comment lines between records.
    while (i < lines.length && (blank(lines[i]!) || comment(lines[i]!))) i++;
    if (i >= lines.length) break;
    const skipIf: string[] = [];
    const onlyIf: string[] = [];
    let header = tokens(lines[i]!);
    while (header[0] === 'skipif' || header[0] === 'onlyif') {
      (header[0] === 'skipif' ? skipIf : onlyIf).push(header[1] ?? '');
      i++;
      while (i < lines.length && comment(lines[i]!)) i++;
      header = i < lines.length && !blank(lines[i]!) ? tokens(lines[i]!) : [];
    }
    const line = i + 1;
    const conditions: Conditions = { skipIf, onlyIf };
    // The record body: every line up to the next blank line.
    const start = i;
    i++;
    while (i < lines.length && !blank(lines[i]!)) i++;
    const body = lines.slice(start + 1, i).filter((l) => !comment(l));
    const rawText = lines.slice(start, i).join('\n');
    const kind = header[0];
    if (kind === 'statement') {
      const mode = header[1];
      if (mode !== 'ok' && mode !== 'error') {
        records.push({ kind: 'invalid', line, conditions, reason: `statement mode must be ok or error, got ${mode ?? 'nothing'}`, text: rawText });
      } else if (body.length === 0) {
        records.push({ kind: 'invalid', line, conditions, reason: 'statement without SQL', text: rawText });
      } else {
        records.push({ kind: 'statement', line, conditions, expectError: mode === 'error', sql: body.join('\n') });
      }
    } else if (kind === 'query') {
      const types = header[1] ?? '';
      const sort = header[2] ?? 'nosort';
      if (!/^[IRT]+$/.test(types)) {
        records.push({ kind: 'invalid', line, conditions, reason: `query types must be letters I, R, T, got ${types || 'nothing'}`, text: rawText });
        continue;
      }
      if (!SORT_MODES.has(sort)) {
        records.push({ kind: 'invalid', line, conditions, reason: `unknown sort mode ${sort}`, text: rawText });
        continue;
      }
      // Expected values are data: take them from the raw lines, comments included.
      const raw = lines.slice(start + 1, i);
      const sep = raw.indexOf('----');
      const sqlLines = (sep < 0 ? raw : raw.slice(0, sep)).filter((l) => !comment(l));
      const expected = sep < 0 ? [] : raw.slice(sep + 1);
      if (sqlLines.length === 0) {
        records.push({ kind: 'invalid', line, conditions, reason: 'query without SQL', text: rawText });
        continue;
      }
      records.push({
        kind: 'query',
        line,
        conditions,
        types,
        sort: sort as SortMode,
        label: header[3] ?? null,
        sql: sqlLines.join('\n'),
        expected,
      });
    } else if (kind === 'hash-threshold') {
      const n = Number(header[1]);
      if (!Number.isSafeInteger(n) || n < 0) {
        records.push({ kind: 'invalid', line, conditions, reason: `bad hash-threshold ${header[1] ?? ''}`, text: rawText });
      } else records.push({ kind: 'hash-threshold', line, conditions, threshold: n });
    } else if (kind === 'halt') {
      records.push({ kind: 'halt', line, conditions });
    } else {
      records.push({ kind: 'invalid', line, conditions, reason: `unknown record type ${kind ?? '(conditions without a record)'}`, text: rawText });
    }
  }
  return records;
}

function tokens(line: string): string[] {
  return line.trim().split(/\s+/);
}

/** Whether a record with these conditions runs on `engine` (e.g. 'sqlite'). */
export function conditionsHold(c: Conditions, engine: string): boolean {
  if (c.skipIf.includes(engine)) return false;
  if (c.onlyIf.length > 0 && !c.onlyIf.includes(engine)) return false;
  return true;
}

// ---------------------------------------------------------------------------
// Rendering: what the reference runner prints for one value of a column typed
// I, R or T. The C runner reads INTEGER columns with sqlite3_column_int64,
// REAL columns with sqlite3_column_double and TEXT columns with
// sqlite3_column_text, so a value of another class is converted the way
// SQLite converts it.

const MAX_I64 = 2n ** 63n - 1n;
const MIN_I64 = -(2n ** 63n);

/** Renders one value for a column of type `type` ('I', 'R' or 'T'). */
export function renderValue(v: SltValue, type: string): string {
  if (v === null) return 'NULL';
  switch (type) {
    case 'I':
      return integerValue(v).toString();
    case 'R':
      return formatFixed3(realValue(v));
    case 'T': {
      // The C runner sees a C string: everything from the first NUL on is gone.
      if (v instanceof Uint8Array) {
        let out = '';
        for (let i = 0; i < v.length && v[i] !== 0; i++) out += v[i]! < 32 || v[i]! > 126 ? '@' : String.fromCharCode(v[i]!);
        return out.length === 0 ? '(empty)' : out;
      }
      let text = textValue(v);
      const nul = text.indexOf('\0');
      if (nul >= 0) text = text.slice(0, nul);
      return text.length === 0 ? '(empty)' : printableBytes(text);
    }
    default:
      throw new Error(`unknown column type ${type}`);
  }
}

/** sqlite3_column_int64: REAL truncates toward zero (clamped); TEXT/BLOB parse a leading integer. */
export function integerValue(v: Exclude<SltValue, null>): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return realToInt64(v);
  const s = typeof v === 'string' ? v : latin1(v);
  return atoi64(s);
}

function realToInt64(x: number): bigint {
  if (Number.isNaN(x)) return 0n;
  if (x <= -9223372036854775808) return MIN_I64;
  if (x >= 9223372036854775807) return MAX_I64;
  return BigInt(Math.trunc(x));
}

/** sqlite3Atoi64: leading spaces, optional sign, digits up to the first non-digit; clamps on overflow. */
function atoi64(s: string): bigint {
  let i = 0;
  while (i < s.length && isSpace(s.charCodeAt(i))) i++;
  let neg = false;
  if (s[i] === '-' || s[i] === '+') {
    neg = s[i] === '-';
    i++;
  }
  let j = i;
  while (j < s.length && s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57) j++;
  if (j === i) return 0n;
  let n = BigInt(s.slice(i, j));
  if (neg) n = -n;
  if (n > MAX_I64) return MAX_I64;
  if (n < MIN_I64) return MIN_I64;
  return n;
}

/** sqlite3_column_double: INTEGER converts; TEXT/BLOB take their longest numeric prefix (else 0). */
export function realValue(v: Exclude<SltValue, null>): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  const s = typeof v === 'string' ? v : latin1(v);
  const m = /^[ \t\n\f\r\v]*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/.exec(s);
  return m ? Number(m[1]) : 0;
}

/** sqlite3_column_text of a non-BLOB: INTEGER in decimal, REAL as SQLite renders reals. */
export function textValue(v: string | bigint | number): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return v.toString();
  return formatSqliteReal(v);
}

/** The C runner replaces every byte outside ' '..'~' with '@' (so one '@' per UTF-8 byte). */
function printableBytes(s: string): string {
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c > 126) {
      ascii = false;
      break;
    }
  }
  if (ascii) return s;
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 32 && cp <= 126) out += ch;
    else out += '@'.repeat(cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4);
  }
  return out;
}

/** Bytes as a string of code units 0..255 (only used for byte-wise rendering and parsing). */
function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/**
 * SQLite's printf("%.3f") — the C runner's rendering of R columns — by the
 * SQL layer's port of SQLite's float formatting (sql/fp-decode.ts): at most
 * 16 significant digits then zeros, -0.0 without a sign, Inf / -Inf.
 */
export function formatFixed3(x: number): string {
  return formatFloat(x, 'f', 3, 0, {});
}

/**
 * A REAL rendered as text exactly as SQLite 3.53 renders it for
 * sqlite3_column_text / CAST(x AS TEXT) ("%!.17g" with SQLite's choice of
 * 15–17 digits: "1.0", "0.1", "0.30000000000000004", "1.0e+20", "Inf"),
 * by the SQL layer's port of SQLite's digit generation. slt.test.ts
 * cross-checks it against SQLite itself, so the runner never trusts it blindly.
 */
export function formatSqliteReal(x: number): string {
  return renderReal(x);
}

// ---------------------------------------------------------------------------
// Result sets.

/**
 * Renders a result set (row-major values, `types.length` per row) and
 * sorts it as the sort mode asks, comparing rendered strings byte-wise.
 */
export function renderResult(rows: readonly (readonly SltValue[])[], types: string, sort: SortMode): string[] {
  const rendered = rows.map((row) => row.map((v, c) => renderValue(v, types[c] ?? 'T')));
  if (sort === 'rowsort') {
    rendered.sort((a, b) => {
      for (let c = 0; c < a.length && c < b.length; c++) {
        const d = compareBytes(a[c]!, b[c]!);
        if (d !== 0) return d;
      }
      return a.length - b.length;
    });
  }
  const flat = rendered.flat();
  if (sort === 'valuesort') flat.sort(compareBytes);
  return flat;
}

/** strcmp order; rendered values are ASCII, so code-unit order is byte order. */
function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Lowercase hex MD5 of every value followed by "\n". */
export function hashValues(values: readonly string[]): string {
  const h = createHash('md5');
  for (const v of values) h.update(v + '\n', 'latin1');
  return h.digest('hex');
}

/** The one-line form of a hashed result: "<n> values hashing to <md5>". */
export function hashLine(values: readonly string[]): string {
  return `${values.length} values hashing to ${hashValues(values)}`;
}

const HASH_LINE = /^(\d+) values hashing to ([0-9a-f]{32})$/;

/** The hash a query's expected section stands for (for label consistency), whichever form it is in. */
export function expectedHash(expected: readonly string[]): string {
  if (expected.length === 1) {
    const m = HASH_LINE.exec(expected[0]!.trim());
    if (m) return m[2]!;
  }
  return hashValues(expected);
}

/**
 * Compares actual rendered values with an expected section. The expected
 * section may be the values themselves or a hash line; the form the actual
 * result is shown in follows the threshold (0 = never hash). Returns null
 * when they match, else the actual result in the form to show.
 */
export function compareResult(actual: readonly string[], expected: readonly string[], hashThreshold: number): string[] | null {
  if (expected.length === 1) {
    const m = HASH_LINE.exec(expected[0]!.trim());
    if (m) {
      const ok = Number(m[1]) === actual.length && m[2] === hashValues(actual);
      return ok ? null : [hashLine(actual)];
    }
  }
  if (actual.length === expected.length && actual.every((v, k) => v === expected[k])) return null;
  return hashThreshold > 0 && actual.length > hashThreshold ? [hashLine(actual)] : [...actual];
}
