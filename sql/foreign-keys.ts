/**
 * Foreign keys, enforced only while PRAGMA foreign_keys is ON (as SQLite):
 * a new or changed child row must find its parent (a NULL in the key means
 * no reference), and deleting a parent row or changing its key runs each
 * referencing foreign key's ON DELETE / ON UPDATE action. CASCADE, SET NULL
 * and SET DEFAULT run first (recursively, at most 100 levels deep); NO
 * ACTION and RESTRICT then fail if a child still references the old key, as
 * SQLite's end-of-statement check does. The parent key is the named columns,
 * else the rowid alias, else the PRIMARY KEY columns, and must be the rowid
 * or carry a UNIQUE index without WHERE on exactly those columns with the
 * columns' own collations (else "foreign key mismatch", as SQLite).
 *
 * Deferred constraints (`DEFERRABLE INITIALLY DEFERRED`, or every constraint
 * while PRAGMA defer_foreign_keys is ON) keep SQLite's deferred-violation
 * counter instead of failing: +1 for a child row written without its parent
 * or a parent row removed under a referencing child, -1 for an orphan child
 * row removed or a parent row written that orphans were waiting for (only
 * while the counter is not zero, as SQLite's OP_FkIfZero). COMMIT fails
 * while the counter is above zero (txn-control.ts); outside BEGIN the
 * statement's implicit commit does (executor.ts). RESTRICT stays immediate
 * unless defer_foreign_keys is ON, as in SQLite.
 *
 * PRAGMA foreign_key_check (foreignKeyCheck) reports every child row whose
 * parent is missing, whether or not enforcement was on when it was written.
 */
import { HeliosError } from '../format/errors.ts';
import type { SqlValue } from '../format/sql-value.ts';
import { objectPrefix, prefixEnd, readRowid, rowKey } from '../format/table-key.ts';
import { applyAffinity, compareValues } from './value.ts';
import { fold, type Catalog, type ForeignKeyInfo, type IndexInfo, type TableInfo } from './catalog.ts';
import type { Frame, Row } from './expr-compile.ts';
import { Planner, decodeTableRow, rowidProbe } from './planner.ts';
import { sqlErr } from './sql-error.ts';
import { compileTableWriter, constraintErr, indexEntryKey, loadRow, putRow, removeRow, type RowWriteContext } from './constraints.ts';

/** What foreign-key enforcement needs of the session. */
export interface ForeignKeyContext extends RowWriteContext {
  readonly catalog: Catalog;
  /** PRAGMA foreign_keys. */
  readonly foreignKeys: boolean;
  /** PRAGMA defer_foreign_keys: every constraint is deferred until COMMIT. */
  readonly deferForeignKeys: boolean;
  /** SQLite's deferred-constraint counter for the open transaction (see the module comment). */
  deferredViolations: number;
  /** total_changes(): rows an action deletes or changes count in it, as in SQLite. */
  totalChangesCount: number;
  /** The session's triggers (trigger.ts): rows an action deletes or changes fire the child table's, as SQLite's action triggers do. */
  readonly triggers?: ActionTriggers;
}

/** The part of trigger.ts's Triggers that foreign-key actions use (declared here: trigger.ts sits above this file). */
export interface ActionTriggers {
  has(target: string, timing: 'BEFORE' | 'AFTER', event: 'DELETE' | 'UPDATE'): boolean;
  /** Returns false when a trigger ran RAISE(IGNORE): the row is left as it is. */
  fire(target: string, timing: 'BEFORE' | 'AFTER', event: 'DELETE' | 'UPDATE', oldRow: Row | null, newRow: Row | null, changed: ((col: number) => boolean) | null, orConflict: null): boolean;
}

export function foreignKeyError(): HeliosError {
  return constraintErr('CONSTRAINT_FOREIGNKEY', 'FOREIGN KEY constraint failed');
}

function isDeferred(s: ForeignKeyContext, fk: ForeignKeyInfo): boolean {
  return fk.deferred || s.deferForeignKeys;
}

