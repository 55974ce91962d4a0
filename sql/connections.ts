/**
 * What the SQL handles of one database coordinate when they share its open
 * engine (engine/shared-open.ts: a second `new Database(path)` in the same
 * realm shares the first one's engine). The rules are SQLite's in WAL mode
 * (spec/connections.md):
 *
 *  - Reads see a snapshot. A handle's read transaction (one statement outside
 *    BEGIN, from BEGIN's first statement to COMMIT/ROLLBACK inside one, and
 *    for as long as an iterate() is open) reads the database as of its start,
 *    plus its own uncommitted writes; other handles' commits become visible
 *    at its next read transaction.
 *  - One writer at a time. The first write of a transaction (or BEGIN
 *    IMMEDIATE / EXCLUSIVE) takes the database's write slot; another handle
 *    that wants to write waits up to its busy timeout (the drop-in's
 *    `timeout`, PRAGMA busy_timeout) and then gets LOCKED ("database is
 *    locked"; SQLITE_BUSY in the drop-in). The slot is given back at COMMIT or ROLLBACK.
 *  - A transaction that read before another handle committed cannot write
 *    afterwards (LOCKED, as SQLite's SQLITE_BUSY_SNAPSHOT): its writes would rest on
 *    what it read, which is no longer the database.
 *  - The schema: a commit that changed it bumps the database's schema epoch;
 *    each handle reloads its catalog at its next read transaction when the
 *    epoch moved (its prepared statements then recompile, as after its own
 *    DDL), and forgets its rowid caches whenever another handle committed.
 */
import { HeliosError } from '../format/errors.ts';
import type { Engine } from '../engine/engine.ts';

/** State shared by the SQL handles of one open database. */
export interface SharedDatabase {
  /** The handle (a Session) holding the write slot, or null. */
  writer: object | null;
  /** Bumped by every commit that changed the schema. */
  schemaEpoch: number;
  /** The open handles (Sessions) of the database in this realm. */
  readonly sessions: Set<{ pinIfReading(): void }>;
}

const states = new WeakMap<object, SharedDatabase>();

/** The coordination state of the database `engine` is a handle on. */
export function sharedDatabaseOf(engine: Engine): SharedDatabase {
  let s = states.get(engine.shareKey);
  if (s === undefined) {
    s = { writer: null, schemaEpoch: 0, sessions: new Set() };
    states.set(engine.shareKey, s);
  }
  return s;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the thread for `ms` milliseconds (a busy timeout; nothing else runs meanwhile). */
export function sleepMs(ms: number): void {
  if (ms > 0) Atomics.wait(sleeper, 0, 0, ms);
}

/**
 * Takes the write slot for `who`, waiting up to `timeoutMs` for the holder to give it back.
 * In one thread the holder cannot give it back while this one waits, so after the wait the
 * answer is LOCKED — what SQLite's busy handler gives in the same situation, after the same time.
 */
export function takeWriteSlot(shared: SharedDatabase, who: object, timeoutMs: number): void {
  if (shared.writer === who || shared.writer === null) {
    shared.writer = who;
    return;
  }
  sleepMs(timeoutMs);
  if (shared.writer !== null && shared.writer !== who) throw busyError();
  shared.writer = who;
}

/** Gives the write slot back if `who` holds it. */
export function releaseWriteSlot(shared: SharedDatabase, who: object): void {
  if (shared.writer === who) shared.writer = null;
}

/** LOCKED: another handle holds the write slot, or committed after this transaction read. */
export function busyError(): HeliosError {
  return new HeliosError('LOCKED', 'database is locked');
}
