/**
 * The expression compiler: turns an AST expression into a closure once per
 * prepare, so evaluation per row is a chain of direct calls, never an AST walk.
 *
 * Names are resolved here against a chain of `Scope`s (a query's FROM
 * sources, then the enclosing queries' for correlated subqueries). A column
 * reference compiles to a read of `frame.rows[slot][column]`: every source of
 * every query in one statement has its own slot, so nested and correlated
 * subqueries share one Frame without copying rows.
 *
 * Affinity and collation travel with each compiled expression so comparisons
 * apply SQLite's rules (datatype3 §4.2, §7.1) chosen at compile time.
 */
import type { Expr, FunctionExpr, Query } from './ast.ts';
import { HeliosError, assertNever } from '../format/errors.ts';
import type { SqlValue } from '../format/sql-value.ts';
import {
  type Affinity,
  type Collation,
  add,
  affinityOf,
  applyComparisonAffinity,
  bitAnd,
  bitNot,
  bitOr,
  castValue,
  comparisonAffinity,
  compareValues,
  concat,
  divide,
  isTruthy,
  makeReal,
  multiply,
  negate,
  remainder,
  shiftLeft,
  shiftRight,
  subtract,
  applyAffinity,
} from './value.ts';
import { fold, normalizeCollation, type TableInfo } from './catalog.ts';
import { aggregateDef, isAggregateName, orderedAggregate, type AggregateDef } from './aggregates.ts';
import { callScalar, lookupScalar, likeMatch, globMatch, type ExecEnv, type ScalarImpl } from './exec-env.ts';
import type { TempBudget } from './temp-budget.ts';
import { MAX_EXPR_HEIGHT, exprHeight, exprTooLarge } from './limits.ts';
import { type WindowContext, type WindowSpec, builtinWindowFunction, hasWindowCall, isConstantOffset, resolveOver } from './window.ts';
import { formatWindow, type OverClause, type WindowDef } from './ast.ts';
import { JsonText, jsonFunctions, plain, type JsonArg, type JsonFunction } from './json-functions.ts';

import { Frame, type Ev, type Row } from './frame.ts';
import { rowKey, valueKey } from './value-key.ts';

// Shared with the window stage through leaf files; re-exported for the files that import them from here.
export { Frame, rowKey, valueKey };
export type { Ev, Row };

export interface ColMeta {
  readonly name: string;
  readonly aff: Affinity | null;
  readonly coll: Collation;
  /** Whether the column has a collation of its own (a table column or COLLATE), as compounds need to know. */
  readonly collSet?: boolean;
  /** Its text values carry the JSON subtype (a result column that is always a JSON function's result). */
  readonly json?: boolean;
}

/** One FROM-clause source of a query. Its current row lives in frame.rows[slot]. */
export interface Source {
  readonly slot: number;
  /** Alias or table name as written. */
  readonly name: string;
  readonly columns: readonly ColMeta[];
  /** Position of the rowid in the row array, or -1 when the source has none. */
  readonly rowidIndex: number;
  readonly table: TableInfo | null;
  /** Columns merged into an earlier source by USING/NATURAL (folded names): unqualified refs skip them here. */
  readonly mergedColumns: Set<string>;
  /** Whether '*' expands the hidden rowid (never). Kept for row width. */
  readonly width: number;
  /**
   * A stored table's source in a query: entry i becomes true when a compiled
   * expression reads column i. Planning completes before the first row is
   * read, so the planner's table reads decode only the marked columns and
   * leave the others NULL. Absent: every column is decoded.
   */
  readonly used?: boolean[];
  /** Columns from this index on are hidden (a table-valued function's arguments): not in `*` or NATURAL. */
  readonly hiddenFrom?: number;
  /** Columns whose values may be JsonText (sql/vtab.ts jsonColumns): references unwrap them, JSON functions keep the subtype. */
  readonly jsonColumns?: ReadonlySet<number>;
}

/** A compiled expression. */
export interface CExpr {
  readonly ev: Ev;
  readonly aff: Affinity | null;
  readonly coll: Collation | null;
  readonly explicitColl: boolean;
  /** Set when the expression is a plain column reference. */
  readonly column?: { readonly slot: number; readonly index: number; readonly source: Source };
  /** Set when the value does not depend on any row or parameter. */
  readonly constant?: boolean;
  /**
   * SQLite's JSON subtype: when present, evaluates to the same value as `ev`
   * but returns text that carries the subtype as a JsonText. JSON functions
   * read their arguments through it, so `json_array(json('[1]'))` nests
   * rather than quotes. It passes through what passes SQLite's subtype
   * (CASE, coalesce, ifnull, iif, nullif, unary +, COLLATE, a scalar subquery).
   */
  readonly evJ?: (f: Frame) => JsonArg;
  /** Every text value it yields carries the subtype (a JSON function's result): a subquery column keeps it. */
  readonly jsonAlways?: boolean;
}

export interface AggregateCall {
  readonly def: AggregateDef;
  readonly args: readonly CExpr[];
  readonly distinct: boolean;
  readonly filter: CExpr | null;
  readonly coll: Collation;
}

/** Aggregation context of a query: aggregate results are read from frame.rows[slot][i]. */
export interface AggContext {
  readonly slot: number;
  readonly calls: AggregateCall[];
  /** While compiling an aggregate's own arguments (nesting is an error). */
  inside: boolean;
  /** Set when an expression reads a source column outside any aggregate (a bare column). */
  bare?: boolean;
}

/** Compiles subqueries; provided by the planner (breaks the import cycle). */
export interface SubqueryCompiler {
  compileSubquery(q: Query, parent: Scope): SubPlan;
}

/** A compiled subquery: runs, calling `emit` per row until it returns false (then it stops reading). */
export interface SubPlan {
  readonly columns: readonly ColMeta[];
  readonly correlated: boolean;
  run(f: Frame, emit: (row: Row) => boolean): void;
}

/** Name resolution context of one query. */
export class Scope {
  readonly sources: Source[] = [];
  correlated = false;
  agg: AggContext | null = null;
  /** Result-column aliases visible to WHERE/GROUP BY/HAVING/ORDER BY (SQLite extension). */
  aliases: Map<string, Expr> | null = null;
  /** Window calls of this SELECT, set only while compiling where they may appear (result columns, ORDER BY). */
  win: WindowContext | null = null;
  /** The SELECT's WINDOW clause, resolved, by folded name. */
  windows: ReadonlyMap<string, WindowDef> | null = null;
  /** Sets collecting the slots referenced while compiling (for conjunct placement). */
  readonly collectors: Set<number>[] = [];
  constructor(
    readonly parent: Scope | null,
    readonly comp: Compiler,
  ) {}
}

