// better-sqlite3's own test suite (v12.11.1) against the drop-in (sql/compat.ts, the package's
// default export), through scripts/bs3-suite.mjs: every test passes except those listed, with
// their reasons, in scripts/bs3-exceptions.ts (and the README). A listed test that passes fails
// this test too, so the list can only shrink. Skipped, saying why, when ../shared is absent.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BS3_EXCEPTIONS } from './bs3-exceptions.ts';

const suite = join(process.cwd(), '..', 'shared', 'conformance', 'better-sqlite3', 'test');

interface FileResult {
  passed: number;
  failed: number;
  pending: number;
  failures: { title: string; message: string }[];
}

if (!existsSync(suite)) {
  console.log(`skipped: better-sqlite3's suite is not at ${suite} (it comes with ../shared, outside this repository)`);
} else {
  test('better-sqlite3 v12.11.1 suite: every test passes but the listed exceptions', async () => {
    const harness = (await import(join(process.cwd(), 'scripts', 'bs3-suite.mjs'))) as { runSuite: () => Promise<{ files: Record<string, FileResult> }> };
    const { files } = await harness.runSuite();
    const unexpected: string[] = [];
    const stale: string[] = [];
    let passed = 0;
    let total = 0;
    for (const [file, r] of Object.entries(files)) {
      passed += r.passed;
      total += r.passed + r.failed;
      const listed = BS3_EXCEPTIONS[file] ?? {};
      const failing = new Set(r.failures.map((f) => f.title));
      for (const f of r.failures) if (!(f.title in listed)) unexpected.push(`${file}: ${f.title}\n      ${f.message.split('\n')[0]}`);
      for (const t of Object.keys(listed)) if (!failing.has(t)) stale.push(`${file}: ${t}`);
      console.log(`  ${file.padEnd(32)} ${r.passed}/${r.passed + r.failed}`);
    }
    for (const f of Object.keys(BS3_EXCEPTIONS)) if (!(f in files)) stale.push(`${f} (no such file ran)`);
    console.log(`  better-sqlite3 suite: ${passed}/${total} passed`);
    assert.equal(unexpected, [], 'tests failing that scripts/bs3-exceptions.ts does not list');
    assert.equal(stale, [], 'listed exceptions that now pass: remove them from scripts/bs3-exceptions.ts and the README');
  });
}

test.run();
