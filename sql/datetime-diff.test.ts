/**
 * timediff() and sqlite_version() against SQLite (better-sqlite3), on
 * encrypted and plain databases: SQLite's year/month/day walk (month ends,
 * leap days, both signs, fractions), NULL for what is not a date, and a
 * seeded sweep of random date pairs compared value by value.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compareWithSqlite, sqliteOracleLoads } from '../scripts/sqlite-oracle.ts';
import { openSqlite } from '../scripts/slt-backend.ts';
import { Database } from './database.ts';
import { SQLITE_VERSION } from './functions.ts';

const hasOracle = sqliteOracleLoads('datetime-diff.test');
const same = (script: string): void => {
  if (!hasOracle) return;
  const d = compareWithSqlite(script);
  if (d !== null) assert.unreachable(d);
};

test('timediff walks years, months and days as SQLite does', () => {
  same(`SELECT timediff('2024-01-02', '2024-01-01');
SELECT timediff('2024-03-05', '2023-01-31 12:00'), timediff('2023-01-31 12:00', '2024-03-05');
SELECT timediff('2024-02-29', '2023-02-28'), timediff('2023-02-28', '2024-02-29');
SELECT timediff('2024-03-31', '2024-02-29'), timediff('2024-02-29', '2024-03-31');
SELECT timediff('2025-01-01', '2024-01-01 00:00:01'), timediff('2024-01-01 00:00:00.123', '2024-01-01');
SELECT timediff('2024-01-01', '2024-01-01'), timediff('-4000-01-01', '9999-12-31 23:59:59.999');
SELECT timediff(NULL, '2024-01-01'), timediff('x', '2024-01-01'), timediff('2024-01-01', 'now') IS NOT NULL;
SELECT timediff(2460000.5, 1700000000), timediff('12:00', '10:30:15.5');
SELECT timediff('2024-01-01');`);
});

test('timediff matches SQLite over random date pairs', () => {
  if (!hasOracle) return;
  const oracle = openSqlite(':memory:');
  const db = new Database(':memory:', { encryption: false });
  let seed = 12345;
  const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
  const date = (): string => {
    const y = 1900 + rnd(250);
    const m = 1 + rnd(12);
    const d = 1 + rnd(31);
    return `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')} ${String(rnd(24)).padStart(2, '0')}:${String(rnd(60)).padStart(2, '0')}:${String(rnd(60)).padStart(2, '0')}.${String(rnd(1000)).padStart(3, '0')}`;
  };
  const sql = 'SELECT timediff(?, ?)';
  const want = oracle.prepare(sql);
  const got = db.prepare(sql);
  for (let i = 0; i < 2000; i++) {
    const a = date();
    const b = date();
    assert.is(got.pluck().get(a, b), (want as unknown as { pluck(): { get(...v: unknown[]): unknown } }).pluck().get(a, b), `seed 12345 case ${i}: timediff('${a}', '${b}')`);
  }
  oracle.close();
  db.close();
});

test('sqlite_version() is the SQLite release we match', () => {
  same('SELECT sqlite_version(), typeof(sqlite_version());');
  const db = new Database(':memory:', { key: { raw: new Uint8Array(32).fill(1) } });
  assert.is(db.prepare('SELECT sqlite_version()').pluck().get(), SQLITE_VERSION);
  db.close();
});

test.run();
