/**
 * JSON as SQLite 3.53's json.c keeps it: every document is held as JSONB
 * (SQLite's binary JSON, jsonb.html), built from text by `parseJsonText`
 * and rendered back by `renderJson` / `renderJsonPretty`. Working on the
 * same binary form as SQLite is what makes `jsonb()` byte-compatible and
 * what makes text output identical (numbers keep their spelling, JSON5 is
 * normalised on output exactly where SQLite normalises it).
 *
 * JSONB element: a header byte (low nibble: element type, high nibble:
 * payload size 0–11, or 12/13/14/15 = the size follows in 1/2/4/8 bytes,
 * big-endian), then the payload. Scalars carry their text (numbers as
 * written, strings without quotes); arrays and objects carry their
 * elements (objects alternate label, value).
 *
 * Documents nest at most JSON_MAX_DEPTH (1000) deep, as in SQLite: deeper
 * text is "malformed JSON" and deeper JSONB fails validation, so every
 * recursive walk here is bounded. Nothing here returns a view into a
 * caller's array unless its doc says so.
 */
import { HeliosError } from '../format/errors.ts';
import { bytesToText, textToBytes } from '../format/sql-value.ts';

export const JSONB_NULL = 0;
export const JSONB_TRUE = 1;
export const JSONB_FALSE = 2;
export const JSONB_INT = 3;
export const JSONB_INT5 = 4;
export const JSONB_FLOAT = 5;
export const JSONB_FLOAT5 = 6;
export const JSONB_TEXT = 7;
export const JSONB_TEXTJ = 8;
export const JSONB_TEXT5 = 9;
export const JSONB_TEXTRAW = 10;
export const JSONB_ARRAY = 11;
export const JSONB_OBJECT = 12;

/** SQLite's JSON_MAX_DEPTH. */
export const JSON_MAX_DEPTH = 1000;

/**
 * A text value that carries SQLite's JSON subtype: the result of a JSON
 * function, which another JSON function embeds as JSON instead of quoting
 * it as a string. Only the expression compiler and the JSON functions see
 * it; it never reaches a row, a table or the user.
 */
export class JsonText {
  constructor(readonly text: string) {}
}

export function malformed(): HeliosError {
  return new HeliosError('SQL_ERROR', 'malformed JSON');
}

// ---------------------------------------------------------------------------
// A growable byte buffer

export class ByteBuf {
  a: Uint8Array;
  n = 0;
  constructor(cap = 64) {
    this.a = new Uint8Array(cap);
  }
  ensure(extra: number): void {
    const need = this.n + extra;
    if (need <= this.a.length) return;
    let cap = this.a.length * 2;
    while (cap < need) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.a.subarray(0, this.n));
    this.a = b;
  }
  push(c: number): void {
    if (this.n >= this.a.length) this.ensure(1);
    this.a[this.n++] = c;
  }
  append(b: Uint8Array, start = 0, end = b.length): void {
    this.ensure(end - start);
    this.a.set(b.subarray(start, end), this.n);
    this.n += end - start;
  }
  ascii(s: string): void {
    this.ensure(s.length);
    for (let i = 0; i < s.length; i++) this.a[this.n++] = s.charCodeAt(i);
  }
  /** A copy of the bytes written. */
  bytes(): Uint8Array {
    return this.a.slice(0, this.n);
  }
}

/** Appends a node header for `type` with a payload of `size` bytes, in the smallest encoding. */
export function appendHeader(out: ByteBuf, type: number, size: number): void {
  if (size <= 11) out.push(type | (size << 4));
  else if (size <= 0xff) {
    out.push(type | 0xc0);
    out.push(size);
  } else if (size <= 0xffff) {
    out.push(type | 0xd0);
    out.push(size >> 8);
    out.push(size & 0xff);
  } else {
    out.push(type | 0xe0);
    out.push((size >>> 24) & 0xff);
    out.push((size >>> 16) & 0xff);
    out.push((size >>> 8) & 0xff);
    out.push(size & 0xff);
  }
}

export function headerLength(size: number): number {
  return size <= 11 ? 1 : size <= 0xff ? 2 : size <= 0xffff ? 3 : 5;
}

/** One scalar node with its payload. */
export function appendNode(out: ByteBuf, type: number, payload: Uint8Array): void {
  appendHeader(out, type, payload.length);
  out.append(payload);
}

/**
 * SQLite's jsonbPayloadSize: the header length of the node at `i` (0 when
 * the header or the payload does not fit in `end`), with the payload size in
 * `sizeOut[0]`.
 */
export function payloadSize(b: Uint8Array, i: number, end: number, sizeOut: number[]): number {
  if (i >= end) {
    sizeOut[0] = 0;
    return 0;
  }
  const x = b[i]! >> 4;
  let sz: number;
  let n: number;
  if (x <= 11) {
    sz = x;
    n = 1;
  } else if (x === 12) {
    if (i + 1 >= end) return (sizeOut[0] = 0);
    sz = b[i + 1]!;
    n = 2;
  } else if (x === 13) {
    if (i + 2 >= end) return (sizeOut[0] = 0);
    sz = (b[i + 1]! << 8) | b[i + 2]!;
    n = 3;
  } else if (x === 14) {
    if (i + 4 >= end) return (sizeOut[0] = 0);
    sz = ((b[i + 1]! << 24) >>> 0) + (b[i + 2]! << 16) + (b[i + 3]! << 8) + b[i + 4]!;
    n = 5;
  } else {
    if (i + 8 >= end || b[i + 1] !== 0 || b[i + 2] !== 0 || b[i + 3] !== 0 || b[i + 4] !== 0) return (sizeOut[0] = 0);
    sz = ((b[i + 5]! << 24) >>> 0) + (b[i + 6]! << 16) + (b[i + 7]! << 8) + b[i + 8]!;
    n = 9;
  }
  if (i + sz + n > end) {
    sizeOut[0] = 0;
    return 0;
  }
  sizeOut[0] = sz;
  return n;
}

