/**
 * The cryptography of the superblock (the `HELIOS` file) and the keyring it protects. Pure:
 * bytes in, bytes out; randomness comes in as a parameter. The byte layout is
 * format/superblock-layout.ts; the normative text spec/crypto.md section 4.
 *
 *   key source ─► master (32 B): raw key as is, or Argon2id / PBKDF2 of the passphrase
 *   master ─HKDF(slot salt, "helios-kek")─► KEK ─AES-256-GCM(AAD header ‖ root id ‖ slot descriptor)─► KRK
 *   KRK ─HKDF(keyring salt, "helios-keyring")─► KK ─AES-256-GCM(AAD every byte before the sealed DEKs)─► DEK_g
 *
 * Why a keyring root key: each slot wraps the KRK, not the DEKs, so adding a data-key
 * generation rewrites only the keyring section and every slot (including those whose secret
 * we do not know) stays valid. Every rewrite of a slot or of the keyring draws a fresh
 * 16-byte salt, so each wrap is under a never-used key and a constant zero nonce is safe
 * [CRY-SB-4].
 *
 * Bindings [CRY-SB-9]: a slot's wrap names the root id, which is drawn with every new KRK,
 * so a slot made for an earlier root (revoked by revokeSuperblock) fails its tag in a
 * superblock of a later root; and the keyring seal covers every slot byte, so a slot spliced
 * in by anyone who does not hold the current KRK makes the keyring fail.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { HeliosError } from '../format/errors.ts';
import { utf8Encode } from '../format/bytes.ts';
import {
  KEY_BYTES,
  MAX_GENERATIONS,
  MAX_SLOTS,
  ROOT_ID_BYTES,
  SALT_BYTES,
  SLOT_ARGON2ID,
  SLOT_PBKDF2,
  SLOT_RAW,
  SUPERBLOCK_FILE_NAME as FILE,
  decodeSuperblock,
  encodeSlotDescriptor,
  encodeSuperblockHeader,
  encodeSuperblockPrefix,
  finishSuperblock,
  keyringAadOf,
  type SuperblockLayout,
  type SuperblockPrefix,
} from '../format/superblock-layout.ts';
import type { SuiteId } from './cipher-suite.ts';
import { hkdfSha256 } from './hkdf.ts';
import { opensslOnlyActive, opensslUnwrap, opensslWrap } from './fips.ts';
import { ARGON2ID_DEFAULTS, argon2id, validateArgon2idParams, type Argon2RunOptions } from './argon2id.ts';
import { PBKDF2_DEFAULT_ITERATIONS, pbkdf2Master, validatePbkdf2Iterations } from './pbkdf2.ts';
import type { KeySecret } from './key-source.ts';
import { copySecret, secretBytes, takeSecret } from './secret-bytes.ts';

export { MAX_GENERATIONS, MAX_SLOTS, MAX_SUPERBLOCK_BYTES, SUPERBLOCK_FORMAT_VERSION, SUPERBLOCK_MAGIC } from '../format/superblock-layout.ts';

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
  /** Current generation (follows adoptKeyring). */
  readonly currentGeneration: number;
  /** Live generations, ascending (follows adoptKeyring). */
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

/**
 * Total KDF work one superblock may ask of an open [CRY-KDF-5]: the sum over its Argon2id
 * slots of m (KiB) · t, and the sum over its PBKDF2 slots of c. A stored superblock over
 * either is CORRUPTION before any KDF runs; a change that would exceed it is CONFIG.
 */
export const OPEN_ARGON2_BUDGET_KIB_PASSES = 4 * 1024 * 1024;
export const OPEN_PBKDF2_BUDGET_ITERATIONS = 10_000_000;

const KEK_INFO = utf8Encode('helios-kek');
const KEYRING_INFO = utf8Encode('helios-keyring');
const ZERO_NONCE = new Uint8Array(12);

// ---- decoding -----------------------------------------------------------------------------

type Slot = SuperblockLayout['slots'][number];

function corrupt(what: string, offset: number): never {
  throw new HeliosError('CORRUPTION', `${FILE}: ${what} at offset ${offset}`, { file: FILE, offset });
}

function slotKdfName(kind: number): SlotKdf {
  return kind === SLOT_ARGON2ID ? 'argon2id' : kind === SLOT_PBKDF2 ? 'pbkdf2-sha256' : 'none';
}

