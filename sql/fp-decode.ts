/**
 * SQLite's conversion of a double to decimal digits (sqlite3FpDecode of
 * SQLite 3.53), ported exactly so that REAL → TEXT conversions and printf's
 * %e %f %g print the very digits SQLite prints, including SQLite's choice of
 * 15–17 significant digits for "%!.17g" (the default REAL rendering).
 *
 * The algorithm multiplies the binary significand by a 64/96-bit truncated
 * power of ten (Russ Cox's fpfmt), so the 18th digit is approximate; it is
 * reproduced here bit for bit with BigInt arithmetic. Pure and allocation-light
 * enough for text conversion; not a hot path.
 */

const M64 = (1n << 64n) - 1n;
const BIT63 = 1n << 63n;

/** 10^p << k for p in 0..26, normalised so bit 63 is set. */
const BASE: readonly bigint[] = [0x8000000000000000n, 0xa000000000000000n, 0xc800000000000000n, 0xfa00000000000000n, 0x9c40000000000000n, 0xc350000000000000n, 0xf424000000000000n, 0x9896800000000000n, 0xbebc200000000000n, 0xee6b280000000000n, 0x9502f90000000000n, 0xba43b74000000000n, 0xe8d4a51000000000n, 0x9184e72a00000000n, 0xb5e620f480000000n, 0xe35fa931a0000000n, 0x8e1bc9bf04000000n, 0xb1a2bc2ec5000000n, 0xde0b6b3a76400000n, 0x8ac7230489e80000n, 0xad78ebc5ac620000n, 0xd8d726b7177a8000n, 0x878678326eac9000n, 0xa968163f0a57b400n, 0xd3c21bcecceda100n, 0x84595161401484a0n, 0xa56fa5b99019a5c8n];
/** Most significant 64 bits of 10^(27k - 351) for k in 0..25 (entry 13 is 10^-1). */
const SCALE: readonly bigint[] = [0x8049a4ac0c5811aen, 0xcf42894a5dce35ean, 0xa76c582338ed2621n, 0x873e4f75e2224e68n, 0xda7f5bf590966848n, 0xb080392cc4349decn, 0x8e938662882af53en, 0xe65829b3046b0afan, 0xba121a4650e4ddebn, 0x964e858c91ba2655n, 0xf2d56790ab41c2a2n, 0xc428d05aa4751e4cn, 0x9e74d1b791e07e48n, 0xccccccccccccccccn, 0xcecb8f27f4200f3an, 0xa70c3c40a64e6c51n, 0x86f0ac99b4e8dafdn, 0xda01ee641a708de9n, 0xb01ae745b101e9e4n, 0x8e41ade9fbebc27dn, 0xe5d3ef282a242e81n, 0xb9a74a0637ce2ee1n, 0x95f83d0a1fb69cd9n, 0xf24a01a73cf2dccfn, 0xc3b8358109e84f07n, 0x9e19db92b4e31ba9n];
/** The next 32 bits of each SCALE entry. */
const SCALE_LO: readonly number[] = [0x205b896d, 0x52064cad, 0xaf2af2b8, 0x5a7744a7, 0xaf39a475, 0xbd8d794e, 0x547eb47b, 0x0cb4a5a3, 0x92f34d62, 0x3a6a07f9, 0xfae27299, 0xaa97e14c, 0x775ea265, 0xcccccccc, 0x00000000, 0x999090b6, 0x69a028bb, 0xe80e6f48, 0x5ec05dd0, 0x14588f14, 0x8f1668c9, 0x6d953e2c, 0x4abdaf10, 0xbc633b39, 0x0a862f81, 0x6c07a2c2];

const pwr10to2 = (p: number): number => (p * 108853) >> 15;
const pwr2to10 = (p: number): number => (p * 78913) >> 18;

function clz64(m: bigint): number {
  const hi = Number(m >> 32n);
  return hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(Number(m & 0xffffffffn));
}

/** Upper 96 bits of (a<<32 | aLo) * b: returns [upper 64, middle 32]. */
function multiply160(a: bigint, aLo: number, b: bigint): [bigint, number] {
  const r = a * b + ((BigInt(aLo) * b) >> 32n);
  return [(r >> 64n) & M64, Number((r >> 32n) & 0xffffffffn)];
}

