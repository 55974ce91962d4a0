import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { applyEdit, emptyVersion, snapshotEdit, type Version } from './manifest.ts';
import { isHeliosError } from '../format/errors.ts';

const table = (fileNumber: number, level = 0) => ({ level, fileNumber, byteLength: 100, generation: 1, smallest: new Uint8Array([1]), largest: new Uint8Array([9]), digest: new Uint8Array(32) });

function corrupt(v: Version, edit: Parameters<typeof applyEdit>[1]): void {
  try {
    applyEdit(v, edit, 'MANIFEST-000002', 77);
    assert.unreachable(JSON.stringify(edit));
  } catch (e) {
    assert.ok(isHeliosError(e, 'CORRUPTION'), String(e));
    assert.equal(e.details, { file: 'MANIFEST-000002', offset: 77 });
  }
}

test('[FMT-MAN-2] edits apply in order: segments added, ended, dropped below logNumber; tables added and deleted', () => {
  let v = applyEdit(emptyVersion(), { nextFileNumber: 3, walAdded: [1] }, 'M', 0);
  v = applyEdit(v, { nextFileNumber: 5, walSealed: [{ fileNumber: 1, byteLength: 500 }], walAdded: [4] }, 'M', 0);
  assert.equal(v.walSegments, [{ fileNumber: 1, sealedByteLength: 500 }, { fileNumber: 4, sealedByteLength: null }]);
  v = applyEdit(v, { nextFileNumber: 7, logNumber: 4, lastSeqNum: 42, filesAdded: [table(6)] }, 'M', 0);
  assert.equal(v.walSegments.map((s) => s.fileNumber), [4]);
  assert.is(v.lastSeqNum, 42);
  assert.equal(v.levels[0]!.map((f) => f.fileNumber), [6]);
  v = applyEdit(v, { nextFileNumber: 9, filesDeleted: [{ level: 0, fileNumber: 6 }], filesAdded: [table(8, 1)] }, 'M', 0);
  assert.equal(v.levels.map((l) => l.map((f) => f.fileNumber)), [[], [8], [], [], [], [], []]);
  // A snapshot edit rebuilds the same version from scratch.
  assert.equal(applyEdit(emptyVersion(), snapshotEdit(v), 'M', 0), v);
});

test('[FMT-MAN-2] nextFileNumber and lastSeqNum never decrease; an edit without them leaves them unchanged', () => {
  let v = applyEdit(emptyVersion(), { nextFileNumber: 9, lastSeqNum: 50, walAdded: [1] }, 'M', 0);
  v = applyEdit(v, { nextFileNumber: 4, lastSeqNum: 10 }, 'M', 0);
  assert.is(v.nextFileNumber, 9);
  assert.is(v.lastSeqNum, 50);
  v = applyEdit(v, { walSealed: [{ fileNumber: 1, byteLength: 40 }] }, 'M', 0);
  assert.is(v.nextFileNumber, 9);
  assert.is(v.lastSeqNum, 50);
});

test('[FMT-MAN-2] inconsistent edits are CORRUPTION naming the manifest and record offset', () => {
  const v = applyEdit(emptyVersion(), { nextFileNumber: 5, walAdded: [1], filesAdded: [table(2)] }, 'M', 0);
  corrupt(v, { walAdded: [1] });
  corrupt(v, { walSealed: [{ fileNumber: 3, byteLength: 1 }] });
  corrupt(v, { walDeleted: [3] });
  corrupt(v, { filesDeleted: [{ level: 1, fileNumber: 2 }] });
  corrupt(v, { filesAdded: [table(2, 3)] });
  corrupt(v, { walAdded: [9] }); // not below nextFileNumber
});

test.run();
