/**
 * A reader of SQLite's database file format (fileformat2): the 100-byte
 * header, table and index b-trees (leaf and interior pages) and overflow
 * chains, over the pages engine/sqlite-pages.ts hands out (plain or
 * SQLCipher-decrypted). The freelist and pointer-map pages are never read.
 *
 * Robustness: every page is visited at most once over the whole file (a
 * page reached twice — a cycle in a b-tree or overflow chain, or two trees
 * sharing a page — is IMPORT_FORMAT), b-trees deeper than SQLite's own
 * limit are refused, and a payload is assembled only after its claimed size
 * is checked against what the file could hold. So a crafted file costs at
 * most one read per page and memory of one cell, never a hang.
 */
import type { SqlitePages } from '../../engine/sqlite-pages.ts';
import { asSigned, importError, readVarint, type TextEncoding, type Varint } from './sqlite-record.ts';

export interface SqliteHeader {
  readonly pageSize: number;
  /** Bytes of each page that hold b-tree content (pageSize - reserved). */
  readonly usableSize: number;
  readonly textEncoding: TextEncoding;
  /** 1 legacy (rollback journal), 2 WAL. */
  readonly readVersion: number;
  readonly schemaFormat: number;
  readonly userVersion: number;
  readonly applicationId: number;
}

/** SQLite's BTCURSOR_MAX_DEPTH: a deeper b-tree is corrupt. */
const MAX_DEPTH = 20;
/** SQLite's default SQLITE_MAX_LENGTH: no cell payload is larger. */
const MAX_PAYLOAD_BYTES = 1_000_000_000;

const PAGE_INTERIOR_INDEX = 2;
const PAGE_INTERIOR_TABLE = 5;
const PAGE_LEAF_INDEX = 10;
const PAGE_LEAF_TABLE = 13;

export function readSqliteHeader(p1: Uint8Array, file: string): SqliteHeader {
  const dv = new DataView(p1.buffer, p1.byteOffset, p1.byteLength);
  const raw = dv.getUint16(16, false);
  const pageSize = raw === 1 ? 65536 : raw;
  const readVersion = p1[19]!;
  if (p1[18]! < 1 || p1[18]! > 2 || readVersion < 1 || readVersion > 2) throw importError(file, `unknown file format version ${p1[18]}/${readVersion} (header offset 18)`);
  const reserved = p1[20]!;
  const usableSize = pageSize - reserved;
  if (usableSize < 480) throw importError(file, `usable page size ${usableSize} is below SQLite's minimum of 480 (header offset 20)`);
  if (p1[21] !== 64 || p1[22] !== 32 || p1[23] !== 32) throw importError(file, 'payload fractions are not 64/32/32 (header offset 21)');
  const schemaFormat = dv.getUint32(44, false);
  if (schemaFormat > 4) throw importError(file, `schema format ${schemaFormat} is unknown (header offset 44)`);
  const enc = dv.getUint32(56, false);
  // 0 is allowed in a database whose schema is still empty; SQLite then uses UTF-8.
  const textEncoding: TextEncoding = enc === 0 || enc === 1 ? 'utf-8' : enc === 2 ? 'utf-16le' : enc === 3 ? 'utf-16be' : (() => { throw importError(file, `text encoding ${enc} is unknown (header offset 56)`); })();
  return { pageSize, usableSize, textEncoding, readVersion, schemaFormat, userVersion: dv.getInt32(60, false), applicationId: dv.getInt32(68, false) };
}

export interface BtreeReader {
  readonly header: SqliteHeader;
  /** Pages read so far (each at most once). */
  pagesRead(): number;
  /** Calls `row(rowid, payload)` for every row of the table b-tree at `root`, in rowid order. */
  walkTable(root: number, row: (rowid: number | bigint, payload: Uint8Array) => void): void;
  /** Calls `entry(payload)` for every entry of the index b-tree at `root` (a WITHOUT ROWID table's rows), in key order. */
  walkIndex(root: number, entry: (payload: Uint8Array) => void): void;
}

