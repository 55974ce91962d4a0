/**
 * Data-driven golden tests: every file in sql/testdata/*.txt is a script of
 * cases, each run on a fresh ENCRYPTED database and on a fresh UNENCRYPTED
 * one; both must print exactly the expected output.
 *
 * A case is SQL, a line `----`, the expected output, and a blank line:
 *
 *   CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT UNIQUE);
 *   INSERT INTO t VALUES (1, 'x');
 *   SELECT * FROM t;
 *   ----
 *   1|x
 *
 * Every statement runs in order; the rows of the last statement that
 * returns rows are printed one per line, values joined by `|` (NULL, TEXT as
 * is, REAL as SQLite prints it, BLOB as x'..'); `(no rows)` when it returns
 * none, `ok` when no statement returns rows. A statement that fails prints
 * `error CODE: message` and ends the case. Lines starting with `#` between
 * cases are comments. HELIOS_REWRITE=1 rewrites the expected outputs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from './database.ts';
import { parse } from './parser.ts';
import { renderReal } from './value.ts';

/** NULL, integers, REAL as SQLite prints it, TEXT as is, BLOB as x'..'. */
function renderCell(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : renderReal(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return `x'${Array.from(v, (b) => b.toString(16).padStart(2, '0')).join('')}'`;
  return String(v);
}

const dir = join(process.cwd(), 'sql', 'testdata');
const rewrite = typeof process !== 'undefined' && process.env.HELIOS_REWRITE === '1';

interface Case {
  readonly sql: string;
  readonly expected: string;
  readonly line: number;
}

function parseCases(text: string): { cases: Case[]; comments: Map<number, string[]> } {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const cases: Case[] = [];
  const comments = new Map<number, string[]>();
  let i = 0;
  while (i < lines.length) {
    while (i < lines.length && (lines[i]!.trim() === '' || lines[i]!.startsWith('#'))) {
      if (lines[i]!.startsWith('#')) {
        const c = comments.get(cases.length) ?? [];
        c.push(lines[i]!);
        comments.set(cases.length, c);
      }
      i++;
    }
    if (i >= lines.length) break;
    const start = i;
    const sql: string[] = [];
    while (i < lines.length && lines[i] !== '----') sql.push(lines[i++]!);
    if (i >= lines.length) throw new Error(`case at line ${start + 1} has no ---- line`);
    i++;
    const exp: string[] = [];
    while (i < lines.length && lines[i]!.trim() !== '') exp.push(lines[i++]!);
    cases.push({ sql: sql.join('\n'), expected: exp.join('\n'), line: start + 1 });
  }
  return { cases, comments };
}

function runCase(db: Database, sql: string): string {
  let out: string | null = null;
  try {
    for (const stmt of parse(sql)) {
      const st = db.prepare(stmt.sql);
      if (st.reader) {
        const rows = st.raw().all() as unknown[][];
        out = rows.length === 0 ? '(no rows)' : rows.map((r) => r.map(renderCell).join('|')).join('\n');
      } else st.run();
    }
  } catch (e) {
    const code = (e as { code?: string }).code ?? 'THROWN';
    return `error ${code}: ${(e as Error).message.split('\n')[0]}`;
  }
  return out ?? 'ok';
}

function runFile(file: string, encrypted: boolean): { actual: string[]; cases: Case[]; comments: Map<number, string[]> } {
  const { cases, comments } = parseCases(readFileSync(join(dir, file), 'utf8'));
  const tmp = mkdtempSync(join(tmpdir(), 'helios-golden-'));
  const db = new Database(join(tmp, 'g.db'), encrypted ? { key: { raw: new Uint8Array(32).fill(7) }, synchronous: 'off' } : { encryption: false, synchronous: 'off' });
  try {
    return { actual: cases.map((c) => runCase(db, c.sql)), cases, comments };
  } finally {
    db.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

const files = readdirSync(dir).filter((f) => f.endsWith('.txt')).sort();

for (const file of files) {
  test(`golden ${file}: encrypted and unencrypted databases print the expected output`, () => {
    const enc = runFile(file, true);
    const plain = runFile(file, false);
    if (rewrite) {
      const parts: string[] = [];
      enc.cases.forEach((c, i) => {
        for (const l of enc.comments.get(i) ?? []) parts.push(l);
        parts.push(`${c.sql}\n----\n${enc.actual[i]}\n`);
      });
      for (const l of enc.comments.get(enc.cases.length) ?? []) parts.push(l);
      writeFileSync(join(dir, file), parts.join('\n'));
    }
    enc.cases.forEach((c, i) => {
      assert.is(plain.actual[i], enc.actual[i], `${file}:${c.line}: unencrypted differs from encrypted`);
      if (!rewrite) assert.is(enc.actual[i], c.expected, `${file}:${c.line}\n${c.sql}`);
    });
  });
}

test.run();
