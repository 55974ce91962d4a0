/**
 * Triggers against SQLite itself: each script runs statement by statement on
 * better-sqlite3 (the oracle) and on HeliosDB, encrypted and unencrypted;
 * every statement's outcome must be the same — rows of a query, changes()
 * and last_insert_rowid() of a write, or the error message.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sqliteOracleOrNull } from '../scripts/slt-backend.ts';
import { splitStatements } from './shell/sql-complete.ts';
import { Database, type DatabaseOptions } from './database.ts';
import { isHeliosError } from '../format/errors.ts';

const KEY = new Uint8Array(32).fill(9);
const MODES: [string, DatabaseOptions][] = [
  ['encrypted', { key: { raw: KEY }, synchronous: 'off' }],
  ['unencrypted', { encryption: false, synchronous: 'off' }],
];

interface Runner {
  run(sql: string): string;
  close(): void;
}

const show = (v: unknown): string => (typeof v === 'bigint' ? `${v}` : v instanceof Uint8Array ? `x'${Buffer.from(v).toString('hex')}'` : JSON.stringify(v));
/** The message without our position suffix and caret excerpt. */
const message = (e: unknown): string => String((e as Error).message).split('\n')[0]!.replace(/ at line \d+, column \d+$/, '');

interface Oracle {
  prepare(sql: string): { reader: boolean; raw(): { safeIntegers(): { all(): unknown[] } }; run(): { changes: number; lastInsertRowid: number | bigint } };
  close(): void;
}
const openOracle = sqliteOracleOrNull<Oracle>('trigger.test', 'comparing the encrypted and unencrypted runs only');

function sqliteRunner(): Runner | null {
  if (openOracle === null) return null;
  const db = openOracle();
  return {
    run(sql) {
      try {
        const st = db.prepare(sql);
        if (st.reader) return (st.raw().safeIntegers().all() as unknown[][]).map((r) => r.map(show).join('|')).join(' ; ');
        const r = st.run();
        return `changes=${r.changes} rowid=${r.lastInsertRowid}`;
      } catch (e) {
        return `error: ${message(e)}`;
      }
    },
    close: () => db.close(),
  };
}

