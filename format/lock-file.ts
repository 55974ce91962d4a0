/**
 * The LOCK file of a database directory: who holds the database open,
 * spec/format.md [FMT-LOCK-1]. Plain ASCII so an operator can read it with
 * `cat`; every line is `name value` and the last line is a CRC32C of the
 * lines before it, so a damaged or foreign file is recognised as such:
 *
 * ```
 *  helios-lock 1
 *  host <hostname>
 *  boot <boot identity>
 *  pidns <PID namespace identity>
 *  pid <decimal process id, as the owner sees it>
 *  start <decimal process start time in clock ticks since boot>
 *  since <ISO-8601 UTC time the lock was taken>
 *  token <32 lowercase hex digits, random, unique to this lock>
 *  crc <8 lowercase hex digits: CRC32C of every byte before this line>
 * ```
 *
 * Each line ends with one line feed (0x0A), nothing follows the crc line,
 * values are 1..255 printable ASCII characters without spaces (0x21..0x7E)
 * and `-` means unknown. The order and names never change.
 */
import { crc32c } from './crc32c.ts';
import { utf8Decode, utf8Encode } from './bytes.ts';

export const LOCK_MAGIC_LINE = 'helios-lock 1';
/** Upper bound on a LOCK file's size; anything larger is not a lock record. */
export const MAX_LOCK_FILE_BYTES = 4096;
/** The value of a field that is not known. */
export const LOCK_UNKNOWN = '-';

export interface LockRecord {
  readonly host: string;
  readonly boot: string;
  readonly pidns: string;
  readonly pid: number;
  readonly start: string;
  readonly since: string;
  readonly token: string;
}

const FIELDS = ['host', 'boot', 'pidns', 'pid', 'start', 'since', 'token'] as const;

/** Makes `s` a valid field value: printable ASCII without spaces, 1..255 characters. */
export function lockFieldValue(s: string): string {
  const v = s.replace(/[^\x21-\x7e]/g, '?').slice(0, 255);
  return v === '' ? LOCK_UNKNOWN : v;
}

/** The bytes of a LOCK file (a new array). Values are sanitised with lockFieldValue. */
export function encodeLockRecord(r: LockRecord): Uint8Array {
  const lines = [LOCK_MAGIC_LINE];
  for (const f of FIELDS) lines.push(`${f} ${lockFieldValue(String(r[f]))}`);
  const body = lines.join('\n') + '\n';
  const crc = crc32c(utf8Encode(body)).toString(16).padStart(8, '0');
  return utf8Encode(`${body}crc ${crc}\n`);
}

/**
 * Decodes a LOCK file; null for anything that is not exactly one complete
 * record (empty, partial, a legacy pid-only file, damaged, too large). A
 * caller never takes over a lock it cannot decode.
 */
export function decodeLockRecord(bytes: Uint8Array): LockRecord | null {
  if (bytes.length === 0 || bytes.length > MAX_LOCK_FILE_BYTES) return null;
  for (const b of bytes) if (b !== 0x0a && (b < 0x20 || b > 0x7e)) return null;
  const text = utf8Decode(bytes);
  const m = /^([\s\S]*\n)crc ([0-9a-f]{8})\n$/.exec(text);
  if (!m) return null;
  const body = m[1]!;
  if (crc32c(utf8Encode(body)).toString(16).padStart(8, '0') !== m[2]) return null;
  const lines = body.slice(0, -1).split('\n');
  if (lines.length !== FIELDS.length + 1 || lines[0] !== LOCK_MAGIC_LINE) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < FIELDS.length; i++) {
    const lm = /^([a-z]+) ([\x21-\x7e]{1,255})$/.exec(lines[i + 1]!);
    if (!lm || lm[1] !== FIELDS[i]) return null;
    out[FIELDS[i]!] = lm[2]!;
  }
  if (!/^[1-9]\d{0,15}$/.test(out.pid!) || !/^[0-9a-f]{32}$/.test(out.token!)) return null;
  const pid = Number(out.pid);
  if (!Number.isSafeInteger(pid)) return null;
  return { host: out.host!, boot: out.boot!, pidns: out.pidns!, pid, start: out.start!, since: out.since!, token: out.token! };
}
