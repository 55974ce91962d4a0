/**
 * Trigger programs for the differential campaign against SQLite: BEFORE /
 * AFTER triggers on tables and INSTEAD OF triggers on a view, for INSERT,
 * UPDATE [OF columns] and DELETE, with FOR EACH ROW, WHEN, NEW / OLD,
 * RAISE(IGNORE | ABORT | FAIL | ROLLBACK), bodies that write other tables
 * (chains: a trigger on `a` writes `b`, whose triggers write the `audit`
 * table), DROP TRIGGER, recursive_triggers, and the statements that fire
 * them (UPDATE … FROM among them) inside and outside transactions and savepoints. After each statement
 * the contents of every table and changes() are compared, and a RAISE's
 * message must be SQLite's.
 *
 * Determinism: the tables have no secondary index but b's UNIQUE y, so a
 * multi-row UPDATE or DELETE visits rows in rowid order on both engines
 * and the audit rows (numbered by an INTEGER PRIMARY KEY) come in the same
 * order.
 *
 * Left out, per the README's "Where we differ" trigger entry: foreign-key
 * actions (their row changes fire no trigger here) and RAISE(IGNORE) under
 * recursive_triggers (where a REPLACE's delete fires delete triggers: the
 * deleted row is not kept here).
 */
import fc from 'fast-check';
import type { Program, Step } from './differential-harness.ts';

type Event = 'INSERT' | 'UPDATE' | 'DELETE';

const SCHEMA = [
  'CREATE TABLE a(id INTEGER PRIMARY KEY, x INTEGER, y)',
  'CREATE TABLE b(id INTEGER PRIMARY KEY, x, y UNIQUE)',
  'CREATE TABLE audit(seq INTEGER PRIMARY KEY, tag TEXT, v1, v2)',
  'CREATE VIEW va AS SELECT id, x, y FROM a',
];
const STATE = ['SELECT * FROM a', 'SELECT * FROM b', 'SELECT * FROM audit', 'SELECT changes()'];

const small = fc.integer({ min: -2, max: 6 }).map(String);
const value = fc.oneof({ weight: 4, arbitrary: small }, { weight: 1, arbitrary: fc.constantFrom('NULL', "'s'", '2.5') });

/** A reference to the firing row valid for the event (sometimes not: NEW in a DELETE trigger is an error). */
function ref(event: Event): fc.Arbitrary<string> {
  const cols = ['id', 'x', 'y'];
  const valid = event === 'INSERT' ? ['NEW'] : event === 'DELETE' ? ['OLD'] : ['NEW', 'OLD'];
  return fc.oneof(
    { weight: 12, arbitrary: fc.tuple(fc.constantFrom(...valid), fc.constantFrom(...cols)).map(([r, c]) => `${r}.${c}`) },
    { weight: 2, arbitrary: value },
    { weight: 1, arbitrary: fc.constantFrom('NEW.x', 'OLD.y', 'NEW.nosuch') },
  );
}

function condition(event: Event): fc.Arbitrary<string> {
  return fc.tuple(ref(event), fc.constantFrom('>', '<', '=', '<>', 'IS NOT', 'IS'), fc.oneof(value, ref(event))).map(([l, op, r]) => `${l} ${op} ${r}`);
}

/**
 * One statement of a trigger body. `raiseIgnore` false leaves RAISE(IGNORE)
 * out (see the file comment).
 */
function bodyStatement(tag: string, event: Event, onTable: string, raiseIgnore: boolean): fc.Arbitrary<string> {
  const r = ref(event);
  const kinds = raiseIgnore ? ['ABORT', 'FAIL', 'ROLLBACK', 'IGNORE'] : ['ABORT', 'FAIL', 'ROLLBACK'];
  return fc.oneof(
    { weight: 5, arbitrary: fc.tuple(r, r).map(([p, q]) => `INSERT INTO audit(tag, v1, v2) VALUES('${tag}', ${p}, ${q})`) },
    { weight: 2, arbitrary: fc.tuple(r, fc.constantFrom('x', 'y')).map(([p, c]) => `UPDATE b SET ${c} = coalesce(${c}, 0) || '+' WHERE id = ${p}`) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom('', ' OR IGNORE', ' OR REPLACE'), r, r).map(([or, p, q]) => `INSERT${or} INTO b(x, y) VALUES(${p}, ${q})`) },
    { weight: 1, arbitrary: r.map((p) => `DELETE FROM b WHERE x = ${p}`) },
    { weight: 1, arbitrary: r.map((p) => `UPDATE a SET y = '${tag}' WHERE id = ${p}`) },
    { weight: 1, arbitrary: fc.constant(`INSERT INTO audit(tag, v1, v2) SELECT '${tag}', count(*), total(x) FROM ${onTable === 'va' ? 'a' : onTable}`) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...kinds), condition(event)).map(([k, c]) => `SELECT RAISE(${k}${k === 'IGNORE' ? '' : `, '${tag} ${k.toLowerCase()}'`}) WHERE ${c}`) },
    { weight: 1, arbitrary: fc.constantFrom(...kinds).map((k) => `SELECT CASE WHEN (SELECT count(*) FROM audit) > 6 THEN RAISE(${k}${k === 'IGNORE' ? '' : `, '${tag} full'`}) END`) },
  );
}

interface TriggerDef {
  readonly sql: string;
  readonly features: readonly string[];
}

