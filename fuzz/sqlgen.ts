/**
 * fast-check generators of SQL scenarios for differential testing against
 * SQLite: a schema (1–3 tables with declared types of every affinity, an
 * optional INTEGER PRIMARY KEY, NOCASE columns and indexes), rows mixing
 * NULLs, integers (64-bit edges included), reals, text and blobs, and
 * queries over the grammar we support.
 *
 * Every query carries the `shape` it belongs to and the `features` it
 * uses, so a campaign can enable shapes as the engine grows and exclude an
 * intended difference by name (INTENDED_DIFFERENCES) instead of loosening
 * the comparison.
 *
 * Generated queries are deterministic on SQLite: no LIMIT without an
 * ORDER BY over every output column, no bare columns in aggregates, scalar
 * subqueries are aggregates (one row), and group_concat (whose order
 * follows the scan) is not generated. Reals are multiples of 1/4 (exact
 * sums in any order) plus a few fixed exotic values.
 */
import fc from 'fast-check';

/** The query shapes, in the order the engine gains them (issue 5, then issue 6). */
export type Shape = 'select' | 'aggregate' | 'join' | 'subquery' | 'compound' | 'cte' | 'dml';
export const SHAPES: readonly Shape[] = ['select', 'aggregate', 'join', 'subquery', 'compound', 'cte', 'dml'];

/**
 * Where HeliosDB deliberately differs from SQLite. Each entry names a
 * feature tag; a generated query using it is not compared. The README
 * lists these. Empty means: no intended difference in the generated grammar.
 */
export const INTENDED_DIFFERENCES: readonly { readonly feature: string; readonly why: string }[] = [
  {
    feature: 'in-subquery-desc-index',
    why:
      "SQLite 3.53.2 bug: x IN (SELECT c FROM t) is 0 (NOT IN: 1) instead of NULL when c holds a NULL and an index on t leads with c DESC " +
      "(CREATE TABLE t(c); CREATE INDEX i ON t(c DESC); INSERT INTO t VALUES(NULL),('x'); SELECT 'y' IN (SELECT c FROM t)). HeliosDB returns NULL, as SQL requires.",
  },
  {
    feature: 'runtime-error',
    why:
      'Whether an operand that raises an error (abs(-9223372036854775808): integer overflow) is evaluated when its value is not needed depends on ' +
      "the evaluation strategy, which SQL leaves open: SQLite evaluates a constant IN list even for a NULL left operand (NULL IN (abs(-9223372036854775808)) fails) " +
      'but never runs the right side of INTERSECT/EXCEPT when the left side is empty. Queries whose result is an error either way agree.',
  },
];

export interface GenColumn {
  readonly name: string;
  /** The declared type as written ('' for none), plus an optional COLLATE. */
  readonly decl: string;
  /** A column constraint ('' none, NOT NULL, UNIQUE, CHECK(...), DEFAULT ...); {col} stands for the column's name. */
  readonly constraint?: string;
}

export interface GenTable {
  readonly name: string;
  /** The first column is `id INTEGER PRIMARY KEY` (a rowid alias) when true. */
  readonly rowidAlias: boolean;
  readonly columns: readonly GenColumn[];
  /** Each row as SQL literals, one per column (the rowid alias included when present). */
  readonly rows: readonly (readonly string[])[];
  /** Column lists of secondary indexes (names with optional DESC). */
  readonly indexes: readonly (readonly string[])[];
}

export interface GenQuery {
  readonly sql: string;
  readonly shape: Shape;
  /** True when ORDER BY covers every output column, so row order is part of the result. */
  readonly ordered: boolean;
  readonly features: readonly string[];
  /** Queries run and compared (as multisets) right after this statement: the state it changed. */
  readonly after?: readonly string[];
}

export interface GenScenario {
  readonly tables: readonly GenTable[];
  readonly queries: readonly GenQuery[];
}

/** The statements that build a scenario's database, in order. */
export function setupStatements(s: GenScenario): string[] {
  const out: string[] = [];
  for (const t of s.tables) {
    const cols = t.columns.map((c, i) => (i === 0 && t.rowidAlias ? `${c.name} INTEGER PRIMARY KEY` : `${c.name}${c.decl ? ' ' + c.decl : ''}${c.constraint ? ' ' + c.constraint.replaceAll('{col}', c.name) : ''}`));
    out.push(`CREATE TABLE ${t.name}(${cols.join(', ')})`);
    t.indexes.forEach((ix, k) => out.push(`CREATE INDEX ${t.name}_i${k} ON ${t.name}(${ix.join(', ')})`));
    for (const r of t.rows) out.push(`INSERT INTO ${t.name} VALUES(${r.join(', ')})`);
  }
  return out;
}

/** The whole scenario as one script (what a failure prints). */
export function scenarioScript(s: GenScenario, upToQuery?: number): string {
  const qs = upToQuery === undefined ? s.queries : s.queries.slice(upToQuery, upToQuery + 1);
  return [...setupStatements(s), ...qs.flatMap((q) => [q.sql, ...(q.after ?? [])])].map((x) => x + ';').join('\n');
}

// --- literals ----------------------------------------------------------------

/**
 * Integers stored in tables stay far from the 64-bit edges: sum() over a
 * column mixing both edges raises "integer overflow" or not depending on
 * the order rows are added, which SQL leaves unspecified. The edges appear
 * as query literals instead (see `literal`). Large negative values stay
 * above -2^28: substr(x, start) with a start below minus the oracle's
 * compile-time length limit (536,870,888 in better-sqlite3) depends on
 * that limit, not on SQL.
 */
