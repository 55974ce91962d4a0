/**
 * The pages of a SQLite database file, plain or SQLCipher-encrypted, read
 * through the Vfs for the importer (sql/import/). Read-only: the source file
 * is never written. Each page is read when asked for, so memory stays at a
 * few pages whatever the file's size.
 *
 * Errors: IMPORT_FORMAT (not a SQLite file, a damaged or short file),
 * WRONG_KEY (the SQLCipher key does not authenticate page 1: nothing says
 * which check failed), CONFIG (a key given for a plain file), IO.
 */
import { HeliosError } from '../format/errors.ts';
import { createSqlcipherKeys, sqlcipherParams, SQLCIPHER_SALT_BYTES, type SqlcipherKeys, type SqlcipherSecret } from '../crypto/sqlcipher.ts';
import type { Vfs, VfsFile } from './vfs-interface.ts';

/** "SQLite format 3\0", the first 16 bytes of every plain SQLite database file. */
export const SQLITE_MAGIC = new Uint8Array([0x53, 0x51, 0x4c, 0x69, 0x74, 0x65, 0x20, 0x66, 0x6f, 0x72, 0x6d, 0x61, 0x74, 0x20, 0x33, 0x00]);

export interface SqlcipherSourceOptions {
  /** The SQLCipher passphrase (PRAGMA key = 'passphrase'). */
  readonly passphrase?: string | Uint8Array;
  /** A raw key: 32 bytes (or 48 with the salt), or the `x'…'` text SQLCipher takes (64 or 96 hex digits). */
  readonly rawKey?: string | Uint8Array;
  /** SQLCipher major version of the file's parameters (default 4). */
  readonly sqlcipher?: 3 | 4;
  /** PRAGMA cipher_page_size, when not the version's default. */
  readonly pageSize?: number;
  /** PRAGMA kdf_iter, when not the version's default. */
  readonly kdfIterations?: number;
}

export interface SqlitePages {
  /** The file name errors cite. */
  readonly file: string;
  readonly pageSize: number;
  /** Whole pages in the file. */
  readonly pageCount: number;
  readonly encrypted: boolean;
  /** Page `pgno` (1-based) as plaintext: a new array of pageSize bytes. IMPORT_FORMAT out of range or failing its HMAC. */
  readPage(pgno: number): Uint8Array;
  close(): void;
}

function formatError(file: string, what: string, offset?: number): HeliosError {
  return new HeliosError('IMPORT_FORMAT', `${file}: ${what}${offset !== undefined ? ` at offset ${offset}` : ''}`, offset !== undefined ? { file, offset } : { file });
}

/** Whether `head` starts with the plain SQLite magic. */
export function hasSqliteMagic(head: Uint8Array): boolean {
  if (head.length < 16) return false;
  for (let i = 0; i < 16; i++) if (head[i] !== SQLITE_MAGIC[i]) return false;
  return true;
}

/** Opens `path` as a SQLite database file; with `cipher` (a passphrase or raw key) as a SQLCipher one. */
export function openSqlitePages(vfs: Vfs, path: string, cipher?: SqlcipherSourceOptions): SqlitePages {
  const name = path.split(/[\\/]/).pop() || path;
  const f = vfs.openRead(path);
  try {
    const size = f.size();
    const head = f.readAt(0, Math.min(size, 100));
    const keyed = cipher !== undefined && (cipher.passphrase !== undefined || cipher.rawKey !== undefined);
    if (hasSqliteMagic(head)) {
      if (keyed) throw new HeliosError('CONFIG', `${name} is a plain SQLite database: it needs no passphrase or raw key`);
      if (head.length < 100) throw formatError(name, 'the database header is truncated', head.length);
      const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
      const raw = dv.getUint16(16, false);
      const pageSize = raw === 1 ? 65536 : raw;
      if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) throw formatError(name, `page size ${raw} is not a power of two in 512..65536`, 16);
      return plainPages(f, name, pageSize, size);
    }
    if (!keyed) throw new HeliosError('IMPORT_FORMAT', `${name} is not a SQLite database file (no "SQLite format 3" header; a SQLCipher database needs source.passphrase or source.rawKey)`, { file: name, offset: 0 });
    return cipherPages(f, name, size, cipher);
  } catch (e) {
    f.close();
    throw e;
  }
}

function plainPages(f: VfsFile, file: string, pageSize: number, size: number): SqlitePages {
  const pageCount = Math.floor(size / pageSize);
  return {
    file,
    pageSize,
    pageCount,
    encrypted: false,
    readPage(pgno) {
      if (!Number.isInteger(pgno) || pgno < 1 || pgno > pageCount) throw formatError(file, `page ${pgno} is outside the file's ${pageCount} pages`);
      const p = f.readAt((pgno - 1) * pageSize, pageSize);
      if (p.length !== pageSize) throw formatError(file, `page ${pgno} is short`, (pgno - 1) * pageSize);
      return p;
    },
    close: () => f.close(),
  };
}

