/**
 * JSON expressions for the differential campaign against SQLite: the JSON1
 * scalar functions (json, json_array, json_object, json_extract, json_type,
 * json_valid with flags, json_array_length, json_set / insert / replace /
 * remove / patch, json_quote, json_error_position, json_pretty and the
 * jsonb_ forms: jsonb, jsonb_array, jsonb_object, jsonb_extract, jsonb_set,
 * jsonb_insert, jsonb_replace, jsonb_remove, jsonb_group_array), the `->` and `->>` operators, the aggregates
 * json_group_array / json_group_object (ordered by the unique id, so the
 * result does not depend on the scan), and json_each / json_tree in FROM,
 * correlated with a table and filtered on their columns.
 *
 * Documents are valid JSON most of the time, JSON5 (SQLite accepts it)
 * sometimes and malformed sometimes; paths are valid most of the time. The
 * expressions nest, so JSON subtypes flow between functions (a json()
 * result stays JSON inside json_array).
 *
 * Excluded, per the README's "Where we differ" entry on JSON: BLOB arguments
 * other than jsonb() results (malformed JSONB is validated less than
 * SQLite does); and the JSONB bytes of a value an edit function built are
 * tagged (the JSON cache entry, a pending difference).
 */
import fc from 'fast-check';
import type { Program, Step } from './differential-harness.ts';

const KEYS = ['a', 'b', 'c', 'x y', 'A'];

/** A JSON text of at most `depth` levels. */
function jsonText(depth: number): fc.Arbitrary<string> {
  const scalar = fc.constantFrom('0', '1', '-2', '1.5', '-0.25', '1e3', '12345678901234567890', '-0', '0.1', 'true', 'false', 'null', '"s"', '""', '"a\\"b"', '"\\u00e9"', '"x\\ny"', '"1"');
  if (depth <= 0) return scalar;
  const sub = jsonText(depth - 1);
  return fc.oneof(
    { weight: 3, arbitrary: scalar },
    { weight: 2, arbitrary: fc.array(sub, { maxLength: 4 }).map((a) => `[${a.join(',')}]`) },
    { weight: 2, arbitrary: fc.array(fc.tuple(fc.constantFrom(...KEYS), sub), { maxLength: 4 }).map((a) => `{${a.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`) },
  );
}

/** JSON5 and malformed texts: SQLite accepts the first (json() writes canonical JSON) and refuses the second. */
const oddJson = fc.constantFrom('{a:1}', "['x',]", '[1,2,]', '0x1F', '{"a":Infinity}', '.5', '+1', "'q'", '/*c*/[1]', '[1 2]', '{', '', 'abc', '{"a":}', '[', ' [1] ', '{"a":1,"a":2}', 'NaN', '"\\x41"', '[-.5e1]', '01');

const sqlString = (s: string): string => `'${s.replaceAll("'", "''")}'`;

const docLiteral = fc.oneof({ weight: 6, arbitrary: jsonText(3) }, { weight: 1, arbitrary: oddJson }).map(sqlString);

const PATHS = ['$', '$.a', '$.b', '$.a.b', '$[0]', '$[1]', '$[#-1]', '$.a[0]', '$."x y"', '$.c[#]', '$[2].a', '$.A', '$.b[1].c'];
const BAD_PATHS = ['a', '$.', '$[', '$[x]', '', '$.a[-1]', '$a'];
const path = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...PATHS) }, { weight: 1, arbitrary: fc.constantFrom(...BAD_PATHS) }).map(sqlString);
/** Right operands of -> and ->>: a path, a bare label, or an array index. */
const arrowOperand = fc.oneof(path, fc.constantFrom("'a'", "'b'", "'x y'", '0', '1', '-1', "'[0]'", "'#-1'", '1.5', 'NULL'));

interface Ex {
  readonly sql: string;
  readonly features: readonly string[];
}
const ex = (sql: string, ...parts: (Ex | string)[]): Ex => ({ sql, features: parts.flatMap((p) => (typeof p === 'string' ? [p] : p.features)) });

/** SQL values that are not JSON documents (arguments to json_array, json_object, json_set …). */
const LITERALS = ['1', '-7', '2.5', '0.1', "'t'", "'[1]'", 'NULL', "''", '9223372036854775807', '1e300'];
const literalValue: fc.Arbitrary<Ex> = fc.constantFrom(...LITERALS).map((v) => ex(v));
const plainValue = (cols: boolean): fc.Arbitrary<Ex> => (cols ? fc.constantFrom(...LITERALS, 'x', 'id').map((v) => ex(v)) : literalValue);