export { fold };
const ROWID_NAMES = new Set(['rowid', 'oid', '_rowid_']);

function err(code: 'SQL_ERROR' | 'MISMATCH', msg: string, pos?: { line: number; column: number }): HeliosError {
  return new HeliosError(code, msg, pos ? { line: pos.line, column: pos.column } : {});
}

const TRUE_V: SqlValue = 1;
const FALSE_V: SqlValue = 0;

/** Compiles expressions; owns slot allocation for one statement. */
export class Compiler {
  private nextSlot = 0;
  sub: SubqueryCompiler | null = null;
  /** Whether any expression used a non-deterministic or context function. */
  usesRandom = false;
  /** RAISE() inside a trigger body (sql/trigger.ts); null elsewhere, where RAISE is an error. */
  raise: ((action: 'IGNORE' | 'ROLLBACK' | 'ABORT' | 'FAIL', message: Ev | null) => Ev) | null = null;
  /** The top-level expressions being compiled, outermost first (nested through subqueries). */
  private readonly enclosing: Expr[] = [];
  /**
   * User-defined aggregates (better-sqlite3's db.aggregate), looked up before
   * the built-ins by folded name and argument count; see Accumulator in
   * aggregates.ts for the contract. Null: built-ins only.
   */
  userAggregate: ((name: string, nargs: number) => AggregateDef | undefined) | null = null;
  /** User-defined scalar functions (db.function), looked up before the built-ins; null: built-ins only. */
  userScalar: ((name: string, nargs: number) => ScalarImpl | undefined) | null = null;

  allocSlot(): number {
    return this.nextSlot++;
  }

  get slotCount(): number {
    return this.nextSlot;
  }

  /**
   * Compiles the top-level expression `e` (a clause's expression, not a
   * sub-expression) in `scope`. As SQLite's name resolution does, it adds
   * `e`'s height to the heights of the expressions whose subqueries enclose
   * it, and refuses the statement when the sum exceeds MAX_EXPR_HEIGHT: so
   * scalar subqueries nest at most ~44 deep (1 + 2 + … ≤ 1000), and every
   * walk below works on a bounded depth.
   */
  compile(e: Expr, scope: Scope): CExpr {
    const enclosing = this.enclosing;
    enclosing.push(e);
    try {
      // One expression alone is within the limit (the parser saw to it); only inside a subquery can
      // the sum exceed it, so heights are measured only there.
      if (enclosing.length > 1) {
        let sum = 0;
        for (const x of enclosing) sum += exprHeight(x);
        if (sum > MAX_EXPR_HEIGHT) throw exprTooLarge(e.pos);
      }
      return this.node(e, scope);
    } finally {
      enclosing.pop();
    }
  }

  private node(e: Expr, scope: Scope): CExpr {
    switch (e.kind) {
      case 'Integer': {
        const v = e.value;
        return constant(v, null);
      }
      case 'Real':
        return constant(makeReal(e.value), null);
      case 'String':
        return constant(e.value, null);
      case 'Blob':
        return constant(e.value, null);
      case 'Null':
        return constant(null, null);
      case 'Bool':
        return constant(e.value ? 1 : 0, null);
      case 'CurrentTime': {
        const fn = e.which === 'CURRENT_DATE' ? 'date' : e.which === 'CURRENT_TIME' ? 'time' : 'datetime';
        const impl = lookupScalar(fn);
        if (!impl) throw err('SQL_ERROR', `no such function: ${fn}`, e.pos);
        return { ev: (f) => callScalar(impl, ['now'], f.env), aff: null, coll: null, explicitColl: false };
      }
      case 'Param': {
        const i = e.index;
        return { ev: (f) => f.params[i] ?? null, aff: null, coll: null, explicitColl: false };
      }
      case 'Column':
        return this.column(e, scope);
      case 'Unary':
        return this.unary(e.op, this.node(e.operand, scope));
      case 'Binary':
        return this.binary(e, scope);
      case 'Between': {
        const x = this.node(e.expr, scope);
        const lo = this.node(e.low, scope);
        const hi = this.node(e.high, scope);
        const ge = comparator(x, lo, '>=');
        const le = comparator(x, hi, '<=');
        const not = e.not;
        return {
          ev: (f) => {
            const a = ge(f);
            if (a === 0) return not ? TRUE_V : FALSE_V;
            const b = le(f);
            const r = a === null ? (b === 0 ? 0 : null) : b;
            if (r === null) return null;
            return not ? (r ? 0 : 1) : r;
          },
          aff: null,
          coll: null,
          explicitColl: false,
        };
      }
      case 'InList':
        return this.inList(e.expr, e.items, e.not, scope);
      case 'InSelect':
        return this.inSelect(e.expr, e.query, e.not, scope);
      case 'InTable': {
        const q: Query = {
          kind: 'Query',
          pos: e.pos,
          with: null,
          body: {
            kind: 'SelectCore',
            pos: e.pos,
            distinct: false,
            columns: [{ kind: 'Star', pos: e.pos }],
            from: { kind: 'Table', pos: e.pos, schema: e.schema, name: e.table, alias: null, indexedBy: null },
            where: null,
            groupBy: [],
            having: null,
          },
          orderBy: [],
          limit: null,
          offset: null,
        };
        return this.inSelect(e.expr, q, e.not, scope);
      }
      case 'Like':
        return this.like(e, scope);
      case 'IsNull': {
        const x = this.node(e.expr, scope).ev;
        return e.not
          ? { ev: (f) => (x(f) === null ? 0 : 1), aff: null, coll: null, explicitColl: false }
          : { ev: (f) => (x(f) === null ? 1 : 0), aff: null, coll: null, explicitColl: false };
      }
      case 'Collate': {
        const x = this.node(e.expr, scope);
        return { ...x, coll: normalizeCollation(e.collation, e.pos), explicitColl: true, column: undefined };
      }
      case 'Case':
        return this.caseExpr(e, scope);
      case 'Cast': {
        const xc = this.node(e.expr, scope);
        const x = xc.ev;
        const t = e.type.name;
        // CAST keeps its operand's collation (SQLite's sqlite3ExprCollSeq looks through it).
        return { ev: (f) => castValue(x(f), t), aff: affinityOf(t), coll: xc.coll, explicitColl: xc.explicitColl };
      }
      case 'Exists': {
        const plan = this.subplan(e.query, scope);
        const key = {};
        return {
          ev: (f) => {
            if (!plan.correlated) {
              const c = f.cache.get(key);
              if (c !== undefined) return c as SqlValue;
            }
            let found = false;
            plan.run(f, () => {
              found = true;
              return false;
            });
            const v = found ? 1 : 0;
            if (!plan.correlated) f.cache.set(key, v);
            return v;
          },
          aff: null,
          coll: null,
          explicitColl: false,
        };
      }
      case 'Subquery': {
        const plan = this.subplan(e.query, scope);
        if (plan.columns.length !== 1) throw err('SQL_ERROR', `sub-select returns ${plan.columns.length} columns - expected 1`, e.pos);
        const key = {};
        const c0 = plan.columns[0];
        const ev: Ev = (f) => {
            if (!plan.correlated) {
              const c = f.cache.get(key);
              if (c !== undefined) return c as SqlValue;
            }
            let v: SqlValue = null;
            plan.run(f, (row) => {
              v = row[0] ?? null;
              return false;
            });
            if (!plan.correlated) f.cache.set(key, v);
            return v;
          };
        return {
          ev,
          aff: c0?.aff ?? null,
          coll: c0?.coll ?? null,
          explicitColl: false,
          ...(c0?.json === true ? subtypeOf(ev) : {}),
        };
      }
      case 'Function':
        return this.func(e, scope);
      case 'Row':
        throw err('SQL_ERROR', 'row value misused', e.pos);
      case 'Raise': {
        if (this.raise === null) throw err('SQL_ERROR', 'RAISE() may only be used within a trigger-program', e.pos);
        const msg = e.message === null ? null : this.node(e.message, scope).ev;
        return { ev: this.raise(e.action, msg), aff: null, coll: null, explicitColl: false };
      }
      default:
        return assertNever(e, 'expression');
    }
  }

