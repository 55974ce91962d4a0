/**
 * Property campaign: a random change to an audit log whose every entry was written by a key
 * holder and checkpointed — one byte changed, a line removed, duplicated, moved or cut at the
 * tail — is always reported by verification [AUD-VERIFY-1] [AUD-CHAIN-1] [AUD-CKPT-2], and the
 * untouched log always verifies.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fuzzParams } from './budget.ts';
import { openEngine } from '../engine/engine.ts';

const KEY = { raw: new Uint8Array(32).fill(0x42) };

type Change =
  | { t: 'byte'; at: number; to: number }
  | { t: 'remove'; line: number }
  | { t: 'duplicate'; line: number }
  | { t: 'move'; from: number; to: number }
  | { t: 'cut'; keep: number };

const change: fc.Arbitrary<Change> = fc.oneof(
  fc.record({ t: fc.constant('byte' as const), at: fc.nat(), to: fc.integer({ min: 0x20, max: 0x7e }) }),
  fc.record({ t: fc.constant('remove' as const), line: fc.nat() }),
  fc.record({ t: fc.constant('duplicate' as const), line: fc.nat() }),
  fc.record({ t: fc.constant('move' as const), from: fc.nat(), to: fc.nat() }),
  fc.record({ t: fc.constant('cut' as const), keep: fc.nat() }),
);

test('[AUD-VERIFY-1] [AUD-CHAIN-1] [AUD-CKPT-2] every change to a checkpointed log is reported; the untouched log verifies', () => {
  const dir = mkdtempSync(join(tmpdir(), 'helios-audit-fuzz-'));
  try {
    const log = join(dir, 'audit.log');
    let now = Date.UTC(2026, 3, 1);
    const db = openEngine(join(dir, 'db'), { key: KEY, audit: { path: log }, clock: () => (now += 61_000) });
    db.addKey({ raw: new Uint8Array(32).fill(1) });
    db.rotateDataKey();
    db.audit('backup', 'ok');
    db.removeKey({ raw: new Uint8Array(32).fill(1) });
    db.rotateDataKey({ rewrite: true });
    db.audit('verify', 'ok');
    const original = readFileSync(log, 'latin1');
    const r0 = db.verifyAuditLog();
    assert.ok(r0.ok);
    assert.is(r0.checkpointSeq, r0.lastSeq, 'every entry checkpointed');
    fc.assert(
      fc.property(change, (c) => {
        const lines = original.split('\n').slice(0, -1);
        let text: string;
        if (c.t === 'byte') {
          const at = c.at % original.length;
          if (original.charCodeAt(at) === c.to || original[at] === '\n') return;
          text = original.slice(0, at) + String.fromCharCode(c.to) + original.slice(at + 1);
        } else if (c.t === 'remove') {
          lines.splice(c.line % lines.length, 1);
          text = lines.map((l) => l + '\n').join('');
        } else if (c.t === 'duplicate') {
          const i = c.line % lines.length;
          lines.splice(i, 0, lines[i]!);
          text = lines.map((l) => l + '\n').join('');
        } else if (c.t === 'move') {
          const from = c.from % lines.length;
          const to = c.to % lines.length;
          if (from === to) return;
          const [l] = lines.splice(from, 1);
          lines.splice(to, 0, l!);
          text = lines.map((x) => x + '\n').join('');
        } else {
          text = original.slice(0, c.keep % original.length);
        }
        writeFileSync(log, text, 'latin1');
        const r = db.verifyAuditLog();
        assert.not.ok(r.ok, `undetected: ${JSON.stringify(c)}`);
        assert.ok(r.firstBroken !== null);
      }),
      fuzzParams(300),
    );
    writeFileSync(log, original, 'latin1');
    assert.ok(db.verifyAuditLog().ok);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
