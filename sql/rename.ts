/**
 * The rename rewriter behind ALTER TABLE … RENAME TO / RENAME COLUMN, as
 * SQLite 3.26+ does it: every name token of a schema object's CREATE text
 * that refers to the renamed table (or to the renamed column of that table)
 * is found by resolving the names of the parsed statement, and only those
 * tokens are replaced; the rest of the text (spacing, comments, quoting of
 * other names) is kept byte for byte.
 *
 * What refers to a table: FROM items naming it (not a CTE of the same name),
 * the qualifier of `table.column` when the table is not aliased, CREATE
 * INDEX … ON, REFERENCES in any table, and in statements (trigger bodies)
 * the target of INSERT / UPDATE / DELETE. What refers to a column: a column
 * reference that resolves to it (qualified or not, innermost scope first, as
 * SQLite resolves), its definition and the table constraints naming it,
 * REFERENCES parent(column) lists, USING lists, INSERT column lists and SET
 * targets. A bare ORDER BY name equal to a result alias is the alias, not a
 * column. As in SQLite, `x IN table` is not rewritten.
 *
 * The walker is generic over expression nodes (any field holding an
 * expression or a query is visited), so syntax added later — window
 * definitions, trigger bodies — is covered once its statements reach
 * `collectStatement`, which takes extra sources for NEW / OLD.
 */
import type * as A from './ast.ts';
import { HeliosError } from '../format/errors.ts';
import { createLexer } from './lexer.ts';
import { fold } from './catalog.ts';

/** What is renamed: a table, or one column of a table (names as written; compared folded). */
export type RenameTarget = { readonly kind: 'table'; readonly table: string } | { readonly kind: 'column'; readonly table: string; readonly column: string };

/** What the rewriter needs of the schema: the columns of a table, and views' definitions. */
export interface RenameSchema {
  tableColumns(name: string): readonly string[] | undefined;
  view(name: string): { readonly query: A.Query; readonly columns: readonly string[] | null } | undefined;
}

/** A name in scope: a table, view, subquery or CTE of a FROM clause, or NEW / OLD / excluded. */
export interface RenameSource {
  /** The folded name it is visible under (its alias, else its own name). */
  readonly name: string;
  /** Whether it is the renamed table seen under its own name (not an alias). */
  readonly named: boolean;
  /** Whether it is the renamed table (aliased or not). */
  readonly target: boolean;
  /** Folded column names. */
  readonly columns: readonly string[];
}

interface Scope {
  readonly sources: RenameSource[];
  readonly parent: Scope | null;
  readonly ctes: Map<string, readonly string[]>;
}

/** A name token of the text: [offset, end) with its quotes. */
export interface NameToken {
  readonly offset: number;
  readonly end: number;
}

const MAX_VIEW_DEPTH = 64;

/** The identifier tokens of `a.b.c` starting at `offset` (an identifier may be quoted). */
export function nameTokensAt(sql: string, offset: number): NameToken[] {
  const lx = createLexer(sql, offset);
  const out: NameToken[] = [];
  for (;;) {
    const t = lx.next();
    if (t.kind !== 'ident' && t.kind !== 'dqident' && t.kind !== 'qident' && t.kind !== 'string' && !/^[A-Z_]+$/.test(t.kind)) break;
    out.push({ offset: t.offset, end: t.end });
    const dot = lx.next();
    if (dot.kind !== '.') break;
  }
  return out;
}

/**
 * Collects the tokens of one statement's text that name the rename target.
 * With `referencesOnly`, only column references in expressions are
 * collected (not definitions, INSERT column lists, SET targets or UPDATE OF
 * lists): the names SQLite's schema test resolves, which a DROP COLUMN
 * must not leave dangling.
 */
