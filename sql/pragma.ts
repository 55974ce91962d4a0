/**
 * PRAGMA statements: schema introspection (table_info, table_xinfo,
 * index_list, index_info, foreign_key_list), settings (foreign_keys,
 * recursive_triggers, user_version, synchronous, writable_schema), integrity_check, and cipher_status, a
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
import type { VirtualTable } from './virtual-table.ts';
import { toText } from './value.ts';
import { connectVirtualTable, moduleRegistered } from './vtab-ddl.ts';

/** What a PRAGMA reads and changes of the session that runs it (sql/executor.ts's Session). */
/** SQLite reports the type names a STRICT table allows in upper case, every other declared type as written. */
const STRICT_TYPE_NAMES = new Set(['INT', 'INTEGER', 'REAL', 'TEXT', 'BLOB', 'ANY']);
function reportedType(declType: string): string {
  const upper = declType.toUpperCase();
  return STRICT_TYPE_NAMES.has(upper) ? upper : declType;
}

export interface PragmaSession extends ForeignKeyContext {
  readonly catalog: Catalog;
  readonly engine: Engine;
  readonly lastRowid: number | bigint;
  readonly inTxn: boolean;
  foreignKeys: boolean;
  /** PRAGMA case_sensitive_like (write-only, as in SQLite). */
  caseSensitiveLike: boolean;
  /** PRAGMA recursive_triggers. */
  recursiveTriggers: boolean;
  deferForeignKeys: boolean;
  userVersion(): number;
  setUserVersion(v: number): void;
  /** PRAGMA integrity_check's lines ("ok" when nothing is wrong). */
  integrityCheck(): string[];
  /** PRAGMA data_version: changes when another handle of the database has committed (spec/connections.md). */
  dataVersion(): number;
  /** PRAGMA schema_version: changes with every committed schema change of any handle. */
  schemaVersion(): number;
  /** The connection's PRAGMA settings that HeliosDB reports but SQLite's pager would act on (see runSettingPragma). */
  readonly settings: PragmaSettings;
}

/**
 * PRAGMAs whose value SQLite keeps per connection and HeliosDB reports the
 * same way. cache_size is SQLite's unit (negative: KiB, positive: pages of
 * page_size bytes); journal_mode is remembered as set (HeliosDB always
 * commits through its own sealed WAL, spec/format.md, whatever the mode);
 * busy_timeout is how long a write waits while another connection writes.
 */
export interface PragmaSettings {
  cacheSize: number;
  journalMode: string;
  busyTimeout: number;
  /**
   * SQLITE_DBCONFIG_DEFENSIVE (the drop-in, unless unsafeMode): journal_mode
   * OFF is refused, the mode stays; writable_schema = ON is ignored, and one
   * already on has no effect while this is set.
   */
  defensive: boolean;
  /** PRAGMA writable_schema: DML may write sqlite_schema's rows (sql/schema-write.ts) unless `defensive`. */
  writableSchema: boolean;
  /** true for an in-memory database (journal_mode is 'memory' and stays so, as in SQLite). */
  readonly memory: boolean;
}

/** Whether PRAGMA writable_schema is in effect: on, and not in defensive mode (SQLite's sqlite3WritableSchema). */
export function schemaWritable(st: PragmaSettings): boolean {
  return st.writableSchema && !st.defensive;
}

/**
 * The PRAGMAs that run while the schema does not load ("malformed database
 * schema", catalog.ts requireLoaded), as in SQLite: writable_schema, which
 * lets it load without the damaged rows, and settings that never read it.
 */
export const SCHEMA_FREE_PRAGMAS: ReadonlySet<string> = new Set(['writable_schema', 'user_version', 'foreign_keys', 'recursive_triggers', 'defer_foreign_keys', 'case_sensitive_like']);

/** SQLite's page size, which HeliosDB reports (its blocks are not pages: spec/format.md). */
export const PAGE_SIZE = 4096;

