/**
 * The query plan as data: what the planner (planner.ts) decides and the
 * executor (exec.ts) runs. A plan is a tree of readonly nodes — access paths
 * per FROM source, the join order, filters placed at the first level where
 * their tables are bound, aggregation, DISTINCT, sorts, limits, compounds
 * and recursive CTEs. Expressions inside are already compiled (`Ev`), so
 * running a plan makes no decision the plan does not show.
 *
 * `explainQueryPlan` renders a tree as EXPLAIN QUERY PLAN lines in SQLite's
 * words (SCAN, SEARCH … USING INDEX, USE TEMP B-TREE FOR …, COMPOUND QUERY,
 * MATERIALIZE, SCALAR SUBQUERY); `explainOperators` renders every node with
 * its operator name for EXPLAIN.
 */
import type { Collation, Affinity } from './value.ts';
import type { IndexInfo, TableInfo } from './catalog.ts';
import type { VirtualTable, VirtualTableContext } from './virtual-table.ts';
import type { AggContext, AggregateCall, CExpr, ColMeta, Ev, Frame, Row, Source } from './expr-compile.ts';
import type { WindowNode } from './window.ts';

/** A conjunct viewed as `column op value`, usable for an index or rowid lookup. */
export interface AccessTerm {
  readonly slot: number;
  readonly col: number;
  readonly op: '=' | '<' | '<=' | '>' | '>=' | 'IN';
  readonly value: CExpr | null;
  readonly values: readonly CExpr[] | null;
  readonly valueSlots: Set<number>;
  readonly aff: Affinity | null;
  readonly coll: Collation;
}

/** How one FROM source's rows are found. */
export type Access =
  | { kind: 'scan'; reverse: boolean }
  | { kind: 'rowidEq'; values: CExpr[] }
  | { kind: 'rowidRange'; lo: AccessTerm | null; hi: AccessTerm | null; reverse: boolean }
  | { kind: 'index'; index: IndexInfo; eq: AccessTerm[]; inTerm: AccessTerm | null; lo: AccessTerm | null; hi: AccessTerm | null; reverse: boolean; ordered: boolean }
  | { kind: 'hash'; term: AccessTerm }
  | { kind: 'rows' }
  /**
   * A table-valued function: one evaluator per parameter (null: unbound), `mask` the bit set of
   * bound ones. `before`: values that must each be IN their list (= one value: equal, neither
   * NULL) for the function to be called at all. `lists`: parameters bound by an IN list instead
   * of `args` (null there): the function runs once per combination of their distinct non-NULL
   * values, ascending, as SQLite runs a table once per IN value. `after`: parameters whose value
   * in a call must be IN the list for that call's rows to be kept (the function runs either way).
   */
  | {
      kind: 'function';
      args: readonly (Ev | null)[];
      mask: number;
      before: readonly { readonly value: Ev; readonly items: readonly Ev[] }[];
      after: readonly { readonly k: number; readonly items: readonly Ev[] }[];
      lists: readonly { readonly k: number; readonly items: readonly Ev[] }[];
    };

/** A view's, CTE's or FROM subquery's rows, shared by every reference in one statement. */
export interface SharedRows {
  /** Names the rows in a run's cache (Frame.cache). */
  readonly key: object;
  /** References planned so far; one reference streams its rows instead of keeping them. */
  refs: number;
}

/** Where a FROM source that is not a stored table gets its rows. */
export type RowsSource =
  | { readonly kind: 'Query'; readonly name: string; readonly query: QueryNode; readonly correlated: boolean; readonly shared: SharedRows }
  /** The rows a recursive CTE's previous step produced. */
  | { readonly kind: 'Working'; readonly name: string; readonly holder: WorkingSet }
  /** Rows computed from the catalog (sqlite_schema, sqlite_sequence). */
  | { readonly kind: 'Virtual'; readonly name: string; readonly rows: (f: Frame) => Row[] }
  /** A table-valued function's rows (sql/vtab.ts), generated per set of arguments by the level's access. */
  | { readonly kind: 'Function'; readonly name: string; readonly vt: VirtualTable; readonly context: VirtualTableContext };

export interface WorkingSet {
  rows: Row[];
}

