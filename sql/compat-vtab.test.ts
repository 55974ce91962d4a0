// better-sqlite3's db.table() through the drop-in (sql/compat.ts), beside better-sqlite3 itself
// where its addon loads: each scenario runs on both and must give the same record (results,
// errors, and the calls the generator and the factory saw).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sqlite3Database } from './compat.ts';
import { Database } from './database.ts';

interface Db {
  prepare(sql: string): { all(...a: unknown[]): unknown[]; get(...a: unknown[]): unknown; raw(): { get(...a: unknown[]): unknown; all(...a: unknown[]): unknown[] } };
  exec(sql: string): unknown;
  table(name: string, def: unknown): unknown;
  close(): void;
}
type Open = (path: string) => Db;

const ours: Open = (path) => Sqlite3Database(path) as unknown as Db;
let oracle: Open | null = null;
try {
  const O = createRequire(import.meta.url)('better-sqlite3') as new (path: string) => Db;
  new O(':memory:').close(); // Bun resolves the package but cannot load its native addon
  oracle = (path) => new O(path);
} catch {
  console.log('compat-vtab.test: better-sqlite3 does not load on this runtime; the comparisons with it are skipped');
}

/** What a statement gave: its value, or its error's class, code and message. */
function outcome(f: () => unknown): unknown {
  try {
    return { ok: f() };
  } catch (e) {
    const x = e as { code?: string; message: string };
    const kind = e instanceof TypeError ? 'TypeError' : e instanceof RangeError ? 'RangeError' : x.code !== undefined ? 'SqliteError' : 'Error';
    // A syntax error's position and caret are HeliosDB's own: the first words are SQLite's.
    const message = x.message.split('\n')[0]!.replace(/ \(expected .*\)/, '').replace(/ at line \d+, column \d+$/, '');
    return { error: kind, code: x.code ?? null, message };
  }
}

/**
 * Runs `scenario` on the drop-in and on better-sqlite3; returns the drop-in's record after
 * checking they agree (the log too unless `compareLog` is false: SQLite connects a virtual
 * table again whenever it reloads its schema, which other statements may cause).
 */
function same(scenario: (db: Db, log: unknown[]) => unknown, compareLog = true): unknown {
  const run = (open: Open): unknown => {
    const db = open(':memory:');
    const log: unknown[] = [];
    try {
      return { result: scenario(db, log), log };
    } finally {
      db.close();
    }
  };
  const got = run(ours) as { result: unknown; log: unknown[] };
  if (oracle !== null) {
    const want = run(oracle) as { result: unknown; log: unknown[] };
    assert.equal(compareLog ? got : got.result, compareLog ? want : want.result);
  }
  return got;
}

test('equalities bind parameters in any order; unequal values for one parameter skip the call', () => {
  const got = same((db, log) => {
    db.table('vtab', {
      columns: ['x', 'y'],
      *rows(x: unknown, y: unknown) {
        log.push([x, y]);
        yield { x, y };
      },
    });
    const q = (sql: string, ...a: unknown[]): unknown => outcome(() => db.prepare(sql).all(...a));
    return [
      q('SELECT * FROM vtab WHERE "$2" = ? AND "$1" = ?', 5, 10),
      q('SELECT * FROM vtab WHERE "$2" = ? AND "$2" = ? AND "$1" = ?', 5, 5, 10),
      q('SELECT * FROM vtab WHERE "$2" = ? AND "$2" = ? AND "$1" = ?', 5, 9, 10),
      q('SELECT * FROM vtab WHERE "$2" = "$1" AND "$1" = ?', 10),
      q('SELECT * FROM vtab WHERE "$2" = ? AND "$2" = "$1" AND "$1" = ?', 5, 10),
      q('SELECT * FROM vtab(?) WHERE "$1" = ?', 3, 3),
      q('SELECT * FROM vtab(?) WHERE "$1" = ?', 3, 4),
      q('SELECT * FROM vtab WHERE "$1" = ? AND "$2" = ?', 1, null),
    ];
  }) as { log: unknown[] };
  // A positional argument binds after the WHERE equalities (SQLite adds it to the WHERE clause last).
  assert.equal(got.log, [[10, 5], [10, 5], [10, 10], [3, undefined], [4, undefined]]);
});