  private subplan(q: Query, scope: Scope): SubPlan {
    if (!this.sub) throw new HeliosError('INTERNAL', 'no subquery compiler');
    return this.sub.compileSubquery(q, scope);
  }

  /** Resolves a column reference through the scope chain. */
  column(e: Extract<Expr, { kind: 'Column' }>, scope: Scope): CExpr {
    const name = fold(e.column);
    const table = e.table === null ? null : fold(e.table);
    for (let s: Scope | null = scope; s !== null; s = s.parent) {
      let found: { src: Source; index: number } | null = null;
      for (const src of s.sources) {
        if (table !== null && fold(src.name) !== table) continue;
        if (table === null && src.mergedColumns.has(name)) continue;
        let idx = src.columns.findIndex((c) => fold(c.name) === name);
        if (idx < 0 && ROWID_NAMES.has(name) && src.rowidIndex >= 0) idx = src.rowidIndex;
        if (idx < 0) {
          if (table !== null) throw err('SQL_ERROR', `no such column: ${e.table}.${e.column}`, e.pos);
          continue;
        }
        if (found !== null) throw err('SQL_ERROR', `ambiguous column name: ${e.column}`, e.pos);
        found = { src, index: idx };
      }
      if (found === null && table !== null && s.sources.some((x) => fold(x.name) === table)) {
        throw err('SQL_ERROR', `no such column: ${e.table}.${e.column}`, e.pos);
      }
      if (found !== null) {
        const { src, index } = found;
        // Correlation: every scope between `scope` and `s` depends on an outer row.
        for (let t: Scope | null = scope; t !== null && t !== s; t = t.parent) t.correlated = true;
        for (let t: Scope | null = scope; t !== null; t = t.parent) for (const c of t.collectors) c.add(src.slot);
        const slot = src.slot;
        const meta = src.columns[index];
        if (src.used !== undefined) src.used[index] = true;
        if (s.agg !== null && !s.agg.inside) s.agg.bare = true;
        if (src.jsonColumns !== undefined && src.jsonColumns.has(index)) {
          const raw = (f: Frame): JsonArg => f.rows[slot]![index]! as JsonArg;
          return { ev: (f) => plain(raw(f)), evJ: raw, aff: null, coll: 'BINARY', explicitColl: false, column: { slot, index, source: src } };
        }
        const ev: Ev = (f) => f.rows[slot]![index]!;
        return {
          ev,
          aff: meta ? meta.aff : 'INTEGER',
          coll: meta ? meta.coll : 'BINARY',
          explicitColl: false,
          column: { slot, index, source: src },
        };
      }
      if (table === null && s.aliases !== null && s === scope) {
        const a = s.aliases.get(name);
        if (a !== undefined) {
          if (s.win === null && hasWindowCall(a)) throw err('SQL_ERROR', `misuse of aliased window function ${e.column}`, e.pos);
          const saved = s.aliases;
          s.aliases = null; // an alias cannot refer to itself
          try {
            return this.node(a, s);
          } finally {
            s.aliases = saved;
          }
        }
      }
    }
    if (table === null && e.doubleQuoted) {
      throw err('SQL_ERROR', `no such column: "${e.column}" - should this be a string literal in single-quotes?`, e.pos);
    }
    throw err('SQL_ERROR', `no such column: ${e.table !== null ? `${e.table}.` : ''}${e.column}`, e.pos);
  }

  private unary(op: '-' | '+' | '~' | 'NOT', x: CExpr): CExpr {
    const ev = x.ev;
    // An explicit COLLATE inside the operand carries through every operator (SQLite's EP_Collate).
    const ec = x.explicitColl ? x.coll : null;
    const ee = x.explicitColl;
    switch (op) {
      case '-':
        return { ev: (f) => negate(ev(f)), aff: null, coll: ec, explicitColl: ee };
      case '+':
        return { ev, aff: null, coll: x.coll, explicitColl: x.explicitColl, evJ: x.evJ, jsonAlways: x.jsonAlways };
      case '~':
        return { ev: (f) => bitNot(ev(f)), aff: null, coll: ec, explicitColl: ee };
      case 'NOT':
        return {
          ev: (f) => {
            const t = isTruthy(ev(f));
            return t === null ? null : t ? 0 : 1;
          },
          aff: null,
          coll: ec,
          explicitColl: ee,
        };
    }
  }

