/**
 * Argon2id (RFC 9106), synchronous, in pure TypeScript, vector-exact.
 *
 * The database open is synchronous, so `argon2id()` returns the tag directly. To meet the
 * <= 500 ms budget at the default parameters it fills the p lanes on several threads: the
 * calling thread plus `threads - 1` worker_threads created from a source string
 * (`new Worker(src, { eval: true })`, so it survives bundling), sharing one
 * SharedArrayBuffer. The threads meet at an Atomics barrier after every slice (RFC 9106
 * section 3.4: lanes are independent within a slice); the calling thread blocks in
 * Atomics.wait, so the call stays synchronous. When workers cannot be created, do not
 * check in, or fail, the computation falls back to the calling thread alone with fresh
 * memory; the result is the same bytes either way ([CRY-KDF-3]).
 *
 * Parameter bounds ([CRY-KDF-2], spec/crypto.md): RFC 9106 section 3.1 allows p in
 * 1..2^24-1, T in 4..2^32-1, m in 8p..2^32-1 KiB, t in 1..2^32-1, salt 8..2^32-1 bytes. We
 * accept the subset below (a smaller range stops a crafted superblock from demanding hours
 * or terabytes at open); anything else is a CONFIG error.
 */
import { blake2b } from '@noble/hashes/blake2.js';
import { Worker } from 'node:worker_threads';
import { availableParallelism, cpus } from 'node:os';
import { HeliosError } from '../format/errors.ts';
import { argon2Kernel, type Argon2Geometry } from './argon2-kernel.ts';

export interface Argon2idParams {
  /** m, in KiB (1024-byte blocks). */
  readonly memoryKiB: number;
  /** t, passes over memory. */
  readonly iterations: number;
  /** p, lanes. */
  readonly parallelism: number;
  /** T, output bytes; default 32. */
  readonly tagLength?: number;
}

/** RFC 9106 section 4, second recommended option ("if much less memory is available"). */
export const ARGON2ID_DEFAULTS = { memoryKiB: 65536, iterations: 3, parallelism: 4 } as const;

/** Inclusive bounds; see the module comment and [CRY-KDF-2]. memoryKiB also needs >= 8 * parallelism. */
export const ARGON2ID_BOUNDS = {
  memoryKiB: { min: 8, max: 2 * 1024 * 1024 }, // 2 GiB: RFC 9106 section 4 first option
  iterations: { min: 1, max: 64 },
  parallelism: { min: 1, max: 64 },
  tagLength: { min: 4, max: 1024 },
  saltLength: { min: 8, max: 1024 },
} as const;

export interface Argon2RunOptions {
  /**
   * Threads to fill lanes with, including the calling one. Default: min(p, CPU count).
   * 1 never starts a worker. More threads than lanes are not used.
   */
  readonly threads?: number;
  /** Told how the run went: threads that filled memory (1 after a fallback) and why it fell back. */
  readonly onRun?: (run: { readonly threads: number; readonly fallback: string | null }) => void;
}

/** Argon2 variants by their RFC 9106 type code y. */
export type Argon2Type = 0 | 1 | 2;

export interface Argon2FullParams extends Argon2idParams {
  /** K, the optional secret value (RFC 9106 section 3.1); default empty. */
  readonly secret?: Uint8Array;
  /** X, the optional associated data; default empty. */
  readonly associatedData?: Uint8Array;
}

const VERSION = 0x13;

/** Throws CONFIG unless the parameters are inside ARGON2ID_BOUNDS ([CRY-KDF-2]). */
export function validateArgon2idParams(p: Argon2idParams): void {
  const check = (name: string, v: unknown, min: number, max: number): void => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new HeliosError('CONFIG', `Argon2id ${name} must be an integer in ${min}..${max}, got ${String(v)}`);
    }
  };
  const b = ARGON2ID_BOUNDS;
  check('parallelism', p.parallelism, b.parallelism.min, b.parallelism.max);
  check('memoryKiB', p.memoryKiB, Math.max(b.memoryKiB.min, 8 * p.parallelism), b.memoryKiB.max);
  check('iterations', p.iterations, b.iterations.min, b.iterations.max);
  check('tagLength', p.tagLength ?? 32, b.tagLength.min, b.tagLength.max);
}