/** A JSON-valued expression over literals and, when `cols`, the columns `doc` (JSON text), `x` (any value) and `id`. */
function jsonExpr(depth: number, cols = true): fc.Arbitrary<Ex> {
  const leaf = fc.oneof(
    { weight: cols ? 3 : 0, arbitrary: fc.constant(ex('doc', 'col')) },
    { weight: 2, arbitrary: docLiteral.map((d) => ex(d)) },
    { weight: 1, arbitrary: cols ? fc.constant(ex('json(doc)', 'fn:json')) : docLiteral.map((d) => ex(`json(${d})`, 'fn:json')) },
  );
  if (depth <= 0) return leaf;
  const sub = jsonExpr(depth - 1, cols);
  const val = fc.oneof({ weight: 3, arbitrary: plainValue(cols) }, { weight: 2, arbitrary: sub });
  return fc.oneof(
    { weight: 3, arbitrary: leaf },
    { weight: 1, arbitrary: sub.map((a) => ex(`json(${a.sql})`, a, 'fn:json')) },
    { weight: 1, arbitrary: fc.array(val, { maxLength: 4 }).map((a) => ex(`json_array(${a.map((v) => v.sql).join(', ')})`, ...a, 'fn:json_array')) },
    {
      weight: 1,
      arbitrary: fc.array(fc.tuple(fc.constantFrom("'a'", "'b'", "'c'", "'a'", 'NULL', '1'), val), { maxLength: 3 }).map((kv) => ex(`json_object(${kv.map(([k, v]) => `${k}, ${v.sql}`).join(', ')})`, ...kv.map(([, v]) => v), 'fn:json_object')),
    },
    { weight: 2, arbitrary: fc.tuple(sub, fc.array(path, { minLength: 1, maxLength: 2 })).map(([a, ps]) => ex(`json_extract(${a.sql}, ${ps.join(', ')})`, a, 'fn:json_extract')) },
    { weight: 2, arbitrary: fc.tuple(sub, fc.constantFrom('->', '->>'), arrowOperand).map(([a, op, p]) => ex(`(${a.sql} ${op} ${p})`, a, `op:${op}`)) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.constantFrom('json_set', 'json_insert', 'json_replace', 'jsonb_set', 'jsonb_insert'), sub, fc.array(fc.tuple(path, val), { minLength: 1, maxLength: 2 }))
        .map(([f, a, pv]) => ex(`${f}(${a.sql}, ${pv.map(([p, v]) => `${p}, ${v.sql}`).join(', ')})`, a, ...pv.map(([, v]) => v), `fn:${f}`)),
    },
    { weight: 1, arbitrary: fc.tuple(sub, fc.array(path, { maxLength: 2 })).map(([a, ps]) => ex(`json_remove(${[a.sql, ...ps].join(', ')})`, a, 'fn:json_remove')) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('json_patch', 'jsonb_patch'), sub, sub).map(([f, a, b]) => ex(`${f}(${a.sql}, ${b.sql})`, a, b, `fn:${f}`)) },
    { weight: 1, arbitrary: val.map((a) => ex(`json_quote(${a.sql})`, a, 'fn:json_quote')) },
    { weight: 1, arbitrary: sub.map((a) => ex(`json(jsonb(${a.sql}))`, a, 'fn:jsonb')) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom('jsonb_array', 'jsonb_object', 'jsonb_extract', 'jsonb_remove', 'jsonb_replace'), sub, path, val)
        .map(([f, a, p, v]) =>
          ex(
            f === 'jsonb_array' ? `${f}(${a.sql}, ${v.sql})` : f === 'jsonb_object' ? `${f}('k', ${a.sql}, 'v', ${v.sql})` : f === 'jsonb_replace' ? `${f}(${a.sql}, ${p}, ${v.sql})` : `${f}(${a.sql}, ${p})`,
            a,
            v,
            `fn:${f}`,
          ),
        ),
    },
  );
}