function heliosRunner(opts: DatabaseOptions): Runner & { codes: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'helios-trigger-'));
  const db = new Database(join(dir, 'db'), opts);
  const codes: string[] = [];
  return {
    codes,
    run(sql) {
      try {
        const st = db.prepare(sql);
        if (st.reader) return (st.raw().safeIntegers().all() as unknown[][]).map((r) => r.map(show).join('|')).join(' ; ');
        const r = st.run();
        return `changes=${r.changes} rowid=${r.lastInsertRowid}`;
      } catch (e) {
        if (!isHeliosError(e)) throw e;
        codes.push(e.code);
        return `error: ${message(e)}`;
      }
    },
    close: () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs `script` (statements split by our parser) on SQLite and on both HeliosDB modes; returns Helios's error codes. */
function same(script: string): string[] {
  const stmts = splitStatements(script);
  const oracle = sqliteRunner();
  let expected: string[] | null = null;
  if (oracle !== null) {
    expected = stmts.map((s) => `${s}\n  => ${oracle.run(s)}`);
    oracle.close();
  }
  let codes: string[] = [];
  for (const [mode, opts] of MODES) {
    const h = heliosRunner(opts);
    try {
      const actual = stmts.map((s) => `${s}\n  => ${h.run(s)}`);
      expected ??= actual;
      assert.equal(actual.join('\n'), expected.join('\n'), mode);
      codes = h.codes;
    } finally {
      h.close();
    }
  }
  return codes;
}

test('audit table: AFTER INSERT / UPDATE / DELETE with NEW and OLD', () => {
  same(`
    CREATE TABLE patients(id INTEGER PRIMARY KEY, mrn TEXT UNIQUE, name TEXT);
    CREATE TABLE audit(seq INTEGER PRIMARY KEY, op TEXT, pid, old_name, new_name);
    CREATE TRIGGER patients_ai AFTER INSERT ON patients BEGIN INSERT INTO audit(op, pid, new_name) VALUES('I', new.id, new.name); END;
    CREATE TRIGGER patients_au AFTER UPDATE ON patients BEGIN INSERT INTO audit(op, pid, old_name, new_name) VALUES('U', new.id, old.name, new.name); END;
    CREATE TRIGGER patients_ad AFTER DELETE ON patients BEGIN INSERT INTO audit(op, pid, old_name) VALUES('D', old.id, old.name); END;
    INSERT INTO patients(mrn, name) VALUES('m1', 'Ann'), ('m2', 'Bob');
    SELECT changes(), last_insert_rowid(), total_changes();
    UPDATE patients SET name = upper(name);
    SELECT changes(), total_changes();
    DELETE FROM patients WHERE id = 1;
    SELECT * FROM audit;
    SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE type = 'trigger';
  `);
});

test('updated_at maintained by an AFTER UPDATE trigger that updates its own row (no recursion by default)', () => {
  same(`
    CREATE TABLE doc(id INTEGER PRIMARY KEY, body TEXT, version INTEGER DEFAULT 0, updated_at TEXT);
    CREATE TRIGGER doc_touch AFTER UPDATE OF body ON doc BEGIN UPDATE doc SET version = version + 1, updated_at = 'T' || (old.version + 1) WHERE id = new.id; END;
    INSERT INTO doc(body) VALUES('a'), ('b');
    UPDATE doc SET body = body || '!' WHERE id = 1;
    SELECT changes();
    UPDATE doc SET version = 10 WHERE id = 2;
    SELECT * FROM doc;
  `);
});

test('BEFORE INSERT sees NEW with affinity applied and rowid -1; multiple triggers fire newest first', () => {
  same(`
    CREATE TABLE t(id INTEGER PRIMARY KEY, n INTEGER, s TEXT);
    CREATE TABLE log(k, a, b, c);
    CREATE TRIGGER b1 BEFORE INSERT ON t BEGIN INSERT INTO log VALUES('b1', new.id, new.rowid, typeof(new.n)); END;
    CREATE TRIGGER b2 BEFORE INSERT ON t BEGIN INSERT INTO log VALUES('b2', new.id, typeof(new.s), new.n); END;
    CREATE TRIGGER a1 AFTER INSERT ON t BEGIN INSERT INTO log VALUES('a1', new.id, last_insert_rowid(), changes()); END;
    CREATE TRIGGER a2 AFTER INSERT ON t FOR EACH ROW BEGIN INSERT INTO log VALUES('a2', new.id, new.rowid, new.s); END;
    INSERT INTO t(n, s) VALUES('12', 5), ('x', 6);
    INSERT INTO t VALUES(10, 1, 1);
    SELECT last_insert_rowid(), changes();
    SELECT * FROM log;
  `);
});

test('WHEN clauses and UPDATE OF columns', () => {
  same(`
    CREATE TABLE t(a, b, c);
    CREATE TABLE log(x);
    CREATE TRIGGER w1 AFTER UPDATE OF a, c ON t WHEN new.a > 5 BEGIN INSERT INTO log VALUES('w1:' || new.a); END;
    CREATE TRIGGER w2 BEFORE DELETE ON t WHEN old.b IS NULL BEGIN INSERT INTO log VALUES('w2:' || old.a); END;
    CREATE TRIGGER w3 AFTER UPDATE OF nosuch ON t BEGIN INSERT INTO log VALUES('w3'); END;
    INSERT INTO t VALUES(1, 2, 3), (7, NULL, 9);
    UPDATE t SET a = a + 1;
    UPDATE t SET b = 1;
    UPDATE t SET c = c;
    DELETE FROM t WHERE b IS NULL;
    UPDATE t SET b = NULL;
    DELETE FROM t;
    SELECT * FROM log;
  `);
});

test('RAISE(ABORT) undoes the whole statement; RAISE(FAIL) keeps earlier rows; RAISE(IGNORE) skips the row', () => {
  const codes = same(`
    CREATE TABLE t(x INTEGER);
    CREATE TABLE log(x);
    CREATE TRIGGER chk BEFORE INSERT ON t BEGIN
      SELECT RAISE(ABORT, 'negative: ' || new.x) WHERE new.x < 0;
      SELECT RAISE(FAIL, 'too big') WHERE new.x > 100;
      SELECT RAISE(IGNORE) WHERE new.x = 0;
      INSERT INTO log VALUES(new.x);
    END;
    INSERT INTO t VALUES(1), (2), (-3), (4);
    SELECT * FROM t;
    SELECT changes();
    INSERT INTO t VALUES(5), (0), (6);
    SELECT changes();
    INSERT INTO t VALUES(7), (200), (8);
    SELECT * FROM t;
    SELECT * FROM log;
    BEGIN;
    INSERT INTO t VALUES(9);
    INSERT INTO t VALUES(-1);
    COMMIT;
    SELECT * FROM t;
  `);
  assert.equal(codes, ['CONSTRAINT_TRIGGER', 'CONSTRAINT_TRIGGER', 'CONSTRAINT_TRIGGER']);
});

test('a row whose AFTER UPDATE trigger fails with RAISE(FAIL) still counts in changes() (UPDATE and upsert)', () => {
  // Found by fuzz/differential-triggers: changes() left that row out.
  same(`
    CREATE TABLE b(id INTEGER PRIMARY KEY, x UNIQUE);
    INSERT INTO b VALUES(1, 1), (2, 2);
    CREATE TRIGGER f AFTER UPDATE ON b BEGIN SELECT RAISE(FAIL, 'f') WHERE NEW.id = 2; END;
    UPDATE b SET x = x + 10;
    SELECT changes(), total_changes();
    UPDATE b SET x = 9 WHERE id = 2;
    SELECT changes();
    INSERT INTO b VALUES(3, 3), (2, 0), (4, 4) ON CONFLICT DO UPDATE SET x = 7;
    SELECT changes(), total_changes();
    SELECT * FROM b;
  `);
});

test('RAISE(ROLLBACK) abandons the transaction; RAISE outside a trigger is an error', () => {
  same(`
    CREATE TABLE t(x);
    CREATE TRIGGER r AFTER INSERT ON t WHEN new.x = 'bad' BEGIN SELECT RAISE(ROLLBACK, 'rolled back'); END;
    BEGIN;
    INSERT INTO t VALUES('ok');
    INSERT INTO t VALUES('bad');
    SELECT * FROM t;
    COMMIT;
    SELECT RAISE(ABORT, 'x');
    SELECT count(*) FROM t;
  `);
});

test('RAISE(IGNORE) in AFTER and nested triggers: the firing row stays, the rest of its triggers do not run', () => {
  same(`
    CREATE TABLE a(x);
    CREATE TABLE b(y);
    CREATE TABLE log(z);
    CREATE TRIGGER a1 AFTER INSERT ON a BEGIN INSERT INTO b VALUES(new.x); INSERT INTO b VALUES(new.x * 10); INSERT INTO log VALUES('a1 ' || new.x); END;
    CREATE TRIGGER b1 BEFORE INSERT ON b WHEN new.y = 20 BEGIN SELECT RAISE(IGNORE); END;
    CREATE TRIGGER a2 AFTER INSERT ON a WHEN new.x = 3 BEGIN SELECT RAISE(IGNORE); END;
    CREATE TRIGGER a0 AFTER INSERT ON a BEGIN INSERT INTO log VALUES('a0 ' || new.x); END;
    INSERT INTO a VALUES(1), (2), (3);
    SELECT changes();
    SELECT * FROM a;
    SELECT * FROM b;
    SELECT * FROM log;
  `);
});

test('recursive_triggers: off by default, on lets a trigger fire itself up to 1000 levels', () => {
  same(`
    CREATE TABLE r(n);
    CREATE TRIGGER rr AFTER INSERT ON r WHEN new.n < 2000 BEGIN INSERT INTO r VALUES(new.n + 1); END;
    PRAGMA recursive_triggers;
    INSERT INTO r VALUES(1);
    SELECT count(*), max(n) FROM r;
    PRAGMA recursive_triggers = ON;
    PRAGMA recursive_triggers;
    DELETE FROM r;
    INSERT INTO r VALUES(1);
    SELECT count(*) FROM r;
    INSERT INTO r VALUES(1001);
    SELECT count(*), max(n) FROM r;
    DELETE FROM r;
    INSERT INTO r VALUES(1000);
    SELECT count(*) FROM r;
  `);
});

test('a REPLACE inside a BEFORE DELETE trigger recursing until the stack runs out is the recursion error, not a crash', () => {
  // Found by fuzz/differential-triggers: the overflow check itself overflowed (a SyntaxError escaped, or V8 aborted in its regexp compiler).
  same(`
    CREATE TABLE b(id INTEGER PRIMARY KEY, x, y UNIQUE);
    PRAGMA recursive_triggers = ON;
    CREATE TRIGGER t0 BEFORE DELETE ON b BEGIN INSERT OR REPLACE INTO b(x, y) VALUES(OLD.id, OLD.x); END;
    INSERT INTO b(x, y) VALUES(0, 0), (0, -1);
    DELETE FROM b;
    SELECT * FROM b;
  `);
});

test('REPLACE deletes fire DELETE triggers only with recursive_triggers on', () => {
  same(`
    CREATE TABLE t(id INTEGER PRIMARY KEY, u UNIQUE, v);
    CREATE TABLE log(x);
    CREATE TRIGGER d AFTER DELETE ON t BEGIN INSERT INTO log VALUES('del ' || old.id); END;
    CREATE TRIGGER i AFTER INSERT ON t BEGIN INSERT INTO log VALUES('ins ' || new.id); END;
    INSERT INTO t VALUES(1, 'a', 0), (2, 'b', 0);
    REPLACE INTO t VALUES(3, 'a', 1);
    SELECT changes();
    PRAGMA recursive_triggers = 1;
    REPLACE INTO t VALUES(4, 'b', 1);
    INSERT OR REPLACE INTO t VALUES(4, 'c', 2);
    SELECT * FROM t;
    SELECT * FROM log;
  `);
});

test('an INSERT compiles DELETE triggers only when a REPLACE can apply (a broken one fails only those)', () => {
  // Found by fuzz/differential-triggers: a plain INSERT failed on a DELETE trigger's NEW.x.
  same(`
    CREATE TABLE a(id INTEGER PRIMARY KEY, x);
    CREATE TRIGGER d AFTER DELETE ON a BEGIN SELECT NEW.x; END;
    PRAGMA recursive_triggers = ON;
    INSERT INTO a VALUES(1, 1);
    INSERT OR ABORT INTO a VALUES(2, 1);
    INSERT OR REPLACE INTO a VALUES(3, 1);
    CREATE TABLE c(id INTEGER PRIMARY KEY ON CONFLICT REPLACE, x);
    CREATE TRIGGER dc AFTER DELETE ON c BEGIN SELECT NEW.x; END;
    INSERT INTO c VALUES(1, 1);
    INSERT OR IGNORE INTO c VALUES(2, 1);
    CREATE TABLE u(x UNIQUE ON CONFLICT REPLACE);
    CREATE TRIGGER du AFTER DELETE ON u BEGIN SELECT NEW.x; END;
    INSERT INTO u VALUES(1);
    SELECT * FROM a;
    SELECT * FROM c;
  `);
});

test('an UPDATE compiles only the UPDATE OF triggers naming a column it assigns', () => {
  // Found by fuzz/differential-triggers: UPDATE a SET id = … failed on an UPDATE OF x trigger's NEW.nosuch.
  same(`
    CREATE TABLE a(id INTEGER PRIMARY KEY, x, y);
    CREATE TABLE log(v);
    CREATE TRIGGER bad BEFORE UPDATE OF x ON a BEGIN INSERT INTO log VALUES(NEW.nosuch); END;
    CREATE TRIGGER good AFTER UPDATE OF y, id ON a BEGIN INSERT INTO log VALUES(NEW.id); END;
    INSERT INTO a VALUES(1, 1, 1), (2, 2, 2);
    UPDATE a SET id = id + 10;
    UPDATE a SET y = 5 WHERE id = 11;
    UPDATE a SET x = 0;
    UPDATE a SET y = x, x = 3;
    SELECT * FROM a;
    SELECT * FROM log;
  `);
});

test('of two broken triggers, the BEFORE one is the error, as SQLite compiles them', () => {
  // Found by fuzz/differential-triggers.
  same(`
    CREATE TABLE b(id INTEGER PRIMARY KEY, x, y);
    CREATE TRIGGER t1 BEFORE INSERT ON b BEGIN SELECT OLD.y; END;
    CREATE TRIGGER t2 AFTER INSERT ON b WHEN NEW.nosuch > 0 BEGIN SELECT 1; END;
    INSERT INTO b VALUES(1, 1, 1);
    CREATE TRIGGER t3 BEFORE DELETE ON b BEGIN SELECT NEW.a; END;
    CREATE TRIGGER t4 AFTER DELETE ON b BEGIN SELECT NEW.b; END;
    CREATE TRIGGER t5 BEFORE DELETE ON b BEGIN SELECT NEW.c; END;
    DELETE FROM b;
  `);
});

test('a write to a view compiles only the INSTEAD OF triggers of its own event', () => {
  // Found by fuzz/differential-triggers: INSERT INTO va compiled an INSTEAD OF UPDATE trigger whose body reached a broken trigger.
  same(`
    CREATE TABLE a(id INTEGER PRIMARY KEY, x, y);
    CREATE TABLE b(x, y);
    CREATE VIEW va AS SELECT id, x, y FROM a;
    CREATE TRIGGER bad AFTER INSERT ON b BEGIN SELECT NEW.nosuch; END;
    CREATE TRIGGER ins INSTEAD OF INSERT ON va BEGIN INSERT INTO a VALUES(NEW.id, NEW.x, NEW.y); END;
    CREATE TRIGGER upd INSTEAD OF UPDATE OF y ON va BEGIN INSERT INTO b VALUES(NEW.x, NEW.y); END;
    CREATE TRIGGER updx INSTEAD OF UPDATE OF x ON va BEGIN UPDATE a SET x = NEW.x WHERE id = OLD.id; END;
    CREATE TRIGGER del INSTEAD OF DELETE ON va BEGIN INSERT INTO b VALUES(OLD.x, OLD.y); END;
    INSERT INTO va VALUES(1, 2, 3);
    UPDATE va SET x = 5;
    UPDATE va SET y = 5;
    DELETE FROM va;
    SELECT * FROM a;
  `);
});

test('upsert DO UPDATE fires UPDATE triggers; DO NOTHING fires none after BEFORE INSERT', () => {
  same(`
    CREATE TABLE kv(k PRIMARY KEY, v, n DEFAULT 0);
    CREATE TABLE log(x);
    CREATE TRIGGER bi BEFORE INSERT ON kv BEGIN INSERT INTO log VALUES('bi ' || new.k); END;
    CREATE TRIGGER ai AFTER INSERT ON kv BEGIN INSERT INTO log VALUES('ai ' || new.k); END;
    CREATE TRIGGER bu BEFORE UPDATE ON kv BEGIN INSERT INTO log VALUES('bu ' || old.v || '>' || new.v); END;
    CREATE TRIGGER au AFTER UPDATE OF v ON kv BEGIN INSERT INTO log VALUES('au ' || old.v || '>' || new.v); END;
    INSERT INTO kv(k, v) VALUES('a', 1);
    INSERT INTO kv(k, v) VALUES('a', 2) ON CONFLICT(k) DO UPDATE SET v = excluded.v;
    INSERT INTO kv(k, v) VALUES('a', 3) ON CONFLICT DO NOTHING;
    INSERT INTO kv(k, v) VALUES('a', 4) ON CONFLICT(k) DO UPDATE SET n = n + 1;
    SELECT * FROM kv;
    SELECT * FROM log;
  `);
});

test('the OR clause of the firing statement overrides the conflict handling in the body', () => {
  same(`
    CREATE TABLE t(x);
    CREATE TABLE u(y UNIQUE);
    CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO u VALUES(new.x); END;
    INSERT INTO u VALUES(1);
    INSERT INTO t VALUES(1);
    INSERT OR IGNORE INTO t VALUES(1);
    SELECT * FROM t;
    INSERT OR REPLACE INTO t VALUES(1);
    SELECT count(*) FROM t;
    SELECT * FROM u;
    CREATE TRIGGER tr2 AFTER INSERT ON u BEGIN INSERT OR IGNORE INTO t VALUES(-1); END;
    INSERT INTO u VALUES(2);
    SELECT * FROM t;
  `);
});

test('BEFORE UPDATE / DELETE triggers that change or delete the row', () => {
  same(`
    CREATE TABLE t(id INTEGER PRIMARY KEY, a, b);
    CREATE TRIGGER bu BEFORE UPDATE ON t WHEN new.a = 99 BEGIN UPDATE t SET b = 'changed' WHERE id = old.id; END;
    CREATE TRIGGER bd BEFORE DELETE ON t WHEN old.id = 1 BEGIN DELETE FROM t WHERE id = 2; END;
    CREATE TRIGGER bx BEFORE UPDATE ON t WHEN new.a = 'gone' BEGIN DELETE FROM t WHERE id = old.id; END;
    INSERT INTO t VALUES(1, 1, 'x'), (2, 2, 'y'), (3, 3, 'z');
    UPDATE t SET a = 99 WHERE id = 3;
    SELECT * FROM t;
    UPDATE t SET a = 'gone' WHERE id = 2;
    SELECT changes();
    SELECT * FROM t;
    INSERT INTO t VALUES(2, 2, 'y');
    DELETE FROM t;
    SELECT changes();
    SELECT * FROM t;
  `);
});

test('INSTEAD OF triggers make a view writable', () => {
  same(`
    CREATE TABLE t(id INTEGER PRIMARY KEY, a, b);
    CREATE TABLE log(x, y, z);
    CREATE VIEW v AS SELECT id AS i, a, b FROM t;
    INSERT INTO v VALUES(1, 2, 3);
    CREATE TRIGGER vi INSTEAD OF INSERT ON v BEGIN INSERT INTO t VALUES(new.i, new.a, new.b); INSERT INTO log VALUES('vi', typeof(new.i), typeof(new.a)); END;
    CREATE TRIGGER vu INSTEAD OF UPDATE OF a ON v BEGIN UPDATE t SET a = new.a WHERE id = old.i; INSERT INTO log VALUES('vu', old.a, new.a); END;
    CREATE TRIGGER vd INSTEAD OF DELETE ON v BEGIN DELETE FROM t WHERE id = old.i; INSERT INTO log VALUES('vd', old.i, old.a); END;
    INSERT INTO v(i, a) VALUES('5', 1), (6, 2), (7, 3);
    SELECT changes(), last_insert_rowid();
    UPDATE v SET a = a + 10 WHERE i > 5;
    SELECT changes();
    UPDATE v SET b = 1;
    DELETE FROM v WHERE i = 6;
    INSERT INTO v(i, a) VALUES(8, 4) RETURNING *;
    SELECT * FROM t;
    SELECT * FROM log;
    CREATE TRIGGER bad AFTER INSERT ON v BEGIN SELECT 1; END;
    CREATE TRIGGER bad INSTEAD OF INSERT ON t BEGIN SELECT 1; END;
    DROP VIEW v;
    SELECT name FROM sqlite_schema WHERE type = 'trigger';
  `);
});

test('CREATE / DROP TRIGGER rules and errors', () => {
  same(`
    CREATE TABLE t(a);
    CREATE TRIGGER tr1 AFTER INSERT ON t BEGIN SELECT 1; END;
    CREATE TRIGGER tr1 AFTER INSERT ON t BEGIN SELECT 1; END;
    CREATE TRIGGER IF NOT EXISTS tr1 AFTER INSERT ON t BEGIN SELECT 1; END;
    CREATE TRIGGER t AFTER INSERT ON t BEGIN SELECT 1; END;
    CREATE TRIGGER sqlite_x AFTER INSERT ON t BEGIN SELECT 1; END;
    CREATE TRIGGER x AFTER INSERT ON nosuch BEGIN SELECT 1; END;
    CREATE TRIGGER x AFTER INSERT ON sqlite_schema BEGIN SELECT 1; END;
    CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT ?; END;
    CREATE TRIGGER x AFTER INSERT ON t BEGIN INSERT INTO main.t VALUES(1); END;
    CREATE TRIGGER x AFTER INSERT ON t BEGIN DELETE FROM t INDEXED BY i; END;
    CREATE TRIGGER x AFTER INSERT ON t BEGIN DELETE FROM t RETURNING *; END;
    CREATE TRIGGER main.q AFTER INSERT ON main.t BEGIN SELECT 1; END;
    CREATE TRIGGER bodyerr AFTER INSERT ON t BEGIN INSERT INTO nosuch VALUES(1); END;
    INSERT INTO t VALUES(1);
    SELECT count(*) FROM t;
    DROP TRIGGER bodyerr;
    CREATE TABLE tr1(z);
    DROP TRIGGER nosuch;
    DROP TRIGGER IF EXISTS nosuch;
    DROP TRIGGER tr1;
    SELECT name, sql FROM sqlite_master WHERE type = 'trigger';
    DROP TABLE t;
    SELECT name FROM sqlite_master WHERE type = 'trigger';
  `);
});

test('a trigger failure undoes the statement and every row its triggers wrote', () => {
  same(`
    CREATE TABLE t(x);
    CREATE TABLE log(y NOT NULL);
    CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES(new.x); END;
    INSERT INTO t VALUES(1), (2), (NULL), (3);
    SELECT count(*) FROM t;
    SELECT count(*) FROM log;
    INSERT OR FAIL INTO t VALUES(1), (2), (NULL), (3);
    SELECT count(*) FROM t;
    SELECT count(*) FROM log;
    SELECT changes();
  `);
});

test('triggers persist across reopen and ROLLBACK undoes CREATE / DROP TRIGGER', () => {
  const dir = mkdtempSync(join(tmpdir(), 'helios-trigger-'));
  const path = join(dir, 'db');
  try {
    let db = new Database(path, { key: { raw: KEY }, synchronous: 'off' });
    db.exec('CREATE TABLE t(x); CREATE TABLE log(x); CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES(new.x * 2); END;');
    db.exec('BEGIN; DROP TRIGGER tr; CREATE TRIGGER tr2 AFTER INSERT ON t BEGIN SELECT 1; END; ROLLBACK;');
    db.close();
    db = new Database(path, { key: { raw: KEY }, synchronous: 'off' });
    db.prepare('INSERT INTO t VALUES(21)').run();
    assert.equal(db.prepare('SELECT x FROM log').pluck().all(), [42]);
    assert.equal(db.prepare("SELECT name FROM sqlite_schema WHERE type = 'trigger'").pluck().all(), ['tr']);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('TEMP triggers live in memory and vanish at close', () => {
  const dir = mkdtempSync(join(tmpdir(), 'helios-trigger-'));
  const path = join(dir, 'db');
  try {
    let db = new Database(path, { key: { raw: KEY }, synchronous: 'off' });
    db.exec('CREATE TABLE t(x); CREATE TABLE log(x); CREATE TEMP TRIGGER tt AFTER INSERT ON t BEGIN INSERT INTO log VALUES(new.x); END;');
    db.exec('INSERT INTO t VALUES(1)');
    assert.equal(db.prepare('SELECT count(*) FROM log').pluck().get(), 1);
    assert.equal(db.prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'").pluck().get(), 0);
    db.close();
    db = new Database(path, { key: { raw: KEY }, synchronous: 'off' });
    db.exec('INSERT INTO t VALUES(2)');
    assert.equal(db.prepare('SELECT count(*) FROM log').pluck().get(), 1);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('db.exec runs a script with CREATE TRIGGER … BEGIN …; …; END; as one statement', () => {
  same(`
    CREATE TABLE a(x); CREATE TABLE b(y);
    CREATE TRIGGER t1 AFTER INSERT ON a BEGIN INSERT INTO b VALUES(new.x); INSERT INTO b VALUES(new.x + 1); END; INSERT INTO a VALUES(10);
    SELECT * FROM b;
  `);
});

test('OLD in AFTER DELETE triggers and RETURNING keep the row as read before a BEFORE trigger changed it (found by fuzz/differential-triggers, 15x)', () => {
  same(`CREATE TABLE b(id INTEGER PRIMARY KEY, x, y UNIQUE); CREATE TABLE audit(v, w);
CREATE TRIGGER t2 BEFORE DELETE ON b BEGIN UPDATE b SET y = y || '+', x = x + 1 WHERE id = OLD.id; END;
CREATE TRIGGER t3 AFTER DELETE ON b BEGIN INSERT INTO audit VALUES(OLD.y, OLD.x); SELECT RAISE(ABORT, 'changed') WHERE OLD.y > 0; END;
INSERT INTO b VALUES(1, 0, 'q'), (2, 5, 0); DELETE FROM b WHERE id = 1 RETURNING *; DELETE FROM b RETURNING x, y;
SELECT * FROM b; SELECT * FROM audit; SELECT * FROM b WHERE y = 'q+';`);
});

test('a REPLACE whose deletes fired triggers checks its row again and fails UNIQUE on what they wrote, as SQLite (found by fuzz/differential-triggers, 15x)', () => {
  same(`CREATE TABLE b(id INTEGER PRIMARY KEY, x, y UNIQUE); PRAGMA recursive_triggers = ON; INSERT INTO b(x, y) VALUES(0, 0), (0, 1);
CREATE TRIGGER t1 AFTER DELETE ON b BEGIN INSERT INTO b(x, y) VALUES(OLD.id, 0); END;
INSERT OR REPLACE INTO b(id, x, y) VALUES(2, 0, 'r'); SELECT * FROM b; INSERT OR REPLACE INTO b(id, x, y) VALUES(7, 0, 1); SELECT * FROM b;
UPDATE OR REPLACE b SET id = 1 WHERE id = 2; SELECT * FROM b; DROP TRIGGER t1;
CREATE TRIGGER t2 AFTER DELETE ON b BEGIN INSERT INTO b(id, x, y) VALUES(OLD.id + 10, 'moved', OLD.y || 'm'); END;
INSERT OR REPLACE INTO b(id, x, y) VALUES(1, 'n', 'q'); SELECT * FROM b ORDER BY id;
PRAGMA recursive_triggers = OFF; INSERT OR REPLACE INTO b(id, x, y) VALUES(1, 'o', 'q'); SELECT * FROM b ORDER BY id;`);
});

test('an INSERT names its own bad column before one in the triggers it would fire, as SQLite (found by fuzz/differential-triggers, 15x)', () => {
  same(`CREATE TABLE a(id INTEGER PRIMARY KEY, x INTEGER, y); CREATE TABLE b(id INTEGER PRIMARY KEY, x, y UNIQUE); CREATE TABLE audit(v1, v2);
CREATE TRIGGER t0 BEFORE INSERT ON b BEGIN INSERT INTO audit(v1, v2) VALUES(NEW.id, OLD.y); END;
CREATE TRIGGER t3 AFTER INSERT ON a BEGIN INSERT INTO b(x, y) VALUES(NEW.id, NEW.nosuch); END;
INSERT INTO a(x, y) SELECT 1, 2 WHERE 0; INSERT INTO a(x, y) VALUES(1, 2); INSERT INTO b(x, y) VALUES(nosuch, 1); INSERT INTO b(x, y) VALUES(1, 1);`);
});

test.run();
