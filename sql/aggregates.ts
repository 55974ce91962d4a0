/**
 * Aggregate functions (lang_aggfunc): count, sum, total, avg, min, max,
 * group_concat / string_agg. Each call of an aggregate gets a fresh
 * Accumulator per group (or per window partition); NULL arguments are
 * skipped (except count(*)).
 *
 * sum() of INTEGERs stays INTEGER and raises "integer overflow" past 64 bits
 * (unless a REAL comes after); once a non-INTEGER is seen it sums in floating
 * point with SQLite's Kahan-Babuska-Neumaier steps. total() is always REAL;
 * avg() is REAL or NULL.
 */
import { HeliosError } from '../format/errors.ts';
import { MAX_INT64, MIN_INT64, makeInteger, type SqlValue } from '../format/sql-value.ts';
import { JSON_AGGREGATES, type JsonArg } from './json-functions.ts';
import { type Collation, applyComparisonAffinity, compareValues, makeReal, rowOrderCompare, MAX_TEXT_LENGTH, toReal, toText, tooBigError } from './value.ts';

/**
 * The running state of one aggregate over one group or one window frame.
 * This is also the shape a user-defined aggregate plugs in as (better-sqlite3's
 * `db.aggregate(name, { start, step, inverse, result })`): `create` runs
 * `start`, `step` runs `step`, `inverse` runs `inverse`, `result` runs `result`.
 *
 * Contract, as SQLite's xStep / xInverse / xValue:
 * - `step(args)` adds one row. `args` is a buffer the caller reuses for the next
 *   row: an implementation that keeps a value keeps the value, not the array.
 * - `inverse(args)`, when present, removes the earliest row that was added and
 *   not yet removed, called with that row's arguments: window frames only ever
 *   slide forward, so rows leave in the order they came (FIFO). With it a
 *   sliding frame costs O(1) steps per row; without it the window executor
 *   starts a new accumulator and steps every row of each new frame.
 * - `result()` may be called any number of times, between steps and inverses
 *   (once per window row), and must not change the state.
 * - An error is thrown as a HeliosError (it ends the statement).
 */
export interface Accumulator {
  /** Adds one row's arguments; returns true when this row became the current extreme (min/max). */
  step(args: readonly SqlValue[]): boolean;
  /** Removes the earliest row still added (see the contract above). */
  inverse?(args: readonly SqlValue[]): void;
  result(): SqlValue;
}

export interface AggregateDef {
  readonly name: string;
  /**
   * A JSON aggregate (json_group_array, json_group_object, the jsonb_ forms):
   * its arguments may be JsonText (JSON-subtyped text) and its result is a
   * JsonText (or JSONB), which the expression compiler unwraps.
   */
  readonly json?: boolean;
  create(coll: Collation): Accumulator;
  /** A user aggregate without inverse (db.aggregate): SQLite refuses it as a window function. */
  readonly notWindow?: boolean;
  /**
   * An accumulator for a window frame whose start moves, when a better
   * structure than create()'s exists (min/max keep a monotonic queue so a
   * sliding frame costs O(1) amortised per row). Absent: create() is used.
   */
  createSliding?(coll: Collation): Accumulator;
}

const NAMES = new Set(['count', 'sum', 'total', 'avg', 'min', 'max', 'group_concat', 'string_agg']);

/** Whether a call by this name and arity is an aggregate (min/max with several args are scalar). */
export function isAggregateName(name: string, nargs: number, star: boolean): boolean {
  const j = JSON_AGGREGATES.get(name);
  if (j !== undefined) return true;
  if (!NAMES.has(name)) return false;
  if ((name === 'min' || name === 'max') && nargs !== 1) return false;
  return nargs > 0 || star || name === 'count' || name === 'sum' || name === 'total' || name === 'avg' || name === 'group_concat' || name === 'string_agg';
}