export function createRenameCollector(sql: string, schema: RenameSchema, target: RenameTarget, referencesOnly = false) {
  const tgtTable = fold(target.table);
  const tgtColumn = target.kind === 'column' ? fold(target.column) : null;
  const tokens = new Map<number, NameToken>();
  let record = true;
  let viewDepth = 0;

  const push = (t: NameToken | undefined): void => {
    if (t !== undefined && record) tokens.set(t.offset, t);
  };
  const lastToken = (offset: number, n = 1): NameToken | undefined => {
    const ts = nameTokensAt(sql, offset);
    return ts[ts.length - n];
  };
  const isTargetTable = (name: string): boolean => fold(name) === tgtTable;

  /** A table reference by name: renamed when it is the target (and no CTE of the name is in scope). */
  const tableName = (name: string, nameOffset: number | null): void => {
    if (target.kind === 'table' && isTargetTable(name) && nameOffset !== null) push(lastToken(nameOffset));
  };

  /** A column name of the target table written as a plain name (definition, constraint, list). */
  const columnName = (table: string, n: { name: string; pos: A.SourcePos }): void => {
    if (referencesOnly) return;
    if (tgtColumn !== null && isTargetTable(table) && fold(n.name) === tgtColumn) push(lastToken(n.pos.offset));
  };

  const findCte = (scope: Scope | null, name: string): readonly string[] | undefined => {
    for (let s = scope; s !== null; s = s.parent) {
      const c = s.ctes.get(name);
      if (c !== undefined) return c;
    }
    return undefined;
  };

  const resolveColumn = (e: A.ColumnExpr, scope: Scope | null): void => {
    const col = fold(e.column);
    for (let s = scope; s !== null; s = s.parent) {
      if (e.table !== null) {
        const src = s.sources.find((x) => x.name === fold(e.table!));
        if (src === undefined) continue;
        if (target.kind === 'table' && src.named) push(lastToken(e.pos.offset, 2));
        if (tgtColumn !== null && src.target && col === tgtColumn) push(lastToken(e.pos.offset));
        return;
      }
      const src = s.sources.find((x) => x.columns.includes(col));
      if (src === undefined) continue;
      if (tgtColumn !== null && src.target && col === tgtColumn) push(lastToken(e.pos.offset));
      return;
    }
  };

  const walkExpr = (e: unknown, scope: Scope | null): void => {
    if (e === null || typeof e !== 'object') return;
    if (Array.isArray(e)) {
      for (const x of e) walkExpr(x, scope);
      return;
    }
    if (e instanceof Uint8Array) return;
    const k = (e as { kind?: unknown }).kind;
    if (k === 'Column') return resolveColumn(e as A.ColumnExpr, scope);
    if (k === 'Query') {
      walkQuery(e as A.Query, scope);
      return;
    }
    for (const [key, v] of Object.entries(e)) if (key !== 'pos') walkExpr(v, scope);
  };

  const tableSource = (name: string, alias: string | null, scope: Scope | null): RenameSource => {
    const cte = findCte(scope, fold(name));
    if (cte !== undefined) return { name: fold(alias ?? name), named: false, target: false, columns: cte };
    const cols = schema.tableColumns(name);
    if (cols !== undefined) {
      const target = isTargetTable(name);
      return { name: fold(alias ?? name), named: target && alias === null, target, columns: cols.map(fold) };
    }
    const v = schema.view(name);
    let columns: readonly string[] = [];
    if (v !== undefined && viewDepth < MAX_VIEW_DEPTH) {
      const saved = record;
      record = false;
      viewDepth++;
      try {
        columns = v.columns !== null ? v.columns.map(fold) : walkQuery(v.query, null);
      } finally {
        viewDepth--;
        record = saved;
      }
    }
    return { name: fold(alias ?? name), named: false, target: false, columns };
  };

  /** Adds the sources of a FROM item to `out`; subqueries and ON clauses are walked. */
  const walkFrom = (item: A.FromItem, outer: Scope | null, out: RenameSource[], core: Scope): void => {
    switch (item.kind) {
      case 'Table': {
        const cte = findCte(outer, fold(item.name));
        if (cte === undefined) tableName(item.name, item.pos.offset);
        out.push(tableSource(item.name, item.alias, outer));
        return;
      }
      case 'Subquery': {
        const cols = walkQuery(item.query, outer);
        out.push({ name: item.alias === null ? '' : fold(item.alias), named: false, target: false, columns: cols });
        return;
      }
      case 'Join': {
        walkFrom(item.left, outer, out, core);
        walkFrom(item.right, outer, out, core);
        if (item.on !== null) walkExpr(item.on, core);
        if (item.using !== null && tgtColumn !== null && out.some((s) => s.target)) {
          for (const n of item.using) if (fold(n.name) === tgtColumn) push(lastToken(n.pos.offset));
        }
        return;
      }
      default:
        // A FROM item kind added later (table-valued functions): its arguments are expressions.
        walkExpr(item, outer);
    }
  };

  /** Walks a SELECT core; returns its scope and its output column names. */
  const walkCore = (c: A.SelectCore, outer: Scope | null): { scope: Scope; columns: string[]; aliases: Set<string> } => {
    const sources: RenameSource[] = [];
    const scope: Scope = { sources, parent: outer, ctes: new Map() };
    if (c.from !== null) walkFrom(c.from, outer, sources, scope);
    const columns: string[] = [];
    const aliases = new Set<string>();
    for (const rc of c.columns) {
      // The names a * expands to are result names an ORDER BY name resolves to first (SQLite's ENAME_NAME), so
      // `SELECT * FROM t ORDER BY c` is not rewritten and the rename then fails its schema test, as in SQLite.
      if (rc.kind === 'Star' || rc.kind === 'TableStar') {
        const names = rc.kind === 'Star' ? sources.flatMap((s) => s.columns) : (sources.find((s) => s.name === fold(rc.table))?.columns ?? []);
        columns.push(...names);
        for (const n of names) aliases.add(n);
      } else {
        walkExpr(rc.expr, scope);
        const name = rc.alias ?? (rc.expr.kind === 'Column' ? rc.expr.column : rc.text);
        columns.push(fold(name));
        if (rc.alias !== null) aliases.add(fold(rc.alias));
      }
    }
    for (const [key, v] of Object.entries(c)) {
      if (key === 'pos' || key === 'kind' || key === 'from' || key === 'columns') continue;
      walkExpr(v, scope);
    }
    return { scope, columns, aliases };
  };

  /** Walks a query; returns its output column names (folded). */
  const walkQuery = (q: A.Query, outer: Scope | null): string[] => {
    const ctes = new Map<string, readonly string[]>();
    const withScope: Scope = { sources: [], parent: outer, ctes };
    if (q.with !== null) {
      for (const cte of q.with.ctes) {
        const name = fold(cte.name.name);
        if (q.with.recursive) {
          // The name is visible inside its own query: learn its columns first, then walk for real.
          ctes.set(name, cte.columns !== null ? cte.columns.map((n) => fold(n.name)) : []);
          if (cte.columns === null) {
            const saved = record;
            record = false;
            try {
              ctes.set(name, walkQuery(cte.query, withScope));
            } finally {
              record = saved;
            }
          }
        }
        const cols = walkQuery(cte.query, q.with.recursive ? withScope : { sources: [], parent: outer, ctes: new Map(ctes) });
        ctes.set(name, cte.columns !== null ? cte.columns.map((n) => fold(n.name)) : cols);
      }
    }
    const scopeForBody = q.with !== null ? withScope : outer;
    let columns: string[] = [];
    let core: { scope: Scope; aliases: Set<string> } | null = null;
    const walkBody = (b: A.QueryBody): string[] => {
      if (b.kind === 'SelectCore') {
        const r = walkCore(b, scopeForBody);
        if (core === null) core = r;
        return r.columns;
      }
      if (b.kind === 'Values') {
        walkExpr(b.rows, scopeForBody);
        return (b.rows[0] ?? []).map((_, i) => `column${i + 1}`);
      }
      const left = walkBody(b.left);
      walkBody(b.right);
      return left;
    };
    columns = walkBody(q.body);
    const single = q.body.kind === 'SelectCore' ? (core as { scope: Scope; aliases: Set<string> } | null) : null;
    for (const term of q.orderBy) {
      let e = term.expr;
      while (e.kind === 'Collate') e = e.expr;
      if (e.kind === 'Integer') continue;
      if (single === null) {
        // A compound's ORDER BY names its result columns.
        if (e.kind === 'Column' && e.table === null) continue;
        walkExpr(term.expr, scopeForBody);
        continue;
      }
      if (e.kind === 'Column' && e.table === null && single.aliases.has(fold(e.column))) continue;
      walkExpr(term.expr, single.scope);
    }
    walkExpr(q.limit, scopeForBody);
    walkExpr(q.offset, scopeForBody);
    return columns;
  };

  const selfScope = (table: string, alias: string | null = null, extra: readonly RenameSource[] = [], parent: Scope | null = null): Scope => ({
    sources: [tableSource(table, alias, null), ...extra],
    parent,
    ctes: new Map(),
  });

  const foreignKey = (fk: A.ForeignKeyClause): void => {
    tableName(fk.table.name, fk.table.pos.offset);
    if (fk.columns !== null) for (const n of fk.columns) columnName(fk.table.name, n);
  };

  /**
   * Collects the tokens of `stmt` (parsed from this collector's text).
   * `extra` are sources visible everywhere in it (NEW and OLD of a trigger).
   */
  const collectStatement = (stmt: A.Statement, extra: readonly RenameSource[] = []): void => {
    const root: Scope | null = extra.length > 0 ? { sources: [...extra], parent: null, ctes: new Map() } : null;
    switch (stmt.kind) {
      case 'Select':
        walkQuery(stmt.query, root);
        return;
      case 'CreateView':
        walkQuery(stmt.query, root);
        return;
      case 'CreateIndex': {
        tableName(stmt.table.name, stmt.table.pos.offset);
        const scope = selfScope(stmt.table.name);
        walkExpr(stmt.columns, scope);
        walkExpr(stmt.where, scope);
        return;
      }
      case 'CreateTable': {
        const def = stmt.definition;
        const name = stmt.name.name;
        tableName(name, stmt.name.pos.offset);
        if (def.kind !== 'Columns') return;
        const scope: Scope = {
          sources: [{ name: fold(name), named: isTargetTable(name), target: isTargetTable(name), columns: def.columns.map((c) => fold(c.name.name)) }],
          parent: null,
          ctes: new Map(),
        };
        for (const c of def.columns) {
          columnName(name, c.name);
          for (const k of c.constraints) {
            if (k.kind === 'Check' || k.kind === 'Generated') walkExpr(k.expr, scope);
            else if (k.kind === 'References') foreignKey(k.foreignKey);
          }
        }
        for (const k of def.constraints) {
          if (k.kind === 'PrimaryKey' || k.kind === 'Unique') walkExpr(k.columns, scope);
          else if (k.kind === 'Check') walkExpr(k.expr, scope);
          else {
            for (const n of k.columns) columnName(name, n);
            foreignKey(k.foreignKey);
          }
        }
        return;
      }
      case 'Insert': {
        const outer: Scope | null = root;
        if (stmt.with !== null) walkQuery({ kind: 'Query', pos: stmt.pos, with: stmt.with, body: { kind: 'Values', pos: stmt.pos, rows: [] }, orderBy: [], limit: null, offset: null }, outer);
        tableName(stmt.table.name, stmt.table.pos.offset);
        if (stmt.columns !== null) for (const n of stmt.columns) columnName(stmt.table.name, n);
        if (stmt.source.kind === 'Values') walkExpr(stmt.source.rows, outer);
        else if (stmt.source.kind === 'Select') walkQuery(stmt.source.query, outer);
        const cols = schema.tableColumns(stmt.table.name) ?? [];
        const excluded: RenameSource = { name: 'excluded', named: false, target: isTargetTable(stmt.table.name), columns: cols.map(fold) };
        const scope = selfScope(stmt.table.name, stmt.alias, [excluded], outer);
        for (const u of stmt.upsert) {
          if (u.target !== null) walkExpr(u.target, scope);
          if (u.action.kind === 'Update') {
            for (const set of u.action.sets) for (const n of set.columns) columnName(stmt.table.name, n);
            walkExpr(u.action.sets.map((x) => x.value), scope);
            walkExpr(u.action.where, scope);
          }
        }
        walkExpr(stmt.returning, selfScope(stmt.table.name, stmt.alias, [], outer));
        return;
      }
      case 'CreateTrigger': {
        // The table it is ON, UPDATE OF columns, WHEN, and every body statement with NEW and OLD in scope.
        const on = stmt.table.name;
        tableName(on, stmt.table.pos.offset);
        if (stmt.columns !== null) for (const n of stmt.columns) columnName(on, n);
        const cols = (schema.tableColumns(on) ?? []).map(fold);
        const pseudo = (name: string): RenameSource => ({ name, named: false, target: isTargetTable(on), columns: cols });
        const inBody = [...extra, pseudo('new'), pseudo('old')];
        walkExpr(stmt.when, { sources: [...inBody], parent: null, ctes: new Map() });
        for (const b of stmt.body) collectStatement(b, inBody);
        return;
      }
      case 'Update':
      case 'Delete': {
        tableName(stmt.table.name, stmt.table.pos.offset);
        const scope = selfScope(stmt.table.name, stmt.table.alias, [], root);
        if (stmt.kind === 'Update') {
          for (const set of stmt.sets) for (const n of set.columns) columnName(stmt.table.name, n);
          if (stmt.from !== null) walkFrom(stmt.from, root, scope.sources, scope);
          walkExpr(stmt.sets.map((x) => x.value), scope);
        }
        walkExpr(stmt.where, scope);
        walkExpr(stmt.returning, scope);
        return;
      }
      default:
        return;
    }
  };

  return {
    collectStatement,
    /** The collected tokens, last first (so replacing them in order keeps earlier offsets valid). */
    tokens: (): NameToken[] => [...tokens.values()].sort((a, b) => b.offset - a.offset),
  };
}

/** `sql` with every token replaced by `text(oldToken)`. */
export function replaceTokens(sql: string, tokens: readonly NameToken[], text: (oldToken: string) => string): string {
  let out = sql;
  let prev = Infinity;
  for (const t of [...tokens].sort((a, b) => b.offset - a.offset)) {
    if (t.end > prev) throw new HeliosError('INTERNAL', 'overlapping rename tokens');
    out = out.slice(0, t.offset) + text(sql.slice(t.offset, t.end)) + out.slice(t.end);
    prev = t.offset;
  }
  return out;
}