test('IN lists and ORs of equalities on a parameter run the function once per distinct value, in order; joins bind per outer row', () => {
  same((db, log) => {
    db.table('vt', {
      columns: ['v'],
      parameters: ['x', 'y'],
      *rows(x: unknown, y: unknown) {
        log.push([x, y]);
        yield [x];
        yield [y];
      },
    });
    db.exec("CREATE TABLE t(a INTEGER, b TEXT); INSERT INTO t VALUES (1, '1'), (2, '2')");
    return [
      'SELECT * FROM vt WHERE x IN (2, 1, 2, NULL)',
      'SELECT * FROM vt WHERE x IN (1, 2) AND y = 5',
      'SELECT * FROM vt WHERE x IN (1, 2) AND y IN (4, 3)',
      'SELECT * FROM vt WHERE x = 1 OR x = 2',
      'SELECT * FROM vt WHERE x NOT IN (1, 2)',
      'SELECT * FROM vt WHERE x = 1 OR y = 2',
      'SELECT * FROM vt WHERE +x = 1',
      'SELECT * FROM vt WHERE x = 1 AND x = 1.0',
      'SELECT * FROM vt WHERE y = x',
      'SELECT * FROM vt(1) WHERE y = x',
      'SELECT * FROM t, vt WHERE x = t.a AND y = t.b',
      'SELECT * FROM t LEFT JOIN vt ON x = t.a',
      'SELECT * FROM t LEFT JOIN vt ON x = t.a WHERE y = 3',
      'SELECT * FROM t WHERE EXISTS (SELECT 1 FROM vt WHERE x = t.a)',
      'SELECT * FROM t WHERE a IN (SELECT v FROM vt(t.a, 7))',
      'SELECT * FROM t, vt WHERE x IN (t.a, 9)',
    ].map((sql) => outcome(() => db.prepare(sql).all()));
  });
});

test('IN (SELECT …) on a parameter is refused at prepare rather than giving no rows', () => {
  const db = ours(':memory:');
  db.table('vt', { columns: ['v'], parameters: ['x'], *rows(x: unknown) { yield [x]; } });
  assert.equal(outcome(() => db.prepare('SELECT * FROM vt WHERE x IN (SELECT 1)')), {
    error: 'SqliteError',
    code: 'SQLITE_ERROR',
    message: 'IN (SELECT …) on the parameter "x" of virtual table vt is not supported: bind it with = or IN (list)',
  });
  assert.equal(db.prepare('SELECT * FROM vt WHERE x NOT IN (SELECT 1) AND x = 2').all(), [{ v: 2 }]);
  db.close();
});

test("a parameter's hidden column has NUMERIC affinity and reads the argument as the generator got it (a number REAL), as better-sqlite3 declares and returns it", () => {
  same((db, log) => {
    db.table('vt', {
      columns: ['v', 'w'],
      parameters: ['x', 'y', 'z'],
      *rows(x: unknown, y: unknown) {
        log.push([x, y]);
        yield [x, y];
      },
    });
    return [
      "SELECT typeof(x), x = '1', x = 1, v = '1', v = 1 FROM vt('1')",
      "SELECT typeof(x), x = '1', x = 1, v = '1', v = 1 FROM vt(1)",
      "SELECT x, v FROM vt WHERE x = '1' AND x = 1",
      "SELECT x, v FROM vt WHERE x = 1 AND x = '1'",
      "SELECT x, v FROM vt WHERE x = 'a' AND x = 'A'",
      "SELECT x, v FROM vt(1) WHERE x = '1'",
      "SELECT x, v FROM vt WHERE x IN ('1', 1, '2.0')",
      "SELECT x, y, v FROM vt WHERE x = '1' AND y = x",
    ].map((sql) => outcome(() => db.prepare(sql).raw().all()));
  });
});

