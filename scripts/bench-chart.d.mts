/** Types of scripts/bench-chart.mjs for its test (the script itself is plain JavaScript). */
export interface BenchResultRow {
  readonly id: string;
  readonly label: string;
  readonly unit: string;
  readonly kind: 'rate' | 'latency' | 'memory';
  readonly values: Readonly<Record<string, number>>;
  readonly errors?: Readonly<Record<string, string>>;
}
export interface BenchResult {
  readonly rows?: number;
  readonly node?: string;
  readonly date?: string;
  readonly machine?: { readonly cpus?: number };
  readonly results: readonly BenchResultRow[];
}
export declare const SERIES: readonly { readonly engine: string; readonly label: string; readonly color: string }[];
export declare function relative(row: BenchResultRow, engine: string): number | undefined;
export declare function renderChart(result: BenchResult): string;
export declare function renderMarkdown(result: BenchResult): string;
