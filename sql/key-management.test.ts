import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from './database.ts';
import { toHex } from '../format/bytes.ts';
import type { RewriteProgress } from '../engine/engine.ts';
import { throwsCode } from '../format/test-support.ts';

const KDF = { argon2: { memoryKiB: 64, iterations: 1, parallelism: 1 } };
const HEX_A = 'a1'.repeat(32);
const HEX_B = '0f'.repeat(32);

function withDir(fn: (dir: string, keyDir: string) => void): void {
  const root = mkdtempSync(join(tmpdir(), 'helios-rekey-'));
  try {
    fn(join(root, 'ehr.db'), root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function filesOf(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of readdirSync(dir)) if (n !== 'LOCK') out[n] = toHex(readFileSync(join(dir, n)));
  return out;
}

function seed(db: Database, n: number): void {
  db.exec('CREATE TABLE patients (id INTEGER PRIMARY KEY, mrn TEXT UNIQUE, note TEXT)');
  const ins = db.prepare('INSERT INTO patients (mrn, note) VALUES (?, ?)');
  db.transaction(() => {
    for (let i = 0; i < n; i++) ins.run(`MRN${String(i).padStart(6, '0')}`, `note ${i} ${'z'.repeat(60)}`);
  })();
}

const count = (db: Database): unknown => db.prepare('SELECT count(*) FROM patients').pluck().get();

test('[CRY-ROTATE-1] db.changeKey: key file → passphrase; the old key gets WRONG_KEY, only HELIOS changes, rows intact', () => {
  withDir((path, keyDir) => {
    const keyFile = join(keyDir, 'ehr.key');
    writeFileSync(keyFile, HEX_A + '\n');
    let db = new Database(path, { key: { file: keyFile } });
    seed(db, 500);
    db.close();
    db = new Database(path, { key: { file: keyFile } });
    const before = filesOf(path);
    db.changeKey({ passphrase: 'new passphrase' }, { kdf: KDF });
    const after = filesOf(path);
    assert.equal(Object.keys(after).sort(), Object.keys(before).sort());
    for (const n of Object.keys(before)) if (n !== 'HELIOS') assert.is(after[n], before[n], n);
    assert.is.not(after.HELIOS, before.HELIOS);
    assert.is(db.storageInfo().kdf, 'argon2id');
    assert.is(db.storageInfo().keySource, 'passphrase');
    assert.is(count(db), 500);
    db.close();
    throwsCode(() => new Database(path, { key: { file: keyFile } }), 'WRONG_KEY');
    db = new Database(path, { key: { passphrase: 'new passphrase' } });
    assert.is(count(db), 500);
    assert.is(db.prepare('SELECT note FROM patients WHERE mrn = ?').pluck().get('MRN000042'), `note 42 ${'z'.repeat(60)}`);
    // passphrase → env key
    process.env.HELIOS_REKEY_TEST_KEY = HEX_B;
    db.changeKey({ env: 'HELIOS_REKEY_TEST_KEY' });
    db.close();
    throwsCode(() => new Database(path, { key: { passphrase: 'new passphrase' } }), 'WRONG_KEY');
    db = new Database(path, { key: { env: 'HELIOS_REKEY_TEST_KEY' } });
    assert.is(count(db), 500);
    db.close();
    delete process.env.HELIOS_REKEY_TEST_KEY;
  });
});

test('[CRY-ROTATE-5] db.addKey gives a recovery key; db.removeKey refuses the last one', () => {
  withDir((path) => {
    const a = { raw: Uint8Array.from({ length: 32 }, (_, i) => i) };
    const r = { raw: new Uint8Array(32).fill(7) };
    let db = new Database(path, { key: a });
    seed(db, 10);
    db.addKey(r);
    db.removeKey(a);
    throwsCode(() => db.removeKey(r), 'CONFIG');
    db.close();
    throwsCode(() => new Database(path, { key: a }), 'WRONG_KEY');
    db = new Database(path, { key: r });
    assert.is(count(db), 10);
    db.close();
  });
});

test('[CRY-ROTATE-3] [CRY-ROTATE-4] db.rotateDataKey returns the new generation; rewrite leaves only it', () => {
  withDir((path) => {
    const key = { raw: new Uint8Array(32).fill(3) };
    let db = new Database(path, { key, memtableBudgetBytes: 16 * 1024 });
    seed(db, 800);
    assert.equal(db.storageInfo().dataKeyGenerations, [1]);
    assert.is(db.rotateDataKey(), 2);
    assert.equal([db.storageInfo().dataKeyGenerations, db.storageInfo().currentDataKeyGeneration], [[1, 2], 2]);
    db.exec("INSERT INTO patients (mrn, note) VALUES ('late', 'after rotation')");
    const progress: RewriteProgress[] = [];
    assert.is(db.rotateDataKey({ rewrite: true, onProgress: (p) => progress.push(p) }), 3);
    assert.equal(db.storageInfo().dataKeyGenerations, [3]);
    assert.ok(progress.length >= 2);
    const last = progress[progress.length - 1]!;
    assert.is(last.phase, 'drop');
    assert.is(last.tablesRewritten, last.tablesTotal);
    assert.is(count(db), 801);
    db.close();
    db = new Database(path, { key });
    assert.equal(db.storageInfo().dataKeyGenerations, [3]);
    assert.is(count(db), 801);
    assert.is(db.prepare("SELECT note FROM patients WHERE mrn = 'late'").pluck().get(), 'after rotation');
    db.close();
  });
});

test('key management refuses unencrypted, readonly and closed handles', () => {
  const mem = new Database(':memory:');
  throwsCode(() => mem.changeKey({ raw: new Uint8Array(32) }), 'CONFIG');
  throwsCode(() => mem.rotateDataKey(), 'CONFIG');
  mem.close();
  throwsCode(() => mem.rotateDataKey(), 'CLOSED');
  withDir((path) => {
    const key = { raw: new Uint8Array(32).fill(9) };
    new Database(path, { key }).close();
    const before = filesOf(path);
    const ro = new Database(path, { key, readonly: true });
    throwsCode(() => ro.changeKey({ raw: new Uint8Array(32).fill(1) }), 'SQL_ERROR');
    throwsCode(() => ro.rotateDataKey(), 'SQL_ERROR');
    ro.close();
    assert.is(filesOf(path).HELIOS, before.HELIOS);
  });
});

test.run();