test('an operator other than = on a parameter is refused at prepare, with better-sqlite3\'s message', () => {
  const got = same((db) => {
    db.table('vtab', {
      columns: ['a'],
      parameters: ['x', 'y'],
      *rows(x: unknown) {
        yield [x];
      },
    });
    return [
      'x > ?', 'y < ?', 'x <= ?', '? >= y', 'x IS ?', 'x IS NOT ?', 'x != ?', 'x LIKE ?', 'x GLOB ?', 'x IS NULL', 'x NOTNULL',
      'x BETWEEN ? AND ?', 'x NOT LIKE ?', 'x NOT BETWEEN 1 AND 2', 'a > ?', 'rowid > 1', 'x = 1 OR x > 2',
    ].map((w) => outcome(() => (db.prepare(`SELECT * FROM vtab WHERE ${w}`), 'prepared')));
  }) as { result: { error?: string; message?: string }[] };
  assert.is(got.result[0]!.message, 'virtual table parameter "x" can only be constrained by the \'=\' operator');
  assert.is(got.result[14]!.error, undefined);
});

test('rows are numbered from 1 as their rowid; a column named rowid shadows it, oid still reaches it', () => {
  same((db) => {
    db.table('a', { columns: ['x'], *rows() { yield* [{ x: 5 }, { x: 10 }, { x: 20 }]; } });
    db.table('b', { columns: ['rowid'], *rows() { yield* [{ rowid: 5 }, { rowid: 10 }]; } });
    return [
      db.prepare('SELECT rowid, * FROM a').all(),
      db.prepare('SELECT x FROM a WHERE rowid = 2').all(),
      db.prepare('SELECT oid AS o, _rowid_ AS r, * FROM b').all(),
      db.prepare('SELECT a.rowid AS ra, b.rowid AS rb FROM a, b ORDER BY 1, 2').all(),
    ];
  });
});

test('a table-valued function joined on its parameter runs once per outer row, lazily', () => {
  const got = same((db, log) => {
    db.exec('CREATE TABLE t(x INTEGER); INSERT INTO t VALUES (1), (2), (4), (8), (16)');
    db.table('vtab', {
      columns: ['value'],
      parameters: ['x'],
      *rows(x: unknown) {
        log.push(x);
        if (x === 8) throw new Error('at 8');
        yield [x];
      },
    });
    const seen: unknown[] = [];
    const r = outcome(() => {
      for (const row of db.prepare('SELECT value FROM vtab JOIN t USING (x)').all()) seen.push(row);
    });
    return [r, seen, db.prepare('SELECT value FROM t, vtab WHERE vtab.x = t.x LIMIT 2').all()];
  }) as { log: unknown[] };
  assert.equal(got.log, [1, 2, 4, 8, 1, 2]);
});

test('a parameter whose only equality reads a table after it across a LEFT JOIN has no plan', () => {
  same((db) => {
    db.exec('CREATE TABLE t(x)');
    db.table('vtab', { columns: ['v'], parameters: ['p'], *rows(p: unknown) { yield [p]; } });
    return [
      outcome(() => db.prepare('SELECT * FROM vtab LEFT JOIN t ON vtab.p = t.x').all()),
      outcome(() => db.prepare('SELECT * FROM t LEFT JOIN vtab ON vtab.p = t.x').all()),
    ];
  });
});

test('a BLOB argument is a copy: changing it in the generator changes neither the bound value nor the hidden column', () => {
  same((db) => {
    const input = Buffer.alloc(64).fill(0xbb);
    db.table('vtab', {
      columns: ['x'],
      *rows(arg: Uint8Array) {
        input[0] = 2;
        arg[0] = 2;
        yield [arg];
      },
    });
    const [bound, hidden, x] = db.prepare('SELECT :input, "$1", x FROM vtab(:input)').raw().get({ input }) as Buffer[];
    return [bound![0], hidden![0], x![0]];
  });
});

/** A module whose tables have one row per argument, its text; the factory's calls go to `log`. */
function argsModule(db: Db, log: unknown[], name = 'mod'): void {
  db.table(name, function (this: unknown, ...args: string[]) {
    log.push({ this: this, args });
    return {
      columns: ['x'],
      parameters: ['p'],
      *rows() {
        yield* args.map((a) => [a]);
      },
    };
  });
}

