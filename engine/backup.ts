/**
 * Online backups of an open engine, backup sets and restores
 * (spec/backup.md). A backup is a database directory: it opens with
 * openEngine like any other.
 *
 * Data flow of a backup (mode 'sealed', the default):
 *   Engine.beginBackup → the WAL synced; HELIOS, the WAL up to the last
 *   commit, a manifest of the tables of that moment and a cleanly closed
 *   CURRENT written to `<dest>.partial/`; the tables pinned
 *   → each table copied in slices, yielding to the event loop between slices
 *   (commits, flushes and compactions go on; the pinned tables stay on disk)
 *   — or, in a backup set, hard-linked from the previous backup when it holds
 *   the very same file (same name, size and 40-byte header, whose salt is
 *   random per file) [ENG-BAK-SET-2]
 *   → every file synced, the directory synced, `<dest>.partial` renamed to
 *   `<dest>` and the parent synced [ENG-BAK-ATOMIC-1].
 * Modes 'rekeyed' (another key) and 'plain' (no encryption, asked for
 * explicitly) copy the entries of a snapshot into a new database instead:
 * fresh data keys, nothing shared with the source's files, not incremental.
 *
 * A crash (or an error) at any point leaves at most a `.partial` directory,
 * never a directory under the final name that is not a complete backup; the
 * next backup into the same place removes the leftover.
 */
import { linkSync, rmSync } from 'node:fs';
import { HeliosError } from '../format/errors.ts';
import { FILE_HEADER_BYTES } from '../format/file-header.ts';
import { equalBytes } from '../format/bytes.ts';
import { createNodeVfs } from './node-vfs.ts';
import type { Vfs, VfsFile } from './vfs.ts';
import { baseName, dirName, joinPath } from './vfs-path.ts';
import { LOCK_FILE, SUPERBLOCK_FILE, parseFileName } from './file-names.ts';
import { createWriteBatch } from './write-batch.ts';
import { openEngine, type Engine, type KdfOptions, type KeySourceOption } from './engine.ts';

/** Suffix of a backup being written [ENG-BAK-ATOMIC-1]. */
export const PARTIAL_SUFFIX = '.partial';
/** Name of a backup inside a set [ENG-BAK-SET-1]: UTC time to the millisecond, and a counter when two share it. */
const BACKUP_NAME = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z(?:-(\d{1,6}))?$/;
const DAY_MS = 86_400_000;
const DEFAULT_SLICE_BYTES = 1 << 20;

export interface BackupProgress {
  readonly filesDone: number;
  readonly filesTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

export type BackupMode = 'sealed' | 'rekeyed' | 'plain';

export interface EngineBackupOptions {
  /** `dest` is a backup set: the backup goes into a new directory inside it, sharing unchanged tables with the previous one. */
  readonly set?: boolean;
  /** In a set: afterwards remove backups older than this many days (never the newest). */
  readonly retentionDays?: number;
  /** Called after every slice (and once at the start and the end). An exception from it aborts the backup. */
  readonly progress?: (p: BackupProgress) => void;
  /** Copy the entries into a new database with another key ('rekeyed') or unencrypted ('plain') instead of copying the files. */
  readonly rekey?: { readonly key: KeySourceOption; readonly kdf?: KdfOptions; readonly fips?: boolean } | { readonly plain: true };
  /** Clock for backup names and retention, ms since the epoch. Default Date.now. */
  readonly now?: () => number;
  /** Bytes copied between two yields to the event loop. Default 1 MiB. */
  readonly sliceBytes?: number;
}

export interface BackupResult {
  /** The backup directory; it opens as a database. */
  readonly path: string;
  /** The backup set holding it, or null. */
  readonly setPath: string | null;
  readonly mode: BackupMode;
  /** The backup holds exactly the commits up to this sequence number (its point). */
  readonly lastSeqNum: number;
  readonly filesTotal: number;
  /** Files written (copied or, for a rekeyed/plain backup, created). */
  readonly filesCopied: number;
  /** Tables shared with the previous backup of the set (hard links, no bytes copied). */
  readonly filesLinked: number;
  readonly bytesTotal: number;
  readonly bytesCopied: number;
  readonly bytesLinked: number;
  /** Backups of the set removed by retention. */
  readonly pruned: readonly string[];
}

export interface BackupEntry {
  readonly name: string;
  readonly path: string;
  /** From the name, ms since the epoch. */
  readonly createdAt: number;
}

const trimSlashes = (p: string): string => p.replace(/\/+$/, '') || '/';

const yieldTurn = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

function isDir(vfs: Vfs, path: string): boolean {
  if (!vfs.exists(path)) return false;
  try {
    vfs.list(path);
    return true;
  } catch {
    return false;
  }
}

function removeTree(path: string): void {
  rmSync(path, { recursive: true, force: true });
}

/** The complete backups of set `setDir`, oldest first [ENG-BAK-SET-1]. */
export function listBackups(setDir: string, vfs: Vfs = createNodeVfs()): BackupEntry[] {
  if (!isDir(vfs, setDir)) throw new HeliosError('CONFIG', `no backup set at ${setDir}`);
  const out: BackupEntry[] = [];
  for (const name of vfs.list(setDir)) {
    const m = BACKUP_NAME.exec(name);
    const path = joinPath(setDir, name);
    if (m === null || !vfs.exists(joinPath(path, SUPERBLOCK_FILE))) continue;
    const createdAt = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, +m[7]!);
    out.push({ name, path, createdAt });
  }
  return out.sort((a, b) => a.createdAt - b.createdAt || a.name.localeCompare(b.name, 'en', { numeric: true }));
}

