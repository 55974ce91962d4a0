import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { relative, renderChart, renderMarkdown, type BenchResult } from './bench-chart.mjs';

const sample: BenchResult = {
  rows: 1000,
  node: 'v20.0.0',
  date: '2026-01-01T00:00:00.000Z',
  machine: { cpus: 2 },
  results: [
    { id: 'bulk', label: 'bulk insert <100k>', unit: 'rows/s', kind: 'rate', values: { 'helios-enc': 50, sqlite: 200, sqlcipher: 100, sqljs: 150 } },
    { id: 'first-row', label: 'time to first row', unit: 'ms', kind: 'latency', values: { 'helios-enc': 10, sqlite: 0.1, sqlcipher: 0.2, sqljs: 0.3 } },
    { id: 'heap', label: 'heap growth', unit: 'MiB', kind: 'memory', values: { 'helios-enc': 100, sqlite: 2, sqlcipher: 2, sqljs: 1 } },
    { id: 'auto', label: 'autocommit', unit: 'rows/s', kind: 'rate', values: { 'helios-enc': 3000, sqlite: 1000, sqlcipher: 500, sqljs: 800 } },
  ],
};

const bars = (svg: string): string[] => svg.match(/<rect class="bar"[^>]*>/g) ?? [];

test('the chart is one SVG document with a bar per charted row and engine, and a line at 1.0', () => {
  const svg = renderChart(sample);
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  assert.is((svg.match(/<svg/g) ?? []).length, 1);
  // Memory rows are not charted: 3 rows × 3 engines.
  assert.is(bars(svg).length, 9);
  assert.is(bars(svg).filter((b) => b.includes('data-engine="helios-enc"')).length, 3);
  assert.ok(svg.includes('class="baseline"'));
  assert.ok(svg.includes('bulk insert &lt;100k&gt;'), 'labels are escaped');
  assert.not.ok(svg.includes('NaN'));
});

test('an engine missing from every row gets no bars and a "not measured" legend entry', () => {
  const without: BenchResult = { ...sample, results: sample.results.map((r) => ({ ...r, values: Object.fromEntries(Object.entries(r.values).filter(([e]) => e !== 'sqlcipher')) })) };
  const svg = renderChart(without);
  assert.is(bars(svg).length, 6);
  assert.not.ok(bars(svg).some((b) => b.includes('data-engine="sqlcipher"')));
  assert.ok(svg.includes('SQLCipher ÷ better-sqlite3: not measured'));
  assert.not.ok(svg.includes('NaN'));
});

test('latencies are inverted so that > 1 means faster than better-sqlite3', () => {
  assert.is(relative(sample.results[0]!, 'helios-enc'), 0.25);
  assert.is(relative(sample.results[1]!, 'helios-enc'), 0.01);
  assert.is(relative(sample.results[2]!, 'helios-enc'), undefined);
  assert.is(relative(sample.results[3]!, 'sqljs'), 0.8);
});

test('the Markdown table has a line per row, memory included, and dashes for what is missing', () => {
  const md = renderMarkdown({ ...sample, results: [...sample.results, { id: 'slt', label: 'slt', unit: 'records/s', kind: 'rate', values: { 'helios-enc': 1, sqlite: 2 } }] });
  const lines = md.trim().split('\n');
  assert.is(lines.length, 2 + 5);
  assert.ok(lines[4]!.includes('heap growth') && lines[4]!.includes('lower is better'));
  assert.ok(lines[6]!.endsWith('| 0.50 | — | — |'));
});

test.run();
