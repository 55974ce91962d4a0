/**
 * Where a statement of SQL text ends, as SQLite's sqlite3_complete() decides
 * (complete.c): at the first `;` outside strings, quoted names and comments
 * — except inside CREATE [TEMP] TRIGGER … BEGIN …; …; END, which ends only at
 * the `;` after END. The shell feeds its input through `scanChunk` line by
 * line (a .dump of any size streams), and `splitStatements` cuts a whole
 * script the same way without parsing it.
 *
 * The trigger rule is complete.c's token state machine: words are read as
 * tokens (EXPLAIN, CREATE, TEMP/TEMPORARY, TRIGGER, END, anything else),
 * blanks and comments change nothing, and a `;` ends the statement when the
 * machine lands in START.
 */

/** complete.c's states: 0 INVALID, 1 START, 2 NORMAL, 3 EXPLAIN, 4 CREATE, 5 TRIGGER, 6 SEMI, 7 END. */
const TRANS: readonly (readonly number[])[] = [
  // SEMI OTHER EXPLAIN CREATE TEMP TRIGGER END
  [1, 2, 3, 4, 2, 2, 2],
  [1, 2, 3, 4, 2, 2, 2],
  [1, 2, 2, 2, 2, 2, 2],
  [1, 3, 2, 4, 2, 2, 2],
  [1, 2, 2, 2, 4, 5, 2],
  [6, 5, 5, 5, 5, 5, 5],
  [6, 5, 5, 5, 5, 5, 7],
  [1, 5, 5, 5, 5, 5, 5],
];
const SEMI = 0;
const OTHER = 1;
const START = 1;

function wordToken(w: string): number {
  switch (w.toUpperCase()) {
    case 'EXPLAIN':
      return 2;
    case 'CREATE':
      return 3;
    case 'TEMP':
    case 'TEMPORARY':
      return 4;
    case 'TRIGGER':
      return 5;
    case 'END':
      return 6;
    default:
      return OTHER;
  }
}

/** A character of an identifier or number (complete.c IdChar: letters, digits, _, $, non-ASCII). */
function isWordChar(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c === '_' || c === '$' || c > '\x7f';
}

/** Where a scan of SQL text stands: in plain SQL, inside a quote (its closing
 *  character), or inside a comment; whether anything but blanks and comments
 *  was seen; the trigger state machine and the word being read. */
export interface ScanState {
  mode: 'sql' | "'" | '"' | '`' | ']' | '--' | '/*';
  sawToken: boolean;
  state: number;
  word: string;
}

export function newScanState(): ScanState {
  return { mode: 'sql', sawToken: false, state: 0, word: '' };
}

function step(st: ScanState, token: number): void {
  st.state = TRANS[st.state]![token]!;
}

function endWord(st: ScanState): void {
  if (st.word === '') return;
  step(st, wordToken(st.word));
  st.word = '';
}

/**
 * Scans `chunk` on from `st` and returns the index of the `;` that ends the
 * statement (st then stands just before it), or -1 with `st` updated to the
 * end of the chunk. Two-character tokens ('' "" -- /* *\/) and words must not
 * be split across chunks: feeding whole lines ending in \n guarantees it.
 */
export function scanChunk(st: ScanState, chunk: string): number {
  const n = chunk.length;
  for (let i = 0; i < n; i++) {
    const c = chunk[i]!;
    switch (st.mode) {
      case 'sql':
        if (isWordChar(c)) {
          st.word += c;
          st.sawToken = true;
          break;
        }
        endWord(st);
        if (c === ';') {
          step(st, SEMI);
          if (st.state === START) return i;
        } else if (c === "'" || c === '"' || c === '`') {
          st.mode = c;
          st.sawToken = true;
          step(st, OTHER);
        } else if (c === '[') {
          st.mode = ']';
          st.sawToken = true;
          step(st, OTHER);
        } else if (c === '-' && chunk[i + 1] === '-') {
          st.mode = '--';
          i++;
        } else if (c === '/' && chunk[i + 1] === '*') {
          st.mode = '/*';
          i++;
        } else if (c !== ' ' && c !== '\n' && c !== '\t' && c !== '\r' && c !== '\f' && c !== '\v') {
          st.sawToken = true;
          step(st, OTHER);
        }
        break;
      case '--':
        if (c === '\n') st.mode = 'sql';
        break;
      case '/*':
        if (c === '*' && chunk[i + 1] === '/') {
          st.mode = 'sql';
          i++;
        }
        break;
      case ']':
        if (c === ']') st.mode = 'sql';
        break;
      default:
        if (c === st.mode) {
          if (chunk[i + 1] === c) i++;
          else st.mode = 'sql';
        }
    }
  }
  return -1;
}

/**
 * Index of the `;` that ends the first statement of `sql` (outside strings,
 * quoted names and comments, after END in CREATE TRIGGER), or -1 (the
 * statement is not complete yet).
 */
export function findTerminator(sql: string): number {
  return scanChunk(newScanState(), sql);
}

/** Whether `sql` holds only whitespace and complete comments. */
export function isBlankSql(sql: string): boolean {
  const st = newScanState();
  return scanChunk(st, sql) < 0 && !st.sawToken && (st.mode === 'sql' || st.mode === '--');
}

/** The statements of a script, each without its `;` and trimmed; blank ones are left out. The text after the last `;` is one more statement unless blank. */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let rest = sql;
  for (;;) {
    const end = findTerminator(rest);
    const text = end < 0 ? rest : rest.slice(0, end);
    if (!isBlankSql(text)) out.push(text.trim());
    if (end < 0) return out;
    rest = rest.slice(end + 1);
  }
}

/**
 * The parameters a statement names, in order of first appearance, outside
 * strings, quoted names and comments: `:name`, `@name`, `$name` with their
 * prefix, `?NNN`, and `?` (numbered after the highest so far, as SQLite).
 */
export function parameterNames(sql: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  let highest = 0;
  const add = (n: string): void => {
    if (seen.has(n)) return;
    seen.add(n);
    out.push(n);
  };
  const n = sql.length;
  for (let i = 0; i < n; i++) {
    const c = sql[i]!;
    if (c === "'" || c === '"' || c === '`' || c === '[') {
      const close = c === '[' ? ']' : c;
      for (i++; i < n; i++) {
        if (sql[i] !== close) continue;
        if (close !== ']' && sql[i + 1] === close) i++; // a doubled quote stands for itself
        else break;
      }
    } else if (c === '-' && sql[i + 1] === '-') {
      while (i < n && sql[i] !== '\n') i++;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 1;
    } else if (c === '?') {
      let j = i + 1;
      while (j < n && sql[j]! >= '0' && sql[j]! <= '9') j++;
      if (j > i + 1) {
        const num = Number(sql.slice(i + 1, j));
        highest = Math.max(highest, num);
        add(`?${num}`);
      } else add(`?${++highest}`);
      i = j - 1;
    } else if ((c === ':' || c === '@' || c === '$') && i + 1 < n && isWordChar(sql[i + 1]!)) {
      let j = i + 1;
      while (j < n && isWordChar(sql[j]!)) j++;
      add(sql.slice(i, j));
      i = j - 1;
    } else if (isWordChar(c)) {
      while (i + 1 < n && isWordChar(sql[i + 1]!)) i++;
    }
  }
  return out;
}
