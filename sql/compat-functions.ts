/**
 * better-sqlite3's db.function / db.aggregate / db.table for the drop-in
 * (sql/compat.ts): argument checking as better-sqlite3 does it (TypeError,
 * RangeError), and the JS callbacks wrapped into the engine's
 * ScalarFunction / AggregateDef / UserTable (sql/user-functions.ts).
 *
 * A callback runs while its statement runs (the connection is busy: see
 * compat.ts); what it throws reaches the caller unchanged. Values cross as
 * compat-values.ts converts them: INTEGER → number (bigint with
 * safeIntegers), REAL → number, TEXT → string, BLOB → Buffer, NULL → null;
 * a returned number is REAL, a bigint INTEGER, a Buffer/Uint8Array a BLOB
 * (copied); anything else is a TypeError.
 */
import type { SqlValue } from '../format/sql-value.ts';
import type { AggregateDef, Accumulator } from './aggregates.ts';
import type { ScalarFunction } from './functions.ts';
import type { UserFunctions, UserTable } from './user-functions.ts';
import { jsValue, sqlValue } from './compat-values.ts';

type Fn = (...args: unknown[]) => unknown;

const isFunction = (f: unknown): f is Fn => typeof f === 'function' && Object.prototype.hasOwnProperty.call(f, 'length') !== false && f instanceof Function && typeof (f as Fn).call === 'function' && isRealFunction(f);

/** Object.create(Function.prototype) passes typeof checks in no engine, but be exact: it must be callable. */
function isRealFunction(f: unknown): boolean {
  try {
    Function.prototype.toString.call(f);
    return true;
  } catch {
    return false;
  }
}

