/**
 * The JSON1 SQL functions and aggregates, as SQLite 3.53 defines them
 * (json1.html): json, jsonb, json_array, json_object, json_extract, the
 * `->` / `->>` operators, json_type, json_valid, json_array_length,
 * json_set / insert / replace / remove / array_insert / patch, json_quote,
 * json_error_position, json_pretty, json_group_array, json_group_object,
 * and every jsonb_* form (same work, JSONB result).
 *
 * Arguments are `JsonArg`s: SQL values, or `JsonText` for a text value
 * carrying SQLite's JSON subtype (the result of another JSON function,
 * which is embedded as JSON rather than quoted as a string). A function
 * returns a JsonText exactly where SQLite sets the subtype. The expression
 * compiler passes subtypes between calls; through the plain scalar registry
 * (functions.ts) a JsonText result is unwrapped to its text.
 */
import { HeliosError } from '../format/errors.ts';
import { type SqlValue, RealBox, bytesToText, makeInteger, makeReal, textToBytes } from '../format/sql-value.ts';
import {
  ByteBuf,
  JSONB_ARRAY,
  JSONB_FALSE,
  JSONB_FLOAT,
  JSONB_FLOAT5,
  JSONB_INT,
  JSONB_INT5,
  JSONB_NULL,
  JSONB_OBJECT,
  JSONB_TEXT,
  JSONB_TEXT5,
  JSONB_TEXTJ,
  JSONB_TEXTRAW,
  JSONB_TRUE,
  JsonText,
  appendHeader,
  appendQuoted,
  cBytes,
  looksLikeJsonb,
  malformed,
  parseJsonBytes,
  payloadSize,
  renderJson,
  renderJsonPretty,
  renderNode,
  unescapeText,
  validityCheck,
} from './json.ts';
import { type EditMode, LOOKUP_ERROR, NOT_ARRAY_ELEMENT, NOT_FOUND, PATH_ERROR, arrayCount, badPath, editPath, lookupPath, overwriteBytes, throwLookup } from './json-path.ts';
import { MAX_TEXT_LENGTH, renderReal, toInteger, toText, tooBigError } from './value.ts';

export { JsonText };

/** A JSON function argument: an SQL value, or text with the JSON subtype. */
export type JsonArg = SqlValue | JsonText;
export type JsonResult = SqlValue | JsonText;

export interface JsonFunction {
  readonly name: string;
  readonly minArgs: number;
  /** Infinity for variadic functions. */
  readonly maxArgs: number;
  readonly fn: (args: readonly JsonArg[]) => JsonResult;
}

/** A JsonArg as a plain SQL value (the subtype dropped). */
export function plain(v: JsonArg): SqlValue {
  return v instanceof JsonText ? v.text : v;
}

function sqlError(msg: string): HeliosError {
  return new HeliosError('SQL_ERROR', msg);
}

function textOf(v: JsonArg): string | null {
  return v instanceof JsonText ? v.text : toText(v);
}

function checkLength(n: number): void {
  if (n > MAX_TEXT_LENGTH) throw tooBigError();
}

// ---------------------------------------------------------------------------
// Arguments → JSONB

/**
 * jsonParseFuncArg: the document an argument holds, as JSONB; null for
 * NULL. A BLOB that is JSONB is used as is; any other value is read as JSON
 * text (numbers by their SQL text, other BLOBs by their bytes).
 */
export function docOf(v: JsonArg): Uint8Array | null {
  if (v === null) return null;
  if (v instanceof Uint8Array) {
    if (looksLikeJsonb(v)) return v;
    const z = new Uint8Array(v.length + 1);
    z.set(v);
    const r = parseJsonBytes(z);
    if (r.blob === null) throw malformed();
    return r.blob;
  }
  const r = parseJsonBytes(cBytes(textOf(v)!));
  if (r.blob === null) throw malformed();
  return r.blob;
}

const NULL_NODE = Uint8Array.of(JSONB_NULL);