const dir = mkdtempSync(join(tmpdir(), 'helios-vtab-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('CREATE VIRTUAL TABLE calls the factory once with the arguments as written; the table reads its definition', () => {
  const got = same((db, log) => {
    argsModule(db, log);
    db.table('ep', { columns: ['x'], *rows() { yield [1]; } });
    const ex = (sql: string): unknown => outcome(() => (db.exec(sql), 'done'));
    const all = (sql: string): unknown => outcome(() => db.prepare(sql).all());
    return [
      ex("CREATE VIRTUAL TABLE foo USING mod(hello world, 'q''s', (a,b), \"x\" , ?)"),
      ex('CREATE VIRTUAL TABLE IF NOT EXISTS foo USING mod(1)'),
      ex('CREATE VIRTUAL TABLE foo USING mod(1)'),
      ex('CREATE VIRTUAL TABLE Bar USING MOD'),
      ex('create virtual table main.baz using mod ( a , , b(c, d) , )'),
      ex('CREATE VIRTUAL TABLE e1 USING ep'),
      ex('CREATE VIRTUAL TABLE e2 USING nomod(1)'),
      ex('CREATE VIRTUAL TABLE sqlite_x USING mod'),
      ex('CREATE TEMP VIRTUAL TABLE e3 USING mod'),
      ex('CREATE VIRTUAL TABLE e4 USING mod(a'),
      all('SELECT type, name, tbl_name, rootpage, sql FROM sqlite_master'),
      all('SELECT rowid, *, p FROM foo'),
      all('SELECT * FROM bar(1)'),
      all('SELECT * FROM bar(1, 2)'),
      all('SELECT * FROM foo WHERE p > 1'),
      all('SELECT * FROM mod'),
      ex('CREATE TABLE foo(x)'),
      ex('CREATE VIEW baz AS SELECT 1'),
      ex('CREATE VIEW v AS SELECT x FROM baz'),
      all('SELECT * FROM v'),
    ];
  }, false) as { log: unknown[] };
  // Once per CREATE: the connection keeps what the factory made.
  assert.equal(got.log, [
    { this: { module: 'mod', database: 'main', table: 'foo' }, args: ['hello world', "'q''s'", '(a,b)', '"x"', '?'] },
    { this: { module: 'MOD', database: 'main', table: 'Bar' }, args: [] },
    { this: { module: 'mod', database: 'main', table: 'baz' }, args: ['a', 'b(c, d)'] },
  ]);
});

test('a virtual table cannot be written, indexed, given triggers or altered; RENAME TO and DROP TABLE work', () => {
  same((db, log) => {
    argsModule(db, log);
    db.exec('CREATE VIRTUAL TABLE q USING mod(1, 2); CREATE TABLE t(a); CREATE VIEW v AS SELECT q.x FROM q');
    db.exec('CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT x FROM q WHERE p = new.a; END');
    const ex = (sql: string): unknown => outcome(() => (db.exec(sql), 'done'));
    return [
      ex('INSERT INTO q VALUES (1)'),
      ex('UPDATE q SET x = 1'),
      ex('DELETE FROM q'),
      ex('CREATE INDEX i ON q(x)'),
      ex('CREATE TRIGGER tq AFTER INSERT ON q BEGIN SELECT 1; END'),
      ex('ALTER TABLE q ADD COLUMN y'),
      ex('ALTER TABLE q RENAME COLUMN x TO y'),
      ex('ALTER TABLE q DROP COLUMN x'),
      ex('ALTER TABLE q RENAME TO t'),
      ex('ALTER TABLE q RENAME TO q2'),
      ex('ALTER TABLE t RENAME TO t2'),
      outcome(() => db.prepare('SELECT sql FROM sqlite_master').all()),
      outcome(() => db.prepare('SELECT x FROM q2').all()),
      outcome(() => db.prepare('SELECT * FROM v').all()),
      ex('INSERT INTO t2 VALUES (1)'),
      outcome(() => db.prepare('SELECT * FROM pragma_table_info(?)').all('q2')),
      outcome(() => db.prepare('SELECT * FROM pragma_table_xinfo(?)').all('q2')),
      outcome(() => db.prepare("SELECT * FROM pragma_table_list WHERE name NOT LIKE 'sqlite%' AND type <> 'view' ORDER BY name").all()),
      ex('DROP VIEW v'),
      ex('DROP VIEW q2'),
      ex('DROP TABLE q2'),
      ex('DROP TABLE IF EXISTS q2'),
      ex('DROP TABLE q2'),
      outcome(() => db.prepare('SELECT count(*) AS n FROM sqlite_master').all()),
    ];
  }, false);
});