/** One FROM source placed in the join order. */
export interface LevelNode {
  readonly kind: 'Level';
  readonly src: Source;
  /** The stored table, or null for a RowsSource. */
  readonly table: TableInfo | null;
  readonly rows: RowsSource | null;
  readonly access: Access;
  /** WHERE (and inner-join ON) conjuncts evaluated once this level is bound. */
  readonly filters: Ev[];
  /** ON conjuncts of a LEFT join: a row failing them does not count as a match. */
  readonly onFilters: Ev[];
  readonly left: boolean;
  /** A full scan run again within one execution may reuse the rows it read (statement-level reads only). */
  readonly cacheScans: boolean;
}

/** Nested loops over `levels` (outermost first); `pre` are conjuncts that read no level. */
export interface JoinNode {
  readonly kind: 'Join';
  readonly levels: readonly LevelNode[];
  readonly pre: readonly Ev[];
}

/** GROUP BY / aggregate functions over the join's rows. */
export interface AggregateNode {
  readonly kind: 'Aggregate';
  readonly groupBy: readonly Ev[];
  readonly groupColls: readonly Collation[];
  readonly calls: readonly AggregateCall[];
  /** frame.rows[slot] holds a group's aggregate results. */
  readonly slot: number;
  /** The join's sources: a group's representative row is restored into them (SQLite's bare columns). */
  readonly sources: readonly Source[];
  /** With exactly one min()/max(), bare columns come from its row (index into calls), else -1. */
  readonly extremeIdx: number;
  /** Read at run time: whether any expression reads a source column outside an aggregate. */
  readonly context: AggContext;
  /** Bare columns come from the group's first row (not its last): SQLite's rule when windows follow the grouping. */
  readonly bareFirst?: boolean;
}

/** A subquery in an expression, shown under the SELECT whose expressions hold it. */
export interface SubqueryNote {
  readonly number: number;
  readonly correlated: boolean;
  readonly plan: QueryNode;
}

export interface SelectNode {
  readonly kind: 'Select';
  readonly columns: readonly ColMeta[];
  readonly join: JoinNode;
  readonly aggregate: AggregateNode | null;
  readonly having: Ev | null;
  /** The result columns, then `extras` (ORDER BY keys that are not result columns, cut by the Sort above). */
  readonly outputs: readonly Ev[];
  readonly extras: readonly Ev[];
  /** DISTINCT over the result columns with these collations, or null. */
  readonly distinct: readonly Collation[] | null;
  readonly subqueries: readonly SubqueryNote[];
  /**
   * Window functions (window.ts): the rows the join (or the groups) produce
   * are buffered, the windows computed, then the outputs evaluated per row.
   * Absent when the SELECT calls none.
   */
  readonly window?: WindowNode;
}

export interface SortTerm {
  /** Index into the input row. */
  readonly key: number;
  readonly desc: boolean;
  readonly nullsFirst: boolean;
  readonly coll: Collation;
}

export interface SortNode {
  readonly kind: 'Sort';
  readonly columns: readonly ColMeta[];
  readonly input: QueryNode;
  readonly terms: readonly SortTerm[];
  /** Output rows keep the first `width` columns of the input's. */
  readonly width: number;
  /** With a LIMIT, only the first limit + offset rows are kept while sorting (a heap). */
  readonly limit: Ev | null;
  readonly offset: Ev | null;
}

export interface LimitNode {
  readonly kind: 'Limit';
  readonly columns: readonly ColMeta[];
  readonly input: QueryNode;
  readonly limit: Ev | null;
  readonly offset: Ev | null;
}

export interface ValuesNode {
  readonly kind: 'Values';
  readonly columns: readonly ColMeta[];
  readonly rows: readonly (readonly Ev[])[];
}

export interface CompoundNode {
  readonly kind: 'Compound';
  readonly columns: readonly ColMeta[];
  readonly op: 'UNION' | 'UNION ALL' | 'INTERSECT' | 'EXCEPT';
  readonly left: QueryNode;
  readonly right: QueryNode;
  readonly colls: readonly Collation[];
}

/** WITH RECURSIVE: `init`'s rows, then `step` run over each row in turn (held in `holder`) until none is new. */
export interface RecursiveNode {
  readonly kind: 'Recursive';
  readonly columns: readonly ColMeta[];
  readonly name: string;
  readonly init: QueryNode;
  readonly step: QueryNode;
  readonly holder: WorkingSet;
  /** UNION (not UNION ALL): rows already produced are dropped, compared with these collations. */
  readonly distinct: readonly Collation[] | null;
  readonly limit: Ev | null;
  readonly offset: Ev | null;
}

