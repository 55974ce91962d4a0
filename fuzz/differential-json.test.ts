/**
 * JSON expressions against SQLite (fuzz/sqlgen-json.ts): the JSON1 scalar
 * functions and their jsonb_ forms, -> and ->>, json_group_array /
 * json_group_object, json_each / json_tree in FROM (over literals and
 * correlated with a table), and UPDATEs writing JSON back, on an encrypted
 * database. Harness and replay: fuzz/differential-harness.ts.
 */
import { test } from 'uvu';
import fc from 'fast-check';
import { fuzzParams } from './budget.ts';
import { checkProgram, encryptedHelios, reportPending, type Exclusion, type Program } from './differential-harness.ts';
import { jsonProgramArb } from './sqlgen-json.ts';

/**
 * The generator itself never passes a BLOB that is not a jsonb() result to a
 * JSON function, nor calls jsonb_patch (README, "Where we differ", the JSON
 * entry).
 */
const EXCLUDED: readonly Exclusion[] = [
  { feature: 'aggregate-order-by', why: 'json_group_array(x ORDER BY y): aggregate ORDER BY is not implemented yet (issue 12, item 5)', pending: true },
];

reportPending('differential-json', EXCLUDED);

test('JSON functions, ->, ->>, JSON aggregates and json_each/json_tree give the same results as SQLite', () => {
  fc.assert(
    fc.property(jsonProgramArb, (p) => checkProgram(p, encryptedHelios(), EXCLUDED)),
    { ...fuzzParams<[Program]>(150), includeErrorInReport: true },
  );
});

test.run();
