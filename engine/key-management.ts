/**
 * Key management of an open engine: change the key (O(1) re-wrap), add and
 * remove key slots, rotate the data key, rewrite every file with the
 * newest data-key generation, and revoke every earlier key (new keyring root
 * and data key, every file re-sealed) (spec/crypto.md "Key change and data-key
 * rotation", [CRY-ROTATE-1..7], and "Revocation", [CRY-REVOKE-1..6]).
 *
 * The crypto (crypto/superblock.ts) is pure: it returns new superblock bytes.
 * This module computes them from the current `HELIOS`, replaces the file
 * atomically (temp, fsync, rename, fsync dir) and only then changes the
 * engine's in-memory state (the keyring every new file is sealed with).
 * Hence a crash at any point leaves either the old or the new superblock,
 * and both open the data on disk at that moment:
 *  - a key change or slot change touches no data file and leaves the
 *    keyring (KRK, DEKs) as it is;
 *  - a new generation keeps every old one, so files sealed before it stay
 *    readable; new files use it only after the superblock naming it is durable;
 *  - a generation is dropped only after the manifest edits that retired the
 *    last live file sealed with it are durable;
 *  - a revocation writes a superblock of a new root that still holds every
 *    old generation (sealed under the new root), so the files on disk stay
 *    readable; the old generations go only after every file was rewritten.
 *
 * The handle authorizes the changes with its keyring (the open proved the
 * key); the secret it was opened with is not kept. changeKey therefore
 * replaces "the slot this handle was opened with", found by its 80 stored
 * bytes ([CRY-SB-1] slot layout), which are unique (each slot has a random salt).
 */
import { HeliosError } from '../format/errors.ts';
import { compareBytes, equalBytes } from '../format/bytes.ts';
import { FILE_HEADER_BYTES, decodeFileHeader } from '../format/file-header.ts';
import { MAX_SUPERBLOCK_BYTES, SLOT_BYTES, slotsOffset, superblockVersionOf } from '../format/superblock-layout.ts';
import { destroySecret, type KeySecret } from '../crypto/key-source.ts';
import {
  adoptKeyring,
  addDataKeyGeneration,
  addKeySlot,
  dropDataKeyGeneration,
  openSuperblock,
  readSuperblockInfo,
  removeKeySlot,
  replaceKeySlot,
  revokeSuperblock,
  MAX_SLOTS,
  type KdfOptions,
  type Keyring,
  type SuperblockInfo,
} from '../crypto/superblock.ts';
import type { KeyContext } from './file-cipher.ts';
import { SUPERBLOCK_FILE, manifestFileName, walFileName } from './file-names.ts';
import { keySourceKind, loadKeySecret, type KeySourceKind, type KeySourceOption } from './key-loader.ts';
import { overlappingFiles, type Compaction, type LevelFile } from './compaction.ts';
import type { Vfs } from './vfs.ts';
import { joinPath } from './vfs-path.ts';

/** Options of a new key slot. `fips` must match the database (fixed at creation). */
export interface ChangeKeyOptions {
  /** KDF parameters of a passphrase slot (default Argon2id 64 MiB, t = 3, p = 4; PBKDF2 in FIPS mode). */
  kdf?: KdfOptions;
  /** Checked against the database's FIPS flag: it cannot change (CONFIG). */
  fips?: boolean;
}

export interface RewriteProgress {
  /** 'flush': the memtable went to a table; 'rewrite': tables were rewritten; 'drop': unused generations were forgotten. */
  readonly phase: 'flush' | 'rewrite' | 'drop';
  /** Tables sealed with an older generation rewritten so far, of `tablesTotal` (counted after the flush). */
  readonly tablesRewritten: number;
  readonly tablesTotal: number;
  /** Bytes of those tables. */
  readonly bytesRewritten: number;
  readonly bytesTotal: number;
}

export interface RewriteOptions {
  /** Called after the flush, after each rewrite step and after the drop; an exception aborts (the database stays consistent). */
  onProgress?: (p: RewriteProgress) => void;
}

