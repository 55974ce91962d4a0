/**
 * Automatic indexes of UNIQUE and PRIMARY KEY constraints, against SQLite:
 * which constraints share an index, how the indexes are named and numbered
 * ([SQL-CAT-4]), and what they refuse. Differential with better-sqlite3
 * where the runtime loads it, recorded results everywhere.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Database } from './database.ts';
import { isHeliosError } from '../format/errors.ts';
import { sqliteOracleOrNull } from '../scripts/slt-backend.ts';
import { buildTable, Catalog } from './catalog.ts';
import { parse } from './parser.ts';
import type { CreateTableStmt } from './ast.ts';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

type Oracle = { exec(sql: string): void; prepare(sql: string): { raw(): { all(): unknown[][] } }; close(): void };
const openOracle = sqliteOracleOrNull<Oracle>('catalog.test', 'checking the recorded SQLite results only');

/** Index names and origins (PRAGMA index_list, oldest first), then which of the inserts went in. */
function describe(exec: (sql: string) => void, all: (sql: string) => unknown[][], ddl: string, inserts: readonly string[]): string {
  try {
    exec(ddl);
  } catch (e) {
    return `error: ${(e as Error).message.replace(/ at line \d+, column \d+$/, '')}`;
  }
  const indexes = all("SELECT name, origin FROM pragma_index_list('t') ORDER BY seq DESC").map((r) => `${String(r[0])}:${String(r[1])}`);
  const outcomes = inserts.map((sql) => {
    try {
      exec(sql);
      return 'ok';
    } catch {
      return 'refused';
    }
  });
  return `${indexes.join(' ')} | ${outcomes.join(' ')}`;
}

function ours(ddl: string, inserts: readonly string[]): string {
  const db = new Database(':memory:', { encryption: false });
  try {
    return describe(
      (s) => db.exec(s),
      (s) => {
        // Our PRAGMA index_list is not a table-valued function: read it as a pragma.
        const m = /pragma_index_list\('(\w+)'\)/.exec(s);
        if (m) return (db.prepare(`PRAGMA index_list(${m[1]})`).raw().all() as unknown[][]).reverse().map((r) => [r[1], r[3]]);
        return db.prepare(s).raw().all() as unknown[][];
      },
      ddl,
      inserts,
    );
  } finally {
    db.close();
  }
}

const CASES: [string, string[], string][] = [
  ["CREATE TABLE t(a, UNIQUE(a), UNIQUE(a COLLATE NOCASE))", ["INSERT INTO t VALUES ('A')", "INSERT INTO t VALUES ('a')"], 'sqlite_autoindex_t_1:u sqlite_autoindex_t_2:u | ok refused'],
  ["CREATE TABLE t(a COLLATE NOCASE UNIQUE, UNIQUE(a), UNIQUE(a COLLATE BINARY))", ["INSERT INTO t VALUES ('A')", "INSERT INTO t VALUES ('a')"], 'sqlite_autoindex_t_1:u sqlite_autoindex_t_2:u | ok refused'],
  ["CREATE TABLE t(a TEXT COLLATE NOCASE, UNIQUE(a), UNIQUE(a COLLATE nocase))", ["INSERT INTO t VALUES ('A')", "INSERT INTO t VALUES ('a')"], 'sqlite_autoindex_t_1:u | ok refused'],
  ["CREATE TABLE t(a, UNIQUE(a), UNIQUE(a DESC))", ["INSERT INTO t VALUES ('A')", "INSERT INTO t VALUES ('a')"], 'sqlite_autoindex_t_1:u | ok ok'],
  ["CREATE TABLE t(a UNIQUE, b, UNIQUE(a), UNIQUE(a, b), UNIQUE(b, a), UNIQUE(a COLLATE NOCASE, b))", ["INSERT INTO t VALUES ('A', 1)", "INSERT INTO t VALUES ('a', 1)"],
    'sqlite_autoindex_t_1:u sqlite_autoindex_t_2:u sqlite_autoindex_t_3:u sqlite_autoindex_t_4:u | ok refused'],
  ["CREATE TABLE t(a PRIMARY KEY, UNIQUE(a))", ["INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (1)"], 'sqlite_autoindex_t_1:pk | ok refused'],
  ["CREATE TABLE t(a UNIQUE, PRIMARY KEY(a))", ["INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (1)"], 'sqlite_autoindex_t_1:pk | ok refused'],
  ["CREATE TABLE t(a UNIQUE ON CONFLICT IGNORE, UNIQUE(a))", ["INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (1)"], 'sqlite_autoindex_t_1:u | ok ok'],
  ["CREATE TABLE t(a UNIQUE, UNIQUE(a) ON CONFLICT IGNORE)", ["INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (1)"], 'sqlite_autoindex_t_1:u | ok ok'],
  ["CREATE TABLE t(a UNIQUE ON CONFLICT IGNORE, UNIQUE(a) ON CONFLICT REPLACE)", [], 'error: conflicting ON CONFLICT clauses specified'],
  ["CREATE TABLE t(a, b UNIQUE, UNIQUE(a COLLATE RTRIM), UNIQUE(a COLLATE rtrim))", ["INSERT INTO t VALUES ('x', 1)", "INSERT INTO t VALUES ('x ', 2)"], 'sqlite_autoindex_t_1:u sqlite_autoindex_t_2:u | ok refused'],
  ["CREATE TABLE t(id INTEGER PRIMARY KEY, a UNIQUE, b TEXT PRIMARY KEY)", [], 'error: table "t" has more than one primary key'],
  ["CREATE TABLE t(a, b TEXT PRIMARY KEY, UNIQUE(b COLLATE NOCASE), UNIQUE(a))", ["INSERT INTO t VALUES (1, 'X')", "INSERT INTO t VALUES (2, 'x')"],
    'sqlite_autoindex_t_1:pk sqlite_autoindex_t_2:u sqlite_autoindex_t_3:u | ok refused'],
];

