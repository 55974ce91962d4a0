/**
 * Test support for the importer (tests, fuzz/ and bench/ only; nothing at
 * runtime imports it): source databases made by better-sqlite3 and
 * better-sqlite3-multiple-ciphers (dev-only native addons), and a
 * comparison of every table, view and sqlite_sequence row against the
 * source opened in SQLite.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Database } from '../sql/database.ts';

export interface SqliteHandle {
  exec(sql: string): unknown;
  pragma(sql: string): unknown;
  prepare(sql: string): { run(...a: unknown[]): unknown; raw(on?: boolean): { all(...a: unknown[]): unknown[][] }; safeIntegers(on?: boolean): { raw(on?: boolean): { all(...a: unknown[]): unknown[][] } } };
  transaction<F extends (...a: never[]) => unknown>(f: F): F;
  close(): unknown;
}
export type SqliteCtor = new (path: string, options?: object) => SqliteHandle;

/** The addon `name`, or null with a printed reason (Bun and Deno load the package but not the addon). */
export function loadSqlite(name: 'better-sqlite3' | 'better-sqlite3-multiple-ciphers', who: string): SqliteCtor | null {
  try {
    const Ctor = createRequire(join(process.cwd(), 'package.json'))(name) as SqliteCtor;
    new Ctor(':memory:').close();
    return Ctor;
  } catch (e) {
    console.log(`${who}: ${name} does not load on this runtime (${(e as Error).message.split('\n')[0]}); skipped`);
    return null;
  }
}

/**
 * The schema and rows of the rich fixture: every storage class, NULLs, 64-bit
 * integers, integral REALs (stored as integers by SQLite in REAL columns),
 * large TEXT and BLOB values on overflow pages, thousands of rows over many
 * pages, a WITHOUT ROWID table, a table grown by ADD COLUMN (short records),
 * a column named rowid, PRIMARY KEY(x DESC) (a rowid alias) beside
 * x INTEGER PRIMARY KEY DESC (not one), indexes (partial, expression, unique), views on
 * views, triggers and AUTOINCREMENT with deleted rows.
 */
export function fillRich(db: SqliteHandle, rows = 3000): void {
  db.pragma('foreign_keys = OFF'); // better-sqlite3-multiple-ciphers turns them on by default; the fixture deletes referenced parents
  db.exec(`
    CREATE TABLE parent(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, score REAL, data BLOB, anything, n NUMERIC);
    CREATE TABLE child(cid INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent(id), note TEXT DEFAULT 'none');
    CREATE TABLE kv(k TEXT, j INTEGER, v, PRIMARY KEY(j, k)) WITHOUT ROWID;
    CREATE TABLE plain(a, b);
    CREATE TABLE odd(rowid TEXT, x);
    CREATE TABLE strict_t(i INTEGER, r REAL, t TEXT, b BLOB) STRICT;
    CREATE TABLE pk_desc_alias(x INTEGER, y, PRIMARY KEY(x DESC));
    CREATE TABLE pk_desc_column(x INTEGER PRIMARY KEY DESC, y);
    CREATE INDEX parent_score ON parent(score) WHERE score IS NOT NULL;
    CREATE INDEX child_expr ON child(lower(note), pid);
    CREATE UNIQUE INDEX kv_v ON kv(v);
    CREATE VIEW v_parent AS SELECT id, name, score * 2 AS s2 FROM parent WHERE id % 2 = 0;
    CREATE VIEW v_v AS SELECT count(*) AS c, max(s2) AS m FROM v_parent;
    CREATE TABLE audit(at INTEGER PRIMARY KEY AUTOINCREMENT, what TEXT);
    CREATE TRIGGER parent_ins AFTER INSERT ON parent BEGIN INSERT INTO audit(what) VALUES ('ins ' || new.name); END;
    CREATE TRIGGER parent_del BEFORE DELETE ON parent WHEN old.id < 0 BEGIN SELECT RAISE(ABORT, 'no'); END;
  `);
  const insP = db.prepare('INSERT INTO parent(name, score, data, anything, n) VALUES (?, ?, ?, ?, ?)');
  const insC = db.prepare('INSERT INTO child(cid, pid, note) VALUES (?, ?, ?)');
  const insK = db.prepare('INSERT INTO kv VALUES (?, ?, ?)');
  const insS = db.prepare('INSERT INTO strict_t VALUES (?, ?, ?, ?)');
  db.transaction(() => {
    for (let i = 0; i < rows; i++) {
      const anything = [null, i, i + 0.5, `t${i}`, new Uint8Array([i & 255, 1, 2]), 2n ** 62n + BigInt(i), -(2n ** 63n)][i % 7];
      const score = i % 5 === 0 ? null : i % 3 === 0 ? i : i / 7;
      const data = i % 500 === 7 ? new Uint8Array(70_000 + i).fill(i & 255) : i % 11 === 0 ? null : new Uint8Array(i % 40).fill(7);
      insP.run(i % 997 === 3 ? 'é€𝄞 '.repeat(3000) + i : `name-${i}`, score, data, anything, i % 4 === 0 ? '12.0' : i % 4 === 1 ? 'abc' : i);
      if (i % 3 === 0) insC.run(i * 10, i + 1, i % 2 ? `Note ${i}` : null);
      if (i % 2 === 0) insK.run(`k${i % 13}`, i, i % 9 === 0 ? 'x'.repeat(5000) + i : i * 1.25);
      if (i < 50) insS.run(i, i, `s${i}`, new Uint8Array([i]));
    }
  })();
  db.exec(`
    INSERT INTO plain VALUES (1.0, -0.0), (1e300, -1e-300), (9223372036854775807, -9223372036854775808), (x'', ''), (NULL, 3.0);
    INSERT INTO plain(rowid, a, b) VALUES (9007199254740993, 'big rowid', 1), (-5, 'negative rowid', 2);
    INSERT INTO odd VALUES ('r', 1), ('s', 2);
    INSERT INTO pk_desc_alias VALUES (7, 'seven'), (-3, 'minus three');
    INSERT INTO pk_desc_column VALUES (7, 'seven'), (-3, 'minus three');
    DELETE FROM parent WHERE id > ${rows - 10};
    ALTER TABLE plain ADD COLUMN c TEXT DEFAULT 'added';
    ALTER TABLE plain ADD COLUMN d DEFAULT 42;
    INSERT INTO plain VALUES ('after', 'alter', 'c', 'd');
  `);
}

