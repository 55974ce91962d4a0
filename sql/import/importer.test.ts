/**
 * importSqlite against databases written by SQLite itself: better-sqlite3,
 * better-sqlite3-multiple-ciphers (SQLCipher 4 and 3) and Debian's sqlite3
 * and sqlcipher command-line tools. After each import every table (rowids
 * and storage classes included), view, sqlite_sequence row and the schema
 * listing must read exactly as the source does in SQLite.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../database.ts';
import { HeliosError } from '../../format/errors.ts';
import { importSqlite, type ImportProgress } from './importer.ts';
import { compareWithSource, fillRich, loadSqlite, type SqliteHandle } from '../../fuzz/import-fixtures.ts';

const Sqlite = loadSqlite('better-sqlite3', 'importer.test');
const Cipher = loadSqlite('better-sqlite3-multiple-ciphers', 'importer.test');
const dir = mkdtempSync(join(tmpdir(), 'helios-import-'));
let n = 0;
const fresh = (ext: string): string => join(dir, `f${n++}${ext}`);
const KEY = { raw: new Uint8Array(32).fill(9) };

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof HeliosError) return e.code;
    return `not a HeliosError: ${String(e)}`;
  }
  return 'no error';
}

function assertSame(src: SqliteHandle, dest: string, key: object = KEY): void {
  const db = new Database(dest, key === null ? { encryption: false } : { key: KEY });
  try {
    for (const c of compareWithSource(src, db)) assert.equal(c.actual, c.expected, c.query);
  } finally {
    db.close();
  }
}

function cipherOpen(path: string, legacy: 3 | 4, key: string, kdfIter?: number): SqliteHandle {
  const db = new Cipher!(path);
  db.pragma("cipher='sqlcipher'");
  db.pragma(`legacy=${legacy}`);
  if (kdfIter !== undefined) db.pragma(`kdf_iter=${kdfIter}`);
  db.pragma(`key="${key}"`);
  return db;
}

if (Sqlite) {
  test('a SQLite database with every storage class, overflow pages, WITHOUT ROWID, ADD COLUMN, indexes, views, triggers and AUTOINCREMENT imports row for row', () => {
    const src = fresh('.sqlite');
    const s = new Sqlite(src);
    fillRich(s);
    s.pragma('user_version = 7');
    s.close();
    const dest = fresh('.db');
    const seen: ImportProgress[] = [];
    const r = importSqlite(src, dest, { key: KEY, onProgress: (p) => seen.push(p), batchRows: 700 });
    assert.is(r.tables, 9);
    assert.is(r.indexes, 3);
    assert.is(r.views, 2);
    assert.is(r.triggers, 2);
    assert.is(r.sequences, 2);
    assert.is(r.encrypted, false);
    assert.ok(seen.length > 5 && seen[0]!.phase === 'schema' && seen.at(-1)!.phase === 'done');
    assert.ok(seen.some((p) => p.phase === 'rows' && p.table === 'parent' && p.rows > 0));
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.pagesRead >= seen[i - 1]!.pagesRead, 'progress only grows');
    const o = new Sqlite(src, { readonly: true });
    try {
      assertSame(o, dest);
    } finally {
      o.close();
    }
    // Sealed: no file of the new database holds a table name or a value of the source in plaintext.
    for (const f of readdirSync(dest)) {
      const bytes = readFileSync(join(dest, f)).toString('latin1');
      for (const needle of ['name-1234', 'parent_score', 'CREATE TABLE', 'Note 33']) assert.not.ok(bytes.includes(needle), `${f} holds "${needle}"`);
    }
    // The imported database works as a database: constraints, triggers and AUTOINCREMENT carry on.
    const db = new Database(dest, { key: KEY });
    db.prepare("INSERT INTO parent(name) VALUES ('new one')").run();
    assert.equal(db.prepare("SELECT id FROM parent WHERE name = 'new one'").pluck().get(), 3001);
    assert.equal(db.prepare("SELECT what FROM audit ORDER BY at DESC LIMIT 1").pluck().get(), 'ins new one');
    assert.is(codeOf(() => db.prepare("INSERT INTO parent(name) VALUES ('name-1')").run()), 'CONSTRAINT_UNIQUE');
    assert.is(db.prepare('PRAGMA integrity_check').pluck().get(), 'ok');
    db.close();
  });

  for (const [enc, pageSize] of [['UTF-16le', 512], ['UTF-16be', 65536], ['UTF-8', 1024]] as const) {
    test(`a ${enc} database with ${pageSize}-byte pages imports its text exactly`, () => {
      const src = fresh('.sqlite');
      const s = new Sqlite(src);
      s.pragma(`page_size = ${pageSize}`);
      s.pragma(`encoding = '${enc}'`);
      fillRich(s, 400);
      s.close();
      const dest = fresh('.db');
      importSqlite(src, dest, { key: KEY });
      const o = new Sqlite(src, { readonly: true });
      assertSame(o, dest);
      o.close();
    });
  }

  for (const mode of ['FULL', 'INCREMENTAL'] as const) {
    test(`an auto_vacuum = ${mode} database (pointer-map pages, freed pages) imports row for row`, () => {
      const src = fresh('.sqlite');
      const s = new Sqlite(src);
      s.pragma(`auto_vacuum = ${mode}`);
      s.pragma('page_size = 1024');
      fillRich(s, 500);
      s.exec('DELETE FROM child WHERE cid % 7 = 0; DROP TABLE odd;');
      s.close();
      const dest = fresh('.db');
      importSqlite(src, dest, { key: KEY });
      const o = new Sqlite(src, { readonly: true });
      assertSame(o, dest);
      o.close();
    });
  }

  test('a database in WAL mode imports once checkpointed, and is refused with the checkpoint advice while its WAL holds changes', () => {
    const src = fresh('.sqlite');
    const s = new Sqlite(src);
    s.pragma('journal_mode = WAL');
    s.pragma('wal_autocheckpoint = 0');
    s.exec('CREATE TABLE t(a); INSERT INTO t VALUES (1), (2)');
    let err: unknown;
    try {
      importSqlite(src, fresh('.db'), { key: KEY });
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof HeliosError && err.code === 'IMPORT_FORMAT' && /wal_checkpoint/.test(err.message), String(err));
    s.close(); // the last connection checkpoints and removes the WAL
    const dest = fresh('.db');
    assert.is(importSqlite(src, dest, { key: KEY }).rows, 2);
  });

  test('generated columns import: VIRTUAL ones are not in the record, STORED ones are recomputed, STRICT ANY keeps its type', () => {
    const src = fresh('.sqlite');
    const s = new Sqlite(src);
    s.exec("CREATE TABLE g (a, b AS (a * 2), c AS (a + 1) STORED, d, e INTEGER PRIMARY KEY); INSERT INTO g(a, d) VALUES (1, 'x'), (5, NULL)");
    s.exec("CREATE TABLE w (k TEXT PRIMARY KEY, v, s AS (v || k) STORED) WITHOUT ROWID; INSERT INTO w(k, v) VALUES ('a', 1), ('b', 2)");
    s.exec("CREATE TABLE st (x INTEGER, y ANY) STRICT; INSERT INTO st VALUES (1, '1'), (2, 2.5)");
    const want = (q: string): unknown => s.prepare(q).raw().all();
    const queries = ['SELECT *, typeof(b), typeof(c) FROM g ORDER BY e', 'SELECT * FROM w ORDER BY k', 'SELECT y, typeof(y) FROM st ORDER BY x'];
    const expected = queries.map(want);
    s.close();
    const dest = fresh('.db');
    importSqlite(src, dest, { key: KEY });
    const db = new Database(dest, { key: KEY });
    try {
      queries.forEach((q, i) => assert.equal(db.prepare(q).raw().all(), expected[i], q));
    } finally {
      db.close();
    }
  });

  test('a hot rollback journal is refused; a finished one (zeroed header, journal_mode=PERSIST) is not', () => {
    const src = fresh('.sqlite');
    const s = new Sqlite(src);
    s.pragma('journal_mode = PERSIST');
    s.exec('CREATE TABLE t(a); INSERT INTO t VALUES (1)');
    s.close();
    assert.ok(existsSync(src + '-journal'), 'PERSIST leaves its journal');
    assert.is(importSqlite(src, fresh('.db'), { key: KEY }).rows, 1);
    const j = readFileSync(src + '-journal');
    j.set([0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7], 0);
    writeFileSync(src + '-journal', j);
    assert.is(codeOf(() => importSqlite(src, fresh('.db'), { key: KEY })), 'IMPORT_FORMAT');
  });

  test('an existing destination is refused, and a failed import leaves no destination behind', () => {
    const src = fresh('.sqlite');
    const s = new Sqlite(src);
    // A row SQLite kept under ignore_check_constraints fails our CHECK after other rows were copied.
    s.exec('CREATE TABLE t(a); INSERT INTO t VALUES (1); CREATE TABLE g(a CHECK (a > 0)); PRAGMA ignore_check_constraints = ON; INSERT INTO g VALUES (1), (-1)');
    s.close();
    const existing = fresh('.db');
    new Database(existing, { key: KEY }).close();
    assert.is(codeOf(() => importSqlite(src, existing, { key: KEY })), 'CONFIG');
    const dest = fresh('.db');
    assert.is(codeOf(() => importSqlite(src, dest, { key: KEY })), 'CONSTRAINT_CHECK');
    assert.not.ok(existsSync(dest));
    const src2 = fresh('.sqlite');
    const s2 = new Sqlite(src2);
    s2.exec('CREATE TABLE t(a); INSERT INTO t VALUES (1)');
    s2.close();
    const dest2 = fresh('.db');
    assert.is(codeOf(() => importSqlite(src2, dest2, { key: KEY, onProgress: (p) => { if (p.phase === 'rows') throw new HeliosError('INVALID_ARGUMENT', 'stop'); } })), 'INVALID_ARGUMENT');
    assert.not.ok(existsSync(dest2));
    const dest3 = fresh('.db');
    assert.is(codeOf(() => importSqlite(src2, dest3, {})), 'CONFIG'); // no key for the new (encrypted) database
    assert.not.ok(existsSync(dest3));
  });

  test('opening a SQLite file as a HeliosDB database says so and names the import command', () => {
    const src = fresh('.sqlite');
    const s = new Sqlite(src);
    s.exec('CREATE TABLE t(a)');
    s.close();
    for (const readonly of [false, true]) {
      let err: unknown;
      try {
        new Database(src, { key: KEY, readonly });
      } catch (e) {
        err = e;
      }
      assert.ok(err instanceof HeliosError && err.code === 'NOT_A_DATABASE', String(err));
      assert.match((err as Error).message, /is a SQLite database file/);
      assert.match((err as Error).message, /heliosdb import-sqlite/);
      assert.match((err as Error).message, /importSqlite/);
    }
    assert.is(readFileSync(src).subarray(0, 15).toString(), 'SQLite format 3', 'the file is untouched');
  });

  test('a file that is not SQLite, and a key given for a plain file, get typed errors', () => {
    const junk = fresh('.bin');
    writeFileSync(junk, new Uint8Array(8192).fill(3));
    assert.is(codeOf(() => importSqlite(junk, fresh('.db'), { key: KEY })), 'IMPORT_FORMAT');
    const src = fresh('.sqlite');
    const s = new Sqlite(src);
    s.exec('CREATE TABLE t(a)');
    s.close();
    assert.is(codeOf(() => importSqlite(src, fresh('.db'), { key: KEY, source: { passphrase: 'x' } })), 'CONFIG');
    assert.is(codeOf(() => importSqlite(join(dir, 'missing.sqlite'), fresh('.db'), { key: KEY })), 'CONFIG');
  });
}

if (Cipher) {
  test('a SQLCipher 4 database (default parameters, passphrase) imports; a wrong passphrase is WRONG_KEY', () => {
    const src = fresh('.sqlcipher');
    const s = cipherOpen(src, 4, 'correct horse');
    fillRich(s, 300);
    s.close();
    assert.is(codeOf(() => importSqlite(src, fresh('.db'), { key: KEY, source: { passphrase: 'wrong horse' } })), 'WRONG_KEY');
    assert.is(codeOf(() => importSqlite(src, fresh('.db'), { key: KEY })), 'IMPORT_FORMAT');
    const dest = fresh('.db');
    const r = importSqlite(src, dest, { key: KEY, source: { passphrase: 'correct horse' } });
    assert.ok(r.encrypted);
    const o = cipherOpen(src, 4, 'correct horse');
    assertSame(o, dest);
    o.close();
  });

  test("a SQLCipher 4 database keyed with a raw key x'…' imports with that raw key", () => {
    const hex = 'a1'.repeat(32);
    const src = fresh('.sqlcipher');
    const s = cipherOpen(src, 4, `x'${hex}'`);
    fillRich(s, 200);
    s.close();
    assert.is(codeOf(() => importSqlite(src, fresh('.db'), { key: KEY, source: { rawKey: `x'${'b2'.repeat(32)}'` } })), 'WRONG_KEY');
    const dest = fresh('.db');
    importSqlite(src, dest, { key: KEY, source: { rawKey: `x'${hex}'` } });
    const o = cipherOpen(src, 4, `x'${hex}'`);
    assertSame(o, dest);
    o.close();
  });

  test('a SQLCipher 3 database imports with sqlcipher: 3, and not with the version 4 defaults', () => {
    const src = fresh('.sqlcipher');
    const s = cipherOpen(src, 3, 'v3 secret');
    fillRich(s, 300);
    s.close();
    assert.is(codeOf(() => importSqlite(src, fresh('.db'), { key: KEY, source: { passphrase: 'v3 secret' } })), 'WRONG_KEY');
    const dest = fresh('.db');
    importSqlite(src, dest, { key: KEY, source: { passphrase: 'v3 secret', sqlcipher: 3 } });
    const o = cipherOpen(src, 3, 'v3 secret');
    assertSame(o, dest);
    o.close();
  });

  test('a SQLCipher 4 database with cipher_page_size 8192 and kdf_iter 5000 imports with pageSize and kdfIterations', () => {
    const src = fresh('.sqlcipher');
    const s = new Cipher!(src);
    s.pragma("cipher='sqlcipher'");
    s.pragma('legacy=4');
    s.pragma('legacy_page_size=8192');
    s.pragma('kdf_iter=5000');
    s.pragma("key='pages'");
    fillRich(s, 200);
    s.close();
    assert.is(codeOf(() => importSqlite(src, fresh('.db'), { key: KEY, source: { passphrase: 'pages', kdfIterations: 5000 } })), 'WRONG_KEY');
    const dest = fresh('.db');
    importSqlite(src, dest, { key: KEY, source: { passphrase: 'pages', pageSize: 8192, kdfIterations: 5000 } });
    const o = new Cipher!(src);
    o.pragma("cipher='sqlcipher'");
    o.pragma('legacy=4');
    o.pragma('legacy_page_size=8192');
    o.pragma('kdf_iter=5000');
    o.pragma("key='pages'");
    assertSame(o, dest);
    o.close();
  });

  test('a tampered SQLCipher page fails its HMAC: IMPORT_FORMAT, and no destination', () => {
    const src = fresh('.sqlcipher');
    const s = cipherOpen(src, 4, 'pw', 1000);
    fillRich(s, 300);
    s.close();
    const bytes = readFileSync(src);
    bytes[4096 * 5 + 100]! ^= 1;
    writeFileSync(src, bytes);
    const dest = fresh('.db');
    assert.is(codeOf(() => importSqlite(src, dest, { key: KEY, source: { passphrase: 'pw', kdfIterations: 1000 } })), 'IMPORT_FORMAT');
    assert.not.ok(existsSync(dest));
  });
}

function cli(name: string): boolean {
  try {
    execFileSync(name, ['-version'], { stdio: 'pipe' });
    return true;
  } catch {
    console.log(`importer.test: the ${name} command is not installed (apt-get install -y ${name}); its test is skipped`);
    return false;
  }
}

if (Sqlite && cli('sqlite3')) {
  test("a database made by Debian's sqlite3 command imports row for row", () => {
    const src = fresh('.sqlite');
    execFileSync('sqlite3', [src], {
      input: `CREATE TABLE t(id INTEGER PRIMARY KEY AUTOINCREMENT, txt TEXT, r REAL, b BLOB, u);
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 5000)
INSERT INTO t(txt, r, b, u) SELECT printf('row %d', i), i * 0.25, randomblob(i % 300), CASE i % 4 WHEN 0 THEN NULL WHEN 1 THEN i WHEN 2 THEN 'x' || i ELSE zeroblob(5000) END FROM c;
INSERT INTO t(txt) VALUES (hex(randomblob(40000)));
DELETE FROM t WHERE id % 10 = 0;
CREATE INDEX t_r ON t(r DESC);
CREATE VIEW big AS SELECT id, length(txt) AS l FROM t WHERE l > 1000;
CREATE TRIGGER t_upd AFTER UPDATE ON t BEGIN SELECT 1; END;
CREATE TABLE w(a TEXT PRIMARY KEY, b) WITHOUT ROWID;
INSERT INTO w SELECT txt, r FROM t WHERE id < 100;
`,
    });
    const dest = fresh('.db');
    importSqlite(src, dest, { key: KEY });
    const o = new Sqlite!(src, { readonly: true });
    assertSame(o, dest);
    o.close();
  });
}

if (Sqlite && cli('sqlcipher')) {
  test("a database made by Debian's sqlcipher command (its SQLCipher 3 defaults) imports with sqlcipher: 3", () => {
    const src = fresh('.sqlcipher');
    execFileSync('sqlcipher', [src], {
      input: `PRAGMA key = 'debian pass';
CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, b BLOB);
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 2000)
INSERT INTO t SELECT i, printf('value %d', i), randomblob(i % 2000) FROM c;
CREATE INDEX t_v ON t(v);
`,
    });
    const dest = fresh('.db');
    const r = importSqlite(src, dest, { key: KEY, source: { passphrase: 'debian pass', sqlcipher: 3 } });
    assert.is(r.rows, 2000);
    // The source is read back through sqlcipher itself for the comparison.
    const dump = execFileSync('sqlcipher', [src], { maxBuffer: 1 << 28, input: "PRAGMA key = 'debian pass';\nSELECT id || '|' || v || '|' || hex(b) FROM t ORDER BY id;\n" }).toString().trim().split('\n');
    const db = new Database(dest, { key: KEY });
    const mine = db.prepare("SELECT id || '|' || v || '|' || hex(b) FROM t ORDER BY id").pluck().all();
    db.close();
    assert.equal(mine, dump.slice(dump.length - 2000));
  });
}

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