test('CREATE VIRTUAL TABLE is undone by ROLLBACK; what the factory throws comes through unchanged and creates nothing', () => {
  same((db, log) => {
    argsModule(db, log);
    const boom = { boom: true };
    db.table('bad', () => {
      throw boom;
    });
    db.table('notdef', () => 5);
    const ex = (sql: string): unknown => outcome(() => (db.exec(sql), 'done'));
    let same = false;
    try {
      db.exec('CREATE VIRTUAL TABLE b USING bad');
    } catch (e) {
      same = e === boom;
    }
    return [
      same,
      ex('BEGIN; CREATE VIRTUAL TABLE r USING mod(z); ROLLBACK'),
      ex('CREATE VIRTUAL TABLE n USING notdef'),
      outcome(() => db.prepare('SELECT name FROM sqlite_master').all()),
      outcome(() => db.prepare('SELECT * FROM r').all()),
      outcome(() => db.prepare('SELECT * FROM b').all()),
    ];
  });
});

test('a virtual table created again after a ROLLBACK undid it calls its factory again', () => {
  same((db, log) => {
    argsModule(db, log);
    db.exec('BEGIN; CREATE VIRTUAL TABLE r USING mod(1); ROLLBACK');
    db.exec('CREATE VIRTUAL TABLE r USING mod(1)');
    return db.prepare('SELECT x FROM r').all();
  });
});

test('[SQL-CAT-9] a virtual table stays in the schema across a reopen: without its module using or dropping it is "no such module", with it the factory runs again', () => {
  const run = (open: Open, path: string): unknown => {
    const log: unknown[] = [];
    let db = open(path);
    argsModule(db, log);
    db.exec("CREATE TABLE t(a); CREATE VIRTUAL TABLE foo USING mod(a b, 'c'); CREATE VIEW v AS SELECT x FROM foo");
    db.close();
    db = open(path);
    const out: unknown[] = [
      outcome(() => db.prepare("SELECT name, type, ncol FROM pragma_table_list WHERE name NOT LIKE 'sqlite%' ORDER BY name").all()),
      outcome(() => db.prepare('SELECT * FROM pragma_table_info(?)').all('foo')),
      outcome(() => db.prepare('SELECT * FROM foo').all()),
      outcome(() => db.prepare('SELECT * FROM v').all()),
      outcome(() => db.prepare("SELECT name, rootpage = 0 AND type = 'table' AS virtual, sql FROM sqlite_master").all()),
      outcome(() => (db.exec('DROP TABLE foo'), 'done')),
      outcome(() => (db.exec('CREATE TABLE foo(y)'), 'done')),
    ];
    argsModule(db, log);
    out.push(outcome(() => db.prepare('SELECT * FROM foo').all()), outcome(() => db.prepare('SELECT * FROM v').all()), outcome(() => (db.exec('DROP TABLE foo'), 'done')));
    out.push(outcome(() => db.prepare('SELECT name FROM sqlite_master').all()));
    db.close();
    return { out, log };
  };
  const got = run(ours, join(dir, 'reopen.db'));
  if (oracle !== null) assert.equal(got, run(oracle, join(dir, 'reopen.sqlite')));
  // HeliosDB's own class registers no modules: it lists the table and cannot use it.
  const path = join(dir, 'own.db');
  const db = ours(path);
  argsModule(db, []);
  db.exec('CREATE VIRTUAL TABLE foo USING mod(1)');
  db.close();
  const own = new Database(path, { encryption: false });
  try {
    assert.equal(own.prepare('SELECT name FROM sqlite_master').all(), [{ name: 'foo' }]);
    assert.throws(() => own.prepare('SELECT * FROM foo').all(), /no such module: mod/);
  } finally {
    own.close();
  }
});