/**
 * Argon2id tag of `password` and `salt` (RFC 9106, version 0x13). Synchronous; may block the
 * calling thread on worker threads. Returns a new array of `tagLength` (default 32) bytes.
 * Errors: CONFIG for parameters outside the bounds or a salt outside 8..1024 bytes.
 */
export function argon2id(password: Uint8Array, salt: Uint8Array, params: Argon2idParams, options: Argon2RunOptions = {}): Uint8Array {
  return argon2Hash(2, password, salt, params, options);
}

/**
 * Argon2d (0), Argon2i (1) or Argon2id (2) with the optional secret and associated data of
 * RFC 9106 section 3.1. The database uses only Argon2id without K and X; the other inputs
 * exist so the RFC section 5 vectors can be checked end to end.
 */
export function argon2Hash(type: Argon2Type, password: Uint8Array, salt: Uint8Array, params: Argon2FullParams, options: Argon2RunOptions = {}): Uint8Array {
  validateArgon2idParams(params);
  if (!(salt instanceof Uint8Array) || salt.length < ARGON2ID_BOUNDS.saltLength.min || salt.length > ARGON2ID_BOUNDS.saltLength.max) {
    throw new HeliosError('CONFIG', `Argon2 salt must be ${ARGON2ID_BOUNDS.saltLength.min}..${ARGON2ID_BOUNDS.saltLength.max} bytes`);
  }
  if (!(password instanceof Uint8Array)) throw new HeliosError('INVALID_ARGUMENT', 'Argon2 password must be a Uint8Array');
  const p = params.parallelism;
  const tagLength = params.tagLength ?? 32;
  const memoryBlocks = 4 * p * Math.floor(params.memoryKiB / (4 * p));
  const laneLength = memoryBlocks / p;
  const g: Argon2Geometry = { lanes: p, laneLength, segmentLength: laneLength / 4, memoryBlocks, passes: params.iterations, type };

  const h0 = initialHash(type, password, salt, params, tagLength);
  const threads = Math.max(1, Math.min(p, Math.floor(options.threads ?? defaultThreads())));
  let mem: Uint32Array | null = null;
  try {
    let fallback: string | null = null;
    if (threads > 1) {
      const r = fillParallel(h0, g, threads);
      if (typeof r === 'string') fallback = r;
      else mem = r;
    }
    if (mem === null) mem = fillSingle(h0, g);
    options.onRun?.({ threads: fallback === null ? threads : 1, fallback });
    // C = B[0][q-1] xor ... xor B[p-1][q-1]; Tag = H'^T(C).
    const last = new Uint32Array(256);
    for (let lane = 0; lane < p; lane++) {
      const off = 256 * (lane * laneLength + laneLength - 1);
      for (let i = 0; i < 256; i++) last[i] = last[i]! ^ mem[off + i]!;
    }
    const lastBytes = wordsToBytes(last);
    const tag = hPrime(lastBytes, tagLength);
    last.fill(0);
    lastBytes.fill(0);
    return tag;
  } finally {
    h0.fill(0);
    if (mem !== null) mem.fill(0);
  }
}

function defaultThreads(): number {
  try {
    return typeof availableParallelism === 'function' ? availableParallelism() : cpus().length;
  } catch {
    return 1;
  }
}

function le32(n: number): Uint8Array {
  return new Uint8Array([n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff]);
}

/** H0 (RFC 9106 section 3.2 step 1). */
function initialHash(type: number, password: Uint8Array, salt: Uint8Array, params: Argon2FullParams, tagLength: number): Uint8Array {
  const secret = params.secret ?? new Uint8Array(0);
  const ad = params.associatedData ?? new Uint8Array(0);
  const h = blake2b.create({ dkLen: 64 });
  h.update(le32(params.parallelism)).update(le32(tagLength)).update(le32(params.memoryKiB)).update(le32(params.iterations));
  h.update(le32(VERSION)).update(le32(type));
  h.update(le32(password.length)).update(password);
  h.update(le32(salt.length)).update(salt);
  h.update(le32(secret.length)).update(secret);
  h.update(le32(ad.length)).update(ad);
  return h.digest();
}