  private binary(e: Extract<Expr, { kind: 'Binary' }>, scope: Scope): CExpr {
    const op = e.op;
    if (op === 'AND' || op === 'OR') {
      const l = this.node(e.left, scope).ev;
      const r = this.node(e.right, scope).ev;
      const ev: Ev =
        op === 'AND'
          ? (f) => {
              const a = isTruthy(l(f));
              if (a === false) return 0;
              const b = isTruthy(r(f));
              if (b === false) return 0;
              return a === null || b === null ? null : 1;
            }
          : (f) => {
              const a = isTruthy(l(f));
              if (a === true) return 1;
              const b = isTruthy(r(f));
              if (b === true) return 1;
              return a === null || b === null ? null : 0;
            };
      return { ev, aff: null, coll: null, explicitColl: false };
    }
    if (e.left.kind === 'Row' || e.right.kind === 'Row') return this.rowCompare(e, scope);
    const l = this.node(e.left, scope);
    const r = this.node(e.right, scope);
    switch (op) {
      case '=':
      case '!=':
      case '<':
      case '<=':
      case '>':
      case '>=':
      case 'IS':
      case 'IS NOT': {
        const cmp = comparator(l, r, op);
        return { ev: cmp as Ev, aff: null, coll: null, explicitColl: false };
      }
      default:
        break;
    }
    const a = l.ev;
    const b = r.ev;
    // Only an explicit COLLATE inside an operand carries through an operator (SQLite's EP_Collate).
    const coll = l.explicitColl ? l.coll : r.explicitColl ? r.coll : null;
    const explicitColl = l.explicitColl || r.explicitColl;
    const arith = (fn: (x: SqlValue, y: SqlValue) => SqlValue): CExpr => ({ ev: (f) => fn(a(f), b(f)), aff: null, coll, explicitColl });
    switch (op) {
      case '+':
        return arith(add);
      case '-':
        return arith(subtract);
      case '*':
        return arith(multiply);
      case '/':
        return arith(divide);
      case '%':
        return arith(remainder);
      case '&':
        return arith(bitAnd);
      case '|':
        return arith(bitOr);
      case '<<':
        return arith(shiftLeft);
      case '>>':
        return arith(shiftRight);
      case '||':
        return { ev: (f) => concat(a(f), b(f)), aff: null, coll, explicitColl };
      case '->':
      case '->>':
        return jsonCall(jsonFunctions.get(op)!, [l, r], op === '->');
      default:
        throw new HeliosError('INTERNAL', `unhandled operator ${op}`);
    }
  }

  private rowCompare(e: Extract<Expr, { kind: 'Binary' }>, scope: Scope): CExpr {
    const li = e.left.kind === 'Row' ? e.left.items : null;
    const ri = e.right.kind === 'Row' ? e.right.items : null;
    if (li === null || ri === null || li.length !== ri.length) throw err('SQL_ERROR', 'row value misused', e.pos);
    const op = e.op;
    if (op !== '=' && op !== '!=' && op !== 'IS' && op !== 'IS NOT' && op !== '<' && op !== '<=' && op !== '>' && op !== '>=') {
      throw err('SQL_ERROR', 'row value misused', e.pos);
    }
    const ls = li.map((x) => this.node(x, scope));
    const rs = ri.map((x) => this.node(x, scope));
    const eqs = ls.map((l, i) => comparator(l, rs[i]!, op === 'IS' || op === 'IS NOT' ? 'IS' : '='));
    const ords = ls.map((l, i) => comparator(l, rs[i]!, '<'));
    const n = ls.length;
    if (op === '=' || op === '!=' || op === 'IS' || op === 'IS NOT') {
      const neg = op === '!=' || op === 'IS NOT';
      return {
        ev: (f) => {
          let sawNull = false;
          for (let i = 0; i < n; i++) {
            const r = eqs[i]!(f);
            if (r === 0) return neg ? 1 : 0;
            if (r === null) sawNull = true;
          }
          if (sawNull) return null;
          return neg ? 0 : 1;
        },
        aff: null,
        coll: null,
        explicitColl: false,
      };
    }
    return {
      ev: (f) => {
        for (let i = 0; i < n; i++) {
          const eq = eqs[i]!(f);
          if (eq === null) return null;
          if (eq === 1 && i < n - 1) continue;
          if (eq === 1) return op === '<=' || op === '>=' ? 1 : 0;
          const lt = ords[i]!(f);
          if (lt === null) return null;
          return (op === '<' || op === '<=') === (lt === 1) ? 1 : 0;
        }
        return 0;
      },
      aff: null,
      coll: null,
      explicitColl: false,
    };
  }

  private inList(lhs: Expr, items: readonly Expr[], not: boolean, scope: Scope): CExpr {
    const x = this.node(lhs, scope);
    const cs = items.map((i) => this.node(i, scope));
    if (cs.length === 0) return constant(not ? 1 : 0, null);
    const xev = x.ev;
    // SQLite applies only the left operand's affinity to an IN list (exprINAffinity).
    const lhsAff = comparisonAffinity(x.aff, null);
    // ... and compares with the left operand's collation only.
    const lhsColl: Collation = x.coll ?? 'BINARY';
    const tests = cs.map((c) => {
      const aff = lhsAff;
      const coll = lhsColl;
      return { ev: c.ev, aff, coll };
    });
    return {
      ev: (f) => {
        const v = xev(f);
        if (v === null) return null;
        let sawNull = false;
        for (const t of tests) {
          const w = t.ev(f);
          if (w === null) {
            sawNull = true;
            continue;
          }
          const a = t.aff === null ? v : applyComparisonAffinity(v, t.aff);
          const b = t.aff === null ? w : applyComparisonAffinity(w, t.aff);
          if (compareValues(a, b, t.coll) === 0) return not ? 0 : 1;
        }
        if (sawNull) return null;
        return not ? 1 : 0;
      },
      aff: null,
      coll: null,
      explicitColl: false,
    };
  }

