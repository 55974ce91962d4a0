/**
 * The audit log (spec/audit-log.md): what is logged, that nothing secret is, and that every
 * change a non-key-holder can make is reported by verification as the first broken entry.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEngine, type Engine, type EngineOptions } from './engine.ts';
import { isHeliosError } from '../format/errors.ts';
import { toHex, utf8Decode, utf8Encode } from '../format/bytes.ts';
import { encodeAuditPrefix, parseAuditLine } from '../format/audit-record.ts';
import { auditDigest, auditKeyId, auditMac } from '../crypto/audit-mac.ts';
import { hkdfSha256 } from '../crypto/hkdf.ts';
import { throwsCode } from '../format/test-support.ts';

const KEY_A = new Uint8Array(32).map((_, i) => i + 1);
const KEY_B = new Uint8Array(32).map((_, i) => 100 + i);
const KEY_R = new Uint8Array(32).fill(0x5a);
const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);
const DAY = 86_400_000;

function setup(): { dir: string; db: string; log: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'helios-audit-'));
  return { dir, db: join(dir, 'db'), log: join(dir, 'logs', 'audit.log'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function open(db: string, log: string, key: Uint8Array, extra: Partial<EngineOptions> = {}): Engine {
  let now = T0;
  return openEngine(db, { key: { raw: key }, audit: { path: log }, clock: () => (now += 1000), ...extra });
}

const lines = (log: string): string[] => readFileSync(log, 'latin1').split('\n').filter((l) => l !== '');
const fields = (l: string): string[] => l.split('\t');

test('[AUD-OPS-1] [AUD-LINE-1] opens, closes and key operations are logged, one line each, with generation, slot and pid', () => {
  const t = setup();
  try {
    const db = open(t.db, t.log, KEY_A);
    db.addKey({ raw: KEY_R });
    db.changeKey({ raw: KEY_B });
    db.rotateDataKey();
    db.removeKey({ raw: KEY_R });
    db.close();
    const ls = lines(t.log);
    assert.equal(ls.map((l) => `${fields(l)[4]} ${fields(l)[5]}`), ['open ok', 'add-key ok', 'change-key ok', 'rotate ok', 'remove-key ok', 'close ok']);
    const f = ls.map(fields);
    assert.equal(f.map((x) => x[1]), ['1', '2', '3', '4', '5', '6']);
    assert.equal(f.map((x) => x[6]), ['1', '1', '1', '2', '2', '2'], 'generation');
    assert.equal(f.map((x) => x[7]), ['0', '1', '1', '1', '0', '0'], 'slot: opened 0; added 1; the changed key is appended (1); removing slot 0 (R) leaves it at 0');
    assert.ok(f.every((x) => x[8] === String(process.pid)));
    assert.ok(f.every((x) => x[3] === f[0]![3] && /^[0-9a-f]{32}$/.test(x[3]!)));
  } finally {
    t.cleanup();
  }
});

test('[AUD-LINE-3] the log holds no key material, passphrase or data', () => {
  const t = setup();
  try {
    const pass = 'correct horse battery staple';
    let db = openEngine(t.db, { key: { passphrase: pass }, kdf: { argon2: { memoryKiB: 64, iterations: 1, parallelism: 1 } }, audit: { path: t.log } });
    db.put(utf8Encode('patient-secret-key'), utf8Encode('MRN001234 diagnosis'));
    db.changeKey({ raw: KEY_A });
    db.close();
    db = openEngine(t.db, { key: { raw: KEY_A }, audit: { path: t.log } });
    db.close();
    const text = readFileSync(t.log, 'latin1');
    for (const secret of [pass, toHex(KEY_A), 'patient-secret-key', 'MRN001234']) assert.not.ok(text.includes(secret), secret);
    for (const l of lines(t.log)) assert.ok(!('error' in parseAuditLine(l)), l);
  } finally {
    t.cleanup();
  }
});

test('[AUD-UNLOCK-1] a wrong key and a missing key are logged without the key, then vouched for by the next entry a key holder writes', () => {
  const t = setup();
  try {
    open(t.db, t.log, KEY_A).close();
    throwsCode(() => open(t.db, t.log, KEY_B), 'WRONG_KEY');
    throwsCode(() => openEngine(t.db, { audit: { path: t.log } }), 'CONFIG');
    const ls = lines(t.log);
    assert.equal(ls.slice(2).map((l) => `${fields(l)[4]} ${fields(l)[5]} ${fields(l)[9]}`), ['open wrong-key -', 'open no-key -']);
    const db = open(t.db, t.log, KEY_A);
    let r = db.verifyAuditLog();
    assert.ok(r.ok, JSON.stringify(r.firstBroken));
    assert.is(r.unauthenticated, 2);
    assert.is(r.unauthenticatedTail, 0);
    assert.is(r.verified, 3);
    db.close();
    throwsCode(() => open(t.db, t.log, KEY_B), 'WRONG_KEY');
    const v = open(t.db, t.log, KEY_A, { readonly: true, audit: undefined });
    r = v.verifyAuditLog(t.log);
    assert.ok(r.ok);
    assert.is(r.unauthenticatedTail, 1, 'the last failed unlock is not yet vouched for');
    v.close();
  } finally {
    t.cleanup();
  }
});

test('[AUD-OPS-2] routine: false (log_encryption_operations = false) leaves out opens and closes, not key operations or failed unlocks', () => {
  const t = setup();
  try {
    const db = open(t.db, t.log, KEY_A, { audit: { path: t.log, routine: false } });
    db.rotateDataKey();
    db.close();
    throwsCode(() => open(t.db, t.log, KEY_B, { audit: { path: t.log, routine: false } }), 'WRONG_KEY');
    assert.equal(lines(t.log).map((l) => fields(l)[4]), ['rotate', 'open']);
  } finally {
    t.cleanup();
  }
});

/** A log of a few entries and the database, closed; returns a verifier. */
function tamperSetup(): { t: ReturnType<typeof setup>; verify(): ReturnType<Engine['verifyAuditLog']> } {
  const t = setup();
  const db = open(t.db, t.log, KEY_A);
  db.rotateDataKey();
  db.addKey({ raw: KEY_R });
  db.close();
  open(t.db, t.log, KEY_A).close();
  return {
    t,
    verify() {
      const v = openEngine(t.db, { key: { raw: KEY_A }, readonly: true });
      try {
        return v.verifyAuditLog(t.log);
      } finally {
        v.close();
      }
    },
  };
}

