/**
 * The superblock (the `HELIOS` file) and the keyring it protects. Pure: bytes in, bytes out;
 * randomness comes in as a parameter. Normative layout: spec/crypto.md section "Superblock".
 *
 *   key source ─► master (32 B): raw key as is, or Argon2id / PBKDF2 of the passphrase
 *   master ─HKDF(slot salt, "helios-kek")─► KEK ─AES-256-GCM─► wraps the keyring root key KRK
 *   KRK ─HKDF(keyring salt, "helios-keyring")─► KK ─AES-256-GCM─► wraps DEK_g of every live g
 *
 *   off  len   field (integers big-endian)
 *   0    8     magic "HELIOSSB"                       ┐
 *   8    2     format version (1)                     │ header: immutable for the life of
 *   10   1     suite: 0 none, 1 aes-256-gcm           │ the database; the AAD prefix of
 *   11   1     flags: bit 0 FIPS mode                 │ every wrap
 *   12   4     CRC32C of bytes 0..11                  │
 *   16   16    database id                            ┘
 *   32   4     total length of the superblock
 *   36   1     slot count s (0 for 'none', 1..16 otherwise)
 *   37   3     zero
 *   40   80*s  key slots (kind, KDF parameters, salt, wrapped KRK)
 *   K    ...   keyring: generation count n, current generation, n generations, salt, sealed DEKs
 *   end-4 4    CRC32C of every byte before it
 *
 * Why a keyring root key: each slot wraps the KRK, not the DEKs, so adding a data-key
 * generation rewrites only the keyring section and every slot (including those whose secret
 * we do not know) stays valid. Every rewrite of a slot or of the keyring draws a fresh
 * 16-byte salt, so each wrap is under a never-used key and a constant zero nonce is safe
 * [CRY-SB-4].
 */
import { gcm } from '@noble/ciphers/aes.js';
import { HeliosError } from '../format/errors.ts';
import { crc32c } from '../format/crc32c.ts';
import { utf8Encode } from '../format/bytes.ts';
import type { SuiteId } from './cipher-suite.ts';
import { hkdfSha256 } from './hkdf.ts';
import { ARGON2ID_DEFAULTS, argon2id, validateArgon2idParams, type Argon2RunOptions } from './argon2id.ts';
import { PBKDF2_DEFAULT_ITERATIONS, pbkdf2Master, validatePbkdf2Iterations } from './pbkdf2.ts';
import type { KeySecret } from './key-source.ts';

/**
 * KDF choices for new passphrase slots. `fips` is read by createSuperblock only (it sets the
 * header's FIPS flag); later slots follow the flag of the superblock they are added to.
 */
export interface KdfOptions {
  /** Argon2id parameters; missing ones take ARGON2ID_DEFAULTS (64 MiB, 3 passes, 4 lanes). */
  argon2?: { memoryKiB?: number; iterations?: number; parallelism?: number };
  /** PBKDF2 iterations in FIPS mode; default 600,000. */
  pbkdf2Iterations?: number;
  fips?: boolean;
}

export type SlotKdf = 'none' | 'argon2id' | 'pbkdf2-sha256';

export interface SlotInfo {
  /** 'none' for a raw-key slot. */
  readonly kdf: SlotKdf;
  readonly kdfParams: Record<string, number>;
}

export interface SuperblockInfo {
  formatVersion: number;
  suite: SuiteId;
  /** A copy. */
  databaseId: Uint8Array;
  /** KDF of the slot that opened (openSuperblock) or of slot 0 (otherwise); 'none' for raw keys and suite 'none'. */
  kdf: string;
  kdfParams: Record<string, number>;
  fipsMode: boolean;
  slotCount: number;
  /** Live data-key generations, ascending. */
  generations: number[];
  /** Every slot in order (index = the slotIndex of removeKeySlot). */
  slots: SlotInfo[];
}

export interface Keyring {
  readonly databaseId: Uint8Array;
  readonly suite: SuiteId;
  readonly currentGeneration: number;
  /** Live generations, ascending. */
  readonly generations: readonly number[];
  /**
   * The DEK of a live generation: the keyring's own 32-byte array (do not modify, do not
   * retain after destroy()). Unknown generation: CORRUPTION. After destroy(): CLOSED.
   */
  dek(generation: number): Uint8Array;
  /** Zeroes every DEK and the keyring root key [CRY-ZERO-1]. Idempotent. */
  destroy(): void;
}

/** What authorizes a change: a secret that opens a slot, or a keyring opened from the same database. */
export type KeyringAuthority = KeySecret | Keyring;

