/**
 * Window queries against SQLite (fuzz/sqlgen-window.ts): every window
 * function, frames of every unit, bound and EXCLUDE, named and base
 * windows, FILTER, windows over GROUP BY, and invalid windows (errors vs
 * errors), on an encrypted database. Harness and replay: fuzz/differential-harness.ts.
 */
import { test } from 'uvu';
import fc from 'fast-check';
import { fuzzParams } from './budget.ts';
import { checkProgram, encryptedHelios, reportPending, type Exclusion, type Program } from './differential-harness.ts';
import { windowProgramArb } from './sqlgen-window.ts';

/** The generator avoids the README's window difference (group_concat over a sliding frame of empty strings) by having no empty text. */
const EXCLUDED: readonly Exclusion[] = [];

reportPending('differential-windows', EXCLUDED);

test('window functions, frames, named windows and FILTER give the same results as SQLite', () => {
  fc.assert(
    fc.property(windowProgramArb, (p) => checkProgram(p, encryptedHelios(), EXCLUDED)),
    { ...fuzzParams<[Program]>(150), includeErrorInReport: true },
  );
});

test.run();
