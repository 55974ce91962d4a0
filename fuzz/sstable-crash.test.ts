// The part of compaction's crash-safety argument (spec/format-sstable.md
// [FMT-SST-COMPACT-1]) that tables carry: an output table is durable once
// finish() returns (and its directory entry once the caller syncs the
// directory), and a table cut short by a crash at any point of its writing —
// any number of appends done, any torn tail kept — never opens as a table.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { utf8Encode } from '../format/bytes.ts';
import { corruption, isHeliosError } from '../format/errors.ts';
import { KIND_PUT } from '../format/sstable-block.ts';
import { createMemVfs } from '../engine/mem-vfs.ts';
import { openTable } from '../engine/sstable-reader.ts';
import { createTableWriter, type TableKeyring } from '../engine/sstable-writer.ts';
import { fuzzParams } from './budget.ts';

const keyring: TableKeyring = { databaseId: new Uint8Array(16).fill(3), suite: 'aes-256-gcm', dek: (g) => (g === 1 ? new Uint8Array(32).fill(8) : corruption('HELIOS', 0, 'unknown generation')) };

test('[FMT-SST-COMPACT-1] a table is durable when finish() returns, and a table cut by a crash at any point never opens', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 300 }), fc.nat(400), fc.nat(1 << 20), fc.boolean(), (n, crashAfterAppends, keep, syncDirFirst) => {
      const vfs = createMemVfs();
      vfs.mkdir('db');
      const file = vfs.create('db/000009.sst');
      if (syncDirFirst) vfs.syncDir('db');
      let appends = 0;
      let crashed = false;
      const counting = { ...file, append: (d: Uint8Array) => { if (++appends > crashAfterAppends) throw new Error('crash point'); file.append(d); }, size: () => file.size(), sync: () => file.sync(), close: () => file.close(), readAt: (o: number, l: number) => file.readAt(o, l) };
      let w: ReturnType<typeof createTableWriter> | undefined;
      let meta: ReturnType<ReturnType<typeof createTableWriter>['finish']> | undefined;
      try {
        w = createTableWriter({ file: counting, fileName: '000009.sst', fileNumber: 9, keyring, generation: 1, salt: new Uint8Array(16).fill(1), blockBytes: 256 });
        for (let i = 0; i < n; i++) w.add(utf8Encode(`key-${String(i).padStart(5, '0')}`), i + 1, KIND_PUT, utf8Encode(`value-${i}`));
        meta = w.finish();
        vfs.syncDir('db');
      } catch (e) {
        assert.is((e as Error).message, 'crash point');
        crashed = true;
        w?.abandon();
      }
      vfs.crash({ keepUnsynced: (_p, unsynced) => keep % (unsynced + 1) });
      if (!crashed) {
        // Finished and the directory synced: the table survives power loss intact.
        const t = openTable({ file: vfs.openRead('db/000009.sst'), fileName: '000009.sst', fileNumber: 9, keyring, expected: { fileSize: meta!.fileSize, digest: meta!.digest, generation: 1 } });
        assert.is(t.properties.entryCount, n);
        t.close();
        return;
      }
      if (!vfs.exists('db/000009.sst')) return;
      try {
        openTable({ file: vfs.openRead('db/000009.sst'), fileName: '000009.sst', fileNumber: 9, keyring }).close();
        assert.unreachable('a partial table opened');
      } catch (e) {
        assert.ok(isHeliosError(e, 'CORRUPTION'), String(e));
      }
    }),
    fuzzParams(300),
  );
});

test.run();