function slotParams(s: { kind: number; params: readonly number[] }): Record<string, number> {
  if (s.kind === SLOT_ARGON2ID) return { memoryKiB: s.params[0]!, iterations: s.params[1]!, parallelism: s.params[2]! };
  if (s.kind === SLOT_PBKDF2) return { iterations: s.params[0]! };
  return {};
}

/** KDF work of a set of slots: [Argon2id Σ m·t, PBKDF2 Σ c] [CRY-KDF-5]. */
function kdfWork(slots: readonly { kind: number; params: readonly number[] }[]): [number, number] {
  let argon = 0;
  let pbkdf = 0;
  for (const s of slots) {
    if (s.kind === SLOT_ARGON2ID) argon += s.params[0]! * s.params[1]!;
    else if (s.kind === SLOT_PBKDF2) pbkdf += s.params[0]!;
  }
  return [argon, pbkdf];
}

function overBudget(slots: readonly { kind: number; params: readonly number[] }[]): string | null {
  const [argon, pbkdf] = kdfWork(slots);
  if (argon > OPEN_ARGON2_BUDGET_KIB_PASSES) return `the Argon2id slots ask ${argon} KiB-passes (m·t summed); one open allows ${OPEN_ARGON2_BUDGET_KIB_PASSES}`;
  if (pbkdf > OPEN_PBKDF2_BUDGET_ITERATIONS) return `the PBKDF2 slots ask ${pbkdf} iterations (summed); one open allows ${OPEN_PBKDF2_BUDGET_ITERATIONS}`;
  return null;
}

/** decodeSuperblock plus the KDF bounds of every slot and of their sum ([CRY-SB-6], [CRY-KDF-5]). */
function parse(bytes: Uint8Array): SuperblockLayout {
  const p = decodeSuperblock(bytes);
  for (const s of p.slots) {
    if (s.kind === SLOT_ARGON2ID) {
      try {
        validateArgon2idParams({ memoryKiB: s.params[0], iterations: s.params[1], parallelism: s.params[2] });
      } catch {
        corrupt('Argon2id parameters out of bounds', s.offset + 4);
      }
    } else if (s.kind === SLOT_PBKDF2) {
      try {
        validatePbkdf2Iterations(s.params[0]);
      } catch {
        corrupt('PBKDF2 iterations out of bounds', s.offset + 4);
      }
    }
  }
  const over = overBudget(p.slots);
  if (over !== null) corrupt(over, p.slots[0]!.offset);
  return p;
}

