/**
 * The engine key space of the SQL layer (spec/sql-format.md §4): system keys,
 * object ids, schema entries, row and index keys, AUTOINCREMENT marks, DROP,
 * and the byte-exact worked example — read straight from the engine.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromHex, toHex, utf8Decode } from '../format/bytes.ts';
import { decodeRow } from '../format/row-codec.ts';
import type { Engine } from '../engine/engine.ts';
import { Database } from './database.ts';
import { readRowid, rowKey, rowidBytes } from '../format/table-key.ts';

function engineOf(db: Database): Engine {
  return db.session.engine;
}

/** Every engine entry as hex key → hex value. */
function dump(db: Database): Map<string, string> {
  const it = engineOf(db).iterator();
  const out = new Map<string, string>();
  while (it.next()) out.set(toHex(it.key()), toHex(it.value()));
  it.close();
  return out;
}

function diff(before: Map<string, string>, after: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of after) if (before.get(k) !== v) out.push(`${k}=${v}`);
  for (const k of before.keys()) if (!after.has(k)) out.push(`-${k}`);
  return out.sort();
}

test('[FMT-SQLKEY-10] the worked example writes exactly the documented bytes', () => {
  const db = new Database(':memory:');
  db.exec(`CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT COLLATE NOCASE, qty INTEGER, score REAL, tag BLOB);
           CREATE INDEX t_name ON t(name, score DESC);`);
  assert.is(dump(db).get('000000004d'), '00000003');
  const before = dump(db);
  db.exec("INSERT INTO t VALUES (5, 'Ann', 300, 2.5, x'00ff')");
  assert.equal(diff(before, dump(db)), [
    '000000018000000000000005=050013020710416e6e012c400400000000000000ff',
    '0000000225616e6e0001ea3ffbffffffffffff7fff8000000000000005=8000000000000005',
  ]);
  db.close();
});

test('[FMT-SQLKEY-1] [FMT-SQLKEY-2] [FMT-SQLKEY-3] system keys, one id counter, JSON schema entries', () => {
  const db = new Database(':memory:');
  assert.equal([...dump(db).keys()], []);
  db.exec('CREATE TABLE a(x UNIQUE, y, PRIMARY KEY (y)); CREATE VIEW v AS SELECT 1; CREATE INDEX a_y ON a(y); PRAGMA user_version = -2');
  const d = dump(db);
  // a = 1, its automatic indexes 2 (UNIQUE x) and 3 (PRIMARY KEY y), v = 4, a_y = 5; M = 6.
  assert.is(d.get('000000004d'), '00000006');
  assert.is(d.get('0000000056'), 'fffffffe');
  const entry = (id: number): unknown => JSON.parse(utf8Decode(fromHex(d.get(`0000000053${id.toString(16).padStart(8, '0')}`)!)!));
  assert.equal(entry(1), { type: 'table', name: 'a', tbl_name: 'a', sql: 'CREATE TABLE a(x UNIQUE, y, PRIMARY KEY (y))' });
  assert.equal(entry(2), { type: 'index', name: 'sqlite_autoindex_a_1', tbl_name: 'a', sql: null });
  assert.equal(entry(3), { type: 'index', name: 'sqlite_autoindex_a_2', tbl_name: 'a', sql: null });
  assert.equal(entry(4), { type: 'view', name: 'v', tbl_name: 'v', sql: 'CREATE VIEW v AS SELECT 1' });
  assert.equal(Object.keys(entry(5) as object), ['type', 'name', 'tbl_name', 'sql']);
  // Ids are never reused: not after DROP, and a failed CREATE leaves the counter as it was.
  db.exec('DROP INDEX a_y');
  try {
    db.exec('CREATE TABLE b(p, p)');
  } catch {
    // duplicate column: nothing written
  }
  assert.is(dump(db).get('000000004d'), '00000006');
  db.exec('CREATE TABLE c(z)');
  assert.is(dump(db).get('000000004d'), '00000007');
  db.close();
});

test('[FMT-SQLKEY-4] [FMT-SQLKEY-5] rows under tableId ‖ rowid8, the rowid alias stored as NULL, added columns read as their default', () => {
  const db = new Database(':memory:');
  db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, n INTEGER, s TEXT); INSERT INTO t VALUES (-3, '12', 7)");
  const v = engineOf(db).get(rowKey(1, -3))!;
  assert.equal(decodeRow(v), [null, 12, '7']);
  assert.equal([...rowKey(1, -3)], [0, 0, 0, 1, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfd]);
  assert.is(readRowid(rowidBytes(-3), 0), -3);
  assert.is(readRowid(rowidBytes(2n ** 62n), 0), 2n ** 62n);
  db.exec("ALTER TABLE t ADD COLUMN k DEFAULT 'dflt'");
  assert.equal(decodeRow(engineOf(db).get(rowKey(1, -3))!), [null, 12, '7']);
  assert.equal(db.prepare('SELECT id, k FROM t').raw().get(), [-3, 'dflt']);
  db.close();
});

