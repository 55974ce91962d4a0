// Never two writers (issue 9, defect 1), with real processes: an opener in
// another PID namespace, another path to the same directory (symlink, `..`,
// bind mount), an opener stopped in the middle of taking the lock, and five
// processes racing for a lock, fresh or left by a SIGKILLed owner. Exactly one
// process writes at a time, and every acknowledged commit survives
// [FMT-LOCK-2] [FMT-LOCK-3] [ENG-LOCK-1].
//
// This file is its own child: with HELIOS_LOCK_CHILD set it runs one of the
// child roles instead of the tests.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fuzzCount } from './budget.ts';
import { openEngine, type Engine } from '../engine/engine.ts';
import { createNodeVfs } from '../engine/node-vfs.ts';
import type { LockStep } from '../engine/node-lock.ts';
import { isHeliosError } from '../format/errors.ts';
import { utf8Decode, utf8Encode } from '../format/bytes.ts';

const role = process.env.HELIOS_LOCK_CHILD;
const say = (line: string): void => {
  writeSync(1, line + '\n');
};

function runChild(): void {
  const dir = process.env.HELIOS_LOCK_DIR!;
  const commits = Number(process.env.HELIOS_LOCK_COMMITS ?? '0');
  const tag = process.env.HELIOS_LOCK_TAG ?? 'x';
  const stallAt = process.env.HELIOS_LOCK_STALL as LockStep | undefined;
  const vfs = createNodeVfs({
    lockHook: (step) => {
      if (step === stallAt) {
        say(`stalled ${step}`);
        process.kill(process.pid, 'SIGSTOP'); // the parent resumes us with SIGCONT
      }
    },
  });
  if (role === 'race') {
    // Wait for the starting shot (a line on stdin) so all racers open at once.
    const buf = new Uint8Array(1);
    while (require('node:fs').readSync(0, buf, 0, 1, null) === 1 && buf[0] !== 0x0a);
  }
  let db: Engine;
  try {
    db = openEngine(dir, { encryption: false, synchronous: 'full', vfs });
  } catch (e) {
    if (isHeliosError(e, 'LOCKED')) {
      say(`locked ${e.message.replace(/\n/g, ' ')}`);
      return;
    }
    throw e;
  }
  say('open');
  for (let i = 0; i < commits; i++) {
    db.put(utf8Encode(`${tag}-${i}`), utf8Encode(`value ${tag} ${i}`));
    say(`ack ${tag}-${i}`);
  }
  if (role === 'hold' || role === 'race') {
    // Keep the database open until the parent closes our stdin.
    const buf = new Uint8Array(64);
    try {
      while (require('node:fs').readSync(0, buf, 0, buf.length, null) > 0);
    } catch {
      // stdin closed
    }
  }
  db.close();
  say('closed');
}

interface Child {
  readonly child: ChildProcess;
  readonly lines: string[];
  /** Resolves with the first line starting with one of `prefixes`. */
  waitFor(...prefixes: string[]): Promise<string>;
  readonly exited: Promise<number | null>;
}

