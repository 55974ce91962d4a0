/**
 * Schema-change programs for the differential campaign against SQLite:
 * ALTER TABLE ADD COLUMN (defaults, NOT NULL, CHECK, REFERENCES, generated
 * columns, and the forms SQLite refuses), DROP COLUMN, RENAME COLUMN and
 * RENAME TO with the views, indexes and trigger that name them, CREATE / DROP INDEX
 * and VIEW, writes in between (UPDATE … FROM among them), STRICT tables, and deferred foreign keys
 * (DEFERRABLE INITIALLY DEFERRED, PRAGMA defer_foreign_keys) checked at
 * COMMIT, with savepoints and rollbacks. After each statement the schema
 * (sqlite_schema with its SQL text, pragma_table_xinfo), every table and
 * view's rows and PRAGMA foreign_key_check are compared.
 *
 * A program is generated as a list of random choices that a model of the
 * schema (tables and their columns, views, indexes) turns into SQL, so most
 * statements name things that exist; the model follows each statement as if
 * it succeeded (a statement failing on both engines only makes later ones
 * fail too).
 */
import fc from 'fast-check';
import type { Program, Step } from './differential-harness.ts';

interface Model {
  /** Table name → column names (the first is the INTEGER PRIMARY KEY id). */
  tables: Map<string, string[]>;
  views: Map<string, string>;
  indexes: Map<string, string>;
  /** Columns the trigger ct names ("table.column", following renames). */
  triggerColumns: Set<string>;
  /** Columns a `SELECT * … ORDER BY column` view orders by ("table.column"). */
  starOrderColumns: Set<string>;
  counter: number;
  /** Whether a transaction is open (BEGIN, or a SAVEPOINT outside one) and the savepoints open in it. */
  inTxn: boolean;
  savepoints: number;
  /** The open transaction began with BEGIN (not with a SAVEPOINT, which RELEASE ends). */
  byBegin: boolean;
}

/** One random choice per decision; the builder picks from the model with them. */
type Choice = readonly [kind: number, r1: number, r2: number, r3: number];
const choiceArb: fc.Arbitrary<Choice> = fc.tuple(fc.nat(99), fc.nat(1000), fc.nat(1000), fc.nat(1000));

const pick = <T>(xs: readonly T[], r: number): T => xs[r % xs.length]!;

const ADD_DECLS = [
  'INTEGER',
  'TEXT',
  "TEXT DEFAULT 'd'",
  'NOT NULL DEFAULT 0',
  'NOT NULL',
  'DEFAULT (1 + 1)',
  'DEFAULT CURRENT_TIME',
  'UNIQUE',
  'PRIMARY KEY',
  'REFERENCES p(id)',
  'REFERENCES p(id) DEFAULT 1',
  'CHECK ({c} IS NULL OR {c} > 0)',
  "DEFAULT 5 CHECK ({c} > 4)",
  'GENERATED ALWAYS AS (id * 2) VIRTUAL',
  "AS (id || 'x') STORED",
  'COLLATE NOCASE',
  'INTEGER DEFAULT -1',
];

const VALUES = ['NULL', '0', '1', '2', '3', '7', "'a'", "'B'", '2.5', '99'];

const lit = (r: number): string => pick(VALUES, r);

function readBacks(m: Model): string[] {
  return [
    'SELECT type, name, tbl_name, sql FROM sqlite_schema',
    ...[...m.tables.keys()].flatMap((t) => [`SELECT * FROM ${t}`, `SELECT name, type, "notnull", dflt_value, pk, hidden FROM pragma_table_xinfo('${t}')`]),
    ...[...m.views.keys()].map((v) => `SELECT * FROM ${v}`),
    'PRAGMA foreign_key_check',
  ];
}