/** jsonFunctionArgToBlob: an SQL value as the JSONB of the element it becomes in json_set and friends. */
function valueNode(v: JsonArg): Uint8Array {
  if (v === null) return NULL_NODE;
  if (v instanceof JsonText) {
    const r = parseJsonBytes(cBytes(v.text));
    if (r.blob === null) throw malformed();
    return r.blob;
  }
  const out = new ByteBuf(16);
  if (v instanceof Uint8Array) {
    if (!looksLikeJsonb(v)) throw sqlError('JSON cannot hold BLOB values');
    return v;
  }
  if (typeof v === 'string') {
    const b = textToBytes(v);
    appendHeader(out, JSONB_TEXTRAW, b.length);
    out.append(b);
    return out.bytes();
  }
  if (typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v))) {
    out.ascii(String(v));
    const digits = out.bytes();
    const o2 = new ByteBuf(digits.length + 2);
    appendHeader(o2, JSONB_INT, digits.length);
    o2.append(digits);
    return o2.bytes();
  }
  const r = v instanceof RealBox ? v.value : v;
  const t = r === Infinity ? '9e999' : r === -Infinity ? '-9e999' : renderReal(r);
  appendHeader(out, JSONB_FLOAT, t.length);
  out.ascii(t);
  return out.bytes();
}

/** jsonAppendSqlValue: an SQL value appended as JSON text (json_array, json_object, json_quote, the aggregates). */
function appendValue(out: ByteBuf, v: JsonArg): void {
  if (v === null) {
    out.ascii('null');
    return;
  }
  if (v instanceof JsonText) {
    out.append(textToBytes(v.text));
    return;
  }
  if (typeof v === 'string') {
    appendQuoted(out, textToBytes(v));
    return;
  }
  if (v instanceof Uint8Array) {
    if (!looksLikeJsonb(v)) throw sqlError('JSON cannot hold BLOB values');
    renderNode(v, 0, v.length, out);
    return;
  }
  if (typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v))) {
    out.ascii(String(v));
    return;
  }
  const r = v instanceof RealBox ? v.value : v;
  out.ascii(r === Infinity ? '9.0e+999' : r === -Infinity ? '-9.0e+999' : renderReal(r));
}

/** Text built by a JSON function: checked against the length limit. */
function finishText(out: ByteBuf): string {
  checkLength(out.n);
  return bytesToText(out.a.subarray(0, out.n), false)!;
}

/** A constructed JSON text as the function's result: JSON text with the subtype, or its JSONB. */
function textResult(text: string, blob: boolean): JsonResult {
  if (!blob) return new JsonText(text);
  const r = parseJsonBytes(cBytes(text));
  if (r.blob === null) throw malformed();
  return r.blob;
}

/** A document as the function's result: rendered JSON text with the subtype, or the JSONB itself. */
function docResult(doc: Uint8Array, blob: boolean): JsonResult {
  if (blob) return doc;
  const t = renderJson(doc);
  checkLength(t.length);
  return new JsonText(t);
}

// ---------------------------------------------------------------------------
// JSONB element → SQL value

function asciiOf(b: Uint8Array, s: number, e: number): string {
  let t = '';
  for (let i = s; i < e; i++) t += String.fromCharCode(b[i]!);
  return t;
}

const MAX_I64 = 9223372036854775807n;

/** sqlite3AtoF over JSON number text (always well formed here). */
function jsonReal(t: string): SqlValue {
  const x = Number(t);
  if (Number.isNaN(x)) throw malformed();
  return makeReal(x);
}

/**
 * jsonReturnFromBlob: the SQL value of the element at i — NULL, 1/0 for
 * true/false, INTEGER (REAL past 64 bits), REAL, TEXT (escapes decoded),
 * and for arrays and objects their JSON text with the subtype (or JSONB
 * when `blob`).
 */
