/**
 * ASTs that statements build for queries of their own (the rows an UPDATE of sqlite_schema or
 * sqlite_sequence touches, the rows of a view an INSTEAD OF trigger acts on): one
 * `SELECT columns FROM table WHERE where` shape instead of each writing the node out.
 */
import type * as A from './ast.ts';

/** `SELECT columns FROM from WHERE where` (`with` before it); columns '*' is `SELECT *`. */
export function selectFrom(pos: A.SourcePos, columns: readonly A.Expr[] | '*', from: A.QualifiedTable, where: A.Expr | null, withClause: A.WithClause | null = null): A.Query {
  return {
    kind: 'Query',
    pos,
    with: withClause,
    body: {
      kind: 'SelectCore',
      pos,
      distinct: false,
      columns: columns === '*' ? [{ kind: 'Star', pos }] : columns.map((e) => ({ kind: 'Expr', pos, expr: e, alias: null, text: '' }) as A.ResultColumn),
      from: { kind: 'Table', pos: from.pos, schema: from.schema, name: from.name, alias: from.alias, indexedBy: from.indexedBy },
      where,
      groupBy: [],
      having: null,
    },
    orderBy: [],
    limit: null,
    offset: null,
  };
}

/** A column reference by its bare name. */
export function columnRef(pos: A.SourcePos, column: string): A.Expr {
  return { kind: 'Column', pos, schema: null, table: null, column, doubleQuoted: false };
}
