/**
 * Rows written before ALTER TABLE ADD COLUMN read the new column's DEFAULT
 * exactly as SQLite reads it (sql/default-value.ts): affinity applied,
 * TRUE/FALSE, signed numbers and strings, the token's text in TEXT columns,
 * and non-constant defaults refused on a table with rows. Differential
 * against better-sqlite3 where the runtime loads it; fixed expectations
 * (recorded from SQLite 3.53) everywhere.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Database } from './database.ts';
import { sqliteOracleOrNull } from '../scripts/slt-backend.ts';

type Oracle = { exec(sql: string): void; prepare(sql: string): { raw(): { all(): unknown[][] } }; defaultSafeIntegers(on: boolean): void; close(): void };
const oracle = sqliteOracleOrNull<Oracle>('default-value.test', 'checking the recorded SQLite results only');
const openOracle = oracle === null ? null : (): Oracle => oracle((db) => db.defaultSafeIntegers(true));

const show = (v: unknown): string => (v instanceof Uint8Array ? `x'${Array.from(v, (b) => b.toString(16).padStart(2, '0')).join('')}'` : typeof v === 'string' ? `'${v}'` : String(v));

/** Runs the script and returns `a|c|typeof(c)` per row, or the first line of the error. */
function outcome(exec: (sql: string) => void, all: (sql: string) => unknown[][], script: readonly string[]): string {
  try {
    for (const s of script) exec(s);
    return all('SELECT a, c, typeof(c) FROM t ORDER BY a').map((r) => r.map(show).join('|')).join('; ');
  } catch (e) {
    return `error: ${(e as Error).message.split('\n')[0]!.replace(/ at line \d+, column \d+$/, '').replace(/ \(expected [^)]*\)$/, '')}`;
  }
}

function ours(script: readonly string[]): string {
  const db = new Database(':memory:', { encryption: false });
  try {
    return outcome((s) => db.exec(s), (s) => db.prepare(s).raw().all() as unknown[][], script);
  } finally {
    db.close();
  }
}

function addColumn(type: string, dflt: string, withRow: boolean, extra = ''): string[] {
  return ['CREATE TABLE p(id INTEGER PRIMARY KEY)', 'CREATE TABLE t(a)', ...(withRow ? ['INSERT INTO t VALUES (1)'] : []), `ALTER TABLE t ADD COLUMN c ${type} DEFAULT ${dflt}${extra}`, 'INSERT INTO t(a) VALUES (2)'];
}

test('[SQL-CAT-5] ADD COLUMN … DEFAULT TRUE reads 1 in older rows, FALSE 0, and signed numbers, strings and affinity as SQLite (recorded)', () => {
  const cases: [string, string, string][] = [
    ['BOOLEAN', 'TRUE', "1|1|'integer'; 2|1|'integer'"],
    ['', 'FALSE', "1|0|'integer'; 2|0|'integer'"],
    ['INTEGER', '+1', "1|1|'integer'; 2|1|'integer'"],
    ['INTEGER', "'12'", "1|12|'integer'; 2|12|'integer'"],
    ['INTEGER', "'abc'", "1|'abc'|'text'; 2|'abc'|'text'"],
    ['TEXT', '1.0', "1|'1.0'|'text'; 2|'1.0'|'text'"],
    ['', '1.0', "1|1|'real'; 2|1|'real'"],
    ['REAL', '-1', "1|-1|'real'; 2|-1|'real'"],
    ['', "-'12'", "1|-12|'integer'; 2|-12|'integer'"],
    ['TEXT', '1e400', "1|'1e400'|'text'; 2|'Inf'|'text'"],
    ['INTEGER', '-9223372036854775808', "1|-9223372036854775808|'integer'; 2|-9223372036854775808|'integer'"],
    ['', 'CURRENT_TIMESTAMP', 'error: Cannot add a column with non-constant default'],
    ['', '(1+1)', 'error: Cannot add a column with non-constant default'],
  ];
  for (const [type, dflt, expected] of cases) assert.is(ours(addColumn(type, dflt, true)), expected, `${type} DEFAULT ${dflt}`);
  // On an empty table a non-constant default is accepted, as in SQLite.
  assert.match(ours(addColumn('', 'CURRENT_TIMESTAMP', false)), /^2\|'\d{4}-\d\d-\d\d \d\d:\d\d:\d\d'\|'text'$/);
});

