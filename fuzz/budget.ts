/**
 * Budgets for property campaigns. CI runs each campaign with its bounded
 * default; `npm run fuzz` (HELIOS_FUZZ_LONG=1) multiplies it, and
 * `--runs N`, `--minutes M`, `--seed S` override it:
 *
 *   npm run fuzz -- --seed 1234 --runs 100000
 *   HELIOS_FUZZ_SCALE=15 node scripts/run-ts.mjs fuzz/differential-json.test.ts   (15× each campaign's CI budget)
 *   npm test -- fuzz/wal --seed 1234          (replay one CI failure)
 *
 * fast-check prints the seed and path of every failure; pass them back
 * through `--seed` (and HELIOS_FUZZ_PATH for the exact counterexample).
 */
import type { Parameters } from 'fast-check';

const env = typeof process !== 'undefined' ? process.env : {};

export const LONG = env.HELIOS_FUZZ_LONG === '1';

/** fast-check parameters for a campaign whose CI budget is `ciRuns` runs. */
export function fuzzParams<T>(ciRuns: number): Parameters<T> {
  const p: Parameters<T> = { numRuns: ciRuns };
  if (env.HELIOS_FUZZ_RUNS) p.numRuns = Number(env.HELIOS_FUZZ_RUNS);
  else if (env.HELIOS_FUZZ_SCALE) p.numRuns = Math.ceil(ciRuns * Number(env.HELIOS_FUZZ_SCALE));
  else if (LONG) p.numRuns = ciRuns * 50;
  if (env.HELIOS_FUZZ_MINUTES) {
    p.numRuns = Number.MAX_SAFE_INTEGER;
    p.interruptAfterTimeLimit = Number(env.HELIOS_FUZZ_MINUTES) * 60_000;
    p.markInterruptAsFailure = false;
  }
  if (env.HELIOS_FUZZ_SEED) p.seed = Number(env.HELIOS_FUZZ_SEED);
  if (env.HELIOS_FUZZ_PATH) p.path = env.HELIOS_FUZZ_PATH;
  return p;
}

/** A plain count for loops that are not fast-check campaigns (e.g. SIGKILL rounds). */
export function fuzzCount(ci: number): number {
  if (env.HELIOS_FUZZ_RUNS) return Number(env.HELIOS_FUZZ_RUNS);
  return LONG ? ci * 20 : ci;
}
