/**
 * SQLite's date and time functions (lang_datefunc.html), ported from
 * SQLite 3.53's date.c so results match it digit for digit:
 * date, time, datetime, julianday, unixepoch, strftime, and the time values
 * and modifiers they accept.
 *
 * Time values: 'YYYY-MM-DD', 'YYYY-MM-DD HH:MM[:SS[.SSS]]' (also with 'T'),
 * 'HH:MM[:SS[.SSS]]' (on 2000-01-01), each with an optional timezone suffix
 * ('Z', '+HH:MM', '-HH:MM'); 'now'; a number (a Julian day number, or what
 * 'unixepoch' / 'auto' / 'julianday' say it is).
 * Modifiers: '±N days|hours|minutes|seconds|months|years' (N may be real),
 * '±HH:MM[:SS[.SSS]]', '±YYYY-MM-DD[ HH:MM[:SS]]', 'start of month|year|day',
 * 'weekday N', 'unixepoch', 'julianday', 'auto', 'subsec'/'subsecond',
 * 'ceiling', 'floor', 'localtime' and 'utc'.
 *
 * Documented difference: HeliosDB treats local time as UTC, so 'localtime'
 * and 'utc' change nothing (results do not depend on the machine's zone).
 *
 * Internally a time is `iJD`: the Julian day number × 86 400 000 (integer
 * milliseconds), valid from -4713-11-24 12:00 to 9999-12-31 23:59:59.999.
 * Any invalid input gives NULL, as in SQLite.
 */
import { type SqlValue, RealBox } from '../format/sql-value.ts';
import { formatFloat } from './fp-decode.ts';
import { parseNumericText, toReal, toText } from './value.ts';

/** Where the date functions get the current time and their per-statement stability. */
export interface DateContext {
  /** The statement's time, milliseconds since the Unix epoch (UTC); stable within a statement. */
  now(): number;
}

interface DateTime {
  iJD: number;
  Y: number;
  M: number;
  D: number;
  h: number;
  m: number;
  tz: number;
  s: number;
  validJD: boolean;
  validYMD: boolean;
  validHMS: boolean;
  nFloor: number;
  rawS: boolean;
  isError: boolean;
  useSubsec: boolean;
  isUtc: boolean;
  isLocal: boolean;
}

/** Unix epoch as iJD. */
const UNIX_EPOCH_JD_MS = 210866760000000;
const MAX_JD_MS = 464269060799999;

function newDateTime(): DateTime {
  return { iJD: 0, Y: 0, M: 0, D: 0, h: 0, m: 0, tz: 0, s: 0, validJD: false, validYMD: false, validHMS: false, nFloor: 0, rawS: false, isError: false, useSubsec: false, isUtc: false, isLocal: false };
}

const idiv = (a: number, b: number): number => Math.trunc(a / b);
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13);
/** C-string access: 0 past the end. */
const at = (z: string, i: number): number => (i < z.length ? z.charCodeAt(i) : 0);

const DIGIT_MAX = [12, 14, 24, 31, 59, 14712];

/**
 * getDigits: `format` is groups of 4 chars: N (digits), min, max code
 * (a..f), separator (or end). Returns the values read (stops at the first
 * failure, like SQLite which returns the count).
 */
function getDigits(z: string, i: number, format: string): number[] {
  const out: number[] = [];
  for (let f = 0; f < format.length; f += 4) {
    let n = format.charCodeAt(f) - 48;
    const min = format.charCodeAt(f + 1) - 48;
    const max = DIGIT_MAX[format.charCodeAt(f + 2) - 97]!;
    const next = f + 3 < format.length ? format.charCodeAt(f + 3) : 0;
    let val = 0;
    while (n-- > 0) {
      const c = at(z, i);
      if (!isDigit(c)) return out;
      val = val * 10 + c - 48;
      i++;
    }
    if (val < min || val > max || (next !== 0 && next !== at(z, i))) return out;
    out.push(val);
    i++;
  }
  return out;
}

