/**
 * The session: one open database's SQL state (engine, catalog, transaction
 * overlay, counters, rowid caches), the dispatch of each statement kind to
 * the file that compiles it into a `Program`, and running a program with
 * bound parameters. Each statement file takes only the narrow interface it
 * declares (`DmlSession`, `DdlSession`, `TxnSession` …), which the Session
 * implements:
 *   SELECT stmt-select.ts · INSERT stmt-insert.ts · UPDATE, DELETE
 *   stmt-modify.ts (rows: row-update.ts, constraints.ts, foreign-keys.ts,
 *   rowids.ts, dml.ts) · CREATE, DROP ddl.ts · ALTER TABLE alter.ts ·
 *   BEGIN … RELEASE txn-control.ts · EXPLAIN explain-stmt.ts · PRAGMA
 *   pragma.ts (integrity_check: integrity.ts).
 *
 * Atomicity: every statement runs inside an overlay mark. If it throws, the
 * overlay is rolled back to the mark (and the catalog reloaded when the
 * statement touched the schema), so a failing statement changes nothing.
 * Outside BEGIN … COMMIT each statement is its own transaction: its writes go
 * to the engine as one atomic batch when it succeeds. A constraint failure
 * under OR FAIL keeps the rows the statement changed before it; under OR
 * ROLLBACK it abandons the whole transaction.
 */
import type * as A from './ast.ts';
import { HeliosError, assertNever, isHeliosError } from '../format/errors.ts';
import type { SqlValue } from '../format/sql-value.ts';
import type { Engine, Snapshot, VacuumProgress } from '../engine/engine.ts';
import { busyError, releaseWriteSlot, sharedDatabaseOf, takeWriteSlot, type SharedDatabase } from './connections.ts';
import type { Vfs } from '../engine/vfs.ts';
import { parse } from './parser.ts';
import { Catalog, fold } from './catalog.ts';
import { Frame, type Row } from './expr-compile.ts';
import { USER_VERSION_KEY } from '../format/table-key.ts';
import { Overlay } from './txn.ts';
import type { ExecEnv } from './exec-env.ts';
import { defaultPragmaSettings, runPragma, schemaWritable, type PragmaSession, type PragmaSettings } from './pragma.ts';
import { compileSchemaWrite, needsSchema, writesSchema } from './schema-write.ts';
import type { Program, RowStream, RunResult } from './program.ts';
import { DEFAULT_TEMP_MEMORY_LIMIT } from './temp-budget.ts';
import { stackOverflowAsTooBig } from './limits.ts';
import { createRowids, type Rowids } from './rowids.ts';
import { ConflictError } from './constraints.ts';
import { foreignKeyError } from './foreign-keys.ts';
import type { DmlSession } from './dml.ts';
import { compileSelect, type SelectSession } from './stmt-select.ts';
import { compileSequenceWrite, writesSequence } from './sequence-write.ts';
import { compileInsert } from './stmt-insert.ts';
import { compileDelete, compileUpdate } from './stmt-modify.ts';
import { createIndex, createTable, createTrigger, createView, drop, type DdlSession } from './ddl.ts';
import { createTriggers, type TriggerHost, type Triggers } from './trigger.ts';
import { Planner, type PseudoRows } from './planner.ts';
import type { SchemaRow } from './catalog.ts';
import { alterTable, type AlterSession } from './alter.ts';
import { transactionControl, type Savepoint, type TxnControlStmt, type TxnSession } from './txn-control.ts';
import { verifyIntegrity, type IntegrityProgress, type IntegrityReport, type IntegritySession } from './integrity.ts';
import { compileExplain, type ExplainSession } from './explain-stmt.ts';
import { sqlErr } from './sql-error.ts';
import { createVirtualTable } from './vtab-ddl.ts';