/** H'^T (RFC 9106 section 3.3). Returns a new array. */
function hPrime(x: Uint8Array, t: number): Uint8Array {
  const lenT = le32(t);
  if (t <= 64) return blake2b.create({ dkLen: t }).update(lenT).update(x).digest();
  const out = new Uint8Array(t);
  const r = Math.ceil(t / 32) - 2;
  let v = blake2b.create({ dkLen: 64 }).update(lenT).update(x).digest();
  out.set(v.subarray(0, 32), 0);
  for (let i = 1; i < r; i++) {
    const next = blake2b(v, { dkLen: 64 });
    v.fill(0);
    v = next;
    out.set(v.subarray(0, 32), 32 * i);
  }
  const tail = blake2b(v, { dkLen: t - 32 * r });
  out.set(tail, 32 * r);
  v.fill(0);
  tail.fill(0);
  return out;
}

function wordsToBytes(w: Uint32Array): Uint8Array {
  const out = new Uint8Array(4 * w.length);
  for (let i = 0; i < w.length; i++) {
    const x = w[i]!;
    out[4 * i] = x & 0xff;
    out[4 * i + 1] = (x >>> 8) & 0xff;
    out[4 * i + 2] = (x >>> 16) & 0xff;
    out[4 * i + 3] = (x >>> 24) & 0xff;
  }
  return out;
}

/** B[i][0], B[i][1] = H'^1024(H0 ‖ LE32(0|1) ‖ LE32(i)) (section 3.2 steps 3-4). */
function initLanes(mem: Uint32Array, h0: Uint8Array, g: Argon2Geometry): void {
  const input = new Uint8Array(72);
  input.set(h0, 0);
  for (let lane = 0; lane < g.lanes; lane++) {
    for (let col = 0; col < 2; col++) {
      input.set(le32(col), 64);
      input.set(le32(lane), 68);
      const block = hPrime(input, 1024);
      const off = 256 * (lane * g.laneLength + col);
      for (let i = 0; i < 256; i++) {
        mem[off + i] = block[4 * i]! | (block[4 * i + 1]! << 8) | (block[4 * i + 2]! << 16) | (block[4 * i + 3]! << 24);
      }
      block.fill(0);
    }
  }
  input.fill(0);
}

let mainKernel: ReturnType<typeof argon2Kernel> | null = null;

function fillSingle(h0: Uint8Array, g: Argon2Geometry): Uint32Array {
  const mem = new Uint32Array(256 * g.memoryBlocks);
  initLanes(mem, h0, g);
  const kernel = (mainKernel ??= argon2Kernel());
  try {
    kernel.warmUp(false);
    for (let pass = 0; pass < g.passes; pass++) {
      for (let slice = 0; slice < 4; slice++) {
        for (let lane = 0; lane < g.lanes; lane++) kernel.fillSegment(mem, g, pass, slice, lane);
      }
    }
  } finally {
    kernel.wipe();
  }
  return mem;
}

// ---- worker threads ---------------------------------------------------------------------

/**
 * ctrl words (see Argon2KernelApi.runLanes): [0] slices done, [1] arrivals, [2] abort
 * (1 stalled, 2 worker error), [3] unused, [4 + step] lane claims, then the state of worker w
 * at [4 + steps + w] (0 created, 1 claimed by the worker, 2 cancelled by the caller).
 */
const CTRL_ABORT = 2;
const CTRL_CLAIMS = 4;
const STATE_CLAIMED = 1;
const STATE_CANCELLED = 2;
/** Barrier and check-in waits are in slices of WAIT_MS; see [CRY-KDF-3] for the limits. */
const WAIT_MS = 100;
/** The first barrier (where a worker that never starts shows) gives up after 10 s. */
const CHECKIN_WAITS = 100;
/** A barrier that sees no progress for 60 s declares a thread dead. */
const IDLE_WAITS = 600;

let workerSource: string | null = null;

/** Injected worker faults for tests of the fallback ([CRY-KDF-3]); null in production. */
export type Argon2WorkerFault = 'fail-after-claim' | 'never-start';
let workerFault: Argon2WorkerFault | null = null;

/** Test hook: makes every worker fail after claiming its slot, or never start (the first barrier then gives up after 300 ms). */
export function setArgon2WorkerFaultForTests(fault: Argon2WorkerFault | null): void {
  workerFault = fault;
}

