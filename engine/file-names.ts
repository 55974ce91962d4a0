/**
 * Names of the files in a database directory (DESIGN.md, spec/format.md
 * [FMT-DIR-1]). File numbers are zero-padded to at least 6 digits.
 */
import { manifestFileName } from '../format/current-file.ts';

export const SUPERBLOCK_FILE = 'HELIOS';
export const CURRENT_FILE = 'CURRENT';
export const LOCK_FILE = 'LOCK';

export { manifestFileName };

export function walFileName(fileNumber: number): string {
  return `${String(fileNumber).padStart(6, '0')}.wal`;
}

export function tableFileName(fileNumber: number): string {
  return `${String(fileNumber).padStart(6, '0')}.sst`;
}

export type ParsedFileName =
  | { readonly type: 'wal' | 'sst' | 'manifest'; readonly fileNumber: number }
  | { readonly type: 'superblock' | 'current' | 'lock' | 'temp' | 'other' };

export function parseFileName(name: string): ParsedFileName {
  if (name === SUPERBLOCK_FILE) return { type: 'superblock' };
  if (name === CURRENT_FILE) return { type: 'current' };
  // LOCK and the record and claim files of the lock protocol (engine/node-lock.ts), which only it removes.
  if (name === LOCK_FILE || name.startsWith(LOCK_FILE + '.')) return { type: 'lock' };
  if (name.endsWith('.tmp')) return { type: 'temp' };
  let m = /^(\d{6,16})\.(wal|sst)$/.exec(name);
  if (m) return { type: m[2] as 'wal' | 'sst', fileNumber: Number(m[1]) };
  m = /^MANIFEST-(\d{6,16})$/.exec(name);
  if (m) return { type: 'manifest', fileNumber: Number(m[1]) };
  return { type: 'other' };
}