export class Session implements ExecEnv, PragmaSession, SelectSession, DmlSession, DdlSession, AlterSession, TxnSession, IntegritySession, ExplainSession, TriggerHost {
  readonly catalog = new Catalog();
  readonly overlay: Overlay;
  /** Largest rowid and AUTOINCREMENT mark per table, valid for the current transaction state (cleared on any rollback). */
  readonly rowids: Rowids;
  inTxn = false;
  savepoints: Savepoint[] = [];
  /** Whether the running statement changed the schema. */
  private schemaTouched = false;
  txnSchemaTouched = false;
  changesCount = 0;
  totalChangesCount = 0;
  /** Rows changed so far by the running DML statement (what OR FAIL keeps). */
  stmtChanges = 0;
  lastRowid: number | bigint = 0;
  foreignKeys = false;
  /** PRAGMA recursive_triggers. */
  recursiveTriggers = false;
  /** PRAGMA cache_size, journal_mode, busy_timeout (pragma.ts); the Database sets them at open. */
  settings: PragmaSettings = defaultPragmaSettings(false, 8 * 1024 * 1024);
  /** PRAGMA case_sensitive_like (FunctionContext.caseSensitiveLike). */
  caseSensitiveLike = false;
  /** Trigger firing (sql/trigger.ts). */
  readonly triggers: Triggers = createTriggers(this);
  /** The OLD / NEW rows while a trigger body statement is being compiled (compileBody), else null. */
  planningPseudo: PseudoRows | null = null;
  /** The TEMP triggers when the open transaction began (what ROLLBACK restores). */
  private txnTempRows: readonly SchemaRow[] = [];
  /** PRAGMA defer_foreign_keys (off again at every commit and rollback, as SQLite). */
  deferForeignKeys = false;
  /** Deferred foreign-key violations outstanding (foreign-keys.ts); COMMIT fails while above zero. */
  deferredViolations = 0;
  /** The statement's 'now' (ms since the epoch), fixed for one statement as in SQLite. */
  nowMs = 0;
  /** Temporary memory one query execution may hold (Database option tempMemoryLimit). */
  tempMemoryLimit = DEFAULT_TEMP_MEMORY_LIMIT;
  clearCaches(): void {
    this.rowids.clear();
  }

  changes(): number {
    return this.changesCount;
  }

  totalChanges(): number {
    return this.totalChangesCount;
  }

  lastInsertRowid(): number | bigint {
    return this.lastRowid;
  }

  /** What this handle coordinates with the other handles of its database (sql/connections.ts). */
  private readonly shared: SharedDatabase;
  /** Whether a read transaction is open (spec/connections.md [SQL-SHARE-1]). */
  private reading = false;
  /** Whether it has read the database (its snapshot point is fixed). */
  private readStarted = false;
  /**
   * The snapshot of the open read transaction, or null. Taken only while another handle shares
   * the database (alone, the newest data is the snapshot: nobody else commits); a handle that
   * joins makes every handle reading at that moment take one (pinIfReading) before it can commit.
   */
  private readSnap: Snapshot | null = null;
  /** Statements of this handle reading now (a running statement, each open iterate()). */
  private readers = 0;
  /** The engine's lastSeqNum when this handle last looked (refresh) or committed. */
  private seenSeq: number;
  /** The schema epoch this handle's catalog reflects. */
  private seenEpoch: number;
  /** How many times this handle found that another had committed (PRAGMA data_version). */
  private foreignCommits = 0;

  dataVersion(): number {
    this.refresh();
    return 1 + this.foreignCommits;
  }

  /**
   * Every committed schema change moves it within the process (the schema epoch), and every
   * CREATE moves it for good (the stored next object id); SQLite's is a counter stored in the
   * file, so after a reopen the two differ in value, never in whether it changed.
   */
  schemaVersion(): number {
    this.refresh();
    return this.catalog.nextId + this.seenEpoch;
  }

  constructor(readonly engine: Engine) {
    this.overlay = new Overlay(engine);
    this.rowids = createRowids(this.overlay);
    this.shared = sharedDatabaseOf(engine);
    this.seenSeq = engine.lastSeqNum();
    this.seenEpoch = this.shared.schemaEpoch;
    this.overlay.onFirstWrite = () => this.acquireWrite();
    for (const other of this.shared.sessions) other.pinIfReading();
    this.shared.sessions.add(this);
    this.catalog.writableSchema = () => schemaWritable(this.settings);
    this.catalog.load(this.overlay);
  }

