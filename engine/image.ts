/**
 * Database images (spec/format.md [ENG-IMAGE-1]): the files of a database
 * directory at one consistent point, framed into one byte string. The
 * drop-in's `db.serialize()` returns one and `new Database(buffer)` opens one
 * into an in-memory file system (engine/mem-vfs.ts). The files are copied as
 * they are: an encrypted database's image is sealed under the same key (the
 * key opens it again); an unencrypted database's image is plain bytes.
 *
 * Layout (all integers big-endian, as everywhere in spec/format.md):
 *   magic "HLIMAGE1" (8 bytes) · file count u32
 *   per file, names in ascending byte order, no duplicates:
 *     name length u16 · name (ASCII) · byte length u32 · run count u32 ·
 *     runs: zero bytes u32 · literal length u32 · literal bytes
 *   (the runs rebuild the file: each adds that many zero bytes, then its
 *   literal bytes; they add up to the byte length exactly. Zero stretches of
 *   at least 32 bytes — the unused end of a WAL or manifest block — are
 *   runs, so an empty database's image is a few hundred bytes)
 *   CRC-32C (format/crc32c.ts) of everything before it, u32
 * Only the names of database files are accepted (HELIOS, CURRENT,
 * MANIFEST-n, n.wal, n.sst); HELIOS and CURRENT must be present.
 */
import { HeliosError } from '../format/errors.ts';
import { crc32c } from '../format/crc32c.ts';
import { CURRENT_FILE, SUPERBLOCK_FILE, parseFileName } from './file-names.ts';
import type { Engine } from './engine.ts';
import { createMemVfs } from './mem-vfs.ts';
import type { Vfs } from './vfs-interface.ts';
import { joinPath } from './vfs-path.ts';

export const IMAGE_MAGIC = new Uint8Array([0x48, 0x4c, 0x49, 0x4d, 0x41, 0x47, 0x45, 0x31]); // "HLIMAGE1"

export interface ImageFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

const IMAGE_FILE = '<image>';
/** Shortest stretch of zero bytes stored as a run. */
const MIN_ZERO_RUN = 32;

/** [zeros, literalStart, literalEnd] runs rebuilding `b`. */
function zeroRuns(b: Uint8Array): [number, number, number][] {
  const runs: [number, number, number][] = [];
  let i = 0;
  let zeros = 0;
  while (i < b.length) {
    // The literal runs from i to the next stretch of MIN_ZERO_RUN zeros (or the end).
    let j = i;
    let z = 0;
    while (j < b.length) {
      if (b[j] === 0) {
        z++;
        if (z >= MIN_ZERO_RUN) break;
      } else z = 0;
      j++;
    }
    const litEnd = j < b.length ? j - z + 1 : j;
    runs.push([zeros, i, litEnd]);
    let k = litEnd;
    while (k < b.length && b[k] === 0) k++;
    zeros = k - litEnd;
    i = k;
  }
  if (zeros > 0 || runs.length === 0) runs.push([zeros, b.length, b.length]);
  return runs;
}

function imageFileName(name: string): boolean {
  const t = parseFileName(name).type;
  return t === 'superblock' || t === 'current' || t === 'manifest' || t === 'wal' || t === 'sst';
}