/** A fresh connection's settings: cache_size reports the block cache's budget in KiB. */
export function defaultPragmaSettings(memory: boolean, cacheBytes: number): PragmaSettings {
  return { cacheSize: -Math.round(cacheBytes / 1024), journalMode: memory ? 'memory' : 'delete', busyTimeout: 0, defensive: false, writableSchema: false, memory };
}

const JOURNAL_MODES = new Set(['delete', 'truncate', 'persist', 'memory', 'wal', 'off']);

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

/**
 * The schema-introspection pragmas: their columns and rows from the catalog
 * alone. PRAGMA statements and the pragma_* table-valued functions
 * (pragmaTableFunction) both read them here.
 */
interface Introspection {
  readonly columns: readonly string[];
  /** Whether the pragma takes a table or index name (no name: no rows). */
  readonly needsArg: boolean;
  rows(catalog: Catalog, arg: string | null): Row[];
}

const SCHEMA_TABLE_NAMES = new Set(['sqlite_master', 'sqlite_schema', 'sqlite_temp_master', 'sqlite_temp_schema']);
const SCHEMA_TABLE_COLUMNS: readonly (readonly [string, string])[] = [['type', 'TEXT'], ['name', 'TEXT'], ['tbl_name', 'TEXT'], ['rootpage', 'INT'], ['sql', 'TEXT']];

function tableInfo(xinfo: boolean): Introspection {
  return {
    columns: ['cid', 'name', 'type', 'notnull', 'dflt_value', 'pk', ...(xinfo ? ['hidden'] : [])],
    needsArg: true,
    rows: (catalog, arg) => {
      // The schema tables themselves, as SQLite describes them.
      if (SCHEMA_TABLE_NAMES.has(fold(arg!))) return SCHEMA_TABLE_COLUMNS.map(([name, type], i) => [i, name, type, 0, null, 0, ...(xinfo ? [0] : [])] as Row);
      const t = catalog.table(arg!);
      if (t) {
        // Generated columns are hidden (SQLite: 2 VIRTUAL, 3 STORED): table_xinfo lists them, table_info leaves them out and numbers the rest.
        const shown = t.columns.filter((c) => xinfo || c.generated === null);
        return shown.map((c, i) => [i, c.name, reportedType(c.declType), c.notNull ? 1 : 0, c.defaultText, c.pk, ...(xinfo ? [c.generated === null ? 0 : c.generated.stored ? 3 : 2] : [])] as Row);
      }
      const v = catalog.views.get(fold(arg!));
      if (v) return (v.columns ?? []).map((c, i) => [i, c, '', 0, null, 0, ...(xinfo ? [0] : [])] as Row);
      const vi = catalog.virtualTable(arg!);
      if (vi) {
        // As better-sqlite3 declares its tables: the parameters first, hidden, then the columns.
        const vt = connectVirtualTable(catalog, vi);
        const cols: [string, number][] = [...vt.parameters.map((n): [string, number] => [n, 1]), ...vt.columns.map((n): [string, number] => [n, 0])];
        return cols.filter(([, hidden]) => xinfo || hidden === 0).map(([n, hidden], i) => [i, n, '', 0, null, 0, ...(xinfo ? [hidden] : [])] as Row);
      }
      return [];
    },
  };
}

function indexInfo(xinfo: boolean): Introspection {
  return {
    columns: ['seqno', 'cid', 'name', ...(xinfo ? ['desc', 'coll', 'key'] : [])],
    needsArg: true,
    rows: (catalog, arg) => {
      const ix = catalog.indexes.get(fold(arg!));
      if (!ix) return [];
      const t = catalog.table(ix.table)!;
      // Our column -1 is an expression (SQLite's -2), -2 the rowid (SQLite's -1).
      const out = ix.columns.map((c, i) => {
        const cid = c.column >= 0 ? c.column : c.column === -2 ? -1 : -2;
        const name = c.column >= 0 ? t.columns[c.column]!.name : null;
        return (xinfo ? [i, cid, name, c.desc ? 1 : 0, c.collation, 1] : [i, cid, name]) as Row;
      });
      // index_xinfo also lists the rowid every index entry ends with.
      if (xinfo) out.push([ix.columns.length, -1, null, 0, 'BINARY', 0]);
      return out;
    },
  };
}

