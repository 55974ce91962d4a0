/**
 * Values between JavaScript and SQL the way better-sqlite3 passes them to
 * and from user functions, aggregates and tables (sql/compat-functions.ts),
 * and its expanded SQL text for the `verbose` logger.
 */
import { RealBox, makeInteger, makeReal, type SqlValue } from '../format/sql-value.ts';
import { renderReal } from './value.ts';

type BufferLike = { from(b: ArrayBufferLike, offset: number, length: number): unknown };
/** The runtime's Buffer (Node, Bun, Deno's node compatibility), if any. */
const BufferCtor: BufferLike | undefined = (globalThis as { Buffer?: BufferLike }).Buffer;

/** A BLOB handed to JavaScript: a Buffer over `b` where the runtime has Buffer, else `b`. `b` must be a fresh copy. */
export function blobOut(b: Uint8Array): unknown {
  return BufferCtor === undefined ? b : BufferCtor.from(b.buffer, b.byteOffset, b.byteLength);
}

/** A SQL value as a user function's argument. */
export function jsValue(v: SqlValue | undefined, safeIntegers: boolean): unknown {
  if (v === null || v === undefined) return v === undefined ? undefined : null;
  switch (typeof v) {
    case 'number':
      return safeIntegers && Number.isInteger(v) ? BigInt(v) : v;
    case 'bigint':
      return safeIntegers ? v : Number(v);
    case 'string':
      return v;
    default:
      if (v instanceof RealBox) return v.value;
      // A copy: a bound Buffer stays a Buffer, whose own slice() is only a view.
      return blobOut(Uint8Array.prototype.slice.call(v));
  }
}

/** A JS value returned by user code as a SQL value; undefined when better-sqlite3 refuses it (the caller throws). */
export function sqlValue(v: unknown): SqlValue | undefined {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'number':
      return makeReal(v);
    case 'bigint':
      if (v < -(2n ** 63n) || v > 2n ** 63n - 1n) return undefined;
      return makeInteger(v);
    case 'string':
      return v;
    default:
      if (v instanceof Uint8Array) return Uint8Array.prototype.slice.call(v);
      return undefined;
  }
}

/** SQLITE_TRACE_SIZE_LIMIT: longer bound text and blobs are cut in expanded SQL. */
const TRACE_LIMIT = 32;

/** A bound value as sqlite3_expanded_sql writes it. */
function literal(v: SqlValue): string {
  if (v === null) return 'NULL';
  if (typeof v === 'number' || typeof v === 'bigint') return Number.isInteger(v) || typeof v === 'bigint' ? String(v) : renderReal(v);
  if (v instanceof RealBox) return renderReal(v.value);
  if (typeof v === 'string') {
    const bytes = new TextEncoder().encode(v);
    if (bytes.length <= TRACE_LIMIT) return `'${v.replaceAll("'", "''")}'`;
    let cut = TRACE_LIMIT;
    while (cut > 0 && (bytes[cut]! & 0xc0) === 0x80) cut--;
    const head = new TextDecoder().decode(bytes.subarray(0, cut));
    return `'${head.replaceAll("'", "''")}'/*+${bytes.length - cut} bytes*/`;
  }
  const hex = Array.from(v.subarray(0, TRACE_LIMIT), (b) => b.toString(16).padStart(2, '0')).join('');
  return v.length <= TRACE_LIMIT ? `x'${hex}'` : `x'${hex}'/*+${v.length - TRACE_LIMIT} bytes*/`;
}

/**
 * `sql` with each parameter replaced by its bound value (`params[i]` for
 * slot i, 1-based), as sqlite3_expanded_sql gives it to a trace callback.
 * Strings, identifiers and comments are copied as they are.
 */
export function expandedSql(sql: string, params: readonly SqlValue[], slotOf: (token: string, ordinal: number) => number): string {
  let out = '';
  let i = 0;
  let ordinal = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (c === "'" || c === '"' || c === '`' || c === '[') {
      const close = c === '[' ? ']' : c;
      let j = i + 1;
      for (; j < n; j++) {
        if (sql[j] === close) {
          if (close !== ']' && sql[j + 1] === close) j++;
          else break;
        }
      }
      out += sql.slice(i, j + 1);
      i = j + 1;
    } else if (c === '-' && sql[i + 1] === '-') {
      const j = sql.indexOf('\n', i);
      const end = j < 0 ? n : j;
      out += sql.slice(i, end);
      i = end;
    } else if (c === '/' && sql[i + 1] === '*') {
      const j = sql.indexOf('*/', i + 2);
      const end = j < 0 ? n : j + 2;
      out += sql.slice(i, end);
      i = end;
    } else if (c === '?' || ((c === ':' || c === '@' || c === '$') && /[\w]/.test(sql[i + 1] ?? ''))) {
      let j = i + 1;
      while (j < n && /[\w$]/.test(sql[j]!)) j++;
      const token = sql.slice(i, j);
      const slot = slotOf(token, ++ordinal);
      out += literal(params[slot] ?? null);
      i = j;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}
