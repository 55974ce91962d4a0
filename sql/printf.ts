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
import { toInteger, toReal, toText } from './value.ts';

const U64 = (1n << 64n) - 1n;
/** SQLITE_FP_PRECISION_LIMIT: the largest precision of %f %e %g. */
const FP_PRECISION_LIMIT = 100_000_000;
/**
 * Longest result we build. SQLite's limit is 1e9 bytes (SQLITE_MAX_LENGTH);
 * JavaScript strings end near 5e8 characters, so results beyond this are
 * TOO_BIG here where SQLite might still return them.
 */
const MAX_RESULT_LENGTH = 500_000_000;

function tooBig(): never {
  throw new HeliosError('TOO_BIG', 'string or blob too big');
}

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

function charCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) i++;
    n++;
  }
  return n;
}

/** The first `n` characters (code points) of `s`. */
function firstChars(s: string, n: number): string {
  let i = 0;
  while (n > 0 && i < s.length) {
    const c = s.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
    n--;
  }
  return s.slice(0, i);
}

/** The first `n` UTF-8 bytes of `s` (a cut inside a character leaves U+FFFD, as SQLite's bytes would read). */
function firstBytes(s: string, n: number): string {
  if (n >= s.length * 3 || utf8Length(s) <= n) return s;
  return bytesToText(textToBytes(s).subarray(0, n), false) as string;
}

/**
 * printf(format, ...args) as SQLite computes it. NULL format → NULL; like
 * SQLite, a format that produces nothing at all ('' or one that stops at
 * an unknown conversion before any output) → NULL, while a conversion that
 * renders empty text ('%s' of '') → ''.
 */