export function elementValue(b: Uint8Array, i: number, blob: boolean): JsonResult {
  const s = [0];
  const n = payloadSize(b, i, b.length, s);
  if (n === 0) throw malformed();
  const sz = s[0]!;
  const p = i + n;
  switch (b[i]! & 0x0f) {
    case JSONB_NULL:
      if (sz) throw malformed();
      return null;
    case JSONB_TRUE:
      if (sz) throw malformed();
      return 1;
    case JSONB_FALSE:
      if (sz) throw malformed();
      return 0;
    case JSONB_INT:
    case JSONB_INT5: {
      if (sz === 0) throw malformed();
      let t = asciiOf(b, p, p + sz);
      let neg = false;
      if (t[0] === '-') {
        if (sz < 2) throw malformed();
        neg = true;
        t = t.slice(1);
      }
      let u: bigint;
      if (/^0[xX][0-9a-fA-F]+$/.test(t)) {
        if (t.length - 2 > 16) return jsonReal((neg ? '-' : '') + t);
        u = BigInt(t);
        // Hex text is a 64-bit pattern (sqlite3DecOrHexToI64).
        if (u > MAX_I64) u -= 1n << 64n;
      } else if (/^[0-9]+$/.test(t)) {
        u = BigInt(t);
        if (u > MAX_I64) {
          if (neg && u === MAX_I64 + 1n) return makeInteger(-u);
          return jsonReal((neg ? '-' : '') + t);
        }
      } else throw malformed();
      return makeInteger(neg ? -u : u);
    }
    case JSONB_FLOAT:
    case JSONB_FLOAT5:
      if (sz === 0) throw malformed();
      return jsonReal(asciiOf(b, p, p + sz));
    case JSONB_TEXT:
    case JSONB_TEXTRAW:
      return bytesToText(b.subarray(p, p + sz), false)!;
    case JSONB_TEXTJ:
    case JSONB_TEXT5:
      return bytesToText(unescapeText(b, p, p + sz), false)!;
    case JSONB_ARRAY:
    case JSONB_OBJECT:
      if (blob) return b.slice(i, p + sz);
      return new JsonText(renderJson(b, i, p + sz));
    default:
      throw malformed();
  }
}

const TYPE_NAMES = ['null', 'true', 'false', 'integer', 'integer', 'real', 'real', 'text', 'text', 'text', 'text', 'array', 'object'];

/** json_type's name of the element at i. */
export function elementType(b: Uint8Array, i: number): string {
  const t = b[i]! & 0x0f;
  const name = TYPE_NAMES[t];
  if (name === undefined) throw malformed();
  return name;
}

/** The end (exclusive) of the element at i. */
export function elementEnd(b: Uint8Array, i: number, end = b.length): number {
  const s = [0];
  const n = payloadSize(b, i, end, s);
  if (n === 0) throw malformed();
  return i + n + s[0]!;
}

// ---------------------------------------------------------------------------
// Paths

/** The path argument's C-string bytes after the '$', or a bad-path error. */
function pathBytes(path: string): Uint8Array {
  if (path[0] !== '$') throw badPath(path);
  return cBytes(path);
}

/** Looks `path` up in `doc`: the element index, or -1 when absent; throws on a bad path or malformed JSON. */
export function findPath(doc: Uint8Array, path: string): number {
  const p = pathBytes(path);
  const j = lookupPath(doc, 0, p, 1);
  if (j >= 0) return j;
  if (j === NOT_FOUND) return -1;
  throwLookup(j, path);
}

function isAllAlnum(s: string): boolean {
  return /^[A-Za-z0-9_]*$/.test(s);
}

/** The path the `->` / `->>` operators use for their right operand (abbreviations: label, [N], integer N). */
function arrowPath(v: SqlValue): string {
  const t = toText(v)!;
  if (t[0] === '$') return t;
  if (typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v))) return t[0] === '-' ? `$[#${t}]` : `$[${t}]`;
  if (isAllAlnum(t)) return `$.${t}`;
  if (t[0] === '[' && t.length >= 3 && t[t.length - 1] === ']') return `$${t}`;
  return `$."${t}"`;
}

// ---------------------------------------------------------------------------
// The functions

function jsonFn(blob: boolean): JsonFunction['fn'] {
  return ([x]) => {
    const doc = docOf(x!);
    if (doc === null) return null;
    return docResult(doc, blob);
  };
}

function arrayFn(blob: boolean): JsonFunction['fn'] {
  return (args) => {
    const out = new ByteBuf(64);
    out.push(0x5b);
    for (let i = 0; i < args.length; i++) {
      if (i > 0) out.push(0x2c);
      appendValue(out, args[i]!);
    }
    out.push(0x5d);
    return textResult(finishText(out), blob);
  };
}

