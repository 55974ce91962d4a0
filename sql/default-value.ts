/**
 * The value a column added by `ALTER TABLE … ADD COLUMN … DEFAULT d` has in
 * the rows written before it existed. Those rows hold fewer values than the
 * table has columns ([FMT-ROW-6]); a reader fills the missing ones with this
 * value, computed from the DEFAULT as SQLite's `sqlite3ValueFromExpr` does
 * (vdbemem.c `valueFromExpr`), so old rows read exactly what SQLite reads:
 *
 *   NULL                       NULL
 *   TRUE / FALSE               1 / 0, then the column's affinity
 *   'text'                     the text, then the column's affinity
 *   X'…'                       the blob (no affinity)
 *   number, -number            a number that fits 32 bits, or a hex number:
 *                              that integer; otherwise the token's text ("-" prefixed),
 *                              then the column's affinity — for a column of
 *                              BLOB affinity (no type) the text's numeric
 *                              value, REAL for a REAL token: DEFAULT 1.0 is
 *                              REAL 1.0, and is the text '1.0' in a TEXT column
 *   - x (x not a number)       x's value made numeric ('12' → 12, 'abc' → 0),
 *                              negated, then the affinity
 *   + x, (x)                   x
 *   CAST(x AS type)            x's value under type's affinity, cast, then the
 *                              column's affinity
 *   anything else              not constant: `undefined` (ALTER TABLE refuses
 *                              such a DEFAULT when the table has rows, as
 *                              SQLite does: "Cannot add a column with
 *                              non-constant default"; CURRENT_TIMESTAMP and
 *                              function calls are of this kind)
 */
import type { Expr } from './ast.ts';
import { MIN_INT64, RealBox, makeInteger, type SqlValue } from '../format/sql-value.ts';
import { type Affinity, affinityOf, applyAffinity, castToAffinity, makeReal, toNumeric } from './value.ts';

/** The token text of the number literal `e` (as written in the SQL that was parsed). */
export type TokenText = (e: Expr) => string;

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** A number literal's value when SQLite keeps it as an integer in the parse tree (it fits 32 bits). */
function int32Value(e: Expr): number | null {
  if (e.kind !== 'Integer') return null;
  const v = e.value;
  return typeof v === 'number' && v >= INT32_MIN && v <= INT32_MAX ? v : null;
}

/** SQLite's sqlite3VdbeMemNumerify: text and blobs become a number; an integral REAL from text becomes an INTEGER. */
function numerify(v: SqlValue): SqlValue {
  if (typeof v !== 'string' && !(v instanceof Uint8Array)) return v;
  const n = toNumeric(v);
  if (n instanceof RealBox && Number.isInteger(n.value) && Math.abs(n.value) < 2 ** 63) return makeInteger(BigInt(n.value));
  return n;
}

function negateValue(v: SqlValue): SqlValue {
  if (v === null) return null;
  if (v instanceof RealBox) return makeReal(-v.value);
  if (typeof v === 'number') return Number.isInteger(v) ? makeInteger(-BigInt(v)) : makeReal(-v);
  if (typeof v === 'bigint') return v === MIN_INT64 ? makeReal(9223372036854775808) : makeInteger(-v);
  return v;
}

/** See the module comment. `aff` is the column's affinity. */
export function constantDefaultValue(expr: Expr, aff: Affinity, tokenText: TokenText): SqlValue | undefined {
  let e = expr;
  while (e.kind === 'Unary' && e.op === '+') e = e.operand;
  switch (e.kind) {
    case 'Cast': {
      const castAff = affinityOf(e.type.name);
      const inner = constantDefaultValue(e.expr, castAff, tokenText);
      if (inner === undefined) return undefined;
      return applyAffinity(castToAffinity(inner, castAff), aff);
    }
    case 'Null':
      return null;
    case 'Bool':
      return applyAffinity(e.value ? 1 : 0, aff);
    case 'String':
      return applyAffinity(e.value, aff);
    case 'Blob':
      return e.value;
    case 'Integer':
    case 'Real':
      return numberLiteral(e, false, aff, tokenText);
    case 'Unary': {
      if (e.op !== '-') return undefined;
      const x = e.operand;
      if (x.kind === 'Integer' || x.kind === 'Real') return numberLiteral(x, true, aff, tokenText);
      const inner = constantDefaultValue(x, aff, tokenText);
      if (inner === undefined) return undefined;
      return applyAffinity(negateValue(numerify(inner)), aff);
    }
    default:
      return undefined;
  }
}

function numberLiteral(e: Expr, negative: boolean, aff: Affinity, tokenText: TokenText): SqlValue {
  const small = int32Value(e);
  if (small !== null) return applyAffinity(negative ? -small || 0 : small, aff);
  // A hex integer is its value, however large (SQLite never reads hex text as a number).
  if (e.kind === 'Integer' && /^0x/i.test(tokenText(e))) return applyAffinity(negative ? negateValue(e.value) : e.value, aff);
  // The one negative literal is -9223372036854775808, folded by the parser from '-' and a token: its text is its value.
  const folded = e.kind === 'Integer' && e.value < 0;
  const text = folded ? String(e.value) : `${negative ? '-' : ''}${tokenText(e)}`;
  return aff === 'BLOB' ? toNumeric(text) : applyAffinity(text, aff);
}
