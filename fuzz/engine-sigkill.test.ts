// Real processes (issue 3): a child process commits with synchronous 'full'
// and reports each acknowledged commit to its parent; the parent SIGKILLs it
// at random moments and checks, after reopening, that every acknowledged
// commit is present and every batch is all-or-nothing [ENG-SYNC-1]. The
// child's lock file is left behind by the kill and taken over safely; while
// the child lives, the parent gets LOCKED [ENG-LOCK-1].
//
// This file is its own child: with HELIOS_SIGKILL_CHILD set it runs the
// writer loop instead of the tests.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fuzzCount } from './budget.ts';
import { openEngine, createWriteBatch } from '../engine/engine.ts';
import { isHeliosError } from '../format/errors.ts';
import { toHex, utf8Decode, utf8Encode } from '../format/bytes.ts';

const KEY_HEX = toHex(new Uint8Array(32).map((_, i) => 200 - i));
const childDir = process.env.HELIOS_SIGKILL_CHILD;

function runChild(dir: string, start: number): void {
  const db = openEngine(dir, { key: { env: 'HELIOS_TEST_KEY' }, synchronous: 'full', walSegmentBytes: 8192 });
  writeSync(1, 'open\n');
  for (let i = start; ; i++) {
    if (i % 4 === 3) {
      const b = createWriteBatch();
      for (let j = 0; j < 3; j++) b.put(utf8Encode(`b${i}-${j}`), utf8Encode(`batch ${i}`));
      db.write(b);
    } else {
      db.put(utf8Encode(`k${i}`), utf8Encode(`value ${i} `.repeat(1 + (i % 7))));
    }
    writeSync(1, `ack ${i}\n`);
  }
}

if (childDir !== undefined) {
  runChild(childDir, Number(process.env.HELIOS_SIGKILL_START));
} else {
  // Copy this bundle aside at once: a concurrent test run may clear the build folder.
  const work = mkdtempSync(join(tmpdir(), 'helios-kill-'));
  const self = join(work, 'child.mjs');
  copyFileSync(fileURLToPath(import.meta.url), self);

  function startChild(dir: string, start: number): { child: ChildProcess; acks: number[]; opened: Promise<void>; exited: Promise<void>; firstAck: Promise<void> } {
    const child = spawn(process.execPath, [self], {
      env: { ...process.env, HELIOS_SIGKILL_CHILD: dir, HELIOS_SIGKILL_START: String(start), HELIOS_TEST_KEY: KEY_HEX },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acks: number[] = [];
    let buf = '';
    let stderr = '';
    let onOpen: () => void = () => {};
    let onAck: () => void = () => {};
    const opened = new Promise<void>((r) => (onOpen = r));
    const firstAck = new Promise<void>((r) => (onAck = r));
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line === 'open') onOpen();
        else if (line.startsWith('ack ')) {
          acks.push(Number(line.slice(4)));
          onAck();
        }
      }
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<void>((resolve, reject) =>
      child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited ${code} ${signal}: ${stderr}`)))),
    );
    return { child, acks, opened, exited, firstAck };
  }

  function verify(dir: string, acks: readonly number[]): number {
    const db = openEngine(dir, { key: { env: 'HELIOS_TEST_KEY' } });
    try {
      for (const i of acks) {
        if (i % 4 === 3) {
          for (let j = 0; j < 3; j++) assert.is(utf8Decode(db.get(utf8Encode(`b${i}-${j}`)) ?? new Uint8Array(0)), `batch ${i}`, `acknowledged batch ${i} entry ${j}`);
        } else {
          assert.is(utf8Decode(db.get(utf8Encode(`k${i}`)) ?? new Uint8Array(0)), `value ${i} `.repeat(1 + (i % 7)), `acknowledged commit ${i}`);
        }
      }
      // Batches are all-or-nothing, acknowledged or not.
      const it = db.iterator({ gte: utf8Encode('b'), lt: utf8Encode('c') });
      const perBatch = new Map<string, number>();
      while (it.next()) {
        const id = utf8Decode(it.key()).split('-')[0]!;
        perBatch.set(id, (perBatch.get(id) ?? 0) + 1);
      }
      it.close();
      for (const [id, n] of perBatch) assert.is(n, 3, `batch ${id} is partial`);
      return db.info().lastSeqNum;
    } finally {
      db.close();
    }
  }

  test('[ENG-SYNC-1] [ENG-LOCK-1] every commit acknowledged under full survives SIGKILL at random moments', async () => {
    process.env.HELIOS_TEST_KEY = KEY_HEX;
    const dir = join(work, 'db');
    const rounds = fuzzCount(20);
    const allAcks: number[] = [];
    try {
      for (let round = 0; round < rounds; round++) {
        const c = startChild(dir, round * 1_000_000);
        await c.opened;
        if (round === 0) {
          try {
            openEngine(dir, { key: { env: 'HELIOS_TEST_KEY' } }).close();
            assert.unreachable('a second process opened a locked database');
          } catch (e) {
            assert.ok(isHeliosError(e, 'LOCKED'), String(e));
          }
        }
        await c.firstAck;
        await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 60)));
        c.child.kill('SIGKILL');
        await c.exited;
        allAcks.push(...c.acks);
        verify(dir, allAcks);
      }
      assert.ok(allAcks.length >= rounds, `${allAcks.length} acknowledged commits`);
      console.log(`${rounds} SIGKILL rounds, ${allAcks.length} acknowledged commits verified`);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  test.run();
}
