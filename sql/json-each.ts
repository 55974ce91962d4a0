/**
 * json_each(json, root) and json_tree(json, root): the table-valued JSON
 * functions (json1.html §4.23), as virtual tables (sql/vtab.ts).
 *
 * json_each lists the children of the element `root` selects (the element
 * itself when it is not an array or object); json_tree lists that element
 * and every descendant, parents first. Columns as in SQLite: key (array
 * index or object label; NULL at the top), value (SQL value; arrays and
 * objects as JSON text with the subtype), type, atom (NULL for arrays and
 * objects), id (the element's byte offset in the JSONB, an object member's
 * its label's), parent (json_tree: the parent's id), fullkey, path, and the
 * hidden json and root. The walk keeps its own stack, so a deep document
 * cannot overflow the call stack.
 */
import type { SqlValue } from '../format/sql-value.ts';
import { JSONB_ARRAY, JSONB_OBJECT, JSONB_TEXT, JSONB_TEXTRAW, JSON_MAX_DEPTH, malformed, payloadSize, cBytes } from './json.ts';
import { docOf, elementEnd, elementType, elementValue, plain } from './json-functions.ts';
import { type Found, NOT_FOUND, badPath, lookupPath, throwLookup } from './json-path.ts';
import type { VirtualTable } from './virtual-table.ts';
import { bytesToText } from '../format/sql-value.ts';
import { toText } from './value.ts';
import { unescapeText } from './json.ts';

const COLUMNS = ['key', 'value', 'type', 'atom', 'id', 'parent', 'fullkey', 'path'];

/** The `.label` / `."label"` step of a full key, as SQLite spells it (quoted unless alphanumeric, starting with a letter). */
function labelStep(raw: Uint8Array): string {
  const t = bytesToText(raw, false)!;
  return /^[A-Za-z][A-Za-z0-9]*$/.test(t) ? `.${t}` : `."${t}"`;
}

/** The root path without its last step (the `path` of the root row when it is an object member or array element). */
/**
 * The key and path of json_tree's root row, as SQLite's jsonEachPathLength finds them: scanning
 * the root path text backwards for a '.' or '[' whose prefix names the container in which the
 * root element (its label, for an object member) comes first; when none does (the root is not
 * its container's first member), the split falls after '$', so the key is the whole path text
 * after "$." (SQLite's quirk: key 'a.b', path '$'). A '[' split gives the integer its digits
 * start with (a `[#-N]` step gives 0).
 */
function rootKeyAndPath(b: Uint8Array, root: string, at: number): { key: SqlValue; path: string } {
  const zc = cBytes(root); // NUL-terminated, as lookupPath reads it
  const z = zc.subarray(0, zc.length - 1);
  if (z.length <= 1) return { key: null, path: '$' };
  let n = z.length;
  const s = [0];
  while (n > 1) {
    n--;
    if (z[n] !== 0x5b && z[n] !== 0x2e) continue;
    const prefix = new Uint8Array(n + 1);
    prefix.set(z.subarray(0, n));
    const x = lookupPath(b, 0, prefix, 1, { index: 0, label: 0 });
    if (x < 0) continue;
    if (x + payloadSize(b, x, b.length, s) === at) break;
  }
  const path = bytesToText(z.subarray(0, n), false)!;
  if (n === z.length) return { key: null, path };
  if (z[n] === 0x5b) {
    // sqlite3Atoi64 over the text after '[': an optional sign and the digits it starts with.
    const m = /^[+-]?\d*/.exec(bytesToText(z.subarray(n + 1), false)!)![0];
    const v = m === '' || m === '+' || m === '-' ? 0 : Number(m);
    return { key: Number.isSafeInteger(v) ? v : BigInt(m), path };
  }
  // A quoted label loses its quotes (SQLite drops the first and last byte, unescaping nothing).
  if (z[n + 1] === 0x22) return { key: bytesToText(z.subarray(n + 2, Math.max(n + 2, z.length - 1)), false)!, path };
  return { key: bytesToText(z.subarray(n + 1), false)!, path };
}


interface Frame {
  /** Offset of the container. */
  readonly at: number;
  /** Id reported as the children's parent. */
  readonly id: number;
  readonly isObject: boolean;
  /** Next child offset and the end of the payload. */
  next: number;
  readonly end: number;
  index: number;
  readonly fullkey: string;
}

