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

const EXCLUDED: readonly Exclusion[] = [];

reportPending('differential-schema', EXCLUDED);

test('ALTER TABLE, views, indexes and deferred foreign keys leave the same schema and rows as SQLite', () => {
  fc.assert(
    // One program in four on disk (COMMIT, ROLLBACK and schema changes through the sealed files), the rest in memory (also sealed).
    fc.property(schemaProgramArb, fc.nat(3), (p, disk) => checkProgram(p, encryptedHelios(disk === 0), EXCLUDED)),
    { ...fuzzParams<[Program, number]>(120), includeErrorInReport: true },
  );
});

test.run();
