/**
 * Foreign keys, enforced only while PRAGMA foreign_keys is ON (as SQLite):
 * a new or changed child row must find its parent (a NULL in the key means
 * no reference), and deleting a parent row or changing its key runs each
 * referencing foreign key's ON DELETE / ON UPDATE action. CASCADE, SET NULL
 * and SET DEFAULT run first (recursively, at most 100 levels deep); NO
 * ACTION and RESTRICT then fail if a child still references the old key, as
 * SQLite's end-of-statement check does. The parent key is the named columns,
 * else the rowid alias, else the PRIMARY KEY columns.
 */
import { HeliosError } from '../format/errors.ts';
import type { SqlValue } from '../format/sql-value.ts';
import { objectPrefix, prefixEnd, readRowid, rowKey } from '../format/table-key.ts';
import { applyAffinity, compareValues } from './value.ts';
import { fold, type Catalog, type TableInfo } from './catalog.ts';
import type { Frame, Row } from './expr-compile.ts';
import { Planner, decodeTableRow, rowidProbe } from './planner.ts';
import { sqlErr } from './sql-error.ts';
import { anyRow, compileTableWriter, constraintErr, indexEntryKey, putRow, removeRow, type RowWriteContext } from './constraints.ts';

/** What foreign-key enforcement needs of the session. */
export interface ForeignKeyContext extends RowWriteContext {
  readonly catalog: Catalog;
  /** PRAGMA foreign_keys. */
  readonly foreignKeys: boolean;
}

/** Checks that every foreign key of the new row finds its parent. */
export function checkParents(s: ForeignKeyContext, t: TableInfo, row: Row): void {
  if (!s.foreignKeys) return;
  for (const fk of t.foreignKeys) {
    const vals = fk.columns.map((c) => row[c]!);
    if (vals.some((v) => v === null)) continue;
    const parent = s.catalog.table(fk.parentTable);
    if (!parent) throw constraintErr('CONSTRAINT_FOREIGNKEY', 'FOREIGN KEY constraint failed');
    if (!parentExists(s, parent, fk.parentColumns, vals)) throw constraintErr('CONSTRAINT_FOREIGNKEY', 'FOREIGN KEY constraint failed');
  }
}

function parentColumnIndexes(parent: TableInfo, cols: readonly string[] | null): number[] {
  if (cols === null) {
    if (parent.rowidAlias >= 0) return [parent.rowidAlias];
    const pk = parent.columns.map((c, i) => ({ c, i })).filter((x) => x.c.pk > 0).sort((a, b) => a.c.pk - b.c.pk);
    return pk.map((x) => x.i);
  }
  return cols.map((n) => {
    const i = parent.columnIndex.get(fold(n));
    if (i === undefined) throw sqlErr(`foreign key mismatch - referencing "${parent.name}"`);
    return i;
  });
}

function parentExists(s: ForeignKeyContext, parent: TableInfo, cols: readonly string[] | null, vals: SqlValue[]): boolean {
  const idx = parentColumnIndexes(parent, cols);
  if (idx.length === 1 && idx[0] === parent.rowidAlias) {
    const id = rowidProbe(vals[0]!);
    return id !== null && s.overlay.get(rowKey(parent.id, id)) !== undefined;
  }
  const ix = parent.indexes.find((x) => x.unique && x.columns.length === idx.length && x.columns.every((c, j) => c.column === idx[j]));
  if (ix) {
    const conv = vals.map((v, j) => applyAffinity(v, parent.columns[idx[j]!]!.affinity));
    if (conv.some((v) => v === null)) return false;
    return s.overlay.get(indexEntryKey(ix, conv, 0)) !== undefined;
  }
  return anyRow(s.overlay, parent, (r) => idx.every((c, j) => r[c] !== null && compareValues(r[c]!, applyAffinity(vals[j]!, parent.columns[c]!.affinity), parent.columns[c]!.collation) === 0));
}

/** Children referencing a parent row that is deleted (`newRow` null) or whose key changes. */
export function childRefs(s: ForeignKeyContext, parent: TableInfo, oldRow: Row, newRow: Row | null, f: Frame, depth: number): void {
  if (!s.foreignKeys) return;
  // Actions (CASCADE, SET NULL, SET DEFAULT) first; NO ACTION / RESTRICT checks then see their effect,
  // as SQLite's end-of-statement check does.
  for (const pass of ['actions', 'checks'] as const)
  for (const child of s.catalog.tables.values()) {
    for (const fk of child.foreignKeys) {
      if (fold(fk.parentTable) !== fold(parent.name)) continue;
      const act = newRow === null ? fk.onDelete : fk.onUpdate;
      const isAction = act === 'CASCADE' || act === 'SET NULL' || act === 'SET DEFAULT';
      if ((pass === 'actions') !== isAction) continue;
      const pidx = parentColumnIndexes(parent, fk.parentColumns);
      const oldVals = pidx.map((i) => oldRow[i]!);
      if (oldVals.some((v) => v === null)) continue;
      if (newRow !== null && pidx.every((i) => compareValues(oldRow[i]!, newRow[i]!, 'BINARY') === 0)) continue;
      const action = newRow === null ? fk.onDelete : fk.onUpdate;
      const matches: Row[] = [];
      const lo = objectPrefix(child.id);
      const cur = s.overlay.scan(lo, prefixEnd(lo));
      try {
        while (cur.next()) {
          const r = decodeTableRow(child, readRowid(cur.key(), 4), cur.value());
          if (fk.columns.every((c, j) => r[c] !== null && compareValues(applyAffinity(r[c]!, parent.columns[pidx[j]!]!.affinity), oldVals[j]!, parent.columns[pidx[j]!]!.collation) === 0)) matches.push(r);
        }
      } finally {
        cur.close();
      }
      if (matches.length === 0) continue;
      if (depth > 100) throw new HeliosError('TOO_BIG', 'too many levels of foreign key cascade');
      if (action === 'CASCADE' || action === 'SET NULL' || action === 'SET DEFAULT') {
        const planner = new Planner({ catalog: s.catalog, store: () => s.overlay });
        const w = compileTableWriter(child, planner);
        for (const r of matches) {
          if (action === 'CASCADE' && newRow === null) {
            childRefs(s, child, r, null, f, depth + 1);
            removeRow(s, w, r, f);
            continue;
          }
          const nr = r.slice();
          fk.columns.forEach((c, j) => {
            nr[c] = action === 'CASCADE' ? newRow![pidx[j]!]! : action === 'SET NULL' ? null : w.defaults[c] ? applyAffinity(w.defaults[c]!(f), child.columns[c]!.affinity) : null;
          });
          removeRow(s, w, r, f);
          putRow(s, w, nr, r[child.columns.length] as number | bigint, f);
        }
        continue;
      }
      throw constraintErr('CONSTRAINT_FOREIGNKEY', 'FOREIGN KEY constraint failed');
    }
  }
}