/** Folds a function name as SQLite does (ASCII case only). */
export function foldName(name: string): string {
  return name.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

function boolOption(o: Record<string, unknown>, key: string, dflt: boolean): boolean {
  if (!(key in o)) return dflt;
  const v = o[key];
  if (typeof v !== 'boolean') throw new TypeError(`Expected the "${key}" option to be a boolean`);
  return v;
}

/** A function's declared argument count, checked as better-sqlite3 checks `fn.length` (max `max`). */
function argCount(f: Fn, max: number, what: string): number {
  const n = (f as { length: unknown }).length;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new TypeError(`Expected ${what}.length to be a positive integer`);
  if (n > max) throw new RangeError(`${what} cannot have more than ${max} arguments`);
  return n;
}

function checkName(name: unknown): string {
  if (typeof name !== 'string') throw new TypeError('Expected first argument to be a string');
  if (name === '') throw new TypeError('Virtual table module name cannot be an empty string');
  return name;
}

function toSql(v: unknown, what: string): SqlValue {
  const s = sqlValue(v);
  if (s === undefined) throw new TypeError(`${what} returned an invalid value`);
  return s;
}

export interface RegistrationDefaults {
  readonly safeIntegers: boolean;
}

/** db.function(name, [options], fn). */
export function registerFunction(reg: UserFunctions, defaults: RegistrationDefaults, name: unknown, optionsOrFn: unknown, maybeFn?: unknown): void {
  let options: Record<string, unknown> = {};
  let fn: unknown = optionsOrFn;
  if (maybeFn !== undefined || (optionsOrFn !== null && typeof optionsOrFn === 'object')) {
    if (optionsOrFn === undefined) optionsOrFn = {};
    if (optionsOrFn === null || typeof optionsOrFn !== 'object') throw new TypeError('Expected second argument to be an options object');
    options = optionsOrFn as Record<string, unknown>;
    fn = maybeFn;
  }
  if (typeof name !== 'string') throw new TypeError('Expected first argument to be a string');
  if (!isFunction(fn)) throw new TypeError('Expected last argument to be a function');
  if (name === '') throw new TypeError('User-defined function name cannot be an empty string');
  const safeIntegers = boolOption(options, 'safeIntegers', defaults.safeIntegers);
  boolOption(options, 'deterministic', false);
  boolOption(options, 'directOnly', false);
  const varargs = boolOption(options, 'varargs', false);
  const nargs = varargs ? -1 : argCount(fn, 100, 'function');
  const label = `User-defined function ${name}()`;
  const f: ScalarFunction = {
    name,
    minArgs: varargs ? 0 : nargs,
    maxArgs: varargs ? Infinity : nargs,
    // Never folded at prepare time, deterministic or not: a callback runs only while a statement runs.
    deterministic: false,
    fn: (args) => {
      const js = new Array<unknown>(args.length);
      for (let i = 0; i < args.length; i++) js[i] = jsValue(args[i], safeIntegers);
      return toSql(fn.apply(undefined, js), label);
    },
  };
  reg.addScalar(foldName(name), nargs, f);
}

/** db.aggregate(name, options). */
export function registerAggregate(reg: UserFunctions, defaults: RegistrationDefaults, name: unknown, options: unknown): void {
  if (typeof name !== 'string') throw new TypeError('Expected first argument to be a string');
  if (options === null || typeof options !== 'object') throw new TypeError('Expected second argument to be an options object');
  if (name === '') throw new TypeError('User-defined function name cannot be an empty string');
  const o = options as Record<string, unknown>;
  const step = o.step;
  if (step === undefined) throw new TypeError('Missing required option "step"');
  if (!isFunction(step)) throw new TypeError('Expected the "step" option to be a function');
  const inverse = 'inverse' in o && o.inverse !== undefined ? o.inverse : undefined;
  const result = 'result' in o && o.result !== undefined ? o.result : undefined;
  if (inverse !== undefined && !isFunction(inverse)) throw new TypeError('Expected the "inverse" option to be a function');
  if (result !== undefined && !isFunction(result)) throw new TypeError('Expected the "result" option to be a function');
  const safeIntegers = boolOption(o, 'safeIntegers', defaults.safeIntegers);
  boolOption(o, 'deterministic', false);
  boolOption(o, 'directOnly', false);
  const varargs = boolOption(o, 'varargs', false);
  const stepArgs = varargs ? 0 : argCount(step, 101, 'step');
  const inverseArgs = inverse === undefined || varargs ? 0 : argCount(inverse, 101, 'inverse');
  const nargs = varargs ? -1 : Math.max(stepArgs - 1, inverseArgs - 1, 0);
  const hasStart = 'start' in o;
  const start = o.start;
  const label = `User-defined function ${name}()`;
  const def: AggregateDef = {
    name,
    ...(inverse === undefined ? { notWindow: true } : {}),
    create(): Accumulator {
      let started = false;
      let acc: unknown = null;
      const init = (): void => {
        if (started) return;
        started = true;
        acc = !hasStart ? null : typeof start === 'function' ? (start as Fn)() : start;
      };
      const call = (g: Fn, args: readonly SqlValue[]): void => {
        init();
        const js = new Array<unknown>(args.length + 1);
        js[0] = acc;
        for (let i = 0; i < args.length; i++) js[i + 1] = jsValue(args[i], safeIntegers);
        const r = g.apply(undefined, js);
        if (r !== undefined) acc = r;
      };
      const a: Accumulator = {
        step(args) {
          call(step, args);
          return false;
        },
        result() {
          init();
          const v = result === undefined ? acc : (result as Fn)(acc);
          return toSql(v, label);
        },
      };
      if (inverse !== undefined) {
        const inv = inverse as Fn;
        a.inverse = (args) => call(inv, args);
      }
      return a;
    },
  };
  reg.addAggregate(foldName(name), nargs, def);
}

/** Whether `f` is a generator function by its own source text (a prototype swap does not make one). */
function isGeneratorFunction(f: unknown): boolean {
  let src: string;
  try {
    src = Function.prototype.toString.call(f);
  } catch {
    return false;
  }
  return /^\s*(async\s*)?(function\s*\*|\*)/.test(src);
}

/** A table definition as db.table takes it (or a factory returns it). */
interface TableDef {
  columns: string[];
  parameters: string[];
  rows: Fn;
  safeIntegers: boolean;
}

function checkTableDef(d: unknown, defaults: RegistrationDefaults): TableDef {
  if (d === null || typeof d !== 'object') throw new TypeError('Virtual table module definition must be an object');
  const o = d as Record<string, unknown>;
  const safeIntegers = boolOption(o, 'safeIntegers', defaults.safeIntegers);
  boolOption(o, 'directOnly', false);
  const names = (v: unknown, what: string): string[] => {
    if (!Array.isArray(v)) throw new TypeError(`Virtual table module "${what}" option must be an array of strings`);
    const out: string[] = [];
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (typeof x !== 'string') throw new TypeError(`Virtual table module "${what}" option must be an array of strings`);
      out.push(x);
    }
    if (new Set(out).size !== out.length) throw new TypeError(`Virtual table module "${what}" option must not contain duplicates`);
    return out;
  };
  const columns = names(o.columns, 'columns');
  if (columns.length === 0) throw new RangeError('Virtual table module must declare at least one column');
  const rows = o.rows;
  if (typeof rows !== 'function' || !isGeneratorFunction(rows)) throw new TypeError('Virtual table module "rows" option must be a generator function');
  let parameters: string[];
  if ('parameters' in o) parameters = names(o.parameters, 'parameters');
  else {
    const n = argCount(rows as Fn, 32, 'generator');
    parameters = Array.from({ length: n }, (_, i) => `$${i + 1}`);
  }
  if (parameters.length > 32) throw new RangeError('Virtual table module cannot have more than 32 parameters');
  for (const p of parameters) if (columns.includes(p)) throw new TypeError(`Virtual table module column and parameter names must be unique (${p})`);
  return { columns, parameters, rows: rows as Fn, safeIntegers };
}