/** How to find a parent row: its key columns (in the foreign key's order) and the probe. */
interface ParentKey {
  readonly cols: readonly number[];
  /** The parent row's rowid holding `vals` (child values, parent affinity applied here), or null. */
  find(s: ForeignKeyContext, vals: readonly SqlValue[]): number | bigint | null;
}

const parentKeys = new WeakMap<ForeignKeyInfo, { parent: TableInfo; key: ParentKey }>();

/** The parent key of `fk` in `parent`, or the "foreign key mismatch" error SQLite raises. */
function parentKey(child: TableInfo, parent: TableInfo, fk: ForeignKeyInfo): ParentKey {
  const cached = parentKeys.get(fk);
  if (cached !== undefined && cached.parent === parent) return cached.key;
  const mismatch = (): HeliosError => sqlErr(`foreign key mismatch - "${child.name}" referencing "${parent.name}"`);
  let cols: number[];
  if (fk.parentColumns === null) {
    if (parent.rowidAlias >= 0) cols = [parent.rowidAlias];
    else cols = parent.columns.map((c, i) => ({ c, i })).filter((x) => x.c.pk > 0).sort((a, b) => a.c.pk - b.c.pk).map((x) => x.i);
    if (cols.length === 0) throw mismatch();
  } else {
    cols = fk.parentColumns.map((n) => {
      const i = parent.columnIndex.get(fold(n));
      if (i === undefined) throw mismatch();
      return i;
    });
  }
  if (cols.length !== fk.columns.length) throw mismatch();
  let key: ParentKey;
  if (cols.length === 1 && cols[0] === parent.rowidAlias) {
    key = {
      cols,
      find(s, vals) {
        const id = rowidProbe(applyAffinity(vals[0]!, 'INTEGER'));
        return id !== null && s.overlay.get(rowKey(parent.id, id)) !== undefined ? id : null;
      },
    };
  } else {
    const ix: IndexInfo | undefined = parent.indexes.find(
      (x) =>
        x.unique &&
        x.where === null &&
        x.columns.length === cols.length &&
        x.columns.every((c) => c.column >= 0 && cols.includes(c.column) && c.collation === parent.columns[c.column]!.collation),
    );
    if (ix === undefined) throw mismatch();
    // Index column j holds foreign-key column order[j].
    const order = ix.columns.map((c) => cols.indexOf(c.column));
    key = {
      cols,
      find(s, vals) {
        const conv = order.map((k) => applyAffinity(vals[k]!, parent.columns[cols[k]!]!.affinity));
        const v = s.overlay.get(indexEntryKey(ix, conv, 0));
        return v === undefined ? null : readRowid(v, 0);
      },
    };
  }
  parentKeys.set(fk, { parent, key });
  return key;
}

/**
 * The parent keys a statement writing `t` needs, looked up before any row as
 * SQLite looks them up when it prepares the statement (sqlite3FkCheck /
 * sqlite3FkLocateIndex): a key that does not resolve is "foreign key
 * mismatch" even when no row is written. An INSERT or DELETE needs every
 * foreign key of `t`, an UPDATE those whose columns it assigns (`setCols`,
 * the rowid as t.columns.length); as the parent, a DELETE needs every foreign
 * key referencing `t`, and so does an UPDATE that needs any (it assigns a
 * column of its own foreign keys, or one a reference to `t` names — by name,
 * or its primary key when the reference names none).
 */
export function prepareForeignKeys(s: ForeignKeyContext, t: TableInfo, event: 'INSERT' | 'UPDATE' | 'DELETE', setCols: ReadonlySet<number> | null = null): void {
  if (!s.foreignKeys) return;
  const n = t.columns.length;
  const assigned = (c: number): boolean => setCols === null || setCols.has(c) || (c === t.rowidAlias && setCols.has(n));
  const own = t.foreignKeys.filter((fk) => event !== 'UPDATE' || fk.columns.some(assigned));
  for (const fk of own) parentKey(t, parentTable(s, fk), fk);
  if (event === 'INSERT') return;
  const name = fold(t.name);
  const referencing: [TableInfo, ForeignKeyInfo][] = [];
  for (const child of s.catalog.tables.values()) for (const fk of child.foreignKeys) if (fold(fk.parentTable) === name) referencing.push([child, fk]);
  if (event === 'UPDATE' && own.length === 0) {
    // sqlite3FkRequired: the UPDATE needs foreign-key work only when it assigns a key column of t or one a reference names.
    const modified = referencing.some(([, fk]) =>
      fk.parentColumns === null
        ? t.columns.some((c, i) => c.pk > 0 && assigned(i))
        : fk.parentColumns.some((pc) => {
            const i = t.columnIndex.get(fold(pc));
            return i !== undefined && assigned(i);
          }),
    );
    if (!modified) return;
  }
  // Then every reference to t is located (sqlite3FkOldmask), modified or not.
  for (const [child, fk] of referencing) parentKey(child, t, fk);
}

