/**
 * Key sources [CRY-KEY-1]: what a user hands us, parsed into a KeySecret. Parsing only: the
 * engine reads key files and environment variables (crypto/ does no I/O).
 *
 * - key file: exactly 32 raw bytes, or 64 hex characters optionally followed by "\n" or "\r\n";
 * - environment variable: exactly 64 hex characters;
 * - passphrase: a non-empty string (UTF-8 of its NFC normalization) or non-empty bytes;
 * - raw: a 32-byte Uint8Array.
 *
 * Anything else is CONFIG naming the file or variable; no message ever contains key material
 * or the bytes that failed to parse [CRY-KEY-2]. Every KeySecret holds its own copy of the
 * bytes (never a view of the caller's array, which stays untouched), in a buffer the garbage
 * collector does not move; destroySecret() zeroes it [CRY-ZERO-2].
 */
import { HeliosError } from '../format/errors.ts';
import { fromHex, toHex, utf8Encode } from '../format/bytes.ts';
import { copySecret, takeSecret } from './secret-bytes.ts';

export type KeySecret =
  | { readonly kind: 'raw'; readonly key: Uint8Array; readonly origin: 'file' | 'env' | 'raw' }
  | { readonly kind: 'passphrase'; readonly passphrase: Uint8Array };

export const RAW_KEY_BYTES = 32;
const HEX_KEY_CHARS = 64;

function hexKey(text: string): Uint8Array | null {
  if (text.length !== HEX_KEY_CHARS) return null;
  return fromHex(text);
}

/** Parses key-file contents; `contents` is not retained (the caller may zero it). */
export function parseKeyFile(contents: Uint8Array, fileName: string): KeySecret {
  if (!(contents instanceof Uint8Array)) throw new HeliosError('INVALID_ARGUMENT', 'key file contents must be a Uint8Array');
  if (contents.length === RAW_KEY_BYTES) return { kind: 'raw', key: copySecret(contents), origin: 'file' };
  let n = contents.length;
  if (n > 0 && contents[n - 1] === 0x0a) {
    n--;
    if (n > 0 && contents[n - 1] === 0x0d) n--;
  }
  if (n === HEX_KEY_CHARS) {
    let text = '';
    for (let i = 0; i < n; i++) text += String.fromCharCode(contents[i]!);
    const key = hexKey(text);
    text = '';
    if (key !== null) return { kind: 'raw', key: takeSecret(key), origin: 'file' };
  }
  throw new HeliosError('CONFIG', `key file ${fileName} must hold exactly 32 raw bytes or 64 hex characters (it holds ${contents.length} bytes that are neither)`, { file: fileName });
}

/** Parses the value of environment variable `varName` (undefined: the variable is unset). */
export function parseEnvKey(value: string | undefined, varName: string): KeySecret {
  if (value === undefined) throw new HeliosError('CONFIG', `environment variable ${varName} is not set`);
  if (typeof value === 'string') {
    const key = hexKey(value);
    if (key !== null) return { kind: 'raw', key: takeSecret(key), origin: 'env' };
  }
  throw new HeliosError('CONFIG', `environment variable ${varName} must hold exactly 64 hex characters`);
}

/** A passphrase secret. Strings are NFC-normalized, then UTF-8 encoded. Empty: CONFIG. */
export function passphraseSecret(p: string | Uint8Array): KeySecret {
  let bytes: Uint8Array;
  if (typeof p === 'string') bytes = takeSecret(utf8Encode(p.normalize('NFC')));
  else if (p instanceof Uint8Array) bytes = copySecret(p);
  else throw new HeliosError('CONFIG', 'passphrase must be a string or a Uint8Array');
  if (bytes.length === 0) throw new HeliosError('CONFIG', 'passphrase must not be empty');
  return { kind: 'passphrase', passphrase: bytes };
}

/** A raw 32-byte key given directly by the application (copied). Anything else: CONFIG. */
export function rawKeySecret(key: Uint8Array): KeySecret {
  if (!(key instanceof Uint8Array) || key.length !== RAW_KEY_BYTES) throw new HeliosError('CONFIG', `raw key must be a Uint8Array of exactly ${RAW_KEY_BYTES} bytes`);
  return { kind: 'raw', key: copySecret(key), origin: 'raw' };
}

/** A new random key as 64 lowercase hex characters (for key files and env variables). */
export function generateKeyHex(random: (n: number) => Uint8Array): string {
  const key = random(RAW_KEY_BYTES);
  if (!(key instanceof Uint8Array) || key.length !== RAW_KEY_BYTES) throw new HeliosError('INVALID_ARGUMENT', `random(${RAW_KEY_BYTES}) must return ${RAW_KEY_BYTES} bytes`);
  const hex = toHex(key);
  key.fill(0);
  return hex;
}

/** Zeroes the secret's bytes [CRY-ZERO-1]; the secret must not be used afterwards. */
export function destroySecret(s: KeySecret): void {
  if (s.kind === 'raw') s.key.fill(0);
  else s.passphrase.fill(0);
}
