/**
 * The b-tree reader on hand-built files (fileformat2 layouts written byte by
 * byte here): a well-formed one imports, and each crafted defect — a page
 * reached twice (a cycle), a pointer outside the file, an overflow chain
 * that loops, a payload larger than the file, a wrong page type, rowids out
 * of order, a tree deeper than SQLite allows — is IMPORT_FORMAT, at once.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeliosError } from '../../format/errors.ts';
import { Database } from '../database.ts';
import { importSqlite } from './importer.ts';

const PAGE = 512;
const dir = mkdtempSync(join(tmpdir(), 'helios-sqlite-file-'));
let n = 0;

function varint(x: number): number[] {
  if (x < 0x80) return [x];
  const out: number[] = [];
  let v = x;
  out.unshift(v & 0x7f);
  v = Math.floor(v / 128);
  while (v > 0) {
    out.unshift((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  return out;
}

function record(values: (string | number | null)[]): number[] {
  const types: number[] = [];
  const body: number[] = [];
  for (const v of values) {
    if (v === null) types.push(0);
    else if (typeof v === 'number') {
      types.push(4);
      body.push((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
    } else {
      const b = [...new TextEncoder().encode(v)];
      types.push(13 + 2 * b.length);
      body.push(...b);
    }
  }
  const th = types.flatMap(varint);
  return [...varint(th.length + 1), ...th, ...body];
}

/** A b-tree page: `cells` are the raw cells; `right` is the right-most child for an interior page. */
function page(type: 13 | 5, cells: number[][], pgno: number, right = 0): Uint8Array {
  const p = new Uint8Array(PAGE);
  const h = pgno === 1 ? 100 : 0;
  const dv = new DataView(p.buffer);
  p[h] = type;
  dv.setUint16(h + 3, cells.length);
  let end = PAGE;
  const ptrs = h + (type === 5 ? 12 : 8);
  cells.forEach((c, i) => {
    end -= c.length;
    p.set(c, end);
    dv.setUint16(ptrs + 2 * i, end);
  });
  dv.setUint16(h + 5, end);
  if (type === 5) dv.setUint32(h + 8, right);
  return p;
}

const leafCell = (rowid: number, payload: number[]): number[] => [...varint(payload.length), ...varint(rowid), ...payload];
const interiorCell = (child: number, key: number): number[] => [(child >>> 24) & 255, (child >>> 16) & 255, (child >>> 8) & 255, child & 255, ...varint(key)];

function file(pages: Uint8Array[]): string {
  const b = new Uint8Array(PAGE * pages.length);
  pages.forEach((p, i) => b.set(p, i * PAGE));
  b.set(new TextEncoder().encode('SQLite format 3\0'), 0);
  const dv = new DataView(b.buffer);
  dv.setUint16(16, PAGE);
  b[18] = 1;
  b[19] = 1;
  b[21] = 64;
  b[22] = 32;
  b[23] = 32;
  dv.setUint32(28, pages.length);
  dv.setUint32(44, 4);
  dv.setUint32(56, 1);
  const path = join(dir, `c${n++}.sqlite`);
  writeFileSync(path, b);
  return path;
}

const schemaPage = (root = 2): Uint8Array => page(13, [leafCell(1, record(['table', 't', 't', root, 'CREATE TABLE t(a)']))], 1);

function importError(path: string): string {
  const dest = join(dir, `d${n++}.db`);
  try {
    importSqlite(path, dest, { encryption: false });
  } catch (e) {
    assert.not.ok(existsSync(dest));
    if (e instanceof HeliosError) return `${e.code}: ${e.message}`;
    return `not a HeliosError: ${String(e)}`;
  }
  return 'imported';
}

test('a hand-built file with an interior page and two leaves imports its rows', () => {
  const path = file([schemaPage(), page(5, [interiorCell(3, 2)], 2, 4), page(13, [leafCell(1, record(['one'])), leafCell(2, record(['two']))], 3), page(13, [leafCell(7, record([7]))], 4)]);
  const dest = join(dir, `d${n++}.db`);
  importSqlite(path, dest, { encryption: false });
  const db = new Database(dest, { encryption: false });
  assert.equal(db.prepare('SELECT rowid, a FROM t').raw().all(), [[1, 'one'], [2, 'two'], [7, 7]]);
  db.close();
});

test('an interior page that points to itself is a cycle: IMPORT_FORMAT', () => {
  assert.match(importError(file([schemaPage(), page(5, [interiorCell(2, 1)], 2, 3), page(13, [], 3)])), /^IMPORT_FORMAT: .*page 2 is reached twice/);
});

