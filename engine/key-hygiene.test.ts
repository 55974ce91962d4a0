// Key hygiene [CRY-ZERO-2]: after close() and a full GC, no key of a database remains anywhere
// in the memory of the process that used it.
//
// A child process (this file, with HELIOS_HYGIENE_CHILD set, under node --expose-gc) opens an
// encrypted database in a real directory, writes and reads enough to create WAL segments,
// manifests and tables, rotates the data key, revokes (new root, new key file), writes again,
// closes it, runs the collector and waits. The parent derives the keys the child must have
// held — both raw keys, both keyring root keys, every DEK of both keyrings and the key of every
// file left in the directory — from the keys and the files (spec/crypto.md), then reads every
// writable mapping of the child through /proc/<pid>/mem and counts the places where any of
// them occurs. A canary the child keeps alive on purpose proves the scan sees the child's heap.
//
// Why not only a heap snapshot: V8 snapshots (node:v8 writeHeapSnapshot) record objects and
// strings but not the bytes inside typed arrays, so a key in a Uint8Array never shows there. The
// child still writes one and the parent checks that no key appears in it as hex text.
//
// Linux and Node only (the /proc interface, --expose-gc); elsewhere the test prints a notice.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Buffer } from 'node:buffer';
import { openEngine } from './engine.ts';
import { openSuperblock } from '../crypto/superblock.ts';
import { rawKeySecret } from '../crypto/key-source.ts';
import { deriveFileKey } from '../crypto/file-key.ts';
import { hkdfSha256 } from '../crypto/hkdf.ts';
import { decodeSuperblock } from '../format/superblock-layout.ts';
import { FILE_HEADER_BYTES, FILE_MAGIC, decodeFileHeader } from '../format/file-header.ts';
import { fromHex, toHex, utf8Encode } from '../format/bytes.ts';
import { gcm } from '@noble/ciphers/aes.js';

const childDir = process.env.HELIOS_HYGIENE_CHILD;

async function runChild(dir: string): Promise<void> {
  const { writeHeapSnapshot } = await import('node:v8');
  const canary = fromHex(process.env.HELIOS_HYGIENE_CANARY!)!; // kept alive: the scan must find it
  (globalThis as { canary?: unknown }).canary = [canary, Buffer.from(canary)];
  const db = openEngine(dir, { key: { file: join(dir, '..', 'key') }, memtableBudgetBytes: 16 * 1024, walSegmentBytes: 16 * 1024 });
  for (let i = 0; i < 1500; i++) db.put(utf8Encode(`key-${(i * 7919) % 3000}`), utf8Encode(`value ${i} `.repeat(8)));
  db.rotateDataKey();
  for (let i = 1500; i < 3000; i++) db.put(utf8Encode(`key-${(i * 7919) % 3000}`), utf8Encode(`value ${i} `.repeat(8)));
  copyFileSync(join(dir, 'HELIOS'), join(dir, '..', 'HELIOS.before'));
  db.revokeKeys({ keys: [{ file: join(dir, '..', 'key2') }] });
  for (let i = 0; i < 1000; i++) db.put(utf8Encode(`key-${i}`), utf8Encode(`after ${i} `.repeat(8)));
  for (let i = 0; i < 3000; i += 7) db.get(utf8Encode(`key-${i}`));
  const it = db.iterator();
  while (it.next()) it.value();
  it.close();
  db.close();
  const gc = (globalThis as { gc?: () => void }).gc!;
  for (let i = 0; i < 4; i++) gc();
  process.stdout.write('ready\n');
  // The snapshot comes after the memory scan: writing it churns the heap and would overwrite
  // stale copies the scan is there to find.
  process.stdin.once('data', () => {
    writeHeapSnapshot(join(dir, '..', 'child.heapsnapshot'));
    process.stdout.write('snapshot\n');
  });
}

interface Region {
  start: bigint;
  end: bigint;
  name: string;
}

function writableRegions(pid: number): Region[] {
  const out: Region[] = [];
  for (const line of readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (m === null || !m[3]!.startsWith('rw')) continue;
    out.push({ start: BigInt(`0x${m[1]}`), end: BigInt(`0x${m[2]}`), name: m[4] ?? '' });
  }
  return out;
}

/** For each needle, the number of places it occurs in the writable memory of process `pid`. */
function scan(pid: number, needles: Uint8Array[]): number[] {
  const counts = needles.map(() => 0);
  const fd = openSync(`/proc/${pid}/mem`, 'r');
  const chunk = Buffer.alloc(1 << 20);
  const overlap = 31; // a 32-byte needle cannot lie inside 31 bytes, so none is counted twice
  try {
    for (const r of writableRegions(pid)) {
      for (let at = r.start; at < r.end; ) {
        const want = Number(r.end - at < BigInt(chunk.length) ? r.end - at : BigInt(chunk.length));
        let n: number;
        try {
          n = readSync(fd, chunk, 0, want, at);
        } catch {
          break; // an unreadable mapping (guard pages, vsyscall)
        }
        if (n <= 0) break;
        const view = chunk.subarray(0, n);
        needles.forEach((needle, i) => {
          for (let k = view.indexOf(needle); k >= 0; k = view.indexOf(needle, k + 1)) counts[i]!++;
        });
        if (n < overlap + 1) break;
        at += BigInt(n - overlap);
      }
    }
  } finally {
    closeSync(fd);
  }
  return counts;
}