  /** Another handle joined the database: a read transaction that has read keeps what it sees from here on. */
  pinIfReading(): void {
    if (this.readStarted && this.readSnap === null) this.pinSnapshot();
  }

  // -------------------------------------------------------------------------
  // Other handles of the same database (sql/connections.ts)

  /**
   * Outside a read transaction: takes in what other handles committed since this one last
   * looked — forgets the rowid caches and, when the schema changed, reloads the catalog (its
   * prepared statements recompile). Cheap when nothing changed (one comparison).
   */
  refresh(): void {
    if (this.readStarted) return;
    const seq = this.engine.lastSeqNum();
    if (seq === this.seenSeq) return;
    this.seenSeq = seq;
    this.foreignCommits++;
    this.clearCaches();
    if (this.shared.schemaEpoch !== this.seenEpoch) {
      this.seenEpoch = this.shared.schemaEpoch;
      this.catalog.load(this.overlay, this.catalog.tempRows);
    }
  }

  /**
   * A statement starts: the first opens the read transaction. Its snapshot point is the first
   * read of the database (startRead, called by the overlay), as in SQLite, where a statement
   * that reads no table (SELECT 1, a TEMP table, a connection PRAGMA) starts none.
   */
  private readBegin(): void {
    if (this.readers++ !== 0) return;
    if (!this.readStarted) this.refresh();
    if (!this.reading) {
      this.reading = true;
      this.overlay.onFirstRead = this.startRead;
    }
  }

  /** The first read of the database in the read transaction: its snapshot (taken only while another handle shares it). */
  private readonly startRead = (): void => {
    this.readStarted = true;
    if (this.shared.sessions.size > 1) this.pinSnapshot();
  };

  /** A statement stopped reading: outside BEGIN, the last one ends the read transaction. */
  private readEnd(): void {
    if (--this.readers === 0 && !this.inTxn) this.endRead();
  }

  private endRead(): void {
    this.reading = false;
    this.readStarted = false;
    this.overlay.onFirstRead = null;
    this.unpinSnapshot();
  }

  private pinSnapshot(): void {
    this.readSnap = this.engine.snapshot();
    this.overlay.setSnapshot(this.readSnap);
  }

  private unpinSnapshot(): void {
    if (this.readSnap === null) return;
    this.readSnap.release();
    this.readSnap = null;
    this.overlay.setSnapshot(null);
  }

  /**
   * The transaction ended (committed or rolled back): the write slot goes back, and the read
   * transaction ends with it — unless an iterate() is still open: then it goes on with its
   * snapshot, or, when this handle has just committed, moves to the newest data (its own
   * commit included).
   */
  private endShared(committed = false): void {
    releaseWriteSlot(this.shared, this);
    if (!this.reading) return;
    if (this.readers > 0 && !committed) return; // an open iterate() keeps the read transaction (and its snapshot)
    this.endRead();
    if (this.readers > 0) {
      this.reading = true;
      this.startRead();
    }
  }

  /**
   * The first write of a transaction (and BEGIN IMMEDIATE / EXCLUSIVE): takes the database's
   * write slot, waiting up to busy_timeout; LOCKED when another handle keeps it, or when another
   * handle committed after this transaction's snapshot (its writes would rest on stale reads).
   */
  acquireWrite(): void {
    takeWriteSlot(this.shared, this, this.settings.busyTimeout);
    if (this.readSnap !== null && this.readSnap.seqNum !== this.engine.lastSeqNum()) {
      releaseWriteSlot(this.shared, this);
      throw busyError();
    }
  }


  /** Current time for date functions (FunctionContext). */
  now(): number {
    return this.nowMs;
  }

  // -------------------------------------------------------------------------
  // Running

  /**
   * Opens a query program for reading row by row (Statement.iterate). A
   * query writes nothing, so it needs no statement mark or commit; the
   * caller (Database) lets no statement write while one is open.
   */
  open(p: Program, params: readonly SqlValue[]): RowStream | null {
    const open = p.open;
    if (open === undefined) return null;
    // Nothing runs until the first row is asked for (SQLite's first step): an iterator dropped
    // before that holds no read transaction.
    let stream: RowStream | null = null;
    let ended = false;
    return {
      next: () => {
        if (stream === null) {
          if (ended) return undefined;
          this.nowMs = Date.now();
          this.readBegin();
          try {
            stream = open(params);
          } catch (e) {
            ended = true;
            this.readEnd();
            throw e;
          }
        }
        return stream.next();
      },
      close: () => {
        if (ended) return;
        ended = true;
        if (stream === null) return;
        try {
          stream.close();
        } finally {
          this.readEnd();
        }
      },
    };
  }

