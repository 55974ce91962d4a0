/**
 * The query planner and its executor: compiles a Query (SELECT, VALUES,
 * compounds, CTEs, subqueries, joins, aggregates) into a `QueryPlan` whose
 * `run` pushes result rows to a callback until it returns false.
 *
 * Joins are nested loops in an order chosen greedily: at each step the table
 * with the cheapest access given the tables already placed (rowid lookup <
 * unique index < index prefix < automatic hash index < range < scan). Every
 * WHERE/ON conjunct is evaluated at the first loop level where all its
 * tables are bound; conjuncts used for an index lookup are still evaluated,
 * so an access path only has to return a superset of the matching rows.
 *
 * ORDER BY is satisfied by the rowid or an index when the first table's
 * access delivers that order (and the query has a LIMIT or the order comes
 * for free); otherwise rows are sorted ("USE TEMP B-TREE FOR ORDER BY").
 */
import type { Expr, FromItem, OrderingTerm, Query, QueryBody, ResultColumn, SelectCore, ValuesBody, WithClause } from './ast.ts';
import { HeliosError } from '../format/errors.ts';
import type { SqlValue } from '../format/sql-value.ts';
import { encodeKey, prefixSuccessor, type KeyColumn } from '../format/key-codec.ts';
import { decodeColumnsInto, decodeRow } from '../format/row-codec.ts';
import { type Affinity, type Collation, applyComparisonAffinity, applyAffinity, comparisonAffinity, compareValues, isTruthy } from './value.ts';
import type { Catalog, IndexInfo, TableInfo } from './catalog.ts';
import type { Accumulator } from './aggregates.ts';
import {
  type AggContext,
  type CExpr,
  type ColMeta,
  Compiler,
  type Ev,
  Frame,
  type Row,
  Scope,
  type Source,
  type SubPlan,
  fold,
  limitValue,
  rowKey,
  valueKey,
} from './expr-compile.ts';
import { objectPrefix, prefixEnd, readRowid, rowKey as tableRowKey, prefixed, sequenceKey } from '../format/table-key.ts';
import type { Overlay } from './txn.ts';
import { MAX_FROM_TERMS, MAX_JOIN_TABLES, MAX_QUERY_NESTING } from './limits.ts';

/** What the planner needs from the session. */
export interface PlanContext {
  readonly catalog: Catalog;
  readonly store: () => Overlay;
}

export interface QueryPlan extends SubPlan {
  /** EXPLAIN QUERY PLAN lines: [depth, text]. */
  readonly explain: readonly (readonly [number, string])[];
}

/** A source's rows when it is not a stored table. */
/** The rows of a FROM item that is not a stored table; iterating may compute them (see lazyRows). */
type RowsProducer = (f: Frame) => Iterable<Row>;

/** Rows pulled from `source` on demand and kept, so every reader sees the same rows and none computes more than it reads. */
interface LazyRows {
  readonly rows: Iterable<Row>;
}

function lazyRows(source: Iterator<Row>): LazyRows {
  const done: Row[] = [];
  let it: Iterator<Row> | null = source;
  const rows: Iterable<Row> = {
    *[Symbol.iterator]() {
      for (let i = 0; ; i++) {
        if (i < done.length) {
          yield done[i]!;
          continue;
        }
        if (it === null) return;
        const n = it.next();
        if (n.done === true) {
          it = null;
          return;
        }
        done.push(n.value);
        yield n.value;
      }
    },
  };
  return { rows };
}

interface CteDef {
  readonly name: string;
  readonly columns: readonly string[] | null;
  readonly query: Query;
  readonly scope: Scope;
  readonly recursive: boolean;
  /** While compiling a recursive CTE's recursive part: the working-set holder. */
  working: { rows: Row[] } | null;
  workingCols: ColMeta[] | null;
  /** True while the CTE's own query is being planned: a reference then is circular. */
  planning: boolean;
  /** The plan, made at the first reference and shared by every later one (SQLite materialises a CTE used twice). */
  planned: SharedPlan | null;
}

/** A view's or CTE's plan, planned once per statement; `key` names its materialised rows in a run's cache. */
interface SharedPlan {
  readonly plan: SubPlan;
  readonly cols: ColMeta[];
  readonly key: object;
}


/** A compiled conjunct of WHERE / ON. */
interface Conjunct {
  readonly ev: Ev;
  readonly slots: Set<number>;
  readonly expr: Expr;
}

/** A conjunct viewed as `column op value`, usable for an index or rowid lookup. */
interface AccessTerm {
  readonly slot: number;
  readonly col: number;
  readonly op: '=' | '<' | '<=' | '>' | '>=' | 'IN';
  readonly value: CExpr | null;
  readonly values: readonly CExpr[] | null;
  readonly valueSlots: Set<number>;
  readonly aff: Affinity | null;
  readonly coll: Collation;
}

interface Item {
  readonly src: Source;
  readonly table: TableInfo | null;
  readonly rows: RowsProducer | null;
  readonly rowsLabel: string;
  joinType: 'INNER' | 'LEFT';
  /** ON conjuncts of a LEFT join. */
  readonly on: Conjunct[];
  readonly indexedBy: string | false | null;
  readonly pos: number;
}

type Access =
  | { kind: 'scan'; reverse: boolean }
  | { kind: 'rowidEq'; values: CExpr[] }
  | { kind: 'rowidRange'; lo: AccessTerm | null; hi: AccessTerm | null; reverse: boolean }
  | { kind: 'index'; index: IndexInfo; eq: AccessTerm[]; inTerm: AccessTerm | null; lo: AccessTerm | null; hi: AccessTerm | null; reverse: boolean; ordered: boolean }
  | { kind: 'hash'; term: AccessTerm }
  | { kind: 'rows' };

interface Level {
  readonly item: Item;
  readonly access: Access;
  readonly filters: Ev[];
  readonly onFilters: Ev[];
  readonly cost: number;
}

const SCAN_COST = 1000;

function sqlErr(msg: string, pos?: { line: number; column: number }): HeliosError {
  return new HeliosError('SQL_ERROR', msg, pos ? { line: pos.line, column: pos.column } : {});
}

/** Splits `a AND b AND c` into its conjuncts. */
export function splitAnd(e: Expr | null, out: Expr[] = []): Expr[] {
  if (e === null) return out;
  if (e.kind === 'Binary' && e.op === 'AND') {
    splitAnd(e.left, out);
    splitAnd(e.right, out);
  } else out.push(e);
  return out;
}

/** Whether `e` calls an aggregate function outside any subquery. */
function hasAggregate(e: Expr | null): boolean {
  if (e === null) return false;
  switch (e.kind) {
    case 'Function': {
      const n = fold(e.name);
      const nargs = e.star ? 0 : e.args.length;
      if ((n === 'count' || n === 'sum' || n === 'total' || n === 'avg' || n === 'group_concat' || n === 'string_agg') && (nargs > 0 || e.star || n === 'count')) return true;
      if ((n === 'min' || n === 'max') && nargs === 1) return true;
      return e.args.some(hasAggregate) || hasAggregate(e.filter);
    }
    case 'Unary':
      return hasAggregate(e.operand);
    case 'Binary':
      return hasAggregate(e.left) || hasAggregate(e.right);
    case 'Between':
      return hasAggregate(e.expr) || hasAggregate(e.low) || hasAggregate(e.high);
    case 'InList':
      return hasAggregate(e.expr) || e.items.some(hasAggregate);
    case 'InSelect':
    case 'InTable':
      return hasAggregate(e.expr);
    case 'Like':
      return hasAggregate(e.expr) || hasAggregate(e.pattern) || hasAggregate(e.escape);
    case 'IsNull':
    case 'Collate':
    case 'Cast':
      return hasAggregate(e.expr);
    case 'Case':
      return hasAggregate(e.base) || e.whens.some((w) => hasAggregate(w.when) || hasAggregate(w.then)) || hasAggregate(e.else);
    case 'Row':
      return e.items.some(hasAggregate);
    default:
      return false;
  }
}

/** Plans queries of one statement. */
export class Planner {
  readonly comp = new Compiler();
  /** EXPLAIN lines collected while planning. */
  readonly explain: [number, string][] = [];
  private depth = 0;
  private subqueryCounter = 0;
  /** Views planned in this statement, by folded name: planned once, materialised once per run. */
  private readonly viewPlans = new Map<string, SharedPlan>();
  /** Views whose query is being planned (a reference to one of them is circular). */
  private readonly viewsPlanning = new Set<string>();
  /** > 0 while planning a statement-level query (`query(q, null)`): its table reads may be cached. */
  private statementQuery = 0;

  constructor(readonly ctx: PlanContext) {
    this.comp.sub = { compileSubquery: (q, parent) => this.subquery(q, parent) };
  }

  /** A new top-level scope. */
  rootScope(): Scope {
    return new Scope(null, this.comp);
  }

  private subquery(q: Query, parent: Scope): SubPlan {
    this.subqueryCounter++;
    const line: [number, string] = [this.depth, `SCALAR SUBQUERY ${this.subqueryCounter}`];
    this.explain.push(line);
    this.enterNested();
    try {
      const p = this.query(q, parent);
      if (p.correlated) line[1] = `CORRELATED SCALAR SUBQUERY ${this.subqueryCounter}`;
      return p;
    } finally {
      this.depth--;
    }
  }

  /**
   * Compiles a complete query in a new scope under `parent`. With `parent`
   * null it is a statement-level query, and the caller promises that no
   * write happens between the first and the last row one run of the plan
   * reads (a SELECT, or INSERT … SELECT that materialises before writing):
   * a full table scan run again within that execution (a correlated
   * subquery, the inner side of a join) then reuses the rows it read.
   */
  query(q: Query, parent: Scope | null): QueryPlan {
    if (parent === null) this.statementQuery++;
    try {
      const scope = new Scope(parent, this.comp);
      if (q.with !== null) this.addCtes(q.with, scope);
      const body = q.body;
      if (body.kind === 'SelectCore') return this.selectCore(body, scope, q);
      const inner = this.body(body, scope);
      return this.finish(inner, q, scope);
    } finally {
      if (parent === null) this.statementQuery--;
    }
  }

  private addCtes(w: WithClause, scope: Scope): void {
    const map = new Map<string, CteDef>();
    (scope as Scope & { ctes?: Map<string, CteDef> }).ctes = map;
    for (const c of w.ctes) {
      map.set(fold(c.name.name), {
        name: c.name.name,
        columns: c.columns ? c.columns.map((n) => n.name) : null,
        query: c.query,
        scope,
        recursive: w.recursive,
        working: null,
        workingCols: null,
        planning: false,
        planned: null,
      });
    }
  }