/** The keyring root key of the first raw slot `rawKey` opens, by the spec's derivations. */
function krkOf(helios: Uint8Array, rawKey: Uint8Array): Uint8Array {
  const p = decodeSuperblock(helios);
  for (const s of p.slots) {
    const kek = hkdfSha256(rawKey, s.salt, utf8Encode('helios-kek'), 32);
    try {
      return gcm(kek, new Uint8Array(12), new Uint8Array([...p.header, ...p.rootId, ...s.descriptor])).decrypt(s.wrapped);
    } catch {
      // not this slot
    }
  }
  throw new Error('no slot opens');
}

const isNode = (globalThis as { Bun?: unknown; Deno?: unknown }).Bun === undefined && (globalThis as { Deno?: unknown }).Deno === undefined;

if (childDir !== undefined) {
  void runChild(childDir);
} else {
  test('[CRY-ZERO-2] [CRY-ZERO-1] after close() and GC no DEK, file key, root key or raw key remains in the process memory', async () => {
    if (!isNode || !existsSync('/proc/self/maps')) {
      console.log('  (skipped: needs Node on Linux for /proc/<pid>/mem and --expose-gc)');
      return;
    }
    const work = mkdtempSync(join(tmpdir(), 'helios-hygiene-'));
    try {
      const self = join(work, 'child.mjs');
      copyFileSync(fileURLToPath(import.meta.url), self);
      const rawKey = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff);
      const rawKey2 = Uint8Array.from({ length: 32 }, (_, i) => (i * 41 + 7) & 0xff);
      writeFileSync(join(work, 'key'), rawKey);
      writeFileSync(join(work, 'key2'), rawKey2);
      const canary = Uint8Array.from({ length: 32 }, (_, i) => (i * 53 + 201) & 0xff);
      const dir = join(work, 'db');
      const child = spawn(process.execPath, ['--expose-gc', self], {
        env: { ...process.env, HELIOS_HYGIENE_CHILD: dir, HELIOS_HYGIENE_CANARY: toHex(canary) },
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      let out = '';
      const said = (word: string): Promise<void> =>
        new Promise<void>((resolve, reject) => {
          const check = (): void => {
            if (out.includes(`${word}\n`)) resolve();
          };
          child.stdout!.on('data', (d: Buffer) => {
            out += d.toString();
            check();
          });
          child.on('exit', (code) => reject(new Error(`child exited with ${String(code)} before '${word}'`)));
          check();
        });
      try {
        await said('ready');
        // What the child held: derived here from the key and the files it left.
        const helios = new Uint8Array(readFileSync(join(dir, 'HELIOS')));
        const before = new Uint8Array(readFileSync(join(work, 'HELIOS.before')));
        const { keyring } = openSuperblock(helios, rawKeySecret(rawKey2));
        const old = openSuperblock(before, rawKeySecret(rawKey)).keyring;
        const named: [string, Uint8Array][] = [
          ['raw key', rawKey],
          ['raw key after the revocation', rawKey2],
          ['revoked KRK', krkOf(before, rawKey)],
          ['KRK', krkOf(helios, rawKey2)],
        ];
        for (const g of old.generations) named.push([`revoked keyring's DEK ${g}`, old.dek(g).slice()]);
        for (const g of keyring.generations) named.push([`DEK ${g}`, keyring.dek(g).slice()]);
        old.destroy();
        for (const name of readdirSync(dir)) {
          const bytes = new Uint8Array(readFileSync(join(dir, name)));
          if (bytes.length < FILE_HEADER_BYTES || !FILE_MAGIC.every((m, i) => bytes[i] === m)) continue; // every sealed file: logs, tables, CURRENT
          const h = decodeFileHeader(bytes.subarray(0, FILE_HEADER_BYTES), name);
          named.push([`file key of ${name}`, deriveFileKey(keyring.dek(h.generation), h.salt, h.kind, h.fileNumber)]);
        }
        keyring.destroy();
        assert.ok(named.length >= 5, 'the child left files to check');
        const counts = scan(child.pid!, [canary, ...named.map(([, k]) => k)]);
        assert.ok(counts[0]! >= 1, `the scan must see the canary the child keeps alive (found ${counts[0]})`);
        const left = named.map(([what], i) => [what, counts[i + 1]!] as const).filter(([, n]) => n > 0);
        assert.equal(left, [], `key material left in the child's memory: ${left.map(([w, n]) => `${w} ×${n}`).join(', ')}`);
        child.stdin!.write('snapshot\n');
        await said('snapshot');
        const snapshot = readFileSync(join(work, 'child.heapsnapshot'), 'latin1');
        for (const [what, k] of named) assert.not.ok(snapshot.includes(toHex(k)), `${what} as hex text in the heap snapshot`);
      } finally {
        child.kill('SIGKILL');
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  test.run();
}