const dataIntLiteral = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: -5, max: 12 }).map(String) },
  { weight: 1, arbitrary: fc.integer({ min: -(2 ** 28), max: 2 ** 31 - 1 }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom('4294967296', '9007199254740993') },
);
const INT64_EDGES = ['9223372036854775807', '-9223372036854775808'];
const intLiteral = fc.oneof({ weight: 8, arbitrary: dataIntLiteral }, { weight: 1, arbitrary: fc.constantFrom(...INT64_EDGES) });
const realLiteral = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: -40, max: 40 }).map((n) => (n / 4).toFixed(2)) },
  { weight: 1, arbitrary: fc.constantFrom('0.1', '1e10', '1.5e300', '-2.5e-5', '100.0', '1e18') },
);
const textLiteral = fc.constantFrom("''", "'a'", "'B'", "'abc'", "'Abc'", "'10'", "' 3'", "'1.5'", "'x y'", "'%'", "'_b'", "'a%'", "'12abc'", "'é'");
// Blobs are valid UTF-8 (X'c3a910' is 'é' and a control byte): a blob that is not, read as
// text, is U+FFFD here and raw bytes in SQLite — a difference the README lists — and the
// expressions that read a blob as text (||, hex, replace, LIKE, CAST …) are too many to tag.
const blobLiteral = fc.constantFrom("X''", "X'4142'", "X'c3a910'");
/** X'00' as text is a NUL character, where SQLite's C-string functions stop: only in queries, tagged. */
const nulBlobLiteral = fc.constant("X'00'");

export const literal: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: fc.constant('NULL') },
  { weight: 5, arbitrary: intLiteral },
  { weight: 3, arbitrary: realLiteral },
  { weight: 3, arbitrary: textLiteral },
  { weight: 1, arbitrary: fc.oneof({ weight: 3, arbitrary: blobLiteral }, { weight: 1, arbitrary: nulBlobLiteral }) },
);

const dataLiteral: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: fc.constant('NULL') },
  { weight: 5, arbitrary: dataIntLiteral },
  { weight: 3, arbitrary: realLiteral },
  { weight: 3, arbitrary: textLiteral },
  { weight: 1, arbitrary: blobLiteral },
);

/** A literal that suits a column's affinity most of the time, anything sometimes. */
function valueFor(decl: string): fc.Arbitrary<string> {
  const t = decl.toUpperCase();
  const typed = t.includes('INT') ? dataIntLiteral : t.includes('TEXT') || t.includes('CHAR') ? textLiteral : t.includes('REAL') || t.includes('FLOA') ? realLiteral : dataLiteral;
  return fc.oneof({ weight: 4, arbitrary: typed }, { weight: 1, arbitrary: fc.constant('NULL') }, { weight: 1, arbitrary: dataLiteral });
}

// --- schema --------------------------------------------------------------------

/** Columns declared COLLATE NOCASE get this suffix, so expressions know their collation by name. */
const NOCASE_SUFFIX = 'n';
const isNocaseColumn = (ref: string): boolean => ref.endsWith(NOCASE_SUFFIX);

const declaredType = fc.constantFrom('INTEGER', 'INT', 'REAL', 'TEXT', 'BLOB', 'NUMERIC', '', 'VARCHAR(10)', 'FLOAT', 'TEXT COLLATE NOCASE');

/** Mostly none, so that most rows insert; the rest exercise constraint checks and defaults. */
const columnConstraint = fc.oneof(
  { weight: 12, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: fc.constant('NOT NULL') },
  { weight: 1, arbitrary: fc.constant('UNIQUE') },
  { weight: 1, arbitrary: fc.constantFrom("CHECK(typeof({col}) <> 'blob')", 'CHECK({col} IS NULL OR {col} > -3)', 'DEFAULT 7', "DEFAULT 'd'", 'DEFAULT (1 + 2)', 'NOT NULL DEFAULT 0') },
);

function tableArb(name: string): fc.Arbitrary<GenTable> {
  return fc
    .record({
      rowidAlias: fc.boolean(),
      decls: fc.array(fc.tuple(declaredType, columnConstraint), { minLength: 1, maxLength: 4 }),
    })
    .chain(({ rowidAlias, decls }) => {
      const columns: GenColumn[] = [
        ...(rowidAlias ? [{ name: 'id', decl: 'INTEGER' }] : []),
        ...decls.map(([decl, constraint], i) => ({ name: `${name}c${i}${decl.includes('NOCASE') ? NOCASE_SUFFIX : ''}`, decl, constraint })),
      ];
      const row = fc.tuple(...columns.map((c, i) => (i === 0 && rowidAlias ? fc.oneof(fc.constant('NULL'), fc.integer({ min: 1, max: 30 }).map(String)) : valueFor(c.decl))));
      const colNames = columns.map((c) => c.name);
      const index = fc.subarray(colNames, { minLength: 1, maxLength: Math.min(2, colNames.length) }).chain((cols) => fc.tuple(...cols.map((c) => fc.constantFrom(c, `${c} DESC`))));
      return fc.record({
        name: fc.constant(name),
        rowidAlias: fc.constant(rowidAlias),
        columns: fc.constant(columns),
        rows: fc.array(row, { maxLength: 10 }),
        indexes: fc.array(index, { maxLength: 2 }),
      });
    });
}

// --- expressions -----------------------------------------------------------------

interface Ex {
  readonly sql: string;
  readonly features: readonly string[];
}

