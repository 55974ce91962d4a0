/**
 * The table files of an open engine: one handle per live (or obsolete but
 * still pinned) table, the levels as the manifest's version orders them, and
 * point reads across them.
 *
 * Invariants:
 *  - a table is opened on first use and checked against the manifest's size,
 *    digest and generation [FMT-SST-DIGEST-2];
 *  - a table no longer in the version is deleted only once no iterator or
 *    running compaction pins it (refs 0);
 *  - L0 is ordered newest first, deeper levels by smallest key (they do not
 *    overlap), so `get` reads at most one table per level below L0.
 */
import { compareBytes } from '../format/bytes.ts';
import type { TableFileMeta } from '../format/manifest-edit.ts';
import { KIND_TOMBSTONE, type BlockView } from '../format/sstable-block.ts';
import { decodeInternalKey } from '../format/sstable-footer.ts';
import type { Keyring } from '../crypto/superblock.ts';
import type { BlockCache } from './block-cache.ts';
import type { LevelFile } from './compaction.ts';
import { tableFileName } from './file-names.ts';
import type { Version } from './manifest.ts';
import { openTable, type Table } from './sstable-reader.ts';
import type { Vfs, VfsFile } from './vfs.ts';
import { joinPath } from './vfs-path.ts';

/** One live (or obsolete but still pinned) table file. */
export interface TableHandle {
  readonly meta: TableFileMeta;
  readonly file: LevelFile;
  table: Table | null;
  /** Open iterators and running compactions reading it. */
  refs: number;
  /** No longer in the version: deleted once refs reaches 0. */
  obsolete: boolean;
}

export interface TableSet {
  /** Handles per level (L0 newest first, deeper levels by key), as of the last sync(). */
  readonly levels: readonly (readonly TableHandle[])[];
  /** Rebuilds the levels from `version`, keeping the handles of tables still in it. */
  sync(version: Version): void;
  handle(fileNumber: number): TableHandle;
  /** The level files the compaction picker reads. */
  levelFiles(): LevelFile[][];
  /** Opens the table of `h` on first use. */
  tableOf(h: TableHandle): Table;
  pin(hs: readonly TableHandle[]): void;
  /** Unpins; tables that are obsolete and no longer pinned are deleted (errors ignored: the next open deletes them). */
  unpin(hs: readonly TableHandle[]): void;
  /** Newest version of `key` at `seq` in the tables (a copy), null if deleted, undefined if absent. */
  get(key: Uint8Array, seq: number): Uint8Array | null | undefined;
  /** Key generation of every table with a handle (live or pinned). */
  generations(): number[];
  /** Closes every opened table (and the files opened in advance). */
  close(): void;
}

export interface TableSetOptions {
  vfs: Vfs;
  dir: string;
  keyring: Keyring;
  cache: BlockCache<BlockView>;
  /** Files opened in advance (a readonly open), used instead of opening by name. */
  preopened: Map<number, VfsFile>;
}

export function createTableSet(o: TableSetOptions): TableSet {
  const { vfs, dir } = o;
  const handles = new Map<number, TableHandle>();
  let levels: TableHandle[][] = [];

  const toHandle = (m: TableFileMeta): TableHandle => {
    const name = tableFileName(m.fileNumber);
    const lo = decodeInternalKey(m.smallest, name, 0);
    const hi = decodeInternalKey(m.largest, name, 0);
    const file: LevelFile = { fileNumber: m.fileNumber, fileSize: m.byteLength, generation: m.generation, smallestKey: lo.userKey, smallestSeq: lo.seqNum, largestKey: hi.userKey, largestSeq: hi.seqNum };
    return { meta: m, file, table: null, refs: 0, obsolete: false };
  };

  const tableOf = (h: TableHandle): Table => {
    if (h.table === null) {
      const name = tableFileName(h.meta.fileNumber);
      const opened = o.preopened.get(h.meta.fileNumber);
      o.preopened.delete(h.meta.fileNumber);
      h.table = openTable({
        file: opened ?? vfs.openRead(joinPath(dir, name)),
        fileName: name,
        fileNumber: h.meta.fileNumber,
        keyring: o.keyring,
        cache: o.cache,
        expected: { fileSize: h.meta.byteLength, digest: h.meta.digest, generation: h.meta.generation },
      });
    }
    return h.table;
  };

  const dropTable = (h: TableHandle): void => {
    h.table?.close();
    h.table = null;
    handles.delete(h.meta.fileNumber);
    try {
      vfs.remove(joinPath(dir, tableFileName(h.meta.fileNumber)));
    } catch {
      // Unreferenced by the manifest: the next open deletes it.
    }
  };

  return {
    get levels() {
      return levels;
    },
    sync(version) {
      levels = version.levels.map((files, i) => {
        const hs = files.map((f) => {
          let h = handles.get(f.fileNumber);
          if (!h) handles.set(f.fileNumber, (h = toHandle(f)));
          return h;
        });
        if (i === 0) hs.sort((a, b) => b.meta.fileNumber - a.meta.fileNumber);
        else hs.sort((a, b) => compareBytes(a.file.smallestKey, b.file.smallestKey));
        return hs;
      });
    },
    handle(fileNumber) {
      return handles.get(fileNumber)!;
    },
    levelFiles() {
      return levels.map((l) => l.map((h) => h.file));
    },
    tableOf,
    pin(hs) {
      for (const h of hs) h.refs++;
    },
    unpin(hs) {
      let removed = false;
      for (const h of hs) {
        h.refs--;
        if (h.refs === 0 && h.obsolete) {
          dropTable(h);
          removed = true;
        }
      }
      if (removed) {
        try {
          vfs.syncDir(dir);
        } catch {
          // As above.
        }
      }
    },
    get(key, seq) {
      for (const h of levels[0]!) {
        const e = tableOf(h).get(key, seq);
        if (e) return e.kind === KIND_TOMBSTONE ? null : e.value;
      }
      for (let l = 1; l < levels.length; l++) {
        const hs = levels[l]!;
        let lo = 0;
        let hi = hs.length;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (compareBytes(hs[mid]!.file.largestKey, key) < 0) lo = mid + 1;
          else hi = mid;
        }
        const h = hs[lo];
        if (h === undefined || compareBytes(h.file.smallestKey, key) > 0) continue;
        const e = tableOf(h).get(key, seq);
        if (e) return e.kind === KIND_TOMBSTONE ? null : e.value;
      }
      return undefined;
    },
    generations() {
      return [...handles.values()].map((h) => h.meta.generation);
    },
    close() {
      for (const h of handles.values()) h.table?.close();
      for (const f of o.preopened.values()) f.close();
      o.preopened.clear();
    },
  };
}