test('on a readonly connection CREATE VIRTUAL TABLE is SQLITE_READONLY before the factory runs; a factory failing on a later connection fails that statement and runs again on the next', () => {
  const run = (open: (path: string, o?: object) => Db, path: string): unknown => {
    let db = open(path);
    let calls = 0;
    let fail = false;
    const mod = (): unknown => {
      calls++;
      if (fail) throw new RangeError('not now');
      return { columns: ['x'], *rows() { yield [1]; } };
    };
    db.table('mod', mod);
    db.exec('CREATE TABLE t(a); CREATE VIRTUAL TABLE v USING mod');
    db.close();
    db = open(path, { readonly: true });
    db.table('mod', mod);
    const out: unknown[] = [outcome(() => (db.exec('CREATE VIRTUAL TABLE w USING mod'), 'done')), calls];
    db.close();
    db = open(path);
    fail = true;
    db.table('mod', mod);
    out.push(outcome(() => db.prepare('SELECT x FROM v').all()), calls);
    fail = false;
    out.push(outcome(() => db.prepare('SELECT x FROM v').all()), outcome(() => db.prepare('SELECT x FROM v').all()), calls);
    db.close();
    return out;
  };
  const mine = (path: string, o?: object): Db => Sqlite3Database(path, o) as unknown as Db;
  const got = run(mine, join(dir, 'ro.db'));
  if (oracle !== null) {
    const O = createRequire(import.meta.url)('better-sqlite3') as new (path: string, o?: object) => Db;
    assert.equal(got, run((path, o) => new O(path, o), join(dir, 'ro.sqlite')));
  }
  assert.equal((got as unknown[])[1], 1);
});

test('CREATE VIRTUAL TABLE temp.name: the factory is told database temp, sqlite_temp_schema lists it, it shadows a main table and goes with the connection', () => {
  const run = (open: Open, path: string): unknown => {
    const log: unknown[] = [];
    let db = open(path);
    argsModule(db, log);
    const ex = (sql: string): unknown => outcome(() => (db.exec(sql), 'done'));
    const all = (sql: string): unknown => outcome(() => db.prepare(sql).all());
    const out = [
      ex("CREATE TABLE s(x); INSERT INTO s VALUES ('main s'); CREATE VIRTUAL TABLE temp.s USING mod(temp s)"),
      ex('CREATE VIRTUAL TABLE temp.s USING mod(again)'),
      ex('CREATE VIRTUAL TABLE IF NOT EXISTS temp.s USING mod(again)'),
      ex('CREATE VIRTUAL TABLE nope.s USING mod'),
      all('SELECT x FROM s'),
      all('SELECT x FROM main.s'),
      all('SELECT x FROM temp.s'),
      all("SELECT type, name, rootpage, sql FROM sqlite_temp_schema"),
      all("SELECT name FROM sqlite_schema"),
      ex('INSERT INTO s VALUES (1)'),
      ex('INSERT INTO main.s VALUES (2)'),
      ex('BEGIN; CREATE VIRTUAL TABLE temp.r USING mod(r); ROLLBACK'),
      all('SELECT name FROM sqlite_temp_schema'),
      ex('DROP TABLE s'),
      all('SELECT x FROM s'),
      ex('CREATE VIRTUAL TABLE temp.u USING mod(u)'),
    ];
    db.close();
    db = open(path);
    argsModule(db, log);
    out.push(all('SELECT * FROM u'), all('SELECT name FROM sqlite_temp_schema'));
    db.close();
    return { out, log };
  };
  const got = run(ours, join(dir, 'temp.db')) as { out: unknown[]; log: unknown[] };
  // SQLite connects the tables again after the ROLLBACK (it reloads the schema): the calls differ, the results not.
  if (oracle !== null) assert.equal(got.out, (run(oracle, join(dir, 'temp.sqlite')) as { out: unknown[] }).out);
  assert.equal(got.log[0], { this: { module: 'mod', database: 'temp', table: 's' }, args: ['temp s'] });
  // ALTER TABLE on TEMP objects is not supported (README); SQLite would rename it.
  const db = ours(':memory:');
  argsModule(db, []);
  db.exec('CREATE VIRTUAL TABLE temp.s USING mod');
  assert.equal(outcome(() => db.exec('ALTER TABLE s RENAME TO s2')), { error: 'SqliteError', code: 'SQLITE_ERROR', message: 'ALTER TABLE on a TEMP table is not supported' });
  db.close();
});

test.run();