/** Returns true on error. */
function parseTimezone(z: string, i: number, p: DateTime): boolean {
  while (isSpace(at(z, i))) i++;
  p.tz = 0;
  const c = at(z, i);
  let sgn: number;
  if (c === 45) sgn = -1;
  else if (c === 43) sgn = 1;
  else if (c === 90 || c === 122) {
    i++;
    p.isLocal = false;
    p.isUtc = true;
    while (isSpace(at(z, i))) i++;
    return at(z, i) !== 0;
  } else return c !== 0;
  i++;
  const d = getDigits(z, i, '20b:20e');
  if (d.length !== 2) return true;
  i += 5;
  p.tz = sgn * (d[1]! + d[0]! * 60);
  if (p.tz === 0) {
    p.isLocal = false;
    p.isUtc = true;
  }
  while (isSpace(at(z, i))) i++;
  return at(z, i) !== 0;
}

/** Returns true on error. */
function parseHhMmSs(z: string, i: number, p: DateTime): boolean {
  const hm = getDigits(z, i, '20c:20e');
  if (hm.length !== 2) return true;
  i += 5;
  let s = 0;
  let ms = 0;
  if (at(z, i) === 58) {
    i++;
    const sd = getDigits(z, i, '20e');
    if (sd.length !== 1) return true;
    s = sd[0]!;
    i += 2;
    if (at(z, i) === 46 && isDigit(at(z, i + 1))) {
      let scale = 1;
      i++;
      while (isDigit(at(z, i))) {
        ms = ms * 10 + at(z, i) - 48;
        scale *= 10;
        i++;
      }
      ms /= scale;
      if (ms > 0.999) ms = 0.999;
    }
  }
  p.validJD = false;
  p.rawS = false;
  p.validHMS = true;
  p.h = hm[0]!;
  p.m = hm[1]!;
  p.s = s + ms;
  return parseTimezone(z, i, p);
}

function datetimeError(p: DateTime): void {
  Object.assign(p, newDateTime());
  p.isError = true;
}

function computeJD(p: DateTime): void {
  if (p.validJD) return;
  let Y: number;
  let M: number;
  let D: number;
  if (p.validYMD) {
    Y = p.Y;
    M = p.M;
    D = p.D;
  } else {
    Y = 2000;
    M = 1;
    D = 1;
  }
  if (Y < -4713 || Y > 9999 || p.rawS) {
    datetimeError(p);
    return;
  }
  if (M <= 2) {
    Y--;
    M += 12;
  }
  const A = idiv(Y + 4800, 100);
  const B = 38 - A + idiv(A, 4);
  const X1 = idiv(36525 * (Y + 4716), 100);
  const X2 = idiv(306001 * (M + 1), 10000);
  p.iJD = Math.trunc((X1 + X2 + D + B - 1524.5) * 86400000);
  p.validJD = true;
  if (p.validHMS) {
    p.iJD += p.h * 3600000 + p.m * 60000 + Math.trunc(p.s * 1000 + 0.5);
    if (p.tz !== 0) {
      p.iJD -= p.tz * 60000;
      p.validYMD = false;
      p.validHMS = false;
      p.tz = 0;
      p.isUtc = true;
      p.isLocal = false;
    }
  }
}

function computeFloor(p: DateTime): void {
  if (p.D <= 28) p.nFloor = 0;
  else if ((1 << p.M) & 0x15aa) p.nFloor = 0;
  else if (p.M !== 2) p.nFloor = p.D === 31 ? 1 : 0;
  else if (p.Y % 4 !== 0 || (p.Y % 100 === 0 && p.Y % 400 !== 0)) p.nFloor = p.D - 28;
  else p.nFloor = p.D - 29;
}

/** Returns true on error. */
function parseYyyyMmDd(z: string, p: DateTime): boolean {
  let i = 0;
  let neg = false;
  if (at(z, 0) === 45) {
    i++;
    neg = true;
  }
  const d = getDigits(z, i, '40f-21a-21d');
  if (d.length !== 3) return true;
  i += 10;
  while (isSpace(at(z, i)) || at(z, i) === 84) i++;
  if (!parseHhMmSs(z, i, p)) {
    // got the time
  } else if (at(z, i) === 0) p.validHMS = false;
  else return true;
  p.validJD = false;
  p.validYMD = true;
  p.Y = neg ? -d[0]! : d[0]!;
  p.M = d[1]!;
  p.D = d[2]!;
  computeFloor(p);
  if (p.tz !== 0) computeJD(p);
  return false;
}

