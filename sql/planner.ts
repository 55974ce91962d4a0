/**
 * The query planner: compiles a Query (SELECT, VALUES, compounds, CTEs,
 * subqueries, joins, aggregates) into a plan tree (plan.ts) that exec.ts
 * runs by pulling rows. Planning decides everything; running decides
 * nothing the plan does not show, and EXPLAIN QUERY PLAN prints the tree.
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
import { JSON_AGGREGATES } from './json-functions.ts';
import { lookupTableFunction, tooManyArguments, type VirtualTable } from './vtab.ts';
import type { Expr, FromItem, OrderingTerm, Query, QueryBody, ResultColumn, SelectCore, ValuesBody, WithClause } from './ast.ts';
import { HeliosError } from '../format/errors.ts';
import type { SqlValue } from '../format/sql-value.ts';
import { decodeRow } from '../format/row-codec.ts';
import { type Affinity, type Collation, applyAffinity, comparisonAffinity } from './value.ts';
import type { Catalog, IndexInfo, TableInfo, VirtualTableInfo } from './catalog.ts';
import { connectVirtualTable } from './vtab-ddl.ts';
import { type AggContext, type CExpr, type ColMeta, Compiler, type Ev, Frame, type Row, Scope, type Source, type SubPlan, fold } from './expr-compile.ts';
import { objectPrefix, prefixEnd, readRowid, sequenceKey } from '../format/table-key.ts';
import { TEMP_ID_BASE } from './temp-store.ts';
import type { KvCursor, Overlay } from './txn.ts';
import { MAX_COLUMN, MAX_FROM_TERMS, MAX_JOIN_TABLES, MAX_QUERY_NESTING } from './limits.ts';
import {
  type Access,
  type AccessTerm,
  type ExplainLine,
  type JoinNode,
  type LevelNode,
  type QueryNode,
  type RowsSource,
  type SelectNode,
  type SharedRows,
  type SortTerm,
  type SubqueryNote,
  type WorkingSet,
  describeLevel,
  explainQueryPlan,
} from './plan.ts';
import { type ExecContext, type RowCursor, nullRow, openQuery, rowidProbe, runQuery } from './exec.ts';
import { DEFAULT_TEMP_MEMORY_LIMIT } from './temp-budget.ts';
import type { AggregateDef } from './aggregates.ts';
import { type WindowContext, type WindowNode, resolveWindowClause } from './window.ts';
import { formatExpr } from './ast.ts';

/** What the planner needs from the session. */
export interface PlanContext {
  readonly catalog: Catalog;
  readonly store: () => Overlay;
  /** Bytes of intermediate rows one execution may hold (default DEFAULT_TEMP_MEMORY_LIMIT). */
  readonly tempMemoryLimit?: () => number;
  /** User-defined aggregates by folded name and argument count (Compiler.userAggregate). */
  readonly userAggregate?: (name: string, nargs: number) => AggregateDef | undefined;
  /**
   * Planning a trigger body (sql/trigger.ts): the OLD and NEW rows, visible
   * only qualified (`new.x`), are frame slots 0 and 1 of every execution, and
   * RAISE() compiles through `raise`.
   */
  readonly pseudo?: PseudoRows | null;
}

/** The OLD / NEW rows of a trigger body: their columns (null when the event has no such row). */
export interface PseudoRows {
  readonly old: readonly ColMeta[] | null;
  readonly new: readonly ColMeta[] | null;
  /** Whether the rows carry a rowid after the columns (a table's do, a view's do not). */
  readonly rowid: boolean;
  readonly raise: NonNullable<Compiler['raise']>;
}

/** The frame slots of OLD and NEW in a statement planned with `PlanContext.pseudo`. */
export const OLD_SLOT = 0;
export const NEW_SLOT = 1;

/** A planned query: its plan tree, and how to run it. */
export interface QueryPlan extends SubPlan {
  readonly node: QueryNode;
  /** Pulls the result rows one at a time. */
  open(f: Frame): RowCursor;
}

interface CteDef {
  readonly name: string;
  readonly columns: readonly string[] | null;
  readonly query: Query;
  readonly scope: Scope;
  readonly recursive: boolean;
  /** While compiling a recursive CTE's recursive part: the working-set holder. */
  working: WorkingSet | null;
  workingCols: ColMeta[] | null;
  /** True while the CTE's own query is being planned: a reference then is circular. */
  planning: boolean;
  /** The plan, made at the first reference and shared by every later one (SQLite materialises a CTE used twice). */
  planned: SharedPlan | null;
}

/** A view's or CTE's plan, planned once per statement and shared by its references. */
interface SharedPlan {
  readonly plan: QueryPlan;
  readonly cols: ColMeta[];
  readonly shared: SharedRows;
}


/** A compiled conjunct of WHERE / ON. */
interface Conjunct {
  readonly ev: Ev;
  readonly slots: Set<number>;
  readonly expr: Expr;
}

interface Item {
  readonly src: Source;
  readonly table: TableInfo | null;
  readonly rows: RowsSource | null;
  joinType: 'INNER' | 'LEFT';
  /** ON conjuncts of a LEFT join. */
  readonly on: Conjunct[];
  readonly indexedBy: string | false | null;
  readonly pos: number;
  /** A table-valued function: its positional arguments and the slots they read (its level comes after them). */
  readonly fn?: { readonly vt: VirtualTable; readonly argExprs: readonly Expr[]; args: readonly CExpr[]; readonly deps: Set<number> };
}

/** A compiled operand of a conjunct and the slots it reads. */
interface Side {
  readonly c: CExpr;
  readonly slots: Set<number>;
}

/** What constrains a strict function's parameters (Planner.parameterConstraints). */
interface ParameterConstraints {
  /** `p = value`, `at` the conjunct's position (SQLite offers the constraints in WHERE order). */
  readonly values: (Side & { readonly k: number; readonly at: number })[];
  readonly links: [number, number][];
  /** `p IN (a, b, …)`, or `p = a OR p = b …` (`or`, which SQLite offers after the positional arguments): the function runs once per distinct value. */
  readonly lists: { readonly k: number; readonly items: Side[]; readonly or: boolean; readonly at: number }[];
}

/** A FROM item placed in the join order, while planning. */
interface Level {
  readonly item: Item;
  readonly access: Access;
  readonly cost: number;
}

const SCAN_COST = 1000;

/** A table-valued function argument that cannot bind its parameter (see compileFunctionArgs). */
const UNBOUND: CExpr = { ev: () => null, aff: null, coll: null, explicitColl: false };

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

/**
 * Whether `e` calls an aggregate function outside any subquery. A window call
 * (`sum(x) OVER …`) is not one, but its arguments, FILTER and inline window may
 * hold one (`sum(sum(x)) OVER ()`). `user` tells whether a name and argument
 * count is a user-defined aggregate.
 */