const INTROSPECTION: ReadonlyMap<string, Introspection> = new Map<string, Introspection>([
  ['table_info', tableInfo(false)],
  ['table_xinfo', tableInfo(true)],
  ['index_info', indexInfo(false)],
  ['index_xinfo', indexInfo(true)],
  [
    'index_list',
    {
      columns: ['seq', 'name', 'unique', 'origin', 'partial'],
      needsArg: true,
      rows: (catalog, arg) => {
        const t = catalog.table(arg!);
        if (!t) return [];
        // SQLite lists the most recently created index first.
        return [...t.indexes].reverse().map((ix, i) => [i, ix.name, ix.unique ? 1 : 0, ix.origin, ix.where ? 1 : 0] as Row);
      },
    },
  ],
  [
    'foreign_key_list',
    {
      columns: ['id', 'seq', 'table', 'from', 'to', 'on_update', 'on_delete', 'match'],
      needsArg: true,
      rows: (catalog, arg) => {
        const t = catalog.table(arg!);
        if (!t) return [];
        const out: Row[] = [];
        // SQLite numbers the constraints from the last declared.
        [...t.foreignKeys].reverse().forEach((fk, id) =>
          fk.columns.forEach((c, seq) => out.push([id, seq, fk.parentTable, t.columns[c]!.name, fk.parentColumns?.[seq] ?? null, fk.onUpdate, fk.onDelete, 'NONE'])),
        );
        return out;
      },
    },
  ],
  [
    'table_list',
    {
      columns: ['schema', 'name', 'type', 'ncol', 'wr', 'strict'],
      needsArg: false,
      rows: (catalog) => [
        ...[...catalog.mainTables.values(), ...[...catalog.tables.values()].filter((t) => t.temp)].map((t) => [t.temp ? 'temp' : 'main', t.name, 'table', t.columns.length, t.withoutRowid ? 1 : 0, t.strict ? 1 : 0] as Row),
        ...[...catalog.views.values()].map((v) => ['main', v.name, 'view', v.columns?.length ?? 0, 0, 0] as Row),
        // A virtual table is connected to count its columns; without its module it has none yet (as in SQLite).
        ...[...catalog.virtualTables.values(), ...catalog.tempVirtualTables.values()].map((vi) => {
          const vt = moduleRegistered(catalog, vi) ? connectVirtualTable(catalog, vi) : null;
          return [vi.temp ? 'temp' : 'main', vi.name, 'virtual', vt === null ? 0 : vt.columns.length + vt.parameters.length, 0, 0] as Row;
        }),
      ],
    },
  ],
  ['database_list', { columns: ['seq', 'name', 'file'], needsArg: false, rows: () => [[0, 'main', '']] }],
]);

const pragmaFunctions = new Map<string, VirtualTable>();

/**
 * The table-valued function pragma_NAME for an introspection pragma (SQLite's
 * pragma virtual tables): its columns, and the hidden `arg` (for pragmas
 * that take one) and `schema`. Only the main schema exists: another schema
 * name gives no rows.
 */
