/**
 * The SQL layer, data flow of one statement (compare toydb's sql/mod.rs):
 *
 *  1. `Database.prepare(text)` (database.ts) → `parseOne` (parser.ts, lexer.ts)
 *     → an AST (ast.ts), syntax only.
 *  2. `Session.compile(ast)` (executor.ts) resolves names against the
 *     `Catalog` (catalog.ts: tables, indexes, views parsed back from the
 *     CREATE text stored in sealed engine keys, see format/table-key.ts) and builds
 *     a `Program`:
 *       - queries (stmt-select.ts): `Planner` (planner.ts) picks join order
 *         and access paths (rowid, index prefix/range/IN, automatic hash
 *         index, ordered index scans for ORDER BY … LIMIT) and builds a plan
 *         tree (plan.ts: levels, filters, aggregation, DISTINCT, sorts,
 *         limits, compounds, recursive CTEs, subqueries) that EXPLAIN prints
 *         and exec.ts runs by pulling rows through cursors;
 *       - expressions: `Compiler` (expr-compile.ts) turns each into a closure
 *         once, with SQLite's affinity and collation rules decided up front;
 *         scalar functions come from functions.ts, aggregates from aggregates.ts;
 *       - INSERT: stmt-insert.ts; UPDATE/DELETE: stmt-modify.ts (row changes:
 *         row-update.ts, constraints.ts, foreign-keys.ts, rowids.ts, dml.ts);
 *         CREATE/DROP: ddl.ts; ALTER: alter.ts; transactions: txn-control.ts;
 *         EXPLAIN: explain-stmt.ts; PRAGMAs: pragma.ts (integrity.ts).
 *  3. `Statement.run/get/all` (statement.ts) binds parameters and calls
 *     `Session.run` (`iterate()` of a query calls `Session.open` and pulls
 *     rows one at a time), which wraps the program in a statement mark of the
 *     transaction `Overlay` (txn.ts): reads merge the overlay over the
 *     engine, writes stay in the overlay, a failing statement is undone, and
 *     COMMIT (or autocommit) hands every write to the engine as one atomic,
 *     sealed WriteBatch.
 */
export { Database } from './database.ts';
export type { DatabaseOptions, StorageInfo, TransactionFunction } from './database.ts';
export { Statement } from './statement.ts';
export type { ColumnDescriptor } from './statement.ts';
