/**
 * PRAGMA statements: schema introspection (table_info, table_xinfo,
 * index_list, index_info, foreign_key_list), settings (foreign_keys,
 * recursive_triggers, user_version, synchronous), integrity_check, and cipher_status, a
 * read-only view of the encryption settings (never any key material).
 * Unknown pragmas are ignored and return no rows, as in SQLite.
 */
import type { PragmaStmt } from './ast.ts';
import { HeliosError } from '../format/errors.ts';
import type { SqlValue } from '../format/sql-value.ts';
import type { Engine, SynchronousMode } from '../engine/engine.ts';
import type { ColMeta, Row } from './expr-compile.ts';
import { fold, type Catalog } from './catalog.ts';
import type { Program } from './program.ts';
import { foreignKeyCheck, foreignKeyId, type ForeignKeyContext } from './foreign-keys.ts';
import { sqlErr } from './sql-error.ts';

/** What a PRAGMA reads and changes of the session that runs it (sql/executor.ts's Session). */
export interface PragmaSession extends ForeignKeyContext {
  readonly catalog: Catalog;
  readonly engine: Engine;
  readonly lastRowid: number | bigint;
  readonly inTxn: boolean;
  foreignKeys: boolean;
  /** PRAGMA recursive_triggers. */
  recursiveTriggers: boolean;
  deferForeignKeys: boolean;
  userVersion(): number;
  setUserVersion(v: number): void;
  /** PRAGMA integrity_check's lines ("ok" when nothing is wrong). */
  integrityCheck(): string[];
}

const cols = (...names: string[]): ColMeta[] => names.map((n) => ({ name: n, aff: null, coll: 'BINARY' }));

type PragmaProgram = Pick<Program, 'columns' | 'readonly' | 'execute'>;

function rowsProgram(session: PragmaSession, columns: ColMeta[], rows: () => Row[], readonly = true): PragmaProgram {
  return {
    columns,
    readonly,
    execute: (_p, emit) => {
      for (const r of rows()) if (!emit(r)) break;
      return { changes: 0, lastInsertRowid: session.lastRowid };
    },
  };
}

function boolValue(text: string): boolean {
  const t = text.toLowerCase();
  if (t === 'on' || t === 'yes' || t === 'true' || t === '1') return true;
  if (t === 'off' || t === 'no' || t === 'false' || t === '0') return false;
  const n = Number(t);
  if (Number.isFinite(n)) return n !== 0;
  return false;
}

const SYNC_NAMES: Record<string, SynchronousMode> = { '0': 'off', off: 'off', '1': 'normal', normal: 'normal', '2': 'full', full: 'full', '3': 'full', extra: 'full' };
const SYNC_NUMBER: Record<SynchronousMode, number> = { off: 0, normal: 1, full: 2 };

