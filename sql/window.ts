/**
 * Window functions (SQLite's windowfunctions.html): the built-in window
 * functions, every aggregate used with OVER, PARTITION BY, ORDER BY, frames
 * (ROWS, RANGE, GROUPS with every bound, EXCLUDE) and named windows.
 *
 * Planning (expr-compile.ts, planner.ts) turns each `f(…) OVER …` into a
 * WindowCall whose result an expression reads from frame.rows[slot][i], as an
 * aggregate's is read, and groups the calls by their window (WindowSpec: the
 * same PARTITION BY, ORDER BY and frame, compared as SQLite's
 * sqlite3WindowCompare does). Running (`openWindowCursor`) is SQLite's
 * rewrite made direct:
 *
 *   1. Every row the SELECT's FROM/WHERE (or GROUP BY/HAVING) produces is
 *      buffered: a copy of its source rows, the window keys, the call
 *      arguments. The rows count against the statement's TempBudget, so a
 *      huge partition is TOO_BIG, never an out-of-memory crash.
 *   2. Windows are processed last to first: each one sorts the rows (a stable
 *      sort) by its PARTITION BY then ORDER BY and computes its calls over
 *      each partition. The first window is sorted last, so without ORDER BY
 *      the rows come out in its order — SQLite's order too (its outermost
 *      co-routine is the first window's).
 *   3. Each row's source rows are restored into the frame and the result
 *      columns evaluated.
 *
 * An aggregate's frame slides forward only (both ends are non-decreasing),
 * so rows enter at the end and leave at the start, in order: an Accumulator
 * with an `inverse` (sum, total, avg, count, group_concat, a user aggregate
 * that has one) costs O(1) per row; min/max keep a monotonic queue; an
 * aggregate without an inverse is started again for each frame whose start
 * moved. A frame whose start never moves (UNBOUNDED PRECEDING, the default)
 * only ever steps. A written EXCLUDE clause (EXCLUDE NO OTHERS too, as SQLite) recomputes each row's frame.
 */
import { HeliosError } from '../format/errors.ts';
import { RealBox, type SqlValue } from '../format/sql-value.ts';
import type * as A from './ast.ts';
import type { AggregateDef } from './aggregates.ts';
import type { Ev, Frame, Row } from './frame.ts';
import type { TempBudget } from './temp-budget.ts';
import { type Collation, add, applyComparisonAffinity, compareValues, isTruthy, makeReal, subtract, toInteger } from './value.ts';
import { rowKey } from './value-key.ts';

/** The built-in window functions (not aggregates) and their argument counts. */
const BUILTIN: ReadonlyMap<string, { readonly min: number; readonly max: number }> = new Map([
  ['row_number', { min: 0, max: 0 }],
  ['rank', { min: 0, max: 0 }],
  ['dense_rank', { min: 0, max: 0 }],
  ['percent_rank', { min: 0, max: 0 }],
  ['cume_dist', { min: 0, max: 0 }],
  ['ntile', { min: 1, max: 1 }],
  ['lag', { min: 1, max: 3 }],
  ['lead', { min: 1, max: 3 }],
  ['first_value', { min: 1, max: 1 }],
  ['last_value', { min: 1, max: 1 }],
  ['nth_value', { min: 2, max: 2 }],
]);

/** The argument counts of the built-in window function `name` (folded), or undefined. */
export function builtinWindowFunction(name: string): { readonly min: number; readonly max: number } | undefined {
  return BUILTIN.get(name);
}

export type BoundKind = 'UnboundedPreceding' | 'Preceding' | 'CurrentRow' | 'Following' | 'UnboundedFollowing';

export interface CompiledBound {
  readonly kind: BoundKind;
  /** The offset of `n PRECEDING` / `n FOLLOWING`: a constant (a non-constant one is NULL, as in SQLite). */
  readonly offset: Ev | null;
}

export interface WindowOrderTerm {
  readonly ev: Ev;
  readonly desc: boolean;
  readonly nullsFirst: boolean;
  readonly coll: Collation;
}

