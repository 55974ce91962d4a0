/**
 * The plaintext of a manifest record: one version edit, spec/format.md
 * [FMT-MAN-1]. A manifest is a file header followed by sealed records
 * (format/record-frame.ts), each holding one edit; the first edit of every
 * manifest is a full snapshot of the version, later edits are deltas. The
 * version is the result of applying every edit in order.
 *
 * An edit is a sequence of tagged fields, each `varint tag` then its body:
 *
 * ```
 *  tag 1  logNumber        varint   WAL segments numbered below it are obsolete
 *  tag 2  nextFileNumber   varint   the next file number to allocate
 *  tag 3  lastSeqNum       varint   highest sequence number stored in a table file
 *  tag 4  walAdded         varint number                       a new WAL segment (the active one)
 *  tag 5  walSealed        varint number, varint byteLength    a WAL segment that ends at byteLength
 *  tag 6  walDeleted       varint number
 *  tag 7  fileAdded        varint level, varint number, varint byteLength, varint generation,
 *                          varint smallestLength, smallest, varint largestLength, largest,
 *                          32-byte content digest
 *  tag 8  fileDeleted      varint level, varint number
 *  tag 9  generationCreated varint generation, varint unixMs   when a data-key generation was made
 *  tag 10 auditCheckpoint  varint seq, 32-byte MAC             the audit log's last entry (spec/audit-log.md)
 * ```
 * Tags 1..3 and 10 appear at most once; an unknown tag is CORRUPTION (a newer
 * writer bumps the file format version instead).
 */
import { corruption } from './errors.ts';
import { readVarint, varintLength, writeVarint } from './varint.ts';

export const MANIFEST_DIGEST_BYTES = 32;
export const MAX_LEVELS = 7;

const TAG_LOG_NUMBER = 1;
const TAG_NEXT_FILE_NUMBER = 2;
const TAG_LAST_SEQ_NUM = 3;
const TAG_WAL_ADDED = 4;
const TAG_WAL_SEALED = 5;
const TAG_WAL_DELETED = 6;
const TAG_FILE_ADDED = 7;
const TAG_FILE_DELETED = 8;
const TAG_GENERATION_CREATED = 9;
const TAG_AUDIT_CHECKPOINT = 10;
/** Bytes of the MAC in an audit checkpoint (HMAC-SHA256). */
export const AUDIT_MAC_BYTES = 32;

/** The audit log's last entry written while the database was writable [AUD-CKPT-1]. */
export interface AuditCheckpoint {
  readonly seq: number;
  /** AUDIT_MAC_BYTES bytes. */
  readonly mac: Uint8Array;
}

/** A table file as the manifest records it. */
export interface TableFileMeta {
  readonly level: number;
  readonly fileNumber: number;
  readonly byteLength: number;
  /** Key generation of the DEK sealing the file. */
  readonly generation: number;
  /** Smallest and largest (internal) keys in the file, as the table format defines them. */
  readonly smallest: Uint8Array;
  readonly largest: Uint8Array;
  /** 32-byte digest of the file content, as the table format defines it. */
  readonly digest: Uint8Array;
}

export interface ManifestEdit {
  readonly logNumber?: number;
  readonly nextFileNumber?: number;
  readonly lastSeqNum?: number;
  readonly walAdded?: readonly number[];
  readonly walSealed?: readonly { readonly fileNumber: number; readonly byteLength: number }[];
  readonly walDeleted?: readonly number[];
  readonly filesAdded?: readonly TableFileMeta[];
  readonly filesDeleted?: readonly { readonly level: number; readonly fileNumber: number }[];
  /** Creation times of data-key generations, milliseconds since the Unix epoch [CRY-ROTATE-8]. */
  readonly generationsCreated?: readonly { readonly generation: number; readonly unixMs: number }[];
  readonly auditCheckpoint?: AuditCheckpoint;
}

/** Returns a new array. */
export function encodeManifestEdit(e: ManifestEdit): Uint8Array {
  let size = 0;
  const fields: (number | Uint8Array)[] = [];
  const v = (n: number): void => {
    fields.push(n);
    size += varintLength(n);
  };
  const raw = (b: Uint8Array): void => {
    fields.push(b);
    size += b.length;
  };
  if (e.logNumber !== undefined) (v(TAG_LOG_NUMBER), v(e.logNumber));
  if (e.nextFileNumber !== undefined) (v(TAG_NEXT_FILE_NUMBER), v(e.nextFileNumber));
  if (e.lastSeqNum !== undefined) (v(TAG_LAST_SEQ_NUM), v(e.lastSeqNum));
  for (const n of e.walAdded ?? []) (v(TAG_WAL_ADDED), v(n));
  for (const s of e.walSealed ?? []) (v(TAG_WAL_SEALED), v(s.fileNumber), v(s.byteLength));
  for (const n of e.walDeleted ?? []) (v(TAG_WAL_DELETED), v(n));
  for (const f of e.filesAdded ?? []) {
    if (f.digest.length !== MANIFEST_DIGEST_BYTES) corruption('MANIFEST', 0, 'table digest must be 32 bytes');
    v(TAG_FILE_ADDED), v(f.level), v(f.fileNumber), v(f.byteLength), v(f.generation);
    v(f.smallest.length), raw(f.smallest), v(f.largest.length), raw(f.largest), raw(f.digest);
  }
  for (const f of e.filesDeleted ?? []) (v(TAG_FILE_DELETED), v(f.level), v(f.fileNumber));
  for (const g of e.generationsCreated ?? []) (v(TAG_GENERATION_CREATED), v(g.generation), v(g.unixMs));
  if (e.auditCheckpoint !== undefined) {
    if (e.auditCheckpoint.mac.length !== AUDIT_MAC_BYTES) corruption('MANIFEST', 0, 'audit checkpoint MAC must be 32 bytes');
    v(TAG_AUDIT_CHECKPOINT), v(e.auditCheckpoint.seq), raw(e.auditCheckpoint.mac);
  }
  const out = new Uint8Array(size);
  let o = 0;
  for (const f of fields) {
    if (typeof f === 'number') o = writeVarint(out, o, f);
    else {
      out.set(f, o);
      o += f.length;
    }
  }
  return out;
}

