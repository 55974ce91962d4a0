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
 *   1. Each row the SELECT's FROM/WHERE (or GROUP BY/HAVING) produces is
 *      buffered as it is read: a copy of its source rows, the window keys,
 *      the call arguments. Buffered rows count against the statement's
 *      TempBudget, so a huge partition is TOO_BIG, never an out-of-memory
 *      crash; a row is given back once every stage and the output let it go.
 *   2. Each window is a stage, last to first, each feeding the one before (as
 *      SQLite's co-routines nest): a stage sorts the rows (a stable sort) by
 *      its PARTITION BY then ORDER BY unless they already come in that order,
 *      and works one partition at a time. The first window is sorted last,
 *      so without ORDER BY the rows come out in its order — SQLite's order
 *      too (its outermost co-routine is the first window's).
 *   3. A row's values are computed when the row is pulled: a user aggregate
 *      is stepped, inverted and asked for its result as many times as SQLite
 *      does by then (a test counts them against SQLite; the interleaving of
 *      steps and inverses differs), so `LIMIT n` stops its steps and its
 *      error comes after the rows before it were returned. A stage
 *      that can stream (no sort, a ROWS frame not ending at UNBOUNDED
 *      FOLLOWING, no EXCLUDE, functions that read their frame only) reads
 *      ahead only as far as the frame ends and drops the rows no frame can
 *      reach again; the others read their whole partition first.
 *   4. Each row's source rows are restored into the frame and the result
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
  /** The budget bytes the row holds until its last holder lets it go. */
  readonly bytes: number;
  /** How many of its holders (each stage, then the output) have let it go. */
  drops: number;
}

/** Buffered rows in the order one stage hands them on; undefined once exhausted. */
interface BufferedSource {
  next(): Buffered | undefined;
}

/** What the stages of one window cursor share. */
interface Pipeline {
  readonly w: WindowNode;
  readonly f: Frame;
  readonly budget: TempBudget;
  /** Every stage and the output hold each row once: it is given back to the budget after the last lets it go. */
  readonly holders: number;
  /** Budget bytes held now (rows not yet let go by every holder, and parts of a row whose buffering failed). */
  held: number;
}

function letGo(p: Pipeline, b: Buffered): void {
  if (++b.drops === p.holders) {
    p.budget.release(b.bytes);
    p.held -= b.bytes;
  }
}

/**
 * The window stage: reads the rows `input` binds only as the stages need
 * them, computes each call's value for a row as the row is pulled, and hands
 * out `project(f)` for each row (with its source rows restored), DISTINCT
 * applied when `distinct` gives the collations.
 *
 * The stages are the windows, last to first (each feeds the one before, as
 * SQLite's co-routines nest): a stage whose PARTITION BY/ORDER BY the rows
 * are not already in reads all of them and sorts them (stable); every stage
 * then works one partition at a time. A stage whose frame and functions can
 * stream (`streams`) buffers its partition only as far as the frame reaches
 * ahead and drops each row once no frame can include it again, so a running
 * sum over a table holds a few rows, not the table; any other stage reads
 * its whole partition first. Either way an aggregate steps, inverts and
 * reports a row's frame only when that row is pulled: `LIMIT n` over a
 * streaming frame steps a user aggregate about n times, and its error
 * surfaces after the rows before it were returned.
 */
export function openWindowCursor(
  w: WindowNode,
  f: Frame,
  budget: TempBudget,
  input: WindowInput,
  project: (f: Frame) => Row,
  distinct: { readonly colls: readonly Collation[]; readonly width: number } | null,
): WindowRowCursor {
  const p: Pipeline = { w, f, budget, holders: w.specs.length + 1, held: 0 };
  const src = inputSource(p, input);
  let top: BufferedSource = src;
  let sortedAs: string | null = null;
  for (let s = w.specs.length - 1; s >= 0; s--) {
    const sp = w.specs[s]!;
    const sortKey = sp.partition.length + sp.order.length === 0 ? null : sp.sortKey;
    // The first window is sorted last, so without ORDER BY the rows come out in its order (SQLite's too).
    top = openStage(p, s, top, sortKey !== null && sortKey !== sortedAs);
    if (sortKey !== null) sortedAs = sortKey;
  }
  let closed = false;
  let seenHeld = 0;
  const seen = distinct !== null ? new Set<string>() : null;
  const slots = w.snapshot;
  return {
    next(): Row | undefined {
      if (closed) return undefined;
      for (;;) {
        const b = top.next();
        if (b === undefined) {
          src.close();
          return undefined;
        }
        for (let k = 0; k < slots.length; k++) f.rows[slots[k]!] = b.snap[k]!;
        f.rows[w.slot] = b.res;
        const row = project(f);
        letGo(p, b);
        if (seen !== null) {
          const k = rowKey(row.length === distinct!.width ? row : row.slice(0, distinct!.width), distinct!.colls);
          if (seen.has(k)) continue;
          seenHeld += budget.take(k.length * 2 + 32);
          seen.add(k);
        }
        return row;
      }
    },
    close(): void {
      closed = true;
      src.close();
      seen?.clear();
      budget.release(p.held + seenHeld);
      p.held = 0;
      seenHeld = 0;
    },
  };
}

/** The input's rows, buffered: copies of the source rows, the window keys, the call arguments and FILTERs. */
function inputSource(p: Pipeline, input: WindowInput): BufferedSource & { close(): void } {
  const { w, f, budget } = p;
  const nSnap = w.snapshot.length;
  const specs = w.specs;
  const calls = w.calls;
  const anyFilter = calls.some((c) => c.filter !== null);
  // The rows the input bound last (not copies): rebound before it advances, since the output binds
  // earlier rows' copies in between and a join reads its outer rows from the frame.
  let bound: Row[] | null = null;
  let open = true;
  const close = (): void => {
    if (!open) return;
    open = false;
    input.close();
  };
  return {
    next(): Buffered | undefined {
      if (!open) return undefined;
      if (bound !== null) for (let k = 0; k < nSnap; k++) f.rows[w.snapshot[k]!] = bound[k]!;
      if (!input.next()) {
        close();
        return undefined;
      }
      bound ??= new Array<Row>(nSnap);
      // Bytes are added to p.held as they are taken, so a TOO_BIG part-way is given back at close.
      let bytes = 0;
      let n: number;
      const snap = new Array<Row>(nSnap);
      for (let k = 0; k < nSnap; k++) {
        const r = f.rows[w.snapshot[k]!]!;
        bound[k] = r;
        p.held += n = budget.row(r);
        bytes += n;
        snap[k] = r.slice();
      }
      const keys = new Array<SqlValue[]>(specs.length);
      for (let s = 0; s < specs.length; s++) {
        const sp = specs[s]!;
        const kv = new Array<SqlValue>(sp.partition.length + sp.order.length);
        let j = 0;
        for (const e of sp.partition) kv[j++] = e(f);
        for (const o of sp.order) kv[j++] = o.ev(f);
        p.held += n = budget.row(kv);
        bytes += n;
        keys[s] = kv;
      }
      const args = new Array<SqlValue[]>(calls.length);
      for (let c = 0; c < calls.length; c++) {
        const evs = calls[c]!.args;
        const a = new Array<SqlValue>(evs.length);
        for (let j = 0; j < evs.length; j++) a[j] = evs[j]!(f);
        p.held += n = budget.row(a);
        bytes += n;
        args[c] = a;
      }
      const pass = anyFilter ? calls.map((c) => c.filter === null || isTruthy(c.filter(f)) === true) : null;
      p.held += n = budget.take(16 + 16 * calls.length);
      bytes += n;
      return { snap, keys, args, pass, res: new Array<SqlValue>(calls.length), bytes, drops: 0 };
    },
    close,
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

/** One call's values over one partition. */
interface Runner {
  /** Row r's value; called for r = 0, 1, … in order, once each. */
  value(r: number): SqlValue;
  /** The lowest row a later value() may read: a streaming stage drops the rows below it. */
  low(): number;
}

/** How a stage finds row r's frame [startOf(r), endOf(r)) and the rows in it. */
interface FrameOf {
  readonly at: (i: number) => Buffered;
  readonly startOf: (r: number) => number;
  readonly endOf: (r: number) => number;
  /** Null in a streaming stage (ROWS frames, no EXCLUDE: nothing needs peers). */
  readonly peers: Peers | null;
  /** The partition's row count; -1 in a streaming stage (not known until it ends). */
  readonly n: number;
}

/** The built-in functions a streaming stage computes: each reads its frame only (row_number nothing). */
const STREAMING_BUILTINS: ReadonlySet<string> = new Set(['row_number', 'first_value', 'last_value', 'nth_value']);

/**
 * Whether a stage can stream, as SQLite's windowCodeStep does without
 * reading the partition first: no sort, a ROWS frame that does not end at
 * UNBOUNDED FOLLOWING and has no EXCLUDE, and functions that read their
 * frame only (ranking by peers, ntile, percent_rank, cume_dist, lead and
 * lag see the partition).
 */
function streams(sp: WindowSpec, calls: readonly WindowCall[], sort: boolean): boolean {
  if (sort || sp.units !== 'ROWS' || sp.fullScan || sp.end.kind === 'UnboundedFollowing') return false;
  return calls.every((c) => c.builtin === null || STREAMING_BUILTINS.has(c.builtin));
}

/** Frame offsets, evaluated once and checked as SQLite checks them (only when there are rows). */
interface Offsets {
  readonly startN: number;
  readonly endN: number;
  readonly startV: SqlValue;
  readonly endV: SqlValue;
}

function evalOffsets(sp: WindowSpec, f: Frame): Offsets {
  const range = sp.units === 'RANGE';
  let startN = 0;
  let endN = 0;
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
  return { startN, endN, startV, endV };
}

/**
 * One window's stage: the rows of `upstream` (sorted first when `sort`),
 * each handed on once this window's calls hold its values.
 */
function openStage(p: Pipeline, s: number, upstream: BufferedSource, sort: boolean): BufferedSource {
  const sp = p.w.specs[s]!;
  const callIdx: number[] = [];
  for (let c = 0; c < p.w.calls.length; c++) if (p.w.calls[c]!.spec === s) callIdx.push(c);
  const streaming = streams(sp, callIdx.map((c) => p.w.calls[c]!), sort);
  const np = sp.partition.length;
  const pc = sp.partitionColls;
  /** A sorting stage's rows, once sorted, and where its next partition starts. */
  let sorted: (Buffered | undefined)[] | null = null;
  let sortedAt = 0;
  let exhausted = false;
  /** The first row of the next partition, read while looking for the end of this one. */
  let pending: Buffered | undefined;
  let offsets: Offsets | null = null;
  // The current partition: rows[head + i - base] is its row i, for base <= i < base + rows.length - head.
  let inPart = false;
  let first: SqlValue[] | null = null;
  let rows: (Buffered | undefined)[] = [];
  let head = 0;
  let base = 0;
  let ended = false;
  let runners: Runner[] = [];
  let r = 0;
  const pull = (): Buffered | undefined => {
    let b = pending;
    pending = undefined;
    if (b === undefined) {
      if (exhausted) return undefined;
      b = upstream.next();
      if (b === undefined) {
        exhausted = true;
        return undefined;
      }
    }
    if (np > 0) {
      const k = b.keys[s]!;
      if (first === null) first = k;
      else {
        for (let j = 0; j < np; j++) {
          if (compareValues(first[j]!, k[j]!, pc[j]!) !== 0) {
            pending = b;
            return undefined;
          }
        }
      }
    }
    return b;
  };
  const count = (): number => base + rows.length - head;
  /** Whether the partition has a row i, reading it (and those before it) when needed. */
  const has = (i: number): boolean => {
    while (i >= count()) {
      if (ended) return false;
      const b = pull();
      if (b === undefined) ended = true;
      else rows.push(b);
    }
    return true;
  };
  const at = (i: number): Buffered => rows[head + i - base]!;
  /** Lets go of the rows below `i`. */
  const dropBelow = (i: number): void => {
    while (base < i && head < rows.length) {
      letGo(p, rows[head]!);
      rows[head++] = undefined;
      base++;
    }
    if (head > 1024 && head * 2 > rows.length) {
      rows = rows.slice(head);
      head = 0;
    }
  };
  /** A sorting stage's next partition: a slice of its sorted rows (all of them without PARTITION BY). */
  const sortedPartition = (): (Buffered | undefined)[] => {
    if (sorted === null) {
      sorted = [];
      for (let b = upstream.next(); b !== undefined; b = upstream.next()) sorted.push(b);
      // A stable sort: rows equal under this window keep the order the previous one left.
      (sorted as Buffered[]).sort(specCompare(sp, s));
    }
    const p0 = sortedAt;
    let p1 = sorted.length;
    if (np > 0 && p0 < p1) {
      const k0 = sorted[p0]!.keys[s]!;
      for (p1 = p0 + 1; p1 < sorted.length; p1++) {
        const k = sorted[p1]!.keys[s]!;
        let same = true;
        for (let j = 0; j < np && same; j++) same = compareValues(k0[j]!, k[j]!, pc[j]!) === 0;
        if (!same) break;
      }
    }
    sortedAt = p1;
    if (p0 === 0 && p1 === sorted.length) return sorted;
    const part = sorted.slice(p0, p1);
    // The partition holds its rows now: the sorted array lets go of them, so a dropped partition is freed.
    sorted.fill(undefined, p0, p1);
    return part;
  };
  const startPartition = (): boolean => {
    rows = sort ? sortedPartition() : [];
    head = 0;
    base = 0;
    ended = sort;
    first = null;
    r = 0;
    if (!has(0)) return false;
    offsets ??= evalOffsets(sp, p.f);
    const fr = streaming ? streamingFrame(sp, offsets, has, at, count) : bufferedFrame(sp, s, offsets, has, rows as Buffered[]);
    runners = callIdx.map((c) => {
      const call = p.w.calls[c]!;
      return call.builtin !== null ? builtinRunner(call, c, sp, fr) : aggregateRunner(call, c, sp, fr);
    });
    return true;
  };
  return {
    next(): Buffered | undefined {
      for (;;) {
        if (!inPart) {
          if (!startPartition()) return undefined;
          inPart = true;
        }
        if (has(r)) {
          const b = at(r);
          for (let k = 0; k < callIdx.length; k++) b.res[callIdx[k]!] = runners[k]!.value(r);
          r++;
          if (streaming) {
            let low = r;
            for (const run of runners) low = Math.min(low, run.low());
            dropBelow(low);
          }
          return b;
        }
        dropBelow(Infinity);
        inPart = false;
      }
    },
  };
}

/** A ROWS frame found as rows arrive: reading ahead only as far as the frame's end. */
function streamingFrame(sp: WindowSpec, o: Offsets, has: (i: number) => boolean, at: (i: number) => Buffered, count: () => number): FrameOf {
  /** Row i when the partition has it, else the partition's end. */
  const reach = (i: number): number => (has(i) ? i : count());
  const startOf = (r: number): number => {
    switch (sp.start.kind) {
      case 'UnboundedPreceding':
        return 0;
      case 'CurrentRow':
        return r;
      case 'Preceding':
        return Math.max(0, r - o.startN);
      case 'Following':
        return reach(r + o.startN);
      case 'UnboundedFollowing':
        return reach(Number.MAX_SAFE_INTEGER);
    }
  };
  const endOf = (r: number): number => {
    switch (sp.end.kind) {
      case 'CurrentRow':
        return r + 1;
      case 'Preceding':
        return Math.max(0, r - o.endN + 1);
      case 'Following':
        return has(r + o.endN) ? r + o.endN + 1 : count();
      case 'UnboundedFollowing':
        return reach(Number.MAX_SAFE_INTEGER);
      case 'UnboundedPreceding':
        return 0;
    }
  };
  return { at, startOf, endOf, peers: null, n: -1 };
}

/** Any frame, over the whole partition read first: its peer groups, and RANGE bounds by binary search. */
function bufferedFrame(sp: WindowSpec, s: number, o: Offsets, has: (i: number) => boolean, part: Buffered[]): FrameOf {
  let n = 0;
  while (has(n)) n++;
  const rowsUnits = sp.units === 'ROWS';
  const range = sp.units === 'RANGE';
  const { startN, endN, startV, endV } = o;
  const np = sp.partition.length;
  const order = sp.order;
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
  return { at: (i) => part[i]!, startOf, endOf, peers: { grp, gStart, gEnd }, n };
}

/** The rows of row r's frame [s, e) left after EXCLUDE, as up to three [from, to) ranges in order. */
function frameRanges(sp: WindowSpec, r: number, s: number, e: number, peers: Peers | null): number[] {
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
      const { grp, gStart, gEnd } = peers!;
      const g = grp[r]!;
      const gs = gStart[g]!;
      const ge = gEnd[g]!;
      push(s, Math.min(e, gs));
      if (sp.exclude === 'TIES' && r >= s && r < e) push(r, r + 1);
      push(Math.max(s, ge), e);
      break;
    }
  }
  return out;
}

function aggregateRunner(call: WindowCall, c: number, sp: WindowSpec, fr: FrameOf): Runner {
  const def = call.def!;
  const { at, startOf, endOf } = fr;
  const passes = (r: number): boolean => {
    const p = at(r).pass;
    return p === null || p[c]!;
  };
  if (sp.fullScan) {
    return {
      value(r) {
        const rs = frameRanges(sp, r, startOf(r), endOf(r), fr.peers);
        const acc = def.create(call.coll);
        for (let k = 0; k < rs.length; k += 2) for (let x = rs[k]!; x < rs[k + 1]!; x++) if (passes(x)) acc.step(at(x).args[c]!);
        return acc.result();
      },
      low: () => 0,
    };
  }
  const moving = sp.start.kind !== 'UnboundedPreceding';
  const make = moving && def.createSliding !== undefined ? def.createSliding : def.create;
  let acc = make(call.coll);
  const inverse = moving && acc.inverse !== undefined;
  // The accumulator holds the rows [lo, hi) that pass the filter.
  let lo = 0;
  let hi = 0;
  // RANGE and GROUPS give peers one frame: its value is asked for once per peer group, as SQLite does.
  const grp = sp.units !== 'ROWS' ? fr.peers!.grp : null;
  let last: SqlValue = null;
  return {
    value(r) {
      if (grp !== null && r > 0 && grp[r] === grp[r - 1]) return last;
      const s = startOf(r);
      const e = endOf(r);
      if (s > lo && !inverse) {
        acc = make(call.coll);
        lo = hi = s;
      }
      for (; hi < e; hi++) if (hi >= lo && passes(hi)) acc.step(at(hi).args[c]!);
      for (; lo < s; lo++) if (lo < hi && passes(lo)) acc.inverse!(at(lo).args[c]!);
      if (hi < lo) hi = lo;
      last = acc.result();
      return last;
    },
    // A frame whose start never moves only steps on; one that moves reads [lo, hi) again (inverse) or from its new start.
    low: () => (moving ? Math.min(lo, hi) : hi),
  };
}

function positiveN(v: SqlValue): number | null {
  let x = v;
  if (typeof x === 'string') x = applyComparisonAffinity(x, 'NUMERIC');
  if (x instanceof RealBox) x = x.value;
  if (typeof x === 'bigint') return x > 0n ? Number.MAX_SAFE_INTEGER : null;
  if (typeof x !== 'number' || !Number.isInteger(x) || x <= 0) return null;
  return x;
}

function builtinRunner(call: WindowCall, c: number, sp: WindowSpec, fr: FrameOf): Runner {
  const { at, startOf, endOf, n } = fr;
  const none = (): number => Infinity;
  const peers = (): Peers => fr.peers!;
  switch (call.builtin) {
    case 'row_number':
      return { value: (r) => r + 1, low: none };
    case 'rank':
      return { value: (r) => peers().gStart[peers().grp[r]!]! + 1, low: none };
    case 'dense_rank':
      return { value: (r) => peers().grp[r]! + 1, low: none };
    case 'percent_rank':
      return { value: (r) => makeReal(n > 1 ? peers().gStart[peers().grp[r]!]! / (n - 1) : 0), low: none };
    case 'cume_dist':
      return { value: (r) => makeReal(peers().gEnd[peers().grp[r]!]! / n), low: none };
    case 'ntile': {
      // As SQLite's ntileStepFunc: the argument of the partition's first row, as an integer.
      const iv = toInteger(at(0).args[c]![0]!);
      const nParam = typeof iv === 'bigint' ? (iv > 0n ? Number.MAX_SAFE_INTEGER : 0) : iv;
      if (nParam <= 0) throw sqlErr('argument of ntile must be a positive integer');
      const nSize = Math.floor(n / nParam);
      const nLarge = n - nParam * nSize;
      const iSmall = nLarge * (nSize + 1);
      return {
        value: (r) => (nSize === 0 ? r + 1 : r < iSmall ? 1 + Math.floor(r / (nSize + 1)) : 1 + nLarge + Math.floor((r - iSmall) / nSize)),
        low: none,
      };
    }
    case 'lag':
    case 'lead': {
      const lead = call.builtin === 'lead';
      return {
        value(r) {
          const a = at(r).args[c]!;
          const dflt = a.length > 2 ? a[2]! : null;
          // SQLite adds the offset to the row's position in the partition and seeks that
          // position: a NULL, fractional or out-of-range target gives the default.
          const pos = a.length < 2 ? r + 1 + (lead ? 1 : -1) : (lead ? add : subtract)(r + 1, a[1]!);
          const t = targetPosition(pos);
          return t !== null && t >= 1 && t <= n ? at(t - 1).args[c]![0]! : dflt;
        },
        low: () => 0,
      };
    }
    case 'first_value':
    case 'last_value':
    case 'nth_value': {
      const fn = call.builtin;
      let low = 0;
      // first_value over a ROWS frame that starts at the partition's first row: once that row is in
      // the frame (whose end only grows), it is every later row's value too, and no row need be kept.
      const fixed = fn === 'first_value' && sp.units === 'ROWS' && sp.start.kind === 'UnboundedPreceding' && !sp.fullScan;
      let first: { readonly v: SqlValue } | null = null;
      return {
        value(r) {
          if (first !== null) return first.v;
          let k: number;
          const s = startOf(r);
          low = s;
          const rs = frameRanges(sp, r, s, endOf(r), fr.peers);
          // SQLite checks N for every row, except under EXCLUDE (its full-scan path), where it
          // checks it as frame rows are stepped: a frame left empty never checks it.
          if (fn === 'nth_value') {
            const nv = rs.length === 0 && sp.fullScan ? 1 : positiveN(at(r).args[c]![1]!);
            if (nv === null) throw sqlErr('second argument to nth_value must be a positive integer');
            k = nv;
          } else k = fn === 'first_value' ? 1 : -1;
          if (k === -1) return rs.length > 0 ? at(rs[rs.length - 1]! - 1).args[c]![0]! : null;
          for (let j = 0; j < rs.length; j += 2) {
            const len = rs[j + 1]! - rs[j]!;
            if (k > len) {
              k -= len;
              continue;
            }
            const v = at(rs[j]! + k - 1).args[c]![0]!;
            if (fixed) {
              first = { v };
              low = Infinity;
            }
            return v;
          }
          return null;
        },
        low: () => low,
      };
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
