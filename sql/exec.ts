/**
 * Runs a plan (plan.ts) by pulling rows: `openQuery` returns a cursor whose
 * `next()` computes one more result row and no more, so a reader that stops
 * — `get()`, a LIMIT, an `iterate()` left early, EXISTS — stops the table
 * scans, the joins and a recursive CTE with it. Rows flow through the frame
 * (frame.rows[slot] holds each FROM source's current row); only operators
 * that must see every input row first (ORDER BY without an ordering access,
 * GROUP BY, DISTINCT across a compound, INTERSECT/EXCEPT) buffer, within
 * the statement's temporary-memory budget (TempBudget).
 *
 * Table reads decode a stored row into one array per level that is reused
 * for the next row; whatever keeps a source row beyond the current step (a
 * group's representative row, UPDATE's target list) copies it.
 */
import { HeliosError } from '../format/errors.ts';
import type { SqlValue } from '../format/sql-value.ts';
import { encodeKey, prefixSuccessor, type KeyColumn } from '../format/key-codec.ts';
import { decodeColumnsInto } from '../format/row-codec.ts';
import { objectPrefix, prefixEnd, readRowid, rowKey as tableRowKey, prefixed } from '../format/table-key.ts';
import { type Collation, applyAffinity, applyComparisonAffinity, compareValues, isTruthy, rowOrderCompare } from './value.ts';
import type { TableInfo } from './catalog.ts';
import type { Accumulator } from './aggregates.ts';
import { type Frame, type Row, type Source, limitValue, rowKey, valueKey } from './expr-compile.ts';
import type { KvCursor, Overlay } from './txn.ts';
import { TempBudget } from './temp-budget.ts';
import { checkInterrupt } from './interrupt.ts';
import { openWindowCursor, type WindowInput } from './window.ts';
import type { AggregateNode, CompoundNode, JoinNode, LevelNode, LimitNode, QueryNode, RecursiveNode, RowsSource, SelectNode, SortNode, SortTerm, ValuesNode } from './plan.ts';

/** Result rows pulled one at a time. `next()` returns undefined once there are no more. */
export interface RowCursor {
  next(): Row | undefined;
  /** Releases the cursor's storage cursors; idempotent. */
  close(): void;
}

/** What running a plan needs from the session. */
export interface ExecContext {
  readonly store: () => Overlay;
  /** The temporary memory budget of one execution, in bytes (see TempBudget). */
  readonly tempMemoryLimit: () => number;
}

/** The execution's budget, made at its first use. */
function budgetOf(f: Frame, cx: ExecContext): TempBudget {
  return (f.temp ??= new TempBudget(cx.tempMemoryLimit()));
}

/** Opens `node` for reading in frame `f`. */
export function openQuery(node: QueryNode, f: Frame, cx: ExecContext): RowCursor {
  switch (node.kind) {
    case 'Select':
      if (node.window !== undefined) return openWindowSelect(node, f, cx);
      return node.aggregate === null ? new SelectCursor(node, f, cx) : new GroupCursor(node, node.aggregate, f, cx);
    case 'Sort':
      return new SortCursor(node, f, cx);
    case 'Limit':
      return new LimitCursor(node, f, cx);
    case 'Values':
      return new ValuesCursor(node, f);
    case 'Compound':
      return node.op === 'UNION ALL' ? new UnionAllCursor(node, f, cx) : new SetOpCursor(node, f, cx);
    case 'Recursive':
      return new RecursiveCursor(node, f, cx);
  }
}

/** Runs `node` to completion or until `emit` returns false. */
export function runQuery(node: QueryNode, f: Frame, cx: ExecContext, emit: (row: Row) => boolean): void {
  const c = openQuery(node, f, cx);
  try {
    for (let r = c.next(); r !== undefined; r = c.next()) if (!emit(r)) return;
  } finally {
    c.close();
  }
}

// ---------------------------------------------------------------------------
// Joins

/** Binds one FROM source's rows into frame.rows[slot], one per next(). */
interface LevelCursor {
  /** Starts over for the current values of the outer levels. */
  open(f: Frame): void;
  next(f: Frame): boolean;
  close(): void;
}

/** Nested loops: each next() binds every level to its next combination that passes the filters. */
class JoinCursor {
  private readonly levels: readonly LevelNode[];
  private readonly cursors: LevelCursor[];
  private readonly matched: boolean[];
  private readonly nullDone: boolean[];
  private readonly nulls: Row[];
  private depth = -1;
  private started = false;
  private done = false;

  constructor(
    private readonly node: JoinNode,
    cx: ExecContext,
  ) {
    this.levels = node.levels;
    this.cursors = node.levels.map((l) => levelCursor(l, cx));
    this.matched = node.levels.map(() => false);
    this.nullDone = node.levels.map(() => false);
    this.nulls = node.levels.map((l) => (l.left ? nullRow(l.src.width) : []));
  }

  next(f: Frame): boolean {
    if (this.done) return false;
    const n = this.levels.length;
    let i: number;
    if (!this.started) {
      this.started = true;
      for (const p of this.node.pre) {
        if (isTruthy(p(f)) !== true) {
          this.done = true;
          return false;
        }
      }
      if (n === 0) return true;
      this.openLevel(0, f);
      i = 0;
    } else {
      if (n === 0) {
        this.done = true;
        return false;
      }
      i = this.depth;
    }
    while (i >= 0) {
      const l = this.levels[i]!;
      const cur = this.cursors[i]!;
      const filters = l.filters;
      const nf = filters.length;
      let bound = false;
      while (cur.next(f)) {
        checkInterrupt();
        if (l.left) {
          let on = true;
          for (const o of l.onFilters) {
            if (isTruthy(o(f)) !== true) {
              on = false;
              break;
            }
          }
          if (!on) continue;
          this.matched[i] = true;
        }
        let ok = true;
        for (let k = 0; k < nf; k++) {
          if (isTruthy(filters[k]!(f)) !== true) {
            ok = false;
            break;
          }
        }
        if (ok) {
          bound = true;
          break;
        }
      }
      if (!bound && l.left && !this.matched[i] && !this.nullDone[i]) {
        // A LEFT join level with no matching row binds NULLs once.
        this.nullDone[i] = true;
        f.rows[l.src.slot] = this.nulls[i]!;
        bound = true;
        for (let k = 0; k < nf; k++) {
          if (isTruthy(filters[k]!(f)) !== true) {
            bound = false;
            break;
          }
        }
      }
      if (!bound) {
        i--;
        continue;
      }
      if (i === n - 1) {
        this.depth = i;
        return true;
      }
      i++;
      this.openLevel(i, f);
    }
    this.done = true;
    this.close();
    return false;
  }

