/**
 * The row writer shared by INSERT, UPDATE, DELETE and DDL, and the
 * constraints it checks: NOT NULL (with its conflict action; REPLACE falls
 * back to the column's DEFAULT), CHECK, and rowid / PRIMARY KEY / UNIQUE
 * conflicts found in SQLite's order (the rowid first, then each UNIQUE
 * index, partial indexes only where their WHERE holds). Writing and deleting
 * a row maintains every index entry of the table; the index key of a row is
 * `[...indexed values, rowid]`, the rowid left out of a UNIQUE index's key
 * unless a value is NULL.
 *
 * A failure under OR FAIL / OR ROLLBACK is thrown as a `ConflictError`, which
 * tells the session how much of the statement (or transaction) to undo.
 */
import type * as A from './ast.ts';
import type { ConflictAction } from './ast.ts';
import { HeliosError, type ErrorCode } from '../format/errors.ts';
import type { SqlValue } from '../format/sql-value.ts';
import { encodePrefixedKey, type KeyColumn } from '../format/key-codec.ts';
import { encodeRow } from '../format/row-codec.ts';
import { objectPrefix, prefixEnd, readRowid, rowKey, rowidBytes, writeRowid } from '../format/table-key.ts';
import { applyAffinity, isTruthy, typeOf } from './value.ts';
import { generatedOrder, type IndexInfo, type TableInfo } from './catalog.ts';
import type { Ev, Frame, Row, Scope, Source } from './expr-compile.ts';
import { decodeTableRow, type Planner } from './planner.ts';
import { bytesToBin, type Overlay } from './txn.ts';
import type { Rowids } from './rowids.ts';

/** What writing rows needs of the session. */
export interface RowWriteContext {
  readonly overlay: Overlay;
  readonly rowids: Rowids;
}

export function constraintErr(code: ErrorCode, msg: string): HeliosError {
  return new HeliosError(code, msg);
}

/** Marks a constraint failure raised under OR FAIL / OR ROLLBACK. */
export class ConflictError extends HeliosError {
  constructor(
    base: HeliosError,
    readonly action: 'FAIL' | 'ROLLBACK',
  ) {
    super(base.code, base.message, base.details);
  }
}

/** `e` as thrown under conflict action `action` (a ConflictError for FAIL and ROLLBACK). */
export function conflictError(e: HeliosError, action: ConflictAction): HeliosError {
  if (action === 'FAIL' || action === 'ROLLBACK') return new ConflictError(e, action);
  return e;
}

/** What writing rows of one table needs, compiled once per statement. */
export interface TableWriter {
  readonly t: TableInfo;
  /**
   * UNIQUE index keys findConflicts() computed for the row `keyRow` (by
   * position in t.indexes; undefined: not computed), so putRow() of that same
   * row neither encodes nor converts them again. putRow() clears keyRow.
   */
  keyRow: Row | null;
  readonly keyBytes: (Uint8Array | undefined)[];
  readonly keyBins: (string | undefined)[];
  /** The frame slot of the row being written (what CHECK and index expressions read). */
  readonly slot: number;
  readonly scope: Scope;
  readonly exprEvs: Map<IndexInfo, (Ev | null)[]>;
  readonly partial: Map<IndexInfo, Ev>;
  readonly checks: { name: string; ev: Ev }[];
  readonly defaults: (Ev | null)[];
  /** The generated columns in the order they are computed (catalog.ts generatedOrder). */
  readonly generated: readonly { readonly col: number; readonly ev: Ev }[];
}

/** A row a new row conflicts with: through the rowid (ix null) or a UNIQUE index. */
export interface Conflict {
  readonly ix: IndexInfo | null;
  readonly rowid: number | bigint;
}
const NO_CONFLICTS: readonly Conflict[] = Object.freeze([]);

/** Key-codec column descriptions per index (IndexInfo objects are immutable catalog entries). */
const keyColumnsOf = new WeakMap<IndexInfo, KeyColumn[]>();

