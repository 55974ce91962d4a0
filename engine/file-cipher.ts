/**
 * Per-file sealing: the bridge between a file header and the crypto core.
 * Every engine file (WAL segment, manifest, SSTable) seals its records or
 * blocks through one `FileCipher`, built from the file's header:
 *
 *   fileKey = deriveFileKey(DEK[generation], salt, kind, fileNumber)
 *   sealed  = seal(fileKey, index, plaintext, AAD(databaseId, kind, fileNumber, generation, index, sealedLength))
 *
 * (spec/format.md [FMT-REC-2], DESIGN.md "Sealing every byte"). The caller
 * owns nonce uniqueness: `index` must never repeat for one FileCipher, which
 * holds because files are append-only and never reopened for writing.
 */
import { createSealer, type Sealer, type SuiteId } from '../crypto/cipher-suite.ts';
import { deriveFileKey } from '../crypto/file-key.ts';
import type { Keyring } from '../crypto/superblock.ts';
import { FILE_SALT_BYTES, encodeFileHeader, type FileHeader, type FileKind } from '../format/file-header.ts';
import { createRecordAadWriter } from '../format/record-frame.ts';

/** What every file of one open database shares. */
export interface KeyContext {
  readonly databaseId: Uint8Array;
  readonly suite: SuiteId;
  readonly keyring: Keyring;
  /** Fresh random bytes (node:crypto in production). */
  readonly random: (n: number) => Uint8Array;
}

export interface FileCipher {
  readonly header: FileHeader;
  /** Bytes seal() adds to a plaintext. */
  readonly overhead: number;
  /** Seals `plaintext` as record/block `index` (a new array: ciphertext ‖ tag). */
  seal(index: number, plaintext: Uint8Array): Uint8Array;
  /** seal()'s bytes written to out[offset, offset + plaintext.length + overhead) instead
   *  (Sealer.sealInto); returns that count. */
  sealInto(index: number, plaintext: Uint8Array, out: Uint8Array, offset: number): number;
  /** Verifies and opens record/block `index`; null when verification fails. A new array. */
  open(index: number, sealed: Uint8Array): Uint8Array | null;
  /** Zeroes the file key. */
  destroy(): void;
}

/** The header (with a fresh salt, the current key generation) for a new file. */
export function newFileHeader(ctx: KeyContext, kind: FileKind, fileNumber: number): FileHeader {
  return {
    kind,
    formatVersion: 1,
    generation: ctx.keyring.currentGeneration,
    fileNumber,
    salt: ctx.random(FILE_SALT_BYTES),
  };
}

export { encodeFileHeader };

/** Builds the cipher of the file described by `header`. An unknown generation is CORRUPTION (from the keyring). */
export function createFileCipher(ctx: KeyContext, header: FileHeader): FileCipher {
  let sealer: Sealer;
  if (ctx.suite === 'none') {
    sealer = createSealer('none', new Uint8Array(0));
  } else {
    const fileKey = deriveFileKey(ctx.keyring.dek(header.generation), header.salt, header.kind, header.fileNumber);
    try {
      sealer = createSealer(ctx.suite, fileKey);
    } finally {
      fileKey.fill(0);
    }
  }
  const aad = createRecordAadWriter({ databaseId: ctx.databaseId, fileKind: header.kind, fileNumber: header.fileNumber, generation: header.generation });
  const overhead = sealer.overhead;
  return {
    header,
    overhead,
    seal(index, plaintext) {
      return sealer.seal(index, plaintext, aad(index, plaintext.length + overhead));
    },
    sealInto(index, plaintext, out, offset) {
      return sealer.sealInto(index, plaintext, aad(index, plaintext.length + overhead), out, offset);
    },
    open(index, sealed) {
      return sealer.open(index, sealed, aad(index, sealed.length));
    },
    destroy() {
      sealer.destroy();
    },
  };
}
