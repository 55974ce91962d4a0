/**
 * The shell driven with scripted input (no TTY): statements across lines,
 * output modes, dot commands, .dump round trips, errors that let the shell
 * go on and set the exit status, key options, and no key material in any
 * output.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { fuzzParams } from '../../fuzz/budget.ts';
import Sqlite3Database, { Database } from '../../index.ts';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { defaultSettings, EXIT, findTerminator, formatResult, INTERRUPTED, isBlankSql, runShell, setMode, sqlLiteral, type OutputMode, type ShellOptions } from './shell.ts';
import { VERSION } from './version.ts';
import { isOperatorCommand, runOperator } from './operator.ts';

const KEY_HEX = '3c'.repeat(32);
/** CSV with a header and \n line ends (sqlite3's csv mode ends rows with \r\n and has no header by default). */
const CSV = ['--mode', 'csv', '-header', '-newline', '\n'];
const FAST_KDF = { argon2: { memoryKiB: 64, iterations: 1, parallelism: 1 } };

interface Run {
  code: number;
  out: string;
  err: string;
}

async function shell(args: string[], input: ShellOptions['input'], extra: Partial<ShellOptions> = {}): Promise<Run> {
  let out = '';
  let err = '';
  const code = await runShell({
    args,
    input,
    output: { write: (s: string) => (out += s) },
    errors: { write: (s: string) => (err += s) },
    env: {},
    ...extra,
  });
  return { code, out, err };
}

async function withTmp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'helios-shell-'));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const PATIENTS = `CREATE TABLE patients (id INTEGER PRIMARY KEY, mrn TEXT UNIQUE, name TEXT, temp REAL);
INSERT INTO patients (mrn, name, temp) VALUES ('MRN001', 'Alice', 37.0), ('MRN002', 'Bob', 38.25);
`;

test('a piped script prints each query in list mode by default (sqlite3: "|" between columns, NULL empty, no header) and exits 0', async () => {
  const r = await shell([], PATIENTS + "INSERT INTO patients (mrn) VALUES ('MRN003');\nSELECT * FROM patients ORDER BY id;\n");
  assert.is(r.err, '');
  assert.is(r.code, 0);
  assert.is(r.out, '1|MRN001|Alice|37.0\n2|MRN002|Bob|38.25\n3|MRN003||\n');
});

test('statements span lines and end at a ";" outside strings, quoted names and comments', async () => {
  const script = [
    "SELECT 'a;b' AS \"x;y\", -- a comment; not the end",
    '  [c;d] FROM (SELECT 1 AS [c;d]) /* ; */',
    '; SELECT 2 AS two; SELECT',
    '3 AS three',
  ].join('\n');
  const r = await shell([...CSV], script);
  assert.is(r.err, '');
  assert.is(r.out, 'x;y,c;d\na;b,1\ntwo\n2\nthree\n3\n', 'the last statement runs at end of input without ";"');
});

test('strings, quoted names and block comments that span lines keep their ";" and newlines', async () => {
  const rows = Array.from({ length: 2000 }, (_, i) => `  (${i}, 'v;${i}')`).join(',\n');
  const script = `SELECT 'a\n;b' AS "x\n;y" /* c\n;\n */;\nCREATE TABLE big (i, v);\nINSERT INTO big VALUES\n${rows};\nSELECT count(*) AS n, max(v) AS m FROM big;\n`;
  const r = await shell(['--mode', 'json'], script);
  assert.is(r.err, '');
  assert.is(r.out, '[{"x\\n;y":"a\\n;b"}]\n[{"n":2000,"m":"v;999"}]\n');
});

test('an error prints "Error [CODE]: message", the shell goes on, and a piped run exits 1', async () => {
  const r = await shell([], "SELECT * FROM nosuch;\nSELEC 1;\nSELECT 'still here' AS s;\n");
  assert.is(r.code, 1);
  assert.match(r.err, /^Error \[SQL_ERROR\]: no such table: nosuch\n/);
  assert.match(r.err, /\nError \[SQL_SYNTAX\]: near "SELEC": syntax error/);
  assert.match(r.out, /still here/);
});

test('a syntax error skips only to the next ";" and later statements run', async () => {
  const r = await shell([...CSV], "SELECT (1;\nSELECT 'next' AS n;\n");
  assert.is(r.code, 1);
  assert.is(r.out, 'n\nnext\n');
  assert.match(r.err, /^Error \[SQL_SYNTAX\]/);
});

test('an unfinished statement at end of input is an error', async () => {
  const r = await shell([], 'SELECT (1 +\n');
  assert.is(r.code, 1);
  assert.match(r.err, /Error \[SQL_SYNTAX\]: incomplete input/);
});

test('.mode csv and json print exact values; .headers off drops the header', async () => {
  const setup = "CREATE TABLE v (i, r, t, b, n);\nINSERT INTO v VALUES (9223372036854775807, 0.1, 'say \"hi\", ok', x'00ff', NULL), (-1, 1e300, 'line\nbreak', x'', NULL);\n";
  const csv = await shell([], setup + '.mode csv\n.headers on\nSELECT i, r, t, hex(b), n FROM v;\n.headers off\nSELECT i FROM v;\n');
  assert.is(csv.out, 'i,r,t,hex(b),n\r\n9223372036854775807,0.1,"say ""hi"", ok",00FF,\r\n-1,1.0e+300,"line\nbreak","",\r\n9223372036854775807\r\n-1\r\n');
  const json = await shell([], setup + '.mode json\nSELECT i, r, t, hex(b) AS b, n FROM v;\nSELECT * FROM v WHERE 0;\n');
  assert.is(json.out, '[{"i":9223372036854775807,"r":0.1,"t":"say \\"hi\\", ok","b":"00FF","n":null},\n{"i":-1,"r":1.0e+300,"t":"line\\nbreak","b":"","n":null}]\n');
  const parsed = JSON.parse(json.out) as { t: string }[];
  assert.is(parsed[1]!.t, 'line\nbreak');
  const mode = await shell(['--mode', 'json'], '.mode\n.mode table\n.mode\n.mode xml\n');
  assert.is(mode.out, 'current output mode: json\ncurrent output mode: table\n');
  assert.match(mode.err, /Error \[INVALID_ARGUMENT\]: \.mode takes one of list line column/);
});

test('formatResult: multi-line cells split across lines in table mode, empty results print nothing, infinities stay numbers in json', () => {
  const as = (mode: OutputMode) => {
    const s = defaultSettings();
    setMode(s, mode);
    return s;
  };
  assert.is(formatResult(as('table'), ['a'], [['x\ny']]), '+---+\n| a |\n+---+\n| x |\n| y |\n+---+\n');
  assert.is(formatResult(as('table'), ['a', 'b'], []), '');
  assert.is(formatResult(as('csv'), ['a'], [[' lead']]), '" lead"\r\n');
  assert.is(formatResult(as('json'), ['x'], [[Infinity], [-Infinity]]), '[{"x":1e999},\n{"x":-1e999}]\n');
});

test('.tables, .indexes and .schema list the schema; .help lists the commands', async () => {
  const r = await shell([], PATIENTS + 'CREATE INDEX idx_name ON patients(name);\nCREATE TABLE audit (at, what);\nCREATE VIEW names AS SELECT name FROM patients;\n.tables\n.indexes patients\n.indexes AUDIT\n.schema PATIENTS\n.help\n');
  assert.is(r.err, '');
  const [tables, rest] = [r.out.slice(0, r.out.indexOf('idx_name')), r.out.slice(r.out.indexOf('idx_name'))];
  assert.is(tables, 'audit     names     patients\n');
  assert.ok(
    rest.startsWith(
      'idx_name                     sqlite_autoindex_patients_1\n' +
        'CREATE TABLE patients (id INTEGER PRIMARY KEY, mrn TEXT UNIQUE, name TEXT, temp REAL);\nCREATE INDEX idx_name ON patients(name);\n',
    ),
    rest,
  );
  for (const cmd of ['.dump', '.read', '.timer', '.mode', '.info', '.quit']) assert.ok(r.out.includes(cmd), cmd);
});