// ---- wire constants (never change for format version 1) -----------------------------------

export const SUPERBLOCK_MAGIC = utf8Encode('HELIOSSB');
export const SUPERBLOCK_FORMAT_VERSION = 1;
const HEADER_BYTES = 32;
const SLOTS_OFFSET = 40;
const SLOT_BYTES = 80;
const SLOT_DESCRIPTOR_BYTES = 32;
const WRAP_BYTES = 48;
const KEYRING_FIXED_BYTES = 8;
const SALT_BYTES = 16;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const CRC_BYTES = 4;
/** Shorter than this (or a wrong magic) is NOT_A_DATABASE [CRY-SB-6]. */
const MIN_IDENTIFIABLE_BYTES = 16;
export const MAX_SLOTS = 16;
export const MAX_GENERATIONS = 4096;
const SUITE_CODES: Record<SuiteId, number> = { none: 0, 'aes-256-gcm': 1 };
const FLAG_FIPS = 1;
const SLOT_RAW = 1;
const SLOT_ARGON2ID = 2;
const SLOT_PBKDF2 = 3;
const KEK_INFO = utf8Encode('helios-kek');
const KEYRING_INFO = utf8Encode('helios-keyring');
const ZERO_NONCE = new Uint8Array(12);

const FILE = 'HELIOS';

// ---- decoding -----------------------------------------------------------------------------

interface Slot {
  kind: number;
  params: [number, number, number];
  salt: Uint8Array;
  /** The 32 descriptor bytes (kind, params, salt): part of the wrap's AAD. */
  descriptor: Uint8Array;
  wrapped: Uint8Array;
}

interface Parsed {
  header: Uint8Array;
  suite: SuiteId;
  fips: boolean;
  databaseId: Uint8Array;
  slots: Slot[];
  current: number;
  generations: number[];
  keyringSalt: Uint8Array;
  /** count ‖ 0 ‖ current ‖ generations ‖ salt: the keyring's AAD after the header. */
  keyringDescriptor: Uint8Array;
  sealedDeks: Uint8Array;
}

