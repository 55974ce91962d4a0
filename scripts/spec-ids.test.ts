// spec/ is normative and tested (STYLE.md 13): every ID like [CRY-NONCE-1] or
// [FMT-WAL-3] defined in spec/*.md must be cited by at least one *.test.ts,
// and every ID a test cites must exist in the spec.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = process.cwd();
const ID = /\[((?:CRY|FMT|SQL|API|ENG|AUD)-[A-Z0-9]+(?:-[A-Z0-9]+)*)\]/g;

function walk(dir: string, pred: (name: string) => boolean, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, pred, out);
    else if (pred(name)) out.push(p);
  }
  return out;
}

function idsIn(files: string[]): Map<string, string> {
  const ids = new Map<string, string>();
  for (const f of files) for (const m of readFileSync(f, 'utf8').matchAll(ID)) if (!ids.has(m[1]!)) ids.set(m[1]!, relative(root, f));
  return ids;
}

const specIds = idsIn(walk(join(root, 'spec'), (n) => n.endsWith('.md')));
const testFiles = ['format', 'crypto', 'engine', 'sql', 'fuzz', 'scripts']
  .flatMap((d) => {
    try {
      return walk(join(root, d), (n) => n.endsWith('.test.ts'));
    } catch {
      return [];
    }
  })
  .filter((f) => !f.endsWith('spec-ids.test.ts'));
const citedIds = idsIn(testFiles);

test('every spec ID is cited by a test', () => {
  const uncited = [...specIds.keys()].filter((id) => !citedIds.has(id)).map((id) => `${id} (${specIds.get(id)})`);
  assert.equal(uncited, []);
});

test('every ID cited by a test exists in spec/', () => {
  const unknown = [...citedIds.keys()].filter((id) => !specIds.has(id)).map((id) => `${id} (${citedIds.get(id)})`);
  assert.equal(unknown, []);
});

test.run();
