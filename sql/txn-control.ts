/**
 * BEGIN, COMMIT, ROLLBACK [TO savepoint], SAVEPOINT and RELEASE, as SQLite:
 * no nested BEGIN; a SAVEPOINT outside a transaction starts one, which the
 * RELEASE of that outermost savepoint commits; ROLLBACK TO undoes the
 * savepoint's writes but keeps it (and drops the ones inside it);
 * savepoint names match case-insensitively, the innermost first. Every
 * rollback clears the session's rowid caches, and reloads the catalog when
 * the transaction changed the schema.
 *
 * BEGIN DEFERRED, IMMEDIATE and EXCLUSIVE are equivalent here: a database is
 * opened by one process (LOCK) and this handle is its only writer, so there
 * is no lock to take early.
 *
 * COMMIT, and the RELEASE that would commit, fail with "FOREIGN KEY
 * constraint failed" while deferred foreign keys are violated, leaving the
 * transaction open (as SQLite).
 *
 * These statements run outside the statement mark of the overlay (they move
 * the marks themselves).
 */
import type * as A from './ast.ts';
import { HeliosError } from '../format/errors.ts';
import { fold, type Catalog } from './catalog.ts';
import type { Overlay } from './txn.ts';
import { foreignKeyError } from './foreign-keys.ts';

export interface Savepoint {
  readonly name: string;
  /** The overlay mark taken by SAVEPOINT. */
  readonly mark: number;
  /** Whether this SAVEPOINT began the transaction (its RELEASE commits). */
  readonly startedTxn: boolean;
  /** The deferred foreign-key violation count when it was taken (ROLLBACK TO restores it). */
  readonly deferredViolations: number;
}

/** What transaction control reads and changes of the session. */
export interface TxnSession {
  readonly catalog: Catalog;
  readonly overlay: Overlay;
  inTxn: boolean;
  /** Whether a statement of the open transaction changed the schema. */
  txnSchemaTouched: boolean;
  /** Open savepoints, outermost first. */
  savepoints: Savepoint[];
  /** Hands the overlay to the engine (the catalog is reloaded if that fails). */
  commitOverlay(): void;
  /** Abandons the whole transaction. */
  rollbackAll(): void;
  /** Forgets the rowid and AUTOINCREMENT caches. */
  clearCaches(): void;
  /** Takes the database's write slot (sql/connections.ts); LOCKED when another handle keeps it. */
  acquireWrite(): void;
  /** Deferred foreign-key violations outstanding (sql/foreign-keys.ts). */
  deferredViolations: number;
  /** Resets what a commit resets besides the data (deferred violations, defer_foreign_keys). */
  endTransactionState(): void;
}

export type TxnControlStmt = A.BeginStmt | A.CommitStmt | A.RollbackStmt | A.SavepointStmt | A.ReleaseStmt;

export function transactionControl(s: TxnSession, stmt: TxnControlStmt): void {
  switch (stmt.kind) {
    case 'Begin':
      // IMMEDIATE and EXCLUSIVE take the write slot first (LOCKED after busy_timeout while another
      // handle writes), even inside a transaction, where SQLite too tries the lock before refusing.
      if (stmt.mode === 'IMMEDIATE' || stmt.mode === 'EXCLUSIVE') s.acquireWrite();
      if (s.inTxn) throw new HeliosError('TRANSACTION', 'cannot start a transaction within a transaction');
      s.inTxn = true;
      s.txnSchemaTouched = false;
      return;
    case 'Commit':
      if (!s.inTxn) throw new HeliosError('TRANSACTION', 'cannot commit - no transaction is active');
      // As SQLite: deferred foreign keys still violated fail the COMMIT, and the transaction stays open.
      if (s.deferredViolations > 0) throw foreignKeyError();
      s.commitOverlay();
      s.endTransactionState();
      s.savepoints = [];
      s.inTxn = false;
      return;
    case 'Rollback': {
      if (stmt.savepoint === null) {
        if (!s.inTxn) throw new HeliosError('TRANSACTION', 'cannot rollback - no transaction is active');
        s.rollbackAll();
        return;
      }
      const i = findSavepoint(s, stmt.savepoint.name);
      const sp = s.savepoints[i]!;
      // Drop the marks of inner savepoints, keep this one.
      for (let j = s.savepoints.length - 1; j > i; j--) s.overlay.release();
      s.savepoints.length = i + 1;
      s.overlay.rollbackTo(sp.mark);
      s.deferredViolations = sp.deferredViolations;
      s.clearCaches();
      if (s.txnSchemaTouched) s.catalog.load(s.overlay);
      return;
    }
    case 'Savepoint': {
      const startedTxn = !s.inTxn;
      if (startedTxn) {
        s.inTxn = true;
        s.txnSchemaTouched = false;
      }
      s.savepoints.push({ name: stmt.name.name, mark: s.overlay.mark(), startedTxn, deferredViolations: s.deferredViolations });
      return;
    }
    case 'Release': {
      const i = findSavepoint(s, stmt.name.name);
      const outer = s.savepoints[i]!;
      if (i === 0 && outer.startedTxn && s.deferredViolations > 0) throw foreignKeyError();
      for (let j = s.savepoints.length - 1; j >= i; j--) s.overlay.release();
      s.savepoints.length = i;
      if (i === 0 && outer.startedTxn) {
        s.commitOverlay();
        s.endTransactionState();
        s.inTxn = false;
      }
      return;
    }
  }
}

function findSavepoint(s: TxnSession, name: string): number {
  for (let i = s.savepoints.length - 1; i >= 0; i--) if (fold(s.savepoints[i]!.name) === fold(name)) return i;
  throw new HeliosError('TRANSACTION', `no such savepoint: ${name}`, {});
}

/**
 * db.transaction()'s wrapper, as better-sqlite3 has it (HeliosDB's Database and the drop-in):
 * `begin` (or SAVEPOINT `savepoint()` when a transaction is open), `call`, then COMMIT (RELEASE)
 * — run also when `call` ended the transaction itself, which then fails as SQLite says — and on
 * any error, that COMMIT's included (a deferred foreign key), a rollback of what is still open.
 */
export function runTransactionFunction<R>(db: { readonly inTransaction: boolean; exec(sql: string): unknown }, begin: string, savepoint: () => string, call: () => R): R {
  const name = db.inTransaction ? savepoint() : null;
  db.exec(name === null ? begin : `SAVEPOINT ${name}`);
  try {
    const result = call();
    db.exec(name === null ? 'COMMIT' : `RELEASE ${name}`);
    return result;
  } catch (e) {
    if (db.inTransaction) {
      if (name === null) db.exec('ROLLBACK');
      else {
        db.exec(`ROLLBACK TO ${name}`);
        db.exec(`RELEASE ${name}`);
      }
    }
    throw e;
  }
}