export type QueryNode = SelectNode | SortNode | LimitNode | ValuesNode | CompoundNode | RecursiveNode;

/** One EXPLAIN QUERY PLAN line: its depth and text. */
export type ExplainLine = readonly [number, string];

/** SQLite's EXPLAIN QUERY PLAN lines for `node`. */
export function explainQueryPlan(node: QueryNode): ExplainLine[] {
  const out: [number, string][] = [];
  const shown = new Set<object>();
  queryLines(node, 0, out, shown);
  return out;
}

function queryLines(n: QueryNode, depth: number, out: [number, string][], shown: Set<object>): void {
  switch (n.kind) {
    case 'Select': {
      const w = n.window;
      if (w === undefined) {
        selectSourceLines(n, depth, out, shown);
        subqueryLines(n, depth, out, shown);
      } else {
        // As SQLite shows its window rewrite: one co-routine per distinct window, the
        // first window outermost, each sorting by its PARTITION BY and ORDER BY.
        const coroutine = (k: number, d: number): void => {
          out.push([d, `CO-ROUTINE (subquery-${w.numbers[k]})`]);
          if (k + 1 < w.specs.length) {
            coroutine(k + 1, d + 1);
            out.push([d + 1, `SCAN (subquery-${w.numbers[k + 1]})`]);
          } else selectSourceLines(n, d + 1, out, shown);
          const sp = w.specs[k]!;
          if (sp.partition.length + sp.order.length > 0) out.push([d + 1, 'USE TEMP B-TREE FOR ORDER BY']);
        };
        coroutine(0, depth);
        out.push([depth, `SCAN (subquery-${w.numbers[0]})`]);
        subqueryLines(n, depth, out, shown);
      }
      if (n.distinct !== null) out.push([depth, 'USE TEMP B-TREE FOR DISTINCT']);
      return;
    }
    case 'Sort':
      queryLines(n.input, depth, out, shown);
      out.push([depth, 'USE TEMP B-TREE FOR ORDER BY']);
      return;
    case 'Limit':
      queryLines(n.input, depth, out, shown);
      return;
    case 'Values':
      out.push([depth, n.rows.length === 1 ? 'SCAN CONSTANT ROW' : `SCAN ${n.rows.length} CONSTANT ROWS`]);
      return;
    case 'Compound': {
      out.push([depth, 'COMPOUND QUERY']);
      const parts: { op: string; node: QueryNode }[] = [];
      let x: QueryNode = n;
      // A chain a UNION b UNION c is one compound of three parts, as SQLite shows it.
      while (x.kind === 'Compound') {
        parts.unshift({ op: x.op, node: x.right });
        x = x.left;
      }
      out.push([depth + 1, 'LEFT-MOST SUBQUERY']);
      queryLines(x, depth + 2, out, shown);
      for (const p of parts) {
        out.push([depth + 1, p.op === 'EXCEPT' || p.op === 'INTERSECT' ? `${p.op} USING TEMP B-TREE` : p.op === 'UNION' ? 'UNION USING TEMP B-TREE' : 'UNION ALL']);
        queryLines(p.node, depth + 2, out, shown);
      }
      return;
    }
    case 'Recursive':
      out.push([depth, `RECURSIVE CTE ${n.name}`]);
      out.push([depth + 1, 'SETUP']);
      queryLines(n.init, depth + 2, out, shown);
      out.push([depth + 1, `RECURSIVE STEP${n.distinct !== null ? ' (UNION)' : ''}`]);
      queryLines(n.step, depth + 2, out, shown);
      return;
  }
}

/** A SELECT's materialised sources, its SCAN/SEARCH lines and its GROUP BY. */
function selectSourceLines(n: SelectNode, depth: number, out: [number, string][], shown: Set<object>): void {
  for (const l of n.join.levels) {
    const r = l.rows;
    if (r !== null && r.kind === 'Query' && !shown.has(r.shared.key)) {
      shown.add(r.shared.key);
      out.push([depth, `MATERIALIZE ${r.name}`]);
      queryLines(r.query, depth + 1, out, shown);
    }
  }
  for (const l of n.join.levels) out.push([depth, describeLevel(l)]);
  if (n.window !== undefined && n.aggregate !== null && n.aggregate.groupBy.length > 0) out.push([depth, 'USE TEMP B-TREE FOR GROUP BY']);
}