  private findCte(name: string, scope: Scope): CteDef | undefined {
    const k = fold(name);
    for (let s: Scope | null = scope; s !== null; s = s.parent) {
      const m = (s as Scope & { ctes?: Map<string, CteDef> }).ctes;
      const d = m?.get(k);
      if (d) return d;
    }
    return undefined;
  }

  /** A body without its own ORDER BY/LIMIT (compound parts, VALUES). */
  private body(b: QueryBody, scope: Scope): QueryPlan {
    switch (b.kind) {
      case 'SelectCore':
        return this.selectCore(b, new Scope(scope, this.comp), null);
      case 'Values':
        return this.values(b, scope);
      case 'Compound':
        return this.compound(b, scope);
    }
  }

  private values(b: ValuesBody, scope: Scope): QueryPlan {
    const rows = b.rows.map((r) => r.map((e) => this.comp.compile(e, scope).ev));
    const n = b.rows[0]?.length ?? 0;
    const columns: ColMeta[] = [];
    for (let i = 0; i < n; i++) columns.push({ name: `column${i + 1}`, aff: null, coll: 'BINARY' });
    return {
      columns,
      correlated: scope.correlated,
      explain: [],
      run: (f, emit) => {
        for (const r of rows) {
          const out = new Array<SqlValue>(r.length);
          for (let i = 0; i < r.length; i++) out[i] = r[i]!(f);
          if (!emit(out)) return;
        }
      },
    };
  }

  private compound(b: Extract<QueryBody, { kind: 'Compound' }>, scope: Scope): QueryPlan {
    this.explain.push([this.depth, 'COMPOUND QUERY']);
    const left = this.body(b.left, scope);
    const right = this.body(b.right, scope);
    if (left.columns.length !== right.columns.length) {
      throw sqlErr(`SELECTs to the left and right of ${b.op} do not have the same number of result columns`, b.pos);
    }
    const op = b.op;
    // The leftmost part whose column has a collation decides (SQLite's multiSelectCollSeq).
    const columns: ColMeta[] = left.columns.map((c, i) => {
      const r = right.columns[i]!;
      const coll = c.collSet ? c.coll : r.collSet ? r.coll : 'BINARY';
      return { ...c, coll, collSet: c.collSet === true || r.collSet === true };
    });
    const colls = columns.map((c) => c.coll);
    return {
      columns,
      correlated: left.correlated || right.correlated,
      explain: [],
      run: (f, emit) => {
        if (op === 'UNION ALL') {
          let go = true;
          left.run(f, (r) => (go = emit(r)));
          if (go) right.run(f, emit);
          return;
        }
        if (op === 'UNION') {
          const seen = new Set<string>();
          const rows: Row[] = [];
          const add = (r: Row): boolean => {
            const k = rowKey(r, colls);
            if (!seen.has(k)) {
              seen.add(k);
              rows.push(r);
            }
            return true;
          };
          left.run(f, add);
          right.run(f, add);
          sortRowsForSet(rows, colls);
          for (const r of rows) if (!emit(r)) return;
          return;
        }
        const rightKeys = new Set<string>();
        right.run(f, (r) => (rightKeys.add(rowKey(r, colls)), true));
        const seen = new Set<string>();
        const rows: Row[] = [];
        left.run(f, (r) => {
          const k = rowKey(r, colls);
          if (seen.has(k)) return true;
          seen.add(k);
          if (rightKeys.has(k) === (op === 'INTERSECT')) rows.push(r);
          return true;
        });
        sortRowsForSet(rows, colls);
        for (const r of rows) if (!emit(r)) return;
      },
    };
  }

  /** ORDER BY / LIMIT / OFFSET over a compound or VALUES body (terms name result columns). */
  private finish(inner: QueryPlan, q: Query, scope: Scope): QueryPlan {
    const cols = inner.columns;
    const terms = q.orderBy.map((t, i) => {
      const idx = resultIndexOf(t, cols, null);
      if (idx < 0) throw sqlErr(`${ordinal(i + 1)} ORDER BY term does not match any column in the result set`, t.pos);
      const coll = collateOf(t.expr) ?? cols[idx]!.coll;
      return { idx, desc: t.direction === 'DESC', nullsFirst: t.nulls === null ? t.direction !== 'DESC' : t.nulls === 'FIRST', coll };
    });
    const limit = q.limit ? this.comp.compile(q.limit, scope).ev : null;
    const offset = q.offset ? this.comp.compile(q.offset, scope).ev : null;
    if (terms.length > 0) this.explain.push([this.depth, 'USE TEMP B-TREE FOR ORDER BY']);
    if (terms.length === 0 && limit === null) return inner;
    return {
      columns: cols,
      correlated: inner.correlated || scope.correlated,
      explain: [],
      run: (f, emit) => {
        let lim = limit ? limitValue(limit(f), 'LIMIT') : -1;
        let off = offset ? Math.max(0, limitValue(offset(f), 'OFFSET')) : 0;
        if (lim === 0) return;
        if (terms.length === 0) {
          inner.run(f, (r) => {
            if (off > 0) {
              off--;
              return true;
            }
            if (!emit(r)) return false;
            if (lim > 0 && --lim === 0) return false;
            return true;
          });
          return;
        }
        const rows: Row[] = [];
        inner.run(f, (r) => (rows.push(r), true));
        const cmp = makeSortCompare(terms.map((t) => ({ ...t, key: t.idx })));
        const keyed = rows.map((r) => ({ row: r, keys: r }));
        keyed.sort((a, b) => cmp(a.keys, b.keys));
        for (const k of keyed) {
          if (off > 0) {
            off--;
            continue;
          }
          if (!emit(k.row)) return;
          if (lim > 0 && --lim === 0) return;
        }
      },
    };
  }

  // -------------------------------------------------------------------------
  // SELECT core