/** The queries whose results must match: every table with its rowid and each value's storage class, every view, sqlite_sequence, the schema. */
export function comparisonQueries(src: SqliteHandle): string[] {
  const q = (s: string): string => `"${s.replace(/"/g, '""')}"`;
  const out: string[] = [];
  const objects = src.prepare("SELECT type, name, sql FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name").raw().all() as [string, string, string][];
  for (const [type, name, sql] of objects) {
    const cols = (src.prepare(`SELECT name FROM pragma_table_info(${"'" + name.replace(/'/g, "''") + "'"})`).raw().all() as [string][]).map((r) => r[0]);
    const withoutRowid = /WITHOUT\s+ROWID\s*$/i.test(sql);
    const rowid = type === 'table' && !withoutRowid && !cols.some((c) => ['rowid', 'oid', '_rowid_'].includes(c.toLowerCase())) ? 'rowid, ' : '';
    const sel = cols.map((c) => `typeof(${q(c)}), ${q(c)}`).join(', ');
    const order = type === 'view' ? cols.map((_c, i) => String(i + 1)).join(', ') || '1' : withoutRowid ? cols.map(q).join(', ') : rowid ? 'rowid' : q(cols[0]!);
    out.push(`SELECT ${rowid}${sel} FROM ${q(name)} ORDER BY ${order}`);
  }
  out.push('SELECT name, seq FROM sqlite_sequence ORDER BY name');
  out.push("SELECT type, name, tbl_name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_autoindex%' ORDER BY type, name");
  out.push('PRAGMA user_version');
  return out;
}

function norm(v: unknown): unknown {
  if (v instanceof Uint8Array) return `x'${Array.from(v, (b) => b.toString(16).padStart(2, '0')).join('')}'`;
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : v; // a REAL (integers arrive as bigints)
  return v;
}

/** Each query's rows in SQLite and in HeliosDB, integers as bigints, bytes as hex. */
export function compareWithSource(src: SqliteHandle, db: Database, queries = comparisonQueries(src)): { query: string; expected: unknown[][]; actual: unknown[][] }[] {
  return queries.map((query) => ({
    query,
    expected: src.prepare(query).safeIntegers(true).raw(true).all().map((r) => r.map(norm)),
    actual: (db.prepare(query).safeIntegers(true).raw(true).all() as unknown[][]).map((r) => r.map(norm)),
  }));
}
