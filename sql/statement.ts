/**
 * The public prepared statement, shaped like better-sqlite3's.
 *
 * Parameters: positional arguments fill `?` and `?NNN` slots in index order
 * (so `?2` takes the second argument), a plain object supplies named
 * parameters by name without the prefix (`{ mrn }` for `:mrn`, `@mrn` or
 * `$mrn`); arrays are spread into positional arguments. JS values bind as:
 * integral number → INTEGER, other number → REAL, bigint → INTEGER,
 * string → TEXT, Uint8Array (Buffer) → BLOB (copied), boolean → 1/0,
 * null/undefined → NULL.
 *
 * Results: INTEGER → number (bigint when outside ±(2^53-1) or with
 * safeIntegers()), REAL → number, TEXT → string, BLOB → a new Uint8Array,
 * NULL → null. `iterate()` streams a query: each row is computed when asked
 * for; while it is open the connection runs only reads (better-sqlite3's rule).
 */
import type * as A from './ast.ts';
import { HeliosError } from '../format/errors.ts';
import { RealBox, makeReal, type SqlValue } from '../format/sql-value.ts';
import type { Row } from './expr-compile.ts';
import type { Session } from './executor.ts';
import type { Program, RowStream, RunResult } from './program.ts';
import { withInterrupt } from './interrupt.ts';

export interface ColumnDescriptor {
  readonly name: string;
  readonly column: string | null;
  readonly table: string | null;
  readonly database: string | null;
  readonly type: string | null;
}

/**
 * Converts a JS argument into a SqlValue. `where` names the parameter in
 * errors; a number n stands for "parameter n" (so no text is built unless an
 * error is thrown).
 */
export function bindValue(v: unknown, where: string | number, realNumbers = false): SqlValue {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'number':
      if (Number.isNaN(v)) return null;
      if (realNumbers) return makeReal(v);
      if (Number.isInteger(v)) return Number.isSafeInteger(v) ? (v === 0 ? 0 : v) : makeReal(v);
      return v;
    case 'bigint':
      if (v < -(2n ** 63n) || v > 2n ** 63n - 1n) throw new HeliosError('TOO_BIG', realNumbers ? 'The bound string, buffer, or bigint is too big' : `BigInt value for ${paramName(where)} is too large to be represented as a SQLite integer`);
      return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
    case 'string':
      return v;
    case 'boolean':
      // better-sqlite3 binds no booleans (the drop-in refuses them as it does).
      if (realNumbers) throw new HeliosError('INVALID_ARGUMENT', BS3_BIND_TYPES);
      return v ? 1 : 0;
    default:
      // Uint8Array's slice copies; a Buffer's own slice() would only make a view.
      if (v instanceof Uint8Array) return Uint8Array.prototype.slice.call(v);
      if (realNumbers) throw new HeliosError('INVALID_ARGUMENT', BS3_BIND_TYPES);
      throw new HeliosError('INVALID_ARGUMENT', `${paramName(where)}: SQLite can only bind numbers, strings, bigints, booleans, buffers and null`);
  }
}

/** better-sqlite3's message for a value it cannot bind (the drop-in's). */
const BS3_BIND_TYPES = 'SQLite3 can only bind numbers, strings, bigints, buffers, and null';

function paramName(where: string | number): string {
  return typeof where === 'number' ? `parameter ${where}` : where;
}

/** Converts a SqlValue into the JS value handed to callers. */
export function outputValue(v: SqlValue, safeIntegers: boolean): unknown {
  if (v === null) return null;
  switch (typeof v) {
    case 'number':
      return safeIntegers && Number.isInteger(v) ? BigInt(v) : v;
    case 'bigint':
      return v;
    case 'string':
      return v;
    default:
      if (v instanceof RealBox) return v.value;
      return v.slice();
  }
}

/** Whether a statement's parameters are all unnamed (`?`), per ParameterInfo (which never changes). */
const allPositional = new WeakMap<A.ParameterInfo, boolean>();

