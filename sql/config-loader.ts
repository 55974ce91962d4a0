/**
 * The TOML configuration loader: sql/config.ts with smol-toml as its parser. Kept apart so
 * that only a program that loads configurations carries the TOML parser (index.ts exports
 * these; a bundler drops this module, and smol-toml with it, when they are not used; the
 * package's build ships it as its own file, dist/cjs/config.js).
 */
import { parse, TomlError } from 'smol-toml';
import { HeliosError } from '../format/errors.ts';
import type { Database } from './database.ts';
import { loadConfigWith, openDatabaseWithConfig, parseConfigWith, type ConfigOverrides, type HeliosConfig, type TomlParse } from './config.ts';

const parseToml: TomlParse = (text, fileName) => {
  try {
    return parse(text, { integersAsBigInt: true, unsafeKeyBehaviour: 'throw' }) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof TomlError) {
      // First line only: smol-toml appends an excerpt of the file, which may hold a secret.
      const what = e.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
      throw new HeliosError('CONFIG', `${fileName}:${e.line}:${e.column}: invalid TOML: ${what}`, { file: fileName, line: e.line, column: e.column });
    }
    throw new HeliosError('CONFIG', `${fileName}: invalid TOML`, { file: fileName }, { cause: e });
  }
};

/** Reads and checks a configuration file. CONFIG when it cannot be read or is invalid. */
export function loadConfig(path: string): HeliosConfig {
  return loadConfigWith(parseToml, path);
}

/**
 * Checks the TOML `text` of the file `fileName` (used in errors and to
 * resolve relative paths against its directory; the file is not read).
 */
export function parseConfig(text: string, fileName: string): HeliosConfig {
  return parseConfigWith(parseToml, text, fileName);
}

/**
 * Opens (or creates) the database a configuration describes. `config` is a
 * file path (read with loadConfig) or an already loaded configuration.
 * Besides the errors of `new Database`, CONFIG when `fips_mode = true` and
 * the database was not created in FIPS mode (it is closed again).
 */
export function openDatabaseFromConfig(config: string | HeliosConfig, overrides: ConfigOverrides = {}): Database {
  return openDatabaseWithConfig(typeof config === 'string' ? loadConfig(config) : config, overrides);
}
