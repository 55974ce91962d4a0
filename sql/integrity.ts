/**
 * db.verifyIntegrity and PRAGMA integrity_check / quick_check (both run the
 * whole check): first every live file is read again and every sealed block
 * and record authenticated (engine verifyFiles, spec/backup.md
 * [ENG-BAK-VERIFY-1]); then the SQL level: every index entry points at a live row, every row
 * that belongs in an index (a partial index's WHERE holds) has its entry
 * holding the indexed values, each index has exactly as many entries as
 * rows that belong in it, no NOT NULL column holds NULL and every row
 * satisfies the table's CHECK constraints (SQLite's wording), and every
 * schema row loads (catalog.ts damaged: "malformed database schema"). Returns at
 * most 100 problems, or ['ok'].
 */
import type { SqlValue } from '../format/sql-value.ts';
import { objectPrefix, prefixEnd, readRowid, rowKey } from '../format/table-key.ts';
import { isTruthy } from './value.ts';
import type { Catalog } from './catalog.ts';
import type { Frame, Row } from './expr-compile.ts';
import { Planner, readTableRows } from './planner.ts';
import type { Overlay } from './txn.ts';
import { compileTableWriter, indexEntryKey, indexValues } from './constraints.ts';
import { isHeliosError } from '../format/errors.ts';
import type { Engine, FileCheck, FileCheckProgress } from '../engine/engine.ts';

/** What db.verifyIntegrity() returns. */
export interface IntegrityReport {
  /** True when every file authenticated and the SQL level is consistent. */
  readonly ok: boolean;
  /** Every problem, damaged files first (file and offset named), then the SQL level, at most 100 SQL lines. */
  readonly problems: readonly string[];
  /** One entry per live file read. */
  readonly files: readonly FileCheck[];
  readonly filesChecked: number;
  readonly bytesChecked: number;
  /** Sealed records and blocks authenticated. */
  readonly blocksChecked: number;
  /** Tables and indexes whose rows and entries were cross-checked. */
  readonly tablesChecked: number;
  readonly indexesChecked: number;
}

export interface IntegrityProgress extends FileCheckProgress {
  readonly phase: 'files' | 'sql';
}

/** The whole check: files, then SQL (see the module comment). */
export function verifyIntegrity(s: IntegritySession & { readonly engine: Engine }, onProgress?: (p: IntegrityProgress) => void): IntegrityReport {
  const files = s.engine.verifyFiles(onProgress === undefined ? undefined : (p) => onProgress({ ...p, phase: 'files' }));
  const problems: string[] = [];
  for (const f of files) if (f.error !== null) problems.push(`${f.name}: ${f.error}`);
  const bytesChecked = files.reduce((a, f) => a + f.byteLength, 0);
  onProgress?.({ phase: 'sql', filesDone: files.length, filesTotal: files.length, bytesDone: bytesChecked, bytesTotal: bytesChecked });
  let sql: string[];
  try {
    sql = integrityCheck(s);
  } catch (e) {
    if (!isHeliosError(e, 'CORRUPTION')) throw e;
    sql = [`the SQL check stopped: ${e.message}`];
  }
  if (!(sql.length === 1 && sql[0] === 'ok')) problems.push(...sql);
  let indexes = 0;
  for (const t of s.catalog.tables.values()) indexes += t.indexes.length;
  return {
    ok: problems.length === 0,
    problems,
    files,
    filesChecked: files.length,
    bytesChecked,
    blocksChecked: files.reduce((a, f) => a + f.units, 0),
    tablesChecked: s.catalog.tables.size,
    indexesChecked: indexes,
  };
}

/** What the check needs of the session. */
export interface IntegritySession {
  readonly catalog: Catalog;
  readonly overlay: Overlay;
  /** A frame for one execution with `params` bound. */
  frame(params: readonly SqlValue[]): Frame;
}

export function integrityCheck(s: IntegritySession): string[] {
  // Schema rows that did not load (written under PRAGMA writable_schema): their objects went unchecked.
  const problems: string[] = [...s.catalog.damaged.values()].map((e) => e.message);
  const f = s.frame([]);
  for (const t of s.catalog.tables.values()) {
    const planner = new Planner({ catalog: s.catalog, store: () => s.overlay });
    const w = compileTableWriter(t, planner);
    const rows = readTableRows(s.overlay, t);
    for (const ix of t.indexes) {
      let expected = 0;
      for (const r of rows) {
        const pe = w.partial.get(ix);
        if (pe) {
          f.rows[w.slot] = r;
          if (isTruthy(pe(f)) !== true) continue;
        }
        expected++;
        const vals = indexValues(ix, r, w.exprEvs.get(ix) ?? null, f, w.slot);
        if (s.overlay.get(indexEntryKey(ix, vals, r[t.columns.length] as number | bigint)) === undefined) {
          problems.push(`row ${String(r[t.columns.length])} missing from index ${ix.name}`);
        }
      }
      let actual = 0;
      const il = objectPrefix(ix.id);
      const ic = s.overlay.scan(il, prefixEnd(il));
      try {
        while (ic.next()) {
          actual++;
          const rid = readRowid(ic.value(), 0);
          if (s.overlay.get(rowKey(t.id, rid)) === undefined) problems.push(`index ${ix.name} entry points at missing row ${String(rid)}`);
        }
      } finally {
        ic.close();
      }
      if (actual !== expected) problems.push(`wrong # of entries in index ${ix.name}`);
    }
    for (const r of rows) {
      t.columns.forEach((c, i) => {
        if (c.notNull && r[i] === null && i !== t.rowidAlias) problems.push(`NULL value in ${t.name}.${c.name}`);
      });
      if (w.checks.length > 0) {
        f.rows[w.slot] = r;
        for (const c of w.checks) {
          const v = c.ev(f);
          if (v !== null && isTruthy(v) === false) problems.push(`CHECK constraint failed in ${t.name}`);
        }
      }
    }
  }
  return problems.length === 0 ? ['ok'] : problems.slice(0, 100);
}