function objectFn(blob: boolean): JsonFunction['fn'] {
  return (args) => {
    if (args.length & 1) throw sqlError('json_object() requires an even number of arguments');
    const out = new ByteBuf(64);
    out.push(0x7b);
    for (let i = 0; i < args.length; i += 2) {
      const k = args[i]!;
      if (typeof k !== 'string' && !(k instanceof JsonText)) throw sqlError('json_object() labels must be TEXT');
      if (i > 0) out.push(0x2c);
      appendQuoted(out, textToBytes(textOf(k)!));
      out.push(0x3a);
      appendValue(out, args[i + 1]!);
    }
    out.push(0x7d);
    return textResult(finishText(out), blob);
  };
}

/** json_extract / jsonb_extract / -> / ->>: `kind` 'extract' (SQL values), 'arrow' (JSON), 'arrow2' (SQL). */
function extractFn(kind: 'extract' | 'arrow' | 'arrow2', blob: boolean): JsonFunction['fn'] {
  return (args) => {
    if (args.length < 2) return null;
    const doc = docOf(args[0]!);
    if (doc === null) return null;
    const multi = args.length > 2;
    const out = multi ? new ByteBuf(64) : null;
    if (out) out.push(0x5b);
    for (let i = 1; i < args.length; i++) {
      const pv = plain(args[i]!);
      if (pv === null) return null;
      const path = kind === 'extract' ? toText(pv)! : arrowPath(pv);
      if (path[0] !== '$') throw badPath(path);
      const j = lookupPath(doc, 0, cBytes(path), 1);
      if (j >= 0) {
        if (!multi) {
          if (kind === 'arrow') return new JsonText(renderJson(doc, j, elementEnd(doc, j)));
          // ->> gives SQL values: an array or object is plain TEXT (json_extract's keeps the JSON subtype).
          if (kind === 'arrow2') return plain(elementValue(doc, j, blob));
          return elementValue(doc, j, blob);
        }
        if (out!.n > 1) out!.push(0x2c);
        renderNode(doc, j, doc.length, out!);
      } else if (j === NOT_FOUND) {
        if (!multi) return null;
        if (out!.n > 1) out!.push(0x2c);
        out!.ascii('null');
      } else throwLookup(j, path);
    }
    out!.push(0x5d);
    return textResult(finishText(out!), blob);
  };
}

function typeFn(args: readonly JsonArg[]): JsonResult {
  const doc = docOf(args[0]!);
  if (doc === null) return null;
  if (args.length < 2) return elementType(doc, 0);
  const pv = plain(args[1]!);
  if (pv === null) return null;
  const j = findPath(doc, toText(pv)!);
  return j < 0 ? null : elementType(doc, j);
}

function arrayLengthFn(args: readonly JsonArg[]): JsonResult {
  const doc = docOf(args[0]!);
  if (doc === null) return null;
  let j = 0;
  if (args.length > 1) {
    const pv = plain(args[1]!);
    if (pv === null) return null;
    j = findPath(doc, toText(pv)!);
    if (j < 0) return null;
  }
  return (doc[j]! & 0x0f) === JSONB_ARRAY ? arrayCount(doc, j) : 0;
}

function validFn(args: readonly JsonArg[]): JsonResult {
  let flags = 1;
  if (args.length === 2) {
    const f = toInteger(plain(args[1]!));
    if (f < 1 || f > 15) throw sqlError('FLAGS parameter to json_valid() must be between 1 and 15');
    flags = Number(f) & 0x0f;
  }
  const x = args[0]!;
  if (x === null) return null;
  if (x instanceof Uint8Array && looksLikeJsonb(x)) {
    if (flags & 0x04) return 1;
    if (flags & 0x08) return validityCheck(x, 0, x.length, 1) === 0 ? 1 : 0;
    return 0;
  }
  if ((flags & 0x03) === 0) return 0;
  const r = parseJsonBytes(inputBytes(x));
  if (r.blob === null) return 0;
  return (flags & 0x02) !== 0 || !r.nonStandard ? 1 : 0;
}

/** An argument's bytes as JSON text, NUL-terminated. */
function inputBytes(x: JsonArg): Uint8Array {
  if (x instanceof Uint8Array) {
    const z = new Uint8Array(x.length + 1);
    z.set(x);
    return z;
  }
  return cBytes(textOf(x)!);
}