export function createBtreeReader(pages: SqlitePages): BtreeReader {
  const file = pages.file;
  const p1 = pages.readPage(1);
  const header = readSqliteHeader(p1, file);
  if (header.pageSize !== pages.pageSize) throw importError(file, 'page size changed');
  const U = header.usableSize;
  const visited = new Uint8Array(pages.pageCount + 1);
  let read = 0;
  let page1: Uint8Array | null = p1;
  const vi: Varint = { value: 0, end: 0 };

  const take = (pgno: number, what: string): Uint8Array => {
    if (!Number.isInteger(pgno) || pgno < 1 || pgno > pages.pageCount) throw importError(file, `${what} points to page ${pgno}, outside the file's ${pages.pageCount} pages`);
    if (visited[pgno]) throw importError(file, `page ${pgno} is reached twice (${what}): the file is damaged`);
    visited[pgno] = 1;
    read++;
    if (pgno === 1 && page1 !== null) {
      const p = page1;
      page1 = null;
      return p;
    }
    return pages.readPage(pgno);
  };

  /** Bytes of a payload of `P` bytes kept on a leaf: fileformat2 §1.6. */
  const localSize = (P: number, table: boolean): number => {
    const X = table ? U - 35 : Math.floor(((U - 12) * 64) / 255) - 23;
    if (P <= X) return P;
    const M = Math.floor(((U - 12) * 32) / 255) - 23;
    const K = M + ((P - M) % (U - 4));
    return K <= X ? K : M;
  };

  /** The payload of the cell whose payload starts at `pos` of `page`. */
  const payload = (page: Uint8Array, pos: number, P: number, table: boolean, pgno: number): Uint8Array => {
    const local = localSize(P, table);
    if (Math.ceil((P - local) / (U - 4)) > pages.pageCount - read) throw importError(file, `a cell on page ${pgno} claims ${P} bytes, more than the file holds`);
    if (pos + local > U) throw importError(file, `a cell on page ${pgno} runs past the page`);
    if (local === P) return page.subarray(pos, pos + P);
    if (pos + local + 4 > U) throw importError(file, `an overflow pointer on page ${pgno} runs past the page`);
    const out = new Uint8Array(P);
    out.set(page.subarray(pos, pos + local));
    let next = new DataView(page.buffer, page.byteOffset).getUint32(pos + local, false);
    let at = local;
    while (at < P) {
      const o = take(next, `an overflow chain from page ${pgno}`);
      const n = Math.min(U - 4, P - at);
      out.set(o.subarray(4, 4 + n), at);
      at += n;
      next = new DataView(o.buffer, o.byteOffset).getUint32(0, false);
    }
    return out;
  };

  const walk = (root: number, table: boolean, cb: (rowid: number | bigint, payload: Uint8Array) => void): void => {
    const visit = (pgno: number, depth: number, what: string): void => {
      if (depth > MAX_DEPTH) throw importError(file, `b-tree rooted at page ${root} is deeper than ${MAX_DEPTH} levels`);
      const page = take(pgno, what);
      const h = pgno === 1 ? 100 : 0;
      const type = page[h]!;
      const leafType = table ? PAGE_LEAF_TABLE : PAGE_LEAF_INDEX;
      const interiorType = table ? PAGE_INTERIOR_TABLE : PAGE_INTERIOR_INDEX;
      if (type !== leafType && type !== interiorType) throw importError(file, `page ${pgno} has type ${type}, not a ${table ? 'table' : 'index'} b-tree page`);
      const dv = new DataView(page.buffer, page.byteOffset, page.byteLength);
      const cells = dv.getUint16(h + 3, false);
      const leaf = type === leafType;
      const ptrs = h + (leaf ? 8 : 12);
      if (ptrs + 2 * cells > U) throw importError(file, `page ${pgno}'s ${cells} cell pointers run past the page`);
      for (let i = 0; i < cells; i++) {
        const c = dv.getUint16(ptrs + 2 * i, false);
        if (c < ptrs + 2 * cells || c >= U) throw importError(file, `cell ${i} of page ${pgno} points outside the cell area`);
        if (leaf) {
          readVarint(page, c, U, file, vi);
          const P = vi.value;
          if (typeof P !== 'number' || P > MAX_PAYLOAD_BYTES) throw importError(file, `a cell on page ${pgno} claims a payload of ${P} bytes`);
          let pos = vi.end;
          let rowid: number | bigint = 0;
          if (table) {
            readVarint(page, pos, U, file, vi);
            rowid = asSigned(vi.value);
            pos = vi.end;
          }
          cb(rowid, payload(page, pos, P, table, pgno));
        } else {
          if (c + 4 > U) throw importError(file, `cell ${i} of page ${pgno} runs past the page`);
          const child = dv.getUint32(c, false);
          visit(child, depth + 1, `a child pointer of page ${pgno}`);
          if (!table) {
            // An interior index cell holds an entry too, between its left subtree and the next.
            readVarint(page, c + 4, U, file, vi);
            const P = vi.value;
            if (typeof P !== 'number' || P > MAX_PAYLOAD_BYTES) throw importError(file, `a cell on page ${pgno} claims a payload of ${P} bytes`);
            cb(0, payload(page, vi.end, P, false, pgno));
          }
        }
      }
      if (!leaf) visit(dv.getUint32(h + 8, false), depth + 1, `the right-most pointer of page ${pgno}`);
    };
    visit(root, 0, `the root of a ${table ? 'table' : 'index'}`);
  };

  return {
    header,
    pagesRead: () => read,
    walkTable: (root, row) => walk(root, true, row),
    walkIndex: (root, entry) => walk(root, false, (_r, p) => entry(p)),
  };
}
