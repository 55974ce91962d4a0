/**
 * The audit log of security operations, spec/audit-log.md: one line per operation appended to a
 * file outside the database directory (format/audit-record.ts), chained to the previous entry of
 * the same database and authenticated with the audit key (crypto/audit-mac.ts) [AUD-CHAIN-1].
 *
 * Writing: under `<path>.lock` (created exclusively; a lock whose holder is dead, or older
 * than LOCK_STALE_MS, is taken over, see withAppendLock), the last entry of this database is read from the tail of the
 * file, the new line is appended in one write and fsynced. Only then may the caller record the
 * entry as the database's sealed checkpoint [AUD-CKPT-1], so the checkpoint never names an
 * entry that is not durable.
 *
 * The file goes through node:fs, not the engine's Vfs: it lives outside the database directory
 * (often under /var/log) and is appended to across opens, which the Vfs (create-once files)
 * does not model. It holds no key material, no passphrase and no data: only the fields of
 * [AUD-LINE-1].
 */
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { HeliosError } from '../format/errors.ts';
import { equalBytes, fromHex, toHex } from '../format/bytes.ts';
import { auditLine, encodeAuditPrefix, isAuditOp, isAuditOutcome, parseAuditLine, type AuditEntry } from '../format/audit-record.ts';
import type { AuditCheckpoint } from '../format/manifest-edit.ts';
import { auditDigest, auditKeyId, auditMac, auditMacEqual } from '../crypto/audit-mac.ts';

const ZERO_MAC = '0'.repeat(64);
const TAIL_CHUNK_BYTES = 64 * 1024;
const LOCK_WAIT_MS = 2000;
const LOCK_STALE_MS = 10_000;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));
/** Lines are ASCII; a byte above 0x7f only ever appears in a line that is not an entry. */
const latin1 = new TextDecoder('latin1');

export interface AuditAppend {
  readonly path: string;
  readonly databaseId: Uint8Array;
  /** The audit key (auditKeyOf), or null for an entry written without it (a failed unlock). */
  readonly key: Uint8Array | null;
  readonly unixMs: number;
  readonly op: string;
  readonly outcome: string;
  readonly generation: number | null;
  readonly slot: number | null;
}

function ioError(path: string, e: unknown, what: string): HeliosError {
  const code = typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : 'EIO';
  return new HeliosError('IO', `audit log ${path}: ${what} failed: ${code}`, { file: path, osCode: code });
}

/** Whether the process `pid` (a holder of the append lock on this host) is gone. */
function holderIsDead(lockPath: string): boolean {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(lockPath, 'latin1'));
  } catch {
    return false; // gone or unreadable: retry
  }
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as { code?: string }).code === 'ESRCH';
  }
}

/**
 * Runs `fn` holding `<path>.lock` (created exclusively, holding the holder's pid). A lock whose
 * holder is dead (killed while appending) or that is older than LOCK_STALE_MS is removed.
 */
function withAppendLock<T>(path: string, fn: () => T): T {
  const lockPath = `${path}.lock`;
  const started = Date.now();
  let fd: number | null = null;
  while (fd === null) {
    try {
      fd = fs.openSync(lockPath, 'wx');
      fs.writeSync(fd, String(typeof process !== 'undefined' ? process.pid : 0));
    } catch (e) {
      if (fd !== null) {
        fs.closeSync(fd);
        fs.unlinkSync(lockPath);
        throw ioError(path, e, 'taking the append lock');
      }
      if ((e as { code?: string }).code !== 'EEXIST') throw ioError(path, e, 'taking the append lock');
      let age = 0;
      try {
        age = Date.now() - fs.statSync(lockPath).mtimeMs;
      } catch {
        continue; // released meanwhile
      }
      if (age > LOCK_STALE_MS || (age > 100 && holderIsDead(lockPath))) {
        try {
          fs.unlinkSync(lockPath);
        } catch {
          // another taker removed it
        }
        continue;
      }
      if (Date.now() - started > LOCK_WAIT_MS) throw new HeliosError('LOCKED', `audit log ${path}: another process holds ${lockPath}`, { file: lockPath });
      Atomics.wait(sleepCell, 0, 0, 5);
    }
  }
  try {
    return fn();
  } finally {
    fs.closeSync(fd);
    try {
      fs.unlinkSync(lockPath);
    } catch {
      // already gone
    }
  }
}