  /** Runs `p` with statement atomicity and autocommit. */
  run(p: Program, params: readonly SqlValue[], emit: (row: Row) => boolean): RunResult {
    // BEGIN reads nothing: a deferred transaction's snapshot starts at its first statement, as in SQLite.
    if (p.txnControl === true) return this.runRead(p, params, emit);
    this.readBegin();
    const readBefore = this.readStarted;
    try {
      // DML takes the write slot at its start, whether or not it changes a row (as SQLite). A schema
      // change takes it at its first write: its name checks (SQLite's prepare-time errors) come first.
      if (p.dml === true && p.tempTarget !== true) this.acquireWrite();
      return this.runRead(p, params, emit);
    } catch (e) {
      // A statement that could not take the write slot, or a schema statement refused by its name
      // checks (SQLite refuses those at prepare), began no read transaction, whatever it read first.
      const began = isHeliosError(e, 'LOCKED') || (p.dml !== true && (isHeliosError(e, 'SQL_ERROR') || isHeliosError(e, 'SQL_SYNTAX')));
      if (!readBefore && this.readStarted && this.inTxn && this.readers === 1 && began) {
        this.readStarted = false;
        this.unpinSnapshot();
        this.overlay.onFirstRead = this.startRead;
      }
      throw e;
    } finally {
      this.readEnd();
    }
  }

  private runRead(p: Program, params: readonly SqlValue[], emit: (row: Row) => boolean): RunResult {
    this.nowMs = Date.now();
    this.stmtChanges = 0;
    const autocommit = !this.inTxn;
    const mark = this.overlay.mark();
    const violationsBefore = this.deferredViolations;
    this.schemaTouched = false;
    const tempRows = this.catalog.tempRows;
    if (autocommit) this.txnTempRows = tempRows;
    let result: RunResult;
    try {
      result = p.execute(params, emit);
      // The implicit commit of a statement outside BEGIN checks its deferred foreign keys (as SQLite).
      if (autocommit && !this.inTxn && this.deferredViolations > 0) throw foreignKeyError();
    } catch (e) {
      if (e instanceof ConflictError && e.action === 'FAIL') {
        // OR FAIL keeps the rows changed before the failing one (but, as in SQLite, not the AUTOINCREMENT mark).
        this.overlay.release();
        this.clearCaches();
        this.changesCount = this.stmtChanges;
        this.totalChangesCount += this.stmtChanges;
        if (autocommit && !this.inTxn) this.commitOverlay();
        throw new HeliosError(e.code, e.message, e.details);
      }
      this.overlay.rollbackTo(mark);
      this.overlay.release();
      this.clearCaches();
      this.deferredViolations = violationsBefore;
      if (p.dml) this.changesCount = 0;
      if (e instanceof ConflictError && e.action === 'ROLLBACK' && this.inTxn) {
        this.rollbackAll();
      } else if (autocommit && !this.inTxn) {
        this.overlay.clear();
        this.clearCaches();
        this.endTransactionState();
        this.endShared();
      }
      if (this.schemaTouched && this.inTxn) this.catalog.load(this.overlay, tempRows);
      else if (this.schemaTouched) this.catalog.load(this.overlay, this.txnTempRows);
      if (e instanceof ConflictError) throw new HeliosError(e.code, e.message, e.details);
      // A string or array past what the runtime can hold (V8: "Invalid string
      // length", "Invalid typed array length", "Array buffer allocation failed")
      // is the user's too-big value, not a bug: the statement changed nothing.
      if (e instanceof RangeError && /length|allocation/i.test(e.message)) throw new HeliosError('TOO_BIG', 'string or blob too big', {}, { cause: e });
      throw stackOverflowAsTooBig(e);
    }
    this.overlay.release();
    if (this.schemaTouched) this.txnSchemaTouched = true;
    if (autocommit && !this.inTxn) {
      // SQLite ends a write transaction here (so defer_foreign_keys goes off), not a read.
      const wrote = p.dml === true || this.schemaTouched;
      this.commitOverlay();
      if (wrote) this.endTransactionState();
    }
    return result;
  }