  private openLevel(i: number, f: Frame): void {
    this.matched[i] = false;
    this.nullDone[i] = false;
    this.cursors[i]!.open(f);
  }

  close(): void {
    for (const c of this.cursors) c.close();
  }
}

export function nullRow(width: number): Row {
  return new Array<SqlValue>(width).fill(null);
}

/** The value a column added by ALTER TABLE ADD COLUMN has in rows written before it existed. */
function addedColumnDefault(t: TableInfo, i: number): SqlValue {
  return t.columns[i]!.absentValue ?? null;
}

/**
 * Decodes stored rows of `t` for source `src`: the columns some expression
 * of the query reads (src.used; all when unknown) in one pass over the row
 * header, the others left NULL, the rowid alias and the trailing rowid
 * filled in. `into` decodes into the caller's array (the same columns are
 * written every time, so an array can be reused row after row); `fresh`
 * returns a new array.
 */
export class RowDecoder {
  private readonly want: number[] = [];
  private readonly lastWanted: number;
  private readonly n: number;
  private readonly alias: number;

  constructor(
    private readonly t: TableInfo,
    src: Source,
  ) {
    const used = src.used;
    this.n = t.columns.length;
    this.alias = t.rowidAlias;
    for (let i = 0; i < this.n; i++) if ((used === undefined || used[i] === true) && i !== this.alias) this.want.push(i);
    this.lastWanted = this.want.length > 0 ? this.want[this.want.length - 1]! : -1;
  }

  into(row: Row, rid: number | bigint, b: Uint8Array): Row {
    const stored = decodeColumnsInto(b, this.want, row);
    // Columns added by ALTER TABLE after the row was written take their default.
    if (stored <= this.lastWanted) for (const i of this.want) if (i >= stored) row[i] = addedColumnDefault(this.t, i);
    if (this.alias >= 0) row[this.alias] = rid;
    row[this.n] = rid;
    return row;
  }

  fresh(rid: number | bigint, b: Uint8Array): Row {
    return this.into(nullRow(this.n + 1), rid, b);
  }
}

/**
 * Rows a full table scan keeps for later runs within one execution (more
 * are streamed again on each run instead).
 */
const SCAN_CACHE_ROWS = 10_000;
const SCAN_TOO_BIG = 2;
const SCAN_SEEN = 1;

function levelCursor(l: LevelNode, cx: ExecContext): LevelCursor {
  const a = l.access;
  switch (a.kind) {
    case 'rows':
      return new RowsLevel(l, l.rows!, cx);
    case 'function':
      return new FunctionLevel(l, a);
    case 'hash':
      return new HashLevel(l, cx);
    case 'scan':
      return new ScanLevel(l, cx);
    case 'rowidEq':
      return new RowidEqLevel(l, cx);
    case 'rowidRange':
      return new RowidRangeLevel(l, cx);
    case 'index':
      return new IndexLevel(l, cx);
  }
}

/** Reads from a KvCursor of table rows, decoding into one reused array. */
abstract class StoredLevel implements LevelCursor {
  protected cur: KvCursor | null = null;
  protected readonly decoder: RowDecoder;
  protected readonly buf: Row;
  protected readonly slot: number;
  protected readonly table: TableInfo;

  constructor(
    protected readonly l: LevelNode,
    protected readonly cx: ExecContext,
  ) {
    this.table = l.table!;
    this.decoder = new RowDecoder(this.table, l.src);
    this.buf = nullRow(this.table.columns.length + 1);
    this.slot = l.src.slot;
  }

  abstract open(f: Frame): void;
  abstract next(f: Frame): boolean;

  /** The next row of the open table-row cursor, bound into the frame. */
  protected step(f: Frame): boolean {
    const cur = this.cur;
    if (cur === null) return false;
    if (!cur.next()) {
      this.close();
      return false;
    }
    f.rows[this.slot] = this.decoder.into(this.buf, readRowid(cur.key(), 4), cur.value());
    return true;
  }

  close(): void {
    if (this.cur !== null) {
      this.cur.close();
      this.cur = null;
    }
  }
}

class ScanLevel extends StoredLevel {
  private readonly lo: Uint8Array;
  private readonly hi: Uint8Array;
  private readonly key = {};
  /** Replaying rows cached by an earlier run of this scan. */
  private cached: Row[] | null = null;
  private ci = 0;
  /** Filling the cache while streaming (the second run of the scan in one execution). */
  private filling: Row[] | null = null;

  constructor(l: LevelNode, cx: ExecContext) {
    super(l, cx);
    this.lo = objectPrefix(this.table.id);
    this.hi = prefixEnd(this.lo);
  }

  open(f: Frame): void {
    this.close();
    this.cached = null;
    this.filling = null;
    const reverse = (this.l.access as { reverse: boolean }).reverse;
    if (this.l.cacheScans) {
      const c = f.cache.get(this.key) as Row[] | typeof SCAN_SEEN | typeof SCAN_TOO_BIG | undefined;
      if (c === undefined) f.cache.set(this.key, SCAN_SEEN);
      else if (c === SCAN_SEEN) this.filling = [];
      else if (c !== SCAN_TOO_BIG) {
        this.cached = c;
        this.ci = 0;
        return;
      }
    }
    this.cur = this.cx.store().scan(this.lo, this.hi, reverse);
  }