const ex = (sql: string, ...parts: (Ex | string)[]): Ex => ({
  sql,
  features: parts.flatMap((p) => (typeof p === 'string' ? [p] : p.features)),
});

/**
 * SQLite gives an expression the implicit collation of a column only when
 * it is the column itself, or a CAST or unary + of it; any other operator or
 * function yields BINARY unless an explicit COLLATE sits inside. Tagged so a
 * difference in this rule shows under its own name.
 */
function collationLost(...operands: Ex[]): string[] {
  return operands.some((o) => o.features.includes('col-nocase')) ? ['implicit-collation-through-expr'] : [];
}

/** Binary operators whose result is a value derived from the operands (not a truth value). */
const VALUE_OPS: ReadonlySet<string> = new Set(['+', '-', '*', '/', '%', '||', '&', '|', '<<', '>>']);

const BINARY_OPS = ['+', '-', '*', '/', '%', '||', '=', '==', '<>', '!=', '<', '<=', '>', '>=', 'AND', 'OR', 'IS', 'IS NOT', '&', '|', '<<', '>>'];
const FUNCTIONS_1 = ['abs', 'length', 'upper', 'lower', 'typeof', 'hex', 'trim', 'ltrim', 'rtrim', 'round', 'unicode', 'quote', 'char', 'unhex'];
const FUNCTIONS_2 = ['coalesce', 'ifnull', 'nullif', 'instr', 'min', 'max', 'round', 'substr', 'trim', 'like', 'glob'];
const CAST_TYPES = ['INTEGER', 'REAL', 'TEXT', 'NUMERIC', 'BLOB'];

/**
 * Scalar expressions over `columns` (qualified or not), `depth` levels deep.
 * `extra` adds leaves (e.g. subqueries) with their own features.
 */
export function exprArb(columns: readonly string[], depth: number, extra?: fc.Arbitrary<Ex>): fc.Arbitrary<Ex> {
  const leaf: fc.Arbitrary<Ex> = fc.oneof(
    { weight: columns.length > 0 ? 4 : 0, arbitrary: columns.length > 0 ? fc.constantFrom(...columns).map((c) => ex(c, 'col', ...(isNocaseColumn(c) ? ['col-nocase'] : []))) : fc.constant(ex('NULL')) },
    { weight: 3, arbitrary: literal.map((l) => (l === "X'00'" ? ex(l, 'blob', 'nul-text') : l.startsWith("X'") ? ex(l, 'blob') : INT64_EDGES.includes(l) ? ex(l, 'int64-edge') : ex(l))) },
    ...(extra ? [{ weight: 1, arbitrary: extra }] : []),
  );
  if (depth <= 0) return leaf;
  const sub = exprArb(columns, depth - 1, extra);
  const paren = (e: Ex): Ex => ex(`(${e.sql})`, e);
  const maybeParen = (e: fc.Arbitrary<Ex>): fc.Arbitrary<Ex> => fc.tuple(e, fc.boolean()).map(([x, p]) => (p ? paren(x) : x));
  const operand = maybeParen(sub);
  return fc.oneof(
    { weight: 4, arbitrary: leaf },
    { weight: 4, arbitrary: fc.tuple(operand, fc.constantFrom(...BINARY_OPS), operand).map(([a, op, b]) => ex(`${a.sql} ${op} ${b.sql}`, a, b, `op:${op}`, ...(VALUE_OPS.has(op) ? collationLost(a, b) : []))) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('-', '+', 'NOT ', '~'), sub).map(([op, a]) => ex(`${op}(${a.sql})`, a, `unary:${op.trim()}`, ...(op === '-' ? collationLost(a) : []))) },
    { weight: 1, arbitrary: fc.tuple(operand, fc.constantFrom('IS NULL', 'IS NOT NULL', 'NOTNULL', 'ISNULL')).map(([a, op]) => ex(`${a.sql} ${op}`, a, 'is-null')) },
    { weight: 1, arbitrary: fc.tuple(operand, fc.boolean(), operand, operand).map(([a, not, lo, hi]) => ex(`${a.sql} ${not ? 'NOT ' : ''}BETWEEN ${lo.sql} AND ${hi.sql}`, a, lo, hi, 'between')) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(operand, fc.boolean(), fc.array(sub, { minLength: 1, maxLength: 4 }))
        .map(([a, not, list]) =>
          ex(
            `${a.sql} ${not ? 'NOT ' : ''}IN (${list.map((x) => x.sql).join(', ')})`,
            a,
            ...list,
            'in-list',
            ...(list.some((x) => x.features.includes('col')) ? ['in-list-column'] : []),
            ...(list.some((x) => x.features.includes('col-nocase')) && !a.features.includes('col-nocase') ? ['in-list-collation'] : []),
          ),
        ),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(operand, fc.boolean(), fc.constantFrom('LIKE', 'GLOB'), operand)
        .map(([a, not, op, b]) => ex(`${a.sql} ${not ? 'NOT ' : ''}${op} ${b.sql}`, a, b, op === 'LIKE' ? 'like' : 'glob', ...([a, b].some((x) => x.features.includes('blob') || x.features.includes('cast:BLOB')) ? ['like-glob-blob'] : []))),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.option(sub, { nil: undefined }), fc.array(fc.tuple(sub, sub), { minLength: 1, maxLength: 3 }), fc.option(sub, { nil: undefined })).map(([base, whens, els]) =>
        ex(
          `CASE${base ? ' ' + base.sql : ''} ${whens.map(([w, t]) => `WHEN ${w.sql} THEN ${t.sql}`).join(' ')}${els ? ' ELSE ' + els.sql : ''} END`,
          ...(base ? [base] : []),
          ...whens.flat(),
          ...(els ? [els] : []),
          'case',
          ...collationLost(...(base ? [base] : []), ...whens.map(([, t]) => t), ...(els ? [els] : [])),
          ...([...(base ? [base] : []), ...whens.flat(), ...(els ? [els] : [])].some((x) => x.features.includes('collate')) ? ['collation-in-case'] : []),
        ),
      ),
    },
    { weight: 1, arbitrary: fc.tuple(sub, fc.constantFrom(...CAST_TYPES)).map(([a, t]) => ex(`CAST(${a.sql} AS ${t})`, a, `cast:${t}`)) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(...FUNCTIONS_1), sub)
        .map(([f, a]) => ex(`${f}(${a.sql})`, a, `fn:${f}`, ...collationLost(a), ...(f === 'abs' && a.features.includes('int64-edge') ? ['runtime-error'] : []))),
    },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...FUNCTIONS_2), sub, sub).map(([f, a, b]) => ex(`${f}(${a.sql}, ${b.sql})`, a, b, `fn:${f}`, ...collationLost(a, b))) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom('substr', 'iif', 'replace'), sub, sub, sub)
        .map(([f, a, b, c]) => ex(`${f}(${a.sql}, ${b.sql}, ${c.sql})`, a, b, c, `fn:${f}`, ...collationLost(a, b, c), ...(f === 'substr' && [b, c].some((x) => x.features.includes('int64-edge')) ? ['substr-int64-edge'] : []))),
    },
    { weight: 1, arbitrary: fc.tuple(sub, fc.constantFrom('NOCASE', 'BINARY', 'RTRIM')).map(([a, c]) => ex(`${a.sql} COLLATE ${c}`, a, 'collate')) },
  );
}