/** Binds arguments to the parameter slots of a statement. */
/** `realNumbers`: better-sqlite3's rules (the drop-in): numbers bind as REAL, a needless object of names is ignored. */
export function bindParameters(info: A.ParameterInfo, args: readonly unknown[], realNumbers = false): SqlValue[] {
  // Fast path: only `?` slots and exactly that many scalar arguments (no arrays, objects or buffers).
  if (args.length === info.count) {
    let positionalOnly = allPositional.get(info);
    if (positionalOnly === undefined) {
      positionalOnly = info.names.every((n) => n === null || n === undefined);
      allPositional.set(info, positionalOnly);
    }
    if (positionalOnly && args.every(isScalarArg)) {
      const out = new Array<SqlValue>(info.count + 1);
      out[0] = null;
      for (let i = 0; i < args.length; i++) {
        const a = args[i];
        out[i + 1] = typeof a === 'string' ? a : bindValue(a, i + 1, realNumbers);
      }
      return out;
    }
  }
  const positional: unknown[] = [];
  let named: Record<string, unknown> | null = null;
  for (const a of args) {
    if (Array.isArray(a)) positional.push(...a);
    else if (a !== null && (typeof a === 'function' || (typeof a === 'object' && !(a instanceof Uint8Array) && !isPlainObject(a)))) {
      if (realNumbers) throw new HeliosError('INVALID_ARGUMENT', BS3_BIND_TYPES);
      throw new HeliosError('INVALID_ARGUMENT', 'SQLite can only bind numbers, strings, bigints, booleans, buffers and null (and named parameters from a plain object)');
    } else if (isPlainObject(a)) {
      if (named !== null) throw new HeliosError('INVALID_ARGUMENT', 'You cannot specify named parameters in two different objects');
      named = a as Record<string, unknown>;
    } else positional.push(a);
  }
  const out: SqlValue[] = new Array<SqlValue>(info.count + 1).fill(null);
  let p = 0;
  for (let i = 1; i <= info.count; i++) {
    const name = info.names[i - 1] ?? null;
    if (name !== null) {
      const key = name.slice(1);
      // better-sqlite3 (the drop-in): no object at all is a TypeError, a missing key a RangeError.
      if (named === null && realNumbers) throw new HeliosError('INVALID_ARGUMENT', 'Missing named parameters');
      if (named === null || !Object.prototype.hasOwnProperty.call(named, key)) {
        throw new HeliosError('MISMATCH', `Missing named parameter "${key}"`);
      }
      out[i] = bindValue(named[key], `parameter ${name}`, realNumbers);
    } else {
      if (p >= positional.length) throw new HeliosError('MISMATCH', 'Too few parameter values were provided');
      out[i] = bindValue(positional[p++], i, realNumbers);
    }
  }
  if (p < positional.length) throw new HeliosError('MISMATCH', 'Too many parameter values were provided');
  // better-sqlite3 (the drop-in) ignores an object given to a statement without named parameters.
  if (named !== null && !realNumbers && !info.names.some((n) => n !== null)) {
    throw new HeliosError('MISMATCH', 'This statement has no named parameters, but an object was passed');
  }
  return out;
}

/** Named parameters come only in a plain object; a Date, Map or class instance is a bad value, not names. */
function isPlainObject(a: unknown): a is Record<string, unknown> {
  if (a === null || typeof a !== 'object') return false;
  const proto = Object.getPrototypeOf(a) as unknown;
  return proto === Object.prototype || proto === null;
}

function isScalarArg(a: unknown): boolean {
  return a === null || typeof a !== 'object';
}

/** The emit callback of run(): keeps every row going (run() discards RETURNING rows). */
const keepGoing = (): boolean => true;

/** The pieces of a Database a Statement uses. */
export interface StatementHost {
  readonly session: Session;
  checkOpen(): void;
  /** BUSY while a statement of this connection is iterating (better-sqlite3's rule for writes). */
  checkNotBusy(): void;
  /** Counts the statements iterating now. */
  iterating(delta: 1 | -1): void;
  /** READONLY when a statement that may write runs on a readonly handle. */
  checkWritable(): void;
  /** The interrupt flag its statements run with (sql/interrupt.ts). */
  readonly interruptFlag: Int32Array;
}

/**
 * How the better-sqlite3 drop-in (sql/compat.ts) binds and returns values:
 * every JS number binds as REAL, and BLOBs come back through `blob`
 * (a Buffer where the runtime has one).
 */
export interface ValueStyle {
  readonly realNumbers: boolean;
  /** An INTEGER beyond ±(2^53-1) comes back as a (rounded) number unless safeIntegers is on. */
  readonly lossyIntegers: boolean;
  readonly blob: (b: Uint8Array) => unknown;
}

export class Statement {
  readonly source: string;
  /** @internal Set by the drop-in (sql/compat.ts); null: HeliosDB's own conventions. */
  valueStyle: ValueStyle | null = null;
  private program: Program;
  private pluckMode = false;
  private expandMode = false;
  private rawMode = false;
  private safeInts = false;
  private bound: SqlValue[] | null = null;
  /** True while this statement's iterate() is open: the statement cannot run again until it ends. */
  private busyIterating = false;