  /**
   * Compiles one SELECT core; when `q` is given its ORDER BY / LIMIT apply
   * (and may use the core's source columns).
   */
  selectCore(core: SelectCore, scope: Scope, q: Query | null): QueryPlan {
    const items: Item[] = [];
    const conjuncts: Expr[] = [];
    if (core.from !== null) {
      const n = fromTableCount(core.from);
      if (n > MAX_FROM_TERMS) throw new HeliosError('TOO_BIG', `too many FROM clause terms, max: ${MAX_FROM_TERMS}`);
      if (n > MAX_JOIN_TABLES) throw new HeliosError('TOO_BIG', `at most ${MAX_JOIN_TABLES} tables in a join`);
      this.flattenFrom(core.from, scope, items, conjuncts, false);
    }
    splitAnd(core.where, conjuncts);

    // Result columns
    const resultExprs: { expr: Expr; name: string; alias: string | null }[] = [];
    for (const rc of core.columns) this.expandResultColumn(rc, scope, resultExprs);
    const aliases = new Map<string, Expr>();
    for (const r of resultExprs) if (r.alias !== null && !aliases.has(fold(r.alias))) aliases.set(fold(r.alias), r.expr);
    scope.aliases = aliases;

    const orderBy = q ? q.orderBy : [];
    const isAgg =
      core.groupBy.length > 0 ||
      resultExprs.some((r) => hasAggregate(r.expr)) ||
      hasAggregate(core.having) ||
      orderBy.some((t) => hasAggregate(t.expr));
    if (core.having !== null && core.groupBy.length === 0 && !resultExprs.some((r) => hasAggregate(r.expr))) {
      throw sqlErr('HAVING clause on a non-aggregate query', core.pos);
    }

    // WHERE / ON conjuncts (aggregates are misuse here: scope.agg is null).
    const whereConj = conjuncts.map((e) => this.conjunct(e, scope));
    for (const it of items) {
      // LEFT join ON conjuncts were stashed on the item during flattening.
      const raw = (it as Item & { onExprs?: Expr[] }).onExprs ?? [];
      for (const e of raw) it.on.push(this.conjunct(e, scope));
    }

    // Access planning and join order.
    const localSlots = new Set(items.map((i) => i.src.slot));
    const levels = this.orderJoins(items, whereConj, scope, localSlots);

    // Aggregation
    let agg: AggContext | null = null;
    let groupBy: CExpr[] = [];
    if (isAgg) {
      groupBy = core.groupBy.map((g, gi) => {
        const k = positionTerm(g);
        if (k !== null) {
          if (k < 1 || k > resultExprs.length) throw sqlErr(`${ordinal(gi + 1)} GROUP BY term out of range - should be between 1 and ${resultExprs.length}`, g.pos);
          return this.comp.compile(resultExprs[k - 1]!.expr, scope);
        }
        if (hasAggregate(g)) throw sqlErr('aggregate functions are not allowed in the GROUP BY clause', g.pos);
        return this.comp.compile(g, scope);
      });
      agg = { slot: this.comp.allocSlot(), calls: [], inside: false };
      scope.agg = agg;
    }

    const outputs = resultExprs.map((r) => this.comp.compile(r.expr, scope));
    // The rowid (and its INTEGER PRIMARY KEY alias) has no collation of its own, unlike other columns.
    const isRowid = (c: CExpr): boolean => {
      const col = c.column;
      return col !== undefined && (col.index === col.source.rowidIndex || (col.source.table !== null && col.index === col.source.table.rowidAlias));
    };
    const columns: ColMeta[] = resultExprs.map((r, i) => ({
      name: r.name,
      aff: outputs[i]!.aff,
      coll: outputs[i]!.coll ?? 'BINARY',
      collSet: outputs[i]!.coll !== null && !isRowid(outputs[i]!),
    }));
    const having = core.having ? this.comp.compile(core.having, scope).ev : null;

    // ORDER BY keys: a result column position/alias or an expression over the sources.
    const sortTerms = orderBy.map((t, i) => {
      const idx = resultIndexOf(t, columns, resultExprs);
      if (idx === -2) throw sqlErr(`${ordinal(i + 1)} ORDER BY term out of range - should be between 1 and ${columns.length}`, t.pos);
      const desc = t.direction === 'DESC';
      const nullsFirst = t.nulls === null ? !desc : t.nulls === 'FIRST';
      if (idx >= 0) return { out: idx, ev: null as Ev | null, desc, nullsFirst, coll: collateOf(t.expr) ?? columns[idx]!.coll, expr: resultExprs[idx]!.expr };
      const c = this.comp.compile(t.expr, scope);
      return { out: -1, ev: c.ev, desc, nullsFirst, coll: c.coll ?? 'BINARY', expr: t.expr };
    });
    scope.aliases = null;

    const limitEv = q && q.limit ? this.comp.compile(q.limit, scope.parent ?? this.rootScope()).ev : null;
    const offsetEv = q && q.offset ? this.comp.compile(q.offset, scope.parent ?? this.rootScope()).ev : null;

    // Can the first level deliver the ORDER BY order?
    let sortNeeded = sortTerms.length > 0;
    if (sortNeeded && !isAgg && !core.distinct && levels.length > 0) {
      if (this.orderFromAccess(levels, sortTerms, limitEv !== null)) sortNeeded = false;
    }

    // EXPLAIN lines for the loops.
    for (const l of levels) this.explain.push([this.depth, describeLevel(l)]);
    if (isAgg && groupBy.length > 0) this.explain.push([this.depth, 'USE TEMP B-TREE FOR GROUP BY']);
    if (core.distinct) this.explain.push([this.depth, 'USE TEMP B-TREE FOR DISTINCT']);
    if (sortNeeded) this.explain.push([this.depth, 'USE TEMP B-TREE FOR ORDER BY']);

    const loop = this.buildLoops(levels, whereConj, localSlots);
    const nOut = outputs.length;
    const outEvs = outputs.map((o) => o.ev);
    const keyEvs = sortTerms.map((t) => t.ev);
    const hasKeys = sortNeeded;
    const distinct = core.distinct;
    const outColls = columns.map((c) => c.coll);
    const sourceSlots = items.map((i) => i.src.slot);
    const aggCalls = agg ? agg.calls : [];
    const aggSlot = agg ? agg.slot : -1;
    const groupEvs = groupBy.map((g) => g.ev);
    const groupColls = groupBy.map((g) => g.coll ?? 'BINARY');
    // The bare-column rule: with exactly one min()/max(), bare columns come from its row.
    const extremeIdx = aggCalls.filter((c) => c.def.name === 'min' || c.def.name === 'max').length === 1 ? aggCalls.findIndex((c) => c.def.name === 'min' || c.def.name === 'max') : -1;
    const sortCmp = makeSortCompare(
      sortTerms.map((t, i) => ({ key: i, desc: t.desc, nullsFirst: t.nullsFirst, coll: t.coll })),
    );
    const sortOut = sortTerms.map((t) => t.out);
    // Output columns that are plain column reads cannot fail, so a row the LIMIT heap rejects need not be built.
    const deferRow = hasKeys && !distinct && outputs.every((o) => o.column !== undefined);
    // Equal keys keep the order rows were produced in (as a stable sort does).
    const itemCmp = (a: SortItem, b: SortItem): number => sortCmp(a.keys, b.keys) || a.seq - b.seq;

    const run = (f: Frame, emit: (row: Row) => boolean): void => {
      let lim = limitEv ? limitValue(limitEv(f), 'LIMIT') : -1;
      let off = offsetEv ? Math.max(0, limitValue(offsetEv(f), 'OFFSET')) : 0;
      if (lim === 0) return;
      const seen = distinct ? new Set<string>() : null;
      const sorted: SortItem[] | null = hasKeys ? [] : null;
      // With a LIMIT only the first lim + off rows in order can be emitted: a max-heap keeps those.
      const keep = lim > 0 ? lim + off : Infinity;
      let seq = 0;
      let stopped = false;
      const probe = deferRow ? new Array<SqlValue>(keyEvs.length) : null;
      // Produces one output row from the current frame.
      const produce = (): boolean => {
        if (probe !== null && sorted!.length >= keep) {
          // A full heap: compare the keys with its largest before building the row.
          for (let i = 0; i < probe.length; i++) {
            const o = sortOut[i]!;
            probe[i] = o >= 0 ? outEvs[o]!(f) : keyEvs[i]!(f);
          }
          // Equal keys: the new row comes later, so it sorts after the heap's largest.
          if (sortCmp(probe, sorted![0]!.keys) >= 0) {
            seq++;
            return true;
          }
          const row = new Array<SqlValue>(nOut);
          for (let i = 0; i < nOut; i++) row[i] = outEvs[i]!(f);
          sorted![0] = { row, keys: probe.slice(), seq: seq++ };
          siftDown(sorted!, 0, itemCmp);
          return true;
        }
        const row = new Array<SqlValue>(nOut);
        for (let i = 0; i < nOut; i++) row[i] = outEvs[i]!(f);
        if (seen !== null) {
          const k = rowKey(row, outColls);
          if (seen.has(k)) return true;
          seen.add(k);
        }
        if (sorted !== null) {
          const keys = new Array<SqlValue>(keyEvs.length);
          for (let i = 0; i < keyEvs.length; i++) {
            const o = sortOut[i]!;
            keys[i] = o >= 0 ? row[o]! : keyEvs[i]!(f);
          }
          const item: SortItem = { row, keys, seq: seq++ };
          if (sorted.length < keep) {
            sorted.push(item);
            if (sorted.length === keep) heapify(sorted, itemCmp);
          } else if (itemCmp(item, sorted[0]!) < 0) {
            sorted[0] = item;
            siftDown(sorted, 0, itemCmp);
          }
          return true;
        }
        if (off > 0) {
          off--;
          return true;
        }
        if (!emit(row)) {
          stopped = true;
          return false;
        }
        if (lim > 0 && --lim === 0) {
          stopped = true;
          return false;
        }
        return true;
      };

      if (aggSlot < 0) {
        loop(f, produce);
      } else {
        const groups = new Map<string, Group>();
        const order: Group[] = [];
        const nSlots = sourceSlots.length;
        const nCalls = aggCalls.length;
        const argBufs = aggCalls.map((c) => new Array<SqlValue>(c.args.length));
        const nGroup = groupEvs.length;
        const single = nGroup === 1 ? groupEvs[0]! : null;
        const singleColl = groupColls[0] ?? 'BINARY';
        // One BINARY text key: the string itself is the map key (no 't' + v per row).
        const textGroups = single !== null && singleColl === 'BINARY' ? new Map<string, Group>() : null;
        let only: Group | null = null;
        const newGroup = (kv: SqlValue[]): Group => ({
          keyVals: kv,
          accs: aggCalls.map((c) => c.def.create(c.coll)),
          distinctSets: aggCalls.map((c) => (c.distinct ? new Set<string>() : null)),
          rows: null,
        });
        const added = (key: string, kv: SqlValue[]): Group => {
          const g = newGroup(kv);
          groups.set(key, g);
          order.push(g);
          return g;
        };
        // The current row's group, created (in order of appearance) on first sight.
        const groupOf = (): Group => {
          if (nGroup === 0) {
            if (only === null) {
              only = newGroup([]);
              order.push(only);
            }
            return only;
          }
          if (single !== null) {
            const v = single(f);
            if (textGroups !== null && typeof v === 'string') {
              let g = textGroups.get(v);
              if (g === undefined) {
                g = newGroup([v]);
                textGroups.set(v, g);
                order.push(g);
              }
              return g;
            }
            const key = valueKey(v, singleColl);
            return groups.get(key) ?? added(key, [v]);
          }
          const kv = new Array<SqlValue>(nGroup);
          for (let i = 0; i < nGroup; i++) kv[i] = groupEvs[i]!(f);
          const key = rowKey(kv, groupColls);
          return groups.get(key) ?? added(key, kv);
        };
        loop(f, () => {
          const g = groupOf();
          let saveRow = extremeIdx < 0;
          for (let i = 0; i < nCalls; i++) {
            const c = aggCalls[i]!;
            if (c.filter !== null && isTruthy(c.filter.ev(f)) !== true) continue;
            const args = argBufs[i]!;
            for (let j = 0; j < args.length; j++) args[j] = c.args[j]!.ev(f);
            const ds = g.distinctSets[i];
            if (ds) {
              const a0 = args[0]!;
              if (a0 === null) continue;
              const k = valueKey(a0, c.coll);
              if (ds.has(k)) continue;
              ds.add(k);
            }
            const better = g.accs[i]!.step(args);
            if (i === extremeIdx && better) saveRow = true;
          }
          if (saveRow || g.rows === null) {
            // The group's representative row (SQLite's bare-column rule); reuse its array.
            const rows = g.rows ?? new Array<Row>(nSlots);
            for (let i = 0; i < nSlots; i++) rows[i] = f.rows[sourceSlots[i]!]!;
            g.rows = rows;
          }
          return true;
        });
        if (order.length === 0 && groupEvs.length === 0) {
          order.push({ keyVals: [], accs: aggCalls.map((c) => c.def.create(c.coll)), distinctSets: [], rows: null });
        }
        if (groupEvs.length > 0) order.sort((a, b) => compareRows(a.keyVals, b.keyVals, groupColls));
        for (const g of order) {
          if (g.rows !== null) for (let i = 0; i < nSlots; i++) f.rows[sourceSlots[i]!] = g.rows[i]!;
          else for (let i = 0; i < nSlots; i++) f.rows[sourceSlots[i]!] = nullRow(items[i]!.src.width);
          f.rows[aggSlot] = g.accs.map((a) => a.result());
          if (having !== null && isTruthy(having(f)) !== true) continue;
          if (!produce()) break;
        }
      }
      if (sorted !== null && !stopped) {
        sorted.sort(itemCmp);
        for (const s of sorted) {
          if (off > 0) {
            off--;
            continue;
          }
          if (!emit(s.row)) return;
          if (lim > 0 && --lim === 0) return;
        }
      }
    };
    return { columns, correlated: scope.correlated, explain: [], run };
  }

  /**
   * The rows of table `t` (source `src`, already in `scope`) matching `where`,
   * materialised as [...columns, rowid] (UPDATE and DELETE targets).
   */
  tableScan(src: Source, t: TableInfo, where: Expr | null, scope: Scope, indexedBy: string | false | null): (f: Frame) => Row[] {
    const item: Item = { src, table: t, rows: null, rowsLabel: '', joinType: 'INNER', on: [], indexedBy, pos: 0 };
    const conj = splitAnd(where).map((e) => this.conjunct(e, scope));
    const local = new Set([src.slot]);
    const levels = this.orderJoins([item], conj, scope, local);
    for (const l of levels) this.explain.push([this.depth, describeLevel(l)]);
    const loop = this.buildLoops(levels, conj, local);
    const slot = src.slot;
    return (f) => {
      const out: Row[] = [];
      loop(f, () => (out.push(f.rows[slot]!), true));
      return out;
    };
  }