// --- queries -----------------------------------------------------------------------

function qualifiedColumns(t: GenTable, alias: string | null): string[] {
  return t.columns.map((c) => (alias ? `${alias}.${c.name}` : c.name));
}

/** SELECT list + ORDER BY/LIMIT tail; `ordered` when ORDER BY names every output position. */
function selectTail(outputCount: number): fc.Arbitrary<{ sql: string; ordered: boolean; features: string[] }> {
  const positions = Array.from({ length: outputCount }, (_, i) => i + 1);
  const orderAll = fc
    .tuple(fc.shuffledSubarray(positions, { minLength: outputCount, maxLength: outputCount }), fc.array(fc.constantFrom('', ' DESC', ' ASC', ' NULLS FIRST', ' DESC NULLS LAST'), { minLength: outputCount, maxLength: outputCount }))
    .map(([ps, dirs]) => ps.map((p, i) => `${p}${dirs[i]}`).join(', '));
  const limit = fc.tuple(fc.integer({ min: 0, max: 6 }), fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined })).map(([l, o]) => ` LIMIT ${l}${o !== undefined ? ` OFFSET ${o}` : ''}`);
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant({ sql: '', ordered: false, features: [] as string[] }) },
    { weight: 2, arbitrary: orderAll.map((o) => ({ sql: ` ORDER BY ${o}`, ordered: true, features: ['order-by'] })) },
    { weight: 2, arbitrary: fc.tuple(orderAll, limit).map(([o, l]) => ({ sql: ` ORDER BY ${o}${l}`, ordered: true, features: ['order-by', 'limit'] })) },
  );
}

function selectList(cols: readonly string[], depth: number, extra?: fc.Arbitrary<Ex>): fc.Arbitrary<Ex[]> {
  return fc.array(exprArb(cols, depth, extra), { minLength: 1, maxLength: 3 });
}

function singleTableQuery(t: GenTable): fc.Arbitrary<GenQuery> {
  const cols = qualifiedColumns(t, null);
  return fc
    .tuple(fc.boolean(), fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 4, arbitrary: selectList(cols, 2) }), fc.option(exprArb(cols, 2), { nil: undefined }))
    .chain(([distinct, list, where]) => {
      const n = list === null ? t.columns.length : list.length;
      return selectTail(n).map((tail) => {
        const items = list === null ? '*' : list.map((e) => e.sql).join(', ');
        const features = [...(list ?? []).flatMap((e) => e.features), ...(where?.features ?? []), ...tail.features, ...(distinct ? ['distinct'] : [])];
        return { sql: `SELECT ${distinct ? 'DISTINCT ' : ''}${items} FROM ${t.name}${where ? ` WHERE ${where.sql}` : ''}${tail.sql}`, shape: 'select' as const, ordered: tail.ordered, features };
      });
    });
}

const AGGREGATES = ['count', 'sum', 'total', 'avg', 'min', 'max'];

function aggregateArb(cols: readonly string[]): fc.Arbitrary<Ex> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(ex('count(*)', 'agg:count')) },
    {
      weight: 4,
      arbitrary: fc.tuple(fc.constantFrom(...AGGREGATES), fc.boolean(), exprArb(cols, 1)).map(([f0, d, a]) => {
        // sum() of shifted values can overflow or not depending on the order rows are added
        // (SQL leaves it unspecified); total() has no overflow error.
        const f = f0 === 'sum' && a.features.includes('op:<<') ? 'total' : f0;
        return ex(`${f}(${d ? 'DISTINCT ' : ''}${a.sql})`, a, `agg:${f}`, ...(d ? ['agg-distinct'] : []));
      }),
    },
  );
}

