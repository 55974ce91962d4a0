/**
 * The database lock on `node:fs`: the LOCK file protocol of spec/format.md
 * [FMT-LOCK-1..5]. Node has no portable advisory lock, so the lock is the
 * existence of the LOCK file, created in one atomic step and taken over only
 * from a provably dead owner.
 *
 * Taking the lock:
 *  1. The directory is identified by device and inode (not by path), and a
 *     registry shared by every copy of this module in the realm refuses a
 *     second handle of this process on the same directory, whatever path
 *     (symlink, `..`, bind mount) leads to it.
 *  2. The complete record (format/lock-file.ts) is written to a fresh
 *     `LOCK.<token>.tmp`, fsynced, and hard-linked to `LOCK` with link(2),
 *     which fails if `LOCK` exists: `LOCK` is never seen empty or partial,
 *     however long the opener stalls.
 *  3. On EEXIST the existing record is read. It is taken over only when its
 *     owner is provably dead (`judgeLockOwner`): the same machine booted
 *     since (same host name and machine id, another boot id); or same host,
 *     same boot, same PID namespace, and its pid absent or running a process
 *     with another start time. Anything else, an unreadable record included, is LOCKED
 *     naming the owner and telling the operator how to remove a lock left on
 *     a dead host.
 *  4. A dead record is removed only by the holder of its claim
 *     `LOCK.claim-<token>.tmp` (created with link(2) too), who re-reads
 *     `LOCK` under the claim: while the claim is held, nobody else may remove
 *     the record, so two processes recovering the same stale lock cannot both
 *     win, and a live lock is never moved or removed. A claim left by a
 *     claimant that died is itself removed under a claim of its own token.
 *
 * Releasing removes `LOCK` only if it is still the file this handle linked
 * (same device and inode).
 *
 * Where the file system has no hard links, `LOCK` (and a claim) is created
 * with O_EXCL and written in place: an opener may then briefly see it
 * incomplete, and reports LOCKED (an unreadable record is never taken over).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as nodePath from 'node:path';
import { randomBytes } from 'node:crypto';
import { HeliosError } from '../format/errors.ts';
import { decodeLockRecord, encodeLockRecord, LOCK_UNKNOWN, lockFieldValue, MAX_LOCK_FILE_BYTES, type LockRecord } from '../format/lock-file.ts';
import type { VfsLock } from './vfs-interface.ts';

/** Points of the protocol where a test hook runs (to stall or stop the process there). */
export type LockStep = 'record-written' | 'linked';

/** Who this process is, as a LOCK record records it. */
export interface LockIdentity {
  readonly host: string;
  readonly boot: string;
  readonly pidns: string;
  readonly pid: number;
  readonly start: string;
}

/** What the lock protocol needs to know about other processes (injected in tests). */
export interface LockProbe {
  /** true: a process with this pid exists in our PID namespace; false: none does. */
  pidExists(pid: number): boolean;
  /** The start time of `pid` (field 22 of /proc/<pid>/stat), or LOCK_UNKNOWN. */
  startTime(pid: number): string;
}

export type LockVerdict = { readonly dead: true; readonly why: string } | { readonly dead: false; readonly why: string };

/** Directory identities (dev:ino) held by handles of this process, shared by every copy of this module. */
const heldDirs: Set<string> = ((globalThis as Record<symbol, unknown>)[Symbol.for('heliosdb.lock.heldDirs')] ??= new Set<string>()) as Set<string>;

const MAX_CLAIM_DEPTH = 4;
const MAX_ATTEMPTS = 6;

function osCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

function ioError(op: string, path: string, e: unknown): HeliosError {
  const code = osCode(e) ?? 'EIO';
  return new HeliosError('IO', `${op} ${nodePath.basename(path)} failed: ${code}`, { file: nodePath.basename(path), osCode: code }, { cause: e });
}

