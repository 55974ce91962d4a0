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
 */

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
  | CreateIndexStmt
  | CreateViewStmt
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
}

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
 * `f(DISTINCT x)`; `filter` is `FILTER (WHERE …)`. Window functions (OVER) are
 * rejected by the parser.
 */
export interface FunctionExpr {
  readonly kind: 'Function';
  readonly pos: SourcePos;
  readonly name: string;
  readonly args: readonly Expr[];
  readonly star: boolean;
  readonly distinct: boolean;
  readonly filter: Expr | null;
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