/** The parent table of `fk`: a missing one is "no such table", as SQLite reports when the statement is prepared. */
function parentTable(s: ForeignKeyContext, fk: ForeignKeyInfo): TableInfo {
  const parent = s.catalog.table(fk.parentTable);
  if (!parent) throw sqlErr(`no such table: main.${fk.parentTable}`);
  return parent;
}

/** Whether the new row of `t` (self-referencing foreign key) is its own parent. */
function isOwnParent(t: TableInfo, key: ParentKey, fk: ForeignKeyInfo, row: Row): boolean {
  return key.cols.every((pc, j) => {
    const v = row[pc]!;
    return v !== null && compareValues(v, applyAffinity(row[fk.columns[j]!]!, t.columns[pc]!.affinity), t.columns[pc]!.collation) === 0;
  });
}

/**
 * Checks that every foreign key of the new row finds its parent. For an
 * UPDATE, `old` is the row it replaces and `setCols` the columns its SET
 * clauses name (the rowid as t.columns.length): as SQLite, a foreign key none
 * of whose columns is assigned is not checked, except a self-referencing one,
 * whose old row no longer counts as a parent.
 */
export function checkParents(s: ForeignKeyContext, t: TableInfo, row: Row, old: Row | null = null, setCols: ReadonlySet<number> | null = null): void {
  if (!s.foreignKeys) return;
  const n = t.columns.length;
  for (const fk of t.foreignKeys) {
    // As SQLite: an UPDATE skips a key none of whose columns it assigns before it looks up the parent table.
    const self = fold(fk.parentTable) === fold(t.name);
    if (old !== null && !self) {
      const modified =
        setCols === null
          ? fk.columns.some((c) => compareValues(old[c]!, row[c]!, 'BINARY') !== 0)
          : fk.columns.some((c) => setCols.has(c) || (c === t.rowidAlias && setCols.has(n)));
      if (!modified) continue;
    }
    const parent = parentTable(s, fk);
    const key = parentKey(t, parent, fk);
    const deferred = isDeferred(s, fk);
    const excluded = self && old !== null ? (old[n] as number | bigint) : null;
    const found = (vals: SqlValue[]): boolean => {
      const id = key.find(s, vals);
      return id !== null && id !== excluded;
    };
    if (old !== null && deferred && s.deferredViolations !== 0) {
      const oldVals = fk.columns.map((c) => old[c]!);
      if (!oldVals.some((v) => v === null) && key.find(s, oldVals) === null) s.deferredViolations--;
    }
    const vals = fk.columns.map((c) => row[c]!);
    if (vals.some((v) => v === null)) continue;
    if (self && isOwnParent(t, key, fk, row)) continue;
    if (found(vals)) continue;
    if (!deferred) throw foreignKeyError();
    s.deferredViolations++;
  }
}

/** A child row of `t` is deleted: an orphan it was under a deferred constraint is no longer a violation. */
export function childRemoved(s: ForeignKeyContext, t: TableInfo, old: Row): void {
  if (!s.foreignKeys || s.deferredViolations === 0) return;
  for (const fk of t.foreignKeys) {
    if (!isDeferred(s, fk)) continue;
    const parent = s.catalog.table(fk.parentTable);
    const vals = fk.columns.map((c) => old[c]!);
    if (vals.some((v) => v === null)) continue;
    if (parent === undefined || parentKey(t, parent, fk).find(s, vals) === null) s.deferredViolations--;
  }
}

