/**
 * The session: one open database's SQL state (engine, catalog, transaction
 * overlay, counters) and the compilation of every statement kind into a
 * `Program` that runs with bound parameters.
 *
 * Atomicity: every statement runs inside an overlay mark. If it throws, the
 * overlay is rolled back to the mark (and the catalog reloaded when the
 * statement touched the schema), so a failing statement changes nothing.
 * Outside BEGIN … COMMIT each statement is its own transaction: its writes go
 * to the engine as one atomic batch when it succeeds.
 *
 * BEGIN DEFERRED, IMMEDIATE and EXCLUSIVE are equivalent here: a database is
 * opened by one process (LOCK) and this handle is its only writer, so there
 * is no lock to take early.
 */
import type * as A from './ast.ts';
import type { ConflictAction } from './ast.ts';
import { HeliosError, assertNever, type ErrorCode } from '../format/errors.ts';
import { MAX_INT64, type SqlValue } from '../format/sql-value.ts';
import { encodeKey, encodePrefixedKey, type KeyColumn } from '../format/key-codec.ts';
import { encodeRow } from '../format/row-codec.ts';
import type { Engine } from '../engine/engine.ts';
import { affinityOf, applyAffinity, compareValues, isTruthy, type Collation } from './value.ts';
import { parse } from './parser.ts';
import {
  Catalog,
  buildIndex,
  buildTable,
  buildView,
  countAutoIndexes,
  fold,
  SEQUENCE_TABLE_SQL,
  type IndexInfo,
  type TableInfo,
} from './catalog.ts';
import { Frame, Scope, type CExpr, type ColMeta, type Ev, type Row, type Source, valueKey } from './expr-compile.ts';
import { Planner, decodeTableRow, rowidProbe, splitAnd, type QueryPlan } from './planner.ts';
import { indexKey, writeRowid, objectPrefix, prefixEnd, readRowid, rowKey, rowidBytes, sequenceKey, META_KEY, USER_VERSION_KEY } from '../format/table-key.ts';
import { Overlay, bytesToBin } from './txn.ts';
import { lookupScalar, type ExecEnv } from './exec-env.ts';
import { runPragma, type PragmaSession } from './pragma.ts';
import type { Program, RunResult } from './program.ts';
import { stackOverflowAsTooBig } from './limits.ts';
import { constantDefaultValue } from './default-value.ts';
import { createLexer } from './lexer.ts';

export type { ConflictAction };

/** What running a program reports. */
function sqlErr(msg: string, pos?: { line: number; column: number }): HeliosError {
  return new HeliosError('SQL_ERROR', msg, pos ? { line: pos.line, column: pos.column } : {});
}

function constraintErr(code: ErrorCode, msg: string): HeliosError {
  return new HeliosError(code, msg);
}

/** Marks a constraint failure raised under OR FAIL / OR ROLLBACK. */
class ConflictError extends HeliosError {
  constructor(
    base: HeliosError,
    readonly action: 'FAIL' | 'ROLLBACK',
  ) {
    super(base.code, base.message, base.details);
  }
}

interface Savepoint {
  readonly name: string;
  readonly mark: number;
  readonly startedTxn: boolean;
}

