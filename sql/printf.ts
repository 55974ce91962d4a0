/**
 * SQLite's printf()/format() SQL function (sqlite3_str_vappendf with SQL
 * arguments): conversions %d %i %u %f %e %E %g %G %s %z %q %Q %w %x %X %o
 * %c %p %r %n %% with the flags `-` `+` ` ` `#` `!` `0` `,`, a width and a
 * precision (either may be `*`, taken from the next argument).
 *
 * Arguments are taken in order and converted as SQLite does (integers by
 * sqlite3_value_int64, reals by sqlite3_value_double, text by
 * sqlite3_value_text); a missing argument counts as 0, 0.0 or NULL. Widths
 * and precisions count UTF-8 bytes, or characters with the `!` flag. An
 * unknown conversion ends the output there, as in SQLite.
 */
import { HeliosError } from '../format/errors.ts';
import { type SqlValue, bytesToText, textToBytes } from '../format/sql-value.ts';
import { formatFloat } from './fp-decode.ts';
import { MAX_TEXT_LENGTH, toInteger, toReal, toText } from './value.ts';

const U64 = (1n << 64n) - 1n;
/** SQLITE_FP_PRECISION_LIMIT: the largest precision of %f %e %g. */
const FP_PRECISION_LIMIT = 100_000_000;
/** Longest result we build: MAX_TEXT_LENGTH (sql/value.ts), as for every text. */
const MAX_RESULT_LENGTH = MAX_TEXT_LENGTH;

function tooBig(): never {
  throw new HeliosError('TOO_BIG', 'string or blob too big');
}

/** Output accumulator of UTF-8 bytes (SQLite builds printf output as bytes). */
class ByteSink {
  buf = new Uint8Array(64);
  len = 0;
  private room(n: number): void {
    if (this.len + n > MAX_RESULT_LENGTH) tooBig();
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  ascii(s: string): void {
    this.room(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.len++] = s.charCodeAt(i);
  }
  repeat(byte: number, n: number): void {
    if (n <= 0) return;
    this.room(n);
    this.buf.fill(byte, this.len, this.len + n);
    this.len += n;
  }
}

/** Bytes up to the first NUL (sqlite3_value_text is a C string). */
function cString(b: Uint8Array): Uint8Array {
  const z = b.indexOf(0);
  return z < 0 ? b : b.subarray(0, z);
}

/** Length in bytes of the first `chars` characters (SQLITE_SKIP_UTF8: a lead byte ≥ 0xC0 takes its continuation bytes). */
function charsToBytes(b: Uint8Array, chars: number): number {
  let i = 0;
  while (chars-- > 0 && i < b.length) {
    if (b[i++]! >= 0xc0) while (i < b.length && (b[i]! & 0xc0) === 0x80) i++;
  }
  return i;
}

/** Number of UTF-8 continuation bytes, which a '!' width does not count. */
function continuationBytes(b: Uint8Array, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) if ((b[i]! & 0xc0) === 0x80) n++;
  return n;
}

/**
 * printf(format, ...args) as SQLite computes it. NULL format → NULL; like
 * SQLite, a format that produces nothing at all ('' or one that stops at
 * an unknown conversion before any output) → NULL, while a conversion that
 * renders empty text ('%s' of '') → ''. Text is handled as UTF-8 bytes, as
 * in SQLite, and the result is read back as UTF-8 (ill-formed sequences,
 * e.g. from cutting a character with a byte precision, become U+FFFD).
 */
