/**
 * The engine keys of the SQL layer: how tables, rows, indexes, the catalog
 * and the counters are laid out in the one ordered key space of the engine
 * (spec/sql-format.md §4, [FMT-SQLKEY-…], is the normative description).
 * Every key and value lives inside sealed engine records, so table names,
 * schema text, row keys and counters are never plaintext on disk.
 *
 * ```
 *   key                                        value
 *   00000000 4d ('M')                          u32be next object id
 *   00000000 53 ('S') ‖ u32be objectId         schema entry: UTF-8 JSON {type, name, tbl_name, sql}
 *   00000000 51 ('Q') ‖ u32be tableId          AUTOINCREMENT high-water mark (rowid8)
 *   00000000 56 ('V')                          i32be PRAGMA user_version
 *   u32be tableId ‖ rowid8                     table row: row-codec of every column
 *   u32be indexId ‖ key-codec(cols) ‖ rowid8   index entry (value: rowid8)
 *   u32be indexId ‖ key-codec(cols)            UNIQUE index entry without NULLs (value: rowid8)
 * ```
 * rowid8 is the signed 64-bit rowid big-endian with the sign bit flipped, so
 * byte order is numeric order (the same bytes as key-codec's encodeRowidKey).
 * Object id 0 is the system object; tables, indexes, views and the
 * sqlite_sequence entry get ids 1, 2, … from 'M' and ids are never reused.
 * These layouts never change once written: a different one needs a new
 * format version.
 */
import { HeliosError } from './errors.ts';

/** The object id of the system keys. */
export const SYSTEM_ID = 0;

/** The 4-byte key prefix of object `id` (a new array): every key of a table or index starts with it. */
export function objectPrefix(id: number): Uint8Array {
  const b = new Uint8Array(4);
  writeU32(b, 0, id);
  return b;
}

/** The first key after every key starting with `prefix` (prefix + 1 at its last non-0xff byte). */
export function prefixEnd(prefix: Uint8Array): Uint8Array {
  const out = prefix.slice();
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i]! !== 0xff) {
      out[i]!++;
      return out.subarray(0, i + 1);
    }
  }
  return new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
}

function writeU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/** The big-endian u32 at `o` (the caller checked the length). */
export function readU32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) >>> 0) + (b[o + 1]! << 16) + (b[o + 2]! << 8) + b[o + 3]!;
}

/** 'M': the next object id (u32be). */
export const META_KEY = new Uint8Array([0, 0, 0, 0, 0x4d]);
/** 'V': PRAGMA user_version (i32be). */
export const USER_VERSION_KEY = new Uint8Array([0, 0, 0, 0, 0x56]);
/** The range [SCHEMA_LO, SCHEMA_HI) holds every schema entry, in object id order. */
export const SCHEMA_LO = new Uint8Array([0, 0, 0, 0, 0x53]);
export const SCHEMA_HI = new Uint8Array([0, 0, 0, 0, 0x54]);

/** 'S' ‖ u32be objectId: the object's schema entry. */
export function schemaKey(objectId: number): Uint8Array {
  const b = new Uint8Array(9);
  b.set(SCHEMA_LO, 0);
  writeU32(b, 5, objectId);
  return b;
}

/** 'Q' ‖ u32be tableId: the table's AUTOINCREMENT mark. */
export function sequenceKey(tableId: number): Uint8Array {
  const b = new Uint8Array(9);
  b[4] = 0x51;
  writeU32(b, 5, tableId);
  return b;
}

const TWO32 = 4294967296;

/** Writes the order-preserving 8-byte form of a signed 64-bit rowid at `o`. */
export function writeRowid(b: Uint8Array, o: number, rowid: number | bigint): void {
  if (typeof rowid === 'number') {
    const hi = Math.floor(rowid / TWO32);
    const lo = rowid - hi * TWO32;
    writeU32(b, o, (hi ^ 0x80000000) >>> 0);
    writeU32(b, o + 4, lo >>> 0);
    return;
  }
  const u = BigInt.asUintN(64, rowid) ^ 0x8000000000000000n;
  writeU32(b, o, Number(u >> 32n));
  writeU32(b, o + 4, Number(u & 0xffffffffn));
}

/** Reads a rowid written by writeRowid: a number when safe, else a bigint. */
export function readRowid(b: Uint8Array, o: number): number | bigint {
  if (o + 8 > b.length) throw new HeliosError('CORRUPTION', 'truncated rowid in a table or index key');
  const hi = (readU32(b, o) ^ 0x80000000) | 0;
  const lo = readU32(b, o + 4);
  const v = hi * TWO32 + lo;
  if (Number.isSafeInteger(v)) return v;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** rowid8 of `rowid` (a new array). */
export function rowidBytes(rowid: number | bigint): Uint8Array {
  const b = new Uint8Array(8);
  writeRowid(b, 0, rowid);
  return b;
}

/** Key of the row `rowid` of table `tableId`. */
export function rowKey(tableId: number, rowid: number | bigint): Uint8Array {
  const b = new Uint8Array(12);
  writeU32(b, 0, tableId);
  writeRowid(b, 4, rowid);
  return b;
}

/** Rowid of a row key. */
export function rowidOfKey(key: Uint8Array): number | bigint {
  return readRowid(key, 4);
}

/** prefix(indexId) ‖ encodedCols [‖ rowid8]. */
export function indexKey(indexId: number, encodedCols: Uint8Array, rowid: number | bigint | null): Uint8Array {
  const b = new Uint8Array(4 + encodedCols.length + (rowid === null ? 0 : 8));
  writeU32(b, 0, indexId);
  b.set(encodedCols, 4);
  if (rowid !== null) writeRowid(b, 4 + encodedCols.length, rowid);
  return b;
}

/** u32be id ‖ body (a new array). */
export function prefixed(id: number, body: Uint8Array): Uint8Array {
  const b = new Uint8Array(4 + body.length);
  writeU32(b, 0, id);
  b.set(body, 4);
  return b;
}