/**
 * Removes the backups of `setDir` created more than `retentionDays` days
 * before `now`, except the newest backup, which is always kept [ENG-BAK-SET-3].
 * Backups share tables by hard links, so removing one never touches a file
 * another still lists. Returns the names removed.
 */
export function pruneBackups(setDir: string, retentionDays: number, now: number = Date.now(), vfs: Vfs = createNodeVfs()): string[] {
  if (!Number.isSafeInteger(retentionDays) || retentionDays < 1) throw new HeliosError('INVALID_ARGUMENT', 'retentionDays must be a positive integer');
  const all = listBackups(setDir, vfs);
  const cut = now - retentionDays * DAY_MS;
  const pruned: string[] = [];
  for (const b of all.slice(0, -1)) {
    if (b.createdAt >= cut) continue;
    removeTree(b.path);
    pruned.push(b.name);
  }
  if (pruned.length > 0) vfs.syncDir(setDir);
  return pruned;
}

function backupName(setDir: string, now: number, vfs: Vfs): string {
  const d = new Date(now);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const base = `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}T${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}${p(d.getUTCMilliseconds(), 3)}Z`;
  const taken = (n: string): boolean => vfs.exists(joinPath(setDir, n)) || vfs.exists(joinPath(setDir, n + PARTIAL_SUFFIX));
  if (!taken(base)) return base;
  for (let i = 1; ; i++) if (!taken(`${base}-${i}`)) return `${base}-${i}`;
}

function readHeader(vfs: Vfs, path: string): Uint8Array | null {
  try {
    const f = vfs.openRead(path);
    try {
      return f.readAt(0, FILE_HEADER_BYTES);
    } finally {
      f.close();
    }
  } catch {
    return null;
  }
}

function fileSize(vfs: Vfs, path: string): number {
  const f = vfs.openRead(path);
  try {
    return f.size();
  } finally {
    f.close();
  }
}

/** Copies `src` (open) to a new file `destPath` in slices, yielding between them; syncs it. */
async function copyFile(src: VfsFile, vfs: Vfs, destPath: string, byteLength: number, sliceBytes: number, onSlice: (n: number) => void): Promise<void> {
  const out = vfs.create(destPath);
  try {
    for (let off = 0; off < byteLength; ) {
      const n = Math.min(sliceBytes, byteLength - off);
      const bytes = src.readAt(off, n);
      if (bytes.length !== n) throw new HeliosError('IO', `${baseName(destPath)}: source ended at ${off + bytes.length} of ${byteLength} bytes`, { file: baseName(destPath) });
      out.append(bytes);
      off += n;
      onSlice(n);
      await yieldTurn();
    }
    out.sync();
  } finally {
    out.close();
  }
}

