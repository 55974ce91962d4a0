/**
 * The state one execution of a compiled statement runs on: the current row
 * of every source by slot, the bound parameters, the execution's caches and
 * temporary memory budget. A leaf file so that the expression compiler and
 * the window stage can share it without importing each other.
 */
import type { SqlValue } from '../format/sql-value.ts';
import type { ExecEnv } from './exec-env.ts';
import type { TempBudget } from './temp-budget.ts';

export type Row = SqlValue[];
export type Ev = (f: Frame) => SqlValue;

/** The mutable state of one statement execution: current rows by slot, parameters, caches. */
export class Frame {
  rows: Row[] = [];
  /** The execution's temporary memory budget (sql/exec.ts makes it at first use). */
  temp: TempBudget | null = null;
  private cacheMap: Map<object, unknown> | null = null;
  /** Results of uncorrelated subqueries and hash indexes, computed at most once per execution. */
  get cache(): Map<object, unknown> {
    return (this.cacheMap ??= new Map<object, unknown>());
  }
  constructor(
    readonly params: readonly SqlValue[],
    readonly env: ExecEnv,
  ) {}
}