  /** @internal Use Database.prepare(). */
  constructor(
    private readonly host: StatementHost,
    private readonly ast: A.Statement,
    source: string,
  ) {
    this.source = source;
    this.program = host.session.compile(ast);
  }

  /** @internal The statement's parameter slots (the drop-in's verbose logger expands them). */
  get parameterInfo(): A.ParameterInfo {
    return this.ast.parameters;
  }

  /** @internal The bound parameters of bind(), or null. */
  get boundValues(): readonly SqlValue[] | null {
    return this.bound;
  }

  /** Whether the statement returns rows (SELECT, RETURNING, most PRAGMAs). */
  get reader(): boolean {
    return this.current().columns !== null;
  }

  /** Whether the statement never writes. */
  get readonly(): boolean {
    return this.current().readonly;
  }

  /**
   * @internal sqlite3_stmt_readonly, which the drop-in reports: transaction control (BEGIN,
   * COMMIT, ROLLBACK, SAVEPOINT, RELEASE) writes nothing itself, so it is readonly, except
   * BEGIN IMMEDIATE/EXCLUSIVE, which take the write lock. (`readonly` says whether the statement
   * may run while another iterates, where transaction control may not.)
   */
  get sqliteReadonly(): boolean {
    const a = this.ast;
    if (a.kind === 'Begin') return a.mode === null || a.mode === 'DEFERRED';
    if (a.kind === 'Commit' || a.kind === 'Rollback' || a.kind === 'Savepoint' || a.kind === 'Release') return true;
    return this.current().readonly;
  }

  private current(): Program {
    const s = this.host.session;
    s.refresh();
    if (this.program.schemaVersion !== s.catalog.version) this.program = s.compile(this.ast);
    return this.program;
  }

  private params(args: readonly unknown[]): SqlValue[] {
    if (this.bound !== null) {
      if (args.length > 0) throw new HeliosError('INVALID_ARGUMENT', 'This statement already has bound parameters');
      return this.bound;
    }
    return bindParameters(this.ast.parameters, args, this.valueStyle?.realNumbers === true);
  }

  private exec(args: readonly unknown[], emit: (r: Row) => boolean): RunResult {
    this.host.checkOpen();
    this.checkNotIterating();
    const p = this.current();
    // While any statement iterates, only reads may run (a write would change what it reads).
    if (!p.readonly) {
      this.host.checkNotBusy();
      // A readonly handle may run transaction control (a read transaction over several statements), not BEGIN IMMEDIATE/EXCLUSIVE.
      if (p.txnControl !== true || p.beginsWrite === true) this.host.checkWritable();
    }
    const params = this.params(args);
    return withInterrupt(this.host.interruptFlag, true, () => this.host.session.run(p, params, emit));
  }

  /** INVALID_ARGUMENT unless the statement returns rows: worded as better-sqlite3 words it for `method` (get/all/iterate, or a row-shape method). */
  private requireReader(method?: 'pluck' | 'raw' | 'expand' | 'columns'): void {
    if (this.current().columns !== null) return;
    throw new HeliosError('INVALID_ARGUMENT', method === undefined ? 'This statement does not return data. Use run() instead' : `The ${method}() method is only for statements that return data`);
  }

  private shape(row: Row): unknown {
    const safe = this.safeInts;
    const style = this.valueStyle;
    const out =
      style === null
        ? outputValue
        : (v: SqlValue, s: boolean): unknown => (v instanceof Uint8Array ? style.blob(v.slice()) : typeof v === 'bigint' && !s && style.lossyIntegers ? Number(v) : outputValue(v, s));
    if (this.pluckMode) return out(row[0] ?? null, safe);
    if (this.rawMode) return row.map((v) => out(v, safe));
    const cols = this.current().columns!;
    if (this.expandMode) {
      const origins = this.current().origins;
      // Keys in the order their first column comes, `$` only for expressions (as better-sqlite3).
      const o: Record<string, Record<string, unknown>> = {};
      for (let i = 0; i < cols.length; i++) {
        const org = origins?.[i] ?? null;
        const key = org === null ? '$' : org.table;
        (o[key] ??= {})[cols[i]!.name] = out(row[i] ?? null, safe);
      }
      return o;
    }
    const o: Record<string, unknown> = {};
    for (let i = 0; i < cols.length; i++) o[cols[i]!.name] = out(row[i] ?? null, safe);
    return o;
  }

  /** Runs the statement; returns the rows changed and the last inserted rowid. */
  run(...args: unknown[]): { changes: number; lastInsertRowid: number | bigint } {
    const r = this.exec(args, keepGoing);
    const id = r.lastInsertRowid;
    return { changes: r.changes, lastInsertRowid: this.safeInts && typeof id === 'number' ? BigInt(id) : id };
  }

