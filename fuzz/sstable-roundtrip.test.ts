// Property: a table returns exactly what was written — every entry in order
// (forward and backward), point reads at any snapshot, seeks to any key —
// for random keys, versions, tombstones, block sizes, restart intervals and
// both suites.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { toHex } from '../format/bytes.ts';
import { corruption } from '../format/errors.ts';
import { compareInternal, KIND_PUT, KIND_TOMBSTONE, MAX_SEQ, type EntryKind } from '../format/sstable-block.ts';
import { createBlockCache } from '../engine/block-cache.ts';
import { createMemVfs } from '../engine/mem-vfs.ts';
import { openTable } from '../engine/sstable-reader.ts';
import { createTableWriter, type TableKeyring } from '../engine/sstable-writer.ts';
import { fuzzParams } from './budget.ts';

interface E { key: Uint8Array; seq: number; kind: EntryKind; value: Uint8Array }

const keyring = (suite: 'aes-256-gcm' | 'none'): TableKeyring => ({
  databaseId: new Uint8Array(16).fill(5),
  suite,
  dek: (g) => (g === 3 ? new Uint8Array(32).fill(1) : corruption('HELIOS', 0, 'unknown generation')),
});

const tableArb = fc.record({
  writes: fc.array(fc.record({ key: fc.uint8Array({ maxLength: 12, max: 6 }), del: fc.boolean(), value: fc.uint8Array({ maxLength: 300 }) }), { minLength: 1, maxLength: 250 }),
  blockBytes: fc.constantFrom(64, 200, 1024, 4096),
  restartInterval: fc.integer({ min: 1, max: 20 }),
  suite: fc.constantFrom('aes-256-gcm' as const, 'none' as const),
  probes: fc.array(fc.record({ key: fc.uint8Array({ maxLength: 12, max: 6 }), snap: fc.nat(260) }), { maxLength: 40 }),
  cacheBytes: fc.constantFrom(0, 4096, 1 << 20),
});

test('[FMT-SST-INDEX-1] [FMT-SST-PROPS-1] a table returns exactly what was written: scans, seeks and snapshot reads match the model', () => {
  fc.assert(
    fc.property(tableArb, (t) => {
      const es: E[] = t.writes.map((w, i) => ({ key: w.key, seq: i + 1, kind: (w.del ? KIND_TOMBSTONE : KIND_PUT) as EntryKind, value: w.del ? new Uint8Array() : w.value }));
      es.sort((a, b) => compareInternal(a.key, a.seq, b.key, b.seq));
      const vfs = createMemVfs();
      const w = createTableWriter({ file: vfs.create('9.sst'), fileName: '9.sst', fileNumber: 9, keyring: keyring(t.suite), generation: 3, salt: new Uint8Array(16).fill(4), blockBytes: t.blockBytes, restartInterval: t.restartInterval });
      for (const e of es) w.add(e.key, e.seq, e.kind, e.value);
      const meta = w.finish();
      assert.is(meta.fileSize, vfs.readFile('9.sst').length);
      const table = openTable({ file: vfs.openRead('9.sst'), fileName: '9.sst', fileNumber: 9, keyring: keyring(t.suite), cache: createBlockCache(t.cacheBytes), expected: { fileSize: meta.fileSize, digest: meta.digest, generation: 3 } });
      const p = table.properties;
      assert.equal([p.entryCount, p.tombstoneCount, p.minSeq, p.maxSeq, p.dataBlockCount], [es.length, es.filter((e) => e.kind === KIND_TOMBSTONE).length, 1, es.length, meta.dataBlockCount]);
      assert.equal([toHex(p.smallestKey), p.smallestSeq, toHex(p.largestKey), p.largestSeq], [toHex(es[0]!.key), es[0]!.seq, toHex(es.at(-1)!.key), es.at(-1)!.seq]);
      const row = (e: E): string => `${toHex(e.key)}/${e.seq}/${e.kind}/${toHex(e.value)}`;
      const c = table.cursor();
      const fwd: string[] = [];
      for (c.seekToFirst(); c.valid(); c.next()) fwd.push(row({ key: c.key(), seq: c.seqNum(), kind: c.kind(), value: c.value() }));
      assert.equal(fwd, es.map(row));
      const back: string[] = [];
      for (c.seekToLast(); c.valid(); c.prev()) back.push(row({ key: c.key(), seq: c.seqNum(), kind: c.kind(), value: c.value() }));
      assert.equal(back, es.map(row).reverse());
      for (const probe of [...t.probes, ...es.map((e) => ({ key: e.key, snap: e.seq }))]) {
        const want = es.find((e) => toHex(e.key) === toHex(probe.key) && e.seq <= probe.snap);
        const got = table.get(probe.key, probe.snap);
        assert.is(got && `${got.seqNum}/${got.kind}/${toHex(got.value)}`, want && `${want.seq}/${want.kind}/${toHex(want.value)}`);
        c.seek(probe.key, probe.snap);
        const first = es.find((e) => compareInternal(e.key, e.seq, probe.key, probe.snap) >= 0);
        assert.is(c.valid() ? row({ key: c.key(), seq: c.seqNum(), kind: c.kind(), value: c.value() }) : undefined, first && row(first));
        if (c.valid()) {
          c.prev();
          const idx = first ? es.indexOf(first) - 1 : -1;
          assert.is(c.valid() ? row({ key: c.key(), seq: c.seqNum(), kind: c.kind(), value: c.value() }) : undefined, idx >= 0 ? row(es[idx]!) : undefined);
        }
      }
      assert.is(table.get(new Uint8Array([9, 9, 9]), MAX_SEQ), undefined);
      table.close();
    }),
    fuzzParams(120),
  );
});

test.run();
