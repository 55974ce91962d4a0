/**
 * LIKE and GLOB pattern matching with SQLite's semantics:
 *
 * - LIKE: `%` matches any run of characters (also none), `_` exactly one
 *   character (a code point); ASCII letters match case-insensitively, every
 *   other character only itself (SQLite folds no Unicode case). An optional
 *   ESCAPE character makes the next pattern character literal; a pattern
 *   ending in the escape character matches nothing.
 * - GLOB: `*` any run, `?` one character, `[abc]`, `[a-z]`, `[^...]`
 *   classes (a `]` first in the class is literal, `-` first or last is
 *   literal); case-sensitive; no escape character.
 *
 * Patterns are compiled once (and cached per pattern text), so matching a
 * pattern against many rows does not re-parse it. Patterns longer than
 * 50 000 bytes are rejected like SQLite's SQLITE_MAX_LIKE_PATTERN_LENGTH.
 */
import { HeliosError } from '../format/errors.ts';

export const MAX_PATTERN_LENGTH = 50000;

/** One pattern element. */
type Token =
  | { readonly kind: 'lit'; readonly cp: number }
  | { readonly kind: 'any' } // % or *
  | { readonly kind: 'one' } // _ or ?
  | { readonly kind: 'set'; readonly negate: boolean; readonly ranges: readonly number[] }; // [lo, hi, lo, hi, ...]

type Matcher = (subject: string) => boolean;

const likeCache = new Map<string, Matcher>(); // patterns without ESCAPE
const likeEscCache = new Map<string, Matcher>(); // keyed by escape code point ':' pattern
const likeExactCache = new Map<string, Matcher>(); // case_sensitive_like: keyed as likeEscCache (-1: no escape)
const globCache = new Map<string, Matcher>();
const CACHE_LIMIT = 256;

function cached(cache: Map<string, Matcher>, key: string, make: () => Matcher): Matcher {
  let m = cache.get(key);
  if (m === undefined) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    m = make();
    cache.set(key, m);
  }
  return m;
}

function checkLength(pattern: string): void {
  if (pattern.length > MAX_PATTERN_LENGTH) throw new HeliosError('TOO_BIG', 'LIKE or GLOB pattern too complex');
}

/**
 * `subject LIKE pattern [ESCAPE escape]`. `escape` null means no escape
 * character; otherwise it must be exactly one character (SQL_ERROR
 * "ESCAPE expression must be a single character").
 */
export function like(pattern: string, subject: string, escape: string | null = null, caseSensitive = false): boolean {
  if (caseSensitive) return likeCaseSensitive(pattern, subject, escape);
  if (escape === null) {
    const m = likeCache.get(pattern);
    if (m !== undefined) return m(subject);
  }
  checkLength(pattern);
  if (escape === null) return cached(likeCache, pattern, () => compileLike(pattern, -1))(subject);
  let esc = -1;
  if (escape !== null) {
    const cps = Array.from(escape);
    if (cps.length !== 1) throw new HeliosError('SQL_ERROR', 'ESCAPE expression must be a single character');
    esc = cps[0]!.codePointAt(0)!;
  }
  return cached(likeEscCache, esc + ':' + pattern, () => compileLike(pattern, esc))(subject);
}

/** LIKE under PRAGMA case_sensitive_like = ON: letters match only themselves. */
function likeCaseSensitive(pattern: string, subject: string, escape: string | null): boolean {
  checkLength(pattern);
  let esc = -1;
  if (escape !== null) {
    const cps = Array.from(escape);
    if (cps.length !== 1) throw new HeliosError('SQL_ERROR', 'ESCAPE expression must be a single character');
    esc = cps[0]!.codePointAt(0)!;
  }
  return cached(likeExactCache, esc + ':' + pattern, () => compileLike(pattern, esc, false))(subject);
}

/** `subject GLOB pattern`. */
export function glob(pattern: string, subject: string): boolean {
  const m = globCache.get(pattern);
  if (m !== undefined) return m(subject);
  checkLength(pattern);
  return cached(globCache, pattern, () => compileGlob(pattern))(subject);
}

/** Lower-cases the 26 ASCII letters only (SQLite's LIKE folding). */
export function foldAscii(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) {
      let r = s.slice(0, i);
      for (let j = i; j < s.length; j++) {
        const d = s.charCodeAt(j);
        r += d >= 65 && d <= 90 ? String.fromCharCode(d + 32) : s[j]!;
      }
      return r;
    }
  }
  return s;
}

const foldLetter = (c: number): number => (c >= 65 && c <= 90 ? c + 32 : c);

function codePoints(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out.push(0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00));
        i++;
        continue;
      }
    }
    out.push(c);
  }
  return out;
}