export function pragmaTableFunction(fnName: string): VirtualTable | undefined {
  if (!fnName.startsWith('pragma_')) return undefined;
  const name = fnName.slice(7);
  const intro = INTROSPECTION.get(name);
  if (intro === undefined) return undefined;
  let vt = pragmaFunctions.get(name);
  if (vt === undefined) {
    vt = {
      name: fnName,
      columns: intro.columns,
      parameters: intro.needsArg ? ['arg', 'schema'] : ['schema'],
      *rows(args, ctx) {
        const arg = intro.needsArg ? args[0] : null;
        const schema = intro.needsArg ? args[1] : args[0];
        if (schema !== undefined && schema !== null && fold(toText(schema)!) !== 'main') return;
        if (intro.needsArg && (arg === undefined || arg === null)) return;
        yield* intro.rows(ctx.catalog, arg === undefined || arg === null ? null : toText(arg));
      },
    };
    pragmaFunctions.set(name, vt);
  }
  return vt;
}

/** Compiles a PRAGMA into the parts of a Program (see executor.ts). */
export function runPragma(session: PragmaSession, stmt: PragmaStmt, _version: number): PragmaProgram {
  const name = fold(stmt.name.name);
  const arg = stmt.value?.text ?? null;
  const assign = stmt.form === 'assign' || (stmt.form === 'call' && ['foreign_keys', 'recursive_triggers', 'defer_foreign_keys', 'user_version', 'synchronous', 'writable_schema'].includes(name));
  const catalog = session.catalog;
  const intro = INTROSPECTION.get(name);
  if (intro !== undefined) {
    if (intro.needsArg && arg === null) return rowsProgram(session, [], () => []);
    return rowsProgram(session, cols(...intro.columns), () => intro.rows(catalog, arg));
  }
  switch (name) {
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
    case 'case_sensitive_like':
      // As SQLite: only set, never read (a bare PRAGMA case_sensitive_like returns nothing).
      if (arg === null) return rowsProgram(session, [], () => []);
      return {
        columns: null,
        readonly: false,
        execute: () => {
          session.caseSensitiveLike = boolValue(arg);
          return { changes: 0, lastInsertRowid: session.lastRowid };
        },
      };
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
    case 'cache_size': {
      const st = session.settings;
      if (assign && arg !== null) {
        const n = Number.parseInt(arg, 10);
        if (!Number.isFinite(n)) return rowsProgram(session, [], () => []);
        // Only this connection's setting changes: allowed on a readonly connection, as in SQLite.
        return {
          columns: null,
          readonly: true,
          execute: () => {
            st.cacheSize = n | 0;
            return { changes: 0, lastInsertRowid: session.lastRowid };
          },
        };
      }
      return rowsProgram(session, cols('cache_size'), () => [[st.cacheSize]]);
    }
    case 'data_version':
      return rowsProgram(session, cols('data_version'), () => [[session.dataVersion()]]);
    case 'schema_version':
      if (assign) throw new HeliosError('SQL_ERROR', 'PRAGMA schema_version cannot be set: HeliosDB keeps its schema version itself');
      return rowsProgram(session, cols('schema_version'), () => [[session.schemaVersion()]]);
    case 'busy_timeout':
    case 'timeout': {
      const st = session.settings;
      if (assign && arg !== null) {
        const n = Number.parseInt(arg, 10);
        if (Number.isFinite(n)) st.busyTimeout = Math.max(0, n);
      }
      return rowsProgram(session, cols('timeout'), () => [[st.busyTimeout]]);
    }
    case 'writable_schema': {
      const st = session.settings;
      if (assign && arg !== null) {
        const reset = arg.toLowerCase() === 'reset';
        // Only this connection's setting changes (SQLite: a readonly connection may set it too).
        return {
          columns: null,
          readonly: true,
          execute: () => {
            if (reset) {
              // SQLite: off again, and the schema loaded anew from what is stored.
              st.writableSchema = false;
              catalog.load(session.overlay);
            } else if (!st.defensive) st.writableSchema = boolValue(arg);
            return { changes: 0, lastInsertRowid: session.lastRowid };
          },
        };
      }
      return rowsProgram(session, cols('writable_schema'), () => [[st.writableSchema ? 1 : 0]]);
    }
    case 'page_size':
      // Accepted and reported as SQLite reports a page size it cannot change after creation.
      return rowsProgram(session, cols('page_size'), () => [[PAGE_SIZE]]);
    case 'journal_mode': {
      const st = session.settings;
      if (assign && arg !== null) {
        const want = arg.toLowerCase();
        if (!JOURNAL_MODES.has(want)) return rowsProgram(session, cols('journal_mode'), () => [[st.journalMode]]);
        // A mode change writes the database header in SQLite: a readonly connection refuses it.
        return {
          columns: cols('journal_mode'),
          readonly: false,
          execute: (_p, emit) => {
            if (want === 'off' && st.defensive) {
              // SQLite in defensive mode leaves the mode as it is.
            } else if (!st.memory || want === 'off' || want === 'memory') st.journalMode = want;
            emit([st.journalMode]);
            return { changes: 0, lastInsertRowid: session.lastRowid };
          },
        };
      }
      return rowsProgram(session, cols('journal_mode'), () => [[st.journalMode]]);
    }
    case 'key':
    case 'hexkey':
      throw new HeliosError('CONFIG', `PRAGMA ${name}: HeliosDB takes the key when the database opens (the "key" option, or the shell's --key-file / --passphrase); a PRAGMA cannot supply it afterwards`);
    case 'rekey':
    case 'hexrekey': {
      if (!assign || arg === null) throw new HeliosError('CONFIG', `PRAGMA ${name} needs the new key: PRAGMA ${name} = '...'`);
      const text = arg;
      return settingProgram(session, () => {
        if (!session.engine.info().encryptionEnabled) throw new HeliosError('CONFIG', `PRAGMA ${name}: the database is not encrypted (HeliosDB cannot encrypt an unencrypted database in place)`);
        session.engine.changeKey(name === 'rekey' ? { passphrase: text } : { raw: hexKey(text) });
      });
    }
    case 'integrity_check':
    case 'quick_check':
      return rowsProgram(session, cols(name), () => {
        const lines = session.integrityCheck();
        // spec/audit-log.md [AUD-OPS-1]: a verification is logged with its outcome.
        session.engine.audit('verify', lines.length === 1 && lines[0] === 'ok' ? 'ok' : 'failed');
        return lines.map((s) => [s]);
      });
    case 'cipher_status':
    case 'encryption_status':
      return rowsProgram(session, cols('encryption_enabled', 'algorithm', 'kdf', 'key_source', 'fips_mode', 'format_version', 'key_generations'), () => {
        const i = session.engine.info();
        return [[i.encryptionEnabled ? 1 : 0, i.encryptionEnabled ? 'AES-256-GCM' : 'none', i.kdf, i.keySource, i.fips.active ? 1 : 0, i.formatVersion, i.generations.join(',')] as SqlValue[]];
      });
    default:
      if (name.startsWith('cipher_')) {
        throw new HeliosError('CONFIG', `PRAGMA ${name} is SQLCipher's: HeliosDB's cipher is fixed (AES-256-GCM, key derivation as spec/crypto.md says); PRAGMA cipher_status reports it, and keys change through changeKey() or PRAGMA rekey`);
      }
      return rowsProgram(session, [], () => []);
  }
}

/** A PRAGMA assignment that writes (refused on a readonly connection) and returns no rows. */
function settingProgram(session: PragmaSession, apply: () => void): PragmaProgram {
  return {
    columns: null,
    readonly: false,
    execute: () => {
      apply();
      return { changes: 0, lastInsertRowid: session.lastRowid };
    },
  };
}

/** PRAGMA hexrekey's value: 64 hex digits, optionally as x'…'. */
function hexKey(text: string): Uint8Array {
  const m = /^(?:x'([0-9a-f]{64})'|([0-9a-f]{64}))$/i.exec(text.trim());
  const hex = m?.[1] ?? m?.[2];
  if (hex === undefined) throw new HeliosError('CONFIG', 'PRAGMA hexrekey needs 64 hexadecimal digits (a 256-bit key)');
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