interface Target {
  readonly final: string;
  readonly partial: string;
  readonly setPath: string | null;
  readonly previous: BackupEntry | null;
}

function prepareTarget(vfs: Vfs, dest: string, o: EngineBackupOptions, now: number): Target {
  if (o.set === true) {
    if (vfs.exists(dest) && !isDir(vfs, dest)) throw new HeliosError('CONFIG', `backup set ${dest} exists and is not a directory`);
    vfs.mkdir(dest);
    // Leftovers of a backup that crashed [ENG-BAK-ATOMIC-1].
    for (const name of vfs.list(dest)) if (name.endsWith(PARTIAL_SUFFIX)) removeTree(joinPath(dest, name));
    const all = listBackups(dest, vfs);
    const final = joinPath(dest, backupName(dest, now, vfs));
    return { final, partial: final + PARTIAL_SUFFIX, setPath: dest, previous: all.length > 0 ? all[all.length - 1]! : null };
  }
  if (vfs.exists(dest) && (!isDir(vfs, dest) || vfs.list(dest).length > 0)) {
    throw new HeliosError('CONFIG', `backup destination ${dest} exists and is not an empty directory (a backup never overwrites anything)`);
  }
  const partial = dest + PARTIAL_SUFFIX;
  if (vfs.exists(partial)) removeTree(partial);
  return { final: dest, partial, setPath: null, previous: null };
}

function commitTarget(vfs: Vfs, t: Target): void {
  vfs.syncDir(t.partial);
  if (vfs.exists(t.final)) rmSync(t.final, { recursive: false, force: true }); // the empty directory checked above
  vfs.rename(t.partial, t.final);
  vfs.syncDir(dirName(t.final));
}

/**
 * Backs the open, writable engine up into `dest` (a new or empty directory;
 * with `set`, a backup set). Resolves when the backup is complete and
 * durable; the engine keeps taking commits meanwhile, and the backup holds
 * exactly the commits up to the moment the call was made [ENG-BAK-POINT-1].
 */
export async function backupEngine(engine: Engine, destPath: string, o: EngineBackupOptions = {}): Promise<BackupResult> {
  if (typeof destPath !== 'string' || destPath === '') throw new HeliosError('INVALID_ARGUMENT', 'backup destination must be a non-empty path');
  const dest = trimSlashes(destPath);
  if (o.retentionDays !== undefined && (!Number.isSafeInteger(o.retentionDays) || o.retentionDays < 1)) throw new HeliosError('INVALID_ARGUMENT', 'retentionDays must be a positive integer');
  if (o.retentionDays !== undefined && o.set !== true) throw new HeliosError('INVALID_ARGUMENT', 'retentionDays applies to a backup set only');
  const sliceBytes = o.sliceBytes ?? DEFAULT_SLICE_BYTES;
  if (!Number.isSafeInteger(sliceBytes) || sliceBytes < 1) throw new HeliosError('INVALID_ARGUMENT', 'sliceBytes must be a positive integer');
  const now = o.now ?? Date.now;
  const vfs = createNodeVfs();
  const t = prepareTarget(vfs, dest, o, now());
  vfs.mkdir(t.partial);
  try {
    const r = o.rekey === undefined ? await sealedCopy(engine, vfs, t, o, sliceBytes) : await logicalCopy(engine, t, o, sliceBytes);
    commitTarget(vfs, t);
    const pruned = t.setPath !== null && o.retentionDays !== undefined ? pruneBackups(t.setPath, o.retentionDays, now(), vfs) : [];
    return { ...r, path: t.final, setPath: t.setPath, pruned };
  } catch (e) {
    removeTree(t.partial);
    throw e;
  }
}

type Counts = Omit<BackupResult, 'path' | 'setPath' | 'pruned'>;