test('[SQL-CAT-4] UNIQUE(a) and UNIQUE(a COLLATE NOCASE) are two indexes; identical column lists and collations share one, numbered as SQLite numbers them', () => {
  for (const [ddl, inserts, recorded] of CASES) {
    if (openOracle !== null) {
      const sqlite = openOracle();
      assert.is(describe((s) => sqlite.exec(s), (s) => sqlite.prepare(s).raw().all(), ddl, inserts), recorded, `SQLite on ${ddl}`);
      sqlite.close();
    }
    assert.is(ours(ddl, inserts), recorded, ddl);
  }
});

test("with UNIQUE(a) and UNIQUE(a COLLATE NOCASE), 'a' after 'A' is CONSTRAINT_UNIQUE and the table keeps one row", () => {
  const db = new Database(':memory:', { encryption: false });
  db.exec("CREATE TABLE t(a, UNIQUE(a), UNIQUE(a COLLATE NOCASE)); INSERT INTO t VALUES ('A')");
  assert.throws(() => db.exec("INSERT INTO t VALUES ('a')"), (e: unknown) => isHeliosError(e, 'CONSTRAINT_UNIQUE'));
  assert.is(db.prepare('SELECT count(*) FROM t').pluck().get(), 1);
  assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  db.close();
});

/** sqlite_schema (type, name, tbl_name, sql) after each step of `steps`. */
function schemaAfterEach(exec: (sql: string) => void, all: (sql: string) => unknown[][], steps: readonly string[]): string[] {
  return steps.map((step) => {
    try {
      exec(step);
    } catch (e) {
      return `${step} → error: ${(e as Error).message.replace(/ at line \d+, column \d+$/, '')}`;
    }
    return `${step} → ${JSON.stringify(all('SELECT type, name, tbl_name, sql FROM sqlite_schema'))}`;
  });
}

function compareSchemaWithSqlite(steps: readonly string[], recordedLast: string): void {
  const db = new Database(':memory:', { encryption: false });
  const actual = schemaAfterEach((s) => db.exec(s), (s) => db.prepare(s).raw().all() as unknown[][], steps);
  db.close();
  if (openOracle !== null) {
    const sqlite = openOracle();
    const expected = schemaAfterEach((s) => sqlite.exec(s), (s) => sqlite.prepare(s).raw().all(), steps);
    sqlite.close();
    assert.equal(actual, expected);
  }
  assert.is(actual[actual.length - 1], recordedLast);
}