function setDateTimeToCurrent(ctx: DateContext, p: DateTime): boolean {
  const ms = ctx.now();
  if (!Number.isFinite(ms)) return true;
  p.iJD = Math.trunc(ms) + UNIX_EPOCH_JD_MS;
  if (p.iJD <= 0) return true;
  p.validJD = true;
  p.isUtc = true;
  p.isLocal = false;
  clearYMD_HMS_TZ(p);
  return false;
}

function setRawDateNumber(p: DateTime, r: number): void {
  p.s = r;
  p.rawS = true;
  if (r >= 0 && r < 5373484.5) {
    p.iJD = Math.trunc(r * 86400000 + 0.5);
    p.validJD = true;
  }
}

/** Returns true on error. */
function parseDateOrTime(ctx: DateContext, z: string, p: DateTime): boolean {
  if (!parseYyyyMmDd(z, p)) return false;
  if (!parseHhMmSs(z, 0, p)) return false;
  const lower = z.toLowerCase();
  if (lower === 'now') return setDateTimeToCurrent(ctx, p);
  const r = parseNumericText(z);
  if (r !== null) {
    setRawDateNumber(p, r);
    return false;
  }
  if (lower === 'subsec' || lower === 'subsecond') {
    p.useSubsec = true;
    return setDateTimeToCurrent(ctx, p);
  }
  return true;
}

const validJulianDay = (iJD: number): boolean => iJD >= 0 && iJD <= MAX_JD_MS;

function computeYMD(p: DateTime): void {
  if (p.validYMD) return;
  if (!p.validJD) {
    p.Y = 2000;
    p.M = 1;
    p.D = 1;
  } else if (!validJulianDay(p.iJD)) {
    datetimeError(p);
    return;
  } else {
    const Z = idiv(p.iJD + 43200000, 86400000);
    const alpha = Math.trunc((Z + 32044.75) / 36524.25) - 52;
    const A = Z + 1 + alpha - idiv(alpha + 100, 4) + 25;
    const B = A + 1524;
    const C = Math.trunc((B - 122.1) / 365.25);
    const D = idiv(36525 * (C & 32767), 100);
    const E = Math.trunc((B - D) / 30.6001);
    const X1 = Math.trunc(30.6001 * E);
    p.D = B - D - X1;
    p.M = E < 14 ? E - 1 : E - 13;
    p.Y = p.M > 2 ? C - 4716 : C - 4715;
  }
  p.validYMD = true;
}

function computeHMS(p: DateTime): void {
  if (p.validHMS) return;
  computeJD(p);
  const dayMs = (p.iJD + 43200000) % 86400000;
  p.s = (dayMs % 60000) / 1000;
  const dayMin = idiv(dayMs, 60000);
  p.m = dayMin % 60;
  p.h = idiv(dayMin, 60);
  p.rawS = false;
  p.validHMS = true;
}

function computeYMD_HMS(p: DateTime): void {
  computeYMD(p);
  computeHMS(p);
}

function clearYMD_HMS_TZ(p: DateTime): void {
  p.validYMD = false;
  p.validHMS = false;
  p.tz = 0;
}

/**
 * SQLite's toLocaltime with the local zone fixed to UTC: breaks iJD into
 * Y-M-D h:m:s through the C library's calendar (the same dates, since the
 * zone is UTC), including SQLite's year shift outside 1970..2038.
 */
