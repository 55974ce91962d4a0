/**
 * The SQL parser: recursive descent, one `parseX` method per production of
 * SQLite's grammar (parse.y), building the readonly AST of `sql/ast.ts`. It
 * checks syntax only; names are resolved by the planner.
 *
 * API:
 *   parse(sql)            every statement of `sql` (empty statements between
 *                         semicolons are skipped)
 *   parseOne(sql, offset) the first statement at or after `offset` and `end`,
 *                         the offset just past its `;` (or past its last token
 *                         at end of input); `statement` is null when only
 *                         whitespace, comments and semicolons remain.
 * Both throw only HeliosError: SQL_SYNTAX (message `near "tok": syntax error`
 * or `incomplete input`, then line, column and a caret excerpt; details carry
 * line and column), TOO_BIG (an expression taller than MAX_EXPR_HEIGHT,
 * as SQLite measures it (sql/limits.ts); a compound SELECT of more than
 * MAX_COMPOUND_TERMS terms; SQL nested deeper than MAX_DEPTH levels; too many
 * parameters), SQL_ERROR (valid SQLite we do not support: virtual
 * tables, ATTACH; and what SQLite refuses in a
 * trigger body as it parses it: variables, RETURNING, qualified table names,
 * INDEXED BY), and SQLite's parse-time window errors ("unsupported frame
 * specification").
 *
 * Limits (SQLite's defaults, so the same statements are refused):
 *   expression height  1000  SQLITE_MAX_EXPR_DEPTH: `1+1+…` of 1000 terms
 *                            parses, 1001 terms is TOO_BIG "Expression tree
 *                            is too large (maximum depth 1000)"
 *   compound terms      500  SQLITE_MAX_COMPOUND_SELECT: "too many terms in
 *                            compound SELECT" (a multi-row VALUES is one term)
 *   nesting            1100  our parser's recursion (parentheses, subqueries,
 *                            prefix operators, CASE, calls each take a level);
 *                            SQLite's parser stack is about 2500 entries, so it
 *                            accepts up to ~2490 bare parentheses (README)
 * A chain of `x COLLATE a COLLATE b …` keeps only the outermost COLLATE (the
 * one SQLite applies; it never looks at the inner names), so it adds no level.
 *
 * Expression precedence, lowest to highest (SQLite's parse.y; binary
 * operators associate left, and an operand of a level is parsed at the next
 * level up — "precedence climbing"):
 *
 *   1  OR
 *   2  AND
 *   3  NOT x                       (prefix; its operand is parsed at level 3)
 *   4  = == != <> IS [NOT] [DISTINCT FROM] [NOT] IN [NOT] LIKE/GLOB/REGEXP/MATCH
 *      [NOT] BETWEEN … AND …  ISNULL NOTNULL NOT NULL
 *   5  < <= > >=
 *   6  ESCAPE                      (only after LIKE/GLOB/…; operand at level 5:
 *                                  `x LIKE y ESCAPE a < b` escapes with a < b)
 *   7  & | << >>
 *   8  + -
 *   9  * / %
 *  10  || -> ->>
 *  11  COLLATE name                (postfix)
 *  12  - + ~                       (prefix; operand is another prefix/primary)
 *
 * So `NOT a = b` is NOT (a = b), `-x COLLATE c` is (-x) COLLATE c,
 * `a BETWEEN 1 AND 2 AND b` is (a BETWEEN 1 AND 2) AND b, and `1 + NOT 2 = 3`
 * is 1 + (NOT (2 = 3)), as in SQLite.
 *
 * Keywords SQLite lets stand in for identifiers (its %fallback ID list, e.g.
 * KEY, REPLACE, ROW, TEMP, DESC) are accepted wherever a name is expected,
 * except where the keyword reading fits, as SQLite's parser decides on one
 * token: GENERATED after a type name, INDEXED after a table, and CAST, RAISE
 * and CURRENT_TIME/DATE/TIMESTAMP at the start of an expression.
 */
import type * as A from './ast.ts';
import { HeliosError } from '../format/errors.ts';
import { fromHex } from '../format/bytes.ts';
import { createLexer, syntaxError, type Lexer, type Token } from './lexer.ts';
import { MAX_COMPOUND_TERMS, MAX_EXPR_HEIGHT, MAX_PARSER_DEPTH, exprHeight, exprTooLarge, stackOverflowAsTooBig } from './limits.ts';

/** A run of prefix - + ~ longer than this is TOO_BIG (SQLite's parser stack ends at about 2490 of them). */
const MAX_PREFIX_RUN = 2490;
/** The parser's recursion bound (sql/limits.ts). */
export const MAX_DEPTH = MAX_PARSER_DEPTH;
export { MAX_COMPOUND_TERMS, MAX_EXPR_HEIGHT };
/** Largest parameter index (SQLite's SQLITE_MAX_VARIABLE_NUMBER default). */
export const MAX_PARAMETER_INDEX = 32766;

/** Parse every statement in `sql`. */
export function parse(sql: string): A.Statement[] {
  const out: A.Statement[] = [];
  let offset = 0;
  for (;;) {
    const r = parseOne(sql, offset);
    if (r.statement === null) return out;
    out.push(r.statement);
    offset = r.end;
  }
}

/** Parse the first statement at or after `offset`; see the module comment. */
export function parseOne(sql: string, offset = 0): { statement: A.Statement | null; end: number } {
  if (typeof sql !== 'string') throw new HeliosError('INVALID_ARGUMENT', 'SQL text must be a string');
  const p = new Parser(sql, createLexer(sql, offset));
  try {
    return p.parseCommand();
  } catch (e) {
    if (e instanceof HeliosError) throw e;
    // Safety net behind MAX_DEPTH for hosts with small stacks.
    if (e instanceof RangeError) throw stackOverflowAsTooBig(e);
    throw new HeliosError('INTERNAL', `parser failure: ${String(e)}`, {}, { cause: e });
  }
}

/** SQLite's %fallback ID keywords plus INDEXED (`id ::= ID|INDEXED`). */
const FALLBACK_ID = new Set([
  'ABORT', 'ACTION', 'AFTER', 'ANALYZE', 'ASC', 'ATTACH', 'BEFORE', 'BEGIN', 'BY', 'CASCADE', 'CAST',
  'COLUMN', 'CONFLICT', 'DATABASE', 'DEFERRED', 'DESC', 'DETACH', 'DO', 'EACH', 'END', 'EXCLUSIVE',
  'EXPLAIN', 'FAIL', 'FOR', 'IGNORE', 'IMMEDIATE', 'INITIALLY', 'INSTEAD', 'LIKE', 'GLOB', 'REGEXP',
  'MATCH', 'NO', 'PLAN', 'QUERY', 'KEY', 'OF', 'OFFSET', 'PRAGMA', 'RAISE', 'RECURSIVE', 'RELEASE',
  'REPLACE', 'RESTRICT', 'ROW', 'ROWS', 'ROLLBACK', 'SAVEPOINT', 'TEMP', 'TRIGGER', 'VACUUM', 'VIEW',
  'VIRTUAL', 'WITH', 'WITHOUT', 'NULLS', 'FIRST', 'LAST', 'REINDEX', 'RENAME', 'CURRENT_TIME',
  'CURRENT_DATE', 'CURRENT_TIMESTAMP', 'IF', 'CURRENT', 'FOLLOWING', 'PARTITION', 'PRECEDING', 'RANGE',
  'UNBOUNDED', 'EXCLUDE', 'GROUPS', 'OTHERS', 'TIES', 'GENERATED', 'ALWAYS', 'MATERIALIZED', 'INDEXED',
]);
const JOIN_KW = new Set(['CROSS', 'FULL', 'INNER', 'LEFT', 'NATURAL', 'OUTER', 'RIGHT']);
const CONFLICT_ACTIONS = new Set(['ROLLBACK', 'ABORT', 'FAIL', 'IGNORE', 'REPLACE']);
/** The tokens of parse.y's `term`: what may follow DEFAULT + or DEFAULT -. */
const DEFAULT_TERMS = new Set(['integer', 'float', 'string', 'blob', 'NULL', 'CURRENT_TIME', 'CURRENT_DATE', 'CURRENT_TIMESTAMP']);
/** Keywords that end a type name in a column definition even though they could be identifiers. */
const TYPE_STOP = new Set(['GENERATED']);

// Precedence levels (see the table above).
const P_OR = 1;
const P_AND = 2;
const P_NOT = 3;
const P_EQ = 4;
const P_CMP = 5;
/** The ESCAPE operand: the LIKE rule has level 4, so `<` still binds inside it and `=` ends it. */
const P_ESCAPE_OPERAND = 5;
const P_BIT = 7;
const P_ADD = 8;
const P_MUL = 9;
const P_CONCAT = 10;
const P_COLLATE = 11;

const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

function isQueryStart(kind: string): boolean {
  return kind === 'SELECT' || kind === 'VALUES' || kind === 'WITH';
}