function userTable(name: string, def: TableDef, moduleName: string = name): UserTable {
  const { columns, parameters, rows, safeIntegers } = def;
  const label = `Virtual table module "${moduleName}"`;
  return {
    name,
    columns,
    parameters,
    strictParameters: true,
    *rows(args) {
      const js = new Array<unknown>(parameters.length);
      for (let i = 0; i < parameters.length; i++) {
        const v = args[i];
        if (v === null) return;
        js[i] = jsValue(v, safeIntegers);
      }
      // The hidden columns read the arguments as the generator got them (a number REAL, as better-sqlite3
      // hands them back), copied before it runs, so it cannot change them.
      const hidden = js.map((v) => sqlValue(v) ?? null);
      const it = rows.apply(undefined, js) as Iterator<unknown> | null;
      if (it === null || typeof it !== 'object' || typeof it.next !== 'function') throw new TypeError(`${label} "rows" function did not return a generator`);
      for (;;) {
        const r = it.next();
        if (r.done === true) return;
        const row = r.value;
        const out = new Array<SqlValue>(columns.length + parameters.length);
        for (let i = 0; i < parameters.length; i++) out[columns.length + i] = hidden[i]!;
        if (Array.isArray(row)) {
          if (row.length !== columns.length) throw new TypeError(`${label} yielded a row with an incorrect number of columns`);
          for (let i = 0; i < columns.length; i++) out[i] = toSql(row[i], label + ' yielded a row that');
        } else if (row !== null && typeof row === 'object') {
          const obj = row as Record<string, unknown>;
          for (const k of Object.keys(obj)) if (!columns.includes(k)) throw new TypeError(`${label} yielded a row with an undeclared column "${k}"`);
          for (let i = 0; i < columns.length; i++) {
            const k = columns[i]!;
            if (!(k in obj)) throw new TypeError(`${label} yielded a row without the column "${k}"`);
            out[i] = toSql(obj[k], label + ' yielded a row that');
          }
        } else {
          throw new TypeError(`${label} yielded something that isn't a valid row object`);
        }
        yield out;
      }
    },
  };
}

/**
 * db.table(name, definition | factory). A definition registers an eponymous
 * table-valued function (`FROM name`, `FROM name(args)`); a factory a module
 * for `CREATE VIRTUAL TABLE t USING name(args)` (sql/vtab-ddl.ts), called
 * with `this` = { module, database, table } and the arguments' source text,
 * returning a definition; the module alone is not a table.
 */
export function registerTable(reg: UserFunctions, defaults: RegistrationDefaults, name: unknown, def: unknown): void {
  const n = checkName(name);
  if (typeof def === 'function') {
    const factory = def as Fn;
    reg.addModule(foldName(n), {
      name: n,
      connect(ctx, args) {
        const d = factory.apply({ module: ctx.module, database: ctx.database, table: ctx.table }, [...args]);
        if (d === null || typeof d !== 'object') throw new TypeError(`Virtual table module "${ctx.module}" did not return a table definition object`);
        return userTable(ctx.table, checkTableDef(d, defaults), ctx.module);
      },
    });
    return;
  }
  if (def === null || typeof def !== 'object') throw new TypeError('Expected second argument to be a function or a table definition object');
  reg.addTable(foldName(n), userTable(n, checkTableDef(def, defaults)));
}
