/**
 * The rows an `INSERT INTO t [(columns)] VALUES … | SELECT … | DEFAULT VALUES` supplies, for the
 * statements that write a table by hand (sql/schema-write.ts: sqlite_schema, sql/sequence-write.ts:
 * sqlite_sequence): which stored column each supplied value goes to, checked with SQLite's
 * messages, and the source planned once and run per execution.
 */
import type * as A from './ast.ts';
import type { SqlValue } from '../format/sql-value.ts';
import { fold } from './catalog.ts';
import type { Row } from './expr-compile.ts';
import type { Planner } from './planner.ts';
import { sqlErr } from './sql-error.ts';
import type { Frame } from './expr-compile.ts';

export interface InsertSource {
  /** For each supplied value, the index of the stored column it goes to. */
  readonly cols: readonly number[];
  /** The supplied rows for one execution. */
  produce(params: readonly SqlValue[]): Row[];
}

/** `columns` are the table's column names (lower case), in stored order. */
export function planInsertSource(stmt: A.InsertStmt, table: string, columns: readonly string[], planner: Planner, frame: (params: readonly SqlValue[]) => Frame): InsertSource {
  const at = stmt.pos;
  const cols = stmt.columns === null ? columns.map((_, i) => i) : stmt.columns.map((c) => {
    const k = columns.indexOf(fold(c.name));
    if (k < 0) throw sqlErr(`table ${table} has no column named ${c.name}`, c.pos);
    return k;
  });
  const src = stmt.source;
  if (src.kind === 'DefaultValues') return { cols, produce: () => [[]] };
  const q: A.Query = src.kind === 'Select' ? src.query : { kind: 'Query', pos: at, with: null, body: { kind: 'Values', pos: at, rows: src.rows } as A.QueryBody, orderBy: [], limit: null, offset: null };
  const plan = planner.query(q, null);
  if (plan.columns.length !== cols.length) {
    throw sqlErr(stmt.columns === null ? `table ${table} has ${columns.length} columns but ${plan.columns.length} values were supplied` : `${plan.columns.length} values for ${cols.length} columns`, at);
  }
  return {
    cols,
    produce: (params) => {
      const rows: Row[] = [];
      plan.run(frame(params), (r) => (rows.push(r), true));
      return rows;
    },
  };
}
