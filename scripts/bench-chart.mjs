#!/usr/bin/env node
// Draws the results of bench/sql-vs-sqlite.ts: for each JSON file given
// (default bench/results/sql-vs-sqlite.json) writes beside it an SVG bar chart
// of HeliosDB encrypted, SQLCipher and sql.js each relative to better-sqlite3
// (log scale, a line at 1.0) and a Markdown table of every engine's numbers,
// and prints the table. Plain Node, no dependencies.
//
//   node scripts/bench-chart.mjs [results.json ...]
//
// "Relative to better-sqlite3" is engine ÷ better-sqlite3 for rates and
// better-sqlite3 ÷ engine for latencies, so > 1 always means faster than
// better-sqlite3. Memory rows are in the table but not in the chart (their
// better-sqlite3 baseline is a few MiB of noise).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { basename, resolve } from 'node:path';

/** The series of the chart: engine id in the JSON, legend text, colour. */
export const SERIES = [
  { engine: 'helios-enc', label: 'HeliosDB encrypted ÷ better-sqlite3', color: '#d95f02' },
  { engine: 'sqlcipher', label: 'SQLCipher ÷ better-sqlite3', color: '#7570b3' },
  { engine: 'sqljs', label: 'sql.js (in memory) ÷ better-sqlite3', color: '#1b9e77' },
];
const BASELINE = 'sqlite';

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Engine relative to better-sqlite3 on one result row (> 1 = faster), or undefined. */
export function relative(row, engine) {
  const v = row.values?.[engine];
  const base = row.values?.[BASELINE];
  if (!(v > 0) || !(base > 0)) return undefined;
  if (row.kind === 'latency') return base / v;
  if (row.kind === 'memory') return undefined;
  return v / base;
}

const fmtRatio = (r) => (r >= 10 ? r.toFixed(0) : r >= 1 ? r.toFixed(1) : r >= 0.1 ? r.toFixed(2) : r >= 0.001 ? r.toFixed(3) : r.toExponential(0));

