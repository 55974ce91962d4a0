// Table-valued functions (sql/vtab.ts) through HeliosDB's own Database: the rowid each one gives its
// rows, beside SQLite's where better-sqlite3 loads (it has json_each and the pragma functions, not
// generate_series). db.table() and CREATE VIRTUAL TABLE are in compat-vtab.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sqliteOracleOrNull } from '../scripts/slt-backend.ts';
import { Database } from './database.ts';

interface Oracle {
  exec(sql: string): unknown;
  prepare(sql: string): { raw(): { all(): unknown[][] } };
  close(): void;
}
const openOracle = sqliteOracleOrNull<Oracle>('vtab.test', 'skipping the SQLite comparisons');

const SETUP = "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT); INSERT INTO t VALUES (1, '[10,20]'), (2, '{\"k\":[3]}')";

/** The rows of `sql` on HeliosDB, checked against SQLite's where it loads. */
function both(sql: string): unknown[][] {
  const db = new Database(':memory:');
  try {
    db.exec(SETUP);
    const ours = db.prepare(sql).raw().all() as unknown[][];
    if (openOracle !== null) {
      const o = openOracle();
      try {
        o.exec(SETUP);
        assert.equal(ours, o.prepare(sql).raw().all(), sql);
      } finally {
        o.close();
      }
    }
    return ours;
  } finally {
    db.close();
  }
}

test("json_each and json_tree number their rows from 0, per call (SQLite's iRowid)", () => {
  assert.equal(both("SELECT rowid, value FROM json_each('[5,6,7]')"), [[0, 5], [1, 6], [2, 7]]);
  both("SELECT t.a, j.rowid, j.key FROM t, json_each(t.b) j ORDER BY 1, 2");
  both("SELECT rowid, fullkey FROM json_tree('{\"a\":[1,{\"b\":2}]}')");
  both("SELECT value FROM json_each('[5,6,7]') WHERE rowid = 1");
});

test('the pragma functions number their rows from 1', () => {
  assert.equal(both("SELECT rowid, name FROM pragma_table_info('t')"), [[1, 'a'], [2, 'b']]);
  both("SELECT oid, _rowid_, name FROM pragma_table_xinfo('t') ORDER BY rowid DESC");
});

test("generate_series's rowid is the value, as SQLite's series extension reports it", () => {
  const db = new Database(':memory:');
  try {
    assert.equal(db.prepare('SELECT rowid, value FROM generate_series(5, 20, 5)').raw().all(), [[5, 5], [10, 10], [15, 15], [20, 20]]);
    assert.equal(db.prepare('SELECT rowid FROM generate_series(1, 3, -1)').pluck().all(), [3, 2, 1]);
  } finally {
    db.close();
  }
});

test('HeliosDB’s own Database registers no modules: a virtual table in the schema is "no such module"', () => {
  const db = new Database(':memory:');
  try {
    assert.throws(() => db.exec('CREATE VIRTUAL TABLE v USING fts5(a)'), /no such module: fts5/);
    assert.equal(db.prepare('SELECT count(*) FROM sqlite_master').pluck().get(), 0);
  } finally {
    db.close();
  }
});

test.run();
