/**
 * STRICT tables against SQLite (better-sqlite3), on encrypted and plain
 * databases: the six type names and nothing else at CREATE (and at ALTER TABLE
 * ADD COLUMN), the column's affinity applied before the type check, the check
 * after NOT NULL and before CHECK, no conflict clause escaping it, WITHOUT
 * ROWID with STRICT, and the error codes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareWithSqlite, sqliteOracleLoads } from '../scripts/sqlite-oracle.ts';
import { Database } from './database.ts';
import { isHeliosError } from '../format/errors.ts';

const hasOracle = sqliteOracleLoads('strict.test');
const same = (script: string): void => {
  if (!hasOracle) return;
  const d = compareWithSqlite(script);
  if (d !== null) assert.unreachable(d);
};

const ALL = `CREATE TABLE t(a int, b INTEGER, c real, d TEXT, e blob, f ANY) STRICT;`;

test('values are converted by the column affinity, then must be of the column type', () => {
  same(`${ALL}
INSERT INTO t VALUES('12', '3.0', '4', 'x', x'00', '7');
INSERT INTO t VALUES(' 12 ', 3.0, 4, 5, NULL, 7.5);
INSERT INTO t VALUES(NULL, NULL, '1e2', 2.5, NULL, x'01');
INSERT INTO t(a) VALUES('x'); INSERT INTO t(a) VALUES(1.5); INSERT INTO t(a) VALUES('0x10');
INSERT INTO t(a) VALUES(9223372036854775807.0); INSERT INTO t(a) VALUES(1e300); INSERT INTO t(a) VALUES(x'00');
INSERT INTO t(b) VALUES('abc'); INSERT INTO t(c) VALUES('abc'); INSERT INTO t(c) VALUES(x'00');
INSERT INTO t(d) VALUES(x'00'); INSERT INTO t(e) VALUES('x'); INSERT INTO t(e) VALUES(1);
SELECT a, typeof(a), b, typeof(b), c, typeof(c), d, typeof(d), e, typeof(e), f, typeof(f) FROM t ORDER BY rowid;`);
});

test('UPDATE is checked, and OR IGNORE / OR REPLACE do not escape the type check', () => {
  same(`${ALL}
INSERT INTO t(a, d) VALUES(1, 'a'), (2, 'b');
UPDATE t SET a = 'zz'; UPDATE t SET a = '7' WHERE d = 'a'; UPDATE t SET c = a;
UPDATE OR IGNORE t SET a = 'x'; UPDATE OR REPLACE t SET e = 'x';
INSERT OR IGNORE INTO t(a) VALUES('x'); INSERT OR REPLACE INTO t(a) VALUES('x');
BEGIN; INSERT INTO t(a) VALUES(3); INSERT INTO t(a) VALUES('y'); COMMIT;
SELECT a, typeof(a), c, typeof(c), d FROM t ORDER BY rowid;`);
});

test('NOT NULL is checked before the type, the type before CHECK', () => {
  same(`CREATE TABLE q(a INT, b INT NOT NULL, c INT CHECK(c <> 'x')) STRICT;
INSERT INTO q VALUES('x', NULL, 1); INSERT INTO q VALUES(1, 'x', 'x'); INSERT INTO q VALUES(1, 2, 'x');
INSERT INTO q VALUES(1, 2, 3); SELECT * FROM q;`);
});

test('unknown and missing type names are refused at CREATE and at ADD COLUMN', () => {
  same(`CREATE TABLE u(a varchar) STRICT; CREATE TABLE u(a) STRICT; CREATE TABLE u(a INTEGER(5)) STRICT;
CREATE TABLE u(a INT, b "TEXT") STRICT; CREATE TABLE u2(a INT, b unsigned big int) STRICT;
CREATE TABLE s(a INT) STRICT; ALTER TABLE s ADD COLUMN c varchar; ALTER TABLE s ADD COLUMN c;
SELECT type, name, sql FROM sqlite_schema ORDER BY name;`);
});

test('WITHOUT ROWID with STRICT, INTEGER PRIMARY KEY and INT PRIMARY KEY', () => {
  same(`CREATE TABLE w(a TEXT PRIMARY KEY, b INT) STRICT, WITHOUT ROWID;
INSERT INTO w VALUES(1, '2'); INSERT INTO w VALUES('k', 'v'); SELECT a, typeof(a), b, typeof(b) FROM w;
CREATE TABLE y(a INT PRIMARY KEY, b ANY) WITHOUT ROWID, STRICT; INSERT INTO y VALUES('5', '5'); INSERT INTO y VALUES('five', 1);
SELECT a, typeof(a), b, typeof(b) FROM y;
CREATE TABLE tt(a INTEGER PRIMARY KEY, b ANY) STRICT; INSERT INTO tt VALUES('5', 1); INSERT INTO tt VALUES('x', 1); INSERT INTO tt(b) VALUES(2);
SELECT rowid, a, b FROM tt;
PRAGMA table_info(w); PRAGMA table_info(y); INSERT INTO w VALUES(NULL, 1);`);
});

test('[SQL-CAT-7] a STRICT type failure has code CONSTRAINT_DATATYPE and survives reopening', () => {
  const dir = mkdtempSync(join(tmpdir(), 'helios-strict-'));
  try {
    let db = new Database(join(dir, 'db'), { key: { raw: new Uint8Array(32).fill(3) } });
    db.exec(`${ALL} INSERT INTO t(a) VALUES(1);`);
    db.close();
    db = new Database(join(dir, 'db'), { key: { raw: new Uint8Array(32).fill(3) } });
    try {
      db.prepare('INSERT INTO t(a) VALUES (?)').run('nope');
      assert.unreachable('a TEXT value was stored in an INT column');
    } catch (e) {
      assert.ok(isHeliosError(e, 'CONSTRAINT_DATATYPE'), String(e));
      assert.is((e as Error).message, 'cannot store TEXT value in INT column t.a');
    }
    assert.equal(db.prepare('SELECT count(*) AS n FROM t').get(), { n: 1 });
    db.exec('ALTER TABLE t ADD COLUMN g TEXT');
    db.prepare('INSERT INTO t(g) VALUES (?)').run(5);
    assert.equal(db.prepare('SELECT g, typeof(g) AS ty FROM t WHERE g IS NOT NULL').get(), { g: '5', ty: 'text' });
    assert.throws(() => db.prepare('INSERT INTO t(g) VALUES (?)').run(new Uint8Array(1)), /cannot store BLOB value in TEXT column t\.g/);
    assert.equal(db.prepare("SELECT name, strict FROM pragma_table_list WHERE name = 't'").get(), { name: 't', strict: 1 });
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