test('.dump writes SQL that recreates every table, row, index and view exactly, and warns that it is plaintext', async () => {
  await withTmp(async (dir) => {
    const key = join(dir, 'k.key');
    writeFileSync(key, KEY_HEX);
    const setup =
      PATIENTS +
      "CREATE TABLE t (a, b TEXT, \"odd \"\"name\", c BLOB);\n" +
      "INSERT INTO t VALUES (9223372036854775807, 'it''s', -9223372036854775808, x'DEADBEEF'), (1.0, 'multi\nline', 2.5e-300, NULL), (0.30000000000000004, '', 1e999, x'');\n" +
      'CREATE INDEX t_b ON t(b DESC);\nCREATE VIEW v AS SELECT a FROM t WHERE a > 1;\n';
    const a = await shell([join(dir, 'a.db'), '--key-file', key, '--create'], setup + '.dump\n');
    assert.is(a.code, 0, a.err);
    assert.match(a.err, /warning: \.dump writes the database as PLAINTEXT SQL/);
    assert.ok(a.out.startsWith('PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n'), a.out);
    assert.ok(a.out.includes("INSERT INTO t VALUES(9223372036854775807,'it''s',-9223372036854775808,X'deadbeef');\n"), a.out);
    assert.ok(a.out.includes("VALUES(1.0,replace('multi\\nline','\\n',char(10)),2.5e-300,NULL);"), a.out);
    assert.ok(a.out.includes('1e999'), a.out);
    const b = await shell([join(dir, 'b.db'), '--key-file', key, '--create'], a.out + '.dump\n');
    assert.is(b.code, 0, b.err);
    assert.is(b.out, a.out);
    const db = new Database(join(dir, 'b.db'), { key: { file: key } });
    try {
      assert.equal(db.prepare('SELECT typeof(a), typeof(b), typeof("odd ""name"), typeof(c) FROM t ORDER BY rowid').raw().all(), [
        ['integer', 'text', 'integer', 'blob'],
        ['real', 'text', 'real', 'null'],
        ['real', 'text', 'real', 'blob'],
      ]);
      assert.equal(db.prepare('SELECT a FROM v').safeIntegers().pluck().all(), [9223372036854775807n]);
    } finally {
      db.close();
    }
  });
});

test('.dump carries the AUTOINCREMENT marks as sqlite3 writes them, so a reload does not reuse ids', async () => {
  await withTmp(async (dir) => {
    const key = join(dir, 'k.key');
    writeFileSync(key, KEY_HEX);
    const setup =
      'CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, v);\nINSERT INTO t(v) VALUES (1), (2), (3);\nDELETE FROM t WHERE id > 1;\n' +
      'CREATE TABLE u (id INTEGER PRIMARY KEY AUTOINCREMENT);\nINSERT INTO u DEFAULT VALUES;\nUPDATE sqlite_sequence SET seq = 50 WHERE name = \'u\';\n' +
      'CREATE TABLE g (a, b AS (a * 2), c AS (a + 1) STORED, d);\nINSERT INTO g(a, d) VALUES (1, \'x\');\n';
    const a = await shell([join(dir, 'a.db'), '--key-file', key, '--create'], setup + '.dump\n');
    assert.is(a.code, 0, a.err);
    assert.ok(a.out.includes("INSERT INTO g VALUES(1,'x');\n"), a.out);
    assert.ok(a.out.includes("INSERT INTO u VALUES(1);\n"), a.out);
    assert.ok(a.out.includes("DELETE FROM sqlite_sequence;\nINSERT INTO sqlite_sequence VALUES('t',3);\nINSERT INTO sqlite_sequence VALUES('u',50);\nCOMMIT;\n"), a.out);
    const b = await shell([join(dir, 'b.db'), '--key-file', key, '--create'], a.out + 'INSERT INTO t(v) VALUES (4);\nINSERT INTO u DEFAULT VALUES;\nSELECT max(id) FROM t;\nSELECT max(id) FROM u;\nSELECT b, c FROM g;\n');
    assert.is(b.code, 0, b.err);
    assert.match(b.out, /\b4\b[^]*\b51\b[^]*\b2\b[^]*\b2\b/);
  });
});

test('.dump writes a virtual table as sqlite3 does: its schema row through writable_schema, no rows (the shell has no module)', async () => {
  await withTmp(async (dir) => {
    const key = join(dir, 'k.key');
    writeFileSync(key, KEY_HEX);
    const db = new Sqlite3Database(join(dir, 'a.db'), { key: { file: key } });
    db.table('mod', () => ({ columns: ['x'], *rows() { yield [1]; } }));
    db.exec("CREATE TABLE t(a); INSERT INTO t VALUES (1); CREATE VIRTUAL TABLE v USING mod('it''s')");
    db.close();
    const a = await shell([join(dir, 'a.db'), '--key-file', key], '.dump\n');
    assert.is(a.code, 0, a.err);
    assert.ok(
      a.out.endsWith(
        "CREATE TABLE t(a);\nINSERT INTO t VALUES(1);\nPRAGMA writable_schema=ON;\n" +
          "INSERT INTO sqlite_schema(type,name,tbl_name,rootpage,sql)VALUES('table','v','v',0,'CREATE VIRTUAL TABLE v USING mod(''it''''s'')');\n" +
          'PRAGMA writable_schema=OFF;\nCOMMIT;\n',
      ),
      a.out,
    );
  });
});

test('.read runs a file (nested .read too); an unreadable file is Error [IO]', async () => {
  await withTmp(async (dir) => {
    writeFileSync(join(dir, 'inner.sql'), "INSERT INTO x VALUES ('inner');\n");
    writeFileSync(join(dir, 'outer.sql'), `CREATE TABLE x (v);\n.read ${join(dir, 'inner.sql')}\nINSERT INTO x VALUES ('outer');\n`);
    const r = await shell([...CSV], `.read ${join(dir, 'outer.sql')}\nSELECT v FROM x;\n.read ${join(dir, 'missing.sql')}\n`);
    assert.is(r.out, 'v\ninner\nouter\n');
    assert.match(r.err, /^Error \[IO\]: cannot read .*missing\.sql: ENOENT\n$/);
    assert.is(r.code, 1);
    writeFileSync(join(dir, 'self.sql'), `.read ${join(dir, 'self.sql')}\n`);
    const loop = await shell([], `.read ${join(dir, 'self.sql')}\n`);
    assert.match(loop.err, /Error \[TOO_BIG\]: \.read nested more than 16 deep/);
  });
});

test('.timer on prints the run time of each statement (real, user, sys as sqlite3) from the injected clocks', async () => {
  let now = 1000;
  const clock = (): number => (now += 12.5);
  let used = 0;
  const cpu = () => ((used += 1500), { user: used, system: used / 3 });
  const r = await shell([...CSV], '.timer on\nSELECT 1 AS one;\n.timer off\nSELECT 2 AS two;\n.timer maybe\n', { clock, cpu });
  assert.is(r.out, 'one\n1\nRun Time: real 0.013 user 0.001500 sys 0.000500\ntwo\n2\n');
  assert.match(r.err, /\.timer takes on or off/);
});

test('unknown dot commands and bad arguments are errors; .quit stops reading', async () => {
  const r = await shell([...CSV], ".frobnicate\n.tables a b\n.quit\nSELECT 'never' AS n;\n");
  assert.match(r.err, /Error \[INVALID_ARGUMENT\]: unknown command "\.frobnicate"/);
  assert.match(r.err, /\.tables: too many arguments/);
  assert.is(r.out, '');
  assert.is(r.code, 1);
});