// ---------------------------------------------------------------------------
// Character classes

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isXDigit = (c: number): boolean => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
const isAlpha = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isAlnum = (c: number): boolean => isAlpha(c) || isDigit(c);
const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
/** A character that needs no escape inside a JSON string (jsonIsOk). */
const isOk = (c: number): boolean => c >= 0x20 && c !== 0x22 && c !== 0x5c;
/** JSON5 identifier characters (sqlite3JsonId1 / sqlite3JsonId2). */
const isId1 = (c: number): boolean => isAlpha(c) || c === 0x5f || c === 0x24 || c >= 0x80;
const isId2 = (c: number): boolean => isId1(c) || isDigit(c);

function hexVal(c: number): number {
  return c <= 57 ? c - 48 : (c | 32) - 87;
}

function is4Hex(z: Uint8Array, i: number): boolean {
  return isXDigit(z[i]!) && isXDigit(z[i + 1]!) && isXDigit(z[i + 2]!) && isXDigit(z[i + 3]!);
}

/** Bytes of JSON5 whitespace or comment at z[i] (json5Whitespace); 0 when none. */
function json5Whitespace(z: Uint8Array, i: number): number {
  let n = 0;
  for (;;) {
    const c = z[i + n]!;
    switch (c) {
      case 0x09:
      case 0x0a:
      case 0x0b:
      case 0x0c:
      case 0x0d:
      case 0x20:
        n++;
        continue;
      case 0x2f: {
        const d = z[i + n + 1];
        if (d === 0x2a) {
          let j = i + n + 2;
          for (;;) {
            if (z[j] === 0) return n;
            if (z[j] === 0x2a && z[j + 1] === 0x2f) break;
            j++;
          }
          n = j + 2 - i;
          continue;
        }
        if (d === 0x2f) {
          let j = i + n + 2;
          for (;;) {
            const e = z[j]!;
            if (e === 0) {
              n = j - i;
              break;
            }
            if (e === 0x0a || e === 0x0d) {
              n = j + 1 - i;
              break;
            }
            if (e === 0xe2 && z[j + 1] === 0x80 && (z[j + 2] === 0xa8 || z[j + 2] === 0xa9)) {
              n = j + 3 - i;
              break;
            }
            j++;
          }
          continue;
        }
        return n;
      }
      case 0xc2:
        if (z[i + n + 1] === 0xa0) {
          n += 2;
          continue;
        }
        return n;
      case 0xe1:
        if (z[i + n + 1] === 0x9a && z[i + n + 2] === 0x80) {
          n += 3;
          continue;
        }
        return n;
      case 0xe2: {
        const c1 = z[i + n + 1];
        const c2 = z[i + n + 2]!;
        if (c1 === 0x80) {
          if (c2 <= 0x8a || c2 === 0xa8 || c2 === 0xa9 || c2 === 0xaf) {
            n += 3;
            continue;
          }
        } else if (c1 === 0x81 && c2 === 0x9f) {
          n += 3;
          continue;
        }
        return n;
      }
      case 0xe3:
        if (z[i + n + 1] === 0x80 && z[i + n + 2] === 0x80) {
          n += 3;
          continue;
        }
        return n;
      case 0xef:
        if (z[i + n + 1] === 0xbb && z[i + n + 2] === 0xbf) {
          n += 3;
          continue;
        }
        return n;
      default:
        return n;
    }
  }
}

const NAN_INF: readonly { c1: number; c2: number; match: string; type: number }[] = [
  { c1: 0x69, c2: 0x49, match: 'inf', type: JSONB_FLOAT },
  { c1: 0x69, c2: 0x49, match: 'infinity', type: JSONB_FLOAT },
  { c1: 0x6e, c2: 0x4e, match: 'nan', type: JSONB_NULL },
  { c1: 0x71, c2: 0x51, match: 'qnan', type: JSONB_NULL },
  { c1: 0x73, c2: 0x53, match: 'snan', type: JSONB_NULL },
];

function matchesNoCase(z: Uint8Array, i: number, word: string): boolean {
  for (let k = 0; k < word.length; k++) if ((z[i + k]! | 0x20) !== word.charCodeAt(k)) return false;
  return true;
}

const ASCII = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const NINE_E999 = ASCII('9e999');
const MINUS_NINE_E999 = ASCII('-9e999');

// ---------------------------------------------------------------------------
// Text → JSONB

/** The outcome of parsing JSON text: the JSONB, or where it failed. */
export interface ParsedText {
  readonly blob: Uint8Array | null;
  /** Byte offset SQLite reports for the error (json_error_position counts characters up to it). */
  readonly errByte: number;
  /** The input used JSON5 extensions. */
  readonly nonStandard: boolean;
}

class TextParser {
  readonly out = new ByteBuf(64);
  depth = 0;
  iErr = 0;
  nonstd = false;
  private readonly sizeBuf = [0];
  constructor(readonly z: Uint8Array) {}

  /** Appends a header sized for `estimate` (the remaining text); the caller fixes it with `fix`. */
  private openContainer(type: number): number {
    const at = this.out.n;
    appendHeader(this.out, type, this.z.length - 1);
    return at;
  }