function aggregateQuery(t: GenTable): fc.Arbitrary<GenQuery> {
  const cols = qualifiedColumns(t, null);
  return fc
    .tuple(fc.array(exprArb(cols, 1), { maxLength: 2 }), fc.array(aggregateArb(cols), { minLength: 1, maxLength: 3 }), fc.option(exprArb(cols, 1), { nil: undefined }), fc.option(aggregateArb(cols), { nil: undefined }), fc.constantFrom('>', '<', '=', '<>'), literal)
    .chain(([groups, aggs, where, havingAgg, havingOp, havingLit]) => {
      const out = [...groups, ...aggs];
      return selectTail(out.length).map((tail) => {
        const having = groups.length > 0 && havingAgg ? ` HAVING ${havingAgg.sql} ${havingOp} ${havingLit}` : '';
        const groupBy = groups.length > 0 ? ` GROUP BY ${groups.map((g) => g.sql).join(', ')}` : '';
        const features = [
          ...out.flatMap((e) => e.features),
          ...(where?.features ?? []),
          ...(having && havingAgg ? havingAgg.features : []),
          ...tail.features,
          ...(groups.length ? ['group-by'] : []),
          ...(groups.some((g) => !g.features.includes('col') || g.features.includes('op:AND')) ? ['group-by-constant'] : []),
          ...(having ? ['having'] : []),
        ];
        return {
          sql: `SELECT ${out.map((e) => e.sql).join(', ')} FROM ${t.name}${where ? ` WHERE ${where.sql}` : ''}${groupBy}${having}${tail.sql}`,
          shape: 'aggregate' as const,
          ordered: tail.ordered,
          features,
        };
      });
    });
}

function joinQuery(a: GenTable, b: GenTable): fc.Arbitrary<GenQuery> {
  const ca = qualifiedColumns(a, 'x');
  const cb = qualifiedColumns(b, 'y');
  const all = [...ca, ...cb];
  const equi = fc.tuple(fc.constantFrom(...ca), fc.constantFrom(...cb)).map(([l, r]) => ex(`${l} = ${r}`));
  const on = fc.oneof({ weight: 3, arbitrary: equi }, { weight: 1, arbitrary: exprArb(all, 1) });
  const kind = fc.constantFrom('JOIN', 'LEFT JOIN', 'INNER JOIN', 'LEFT OUTER JOIN', 'CROSS JOIN', ',');
  return fc
    .tuple(kind, on, fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 3, arbitrary: selectList(all, 1) }), fc.option(exprArb(all, 1), { nil: undefined }))
    .chain(([k, cond, list, where]) => {
      const n = list === null ? a.columns.length + b.columns.length : list.length;
      return selectTail(n).map((tail) => {
        const joinSql = k === ',' || k === 'CROSS JOIN' ? `${a.name} AS x ${k === ',' ? ',' : 'CROSS JOIN'} ${b.name} AS y` : `${a.name} AS x ${k} ${b.name} AS y ON ${cond.sql}`;
        const features = [k.includes('LEFT') ? 'left-join' : 'inner-join', ...(k.includes('LEFT') || k.includes('JOIN') ? cond.features : []), ...(list ?? []).flatMap((e) => e.features), ...(where?.features ?? []), ...tail.features];
        return {
          sql: `SELECT ${list === null ? '*' : list.map((e) => e.sql).join(', ')} FROM ${joinSql}${where ? ` WHERE ${where.sql}` : ''}${tail.sql}`,
          shape: 'join' as const,
          ordered: tail.ordered,
          features,
        };
      });
    });
}

function subqueryQuery(outer: GenTable, inner: GenTable): fc.Arbitrary<GenQuery> {
  const co = qualifiedColumns(outer, 'o');
  const ci = qualifiedColumns(inner, 'i');
  const innerWhere = fc.option(exprArb([...ci, ...co], 1), { nil: undefined }).map((w) => (w ? ex(` WHERE ${w.sql}`, w) : ex('')));
  const descLeading = (c: string): boolean => inner.indexes.some((ix) => ix[0] === `${c.slice(2)} DESC`);
  const scalar = fc.tuple(fc.constantFrom('max', 'min', 'count', 'sum', 'total'), fc.constantFrom(...ci), innerWhere).map(([f, c, w]) => ex(`(SELECT ${f}(${c}) FROM ${inner.name} AS i${w.sql})`, w, 'scalar-subquery', `agg:${f}`));
  const inSub = fc
    .tuple(exprArb(co, 1), fc.boolean(), fc.constantFrom(...ci), innerWhere)
    .map(([e, not, c, w]) => ex(`${e.sql} ${not ? 'NOT ' : ''}IN (SELECT ${c} FROM ${inner.name} AS i${w.sql})`, e, w, 'in-subquery', ...(descLeading(c) ? ['in-subquery-desc-index'] : [])));
  const exists = fc.tuple(fc.boolean(), innerWhere).map(([not, w]) => ex(`${not ? 'NOT ' : ''}EXISTS (SELECT 1 FROM ${inner.name} AS i${w.sql})`, w, 'exists'));
  const extra = fc.oneof(scalar, inSub, exists);
  const derived = fc.tuple(selectList(ci, 1), fc.option(exprArb(ci, 1), { nil: undefined })).map(([list, w]) => ({
    from: `(SELECT ${list.map((e, k) => `${e.sql} AS d${k}`).join(', ')} FROM ${inner.name} AS i${w ? ` WHERE ${w.sql}` : ''}) AS o`,
    cols: list.map((_, k) => `o.d${k}`),
    features: ['derived-table', ...list.flatMap((e) => e.features), ...(w?.features ?? [])],
  }));
  const plain = fc.constant({ from: `${outer.name} AS o`, cols: co, features: [] as string[] });
  return fc.oneof(plain, derived).chain((src) =>
    fc.tuple(selectList(src.cols, 1, src.cols === co ? extra : undefined), fc.option(src.cols === co ? fc.oneof(extra, exprArb(src.cols, 1, extra)) : exprArb(src.cols, 1), { nil: undefined })).chain(([list, where]) =>
      selectTail(list.length).map((tail) => ({
        sql: `SELECT ${list.map((e) => e.sql).join(', ')} FROM ${src.from}${where ? ` WHERE ${where.sql}` : ''}${tail.sql}`,
        shape: 'subquery' as const,
        ordered: tail.ordered,
        features: [...src.features, ...list.flatMap((e) => e.features), ...(where?.features ?? []), ...tail.features],
      })),
    ),
  );
}