/** Most significant 64 bits of 10^p (and the next 32 bits), p in -348..347. */
function powerOfTen(p: number): [bigint, number] {
  let g: number;
  let n: number;
  if (p < 0) {
    if (p === -1) return [SCALE[13]!, SCALE_LO[13]!];
    g = Math.trunc(p / 27);
    n = p % 27;
    if (n !== 0) {
      g--;
      n += 27;
    }
  } else if (p < 27) {
    return [BASE[p]!, 0];
  } else {
    g = Math.trunc(p / 27);
    n = p % 27;
  }
  const s = SCALE[g + 13]!;
  if (n === 0) return [s, SCALE_LO[g + 13]!];
  let [x, lo] = multiply160(s, SCALE_LO[g + 13]!, BASE[n]!);
  if ((x & BIT63) === 0n) {
    x = ((x << 1n) | BigInt((lo >>> 31) & 1)) & M64;
    lo = ((lo << 1) | 1) >>> 0;
  }
  return [x, lo];
}

/** m·2^e ≈ d·10^p with at least n (1..18) significant digits in d. */
function fp2Convert10(m: bigint, e: number, n: number): [bigint, number] {
  const p = n - 1 - pwr2to10(e + 63);
  let h = (m * powerOfTen(p)[0]) >> 64n;
  let d: bigint;
  if (n === 18) {
    h >>= BigInt(-(e + pwr10to2(p) + 2));
    d = (h + ((h & 1n) << 1n)) >> 1n;
  } else {
    d = h >> BigInt(-(e + pwr10to2(p) + 1));
  }
  return [d, -p];
}

const cvt = new DataView(new ArrayBuffer(8));

/** The double nearest (as SQLite computes it) to d·10^p, d > 0. */
function fp10Convert2(d: bigint, p: number): number {
  if (p < -348) return 0;
  if (p > 347) return Infinity;
  const b = 64 - clz64(d);
  const lp = pwr10to2(p);
  let e = 53 - b - lp;
  if (e > 1074) {
    if (e >= 1130) return 0;
    e = 1074;
  }
  const s = -(e - (64 - b) + lp + 3);
  let [pwr10h, pwr10l] = powerOfTen(p);
  if (pwr10l !== 0) {
    pwr10h = (pwr10h + 1n) & M64;
    pwr10l = ~pwr10l >>> 0;
  }
  const x = (d << BigInt(64 - b)) & M64;
  const prod = x * pwr10h;
  let hi = prod >> 64n;
  const lo = prod & M64;
  const mid1 = Number(lo >> 32n);
  let sticky = 1n;
  if ((hi & ((1n << BigInt(s)) - 1n)) === 0n) {
    const mid2 = Number(((x * (BigInt(pwr10l) << 32n)) >> 64n) >> 32n) >>> 0;
    sticky = ((mid1 - mid2) >>> 0) > 1 ? 1n : 0n;
    if (mid1 < mid2) hi -= 1n;
  }
  let u = (hi >> BigInt(s)) | sticky;
  if (u >= (1n << 55n) - 2n) {
    u = (u >> 1n) | (u & 1n);
    e -= 1;
  }
  let m = (u + 1n + ((u >> 2n) & 1n)) >> 2n;
  if (e <= -972) return Infinity;
  if ((m & (1n << 52n)) !== 0n) m = (m & ~(1n << 52n)) | (BigInt(1075 - e) << 52n);
  cvt.setBigUint64(0, m);
  return cvt.getFloat64(0);
}

/** The decimal form of a double: value = 0.DIGITS × 10^decimalPoint, with `sign`. */
export interface FpDecoded {
  readonly sign: '+' | '-';
  /** Significant digits, no trailing zeros ('' for Inf/NaN). */
  readonly digits: string;
  /** Position of the decimal point relative to the first digit (iDP). */
  readonly decimalPoint: number;
  /** 0 finite, 1 infinite, 2 NaN. */
  readonly special: 0 | 1 | 2;
}

/**
 * sqlite3FpDecode: `iRound` > 0 rounds to that many significant digits,
 * <= 0 rounds to -iRound digits after the decimal point; at most `mxRound`
 * significant digits. iRound 17 may shorten to 15/16 digits when that
 * round-trips (SQLite's "%!.17g" rule).
 */