  private expandResultColumn(rc: ResultColumn, scope: Scope, out: { expr: Expr; name: string; alias: string | null }[]): void {
    if (rc.kind === 'Expr') {
      const name = rc.alias ?? (rc.expr.kind === 'Column' ? rc.expr.column : rc.text);
      out.push({ expr: rc.expr, name, alias: rc.alias });
      return;
    }
    const srcs = rc.kind === 'Star' ? scope.sources : scope.sources.filter((s) => fold(s.name) === fold(rc.table));
    if (rc.kind === 'TableStar' && srcs.length === 0) throw sqlErr(`no such table: ${rc.table}`, rc.pos);
    if (rc.kind === 'Star' && srcs.length === 0) throw sqlErr('no tables specified', rc.pos);
    for (const s of srcs) {
      s.columns.forEach((c) => {
        if (rc.kind === 'Star' && s.mergedColumns.has(fold(c.name))) return;
        out.push({
          expr: { kind: 'Column', pos: rc.pos, schema: null, table: s.name, column: c.name, doubleQuoted: false },
          name: c.name,
          alias: null,
        });
      });
    }
  }

  private conjunct(e: Expr, scope: Scope): Conjunct {
    const set = new Set<number>();
    scope.collectors.push(set);
    try {
      const c = this.comp.compile(e, scope);
      return { ev: c.ev, slots: set, expr: e };
    } finally {
      scope.collectors.pop();
    }
  }

  /** Flattens a FROM tree into items (left-deep, in source order); inner-join ON terms join `conjuncts`. */
  private flattenFrom(from: FromItem, scope: Scope, items: Item[], conjuncts: Expr[], left: boolean): void {
    if (from.kind === 'Join') {
      if (from.joinType === 'FULL' || (from.joinType === 'RIGHT' && (from.left.kind === 'Join' || from.right.kind === 'Join'))) {
        throw sqlErr(`${from.joinType} JOIN is only supported between two tables`, from.pos);
      }
      this.flattenFrom(from.left, scope, items, conjuncts, left);
      const before = items.length;
      const isRight = from.joinType === 'RIGHT';
      const isLeft = from.joinType === 'LEFT' || isRight;
      this.flattenFrom(from.right, scope, items, conjuncts, isLeft);
      // a RIGHT JOIN b is b LEFT JOIN a (the sources keep their order for '*').
      if (isRight) items.splice(before - 1, 2, items[before]!, items[before - 1]!);
      const right = isRight ? items[before]! : items[before]!;
      const onList: Expr[] = [];
      // USING / NATURAL: equality on the shared columns; the right copy is hidden from unqualified refs and '*'.
      let using: string[] | null = from.using ? from.using.map((n) => n.name) : null;
      if (from.natural) {
        using = [];
        for (const c of right.src.columns) {
          if (items.slice(0, before).some((it) => it.src.columns.some((x) => fold(x.name) === fold(c.name)))) using.push(c.name);
        }
      }
      if (using !== null) {
        for (const name of using) {
          const l = items.slice(0, before).find((it) => it.src.columns.some((x) => fold(x.name) === fold(name)) && !it.src.mergedColumns.has(fold(name)));
          if (!l || !right.src.columns.some((x) => fold(x.name) === fold(name))) {
            throw sqlErr(`cannot join using column ${name} - column not present in both tables`, from.pos);
          }
          right.src.mergedColumns.add(fold(name));
          onList.push({
            kind: 'Binary',
            pos: from.pos,
            op: '=',
            left: { kind: 'Column', pos: from.pos, schema: null, table: l.src.name, column: name, doubleQuoted: false },
            right: { kind: 'Column', pos: from.pos, schema: null, table: right.src.name, column: name, doubleQuoted: false },
          });
        }
      }
      splitAnd(from.on, onList);
      if (isLeft) {
        right.joinType = 'LEFT';
        const st = right as Item & { onExprs?: Expr[] };
        st.onExprs = [...(st.onExprs ?? []), ...onList];
      } else conjuncts.push(...onList);
      return;
    }
    const slot = this.comp.allocSlot();
    if (from.kind === 'Table') {
      const alias = from.alias ?? from.name;
      if (from.schema === null || fold(from.schema) === 'main') {
        const cte = this.findCte(from.name, scope);
        if (cte) {
          items.push(this.cteItem(cte, alias, slot, scope, items.length));
          return;
        }
      }
      const nm = fold(from.name);
      if (nm === 'sqlite_schema' || nm === 'sqlite_master' || nm === 'sqlite_temp_master' || nm === 'sqlite_temp_schema') {
        const cols: ColMeta[] = ['type', 'name', 'tbl_name', 'rootpage', 'sql'].map((n) => ({ name: n, aff: null, coll: 'BINARY' as Collation }));
        const catalog = this.ctx.catalog;
        const temp = nm.includes('temp');
        items.push(
          this.rowsItem(alias, cols, slot, scope, items.length, () => (temp ? [] : schemaRows(catalog)), `SCAN ${alias}`),
        );
        return;
      }
      if (nm === 'sqlite_sequence' && this.ctx.catalog.hasSequenceTable()) {
        const cols: ColMeta[] = [
          { name: 'name', aff: null, coll: 'BINARY', collSet: true },
          { name: 'seq', aff: null, coll: 'BINARY', collSet: true },
        ];
        const catalog = this.ctx.catalog;
        const store = this.ctx.store;
        items.push(
          this.rowsItem(alias, cols, slot, scope, items.length, () => {
            const out: Row[] = [];
            for (const r of catalog.rows) {
              const t = r.type === 'table' ? catalog.table(r.name) : undefined;
              if (!t || !t.autoincrement) continue;
              const v = store().get(sequenceKey(t.id));
              if (v !== undefined) out.push([t.name, readRowid(v, 0)]);
            }
            return out;
          }, `SCAN ${alias}`),
        );
        return;
      }
      const table = this.ctx.catalog.table(from.name);
      if (table) {
        const src: Source = {
          slot,
          name: alias,
          columns: table.columns.map((c) => ({ name: c.name, aff: c.affinity, coll: c.collation })),
          rowidIndex: table.columns.length,
          table,
          mergedColumns: new Set(),
          width: table.columns.length + 1,
          used: [],
        };
        if (scope.sources.some((s) => fold(s.name) === fold(alias))) throw sqlErr(`ambiguous table name: ${alias}`, from.pos);
        scope.sources.push(src);
        items.push({ src, table, rows: null, rowsLabel: '', joinType: 'INNER', on: [], indexedBy: from.indexedBy, pos: items.length });
        return;
      }
      const view = this.ctx.catalog.views.get(nm);
      if (view) {
        let shared = this.viewPlans.get(nm);
        if (shared === undefined) {
          if (this.viewsPlanning.has(nm)) throw sqlErr(`view ${view.name} is circularly defined`, from.pos);
          this.viewsPlanning.add(nm);
          try {
            const plan = this.nested(() => this.query(view.query, this.rootScope()));
            shared = { plan, cols: plan.columns.map((c, i) => ({ ...c, name: view.columns?.[i] ?? c.name })), key: {} };
          } finally {
            this.viewsPlanning.delete(nm);
          }
          this.viewPlans.set(nm, shared);
        }
        items.push(this.planItem(alias, shared.cols.map((c) => ({ ...c })), slot, scope, items.length, shared.plan, `SCAN ${alias}`, shared.key));
        return;
      }
      throw sqlErr(`no such table: ${from.schema ? `${from.schema}.` : ''}${from.name}`, from.pos);
    }
    // Subquery in FROM
    const alias = from.alias ?? `(subquery-${slot})`;
    this.explain.push([this.depth, `MATERIALIZE ${alias}`]);
    const plan = this.nested(() => this.query(from.query, scope));
    items.push(this.planItem(alias, plan.columns.map((c) => ({ ...c })), slot, scope, items.length, plan, `SCAN ${alias}`));
  }

  /** One more level of nested query planning; TOO_BIG past MAX_QUERY_NESTING. */
  private enterNested(): void {
    if (this.depth >= MAX_QUERY_NESTING) {
      throw new HeliosError('TOO_BIG', `views, common table expressions and subqueries nested more than ${MAX_QUERY_NESTING} levels deep`);
    }
    this.depth++;
  }

  private nested<T>(fn: () => T): T {
    this.enterNested();
    try {
      return fn();
    } finally {
      this.depth--;
    }
  }

  private rowsItem(alias: string, cols: ColMeta[], slot: number, scope: Scope, pos: number, rows: RowsProducer, label: string): Item {
    if (scope.sources.some((s) => fold(s.name) === fold(alias))) throw sqlErr(`ambiguous table name: ${alias}`);
    const src: Source = { slot, name: alias, columns: cols, rowidIndex: -1, table: null, mergedColumns: new Set(), width: cols.length };
    scope.sources.push(src);
    return { src, table: null, rows, rowsLabel: label, joinType: 'INNER', on: [], indexedBy: null, pos };
  }

  private planItem(alias: string, cols: ColMeta[], slot: number, scope: Scope, pos: number, plan: SubPlan, label: string, key: object = {}): Item {
    const pull = plan.pull;
    const rows: RowsProducer =
      pull !== undefined
        ? (f) => {
            // Rows are read from the plan only as far as a reader gets, and kept for the next reader.
            let lazy = plan.correlated ? undefined : (f.cache.get(key) as LazyRows | undefined);
            if (lazy === undefined) {
              lazy = lazyRows(pull(f));
              if (!plan.correlated) f.cache.set(key, lazy);
            }
            return lazy.rows;
          }
        : (f) => {
            if (!plan.correlated) {
              const c = f.cache.get(key);
              if (c !== undefined) return c as Row[];
            }
            const out: Row[] = [];
            plan.run(f, (r) => (out.push(r), true));
            if (!plan.correlated) f.cache.set(key, out);
            return out;
          };
    const item = this.rowsItem(alias, cols, slot, scope, pos, rows, label);
    if (plan.correlated) scope.correlated = true;
    return item;
  }

  private cteItem(cte: CteDef, alias: string, slot: number, scope: Scope, pos: number): Item {
    if (cte.working !== null) {
      // A recursive reference inside the CTE's own recursive part.
      const holder = cte.working;
      return this.rowsItem(alias, cte.workingCols!.map((c) => ({ ...c })), slot, scope, pos, () => holder.rows, `SCAN ${alias}`);
    }
    if (cte.planned !== null) {
      const { plan, cols, key } = cte.planned;
      return this.planItem(alias, cols.map((c) => ({ ...c })), slot, scope, pos, plan, `SCAN ${alias}`, key);
    }
    if (cte.planning) throw sqlErr(`circular reference: ${cte.name}`);
    cte.planning = true;
    try {
      return this.cteItemFirst(cte, alias, slot, scope, pos);
    } finally {
      cte.planning = false;
    }
  }

