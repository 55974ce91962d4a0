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

export type KeySourceOption =
  | { file: string }
  | { env: string }
  | { passphrase: string | Uint8Array }
  /** The first line of the file (without its CR LF / LF) is the passphrase. */
  | { passphraseFile: string }
  /** The variable's value is the passphrase. */
  | { passphraseEnv: string }
  | { raw: Uint8Array };

/** A key source with nothing left to read but key files and raw-key variables: what resolveKeySource returns. */
export type ResolvedKeySource = Exclude<KeySourceOption, { passphraseFile: string } | { passphraseEnv: string }>;

const KINDS = ['file', 'env', 'passphrase', 'passphraseFile', 'passphraseEnv', 'raw'] as const;
export type KeySourceKind = 'file' | 'env' | 'passphrase' | 'raw' | 'none';

function givenKind(key: KeySourceOption): (typeof KINDS)[number] {
  if (typeof key !== 'object' || key === null) throw new HeliosError('INVALID_ARGUMENT', 'key must be an object: { file } | { env } | { passphrase } | { passphraseFile } | { passphraseEnv } | { raw }');
  const given = KINDS.filter((k) => (key as Record<string, unknown>)[k] !== undefined);
  if (given.length !== 1) throw new HeliosError('INVALID_ARGUMENT', 'key must give exactly one of file, env, passphrase, passphraseFile, passphraseEnv, raw');
  return given[0]!;
}

/** Which source an option names (a passphrase file or variable is a 'passphrase'); INVALID_ARGUMENT unless exactly one is given. */
export function keySourceKind(key: KeySourceOption): Exclude<KeySourceKind, 'none'> {
  const k = givenKind(key);
  return k === 'passphraseFile' || k === 'passphraseEnv' ? 'passphrase' : k;
}

function osCode(e: unknown): string {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : 'EIO';
}

/**
 * The one place passphrase files and passphrase variables are read — for the API's `key`
 * option, the TOML configuration (PassphraseFile / PassphraseEnvironment) and the shell's
 * --passphrase-env: `{ passphraseFile }` and `{ passphraseEnv }` become `{ passphrase: bytes }`
 * (a new array the caller may zero); every other source is returned as given. `env` replaces
 * process.env for `passphraseEnv`. CONFIG naming the file or variable, never its content,
 * when it cannot be read or is empty.
 */
export function resolveKeySource(key: KeySourceOption, options: { readonly env?: Readonly<Record<string, string | undefined>> } = {}): ResolvedKeySource {
  switch (givenKind(key)) {
    case 'passphraseFile': {
      const path = (key as { passphraseFile: string }).passphraseFile;
      if (typeof path !== 'string' || path === '') throw new HeliosError('INVALID_ARGUMENT', 'key.passphraseFile must be a non-empty path');
      let bytes: Uint8Array;
      try {
        const b = readFileSync(path);
        bytes = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      } catch (e) {
        const code = osCode(e);
        throw new HeliosError('CONFIG', `cannot read passphrase file ${path}: ${code}`, { file: path, osCode: code });
      }
      let end = bytes.indexOf(0x0a);
      if (end < 0) end = bytes.length;
      if (end > 0 && bytes[end - 1] === 0x0d) end--;
      const passphrase = bytes.slice(0, end);
      bytes.fill(0);
      if (passphrase.length === 0) throw new HeliosError('CONFIG', `passphrase file ${path} is empty`, { file: path });
      return { passphrase };
    }
    case 'passphraseEnv': {
      const name = (key as { passphraseEnv: string }).passphraseEnv;
      if (typeof name !== 'string' || name === '') throw new HeliosError('INVALID_ARGUMENT', 'key.passphraseEnv must name an environment variable');
      const env = options.env ?? (typeof process !== 'undefined' ? process.env : {});
      const v = env[name];
      if (v === undefined || v === '') throw new HeliosError('CONFIG', `environment variable ${name} (the passphrase) is not set or empty`);
      return { passphrase: v };
    }
    default:
      return key as ResolvedKeySource;
  }
}

/** The secret the option designates. The caller destroys it (destroySecret) when done. */
export function loadKeySecret(key: KeySourceOption): KeySecret {
  const kind = givenKind(key);
  switch (kind) {
    case 'passphraseFile':
    case 'passphraseEnv': {
      const p = (resolveKeySource(key) as { passphrase: string | Uint8Array }).passphrase;
      try {
        return passphraseSecret(p);
      } finally {
        if (p instanceof Uint8Array) p.fill(0);
      }
    }
    case 'file': {
      const path = (key as { file: string }).file;
      if (typeof path !== 'string' || path === '') throw new HeliosError('INVALID_ARGUMENT', 'key.file must be a non-empty path');
      let contents: Uint8Array;
      try {
        const b = readFileSync(path);
        contents = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      } catch (e) {
        const code = osCode(e);
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
