// better-sqlite3's db.table() through the drop-in (sql/compat.ts), beside better-sqlite3 itself
// where its addon loads: each scenario runs on both and must give the same record (results,
// errors, and the calls the generator and the factory saw).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRequire } from 'node:module';
import { Sqlite3Database } from './compat.ts';

interface Db {
  prepare(sql: string): { all(...a: unknown[]): unknown[]; get(...a: unknown[]): unknown; raw(): { get(...a: unknown[]): unknown } };
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
    return { error: kind, code: x.code ?? null, message: x.message };
  }
}

/** Runs `scenario` on the drop-in and on better-sqlite3; returns the drop-in's record after checking they agree. */
function same(scenario: (db: Db, log: unknown[]) => unknown): unknown {
  const run = (open: Open): unknown => {
    const db = open(':memory:');
    const log: unknown[] = [];
    try {
      return { result: scenario(db, log), log };
    } finally {
      db.close();
    }
  };
  const got = run(ours);
  if (oracle !== null) assert.equal(got, run(oracle));
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

test.run();