function readText(path: string): string | null {
  try {
    return fs.readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

/** Linux: /proc is usable for our own PID namespace when /proc/self is our pid. */
function procIsOurs(): boolean {
  try {
    return fs.readlinkSync('/proc/self') === String(process.pid);
  } catch {
    return false;
  }
}

/** Field 22 (starttime) of /proc/<pid>/stat, or LOCK_UNKNOWN. */
export function procStartTime(pid: number | 'self'): string {
  const text = readText(`/proc/${pid}/stat`);
  if (text === null) return LOCK_UNKNOWN;
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const v = fields[22 - 3];
  return v !== undefined && /^\d+$/.test(v) ? v : LOCK_UNKNOWN;
}

/**
 * Boot identity: the kernel's boot_id on Linux, followed by `@` and the
 * machine id (/etc/machine-id) when there is one; elsewhere the boot time in
 * seconds derived from the uptime.
 */
function bootIdentity(): string {
  const id = readText('/proc/sys/kernel/random/boot_id');
  if (id !== null && /^[0-9a-f-]{36}$/.test(id)) {
    const machine = readText('/etc/machine-id');
    return machine !== null && /^[0-9a-f]{32}$/.test(machine) ? `linux:${id}@${machine}` : `linux:${id}`;
  }
  try {
    return `uptime:${Math.round(Date.now() / 1000 - os.uptime())}`;
  } catch {
    return LOCK_UNKNOWN;
  }
}

function pidNamespace(): string {
  if (process.platform !== 'linux') return 'none'; // the platform has no PID namespaces
  try {
    return lockFieldValue(fs.readlinkSync('/proc/self/ns/pid'));
  } catch {
    return LOCK_UNKNOWN;
  }
}

let selfIdentity: LockIdentity | null = null;

/** This process's identity (computed once: none of it changes while the process runs). */
export function currentLockIdentity(): LockIdentity {
  if (selfIdentity === null) {
    const ours = process.platform === 'linux' && procIsOurs();
    selfIdentity = {
      host: lockFieldValue(os.hostname()),
      boot: bootIdentity(),
      pidns: pidNamespace(),
      pid: process.pid,
      start: ours ? procStartTime('self') : LOCK_UNKNOWN,
    };
  }
  return selfIdentity;
}

/** The probe on this system: kill(pid, 0), and /proc when it belongs to our PID namespace. */
export function systemLockProbe(): LockProbe {
  const ours = process.platform === 'linux' && procIsOurs();
  return {
    pidExists(pid) {
      try {
        process.kill(pid, 0);
        return true;
      } catch (e) {
        if (osCode(e) === 'ESRCH') return false;
        return true; // EPERM (another user's process) or anything unexpected: assume it runs
      }
    },
    startTime(pid) {
      return ours ? procStartTime(pid) : LOCK_UNKNOWN;
    },
  };
}

/** The machine id of a `linux:<boot_id>@<machine-id>` boot identity, or null. */
function machineOf(boot: string): string | null {
  const m = /^linux:[0-9a-f-]{36}@([0-9a-f]{32})$/.exec(boot);
  return m ? m[1]! : null;
}

function sameBoot(a: string, b: string): boolean {
  if (a === LOCK_UNKNOWN || b === LOCK_UNKNOWN) return false;
  if (a.startsWith('uptime:') && b.startsWith('uptime:')) {
    // Derived from the clock and the uptime: equal to within rounding and clock steps.
    return Math.abs(Number(a.slice(7)) - Number(b.slice(7))) <= 2;
  }
  return a === b;
}

/**
 * Whether the owner of `r` is provably dead, seen from `self` [FMT-LOCK-3]:
 * same host, same boot, same PID namespace (all known), and either no
 * process with its pid or one with another start time. Every other case is
 * "not provably dead", and the lock stays.
 */
export function judgeLockOwner(r: LockRecord, self: LockIdentity, probe: LockProbe): LockVerdict {
  if (r.host !== self.host) return { dead: false, why: `it was taken on another host (${r.host})` };
  if (!sameBoot(r.boot, self.boot)) {
    // The same machine (host name and machine id) booted since: every process of the boot that took the lock is gone.
    const machine = machineOf(r.boot);
    if (machine !== null && machine === machineOf(self.boot)) return { dead: true, why: `${r.host} has rebooted since the lock was taken` };
    return { dead: false, why: `it was taken in another boot of ${r.host}, or on another machine with the same host name` };
  }
  if (r.pidns === LOCK_UNKNOWN || r.pidns !== self.pidns) return { dead: false, why: `its owner runs in another PID namespace (${r.pidns}), for example another container` };
  if (r.pid === self.pid) {
    if (r.start !== LOCK_UNKNOWN && self.start !== LOCK_UNKNOWN && r.start !== self.start) return { dead: true, why: 'its pid is now this process' };
    return { dead: false, why: 'it is held by this process (another handle, copy of the library or worker thread)' };
  }
  if (!probe.pidExists(r.pid)) return { dead: true, why: `process ${r.pid} no longer runs` };
  const now = probe.startTime(r.pid);
  if (r.start !== LOCK_UNKNOWN && now !== LOCK_UNKNOWN && now !== r.start) return { dead: true, why: `pid ${r.pid} now belongs to another process` };
  return { dead: false, why: `process ${r.pid} is running` };
}

function lockedBy(lockPath: string, r: LockRecord, why: string): HeliosError {
  return new HeliosError(
    'LOCKED',
    `database is locked: ${lockPath} is held by pid ${r.pid} on host ${r.host} since ${r.since} (${why}). ` +
      `If that process is gone for good (for example its host is down), remove ${lockPath} and open again.`,
    { file: 'LOCK' },
  );
}

function unreadableLock(lockPath: string): HeliosError {
  return new HeliosError(
    'LOCKED',
    `database is locked: ${lockPath} is not a lock record this version can read (an older version's, or damaged), so it is never taken over automatically. ` +
      `Make sure no process has the database open, then remove ${lockPath} and open again.`,
    { file: 'LOCK' },
  );
}

function heldHere(lockPath: string): HeliosError {
  return new HeliosError('LOCKED', `database is locked: another handle of this process has ${nodePath.dirname(lockPath)} open (perhaps by another path to the same directory) through a Vfs of its own; opens on the default file system share an open database instead`, { file: 'LOCK' });
}

type ReadResult = { readonly kind: 'missing' } | { readonly kind: 'unreadable' } | { readonly kind: 'record'; readonly record: LockRecord; readonly ino: bigint; readonly dev: bigint };

function readLockFile(path: string): ReadResult {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (e) {
    if (osCode(e) === 'ENOENT') return { kind: 'missing' };
    throw ioError('read', path, e);
  }
  try {
    const st = fs.fstatSync(fd, { bigint: true });
    if (st.size > BigInt(MAX_LOCK_FILE_BYTES)) return { kind: 'unreadable' };
    const buf = new Uint8Array(Number(st.size));
    let done = 0;
    while (done < buf.length) {
      const n = fs.readSync(fd, buf, done, buf.length - done, done);
      if (n === 0) break;
      done += n;
    }
    const record = decodeLockRecord(buf.subarray(0, done));
    return record === null ? { kind: 'unreadable' } : { kind: 'record', record, ino: st.ino, dev: st.dev };
  } catch (e) {
    throw ioError('read', path, e);
  } finally {
    fs.closeSync(fd);
  }
}

function unlinkQuiet(path: string): void {
  try {
    fs.unlinkSync(path);
  } catch {
    // already gone
  }
}

/** "dev:ino" of a path, or null when it does not exist. */
/** The device and inode of `path` ("dev:ino"), or null when it cannot be stat'ed. */
export function identityOf(path: string): string | null {
  try {
    const st = fs.statSync(path, { bigint: true });
    return `${st.dev}:${st.ino}`;
  } catch {
    return null;
  }
}

export interface TakeLockOptions {
  readonly hook?: (step: LockStep) => void;
  readonly probe?: LockProbe;
  readonly identity?: LockIdentity;
  /** link(2); tests pass one that fails like a file system without hard links. */
  readonly link?: (from: string, to: string) => void;
}

/** Takes the lock stored in `lockPath` (see the module comment). */
export function takeNodeLock(lockPath: string, options: TakeLockOptions = {}): VfsLock {
  const dir = nodePath.dirname(lockPath);
  const dirId = identityOf(dir);
  if (dirId === null) throw new HeliosError('IO', `lock ${lockPath} failed: ENOENT`, { file: 'LOCK', osCode: 'ENOENT' });
  if (heldDirs.has(dirId)) throw heldHere(lockPath);
  const self = options.identity ?? currentLockIdentity();
  const probe = options.probe ?? systemLockProbe();
  const link = options.link ?? fs.linkSync;
  const token = randomBytes(16).toString('hex');
  const record: LockRecord = { ...self, since: new Date().toISOString(), token };
  const tmp = nodePath.join(dir, `LOCK.${token}.tmp`);
  const bytes = encodeLockRecord(record);
  try {
    const fd = fs.openSync(tmp, 'wx');
    try {
      let done = 0;
      while (done < bytes.length) done += fs.writeSync(fd, bytes, done, bytes.length - done, done);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    unlinkQuiet(tmp);
    throw ioError('lock', lockPath, e);
  }
  try {
    options.hook?.('record-written');
    for (let attempt = 0; ; attempt++) {
      if (attempt >= MAX_ATTEMPTS) throw new HeliosError('LOCKED', `database is locked: ${lockPath} keeps changing hands; try again`, { file: 'LOCK' });
      if (tryLink(tmp, lockPath, link)) break;
      const cur = readLockFile(lockPath);
      if (cur.kind === 'missing') continue; // released meanwhile: try again
      if (cur.kind === 'unreadable') throw unreadableLock(lockPath);
      const verdict = judgeLockOwner(cur.record, self, probe);
      if (!verdict.dead) throw lockedBy(lockPath, cur.record, verdict.why);
      removeDeadRecord(lockPath, lockPath, cur.record, tmp, token, self, probe, link, 0);
    }
    options.hook?.('linked');
  } finally {
    unlinkQuiet(tmp);
  }
  const mine = identityOf(lockPath); // the file we linked (or created): release removes only it
  removeLeftovers(dir, self, probe);
  heldDirs.add(dirId);
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      heldDirs.delete(dirId);
      if (mine !== null && identityOf(lockPath) === mine) unlinkQuiet(lockPath);
    },
  };
}

/**
 * Removes record and claim files (`LOCK.<token>.tmp`, `LOCK.claim-<token>.tmp`)
 * that processes which died while taking the lock left behind: only those
 * whose owner is provably dead; an unreadable one is left alone.
 */
function removeLeftovers(dir: string, self: LockIdentity, probe: LockProbe): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    if (!/^LOCK\.(claim-)?[0-9a-f]{32}\.tmp$/.test(n)) continue;
    const p = nodePath.join(dir, n);
    const r = readLockFile(p);
    if (r.kind === 'record' && judgeLockOwner(r.record, self, probe).dead) unlinkQuiet(p);
  }
}