test('an interactive session prompts, continues statements, drops a partial one on Ctrl-C, and exits 0 despite errors', async () => {
  const lines: (string | typeof INTERRUPTED)[] = ['SELECT', "  'two lines' AS s;", 'SELECT broken', INTERRUPTED, 'SELECT * FROM nosuch;', '.quit', 'SELECT 1;'];
  const prompts: string[] = [];
  const r = await shell(
    [...CSV],
    {
      readLine: async (prompt) => {
        prompts.push(prompt);
        return lines.length > 0 ? lines.shift()! : null;
      },
    },
  );
  assert.is(r.code, 0);
  assert.equal(prompts, ['heliosdb> ', '     ...> ', 'heliosdb> ', '     ...> ', 'heliosdb> ', 'heliosdb> ']);
  assert.match(r.out, /^HeliosDB-Lite shell \S+: :memory: \(unencrypted\)\. Enter \.help for help\.\n/);
  assert.ok(r.out.endsWith('s\n"two lines"\n'), r.out);
  assert.match(r.err, /no such table: nosuch/);
  assert.equal(lines, ['SELECT 1;'], '.quit stops reading');
});

test('a comment-only line does not leave the shell waiting for the rest of a statement', async () => {
  const r = await shell([...CSV], '-- just a comment\n.tables\n/* block */\nSELECT 1 AS one;\n');
  assert.is(r.err, '');
  assert.is(r.out, 'one\n1\n');
  assert.ok(isBlankSql('-- a\n  /* b */ \n'));
  assert.not.ok(isBlankSql('/* open'));
});

test('a database directory opens with --key-file, --key-env or --passphrase-env and refuses the wrong key', async () => {
  await withTmp(async (dir) => {
    const key = join(dir, 'k.key');
    writeFileSync(key, KEY_HEX + '\n');
    const db = join(dir, 'ehr.db');
    const created = await shell([db, '--key-file', key, '--create'], PATIENTS);
    assert.is(created.code, 0, created.err);
    process.env.HELIOS_SHELL_TEST_KEY = KEY_HEX;
    const viaEnv = await shell([db, '--key-env', 'HELIOS_SHELL_TEST_KEY', ...CSV], 'SELECT count(*) AS n FROM patients;\n');
    assert.is(viaEnv.out, 'n\n2\n');
    process.env.HELIOS_SHELL_TEST_KEY = 'ab'.repeat(32);
    const wrong = await shell([db, '--key-env', 'HELIOS_SHELL_TEST_KEY'], 'SELECT 1;\n');
    delete process.env.HELIOS_SHELL_TEST_KEY;
    assert.is(wrong.code, 3, 'the database could not be opened');
    assert.match(wrong.err, /^Error \[WRONG_KEY\]/);
    assert.not.ok(wrong.err.includes('ab'.repeat(32)));
    const noKey = await shell([db], 'SELECT 1;\n');
    assert.is(noKey.code, 3, 'the database could not be opened');
    assert.match(noKey.err, /^Error \[CONFIG\]/);

    const pdb = join(dir, 'pass.db');
    const pass = 'tr0ub4dor&3 correct horse';
    const p1 = await shell([pdb, '--passphrase-env', 'HELIOS_PASS', '--create'], PATIENTS + '.info\n', { env: { HELIOS_PASS: pass }, kdf: FAST_KDF });
    assert.is(p1.code, 0, p1.err);
    assert.match(p1.out, /key source: +passphrase\n/);
    assert.match(p1.out, /kdf: +argon2id\n/);
    let asked = '';
    const p2 = await shell([pdb, '--passphrase', ...CSV], 'SELECT name FROM patients ORDER BY id;\n', {
      readSecret: async (prompt) => ((asked = prompt), pass),
    });
    assert.is(asked, 'Passphrase: ');
    assert.is(p2.out, 'name\nAlice\nBob\n');
    const p3 = await shell([pdb, '--passphrase'], 'SELECT 1;\n');
    assert.match(p3.err, /--passphrase needs a terminal/);
    assert.is(p3.code, 3, 'the database could not be opened');
    const p4 = await shell([pdb, '--passphrase-env', 'UNSET_VAR'], 'SELECT 1;\n');
    assert.match(p4.err, /^Error \[CONFIG\]: environment variable UNSET_VAR/);
    for (const r of [created, viaEnv, wrong, noKey, p1, p2, p3, p4]) {
      for (const secret of [KEY_HEX, pass]) assert.not.ok((r.out + r.err).includes(secret), 'key material printed');
    }
  });
});

test('--passphrase-file PATH (its first line) creates and opens a database, in the shell, its key commands and the operator commands; never printed', async () => {
  await withTmp(async (dir) => {
    const pass = 'file phrase: tr0ub4dor&3';
    const other = 'second file phrase';
    const third = 'third file phrase';
    const pf = join(dir, 'pass.txt');
    const pf2 = join(dir, 'pass2.txt');
    const pf3 = join(dir, 'pass3.txt');
    writeFileSync(pf, `${pass}\r\nignored second line\n`);
    writeFileSync(pf2, other);
    writeFileSync(pf3, `${third}\n`);
    const db = join(dir, 'ehr.db');
    const runs: { out: string; err: string }[] = [];
    const made = await shell([db, '--passphrase-file', pf, '--create'], PATIENTS + '.info\n', { kdf: FAST_KDF });
    runs.push(made);
    assert.is(made.code, 0, made.err);
    assert.match(made.out, /key source: +passphrase\n/);
    // The same bytes as the passphrase given any other way.
    const viaEnv = await shell([db, '--passphrase-env', 'P', ...CSV], 'SELECT count(*) AS n FROM patients;\n', { env: { P: pass } });
    runs.push(viaEnv);
    assert.is(viaEnv.out, 'n\n2\n', viaEnv.err);
    // Key commands in the shell: .addkey and .open take it too.
    const db2 = join(dir, 'second.db');
    const added = await shell([db, '--passphrase-file', pf], `.addkey --passphrase-file ${pf2}\n.open --new --passphrase-file ${pf3} ${db2}\nCREATE TABLE t (x);\nINSERT INTO t VALUES (7);\n`, { kdf: FAST_KDF });
    runs.push(added);
    assert.is(added.code, 0, added.err);
    assert.match(added.out, /key added\n$/);
    const second = await shell([db2, '--passphrase-env', 'P'], 'SELECT x FROM t;\n', { env: { P: third } });
    runs.push(second);
    assert.is(second.out, '7\n', second.err);
    // Operator commands: the opening key and the key a command acts on.
    const op = async (args: string[]) => {
      let out = '';
      let err = '';
      const code = await runOperator(args, { output: { write: (t: string) => (out += t) }, errors: { write: (t: string) => (err += t) }, env: {}, kdf: FAST_KDF });
      runs.push({ out, err });
      return { code, out, err };
    };
    assert.equal(await op(['verify', db, '--passphrase-file', pf2]), { code: 0, out: 'ok\n', err: '' });
    assert.is((await op(['addkey', db, '--passphrase-file', pf2, '--new-passphrase-file', pf3])).code, 0);
    assert.is((await op(['removekey', db, '--passphrase-file', pf3, '--remove-passphrase-file', pf])).code, 0);
    assert.is((await op(['verify', db, '--passphrase-file', pf])).code, EXIT.NOT_OPENED, 'the removed passphrase no longer opens it');
    assert.is((await op(['rekey', db, '--passphrase-file', pf3, '--new-passphrase-file', pf])).code, 0);
    assert.is((await op(['backup', db, '--passphrase-file', pf, '--to', join(dir, 'bk')])).code, 0);
    const restored = await op(['restore', join(dir, 'bk'), join(dir, 'restored.db'), '--passphrase-file', pf]);
    assert.is(restored.code, 0, restored.err);
    const q = await shell([join(dir, 'restored.db'), '--passphrase-file', pf], 'SELECT name FROM patients ORDER BY id;\n');
    runs.push(q);
    assert.is(q.out, 'Alice\nBob\n', q.err);
    // Errors: a missing or empty file is CONFIG (exit 3) naming the file; a missing value or two keys are usage errors.
    const missing = await shell([db, '--passphrase-file', join(dir, 'nope.txt')], 'SELECT 1;\n');
    assert.is(missing.code, EXIT.NOT_OPENED);
    assert.match(missing.err, /^Error \[CONFIG\]: cannot read passphrase file .*nope\.txt: ENOENT/);
    writeFileSync(join(dir, 'empty.txt'), '\n');
    const empty = await shell([db, '--passphrase-file', join(dir, 'empty.txt')], 'SELECT 1;\n');
    assert.is(empty.code, EXIT.NOT_OPENED);
    assert.match(empty.err, /^Error \[CONFIG\]: passphrase file .*empty\.txt is empty/);
    assert.is((await shell([db, '--passphrase-file'], '')).code, EXIT.USAGE);
    const two = await shell([db, '--passphrase-file', pf, '--key-file', pf2], '');
    assert.is(two.code, EXIT.USAGE);
    assert.match(two.err, /give at most one of .*--passphrase-file/);
    const dotMissing = await shell([db, '--passphrase-file', pf], `.addkey --passphrase-file\n`);
    assert.match(dotMissing.err, /\.addkey takes one of .*--passphrase-file PATH/);
    // --help texts name it.
    assert.match((await shell(['--help'], '')).out, /--passphrase-file PATH/);
    assert.match((await shell([], '.help\n')).out, /KEY is .*--passphrase-file PATH/);
    assert.match((await op(['rekey', '--help'])).out, /--new-passphrase-file PATH[^]*\n  --key-file PATH .*--passphrase-file PATH/);
    assert.match((await op(['restore', '--help'])).out, /--passphrase-file PATH/);
    runs.push(missing, empty, two, dotMissing);
    for (const r of runs) for (const secret of [pass, other, third]) assert.not.ok((r.out + r.err).includes(secret), 'a passphrase was printed');
  });
});

