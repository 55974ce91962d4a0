/**
 * The Vfs entry point: the contract (engine/vfs-interface.ts, with the
 * durability model) and its two implementations, the real one on `node:fs`
 * (engine/node-vfs.ts) and the in-memory one that crashes and fails on
 * demand (engine/mem-vfs.ts). Only re-exports: the implementations import
 * the contract, never this file, so no file imports another in a circle.
 */
export type { Vfs, VfsFile, VfsLock } from './vfs-interface.ts';
export { DEFAULT_READ_FILE_MAX_BYTES, MAX_READ_BYTES, writeFileAtomicVia } from './vfs-interface.ts';
export { joinPath, dirName } from './vfs-path.ts';
export { createNodeVfs } from './node-vfs.ts';
export type { NodeVfsOptions, LockStep } from './node-vfs.ts';
export { createMemVfs } from './mem-vfs.ts';
export type { MemVfs, MemVfsOp, MemVfsFault, CrashOptions } from './mem-vfs.ts';
