/**
 * The SQL_ERROR the statement compilers throw for a statement that is
 * well-formed but cannot run (unknown table or column, name in use, an
 * unsupported form), with the line and column of the offending name when
 * known.
 */
import { HeliosError } from '../format/errors.ts';

export function sqlErr(msg: string, pos?: { line: number; column: number }): HeliosError {
  return new HeliosError('SQL_ERROR', msg, pos ? { line: pos.line, column: pos.column } : {});
}
