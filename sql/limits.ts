/**
 * The SQL layer's size limits: SQLite's where SQLite has one, so the same
 * statements are refused, each a TOO_BIG HeliosError, never a RangeError.
 *
 *   MAX_EXPR_HEIGHT     1000  SQLITE_MAX_EXPR_DEPTH (parser, and the sum over
 *                             nested subqueries in the compiler)
 *   MAX_COMPOUND_TERMS   500  SQLITE_MAX_COMPOUND_SELECT (parser)
 *   MAX_PARSER_DEPTH    1100  recursion of our parser (SQLite: its parser stack)
 *   MAX_JOIN_TABLES       64  tables of one FROM ("at most 64 tables in a join")
 *   MAX_COLUMN          2000  SQLITE_MAX_COLUMN: columns of one result set
 *                             ("too many columns in result set", SQL_ERROR)
 *   MAX_QUERY_NESTING    250  views, CTEs and subqueries planned one inside
 *                             another (SQLite: none; README)
 * Behind them, `stackOverflowAsTooBig` turns a stack overflow that a host
 * with a smaller stack might still hit into TOO_BIG at the statement
 * boundary, after the statement was rolled back.
 *
 * Expression tree height, as SQLite measures it for SQLITE_MAX_EXPR_DEPTH
 * (expr.c `exprSetHeight` / `heightOfSelect`):
 *
 *   height(leaf)            = 1        literal, column, parameter, NULL, TRUE
 *   height(op(c1, …, cn))   = 1 + max(height(ci))
 *   height(x COLLATE name)  = height(x)      (a COLLATE adds no level)
 *   height(subquery node)   = 1 + max(height of its left operand, heightOfQuery)
 *   heightOfQuery(q)        = max height of the expressions of every compound
 *                             part: result columns, WHERE, GROUP BY, HAVING,
 *                             VALUES rows, then ORDER BY, LIMIT, OFFSET —
 *                             not FROM and not WITH (those are separate
 *                             queries, resolved on their own)
 *
 * The parser refuses an expression whose height exceeds MAX_EXPR_HEIGHT, and
 * the planner refuses nested subqueries whose enclosing expressions' heights
 * add up past it (SQLite's check in sqlite3ResolveExprNames). Every
 * recursive walk over expressions (planner, compiler, evaluation, printing)
 * relies on that bound for its stack.
 *
 * `exprHeight` walks with an explicit stack (no recursion, so a tree of any
 * height is measured safely) and memoises per node, so measuring each node
 * as the parser builds it costs O(1) per node.
 */
import type { Expr, Query, QueryBody } from './ast.ts';
import { HeliosError, assertNever } from '../format/errors.ts';

/** SQLite's SQLITE_MAX_EXPR_DEPTH default. */
export const MAX_EXPR_HEIGHT = 1000;
/** Most terms of one compound SELECT (SQLite's SQLITE_MAX_COMPOUND_SELECT). */
export const MAX_COMPOUND_TERMS = 500;
/**
 * Maximum nesting of the parser's recursion (parentheses, subqueries, prefix
 * operators, ...): a stack bound, a little above MAX_EXPR_HEIGHT so that the
 * height, as in SQLite, is what refuses 1000 nested NOTs.
 */
export const MAX_PARSER_DEPTH = 1100;
/** SQLite's SQLITE_MAX_COLUMN default: a SELECT with more result columns is refused. */
export const MAX_COLUMN = 2000;
/** Most tables and subqueries one FROM clause joins (SQLite's limit: "at most 64 tables in a join"). */
export const MAX_JOIN_TABLES = 64;
/** Past this many FROM terms SQLite's parser says "too many FROM clause terms, max: 200" instead. */
export const MAX_FROM_TERMS = 200;
/**
 * Most views, CTEs and subqueries planned one inside another. It bounds the
 * planner's and the executor's recursion (each level is a few stack frames of
 * both; Node overflows at ~500); SQLite has no such limit for views and CTEs,
 * and its parser stops FROM subqueries at ~414 levels (README).
 */
export const MAX_QUERY_NESTING = 250;

const memo = new WeakMap<object, number>();

