/**
 * Rowid allocation and AUTOINCREMENT marks, as SQLite: a new row gets
 * max(rowid) + 1 (with AUTOINCREMENT, one past the larger of that and the
 * table's high-water mark), and once the largest rowid is 2^63-1 a random
 * unused one (never with AUTOINCREMENT: "database or disk is full"). The
 * mark moves in memory as soon as a rowid is chosen and is written to the
 * overlay only when the statement succeeds (`flushSequences`).
 *
 * Both the largest rowid and the mark are cached per table for the current
 * transaction state: the session calls `clear()` on every rollback.
 */
import { HeliosError } from '../format/errors.ts';
import { MAX_INT64 } from '../format/sql-value.ts';
import { prefixEnd, objectPrefix, readRowid, rowKey, rowidBytes, sequenceKey } from '../format/table-key.ts';
import type { TableInfo } from './catalog.ts';
import { bytesToBin, type Overlay } from './txn.ts';

/** The names that reach a rowid table's rowid. */
export const ROWID_NAMES = new Set(['rowid', 'oid', '_rowid_']);

/** The overlay calls rowid allocation makes. */
export type RowidStore = Pick<Overlay, 'get' | 'scan' | 'putBin'>;

export interface Rowids {
  /** Largest rowid in `t` (0 when empty), cached for the transaction. */
  maxRowid(t: TableInfo): number | bigint;
  /** A row with `rowid` was written to `t`. */
  noteRowid(t: TableInfo, rowid: number | bigint): void;
  /** The row with `rowid` was deleted from `t` (the cached largest rowid is dropped if it was that one). */
  forgetRowid(t: TableInfo, rowid: number | bigint): void;
  /** The rowid for a row inserted without one. */
  newRowid(t: TableInfo): number | bigint;
  /** Raises the AUTOINCREMENT mark in memory; flushSequences() persists it when the statement succeeds. */
  bumpSequence(t: TableInfo, rowid: number | bigint): void;
  /** Writes the marks raised by the statement (SQLite updates sqlite_sequence only at a statement's successful end). */
  flushSequences(): void;
  /** The table with this id was dropped. */
  dropTable(tableId: number): void;
  /** Forgets every cached value (any rollback). */
  clear(): void;
}

/** sequenceKey(tableId) and its overlay string, per table id (ids are never reused; the arrays are never modified). */
const seqKeys = new Map<number, { key: Uint8Array; bin: string }>();

export function createRowids(overlay: RowidStore): Rowids {
  /** Largest rowid per table id, valid for the current transaction state (cleared on any rollback). */
  const rowidCache = new Map<number, number | bigint>();
  /** AUTOINCREMENT high-water marks per table id (same lifetime as rowidCache). */
  const seqCache = new Map<number, number | bigint>();
  /** Ids of the tables whose mark moved in the running statement (an array: emptying a Set allocates). */
  const seqDirty: number[] = [];

  const maxRowid = (t: TableInfo): number | bigint => {
    const c = rowidCache.get(t.id);
    if (c !== undefined) return c;
    const lo = objectPrefix(t.id);
    const cur = overlay.scan(lo, prefixEnd(lo), true);
    let m: number | bigint = 0;
    try {
      if (cur.next()) m = readRowid(cur.key(), 4);
    } finally {
      cur.close();
    }
    rowidCache.set(t.id, m);
    return m;
  };

  /** The AUTOINCREMENT high-water mark of `t` (0 when none), cached for the transaction. */
  const sequence = (t: TableInfo): number | bigint => {
    const c = seqCache.get(t.id);
    if (c !== undefined) return c;
    const s = overlay.get(sequenceKey(t.id));
    const v = s ? readRowid(s, 0) : 0;
    seqCache.set(t.id, v);
    return v;
  };

  return {
    maxRowid,
    noteRowid(t, rowid) {
      const m = maxRowid(t);
      if (rowid > m) rowidCache.set(t.id, rowid);
    },
    forgetRowid(t, rowid) {
      if (rowidCache.get(t.id) === rowid) rowidCache.delete(t.id);
    },
    newRowid(t) {
      let m = maxRowid(t);
      if (t.autoincrement) {
        const seq = sequence(t);
        if (seq > m) m = seq;
      }
      if (m === MAX_INT64 || m === 9223372036854775807n) {
        if (t.autoincrement) throw new HeliosError('SQL_ERROR', 'database or disk is full');
        for (let i = 0; i < 100; i++) {
          const r = BigInt(Math.floor(Math.random() * 2 ** 52)) * 2048n + BigInt(Math.floor(Math.random() * 2048));
          const cand = Number.isSafeInteger(Number(r)) ? Number(r) : r;
          if (overlay.get(rowKey(t.id, cand)) === undefined) return cand;
        }
        throw new HeliosError('SQL_ERROR', 'database or disk is full');
      }
      if (typeof m === 'bigint') {
        const n = m + 1n;
        return n <= 9007199254740991n && n >= -9007199254740991n ? Number(n) : n;
      }
      const n = m + 1;
      return Number.isSafeInteger(n) ? n : BigInt(m) + 1n;
    },
    bumpSequence(t, rowid) {
      if (sequence(t) >= rowid) return;
      seqCache.set(t.id, rowid);
      if (!seqDirty.includes(t.id)) seqDirty.push(t.id);
    },
    flushSequences() {
      for (let i = 0; i < seqDirty.length; i++) {
        const id = seqDirty[i]!;
        const v = seqCache.get(id);
        if (v === undefined) continue;
        let k = seqKeys.get(id);
        if (k === undefined) {
          const key = sequenceKey(id);
          k = { key, bin: bytesToBin(key) };
          seqKeys.set(id, k);
        }
        overlay.putBin(k.bin, rowidBytes(v));
      }
      seqDirty.length = 0;
    },
    dropTable(tableId) {
      rowidCache.delete(tableId);
      seqCache.delete(tableId);
    },
    clear() {
      rowidCache.clear();
      seqCache.clear();
      seqDirty.length = 0;
    },
  };
}
