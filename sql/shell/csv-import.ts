/**
 * `.import`: delimited text (CSV by RFC 4180, TSV, ASCII unit/record
 * separators) into a table, as sqlite3's shell does it: a field may be
 * "quoted" (a doubled "" inside stands for one quote, and separators and line
 * breaks inside are data); a row separator \n also ends a row at \r\n. A
 * missing table is created with the first row as TEXT column names; into
 * an existing table every row is data (--skip N drops N first lines). Short
 * rows are filled with NULL and long ones cut, with a warning naming file and
 * line. Every row goes in within one transaction (or the caller's open one):
 * an error rolls back the whole import, so a file never half-lands.
 */
import { Database, HeliosError } from '../../index.ts';
import type { Progress } from './progress.ts';

export interface ImportOptions {
  readonly file: string;
  readonly table: string;
  readonly colSeparator: string;
  readonly rowSeparator: string;
  readonly skip: number;
}

export interface ImportResult {
  readonly rows: number;
  readonly created: boolean;
}

/** One parsed record: its fields and the line it starts on (1-based). */
interface Record {
  fields: string[];
  line: number;
}

/**
 * Splits text arriving in chunks (any split, a file read piece by piece)
 * into records, holding only the record being read. Throws SQL_ERROR
 * naming file:line on an unterminated quoted field.
 */
export function* readRecords(chunks: Iterable<string>, file: string, col: string, row: string): Generator<Record> {
  const source = chunks[Symbol.iterator]();
  let text = '';
  let i = 0;
  let eof = false;
  /** Makes text[i + k] readable unless the input ends first; false at the end. */
  const has = (k: number): boolean => {
    while (i + k >= text.length && !eof) {
      const next = source.next();
      if (next.done === true) eof = true;
      else {
        text = text.slice(i) + next.value;
        i = 0;
      }
    }
    return i + k < text.length;
  };
  const endsRow = (): boolean => text[i] === row || (row === '\n' && text[i] === '\r' && has(1) && text[i + 1] === '\n');
  let line = 1;
  let first = true;
  while (has(0)) {
    if (first) {
      first = false;
      if (text[i] === '\uFEFF') {
        i++;
        if (!has(0)) return;
      }
    }
    const startLine = line;
    const fields: string[] = [];
    for (;;) {
      let field = '';
      if (has(0) && text[i] === '"') {
        i++;
        for (;;) {
          if (!has(0)) throw new HeliosError('SQL_ERROR', `${file}:${startLine}: unterminated "-quoted field`);
          const c = text[i]!;
          if (c === '"') {
            if (has(1) && text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n') line++;
          field += c;
          i++;
        }
        // Text after the closing quote up to the separator is kept, as sqlite3 does.
        while (has(0) && text[i] !== col && !endsRow()) field += text[i++];
      } else {
        while (has(0) && text[i] !== col && text[i] !== row) field += text[i++];
        if (row === '\n' && has(0) && text[i] === '\n' && field.endsWith('\r')) field = field.slice(0, -1);
      }
      fields.push(field);
      if (has(0) && text[i] === col) {
        i++;
        continue;
      }
      if (has(0) && row === '\n' && text[i] === '\r' && has(1) && text[i + 1] === '\n') i++;
      if (has(0) && text[i] === row) {
        if (row === '\n') line++;
        i++;
      }
      break;
    }
    yield { fields, line: startLine };
  }
}

function quoteName(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Imports text arriving in chunks; `done()` tells how far the source is
 * (bytes read, for the bar). `warn` receives each `FILE:LINE: …` warning as
 * it happens; `check` is called per row and may throw (INTERRUPTED) to roll
 * the whole import back.
 */
export function importDelimited(
  db: Database,
  chunks: Iterable<string>,
  o: ImportOptions,
  bar: Progress,
  warn: (message: string) => void,
  check: () => void = () => {},
  done: () => number = () => 0,
): ImportResult {
  const exists = (db.prepare("SELECT 1 FROM sqlite_schema WHERE type IN ('table', 'view') AND lower(name) = lower(?)").raw().all(o.table) as unknown[]).length > 0;
  const records = readRecords(chunks, o.file, o.colSeparator, o.rowSeparator);
  for (let k = 0; k < o.skip; k++) if (records.next().done === true) break;
  const own = !db.inTransaction;
  if (own) db.exec('BEGIN');
  let rows = 0;
  let created = false;
  try {
    let nCol: number;
    if (!exists) {
      const first = records.next();
      if (first.done === true) throw new HeliosError('SQL_ERROR', `${o.file}: empty file: no column names for the new table ${o.table}`);
      const names = first.value.fields;
      db.exec(`CREATE TABLE ${quoteName(o.table)}(\n${names.map((c) => `${quoteName(c)} TEXT`).join(', ')})`);
      created = true;
      nCol = names.length;
    } else {
      nCol = db.prepare(`SELECT * FROM ${quoteName(o.table)}`).columns().length;
    }
    const insert = db.prepare(`INSERT INTO ${quoteName(o.table)} VALUES(${Array.from({ length: nCol }, () => '?').join(',')})`);
    for (const r of records) {
      check();
      const f = r.fields;
      if (f.length === 1 && f[0] === '' && nCol > 1) continue; // a blank line
      if (f.length < nCol) {
        warn(`${o.file}:${r.line}: expected ${nCol} columns but found ${f.length} - filling the rest with NULL`);
      } else if (f.length > nCol) {
        warn(`${o.file}:${r.line}: expected ${nCol} columns but found ${f.length} - extras ignored`);
      }
      const values: (string | null)[] = [];
      for (let k = 0; k < nCol; k++) values.push(k < f.length ? f[k]! : null);
      try {
        insert.run(values);
      } catch (e) {
        if (e instanceof HeliosError) throw new HeliosError(e.code, `${o.file}:${r.line}: ${e.message}; nothing imported`, e.details, { cause: e });
        throw e;
      }
      rows++;
      if ((rows & 1023) === 0) bar.update(done());
    }
    if (own) db.exec('COMMIT');
    bar.update(done());
  } catch (e) {
    if (own && db.inTransaction) db.exec('ROLLBACK');
    throw e;
  } finally {
    bar.done();
  }
  return { rows, created };
}
