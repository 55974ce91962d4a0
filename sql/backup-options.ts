/**
 * The options of db.backup() and of a configuration file's [backup] section
 * (sql/backup.ts has verifyBackup and restoreBackup; engine/backup.ts does
 * the copying).
 */
import { HeliosError } from '../format/errors.ts';
import type { EngineBackupOptions, BackupProgress } from '../engine/backup.ts';
import type { KdfOptions, KeySourceOption } from '../engine/engine.ts';

export interface BackupOptions {
  /** Called as files and bytes are copied ({ filesDone, filesTotal, bytesDone, bytesTotal }). */
  readonly progress?: (p: BackupProgress) => void;
  /** Seal the backup with this other key instead: fresh data keys, a full (not incremental) copy. */
  readonly key?: KeySourceOption;
  /** Shorthand for key: { passphrase }. */
  readonly passphrase?: string | Uint8Array;
  /** KDF parameters for the other key's passphrase. */
  readonly kdf?: KdfOptions;
  /** An UNENCRYPTED copy (CRC32C only): only when asked for exactly like this. */
  readonly plain?: true;
  /** `dest` is a backup set: a new backup inside it sharing unchanged tables with the previous one. */
  readonly set?: boolean;
  /** In a set: remove backups older than this many days afterwards (never the newest). */
  readonly retentionDays?: number;
}

/** The backup set a configuration file's [backup] section names (DatabaseOptions.backup). */
export interface BackupSetConfig {
  /** Directory of the backup set. */
  readonly path: string;
  readonly retentionDays?: number;
  /** false: the set's backups are plain copies (backup_encryption = false). Default true. */
  readonly encryption?: boolean;
}

/** Checks `o` and turns it into the engine's options. */
export function engineBackupOptions(o: BackupOptions, configured: BackupSetConfig | undefined, destGiven: boolean): EngineBackupOptions {
  if (o === null || typeof o !== 'object') throw new HeliosError('INVALID_ARGUMENT', 'backup options must be an object');
  if (o.progress !== undefined && typeof o.progress !== 'function') throw new HeliosError('INVALID_ARGUMENT', 'progress must be a function');
  if (o.plain !== undefined && o.plain !== true) throw new HeliosError('INVALID_ARGUMENT', 'plain must be true or absent');
  if (o.key !== undefined && o.passphrase !== undefined) throw new HeliosError('INVALID_ARGUMENT', 'give key or passphrase, not both');
  const other: KeySourceOption | undefined = o.key ?? (o.passphrase !== undefined ? { passphrase: o.passphrase } : undefined);
  if (o.plain === true && other !== undefined) throw new HeliosError('INVALID_ARGUMENT', 'a plain backup takes no key');
  if (o.set !== undefined && typeof o.set !== 'boolean') throw new HeliosError('INVALID_ARGUMENT', 'set must be a boolean');
  const fromConfig = !destGiven && configured !== undefined;
  const plain = o.plain === true || (fromConfig && configured.encryption === false);
  const retentionDays = o.retentionDays ?? (fromConfig ? configured.retentionDays : undefined);
  return {
    ...(o.progress !== undefined ? { progress: o.progress } : {}),
    ...(fromConfig || o.set === true ? { set: true } : {}),
    ...(retentionDays !== undefined ? { retentionDays } : {}),
    ...(plain ? { rekey: { plain: true as const } } : other !== undefined ? { rekey: { key: other, ...(o.kdf !== undefined ? { kdf: o.kdf } : {}) } } : {}),
  };
}
