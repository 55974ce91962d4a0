/**
 * Trigger programs against SQLite (fuzz/sqlgen-trigger.ts): BEFORE / AFTER /
 * INSTEAD OF triggers for every event, WHEN, NEW / OLD, RAISE of every kind,
 * chains of triggers writing audit tables, DROP TRIGGER, recursive_triggers,
 * inside and outside transactions and savepoints; every table's contents,
 * changes() and RAISE messages compared, on encrypted databases (in a
 * temporary directory or in memory). Harness and replay: fuzz/differential-harness.ts.
 */
import { test } from 'uvu';
import fc from 'fast-check';
import { fuzzParams } from './budget.ts';
import { checkProgram, encryptedHelios, reportPending, type Exclusion, type Program } from './differential-harness.ts';
import { triggerProgramArb } from './sqlgen-trigger.ts';

/** The generator leaves out the README's trigger differences (see fuzz/sqlgen-trigger.ts). */
const EXCLUDED: readonly Exclusion[] = [];

reportPending('differential-triggers', EXCLUDED);

test('trigger programs leave the same tables, changes() and errors as SQLite', () => {
  fc.assert(
    // One program in four on disk (commits, savepoints and rollbacks through the sealed files), the rest in memory (also sealed).
    fc.property(triggerProgramArb, fc.nat(3), (p, disk) => checkProgram(p, encryptedHelios(disk === 0), EXCLUDED)),
    { ...fuzzParams<[Program, number]>(120), includeErrorInReport: true },
  );
});

test.run();
