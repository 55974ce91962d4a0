/**
 * Triage of differences between HeliosDB and SQLite: samples generated
 * scenarios (fuzz/sqlgen.ts), runs every statement on both, and prints the
 * kinds of difference ranked by frequency, each with the shortest script
 * that shows it. Where the differential campaign stops at the first
 * failure, this shows the whole landscape at once.
 *
 *   node scripts/run-ts.mjs scripts/slt-triage.ts [--scenarios N] [--shape select|aggregate|join|subquery|compound] [--seed S] [--all]
 *
 * Queries using a PENDING_FIXES feature (known bugs) are left out unless --all.
 */
import fc from 'fast-check';
import { SHAPES, afterChecks, choosesRepresentatives, isIntendedDifference, isPendingFix, scenarioArb, setupStatements, type Shape } from '../fuzz/sqlgen.ts';
import { createSqliteBackend, type QueryResult, type SltBackend } from './slt-backend.ts';
import { createHeliosBackend } from './slt-helios.ts';
import { attempt, compareOutcomes, type Outcome } from './slt-compare.ts';
import type { SltValue } from './slt-format.ts';

function key(v: SltValue): string {
  if (v === null) return 'NULL';
  if (typeof v === 'bigint') return `${v}`;
  if (typeof v === 'number') return `${v === 0 ? 0 : v}r`;
  if (typeof v === 'string') return JSON.stringify(v);
  return `x'${[...v].map((b) => b.toString(16).padStart(2, '0')).join('')}'`;
}

const rowsKey = (r: QueryResult, ordered: boolean): string[] => {
  const ks = r.rows.map((row) => row.map(key).join(', '));
  return ordered ? ks : ks.sort();
};

/** The category of a difference: which side failed and why (names and numbers masked), or a wrong result. */
function classify(o: Outcome, h: Outcome, ordered: boolean, representatives = false): { category: string; detail: string } | null {
  const mask = (s: string): string => s.replace(/'[^']*'|"[^"]*"/g, '…').replace(/\b\d+\b/g, 'N').slice(0, 140);
  if (!h.ok && h.crash) return { category: `helios CRASH: ${mask(h.error)}`, detail: h.error };
  if (!o.ok && !h.ok) return null;
  if (!o.ok && h.ok) return { category: `helios accepts what SQLite rejects: ${mask(o.error)}`, detail: `sqlite: ${o.error}` };
  if (o.ok && !h.ok) return { category: `helios rejects: ${mask(h.error)}`, detail: h.error };
  if (!o.ok || !h.ok) return null;
  if (o.result.columnCount !== h.result.columnCount) return { category: 'wrong column count', detail: `${o.result.columnCount} vs ${h.result.columnCount}` };
  if (compareOutcomes(o, h, ordered, representatives) === null) return null;
  const a = rowsKey(o.result, ordered);
  const b = rowsKey(h.result, ordered);
  const lenDiff = a.length !== b.length ? 'row count' : ordered && [...a].sort().join('|') === [...b].sort().join('|') ? 'row order' : 'values';
  const firstDiff = a.findIndex((x, i) => x !== b[i]);
  return { category: `wrong result (${lenDiff})`, detail: `sqlite: ${a.slice(0, 6).join(' | ')}\n      helios: ${b.slice(0, 6).join(' | ')}${firstDiff >= 0 ? `  (first difference at row ${firstDiff})` : ''}` };
}

interface Category {
  count: number;
  best: { script: string; detail: string } | null;
}

function main(argv: readonly string[]): void {
  const arg = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const scenarios = Number(arg('--scenarios') ?? 300);
  const shapeArg = arg('--shape');
  const shapes: readonly Shape[] = shapeArg ? [shapeArg as Shape] : SHAPES;
  const seed = Number(arg('--seed') ?? 1);
  const all = argv.includes('--all');
  const categories = new Map<string, Category>();
  let statements = 0;
  let differing = 0;
  const note = (category: string, script: string, detail: string): void => {
    differing++;
    const c = categories.get(category) ?? { count: 0, best: null };
    c.count++;
    if (c.best === null || script.length < c.best.script.length) c.best = { script, detail };
    categories.set(category, c);
  };
  for (const shape of shapes) {
    for (const s of fc.sample(scenarioArb([shape]), { numRuns: scenarios, seed })) {
      const oracle: SltBackend = createSqliteBackend();
      const subject: SltBackend = createHeliosBackend({ memory: true });
      const done: string[] = [];
      try {
        for (const sql of setupStatements(s)) {
          statements++;
          const run = (b: SltBackend) => (): QueryResult => (b.exec(sql), { columnCount: 0, rows: [] });
          const d = classify(attempt(run(oracle)), attempt(run(subject)), false);
          done.push(sql);
          if (d) note(`[setup] ${d.category}`, done.join(';\n') + ';', d.detail);
        }
        for (const q of s.queries) {
          if (isIntendedDifference(q) || (!all && isPendingFix(q))) continue;
          statements++;
          const o = attempt(() => oracle.query(q.sql));
          const h = attempt(() => subject.query(q.sql));
          const d = classify(o, h, q.ordered, choosesRepresentatives(q));
          if (d) note(`[${shape}] ${d.category}`, `${done.join(';\n')};\n${q.sql};`, d.detail);
          for (const check of afterChecks(q, !o.ok && !h.ok, !all)) {
            const c = classify(attempt(() => oracle.query(check)), attempt(() => subject.query(check)), false);
            if (c) note(`[${shape}] state after ${q.features[0] ?? 'statement'}: ${c.category}`, `${done.join(';\n')};\n${q.sql};\n${check};`, c.detail);
          }
          done.push(q.sql);
        }
      } finally {
        oracle.close();
        subject.close();
      }
    }
  }
  console.log(`${statements} statements, ${differing} differ from SQLite, ${categories.size} categories\n`);
  for (const [name, c] of [...categories].sort((x, y) => y[1].count - x[1].count)) {
    console.log(`${String(c.count).padStart(6)}  ${name}`);
    if (c.best) {
      console.log(c.best.script.split('\n').map((l) => `          ${l}`).join('\n'));
      console.log(`      ${c.best.detail}\n`);
    }
  }
}

main(process.argv.slice(2));