function compileLike(pattern: string, esc: number, fold = true): Matcher {
  const foldCp = fold ? foldLetter : (c: number): number => c;
  const cps = codePoints(pattern);
  const tokens: Token[] = [];
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i]!;
    if (c === esc) {
      if (i + 1 >= cps.length) return () => false;
      tokens.push({ kind: 'lit', cp: foldCp(cps[++i]!) });
    } else if (c === 37) tokens.push({ kind: 'any' });
    else if (c === 95) tokens.push({ kind: 'one' });
    else tokens.push({ kind: 'lit', cp: foldCp(c) });
  }
  return fastPath(tokens, fold) ?? ((s) => matchTokens(tokens, codePoints(fold ? foldAscii(s) : s)));
}

function compileGlob(pattern: string): Matcher {
  const cps = codePoints(pattern);
  const tokens: Token[] = [];
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i]!;
    if (c === 42) tokens.push({ kind: 'any' });
    else if (c === 63) tokens.push({ kind: 'one' });
    else if (c === 91) {
      // [...] class; an unterminated class matches nothing.
      let j = i + 1;
      let negate = false;
      if (cps[j] === 94) {
        negate = true;
        j++;
      }
      const ranges: number[] = [];
      if (cps[j] === 93) {
        ranges.push(93, 93);
        j++;
      }
      while (j < cps.length && cps[j] !== 93) {
        const lo = cps[j]!;
        if (cps[j + 1] === 45 && j + 2 < cps.length && cps[j + 2] !== 93) {
          // As in SQLite, the first endpoint is a member on its own too: [c-a] matches 'c'.
          ranges.push(lo, lo, lo, cps[j + 2]!);
          j += 3;
        } else {
          ranges.push(lo, lo);
          j++;
        }
      }
      if (j >= cps.length) return () => false;
      tokens.push({ kind: 'set', negate, ranges });
      i = j;
    } else tokens.push({ kind: 'lit', cp: c });
  }
  return fastPath(tokens, false) ?? ((s) => matchTokens(tokens, codePoints(s)));
}

/** Literal-only, prefix%, %suffix and %infix% patterns as plain string operations. */
function fastPath(tokens: readonly Token[], fold: boolean): Matcher | null {
  let start = 0;
  let end = tokens.length;
  const leadAny = tokens[0]?.kind === 'any';
  const trailAny = end > 0 && tokens[end - 1]!.kind === 'any';
  if (leadAny) start = 1;
  if (trailAny && end > start) end--;
  let lit = '';
  for (let i = start; i < end; i++) {
    const t = tokens[i]!;
    if (t.kind !== 'lit') return null;
    lit += String.fromCodePoint(t.cp);
  }
  if (tokens.length === 0) return (s) => s.length === 0;
  if (!fold) {
    if (leadAny && trailAny) return (s) => s.includes(lit);
    if (leadAny) return (s) => s.endsWith(lit);
    if (trailAny) return (s) => s.startsWith(lit);
    return (s) => s === lit;
  }
  // Case-folding comparisons without building a folded copy of the subject.
  const m = lit.length;
  const sameAt = (s: string, at: number): boolean => {
    for (let k = 0; k < m; k++) {
      let c = s.charCodeAt(at + k);
      if (c >= 65 && c <= 90) c += 32;
      if (c !== lit.charCodeAt(k)) return false;
    }
    return true;
  };
  if (leadAny && trailAny) return (s) => foldAscii(s).includes(lit);
  if (leadAny) return (s) => s.length >= m && sameAt(s, s.length - m);
  if (trailAny) return (s) => s.length >= m && sameAt(s, 0);
  return (s) => s.length === m && sameAt(s, 0);
}

function matchOne(t: Token, c: number): boolean {
  switch (t.kind) {
    case 'lit':
      return t.cp === c;
    case 'one':
      return true;
    case 'set': {
      let inSet = false;
      for (let k = 0; k < t.ranges.length; k += 2) {
        if (c >= t.ranges[k]! && c <= t.ranges[k + 1]!) {
          inSet = true;
          break;
        }
      }
      return inSet !== t.negate;
    }
    case 'any':
      return false;
  }
}

/**
 * Wildcard matching with single-character tokens and `any` runs: greedy with
 * backtracking to the most recent `any` only, which is exact for this
 * pattern language and runs in O(pattern × subject) worst case.
 */
function matchTokens(tokens: readonly Token[], s: readonly number[]): boolean {
  let ti = 0;
  let si = 0;
  let starT = -1;
  let starS = 0;
  while (si < s.length) {
    const t = tokens[ti];
    if (t !== undefined && t.kind === 'any') {
      starT = ti++;
      starS = si;
    } else if (t !== undefined && matchOne(t, s[si]!)) {
      ti++;
      si++;
    } else if (starT >= 0) {
      ti = starT + 1;
      si = ++starS;
    } else return false;
  }
  while (ti < tokens.length && tokens[ti]!.kind === 'any') ti++;
  return ti === tokens.length;
}