function errorPositionFn([x]: readonly JsonArg[]): JsonResult {
  if (x === null || x === undefined) return null;
  if (x instanceof Uint8Array && looksLikeJsonb(x)) return validityCheck(x, 0, x.length, 1);
  const z = inputBytes(x);
  const r = parseJsonBytes(z);
  if (r.blob !== null) return 0;
  let pos = 0;
  for (let k = 0; k < r.errByte && z[k] !== 0; k++) if ((z[k]! & 0xc0) !== 0x80) pos++;
  return pos + 1;
}

function quoteFn([x]: readonly JsonArg[]): JsonResult {
  const out = new ByteBuf(32);
  appendValue(out, x!);
  return new JsonText(finishText(out));
}

function prettyFn(args: readonly JsonArg[]): JsonResult {
  const doc = docOf(args[0]!);
  if (doc === null) return null;
  const ind = args.length > 1 ? plain(args[1]!) : null;
  const t = renderJsonPretty(doc, ind === null ? '    ' : toText(ind)!);
  checkLength(t.length);
  return new JsonText(t);
}

const MODE_NAME: Record<string, string> = { insert: 'insert', set: 'set', replace: 'replace', arrayInsert: 'array_insert' };

function editFn(mode: EditMode, blob: boolean): JsonFunction['fn'] {
  return (args) => {
    if (args.length === 1) {
      const d = docOf(args[0]!);
      return d === null ? null : docResult(d, blob);
    }
    if ((args.length & 1) === 0) throw sqlError(`json_${MODE_NAME[mode]}() needs an odd number of arguments`);
    let doc = docOf(args[0]!);
    if (doc === null) return null;
    for (let i = 1; i < args.length; i += 2) {
      const pv = plain(args[i]!);
      if (pv === null) continue;
      const path = toText(pv)!;
      if (path[0] !== '$') throw badPath(path);
      const ins = valueNode(args[i + 1]!);
      if (path.length === 1) {
        if (mode === 'set' || mode === 'replace') doc = overwriteBytes(ins, doc.length);
        continue;
      }
      const r = editPath(doc, cBytes(path), 1, mode, ins);
      if (r.rc === NOT_FOUND) continue;
      // SQLite reports this only where the walk gets to (a malformed step on the wrong kind of container is just not found).
      if (r.rc === NOT_ARRAY_ELEMENT) throw sqlError(`not an array element: '${path.replace(/'/g, "''")}'`);
      if (r.rc === LOOKUP_ERROR || r.rc === PATH_ERROR) throwLookup(r.rc, path);
      doc = r.doc;
      checkLength(doc.length);
    }
    return docResult(doc, blob);
  };
}

function removeFn(blob: boolean): JsonFunction['fn'] {
  return (args) => {
    let doc = docOf(args[0]!);
    if (doc === null) return null;
    for (let i = 1; i < args.length; i++) {
      const pv = plain(args[i]!);
      if (pv === null) return null;
      const path = toText(pv)!;
      if (path[0] !== '$') throw badPath(path);
      if (path.length === 1) return null;
      const r = editPath(doc, cBytes(path), 1, 'delete', NULL_NODE);
      if (r.rc === NOT_FOUND) continue;
      if (r.rc === LOOKUP_ERROR || r.rc === PATH_ERROR) throwLookup(r.rc, path);
      doc = r.doc;
    }
    return docResult(doc, blob);
  };
}

// ---------------------------------------------------------------------------
// json_patch (RFC 7396 MergePatch, as jsonMergePatch edits JSONB)

/** Label-value pairs of the object at i: [labelStart, valueStart, end] each. */
function members(b: Uint8Array, i: number): [number, number, number][] {
  const s = [0];
  const n = payloadSize(b, i, b.length, s);
  let j = i + n;
  const end = j + s[0]!;
  const out: [number, number, number][] = [];
  while (j < end) {
    const t = b[j]! & 0x0f;
    if (t < JSONB_TEXT || t > JSONB_TEXTRAW) throw malformed();
    const v = elementEnd(b, j, end);
    if (v >= end) throw malformed();
    const e = elementEnd(b, v, end);
    out.push([j, v, e]);
    j = e;
  }
  return out;
}