const ROWID_NAMES = new Set(['rowid', 'oid', '_rowid_']);
export class Session implements ExecEnv, PragmaSession {
  readonly catalog = new Catalog();
  readonly overlay: Overlay;
  inTxn = false;
  private savepoints: Savepoint[] = [];
  private schemaTouched = false;
  private txnSchemaTouched = false;
  /** Largest rowid per table id, valid for the current transaction state (cleared on any rollback). */
  private readonly rowidCache = new Map<number, number | bigint>();
  /** AUTOINCREMENT high-water marks per table id (same lifetime as rowidCache). */
  private readonly seqCache = new Map<number, number | bigint>();
  /** Ids of the tables whose mark moved in the running statement (an array: emptying a Set allocates). */
  private readonly seqDirty: number[] = [];
  changesCount = 0;
  totalChangesCount = 0;
  /** Rows changed so far by the running DML statement (what OR FAIL keeps). */
  private stmtChanges = 0;
  lastRowid: number | bigint = 0;
  foreignKeys = false;
  /** The statement's 'now' (ms since the epoch), fixed for one statement as in SQLite. */
  nowMs = 0;
  private clearCaches(): void {
    this.rowidCache.clear();
    this.seqCache.clear();
    this.seqDirty.length = 0;
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

  constructor(readonly engine: Engine) {
    this.overlay = new Overlay(engine);
    this.catalog.load(this.overlay);
  }

  /** Current time for date functions (FunctionContext). */
  now(): number {
    return this.nowMs;
  }

  // -------------------------------------------------------------------------
  // Running

  /** Runs `p` with statement atomicity and autocommit. */
  run(p: Program, params: readonly SqlValue[], emit: (row: Row) => boolean): RunResult {
    this.nowMs = Date.now();
    this.stmtChanges = 0;
    const autocommit = !this.inTxn;
    const mark = this.overlay.mark();
    this.schemaTouched = false;
    let result: RunResult;
    try {
      result = p.execute(params, emit);
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
      if (p.dml) this.changesCount = 0;
      if (e instanceof ConflictError && e.action === 'ROLLBACK' && this.inTxn) {
        this.rollbackAll();
      } else if (autocommit && !this.inTxn) {
        this.overlay.clear();
        this.clearCaches();
      }
      if (this.schemaTouched) this.catalog.load(this.overlay);
      if (e instanceof ConflictError) throw new HeliosError(e.code, e.message, e.details);
      // A string or array past what the runtime can hold (V8: "Invalid string
      // length", "Invalid typed array length", "Array buffer allocation failed")
      // is the user's too-big value, not a bug: the statement changed nothing.
      if (e instanceof RangeError && /length|allocation/i.test(e.message)) throw new HeliosError('TOO_BIG', 'string or blob too big', {}, { cause: e });
      throw stackOverflowAsTooBig(e);
    }
    this.overlay.release();
    if (this.schemaTouched) this.txnSchemaTouched = true;
    if (autocommit && !this.inTxn) this.commitOverlay();
    return result;
  }

  private commitOverlay(): void {
    try {
      this.overlay.commit();
    } catch (e) {
      this.overlay.clear();
      this.clearCaches();
      this.catalog.load(this.overlay);
      throw e;
    } finally {
      this.txnSchemaTouched = false;
    }
  }

  private rollbackAll(): void {
    this.overlay.clear();
    this.clearCaches();
    this.savepoints = [];
    this.inTxn = false;
    if (this.txnSchemaTouched || this.schemaTouched) this.catalog.load(this.overlay);
    this.txnSchemaTouched = false;
  }

  /** Rolls back any open transaction (used by close()). */
  abandon(): void {
    if (this.inTxn) this.rollbackAll();
  }

  // -------------------------------------------------------------------------
  // Compilation

  /** Plans `stmt`; throws only HeliosError (a stack overflow a small host might still hit is TOO_BIG). */
  compile(stmt: A.Statement): Program {
    try {
      return this.compileStatement(stmt);
    } catch (e) {
      throw stackOverflowAsTooBig(e);
    }
  }

  private compileStatement(stmt: A.Statement): Program {
    const version = this.catalog.version;
    switch (stmt.kind) {
      case 'Select': {
        const planner = new Planner({ catalog: this.catalog, store: () => this.overlay });
        const plan = planner.query(stmt.query, null);
        return this.queryProgram(plan, planner, version, declTypesOf(stmt.query, this.catalog));
      }
      case 'Explain':
        return this.explain(stmt, version);
      case 'Insert':
        return this.insert(stmt, version);
      case 'Update':
        return this.update(stmt, version);
      case 'Delete':
        return this.delete(stmt, version);
      case 'CreateTable':
        return this.ddl(version, () => this.createTable(stmt));
      case 'CreateIndex':
        return this.ddl(version, () => this.createIndex(stmt));
      case 'CreateView':
        return this.ddl(version, () => this.createView(stmt));
      case 'Drop':
        return this.ddl(version, () => this.drop(stmt));
      case 'AlterTable':
        return this.ddl(version, () => this.alter(stmt));
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
      case 'Reindex':
      case 'Analyze':
        return this.noop(version);
      case 'Vacuum':
        if (stmt.into !== null) throw sqlErr('VACUUM INTO is not supported', stmt.pos);
        return this.noop(version);
      default:
        return assertNever(stmt, 'statement');
    }
  }

  private noop(version: number): Program {
    return { columns: null, declTypes: null, readonly: true, schemaVersion: version, execute: () => ({ changes: 0, lastInsertRowid: this.lastRowid }) };
  }

  private frame(params: readonly SqlValue[]): Frame {
    return new Frame(params, this);
  }

  private queryProgram(plan: QueryPlan, _planner: Planner, version: number, declTypes: (string | null)[] | null): Program {
    return {
      columns: plan.columns,
      declTypes,
      readonly: true,
      schemaVersion: version,
      execute: (params, emit) => {
        const f = this.frame(params);
        plan.run(f, emit);
        return { changes: 0, lastInsertRowid: this.lastRowid };
      },
    };
  }

  private explain(stmt: A.ExplainStmt, version: number): Program {
    const inner = stmt.statement;
    const planner = new Planner({ catalog: this.catalog, store: () => this.overlay });
    const lines: [number, string][] = [];
    if (inner.kind === 'Select') {
      planner.query(inner.query, null);
      lines.push(...planner.explain);
    } else {
      // Plan the statement to surface errors; DML explains as its table scan.
      this.compile(inner);
      lines.push([0, describeStatement(inner)]);
    }
    // EXPLAIN QUERY PLAN rows: id, parent, notused, detail (ids are 1-based line numbers).
    const rows: Row[] = [];
    const parents: number[] = [];
    lines.forEach(([depth, text], i) => {
      const id = i + 1;
      parents[depth] = id;
      rows.push([id, depth === 0 ? 0 : (parents[depth - 1] ?? 0), 0, text]);
    });
    const columns: ColMeta[] = stmt.queryPlan
      ? ['id', 'parent', 'notused', 'detail'].map((n) => ({ name: n, aff: null, coll: 'BINARY' as Collation }))
      : ['addr', 'opcode', 'p1', 'p2', 'p3', 'p4', 'p5', 'comment'].map((n) => ({ name: n, aff: null, coll: 'BINARY' as Collation }));
    const out = stmt.queryPlan ? rows : rows.map((r, i) => [i, 'Explain', r[0]!, r[1]!, 0, r[3]!, 0, null]);
    return {
      columns,
      declTypes: null,
      readonly: true,
      schemaVersion: version,
      execute: (_p, emit) => {
        for (const r of out) if (!emit(r)) break;
        return { changes: 0, lastInsertRowid: this.lastRowid };
      },
    };
  }

  private ddl(version: number, fn: () => void): Program {
    return {
      columns: null,
      declTypes: null,
      readonly: false,
      schemaVersion: version,
      execute: () => {
        this.schemaTouched = true;
        fn();
        return { changes: 0, lastInsertRowid: this.lastRowid };
      },
    };
  }

  private txnProgram(stmt: A.BeginStmt | A.CommitStmt | A.RollbackStmt | A.SavepointStmt | A.ReleaseStmt, version: number): Program {
    return {
      columns: null,
      declTypes: null,
      readonly: false,
      schemaVersion: version,
      execute: () => {
        this.transactionControl(stmt);
        return { changes: 0, lastInsertRowid: this.lastRowid };
      },
    };
  }

  /** Runs transaction control outside the statement mark (it changes the marks themselves). */
  runTransactionControl(p: Program): RunResult {
    return p.execute([], () => true);
  }

  private transactionControl(stmt: A.BeginStmt | A.CommitStmt | A.RollbackStmt | A.SavepointStmt | A.ReleaseStmt): void {
    switch (stmt.kind) {
      case 'Begin':
        if (this.inTxn) throw new HeliosError('TRANSACTION', 'cannot start a transaction within a transaction');
        this.inTxn = true;
        this.txnSchemaTouched = false;
        return;
      case 'Commit':
        if (!this.inTxn) throw new HeliosError('TRANSACTION', 'cannot commit - no transaction is active');
        this.commitOverlay();
        this.savepoints = [];
        this.inTxn = false;
        return;
      case 'Rollback': {
        if (stmt.savepoint === null) {
          if (!this.inTxn) throw new HeliosError('TRANSACTION', 'cannot rollback - no transaction is active');
          this.rollbackAll();
          return;
        }
        const i = this.findSavepoint(stmt.savepoint.name);
        const sp = this.savepoints[i]!;
        // Drop the marks of inner savepoints, keep this one.
        for (let j = this.savepoints.length - 1; j > i; j--) this.overlay.release();
        this.savepoints.length = i + 1;
        this.overlay.rollbackTo(sp.mark);
        this.clearCaches();
        if (this.txnSchemaTouched) this.catalog.load(this.overlay);
        return;
      }
      case 'Savepoint': {
        const startedTxn = !this.inTxn;
        if (startedTxn) {
          this.inTxn = true;
          this.txnSchemaTouched = false;
        }
        this.savepoints.push({ name: stmt.name.name, mark: this.overlay.mark(), startedTxn });
        return;
      }
      case 'Release': {
        const i = this.findSavepoint(stmt.name.name);
        const outer = this.savepoints[i]!;
        for (let j = this.savepoints.length - 1; j >= i; j--) this.overlay.release();
        this.savepoints.length = i;
        if (i === 0 && outer.startedTxn) {
          this.commitOverlay();
          this.inTxn = false;
        }
        return;
      }
    }
  }

  private findSavepoint(name: string): number {
    for (let i = this.savepoints.length - 1; i >= 0; i--) if (fold(this.savepoints[i]!.name) === fold(name)) return i;
    throw new HeliosError('TRANSACTION', `no such savepoint: ${name}`, {});
  }

  // -------------------------------------------------------------------------
  // Storage helpers

  private tableOrThrow(name: string, pos?: { line: number; column: number }, forWrite = true): TableInfo {
    const t = this.catalog.table(name);
    if (t) return t;
    if (forWrite && this.catalog.views.has(fold(name))) throw sqlErr(`cannot modify ${name} because it is a view`, pos);
    if (['sqlite_schema', 'sqlite_master', 'sqlite_sequence'].includes(fold(name))) throw sqlErr(`table ${name} may not be modified`, pos);
    throw sqlErr(`no such table: ${name}`, pos);
  }

  /** Largest rowid in `t` (0 when empty), cached for the transaction. */
  private maxRowid(t: TableInfo): number | bigint {
    const c = this.rowidCache.get(t.id);
    if (c !== undefined) return c;
    const lo = objectPrefix(t.id);
    const cur = this.overlay.scan(lo, prefixEnd(lo), true);
    let m: number | bigint = 0;
    try {
      if (cur.next()) m = readRowid(cur.key(), 4);
    } finally {
      cur.close();
    }
    this.rowidCache.set(t.id, m);
    return m;
  }

  private noteRowid(t: TableInfo, rowid: number | bigint): void {
    const m = this.maxRowid(t);
    if (rowid > m) this.rowidCache.set(t.id, rowid);
  }

  /** The AUTOINCREMENT high-water mark of `t` (0 when none), cached for the transaction. */
  private sequence(t: TableInfo): number | bigint {
    const c = this.seqCache.get(t.id);
    if (c !== undefined) return c;
    const s = this.overlay.get(sequenceKey(t.id));
    const v = s ? readRowid(s, 0) : 0;
    this.seqCache.set(t.id, v);
    return v;
  }

  private newRowid(t: TableInfo): number | bigint {
    let m = this.maxRowid(t);
    if (t.autoincrement) {
      const seq = this.sequence(t);
      if (seq > m) m = seq;
    }
    if (m === MAX_INT64 || m === 9223372036854775807n) {
      if (t.autoincrement) throw new HeliosError('SQL_ERROR', 'database or disk is full');
      for (let i = 0; i < 100; i++) {
        const r = BigInt(Math.floor(Math.random() * 2 ** 52)) * 2048n + BigInt(Math.floor(Math.random() * 2048));
        const cand = Number.isSafeInteger(Number(r)) ? Number(r) : r;
        if (this.overlay.get(rowKey(t.id, cand)) === undefined) return cand;
      }
      throw new HeliosError('SQL_ERROR', 'database or disk is full');
    }
    if (typeof m === 'bigint') {
      const n = m + 1n;
      return n <= 9007199254740991n && n >= -9007199254740991n ? Number(n) : n;
    }
    const n = m + 1;
    return Number.isSafeInteger(n) ? n : BigInt(m) + 1n;
  }

  /** Values of an index's key for a row ([...columns, rowid]). */
  private indexValues(ix: IndexInfo, row: Row, exprEvs: (Ev | null)[] | null, f: Frame | null, slot: number): SqlValue[] {
    const out = new Array<SqlValue>(ix.columns.length);
    for (let i = 0; i < ix.columns.length; i++) {
      const c = ix.columns[i]!;
      if (c.column >= 0) out[i] = row[c.column]!;
      else if (c.column === -2) out[i] = row[row.length - 1]!;
      else {
        const ev = exprEvs?.[i];
        if (!ev || !f) throw new HeliosError('INTERNAL', 'expression index without compiled expression');
        f.rows[slot] = row;
        out[i] = ev(f);
      }
    }
    return out;
  }

  private indexEntryKey(ix: IndexInfo, vals: SqlValue[], rowid: number | bigint): Uint8Array {
    let cols = keyColumnsOf.get(ix);
    if (cols === undefined) {
      cols = ix.columns.map((c) => ({ desc: c.desc, collation: c.collation }));
      keyColumnsOf.set(ix, cols);
    }
    const withRowid = !ix.unique || vals.includes(null);
    // Same bytes as indexKey(ix.id, encodeKey(vals, cols), withRowid ? rowid : null), built in one array.
    const key = encodePrefixedKey(ix.id, vals, cols, withRowid ? 8 : 0);
    if (withRowid) writeRowid(key, key.length - 8, rowid);
    return key;
  }

  // -------------------------------------------------------------------------
  // Row writer shared by INSERT and UPDATE

  /** Compiles what writing rows of `t` needs: expression-index evaluators, CHECKs, defaults. */
  private writer(t: TableInfo, planner: Planner): TableWriter {
    const scope = planner.rootScope();
    const slot = planner.comp.allocSlot();
    const src: Source = {
      slot,
      name: t.name,
      columns: t.columns.map((c) => ({ name: c.name, aff: c.affinity, coll: c.collation })),
      rowidIndex: t.columns.length,
      table: t,
      mergedColumns: new Set(),
      width: t.columns.length + 1,
    };
    scope.sources.push(src);
    const exprEvs = new Map<IndexInfo, (Ev | null)[]>();
    for (const ix of t.indexes) {
      if (ix.columns.some((c) => c.column === -1)) exprEvs.set(ix, ix.columns.map((c) => (c.expr ? planner.comp.compile(c.expr, scope).ev : null)));
    }
    const partial = new Map<IndexInfo, Ev>();
    for (const ix of t.indexes) if (ix.where) partial.set(ix, planner.comp.compile(ix.where, scope).ev);
    const checks = t.checks.map((c) => ({ name: c.name ?? checkText(t.sql, c.expr), ev: planner.comp.compile(c.expr, scope).ev }));
    const rootScope = planner.rootScope();
    const defaults = t.columns.map((c) => (c.defaultExpr ? planner.comp.compile(c.defaultExpr, rootScope).ev : null));
    return { t, keyRow: null, keyBytes: [], keyBins: [], slot, scope, exprEvs, partial, checks, defaults };
  }

  /** Applies NOT NULL (with its conflict action) and CHECK. Returns false when the row is to be skipped (IGNORE). */
  private checkRow(w: TableWriter, row: Row, f: Frame, action: ConflictAction | null): boolean {
    const t = w.t;
    for (let i = 0; i < t.columns.length; i++) {
      const c = t.columns[i]!;
      if (!c.notNull || row[i] !== null) continue;
      if (i === t.rowidAlias) continue;
      const act = action ?? c.notNullConflict ?? 'ABORT';
      if (act === 'IGNORE') return false;
      if (act === 'REPLACE' && w.defaults[i]) {
        row[i] = applyAffinity(w.defaults[i]!(f), c.affinity);
        if (row[i] !== null) continue;
      }
      throw this.conflict(constraintErr('CONSTRAINT_NOTNULL', `NOT NULL constraint failed: ${t.name}.${c.name}`), act);
    }
    if (w.checks.length > 0) {
      f.rows[w.slot] = row;
      for (const c of w.checks) {
        const v = c.ev(f);
        if (v !== null && isTruthy(v) === false) {
          const act = action ?? 'ABORT';
          if (act === 'IGNORE') return false;
          throw this.conflict(constraintErr('CONSTRAINT_CHECK', `CHECK constraint failed: ${c.name}`), act);
        }
      }
    }
    return true;
  }

  private conflict(e: HeliosError, action: ConflictAction): HeliosError {
    if (action === 'FAIL' || action === 'ROLLBACK') return new ConflictError(e, action);
    return e;
  }

  /**
   * Finds rows that a new row (with `rowid`) would conflict with, in SQLite's
   * order: the rowid first, then each UNIQUE index. `exclude` is the row's own
   * old rowid (UPDATE).
   */
  private conflicts(w: TableWriter, row: Row, rowid: number | bigint, exclude: number | bigint | null, f: Frame, freshRowid = false): readonly Conflict[] {
    // Allocated on the first conflict only (the common row has none).
    let out: Conflict[] = NO_CONFLICTS as Conflict[];
    const t = w.t;
    if (!freshRowid && (exclude === null || exclude !== rowid)) {
      if (this.overlay.get(rowKey(t.id, rowid)) !== undefined) out = [{ ix: null, rowid }];
    }
    const reuse = row.length === t.columns.length + 1;
    w.keyRow = reuse ? row : null;
    for (let i = 0; i < t.indexes.length; i++) {
      const ix = t.indexes[i]!;
      w.keyBytes[i] = undefined;
      if (!ix.unique) continue;
      const pe = w.partial.get(ix);
      if (pe) {
        f.rows[w.slot] = row;
        if (isTruthy(pe(f)) !== true) continue;
      }
      const vals = this.indexValues(ix, row, w.exprEvs.get(ix) ?? null, f, w.slot);
      if (vals.includes(null)) continue;
      const key = this.indexEntryKey(ix, vals, rowid);
      const bin = bytesToBin(key);
      if (reuse) {
        w.keyBytes[i] = key;
        w.keyBins[i] = bin;
      }
      const v = this.overlay.getBin(key, bin);
      if (v === undefined) continue;
      const other = readRowid(v, 0);
      if (exclude !== null && other === exclude) continue;
      if (other === rowid && out.some((o) => o.ix === null)) continue;
      if (out === NO_CONFLICTS) out = [];
      out.push({ ix, rowid: other });
    }
    return out;
  }

  private uniqueError(t: TableInfo, ix: IndexInfo | null): HeliosError {
    if (ix === null) {
      const name = t.rowidAlias >= 0 ? `${t.name}.${t.columns[t.rowidAlias]!.name}` : `${t.name}.rowid`;
      return constraintErr('CONSTRAINT_PRIMARYKEY', `UNIQUE constraint failed: ${name}`);
    }
    const cols = ix.columns.map((c) => (c.column >= 0 ? `${t.name}.${t.columns[c.column]!.name}` : c.column === -2 ? `${t.name}.rowid` : `index '${ix.name}'`));
    const text = ix.columns.some((c) => c.column === -1) ? `index '${ix.name}'` : cols.join(', ');
    return constraintErr(ix.origin === 'pk' ? 'CONSTRAINT_PRIMARYKEY' : 'CONSTRAINT_UNIQUE', `UNIQUE constraint failed: ${text}`);
  }

  /** Writes a row and its index entries (no checks). */
  private putRow(w: TableWriter, row: Row, rowid: number | bigint, f: Frame): void {
    const t = w.t;
    const n = t.columns.length;
    this.overlay.put(rowKey(t.id, rowid), encodeRow(row, n, t.rowidAlias, this.overlay.alloc));
    // The cached keys hold only if the row's rowid is the one conflicts() saw.
    const cached = w.keyRow === row && row[n] === rowid;
    w.keyRow = null;
    const full = row.length === n + 1 ? row : [...row.slice(0, n), rowid];
    full[n] = rowid;
    if (t.rowidAlias >= 0) full[t.rowidAlias] = rowid;
    const rb = rowidBytes(rowid);
    for (let i = 0; i < t.indexes.length; i++) {
      const ix = t.indexes[i]!;
      const pe = w.partial.get(ix);
      if (pe) {
        f.rows[w.slot] = full;
        if (isTruthy(pe(f)) !== true) continue;
      }
      const key = cached ? w.keyBytes[i] : undefined;
      if (key !== undefined) {
        this.overlay.putBin(w.keyBins[i]!, rb);
        continue;
      }
      const vals = this.indexValues(ix, full, w.exprEvs.get(ix) ?? null, f, w.slot);
      this.overlay.put(this.indexEntryKey(ix, vals, rowid), rb);
    }
    this.noteRowid(t, rowid);
  }

  /** Deletes a row (given as [...columns, rowid]) and its index entries. */
  private removeRow(w: TableWriter, row: Row, f: Frame): void {
    const t = w.t;
    const rowid = row[t.columns.length] as number | bigint;
    this.overlay.delete(rowKey(t.id, rowid));
    if (this.rowidCache.get(t.id) === rowid) this.rowidCache.delete(t.id);
    for (const ix of t.indexes) {
      const pe = w.partial.get(ix);
      if (pe) {
        f.rows[w.slot] = row;
        if (isTruthy(pe(f)) !== true) continue;
      }
      const vals = this.indexValues(ix, row, w.exprEvs.get(ix) ?? null, f, w.slot);
      this.overlay.delete(this.indexEntryKey(ix, vals, rowid));
    }
  }

  private loadRow(t: TableInfo, rowid: number | bigint): Row | null {
    const v = this.overlay.get(rowKey(t.id, rowid));
    return v === undefined ? null : decodeTableRow(t, rowid, v);
  }

  // -------------------------------------------------------------------------
  // Foreign keys (enforced when PRAGMA foreign_keys = ON)

  /** Checks that every foreign key of the new row finds its parent. */
  private checkParents(t: TableInfo, row: Row): void {
    if (!this.foreignKeys) return;
    for (const fk of t.foreignKeys) {
      const vals = fk.columns.map((c) => row[c]!);
      if (vals.some((v) => v === null)) continue;
      const parent = this.catalog.table(fk.parentTable);
      if (!parent) throw constraintErr('CONSTRAINT_FOREIGNKEY', 'FOREIGN KEY constraint failed');
      if (!this.parentExists(parent, fk.parentColumns, vals)) throw constraintErr('CONSTRAINT_FOREIGNKEY', 'FOREIGN KEY constraint failed');
    }
  }

  private parentColumnIndexes(parent: TableInfo, cols: readonly string[] | null): number[] {
    if (cols === null) {
      if (parent.rowidAlias >= 0) return [parent.rowidAlias];
      const pk = parent.columns.map((c, i) => ({ c, i })).filter((x) => x.c.pk > 0).sort((a, b) => a.c.pk - b.c.pk);
      return pk.map((x) => x.i);
    }
    return cols.map((n) => {
      const i = parent.columnIndex.get(fold(n));
      if (i === undefined) throw sqlErr(`foreign key mismatch - referencing "${parent.name}"`);
      return i;
    });
  }

  private parentExists(parent: TableInfo, cols: readonly string[] | null, vals: SqlValue[]): boolean {
    const idx = this.parentColumnIndexes(parent, cols);
    if (idx.length === 1 && idx[0] === parent.rowidAlias) {
      const id = rowidProbe(vals[0]!);
      return id !== null && this.overlay.get(rowKey(parent.id, id)) !== undefined;
    }
    const ix = parent.indexes.find((x) => x.unique && x.columns.length === idx.length && x.columns.every((c, j) => c.column === idx[j]));
    if (ix) {
      const conv = vals.map((v, j) => applyAffinity(v, parent.columns[idx[j]!]!.affinity));
      if (conv.some((v) => v === null)) return false;
      return this.overlay.get(this.indexEntryKey(ix, conv, 0)) !== undefined;
    }
    return this.anyRow(parent, (r) => idx.every((c, j) => r[c] !== null && compareValues(r[c]!, applyAffinity(vals[j]!, parent.columns[c]!.affinity), parent.columns[c]!.collation) === 0));
  }

  private anyRow(t: TableInfo, pred: (r: Row) => boolean): boolean {
    const lo = objectPrefix(t.id);
    const cur = this.overlay.scan(lo, prefixEnd(lo));
    try {
      while (cur.next()) if (pred(decodeTableRow(t, readRowid(cur.key(), 4), cur.value()))) return true;
    } finally {
      cur.close();
    }
    return false;
  }

  /** Children referencing a parent row that is deleted or whose key changes. */
  private childRefs(parent: TableInfo, oldRow: Row, newRow: Row | null, f: Frame, depth: number): void {
    if (!this.foreignKeys) return;
    // Actions (CASCADE, SET NULL, SET DEFAULT) first; NO ACTION / RESTRICT checks then see their effect,
    // as SQLite's end-of-statement check does.
    for (const pass of ['actions', 'checks'] as const)
    for (const child of this.catalog.tables.values()) {
      for (const fk of child.foreignKeys) {
        if (fold(fk.parentTable) !== fold(parent.name)) continue;
        const act = newRow === null ? fk.onDelete : fk.onUpdate;
        const isAction = act === 'CASCADE' || act === 'SET NULL' || act === 'SET DEFAULT';
        if ((pass === 'actions') !== isAction) continue;
        const pidx = this.parentColumnIndexes(parent, fk.parentColumns);
        const oldVals = pidx.map((i) => oldRow[i]!);
        if (oldVals.some((v) => v === null)) continue;
        if (newRow !== null && pidx.every((i) => compareValues(oldRow[i]!, newRow[i]!, 'BINARY') === 0)) continue;
        const action = newRow === null ? fk.onDelete : fk.onUpdate;
        const matches: Row[] = [];
        const lo = objectPrefix(child.id);
        const cur = this.overlay.scan(lo, prefixEnd(lo));
        try {
          while (cur.next()) {
            const r = decodeTableRow(child, readRowid(cur.key(), 4), cur.value());
            if (fk.columns.every((c, j) => r[c] !== null && compareValues(applyAffinity(r[c]!, parent.columns[pidx[j]!]!.affinity), oldVals[j]!, parent.columns[pidx[j]!]!.collation) === 0)) matches.push(r);
          }
        } finally {
          cur.close();
        }
        if (matches.length === 0) continue;
        if (depth > 100) throw new HeliosError('TOO_BIG', 'too many levels of foreign key cascade');
        if (action === 'CASCADE' || action === 'SET NULL' || action === 'SET DEFAULT') {
          const planner = new Planner({ catalog: this.catalog, store: () => this.overlay });
          const w = this.writer(child, planner);
          for (const r of matches) {
            if (action === 'CASCADE' && newRow === null) {
              this.childRefs(child, r, null, f, depth + 1);
              this.removeRow(w, r, f);
              continue;
            }
            const nr = r.slice();
            fk.columns.forEach((c, j) => {
              nr[c] = action === 'CASCADE' ? newRow![pidx[j]!]! : action === 'SET NULL' ? null : w.defaults[c] ? applyAffinity(w.defaults[c]!(f), child.columns[c]!.affinity) : null;
            });
            this.removeRow(w, r, f);
            this.putRow(w, nr, r[child.columns.length] as number | bigint, f);
          }
          continue;
        }
        throw constraintErr('CONSTRAINT_FOREIGNKEY', 'FOREIGN KEY constraint failed');
      }
    }
  }

  // -------------------------------------------------------------------------
  // INSERT

  private insert(stmt: A.InsertStmt, version: number): Program {
    if (stmt.with !== null && stmt.source.kind !== 'Select') throw sqlErr('WITH is only supported with INSERT … SELECT', stmt.pos);
    const t = this.tableOrThrow(stmt.table.name, stmt.table.pos);
    const planner = new Planner({ catalog: this.catalog, store: () => this.overlay });
    const w = this.writer(t, planner);
    const n = t.columns.length;
    // Target columns: index into the table's columns, or -2 for the rowid.
    let targets: number[];
    if (stmt.columns === null) targets = t.columns.map((_, i) => i);
    else {
      targets = stmt.columns.map((c) => {
        const i = t.columnIndex.get(fold(c.name));
        if (i !== undefined) return i;
        if (ROWID_NAMES.has(fold(c.name))) return -2;
        throw sqlErr(`table ${t.name} has no column named ${c.name}`, c.pos);
      });
    }
    const root = planner.rootScope();
    let produce: (f: Frame, cb: (vals: SqlValue[]) => boolean) => void;
    const src = stmt.source;
    if (src.kind === 'Values') {
      for (const r of src.rows) {
        if (r.length !== targets.length) {
          throw sqlErr(stmt.columns === null ? `table ${t.name} has ${n} columns but ${r.length} values were supplied` : `${r.length} values for ${targets.length} columns`, stmt.pos);
        }
      }
      const rows = src.rows.map((r) => r.map((e) => planner.comp.compile(e, root).ev));
      produce = (f, cb) => {
        for (const r of rows) {
          const vals = new Array<SqlValue>(r.length);
          for (let i = 0; i < r.length; i++) vals[i] = r[i]!(f);
          if (!cb(vals)) return;
        }
      };
    } else if (src.kind === 'Select') {
      const q: A.Query = stmt.with !== null && src.query.with === null ? { ...src.query, with: stmt.with } : src.query;
      const plan = planner.query(q, null);
      if (plan.columns.length !== targets.length) {
        throw sqlErr(stmt.columns === null ? `table ${t.name} has ${n} columns but ${plan.columns.length} values were supplied` : `${plan.columns.length} values for ${targets.length} columns`, stmt.pos);
      }
      produce = (f, cb) => {
        // Materialise first: the SELECT may read the table being written.
        const rows: Row[] = [];
        plan.run(f, (r) => (rows.push(r), true));
        for (const r of rows) if (!cb(r)) return;
      };
    } else {
      targets = [];
      produce = (_f, cb) => void cb([]);
    }
    // Upsert clauses: the existing row is the table source, `excluded` the proposed row.
    const upserts = stmt.upsert.map((u) => this.compileUpsert(u, t, planner, stmt.alias));
    const returning = stmt.returning ? this.compileReturning(stmt.returning, w, planner) : null;
    const orAction = stmt.orConflict;
    const rowidTarget = targets.indexOf(-2) >= 0 ? targets.indexOf(-2) : t.rowidAlias >= 0 ? targets.indexOf(t.rowidAlias) : -1;
    // Per column: the DEFAULT evaluator when the statement does not supply the column (fixed per statement).
    const defaultFor = w.defaults.map((d, i) => (d && !targets.includes(i) ? d : null));
    const affinities = t.columns.map((c) => c.affinity);
    // A DEFAULT that depends on nothing but the statement's 'now' has one value per nowMs:
    // it is computed (with the column's affinity applied) once per distinct 'now', not per row.
    const nowOnly = t.columns.map((c, i) => defaultFor[i] !== null && c.defaultExpr !== null && dependsOnlyOnNow(c.defaultExpr));
    const defaultAt = t.columns.map(() => Number.NaN);
    const defaultValue = t.columns.map((): SqlValue => null);

    return {
      dml: true,
      columns: returning ? returning.columns : null,
      declTypes: null,
      readonly: false,
      schemaVersion: version,
      execute: (params, emit) => {
        const f = this.frame(params);
        let changes = 0;
        produce(f, (vals) => {
          const row = new Array<SqlValue>(n + 1).fill(null);
          for (let i = 0; i < targets.length; i++) {
            const c = targets[i]!;
            if (c >= 0) row[c] = vals[i]!;
          }
          for (let i = 0; i < n; i++) {
            const d = defaultFor[i];
            if (d) {
              if (nowOnly[i]) {
                if (defaultAt[i] !== this.nowMs) {
                  defaultValue[i] = applyAffinity(d(f), affinities[i]!);
                  defaultAt[i] = this.nowMs;
                }
                row[i] = defaultValue[i]!;
                continue;
              }
              row[i] = d(f);
            }
            row[i] = applyAffinity(row[i]!, affinities[i]!);
          }
          // Rowid
          let rowid: number | bigint;
          let fresh = false;
          const rv = rowidTarget >= 0 ? vals[rowidTarget]! : null;
          if (rv !== null && rv !== undefined) {
            const id = applyAffinity(rv, 'INTEGER');
            if (typeof id !== 'bigint' && !(typeof id === 'number' && Number.isInteger(id))) throw new HeliosError('MISMATCH', 'datatype mismatch');
            rowid = id;
          } else {
            rowid = this.newRowid(t);
            // max(rowid) + 1 cannot exist yet (random rowids past 2^63-1 are probed in newRowid).
            fresh = true;
          }
          row[n] = rowid;
          if (t.rowidAlias >= 0) row[t.rowidAlias] = rowid;
          // Like SQLite, the AUTOINCREMENT mark moves as soon as the rowid is chosen, even if the row is then ignored.
          if (t.autoincrement) this.bumpSequence(t, rowid);
          const res = this.insertOne(w, row, rowid, f, orAction, upserts, fresh);
          if (res === 'skip') return true;
          changes++;
          this.stmtChanges++;
          if (res === 'inserted') this.lastRowid = rowid;
          if (returning) {
            const out = returning.eval(f, res === 'inserted' ? row : (res as Row));
            emit(out);
          }
          return true;
        });
        if (t.autoincrement) this.flushSequences();
        this.changesCount = changes;
        this.totalChangesCount += changes;
        return { changes, lastInsertRowid: this.lastRowid };
      },
    };
  }

  /** Raises the AUTOINCREMENT mark in memory; flushSequences() persists it when the statement succeeds. */
  private bumpSequence(t: TableInfo, rowid: number | bigint): void {
    if (this.sequence(t) >= rowid) return;
    this.seqCache.set(t.id, rowid);
    if (!this.seqDirty.includes(t.id)) this.seqDirty.push(t.id);
  }

  /** Writes the marks raised by the statement (SQLite updates sqlite_sequence only at a statement's successful end). */
  private flushSequences(): void {
    const dirty = this.seqDirty;
    for (let i = 0; i < dirty.length; i++) {
      const id = dirty[i]!;
      const v = this.seqCache.get(id);
      if (v === undefined) continue;
      let k = seqKeys.get(id);
      if (k === undefined) {
        const key = sequenceKey(id);
        k = { key, bin: bytesToBin(key) };
        seqKeys.set(id, k);
      }
      this.overlay.putBin(k.bin, rowidBytes(v));
    }
    dirty.length = 0;
  }

  /**
   * Applies the conflict action for one uniqueness conflict of INSERT or UPDATE:
   * 'skip' for IGNORE; for REPLACE the conflicting row is deleted (with its
   * foreign-key actions) and the statement goes on; ABORT, FAIL and ROLLBACK throw.
   */
  private resolveConflict(w: TableWriter, c: { ix: IndexInfo | null; rowid: number | bigint }, orAction: ConflictAction | null, f: Frame): 'skip' | 'replaced' {
    const t = w.t;
    const act = orAction ?? (c.ix === null ? t.pkConflict : c.ix.conflict) ?? 'ABORT';
    if (act === 'IGNORE') return 'skip';
    if (act === 'REPLACE') {
      const victim = this.loadRow(t, c.rowid);
      if (victim) {
        this.childRefs(t, victim, null, f, 0);
        this.removeRow(w, victim, f);
      }
      return 'replaced';
    }
    throw this.conflict(this.uniqueError(t, c.ix), act);
  }

  /**
   * Inserts one prepared row. Returns 'inserted', 'skip' (IGNORE / DO NOTHING),
   * or the updated row when an upsert turned the insert into an update.
   */
  private insertOne(w: TableWriter, row: Row, rowid: number | bigint, f: Frame, orAction: ConflictAction | null, upserts: CompiledUpsert[], freshRowid: boolean): 'inserted' | 'skip' | Row {
    const t = w.t;
    if (!this.checkRow(w, row, f, orAction)) return 'skip';
    let found = this.conflicts(w, row, rowid, null, f, freshRowid);
    // SQLite checks the constraint named by an ON CONFLICT target before the others.
    if (found.length > 1 && upserts.length > 0) {
      const targeted = (c: { ix: IndexInfo | null }): boolean => upserts.some((u) => u.targeted && u.matches(c.ix, t));
      found = found.slice().sort((a, b) => (targeted(b) ? 1 : 0) - (targeted(a) ? 1 : 0));
    }
    for (const c of found) {
      // An upsert clause whose target matches (or has none) handles the conflict.
      const u = upserts.find((u) => u.matches(c.ix, t));
      if (u) {
        if (u.action === 'nothing') return 'skip';
        const existing = this.loadRow(t, c.rowid);
        if (!existing) continue;
        return this.upsertUpdate(w, u, existing, row, f);
      }
      if (this.resolveConflict(w, c, orAction, f) === 'skip') return 'skip';
    }
    this.checkParents(t, row);
    this.putRow(w, row, rowid, f);
    return 'inserted';
  }

  private compileUpsert(u: A.UpsertClause, t: TableInfo, planner: Planner, alias: string | null): CompiledUpsert {
    let targetCols: number[] | null = null;
    if (u.target !== null) {
      targetCols = u.target.columns.map((ic) => {
        let e = ic.expr;
        while (e.kind === 'Collate') e = e.expr;
        if (e.kind !== 'Column') throw sqlErr('ON CONFLICT target must name columns', ic.pos);
        const i = t.columnIndex.get(fold(e.column));
        if (i === undefined) throw sqlErr(`no such column: ${e.column}`, ic.pos);
        return i === t.rowidAlias ? -2 : i;
      });
      const set = new Set(targetCols);
      const ok =
        (set.size === 1 && set.has(-2)) ||
        t.indexes.some((ix) => ix.unique && ix.columns.length === set.size && ix.columns.every((c) => set.has(c.column)));
      if (!ok) throw sqlErr('ON CONFLICT clause does not match any PRIMARY KEY or UNIQUE constraint', u.pos);
    }
    const matches = (ix: IndexInfo | null, tt: TableInfo): boolean => {
      if (targetCols === null) return true;
      if (ix === null) return targetCols.length === 1 && targetCols[0] === -2;
      void tt;
      return ix.columns.length === targetCols.length && ix.columns.every((c) => targetCols!.includes(c.column));
    };
    if (u.action.kind === 'Nothing') return { action: 'nothing', targeted: targetCols !== null, matches, sets: [], where: null, scopeSlots: null };
    const scope = planner.rootScope();
    const existingSlot = planner.comp.allocSlot();
    const excludedSlot = planner.comp.allocSlot();
    const cols = t.columns.map((c) => ({ name: c.name, aff: c.affinity, coll: c.collation }));
    scope.sources.push({ slot: existingSlot, name: alias ?? t.name, columns: cols, rowidIndex: t.columns.length, table: t, mergedColumns: new Set(), width: cols.length + 1 });
    scope.sources.push({ slot: excludedSlot, name: 'excluded', columns: cols, rowidIndex: t.columns.length, table: null, mergedColumns: new Set(cols.map((c) => fold(c.name))), width: cols.length + 1 });
    const sets = this.compileSets(u.action.sets, t, planner, scope);
    const where = u.action.where ? planner.comp.compile(u.action.where, scope).ev : null;
    return { action: 'update', targeted: targetCols !== null, matches, sets, where, scopeSlots: { existing: existingSlot, excluded: excludedSlot } };
  }

  private upsertUpdate(w: TableWriter, u: CompiledUpsert, existing: Row, proposed: Row, f: Frame): Row | 'skip' {
    const s = u.scopeSlots!;
    f.rows[s.existing] = existing;
    f.rows[s.excluded] = proposed;
    if (u.where && isTruthy(u.where(f)) !== true) return 'skip';
    const nr = existing.slice();
    for (const set of u.sets) nr[set.col] = set.ev(f);
    return this.applyUpdate(w, existing, nr, f, null) ?? 'skip';
  }

  private compileSets(sets: readonly A.SetClause[], t: TableInfo, planner: Planner, scope: Scope): { col: number; ev: Ev }[] {
    const out: { col: number; ev: Ev }[] = [];
    for (const s of sets) {
      if (s.columns.length !== 1) {
        if (s.value.kind !== 'Row' || s.value.items.length !== s.columns.length) throw sqlErr('row value misused', s.value.pos);
        s.columns.forEach((c, i) => out.push({ col: this.setTarget(t, c), ev: planner.comp.compile((s.value as A.RowExpr).items[i]!, scope).ev }));
        continue;
      }
      out.push({ col: this.setTarget(t, s.columns[0]!), ev: planner.comp.compile(s.value, scope).ev });
    }
    return out;
  }

  private setTarget(t: TableInfo, c: A.Name): number {
    const i = t.columnIndex.get(fold(c.name));
    if (i !== undefined) return i;
    if (ROWID_NAMES.has(fold(c.name))) return t.columns.length;
    throw sqlErr(`no such column: ${c.name}`, c.pos);
  }

  private compileReturning(cols: readonly A.ResultColumn[], w: TableWriter, planner: Planner): { columns: ColMeta[]; eval: (f: Frame, row: Row) => Row } {
    const evs: CExpr[] = [];
    const columns: ColMeta[] = [];
    const src = w.scope.sources[0]!;
    for (const rc of cols) {
      if (rc.kind === 'Star' || rc.kind === 'TableStar') {
        src.columns.forEach((c, i) => {
          evs.push({ ev: (f) => f.rows[w.slot]![i]!, aff: c.aff, coll: c.coll, explicitColl: false });
          columns.push({ name: c.name, aff: c.aff, coll: c.coll });
        });
        continue;
      }
      const c = planner.comp.compile(rc.expr, w.scope);
      evs.push(c);
      columns.push({ name: rc.alias ?? (rc.expr.kind === 'Column' ? rc.expr.column : rc.text), aff: c.aff, coll: c.coll ?? 'BINARY' });
    }
    return {
      columns,
      eval: (f, row) => {
        f.rows[w.slot] = row;
        return evs.map((e) => e.ev(f));
      },
    };
  }

  // -------------------------------------------------------------------------
  // UPDATE / DELETE

  private targetScan(planner: Planner, table: A.QualifiedTable, where: A.Expr | null, t: TableInfo): { w: TableWriter; run: (f: Frame) => Row[] } {
    const w = this.writer(t, planner);
    // Re-plan the scan in the writer's scope: the source is named by the alias.
    const scope = w.scope;
    const src = scope.sources[0]!;
    if (table.alias !== null) (src as { name: string }).name = table.alias;
    const run = planner.tableScan(src, t, where, scope, table.indexedBy);
    return { w, run };
  }

  private update(stmt: A.UpdateStmt, version: number): Program {
    if (stmt.from !== null) throw sqlErr('UPDATE … FROM is not supported', stmt.pos);
    if (stmt.with !== null) throw sqlErr('WITH … UPDATE is not supported', stmt.pos);
    const t = this.tableOrThrow(stmt.table.name, stmt.table.pos);
    const planner = new Planner({ catalog: this.catalog, store: () => this.overlay });
    const { w, run } = this.targetScan(planner, stmt.table, stmt.where, t);
    const sets = this.compileSets(stmt.sets, t, planner, w.scope);
    const returning = stmt.returning ? this.compileReturning(stmt.returning, w, planner) : null;
    const orAction = stmt.orConflict;
    return {
      dml: true,
      columns: returning ? returning.columns : null,
      declTypes: null,
      readonly: false,
      schemaVersion: version,
      execute: (params, emit) => {
        const f = this.frame(params);
        const rows = run(f);
        let changes = 0;
        for (const old of rows) {
          f.rows[w.slot] = old;
          const nr = old.slice();
          for (const s of sets) nr[s.col] = s.ev(f);
          const res = this.applyUpdate(w, old, nr, f, orAction);
          if (res === null) continue;
          changes++;
          this.stmtChanges++;
          if (returning) emit(returning.eval(f, res));
        }
        this.changesCount = changes;
        this.totalChangesCount += changes;
        return { changes, lastInsertRowid: this.lastRowid };
      },
    };
  }

  /** Replaces `old` by `nr` (affinity, constraints, conflicts). Returns the written row or null when skipped. */
  private applyUpdate(w: TableWriter, old: Row, nr: Row, f: Frame, orAction: ConflictAction | null): Row | null {
    const t = w.t;
    const n = t.columns.length;
    for (let i = 0; i < n; i++) nr[i] = applyAffinity(nr[i]!, t.columns[i]!.affinity);
    const oldRowid = old[n] as number | bigint;
    // The rowid may change through the alias column or rowid itself.
    let rowidVal: SqlValue = nr[n]!;
    if (t.rowidAlias >= 0 && compareValues(nr[t.rowidAlias]!, old[t.rowidAlias]!) !== 0) rowidVal = nr[t.rowidAlias]!;
    let rowid: number | bigint;
    if (rowidVal === null) {
      // Unlike INSERT, UPDATE never picks a new rowid for NULL (SQLite: datatype mismatch).
      throw new HeliosError('MISMATCH', 'datatype mismatch');
    } else {
      const id = applyAffinity(rowidVal, 'INTEGER');
      if (typeof id !== 'bigint' && !(typeof id === 'number' && Number.isInteger(id))) throw new HeliosError('MISMATCH', 'datatype mismatch');
      rowid = id;
    }
    nr[n] = rowid;
    if (t.rowidAlias >= 0) nr[t.rowidAlias] = rowid;
    if (!this.checkRow(w, nr, f, orAction)) return null;
    const found = this.conflicts(w, nr, rowid, oldRowid, f);
    for (const c of found) {
      if (this.resolveConflict(w, c, orAction, f) === 'skip') return null;
    }
    this.checkParents(t, nr);
    this.childRefs(t, old, nr, f, 0);
    this.removeRow(w, old, f);
    this.putRow(w, nr, rowid, f);
    return nr;
  }

  private delete(stmt: A.DeleteStmt, version: number): Program {
    if (stmt.with !== null) throw sqlErr('WITH … DELETE is not supported', stmt.pos);
    const t = this.tableOrThrow(stmt.table.name, stmt.table.pos);
    const planner = new Planner({ catalog: this.catalog, store: () => this.overlay });
    const { w, run } = this.targetScan(planner, stmt.table, stmt.where, t);
    const returning = stmt.returning ? this.compileReturning(stmt.returning, w, planner) : null;
    return {
      dml: true,
      columns: returning ? returning.columns : null,
      declTypes: null,
      readonly: false,
      schemaVersion: version,
      execute: (params, emit) => {
        const f = this.frame(params);
        const rows = run(f);
        let changes = 0;
        for (const old of rows) {
          // A cascade may already have removed the row.
          if (this.foreignKeys && this.overlay.get(rowKey(t.id, old[t.columns.length] as number | bigint)) === undefined) continue;
          this.childRefs(t, old, null, f, 0);
          this.removeRow(w, old, f);
          changes++;
          this.stmtChanges++;
          if (returning) emit(returning.eval(f, old));
        }
        this.changesCount = changes;
        this.totalChangesCount += changes;
        return { changes, lastInsertRowid: this.lastRowid };
      },
    };
  }

  // -------------------------------------------------------------------------
  // DDL

  private checkNewName(name: string, kind: string, pos: { line: number; column: number }): void {
    if (fold(name).startsWith('sqlite_')) throw sqlErr(`object name reserved for internal use: ${name}`, pos);
    const used = this.catalog.nameInUse(name);
    if (used) throw sqlErr(`${used.type === kind ? kind : 'there is already another table or index with this name:'}${used.type === kind ? ` ${name} already exists` : ` ${name}`}`, pos);
  }

  private createTable(stmt: A.CreateTableStmt): void {
    if (stmt.temporary) throw sqlErr('TEMP tables are not supported', stmt.pos);
    const name = stmt.name.name;
    if (this.catalog.nameInUse(name)) {
      const used = this.catalog.nameInUse(name)!;
      if (stmt.ifNotExists && (used.type === 'table' || used.type === 'view')) return;
      if (stmt.ifNotExists) return;
      throw sqlErr(`${used.type === 'index' ? 'there is already an index named' : used.type} ${name}${used.type === 'index' ? '' : ' already exists'}`, stmt.name.pos);
    }
    this.checkNewName(name, 'table', stmt.name.pos);
    let create = stmt;
    let asRows: Row[] | null = null;
    if (stmt.definition.kind === 'AsSelect') {
      const planner = new Planner({ catalog: this.catalog, store: () => this.overlay });
      const plan = planner.query(stmt.definition.query, null);
      const f = this.frame([]);
      asRows = [];
      plan.run(f, (r) => (asRows!.push(r), true));
      const cols = plan.columns.map((c) => `${quoteIdent(c.name)}${c.aff === null || c.aff === 'BLOB' ? '' : ` ${affTypeName(c.aff)}`}`);
      const sql = `CREATE TABLE ${quoteIdent(name)}(${cols.join(',')})`;
      const parsed = parse(sql)[0] as A.CreateTableStmt;
      create = parsed;
    }
    const nAuto = countAutoIndexes(create);
    const id = this.catalog.allocateId(this.overlay);
    const autoIds: number[] = [];
    for (let i = 0; i < nAuto; i++) autoIds.push(this.catalog.allocateId(this.overlay));
    const t = buildTable(create, id, autoIds);
    this.catalog.addRow(this.overlay, { id, type: 'table', name, tblName: name, sql: schemaText('CREATE TABLE', create, create.name.pos.offset) });
    t.indexes.forEach((ix) => this.catalog.addRow(this.overlay, { id: ix.id, type: 'index', name: ix.name, tblName: name, sql: null }));
    if (t.autoincrement && this.catalog.sequenceRow() === undefined) {
      // As SQLite: the first AUTOINCREMENT table creates sqlite_sequence, listed right after it and its indexes, never dropped.
      const seqId = this.catalog.allocateId(this.overlay);
      this.catalog.addRow(this.overlay, { id: seqId, type: 'table', name: 'sqlite_sequence', tblName: 'sqlite_sequence', sql: SEQUENCE_TABLE_SQL });
    }
    this.catalog.rebuild();
    if (asRows !== null) {
      const tt = this.catalog.table(name)!;
      const planner = new Planner({ catalog: this.catalog, store: () => this.overlay });
      const w = this.writer(tt, planner);
      const f = this.frame([]);
      for (const r of asRows) {
        const row = [...r.map((v, i) => applyAffinity(v, tt.columns[i]!.affinity)), null];
        const rowid = this.newRowid(tt);
        row[tt.columns.length] = rowid;
        this.putRow(w, row, rowid, f);
      }
    }
  }

  private createIndex(stmt: A.CreateIndexStmt): void {
    const t = this.catalog.table(stmt.table.name);
    if (!t) throw sqlErr(`no such table: main.${stmt.table.name}`, stmt.table.pos);
    const used = this.catalog.nameInUse(stmt.name.name);
    if (used) {
      if (stmt.ifNotExists) return;
      throw sqlErr(used.type === 'index' ? `index ${stmt.name.name} already exists` : `there is already a table named ${stmt.name.name}`, stmt.name.pos);
    }
    this.checkNewName(stmt.name.name, 'index', stmt.name.pos);
    const id = this.catalog.allocateId(this.overlay);
    const ix = buildIndex(stmt, id, t);
    // Populate from existing rows (and check uniqueness).
    const planner = new Planner({ catalog: this.catalog, store: () => this.overlay });
    const scope = planner.rootScope();
    const slot = planner.comp.allocSlot();
    scope.sources.push({ slot, name: t.name, columns: t.columns.map((c) => ({ name: c.name, aff: c.affinity, coll: c.collation })), rowidIndex: t.columns.length, table: t, mergedColumns: new Set(), width: t.columns.length + 1 });
    const exprEvs = ix.columns.map((c) => (c.expr ? planner.comp.compile(c.expr, scope).ev : null));
    const where = ix.where ? planner.comp.compile(ix.where, scope).ev : null;
    const f = this.frame([]);
    const lo = objectPrefix(t.id);
    const rows: Row[] = [];
    const cur = this.overlay.scan(lo, prefixEnd(lo));
    try {
      while (cur.next()) rows.push(decodeTableRow(t, readRowid(cur.key(), 4), cur.value()));
    } finally {
      cur.close();
    }
    const seen = new Set<string>();
    for (const r of rows) {
      f.rows[slot] = r;
      if (where && isTruthy(where(f)) !== true) continue;
      const vals = this.indexValues(ix, r, exprEvs, f, slot);
      const rowid = r[t.columns.length] as number | bigint;
      if (ix.unique && !vals.some((v) => v === null)) {
        const k = vals.map((v, i) => valueKey(v, ix.columns[i]!.collation)).join('\u0001');
        if (seen.has(k)) throw this.uniqueError(t, ix);
        seen.add(k);
      }
      this.overlay.put(this.indexEntryKey(ix, vals, rowid), rowidBytes(rowid));
    }
    this.catalog.addRow(this.overlay, { id, type: 'index', name: stmt.name.name, tblName: t.name, sql: schemaText(stmt.unique ? 'CREATE UNIQUE INDEX' : 'CREATE INDEX', stmt, stmt.name.pos.offset) });
    this.catalog.rebuild();
  }

  private createView(stmt: A.CreateViewStmt): void {
    if (stmt.temporary) throw sqlErr('TEMP views are not supported', stmt.pos);
    const used = this.catalog.nameInUse(stmt.name.name);
    if (used) {
      if (stmt.ifNotExists) return;
      throw sqlErr(`${used.type} ${stmt.name.name} already exists`, stmt.name.pos);
    }
    this.checkNewName(stmt.name.name, 'view', stmt.name.pos);
    // Like SQLite, names inside the view are resolved when it is used, not now.
    const id = this.catalog.allocateId(this.overlay);
    buildView(stmt, id);
    this.catalog.addRow(this.overlay, { id, type: 'view', name: stmt.name.name, tblName: stmt.name.name, sql: schemaText('CREATE VIEW', stmt, stmt.name.pos.offset) });
    this.catalog.rebuild();
  }

  private deleteRange(id: number): void {
    const lo = objectPrefix(id);
    const keys: Uint8Array[] = [];
    const cur = this.overlay.scan(lo, prefixEnd(lo));
    try {
      while (cur.next()) keys.push(cur.key().slice());
    } finally {
      cur.close();
    }
    for (const k of keys) this.overlay.delete(k);
  }

  private drop(stmt: A.DropStmt): void {
    const name = stmt.name.name;
    const k = fold(name);
    switch (stmt.objectType) {
      case 'TABLE': {
        const t = this.catalog.tables.get(k);
        if (!t) {
          if (k === 'sqlite_sequence' && this.catalog.hasSequenceTable()) throw sqlErr('table sqlite_sequence may not be dropped', stmt.name.pos);
          if (stmt.ifExists) return;
          if (this.catalog.views.has(k)) throw sqlErr(`use DROP VIEW to delete view ${name}`, stmt.name.pos);
          throw sqlErr(`no such table: ${name}`, stmt.name.pos);
        }
        if (this.foreignKeys) {
          // An implicit DELETE FROM: children referencing rows must not be left dangling.
          const planner = new Planner({ catalog: this.catalog, store: () => this.overlay });
          const w = this.writer(t, planner);
          const f = this.frame([]);
          const lo = objectPrefix(t.id);
          const rows: Row[] = [];
          const cur = this.overlay.scan(lo, prefixEnd(lo));
          try {
            while (cur.next()) rows.push(decodeTableRow(t, readRowid(cur.key(), 4), cur.value()));
          } finally {
            cur.close();
          }
          for (const r of rows) {
            this.childRefs(t, r, null, f, 0);
            this.removeRow(w, r, f);
          }
        }
        this.deleteRange(t.id);
        for (const ix of t.indexes) {
          this.deleteRange(ix.id);
          this.catalog.removeRow(this.overlay, ix.id);
        }
        this.overlay.delete(sequenceKey(t.id));
        this.catalog.removeRow(this.overlay, t.id);
        this.rowidCache.delete(t.id);
        this.seqCache.delete(t.id);
        this.catalog.rebuild();
        return;
      }
      case 'INDEX': {
        const ix = this.catalog.indexes.get(k);
        if (!ix) {
          if (stmt.ifExists) return;
          throw sqlErr(`no such index: ${name}`, stmt.name.pos);
        }
        if (ix.sql === null) throw sqlErr('index associated with UNIQUE or PRIMARY KEY constraint cannot be dropped', stmt.name.pos);
        this.deleteRange(ix.id);
        this.catalog.removeRow(this.overlay, ix.id);
        this.catalog.rebuild();
        return;
      }
      case 'VIEW': {
        const v = this.catalog.views.get(k);
        if (!v) {
          if (stmt.ifExists) return;
          if (this.catalog.tables.has(k)) throw sqlErr(`use DROP TABLE to delete table ${name}`, stmt.name.pos);
          throw sqlErr(`no such view: ${name}`, stmt.name.pos);
        }
        this.catalog.removeRow(this.overlay, v.id);
        this.catalog.rebuild();
        return;
      }
      case 'TRIGGER':
        if (stmt.ifExists) return;
        throw sqlErr(`no such trigger: ${name}`, stmt.name.pos);
    }
  }

  private alter(stmt: A.AlterTableStmt): void {
    const t = this.catalog.table(stmt.table.name);
    if (!t) throw sqlErr(`no such table: ${stmt.table.name}`, stmt.table.pos);
    const row = this.catalog.rows.find((r) => r.id === t.id)!;
    const a = stmt.action;
    switch (a.kind) {
      case 'RenameTable': {
        const nn = a.newName.name;
        if (this.catalog.nameInUse(nn) && fold(nn) !== fold(t.name)) {
          throw sqlErr(`there is already another table or index with this name: ${nn}`, a.newName.pos);
        }
        if (fold(nn).startsWith('sqlite_')) throw sqlErr(`object name reserved for internal use: ${nn}`, a.newName.pos);
        // As SQLite, the new table name is written double-quoted, in the table's and its indexes' text.
        const quoted = `"${nn.replace(/"/g, '""')}"`;
        const created = parse(row.sql!)[0] as A.CreateTableStmt;
        const sql = replaceToken(row.sql!, created.name.pos.offset - created.pos.offset, quoted);
        this.catalog.replaceRow(this.overlay, { ...row, name: nn, tblName: nn, sql });
        for (const r of [...this.catalog.rows]) {
          if (r.type !== 'index' || fold(r.tblName) !== fold(t.name)) continue;
          if (r.sql === null) {
            this.catalog.replaceRow(this.overlay, { ...r, tblName: nn, name: r.name.replace(/^sqlite_autoindex_.*_(\d+)$/, `sqlite_autoindex_${nn}_$1`) });
          } else {
            const ci = parse(r.sql)[0] as A.CreateIndexStmt;
            this.catalog.replaceRow(this.overlay, { ...r, tblName: nn, sql: replaceToken(r.sql, ci.table.pos.offset - ci.pos.offset, quoted) });
          }
        }
        this.catalog.rebuild();
        return;
      }
      case 'RenameColumn': {
        const ci = t.columnIndex.get(fold(a.column.name));
        if (ci === undefined) throw sqlErr(`no such column: "${a.column.name}"`, a.column.pos);
        if (t.columnIndex.has(fold(a.newName.name))) throw sqlErr(`duplicate column name: ${a.newName.name}`, a.newName.pos);
        // As SQLite (renameEditSql): each occurrence is written double-quoted when the ALTER quoted the new
        // name or that occurrence was quoted, else bare.
        const first = stmt.sql[a.newName.pos.offset - stmt.pos.offset] ?? '';
        const newQuoted = first === '"' || first === '`' || first === '[' || first === "'";
        const quotedName = `"${a.newName.name.replace(/"/g, '""')}"`;
        const newText = (oldToken: string): string => (newQuoted || !/^[A-Za-z0-9_$\u0080-\uffff]/.test(oldToken) ? quotedName : a.newName.name);
        const created = parse(row.sql!)[0] as A.CreateTableStmt;
        const sql = renameColumnInSql(row.sql!, created, a.column.name, newText);
        this.catalog.replaceRow(this.overlay, { ...row, sql });
        for (const r of [...this.catalog.rows]) {
          if (r.type !== 'index' || r.sql === null || fold(r.tblName) !== fold(t.name)) continue;
          this.catalog.replaceRow(this.overlay, { ...r, sql: renameColumnRefs(r.sql, a.column.name, newText) });
        }
        this.catalog.rebuild();
        return;
      }
      case 'AddColumn': {
        const c = a.column;
        if (t.columnIndex.has(fold(c.name.name))) throw sqlErr(`duplicate column name: ${c.name.name}`, c.name.pos);
        for (const k of c.constraints) {
          if (k.kind === 'PrimaryKey') throw sqlErr('Cannot add a PRIMARY KEY column', k.pos);
          if (k.kind === 'Unique') throw sqlErr('Cannot add a UNIQUE column', k.pos);
        }
        const def = c.constraints.find((k) => k.kind === 'Default') as (A.ColumnConstraint & { kind: 'Default' }) | undefined;
        // Like SQLite, these two only fail when the table already holds rows.
        const hasRows = this.anyRow(t, () => true);
        const tokenText = (e: A.Expr): string => createLexer(stmt.sql, e.pos.offset - stmt.pos.offset).next().value;
        if (hasRows && def && constantDefaultValue(def.expr, affinityOf(c.type?.name ?? null), tokenText) === undefined) {
          throw sqlErr('Cannot add a column with non-constant default', def.pos);
        }
        if (hasRows && def && def.expr.kind !== 'Null' && this.foreignKeys && c.constraints.some((k) => k.kind === 'References')) {
          throw sqlErr('Cannot add a REFERENCES column with non-NULL default value', def.pos);
        }
        const nn = c.constraints.some((k) => k.kind === 'NotNull');
        if (hasRows && nn && (!def || def.expr.kind === 'Null')) throw sqlErr('Cannot add a NOT NULL column with default value NULL', c.pos);
        const colText = stmt.sql.slice(c.pos.offset - stmt.pos.offset).trim();
        const sql = row.sql!;
        const created = parse(sql)[0] as A.CreateTableStmt;
        const firstConstraint = created.definition.kind === 'Columns' ? created.definition.constraints[0] : undefined;
        let newSql: string;
        if (firstConstraint) {
          const at = firstConstraint.pos.offset - created.pos.offset;
          newSql = `${sql.slice(0, at)}${colText}, ${sql.slice(at)}`;
        } else {
          const close = sql.lastIndexOf(')');
          newSql = `${sql.slice(0, close).replace(/\s+$/, '')}, ${colText}${sql.slice(close)}`;
        }
        this.catalog.replaceRow(this.overlay, { ...row, sql: newSql });
        this.catalog.rebuild();
        return;
      }
      case 'DropColumn':
        throw sqlErr('ALTER TABLE DROP COLUMN is not supported', stmt.pos);
    }
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

  /** PRAGMA integrity_check: every index entry points at a live row holding the indexed values and every row has its entries. */
  integrityCheck(): string[] {
    const problems: string[] = [];
    const f = this.frame([]);
    for (const t of this.catalog.tables.values()) {
      const planner = new Planner({ catalog: this.catalog, store: () => this.overlay });
      const w = this.writer(t, planner);
      const lo = objectPrefix(t.id);
      const rows: Row[] = [];
      const cur = this.overlay.scan(lo, prefixEnd(lo));
      try {
        while (cur.next()) rows.push(decodeTableRow(t, readRowid(cur.key(), 4), cur.value()));
      } finally {
        cur.close();
      }
      for (const ix of t.indexes) {
        let expected = 0;
        for (const r of rows) {
          const pe = w.partial.get(ix);
          if (pe) {
            f.rows[w.slot] = r;
            if (isTruthy(pe(f)) !== true) continue;
          }
          expected++;
          const vals = this.indexValues(ix, r, w.exprEvs.get(ix) ?? null, f, w.slot);
          if (this.overlay.get(this.indexEntryKey(ix, vals, r[t.columns.length] as number | bigint)) === undefined) {
            problems.push(`row ${String(r[t.columns.length])} missing from index ${ix.name}`);
          }
        }
        let actual = 0;
        const il = objectPrefix(ix.id);
        const ic = this.overlay.scan(il, prefixEnd(il));
        try {
          while (ic.next()) {
            actual++;
            const rid = readRowid(ic.value(), 0);
            if (this.overlay.get(rowKey(t.id, rid)) === undefined) problems.push(`index ${ix.name} entry points at missing row ${String(rid)}`);
          }
        } finally {
          ic.close();
        }
        if (actual !== expected) problems.push(`wrong # of entries in index ${ix.name}`);
      }
      for (const r of rows) {
        t.columns.forEach((c, i) => {
          if (c.notNull && r[i] === null && i !== t.rowidAlias) problems.push(`NULL value in ${t.name}.${c.name}`);
        });
      }
    }
    return problems.length === 0 ? ['ok'] : problems.slice(0, 100);
  }

  /** Compiles SQL text that holds exactly one statement (helper for tests and pragmas). */
  compileText(sql: string): Program {
    const s = parse(sql);
    if (s.length !== 1) throw new HeliosError('INVALID_ARGUMENT', 'expected exactly one statement');
    return this.compile(s[0]!);
  }
}

/** Date and time functions: besides their arguments they read only the statement's 'now'. */
const NOW_FUNCTIONS = new Set(['date', 'time', 'datetime', 'julianday', 'unixepoch', 'strftime']);

/**
 * Whether `e` depends on nothing but literals and the statement's 'now'
 * (CURRENT_*, date/time functions), through operators, CAST and
 * deterministic functions, so that it has exactly one value per 'now'.
 */
function dependsOnlyOnNow(e: A.Expr): boolean {
  if (isLiteral(e)) return true;
  switch (e.kind) {
    case 'CurrentTime':
      return true;
    case 'Unary':
      return dependsOnlyOnNow(e.operand);
    case 'Binary':
      return dependsOnlyOnNow(e.left) && dependsOnlyOnNow(e.right);
    case 'Cast':
      return dependsOnlyOnNow(e.expr);
    case 'Function': {
      if (e.star || e.distinct || e.filter !== null) return false;
      const name = fold(e.name);
      const impl = lookupScalar(name);
      if (impl === undefined || !(impl.deterministic || NOW_FUNCTIONS.has(name))) return false;
      return e.args.every(dependsOnlyOnNow);
    }
    default:
      return false;
  }
}

/** A row a new row conflicts with: through the rowid (ix null) or a UNIQUE index. */
interface Conflict {
  readonly ix: IndexInfo | null;
  readonly rowid: number | bigint;
}
const NO_CONFLICTS: readonly Conflict[] = Object.freeze([]);

/** sequenceKey(tableId) and its overlay string, per table id (ids are never reused; the arrays are never modified). */
const seqKeys = new Map<number, { key: Uint8Array; bin: string }>();

/** Key-codec column descriptions per index (IndexInfo objects are immutable catalog entries). */
const keyColumnsOf = new WeakMap<IndexInfo, KeyColumn[]>();

interface TableWriter {
  readonly t: TableInfo;
  /**
   * UNIQUE index keys conflicts() computed for the row `keyRow` (by position
   * in t.indexes; undefined: not computed), so putRow() of that same row
   * neither encodes nor converts them again. putRow() clears keyRow.
   */
  keyRow: Row | null;
  readonly keyBytes: (Uint8Array | undefined)[];
  readonly keyBins: (string | undefined)[];
  readonly slot: number;
  readonly scope: Scope;
  readonly exprEvs: Map<IndexInfo, (Ev | null)[]>;
  readonly partial: Map<IndexInfo, Ev>;
  readonly checks: { name: string; ev: Ev }[];
  readonly defaults: (Ev | null)[];
}

interface CompiledUpsert {
  readonly action: 'nothing' | 'update';
  /** Whether the clause names a conflict target. */
  readonly targeted: boolean;
  matches(ix: IndexInfo | null, t: TableInfo): boolean;
  readonly sets: { col: number; ev: Ev }[];
  readonly where: Ev | null;
  readonly scopeSlots: { existing: number; excluded: number } | null;
}

function describeStatement(s: A.Statement): string {
  switch (s.kind) {
    case 'Insert':
      return `INSERT INTO ${s.table.name}`;
    case 'Update':
      return `SCAN ${s.table.alias ?? s.table.name}`;
    case 'Delete':
      return `SCAN ${s.table.alias ?? s.table.name}`;
    default:
      return s.kind.toUpperCase();
  }
}

/**
 * The CREATE text stored in sqlite_schema: SQLite's normal form keeps the
 * text from the object name on, behind a canonical 'CREATE TABLE' etc.
 * (dropping IF NOT EXISTS and a schema prefix).
 */
function schemaText(head: string, stmt: A.Statement, nameOffset: number): string {
  return `${head} ${stmt.sql.slice(nameOffset - stmt.pos.offset)}`;
}

/** A number, string, blob, NULL or TRUE/FALSE literal. */
function isLiteral(e: A.Expr): boolean {
  switch (e.kind) {
    case 'Integer':
    case 'Real':
    case 'String':
    case 'Blob':
    case 'Null':
    case 'Bool':
      return true;
    default:
      return false;
  }
}

export function quoteIdent(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

function affTypeName(a: string): string {
  switch (a) {
    case 'INTEGER':
      return 'INT';
    case 'REAL':
      return 'REAL';
    case 'NUMERIC':
      return 'NUM';
    case 'TEXT':
      return 'TEXT';
    default:
      return '';
  }
}

/** Length of the identifier token at `offset` (quoted or bare). */
function tokenLength(sql: string, offset: number): number {
  const c = sql[offset];
  const close = c === '"' ? '"' : c === '`' ? '`' : c === '[' ? ']' : c === "'" ? "'" : null;
  if (close !== null) {
    let i = offset + 1;
    for (;;) {
      if (i >= sql.length) return sql.length - offset;
      if (sql[i] === close) {
        if (close !== ']' && sql[i + 1] === close) {
          i += 2;
          continue;
        }
        return i + 1 - offset;
      }
      i++;
    }
  }
  let i = offset;
  while (i < sql.length && /[A-Za-z0-9_$\u0080-\uffff]/.test(sql[i]!)) i++;
  return i - offset;
}

/** `sql` with the token at `offset` replaced by `text`, or by `text(oldToken)`. */
function replaceToken(sql: string, offset: number, text: string | ((oldToken: string) => string)): string {
  const n = tokenLength(sql, offset);
  return sql.slice(0, offset) + (typeof text === 'string' ? text : text(sql.slice(offset, offset + n))) + sql.slice(offset + n);
}

/** Renames a column in CREATE TABLE text: its definition and table-constraint references. */
function renameColumnInSql(sql: string, created: A.CreateTableStmt, oldName: string, newText: (oldToken: string) => string): string {
  if (created.definition.kind !== 'Columns') return sql;
  const base = created.pos.offset;
  const offsets: number[] = [];
  for (const c of created.definition.columns) if (fold(c.name.name) === fold(oldName)) offsets.push(c.name.pos.offset - base);
  for (const k of created.definition.constraints) {
    if (k.kind === 'PrimaryKey' || k.kind === 'Unique') {
      for (const ic of k.columns) if (ic.expr.kind === 'Column' && fold(ic.expr.column) === fold(oldName)) offsets.push(ic.expr.pos.offset - base);
    } else if (k.kind === 'ForeignKey') {
      for (const n of k.columns) if (fold(n.name) === fold(oldName)) offsets.push(n.pos.offset - base);
    }
  }
  let out = sql;
  for (const o of offsets.sort((a, b) => b - a)) out = replaceToken(out, o, newText);
  return renameColumnRefs(out, oldName, newText, true);
}

/** Renames column references inside CHECK / index expressions (token-level, outside string literals). */
function renameColumnRefs(sql: string, oldName: string, newText: (oldToken: string) => string, onlyChecks = false): string {
  const stmts = parse(sql);
  const s = stmts[0];
  if (!s) return sql;
  const offsets: number[] = [];
  const visit = (e: A.Expr | null): void => {
    if (e === null) return;
    if (e.kind === 'Column') {
      if (fold(e.column) === fold(oldName)) offsets.push(e.pos.offset + (e.table !== null ? sql.slice(e.pos.offset).indexOf('.') + 1 : 0));
      return;
    }
    for (const v of Object.values(e)) {
      if (v && typeof v === 'object' && 'kind' in (v as object)) visit(v as A.Expr);
      else if (Array.isArray(v)) for (const x of v) if (x && typeof x === 'object' && 'kind' in x) visit(x as A.Expr);
    }
  };
  if (s.kind === 'CreateIndex' && !onlyChecks) {
    for (const ic of s.columns) visit(ic.expr);
    visit(s.where);
  } else if (s.kind === 'CreateTable' && s.definition.kind === 'Columns') {
    for (const c of s.definition.columns) for (const k of c.constraints) if (k.kind === 'Check') visit(k.expr);
    for (const k of s.definition.constraints) if (k.kind === 'Check') visit(k.expr);
  }
  let out = sql;
  for (const o of [...new Set(offsets)].sort((a, b) => b - a)) out = replaceToken(out, o - s.pos.offset, newText);
  return out;
}

/** The text of a CHECK expression inside the CREATE TABLE text (SQLite's constraint-failed message). */
function checkText(sql: string, e: A.Expr): string {
  const start = e.pos.offset;
  let depth = 0;
  let i = start;
  let inStr: string | null = null;
  for (; i < sql.length; i++) {
    const ch = sql[i]!;
    if (inStr) {
      if (ch === inStr) inStr = null;
      continue;
    }
    if (ch === "'" || ch === '"') inStr = ch;
    else if (ch === '(') depth++;
    else if (ch === ')') {
      if (depth === 0) break;
      depth--;
    }
  }
  return sql.slice(start, i).trim();
}

/** Declared types of result columns that are plain table columns (Statement.columns()). */
function declTypesOf(q: A.Query, catalog: Catalog): (string | null)[] | null {
  if (q.body.kind !== 'SelectCore') return null;
  const core = q.body;
  const tables = new Map<string, TableInfo>();
  const collect = (f: A.FromItem | null): void => {
    if (f === null) return;
    if (f.kind === 'Table') {
      const t = catalog.table(f.name);
      if (t) tables.set(fold(f.alias ?? f.name), t);
    } else if (f.kind === 'Join') {
      collect(f.left);
      collect(f.right);
    }
  };
  collect(core.from);
  const out: (string | null)[] = [];
  for (const rc of core.columns) {
    if (rc.kind === 'Star' || rc.kind === 'TableStar') {
      for (const [k, t] of tables) if (rc.kind === 'Star' || fold(rc.table) === k) for (const c of t.columns) out.push(c.declType || null);
      continue;
    }
    let e = rc.expr;
    if (e.kind !== 'Column') {
      out.push(null);
      continue;
    }
    const col = e.column;
    const tab = e.table;
    let found: string | null = null;
    for (const [k, t] of tables) {
      if (tab !== null && fold(tab) !== k) continue;
      const i = t.columnIndex.get(fold(col));
      if (i !== undefined) {
        found = t.columns[i]!.declType || null;
        break;
      }
    }
    out.push(found);
    e = rc.expr;
  }
  return out;
}

export { splitAnd };
