/**
 * The active WAL segment: commits write batches to it according to the
 * synchronous mode (engine/engine.ts [ENG-SYNC-1]).
 *
 *   'full'   one sealed record per batch, written and synced before return;
 *   'normal' one sealed record per batch, written (to the OS) before return;
 *   'off'    batch plaintexts are buffered in the process and sealed together
 *            as ONE record (format/wal-record.ts allows several batches per
 *            record) once GROUP_BYTES accumulate, or at flush()/sync(). The
 *            group is atomic as a whole, so a crash still loses a suffix of
 *            batches, never part of one; sealing 64 KiB at a time makes the
 *            cipher's per-record cost vanish.
 *
 * Failure: as log-writer.ts, the first I/O error cuts the segment back to
 * the last acknowledged record and poisons the writer. Under 'full' a batch's
 * record is acknowledged only once synced (`addSynced`), so a failed commit
 * leaves nothing of itself behind.
 */
import type { LogWriter } from './log-writer.ts';
import type { SynchronousMode } from './engine-types.ts';

const GROUP_BYTES = 64 * 1024;

export interface WalWriter {
  readonly fileNumber: number;
  /** Bytes of the segment including buffered plaintext not yet written. */
  readonly byteLength: number;
  /** Bytes actually written to the segment file (what a manifest may record as its end after sync()). */
  readonly writtenByteLength: number;
  addBatch(plaintext: Uint8Array, mode: SynchronousMode): void;
  /** Writes any buffered batches (as one record) to the OS. */
  flush(): void;
  /** flush(), then makes the segment durable. */
  sync(): void;
  /** Releases the file; buffered batches that were not flushed are dropped. */
  close(): void;
}

export function createWalWriter(log: LogWriter): WalWriter {
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const flush = (): void => {
    if (pendingBytes === 0) return;
    const group = pending.length === 1 ? pending[0]! : concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    log.add(group);
  };
  return {
    fileNumber: log.fileNumber,
    get byteLength() {
      return log.byteLength + pendingBytes;
    },
    get writtenByteLength() {
      return log.byteLength;
    },
    addBatch(plaintext, mode) {
      if (mode === 'off') {
        pending.push(plaintext);
        pendingBytes += plaintext.length;
        if (pendingBytes >= GROUP_BYTES) flush();
        return;
      }
      flush();
      if (mode === 'full') log.addSynced(plaintext);
      else log.add(plaintext);
    },
    flush,
    sync() {
      flush();
      log.sync();
    },
    close() {
      pending = [];
      pendingBytes = 0;
      log.close();
    },
  };
}

function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
