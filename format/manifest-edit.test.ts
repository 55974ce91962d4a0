import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { decodeManifestEdit, encodeManifestEdit, type ManifestEdit } from './manifest-edit.ts';
import { toHex } from './bytes.ts';
import { isHeliosError } from './errors.ts';

const fileArb = fc.record({
  level: fc.integer({ min: 0, max: 6 }),
  fileNumber: fc.nat(2 ** 40),
  byteLength: fc.nat(2 ** 40),
  generation: fc.nat(0xffffffff),
  smallest: fc.uint8Array({ maxLength: 30 }),
  largest: fc.uint8Array({ maxLength: 30 }),
  digest: fc.uint8Array({ minLength: 32, maxLength: 32 }),
}).map((f) => ({ ...f }));
const editArb: fc.Arbitrary<ManifestEdit> = fc.record(
  {
    logNumber: fc.nat(2 ** 40),
    nextFileNumber: fc.nat(2 ** 40),
    lastSeqNum: fc.nat(2 ** 50),
    walAdded: fc.array(fc.nat(1e6), { minLength: 1, maxLength: 3 }),
    walSealed: fc.array(fc.record({ fileNumber: fc.nat(1e6), byteLength: fc.nat(2 ** 40) }).map((w) => ({ ...w })), { minLength: 1, maxLength: 3 }),
    walDeleted: fc.array(fc.nat(1e6), { minLength: 1, maxLength: 3 }),
    filesAdded: fc.array(fileArb, { minLength: 1, maxLength: 3 }),
    filesDeleted: fc.array(fc.record({ level: fc.integer({ min: 0, max: 6 }), fileNumber: fc.nat(1e6) }).map((d) => ({ ...d })), { minLength: 1, maxLength: 3 }),
    generationsCreated: fc.array(fc.record({ generation: fc.integer({ min: 1, max: 0xffffffff }), unixMs: fc.nat(2 ** 50) }).map((g) => ({ ...g })), { minLength: 1, maxLength: 3 }),
    auditCheckpoint: fc.record({ seq: fc.nat(2 ** 40), mac: fc.uint8Array({ minLength: 32, maxLength: 32 }) }).map((c) => ({ ...c })),
  },
  { requiredKeys: [] },
).map((e) => ({ ...e }));

test('[FMT-MAN-1] every field round-trips', () => {
  fc.assert(
    fc.property(editArb, (e) => {
      assert.equal(decodeManifestEdit(encodeManifestEdit(e), 'M', 0), e);
    }),
  );
});

test('[FMT-MAN-1] the tags are 1 logNumber, 2 nextFileNumber, 3 lastSeqNum, 4 walAdded, 5 walSealed', () => {
  const b = encodeManifestEdit({ logNumber: 0, nextFileNumber: 5, lastSeqNum: 0, walAdded: [3], walSealed: [{ fileNumber: 3, byteLength: 71 }] });
  assert.is(toHex(b), '0100' + '0205' + '0300' + '0403' + '050347');
  const f = encodeManifestEdit({ filesAdded: [{ level: 1, fileNumber: 9, byteLength: 1000, generation: 2, smallest: new Uint8Array([1]), largest: new Uint8Array([2, 3]), digest: new Uint8Array(32).fill(0xee) }], filesDeleted: [{ level: 0, fileNumber: 4 }] });
  assert.is(toHex(f), '07' + '01' + '09' + 'e807' + '02' + '0101' + '020203' + 'ee'.repeat(32) + '08' + '00' + '04');
});

test('[FMT-MAN-1] [CRY-ROTATE-8] [AUD-CKPT-1] tag 9 is generationCreated (generation, unixMs), tag 10 auditCheckpoint (seq, 32-byte MAC): the bytes of spec/format.md', () => {
  assert.is(toHex(encodeManifestEdit({ generationsCreated: [{ generation: 2, unixMs: Date.UTC(2026, 0, 1) }] })), '09' + '02' + '80d0eab6b733');
  assert.is(toHex(encodeManifestEdit({ auditCheckpoint: { seq: 5, mac: new Uint8Array(32).fill(0xab) } })), '0a' + '05' + 'ab'.repeat(32));
  for (const b of [[10, 1, 1, 2], [9, 0, 5], [0x0a, 1, ...new Array(32).fill(0), 0x0a, 2, ...new Array(32).fill(0)]]) {
    assert.throws(() => decodeManifestEdit(new Uint8Array(b), 'M', 0), (e: unknown) => isHeliosError(e, 'CORRUPTION'), String(b));
  }
});

test('[FMT-MAN-1] an unknown tag, a repeated singular field, a bad level or a truncation is CORRUPTION', () => {
  const bad = [
    [11, 1],
    [1, 1, 1, 2],
    [8, 7, 1],
    [7, 0, 1, 1, 1, 5],
    [5, 3],
  ];
  for (const b of bad) {
    try {
      decodeManifestEdit(new Uint8Array(b), 'MANIFEST-000002', 40);
      assert.unreachable(`decoded ${b}`);
    } catch (e) {
      assert.ok(isHeliosError(e, 'CORRUPTION'), String(e));
      assert.is(e.details.file, 'MANIFEST-000002');
    }
  }
});

test('[FMT-MAN-1] arbitrary bytes decode or fail with CORRUPTION only', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
      try {
        decodeManifestEdit(bytes, 'M', 0);
      } catch (e) {
        assert.ok(isHeliosError(e, 'CORRUPTION'), String(e));
      }
    }),
  );
});

test.run();
