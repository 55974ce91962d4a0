/**
 * Bad SQL never crashes the engine: statements from the golden files are
 * mutated (tokens dropped, duplicated, swapped, replaced by odd values) and
 * run; every failure must be a typed HeliosError (never INTERNAL), and the database must stay
 * usable (integrity_check ok). Deterministic seeds; a failure prints the SQL.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Database } from './database.ts';
import { isHeliosError } from '../format/errors.ts';
import { seededRandom as rng } from '../format/test-support.ts';

const dir = join(process.cwd(), 'sql', 'testdata');
const corpus: string[] = [];
for (const f of readdirSync(dir).filter((x) => x.endsWith('.txt'))) {
  const text = readFileSync(join(dir, f), 'utf8');
  for (const block of text.split(/\n----\n/)) {
    const sql = block.split('\n').filter((l) => !l.startsWith('#')).join('\n');
    for (const stmt of sql.split(';')) if (stmt.trim().length > 0 && !/^\s*(error|ok|\(no rows\))/.test(stmt)) corpus.push(stmt.trim());
  }
}

const ODD = ['NULL', "'x'", "X'00'", '-9223372036854775808', '1e308', '(SELECT 1)', '*', ',', '(', ')', 'ORDER BY 1', 'COLLATE NOCASE', '?', 'rowid', 't', 'a', "''", '0.5', 'NOT', 'IN ()', 'LIMIT -1'];

function mutate(sql: string, r: () => number): string {
  const toks = sql.match(/'[^']*'|"[^"]*"|[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?|\S/g) ?? [];
  const n = 1 + Math.floor(r() * 3);
  for (let i = 0; i < n && toks.length > 0; i++) {
    const at = Math.floor(r() * toks.length);
    const op = r();
    if (op < 0.3) toks.splice(at, 1);
    else if (op < 0.5) toks.splice(at, 0, toks[at]!);
    else if (op < 0.7) toks[at] = ODD[Math.floor(r() * ODD.length)]!;
    else {
      const b = Math.floor(r() * toks.length);
      [toks[at], toks[b]] = [toks[b]!, toks[at]!];
    }
  }
  return toks.join(' ');
}

for (const seed of [11, 22, 33, 44, 55, 66]) {
  test(`mutated statements fail only with typed errors and leave the database consistent (seed ${seed})`, () => {
    const r = rng(seed);
    const db = new Database(':memory:');
    db.exec(`CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b TEXT UNIQUE, c REAL CHECK (c IS NULL OR c > -1e9));
             CREATE INDEX t_a ON t(a DESC, b);
             CREATE TABLE u(x, y TEXT COLLATE NOCASE, FOREIGN KEY (x) REFERENCES t(id));
             INSERT INTO t VALUES (1, 5, 'x', 1.5), (2, NULL, 'y', NULL), (3, 7, NULL, 2);
             INSERT INTO u VALUES (1, 'A'), (2, 'b');`);
    let typed = 0;
    for (let i = 0; i < 3000; i++) {
      const sql = mutate(corpus[Math.floor(r() * corpus.length)]!, r);
      try {
        const st = db.prepare(sql);
        if (st.reader) st.all();
        else st.run();
      } catch (e) {
        if (!isHeliosError(e) || e.code === 'INTERNAL') {
          console.error(`seed ${seed}, case ${i}: ${sql}`);
          throw e;
        }
        typed++;
      }
      if (db.inTransaction && r() < 0.3) db.exec('ROLLBACK');
    }
    if (db.inTransaction) db.exec('ROLLBACK');
    assert.ok(typed > 0);
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    db.close();
  });
}

test('a result longer than a JavaScript string can hold is TOO_BIG, and the statement changes nothing', () => {
  const db = new Database(':memory:', { encryption: false });
  db.exec('CREATE TABLE t (x)');
  // Six copies of one 9e7-character string: 5.4e8 units, past MAX_TEXT_LENGTH and V8's string limit (~2^29).
  const huge = "WITH big(x) AS MATERIALIZED (SELECT printf('%90000000d', 1)) SELECT group_concat(x, '') FROM big, (VALUES (1), (2), (3), (4), (5), (6))";
  assert.throws(() => db.prepare(huge).get(), (e: unknown) => isHeliosError(e, 'TOO_BIG'));
  assert.throws(() => db.prepare(`INSERT INTO t ${huge}`).run(), (e: unknown) => isHeliosError(e, 'TOO_BIG'));
  assert.is(db.prepare('SELECT count(*) FROM t').pluck().get(), 0);
  db.prepare('INSERT INTO t VALUES (1)').run();
  assert.is(db.prepare('SELECT count(*) FROM t').pluck().get(), 1);
  db.close();
});

test.run();