/** One distinct window of a SELECT, compiled. */
export interface WindowSpec {
  /** The canonical text of the resolved window (equal windows share one spec). */
  readonly key: string;
  /** The canonical text of PARTITION BY and ORDER BY alone: windows with equal ones sort alike. */
  readonly sortKey: string;
  readonly partition: readonly Ev[];
  readonly partitionColls: readonly Collation[];
  readonly order: readonly WindowOrderTerm[];
  /** The AST, for comparing with the query's ORDER BY (planner). */
  readonly def: A.WindowDef;
  readonly units: 'ROWS' | 'RANGE' | 'GROUPS';
  readonly start: CompiledBound;
  readonly end: CompiledBound;
  readonly exclude: 'NO OTHERS' | 'CURRENT ROW' | 'GROUP' | 'TIES';
  /**
   * SQLite's full-scan frame path: taken whenever an EXCLUDE clause is written, EXCLUDE NO OTHERS
   * included. Each row's aggregate starts afresh (sum over a frame that lost its REAL is an INTEGER
   * again), and nth_value checks N only when the frame has rows.
   */
  readonly fullScan: boolean;
}

/** One window function call: its result is frame.rows[WindowNode.slot][index of the call]. */
export interface WindowCall {
  /** The name as written, for EXPLAIN. */
  readonly name: string;
  /** A built-in window function (folded name), or null for an aggregate. */
  readonly builtin: string | null;
  readonly def: AggregateDef | null;
  readonly args: readonly Ev[];
  readonly filter: Ev | null;
  readonly coll: Collation;
  /** Index into WindowNode.specs. */
  readonly spec: number;
}

/** The window stage of a SELECT (plan.ts SelectNode.window). */
export interface WindowNode {
  readonly slot: number;
  /** The slots whose rows are copied per input row and restored for the output (FROM sources, the aggregate slot). */
  readonly snapshot: readonly number[];
  readonly specs: readonly WindowSpec[];
  readonly calls: readonly WindowCall[];
  /** EXPLAIN QUERY PLAN's co-routine numbers (SQLite's "subquery-N"), one per spec. */
  readonly numbers: readonly number[];
}

/** While compiling one SELECT: where window calls may appear and what they collect. */
export interface WindowContext {
  readonly slot: number;
  readonly calls: WindowCall[];
  readonly specs: WindowSpec[];
  /** While compiling a window call's arguments, PARTITION BY or ORDER BY (a window there is misuse). */
  inside: boolean;
}

function sqlErr(msg: string, pos?: A.SourcePos): HeliosError {
  return new HeliosError('SQL_ERROR', msg, pos ? { line: pos.line, column: pos.column } : {});
}

const IMPLICIT_FRAME: A.WindowFrame = { units: 'RANGE', start: { kind: 'UnboundedPreceding' }, end: { kind: 'CurrentRow' }, exclude: 'NO OTHERS' };

/**
 * Resolves a WINDOW clause: each definition may name an earlier one as its
 * base (SQLite's sqlite3WindowChain); a later definition of a name wins.
 * Returns the definitions without bases, by folded name.
 */
export function resolveWindowClause(defs: readonly A.NamedWindow[] | undefined): Map<string, A.WindowDef> {
  const out = new Map<string, A.WindowDef>();
  if (defs === undefined) return out;
  for (const d of defs) out.set(d.name.name.toLowerCase(), chain(d.window, out));
  return out;
}

/** `w` with its base window's PARTITION BY / ORDER BY merged in, under SQLite's rules. */
function chain(w: A.WindowDef, named: ReadonlyMap<string, A.WindowDef>): A.WindowDef {
  if (w.base === null) return w;
  const b = named.get(w.base.name.toLowerCase());
  if (b === undefined) throw sqlErr(`no such window: ${w.base.name}`, w.base.pos);
  let what: string | null = null;
  if (w.partitionBy.length > 0) what = 'PARTITION clause';
  else if (b.orderBy.length > 0 && w.orderBy.length > 0) what = 'ORDER BY clause';
  else if (b.frame !== null) what = 'frame specification';
  if (what !== null) throw sqlErr(`cannot override ${what} of window: ${w.base.name}`, w.base.pos);
  return { pos: w.pos, base: null, partitionBy: b.partitionBy, orderBy: b.orderBy.length > 0 ? b.orderBy : w.orderBy, frame: w.frame };
}