  private inSelect(lhs: Expr, q: Query, not: boolean, scope: Scope): CExpr {
    const plan = this.subplan(q, scope);
    if (lhs.kind === 'Row') {
      const xs = lhs.items.map((i) => this.node(i, scope));
      if (plan.columns.length !== xs.length) throw err('SQL_ERROR', `sub-select returns ${plan.columns.length} columns - expected ${xs.length}`, q.pos);
      const key = {};
      const affs = xs.map((x, i) => comparisonAffinity(x.aff, plan.columns[i]!.aff));
      const colls = xs.map((x, i) => (x.explicitColl ? x.coll! : (x.coll ?? plan.columns[i]!.coll)));
      return {
        ev: (f) => {
          const vals = xs.map((x) => x.ev(f));
          const rows = subRows(plan, f, key);
          let sawNull = vals.some((v) => v === null);
          for (const r of rows) {
            let all = true;
            let nul = false;
            for (let i = 0; i < vals.length; i++) {
              const w = r[i] ?? null;
              const v = vals[i]!;
              if (v === null || w === null) {
                nul = true;
                continue;
              }
              const aff = affs[i]!;
              if (compareValues(applyComparisonAffinity(v, aff), applyComparisonAffinity(w, aff), colls[i]!) !== 0) {
                all = false;
                break;
              }
            }
            if (all && !nul) return not ? 0 : 1;
            if (all && nul) sawNull = true;
          }
          if (sawNull && rows.length > 0) return null;
          return not ? 1 : 0;
        },
        aff: null,
        coll: null,
        explicitColl: false,
      };
    }
    if (plan.columns.length !== 1) throw err('SQL_ERROR', `sub-select returns ${plan.columns.length} columns - expected 1`, q.pos);
    const x = this.node(lhs, scope);
    const c0 = plan.columns[0]!;
    const aff = comparisonAffinity(x.aff, c0.aff);
    const coll: Collation = x.explicitColl ? x.coll! : (x.coll ?? c0.coll ?? 'BINARY');
    const key = {};
    const xev = x.ev;
    return {
      ev: (f) => {
        const set = subSet(plan, f, key, aff, coll);
        if (set.size === 0 && !set.hasNull) return not ? 1 : 0;
        const v = xev(f);
        if (v === null) return set.size === 0 && !set.hasNull ? (not ? 1 : 0) : null;
        const a = aff === null ? v : applyComparisonAffinity(v, aff);
        if (set.has(a)) return not ? 0 : 1;
        if (set.hasNull) return null;
        return not ? 1 : 0;
      },
      aff: null,
      coll: null,
      explicitColl: false,
    };
  }

  private like(e: Extract<Expr, { kind: 'Like' }>, scope: Scope): CExpr {
    const x = this.node(e.expr, scope).ev;
    const p = this.node(e.pattern, scope).ev;
    const esc = e.escape ? this.node(e.escape, scope).ev : null;
    const not = e.not;
    if (e.op === 'REGEXP' || e.op === 'MATCH') throw err('SQL_ERROR', `no such function: ${e.op.toLowerCase()}`, e.pos);
    const glob = e.op === 'GLOB';
    return {
      ev: (f) => {
        const pv = p(f);
        const xv = x(f);
        const ev2 = esc ? esc(f) : undefined;
        // As SQLite built with SQLITE_LIKE_DOESNT_MATCH_BLOBS (better-sqlite3, the oracle): a BLOB never matches.
        if (pv instanceof Uint8Array || xv instanceof Uint8Array) return not ? 1 : 0;
        if (pv === null || xv === null || ev2 === null) return null;
        const m = glob ? globMatch(pv, xv) : likeMatch(pv, xv, ev2, f.env.caseSensitiveLike === true);
        if (m === null) return null;
        return m !== not ? 1 : 0;
      },
      aff: null,
      coll: null,
      explicitColl: false,
    };
  }

  private caseExpr(e: Extract<Expr, { kind: 'Case' }>, scope: Scope): CExpr {
    const compiled = e.whens.map((w) => ({ when: this.node(w.when, scope), then: this.node(w.then, scope) }));
    const whens = compiled.map((w) => ({ when: w.when, then: w.then.ev }));
    const elsC = e.else ? this.node(e.else, scope) : null;
    const els = elsC ? elsC.ev : null;
    // The first explicit COLLATE anywhere inside (base, WHENs, THENs, ELSE in order) gives the result its collation.
    const parts: CExpr[] = [];
    for (const w of compiled) parts.push(w.when, w.then);
    if (elsC) parts.push(elsC);
    const explicitPart = parts.find((p) => p.explicitColl);
    if (e.base !== null) {
      const base = this.node(e.base, scope);
      const tests = whens.map((w) => ({ eq: comparator(base, w.when, '='), then: w.then }));
      const ex = base.explicitColl ? base : explicitPart;
      const jt = anySubtype(compiled.map((w) => w.then), elsC);
      return {
        ev: (f) => {
          for (const t of tests) if (t.eq(f) === 1) return t.then(f);
          return els ? els(f) : null;
        },
        aff: null,
        coll: ex ? ex.coll : null,
        explicitColl: ex !== undefined,
        ...(jt === null
          ? {}
          : {
              evJ: (f: Frame): JsonArg => {
                for (let i = 0; i < tests.length; i++) if (tests[i]!.eq(f) === 1) return jt.thens[i]!(f);
                return jt.els ? jt.els(f) : null;
              },
            }),
      };
    }
    const tests = whens.map((w) => ({ when: w.when.ev, then: w.then }));
    const jt = anySubtype(compiled.map((w) => w.then), elsC);
    return {
      ev: (f) => {
        for (const t of tests) if (isTruthy(t.when(f)) === true) return t.then(f);
        return els ? els(f) : null;
      },
      aff: null,
      coll: explicitPart ? explicitPart.coll : null,
      explicitColl: explicitPart !== undefined,
      ...(jt === null
        ? {}
        : {
            evJ: (f: Frame): JsonArg => {
              for (let i = 0; i < tests.length; i++) if (isTruthy(tests[i]!.when(f)) === true) return jt.thens[i]!(f);
              return jt.els ? jt.els(f) : null;
            },
          }),
    };
  }