  /** Rewrites the container header at `at` for its final payload, in the smallest encoding. */
  private fix(at: number): void {
    const o = this.out;
    const oldHdr = payloadHeaderLen(o.a[at]! >> 4);
    const size = o.n - at - oldHdr;
    const newHdr = headerLength(size);
    if (newHdr !== oldHdr) {
      o.a.copyWithin(at + newHdr, at + oldHdr, o.n);
      o.n += newHdr - oldHdr;
    }
    const type = o.a[at]! & 0x0f;
    const saved = o.n;
    o.n = at;
    appendHeader(o, type, size);
    o.n = saved;
  }

  /**
   * jsonTranslateTextToBlob: parses one value at z[i]; returns the index
   * after it, 0 at end of input, -1 on error, -2/-3/-4/-5 for a '}', ']',
   * ',' or ':' found instead of a value (iErr = its index).
   */
  value(i: number): number {
    const z = this.z;
    for (;;) {
      const c = z[i]!;
      switch (c) {
        case 0x7b: /* { */ {
          const at = this.openContainer(JSONB_OBJECT);
          if (++this.depth > JSON_MAX_DEPTH) {
            this.iErr = i;
            return -1;
          }
          const start = this.out.n;
          let j: number;
          for (j = i + 1; ; j++) {
            const iBlob = this.out.n;
            let x = this.value(j);
            if (x <= 0) {
              if (x === -2) {
                j = this.iErr;
                if (this.out.n !== start) this.nonstd = true;
                break;
              }
              j += json5Whitespace(z, j);
              let op = JSONB_TEXT;
              if (isId1(z[j]!) || (z[j] === 0x5c && z[j + 1] === 0x75 && is4Hex(z, j + 2))) {
                if (z[j] === 0x5c) op = JSONB_TEXT5;
                let k = j + 1;
                for (;;) {
                  if (isId2(z[k]!) && json5Whitespace(z, k) === 0) k++;
                  else if (z[k] === 0x5c && z[k + 1] === 0x75 && is4Hex(z, k + 2)) {
                    op = JSONB_TEXT5;
                    k++;
                  } else break;
                }
                appendNode(this.out, op, z.subarray(j, k));
                this.nonstd = true;
                x = k;
              } else {
                if (x !== -1) this.iErr = j;
                return -1;
              }
            }
            const t = this.out.a[iBlob]! & 0x0f;
            if (t < JSONB_TEXT || t > JSONB_TEXTRAW) {
              this.iErr = j;
              return -1;
            }
            j = x;
            let gotColon = false;
            if (z[j] === 0x3a) {
              j++;
              gotColon = true;
            } else {
              if (isSpace(z[j]!)) {
                do j++;
                while (isSpace(z[j]!));
                if (z[j] === 0x3a) {
                  j++;
                  gotColon = true;
                }
              }
              if (!gotColon) {
                x = this.value(j);
                if (x !== -5) {
                  if (x !== -1) this.iErr = j;
                  return -1;
                }
                j = this.iErr + 1;
              }
            }
            x = this.value(j);
            if (x <= 0) {
              if (x !== -1) this.iErr = j;
              return -1;
            }
            j = x;
            if (z[j] === 0x2c) continue;
            if (z[j] === 0x7d) break;
            if (isSpace(z[j]!)) {
              do j++;
              while (isSpace(z[j]!));
              if (z[j] === 0x2c) continue;
              if (z[j] === 0x7d) break;
            }
            x = this.value(j);
            if (x === -4) {
              j = this.iErr;
              continue;
            }
            if (x === -2) {
              j = this.iErr;
              break;
            }
            this.iErr = j;
            return -1;
          }
          this.fix(at);
          this.depth--;
          return j + 1;
        }
        case 0x5b: /* [ */ {
          const at = this.openContainer(JSONB_ARRAY);
          if (++this.depth > JSON_MAX_DEPTH) {
            this.iErr = i;
            return -1;
          }
          const start = this.out.n;
          let j: number;
          for (j = i + 1; ; j++) {
            let x = this.value(j);
            if (x <= 0) {
              if (x === -3) {
                j = this.iErr;
                if (this.out.n !== start) this.nonstd = true;
                break;
              }
              if (x !== -1) this.iErr = j;
              return -1;
            }
            j = x;
            if (z[j] === 0x2c) continue;
            if (z[j] === 0x5d) break;
            if (isSpace(z[j]!)) {
              do j++;
              while (isSpace(z[j]!));
              if (z[j] === 0x2c) continue;
              if (z[j] === 0x5d) break;
            }
            x = this.value(j);
            if (x === -4) {
              j = this.iErr;
              continue;
            }
            if (x === -3) {
              j = this.iErr;
              break;
            }
            this.iErr = j;
            return -1;
          }
          this.fix(at);
          this.depth--;
          return j + 1;
        }
        case 0x27: /* ' */
          this.nonstd = true;
          return this.string(i, 0x27);
        case 0x22: /* " */
          return this.string(i, 0x22);
        case 0x74: /* t */
          if (z[i + 1] === 0x72 && z[i + 2] === 0x75 && z[i + 3] === 0x65 && !isAlnum(z[i + 4]!)) {
            this.out.push(JSONB_TRUE);
            return i + 4;
          }
          this.iErr = i;
          return -1;
        case 0x66: /* f */
          if (z[i + 1] === 0x61 && z[i + 2] === 0x6c && z[i + 3] === 0x73 && z[i + 4] === 0x65 && !isAlnum(z[i + 5]!)) {
            this.out.push(JSONB_FALSE);
            return i + 5;
          }
          this.iErr = i;
          return -1;
        case 0x2b: /* + */
          this.nonstd = true;
          return this.number(i, 0);
        case 0x2e: /* . */
          if (isDigit(z[i + 1]!)) {
            this.nonstd = true;
            return this.number2(i, 0x03);
          }
          this.iErr = i;
          return -1;
        case 0x2d:
        case 0x30:
        case 0x31:
        case 0x32:
        case 0x33:
        case 0x34:
        case 0x35:
        case 0x36:
        case 0x37:
        case 0x38:
        case 0x39:
          return this.number(i, 0);
        case 0x7d:
          this.iErr = i;
          return -2;
        case 0x5d:
          this.iErr = i;
          return -3;
        case 0x2c:
          this.iErr = i;
          return -4;
        case 0x3a:
          this.iErr = i;
          return -5;
        case 0:
          return 0;
        case 0x09:
        case 0x0a:
        case 0x0d:
        case 0x20:
          i++;
          while (isSpace(z[i]!)) i++;
          continue;
        case 0x0b:
        case 0x0c:
        case 0x2f:
        case 0xc2:
        case 0xe1:
        case 0xe2:
        case 0xe3:
        case 0xef: {
          const j = json5Whitespace(z, i);
          if (j > 0) {
            i += j;
            this.nonstd = true;
            continue;
          }
          this.iErr = i;
          return -1;
        }
        case 0x6e: /* n */
          if (z[i + 1] === 0x75 && z[i + 2] === 0x6c && z[i + 3] === 0x6c && !isAlnum(z[i + 4]!)) {
            this.out.push(JSONB_NULL);
            return i + 4;
          }
          return this.nanInf(i);
        default:
          return this.nanInf(i);
      }
    }
  }