/** The frames SQLite forces on the ranking functions (sqlite3WindowUpdate's aUp table). */
const FORCED: ReadonlyMap<string, A.WindowFrame> = new Map<string, A.WindowFrame>([
  ['row_number', { units: 'ROWS', start: { kind: 'UnboundedPreceding' }, end: { kind: 'CurrentRow' }, exclude: 'NO OTHERS' }],
  ['dense_rank', IMPLICIT_FRAME],
  ['rank', IMPLICIT_FRAME],
  ['percent_rank', { units: 'GROUPS', start: { kind: 'CurrentRow' }, end: { kind: 'UnboundedFollowing' }, exclude: 'NO OTHERS' }],
  ['cume_dist', { units: 'GROUPS', start: { kind: 'Following', offset: { kind: 'Integer', pos: { offset: 0, line: 1, column: 1 }, value: 1 } }, end: { kind: 'UnboundedFollowing' }, exclude: 'NO OTHERS' }],
  ['ntile', { units: 'ROWS', start: { kind: 'CurrentRow' }, end: { kind: 'UnboundedFollowing' }, exclude: 'NO OTHERS' }],
  ['lead', { units: 'ROWS', start: { kind: 'UnboundedPreceding' }, end: { kind: 'UnboundedFollowing' }, exclude: 'NO OTHERS' }],
  ['lag', { units: 'ROWS', start: { kind: 'UnboundedPreceding' }, end: { kind: 'CurrentRow' }, exclude: 'NO OTHERS' }],
]);

/**
 * The window a call uses, resolved: a named window, or an inline one with
 * its base merged in; the frame filled in (the implicit one, or the one a
 * ranking function always uses). Raises SQLite's errors.
 */
export function resolveOver(over: A.OverClause, named: ReadonlyMap<string, A.WindowDef> | null, fn: string): A.WindowDef {
  let w: A.WindowDef;
  if (over.kind === 'Named') {
    const d = named?.get(over.name.name.toLowerCase());
    if (d === undefined) throw sqlErr(`no such window: ${over.name.name}`, over.name.pos);
    w = d;
  } else w = chain(over.window, named ?? new Map());
  const frame = w.frame ?? IMPLICIT_FRAME;
  if (frame.units === 'RANGE' && (isOffset(frame.start) || isOffset(frame.end)) && w.orderBy.length !== 1) {
    throw sqlErr('RANGE with offset PRECEDING/FOLLOWING requires one ORDER BY expression', w.pos);
  }
  return { ...w, frame: FORCED.get(fn) ?? frame };
}

function isOffset(b: A.FrameBound): boolean {
  return b.kind === 'Preceding' || b.kind === 'Following';
}

/**
 * Whether a frame offset is constant as SQLite's parser judges it
 * (sqlite3ExprIsConstant before name resolution): literals and parameters
 * under operators; a column, function call or subquery is not.
 */
export function isConstantOffset(e: A.Expr): boolean {
  switch (e.kind) {
    case 'Integer':
    case 'Real':
    case 'String':
    case 'Blob':
    case 'Null':
    case 'Bool':
    case 'Param':
      return true;
    case 'Unary':
      return isConstantOffset(e.operand);
    case 'Binary':
      return isConstantOffset(e.left) && isConstantOffset(e.right);
    case 'Between':
      return isConstantOffset(e.expr) && isConstantOffset(e.low) && isConstantOffset(e.high);
    case 'IsNull':
    case 'Collate':
    case 'Cast':
      return isConstantOffset(e.expr);
    case 'Case':
      return (e.base === null || isConstantOffset(e.base)) && e.whens.every((w) => isConstantOffset(w.when) && isConstantOffset(w.then)) && (e.else === null || isConstantOffset(e.else));
    case 'InList':
      return isConstantOffset(e.expr) && e.items.every(isConstantOffset);
    default:
      return false;
  }
}