  next(f: Frame): boolean {
    const cached = this.cached;
    if (cached !== null) {
      if (this.ci >= cached.length) return false;
      f.rows[this.slot] = cached[this.ci++]!;
      return true;
    }
    const fill = this.filling;
    if (fill === null) return this.step(f);
    const cur = this.cur;
    if (cur === null) return false;
    if (!cur.next()) {
      this.close();
      f.cache.set(this.key, fill);
      this.filling = null;
      return false;
    }
    const row = this.decoder.fresh(readRowid(cur.key(), 4), cur.value());
    fill.push(row);
    if (fill.length > SCAN_CACHE_ROWS) {
      f.cache.set(this.key, SCAN_TOO_BIG);
      this.filling = null;
    }
    f.rows[this.slot] = row;
    return true;
  }
}

class RowidEqLevel extends StoredLevel {
  private ids: (number | bigint)[] = [];
  private i = 0;

  open(f: Frame): void {
    const evs = (this.l.access as { values: { ev: (f: Frame) => SqlValue }[] }).values;
    this.ids = [];
    this.i = 0;
    const seen = evs.length > 1 ? new Set<string>() : null;
    for (const v of evs) {
      const id = rowidProbe(v.ev(f));
      if (id === null) continue;
      if (seen) {
        const k = String(id);
        if (seen.has(k)) continue;
        seen.add(k);
      }
      this.ids.push(id);
    }
  }

  next(f: Frame): boolean {
    const s = this.cx.store();
    while (this.i < this.ids.length) {
      const id = this.ids[this.i++]!;
      const v = s.get(tableRowKey(this.table.id, id));
      if (v !== undefined) {
        f.rows[this.slot] = this.decoder.into(this.buf, id, v);
        return true;
      }
    }
    return false;
  }
}

class RowidRangeLevel extends StoredLevel {
  open(f: Frame): void {
    this.close();
    const a = this.l.access as Extract<LevelNode['access'], { kind: 'rowidRange' }>;
    const tid = this.table.id;
    let lo = objectPrefix(tid);
    let hi = prefixEnd(lo);
    if (a.lo !== null) {
      const b = rangeBound(a.lo.value!.ev(f));
      if (b === 'none') return;
      if (b !== 'all') lo = tableRowKey(tid, a.lo.op === '>' ? ceilAfter(b) : ceilAt(b));
    }
    if (a.hi !== null) {
      const b = rangeBound(a.hi.value!.ev(f));
      if (b === 'none') return;
      if (b !== 'all') {
        const last = a.hi.op === '<' ? floorBefore(b) : floorAt(b);
        hi = prefixEnd(tableRowKey(tid, last));
      }
    }
    this.cur = this.cx.store().scan(lo, hi, a.reverse);
  }

  next(f: Frame): boolean {
    return this.step(f);
  }
}

class IndexLevel extends StoredLevel {
  private readonly a: Extract<LevelNode['access'], { kind: 'index' }>;
  private readonly keyCols: KeyColumn[];
  private readonly exact: boolean;
  /** Key ranges still to read: [lo, hi) pairs. */
  private ranges: Uint8Array[] = [];
  private ri = 0;
  private exactRid: number | bigint | null = null;
  /** The overlay's commitCount when the current range's scan opened. */
  private commitsAtOpen = 0;

  constructor(l: LevelNode, cx: ExecContext) {
    super(l, cx);
    this.a = l.access as Extract<LevelNode['access'], { kind: 'index' }>;
    const ix = this.a.index;
    this.keyCols = ix.columns.map((c) => ({ desc: c.desc, collation: c.collation }));
    // Equality on every column of a UNIQUE index: an entry without NULLs is keyed by the
    // values alone ([FMT-SQLKEY] index entries), so one point read finds it — no range scan.
    this.exact = ix.unique && this.a.inTerm === null && this.a.lo === null && this.a.hi === null && this.a.eq.length === ix.columns.length;
  }

  open(f: Frame): void {
    this.close();
    this.ranges = [];
    this.ri = 0;
    this.exactRid = null;
    const a = this.a;
    const ix = a.index;
    const keyCols = this.keyCols;
    const eqVals: SqlValue[] = [];
    for (const e of a.eq) {
      let x = e.value!.ev(f);
      if (x === null) return;
      if (e.aff !== null) x = applyComparisonAffinity(x, e.aff);
      eqVals.push(x);
    }
    if (this.exact) {
      const entry = this.cx.store().get(prefixed(ix.id, encodeKey(eqVals, keyCols)));
      if (entry !== undefined) this.exactRid = readRowid(entry, 0);
      return;
    }
    const prefixes: SqlValue[][] = [];
    const inTerm = a.inTerm;
    // IN on the first column: one probe per distinct value, in index order.
    if (inTerm !== null) {
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
      if (a.reverse) prefixes.reverse();
    } else prefixes.push([]);
    for (const pre of prefixes) {
      const vals = pre.length === 0 ? eqVals : [...pre, ...eqVals];
      const basePrefix = prefixed(ix.id, encodeKey(vals, keyCols));
      let lo = basePrefix;
      let hi = prefixSuccessor(basePrefix) ?? prefixEnd(basePrefix);
      const n = vals.length;
      // For a DESC column larger values have smaller keys: the terms swap ends.
      const desc = ix.columns[n]?.desc === true;
      const startT = desc ? a.hi : a.lo;
      const endT = desc ? a.lo : a.hi;
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
      this.ranges.push(lo, hi);
    }
  }

  next(f: Frame): boolean {
    const s = this.cx.store();
    if (this.exact) {
      const rid = this.exactRid;
      if (rid === null) return false;
      this.exactRid = null;
      this.commitsAtOpen = s.commitCount;
      return this.bindRow(f, s, rid);
    }
    for (;;) {
      if (this.cur === null) {
        if (this.ri >= this.ranges.length) return false;
        const lo = this.ranges[this.ri++]!;
        const hi = this.ranges[this.ri++]!;
        this.cur = s.scan(lo, hi, this.a.reverse);
        this.commitsAtOpen = s.commitCount;
      }
      if (this.cur.next()) {
        if (this.bindRow(f, s, readRowid(this.cur.value(), 0))) return true;
        continue;
      }
      this.close();
    }
  }

