/**
 * Byte layout of the superblock (the `HELIOS` file), format version 2: offsets, sizes, wire
 * constants and the structural codec. Bytes only: no cryptography (crypto/superblock.ts wraps
 * and unwraps the keys), no I/O. Normative text: spec/crypto.md section 4 [CRY-SB-1].
 *
 *   off     len     field (integers big-endian)
 *   0       8       magic "HELIOSSB"                      ┐ header: changes only when
 *   8       2       format version (2)                    │ the database is created;
 *   10      1       suite: 0 none, 1 aes-256-gcm          │ the AAD prefix of every
 *   11      1       flags: bit 0 FIPS mode                │ wrap
 *   12      4       CRC32C of bytes 0..11                 │
 *   16      16      database id                           ┘
 *   32      4       total length L of the superblock
 *   36      1       slot count s (0 for 'none', 1..16 otherwise)
 *   37      3       zero
 *   40      16      root id: random, new with every keyring root key (zero for 'none')
 *   56      80·s    key slots: descriptor (kind, zero, 3 KDF parameters, salt) ‖ wrapped root key
 *   K       8+4n+16 keyring descriptor: n, zero, current generation, n generations, keyring salt
 *   K+24+4n 32n+16  sealed DEKs (absent for 'none')
 *   L−4     4       CRC32C of bytes 0..L−5
 *
 * These constants never change for format version 2; another layout is another version.
 * Version 1 (written before revocation existed) is the same layout without the root id: slots
 * at 40, and the keyring's AAD is header ‖ keyring descriptor only. It is still decoded and
 * re-encoded as version 1 (so its key changes keep working); revocation writes version 2.
 * Decoding trusts nothing: every length is checked before it is used, and every error names
 * `HELIOS` and the byte offset. The largest valid superblock is MAX_SUPERBLOCK_BYTES, so a
 * reader never needs more than that many bytes [CRY-SB-10].
 */
import { HeliosError } from './errors.ts';
import { crc32c } from './crc32c.ts';

export const SUPERBLOCK_FILE_NAME = 'HELIOS';
/** "HELIOSSB". */
export const SUPERBLOCK_MAGIC = new Uint8Array([0x48, 0x45, 0x4c, 0x49, 0x4f, 0x53, 0x53, 0x42]);
/** The version this library writes for new databases and revocations. */
export const SUPERBLOCK_FORMAT_VERSION = 2;
/** The versions it reads (and changes in place). */
export const SUPERBLOCK_READ_VERSIONS: readonly number[] = [1, 2];
const V1_SLOTS_OFFSET = 40;
export const HEADER_BYTES = 32;
export const ROOT_ID_OFFSET = 40;
export const ROOT_ID_BYTES = 16;
export const SLOTS_OFFSET = 56;
export const SLOT_BYTES = 80;
export const SLOT_DESCRIPTOR_BYTES = 32;
export const WRAPPED_KEY_BYTES = 48;
export const KEYRING_FIXED_BYTES = 8;
export const SALT_BYTES = 16;
export const TAG_BYTES = 16;
export const KEY_BYTES = 32;
export const CRC_BYTES = 4;
/** Shorter than this (or a wrong magic) is NOT_A_DATABASE [CRY-SB-6]. */
export const MIN_IDENTIFIABLE_BYTES = 16;
export const MAX_SLOTS = 16;
export const MAX_GENERATIONS = 4096;
/** The length of a superblock with 16 slots and 4096 generations: no valid one is longer. */
export const MAX_SUPERBLOCK_BYTES =
  SLOTS_OFFSET + SLOT_BYTES * MAX_SLOTS + KEYRING_FIXED_BYTES + 4 * MAX_GENERATIONS + SALT_BYTES + KEY_BYTES * MAX_GENERATIONS + TAG_BYTES + CRC_BYTES;
export const SLOT_RAW = 1;
export const SLOT_ARGON2ID = 2;
export const SLOT_PBKDF2 = 3;
export const FLAG_FIPS = 1;