/** Turns one choice into a statement, updating the model. */
function buildStep(m: Model, [kind, r1, r2, r3]: Choice): Step {
  const tables = [...m.tables.keys()];
  const t = pick(tables, r1);
  const cols = m.tables.get(t) ?? ['id'];
  const nonId = cols.slice(1);
  const col = nonId.length > 0 ? pick(nonId, r2) : 'id';
  // Called once the model follows the statement: the read-backs name what exists after it.
  const done = (sql: string, ...features: string[]): Step => ({ sql, features: ['schema', ...features], after: readBacks(m) });
  if (kind < 14) {
    const name = `n${m.counter++}`;
    const decl = pick(ADD_DECLS, r2).replaceAll('{c}', name);
    m.tables.set(t, [...cols, name]);
    return done(`ALTER TABLE ${t} ADD COLUMN ${name} ${decl}`, 'add-column', ...(/\bAS \(/.test(decl) ? ['generated-column'] : []));
  }
  if (kind < 22) {
    const target = r3 % 7 === 0 ? 'id' : col;
    const inTrigger = m.triggerColumns.has(`${t}.${target}`);
    m.tables.set(t, cols.filter((c) => c !== target));
    return done(`ALTER TABLE ${t} DROP COLUMN ${target}`, 'drop-column', ...(inTrigger ? ['drop-column-named-by-trigger'] : []));
  }
  if (kind < 30) {
    const name = `r${m.counter++}`;
    const target = r3 % 9 === 0 ? 'id' : col;
    m.tables.set(t, cols.map((c) => (c === target ? name : c)));
    const inTrigger = m.triggerColumns.delete(`${t}.${target}`);
    if (inTrigger) m.triggerColumns.add(`${t}.${name}`);
    if (inTrigger) return done(`ALTER TABLE ${t} RENAME COLUMN ${target} TO ${name}`, 'rename-column', 'rename-column-named-by-trigger');
    if (m.starOrderColumns.has(`${t}.${target}`)) return done(`ALTER TABLE ${t} RENAME COLUMN ${target} TO ${name}`, 'rename-column', 'rename-column-star-view-order-by');
    return done(`ALTER TABLE ${t} RENAME COLUMN ${target} TO ${name}`, 'rename-column');
  }
  if (kind < 36) {
    const name = r3 % 5 === 0 ? pick(tables, r3) : `${t.replace(/\d+$/, '')}${m.counter++}`;
    const inTrigger = [...m.triggerColumns].some((tc) => tc.startsWith(`${t}.`));
    if (!m.tables.has(name)) {
      m.tables.set(name, cols);
      m.tables.delete(t);
      for (const set of [m.triggerColumns, m.starOrderColumns]) for (const tc of [...set]) if (tc.startsWith(`${t}.`)) (set.delete(tc), set.add(`${name}.${tc.slice(t.length + 1)}`));
      for (const [v, base] of m.views) if (base === t) m.views.set(v, name);
    }
    return done(`ALTER TABLE ${t} RENAME TO ${name}`, 'rename-table', ...(inTrigger ? ['rename-table-named-by-trigger'] : []));
  }
  if (kind < 42) {
    const name = `i${m.counter++}`;
    m.indexes.set(name, t);
    const unique = r3 % 4 === 0 ? 'UNIQUE ' : '';
    const second = r3 % 3 === 0 && nonId.length > 1 ? `, ${pick(nonId, r3)}` : '';
    return done(`CREATE ${unique}INDEX ${name} ON ${t}(${col}${second})${r3 % 5 === 1 ? ` WHERE ${col} IS NOT NULL` : ''}`, 'create-index');
  }
  if (kind < 46) {
    const names = [...m.views.keys()];
    if (r3 % 2 === 0 && names.length > 0) {
      const v = pick(names, r3);
      m.views.delete(v);
      return done(`DROP VIEW ${v}`, 'drop-view');
    }
    const ixs = [...m.indexes.keys()];
    if (ixs.length > 0) {
      const ix = pick(ixs, r3);
      m.indexes.delete(ix);
      return done(`DROP INDEX ${ix}`, 'drop-index');
    }
    return done(`DROP TABLE IF EXISTS nosuch`, 'drop');
  }
  if (kind < 52) {
    const name = `v${m.counter++}`;
    m.views.set(name, t);
    const list = r3 % 3 === 0 ? '*' : `id, ${col}${r3 % 3 === 1 ? ` AS k${r2 % 3}` : ''}`;
    const where = r2 % 2 === 0 ? ` WHERE ${col} IS NOT NULL` : r2 % 3 === 0 ? ` ORDER BY ${col}` : '';
    if (list === '*' && where.startsWith(' ORDER BY')) m.starOrderColumns.add(`${t}.${col}`);
    return done(`CREATE VIEW ${name} AS SELECT ${list} FROM ${t}${where}`, 'create-view');
  }
  if (kind < 64) {
    const n = Math.min(nonId.length, 1 + (r3 % 3));
    const chosen = nonId.slice(0, n);
    const withId = r3 % 4 === 0;
    const names = [...(withId ? ['id'] : []), ...chosen];
    const vals = [...(withId ? [String(1 + (r1 % 6))] : []), ...chosen.map((_, k) => lit(r2 + k * 7))];
    // c.pid-like columns: a value that is a parent id, or one that is not (a deferred violation).
    return done(names.length > 0 ? `INSERT INTO ${t}(${names.join(', ')}) VALUES(${vals.join(', ')})` : `INSERT INTO ${t} DEFAULT VALUES`, 'insert');
  }
  if (kind < 72) {
    const set = r3 % 5 === 0 ? `id = id + 10` : `${col} = ${r3 % 2 === 0 ? lit(r2) : `${col} || 'u'`}`;
    const where = r1 % 3 === 0 ? '' : ` WHERE id ${pick(['=', '<', '>'], r1)} ${1 + (r2 % 4)}`;
    return done(`UPDATE ${t} SET ${set}${where}`, 'update');
  }
  if (kind < 75 && tables.length > 1) {
    const other = pick(tables.filter((x) => x !== t), r2);
    const oCols = (m.tables.get(other) ?? ['id']).slice(1);
    const src = oCols.length > 0 ? `o.${pick(oCols, r3)}` : 'o.id';
    return done(`UPDATE ${t} SET ${col} = ${src} FROM ${other} AS o WHERE o.id = ${t}.id${r1 % 2 === 0 ? '' : ` AND ${src} IS NOT NULL`}`, 'update-from');
  }
  if (kind < 77) {
    const where = r3 % 3 === 0 ? '' : ` WHERE id ${pick(['=', '<', '>'], r1)} ${1 + (r2 % 4)}`;
    return done(`DELETE FROM ${t}${where}`, 'delete');
  }
  if (kind < 92) {
    const sql = pick(['BEGIN', 'COMMIT', 'ROLLBACK', 'SAVEPOINT s', 'RELEASE s', 'ROLLBACK TO s', 'PRAGMA defer_foreign_keys = ON', 'PRAGMA defer_foreign_keys = OFF', 'BEGIN', 'COMMIT'], r1);
    // Outside a transaction, SQLite turns defer_foreign_keys off again after the next statement that reads the
    // database; we keep it until a write ends (README, "Where we differ"). A COMMIT that fails (a deferred
    // violation) leaves the transaction open while the model closes it: such a PRAGMA is then only not run.
    const outside = sql === 'PRAGMA defer_foreign_keys = ON' && !m.inTxn;
    if (sql === 'BEGIN' && !m.inTxn) ((m.inTxn = true), (m.byBegin = true));
    else if (sql === 'COMMIT' || sql === 'ROLLBACK') ((m.inTxn = false), (m.savepoints = 0));
    else if (sql === 'SAVEPOINT s') {
      if (!m.inTxn) ((m.inTxn = true), (m.byBegin = false));
      m.savepoints++;
    } else if (sql === 'RELEASE s' && m.savepoints > 0 && --m.savepoints === 0 && !m.byBegin) m.inTxn = false;
    return done(sql, 'txn', ...(outside ? ['defer-foreign-keys-outside-transaction'] : []));
  }
  if (kind < 96) {
    // A child row whose parent does not exist (yet): fails at once unless the key is deferred.
    const child = tables.find((x) => x.startsWith('c')) ?? t;
    const fk = (m.tables.get(child) ?? []).find((c) => c.startsWith('pid')) ?? 'pid';
    return done(`INSERT INTO ${child}(${fk}) VALUES(${50 + (r2 % 3)})`, 'fk-orphan');
  }
  const parent = tables.find((x) => x.startsWith('p')) ?? t;
  return done(`INSERT OR IGNORE INTO ${parent}(id) VALUES(${50 + (r2 % 3)})`, 'fk-parent');
}

const rowsArb = (n: number) => fc.array(fc.tuple(fc.nat(9), fc.nat(9)), { maxLength: n });

/** The starting schema: a parent p, a child c with a foreign key (deferred or not), an index and a view. */
export const schemaProgramArb: fc.Arbitrary<Program> = fc
  .tuple(fc.constantFrom(' DEFERRABLE INITIALLY DEFERRED', '', ' ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED', ' ON UPDATE CASCADE'), rowsArb(4), rowsArb(4), fc.array(choiceArb, { minLength: 1, maxLength: 10 }), fc.nat(3))
  .map(([fk, pRows, cRows, choices, strict]) => {
    // One program in four has STRICT tables (typed columns: an ADD COLUMN without a type, a TEXT in pid, fail there).
    const [anyType, strictSuffix] = strict === 0 ? [' ANY', ' STRICT'] : ['', ''];
    const m: Model = {
      tables: new Map([
        ['p', ['id', 'a', 'b']],
        ['c', ['id', 'pid', 'v']],
      ]),
      views: new Map([['vp', 'p']]),
      indexes: new Map([['pa', 'p']]),
      triggerColumns: new Set(['c.pid', 'p.b', 'p.id']),
      starOrderColumns: new Set(),
      counter: 0,
      inTxn: false,
      savepoints: 0,
      byBegin: false,
    };
    const setup = [
      'PRAGMA foreign_keys = ON',
      `CREATE TABLE p(id INTEGER PRIMARY KEY, a${anyType}, b TEXT)${strictSuffix}`,
      `CREATE TABLE c(id INTEGER PRIMARY KEY, pid INTEGER REFERENCES p(id)${fk}, v${anyType})${strictSuffix}`,
      'CREATE INDEX pa ON p(a)',
      'CREATE VIEW vp AS SELECT id, a, b FROM p WHERE a IS NOT NULL',
      // A trigger naming both tables' columns: RENAME rewrites it, DROP COLUMN of b is refused while it names b.
      "CREATE TRIGGER ct AFTER INSERT ON c BEGIN UPDATE p SET b = coalesce(b, '') || 'c' WHERE id = NEW.pid; END",
      ...pRows.map(([a, b], i) => `INSERT INTO p VALUES(${i + 1}, ${lit(a)}, ${lit(b)})`),
      ...cRows.map(([pid, v]) => `INSERT OR IGNORE INTO c(pid, v) VALUES(${1 + (pid % 5)}, ${lit(v)})`),
    ];
    return { setup, steps: choices.map((c) => buildStep(m, c)) };
  });