function rewrite(log: string, f: (ls: string[]) => string[]): void {
  writeFileSync(log, f(lines(log)).map((l) => l + '\n').join(''), 'latin1');
}

test('[AUD-VERIFY-1] an untouched log verifies; the sealed checkpoint names its last entry', () => {
  const s = tamperSetup();
  try {
    const r = s.verify();
    assert.ok(r.ok, JSON.stringify(r.firstBroken));
    assert.is(r.entries, 6);
    assert.is(r.verified, 6);
    assert.is(r.checkpointSeq, 6);
  } finally {
    s.t.cleanup();
  }
});

test('[AUD-VERIFY-1] [AUD-CHAIN-1] a changed field, a removed, reordered or inserted entry, and a forged entry are each reported as the first broken entry', () => {
  const cases: [string, (ls: string[]) => string[], number, RegExp][] = [
    ['outcome changed', (ls) => ls.map((l, i) => (i === 2 ? l.replace('\tok\t', '\terror-io\t') : l)), 3, /MAC does not verify/],
    ['middle entry removed', (ls) => ls.filter((_, i) => i !== 1), 2, /seq 3 where 2/],
    ['entries swapped', (ls) => [ls[0]!, ls[2]!, ls[1]!, ...ls.slice(3)], 2, /seq 3 where 2/],
    ['pid changed', (ls) => ls.map((l, i) => (i === 4 ? l.replace(`\t${process.pid}\t`, '\t1\t') : l)), 5, /MAC does not verify/],
    [
      'entry forged without the key, renumbering the rest',
      (ls) => {
        const e = parseAuditLine(ls[0]!) as Exclude<ReturnType<typeof parseAuditLine>, { error: string }>;
        const fake = { ...e, seq: 2, op: 'change-key', prev: e.mac, kid: '0123456789abcdef' };
        const p = encodeAuditPrefix(fake)!;
        return [ls[0]!, p + auditMac(new Uint8Array(32), p), ...ls.slice(1)];
      },
      2,
      /another key/,
    ],
    ['a line that is not an entry', (ls) => [ls[0]!, 'hello', ...ls.slice(1)], 2, /fields/],
  ];
  for (const [name, f, line, reason] of cases) {
    const s = tamperSetup();
    try {
      rewrite(s.t.log, f);
      const r = s.verify();
      assert.not.ok(r.ok, name);
      assert.is(r.firstBroken!.line, line, name);
      assert.match(r.firstBroken!.reason, reason, name);
    } finally {
      s.t.cleanup();
    }
  }
});

test('[AUD-CKPT-2] entries removed at the tail are detected down to the sealed checkpoint', () => {
  const s = tamperSetup();
  try {
    rewrite(s.t.log, (ls) => ls.slice(0, 4));
    const r = s.verify();
    assert.not.ok(r.ok);
    assert.is(r.firstBroken!.seq, 6);
    assert.match(r.firstBroken!.reason, /removed at the tail/);
    rewrite(s.t.log, () => []);
    assert.not.ok(s.verify().ok, 'an emptied log too');
  } finally {
    s.t.cleanup();
  }
});

test('[AUD-CKPT-2] a log replaced by an older copy of itself fails the checkpoint MAC compare only if longer; shorter ones fail as truncated', () => {
  const s = tamperSetup();
  try {
    const old = readFileSync(s.t.log, 'latin1');
    open(s.t.db, s.t.log, KEY_A).close();
    writeFileSync(s.t.log, old, 'latin1');
    const r = s.verify();
    assert.not.ok(r.ok);
    assert.match(r.firstBroken!.reason, /removed at the tail/);
  } finally {
    s.t.cleanup();
  }
});