function compoundQuery(a: GenTable, b: GenTable): fc.Arbitrary<GenQuery> {
  return fc.integer({ min: 1, max: 2 }).chain((n) => {
    const side = (t: GenTable): fc.Arbitrary<{ sql: string; features: readonly string[] }> =>
      fc.tuple(fc.array(exprArb(qualifiedColumns(t, null), 1), { minLength: n, maxLength: n }), fc.option(exprArb(qualifiedColumns(t, null), 1), { nil: undefined })).map(([list, w]) => ({
        sql: `SELECT ${list.map((e) => e.sql).join(', ')} FROM ${t.name}${w ? ` WHERE ${w.sql}` : ''}`,
        features: [...list.flatMap((e) => e.features), ...(w?.features ?? [])],
      }));
    return fc.tuple(side(a), fc.constantFrom('UNION', 'UNION ALL', 'INTERSECT', 'EXCEPT'), side(b), selectTail(n)).map(([l, op, r, tail]) => ({
      sql: `${l.sql} ${op} ${r.sql}${tail.sql}`,
      shape: 'compound' as const,
      ordered: tail.ordered,
      features: [
        `compound:${op}`,
        ...l.features,
        ...r.features,
        ...tail.features,
        ...([...l.features, ...r.features].includes('col-nocase') ? ['compound-collation'] : []),
      ],
    }));
  });
}

/** Reads back a table's whole state, rowids included (compared as a multiset). */
function stateOf(t: GenTable): string {
  return `SELECT rowid, * FROM ${t.name}`;
}

/**
 * INSERT (conflict clauses, column lists, several rows, DEFAULT VALUES,
 * INSERT … SELECT, upsert DO NOTHING), UPDATE and DELETE with WHERE and
 * RETURNING; each is followed by the table's state and changes().
 */
function dmlStatement(t: GenTable, all: readonly GenTable[]): fc.Arbitrary<GenQuery> {
  const cols = qualifiedColumns(t, null);
  const row = fc.tuple(...t.columns.map((c, i) => (i === 0 && t.rowidAlias ? fc.oneof(fc.constant('NULL'), fc.integer({ min: 1, max: 30 }).map(String)) : valueFor(c.decl))));
  const orWhat = fc.constantFrom('', ' OR REPLACE', ' OR IGNORE', ' OR ABORT', ' OR FAIL', ' OR ROLLBACK');
  const returning = fc.constantFrom('', '', ' RETURNING *', ` RETURNING ${cols[0]}`);
  const after = [stateOf(t), 'SELECT changes()'];
  const insertValues = fc.tuple(orWhat, fc.array(row, { minLength: 1, maxLength: 3 }), returning, fc.boolean()).map(([or, rows, ret, upsert]): GenQuery => ({
    sql: `INSERT${upsert ? '' : or} INTO ${t.name} VALUES${rows.map((r) => `(${r.join(', ')})`).join(', ')}${upsert ? ' ON CONFLICT DO NOTHING' : ''}${ret}`,
    shape: 'dml' as const,
    ordered: false,
    features: ['insert', ...(or ? [`conflict:${or.trim()}`] : []), ...(upsert ? ['upsert'] : []), ...(ret ? ['returning'] : [])],
    after,
  }));
  const insertColumns = fc
    .tuple(fc.subarray(t.columns.map((c) => c.name), { minLength: 1 }), fc.boolean())
    .chain(([names, defaults]): fc.Arbitrary<GenQuery> =>
      defaults
        ? fc.constant({ sql: `INSERT INTO ${t.name} DEFAULT VALUES`, shape: 'dml' as const, ordered: false, features: ['insert', 'default-values'], after })
        : fc.tuple(...names.map((n) => valueFor(t.columns.find((c) => c.name === n)!.decl))).map((vals) => ({
            sql: `INSERT INTO ${t.name}(${names.join(', ')}) VALUES(${vals.join(', ')})`,
            shape: 'dml' as const,
            ordered: false,
            features: ['insert', 'insert-columns'],
            after,
          })),
    );
  const insertSelect = fc.constantFrom(...all).chain((src) =>
    fc.tuple(fc.array(exprArb(qualifiedColumns(src, null), 1), { minLength: t.columns.length, maxLength: t.columns.length }), fc.option(exprArb(qualifiedColumns(src, null), 1), { nil: undefined }), orWhat).map(([list, w, or]) => ({
      // ORDER BY every column, then the source rowid: rowids are assigned in that order, so they
      // do not depend on the scan, even for values that compare equal but differ (0 and 0.0,
      // 'a' and 'A' under NOCASE).
      // A rowid alias gets (expr) % 1000: once the largest rowid is 2^63-1, SQLite picks new rowids at random.
      sql: `INSERT${or} INTO ${t.name} SELECT ${list.map((e, k) => (k === 0 && t.rowidAlias ? `(${e.sql}) % 1000` : e.sql)).join(', ')} FROM ${src.name}${w ? ` WHERE ${w.sql}` : ''} ORDER BY ${list.map((_, k) => k + 1).join(', ')}, ${src.name}.rowid`,
      shape: 'dml' as const,
      ordered: false,
      features: ['insert', 'insert-select', ...list.flatMap((e) => e.features), ...(w?.features ?? [])],
      after,
    })),
  );
  // UPDATE visits rows in an unspecified order, so only all-or-nothing conflict handling is deterministic.
  const updateOr = fc.constantFrom('', ' OR ABORT', ' OR ROLLBACK');
  const update = fc
    .tuple(updateOr, fc.subarray(cols, { minLength: 1, maxLength: Math.min(2, cols.length) }), fc.array(exprArb(cols, 1), { minLength: 2, maxLength: 2 }), fc.option(exprArb(cols, 1), { nil: undefined }), returning)
    .map(([or, targets, values, w, ret]) => ({
      sql: `UPDATE${or} ${t.name} SET ${targets.map((c, k) => `${c} = ${c === 'id' && t.rowidAlias ? `(${values[k]!.sql}) % 1000` : values[k]!.sql}`).join(', ')}${w ? ` WHERE ${w.sql}` : ''}${ret}`,
      shape: 'dml' as const,
      ordered: false,
      features: ['update', ...(or ? [`conflict:${or.trim()}`] : []), ...(t.rowidAlias && targets.includes('id') ? ['update-rowid'] : []), ...values.flatMap((e) => e.features), ...(w?.features ?? []), ...(ret ? ['returning'] : [])],
      after,
    }));
  const del = fc.tuple(fc.option(exprArb(cols, 1), { nil: undefined }), returning).map(([w, ret]) => ({
    sql: `DELETE FROM ${t.name}${w ? ` WHERE ${w.sql}` : ''}${ret}`,
    shape: 'dml' as const,
    ordered: false,
    features: ['delete', ...(w?.features ?? []), ...(ret ? ['returning'] : [])],
    after,
  }));
  return fc.oneof(insertValues, insertColumns, insertSelect, update, del);
}

