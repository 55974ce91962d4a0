/**
 * spec/sql-format.md §4–5: the engine keys and values the SQL layer writes.
 * Each test runs SQL through the public Database on a plain (encryption:
 * false) database directory, closes it, and reads what the engine holds with
 * the engine's own iterator (or, for batch boundaries, the WAL listing of
 * engine/dump.ts) — so these tests see the bytes a reader of the files
 * would see, not the SQL layer's view of them.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from './database.ts';
import { Sqlite3Database } from './compat.ts';
import { createWriteBatch, openEngine } from '../engine/engine.ts';
import { isHeliosError } from '../format/errors.ts';
import { dumpDatabase } from '../engine/dump.ts';
import { fromHex, toHex, utf8Decode } from '../format/bytes.ts';
import { decodeRow, encodeRow } from '../format/row-codec.ts';
import { encodeKey, encodeRowidKey } from '../format/key-codec.ts';
import { RealBox } from '../format/sql-value.ts';
import { rowidBytes, rowKey } from '../format/table-key.ts';

interface Fixture {
  readonly dir: string;
  /** Every live engine entry, key hex → value hex, in key order. */
  readonly kv: Map<string, string>;
  /** The write batches in the WAL, in order, each as its "put k = v" / "delete k" lines. */
  readonly batches: string[][];
}

const dirs: string[] = [];

/** Runs `steps` against a new plain database, closes it, and reads back the engine state. */
function run(steps: (db: Database) => void): Fixture {
  const root = mkdtempSync(join(tmpdir(), 'helios-sqlfmt-'));
  dirs.push(root);
  const dir = join(root, 'db');
  const db = new Database(dir, { encryption: false, synchronous: 'off' });
  try {
    steps(db);
  } finally {
    db.close();
  }
  return { dir, kv: engineEntries(dir), batches: walBatches(dir) };
}

function engineEntries(dir: string): Map<string, string> {
  const engine = openEngine(dir, { encryption: false, createIfMissing: false });
  const kv = new Map<string, string>();
  try {
    const it = engine.iterator();
    try {
      while (it.next()) kv.set(toHex(it.key()), toHex(it.value()));
    } finally {
      it.close();
    }
  } finally {
    engine.close();
  }
  return kv;
}