function toLocaltime(p: DateTime): void {
  computeJD(p);
  let yearDiff = 0;
  let t: number;
  if (p.iJD < 210866760000000 || p.iJD > 213014145600000) {
    const x: DateTime = { ...p };
    computeYMD_HMS(x);
    yearDiff = 2000 + (x.Y % 4) - x.Y;
    x.Y += yearDiff;
    x.validJD = false;
    computeJD(x);
    t = Math.trunc(x.iJD / 1000) - 210866760000;
  } else t = Math.trunc(p.iJD / 1000) - 210866760000;
  const d = new Date(t * 1000);
  p.Y = d.getUTCFullYear() - yearDiff;
  p.M = d.getUTCMonth() + 1;
  p.D = d.getUTCDate();
  p.h = d.getUTCHours();
  p.m = d.getUTCMinutes();
  p.s = d.getUTCSeconds() + (p.iJD % 1000) * 0.001;
  p.validYMD = true;
  p.validHMS = true;
  p.validJD = false;
  p.rawS = false;
  p.tz = 0;
  p.isError = false;
}

const XFORMS: readonly { name: string; limit: number; seconds: number }[] = [
  { name: 'second', limit: 4.6427e14, seconds: 1 },
  { name: 'minute', limit: 7.7379e12, seconds: 60 },
  { name: 'hour', limit: 1.2897e11, seconds: 3600 },
  { name: 'day', limit: 5373485, seconds: 86400 },
  { name: 'month', limit: 176546, seconds: 2592000 },
  { name: 'year', limit: 14713, seconds: 31536000 },
];

function autoAdjustDate(p: DateTime): void {
  if (!p.rawS || p.validJD) p.rawS = false;
  else if (p.s >= -210866760000 && p.s <= 253402300799) {
    const r = p.s * 1000 + UNIX_EPOCH_JD_MS;
    clearYMD_HMS_TZ(p);
    p.iJD = Math.trunc(r + 0.5);
    p.validJD = true;
    p.rawS = false;
  }
}

/** Applies one modifier; returns true on error (the result is then NULL). */
function parseModifier(z: string, p: DateTime, idx: number): boolean {
  const lower = z.toLowerCase();
  switch (lower.charAt(0)) {
    case 'a':
      if (lower === 'auto') {
        if (idx > 1) return true;
        autoAdjustDate(p);
        return false;
      }
      return true;
    case 'c':
      if (lower === 'ceiling') {
        computeJD(p);
        clearYMD_HMS_TZ(p);
        p.nFloor = 0;
        return false;
      }
      return true;
    case 'f':
      if (lower === 'floor') {
        computeJD(p);
        p.iJD -= p.nFloor * 86400000;
        clearYMD_HMS_TZ(p);
        return false;
      }
      return true;
    case 'j':
      if (lower === 'julianday') {
        if (idx > 1) return true;
        if (p.validJD && p.rawS) {
          p.rawS = false;
          return false;
        }
      }
      return true;
    case 'l':
      if (lower !== 'localtime') return true;
      if (!p.isLocal) toLocaltime(p);
      p.isUtc = false;
      p.isLocal = true;
      return false;
    case 'u':
      if (lower === 'unixepoch' && p.rawS) {
        if (idx > 1) return true;
        const r = p.s * 1000 + UNIX_EPOCH_JD_MS;
        if (r >= 0 && r < 464269060800000) {
          clearYMD_HMS_TZ(p);
          p.iJD = Math.trunc(r + 0.5);
          p.validJD = true;
          p.rawS = false;
          return false;
        }
        return true;
      }
      if (lower !== 'utc') return true;
      if (!p.isUtc) {
        computeJD(p);
        const iOrig = p.iJD;
        let iGuess = iOrig;
        let iErr = 0;
        let cnt = 0;
        do {
          iGuess -= iErr;
          const t = newDateTime();
          t.iJD = iGuess;
          t.validJD = true;
          toLocaltime(t);
          computeJD(t);
          iErr = t.iJD - iOrig;
        } while (iErr !== 0 && cnt++ < 3);
        Object.assign(p, newDateTime());
        p.iJD = iGuess;
        p.validJD = true;
        p.isUtc = true;
      }
      return false;
    case 'w': {
      if (!lower.startsWith('weekday ')) return true;
      const r = parseNumericText(z.slice(8));
      if (r === null || !(r >= 0 && r < 7) || Math.trunc(r) !== r) return true;
      computeYMD_HMS(p);
      p.tz = 0;
      p.validJD = false;
      computeJD(p);
      let Z = idiv(p.iJD + 129600000, 86400000) % 7;
      if (Z > r) Z -= 7;
      p.iJD += (r - Z) * 86400000;
      clearYMD_HMS_TZ(p);
      return false;
    }
    case 's': {
      if (!lower.startsWith('start of ')) {
        if (lower === 'subsec' || lower === 'subsecond') {
          p.useSubsec = true;
          return false;
        }
        return true;
      }
      if (!p.validJD && !p.validYMD && !p.validHMS) return true;
      const unit = lower.slice(9);
      computeYMD(p);
      p.validHMS = true;
      p.h = p.m = 0;
      p.s = 0;
      p.rawS = false;
      p.tz = 0;
      p.validJD = false;
      if (unit === 'month') {
        p.D = 1;
        return false;
      }
      if (unit === 'year') {
        p.M = 1;
        p.D = 1;
        return false;
      }
      return unit !== 'day';
    }
    default: {
      const z0 = at(z, 0);
      if (!(z0 === 43 || z0 === 45 || isDigit(z0))) return true;
      return numericModifier(z, p);
    }
  }
}