/** The last well-formed entry of `dbHex` in the file (read backwards from the end), or null. */
function lastEntryOf(fd: number, size: number, dbHex: string): AuditEntry | null {
  let end = size;
  let carry = '';
  while (end > 0) {
    const start = Math.max(0, end - TAIL_CHUNK_BYTES);
    const buf = new Uint8Array(end - start);
    fs.readSync(fd, buf, 0, buf.length, start);
    const text = latin1.decode(buf) + carry;
    const lines = text.split('\n');
    carry = start > 0 ? lines.shift()! : '';
    for (let i = lines.length - 1; i >= 0; i--) {
      const line = lines[i]!;
      if (line.length === 0 || !line.includes(dbHex)) continue;
      const e = parseAuditLine(line);
      if (!('error' in e) && toHex(e.databaseId) === dbHex) return e;
    }
    end = start;
  }
  if (carry.length > 0) {
    const e = parseAuditLine(carry);
    if (!('error' in e) && toHex(e.databaseId) === dbHex) return e;
  }
  return null;
}

/**
 * Appends one entry and makes it durable (fsync of the file; the directory too when the file is
 * new). Returns the entry's checkpoint (seq and MAC). Errors: INVALID_ARGUMENT (an operation or
 * outcome outside [AUD-LINE-1]), LOCKED (the append lock is held for over 2 s), IO.
 */
export function appendAuditEntry(a: AuditAppend): AuditCheckpoint {
  if (!isAuditOp(a.op)) throw new HeliosError('INVALID_ARGUMENT', 'audit operation must match [a-z][a-z-]{0,31}');
  if (!isAuditOutcome(a.outcome)) throw new HeliosError('INVALID_ARGUMENT', 'audit outcome must match [a-z0-9][a-z0-9-]{0,31}');
  const dir = nodePath.dirname(a.path);
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw ioError(a.path, e, 'creating its directory');
  }
  return withAppendLock(a.path, () => {
    let fd: number;
    let isNew = false;
    try {
      isNew = !fs.existsSync(a.path);
      fd = fs.openSync(a.path, 'a+');
    } catch (e) {
      throw ioError(a.path, e, 'opening');
    }
    try {
      const size = fs.fstatSync(fd).size;
      const dbHex = toHex(a.databaseId);
      const last = lastEntryOf(fd, size, dbHex);
      let torn = false;
      if (size > 0) {
        const b = new Uint8Array(1);
        fs.readSync(fd, b, 0, 1, size - 1);
        torn = b[0] !== 0x0a;
      }
      const prefix = encodeAuditPrefix({
        seq: (last?.seq ?? 0) + 1,
        unixMs: Math.floor(a.unixMs),
        databaseId: a.databaseId,
        op: a.op,
        outcome: a.outcome,
        generation: a.generation,
        slot: a.slot,
        pid: typeof process !== 'undefined' ? process.pid : 0,
        kid: a.key === null ? null : auditKeyId(a.key),
        prev: last?.mac ?? ZERO_MAC,
      });
      if (prefix === null) throw new HeliosError('INVALID_ARGUMENT', 'audit entry field out of range');
      const mac = a.key === null ? auditDigest(prefix) : auditMac(a.key, prefix);
      // A line torn by a power loss stays on a line of its own (the verifier reports it).
      fs.writeSync(fd, (torn ? '\n' : '') + auditLine(prefix, mac) + '\n');
      fs.fsyncSync(fd);
      if (isNew) {
        const d = fs.openSync(dir, 'r');
        try {
          fs.fsyncSync(d);
        } catch {
          // some platforms cannot fsync a directory
        } finally {
          fs.closeSync(d);
        }
      }
      return { seq: (last?.seq ?? 0) + 1, mac: fromHex(mac)! };
    } catch (e) {
      if (e instanceof HeliosError) throw e;
      throw ioError(a.path, e, 'appending');
    } finally {
      fs.closeSync(fd);
    }
  });
}

export interface AuditBrokenEntry {
  /** 1-based line number in the file (one past the last line for a truncated tail). */
  readonly line: number;
  /** The entry's seq when it could be read, else null. */
  readonly seq: number | null;
  readonly reason: string;
}

/** What verifyAuditLog found for one database [AUD-VERIFY-1]. */
export interface AuditVerifyReport {
  /** True when no entry is broken. */
  readonly ok: boolean;
  readonly path: string;
  /** Entries of this database in the file. */
  readonly entries: number;
  /** Entries whose MAC this key verified. */
  readonly verified: number;
  /** Entries written without the key (failed unlocks) that a later verified entry covers. */
  readonly unauthenticated: number;
  /** Entries written without the key after the last verified one: claims nobody has vouched for. */
  readonly unauthenticatedTail: number;
  /** Entries under an earlier root key (before a revocation): this key cannot verify them. */
  readonly earlierRoot: number;
  /** Lines of other databases sharing the file. */
  readonly otherDatabases: number;
  readonly lastSeq: number;
  /** The sealed checkpoint's seq, or null when the database holds none. */
  readonly checkpointSeq: number | null;
  readonly firstBroken: AuditBrokenEntry | null;
}