test('[SQL-CAT-5] older rows read every added DEFAULT exactly as SQLite reads them (differential, 45 defaults × 9 types × empty/non-empty)', () => {
  if (openOracle === null) return;
  const DEFAULTS = ['TRUE', 'FALSE', '1', '-1', '+1', '- -1', '1.0', '-1.0', '-0.0', '1.5', '-1.5', "'abc'", "'12'", "' 12 '", "'-12'", "'1.0'",
    "'1e2'", "X'41'", "-X'41'", "-'12'", "-'abc'", "+'abc'", 'NULL', '-NULL', '(1)', '(1+1)', '(-1)', "('x')", '(-(-1))', '(-(-2147483648))', 'CURRENT_TIMESTAMP', 'CURRENT_DATE',
    '9223372036854775807', '-9223372036854775808', '9223372036854775808', '2147483648', '-2147483648', '0x10', '-0x10', '0x7fffffffffff', '1e400',
    "(CAST('12' AS INTEGER))", "(CAST(1.5 AS TEXT))", 'abs(-1)', "('a' COLLATE NOCASE)"];
  const TYPES = ['', 'INTEGER', 'INT', 'REAL', 'TEXT', 'NUMERIC', 'BLOB', 'BOOLEAN', 'VARCHAR(10)'];
  const differences: string[] = [];
  for (const d of DEFAULTS) {
    for (const type of TYPES) {
      for (const withRow of [true, false]) {
        const script = addColumn(type, d, withRow);
        const sqlite = openOracle();
        const expected = outcome((s) => sqlite.exec(s), (s) => sqlite.prepare(s).raw().all(), script);
        sqlite.close();
        const actual = ours(script);
        if (actual !== expected) differences.push(`${script.join('; ')}\n  sqlite: ${expected}\n  ours:   ${actual}`);
      }
    }
  }
  assert.equal(differences, []);
});

test('ADD COLUMN refusals on a table with rows match SQLite: NOT NULL with a NULL default, REFERENCES with a default under foreign_keys', () => {
  const scripts: string[][] = [
    addColumn('', 'NULL', true, ' NOT NULL'),
    addColumn('', '(NULL)', true, ' NOT NULL'),
    addColumn('', '5', true, ' NOT NULL'),
    ['PRAGMA foreign_keys = ON', ...addColumn('', '5', true, ' REFERENCES p(id)')],
    ['PRAGMA foreign_keys = ON', ...addColumn('', 'NULL', true, ' REFERENCES p(id)')],
    ['PRAGMA foreign_keys = OFF', ...addColumn('', '5', true, ' REFERENCES p(id)')],
  ];
  const recorded = [
    'error: Cannot add a NOT NULL column with default value NULL',
    'error: Cannot add a NOT NULL column with default value NULL',
    "1|5|'integer'; 2|5|'integer'",
    'error: Cannot add a REFERENCES column with non-NULL default value',
    "1|null|'null'; 2|null|'null'",
    "1|5|'integer'; 2|5|'integer'",
  ];
  scripts.forEach((script, i) => {
    if (openOracle !== null) {
      const sqlite = openOracle();
      assert.is(outcome((s) => sqlite.exec(s), (s) => sqlite.prepare(s).raw().all(), script), recorded[i], `SQLite on ${script.join('; ')}`);
      sqlite.close();
    }
    assert.is(ours(script), recorded[i], script.join('; '));
  });
});

test.run();