  /** NaN, Infinity and their spellings (JSON5 and SQLite's extras), else an error at i. */
  private nanInf(i: number): number {
    const z = this.z;
    const c = z[i]!;
    for (const k of NAN_INF) {
      if (c !== k.c1 && c !== k.c2) continue;
      const nn = k.match.length;
      if (!matchesNoCase(z, i, k.match)) continue;
      if (isAlnum(z[i + nn]!)) continue;
      if (k.type === JSONB_FLOAT) appendNode(this.out, JSONB_FLOAT, NINE_E999);
      else this.out.push(JSONB_NULL);
      this.nonstd = true;
      return i + nn;
    }
    this.iErr = i;
    return -1;
  }

  private string(i: number, delim: number): number {
    const z = this.z;
    let op = JSONB_TEXT;
    let j = i + 1;
    for (;;) {
      const c = z[j]!;
      if (isOk(c) && c !== delim) {
        j++;
        continue;
      }
      if (c === delim) break;
      if (c === 0x5c) {
        const d = z[++j]!;
        if (d === 0x22 || d === 0x5c || d === 0x2f || d === 0x62 || d === 0x66 || d === 0x6e || d === 0x72 || d === 0x74 || (d === 0x75 && is4Hex(z, j + 1))) {
          if (op === JSONB_TEXT) op = JSONB_TEXTJ;
        } else if (
          d === 0x27 ||
          d === 0x76 ||
          d === 0x0a ||
          (d === 0x30 && !isDigit(z[j + 1]!)) ||
          (d === 0xe2 && z[j + 1] === 0x80 && (z[j + 2] === 0xa8 || z[j + 2] === 0xa9)) ||
          (d === 0x78 && isXDigit(z[j + 1]!) && isXDigit(z[j + 2]!))
        ) {
          op = JSONB_TEXT5;
          this.nonstd = true;
        } else if (d === 0x0d) {
          if (z[j + 1] === 0x0a) j++;
          op = JSONB_TEXT5;
          this.nonstd = true;
        } else {
          this.iErr = j;
          return -1;
        }
      } else if (c <= 0x1f) {
        if (c === 0 && j >= z.length - 1) {
          this.iErr = j;
          return -1;
        }
        if (c === 0) {
          this.iErr = j;
          return -1;
        }
        op = JSONB_TEXT5;
        this.nonstd = true;
      } else if (c === 0x22) {
        op = JSONB_TEXT5;
      }
      j++;
    }
    appendNode(this.out, op, z.subarray(i + 1, j));
    return j + 1;
  }

  /** A number starting at z[i] ('-', '+' or a digit); t bit 0x01: JSON5, bit 0x02: FLOAT. */
  private number(i: number, t: number): number {
    const z = this.z;
    const c = z[i]!;
    if (c <= 0x30) {
      if (c === 0x30) {
        if ((z[i + 1] === 0x78 || z[i + 1] === 0x58) && isXDigit(z[i + 2]!)) {
          this.nonstd = true;
          let j = i + 3;
          while (isXDigit(z[j]!)) j++;
          return this.finishNumber(i, j, 0x01);
        }
        if (isDigit(z[i + 1]!)) {
          this.iErr = i + 1;
          return -1;
        }
      } else {
        if (!isDigit(z[i + 1]!)) {
          if ((z[i + 1] === 0x49 || z[i + 1] === 0x69) && matchesNoCase(z, i + 1, 'inf')) {
            this.nonstd = true;
            appendNode(this.out, JSONB_FLOAT, c === 0x2d ? MINUS_NINE_E999 : NINE_E999);
            return i + (matchesNoCase(z, i + 4, 'inity') ? 9 : 4);
          }
          if (z[i + 1] === 0x2e) {
            this.nonstd = true;
            return this.number2(i, t | 0x01);
          }
          this.iErr = i;
          return -1;
        }
        if (z[i + 1] === 0x30) {
          if (isDigit(z[i + 2]!)) {
            this.iErr = i + 1;
            return -1;
          }
          if ((z[i + 2] === 0x78 || z[i + 2] === 0x58) && isXDigit(z[i + 3]!)) {
            this.nonstd = true;
            let j = i + 4;
            while (isXDigit(z[j]!)) j++;
            return this.finishNumber(i, j, t | 0x01);
          }
        }
      }
    }
    return this.number2(i, t);
  }