export function sqlPrintf(format: SqlValue, args: readonly SqlValue[]): SqlValue {
  const fmtText = toText(format);
  if (fmtText === null) return null;
  const fmt = cString(format instanceof Uint8Array ? format : textToBytes(fmtText));
  let used = 0;
  const nextInt = (): bigint => {
    if (used >= args.length) return 0n;
    const v = toInteger(args[used++]!);
    return typeof v === 'bigint' ? v : BigInt(v);
  };
  const nextReal = (): number => (used >= args.length ? 0 : toReal(args[used++]!));
  const nextText = (): Uint8Array | null => {
    const v = used >= args.length ? null : args[used++]!;
    if (v === null) return null;
    return cString(v instanceof Uint8Array ? v : textToBytes(toText(v)!));
  };

  const out = new ByteSink();
  let appended = false; // SQLite's accumulator stays unallocated (→ NULL) until something is appended
  const n = fmt.length;
  let i = 0;
  while (i < n) {
    let pct = fmt.indexOf(37, i);
    if (pct < 0) pct = n;
    if (pct > i) {
      out.bytes(fmt.subarray(i, pct));
      appended = true;
    }
    if (pct >= n) break;
    i = pct + 1;
    if (i >= n) {
      out.ascii('%');
      appended = true;
      break;
    }
    let leftJustify = false;
    let prefix: '' | '+' | ' ' = '';
    let alternate = false;
    let alt2 = false;
    let zeroPad = false;
    let thousands = false;
    let width = 0;
    let precision = -1;
    const at = (k: number): number => (k < n ? fmt[k]! : 0);
    let c = at(i);
    // Flags, width, precision and length modifiers, in SQLite's loop order.
    for (let done = false; !done && i < n; ) {
      switch (c) {
        case 45: // -
          leftJustify = true;
          break;
        case 43: // +
          prefix = '+';
          break;
        case 32:
          prefix = ' ';
          break;
        case 35: // #
          alternate = true;
          break;
        case 33: // !
          alt2 = true;
          break;
        case 48: // 0
          zeroPad = true;
          break;
        case 44: // ,
          thousands = true;
          break;
        case 108: // l, ll
          c = at(++i);
          if (c === 108) c = at(++i);
          done = true;
          continue;
        case 42: {
          // *
          let wn = Number(BigInt.asIntN(32, nextInt()));
          if (wn < 0) {
            leftJustify = true;
            wn = wn >= -2147483647 ? -wn : 0;
          }
          width = wn;
          const c1 = at(i + 1);
          if (c1 !== 46 && c1 !== 108) {
            c = at(++i);
            done = true;
            continue;
          }
          break;
        }
        case 46: {
          // .
          c = at(++i);
          if (c === 42) {
            let p = Number(BigInt.asIntN(32, nextInt()));
            if (p < 0) p = p >= -2147483647 ? -p : -1;
            precision = p;
            c = at(++i);
          } else {
            let px = 0;
            while (c >= 48 && c <= 57) {
              px = (px * 10 + (c - 48)) % 4294967296;
              c = at(++i);
            }
            precision = px & 0x7fffffff;
          }
          if (c === 108) {
            i--;
            break;
          }
          done = true;
          continue;
        }
        default:
          if (c >= 49 && c <= 57) {
            let wx = c - 48;
            c = at(++i);
            while (c >= 48 && c <= 57) {
              wx = (wx * 10 + (c - 48)) % 4294967296;
              c = at(++i);
            }
            width = wx & 0x7fffffff;
            if (c !== 46 && c !== 108) {
              done = true;
              continue;
            }
            i--;
            break;
          }
          done = true;
          continue;
      }
      c = at(++i);
    }
    if (i >= n) break; // format ended inside a conversion: SQLite stops (no output for it)
    i++; // past the conversion character c
    const conv = String.fromCharCode(c);
    if ('diurxXopfeEgGcszqQw%'.indexOf(conv) >= 0 && width > MAX_RESULT_LENGTH) tooBig();
    let body: Uint8Array;
    let widthIsChars = false; // '!' (and %c): continuation bytes do not count toward the width
    switch (conv) {
      case 'd':
      case 'i':
      case 'r':
      case 'u':
      case 'x':
      case 'X':
      case 'o':
      case 'p': {
        const signed = conv === 'd' || conv === 'i' || conv === 'r';
        const v = nextInt();
        let sign = '';
        let mag: bigint;
        if (signed) {
          if (v < 0n) {
            mag = -v;
            sign = '-';
          } else {
            mag = v;
            sign = prefix;
          }
        } else mag = v & U64;
        if (conv !== 'd' && conv !== 'i' && conv !== 'u') thousands = false;
        if (mag === 0n) alternate = false;
        let prec = precision;
        if (zeroPad && prec < width - (sign !== '' ? 1 : 0)) prec = width - (sign !== '' ? 1 : 0);
        if (prec > MAX_RESULT_LENGTH) tooBig();
        const base = conv === 'x' || conv === 'X' || conv === 'p' ? 16 : conv === 'o' ? 8 : 10;
        let digits = mag.toString(base);
        if (conv === 'X') digits = digits.toUpperCase();
        let suffix = '';
        if (conv === 'r') {
          const x = Number(mag % 10n);
          const tens = Number((mag / 10n) % 10n);
          suffix = x >= 4 || x === 0 || tens === 1 ? 'th' : ['', 'st', 'nd', 'rd'][x]!;
        }
        if (prec > digits.length + suffix.length) digits = '0'.repeat(prec - digits.length - suffix.length) + digits;
        digits += suffix;
        if (thousands) {
          let grouped = '';
          const len = digits.length;
          for (let k = 0; k < len; k++) {
            grouped += digits[k];
            const rest = len - 1 - k;
            if (rest > 0 && rest % 3 === 0) grouped += ',';
          }
          digits = grouped;
        }
        let pre = '';
        if (alternate) pre = conv === 'x' || conv === 'p' ? '0x' : conv === 'X' ? '0X' : conv === 'o' ? '0' : '';
        body = textToBytes(pre + sign + digits);
        break;
      }
      case 'f':
      case 'e':
      case 'E':
      case 'g':
      case 'G':
        out.ascii(formatFloat(nextReal(), conv, Math.min(precision, FP_PRECISION_LIMIT), width, { prefix, alternate, alt2, zeroPad, thousands, leftJustify }));
        appended = true;
        continue;
      case 'n':
        appended = true;
        continue;
      case '%':
        body = PERCENT;
        break;
      case 'c': {
        const t = nextText();
        let ch: Uint8Array = NUL_CHAR;
        if (t !== null && t.length > 0) {
          let len = 1;
          if ((t[0]! & 0xc0) === 0xc0) while (len < 4 && len < t.length && (t[len]! & 0xc0) === 0x80) len++;
          ch = t.subarray(0, len);
        }
        if (precision > 1) {
          width -= precision - 1;
          if (width > 1 && !leftJustify) {
            out.repeat(32, width - 1);
            width = 0;
          }
          if ((precision - 1) * ch.length > MAX_RESULT_LENGTH) tooBig();
          for (let k = 1; k < precision; k++) out.bytes(ch);
        }
        body = ch;
        widthIsChars = true;
        break;
      }
      case 's':
      case 'z': {
        const t = nextText() ?? EMPTY;
        body = precision >= 0 ? t.subarray(0, alt2 ? charsToBytes(t, precision) : Math.min(precision, t.length)) : t;
        widthIsChars = alt2;
        break;
      }
      case 'q':
      case 'Q':
      case 'w': {
        const t = nextText();
        const q = conv === 'w' ? 34 : 39;
        if (conv === 'w') alternate = false;
        // NULL prints as NULL (%Q) or (NULL), unquoted, cut by the precision like text.
        const arg = t ?? textToBytes(conv === 'Q' ? 'NULL' : '(NULL)');
        const src = precision >= 0 ? arg.subarray(0, alt2 ? charsToBytes(arg, precision) : Math.min(precision, arg.length)) : arg;
        let hasCtrl = false;
        if (alternate) for (let k = 0; k < src.length; k++) if (src[k]! <= 0x1f) hasCtrl = true;
        const unistr = alternate && (hasCtrl || conv === 'q');
        const esc: number[] = [];
        const quoted = conv === 'Q' && t !== null;
        if (quoted) for (const x of unistr ? "unistr('" : "'") esc.push(x.charCodeAt(0));
        for (let k = 0; k < src.length; k++) {
          const b = src[k]!;
          if (b === q) esc.push(b, b);
          else if (unistr && b === 92) esc.push(92, 92);
          else if (unistr && b <= 0x1f) esc.push(92, 117, 48, 48, b >= 0x10 ? 49 : 48, HEX_LOWER.charCodeAt(b & 15));
          else esc.push(b);
        }
        if (quoted) {
          esc.push(39);
          if (unistr) esc.push(41);
        }
        body = Uint8Array.from(esc);
        widthIsChars = alt2;
        break;
      }
      default:
        return appended ? bytesToText(out.buf, false, 0, out.len) : null; // unknown conversion: SQLite stops here
    }
    let pad = width - body.length;
    if (widthIsChars && width > 0) pad += continuationBytes(body, 0, body.length);
    if (pad > 0 && !leftJustify) out.repeat(32, pad);
    out.bytes(body);
    if (pad > 0 && leftJustify) out.repeat(32, pad);
    appended = true;
  }
  return appended ? bytesToText(out.buf, false, 0, out.len) : null;
}

const EMPTY = new Uint8Array(0);
const PERCENT = new Uint8Array([37]);
const NUL_CHAR = new Uint8Array([0]);
const HEX_LOWER = '0123456789abcdef';
