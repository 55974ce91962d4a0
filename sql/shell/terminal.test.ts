/**
 * The real `heliosdb` program in a real pseudo-terminal and in real pipes:
 * the shell is bundled as it ships (scripts/shell.ts), run by Node, and
 * driven through a PTY by Python's pty module (a small expect/send driver
 * with a deadline), so echo, raw mode and readline behave as for a person
 * at a terminal. Proves: no secret is echoed at any prompt (start-up,
 * .addkey, .rekey, .revoke) nor recalled by history, a new passphrase is
 * asked twice and a mismatch changes nothing, the session exits 0; and
 * `heliosdb a.db .dump | heliosdb b.db --create` works between two processes;
 * Ctrl-C stops a running statement (INTERRUPTED) and the shell goes on, at a
 * terminal and with SIGINT in a pipe; a progress bar appears on a terminal
 * and never in a pipe.
 *
 * Runs under Node only (it drives the Node program); without python3 the PTY
 * tests are skipped with a notice.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = process.cwd();
const runtime = process.env.HELIOS_RUNTIME ?? 'node';
const hasPython = spawnSync('python3', ['-c', 'import pty, select, json'], { stdio: 'ignore' }).status === 0;
const KEY_HEX = '4d'.repeat(32);

/** expect/send over a PTY; prints {transcript, code, failed} as JSON. Every wait is bounded by the deadline. */
const PTY_DRIVER = String.raw`
import json, os, pty, re, select, sys, time
spec = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.chdir(spec['cwd'])
    os.execvp(spec['argv'][0], spec['argv'])
buf = b''
deadline = time.monotonic() + spec['timeout']
def pump(t):
    global buf
    r, _, _ = select.select([fd], [], [], t)
    if not r: return True
    try: d = os.read(fd, 65536)
    except OSError: return False
    if not d: return False
    buf += d
    return True
failed = None; pos = 0
for step in spec['steps']:
    pat = re.compile(step['expect'].encode())
    while True:
        m = pat.search(buf, pos)
        if m: pos = m.end(); break
        if time.monotonic() > deadline or not pump(0.05):
            failed = step['expect']; break
    if failed is not None: break
    if step.get('delay'):
        end = time.monotonic() + step['delay']
        while time.monotonic() < end and pump(0.05): pass
    os.write(fd, step['send'].encode())
while time.monotonic() < deadline and pump(0.05): pass
if failed is not None or time.monotonic() > deadline:
    try: os.kill(pid, 9)
    except Exception: pass
_, status = os.waitpid(pid, 0)
code = os.waitstatus_to_exitcode(status)
sys.stdout.write(json.dumps({'transcript': buf.decode('utf-8', 'replace'), 'code': code, 'failed': failed}))
`;

interface Step {
  expect: string;
  send: string;
  /** Seconds to wait (reading output) before sending. */
  delay?: number;
}
interface PtyRun {
  transcript: string;
  code: number;
  failed: string | null;
}

let work = '';
let shellJs = '';

function ensureBuilt(): void {
  if (shellJs !== '') return;
  work = mkdtempSync(join(tmpdir(), 'helios-tty-'));
  shellJs = join(work, 'heliosdb.mjs');
  const script = `import { build } from 'esbuild';
await build({ entryPoints: [${JSON.stringify(join(root, 'scripts', 'shell.ts'))}], outfile: ${JSON.stringify(shellJs)}, bundle: true, platform: 'node', format: 'esm', target: 'es2022', logLevel: 'error' });`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  assert.is(r.status, 0, `building the shell: ${r.stderr}`);
}

function pty(args: string[], steps: Step[]): PtyRun {
  ensureBuilt();
  const spec = { argv: [process.execPath, shellJs, ...args], cwd: work, steps, timeout: 40 };
  const r = spawnSync('python3', ['-c', PTY_DRIVER, JSON.stringify(spec)], { encoding: 'utf8', timeout: 60_000 });
  assert.is(r.status, 0, `pty driver: ${r.stderr}`);
  return JSON.parse(r.stdout) as PtyRun;
}

const UP = '\u001b[A';
const KILL_LINE = '\u0015';

