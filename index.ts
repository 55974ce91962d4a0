/** HeliosDB-Lite public entry. Re-exports only. */
export { HeliosError, isHeliosError } from './format/errors.ts';
export type { ErrorCode, HeliosErrorDetails } from './format/errors.ts';
export { Database, verifyAuditLog } from './sql/database.ts';
export type { DatabaseOptions, StorageInfo, TransactionFunction, DataKeyGenerationInfo, AuditVerifyReport } from './sql/database.ts';
export type { AuditBrokenEntry } from './engine/engine.ts';
export { Statement } from './sql/statement.ts';
export { verifyBackup, restoreBackup, listBackups, pruneBackups } from './sql/backup.ts';
export type { BackupOptions, BackupProgress, BackupResult, BackupEntry, BackupSetConfig, BackupVerifyReport, VerifyBackupOptions, RestoreBackupOptions, RestoreResult } from './sql/backup.ts';
export type { IntegrityReport, IntegrityProgress } from './sql/integrity.ts';
export type { FileCheck, FileCheckProgress } from './engine/engine.ts';
export { renderReal } from './sql/value.ts';
export type { ColumnDescriptor } from './sql/statement.ts';
export { loadConfig, parseConfig, openDatabaseFromConfig, databaseOptionsFromConfig } from './sql/config.ts';
export type { HeliosConfig, ConfigOverrides, ConfigKeySource, ConfigSetting } from './sql/config.ts';
export { generateKey } from './engine/generate-key.ts';
export { openEngine, createWriteBatch } from './engine/engine.ts';
export type { Engine, EngineOptions, EngineInfo, EngineIterator, IteratorOptions, Snapshot, SynchronousMode, KeySourceOption, WriteBatch } from './engine/engine.ts';
export { createMemVfs } from './engine/mem-vfs.ts';
export type { Vfs, VfsFile } from './engine/vfs.ts';
export type { ChangeKeyOptions, RewriteOptions, RewriteProgress, RewriteResult, RotateOptions } from './engine/engine.ts';
export type { RevokeOptions, RevokeResult } from './engine/key-management.ts';
export { importSqlite } from './sql/import/importer.ts';
export type { ImportOptions, ImportProgress, ImportPhase, ImportResult } from './sql/import/importer.ts';
export type { SqlcipherSourceOptions } from './engine/sqlite-pages.ts';
// The better-sqlite3 drop-in (sql/compat.ts): the default export and what require() returns.
export { Sqlite3Database, Sqlite3Statement, SqliteError } from './sql/compat.ts';
export type { Sqlite3Options, Sqlite3Transaction, Sqlite3DatabaseInstance, Sqlite3DatabaseConstructor } from './sql/compat.ts';
export { Sqlite3Database as default } from './sql/compat.ts';
