/**
 * Window queries for the differential campaign against SQLite: every
 * window function, PARTITION BY / ORDER BY, ROWS / RANGE / GROUPS frames
 * with every bound kind and EXCLUDE, named windows (with and without a
 * base window), FILTER, windows over GROUP BY, in ORDER BY and in
 * expressions, and invalid frames (errors compared as errors).
 *
 * Determinism: a window's result may depend on the order of rows its ORDER
 * BY leaves tied. A window whose ORDER BY ends with the unique `id` orders
 * its partition totally, and then every function and frame is generated;
 * otherwise only what peers cannot change: rank, dense_rank, percent_rank,
 * cume_dist, and aggregates over RANGE/GROUPS frames (peer-group bounds) or
 * the default frame. Data are small integers, quarter reals (exact sums in
 * any order), non-empty text and NULLs; min/max (and DISTINCT-free values
 * that tie as 1 and 1.0) are compared as representatives.
 */
import fc from 'fast-check';
import type { Program, Step } from './differential-harness.ts';

const VALUE = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: -3, max: 6 }).map(String) },
  { weight: 2, arbitrary: fc.integer({ min: -12, max: 12 }).map((n) => (n / 4).toFixed(2)) },
  { weight: 2, arbitrary: fc.constant('NULL') },
  { weight: 1, arbitrary: fc.constantFrom("'a'", "'B'", "'10'", "'x y'", "'1.5'") },
);
const GROUP = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 2 }).map(String) }, { weight: 1, arbitrary: fc.constantFrom('NULL', "'k'") });

/** w(id, g, x, y): g partitions, x and y are values (x mostly numeric). */
const rowsArb = fc.array(fc.tuple(GROUP, VALUE, VALUE), { minLength: 0, maxLength: 12 });

interface Win {
  /** PARTITION BY … ('' for none). */
  readonly partition: string;
  /** ORDER BY … and the frame ('' for none). */
  readonly rest: string;
  /** The whole specification: what goes inside OVER ( … ). */
  readonly spec: string;
  /** ORDER BY ends with id: the partition is totally ordered. */
  readonly total: boolean;
  readonly features: readonly string[];
}

const orderTerm = fc.tuple(fc.constantFrom('x', 'y', 'g', 'x + 1', 'CAST(x AS TEXT)', 'abs(x)'), fc.constantFrom('', ' DESC', ' ASC NULLS LAST', ' DESC NULLS FIRST')).map(([e, d]) => `${e}${d}`);

const partition = fc.oneof({ weight: 2, arbitrary: fc.constant('') }, { weight: 2, arbitrary: fc.constant('PARTITION BY g') }, { weight: 1, arbitrary: fc.constantFrom('PARTITION BY g, x > 0', 'PARTITION BY y IS NULL') });

/** ORDER BY (no frame); `total` when it ends with the unique id. */
const windowOrder = fc.tuple(fc.array(orderTerm, { maxLength: 2 }), fc.oneof(fc.constant(''), fc.constantFrom('id', 'id DESC'))).map(([terms, tail]) => {
  const all = tail ? [...terms, tail] : terms;
  return { order: all.length ? `ORDER BY ${all.join(', ')}` : '', total: tail !== '' };
});

const offset = fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 0, max: 3 }).map(String) }, { weight: 1, arbitrary: fc.constantFrom('1.5', '-1', "'a'", 'NULL', '(1 + 1)') });
const bound = (side: 'start' | 'end') =>
  fc.oneof(
    fc.constant(side === 'start' ? 'UNBOUNDED PRECEDING' : 'UNBOUNDED FOLLOWING'),
    offset.map((n) => `${n} PRECEDING`),
    fc.constant('CURRENT ROW'),
    offset.map((n) => `${n} FOLLOWING`),
    { weight: 1, arbitrary: fc.constant(side === 'start' ? 'UNBOUNDED FOLLOWING' : 'UNBOUNDED PRECEDING') },
  );
const frame = fc
  .tuple(fc.constantFrom('ROWS', 'RANGE', 'GROUPS'), fc.boolean(), bound('start'), bound('end'), fc.constantFrom('', '', ' EXCLUDE NO OTHERS', ' EXCLUDE CURRENT ROW', ' EXCLUDE GROUP', ' EXCLUDE TIES'))
  .map(([unit, between, s, e, excl]) => ({ unit, sql: between ? `${unit} BETWEEN ${s} AND ${e}${excl}` : `${unit} ${s}${excl}`, exclude: excl !== '' }));

const join = (...parts: string[]): string => parts.filter((x) => x !== '').join(' ');

/**
 * A window specification with what it lets the functions assume. A ROWS
 * frame sees tied rows in an unspecified order, so it is kept only over a
 * total order.
 */