function numericModifier(z: string, p: DateTime): boolean {
  const z0 = at(z, 0);
  let n = 1;
  for (; n < z.length; n++) {
    const c = at(z, n);
    if (c === 58 || isSpace(c)) break;
    if (c === 45) {
      if (n === 5 && getDigits(z, 1, '40f').length === 1) break;
      if (n === 6 && getDigits(z, 1, '50f').length === 1) break;
    }
  }
  const r = parseNumericText(z.slice(0, n));
  if (r === null) return true;
  let z2 = z;
  let z2n = n;
  if (at(z, n) === 45) {
    // (+|-)YYYY-MM-DD[ HH:MM[:SS[.FFF]]]
    if (z0 !== 43 && z0 !== 45) return true;
    let zz = z;
    let ymd: number[];
    if (n === 5) ymd = getDigits(zz, 1, '40f-20a-20d');
    else {
      ymd = getDigits(zz, 1, '50f-20a-20d');
      zz = zz.slice(1);
    }
    if (ymd.length !== 3) return true;
    const [Y, M] = ymd as [number, number, number];
    let D = ymd[2]!;
    if (M >= 12 || D >= 31) return true;
    computeYMD_HMS(p);
    p.validJD = false;
    if (z0 === 45) {
      p.Y -= Y;
      p.M -= M;
      D = -D;
    } else {
      p.Y += Y;
      p.M += M;
    }
    const x = p.M > 0 ? idiv(p.M - 1, 12) : idiv(p.M - 12, 12);
    p.Y += x;
    p.M -= x * 12;
    computeFloor(p);
    computeJD(p);
    p.validHMS = false;
    p.validYMD = false;
    p.iJD += D * 86400000;
    if (at(zz, 11) === 0) return false;
    if (isSpace(at(zz, 11)) && getDigits(zz, 12, '20c:20e').length === 2) {
      z2 = zz.slice(12);
      z2n = 2;
    } else return true;
  }
  if (at(z2, z2n) === 58) {
    // (+|-)HH:MM[:SS[.FFF]]
    const tx = newDateTime();
    const start = isDigit(at(z2, 0)) ? 0 : 1;
    if (parseHhMmSs(z2, start, tx)) return true;
    computeJD(tx);
    tx.iJD -= 43200000;
    const day = idiv(tx.iJD, 86400000);
    tx.iJD -= day * 86400000;
    if (z0 === 45) tx.iJD = -tx.iJD;
    computeJD(p);
    clearYMD_HMS_TZ(p);
    p.iJD += tx.iJD;
    return false;
  }
  // '±NNN units'
  let i = n;
  while (isSpace(at(z, i))) i++;
  let unit = z.slice(i);
  if (unit.length < 3 || unit.length > 10) return true;
  if ((unit.charCodeAt(unit.length - 1) | 32) === 115) unit = unit.slice(0, -1);
  unit = unit.toLowerCase();
  computeJD(p);
  const rounder = r < 0 ? -0.5 : 0.5;
  p.nFloor = 0;
  let rc = true;
  let rr = r;
  for (let k = 0; k < XFORMS.length; k++) {
    const xf = XFORMS[k]!;
    if (xf.name === unit && rr > -xf.limit && rr < xf.limit) {
      if (k === 4) {
        computeYMD_HMS(p);
        p.M += Math.trunc(rr);
        const x = p.M > 0 ? idiv(p.M - 1, 12) : idiv(p.M - 12, 12);
        p.Y += x;
        p.M -= x * 12;
        computeFloor(p);
        p.validJD = false;
        rr -= Math.trunc(rr);
      } else if (k === 5) {
        computeYMD_HMS(p);
        p.Y += Math.trunc(rr);
        computeFloor(p);
        p.validJD = false;
        rr -= Math.trunc(rr);
      }
      computeJD(p);
      p.iJD += Math.trunc(rr * 1000 * xf.seconds + rounder);
      rc = false;
      break;
    }
  }
  clearYMD_HMS_TZ(p);
  return rc;
}