/** The rows of `child` whose `fk` columns hold `key` (values of the parent columns `pcols`). */
function referencingRows(s: ForeignKeyContext, child: TableInfo, fk: ForeignKeyInfo, parent: TableInfo, pcols: readonly number[], key: readonly SqlValue[], skipRowid: number | bigint | null): Row[] {
  const matches: Row[] = [];
  const lo = objectPrefix(child.id);
  const cur = s.overlay.scan(lo, prefixEnd(lo));
  try {
    while (cur.next()) {
      const rowid = readRowid(cur.key(), 4);
      if (rowid === skipRowid) continue;
      const r = decodeTableRow(child, rowid, cur.value());
      if (fk.columns.every((c, j) => r[c] !== null && compareValues(applyAffinity(r[c]!, parent.columns[pcols[j]!]!.affinity), key[j]!, parent.columns[pcols[j]!]!.collation) === 0)) matches.push(r);
    }
  } finally {
    cur.close();
  }
  return matches;
}

/**
 * A parent row of `parent` is written (`old` null: inserted; else its key may
 * have changed): orphans waiting for this key under deferred constraints are
 * resolved. Runs before the row is written.
 */
export function parentAdded(s: ForeignKeyContext, parent: TableInfo, row: Row, old: Row | null): void {
  if (!s.foreignKeys) return;
  for (const child of s.catalog.tables.values()) {
    for (const fk of child.foreignKeys) {
      if (s.deferredViolations === 0) return;
      if (fold(fk.parentTable) !== fold(parent.name) || !isDeferred(s, fk)) continue;
      const pcols = parentKey(child, parent, fk).cols;
      const vals = pcols.map((i) => row[i]!);
      if (vals.some((v) => v === null)) continue;
      if (old !== null && pcols.every((i) => compareValues(old[i]!, row[i]!, 'BINARY') === 0)) continue;
      s.deferredViolations -= referencingRows(s, child, fk, parent, pcols, vals, null).length;
    }
  }
}