  commitOverlay(): void {
    const schemaChanged = this.txnSchemaTouched;
    const before = this.engine.lastSeqNum();
    let committed = false;
    try {
      this.overlay.commit();
      committed = this.engine.lastSeqNum() !== before;
      // This handle's own commit is seen; one of another handle's before it is left for refresh() to take in.
      if (this.seenSeq === before) this.seenSeq = this.engine.lastSeqNum();
      if (schemaChanged) {
        if (this.seenEpoch === this.shared.schemaEpoch) this.seenEpoch = this.shared.schemaEpoch + 1;
        this.shared.schemaEpoch++;
      }
    } catch (e) {
      this.overlay.clear();
      this.clearCaches();
      this.catalog.load(this.overlay);
      throw e;
    } finally {
      this.txnSchemaTouched = false;
      this.endShared(committed);
    }
  }

  /** What a commit or rollback resets besides the data: the deferred-violation counter and defer_foreign_keys. */
  endTransactionState(): void {
    this.deferredViolations = 0;
    this.deferForeignKeys = false;
  }

  rollbackAll(): void {
    this.endShared();
    this.overlay.clear();
    this.clearCaches();
    this.savepoints = [];
    this.inTxn = false;
    this.endTransactionState();
    if (this.txnSchemaTouched || this.schemaTouched) this.catalog.load(this.overlay, this.txnTempRows);
    this.txnSchemaTouched = false;
  }

  /** Rolls back any open transaction (used by close()). */
  abandon(): void {
    if (this.inTxn) this.rollbackAll();
    releaseWriteSlot(this.shared, this);
    this.readers = 0;
    this.endRead();
    this.shared.sessions.delete(this);
    // TEMP tables end with the connection, as in SQLite.
    this.overlay.closeTemp();
  }

  // -------------------------------------------------------------------------
  // Compilation

  /** Plans `stmt`; throws only HeliosError (a stack overflow a small host might still hit is TOO_BIG). */
  compile(stmt: A.Statement): Program {
    this.refresh();
    try {
      return this.compileStatement(stmt);
    } catch (e) {
      throw stackOverflowAsTooBig(e);
    }
  }

  private compileStatement(stmt: A.Statement): Program {
    if (needsSchema(stmt)) this.catalog.requireLoaded(this.overlay);
    const version = this.catalog.version;
    switch (stmt.kind) {
      case 'Select':
        return compileSelect(this, stmt, version);
      case 'Explain':
        return compileExplain(this, stmt, version);
      case 'Insert':
        if (writesSchema(stmt)) return compileSchemaWrite(this, stmt, version);
        return this.onTemp(stmt.schema, stmt.table.name, writesSequence(this, stmt) ? compileSequenceWrite(this, stmt, version) : compileInsert(this, stmt, version));
      case 'Update':
        if (writesSchema(stmt)) return compileSchemaWrite(this, stmt, version);
        return this.onTemp(stmt.table.schema, stmt.table.name, writesSequence(this, stmt) ? compileSequenceWrite(this, stmt, version) : compileUpdate(this, stmt, version));
      case 'Delete':
        if (writesSchema(stmt)) return compileSchemaWrite(this, stmt, version);
        return this.onTemp(stmt.table.schema, stmt.table.name, writesSequence(this, stmt) ? compileSequenceWrite(this, stmt, version) : compileDelete(this, stmt, version));
      case 'CreateTable':
        return this.ddl(version, () => createTable(this, stmt));
      case 'CreateVirtualTable':
        return this.ddl(version, () => createVirtualTable(this, stmt));
      case 'CreateIndex':
        return this.ddl(version, () => createIndex(this, stmt));
      case 'CreateView':
        return this.ddl(version, () => createView(this, stmt));
      case 'CreateTrigger':
        return this.ddl(version, () => createTrigger(this, stmt));
      case 'Drop':
        return this.ddl(version, () => drop(this, stmt));
      case 'AlterTable':
        return this.ddl(version, () => alterTable(this, stmt));
      case 'Begin':
      case 'Commit':
      case 'Rollback':
      case 'Savepoint':
      case 'Release':
        return this.txnProgram(stmt, version);
      case 'Pragma': {
        const p = runPragma(this, stmt, version);
        return { ...p, columns: p.columns !== null && p.columns.length === 0 ? null : p.columns, declTypes: null, schemaVersion: version };
      }
      case 'Reindex': {
        // Indexes never go stale here, so there is nothing to rebuild; the name must still be one SQLite finds.
        const n = stmt.name;
        if (n !== null && !['binary', 'nocase', 'rtrim'].includes(n.name.toLowerCase()) && !this.catalog.table(n.name) && !this.catalog.indexes.has(n.name.toLowerCase())) {
          throw sqlErr('unable to identify the object to be reindexed', n.pos);
        }
        return this.noop(version);
      }
      case 'Analyze':
        return this.noop(version);
      case 'Vacuum':
        return this.vacuum(stmt, version);
      default:
        return assertNever(stmt, 'statement');
    }
  }

