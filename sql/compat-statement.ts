/**
 * The drop-in's prepared statement (better-sqlite3's `Statement`), over
 * HeliosDB's own (sql/statement.ts). It adds better-sqlite3's busy rules,
 * its errors (compat-errors.ts), the `verbose` trace with expanded SQL,
 * and its value conventions (numbers bind as REAL, BLOBs come back as
 * Buffer), and exposes `database`.
 *
 * Busy rules (as better-sqlite3): while a statement runs — including while
 * a user function, aggregate or table callback it called runs, and during
 * each step of an iterator — the connection is busy and every other
 * statement, exec(), prepare(), pragma() and registration is a TypeError.
 * Between the steps of an open iterator, reads may run but writes,
 * exec() and registrations may not (unless unsafeMode is on).
 */
import type { SqlValue } from '../format/sql-value.ts';
import { bindParameters, type ColumnDescriptor, type Statement as HeliosStatement, type ValueStyle } from './statement.ts';
import { compatError } from './compat-errors.ts';
import { blobOut, expandedSql } from './compat-values.ts';

/** The connection state a statement shares with its drop-in database. */
export interface CompatConnection {
  /** A statement of this connection is executing right now. */
  busy: boolean;
  /** Iterators open between steps. */
  iterators: number;
  unsafe: boolean;
  verbose: ((sql: string) => void) | null;
  checkOpen(): void;
}

export const VALUE_STYLE: ValueStyle = { realNumbers: true, lossyIntegers: true, blob: blobOut };

const token = Symbol('Sqlite3Statement');

/** Named `Statement` as better-sqlite3's class is (code checks `stmt.constructor.name`); exported as Sqlite3Statement. */
class Statement {
  readonly #inner: HeliosStatement;
  #iterating = false;
  readonly #conn: CompatConnection;
  /** The database (the drop-in object) this statement was prepared on. */
  readonly database: object;
  /** The SQL text exactly as given to prepare(). */
  readonly source: string;

  /** @internal Use db.prepare(). */
  constructor(key: unknown, inner: HeliosStatement, source: string, conn: CompatConnection, database: object) {
    if (key !== token) throw new TypeError('Statements can only be constructed by the db.prepare() method');
    this.#inner = inner;
    this.source = source;
    this.#conn = conn;
    this.database = database;
    inner.valueStyle = VALUE_STYLE;
  }

  /** @internal */
  static create(inner: HeliosStatement, source: string, conn: CompatConnection, database: object, safeIntegers: boolean): Statement {
    const s = new Statement(token, inner, source, conn, database);
    if (safeIntegers) inner.safeIntegers(true);
    return s;
  }

  get reader(): boolean {
    return this.#inner.reader;
  }

  /** sqlite3_stmt_readonly, as better-sqlite3 reports it (deferred BEGIN, COMMIT, … are readonly). */
  get readonly(): boolean {
    return this.#inner.sqliteReadonly;
  }

  /** Whether this statement's iterator is open. */
  get busy(): boolean {
    return this.#iterating;
  }

  #begin(args: readonly unknown[], isRead: boolean): void {
    const c = this.#conn;
    c.checkOpen();
    if (c.busy) throw new TypeError('This database connection is busy executing a query');
    if (!isRead && c.iterators > 0 && !c.unsafe) throw new TypeError('This database connection is busy executing a query');
    if (c.verbose !== null) c.verbose(this.#expanded(args));
  }