export interface RotateOptions extends RewriteOptions {
  /** Also rewrite every file with the new generation and drop the old ones (rewriteAll). */
  rewrite?: boolean;
}

export interface RewriteResult {
  /** Live generations before and after. */
  readonly generationsBefore: number[];
  readonly generationsAfter: number[];
  /** Generations removed from HELIOS. */
  readonly dropped: number[];
}

export interface RevokeOptions extends RewriteOptions {
  /**
   * The keys that open the database afterwards: 1..16, each gets a fresh slot wrapping the
   * new root. Every other slot is dropped, so a key that should keep working (a recovery key)
   * must be listed. The handle then counts as opened with `keys[0]` (for changeKey).
   */
  keys: KeySourceOption[];
  /** KDF parameters of the passphrase slots among `keys` (default as changeKey). */
  kdf?: KdfOptions;
}

export interface RevokeResult extends RewriteResult {
  /** The new data-key generation, the only one once `complete`. */
  readonly generation: number;
  /**
   * True when no file is sealed with an earlier generation any more and HELIOS holds the new
   * one only. False when a table an open iterator still reads kept an old generation live:
   * close the iterator and run rewriteAll() to finish.
   */
  readonly complete: boolean;
}

/** The key-management methods of an Engine. All refuse a closed (CLOSED) or failed handle. */
export interface EngineKeyManagement {
  /**
   * Re-wraps the keyring root key for `newKey` in place of the slot this handle was opened
   * with: afterwards that old key gets WRONG_KEY and `newKey` opens; other slots stay. Only
   * HELIOS is rewritten (atomically); O(1) in the size of the data [CRY-ROTATE-1]. A passphrase
   * slot runs its KDF once. Errors: CONFIG (unencrypted database, fips differs from the
   * database, the slot was removed by removeKey), INVALID_ARGUMENT/CONFIG (bad key option), IO.
   */
  changeKey(newKey: KeySourceOption, options?: ChangeKeyOptions): void;
  /** Adds a key slot (e.g. a recovery key); at most 16 (CONFIG). Only HELIOS is rewritten. */
  addKey(key: KeySourceOption, options?: { kdf?: KdfOptions }): void;
  /** Removes the slot `key` opens (WRONG_KEY if none); the last slot cannot be removed (CONFIG). */
  removeKey(key: KeySourceOption): void;
  /**
   * Adds data-key generation max + 1, makes it current and starts a new WAL segment with it at
   * once: every file created from now on (WAL, tables, manifests) is sealed with it; older files
   * stay readable [CRY-ROTATE-3]. With `rewrite: true`, then runs rewriteAll. Returns the new
   * generation. Errors: CONFIG (unencrypted database, 4096 live generations), IO.
   */
  rotateDataKey(options?: RotateOptions): number;
  /**
   * Flushes the memtable, rewrites every table sealed with an older generation through the
   * compaction machinery, writes a new manifest, and drops from HELIOS every generation no live
   * file uses [CRY-ROTATE-4]. A table still read by an open iterator keeps its generation live.
   * On an unencrypted database: nothing to drop, tables are still rewritten. Errors: IO.
   */
  rewriteAll(options?: RewriteOptions): RewriteResult;
  /**
   * Revokes every key and every copy of HELIOS made before this call [CRY-REVOKE-1]: draws a
   * new keyring root key and root id and a new data-key generation (random, not derivable from
   * anything earlier), writes HELIOS with one slot per `options.keys` (all other slots are
   * gone), writes a new manifest and starts a new WAL segment under the new generation, then
   * flushes, rewrites every table (rewriteAll) and drops every older generation. Afterwards an
   * old HELIOS (a backup, a saved copy) with an old or removed key decrypts no current file.
   * Cost: one KDF run per passphrase key plus a rewrite of all data. Crash-safe: before HELIOS
   * is replaced the old keys open the old state; after it, only `keys` open, and an interrupted
   * rewrite is finished by rewriteAll() [CRY-REVOKE-4]. Errors: CONFIG (unencrypted database,
   * no keys or more than 16, bad KDF parameters), INVALID_ARGUMENT (bad options), IO.
   */
  revokeKeys(options: RevokeOptions): RevokeResult;
  /**
   * Drops from HELIOS every generation no live file uses (rewriting the manifest first when it
   * is sealed with an older one), without rewriting any table: the last step of the background
   * re-seal of a scheduled rotation [CRY-ROTATE-9]. Returns the generations dropped.
   */
  retireUnusedGenerations(): number[];
  /** The key slot the last changeKey / addKey / removeKey wrote or removed (for the audit log), or null. */
  lastChangedSlot(): number | null;
  /** Index of the slot this handle was opened with in the current HELIOS, or null (removed, or suite 'none'). */
  ownSlotIndex(): number | null;
}

