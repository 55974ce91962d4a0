import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dumpDatabase } from './dump.ts';
import { openEngine, createWriteBatch } from './engine.ts';
import { createMemVfs } from './vfs.ts';
import { isHeliosError } from '../format/errors.ts';
import { toHex, utf8Encode } from '../format/bytes.ts';

const KEY = new Uint8Array(32).fill(9);

test('dump lists headers, every WAL batch and manifest edit, decrypted, and writes nothing', () => {
  const vfs = createMemVfs();
  const db = openEngine('db', { key: { raw: KEY }, vfs });
  db.put(utf8Encode('k'), utf8Encode('v'));
  const b = createWriteBatch();
  b.delete(utf8Encode('k'));
  b.put(utf8Encode('j'), utf8Encode('w'));
  db.write(b);
  db.close();
  const before = vfs.paths().map((p) => `${p}:${toHex(vfs.readFile(p))}`);
  const text = dumpDatabase('db', { key: { raw: KEY }, vfs });
  assert.equal(vfs.paths().map((p) => `${p}:${toHex(vfs.readFile(p))}`), before);
  const lines = text.split('\n');
  assert.ok(lines[0]!.startsWith('HELIOS: suite aes-256-gcm'));
  assert.ok(lines.some((l) => /^CURRENT: MANIFEST-000002, closed at seq 3, manifest \d+ bytes$/.test(l)), text);
  assert.ok(lines.some((l) => /^  @\d+ #0 batch seq 1, 1 entries$/.test(l)), text);
  assert.ok(lines.includes('    1 put 6b = 76'), text);
  assert.ok(lines.includes('    2 delete 6b'), text);
  assert.ok(lines.includes('    3 put 6a = 77'), text);
  assert.ok(lines.some((l) => l.startsWith('MANIFEST-000002: kind 2, version 1, generation 1, number 2')), text);
  assert.ok(lines.some((l) => l.includes('"walSealed":[{"fileNumber":1,')), text);
});

test('dump with a wrong key is WRONG_KEY', () => {
  const vfs = createMemVfs();
  openEngine('db', { key: { raw: KEY }, vfs }).close();
  try {
    dumpDatabase('db', { key: { raw: new Uint8Array(32) }, vfs });
    assert.unreachable();
  } catch (e) {
    assert.ok(isHeliosError(e, 'WRONG_KEY'), String(e));
  }
});

test.run();