/** Whether `e` calls a window function outside any subquery. */
export function hasWindowCall(e: A.Expr | null): boolean {
  if (e === null) return false;
  switch (e.kind) {
    case 'Function':
      return e.over !== undefined || e.args.some(hasWindowCall) || hasWindowCall(e.filter);
    case 'Unary':
      return hasWindowCall(e.operand);
    case 'Binary':
      return hasWindowCall(e.left) || hasWindowCall(e.right);
    case 'Between':
      return hasWindowCall(e.expr) || hasWindowCall(e.low) || hasWindowCall(e.high);
    case 'InList':
      return hasWindowCall(e.expr) || e.items.some(hasWindowCall);
    case 'InSelect':
    case 'InTable':
    case 'IsNull':
    case 'Collate':
    case 'Cast':
      return hasWindowCall(e.expr);
    case 'Like':
      return hasWindowCall(e.expr) || hasWindowCall(e.pattern) || hasWindowCall(e.escape);
    case 'Case':
      return hasWindowCall(e.base) || e.whens.some((w) => hasWindowCall(w.when) || hasWindowCall(w.then)) || hasWindowCall(e.else);
    case 'Row':
      return e.items.some(hasWindowCall);
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------
// Running

/** The SELECT's rows before projection: each next() binds one more into the frame. */
export interface WindowInput {
  next(): boolean;
  close(): void;
}

/** Result rows pulled one at a time (exec.ts RowCursor). */
export interface WindowRowCursor {
  next(): Row | undefined;
  close(): void;
}

interface Buffered {
  readonly snap: Row[];
  /** Per spec: the PARTITION BY values, then the ORDER BY values. */
  readonly keys: SqlValue[][];
  /** Per call: its argument values. */
  readonly args: SqlValue[][];
  /** Per call: whether the row passes the call's FILTER. */
  readonly pass: boolean[] | null;
  readonly res: SqlValue[];
}

/**
 * The window stage: buffers every row `input` binds, computes every call,
 * then hands out `project(f)` for each row (with its source rows restored),
 * DISTINCT applied when `distinct` gives the collations.
 */
export function openWindowCursor(
  w: WindowNode,
  f: Frame,
  budget: TempBudget,
  input: WindowInput,
  project: (f: Frame) => Row,
  distinct: { readonly colls: readonly Collation[]; readonly width: number } | null,
): WindowRowCursor {
  let rows: Buffered[] | null = null;
  let i = 0;
  let held = 0;
  const seen = distinct !== null ? new Set<string>() : null;
  const build = (): Buffered[] => {
    const out: Buffered[] = [];
    const nSnap = w.snapshot.length;
    const specs = w.specs;
    const calls = w.calls;
    const anyFilter = calls.some((c) => c.filter !== null);
    try {
      while (input.next()) {
        const snap = new Array<Row>(nSnap);
        for (let k = 0; k < nSnap; k++) {
          const r = f.rows[w.snapshot[k]!]!;
          held += budget.row(r);
          snap[k] = r.slice();
        }
        const keys = new Array<SqlValue[]>(specs.length);
        for (let s = 0; s < specs.length; s++) {
          const sp = specs[s]!;
          const kv = new Array<SqlValue>(sp.partition.length + sp.order.length);
          let j = 0;
          for (const p of sp.partition) kv[j++] = p(f);
          for (const o of sp.order) kv[j++] = o.ev(f);
          held += budget.row(kv);
          keys[s] = kv;
        }
        const args = new Array<SqlValue[]>(calls.length);
        for (let c = 0; c < calls.length; c++) {
          const evs = calls[c]!.args;
          const a = new Array<SqlValue>(evs.length);
          for (let j = 0; j < evs.length; j++) a[j] = evs[j]!(f);
          held += budget.row(a);
          args[c] = a;
        }
        let pass: boolean[] | null = null;
        if (anyFilter) {
          pass = calls.map((c) => c.filter === null || isTruthy(c.filter(f)) === true);
        }
        held += budget.take(16 + 16 * calls.length);
        out.push({ snap, keys, args, pass, res: new Array<SqlValue>(calls.length) });
      }
    } finally {
      input.close();
    }
    if (out.length === 0) return out;
    let sortedAs: string | null = null;
    for (let s = specs.length - 1; s >= 0; s--) {
      const sp = specs[s]!;
      const sortKey = sp.partition.length + sp.order.length === 0 ? null : sp.sortKey;
      // A stable sort: rows equal under this window keep the order the previous one left.
      if (sortKey !== null && sortKey !== sortedAs) out.sort(specCompare(sp, s));
      if (sortKey !== null) sortedAs = sortKey;
      computeSpec(sp, s, w, out, f);
    }
    return out;
  };
  return {
    next(): Row | undefined {
      const rs = (rows ??= build());
      const slots = w.snapshot;
      while (i < rs.length) {
        const b = rs[i++]!;
        for (let k = 0; k < slots.length; k++) f.rows[slots[k]!] = b.snap[k]!;
        f.rows[w.slot] = b.res;
        const row = project(f);
        if (seen !== null) {
          const k = rowKey(row.length === distinct!.width ? row : row.slice(0, distinct!.width), distinct!.colls);
          if (seen.has(k)) continue;
          held += budget.take(k.length * 2 + 32);
          seen.add(k);
        }
        return row;
      }
      return undefined;
    },
    close(): void {
      if (rows === null) input.close();
      rows = [];
      seen?.clear();
      budget.release(held);
      held = 0;
    },
  };
}

function specCompare(sp: WindowSpec, s: number): (a: Buffered, b: Buffered) => number {
  const np = sp.partition.length;
  const pc = sp.partitionColls;
  const order = sp.order;
  return (a, b) => {
    const x = a.keys[s]!;
    const y = b.keys[s]!;
    for (let j = 0; j < np; j++) {
      const c = compareValues(x[j]!, y[j]!, pc[j]!);
      if (c !== 0) return c;
    }
    for (let j = 0; j < order.length; j++) {
      const c = termCompare(x[np + j]!, y[np + j]!, order[j]!);
      if (c !== 0) return c;
    }
    return 0;
  };
}

/** Sort order of one ORDER BY term (NULLs first ascending unless NULLS LAST). */
function termCompare(x: SqlValue, y: SqlValue, t: WindowOrderTerm): number {
  if (x === null || y === null) {
    if (x === y) return 0;
    return (x === null) === t.nullsFirst ? -1 : 1;
  }
  const c = compareValues(x, y, t.coll);
  return t.desc ? -c : c;
}

function offsetError(start: boolean, what: 'integer' | 'number'): HeliosError {
  return sqlErr(`frame ${start ? 'starting' : 'ending'} offset must be a non-negative ${what}`);
}

/** A ROWS/GROUPS offset as SQLite's OP_MustBeInt then `>= 0` accept it. */
function rowsOffset(v: SqlValue, start: boolean): number {
  let x = v;
  if (typeof x === 'string') x = applyComparisonAffinity(x, 'NUMERIC');
  if (x instanceof RealBox) x = x.value;
  if (typeof x === 'bigint') {
    if (x < 0n) throw offsetError(start, 'integer');
    return Number.MAX_SAFE_INTEGER;
  }
  if (typeof x !== 'number' || !Number.isInteger(x) || x < 0) throw offsetError(start, 'integer');
  return Math.min(x, Number.MAX_SAFE_INTEGER);
}

/** A RANGE offset: any non-negative number (numeric text converted), as SQLite's windowCheckValue. */
function rangeOffset(v: SqlValue, start: boolean): SqlValue {
  let x = v;
  if (typeof x === 'string') x = applyComparisonAffinity(x, 'NUMERIC');
  if (x === null || typeof x === 'string' || x instanceof Uint8Array) throw offsetError(start, 'number');
  const n = typeof x === 'bigint' ? (x < 0n ? -1 : 1) : x instanceof RealBox ? x.value : x;
  if (!(n >= 0)) throw offsetError(start, 'number');
  return x;
}

function isNumeric(v: SqlValue): boolean {
  return typeof v === 'number' || typeof v === 'bigint' || v instanceof RealBox;
}

/** Peer groups of one partition: grp[i] is row i's group; a group g spans [gStart[g], gEnd[g]). */
interface Peers {
  readonly grp: Int32Array;
  readonly gStart: number[];
  readonly gEnd: number[];
}

function computeSpec(sp: WindowSpec, s: number, w: WindowNode, rows: Buffered[], f: Frame): void {
  const rowsUnits = sp.units === 'ROWS';
  const range = sp.units === 'RANGE';
  // Offsets: evaluated once, checked as SQLite checks them (only when there are rows).
  let startN: number = 0;
  let endN: number = 0;
  let startV: SqlValue = null;
  let endV: SqlValue = null;
  if (sp.start.offset !== null) {
    const v = sp.start.offset(f);
    if (range) startV = rangeOffset(v, true);
    else startN = rowsOffset(v, true);
  }
  if (sp.end.offset !== null) {
    const v = sp.end.offset(f);
    if (range) endV = rangeOffset(v, false);
    else endN = rowsOffset(v, false);
  }
  const callIdx: number[] = [];
  for (let c = 0; c < w.calls.length; c++) if (w.calls[c]!.spec === s) callIdx.push(c);
  const np = sp.partition.length;
  const pc = sp.partitionColls;
  const order = sp.order;
  const nTotal = rows.length;
  let p0 = 0;
  while (p0 < nTotal) {
    let p1 = p0 + 1;
    if (np > 0) {
      const k0 = rows[p0]!.keys[s]!;
      while (p1 < nTotal) {
        const k1 = rows[p1]!.keys[s]!;
        let same = true;
        for (let j = 0; j < np; j++) {
          if (compareValues(k0[j]!, k1[j]!, pc[j]!) !== 0) {
            same = false;
            break;
          }
        }
        if (!same) break;
        p1++;
      }
    } else p1 = nTotal;
    const part = rows.slice(p0, p1);
    const n = part.length;
    // Peer groups (rows equal on every ORDER BY term; without ORDER BY, all are peers).
    const grp = new Int32Array(n);
    const gStart: number[] = [0];
    const gEnd: number[] = [];
    for (let r = 1; r < n; r++) {
      let same = true;
      const a = part[r - 1]!.keys[s]!;
      const b = part[r]!.keys[s]!;
      for (let j = 0; j < order.length; j++) {
        if (termCompare(a[np + j]!, b[np + j]!, order[j]!) !== 0) {
          same = false;
          break;
        }
      }
      if (!same) {
        gEnd.push(r);
        gStart.push(r);
      }
      grp[r] = gStart.length - 1;
    }
    gEnd.push(n);
    const peers: Peers = { grp, gStart, gEnd };
    const G = gStart.length;
    // RANGE offsets compare the one ORDER BY value.
    const t0 = order[0];
    const rangeBound = (r: number, b: CompiledBound, off: SqlValue): SqlValue => {
      const v = part[r]!.keys[s]![np]!;
      if (!isNumeric(v)) return v;
      const back = b.kind === 'Preceding' !== t0!.desc;
      return back ? subtract(v, off) : add(v, off);
    };
    const firstAtLeast = (lo: SqlValue): number => {
      let a = 0;
      let z = n;
      while (a < z) {
        const m = (a + z) >> 1;
        if (termCompare(part[m]!.keys[s]![np]!, lo, t0!) < 0) a = m + 1;
        else z = m;
      }
      return a;
    };
    const firstAbove = (hi: SqlValue): number => {
      let a = 0;
      let z = n;
      while (a < z) {
        const m = (a + z) >> 1;
        if (termCompare(part[m]!.keys[s]![np]!, hi, t0!) <= 0) a = m + 1;
        else z = m;
      }
      return a;
    };
    const startOf = (r: number): number => {
      const b = sp.start;
      switch (b.kind) {
        case 'UnboundedPreceding':
          return 0;
        case 'CurrentRow':
          return rowsUnits ? r : gStart[grp[r]!]!;
        case 'Preceding':
          if (rowsUnits) return Math.max(0, r - startN);
          if (range) return firstAtLeast(rangeBound(r, b, startV));
          return gStart[Math.max(0, grp[r]! - startN)]!;
        case 'Following':
          if (rowsUnits) return Math.min(n, r + startN);
          if (range) return firstAtLeast(rangeBound(r, b, startV));
          return grp[r]! + startN < G ? gStart[grp[r]! + startN]! : n;
        case 'UnboundedFollowing':
          return n;
      }
    };
    const endOf = (r: number): number => {
      const b = sp.end;
      switch (b.kind) {
        case 'UnboundedFollowing':
          return n;
        case 'CurrentRow':
          return rowsUnits ? r + 1 : gEnd[grp[r]!]!;
        case 'Preceding':
          if (rowsUnits) return Math.max(0, r - endN + 1);
          if (range) return firstAbove(rangeBound(r, b, endV));
          return grp[r]! - endN >= 0 ? gEnd[grp[r]! - endN]! : 0;
        case 'Following':
          if (rowsUnits) return Math.min(n, r + endN + 1);
          if (range) return firstAbove(rangeBound(r, b, endV));
          return gEnd[Math.min(G - 1, grp[r]! + endN)]!;
        case 'UnboundedPreceding':
          return 0;
      }
    };
    for (const c of callIdx) {
      const call = w.calls[c]!;
      if (call.builtin !== null) builtinCall(call, c, part, peers, sp, startOf, endOf);
      else aggregateCall(call, c, part, peers, sp, startOf, endOf);
    }
    p0 = p1;
  }
}

/** The rows of row r's frame [s, e) left after EXCLUDE, as up to three [from, to) ranges in order. */
function frameRanges(sp: WindowSpec, r: number, s: number, e: number, peers: Peers): number[] {
  if (s >= e) return [];
  const out: number[] = [];
  const push = (a: number, b: number): void => {
    if (a < b) out.push(a, b);
  };
  switch (sp.exclude) {
    case 'NO OTHERS':
      push(s, e);
      break;
    case 'CURRENT ROW':
      push(s, Math.min(e, r));
      push(Math.max(s, r + 1), e);
      break;
    case 'GROUP':
    case 'TIES': {
      const g = peers.grp[r]!;
      const gs = peers.gStart[g]!;
      const ge = peers.gEnd[g]!;
      push(s, Math.min(e, gs));
      if (sp.exclude === 'TIES' && r >= s && r < e) push(r, r + 1);
      push(Math.max(s, ge), e);
      break;
    }
  }
  return out;
}

function aggregateCall(call: WindowCall, c: number, part: Buffered[], peers: Peers, sp: WindowSpec, startOf: (r: number) => number, endOf: (r: number) => number): void {
  const def = call.def!;
  const n = part.length;
  const passes = (r: number): boolean => {
    const p = part[r]!.pass;
    return p === null || p[c]!;
  };
  if (sp.fullScan) {
    for (let r = 0; r < n; r++) {
      const rs = frameRanges(sp, r, startOf(r), endOf(r), peers);
      const acc = def.create(call.coll);
      for (let k = 0; k < rs.length; k += 2) for (let x = rs[k]!; x < rs[k + 1]!; x++) if (passes(x)) acc.step(part[x]!.args[c]!);
      part[r]!.res[c] = acc.result();
    }
    return;
  }
  const moving = sp.start.kind !== 'UnboundedPreceding';
  const make = moving && def.createSliding !== undefined ? def.createSliding : def.create;
  let acc = make(call.coll);
  const inverse = moving && acc.inverse !== undefined;
  // The accumulator holds the rows [lo, hi) that pass the filter.
  let lo = 0;
  let hi = 0;
  for (let r = 0; r < n; r++) {
    const s = startOf(r);
    const e = endOf(r);
    if (s > lo && !inverse) {
      acc = make(call.coll);
      lo = hi = s;
    }
    for (; hi < e; hi++) if (hi >= lo && passes(hi)) acc.step(part[hi]!.args[c]!);
    for (; lo < s; lo++) if (lo < hi && passes(lo)) acc.inverse!(part[lo]!.args[c]!);
    if (hi < lo) hi = lo;
    part[r]!.res[c] = acc.result();
  }
}

function positiveN(v: SqlValue): number | null {
  let x = v;
  if (typeof x === 'string') x = applyComparisonAffinity(x, 'NUMERIC');
  if (x instanceof RealBox) x = x.value;
  if (typeof x === 'bigint') return x > 0n ? Number.MAX_SAFE_INTEGER : null;
  if (typeof x !== 'number' || !Number.isInteger(x) || x <= 0) return null;
  return x;
}

function builtinCall(call: WindowCall, c: number, part: Buffered[], peers: Peers, sp: WindowSpec, startOf: (r: number) => number, endOf: (r: number) => number): void {
  const n = part.length;
  const { grp, gStart, gEnd } = peers;
  switch (call.builtin) {
    case 'row_number':
      for (let r = 0; r < n; r++) part[r]!.res[c] = r + 1;
      return;
    case 'rank':
      for (let r = 0; r < n; r++) part[r]!.res[c] = gStart[grp[r]!]! + 1;
      return;
    case 'dense_rank':
      for (let r = 0; r < n; r++) part[r]!.res[c] = grp[r]! + 1;
      return;
    case 'percent_rank':
      for (let r = 0; r < n; r++) part[r]!.res[c] = makeReal(n > 1 ? gStart[grp[r]!]! / (n - 1) : 0);
      return;
    case 'cume_dist':
      for (let r = 0; r < n; r++) part[r]!.res[c] = makeReal(gEnd[grp[r]!]! / n);
      return;
    case 'ntile': {
      // As SQLite's ntileStepFunc: the argument of the partition's first row, as an integer.
      const iv = toInteger(part[0]!.args[c]![0]!);
      const nParam = typeof iv === 'bigint' ? (iv > 0n ? Number.MAX_SAFE_INTEGER : 0) : iv;
      if (nParam <= 0) throw sqlErr('argument of ntile must be a positive integer');
      const nSize = Math.floor(n / nParam);
      for (let r = 0; r < n; r++) {
        let v: number;
        if (nSize === 0) v = r + 1;
        else {
          const nLarge = n - nParam * nSize;
          const iSmall = nLarge * (nSize + 1);
          v = r < iSmall ? 1 + Math.floor(r / (nSize + 1)) : 1 + nLarge + Math.floor((r - iSmall) / nSize);
        }
        part[r]!.res[c] = v;
      }
      return;
    }
    case 'lag':
    case 'lead': {
      const lead = call.builtin === 'lead';
      for (let r = 0; r < n; r++) {
        const a = part[r]!.args[c]!;
        const dflt = a.length > 2 ? a[2]! : null;
        // SQLite adds the offset to the row's position in the partition and seeks that
        // position: a NULL, fractional or out-of-range target gives the default.
        const pos = a.length < 2 ? r + 1 + (lead ? 1 : -1) : (lead ? add : subtract)(r + 1, a[1]!);
        const t = targetPosition(pos);
        part[r]!.res[c] = t !== null && t >= 1 && t <= n ? part[t - 1]!.args[c]![0]! : dflt;
      }
      return;
    }
    case 'first_value':
    case 'last_value':
    case 'nth_value': {
      for (let r = 0; r < n; r++) {
        let k: number;
        const rs = frameRanges(sp, r, startOf(r), endOf(r), peers);
        // SQLite checks N for every row, except under EXCLUDE (its full-scan path), where it
        // checks it as frame rows are stepped: a frame left empty never checks it.
        if (call.builtin === 'nth_value') {
          const nv = rs.length === 0 && sp.fullScan ? 1 : positiveN(part[r]!.args[c]![1]!);
          if (nv === null) throw sqlErr('second argument to nth_value must be a positive integer');
          k = nv;
        } else k = call.builtin === 'first_value' ? 1 : -1;
        let v: SqlValue = null;
        if (k === -1) {
          if (rs.length > 0) v = part[rs[rs.length - 1]! - 1]!.args[c]![0]!;
        } else {
          for (let j = 0; j < rs.length; j += 2) {
            const len = rs[j + 1]! - rs[j]!;
            if (k <= len) {
              v = part[rs[j]! + k - 1]!.args[c]![0]!;
              break;
            }
            k -= len;
          }
        }
        part[r]!.res[c] = v;
      }
      return;
    }
    default:
      throw new HeliosError('INTERNAL', `unknown window function ${call.name}`);
  }
}

/** The integer position an OP_SeekRowid would seek for `v`, or null when it seeks nothing. */
function targetPosition(v: SqlValue): number | null {
  if (typeof v === 'number') return Number.isInteger(v) ? v : null;
  if (v instanceof RealBox) return Number.isInteger(v.value) && Math.abs(v.value) < 2 ** 63 ? v.value : null;
  return null;
}
