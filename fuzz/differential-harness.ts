/**
 * The harness of the feature campaigns against SQLite (JSON, windows,
 * triggers, schema changes): a program is a list of statements run in order
 * on SQLite (better-sqlite3, the oracle) and on HeliosDB (an ENCRYPTED
 * database: AES-256-GCM with a random raw key, in memory or in a temporary
 * directory); after each one, read-back queries show the state it left.
 *
 * Every statement and read-back must succeed on both or fail on both, and
 * return the same column count and the same values with the same storage
 * classes as multisets — in the same order, up to ties, when `ordered`. A
 * statement marked `messages` (a RAISE in a trigger) must fail with the same
 * message text. A crash (an error that is not a typed HeliosError) always
 * fails. A statement using a feature of `excluded` (a difference the README
 * lists) runs on neither engine.
 *
 * A failure throws an Error naming the statement and the difference, and the
 * script that replays it (the program up to that statement): fast-check
 * shrinks the program first, so the script printed is the minimal one, and
 * prints the seed and path to replay the run
 * (`HELIOS_FUZZ_SEED=S HELIOS_FUZZ_PATH=P node scripts/run-ts.mjs fuzz/….test.ts`).
 */
import { createSqliteBackend, type SltBackend } from '../scripts/slt-backend.ts';
import { createHeliosBackend } from '../scripts/slt-helios.ts';
import { attempt, compareOutcomes, type Outcome } from '../scripts/slt-compare.ts';

export interface Step {
  readonly sql: string;
  /** Feature tags: a step using an excluded one is not run. */
  readonly features: readonly string[];
  /** ORDER BY covers the output, so row order is compared (up to ties). */
  readonly ordered?: boolean;
  /** Values are compared by what they compare equal as (min/max keep any of 1 and 1.0). */
  readonly representatives?: boolean;
  /** A failure's message text must match SQLite's (RAISE messages). */
  readonly messages?: boolean;
  /** Read-back queries compared (as multisets) right after this step. */
  readonly after?: readonly string[];
}

export interface Program {
  readonly setup: readonly string[];
  readonly steps: readonly Step[];
}

/**
 * A feature not compared: either an intended difference (`why` names the
 * README "Where we differ" entry) or, with `pending: true`, a feature the
 * engine lacks or a bug too big for the campaign to fix, reported so and
 * printed by every run until it is deleted.
 */
export interface Exclusion {
  readonly feature: string;
  readonly why: string;
  readonly pending?: boolean;
}

/** Prints the pending exclusions of a campaign (they are not acceptable, only known). */
export function reportPending(campaign: string, excluded: readonly Exclusion[]): void {
  const pending = excluded.filter((e) => e.pending === true);
  if (pending.length > 0) console.log(`${campaign}: not compared until fixed: ${pending.map((e) => `${e.feature} (${e.why})`).join('; ')}`);
}

/** The program as a script that replays it, up to step `upTo` (inclusive) and its read-backs. */
export function programScript(p: Program, upTo = p.steps.length - 1, excluded: readonly Exclusion[] = []): string {
  const lines = [...p.setup];
  p.steps.slice(0, upTo + 1).forEach((s, k) => {
    if (isExcluded(s, excluded)) return;
    lines.push(s.sql);
    if (k === upTo) lines.push(...(s.after ?? []));
  });
  return lines.map((l) => (l.endsWith(';') ? l : l + ';')).join('\n');
}

function isExcluded(s: Step, excluded: readonly Exclusion[]): boolean {
  return excluded.some((e) => s.features.includes(e.feature));
}

/** The message of a typed error without its code ("error SQLITE_CONSTRAINT_TRIGGER: x" → "x"). */
function messageOf(o: Outcome): string | null {
  if (o.ok) return null;
  return o.error.replace(/^error [A-Z_]+: /, '');
}

/**
 * SQLite's ALTER TABLE … ADD COLUMN with a NOT NULL or REFERENCES column
 * runs a check query and so reports one result column (better-sqlite3 calls
 * it a reader) while returning no row: an ALTER TABLE's empty result is
 * compared as no columns.
 */
function noColumnsForDdl(sql: string, o: Outcome): Outcome {
  if (!o.ok || o.result.rows.length > 0 || !/^ALTER\b/i.test(sql)) return o;
  return { ok: true, result: { columnCount: 0, rows: [] } };
}

export type BackendFactory = () => SltBackend;

/** An encrypted HeliosDB: in memory (default) or in a temporary directory. */
export function encryptedHelios(onDisk = false): BackendFactory {
  return () => createHeliosBackend({ encrypted: true, memory: !onDisk });
}

export const sqliteOracle: BackendFactory = () => createSqliteBackend();

/** Runs `p` on both engines; throws when they disagree (see the file comment). */
export function checkProgram(p: Program, makeSubject: BackendFactory, excluded: readonly Exclusion[] = [], makeOracle: BackendFactory = sqliteOracle): void {
  const oracle = makeOracle();
  const subject = makeSubject();
  try {
    p.setup.forEach((sql, i) => {
      const run = (b: SltBackend) => () => (b.exec(sql), { columnCount: 0, rows: [] });
      const diff = compareOutcomes(attempt(run(oracle)), attempt(run(subject)), false);
      if (diff !== null) throw new Error(`setup statement differs: ${sql}\n  ${diff}\n-- script:\n${p.setup.slice(0, i + 1).join(';\n')};`);
    });
    p.steps.forEach((s, k) => {
      if (isExcluded(s, excluded)) return;
      const fail = (what: string, diff: string): never => {
        throw new Error(`${what}\n  ${diff}\n-- features: ${[...new Set(s.features)].join(' ')}\n-- script:\n${programScript(p, k, excluded)}`);
      };
      const expected = noColumnsForDdl(s.sql, attempt(() => oracle.query(s.sql)));
      const actual = noColumnsForDdl(s.sql, attempt(() => subject.query(s.sql)));
      const diff = compareOutcomes(expected, actual, s.ordered ?? false, s.representatives ?? false);
      if (diff !== null) fail(`statement differs: ${s.sql}`, diff);
      if (s.messages && !expected.ok && messageOf(expected) !== messageOf(actual)) fail(`error message differs: ${s.sql}`, `sqlite: ${expected.error}\n  helios: ${actual.ok ? 'ok' : actual.error}`);
      for (const check of s.after ?? []) {
        const d = compareOutcomes(attempt(() => oracle.query(check)), attempt(() => subject.query(check)), false);
        if (d !== null) fail(`state after ${s.sql} differs: ${check}`, d);
      }
    });
  } finally {
    oracle.close();
    subject.close();
  }
}