  private number2(i: number, t: number): number {
    const z = this.z;
    let seenE = false;
    let j: number;
    for (j = i + 1; ; j++) {
      const c = z[j]!;
      if (isDigit(c)) continue;
      if (c === 0x2e) {
        if ((t & 0x02) !== 0) {
          this.iErr = j;
          return -1;
        }
        t |= 0x02;
        continue;
      }
      if (c === 0x65 || c === 0x45) {
        if (z[j - 1]! < 0x30) {
          if (z[j - 1] === 0x2e && j - 2 >= i && isDigit(z[j - 2]!)) {
            this.nonstd = true;
            t |= 0x01;
          } else {
            this.iErr = j;
            return -1;
          }
        }
        if (seenE) {
          this.iErr = j;
          return -1;
        }
        t |= 0x02;
        seenE = true;
        let d = z[j + 1]!;
        if (d === 0x2b || d === 0x2d) {
          j++;
          d = z[j + 1]!;
        }
        if (d < 0x30 || d > 0x39) {
          this.iErr = j;
          return -1;
        }
        continue;
      }
      break;
    }
    if (z[j - 1]! < 0x30) {
      if (z[j - 1] === 0x2e && j - 2 >= i && isDigit(z[j - 2]!)) {
        this.nonstd = true;
        t |= 0x01;
      } else {
        this.iErr = j;
        return -1;
      }
    }
    return this.finishNumber(i, j, t);
  }

  private finishNumber(i: number, j: number, t: number): number {
    if (this.z[i] === 0x2b) i++;
    appendNode(this.out, JSONB_INT + t, this.z.subarray(i, j));
    return j;
  }
}

function payloadHeaderLen(x: number): number {
  return x <= 11 ? 1 : x === 12 ? 2 : x === 13 ? 3 : x === 14 ? 5 : 9;
}

/** Text as SQLite's C code reads it: UTF-8 bytes with a NUL after the end (a NUL inside ends it). */
export function cBytes(text: string): Uint8Array {
  const b = textToBytes(text);
  const z = new Uint8Array(b.length + 1);
  z.set(b);
  return z;
}

/**
 * Parses JSON text (RFC 8259 plus SQLite's JSON5 extensions) into JSONB,
 * as jsonConvertTextToBlob does; a failure gives blob null and the byte
 * position SQLite reports.
 */
export function parseJsonBytes(z: Uint8Array): ParsedText {
  const p = new TextParser(z);
  let i = p.value(0);
  if (i > 0) {
    while (isSpace(z[i]!)) i++;
    if (z[i] !== 0) {
      i += json5Whitespace(z, i);
      if (z[i] !== 0) return { blob: null, errByte: p.iErr, nonStandard: p.nonstd };
      p.nonstd = true;
    }
  }
  if (i <= 0) return { blob: null, errByte: p.iErr, nonStandard: p.nonstd };
  return { blob: p.out.bytes(), errByte: 0, nonStandard: p.nonstd };
}

/** parseJsonBytes over a string; throws "malformed JSON" on failure. */
export function parseJsonText(text: string): Uint8Array {
  const r = parseJsonBytes(cBytes(text));
  if (r.blob === null) throw malformed();
  return r.blob;
}

// ---------------------------------------------------------------------------
// JSONB validity

/**
 * jsonArgIsJsonb: whether a BLOB is taken as JSONB (else SQLite reads it as
 * text). The outer node must span the blob exactly; a short blob that could
 * also be JSON text must pass the full check.
 */
export function looksLikeJsonb(b: Uint8Array): boolean {
  if (b.length === 0) return false;
  const c = b[0]!;
  if ((c & 0x0f) > JSONB_OBJECT) return false;
  const sz = [0];
  const n = payloadSize(b, 0, b.length, sz);
  if (n === 0 || sz[0]! + n !== b.length) return false;
  if ((c & 0x0f) <= JSONB_FALSE && sz[0] !== 0) return false;
  if (sz[0]! > 7 || (c !== 0x7b && c !== 0x5b && !isDigit(c))) return true;
  return validityCheck(b, 0, b.length, 1) === 0;
}