/**
 * Decodes an edit. Keys and digests are copies. Malformed input is
 * CORRUPTION naming `fileName` and `fileOffset` (the record's offset).
 */
export function decodeManifestEdit(bytes: Uint8Array, fileName: string, fileOffset: number): ManifestEdit {
  const bad = (what: string): never => corruption(fileName, fileOffset, `manifest edit: ${what}`);
  let o = 0;
  const num = (): number => {
    const r = readVarint(bytes, o) ?? bad('bad varint');
    o = r[1];
    return r[0];
  };
  const take = (n: number): Uint8Array => {
    if (o + n > bytes.length) bad('field overruns the record');
    const b = bytes.slice(o, o + n);
    o += n;
    return b;
  };
  const level = (): number => {
    const l = num();
    if (l >= MAX_LEVELS) bad(`level ${l} out of range`);
    return l;
  };
  let logNumber: number | undefined;
  let nextFileNumber: number | undefined;
  let lastSeqNum: number | undefined;
  const walAdded: number[] = [];
  const walSealed: { fileNumber: number; byteLength: number }[] = [];
  const walDeleted: number[] = [];
  const filesAdded: TableFileMeta[] = [];
  const filesDeleted: { level: number; fileNumber: number }[] = [];
  const generationsCreated: { generation: number; unixMs: number }[] = [];
  let auditCheckpoint: AuditCheckpoint | undefined;
  const once = (cur: number | undefined, name: string): number => {
    if (cur !== undefined) bad(`${name} appears twice`);
    return num();
  };
  while (o < bytes.length) {
    const tag = num();
    switch (tag) {
      case TAG_LOG_NUMBER:
        logNumber = once(logNumber, 'logNumber');
        break;
      case TAG_NEXT_FILE_NUMBER:
        nextFileNumber = once(nextFileNumber, 'nextFileNumber');
        break;
      case TAG_LAST_SEQ_NUM:
        lastSeqNum = once(lastSeqNum, 'lastSeqNum');
        break;
      case TAG_WAL_ADDED:
        walAdded.push(num());
        break;
      case TAG_WAL_SEALED: {
        const fileNumber = num();
        walSealed.push({ fileNumber, byteLength: num() });
        break;
      }
      case TAG_WAL_DELETED:
        walDeleted.push(num());
        break;
      case TAG_FILE_ADDED: {
        const lv = level();
        const fileNumber = num();
        const byteLength = num();
        const generation = num();
        if (generation > 0xffffffff) bad('generation out of range');
        const smallest = take(num());
        const largest = take(num());
        const digest = take(MANIFEST_DIGEST_BYTES);
        filesAdded.push({ level: lv, fileNumber, byteLength, generation, smallest, largest, digest });
        break;
      }
      case TAG_FILE_DELETED: {
        const lv = level();
        filesDeleted.push({ level: lv, fileNumber: num() });
        break;
      }
      case TAG_GENERATION_CREATED: {
        const generation = num();
        if (generation < 1 || generation > 0xffffffff) bad('generation out of range');
        generationsCreated.push({ generation, unixMs: num() });
        break;
      }
      case TAG_AUDIT_CHECKPOINT: {
        if (auditCheckpoint !== undefined) bad('auditCheckpoint appears twice');
        const seq = num();
        auditCheckpoint = { seq, mac: take(AUDIT_MAC_BYTES) };
        break;
      }
      default:
        bad(`unknown tag ${tag}`);
    }
  }
  const edit: {
    -readonly [K in keyof ManifestEdit]: ManifestEdit[K];
  } = {};
  if (logNumber !== undefined) edit.logNumber = logNumber;
  if (nextFileNumber !== undefined) edit.nextFileNumber = nextFileNumber;
  if (lastSeqNum !== undefined) edit.lastSeqNum = lastSeqNum;
  if (walAdded.length) edit.walAdded = walAdded;
  if (walSealed.length) edit.walSealed = walSealed;
  if (walDeleted.length) edit.walDeleted = walDeleted;
  if (filesAdded.length) edit.filesAdded = filesAdded;
  if (filesDeleted.length) edit.filesDeleted = filesDeleted;
  if (generationsCreated.length) edit.generationsCreated = generationsCreated;
  if (auditCheckpoint !== undefined) edit.auditCheckpoint = auditCheckpoint;
  return edit;
}
