/**
 * JSON paths over JSONB (sql/json.ts), as SQLite's jsonLookupStep walks
 * them: `$`, then any number of `.label`, `."quoted label"`, `[N]`, `[#]`
 * and `[#-N]` steps. `lookupPath` finds an element; `editPath` returns a new
 * document with one edit applied (json_set, json_insert, json_replace,
 * json_remove, json_array_insert). Edits rebuild only the containers on the
 * path: every other element keeps its bytes, and a container whose payload
 * size did not change keeps its header bytes, exactly as SQLite's in-place
 * edits leave them — so jsonb_set and friends give SQLite's bytes.
 */
import { HeliosError } from '../format/errors.ts';
import { ByteBuf, JSON_MAX_DEPTH, JSONB_ARRAY, JSONB_OBJECT, JSONB_TEXT, JSONB_TEXT5, JSONB_TEXTRAW, appendHeader, malformed, payloadSize, unescapeText } from './json.ts';

/** Lookup outcomes other than an element index (jsonLookupStep's JSON_LOOKUP_*). */
export const NOT_FOUND = -1;
export const LOOKUP_ERROR = -2;
export const PATH_ERROR = -3;
/** json_array_insert reached an existing element by a key, or would create one at a path not ending in an index. */
export const NOT_ARRAY_ELEMENT = -4;

/** The error for an unusable path, worded as SQLite's jsonBadPathError. */
export function badPath(path: string | null): HeliosError {
  return new HeliosError('SQL_ERROR', `bad JSON path: ${path === null ? 'NULL' : `'${path.replace(/'/g, "''")}'`}`);
}

