/**
 * sqlite3 parity, side by side: the same script goes through our shell and
 * through Debian's `sqlite3` (the oracle; skipped with a notice when it is
 * not installed), and the outputs must be equal byte for byte — every
 * output mode, the settings commands (.headers, .separator, .nullvalue,
 * .width, .mode insert TABLE), .tables/.indexes/.schema/.fullschema,
 * .parameter, .changes, .eqp, .echo, .print, .output/.once, .import of
 * CSV/TSV, -cmd and mode flags, and .dump loaded by the other program.
 * Values are chosen where SQLite versions agree (REALs that print the same
 * under %!.15g and shortest round trip).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runShell } from './shell.ts';
import { MODES } from './output-modes.ts';
import { readRecords } from './csv-import.ts';
import fc from 'fast-check';
import { fuzzParams } from '../../fuzz/budget.ts';

const hasSqlite = spawnSync('sqlite3', ['-version'], { encoding: 'utf8' }).status === 0;
const work = mkdtempSync(join(tmpdir(), 'helios-modes-'));

async function ours(args: string[], script: string): Promise<{ out: string; err: string; code: number }> {
  let out = '';
  let err = '';
  const code = await runShell({ args, input: script, output: { write: (s: string) => (out += s) }, errors: { write: (s: string) => (err += s) }, env: {} });
  return { out, err, code };
}

function theirs(args: string[], script: string): { out: string; err: string; code: number } {
  const r = spawnSync('sqlite3', args, { input: script, encoding: 'utf8', cwd: work });
  return { out: r.stdout, err: r.stderr, code: r.status ?? -1 };
}

const DATA = `CREATE TABLE t(i INTEGER, r REAL, s TEXT, n);
INSERT INTO t VALUES(1, 2.5, 'hello', NULL),(-20, 0.5, 'a,b "q" <&>', 'x'),(300, 1e20, 'line
two', 7),(4, -3.25, 'tab	in', 'it''s'),(5, 8.0, 'héllo wörld', x'41');
`;

async function same(name: string, script: string, args: string[] = []): Promise<void> {
  const a = await ours([':memory:', ...args], script);
  const b = theirs([':memory:', ...args], script);
  assert.is(a.err.replace(/^warning: \.dump .*\n/m, ''), '', `${name}: our errors`);
  assert.is(a.out, b.out, `${name}: output differs from sqlite3`);
}

if (!hasSqlite) {
  console.log('notice: sqlite3 is not installed (apt-get install -y sqlite3): the side-by-side comparisons are skipped');
} else {
  for (const mode of MODES) {
    test(`.mode ${mode} prints what sqlite3 prints (headers off and on, several statements, an empty result)`, async () => {
      const q = 'SELECT * FROM t ORDER BY i;\nSELECT i, s AS "S x" FROM t WHERE i < 5 ORDER BY i;\nSELECT * FROM t WHERE 0;\n';
      await same(mode, `${DATA}.mode ${mode}\n${q}.headers on\n${q}.headers off\n${q}`);
    });
  }

  test('mode flags, -header, -separator, -newline, -nullvalue and -cmd act as in sqlite3', async () => {
    for (const args of [['-csv', '-header'], ['-line'], ['-box'], ['-separator', '::', '-nullvalue', 'NIL'], ['-tabs', '-newline', '\r\n', '-header'], ['-cmd', '.mode quote']]) {
      await same(args.join(' '), `${DATA}SELECT * FROM t ORDER BY i;\n`, args);
    }
  });

  test('.separator, .nullvalue, .width (wrap, right-align) and .mode insert TABLE act as in sqlite3', async () => {
    await same('settings', `${DATA}.separator ";" "|\\n"\nSELECT i, n FROM t;\n.mode list\n.nullvalue (null)\nSELECT n FROM t;\n.mode column\n.width 3 -6\nSELECT s, i FROM t;\n.mode table\nSELECT s, i FROM t;\n.width 0\n.mode insert people\nSELECT * FROM t;\n.headers on\nSELECT i, s AS "S x", r AS "select" FROM t;\n`);
  });

  test('.tables, .indexes, .schema, .fullschema, .databases-free listing commands print what sqlite3 prints', async () => {
    const schema = `${DATA}CREATE TABLE "other one"(a, b);\nCREATE INDEX t_i ON t(i);\nCREATE UNIQUE INDEX t_s ON t(s);\nCREATE VIEW v AS SELECT i FROM t;\n`;
    await same('listing', `${schema}.tables\n.tables t%\n.indexes\n.indexes t\n.schema\n.schema t\n.fullschema\n`);
  });

  test('.print, .echo, .changes and .eqp print what sqlite3 prints', async () => {
    await same('echo', `${DATA}.print hello   "big world"\n.changes on\nINSERT INTO t(i) VALUES(9);\nUPDATE t SET n = 1 WHERE i > 0;\n.changes off\n.echo on\nSELECT count(*) FROM t;\n.echo off\nSELECT 1;\n`);
    await same('eqp', `${DATA}.eqp on\nSELECT * FROM t WHERE i = 1;\nSELECT a.s FROM t AS a JOIN t AS b ON a.i = b.i;\n`);
  });

  test('.parameter set/list/unset/clear binds :name, @name, $name and ?N as sqlite3 does', async () => {
    await same('param', `.parameter set :a 12\n.parameter set @b 'text'\n.parameter set $c NULL\n.parameter set ?2 x'41'\n.parameter list\nSELECT :a, @b, $c, :missing, typeof(:a);\nSELECT ?1, ?2;\n.parameter unset :a\nSELECT :a;\n.parameter clear\n.parameter list\nSELECT @b;\n`);
  });

  test('.output FILE and .once FILE redirect as in sqlite3', async () => {
    const a = join(work, 'ours.txt');
    const b = join(work, 'theirs.txt');
    const script = (f: string): string => `${DATA}.output ${f}\nSELECT i FROM t;\n.print printed\n.output\nSELECT 'screen';\n.once ${f}.once\nSELECT 'once';\nSELECT 'after';\n`;
    const x = await ours([':memory:'], script(a));
    const y = theirs([':memory:'], script(b));
    assert.is(x.out, y.out);
    assert.is(readFileSync(a, 'utf8'), readFileSync(b, 'utf8'));
    assert.is(readFileSync(`${a}.once`, 'utf8'), readFileSync(`${b}.once`, 'utf8'));
  });

  test('.import of CSV (RFC 4180 quotes, CRLF, --skip) and TSV into new and existing tables gives sqlite3\'s rows and schema', async () => {
    const csv = join(work, 'in.csv');
    writeFileSync(csv, 'id,"full name",note\r\n1,"Smith, Jo","said ""hi""\r\nover two lines"\r\n2,Lee,\r\n3,"",plain\r\n');
    const tsv = join(work, 'in.tsv');
    writeFileSync(tsv, 'a\tb\nx y\t"q"\n');
    const script = `.import --csv ${csv} people\n.mode quote\nSELECT * FROM people;\n.schema people\nCREATE TABLE known(id INTEGER, name TEXT, note TEXT);\n.import --csv --skip 1 ${csv} known\nSELECT *, typeof(id) FROM known;\n.mode tabs\n.import ${tsv} tabbed\n.mode quote\nSELECT * FROM tabbed;\n`;
    await same('import', script);
  });

  test('an import whose row breaks a constraint imports nothing (one transaction); short rows are filled with NULL and warned about', async () => {
    const csv = join(work, 'dup.csv');
    writeFileSync(csv, '1,a\n2\n1,c\n');
    const r = await ours([':memory:'], `CREATE TABLE u(id INTEGER PRIMARY KEY, v);\n.import --csv ${csv} u\nSELECT count(*) FROM u;\n`);
    assert.match(r.err, /dup\.csv:2: expected 2 columns but found 1 - filling the rest with NULL/);
    assert.match(r.err, /dup\.csv:3: .*UNIQUE constraint failed.*nothing imported/);
    assert.is(r.out, '0\n', 'the whole import rolled back');
    assert.is(r.code, 1);
  });

  test('property: random values (quotes, separators, line breaks, tabs, non-ASCII, NULL, blobs, integers, dyadic reals) print as in sqlite3 in every mode, and .dump round-trips through sqlite3', async () => {
    const text = fc.array(fc.constantFrom('a', 'Z', ' ', ',', '"', "'", '|', '\n', '\t', '<', '&', 'é', '→', '0', '-', '\\', ';'), { maxLength: 12 }).map((c) => c.join(''));
    // REALs only where sqlite3 3.4x prints them as the library does (list-like modes use %!.15g; json,
    // insert, quote and .dump use %!.20g there, which newer versions replaced by the shortest round trip).
    const value = (reals: boolean) =>
      fc.oneof(
        text.map((t) => `'${t.replace(/'/g, "''")}'`),
        fc.integer({ min: -1_000_000, max: 1_000_000 }).map(String),
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
        reals ? fc.integer({ min: -4000, max: 4000 }).map((k) => (k / 8).toFixed(3)) : fc.constant('42'),
        fc.constant('NULL'),
        fc.array(fc.constantFrom('41', '7a', '20', '2c'), { maxLength: 4 }).map((h) => `x'${h.join('')}'`),
      );
    const table = (reals: boolean) => fc.array(fc.array(value(reals), { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 5 });
    const EXACT = new Set(['json', 'insert', 'quote']);
    const cases = fc.constantFrom(...MODES).chain((mode) => fc.tuple(fc.constant(mode), table(!EXACT.has(mode)), fc.boolean()));
    await fc.assert(
      fc.asyncProperty(cases, async ([mode, rows, headers]) => {
        const setup = `CREATE TABLE p(a, "b c", d);\nINSERT INTO p VALUES ${rows.map((r) => `(${r.join(', ')})`).join(', ')};\n`;
        const script = `${setup}.mode ${mode}\n.headers ${headers ? 'on' : 'off'}\nSELECT * FROM p;\n`;
        const a = await ours([':memory:'], script);
        const b = theirs([':memory:'], script);
        assert.is(a.out, b.out, script);
        const d = await ours([':memory:'], `${setup}.dump\n`);
        assert.is(theirs([':memory:'], `${d.out}.dump\n`).out, theirs([':memory:'], `${setup}.dump\n`).out, `sqlite3 loads our dump: ${setup}`);
      }),
      fuzzParams(60),
    );
  });

  test('.dump: sqlite3 loads ours back to the same dump, and we load sqlite3\'s', async () => {
    const setup = `${DATA}CREATE TABLE "odd ""name"""(a PRIMARY KEY, b BLOB) WITHOUT ROWID;\nINSERT INTO "odd ""name"""VALUES('k', x'00ff10');\nCREATE TABLE seq(id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT);\nINSERT INTO seq(v) VALUES('one'),('two');\nCREATE INDEX t_s ON t(s);\nCREATE VIEW v AS SELECT i FROM t;\nCREATE TRIGGER tr AFTER INSERT ON seq BEGIN INSERT INTO t(i) VALUES (new.id); SELECT 1; END;\n`;
    const sq = theirs([':memory:'], `${setup}.dump\n`);
    assert.is(sq.code, 0, sq.err);
    const mine = await ours([':memory:'], `${setup}.dump\n`);
    assert.is(mine.out, sq.out, 'our .dump is sqlite3\'s, line for line');
    const back = theirs([':memory:'], `${mine.out}.dump\n`);
    assert.is(back.out, sq.out, 'sqlite3 loads our dump');
    const ours2 = await ours([':memory:'], `${sq.out}.dump\n`);
    assert.is(ours2.err, 'warning: .dump writes the database as PLAINTEXT SQL; protect the output like the key\n');
    assert.is(ours2.out, sq.out, 'we load sqlite3\'s dump');
  });
}

test('readRecords gives the same records however the input is split into chunks (quotes, "", CRLF, a BOM)', () => {
  const text = '\uFEFFa,"b ""q"", c"\r\n"multi\nline",x\n,\n"tail"';
  const whole = [...readRecords([text], 'f', ',', '\n')];
  assert.equal(whole.map((r) => r.fields), [['a', 'b "q", c'], ['multi\nline', 'x'], ['', ''], ['tail']]);
  assert.equal(whole.map((r) => r.line), [1, 2, 4, 5]);
  for (let cut = 0; cut <= text.length; cut++) {
    for (const size of [1, 2, 3]) {
      const parts = [text.slice(0, cut)];
      for (let k = cut; k < text.length; k += size) parts.push(text.slice(k, k + size));
      assert.equal([...readRecords(parts, 'f', ',', '\n')], whole, `cut ${cut}, size ${size}`);
    }
  }
  let err = '';
  try {
    [...readRecords(['a,"open'], 'f.csv', ',', '\n')];
  } catch (e) {
    err = String(e);
  }
  assert.match(err, /f\.csv:1: unterminated "-quoted field/);
});

test.after(() => rmSync(work, { recursive: true, force: true }));
test.run();