  /**
   * `f(…) OVER …`: a built-in window function or an aggregate over a window
   * frame. Its value is read from frame.rows[win.slot][i] once the window
   * stage (window.ts) has computed it. SQLite's checks, in its order.
   */
  private windowCall(e: FunctionExpr, over: OverClause, scope: Scope): CExpr {
    const name = fold(e.name);
    const nargs = e.star ? 0 : e.args.length;
    // SQLite's parser refuses an aggregate ORDER BY with OVER, and DISTINCT, before any name is looked up.
    if (e.orderBy !== undefined) throw err('SQL_ERROR', `ORDER BY may not be used with non-aggregate ${e.name}()`, e.pos);
    if (e.distinct) throw err('SQL_ERROR', 'DISTINCT is not supported for window functions', e.pos);
    let def: AggregateDef | null = this.userAggregate?.(name, nargs) ?? null;
    if (def?.notWindow === true) throw err('SQL_ERROR', `${e.name}() may not be used as a window function`, e.pos);
    const builtin = def === null ? builtinWindowFunction(name) : undefined;
    if (builtin !== undefined) {
      if (nargs < builtin.min || nargs > builtin.max || e.star) throw err('SQL_ERROR', `wrong number of arguments to function ${e.name}()`, e.pos);
    } else if (def === null) {
      if (isAggregateName(name, nargs, e.star) || aggregateDef(name, nargs, e.star) !== null) {
        def = aggregateDef(name, nargs, e.star);
        if (def === null) throw err('SQL_ERROR', `wrong number of arguments to function ${e.name}()`, e.pos);
      } else {
        const impl = this.scalarFor(name, nargs);
        if (!impl) throw err('SQL_ERROR', `no such function: ${e.name}`, e.pos);
        if (nargs < impl.minArgs || nargs > impl.maxArgs) throw err('SQL_ERROR', `wrong number of arguments to function ${e.name}()`, e.pos);
        throw err('SQL_ERROR', `${e.name}() may not be used as a window function`, e.pos);
      }
    }
    const win = scope.win;
    if (win === null || win.inside || (scope.agg !== null && scope.agg.inside)) throw err('SQL_ERROR', `misuse of window function ${e.name}()`, e.pos);
    const w = resolveOver(over, scope.windows, name);
    if (builtin !== undefined && e.filter !== null) throw err('SQL_ERROR', 'FILTER clause may only be used with aggregate window functions', e.pos);
    win.inside = true;
    let args: CExpr[];
    let filter: CExpr | null;
    let spec: number;
    try {
      args = e.args.map((a) => this.node(a, scope));
      filter = e.filter ? this.node(e.filter, scope) : null;
      spec = this.windowSpec(w, win, scope);
    } finally {
      win.inside = false;
    }
    const coll = args[0]?.coll ?? 'BINARY';
    const i = win.calls.length;
    // A JSON aggregate reads its arguments with their subtypes and yields a JsonText (or JSONB), unwrapped here as in aggregate().
    const json = def?.json === true;
    win.calls.push({ name: e.name, builtin: builtin !== undefined ? name : null, def, args: args.map((a) => (json && a.evJ ? (a.evJ as Ev) : a.ev)), filter: filter?.ev ?? null, coll, spec });
    const slot = win.slot;
    const ex = args.find((a) => a.explicitColl);
    if (json) {
      const raw = (f: Frame): JsonArg => f.rows[slot]![i]! as JsonArg;
      return { ev: (f) => plain(raw(f)), evJ: raw, jsonAlways: !name.startsWith('jsonb'), aff: null, coll: ex ? ex.coll : null, explicitColl: ex !== undefined };
    }
    return { ev: (f) => f.rows[slot]![i]!, aff: null, coll: ex ? ex.coll : null, explicitColl: ex !== undefined };
  }

  /** The index of window `w` (resolved) among the SELECT's distinct windows, compiling it when new. */
  private windowSpec(w: WindowDef, win: WindowContext, scope: Scope): number {
    const frame = w.frame!;
    const sortKey = formatWindow({ ...w, frame: null });
    const key = formatWindow(w);
    const found = win.specs.findIndex((s) => s.key === key);
    if (found >= 0) return found;
    const partition = w.partitionBy.map((p) => this.node(p, scope));
    const order = w.orderBy.map((t) => {
      const c = this.node(t.expr, scope);
      const desc = t.direction === 'DESC';
      return { ev: c.ev, desc, nullsFirst: t.nulls === null ? !desc : t.nulls === 'FIRST', coll: c.coll ?? 'BINARY' };
    });
    const bound = (b: typeof frame.start): WindowSpec['start'] => {
      if (b.kind !== 'Preceding' && b.kind !== 'Following') return { kind: b.kind, offset: null };
      // A frame offset that is not constant is NULL, as SQLite's parser makes it (then an error once rows arrive).
      if (!isConstantOffset(b.offset)) return { kind: b.kind, offset: () => null };
      return { kind: b.kind, offset: this.node(b.offset, scope).ev };
    };
    win.specs.push({
      key,
      sortKey,
      partition: partition.map((p) => p.ev),
      partitionColls: partition.map((p) => p.coll ?? 'BINARY'),
      order,
      def: w,
      units: frame.units,
      start: bound(frame.start),
      end: bound(frame.end),
      exclude: frame.exclude,
      fullScan: frame.exclude !== 'NO OTHERS' || frame.excludeWritten === true,
    });
    return win.specs.length - 1;
  }

  /**
   * The scalar function `name` with `nargs` arguments, looked up by name and argument count as
   * SQLite does: a user function of another argument count leaves a built-in of this one usable
   * (db.function('abs', () => 42) and abs(-1) is still 1); a name known with other counts only is
   * returned so that its call reports "wrong number of arguments".
   */
  private scalarFor(name: string, nargs: number): ScalarImpl | undefined {
    const user = this.userScalar?.(name, nargs);
    if (user !== undefined && nargs >= user.minArgs && nargs <= user.maxArgs) return user;
    return lookupScalar(name) ?? user;
  }