  #expanded(args: readonly unknown[]): string {
    const info = this.#inner.parameterInfo;
    const sql = this.#inner.source;
    if (info.count === 0) return sql;
    let params: readonly SqlValue[];
    try {
      params = this.#inner.boundValues ?? bindParameters(info, args, true);
    } catch {
      return sql;
    }
    let max = 0;
    return expandedSql(sql, params, (tok) => {
      if (tok === '?') return ++max;
      const n = tok[0] === '?' ? Number(tok.slice(1)) : info.names.indexOf(tok) + 1;
      if (n > max) max = n;
      return n;
    });
  }

  #run<T>(args: readonly unknown[], isRead: boolean, f: () => T): T {
    this.#begin(args, isRead);
    const c = this.#conn;
    c.busy = true;
    try {
      return f();
    } catch (e) {
      throw compatError(e);
    } finally {
      c.busy = false;
    }
  }

  run(...args: unknown[]): { changes: number; lastInsertRowid: number | bigint } {
    return this.#run(args, this.#inner.readonly, () => this.#inner.run(...args));
  }

  get(...args: unknown[]): unknown {
    this.#requireReader();
    return this.#run(args, this.#inner.readonly, () => this.#inner.get(...args));
  }

  all(...args: unknown[]): unknown[] {
    this.#requireReader();
    return this.#run(args, this.#inner.readonly, () => this.#inner.all(...args));
  }

  /** Rows one at a time: each step runs when asked for (the executor streams). */
  iterate(...args: unknown[]): IterableIterator<unknown> {
    this.#requireReader();
    const c = this.#conn;
    c.checkOpen();
    if (c.busy) throw new TypeError('This database connection is busy executing a query');
    if (!this.#inner.readonly && c.iterators > 0 && !c.unsafe) throw new TypeError('This database connection is busy executing a query');
    let it: Iterator<unknown>;
    c.busy = true;
    try {
      it = this.#inner.iterate(...args);
    } catch (e) {
      throw compatError(e);
    } finally {
      c.busy = false;
    }
    c.iterators++;
    this.#iterating = true;
    let done = false;
    let logged = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      c.iterators--;
      self.#iterating = false;
    };
    const self = this;
    const wrapper: IterableIterator<unknown> = {
      next(): IteratorResult<unknown> {
        if (done) return { value: undefined, done: true };
        if (c.busy) throw new TypeError('This database connection is busy executing a query');
        if (!logged) {
          logged = true;
          if (c.verbose !== null) {
            try {
              c.verbose(self.#expanded(args));
            } catch (e) {
              finish();
              it.return?.();
              throw e;
            }
          }
        }
        c.busy = true;
        try {
          const r = it.next();
          if (r.done === true) finish();
          return r;
        } catch (e) {
          finish();
          it.return?.();
          throw compatError(e);
        } finally {
          c.busy = false;
        }
      },
      return(): IteratorResult<unknown> {
        if (c.busy && !done) throw new TypeError('This database connection is busy executing a query');
        if (!done) {
          finish();
          it.return?.();
        }
        return { value: undefined, done: true };
      },
      [Symbol.iterator]() {
        return this;
      },
    };
    return wrapper;
  }

  #requireReader(): void {
    let reader: boolean;
    try {
      reader = this.#inner.reader;
    } catch (e) {
      throw compatError(e);
    }
    if (!reader) throw new TypeError('This statement does not return data. Use run() instead');
  }

  #toggle(name: string, toggle: unknown): boolean {
    if (toggle === undefined) return true;
    if (typeof toggle !== 'boolean') throw new TypeError(`Expected first argument to be a boolean (${name})`);
    return toggle;
  }

  #mode(f: () => unknown): this {
    const c = this.#conn;
    if (c.busy || this.#iterating) throw new TypeError('This statement is busy executing a query');
    try {
      f();
    } catch (e) {
      throw compatError(e);
    }
    return this;
  }

  pluck(toggle?: boolean): this {
    const t = this.#toggle('pluck', toggle);
    return this.#mode(() => this.#inner.pluck(t));
  }

  raw(toggle?: boolean): this {
    const t = this.#toggle('raw', toggle);
    return this.#mode(() => this.#inner.raw(t));
  }

  expand(toggle?: boolean): this {
    const t = this.#toggle('expand', toggle);
    return this.#mode(() => this.#inner.expand(t));
  }

  safeIntegers(toggle?: boolean): this {
    const t = this.#toggle('safeIntegers', toggle);
    return this.#mode(() => this.#inner.safeIntegers(t));
  }

  bind(...args: unknown[]): this {
    const c = this.#conn;
    c.checkOpen();
    if (c.busy || this.#iterating) throw new TypeError('This statement is busy executing a query');
    try {
      this.#inner.bind(...args);
    } catch (e) {
      throw compatError(e);
    }
    return this;
  }

  columns(): ColumnDescriptor[] {
    this.#conn.checkOpen();
    if (this.#conn.busy) throw new TypeError('This database connection is busy executing a query');
    this.#requireReader();
    try {
      return this.#inner.columns();
    } catch (e) {
      throw compatError(e);
    }
  }
}

Object.defineProperty(Statement, 'name', { value: 'Statement' });

export { Statement as Sqlite3Statement };