function hasAggregate(root: Expr | null, user: ((name: string, nargs: number) => boolean) | null = null): boolean {
  const walk = (e: Expr | null): boolean => {
    if (e === null) return false;
    switch (e.kind) {
      case 'Function': {
        const n = fold(e.name);
        const nargs = e.star ? 0 : e.args.length;
        if (e.over !== undefined) {
          const w = e.over.kind === 'Window' ? e.over.window : null;
          return e.args.some(walk) || walk(e.filter) || (w !== null && (w.partitionBy.some(walk) || w.orderBy.some((t) => walk(t.expr))));
        }
        if (user !== null && user(n, nargs)) return true;
        if ((n === 'count' || n === 'sum' || n === 'total' || n === 'avg' || n === 'group_concat' || n === 'string_agg') && (nargs > 0 || e.star || n === 'count')) return true;
        if ((n === 'min' || n === 'max') && nargs === 1) return true;
        if (JSON_AGGREGATES.has(n)) return true;
        return e.args.some(walk) || walk(e.filter);
      }
      case 'Unary':
        return walk(e.operand);
      case 'Binary':
        return walk(e.left) || walk(e.right);
      case 'Between':
        return walk(e.expr) || walk(e.low) || walk(e.high);
      case 'InList':
        return walk(e.expr) || e.items.some(walk);
      case 'InSelect':
      case 'InTable':
        return walk(e.expr);
      case 'Like':
        return walk(e.expr) || walk(e.pattern) || walk(e.escape);
      case 'IsNull':
      case 'Collate':
      case 'Cast':
        return walk(e.expr);
      case 'Case':
        return walk(e.base) || e.whens.some((w) => walk(w.when) || walk(w.then)) || walk(e.else);
      case 'Row':
        return e.items.some(walk);
      default:
        return false;
    }
  };
  return walk(root);
}

/** Plans queries of one statement. */
export class Planner {
  readonly comp = new Compiler();
  private depth = 0;
  /** What EXPLAIN QUERY PLAN shows: each statement-level query's plan, and the table reads of UPDATE/DELETE. */
  private readonly roots: (QueryNode | string)[] = [];
  /** Subqueries in expressions, collected for the SELECT core being planned (innermost last). */
  private readonly subStack: SubqueryNote[][] = [];
  /** Subqueries in expressions outside any SELECT core (VALUES, LIMIT, UPDATE … SET). */
  private readonly looseSubs: SubqueryNote[] = [];
  private readonly cx: ExecContext;
  private subqueryCounter = 0;
  /** Views planned in this statement, by folded name: planned once, materialised once per run. */
  private readonly viewPlans = new Map<string, SharedPlan>();
  /** Views whose query is being planned (a reference to one of them is circular). */
  private readonly viewsPlanning = new Set<string>();
  /** The schema of each view being planned, innermost last ('main' or 'temp'). */
  private readonly viewSchemas: ('main' | 'temp')[] = [];
  /** > 0 while planning a statement-level query (`query(q, null)`): its table reads may be cached. */
  private statementQuery = 0;
  private readonly isUserAggregate: ((name: string, nargs: number) => boolean) | null = null;

  /** The scope of OLD and NEW when planning a trigger body, else null. */
  private readonly pseudoScope: Scope | null = null;

  constructor(readonly ctx: PlanContext) {
    this.comp.sub = { compileSubquery: (q, parent) => this.subquery(q, parent) };
    const uf = ctx.catalog.userFunctions;
    const ua = ctx.userAggregate ?? (uf === null ? undefined : (n: string, k: number) => uf.aggregate(n, k));
    if (uf !== null) this.comp.userScalar = (n, k) => uf.scalar(n, k);
    if (ua !== undefined) {
      this.comp.userAggregate = ua;
      this.isUserAggregate = (n, k) => ua(n, k) !== undefined;
    }
    const pseudo = ctx.pseudo;
    if (pseudo) {
      const scope = new Scope(null, this.comp);
      const slots = [this.comp.allocSlot(), this.comp.allocSlot()];
      if (slots[0] !== OLD_SLOT || slots[1] !== NEW_SLOT) throw new HeliosError('INTERNAL', 'trigger row slots');
      (['old', 'new'] as const).forEach((name, i) => {
        const cols = pseudo[name];
        if (cols === null) return;
        // Only qualified references reach them: every name is "merged away" for unqualified ones.
        const hidden = new Set([...cols.map((c) => fold(c.name)), 'rowid', 'oid', '_rowid_']);
        scope.sources.push({ slot: slots[i]!, name, columns: cols, rowidIndex: pseudo.rowid ? cols.length : -1, table: null, mergedColumns: hidden, width: cols.length + 1 });
      });
      this.pseudoScope = scope;
      this.comp.raise = pseudo.raise;
    }
    this.cx = { store: ctx.store, tempMemoryLimit: ctx.tempMemoryLimit ?? (() => DEFAULT_TEMP_MEMORY_LIMIT) };
  }

  /** EXPLAIN QUERY PLAN lines of everything planned so far: [depth, text]. */
  get explain(): ExplainLine[] {
    const out: ExplainLine[] = [];
    for (const r of this.roots) {
      if (typeof r === 'string') out.push([0, r]);
      else out.push(...explainQueryPlan(r));
    }
    for (const s of this.looseSubs) {
      out.push([0, `${s.correlated ? 'CORRELATED ' : ''}SCALAR SUBQUERY ${s.number}`]);
      for (const [d, t] of explainQueryPlan(s.plan)) out.push([d + 1, t]);
    }
    return out;
  }

  /** A plan for `node`: run() and open() go through the executor. */
  private plan(node: QueryNode, correlated: boolean): QueryPlan {
    const cx = this.cx;
    return {
      node,
      columns: node.columns,
      correlated,
      open: (f) => openQuery(node, f, cx),
      run: (f, emit) => runQuery(node, f, cx, emit),
    };
  }

  /** A new top-level scope. */
  rootScope(): Scope {
    return new Scope(this.pseudoScope, this.comp);
  }