  /**
   * Reads the row an index entry names. A missing row is CORRUPTION — unless this handle has
   * committed since the scan began (unsafe mode: a write while iterating), when the row was
   * deleted after the entry was read: skipped, as SQLite does.
   */
  private bindRow(f: Frame, s: Overlay, rid: number | bigint): boolean {
    const v = s.get(tableRowKey(this.table.id, rid));
    if (v === undefined) {
      if (s.commitCount !== this.commitsAtOpen) return false;
      throw new HeliosError('CORRUPTION', `index ${this.a.index.name} points at a missing row`);
    }
    f.rows[this.slot] = this.decoder.into(this.buf, rid, v);
    return true;
  }
}

/** An automatic hash index on one column, built once per execution, probed per outer row. */
class HashLevel implements LevelCursor {
  private readonly key = {};
  private list: Row[] | undefined = undefined;
  private i = 0;

  constructor(
    private readonly l: LevelNode,
    private readonly cx: ExecContext,
  ) {}

  open(f: Frame): void {
    const term = (this.l.access as Extract<LevelNode['access'], { kind: 'hash' }>).term;
    const aff = term.aff;
    const coll = term.coll;
    const t = this.l.table;
    const srcRows = t === null ? rowsOf(this.l.rows!, f, this.cx) : null;
    const cached = f.cache.get(this.key) as { rows: Row[] | null; map: Map<string, Row[]> } | undefined;
    let map: Map<string, Row[]>;
    if (cached !== undefined && cached.rows === srcRows) map = cached.map;
    else {
      map = new Map();
      const col = term.col;
      for (const r of srcRows ?? scanAll(this.cx.store(), t!, new RowDecoder(t!, this.l.src))) {
        let v: SqlValue = r[col]!;
        if (v === null) continue;
        if (aff !== null) v = applyComparisonAffinity(v, aff);
        const k = valueKey(v, coll);
        const list = map.get(k);
        if (list) list.push(r);
        else map.set(k, [r]);
      }
      f.cache.set(this.key, { rows: srcRows, map });
    }
    this.i = 0;
    let v = term.value!.ev(f);
    if (v === null) {
      this.list = undefined;
      return;
    }
    if (aff !== null) v = applyComparisonAffinity(v, aff);
    this.list = map.get(valueKey(v, coll));
  }

  next(f: Frame): boolean {
    const list = this.list;
    if (list === undefined || this.i >= list.length) return false;
    f.rows[this.l.src.slot] = list[this.i++]!;
    return true;
  }

  close(): void {
    this.list = undefined;
  }
}

/** Every row of a table, each in its own array (for automatic hash indexes). */
function scanAll(s: Overlay, t: TableInfo, dec: RowDecoder): Row[] {
  const lo = objectPrefix(t.id);
  const cur = s.scan(lo, prefixEnd(lo));
  const out: Row[] = [];
  try {
    while (cur.next()) out.push(dec.fresh(readRowid(cur.key(), 4), cur.value()));
  } finally {
    cur.close();
  }
  return out;
}

/**
 * Rows pulled from a shared subquery cursor on demand and kept, so every
 * reader sees the same rows and none computes more than it reads.
 */
class LazyRows {
  readonly done: Row[] = [];
  private cur: RowCursor | null;

  constructor(cur: RowCursor) {
    this.cur = cur;
  }

  /** Row `i`, computing rows up to it; undefined past the end. */
  at(i: number, budget: TempBudget): Row | undefined {
    while (i >= this.done.length) {
      const c = this.cur;
      if (c === null) return undefined;
      const r = c.next();
      if (r === undefined) {
        this.cur = null;
        c.close();
        return undefined;
      }
      budget.row(r);
      this.done.push(r);
    }
    return this.done[i];
  }
}

/** All rows of a non-table source (materialised in full), for hash indexes. */
function rowsOf(src: RowsSource, f: Frame, cx: ExecContext): Row[] {
  switch (src.kind) {
    case 'Function':
      // The planner gives a table-valued function only its own access (its rows depend on its arguments).
      throw new HeliosError('INTERNAL', `table-valued function ${src.name} read without its arguments`);
    case 'Virtual':
      return src.rows(f);
    case 'Working':
      return src.holder.rows;
    case 'Query': {
      if (src.correlated) return materialize(src.query, f, cx, null);
      const lazy = sharedRows(src, f, cx);
      for (let i = 0; lazy.at(i, budgetOf(f, cx)) !== undefined; i++);
      return lazy.done;
    }
  }
}

function sharedRows(src: Extract<RowsSource, { kind: 'Query' }>, f: Frame, cx: ExecContext): LazyRows {
  let lazy = f.cache.get(src.shared.key) as LazyRows | undefined;
  if (lazy === undefined) {
    lazy = new LazyRows(openQuery(src.query, f, cx));
    f.cache.set(src.shared.key, lazy);
  }
  return lazy;
}

/** Every row of `q`; with `held`, their bytes are taken from the budget and added to held.bytes. */
function materialize(q: QueryNode, f: Frame, cx: ExecContext, held: { bytes: number } | null): Row[] {
  const out: Row[] = [];
  const b = held !== null ? budgetOf(f, cx) : null;
  runQuery(q, f, cx, (r) => {
    if (b !== null) held!.bytes += b.row(r);
    out.push(r);
    return true;
  });
  return out;
}

/** A source that is not a stored table: a subquery, view or CTE, a recursive CTE's working set, the schema. */
class RowsLevel implements LevelCursor {
  private arr: Row[] | null = null;
  private lazy: LazyRows | null = null;
  private stream: RowCursor | null = null;
  private i = 0;
  /** Budget bytes of the rows a correlated source materialised for the current outer row. */
  private readonly held = { bytes: 0 };
  private frame: Frame | null = null;

  constructor(
    private readonly l: LevelNode,
    private readonly src: RowsSource,
    private readonly cx: ExecContext,
  ) {}

