/** HeliosDB-Lite public entry. Re-exports only. */
export { HeliosError, isHeliosError } from './format/errors.ts';
export type { ErrorCode, HeliosErrorDetails } from './format/errors.ts';