/** Frames `files` into an image [ENG-IMAGE-1] (sorted by name). */
export function encodeImage(files: readonly ImageFile[]): Uint8Array {
  const sorted = [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let size = 8 + 4 + 4;
  for (const f of sorted) {
    if (!imageFileName(f.name)) throw new HeliosError('INVALID_ARGUMENT', `${f.name} is not a database file`);
    if (f.bytes.length > 0xffffffff) throw new HeliosError('TOO_BIG', `${f.name} is too large for an image`);
  }
  const encoded = sorted.map((f) => ({ f, runs: zeroRuns(f.bytes) }));
  for (const { f, runs } of encoded) {
    size += 2 + f.name.length + 4 + 4;
    for (const [, a, b] of runs) size += 8 + (b - a);
  }
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  out.set(IMAGE_MAGIC, 0);
  let p = 8;
  dv.setUint32(p, sorted.length);
  p += 4;
  for (const { f, runs } of encoded) {
    dv.setUint16(p, f.name.length);
    p += 2;
    for (let i = 0; i < f.name.length; i++) out[p + i] = f.name.charCodeAt(i);
    p += f.name.length;
    dv.setUint32(p, f.bytes.length);
    dv.setUint32(p + 4, runs.length);
    p += 8;
    for (const [zeros, a, b] of runs) {
      dv.setUint32(p, zeros);
      dv.setUint32(p + 4, b - a);
      p += 8;
      out.set(f.bytes.subarray(a, b), p);
      p += b - a;
    }
  }
  dv.setUint32(p, crc32c(out.subarray(0, p)));
  return out;
}

/** Parses an image [ENG-IMAGE-1]; a damaged or crafted one is NOT_A_DATABASE (no magic) or CORRUPTION. */
export function decodeImage(image: Uint8Array): ImageFile[] {
  const bad = (what: string, offset: number): never => {
    throw new HeliosError('CORRUPTION', `${IMAGE_FILE}: ${what} at offset ${offset}`, { file: IMAGE_FILE, offset });
  };
  if (image.length < 16 || !IMAGE_MAGIC.every((b, i) => image[i] === b)) {
    throw new HeliosError('NOT_A_DATABASE', 'the buffer is not a HeliosDB database image (no HLIMAGE1 magic)');
  }
  const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const end = image.length - 4;
  if (dv.getUint32(end) !== crc32c(image.subarray(0, end))) bad('checksum mismatch', end);
  const count = dv.getUint32(8);
  let p = 12;
  const files: ImageFile[] = [];
  let previous = '';
  for (let i = 0; i < count; i++) {
    if (p + 2 > end) bad('truncated file entry', p);
    const nameLength = dv.getUint16(p);
    p += 2;
    if (p + nameLength + 4 > end) bad('truncated file entry', p);
    let name = '';
    for (let j = 0; j < nameLength; j++) name += String.fromCharCode(image[p + j]!);
    if (!imageFileName(name)) bad(`unexpected file name ${JSON.stringify(name)}`, p);
    if (i > 0 && name <= previous) bad('file names out of order or repeated', p);
    previous = name;
    p += nameLength;
    const length = dv.getUint32(p);
    if (length > image.length * 4096) bad(`${name}: implausible byte length ${length}`, p);
    const runCount = dv.getUint32(p + 4);
    p += 8;
    const bytes = new Uint8Array(length);
    let at = 0;
    for (let r = 0; r < runCount; r++) {
      if (p + 8 > end) bad(`${name}: truncated run`, p);
      const zeros = dv.getUint32(p);
      const lit = dv.getUint32(p + 4);
      p += 8;
      if (at + zeros + lit > length || p + lit > end) bad(`${name}: a run exceeds the file or the image`, p);
      at += zeros;
      bytes.set(image.subarray(p, p + lit), at);
      at += lit;
      p += lit;
    }
    if (at !== length) bad(`${name}: runs make ${at} bytes, not ${length}`, p);
    files.push({ name, bytes });
  }
  if (p !== end) bad('bytes after the last file', p);
  if (!files.some((f) => f.name === SUPERBLOCK_FILE) || !files.some((f) => f.name === CURRENT_FILE)) bad('no HELIOS or CURRENT file', 12);
  return files;
}

/**
 * The files of `engine` at its last commit, taken synchronously: the backup
 * point (Engine.beginBackup, spec/backup.md [ENG-BAK-POINT-1]: HELIOS, the WAL
 * up to the last commit, a manifest and a cleanly closed CURRENT) written into
 * a scratch in-memory directory, plus the table files it pins.
 */
export function captureEngineFiles(engine: Engine): ImageFile[] {
  const vfs = createMemVfs();
  const dir = '/image';
  vfs.mkdir(dir);
  const point = engine.beginBackup(vfs, dir);
  try {
    const files: ImageFile[] = point.written.map((w) => ({ name: w.name, bytes: vfs.readFile(joinPath(dir, w.name), w.byteLength + 1) }));
    for (const t of point.tables) {
      const f = point.openTable(t.name);
      try {
        const bytes = f.readAt(0, t.byteLength);
        if (bytes.length !== t.byteLength) throw new HeliosError('CORRUPTION', `${t.name}: shorter than its ${t.byteLength} bytes`, { file: t.name, offset: bytes.length });
        files.push({ name: t.name, bytes });
      } finally {
        f.close();
      }
    }
    return files;
  } finally {
    point.release();
  }
}

/** The database files of directory `dir` as they are (for a readonly handle, under which nothing changes them). */
export function readDirectoryFiles(vfs: Vfs, dir: string): ImageFile[] {
  return vfs
    .list(dir)
    .filter(imageFileName)
    .map((name) => ({ name, bytes: vfs.readFile(joinPath(dir, name), 0xffffffff) }));
}

/** Writes the files of an image into directory `dir` of `vfs` (a fresh in-memory file system). */
export function writeImageFiles(vfs: Vfs, dir: string, files: readonly ImageFile[]): void {
  vfs.mkdir(dir);
  for (const f of files) {
    const h = vfs.create(joinPath(dir, f.name));
    try {
      h.append(f.bytes);
      h.sync();
    } finally {
      h.close();
    }
  }
  vfs.syncDir(dir);
}