function pushQueryBody(b: QueryBody, out: Expr[]): void {
  for (let body: QueryBody | null = b; body !== null; ) {
    let core: QueryBody;
    if (body.kind === 'Compound') {
      core = body.right;
      body = body.left;
    } else {
      core = body;
      body = null;
    }
    if (core.kind === 'SelectCore') {
      for (const c of core.columns) if (c.kind === 'Expr') out.push(c.expr);
      if (core.where) out.push(core.where);
      out.push(...core.groupBy);
      if (core.having) out.push(core.having);
    } else if (core.kind === 'Values') {
      for (const row of core.rows) out.push(...row);
    }
  }
}

function pushQuery(q: Query, out: Expr[]): void {
  pushQueryBody(q.body, out);
  for (const t of q.orderBy) out.push(t.expr);
  if (q.limit) out.push(q.limit);
  if (q.offset) out.push(q.offset);
}

/** The expressions whose heights decide `e`'s height. */
function childrenOf(e: Expr): Expr[] {
  switch (e.kind) {
    case 'Integer': case 'Real': case 'String': case 'Blob': case 'Null': case 'Bool':
    case 'CurrentTime': case 'Param': case 'Column':
      return [];
    case 'Unary': return [e.operand];
    case 'Binary': return [e.left, e.right];
    case 'Between': return [e.expr, e.low, e.high];
    case 'InList': return [e.expr, ...e.items];
    case 'InTable': return [e.expr];
    case 'Like': return e.escape ? [e.expr, e.pattern, e.escape] : [e.expr, e.pattern];
    case 'IsNull': return [e.expr];
    case 'Collate': return [e.expr];
    case 'Case': {
      const out: Expr[] = [];
      if (e.base) out.push(e.base);
      for (const w of e.whens) out.push(w.when, w.then);
      if (e.else) out.push(e.else);
      return out;
    }
    case 'Cast': return [e.expr];
    case 'Function': return [...e.args, ...(e.filter ? [e.filter] : []), ...(e.orderBy ?? []).map((t) => t.expr)];
    case 'Row': return [...e.items];
    case 'Raise': return e.message ? [e.message] : [];
    case 'Exists': case 'Subquery': {
      const out: Expr[] = [];
      pushQuery(e.query, out);
      return out;
    }
    case 'InSelect': {
      const out: Expr[] = [e.expr];
      pushQuery(e.query, out);
      return out;
    }
    default:
      return assertNever(e, 'expression');
  }
}

/** SQLite's height of `root` (see the module comment). */
export function exprHeight(root: Expr): number {
  const known = memo.get(root);
  if (known !== undefined) return known;
  const stack: Expr[] = [root];
  while (stack.length > 0) {
    const e = stack[stack.length - 1]!;
    if (memo.has(e)) {
      stack.pop();
      continue;
    }
    const kids = childrenOf(e);
    let pending = false;
    for (const k of kids) {
      if (!memo.has(k)) {
        stack.push(k);
        pending = true;
      }
    }
    if (pending) continue;
    let h = 0;
    for (const k of kids) h = Math.max(h, memo.get(k)!);
    memo.set(e, e.kind === 'Collate' ? h : h + 1);
    stack.pop();
  }
  return memo.get(root)!;
}

/** The TOO_BIG error SQLite reports ("Expression tree is too large (maximum depth 1000)"). */
export function exprTooLarge(pos?: { readonly line: number; readonly column: number }): HeliosError {
  const where = pos ? ` at line ${pos.line}, column ${pos.column}` : '';
  return new HeliosError('TOO_BIG', `Expression tree is too large (maximum depth ${MAX_EXPR_HEIGHT})${where}`, pos ? { line: pos.line, column: pos.column } : {});
}

/**
 * Whether `e` is the runtime's stack overflow (V8 and JSC: "Maximum call
 * stack size exceeded", SpiderMonkey: "too much recursion"). No regular
 * expression: called with the stack nearly exhausted, V8's regexp compiler
 * can abort the process ("RegExpCompiler Allocation failed").
 */
export function isStackOverflow(e: unknown): boolean {
  if (!(e instanceof RangeError)) return false;
  const m = e.message;
  return m.includes('call stack') || m.includes('recursion');
}

/** `e`, or TOO_BIG in its place when it is a stack overflow (the last line of defence behind the limits above). */
export function stackOverflowAsTooBig(e: unknown): unknown {
  if (!isStackOverflow(e)) return e;
  return new HeliosError('TOO_BIG', 'SQL statement is nested too deeply', {}, { cause: e });
}
