// Golden tests for the scalar functions (sql/testdata/functions/*.txt): each
// case is a call with literal arguments, ----, and SQLite's typeof() and
// quote() of the result (or `error CODE`). Runs on Node, Bun and Deno.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isHeliosError } from '../format/errors.ts';
import { type SqlValue, makeInteger, makeReal } from '../format/sql-value.ts';
import { checkArity, quoteValue, scalarFunctions, type FunctionContext } from './functions.ts';
import { typeOf } from './value.ts';

const dir = join(process.cwd(), 'sql', 'testdata', 'functions');

/** Deterministic context: 'now' is 2024-02-29 13:45:30.250 UTC; random bytes are 1, 2, 3, ... */
const ctx: FunctionContext = {
  now: () => Date.UTC(2024, 1, 29, 13, 45, 30, 250),
  random: (n) => Uint8Array.from({ length: n }, (_, i) => i + 1),
};

/** Parses and evaluates `name(arg, ...)` where each arg is a literal or another call. */
function evaluate(src: string): SqlValue {
  let i = 0;
  const ws = (): void => {
    while (src[i] === ' ') i++;
  };
  const expr = (): SqlValue => {
    ws();
    if (src.startsWith('NULL', i)) {
      i += 4;
      return null;
    }
    if (src[i] === "'" || ((src[i] === 'x' || src[i] === 'X') && src[i + 1] === "'")) {
      const blob = src[i] !== "'";
      if (blob) i++;
      let s = '';
      for (i++; ; i++) {
        if (src[i] === "'" && src[i + 1] === "'") s += src[i++];
        else if (src[i] === "'") break;
        else s += src[i];
      }
      i++;
      return blob ? Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16)) : s;
    }
    const num = /^-?\d+(\.\d*)?(e[+-]?\d+)?/i.exec(src.slice(i));
    if (num) {
      i += num[0].length;
      return num[1] !== undefined || num[2] !== undefined ? makeReal(Number(num[0])) : makeInteger(BigInt(num[0]));
    }
    const name = /^[a-z_0-9]+/i.exec(src.slice(i))![0];
    i += name.length + 1; // name(
    const args: SqlValue[] = [];
    ws();
    while (src[i] !== ')') {
      args.push(expr());
      ws();
      if (src[i] === ',') i++;
      ws();
    }
    i++;
    const f = scalarFunctions.get(name.toLowerCase());
    if (!f) throw new Error(`unknown function ${name}`);
    checkArity(f, args.length);
    return f.fn(args, ctx);
  };
  return expr();
}

for (const file of readdirSync(dir).filter((f) => f.endsWith('.txt'))) {
  const text = readFileSync(join(dir, file), 'utf8');
  const blocks = text.split(/\n\n+/).map((b) => b.split('\n').filter((l) => !l.startsWith('#'))).filter((b) => b.length >= 3);
  for (const [call, sep, expected] of blocks) {
    test(`${file}: ${call} → ${expected}`, () => {
      assert.is(sep, '----');
      let actual: string;
      try {
        const v = evaluate(call!);
        actual = `${typeOf(v)} ${quoteValue(v)}`;
      } catch (e) {
        if (!isHeliosError(e)) throw e;
        actual = `error ${e.code}`;
      }
      assert.is(actual, expected);
    });
  }
}

test('every registered function has a consistent arity and name', () => {
  for (const [name, f] of scalarFunctions) {
    assert.is(f.name, name);
    assert.ok(f.minArgs >= 0 && f.minArgs <= f.maxArgs, name);
  }
  for (const name of ['length', 'substr', 'upper', 'lower', 'trim', 'ltrim', 'rtrim', 'replace', 'instr', 'abs', 'round', 'coalesce', 'ifnull', 'nullif', 'iif', 'typeof', 'hex', 'unhex',
    'quote', 'random', 'randomblob', 'printf', 'format', 'min', 'max', 'char', 'unicode', 'zeroblob', 'likely', 'unlikely', 'sign', 'date', 'time', 'datetime', 'julianday', 'strftime', 'unixepoch'])
    assert.ok(scalarFunctions.has(name), name);
});

test('wrong argument counts name the function', () => {
  try {
    checkArity(scalarFunctions.get('substr')!, 1);
    assert.unreachable();
  } catch (e) {
    assert.ok(isHeliosError(e, 'SQL_ERROR'));
    assert.match(e.message, 'substr()');
  }
});

test('random() and randomblob() use the injected byte source; date functions use the statement time', () => {
  assert.is(evaluate("random()"), 72623859790382856n);
  assert.equal(evaluate('randomblob(0)'), new Uint8Array([1]));
  assert.is(scalarFunctions.get('random')!.deterministic, false);
  assert.is(scalarFunctions.get('date')!.deterministic, false);
  assert.is(scalarFunctions.get('abs')!.deterministic, true);
});

test.run();