function infoOf(p: SuperblockLayout, slotIndex: number): SuperblockInfo {
  const slot = p.slots[slotIndex];
  return {
    formatVersion: (p.header[8]! << 8) | p.header[9]!,
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

// ---- keys -----------------------------------------------------------------------------------

function draw(random: (n: number) => Uint8Array, n: number): Uint8Array {
  const b = random(n);
  if (!(b instanceof Uint8Array) || b.length !== n) throw new HeliosError('INVALID_ARGUMENT', `random(${n}) must return a Uint8Array of ${n} bytes`);
  return b;
}

/** Public random bytes (salts, ids): a plain copy. */
function take(random: (n: number) => Uint8Array, n: number): Uint8Array {
  return new Uint8Array(draw(random, n));
}

/** Secret random bytes (KRK, DEKs) in a buffer the GC never moves; the source is zeroed. */
function takeKey(random: (n: number) => Uint8Array): Uint8Array {
  return takeSecret(draw(random, KEY_BYTES));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** The master secret of `secret` for slot `s`, or null when the secret's kind cannot open it. */
function masterFor(secret: KeySecret, s: { kind: number; params: readonly number[]; salt: Uint8Array }, run: Argon2RunOptions): Uint8Array | null {
  if (secret.kind === 'raw') return s.kind === SLOT_RAW ? copySecret(secret.key) : null;
  if (s.kind === SLOT_ARGON2ID) {
    return takeSecret(argon2id(secret.passphrase, s.salt, { memoryKiB: s.params[0]!, iterations: s.params[1]!, parallelism: s.params[2]! }, run));
  }
  if (s.kind === SLOT_PBKDF2) return takeSecret(pbkdf2Master(secret.passphrase, s.salt, s.params[0]!));
  return null;
}

function kekOf(master: Uint8Array, salt: Uint8Array): Uint8Array {
  return takeSecret(hkdfSha256(master, salt, KEK_INFO, KEY_BYTES));
}

/** AAD of a slot's wrap: header ‖ root id ‖ slot descriptor [CRY-SB-3]. */
/** The key wraps (AES-256-GCM, zero nonce, each under a fresh key): OpenSSL in FIPS mode, else @noble/ciphers; the same bytes. */
function wrapSeal(key: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return opensslOnlyActive() ? opensslWrap(key, aad, plaintext) : gcm(key, ZERO_NONCE, aad).encrypt(plaintext);
}
function wrapOpen(key: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array {
  return opensslOnlyActive() ? opensslUnwrap(key, aad, sealed) : gcm(key, ZERO_NONCE, aad).decrypt(sealed);
}

function slotAad(header: Uint8Array, rootId: Uint8Array, descriptor: Uint8Array): Uint8Array {
  return concat(header, rootId, descriptor);
}

function unwrapSlot(p: SuperblockLayout, s: Slot, master: Uint8Array): Uint8Array | null {
  const kek = kekOf(master, s.salt);
  try {
    return takeSecret(wrapOpen(kek, slotAad(p.header, p.rootId, s.descriptor), s.wrapped));
  } catch {
    return null;
  } finally {
    kek.fill(0);
  }
}

interface NewSlot {
  kind: number;
  params: [number, number, number];
  descriptor: Uint8Array;
  wrapped: Uint8Array;
}

/** Kind and parameters of a new slot for `secret` (CONFIG for parameters out of bounds). */
function slotShape(fips: boolean, secret: KeySecret, kdf: KdfOptions | undefined): { kind: number; params: [number, number, number] } {
  if (secret.kind === 'raw') return { kind: SLOT_RAW, params: [0, 0, 0] };
  if (fips) {
    const iterations = kdf?.pbkdf2Iterations ?? PBKDF2_DEFAULT_ITERATIONS;
    validatePbkdf2Iterations(iterations);
    return { kind: SLOT_PBKDF2, params: [iterations, 0, 0] };
  }
  const a = { ...ARGON2ID_DEFAULTS, ...definedOnly(kdf?.argon2 ?? {}) };
  validateArgon2idParams(a);
  return { kind: SLOT_ARGON2ID, params: [a.memoryKiB, a.iterations, a.parallelism] };
}

/** A new slot for `secret` wrapping `krk` under root `rootId` (fresh salt, so a fresh KEK) [CRY-SB-3]. */
function makeSlot(header: Uint8Array, rootId: Uint8Array, shape: { kind: number; params: [number, number, number] }, secret: KeySecret, krk: Uint8Array, random: (n: number) => Uint8Array, run: Argon2RunOptions): NewSlot {
  const salt = take(random, SALT_BYTES);
  const descriptor = encodeSlotDescriptor(shape.kind, shape.params, salt);
  const master = masterFor(secret, { kind: shape.kind, params: shape.params, salt }, run)!;
  const kek = kekOf(master, salt);
  master.fill(0);
  const wrapped = wrapSeal(kek, slotAad(header, rootId, descriptor), krk);
  kek.fill(0);
  return { kind: shape.kind, params: shape.params, descriptor, wrapped };
}

/** The shapes of slots for `secrets`, refused (CONFIG) when their KDF work with `others` exceeds the open budget. */
function plannedShapes(fips: boolean, secrets: readonly KeySecret[], kdf: KdfOptions | undefined, others: readonly { kind: number; params: readonly number[] }[]): { kind: number; params: [number, number, number] }[] {
  const shapes = secrets.map((s) => slotShape(fips, s, kdf));
  const over = overBudget([...others, ...shapes]);
  if (over !== null) throw new HeliosError('CONFIG', `key slots over the KDF budget of one open: ${over}`);
  return shapes;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

function keyringKey(krk: Uint8Array, salt: Uint8Array): Uint8Array {
  return takeSecret(hkdfSha256(krk, salt, KEYRING_INFO, KEY_BYTES));
}

/** The whole superblock for `prefix`, its DEKs sealed under `krk` [CRY-SB-4]. */
function sealSuperblock(prefix: SuperblockPrefix, krk: Uint8Array, deks: Map<number, Uint8Array>): Uint8Array {
  const bytes = encodeSuperblockPrefix(prefix);
  if (prefix.header[10] === 0) return finishSuperblock(bytes, new Uint8Array(0));
  const aad = keyringAadOf(bytes);
  const plain = secretBytes(KEY_BYTES * prefix.generations.length);
  prefix.generations.forEach((g, i) => plain.set(deks.get(g)!, KEY_BYTES * i));
  const kk = keyringKey(krk, prefix.keyringSalt);
  const sealed = wrapSeal(kk, aad, plain);
  kk.fill(0);
  plain.fill(0);
  return finishSuperblock(bytes, sealed);
}

function openDeks(p: SuperblockLayout, krk: Uint8Array): Map<number, Uint8Array> | null {
  const kk = keyringKey(krk, p.keyringSalt);
  let plain: Uint8Array;
  try {
    plain = takeSecret(wrapOpen(kk, p.keyringAad, p.sealedDeks));
  } catch {
    return null;
  } finally {
    kk.fill(0);
  }
  const deks = new Map<number, Uint8Array>();
  p.generations.forEach((g, i) => deks.set(g, copySecret(plain.subarray(KEY_BYTES * i, KEY_BYTES * (i + 1)))));
  plain.fill(0);
  return deks;
}

// ---- keyrings -------------------------------------------------------------------------------

/** The keys behind each Keyring this module made (never exposed); adoptKeyring moves them. */
interface KeyringState {
  deks: Map<number, Uint8Array>;
  krk: Uint8Array;
  current: number;
  generations: readonly number[];
  destroyed: boolean;
  readonly databaseId: Uint8Array;
}

const states = new WeakMap<Keyring, KeyringState>();

function makeKeyring(p: { databaseId: Uint8Array; suite: SuiteId; current: number; generations: readonly number[] }, deks: Map<number, Uint8Array>, krk: Uint8Array): Keyring {
  const st: KeyringState = { deks, krk, current: p.current, generations: Object.freeze([...p.generations]), destroyed: false, databaseId: p.databaseId.slice() };
  const keyring: Keyring = {
    databaseId: p.databaseId.slice(),
    suite: p.suite,
    get currentGeneration(): number {
      return st.current;
    },
    get generations(): readonly number[] {
      return st.generations;
    },
    dek(generation: number): Uint8Array {
      if (st.destroyed) throw new HeliosError('CLOSED', 'the keyring was destroyed');
      const d = st.deks.get(generation);
      if (d === undefined) throw new HeliosError('CORRUPTION', `data-key generation ${generation} is not in the keyring`, { file: FILE });
      return d;
    },
    destroy(): void {
      if (st.destroyed) return;
      st.destroyed = true;
      for (const d of st.deks.values()) d.fill(0);
      st.krk.fill(0);
    },
  };
  states.set(keyring, st);
  return keyring;
}

/**
 * Moves the keys of `from` (a keyring opened from a newer superblock of the same database)
 * into `into`, whose own keys are zeroed: afterwards `into` has from's root key, generations
 * and DEKs, and `from` is destroyed. Lets a long-lived holder (the engine, every table reader
 * it made) follow a rotation or revocation without ever holding a stale keyring. Errors:
 * INVALID_ARGUMENT (not keyrings of this module, or of two databases), CLOSED (either destroyed).
 */
export function adoptKeyring(into: Keyring, from: Keyring): void {
  const a = states.get(into);
  const b = states.get(from);
  if (a === undefined || b === undefined || into === from) throw new HeliosError('INVALID_ARGUMENT', 'adoptKeyring needs two keyrings made by crypto/superblock.ts');
  if (a.destroyed || b.destroyed) throw new HeliosError('CLOSED', 'the keyring was destroyed');
  if (a.databaseId.some((x, i) => x !== b.databaseId[i])) throw new HeliosError('INVALID_ARGUMENT', 'the keyrings belong to two databases');
  for (const d of a.deks.values()) d.fill(0);
  a.krk.fill(0);
  a.deks = b.deks;
  a.krk = b.krk;
  a.current = b.current;
  a.generations = b.generations;
  b.deks = new Map();
  b.krk = new Uint8Array(KEY_BYTES);
  b.destroyed = true;
}

function isKeyring(x: unknown): x is Keyring {
  return typeof x === 'object' && x !== null && states.has(x as Keyring);
}

function noneDeks(generations: readonly number[]): Map<number, Uint8Array> {
  return new Map(generations.map((g) => [g, new Uint8Array(KEY_BYTES)] as const));
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
 * A new superblock with one key slot for `secret` and data-key generation 1. Random bytes are
 * drawn in the order database id, root id, KRK, DEK_1, slot salt, keyring salt. The returned
 * bytes are new; the keyring owns fresh copies of its keys. Errors: CONFIG (secret given for
 * 'none' or missing for an encrypted suite, KDF parameters out of bounds).
 */
export function createSuperblock(o: CreateSuperblockOptions): { bytes: Uint8Array; keyring: Keyring; info: SuperblockInfo } {
  if (o.suite !== 'none' && o.suite !== 'aes-256-gcm') throw new HeliosError('CONFIG', `unknown cipher suite ${String(o.suite)}`);
  if (o.suite === 'none' && o.secret !== null) throw new HeliosError('CONFIG', 'an unencrypted database takes no key');
  if (o.suite !== 'none' && (o.secret === null || o.secret === undefined)) throw new HeliosError('CONFIG', 'an encrypted database needs a key');
  const fips = o.kdf?.fips === true;
  const databaseId = take(o.random, 16);
  const header = encodeSuperblockHeader(o.suite, fips, databaseId);
  const generations = [1];
  if (o.suite === 'none') {
    const prefix: SuperblockPrefix = { header, rootId: new Uint8Array(ROOT_ID_BYTES), slots: [], current: 1, generations, keyringSalt: new Uint8Array(SALT_BYTES) };
    const bytes = sealSuperblock(prefix, new Uint8Array(KEY_BYTES), new Map());
    return { bytes, keyring: makeKeyring({ databaseId, suite: o.suite, current: 1, generations }, noneDeks(generations), new Uint8Array(KEY_BYTES)), info: infoOf(parse(bytes), 0) };
  }
  const secret = o.secret!;
  const [shape] = plannedShapes(fips, [secret], o.kdf, []);
  const rootId = take(o.random, ROOT_ID_BYTES);
  const krk = takeKey(o.random);
  const deks = new Map([[1, takeKey(o.random)]]);
  const slot = makeSlot(header, rootId, shape!, secret, krk, o.random, o.argon2Run ?? {});
  const keyringSalt = take(o.random, SALT_BYTES);
  const bytes = sealSuperblock({ header, rootId, slots: [slot], current: 1, generations, keyringSalt }, krk, deks);
  return { bytes, keyring: makeKeyring({ databaseId, suite: o.suite, current: 1, generations }, deks, krk), info: infoOf(parse(bytes), 0) };
}

/** Header, slots and generations without a key. Errors as openSuperblock except WRONG_KEY and CONFIG. */
export function readSuperblockInfo(bytes: Uint8Array): SuperblockInfo {
  return infoOf(parse(bytes), 0);
}

interface Unlocked {
  parsed: SuperblockLayout;
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
    const root = states.get(auth)!;
    if (root.destroyed) throw new HeliosError('CLOSED', 'the keyring was destroyed');
    if (root.databaseId.some((b, i) => b !== parsed.databaseId[i])) throw new HeliosError('WRONG_KEY', 'the keyring belongs to another database');
    return { parsed, krk: copySecret(root.krk), slotIndex: -1 };
  }
  if (auth.kind !== 'raw' && auth.kind !== 'passphrase') throw new HeliosError('CONFIG', 'unknown key kind');
  // The KDF work of this loop is bounded by parse() [CRY-KDF-5].
  for (let i = 0; i < parsed.slots.length; i++) {
    const s = parsed.slots[i]!;
    const master = masterFor(auth, s, run);
    if (master === null) continue;
    const krk = unwrapSlot(parsed, s, master);
    master.fill(0);
    if (krk !== null) return { parsed, krk, slotIndex: i };
  }
  // [CRY-SB-5]: one error for every way a key can fail; it never says which check failed.
  throw new HeliosError('WRONG_KEY', 'the key does not open this database');
}

/** The DEKs of an unlocked superblock; a failure is CORRUPTION (a slot opened) or WRONG_KEY (a keyring authorized). */
function deksOf(u: Unlocked): Map<number, Uint8Array> {
  if (u.parsed.suite === 'none') return noneDeks(u.parsed.generations);
  const deks = openDeks(u.parsed, u.krk);
  if (deks !== null) return deks;
  // A slot opened but the keyring does not: the superblock was changed by someone without
  // its root key (a spliced slot, [CRY-SB-9]) or written inconsistently. A keyring given as
  // authority that does not open it is a key of another root: WRONG_KEY.
  if (u.slotIndex >= 0) throw new HeliosError('CORRUPTION', `${FILE}: the keyring does not open with the key slot's root key`, { file: FILE });
  throw new HeliosError('WRONG_KEY', 'the key does not open this database');
}

/**
 * Opens the keyring. `secret` may also be a Keyring opened earlier from this database (e.g.
 * after addDataKeyGeneration, without re-running the KDF). Errors: NOT_A_DATABASE (bad magic
 * or under 16 bytes), UNSUPPORTED_VERSION, CORRUPTION (damaged bytes, KDF work over the
 * budget, a slot that opens without its keyring), WRONG_KEY (no slot opens), CONFIG (a secret
 * for a 'none' database, or none for an encrypted one).
 */
export function openSuperblock(bytes: Uint8Array, secret: KeySecret | Keyring | null, options: { argon2Run?: Argon2RunOptions } = {}): { keyring: Keyring; info: SuperblockInfo; slotIndex: number } {
  const u = unlock(bytes, secret, options.argon2Run ?? {});
  let deks: Map<number, Uint8Array>;
  try {
    deks = deksOf(u);
  } catch (e) {
    u.krk.fill(0);
    throw e;
  }
  const keyring = makeKeyring({ databaseId: u.parsed.databaseId, suite: u.parsed.suite, current: u.parsed.current, generations: u.parsed.generations }, deks, u.krk);
  return { keyring, info: infoOf(u.parsed, Math.max(0, u.slotIndex)), slotIndex: u.slotIndex };
}

function requireEncrypted(p: SuperblockLayout): void {
  if (p.suite === 'none') throw new HeliosError('CONFIG', 'an unencrypted database has no keys to change');
}

function requireSecret(x: unknown): asserts x is KeySecret {
  if (typeof x !== 'object' || x === null || isKeyring(x) || ((x as KeySecret).kind !== 'raw' && (x as KeySecret).kind !== 'passphrase')) {
    throw new HeliosError('CONFIG', 'a key (file, env, passphrase or raw) is required');
  }
}

/** A slot as re-encoded: its kind and parameters (for the KDF budget) and its 80 bytes. */
interface SlotBytes {
  readonly kind: number;
  readonly params: readonly [number, number, number];
  readonly descriptor: Uint8Array;
  readonly wrapped: Uint8Array;
}

interface Rewrite {
  slots: SlotBytes[];
  current: number;
  generations: number[];
}

/**
 * Unlocks `bytes` with `authority`, lets `change` edit slots and generations (it may add or
 * remove DEKs in the map it is given), and returns the superblock re-sealed under the same
 * KRK with a fresh keyring salt. DEKs and the KRK copy are zeroed whatever happens.
 */
function rewrite(bytes: Uint8Array, authority: KeyringAuthority, random: (n: number) => Uint8Array, run: Argon2RunOptions, change: (u: Unlocked, deks: Map<number, Uint8Array>) => Rewrite): Uint8Array {
  const u = unlock(bytes, authority, run);
  let deks: Map<number, Uint8Array> | null = null;
  try {
    requireEncrypted(u.parsed);
    deks = deksOf(u);
    const next = change(u, deks);
    return sealSuperblock({ header: u.parsed.header, rootId: u.parsed.rootId, slots: next.slots, current: next.current, generations: next.generations, keyringSalt: take(random, SALT_BYTES) }, u.krk, deks);
  } finally {
    u.krk.fill(0);
    if (deks !== null) for (const d of deks.values()) d.fill(0);
  }
}

const same = (u: Unlocked): Rewrite => ({ slots: [...u.parsed.slots], current: u.parsed.current, generations: [...u.parsed.generations] });

/**
 * Replaces the slot `oldSecret` opens by one for `newSecret` (O(1): the data keys are not
 * touched). Other slots stay. Returns new bytes. Errors as openSuperblock.
 */
export function changeKey(bytes: Uint8Array, oldSecret: KeySecret, newSecret: KeySecret, random: (n: number) => Uint8Array, kdf?: KdfOptions, run: Argon2RunOptions = {}): Uint8Array {
  requireSecret(oldSecret);
  requireSecret(newSecret);
  return rewrite(bytes, oldSecret, random, run, (u) => {
    const r = same(u);
    const others = r.slots.filter((_, i) => i !== u.slotIndex);
    const [shape] = plannedShapes(u.parsed.fips, [newSecret], kdf, others);
    r.slots[u.slotIndex] = makeSlot(u.parsed.header, u.parsed.rootId, shape!, newSecret, u.krk, random, run);
    return r;
  });
}

/** Adds a slot for `newSecret` (at most 16). `authority` opens an existing slot or is a keyring of this database. */
export function addKeySlot(bytes: Uint8Array, authority: KeyringAuthority, newSecret: KeySecret, random: (n: number) => Uint8Array, kdf?: KdfOptions, run: Argon2RunOptions = {}): Uint8Array {
  requireSecret(newSecret);
  return rewrite(bytes, authority, random, run, (u) => {
    if (u.parsed.slots.length >= MAX_SLOTS) throw new HeliosError('CONFIG', `a database has at most ${MAX_SLOTS} key slots`);
    const r = same(u);
    const [shape] = plannedShapes(u.parsed.fips, [newSecret], kdf, r.slots);
    r.slots.push(makeSlot(u.parsed.header, u.parsed.rootId, shape!, newSecret, u.krk, random, run));
    return r;
  });
}

/**
 * Removes slot `slotIndex` and appends a slot for `newSecret` (the engine's changeKey: the
 * handle knows its slot, not its secret). O(1); the data keys are not touched.
 */
export function replaceKeySlot(bytes: Uint8Array, authority: KeyringAuthority, slotIndex: number, newSecret: KeySecret, random: (n: number) => Uint8Array, kdf?: KdfOptions, run: Argon2RunOptions = {}): Uint8Array {
  requireSecret(newSecret);
  return rewrite(bytes, authority, random, run, (u) => {
    if (!Number.isInteger(slotIndex) || slotIndex < 0 || slotIndex >= u.parsed.slots.length) throw new HeliosError('CONFIG', `no key slot ${String(slotIndex)}`);
    const r = same(u);
    r.slots.splice(slotIndex, 1);
    const [shape] = plannedShapes(u.parsed.fips, [newSecret], kdf, r.slots);
    r.slots.push(makeSlot(u.parsed.header, u.parsed.rootId, shape!, newSecret, u.krk, random, run));
    return r;
  });
}

/** Removes slot `slotIndex` (see SuperblockInfo.slots). The last slot cannot be removed (CONFIG). */
export function removeKeySlot(bytes: Uint8Array, authority: KeyringAuthority, slotIndex: number, random: (n: number) => Uint8Array, run: Argon2RunOptions = {}): Uint8Array {
  return rewrite(bytes, authority, random, run, (u) => {
    if (!Number.isInteger(slotIndex) || slotIndex < 0 || slotIndex >= u.parsed.slots.length) throw new HeliosError('CONFIG', `no key slot ${String(slotIndex)}`);
    if (u.parsed.slots.length === 1) throw new HeliosError('CONFIG', 'the last key slot cannot be removed');
    const r = same(u);
    r.slots.splice(slotIndex, 1);
    return r;
  });
}

/**
 * Adds data-key generation max + 1 (random DEK) and makes it current. Only the keyring
 * section is rewritten, so every slot stays valid. Returns new bytes; open them (with the
 * old keyring as authority, no KDF) to get the new keyring. Errors as openSuperblock, and
 * CONFIG for a 'none' database or more than 4096 live generations.
 */
export function addDataKeyGeneration(bytes: Uint8Array, authority: KeyringAuthority, random: (n: number) => Uint8Array, run: Argon2RunOptions = {}): Uint8Array {
  return rewrite(bytes, authority, random, run, (u, deks) => {
    const r = same(u);
    r.current = nextGeneration(r.generations);
    deks.set(r.current, takeKey(random));
    r.generations.push(r.current);
    return r;
  });
}

function nextGeneration(generations: readonly number[]): number {
  if (generations.length >= MAX_GENERATIONS) throw new HeliosError('CONFIG', `at most ${MAX_GENERATIONS} data-key generations can be live`);
  const next = generations[generations.length - 1]! + 1;
  if (next > 0xffffffff) throw new HeliosError('CONFIG', 'data-key generations are exhausted');
  return next;
}

/**
 * Forgets a generation no file uses any more. The current generation cannot be dropped
 * (CONFIG); an unknown one is CONFIG too. Returns new bytes.
 */
export function dropDataKeyGeneration(bytes: Uint8Array, authority: KeyringAuthority, generation: number, random: (n: number) => Uint8Array, run: Argon2RunOptions = {}): Uint8Array {
  return rewrite(bytes, authority, random, run, (u, deks) => {
    if (generation === u.parsed.current) throw new HeliosError('CONFIG', 'the current data-key generation cannot be dropped');
    if (!u.parsed.generations.includes(generation)) throw new HeliosError('CONFIG', `data-key generation ${String(generation)} is not live`);
    const r = same(u);
    deks.get(generation)!.fill(0);
    deks.delete(generation);
    r.generations = r.generations.filter((g) => g !== generation);
    return r;
  });
}

/**
 * Revocation [CRY-REVOKE-1]: a superblock with a NEW keyring root key and root id (random,
 * so not derivable from any earlier slot, key or superblock), one fresh slot for each of
 * `secrets` (1..16; every other slot is gone) and a NEW data-key generation max + 1 (random)
 * made current. The older generations stay in the keyring, sealed under the new root, so the
 * files on disk stay readable until they are rewritten and the generations dropped; only then
 * does a saved copy of an older superblock with an older key decrypt nothing current.
 * Returns the bytes and the keyring of the new root (the old keyring cannot open them).
 * Errors as openSuperblock; CONFIG for a 'none' database, no secrets or more than 16, KDF
 * parameters out of bounds or over the open budget, exhausted generations.
 */
export function revokeSuperblock(bytes: Uint8Array, authority: KeyringAuthority, secrets: readonly KeySecret[], random: (n: number) => Uint8Array, kdf?: KdfOptions, run: Argon2RunOptions = {}): { bytes: Uint8Array; keyring: Keyring } {
  if (!Array.isArray(secrets) || secrets.length < 1 || secrets.length > MAX_SLOTS) throw new HeliosError('CONFIG', `revocation needs 1..${MAX_SLOTS} keys to keep`);
  for (const s of secrets) requireSecret(s);
  const u = unlock(bytes, authority, run);
  let deks: Map<number, Uint8Array> | null = null;
  let krk: Uint8Array | null = null;
  try {
    requireEncrypted(u.parsed);
    deks = deksOf(u);
    const p = u.parsed;
    const shapes = plannedShapes(p.fips, secrets, kdf, []);
    const generations = [...p.generations];
    const current = nextGeneration(generations);
    generations.push(current);
    const rootId = take(random, ROOT_ID_BYTES);
    krk = takeKey(random);
    deks.set(current, takeKey(random));
    // A version-1 superblock becomes version 2 here: every slot is new, so the header (the
    // wraps' AAD prefix) may change its version field; the database id stays.
    const header = encodeSuperblockHeader(p.suite, p.fips, p.databaseId);
    const slots = secrets.map((s, i) => makeSlot(header, rootId, shapes[i]!, s, krk!, random, run));
    const out = sealSuperblock({ header, rootId, slots, current, generations, keyringSalt: take(random, SALT_BYTES) }, krk, deks);
    const keyring = makeKeyring({ databaseId: p.databaseId, suite: p.suite, current, generations }, deks, krk);
    deks = null;
    krk = null;
    return { bytes: out, keyring };
  } finally {
    u.krk.fill(0);
    if (deks !== null) for (const d of deks.values()) d.fill(0);
    krk?.fill(0);
  }
}


const AUDIT_INFO = utf8Encode('helios-audit-log');

/**
 * The audit-log key of a keyring [AUD-KEY-1]: HKDF-SHA256(ikm = the keyring root key, salt = the
 * database id, info = "helios-audit-log", 32 bytes). It follows the root key, so it survives key
 * changes and data-key rotations and changes with a revocation. For suite 'none' the root key is
 * 32 zero bytes, so anyone can compute it. Returns a new array the caller zeroes. Errors: CLOSED
 * (destroyed keyring), INVALID_ARGUMENT (not a keyring of this module).
 */
export function auditKeyOf(keyring: Keyring): Uint8Array {
  const st = states.get(keyring);
  if (st === undefined) throw new HeliosError('INVALID_ARGUMENT', 'auditKeyOf needs a keyring made by crypto/superblock.ts');
  if (st.destroyed) throw new HeliosError('CLOSED', 'the keyring was destroyed');
  return takeSecret(hkdfSha256(st.krk, st.databaseId, AUDIT_INFO, KEY_BYTES));
}