/** The decoded bytes of an object label at i. */
function labelText(b: Uint8Array, i: number): string {
  const s = [0];
  const n = payloadSize(b, i, b.length, s);
  const t = b[i]! & 0x0f;
  const raw = t === JSONB_TEXT || t === JSONB_TEXTRAW;
  const bytes = raw ? b.subarray(i + n, i + n + s[0]!) : unescapeText(b, i + n, i + n + s[0]!);
  return bytesToText(bytes, false)!;
}

function containerBytes(type: number, payload: Uint8Array, oldHeader: Uint8Array | null, oldSize: number): Uint8Array {
  const out = new ByteBuf(payload.length + 9);
  if (oldHeader !== null && oldSize === payload.length) out.append(oldHeader);
  else appendHeader(out, type, payload.length);
  out.append(payload);
  return out.bytes();
}

function mergePatch(t: Uint8Array, ti: number, p: Uint8Array, pi: number, depth: number): Uint8Array {
  if (depth > 1000) throw malformed();
  const tEnd = t.length === 0 ? 0 : elementEnd(t, ti);
  // A value replacing an existing one keeps its size when SQLite's jsonBlobOverwrite can widen the header.
  if ((p[pi]! & 0x0f) !== JSONB_OBJECT) return overwriteBytes(p.slice(pi, elementEnd(p, pi)), t.length === 0 ? 0 : tEnd - ti);
  let target = t;
  let tStart = ti;
  let header: Uint8Array | null;
  let oldSize: number;
  if (t.length === 0 || (t[ti]! & 0x0f) !== JSONB_OBJECT) {
    target = Uint8Array.of(JSONB_OBJECT);
    tStart = 0;
    header = null;
    oldSize = -1;
  } else {
    const s = [0];
    const n = payloadSize(t, ti, t.length, s);
    header = t.slice(ti, ti + n);
    oldSize = s[0]!;
    target = t.subarray(ti, tEnd);
    tStart = 0;
  }
  const tm = members(target, tStart);
  const parts: (Uint8Array | null)[] = tm.map(([l, , e]) => target.subarray(l, e));
  const labels = tm.map(([l]) => labelText(target, l));
  // Where each member's label/value offsets (tm) point: the target, or the bytes of a member
  // the patch added (a later duplicate key in the patch merges into it, as in SQLite).
  const srcs: Uint8Array[] = tm.map(() => target);
  let changed = false;
  for (const [pl, pv, pe] of members(p, pi)) {
    const key = labelText(p, pl);
    let idx = -1;
    for (let k = 0; k < labels.length && idx < 0; k++) if (labels[k] === key && parts[k] !== null) idx = k;
    const isNull = (p[pv]! & 0x0f) === JSONB_NULL;
    if (idx >= 0) {
      if (isNull) {
        parts[idx] = null;
        changed = true;
      } else {
        const [l, v, e] = tm[idx]!;
        const src = srcs[idx]!;
        const merged = mergePatch(src.subarray(v, e), 0, p, pv, depth + 1);
        const lab = src.subarray(l, v);
        const next = new Uint8Array(lab.length + merged.length);
        next.set(lab);
        next.set(merged, lab.length);
        if (!bytesEqual(next, parts[idx]!)) changed = true;
        parts[idx] = next;
        tm[idx] = [0, lab.length, next.length];
        srcs[idx] = next;
      }
    } else if (!isNull) {
      const lab = p.subarray(pl, pv);
      const val = (p[pv]! & 0x0f) === JSONB_OBJECT ? mergePatch(new Uint8Array(0), 0, p, pv, depth + 1) : p.subarray(pv, pe);
      const next = new Uint8Array(lab.length + val.length);
      next.set(lab);
      next.set(val, lab.length);
      parts.push(next);
      labels.push(key);
      tm.push([0, lab.length, next.length]);
      srcs.push(next);
      changed = true;
    }
  }
  if (!changed && header !== null) return target.slice();
  let len = 0;
  for (const x of parts) if (x) len += x.length;
  const payload = new Uint8Array(len);
  let o = 0;
  for (const x of parts) {
    if (!x) continue;
    payload.set(x, o);
    o += x.length;
  }
  return containerBytes(JSONB_OBJECT, payload, header, oldSize);
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function patchFn(blob: boolean): JsonFunction['fn'] {
  return ([x, y]) => {
    const t = docOf(x!);
    if (t === null) return null;
    const p = docOf(y!);
    if (p === null) return null;
    return docResult(mergePatch(t, 0, p, 0, 0), blob);
  };
}

// ---------------------------------------------------------------------------
// Registry

const V = Infinity;
const def = (name: string, minArgs: number, maxArgs: number, fn: JsonFunction['fn']): JsonFunction => ({ name, minArgs, maxArgs, fn });

const definitions: JsonFunction[] = [
  def('json', 1, 1, jsonFn(false)),
  def('jsonb', 1, 1, jsonFn(true)),
  def('json_array', 0, V, arrayFn(false)),
  def('jsonb_array', 0, V, arrayFn(true)),
  def('json_object', 0, V, objectFn(false)),
  def('jsonb_object', 0, V, objectFn(true)),
  def('json_extract', 1, V, extractFn('extract', false)),
  def('jsonb_extract', 1, V, extractFn('extract', true)),
  def('->', 2, 2, extractFn('arrow', false)),
  def('->>', 2, 2, extractFn('arrow2', false)),
  def('json_type', 1, 2, typeFn),
  def('json_valid', 1, 2, validFn),
  def('json_array_length', 1, 2, arrayLengthFn),
  def('json_error_position', 1, 1, errorPositionFn),
  def('json_quote', 1, 1, quoteFn),
  def('json_pretty', 1, 2, prettyFn),
  def('json_set', 1, V, editFn('set', false)),
  def('jsonb_set', 1, V, editFn('set', true)),
  def('json_insert', 1, V, editFn('insert', false)),
  def('jsonb_insert', 1, V, editFn('insert', true)),
  def('json_replace', 1, V, editFn('replace', false)),
  def('jsonb_replace', 1, V, editFn('replace', true)),
  def('json_array_insert', 1, V, editFn('arrayInsert', false)),
  def('jsonb_array_insert', 1, V, editFn('arrayInsert', true)),
  def('json_remove', 1, V, removeFn(false)),
  def('jsonb_remove', 1, V, removeFn(true)),
  def('json_patch', 2, 2, patchFn(false)),
  def('jsonb_patch', 2, 2, patchFn(true)),
];

/** The JSON scalar functions (and the `->`, `->>` operators) by name. */
export const jsonFunctions: ReadonlyMap<string, JsonFunction> = new Map(definitions.map((f) => [f.name, f]));

// ---------------------------------------------------------------------------
// Aggregates

/** json_group_array / json_group_object accumulators: fed JsonArgs, result with the subtype (or JSONB). */
export interface JsonAccumulator {
  step(args: readonly JsonArg[]): void;
  result(): JsonResult;
}

export function jsonGroupArray(blob: boolean): JsonAccumulator {
  const out = new ByteBuf(64);
  out.push(0x5b);
  return {
    step: (a) => {
      if (out.n > 1) out.push(0x2c);
      appendValue(out, a[0]!);
      checkLength(out.n);
    },
    result: () => {
      const s = bytesToText(out.a.subarray(0, out.n), false)! + ']';
      return textResult(s, blob);
    },
  };
}

export function jsonGroupObject(blob: boolean): JsonAccumulator {
  const out = new ByteBuf(64);
  out.push(0x7b);
  return {
    step: (a) => {
      const k = a[0]!;
      if (k === null) return;
      if (out.n > 1) out.push(0x2c);
      appendQuoted(out, textToBytes(textOf(k)!));
      out.push(0x3a);
      appendValue(out, a[1]!);
      checkLength(out.n);
    },
    result: () => {
      const s = bytesToText(out.a.subarray(0, out.n), false)! + '}';
      return textResult(s, blob);
    },
  };
}

export const JSON_AGGREGATES: ReadonlyMap<string, { readonly nargs: number; readonly create: () => JsonAccumulator }> = new Map([
  ['json_group_array', { nargs: 1, create: () => jsonGroupArray(false) }],
  ['jsonb_group_array', { nargs: 1, create: () => jsonGroupArray(true) }],
  ['json_group_object', { nargs: 2, create: () => jsonGroupObject(false) }],
  ['jsonb_group_object', { nargs: 2, create: () => jsonGroupObject(true) }],
]);