  open(f: Frame): void {
    this.close();
    this.i = 0;
    const src = this.src;
    if (src.kind === 'Function') throw new HeliosError('INTERNAL', `table-valued function ${src.name} read without its arguments`);
    if (src.kind !== 'Query') {
      this.arr = src.kind === 'Virtual' ? src.rows(f) : src.holder.rows;
      return;
    }
    if (src.correlated) {
      // Its rows depend on the outer row: computed again, in full, for each.
      this.frame = f;
      this.arr = materialize(src.query, f, this.cx, this.held);
      return;
    }
    if (src.shared.refs === 1 && this.l.cacheScans && f.cache.get(src.shared.key) === undefined) {
      // The only reader, opened once per execution: stream without keeping the rows.
      f.cache.set(src.shared.key, STREAMED);
      this.stream = openQuery(src.query, f, this.cx);
      return;
    }
    const c = f.cache.get(src.shared.key);
    if (c === STREAMED) {
      // Opened again after all (a statement-level loop run twice): keep rows from now on.
      f.cache.delete(src.shared.key);
    }
    this.lazy = sharedRows(src, f, this.cx);
  }

  next(f: Frame): boolean {
    let r: Row | undefined;
    if (this.stream !== null) {
      r = this.stream.next();
      if (r === undefined) this.close();
    } else if (this.lazy !== null) r = this.lazy.at(this.i++, budgetOf(f, this.cx));
    else if (this.arr !== null) r = this.i < this.arr.length ? this.arr[this.i++] : undefined;
    if (r === undefined) return false;
    f.rows[this.l.src.slot] = r;
    return true;
  }

  close(): void {
    if (this.stream !== null) {
      this.stream.close();
      this.stream = null;
    }
    this.arr = null;
    this.lazy = null;
    if (this.held.bytes > 0) {
      budgetOf(this.frame!, this.cx).release(this.held.bytes);
      this.held.bytes = 0;
    }
  }
}

const STREAMED = Symbol('streamed');

/**
 * A table-valued function (sql/vtab.ts): opened once per outer row with its
 * arguments evaluated then, its rows pulled one at a time from the
 * function's iterator (closed early when the join stops reading). Each row
 * is a new array: the visible columns, then the hidden ones — the values
 * the function reported, else its arguments — then the rowid.
 */
class FunctionLevel implements LevelCursor {
  private it: Iterator<readonly SqlValue[]> | null = null;
  private args: (SqlValue | undefined)[] = [];
  private ordinal = 0;
  /** access.after's lists, evaluated at open. */
  private after: { k: number; values: SqlValue[] }[] = [];
  /** A hidden column's filter fails for every row of this call (access.after): the rows are read and dropped. */
  private dropAll = false;
  /** The IN lists' values still to run the function with (access.lists), one array per call. */
  private pending: SqlValue[][] = [];
  private readonly src: Extract<RowsSource, { kind: 'Function' }>;

  constructor(
    private readonly l: LevelNode,
    private readonly access: Extract<LevelNode['access'], { kind: 'function' }>,
  ) {
    this.src = l.rows as Extract<RowsSource, { kind: 'Function' }>;
  }

  open(f: Frame): void {
    this.close();
    const a = this.access;
    this.args = a.args.map((e) => (e === null ? undefined : e(f)));
    // A value bound to a parameter that another of its constraints rejects: no row can match, and the function is not called.
    for (const b of a.before) if (!inList(b.value(f), b.items.map((e) => e(f)))) return;
    this.after = a.after.map((c) => ({ k: c.k, values: c.items.map((e) => e(f)) }));
    let combos: SqlValue[][] = [[]];
    for (const list of a.lists) {
      const values = distinctSorted(list.items.map((e) => e(f)));
      combos = combos.flatMap((c) => values.map((v) => [...c, v]));
    }
    this.pending = combos;
    this.start();
  }

  /** Calls the function with the next IN combination; false when none is left. */
  private start(): boolean {
    const combo = this.pending.shift();
    if (combo === undefined) return false;
    this.access.lists.forEach((list, i) => (this.args[list.k] = combo[i]));
    this.dropAll = this.after.some((c) => !inList(this.args[c.k] ?? null, c.values));
    this.ordinal = 0;
    this.it = this.src.vt.rows(this.args, this.src.context)[Symbol.iterator]();
    return true;
  }

  next(f: Frame): boolean {
    for (;;) {
      const it = this.it;
      if (it === null) return false;
      let r = it.next();
      while (this.dropAll && r.done !== true) r = it.next();
      if (r.done !== true) {
        this.emit(f, r.value);
        return true;
      }
      this.it = null;
      if (!this.start()) return false;
    }
  }

  private emit(f: Frame, v: readonly SqlValue[]): void {
    const vt = this.src.vt;
    const nCols = vt.columns.length;
    const width = this.l.src.width;
    const row = new Array<SqlValue>(width);
    for (let i = 0; i < nCols; i++) row[i] = v[i] ?? null;
    for (let i = nCols; i < width - 1; i++) row[i] = i < v.length ? (v[i] ?? null) : (this.args[i - nCols] ?? null);
    row[width - 1] = vt.rowid === undefined ? this.ordinal + 1 : vt.rowid(row, this.ordinal);
    this.ordinal++;
    f.rows[this.l.src.slot] = row;
  }

  close(): void {
    const it = this.it;
    this.it = null;
    this.pending = [];
    if (it !== null && it.return !== undefined) it.return();
  }
}

/**
 * `x IN (values)` is true for a parameter of a strict function (virtual-table.ts): x is not NULL
 * and equals one of them under the parameter columns' NUMERIC affinity, BINARY.
 */
function inList(x: SqlValue, values: readonly SqlValue[]): boolean {
  if (x === null) return false;
  const a = applyAffinity(x, 'NUMERIC');
  return values.some((y) => y !== null && compareValues(a, applyAffinity(y, 'NUMERIC')) === 0);
}

/**
 * An IN list's values as SQLite runs them: under the parameter's NUMERIC affinity, NULLs dropped
 * (they match nothing), duplicates once, ascending.
 */
function distinctSorted(values: SqlValue[]): SqlValue[] {
  const sorted = values.filter((v) => v !== null).map((v) => applyAffinity(v, 'NUMERIC')).sort((x, y) => compareValues(x, y));
  return sorted.filter((v, i) => i === 0 || compareValues(sorted[i - 1]!, v) !== 0);
}

// ---------------------------------------------------------------------------
// Row producers