const windowArb: fc.Arbitrary<Win> = fc.tuple(partition, windowOrder, fc.option(frame, { nil: undefined, freq: 2 })).map(([p, o, f0]) => {
  const f = f0 !== undefined && f0.unit === 'ROWS' && !o.total ? undefined : f0;
  const rest = join(o.order, f?.sql ?? '');
  const features = ['window', ...(f ? [`frame:${f.unit}`] : []), ...(f?.exclude ? ['frame-exclude'] : [])];
  return { partition: p, rest, spec: join(p, rest), total: o.total, features };
});

const ARG = fc.constantFrom('x', 'y', 'x + y', 'g', 'CASE WHEN x > 1 THEN x END', 'id');
const FILTER = fc.option(fc.constantFrom('x > 0', 'y IS NOT NULL', 'g = 1', 'id % 2 = 0'), { nil: undefined, freq: 3 });

interface Call {
  readonly sql: string;
  readonly features: readonly string[];
  readonly representatives: boolean;
}

/** A window-function call over `over` (the text after OVER). */
function callArb(w: Win, over: string): fc.Arbitrary<Call> {
  const c = (sql: string, rep: boolean, ...features: string[]): Call => ({ sql: `${sql} OVER ${over}`, features: [...w.features, ...features], representatives: rep });
  const peerSafe: fc.Arbitrary<Call>[] = [
    fc.constantFrom('rank()', 'dense_rank()', 'percent_rank()', 'cume_dist()').map((f) => c(f, false, `fn:${f}`)),
    fc
      .tuple(fc.constantFrom('count', 'sum', 'total', 'avg', 'min', 'max'), ARG, FILTER)
      .map(([f, a, flt]) => c(`${f}(${a})${flt ? ` FILTER (WHERE ${flt})` : ''}`, f === 'min' || f === 'max', `agg:${f}`, ...(flt ? ['filter'] : []))),
    FILTER.map((flt) => c(`count(*)${flt ? ` FILTER (WHERE ${flt})` : ''}`, false, 'agg:count', ...(flt ? ['filter'] : []))),
  ];
  if (!w.total) return fc.oneof(...peerSafe);
  const ordered: fc.Arbitrary<Call>[] = [
    fc.constant(c('row_number()', false, 'fn:row_number')),
    fc.constantFrom('1', '2', '3', '5', '0', 'NULL', "'a'").map((n) => c(`ntile(${n})`, false, 'fn:ntile')),
    fc.tuple(fc.constantFrom('lag', 'lead'), ARG, fc.constantFrom('', ', 1', ', 2', ', 0', ', -1', ', 1, -9', ", 3, 'd'")).map(([f, a, rest]) => c(`${f}(${a}${rest})`, false, `fn:${f}`)),
    fc.tuple(fc.constantFrom('first_value', 'last_value'), ARG).map(([f, a]) => c(`${f}(${a})`, false, `fn:${f}`)),
    fc
      .tuple(ARG, fc.constantFrom('1', '2', '3', '0', '-1', 'NULL'))
      .map(([a, n]) => c(`nth_value(${a}, ${n})`, false, 'fn:nth_value')),
    fc.tuple(fc.constantFrom('x', 'y', 'id'), fc.constantFrom("'-'", "','", "'|'")).map(([a, sep]) => c(`group_concat(${a}, ${sep})`, false, 'agg:group_concat')),
    fc.constantFrom('x', 'y').map((a) => c(`json_group_array(${a})`, false, 'agg:json_group_array')),
  ];
  return fc.oneof(...peerSafe, ...ordered);
}

const selectWindow = (sql: string, rep: boolean, features: readonly string[], ordered = false): Step => ({ sql, features: [...features], representatives: rep, ordered });

/** SELECT id, g, x, <window calls> FROM w, with inline or named windows. */
const plainQuery: fc.Arbitrary<Step> = fc
  .tuple(fc.array(windowArb, { minLength: 1, maxLength: 3 }), fc.boolean(), fc.option(fc.constantFrom('x > 0', 'g IS NOT NULL', 'y IS NULL'), { nil: undefined }))
  .chain(([wins, named, where]) =>
    fc.tuple(...wins.map((w, i) => callArb(w, named ? `w${i}` : `(${w.spec})`)), fc.boolean()).map(([...parts]) => {
      const wrap = parts.pop() as boolean;
      const calls = parts as Call[];
      const list = calls.map((k, i) => (wrap && i === 0 ? `coalesce(${k.sql}, -1) * 2` : k.sql));
      const windowClause = named ? ` WINDOW ${wins.map((w, i) => `w${i} AS (${w.spec})`).join(', ')}` : '';
      return selectWindow(
        `SELECT id, g, x, ${list.join(', ')} FROM w${where ? ` WHERE ${where}` : ''}${windowClause}`,
        calls.some((k) => k.representatives),
        [...calls.flatMap((k) => k.features), ...(named ? ['named-window'] : [])],
      );
    }),
  );

/**
 * A named base window extended by OVER (b ORDER BY … frame), and OVER b
 * alone. Repeating PARTITION BY in the extension, or extending a base that
 * has a frame, is an error in SQLite (generated sometimes).
 */