function subqueryLines(n: SelectNode, depth: number, out: [number, string][], shown: Set<object>): void {
  for (const s of n.subqueries) {
    out.push([depth, `${s.correlated ? 'CORRELATED ' : ''}SCALAR SUBQUERY ${s.number}`]);
    queryLines(s.plan, depth + 1, out, shown);
  }
  if (n.window === undefined && n.aggregate !== null && n.aggregate.groupBy.length > 0) out.push([depth, 'USE TEMP B-TREE FOR GROUP BY']);
}

/** The SCAN / SEARCH line of one join level. */
export function describeLevel(l: LevelNode): string {
  const tname = l.src.name;
  const a = l.access;
  const colName = (t: AccessTerm): string => {
    const tb = l.table;
    if (tb && (t.col === tb.columns.length || t.col === tb.rowidAlias)) return 'rowid';
    return l.src.columns[t.col]?.name ?? 'rowid';
  };
  switch (a.kind) {
    case 'scan':
      return `SCAN ${tname}`;
    case 'rows':
      return `SCAN ${tname}`;
    case 'function':
      return `SCAN ${tname} VIRTUAL TABLE INDEX ${a.mask}:`;
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

/** One EXPLAIN row: depth, operator name, detail. */
export type OperatorLine = readonly [number, string, string];

/** Every operator of the tree, outermost first, for EXPLAIN. */
export function explainOperators(node: QueryNode): OperatorLine[] {
  const out: [number, string, string][] = [];
  const shown = new Set<object>();
  const walk = (n: QueryNode, d: number): void => {
    const cols = n.columns.map((c) => c.name).join(', ');
    switch (n.kind) {
      case 'Select': {
        out.push([d, n.aggregate !== null ? 'Project (per group)' : 'Project', `${cols}${n.distinct !== null ? ' DISTINCT' : ''}`]);
        let e = d + 1;
        if (n.having !== null) out.push([e++, 'Filter', 'HAVING']);
        const w = n.window;
        if (w !== undefined) {
          for (let k = 0; k < w.specs.length; k++) {
            const sp = w.specs[k]!;
            const calls = w.calls.filter((c) => c.spec === k).map((c) => `${c.name}()`).join(', ');
            out.push([e++, 'Window', `${sp.partition.length} partition key(s), ${sp.order.length} order key(s), ${sp.units}: ${calls}`]);
          }
        }
        if (n.aggregate !== null) {
          const a = n.aggregate;
          out.push([e++, 'Aggregate', `${a.groupBy.length} group key(s), ${a.calls.map((c) => `${c.def.name}()`).join(', ') || 'no aggregate function'}`]);
        }
        out.push([e, 'NestedLoop', n.join.levels.length === 0 ? 'one row' : `${n.join.levels.length} level(s)${n.join.pre.length > 0 ? `, ${n.join.pre.length} constant filter(s)` : ''}`]);
        for (const l of n.join.levels) {
          out.push([e + 1, l.left ? 'LeftLevel' : 'Level', `${describeLevel(l)}${l.filters.length > 0 ? `, ${l.filters.length} filter(s)` : ''}`]);
          const r = l.rows;
          if (r !== null && r.kind === 'Query' && !shown.has(r.shared.key)) {
            shown.add(r.shared.key);
            walk(r.query, e + 2);
          }
        }
        for (const s of n.subqueries) {
          out.push([d + 1, 'Subquery', `${s.correlated ? 'correlated ' : ''}#${s.number}`]);
          walk(s.plan, d + 2);
        }
        return;
      }
      case 'Sort':
        out.push([d, 'Sort', `${n.terms.length} key(s)${n.limit !== null ? ', top-N' : ''}`]);
        walk(n.input, d + 1);
        return;
      case 'Limit':
        out.push([d, 'Limit', `${n.limit !== null ? 'LIMIT' : ''}${n.offset !== null ? ' OFFSET' : ''}`.trim()]);
        walk(n.input, d + 1);
        return;
      case 'Values':
        out.push([d, 'Values', `${n.rows.length} row(s) of ${cols}`]);
        return;
      case 'Compound':
        out.push([d, 'Compound', n.op]);
        walk(n.left, d + 1);
        walk(n.right, d + 1);
        return;
      case 'Recursive':
        out.push([d, 'RecursiveCte', `${n.name}${n.distinct !== null ? ' UNION' : ' UNION ALL'}`]);
        walk(n.init, d + 1);
        walk(n.step, d + 1);
        return;
    }
  };
  walk(node, 0);
  return out;
}