/** Compiles what writing rows of `t` needs: expression-index evaluators, CHECKs, defaults. */
export function compileTableWriter(t: TableInfo, planner: Planner): TableWriter {
  const scope = planner.rootScope();
  const slot = planner.comp.allocSlot();
  const src: Source = {
    slot,
    name: t.name,
    columns: t.columns.map((c) => ({ name: c.name, aff: c.affinity, coll: c.collation })),
    rowidIndex: t.columns.length,
    table: t,
    mergedColumns: new Set(),
    width: t.columns.length + 1,
  };
  scope.sources.push(src);
  const exprEvs = new Map<IndexInfo, (Ev | null)[]>();
  for (const ix of t.indexes) {
    if (ix.columns.some((c) => c.column === -1)) exprEvs.set(ix, ix.columns.map((c) => (c.expr ? planner.comp.compile(c.expr, scope).ev : null)));
  }
  const partial = new Map<IndexInfo, Ev>();
  for (const ix of t.indexes) if (ix.where) partial.set(ix, planner.comp.compile(ix.where, scope).ev);
  const checks = t.checks.map((c) => ({ name: c.name ?? checkText(t.sql, c.expr), ev: planner.comp.compile(c.expr, scope).ev }));
  const rootScope = planner.rootScope();
  const defaults = t.columns.map((c) => (c.defaultExpr ? planner.comp.compile(c.defaultExpr, rootScope).ev : null));
  const generated = t.columns.some((c) => c.generated !== null) ? compileGenerated(t, planner, scope) : [];
  return { t, keyRow: null, keyBytes: [], keyBins: [], slot, scope, exprEvs, partial, checks, defaults, generated };
}

/**
 * Compiles the generated columns' expressions over the row being written, with SQLite's
 * refusals: no subquery, no non-deterministic function (an aggregate is refused as anywhere
 * outside a query's result).
 */
function compileGenerated(t: TableInfo, planner: Planner, scope: Scope): { col: number; ev: Ev }[] {
  const comp = planner.comp;
  const savedSub = comp.sub;
  const savedRandom = comp.usesRandom;
  comp.sub = {
    compileSubquery: () => {
      throw new HeliosError('SQL_ERROR', 'subqueries prohibited in generated columns');
    },
  };
  try {
    return generatedOrder(t.name, t.columns, t.columnIndex).map((col) => {
      comp.usesRandom = false;
      const ev = comp.compile(t.columns[col]!.generated!.expr, scope).ev;
      if (comp.usesRandom) throw new HeliosError('SQL_ERROR', 'non-deterministic functions prohibited in generated columns');
      return { col, ev };
    });
  } finally {
    comp.sub = savedSub;
    comp.usesRandom = savedRandom;
  }
}

/** Computes the generated columns of `row` (every other column final), each with its column's affinity. */
export function computeGenerated(w: TableWriter, row: Row, f: Frame): void {
  f.rows[w.slot] = row;
  for (const g of w.generated) row[g.col] = applyAffinity(g.ev(f), w.t.columns[g.col]!.affinity);
}

/** Values of an index's key for a row ([...columns, rowid]). */
export function indexValues(ix: IndexInfo, row: Row, exprEvs: (Ev | null)[] | null, f: Frame | null, slot: number): SqlValue[] {
  const out = new Array<SqlValue>(ix.columns.length);
  for (let i = 0; i < ix.columns.length; i++) {
    const c = ix.columns[i]!;
    if (c.column >= 0) out[i] = row[c.column]!;
    else if (c.column === -2) out[i] = row[row.length - 1]!;
    else {
      const ev = exprEvs?.[i];
      if (!ev || !f) throw new HeliosError('INTERNAL', 'expression index without compiled expression');
      f.rows[slot] = row;
      out[i] = ev(f);
    }
  }
  return out;
}

/** The key of `ix`'s entry for a row with index values `vals` and `rowid`. */
export function indexEntryKey(ix: IndexInfo, vals: SqlValue[], rowid: number | bigint): Uint8Array {
  let cols = keyColumnsOf.get(ix);
  if (cols === undefined) {
    cols = ix.columns.map((c) => ({ desc: c.desc, collation: c.collation }));
    keyColumnsOf.set(ix, cols);
  }
  const withRowid = !ix.unique || vals.includes(null);
  // Same bytes as indexKey(ix.id, encodeKey(vals, cols), withRowid ? rowid : null), built in one array.
  const key = encodePrefixedKey(ix.id, vals, cols, withRowid ? 8 : 0);
  if (withRowid) writeRowid(key, key.length - 8, rowid);
  return key;
}

/** Applies NOT NULL (with its conflict action) and CHECK. Returns false when the row is to be skipped (IGNORE). */
export function checkRow(w: TableWriter, row: Row, f: Frame, action: ConflictAction | null): boolean {
  const t = w.t;
  if (w.generated.length > 0) computeGenerated(w, row, f);
  for (let i = 0; i < t.columns.length; i++) {
    const c = t.columns[i]!;
    if (!c.notNull || row[i] !== null) continue;
    if (i === t.rowidAlias) continue;
    const act = action ?? c.notNullConflict ?? 'ABORT';
    if (act === 'IGNORE') return false;
    if (act === 'REPLACE' && w.defaults[i]) {
      row[i] = applyAffinity(w.defaults[i]!(f), c.affinity);
      if (row[i] !== null) continue;
    }
    throw conflictError(constraintErr('CONSTRAINT_NOTNULL', `NOT NULL constraint failed: ${t.name}.${c.name}`), act);
  }
  if (t.strict) checkStrictTypes(t, row);
  if (w.checks.length > 0) {
    f.rows[w.slot] = row;
    for (const c of w.checks) {
      const v = c.ev(f);
      if (v !== null && isTruthy(v) === false) {
        const act = action ?? 'ABORT';
        if (act === 'IGNORE') return false;
        throw conflictError(constraintErr('CONSTRAINT_CHECK', `CHECK constraint failed: ${c.name}`), act);
      }
    }
  }
  return true;
}