test('.rekey, .addkey, .removekey and .rotate manage keys from the shell; the old key stops working and no key is printed', async () => {
  await withTmp(async (dir) => {
    const keyA = join(dir, 'a.key');
    const keyB = join(dir, 'b.key');
    const B_HEX = '5d'.repeat(32);
    writeFileSync(keyA, KEY_HEX + '\n');
    writeFileSync(keyB, B_HEX + '\n');
    const db = join(dir, 'ehr.db');
    const pass = 'recovery phrase 42';
    const env = { RECOVERY: pass };
    const made = await shell([db, '--key-file', keyA, '--create'], PATIENTS + `.rekey --key-file ${keyB}\n.addkey --passphrase-env RECOVERY\n.rotate\n.rotate --rewrite\n.info\n`, { env, kdf: FAST_KDF });
    assert.is(made.err, '');
    assert.is(made.code, 0);
    assert.match(made.out, /key changed: the old key no longer opens this database\nkey added\ndata key generation 2 started \(live: 1, 2\)\ndata key generation 3 started \(live: 3\)\n/);
    assert.match(made.out, /data key generation: +3 \(live: 3\)/);
    const oldKey = await shell([db, '--key-file', keyA], 'SELECT 1;\n');
    assert.match(oldKey.err, /^Error \[WRONG_KEY\]/);
    const newKey = await shell([db, '--key-file', keyB, ...CSV], 'SELECT name FROM patients ORDER BY id;\n');
    assert.is(newKey.out, 'name\nAlice\nBob\n');
    const viaPass = await shell([db, '--passphrase-env', 'RECOVERY', ...CSV], `SELECT count(*) AS n FROM patients;\n.removekey --passphrase-env RECOVERY\n`, { env });
    assert.is(viaPass.err, '');
    assert.is(viaPass.out, 'n\n2\nkey removed\n');
    const removed = await shell([db, '--passphrase-env', 'RECOVERY'], 'SELECT 1;\n', { env });
    assert.match(removed.err, /^Error \[WRONG_KEY\]/);
    const bad = await shell([db, '--key-file', keyB], `.rekey\n.rekey --key-file\n.rekey --passphrase\n.rotate now\n.removekey --key-file ${keyB}\n`);
    assert.equal(bad.err.trim().split('\n').map((l) => l.replace(/: .*/, '')), ['Error [INVALID_ARGUMENT]', 'Error [INVALID_ARGUMENT]', 'Error [CONFIG]', 'Error [INVALID_ARGUMENT]', 'Error [CONFIG]']);
    assert.match(bad.err, /--passphrase needs a terminal/);
    assert.match(bad.err, /last key/);
    for (const r of [made, oldKey, newKey, viaPass, removed, bad]) {
      for (const secret of [KEY_HEX, B_HEX, pass]) assert.not.ok((r.out + r.err).includes(secret), 'key material printed');
    }
  });
});

test('[CRY-REVOKE-1] .revoke KEY leaves KEY as the only key and re-seals every file', async () => {
  await withTmp(async (dir) => {
    const keyA = join(dir, 'a.key');
    const keyB = join(dir, 'b.key');
    const B_HEX = '6e'.repeat(32);
    writeFileSync(keyA, KEY_HEX + '\n');
    writeFileSync(keyB, B_HEX + '\n');
    const db = join(dir, 'ehr.db');
    const made = await shell([db, '--key-file', keyA, '--create'], PATIENTS + `.revoke --key-file ${keyB}\n.revoke\n`);
    assert.is(made.out.split('\n').filter((l) => l.startsWith('keys revoked')).length, 1);
    assert.match(made.out, /keys revoked: only the given key opens this database; every file re-sealed with data key generation 2\n/);
    assert.match(made.err, /^Error \[INVALID_ARGUMENT\]/);
    const oldKey = await shell([db, '--key-file', keyA], 'SELECT 1;\n');
    assert.match(oldKey.err, /^Error \[WRONG_KEY\]/);
    const newKey = await shell([db, '--key-file', keyB, ...CSV], 'SELECT name FROM patients ORDER BY id;\n');
    assert.is(newKey.out, 'name\nAlice\nBob\n');
    for (const r of [made, oldKey, newKey]) for (const secret of [KEY_HEX, B_HEX]) assert.not.ok((r.out + r.err).includes(secret), 'key material printed');
  });
});

test('.rekey --passphrase asks twice at the terminal and changes nothing when the two differ', async () => {
  await withTmp(async (dir) => {
    const key = join(dir, 'k.key');
    writeFileSync(key, KEY_HEX + '\n');
    const db = join(dir, 'ehr.db');
    assert.is((await shell([db, '--key-file', key, '--create'], PATIENTS)).code, 0);
    const run = async (answers: string[]): Promise<Run & { prompts: string[] }> => {
      const lines = ['.rekey --passphrase', '.quit'];
      const prompts: string[] = [];
      const r = await shell([db, '--key-file', key], { readLine: async () => lines.shift() ?? null }, { kdf: FAST_KDF, readSecret: async (p) => (prompts.push(p), answers.shift() ?? null) });
      return { ...r, prompts };
    };
    const differ = await run(['one phrase', 'another phrase']);
    assert.equal(differ.prompts, ['New passphrase: ', 'Repeat the new passphrase: ']);
    assert.match(differ.err, /the passphrases differ; nothing changed/);
    assert.is((await shell([db, '--key-file', key], 'SELECT 1;\n')).err, '', 'the old key still opens the database');
    const same = await run(['new phrase', 'new phrase']);
    assert.is(same.err, '');
    assert.match(same.out, /key changed/);
    assert.match((await shell([db, '--key-file', key], 'SELECT 1;\n')).err, /^Error \[WRONG_KEY\]/);
    const p = await shell([db, '--passphrase-env', 'P', ...CSV], 'SELECT count(*) AS n FROM patients;\n', { env: { P: 'new phrase' } });
    assert.is(p.out, 'n\n2\n');
  });
});

