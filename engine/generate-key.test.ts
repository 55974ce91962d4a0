import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKey } from './generate-key.ts';
import { openEngine } from './engine.ts';
import { utf8Encode } from '../format/bytes.ts';

test('generateKey returns 64 lower-case hex characters, different every call', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 100; i++) {
    const k = generateKey();
    assert.match(k, /^[0-9a-f]{64}$/);
    seen.add(k);
  }
  assert.is(seen.size, 100);
});

test('a generated key written to a key file opens the database it created and no other key does', () => {
  const dir = mkdtempSync(join(tmpdir(), 'helios-genkey-'));
  try {
    const keyFile = join(dir, 'db.key');
    writeFileSync(keyFile, generateKey() + '\n');
    const db = openEngine(join(dir, 'db'), { key: { file: keyFile } });
    db.put(utf8Encode('k'), utf8Encode('v'));
    db.close();
    const again = openEngine(join(dir, 'db'), { key: { file: keyFile } });
    assert.equal(again.get(utf8Encode('k')), utf8Encode('v'));
    again.close();
    writeFileSync(keyFile, generateKey());
    assert.throws(() => openEngine(join(dir, 'db'), { key: { file: keyFile } }), (e: unknown) => (e as { code?: string }).code === 'WRONG_KEY');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
