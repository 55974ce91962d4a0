/**
 * PRAGMA case_sensitive_like against SQLite (better-sqlite3), on encrypted
 * and plain databases: LIKE and like() compare letters exactly while it is
 * on, whatever the column's collation; ESCAPE still works; the setting is
 * write-only (a bare PRAGMA returns nothing) and reaches statements
 * prepared before it changed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compareWithSqlite, sqliteOracleLoads } from '../scripts/sqlite-oracle.ts';
import { Database } from './database.ts';

const hasOracle = sqliteOracleLoads('case-sensitive-like.test');
const same = (script: string): void => {
  if (!hasOracle) return;
  const d = compareWithSqlite(script);
  if (d !== null) assert.unreachable(d);
};

test('case_sensitive_like switches LIKE and like() between folding and exact letters', () => {
  same(`CREATE TABLE t(x TEXT, y TEXT COLLATE NOCASE);
INSERT INTO t VALUES('Abc', 'Abc'), ('abc', 'abc'), ('ABD', 'ABD'), ('A_c', 'a_C');
CREATE INDEX ty ON t(y); CREATE INDEX tx ON t(x);
SELECT x FROM t WHERE x LIKE 'ab%' ORDER BY x;
PRAGMA case_sensitive_like;
PRAGMA case_sensitive_like = 1;
SELECT x FROM t WHERE x LIKE 'ab%' ORDER BY x;
SELECT x FROM t WHERE y LIKE 'ab%' ORDER BY x;
SELECT x FROM t WHERE x NOT LIKE '%c' ORDER BY x;
SELECT like('A%', 'abc'), like('a%', 'abc'), 'A' LIKE 'a', like('a_', 'aB', '\\'), 'Ä' LIKE 'ä';
SELECT x FROM t WHERE x LIKE 'A\\_%' ESCAPE '\\';
SELECT x FROM t WHERE x GLOB 'a*';
PRAGMA case_sensitive_like(0);
SELECT x FROM t WHERE x LIKE 'ab%' ORDER BY x;
PRAGMA case_sensitive_like = yes;
SELECT 'a' LIKE 'A';
PRAGMA case_sensitive_like = off;
SELECT 'a' LIKE 'A';`);
});

test('a statement prepared before the PRAGMA sees the new setting', () => {
  const db = new Database(':memory:', { key: { raw: new Uint8Array(32).fill(2) } });
  const st = db.prepare("SELECT 'ABC' LIKE 'abc'").pluck();
  assert.is(st.get(), 1);
  db.exec('PRAGMA case_sensitive_like = ON');
  assert.is(st.get(), 0);
  db.exec('PRAGMA case_sensitive_like = OFF');
  assert.is(st.get(), 1);
  db.close();
});

test.run();
