/**
 * The SQL abstract syntax tree produced by `sql/parser.ts`.
 *
 * Every node is a readonly object with a `kind` discriminant; consumers match
 * with `switch (node.kind)` and end with `assertNever` (format/errors.ts) so a
 * new kind without a handler fails the type check.
 *
 * Contracts:
 * - The tree is syntax only. Names (tables, columns, functions, collations,
 *   types) are kept exactly as written (quotes removed, case preserved);
 *   resolving them, case-insensitively as SQLite does, is the planner's job.
 * - Operators are normalised: `==` → `=`, `<>` → `!=`, `IS NOT DISTINCT FROM`
 *   → `IS`, `IS DISTINCT FROM` → `IS NOT`, `REPLACE INTO` → `INSERT OR REPLACE`,
 *   `END` → `COMMIT`. Nothing else is folded except the literal
 *   `-9223372036854775808`, which becomes one Integer (as in SQLite).
 * - `pos` is where the node starts in the SQL text handed to the parser (the
 *   whole text, not the statement): `offset` 0-based in UTF-16 code units,
 *   `line` and `column` 1-based. Errors about a node use it.
 * - Arrays are never shared between nodes and never mutated after parsing.
 *
 * `formatStatement` / `formatQuery` / `formatExpr` print a node back as
 * canonical SQL: every expression fully parenthesised, keywords upper-case,
 * names quoted only when needed. Parsing that text yields the same tree
 * (positions, `sql` and ResultColumn `text` aside); golden tests and EXPLAIN
 * use it.
 */
import { KEYWORDS } from './lexer.ts';
import { assertNever } from '../format/errors.ts';
import { toHex } from '../format/bytes.ts';

