// The better-sqlite3 drop-in (sql/compat.ts) beside better-sqlite3 itself where it loads, and
// the PRAGMAs SQLCipher users run (rekey changes the key; the others fail, never pass silently).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sqlite3Database, SqliteError } from './compat.ts';
import { Database } from './database.ts';
import { isHeliosError } from '../format/errors.ts';

type Oracle = new (path: string) => { prepare(sql: string): { get(...a: unknown[]): unknown; run(...a: unknown[]): unknown }; exec(sql: string): unknown; close(): void };
let oracle: Oracle | null = null;
try {
  const O = createRequire(import.meta.url)('better-sqlite3') as Oracle;
  new O(':memory:').close(); // Bun resolves the package but cannot load its native addon
  oracle = O;
} catch {
  oracle = null; // Bun and Deno do not load the native addon: the oracle comparisons are skipped there.
  console.log('compat.test: better-sqlite3 does not load on this runtime; the comparisons with it are skipped');
}

const dir = mkdtempSync(join(tmpdir(), 'helios-compat-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('numbers bind as REAL, foreign keys are on, a Date is a TypeError: as better-sqlite3', () => {
  const db = Sqlite3Database(':memory:');
  const dbs: { prepare(sql: string): { get(...a: unknown[]): unknown; run(...a: unknown[]): unknown }; exec(sql: string): unknown; close(): void }[] = [db];
  if (oracle !== null) dbs.push(new oracle(':memory:'));
  const got = dbs.map((d) => {
    d.exec('CREATE TABLE p(id INTEGER PRIMARY KEY); CREATE TABLE c(p REFERENCES p(id))');
    let fk = 'none';
    try {
      d.prepare('INSERT INTO c VALUES (9)').run();
    } catch (e) {
      fk = (e as { code: string }).code;
    }
    let date = 'none';
    try {
      d.prepare('SELECT ?').get(new Date(0));
    } catch (e) {
      date = (e as Error).constructor.name;
    }
    const half = d.prepare('SELECT ? / 2 AS x').get(7);
    d.close();
    return { half, fk, date };
  });
  assert.equal(got[0], { half: { x: 3.5 }, fk: 'SQLITE_CONSTRAINT_FOREIGNKEY', date: 'TypeError' });
  if (got[1] !== undefined) assert.equal(got[0], got[1]);
});

test('PRAGMA cache_size, journal_mode, page_size and busy_timeout report values as SQLite does', () => {
  const db = new Sqlite3Database(join(dir, 'p.db'), { timeout: 1234 });
  assert.is(db.pragma('cache_size', { simple: true }), -16000);
  db.pragma('cache_size = -8000');
  assert.is(db.pragma('cache_size', { simple: true }), -8000);
  assert.is(db.pragma('journal_mode', { simple: true }), 'delete');
  assert.equal(db.pragma('journal_mode = wal'), [{ journal_mode: 'wal' }]);
  assert.is(db.pragma('page_size', { simple: true }), 4096);
  assert.is(db.pragma('busy_timeout', { simple: true }), 1234);
  db.close();
});

test('PRAGMA rekey changes the key (the old one then fails); key and cipher_* fail with CONFIG', () => {
  const path = join(dir, 'k.db');
  const raw = new Uint8Array(32).fill(7);
  const db = new Database(path, { key: { raw } });
  db.exec('CREATE TABLE t(x); INSERT INTO t VALUES (1)');
  for (const sql of ["PRAGMA key = 'x'", 'PRAGMA cipher_page_size = 4096', "PRAGMA cipher_compatibility = 4"]) {
    try {
      db.exec(sql);
      assert.unreachable(sql);
    } catch (e) {
      assert.ok(isHeliosError(e, 'CONFIG'), sql);
    }
  }
  db.exec("PRAGMA rekey = 'a new passphrase'");
  db.close();
  try {
    new Database(path, { key: { raw } }).close();
    assert.unreachable('the old key still opens');
  } catch (e) {
    assert.ok(isHeliosError(e, 'WRONG_KEY'));
  }
  const again = new Sqlite3Database(path, { key: { passphrase: 'a new passphrase' } });
  assert.is(again.prepare('SELECT x FROM t').pluck().get(), 1);
  again.close();
  try {
    new Sqlite3Database(path, { key: { raw } });
    assert.unreachable('the old key still opens');
  } catch (e) {
    assert.ok(e instanceof SqliteError);
    assert.is((e as SqliteError).heliosCode, 'WRONG_KEY');
  }
});