/** The aggregate definition, or null when the arity is wrong. */
export function aggregateDef(name: string, nargs: number, star: boolean): AggregateDef | null {
  const j = JSON_AGGREGATES.get(name);
  if (j !== undefined) {
    if (star || nargs !== j.nargs) return null;
    return {
      name,
      json: true,
      create: () => {
        const acc = j.create();
        return {
          step: (a) => (acc.step(a as readonly JsonArg[]), false),
          // A JsonText (or JSONB) result: the compiled reference unwraps it (expr-compile.ts).
          result: () => acc.result() as SqlValue,
        };
      },
    };
  }
  switch (name) {
    case 'count':
      if (star || nargs === 0) return COUNT_STAR;
      return nargs === 1 ? COUNT : null;
    case 'sum':
      return nargs === 1 ? SUM : null;
    case 'total':
      return nargs === 1 ? TOTAL : null;
    case 'avg':
      return nargs === 1 ? AVG : null;
    case 'min':
      return nargs === 1 ? MIN : null;
    case 'max':
      return nargs === 1 ? MAX : null;
    case 'group_concat':
      return nargs === 1 || nargs === 2 ? GROUP_CONCAT : null;
    case 'string_agg':
      return nargs === 2 ? GROUP_CONCAT : null;
    default:
      return null;
  }
}

const COUNT_STAR: AggregateDef = {
  name: 'count',
  create: () => {
    let n = 0;
    return { step: () => (n++, false), inverse: () => void n--, result: () => n };
  },
};

const COUNT: AggregateDef = {
  name: 'count',
  create: () => {
    let n = 0;
    return {
      step: (a) => {
        if (a[0] !== null) n++;
        return false;
      },
      inverse: (a) => {
        if (a[0] !== null) n--;
      },
      result: () => n,
    };
  },
};

/**
 * Running sum exactly as SQLite's sumStep: INTEGERs add as int64 until an
 * overflow or a non-INTEGER arrives, then Kahan-Babuska-Neumaier in doubles
 * (int64 values beyond 2^52 split into two exact parts). The type of each
 * input is sqlite3_value_numeric_type's: numeric text counts as a number,
 * other text and blobs as a non-integer 0-ish value.
 */
class Summer {
  /** The integer sum while every input so far was a safe-integer number and the sum stays safe (no BigInt per row). */
  small = 0;
  /** Whether the integer sum has moved from `small` to `isum`. */
  big = false;
  isum = 0n;
  approx = false;
  rsum = 0;
  rerr = 0;
  count = 0;
  overflow = false;
  add(v: SqlValue): void {
    if (v === null) return;
    const n = typeof v === 'number' ? v : applyComparisonAffinity(v, 'NUMERIC');
    this.count++;
    if (!this.big && !this.approx) {
      if (typeof n === 'number' && Number.isSafeInteger(n)) {
        // Both operands are safe integers: the double sum is exact whenever it is itself safe.
        const s = this.small + n;
        if (Number.isSafeInteger(s)) {
          this.small = s;
          return;
        }
      }
      this.big = true;
      this.isum = BigInt(this.small);
    }
    const isInt = typeof n === 'bigint' || (typeof n === 'number' && Number.isInteger(n));
    if (!this.approx) {
      if (!isInt) {
        this.init(this.isum);
        this.approx = true;
        this.step(toReal(n));
        return;
      }
      const s = this.isum + BigInt(n as number | bigint);
      if (s > MAX_INT64 || s < MIN_INT64) {
        this.overflow = true;
        this.init(this.isum);
        this.approx = true;
        this.stepInt(BigInt(n as number | bigint));
        return;
      }
      this.isum = s;
      return;
    }
    if (isInt) this.stepInt(BigInt(n as number | bigint));
    else {
      this.overflow = false;
      this.step(toReal(n));
    }
  }
  /**
   * Takes one value out again, as SQLite's sumInverse: an exact integer sum
   * subtracts (an overflow makes it approximate without a new start, as there),
   * an approximate one steps the negated value. Once approximate the sum stays
   * so, even when every value left is an integer (SQLite's sum of 1.5, 2, 3 over
   * a one-row sliding frame is REAL 3.0 at the last row).
   */
  remove(v: SqlValue): void {
    if (v === null) return;
    const n = typeof v === 'number' ? v : applyComparisonAffinity(v, 'NUMERIC');
    this.count--;
    const isInt = typeof n === 'bigint' || (typeof n === 'number' && Number.isInteger(n));
    if (!this.approx) {
      const i = isInt ? n as number | bigint : Math.trunc(toReal(n));
      if (!this.big && typeof i === 'number') {
        const s = this.small - i;
        if (Number.isSafeInteger(s)) {
          this.small = s;
          return;
        }
      }
      if (!this.big) {
        this.big = true;
        this.isum = BigInt(this.small);
      }
      const s = this.isum - BigInt(i);
      if (s > MAX_INT64 || s < MIN_INT64) {
        this.overflow = true;
        this.approx = true;
        return;
      }
      this.isum = s;
      return;
    }
    if (isInt) {
      const i = BigInt(n as number | bigint);
      if (i === MIN_INT64) {
        this.stepInt(MAX_INT64);
        this.stepInt(1n);
      } else this.stepInt(-i);
    } else this.step(-toReal(n));
  }
  private init(i: bigint): void {
    if (i <= -4503599627370496n || i >= 4503599627370496n) {
      const sm = i % 16384n;
      this.rsum = Number(i - sm);
      this.rerr = Number(sm);
    } else {
      this.rsum = Number(i);
      this.rerr = 0;
    }
  }
  private stepInt(i: bigint): void {
    if (i <= -4503599627370496n || i >= 4503599627370496n) {
      const sm = i % 16384n;
      this.step(Number(i - sm));
      this.step(Number(sm));
    } else this.step(Number(i));
  }
  private step(r: number): void {
    const s = this.rsum;
    const t = s + r;
    if (Math.abs(s) > Math.abs(r)) this.rerr += s - t + r;
    else this.rerr += r - t + s;
    this.rsum = t;
  }
  /** The exact integer sum (meaningful while !approx). */
  intSum(): bigint {
    return this.big ? this.isum : BigInt(this.small);
  }
  /** rSum + rErr unless the error term overflowed (then rSum, or the integer sum for total/avg). */
  real(): number {
    if (!this.approx) return this.big ? Number(this.isum) : this.small;
    return Number.isFinite(this.rerr) ? this.rsum + this.rerr : this.rsum;
  }
}

