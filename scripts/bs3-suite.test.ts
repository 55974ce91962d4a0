// better-sqlite3's own test suite (v12.11.1) against the drop-in (sql/compat.ts, the package's
// default export), through scripts/bs3-suite.mjs: every test passes except those listed, with
// their reasons, in scripts/bs3-exceptions.ts (and the README). A listed test that passes fails
// this test too, so the list can only shrink. Skipped, saying why, when ../shared is absent.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BS3_EXCEPTIONS } from './bs3-exceptions.ts';

const suite = join(process.cwd(), '..', 'shared', 'conformance', 'better-sqlite3', 'test');
const readme = readFileSync(join(process.cwd(), 'README.md'), 'utf8');

/** The README's exception table: "file | test | why" rows (file without .js). */
function readmeExceptions(): string[] {
  const at = readme.indexOf('| file | test | why |');
  assert.ok(at >= 0, 'the README has the exception table');
  const rows: string[] = [];
  for (const line of readme.slice(at).split('\n').slice(2)) {
    if (!line.startsWith('| ')) break;
    rows.push(line);
  }
  return rows;
}

test('the README lists exactly the exceptions of scripts/bs3-exceptions.ts, with the same reasons', () => {
  const listed = Object.entries(BS3_EXCEPTIONS).flatMap(([file, tests]) => Object.entries(tests).map(([t, why]) => `| ${file.replace(/\.js$/, '')} | ${t} | ${why} |`));
  assert.equal(readmeExceptions(), listed);
});

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
    // The README's headline counts are this run's.
    assert.ok(readme.includes(`**${passed} of ${total}** tests pass`), `the README says **${passed} of ${total}** tests pass`);
    for (const [file, r] of Object.entries(files)) {
      const said = `${file.replace(/\.js$/, '')} ${r.passed}/${r.passed + r.failed}`;
      assert.ok(readme.includes(said), `the README's per-file count says ${said}`);
    }
    assert.equal(unexpected, [], 'tests failing that scripts/bs3-exceptions.ts does not list');
    assert.equal(stale, [], 'listed exceptions that now pass: remove them from scripts/bs3-exceptions.ts and the README');
  });
}

test.run();
