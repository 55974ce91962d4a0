import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemVfs, createNodeVfs, type Vfs } from './vfs.ts';
import { isHeliosError } from '../format/errors.ts';
import { utf8Encode, utf8Decode } from '../format/bytes.ts';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'helios-vfs-'));
}

function contract(name: string, make: () => { vfs: Vfs; dir: string; done: () => void }): void {
  test(`${name}: append, size, readAt and readFile agree`, () => {
    const { vfs, dir, done } = make();
    try {
      const f = vfs.create(`${dir}/a`);
      f.append(utf8Encode('hello '));
      f.append(utf8Encode('world'));
      assert.is(f.size(), 11);
      f.sync();
      assert.is(utf8Decode(f.readAt(6, 100)), 'world');
      assert.is(f.readAt(20, 5).length, 0);
      f.close();
      assert.is(utf8Decode(vfs.readFile(`${dir}/a`)), 'hello world');
      const r = vfs.openRead(`${dir}/a`);
      assert.is(r.size(), 11);
      assert.is(utf8Decode(r.readAt(0, 5)), 'hello');
      r.close();
    } finally {
      done();
    }
  });

  test(`${name}: create refuses to overwrite an existing file`, () => {
    const { vfs, dir, done } = make();
    try {
      vfs.create(`${dir}/a`).close();
      try {
        vfs.create(`${dir}/a`);
        assert.unreachable();
      } catch (e) {
        assert.ok(isHeliosError(e, 'IO'));
        assert.is(e.details.osCode, 'EEXIST');
      }
    } finally {
      done();
    }
  });

  test(`${name}: list, rename, remove and writeFileAtomic`, () => {
    const { vfs, dir, done } = make();
    try {
      vfs.create(`${dir}/b`).close();
      vfs.create(`${dir}/a`).close();
      vfs.writeFileAtomic(`${dir}/CURRENT`, utf8Encode('one'));
      vfs.writeFileAtomic(`${dir}/CURRENT`, utf8Encode('two'));
      assert.equal(vfs.list(dir), ['CURRENT', 'a', 'b']);
      assert.is(utf8Decode(vfs.readFile(`${dir}/CURRENT`)), 'two');
      vfs.rename(`${dir}/a`, `${dir}/c`);
      vfs.remove(`${dir}/b`);
      vfs.syncDir(dir);
      assert.equal(vfs.list(dir), ['CURRENT', 'c']);
      assert.ok(vfs.exists(`${dir}/c`));
      assert.not.ok(vfs.exists(`${dir}/a`));
    } finally {
      done();
    }
  });

  test(`${name}: a second lock on the same directory is LOCKED until released`, () => {
    const { vfs, dir, done } = make();
    try {
      const l = vfs.lock(`${dir}/LOCK`);
      try {
        vfs.lock(`${dir}/LOCK`);
        assert.unreachable();
      } catch (e) {
        assert.ok(isHeliosError(e, 'LOCKED'));
      }
      l.release();
      vfs.lock(`${dir}/LOCK`).release();
    } finally {
      done();
    }
  });
}

contract('NodeVfs', () => {
  const dir = tempDir();
  return { vfs: createNodeVfs(), dir, done: () => rmSync(dir, { recursive: true, force: true }) };
});
contract('MemVfs', () => {
  const vfs = createMemVfs();
  vfs.mkdir('db');
  return { vfs, dir: 'db', done: () => {} };
});

test('NodeVfs: a lock file left by a dead process is taken over', () => {
  const dir = tempDir();
  try {
    // pid 2^22+12345 is above Linux's default pid_max and cannot be running.
    writeFileSync(join(dir, 'LOCK'), `${4_194_304 + 12345}\n`);
    const l = createNodeVfs().lock(join(dir, 'LOCK'));
    l.release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('NodeVfs: a lock file of a live process is LOCKED', () => {
  const dir = tempDir();
  try {
    const ppid = process.ppid; // the test runner: alive while we run
    writeFileSync(join(dir, 'LOCK'), `${ppid}\n`);
    try {
      createNodeVfs().lock(join(dir, 'LOCK'));
      assert.unreachable();
    } catch (e) {
      assert.ok(isHeliosError(e, 'LOCKED'));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('MemVfs: crash keeps only synced bytes of files whose directory entry was synced', () => {
  const vfs = createMemVfs();
  vfs.mkdir('d');
  const a = vfs.create('d/a');
  a.append(utf8Encode('durable'));
  a.sync();
  a.append(utf8Encode('-lost'));
  vfs.syncDir('d');
  const b = vfs.create('d/b'); // entry never synced
  b.append(utf8Encode('x'));
  b.sync();
  vfs.crash();
  assert.is(utf8Decode(vfs.readFile('d/a')), 'durable');
  assert.not.ok(vfs.exists('d/b'));
  try {
    a.append(utf8Encode('after crash'));
    assert.unreachable();
  } catch (e) {
    assert.ok(isHeliosError(e, 'IO'));
  }
});

test('MemVfs: crash can keep a prefix of the unsynced tail (torn write)', () => {
  const vfs = createMemVfs();
  vfs.mkdir('d');
  const a = vfs.create('d/a');
  vfs.syncDir('d');
  a.append(utf8Encode('abc'));
  a.sync();
  a.append(utf8Encode('defgh'));
  vfs.crash({ keepUnsynced: (_p, n) => { assert.is(n, 5); return 2; } });
  assert.is(utf8Decode(vfs.readFile('d/a')), 'abcde');
});

test('MemVfs: a rename is undone by a crash before syncDir', () => {
  const vfs = createMemVfs();
  vfs.mkdir('d');
  const a = vfs.create('d/a');
  a.append(utf8Encode('1'));
  a.sync();
  vfs.syncDir('d');
  vfs.rename('d/a', 'd/b');
  vfs.crash();
  assert.ok(vfs.exists('d/a'));
  assert.not.ok(vfs.exists('d/b'));
});

test('MemVfs: injected faults fire after a countdown, once, with partial appends', () => {
  const vfs = createMemVfs();
  vfs.mkdir('d');
  const a = vfs.create('d/a');
  vfs.injectFault({ ops: ['append'], code: 'ENOSPC', after: 1, partialBytes: 2 });
  a.append(utf8Encode('ok'));
  try {
    a.append(utf8Encode('fail'));
    assert.unreachable();
  } catch (e) {
    assert.ok(isHeliosError(e, 'IO'));
    assert.is(e.details.osCode, 'ENOSPC');
  }
  assert.is(utf8Decode(vfs.readFile('d/a')), 'okfa');
  a.append(utf8Encode('!'));
  assert.is(vfs.faultsFired, 1);
  vfs.injectFault({ ops: ['sync'], path: (p) => p.endsWith('/a'), code: 'EIO', sticky: true });
  for (let i = 0; i < 2; i++) {
    try {
      a.sync();
      assert.unreachable();
    } catch (e) {
      assert.ok(isHeliosError(e, 'IO'));
      assert.is(e.details.osCode, 'EIO');
    }
  }
});

test('MemVfs: flipBit damages the file at rest', () => {
  const vfs = createMemVfs();
  vfs.mkdir('d');
  const a = vfs.create('d/a');
  a.append(new Uint8Array([0, 0]));
  a.sync();
  vfs.syncDir('d');
  vfs.flipBit('d/a', 9);
  vfs.crash();
  assert.equal([...vfs.readFile('d/a')], [0, 2]);
});

test.run();