export function fpDecode(r: number, iRound: number, mxRound: number): FpDecoded {
  let sign: '+' | '-' = '+';
  if (r < 0) {
    sign = '-';
    r = -r;
  } else if (r === 0) {
    return { sign: '+', digits: '0', decimalPoint: 1, special: 0 };
  }
  if (iRound === 17 && mxRound >= 17 && r > 1e-290 && r < 1e17) {
    const fast = decode17Fast(r, sign);
    if (fast !== null) return fast;
  }
  cvt.setFloat64(0, r);
  let v = cvt.getBigUint64(0);
  let e = Number((v >> 52n) & 0x7ffn);
  if (e === 0x7ff) return { sign, digits: '', decimalPoint: 0, special: v !== 0x7ff0000000000000n ? 2 : 1 };
  v &= 0xfffffffffffffn;
  if (e === 0) {
    const nn = clz64(v);
    v = (v << BigInt(nn)) & M64;
    e = -1074 - nn;
  } else {
    v = ((v << 11n) | BIT63) & M64;
    e -= 1086;
  }
  const [d, exp] = fp2Convert10(v, e, iRound <= 0 || iRound >= 18 ? 18 : iRound + 1);
  const z = Array.from(d.toString(), (c) => c.charCodeAt(0) - 48);
  let n = z.length;
  let iDP = n + exp;
  if (iRound <= 0) {
    iRound = iDP - iRound;
    if (iRound === 0 && z[0]! >= 5) {
      iRound = 1;
      z.unshift(0);
      n++;
      iDP++;
    }
  }
  if (iRound > 0 && (iRound < n || n > mxRound)) {
    if (iRound > mxRound) iRound = mxRound;
    if (iRound === 17) {
      if (z[15] === 9 && z[14] === 9) {
        let jj = 14;
        while (jj > 0 && z[jj - 1] === 9) jj--;
        const v2 = jj === 0 ? 1n : BigInt(z.slice(0, jj).join('')) + 1n;
        if (r === fp10Convert2(v2, exp + n - jj)) iRound = jj + 1;
      } else if (iDP >= n || (z[15] === 0 && z[14] === 0 && z[13] === 0)) {
        let jj = 13;
        while (jj > 1 && z[jj - 1] === 0) jj--;
        const v2 = BigInt(z.slice(0, jj).join(''));
        if (r === fp10Convert2(v2, exp + n - jj)) iRound = jj + 1;
      }
    }
    n = iRound;
    if ((z[iRound] ?? 0) >= 5) {
      let j = iRound - 1;
      for (;;) {
        z[j]!++;
        if (z[j]! <= 9) break;
        z[j] = 0;
        if (j === 0) {
          z.unshift(1);
          n++;
          iDP++;
          break;
        }
        j--;
      }
    }
  }
  while (n > 1 && z[n - 1] === 0) n--;
  let digits = '';
  for (let i = 0; i < n; i++) digits += String.fromCharCode(48 + z[i]!);
  return { sign, digits, decimalPoint: iDP, special: 0 };
}

/**
 * The iRound = 17 result without BigInt arithmetic, when it is provably the
 * same: SQLite's 18 digits differ from the correctly rounded 18 digits
 * (`toExponential(17)`, exact in every engine) by at most one unit in the
 * last place, so when that digit is 1-3 or 6-8 the rounding to 17 digits
 * cannot change, and when digits 14-16 are neither "99" nor "000" SQLite's
 * shortening rule does not apply. Returns null when the slow path must decide.
 */
function decode17Fast(r: number, sign: '+' | '-'): FpDecoded | null {
  const e = r.toExponential(17);
  const ePos = e.indexOf('e');
  if (ePos !== 19) return null;
  const d18 = e.charCodeAt(18) - 48;
  if (d18 === 0 || d18 === 4 || d18 === 5 || d18 === 9) return null;
  const z = e.charAt(0) + e.slice(2, 18); // 17 digits
  if (z.charCodeAt(14) === 57 && z.charCodeAt(15) === 57) return null;
  if (z.charCodeAt(13) === 48 && z.charCodeAt(14) === 48 && z.charCodeAt(15) === 48) return null;
  const exp = Number(e.slice(ePos + 1));
  let digits = z;
  if (d18 >= 5) {
    // Round up; a carry out of all-nines is excluded above (z[14..15] = "99").
    const arr = Array.from(z, (c) => c.charCodeAt(0) - 48);
    let j = 16;
    while (arr[j] === 9) arr[j--] = 0;
    arr[j]!++;
    digits = arr.join('');
  }
  let n = 17;
  while (n > 1 && digits.charCodeAt(n - 1) === 48) n--;
  return { sign, digits: digits.slice(0, n), decimalPoint: exp + 1, special: 0 };
}