  private func(e: FunctionExpr, scope: Scope): CExpr {
    const name = fold(e.name);
    const nargs = e.star ? 0 : e.args.length;
    if (e.over !== undefined) return this.windowCall(e, e.over, scope);
    const user = this.userAggregate?.(name, nargs);
    if (builtinWindowFunction(name) !== undefined && user === undefined) {
      const b = builtinWindowFunction(name)!;
      if (nargs < b.min || nargs > b.max) throw err('SQL_ERROR', `wrong number of arguments to function ${e.name}()`, e.pos);
      throw err('SQL_ERROR', `misuse of window function ${e.name}()`, e.pos);
    }
    if (user !== undefined || isAggregateName(name, nargs, e.star)) {
      const def = user ?? aggregateDef(name, nargs, e.star);
      if (def === null) throw err('SQL_ERROR', `wrong number of arguments to function ${e.name}()`, e.pos);
      const agg = scope.agg;
      if (agg === null || agg.inside) throw err('SQL_ERROR', `misuse of aggregate function ${e.name}()`, e.pos);
      agg.inside = true;
      let args: CExpr[];
      let filter: CExpr | null;
      let keys: CExpr[];
      try {
        args = e.args.map((a) => this.node(a, scope));
        filter = e.filter ? this.node(e.filter, scope) : null;
        keys = (e.orderBy ?? []).map((t) => this.node(t.expr, scope));
      } finally {
        agg.inside = false;
      }
      if (e.distinct && args.length !== 1) throw err('SQL_ERROR', 'DISTINCT aggregates must have exactly one argument', e.pos);
      const coll = args[0]?.coll ?? 'BINARY';
      const i = agg.calls.length;
      // A JSON aggregate reads its arguments with their subtypes (not under DISTINCT, whose keys are plain values).
      const callArgs = def.json === true && !e.distinct ? args.map((a) => (a.evJ ? { ...a, ev: a.evJ as Ev } : a)) : args;
      // ORDER BY inside the call: the keys ride after the arguments (aggregates.ts orderedAggregate).
      const terms = (e.orderBy ?? []).map((t, k) => ({ desc: t.direction === 'DESC', nullsFirst: t.nulls === null ? t.direction !== 'DESC' : t.nulls === 'FIRST', coll: keys[k]!.coll ?? 'BINARY' }));
      const callDef = terms.length > 0 ? orderedAggregate(def, callArgs.length, terms) : def;
      agg.calls.push({ def: callDef, args: terms.length > 0 ? [...callArgs, ...keys] : callArgs, distinct: e.distinct, filter, coll });
      const slot = agg.slot;
      const ex = args.find((a) => a.explicitColl);
      if (def.json === true) {
        const raw = (f: Frame): JsonArg => f.rows[slot]![i]! as JsonArg;
        return { ev: (f) => plain(raw(f)), evJ: raw, jsonAlways: !def.name.startsWith('jsonb'), aff: null, coll: ex ? ex.coll : null, explicitColl: ex !== undefined };
      }
      return { ev: (f) => f.rows[slot]![i]!, aff: null, coll: ex ? ex.coll : null, explicitColl: ex !== undefined };
    }
    const impl = this.scalarFor(name, nargs);
    // A user function of this argument count replaces the built-in (and its special forms).
    const userFn = impl !== undefined && impl !== lookupScalar(name) ? impl : undefined;
    if (e.orderBy !== undefined) throw err('SQL_ERROR', impl ? `ORDER BY may not be used with non-aggregate ${e.name}()` : `no such function: ${e.name}`, e.pos);
    if (e.distinct || e.filter) throw err('SQL_ERROR', `DISTINCT/FILTER used with the non-aggregate function ${e.name}()`, e.pos);
    if (!impl) throw err('SQL_ERROR', `no such function: ${e.name}`, e.pos);
    if (nargs < impl.minArgs || nargs > impl.maxArgs) {
      throw err('SQL_ERROR', `wrong number of arguments to function ${e.name}()`, e.pos);
    }
    const args = e.args.map((a) => this.node(a, scope));
    const evs = args.map((a) => a.ev);
    const jf = userFn === undefined ? jsonFunctions.get(name) : undefined;
    if (jf !== undefined) return jsonCall(jf, args, name !== 'json_extract' && !name.startsWith('jsonb') && !JSON_SCALAR_RESULTS.has(name));
    // Short-circuit forms evaluate lazily, as SQLite does.
    if (userFn === undefined && (name === 'coalesce' || name === 'ifnull')) {
      const js = args.some((a) => a.evJ !== undefined) ? args.map((a) => a.evJ ?? a.ev) : null;
      return {
        ev: (f) => {
          for (const a of evs) {
            const v = a(f);
            if (v !== null) return v;
          }
          return null;
        },
        aff: null,
        coll: args.find((a) => a.explicitColl)?.coll ?? null,
        explicitColl: args.some((a) => a.explicitColl),
        ...(js === null
          ? {}
          : {
              evJ: (f: Frame): JsonArg => {
                for (const a of js) {
                  const v = a(f);
                  if (v !== null) return v;
                }
                return null;
              },
              // coalesce(json_group_array(...), '[]'): JSON functions give NULL only for NULL input.
              jsonAlways: args[0]!.jsonAlways === true,
            }),
      };
    }
    if (userFn === undefined && (name === 'iif' || name === 'if') && evs.length === 3) {
      const [c, t, el] = evs as [Ev, Ev, Ev];
      const ex = args.find((a) => a.explicitColl);
      const tj = args[1]!.evJ ?? t;
      const ej = args[2]!.evJ ?? el;
      const sub = args[1]!.evJ !== undefined || args[2]!.evJ !== undefined;
      return {
        ev: (f) => (isTruthy(c(f)) === true ? t(f) : el(f)),
        aff: null,
        coll: ex ? ex.coll : null,
        explicitColl: ex !== undefined,
        ...(sub ? { evJ: (f: Frame): JsonArg => (isTruthy(c(f)) === true ? tj(f) : ej(f)) } : {}),
      };
    }
    if (userFn === undefined && name === 'nullif' && args[0]!.evJ !== undefined) {
      const a0 = args[0]!;
      const j0 = a0.evJ!;
      const cmp = impl;
      const collN = args.find((a) => a.coll !== null)?.coll ?? undefined;
      const a1 = evs[1]!;
      return {
        ev: (f) => callScalar(cmp, [a0.ev(f), a1(f)], f.env, collN),
        evJ: (f) => (callScalar(cmp, [a0.ev(f), a1(f)], f.env, collN) === null ? null : j0(f)),
        aff: null,
        coll: a0.explicitColl ? a0.coll : null,
        explicitColl: a0.explicitColl,
      };
    }
    const n = evs.length;
    if (!impl.deterministic) this.usesRandom = true;
    const isConst = args.every((a) => a.constant === true) && impl.deterministic;
    // The collation of the leftmost argument that has one (min, max, nullif use it): as in
    // SQLite, a column has one even when it is BINARY, so min(blobcol, nocasecol) is BINARY.
    const withColl = args.find((a) => a.coll !== null);
    const coll: Collation | undefined = withColl?.coll ?? undefined;
    // The result carries only an explicit COLLATE found in the arguments.
    const exArg = args.find((a) => a.explicitColl);
    const outColl = exArg ? exArg.coll : null;
    const outExplicit = exArg !== undefined;
    if (n === 0) return { ev: (f) => callScalar(impl, [], f.env, coll), aff: null, coll: null, explicitColl: false, constant: isConst };
    if (n === 1) {
      const a0 = evs[0]!;
      return { ev: (f) => callScalar(impl, [a0(f)], f.env, coll), aff: null, coll: outColl, explicitColl: outExplicit, constant: isConst };
    }
    if (n === 2) {
      const a0 = evs[0]!;
      const a1 = evs[1]!;
      return { ev: (f) => callScalar(impl, [a0(f), a1(f)], f.env, coll), aff: null, coll: outColl, explicitColl: outExplicit, constant: isConst };
    }
    return {
      ev: (f) => {
        const vals = new Array<SqlValue>(n);
        for (let i = 0; i < n; i++) vals[i] = evs[i]!(f);
        return callScalar(impl, vals, f.env, coll);
      },
      aff: null,
      coll: outColl,
      explicitColl: outExplicit,
      constant: isConst,
    };
  }
}

/** JSON functions whose results never carry the subtype (they return SQL values). */
const JSON_SCALAR_RESULTS = new Set(['json_type', 'json_valid', 'json_array_length', 'json_error_position', '->>']);

