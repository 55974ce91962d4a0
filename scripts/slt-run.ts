/**
 * Runs parsed sqllogictest records against a backend and reports, per
 * record, whether it passed, failed or was skipped.
 */
import {
  DEFAULT_HASH_THRESHOLD,
  compareResult,
  conditionsHold,
  expectedHash,
  hashValues,
  parseSltScript,
  renderResult,
  type SltRecord,
} from './slt-format.ts';
import type { SltBackend } from './slt-backend.ts';

export interface SltFailure {
  /** 1-based line of the record header. */
  readonly line: number;
  /** The record header as written (`query III rowsort`, `statement ok`). */
  readonly header: string;
  readonly sql: string;
  /** Why it failed, in one line. */
  readonly reason: string;
  /** Expected and actual results in their shown form (hash line or values); empty for statements. */
  readonly expected: readonly string[];
  readonly actual: readonly string[];
  /** The error's stable code (HeliosError `code`, SQLite's SQLITE_*), when the backend threw one. */
  readonly errorCode: string | null;
  /** The backend threw something that is not a typed error (TypeError, RangeError, ...): always a bug. */
  readonly crash: boolean;
}

export interface SltFileReport {
  readonly file: string;
  /** Records executed and matching. */
  passed: number;
  failed: number;
  /** Records not run on this engine (skipif / onlyif). */
  skipped: number;
  /** Whether a `halt` record stopped the script early. */
  halted: boolean;
  /** Wall time of the run in milliseconds (parse and backend setup excluded). */
  ms: number;
  readonly failures: SltFailure[];
}

export interface SltRunOptions {
  /** Engine name matched by skipif/onlyif. We run as 'sqlite' (our dialect). */
  readonly engine?: string;
}

/** Parses and runs one script on `backend`. Never throws because of what the backend does. */
export function runSltScript(file: string, text: string, backend: SltBackend, options: SltRunOptions = {}): SltFileReport {
  return runSltRecords(file, parseSltScript(text), backend, options);
}

export function runSltRecords(file: string, records: readonly SltRecord[], backend: SltBackend, options: SltRunOptions = {}): SltFileReport {
  const engine = options.engine ?? 'sqlite';
  const report: SltFileReport = { file, passed: 0, failed: 0, skipped: 0, halted: false, ms: 0, failures: [] };
  const labels = new Map<string, { hash: string; line: number }>();
  let hashThreshold = DEFAULT_HASH_THRESHOLD;
  const started = performance.now();
  for (const r of records) {
    const runs = conditionsHold(r.conditions, engine);
    if (r.kind === 'halt') {
      if (runs) {
        report.halted = true;
        break;
      }
      continue;
    }
    if (r.kind === 'hash-threshold') {
      if (runs) hashThreshold = r.threshold;
      continue;
    }
    if (r.kind === 'invalid') {
      report.failed++;
      report.failures.push({ line: r.line, header: r.text.split('\n')[0] ?? '', sql: r.text, reason: `cannot parse record: ${r.reason}`, expected: [], actual: [], errorCode: null, crash: false });
      continue;
    }
    if (!runs) {
      report.skipped++;
      // A skipped labelled query still defines the label's result through its expected values.
      if (r.kind === 'query' && r.label !== null && !labels.has(r.label)) labels.set(r.label, { hash: expectedHash(r.expected), line: r.line });
      continue;
    }
    const failure = r.kind === 'statement' ? runStatement(r, backend) : runQuery(r, backend, hashThreshold, labels);
    if (failure === null) report.passed++;
    else {
      report.failed++;
      report.failures.push(failure);
    }
  }
  report.ms = performance.now() - started;
  return report;
}

type StatementRecord = Extract<SltRecord, { kind: 'statement' }>;
type QueryRecord = Extract<SltRecord, { kind: 'query' }>;

function runStatement(r: StatementRecord, backend: SltBackend): SltFailure | null {
  const header = `statement ${r.expectError ? 'error' : 'ok'}`;
  try {
    backend.exec(r.sql);
  } catch (e) {
    if (r.expectError && !isCrash(e)) return null;
    return { line: r.line, header, sql: r.sql, reason: describeError(e), expected: [], actual: [], errorCode: errorCode(e), crash: isCrash(e) };
  }
  if (r.expectError) return { line: r.line, header, sql: r.sql, reason: 'statement succeeded but an error was expected', expected: [], actual: [], errorCode: null, crash: false };
  return null;
}

function runQuery(r: QueryRecord, backend: SltBackend, hashThreshold: number, labels: Map<string, { hash: string; line: number }>): SltFailure | null {
  const header = `query ${r.types} ${r.sort}${r.label !== null ? ' ' + r.label : ''}`;
  const fail = (reason: string, actual: readonly string[], e?: unknown): SltFailure => ({
    line: r.line,
    header,
    sql: r.sql,
    reason,
    expected: r.expected,
    actual,
    errorCode: e === undefined ? null : errorCode(e),
    crash: e !== undefined && isCrash(e),
  });
  let values: string[];
  try {
    const result = backend.query(r.sql);
    if (result.columnCount !== r.types.length) {
      return fail(`query returned ${result.columnCount} column(s) but the record declares ${r.types.length} (${r.types})`, []);
    }
    values = renderResult(result.rows, r.types, r.sort);
  } catch (e) {
    return fail(describeError(e), [], e);
  }
  const mismatch = compareResult(values, r.expected, hashThreshold);
  if (mismatch !== null) return fail('result differs from the expected result', mismatch);
  if (r.label !== null) {
    const hash = hashValues(values);
    const prior = labels.get(r.label);
    if (prior === undefined) labels.set(r.label, { hash, line: r.line });
    else if (prior.hash !== hash) return fail(`result differs from the one of label ${r.label} (line ${prior.line})`, [`${values.length} values hashing to ${hash}`]);
  }
  return null;
}

/** The error's `code` when it has a string one (HeliosError, SqliteError). */
export function errorCode(e: unknown): string | null {
  if (typeof e === 'object' && e !== null && 'code' in e && typeof (e as { code: unknown }).code === 'string') return (e as { code: string }).code;
  return null;
}

/** A thrown value that is not a typed database error: a crash of the engine. */
export function isCrash(e: unknown): boolean {
  return errorCode(e) === null;
}

export function describeError(e: unknown): string {
  const code = errorCode(e);
  const message = e instanceof Error ? e.message.split('\n')[0] : String(e);
  if (code !== null) return `error ${code}: ${message}`;
  const name = e instanceof Error ? e.name : typeof e;
  return `CRASH ${name}: ${message}`;
}