/** Parses the time value and applies the modifiers; null when any is invalid. */
function isDate(args: readonly SqlValue[], ctx: DateContext): DateTime | null {
  const p = newDateTime();
  if (args.length === 0) return setDateTimeToCurrent(ctx, p) ? null : p;
  const v = args[0]!;
  if (typeof v === 'number' || typeof v === 'bigint' || v instanceof RealBox) setRawDateNumber(p, toReal(v));
  else {
    const z = toText(v);
    if (z === null || parseDateOrTime(ctx, z, p)) return null;
  }
  for (let i = 1; i < args.length; i++) {
    const z = toText(args[i]!);
    if (z === null || parseModifier(z, p, i)) return null;
  }
  computeJD(p);
  if (p.isError || !validJulianDay(p.iJD)) return null;
  if (args.length === 1 && p.validYMD && p.D > 28) p.validYMD = false;
  return p;
}

/** C's "%0<width>d" (zero = true) or "%<width>d". */
function pad(v: number, width: number, zero = true): string {
  const digits = String(Math.abs(v));
  const sign = v < 0 ? '-' : '';
  const fill = width - sign.length - digits.length;
  if (fill <= 0) return sign + digits;
  return zero ? sign + '0'.repeat(fill) + digits : ' '.repeat(fill) + sign + digits;
}

function yearText(Y: number): string {
  const a = Math.abs(Y);
  const s = String(Math.trunc(a / 1000) % 10) + String(Math.trunc(a / 100) % 10) + String(Math.trunc(a / 10) % 10) + String(a % 10);
  return Y < 0 ? '-' + s : s;
}

function secondsText(p: DateTime): string {
  if (p.useSubsec) {
    const s = Math.trunc(1000 * p.s + 0.5);
    return `${Math.trunc(s / 10000) % 10}${Math.trunc(s / 1000) % 10}.${Math.trunc(s / 100) % 10}${Math.trunc(s / 10) % 10}${s % 10}`;
  }
  const s = Math.trunc(p.s);
  return `${Math.trunc(s / 10) % 10}${s % 10}`;
}

const two = (v: number): string => `${Math.trunc(v / 10) % 10}${v % 10}`;

/** date(time-value, modifier, ...) → 'YYYY-MM-DD'. */
export function dateFunc(args: readonly SqlValue[], ctx: DateContext): SqlValue {
  const p = isDate(args, ctx);
  if (p === null) return null;
  computeYMD(p);
  return `${yearText(p.Y)}-${two(p.M)}-${two(p.D)}`;
}

/** time(time-value, modifier, ...) → 'HH:MM:SS' (or 'HH:MM:SS.SSS' with 'subsec'). */
export function timeFunc(args: readonly SqlValue[], ctx: DateContext): SqlValue {
  const p = isDate(args, ctx);
  if (p === null) return null;
  computeHMS(p);
  return `${two(p.h)}:${two(p.m)}:${secondsText(p)}`;
}

/** datetime(time-value, modifier, ...) → 'YYYY-MM-DD HH:MM:SS' (or with '.SSS'). */
export function datetimeFunc(args: readonly SqlValue[], ctx: DateContext): SqlValue {
  const p = isDate(args, ctx);
  if (p === null) return null;
  computeYMD_HMS(p);
  return `${yearText(p.Y)}-${two(p.M)}-${two(p.D)} ${two(p.h)}:${two(p.m)}:${secondsText(p)}`;
}

