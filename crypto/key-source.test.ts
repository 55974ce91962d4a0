import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toHex, utf8Encode } from '../format/bytes.ts';
import { HeliosError, isHeliosError } from '../format/errors.ts';
import { destroySecret, generateKeyHex, parseEnvKey, parseKeyFile, passphraseSecret, rawKeySecret, type KeySecret } from './key-source.ts';

const KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 5) & 0xff);
const KEY_HEX = toHex(KEY);

function expectConfig(f: () => unknown, mustName: string, secretText: string): HeliosError {
  try {
    f();
  } catch (e) {
    assert.ok(isHeliosError(e, 'CONFIG'), `expected CONFIG, got ${String(e)}`);
    assert.ok(e.message.includes(mustName), `message names ${mustName}: ${e.message}`);
    if (secretText.length >= 4) assert.not.ok(e.message.includes(secretText), 'message echoes the content');
    return e;
  }
  assert.unreachable('accepted');
  throw new Error('unreachable');
}

const rawKey = (s: KeySecret): Uint8Array => {
  assert.is(s.kind, 'raw');
  return (s as Extract<KeySecret, { kind: 'raw' }>).key;
};

test('a key file of exactly 32 raw bytes is the key [CRY-KEY-1]', () => {
  const s = parseKeyFile(KEY, 'k.bin');
  assert.is(toHex(rawKey(s)), KEY_HEX);
  assert.is((s as { origin: string }).origin, 'file');
});

test('a key file of 64 hex characters, with or without a trailing newline, is the key [CRY-KEY-1]', () => {
  for (const text of [KEY_HEX, KEY_HEX + '\n', KEY_HEX + '\r\n', KEY_HEX.toUpperCase() + '\n']) {
    assert.is(toHex(rawKey(parseKeyFile(utf8Encode(text), 'k.hex'))), KEY_HEX);
  }
});

test('the parsed key is a copy: zeroing the file contents does not change it', () => {
  const contents = utf8Encode(KEY_HEX);
  const s = parseKeyFile(contents, 'k');
  contents.fill(0);
  assert.is(toHex(rawKey(s)), KEY_HEX);
  const raw = KEY.slice();
  const r = parseKeyFile(raw, 'k');
  raw.fill(0);
  assert.is(toHex(rawKey(r)), KEY_HEX);
});

test('other key files are CONFIG naming the file and never echoing the content [CRY-KEY-1] [CRY-KEY-2]', () => {
  const cases = [
    '', KEY_HEX.slice(0, 63), KEY_HEX + '0', KEY_HEX + '\n\n', KEY_HEX + ' ', ' ' + KEY_HEX, KEY_HEX.slice(0, 62) + 'zz',
    KEY_HEX + '\r', '\n' + KEY_HEX, KEY_HEX.slice(0, 31),
  ];
  for (const text of cases) expectConfig(() => parseKeyFile(utf8Encode(text), '/etc/helios/db.key'), '/etc/helios/db.key', text.trim().slice(0, 16));
  const e = expectConfig(() => parseKeyFile(new Uint8Array(33).fill(0x41), 'short.key'), 'short.key', 'AAAA');
  assert.is(e.details.file, 'short.key');
  expectConfig(() => parseKeyFile(new Uint8Array(64).fill(0xff), 'binary.key'), 'binary.key', '');
});

test('an environment variable holds exactly 64 hex characters [CRY-KEY-1]', () => {
  const s = parseEnvKey(KEY_HEX, 'HELIOS_KEY');
  assert.is(toHex(rawKey(s)), KEY_HEX);
  assert.is((s as { origin: string }).origin, 'env');
});

test('a missing or malformed environment variable is CONFIG naming it, never echoing it [CRY-KEY-2]', () => {
  expectConfig(() => parseEnvKey(undefined, 'HELIOS_KEY'), 'HELIOS_KEY', '');
  for (const v of ['', KEY_HEX + '\n', KEY_HEX.slice(1), 'g' + KEY_HEX.slice(1), KEY_HEX + KEY_HEX]) {
    expectConfig(() => parseEnvKey(v, 'MY_DB_KEY'), 'MY_DB_KEY', v.slice(0, 16));
  }
});

test('passphrases are NFC-normalized UTF-8; empty ones are CONFIG [CRY-KEY-5]', () => {
  const composed = passphraseSecret('caf\u00e9');
  const decomposed = passphraseSecret('cafe\u0301');
  assert.is(composed.kind, 'passphrase');
  const bytes = (s: KeySecret): string => toHex((s as Extract<KeySecret, { kind: 'passphrase' }>).passphrase);
  assert.is(bytes(composed), bytes(decomposed));
  assert.is(bytes(composed), toHex(utf8Encode('caf\u00e9')));
  const raw = Uint8Array.of(1, 2, 3);
  const fromBytes = passphraseSecret(raw);
  raw.fill(0);
  assert.is(bytes(fromBytes), '010203');
  for (const p of ['', new Uint8Array(0)]) expectConfig(() => passphraseSecret(p), 'passphrase', '');
  expectConfig(() => passphraseSecret(42 as unknown as string), 'passphrase', '');
});

test('a raw key must be a 32-byte Uint8Array (copied) [CRY-KEY-1]', () => {
  const k = KEY.slice();
  const s = rawKeySecret(k);
  k.fill(0);
  assert.is(toHex(rawKey(s)), KEY_HEX);
  for (const bad of [new Uint8Array(31), new Uint8Array(33), 'x'.repeat(32), null]) expectConfig(() => rawKeySecret(bad as Uint8Array), 'raw key', '');
});

test('generateKeyHex returns 64 lowercase hex characters that parse back to the random key', () => {
  const hex = generateKeyHex((n) => KEY.slice(0, n));
  assert.is(hex, KEY_HEX);
  assert.ok(/^[0-9a-f]{64}$/.test(hex));
  assert.is(toHex(rawKey(parseEnvKey(hex, 'K'))), KEY_HEX);
  try {
    generateKeyHex(() => new Uint8Array(5));
    assert.unreachable();
  } catch (e) {
    assert.ok(isHeliosError(e, 'INVALID_ARGUMENT'));
  }
});

test('destroySecret zeroes the secret bytes [CRY-ZERO-1]', () => {
  const r = rawKeySecret(KEY);
  destroySecret(r);
  assert.ok(rawKey(r).every((b) => b === 0));
  const p = passphraseSecret('hunter2');
  destroySecret(p);
  assert.ok((p as Extract<KeySecret, { kind: 'passphrase' }>).passphrase.every((b) => b === 0));
});

test.run();
