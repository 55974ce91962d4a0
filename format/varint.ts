/**
 * Unsigned LEB128 varints (7 bits per byte, least significant group first,
 * high bit = more bytes follow), as used by every record in `spec/format.md`.
 * Numbers up to 2^53 - 1; decoders check every length.
 */
import { HeliosError } from './errors.ts';

export const MAX_VARINT_BYTES = 8; // 7 * 8 = 56 bits >= 53

export function varintLength(value: number): number {
  let n = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    n++;
  }
  return n;
}

/** Writes `value` at `offset` in `out`; returns the offset after it. */
export function writeVarint(out: Uint8Array, offset: number, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new HeliosError('INTERNAL', `varint out of range: ${value}`);
  }
  while (value >= 0x80) {
    out[offset++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 128);
  }
  out[offset++] = value;
  return offset;
}

export function encodeVarint(value: number): Uint8Array {
  const out = new Uint8Array(varintLength(value));
  writeVarint(out, 0, value);
  return out;
}

/**
 * Reads a varint at `offset`. Returns `[value, nextOffset]`, or null when the
 * bytes end early or the varint is longer than MAX_VARINT_BYTES or exceeds 2^53.
 */
export function readVarint(buf: Uint8Array, offset: number): [number, number] | null {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    if (offset + i >= buf.length) return null;
    const b = buf[offset + i]!;
    value += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) {
      if (!Number.isSafeInteger(value)) return null;
      return [value, offset + i + 1];
    }
    scale *= 128;
  }
  return null;
}