/** julianday(time-value, modifier, ...) → REAL Julian day number. */
export function juliandayFunc(args: readonly SqlValue[], ctx: DateContext): SqlValue {
  const p = isDate(args, ctx);
  if (p === null) return null;
  computeJD(p);
  return realValue(p.iJD / 86400000);
}

/** unixepoch(time-value, modifier, ...) → INTEGER seconds since 1970 (REAL with 'subsec'). */
export function unixepochFunc(args: readonly SqlValue[], ctx: DateContext): SqlValue {
  const p = isDate(args, ctx);
  if (p === null) return null;
  computeJD(p);
  if (p.useSubsec) return realValue((p.iJD - UNIX_EPOCH_JD_MS) / 1000);
  return Math.trunc(p.iJD / 1000) - 210866760000;
}

function realValue(x: number): SqlValue {
  return Number.isInteger(x) ? new RealBox(x) : x;
}

function daysAfterJan01(p: DateTime): number {
  const jan01: DateTime = { ...p, validJD: false, M: 1, D: 1 };
  computeJD(jan01);
  return idiv(p.iJD - jan01.iJD + 43200000, 86400000);
}

const daysAfterMonday = (p: DateTime): number => idiv(p.iJD + 43200000, 86400000) % 7;
const daysAfterSunday = (p: DateTime): number => idiv(p.iJD + 129600000, 86400000) % 7;

function thursdayOfWeek(p: DateTime): DateTime {
  const y: DateTime = { ...p };
  y.iJD += (3 - daysAfterMonday(p)) * 86400000;
  y.validYMD = false;
  computeYMD(y);
  return y;
}

/**
 * strftime(format, time-value, modifier, ...): %d %e %f %F %G %g %H %I %j
 * %J %k %l %m %M %p %P %R %s %S %T %u %U %V %w %W %Y %%; any other
 * conversion makes the result NULL.
 */
export function strftimeFunc(args: readonly SqlValue[], ctx: DateContext): SqlValue {
  if (args.length === 0) return null;
  const fmt = toText(args[0]!);
  if (fmt === null) return null;
  const p = isDate(args.slice(1), ctx);
  if (p === null) return null;
  computeJD(p);
  computeYMD_HMS(p);
  let out = '';
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i]!;
    if (c !== '%') {
      out += c;
      continue;
    }
    const cf = fmt[++i];
    switch (cf) {
      case 'd':
        out += pad(p.D, 2);
        break;
      case 'e':
        out += pad(p.D, 2, false);
        break;
      case 'f':
        out += formatFloat(p.s > 59.999 ? 59.999 : p.s, 'f', 3, 6, { zeroPad: true });
        break;
      case 'F':
        out += `${pad(p.Y, 4)}-${pad(p.M, 2)}-${pad(p.D, 2)}`;
        break;
      case 'G':
        out += pad(thursdayOfWeek(p).Y, 4);
        break;
      case 'g':
        out += pad(thursdayOfWeek(p).Y % 100, 2);
        break;
      case 'H':
        out += pad(p.h, 2);
        break;
      case 'k':
        out += pad(p.h, 2, false);
        break;
      case 'I':
      case 'l': {
        let h = p.h;
        if (h > 12) h -= 12;
        if (h === 0) h = 12;
        out += pad(h, 2, cf === 'I');
        break;
      }
      case 'j':
        out += pad(daysAfterJan01(p) + 1, 3);
        break;
      case 'J':
        out += formatFloat(p.iJD / 86400000, 'g', 16, 0, {});
        break;
      case 'm':
        out += pad(p.M, 2);
        break;
      case 'M':
        out += pad(p.m, 2);
        break;
      case 'p':
        out += p.h >= 12 ? 'PM' : 'AM';
        break;
      case 'P':
        out += p.h >= 12 ? 'pm' : 'am';
        break;
      case 'R':
        out += `${pad(p.h, 2)}:${pad(p.m, 2)}`;
        break;
      case 's':
        if (p.useSubsec) out += formatFloat((p.iJD - UNIX_EPOCH_JD_MS) / 1000, 'f', 3, 0, {});
        else out += String(Math.trunc(p.iJD / 1000) - 210866760000);
        break;
      case 'S':
        out += pad(Math.trunc(p.s), 2);
        break;
      case 'T':
        out += `${pad(p.h, 2)}:${pad(p.m, 2)}:${pad(Math.trunc(p.s), 2)}`;
        break;
      case 'u':
      case 'w': {
        const d = daysAfterSunday(p);
        out += d === 0 && cf === 'u' ? '7' : String(d);
        break;
      }
      case 'U':
        out += pad(idiv(daysAfterJan01(p) - daysAfterSunday(p) + 7, 7), 2);
        break;
      case 'V':
        out += pad(idiv(daysAfterJan01(thursdayOfWeek(p)), 7) + 1, 2);
        break;
      case 'W':
        out += pad(idiv(daysAfterJan01(p) - daysAfterMonday(p) + 7, 7), 2);
        break;
      case 'Y':
        out += pad(p.Y, 4);
        break;
      case '%':
        out += '%';
        break;
      default:
        return null;
    }
  }
  return out;
}