  /** The first reference to `cte`: plans it and keeps the plan for the others. */
  private cteItemFirst(cte: CteDef, alias: string, slot: number, scope: Scope, pos: number): Item {
    const q = cte.query;
    const selfRef = cte.recursive && q.body.kind === 'Compound' && (q.body.op === 'UNION' || q.body.op === 'UNION ALL') && mentionsTable(q.body.right, cte.name);
    if (!selfRef) {
      const plan = this.nested(() => this.query(q, cte.scope));
      const cols = plan.columns.map((c, i) => ({ ...c, name: cte.columns?.[i] ?? c.name }));
      if (cte.columns && cte.columns.length !== plan.columns.length) {
        throw sqlErr(`table ${cte.name} has ${plan.columns.length} values for ${cte.columns.length} columns`);
      }
      cte.planned = { plan, cols, key: {} };
      return this.planItem(alias, cols.map((c) => ({ ...c })), slot, scope, pos, plan, `SCAN ${alias}`, cte.planned.key);
    }
    // Recursive CTE: initial part, then the recursive part over a working set until it is empty.
    const body = q.body as Extract<QueryBody, { kind: 'Compound' }>;
    const cteScope = new Scope(cte.scope, this.comp);
    const init = this.nested(() => this.body(body.left, cteScope));
    const cols: ColMeta[] = init.columns.map((c, i) => ({ ...c, name: cte.columns?.[i] ?? c.name }));
    const holder = { rows: [] as Row[] };
    cte.working = holder;
    cte.workingCols = cols;
    let rec: QueryPlan;
    try {
      rec = this.nested(() => this.body(body.right, cteScope));
    } finally {
      cte.working = null;
    }
    const distinct = body.op === 'UNION';
    const limitEv = q.limit ? this.comp.compile(q.limit, cteScope).ev : null;
    const offsetEv = q.offset ? this.comp.compile(q.offset, cteScope).ev : null;
    const colls = cols.map((c) => c.coll);
    // Rows are produced step by step (a generator), so a reader that stops early — `LIMIT` on the
    // outer query — stops the recursion too, as in SQLite: `WITH RECURSIVE c(x) AS (SELECT 1 UNION
    // ALL SELECT x+1 FROM c) SELECT x FROM c LIMIT 5` ends. Each step (the initial part, one run of
    // the recursive part over one row) runs to completion before the next row is handed out.
    function* pull(f: Frame): Generator<Row, void, undefined> {
      let lim = limitEv ? limitValue(limitEv(f), 'LIMIT') : -1;
      let off = offsetEv ? Math.max(0, limitValue(offsetEv(f), 'OFFSET')) : 0;
      const seen = distinct ? new Set<string>() : null;
      let queue: Row[] = [];
      const accept = (r: Row): boolean => {
        if (seen) {
          const k = rowKey(r, colls);
          if (seen.has(k)) return true;
          seen.add(k);
        }
        queue.push(r);
        return true;
      };
      init.run(f, accept);
      while (queue.length > 0) {
        const batch = queue;
        queue = [];
        for (const r of batch) {
          if (off > 0) off--;
          else {
            yield r;
            if (lim > 0 && --lim === 0) return;
          }
          holder.rows = [r];
          rec.run(f, accept);
        }
        if (lim === 0) return;
      }
    }
    const plan: SubPlan = {
      columns: cols,
      correlated: init.correlated || rec.correlated,
      pull,
      run: (f, emit) => {
        for (const r of pull(f)) if (!emit(r)) return;
      },
    };
    cte.planned = { plan, cols, key: {} };
    return this.planItem(alias, cols.map((c) => ({ ...c })), slot, scope, pos, plan, `SCAN ${alias}`, cte.planned.key);
  }

  // -------------------------------------------------------------------------
  // Join ordering and access paths

  private orderJoins(items: Item[], conj: Conjunct[], scope: Scope, local: Set<number>): Level[] {
    const terms: AccessTerm[] = [];
    for (const c of conj) this.accessTerms(c.expr, scope, terms);
    const onTerms = new Map<Item, AccessTerm[]>();
    for (const it of items) {
      if (it.joinType === 'LEFT') {
        const ts: AccessTerm[] = [];
        const raw = (it as Item & { onExprs?: Expr[] }).onExprs ?? [];
        for (const e of raw) this.accessTerms(e, scope, ts);
        onTerms.set(it, ts);
      }
    }
    const placed: Level[] = [];
    const avail = new Set<number>();
    const remaining = [...items];
    const hasLeft = items.some((i) => i.joinType === 'LEFT');
    while (remaining.length > 0) {
      let best: { i: number; access: Access; cost: number } | null = null;
      for (let i = 0; i < remaining.length; i++) {
        const it = remaining[i]!;
        if (hasLeft && i > 0) break; // keep source order when outer joins are present
        const usable = it.joinType === 'LEFT' ? onTerms.get(it)! : terms;
        const a = this.bestAccess(it, usable, avail, local);
        if (best === null || a.cost < best.cost) best = { i, ...a };
      }
      const it = remaining.splice(best!.i, 1)[0]!;
      placed.push({ item: it, access: best!.access, filters: [], onFilters: [], cost: best!.cost });
      avail.add(it.src.slot);
    }
    return placed;
  }

  /** Decomposes a conjunct into access terms (both orientations for column = column). */
  private accessTerms(e: Expr, scope: Scope, out: AccessTerm[]): void {
    const side = (x: Expr): { c: CExpr; slots: Set<number> } | null => {
      const set = new Set<number>();
      scope.collectors.push(set);
      try {
        return { c: this.comp.compile(x, scope), slots: set };
      } catch {
        return null;
      } finally {
        scope.collectors.pop();
      }
    };
    const add = (col: { c: CExpr; slots: Set<number> }, op: AccessTerm['op'], val: { c: CExpr; slots: Set<number> } | null, vals: { c: CExpr; slots: Set<number> }[] | null, cmpColl?: Collation): void => {
      const cc = col.c.column;
      if (!cc || cc.source.table === null && op !== '=') return;
      const slots = new Set<number>();
      for (const v of val ? [val] : (vals ?? [])) for (const s of v.slots) slots.add(s);
      if (slots.has(cc.slot)) return;
      const vc = val?.c ?? null;
      const aff = vc ? comparisonAffinity(col.c.aff, vc.aff) : col.c.aff === 'TEXT' ? 'TEXT' : comparisonAffinity(col.c.aff, null);
      const coll: Collation = cmpColl ?? (col.c.explicitColl ? col.c.coll! : vc && vc.explicitColl ? vc.coll! : (col.c.coll ?? vc?.coll ?? 'BINARY'));
      out.push({ slot: cc.slot, col: cc.index, op, value: vc, values: vals ? vals.map((v) => v.c) : null, valueSlots: slots, aff, coll });
    };
    if (e.kind === 'Binary') {
      const op = e.op;
      if (op === '=' || op === '<' || op === '<=' || op === '>' || op === '>=' || op === 'IS') {
        if (e.left.kind === 'Row' || e.right.kind === 'Row') return;
        const l = side(e.left);
        const r = side(e.right);
        if (!l || !r) return;
        const o = op === 'IS' ? '=' : op;
        if (op === 'IS') {
          // IS matches NULLs too: only usable when the value side can never be NULL; keep it simple.
          return;
        }
        // The comparison's collation comes from the operands in written order, whichever side is probed.
        const cmpColl: Collation = l.c.explicitColl ? l.c.coll! : r.c.explicitColl ? r.c.coll! : (l.c.coll ?? r.c.coll ?? 'BINARY');
        if (l.c.column) add(l, o, r, null, cmpColl);
        if (r.c.column) add(r, flip(o), l, null, cmpColl);
      }
      return;
    }
    if (e.kind === 'Between' && !e.not) {
      const x = side(e.expr);
      const lo = side(e.low);
      const hi = side(e.high);
      if (x && lo && hi && x.c.column) {
        add(x, '>=', lo, null);
        add(x, '<=', hi, null);
      }
      return;
    }
    if (e.kind === 'InList' && !e.not && e.items.length > 0) {
      const x = side(e.expr);
      if (!x || !x.c.column) return;
      const vs: { c: CExpr; slots: Set<number> }[] = [];
      for (const it of e.items) {
        const v = side(it);
        if (!v) return;
        vs.push(v);
      }
      // Each item may carry its own affinity; only use when they agree.
      const affs = new Set([comparisonAffinity(x.c.aff, null)]);
      const colls = new Set([x.c.coll ?? 'BINARY']);
      const cc = x.c.column!;
      const slots = new Set<number>();
      for (const v of vs) for (const s of v.slots) slots.add(s);
      if (slots.has(cc.slot)) return;
      out.push({ slot: cc.slot, col: cc.index, op: 'IN', value: null, values: vs.map((v) => v.c), valueSlots: slots, aff: [...affs][0]!, coll: ([...colls][0] ?? 'BINARY') as Collation });
    }
  }

