/**
 * Turns the `key` option of openEngine into a KeySecret: reads key files and
 * environment variables (the I/O crypto/ does not do) and hands the contents
 * to crypto/key-source.ts for parsing. Errors are CONFIG naming the file or
 * variable, never echoing its content.
 *
 * The key file is read with node:fs directly, not through the database Vfs:
 * it lives outside the database directory (and usually on another volume).
 */
import { readFileSync } from 'node:fs';
import { HeliosError } from '../format/errors.ts';
import { parseEnvKey, parseKeyFile, passphraseSecret, rawKeySecret, type KeySecret } from '../crypto/key-source.ts';

export type KeySourceOption = { file: string } | { env: string } | { passphrase: string | Uint8Array } | { raw: Uint8Array };
export type KeySourceKind = 'file' | 'env' | 'passphrase' | 'raw' | 'none';

/** Which source an option names; INVALID_ARGUMENT unless exactly one of file/env/passphrase/raw is given. */
export function keySourceKind(key: KeySourceOption): Exclude<KeySourceKind, 'none'> {
  if (typeof key !== 'object' || key === null) throw new HeliosError('INVALID_ARGUMENT', 'key must be an object: { file } | { env } | { passphrase } | { raw }');
  const given = (['file', 'env', 'passphrase', 'raw'] as const).filter((k) => (key as Record<string, unknown>)[k] !== undefined);
  if (given.length !== 1) throw new HeliosError('INVALID_ARGUMENT', 'key must give exactly one of file, env, passphrase, raw');
  return given[0]!;
}

/** The secret the option designates. The caller destroys it (destroySecret) when done. */
export function loadKeySecret(key: KeySourceOption): KeySecret {
  const kind = keySourceKind(key);
  switch (kind) {
    case 'file': {
      const path = (key as { file: string }).file;
      if (typeof path !== 'string' || path === '') throw new HeliosError('INVALID_ARGUMENT', 'key.file must be a non-empty path');
      let contents: Uint8Array;
      try {
        const b = readFileSync(path);
        contents = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      } catch (e) {
        const code = typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : 'EIO';
        throw new HeliosError('CONFIG', `cannot read key file ${path}: ${code}`, { file: path, osCode: code });
      }
      try {
        return parseKeyFile(contents, path);
      } finally {
        contents.fill(0);
      }
    }
    case 'env': {
      const name = (key as { env: string }).env;
      if (typeof name !== 'string' || name === '') throw new HeliosError('INVALID_ARGUMENT', 'key.env must name an environment variable');
      const env = typeof process !== 'undefined' ? process.env : {};
      return parseEnvKey(env[name], name);
    }
    case 'passphrase': {
      const p = (key as { passphrase: string | Uint8Array }).passphrase;
      if (typeof p !== 'string' && !(p instanceof Uint8Array)) throw new HeliosError('INVALID_ARGUMENT', 'key.passphrase must be a string or Uint8Array');
      return passphraseSecret(p);
    }
    case 'raw': {
      const raw = (key as { raw: Uint8Array }).raw;
      if (!(raw instanceof Uint8Array)) throw new HeliosError('INVALID_ARGUMENT', 'key.raw must be a Uint8Array of 32 bytes');
      return rawKeySecret(raw);
    }
  }
}