test('[ENG-IMAGE-1] serialize() and new Database(buffer): the same rows come back as from better-sqlite3', () => {
  type Ser = { prepare(sql: string): { all(...a: unknown[]): unknown[]; run(...a: unknown[]): unknown }; exec(sql: string): unknown; serialize(): Uint8Array; close(): void };
  const makers: ((b?: Uint8Array, o?: object) => Ser)[] = [(b, o) => Sqlite3Database(b, o) as unknown as Ser];
  if (oracle !== null) {
    const O = oracle as unknown as new (b?: Uint8Array, o?: object) => Ser;
    makers.push((b, o) => new O(b, o));
  }
  const got = makers.map((make) => {
    const db = make();
    db.exec("CREATE TABLE t (a TEXT, b INTEGER); INSERT INTO t VALUES ('x', 1), ('y', 2)");
    const buf = db.serialize();
    db.close();
    const copy = make(buf);
    copy.prepare('INSERT INTO t VALUES (?, ?)').run('z', 3n);
    const rows = copy.prepare('SELECT a, b FROM t ORDER BY rowid').all();
    const again = copy.serialize();
    copy.close();
    const ro = make(again, { readonly: true });
    let refused = '';
    try {
      ro.prepare("INSERT INTO t VALUES ('w', 4)").run();
    } catch (e) {
      refused = (e as { code: string }).code;
    }
    const n = ro.prepare('SELECT count(*) AS n FROM t').all();
    ro.close();
    return { rows, n, refused, isBuffer: Buffer.isBuffer(buf) };
  });
  for (const g of got) assert.equal(g, got[0]);
  assert.equal(got[0]!.n, [{ n: 3 }]);
  assert.is(got[0]!.refused, 'SQLITE_READONLY');
  let code = '';
  try {
    Sqlite3Database(new Uint8Array(100));
  } catch (e) {
    assert.ok(e instanceof SqliteError);
    code = e.code;
  }
  assert.is(code, 'SQLITE_NOTADB');
});

test('a missing directory is a TypeError and a readonly open of a missing file SQLITE_CANTOPEN, creating nothing: as better-sqlite3', () => {
  const base = mkdtempSync(join(tmpdir(), 'helios-compat-missing-'));
  try {
    const outcome = (open: () => { close(): void }): string => {
      try {
        open().close();
        return 'opened';
      } catch (e) {
        const c = (e as { code?: unknown }).code;
        return typeof c === 'string' && c.startsWith('SQLITE_') ? `SqliteError ${c}` : `${(e as Error).constructor.name}: ${(e as Error).message}`;
      }
    };
    type Opener = (path: string, o?: { readonly?: boolean; fileMustExist?: boolean }) => { close(): void };
    const openers: [string, Opener][] = [['helios', (p, o) => new Sqlite3Database(p, o)]];
    if (oracle !== null) {
      const O = oracle as unknown as new (p: string, o?: object) => { close(): void };
      openers.push(['better-sqlite3', (p, o) => new O(p, o)]);
    }
    for (const [name, open] of openers) {
      assert.is(outcome(() => open(join(base, 'no', 'x.db'))), 'TypeError: Cannot open database because the directory does not exist', name);
      assert.is(outcome(() => open(join(base, 'no', 'x.db'), { readonly: true })), 'TypeError: Cannot open database because the directory does not exist', name);
      assert.is(outcome(() => open(join(base, 'x.db'), { readonly: true })), 'SqliteError SQLITE_CANTOPEN', name);
      assert.is(outcome(() => open(join(base, 'x.db'), { fileMustExist: true })), 'SqliteError SQLITE_CANTOPEN', name);
      assert.equal(readdirSync(base), [], `${name} created nothing`);
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test.run();