test('a missing database is not created without --create; --no-encryption creates a plain one; --readonly refuses writes', async () => {
  await withTmp(async (dir) => {
    const db = join(dir, 'new.db');
    const missing = await shell([db, '--no-encryption'], 'SELECT 1;\n');
    assert.is(missing.code, 3, 'the database could not be opened');
    assert.match(missing.err, /^Error \[CONFIG\]: .*use --create/);
    const made = await shell([db, '--no-encryption', '--create'], 'CREATE TABLE t (a);\n.info\n');
    assert.is(made.code, 0, made.err);
    assert.match(made.out, /encryption: +none\n/);
    const ro = await shell([db, '--no-encryption', '--readonly'], 'INSERT INTO t VALUES (1);\nSELECT count(*) FROM t;\n');
    assert.is(ro.code, 1);
    assert.match(ro.err, /Error \[SQL_ERROR\]: attempt to write a readonly database/);
  });
});

test('--create refuses a database whose directory is missing (IO naming it, exit 3), --readonly a missing database; neither creates anything; a config\'s create_dirs = true makes the directory', async () => {
  await withTmp(async (dir) => {
    const nested = join(dir, 'no', 'such', 'new.db');
    const made = await shell([nested, '--no-encryption', '--create'], 'CREATE TABLE t (a);\n');
    assert.is(made.code, EXIT.NOT_OPENED);
    assert.match(made.err, new RegExp(`^Error \\[IO\\]: cannot create the database .*: its directory ${join(dir, 'no', 'such')} does not exist`));
    const ro = await shell([join(dir, 'missing.db'), '--no-encryption', '--readonly'], 'SELECT 1;\n');
    assert.is(ro.code, EXIT.NOT_OPENED);
    assert.match(ro.err, /^Error \[CONFIG\]: no database at /);
    const roCreate = await shell([join(dir, 'missing.db'), '--no-encryption', '--readonly', '--create'], 'SELECT 1;\n');
    assert.is(roCreate.code, EXIT.NOT_OPENED);
    assert.equal(readdirSync(dir), [], 'nothing was created');
    const toml = join(dir, 'h.toml');
    writeFileSync(toml, '[database]\npath = "data/ehr.db"\n[encryption]\nenabled = false\n');
    const refused = await shell(['--config', toml, '--create'], 'SELECT 1;\n');
    assert.is(refused.code, EXIT.NOT_OPENED);
    assert.match(refused.err, /^Error \[IO\]: .*create_dirs = true/);
    assert.not.ok(existsSync(join(dir, 'data')));
    writeFileSync(toml, '[database]\npath = "data/ehr.db"\ncreate_dirs = true\n[encryption]\nenabled = false\n');
    const viaConfig = await shell(['--config', toml, '--create'], 'CREATE TABLE t (a);\n');
    assert.is(viaConfig.code, 0, viaConfig.err);
    assert.ok(existsSync(join(dir, 'data', 'ehr.db', 'HELIOS')));
  });
});

test('--config opens the database the seed configuration describes (path and key overridden) and .info reports applied and ignored settings', async () => {
  await withTmp(async (dir) => {
    const key = join(dir, 'k.key');
    writeFileSync(key, KEY_HEX);
    // The seed file as written, its audit log moved into the test's directory.
    const config = join(dir, 'heliosdb.toml');
    writeFileSync(config, readFileSync(join(process.cwd(), 'sql', 'testdata', 'config', 'heliosdb.toml'), 'utf8').replace('/var/log/heliosdb/audit.log', join(dir, 'audit.log')));
    const r = await shell(['--config', config, join(dir, 'ehr.db'), '--key-file', key, '--create'], PATIENTS + '.info\n');
    assert.is(r.code, 0, r.err);
    assert.match(r.err, /^note: 1 setting\(s\) of .*heliosdb\.toml are accepted but not acted on \(see \.info\)\n$/);
    assert.match(r.out, /encryption: +AES-256-GCM\n/);
    assert.match(r.out, /config: +.*heliosdb\.toml\n/);
    assert.match(r.out, /  applied  logging\.audit_log_enabled \(line 16\): tamper-evident audit log/);
    assert.match(readFileSync(join(dir, 'audit.log'), 'latin1'), /\topen\tok\t/);
    assert.match(r.out, /  replaced encryption\.key_source \(line 11\): overridden by the command line\n/);
    assert.match(r.out, /  replaced database\.path \(line 3\): overridden by the command line\n/);
    assert.match(r.out, /  applied  database\.enable_wal \(line 5\): write-ahead log on/);
    assert.match(r.out, /  applied  encryption\.rotation_interval_days \(line 12\): a new data-key generation every 90 days/);
    const bad = await shell(['--config', join(dir, 'nope.toml')], 'SELECT 1;\n');
    assert.is(bad.code, 3, 'the database could not be opened');
    assert.match(bad.err, /^Error \[CONFIG\]: cannot read config file/);
    const contradiction = await shell(['--config', config, join(dir, 'ehr.db'), '--no-encryption'], '');
    assert.match(contradiction.err, /--no-encryption contradicts/);
  });
});

test('bad arguments print the usage and exit 2; --help exits 0', async () => {
  for (const args of [['--key-file'], ['--frob'], ['--key-env', 'A', '--key-file', 'b'], ['--no-encryption', '--key-env', 'A'], ['--mode', 'xml'], ['-cmd']]) {
    const r = await shell(args, '');
    assert.is(r.code, 2, args.join(' '));
    assert.match(r.err, /^heliosdb: .*\nusage: heliosdb/);
  }
  const h = await shell(['--help'], '');
  assert.is(h.code, 0);
  assert.match(h.out, /^usage: heliosdb/);
});

test('--version prints the package version and exits 0; the exit statuses are the documented ones', async () => {
  const pkg = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as { version: string };
  assert.is(VERSION, pkg.version, 'sql/shell/version.ts follows package.json');
  const r = await shell(['--version'], 'SELECT 1;\n');
  assert.equal(r, { code: 0, out: `heliosdb-lite ${pkg.version}\n`, err: '' });
  assert.equal(EXIT, { OK: 0, FAILED: 1, USAGE: 2, NOT_OPENED: 3, INTERNAL: 4 });
});

test('--create --passphrase in a missing directory fails before asking (IO, exit 3, nothing created)', async () => {
  await withTmp(async (dir) => {
    const db = join(dir, 'missing', 'p.db');
    const prompts: string[] = [];
    const r = await shell([db, '--passphrase', '--create'], 'SELECT 1;\n', { kdf: FAST_KDF, readSecret: async (p) => (prompts.push(p), 'never asked') });
    assert.is(r.code, 3);
    assert.match(r.err, /its directory .*missing does not exist/);
    assert.equal(prompts, [], 'no passphrase was asked for');
    assert.not.ok(existsSync(join(dir, 'missing')));
  });
});