test('[AUD-KEY-1] after a revocation the new key verifies every later entry; earlier ones count as under an earlier root', () => {
  const t = setup();
  try {
    const db = open(t.db, t.log, KEY_A);
    db.revokeKeys({ keys: [{ raw: KEY_B }] });
    db.close();
    const v = openEngine(t.db, { key: { raw: KEY_B }, readonly: true });
    const r = v.verifyAuditLog(t.log);
    v.close();
    assert.ok(r.ok, JSON.stringify(r.firstBroken));
    assert.is(r.earlierRoot, 1, 'the open under the old root');
    assert.is(r.verified, 2, 'revoke and close');
  } finally {
    t.cleanup();
  }
});

test('[AUD-OPS-1] a scheduled rotation and the drop of the old generation are logged', () => {
  const t = setup();
  try {
    let now = T0;
    const db = openEngine(t.db, { key: { raw: KEY_A }, audit: { path: t.log }, clock: () => now, rotationIntervalDays: 30, memtableBudgetBytes: 2048 });
    for (let i = 0; i < 50; i++) db.put(utf8Encode(`k${i}`), new Uint8Array(100));
    now += 31 * DAY;
    db.put(utf8Encode('k0'), new Uint8Array(100));
    assert.equal(db.info().generations, [1, 2]);
    for (let i = 0; i < 400 && db.info().generations.length !== 1; i++) db.put(utf8Encode(`k${i}`), new Uint8Array(100));
    assert.equal(db.info().generations, [2]);
    db.close();
    const ops = lines(t.log).map((l) => `${fields(l)[4]} ${fields(l)[6]}`);
    assert.equal(ops, ['open 1', 'rotate-scheduled 2', 'drop-generation 1', 'close 2']);
  } finally {
    t.cleanup();
  }
});

test('[AUD-OPS-3] the hook refuses operations and outcomes outside the line grammar (no data can be smuggled in)', () => {
  const t = setup();
  try {
    const db = open(t.db, t.log, KEY_A);
    db.audit('backup', 'ok');
    throwsCode(() => db.audit('backup\tpatient', 'ok'), 'INVALID_ARGUMENT');
    throwsCode(() => db.audit('backup', 'MRN001234 ok'), 'INVALID_ARGUMENT');
    db.close();
    assert.equal(lines(t.log).map((l) => fields(l)[4]), ['open', 'backup', 'close']);
  } finally {
    t.cleanup();
  }
});

test('[AUD-OPS-4] an audit log that cannot be written fails the open (fails closed) and leaves the database openable', () => {
  const t = setup();
  try {
    open(t.db, t.log, KEY_A).close();
    writeFileSync(join(t.dir, 'file'), 'x');
    const bad = join(t.dir, 'file', 'audit.log');
    assert.throws(() => open(t.db, bad, KEY_A), (e: unknown) => isHeliosError(e, 'IO'));
    open(t.db, t.log, KEY_A).close();
  } finally {
    t.cleanup();
  }
});

test('[AUD-OPS-4] a scheduled rotation whose entry cannot be written fails the handle instead of going unlogged', () => {
  const t = setup();
  try {
    let now = T0;
    const opts = { key: { raw: KEY_A }, audit: { path: t.log }, clock: () => now, rotationIntervalDays: 30 };
    const db = openEngine(t.db, opts);
    db.put(utf8Encode('a'), utf8Encode('1'));
    writeFileSync(`${t.log}.lock`, String(process.pid)); // held by a live process
    now += 31 * DAY;
    db.put(utf8Encode('b'), utf8Encode('2')); // acknowledged; the rotation after it could not be logged
    throwsCode(() => db.put(utf8Encode('c'), utf8Encode('3')), 'LOCKED');
    rmSync(`${t.log}.lock`);
    try {
      db.close();
    } catch {
      // the failure is reported again
    }
    const again = openEngine(t.db, opts);
    assert.is(utf8Decode(again.get(utf8Encode('b'))!), '2');
    assert.ok(again.verifyAuditLog().ok);
    again.close();
  } finally {
    t.cleanup();
  }
});

// The vector of spec/audit-log.md [AUD-VECTOR-1].
const VEC_KRK = new Uint8Array(32).fill(0x11);
const VEC_DB = new Uint8Array(16).fill(0x22);

test('[AUD-VECTOR-1] the audit key, key id, line prefix, MAC and digest match the vector in the spec', () => {
  const key = hkdfSha256(VEC_KRK, VEC_DB, utf8Encode('helios-audit-log'), 32);
  const prefix = encodeAuditPrefix({ seq: 1, unixMs: Date.UTC(2026, 0, 2, 3, 4, 5, 678), databaseId: VEC_DB, op: 'open', outcome: 'ok', generation: 1, slot: 0, pid: 4242, kid: auditKeyId(key), prev: '0'.repeat(64) })!;
  const spec = readFileSync(join(process.cwd(), 'spec', 'audit-log.md'), 'utf8');
  for (const value of [toHex(key), auditKeyId(key), auditMac(key, prefix), auditDigest(prefix)]) assert.ok(spec.includes(value), value);
  assert.ok(spec.includes(prefix.replace(/\t/g, '→')), 'the prefix, tabs shown as →');
});

test.run();