function evalRow(n: SelectNode, f: Frame): Row {
  const outs = n.outputs;
  const extras = n.extras;
  const no = outs.length;
  const row = new Array<SqlValue>(no + extras.length);
  for (let i = 0; i < no; i++) row[i] = outs[i]!(f);
  for (let i = 0; i < extras.length; i++) row[no + i] = extras[i]!(f);
  return row;
}

/** A SELECT without aggregates: one result row per joined combination. */
class SelectCursor implements RowCursor {
  private readonly join: JoinCursor;
  private readonly seen: Set<string> | null;
  private readonly distinctColls: readonly Collation[] | null;
  private readonly nOut: number;
  private held = 0;

  constructor(
    private readonly n: SelectNode,
    private readonly f: Frame,
    private readonly cx: ExecContext,
  ) {
    this.join = new JoinCursor(n.join, cx);
    this.distinctColls = n.distinct;
    this.seen = n.distinct !== null ? new Set() : null;
    this.nOut = n.outputs.length;
  }

  next(): Row | undefined {
    const f = this.f;
    while (this.join.next(f)) {
      const row = evalRow(this.n, f);
      const seen = this.seen;
      if (seen !== null) {
        const k = rowKey(this.nOut === row.length ? row : row.slice(0, this.nOut), this.distinctColls!);
        if (seen.has(k)) continue;
        this.held += budgetOf(f, this.cx).take(k.length * 2 + 32);
        seen.add(k);
      }
      return row;
    }
    return undefined;
  }

  close(): void {
    this.join.close();
    budgetOf(this.f, this.cx).release(this.held);
    this.held = 0;
  }
}

/** A SELECT with window functions: its joined (or grouped) rows go through the window stage (window.ts). */
function openWindowSelect(n: SelectNode, f: Frame, cx: ExecContext): RowCursor {
  let input: WindowInput;
  if (n.aggregate === null) {
    const join = new JoinCursor(n.join, cx);
    input = { next: () => join.next(f), close: () => join.close() };
  } else {
    const g = new GroupCursor(n, n.aggregate, f, cx);
    input = { next: () => g.bindNext(), close: () => g.close() };
  }
  const distinct = n.distinct !== null ? { colls: n.distinct, width: n.outputs.length } : null;
  return openWindowCursor(n.window!, f, budgetOf(f, cx), input, (fr) => evalRow(n, fr), distinct);
}

interface Group {
  keyVals: SqlValue[];
  accs: Accumulator[];
  distinctSets: (Set<string> | null)[];
  /** The group's representative row per source (copies), or null before its first row. */
  rows: Row[] | null;
}

/** A SELECT with GROUP BY or aggregate functions: reads every joined row, then one result row per group. */
class GroupCursor implements RowCursor {
  private groups: Group[] | null = null;
  private gi = 0;
  private readonly seen: Set<string> | null;
  private held = 0;

  constructor(
    private readonly n: SelectNode,
    private readonly a: AggregateNode,
    private readonly f: Frame,
    private readonly cx: ExecContext,
  ) {
    this.seen = n.distinct !== null ? new Set() : null;
  }

  private build(): Group[] {
    const a = this.a;
    const f = this.f;
    const cx = this.cx;
    const budget = budgetOf(f, cx);
    const join = new JoinCursor(this.n.join, cx);
    const groups = new Map<string, Group>();
    const order: Group[] = [];
    const sources = a.sources;
    const nSlots = sources.length;
    const calls = a.calls;
    const nCalls = calls.length;
    const argBufs = calls.map((c) => new Array<SqlValue>(c.args.length));
    const groupEvs = a.groupBy;
    const groupColls = a.groupColls;
    const nGroup = groupEvs.length;
    const single = nGroup === 1 ? groupEvs[0]! : null;
    const singleColl = groupColls[0] ?? 'BINARY';
    // One BINARY text key: the string itself is the map key (no 't' + v per row).
    const textGroups = single !== null && singleColl === 'BINARY' ? new Map<string, Group>() : null;
    const extremeIdx = a.extremeIdx;
    // Bare columns read the group's last row (or its min()/max() row): kept only when some expression reads one.
    const bare = a.context.bare === true;
    let only: Group | null = null;
    const newGroup = (kv: SqlValue[]): Group => {
      this.held += budget.row(kv) + budget.take(64 * nCalls);
      const g: Group = {
        keyVals: kv,
        accs: calls.map((c) => c.def.create(c.coll)),
        distinctSets: calls.map((c) => (c.distinct ? new Set<string>() : null)),
        rows: null,
      };
      order.push(g);
      return g;
    };
    const groupOf = (): Group => {
      if (nGroup === 0) return (only ??= newGroup([]));
      if (single !== null) {
        const v = single(f);
        if (textGroups !== null && typeof v === 'string') {
          let g = textGroups.get(v);
          if (g === undefined) {
            g = newGroup([v]);
            textGroups.set(v, g);
          }
          return g;
        }
        const key = valueKey(v, singleColl);
        let g = groups.get(key);
        if (g === undefined) {
          g = newGroup([v]);
          groups.set(key, g);
        }
        return g;
      }
      const kv = new Array<SqlValue>(nGroup);
      for (let i = 0; i < nGroup; i++) kv[i] = groupEvs[i]!(f);
      const key = rowKey(kv, groupColls);
      let g = groups.get(key);
      if (g === undefined) {
        g = newGroup(kv);
        groups.set(key, g);
      }
      return g;
    };
    try {
      while (join.next(f)) {
        const g = groupOf();
        let saveRow = extremeIdx < 0 && a.bareFirst !== true;
        for (let i = 0; i < nCalls; i++) {
          const c = calls[i]!;
          if (c.filter !== null && isTruthy(c.filter.ev(f)) !== true) continue;
          const args = argBufs[i]!;
          for (let j = 0; j < args.length; j++) args[j] = c.args[j]!.ev(f);
          const ds = g.distinctSets[i];
          if (ds) {
            const a0 = args[0]!;
            if (a0 === null) continue;
            const k = valueKey(a0, c.coll);
            if (ds.has(k)) continue;
            this.held += budget.take(k.length * 2 + 32);
            ds.add(k);
          }
          const better = g.accs[i]!.step(args);
          if (i === extremeIdx && better) saveRow = true;
        }
        if (g.rows === null || (bare && saveRow)) {
          // Copy the sources' current rows into the group's own arrays (table reads reuse theirs).
          let rows = g.rows;
          if (rows === null) {
            rows = new Array<Row>(nSlots);
            for (let i = 0; i < nSlots; i++) {
              const r = f.rows[sources[i]!.slot]!;
              rows[i] = r.slice();
              if (bare) this.held += budget.row(r);
            }
            g.rows = rows;
          } else {
            for (let i = 0; i < nSlots; i++) {
              const r = f.rows[sources[i]!.slot]!;
              const dst = rows[i]!;
              for (let j = 0; j < r.length; j++) dst[j] = r[j]!;
            }
          }
        }
      }
    } finally {
      join.close();
    }
    if (order.length === 0 && nGroup === 0) order.push({ keyVals: [], accs: calls.map((c) => c.def.create(c.coll)), distinctSets: [], rows: null });
    if (nGroup > 0) order.sort((x, y) => compareRows(x.keyVals, y.keyVals, groupColls));
    return order;
  }