  /**
   * Where VACUUM INTO writes: null for the engine's own file system; a
   * ':memory:' database sets the real one (Database), so its copy reaches disk.
   */
  copyVfs: Vfs | null = null;
  /** The progress hook of the next VACUUM (Database.vacuum sets it for one statement). */
  vacuumProgress: ((p: VacuumProgress) => void) | null = null;

  /**
   * VACUUM [main|temp] [INTO filename]: outside a transaction only, as in SQLite. VACUUM
   * compacts the whole store (engine compactAll); INTO writes a copy of the database to the
   * new directory `filename`, sealed with the same keys (engine copyTo). TEMP objects live in
   * memory: VACUUM temp has nothing to compact.
   */
  private vacuum(stmt: A.VacuumStmt, version: number): Program {
    const schema = stmt.schema === null ? 'main' : fold(stmt.schema);
    if (schema !== 'main' && schema !== 'temp') throw sqlErr(`unknown database ${stmt.schema}`, stmt.pos);
    if (schema === 'temp' && stmt.into !== null) throw sqlErr('VACUUM temp INTO is not supported', stmt.pos);
    const planner = new Planner({ catalog: this.catalog, store: () => this.overlay });
    const into = stmt.into === null ? null : planner.comp.compile(stmt.into, planner.rootScope()).ev;
    return {
      columns: null,
      declTypes: null,
      readonly: false,
      schemaVersion: version,
      execute: (params) => {
        if (this.inTxn) throw sqlErr('cannot VACUUM from within a transaction', stmt.pos);
        if (into === null) {
          if (schema === 'main') this.engine.compactAll(this.vacuumProgress === null ? {} : { onProgress: this.vacuumProgress });
        } else {
          const path = into(this.frame(params));
          if (typeof path !== 'string') throw sqlErr('non-text filename', stmt.pos);
          const vfs = this.copyVfs ?? undefined;
          try {
            this.engine.copyTo(path, vfs);
          } catch (e) {
            // A missing directory stays CONFIG (SQLite's SQLITE_CANTOPEN); an existing output is SQLite's SQL error.
            if (e instanceof HeliosError && e.code === 'CONFIG' && e.details.osCode !== 'ENOENT') throw sqlErr(e.message, stmt.pos);
            if (e instanceof HeliosError && e.code === 'IO' && e.details.osCode === 'ENOTDIR') throw sqlErr('output file already exists', stmt.pos);
            throw e;
          }
        }
        return { changes: 0, lastInsertRowid: this.lastRowid };
      },
    };
  }

  private noop(version: number): Program {
    return { columns: null, declTypes: null, readonly: true, schemaVersion: version, execute: () => ({ changes: 0, lastInsertRowid: this.lastRowid }) };
  }

  frame(params: readonly SqlValue[]): Frame {
    const f = new Frame(params, this);
    // A trigger body statement starting: its OLD and NEW rows (planner.ts OLD_SLOT, NEW_SLOT).
    const pseudo = this.triggers.takeRows();
    if (pseudo !== null) {
      f.rows[0] = pseudo[0]!;
      f.rows[1] = pseudo[1]!;
    }
    return f;
  }