test('a new database created with --passphrase asks twice; two different entries create nothing', async () => {
  await withTmp(async (dir) => {
    const db = join(dir, 'p.db');
    const prompts: string[] = [];
    const ask = (answers: (string | Uint8Array)[]) => async (p: string) => (prompts.push(p), answers.shift() ?? null);
    const differ = await shell([db, '--passphrase', '--create'], 'CREATE TABLE t (a);\n', { kdf: FAST_KDF, readSecret: ask(['first try', 'frist try']) });
    assert.equal(prompts, ['New passphrase: ', 'Repeat the new passphrase: ']);
    assert.is(differ.code, EXIT.NOT_OPENED);
    assert.is(differ.err, 'Error [CONFIG]: the passphrases differ; nothing created\n');
    assert.not.ok(existsSync(join(db, 'HELIOS')), 'nothing created');
    prompts.length = 0;
    const bytes = new TextEncoder().encode('caf\u00e9 ok');
    const made = await shell([db, '--passphrase', '--create'], 'CREATE TABLE t (a);\n', { kdf: FAST_KDF, readSecret: ask([bytes, 'cafe\u0301 ok']) });
    assert.is(made.code, 0, made.err);
    assert.equal(prompts, ['New passphrase: ', 'Repeat the new passphrase: '], 'NFC forms compare equal');
    assert.ok(bytes.every((b) => b === 0), 'the bytes read are zeroed');
    prompts.length = 0;
    const again = await shell([db, '--passphrase', '--create', ...CSV], 'SELECT count(*) AS n FROM t;\n', { readSecret: ask(['caf\u00e9 ok']) });
    assert.equal(prompts, ['Passphrase: '], 'an existing database asks once, even with --create');
    assert.is(again.out, 'n\n0\n');
    for (const r of [differ, made, again]) assert.not.ok(/try|caf/.test(r.out + r.err), 'no passphrase printed');
  });
});

test('a script arriving in chunks (a pipe) runs line by line, lines and UTF-8 split anywhere', async () => {
  const text = '\uFEFFCREATE TABLE t (a);\r\nINSERT INTO t VALUES (\'h\u00e9llo\'), (\'w\u00f6rld\');\nSELECT a FROM t ORDER BY a;\nSELECT 1 AS last';
  const bytes = new TextEncoder().encode(text);
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < bytes.length; i += 3) yield bytes.slice(i, i + 3);
  }
  const r = await shell([...CSV], chunks());
  assert.is(r.err, '');
  assert.is(r.out, 'a\n"h\u00e9llo"\n"w\u00f6rld"\nlast\n1\n', 'sqlite3 quotes non-ASCII CSV fields');
  assert.is(r.code, 0);
});

test('.bail on stops a script at the first error (exit 1); .print prints its arguments', async () => {
  const r = await shell([...CSV], ".print hello   world\nSELECT 1 AS a;\n.bail on\nSELECT * FROM nosuch;\nSELECT 'never' AS n;\n");
  assert.is(r.out, 'hello world\na\n1\n');
  assert.match(r.err, /^Error \[SQL_ERROR\]: no such table: nosuch\n$/);
  assert.is(r.code, 1);
  const off = await shell([...CSV], ".bail on\n.bail off\nSELECT * FROM nosuch;\nSELECT 'still' AS n;\n");
  assert.is(off.out, 'n\nstill\n');
});

test('SQL given as an argument runs instead of the input', async () => {
  const r = await shell([':memory:', "SELECT 'arg' AS a; SELECT 2 AS b", ...CSV], 'SELECT 1;\n');
  assert.is(r.out, 'a\narg\nb\n2\n');
});

test('findTerminator finds the first ";" outside strings, names and comments', () => {
  assert.is(findTerminator('SELECT 1;'), 8);
  assert.is(findTerminator("SELECT ';'"), -1);
  assert.is(findTerminator("SELECT 'it''s;' ;"), 16);
  assert.is(findTerminator('SELECT "a"";" ;'), 14);
  assert.is(findTerminator('SELECT [a;] ;'), 12);
  assert.is(findTerminator('SELECT `a;` ;'), 12);
  assert.is(findTerminator('SELECT 1 -- ;\n'), -1);
  assert.is(findTerminator('SELECT 1 -- ;'), -1);
  assert.is(findTerminator('SELECT /* ; */ 1 ;'), 17);
  assert.is(findTerminator('SELECT /* ; '), -1);
  assert.is(findTerminator("SELECT 'open"), -1);
});

test('sqlLiteral renders every result type as SQL that reads back as the same value', () => {
  assert.is(sqlLiteral(null), 'NULL');
  assert.is(sqlLiteral(-9223372036854775808n), '-9223372036854775808');
  assert.is(sqlLiteral(3), '3.0');
  assert.is(sqlLiteral(0.1), '0.1');
  assert.is(sqlLiteral(1e20), '1.0e+20');
  assert.is(sqlLiteral(-Infinity), '-1e999');
  assert.is(sqlLiteral("a'b"), "'a''b'");
  assert.is(sqlLiteral(new Uint8Array([0, 171])), "X'00ab'");
  assert.is(sqlLiteral('a\nb'), "replace('a\\nb','\\n',char(10))");
});

