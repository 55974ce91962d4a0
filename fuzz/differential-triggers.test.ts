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
const EXCLUDED: readonly Exclusion[] = [
  {
    feature: 'update-from',
    why:
      'an UPDATE (… FROM here; a plain UPDATE has it too) whose BEFORE UPDATE trigger changes the row: OLD in its AFTER UPDATE triggers is the row as the BEFORE trigger left it here, as first read in SQLite ' +
      '(README, "Where we differ", the trigger entry; 15x run: CREATE TABLE a(id INTEGER PRIMARY KEY, x INTEGER, y); CREATE TABLE b(id INTEGER PRIMARY KEY, x, y UNIQUE); ' +
      "INSERT INTO b(x, y) VALUES(1, 0); INSERT INTO a(x, y) VALUES(1, 0); CREATE TRIGGER t1 BEFORE UPDATE ON b BEGIN UPDATE b SET x = coalesce(x, 0) || '+' WHERE id = NEW.x; END; " +
      'CREATE TRIGGER t2 AFTER UPDATE ON b BEGIN DELETE FROM b WHERE x = OLD.x; END; UPDATE b SET x = o.x FROM a AS o WHERE o.id = b.id — SQLite deletes the row)',
    pending: true,
  },
];

reportPending('differential-triggers', EXCLUDED);

test('trigger programs leave the same tables, changes() and errors as SQLite', () => {
  fc.assert(
    // One program in four on disk (commits, savepoints and rollbacks through the sealed files), the rest in memory (also sealed).
    fc.property(triggerProgramArb, fc.nat(3), (p, disk) => checkProgram(p, encryptedHelios(disk === 0), EXCLUDED)),
    { ...fuzzParams<[Program, number]>(120), includeErrorInReport: true },
  );
});

test.run();
