/**
 * db.interrupt() and the shared interrupt flag (sql/interrupt.ts): a
 * running statement stops with INTERRUPTED at the next row and rolls back;
 * the connection goes on; an interrupt with nothing running changes nothing.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Worker } from 'node:worker_threads';
import { Database } from './database.ts';
import { isHeliosError } from '../format/errors.ts';

const runtime = process.env.HELIOS_RUNTIME ?? 'node';
const BIG = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000000) ';

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return isHeliosError(e) ? e.code : `not a HeliosError: ${String(e)}`;
  }
  return 'no error';
}

test('db.interrupt() during iterate() stops the query at the next row with INTERRUPTED; the connection goes on', () => {
  const db = new Database(':memory:');
  try {
    let seen = 0;
    const c = code(() => {
      for (const _ of db.prepare(`${BIG}SELECT x FROM c`).raw().iterate()) {
        if (++seen === 10) db.interrupt();
      }
    });
    assert.is(c, 'INTERRUPTED');
    assert.is(seen, 10);
    assert.equal(db.prepare('SELECT 1 AS one').get(), { one: 1 });
  } finally {
    db.close();
  }
});

test('an interrupt while nothing runs does not stop the next statement', () => {
  const db = new Database(':memory:');
  try {
    db.interrupt();
    assert.equal(db.prepare('SELECT 2 AS two').get(), { two: 2 });
  } finally {
    db.close();
  }
});

if (runtime !== 'node') {
  console.log(`notice: sql/interrupt.test.ts: the cross-thread test uses an eval worker, run under Node only (skipped under ${runtime})`);
} else {
  test('another thread stores 1 into a shared interruptFlag: a long INSERT … SELECT stops with INTERRUPTED, inserts nothing, and the open transaction stays', async () => {
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const db = new Database(':memory:', { interruptFlag: flag });
    try {
      db.exec('CREATE TABLE t (x); BEGIN; INSERT INTO t VALUES (0)');
      const worker = new Worker("const { workerData, parentPort } = require('node:worker_threads'); parentPort.once('message', () => setTimeout(() => Atomics.store(new Int32Array(workerData), 0, 1), 150));", { eval: true, workerData: flag.buffer });
      await new Promise((r) => worker.once('online', r));
      worker.postMessage('go');
      const c = code(() => db.prepare(`INSERT INTO t ${BIG}SELECT x FROM c`).run());
      await worker.terminate();
      assert.is(c, 'INTERRUPTED');
      assert.ok(db.inTransaction, 'the transaction stays open');
      assert.equal(db.prepare('SELECT count(*) AS n FROM t').get(), { n: 1 }, 'the statement rolled back alone');
      assert.is(Atomics.load(flag, 0), 0, 'the flag is cleared once it has stopped a statement');
      db.exec('COMMIT');
    } finally {
      db.close();
    }
  });
}

test.run();
