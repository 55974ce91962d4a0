// The known-answer vectors kept beside the spec (spec/vectors/README.md): each file has the
// SHA-256 the README gives, and, where the project's ../shared/vectors/ originals sit beside
// this clone, each still matches its source — the RFC files byte for byte, the Wycheproof
// file as exactly the AES-256 / 96-bit IV / 128-bit tag group of the full set.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = join(process.cwd(), 'spec', 'vectors');
const shared = join(process.cwd(), '..', 'shared', 'vectors');
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const readme = readFileSync(join(dir, 'README.md'), 'utf8');

test('every vector file has the size and SHA-256 that spec/vectors/README.md lists', () => {
  const rows = [...readme.matchAll(/^\| `([^`]+\.json)` \|[^|]*\| ([\d,]+) \| `([0-9a-f]{64})` \|$/gm)];
  assert.equal(rows.map((r) => r[1]).sort(), ['aes-gcm-256-96-wycheproof.json', 'argon2-rfc9106.json', 'hkdf-rfc5869.json']);
  for (const [, name, bytes, hash] of rows) {
    const data = readFileSync(join(dir, name!));
    assert.is(data.length, Number(bytes!.replace(/,/g, '')), `${name} size`);
    assert.is(sha256(data), hash, `${name} SHA-256`);
  }
});

test('the Wycheproof subset says in its header that it was changed, and from which file', () => {
  const j = JSON.parse(readFileSync(join(dir, 'aes-gcm-256-96-wycheproof.json'), 'utf8')) as { header: string[]; numberOfTests: number; testGroups: { tests: unknown[] }[] };
  assert.ok(j.header.join(' ').includes('985e5ecc172e181eaf49e89508b9470dcf478002eb7e8559c707eb42dc97dfe7'));
  assert.is(j.numberOfTests, j.testGroups.reduce((n, g) => n + g.tests.length, 0));
  assert.ok(existsSync(join(dir, 'LICENSE-wycheproof-Apache-2.0.txt')), 'the Apache licence travels with it');
});

const haveShared = existsSync(join(shared, 'aes_gcm_test.json'));
if (!haveShared) console.log('skipped: ../shared/vectors/ is not beside this clone (CI has it); the comparison of spec/vectors/ with the original files did not run');

if (haveShared) test('the RFC vector files are byte-identical to ../shared/vectors/', () => {
  for (const name of ['argon2-rfc9106.json', 'hkdf-rfc5869.json', 'LICENSE-wycheproof-Apache-2.0.txt']) {
    assert.is(sha256(readFileSync(join(dir, name))), sha256(readFileSync(join(shared, name))), name);
  }
});

if (haveShared) test('the Wycheproof subset is exactly the AES-256 / 96-bit IV / 128-bit tag groups of the full file', () => {
  type Group = { keySize: number; ivSize: number; tagSize: number };
  const full = readFileSync(join(shared, 'aes_gcm_test.json'));
  const mine = JSON.parse(readFileSync(join(dir, 'aes-gcm-256-96-wycheproof.json'), 'utf8')) as { testGroups: Group[] };
  assert.ok(readme.includes(sha256(full)), 'the README names the source file by its SHA-256');
  const groups = (JSON.parse(full.toString('utf8')) as { testGroups: Group[] }).testGroups.filter((g) => g.keySize === 256 && g.ivSize === 96 && g.tagSize === 128);
  assert.equal(mine.testGroups, groups);
});

test.run();