/** A point in the SQL text. offset: 0-based UTF-16 index; line, column: 1-based. */
export interface SourcePos {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

/** A name as written (identifier quotes removed), with where it was written. */
export interface Name {
  readonly name: string;
  readonly pos: SourcePos;
}

// ---------------------------------------------------------------------------
// Statements

export type Statement =
  | SelectStmt
  | InsertStmt
  | UpdateStmt
  | DeleteStmt
  | CreateTableStmt
  | CreateVirtualTableStmt
  | CreateIndexStmt
  | CreateViewStmt
  | CreateTriggerStmt
  | DropStmt
  | AlterTableStmt
  | BeginStmt
  | CommitStmt
  | RollbackStmt
  | SavepointStmt
  | ReleaseStmt
  | PragmaStmt
  | ExplainStmt
  | ReindexStmt
  | VacuumStmt
  | AnalyzeStmt;

/**
 * The parameters of one statement, numbered as SQLite numbers them:
 * `?` takes the largest index used so far + 1, `?NNN` takes NNN, and a named
 * parameter (`:a`, `@a`, `$a`) takes the next index on its first appearance and
 * reuses it afterwards (same spelling, prefix included).
 */
export interface ParameterInfo {
  /** The largest index used; 0 when the statement has no parameters. */
  readonly count: number;
  /** `names[i]` is the name of index i+1 with its prefix (':mrn', '@x', '$y'), or
   *  null for `?` / `?NNN` indexes and for indexes that no parameter used. */
  readonly names: readonly (string | null)[];
}

/** Fields every statement carries. */
export interface StatementBase {
  readonly pos: SourcePos;
  /** The statement's exact source text, from its first token to its last (no `;`).
   *  CREATE statements store this in sqlite_schema.sql. */
  readonly sql: string;
  /** Parameters of this statement (for EXPLAIN, those of the explained one). */
  readonly parameters: ParameterInfo;
}

export interface SelectStmt extends StatementBase {
  readonly kind: 'Select';
  readonly query: Query;
}

/** What to do on a constraint conflict: `INSERT OR x`, `UPDATE OR x`, `ON CONFLICT x` in DDL. */
export type ConflictAction = 'ROLLBACK' | 'ABORT' | 'FAIL' | 'IGNORE' | 'REPLACE';

export interface InsertStmt extends StatementBase {
  readonly kind: 'Insert';
  readonly with: WithClause | null;
  /** `INSERT OR x` / `REPLACE INTO` (→ 'REPLACE'); null for plain INSERT. */
  readonly orConflict: ConflictAction | null;
  readonly schema: string | null;
  readonly table: Name;
  /** `INSERT INTO t AS alias` (used by upsert expressions). */
  readonly alias: string | null;
  /** The column list, or null when omitted (all columns in declaration order). */
  readonly columns: readonly Name[] | null;
  readonly source: InsertSource;
  /** ON CONFLICT clauses in order (SQLite allows several; only the last may omit a target). */
  readonly upsert: readonly UpsertClause[];
  readonly returning: readonly ResultColumn[] | null;
}

export type InsertSource =
  /** A plain `VALUES (…), (…)` list: no compound operator, ORDER BY or LIMIT. */
  | { readonly kind: 'Values'; readonly rows: readonly (readonly Expr[])[] }
  /** Any other query, including VALUES combined with UNION etc. */
  | { readonly kind: 'Select'; readonly query: Query }
  | { readonly kind: 'DefaultValues' };

export interface UpsertClause {
  readonly pos: SourcePos;
  /** `ON CONFLICT (cols) [WHERE …]`, or null when no target is given. */
  readonly target: { readonly columns: readonly IndexedColumn[]; readonly where: Expr | null } | null;
  readonly action: { readonly kind: 'Nothing' } | { readonly kind: 'Update'; readonly sets: readonly SetClause[]; readonly where: Expr | null };
}

/** `col = expr`, or `(a, b) = expr` (row value) when `columns` has several names. */
export interface SetClause {
  readonly columns: readonly Name[];
  readonly value: Expr;
}

/** A table named as the target of UPDATE/DELETE: `[schema.]name [AS alias] [INDEXED BY i | NOT INDEXED]`. */
export interface QualifiedTable {
  readonly pos: SourcePos;
  readonly schema: string | null;
  readonly name: string;
  readonly alias: string | null;
  /** null: no clause; string: INDEXED BY that index; false: NOT INDEXED. */
  readonly indexedBy: string | false | null;
}

export interface UpdateStmt extends StatementBase {
  readonly kind: 'Update';
  readonly with: WithClause | null;
  readonly orConflict: ConflictAction | null;
  readonly table: QualifiedTable;
  readonly sets: readonly SetClause[];
  /** `UPDATE … SET … FROM …` (SQLite 3.33+). */
  readonly from: FromItem | null;
  readonly where: Expr | null;
  readonly returning: readonly ResultColumn[] | null;
}

export interface DeleteStmt extends StatementBase {
  readonly kind: 'Delete';
  readonly with: WithClause | null;
  readonly table: QualifiedTable;
  readonly where: Expr | null;
  readonly returning: readonly ResultColumn[] | null;
}

export interface CreateTableStmt extends StatementBase {
  readonly kind: 'CreateTable';
  readonly temporary: boolean;
  readonly ifNotExists: boolean;
  readonly schema: string | null;
  readonly name: Name;
  readonly definition: TableDefinition | { readonly kind: 'AsSelect'; readonly query: Query };
}

/**
 * `CREATE VIRTUAL TABLE [IF NOT EXISTS] [schema.]name USING module[(args)]`:
 * each argument is its source text as written (tokens and the space between
 * them, outer spaces trimmed), split at the commas outside parentheses; an
 * empty one is dropped (SQLite's vtabarg rule).
 */
export interface CreateVirtualTableStmt extends StatementBase {
  readonly kind: 'CreateVirtualTable';
  readonly ifNotExists: boolean;
  readonly schema: string | null;
  readonly name: Name;
  readonly module: Name;
  readonly args: readonly string[];
}

export interface TableDefinition {
  readonly kind: 'Columns';
  readonly columns: readonly ColumnDef[];
  readonly constraints: readonly TableConstraint[];
  readonly withoutRowid: boolean;
  readonly strict: boolean;
}

/**
 * A declared type: words as written, joined by one space ('VARCHAR',
 * 'UNSIGNED BIG INT', 'DOUBLE PRECISION'), and the size arguments as written
 * (`DECIMAL(10,2)` → ['10', '2'], signs included). SQLite derives affinity from `name`.
 */
export interface TypeName {
  readonly name: string;
  readonly args: readonly string[];
}

export interface ColumnDef {
  readonly pos: SourcePos;
  readonly name: Name;
  readonly type: TypeName | null;
  readonly constraints: readonly ColumnConstraint[];
}

/** Column and table constraints may be named with `CONSTRAINT name`. */
interface ConstraintBase {
  readonly pos: SourcePos;
  readonly name: string | null;
}

export type ColumnConstraint =
  | (ConstraintBase & {
      readonly kind: 'PrimaryKey';
      readonly order: 'ASC' | 'DESC' | null;
      readonly conflict: ConflictAction | null;
      readonly autoincrement: boolean;
    })
  | (ConstraintBase & { readonly kind: 'NotNull'; readonly conflict: ConflictAction | null })
  | (ConstraintBase & { readonly kind: 'Unique'; readonly conflict: ConflictAction | null })
  | (ConstraintBase & { readonly kind: 'Check'; readonly expr: Expr })
  | (ConstraintBase & {
      readonly kind: 'Default';
      /** A literal, a signed number (Unary over a number), CURRENT_*, or a parenthesised expression. */
      readonly expr: Expr;
      /** The default as written, without enclosing parentheses: PRAGMA table_info's dflt_value. */
      readonly text: string;
    })
  | (ConstraintBase & { readonly kind: 'Collate'; readonly collation: string })
  | (ConstraintBase & { readonly kind: 'References'; readonly foreignKey: ForeignKeyClause })
  | (ConstraintBase & { readonly kind: 'Generated'; readonly expr: Expr; readonly stored: boolean });

export type TableConstraint =
  | (ConstraintBase & {
      readonly kind: 'PrimaryKey';
      readonly columns: readonly IndexedColumn[];
      readonly conflict: ConflictAction | null;
      readonly autoincrement: boolean;
    })
  | (ConstraintBase & { readonly kind: 'Unique'; readonly columns: readonly IndexedColumn[]; readonly conflict: ConflictAction | null })
  | (ConstraintBase & { readonly kind: 'Check'; readonly expr: Expr })
  | (ConstraintBase & { readonly kind: 'ForeignKey'; readonly columns: readonly Name[]; readonly foreignKey: ForeignKeyClause });

export type ForeignKeyAction = 'SET NULL' | 'SET DEFAULT' | 'CASCADE' | 'RESTRICT' | 'NO ACTION';

export interface ForeignKeyClause {
  readonly table: Name;
  /** The referenced columns, or null (the parent's primary key). */
  readonly columns: readonly Name[] | null;
  readonly onDelete: ForeignKeyAction | null;
  readonly onUpdate: ForeignKeyAction | null;
  /** `DEFERRABLE INITIALLY DEFERRED`; every other form is immediate. */
  readonly deferred: boolean;
}

/**
 * An index key term (CREATE INDEX, PRIMARY KEY/UNIQUE table constraints,
 * upsert targets). `expr` is a Column for a plain column; a trailing COLLATE is
 * lifted into `collation`, never left as a Collate node at the top.
 */
export interface IndexedColumn {
  readonly pos: SourcePos;
  readonly expr: Expr;
  readonly collation: string | null;
  readonly order: 'ASC' | 'DESC' | null;
}

export interface CreateIndexStmt extends StatementBase {
  readonly kind: 'CreateIndex';
  readonly unique: boolean;
  readonly ifNotExists: boolean;
  readonly schema: string | null;
  readonly name: Name;
  readonly table: Name;
  readonly columns: readonly IndexedColumn[];
  /** Partial index predicate. */
  readonly where: Expr | null;
}

export interface CreateViewStmt extends StatementBase {
  readonly kind: 'CreateView';
  readonly temporary: boolean;
  readonly ifNotExists: boolean;
  readonly schema: string | null;
  readonly name: Name;
  readonly columns: readonly Name[] | null;
  readonly query: Query;
}

/** A statement of a trigger body: INSERT, UPDATE, DELETE or SELECT (parse.y `trigger_cmd`). */
export type TriggerBodyStmt = InsertStmt | UpdateStmt | DeleteStmt | SelectStmt;

/**
 * `CREATE [TEMP] TRIGGER [IF NOT EXISTS] name [BEFORE|AFTER|INSTEAD OF]
 * (DELETE|INSERT|UPDATE [OF cols]) ON table [FOR EACH ROW] [WHEN expr]
 * BEGIN stmt; … END`. No timing means BEFORE, as in SQLite.
 */
export interface CreateTriggerStmt extends StatementBase {
  readonly kind: 'CreateTrigger';
  readonly temporary: boolean;
  readonly ifNotExists: boolean;
  readonly schema: string | null;
  readonly name: Name;
  readonly timing: 'BEFORE' | 'AFTER' | 'INSTEAD OF';
  readonly event: 'INSERT' | 'UPDATE' | 'DELETE';
  /** `UPDATE OF a, b`: the columns whose assignment fires the trigger; null for any UPDATE. */
  readonly columns: readonly Name[] | null;
  readonly table: Name;
  readonly forEachRow: boolean;
  readonly when: Expr | null;
  readonly body: readonly TriggerBodyStmt[];
}

export interface DropStmt extends StatementBase {
  readonly kind: 'Drop';
  readonly objectType: 'TABLE' | 'INDEX' | 'VIEW' | 'TRIGGER';
  readonly ifExists: boolean;
  readonly schema: string | null;
  readonly name: Name;
}

export interface AlterTableStmt extends StatementBase {
  readonly kind: 'AlterTable';
  readonly schema: string | null;
  readonly table: Name;
  readonly action:
    | { readonly kind: 'RenameTable'; readonly newName: Name }
    | { readonly kind: 'RenameColumn'; readonly column: Name; readonly newName: Name }
    | { readonly kind: 'AddColumn'; readonly column: ColumnDef }
    | { readonly kind: 'DropColumn'; readonly column: Name };
}

export interface BeginStmt extends StatementBase {
  readonly kind: 'Begin';
  readonly mode: 'DEFERRED' | 'IMMEDIATE' | 'EXCLUSIVE' | null;
}

/** COMMIT [TRANSACTION] and END [TRANSACTION]. */
export interface CommitStmt extends StatementBase {
  readonly kind: 'Commit';
}

export interface RollbackStmt extends StatementBase {
  readonly kind: 'Rollback';
  /** `ROLLBACK TO [SAVEPOINT] name`; null rolls back the whole transaction. */
  readonly savepoint: Name | null;
}

export interface SavepointStmt extends StatementBase {
  readonly kind: 'Savepoint';
  readonly name: Name;
}

export interface ReleaseStmt extends StatementBase {
  readonly kind: 'Release';
  readonly name: Name;
}

/**
 * A pragma argument as SQLite's grammar allows it: a signed number (text keeps
 * the sign, e.g. '-2000'), a string literal (unquoted value), or a bare name /
 * keyword such as ON, NORMAL, patients.
 */
export interface PragmaValue {
  readonly kind: 'number' | 'string' | 'name';
  readonly text: string;
  readonly pos: SourcePos;
}

export interface PragmaStmt extends StatementBase {
  readonly kind: 'Pragma';
  readonly schema: string | null;
  readonly name: Name;
  /** `PRAGMA x = v` → 'assign'; `PRAGMA x(v)` → 'call'; `PRAGMA x` → null form and null value. */
  readonly form: 'assign' | 'call' | null;
  readonly value: PragmaValue | null;
}

export interface ExplainStmt extends StatementBase {
  readonly kind: 'Explain';
  readonly queryPlan: boolean;
  /** Never itself an Explain. */
  readonly statement: Statement;
}

export interface ReindexStmt extends StatementBase {
  readonly kind: 'Reindex';
  readonly schema: string | null;
  /** Collation, table or index name; null reindexes everything. */
  readonly name: Name | null;
}

export interface VacuumStmt extends StatementBase {
  readonly kind: 'Vacuum';
  readonly schema: string | null;
  readonly into: Expr | null;
}

export interface AnalyzeStmt extends StatementBase {
  readonly kind: 'Analyze';
  readonly schema: string | null;
  readonly name: Name | null;
}

// ---------------------------------------------------------------------------
// Queries

export interface WithClause {
  readonly recursive: boolean;
  readonly ctes: readonly CommonTableExpr[];
}

export interface CommonTableExpr {
  readonly pos: SourcePos;
  readonly name: Name;
  readonly columns: readonly Name[] | null;
  /** `AS MATERIALIZED` → true, `AS NOT MATERIALIZED` → false, plain AS → null. */
  readonly materialized: boolean | null;
  readonly query: Query;
}

/**
 * A complete query: WITH, a body (a SELECT core, VALUES, or a compound of
 * them), then ORDER BY / LIMIT / OFFSET applying to the whole body.
 * `LIMIT a, b` is normalised to `limit: b, offset: a` (SQLite's reversed order).
 */
export interface Query {
  readonly kind: 'Query';
  readonly pos: SourcePos;
  readonly with: WithClause | null;
  readonly body: QueryBody;
  readonly orderBy: readonly OrderingTerm[];
  readonly limit: Expr | null;
  readonly offset: Expr | null;
}

export type QueryBody = SelectCore | ValuesBody | CompoundBody;

export interface SelectCore {
  readonly kind: 'SelectCore';
  readonly pos: SourcePos;
  readonly distinct: boolean;
  readonly columns: readonly ResultColumn[];
  readonly from: FromItem | null;
  readonly where: Expr | null;
  readonly groupBy: readonly Expr[];
  readonly having: Expr | null;
  /** `WINDOW w AS (…), …` in written order (absent when there is none); a later definition of a name wins, as in SQLite. */
  readonly windows?: readonly NamedWindow[];
}

/** One definition of a WINDOW clause. */
export interface NamedWindow {
  readonly name: Name;
  readonly window: WindowDef;
}

/**
 * A window as written in `OVER (…)` or `WINDOW w AS (…)`: an optional base
 * window name (`OVER (w ORDER BY x)`), PARTITION BY, ORDER BY and a frame
 * (null: none written, SQLite's implicit `RANGE BETWEEN UNBOUNDED PRECEDING
 * AND CURRENT ROW`). Inheritance and the frame rules are checked by the planner.
 */
export interface WindowDef {
  readonly pos: SourcePos;
  readonly base: Name | null;
  readonly partitionBy: readonly Expr[];
  readonly orderBy: readonly OrderingTerm[];
  readonly frame: WindowFrame | null;
}

export interface WindowFrame {
  readonly units: 'ROWS' | 'RANGE' | 'GROUPS';
  readonly start: FrameBound;
  /** For the one-bound form (`ROWS 2 PRECEDING`) the parser fills in CURRENT ROW. */
  readonly end: FrameBound;
  readonly exclude: 'NO OTHERS' | 'CURRENT ROW' | 'GROUP' | 'TIES';
  /** An EXCLUDE clause is written (even EXCLUDE NO OTHERS, which sends SQLite down its full-scan frame path). */
  readonly excludeWritten?: boolean;
}

export type FrameBound =
  | { readonly kind: 'UnboundedPreceding' }
  | { readonly kind: 'Preceding'; readonly offset: Expr }
  | { readonly kind: 'CurrentRow' }
  | { readonly kind: 'Following'; readonly offset: Expr }
  | { readonly kind: 'UnboundedFollowing' };

/** `OVER name` or `OVER (window)`. */
export type OverClause = { readonly kind: 'Named'; readonly name: Name } | { readonly kind: 'Window'; readonly window: WindowDef };

/** `VALUES (…), (…)`; every row has the same number of expressions (checked by the parser). */
export interface ValuesBody {
  readonly kind: 'Values';
  readonly pos: SourcePos;
  readonly rows: readonly (readonly Expr[])[];
}

export type CompoundOp = 'UNION' | 'UNION ALL' | 'INTERSECT' | 'EXCEPT';

/** Compound operators all have the same precedence and associate left: `a UNION b EXCEPT c` is `(a UNION b) EXCEPT c`. */
export interface CompoundBody {
  readonly kind: 'Compound';
  readonly pos: SourcePos;
  readonly op: CompoundOp;
  readonly left: QueryBody;
  readonly right: SelectCore | ValuesBody;
}

export type ResultColumn =
  | { readonly kind: 'Star'; readonly pos: SourcePos }
  | { readonly kind: 'TableStar'; readonly pos: SourcePos; readonly table: string }
  | {
      readonly kind: 'Expr';
      readonly pos: SourcePos;
      readonly expr: Expr;
      readonly alias: string | null;
      /** The expression's source text exactly as written: SQLite names an
       *  un-aliased result column by it (`count(*)`, `a+1`). */
      readonly text: string;
    };

export interface OrderingTerm {
  readonly pos: SourcePos;
  /** May be a Collate node (`ORDER BY name COLLATE NOCASE`), or an Integer (a result column position). */
  readonly expr: Expr;
  readonly direction: 'ASC' | 'DESC' | null;
  readonly nulls: 'FIRST' | 'LAST' | null;
}

/**
 * A FROM clause is one FromItem; joins form a left-deep tree in source order
 * (`a, b JOIN c` is Join(Join(a, b), c)). A parenthesised join is just a nested
 * FromItem.
 */
export type FromItem = TableRef | SubqueryRef | JoinRef;

export interface TableRef {
  readonly kind: 'Table';
  readonly pos: SourcePos;
  readonly schema: string | null;
  readonly name: string;
  readonly alias: string | null;
  /** null: no clause; string: INDEXED BY that index; false: NOT INDEXED. */
  readonly indexedBy: string | false | null;
  /** `name(args)`: a table-valued function call (sql/vtab.ts); absent for a plain table name. */
  readonly args?: readonly Expr[];
}

export interface SubqueryRef {
  readonly kind: 'Subquery';
  readonly pos: SourcePos;
  readonly query: Query;
  readonly alias: string | null;
}

export type JoinType = 'INNER' | 'LEFT' | 'RIGHT' | 'FULL' | 'CROSS';

export interface JoinRef {
  readonly kind: 'Join';
  readonly pos: SourcePos;
  /** Plain `JOIN` and `,` are INNER (`comma` tells them apart); `LEFT OUTER` is LEFT. */
  readonly joinType: JoinType;
  readonly natural: boolean;
  readonly comma: boolean;
  readonly left: FromItem;
  readonly right: FromItem;
  readonly on: Expr | null;
  readonly using: readonly Name[] | null;
}

// ---------------------------------------------------------------------------
// Expressions

export type Expr =
  | IntegerLiteral
  | RealLiteral
  | StringLiteral
  | BlobLiteral
  | NullLiteral
  | BoolLiteral
  | CurrentTimeLiteral
  | ParamExpr
  | ColumnExpr
  | UnaryExpr
  | BinaryExpr
  | BetweenExpr
  | InListExpr
  | InSelectExpr
  | InTableExpr
  | LikeExpr
  | IsNullExpr
  | CollateExpr
  | CaseExpr
  | CastExpr
  | ExistsExpr
  | SubqueryExpr
  | FunctionExpr
  | RowExpr
  | RaiseExpr;

/**
 * An integer literal that fits in signed 64 bits: a number when within
 * ±(2^53-1), else a bigint (the SqlValue convention). Hex literals are read as
 * 64-bit two's complement (0xFFFFFFFFFFFFFFFF is -1), as in SQLite.
 */
export interface IntegerLiteral {
  readonly kind: 'Integer';
  readonly pos: SourcePos;
  readonly value: number | bigint;
}

/** A real literal, or a decimal integer literal too large for 64 bits (SQLite reads those as REAL).
 *  `value` may be integral (1.0, 1e3): executors must keep it REAL (makeReal). */
export interface RealLiteral {
  readonly kind: 'Real';
  readonly pos: SourcePos;
  readonly value: number;
}

export interface StringLiteral {
  readonly kind: 'String';
  readonly pos: SourcePos;
  readonly value: string;
}

/** X'…' — returned bytes are owned by the node; do not mutate. */
export interface BlobLiteral {
  readonly kind: 'Blob';
  readonly pos: SourcePos;
  readonly value: Uint8Array;
}

export interface NullLiteral {
  readonly kind: 'Null';
  readonly pos: SourcePos;
}

/** TRUE / FALSE (SQLite: the integers 1 and 0). */
export interface BoolLiteral {
  readonly kind: 'Bool';
  readonly pos: SourcePos;
  readonly value: boolean;
}

export interface CurrentTimeLiteral {
  readonly kind: 'CurrentTime';
  readonly pos: SourcePos;
  readonly which: 'CURRENT_TIME' | 'CURRENT_DATE' | 'CURRENT_TIMESTAMP';
}

/** A bound parameter. `index` is the 1-based slot (see ParameterInfo). */
export interface ParamExpr {
  readonly kind: 'Param';
  readonly pos: SourcePos;
  readonly index: number;
  /** '?' anonymous, '?NNN' numbered, ':' '@' '$' named. */
  readonly form: '?' | '?NNN' | ':' | '@' | '$';
  /** For named forms, the name with its prefix (':mrn'); otherwise null. */
  readonly name: string | null;
}

/** `[schema.][table.]column`. */
export interface ColumnExpr {
  readonly kind: 'Column';
  readonly pos: SourcePos;
  readonly schema: string | null;
  readonly table: string | null;
  readonly column: string;
  /** True when the column name was written in double quotes: SQLite treats an
   *  unresolvable "name" as the string 'name'. */
  readonly doubleQuoted: boolean;
}

export type UnaryOp = '-' | '+' | '~' | 'NOT';

export interface UnaryExpr {
  readonly kind: 'Unary';
  readonly pos: SourcePos;
  readonly op: UnaryOp;
  readonly operand: Expr;
}

export type BinaryOp =
  | '||' | '->' | '->>'
  | '*' | '/' | '%'
  | '+' | '-'
  | '&' | '|' | '<<' | '>>'
  | '<' | '<=' | '>' | '>='
  | '=' | '!=' | 'IS' | 'IS NOT'
  | 'AND' | 'OR';

export interface BinaryExpr {
  readonly kind: 'Binary';
  readonly pos: SourcePos;
  readonly op: BinaryOp;
  readonly left: Expr;
  readonly right: Expr;
}

export interface BetweenExpr {
  readonly kind: 'Between';
  readonly pos: SourcePos;
  readonly not: boolean;
  readonly expr: Expr;
  readonly low: Expr;
  readonly high: Expr;
}

/** `x [NOT] IN (a, b, …)`; `items` may be empty (`x IN ()` is valid SQLite). */
export interface InListExpr {
  readonly kind: 'InList';
  readonly pos: SourcePos;
  readonly not: boolean;
  readonly expr: Expr;
  readonly items: readonly Expr[];
}

export interface InSelectExpr {
  readonly kind: 'InSelect';
  readonly pos: SourcePos;
  readonly not: boolean;
  readonly expr: Expr;
  readonly query: Query;
}

/** `x [NOT] IN [schema.]table` (SQLite shorthand for `IN (SELECT * FROM table)`). */
export interface InTableExpr {
  readonly kind: 'InTable';
  readonly pos: SourcePos;
  readonly not: boolean;
  readonly expr: Expr;
  readonly schema: string | null;
  readonly table: string;
}

export interface LikeExpr {
  readonly kind: 'Like';
  readonly pos: SourcePos;
  readonly op: 'LIKE' | 'GLOB' | 'REGEXP' | 'MATCH';
  readonly not: boolean;
  readonly expr: Expr;
  readonly pattern: Expr;
  readonly escape: Expr | null;
}

/** Postfix `x ISNULL`, `x NOTNULL`, `x NOT NULL` (`not` true for the last two).
 *  `x IS NULL` is a Binary IS with a Null right operand. */
export interface IsNullExpr {
  readonly kind: 'IsNull';
  readonly pos: SourcePos;
  readonly not: boolean;
  readonly expr: Expr;
}

export interface CollateExpr {
  readonly kind: 'Collate';
  readonly pos: SourcePos;
  readonly expr: Expr;
  readonly collation: string;
}

export interface CaseExpr {
  readonly kind: 'Case';
  readonly pos: SourcePos;
  /** `CASE base WHEN …`; null for the searched form `CASE WHEN cond …`. */
  readonly base: Expr | null;
  readonly whens: readonly { readonly when: Expr; readonly then: Expr }[];
  readonly else: Expr | null;
}

export interface CastExpr {
  readonly kind: 'Cast';
  readonly pos: SourcePos;
  readonly expr: Expr;
  readonly type: TypeName;
}

/** `EXISTS (select)`; `NOT EXISTS` is Unary NOT over this. */
export interface ExistsExpr {
  readonly kind: 'Exists';
  readonly pos: SourcePos;
  readonly query: Query;
}

/** A scalar subquery `(select …)`. */
export interface SubqueryExpr {
  readonly kind: 'Subquery';
  readonly pos: SourcePos;
  readonly query: Query;
}

/**
 * A function call. `count(*)` has `star: true` and no args. `distinct` is
 * `f(DISTINCT x)`; `filter` is `FILTER (WHERE …)`; `over` (absent for a plain
 * call) makes it a window function call.
 */
export interface FunctionExpr {
  readonly kind: 'Function';
  readonly pos: SourcePos;
  readonly name: string;
  readonly args: readonly Expr[];
  readonly star: boolean;
  readonly distinct: boolean;
  readonly filter: Expr | null;
  readonly over?: OverClause;
  /** `f(x, … ORDER BY y)` (SQLite 3.44+): the order an aggregate sees its rows in; absent when not written (SQLite drops it on a call without arguments). */
  readonly orderBy?: readonly OrderingTerm[];
}

/** A row value `(a, b, …)` with at least two items (`(a)` is just `a`). */
export interface RowExpr {
  readonly kind: 'Row';
  readonly pos: SourcePos;
  readonly items: readonly Expr[];
}

/** `RAISE(IGNORE)` / `RAISE(ROLLBACK|ABORT|FAIL, message)`; only meaningful inside triggers. */
export interface RaiseExpr {
  readonly kind: 'Raise';
  readonly pos: SourcePos;
  readonly action: 'IGNORE' | 'ROLLBACK' | 'ABORT' | 'FAIL';
  readonly message: Expr | null;
}

// ---------------------------------------------------------------------------
// Canonical text (see the module comment)

const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A name as SQL: bare when it is a plain identifier and not a keyword, else in backquotes. */
export function formatName(name: string): string {
  if (PLAIN_NAME.test(name)) {
    const u = name.toUpperCase();
    if (!KEYWORDS.has(u) && u !== 'TRUE' && u !== 'FALSE') return name;
  }
  return '`' + name.replace(/`/g, '``') + '`';
}

function formatQualified(schema: string | null, name: string): string {
  return schema === null ? formatName(name) : `${formatName(schema)}.${formatName(name)}`;
}

function formatString(s: string): string {
  return "'" + s.replace(/'/g, "''") + "'";
}

function formatInteger(v: number | bigint): string {
  if (v >= 0) return String(v);
  const b = BigInt(v);
  if (b === -(1n << 63n)) return '-9223372036854775808';
  return '0x' + ((1n << 64n) + b).toString(16).toUpperCase();
}

function formatReal(v: number): string {
  if (v === Infinity) return '1e999';
  const s = String(v);
  return /[.eE]/.test(s) ? s : s + '.0';
}

function list<T>(items: readonly T[], f: (x: T) => string): string {
  return items.map(f).join(', ');
}

/** Plain non-keyword words print as they are; any other type name as one quoted word (same `name` when parsed back). */
function formatTypeName(t: TypeName): string {
  const plain = t.name.split(' ').every((w) => PLAIN_NAME.test(w) && !KEYWORDS.has(w.toUpperCase()));
  const name = plain ? t.name : '"' + t.name.replace(/"/g, '""') + '"';
  return t.args.length === 0 ? name : `${name}(${t.args.join(', ')})`;
}

export function formatExpr(e: Expr): string {
  switch (e.kind) {
    case 'Integer': return formatInteger(e.value);
    case 'Real': return formatReal(e.value);
    case 'String': return formatString(e.value);
    case 'Blob': return `X'${toHex(e.value).toUpperCase()}'`;
    case 'Null': return 'NULL';
    case 'Bool': return e.value ? 'TRUE' : 'FALSE';
    case 'CurrentTime': return e.which;
    case 'Param': return e.form === '?' ? '?' : e.form === '?NNN' ? `?${e.index}` : e.name!;
    case 'Column': {
      const col = e.doubleQuoted ? '"' + e.column.replace(/"/g, '""') + '"' : formatName(e.column);
      if (e.table === null) return col;
      return `${e.schema === null ? '' : formatName(e.schema) + '.'}${formatName(e.table)}.${col}`;
    }
    case 'Unary': return e.op === 'NOT' ? `(NOT ${formatExpr(e.operand)})` : `(${e.op} ${formatExpr(e.operand)})`;
    case 'Binary': return `(${formatExpr(e.left)} ${e.op} ${formatExpr(e.right)})`;
    case 'Between':
      return `(${formatExpr(e.expr)} ${e.not ? 'NOT ' : ''}BETWEEN ${formatExpr(e.low)} AND ${formatExpr(e.high)})`;
    case 'InList': return `(${formatExpr(e.expr)} ${e.not ? 'NOT ' : ''}IN (${list(e.items, formatExpr)}))`;
    case 'InSelect': return `(${formatExpr(e.expr)} ${e.not ? 'NOT ' : ''}IN (${formatQuery(e.query)}))`;
    case 'InTable': return `(${formatExpr(e.expr)} ${e.not ? 'NOT ' : ''}IN ${formatQualified(e.schema, e.table)})`;
    case 'Like':
      return `(${formatExpr(e.expr)} ${e.not ? 'NOT ' : ''}${e.op} ${formatExpr(e.pattern)}${e.escape === null ? '' : ' ESCAPE ' + formatExpr(e.escape)})`;
    case 'IsNull': return `(${formatExpr(e.expr)} ${e.not ? 'NOTNULL' : 'ISNULL'})`;
    case 'Collate': return `(${formatExpr(e.expr)} COLLATE ${formatName(e.collation)})`;
    case 'Case': {
      let s = 'CASE';
      if (e.base !== null) s += ' ' + formatExpr(e.base);
      for (const w of e.whens) s += ` WHEN ${formatExpr(w.when)} THEN ${formatExpr(w.then)}`;
      if (e.else !== null) s += ' ELSE ' + formatExpr(e.else);
      return s + ' END';
    }
    case 'Cast': return `CAST(${formatExpr(e.expr)} AS ${formatTypeName(e.type)})`;
    case 'Exists': return `EXISTS (${formatQuery(e.query)})`;
    case 'Subquery': return `(${formatQuery(e.query)})`;
    case 'Function': {
      const order = e.orderBy === undefined ? '' : ` ORDER BY ${list(e.orderBy, formatOrderingTerm)}`;
      const args = e.star ? '*' : (e.distinct ? 'DISTINCT ' : '') + list(e.args, formatExpr) + order;
      const filter = e.filter === null ? '' : ` FILTER (WHERE ${formatExpr(e.filter)})`;
      const over = e.over === undefined ? '' : e.over.kind === 'Named' ? ` OVER ${formatName(e.over.name.name)}` : ` OVER (${formatWindow(e.over.window)})`;
      return `${formatName(e.name)}(${args})${filter}${over}`;
    }
    case 'Row': return `(${list(e.items, formatExpr)})`;
    case 'Raise': return e.message === null ? `RAISE(${e.action})` : `RAISE(${e.action}, ${formatExpr(e.message)})`;
    default: return assertNever(e, 'expression');
  }
}

function formatResultColumn(c: ResultColumn): string {
  switch (c.kind) {
    case 'Star': return '*';
    case 'TableStar': return `${formatName(c.table)}.*`;
    case 'Expr': return c.alias === null ? formatExpr(c.expr) : `${formatExpr(c.expr)} AS ${formatName(c.alias)}`;
    default: return assertNever(c, 'result column');
  }
}

function formatIndexedBy(i: string | false | null): string {
  return i === null ? '' : i === false ? ' NOT INDEXED' : ` INDEXED BY ${formatName(i)}`;
}

function formatFrom(f: FromItem): string {
  switch (f.kind) {
    case 'Table':
      return formatQualified(f.schema, f.name) + (f.args === undefined ? '' : `(${list(f.args, formatExpr)})`) + (f.alias === null ? '' : ` AS ${formatName(f.alias)}`) + formatIndexedBy(f.indexedBy);
    case 'Subquery':
      return `(${formatQuery(f.query)})` + (f.alias === null ? '' : ` AS ${formatName(f.alias)}`);
    case 'Join': {
      const right = f.right.kind === 'Join' ? `(${formatFrom(f.right)})` : formatFrom(f.right);
      let op: string;
      if (f.comma) op = ', ';
      else {
        const type = f.joinType === 'INNER' ? '' : f.joinType + ' ';
        op = ` ${f.natural ? 'NATURAL ' : ''}${type}JOIN `;
      }
      let s = formatFrom(f.left) + op + right;
      if (f.on !== null) s += ' ON ' + formatExpr(f.on);
      if (f.using !== null) s += ` USING (${list(f.using, (n) => formatName(n.name))})`;
      return s;
    }
    default: return assertNever(f, 'FROM item');
  }
}

function formatWith(w: WithClause): string {
  const ctes = list(w.ctes, (c) => {
    const cols = c.columns === null ? '' : `(${list(c.columns, (n) => formatName(n.name))})`;
    const mat = c.materialized === null ? '' : c.materialized ? 'MATERIALIZED ' : 'NOT MATERIALIZED ';
    return `${formatName(c.name.name)}${cols} AS ${mat}(${formatQuery(c.query)})`;
  });
  return `WITH ${w.recursive ? 'RECURSIVE ' : ''}${ctes} `;
}

function formatBody(b: QueryBody): string {
  switch (b.kind) {
    case 'SelectCore': {
      let s = 'SELECT ' + (b.distinct ? 'DISTINCT ' : '') + list(b.columns, formatResultColumn);
      if (b.from !== null) s += ' FROM ' + formatFrom(b.from);
      if (b.where !== null) s += ' WHERE ' + formatExpr(b.where);
      if (b.groupBy.length > 0) s += ' GROUP BY ' + list(b.groupBy, formatExpr);
      if (b.having !== null) s += ' HAVING ' + formatExpr(b.having);
      if (b.windows !== undefined && b.windows.length > 0) s += ' WINDOW ' + list(b.windows, (w) => `${formatName(w.name.name)} AS (${formatWindow(w.window)})`);
      return s;
    }
    case 'Values': return 'VALUES ' + list(b.rows, (r) => `(${list(r, formatExpr)})`);
    case 'Compound': return `${formatBody(b.left)} ${b.op} ${formatBody(b.right)}`;
    default: return assertNever(b, 'query body');
  }
}

function formatOrderingTerm(o: OrderingTerm): string {
  return formatExpr(o.expr) + (o.direction === null ? '' : ' ' + o.direction) + (o.nulls === null ? '' : ' NULLS ' + o.nulls);
}

function formatFrameBound(b: FrameBound): string {
  switch (b.kind) {
    case 'UnboundedPreceding': return 'UNBOUNDED PRECEDING';
    case 'Preceding': return `${formatExpr(b.offset)} PRECEDING`;
    case 'CurrentRow': return 'CURRENT ROW';
    case 'Following': return `${formatExpr(b.offset)} FOLLOWING`;
    case 'UnboundedFollowing': return 'UNBOUNDED FOLLOWING';
    default: return assertNever(b, 'frame bound');
  }
}

/** The inside of `OVER (…)`: canonical, so two windows print alike exactly when they are written alike. */
export function formatWindow(w: WindowDef): string {
  const parts: string[] = [];
  if (w.base !== null) parts.push(formatName(w.base.name));
  if (w.partitionBy.length > 0) parts.push('PARTITION BY ' + list(w.partitionBy, formatExpr));
  if (w.orderBy.length > 0) parts.push('ORDER BY ' + list(w.orderBy, formatOrderingTerm));
  const f = w.frame;
  if (f !== null) {
    parts.push(`${f.units} BETWEEN ${formatFrameBound(f.start)} AND ${formatFrameBound(f.end)}`);
    if (f.exclude !== 'NO OTHERS' || f.excludeWritten === true) parts.push(`EXCLUDE ${f.exclude}`);
  }
  return parts.join(' ');
}

export function formatQuery(q: Query): string {
  let s = (q.with === null ? '' : formatWith(q.with)) + formatBody(q.body);
  if (q.orderBy.length > 0) s += ' ORDER BY ' + list(q.orderBy, formatOrderingTerm);
  if (q.limit !== null) s += ' LIMIT ' + formatExpr(q.limit);
  if (q.offset !== null) s += ' OFFSET ' + formatExpr(q.offset);
  return s;
}

function formatSets(sets: readonly SetClause[]): string {
  return list(sets, (c) => {
    const cols = c.columns.length === 1 ? formatName(c.columns[0]!.name) : `(${list(c.columns, (n) => formatName(n.name))})`;
    return `${cols} = ${formatExpr(c.value)}`;
  });
}

function formatReturning(r: readonly ResultColumn[] | null): string {
  return r === null ? '' : ' RETURNING ' + list(r, formatResultColumn);
}

function formatIndexedColumn(c: IndexedColumn): string {
  return formatExpr(c.expr) + (c.collation === null ? '' : ` COLLATE ${formatName(c.collation)}`) + (c.order === null ? '' : ' ' + c.order);
}

function formatConflict(c: ConflictAction | null): string {
  return c === null ? '' : ` ON CONFLICT ${c}`;
}

function formatForeignKey(fk: ForeignKeyClause): string {
  let s = `REFERENCES ${formatName(fk.table.name)}`;
  if (fk.columns !== null) s += `(${list(fk.columns, (n) => formatName(n.name))})`;
  if (fk.onDelete !== null) s += ` ON DELETE ${fk.onDelete}`;
  if (fk.onUpdate !== null) s += ` ON UPDATE ${fk.onUpdate}`;
  if (fk.deferred) s += ' DEFERRABLE INITIALLY DEFERRED';
  return s;
}

function constraintName(name: string | null): string {
  return name === null ? '' : `CONSTRAINT ${formatName(name)} `;
}

function formatColumnConstraint(c: ColumnConstraint): string {
  const n = constraintName(c.name);
  switch (c.kind) {
    case 'PrimaryKey':
      return `${n}PRIMARY KEY${c.order === null ? '' : ' ' + c.order}${formatConflict(c.conflict)}${c.autoincrement ? ' AUTOINCREMENT' : ''}`;
    case 'NotNull': return `${n}NOT NULL${formatConflict(c.conflict)}`;
    case 'Unique': return `${n}UNIQUE${formatConflict(c.conflict)}`;
    case 'Check': return `${n}CHECK (${formatExpr(c.expr)})`;
    case 'Default': return `${n}DEFAULT (${formatExpr(c.expr)})`;
    case 'Collate': return `${n}COLLATE ${formatName(c.collation)}`;
    case 'References': return n + formatForeignKey(c.foreignKey);
    case 'Generated': return `${n}GENERATED ALWAYS AS (${formatExpr(c.expr)})${c.stored ? ' STORED' : ''}`;
    default: return assertNever(c, 'column constraint');
  }
}

function formatColumnDef(c: ColumnDef): string {
  let s = formatName(c.name.name);
  if (c.type !== null) s += ' ' + formatTypeName(c.type);
  for (const k of c.constraints) s += ' ' + formatColumnConstraint(k);
  return s;
}

function formatTableConstraint(c: TableConstraint): string {
  const n = constraintName(c.name);
  switch (c.kind) {
    case 'PrimaryKey':
      return `${n}PRIMARY KEY (${list(c.columns, formatIndexedColumn)}${c.autoincrement ? ' AUTOINCREMENT' : ''})${formatConflict(c.conflict)}`;
    case 'Unique': return `${n}UNIQUE (${list(c.columns, formatIndexedColumn)})${formatConflict(c.conflict)}`;
    case 'Check': return `${n}CHECK (${formatExpr(c.expr)})`;
    case 'ForeignKey': return `${n}FOREIGN KEY (${list(c.columns, (x) => formatName(x.name))}) ${formatForeignKey(c.foreignKey)}`;
    default: return assertNever(c, 'table constraint');
  }
}

/** Keywords the grammar takes as pragma values. */
const PRAGMA_KEYWORDS = new Set(['ON', 'DELETE', 'DEFAULT', 'NULL']);

function formatPragmaValue(v: PragmaValue): string {
  if (v.kind === 'string') return formatString(v.text);
  if (v.kind === 'number') return v.text;
  return PLAIN_NAME.test(v.text) && PRAGMA_KEYWORDS.has(v.text.toUpperCase()) ? v.text : formatName(v.text);
}

export function formatStatement(st: Statement): string {
  switch (st.kind) {
    case 'Select': return formatQuery(st.query);
    case 'Insert': {
      let s = st.with === null ? '' : formatWith(st.with);
      s += st.orConflict === null ? 'INSERT' : `INSERT OR ${st.orConflict}`;
      s += ` INTO ${formatQualified(st.schema, st.table.name)}`;
      if (st.alias !== null) s += ` AS ${formatName(st.alias)}`;
      if (st.columns !== null) s += ` (${list(st.columns, (n) => formatName(n.name))})`;
      const src = st.source;
      if (src.kind === 'DefaultValues') s += ' DEFAULT VALUES';
      else if (src.kind === 'Values') s += ' VALUES ' + list(src.rows, (r) => `(${list(r, formatExpr)})`);
      else s += ' ' + formatQuery(src.query);
      for (const u of st.upsert) {
        s += ' ON CONFLICT';
        if (u.target !== null) {
          s += ` (${list(u.target.columns, formatIndexedColumn)})`;
          if (u.target.where !== null) s += ' WHERE ' + formatExpr(u.target.where);
        }
        if (u.action.kind === 'Nothing') s += ' DO NOTHING';
        else {
          s += ' DO UPDATE SET ' + formatSets(u.action.sets);
          if (u.action.where !== null) s += ' WHERE ' + formatExpr(u.action.where);
        }
      }
      return s + formatReturning(st.returning);
    }
    case 'Update': {
      let s = st.with === null ? '' : formatWith(st.with);
      s += st.orConflict === null ? 'UPDATE ' : `UPDATE OR ${st.orConflict} `;
      const t = st.table;
      s += formatQualified(t.schema, t.name) + (t.alias === null ? '' : ` AS ${formatName(t.alias)}`) + formatIndexedBy(t.indexedBy);
      s += ' SET ' + formatSets(st.sets);
      if (st.from !== null) s += ' FROM ' + formatFrom(st.from);
      if (st.where !== null) s += ' WHERE ' + formatExpr(st.where);
      return s + formatReturning(st.returning);
    }
    case 'Delete': {
      let s = st.with === null ? '' : formatWith(st.with);
      const t = st.table;
      s += 'DELETE FROM ' + formatQualified(t.schema, t.name) + (t.alias === null ? '' : ` AS ${formatName(t.alias)}`) + formatIndexedBy(t.indexedBy);
      if (st.where !== null) s += ' WHERE ' + formatExpr(st.where);
      return s + formatReturning(st.returning);
    }
    case 'CreateTable': {
      let s = `CREATE ${st.temporary ? 'TEMP ' : ''}TABLE ${st.ifNotExists ? 'IF NOT EXISTS ' : ''}${formatQualified(st.schema, st.name.name)}`;
      const d = st.definition;
      if (d.kind === 'AsSelect') return `${s} AS ${formatQuery(d.query)}`;
      s += ` (${[...d.columns.map(formatColumnDef), ...d.constraints.map(formatTableConstraint)].join(', ')})`;
      const opts: string[] = [];
      if (d.withoutRowid) opts.push('WITHOUT ROWID');
      if (d.strict) opts.push('STRICT');
      return opts.length === 0 ? s : `${s} ${opts.join(', ')}`;
    }
    case 'CreateVirtualTable': {
      const s = `CREATE VIRTUAL TABLE ${st.ifNotExists ? 'IF NOT EXISTS ' : ''}${formatQualified(st.schema, st.name.name)} USING ${formatName(st.module.name)}`;
      return st.args.length === 0 ? s : `${s}(${st.args.join(', ')})`;
    }
    case 'CreateIndex': {
      let s = `CREATE ${st.unique ? 'UNIQUE ' : ''}INDEX ${st.ifNotExists ? 'IF NOT EXISTS ' : ''}${formatQualified(st.schema, st.name.name)}`;
      s += ` ON ${formatName(st.table.name)} (${list(st.columns, formatIndexedColumn)})`;
      return st.where === null ? s : `${s} WHERE ${formatExpr(st.where)}`;
    }
    case 'CreateView': {
      const cols = st.columns === null ? '' : ` (${list(st.columns, (n) => formatName(n.name))})`;
      return `CREATE ${st.temporary ? 'TEMP ' : ''}VIEW ${st.ifNotExists ? 'IF NOT EXISTS ' : ''}${formatQualified(st.schema, st.name.name)}${cols} AS ${formatQuery(st.query)}`;
    }
    case 'CreateTrigger': {
      let s = `CREATE ${st.temporary ? 'TEMP ' : ''}TRIGGER ${st.ifNotExists ? 'IF NOT EXISTS ' : ''}${formatQualified(st.schema, st.name.name)} ${st.timing} ${st.event}`;
      if (st.columns !== null) s += ` OF ${list(st.columns, (n) => formatName(n.name))}`;
      s += ` ON ${formatName(st.table.name)}${st.forEachRow ? ' FOR EACH ROW' : ''}`;
      if (st.when !== null) s += ` WHEN ${formatExpr(st.when)}`;
      return `${s} BEGIN ${st.body.map((b) => `${formatStatement(b)}; `).join('')}END`;
    }
    case 'Drop': return `DROP ${st.objectType} ${st.ifExists ? 'IF EXISTS ' : ''}${formatQualified(st.schema, st.name.name)}`;
    case 'AlterTable': {
      const s = `ALTER TABLE ${formatQualified(st.schema, st.table.name)} `;
      const a = st.action;
      switch (a.kind) {
        case 'RenameTable': return `${s}RENAME TO ${formatName(a.newName.name)}`;
        case 'RenameColumn': return `${s}RENAME COLUMN ${formatName(a.column.name)} TO ${formatName(a.newName.name)}`;
        case 'AddColumn': return `${s}ADD COLUMN ${formatColumnDef(a.column)}`;
        case 'DropColumn': return `${s}DROP COLUMN ${formatName(a.column.name)}`;
        default: return assertNever(a, 'ALTER TABLE action');
      }
    }
    case 'Begin': return st.mode === null ? 'BEGIN' : `BEGIN ${st.mode}`;
    case 'Commit': return 'COMMIT';
    case 'Rollback': return st.savepoint === null ? 'ROLLBACK' : `ROLLBACK TO ${formatName(st.savepoint.name)}`;
    case 'Savepoint': return `SAVEPOINT ${formatName(st.name.name)}`;
    case 'Release': return `RELEASE ${formatName(st.name.name)}`;
    case 'Pragma': {
      const s = `PRAGMA ${formatQualified(st.schema, st.name.name)}`;
      if (st.value === null) return s;
      return st.form === 'assign' ? `${s} = ${formatPragmaValue(st.value)}` : `${s}(${formatPragmaValue(st.value)})`;
    }
    case 'Explain': return `EXPLAIN ${st.queryPlan ? 'QUERY PLAN ' : ''}${formatStatement(st.statement)}`;
    case 'Reindex': return st.name === null ? 'REINDEX' : `REINDEX ${formatQualified(st.schema, st.name.name)}`;
    case 'Analyze': return st.name === null ? 'ANALYZE' : `ANALYZE ${formatQualified(st.schema, st.name.name)}`;
    case 'Vacuum': {
      let s = 'VACUUM';
      if (st.schema !== null) s += ' ' + formatName(st.schema);
      return st.into === null ? s : `${s} INTO ${formatExpr(st.into)}`;
    }
    default: return assertNever(st, 'statement');
  }
}
