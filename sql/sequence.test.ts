/**
 * sqlite_sequence written as SQLite lets it be written, against SQLite
 * (better-sqlite3) on encrypted and plain databases: UPDATE moves an
 * AUTOINCREMENT mark, DELETE drops it (ids restart after the largest one),
 * INSERT sets it (what a .dump replays); and the refusals where our marks,
 * one INTEGER per AUTOINCREMENT table, cannot hold what SQLite's ordinary
 * table would (sql/sequence-write.ts).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareWithSqlite, sqliteOracleLoads } from '../scripts/sqlite-oracle.ts';
import { Database } from './database.ts';

const hasOracle = sqliteOracleLoads('sequence.test');
const same = (script: string): void => {
  if (!hasOracle) return;
  const d = compareWithSqlite(script);
  if (d !== null) assert.unreachable(d);
};

const T = 'CREATE TABLE t(id INTEGER PRIMARY KEY AUTOINCREMENT, v); CREATE TABLE u(id INTEGER PRIMARY KEY AUTOINCREMENT, v);';

test('UPDATE sqlite_sequence moves the mark the next rowid comes from', () => {
  same(`${T}
INSERT INTO t(v) VALUES(1), (2); INSERT INTO u(v) VALUES(1);
UPDATE sqlite_sequence SET seq = 100 WHERE name = 't'; INSERT INTO t(v) VALUES(3);
UPDATE sqlite_sequence SET seq = seq + 10; INSERT INTO t(v) VALUES(4); INSERT INTO u(v) VALUES(2);
UPDATE sqlite_sequence SET seq = 20 WHERE name = 'u'; SELECT name, seq, typeof(seq) FROM sqlite_sequence;
UPDATE sqlite_sequence SET seq = 0 WHERE name = 'u'; INSERT INTO u(v) VALUES(3);
UPDATE sqlite_sequence SET seq = ? WHERE name = 'nothing';
SELECT * FROM t; SELECT * FROM u; SELECT * FROM sqlite_sequence;`);
});

test('DELETE FROM sqlite_sequence lets ids restart after the largest rowid; INSERT sets a mark', () => {
  same(`${T}
INSERT INTO t(v) VALUES(1), (2), (3); DELETE FROM t WHERE id = 3;
DELETE FROM sqlite_sequence WHERE name = 't'; SELECT * FROM sqlite_sequence; INSERT INTO t(v) VALUES(4); SELECT * FROM t;
INSERT INTO u(v) VALUES(1); DELETE FROM sqlite_sequence; SELECT count(*) FROM sqlite_sequence;
INSERT INTO sqlite_sequence VALUES('t', 40); INSERT INTO sqlite_sequence(name, seq) SELECT 'u', 7;
INSERT INTO t(v) VALUES(5); INSERT INTO u(v) VALUES(2);
SELECT * FROM sqlite_sequence; SELECT * FROM t; SELECT * FROM u;
BEGIN; UPDATE sqlite_sequence SET seq = 1000; ROLLBACK; INSERT INTO t(v) VALUES(6); SELECT max(id) FROM t;`);
});

test('what our marks cannot hold is refused, and changes nothing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'helios-seq-'));
  try {
    for (const opts of [{ key: { raw: new Uint8Array(32).fill(5) } }, { encryption: false as const }]) {
      const path = join(dir, opts.key ? 'enc' : 'plain');
      let db = new Database(path, opts);
      db.exec(`${T} INSERT INTO t(v) VALUES (1); CREATE TABLE plain(x);`);
      assert.throws(() => db.exec("INSERT INTO sqlite_sequence VALUES('plain', 5)"), /AUTOINCREMENT tables here: plain/);
      assert.throws(() => db.exec("INSERT INTO sqlite_sequence VALUES('t', 5)"), /already has the row of t/);
      assert.throws(() => db.exec("UPDATE sqlite_sequence SET name = 'nope'"), /nope is not one/);
      assert.throws(() => db.exec('DELETE FROM sqlite_sequence RETURNING *'), /RETURNING is not supported/);
      assert.equal(db.prepare('SELECT name, seq FROM sqlite_sequence').raw().all(), [['t', 1]]);
      db.exec("UPDATE sqlite_sequence SET seq = 9 WHERE name = 't'");
      db.close();
      db = new Database(path, opts);
      db.exec('INSERT INTO t(v) VALUES (2)');
      assert.equal(db.prepare('SELECT max(id) FROM t').pluck().get(), 10);
      assert.is(db.prepare("DELETE FROM sqlite_sequence WHERE name = 't'").run().changes, 1);
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
