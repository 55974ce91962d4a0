/**
 * Where TEMP tables keep their rows and index entries: an engine of its own
 * over an in-memory file system (engine/mem-vfs.ts), opened when the first
 * TEMP key is written and dropped with the session. Nothing of it ever
 * reaches a disk, so TEMP data is never plaintext on disk (and is gone when
 * the database closes, as SQLite's temp database is).
 *
 * TEMP objects take ids from TEMP_ID_BASE up (catalog.ts), so their keys —
 * `u32 id ‖ …` for rows and index entries, and the AUTOINCREMENT mark
 * `00000000 51 ‖ u32 id` — are told from the main database's by their bytes
 * alone (isTempKey); the overlay (txn.ts) routes each read, scan and commit
 * by it.
 */
import { openEngine, type Engine, type EngineIterator, type WriteBatch } from '../engine/engine.ts';
import { createMemVfs } from '../engine/mem-vfs.ts';

/** The first id of a TEMP object: ids of the main database stay below it ([SQL-CAT-8]). */
export const TEMP_ID_BASE = 0x80000000;

/** Whether `key` belongs to a TEMP object (its id, or the id its AUTOINCREMENT mark names, is >= TEMP_ID_BASE). */
export function isTempKey(key: Uint8Array): boolean {
  if (key.length === 0) return false;
  if (key[0]! >= 0x80) return true;
  return key.length >= 9 && key[0] === 0 && key[1] === 0 && key[2] === 0 && key[3] === 0 && key[4] === 0x51 && key[5]! >= 0x80;
}

export interface TempStore {
  get(key: Uint8Array): Uint8Array | undefined;
  iterator(options: { gte: Uint8Array; lt: Uint8Array; reverse?: boolean }): EngineIterator;
  write(batch: WriteBatch): void;
  /** Drops every TEMP row (the session closes). */
  close(): void;
}

const EMPTY: EngineIterator = {
  next: () => false,
  key: () => new Uint8Array(0),
  value: () => new Uint8Array(0),
  seek: () => undefined,
  close: () => undefined,
};

export function createTempStore(): TempStore {
  let engine: Engine | null = null;
  return {
    get: (key) => (engine === null ? undefined : engine.get(key)),
    iterator: (options) => (engine === null ? EMPTY : engine.iterator(options)),
    write(batch) {
      engine ??= openEngine('/temp.db', { vfs: createMemVfs(), encryption: false, synchronous: 'off' });
      engine.write(batch);
    },
    close() {
      engine?.close();
      engine = null;
    },
  };
}