/** File systems without hard links (FAT, some network file systems) report these from link(2). */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV', 'EINVAL']);

/**
 * link(2) `from` to `to`: true when linked, false when `to` exists. Where the
 * file system has no hard links, `to` is created with O_EXCL and the record
 * written and synced in place instead: a reader may then see it incomplete
 * for a moment, which it reports as LOCKED (an unreadable record is never
 * taken over), never as a free lock.
 */
function tryLink(from: string, to: string, link: (from: string, to: string) => void): boolean {
  try {
    link(from, to);
    return true;
  } catch (e) {
    const c = osCode(e);
    if (c === 'EEXIST') return false;
    if (c === 'ENOENT') {
      // Our record file vanished: a recovery of the owner that won meanwhile removed temp files.
      throw new HeliosError('LOCKED', `database is locked: another process took ${to} while this one was opening it`, { file: 'LOCK' });
    }
    if (c !== undefined && NO_HARD_LINKS.has(c)) return createInPlace(from, to);
    throw ioError('lock', to, e);
  }
}

function createInPlace(from: string, to: string): boolean {
  const bytes = fs.readFileSync(from);
  let fd: number;
  try {
    fd = fs.openSync(to, 'wx');
  } catch (e) {
    if (osCode(e) === 'EEXIST') return false;
    throw ioError('lock', to, e);
  }
  try {
    let done = 0;
    while (done < bytes.length) done += fs.writeSync(fd, bytes, done, bytes.length - done, done);
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    unlinkQuiet(to);
    throw ioError('lock', to, e);
  }
  fs.closeSync(fd);
  return true;
}