  /** Compiles a trigger body's INSERT, UPDATE or DELETE with OLD / NEW in scope (TriggerHost). */
  compileBody(stmt: A.InsertStmt | A.UpdateStmt | A.DeleteStmt, pseudo: PseudoRows): Program {
    const saved = this.planningPseudo;
    this.planningPseudo = pseudo;
    try {
      return this.compile(stmt);
    } catch (e) {
      // SQLite names the schema of a missing table in a trigger body.
      if (e instanceof HeliosError && e.code === 'SQL_ERROR' && e.message.startsWith('no such table: ') && !e.message.startsWith('no such table: main.')) {
        throw new HeliosError('SQL_ERROR', e.message.replace('no such table: ', 'no such table: main.'), e.details);
      }
      throw e;
    } finally {
      this.planningPseudo = saved;
    }
  }

  /** A schema-changing statement: marks the running statement as touching the schema, then runs `fn`. */
  private ddl(version: number, fn: () => number | null | void): Program {
    return {
      columns: null,
      declTypes: null,
      readonly: false,
      schemaVersion: version,
      execute: () => {
        this.schemaTouched = true;
        const changes = fn() ?? null;
        // DROP TABLE's implicit DELETE FROM (sql/ddl.ts drop) sets changes() as that DELETE would, 0 rows included.
        if (changes !== null) {
          this.changesCount = changes;
          this.totalChangesCount += changes;
        }
        return { changes: changes ?? 0, lastInsertRowid: this.lastRowid };
      },
    };
  }

  /**
   * A DML program whose target is a TEMP table does not take the database's write slot at its
   * start (TEMP is a database of its own, as in SQLite); a trigger of it that writes a main
   * table takes it at that write.
   */
  private onTemp(schema: string | null, name: string, p: Program): Program {
    return this.catalog.table(name, schema)?.temp === true ? { ...p, tempTarget: true } : p;
  }

  private txnProgram(stmt: TxnControlStmt, version: number): Program {
    return {
      columns: null,
      declTypes: null,
      readonly: false,
      schemaVersion: version,
      txnControl: true,
      beginsWrite: stmt.kind === 'Begin' && (stmt.mode === 'IMMEDIATE' || stmt.mode === 'EXCLUSIVE'),
      execute: () => {
        transactionControl(this, stmt);
        return { changes: 0, lastInsertRowid: this.lastRowid };
      },
    };
  }

  /** Runs transaction control outside the statement mark (it changes the marks themselves). */
  runTransactionControl(p: Program): RunResult {
    if (!this.inTxn) this.txnTempRows = this.catalog.tempRows;
    return p.execute([], () => true);
  }

  /** Writes PRAGMA user_version. */
  setUserVersion(v: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, v, false);
    this.overlay.put(USER_VERSION_KEY, b);
  }

  userVersion(): number {
    const b = this.overlay.get(USER_VERSION_KEY);
    return b && b.length >= 4 ? new DataView(b.buffer, b.byteOffset, 4).getInt32(0, false) : 0;
  }

  /** PRAGMA integrity_check (integrity.ts). */
  integrityCheck(): string[] {
    const r = verifyIntegrity(this);
    return r.ok ? ['ok'] : r.problems.slice(0, 100);
  }

  /** db.verifyIntegrity(): every block of every file authenticated, then the SQL-level check. */
  verifyIntegrity(onProgress?: (p: IntegrityProgress) => void): IntegrityReport {
    // One read transaction, as PRAGMA integrity_check: the catalog is current (another handle's
    // DDL taken in) and the rows are its snapshot's, whatever onProgress lets other handles do.
    this.readBegin();
    try {
      return verifyIntegrity(this, onProgress);
    } finally {
      this.readEnd();
    }
  }

  /** Compiles SQL text that holds exactly one statement (helper for tests and pragmas). */
  compileText(sql: string): Program {
    const s = parse(sql);
    if (s.length !== 1) throw new HeliosError('INVALID_ARGUMENT', 'expected exactly one statement');
    return this.compile(s[0]!);
  }
}