/** Compiles a PRAGMA into the parts of a Program (see executor.ts). */
export function runPragma(session: PragmaSession, stmt: PragmaStmt, _version: number): PragmaProgram {
  const name = fold(stmt.name.name);
  const arg = stmt.value?.text ?? null;
  const assign = stmt.form === 'assign' || (stmt.form === 'call' && ['foreign_keys', 'recursive_triggers', 'defer_foreign_keys', 'user_version', 'synchronous'].includes(name));
  const catalog = session.catalog;
  switch (name) {
    case 'table_info':
    case 'table_xinfo': {
      if (arg === null) return rowsProgram(session, [], () => []);
      const xinfo = name === 'table_xinfo';
      return rowsProgram(session, cols('cid', 'name', 'type', 'notnull', 'dflt_value', 'pk', ...(xinfo ? ['hidden'] : [])), () => {
        const t = catalog.table(arg);
        if (t) return t.columns.map((c, i) => [i, c.name, c.declType, c.notNull ? 1 : 0, c.defaultText, c.pk, ...(xinfo ? [0] : [])] as Row);
        const v = catalog.views.get(fold(arg));
        if (v) return (v.columns ?? []).map((c, i) => [i, c, '', 0, null, 0, ...(xinfo ? [0] : [])] as Row);
        return [];
      });
    }
    case 'index_list':
      if (arg === null) return rowsProgram(session, [], () => []);
      return rowsProgram(session, cols('seq', 'name', 'unique', 'origin', 'partial'), () => {
        const t = catalog.table(arg);
        if (!t) return [];
        // SQLite lists the most recently created index first.
        return [...t.indexes].reverse().map((ix, i) => [i, ix.name, ix.unique ? 1 : 0, ix.origin, ix.where ? 1 : 0] as Row);
      });
    case 'index_info':
    case 'index_xinfo':
      if (arg === null) return rowsProgram(session, [], () => []);
      return rowsProgram(session, cols('seqno', 'cid', 'name'), () => {
        const ix = catalog.indexes.get(fold(arg));
        if (!ix) return [];
        const t = catalog.table(ix.table)!;
        return ix.columns.map((c, i) => [i, c.column >= 0 ? c.column : c.column === -2 ? -1 : -2, c.column >= 0 ? t.columns[c.column]!.name : null] as Row);
      });
    case 'foreign_key_list':
      if (arg === null) return rowsProgram(session, [], () => []);
      return rowsProgram(session, cols('id', 'seq', 'table', 'from', 'to', 'on_update', 'on_delete', 'match'), () => {
        const t = catalog.table(arg);
        if (!t) return [];
        const out: Row[] = [];
        t.foreignKeys.forEach((fk, i) =>
          fk.columns.forEach((c, seq) => out.push([foreignKeyId(t, i), seq, fk.parentTable, t.columns[c]!.name, fk.parentColumns?.[seq] ?? null, fk.onUpdate, fk.onDelete, 'NONE'])),
        );
        return out.sort((a, b) => (a[0] as number) - (b[0] as number));
      });
    case 'foreign_keys':
      if (assign && arg !== null) {
        return {
          columns: null,
          readonly: false,
          execute: () => {
            // Like SQLite, changing the setting inside a transaction is a no-op.
            if (!session.inTxn) session.foreignKeys = boolValue(arg);
            return { changes: 0, lastInsertRowid: session.lastRowid };
          },
        };
      }
      return rowsProgram(session, cols('foreign_keys'), () => [[session.foreignKeys ? 1 : 0]]);
    case 'recursive_triggers':
    case 'defer_foreign_keys':
      if (assign && arg !== null) {
        return {
          columns: null,
          readonly: false,
          execute: () => {
            if (name === 'recursive_triggers') session.recursiveTriggers = boolValue(arg);
            else session.deferForeignKeys = boolValue(arg);
            return { changes: 0, lastInsertRowid: session.lastRowid };
          },
        };
      }
      if (name === 'recursive_triggers') return rowsProgram(session, cols('recursive_triggers'), () => [[session.recursiveTriggers ? 1 : 0]]);
      return rowsProgram(session, cols('defer_foreign_keys'), () => [[session.deferForeignKeys ? 1 : 0]]);
    case 'foreign_key_check':
      return rowsProgram(session, cols('table', 'rowid', 'parent', 'fkid'), () => {
        if (arg === null) return foreignKeyCheck(session, [...catalog.tables.values()]);
        const t = catalog.table(arg);
        if (!t) throw sqlErr(`no such table: ${arg}`, stmt.value!.pos);
        return foreignKeyCheck(session, [t]);
      });
    case 'user_version':
      if (assign && arg !== null) {
        const n = Number.parseInt(arg, 10);
        if (!Number.isFinite(n)) throw new HeliosError('SQL_ERROR', `bad value for user_version: ${arg}`);
        return {
          columns: null,
          readonly: false,
          execute: () => {
            session.setUserVersion(n | 0);
            return { changes: 0, lastInsertRowid: session.lastRowid };
          },
        };
      }
      return rowsProgram(session, cols('user_version'), () => [[session.userVersion()]]);
    case 'synchronous':
      if (assign && arg !== null) {
        const mode = SYNC_NAMES[arg.toLowerCase()];
        if (mode === undefined) throw new HeliosError('SQL_ERROR', `bad value for synchronous: ${arg}`);
        return {
          columns: null,
          readonly: false,
          execute: () => {
            session.engine.setSynchronous(mode);
            return { changes: 0, lastInsertRowid: session.lastRowid };
          },
        };
      }
      return rowsProgram(session, cols('synchronous'), () => [[SYNC_NUMBER[session.engine.info().synchronous]]]);
    case 'integrity_check':
    case 'quick_check':
      return rowsProgram(session, cols(name), () => session.integrityCheck().map((s) => [s]));
    case 'cipher_status':
    case 'encryption_status':
      return rowsProgram(session, cols('encryption_enabled', 'algorithm', 'kdf', 'key_source', 'fips_mode', 'format_version', 'key_generations'), () => {
        const i = session.engine.info();
        return [[i.encryptionEnabled ? 1 : 0, i.encryptionEnabled ? 'AES-256-GCM' : 'none', i.kdf, i.keySource, i.fipsMode ? 1 : 0, i.formatVersion, i.generations.join(',')] as SqlValue[]];
      });
    case 'table_list':
      return rowsProgram(session, cols('schema', 'name', 'type', 'ncol', 'wr', 'strict'), () => [
        ...[...catalog.tables.values()].map((t) => ['main', t.name, 'table', t.columns.length, t.withoutRowid ? 1 : 0, 0] as Row),
        ...[...catalog.views.values()].map((v) => ['main', v.name, 'view', v.columns?.length ?? 0, 0, 0] as Row),
      ]);
    case 'database_list':
      return rowsProgram(session, cols('seq', 'name', 'file'), () => [[0, 'main', '']]);
    default:
      return rowsProgram(session, [], () => []);
  }
}