function corrupt(what: string, offset: number): never {
  throw new HeliosError('CORRUPTION', `${FILE}: ${what} at offset ${offset}`, { file: FILE, offset });
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

function slotKdfName(kind: number): SlotKdf {
  return kind === SLOT_ARGON2ID ? 'argon2id' : kind === SLOT_PBKDF2 ? 'pbkdf2-sha256' : 'none';
}

function slotParams(s: Slot): Record<string, number> {
  if (s.kind === SLOT_ARGON2ID) return { memoryKiB: s.params[0], iterations: s.params[1], parallelism: s.params[2] };
  if (s.kind === SLOT_PBKDF2) return { iterations: s.params[0] };
  return {};
}

/** Checks magic, prefix CRC, version, length, CRC and every field; the checks of [CRY-SB-6]. */
function parse(bytes: Uint8Array): Parsed {
  if (!(bytes instanceof Uint8Array)) throw new HeliosError('INVALID_ARGUMENT', 'superblock bytes must be a Uint8Array');
  if (bytes.length < MIN_IDENTIFIABLE_BYTES) throw new HeliosError('NOT_A_DATABASE', `${FILE} is too short to be a HeliosDB superblock (${bytes.length} bytes)`, { file: FILE });
  for (let i = 0; i < SUPERBLOCK_MAGIC.length; i++) {
    if (bytes[i] !== SUPERBLOCK_MAGIC[i]) throw new HeliosError('NOT_A_DATABASE', `${FILE} does not start with the HeliosDB superblock magic`, { file: FILE, offset: 0 });
  }
  if (crc32c(bytes.subarray(0, 12)) !== u32(bytes, 12)) corrupt('superblock prefix checksum mismatch', 12);
  const version = (bytes[8]! << 8) | bytes[9]!;
  if (version !== SUPERBLOCK_FORMAT_VERSION) {
    throw new HeliosError('UNSUPPORTED_VERSION', `${FILE} has format version ${version}; this library reads version ${SUPERBLOCK_FORMAT_VERSION}`, { file: FILE, offset: 8 });
  }
  if (bytes.length < SLOTS_OFFSET + KEYRING_FIXED_BYTES + CRC_BYTES) corrupt(`superblock truncated to ${bytes.length} bytes`, bytes.length);
  const total = u32(bytes, 32);
  if (total !== bytes.length) corrupt(`superblock length ${bytes.length} differs from the recorded ${total}`, 32);
  if (crc32c(bytes.subarray(0, total - CRC_BYTES)) !== u32(bytes, total - CRC_BYTES)) corrupt('superblock checksum mismatch', total - CRC_BYTES);
  // From here the bytes are as written; a bad field means a buggy or hostile writer.
  const suiteCode = bytes[10]!;
  const suite: SuiteId | null = suiteCode === 0 ? 'none' : suiteCode === 1 ? 'aes-256-gcm' : null;
  if (suite === null) corrupt(`unknown cipher suite ${suiteCode}`, 10);
  const flags = bytes[11]!;
  if ((flags & ~FLAG_FIPS) !== 0) corrupt('unknown flags', 11);
  const slotCount = bytes[36]!;
  if (bytes[37] !== 0 || bytes[38] !== 0 || bytes[39] !== 0) corrupt('reserved bytes are not zero', 37);
  if (suite === 'none' ? slotCount !== 0 : slotCount < 1 || slotCount > MAX_SLOTS) corrupt(`bad slot count ${slotCount}`, 36);
  const slots: Slot[] = [];
  let off = SLOTS_OFFSET;
  if (off + slotCount * SLOT_BYTES + KEYRING_FIXED_BYTES + CRC_BYTES > total) corrupt('slots overrun the superblock', off);
  for (let i = 0; i < slotCount; i++, off += SLOT_BYTES) {
    const kind = bytes[off]!;
    if (bytes[off + 1] !== 0 || bytes[off + 2] !== 0 || bytes[off + 3] !== 0) corrupt('reserved slot bytes are not zero', off + 1);
    const params: [number, number, number] = [u32(bytes, off + 4), u32(bytes, off + 8), u32(bytes, off + 12)];
    if (kind === SLOT_RAW) {
      if (params[0] !== 0 || params[1] !== 0 || params[2] !== 0) corrupt('raw-key slot has KDF parameters', off + 4);
    } else if (kind === SLOT_ARGON2ID) {
      try {
        validateArgon2idParams({ memoryKiB: params[0], iterations: params[1], parallelism: params[2] });
      } catch {
        corrupt('Argon2id parameters out of bounds', off + 4);
      }
    } else if (kind === SLOT_PBKDF2) {
      try {
        validatePbkdf2Iterations(params[0]);
      } catch {
        corrupt('PBKDF2 iterations out of bounds', off + 4);
      }
      if (params[1] !== 0 || params[2] !== 0) corrupt('PBKDF2 slot has extra parameters', off + 8);
    } else corrupt(`unknown key slot kind ${kind}`, off);
    slots.push({
      kind,
      params,
      salt: bytes.slice(off + 16, off + 32),
      descriptor: bytes.slice(off, off + SLOT_DESCRIPTOR_BYTES),
      wrapped: bytes.slice(off + SLOT_DESCRIPTOR_BYTES, off + SLOT_BYTES),
    });
  }
  const k = off;
  const count = (bytes[k]! << 8) | bytes[k + 1]!;
  if (bytes[k + 2] !== 0 || bytes[k + 3] !== 0) corrupt('reserved keyring bytes are not zero', k + 2);
  const current = u32(bytes, k + 4);
  if (count < 1 || count > MAX_GENERATIONS) corrupt(`bad generation count ${count}`, k);
  const sealedLength = suite === 'none' ? 0 : count * KEY_BYTES + TAG_BYTES;
  const expected = k + KEYRING_FIXED_BYTES + 4 * count + SALT_BYTES + sealedLength + CRC_BYTES;
  if (expected !== total) corrupt(`keyring size does not match the superblock length`, k);
  const generations: number[] = [];
  for (let i = 0; i < count; i++) {
    const g = u32(bytes, k + KEYRING_FIXED_BYTES + 4 * i);
    if (g < 1 || (i > 0 && g <= generations[i - 1]!)) corrupt('generations are not ascending positive numbers', k + KEYRING_FIXED_BYTES + 4 * i);
    generations.push(g);
  }
  if (!generations.includes(current)) corrupt(`current generation ${current} is not live`, k + 4);
  const saltOff = k + KEYRING_FIXED_BYTES + 4 * count;
  const keyringSalt = bytes.slice(saltOff, saltOff + SALT_BYTES);
  if (suite === 'none' && keyringSalt.some((b) => b !== 0)) corrupt("keyring salt of a 'none' database is not zero", saltOff);
  return {
    header: bytes.slice(0, HEADER_BYTES),
    suite,
    fips: (flags & FLAG_FIPS) !== 0,
    databaseId: bytes.slice(16, 32),
    slots,
    current,
    generations,
    keyringSalt,
    keyringDescriptor: bytes.slice(k, saltOff + SALT_BYTES),
    sealedDeks: bytes.slice(saltOff + SALT_BYTES, saltOff + SALT_BYTES + sealedLength),
  };
}

function infoOf(p: Parsed, slotIndex: number): SuperblockInfo {
  const slot = p.slots[slotIndex];
  return {
    formatVersion: SUPERBLOCK_FORMAT_VERSION,
    suite: p.suite,
    databaseId: p.databaseId.slice(),
    kdf: slot === undefined ? 'none' : slotKdfName(slot.kind),
    kdfParams: slot === undefined ? {} : slotParams(slot),
    fipsMode: p.fips,
    slotCount: p.slots.length,
    generations: [...p.generations],
    slots: p.slots.map((s) => ({ kdf: slotKdfName(s.kind), kdfParams: slotParams(s) })),
  };
}

// ---- encoding -----------------------------------------------------------------------------

interface Plan {
  header: Uint8Array;
  slots: { descriptor: Uint8Array; wrapped: Uint8Array }[];
  current: number;
  generations: number[];
  keyringSalt: Uint8Array;
  sealedDeks: Uint8Array;
}

function keyringDescriptor(current: number, generations: number[], salt: Uint8Array): Uint8Array {
  const d = new Uint8Array(KEYRING_FIXED_BYTES + 4 * generations.length + SALT_BYTES);
  d[0] = generations.length >>> 8;
  d[1] = generations.length & 0xff;
  putU32(d, 4, current);
  generations.forEach((g, i) => putU32(d, KEYRING_FIXED_BYTES + 4 * i, g));
  d.set(salt, KEYRING_FIXED_BYTES + 4 * generations.length);
  return d;
}

function encode(plan: Plan): Uint8Array {
  const kd = keyringDescriptor(plan.current, plan.generations, plan.keyringSalt);
  const total = SLOTS_OFFSET + SLOT_BYTES * plan.slots.length + kd.length + plan.sealedDeks.length + CRC_BYTES;
  const out = new Uint8Array(total);
  out.set(plan.header, 0);
  putU32(out, 32, total);
  out[36] = plan.slots.length;
  let off = SLOTS_OFFSET;
  for (const s of plan.slots) {
    out.set(s.descriptor, off);
    out.set(s.wrapped, off + SLOT_DESCRIPTOR_BYTES);
    off += SLOT_BYTES;
  }
  out.set(kd, off);
  out.set(plan.sealedDeks, off + kd.length);
  putU32(out, total - CRC_BYTES, crc32c(out.subarray(0, total - CRC_BYTES)));
  return out;
}

function makeHeader(suite: SuiteId, fips: boolean, databaseId: Uint8Array): Uint8Array {
  const h = new Uint8Array(HEADER_BYTES);
  h.set(SUPERBLOCK_MAGIC, 0);
  h[8] = SUPERBLOCK_FORMAT_VERSION >>> 8;
  h[9] = SUPERBLOCK_FORMAT_VERSION & 0xff;
  h[10] = SUITE_CODES[suite];
  h[11] = fips ? FLAG_FIPS : 0;
  putU32(h, 12, crc32c(h.subarray(0, 12)));
  h.set(databaseId, 16);
  return h;
}

// ---- keys -----------------------------------------------------------------------------------

function take(random: (n: number) => Uint8Array, n: number): Uint8Array {
  const b = random(n);
  if (!(b instanceof Uint8Array) || b.length !== n) throw new HeliosError('INVALID_ARGUMENT', `random(${n}) must return a Uint8Array of ${n} bytes`);
  return b.slice();
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** The master secret of `secret` for slot `s`, or null when the secret's kind cannot open it. */
function masterFor(secret: KeySecret, s: { kind: number; params: readonly number[]; salt: Uint8Array }, run: Argon2RunOptions): Uint8Array | null {
  if (secret.kind === 'raw') return s.kind === SLOT_RAW ? secret.key.slice() : null;
  if (s.kind === SLOT_ARGON2ID) {
    return argon2id(secret.passphrase, s.salt, { memoryKiB: s.params[0]!, iterations: s.params[1]!, parallelism: s.params[2]! }, run);
  }
  if (s.kind === SLOT_PBKDF2) return pbkdf2Master(secret.passphrase, s.salt, s.params[0]!);
  return null;
}

function kekOf(master: Uint8Array, salt: Uint8Array): Uint8Array {
  return hkdfSha256(master, salt, KEK_INFO, KEY_BYTES);
}

function unwrapSlot(header: Uint8Array, s: Slot, master: Uint8Array): Uint8Array | null {
  const kek = kekOf(master, s.salt);
  try {
    return gcm(kek, ZERO_NONCE, concat(header, s.descriptor)).decrypt(s.wrapped);
  } catch {
    return null;
  } finally {
    kek.fill(0);
  }
}

/** A new slot for `secret` wrapping `krk` (fresh salt, so a fresh KEK) [CRY-SB-3]. */
function makeSlot(header: Uint8Array, fips: boolean, secret: KeySecret, krk: Uint8Array, random: (n: number) => Uint8Array, kdf: KdfOptions | undefined, run: Argon2RunOptions): { descriptor: Uint8Array; wrapped: Uint8Array } {
  const salt = take(random, SALT_BYTES);
  let kind: number;
  let params: [number, number, number];
  if (secret.kind === 'raw') {
    kind = SLOT_RAW;
    params = [0, 0, 0];
  } else if (fips) {
    kind = SLOT_PBKDF2;
    const iterations = kdf?.pbkdf2Iterations ?? PBKDF2_DEFAULT_ITERATIONS;
    validatePbkdf2Iterations(iterations);
    params = [iterations, 0, 0];
  } else {
    kind = SLOT_ARGON2ID;
    const a = { ...ARGON2ID_DEFAULTS, ...definedOnly(kdf?.argon2 ?? {}) };
    validateArgon2idParams(a);
    params = [a.memoryKiB, a.iterations, a.parallelism];
  }
  const descriptor = new Uint8Array(SLOT_DESCRIPTOR_BYTES);
  descriptor[0] = kind;
  putU32(descriptor, 4, params[0]);
  putU32(descriptor, 8, params[1]);
  putU32(descriptor, 12, params[2]);
  descriptor.set(salt, 16);
  const master = masterFor(secret, { kind, params, salt }, run)!;
  const kek = kekOf(master, salt);
  master.fill(0);
  const wrapped = gcm(kek, ZERO_NONCE, concat(header, descriptor)).encrypt(krk);
  kek.fill(0);
  return { descriptor, wrapped };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

function keyringKey(krk: Uint8Array, salt: Uint8Array): Uint8Array {
  return hkdfSha256(krk, salt, KEYRING_INFO, KEY_BYTES);
}

function sealDeks(header: Uint8Array, krk: Uint8Array, current: number, generations: number[], salt: Uint8Array, deks: Map<number, Uint8Array>): Uint8Array {
  const plain = new Uint8Array(KEY_BYTES * generations.length);
  generations.forEach((g, i) => plain.set(deks.get(g)!, KEY_BYTES * i));
  const kk = keyringKey(krk, salt);
  const sealed = gcm(kk, ZERO_NONCE, concat(header, keyringDescriptor(current, generations, salt))).encrypt(plain);
  kk.fill(0);
  plain.fill(0);
  return sealed;
}

function openDeks(p: Parsed, krk: Uint8Array): Map<number, Uint8Array> | null {
  const kk = keyringKey(krk, p.keyringSalt);
  let plain: Uint8Array;
  try {
    plain = gcm(kk, ZERO_NONCE, concat(p.header, p.keyringDescriptor)).decrypt(p.sealedDeks);
  } catch {
    return null;
  } finally {
    kk.fill(0);
  }
  const deks = new Map<number, Uint8Array>();
  p.generations.forEach((g, i) => deks.set(g, plain.slice(KEY_BYTES * i, KEY_BYTES * (i + 1))));
  plain.fill(0);
  return deks;
}

// ---- keyrings -------------------------------------------------------------------------------

/** The keyring root key behind each Keyring this module made (never exposed). */
const rootKeys = new WeakMap<Keyring, { krk: Uint8Array; databaseId: Uint8Array }>();

function makeKeyring(p: { databaseId: Uint8Array; suite: SuiteId; current: number; generations: number[] }, deks: Map<number, Uint8Array>, krk: Uint8Array): Keyring {
  let destroyed = false;
  const databaseId = p.databaseId.slice();
  const keyring: Keyring = {
    databaseId,
    suite: p.suite,
    currentGeneration: p.current,
    generations: Object.freeze([...p.generations]),
    dek(generation: number): Uint8Array {
      if (destroyed) throw new HeliosError('CLOSED', 'the keyring was destroyed');
      const d = deks.get(generation);
      if (d === undefined) throw new HeliosError('CORRUPTION', `data-key generation ${generation} is not in the keyring`, { file: FILE });
      return d;
    },
    destroy(): void {
      if (destroyed) return;
      destroyed = true;
      for (const d of deks.values()) d.fill(0);
      krk.fill(0);
    },
  };
  rootKeys.set(keyring, { krk, databaseId: databaseId.slice() });
  return keyring;
}

function isKeyring(x: unknown): x is Keyring {
  return typeof x === 'object' && x !== null && rootKeys.has(x as Keyring);
}

// ---- public API -------------------------------------------------------------------------------

export interface CreateSuperblockOptions {
  suite: SuiteId;
  /** null iff suite 'none'. */
  secret: KeySecret | null;
  random: (n: number) => Uint8Array;
  kdf?: KdfOptions;
  /** Thread use of Argon2id (tests). */
  argon2Run?: Argon2RunOptions;
}

/**
 * A new superblock with one key slot for `secret` and data-key generation 1. The returned
 * bytes are new; the keyring owns fresh copies of its keys. Errors: CONFIG (secret given for
 * 'none' or missing for an encrypted suite, KDF parameters out of bounds).
 */
export function createSuperblock(o: CreateSuperblockOptions): { bytes: Uint8Array; keyring: Keyring; info: SuperblockInfo } {
  if (o.suite !== 'none' && o.suite !== 'aes-256-gcm') throw new HeliosError('CONFIG', `unknown cipher suite ${String(o.suite)}`);
  if (o.suite === 'none' && o.secret !== null) throw new HeliosError('CONFIG', 'an unencrypted database takes no key');
  if (o.suite !== 'none' && (o.secret === null || o.secret === undefined)) throw new HeliosError('CONFIG', 'an encrypted database needs a key');
  const fips = o.kdf?.fips === true;
  const databaseId = take(o.random, 16);
  const header = makeHeader(o.suite, fips, databaseId);
  const generations = [1];
  const deks = new Map<number, Uint8Array>();
  if (o.suite === 'none') {
    deks.set(1, new Uint8Array(KEY_BYTES));
    const plan: Plan = { header, slots: [], current: 1, generations, keyringSalt: new Uint8Array(SALT_BYTES), sealedDeks: new Uint8Array(0) };
    const bytes = encode(plan);
    return { bytes, keyring: makeKeyring({ databaseId, suite: o.suite, current: 1, generations }, deks, new Uint8Array(KEY_BYTES)), info: infoOf(parse(bytes), 0) };
  }
  const krk = take(o.random, KEY_BYTES);
  deks.set(1, take(o.random, KEY_BYTES));
  const slot = makeSlot(header, fips, o.secret!, krk, o.random, o.kdf, o.argon2Run ?? {});
  const keyringSalt = take(o.random, SALT_BYTES);
  const sealedDeks = sealDeks(header, krk, 1, generations, keyringSalt, deks);
  const bytes = encode({ header, slots: [slot], current: 1, generations, keyringSalt, sealedDeks });
  return { bytes, keyring: makeKeyring({ databaseId, suite: o.suite, current: 1, generations }, deks, krk), info: infoOf(parse(bytes), 0) };
}

/** Header, slots and generations without a key. Errors as openSuperblock except WRONG_KEY and CONFIG. */
export function readSuperblockInfo(bytes: Uint8Array): SuperblockInfo {
  return infoOf(parse(bytes), 0);
}

interface Unlocked {
  parsed: Parsed;
  krk: Uint8Array;
  /** The slot the secret opened; -1 when a Keyring or suite 'none' authorized. */
  slotIndex: number;
}

function unlock(bytes: Uint8Array, auth: KeyringAuthority | null, run: Argon2RunOptions): Unlocked {
  const parsed = parse(bytes);
  if (parsed.suite === 'none') {
    if (auth !== null && auth !== undefined && !isKeyring(auth)) throw new HeliosError('CONFIG', 'this database is not encrypted: open it without a key');
    return { parsed, krk: new Uint8Array(KEY_BYTES), slotIndex: -1 };
  }
  if (auth === null || auth === undefined) throw new HeliosError('CONFIG', 'this database is encrypted: a key is required');
  if (isKeyring(auth)) {
    const root = rootKeys.get(auth)!;
    if (root.krk.every((b) => b === 0)) throw new HeliosError('CLOSED', 'the keyring was destroyed');
    if (root.databaseId.some((b, i) => b !== parsed.databaseId[i])) throw new HeliosError('WRONG_KEY', 'the keyring belongs to another database');
    return { parsed, krk: root.krk.slice(), slotIndex: -1 };
  }
  if (auth.kind !== 'raw' && auth.kind !== 'passphrase') throw new HeliosError('CONFIG', 'unknown key kind');
  for (let i = 0; i < parsed.slots.length; i++) {
    const s = parsed.slots[i]!;
    const master = masterFor(auth, s, run);
    if (master === null) continue;
    const krk = unwrapSlot(parsed.header, s, master);
    master.fill(0);
    if (krk !== null) return { parsed, krk, slotIndex: i };
  }
  // [CRY-SB-5]: one error for every way a key can fail; it never says which check failed.
  throw new HeliosError('WRONG_KEY', 'the key does not open this database');
}

function keyringFrom(u: Unlocked): Keyring {
  const deks = u.parsed.suite === 'none' ? new Map(u.parsed.generations.map((g) => [g, new Uint8Array(KEY_BYTES)] as const)) : openDeks(u.parsed, u.krk);
  if (deks === null) {
    u.krk.fill(0);
    // A slot opened (or a keyring authorized) but the keyring does not: the superblock was
    // written inconsistently or the keyring belongs to another database.
    throw new HeliosError(u.slotIndex >= 0 ? 'CORRUPTION' : 'WRONG_KEY', u.slotIndex >= 0 ? `${FILE}: the keyring does not open with the key slot's root key` : 'the keyring does not open this database', u.slotIndex >= 0 ? { file: FILE } : {});
  }
  return makeKeyring({ databaseId: u.parsed.databaseId, suite: u.parsed.suite, current: u.parsed.current, generations: u.parsed.generations }, deks, u.krk);
}

/**
 * Opens the keyring. `secret` may also be a Keyring opened earlier from this database (e.g.
 * after addDataKeyGeneration, without re-running the KDF). Errors: NOT_A_DATABASE (bad magic
 * or under 16 bytes), UNSUPPORTED_VERSION, CORRUPTION (damaged bytes), WRONG_KEY (no slot
 * opens), CONFIG (a secret for a 'none' database, or none for an encrypted one).
 */
export function openSuperblock(bytes: Uint8Array, secret: KeySecret | Keyring | null, options: { argon2Run?: Argon2RunOptions } = {}): { keyring: Keyring; info: SuperblockInfo; slotIndex: number } {
  const u = unlock(bytes, secret, options.argon2Run ?? {});
  const keyring = keyringFrom(u);
  return { keyring, info: infoOf(u.parsed, Math.max(0, u.slotIndex)), slotIndex: u.slotIndex };
}

function planOf(p: Parsed): Plan {
  return {
    header: p.header,
    slots: p.slots.map((s) => ({ descriptor: s.descriptor, wrapped: s.wrapped })),
    current: p.current,
    generations: [...p.generations],
    keyringSalt: p.keyringSalt,
    sealedDeks: p.sealedDeks,
  };
}

function requireEncrypted(p: Parsed): void {
  if (p.suite === 'none') throw new HeliosError('CONFIG', 'an unencrypted database has no keys to change');
}

function requireSecret(x: unknown): asserts x is KeySecret {
  if (typeof x !== 'object' || x === null || isKeyring(x) || ((x as KeySecret).kind !== 'raw' && (x as KeySecret).kind !== 'passphrase')) {
    throw new HeliosError('CONFIG', 'a key (file, env, passphrase or raw) is required');
  }
}

/**
 * Replaces the slot `oldSecret` opens by one for `newSecret` (O(1): the data keys are not
 * touched). Other slots stay. Returns new bytes. Errors as openSuperblock.
 */
export function changeKey(bytes: Uint8Array, oldSecret: KeySecret, newSecret: KeySecret, random: (n: number) => Uint8Array, kdf?: KdfOptions, run: Argon2RunOptions = {}): Uint8Array {
  requireSecret(oldSecret);
  requireSecret(newSecret);
  const u = unlock(bytes, oldSecret, run);
  try {
    requireEncrypted(u.parsed);
    const plan = planOf(u.parsed);
    plan.slots[u.slotIndex] = makeSlot(u.parsed.header, u.parsed.fips, newSecret, u.krk, random, kdf, run);
    return encode(plan);
  } finally {
    u.krk.fill(0);
  }
}

/** Adds a slot for `newSecret` (at most 16). `authority` opens an existing slot or is a keyring of this database. */
export function addKeySlot(bytes: Uint8Array, authority: KeyringAuthority, newSecret: KeySecret, random: (n: number) => Uint8Array, kdf?: KdfOptions, run: Argon2RunOptions = {}): Uint8Array {
  requireSecret(newSecret);
  const u = unlock(bytes, authority, run);
  try {
    requireEncrypted(u.parsed);
    if (u.parsed.slots.length >= MAX_SLOTS) throw new HeliosError('CONFIG', `a database has at most ${MAX_SLOTS} key slots`);
    verifyKrk(u);
    const plan = planOf(u.parsed);
    plan.slots.push(makeSlot(u.parsed.header, u.parsed.fips, newSecret, u.krk, random, kdf, run));
    return encode(plan);
  } finally {
    u.krk.fill(0);
  }
}

/** Removes slot `slotIndex` (see SuperblockInfo.slots). The last slot cannot be removed (CONFIG). */
export function removeKeySlot(bytes: Uint8Array, authority: KeyringAuthority, slotIndex: number, run: Argon2RunOptions = {}): Uint8Array {
  const u = unlock(bytes, authority, run);
  try {
    requireEncrypted(u.parsed);
    verifyKrk(u);
    if (!Number.isInteger(slotIndex) || slotIndex < 0 || slotIndex >= u.parsed.slots.length) throw new HeliosError('CONFIG', `no key slot ${String(slotIndex)}`);
    if (u.parsed.slots.length === 1) throw new HeliosError('CONFIG', 'the last key slot cannot be removed');
    const plan = planOf(u.parsed);
    plan.slots.splice(slotIndex, 1);
    return encode(plan);
  } finally {
    u.krk.fill(0);
  }
}

/** A keyring authority must really open this database's keyring before it may change it. */
function verifyKrk(u: Unlocked): void {
  const deks = openDeks(u.parsed, u.krk);
  if (deks === null) throw new HeliosError('WRONG_KEY', 'the key does not open this database');
  for (const d of deks.values()) d.fill(0);
}

function rewriteKeyring(u: Unlocked, random: (n: number) => Uint8Array, change: (deks: Map<number, Uint8Array>, generations: number[]) => number): Uint8Array {
  const deks = openDeks(u.parsed, u.krk);
  if (deks === null) throw new HeliosError('WRONG_KEY', 'the key does not open this database');
  try {
    const plan = planOf(u.parsed);
    plan.current = change(deks, plan.generations);
    plan.generations = [...deks.keys()].sort((a, b) => a - b);
    plan.keyringSalt = take(random, SALT_BYTES);
    plan.sealedDeks = sealDeks(u.parsed.header, u.krk, plan.current, plan.generations, plan.keyringSalt, deks);
    return encode(plan);
  } finally {
    for (const d of deks.values()) d.fill(0);
  }
}

/**
 * Adds data-key generation max + 1 (random DEK) and makes it current. Only the keyring
 * section is rewritten, so every slot stays valid. Returns new bytes; open them (with the
 * old keyring as authority, no KDF) to get the new keyring. Errors as openSuperblock, and
 * CONFIG for a 'none' database or more than 4096 live generations.
 */
export function addDataKeyGeneration(bytes: Uint8Array, authority: KeyringAuthority, random: (n: number) => Uint8Array, run: Argon2RunOptions = {}): Uint8Array {
  const u = unlock(bytes, authority, run);
  try {
    requireEncrypted(u.parsed);
    if (u.parsed.generations.length >= MAX_GENERATIONS) throw new HeliosError('CONFIG', `at most ${MAX_GENERATIONS} data-key generations can be live`);
    return rewriteKeyring(u, random, (deks, gens) => {
      const next = gens[gens.length - 1]! + 1;
      if (next > 0xffffffff) throw new HeliosError('CONFIG', 'data-key generations are exhausted');
      deks.set(next, take(random, KEY_BYTES));
      return next;
    });
  } finally {
    u.krk.fill(0);
  }
}

/**
 * Forgets a generation no file uses any more. The current generation cannot be dropped
 * (CONFIG); an unknown one is CONFIG too. Returns new bytes.
 */
export function dropDataKeyGeneration(bytes: Uint8Array, authority: KeyringAuthority, generation: number, random: (n: number) => Uint8Array, run: Argon2RunOptions = {}): Uint8Array {
  const u = unlock(bytes, authority, run);
  try {
    requireEncrypted(u.parsed);
    if (generation === u.parsed.current) throw new HeliosError('CONFIG', 'the current data-key generation cannot be dropped');
    if (!u.parsed.generations.includes(generation)) throw new HeliosError('CONFIG', `data-key generation ${String(generation)} is not live`);
    return rewriteKeyring(u, random, (deks) => {
      deks.get(generation)!.fill(0);
      deks.delete(generation);
      return u.parsed.current;
    });
  } finally {
    u.krk.fill(0);
  }
}