/** Throws the error SQLite raises for a failed lookup code (not NOT_FOUND). */
export function throwLookup(rc: number, path: string): never {
  if (rc === LOOKUP_ERROR) throw malformed();
  throw badPath(path);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Where a path step found its element: the element's index and the index of its object label (0: none). */
export interface Found {
  index: number;
  label: number;
}

/** Parses the label of a `.` step at p[i] (after the dot): its bytes, whether raw (no escapes), and the index after it. */
function pathLabel(p: Uint8Array, i: number): { start: number; end: number; raw: boolean; next: number } | null {
  if (p[i] === 0x22) {
    let k = i + 1;
    while (p[k] !== 0 && p[k] !== 0x22) {
      if (p[k] === 0x5c && p[k + 1] !== 0) k++;
      k++;
    }
    if (p[k] === 0) return null;
    let raw = true;
    for (let q = i + 1; q < k; q++) if (p[q] === 0x5c) raw = false;
    return { start: i + 1, end: k, raw, next: k + 1 };
  }
  let k = i;
  while (p[k] !== 0 && p[k] !== 0x2e && p[k] !== 0x5b) k++;
  if (k === i) return null;
  return { start: i, end: k, raw: true, next: k };
}

/** jsonLabelCompare: whether a path label equals an object label (escapes decoded where present). */
function labelEquals(p: Uint8Array, ks: number, ke: number, kRaw: boolean, b: Uint8Array, ls: number, le: number, lRaw: boolean): boolean {
  if (kRaw && lRaw) {
    if (ke - ks !== le - ls) return false;
    for (let q = 0; q < ke - ks; q++) if (p[ks + q] !== b[ls + q]) return false;
    return true;
  }
  const a = kRaw ? p.subarray(ks, ke) : unescapeText(p, ks, ke);
  const c = lRaw ? b.subarray(ls, le) : unescapeText(b, ls, le);
  if (a.length !== c.length) return false;
  for (let q = 0; q < a.length; q++) if (a[q] !== c[q]) return false;
  return true;
}

/** Number of elements of the array at i. */
export function arrayCount(b: Uint8Array, i: number): number {
  const s = [0];
  const n = payloadSize(b, i, b.length, s);
  let j = i + n;
  const end = j + s[0]!;
  let k = 0;
  while (j < end) {
    const m = payloadSize(b, j, end, s);
    if (m === 0) throw malformed();
    j += m + s[0]!;
    k++;
  }
  return k;
}

/** An array step `[...]` at p[i]: the element number (k) and the index after ']', or PATH_ERROR / NOT_FOUND. */
function arrayStep(p: Uint8Array, i: number, b: Uint8Array, root: number): { k: number; next: number } | number {
  let k = 0;
  let q = i + 1;
  while (isDigit(p[q]!)) {
    k = k * 10 + p[q]! - 48;
    if (k > 0xffffffff) k = 0xffffffff;
    q++;
  }
  if (q < i + 2 || p[q] !== 0x5d) {
    if (p[i + 1] !== 0x23) return PATH_ERROR;
    k = arrayCount(b, root);
    q = i + 2;
    if (p[q] === 0x2d && isDigit(p[q + 1]!)) {
      let nn = 0;
      q++;
      do {
        nn = nn * 10 + p[q]! - 48;
        if (nn > 0xffffffff) nn = 0xffffffff;
        q++;
      } while (isDigit(p[q]!));
      if (nn > k) return NOT_FOUND;
      k -= nn;
    }
    if (p[q] !== 0x5d) return PATH_ERROR;
  }
  return { k, next: q + 1 };
}

/**
 * Finds the element the path p (C string, from after the '$') selects in the
 * node at `root`. Returns its index, or NOT_FOUND, LOOKUP_ERROR, PATH_ERROR.
 */
export function lookupPath(b: Uint8Array, root: number, p: Uint8Array, pi: number, found?: Found, label = 0): number {
  const s = [0];
  for (;;) {
    if (p[pi] === 0) {
      if (found) {
        found.index = root;
        found.label = label;
      }
      return root;
    }
    if (p[pi] === 0x2e) {
      const key = pathLabel(p, pi + 1);
      if (key === null) return PATH_ERROR;
      if ((b[root]! & 0x0f) !== JSONB_OBJECT) return NOT_FOUND;
      const n = payloadSize(b, root, b.length, s);
      let j = root + n;
      const end = j + s[0]!;
      let hit = -1;
      while (j < end) {
        const x = b[j]! & 0x0f;
        if (x < JSONB_TEXT || x > JSONB_TEXTRAW) return LOOKUP_ERROR;
        const m = payloadSize(b, j, end, s);
        if (m === 0) return LOOKUP_ERROR;
        const k = j + m;
        if (k + s[0]! >= end) return LOOKUP_ERROR;
        const v = k + s[0]!;
        if (labelEquals(p, key.start, key.end, key.raw, b, k, v, x === JSONB_TEXT || x === JSONB_TEXTRAW)) {
          if ((b[v]! & 0x0f) > JSONB_OBJECT) return LOOKUP_ERROR;
          const vn = payloadSize(b, v, end, s);
          if (vn === 0 || v + vn + s[0]! > end) return LOOKUP_ERROR;
          hit = v;
          label = j;
          break;
        }
        if ((b[v]! & 0x0f) > JSONB_OBJECT) return LOOKUP_ERROR;
        const vn = payloadSize(b, v, end, s);
        if (vn === 0) return LOOKUP_ERROR;
        j = v + vn + s[0]!;
      }
      if (hit < 0) return j > end ? LOOKUP_ERROR : NOT_FOUND;
      root = hit;
      pi = key.next;
      continue;
    }
    if (p[pi] === 0x5b) {
      if ((b[root]! & 0x0f) !== JSONB_ARRAY) return NOT_FOUND;
      const st = arrayStep(p, pi, b, root);
      if (typeof st === 'number') return st;
      const n = payloadSize(b, root, b.length, s);
      let j = root + n;
      const end = j + s[0]!;
      let k = st.k;
      let hit = -1;
      while (j < end) {
        if (k === 0) {
          hit = j;
          break;
        }
        k--;
        const m = payloadSize(b, j, end, s);
        if (m === 0) return LOOKUP_ERROR;
        j += m + s[0]!;
      }
      if (hit < 0) return j > end ? LOOKUP_ERROR : NOT_FOUND;
      root = hit;
      label = 0;
      pi = st.next;
      continue;
    }
    return PATH_ERROR;
  }
}

export type EditMode = 'delete' | 'insert' | 'replace' | 'set' | 'arrayInsert';

const DELETE = 'delete' as const;

/** Bytes of the node at i (header and payload). */
function nodeEnd(b: Uint8Array, i: number, end: number): number {
  const s = [0];
  const n = payloadSize(b, i, end, s);
  if (n === 0) throw malformed();
  return i + n + s[0]!;
}

/** The container at `root` with bytes [from, to) of its payload replaced by `ins`. */
function rebuild(b: Uint8Array, root: number, from: number, to: number, ins: Uint8Array): Uint8Array {
  const s = [0];
  const n = payloadSize(b, root, b.length, s);
  const sz = s[0]!;
  const p = root + n;
  const newSize = sz - (to - from) + ins.length;
  const out = new ByteBuf(newSize + 9);
  if (newSize === sz) out.append(b, root, p);
  else appendHeader(out, b[root]! & 0x0f, newSize);
  out.append(b, p, from);
  out.append(ins);
  out.append(b, to, p + sz);
  return out.bytes();
}

interface EditResult {
  rc: number;
  /** New bytes for the node the step started at; null: unchanged; 'delete': remove it (and its label). */
  repl: Uint8Array | null | typeof DELETE;
}

/**
 * One path applied to the node at `root` (jsonLookupStep with an edit mode).
 * `ins` is the JSONB of the value to write.
 */
function editStep(b: Uint8Array, root: number, p: Uint8Array, pi: number, mode: EditMode, ins: Uint8Array, viaArray: boolean, depth = 0): EditResult {
  if (depth > JSON_MAX_DEPTH) throw malformed();
  const s = [0];
  if (p[pi] === 0) {
    switch (mode) {
      case 'delete':
        return { rc: root, repl: DELETE };
      case 'insert':
        return { rc: root, repl: null };
      case 'arrayInsert':
        if (!viaArray) return { rc: NOT_ARRAY_ELEMENT, repl: null };
        return { rc: root, repl: concatBytes(ins, b.subarray(root, nodeEnd(b, root, b.length))) };
      default:
        return { rc: root, repl: overwriteBytes(ins, nodeEnd(b, root, b.length) - root) };
    }
  }
  if (p[pi] === 0x2e) {
    const key = pathLabel(p, pi + 1);
    if (key === null) return { rc: PATH_ERROR, repl: null };
    if ((b[root]! & 0x0f) !== JSONB_OBJECT) return { rc: NOT_FOUND, repl: null };
    const n = payloadSize(b, root, b.length, s);
    let j = root + n;
    const end = j + s[0]!;
    while (j < end) {
      const x = b[j]! & 0x0f;
      if (x < JSONB_TEXT || x > JSONB_TEXTRAW) return { rc: LOOKUP_ERROR, repl: null };
      const m = payloadSize(b, j, end, s);
      if (m === 0) return { rc: LOOKUP_ERROR, repl: null };
      const k = j + m;
      if (k + s[0]! >= end) return { rc: LOOKUP_ERROR, repl: null };
      const v = k + s[0]!;
      if ((b[v]! & 0x0f) > JSONB_OBJECT) return { rc: LOOKUP_ERROR, repl: null };
      const vn = payloadSize(b, v, end, s);
      if (vn === 0 || v + vn + s[0]! > end) return { rc: LOOKUP_ERROR, repl: null };
      const vEnd = v + vn + s[0]!;
      if (labelEquals(p, key.start, key.end, key.raw, b, k, v, x === JSONB_TEXT || x === JSONB_TEXTRAW)) {
        const r = editStep(b, v, p, key.next, mode, ins, false, depth + 1);
        if (r.repl === null) return { rc: r.rc, repl: null };
        if (r.repl === DELETE) return { rc: r.rc, repl: rebuild(b, root, j, vEnd, EMPTY) };
        return { rc: r.rc, repl: rebuild(b, root, v, vEnd, r.repl) };
      }
      j = vEnd;
    }
    if (j > end) return { rc: LOOKUP_ERROR, repl: null };
    if (mode === 'insert' || mode === 'set' || mode === 'arrayInsert') {
      if (mode === 'arrayInsert' && !endsInIndex(p)) return { rc: NOT_ARRAY_ELEMENT, repl: null };
      const sub = substructure(p, key.next, mode, ins, depth);
      if (sub.rc < 0 && sub.rc !== NOT_FOUND_OK) return { rc: sub.rc, repl: null };
      const kb = new ByteBuf(key.end - key.start + 9);
      appendHeader(kb, key.raw ? JSONB_TEXTRAW : JSONB_TEXT5, key.end - key.start);
      kb.append(p, key.start, key.end);
      kb.append(sub.bytes!);
      return { rc: 0, repl: rebuild(b, root, end, end, kb.bytes()) };
    }
    return { rc: NOT_FOUND, repl: null };
  }
  if (p[pi] === 0x5b) {
    if ((b[root]! & 0x0f) !== JSONB_ARRAY) return { rc: NOT_FOUND, repl: null };
    const st = arrayStep(p, pi, b, root);
    if (typeof st === 'number') return { rc: st, repl: null };
    const n = payloadSize(b, root, b.length, s);
    let j = root + n;
    const end = j + s[0]!;
    let k = st.k;
    while (j < end) {
      const e = nodeEnd(b, j, end);
      if (k === 0) {
        const r = editStep(b, j, p, st.next, mode, ins, true, depth + 1);
        if (r.repl === null) return { rc: r.rc, repl: null };
        return { rc: r.rc, repl: rebuild(b, root, j, e, r.repl === DELETE ? EMPTY : r.repl) };
      }
      k--;
      j = e;
    }
    if (j > end) return { rc: LOOKUP_ERROR, repl: null };
    if (k > 0) return { rc: NOT_FOUND, repl: null };
    if (mode === 'insert' || mode === 'set' || mode === 'arrayInsert') {
      if (mode === 'arrayInsert' && !endsInIndex(p)) return { rc: NOT_ARRAY_ELEMENT, repl: null };
      const sub = substructure(p, st.next, mode, ins, depth);
      if (sub.rc < 0 && sub.rc !== NOT_FOUND_OK) return { rc: sub.rc, repl: null };
      return { rc: 0, repl: rebuild(b, root, end, end, sub.bytes!) };
    }
    return { rc: NOT_FOUND, repl: null };
  }
  return { rc: PATH_ERROR, repl: null };
}

/** Whether the path (a C string) ends in `]`: where json_array_insert may create what is missing. */
function endsInIndex(p: Uint8Array): boolean {
  let n = p.indexOf(0);
  if (n < 0) n = p.length;
  return n > 0 && p[n - 1] === 0x5d;
}

const EMPTY = new Uint8Array(0);
const NOT_FOUND_OK = 1;

/**
 * The JSONB node `ins` that replaces a node of `oldLength` bytes, as
 * SQLite's jsonBlobOverwrite writes it: when `ins` is 1 to 8 bytes shorter
 * and widening its size field to a 2, 3, 5 or 9 byte header makes up the
 * difference exactly, the header is widened (the document keeps its size);
 * otherwise `ins` itself. NULL, true and false are never widened.
 * (jsonb_set('[1,2.5]', '$[1]', -7) is 6B 13 31 C3 02 2D 37.)
 */
export function overwriteBytes(ins: Uint8Array, oldLength: number): Uint8Array {
  const d = oldLength - ins.length;
  if (d < 1 || d > 8 || (ins[0]! & 0x0f) <= 2) return ins;
  const code = ins[0]! >> 4;
  const oldHeader = code <= 11 ? 1 : code === 12 ? 2 : code === 13 ? 3 : code === 14 ? 5 : 9;
  const newHeader = oldHeader + d;
  if (![2, 3, 5, 9].includes(newHeader) || oldHeader === 9) return ins;
  const out = new Uint8Array(oldLength);
  out[0] = (ins[0]! & 0x0f) | ({ 2: 0xc0, 3: 0xd0, 5: 0xe0, 9: 0xf0 } as Record<number, number>)[newHeader]!;
  let size = ins.length - oldHeader;
  for (let i = newHeader - 1; i >= 1; i--) {
    out[i] = size & 0xff;
    size = Math.floor(size / 256);
  }
  out.set(ins.subarray(oldHeader), newHeader);
  return out;
}

function concatBytes(a: Uint8Array, c: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + c.length);
  out.set(a);
  out.set(c, a.length);
  return out;
}

