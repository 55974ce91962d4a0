/**
 * The bridge between the executor and the function library: the per-statement
 * environment scalar functions see (changes(), last_insert_rowid(), the
 * statement's 'now'), and the lookups of scalar functions and LIKE/GLOB.
 */
import type { SqlValue } from '../format/sql-value.ts';
import { scalarFunctions, type FunctionContext, type ScalarFunction } from './functions.ts';
import { like, glob } from './like.ts';
import { toText } from './value.ts';

/** What one statement execution exposes to functions. */
export interface ExecEnv extends FunctionContext {
  readonly connection: {
    changes(): number;
    totalChanges(): number;
    lastInsertRowid(): number | bigint;
  };
}

export interface ScalarImpl {
  readonly minArgs: number;
  readonly maxArgs: number;
  readonly deterministic: boolean;
  readonly fn: ScalarFunction['fn'];
}

const CONNECTION_FUNCTIONS: Record<string, (env: ExecEnv) => SqlValue> = {
  changes: (env) => env.connection.changes(),
  total_changes: (env) => env.connection.totalChanges(),
  last_insert_rowid: (env) => env.connection.lastInsertRowid(),
};

const connectionImpls = new Map<string, ScalarImpl>(
  Object.entries(CONNECTION_FUNCTIONS).map(([k, g]) => [
    k,
    { minArgs: 0, maxArgs: 0, deterministic: false, fn: ((_args: readonly SqlValue[], ctx: FunctionContext) => g(ctx as ExecEnv)) as ScalarFunction['fn'] },
  ]),
);

/** The scalar function named `name` (lower case), or undefined. */
export function lookupScalar(name: string): ScalarImpl | undefined {
  const c = connectionImpls.get(name);
  if (c) return c;
  const f = scalarFunctions.get(name);
  if (!f) return undefined;
  return { minArgs: f.minArgs, maxArgs: f.maxArgs, deterministic: f.deterministic, fn: f.fn };
}

export function callScalar(impl: ScalarImpl, args: SqlValue[], env: ExecEnv): SqlValue {
  return impl.fn(args, env);
}

/** `x LIKE pattern [ESCAPE e]` (ASCII case-insensitive); null when the escape is invalid is an error upstream. */
export function likeMatch(pattern: SqlValue, x: SqlValue, escape: SqlValue | undefined): boolean | null {
  const p = toText(pattern);
  const s = toText(x);
  if (p === null || s === null) return null;
  const e = escape === undefined ? null : toText(escape);
  return like(p, s, e);
}

/** `x GLOB pattern` (case-sensitive). */
export function globMatch(pattern: SqlValue, x: SqlValue): boolean | null {
  const p = toText(pattern);
  const s = toText(x);
  if (p === null || s === null) return null;
  return glob(p, s);
}