/** WITH (plain and RECURSIVE), VALUES as a table, and views. */
function cteQuery(t: GenTable): fc.Arbitrary<GenQuery> {
  const cols = qualifiedColumns(t, null);
  const plain = fc.tuple(selectList(cols, 1), fc.option(exprArb(cols, 1), { nil: undefined })).chain(([list, w]) => {
    const names = list.map((_, k) => `k${k}`);
    return fc.tuple(selectList(names, 1), fc.option(exprArb(names, 1), { nil: undefined })).chain(([outer, ow]) =>
      selectTail(outer.length).map((tail) => ({
        sql: `WITH c(${names.join(', ')}) AS (SELECT ${list.map((e) => e.sql).join(', ')} FROM ${t.name}${w ? ` WHERE ${w.sql}` : ''}) SELECT ${outer.map((e) => e.sql).join(', ')} FROM c${ow ? ` WHERE ${ow.sql}` : ''}${tail.sql}`,
        shape: 'cte' as const,
        ordered: tail.ordered,
        features: ['cte', ...list.flatMap((e) => e.features), ...(w?.features ?? []), ...outer.flatMap((e) => e.features), ...(ow?.features ?? []), ...tail.features],
      })),
    );
  });
  const recursive = fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 1, max: 3 }), exprArb(['n'], 1)).map(([limit, step, e]) => ({
    sql: `WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + ${step} FROM c WHERE n < ${limit}) SELECT n, ${e.sql} FROM c`,
    shape: 'cte' as const,
    ordered: false,
    features: ['cte-recursive', ...e.features],
  }));
  const values = fc.array(fc.tuple(literal, literal), { minLength: 1, maxLength: 4 }).chain((rows) =>
    fc.tuple(selectList(['column1', 'column2'], 1), fc.option(exprArb(['column1', 'column2'], 1), { nil: undefined })).map(([list, w]) => ({
      sql: `SELECT ${list.map((e) => e.sql).join(', ')} FROM (VALUES${rows.map(([a, b]) => `(${a}, ${b})`).join(', ')})${w ? ` WHERE ${w.sql}` : ''}`,
      shape: 'cte' as const,
      ordered: false,
      features: ['values-table', ...list.flatMap((e) => e.features), ...(w?.features ?? [])],
    })),
  );
  const view = fc.tuple(fc.constantFrom('v0', 'v1'), selectList(cols, 1), fc.option(exprArb(cols, 1), { nil: undefined })).map(([name, list, w]) => ({
    sql: `CREATE VIEW IF NOT EXISTS ${name} AS SELECT ${list.map((e, k) => `${e.sql} AS w${k}`).join(', ')} FROM ${t.name}${w ? ` WHERE ${w.sql}` : ''}`,
    shape: 'cte' as const,
    ordered: false,
    features: ['view', ...list.flatMap((e) => e.features), ...(w?.features ?? [])],
    after: [`SELECT * FROM ${name}`],
  }));
  return fc.oneof(plain, recursive, values, view);
}

