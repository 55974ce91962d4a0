/**
 * Backups (spec/backup.md): a full sealed backup, an incremental one into a
 * set after a few new commits, a backup under another key (logical copy),
 * verifyBackup and restoreBackup, on a database of ROWS rows. Measures,
 * never asserts. The memtable budget is 1 MiB so that most rows sit in tables
 * (what an incremental backup shares) rather than in the WAL (always copied).
 *
 *   node scripts/run-ts.mjs bench/backup.ts [--quick]
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../sql/database.ts';
import { restoreBackup, verifyBackup } from '../sql/backup.ts';

const quick = process.argv.includes('--quick');
const ROWS = quick ? 20_000 : 100_000;
const ROUNDS = quick ? 2 : 4;
const KEY = { raw: new Uint8Array(32).fill(11) };
const OTHER = { raw: new Uint8Array(32).fill(12) };

const dir = mkdtempSync(join(tmpdir(), 'helios-bench-backup-'));
const dirBytes = (p: string): number => readdirSync(p).reduce((a, n) => a + statSync(join(p, n)).size, 0);
try {
  const db = new Database(join(dir, 'src.db'), { key: KEY, synchronous: 'normal', memtableBudgetBytes: 1 << 20 });
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, body TEXT); CREATE INDEX t_name ON t(name)');
  const ins = db.prepare('INSERT INTO t (name, body) VALUES (?, ?)');
  db.transaction(() => {
    for (let i = 0; i < ROWS; i++) ins.run(`name-${i}`, `body ${i} `.repeat(20));
  })();
  const rows: { op: string; ms: number; mb: number }[] = [];
  const time = async (op: string, fn: (round: number) => Promise<string> | string): Promise<void> => {
    let best = Infinity;
    let bytes = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const t0 = performance.now();
      const p = await fn(r);
      best = Math.min(best, performance.now() - t0);
      bytes = dirBytes(p);
    }
    rows.push({ op, ms: best, mb: bytes / 1e6 });
  };
  await time('full sealed backup', async (r) => (await db.backup(join(dir, `full-${r}`))).path);
  let n = 0;
  await time('incremental backup into a set (+100 rows)', async () => {
    db.transaction(() => {
      for (let i = 0; i < 100; i++) ins.run(`inc-${n++}`, 'x');
    })();
    const r = await db.backup(join(dir, 'set'), { set: true });
    return r.path;
  });
  await time('backup under another key (logical copy)', async (r) => (await db.backup(join(dir, `other-${r}`), { key: OTHER })).path);
  db.close();
  await time('verifyBackup (every block + SQL check)', (r) => verifyBackup(join(dir, `full-${r}`), { key: KEY }).path);
  await time('restoreBackup (verify + copy)', (r) => restoreBackup(join(dir, `full-${r}`), join(dir, `restored-${r}`), { key: KEY }).path);
  console.log(`backups of ${ROWS} rows, best of ${ROUNDS}`);
  console.table(rows.map((x) => ({ operation: x.op, ms: x.ms.toFixed(0), 'MB in the backup': x.mb.toFixed(1), 'MB/s of backup': (x.mb / (x.ms / 1000)).toFixed(0) })));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