/** The iJD of 0000-01-01 00:00:00: timediff breaks its remainder into days and time from there. */
const YEAR_ZERO_JD_MS = 148699540800000;

/**
 * timediff(A, B) → '±YYYY-MM-DD HH:MM:SS.SSS', the years, months, days and
 * time to add to B to reach A (SQLite 3.43+, date.c timediffFunc step by
 * step): whole years and months first (B moved to A's year and month, then
 * back one month at a time while it overshoots), the rest as days and time.
 */
export function timediffFunc(args: readonly SqlValue[], ctx: DateContext): SqlValue {
  const d1 = isDate([args[0] ?? null], ctx);
  if (d1 === null) return null;
  const d2 = isDate([args[1] ?? null], ctx);
  if (d2 === null) return null;
  computeYMD_HMS(d1);
  computeYMD_HMS(d2);
  const moveTo = (Y: number, M: number): void => {
    d2.Y = Y;
    d2.M = M;
    d2.validJD = false;
    computeJD(d2);
  };
  let sign: string;
  let Y: number;
  let M: number;
  if (d1.iJD >= d2.iJD) {
    sign = '+';
    Y = d1.Y - d2.Y;
    if (Y !== 0) moveTo(d1.Y, d2.M);
    M = d1.M - d2.M;
    if (M < 0) {
      Y--;
      M += 12;
    }
    if (M !== 0) moveTo(d2.Y, d1.M);
    while (d1.iJD < d2.iJD) {
      M--;
      if (M < 0) {
        M = 11;
        Y--;
      }
      if (d2.M - 1 < 1) moveTo(d2.Y - 1, 12);
      else moveTo(d2.Y, d2.M - 1);
    }
    d1.iJD = d1.iJD - d2.iJD + YEAR_ZERO_JD_MS;
  } else {
    sign = '-';
    Y = d2.Y - d1.Y;
    if (Y !== 0) moveTo(d1.Y, d2.M);
    M = d2.M - d1.M;
    if (M < 0) {
      Y--;
      M += 12;
    }
    if (M !== 0) moveTo(d2.Y, d1.M);
    while (d1.iJD > d2.iJD) {
      M--;
      if (M < 0) {
        M = 11;
        Y--;
      }
      if (d2.M + 1 > 12) moveTo(d2.Y + 1, 1);
      else moveTo(d2.Y, d2.M + 1);
    }
    d1.iJD = d2.iJD - d1.iJD + YEAR_ZERO_JD_MS;
  }
  clearYMD_HMS_TZ(d1);
  computeYMD_HMS(d1);
  const sec = d1.s.toFixed(3).padStart(6, '0');
  return `${sign}${pad(Y, 4)}-${pad(M, 2)}-${pad(d1.D - 1, 2)} ${pad(d1.h, 2)}:${pad(d1.m, 2)}:${sec}`;
}