  /** Binds the next group that passes HAVING into the frame (its representative rows, its aggregate results). */
  bindNext(): boolean {
    const groups = (this.groups ??= this.build());
    const f = this.f;
    const a = this.a;
    const sources = a.sources;
    const having = this.n.having;
    while (this.gi < groups.length) {
      const g = groups[this.gi++]!;
      if (g.rows !== null) for (let i = 0; i < sources.length; i++) f.rows[sources[i]!.slot] = g.rows[i]!;
      else for (let i = 0; i < sources.length; i++) f.rows[sources[i]!.slot] = nullRow(sources[i]!.width);
      f.rows[a.slot] = g.accs.map((x) => x.result());
      if (having !== null && isTruthy(having(f)) !== true) continue;
      return true;
    }
    return false;
  }

  next(): Row | undefined {
    const f = this.f;
    while (this.bindNext()) {
      const row = evalRow(this.n, f);
      const seen = this.seen;
      if (seen !== null) {
        const k = rowKey(row.slice(0, this.n.outputs.length), this.n.distinct!);
        if (seen.has(k)) continue;
        seen.add(k);
      }
      return row;
    }
    return undefined;
  }

  close(): void {
    this.groups = [];
    budgetOf(this.f, this.cx).release(this.held);
    this.held = 0;
  }
}

/** An operator that reads all its input first (build), then hands out the rows it kept; their bytes count against the budget until close. */
abstract class BufferedCursor implements RowCursor {
  private rows: Row[] | null = null;
  private i = 0;
  protected held = 0;

  constructor(
    protected readonly f: Frame,
    protected readonly cx: ExecContext,
  ) {}

  protected abstract build(): Row[];

  next(): Row | undefined {
    const rows = (this.rows ??= this.build());
    return this.i < rows.length ? rows[this.i++] : undefined;
  }

  close(): void {
    this.rows = [];
    budgetOf(this.f, this.cx).release(this.held);
    this.held = 0;
  }
}

/** ORDER BY: reads every input row (or, with a LIMIT, keeps the first limit + offset in a heap), then returns them in order. */
class SortCursor extends BufferedCursor {
  constructor(
    private readonly n: SortNode,
    f: Frame,
    cx: ExecContext,
  ) {
    super(f, cx);
  }

  protected build(): Row[] {
    const n = this.n;
    const f = this.f;
    const cmp = makeSortCompare(n.terms);
    let keep = Infinity;
    if (n.limit !== null) {
      const lim = limitValue(n.limit(f), 'LIMIT');
      const off = n.offset !== null ? Math.max(0, limitValue(n.offset(f), 'OFFSET')) : 0;
      if (lim === 0) return [];
      if (lim > 0) keep = lim + off;
    }
    const budget = budgetOf(f, this.cx);
    const input = openQuery(n.input, f, this.cx);
    let rows: Row[];
    try {
      if (keep === Infinity) {
        rows = [];
        for (let r = input.next(); r !== undefined; r = input.next()) {
          this.held += budget.row(r);
          rows.push(r);
        }
        rows.sort(cmp);
      } else {
        // A max-heap of the first `keep` rows; equal keys keep their arrival order (seq).
        const heap: { row: Row; seq: number }[] = [];
        const itemCmp = (a: { row: Row; seq: number }, b: { row: Row; seq: number }): number => cmp(a.row, b.row) || a.seq - b.seq;
        let seq = 0;
        for (let r = input.next(); r !== undefined; r = input.next()) {
          if (heap.length < keep) {
            this.held += budget.row(r);
            heap.push({ row: r, seq: seq++ });
            if (heap.length === keep) heapify(heap, itemCmp);
          } else if (cmp(r, heap[0]!.row) < 0) {
            // Equal keys: the new row came later, so it sorts after the heap's largest.
            heap[0] = { row: r, seq: seq++ };
            siftDown(heap, 0, itemCmp);
          } else seq++;
        }
        heap.sort(itemCmp);
        rows = heap.map((h) => h.row);
      }
    } finally {
      input.close();
    }
    const w = n.width;
    if (rows.length > 0 && rows[0]!.length > w) for (const r of rows) r.length = w;
    return rows;
  }

}

class LimitCursor implements RowCursor {
  private input: RowCursor | null = null;
  private lim = -1;
  private off = 0;

  constructor(
    private readonly n: LimitNode,
    private readonly f: Frame,
    private readonly cx: ExecContext,
  ) {}

  next(): Row | undefined {
    if (this.input === null) {
      const n = this.n;
      this.lim = n.limit !== null ? limitValue(n.limit(this.f), 'LIMIT') : -1;
      this.off = n.offset !== null ? Math.max(0, limitValue(n.offset(this.f), 'OFFSET')) : 0;
      if (this.lim === 0) return undefined;
      this.input = openQuery(n.input, this.f, this.cx);
    }
    if (this.lim === 0) return undefined;
    for (;;) {
      const r = this.input.next();
      if (r === undefined) return undefined;
      if (this.off > 0) {
        this.off--;
        continue;
      }
      if (this.lim > 0 && --this.lim === 0) this.close();
      return r;
    }
  }

