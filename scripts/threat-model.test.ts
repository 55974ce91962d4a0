// spec/threat-model.md ties each claim to a test by name (`file: test name`):
// every such citation must name a test file that exists and a test in it with
// exactly that name, so a renamed or deleted test cannot leave a claim behind.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = process.cwd();
const doc = readFileSync(join(root, 'spec', 'threat-model.md'), 'utf8');
const CITE = /`([a-z0-9/-]+\.test\.ts): ([^`]+)`/g;

test('every test the threat model cites exists under that name', () => {
  const cites = [...doc.matchAll(CITE)].map((m) => ({ file: m[1]!, name: m[2]! }));
  assert.ok(cites.length >= 20, `only ${cites.length} citations`);
  const missing: string[] = [];
  for (const c of cites) {
    const p = join(root, c.file);
    if (!existsSync(p)) {
      missing.push(`${c.file} (no such file)`);
      continue;
    }
    const src = readFileSync(p, 'utf8').replace(/\\'/g, "'");
    if (!src.includes(`test('${c.name}'`) && !src.includes(`test("${c.name}"`)) missing.push(`${c.file}: ${c.name}`);
  }
  assert.equal(missing, []);
});

test('the threat model covers the attacker models and FIPS mode', () => {
  for (const h of ['stolen disk', 'stolen backups', 'write access', 'memory dumps', 'FIPS mode: what it does and does not certify']) assert.ok(doc.includes(h), h);
});

test.run();