/** Three tables joined, with USING / NATURAL where the shared rowid alias allows it. */
function threeWayJoin(a: GenTable, b: GenTable, c: GenTable): fc.Arbitrary<GenQuery> {
  const ca = qualifiedColumns(a, 'x');
  const cb = qualifiedColumns(b, 'y');
  const cc = qualifiedColumns(c, 'z');
  const all = [...ca, ...cb, ...cc];
  const eq = (l: string[], r: string[]): fc.Arbitrary<string> => fc.tuple(fc.constantFrom(...l), fc.constantFrom(...r)).map(([p, q]) => `${p} = ${q}`);
  const second = b.rowidAlias && a.rowidAlias ? fc.constantFrom('JOIN', 'LEFT JOIN', 'USING', 'NATURAL JOIN') : fc.constantFrom('JOIN', 'LEFT JOIN', 'NATURAL JOIN');
  return fc
    .tuple(second, eq(ca, cb), fc.constantFrom('JOIN', 'LEFT JOIN'), eq([...ca, ...cb], cc), selectList(all, 1), fc.option(exprArb(all, 1), { nil: undefined }))
    .chain(([k1, on1, k2, on2, list, w]) => {
      const j1 = k1 === 'USING' ? `JOIN ${b.name} AS y USING (id)` : k1 === 'NATURAL JOIN' ? `NATURAL JOIN ${b.name} AS y` : `${k1} ${b.name} AS y ON ${on1}`;
      return selectTail(list.length).map((tail) => ({
        sql: `SELECT ${list.map((e) => e.sql).join(', ')} FROM ${a.name} AS x ${j1} ${k2} ${c.name} AS z ON ${on2}${w ? ` WHERE ${w.sql}` : ''}${tail.sql}`,
        shape: 'join' as const,
        ordered: tail.ordered,
        features: ['join3', k1 === 'USING' ? 'join-using' : k1 === 'NATURAL JOIN' ? 'natural-join' : 'inner-join', ...(k1.includes('LEFT') || k2.includes('LEFT') ? ['left-join'] : []), ...list.flatMap((e) => e.features), ...(w?.features ?? []), ...tail.features],
      }));
    });
}

/** A query of one of `shapes` over `tables`. */
export function queryArb(tables: readonly GenTable[], shapes: readonly Shape[]): fc.Arbitrary<GenQuery> {
  const pick = fc.constantFrom(...tables);
  const byShape: Record<Shape, fc.Arbitrary<GenQuery>> = {
    select: pick.chain(singleTableQuery),
    aggregate: pick.chain(aggregateQuery),
    join: fc.oneof({ weight: 3, arbitrary: fc.tuple(pick, pick).chain(([a, b]) => joinQuery(a, b)) }, { weight: 1, arbitrary: fc.tuple(pick, pick, pick).chain(([a, b, c]) => threeWayJoin(a, b, c)) }),
    subquery: fc.tuple(pick, pick).chain(([a, b]) => subqueryQuery(a, b)),
    compound: fc.tuple(pick, pick).chain(([a, b]) => compoundQuery(a, b)),
    cte: pick.chain(cteQuery),
    dml: pick.chain((t) => dmlStatement(t, tables)),
  };
  return fc.oneof(...shapes.map((s) => byShape[s]));
}

/** A schema of 1–3 tables with rows, and 1–`maxQueries` queries of the given shapes. */
export function scenarioArb(shapes: readonly Shape[], maxQueries = 6): fc.Arbitrary<GenScenario> {
  return fc
    .integer({ min: 1, max: 3 })
    .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => tableArb(`t${i}`))))
    .chain((tables) => fc.record({ tables: fc.constant(tables as readonly GenTable[]), queries: fc.array(queryArb(tables, shapes), { minLength: 1, maxLength: maxQueries }) }));
}

/**
 * Known HeliosDB bugs found by this campaign, each with a minimal repro,
 * not compared until fixed so the campaign keeps finding new ones. Unlike
 * INTENDED_DIFFERENCES these are NOT acceptable: delete an entry when its
 * bug is fixed (the campaign then checks the feature again).
 */
export const PENDING_FIXES: readonly { readonly feature: string; readonly repro: string }[] = [];

// 'limit': ORDER BY … LIMIT keeps some of the rows whose sort keys compare
// equal (INTEGER 1 and REAL 1.0, 'a' and 'A' under NOCASE), and SQL does not
// say which: each engine keeps the tie its scan produced first.
const REPRESENTATIVE_FEATURES = ['distinct', 'group-by', 'compound:UNION', 'compound:INTERSECT', 'compound:EXCEPT', 'agg:min', 'agg:max', 'agg-distinct', 'limit'];

/** Whether the query keeps one of several equal-comparing values without SQL saying which (see compareOutcomes). */
export function choosesRepresentatives(q: GenQuery): boolean {
  return q.features.some((f) => REPRESENTATIVE_FEATURES.includes(f));
}

/** Whether a query uses a feature listed in INTENDED_DIFFERENCES or PENDING_FIXES (and so is not compared). */
export function isIntendedDifference(q: GenQuery): boolean {
  return INTENDED_DIFFERENCES.some((d) => q.features.includes(d.feature));
}

/**
 * The read-back queries to compare after `q`. After a statement that failed
 * on both engines, `SELECT changes()` is left out while 'changes-after-error'
 * is a pending fix.
 */
export function afterChecks(q: GenQuery, failedOnBoth: boolean, skipPending = true): readonly string[] {
  const all = q.after ?? [];
  if (!failedOnBoth || !skipPending || !PENDING_FIXES.some((d) => d.feature === 'changes-after-error')) return all;
  return all.filter((c) => c !== 'SELECT changes()');
}

export function isPendingFix(q: GenQuery): boolean {
  return PENDING_FIXES.some((d) => q.features.includes(d.feature));
}