const SUM: AggregateDef = {
  name: 'sum',
  create: () => {
    const s = new Summer();
    return {
      step: (a) => (s.add(a[0]!), false),
      inverse: (a) => s.remove(a[0]!),
      result: () => {
        if (s.count === 0) return null;
        if (s.overflow) throw new HeliosError('SQL_ERROR', 'integer overflow');
        return s.approx ? makeReal(s.real()) : makeInteger(s.intSum());
      },
    };
  },
};

const TOTAL: AggregateDef = {
  name: 'total',
  create: () => {
    const s = new Summer();
    return { step: (a) => (s.add(a[0]!), false), inverse: (a) => s.remove(a[0]!), result: () => makeReal(s.real()) };
  },
};

const AVG: AggregateDef = {
  name: 'avg',
  create: () => {
    const s = new Summer();
    return {
      step: (a) => (s.add(a[0]!), false),
      inverse: (a) => s.remove(a[0]!),
      result: () => (s.count === 0 ? null : makeReal(s.real() / s.count)),
    };
  },
};

function extreme(name: 'min' | 'max', sign: number): AggregateDef {
  return {
    name,
    create: (coll) => {
      let best: SqlValue = null;
      let seen = false;
      return {
        step: (a) => {
          const v = a[0]!;
          if (v === null) return false;
          if (!seen || compareValues(v, best, coll) * sign > 0) {
            best = v;
            seen = true;
            return true;
          }
          return false;
        },
        result: () => best,
      };
    },
    createSliding: (coll) => {
      // A monotonic queue: values[head..] keep their arrival order and get strictly
      // worse towards the back, so the front is the frame's extreme (the earliest of
      // equal ones, as step() keeps it); rows leave from the front in arrival order.
      const vals: SqlValue[] = [];
      const seqs: number[] = [];
      let head = 0;
      let added = 0;
      let removed = 0;
      return {
        step: (a) => {
          const v = a[0]!;
          if (v === null) return false;
          const seq = added++;
          while (vals.length > head && compareValues(vals[vals.length - 1]!, v, coll) * sign < 0) {
            vals.pop();
            seqs.pop();
          }
          vals.push(v);
          seqs.push(seq);
          return false;
        },
        inverse: (a) => {
          if (a[0] === null) return;
          const seq = removed++;
          if (head < seqs.length && seqs[head] === seq) {
            vals[head] = null;
            head++;
            if (head > 1024 && head * 2 > vals.length) {
              vals.splice(0, head);
              seqs.splice(0, head);
              head = 0;
            }
          }
        },
        result: () => (head < vals.length ? vals[head]! : null),
      };
    },
  };
}