test('two interior pages pointing to each other, and two trees sharing a page, are IMPORT_FORMAT', () => {
  assert.match(importError(file([schemaPage(), page(5, [], 2, 3), page(5, [], 3, 2)])), /^IMPORT_FORMAT: .*reached twice/);
  const shared = page(13, [leafCell(1, record(['x']))], 2);
  const two = page(13, [leafCell(1, record(['table', 't', 't', 2, 'CREATE TABLE t(a)'])), leafCell(2, record(['table', 'u', 'u', 2, 'CREATE TABLE u(a)']))], 1);
  assert.match(importError(file([two, shared])), /^IMPORT_FORMAT: .*reached twice/);
});

test('a child pointer outside the file, a root of 0 and a page of the wrong type are IMPORT_FORMAT', () => {
  assert.match(importError(file([schemaPage(), page(5, [interiorCell(99, 1)], 2, 3), page(13, [], 3)])), /^IMPORT_FORMAT: .*page 99, outside/);
  assert.match(importError(file([schemaPage(0), page(13, [], 2)])), /^IMPORT_FORMAT: .*no root page/);
  const notTable = page(13, [], 2);
  notTable[0] = 10;
  assert.match(importError(file([schemaPage(), notTable])), /^IMPORT_FORMAT: .*type 10/);
});

test('an overflow chain that loops, and a payload larger than the file, are IMPORT_FORMAT without allocating it', () => {
  // A 2000-byte payload on 512-byte pages keeps K bytes local and continues on page 3, which names itself as next.
  const payload = record(['x'.repeat(2000)]);
  const U = PAGE;
  const M = Math.floor(((U - 12) * 32) / 255) - 23;
  const K = M + ((payload.length - M) % (U - 4));
  const local = K <= U - 35 ? K : M;
  const cell = [...varint(payload.length), ...varint(1), ...payload.slice(0, local), 0, 0, 0, 3];
  const ov = new Uint8Array(PAGE);
  new DataView(ov.buffer).setUint32(0, 3);
  assert.match(importError(file([schemaPage(), page(13, [cell], 2), ov, new Uint8Array(PAGE), new Uint8Array(PAGE), new Uint8Array(PAGE)])), /^IMPORT_FORMAT: .*page 3 is reached twice/);
  const huge = [...varint(900_000_000), ...varint(1), 1, 2, 3];
  assert.match(importError(file([schemaPage(), page(13, [huge], 2)])), /^IMPORT_FORMAT: .*more than the file holds/);
  const tooHuge = [...varint(2 ** 40), ...varint(1), 1, 2, 3];
  assert.match(importError(file([schemaPage(), page(13, [tooHuge], 2)])), /^IMPORT_FORMAT: .*claims a payload/);
});

test('rowids out of order and a tree deeper than 20 levels are IMPORT_FORMAT', () => {
  assert.match(importError(file([schemaPage(), page(13, [leafCell(5, record([1])), leafCell(3, record([2]))], 2)])), /^IMPORT_FORMAT: .*out of rowid order/);
  const pages = [schemaPage()];
  for (let p = 2; p < 28; p++) pages.push(page(5, [], p, p + 1));
  pages.push(page(13, [], 28));
  assert.match(importError(file(pages)), /^IMPORT_FORMAT: .*deeper than 20/);
});

test('a bad header (page size, payload fractions, text encoding) and a short file are IMPORT_FORMAT', () => {
  const base = file([schemaPage(), page(13, [], 2)]);
  const bytes = new Uint8Array(readFileSync(base));
  const variants: [number, number][] = [[16, 3], [21, 60], [59, 9], [19, 3]];
  for (const [at, value] of variants) {
    const b = bytes.slice();
    b[at] = value;
    const p = join(dir, `h${n++}.sqlite`);
    writeFileSync(p, b);
    assert.match(importError(p), /^IMPORT_FORMAT/, `byte ${at} = ${value}`);
  }
  const short = join(dir, `s${n++}.sqlite`);
  writeFileSync(short, bytes.subarray(0, 60));
  assert.match(importError(short), /^IMPORT_FORMAT/);
});

test('opening a SQLite file as a HeliosDB database is NOT_A_DATABASE naming the import, on every runtime', () => {
  const path = file([schemaPage(), page(13, [], 2)]);
  for (const readonly of [false, true]) {
    let err: unknown;
    try {
      new Database(path, { encryption: false, readonly });
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof HeliosError && err.code === 'NOT_A_DATABASE', String(err));
    assert.match((err as Error).message, /SQLite database file.*importSqlite.*heliosdb import-sqlite/);
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