if (role !== undefined) {
  runChild();
} else {
  // Copy this bundle aside at once: a concurrent test run may clear the build folder.
  const work = mkdtempSync(join(tmpdir(), 'helios-lock-'));
  const self = join(work, 'child.mjs');
  copyFileSync(fileURLToPath(import.meta.url), self);

  function start(childRole: string, dir: string, env: Record<string, string> = {}, wrapper: string[] = []): Child {
    const argv = [...wrapper, process.execPath, self];
    const child = spawn(argv[0]!, argv.slice(1), {
      env: { ...process.env, HELIOS_LOCK_CHILD: childRole, HELIOS_LOCK_DIR: dir, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    const waiters: { prefixes: string[]; resolve: (l: string) => void }[] = [];
    let buf = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        lines.push(line);
        for (const w of [...waiters]) {
          if (w.prefixes.some((p) => line.startsWith(p))) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(line);
          }
        }
      }
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    void exited.then(() => {
      for (const w of waiters) w.resolve(`exited: ${stderr.split('\n').filter((l) => /^\w*Error|HeliosError: /.test(l.trim())).slice(0, 3).join(' ; ')}`);
    });
    return {
      child,
      lines,
      exited,
      waitFor(...prefixes) {
        const seen = lines.find((l) => prefixes.some((p) => l.startsWith(p)));
        if (seen !== undefined) return Promise.resolve(seen);
        return new Promise((resolve) => waiters.push({ prefixes, resolve }));
      },
    };
  }

  /** Every acknowledged commit is in the database, with its value. */
  function verify(dir: string, acks: readonly string[]): void {
    const db = openEngine(dir, { encryption: false });
    try {
      for (const a of acks) {
        const [tag, i] = a.split('-');
        assert.is(utf8Decode(db.get(utf8Encode(a)) ?? new Uint8Array(0)), `value ${tag} ${i}`, `acknowledged commit ${a}`);
      }
    } finally {
      db.close();
    }
  }
  const acksOf = (c: Child): string[] => c.lines.filter((l) => l.startsWith('ack ')).map((l) => l.slice(4));

  const unshareWorks = (() => {
    if (process.platform !== 'linux') return 'not Linux';
    const r = spawnSync('unshare', ['-p', '-f', '--mount-proc', 'true'], { stdio: 'ignore' });
    return r.status === 0 ? null : 'unshare -p -f --mount-proc is not available (needs root or user namespaces)';
  })();

  test('[FMT-LOCK-3] [ENG-LOCK-1] an opener in another PID namespace gets LOCKED and writes nothing', async () => {
    if (unshareWorks !== null) {
      console.log(`skipped: ${unshareWorks}`);
      return;
    }
    const dir = join(work, 'pidns');
    for (const [holderWrap, openerWrap, what] of [
      [[], ['unshare', '-p', '-f', '--mount-proc'], 'opener in a new namespace with its own /proc'],
      [[], ['unshare', '-p', '-f'], 'opener in a new namespace that sees the host /proc'],
      [['unshare', '-p', '-f', '--mount-proc'], [], 'holder in a new namespace, opener on the host'],
    ] as const) {
      const holder = start('hold', dir, { HELIOS_LOCK_COMMITS: '3', HELIOS_LOCK_TAG: 'h' }, [...holderWrap]);
      assert.is(await holder.waitFor('ack h-2', 'locked', 'exited'), 'ack h-2', what);
      const opener = start('writer', dir, { HELIOS_LOCK_COMMITS: '3', HELIOS_LOCK_TAG: 'o' }, [...openerWrap]);
      const line = await opener.waitFor('locked', 'open', 'exited');
      assert.ok(line.startsWith('locked'), `${what}: ${line}`);
      assert.ok(line.includes('PID namespace'), line);
      await opener.exited;
      holder.child.stdin!.end();
      assert.is(await holder.waitFor('closed', 'exited'), 'closed');
      await holder.exited;
      verify(dir, acksOf(holder));
    }
  });

  test('[FMT-LOCK-2] [ENG-LOCK-1] [ENG-SHARE-1] a symlink, `..` or bind-mounted path to an open database shares it in this process and is LOCKED in another', async () => {
    const dir = join(work, 'paths', 'db');
    mkdirSync(join(work, 'paths', 'sub'), { recursive: true });
    symlinkSync(dir, join(work, 'paths', 'alias'));
    const db = openEngine(dir, { encryption: false });
    db.put(utf8Encode('a-0'), utf8Encode('value a 0'));
    const others = [join(work, 'paths', 'alias'), join(work, 'paths', 'sub', '..', 'db'), `${join(work, 'paths', 'sub')}/../db`];
    let bind: string | null = join(work, 'paths', 'bind');
    mkdirSync(bind);
    if (spawnSync('mount', ['--bind', dir, bind], { stdio: 'ignore' }).status === 0) others.push(bind);
    else {
      console.log('skipped: bind mount (mount --bind is not available here)');
      bind = null;
    }
    try {
      let n = 0;
      for (const p of others) {
        // The same directory, whatever the path: this process gets a handle on the open database, not a second engine.
        const h = openEngine(p, { encryption: false });
        assert.is(h.openHandles(), 2, p);
        assert.is(utf8Decode(h.get(utf8Encode('a-0'))!), 'value a 0', p);
        h.put(utf8Encode(`p-${n}`), utf8Encode(p));
        assert.is(utf8Decode(db.get(utf8Encode(`p-${n++}`))!), p, 'a write through one path is the database of the other');
        h.close();
        assert.is(db.openHandles(), 1);
        const c = start('writer', p, { HELIOS_LOCK_COMMITS: '1', HELIOS_LOCK_TAG: 'c' });
        const line = await c.waitFor('locked', 'open', 'exited');
        assert.ok(line.startsWith('locked'), `another process through ${p}: ${line}`);
        await c.exited;
      }
      for (let i = 0; i < n; i++) db.delete(utf8Encode(`p-${i}`));
      db.close();
      verify(dir, ['a-0']);
    } finally {
      if (bind !== null) spawnSync('umount', [bind], { stdio: 'ignore' });
    }
  });

  test('[FMT-LOCK-1] [ENG-LOCK-1] an opener stopped while taking the lock never shares the database', async () => {
    const dir = join(work, 'stall');
    // Stopped right after LOCK is linked (its open not finished): the next opener gets LOCKED.
    const a = start('writer', dir, { HELIOS_LOCK_STALL: 'linked', HELIOS_LOCK_COMMITS: '5', HELIOS_LOCK_TAG: 'a' });
    assert.is(await a.waitFor('stalled', 'exited'), 'stalled linked');
    await new Promise((r) => setTimeout(r, 100)); // longer than any "stale after a moment" rule
    const b = start('writer', dir, { HELIOS_LOCK_COMMITS: '5', HELIOS_LOCK_TAG: 'b' });
    const bLine = await b.waitFor('locked', 'open', 'exited');
    assert.ok(bLine.startsWith('locked'), `second opener beside a stopped owner: ${bLine}`);
    a.child.kill('SIGCONT');
    assert.is(await a.waitFor('closed', 'exited'), 'closed');
    // Stopped after writing its record but before linking it: the other opener wins, the stopped one then gets LOCKED.
    const c = start('writer', dir, { HELIOS_LOCK_STALL: 'record-written', HELIOS_LOCK_COMMITS: '5', HELIOS_LOCK_TAG: 'c' });
    assert.is(await c.waitFor('stalled', 'exited'), 'stalled record-written');
    const d = start('hold', dir, { HELIOS_LOCK_COMMITS: '5', HELIOS_LOCK_TAG: 'd' });
    assert.is(await d.waitFor('ack d-4', 'locked', 'exited'), 'ack d-4');
    c.child.kill('SIGCONT');
    const cLine = await c.waitFor('locked', 'open', 'exited');
    assert.ok(cLine.startsWith('locked'), `the resumed opener: ${cLine}`);
    d.child.stdin!.end();
    assert.is(await d.waitFor('closed', 'exited'), 'closed');
    await Promise.all([a.exited, b.exited, c.exited, d.exited]);
    verify(dir, [...acksOf(a), ...acksOf(d)]);
  });

  test('[FMT-LOCK-3] [FMT-LOCK-5] [ENG-LOCK-1] five processes race for a fresh or stale lock: exactly one wins, no acknowledged commit is lost', async () => {
    const dir = join(work, 'race');
    const rounds = fuzzCount(4);
    const acks: string[] = [];
    for (let round = 0; round < rounds; round++) {
      if (round % 2 === 1) {
        // Leave a stale lock: an owner SIGKILLed with the database open.
        const k = start('hold', dir, { HELIOS_LOCK_COMMITS: '2', HELIOS_LOCK_TAG: `k${round}` });
        assert.is(await k.waitFor(`ack k${round}-1`, 'locked', 'exited'), `ack k${round}-1`);
        k.child.kill('SIGKILL');
        await k.exited;
        acks.push(...acksOf(k));
      }
      const racers = Array.from({ length: 5 }, (_, i) => start('race', dir, { HELIOS_LOCK_COMMITS: '20', HELIOS_LOCK_TAG: `r${round}.${i}` }));
      await new Promise((r) => setTimeout(r, 500)); // let them all load and block on stdin
      for (const r of racers) r.child.stdin!.write('\n');
      const firsts = await Promise.all(racers.map((r) => r.waitFor('open', 'locked', 'exited')));
      const winners = firsts.filter((l) => l === 'open').length;
      assert.is(winners, 1, `round ${round}: ${firsts.join(' | ')}`);
      assert.ok(firsts.every((l) => l === 'open' || l.startsWith('locked')), firsts.join(' | '));
      // The winner keeps the database open until every racer has answered.
      for (const r of racers) r.child.stdin!.end();
      await Promise.all(racers.map((r) => r.exited));
      for (const r of racers) acks.push(...acksOf(r));
      verify(dir, acks);
    }
    console.log(`${rounds} races of 5 processes, ${acks.length} acknowledged commits verified`);
  });

  test('cleanup', () => {
    rmSync(work, { recursive: true, force: true });
  });

  test.run();
}