export type SuperblockSuite = 'none' | 'aes-256-gcm';

const SUITE_CODES: Record<SuperblockSuite, number> = { none: 0, 'aes-256-gcm': 1 };

export interface SlotRecord {
  readonly kind: number;
  /** Argon2id (m KiB, t, p); PBKDF2 (c, 0, 0); raw (0, 0, 0). */
  readonly params: readonly [number, number, number];
  /** A copy of the 16-byte slot salt. */
  readonly salt: Uint8Array;
  /** A copy of the 32 descriptor bytes (kind, zero, parameters, salt). */
  readonly descriptor: Uint8Array;
  /** A copy of the 48 bytes of the wrapped root key (ciphertext ‖ tag). */
  readonly wrapped: Uint8Array;
  /** Byte offset of the slot in the superblock. */
  readonly offset: number;
}

/** Everything a superblock holds; decodeSuperblock returns copies (it never aliases its input). */
export interface SuperblockLayout {
  readonly version: number;
  readonly header: Uint8Array;
  readonly suite: SuperblockSuite;
  readonly fips: boolean;
  readonly databaseId: Uint8Array;
  /** 16 bytes; empty in version 1, which has none. */
  readonly rootId: Uint8Array;
  readonly slots: readonly SlotRecord[];
  readonly current: number;
  readonly generations: readonly number[];
  readonly keyringSalt: Uint8Array;
  /** The keyring's AAD [CRY-SB-4]: bytes 0 .. K+24+4n−1, every byte before the sealed DEKs
   *  (version 1: header ‖ keyring descriptor). */
  readonly keyringAad: Uint8Array;
  readonly sealedDeks: Uint8Array;
}

/** What encodeSuperblockPrefix needs: every field before the sealed DEKs. */
export interface SuperblockPrefix {
  /** Its version (bytes 8..9) decides the layout. */
  readonly header: Uint8Array;
  /** 16 bytes (version 2) or empty (version 1). */
  readonly rootId: Uint8Array;
  /** Each slot's 32 descriptor bytes and 48 wrapped bytes. */
  readonly slots: readonly { readonly descriptor: Uint8Array; readonly wrapped: Uint8Array }[];
  readonly current: number;
  readonly generations: readonly number[];
  readonly keyringSalt: Uint8Array;
}

function corrupt(what: string, offset: number): never {
  throw new HeliosError('CORRUPTION', `${SUPERBLOCK_FILE_NAME}: ${what} at offset ${offset}`, { file: SUPERBLOCK_FILE_NAME, offset });
}

/** A copy of bytes[start, end) that owns its memory (slice() on a Buffer would alias). */
function copy(b: Uint8Array, start: number, end: number): Uint8Array {
  return new Uint8Array(b.subarray(start, end));
}

function u32(b: Uint8Array, off: number): number {
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}

function putU32(b: Uint8Array, off: number, v: number): void {
  b[off] = v >>> 24;
  b[off + 1] = (v >>> 16) & 0xff;
  b[off + 2] = (v >>> 8) & 0xff;
  b[off + 3] = v & 0xff;
}

/** Offset of slot 0 in a superblock of `version` (56; 40 in version 1). */
export function slotsOffset(version: number): number {
  return version === 1 ? V1_SLOTS_OFFSET : SLOTS_OFFSET;
}

/** The version field (bytes 8..9) of a superblock or header; no other check. */
export function superblockVersionOf(bytes: Uint8Array): number {
  return (bytes[8]! << 8) | bytes[9]!;
}

/** Length of the sealed DEKs of a keyring of `count` generations. */
export function sealedDeksByteLength(suite: SuperblockSuite, count: number): number {
  return suite === 'none' ? 0 : KEY_BYTES * count + TAG_BYTES;
}

