/**
 * EXPLAIN and EXPLAIN QUERY PLAN. A query explains as the lines the planner
 * collected while planning it; any other statement is compiled (to surface
 * its errors) and explains as one line naming what it does. EXPLAIN QUERY PLAN rows are (id, parent, notused,
 * detail) with ids the 1-based line numbers; plain EXPLAIN lists the same
 * lines as 'Explain' opcodes (addr, opcode, p1…p5, comment), not SQLite's
 * bytecode.
 */
import type * as A from './ast.ts';
import type { Collation } from './value.ts';
import type { Catalog } from './catalog.ts';
import type { ColMeta, Row } from './expr-compile.ts';
import { explainOperators, type OperatorLine } from './plan.ts';
import { Planner } from './planner.ts';
import type { Overlay } from './txn.ts';
import type { Program } from './program.ts';

/** What EXPLAIN needs of the session. */
export interface ExplainSession {
  readonly catalog: Catalog;
  readonly overlay: Overlay;
  readonly lastRowid: number | bigint;
  compile(stmt: A.Statement): Program;
}

export function compileExplain(s: ExplainSession, stmt: A.ExplainStmt, version: number): Program {
  const inner = stmt.statement;
  const planner = new Planner({ catalog: s.catalog, store: () => s.overlay });
  const lines: (readonly [number, string])[] = [];
  let operators: OperatorLine[] | null = null;
  if (inner.kind === 'Select') {
    const plan = planner.query(inner.query, null);
    lines.push(...planner.explain);
    operators = explainOperators(plan.node);
  } else {
    // Plan the statement to surface errors; DML explains as its table scan.
    s.compile(inner);
    lines.push([0, describeStatement(inner)]);
  }
  // EXPLAIN QUERY PLAN rows: id, parent, notused, detail (ids are 1-based line numbers).
  const rows: Row[] = [];
  const parents: number[] = [];
  lines.forEach(([depth, text], i) => {
    const id = i + 1;
    parents[depth] = id;
    rows.push([id, depth === 0 ? 0 : (parents[depth - 1] ?? 0), 0, text]);
  });
  const columns: ColMeta[] = stmt.queryPlan
    ? ['id', 'parent', 'notused', 'detail'].map((n) => ({ name: n, aff: null, coll: 'BINARY' as Collation }))
    : ['addr', 'opcode', 'p1', 'p2', 'p3', 'p4', 'p5', 'comment'].map((n) => ({ name: n, aff: null, coll: 'BINARY' as Collation }));
  // EXPLAIN of a query: one row per operator of the plan tree (p1 = depth), outermost first.
  const out = stmt.queryPlan
    ? rows
    : operators !== null
      ? operators.map(([depth, op, detail], i): Row => [i, op, depth, 0, 0, detail, 0, null])
      : rows.map((r, i) => [i, 'Explain', r[0]!, r[1]!, 0, r[3]!, 0, null]);
  return {
    columns,
    declTypes: null,
    readonly: true,
    schemaVersion: version,
    execute: (_p, emit) => {
      for (const r of out) if (!emit(r)) break;
      return { changes: 0, lastInsertRowid: s.lastRowid };
    },
  };
}

function describeStatement(s: A.Statement): string {
  switch (s.kind) {
    case 'Insert':
      return `INSERT INTO ${s.table.name}`;
    case 'Update':
      return `SCAN ${s.table.alias ?? s.table.name}`;
    case 'Delete':
      return `SCAN ${s.table.alias ?? s.table.name}`;
    default:
      return s.kind.toUpperCase();
  }
}
