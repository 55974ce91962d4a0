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
    feature: 'defer-foreign-keys-outside-transaction',
    why:
      'PRAGMA defer_foreign_keys = ON outside a transaction: SQLite turns it off after the next statement that reads the database, we keep it until a write ends ' +
      '(README, "Where we differ", the defer_foreign_keys entry; 15x run, seed 2057339548: … PRAGMA defer_foreign_keys = ON; SELECT * FROM p; BEGIN; DELETE FROM p — SQLite fails FOREIGN KEY)',
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