  private bestAccess(it: Item, terms: AccessTerm[], avail: Set<number>, local: Set<number>): { access: Access; cost: number } {
    const slot = it.src.slot;
    const ready = (t: AccessTerm): boolean => {
      for (const s of t.valueSlots) if (local.has(s) && !avail.has(s)) return false;
      return true;
    };
    const mine = terms.filter((t) => t.slot === slot && ready(t));
    const t = it.table;
    const joinTerm = (m: AccessTerm): boolean => [...m.valueSlots].some((x) => local.has(x));
    if (t === null) {
      const eq = mine.find((m) => m.op === '=' && joinTerm(m));
      if (eq) return { access: { kind: 'hash', term: eq }, cost: 30 };
      return { access: { kind: 'rows' }, cost: SCAN_COST };
    }
    const rowidCols = new Set<number>([it.src.rowidIndex]);
    if (t.rowidAlias >= 0) rowidCols.add(t.rowidAlias);
    const numericAff = (a: Affinity | null): boolean => a === 'INTEGER' || a === 'NUMERIC' || a === 'REAL';
    // A scan filtered by constant terms is expected to produce fewer rows (SQLite's heuristic, roughly).
    const constEq = mine.filter((m) => !joinTerm(m) && (m.op === '=' || m.op === 'IN')).length;
    const constRange = mine.filter((m) => !joinTerm(m) && m.op !== '=' && m.op !== 'IN').length;
    const scanCost = SCAN_COST / (1 + 3 * constEq + constRange);
    let best: { access: Access; cost: number } = { access: { kind: 'scan', reverse: false }, cost: scanCost };
    const consider = (access: Access, cost: number): void => {
      if (cost < best.cost) best = { access, cost };
    };
    if (it.indexedBy !== false) {
      for (const m of mine) {
        if (!rowidCols.has(m.col) || !numericAff(m.aff)) continue;
        if (m.op === '=') consider({ kind: 'rowidEq', values: [m.value!] }, 1);
        else if (m.op === 'IN') consider({ kind: 'rowidEq', values: [...m.values!] }, 1 + m.values!.length);
      }
      const lo = mine.find((m) => rowidCols.has(m.col) && numericAff(m.aff) && (m.op === '>' || m.op === '>='));
      const hi = mine.find((m) => rowidCols.has(m.col) && numericAff(m.aff) && (m.op === '<' || m.op === '<='));
      if (lo || hi) consider({ kind: 'rowidRange', lo: lo ?? null, hi: hi ?? null, reverse: false }, lo && hi ? 40 : 60);
      for (const ix of t.indexes) {
        if (ix.where !== null) continue;
        if (typeof it.indexedBy === 'string' && fold(it.indexedBy) !== fold(ix.name)) continue;
        const eq: AccessTerm[] = [];
        let inTerm: AccessTerm | null = null;
        let k = 0;
        for (; k < ix.columns.length; k++) {
          const ic = ix.columns[k]!;
          if (ic.column < 0) break;
          const colAff = t.columns[ic.column]!.affinity;
          const ok = (m: AccessTerm): boolean => m.col === ic.column && m.coll === ic.collation && affOk(colAff, m.aff);
          const e = mine.find((m) => m.op === '=' && ok(m));
          if (e) {
            eq.push(e);
            continue;
          }
          if (inTerm === null && k === 0) {
            const inn = mine.find((m) => m.op === 'IN' && ok(m));
            if (inn) {
              inTerm = inn;
              continue;
            }
          }
          break;
        }
        let rlo: AccessTerm | null = null;
        let rhi: AccessTerm | null = null;
        const next = ix.columns[k];
        if (next && next.column >= 0) {
          const colAff = t.columns[next.column]!.affinity;
          const ok = (m: AccessTerm): boolean => m.col === next.column && m.coll === next.collation && affOk(colAff, m.aff);
          rlo = mine.find((m) => (m.op === '>' || m.op === '>=') && ok(m)) ?? null;
          rhi = mine.find((m) => (m.op === '<' || m.op === '<=') && ok(m)) ?? null;
        }
        const n = eq.length + (inTerm ? 1 : 0);
        if (n === 0 && !rlo && !rhi) continue;
        let cost: number;
        if (ix.unique && n === ix.columns.length && !inTerm) cost = 2;
        else if (n > 0) cost = 20 - Math.min(n, 10) + (inTerm ? inTerm.values!.length : 0) - (rlo || rhi ? 1 : 0);
        else cost = rlo && rhi ? 45 : 65;
        consider({ kind: 'index', index: ix, eq, inTerm, lo: rlo, hi: rhi, reverse: false, ordered: false }, cost);
      }
    }
    if (best.access.kind === 'scan') {
      const eq = mine.find((m) => m.op === '=' && joinTerm(m));
      if (eq && it.indexedBy !== false) consider({ kind: 'hash', term: eq }, 30);
    }
    return best;
  }

  /** Switches the first level to an ordered access when that satisfies ORDER BY. Returns true on success. */
  private orderFromAccess(levels: Level[], terms: { out: number; ev: Ev | null; desc: boolean; nullsFirst: boolean; coll: Collation; expr: Expr }[], hasLimit: boolean): boolean {
    const first = levels[0]!;
    const it = first.item;
    const t = it.table;
    if (t === null) return false;
    // Each term must be a plain column of the first table.
    const cols: { col: number; desc: boolean; nullsFirst: boolean; coll: Collation }[] = [];
    for (const term of terms) {
      let e = term.expr;
      while (e.kind === 'Collate') e = e.expr;
      if (e.kind !== 'Column') return false;
      if (e.table !== null && fold(e.table) !== fold(it.src.name)) return false;
      const name = fold(e.column);
      let col = t.columnIndex.get(name);
      if (col === undefined && (name === 'rowid' || name === 'oid' || name === '_rowid_')) col = -2;
      if (col === undefined) return false;
      if (col === t.rowidAlias) col = -2;
      // NULLs come first ascending, last descending in index order.
      if (term.nullsFirst !== !term.desc) return false;
      cols.push({ col, desc: term.desc, nullsFirst: term.nullsFirst, coll: term.coll });
    }
    const a = first.access;
    // Rowid order.
    if (cols.length === 1 && cols[0]!.col === -2) {
      if (a.kind === 'scan' || a.kind === 'rowidRange') {
        (a as { reverse: boolean }).reverse = cols[0]!.desc;
        return true;
      }
      if (a.kind === 'rowidEq' && a.values.length === 1) return true;
      return false;
    }
    const matchIndex = (ix: IndexInfo, skip: number): boolean | null => {
      if (cols.length > ix.columns.length - skip) {
        // The rowid may finish the order after all index columns.
        if (cols.length !== ix.columns.length - skip + 1 || cols[cols.length - 1]!.col !== -2) return null;
      }
      let dir: boolean | null = null;
      for (let i = 0; i < cols.length; i++) {
        const c = cols[i]!;
        const ic = ix.columns[skip + i];
        if (ic === undefined) {
          if (c.col !== -2) return null;
          const rev = c.desc;
          if (dir !== null && dir !== rev) return null;
          dir = rev;
          continue;
        }
        if (ic.column !== c.col || ic.collation !== c.coll) return null;
        if (t.columns[c.col]?.collation !== c.coll && ic.collation !== c.coll) return null;
        const rev = c.desc !== ic.desc;
        if (dir !== null && dir !== rev) return null;
        dir = rev;
      }
      return dir;
    };
    if (a.kind === 'index' && a.inTerm === null) {
      const dir = matchIndex(a.index, a.eq.length);
      if (dir !== null) {
        a.reverse = dir;
        a.ordered = true;
        return true;
      }
      return false;
    }
    if (a.kind === 'scan' && hasLimit && it.indexedBy !== false) {
      for (const ix of t.indexes) {
        if (ix.where !== null || ix.columns.some((c) => c.column < 0)) continue;
        const dir = matchIndex(ix, 0);
        if (dir !== null) {
          (levels as Level[])[0] = { ...first, access: { kind: 'index', index: ix, eq: [], inTerm: null, lo: null, hi: null, reverse: dir, ordered: true } };
          return true;
        }
      }
    }
    return false;
  }

  /** Builds the nested loops; returns run(frame, inner) where inner is called per joined row. */
  private buildLoops(levels: Level[], conj: Conjunct[], local: Set<number>): (f: Frame, inner: () => boolean) => void {
    const order = levels.map((l) => l.item.src.slot);
    const levelOf = (slots: Set<number>): number => {
      let lv = -1;
      for (const s of slots) {
        if (!local.has(s)) continue;
        lv = Math.max(lv, order.indexOf(s));
      }
      return lv;
    };
    const pre: Ev[] = [];
    for (const c of conj) {
      const lv = levelOf(c.slots);
      if (lv < 0) pre.push(c.ev);
      else levels[lv]!.filters.push(c.ev);
    }
    for (const l of levels) for (const c of l.item.on) l.onFilters.push(c.ev);
    const store = this.ctx.store;
    const cacheScans = this.statementQuery > 0;
    const holder = { inner: (): boolean => true };
    let chain: ((f: Frame) => boolean) | null = null;
    const makeLevel = (l: Level, next: (f: Frame) => boolean): ((f: Frame) => boolean) => {
      const slot = l.item.src.slot;
      const filters = l.filters;
      const nf = filters.length;
      const onF = l.onFilters;
      const isLeft = l.item.joinType === 'LEFT';
      const width = l.item.src.width;
      const iterate = makeIterator(l, store, cacheScans);
      if (!isLeft) {
        return (f) => {
          let cont = true;
          iterate(f, (row) => {
            f.rows[slot] = row;
            for (let i = 0; i < nf; i++) if (isTruthy(filters[i]!(f)) !== true) return true;
            cont = next(f);
            return cont;
          });
          return cont;
        };
      }
      const nulls = nullRow(width);
      return (f) => {
        let cont = true;
        let matched = false;
        iterate(f, (row) => {
          f.rows[slot] = row;
          for (const o of onF) if (isTruthy(o(f)) !== true) return true;
          matched = true;
          for (let i = 0; i < nf; i++) if (isTruthy(filters[i]!(f)) !== true) return true;
          cont = next(f);
          return cont;
        });
        if (!matched && cont) {
          f.rows[slot] = nulls;
          for (let i = 0; i < nf; i++) if (isTruthy(filters[i]!(f)) !== true) return true;
          cont = next(f);
        }
        return cont;
      };
    };
    return (f, inner) => {
      if (chain === null) {
        let fn: (f: Frame) => boolean = () => holder.inner();
        for (let i = levels.length - 1; i >= 0; i--) fn = makeLevel(levels[i]!, fn);
        chain = fn;
      }
      for (const p of pre) if (isTruthy(p(f)) !== true) return;
      const saved = holder.inner;
      holder.inner = inner;
      try {
        chain(f);
      } finally {
        holder.inner = saved;
      }
    };
  }
}

interface Group {
  keyVals: SqlValue[];
  accs: Accumulator[];
  distinctSets: (Set<string> | null)[];
  rows: Row[] | null;
}

/** sqlite_schema rows in creation order (object id), sqlite_sequence among them where SQLite puts it. */
function schemaRows(catalog: Catalog): Row[] {
  const out: Row[] = [];
  // A database made before sqlite_sequence had its own entry shows it after its first AUTOINCREMENT table.
  let seqShown = catalog.sequenceRow() !== undefined;
  for (const r of catalog.rows) {
    out.push([r.type, r.name, r.tblName, r.id, r.sql]);
    if (!seqShown && r.type === 'table' && catalog.table(r.name)?.autoincrement) {
      seqShown = true;
      out.push(['table', 'sqlite_sequence', 'sqlite_sequence', 0, 'CREATE TABLE sqlite_sequence(name,seq)']);
    }
  }
  return out;
}

function affOk(colAff: Affinity, cmpAff: Affinity | null): boolean {
  const numeric = colAff === 'INTEGER' || colAff === 'REAL' || colAff === 'NUMERIC';
  if (numeric) return cmpAff === 'NUMERIC' || cmpAff === 'INTEGER' || cmpAff === 'REAL';
  if (colAff === 'TEXT') return cmpAff === 'TEXT' || cmpAff === null;
  return cmpAff === null;
}

function flip(op: '=' | '<' | '<=' | '>' | '>='): '=' | '<' | '<=' | '>' | '>=' {
  switch (op) {
    case '<':
      return '>';
    case '<=':
      return '>=';
    case '>':
      return '<';
    case '>=':
      return '<=';
    default:
      return '=';
  }
}

export function nullRow(width: number): Row {
  return new Array<SqlValue>(width).fill(null);
}

