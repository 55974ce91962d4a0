/**
 * CURRENT names the live manifest, spec/format.md [FMT-CUR-1]: exactly the
 * ASCII text `MANIFEST-` followed by the manifest's file number in at least 6
 * decimal digits (zero-padded) and one line feed, e.g. `MANIFEST-000004\n`.
 * It is replaced atomically (temp file, sync, rename, sync directory). It is
 * the one engine file without a sealed body: it holds only a file name.
 */
import { corruption } from './errors.ts';
import { utf8Decode, utf8Encode } from './bytes.ts';

export function manifestFileName(fileNumber: number): string {
  return `MANIFEST-${String(fileNumber).padStart(6, '0')}`;
}

export function encodeCurrent(manifestNumber: number): Uint8Array {
  return utf8Encode(manifestFileName(manifestNumber) + '\n');
}

/** Returns the manifest file number; anything else is CORRUPTION [FMT-CUR-2]. */
export function decodeCurrent(bytes: Uint8Array): number {
  if (bytes.length > 64) corruption('CURRENT', 0, 'CURRENT is too long');
  const m = /^MANIFEST-(\d{6,16})\n$/.exec(utf8Decode(bytes));
  if (!m) corruption('CURRENT', 0, 'CURRENT does not name a manifest');
  const n = Number(m[1]);
  if (!Number.isSafeInteger(n) || manifestFileName(n) !== `MANIFEST-${m[1]}`) corruption('CURRENT', 9, 'bad manifest number');
  return n;
}