/** jsonbValidityCheck: 0 when the node at i (ending at end) is well-formed, else an error position + 1. */
export function validityCheck(z: Uint8Array, i: number, end: number, depth: number): number {
  if (depth > JSON_MAX_DEPTH) return i + 1;
  const szb = [0];
  const n = payloadSize(z, i, end, szb);
  const sz = szb[0]!;
  if (n === 0) return i + 1;
  if (i + n + sz !== end) return i + 1;
  const x = z[i]! & 0x0f;
  switch (x) {
    case JSONB_NULL:
    case JSONB_TRUE:
    case JSONB_FALSE:
      return n + sz === 1 ? 0 : i + 1;
    case JSONB_INT: {
      if (sz < 1) return i + 1;
      let j = i + n;
      if (z[j] === 0x2d) {
        j++;
        if (sz < 2) return i + 1;
      }
      const k = i + n + sz;
      while (j < k) {
        if (isDigit(z[j]!)) j++;
        else return j + 1;
      }
      return 0;
    }
    case JSONB_INT5: {
      if (sz < 3) return i + 1;
      let j = i + n;
      if (z[j] === 0x2d) {
        if (sz < 4) return i + 1;
        j++;
      }
      if (z[j] !== 0x30) return i + 1;
      if (z[j + 1] !== 0x78 && z[j + 1] !== 0x58) return j + 2;
      j += 2;
      const k = i + n + sz;
      while (j < k) {
        if (isXDigit(z[j]!)) j++;
        else return j + 1;
      }
      return 0;
    }
    case JSONB_FLOAT:
    case JSONB_FLOAT5: {
      let seen = 0;
      if (sz < 2) return i + 1;
      let j = i + n;
      const k = j + sz;
      if (z[j] === 0x2d) {
        j++;
        if (sz < 3) return i + 1;
      }
      if (z[j] === 0x2e) {
        if (x === JSONB_FLOAT) return j + 1;
        if (!isDigit(z[j + 1]!)) return j + 1;
        j += 2;
        seen = 1;
      } else if (z[j] === 0x30 && x === JSONB_FLOAT) {
        if (j + 3 > k) return j + 1;
        if (z[j + 1] !== 0x2e && z[j + 1] !== 0x65 && z[j + 1] !== 0x45) return j + 1;
        j++;
      }
      for (; j < k; j++) {
        const c = z[j]!;
        if (isDigit(c)) continue;
        if (c === 0x2e) {
          if (seen > 0) return j + 1;
          if (x === JSONB_FLOAT && (j === k - 1 || !isDigit(z[j + 1]!))) return j + 1;
          seen = 1;
          continue;
        }
        if (c === 0x65 || c === 0x45) {
          if (seen === 2) return j + 1;
          if (j === k - 1) return j + 1;
          if (z[j + 1] === 0x2b || z[j + 1] === 0x2d) {
            j++;
            if (j === k - 1) return j + 1;
          }
          seen = 2;
          continue;
        }
        return j + 1;
      }
      if (seen === 0) return i + 1;
      return 0;
    }
    case JSONB_TEXT: {
      let j = i + n;
      const k = j + sz;
      while (j < k) {
        if (!isOk(z[j]!) && z[j] !== 0x27) return j + 1;
        j++;
      }
      return 0;
    }
    case JSONB_TEXTJ:
    case JSONB_TEXT5: {
      let j = i + n;
      const k = j + sz;
      while (j < k) {
        const c = z[j]!;
        if (!isOk(c) && c !== 0x27) {
          if (c === 0x22) {
            if (x === JSONB_TEXTJ) return j + 1;
          } else if (c <= 0x1f) {
            if (x === JSONB_TEXTJ) return j + 1;
          } else if (c !== 0x5c || j + 1 >= k) {
            return j + 1;
          } else if ('"\\/bfnrt'.includes(String.fromCharCode(z[j + 1]!))) {
            j++;
          } else if (z[j + 1] === 0x75) {
            if (j + 5 >= k) return j + 1;
            if (!is4Hex(z, j + 2)) return j + 1;
            j++;
          } else if (x !== JSONB_TEXT5) {
            return j + 1;
          } else {
            const r = unescapeOne(z, j, k);
            if (r.cp < 0) return j + 1;
            j += r.len - 1;
          }
        }
        j++;
      }
      return 0;
    }
    case JSONB_TEXTRAW:
      return 0;
    case JSONB_ARRAY: {
      let j = i + n;
      const k = j + sz;
      const s = [0];
      while (j < k) {
        const m = payloadSize(z, j, k, s);
        if (m === 0) return j + 1;
        if (j + m + s[0]! > k) return j + 1;
        const sub = validityCheck(z, j, j + m + s[0]!, depth + 1);
        if (sub) return sub;
        j += m + s[0]!;
      }
      return 0;
    }
    case JSONB_OBJECT: {
      let cnt = 0;
      let j = i + n;
      const k = j + sz;
      const s = [0];
      while (j < k) {
        const m = payloadSize(z, j, k, s);
        if (m === 0) return j + 1;
        if (j + m + s[0]! > k) return j + 1;
        if ((cnt & 1) === 0) {
          const t = z[j]! & 0x0f;
          if (t < JSONB_TEXT || t > JSONB_TEXTRAW) return j + 1;
        }
        const sub = validityCheck(z, j, j + m + s[0]!, depth + 1);
        if (sub) return sub;
        cnt++;
        j += m + s[0]!;
      }
      if ((cnt & 1) !== 0) return j + 1;
      return 0;
    }
    default:
      return i + 1;
  }
}

// ---------------------------------------------------------------------------
// Escapes

/**
 * jsonUnescapeOneChar: the escape at z[i] (a backslash) up to `end`: its
 * code point (-1 when invalid, -2 for a line continuation that yields
 * nothing) and its length in bytes.
 */