/** Decodes a stored row of `t` into [...columns, rowid] (missing trailing columns get their defaults). */
export function decodeTableRow(t: TableInfo, rowid: number | bigint, bytes: Uint8Array): Row {
  const vals = decodeRow(bytes);
  const n = t.columns.length;
  if (vals.length < n) {
    for (let i = vals.length; i < n; i++) vals.push(addedColumnDefault(t, i));
  } else if (vals.length > n) vals.length = n;
  if (t.rowidAlias >= 0) vals[t.rowidAlias] = rowid;
  vals.push(rowid);
  return vals;
}

/** The value a column added by ALTER TABLE ADD COLUMN has in rows written before it existed. */
function addedColumnDefault(t: TableInfo, i: number): SqlValue {
  return t.columns[i]!.absentValue ?? null;
}

/**
 * Decodes a stored row into a Row: the columns some expression of the query
 * reads (src.used; all when unknown) in one pass over the row header, the
 * others left NULL, the rowid alias and the trailing rowid filled in.
 */
function rowDecoder(t: TableInfo, src: Source): (rowid: number | bigint, bytes: Uint8Array) => Row {
  const used = src.used;
  const n = t.columns.length;
  const alias = t.rowidAlias;
  const want: number[] = [];
  for (let i = 0; i < n; i++) if ((used === undefined || used[i] === true) && i !== alias) want.push(i);
  const lastWanted = want.length > 0 ? want[want.length - 1]! : -1;
  const template = nullRow(n + 1);
  return (rid, b) => {
    const row = template.slice();
    const stored = decodeColumnsInto(b, want, row);
    // Columns added by ALTER TABLE after the row was written take their default.
    if (stored <= lastWanted) for (const i of want) if (i >= stored) row[i] = addedColumnDefault(t, i);
    if (alias >= 0) row[alias] = rid;
    row[n] = rid;
    return row;
  };
}

/**
 * Rows a full table scan keeps for later runs within one execution (more
 * are streamed again on each run instead).
 */
const SCAN_CACHE_ROWS = 10_000;
const SCAN_TOO_BIG = 2;

/**
 * Creates the row iterator of one level. With `cacheScans`, a full table
 * scan run a second time within one execution (frame) reads the table into
 * an array, at most SCAN_CACHE_ROWS rows, that later runs iterate.
 */
function makeIterator(l: Level, store: () => Overlay, cacheScans: boolean): (f: Frame, cb: (row: Row) => boolean) => void {
  const a = l.access;
  const it = l.item;
  const t = it.table;
  // Rows of a stored table; `t` is null only for 'rows' and 'hash' over computed rows.
  const decode = t === null ? (): Row => [] : rowDecoder(t, it.src);
  switch (a.kind) {
    case 'rows': {
      const rows = it.rows!;
      return (f, cb) => {
        for (const r of rows(f)) if (!cb(r)) return;
      };
    }
    case 'hash': {
      const term = a.term;
      const col = term.col;
      const aff = term.aff;
      const coll = term.coll;
      const key = {};
      const probe = term.value!.ev;
      const all: (f: Frame) => Iterable<Row> = t === null ? it.rows! : () => scanAll(store(), t, decode);
      return (f, cb) => {
        const cached = f.cache.get(key) as { rows: Row[] | null; map: Map<string, Row[]> } | undefined;
        const srcRows = t === null ? all(f) : null;
        let map: Map<string, Row[]>;
        if (cached !== undefined && cached.rows === srcRows) map = cached.map;
        else {
          map = new Map();
          for (const r of srcRows ?? all(f)) {
            let v: SqlValue = r[col]!;
            if (v === null) continue;
            if (aff !== null) v = applyComparisonAffinity(v, aff);
            const k = valueKey(v, coll);
            const list = map.get(k);
            if (list) list.push(r);
            else map.set(k, [r]);
          }
          f.cache.set(key, { rows: srcRows, map });
        }
        let v = probe(f);
        if (v === null) return;
        if (aff !== null) v = applyComparisonAffinity(v, aff);
        const list = map.get(valueKey(v, coll));
        if (list) for (const r of list) if (!cb(r)) return;
      };
    }
    case 'scan': {
      const tt = t!;
      const lo = objectPrefix(tt.id);
      const hi = prefixEnd(lo);
      const reverse = a.reverse;
      const stream = (cb: (row: Row) => boolean): void => {
        const cur = store().scan(lo, hi, reverse);
        try {
          while (cur.next()) if (!cb(decode(readRowid(cur.key(), 4), cur.value()))) return;
        } finally {
          cur.close();
        }
      };
      if (!cacheScans) return (_f, cb) => stream(cb);
      const key = {};
      return (f, cb) => {
        const cached = f.cache.get(key) as Row[] | 1 | typeof SCAN_TOO_BIG | undefined;
        if (cached === undefined || cached === SCAN_TOO_BIG) {
          // The first run streams: most scans run once.
          if (cached === undefined) f.cache.set(key, 1);
          stream(cb);
          return;
        }
        if (cached !== 1) {
          for (let i = 0; i < cached.length; i++) if (!cb(cached[i]!)) return;
          return;
        }
        const cur = store().scan(lo, hi, reverse);
        try {
          const rows: Row[] = [];
          let more = false;
          while (cur.next()) {
            rows.push(decode(readRowid(cur.key(), 4), cur.value()));
            if (rows.length > SCAN_CACHE_ROWS) {
              more = true;
              break;
            }
          }
          f.cache.set(key, more ? SCAN_TOO_BIG : rows);
          for (let i = 0; i < rows.length; i++) if (!cb(rows[i]!)) return;
          if (more) while (cur.next()) if (!cb(decode(readRowid(cur.key(), 4), cur.value()))) return;
        } finally {
          cur.close();
        }
      };
    }
    case 'rowidEq': {
      const tt = t!;
      const evs = a.values.map((v) => v.ev);
      return (f, cb) => {
        const s = store();
        const seen = evs.length > 1 ? new Set<string>() : null;
        for (const ev of evs) {
          const id = rowidProbe(ev(f));
          if (id === null) continue;
          if (seen) {
            const k = String(id);
            if (seen.has(k)) continue;
            seen.add(k);
          }
          const v = s.get(tableRowKey(tt.id, id));
          if (v !== undefined && !cb(decode(id, v))) return;
        }
      };
    }
    case 'rowidRange': {
      const tt = t!;
      const base = objectPrefix(tt.id);
      const end = prefixEnd(base);
      const loEv = a.lo?.value?.ev ?? null;
      const hiEv = a.hi?.value?.ev ?? null;
      const loOp = a.lo?.op;
      const hiOp = a.hi?.op;
      return (f, cb) => {
        let lo = base;
        let hi = end;
        if (loEv) {
          const b = rangeBound(loEv(f));
          if (b === 'none') return;
          if (b !== 'all') lo = tableRowKey(tt.id, loOp === '>' ? ceilAfter(b) : ceilAt(b));
        }
        if (hiEv) {
          const b = rangeBound(hiEv(f));
          if (b === 'none') return;
          if (b !== 'all') {
            const last = hiOp === '<' ? floorBefore(b) : floorAt(b);
            if (last === null) return;
            hi = prefixEnd(tableRowKey(tt.id, last));
          }
        }
        const cur = store().scan(lo, hi, a.reverse);
        try {
          while (cur.next()) if (!cb(decode(readRowid(cur.key(), 4), cur.value()))) return;
        } finally {
          cur.close();
        }
      };
    }
    case 'index': {
      const tt = t!;
      const ix = a.index;
      const keyCols: KeyColumn[] = ix.columns.map((c) => ({ desc: c.desc, collation: c.collation }));
      const eqEvs = a.eq.map((e) => ({ ev: e.value!.ev, aff: e.aff }));
      const inTerm = a.inTerm;
      const loT = a.lo;
      const hiT = a.hi;
      // Equality on every column of a UNIQUE index: an entry without NULLs is keyed by the
      // values alone ([FMT-SQLKEY] index entries), so one point read finds it — no range scan.
      const exact = ix.unique && !inTerm && !loT && !hiT && eqEvs.length === ix.columns.length;
      return (f, cb) => {
        const s = store();
        if (exact) {
          const vals: SqlValue[] = [];
          for (const e of eqEvs) {
            let x = e.ev(f);
            if (x === null) return;
            if (e.aff !== null) x = applyComparisonAffinity(x, e.aff);
            vals.push(x);
          }
          const entry = s.get(prefixed(ix.id, encodeKey(vals, keyCols)));
          if (entry === undefined) return;
          const rid = readRowid(entry, 0);
          const v = s.get(tableRowKey(tt.id, rid));
          if (v === undefined) throw new HeliosError('CORRUPTION', `index ${ix.name} points at a missing row`);
          cb(decode(rid, v));
          return;
        }
        const prefixes: SqlValue[][] = [];
        const eqVals: SqlValue[] = [];
        // IN on the first column: one probe per distinct value.
        if (inTerm) {
          const seen = new Set<string>();
          for (const v of inTerm.values!) {
            let x = v.ev(f);
            if (x === null) continue;
            if (inTerm.aff !== null) x = applyComparisonAffinity(x, inTerm.aff);
            const k = valueKey(x, inTerm.coll);
            if (seen.has(k)) continue;
            seen.add(k);
            prefixes.push([x]);
          }
          prefixes.sort((p, q) => compareValues(p[0]!, q[0]!, inTerm.coll) * (keyCols[0]!.desc ? -1 : 1));
        } else prefixes.push([]);
        for (const e of eqEvs) {
          let x = e.ev(f);
          if (x === null) return;
          if (e.aff !== null) x = applyComparisonAffinity(x, e.aff);
          eqVals.push(x);
        }
        for (const pre of prefixes) {
          const vals = [...pre, ...eqVals];
          const prefixBytes = encodeKey(vals, keyCols);
          const basePrefix = prefixed(ix.id, prefixBytes);
          let lo = basePrefix;
          let hi = prefixSuccessor(basePrefix) ?? prefixEnd(basePrefix);
          const n = vals.length;
          // For a DESC column larger values have smaller keys: the terms swap ends.
          const desc = ix.columns[n]?.desc === true;
          const startT = desc ? hiT : loT;
          const endT = desc ? loT : hiT;
          if (startT) {
            let x = startT.value!.ev(f);
            if (x === null) return;
            if (startT.aff !== null) x = applyComparisonAffinity(x, startT.aff);
            const k = prefixed(ix.id, encodeKey([...vals, x], keyCols));
            lo = startT.op === '>' || startT.op === '<' ? (prefixSuccessor(k) ?? prefixEnd(k)) : k;
          } else if (!desc && ix.columns[n] !== undefined && endT !== null) {
            // Skip NULLs: a range comparison is never true for NULL.
            lo = prefixSuccessor(prefixed(ix.id, encodeKey([...vals, null], keyCols))) ?? lo;
          }
          if (endT) {
            let x = endT.value!.ev(f);
            if (x === null) return;
            if (endT.aff !== null) x = applyComparisonAffinity(x, endT.aff);
            const k = prefixed(ix.id, encodeKey([...vals, x], keyCols));
            hi = endT.op === '<' || endT.op === '>' ? k : (prefixSuccessor(k) ?? prefixEnd(k));
          }
          const cur = s.scan(lo, hi, a.reverse);
          try {
            while (cur.next()) {
              const rid = readRowid(cur.value(), 0);
              const v = s.get(tableRowKey(tt.id, rid));
              if (v === undefined) throw new HeliosError('CORRUPTION', `index ${ix.name} points at a missing row`);
              if (!cb(decode(rid, v))) return;
            }
          } finally {
            cur.close();
          }
        }
      };
    }
  }
}

