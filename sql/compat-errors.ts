/**
 * better-sqlite3's errors for the drop-in (sql/compat.ts): `SqliteError`
 * (an Error with SQLite's `SQLITE_*` code) for what SQLite itself reports,
 * and TypeError / RangeError for API misuse, as better-sqlite3 throws them.
 *
 * A HeliosError turns into one of those by its stable code (never by its
 * text, except to tell better-sqlite3's RangeErrors from its TypeErrors
 * among INVALID_ARGUMENT / MISMATCH, whose messages are ours and fixed);
 * the translated error keeps HeliosDB's code as `heliosCode` and the
 * original as `cause`. Anything else (an error thrown by a user function,
 * a non-Error value) passes through unchanged, as better-sqlite3 does.
 */
import { HeliosError, type ErrorCode } from '../format/errors.ts';

export interface SqliteError extends Error {
  /** SQLite's extended result code name, e.g. 'SQLITE_CONSTRAINT_UNIQUE'. */
  code: string;
  /** The HeliosError code this error was translated from, when it was. */
  heliosCode?: ErrorCode;
}

export interface SqliteErrorConstructor {
  new (message: unknown, code: string): SqliteError;
  (message: unknown, code: string): SqliteError;
  readonly prototype: SqliteError;
}

/** better-sqlite3's SqliteError: callable with or without `new`; `code` must be a string. */
export const SqliteError: SqliteErrorConstructor = function SqliteError(this: unknown, message: unknown, code: unknown): SqliteError {
  if (new.target === undefined) return new (SqliteError as SqliteErrorConstructor)(message, code as string);
  if (typeof code !== 'string') throw new TypeError('Expected second argument to be a string');
  const self = this as SqliteError;
  Error.call(self, String(message));
  Object.defineProperty(self, 'message', { value: String(message), writable: true, configurable: true, enumerable: false });
  if (typeof Error.captureStackTrace === 'function') Error.captureStackTrace(self, SqliteError);
  else Object.defineProperty(self, 'stack', { value: new Error(String(message)).stack, writable: true, configurable: true });
  self.code = code;
  return self;
} as SqliteErrorConstructor;
Object.setPrototypeOf(SqliteError.prototype, Error.prototype);
// The function's own name, whatever a bundler renames its binding to (err.constructor.name is 'SqliteError').
Object.defineProperty(SqliteError, 'name', { value: 'SqliteError', configurable: true });
Object.defineProperty(SqliteError.prototype, 'name', { value: 'SqliteError', writable: true, configurable: true, enumerable: false });

/** SQLite's result code for each HeliosError code that SQLite itself would report. */
const SQLITE_CODE: Partial<Record<ErrorCode, string>> = {
  CONFIG: 'SQLITE_CANTOPEN',
  WRONG_KEY: 'SQLITE_NOTADB',
  CORRUPTION: 'SQLITE_CORRUPT',
  NOT_A_DATABASE: 'SQLITE_NOTADB',
  UNSUPPORTED_VERSION: 'SQLITE_CANTOPEN',
  LOCKED: 'SQLITE_BUSY',
  READONLY: 'SQLITE_READONLY',
  IO: 'SQLITE_IOERR',
  SQL_SYNTAX: 'SQLITE_ERROR',
  SQL_ERROR: 'SQLITE_ERROR',
  MISMATCH: 'SQLITE_MISMATCH',
  CONSTRAINT_UNIQUE: 'SQLITE_CONSTRAINT_UNIQUE',
  CONSTRAINT_PRIMARYKEY: 'SQLITE_CONSTRAINT_PRIMARYKEY',
  CONSTRAINT_NOTNULL: 'SQLITE_CONSTRAINT_NOTNULL',
  CONSTRAINT_CHECK: 'SQLITE_CONSTRAINT_CHECK',
  CONSTRAINT_FOREIGNKEY: 'SQLITE_CONSTRAINT_FOREIGNKEY',
  CONSTRAINT_TRIGGER: 'SQLITE_CONSTRAINT_TRIGGER',
  TRANSACTION: 'SQLITE_ERROR',
  TOO_BIG: 'SQLITE_TOOBIG',
  INTERNAL: 'SQLITE_INTERNAL',
};

/** Messages of ours that better-sqlite3 reports as RangeError (argument counts, statement counts, ranges). */
const RANGE = /^(The supplied SQL string contains|Too (few|many) parameter values|Missing named parameter "|BigInt value|The bound string, buffer, or bigint is too big|.* is too large)/;

/** The SqliteError for code `code`, carrying HeliosDB's code. */
export function sqliteError(message: string, code: string, heliosCode?: ErrorCode, cause?: unknown): SqliteError {
  const e = new SqliteError(message, code);
  if (heliosCode !== undefined) e.heliosCode = heliosCode;
  if (cause !== undefined) Object.defineProperty(e, 'cause', { value: cause, writable: true, configurable: true, enumerable: false });
  return e;
}

/** better-sqlite3's error for `e` (see the file comment). */
export function compatError(e: unknown): unknown {
  if (!(e instanceof HeliosError)) return e;
  switch (e.code) {
    case 'INVALID_ARGUMENT':
    case 'CLOSED':
    case 'BUSY':
      return withCode(RANGE.test(e.message) ? new RangeError(e.message) : new TypeError(e.message), e);
    case 'MISMATCH':
      if (RANGE.test(e.message)) return withCode(new RangeError(e.message), e);
      break;
    case 'TOO_BIG':
      if (RANGE.test(e.message)) return withCode(new RangeError(e.message), e);
      break;
    case 'SQL_ERROR':
      if (/readonly database/.test(e.message)) return sqliteError(e.message, 'SQLITE_READONLY', e.code, e);
      break;
    case 'SQL_SYNTAX':
      // SQLite's message alone ('near "x": syntax error'); where it is stays in `cause` (HeliosDB's error).
      return sqliteError(e.message.replace(/ at line \d+, column \d+[\s\S]*$/, ''), 'SQLITE_ERROR', e.code, e);
    default:
      break;
  }
  return sqliteError(e.message, SQLITE_CODE[e.code] ?? 'SQLITE_ERROR', e.code, e);
}

function withCode<T extends Error>(err: T, e: HeliosError): T {
  Object.defineProperty(err, 'heliosCode', { value: e.code, writable: true, configurable: true, enumerable: false });
  return err;
}

/** Runs `f`, translating what it throws (compatError). */
export function translating<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw compatError(e);
  }
}