export function unescapeOne(z: Uint8Array, i: number, end: number): { cp: number; len: number } {
  if (end - i < 2) return { cp: -1, len: 1 };
  const c = z[i + 1]!;
  switch (c) {
    case 0x75: {
      if (end - i < 6 || !is4Hex(z, i + 2)) return { cp: -1, len: 2 };
      let v = (hexVal(z[i + 2]!) << 12) | (hexVal(z[i + 3]!) << 8) | (hexVal(z[i + 4]!) << 4) | hexVal(z[i + 5]!);
      if ((v & 0xfc00) === 0xd800 && end - i >= 12 && z[i + 6] === 0x5c && z[i + 7] === 0x75 && is4Hex(z, i + 8)) {
        const lo = (hexVal(z[i + 8]!) << 12) | (hexVal(z[i + 9]!) << 8) | (hexVal(z[i + 10]!) << 4) | hexVal(z[i + 11]!);
        if ((lo & 0xfc00) === 0xdc00) {
          v = (((v & 0x3ff) << 10) | (lo & 0x3ff)) + 0x10000;
          return { cp: v, len: 12 };
        }
      }
      return { cp: v, len: 6 };
    }
    case 0x62:
      return { cp: 8, len: 2 };
    case 0x66:
      return { cp: 12, len: 2 };
    case 0x6e:
      return { cp: 10, len: 2 };
    case 0x72:
      return { cp: 13, len: 2 };
    case 0x74:
      return { cp: 9, len: 2 };
    case 0x76:
      return { cp: 11, len: 2 };
    case 0x27:
    case 0x22:
    case 0x2f:
    case 0x5c:
      return { cp: c, len: 2 };
    case 0x30:
      return { cp: 0, len: isDigit(z[i + 2] ?? 0) ? 3 : 2 };
    case 0x78:
      if (end - i < 4 || !isXDigit(z[i + 2]!) || !isXDigit(z[i + 3]!)) return { cp: -1, len: 2 };
      return { cp: (hexVal(z[i + 2]!) << 4) | hexVal(z[i + 3]!), len: 4 };
    case 0xe2:
      if (end - i >= 4 && z[i + 2] === 0x80 && (z[i + 3] === 0xa8 || z[i + 3] === 0xa9)) return { cp: -2, len: 4 };
      return { cp: -1, len: 2 };
    case 0x0d:
      return { cp: -2, len: z[i + 2] === 0x0a && end - i >= 3 ? 3 : 2 };
    case 0x0a:
      return { cp: -2, len: 2 };
    default:
      return { cp: -1, len: 2 };
  }
}