/** What the engine lends this module (closures over its state). */
export interface KeyHost {
  readonly vfs: Vfs;
  readonly dir: string;
  readonly ctx: KeyContext;
  /** The engine's superblock facts, updated in place. */
  readonly info: SuperblockInfo;
  setKeySource(kind: KeySourceKind): void;
  /** Throws CLOSED, or the failure of a failed handle. */
  checkWritable(): void;
  /** Runs a write-path step; an I/O error fails the handle. */
  guarded<T>(fn: () => T): T;
  /** Ends the active WAL segment and starts a new one (sealed with the current generation). */
  rotateWal(): void;
  /** Finishes any flush and compaction in progress, then flushes the memtable to L0 (retiring every older WAL segment). */
  flushAll(): void;
  /** Table files per level (L0 newest first, deeper levels by key). */
  levels(): LevelFile[][];
  /** Runs `c` to completion (after any compaction in progress). */
  compact(c: Compaction): void;
  /** Writes a new manifest (sealed with the current generation) and points CURRENT to it. */
  rewriteManifest(): void;
  /** Generations of every table the engine may still read: live ones and obsolete ones pinned by readers. */
  tableGenerations(): number[];
  walFileNumbers(): number[];
  manifestFileNumber(): number;
  /** Records in the manifest that `generation` is created now [CRY-ROTATE-8] (before HELIOS names it). */
  recordGenerationTime(generation: number): void;
}

/** Slot each keyring was opened through (set by openEngine; -1 for suite 'none'). */
const openedSlots = new WeakMap<Keyring, number>();

export function noteOpenedSlot(keyring: Keyring, slotIndex: number): void {
  openedSlots.set(keyring, slotIndex);
}

// [CRY-SB-1]: slot i occupies bytes 56 + 80i .. 56 + 80i + 79 (40 + 80i in version 1); the slot count is byte 36.
function slotAt(bytes: Uint8Array, i: number): Uint8Array {
  const first = slotsOffset(superblockVersionOf(bytes));
  return bytes.slice(first + SLOT_BYTES * i, first + SLOT_BYTES * (i + 1));
}

function findSlot(bytes: Uint8Array, slot: Uint8Array): number {
  const n = bytes[36] ?? 0;
  for (let i = 0; i < n; i++) if (equalBytes(slotAt(bytes, i), slot)) return i;
  return -1;
}

/**
 * The bytes of the superblock file at `path`, refusing (CORRUPTION, nothing read) a file
 * longer than any valid superblock [CRY-SB-10], so a padded HELIOS cannot make an open
 * allocate without bound.
 */
export function readSuperblockFile(vfs: Vfs, path: string): Uint8Array {
  const f = vfs.openRead(path);
  try {
    const size = f.size();
    if (size > MAX_SUPERBLOCK_BYTES) {
      throw new HeliosError('CORRUPTION', `${SUPERBLOCK_FILE}: ${size} bytes, more than the largest valid superblock (${MAX_SUPERBLOCK_BYTES}) at offset ${MAX_SUPERBLOCK_BYTES}`, { file: SUPERBLOCK_FILE, offset: MAX_SUPERBLOCK_BYTES });
    }
    return f.readAt(0, size);
  } finally {
    f.close();
  }
}

