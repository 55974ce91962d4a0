/**
 * The temporary memory one statement execution may hold for intermediate
 * rows: sorts, groups, DISTINCT and compound sets, and materialised
 * subqueries, views and CTEs. Past the limit the statement stops with
 * TOO_BIG instead of exhausting the process. HeliosDB never spills
 * intermediate rows to disk: no temporary file, sealed or not, ever holds
 * query data.
 */
import { HeliosError } from '../format/errors.ts';
import type { SqlValue } from '../format/sql-value.ts';

/** The default budget: 512 MiB of estimated row bytes per statement execution. */
export const DEFAULT_TEMP_MEMORY_LIMIT = 512 * 1024 * 1024;

export class TempBudget {
  private used = 0;
  constructor(readonly limit: number) {}

  /** The bytes in use now. */
  get inUse(): number {
    return this.used;
  }

  /**
   * Accounts for one buffered row and returns the bytes counted (an
   * estimate: 16 bytes a value and a row, plus text and blob lengths).
   */
  row(r: readonly SqlValue[]): number {
    let n = 16 + 16 * r.length;
    for (let i = 0; i < r.length; i++) {
      const v = r[i];
      if (typeof v === 'string') n += v.length * 2;
      else if (v instanceof Uint8Array) n += v.byteLength;
    }
    this.take(n);
    return n;
  }

  /** Accounts for `bytes` more; TOO_BIG past the limit. */
  take(bytes: number): number {
    this.used += bytes;
    if (this.used > this.limit) {
      this.used -= bytes;
      throw new HeliosError(
        'TOO_BIG',
        `the statement needs more than its temporary memory budget of ${Math.round(this.limit / 1048576)} MiB for sorting, grouping, DISTINCT or a materialised subquery; add an index that gives the order, a LIMIT, or raise the tempMemoryLimit option`,
      );
    }
    return bytes;
  }

  /** Gives back bytes a closed operator held. */
  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}
