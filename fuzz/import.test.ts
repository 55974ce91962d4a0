// Property campaign for importSqlite on damaged files (sql/import/): a SQLite
// or SQLCipher file with flipped bytes, overwritten 32-bit fields (page
// numbers, sizes), a page copied over another (b-tree cycles, shared pages)
// or a truncated tail either imports or fails with a typed HeliosError —
// never a RangeError, TypeError, hang or runaway allocation — and a failed
// import leaves no destination behind. fast-check prints the seed on failure.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fuzzParams } from './budget.ts';
import { HeliosError } from '../format/errors.ts';
import { importSqlite, type ImportOptions } from '../sql/import/importer.ts';
import { fillRich, loadSqlite } from './import-fixtures.ts';

const Sqlite = loadSqlite('better-sqlite3', 'fuzz/import');
const Cipher = loadSqlite('better-sqlite3-multiple-ciphers', 'fuzz/import');
const dir = mkdtempSync(join(tmpdir(), 'helios-import-fuzz-'));
let n = 0;

type Damage =
  | { kind: 'flip'; at: number[]; mask: number }
  | { kind: 'u32'; at: number; value: number }
  | { kind: 'copyPage'; from: number; to: number }
  | { kind: 'truncate'; keep: number };

const damageArb = (pageCount: number): fc.Arbitrary<Damage> =>
  fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.array(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }).map((x) => x), { minLength: 1, maxLength: 8 }).map((xs) => xs.map((x) => Math.floor(x * 1e9))), mask: fc.integer({ min: 1, max: 255 }) }),
    fc.record({ kind: fc.constant('u32' as const), at: fc.nat(), value: fc.oneof(fc.nat({ max: pageCount + 3 }), fc.constant(0xffffffff), fc.nat()) }),
    fc.record({ kind: fc.constant('copyPage' as const), from: fc.nat({ max: pageCount - 1 }), to: fc.nat({ max: pageCount - 1 }) }),
    fc.record({ kind: fc.constant('truncate' as const), keep: fc.nat() }),
  );

function damage(orig: Uint8Array, d: Damage, pageSize: number): Uint8Array {
  const b = orig.slice();
  switch (d.kind) {
    case 'flip':
      for (const a of d.at) b[a % b.length]! ^= d.mask;
      return b;
    case 'u32': {
      const at = d.at % (b.length - 4);
      new DataView(b.buffer).setUint32(at, d.value >>> 0, false);
      return b;
    }
    case 'copyPage':
      b.copyWithin(d.to * pageSize, d.from * pageSize, d.from * pageSize + pageSize);
      return b;
    case 'truncate':
      return b.subarray(0, d.keep % b.length);
  }
}

function campaign(name: string, src: string, pageSize: number, options: ImportOptions, runs: number): void {
  const orig = new Uint8Array(readFileSync(src));
  const pageCount = orig.length / pageSize;
  const outcomes = new Map<string, number>();
  fc.assert(
    fc.property(damageArb(pageCount), (d) => {
      const file = join(dir, `m${n}.sqlite`);
      const dest = join(dir, `m${n++}.db`);
      writeFileSync(file, damage(orig, d, pageSize));
      let outcome = 'imported';
      try {
        importSqlite(file, dest, options);
      } catch (e) {
        if (!(e instanceof HeliosError)) throw new Error(`${JSON.stringify(d)}: not a HeliosError: ${String(e)}`);
        outcome = e.code;
        assert.not.ok(existsSync(dest), 'a failed import leaves no destination');
      }
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      rmSync(file, { force: true });
      rmSync(dest, { recursive: true, force: true });
    }),
    fuzzParams(runs),
  );
  console.log(`fuzz/import ${name}: ${[...outcomes].map(([k, v]) => `${k} ${v}`).join(', ')}`);
}

if (Sqlite) {
  test('a damaged SQLite file imports or fails with a typed error', () => {
    const src = join(dir, 'plain.sqlite');
    const s = new Sqlite(src);
    s.pragma('page_size = 1024');
    fillRich(s, 150);
    s.close();
    campaign('plain', src, 1024, { encryption: false }, 100);
  });

  test('a damaged UTF-16 SQLite file imports or fails with a typed error', () => {
    const src = join(dir, 'utf16.sqlite');
    const s = new Sqlite(src);
    s.pragma('page_size = 512');
    s.pragma("encoding = 'UTF-16be'");
    fillRich(s, 60);
    s.close();
    campaign('utf16', src, 512, { encryption: false }, 50);
  });
}

if (Cipher) {
  test('a damaged SQLCipher file fails with WRONG_KEY or IMPORT_FORMAT, or imports when the damage missed every read page', () => {
    const src = join(dir, 'cipher.sqlite');
    const s = new Cipher(src);
    s.pragma("cipher='sqlcipher'");
    s.pragma('legacy=4');
    s.pragma('kdf_iter=64');
    s.pragma("key='fuzz'");
    fillRich(s, 60);
    s.close();
    campaign('sqlcipher', src, 4096, { encryption: false, source: { passphrase: 'fuzz', kdfIterations: 64 } }, 30);
  });
}

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