/** A scalar (non-JSON or JSON) result to compare, built from JSON expressions. */
const resultExpr = (cols: boolean): fc.Arbitrary<Ex> => jsonExpr(2, cols).chain((j) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constant(j) },
    { weight: 1, arbitrary: fc.option(path, { nil: undefined }).map((p) => ex(`json_type(${j.sql}${p ? ', ' + p : ''})`, j, 'fn:json_type')) },
    { weight: 1, arbitrary: fc.option(fc.constantFrom('1', '2', '3', '4', '5', '6', '8', '9', '15', '0', '16'), { nil: undefined }).map((f) => ex(`json_valid(${j.sql}${f ? ', ' + f : ''})`, j, 'fn:json_valid')) },
    { weight: 1, arbitrary: fc.option(path, { nil: undefined }).map((p) => ex(`json_array_length(${j.sql}${p ? ', ' + p : ''})`, j, 'fn:json_array_length')) },
    { weight: 1, arbitrary: fc.constant(ex(`json_error_position(${j.sql})`, j, 'fn:json_error_position')) },
    { weight: 1, arbitrary: fc.option(fc.constantFrom("'  '", "'\t'", "''", 'NULL'), { nil: undefined }).map((ind) => ex(`json_pretty(${j.sql}${ind ? ', ' + ind : ''})`, j, 'fn:json_pretty')) },
    { weight: 1, arbitrary: fc.constant(ex(`hex(jsonb(${j.sql}))`, j, 'fn:jsonb', ...(/json_(set|insert|replace|patch|object|array)\(|jsonb_/.test(j.sql) ? ['jsonb-bytes-of-edited-json'] : []))) },
    { weight: 1, arbitrary: fc.constantFrom('typeof', 'length', 'quote').map((f) => ex(`${f}(${j.sql})`, j)) },
  ),
);

const qstep = (sql: string, features: readonly string[], ordered = false): Step => ({ sql, features: [...features], ordered });

/** SELECT id, <json expressions> FROM j [WHERE <json condition>]. */
const scalarQuery: fc.Arbitrary<Step> = fc
  .tuple(fc.array(resultExpr(true), { minLength: 1, maxLength: 3 }), fc.option(fc.tuple(fc.constantFrom("doc ->> 'a'", "json_type(doc, '$.b')", "doc -> '$[0]'", 'json_valid(doc)'), fc.constantFrom('IS NOT NULL', "= 1", "> 0", "= 'array'", "IN ('integer', 'real')")), { nil: undefined }))
  .map(([list, w]) => qstep(`SELECT id, ${list.map((e) => e.sql).join(', ')} FROM j${w ? ` WHERE ${w[0]} ${w[1]}` : ''}`, [...list.flatMap((e) => e.features), ...(w ? ['json-where'] : [])]));

/** A constant SELECT of JSON expressions over literals (no table). */
const constantQuery: fc.Arbitrary<Step> = fc.array(resultExpr(false), { minLength: 1, maxLength: 2 }).map((list) => qstep(`SELECT ${list.map((e) => e.sql).join(', ')}`, list.flatMap((e) => e.features)));

const EACH_COLUMNS = ['key', 'value', 'type', 'atom', 'id', 'parent', 'fullkey', 'path'];

/** json_each / json_tree in FROM: over a literal, or correlated with j (FROM j, json_each(j.doc [, path])). */
const tableValuedQuery: fc.Arbitrary<Step> = fc
  .tuple(
    fc.constantFrom('json_each', 'json_tree'),
    fc.oneof(fc.constant('j.doc'), docLiteral, fc.constantFrom("json_object('k', j.x)", "json_array(j.x, j.doc)", "json(j.doc) -> '$.a'")),
    fc.option(path, { nil: undefined, freq: 3 }),
    fc.subarray(EACH_COLUMNS, { minLength: 1 }),
    fc.option(fc.constantFrom("e.type = 'integer'", 'e.atom IS NOT NULL', "e.key = 'a'", 'e.value > 0', 'e.parent IS NULL', "e.fullkey LIKE '$.a%'"), { nil: undefined }),
    fc.constantFrom('plain', 'left', 'exists', 'agg'),
  )
  .map(([f, arg, p, cols, w, how]) => {
    const call = `${f}(${arg}${p ? ', ' + p : ''})`;
    const correlated = arg.includes('j.');
    const features = [`tvf:${f}`, ...(correlated ? ['tvf-correlated'] : [])];
    const list = cols.map((c) => `e.${c}`).join(', ');
    // A function of constants that fails (malformed JSON, bad path) joined with an empty
    // table: whether it runs depends on the join order (README, "Where we differ": an
    // operand that would raise an error is not needed for the result). Alone, it is compared.
    if (!correlated) return qstep(`SELECT ${list} FROM ${call} AS e${w ? ` WHERE ${w}` : ''}`, features);
    switch (how) {
      case 'left':
        return qstep(`SELECT j.id, ${list} FROM j LEFT JOIN ${call} AS e${w ? ` ON ${w}` : ''}`, [...features, 'tvf-left-join']);
      case 'exists':
        return qstep(`SELECT j.id FROM j WHERE EXISTS (SELECT 1 FROM ${call} AS e${w ? ` WHERE ${w}` : ''})`, [...features, 'tvf-exists']);
      case 'agg':
        return qstep(`SELECT j.id, count(*), total(e.id), max(e.type) FROM j, ${call} AS e${w ? ` WHERE ${w}` : ''} GROUP BY j.id`, [...features, 'tvf-aggregate']);
      default:
        return qstep(`SELECT j.id, ${list} FROM j, ${call} AS e${w ? ` WHERE ${w}` : ''}`, features);
    }
  });

