/**
 * One entry of the audit log as a line of text, spec/audit-log.md [AUD-LINE-1]. Bytes only: the
 * MAC that ends the line is computed by crypto/audit-mac.ts over the prefix this module builds.
 *
 * ```
 *  HAL1 TAB seq TAB time TAB db TAB op TAB outcome TAB gen TAB slot TAB pid TAB kid TAB prev TAB mac LF
 *
 *  HAL1     magic and version of the line format
 *  seq      decimal, 1 for the first entry of a database, +1 for each next one
 *  time     UTC, YYYY-MM-DDTHH:MM:SS.mmmZ
 *  db       32 lower-case hex: the database id (plaintext in HELIOS)
 *  op       [a-z][a-z-]{0,31}: the operation (open, close, change-key, rotate, ...)
 *  outcome  [a-z0-9][a-z0-9-]{0,31}: ok, wrong-key, no-key, or error-<code>
 *  gen      decimal data-key generation, or -
 *  slot     decimal key-slot index, or -
 *  pid      decimal process id
 *  kid      16 hex: key id of the MAC key; - for an entry written without the key
 *  prev     64 hex: the mac field of the previous entry of this database (zeros for seq 1)
 *  mac      64 hex: HMAC-SHA256(audit key, prefix) — or SHA-256(prefix) when kid is -
 *  prefix   every byte of the line before the mac field (its last byte is the TAB before mac)
 * ```
 * These constants are part of the format and never change; another layout gets another magic.
 */
import { fromHex, toHex } from './bytes.ts';

export const AUDIT_LINE_MAGIC = 'HAL1';
export const AUDIT_KID_HEX = 16;
export const AUDIT_MAC_HEX = 64;
/** No valid line is longer (fields at their maximum); a longer one is not parsed. */
export const MAX_AUDIT_LINE_BYTES = 512;

const OP_RE = /^[a-z][a-z-]{0,31}$/;
const OUTCOME_RE = /^[a-z0-9][a-z0-9-]{0,31}$/;
const TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const DEC_RE = /^(0|[1-9]\d{0,15})$/;
const HEX_RE = (n: number): RegExp => new RegExp(`^[0-9a-f]{${n}}$`);
const DB_RE = HEX_RE(32);
const KID_RE = HEX_RE(AUDIT_KID_HEX);
const MAC_RE = HEX_RE(AUDIT_MAC_HEX);

/** The fields of an entry; `mac` is separate (it is computed over the others). */
export interface AuditFields {
  readonly seq: number;
  readonly unixMs: number;
  /** 16 bytes. */
  readonly databaseId: Uint8Array;
  readonly op: string;
  readonly outcome: string;
  readonly generation: number | null;
  readonly slot: number | null;
  readonly pid: number;
  /** AUDIT_KID_HEX hex digits, or null for an entry written without the key. */
  readonly kid: string | null;
  /** 64 hex digits. */
  readonly prev: string;
}

export interface AuditEntry extends AuditFields {
  readonly mac: string;
  /** The prefix the mac covers (ASCII). */
  readonly prefix: string;
}

export function isAuditOp(op: unknown): op is string {
  return typeof op === 'string' && OP_RE.test(op);
}

export function isAuditOutcome(outcome: unknown): outcome is string {
  return typeof outcome === 'string' && OUTCOME_RE.test(outcome);
}

const optional = (n: number | null): string => (n === null ? '-' : String(n));

/** The prefix of an entry's line (everything before the mac), or null when a field is out of range. */
export function encodeAuditPrefix(f: AuditFields): string | null {
  if (!Number.isSafeInteger(f.seq) || f.seq < 1) return null;
  if (!Number.isSafeInteger(f.unixMs) || f.unixMs < 0 || f.unixMs > 253402300799999) return null;
  if (!(f.databaseId instanceof Uint8Array) || f.databaseId.length !== 16) return null;
  if (!isAuditOp(f.op) || !isAuditOutcome(f.outcome)) return null;
  for (const n of [f.generation, f.slot]) if (n !== null && (!Number.isSafeInteger(n) || n < 0)) return null;
  if (!Number.isSafeInteger(f.pid) || f.pid < 0) return null;
  if (f.kid !== null && !KID_RE.test(f.kid)) return null;
  if (!MAC_RE.test(f.prev)) return null;
  const time = new Date(f.unixMs).toISOString();
  return [AUDIT_LINE_MAGIC, String(f.seq), time, toHex(f.databaseId), f.op, f.outcome, optional(f.generation), optional(f.slot), String(f.pid), f.kid ?? '-', f.prev, ''].join('\t');
}

/** A line (without its LF) with `mac` appended to `prefix`. */
export function auditLine(prefix: string, mac: string): string {
  return prefix + mac;
}

/** Parses one line (without its LF). Returns the reason when it is not a well-formed entry [AUD-LINE-2]. */
export function parseAuditLine(line: string): AuditEntry | { readonly error: string } {
  if (line.length > MAX_AUDIT_LINE_BYTES) return { error: 'line too long' };
  const p = line.split('\t');
  if (p.length !== 12) return { error: `${p.length} fields where 12 were expected` };
  const [magic, seq, time, db, op, outcome, gen, slot, pid, kid, prev, mac] = p as [string, string, string, string, string, string, string, string, string, string, string, string];
  if (magic !== AUDIT_LINE_MAGIC) return { error: 'not an audit line (magic)' };
  if (!DEC_RE.test(seq) || Number(seq) < 1) return { error: 'bad seq' };
  if (!TIME_RE.test(time) || Number.isNaN(Date.parse(time))) return { error: 'bad time' };
  if (!DB_RE.test(db)) return { error: 'bad database id' };
  if (!OP_RE.test(op)) return { error: 'bad operation' };
  if (!OUTCOME_RE.test(outcome)) return { error: 'bad outcome' };
  for (const n of [gen, slot]) if (n !== '-' && !DEC_RE.test(n)) return { error: 'bad generation or slot' };
  if (!DEC_RE.test(pid)) return { error: 'bad pid' };
  if (kid !== '-' && !KID_RE.test(kid)) return { error: 'bad key id' };
  if (!MAC_RE.test(prev) || !MAC_RE.test(mac)) return { error: 'bad prev or mac' };
  const fields: AuditFields = {
    seq: Number(seq),
    unixMs: Date.parse(time),
    databaseId: fromHex(db)!,
    op,
    outcome,
    generation: gen === '-' ? null : Number(gen),
    slot: slot === '-' ? null : Number(slot),
    pid: Number(pid),
    kid: kid === '-' ? null : kid,
    prev,
  };
  // A line must be exactly what its fields encode (no second spelling of one entry).
  const prefix = encodeAuditPrefix(fields);
  if (prefix === null || prefix + mac !== line) return { error: 'not in canonical form' };
  return { ...fields, mac, prefix };
}