/** The 32 header bytes (magic, version, suite, flags, prefix CRC, database id). */
export function encodeSuperblockHeader(suite: SuperblockSuite, fips: boolean, databaseId: Uint8Array, version = SUPERBLOCK_FORMAT_VERSION): Uint8Array {
  if (databaseId.length !== 16) throw new HeliosError('INVALID_ARGUMENT', 'database id must be 16 bytes');
  if (!SUPERBLOCK_READ_VERSIONS.includes(version)) throw new HeliosError('INVALID_ARGUMENT', `no superblock format version ${version}`);
  const h = new Uint8Array(HEADER_BYTES);
  h.set(SUPERBLOCK_MAGIC, 0);
  h[8] = version >>> 8;
  h[9] = version & 0xff;
  h[10] = SUITE_CODES[suite];
  h[11] = fips ? FLAG_FIPS : 0;
  putU32(h, 12, crc32c(h.subarray(0, 12)));
  h.set(databaseId, 16);
  return h;
}

/** The 32 descriptor bytes of a slot: kind, 3 zero bytes, 3 u32 parameters, 16-byte salt. */
export function encodeSlotDescriptor(kind: number, params: readonly [number, number, number], salt: Uint8Array): Uint8Array {
  if (salt.length !== SALT_BYTES) throw new HeliosError('INVALID_ARGUMENT', 'slot salt must be 16 bytes');
  const d = new Uint8Array(SLOT_DESCRIPTOR_BYTES);
  d[0] = kind;
  putU32(d, 4, params[0]);
  putU32(d, 8, params[1]);
  putU32(d, 12, params[2]);
  d.set(salt, 16);
  return d;
}

/** Bytes 0 .. K+24+4n−1 of the superblock `p` describes (length field and slot count included). */
export function encodeSuperblockPrefix(p: SuperblockPrefix): Uint8Array {
  const n = p.generations.length;
  const suite: SuperblockSuite = p.header[10] === 0 ? 'none' : 'aes-256-gcm';
  const version = superblockVersionOf(p.header);
  const first = slotsOffset(version);
  if (p.rootId.length !== (version === 1 ? 0 : ROOT_ID_BYTES)) throw new HeliosError('INVALID_ARGUMENT', `a version ${version} superblock needs a root id of ${version === 1 ? 0 : ROOT_ID_BYTES} bytes`);
  const k = first + SLOT_BYTES * p.slots.length;
  const prefixLength = k + KEYRING_FIXED_BYTES + 4 * n + SALT_BYTES;
  const total = prefixLength + sealedDeksByteLength(suite, n) + CRC_BYTES;
  const out = new Uint8Array(prefixLength);
  out.set(p.header, 0);
  putU32(out, 32, total);
  out[36] = p.slots.length;
  out.set(p.rootId, ROOT_ID_OFFSET);
  let off = first;
  for (const s of p.slots) {
    out.set(s.descriptor, off);
    out.set(s.wrapped, off + SLOT_DESCRIPTOR_BYTES);
    off += SLOT_BYTES;
  }
  out[k] = n >>> 8;
  out[k + 1] = n & 0xff;
  putU32(out, k + 4, p.current);
  p.generations.forEach((g, i) => putU32(out, k + KEYRING_FIXED_BYTES + 4 * i, g));
  out.set(p.keyringSalt, k + KEYRING_FIXED_BYTES + 4 * n);
  return out;
}

/** The keyring's AAD for a prefix of encodeSuperblockPrefix [CRY-SB-4]: the prefix itself (version 1: header ‖ keyring descriptor). */
export function keyringAadOf(prefix: Uint8Array): Uint8Array {
  if (superblockVersionOf(prefix) !== 1) return prefix;
  const k = V1_SLOTS_OFFSET + SLOT_BYTES * prefix[36]!;
  const out = new Uint8Array(HEADER_BYTES + prefix.length - k);
  out.set(prefix.subarray(0, HEADER_BYTES), 0);
  out.set(prefix.subarray(k), HEADER_BYTES);
  return out;
}