/**
 * Verifies the entries of database `databaseId` in the audit file at `path` with `key`
 * [AUD-VERIFY-1]: seq numbers consecutive from 1, each prev equal to the previous entry's mac,
 * each mac correct (HMAC under this key; SHA-256 for an entry written without the key), and
 * the sealed `checkpoint` present with its MAC [AUD-CKPT-2]. Stops at the first broken entry.
 * A missing file is a log with no entries. Errors: IO.
 */
export function verifyAuditFile(path: string, databaseId: Uint8Array, key: Uint8Array, checkpoint: AuditCheckpoint | null): AuditVerifyReport {
  let text = '';
  try {
    if (fs.existsSync(path)) text = fs.readFileSync(path, 'latin1');
  } catch (e) {
    throw ioError(path, e, 'reading');
  }
  const dbHex = toHex(databaseId);
  const kid = auditKeyId(key);
  const lines = text.split('\n');
  const tornTail = lines.pop() !== '';
  let entries = 0;
  let verified = 0;
  let unauthenticated = 0;
  let pending = 0;
  let earlierRoot = 0;
  let otherDatabases = 0;
  let lastSeq = 0;
  let lastMac = ZERO_MAC;
  let seenOwn = false;
  let firstEarlier = 0;
  let checkpointMac: { mac: string; line: number } | null = null;
  let firstBroken: AuditBrokenEntry | null = null;
  const report = (): AuditVerifyReport => ({
    ok: firstBroken === null,
    path,
    entries,
    verified,
    unauthenticated,
    unauthenticatedTail: pending,
    earlierRoot,
    otherDatabases,
    lastSeq,
    checkpointSeq: checkpoint?.seq ?? null,
    firstBroken,
  });
  const all = tornTail ? [...lines, text.slice(text.lastIndexOf('\n') + 1)] : lines;
  for (let i = 0; i < all.length; i++) {
    const line = all[i]!;
    const e = parseAuditLine(line);
    if ('error' in e) {
      firstBroken = { line: i + 1, seq: null, reason: tornTail && i === all.length - 1 ? 'incomplete last line' : e.error };
      return report();
    }
    if (toHex(e.databaseId) !== dbHex) {
      otherDatabases++;
      continue;
    }
    entries++;
    if (e.seq !== lastSeq + 1) {
      firstBroken = { line: i + 1, seq: e.seq, reason: `seq ${e.seq} where ${lastSeq + 1} was expected: entries were removed, reordered or inserted` };
      return report();
    }
    if (e.prev !== lastMac) {
      firstBroken = { line: i + 1, seq: e.seq, reason: 'prev does not match the previous entry: the chain is broken' };
      return report();
    }
    if (e.kid === null) {
      if (e.mac !== auditDigest(e.prefix)) {
        firstBroken = { line: i + 1, seq: e.seq, reason: 'digest of an entry written without the key does not match' };
        return report();
      }
      pending++;
    } else if (e.kid === kid) {
      if (!auditMacEqual(e.mac, auditMac(key, e.prefix))) {
        firstBroken = { line: i + 1, seq: e.seq, reason: 'MAC does not verify: the entry was changed or forged' };
        return report();
      }
      // [AUD-KEY-1]: entries under an earlier root key are vouched for only by the revocation that
      // replaced it — the first entry under this key, whose prev binds the last of them.
      if (!seenOwn && earlierRoot > 0 && e.op !== 'revoke') {
        firstBroken = { line: firstEarlier, seq: 1, reason: 'entries under another key are not followed by the revocation that replaced that key: an entry was changed' };
        return report();
      }
      seenOwn = true;
      verified++;
      unauthenticated += pending;
      pending = 0;
    } else if (!seenOwn) {
      if (earlierRoot === 0) firstEarlier = i + 1;
      earlierRoot += 1 + pending;
      pending = 0;
    } else {
      firstBroken = { line: i + 1, seq: e.seq, reason: 'entry under another key after entries under this key' };
      return report();
    }
    lastSeq = e.seq;
    lastMac = e.mac;
    if (checkpoint !== null && e.seq === checkpoint.seq) checkpointMac = { mac: e.mac, line: i + 1 };
  }
  if (earlierRoot > 0 && !seenOwn) {
    firstBroken = { line: firstEarlier, seq: 1, reason: 'every entry is under another key and no revocation under this key follows: an entry was changed' };
    return report();
  }
  if (checkpoint !== null && checkpoint.seq > 0) {
    if (checkpointMac === null) {
      firstBroken = { line: all.length + 1, seq: checkpoint.seq, reason: `the log ends at seq ${lastSeq} but the database's sealed checkpoint names entry ${checkpoint.seq}: entries were removed at the tail` };
    } else if (!equalBytes(fromHex(checkpointMac.mac)!, checkpoint.mac)) {
      firstBroken = { line: checkpointMac.line, seq: checkpoint.seq, reason: "entry differs from the database's sealed checkpoint" };
    }
  }
  return report();
}