export function sqlPrintf(format: SqlValue, args: readonly SqlValue[]): SqlValue {
  const fmt = toText(format);
  if (fmt === null) return null;
  let used = 0;
  const nextInt = (): bigint => {
    if (used >= args.length) return 0n;
    const v = toInteger(args[used++]!);
    return typeof v === 'bigint' ? v : BigInt(v);
  };
  const nextReal = (): number => (used >= args.length ? 0 : toReal(args[used++]!));
  // sqlite3_value_text is a C string: the text ends at its first NUL.
  const nextText = (): string | null => {
    const t = used >= args.length ? null : toText(args[used++]!);
    if (t === null) return null;
    const z = t.indexOf('\0');
    return z < 0 ? t : t.slice(0, z);
  };

  let out = '';
  let appended = false; // SQLite's accumulator stays unallocated (→ NULL) until something is appended
  let i = 0;
  const n = fmt.length;
  while (i < n) {
    const pct = fmt.indexOf('%', i);
    if (pct < 0) {
      out += fmt.slice(i);
      appended = true;
      break;
    }
    if (pct > i) appended = true;
    out += fmt.slice(i, pct);
    i = pct + 1;
    if (i >= n) {
      out += '%';
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
    let c = fmt[i]!;
    // Flags, width, precision and length modifiers, in SQLite's loop order.
    for (let done = false; !done && i < n; ) {
      switch (c) {
        case '-':
          leftJustify = true;
          break;
        case '+':
          prefix = '+';
          break;
        case ' ':
          prefix = ' ';
          break;
        case '#':
          alternate = true;
          break;
        case '!':
          alt2 = true;
          break;
        case '0':
          zeroPad = true;
          break;
        case ',':
          thousands = true;
          break;
        case 'l':
          c = fmt[++i] ?? '';
          if (c === 'l') c = fmt[++i] ?? '';
          done = true;
          continue;
        case '*': {
          const w = nextInt();
          let wn = Number(BigInt.asIntN(32, w));
          if (wn < 0) {
            leftJustify = true;
            wn = wn >= -2147483647 ? -wn : 0;
          }
          width = wn;
          const c1 = fmt[i + 1];
          if (c1 !== '.' && c1 !== 'l') {
            c = fmt[++i] ?? '';
            done = true;
            continue;
          }
          break;
        }
        case '.': {
          c = fmt[++i] ?? '';
          if (c === '*') {
            let p = Number(BigInt.asIntN(32, nextInt()));
            if (p < 0) p = p >= -2147483647 ? -p : -1;
            precision = p;
            c = fmt[++i] ?? '';
          } else {
            let px = 0;
            while (c >= '0' && c <= '9') {
              px = (px * 10 + (c.charCodeAt(0) - 48)) % 4294967296;
              c = fmt[++i] ?? '';
            }
            precision = px & 0x7fffffff;
          }
          if (c === 'l') {
            i--;
            break;
          }
          done = true;
          continue;
        }
        default:
          if (c >= '1' && c <= '9') {
            let wx = c.charCodeAt(0) - 48;
            c = fmt[++i] ?? '';
            while (c >= '0' && c <= '9') {
              wx = (wx * 10 + (c.charCodeAt(0) - 48)) % 4294967296;
              c = fmt[++i] ?? '';
            }
            width = wx & 0x7fffffff;
            if (c !== '.' && c !== 'l') {
              done = true;
              continue;
            }
            i--;
            break;
          }
          done = true;
          continue;
      }
      c = fmt[++i] ?? '';
    }
    if (i >= n) break; // format ended inside a conversion: SQLite stops too (no output for it)
    i++; // past the conversion character c
    if (width > MAX_RESULT_LENGTH || precision > MAX_RESULT_LENGTH) {
      if (width > MAX_RESULT_LENGTH || 'fFeEgG'.indexOf(c) < 0) tooBig();
    }
    let body: string;
    let bodyWidthIsChars = false;
    let bodyBytes = -1; // UTF-8 length when the body was cut inside a character
    switch (c) {
      case 'd':
      case 'i':
      case 'r':
      case 'u':
      case 'x':
      case 'X':
      case 'o':
      case 'p': {
        const signed = c === 'd' || c === 'i' || c === 'r';
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
        if (c !== 'd' && c !== 'i' && c !== 'u') thousands = false;
        if (mag === 0n) alternate = false;
        let prec = precision;
        if (zeroPad && prec < width - (sign !== '' ? 1 : 0)) prec = width - (sign !== '' ? 1 : 0);
        const base = c === 'x' || c === 'X' || c === 'p' ? 16 : c === 'o' ? 8 : 10;
        let digits = mag.toString(base);
        if (c === 'X') digits = digits.toUpperCase();
        let suffix = '';
        if (c === 'r') {
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
        if (alternate) pre = c === 'x' || c === 'p' ? '0x' : c === 'X' ? '0X' : c === 'o' ? '0' : '';
        body = pre + sign + digits;
        break;
      }
      case 'f':
      case 'e':
      case 'E':
      case 'g':
      case 'G':
        out += formatFloat(nextReal(), c, Math.min(precision, FP_PRECISION_LIMIT), width, { prefix, alternate, alt2, zeroPad, thousands, leftJustify });
        if (out.length > MAX_RESULT_LENGTH) tooBig();
        appended = true;
        continue;
      case 'n':
        appended = true;
        continue;
      case '%':
        body = '%';
        break;
      case 'c': {
        const t = nextText();
        const ch = t === null || t.length === 0 ? '\0' : firstChars(t, 1);
        body = ch;
        if (precision > 1) body = ch.repeat(precision);
        bodyWidthIsChars = true;
        break;
      }
      case 's':
      case 'z': {
        const t = nextText() ?? '';
        if (precision >= 0 && !alt2) {
          body = firstBytes(t, precision);
          bodyBytes = Math.min(precision, utf8Length(t));
        } else body = precision >= 0 ? firstChars(t, precision) : t;
        bodyWidthIsChars = alt2;
        break;
      }
      case 'q':
      case 'Q':
      case 'w': {
        const t = nextText();
        const q = c === 'w' ? '"' : "'";
        if (c === 'w') alternate = false;
        if (t === null) {
          body = c === 'Q' ? 'NULL' : '(NULL)';
        } else {
          const src = precision >= 0 ? (alt2 ? firstChars(t, precision) : firstBytes(t, precision)) : t;
          let hasCtrl = false;
          if (alternate) for (let k = 0; k < src.length; k++) if (src.charCodeAt(k) <= 0x1f) hasCtrl = true;
          const unistr = alternate && (hasCtrl || c === 'q');
          let esc = '';
          for (let k = 0; k < src.length; k++) {
            const ch = src[k]!;
            const code = src.charCodeAt(k);
            if (ch === q) esc += ch + ch;
            else if (unistr && ch === '\\') esc += '\\\\';
            else if (unistr && code <= 0x1f) esc += '\\u00' + (code >= 0x10 ? '1' : '0') + '0123456789abcdef'[code & 15];
            else esc += ch;
          }
          if (c === 'Q') body = unistr ? `unistr('${esc}')` : `'${esc}'`;
          else body = esc;
        }
        bodyWidthIsChars = alt2;
        break;
      }
      default:
        return appended ? out : null; // unknown conversion: SQLite stops rendering here
    }
    const len = bodyWidthIsChars ? charCount(body) : bodyBytes >= 0 ? bodyBytes : utf8Length(body);
    if (width > len) body = leftJustify ? body + ' '.repeat(width - len) : ' '.repeat(width - len) + body;
    out += body;
    appended = true;
    if (out.length > MAX_RESULT_LENGTH) tooBig();
  }
  return appended ? out : null;
}
