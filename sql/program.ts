/**
 * A compiled statement (`Program`) and what running it reports
 * (`RunResult`): made by the executor and by pragma.ts, run by the session
 * for statement.ts. Only types, so the files that share them import this one
 * instead of each other.
 */
import type { SqlValue } from '../format/sql-value.ts';
import type { ColMeta, Row } from './expr-compile.ts';

export interface RunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

/** A compiled statement. Recompiled by the Statement when the schema version moves. */
export interface Program {
  /** Result columns (null: the statement returns no rows). */
  readonly columns: readonly ColMeta[] | null;
  /** Declared types of the result columns where they are plain table columns. */
  readonly declTypes: readonly (string | null)[] | null;
  /** Table and column each result column reads, where it is a plain table column (stmt-select.ts). */
  readonly origins?: readonly ({ readonly table: string; readonly column: string; readonly type: string | null } | null)[] | null;
  readonly readonly: boolean;
  readonly schemaVersion: number;
  /** INSERT, UPDATE or DELETE: sets changes(); a failure sets it to 0, as in SQLite. */
  readonly dml?: boolean;
  /** DML on a TEMP table: takes no write slot at its start (sql/connections.ts). */
  readonly tempTarget?: boolean;
  /** BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE: no read transaction of its own (sql/connections.ts). */
  readonly txnControl?: boolean;
  /** BEGIN IMMEDIATE / EXCLUSIVE: transaction control that takes the write slot (refused on a readonly handle). */
  readonly beginsWrite?: boolean;
  /** Runs the program; rows go to `emit` (return false to stop). */
  execute(params: readonly SqlValue[], emit: (row: Row) => boolean): RunResult;
  /** A query (readonly, never writes): its rows pulled one at a time, each computed when asked for. */
  open?(params: readonly SqlValue[]): RowStream;
}

/** Rows of an open query; `next()` returns undefined at the end. */
export interface RowStream {
  next(): Row | undefined;
  close(): void;
}