test('[SQL-CAT-2] ALTER TABLE RENAME TO / RENAME COLUMN / ADD COLUMN rewrite the stored CREATE text exactly as SQLite does', () => {
  compareSchemaWithSqlite(
    [
      'CREATE TABLE a(x, y, CHECK (x > 0))',
      'CREATE INDEX ai ON a(x)',
      'CREATE INDEX aj ON a (y) WHERE y > 0',
      'CREATE TABLE k(v UNIQUE)',
      'ALTER TABLE a RENAME TO b',
      'ALTER TABLE b RENAME COLUMN x TO "X2"',
      'ALTER TABLE b RENAME COLUMN y TO [y 3]',
      'ALTER TABLE b RENAME COLUMN "y 3" TO y4',
      'ALTER TABLE b ADD COLUMN z INT DEFAULT 3',
      'ALTER TABLE b RENAME TO [c d]',
      'ALTER TABLE k RENAME TO k2',
    ],
    'ALTER TABLE k RENAME TO k2 → [["table","c d","c d","CREATE TABLE \\"c d\\"(\\"X2\\", \\"y4\\", z INT DEFAULT 3, CHECK (\\"X2\\" > 0))"],["index","ai","c d","CREATE INDEX ai ON \\"c d\\"(\\"X2\\")"],["index","aj","c d","CREATE INDEX aj ON \\"c d\\" (\\"y4\\") WHERE \\"y4\\" > 0"],["table","k2","k2","CREATE TABLE \\"k2\\"(v UNIQUE)"],["index","sqlite_autoindex_k2_1","k2",null]]',
  );
});

test('[SQL-CAT-3] sqlite_sequence appears in sqlite_schema as SQLite shows it: after the first AUTOINCREMENT table and its indexes, kept when that table is dropped, absent after a rollback', () => {
  compareSchemaWithSqlite(
    [
      'CREATE TABLE a(x)',
      'BEGIN',
      'CREATE TABLE r(id INTEGER PRIMARY KEY AUTOINCREMENT)',
      'ROLLBACK',
      'CREATE TABLE t(id INTEGER PRIMARY KEY AUTOINCREMENT, v UNIQUE)',
      'CREATE TABLE u(id INTEGER PRIMARY KEY AUTOINCREMENT)',
      'INSERT INTO t(v) VALUES (1)',
      'DROP TABLE t',
      'DROP TABLE u',
      'DROP TABLE sqlite_sequence',
      'CREATE TABLE w(id INTEGER PRIMARY KEY AUTOINCREMENT)',
    ],
    'CREATE TABLE w(id INTEGER PRIMARY KEY AUTOINCREMENT) → [["table","a","a","CREATE TABLE a(x)"],["table","sqlite_sequence","sqlite_sequence","CREATE TABLE sqlite_sequence(name,seq)"],["table","w","w","CREATE TABLE w(id INTEGER PRIMARY KEY AUTOINCREMENT)"]]',
  );
});

test('[SQL-CAT-3] the sqlite_sequence entry survives reopening and its rows are the AUTOINCREMENT marks', () => {
  const db = new Database(':memory:', { encryption: false });
  db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY AUTOINCREMENT, v); INSERT INTO t(v) VALUES (1), (2); DELETE FROM t');
  assert.equal(db.prepare('SELECT name, seq FROM sqlite_sequence').raw().all(), [['t', 2]]);
  db.exec('DROP TABLE t');
  assert.equal(db.prepare('SELECT name, seq FROM sqlite_sequence').raw().all(), []);
  assert.equal(db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all(), ['sqlite_sequence']);
  db.close();
});

test('a database written when UNIQUE(a) and UNIQUE(a COLLATE NOCASE) shared one index still opens, with that one index', () => {
  const t = buildTable(parse('CREATE TABLE t(a, UNIQUE(a), UNIQUE(a COLLATE NOCASE))')[0] as CreateTableStmt, 1, [2]);
  assert.equal(t.indexes.map((ix) => [ix.id, ix.name]), [[2, 'sqlite_autoindex_t_1']]);
  assert.equal(buildTable(parse('CREATE TABLE t(a, UNIQUE(a), UNIQUE(a COLLATE NOCASE))')[0] as CreateTableStmt, 1, [2, 3]).indexes.length, 2);
  assert.throws(() => buildTable(parse('CREATE TABLE t(a UNIQUE, b UNIQUE)')[0] as CreateTableStmt, 1, [2]), (e: unknown) => isHeliosError(e, 'CORRUPTION'));
});

