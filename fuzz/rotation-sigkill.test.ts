// Real processes: a child commits with synchronous 'full' under a clock that runs an hour per
// reading and a one-day rotation interval, so scheduled rotations [CRY-ROTATE-8], background
// re-seals and generation drops [CRY-ROTATE-9] and audit appends [AUD-CKPT-1] happen all the
// time. The parent SIGKILLs it at random moments and checks, after reopening, that every
// acknowledged commit is present [CRY-ROTATE-6], that old generations keep being dropped, and
// that the audit log still verifies [AUD-VERIFY-1].
//
// This file is its own child: with HELIOS_ROTKILL_CHILD set it runs the writer loop.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fuzzCount } from './budget.ts';
import { openEngine } from '../engine/engine.ts';
import { toHex, utf8Decode, utf8Encode } from '../format/bytes.ts';

const KEY_HEX = toHex(new Uint8Array(32).map((_, i) => 90 + i));
const HOUR = 3_600_000;
const childDir = process.env.HELIOS_ROTKILL_CHILD;
const options = (dir: string, start: number) => {
  let now = start;
  return {
    key: { env: 'HELIOS_TEST_KEY' },
    synchronous: 'full' as const,
    rotationIntervalDays: 1,
    clock: () => (now += HOUR),
    audit: { path: join(dir, '..', 'audit.log') },
    memtableBudgetBytes: 4096,
    walSegmentBytes: 8192,
    compaction: { baseLevelBytes: 8192, targetFileBytes: 4096, l0Trigger: 2 },
  };
};

function runChild(dir: string, start: number): void {
  const db = openEngine(dir, options(dir, Number(process.env.HELIOS_ROTKILL_CLOCK)));
  writeSync(1, 'open\n');
  for (let i = start; ; i++) {
    db.put(utf8Encode(`k${i % 500}`), utf8Encode(`value ${i} `.repeat(1 + (i % 5))));
    writeSync(1, `ack ${i}\n`);
  }
}

if (childDir !== undefined) {
  runChild(childDir, Number(process.env.HELIOS_ROTKILL_START));
} else {
  const work = mkdtempSync(join(tmpdir(), 'helios-rotkill-'));
  const self = join(work, 'child.mjs');
  copyFileSync(fileURLToPath(import.meta.url), self);

  function startChild(dir: string, start: number, clock: number): { child: ChildProcess; acks: number[]; firstAcks: Promise<void>; exited: Promise<void> } {
    const child = spawn(process.execPath, [self], {
      env: { ...process.env, HELIOS_ROTKILL_CHILD: dir, HELIOS_ROTKILL_START: String(start), HELIOS_ROTKILL_CLOCK: String(clock), HELIOS_TEST_KEY: KEY_HEX },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acks: number[] = [];
    let buf = '';
    let stderr = '';
    let onAcks: () => void = () => {};
    const firstAcks = new Promise<void>((r) => (onAcks = r));
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('ack ')) {
          acks.push(Number(line.slice(4)));
          if (acks.length === 20) onAcks();
        }
      }
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<void>((resolve, reject) =>
      child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited ${code} ${signal}: ${stderr}`)))),
    );
    return { child, acks, firstAcks, exited };
  }

  test('[CRY-ROTATE-6] [CRY-ROTATE-9] [AUD-VERIFY-1] SIGKILL at random moments of scheduled rotations, re-seals and audit appends loses no acknowledged commit and leaves a verifiable audit log', async () => {
    process.env.HELIOS_TEST_KEY = KEY_HEX;
    const dir = join(work, 'db');
    const rounds = fuzzCount(12);
    const latest = new Map<number, number>();
    let acked = 0;
    let maxGeneration = 0;
    try {
      for (let round = 0; round < rounds; round++) {
        const c = startChild(dir, round * 1_000_000, Date.UTC(2026, 0, 1) + round * 10_000 * HOUR);
        await c.firstAcks;
        await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 80)));
        c.child.kill('SIGKILL');
        await c.exited;
        for (const i of c.acks) latest.set(i % 500, i);
        acked += c.acks.length;
        const db = openEngine(dir, { key: { env: 'HELIOS_TEST_KEY' } });
        try {
          for (const [k, i] of latest) {
            const got = db.get(utf8Encode(`k${k}`));
            assert.ok(got !== undefined, `acknowledged k${k} (commit ${i}) lost`);
            // A later unacknowledged commit of the same key may have landed: never an older one.
            const seen = Number(/^value (\d+) /.exec(utf8Decode(got))![1]);
            assert.ok(seen >= i, `k${k}: commit ${seen} where ${i} was acknowledged`);
          }
          const info = db.info();
          maxGeneration = Math.max(maxGeneration, info.currentGeneration);
          // A rotation every ~24 commits, a re-seal in a few: old generations do not pile up.
          assert.ok(info.generations.length <= 10, `generations pile up: ${info.generations}`);
          const r = db.verifyAuditLog(join(work, 'audit.log'));
          assert.ok(r.ok, JSON.stringify(r.firstBroken));
        } finally {
          db.close();
        }
      }
      assert.ok(maxGeneration > rounds, `rotations happened (generation ${maxGeneration})`);
      console.log(`${rounds} SIGKILL rounds, ${acked} acknowledged commits, generation ${maxGeneration}`);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  test.run();
}
