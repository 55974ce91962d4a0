import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { createHash, createHmac } from 'node:crypto';
import { encodeAuditPrefix, parseAuditLine, type AuditFields } from '../format/audit-record.ts';
import { auditDigest, auditKeyId, auditMac } from './audit-mac.ts';

const base: AuditFields = { seq: 3, unixMs: Date.UTC(2026, 1, 3, 4, 5, 6, 7), databaseId: new Uint8Array(16).fill(0xa5), op: 'change-key', outcome: 'ok', generation: 2, slot: null, pid: 77, kid: 'aabbccddeeff0011', prev: '1'.repeat(64) };

const fieldsArb: fc.Arbitrary<AuditFields> = fc.record({
  seq: fc.integer({ min: 1, max: 2 ** 40 }),
  unixMs: fc.integer({ min: 0, max: 253402300799999 }),
  databaseId: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  op: fc.stringMatching(/^[a-z][a-z-]{0,31}$/),
  outcome: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,31}$/),
  generation: fc.option(fc.nat(0xffffffff)),
  slot: fc.option(fc.nat(15)),
  pid: fc.nat(2 ** 31),
  kid: fc.option(fc.stringMatching(/^[0-9a-f]{16}$/)),
  prev: fc.stringMatching(/^[0-9a-f]{64}$/),
});

test('[AUD-LINE-1] [AUD-LINE-2] every entry round-trips through its line, which is canonical', () => {
  fc.assert(
    fc.property(fieldsArb, fc.stringMatching(/^[0-9a-f]{64}$/), (f, mac) => {
      const prefix = encodeAuditPrefix(f)!;
      const e = parseAuditLine(prefix + mac);
      assert.ok(!('error' in e), JSON.stringify(e));
      if ('error' in e) return;
      assert.equal({ ...e, databaseId: [...e.databaseId] }, { ...f, databaseId: [...f.databaseId], mac, prefix });
    }),
  );
});

test('[AUD-LINE-2] a second spelling of an entry, a wrong field count, an overlong line or bad fields are not entries', () => {
  const good = encodeAuditPrefix(base)! + 'f'.repeat(64);
  assert.ok(!('error' in parseAuditLine(good)));
  const bad = [
    good.replace('\t3\t', '\t03\t'),
    good.replace('2026-02-03T04:05:06.007Z', '2026-02-03T04:05:06.7Z'),
    good.replace('A5'.toLowerCase().repeat(16), 'A5'.repeat(16)),
    good + '\tx',
    good.replace('\tok\t', '\tOK\t'),
    good.replace('\tchange-key\t', '\tchange key\t'),
    good.slice(0, -1),
    good + 'f'.repeat(600),
    'HAL2' + good.slice(4),
  ];
  for (const b of bad) assert.ok('error' in parseAuditLine(b), b);
  assert.is(encodeAuditPrefix({ ...base, op: 'Open' }), null);
  assert.is(encodeAuditPrefix({ ...base, seq: 0 }), null);
});

test('[AUD-MAC-1] kid, mac and digest are HMAC-SHA256 / SHA-256 as node:crypto computes them', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fieldsArb, (key, f) => {
      const prefix = encodeAuditPrefix(f)!;
      assert.is(auditMac(key, prefix), createHmac('sha256', key).update(prefix, 'latin1').digest('hex'));
      assert.is(auditKeyId(key), createHmac('sha256', key).update('helios-audit-kid').digest('hex').slice(0, 16));
      assert.is(auditDigest(prefix), createHash('sha256').update(prefix, 'latin1').digest('hex'));
    }),
    { numRuns: 50 },
  );
});

test.run();