export function createKeyManagement(host: KeyHost, random: (n: number) => Uint8Array): EngineKeyManagement {
  const { vfs, dir, ctx, info } = host;
  const sbPath = joinPath(dir, SUPERBLOCK_FILE);
  const opened = openedSlots.get(ctx.keyring) ?? -1;
  /** The 80 bytes of the slot this handle was opened with; undefined until first needed, null once removed. */
  let ownSlot: Uint8Array | null | undefined = opened < 0 ? null : undefined;

  const read = (): Uint8Array => {
    const bytes = readSuperblockFile(vfs, sbPath);
    if (ownSlot === undefined) ownSlot = slotAt(bytes, opened);
    return bytes;
  };

  const requireEncrypted = (): void => {
    if (ctx.suite === 'none') throw new HeliosError('CONFIG', 'an unencrypted database has no keys to change');
  };

  /** Makes `bytes` the engine's superblock facts; the keyring is replaced when `keyring` is given. */
  const adopt = (bytes: Uint8Array, keyring: Keyring | null): void => {
    const next = readSuperblockInfo(bytes);
    const own = ownSlot ? findSlot(bytes, ownSlot) : -1;
    if (own >= 0) {
      next.kdf = next.slots[own]!.kdf;
      next.kdfParams = { ...next.slots[own]!.kdfParams };
    } else {
      next.kdf = info.kdf;
      next.kdfParams = info.kdfParams;
    }
    Object.assign(info, next);
    // The engine's keyring object stays the same (table readers and file ciphers hold it);
    // its keys are replaced and the old ones zeroed.
    if (keyring !== null) adoptKeyring(ctx.keyring, keyring);
  };

  /**
   * Replaces HELIOS with `bytes` (temp, fsync, rename, fsync dir) [CRY-ROTATE-2]. If it fails
   * after the rename, the file may hold the new bytes: then `onNew` still runs, so the handle's
   * state matches the disk, and the I/O error is thrown.
   */
  const write = (bytes: Uint8Array, onNew: () => void): void => {
    try {
      vfs.writeFileAtomic(sbPath, bytes);
    } catch (e) {
      let now: Uint8Array | null = null;
      try {
        now = readSuperblockFile(vfs, sbPath);
      } catch {
        // unreadable: keep the old state in memory
      }
      if (now !== null && equalBytes(now, bytes)) onNew();
      throw e;
    }
    onNew();
  };

  const withSecret = <T>(key: KeySourceOption, fn: (s: KeySecret) => T): T => {
    const secret = loadKeySecret(key);
    try {
      return fn(secret);
    } finally {
      destroySecret(secret);
    }
  };

  /** Generations of files by name: a file's header never changes, and a handle never reuses a name. */
  const generations = new Map<string, number>();
  const generationOf = (name: string): number => {
    const known = generations.get(name);
    if (known !== undefined) return known;
    const f = vfs.openRead(joinPath(dir, name));
    try {
      const g = decodeFileHeader(f.readAt(0, FILE_HEADER_BYTES), name).generation;
      generations.set(name, g);
      return g;
    } finally {
      f.close();
    }
  };
  let lastSlot: number | null = null;

  /** Drops every generation no live file uses [CRY-ROTATE-4]; the manifest is re-sealed first if needed. */
  const retireUnused = (): number[] => {
    const current = ctx.keyring.currentGeneration;
    if (generationOf(manifestFileName(host.manifestFileNumber())) !== current) host.guarded(() => host.rewriteManifest());
    if (ctx.suite === 'none') return [];
    const used = new Set<number>([current, ...host.tableGenerations()]);
    for (const n of host.walFileNumbers()) used.add(generationOf(walFileName(n)));
    used.add(generationOf(manifestFileName(host.manifestFileNumber())));
    const unused = ctx.keyring.generations.filter((g) => !used.has(g));
    if (unused.length === 0) return [];
    let bytes = read();
    for (const g of unused) bytes = dropDataKeyGeneration(bytes, ctx.keyring, g, random);
    const final = bytes;
    write(final, () => adopt(final, openSuperblock(final, ctx.keyring).keyring));
    return unused;
  };
  const nextGeneration = (): number => ctx.keyring.generations[ctx.keyring.generations.length - 1]! + 1;

  /**
   * After HELIOS names a new current generation: a new manifest, then a new WAL segment, both
   * sealed with it, so no record written from now on (manifest edits naming new tables' key
   * ranges included) is sealed with an older generation [CRY-ROTATE-3].
   */
  const startGeneration = (): void => {
    host.guarded(() => host.rewriteManifest());
    host.guarded(() => host.rotateWal());
  };

  /** Refuses a bad onProgress before anything is written (a rotation would otherwise be half done). */
  const checkProgress = (options: RewriteOptions): void => {
    if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw new HeliosError('INVALID_ARGUMENT', 'onProgress must be a function');
  };

  const rewriteAll = (options: RewriteOptions = {}): RewriteResult => {
    host.checkWritable();
    checkProgress(options);
    const onProgress = options.onProgress;
    const generationsBefore = [...ctx.keyring.generations];
    host.guarded(() => host.flushAll());
    const current = (): number => ctx.keyring.currentGeneration;
    const stale = (f: LevelFile): boolean => f.generation !== current();
    const initial = host.levels().flat().filter(stale);
    const tablesTotal = initial.length;
    const bytesTotal = initial.reduce((a, f) => a + f.fileSize, 0);
    const pending = new Map(initial.map((f) => [f.fileNumber, f.fileSize]));
    let tablesRewritten = 0;
    let bytesRewritten = 0;
    const consumed = (fs: readonly LevelFile[]): void => {
      for (const f of fs) {
        const size = pending.get(f.fileNumber);
        if (size === undefined) continue;
        pending.delete(f.fileNumber);
        tablesRewritten++;
        bytesRewritten += size;
      }
    };
    const report = (phase: RewriteProgress['phase']): void => onProgress?.({ phase, tablesRewritten, tablesTotal, bytesRewritten, bytesTotal });
    report('flush');
    // L0 tables overlap and are read newest file number first: a rewritten one would jump
    // ahead of newer ones, so L0 goes as a whole into L1 (with the L1 tables it overlaps).
    const levels = host.levels();
    const l0 = levels[0]!;
    if (l0.some(stale)) {
      let lo = l0[0]!.smallestKey;
      let hi = l0[0]!.largestKey;
      for (const f of l0) {
        if (compareBytes(f.smallestKey, lo) < 0) lo = f.smallestKey;
        if (compareBytes(f.largestKey, hi) > 0) hi = f.largestKey;
      }
      const overlapping = overlappingFiles(levels[1]!, lo, hi);
      host.guarded(() => host.compact({ level: 0, outputLevel: 1, inputs: l0, overlapping, bottommost: false, trivialMove: false, score: 0 }));
      consumed([...l0, ...overlapping]);
      report('rewrite');
    }
    // Deeper levels hold disjoint ranges: each stale table is rewritten in place, its outputs
    // covering a sub-range of its own range.
    for (let n = 1; n < levels.length; n++) {
      for (;;) {
        const f = host.levels()[n]!.find(stale);
        if (f === undefined) break;
        host.guarded(() => host.compact({ level: n, outputLevel: n, inputs: [f], overlapping: [], bottommost: false, trivialMove: false, score: 0 }));
        consumed([f]);
        report('rewrite');
      }
    }
    const dropped = retireUnused();
    report('drop');
    return { generationsBefore, generationsAfter: [...ctx.keyring.generations], dropped };
  };

  return {
    changeKey(newKey, options = {}) {
      host.checkWritable();
      if (typeof options !== 'object' || options === null) throw new HeliosError('INVALID_ARGUMENT', 'options must be an object');
      const kind = keySourceKind(newKey);
      requireEncrypted();
      if (options.fips !== undefined && options.fips !== info.fipsMode) {
        throw new HeliosError('CONFIG', `FIPS mode is fixed when the database is created (this database: ${info.fipsMode ? 'on' : 'off'})`);
      }
      const bytes = read();
      const own = ownSlot ? findSlot(bytes, ownSlot) : -1;
      if (own < 0) throw new HeliosError('CONFIG', 'the key this handle was opened with was removed: use addKey / removeKey');
      // The old slot is removed and the new one appended, in one rewrite.
      const next = withSecret(newKey, (secret) => replaceKeySlot(bytes, ctx.keyring, own, secret, random, options.kdf));
      const n = next[36]!;
      const slot = slotAt(next, n - 1);
      write(next, () => {
        ownSlot = slot;
        lastSlot = n - 1;
        adopt(next, null);
        host.setKeySource(kind);
      });
    },
    addKey(key, options = {}) {
      host.checkWritable();
      keySourceKind(key);
      requireEncrypted();
      const bytes = read();
      const next = withSecret(key, (secret) => addKeySlot(bytes, ctx.keyring, secret, random, options?.kdf));
      write(next, () => {
        lastSlot = next[36]! - 1;
        adopt(next, null);
      });
    },
    removeKey(key) {
      host.checkWritable();
      keySourceKind(key);
      requireEncrypted();
      const bytes = read();
      const index = withSecret(key, (secret) => {
        const o = openSuperblock(bytes, secret);
        o.keyring.destroy();
        return o.slotIndex;
      });
      const removed = slotAt(bytes, index);
      const next = removeKeySlot(bytes, ctx.keyring, index, random);
      write(next, () => {
        if (ownSlot && equalBytes(ownSlot, removed)) ownSlot = null;
        lastSlot = index;
        adopt(next, null);
      });
    },
    rotateDataKey(options = {}) {
      host.checkWritable();
      if (typeof options !== 'object' || options === null) throw new HeliosError('INVALID_ARGUMENT', 'options must be an object');
      requireEncrypted();
      if (options.rewrite === true) checkProgress(options);
      const bytes = read();
      host.guarded(() => host.recordGenerationTime(nextGeneration()));
      const next = addDataKeyGeneration(bytes, ctx.keyring, random);
      write(next, () => adopt(next, openSuperblock(next, ctx.keyring).keyring));
      startGeneration();
      const generation = ctx.keyring.currentGeneration;
      if (options.rewrite === true) rewriteAll(options);
      return generation;
    },
    rewriteAll,
    revokeKeys(options) {
      host.checkWritable();
      if (typeof options !== 'object' || options === null) throw new HeliosError('INVALID_ARGUMENT', 'options must be an object');
      checkProgress(options);
      const keys = options.keys;
      if (!Array.isArray(keys) || keys.length < 1 || keys.length > MAX_SLOTS) throw new HeliosError('CONFIG', `revokeKeys needs 1..${MAX_SLOTS} keys to keep (options.keys)`);
      const kinds = keys.map((k) => keySourceKind(k));
      requireEncrypted();
      const bytes = read();
      host.guarded(() => host.recordGenerationTime(nextGeneration()));
      const secrets: KeySecret[] = [];
      let revoked: { bytes: Uint8Array; keyring: Keyring };
      try {
        for (const k of keys) secrets.push(loadKeySecret(k));
        revoked = revokeSuperblock(bytes, ctx.keyring, secrets, random, options.kdf);
      } finally {
        for (const s of secrets) destroySecret(s);
      }
      const next = revoked.bytes;
      let adopted = false;
      try {
        write(next, () => {
          ownSlot = slotAt(next, 0);
          adopt(next, revoked.keyring);
          adopted = true;
          host.setKeySource(kinds[0]!);
        });
      } finally {
        if (!adopted) revoked.keyring.destroy();
      }
      // From here only `keys` open the database [CRY-REVOKE-2]; then every file is re-sealed.
      startGeneration();
      const generation = ctx.keyring.currentGeneration;
      const r = rewriteAll(options);
      return { ...r, generation, complete: r.generationsAfter.length === 1 && r.generationsAfter[0] === generation };
    },
    retireUnusedGenerations() {
      host.checkWritable();
      return retireUnused();
    },
    lastChangedSlot: () => lastSlot,
    ownSlotIndex() {
      if (ownSlot === null) return null;
      if (ownSlot === undefined) return opened < 0 ? null : opened;
      const i = findSlot(read(), ownSlot);
      return i < 0 ? null : i;
    },
  };
}
