/**
 * SQLCipher page decryption: both backends (node:crypto, @noble) agree on
 * pages built here by the layout of crypto/sqlcipher.ts (the importer's
 * tests check it against files SQLCipher wrote), any flipped bit of
 * ciphertext, IV, HMAC or page number fails the HMAC, and the parameters of
 * versions 3 and 4 are SQLCipher's defaults.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createCipheriv, createHmac, pbkdf2Sync } from 'node:crypto';
import { createSqlcipherKeys, sqlcipherParams, type SqlcipherParams } from './sqlcipher.ts';

test('version 4 and 3 parameters are SQLCipher defaults', () => {
  assert.equal(sqlcipherParams(4), { pageSize: 4096, kdfIterations: 256_000, hash: 'sha512', reserve: 80 });
  assert.equal(sqlcipherParams(3), { pageSize: 1024, kdfIterations: 64_000, hash: 'sha1', reserve: 48 });
  assert.equal(sqlcipherParams(4, { pageSize: 8192, kdfIterations: 10 }).pageSize, 8192);
  assert.throws(() => sqlcipherParams(4, { pageSize: 1000 }));
});

/** A page encrypted as SQLCipher writes it, independently of the code under test. */
function sealPage(params: SqlcipherParams, passphrase: string, salt: Uint8Array, plain: Uint8Array, pgno: number, iv: Uint8Array): Uint8Array {
  const key = pbkdf2Sync(passphrase, salt, params.kdfIterations, 32, params.hash);
  const hmacKey = pbkdf2Sync(key, salt.map((b) => b ^ 0x3a), 2, 32, params.hash);
  const offset = pgno === 1 ? 16 : 0;
  const end = params.pageSize - params.reserve;
  const c = createCipheriv('aes-256-cbc', key, iv);
  c.setAutoPadding(false);
  const ct = Buffer.concat([c.update(plain.subarray(offset, end)), c.final()]);
  const out = new Uint8Array(params.pageSize);
  if (pgno === 1) out.set(salt);
  out.set(ct, offset);
  out.set(iv, end);
  const pg = Buffer.alloc(4);
  pg.writeUInt32LE(pgno);
  const mac = createHmac(params.hash, hmacKey).update(out.subarray(offset, end + 16)).update(pg).digest();
  out.set(mac, end + 16);
  return out;
}

for (const version of [3, 4] as const) {
  test(`SQLCipher ${version}: both backends decrypt a page to the same plaintext, and any flipped bit fails the HMAC`, () => {
    const params = sqlcipherParams(version, { kdfIterations: 50 });
    const salt = new Uint8Array(16).map((_, i) => i * 7);
    const plain = new Uint8Array(params.pageSize).map((_, i) => (i * 31) & 255);
    const iv = new Uint8Array(16).fill(5);
    for (const pgno of [1, 2, 300]) {
      const sealed = sealPage(params, 'pw', salt, plain, pgno, iv);
      const results = (['node', 'noble'] as const).map((b) => {
        const keys = createSqlcipherKeys({ passphrase: new TextEncoder().encode('pw') }, salt, params, b);
        const out = keys.decryptPage(sealed, pgno);
        assert.ok(out !== null);
        assert.is(keys.decryptPage(sealed, pgno + 1), null, 'the page number is authenticated');
        for (const at of [pgno === 1 ? 16 : 0, params.pageSize - params.reserve + 3, params.pageSize - params.reserve + 20]) {
          const bad = sealed.slice();
          bad[at]! ^= 0x10;
          assert.is(keys.decryptPage(bad, pgno), null, `bit flipped at ${at}`);
        }
        keys.destroy();
        return out!;
      });
      const start = pgno === 1 ? 16 : 0;
      const end = params.pageSize - params.reserve;
      assert.equal(results[0]!.subarray(start, end), plain.subarray(start, end));
      assert.equal(results[1], results[0]);
      const wrong = createSqlcipherKeys({ passphrase: new TextEncoder().encode('px') }, salt, params);
      assert.is(wrong.decryptPage(sealed, pgno), null);
    }
  });
}

test('a raw key is used as the encryption key as is; its 48-byte form brings its own salt', () => {
  const params = sqlcipherParams(4, { kdfIterations: 1 });
  const salt = new Uint8Array(16).fill(1);
  const raw = new Uint8Array(32).fill(0x42);
  // With kdfIterations 1 a passphrase key differs from the raw key: a page sealed under the raw key opens only with it.
  const hmacKey = pbkdf2Sync(raw, salt.map((b) => b ^ 0x3a), 2, 32, 'sha512');
  const plain = new Uint8Array(4096).fill(9);
  const iv = new Uint8Array(16).fill(2);
  const c = createCipheriv('aes-256-cbc', raw, iv);
  c.setAutoPadding(false);
  const sealed = new Uint8Array(4096);
  sealed.set(Buffer.concat([c.update(plain.subarray(0, 4016)), c.final()]));
  sealed.set(iv, 4016);
  sealed.set(createHmac('sha512', hmacKey).update(sealed.subarray(0, 4032)).update(Buffer.from([2, 0, 0, 0])).digest(), 4032);
  const keys = createSqlcipherKeys({ rawKey: raw }, salt, params);
  assert.equal(keys.decryptPage(sealed, 2)!.subarray(0, 4016), plain.subarray(0, 4016));
  const withSalt = new Uint8Array(48);
  withSalt.set(raw);
  withSalt.set(salt, 32);
  assert.ok(createSqlcipherKeys({ rawKey: withSalt }, new Uint8Array(16), params).decryptPage(sealed, 2) !== null, 'the 48-byte key carries the salt');
  assert.is(createSqlcipherKeys({ rawKey: raw }, new Uint8Array(16), params).decryptPage(sealed, 2), null);
});

test.run();