function walBatches(dir: string): string[][] {
  const batches: string[][] = [];
  for (const line of dumpDatabase(dir).split('\n')) {
    if (/^ {2}@\d+ #\d+ batch /.test(line)) batches.push([]);
    else {
      const m = /^ {4}\d+ ((?:put|delete) .*)$/.exec(line);
      if (m) batches[batches.length - 1]!.push(m[1]!);
    }
  }
  return batches;
}

const u32 = (n: number): string => n.toString(16).padStart(8, '0');
const sys = (tag: string, id?: number): string => '00000000' + tag + (id === undefined ? '' : u32(id));
const SYS_M = sys('4d');
const SYS_V = sys('56');
const schemaKey = (id: number): string => sys('53', id);
const seqKey = (id: number): string => sys('51', id);
const rid = (r: number | bigint): string => toHex(encodeRowidKey(r));

/** Keys starting with the object prefix of `id`. */
function objectKeys(f: Fixture, id: number): string[] {
  return [...f.kv.keys()].filter((k) => k.startsWith(u32(id)));
}

function schemaEntry(f: Fixture, id: number): { type: string; name: string; tbl_name: string; sql: string | null } {
  const v = f.kv.get(schemaKey(id));
  if (v === undefined) throw new Error(`no schema entry ${id}`);
  return JSON.parse(utf8Decode(fromHex(v)!)) as { type: string; name: string; tbl_name: string; sql: string | null };
}

const EXAMPLE_SQL = [
  'CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT COLLATE NOCASE, qty INTEGER, score REAL, tag BLOB)',
  'CREATE INDEX t_name ON t(name, score DESC)',
  "INSERT INTO t VALUES (5, 'Ann', 300, 2.5, x'00ff')",
];

/** The `key = value` pairs of the fenced hex block after [FMT-SQLKEY-10] in the spec. */
function specExampleEntries(): [string, string][] {
  const spec = readFileSync(join(process.cwd(), 'spec', 'sql-format.md'), 'utf8');
  const at = spec.indexOf('**[FMT-SQLKEY-10]**');
  const block = /```hex\n([\s\S]*?)```/.exec(spec.slice(at));
  assert.ok(at >= 0 && block, 'the spec holds the worked example');
  const out: [string, string][] = [];
  for (const entry of block![1]!.split(/\n\s*\n/)) {
    const [k, v] = entry.split('=');
    out.push([k!.replace(/\s+/g, ''), v!.replace(/\s+/g, '')]);
  }
  return out;
}

test('[FMT-SQLKEY-10] the worked example: the engine holds exactly the spec bytes, and the INSERT is one batch of them', () => {
  const f = run((db) => EXAMPLE_SQL.forEach((s) => db.exec(s)));
  const expected = specExampleEntries();
  assert.is(expected.length, 2);
  for (const [k, v] of expected) assert.is(f.kv.get(k), v, k);
  assert.is(f.kv.get(SYS_M), '00000003');
  assert.equal(
    [...f.kv.keys()],
    [SYS_M, schemaKey(1), schemaKey(2), expected[0]![0], expected[1]![0]],
  );
  assert.equal(f.batches[f.batches.length - 1], expected.map(([k, v]) => `put ${k} = ${v}`));
  // The same bytes from the codecs and the key helpers.
  const row = encodeRow([null, 'Ann', 300, new RealBox(2.5), new Uint8Array([0, 0xff])]);
  const ix = encodeKey(['Ann', 2.5], [{ collation: 'NOCASE' }, { desc: true }]);
  assert.is(toHex(rowKey(1, 5)) + '=' + toHex(row), expected[0]!.join('='));
  assert.is('00000002' + toHex(ix) + rid(5) + '=' + rid(5), expected[1]!.join('='));
});

test('[FMT-SQLKEY-1] system keys M, Q, S, V under object id 0 sort before every object key', () => {
  const empty = run(() => {});
  assert.is(empty.kv.size, 0, 'a database with no schema has no SQL keys');
  const f = run((db) => {
    db.exec('CREATE TABLE a(id INTEGER PRIMARY KEY AUTOINCREMENT, v)');
    db.exec("INSERT INTO a(v) VALUES ('x')");
    db.exec('PRAGMA user_version = 7');
  });
  // Table a is id 1; the sqlite_sequence entry its AUTOINCREMENT creates is id 2 ([FMT-SQLKEY-3]).
  assert.is(f.kv.get(SYS_M), '00000003');
  assert.is(utf8Decode(fromHex(f.kv.get(schemaKey(2))!)!), '{"type":"table","name":"sqlite_sequence","tbl_name":"sqlite_sequence","sql":"CREATE TABLE sqlite_sequence(name,seq)"}');
  assert.is(f.kv.get(seqKey(1)), rid(1));
  assert.is(f.kv.get(SYS_V), '00000007');
  assert.ok(f.kv.has(schemaKey(1)));
  const keys = [...f.kv.keys()];
  const firstObject = keys.findIndex((k) => !k.startsWith('00000000'));
  assert.ok(firstObject > 0 && keys.slice(firstObject).every((k) => !k.startsWith('00000000')));
  const neg = run((db) => db.exec('PRAGMA user_version = -2'));
  assert.is(neg.kv.get(SYS_V), 'fffffffe', 'user_version is a signed 32-bit big-endian integer');
});

test('[FMT-SQLKEY-2] one id counter for tables, automatic indexes (declaration order) and views; never reused after DROP', () => {
  const f = run((db) => {
    db.exec('CREATE TABLE a(x UNIQUE, y PRIMARY KEY, z, UNIQUE(z, x))');
    db.exec('CREATE VIEW v AS SELECT 1');
    db.exec('DROP TABLE a');
    db.exec('CREATE TABLE b(p)');
  });
  assert.is(f.kv.get(SYS_M), '00000007');
  assert.equal(schemaEntry(f, 6), { type: 'table', name: 'b', tbl_name: 'b', sql: 'CREATE TABLE b(p)' });
  assert.is(schemaEntry(f, 5).type, 'view');
  for (const id of [1, 2, 3, 4]) assert.not.ok(f.kv.has(schemaKey(id)), `dropped object ${id}`);
  assert.equal(objectKeys(f, 5), [], 'a view owns no keys besides its schema entry');
  const g = run((db) => db.exec('CREATE TABLE a(x UNIQUE, y PRIMARY KEY, z, UNIQUE(z, x))'));
  assert.equal([2, 3, 4].map((id) => schemaEntry(g, id).name), ['sqlite_autoindex_a_1', 'sqlite_autoindex_a_2', 'sqlite_autoindex_a_3']);
  assert.is(schemaEntry(g, 1).name, 'a');
});

test('[FMT-SQLKEY-2] a failed CREATE leaves nothing under its id and the counter rolls back with it', () => {
  const f = run((db) => {
    db.exec('CREATE TABLE a(x)');
    db.exec('INSERT INTO a VALUES (1), (1)');
    assert.throws(() => db.exec('CREATE UNIQUE INDEX ax ON a(x)'));
    db.exec('BEGIN');
    db.exec('CREATE TABLE gone(y)');
    db.exec('ROLLBACK');
    db.exec('CREATE INDEX ay ON a(x)');
  });
  assert.is(f.kv.get(SYS_M), '00000003');
  assert.is(schemaEntry(f, 2).name, 'ay');
  assert.is(objectKeys(f, 2).length, 2, 'the surviving index has one entry per row');
});

test('[FMT-SQLKEY-3] schema entries are JSON {type, name, tbl_name, sql}, sql as sqlite_schema shows it, null for automatic indexes', () => {
  let shown: unknown[] = [];
  const f = run((db) => {
    db.exec('CREATE TABLE "Pat"(id INTEGER PRIMARY KEY, mrn TEXT UNIQUE)');
    db.exec('CREATE INDEX pat_mrn ON "Pat"(mrn DESC) WHERE mrn IS NOT NULL');
    db.exec('CREATE VIEW pv AS SELECT mrn FROM "Pat"');
    shown = db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_schema').raw().all();
  });
  const entries = [1, 2, 3, 4].map((id) => {
    const text = utf8Decode(fromHex(f.kv.get(schemaKey(id))!)!);
    assert.equal(Object.keys(JSON.parse(text) as object), ['type', 'name', 'tbl_name', 'sql'], text);
    const e = schemaEntry(f, id);
    return [e.type, e.name, e.tbl_name, e.sql];
  });
  assert.equal(entries, shown);
  assert.is(entries[1]![3], null);
  assert.is(entries[1]![1], 'sqlite_autoindex_Pat_1');
});

test('[SQL-CAT-6] a trigger is one schema entry (CREATE TRIGGER text from the name on), dropped with its table; TEMP triggers write nothing', () => {
  let shown: unknown[] = [];
  const f = run((db) => {
    db.exec('CREATE TABLE t(a)');
    db.exec('CREATE TABLE u(b)');
    db.exec('CREATE TRIGGER IF NOT EXISTS main.tr AFTER INSERT ON t BEGIN INSERT INTO u VALUES(new.a); END');
    db.exec('CREATE TEMP TRIGGER tt AFTER INSERT ON t BEGIN SELECT 1; END');
    db.exec('CREATE TRIGGER gone AFTER DELETE ON u BEGIN SELECT 1; END');
    db.exec('DROP TABLE u');
    shown = db.prepare("SELECT type, name, tbl_name, rootpage, sql FROM sqlite_schema WHERE type = 'trigger'").raw().all();
  });
  assert.is(utf8Decode(fromHex(f.kv.get(schemaKey(3))!)!), '{"type":"trigger","name":"tr","tbl_name":"t","sql":"CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO u VALUES(new.a); END"}');
  assert.equal(shown, [['trigger', 'tr', 't', 0, 'CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO u VALUES(new.a); END']]);
  assert.is(f.kv.get(schemaKey(2)), undefined);
  assert.is(f.kv.get(schemaKey(4)), undefined, 'the trigger on u went with it');
  assert.is(f.kv.get(SYS_M), '00000005', 'the TEMP trigger took no id');
});

test('[FMT-SQLKEY-3] ALTER TABLE RENAME rewrites schema entries in place: same ids, no data key moves', () => {
  const before = run((db) => {
    db.exec('CREATE TABLE a(x UNIQUE, y)');
    db.exec('CREATE INDEX ay ON a(y)');
    db.exec("INSERT INTO a VALUES (1, 'p'), (2, 'q')");
  }).kv;
  const g = run((db) => {
    db.exec('CREATE TABLE a(x UNIQUE, y)');
    db.exec('CREATE INDEX ay ON a(y)');
    db.exec("INSERT INTO a VALUES (1, 'p'), (2, 'q')");
    db.exec('ALTER TABLE a RENAME TO b');
  });
  const data = (m: Map<string, string>): [string, string][] => [...m].filter(([k]) => !k.startsWith('00000000'));
  assert.equal(data(g.kv), data(before));
  assert.equal([1, 2, 3].map((id) => [schemaEntry(g, id).name, schemaEntry(g, id).tbl_name]), [['b', 'b'], ['sqlite_autoindex_b_1', 'b'], ['ay', 'b']]);
  assert.match(schemaEntry(g, 3).sql!, /^CREATE INDEX ay ON "?b"?\(y\)$/);
});

test('[FMT-SQLKEY-4] table rows live under tableId ‖ rowid8 in rowid order, negative and 64-bit rowids included', () => {
  const f = run((db) => {
    db.exec('CREATE TABLE a(v)');
    db.exec('INSERT INTO a(rowid, v) VALUES (9223372036854775807, 1), (-1, 2), (3, 3), (-9223372036854775808, 4)');
  });
  const keys = objectKeys(f, 1);
  assert.equal(keys, ['00000001' + '0000000000000000', '00000001' + '7fffffffffffffff', '00000001' + '8000000000000003', '00000001' + 'ffffffffffffffff']);
  assert.equal(keys.map((k) => decodeRow(fromHex(f.kv.get(k)!)!)), [[4], [2], [3], [1]]);
});

test('[FMT-SQLKEY-4] a WITHOUT ROWID table is stored as a rowid table with its PRIMARY KEY as an automatic UNIQUE index', () => {
  const f = run((db) => {
    db.exec('CREATE TABLE w(k TEXT PRIMARY KEY, v) WITHOUT ROWID');
    db.exec("INSERT INTO w VALUES ('b', 1), ('a', 2)");
  });
  assert.equal(objectKeys(f, 1), ['00000001' + rid(1), '00000001' + rid(2)]);
  assert.is(schemaEntry(f, 2).name, 'sqlite_autoindex_w_1');
  assert.equal(objectKeys(f, 2), ['00000002' + toHex(encodeKey(['a'])), '00000002' + toHex(encodeKey(['b']))]);
  assert.is(f.kv.get('00000002' + toHex(encodeKey(['a']))), rid(2));
});

test('[FMT-SQLKEY-5] row values: declared columns after affinity, the rowid alias stored as NULL, short rows after ADD COLUMN', () => {
  let read: unknown[] = [];
  const f = run((db) => {
    db.exec('CREATE TABLE a(id INTEGER PRIMARY KEY, t TEXT, n NUMERIC, r REAL, b)');
    db.exec("INSERT INTO a VALUES (7, 12, '3', 2, x'01')");
    db.exec("ALTER TABLE a ADD COLUMN c TEXT DEFAULT 'dflt'");
    db.exec("INSERT INTO a VALUES (8, 'x', 1.5, 0.5, NULL, 'own')");
    read = db.prepare('SELECT * FROM a ORDER BY id').raw().all();
  });
  assert.is(f.kv.get(toHex(rowKey(1, 7))), toHex(encodeRow([null, '12', 3, new RealBox(2), new Uint8Array([1])])));
  assert.is(f.kv.get(toHex(rowKey(1, 8))), toHex(encodeRow([null, 'x', 1.5, 0.5, null, 'own'])));
  assert.equal(read, [[7, '12', 3, 2, new Uint8Array([1]), 'dflt'], [8, 'x', 1.5, 0.5, null, 'own']]);
});

test('[FMT-SQLKEY-5] only INTEGER PRIMARY KEY (not INT, not DESC) aliases the rowid; other primary keys are stored in the row', () => {
  const f = run((db) => {
    db.exec('CREATE TABLE a(id INTEGER PRIMARY KEY, v)');
    db.exec('CREATE TABLE b(id INT PRIMARY KEY, v)');
    db.exec('CREATE TABLE c(id INTEGER PRIMARY KEY DESC, v)');
    for (const t of ['a', 'b', 'c']) db.exec(`INSERT INTO ${t} VALUES (40, 'v')`);
  });
  assert.is(f.kv.get(toHex(rowKey(1, 40))), toHex(encodeRow([null, 'v'])));
  assert.is(schemaEntry(f, 3).name, 'sqlite_autoindex_b_1');
  assert.is(f.kv.get(toHex(rowKey(2, 1))), toHex(encodeRow([40, 'v'])));
  assert.is(f.kv.get('00000003' + toHex(encodeKey([40]))), rid(1));
  assert.is(schemaEntry(f, 5).name, 'sqlite_autoindex_c_1');
  assert.is(f.kv.get(toHex(rowKey(4, 1))), toHex(encodeRow([40, 'v'])));
  assert.is(f.kv.get('00000005' + toHex(encodeKey([40], [{ desc: true }]))), rid(1));
});

test('[FMT-SQLKEY-6] index entries: key(values) ‖ rowid8 with the rowid as value; UNIQUE without NULL drops the rowid', () => {
  const f = run((db) => {
    db.exec('CREATE TABLE a(x, y UNIQUE)');
    db.exec('CREATE INDEX ax ON a(x COLLATE NOCASE DESC)');
    db.exec("INSERT INTO a VALUES ('Q', 10), ('q', NULL), (NULL, NULL)");
  });
  const ax = (v: string | null, r: number): string => '00000003' + toHex(encodeKey([v], [{ desc: true, collation: 'NOCASE' }])) + rid(r);
  assert.equal(objectKeys(f, 3), [ax('q', 1), ax('q', 2), ax(null, 3)], 'DESC: NULL last; equal NOCASE keys ordered by rowid');
  for (const [k, r] of [[ax('q', 1), 1], [ax('q', 2), 2], [ax(null, 3), 3]] as const) assert.is(f.kv.get(k), rid(r));
  const uy = objectKeys(f, 2);
  assert.equal(uy, ['00000002' + toHex(encodeKey([null])) + rid(2), '00000002' + toHex(encodeKey([null])) + rid(3), '00000002' + toHex(encodeKey([10]))]);
  assert.is(f.kv.get('00000002' + toHex(encodeKey([10]))), rid(1));
});

test('[FMT-SQLKEY-6] expression, rowid and partial index terms', () => {
  const f = run((db) => {
    db.exec('CREATE TABLE a(x, y)');
    db.exec('CREATE INDEX e ON a(x + 1, rowid)');
    db.exec('CREATE INDEX p ON a(y) WHERE y > 5');
    db.exec('INSERT INTO a VALUES (1, 3), (2, 9)');
  });
  assert.equal(objectKeys(f, 2), ['00000002' + toHex(encodeKey([2, 1])) + rid(1), '00000002' + toHex(encodeKey([3, 2])) + rid(2)]);
  assert.equal(objectKeys(f, 3), ['00000003' + toHex(encodeKey([9])) + rid(2)], 'only rows where WHERE is true');
});

test('[FMT-SQLKEY-7] the AUTOINCREMENT mark: absent before the first insert, the largest rowid ever given, not reused, not moved by a failed statement, deleted with the table', () => {
  const f = run((db) => {
    db.exec('CREATE TABLE a(id INTEGER PRIMARY KEY AUTOINCREMENT, v NOT NULL)');
    assert.equal(db.prepare('SELECT count(*) FROM sqlite_sequence').raw().get(), [0]);
  });
  assert.not.ok(f.kv.has(seqKey(1)));
  let seqView: unknown[] = [];
  const g = run((db) => {
    db.exec('CREATE TABLE a(id INTEGER PRIMARY KEY AUTOINCREMENT, v NOT NULL)');
    db.exec('INSERT INTO a(v) VALUES (1), (2), (3)');
    db.exec('DELETE FROM a WHERE id = 3');
    db.exec('INSERT INTO a(v) VALUES (4)');
    assert.throws(() => db.exec('INSERT INTO a(v) VALUES (5), (NULL)'));
    seqView = db.prepare('SELECT name, seq FROM sqlite_sequence').raw().all();
  });
  assert.is(g.kv.get(seqKey(1)), rid(4));
  assert.equal(objectKeys(g, 1), ['00000001' + rid(1), '00000001' + rid(2), '00000001' + rid(4)]);
  assert.equal(seqView, [['a', 4]]);
  const h = run((db) => {
    db.exec('CREATE TABLE a(id INTEGER PRIMARY KEY AUTOINCREMENT)');
    db.exec('INSERT INTO a VALUES (9223372036854775000)');
    db.exec('DROP TABLE a');
  });
  assert.not.ok(h.kv.has(seqKey(1)));
});

test('[FMT-SQLKEY-8] DROP TABLE removes its rows, its indexes, their schema entries and its mark; DROP INDEX its range; M stays', () => {
  const f = run((db) => {
    db.exec('CREATE TABLE a(id INTEGER PRIMARY KEY AUTOINCREMENT, x UNIQUE)');
    db.exec('CREATE INDEX ax ON a(x, id)');
    db.exec('CREATE TABLE keep(y)');
    db.exec('CREATE INDEX ky ON keep(y)');
    db.exec('INSERT INTO a(x) VALUES (1), (2)');
    db.exec('INSERT INTO keep VALUES (3)');
    db.exec('DROP TABLE a');
    db.exec('DROP INDEX ky');
  });
  // a = 1, its autoindex = 2, sqlite_sequence = 3 (never dropped), ax = 4, keep = 5, ky = 6.
  assert.equal([...f.kv.keys()], [SYS_M, schemaKey(3), schemaKey(5), '00000005' + rid(1)]);
  assert.is(f.kv.get(SYS_M), '00000007');
});

test('[FMT-SQLKEY-9] a transaction reaches the engine as one batch; a rolled-back one writes nothing', () => {
  const f = run((db) => {
    db.exec('CREATE TABLE a(id INTEGER PRIMARY KEY AUTOINCREMENT, x UNIQUE)');
    db.exec('BEGIN');
    db.exec('INSERT INTO a(x) VALUES (1)');
    db.exec('INSERT INTO a(x) VALUES (2)');
    db.exec('COMMIT');
    db.exec('BEGIN');
    db.exec('INSERT INTO a(x) VALUES (3)');
    db.exec('ROLLBACK');
    db.exec('INSERT INTO a(x) VALUES (4)');
  });
  assert.is(f.batches.length, 3);
  const put = (k: string): string => `put ${k} = ${f.kv.get(k)}`;
  const row = (r: number): string => '00000001' + rid(r);
  const ux = (x: number): string => '00000002' + toHex(encodeKey([x]));
  assert.equal(new Set(f.batches[1]), new Set([put(row(1)), put(ux(1)), put(row(2)), put(ux(2)), `put ${seqKey(1)} = ${rid(2)}`]));
  assert.equal(new Set(f.batches[2]), new Set([put(row(3)), put(ux(4)), put(seqKey(1))]));
  assert.is(f.kv.get(seqKey(1)), rid(3), 'the rolled-back rowid 3 was never marked, so it is handed out again');
});

test('[FMT-KEY-10] the SQL layer writes rowid8 with the same bytes as the key codec', () => {
  for (const r of [-(2n ** 63n), -(2n ** 53n), -9007199254740991, -4294967297, -1, 0, 1, 4294967296, 9007199254740991, 2n ** 53n, 2n ** 63n - 1n]) {
    assert.is(toHex(rowidBytes(r)), rid(r), String(r));
  }
});

test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('[SQL-CAT-9] CREATE VIRTUAL TABLE writes one schema entry (its text from the name on) and no other key; a connection without the module lists it and cannot use it', () => {
  const root = mkdtempSync(join(tmpdir(), 'helios-sqlvt-'));
  dirs.push(root);
  const dir = join(root, 'db');
  const db = Sqlite3Database(dir);
  db.table('mod', (...args: string[]) => ({ columns: ['x'], *rows() { yield* args.map((a) => [a]); } }));
  db.exec("CREATE TABLE t(a); CREATE VIRTUAL TABLE IF NOT EXISTS main.v USING mod( a  b , 'c,d' )");
  db.close();
  const kv = engineEntries(dir);
  assert.is(utf8Decode(fromHex(kv.get(schemaKey(2))!)!), '{"type":"table","name":"v","tbl_name":"v","sql":"CREATE VIRTUAL TABLE v USING mod( a  b , \'c,d\' )"}');
  assert.equal(objectKeys({ dir, kv, batches: [] }, 2), []);
  assert.is(kv.get(SYS_M), u32(3));
  const own = new Database(dir, { encryption: false });
  try {
    assert.equal(own.prepare("SELECT name, rootpage FROM sqlite_schema WHERE name = 'v'").raw().all(), [['v', 0]]);
    assert.throws(() => own.prepare('SELECT * FROM v'), /no such module: mod/);
  } finally {
    own.close();
  }
  const again = Sqlite3Database(dir);
  try {
    again.table('mod', (...args: string[]) => ({ columns: ['x'], *rows() { yield* args.map((a) => [a]); } }));
    assert.equal(again.prepare('SELECT x FROM v').pluck().all(), ['a  b', "'c,d'"]);
  } finally {
    again.close();
  }
});

test('[SQL-CAT-1] the catalog is the SQL text alone: schema entries written by hand are parsed by the SQL parser at open, and text that does not parse is CORRUPTION', () => {
  const root = mkdtempSync(join(tmpdir(), 'helios-sqlcat-'));
  dirs.push(root);
  const write = (dir: string, entries: [Uint8Array, Uint8Array][]): void => {
    const engine = openEngine(dir, { encryption: false });
    try {
      const batch = createWriteBatch();
      for (const [k, v] of entries) batch.put(k, v);
      engine.write(batch);
    } finally {
      engine.close();
    }
  };
  const entry = (o: object): Uint8Array => new TextEncoder().encode(JSON.stringify(o));
  const hex = (h: string): Uint8Array => fromHex(h)!;
  const good = join(root, 'good');
  write(good, [
    [hex(SYS_M), hex('00000002')],
    [hex(schemaKey(1)), entry({ type: 'table', name: 't', tbl_name: 't', sql: 'CREATE TABLE t(a INTEGER, b TEXT COLLATE NOCASE DEFAULT \'d\', c)' })],
    // A row written before columns b and c existed: one value.
    [hex('00000001' + rid(1)), encodeRow(['7'])],
  ]);
  const db = new Database(good, { encryption: false });
  // The declared type INTEGER, the NOCASE collation and the DEFAULT come from the text only.
  assert.equal(db.prepare("SELECT a, typeof(a), b, b = 'D', c FROM t").raw().all(), [['7', 'text', 'd', 1, null]]);
  db.exec("INSERT INTO t(a) VALUES ('8')");
  assert.equal(db.prepare('SELECT typeof(a) FROM t WHERE rowid = 2').pluck().get(), 'integer');
  db.close();
  const bad = join(root, 'bad');
  write(bad, [
    [hex(SYS_M), hex('00000002')],
    [hex(schemaKey(1)), entry({ type: 'table', name: 't', tbl_name: 't', sql: 'CREATE TABLE t(a,' })],
  ]);
  // The open succeeds (so PRAGMA writable_schema can repair the entry); what needs the schema is CORRUPTION.
  const damaged = new Database(bad, { encryption: false });
  assert.throws(() => damaged.prepare('SELECT * FROM t'), (e: unknown) => isHeliosError(e, 'CORRUPTION') && (e as Error).message.startsWith('malformed database schema (t) - '));
  assert.ok(damaged.verifyIntegrity().problems.some((p) => p.startsWith('malformed database schema (t)')));
  damaged.close();
});

test.run();