if (runtime !== 'node') {
  console.log(`notice: sql/shell/terminal.test.ts drives the Node program; skipped under ${runtime}`);
} else {
  if (!hasPython) {
    console.log('notice: python3 with its pty module is missing: the pseudo-terminal tests are skipped (the pipe tests run)');
  } else {
    test('--create --passphrase asks twice without echo; a mismatch creates nothing; an existing database asks once', () => {
      ensureBuilt();
      const db = join(work, 'p.db');
      const mismatch = pty([db, '--create', '--passphrase'], [
        { expect: 'New passphrase: ', send: 'alpha-secret-1\r' },
        { expect: 'Repeat the new passphrase: ', send: 'alpha-secret-2\r' },
      ]);
      assert.is(mismatch.failed, null, mismatch.transcript);
      assert.match(mismatch.transcript, /Error \[CONFIG\]: the passphrases differ; nothing created/);
      assert.is(mismatch.code, 3);
      assert.not.ok(existsSync(join(db, 'HELIOS')), 'nothing created');
      const made = pty([db, '--create', '--passphrase'], [
        { expect: 'New passphrase: ', send: 'alpha-secret-1\r' },
        { expect: 'Repeat the new passphrase: ', send: 'alpha-secret-1\r' },
        { expect: 'heliosdb> ', send: "CREATE TABLE t (a); INSERT INTO t VALUES ('row-one');\r" },
        { expect: 'heliosdb> ', send: '.quit\r' },
      ]);
      assert.is(made.failed, null, made.transcript);
      assert.is(made.code, 0, made.transcript);
      const again = pty([db, '--passphrase'], [
        { expect: 'Passphrase: ', send: 'alpha-secret-1\r' },
        { expect: 'heliosdb> ', send: 'SELECT a FROM t;\r' },
        { expect: 'row-one[\\s\\S]*heliosdb> ', send: '.quit\r' },
      ]);
      assert.is(again.failed, null, again.transcript);
      assert.not.match(again.transcript, /Repeat/);
      assert.is(again.code, 0);
      for (const r of [mismatch, made, again]) assert.not.match(r.transcript, /alpha-secret/, r.transcript);
    });

    test('inside the REPL .addkey, .rekey and .revoke --passphrase echo nothing, ask twice, refuse a mismatch, keep secrets out of history, and exit 0', () => {
      ensureBuilt();
      const key = join(work, 'r.key');
      writeFileSync(key, KEY_HEX);
      const db = join(work, 'r.db');
      const r = pty([db, '--key-file', key, '--create'], [
        { expect: 'heliosdb> ', send: "CREATE TABLE t (a); INSERT INTO t VALUES ('kept');\r" },
        { expect: 'heliosdb> ', send: '.addkey --passphrase\r' },
        { expect: 'New passphrase: ', send: 'bravo-secret-1\r' },
        { expect: 'Repeat the new passphrase: ', send: 'bravo-secret-1\r' },
        { expect: 'key added[\\s\\S]*heliosdb> ', send: '.rekey --passphrase\r' },
        { expect: 'New passphrase: ', send: 'charlie-secret-1\r' },
        { expect: 'Repeat the new passphrase: ', send: 'charlie-secret-X\r' },
        { expect: 'differ; nothing changed[\\s\\S]*heliosdb> ', send: `${UP}${UP}${UP}${KILL_LINE}.revoke --passphrase\r` },
        { expect: 'New passphrase: ', send: 'delta-secret-1\r' },
        { expect: 'Repeat the new passphrase: ', send: 'delta-secret-1\r' },
        { expect: 'keys revoked[\\s\\S]*heliosdb> ', send: 'SELECT a FROM t;\r' },
        { expect: 'kept[\\s\\S]*heliosdb> ', send: '.quit\r' },
      ]);
      assert.is(r.failed, null, r.transcript);
      assert.is(r.code, 0, `exit status (13 was the bug: stdin left paused): ${r.transcript}`);
      assert.not.match(r.transcript, /secret/, r.transcript);
      assert.not.match(r.transcript, /\.\.\.> /, 'no passphrase was taken as SQL');
      const viaKey = spawnSync(process.execPath, [shellJs, db, '--key-file', key, 'SELECT 1'], { encoding: 'utf8', timeout: 30_000 });
      assert.match(viaKey.stderr, /WRONG_KEY/, 'after .revoke only the new passphrase opens the database');
      assert.is(viaKey.status, 3);
    });

    test('with standard input a pipe, a passphrase is asked at the controlling terminal (/dev/tty), unechoed and twice', () => {
      ensureBuilt();
      const db = join(work, 'piped.db');
      const spec = { argv: ['sh', '-c', `printf "CREATE TABLE t (a); INSERT INTO t VALUES ('piped');\\n" | "$0" "$1" "$2" --create --passphrase; echo "STATUS=$?"`, process.execPath, shellJs, db], cwd: work, steps: [
        { expect: 'New passphrase: ', send: 'echo-secret-9\r' },
        { expect: 'Repeat the new passphrase: ', send: 'echo-secret-9\r' },
        { expect: 'STATUS=\\d+', send: '' },
      ], timeout: 40 };
      const run = spawnSync('python3', ['-c', PTY_DRIVER, JSON.stringify(spec)], { encoding: 'utf8', timeout: 60_000 });
      const out = JSON.parse(run.stdout) as PtyRun;
      assert.is(out.failed, null, out.transcript);
      assert.match(out.transcript, /STATUS=0/);
      assert.not.match(out.transcript, /echo-secret/);
      const check = spawnSync(process.execPath, [shellJs, db, '--passphrase-env', 'P', 'SELECT a FROM t'], { env: { ...process.env, P: 'echo-secret-9' }, encoding: 'utf8', timeout: 30_000 });
      assert.match(check.stdout, /piped/, check.stderr);
    });

    test('Ctrl-C at the terminal stops a running statement with INTERRUPTED and the session goes on', () => {
      ensureBuilt();
      const r = pty([':memory:'], [
        { expect: 'heliosdb> ', send: 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c;\r' },
        { expect: 'count', send: '\u0003', delay: 1.0 },
        { expect: 'Error \\[INTERRUPTED\\]: interrupted[\\s\\S]*heliosdb> ', send: 'SELECT 6 * 7;\r' },
        { expect: '42[\\s\\S]*heliosdb> ', send: '\u0003' },
        { expect: 'heliosdb> ', send: '.quit\r' },
      ]);
      assert.is(r.failed, null, r.transcript);
      assert.is(r.code, 0, r.transcript);
    });

    test('a progress bar (done/total, rate, ETA) is drawn for .import at a terminal, and nothing of it when standard error is a pipe', () => {
      ensureBuilt();
      const csv = join(work, 'big.csv');
      let text = 'id,name,note\n';
      for (let i = 0; i < 150_000; i++) text += `${i},name ${i},"note, ${i}"\n`;
      writeFileSync(csv, text);
      const r = pty([':memory:'], [
        { expect: 'heliosdb> ', send: `.import --csv ${csv} t\r` },
        { expect: 'heliosdb> ', send: 'SELECT count(*) FROM t;\r' },
        { expect: '150000[\\s\\S]*heliosdb> ', send: '.quit\r' },
      ]);
      assert.is(r.failed, null, r.transcript);
      assert.match(r.transcript, /import \S*big\.csv \[#*\.*\] +\d+%  [\d.]+ [KM]?B\/[\d.]+ MB  [\d.]+ [KM]?B\/s  ETA \d+:\d\d/);
      const piped = spawnSync(process.execPath, [shellJs, ':memory:', `.import --csv ${csv} t`, 'SELECT count(*) FROM t'], { encoding: 'utf8', timeout: 60_000 });
      assert.is(piped.stdout, '150000\n');
      assert.is(piped.stderr, '', 'no bar, no escape codes in a pipe');
    });
  }

  test('SIGINT with standard input a pipe stops the running statement with INTERRUPTED and, as in sqlite3, the script (exit 1)', async () => {
    ensureBuilt();
    const child = spawn(process.execPath, [shellJs, ':memory:'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdin.write('WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c;\n');
    await new Promise((r) => setTimeout(r, 1500));
    child.kill('SIGINT');
    child.stdin.end("SELECT 'after';\n");
    const code = await new Promise<number | null>((r) => child.on('close', r));
    assert.match(err, /Error \[INTERRUPTED\]: interrupted/);
    assert.is(out, '', 'the rest of the script does not run');
    assert.is(code, 1, 'an interrupted script: exit 1');
  });

  test('heliosdb a.db .dump | heliosdb b.db --create restores every row between two real processes, and a Node program can pipe SQL in', () => {
    ensureBuilt();
    const key = join(work, 'pipe.key');
    writeFileSync(key, KEY_HEX);
    const rows = Array.from({ length: 3000 }, (_, i) => `(${i}, 'row ${i} ''quoted''', ${i / 7}, x'${(i % 256).toString(16).padStart(2, '0')}')`).join(',\n');
    const setup = `CREATE TABLE t (i INTEGER PRIMARY KEY, s TEXT, r REAL, b BLOB);\nINSERT INTO t VALUES\n${rows};\nCREATE INDEX t_s ON t(s);\n`;
    const a = join(work, 'a.db');
    const b = join(work, 'b.db');
    const c = join(work, 'c.db');
    const made = spawnSync(process.execPath, [shellJs, a, '--key-file', key, '--create'], { input: setup, encoding: 'utf8', timeout: 30_000 });
    assert.is(made.status, 0, made.stderr);
    const sqlFile = join(work, 'setup.sql');
    writeFileSync(sqlFile, setup);
    const env = { ...process.env, NODE: process.execPath, SHELL_JS: shellJs, KEY: key, A: a, B: b, C: c, SQL_FILE: sqlFile };
    const pipe = spawnSync('sh', ['-c', '"$NODE" "$SHELL_JS" "$A" --key-file "$KEY" .dump | "$NODE" "$SHELL_JS" "$B" --key-file "$KEY" --create'], { env, encoding: 'utf8', timeout: 30_000 });
    assert.is(pipe.status, 0, pipe.stderr);
    assert.not.match(pipe.stderr, /EAGAIN|Error/, pipe.stderr);
    const dump = (dir: string): string => {
      const r = spawnSync(process.execPath, [shellJs, dir, '--key-file', key, '.dump'], { encoding: 'utf8', timeout: 30_000 });
      assert.is(r.status, 0, r.stderr);
      return r.stdout;
    };
    const source = dump(a);
    assert.ok(source.includes("INSERT INTO t VALUES(2999,'row 2999 ''quoted''',"), 'the dump holds the rows');
    assert.is(dump(b), source);
    const node = spawnSync('sh', ['-c', '"$NODE" -e "process.stdout.write(require(\'node:fs\').readFileSync(process.env.SQL_FILE))" | "$NODE" "$SHELL_JS" "$C" --key-file "$KEY" --create'], { env, encoding: 'utf8', timeout: 30_000 });
    assert.is(node.status, 0, node.stderr);
    assert.is(dump(c), source);
  });
}

test.after(() => {
  if (work !== '') rmSync(work, { recursive: true, force: true });
});

test.run();
