/**
 * Backups at the API: the options of db.backup(), verifyBackup() and
 * restoreBackup() (engine/backup.ts does the copying, spec/backup.md the
 * layout). A backup is a database directory that opens with `new Database`
 * and the key of the source (or the other key it was made with).
 *
 * ```ts
 * await db.backup('/backups/ehr-2026-12-08');                 // sealed copy, same key
 * await db.backup('/backups/ehr', { set: true, retentionDays: 365 }); // incremental set
 * verifyBackup('/backups/ehr', { key }).ok;                   // newest backup of the set
 * restoreBackup('/backups/ehr', '/var/lib/ehr.db', { key });  // verified, then copied
 * ```
 */
import { HeliosError, isHeliosError } from '../format/errors.ts';
import { resolveBackup, restoreFiles, type BackupProgress } from '../engine/backup.ts';
import type { KeySourceOption } from '../engine/engine.ts';
import type { IntegrityProgress, IntegrityReport } from './integrity.ts';
import { Database, type DatabaseOptions } from './database.ts';

export type { BackupProgress, BackupResult, BackupEntry } from '../engine/backup.ts';
export { listBackups, pruneBackups } from '../engine/backup.ts';
export type { BackupOptions, BackupSetConfig } from './backup-options.ts';

export interface VerifyBackupOptions {
  /** The key that opens the backup (absent for a plain one). */
  readonly key?: KeySourceOption;
  /** In a set: which backup (default the newest). */
  readonly name?: string;
  readonly onProgress?: (p: IntegrityProgress) => void;
}

/** A verification report naming the backup it checked. */
export interface BackupVerifyReport extends IntegrityReport {
  readonly path: string;
}

/**
 * Verifies a backup without restoring it [ENG-BAK-VERIFY-2]: opens it readonly
 * (nothing is written to it), authenticates every block of every file and
 * checks the SQL level, exactly as db.verifyIntegrity(). A backup that does
 * not even open (a file missing, truncated or altered) is a report with
 * ok: false naming it. WRONG_KEY is thrown.
 */
export function verifyBackup(path: string, o: VerifyBackupOptions = {}): BackupVerifyReport {
  const dir = resolveBackup(path, o.name);
  let db: Database;
  try {
    db = new Database(dir, { readonly: true, fileMustExist: true, ...(o.key !== undefined ? { key: o.key } : {}) });
  } catch (e) {
    if (!isHeliosError(e, 'CORRUPTION') && !isHeliosError(e, 'NOT_A_DATABASE') && !isHeliosError(e, 'IO')) throw e;
    return { path: dir, ok: false, problems: [e.message], files: [], filesChecked: 0, bytesChecked: 0, blocksChecked: 0, tablesChecked: 0, indexesChecked: 0 };
  }
  try {
    return { path: dir, ...db.verifyIntegrity(o.onProgress !== undefined ? { onProgress: o.onProgress } : {}) };
  } finally {
    db.close();
  }
}

export interface RestoreBackupOptions {
  readonly key?: KeySourceOption;
  readonly name?: string;
  readonly progress?: (p: BackupProgress) => void;
  /** Verify the backup first (default true): a damaged backup is CORRUPTION and nothing is written. */
  readonly verify?: boolean;
  /** The audit log (as DatabaseOptions.auditLog) that records the restore, written by the restored database (needs `key`). */
  readonly auditLog?: DatabaseOptions['auditLog'];
}

export interface RestoreResult {
  /** The new database directory. */
  readonly path: string;
  /** The backup restored. */
  readonly source: string;
  readonly files: number;
  readonly bytes: number;
  readonly verified: boolean;
}

/**
 * Restores backup `source` (a backup, or the newest/named backup of a set)
 * into the new directory `dest`, which must not exist [ENG-BAK-RESTORE-1]. The
 * result opens with the key that opens the backup.
 */
export function restoreBackup(source: string, dest: string, o: RestoreBackupOptions = {}): RestoreResult {
  const from = resolveBackup(source, o.name);
  const verify = o.verify !== false;
  if (verify) {
    const r = verifyBackup(from, o.key !== undefined ? { key: o.key } : {});
    if (!r.ok) throw new HeliosError('CORRUPTION', `backup ${from} failed verification, nothing restored: ${r.problems.slice(0, 3).join('; ')}`, { file: from });
  }
  const r = restoreFiles(from, dest, o.progress !== undefined ? { progress: o.progress } : {});
  if (o.auditLog !== undefined) {
    // spec/audit-log.md [AUD-OPS-1]: the restored database files the restore in its own chain.
    const db = new Database(r.path, { fileMustExist: true, auditLog: o.auditLog, ...(o.key !== undefined ? { key: o.key } : {}) });
    try {
      db.audit('restore', 'ok');
    } finally {
      db.close();
    }
  }
  return { ...r, verified: verify };
}
