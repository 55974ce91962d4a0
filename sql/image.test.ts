import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toHex } from '../format/bytes.ts';
import { isHeliosError } from '../format/errors.ts';
import { encodeImage } from '../engine/image.ts';
import { Database } from './database.ts';

function catchOpen(image: Uint8Array): unknown {
  try {
    new Database(':memory:', { image }).close();
  } catch (e) {
    return e;
  }
  return null;
}

test('[ENG-IMAGE-1] an image of foreign files fails to open typed', () => {
  // An image whose files are no database: the open fails typed (the superblock does not parse).
  assert.ok(isHeliosError(catchOpen(encodeImage([{ name: 'HELIOS', bytes: new Uint8Array(88) }, { name: 'CURRENT', bytes: new Uint8Array(57) }]))));
});

test('[ENG-IMAGE-1] serialize() round-trips a database, encrypted under the same key', () => {
  const key = { raw: new Uint8Array(32).fill(7) };
  const db = new Database(':memory:', { key });
  db.exec("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT); INSERT INTO t VALUES (1, 'secret-value'), (2, 'two')");
  const image = db.serialize();
  db.close();
  assert.ok(!new TextDecoder().decode(image).includes('secret-value'), 'sealed bytes only');
  assert.ok(isHeliosError(catchOpen(image)), 'no key: refused');
  const copy = new Database(':memory:', { key, image });
  assert.equal(copy.prepare('SELECT b FROM t ORDER BY a').all(), [{ b: 'secret-value' }, { b: 'two' }]);
  assert.equal(toHex(copy.serialize()), toHex(image), 'unchanged: the same bytes');
  copy.exec("INSERT INTO t VALUES (3, 'three')");
  const next = copy.serialize();
  assert.not.equal(toHex(next), toHex(image));
  copy.close();
  const third = new Database(':memory:', { key, image: next, readonly: true });
  assert.equal(third.prepare('SELECT count(*) AS n FROM t').get(), { n: 3 });
  assert.throws(() => third.exec("INSERT INTO t VALUES (4, 'x')"), (e: unknown) => isHeliosError(e) && /readonly/.test(e.message));
  third.close();
  // An unencrypted database's image is plain bytes.
  const plain = new Database(':memory:');
  plain.exec("CREATE TABLE p (x TEXT); INSERT INTO p VALUES ('visible-text')");
  assert.ok(new TextDecoder().decode(plain.serialize()).includes('visible-text'));
  plain.close();
});

test.run();