function triggerArb(k: number, raiseIgnore: boolean): fc.Arbitrary<TriggerDef> {
  const tag = `t${k}`;
  const onTable = fc.oneof({ weight: 3, arbitrary: fc.constantFrom('a', 'b') }, { weight: 1, arbitrary: fc.constant('va') });
  return onTable.chain((table) => {
    const timing = table === 'va' ? fc.oneof({ weight: 6, arbitrary: fc.constant('INSTEAD OF') }, { weight: 1, arbitrary: fc.constant('AFTER') }) : fc.constantFrom('BEFORE', 'AFTER');
    const event = fc.constantFrom<Event>('INSERT', 'UPDATE', 'DELETE');
    return fc.tuple(timing, event).chain(([when, ev]) =>
      fc
        .tuple(
          ev === 'UPDATE' ? fc.constantFrom('UPDATE', 'UPDATE OF x', 'UPDATE OF y', 'UPDATE OF y, x', 'UPDATE OF id') : fc.constant(ev),
          fc.boolean(),
          fc.option(condition(ev), { nil: undefined, freq: 3 }),
          fc.array(bodyStatement(tag, ev, table, raiseIgnore), { minLength: 1, maxLength: 3 }),
        )
        .map(([evSql, each, cond, body]) => ({
          sql: `CREATE TRIGGER ${tag} ${when} ${evSql} ON ${table}${each ? ' FOR EACH ROW' : ''}${cond ? ` WHEN ${cond}` : ''} BEGIN ${body.map((s) => s + ';').join(' ')} END`,
          features: ['trigger', `trigger:${when}`, `trigger:${ev}`, ...(body.some((s) => s.includes('RAISE')) ? ['raise'] : [])],
        })),
    );
  });
}

const firing = (sql: string, ...features: string[]): Step => ({ sql, features: ['dml', ...features], after: STATE, messages: true });

/** The statements that fire the triggers. */
const dmlArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom('a', 'b', 'va'), fc.array(fc.tuple(value, value), { minLength: 1, maxLength: 3 })).map(([t, rows]) => firing(`INSERT INTO ${t}(x, y) VALUES${rows.map(([x, y]) => `(${x}, ${y})`).join(', ')}`, 'insert')) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('a', 'b'), fc.constantFrom('', ' OR REPLACE', ' OR IGNORE'), fc.integer({ min: 1, max: 4 }), value).map(([t, or, id, x]) => firing(`INSERT${or} INTO ${t}(id, x, y) VALUES(${id}, ${x}, 'r')`, 'insert', ...(or ? [`conflict:${or.trim()}`] : []))) },
  { weight: 1, arbitrary: fc.constantFrom('a', 'b').map((t) => firing(`INSERT INTO ${t}(x, y) SELECT x + 10, y FROM ${t === 'a' ? 'b' : 'a'} ORDER BY id`, 'insert-select')) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.constantFrom('a', 'b', 'va'), fc.constantFrom('x = x + 1', "y = 'u'", 'x = NULL, y = x', 'id = id + 10', "y = y || 'z'"), fc.option(fc.constantFrom('id = 1', 'x > 2', 'x IS NULL', 'id % 2 = 0'), { nil: undefined }))
      .map(([t, set, w]) => firing(`UPDATE ${t} SET ${set}${w ? ` WHERE ${w}` : ''}`, 'update')),
  },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('a', 'b', 'va'), fc.option(fc.constantFrom('id = 1', 'x > 2', 'x IS NULL', 'id % 2 = 1'), { nil: undefined })).map(([t, w]) => firing(`DELETE FROM ${t}${w ? ` WHERE ${w}` : ''}`, 'delete')) },
  // UPDATE … FROM joined on the other table's primary key (each target row meets at most one source row).
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(['a', 'b'], ['b', 'a']), fc.constantFrom('x = o.x', 'y = o.y', "x = o.x + 1, y = coalesce(o.y, 'n')"), fc.constantFrom('', ' AND o.x > 0', ' AND o.y IS NOT NULL'))
      .map(([[t, o], set, w]) => firing(`UPDATE ${t} SET ${set} FROM ${o} AS o WHERE o.id = ${t}.id${w}`, 'update-from')),
  },
  { weight: 1, arbitrary: fc.constantFrom('BEGIN', 'COMMIT', 'ROLLBACK', 'SAVEPOINT s', 'RELEASE s', 'ROLLBACK TO s').map((sql) => ({ sql, features: ['txn'], after: STATE.slice(0, 3) })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 }).map((k) => ({ sql: `DROP TRIGGER t${k}`, features: ['drop-trigger'], after: ["SELECT name FROM sqlite_schema WHERE type = 'trigger'"] })) },
);

export const triggerProgramArb: fc.Arbitrary<Program> = fc.boolean().chain((recursive) =>
  fc
    .tuple(
      fc.array(fc.tuple(value, value), { maxLength: 4 }),
      fc.array(fc.tuple(value, value), { maxLength: 3 }),
      fc.integer({ min: 1, max: 4 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, k) => triggerArb(k, !recursive)))),
      fc.array(dmlArb, { minLength: 1, maxLength: 6 }),
    )
    .map(([aRows, bRows, triggers, dml]) => ({
      setup: [
        ...SCHEMA,
        ...(recursive ? ['PRAGMA recursive_triggers = ON'] : []),
        ...aRows.map(([x, y]) => `INSERT INTO a(x, y) VALUES(${x}, ${y})`),
        ...bRows.map(([x, y]) => `INSERT OR IGNORE INTO b(x, y) VALUES(${x}, ${y})`),
      ],
      steps: [
        ...triggers.map((t) => ({ sql: t.sql, features: [...t.features], after: ["SELECT type, name, tbl_name FROM sqlite_schema WHERE type = 'trigger'"] })),
        // Under recursive_triggers a REPLACE's delete fires DELETE triggers (tagged, compared).
        ...(recursive && [...triggers.map((t) => t.sql), ...dml.map((d) => d.sql)].some((q) => q.includes('OR REPLACE')) ? dml.map((d) => ({ ...d, features: [...d.features, 'recursive-replace'] })) : dml),
      ],
    })),
);
