/**
 * Schema changes against SQLite (fuzz/sqlgen-schema.ts): ALTER TABLE ADD /
 * DROP / RENAME COLUMN and RENAME TO with the views and indexes naming them,
 * CREATE / DROP INDEX and VIEW, writes, and deferred foreign keys checked
 * at COMMIT; after each statement the schema text, pragma_table_xinfo,
 * every table and view and PRAGMA foreign_key_check are compared, on
 * encrypted databases (in a temporary directory or in memory). Harness and
 * replay: fuzz/differential-harness.ts.
 */
import { test } from 'uvu';
import fc from 'fast-check';
import { fuzzParams } from './budget.ts';
import { checkProgram, encryptedHelios, reportPending, type Exclusion, type Program } from './differential-harness.ts';
import { schemaProgramArb } from './sqlgen-schema.ts';

const EXCLUDED: readonly Exclusion[] = [
  {
    feature: 'drop-column-named-by-trigger',
    why:
      'DROP COLUMN of a column a trigger body names succeeds here; SQLite refuses it ("error in trigger ct after drop column: no such column: NEW.pid"): ' +
      'the schema test after DROP COLUMN / RENAME compiles views and indexes, not triggers (CREATE TABLE c(id INTEGER PRIMARY KEY, pid); ' +
      'CREATE TRIGGER ct AFTER INSERT ON c BEGIN SELECT NEW.pid; END; ALTER TABLE c DROP COLUMN pid)',
    pending: true,
  },
  {
    feature: 'rename-column-star-view-order-by',
    why:
      'RENAME COLUMN of a column a `SELECT * … ORDER BY column` view orders by: SQLite cannot rewrite that ORDER BY and refuses the rename ' +
      '("error in view v0 after rename: no such column: v"); we rewrite it and succeed (seed -759976848: CREATE TABLE c(id INTEGER PRIMARY KEY, v); ' +
      'CREATE VIEW v0 AS SELECT * FROM c ORDER BY v; ALTER TABLE c RENAME COLUMN v TO r1)',
    pending: true,
  },
];

reportPending('differential-schema', EXCLUDED);

test('ALTER TABLE, views, indexes and deferred foreign keys leave the same schema and rows as SQLite', () => {
  fc.assert(
    // One program in four on disk (COMMIT, ROLLBACK and schema changes through the sealed files), the rest in memory (also sealed).
    fc.property(schemaProgramArb, fc.nat(3), (p, disk) => checkProgram(p, encryptedHelios(disk === 0), EXCLUDED)),
    { ...fuzzParams<[Program, number]>(120), includeErrorInReport: true },
  );
});

test.run();