const baseWindowQuery: fc.Arbitrary<Step> = fc.tuple(windowArb, fc.constantFrom('ok', 'ok', 'ok', 'repeat-partition', 'base-order', 'base-frame')).chain(([w, how]) => {
  const base = how === 'base-order' ? join(w.partition || 'PARTITION BY g', 'ORDER BY x, id') : how === 'base-frame' ? join(w.partition, 'ROWS UNBOUNDED PRECEDING') : w.partition || 'PARTITION BY g';
  const ext = how === 'repeat-partition' ? join('PARTITION BY g', w.rest) : how === 'base-order' ? w.rest.replace(/^ORDER BY .*?(?=ROWS|RANGE|GROUPS|$)/, '').trim() : w.rest;
  const win: Win = how === 'base-order' ? { ...w, total: true, spec: join(base, ext) } : { ...w, spec: join(base, ext) };
  return callArb(win, `(b${ext ? ' ' + ext : ''})`).map((k) =>
    selectWindow(`SELECT id, ${k.sql}, count(*) OVER b FROM w WINDOW b AS (${base})`, k.representatives, [...k.features, 'base-window', `base-window:${how}`]),
  );
});

/** Windows over GROUP BY: sum(sum(x)) OVER (ORDER BY g) and rank over aggregates. */
const groupedQuery: fc.Arbitrary<Step> = fc
  .tuple(fc.constantFrom('sum(x)', 'count(*)', 'max(y)', 'total(x)'), fc.constantFrom('sum', 'count', 'max', 'avg'), fc.constantFrom('', ' ROWS BETWEEN 1 PRECEDING AND CURRENT ROW', ' RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING', ' GROUPS 1 PRECEDING'), fc.constantFrom('g', 'g DESC'))
  .map(([inner, outer, fr, ord]) =>
    selectWindow(`SELECT g, ${inner}, ${outer}(${inner}) OVER (ORDER BY ${ord}${fr}), rank() OVER (ORDER BY ${inner}) FROM w GROUP BY g`, inner === 'max(y)' || outer === 'max', ['window', 'window-over-group-by']),
  );

/** Window functions in a FROM subquery filtered outside, and in the outer ORDER BY. */
const nestedQuery: fc.Arbitrary<Step> = windowArb.chain((w) =>
  fc.tuple(callArb(w, `(${w.spec})`), fc.boolean()).map(([k, sub]) =>
    sub
      ? selectWindow(`SELECT id, v FROM (SELECT id, ${k.sql} AS v FROM w) WHERE v IS NOT NULL`, k.representatives, [...k.features, 'window-subquery'])
      : selectWindow(`SELECT id, ${k.sql} AS v FROM w ORDER BY v, id`, k.representatives, [...k.features, 'window-order-by'], !k.representatives),
  ),
);

/** Invalid uses: a window function without OVER, in WHERE, an unknown window name, DISTINCT. */
const invalidQuery: fc.Arbitrary<Step> = fc
  .constantFrom(
    'SELECT row_number() FROM w',
    'SELECT id FROM w WHERE rank() OVER () > 1',
    'SELECT sum(x) OVER nowin FROM w',
    'SELECT count(DISTINCT x) OVER () FROM w',
    'SELECT ntile(0) OVER (ORDER BY id) FROM w',
    'SELECT sum(x) OVER (ORDER BY x, y RANGE 1 PRECEDING) FROM w',
    'SELECT sum(x) OVER (RANGE 1 PRECEDING) FROM w',
    'SELECT sum(x) OVER w0 FROM w WINDOW w0 AS (ORDER BY id), w0 AS (ORDER BY x)',
    'SELECT sum(x) OVER (w0 ORDER BY id) FROM w WINDOW w0 AS (ORDER BY x)',
    'SELECT sum(x) OVER (w0 PARTITION BY g) FROM w WINDOW w0 AS (ORDER BY x)',
    'SELECT sum(x) OVER (w0) FROM w WINDOW w0 AS (ROWS 1 PRECEDING)',
    'SELECT nth_value(x, 0) OVER (ORDER BY id) FROM w',
    'SELECT lag(x, -1) OVER (ORDER BY id) FROM w',
    'SELECT sum(x) FILTER (WHERE 1) OVER (ORDER BY id GROUPS 1 PRECEDING) FROM w',
  )
  .map((sql) => selectWindow(sql, false, ['window', 'window-invalid']));

export const windowProgramArb: fc.Arbitrary<Program> = fc
  .tuple(rowsArb, fc.array(fc.oneof({ weight: 6, arbitrary: plainQuery }, { weight: 2, arbitrary: baseWindowQuery }, { weight: 1, arbitrary: groupedQuery }, { weight: 2, arbitrary: nestedQuery }, { weight: 1, arbitrary: invalidQuery }), { minLength: 1, maxLength: 5 }))
  .map(([rows, steps]) => ({
    setup: ['CREATE TABLE w(id INTEGER PRIMARY KEY, g, x, y)', ...rows.map(([g, x, y]) => `INSERT INTO w(g, x, y) VALUES(${g}, ${x}, ${y})`)],
    steps,
  }));