/**
 * A call of a JSON function: arguments read with their subtypes. `always`:
 * every text result carries the subtype (json(), json_array(), …; not
 * json_extract, whose text results may be plain strings).
 */
function jsonCall(impl: JsonFunction, args: readonly CExpr[], always: boolean): CExpr {
  const evs = args.map((a) => a.evJ ?? a.ev);
  const n = evs.length;
  const fn = impl.fn;
  let evJ: (f: Frame) => JsonArg;
  if (n === 1) {
    const a0 = evs[0]!;
    evJ = (f) => fn([a0(f)]);
  } else if (n === 2) {
    const a0 = evs[0]!;
    const a1 = evs[1]!;
    evJ = (f) => fn([a0(f), a1(f)]);
  } else {
    evJ = (f) => {
      const vals = new Array<JsonArg>(n);
      for (let i = 0; i < n; i++) vals[i] = evs[i]!(f);
      return fn(vals);
    };
  }
  const exArg = args.find((a) => a.explicitColl);
  return {
    ev: (f) => plain(evJ(f)),
    evJ,
    jsonAlways: always,
    aff: null,
    coll: exArg ? exArg.coll : null,
    explicitColl: exArg !== undefined,
    constant: args.every((a) => a.constant === true),
  };
}

/** The subtype-keeping evaluators of CASE branches, or null when no branch has one. */
function anySubtype(thens: readonly CExpr[], els: CExpr | null): { thens: ((f: Frame) => JsonArg)[]; els: ((f: Frame) => JsonArg) | null } | null {
  if (!thens.some((t) => t.evJ !== undefined) && !(els?.evJ !== undefined)) return null;
  return { thens: thens.map((t) => t.evJ ?? t.ev), els: els ? (els.evJ ?? els.ev) : null };
}

/** A scalar subquery's evaluator keeping the subtype of a JSON result column. */
function subtypeOf(ev: Ev): { evJ: (f: Frame) => JsonArg; jsonAlways: boolean } {
  return {
    evJ: (f) => {
      const v = ev(f);
      return typeof v === 'string' ? new JsonText(v) : v;
    },
    jsonAlways: true,
  };
}

function constant(v: SqlValue, aff: Affinity | null): CExpr {
  return { ev: () => v, aff, coll: null, explicitColl: false, constant: true };
}

/** Builds a comparison closure returning 1, 0 or null (IS / IS NOT never null). */
export function comparator(l: CExpr, r: CExpr, op: '=' | '!=' | '<' | '<=' | '>' | '>=' | 'IS' | 'IS NOT'): (f: Frame) => 0 | 1 | null {
  const aff = comparisonAffinity(l.aff, r.aff);
  const coll: Collation = l.explicitColl ? l.coll! : r.explicitColl ? r.coll! : (l.coll ?? r.coll ?? 'BINARY');
  const a = l.ev;
  const b = r.ev;
  const test = opTest(op);
  if (op === 'IS' || op === 'IS NOT') {
    const want = op === 'IS' ? 1 : 0;
    return (f) => {
      let x = a(f);
      let y = b(f);
      if (x === null || y === null) return (x === null && y === null ? 1 : 0) === want ? 1 : 0;
      if (aff !== null) {
        x = applyComparisonAffinity(x, aff);
        y = applyComparisonAffinity(y, aff);
      }
      return (compareValues(x, y, coll) === 0 ? 1 : 0) === want ? 1 : 0;
    };
  }
  if (aff === null && coll === 'BINARY') {
    return (f) => {
      const x = a(f);
      if (x === null) return null;
      const y = b(f);
      if (y === null) return null;
      if (typeof x === 'number' && typeof y === 'number') return test(x < y ? -1 : x > y ? 1 : 0);
      return test(compareValues(x, y, 'BINARY'));
    };
  }
  return (f) => {
    let x = a(f);
    if (x === null) return null;
    let y = b(f);
    if (y === null) return null;
    if (aff !== null) {
      x = applyComparisonAffinity(x, aff);
      y = applyComparisonAffinity(y, aff);
    }
    return test(compareValues(x, y, coll));
  };
}

function opTest(op: string): (c: number) => 0 | 1 {
  switch (op) {
    case '=':
      return (c) => (c === 0 ? 1 : 0);
    case '!=':
      return (c) => (c !== 0 ? 1 : 0);
    case '<':
      return (c) => (c < 0 ? 1 : 0);
    case '<=':
      return (c) => (c <= 0 ? 1 : 0);
    case '>':
      return (c) => (c > 0 ? 1 : 0);
    default:
      return (c) => (c >= 0 ? 1 : 0);
  }
}

function subRows(plan: SubPlan, f: Frame, key: object): Row[] {
  if (!plan.correlated) {
    const c = f.cache.get(key);
    if (c !== undefined) return c as Row[];
  }
  const rows: Row[] = [];
  plan.run(f, (r) => {
    rows.push(r);
    return true;
  });
  if (!plan.correlated) f.cache.set(key, rows);
  return rows;
}

/** A set of subquery values for IN, hashed by a canonical key under the comparison's collation. */
class ValueSet {
  private readonly keys = new Set<string>();
  hasNull = false;
  constructor(private readonly coll: Collation) {}
  get size(): number {
    return this.keys.size;
  }
  addValue(v: SqlValue): void {
    if (v === null) this.hasNull = true;
    else this.keys.add(valueKey(v, this.coll));
  }
  has(v: SqlValue): boolean {
    return v !== null && this.keys.has(valueKey(v, this.coll));
  }
}

function subSet(plan: SubPlan, f: Frame, key: object, aff: Affinity | null, coll: Collation): ValueSet {
  if (!plan.correlated) {
    const c = f.cache.get(key);
    if (c !== undefined) return c as ValueSet;
  }
  const set = new ValueSet(coll);
  plan.run(f, (r) => {
    const v = r[0] ?? null;
    set.addValue(aff === null ? v : applyComparisonAffinity(v, aff));
    return true;
  });
  if (!plan.correlated) f.cache.set(key, set);
  return set;
}


/** Numeric view used by LIMIT/OFFSET. */
export function limitValue(v: SqlValue, what: string): number {
  const n = applyAffinity(v, 'NUMERIC');
  if (typeof n === 'bigint') return n < 0n ? -1 : Number.MAX_SAFE_INTEGER;
  if (typeof n === 'number' && Number.isInteger(n)) return n;
  void what;
  throw new HeliosError('MISMATCH', 'datatype mismatch');
}