test('property: any mix of SQL fragments, quotes, comments and dot commands ends with exit 0 or 1 and only typed errors', async () => {
  const fragment = fc.constantFrom(
    'CREATE TABLE t (a, b);', "INSERT INTO t VALUES (1, 'x');", 'SELECT * FROM t;', 'SELECT', ' 1', ';', "'", '"', '[', '`', '--', '/*', '*/',
    'BEGIN;', 'COMMIT;', 'ROLLBACK;', '.tables', '.schema', '.dump', '.mode csv', '.mode json', '.mode table', '.indexes t', '.info', '.timer on',
    '.headers off', '.bogus', '.read', '.read /nonexistent/file.sql', '.quit', 'DROP TABLE t;', "SELECT x'ab', 1e999, -0.0, NULL;", '\uFEFF', '\t',
    'CREATE INDEX i ON t(b);', 'SELECT ?;', 'PRAGMA table_info(t);', 'VALUES (1),(2);', ')', '(',
  );
  const script = fc.array(fc.array(fragment, { maxLength: 4 }).map((parts) => parts.join(' ')), { maxLength: 12 }).map((lines) => lines.join('\n'));
  await fc.assert(
    fc.asyncProperty(script, async (text) => {
      const r = await shell(['--mode', 'table'], text);
      assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}`);
      assert.not.ok(r.err.includes('[INTERNAL]'), r.err);
      if (r.code === 1) assert.match(r.err, /Error \[[A-Z_]+\]: /);
    }),
    fuzzParams(150),
  );
});


test('a CREATE TRIGGER … BEGIN …; …; END; body spanning lines runs as one statement', async () => {
  const r = await shell([], "CREATE TABLE t (a);\nCREATE TABLE log (m);\nCREATE TRIGGER tr AFTER INSERT ON t\nBEGIN\n  INSERT INTO log VALUES ('one;');\n  INSERT INTO log VALUES (new.a);\nEND;\nINSERT INTO t VALUES (7);\nSELECT m FROM log ORDER BY rowid;\n");
  assert.is(r.err, '');
  assert.is(r.out, 'one;\n7\n');
});

test('-init FILE and -cmd run first; -bail stops at the first error; .exit N sets the exit status; -batch takes a terminal as a script', async () => {
  await withTmp(async (dir) => {
    const init = join(dir, 'init.sql');
    writeFileSync(init, '.mode csv\nCREATE TABLE t (a);\n');
    const r = await shell(['-init', init, '-cmd', "INSERT INTO t VALUES ('from -cmd')"], 'SELECT a FROM t;\n');
    assert.is(r.out, '"from -cmd"\r\n');
    const bail = await shell(['-bail'], "SELECT * FROM nosuch;\nSELECT 'never';\n");
    assert.is(bail.code, 1);
    assert.is(bail.out, '');
    const exit = await shell([], "SELECT 'x';\n.exit 7\nSELECT 'never';\n");
    assert.equal([exit.code, exit.out], [7, 'x\n']);
    const lines = ["SELECT 'batch';", 'SELECT * FROM nosuch;'];
    const batch = await shell(['-batch'], { readLine: async () => lines.shift() ?? null });
    assert.is(batch.out, 'batch\n', 'no banner, no prompts');
    assert.is(batch.code, 1, 'a failed statement counts as in a script');
    const cmds = await shell([':memory:', '.mode box', 'SELECT 1 AS a'], 'SELECT 2;\n');
    assert.is(cmds.out, '┌───┐\n│ a │\n├───┤\n│ 1 │\n└───┘\n', 'commands after DIR run and the input is not read');
  });
});

test('operator commands: verify, info, dump, rekey, addkey, removekey and rotate act on DIR with the exit statuses scripts rely on', async () => {
  await withTmp(async (dir) => {
    const keyA = join(dir, 'a.key');
    const keyB = join(dir, 'b.key');
    writeFileSync(keyA, KEY_HEX);
    writeFileSync(keyB, '5d'.repeat(32));
    const db = join(dir, 'ops.db');
    assert.is((await shell([db, '--key-file', keyA, '--create'], PATIENTS)).code, 0);
    const op = async (args: string[]) => {
      let out = '';
      let err = '';
      const code = await runOperator(args, { output: { write: (s: string) => (out += s) }, errors: { write: (s: string) => (err += s) }, env: {} });
      return { code, out, err };
    };
    assert.ok(isOperatorCommand(['verify', db]) && !isOperatorCommand(['verify']));
    assert.equal(await op(['verify', db, '--key-file', keyA]), { code: 0, out: 'ok\n', err: '' });
    const info = await op(['info', db, '--key-file', keyA]);
    assert.match(info.out, /encryption: +AES-256-GCM/);
    assert.not.match(info.out, new RegExp(KEY_HEX));
    const dump = await op(['dump', db, '--key-file', keyA, '--table', 'patients']);
    assert.match(dump.out, /INSERT INTO patients VALUES\(2,'MRN002','Bob',38.25\);/);
    assert.is((await op(['addkey', db, '--key-file', keyA, '--new-key-file', keyB])).code, 0);
    assert.is((await op(['removekey', db, '--key-file', keyB, '--remove-key-file', keyA])).code, 0);
    assert.is((await op(['verify', db, '--key-file', keyA])).code, EXIT.NOT_OPENED, 'the removed key no longer opens it');
    assert.is((await op(['rekey', db, '--key-file', keyB, '--new-key-file', keyA])).code, 0);
    const rot = await op(['rotate', db, '--key-file', keyA, '--rewrite']);
    assert.match(rot.out, /data key generation 2 started \(live: 2\)/);
    const usage = await op(['rekey', db, '--key-file', keyA]);
    assert.is(usage.code, EXIT.USAGE);
    assert.match(usage.err, /give exactly one of --new-key-file/);
    const help = await op(['verify', '--help']);
    assert.is(help.code, 0);
    assert.match(help.out, /^usage: heliosdb verify DIR/);
    assert.is((await op(['verify', join(dir, 'missing.db'), '--key-file', keyA])).code, EXIT.NOT_OPENED);
    // Damage inside a table file: verify reads it, names file and offset, and exits 1.
    const bad = join(dir, 'bad.db');
    const made = await shell([bad, '--key-file', keyA, '--create'], "CREATE TABLE big (i INTEGER PRIMARY KEY, s TEXT);\nWITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000) INSERT INTO big SELECT x, printf('row %d of the table', x) FROM c;\n.rotate --rewrite\n");
    assert.is(made.code, 0, made.err);
    const sst = readdirSync(bad).find((f) => f.endsWith('.sst'))!;
    const bytes = readFileSync(join(bad, sst));
    bytes[bytes.length >> 1]! ^= 0xff;
    writeFileSync(join(bad, sst), bytes);
    const v = await op(['verify', bad, '--key-file', keyA]);
    assert.is(v.code, EXIT.FAILED, v.err);
    assert.match(v.err, /Error \[CORRUPTION\]: verify found \d+ problem\(s\):\n\d+\.sst: [^\n]* at offset \d+/);
  });
});

test('--audit-log turns the audit log on for one run; heliosdb audit verify checks it, and names the first broken entry with exit 1', async () => {
  await withTmp(async (dir) => {
    const key = join(dir, 'k.key');
    const key2 = join(dir, 'k2.key');
    writeFileSync(key, KEY_HEX);
    writeFileSync(key2, '5d'.repeat(32));
    const db = join(dir, 'aud.db');
    const log = join(dir, 'audit.log');
    const op = async (args: string[]) => {
      let out = '';
      let err = '';
      const code = await runOperator(args, { output: { write: (s: string) => (out += s) }, errors: { write: (s: string) => (err += s) }, env: {} });
      return { code, out, err };
    };
    const made = await shell([db, '--key-file', key, '--create', '--audit-log', log], PATIENTS + '.audit verify\n');
    assert.is(made.code, 0, made.err);
    assert.match(made.out, /^ok: audit log .*audit\.log: 1 entries \(1 verified\)/m, 'the open is the first entry');
    assert.is((await shell([db, '--key-file', key], 'SELECT 1;\n')).code, 0, 'without --audit-log nothing is appended');
    assert.is((await op(['addkey', db, '--key-file', key, '--new-key-file', key2, '--audit-log', log])).code, 0);
    const lines = readFileSync(log, 'latin1').split('\n').filter((l) => l !== '');
    assert.equal(lines.map((l) => l.split('\t')[4]), ['open', 'close', 'open', 'add-key', 'close']);
    const ok = await op(['audit', 'verify', db, '--key-file', key2, '--audit-log', log]);
    assert.is(ok.code, 0, ok.err);
    assert.match(ok.out, new RegExp(`^ok: audit log [^\\n]*: ${lines.length} entries \\(${lines.length} verified\\)`));
    assert.is(readFileSync(log, 'latin1').split('\n').filter((l) => l !== '').length, lines.length, 'audit verify appends nothing');
    const help = await op(['audit', 'verify', '--help']);
    assert.is(help.code, 0);
    assert.match(help.out, /^usage: heliosdb audit verify DIR \[KEY\] \[--audit-log VALUE\]/);
    assert.match(help.out, /first broken entry/);
    assert.is((await op(['audit', 'check', db])).code, EXIT.USAGE);
    assert.is((await op(['audit', 'verify', db, '--key-file', key])).code, EXIT.FAILED, 'no path: the log is off for this run and none is given');
    assert.is((await op(['audit', 'verify', join(dir, 'none.db'), '--key-file', key, '--audit-log', log])).code, EXIT.NOT_OPENED);
    // Change the operation of the third entry: its MAC no longer matches.
    const tampered = lines.map((l, i) => (i === 2 ? l.replace('\topen\t', '\tclose\t') : l));
    writeFileSync(log, tampered.join('\n') + '\n');
    const bad = await op(['audit', 'verify', db, '--key-file', key, '--audit-log', log]);
    assert.is(bad.code, EXIT.FAILED);
    assert.match(bad.err, /^Error \[CORRUPTION\]: audit log [^\n]*audit\.log: entry broken at line 3 \(seq 3\): /);
  });
});

test('VACUUM draws a progress bar of the bytes merged when progress is on (a terminal), and nothing otherwise', async () => {
  await withTmp(async (dir) => {
    const db = join(dir, 'vac.db');
    const fillSql = "CREATE TABLE big (i INTEGER PRIMARY KEY, s TEXT);\nWITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5000) INSERT INTO big SELECT x, printf('row %d of a table that VACUUM compacts', x) FROM c;\nDELETE FROM big WHERE i % 2 = 0;\n";
    assert.is((await shell([db, '--no-encryption', '--create'], fillSql)).code, 0);
    let now = 0;
    const r = await shell([db, '--no-encryption'], 'VACUUM;\nSELECT count(*) FROM big;\n', { progress: true, clock: () => (now += 200) });
    assert.is(r.code, 0, r.err);
    assert.is(r.out, '2500\n');
    assert.match(r.err, /\r\x1b\[2Kvacuum \[[#.]{20}\] +\d+%  [\d.]+ [KM]?B\/[\d.]+ [KM]?B/);
    assert.match(r.err, /100%/);
    const quiet = await shell([db, '--no-encryption'], 'VACUUM;\n', { clock: () => (now += 200) });
    assert.equal(quiet, { code: 0, out: '', err: '' });
    const inTxn = await shell([db, '--no-encryption'], 'BEGIN;\nVACUUM;\nROLLBACK;\n', { progress: true });
    assert.match(inTxn.err, /cannot VACUUM from within a transaction/);
  });
});

/** A Ctrl-C as main.ts stores it (the database's flag and the shell's sticky copy), landing when `trigger` is first written. */
function ctrlCOnOutput(trigger: string): { flag: Int32Array; extra: Partial<ShellOptions>; out: () => string } {
  const flag = new Int32Array(new SharedArrayBuffer(8));
  let out = '';
  let fired = false;
  const extra: Partial<ShellOptions> = {
    interruptFlag: flag,
    output: {
      write: (s: string) => {
        out += s;
        if (!fired && out.includes(trigger)) {
          fired = true;
          Atomics.store(flag, 1, 1);
          Atomics.store(flag, 0, 1);
        }
      },
    },
  };
  return { flag, extra, out: () => out };
}

test('a Ctrl-C between two statements of one line is not lost: a script stops there (exit 1)', async () => {
  const c = ctrlCOnOutput('first\n');
  const r = await shell([], "SELECT 'first'; SELECT 'second';\nSELECT 'third';\n", c.extra);
  assert.is(c.out(), 'first\n');
  assert.is(r.err, 'Error [INTERRUPTED]: interrupted\n');
  assert.is(r.code, EXIT.FAILED);
  assert.equal([...c.flag], [0, 0], 'the Ctrl-C is spent');
});

test('at a terminal a Ctrl-C between two statements drops the rest of that line (and of a .read file); the next line runs', async () => {
  await withTmp(async (dir) => {
    const c = ctrlCOnOutput('first\n');
    const lines = ["SELECT 'first'; SELECT 'second'; SELECT 'also dropped';", "SELECT 'next line';"];
    const r = await shell(['-noheader'], { readLine: async () => lines.shift() ?? null }, c.extra);
    assert.is(c.out().replace(/^HeliosDB-Lite shell[^\n]*\n/, ''), "first\nnext line\n\n");
    assert.is(r.err, 'Error [INTERRUPTED]: interrupted\n');
    assert.is(r.code, 0, 'an interactive session goes on');
    const script = join(dir, 'script.sql');
    writeFileSync(script, "SELECT 'read one';\nSELECT 'read two';\n");
    const d = ctrlCOnOutput('read one\n');
    const more = [`.read ${script}`, "SELECT 'after';"];
    const r2 = await shell(['-noheader'], { readLine: async () => more.shift() ?? null }, d.extra);
    assert.is(d.out().replace(/^HeliosDB-Lite shell[^\n]*\n/, ''), 'read one\nafter\n\n');
    assert.is(r2.err, 'Error [INTERRUPTED]: interrupted\n');
  });
});

test('a Ctrl-C during a long .import that lands between its statements stops it: nothing of the file is kept', async () => {
  await withTmp(async (dir) => {
    const csv = join(dir, 'rows.csv');
    writeFileSync(csv, Array.from({ length: 20_000 }, (_, i) => `${i},name ${i}`).join('\n') + '\n');
    const flag = new Int32Array(new SharedArrayBuffer(8));
    let writes = 0;
    // The sticky copy alone, as when the database cleared its flag at the start of a statement.
    const r = await shell(['--mode', 'csv', '-noheader'], `CREATE TABLE t (id INTEGER, name TEXT);\n.import ${csv} t\nSELECT count(*) FROM t;\n`, {
      interruptFlag: flag,
      progress: true,
      clock: () => {
        if (++writes === 3) Atomics.store(flag, 1, 1);
        return writes * 1000;
      },
    });
    assert.match(r.err, /Error \[INTERRUPTED\]/);
    assert.is(r.out, '', 'the script stopped at the interrupted .import');
    assert.is(r.code, EXIT.FAILED);
  });
});

test('dot commands abbreviate as in sqlite3 (.he on, .mo csv); key commands only in full', async () => {
  const r = await shell([], '.he on\n.mo list\nSELECT 1 AS a;\n.rek --key-file nowhere\n');
  assert.is(r.out, 'a\n1\n');
  assert.match(r.err, /unknown command "\.rek"/);
});

test('operator commands backup, restore and import-sqlite: a sealed backup restores to a database that opens with the same key; a SQLite file imports sealed', async () => {
  await withTmp(async (dir) => {
    const key = join(dir, 'k.key');
    writeFileSync(key, KEY_HEX);
    const db = join(dir, 'src.db');
    assert.is((await shell([db, '--key-file', key, '--create'], PATIENTS)).code, 0);
    const op = async (args: string[]) => {
      let out = '';
      let err = '';
      const code = await runOperator(args, { output: { write: (s: string) => (out += s) }, errors: { write: (s: string) => (err += s) }, env: {} });
      return { code, out, err };
    };
    const b = await op(['backup', db, '--key-file', key, '--to', join(dir, 'bk')]);
    assert.is(b.code, 0, b.err);
    assert.is((await op(['backup', db, '--key-file', key])).code, EXIT.USAGE, 'no --to');
    const r = await op(['restore', join(dir, 'bk'), join(dir, 'restored.db'), '--key-file', key]);
    assert.is(r.code, 0, r.err);
    assert.match(r.out, /verified/);
    const q = await shell([join(dir, 'restored.db'), '--key-file', key], 'SELECT name FROM patients ORDER BY id;\n');
    assert.is(q.out, 'Alice\nBob\n');
    assert.is((await op(['restore', join(dir, 'bk'), join(dir, 'restored.db'), '--key-file', key])).code, EXIT.FAILED, 'DEST exists: nothing written');
    assert.is((await op(['restore', join(dir, 'bk')])).code, EXIT.USAGE);
    const sqlite = join(dir, 'legacy.sqlite');
    if (spawnSync('sqlite3', [sqlite, "CREATE TABLE q (x INTEGER PRIMARY KEY, y TEXT); INSERT INTO q VALUES (1, 'one'), (2, 'two');"]).status === 0) {
      const imp = await op(['import-sqlite', sqlite, join(dir, 'imported.db'), '--key-file', key]);
      assert.is(imp.code, 0, imp.err);
      assert.match(imp.out, /1 tables, 2 rows/);
      assert.is((await shell([join(dir, 'imported.db'), '--key-file', key], 'SELECT y FROM q ORDER BY x;\n')).out, 'one\ntwo\n');
      assert.is((await op(['import-sqlite', sqlite, join(dir, 'nokey.db')])).code, EXIT.USAGE, 'the new database needs a key');
    } else {
      console.log('notice: sqlite3 is not installed: the import-sqlite operator test is skipped');
    }
  });
});

test('.open switches to another database; .databases and .show report the current one', async () => {
  await withTmp(async (dir) => {
    const other = join(dir, 'other.db');
    const r = await shell([], `.open --new --no-encryption ${other}\nCREATE TABLE x (a);\n.databases\n.mode csv\n.show\n.open :memory:\n.tables\n`);
    assert.is(r.err, '');
    assert.match(r.out, new RegExp(`main: ${other.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} r/w\n`));
    assert.match(r.out, /        mode: csv\n/);
    assert.match(r.out, /colseparator: ","\nrowseparator: "\\r\\n"/);
    assert.ok(existsSync(join(other, 'HELIOS')));
  });
});
test.run();