/** Flags of one printf float conversion. */
export interface FloatFlags {
  /** '+' or ' ' before non-negative numbers, or '' */
  readonly prefix?: '' | '+' | ' ';
  /** '#': keep the decimal point and trailing zeros. */
  readonly alternate?: boolean;
  /** '!': up to 20 significant digits, "%!.17g" shortening, ".0" kept. */
  readonly alt2?: boolean;
  /** '0': pad with zeros to the width. */
  readonly zeroPad?: boolean;
  /** ',': thousands separators in the integer part. */
  readonly thousands?: boolean;
  readonly leftJustify?: boolean;
}

/**
 * SQLite's printf %f / %e / %E / %g / %G of `value` (conversion `kind`),
 * with `precision` (-1 = default 6) and field `width` (0 = none).
 */
export function formatFloat(value: number, kind: 'f' | 'e' | 'E' | 'g' | 'G', precision: number, width: number, flags: FloatFlags): string {
  let xtype: 'f' | 'e' | 'g' = kind === 'f' ? 'f' : kind === 'e' || kind === 'E' ? 'e' : 'g';
  const upper = kind === 'E' || kind === 'G';
  const alt2 = flags.alt2 === true;
  const alternate = flags.alternate === true;
  const flagPrefix = flags.prefix ?? '';
  if (precision < 0) precision = 6;
  let iRound: number;
  if (xtype === 'f') iRound = -precision;
  else if (xtype === 'g') {
    if (precision === 0) precision = 1;
    iRound = precision;
  } else iRound = precision + 1;
  const s = fpDecode(value, iRound, alt2 ? 20 : 16);
  let digits = s.digits;
  let iDP = s.decimalPoint;
  let body: string;
  if (s.special === 2) body = flags.zeroPad === true ? 'null' : 'NaN';
  else if (s.special === 1 && flags.zeroPad !== true) body = s.sign === '-' ? '-Inf' : flagPrefix + 'Inf';
  else {
    if (s.special === 1) {
      digits = '9';
      iDP = 1000;
    }
    const n = digits.length;
    let prefix: string;
    if (s.sign === '-') prefix = alternate && flagPrefix === '' && xtype === 'f' && iDP <= iRound ? '' : '-';
    else prefix = flagPrefix;
    let exp = iDP - 1;
    let rtz: boolean;
    if (xtype === 'g') {
      precision--;
      rtz = !alternate;
      if (exp < -4 || exp > precision) xtype = 'e';
      else {
        precision -= exp;
        xtype = 'f';
      }
    } else rtz = alt2;
    let e2 = xtype === 'e' ? 0 : iDP - 1;
    const dp = precision > 0 || alternate || alt2;
    let out = prefix;
    let j = 0;
    if (e2 < 0) out += '0';
    else if (flags.thousands === true) {
      for (; e2 >= 0; e2--) {
        out += j < n ? digits[j++] : '0';
        if (e2 % 3 === 0 && e2 > 1) out += ',';
      }
    } else {
      j = Math.min(e2 + 1, n);
      out += digits.slice(0, j);
      e2 -= j;
      if (e2 >= 0) {
        out += '0'.repeat(e2 + 1);
        e2 = -1;
      }
    }
    if (dp) out += '.';
    if (e2 < -1 && precision > 0) {
      const nn = Math.min(-1 - e2, precision);
      out += '0'.repeat(nn);
      precision -= nn;
    }
    if (precision > 0) {
      const nn = Math.min(n - j, precision);
      if (nn > 0) {
        out += digits.slice(j, j + nn);
        precision -= nn;
      }
      if (precision > 0 && !rtz) out += '0'.repeat(precision);
    }
    if (rtz && dp) {
      let end = out.length;
      while (out.charCodeAt(end - 1) === 48) end--;
      out = out.slice(0, end);
      if (out.endsWith('.')) out = alt2 ? out + '0' : out.slice(0, -1);
    }
    if (xtype === 'e') {
      exp = iDP - 1;
      out += upper ? 'E' : 'e';
      if (exp < 0) {
        out += '-';
        exp = -exp;
      } else out += '+';
      if (exp >= 100) {
        out += String(Math.floor(exp / 100));
        exp %= 100;
      }
      out += String(Math.floor(exp / 10)) + String(exp % 10);
    }
    if (out.length < width && flags.zeroPad === true && flags.leftJustify !== true) {
      const adj = prefix === '' ? 0 : 1;
      out = out.slice(0, adj) + '0'.repeat(width - out.length) + out.slice(adj);
    }
    body = out;
  }
  if (body.length < width) body = flags.leftJustify === true ? body + ' '.repeat(width - body.length) : ' '.repeat(width - body.length) + body;
  return body;
}