test('[FMT-SQLKEY-6] UNIQUE entries without NULL omit the rowid; others keep it; the value is always rowid8', () => {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t(a UNIQUE, b); CREATE INDEX t_b ON t(b) WHERE b > 0; INSERT INTO t VALUES (1, 5), (NULL, -1), (NULL, 6)');
  const idx = [...dump(db)].filter(([k]) => k.startsWith('00000002') || k.startsWith('00000003'));
  const unique = idx.filter(([k]) => k.startsWith('00000002'));
  assert.is(unique.length, 3);
  // (1) has no rowid suffix: 4 + 11 bytes; the two NULL entries carry one.
  assert.equal(unique.map(([k]) => k.length / 2).sort(), [13, 13, 15]);
  for (const [, v] of idx) assert.is(v.length, 16);
  // The partial index has entries only for b > 0.
  assert.is(idx.filter(([k]) => k.startsWith('00000003')).length, 2);
  db.close();
});

test('[FMT-SQLKEY-7] the AUTOINCREMENT mark appears with the first insert, never goes down, and goes with the table', () => {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE q(id INTEGER PRIMARY KEY AUTOINCREMENT, v)');
  const qKey = '000000005100000001';
  assert.is(dump(db).get(qKey), undefined);
  db.exec('INSERT INTO q(v) VALUES (1), (2), (3); DELETE FROM q');
  assert.is(dump(db).get(qKey), '8000000000000003');
  db.exec('INSERT INTO q(v) VALUES (4)');
  assert.equal(db.prepare('SELECT id FROM q').pluck().all(), [4]);
  try {
    db.exec('INSERT INTO q(id, v) VALUES (100, 1), (4, 2)');
  } catch {
    // the failed statement does not move the mark
  }
  assert.is(dump(db).get(qKey), '8000000000000004');
  db.exec('DROP TABLE q');
  assert.is(dump(db).get(qKey), undefined);
  db.close();
});

test('[FMT-SQLKEY-8] DROP TABLE and DROP INDEX remove every key of their ranges', () => {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t(a UNIQUE, b); CREATE INDEX t_b ON t(b); INSERT INTO t VALUES (1, 2), (3, 4)');
  db.exec('DROP INDEX t_b');
  assert.is([...dump(db).keys()].filter((k) => k.startsWith('00000003') || k === '000000005300000003').length, 0);
  db.exec('DROP TABLE t');
  assert.equal([...dump(db).keys()], ['000000004d']);
  db.close();
});

test('[FMT-SQLKEY-9] a transaction reaches the engine as one batch at COMMIT; a rollback writes nothing', () => {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t(a UNIQUE)');
  const before = dump(db);
  db.exec('BEGIN; INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)');
  assert.equal(diff(before, dump(db)), []);
  db.exec('ROLLBACK');
  assert.equal(diff(before, dump(db)), []);
  const engine = engineOf(db);
  const write = engine.write;
  const batches: number[] = [];
  engine.write = (b) => {
    batches.push(b.count);
    write.call(engine, b);
  };
  db.exec('BEGIN; INSERT INTO t VALUES (1); INSERT INTO t VALUES (2); COMMIT');
  engine.write = write;
  assert.equal(batches, [4]);
  assert.is(diff(before, dump(db)).length, 4);
  db.close();
});

test('rows buffered in one transaction keep their own bytes: decreasing sizes, blobs, NULLs and a failed statement read back exactly, before and after COMMIT', () => {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, k TEXT UNIQUE, body TEXT, b BLOB)');
  const ins = db.prepare('INSERT INTO t(k, body, b) VALUES (?, ?, ?)');
  const want: unknown[] = [];
  db.exec('BEGIN');
  for (let i = 0; i < 600; i++) {
    const body = i % 7 === 0 ? null : String.fromCharCode(97 + (i % 26)).repeat(600 - i) + (i % 5 === 0 ? 'é€𝄞' : '');
    const b = i % 3 === 0 ? null : new Uint8Array(300 - (i % 300)).fill(i & 255);
    ins.run(`k${i}`, body, b);
    want.push({ id: i + 1, k: `k${i}`, body, b });
    // A duplicate fails; nothing of it may show up later.
    if (i % 50 === 0) assert.throws(() => ins.run(`k${i}`, 'zzzz', new Uint8Array(9).fill(7)));
  }
  const read = (): unknown[] => db.prepare('SELECT id, k, body, b FROM t ORDER BY id').all();
  assert.equal(read(), want);
  db.exec('COMMIT');
  assert.equal(read(), want);
  db.close();
});

test.run();