  /** The first result row, or undefined. */
  get(...args: unknown[]): unknown {
    this.requireReader();
    let out: Row | undefined;
    const ro = this.current().readonly;
    this.exec(args, (r) => {
      if (out === undefined) out = r;
      return !ro;
    });
    return out === undefined ? undefined : this.shape(out);
  }

  /** Every result row. */
  all(...args: unknown[]): unknown[] {
    this.requireReader();
    const rows: Row[] = [];
    this.exec(args, (r) => (rows.push(r), true));
    return rows.map((r) => this.shape(r));
  }

  private checkNotIterating(): void {
    if (this.busyIterating) throw new HeliosError('BUSY', 'This statement is busy executing a query');
  }

  /**
   * The result rows one by one. A query streams: each row is computed when
   * the caller asks for it, in bounded memory (only ORDER BY without an
   * index, GROUP BY and DISTINCT hold rows), and leaving the loop early
   * stops the work. While the iterator is open the connection runs reads
   * only: a write or transaction statement, exec() or close() is BUSY, and
   * this statement itself is BUSY until the iterator ends. Statements that
   * write (INSERT … RETURNING) run to completion before the first row.
   */
  iterate(...args: unknown[]): IterableIterator<unknown> {
    this.host.checkOpen();
    this.requireReader();
    this.checkNotIterating();
    const p = this.current();
    if (!p.readonly || p.open === undefined) {
      const rows: Row[] = [];
      this.exec(args, (r) => (rows.push(r), true));
      return rows.map((r) => this.shape(r))[Symbol.iterator]();
    }
    const params = this.params(args);
    const stream = withInterrupt(this.host.interruptFlag, true, () => this.host.session.open(p, params)!);
    const state = { started: false };
    const rows = this.streamRows(stream, state);
    // A generator's return() before its first next() skips its body, finally included: the
    // stream (and the read transaction it holds, spec/connections.md [SQL-SHARE-1]) ends here then.
    const end = rows.return.bind(rows);
    rows.return = (value) => {
      if (!state.started) stream.close();
      return end(value);
    };
    return rows;
  }

  private *streamRows(stream: RowStream, state: { started: boolean }): Generator<unknown, void, undefined> {
    state.started = true;
    this.busyIterating = true;
    this.host.iterating(1);
    try {
      for (;;) {
        this.host.checkOpen();
        const r = withInterrupt(this.host.interruptFlag, false, () => stream.next());
        if (r === undefined) return;
        yield this.shape(r);
      }
    } finally {
      stream.close();
      this.busyIterating = false;
      this.host.iterating(-1);
    }
  }

  /** Return only the first column of each row. */
  pluck(toggle = true): this {
    this.requireReader('pluck');
    this.pluckMode = toggle;
    if (toggle) this.rawMode = this.expandMode = false;
    return this;
  }

  /** Return rows as arrays instead of objects. */
  raw(toggle = true): this {
    this.requireReader('raw');
    this.rawMode = toggle;
    if (toggle) this.pluckMode = this.expandMode = false;
    return this;
  }

  /**
   * Return each row as `{ [table]: { column: value }, $: { expression: value } }`:
   * a result column reading a table column goes under that table's name, any other under `$`.
   */
  expand(toggle = true): this {
    this.requireReader('expand');
    this.expandMode = toggle;
    if (toggle) this.pluckMode = this.rawMode = false;
    return this;
  }

  /** Whether this statement's iterate() is open. */
  get busy(): boolean {
    return this.busyIterating;
  }

  /** Return every INTEGER as a bigint. */
  safeIntegers(toggle = true): this {
    this.safeInts = toggle;
    return this;
  }

  /** Binds parameters permanently; later calls take no arguments. */
  bind(...args: unknown[]): this {
    if (this.bound !== null) throw new HeliosError('INVALID_ARGUMENT', 'The bind() method can only be invoked once per statement object');
    this.bound = bindParameters(this.ast.parameters, args, this.valueStyle?.realNumbers === true);
    return this;
  }

  /** Result column descriptors (name, and the declared type where the column is a table column). */
  columns(): ColumnDescriptor[] {
    this.requireReader('columns');
    const p = this.current();
    return p.columns!.map((c, i) => {
      const o = p.origins?.[i] ?? null;
      if (o === null) return { name: c.name, column: null, table: null, database: null, type: p.declTypes?.[i] ?? null };
      return { name: c.name, column: o.column, table: o.table, database: 'main', type: o.type };
    });
  }
}