async function sealedCopy(engine: Engine, vfs: Vfs, t: Target, o: EngineBackupOptions, sliceBytes: number): Promise<Counts> {
  const point = engine.beginBackup(vfs, t.partial);
  try {
    const writtenBytes = point.written.reduce((a, f) => a + f.byteLength, 0);
    const filesTotal = point.written.length + point.tables.length;
    const bytesTotal = writtenBytes + point.tables.reduce((a, f) => a + f.byteLength, 0);
    let filesDone = point.written.length;
    let bytesDone = writtenBytes;
    let filesLinked = 0;
    let bytesLinked = 0;
    const report = (): void => o.progress?.({ filesDone, filesTotal, bytesDone, bytesTotal });
    report();
    point.check();
    for (const table of point.tables) {
      const destPath = joinPath(t.partial, table.name);
      if (t.previous !== null && shareable(vfs, point, table, joinPath(t.previous.path, table.name))) {
        let linked = false;
        try {
          linkSync(joinPath(t.previous.path, table.name), destPath);
          linked = true;
        } catch {
          // no hard links here (another file system, FAT, ...): copy it
        }
        if (linked) {
          // The previous backup's file is checked too: damage since then is not carried on silently.
          point.authenticate(table.name);
          filesLinked++;
          bytesLinked += table.byteLength;
          filesDone++;
          bytesDone += table.byteLength;
          report();
          point.check();
          continue;
        }
      }
      const src = point.openTable(table.name);
      try {
        await copyFile(src, vfs, destPath, table.byteLength, sliceBytes, (n) => {
          bytesDone += n;
          report();
          point.check();
        });
      } finally {
        src.close();
      }
      point.authenticate(table.name);
      filesDone++;
      report();
      point.check();
    }
    return {
      mode: 'sealed',
      lastSeqNum: point.lastSeqNum,
      filesTotal,
      filesCopied: filesTotal - filesLinked,
      filesLinked,
      bytesTotal,
      bytesCopied: bytesTotal - bytesLinked,
      bytesLinked,
    };
  } finally {
    point.release();
  }
}

/** The previous backup holds the same immutable file: same size and header (magic, kind, generation, number, random salt). */
function shareable(vfs: Vfs, point: { openTable(name: string): VfsFile }, table: { name: string; byteLength: number }, prevPath: string): boolean {
  if (!vfs.exists(prevPath)) return false;
  if (fileSize(vfs, prevPath) !== table.byteLength) return false;
  const theirs = readHeader(vfs, prevPath);
  if (theirs === null) return false;
  const src = point.openTable(table.name);
  try {
    return equalBytes(src.readAt(0, FILE_HEADER_BYTES), theirs);
  } finally {
    src.close();
  }
}

async function logicalCopy(engine: Engine, t: Target, o: EngineBackupOptions, sliceBytes: number): Promise<Counts> {
  const rk = o.rekey!;
  const plain = 'plain' in rk;
  const info = engine.info();
  const bytesTotal = info.tableBytesPerLevel.reduce((a, b) => a + b, 0) + info.memtableBytes;
  const snap = engine.snapshot();
  let out: Engine | null = null;
  try {
    out = openEngine(t.partial, plain ? { encryption: false, synchronous: 'off' } : { key: rk.key, ...(rk.kdf ? { kdf: rk.kdf } : {}), ...(rk.fips ? { fips: true } : {}), synchronous: 'off' });
    let bytesDone = 0;
    let last: Uint8Array | null = null;
    o.progress?.({ filesDone: 0, filesTotal: 1, bytesDone, bytesTotal });
    for (;;) {
      const it = engine.iterator({ snapshot: snap, ...(last !== null ? { gt: last } : {}) });
      const batch = createWriteBatch();
      let n = 0;
      let more = false;
      try {
        while (it.next()) {
          batch.put(it.key(), it.value());
          n += it.key().length + it.value().length;
          last = it.key().slice();
          if (n >= sliceBytes) {
            more = true;
            break;
          }
        }
      } finally {
        it.close();
      }
      out.write(batch);
      bytesDone += n;
      o.progress?.({ filesDone: 0, filesTotal: 1, bytesDone: Math.min(bytesDone, bytesTotal), bytesTotal: Math.max(bytesTotal, bytesDone) });
      if (!more) break;
      await yieldTurn();
    }
    const e = out;
    out = null;
    e.close();
    const vfs = createNodeVfs();
    const files = vfs.list(t.partial).filter((n) => n !== LOCK_FILE && parseFileName(n).type !== 'temp');
    const bytes = files.reduce((a, n) => a + fileSize(vfs, joinPath(t.partial, n)), 0);
    o.progress?.({ filesDone: 1, filesTotal: 1, bytesDone: Math.max(bytesTotal, bytesDone), bytesTotal: Math.max(bytesTotal, bytesDone) });
    return { mode: plain ? 'plain' : 'rekeyed', lastSeqNum: snap.seqNum, filesTotal: files.length, filesCopied: files.length, filesLinked: 0, bytesTotal: bytes, bytesCopied: bytes, bytesLinked: 0 };
  } finally {
    snap.release();
    if (out !== null) {
      try {
        out.close();
      } catch {
        // the backup failed already; its directory is removed
      }
    }
  }
}