function utf8(s: string | Uint8Array): Uint8Array {
  return typeof s === 'string' ? new TextEncoder().encode(s) : s.slice();
}

/** The raw key of a SQLCipher `x'…'` text (or bare hex), or a byte array as is. */
export function parseRawKey(k: string | Uint8Array): Uint8Array {
  if (k instanceof Uint8Array) return k.slice();
  if (typeof k !== 'string') throw new HeliosError('INVALID_ARGUMENT', "source.rawKey must be bytes or x'<64 hex digits>'");
  const m = /^(?:[xX]'([0-9a-fA-F]*)'|([0-9a-fA-F]*))$/.exec(k.trim());
  const hex = m ? (m[1] ?? m[2] ?? '') : '';
  if (hex.length !== 64 && hex.length !== 96) throw new HeliosError('INVALID_ARGUMENT', "source.rawKey must be x'<64 hex digits>' (or 96 with the salt)");
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function cipherPages(f: VfsFile, file: string, size: number, o: SqlcipherSourceOptions): SqlitePages {
  if (o.passphrase !== undefined && o.rawKey !== undefined) throw new HeliosError('INVALID_ARGUMENT', 'give source.passphrase or source.rawKey, not both');
  const version = o.sqlcipher ?? 4;
  if (version !== 3 && version !== 4) throw new HeliosError('INVALID_ARGUMENT', 'source.sqlcipher must be 3 or 4');
  const over: { pageSize?: number; kdfIterations?: number } = {};
  if (o.pageSize !== undefined) over.pageSize = o.pageSize;
  if (o.kdfIterations !== undefined) over.kdfIterations = o.kdfIterations;
  const params = sqlcipherParams(version, over);
  const { pageSize } = params;
  if (size < pageSize) throw formatError(file, `the file is shorter than one ${pageSize}-byte SQLCipher page`, 0);
  const salt = f.readAt(0, SQLCIPHER_SALT_BYTES);
  let secret: SqlcipherSecret;
  let owned: Uint8Array;
  if (o.rawKey !== undefined) {
    owned = parseRawKey(o.rawKey);
    secret = { rawKey: owned };
  } else {
    if (typeof o.passphrase !== 'string' && !(o.passphrase instanceof Uint8Array)) throw new HeliosError('INVALID_ARGUMENT', 'source.passphrase must be a string or bytes');
    owned = utf8(o.passphrase!);
    secret = { passphrase: owned };
  }
  let keys: SqlcipherKeys;
  try {
    keys = createSqlcipherKeys(secret, salt, params);
  } finally {
    owned.fill(0);
  }
  const pageCount = Math.floor(size / pageSize);
  const readPage = (pgno: number): Uint8Array => {
    if (!Number.isInteger(pgno) || pgno < 1 || pgno > pageCount) throw formatError(file, `page ${pgno} is outside the file's ${pageCount} pages`);
    const raw = f.readAt((pgno - 1) * pageSize, pageSize);
    if (raw.length !== pageSize) throw formatError(file, `page ${pgno} is short`, (pgno - 1) * pageSize);
    const plain = keys.decryptPage(raw, pgno);
    if (plain === null) {
      if (pgno === 1) throw new HeliosError('WRONG_KEY', `the key does not open the SQLCipher database ${file} (or its SQLCipher version, page size or KDF iterations differ)`, { file });
      throw formatError(file, `page ${pgno} fails its HMAC (damaged or tampered)`, (pgno - 1) * pageSize);
    }
    if (pgno === 1) plain.set(SQLITE_MAGIC, 0);
    return plain;
  };
  try {
    const p1 = readPage(1);
    const dv = new DataView(p1.buffer, p1.byteOffset, p1.byteLength);
    const raw = dv.getUint16(16, false);
    const inHeader = raw === 1 ? 65536 : raw;
    if (inHeader !== pageSize) throw formatError(file, `decrypted header names page size ${inHeader}, not the ${pageSize} given`, 16);
    if (p1[20] !== params.reserve) throw formatError(file, `decrypted header reserves ${p1[20]} bytes per page, not SQLCipher's ${params.reserve}`, 20);
  } catch (e) {
    keys.destroy();
    throw e;
  }
  return {
    file,
    pageSize,
    pageCount,
    encrypted: true,
    readPage,
    close() {
      keys.destroy();
      f.close();
    },
  };
}