const MIN = extreme('min', -1);
const MAX = extreme('max', 1);

/** group_concat's state; with `sliding` it also keeps the lengths inverse() needs. */
function groupConcat(sliding: boolean): Accumulator {
  let out: string | null = null;
  // The lengths of the values and of the separator written before each value but the
  // first, from the earliest row still in (sliding only).
  const valLens: number[] = [];
  const sepLens: number[] = [];
  let head = 0;
  const acc: Accumulator = {
    step: (a) => {
      const v = a[0]!;
      if (v === null) return false;
      const t = toText(v) ?? '';
      if (out === null) out = t;
      else {
        const sep = a.length > 1 ? a[1]! : ',';
        const st = sep === null ? '' : toText(sep)!;
        // The same limit on every runtime (V8 would fail near 2^29 units, JavaScriptCore later).
        if (out.length + st.length + t.length > MAX_TEXT_LENGTH) throw tooBigError();
        out += st + t;
        if (sliding) sepLens.push(st.length);
      }
      if (sliding) valLens.push(t.length);
      return false;
    },
    result: () => out,
  };
  if (sliding) {
    acc.inverse = (a) => {
      if (a[0] === null || out === null) return;
      if (valLens.length - head <= 1) {
        out = null;
        valLens.length = 0;
        sepLens.length = 0;
        head = 0;
        return;
      }
      // The value leaves with the separator that follows it (the next value's).
      out = out.slice(valLens[head]! + sepLens[head]!);
      head++;
      if (head > 1024 && head * 2 > valLens.length) {
        valLens.splice(0, head);
        sepLens.splice(0, head);
        head = 0;
      }
    };
  }
  return acc;
}

const GROUP_CONCAT: AggregateDef = {
  name: 'group_concat',
  create: () => groupConcat(false),
  createSliding: () => groupConcat(true),
};

/** One term of an aggregate's ORDER BY, compiled: its key follows the call's arguments. */
export interface AggregateOrderTerm {
  readonly desc: boolean;
  readonly nullsFirst: boolean;
  readonly coll: Collation;
}

/**
 * `f(args ORDER BY keys)` as SQLite 3.44+ runs it: each row's arguments and
 * keys (the keys appended after the `nargs` arguments) are kept, and when
 * the result is asked for they are sorted — stably, so rows with equal keys
 * keep their scan order, as SQLite's sorter does with its sequence column —
 * and stepped through a fresh accumulator of `def`. DISTINCT and FILTER act
 * before (in scan order), as in SQLite. Not a window aggregate: SQLite
 * refuses ORDER BY there, so there is no inverse.
 */
export function orderedAggregate(def: AggregateDef, nargs: number, terms: readonly AggregateOrderTerm[]): AggregateDef {
  // The kept rows hold the arguments, then one value per ORDER BY term.
  const compare = rowOrderCompare(terms.map((t, i) => ({ ...t, key: nargs + i })));
  return {
    name: def.name,
    ...(def.json === true ? { json: true } : {}),
    create: (coll) => {
      const rows: SqlValue[][] = [];
      let cached: { n: number; value: SqlValue } | null = null;
      return {
        step: (args) => (rows.push(args.slice()), false),
        result: () => {
          if (cached !== null && cached.n === rows.length) return cached.value;
          const acc = def.create(coll);
          const sorted = rows.slice().sort(compare);
          for (const r of sorted) acc.step(r.length === nargs ? r : r.slice(0, nargs));
          cached = { n: rows.length, value: acc.result() };
          return cached.value;
        },
      };
    },
  };
}