/** The SVG text of the chart for one parsed results object. */
export function renderChart(result) {
  const rows = (result.results ?? []).filter((r) => r.kind !== 'memory');
  // An engine that has no number in any row (not run, failed to open) gets no bars, and the legend says so.
  const series = SERIES.map((s) => ({ ...s, present: rows.some((r) => relative(r, s.engine) !== undefined) }));
  const drawn = series.filter((s) => s.present);
  const ratios = rows.flatMap((r) => drawn.map((s) => relative(r, s.engine)).filter((x) => x !== undefined));
  const lo = Math.floor(Math.log10(Math.min(1, ...ratios)));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(1, ...ratios))));

  const labelW = 480;
  const plotW = 520;
  const left = labelW + 10;
  const barH = 9;
  const groupH = Math.max(1, drawn.length) * (barH + 2) + 10;
  const top = 78;
  const plotH = rows.length * groupH;
  const height = top + plotH + 60 + series.length * 16;
  const width = left + plotW + 60;
  const x = (r) => left + ((Math.log10(r) - lo) / (hi - lo)) * plotW;

  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  const n = typeof result.rows === 'number' ? result.rows.toLocaleString('en') : '?';
  out.push(`<text x="10" y="20" font-size="14" font-weight="bold">${esc(`SQL benchmark relative to better-sqlite3 (N = ${n} rows)`)}</text>`);
  out.push(`<text x="10" y="38" fill="#444">${esc(`> 1 = faster than better-sqlite3 (rates: engine ÷ sqlite; latencies: sqlite ÷ engine). Log scale. Node ${result.node ?? '?'}, ${result.machine?.cpus ?? '?'} cores, ${String(result.date ?? '').slice(0, 10)}.`)}</text>`);
  out.push(`<text x="10" y="54" fill="#444">${esc('sql.js runs in memory (no file, no fsync); the others on disk, WAL / synchronous NORMAL. Shared, noisy machine: ±10% or more.')}</text>`);

  // Grid: every power of ten, with 2 and 5 between them; the 1.0 line is the baseline.
  for (let d = lo; d <= hi; d++) {
    for (const m of [1, 2, 5]) {
      const r = m * 10 ** d;
      if (Math.log10(r) > hi + 1e-9) continue;
      const gx = x(r).toFixed(1);
      out.push(`<line x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${top + plotH}" stroke="${m === 1 ? '#bbb' : '#eee'}"/>`);
      if (m === 1 || hi - lo <= 2) out.push(`<text x="${gx}" y="${top - 9}" text-anchor="middle" fill="#666">${esc(String(Number(r.toPrecision(1))))}×</text>`);
    }
  }
  rows.forEach((row, i) => {
    const gy = top + i * groupH;
    if (i % 2 === 1) out.push(`<rect x="0" y="${gy}" width="${width}" height="${groupH}" fill="#000" fill-opacity="0.03"/>`);
    out.push(`<text x="${labelW}" y="${(gy + groupH / 2 + 4).toFixed(1)}" text-anchor="end">${esc(row.label)}</text>`);
    drawn.forEach((s, k) => {
      const r = relative(row, s.engine);
      const by = gy + 5 + k * (barH + 2);
      if (r === undefined) {
        out.push(`<text x="${(x(1) + 4).toFixed(1)}" y="${by + barH - 1}" fill="#999" font-size="9">not measured</text>`);
        return;
      }
      const x0 = Math.min(x(1), x(r));
      const w = Math.max(1, Math.abs(x(r) - x(1)));
      out.push(`<rect class="bar" data-row="${esc(row.id)}" data-engine="${esc(s.engine)}" x="${x0.toFixed(1)}" y="${by}" width="${w.toFixed(1)}" height="${barH}" fill="${s.color}"><title>${esc(`${s.label}: ${fmtRatio(r)}`)}</title></rect>`);
      const tx = r >= 1 ? x(r) + 3 : x(r) - 3;
      out.push(`<text x="${tx.toFixed(1)}" y="${by + barH - 1}" font-size="9" text-anchor="${r >= 1 ? 'start' : 'end'}" fill="#333">${esc(fmtRatio(r))}</text>`);
    });
  });
  out.push(`<line class="baseline" x1="${x(1).toFixed(1)}" y1="${top - 6}" x2="${x(1).toFixed(1)}" y2="${top + plotH}" stroke="#000" stroke-width="1.5"/>`);
  series.forEach((s, k) => {
    const ly = top + plotH + 24 + k * 16;
    out.push(`<rect x="${left}" y="${ly - 9}" width="12" height="10" fill="${s.present ? s.color : '#ccc'}"/>`);
    out.push(`<text x="${left + 18}" y="${ly}">${esc(s.present ? s.label : `${s.label}: not measured`)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

const ENGINES = [
  ['helios-enc', 'HeliosDB enc'],
  ['helios-plain', 'HeliosDB plain'],
  ['sqlite', 'better-sqlite3'],
  ['sqlcipher', 'SQLCipher'],
  ['sqljs', 'sql.js (mem)'],
];
const fmtValue = (v) => (v === undefined ? '—' : v >= 100 ? Math.round(v).toLocaleString('en') : v >= 10 ? v.toFixed(1) : v.toPrecision(2));
const rawRatio = (row, a, b) => {
  const x = row.values?.[a];
  const y = row.values?.[b];
  if (!(x >= 0) || !(y > 0) || (row.kind === 'memory' && y < 1)) return '—';
  return (x / y).toFixed(2);
};

/** A Markdown table of every engine's numbers and the ratios enc ÷ sqlite, enc ÷ plain, enc ÷ SQLCipher. */
export function renderMarkdown(result) {
  const lines = [];
  lines.push(`| row (N = ${typeof result.rows === 'number' ? result.rows.toLocaleString('en') : '?'}) | unit | ${ENGINES.map(([, l]) => l).join(' | ')} | enc ÷ sqlite | enc ÷ plain | enc ÷ SQLCipher |`);
  lines.push(`|---|---|${ENGINES.map(() => '--:').join('|')}|--:|--:|--:|`);
  for (const row of result.results ?? []) {
    const unit = row.kind === 'rate' ? row.unit : `${row.unit}, lower is better`;
    const cells = ENGINES.map(([e]) => (row.errors?.[e] !== undefined ? 'failed' : fmtValue(row.values?.[e])));
    lines.push(`| ${row.label.replace(/\|/g, '\\|')} | ${unit} | ${cells.join(' | ')} | ${rawRatio(row, 'helios-enc', 'sqlite')} | ${rawRatio(row, 'helios-enc', 'helios-plain')} | ${rawRatio(row, 'helios-enc', 'sqlcipher')} |`);
  }
  return lines.join('\n') + '\n';
}

function main(paths) {
  const inputs = paths.length > 0 ? paths : ['bench/results/sql-vs-sqlite.json'];
  for (const p of inputs) {
    const result = JSON.parse(readFileSync(p, 'utf8'));
    const base = p.replace(/\.json$/, '');
    writeFileSync(`${base}.svg`, renderChart(result));
    const md = renderMarkdown(result);
    writeFileSync(`${base}.md`, md);
    console.log(`${p} → ${base}.svg, ${base}.md\n\n${md}`);
  }
}

// Run as a program, not when imported (a test bundle inlines this file, so compare the script's own name too).
const invoked = process.argv[1] ? resolve(process.argv[1]) : '';
if (invoked === fileURLToPath(import.meta.url) && basename(invoked) === 'bench-chart.mjs') main(process.argv.slice(2));