function labelOf(b: Uint8Array, i: number): { text: string; raw: Uint8Array; valueAt: number } {
  const s = [0];
  const n = payloadSize(b, i, b.length, s);
  const t = b[i]! & 0x0f;
  if (n === 0 || t < JSONB_TEXT || t > JSONB_TEXTRAW) throw malformed();
  const raw = b.subarray(i + n, i + n + s[0]!);
  const plainLabel = t === JSONB_TEXT || t === JSONB_TEXTRAW;
  return { text: bytesToText(plainLabel ? raw : unescapeText(b, i + n, i + n + s[0]!), false)!, raw, valueAt: i + n + s[0]! };
}

function* walk(recursive: boolean, args: readonly (SqlValue | undefined)[]): Generator<SqlValue[]> {
  const json = args[0];
  if (json === undefined || json === null) return;
  const rootArg = args[1];
  if (rootArg === null) return;
  const root = rootArg === undefined ? '$' : toText(plain(rootArg))!;
  if (root[0] !== '$') throw badPath(root);
  const b = docOf(json)!;
  const found: Found = { index: 0, label: 0 };
  const j = lookupPath(b, 0, cBytes(root), 1, found);
  if (j === NOT_FOUND) return;
  if (j < 0) throwLookup(j, root);
  const hidden = [json, root];
  const row = (key: SqlValue, at: number, id: number, parent: SqlValue, fullkey: string, path: string): SqlValue[] => {
    const t = b[at]! & 0x0f;
    const value = elementValue(b, at, false) as SqlValue;
    const container = t === JSONB_ARRAY || t === JSONB_OBJECT;
    return [key, value, elementType(b, at), container ? null : value, id, parent, fullkey, path, ...hidden];
  };
  const t0 = b[j]! & 0x0f;
  const isContainer = t0 === JSONB_ARRAY || t0 === JSONB_OBJECT;
  // The root element's own key: its label or array index in the enclosing container.
  const rootId = found.label > 0 ? found.label : j;
  if (recursive) {
    const { key, path } = rootKeyAndPath(b, root, found.label > 0 ? found.label : j);
    yield row(key, j, rootId, null, root, path);
  } else if (!isContainer) {
    yield row(null, j, rootId, null, root, root);
    return;
  }
  if (!isContainer) return;
  const stack: Frame[] = [];
  const push = (at: number, id: number, fullkey: string): void => {
    if (stack.length >= JSON_MAX_DEPTH) throw malformed();
    const s = [0];
    const n = payloadSize(b, at, b.length, s);
    if (n === 0) throw malformed();
    stack.push({ at, id, isObject: (b[at]! & 0x0f) === JSONB_OBJECT, next: at + n, end: at + n + s[0]!, index: 0, fullkey });
  };
  push(j, rootId, root);
  while (stack.length > 0) {
    const fr = stack[stack.length - 1]!;
    if (fr.next >= fr.end) {
      if (fr.next > fr.end) throw malformed();
      stack.pop();
      continue;
    }
    let key: SqlValue;
    let step: string;
    let at: number;
    const id = fr.next;
    if (fr.isObject) {
      const l = labelOf(b, fr.next);
      if (l.valueAt >= fr.end) throw malformed();
      key = l.text;
      step = labelStep(l.raw);
      at = l.valueAt;
    } else {
      key = fr.index;
      step = `[${fr.index}]`;
      at = fr.next;
    }
    fr.index++;
    fr.next = elementEnd(b, at, fr.end);
    const fullkey = fr.fullkey + step;
    yield row(key, at, id, recursive ? fr.id : null, fullkey, fr.fullkey);
    const t = b[at]! & 0x0f;
    if (recursive && (t === JSONB_ARRAY || t === JSONB_OBJECT)) push(at, id, fullkey);
  }
}

export const JSON_EACH: VirtualTable = {
  name: 'json_each',
  columns: COLUMNS,
  parameters: ['json', 'root'],
  jsonColumns: ['value'],
  rowid: (_row, ordinal) => ordinal,
  rows: (args) => walk(false, args),
};

export const JSON_TREE: VirtualTable = {
  name: 'json_tree',
  columns: COLUMNS,
  parameters: ['json', 'root'],
  jsonColumns: ['value'],
  rowid: (_row, ordinal) => ordinal,
  rows: (args) => walk(true, args),
};