/**
 * json_group_array / json_group_object in a set order: with an ORDER BY inside
 * the call (keys ending with id), or over a FROM subquery ordered by id (whose order both engines
 * keep for a single-table aggregate).
 */
const aggregateQuery: fc.Arbitrary<Step> = fc
  .tuple(
    fc.constantFrom('json_group_array', 'json_group_object', 'jsonb_group_array'),
    jsonExpr(1),
    fc.constantFrom('', ' GROUP BY g', ' GROUP BY json_type(doc)'),
    fc.boolean(),
    fc.boolean(),
    // Aggregate ORDER BY keys; each ends with id (or id DESC) so no tie leaves the order open.
    fc.constantFrom(' ORDER BY id', ' ORDER BY id DESC', ' ORDER BY x, id', ' ORDER BY x DESC NULLS FIRST, id', ' ORDER BY g DESC, id DESC', " ORDER BY doc ->> 'a', id", ' ORDER BY typeof(x), x COLLATE NOCASE, id'),
  )
  .map(([f, v, group, filter, inner, order]) => {
    const args = f === 'json_group_object' ? `coalesce(doc ->> 'a', 'k') || id, ${v.sql}` : v.sql;
    const call = `${f}(${args}${inner ? order : ''})${filter ? ' FILTER (WHERE id % 2 = 1)' : ''}`;
    const shown = f.startsWith('jsonb') ? `json(${call})` : call;
    const from = inner ? 'j' : '(SELECT * FROM j ORDER BY id)';
    return qstep(`SELECT ${group ? group.replace(' GROUP BY ', '') + ', ' : ''}${shown}, json_array(${call}) FROM ${from}${group}`, [...v.features, `agg:${f}`, ...(inner ? ['aggregate-order-by'] : ['ordered-subquery'])]);
  });

/** Updates that write JSON back (json_set, json_remove …), then the table's state. */
const updateStep: fc.Arbitrary<Step> = fc
  .tuple(fc.constantFrom('json_set', 'json_insert', 'json_replace', 'json_remove'), path, plainValue(true), fc.option(fc.constantFrom("doc ->> '$.a' IS NOT NULL", 'json_valid(doc)', "json_type(doc) = 'object'"), { nil: undefined }))
  .map(([f, p, v, w]) => ({
    sql: `UPDATE j SET doc = ${f}(doc, ${p}${f === 'json_remove' ? '' : ', ' + v.sql})${w ? ` WHERE ${w}` : ''}`,
    features: [`fn:${f}`, 'json-update'],
    after: ['SELECT id, doc, typeof(doc) FROM j', 'SELECT changes()'],
  }));

/** j(id INTEGER PRIMARY KEY, g, doc, x): JSON documents (some odd), a group key and a plain value. */
export const jsonProgramArb: fc.Arbitrary<Program> = fc
  .tuple(
    fc.array(fc.tuple(fc.constantFrom('1', '2', 'NULL'), fc.oneof({ weight: 8, arbitrary: docLiteral }, { weight: 1, arbitrary: fc.constant('NULL') }), literalValue), { maxLength: 6 }),
    fc.array(fc.oneof({ weight: 4, arbitrary: scalarQuery }, { weight: 2, arbitrary: constantQuery }, { weight: 3, arbitrary: tableValuedQuery }, { weight: 2, arbitrary: aggregateQuery }, { weight: 1, arbitrary: updateStep }), { minLength: 1, maxLength: 5 }),
  )
  .map(([rows, steps]) => ({
    setup: ['CREATE TABLE j(id INTEGER PRIMARY KEY, g, doc TEXT, x)', ...rows.map(([g, d, x]) => `INSERT INTO j(g, doc, x) VALUES(${g}, ${d}, ${x.sql})`)],
    steps,
  }));