test('identifiers fold by ASCII case only, as in SQLite: "Ä"/"ä" and the Kelvin sign/k are different names', () => {
  for (const encrypted of [false, true]) {
    const db = new Database(':memory:', encrypted ? { key: { raw: new Uint8Array(32).fill(7) } } : {});
    db.exec('CREATE TABLE "Ä"(x); CREATE TABLE "ä"(y); CREATE TABLE "\u212A"(z); CREATE TABLE k(w); CREATE TABLE t("É" INT, "é" INT)');
    assert.throws(() => db.exec('CREATE TABLE K(v)'), (e: unknown) => isHeliosError(e, 'SQL_ERROR'));
    assert.equal(db.prepare('SELECT name FROM sqlite_schema ORDER BY name').pluck().all(), ['k', 't', 'Ä', 'ä', '\u212A']);
    db.exec('INSERT INTO t VALUES (1, 2)');
    assert.equal(db.prepare('SELECT "É", "é" FROM t').raw().get(), [1, 2]);
    assert.throws(() => db.prepare('SELECT x FROM "ä"'), (e: unknown) => isHeliosError(e, 'SQL_ERROR'));
    db.close();
  }
});

test('a schema written when names folded by Unicode case still loads: an index spelling its table and column in another case', () => {
  const c = new Catalog();
  c.rows = [
    { id: 1, type: 'table', name: 'Ä', tblName: 'Ä', sql: 'CREATE TABLE "Ä"("é" INT)' },
    { id: 2, type: 'index', name: 'i', tblName: 'Ä', sql: 'CREATE INDEX i ON "ä"("É")' },
  ];
  c.rebuild();
  const ix = c.indexes.get('i');
  assert.ok(ix !== undefined);
  assert.is(ix.columns[0]!.column, 0);
  assert.is(c.table('Ä')!.indexes.length, 1);
});

test('PRIMARY KEY(x DESC) on an INTEGER column is a rowid alias as in SQLite; a database written when it was not still reads as written', () => {
  const db = new Database(':memory:', { encryption: false });
  db.exec("CREATE TABLE t (x INTEGER, y TEXT, PRIMARY KEY (x DESC)); INSERT INTO t VALUES (10, 'ten')");
  assert.equal(db.prepare('SELECT rowid, x FROM t').raw().all(), [[10, 10]]);
  db.close();
  // sql/testdata/legacy-desc-pk was written by the code before the change (key: 32 bytes of 0x42):
  // x is an ordinary column there, with its own PRIMARY KEY index and rowids 1, 2, 3.
  const dir = mkdtempSync(join(tmpdir(), 'helios-legacy-'));
  try {
    cpSync(join(process.cwd(), 'sql', 'testdata', 'legacy-desc-pk'), dir, { recursive: true });
    const old = new Database(dir, { key: { raw: new Uint8Array(32).fill(0x42) } });
    try {
      assert.equal(old.prepare('SELECT rowid, x, y FROM t ORDER BY x').raw().all(), [[1, 10, 'ten'], [2, 20, 'twenty'], [3, 30, 'thirty']]);
      old.exec("INSERT INTO t VALUES (40, 'forty')");
      assert.equal(old.prepare('SELECT rowid, x FROM t WHERE x = 40').raw().all(), [[4, 40]]);
      assert.ok(throwsCode(() => old.exec("INSERT INTO t VALUES (10, 'again')"), 'CONSTRAINT_PRIMARYKEY'));
      assert.equal(old.prepare("PRAGMA integrity_check").raw().all(), [['ok']]);
    } finally {
      old.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function throwsCode(f: () => void, code: string): boolean {
  try {
    f();
  } catch (e) {
    return isHeliosError(e, code as never);
  }
  return false;
}

test.run();