export interface RestoreOptions {
  /** In a set: the backup to restore (its name); default the newest. */
  readonly name?: string;
  readonly progress?: (p: BackupProgress) => void;
}

/** The backup directory `source` names: itself, or in a set the named or newest backup. */
export function resolveBackup(source: string, name?: string, vfs: Vfs = createNodeVfs()): string {
  if (typeof source !== 'string' || source === '') throw new HeliosError('INVALID_ARGUMENT', 'backup path must be a non-empty string');
  if (vfs.exists(joinPath(source, SUPERBLOCK_FILE))) {
    if (name !== undefined) throw new HeliosError('INVALID_ARGUMENT', `${source} is a backup, not a backup set: it has no backup named ${name}`);
    return source;
  }
  const all = listBackups(source, vfs);
  if (name !== undefined) {
    const b = all.find((x) => x.name === name);
    if (b === undefined) throw new HeliosError('CONFIG', `backup set ${source} has no backup named ${name}`);
    return b.path;
  }
  if (all.length === 0) throw new HeliosError('CONFIG', `${source} holds no backup`);
  return all[all.length - 1]!.path;
}

/**
 * Copies backup `source` (a backup, or the newest/named one of a set) to the
 * new database directory `dest` [ENG-BAK-RESTORE-1]: every file but LOCK, synced,
 * written under `<dest>.partial` and renamed. `dest` must not exist. The
 * files are copied byte for byte: the restored database opens with the keys
 * that opened the backup.
 */
export function restoreFiles(source: string, destPath: string, o: RestoreOptions = {}): { path: string; source: string; files: number; bytes: number } {
  const vfs = createNodeVfs();
  const from = resolveBackup(source, o.name, vfs);
  if (typeof destPath !== 'string' || destPath === '') throw new HeliosError('INVALID_ARGUMENT', 'restore destination must be a non-empty path');
  const dest = trimSlashes(destPath);
  if (vfs.exists(dest)) throw new HeliosError('CONFIG', `restore destination ${dest} exists (a restore never overwrites anything)`);
  const names = vfs.list(from).filter((n) => {
    const p = parseFileName(n);
    return p.type !== 'lock' && p.type !== 'temp' && p.type !== 'other';
  });
  const sizes = names.map((n) => fileSize(vfs, joinPath(from, n)));
  const bytesTotal = sizes.reduce((a, b) => a + b, 0);
  const partial = dest + PARTIAL_SUFFIX;
  if (vfs.exists(partial)) removeTree(partial);
  vfs.mkdir(partial);
  try {
    let bytesDone = 0;
    o.progress?.({ filesDone: 0, filesTotal: names.length, bytesDone, bytesTotal });
    names.forEach((n, i) => {
      const src = vfs.openRead(joinPath(from, n));
      const out = vfs.create(joinPath(partial, n));
      try {
        for (let off = 0; off < sizes[i]!; ) {
          const bytes = src.readAt(off, Math.min(DEFAULT_SLICE_BYTES, sizes[i]! - off));
          if (bytes.length === 0) break;
          out.append(bytes);
          off += bytes.length;
          bytesDone += bytes.length;
        }
        out.sync();
      } finally {
        out.close();
        src.close();
      }
      o.progress?.({ filesDone: i + 1, filesTotal: names.length, bytesDone, bytesTotal });
    });
    vfs.syncDir(partial);
    vfs.rename(partial, dest);
    vfs.syncDir(dirName(dest));
  } catch (e) {
    removeTree(partial);
    throw e;
  }
  return { path: dest, source: from, files: names.length, bytes: bytesTotal };
}