function appendUtf8(out: ByteBuf, cp: number): void {
  if (cp < 0x80) out.push(cp);
  else if (cp < 0x800) {
    out.push(0xc0 | (cp >> 6));
    out.push(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out.push(0xe0 | (cp >> 12));
    out.push(0x80 | ((cp >> 6) & 0x3f));
    out.push(0x80 | (cp & 0x3f));
  } else {
    out.push(0xf0 | (cp >> 18));
    out.push(0x80 | ((cp >> 12) & 0x3f));
    out.push(0x80 | ((cp >> 6) & 0x3f));
    out.push(0x80 | (cp & 0x3f));
  }
}

/** The string a TEXTJ/TEXT5 payload stands for (escapes decoded), as UTF-8. */
export function unescapeText(z: Uint8Array, start: number, end: number): Uint8Array {
  const out = new ByteBuf(end - start);
  let i = start;
  while (i < end) {
    const c = z[i]!;
    if (c !== 0x5c) {
      out.push(c);
      i++;
      continue;
    }
    const r = unescapeOne(z, i, end);
    if (r.cp === -1) throw malformed();
    if (r.cp >= 0) appendUtf8(out, r.cp);
    i += r.len;
  }
  return out.bytes();
}

const HEX = '0123456789abcdef';

function appendControl(out: ByteBuf, c: number): void {
  switch (c) {
    case 8:
      out.ascii('\\b');
      return;
    case 9:
      out.ascii('\\t');
      return;
    case 10:
      out.ascii('\\n');
      return;
    case 12:
      out.ascii('\\f');
      return;
    case 13:
      out.ascii('\\r');
      return;
    default:
      out.ascii('\\u00');
      out.push(HEX.charCodeAt(c >> 4));
      out.push(HEX.charCodeAt(c & 15));
  }
}

/** jsonAppendString: `b[start, end)` as a quoted JSON string with the escapes JSON needs. */
export function appendQuoted(out: ByteBuf, b: Uint8Array, start = 0, end = b.length): void {
  out.push(0x22);
  let i = start;
  while (i < end) {
    let k = i;
    while (k < end && isOk(b[k]!)) k++;
    if (k > i) out.append(b, i, k);
    if (k >= end) break;
    const c = b[k]!;
    if (c === 0x22 || c === 0x5c) {
      out.push(0x5c);
      out.push(c);
    } else appendControl(out, c);
    i = k + 1;
  }
  out.push(0x22);
}

// ---------------------------------------------------------------------------
// JSONB → text

/**
 * jsonTranslateBlobToText: renders the node at `i` into `out` and returns
 * the index after it. Malformed JSONB throws "malformed JSON".
 */
export function renderNode(b: Uint8Array, i: number, end: number, out: ByteBuf, sizeBuf: number[] = [0], depth = 0): number {
  if (depth > JSON_MAX_DEPTH) throw malformed();
  const n = payloadSize(b, i, end, sizeBuf);
  if (n === 0) throw malformed();
  const sz = sizeBuf[0]!;
  const p = i + n;
  switch (b[i]! & 0x0f) {
    case JSONB_NULL:
      out.ascii('null');
      return i + 1;
    case JSONB_TRUE:
      out.ascii('true');
      return i + 1;
    case JSONB_FALSE:
      out.ascii('false');
      return i + 1;
    case JSONB_INT:
    case JSONB_FLOAT:
      if (sz === 0) throw malformed();
      out.append(b, p, p + sz);
      break;
    case JSONB_INT5: {
      let k = 2;
      let u = 0n;
      let overflow = false;
      if (b[p] === 0x2d) {
        out.push(0x2d);
        k++;
      } else if (b[p] === 0x2b) k++;
      for (; k < sz; k++) {
        const c = b[p + k]!;
        if (!isXDigit(c)) throw malformed();
        if (u >> 60n !== 0n) overflow = true;
        else u = u * 16n + BigInt(hexVal(c));
      }
      out.ascii(overflow ? '9.0e999' : u.toString());
      break;
    }
    case JSONB_FLOAT5: {
      let k = 0;
      if (b[p] === 0x2d) {
        out.push(0x2d);
        k++;
      }
      if (b[p + k] === 0x2e) out.push(0x30);
      for (; k < sz; k++) {
        const c = b[p + k]!;
        out.push(c);
        if (c === 0x2e && (k + 1 === sz || !isDigit(b[p + k + 1]!))) out.push(0x30);
      }
      break;
    }
    case JSONB_TEXT:
    case JSONB_TEXTJ:
      out.push(0x22);
      out.append(b, p, p + sz);
      out.push(0x22);
      break;
    case JSONB_TEXT5:
      renderText5(b, p, p + sz, out);
      break;
    case JSONB_TEXTRAW:
      appendQuoted(out, b, p, p + sz);
      break;
    case JSONB_ARRAY: {
      out.push(0x5b);
      let j = p;
      const iEnd = p + sz;
      while (j < iEnd) {
        j = renderNode(b, j, iEnd, out, sizeBuf, depth + 1);
        out.push(0x2c);
      }
      if (j > iEnd) throw malformed();
      if (sz > 0) out.n--;
      out.push(0x5d);
      break;
    }
    case JSONB_OBJECT: {
      out.push(0x7b);
      let j = p;
      const iEnd = p + sz;
      let x = 0;
      while (j < iEnd) {
        j = renderNode(b, j, iEnd, out, sizeBuf, depth + 1);
        out.push(x++ & 1 ? 0x2c : 0x3a);
      }
      if (x & 1 || j > iEnd) throw malformed();
      if (sz > 0) out.n--;
      out.push(0x7d);
      break;
    }
    default:
      throw malformed();
  }
  return p + sz;
}

function renderText5(z: Uint8Array, start: number, end: number, out: ByteBuf): void {
  out.push(0x22);
  let i = start;
  while (i < end) {
    let k = i;
    while (k < end && (isOk(z[k]!) || z[k] === 0x27)) k++;
    if (k > i) {
      out.append(z, i, k);
      if (k >= end) break;
      i = k;
    }
    const c = z[i]!;
    if (c === 0x22) {
      out.ascii('\\"');
      i++;
      continue;
    }
    if (c <= 0x1f) {
      appendControl(out, c);
      i++;
      continue;
    }
    // A backslash.
    if (end - i < 2) throw malformed();
    const d = z[i + 1]!;
    switch (d) {
      case 0x27:
        out.push(0x27);
        break;
      case 0x76:
        out.ascii('\\u000b');
        break;
      case 0x78:
        if (end - i < 4) throw malformed();
        out.ascii('\\u00');
        out.push(z[i + 2]!);
        out.push(z[i + 3]!);
        i += 2;
        break;
      case 0x30:
        out.ascii('\\u0000');
        break;
      case 0x0d:
        if (end - i > 2 && z[i + 2] === 0x0a) i++;
        break;
      case 0x0a:
        break;
      case 0xe2:
        if (end - i < 4) throw malformed();
        i += 2;
        break;
      default:
        out.push(0x5c);
        out.push(d);
        break;
    }
    i += 2;
  }
  out.push(0x22);
}

/** The JSON text of the node at `i` (the whole blob by default). */
export function renderJson(b: Uint8Array, i = 0, end = b.length): string {
  const out = new ByteBuf(Math.min(b.length * 2 + 16, 1 << 20));
  renderNode(b, i, end, out);
  return bytesToText(out.a.subarray(0, out.n), false)!;
}

/** jsonTranslateBlobToPrettyText: indented rendering of the node at `i`. */
function renderPretty(b: Uint8Array, i: number, end: number, out: ByteBuf, indent: Uint8Array, level: number): number {
  if (level > JSON_MAX_DEPTH) throw malformed();
  const szb = [0];
  const n = payloadSize(b, i, end, szb);
  if (n === 0) throw malformed();
  const sz = szb[0]!;
  const t = b[i]! & 0x0f;
  const pad = (k: number): void => {
    for (let q = 0; q < k; q++) out.append(indent);
  };
  if (t === JSONB_ARRAY) {
    let j = i + n;
    const iEnd = j + sz;
    out.push(0x5b);
    if (j < iEnd) {
      out.push(0x0a);
      for (;;) {
        pad(level + 1);
        j = renderPretty(b, j, iEnd, out, indent, level + 1);
        if (j >= iEnd) break;
        out.ascii(',\n');
      }
      out.push(0x0a);
      pad(level);
    }
    out.push(0x5d);
    return iEnd;
  }
  if (t === JSONB_OBJECT) {
    let j = i + n;
    const iEnd = j + sz;
    out.push(0x7b);
    if (j < iEnd) {
      out.push(0x0a);
      for (;;) {
        pad(level + 1);
        j = renderNode(b, j, iEnd, out);
        if (j >= iEnd) throw malformed();
        out.ascii(': ');
        j = renderPretty(b, j, iEnd, out, indent, level + 1);
        if (j >= iEnd) break;
        out.ascii(',\n');
      }
      out.push(0x0a);
      pad(level);
    }
    out.push(0x7d);
    return iEnd;
  }
  return renderNode(b, i, end, out);
}

export function renderJsonPretty(b: Uint8Array, indent: string): string {
  const out = new ByteBuf(Math.min(b.length * 4 + 16, 1 << 20));
  renderPretty(b, 0, b.length, out, textToBytes(indent), 0);
  return bytesToText(out.a.subarray(0, out.n), false)!;
}