/** Normalise a bigint to the SqlValue integer convention: number when safe. */
function intValue(v: bigint): number | bigint {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

class Parser {
  private readonly sql: string;
  private readonly lexer: Lexer;
  /** Lookahead ring (the grammar needs at most 3 tokens): tokens read but not yet consumed. */
  private readonly ring: Token[] = new Array<Token>(4);
  private head = 0;
  private count = 0;
  /** End offset of the last consumed token. */
  private prevEnd = 0;
  private depth = 0;
  /** Tokens consumed so far: a node is built from at least one token, so an expression is never taller than its tokens. */
  private consumed = 0;
  // Parameter numbering for the current statement.
  private maxParam = 0;
  private paramNames: (string | null)[] = [];
  private paramByName: Map<string, number> | null = null;
  /** Parsing the body of CREATE TRIGGER (parse.y `trigger_cmd`: no alias, schema, INDEXED BY or RETURNING). */
  private inTrigger = false;
  /** The first "not supported" error of the current statement (see deferUnsupported). */
  private pendingUnsupported: HeliosError | null = null;

  constructor(sql: string, lexer: Lexer) {
    this.sql = sql;
    this.lexer = lexer;
  }

  // -------------------------------------------------------------------------
  // Token helpers

  private peek(k = 0): Token {
    while (this.count <= k) {
      this.ring[(this.head + this.count) & 3] = this.lexer.next();
      this.count++;
    }
    return this.ring[(this.head + k) & 3]!;
  }

  private advance(): Token {
    const t = this.peek();
    this.head = (this.head + 1) & 3;
    this.count--;
    this.prevEnd = t.end;
    this.consumed++;
    return t;
  }

  private at(kind: string): boolean {
    return this.peek().kind === kind;
  }

  private accept(kind: string): boolean {
    if (this.peek().kind !== kind) return false;
    this.advance();
    return true;
  }

  private expect(kind: string): Token {
    const t = this.peek();
    if (t.kind !== kind) throw this.unexpected(t, kind);
    return this.advance();
  }

  private pos(t: Token): A.SourcePos {
    return { offset: t.offset, line: t.line, column: t.column };
  }

  /** The syntax error for an unexpected token, with an optional hint of what was expected. */
  private unexpected(t: Token = this.peek(), expected?: string): HeliosError {
    // Descriptions and keywords read as words; punctuation is quoted: (expected ")").
    const hint = expected === undefined ? '' : ` (expected ${/[A-Za-z]/.test(expected) ? expected : `"${expected}"`})`;
    const what = t.kind === 'eof' ? 'incomplete input' : `near ${JSON.stringify(this.sql.slice(t.offset, t.end))}: syntax error`;
    return syntaxError(this.sql, t.offset, t.line, t.column, what + hint);
  }

  /** Valid SQLite we refuse; reported after the statement parsed, so syntax errors win. */
  private deferUnsupported(t: Token, what: string): void {
    this.pendingUnsupported ??= this.unsupported(t, what);
  }

  private unsupported(t: Token, what: string): HeliosError {
    return new HeliosError('SQL_ERROR', `${what} at line ${t.line}, column ${t.column}`, { line: t.line, column: t.column });
  }

  private enter(t: Token): void {
    if (++this.depth > MAX_DEPTH) {
      throw new HeliosError(
        'TOO_BIG',
        `SQL nested too deeply (more than ${MAX_DEPTH} levels) at line ${t.line}, column ${t.column}`,
        { line: t.line, column: t.column },
      );
    }
  }

  /** Refuses `e` when it is taller than SQLite allows; returns it otherwise. */
  private checkHeight<E extends A.Expr>(e: E, t: Token): E {
    if (exprHeight(e) > MAX_EXPR_HEIGHT) throw exprTooLarge(t);
    return e;
  }

  /** True when `t` can be read as an identifier (`id` in parse.y). */
  private isId(t: Token): boolean {
    const k = t.kind;
    return k === 'ident' || k === 'dqident' || k === 'qident' || FALLBACK_ID.has(k);
  }

  /** `nm ::= id | STRING | JOIN_KW` — object names. */
  private isNm(t: Token): boolean {
    return this.isId(t) || t.kind === 'string' || JOIN_KW.has(t.kind);
  }

  private parseNm(what = 'a name'): A.Name {
    const t = this.peek();
    if (!this.isNm(t)) throw this.unexpected(t, what);
    this.advance();
    return { name: t.value, pos: this.pos(t) };
  }

  /**
   * The schema a CREATE names must be one this database has: `main`, or
   * `temp` (then the object is temporary). Anything else is SQLite's
   * "unknown database" (SQL_ERROR, not a syntax error). Returns whether the
   * schema makes the object temporary.
   */
  private checkCreateSchema(schema: string | null, at: A.SourcePos): boolean {
    if (schema === null) return false;
    const s = schema.toLowerCase();
    if (s === 'main') return false;
    if (s === 'temp') return true;
    throw new HeliosError('SQL_ERROR', `unknown database ${schema} at line ${at.line}, column ${at.column}`, { line: at.line, column: at.column });
  }

  /** `[schema.]name` */
  private parseQualifiedName(what: string): { schema: string | null; name: A.Name } {
    const first = this.parseNm(what);
    if (this.accept('.')) return { schema: first.name, name: this.parseNm(what) };
    return { schema: null, name: first };
  }

  private parseNameList(): A.Name[] {
    this.expect('(');
    const out: A.Name[] = [this.parseNm('a column name')];
    while (this.accept(',')) out.push(this.parseNm('a column name'));
    this.expect(')');
    return out;
  }

  // -------------------------------------------------------------------------
  // Commands and statements

  /** cmd ::= [;]* statement (; | eof) */
  parseCommand(): { statement: A.Statement | null; end: number } {
    while (this.accept(';'));
    if (this.at('eof')) return { statement: null, end: this.sql.length };
    const statement = this.parseStatement();
    const t = this.peek();
    if (t.kind !== ';' && t.kind !== 'eof') throw this.unexpected(t);
    if (this.pendingUnsupported !== null) throw this.pendingUnsupported;
    if (t.kind === ';') {
      this.advance();
      return { statement, end: t.end };
    }
    return { statement, end: this.prevEnd };
  }

  private parseStatement(): A.Statement {
    this.maxParam = 0;
    this.paramNames = [];
    this.paramByName = null;
    this.pendingUnsupported = null;
    const first = this.peek();
    if (first.kind === 'EXPLAIN') {
      this.advance();
      let queryPlan = false;
      if (this.at('QUERY')) {
        this.advance();
        this.expect('PLAN');
        queryPlan = true;
      }
      const statement = this.parseInner();
      return this.finish(first, { kind: 'Explain', queryPlan, statement });
    }
    return this.parseInner();
  }

  /** Adds the StatementBase fields to a freshly built statement body. */
  private finish<T extends { kind: A.Statement['kind'] }>(first: Token, body: T): T & A.StatementBase {
    const names = this.paramNames;
    while (names.length < this.maxParam) names.push(null);
    const st = body as T & { pos: A.SourcePos; sql: string; parameters: A.ParameterInfo };
    st.pos = this.pos(first);
    st.sql = this.sql.slice(first.offset, this.prevEnd);
    st.parameters = { count: this.maxParam, names: names.length === 0 ? names : names.slice() };
    return st;
  }

  private parseInner(): A.Statement {
    const t = this.peek();
    switch (t.kind) {
      case 'SELECT': case 'VALUES': case 'WITH': return this.parseQueryOrDml(t);
      case 'INSERT': case 'REPLACE': return this.parseInsert(t, null);
      case 'UPDATE': return this.parseUpdate(t, null);
      case 'DELETE': return this.parseDelete(t, null);
      case 'CREATE': return this.parseCreate(t);
      case 'DROP': return this.parseDrop(t);
      case 'ALTER': return this.parseAlter(t);
      case 'BEGIN': return this.parseBegin(t);
      case 'COMMIT': case 'END': return this.parseCommit(t);
      case 'ROLLBACK': return this.parseRollback(t);
      case 'SAVEPOINT': {
        this.advance();
        return this.finish(t, { kind: 'Savepoint', name: this.parseNm('a savepoint name') });
      }
      case 'RELEASE': {
        this.advance();
        this.accept('SAVEPOINT');
        return this.finish(t, { kind: 'Release', name: this.parseNm('a savepoint name') });
      }
      case 'PRAGMA': return this.parsePragma(t);
      case 'REINDEX': case 'ANALYZE': return this.parseReindexOrAnalyze(t);
      case 'VACUUM': return this.parseVacuum(t);
      case 'ATTACH': case 'DETACH': throw this.unsupported(t, `${t.kind} is not supported`);
      case 'EXPLAIN': throw this.unexpected(t);
      default: throw this.unexpected(t);
    }
  }

  /** A statement starting with SELECT/VALUES, or WITH followed by SELECT/INSERT/UPDATE/DELETE. */
  private parseQueryOrDml(first: Token): A.Statement {
    if (first.kind === 'WITH') {
      const withClause = this.parseWith();
      const t = this.peek();
      if (t.kind === 'INSERT' || t.kind === 'REPLACE') return this.parseInsert(first, withClause);
      if (t.kind === 'UPDATE') return this.parseUpdate(first, withClause);
      if (t.kind === 'DELETE') return this.parseDelete(first, withClause);
      const query = this.parseQueryRest(first, withClause);
      return this.finish(first, { kind: 'Select', query });
    }
    const query = this.parseQuery();
    return this.finish(first, { kind: 'Select', query });
  }

  // -------------------------------------------------------------------------
  // DML

  private parseConflictAction(): A.ConflictAction {
    const t = this.peek();
    if (!CONFLICT_ACTIONS.has(t.kind)) throw this.unexpected(t, 'ROLLBACK, ABORT, FAIL, IGNORE or REPLACE');
    this.advance();
    return t.kind as A.ConflictAction;
  }

  /** insert ::= (INSERT [OR action] | REPLACE) INTO qname [AS nm] [(cols)] (DEFAULT VALUES | query upsert*) [RETURNING] */
  private parseInsert(first: Token, withClause: A.WithClause | null): A.InsertStmt {
    let orConflict: A.ConflictAction | null = null;
    if (this.accept('REPLACE')) orConflict = 'REPLACE';
    else {
      this.expect('INSERT');
      if (this.accept('OR')) orConflict = this.parseConflictAction();
    }
    this.expect('INTO');
    const { schema, name } = this.parseQualifiedName('a table name');
    if (this.inTrigger && schema !== null) throw this.triggerErr(name.pos, 'qualified table names are not allowed on INSERT, UPDATE, and DELETE statements within triggers');
    let alias: string | null = null;
    if (!this.inTrigger && this.accept('AS')) alias = this.parseNm('an alias').name;
    let columns: A.Name[] | null = null;
    if (this.at('(')) columns = this.parseNameList();
    let source: A.InsertSource;
    const upsert: A.UpsertClause[] = [];
    if (this.at('DEFAULT')) {
      this.advance();
      this.expect('VALUES');
      source = { kind: 'DefaultValues' };
    } else {
      const t = this.peek();
      if (!isQueryStart(t.kind)) throw this.unexpected(t, 'VALUES, SELECT or DEFAULT VALUES');
      const query = this.parseQuery();
      const body = query.body;
      source = body.kind === 'Values' && query.with === null && query.orderBy.length === 0 && query.limit === null
        ? { kind: 'Values', rows: body.rows }
        : { kind: 'Select', query };
      while (this.at('ON') && this.peek(1).kind === 'CONFLICT') upsert.push(this.parseUpsert());
    }
    const returning = this.parseReturning(true);
    return this.finish(first, {
      kind: 'Insert', with: withClause, orConflict, schema, table: name, alias, columns, source, upsert, returning,
    });
  }

  /** upsert ::= ON CONFLICT [(indexed-cols) [WHERE expr]] DO (NOTHING | UPDATE SET sets [WHERE expr]) */
  private parseUpsert(): A.UpsertClause {
    const on = this.expect('ON');
    this.expect('CONFLICT');
    let target: A.UpsertClause['target'] = null;
    if (this.at('(')) {
      const columns = this.parseIndexedColumns();
      const where = this.accept('WHERE') ? this.parseExpr() : null;
      target = { columns, where };
    }
    this.expect('DO');
    if (this.accept('NOTHING')) return { pos: this.pos(on), target, action: { kind: 'Nothing' } };
    this.expect('UPDATE');
    this.expect('SET');
    const sets = this.parseSetList();
    const where = this.accept('WHERE') ? this.parseExpr() : null;
    return { pos: this.pos(on), target, action: { kind: 'Update', sets, where } };
  }

  private parseSetList(): A.SetClause[] {
    const out: A.SetClause[] = [];
    do {
      let columns: A.Name[];
      if (this.at('(')) columns = this.parseNameList();
      else columns = [this.parseNm('a column name')];
      this.expect('=');
      out.push({ columns, value: this.parseExpr() });
    } while (this.accept(','));
    return out;
  }

  /** [RETURNING cols]; in a trigger body INSERT's is SQLite's "cannot use RETURNING", UPDATE's and DELETE's a syntax error. */
  private parseReturning(insert = false): A.ResultColumn[] | null {
    if (!this.at('RETURNING')) return null;
    if (this.inTrigger) throw insert ? this.triggerErr(this.pos(this.peek()), 'cannot use RETURNING in a trigger') : this.unexpected();
    this.advance();
    return this.parseResultColumns();
  }

  /** qualified-table ::= [schema.]nm [AS nm] [INDEXED BY nm | NOT INDEXED] */
  private parseQualifiedTable(): A.QualifiedTable {
    const t = this.peek();
    const { schema, name } = this.parseQualifiedName('a table name');
    if (this.inTrigger) {
      if (schema !== null) throw this.triggerErr(name.pos, 'qualified table names are not allowed on INSERT, UPDATE, and DELETE statements within triggers');
      const at = this.peek();
      if (this.parseIndexedBy() !== null) throw this.triggerErr(this.pos(at), 'the INDEXED BY clause is not allowed on UPDATE or DELETE statements within triggers');
      return { pos: this.pos(t), schema, name: name.name, alias: null, indexedBy: null };
    }
    const alias = this.accept('AS') ? this.parseNm('an alias').name : null;
    const indexedBy = this.parseIndexedBy();
    return { pos: this.pos(t), schema, name: name.name, alias, indexedBy };
  }

  private parseIndexedBy(): string | false | null {
    if (this.at('INDEXED')) {
      this.advance();
      this.expect('BY');
      return this.parseNm('an index name').name;
    }
    if (this.at('NOT') && this.peek(1).kind === 'INDEXED') {
      this.advance();
      this.advance();
      return false;
    }
    return null;
  }

  /** update ::= UPDATE [OR action] qualified-table SET sets [FROM from] [WHERE expr] [RETURNING] */
  private parseUpdate(first: Token, withClause: A.WithClause | null, inTrigger = false): A.UpdateStmt {
    this.expect('UPDATE');
    const orConflict = this.accept('OR') ? this.parseConflictAction() : null;
    const table = this.parseQualifiedTable();
    this.expect('SET');
    const sets = this.parseSetList();
    const from = this.accept('FROM') ? this.parseFrom() : null;
    const where = this.accept('WHERE') ? this.parseExpr() : null;
    const returning = this.parseReturning();
    const limited = this.parseOrderByLimit('UPDATE', table, from, where, inTrigger);
    return this.finish(first, { kind: 'Update', with: withClause, orConflict, table, sets, from, where: limited, returning });
  }

  /** delete ::= DELETE FROM qualified-table [WHERE expr] [RETURNING] */
  private parseDelete(first: Token, withClause: A.WithClause | null, inTrigger = false): A.DeleteStmt {
    this.expect('DELETE');
    this.expect('FROM');
    const table = this.parseQualifiedTable();
    const where = this.accept('WHERE') ? this.parseExpr() : null;
    const returning = this.parseReturning();
    const limited = this.parseOrderByLimit('DELETE', table, null, where, inTrigger);
    return this.finish(first, { kind: 'Delete', with: withClause, table, where: limited, returning });
  }

  /**
   * UPDATE/DELETE … [ORDER BY …] LIMIT n [OFFSET m] (SQLITE_ENABLE_UPDATE_DELETE_LIMIT, as
   * better-sqlite3 builds SQLite): rewritten as SQLite does (sqlite3LimitWhere) into
   * `WHERE rowid IN (SELECT rowid FROM table WHERE … ORDER BY … LIMIT …)`; returns the WHERE to
   * use (with UPDATE … FROM, the subquery joins the FROM tables). As in SQLite: ORDER BY needs LIMIT, and neither is allowed in a trigger body.
   */
  private parseOrderByLimit(what: string, table: A.QualifiedTable, from: A.FromItem | null, where: A.Expr | null, inTrigger: boolean): A.Expr | null {
    const t = this.peek();
    if (t.kind !== 'ORDER' && t.kind !== 'LIMIT') return where;
    if (inTrigger) throw this.unexpected(t, 'END or ;');
    let orderBy: A.OrderingTerm[] = [];
    if (this.accept('ORDER')) {
      this.expect('BY');
      orderBy = [...this.parseOrderingTerms()];
    }
    if (!this.at('LIMIT')) throw new HeliosError('SQL_ERROR', `ORDER BY without LIMIT on ${what}`);
    this.expect('LIMIT');
    let limit = this.parseExpr();
    let offset: A.Expr | null = null;
    if (this.accept('OFFSET')) offset = this.parseExpr();
    else if (this.accept(',')) {
      offset = limit;
      limit = this.parseExpr();
    }
    const pos = this.pos(t);
    const rowid = (tableName: string | null): A.Expr => ({ kind: 'Column', pos, schema: null, table: tableName, column: 'rowid', doubleQuoted: false });
    const target: A.FromItem = { kind: 'Table', pos: table.pos, schema: table.schema, name: table.name, alias: table.alias, indexedBy: table.indexedBy };
    // UPDATE … FROM: the rows are those of the join, as SQLite limits them.
    const source: A.FromItem = from === null ? target : { kind: 'Join', pos, joinType: 'INNER', natural: false, comma: true, left: target, right: from, on: null, using: null };
    const core: A.SelectCore = {
      kind: 'SelectCore',
      pos,
      distinct: false,
      columns: [{ kind: 'Expr', pos, expr: rowid(table.alias ?? table.name), alias: null, text: 'rowid' }],
      from: source,
      where,
      groupBy: [],
      having: null,
    };
    const query: A.Query = { kind: 'Query', pos, with: null, body: core, orderBy, limit, offset };
    return { kind: 'InSelect', pos, not: false, expr: rowid(table.alias ?? table.name), query };
  }

  // -------------------------------------------------------------------------
  // DDL

  private parseIfNotExists(): boolean {
    if (!this.at('IF')) return false;
    this.advance();
    this.expect('NOT');
    this.expect('EXISTS');
    return true;
  }

  private parseCreate(first: Token): A.Statement {
    this.expect('CREATE');
    let temporary = false;
    if (this.at('TEMP') || this.at('TEMPORARY')) {
      this.advance();
      temporary = true;
    }
    const t = this.peek();
    switch (t.kind) {
      case 'TABLE': return this.parseCreateTable(first, temporary);
      case 'VIEW': return this.parseCreateView(first, temporary);
      case 'UNIQUE': case 'INDEX':
        if (!temporary) return this.parseCreateIndex(first);
        break;
      case 'TRIGGER': return this.parseCreateTrigger(first, temporary);
      case 'VIRTUAL':
        if (!temporary) return this.parseCreateVirtualTable(first);
        break;
    }
    throw this.unexpected(t, temporary ? 'TABLE, VIEW or TRIGGER' : 'TABLE, INDEX, VIEW or TRIGGER');
  }

  /** create-vtab ::= CREATE VIRTUAL TABLE [IF NOT EXISTS] qname USING nm [( vtabarg [, vtabarg]… )] */
  private parseCreateVirtualTable(first: Token): A.CreateVirtualTableStmt {
    this.expect('VIRTUAL');
    this.expect('TABLE');
    const ifNotExists = this.parseIfNotExists();
    const { schema, name } = this.parseQualifiedName('a table name');
    this.expect('USING');
    const module = this.parseNm('a module name');
    const args: string[] = [];
    if (this.accept('(')) {
      // Any tokens, balanced in parentheses; each argument is the source text from its first token to its last.
      let depth = 0;
      let start = -1;
      let end = -1;
      const flush = (): void => {
        if (start >= 0) args.push(this.sql.slice(start, end));
        start = -1;
      };
      for (;;) {
        const t = this.peek();
        if (t.kind === 'eof' || t.kind === ';') throw this.unexpected(t, ')');
        if (depth === 0 && t.kind === ')') break;
        if (depth === 0 && t.kind === ',') {
          this.advance();
          flush();
          continue;
        }
        if (t.kind === '(') depth++;
        else if (t.kind === ')') depth--;
        this.advance();
        if (start < 0) start = t.offset;
        end = t.end;
      }
      flush();
      this.expect(')');
    }
    return this.finish(first, { kind: 'CreateVirtualTable', ifNotExists, schema, name, module, args });
  }

  /** create-table ::= CREATE [TEMP] TABLE [IF NOT EXISTS] qname ( (coldef | tcons)… ) [options] | … AS query */
  private parseCreateTable(first: Token, temporary: boolean): A.CreateTableStmt {
    this.expect('TABLE');
    const ifNotExists = this.parseIfNotExists();
    const { schema, name } = this.parseQualifiedName('a table name');
    // Like SQLite, which resolves the schema once the token after the name shows a table
    // definition follows (AS or '('), before the rest parses.
    if ((this.at('AS') || this.at('(')) && this.checkCreateSchema(schema, name.pos)) temporary = true;
    if (this.accept('AS')) {
      const query = this.parseQuery();
      return this.finish(first, { kind: 'CreateTable', temporary, ifNotExists, schema, name, definition: { kind: 'AsSelect', query } });
    }
    this.expect('(');
    const columns: A.ColumnDef[] = [];
    const constraints: A.TableConstraint[] = [];
    columns.push(this.parseColumnDef());
    while (this.accept(',')) {
      if (this.isTableConstraintStart()) break;
      columns.push(this.parseColumnDef());
    }
    // Table constraints; SQLite allows them to be separated by commas or not.
    if (this.isTableConstraintStart()) {
      constraints.push(this.parseTableConstraint());
      for (;;) {
        if (this.accept(',')) constraints.push(this.parseTableConstraint());
        else if (this.isTableConstraintStart()) constraints.push(this.parseTableConstraint());
        else break;
      }
    }
    this.expect(')');
    let withoutRowid = false;
    let strict = false;
    if (this.at('WITHOUT') || (this.at('ident') && this.peek().value.toUpperCase() === 'STRICT')) {
      do {
        const t = this.peek();
        if (t.kind === 'WITHOUT') {
          this.advance();
          const r = this.peek();
          if (r.kind !== 'ident' || r.value.toUpperCase() !== 'ROWID') throw this.unexpected(r, 'ROWID');
          this.advance();
          withoutRowid = true;
        } else if (t.kind === 'ident' && t.value.toUpperCase() === 'STRICT') {
          this.advance();
          strict = true;
        } else {
          throw this.unexpected(t, 'WITHOUT ROWID or STRICT');
        }
      } while (this.accept(','));
    }
    return this.finish(first, {
      kind: 'CreateTable', temporary, ifNotExists, schema, name,
      definition: { kind: 'Columns', columns, constraints, withoutRowid, strict },
    });
  }

  private isTableConstraintStart(): boolean {
    const k = this.peek().kind;
    return k === 'CONSTRAINT' || k === 'PRIMARY' || k === 'UNIQUE' || k === 'CHECK' || k === 'FOREIGN';
  }

  /** coldef ::= nm [typename] colconstraint* */
  private parseColumnDef(): A.ColumnDef {
    const t = this.peek();
    const name = this.parseNm('a column name');
    const type = this.parseTypeName(true);
    const constraints: A.ColumnConstraint[] = [];
    for (;;) {
      const c = this.parseColumnConstraint();
      if (c === undefined) break;
      if (c !== null) constraints.push(c);
    }
    return { pos: this.pos(t), name, type, constraints };
  }

  /**
   * typename ::= ids+ [( signed [, signed] )]. Returns null when no type is
   * given (in a column definition); CAST allows an empty type (name '').
   */
  private parseTypeName(inColumn: boolean): A.TypeName | null {
    const words: string[] = [];
    for (;;) {
      const t = this.peek();
      if (!(this.isId(t) || t.kind === 'string') || (inColumn && TYPE_STOP.has(t.kind))) break;
      this.advance();
      words.push(t.value);
    }
    if (words.length === 0) return inColumn ? null : { name: '', args: [] };
    const args: string[] = [];
    if (this.accept('(')) {
      args.push(this.parseSignedNumberText());
      if (this.accept(',')) args.push(this.parseSignedNumberText());
      this.expect(')');
    }
    return { name: words.join(' '), args };
  }

  private parseSignedNumberText(): string {
    let sign = '';
    if (this.at('+') || this.at('-')) sign = this.advance().value;
    const t = this.peek();
    if (t.kind !== 'integer' && t.kind !== 'float') throw this.unexpected(t, 'a number');
    this.advance();
    return sign + t.value;
  }

  private parseConflictClause(): A.ConflictAction | null {
    if (!(this.at('ON') && this.peek(1).kind === 'CONFLICT')) return null;
    this.advance();
    this.advance();
    return this.parseConflictAction();
  }

  /** One column constraint; undefined when none follows, null for a no-op (`NULL`). */
  private parseColumnConstraint(): A.ColumnConstraint | null | undefined {
    const start = this.peek();
    let name: string | null = null;
    if (start.kind === 'CONSTRAINT') {
      this.advance();
      name = this.parseNm('a constraint name').name;
    }
    const t = this.peek();
    const pos = this.pos(start);
    switch (t.kind) {
      case 'PRIMARY': {
        this.advance();
        this.expect('KEY');
        let order: 'ASC' | 'DESC' | null = null;
        if (this.accept('ASC')) order = 'ASC';
        else if (this.accept('DESC')) order = 'DESC';
        const conflict = this.parseConflictClause();
        const autoincrement = this.accept('AUTOINCREMENT');
        return { kind: 'PrimaryKey', pos, name, order, conflict, autoincrement };
      }
      case 'NOT': {
        this.advance();
        this.expect('NULL');
        return { kind: 'NotNull', pos, name, conflict: this.parseConflictClause() };
      }
      case 'NULL': {
        this.advance();
        this.parseConflictClause();
        return null;
      }
      case 'UNIQUE': {
        this.advance();
        return { kind: 'Unique', pos, name, conflict: this.parseConflictClause() };
      }
      case 'CHECK': {
        this.advance();
        this.expect('(');
        const expr = this.parseExpr();
        this.expect(')');
        return { kind: 'Check', pos, name, expr };
      }
      case 'DEFAULT': {
        this.advance();
        return this.parseDefault(pos, name);
      }
      case 'COLLATE': {
        this.advance();
        return { kind: 'Collate', pos, name, collation: this.parseCollationName() };
      }
      case 'REFERENCES':
        return { kind: 'References', pos, name, foreignKey: this.parseForeignKeyClause() };
      case 'GENERATED': case 'AS': {
        if (t.kind === 'GENERATED') {
          this.advance();
          this.expect('ALWAYS');
        }
        this.expect('AS');
        this.expect('(');
        const expr = this.parseExpr();
        this.expect(')');
        let stored = false;
        const s = this.peek();
        if (s.kind === 'ident' && s.value.toUpperCase() === 'STORED') {
          this.advance();
          stored = true;
        } else if (s.kind === 'VIRTUAL') {
          this.advance();
        }
        return { kind: 'Generated', pos, name, expr, stored };
      }
    }
    if (name !== null) throw this.unexpected(t, 'a constraint');
    return undefined;
  }

  /** DEFAULT ( expr ) | [+|-] number | literal | CURRENT_* | id (read as a string, as SQLite does) */
  private parseDefault(pos: A.SourcePos, name: string | null): A.ColumnConstraint {
    const t = this.peek();
    if (t.kind === '(') {
      this.advance();
      const inner = this.peek();
      const expr = this.parseExpr();
      const text = this.sql.slice(inner.offset, this.prevEnd);
      this.expect(')');
      return { kind: 'Default', pos, name, expr, text };
    }
    if (t.kind === '+' || t.kind === '-') {
      // parse.y: DEFAULT (PLUS | MINUS) term, where a term is any literal (`DEFAULT -'12'` is valid).
      this.advance();
      const n = this.peek();
      if (!DEFAULT_TERMS.has(n.kind)) throw this.unexpected(n, 'a literal');
      const expr = this.parseSigned(t, n);
      return { kind: 'Default', pos, name, expr, text: this.sql.slice(t.offset, this.prevEnd) };
    }
    let expr: A.Expr;
    switch (t.kind) {
      case 'integer': case 'float': case 'string': case 'blob': case 'NULL':
      case 'CURRENT_TIME': case 'CURRENT_DATE': case 'CURRENT_TIMESTAMP':
        expr = this.parsePrimary();
        break;
      default:
        if (!this.isId(t) && !JOIN_KW.has(t.kind)) throw this.unexpected(t, 'a default value');
        this.advance();
        expr = this.boolOrNull(t) ?? { kind: 'String', pos: this.pos(t), value: t.value };
    }
    return { kind: 'Default', pos, name, expr, text: this.sql.slice(t.offset, this.prevEnd) };
  }

  /** `-` / `+` applied to a number token (already peeked as `n`). */
  private parseSigned(sign: Token, n: Token): A.Expr {
    if (sign.kind === '-' && n.kind === 'integer' && n.value === '9223372036854775808') {
      this.advance();
      return { kind: 'Integer', pos: this.pos(sign), value: -(1n << 63n) };
    }
    const operand = this.parsePrimary();
    return { kind: 'Unary', pos: this.pos(sign), op: sign.kind === '-' ? '-' : '+', operand };
  }

  private parseCollationName(): string {
    const t = this.peek();
    // INDEXED never falls back to a name here in SQLite's grammar: `x COLLATE INDEXED` is a syntax error.
    if (!((this.isId(t) && t.kind !== 'INDEXED') || t.kind === 'string')) throw this.unexpected(t, 'a collation name');
    this.advance();
    return t.value;
  }

  /** fk ::= REFERENCES nm [(cols)] (ON (DELETE|UPDATE) action | MATCH nm)* [[NOT] DEFERRABLE [INITIALLY (DEFERRED|IMMEDIATE)]] */
  private parseForeignKeyClause(): A.ForeignKeyClause {
    this.expect('REFERENCES');
    const table = this.parseNm('a table name');
    const columns = this.at('(') ? this.parseNameList() : null;
    let onDelete: A.ForeignKeyAction | null = null;
    let onUpdate: A.ForeignKeyAction | null = null;
    let deferred = false;
    for (;;) {
      if (this.at('ON')) {
        this.advance();
        const which = this.peek();
        if (which.kind !== 'DELETE' && which.kind !== 'UPDATE') throw this.unexpected(which, 'DELETE or UPDATE');
        this.advance();
        const action = this.parseForeignKeyAction();
        if (which.kind === 'DELETE') onDelete = action;
        else onUpdate = action;
      } else if (this.at('MATCH')) {
        this.advance();
        this.parseNm('a match type');
      } else {
        break;
      }
    }
    if (this.at('DEFERRABLE') || (this.at('NOT') && this.peek(1).kind === 'DEFERRABLE')) {
      const not = this.accept('NOT');
      this.expect('DEFERRABLE');
      let initiallyDeferred = false;
      if (this.accept('INITIALLY')) {
        if (this.accept('DEFERRED')) initiallyDeferred = true;
        else this.expect('IMMEDIATE');
      }
      deferred = !not && initiallyDeferred;
    }
    return { table, columns, onDelete, onUpdate, deferred };
  }

  private parseForeignKeyAction(): A.ForeignKeyAction {
    const t = this.advance();
    switch (t.kind) {
      case 'SET':
        if (this.accept('NULL')) return 'SET NULL';
        this.expect('DEFAULT');
        return 'SET DEFAULT';
      case 'CASCADE': return 'CASCADE';
      case 'RESTRICT': return 'RESTRICT';
      case 'NO':
        this.expect('ACTION');
        return 'NO ACTION';
    }
    throw this.unexpected(t, 'SET NULL, SET DEFAULT, CASCADE, RESTRICT or NO ACTION');
  }

  private parseTableConstraint(): A.TableConstraint {
    const start = this.peek();
    const pos = this.pos(start);
    let name: string | null = null;
    if (this.accept('CONSTRAINT')) name = this.parseNm('a constraint name').name;
    const t = this.advance();
    switch (t.kind) {
      case 'PRIMARY': {
        this.expect('KEY');
        this.expect('(');
        const columns = this.parseIndexedColumnList();
        const autoincrement = this.accept('AUTOINCREMENT');
        this.expect(')');
        return { kind: 'PrimaryKey', pos, name, columns, conflict: this.parseConflictClause(), autoincrement };
      }
      case 'UNIQUE': {
        const columns = this.parseIndexedColumns();
        return { kind: 'Unique', pos, name, columns, conflict: this.parseConflictClause() };
      }
      case 'CHECK': {
        this.expect('(');
        const expr = this.parseExpr();
        this.expect(')');
        this.parseConflictClause();
        return { kind: 'Check', pos, name, expr };
      }
      case 'FOREIGN': {
        this.expect('KEY');
        const columns = this.parseNameList();
        return { kind: 'ForeignKey', pos, name, columns, foreignKey: this.parseForeignKeyClause() };
      }
    }
    throw this.unexpected(t, 'PRIMARY KEY, UNIQUE, CHECK or FOREIGN KEY');
  }

  /** ( indexed-column, … ) */
  private parseIndexedColumns(): A.IndexedColumn[] {
    this.expect('(');
    const out = this.parseIndexedColumnList();
    this.expect(')');
    return out;
  }

  private parseIndexedColumnList(): A.IndexedColumn[] {
    const out: A.IndexedColumn[] = [this.parseIndexedColumn()];
    while (this.accept(',')) out.push(this.parseIndexedColumn());
    return out;
  }

  /** indexed-column ::= expr [COLLATE nm] [ASC|DESC] */
  private parseIndexedColumn(): A.IndexedColumn {
    const t = this.peek();
    let expr = this.parseExpr();
    let collation: string | null = null;
    if (expr.kind === 'Collate') {
      collation = expr.collation;
      expr = expr.expr;
    }
    let order: 'ASC' | 'DESC' | null = null;
    if (this.accept('ASC')) order = 'ASC';
    else if (this.accept('DESC')) order = 'DESC';
    return { pos: this.pos(t), expr, collation, order };
  }

  /** create-index ::= CREATE [UNIQUE] INDEX [IF NOT EXISTS] qname ON nm ( indexed-cols ) [WHERE expr] */
  private parseCreateIndex(first: Token): A.CreateIndexStmt {
    const unique = this.accept('UNIQUE');
    this.expect('INDEX');
    const ifNotExists = this.parseIfNotExists();
    const { schema, name } = this.parseQualifiedName('an index name');
    this.expect('ON');
    const table = this.parseNm('a table name');
    const columns = this.parseIndexedColumns();
    const where = this.accept('WHERE') ? this.parseExpr() : null;
    this.checkCreateSchema(schema, name.pos);
    return this.finish(first, { kind: 'CreateIndex', unique, ifNotExists, schema, name, table, columns, where });
  }

  /** create-view ::= CREATE [TEMP] VIEW [IF NOT EXISTS] qname [(cols)] AS query */
  private parseCreateView(first: Token, temporary: boolean): A.CreateViewStmt {
    this.expect('VIEW');
    const ifNotExists = this.parseIfNotExists();
    const { schema, name } = this.parseQualifiedName('a view name');
    const columns = this.at('(') ? this.parseNameList() : null;
    this.expect('AS');
    const query = this.parseQuery();
    if (this.checkCreateSchema(schema, name.pos)) temporary = true;
    return this.finish(first, { kind: 'CreateView', temporary, ifNotExists, schema, name, columns, query });
  }

  /**
   * create-trigger ::= CREATE [TEMP] TRIGGER [IF NOT EXISTS] qname [BEFORE|AFTER|INSTEAD OF]
   *   (DELETE | INSERT | UPDATE [OF nm, …]) ON nm [FOR EACH ROW] [WHEN expr]
   *   BEGIN (trigger-cmd ;)+ END
   * trigger-cmd ::= insert | update | delete | select, without schema-qualified
   * targets, aliases, INDEXED BY, RETURNING or variables (SQLite refuses them).
   */
  private parseCreateTrigger(first: Token, temporary: boolean): A.CreateTriggerStmt {
    this.expect('TRIGGER');
    const ifNotExists = this.parseIfNotExists();
    const { schema, name } = this.parseQualifiedName('a trigger name');
    let timing: A.CreateTriggerStmt['timing'] = 'BEFORE';
    if (this.accept('BEFORE')) timing = 'BEFORE';
    else if (this.accept('AFTER')) timing = 'AFTER';
    else if (this.at('INSTEAD')) {
      this.advance();
      this.expect('OF');
      timing = 'INSTEAD OF';
    }
    const ev = this.advance();
    let event: A.CreateTriggerStmt['event'];
    let columns: A.Name[] | null = null;
    if (ev.kind === 'DELETE' || ev.kind === 'INSERT') event = ev.kind;
    else if (ev.kind === 'UPDATE') {
      event = 'UPDATE';
      if (this.accept('OF')) {
        columns = [this.parseNm('a column name')];
        while (this.accept(',')) columns.push(this.parseNm('a column name'));
      }
    } else throw this.unexpected(ev, 'DELETE, INSERT or UPDATE');
    this.expect('ON');
    const tq = this.parseQualifiedName('a table name');
    if (tq.schema !== null) this.checkCreateSchema(tq.schema, tq.name.pos);
    let forEachRow = false;
    if (this.accept('FOR')) {
      this.expect('EACH');
      this.expect('ROW');
      forEachRow = true;
    }
    const when = this.accept('WHEN') ? this.parseExpr() : null;
    this.expect('BEGIN');
    const body: A.TriggerBodyStmt[] = [];
    this.inTrigger = true;
    try {
      do {
        body.push(this.parseTriggerCmd());
        this.expect(';');
      } while (!this.at('END'));
    } finally {
      this.inTrigger = false;
    }
    this.expect('END');
    if (this.maxParam > 0) throw this.triggerErr(name.pos, 'trigger cannot use variables');
    if (this.checkCreateSchema(schema, name.pos)) temporary = true;
    return this.finish(first, { kind: 'CreateTrigger', temporary, ifNotExists, schema, name, timing, event, columns, table: tq.name, forEachRow, when, body });
  }

  private parseTriggerCmd(): A.TriggerBodyStmt {
    const t = this.peek();
    switch (t.kind) {
      case 'INSERT': case 'REPLACE': return this.parseInsert(t, null);
      case 'UPDATE': return this.parseUpdate(t, null, true);
      case 'DELETE': return this.parseDelete(t, null, true);
      case 'SELECT': case 'VALUES': case 'WITH': return this.finish(t, { kind: 'Select', query: this.parseQuery() });
      default: throw this.unexpected(t, 'INSERT, UPDATE, DELETE or SELECT');
    }
  }

  private triggerErr(at: A.SourcePos, msg: string): HeliosError {
    return new HeliosError('SQL_ERROR', msg, { line: at.line, column: at.column });
  }

  /** drop ::= DROP (TABLE|INDEX|VIEW|TRIGGER) [IF EXISTS] qname */
  private parseDrop(first: Token): A.DropStmt {
    this.expect('DROP');
    const t = this.advance();
    if (t.kind !== 'TABLE' && t.kind !== 'INDEX' && t.kind !== 'VIEW' && t.kind !== 'TRIGGER') {
      throw this.unexpected(t, 'TABLE, INDEX, VIEW or TRIGGER');
    }
    let ifExists = false;
    if (this.accept('IF')) {
      this.expect('EXISTS');
      ifExists = true;
    }
    const { schema, name } = this.parseQualifiedName('a name');
    return this.finish(first, { kind: 'Drop', objectType: t.kind, ifExists, schema, name });
  }

  /** alter ::= ALTER TABLE qname (RENAME TO nm | RENAME [COLUMN] nm TO nm | ADD [COLUMN] coldef | DROP [COLUMN] nm) */
  private parseAlter(first: Token): A.AlterTableStmt {
    this.expect('ALTER');
    this.expect('TABLE');
    const { schema, name } = this.parseQualifiedName('a table name');
    const t = this.advance();
    let action: A.AlterTableStmt['action'];
    if (t.kind === 'RENAME') {
      if (this.accept('TO')) action = { kind: 'RenameTable', newName: this.parseNm('a table name') };
      else {
        this.accept('COLUMN');
        const column = this.parseNm('a column name');
        this.expect('TO');
        action = { kind: 'RenameColumn', column, newName: this.parseNm('a column name') };
      }
    } else if (t.kind === 'ADD') {
      this.accept('COLUMN');
      action = { kind: 'AddColumn', column: this.parseColumnDef() };
    } else if (t.kind === 'DROP') {
      this.accept('COLUMN');
      action = { kind: 'DropColumn', column: this.parseNm('a column name') };
    } else {
      throw this.unexpected(t, 'RENAME, ADD or DROP');
    }
    return this.finish(first, { kind: 'AlterTable', schema, table: name, action });
  }

  // -------------------------------------------------------------------------
  // Transactions and utility statements

  /** [TRANSACTION [nm]] */
  private parseTransactionWord(): void {
    if (this.accept('TRANSACTION') && this.isId(this.peek())) this.advance();
  }

  private parseBegin(first: Token): A.BeginStmt {
    this.expect('BEGIN');
    let mode: A.BeginStmt['mode'] = null;
    const t = this.peek();
    if (t.kind === 'DEFERRED' || t.kind === 'IMMEDIATE' || t.kind === 'EXCLUSIVE') {
      this.advance();
      mode = t.kind;
    }
    this.parseTransactionWord();
    return this.finish(first, { kind: 'Begin', mode });
  }

  private parseCommit(first: Token): A.CommitStmt {
    this.advance();
    this.parseTransactionWord();
    return this.finish(first, { kind: 'Commit' });
  }

  /** ROLLBACK [TRANSACTION [nm]] [TO [SAVEPOINT] nm] */
  private parseRollback(first: Token): A.RollbackStmt {
    this.expect('ROLLBACK');
    if (this.accept('TRANSACTION') && this.isId(this.peek()) && this.peek().kind !== 'TO') this.advance();
    let savepoint: A.Name | null = null;
    if (this.accept('TO')) {
      this.accept('SAVEPOINT');
      savepoint = this.parseNm('a savepoint name');
    }
    return this.finish(first, { kind: 'Rollback', savepoint });
  }

  /** pragma ::= PRAGMA qname [= value | ( value )] */
  private parsePragma(first: Token): A.PragmaStmt {
    this.expect('PRAGMA');
    const { schema, name } = this.parseQualifiedName('a pragma name');
    let form: A.PragmaStmt['form'] = null;
    let value: A.PragmaValue | null = null;
    if (this.accept('=')) {
      form = 'assign';
      value = this.parsePragmaValue();
    } else if (this.accept('(')) {
      form = 'call';
      value = this.parsePragmaValue();
      this.expect(')');
    }
    return this.finish(first, { kind: 'Pragma', schema, name, form, value });
  }

  private parsePragmaValue(): A.PragmaValue {
    const t = this.peek();
    if (t.kind === '+' || t.kind === '-') {
      return { kind: 'number', text: this.parseSignedNumberText(), pos: this.pos(t) };
    }
    if (t.kind === 'integer' || t.kind === 'float') {
      this.advance();
      return { kind: 'number', text: t.value, pos: this.pos(t) };
    }
    if (t.kind === 'string') {
      this.advance();
      return { kind: 'string', text: t.value, pos: this.pos(t) };
    }
    if (this.isNm(t) || t.kind === 'ON' || t.kind === 'DELETE' || t.kind === 'DEFAULT' || t.kind === 'NULL') {
      this.advance();
      return { kind: 'name', text: t.value, pos: this.pos(t) };
    }
    throw this.unexpected(t, 'a pragma value');
  }

  private parseReindexOrAnalyze(first: Token): A.ReindexStmt | A.AnalyzeStmt {
    const kind = this.advance().kind === 'REINDEX' ? 'Reindex' : 'Analyze';
    let schema: string | null = null;
    let name: A.Name | null = null;
    if (this.isNm(this.peek())) {
      const q = this.parseQualifiedName('a name');
      schema = q.schema;
      name = q.name;
    }
    return this.finish(first, { kind, schema, name });
  }

  private parseVacuum(first: Token): A.VacuumStmt {
    this.expect('VACUUM');
    let schema: string | null = null;
    if (this.isNm(this.peek()) && this.peek().kind !== 'string') schema = this.parseNm().name;
    const into = this.accept('INTO') ? this.parseExpr() : null;
    return this.finish(first, { kind: 'Vacuum', schema, into });
  }

  // -------------------------------------------------------------------------
  // Queries

  /** with ::= WITH [RECURSIVE] cte (, cte)* */
  private parseWith(): A.WithClause {
    this.expect('WITH');
    const recursive = this.accept('RECURSIVE');
    const ctes: A.CommonTableExpr[] = [];
    do {
      const t = this.peek();
      const name = this.parseNm('a table name');
      const columns = this.at('(') ? this.parseNameList() : null;
      this.expect('AS');
      let materialized: boolean | null = null;
      if (this.accept('MATERIALIZED')) materialized = true;
      else if (this.at('NOT')) {
        this.advance();
        this.expect('MATERIALIZED');
        materialized = false;
      }
      this.expect('(');
      const query = this.parseQuery();
      this.expect(')');
      ctes.push({ pos: this.pos(t), name, columns, materialized, query });
    } while (this.accept(','));
    return { recursive, ctes };
  }

  /** query ::= [with] body [ORDER BY terms] [LIMIT expr [(OFFSET | ,) expr]] */
  private parseQuery(): A.Query {
    const first = this.peek();
    const withClause = first.kind === 'WITH' ? this.parseWith() : null;
    return this.parseQueryRest(first, withClause);
  }

  private parseQueryRest(first: Token, withClause: A.WithClause | null): A.Query {
    this.enter(first);
    let body: A.QueryBody = this.parseSelectCoreOrValues();
    let terms = 1;
    for (;;) {
      const t = this.peek();
      let op: A.CompoundOp;
      if (t.kind === 'UNION') {
        this.advance();
        op = this.accept('ALL') ? 'UNION ALL' : 'UNION';
      } else if (t.kind === 'INTERSECT' || t.kind === 'EXCEPT') {
        this.advance();
        op = t.kind;
      } else break;
      if (++terms > MAX_COMPOUND_TERMS) {
        throw new HeliosError('TOO_BIG', `too many terms in compound SELECT at line ${t.line}, column ${t.column}`, { line: t.line, column: t.column });
      }
      const right = this.parseSelectCoreOrValues();
      body = { kind: 'Compound', pos: body.pos, op, left: body, right };
    }
    const orderBy = this.accept('ORDER') ? (this.expect('BY'), this.parseOrderingTerms()) : [];
    let limit: A.Expr | null = null;
    let offset: A.Expr | null = null;
    if (this.accept('LIMIT')) {
      limit = this.parseExpr();
      if (this.accept('OFFSET')) offset = this.parseExpr();
      else if (this.accept(',')) {
        offset = limit;
        limit = this.parseExpr();
      }
    }
    this.depth--;
    return { kind: 'Query', pos: this.pos(first), with: withClause, body, orderBy, limit, offset };
  }

  private parseSelectCoreOrValues(): A.SelectCore | A.ValuesBody {
    const t = this.peek();
    if (t.kind === 'SELECT') return this.parseSelectCore();
    if (t.kind === 'VALUES') return this.parseValues();
    throw this.unexpected(t, 'SELECT or VALUES');
  }

  /** values ::= VALUES ( exprs ) (, ( exprs ))* — all rows the same width */
  private parseValues(): A.ValuesBody {
    const t = this.expect('VALUES');
    const rows: A.Expr[][] = [];
    do {
      const open = this.expect('(');
      const row = this.parseExprList();
      this.expect(')');
      if (rows.length > 0 && row.length !== rows[0]!.length) {
        throw syntaxError(this.sql, open.offset, open.line, open.column, 'all VALUES must have the same number of terms');
      }
      rows.push(row);
    } while (this.accept(','));
    return { kind: 'Values', pos: this.pos(t), rows };
  }

  /** core ::= SELECT [DISTINCT|ALL] result-cols [FROM from] [WHERE e] [GROUP BY exprs] [HAVING e] */
  private parseSelectCore(): A.SelectCore {
    const t = this.expect('SELECT');
    let distinct = false;
    if (this.accept('DISTINCT')) distinct = true;
    else this.accept('ALL');
    const columns = this.parseResultColumns();
    const from = this.accept('FROM') ? this.parseFrom() : null;
    const where = this.accept('WHERE') ? this.parseExpr() : null;
    let groupBy: A.Expr[] = [];
    if (this.accept('GROUP')) {
      this.expect('BY');
      groupBy = this.parseExprList();
    }
    const having = this.accept('HAVING') ? this.parseExpr() : null;
    if (this.accept('WINDOW')) {
      const windows: A.NamedWindow[] = [];
      do {
        const name = this.parseNm('a window name');
        this.expect('AS');
        this.expect('(');
        windows.push({ name, window: this.parseWindow() });
        this.expect(')');
      } while (this.accept(','));
      return { kind: 'SelectCore', pos: this.pos(t), distinct, columns, from, where, groupBy, having, windows };
    }
    return { kind: 'SelectCore', pos: this.pos(t), distinct, columns, from, where, groupBy, having };
  }

  private parseResultColumns(): A.ResultColumn[] {
    const out: A.ResultColumn[] = [this.parseResultColumn()];
    while (this.accept(',')) out.push(this.parseResultColumn());
    return out;
  }

  /** result-col ::= * | nm . * | expr [[AS] nm] */
  private parseResultColumn(): A.ResultColumn {
    const t = this.peek();
    if (t.kind === '*') {
      this.advance();
      return { kind: 'Star', pos: this.pos(t) };
    }
    if (this.isNm(t) && this.peek(1).kind === '.' && this.peek(2).kind === '*') {
      this.advance();
      this.advance();
      this.advance();
      return { kind: 'TableStar', pos: this.pos(t), table: t.value };
    }
    const expr = this.parseExpr();
    const text = this.sql.slice(t.offset, this.prevEnd);
    let alias: string | null = null;
    if (this.accept('AS')) alias = this.parseNm('an alias').name;
    else {
      const a = this.peek();
      if (this.isImplicitAlias(a)) {
        this.advance();
        alias = a.value;
      }
    }
    return { kind: 'Expr', pos: this.pos(t), expr, alias, text };
  }

  private parseOrderingTerms(): A.OrderingTerm[] {
    const out: A.OrderingTerm[] = [];
    do {
      const t = this.peek();
      const expr = this.parseExpr();
      let direction: A.OrderingTerm['direction'] = null;
      if (this.accept('ASC')) direction = 'ASC';
      else if (this.accept('DESC')) direction = 'DESC';
      let nulls: A.OrderingTerm['nulls'] = null;
      if (this.accept('NULLS')) {
        if (this.accept('FIRST')) nulls = 'FIRST';
        else {
          this.expect('LAST');
          nulls = 'LAST';
        }
      }
      out.push({ pos: this.pos(t), expr, direction, nulls });
    } while (this.accept(','));
    return out;
  }

  /** from ::= table-or-sub (join-op table-or-sub [ON expr | USING (cols)])* */
  private parseFrom(): A.FromItem {
    let left = this.parseTableOrSubquery();
    for (;;) {
      const t = this.peek();
      let joinType: A.JoinType = 'INNER';
      let natural = false;
      let comma = false;
      if (t.kind === ',') {
        this.advance();
        comma = true;
      } else if (t.kind === 'JOIN') {
        this.advance();
      } else if (JOIN_KW.has(t.kind)) {
        this.advance();
        let k = t.kind;
        if (k === 'NATURAL') {
          natural = true;
          k = this.peek().kind;
          if (JOIN_KW.has(k) && k !== 'NATURAL') this.advance();
          else k = 'INNER';
        }
        switch (k) {
          case 'LEFT': case 'RIGHT': case 'FULL':
            joinType = k;
            this.accept('OUTER');
            break;
          case 'INNER': joinType = 'INNER'; break;
          case 'CROSS': joinType = 'CROSS'; break;
          default: throw this.unexpected(t, 'a join type');
        }
        this.expect('JOIN');
      } else {
        return left;
      }
      const right = this.parseTableOrSubquery();
      let on: A.Expr | null = null;
      let using: A.Name[] | null = null;
      if (this.at('ON') && this.peek(1).kind !== 'CONFLICT') {
        this.advance();
        on = this.parseExpr();
      } else if (this.accept('USING')) {
        using = this.parseNameList();
      }
      left = { kind: 'Join', pos: left.pos, joinType, natural, comma, left, right, on, using };
    }
  }

  /** A token that may be an alias without AS (`ids ::= ID | STRING`: not INDEXED, which may follow). */
  private isImplicitAlias(t: Token): boolean {
    return (this.isId(t) && t.kind !== 'INDEXED') || t.kind === 'string';
  }

  /** `name(args)` as a table: a table-valued function call's arguments. */
  private parseTableFunctionArgs(): A.Expr[] {
    this.expect('(');
    const args = this.at(')') ? [] : this.parseExprList();
    this.expect(')');
    return args;
  }

  /** The optional alias of a FROM item: AS nm | ids. */
  private parseAlias(): string | null {
    if (this.accept('AS')) return this.parseNm('an alias').name;
    const t = this.peek();
    if (this.isImplicitAlias(t)) {
      this.advance();
      return t.value;
    }
    return null;
  }

  private parseTableOrSubquery(): A.FromItem {
    const t = this.peek();
    if (t.kind === '(') {
      this.enter(t);
      this.advance();
      let item: A.FromItem;
      if (isQueryStart(this.peek().kind)) {
        const query = this.parseQuery();
        this.expect(')');
        item = { kind: 'Subquery', pos: this.pos(t), query, alias: this.parseAlias() };
      } else {
        const inner = this.parseFrom();
        this.expect(')');
        const aliasTok = this.peek();
        const alias = this.parseAlias();
        if (alias === null) item = inner;
        else if (inner.kind === 'Join') {
          this.deferUnsupported(aliasTok, 'an alias on a parenthesised join is not supported');
          item = inner;
        } else item = { ...inner, alias };
      }
      this.depth--;
      return item;
    }
    const { schema, name } = this.parseQualifiedName('a table name');
    const args = this.at('(') ? this.parseTableFunctionArgs() : undefined;
    const alias = this.parseAlias();
    const indexedBy = this.parseIndexedBy();
    if (args !== undefined) return { kind: 'Table', pos: this.pos(t), schema, name: name.name, alias, indexedBy, args };
    return { kind: 'Table', pos: this.pos(t), schema, name: name.name, alias, indexedBy };
  }

  // -------------------------------------------------------------------------
  // Expressions

  private parseExprList(): A.Expr[] {
    const out: A.Expr[] = [this.parseExpr()];
    while (this.accept(',')) out.push(this.parseExpr());
    return out;
  }

  parseExpr(): A.Expr {
    return this.parseBinary(P_OR);
  }

  /**
   * Precedence climbing over the table in the module comment; returns an
   * expression of level >= minPrec. With `stopAtAnd`, an AND at this level
   * ends the expression: the low bound of BETWEEN, which SQLite's grammar
   * parses as any expression up to the BETWEEN's own AND (so
   * `x BETWEEN a OR b AND c` needs a further `AND high`).
   */
  private parseBinary(minPrec: number, stopAtAnd = false): A.Expr {
    const startTok = this.peek();
    const startCount = this.consumed;
    this.enter(startTok);
    let left = this.parsePrefix();
    for (;;) {
      const t = this.peek();
      // Every node built here is measured as it is built, so a chain of any length stops at the first
      // node too tall; an expression of at most MAX_EXPR_HEIGHT tokens cannot be too tall (cheap skip).
      if (this.consumed - startCount > MAX_EXPR_HEIGHT) this.checkHeight(left, t);
      const k = t.kind;
      if (stopAtAnd && k === 'AND') break;
      let prec: number;
      switch (k) {
        case 'OR': prec = P_OR; break;
        case 'AND': prec = P_AND; break;
        case '=': case '!=': case 'IS': case 'IN': case 'LIKE': case 'GLOB': case 'REGEXP': case 'MATCH':
        case 'BETWEEN': case 'ISNULL': case 'NOTNULL':
          prec = P_EQ;
          break;
        case 'NOT': {
          const k1 = this.peek(1).kind;
          if (k1 === 'NULL' || k1 === 'IN' || k1 === 'LIKE' || k1 === 'GLOB' || k1 === 'REGEXP' || k1 === 'MATCH' || k1 === 'BETWEEN') {
            prec = P_EQ;
            break;
          }
          prec = -1;
          break;
        }
        case '<': case '<=': case '>': case '>=': prec = P_CMP; break;
        case '&': case '|': case '<<': case '>>': prec = P_BIT; break;
        case '+': case '-': prec = P_ADD; break;
        case '*': case '/': case '%': prec = P_MUL; break;
        case '||': case '->': case '->>': prec = P_CONCAT; break;
        case 'COLLATE': prec = P_COLLATE; break;
        default: prec = -1;
      }
      if (prec < minPrec) break;
      this.advance();
      const pos = left.pos;
      switch (k) {
        case 'COLLATE':
          // Only the outermost of a chain of COLLATEs counts (SQLite never reads the inner names).
          left = { kind: 'Collate', pos, expr: left.kind === 'Collate' ? left.expr : left, collation: this.parseCollationName() };
          continue;
        case 'ISNULL':
          left = { kind: 'IsNull', pos, not: false, expr: left };
          continue;
        case 'NOTNULL':
          left = { kind: 'IsNull', pos, not: true, expr: left };
          continue;
        case 'IS': {
          let op: A.BinaryOp = 'IS';
          if (this.accept('NOT')) op = 'IS NOT';
          if (this.accept('DISTINCT')) {
            this.expect('FROM');
            op = op === 'IS' ? 'IS NOT' : 'IS';
          }
          left = { kind: 'Binary', pos, op, left, right: this.parseBinary(P_EQ + 1) };
          continue;
        }
        case 'NOT': {
          const k1 = this.advance().kind;
          if (k1 === 'NULL') left = { kind: 'IsNull', pos, not: true, expr: left };
          else left = this.parseNegatable(k1, true, left);
          continue;
        }
        case 'IN': case 'LIKE': case 'GLOB': case 'REGEXP': case 'MATCH': case 'BETWEEN':
          left = this.parseNegatable(k, false, left);
          continue;
      }
      const right = this.parseBinary(prec + 1);
      left = { kind: 'Binary', pos, op: k as A.BinaryOp, left, right };
    }
    this.depth--;
    return left;
  }

  /** The part after `[NOT] IN | LIKE | GLOB | REGEXP | MATCH | BETWEEN` (the keyword is consumed). */
  private parseNegatable(k: string, not: boolean, expr: A.Expr): A.Expr {
    const pos = expr.pos;
    switch (k) {
      case 'BETWEEN': {
        const low = this.parseBinary(P_OR, true);
        this.expect('AND');
        const high = this.parseBinary(P_EQ + 1);
        return { kind: 'Between', pos, not, expr, low, high };
      }
      case 'IN': {
        const t = this.peek();
        if (t.kind === '(') {
          this.advance();
          if (isQueryStart(this.peek().kind)) {
            const query = this.parseQuery();
            this.expect(')');
            return { kind: 'InSelect', pos, not, expr, query };
          }
          const items = this.at(')') ? [] : this.parseExprList();
          this.expect(')');
          return { kind: 'InList', pos, not, expr, items };
        }
        if (!this.isNm(t)) throw this.unexpected(t, '(');
        const { schema, name } = this.parseQualifiedName('a table name');
        if (this.at('(')) {
          const t2 = this.peek();
          this.parseTableFunctionArgs();
          this.deferUnsupported(t2, 'a table-valued function after IN is not supported');
        }
        return { kind: 'InTable', pos, not, expr, schema, table: name.name };
      }
      case 'LIKE': case 'GLOB': case 'REGEXP': case 'MATCH': {
        const pattern = this.parseBinary(P_EQ + 1);
        const escape = this.accept('ESCAPE') ? this.parseBinary(P_ESCAPE_OPERAND) : null;
        return { kind: 'Like', pos, op: k, not, expr, pattern, escape };
      }
    }
    throw this.unexpected(this.peek());
  }

  /**
   * prefix ::= (- | + | ~) prefix | NOT expr@3 | primary
   *
   * A run of - + ~ is read in a loop (no recursion), then applied inside
   * out. As SQLite's parser does, a + or - applied to a unary + replaces it
   * (`- + x` is `-x`, `+ + x` is `+x`), so a run of + is one level; a run
   * longer than MAX_PREFIX_RUN is TOO_BIG, where SQLite's parser stack ends.
   */
  private parsePrefix(): A.Expr {
    const first = this.peek().kind;
    if (first !== '-' && first !== '+' && first !== '~' && first !== 'NOT') return this.parsePrimary();
    const ops: Token[] = [];
    let base: A.Expr | null = null;
    while (base === null) {
      const t = this.peek();
      switch (t.kind) {
        case '-': case '+': case '~': {
          this.advance();
          const n = this.peek();
          if (t.kind === '-' && n.kind === 'integer' && n.value === '9223372036854775808') {
            base = this.parseSigned(t, n);
            break;
          }
          if (ops.length === MAX_PREFIX_RUN) {
            throw new HeliosError('TOO_BIG', `more than ${MAX_PREFIX_RUN} prefix operators in a row at line ${t.line}, column ${t.column}`, { line: t.line, column: t.column });
          }
          ops.push(t);
          break;
        }
        case 'NOT': {
          this.advance();
          const operand = this.parseBinary(P_NOT);
          base = { kind: 'Unary', pos: this.pos(t), op: 'NOT', operand };
          break;
        }
        default:
          base = this.parsePrimary();
      }
    }
    let e: A.Expr = base;
    for (let i = ops.length - 1; i >= 0; i--) {
      const t = ops[i]!;
      const op = t.kind as A.UnaryOp;
      const operand = op !== '~' && e.kind === 'Unary' && e.op === '+' ? e.operand : e;
      e = this.checkHeight({ kind: 'Unary', pos: this.pos(t), op, operand }, t);
    }
    return e;
  }

  private boolOrNull(t: Token): A.Expr | null {
    if (t.kind !== 'ident') return null;
    const u = t.value.length <= 5 ? t.value.toUpperCase() : '';
    if (u === 'TRUE') return { kind: 'Bool', pos: this.pos(t), value: true };
    if (u === 'FALSE') return { kind: 'Bool', pos: this.pos(t), value: false };
    return null;
  }

  private parsePrimary(): A.Expr {
    const t = this.peek();
    const pos = this.pos(t);
    switch (t.kind) {
      case 'integer':
        this.advance();
        return this.integerLiteral(t);
      case 'float':
        this.advance();
        return { kind: 'Real', pos, value: Number(t.value) };
      case 'string':
        this.advance();
        // `expr ::= nm . nm [. nm]` where nm may be a string: 'tbl'.col is a column, as in SQLite.
        if (this.peek().kind === '.') return this.qualifiedColumn(t, pos);
        return { kind: 'String', pos, value: t.value };
      case 'blob': {
        this.advance();
        const value = fromHex(t.value);
        if (value === null) throw this.unexpected(t);
        return { kind: 'Blob', pos, value };
      }
      case 'NULL':
        this.advance();
        return { kind: 'Null', pos };
      case 'CURRENT_TIME': case 'CURRENT_DATE': case 'CURRENT_TIMESTAMP':
        this.advance();
        return { kind: 'CurrentTime', pos, which: t.kind };
      case 'param':
        this.advance();
        return this.parameter(t);
      case '(': {
        this.advance();
        if (isQueryStart(this.peek().kind)) {
          const query = this.parseQuery();
          this.expect(')');
          return { kind: 'Subquery', pos, query };
        }
        const items = this.parseExprList();
        this.expect(')');
        if (items.length === 1) return items[0]!;
        return { kind: 'Row', pos, items };
      }
      case 'CAST': {
        this.advance();
        this.expect('(');
        const expr = this.parseExpr();
        this.expect('AS');
        const type = this.parseTypeName(false)!;
        this.expect(')');
        return { kind: 'Cast', pos, expr, type };
      }
      case 'CASE': return this.parseCase();
      case 'EXISTS': {
        this.advance();
        this.expect('(');
        const query = this.parseQuery();
        this.expect(')');
        return { kind: 'Exists', pos, query };
      }
      case 'RAISE': {
        this.advance();
        this.expect('(');
        const a = this.advance();
        if (a.kind === 'IGNORE') {
          this.expect(')');
          return { kind: 'Raise', pos, action: 'IGNORE', message: null };
        }
        if (a.kind !== 'ROLLBACK' && a.kind !== 'ABORT' && a.kind !== 'FAIL') throw this.unexpected(a, 'IGNORE, ROLLBACK, ABORT or FAIL');
        this.expect(',');
        const message = this.parseExpr();
        this.expect(')');
        return { kind: 'Raise', pos, action: a.kind, message };
      }
    }
    // `expr ::= idj | nm . nm …` where idj also takes JOIN_KW (SQLite 3.46+): `left` may be a column.
    if (this.isId(t) || JOIN_KW.has(t.kind)) {
      this.advance();
      const next = this.peek();
      if (next.kind === '(') return this.parseFunctionCall(t);
      if (next.kind === '.') return this.qualifiedColumn(t, pos);
      const b = this.boolOrNull(t);
      if (b !== null) return b;
      return { kind: 'Column', pos, schema: null, table: null, column: t.value, doubleQuoted: t.kind === 'dqident' };
    }
    throw this.unexpected(t);
  }

  /** After `first` (an id or a string) with `.` next: `first . nm [. nm]`, a column of a table (of a schema). */
  private qualifiedColumn(first: Token, pos: A.SourcePos): A.Expr {
    this.expect('.');
    const secondTok = this.peek();
    const second = this.parseNm('a column name');
    if (this.accept('.')) {
      const thirdTok = this.peek();
      const third = this.parseNm('a column name');
      return { kind: 'Column', pos, schema: first.value, table: second.name, column: third.name, doubleQuoted: thirdTok.kind === 'dqident' };
    }
    return { kind: 'Column', pos, schema: null, table: first.value, column: second.name, doubleQuoted: secondTok.kind === 'dqident' };
  }

  private integerLiteral(t: Token): A.Expr {
    const pos = this.pos(t);
    const text = t.value;
    if (text.length > 2 && (text.charCodeAt(1) === 120 || text.charCodeAt(1) === 88)) {
      const v = BigInt(text);
      if (v > UINT64_MAX) {
        throw syntaxError(this.sql, t.offset, t.line, t.column, `hex literal too big: ${text}`);
      }
      return { kind: 'Integer', pos, value: intValue(BigInt.asIntN(64, v)) };
    }
    if (text.length <= 15) return { kind: 'Integer', pos, value: Number(text) };
    const v = BigInt(text);
    if (v > INT64_MAX) return { kind: 'Real', pos, value: Number(text) };
    return { kind: 'Integer', pos, value: intValue(v) };
  }

  private parameter(t: Token): A.ParamExpr {
    const pos = this.pos(t);
    const text = t.value;
    const c = text.charCodeAt(0);
    if (c === 63 /* ? */) {
      if (text.length === 1) {
        const index = this.useParamIndex(this.maxParam + 1, t);
        return { kind: 'Param', pos, index, form: '?', name: null };
      }
      const n = text.length <= 6 ? Number(text.slice(1)) : Infinity;
      if (!(n >= 1 && n <= MAX_PARAMETER_INDEX)) {
        throw syntaxError(this.sql, t.offset, t.line, t.column, `variable number must be between ?1 and ?${MAX_PARAMETER_INDEX}`);
      }
      return { kind: 'Param', pos, index: this.useParamIndex(n, t), form: '?NNN', name: null };
    }
    const form = c === 58 ? ':' : c === 64 ? '@' : '$';
    this.paramByName ??= new Map();
    let index = this.paramByName.get(text);
    if (index === undefined) {
      index = this.useParamIndex(this.maxParam + 1, t);
      this.paramByName.set(text, index);
      while (this.paramNames.length < index) this.paramNames.push(null);
      this.paramNames[index - 1] = text;
    }
    return { kind: 'Param', pos, index, form, name: text };
  }

  private useParamIndex(index: number, t: Token): number {
    if (index > MAX_PARAMETER_INDEX) {
      throw new HeliosError('TOO_BIG', `too many SQL variables at line ${t.line}, column ${t.column}`, { line: t.line, column: t.column });
    }
    if (index > this.maxParam) this.maxParam = index;
    return index;
  }

  /** call ::= name ( [[DISTINCT|ALL] exprs | *] ) [FILTER (WHERE expr)] */
  private parseFunctionCall(nameTok: Token): A.FunctionExpr {
    const pos = this.pos(nameTok);
    this.expect('(');
    let star = false;
    let distinct = false;
    let args: A.Expr[] = [];
    let orderBy: A.OrderingTerm[] | undefined;
    if (this.accept('*')) star = true;
    else if (!this.at(')')) {
      if (this.accept('DISTINCT')) distinct = true;
      else this.accept('ALL');
      if (!this.at('ORDER')) args = this.parseExprList();
      if (this.accept('ORDER')) {
        this.expect('BY');
        const terms = this.parseOrderingTerms();
        // As SQLite: ORDER BY on a call without arguments is dropped.
        if (args.length > 0) orderBy = terms;
      }
    }
    this.expect(')');
    let filter: A.Expr | null = null;
    if (this.at('FILTER')) {
      this.advance();
      this.expect('(');
      this.expect('WHERE');
      filter = this.parseExpr();
      this.expect(')');
    }
    if (this.accept('OVER')) {
      let over: A.OverClause;
      if (this.accept('(')) {
        over = { kind: 'Window', window: this.parseWindow() };
        this.expect(')');
      } else over = { kind: 'Named', name: this.parseNm('a window name') };
      return { kind: 'Function', pos, name: nameTok.value, args, star, distinct, filter, over, ...(orderBy ? { orderBy } : {}) };
    }
    return { kind: 'Function', pos, name: nameTok.value, args, star, distinct, filter, ...(orderBy ? { orderBy } : {}) };
  }

  /**
   * window ::= [nm] [PARTITION BY exprs] [ORDER BY terms] [frame] — the text
   * inside `OVER (…)` / `AS (…)`. As in SQLite's parser, PARTITION, ORDER,
   * ROWS, RANGE and GROUPS here are keywords, never a base window's name.
   */
  private parseWindow(): A.WindowDef {
    const first = this.peek();
    let base: A.Name | null = null;
    const k = first.kind;
    if (k !== 'PARTITION' && k !== 'ORDER' && k !== 'ROWS' && k !== 'RANGE' && k !== 'GROUPS' && k !== ')' && this.isNm(first)) base = this.parseNm('a window name');
    let partitionBy: A.Expr[] = [];
    if (this.accept('PARTITION')) {
      this.expect('BY');
      partitionBy = this.parseExprList();
    }
    let orderBy: A.OrderingTerm[] = [];
    if (this.accept('ORDER')) {
      this.expect('BY');
      orderBy = this.parseOrderingTerms();
    }
    const u = this.peek().kind;
    const frame = u === 'ROWS' || u === 'RANGE' || u === 'GROUPS' ? this.parseFrame() : null;
    return { pos: this.pos(first), base, partitionBy, orderBy, frame };
  }

  /** frame ::= (ROWS|RANGE|GROUPS) (bound | BETWEEN bound AND bound) [EXCLUDE (NO OTHERS|CURRENT ROW|GROUP|TIES)] */
  private parseFrame(): A.WindowFrame {
    const ut = this.advance();
    const units = ut.kind as A.WindowFrame['units'];
    let start: A.FrameBound;
    let end: A.FrameBound;
    if (this.accept('BETWEEN')) {
      start = this.parseFrameBound(true);
      this.expect('AND');
      end = this.parseFrameBound(false);
    } else {
      start = this.parseFrameBound(true);
      end = { kind: 'CurrentRow' };
    }
    // SQLite's sqlite3WindowAlloc: the start may not come after the end in the order
    // UNBOUNDED PRECEDING, n PRECEDING, CURRENT ROW, n FOLLOWING, UNBOUNDED FOLLOWING.
    if ((start.kind === 'CurrentRow' && end.kind === 'Preceding') || (start.kind === 'Following' && (end.kind === 'Preceding' || end.kind === 'CurrentRow'))) {
      throw new HeliosError('SQL_ERROR', 'unsupported frame specification', { line: ut.line, column: ut.column });
    }
    let exclude: A.WindowFrame['exclude'] = 'NO OTHERS';
    const excludeWritten = this.accept('EXCLUDE');
    if (excludeWritten) {
      const t = this.advance();
      if (t.kind === 'NO') {
        this.expect('OTHERS');
      } else if (t.kind === 'CURRENT') {
        this.expect('ROW');
        exclude = 'CURRENT ROW';
      } else if (t.kind === 'GROUP') exclude = 'GROUP';
      else if (t.kind === 'TIES') exclude = 'TIES';
      else throw this.unexpected(t, 'NO OTHERS, CURRENT ROW, GROUP or TIES');
    }
    return { units, start, end, exclude, ...(excludeWritten ? { excludeWritten } : {}) };
  }

  /** bound ::= UNBOUNDED PRECEDING (start) | UNBOUNDED FOLLOWING (end) | CURRENT ROW | expr PRECEDING | expr FOLLOWING */
  private parseFrameBound(isStart: boolean): A.FrameBound {
    const t = this.peek();
    if (t.kind === 'UNBOUNDED') {
      this.advance();
      if (isStart) {
        this.expect('PRECEDING');
        return { kind: 'UnboundedPreceding' };
      }
      this.expect('FOLLOWING');
      return { kind: 'UnboundedFollowing' };
    }
    if (t.kind === 'CURRENT' && this.peek(1).kind === 'ROW') {
      this.advance();
      this.advance();
      return { kind: 'CurrentRow' };
    }
    const offset = this.parseExpr();
    if (this.accept('PRECEDING')) return { kind: 'Preceding', offset };
    this.expect('FOLLOWING');
    return { kind: 'Following', offset };
  }

  /** case ::= CASE [expr] (WHEN expr THEN expr)+ [ELSE expr] END */
  private parseCase(): A.CaseExpr {
    const t = this.expect('CASE');
    const base = this.at('WHEN') ? null : this.parseExpr();
    const whens: { when: A.Expr; then: A.Expr }[] = [];
    this.expect('WHEN');
    do {
      const when = this.parseExpr();
      this.expect('THEN');
      whens.push({ when, then: this.parseExpr() });
    } while (this.accept('WHEN'));
    const elseExpr = this.accept('ELSE') ? this.parseExpr() : null;
    this.expect('END');
    return { kind: 'Case', pos: this.pos(t), base, whens, else: elseExpr };
  }
}