/**
 * Removes the file `name` holding the dead record `dead`, under the claim
 * `LOCK.claim-<dead.token>.tmp` (see the module comment). Returns when the
 * record is gone (removed by us, or by another claimant that finished first);
 * throws LOCKED when a live process holds the claim.
 */
function removeDeadRecord(
  lockPath: string,
  name: string,
  dead: LockRecord,
  tmp: string,
  token: string,
  self: LockIdentity,
  probe: LockProbe,
  link: (from: string, to: string) => void,
  depth: number,
): void {
  if (depth >= MAX_CLAIM_DEPTH) throw lockedBy(lockPath, dead, 'its takeover is stuck behind stale claims; remove the LOCK.claim-*.tmp files too');
  const claim = nodePath.join(nodePath.dirname(lockPath), `LOCK.claim-${dead.token}.tmp`);
  for (let attempt = 0; ; attempt++) {
    if (attempt >= MAX_ATTEMPTS) throw lockedBy(lockPath, dead, 'another process is taking it over');
    if (tryLink(tmp, claim, link)) break;
    const c = readLockFile(claim);
    if (c.kind === 'missing') continue;
    if (c.kind === 'unreadable') throw new HeliosError('LOCKED', `database is locked: ${claim} is unreadable; make sure no process has the database open, then remove ${lockPath} and ${claim}`, { file: 'LOCK' });
    if (c.record.token === token) break; // ours already (cannot happen: tokens are fresh)
    const verdict = judgeLockOwner(c.record, self, probe);
    if (!verdict.dead) throw lockedBy(lockPath, dead, `process ${c.record.pid} on ${c.record.host} is taking it over`);
    removeDeadRecord(lockPath, claim, c.record, tmp, token, self, probe, link, depth + 1);
  }
  try {
    // Under the claim nobody else removes `name`; it is still the dead record or already gone.
    const cur = readLockFile(name);
    if (cur.kind === 'record' && cur.record.token === dead.token) {
      try {
        fs.unlinkSync(name);
      } catch (e) {
        if (osCode(e) !== 'ENOENT') throw ioError('lock', name, e);
      }
    }
  } finally {
    unlinkQuiet(claim);
  }
}
