/**
 * The bridge between the executor and the function library: the per-statement
 * environment scalar functions see (changes(), last_insert_rowid(), the
 * statement's 'now'), and the lookups of scalar functions and LIKE/GLOB.
 */
import type { Collation, SqlValue } from '../format/sql-value.ts';
import { scalarFunctions, type FunctionContext, type ScalarFunction } from './functions.ts';
import { like, glob } from './like.ts';
import { toText } from './value.ts';

/** What one statement execution exposes to functions (the Session implements it). */
export interface ExecEnv extends FunctionContext {
  now(): number;
  changes(): number;
  totalChanges(): number;
  lastInsertRowid(): number | bigint;
}

export type ScalarImpl = ScalarFunction;

/** like(pattern, subject[, escape]) and glob(pattern, subject): the function forms of the operators. */
const OPERATOR_FUNCTIONS: ReadonlyMap<string, ScalarImpl> = new Map<string, ScalarImpl>([
  [
    'like',
    {
      name: 'like',
      minArgs: 2,
      maxArgs: 3,
      deterministic: true,
      fn: (a, ctx) => {
        const p = a[0] ?? null;
        const x = a[1] ?? null;
        if (p instanceof Uint8Array || x instanceof Uint8Array) return 0;
        const e = a.length > 2 ? (a[2] ?? null) : undefined;
        if (e === null) return null;
        const m = likeMatch(p, x, e, ctx.caseSensitiveLike === true);
        return m === null ? null : m ? 1 : 0;
      },
    },
  ],
  [
    'glob',
    {
      name: 'glob',
      minArgs: 2,
      maxArgs: 2,
      deterministic: true,
      fn: (a) => {
        const p = a[0] ?? null;
        const x = a[1] ?? null;
        if (p instanceof Uint8Array || x instanceof Uint8Array) return 0;
        const m = globMatch(p, x);
        return m === null ? null : m ? 1 : 0;
      },
    },
  ],
]);

/** The scalar function named `name` (lower case), or undefined. */
export function lookupScalar(name: string): ScalarImpl | undefined {
  return scalarFunctions.get(name) ?? OPERATOR_FUNCTIONS.get(name);
}

/** Calls `impl`; `collation` is the collation of the call's arguments (min, max, nullif). */
export function callScalar(impl: ScalarImpl, args: SqlValue[], env: ExecEnv, collation?: Collation): SqlValue {
  if (collation === undefined || collation === 'BINARY') return impl.fn(args, env);
  const ctx: FunctionContext = {
    now: () => env.now(),
    changes: () => env.changes(),
    totalChanges: () => env.totalChanges(),
    lastInsertRowid: () => env.lastInsertRowid(),
    caseSensitiveLike: env.caseSensitiveLike === true,
    collation,
  };
  return impl.fn(args, ctx);
}

/** SQLite matches NUL-terminated strings: text after a U+0000 takes no part in LIKE/GLOB. */
function cString(s: string | null): string | null {
  if (s === null) return null;
  const i = s.indexOf('\u0000');
  return i < 0 ? s : s.slice(0, i);
}

/** `x LIKE pattern [ESCAPE e]` (ASCII case-insensitive). */
export function likeMatch(pattern: SqlValue, x: SqlValue, escape: SqlValue | undefined, caseSensitive = false): boolean | null {
  const p = cString(toText(pattern));
  const s = cString(toText(x));
  if (p === null || s === null) return null;
  const e = escape === undefined ? null : toText(escape);
  return like(p, s, e, caseSensitive);
}

/** `x GLOB pattern` (case-sensitive). */
export function globMatch(pattern: SqlValue, x: SqlValue): boolean | null {
  const p = cString(toText(pattern));
  const s = cString(toText(x));
  if (p === null || s === null) return null;
  return glob(p, s);
}