/** Children referencing a parent row that is deleted (`newRow` null) or whose key changes. */
export function childRefs(s: ForeignKeyContext, parent: TableInfo, oldRow: Row, newRow: Row | null, f: Frame, depth: number): void {
  if (!s.foreignKeys) return;
  const oldRowid = oldRow[parent.columns.length] as number | bigint;
  // Actions (CASCADE, SET NULL, SET DEFAULT) first; NO ACTION / RESTRICT checks then see their effect,
  // as SQLite's end-of-statement check does.
  for (const pass of ['actions', 'checks'] as const)
  for (const child of s.catalog.tables.values()) {
    for (const fk of child.foreignKeys) {
      if (fold(fk.parentTable) !== fold(parent.name)) continue;
      const action = newRow === null ? fk.onDelete : fk.onUpdate;
      const isAction = action === 'CASCADE' || action === 'SET NULL' || action === 'SET DEFAULT';
      if ((pass === 'actions') !== isAction) continue;
      const pidx = parentKey(child, parent, fk).cols;
      const oldVals = pidx.map((i) => oldRow[i]!);
      if (oldVals.some((v) => v === null)) continue;
      if (newRow !== null && pidx.every((i) => compareValues(oldRow[i]!, newRow[i]!, 'BINARY') === 0)) continue;
      // A row deleted from a self-referencing table is not its own child (SQLite's fkScanChildren).
      const matches = referencingRows(s, child, fk, parent, pidx, oldVals, child.id === parent.id && newRow === null ? oldRowid : null);
      if (matches.length === 0) continue;
      if (depth > 100) throw new HeliosError('TOO_BIG', 'too many levels of foreign key cascade');
      if (isAction) {
        const planner = new Planner({ catalog: s.catalog, store: () => s.overlay });
        const w = compileTableWriter(child, planner);
        const event = action === 'CASCADE' && newRow === null ? 'DELETE' : 'UPDATE';
        const tr = s.triggers;
        const before = tr !== undefined && tr.has(child.name, 'BEFORE', event);
        const after = tr !== undefined && tr.has(child.name, 'AFTER', event);
        // SQLite runs an action as a DELETE or UPDATE of the child assigning the key columns: UPDATE OF those fires.
        const keyCols = new Set(fk.columns);
        const changed = (c: number): boolean => keyCols.has(c);
        const nChild = child.columns.length;
        // Rows a BEFORE trigger's RAISE(IGNORE) left referencing the old key stay violations, as in SQLite.
        let kept = 0;
        for (let r of matches) {
          if (before || after) {
            // An earlier row's trigger may have changed or deleted this one.
            const cur = loadRow(s.overlay, child, r[nChild] as number | bigint);
            if (cur === null) continue;
            r = cur;
          }
          if (event === 'DELETE') {
            if (before && !tr!.fire(child.name, 'BEFORE', 'DELETE', r, null, null, null)) {
              kept++;
              continue;
            }
            removeRow(s, w, r, f);
            s.totalChangesCount++; // a row an action changes counts in total_changes(), as in SQLite
            childRefs(s, child, r, null, f, depth + 1);
            childRemoved(s, child, r);
            if (after) tr!.fire(child.name, 'AFTER', 'DELETE', r, null, null, null);
            continue;
          }
          const nr = r.slice();
          fk.columns.forEach((c, j) => {
            nr[c] = action === 'CASCADE' ? newRow![pidx[j]!]! : action === 'SET NULL' ? null : w.defaults[c] ? applyAffinity(w.defaults[c]!(f), child.columns[c]!.affinity) : null;
          });
          if (before && !tr!.fire(child.name, 'BEFORE', 'UPDATE', r, nr, changed, null)) {
            kept++;
            continue;
          }
          removeRow(s, w, r, f);
          putRow(s, w, nr, r[nChild] as number | bigint, f);
          s.totalChangesCount++;
          if (after) tr!.fire(child.name, 'AFTER', 'UPDATE', r, nr, changed, null);
        }
        if (kept > 0) {
          if (fk.deferred || s.deferForeignKeys) s.deferredViolations += kept;
          else throw foreignKeyError();
        }
        continue;
      }
      // RESTRICT acts at once even on a deferred constraint, unless defer_foreign_keys is ON (as SQLite).
      if ((fk.deferred && action !== 'RESTRICT') || s.deferForeignKeys) {
        s.deferredViolations += matches.length;
        continue;
      }
      throw foreignKeyError();
    }
  }
}

/** The id PRAGMA foreign_key_list and foreign_key_check give a foreign key: SQLite numbers the last declared 0. */
export function foreignKeyId(t: TableInfo, declared: number): number {
  return t.foreignKeys.length - 1 - declared;
}

/**
 * PRAGMA foreign_key_check: `[table, rowid, parent, fkid]` for each child row
 * (rowid order; per row, foreign keys by id) whose non-NULL key finds no
 * parent row; every such row when the parent table does not exist. `tables`
 * are checked in the order given. A foreign key whose parent key is not
 * unique fails with "foreign key mismatch", as SQLite.
 */
export function foreignKeyCheck(s: ForeignKeyContext, tables: readonly TableInfo[]): Row[] {
  const out: Row[] = [];
  for (const t of tables) {
    if (t.foreignKeys.length === 0) continue;
    const fks = t.foreignKeys.map((fk, i) => ({ fk, id: foreignKeyId(t, i) })).sort((a, b) => a.id - b.id);
    const checks = fks.map(({ fk, id }) => {
      const parent = s.catalog.table(fk.parentTable);
      return { fk, id, parent, key: parent === undefined ? null : parentKey(t, parent, fk) };
    });
    const lo = objectPrefix(t.id);
    const cur = s.overlay.scan(lo, prefixEnd(lo));
    try {
      while (cur.next()) {
        const rowid = readRowid(cur.key(), 4);
        const r = decodeTableRow(t, rowid, cur.value());
        for (const c of checks) {
          const vals = c.fk.columns.map((i) => r[i]!);
          if (vals.some((v) => v === null)) continue;
          if (c.key !== null && c.key.find(s, vals) !== null) continue;
          out.push([t.name, t.withoutRowid ? null : rowid, c.parent?.name ?? c.fk.parentTable, c.id]);
        }
      }
    } finally {
      cur.close();
    }
  }
  return out;
}
