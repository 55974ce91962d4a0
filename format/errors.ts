/**
 * The error families every layer throws. Callers branch on `code`, never on
 * message text. Codes are stable: they are part of the public API and are
 * listed in the README.
 *
 * A `WRONG_KEY` error never says which check failed.
 */
export type ErrorCode =
  | 'CONFIG' // bad option, key source, file or environment variable
  | 'WRONG_KEY' // the key does not open this database
  | 'CORRUPTION' // a file failed verification or decoding (names file and offset)
  | 'NOT_A_DATABASE' // the directory or superblock is not a HeliosDB database
  | 'UNSUPPORTED_VERSION' // the format version is newer than this library reads
  | 'LOCKED' // another process has the database open, or another connection of this process holds the write slot
  | 'READONLY' // a write through a handle opened readonly
  | 'IO' // the operating system refused a read, write or sync (ENOSPC, EIO, ...)
  | 'CLOSED' // the handle was used after close()
  | 'INVALID_ARGUMENT' // an API argument has the wrong type or range
  | 'SQL_SYNTAX' // the SQL text does not parse (line, column, caret excerpt)
  | 'SQL_ERROR' // the SQL parses but cannot run (unknown table, column, function ...)
  | 'MISMATCH' // a value does not fit (datatype mismatch, bad parameter count)
  | 'CONSTRAINT_UNIQUE'
  | 'CONSTRAINT_PRIMARYKEY'
  | 'CONSTRAINT_NOTNULL'
  | 'CONSTRAINT_CHECK'
  | 'CONSTRAINT_FOREIGNKEY'
  | 'CONSTRAINT_DATATYPE' // a value of the wrong type for a STRICT table's column
  | 'CONSTRAINT_TRIGGER' // RAISE(ABORT|FAIL|ROLLBACK, message) in a trigger
  | 'TRANSACTION' // BEGIN inside a transaction, COMMIT without one, ...
  | 'BUSY' // the statement cannot run now (e.g. a statement is still iterating)
  | 'TOO_BIG' // string, blob, nesting depth or row exceeds a limit
  | 'IMPORT_FORMAT' // a file given to importSqlite is not a readable SQLite database (damaged, truncated, unsupported)
  | 'INTERRUPTED' // db.interrupt() (or its shared flag) stopped the running statement; nothing of it was applied
  | 'INTERNAL'; // a broken invariant inside HeliosDB: always a bug, please report

export interface HeliosErrorDetails {
  /** File the error concerns (name relative to the database directory). */
  readonly file?: string;
  /** Byte offset in `file`. */
  readonly offset?: number;
  /** 1-based line and column in SQL text. */
  readonly line?: number;
  readonly column?: number;
  /** The underlying OS error code (ENOSPC, EIO, ...) for `IO`. */
  readonly osCode?: string;
}

export class HeliosError extends Error {
  readonly code: ErrorCode;
  readonly details: HeliosErrorDetails;
  constructor(code: ErrorCode, message: string, details: HeliosErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.details = details;
    this.name = 'HeliosError';
  }
}

export function isHeliosError(e: unknown, code?: ErrorCode): e is HeliosError {
  return e instanceof HeliosError && (code === undefined || e.code === code);
}

/** Throw a CORRUPTION error naming the file and byte offset. */
export function corruption(file: string, offset: number, what: string): never {
  throw new HeliosError('CORRUPTION', `${file}: ${what} at offset ${offset}`, { file, offset });
}

/** Exhaustiveness check for discriminated unions. */
export function assertNever(x: never, what = 'value'): never {
  throw new HeliosError('INTERNAL', `unexpected ${what}: ${JSON.stringify(x)}`);
}