  close(): void {
    this.lim = 0;
    if (this.input !== null) this.input.close();
  }
}

class ValuesCursor implements RowCursor {
  private i = 0;
  constructor(
    private readonly n: ValuesNode,
    private readonly f: Frame,
  ) {}

  next(): Row | undefined {
    const rows = this.n.rows;
    if (this.i >= rows.length) return undefined;
    const r = rows[this.i++]!;
    const out = new Array<SqlValue>(r.length);
    for (let i = 0; i < r.length; i++) out[i] = r[i]!(this.f);
    return out;
  }

  close(): void {
    this.i = this.n.rows.length;
  }
}

class UnionAllCursor implements RowCursor {
  private cur: RowCursor;
  private onRight = false;

  constructor(
    private readonly n: CompoundNode,
    private readonly f: Frame,
    private readonly cx: ExecContext,
  ) {
    this.cur = openQuery(n.left, f, cx);
  }

  next(): Row | undefined {
    for (;;) {
      const r = this.cur.next();
      if (r !== undefined) return r;
      if (this.onRight) return undefined;
      this.cur.close();
      this.onRight = true;
      this.cur = openQuery(this.n.right, this.f, this.cx);
    }
  }

  close(): void {
    this.cur.close();
  }
}

/** UNION, INTERSECT, EXCEPT: distinct rows, in sorted order as SQLite's sorter gives them. */
class SetOpCursor extends BufferedCursor {
  constructor(
    private readonly n: CompoundNode,
    f: Frame,
    cx: ExecContext,
  ) {
    super(f, cx);
  }

  protected build(): Row[] {
    const { op, colls } = this.n;
    const budget = budgetOf(this.f, this.cx);
    const rows: Row[] = [];
    const seen = new Set<string>();
    if (op === 'UNION') {
      const add = (r: Row): boolean => {
        const k = rowKey(r, colls);
        if (!seen.has(k)) {
          this.held += budget.row(r);
          seen.add(k);
          rows.push(r);
        }
        return true;
      };
      runQuery(this.n.left, this.f, this.cx, add);
      runQuery(this.n.right, this.f, this.cx, add);
    } else {
      const rightKeys = new Set<string>();
      runQuery(this.n.right, this.f, this.cx, (r) => {
        const k = rowKey(r, colls);
        if (!rightKeys.has(k)) {
          this.held += budget.take(k.length * 2 + 32);
          rightKeys.add(k);
        }
        return true;
      });
      runQuery(this.n.left, this.f, this.cx, (r) => {
        const k = rowKey(r, colls);
        if (seen.has(k)) return true;
        seen.add(k);
        if (rightKeys.has(k) === (op === 'INTERSECT')) {
          this.held += budget.row(r);
          rows.push(r);
        }
        return true;
      });
    }
    rows.sort((a, b) => compareRows(a, b, colls));
    return rows;
  }

}

/**
 * WITH RECURSIVE: the initial rows, then each row in turn is handed out and
 * the recursive step runs over it alone; rows the step produces queue for
 * later. A reader that stops (LIMIT on the outer query) stops the recursion.
 */
class RecursiveCursor implements RowCursor {
  private queue: Row[] = [];
  private batch: Row[] = [];
  private bi = 0;
  private pending: Row | null = null;
  private lim = -1;
  private off = 0;
  private started = false;
  private done = false;
  private readonly seen: Set<string> | null;
  private held = 0;

  constructor(
    private readonly n: RecursiveNode,
    private readonly f: Frame,
    private readonly cx: ExecContext,
  ) {
    this.seen = n.distinct !== null ? new Set() : null;
  }

  private readonly accept = (r: Row): boolean => {
    const seen = this.seen;
    if (seen !== null) {
      const k = rowKey(r, this.n.distinct!);
      if (seen.has(k)) return true;
      this.held += budgetOf(this.f, this.cx).take(k.length * 2 + 32);
      seen.add(k);
    }
    this.queue.push(r);
    return true;
  };

  next(): Row | undefined {
    if (this.done) return undefined;
    const n = this.n;
    const f = this.f;
    if (!this.started) {
      this.started = true;
      this.lim = n.limit !== null ? limitValue(n.limit(f), 'LIMIT') : -1;
      this.off = n.offset !== null ? Math.max(0, limitValue(n.offset(f), 'OFFSET')) : 0;
      if (this.lim === 0) {
        this.done = true;
        return undefined;
      }
      runQuery(n.init, f, this.cx, this.accept);
    }
    for (;;) {
      checkInterrupt();
      if (this.pending !== null) {
        n.holder.rows = [this.pending];
        this.pending = null;
        runQuery(n.step, f, this.cx, this.accept);
      }
      if (this.bi < this.batch.length) {
        const r = this.batch[this.bi++]!;
        this.pending = r;
        if (this.off > 0) {
          this.off--;
          continue;
        }
        if (this.lim > 0 && --this.lim === 0) this.done = true;
        return r;
      }
      if (this.queue.length === 0) {
        this.done = true;
        return undefined;
      }
      this.batch = this.queue;
      this.queue = [];
      this.bi = 0;
    }
  }

  close(): void {
    this.done = true;
    this.queue = [];
    this.batch = [];
    budgetOf(this.f, this.cx).release(this.held);
    this.held = 0;
  }
}

// ---------------------------------------------------------------------------
// Helpers

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
function floorAt(b: number): number {
  return Math.max(-MAX_RID, Math.min(MAX_RID, Math.floor(b)));
}
function floorBefore(b: number): number {
  return Math.max(-MAX_RID, Math.min(MAX_RID, Number.isInteger(b) ? b - 1 : Math.floor(b)));
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

export function makeSortCompare(terms: readonly SortTerm[]): (a: readonly SqlValue[], b: readonly SqlValue[]) => number {
  return rowOrderCompare(terms);
}

function compareRows(a: readonly SqlValue[], b: readonly SqlValue[], colls: readonly Collation[]): number {
  for (let i = 0; i < a.length; i++) {
    const c = compareValues(a[i]!, b[i]!, colls[i] ?? 'BINARY');
    if (c !== 0) return c;
  }
  return 0;
}