/**
 * A STRICT table's type check, after NOT NULL and before CHECK as in SQLite: each value, its
 * column's affinity already applied, must be of the column's type (a REAL column takes an
 * INTEGER as REAL; ANY takes everything). No conflict clause applies: OR IGNORE and OR
 * REPLACE still fail, as in SQLite.
 */
function checkStrictTypes(t: TableInfo, row: Row): void {
  for (let i = 0; i < t.columns.length; i++) {
    const c = t.columns[i]!;
    const v = row[i]!;
    if (v === null || i === t.rowidAlias) continue;
    const type = c.declType.toUpperCase();
    if (type === 'ANY') continue;
    const cls = typeOf(v);
    const ok = type === 'INT' || type === 'INTEGER' ? cls === 'integer' : type === 'REAL' ? cls === 'real' || cls === 'integer' : type === 'TEXT' ? cls === 'text' : cls === 'blob';
    if (ok) {
      if (type === 'REAL' && cls === 'integer') row[i] = applyAffinity(v, 'REAL');
      continue;
    }
    throw constraintErr('CONSTRAINT_DATATYPE', `cannot store ${cls === 'integer' ? 'INT' : cls.toUpperCase()} value in ${type} column ${t.name}.${c.name}`);
  }
}

/**
 * Finds rows that a new row (with `rowid`) would conflict with, in SQLite's
 * order: the rowid first, then each UNIQUE index. `exclude` is the row's own
 * old rowid (UPDATE).
 */
export function findConflicts(
  s: RowWriteContext,
  w: TableWriter,
  row: Row,
  rowid: number | bigint,
  exclude: number | bigint | null,
  f: Frame,
  freshRowid = false,
): readonly Conflict[] {
  // Allocated on the first conflict only (the common row has none).
  let out: Conflict[] = NO_CONFLICTS as Conflict[];
  const t = w.t;
  if (!freshRowid && (exclude === null || exclude !== rowid)) {
    if (s.overlay.get(rowKey(t.id, rowid)) !== undefined) out = [{ ix: null, rowid }];
  }
  const reuse = row.length === t.columns.length + 1;
  w.keyRow = reuse ? row : null;
  for (let i = 0; i < t.indexes.length; i++) {
    const ix = t.indexes[i]!;
    w.keyBytes[i] = undefined;
    if (!ix.unique) continue;
    const pe = w.partial.get(ix);
    if (pe) {
      f.rows[w.slot] = row;
      if (isTruthy(pe(f)) !== true) continue;
    }
    const vals = indexValues(ix, row, w.exprEvs.get(ix) ?? null, f, w.slot);
    if (vals.includes(null)) continue;
    const key = indexEntryKey(ix, vals, rowid);
    const bin = bytesToBin(key);
    if (reuse) {
      w.keyBytes[i] = key;
      w.keyBins[i] = bin;
    }
    const v = s.overlay.getBin(key, bin);
    if (v === undefined) continue;
    const other = readRowid(v, 0);
    if (exclude !== null && other === exclude) continue;
    if (other === rowid && out.some((o) => o.ix === null)) continue;
    if (out === NO_CONFLICTS) out = [];
    out.push({ ix, rowid: other });
  }
  return out;
}

/** The error of a uniqueness conflict with the rowid (ix null) or a UNIQUE index of `t`. */
export function uniqueError(t: TableInfo, ix: IndexInfo | null): HeliosError {
  if (ix === null) {
    const name = t.rowidAlias >= 0 ? `${t.name}.${t.columns[t.rowidAlias]!.name}` : `${t.name}.rowid`;
    return constraintErr('CONSTRAINT_PRIMARYKEY', `UNIQUE constraint failed: ${name}`);
  }
  const cols = ix.columns.map((c) => (c.column >= 0 ? `${t.name}.${t.columns[c.column]!.name}` : c.column === -2 ? `${t.name}.rowid` : `index '${ix.name}'`));
  const text = ix.columns.some((c) => c.column === -1) ? `index '${ix.name}'` : cols.join(', ');
  return constraintErr(ix.origin === 'pk' ? 'CONSTRAINT_PRIMARYKEY' : 'CONSTRAINT_UNIQUE', `UNIQUE constraint failed: ${text}`);
}

