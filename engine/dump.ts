/**
 * A readable listing of a database's engine files, decrypted with its key:
 * file headers, every WAL record (batches with hex keys and values), every
 * manifest edit, CURRENT. For reviewing format changes and for audits
 * (spec/format.md). Read-only: it takes the lock so it never sees a
 * half-written state, but writes nothing else. Table files are listed with
 * their header only.
 *
 * The output contains the database's plaintext: treat it like the data.
 */
import { HeliosError } from '../format/errors.ts';
import { toHex, utf8Decode } from '../format/bytes.ts';
import { decodeFileHeader, FILE_KIND_CURRENT, FILE_KIND_MANIFEST, FILE_KIND_WAL } from '../format/file-header.ts';
import { decodeManifestEdit } from '../format/manifest-edit.ts';
import { decodeWalRecord } from '../format/wal-record.ts';
import { destroySecret } from '../crypto/key-source.ts';
import { openSuperblock } from '../crypto/superblock.ts';
import { CURRENT_FILE, LOCK_FILE, SUPERBLOCK_FILE, parseFileName } from './file-names.ts';
import { loadKeySecret, type KeySourceOption } from './key-loader.ts';
import { readLog } from './log-reader.ts';
import { readSuperblockFile } from './key-management.ts';
import { decodeStateFile } from './current.ts';
import { manifestFileName } from '../format/current-file.ts';
import { randomBytes } from './random.ts';
import { createNodeVfs } from './node-vfs.ts';
import type { Vfs } from './vfs.ts';
import { joinPath } from './vfs-path.ts';

export interface DumpOptions {
  key?: KeySourceOption;
  vfs?: Vfs;
}

/** The listing, one line per header, record or entry. Errors as openEngine (WRONG_KEY, CORRUPTION, LOCKED, ...). */
export function dumpDatabase(path: string, options: DumpOptions = {}): string {
  const vfs = options.vfs ?? createNodeVfs();
  if (!vfs.exists(joinPath(path, SUPERBLOCK_FILE))) throw new HeliosError('NOT_A_DATABASE', `${path} is not a HeliosDB database (no ${SUPERBLOCK_FILE} file)`);
  const lock = vfs.lock(joinPath(path, LOCK_FILE));
  const secret = options.key === undefined ? null : loadKeySecret(options.key);
  try {
    const { keyring, info } = openSuperblock(readSuperblockFile(vfs, joinPath(path, SUPERBLOCK_FILE)), secret);
    try {
      const ctx = { databaseId: keyring.databaseId, suite: keyring.suite, keyring, random: randomBytes };
      const out: string[] = [`${SUPERBLOCK_FILE}: suite ${info.suite}, kdf ${info.kdf}, database id ${toHex(info.databaseId)}, generations ${info.generations.join(',')}`];
      for (const name of vfs.list(path)) {
        const p = parseFileName(name);
        const file = joinPath(path, name);
        if (p.type === 'current') {
          const c = decodeStateFile(ctx, FILE_KIND_CURRENT, vfs.readFile(file), CURRENT_FILE);
          out.push(`${CURRENT_FILE}: ${manifestFileName(c.manifestNumber)}, ${c.closed ? `closed at seq ${c.lastSeqNum}, manifest ${c.manifestByteLength} bytes` : `open, durable through seq ${c.lastSeqNum}`}`);
        }
        else if (p.type === 'wal' || p.type === 'manifest') {
          const kind = p.type === 'wal' ? FILE_KIND_WAL : FILE_KIND_MANIFEST;
          const log = readLog(vfs, file, name, ctx, { kind, fileNumber: p.fileNumber, sealedByteLength: null });
          const h = log.header;
          out.push(`${name}: kind ${h.kind}, version ${h.formatVersion}, generation ${h.generation}, number ${h.fileNumber}, salt ${toHex(h.salt)}`);
          for (const r of log.records) {
            if (kind === FILE_KIND_MANIFEST) {
              out.push(`  @${r.offset} #${r.index} edit ${JSON.stringify(decodeManifestEdit(r.plaintext, name, r.offset), (_k, v: unknown) => (v instanceof Uint8Array ? toHex(v) : v))}`);
              continue;
            }
            for (const b of decodeWalRecord(r.plaintext, name, r.offset)) {
              out.push(`  @${r.offset} #${r.index} batch seq ${b.firstSeqNum}, ${b.entries.length} entries`);
              b.entries.forEach((e, i) => out.push(`    ${b.firstSeqNum + i} ${e.value === null ? 'delete' : 'put'} ${toHex(e.key)}${e.value === null ? '' : ` = ${toHex(e.value)}`}`));
            }
          }
          if (log.droppedBytes > 0) out.push(`  @${log.validByteLength} torn tail: ${log.droppedBytes} bytes`);
        } else if (p.type === 'sst') {
          const f = vfs.openRead(file);
          try {
            const h = decodeFileHeader(f.readAt(0, 40), name);
            out.push(`${name}: kind ${h.kind}, version ${h.formatVersion}, generation ${h.generation}, number ${h.fileNumber}, salt ${toHex(h.salt)}, ${f.size()} bytes`);
          } finally {
            f.close();
          }
        } else if (p.type !== 'superblock' && p.type !== 'lock') out.push(`${name}: not an engine file`);
      }
      return out.join('\n') + '\n';
    } finally {
      keyring.destroy();
    }
  } finally {
    if (secret !== null) destroySecret(secret);
    lock.release();
  }
}