/** prefix ‖ sealed DEKs ‖ CRC32C: the whole superblock (a new array). */
export function finishSuperblock(prefix: Uint8Array, sealedDeks: Uint8Array): Uint8Array {
  const total = prefix.length + sealedDeks.length + CRC_BYTES;
  if (u32(prefix, 32) !== total) throw new HeliosError('INTERNAL', 'superblock prefix and sealed DEKs disagree on the length');
  const out = new Uint8Array(total);
  out.set(prefix, 0);
  out.set(sealedDeks, prefix.length);
  putU32(out, total - CRC_BYTES, crc32c(out.subarray(0, total - CRC_BYTES)));
  return out;
}

/**
 * Decodes and structurally checks a superblock, in the order of [CRY-SB-6]: NOT_A_DATABASE
 * (under 16 bytes, wrong magic), CORRUPTION (prefix CRC), UNSUPPORTED_VERSION, CORRUPTION
 * (length, CRC, any field out of range; more than MAX_SUPERBLOCK_BYTES). KDF parameter bounds
 * are cryptographic policy and are checked by crypto/superblock.ts.
 */
export function decodeSuperblock(bytes: Uint8Array): SuperblockLayout {
  if (!(bytes instanceof Uint8Array)) throw new HeliosError('INVALID_ARGUMENT', 'superblock bytes must be a Uint8Array');
  const F = SUPERBLOCK_FILE_NAME;
  if (bytes.length < MIN_IDENTIFIABLE_BYTES) throw new HeliosError('NOT_A_DATABASE', `${F} is too short to be a HeliosDB superblock (${bytes.length} bytes)`, { file: F });
  for (let i = 0; i < SUPERBLOCK_MAGIC.length; i++) {
    if (bytes[i] !== SUPERBLOCK_MAGIC[i]) throw new HeliosError('NOT_A_DATABASE', `${F} does not start with the HeliosDB superblock magic`, { file: F, offset: 0 });
  }
  if (crc32c(bytes.subarray(0, 12)) !== u32(bytes, 12)) corrupt('superblock prefix checksum mismatch', 12);
  const version = superblockVersionOf(bytes);
  if (!SUPERBLOCK_READ_VERSIONS.includes(version)) {
    throw new HeliosError('UNSUPPORTED_VERSION', `${F} has format version ${version}; this library reads versions ${SUPERBLOCK_READ_VERSIONS.join(' and ')}`, { file: F, offset: 8 });
  }
  const first = slotsOffset(version);
  if (bytes.length > MAX_SUPERBLOCK_BYTES) corrupt(`superblock of ${bytes.length} bytes exceeds the largest valid one (${MAX_SUPERBLOCK_BYTES})`, MAX_SUPERBLOCK_BYTES);
  if (bytes.length < first + KEYRING_FIXED_BYTES + CRC_BYTES) corrupt(`superblock truncated to ${bytes.length} bytes`, bytes.length);
  const total = u32(bytes, 32);
  if (total !== bytes.length) corrupt(`superblock length ${bytes.length} differs from the recorded ${total}`, 32);
  if (crc32c(bytes.subarray(0, total - CRC_BYTES)) !== u32(bytes, total - CRC_BYTES)) corrupt('superblock checksum mismatch', total - CRC_BYTES);
  // From here the bytes are as written; a bad field means a buggy or hostile writer.
  const suiteCode = bytes[10]!;
  const suite: SuperblockSuite | null = suiteCode === 0 ? 'none' : suiteCode === 1 ? 'aes-256-gcm' : null;
  if (suite === null) corrupt(`unknown cipher suite ${suiteCode}`, 10);
  const flags = bytes[11]!;
  if ((flags & ~FLAG_FIPS) !== 0) corrupt('unknown flags', 11);
  const slotCount = bytes[36]!;
  if (bytes[37] !== 0 || bytes[38] !== 0 || bytes[39] !== 0) corrupt('reserved bytes are not zero', 37);
  if (suite === 'none' ? slotCount !== 0 : slotCount < 1 || slotCount > MAX_SLOTS) corrupt(`bad slot count ${slotCount}`, 36);
  const rootId = version === 1 ? new Uint8Array(0) : copy(bytes, ROOT_ID_OFFSET, ROOT_ID_OFFSET + ROOT_ID_BYTES);
  if (suite === 'none' && rootId.some((b) => b !== 0)) corrupt("root id of a 'none' database is not zero", ROOT_ID_OFFSET);
  let off = first;
  if (off + slotCount * SLOT_BYTES + KEYRING_FIXED_BYTES + CRC_BYTES > total) corrupt('slots overrun the superblock', off);
  const slots: SlotRecord[] = [];
  for (let i = 0; i < slotCount; i++, off += SLOT_BYTES) {
    const kind = bytes[off]!;
    if (bytes[off + 1] !== 0 || bytes[off + 2] !== 0 || bytes[off + 3] !== 0) corrupt('reserved slot bytes are not zero', off + 1);
    const params: [number, number, number] = [u32(bytes, off + 4), u32(bytes, off + 8), u32(bytes, off + 12)];
    if (kind === SLOT_RAW) {
      if (params[0] !== 0 || params[1] !== 0 || params[2] !== 0) corrupt('raw-key slot has KDF parameters', off + 4);
    } else if (kind === SLOT_PBKDF2) {
      if (params[1] !== 0 || params[2] !== 0) corrupt('PBKDF2 slot has extra parameters', off + 8);
    } else if (kind !== SLOT_ARGON2ID) corrupt(`unknown key slot kind ${kind}`, off);
    slots.push({
      kind,
      params,
      salt: copy(bytes, off + 16, off + 32),
      descriptor: copy(bytes, off, off + SLOT_DESCRIPTOR_BYTES),
      wrapped: copy(bytes, off + SLOT_DESCRIPTOR_BYTES, off + SLOT_BYTES),
      offset: off,
    });
  }
  const k = off;
  const count = (bytes[k]! << 8) | bytes[k + 1]!;
  if (bytes[k + 2] !== 0 || bytes[k + 3] !== 0) corrupt('reserved keyring bytes are not zero', k + 2);
  const current = u32(bytes, k + 4);
  if (count < 1 || count > MAX_GENERATIONS) corrupt(`bad generation count ${count}`, k);
  const sealedLength = sealedDeksByteLength(suite, count);
  const saltOff = k + KEYRING_FIXED_BYTES + 4 * count;
  if (saltOff + SALT_BYTES + sealedLength + CRC_BYTES !== total) corrupt('keyring size does not match the superblock length', k);
  const generations: number[] = [];
  for (let i = 0; i < count; i++) {
    const g = u32(bytes, k + KEYRING_FIXED_BYTES + 4 * i);
    if (g < 1 || (i > 0 && g <= generations[i - 1]!)) corrupt('generations are not ascending positive numbers', k + KEYRING_FIXED_BYTES + 4 * i);
    generations.push(g);
  }
  if (!generations.includes(current)) corrupt(`current generation ${current} is not live`, k + 4);
  const keyringSalt = copy(bytes, saltOff, saltOff + SALT_BYTES);
  if (suite === 'none' && keyringSalt.some((b) => b !== 0)) corrupt("keyring salt of a 'none' database is not zero", saltOff);
  const prefix = copy(bytes, 0, saltOff + SALT_BYTES);
  return {
    version,
    header: copy(bytes, 0, HEADER_BYTES),
    suite,
    fips: (flags & FLAG_FIPS) !== 0,
    databaseId: copy(bytes, 16, 32),
    rootId,
    slots,
    current,
    generations,
    keyringSalt,
    keyringAad: keyringAadOf(prefix),
    sealedDeks: copy(bytes, saltOff + SALT_BYTES, saltOff + SALT_BYTES + sealedLength),
  };
}