/** Writes a row and its index entries (no checks). */
export function putRow(s: RowWriteContext, w: TableWriter, row: Row, rowid: number | bigint, f: Frame): void {
  const t = w.t;
  const n = t.columns.length;
  s.overlay.put(rowKey(t.id, rowid), encodeRow(row, n, t.rowidAlias, s.overlay.alloc));
  // The cached keys hold only if the row's rowid is the one findConflicts() saw.
  const cached = w.keyRow === row && row[n] === rowid;
  w.keyRow = null;
  const full = row.length === n + 1 ? row : [...row.slice(0, n), rowid];
  full[n] = rowid;
  if (t.rowidAlias >= 0) full[t.rowidAlias] = rowid;
  const rb = rowidBytes(rowid);
  for (let i = 0; i < t.indexes.length; i++) {
    const ix = t.indexes[i]!;
    const pe = w.partial.get(ix);
    if (pe) {
      f.rows[w.slot] = full;
      if (isTruthy(pe(f)) !== true) continue;
    }
    const key = cached ? w.keyBytes[i] : undefined;
    if (key !== undefined) {
      s.overlay.putBin(w.keyBins[i]!, rb);
      continue;
    }
    const vals = indexValues(ix, full, w.exprEvs.get(ix) ?? null, f, w.slot);
    s.overlay.put(indexEntryKey(ix, vals, rowid), rb);
  }
  s.rowids.noteRowid(t, rowid);
}

/** Deletes a row (given as [...columns, rowid]) and its index entries. */
export function removeRow(s: RowWriteContext, w: TableWriter, row: Row, f: Frame): void {
  const t = w.t;
  const rowid = row[t.columns.length] as number | bigint;
  s.overlay.delete(rowKey(t.id, rowid));
  s.rowids.forgetRowid(t, rowid);
  for (const ix of t.indexes) {
    const pe = w.partial.get(ix);
    if (pe) {
      f.rows[w.slot] = row;
      if (isTruthy(pe(f)) !== true) continue;
    }
    const vals = indexValues(ix, row, w.exprEvs.get(ix) ?? null, f, w.slot);
    s.overlay.delete(indexEntryKey(ix, vals, rowid));
  }
}

/** The row of `t` with `rowid` ([...columns, rowid]), or null. */
export function loadRow(overlay: Overlay, t: TableInfo, rowid: number | bigint): Row | null {
  const v = overlay.get(rowKey(t.id, rowid));
  return v === undefined ? null : decodeTableRow(t, rowid, v);
}

/** Whether some row of `t` satisfies `pred` (a full scan). */
export function anyRow(overlay: Overlay, t: TableInfo, pred: (r: Row) => boolean): boolean {
  const lo = objectPrefix(t.id);
  const cur = overlay.scan(lo, prefixEnd(lo));
  try {
    while (cur.next()) if (pred(decodeTableRow(t, readRowid(cur.key(), 4), cur.value()))) return true;
  } finally {
    cur.close();
  }
  return false;
}

/** The text of a CHECK expression inside the CREATE TABLE text (SQLite's constraint-failed message). */
function checkText(sql: string, e: A.Expr): string {
  const start = e.pos.offset;
  let depth = 0;
  let i = start;
  let inStr: string | null = null;
  for (; i < sql.length; i++) {
    const ch = sql[i]!;
    if (inStr) {
      if (ch === inStr) inStr = null;
      continue;
    }
    if (ch === "'" || ch === '"') inStr = ch;
    else if (ch === '(') depth++;
    else if (ch === ')') {
      if (depth === 0) break;
      depth--;
    }
  }
  return dequoteLikeSqlite(sql.slice(start, i).trim());
}

/**
 * SQLite stores an unnamed CHECK's text as its name through sqlite3Dequote,
 * so a text starting with a quote keeps only the quoted part
 * (`"x" > 0` fails as "CHECK constraint failed: x").
 */
function dequoteLikeSqlite(z: string): string {
  const q0 = z[0];
  if (q0 !== '"' && q0 !== "'" && q0 !== '`' && q0 !== '[') return z;
  const q = q0 === '[' ? ']' : q0;
  let out = '';
  for (let i = 1; i < z.length; i++) {
    if (z[i] === q) {
      if (z[i + 1] === q) {
        out += q;
        i++;
      } else break;
    } else out += z[i];
  }
  return out;
}