/** jsonCreateEditSubstructure: the value to insert where the rest of the path (p[pi]…) does not exist yet. */
function substructure(p: Uint8Array, pi: number, mode: EditMode, ins: Uint8Array, depth: number): { rc: number; bytes: Uint8Array | null } {
  if (p[pi] === 0) return { rc: NOT_FOUND_OK, bytes: ins };
  const empty = Uint8Array.of(p[pi] === 0x2e ? JSONB_OBJECT : JSONB_ARRAY);
  const r = editStep(empty, 0, p, pi, mode, ins, false, depth + 1);
  if (r.rc < 0) return { rc: r.rc, bytes: null };
  return { rc: NOT_FOUND_OK, bytes: r.repl === null || r.repl === DELETE ? empty : r.repl };
}

/**
 * Applies one edit at path p (C string after the '$') to document b.
 * Returns the new document (b itself when nothing changed) and the lookup
 * code (negative: NOT_FOUND, LOOKUP_ERROR, PATH_ERROR).
 */
export function editPath(b: Uint8Array, p: Uint8Array, pi: number, mode: EditMode, ins: Uint8Array): { doc: Uint8Array; rc: number } {
  const r = editStep(b, 0, p, pi, mode, ins, false);
  if (r.repl === null || r.repl === DELETE) return { doc: b, rc: r.rc };
  return { doc: r.repl, rc: r.rc };
}