/** Every row of a table (for automatic hash indexes). */
function scanAll(s: Overlay, t: TableInfo, decode: (rowid: number | bigint, bytes: Uint8Array) => Row): Row[] {
  const lo = objectPrefix(t.id);
  const cur = s.scan(lo, prefixEnd(lo));
  const out: Row[] = [];
  try {
    while (cur.next()) out.push(decode(readRowid(cur.key(), 4), cur.value()));
  } finally {
    cur.close();
  }
  return out;
}

/** A rowid to probe for `rowid = v` (INTEGER affinity applied), or null when no rowid can match. */
export function rowidProbe(v: SqlValue): number | bigint | null {
  if (v === null) return null;
  const x = applyAffinity(v, 'INTEGER');
  if (typeof x === 'number' && Number.isInteger(x)) return x;
  if (typeof x === 'bigint') return x;
  return null;
}

/** Bound of a rowid range: a number, 'all' (unbounded), or 'none' (no row can match). */
function rangeBound(v: SqlValue): number | 'all' | 'none' {
  if (v === null) return 'none';
  const x = applyAffinity(v, 'NUMERIC');
  if (typeof x === 'number') return x;
  if (typeof x === 'bigint') return Number(x);
  if (typeof x === 'object' && x !== null && !(x instanceof Uint8Array)) return x.value;
  return 'all';
}

const MAX_RID = 9007199254740991;
function ceilAt(b: number): number {
  return Math.max(-MAX_RID, Math.min(MAX_RID, Math.ceil(b)));
}
function ceilAfter(b: number): number {
  return Math.max(-MAX_RID, Math.min(MAX_RID, Number.isInteger(b) ? b + 1 : Math.ceil(b)));
}
function floorAt(b: number): number | null {
  return Math.max(-MAX_RID, Math.min(MAX_RID, Math.floor(b)));
}
function floorBefore(b: number): number | null {
  return Math.max(-MAX_RID, Math.min(MAX_RID, Number.isInteger(b) ? b - 1 : Math.floor(b)));
}

function describeLevel(l: Level): string {
  const tname = l.item.src.name;
  const a = l.access;
  const colName = (t: AccessTerm): string => {
    const tb = l.item.table;
    if (tb && (t.col === tb.columns.length || t.col === tb.rowidAlias)) return 'rowid';
    return l.item.src.columns[t.col]?.name ?? 'rowid';
  };
  switch (a.kind) {
    case 'scan':
      return `SCAN ${tname}`;
    case 'rows':
      return l.item.rowsLabel || `SCAN ${tname}`;
    case 'rowidEq':
      return `SEARCH ${tname} USING INTEGER PRIMARY KEY (rowid=?)`;
    case 'rowidRange':
      return `SEARCH ${tname} USING INTEGER PRIMARY KEY (${a.lo && a.hi ? 'rowid>? AND rowid<?' : a.lo ? 'rowid>?' : 'rowid<?'})`;
    case 'hash':
      return `SEARCH ${tname} USING AUTOMATIC COVERING INDEX (${colName(a.term)}=?)`;
    case 'index': {
      const parts: string[] = [];
      if (a.inTerm) parts.push(`${colName(a.inTerm)}=?`);
      for (const e of a.eq) parts.push(`${colName(e)}=?`);
      if (a.lo) parts.push(`${colName(a.lo)}>?`);
      if (a.hi) parts.push(`${colName(a.hi)}<?`);
      if (parts.length === 0) return `SCAN ${tname} USING INDEX ${a.index.name}`;
      return `SEARCH ${tname} USING INDEX ${a.index.name} (${parts.join(' AND ')})`;
    }
  }
}

/** The tables and subqueries one FROM clause joins (an explicit stack: the join tree may be of any depth). */
function fromTableCount(from: FromItem): number {
  let n = 0;
  const stack: FromItem[] = [from];
  while (stack.length > 0) {
    const f = stack.pop()!;
    if (f.kind === 'Join') stack.push(f.left, f.right);
    else n++;
  }
  return n;
}

function mentionsTable(b: QueryBody, name: string): boolean {
  const n = fold(name);
  const inFrom = (f: FromItem | null): boolean => {
    if (f === null) return false;
    if (f.kind === 'Table') return fold(f.name) === n;
    if (f.kind === 'Join') return inFrom(f.left) || inFrom(f.right);
    return false;
  };
  if (b.kind === 'SelectCore') return inFrom(b.from);
  if (b.kind === 'Compound') return mentionsTable(b.left, name) || mentionsTable(b.right, name);
  return false;
}

function collateOf(e: Expr): Collation | null {
  return e.kind === 'Collate' ? (e.collation.toUpperCase() as Collation) : null;
}

/**
 * Resolves an ORDER BY term to a result column: an integer K is column K
 * (-2 when out of range); a bare name equal to a result alias/name is that
 * column; an expression identical to a result expression is that column.
 * Returns -1 when the term is an expression to evaluate.
 */
function resultIndexOf(t: OrderingTerm, cols: readonly ColMeta[], exprs: readonly { expr: Expr; alias: string | null }[] | null): number {
  let e = t.expr;
  while (e.kind === 'Collate') e = e.expr;
  const k = positionTerm(e);
  if (k !== null) {
    if (k < 1 || k > cols.length) return -2;
    return k - 1;
  }
  if (e.kind === 'Column' && e.table === null) {
    const n = fold(e.column);
    if (exprs !== null) {
      const i = exprs.findIndex((x) => x.alias !== null && fold(x.alias) === n);
      if (i >= 0) return i;
    } else {
      const i = cols.findIndex((c) => fold(c.name) === n);
      if (i >= 0) return i;
    }
  }
  if (exprs === null) {
    // Compound: also match by the written name of qualified columns.
    if (e.kind === 'Column') {
      const i = cols.findIndex((c) => fold(c.name) === fold((e as { column: string }).column));
      if (i >= 0) return i;
    }
  }
  return -1;
}

/**
 * A GROUP BY / ORDER BY term that names a result column by position: an
 * integer literal (optionally signed) that fits in 32 bits, as SQLite's
 * sqlite3ExprIsInteger accepts; larger integers are ordinary constants.
 */
function positionTerm(e: Expr): number | null {
  let sign = 1;
  let x = e;
  while (x.kind === 'Collate') x = x.expr;
  // SQLite's parser folds `literal IS NULL` / `literal NOTNULL` into the integer 0 / 1.
  const literal = (y: Expr): boolean =>
    y.kind === 'Integer' || y.kind === 'Real' || y.kind === 'String' || y.kind === 'Blob' || (y.kind === 'Unary' && (y.op === '-' || y.op === '+') && literal(y.operand));
  if (x.kind === 'IsNull' && literal(x.expr)) return x.not ? 1 : 0;
  // ... and `x AND 0` / `0 AND x` into the integer 0.
  if (x.kind === 'Binary' && x.op === 'AND' && (positionTerm(x.left) === 0 || positionTerm(x.right) === 0)) return 0;
  if (x.kind === 'Binary' && (x.op === 'IS' || x.op === 'IS NOT') && x.right.kind === 'Null' && literal(x.left)) return x.op === 'IS' ? 0 : 1;
  while (x.kind === 'Unary' && (x.op === '-' || x.op === '+')) {
    if (x.op === '-') sign = -sign;
    x = x.operand;
  }
  if (x.kind !== 'Integer') return null;
  const v = typeof x.value === 'bigint' ? Number.NaN : x.value * sign;
  if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) return null;
  return v;
}

function ordinal(n: number): string {
  const s = ['th', 'st', 'nd', 'rd'];
  const v = n % 100;
  return n + (s[(v - 20) % 10] ?? s[v] ?? s[0]!);
}

interface SortTerm {
  readonly key: number;
  readonly desc: boolean;
  readonly nullsFirst: boolean;
  readonly coll: Collation;
}

/** A produced row waiting for ORDER BY, with its sort keys and production order. */
interface SortItem {
  readonly row: Row;
  readonly keys: SqlValue[];
  readonly seq: number;
}

/** Makes `h` a max-heap under `cmp` (largest first). */
function heapify<T>(h: T[], cmp: (a: T, b: T) => number): void {
  for (let i = (h.length >> 1) - 1; i >= 0; i--) siftDown(h, i, cmp);
}

/** Restores the max-heap property below position `i`. */
function siftDown<T>(h: T[], i: number, cmp: (a: T, b: T) => number): void {
  const n = h.length;
  const x = h[i]!;
  for (;;) {
    let c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && cmp(h[c + 1]!, h[c]!) > 0) c++;
    if (cmp(h[c]!, x) <= 0) break;
    h[i] = h[c]!;
    i = c;
  }
  h[i] = x;
}

function makeSortCompare(terms: readonly SortTerm[]): (a: readonly SqlValue[], b: readonly SqlValue[]) => number {
  return (a, b) => {
    for (const t of terms) {
      const x = a[t.key]!;
      const y = b[t.key]!;
      if (x === null || y === null) {
        if (x === y) continue;
        return (x === null) === t.nullsFirst ? -1 : 1;
      }
      const c = compareValues(x, y, t.coll);
      if (c !== 0) return t.desc ? -c : c;
    }
    return 0;
  };
}

function compareRows(a: readonly SqlValue[], b: readonly SqlValue[], colls: readonly Collation[]): number {
  for (let i = 0; i < a.length; i++) {
    const c = compareValues(a[i]!, b[i]!, colls[i] ?? 'BINARY');
    if (c !== 0) return c;
  }
  return 0;
}

/** SQLite emits UNION/INTERSECT/EXCEPT results in sorted order (they go through a sorter). */
function sortRowsForSet(rows: Row[], colls: readonly Collation[]): void {
  rows.sort((a, b) => compareRows(a, b, colls));
}

export { Frame, Scope };
export type { Row, ColMeta };