  private subquery(q: Query, parent: Scope): SubPlan {
    const number = ++this.subqueryCounter;
    const p = this.nested(() => this.query(q, parent));
    (this.subStack[this.subStack.length - 1] ?? this.looseSubs).push({ number, correlated: p.correlated, plan: p.node });
    return p;
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
      const scope = new Scope(parent ?? this.pseudoScope, this.comp);
      if (q.with !== null) this.addCtes(q.with, scope);
      const body = q.body;
      const p = body.kind === 'SelectCore' ? this.selectCore(body, scope, q) : this.finish(this.body(body, scope), q, scope);
      if (parent === null) this.roots.push(p.node);
      return p;
    } finally {
      if (parent === null) this.statementQuery--;
    }
  }

  /** Makes the CTEs of `w` visible in `scope` and below (INSERT, UPDATE and DELETE after WITH). */
  withCtes(w: WithClause, scope: Scope): void {
    this.addCtes(w, scope);
  }

  private addCtes(w: WithClause, scope: Scope): void {
    const map = new Map<string, CteDef>();
    (scope as Scope & { ctes?: Map<string, CteDef> }).ctes = map;
    for (const c of w.ctes) {
      const key = fold(c.name.name);
      if (map.has(key)) throw sqlErr(`duplicate WITH table name: ${c.name.name}`, c.name.pos);
      map.set(key, {
        name: c.name.name,
        columns: c.columns ? c.columns.map((n) => n.name) : null,
        query: c.query,
        scope,
        // As SQLite: RECURSIVE is optional; a CTE whose compound body reads itself is recursive either way.
        recursive: true,
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
    return this.plan({ kind: 'Values', columns, rows }, scope.correlated);
  }

  private compound(b: Extract<QueryBody, { kind: 'Compound' }>, scope: Scope): QueryPlan {
    const left = this.body(b.left, scope);
    const right = this.body(b.right, scope);
    if (left.columns.length !== right.columns.length) {
      throw sqlErr(`SELECTs to the left and right of ${b.op} do not have the same number of result columns`, b.pos);
    }
    // The leftmost part whose column has a collation decides (SQLite's multiSelectCollSeq).
    const columns: ColMeta[] = left.columns.map((c, i) => {
      const r = right.columns[i]!;
      const coll = c.collSet ? c.coll : r.collSet ? r.coll : 'BINARY';
      return { ...c, coll, collSet: c.collSet === true || r.collSet === true };
    });
    const colls = columns.map((c) => c.coll);
    return this.plan({ kind: 'Compound', columns, op: b.op, left: left.node, right: right.node, colls }, left.correlated || right.correlated);
  }

  /** ORDER BY / LIMIT / OFFSET over a compound or VALUES body (terms name result columns). */
  private finish(inner: QueryPlan, q: Query, scope: Scope): QueryPlan {
    const cols = inner.columns;
    const terms: SortTerm[] = q.orderBy.map((t, i) => {
      const idx = resultIndexOf(t, cols, null);
      if (idx < 0) throw sqlErr(`${ordinal(i + 1)} ORDER BY term does not match any column in the result set`, t.pos);
      const coll = collateOf(t.expr) ?? cols[idx]!.coll;
      return { key: idx, desc: t.direction === 'DESC', nullsFirst: t.nulls === null ? t.direction !== 'DESC' : t.nulls === 'FIRST', coll };
    });
    const limit = q.limit ? this.comp.compile(q.limit, scope).ev : null;
    const offset = q.offset ? this.comp.compile(q.offset, scope).ev : null;
    if (terms.length === 0 && limit === null) return inner;
    let node = inner.node;
    if (terms.length > 0) node = { kind: 'Sort', columns: cols, input: node, terms, width: cols.length, limit, offset };
    if (limit !== null || offset !== null) node = { kind: 'Limit', columns: cols, input: node, limit, offset };
    return this.plan(node, inner.correlated || scope.correlated);
  }

  // -------------------------------------------------------------------------
  // SELECT core

  /**
   * Compiles one SELECT core; when `q` is given its ORDER BY / LIMIT apply
   * (and may use the core's source columns).
   */
  selectCore(core: SelectCore, scope: Scope, q: Query | null): QueryPlan {
    this.subStack.push([]);
    try {
      const plan = this.selectCoreIn(core, scope, q, this.subStack[this.subStack.length - 1]!);
      if (plan.columns.length > MAX_COLUMN) throw sqlErr('too many columns in result set', core.pos);
      return plan;
    } finally {
      this.subStack.pop();
    }
  }

  private selectCoreIn(core: SelectCore, scope: Scope, q: Query | null, subqueries: SubqueryNote[]): QueryPlan {
    const items: Item[] = [];
    const conjuncts: Expr[] = [];
    if (core.from !== null) {
      const n = fromTableCount(core.from);
      if (n > MAX_FROM_TERMS) throw new HeliosError('TOO_BIG', `too many FROM clause terms, max: ${MAX_FROM_TERMS}`);
      if (n > MAX_JOIN_TABLES) throw new HeliosError('TOO_BIG', `at most ${MAX_JOIN_TABLES} tables in a join`);
      this.flattenFrom(core.from, scope, items, conjuncts, false);
      for (const it of items) if (it.fn !== undefined) this.compileFunctionArgs(it, scope, conjuncts);
    }
    splitAnd(core.where, conjuncts);

    // Result columns
    const resultExprs: { expr: Expr; name: string; alias: string | null }[] = [];
    for (const rc of core.columns) this.expandResultColumn(rc, scope, resultExprs);
    const aliases = new Map<string, Expr>();
    for (const r of resultExprs) if (r.alias !== null && !aliases.has(fold(r.alias))) aliases.set(fold(r.alias), r.expr);
    scope.aliases = aliases;

    const orderBy = q ? q.orderBy : [];
    const ua = this.isUserAggregate;
    const isAgg =
      core.groupBy.length > 0 ||
      resultExprs.some((r) => hasAggregate(r.expr, ua)) ||
      hasAggregate(core.having, ua) ||
      orderBy.some((t) => hasAggregate(t.expr, ua));
    // The WINDOW clause is checked whether or not a call uses it, as SQLite's parser does.
    scope.windows = resolveWindowClause(core.windows);
    if (core.having !== null && core.groupBy.length === 0 && !resultExprs.some((r) => hasAggregate(r.expr, ua))) {
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
        if (hasAggregate(g, ua)) throw sqlErr('aggregate functions are not allowed in the GROUP BY clause', g.pos);
        return this.comp.compile(g, scope);
      });
      agg = { slot: this.comp.allocSlot(), calls: [], inside: false };
      scope.agg = agg;
    }

    // Window calls may appear in the result columns and ORDER BY only.
    const win: WindowContext = { slot: this.comp.allocSlot(), calls: [], specs: [], inside: false };
    scope.win = win;
    const outputs = resultExprs.map((r) => this.comp.compile(r.expr, scope));
    scope.win = null;
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
      ...(outputs[i]!.jsonAlways === true ? { json: true } : {}),
    }));
    const having = core.having ? this.comp.compile(core.having, scope).ev : null;

    // ORDER BY keys: a result column position/alias or an expression over the sources.
    scope.win = win;
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
    scope.win = null;
    const windowed = win.calls.length > 0;

    const limitEv = q && q.limit ? this.comp.compile(q.limit, scope.parent ?? this.rootScope()).ev : null;
    const offsetEv = q && q.offset ? this.comp.compile(q.offset, scope.parent ?? this.rootScope()).ev : null;

    // Can the first level deliver the ORDER BY order?
    let sortNeeded = sortTerms.length > 0;
    if (sortNeeded && windowed) {
      // Rows leave the window stage in the first window's order (PARTITION BY, then ORDER BY):
      // an ORDER BY that is a prefix of it needs no sort (SQLite drops it too).
      const d = win.specs[0]!.def;
      const have = [
        ...d.partitionBy.map((e) => `${formatExpr(e)}\u0000ASC\u0000F`),
        ...d.orderBy.map((t) => `${formatExpr(t.expr)}\u0000${t.direction ?? 'ASC'}\u0000${(t.nulls === null ? t.direction !== 'DESC' : t.nulls === 'FIRST') ? 'F' : 'L'}`),
      ];
      const want = sortTerms.map((t) => `${formatExpr(t.expr)}\u0000${t.desc ? 'DESC' : 'ASC'}\u0000${t.nullsFirst ? 'F' : 'L'}`);
      if (!core.distinct && want.length <= have.length && want.every((x, i) => x === have[i])) sortNeeded = false;
    } else if (sortNeeded && !isAgg && !core.distinct && levels.length > 0) {
      if (this.orderFromAccess(levels, sortTerms, limitEv !== null)) sortNeeded = false;
    }

    const join = this.makeJoin(levels, whereConj, localSlots);
    const nOut = outputs.length;
    const aggCalls = agg ? agg.calls : [];
    const aggregate =
      agg === null
        ? null
        : {
            kind: 'Aggregate' as const,
            groupBy: groupBy.map((g) => g.ev),
            groupColls: groupBy.map((g) => g.coll ?? 'BINARY'),
            calls: aggCalls,
            slot: agg.slot,
            sources: items.map((i) => i.src),
            // The bare-column rule: with exactly one min()/max(), bare columns come from its row.
            extremeIdx: aggCalls.filter((c) => c.def.name === 'min' || c.def.name === 'max').length === 1 ? aggCalls.findIndex((c) => c.def.name === 'min' || c.def.name === 'max') : -1,
            context: agg,
            ...(windowed ? { bareFirst: true } : {}),
          };
    // ORDER BY keys that are not result columns ride after them until the sort.
    const extras: Ev[] = [];
    const terms: SortTerm[] = sortNeeded
      ? sortTerms.map((t) => ({ key: t.out >= 0 ? t.out : nOut + extras.push(t.ev!) - 1, desc: t.desc, nullsFirst: t.nullsFirst, coll: t.coll }))
      : [];
    let window: WindowNode | undefined;
    if (windowed) {
      const snapshot = items.map((it) => it.src.slot);
      if (agg !== null) snapshot.push(agg.slot);
      // SQLite numbers its window co-routines after the statement's other SELECTs.
      const first = this.subqueryCounter + 2;
      window = { slot: win.slot, snapshot, specs: win.specs, calls: win.calls, numbers: win.specs.map((_, i) => first + i) };
    }
    const select: SelectNode = {
      kind: 'Select',
      columns,
      join,
      aggregate,
      having,
      outputs: outputs.map((o) => o.ev),
      extras,
      distinct: core.distinct ? columns.map((c) => c.coll) : null,
      subqueries,
      ...(window !== undefined ? { window } : {}),
    };
    let node: QueryNode = select;
    if (sortNeeded) node = { kind: 'Sort', columns, input: node, terms, width: nOut, limit: limitEv, offset: offsetEv };
    if (limitEv !== null || offsetEv !== null) node = { kind: 'Limit', columns, input: node, limit: limitEv, offset: offsetEv };
    return this.plan(node, scope.correlated);
  }

  /**
   * The rows of table `t` (source `src`, already in `scope`) matching `where`,
   * materialised as [...columns, rowid] (UPDATE and DELETE targets).
   */
  tableScan(src: Source, t: TableInfo, where: Expr | null, scope: Scope, indexedBy: string | false | null): (f: Frame) => Row[] {
    const item: Item = { src, table: t, rows: null, joinType: 'INNER', on: [], indexedBy, pos: 0 };
    const conj = splitAnd(where).map((e) => this.conjunct(e, scope));
    const local = new Set([src.slot]);
    const levels = this.orderJoins([item], conj, scope, local);
    const join = this.makeJoin(levels, conj, local);
    for (const l of join.levels) this.roots.push(describeLevel(l));
    const slot = src.slot;
    // Each target row is copied out of the table read (which reuses its array).
    const outputs: Ev[] = [];
    for (let i = 0; i < src.width; i++) outputs.push((f) => f.rows[slot]![i]!);
    const node: SelectNode = { kind: 'Select', columns: [], join, aggregate: null, having: null, outputs, extras: [], distinct: null, subqueries: [] };
    const cx = this.cx;
    return (f) => {
      const out: Row[] = [];
      runQuery(node, f, cx, (r) => (out.push(r), true));
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
        if (s.hiddenFrom !== undefined && s.columns.indexOf(c) >= s.hiddenFrom) return;
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
        for (const c of right.src.columns.slice(0, right.src.hiddenFrom)) {
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
      if (from.args !== undefined) {
        const vinfo = this.virtualTable(from.name, from.schema);
        const vt = vinfo !== undefined ? connectVirtualTable(this.ctx.catalog, vinfo, from.pos) : this.tableFunction(fold(from.name));
        if (vt === undefined) throw sqlErr(`no such table: ${from.schema ? `${from.schema}.` : ''}${from.name}`, from.pos);
        items.push(this.functionItem(vt, from.args, alias, slot, scope, items.length));
        return;
      }
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
        const store = this.ctx.store;
        const temp = nm.includes('temp');
        items.push(
          this.rowsItem(alias, cols, slot, scope, items.length, { kind: 'Virtual', name: alias, rows: () => (temp ? tempSchemaRows(catalog) : schemaRows(catalog, store())) }),
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
          this.rowsItem(alias, cols, slot, scope, items.length, { kind: 'Virtual', name: alias, rows: () => {
            const out: Row[] = [];
            for (const r of catalog.rows) {
              const t = r.type === 'table' ? catalog.table(r.name) : undefined;
              if (!t || !t.autoincrement) continue;
              const v = store().get(sequenceKey(t.id));
              if (v !== undefined) out.push([t.name, readRowid(v, 0)]);
            }
            return out;
          } }),
        );
        return;
      }
      const table = this.ctx.catalog.table(from.name, from.schema);
      // A TEMP virtual table shadows a main table of the same name.
      const shadow = table !== undefined && !table.temp && from.schema === null && this.ctx.catalog.tempVirtualTables.has(nm);
      if (table && !shadow) {
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
        items.push({ src, table, rows: null, joinType: 'INNER', on: [], indexedBy: from.indexedBy, pos: items.length });
        return;
      }
      const vinfo = this.virtualTable(from.name, from.schema);
      if (vinfo !== undefined) {
        items.push(this.functionItem(connectVirtualTable(this.ctx.catalog, vinfo, from.pos), [], alias, slot, scope, items.length));
        return;
      }
      const view = this.ctx.catalog.views.get(nm);
      if (view) {
        let shared = this.viewPlans.get(nm);
        if (shared === undefined) {
          if (this.viewsPlanning.has(nm)) throw sqlErr(`view ${view.name} is circularly defined`, from.pos);
          this.viewsPlanning.add(nm);
          this.viewSchemas.push(view.id >= TEMP_ID_BASE ? 'temp' : 'main');
          try {
            const plan = this.nested(() => this.query(view.query, this.rootScope()));
            shared = { plan, cols: plan.columns.map((c, i) => ({ ...c, name: view.columns?.[i] ?? c.name })), shared: { key: {}, refs: 0 } };
          } finally {
            this.viewsPlanning.delete(nm);
            this.viewSchemas.pop();
          }
          this.viewPlans.set(nm, shared);
        }
        items.push(this.planItem(alias, shared.cols.map((c) => ({ ...c })), slot, scope, items.length, shared.plan, shared.shared));
        return;
      }
      // An eponymous table-valued function named without arguments (`FROM pragma_table_list`).
      const vt = this.tableFunction(nm);
      if (vt !== undefined) {
        items.push(this.functionItem(vt, [], alias, slot, scope, items.length));
        return;
      }
      // Inside a view of the main schema an unqualified name is looked up there, and SQLite names it so.
      const schema = from.schema ?? (this.viewSchemas.at(-1) === 'main' ? 'main' : null);
      throw sqlErr(`no such table: ${schema !== null ? `${schema}.` : ''}${from.name}`, from.pos);
    }
    // Subquery in FROM
    const alias = from.alias ?? `(subquery-${slot})`;
    const plan = this.nested(() => this.query(from.query, scope));
    items.push(this.planItem(alias, plan.columns.map((c) => ({ ...c })), slot, scope, items.length, plan, { key: {}, refs: 0 }));
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

  private rowsItem(alias: string, cols: ColMeta[], slot: number, scope: Scope, pos: number, rows: RowsSource): Item {
    if (scope.sources.some((s) => fold(s.name) === fold(alias))) throw sqlErr(`ambiguous table name: ${alias}`);
    const src: Source = { slot, name: alias, columns: cols, rowidIndex: -1, table: null, mergedColumns: new Set(), width: cols.length };
    scope.sources.push(src);
    return { src, table: null, rows, joinType: 'INNER', on: [], indexedBy: null, pos };
  }

  /**
   * A table-valued function in FROM. Its arguments are compiled once the
   * whole FROM clause is in scope (`compileFunctionArgs`), so they may read
   * any of its tables and the enclosing queries'; the slots they read make
   * its level wait for theirs.
   */
  /** The CREATE VIRTUAL TABLE table `name` names, if any (Catalog.virtualTable). */
  private virtualTable(name: string, schema: string | null): VirtualTableInfo | undefined {
    return this.ctx.catalog.virtualTable(name, schema);
  }

  /** The table-valued function `name` (folded): the application's (db.table) first, then the built-ins. */
  private tableFunction(name: string): VirtualTable | undefined {
    return this.ctx.catalog.userFunctions?.table(name) ?? lookupTableFunction(name);
  }

  private functionItem(vt: VirtualTable, argExprs: readonly Expr[], alias: string, slot: number, scope: Scope, pos: number): Item {
    if (argExprs.length > vt.parameters.length) throw tooManyArguments(vt);
    const names = [...vt.columns, ...vt.parameters];
    // better-sqlite3 declares a parameter `"name" HIDDEN`, a type SQLite reads as NUMERIC affinity.
    const paramAff: Affinity | null = vt.strictParameters === true ? 'NUMERIC' : null;
    const cols: ColMeta[] = names.map((n, i) => ({ name: n, aff: i < vt.columns.length ? null : paramAff, coll: 'BINARY' }));
    if (scope.sources.some((s) => fold(s.name) === fold(alias))) throw sqlErr(`ambiguous table name: ${alias}`);
    const json = vt.jsonColumns ? new Set(vt.jsonColumns.map((c) => vt.columns.indexOf(c)).filter((i) => i >= 0)) : undefined;
    const src: Source = {
      slot,
      name: alias,
      columns: cols,
      // The rowid follows the hidden columns (FunctionLevel numbers the rows, exec.ts).
      rowidIndex: cols.length,
      table: null,
      mergedColumns: new Set(),
      width: cols.length + 1,
      hiddenFrom: vt.columns.length,
      ...(json !== undefined ? { jsonColumns: json } : {}),
    };
    scope.sources.push(src);
    const catalog = this.ctx.catalog;
    return {
      src,
      table: null,
      rows: { kind: 'Function', name: alias, vt, context: { catalog } },
      joinType: 'INNER',
      on: [],
      indexedBy: null,
      pos,
      fn: { vt, argExprs, args: [], deps: new Set() },
    };
  }

  /**
   * Compiles a function item's arguments. As in SQLite, where an argument is
   * a constraint `hidden = arg`, one that reads the function's own columns
   * cannot bind its parameter: it stays unbound and becomes a filter.
   */
  private compileFunctionArgs(it: Item, scope: Scope, conjuncts: Expr[]): void {
    const fn = it.fn!;
    const args: CExpr[] = [];
    fn.argExprs.forEach((a, k) => {
      const own = new Set<number>();
      scope.collectors.push(own);
      let c: CExpr;
      try {
        c = this.comp.compile(a, scope);
      } finally {
        scope.collectors.pop();
      }
      if (own.has(it.src.slot)) {
        const name = fn.vt.parameters[k]!;
        conjuncts.push({ kind: 'Binary', pos: a.pos, op: '=', left: { kind: 'Column', pos: a.pos, schema: null, table: it.src.name, column: name, doubleQuoted: false }, right: a });
        args.push(UNBOUND);
        return;
      }
      for (const d of own) fn.deps.add(d);
      args.push(c);
    });
    fn.args = args;
  }

  /** A FROM item reading a planned query's rows (a view, CTE or subquery), shared with its other references. */
  private planItem(alias: string, cols: ColMeta[], slot: number, scope: Scope, pos: number, plan: QueryPlan, shared: SharedRows): Item {
    shared.refs++;
    const item = this.rowsItem(alias, cols, slot, scope, pos, { kind: 'Query', name: alias, query: plan.node, correlated: plan.correlated, shared });
    if (plan.correlated) scope.correlated = true;
    return item;
  }

  private cteItem(cte: CteDef, alias: string, slot: number, scope: Scope, pos: number): Item {
    if (cte.working !== null) {
      // A recursive reference inside the CTE's own recursive part.
      const holder = cte.working;
      return this.rowsItem(alias, cte.workingCols!.map((c) => ({ ...c })), slot, scope, pos, { kind: 'Working', name: alias, holder });
    }
    if (cte.planned !== null) {
      const { plan, cols, shared } = cte.planned;
      return this.planItem(alias, cols.map((c) => ({ ...c })), slot, scope, pos, plan, shared);
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
      cte.planned = { plan, cols, shared: { key: {}, refs: 0 } };
      return this.planItem(alias, cols.map((c) => ({ ...c })), slot, scope, pos, plan, cte.planned.shared);
    }
    // Recursive CTE: initial part, then the recursive part over a working set until it is empty.
    const body = q.body as Extract<QueryBody, { kind: 'Compound' }>;
    const cteScope = new Scope(cte.scope, this.comp);
    const init = this.nested(() => this.body(body.left, cteScope));
    const cols: ColMeta[] = init.columns.map((c, i) => ({ ...c, name: cte.columns?.[i] ?? c.name }));
    const holder: WorkingSet = { rows: [] };
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
    // Rows are produced step by step, so a reader that stops early — `LIMIT` on the outer
    // query — stops the recursion too, as in SQLite (exec.ts RecursiveCursor).
    const plan = this.plan(
      { kind: 'Recursive', columns: cols, name: cte.name, init: init.node, step: rec.node, holder, distinct: distinct ? colls : null, limit: limitEv, offset: offsetEv },
      init.correlated || rec.correlated,
    );
    cte.planned = { plan, cols, shared: { key: {}, refs: 0 } };
    return this.planItem(alias, cols.map((c) => ({ ...c })), slot, scope, pos, plan, cte.planned.shared);
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
    const strict = new Map<Item, ParameterConstraints>();
    for (const it of items) {
      if (it.fn === undefined || it.fn.vt.strictParameters !== true) continue;
      const exprs = it.joinType === 'LEFT' ? ((it as Item & { onExprs?: Expr[] }).onExprs ?? []) : conj.map((c) => c.expr);
      strict.set(it, this.parameterConstraints(it, exprs, scope));
    }
    const waiting = (slots: Iterable<number>): boolean => {
      for (const d of slots) if (local.has(d) && !avail.has(d)) return true;
      return false;
    };
    const placed: Level[] = [];
    const avail = new Set<number>();
    const remaining = [...items];
    const hasLeft = items.some((i) => i.joinType === 'LEFT');
    while (remaining.length > 0) {
      let best: { i: number; access: Access; cost: number } | null = null;
      for (let i = 0; i < remaining.length; i++) {
        const it = remaining[i]!;
        if (hasLeft && i > 0) break; // keep source order when outer joins are present
        // A table-valued function waits for the tables its arguments read.
        if (it.fn !== undefined && waiting(it.fn.deps)) continue;
        // A strict one also for those its parameters' equalities read (better-sqlite3 refuses a plan ignoring one).
        const pc = strict.get(it);
        if (pc !== undefined && (pc.values.some((v) => waiting(v.slots)) || pc.lists.some((l) => l.items.some((v) => waiting(v.slots))))) continue;
        const usable = it.joinType === 'LEFT' ? onTerms.get(it)! : terms;
        const a = pc !== undefined ? this.strictFunctionAccess(it, pc) : this.bestAccess(it, usable, avail, local);
        if (best === null || a.cost < best.cost) best = { i, ...a };
      }
      // Only with outer joins (source order kept) can the next item still wait for a table to its right.
      if (best === null) {
        if (remaining.some((it) => strict.has(it))) throw sqlErr('no query solution');
        throw sqlErr('a table-valued function argument refers to a table after it across an outer join');
      }
      const it = remaining.splice(best.i, 1)[0]!;
      placed.push({ item: it, access: best.access, cost: best.cost });
      avail.add(it.src.slot);
    }
    return placed;
  }

  /** An operand of a conjunct compiled on its own, with the slots it reads; null when it does not compile alone. */
  private side(x: Expr, scope: Scope): Side | null {
    const set = new Set<number>();
    scope.collectors.push(set);
    // A subquery compiled again for a lookup is the conjunct's own: EXPLAIN shows it once.
    const counter = this.subqueryCounter;
    this.subStack.push([]);
    try {
      return { c: this.comp.compile(x, scope), slots: set };
    } catch {
      return null;
    } finally {
      this.subStack.pop();
      this.subqueryCounter = counter;
      scope.collectors.pop();
    }
  }

  /**
   * The constraints on the parameters of a function with `strictParameters`
   * (sql/virtual-table.ts), from the conjuncts that can restrict its rows:
   * the values `=` offers each parameter (in conjunct order) and the pairs of
   * parameters `=` ties together. Any other operator on a parameter is
   * better-sqlite3's prepare-time error.
   */
  private parameterConstraints(it: Item, exprs: readonly Expr[], scope: Scope): ParameterConstraints {
    const vt = it.fn!.vt;
    const slot = it.src.slot;
    const nCols = vt.columns.length;
    const out: ParameterConstraints = { values: [], links: [], lists: [] };
    const param = (x: Side | null): number => {
      const cc = x?.c.column;
      return cc !== undefined && cc !== null && cc.slot === slot && cc.index >= nCols && cc.index < nCols + vt.parameters.length ? cc.index - nCols : -1;
    };
    const refuse = (k: number, pos: { line: number; column: number }): never => {
      throw sqlErr(`virtual table parameter "${vt.parameters[k]}" can only be constrained by the '=' operator`, pos);
    };
    // A constraint SQLite offers the table: a parameter against a value that does not read the table's own row.
    const offered = (x: Expr, other: readonly Expr[]): number => {
      const k = param(this.side(x, scope));
      if (k < 0) return -1;
      for (const o of other) {
        const v = this.side(o, scope);
        if (v === null || v.slots.has(slot)) return -1;
      }
      return k;
    };
    // Conjunct `at` (or, with orBranch, a branch of an OR in it: SQLite plans each branch too, so
    // only the operator check applies there).
    const check = (e: Expr, orBranch: boolean, at: number): void => {
      switch (e.kind) {
        case 'Binary': {
          const op = e.op;
          if (op === 'OR' || (op === 'AND' && orBranch)) {
            check(e.left, true, at);
            check(e.right, true, at);
            // `p = a OR p = b …` is `p IN (a, b, …)` (SQLite's OR-to-IN rewrite).
            if (op === 'OR' && !orBranch) {
              const list = this.orEqualities(e, param, slot, scope);
              if (list !== null) out.lists.push({ ...list, or: true, at });
            }
            break;
          }
          if (op !== '=' && op !== '!=' && op !== '<' && op !== '<=' && op !== '>' && op !== '>=' && op !== 'IS' && op !== 'IS NOT') break;
          if (e.left.kind === 'Row' || e.right.kind === 'Row') break;
          const l = this.side(e.left, scope);
          const r = this.side(e.right, scope);
          if (l === null || r === null) break;
          const lk = param(l);
          const rk = param(r);
          if (op === '=' && lk >= 0 && rk >= 0) {
            if (!orBranch) out.links.push([lk, rk]);
          } else if (lk >= 0 && !r.slots.has(slot)) {
            if (op !== '=') refuse(lk, e.pos);
            if (!orBranch) out.values.push({ k: lk, ...r, at });
          } else if (rk >= 0 && !l.slots.has(slot)) {
            if (op !== '=') refuse(rk, e.pos);
            if (!orBranch) out.values.push({ k: rk, ...l, at });
          }
          break;
        }
        case 'Like': {
          const k = e.not ? -1 : offered(e.expr, [e.pattern]);
          if (k >= 0) refuse(k, e.pos);
          break;
        }
        case 'IsNull': {
          const k = offered(e.expr, []);
          if (k >= 0) refuse(k, e.pos);
          break;
        }
        case 'Between': {
          const k = e.not ? -1 : offered(e.expr, [e.low, e.high]);
          if (k >= 0) refuse(k, e.pos);
          break;
        }
        case 'InList': {
          // SQLite's parser makes `p IN (v)` `p = v` and `p NOT IN (v)` `p <> v`.
          if (e.items.length === 1) {
            check({ kind: 'Binary', pos: e.pos, op: e.not ? '!=' : '=', left: e.expr, right: e.items[0]! }, orBranch, at);
            break;
          }
          const k = e.not || orBranch ? -1 : offered(e.expr, e.items);
          if (k >= 0) out.lists.push({ k, items: e.items.map((x) => this.side(x, scope)!), or: false, at });
          break;
        }
        case 'InSelect':
        case 'InTable': {
          // SQLite runs the table once per row of the subquery; here that would silently give no rows.
          const k = e.not || orBranch ? -1 : offered(e.expr, []);
          if (k >= 0) throw sqlErr(`IN (SELECT …) on the parameter "${vt.parameters[k]}" of virtual table ${vt.name} is not supported: bind it with = or IN (list)`, e.pos);
          break;
        }
        default:
          break;
      }
    };
    exprs.forEach((e, at) => check(e, false, at));
    return out;
  }

  /** The values of `p = a OR p = b …` (every branch an equality on the same parameter `p`), or null. */
  private orEqualities(e: Expr, param: (x: Side | null) => number, slot: number, scope: Scope): { k: number; items: Side[] } | null {
    const branches: Expr[] = [];
    const flat = (x: Expr): void => {
      if (x.kind === 'Binary' && x.op === 'OR') {
        flat(x.left);
        flat(x.right);
      } else branches.push(x);
    };
    flat(e);
    let k = -1;
    const items: Side[] = [];
    for (const b of branches) {
      if (b.kind !== 'Binary' || b.op !== '=' || b.left.kind === 'Row' || b.right.kind === 'Row') return null;
      const l = this.side(b.left, scope);
      const r = this.side(b.right, scope);
      if (l === null || r === null) return null;
      const lk = param(l);
      const rk = param(r);
      const [bk, v] = lk >= 0 && rk < 0 ? [lk, r] : rk >= 0 && lk < 0 ? [rk, l] : [-1, l];
      if (bk < 0 || v.slots.has(slot) || (k >= 0 && bk !== k)) return null;
      k = bk;
      items.push(v);
    }
    return { k, items };
  }

  /** Decomposes a conjunct into access terms (both orientations for column = column). */
  private accessTerms(e: Expr, scope: Scope, out: AccessTerm[]): void {
    const side = (x: Expr): Side | null => this.side(x, scope);
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

  /**
   * A strict function's access (see VirtualTable.strictParameters), as SQLite
   * with better-sqlite3's xBestIndex arrives at it: SQLite propagates each
   * constant `p = c` of the WHERE clause into the other terms, offers the
   * table its constraints (the WHERE clause's in order, then the positional
   * arguments, then the IN lists it made of ORs, the last first), and
   * better-sqlite3 binds each parameter to the first one on it. So, for
   * each parameter: its first `=` value binds it (its IN lists becoming
   * checks of that value), unless an IN list comes before it, which binds
   * it (one call per value); else its positional argument; else a constant
   * a tie (`"$2" = "$1"`) gives it from another parameter's `=`; else an
   * IN list made of an OR. Values that must be equal for any row to match
   * (the constants a group of tied parameters is given, a parameter's own
   * `=` values) are checked before the call, which does not happen if one
   * fails; what else constrains the parameter is checked against each
   * call's value, the call's rows being dropped if it fails. Several
   * constraints of different forms on one parameter do not always bind it
   * as SQLite would (README); the rows are the same.
   */
  private strictFunctionAccess(it: Item, pc: ParameterConstraints): { access: Access; cost: number } {
    const fn = it.fn!;
    const n = fn.vt.parameters.length;
    const group = Array.from({ length: n }, (_, k) => k);
    const find = (k: number): number => {
      while (group[k] !== k) k = group[k] = group[group[k]!]!;
      return k;
    };
    for (const [a, b] of pc.links) group[find(a)] = find(b);
    const byParam: Ev[][] = Array.from({ length: n }, () => []);
    // Only a constant (a value reading no column) propagates through a tie, as in SQLite.
    const classValues: Ev[][] = Array.from({ length: n }, () => []);
    const firstAt = new Array<number>(n).fill(Infinity);
    for (const v of pc.values) {
      byParam[v.k]!.push(v.c.ev);
      firstAt[v.k] = Math.min(firstAt[v.k]!, v.at);
    }
    for (let k = 0; k < n; k++) for (const v of pc.values) if (v.k === k && v.slots.size === 0) classValues[find(k)]!.push(v.c.ev);
    const args: (Ev | null)[] = [];
    const before: { value: Ev; items: Ev[] }[] = [];
    const after: { k: number; items: Ev[] }[] = [];
    const lists: { k: number; items: Ev[] }[] = [];
    let mask = 0;
    for (let k = 0; k < n; k++) {
      const all = classValues[find(k)]!;
      // The group's constants must all be equal (SQLite's propagation makes `c1 = c2` of them).
      if (find(k) === k) for (let i = 1; i < all.length; i++) before.push({ value: all[0]!, items: [all[i]!] });
      const direct = byParam[k]!;
      const linked = all.filter((v) => !direct.includes(v));
      // So must the parameter's own values (a filter that would drop every row otherwise).
      for (let i = 1; i < direct.length; i++) if (!all.includes(direct[i]!) || !all.includes(direct[0]!)) before.push({ value: direct[0]!, items: [direct[i]!] });
      const a = fn.args[k];
      const positional = a === undefined || a === UNBOUND ? null : a.ev;
      // In the order SQLite offers them: the parameter's own `=` and IN lists of the WHERE clause, the
      // positional argument, the values ties to other parameters give it, IN lists made of ORs (appended
      // as SQLite analyses the terms, from the last).
      const mine = pc.lists.filter((l) => l.k === k);
      const plainLists = mine.filter((l) => !l.or);
      const plain = plainLists.map((l) => l.items.map((x) => x.c.ev));
      const ors = mine.filter((l) => l.or).reverse().map((l) => l.items.map((x) => x.c.ev));
      let bound: Ev | null = null;
      let looped = false;
      // An IN list written before the parameter's first `=` binds it; the `=` values then only filter the rows.
      const inFirst = plainLists.length > 0 && plainLists[0]!.at < firstAt[k]!;
      if (inFirst) {
        looped = true;
        for (const v of direct) after.push({ k, items: [v] });
      } else if (direct.length > 0) bound = direct[0]!;
      else if (plain.length > 0) looped = true;
      else if (positional !== null) bound = positional;
      else if (linked.length > 0) {
        // A tie's value is the other parameter's, read with its NUMERIC affinity (SQLite's fixed column).
        const e = linked[0]!;
        bound = (f) => applyAffinity(e(f), 'NUMERIC');
      }
      else if (ors.length > 0) looped = true;
      const ins = [...plain, ...ors];
      if (looped) {
        lists.push({ k, items: ins[0]! });
        for (const items of ins.slice(1)) after.push({ k, items });
      } else if (direct.length > 0) {
        // The parameter's own `=` value, propagated into its IN lists: each must hold it, or the function is not called.
        for (const items of ins) before.push({ value: bound!, items });
      } else for (const items of ins) after.push({ k, items });
      args.push(bound);
      if (positional !== null && bound !== positional) after.push({ k, items: [positional] });
      if (bound === positional && positional !== null && linked.length > 0) after.push({ k, items: [linked[0]!] });
      if (bound !== null || looped) mask |= 1 << k;
    }
    return { access: { kind: 'function', args, mask, before, after, lists }, cost: mask !== 0 ? 100 : SCAN_COST };
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
    if (it.fn !== undefined) {
      // Positional arguments, then equalities on the other hidden columns (`WHERE arg = 't'`).
      const vt = it.fn.vt;
      const args: (Ev | null)[] = vt.parameters.map((_, k) => {
        const a = it.fn!.args[k];
        return a === undefined || a === UNBOUND ? null : a.ev;
      });
      let mask = 0;
      for (let k = 0; k < args.length; k++) {
        if (args[k] === null) {
          const eq = mine.find((m) => m.op === '=' && m.col === vt.columns.length + k && m.value !== null);
          if (eq) args[k] = eq.value!.ev;
        }
        if (args[k] !== null) mask |= 1 << k;
      }
      return { access: { kind: 'function', args, mask, before: [], after: [], lists: [] }, cost: mask !== 0 ? 100 : SCAN_COST };
    }
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

  /** The join node: levels in order, each conjunct at the first level where all its tables are bound. */
  private makeJoin(levels: Level[], conj: Conjunct[], local: Set<number>): JoinNode {
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
    const filters: Ev[][] = levels.map(() => []);
    for (const c of conj) {
      const lv = levelOf(c.slots);
      if (lv < 0) pre.push(c.ev);
      else filters[lv]!.push(c.ev);
    }
    const cacheScans = this.statementQuery > 0;
    const nodes: LevelNode[] = levels.map((l, i) => ({
      kind: 'Level',
      src: l.item.src,
      table: l.item.table,
      rows: l.item.rows,
      access: l.access,
      filters: filters[i]!,
      onFilters: l.item.on.map((c) => c.ev),
      left: l.item.joinType === 'LEFT',
      cacheScans,
    }));
    return { kind: 'Join', levels: nodes, pre };
  }
}

/** sqlite_schema rows in creation order (object id), sqlite_sequence among them where SQLite puts it. */
function schemaRows(catalog: Catalog, store: Overlay): Row[] {
  const out: Row[] = [];
  // A database made before sqlite_sequence had its own entry shows it after its first AUTOINCREMENT table.
  let seqShown = catalog.sequenceRow() !== undefined;
  // Reading the schema table reads the database (its read transaction starts here, sql/connections.ts).
  store.noteRead();
  // The rows as stored, with this connection's writable_schema edits (sql/schema-write.ts).
  for (const r of catalog.storedRows(store)) {
    out.push([r.type, r.name, r.tblName, r.type === 'trigger' || catalog.virtualTables.has(fold(r.name)) ? 0 : r.id, r.sql]);
    if (!seqShown && r.type === 'table' && catalog.table(r.name)?.autoincrement) {
      seqShown = true;
      out.push(['table', 'sqlite_sequence', 'sqlite_sequence', 0, 'CREATE TABLE sqlite_sequence(name,seq)']);
    }
  }
  return out;
}

/** sqlite_temp_schema: the TEMP objects in creation order; a table's or index's rootpage counts from 2 as in SQLite's temp database, others 0. */
function tempSchemaRows(catalog: Catalog): Row[] {
  return catalog.tempRows.map((r) => [r.type, r.name, r.tblName, (r.type === 'table' && !catalog.tempVirtualTables.has(fold(r.name))) || r.type === 'index' ? r.id - TEMP_ID_BASE + 1 : 0, r.sql]);
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

/** Every stored row of `t`, decoded, in rowid order (DDL that rewrites or checks a whole table). */
export function readTableRows(store: { scan(lo: Uint8Array, hi: Uint8Array): KvCursor }, t: TableInfo): Row[] {
  const lo = objectPrefix(t.id);
  const rows: Row[] = [];
  const cur = store.scan(lo, prefixEnd(lo));
  try {
    while (cur.next()) rows.push(decodeTableRow(t, readRowid(cur.key(), 4), cur.value()));
  } finally {
    cur.close();
  }
  return rows;
}

/** The value a column added by ALTER TABLE ADD COLUMN has in rows written before it existed. */
function addedColumnDefault(t: TableInfo, i: number): SqlValue {
  return t.columns[i]!.absentValue ?? null;
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

export { rowidProbe, nullRow };
export { Frame, Scope };
export type { Row, ColMeta };