/**
 * The worker program: rebuilds the kernel from its source text, claims its slot (so the
 * main thread can cancel a worker that started too late), then runs its lanes. It reaches
 * worker_threads through `require` (Node, Bun) or a dynamic import (Deno, ESM evaluation).
 */
function getWorkerSource(): string {
  if (workerFault === 'never-start') return '/* injected fault: this worker never starts */';
  if (workerFault === 'fail-after-claim') return baseWorkerSource().replace('kernel = argon2Kernel();', "throw new Error('injected worker fault');");
  return baseWorkerSource();
}

function baseWorkerSource(): string {
  // __name: the helper esbuild's keepNames would call inside the kernel; harmless otherwise.
  return (workerSource ??= `"use strict";
var __name = (f) => f;
const argon2Kernel = ${argon2Kernel.toString()};
function run(wt) {
  const d = wt.workerData;
  const ctrl = new Int32Array(d.ctrl);
  if (Atomics.compareExchange(ctrl, d.stateIndex, 0, ${STATE_CLAIMED}) !== 0) return;
  let kernel = null;
  try {
    kernel = argon2Kernel();
    kernel.warmUp(true);
    kernel.runLanes(new Uint32Array(d.mem), d.geometry, ctrl, d.threads, ${WAIT_MS}, ${IDLE_WAITS}, ${IDLE_WAITS});
  } catch (e) {
    Atomics.store(ctrl, ${CTRL_ABORT}, 2);
    Atomics.notify(ctrl, 0);
  } finally {
    if (kernel !== null) kernel.wipe();
  }
}
if (typeof require === 'function') run(require('node:worker_threads'));
else import('node:worker_threads').then(run);
`);
}

/**
 * Fills memory on `threads` threads; returns the reason (and leaves no worker writing to
 * memory the caller will use) when the workers could not be used, so the caller falls back.
 */
function fillParallel(h0: Uint8Array, g: Argon2Geometry, threads: number): Uint32Array | string {
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') return 'no SharedArrayBuffer';
  let memBuffer: SharedArrayBuffer;
  let ctrlBuffer: SharedArrayBuffer;
  try {
    memBuffer = new SharedArrayBuffer(1024 * g.memoryBlocks);
    ctrlBuffer = new SharedArrayBuffer(4 * (CTRL_CLAIMS + 4 * g.passes + threads));
  } catch {
    return 'SharedArrayBuffer allocation failed';
  }
  const mem = new Uint32Array(memBuffer);
  const ctrl = new Int32Array(ctrlBuffer);
  const stateIndex = (w: number): number => CTRL_CLAIMS + 4 * g.passes + w;
  initLanes(mem, h0, g);
  const abandon = (why: string): string => {
    Atomics.store(ctrl, CTRL_ABORT, 1);
    Atomics.notify(ctrl, 0);
    for (let w = 1; w < threads; w++) Atomics.compareExchange(ctrl, stateIndex(w), 0, STATE_CANCELLED);
    mem.fill(0);
    return why;
  };
  try {
    const src = getWorkerSource();
    for (let w = 1; w < threads; w++) {
      const worker = new Worker(src, {
        eval: true,
        workerData: { mem: memBuffer, ctrl: ctrlBuffer, geometry: { ...g }, stateIndex: stateIndex(w), threads },
      });
      // Errors surface through the abort flag; the handler only keeps the runtime from
      // treating a late worker error as uncaught. unref: a worker never keeps the process alive.
      worker.on('error', () => Atomics.store(ctrl, CTRL_ABORT, 2));
      worker.unref();
    }
  } catch (e) {
    return abandon(`worker creation failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  // The calling thread starts on its lanes while the workers boot; a worker that has not
  // claimed its slot when the first barrier gives up is cancelled by abandon().
  const kernel = (mainKernel ??= argon2Kernel());
  let ok: boolean;
  try {
    kernel.warmUp(true);
    ok = kernel.runLanes(mem, g, ctrl, threads, WAIT_MS, workerFault === 'never-start' ? 3 : CHECKIN_WAITS, IDLE_WAITS);
  } finally {
    kernel.wipe();
  }
  if (!ok) return abandon(Atomics.load(ctrl, CTRL_ABORT) === 2 ? 'a worker failed' : 'a worker did not start or stalled');
  return mem;
}
