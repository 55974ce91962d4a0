/**
 * The Argon2 memory-filling kernel (RFC 9106 sections 3.2 steps 5-6, 3.4, 3.5): the
 * compression function G and the segment filler. It is the hot loop of Argon2id and is
 * shared verbatim by the main thread and the worker threads of crypto/argon2id.ts.
 *
 * `argon2Kernel` MUST stay self-contained (it references no identifier from outside its own
 * body, not even imports), because crypto/argon2id.ts ships its source text to worker
 * threads with `Function.prototype.toString`. That works unchanged after esbuild bundling.
 *
 * Memory layout: one Uint32Array, block b (1024 bytes = 128 64-bit words) at u32 offset
 * 256 * b; 64-bit word w of a block is the pair (low, high) at u32 offsets 2w, 2w + 1. Lane l,
 * column j is block l * laneLength + j. Words are numbers, not bytes, so the kernel is
 * independent of the host's byte order; only crypto/argon2id.ts converts to bytes.
 *
 * Speed: the permutation P keeps its sixteen 64-bit words in 32 local int32 variables (no
 * allocation, one load and one store per word); one function serves rows and columns, so
 * each thread's JIT compiles one large function, not three (on two cores the compile
 * threads compete with the filling threads). The BlaMka product 2 * lo(a) * lo(b) takes its
 * low half from Math.imul and its high half from the rounded double product: the double is
 * within 2^11 of the exact 64-bit product, so subtracting the exact low half and rounding
 * to the nearest multiple of 2^32 gives the exact high half. The first pass only stores to
 * never-touched memory, so each fresh page faults once (a read first would fault twice).
 */

/** Geometry and identity of one Argon2 run (RFC 9106 section 3.1 inputs after validation). */
export interface Argon2Geometry {
  /** p */
  readonly lanes: number;
  /** q = m' / p, blocks per lane */
  readonly laneLength: number;
  /** q / 4 */
  readonly segmentLength: number;
  /** m' = 4 * p * floor(m / 4p) */
  readonly memoryBlocks: number;
  /** t */
  readonly passes: number;
  /** y: 0 = Argon2d, 1 = Argon2i, 2 = Argon2id */
  readonly type: number;
}

export interface Argon2KernelApi {
  /** Fills segment `slice` of `lane` in pass `pass` (RFC 9106 section 3.4 with version 0x13). */
  fillSegment(mem: Uint32Array, g: Argon2Geometry, pass: number, slice: number, lane: number): void;
  /**
   * Runs every (pass, slice) step with `threads` threads sharing the work: within a step each
   * thread claims lanes one at a time (so a thread that starts late or is descheduled simply
   * fills fewer), then all meet at a barrier before the next slice. `ctrl` is an Int32Array
   * over shared memory: [0] slices completed, [1] arrivals, [2] abort flag (non-zero: stop at
   * the next check), [3] unused, [4 + step] the next unclaimed lane of each step.
   * Returns false when it stopped because of the abort flag. A barrier tolerates
   * `maxIdleWaits` consecutive `waitMs` waits without progress (`firstIdleWaits` at the first
   * barrier, where a slow thread start shows) before it sets the abort flag itself (a thread
   * died or never started); 0 means wait forever.
   */
  runLanes(mem: Uint32Array, g: Argon2Geometry, ctrl: Int32Array, threads: number, waitMs: number, firstIdleWaits: number, maxIdleWaits: number): boolean;
  /**
   * Runs the indexing of a tiny Argon2id fill (p = 2, 16 blocks, 2 passes; no compression)
   * on throwaway memory of the same kind (shared or not) as the real one, so every branch of
   * the segment loop has type feedback before the JIT optimizes it: without this, each
   * branch first taken mid-run (second slice, data-dependent addressing, second pass)
   * deoptimizes the hot loop once (20-45 ms each). Costs about a millisecond.
   */
  warmUp(shared: boolean): void;
  /** Zeroes the kernel's scratch blocks (they held memory-dependent words). */
  wipe(): void;
}

export function argon2Kernel(): Argon2KernelApi {
  const tmp = new Uint32Array(256);
  const addressBlock = new Uint32Array(256);
  const addressScratch = new Uint32Array(256);
  const inputBlock = new Uint32Array(256);
  const zeroBlock = new Uint32Array(256);
  const TWO32 = 4294967296;
  const PHASE = 0;
  const ARRIVED = 1;
  const ABORT = 2;
  const CLAIMS = 4;

  /** P over the 16 words at u32 offsets base + stride * j + 0..3 (j = 0..7) of v. */
  function permute(v: Uint32Array, base: number, stride: number): void {
    let l0 = v[base]!, h0 = v[base + 1]!;
    let l1 = v[base + 2]!, h1 = v[base + 3]!;
    let l2 = v[base + stride]!, h2 = v[base + stride + 1]!;
    let l3 = v[base + stride + 2]!, h3 = v[base + stride + 3]!;
    let l4 = v[base + 2 * stride]!, h4 = v[base + 2 * stride + 1]!;
    let l5 = v[base + 2 * stride + 2]!, h5 = v[base + 2 * stride + 3]!;
    let l6 = v[base + 3 * stride]!, h6 = v[base + 3 * stride + 1]!;
    let l7 = v[base + 3 * stride + 2]!, h7 = v[base + 3 * stride + 3]!;
    let l8 = v[base + 4 * stride]!, h8 = v[base + 4 * stride + 1]!;
    let l9 = v[base + 4 * stride + 2]!, h9 = v[base + 4 * stride + 3]!;
    let l10 = v[base + 5 * stride]!, h10 = v[base + 5 * stride + 1]!;
    let l11 = v[base + 5 * stride + 2]!, h11 = v[base + 5 * stride + 3]!;
    let l12 = v[base + 6 * stride]!, h12 = v[base + 6 * stride + 1]!;
    let l13 = v[base + 6 * stride + 2]!, h13 = v[base + 6 * stride + 3]!;
    let l14 = v[base + 7 * stride]!, h14 = v[base + 7 * stride + 1]!;
    let l15 = v[base + 7 * stride + 2]!, h15 = v[base + 7 * stride + 3]!;
    let ml = 0, mh = 0, rl = 0, xl = 0, xh = 0;
    // GB(v0, v4, v8, v12)
    ml = Math.imul(l0, l4);
    mh = (((l0 >>> 0) * (l4 >>> 0) - (ml >>> 0)) / 4294967296 + 0.5) | 0;
    rl = (l0 >>> 0) + (l4 >>> 0) + 2 * (ml >>> 0);
    h0 = (h0 + h4 + (mh << 1) + ((rl / 4294967296) | 0)) | 0;
    l0 = rl | 0;
    xl = l12 ^ l0;
    xh = h12 ^ h0;
    l12 = xh;
    h12 = xl;
    ml = Math.imul(l8, l12);
    mh = (((l8 >>> 0) * (l12 >>> 0) - (ml >>> 0)) / 4294967296 + 0.5) | 0;
    rl = (l8 >>> 0) + (l12 >>> 0) + 2 * (ml >>> 0);
    h8 = (h8 + h12 + (mh << 1) + ((rl / 4294967296) | 0)) | 0;
    l8 = rl | 0;
    xl = l4 ^ l8;
    xh = h4 ^ h8;
    l4 = (xl >>> 24) | (xh << 8);
    h4 = (xh >>> 24) | (xl << 8);
    ml = Math.imul(l0, l4);
    mh = (((l0 >>> 0) * (l4 >>> 0) - (ml >>> 0)) / 4294967296 + 0.5) | 0;
    rl = (l0 >>> 0) + (l4 >>> 0) + 2 * (ml >>> 0);
    h0 = (h0 + h4 + (mh << 1) + ((rl / 4294967296) | 0)) | 0;
    l0 = rl | 0;
    xl = l12 ^ l0;
    xh = h12 ^ h0;
    l12 = (xl >>> 16) | (xh << 16);
    h12 = (xh >>> 16) | (xl << 16);
    ml = Math.imul(l8, l12);
    mh = (((l8 >>> 0) * (l12 >>> 0) - (ml >>> 0)) / 4294967296 + 0.5) | 0;
    rl = (l8 >>> 0) + (l12 >>> 0) + 2 * (ml >>> 0);
    h8 = (h8 + h12 + (mh << 1) + ((rl / 4294967296) | 0)) | 0;
    l8 = rl | 0;
    xl = l4 ^ l8;
    xh = h4 ^ h8;
    l4 = (xl << 1) | (xh >>> 31);
    h4 = (xh << 1) | (xl >>> 31);
    // GB(v1, v5, v9, v13)
    ml = Math.imul(l1, l5);
    mh = (((l1 >>> 0) * (l5 >>> 0) - (ml >>> 0)) / 4294967296 + 0.5) | 0;
    rl = (l1 >>> 0) + (l5 >>> 0) + 2 * (ml >>> 0);
    h1 = (h1 + h5 + (mh << 1) + ((rl / 4294967296) | 0)) | 0;
    l1 = rl | 0;
    xl = l13 ^ l1;
    xh = h13 ^ h1;
    l13 = xh;
    h13 = xl;
    ml = Math.imul(l9, l13);
    mh = (((l9 >>> 0) * (l13 >>> 0) - (ml >>> 0)) / 4294967296 + 0.5) | 0;
    rl = (l9 >>> 0) + (l13 >>> 0) + 2 * (ml >>> 0);
    h9 = (h9 + h13 + (mh << 1) + ((rl / 4294967296) | 0)) | 0;
    l9 = rl | 0;
    xl = l5 ^ l9;
    xh = h5 ^ h9;
    l5 = (xl >>> 24) | (xh << 8);
    h5 = (xh >>> 24) | (xl << 8);
    ml = Math.imul(l1, l5);
    mh = (((l1 >>> 0) * (l5 >>> 0) - (ml >>> 0)) / 4294967296 + 0.5) | 0;
    rl = (l1 >>> 0) + (l5 >>> 0) + 2 * (ml >>> 0);
    h1 = (h1 + h5 + (mh << 1) + ((rl / 4294967296) | 0)) | 0;
    l1 = rl | 0;
    xl = l13 ^ l1;
    xh = h13 ^ h1;
    l13 = (xl >>> 16) | (xh << 16);
    h13 = (xh >>> 16) | (xl << 16);
    ml = Math.imul(l9, l13);
    mh = (((l9 >>> 0) * (l13 >>> 0) - (ml >>> 0)) / 4294967296 + 0.5) | 0;
    rl = (l9 >>> 0) + (l13 >>> 0) + 2 * (ml >>> 0);
    h9 = (h9 + h13 + (mh << 1) + ((rl / 4294967296) | 0)) | 0;
    l9 = rl | 0;
    xl = l5 ^ l9;
    xh = h5 ^ h9;
    l5 = (xl << 1) | (xh >>> 31);
    h5 = (xh << 1) | (xl >>> 31);
    // GB(v2, v6, v10, v14)
    ml = Math.imul(l2, l6);
    mh = (((l2 >>> 0) * (l6 >>> 0) - (ml >>> 0)) / 4294967296 + 0.5) | 0;
    rl = (l2 >>> 0) + (l6 >>> 0) + 2 * (ml >>> 0);
    h2 = (h2 + h6 + (mh << 1) + ((rl / 4294967296) | 0)) | 0;
    l2 = rl | 0;
    xl = l14 ^ l2;
    xh = h14 ^ h2;
    l14 = xh;
    h14 = xl;
    ml = Math.imul(l10, l14);
    mh = (((l10 >>> 0) * (l14 >>> 0) - (ml >>> 0)) / 4294967296 + 0.5) | 0;
    rl = (l10 >>> 0) + (l14 >>> 0) + 2 * (ml >>> 0);
    h10 = (h10 + h14 + (mh << 1) + ((rl / 4294967296) | 0)) | 0;
    l10 = rl | 0;
    xl = l6 ^ l10;
    xh = h6 ^ h10;
    l6 = (xl >>> 24) | (xh << 8);
    h6 = (xh >>> 24) | (xl << 8);
    ml = Math.imul(l2, l6);
    mh = (((l2 >>> 0) * (l6 >>> 0) - (ml >>> 0)) / 4294967296 + 0.5) | 0;
    rl = (l2 >>> 0) + (l6 >>> 0) + 2 * (ml >>> 0);
    h2 = (h2 + h6 + (mh << 1) + ((rl / 4294967296) | 0)) | 0;
    l2 = rl | 0;
    xl = l14 ^ l2;
    xh = h14 ^ h2;
    l14 = (xl >>> 16) | (xh << 16);
    h14 = (xh >>> 16) | (xl << 16);
    ml = Math.imul(l10, l14);
    mh = (((l10 >>> 0) * (l14 >>> 0) - (ml >>> 0)) / 4294967296 + 0.5) | 0;
    rl = (l10 >>> 0) + (l14 >>> 0) + 2 * (ml >>> 0);
    h10 = (h10 + h14 + (mh << 1) + ((rl / 4294967296) | 0)) | 0;
    l10 = rl | 0;
    xl = l6 ^ l10;
    xh = h6 ^ h10;
    l6 = (xl << 1) | (xh >>> 31);
    h6 = (xh << 1) | (xl >>> 31);
    // GB(v3, v7, v11, v15)
    ml = Math.imul(l3, l7);
    mh = (((l3 >>> 0) * (l7 >>> 0) - (ml >>> 0)) / 4294967296 + 0.5) | 0;
    rl = (l3 >>> 0) + (l7 >>> 0) + 2 * (ml >>> 0);
    h3 = (h3 + h7 + (mh << 1) + ((rl / 4294967296) | 0)) | 0;
    l3 = rl | 0;
    xl = l15 ^ l3;
    xh = h15 ^ h3;
    l15 = xh;
    h15 = xl;
    ml = Math.imul(l11, l15);
    mh = (((l11 >>> 0) * (l15 >>> 0) - (ml >>> 0)) / 4294967296 + 0.5) | 0;
    rl = (l11 >>> 0) + (l15 >>> 0) + 2 * (ml >>> 0);
    h11 = (h11 + h15 + (mh << 1) + ((rl / 4294967296) | 0)) | 0;
    l11 = rl | 0;
    xl = l7 ^ l11;
    xh = h7 ^ h11;
    l7 = (xl >>> 24) | (xh << 8);
    h7 = (xh >>> 24) | (xl << 8);
    ml = Math.imul(l3, l7);
    mh = (((l3 >>> 0) * (l7 >>> 0) - (ml >>> 0)) / 4294967296 + 0.5) | 0;
    rl = (l3 >>> 0) + (l7 >>> 0) + 2 * (ml >>> 0);
    h3 = (h3 + h7 + (mh << 1) + ((rl / 4294967296) | 0)) | 0;
    l3 = rl | 0;
    xl = l15 ^ l3;
    xh = h15 ^ h3;
    l15 = (xl >>> 16) | (xh << 16);
    h15 = (xh >>> 16) | (xl << 16);
    ml = Math.imul(l11, l15);
    mh = (((l11 >>> 0) * (l15 >>> 0) - (ml >>> 0)) / 4294967296 + 0.5) | 0;
    rl = (l11 >>> 0) + (l15 >>> 0) + 2 * (ml >>> 0);
    h11 = (h11 + h15 + (mh << 1) + ((rl / 4294967296) | 0)) | 0;
    l11 = rl | 0;
    xl = l7 ^ l11;
    xh = h7 ^ h11;
    l7 = (xl << 1) | (xh >>> 31);
    h7 = (xh << 1) | (xl >>> 31);
    // GB(v0, v5, v10, v15)
    ml = Math.imul(l0, l5);
    mh = (((l0 >>> 0) * (l5 >>> 0) - (ml >>> 0)) / 4294967296 + 0.5) | 0;
    rl = (l0 >>> 0) + (l5 >>> 0) + 2 * (ml >>> 0);
    h0 = (h0 + h5 + (mh << 1) + ((rl / 4294967296) | 0)) | 0;
    l0 = rl | 0;
    xl = l15 ^ l0;
    xh = h15 ^ h0;
    l15 = xh;
    h15 = xl;
    ml = Math.imul(l10, l15);
    mh = (((l10 >>> 0) * (l15 >>> 0) - (ml >>> 0)) / 4294967296 + 0.5) | 0;
    rl = (l10 >>> 0) + (l15 >>> 0) + 2 * (ml >>> 0);
    h10 = (h10 + h15 + (mh << 1) + ((rl / 4294967296) | 0)) | 0;
    l10 = rl | 0;
    xl = l5 ^ l10;
    xh = h5 ^ h10;
    l5 = (xl >>> 24) | (xh << 8);
    h5 = (xh >>> 24) | (xl << 8);
    ml = Math.imul(l0, l5);
    mh = (((l0 >>> 0) * (l5 >>> 0) - (ml >>> 0)) / 4294967296 + 0.5) | 0;
    rl = (l0 >>> 0) + (l5 >>> 0) + 2 * (ml >>> 0);
    h0 = (h0 + h5 + (mh << 1) + ((rl / 4294967296) | 0)) | 0;
    l0 = rl | 0;
    xl = l15 ^ l0;
    xh = h15 ^ h0;
    l15 = (xl >>> 16) | (xh << 16);
    h15 = (xh >>> 16) | (xl << 16);
    ml = Math.imul(l10, l15);
    mh = (((l10 >>> 0) * (l15 >>> 0) - (ml >>> 0)) / 4294967296 + 0.5) | 0;
    rl = (l10 >>> 0) + (l15 >>> 0) + 2 * (ml >>> 0);
    h10 = (h10 + h15 + (mh << 1) + ((rl / 4294967296) | 0)) | 0;
    l10 = rl | 0;
    xl = l5 ^ l10;
    xh = h5 ^ h10;
    l5 = (xl << 1) | (xh >>> 31);
    h5 = (xh << 1) | (xl >>> 31);
    // GB(v1, v6, v11, v12)
    ml = Math.imul(l1, l6);
    mh = (((l1 >>> 0) * (l6 >>> 0) - (ml >>> 0)) / 4294967296 + 0.5) | 0;
    rl = (l1 >>> 0) + (l6 >>> 0) + 2 * (ml >>> 0);
    h1 = (h1 + h6 + (mh << 1) + ((rl / 4294967296) | 0)) | 0;
    l1 = rl | 0;
    xl = l12 ^ l1;
    xh = h12 ^ h1;
    l12 = xh;
    h12 = xl;
    ml = Math.imul(l11, l12);
    mh = (((l11 >>> 0) * (l12 >>> 0) - (ml >>> 0)) / 4294967296 + 0.5) | 0;
    rl = (l11 >>> 0) + (l12 >>> 0) + 2 * (ml >>> 0);
    h11 = (h11 + h12 + (mh << 1) + ((rl / 4294967296) | 0)) | 0;
    l11 = rl | 0;
    xl = l6 ^ l11;
    xh = h6 ^ h11;
    l6 = (xl >>> 24) | (xh << 8);
    h6 = (xh >>> 24) | (xl << 8);
    ml = Math.imul(l1, l6);
    mh = (((l1 >>> 0) * (l6 >>> 0) - (ml >>> 0)) / 4294967296 + 0.5) | 0;
    rl = (l1 >>> 0) + (l6 >>> 0) + 2 * (ml >>> 0);
    h1 = (h1 + h6 + (mh << 1) + ((rl / 4294967296) | 0)) | 0;
    l1 = rl | 0;
    xl = l12 ^ l1;
    xh = h12 ^ h1;
    l12 = (xl >>> 16) | (xh << 16);
    h12 = (xh >>> 16) | (xl << 16);
    ml = Math.imul(l11, l12);
    mh = (((l11 >>> 0) * (l12 >>> 0) - (ml >>> 0)) / 4294967296 + 0.5) | 0;
    rl = (l11 >>> 0) + (l12 >>> 0) + 2 * (ml >>> 0);
    h11 = (h11 + h12 + (mh << 1) + ((rl / 4294967296) | 0)) | 0;
    l11 = rl | 0;
    xl = l6 ^ l11;
    xh = h6 ^ h11;
    l6 = (xl << 1) | (xh >>> 31);
    h6 = (xh << 1) | (xl >>> 31);
    // GB(v2, v7, v8, v13)
    ml = Math.imul(l2, l7);
    mh = (((l2 >>> 0) * (l7 >>> 0) - (ml >>> 0)) / 4294967296 + 0.5) | 0;
    rl = (l2 >>> 0) + (l7 >>> 0) + 2 * (ml >>> 0);
    h2 = (h2 + h7 + (mh << 1) + ((rl / 4294967296) | 0)) | 0;
    l2 = rl | 0;
    xl = l13 ^ l2;
    xh = h13 ^ h2;
    l13 = xh;
    h13 = xl;
    ml = Math.imul(l8, l13);
    mh = (((l8 >>> 0) * (l13 >>> 0) - (ml >>> 0)) / 4294967296 + 0.5) | 0;
    rl = (l8 >>> 0) + (l13 >>> 0) + 2 * (ml >>> 0);
    h8 = (h8 + h13 + (mh << 1) + ((rl / 4294967296) | 0)) | 0;
    l8 = rl | 0;
    xl = l7 ^ l8;
    xh = h7 ^ h8;
    l7 = (xl >>> 24) | (xh << 8);
    h7 = (xh >>> 24) | (xl << 8);
    ml = Math.imul(l2, l7);
    mh = (((l2 >>> 0) * (l7 >>> 0) - (ml >>> 0)) / 4294967296 + 0.5) | 0;
    rl = (l2 >>> 0) + (l7 >>> 0) + 2 * (ml >>> 0);
    h2 = (h2 + h7 + (mh << 1) + ((rl / 4294967296) | 0)) | 0;
    l2 = rl | 0;
    xl = l13 ^ l2;
    xh = h13 ^ h2;
    l13 = (xl >>> 16) | (xh << 16);
    h13 = (xh >>> 16) | (xl << 16);
    ml = Math.imul(l8, l13);
    mh = (((l8 >>> 0) * (l13 >>> 0) - (ml >>> 0)) / 4294967296 + 0.5) | 0;
    rl = (l8 >>> 0) + (l13 >>> 0) + 2 * (ml >>> 0);
    h8 = (h8 + h13 + (mh << 1) + ((rl / 4294967296) | 0)) | 0;
    l8 = rl | 0;
    xl = l7 ^ l8;
    xh = h7 ^ h8;
    l7 = (xl << 1) | (xh >>> 31);
    h7 = (xh << 1) | (xl >>> 31);
    // GB(v3, v4, v9, v14)
    ml = Math.imul(l3, l4);
    mh = (((l3 >>> 0) * (l4 >>> 0) - (ml >>> 0)) / 4294967296 + 0.5) | 0;
    rl = (l3 >>> 0) + (l4 >>> 0) + 2 * (ml >>> 0);
    h3 = (h3 + h4 + (mh << 1) + ((rl / 4294967296) | 0)) | 0;
    l3 = rl | 0;
    xl = l14 ^ l3;
    xh = h14 ^ h3;
    l14 = xh;
    h14 = xl;
    ml = Math.imul(l9, l14);
    mh = (((l9 >>> 0) * (l14 >>> 0) - (ml >>> 0)) / 4294967296 + 0.5) | 0;
    rl = (l9 >>> 0) + (l14 >>> 0) + 2 * (ml >>> 0);
    h9 = (h9 + h14 + (mh << 1) + ((rl / 4294967296) | 0)) | 0;
    l9 = rl | 0;
    xl = l4 ^ l9;
    xh = h4 ^ h9;
    l4 = (xl >>> 24) | (xh << 8);
    h4 = (xh >>> 24) | (xl << 8);
    ml = Math.imul(l3, l4);
    mh = (((l3 >>> 0) * (l4 >>> 0) - (ml >>> 0)) / 4294967296 + 0.5) | 0;
    rl = (l3 >>> 0) + (l4 >>> 0) + 2 * (ml >>> 0);
    h3 = (h3 + h4 + (mh << 1) + ((rl / 4294967296) | 0)) | 0;
    l3 = rl | 0;
    xl = l14 ^ l3;
    xh = h14 ^ h3;
    l14 = (xl >>> 16) | (xh << 16);
    h14 = (xh >>> 16) | (xl << 16);
    ml = Math.imul(l9, l14);
    mh = (((l9 >>> 0) * (l14 >>> 0) - (ml >>> 0)) / 4294967296 + 0.5) | 0;
    rl = (l9 >>> 0) + (l14 >>> 0) + 2 * (ml >>> 0);
    h9 = (h9 + h14 + (mh << 1) + ((rl / 4294967296) | 0)) | 0;
    l9 = rl | 0;
    xl = l4 ^ l9;
    xh = h4 ^ h9;
    l4 = (xl << 1) | (xh >>> 31);
    h4 = (xh << 1) | (xl >>> 31);
    v[base] = l0;
    v[base + 1] = h0;
    v[base + 2] = l1;
    v[base + 3] = h1;
    v[base + stride] = l2;
    v[base + stride + 1] = h2;
    v[base + stride + 2] = l3;
    v[base + stride + 3] = h3;
    v[base + 2 * stride] = l4;
    v[base + 2 * stride + 1] = h4;
    v[base + 2 * stride + 2] = l5;
    v[base + 2 * stride + 3] = h5;
    v[base + 3 * stride] = l6;
    v[base + 3 * stride + 1] = h6;
    v[base + 3 * stride + 2] = l7;
    v[base + 3 * stride + 3] = h7;
    v[base + 4 * stride] = l8;
    v[base + 4 * stride + 1] = h8;
    v[base + 4 * stride + 2] = l9;
    v[base + 4 * stride + 3] = h9;
    v[base + 5 * stride] = l10;
    v[base + 5 * stride + 1] = h10;
    v[base + 5 * stride + 2] = l11;
    v[base + 5 * stride + 3] = h11;
    v[base + 6 * stride] = l12;
    v[base + 6 * stride + 1] = h12;
    v[base + 6 * stride + 2] = l13;
    v[base + 6 * stride + 3] = h13;
    v[base + 7 * stride] = l14;
    v[base + 7 * stride + 1] = h14;
    v[base + 7 * stride + 2] = l15;
    v[base + 7 * stride + 3] = h15;
  }


  /**
   * G(a, b) = P(a ^ b) ^ (a ^ b) (RFC 9106 section 3.5): `fresh` stores it into `out`, otherwise
   * it is XORed into `out` (version 0x13 passes after the first). Offsets are u32 offsets;
   * `out` must alias neither input block.
   */
  function compress(a: Uint32Array, aOff: number, b: Uint32Array, bOff: number, out: Uint32Array, outOff: number, fresh: boolean): void {
    const r = tmp;
    if (fresh) {
      for (let i = 0; i < 256; i++) {
        const x = a[aOff + i]! ^ b[bOff + i]!;
        r[i] = x;
        out[outOff + i] = x;
      }
    } else {
      for (let i = 0; i < 256; i++) {
        const x = a[aOff + i]! ^ b[bOff + i]!;
        r[i] = x;
        out[outOff + i] = out[outOff + i]! ^ x;
      }
    }
    for (let row = 0; row < 256; row += 32) permute(r, row, 4);
    for (let col = 0; col < 32; col += 4) permute(r, col, 32);
    for (let i = 0; i < 256; i++) out[outOff + i] = out[outOff + i]! ^ r[i]!;
  }

  /**
   * floor(ua * ub / 2^32), exactly, for the unsigned readings ua, ub of the 32-bit words a, b.
   * Callers pass int32 words (`| 0`): keeping values >= 2^31 out of integer-typed variables
   * spares the JIT a deoptimization when the first one shows up.
   */
  function mulHigh(a: number, b: number): number {
    const ua = a >>> 0;
    const ub = b >>> 0;
    const lo = Math.imul(ua, ub) >>> 0;
    return ((ua * ub - lo) / TWO32 + 0.5) >>> 0;
  }

  /** Next block of pseudo-random addresses for data-independent addressing (section 3.4.1.2). */
  function nextAddresses(): void {
    inputBlock[12] = (inputBlock[12]! + 1) | 0; // counter, word 6 (low half; it never exceeds 2^32)
    // XOR into zeroed scratch rather than store: same result, and compress's XOR branch gets
    // type feedback during the first pass instead of deoptimizing the loop when pass 2 starts.
    addressScratch.fill(0);
    compress(zeroBlock, 0, inputBlock, 0, addressScratch, 0, false);
    addressBlock.fill(0);
    compress(zeroBlock, 0, addressScratch, 0, addressBlock, 0, false);
  }

  /**
   * Section 3.4 for one segment. `dry` runs only the indexing (no compression, no address
   * blocks): warmUp uses it to give the JIT type feedback for every branch cheaply.
   */
  function fillSegment(mem: Uint32Array, g: Argon2Geometry, pass: number, slice: number, lane: number, dry: boolean): void {
    const { laneLength, segmentLength, lanes } = g;
    const dataIndependent = g.type === 1 || (g.type === 2 && pass === 0 && slice < 2);
    if (dataIndependent) {
      inputBlock.fill(0);
      inputBlock[0] = pass;
      inputBlock[2] = lane;
      inputBlock[4] = slice;
      inputBlock[6] = g.memoryBlocks;
      inputBlock[8] = g.passes;
      inputBlock[10] = g.type;
    }
    const startIndex = pass === 0 && slice === 0 ? 2 : 0;
    if (dataIndependent && startIndex === 2 && !dry) nextAddresses();
    let curr = lane * laneLength + slice * segmentLength + startIndex;
    let prev = curr % laneLength === 0 ? curr + laneLength - 1 : curr - 1;
    for (let i = startIndex; i < segmentLength; i++, curr++, prev++) {
      if (curr % laneLength === 1) prev = curr - 1;
      let j1: number;
      let j2: number;
      if (dataIndependent) {
        if (i % 128 === 0 && !dry) nextAddresses();
        j1 = addressBlock[2 * (i % 128)]! | 0;
        j2 = addressBlock[2 * (i % 128) + 1]! | 0;
      } else {
        j1 = mem[256 * prev]! | 0;
        j2 = mem[256 * prev + 1]! | 0;
      }
      // J2 mod p via 16-bit halves: every intermediate stays a small integer (p <= 64), so the
      // JIT never has to treat J2 >= 2^31 as a double here.
      const refLane = pass === 0 && slice === 0 ? lane : ((((j2 >>> 16) % lanes) << 16) + (j2 & 0xffff)) % lanes;
      const sameLane = refLane === lane;
      // Section 3.4.2: the reference set W and the mapping of J1 onto it.
      let area: number;
      if (pass === 0) {
        if (slice === 0) area = i - 1;
        else if (sameLane) area = slice * segmentLength + i - 1;
        else area = slice * segmentLength + (i === 0 ? -1 : 0);
      } else if (sameLane) area = laneLength - segmentLength + i - 1;
      else area = laneLength - segmentLength + (i === 0 ? -1 : 0);
      const x = mulHigh(j1, j1);
      const rel = area - 1 - mulHigh(area, x);
      const start = pass !== 0 && slice !== 3 ? (slice + 1) * segmentLength : 0;
      const ref = refLane * laneLength + ((start + rel) % laneLength);
      if (!dry) compress(mem, 256 * prev, mem, 256 * ref, mem, 256 * curr, pass === 0);
    }
  }

  function runLanes(mem: Uint32Array, g: Argon2Geometry, ctrl: Int32Array, threads: number, waitMs: number, firstIdleWaits: number, maxIdleWaits: number): boolean {
    const steps = g.passes * 4;
    for (let step = 0; step < steps; step++) {
      if (Atomics.load(ctrl, ABORT) !== 0) return false;
      const pass = step >> 2;
      const slice = step & 3;
      for (;;) {
        const lane = Atomics.add(ctrl, CLAIMS + step, 1);
        if (lane >= g.lanes) break;
        fillSegment(mem, g, pass, slice, lane, false);
        if (Atomics.load(ctrl, ABORT) !== 0) return false;
      }
      const arrived = Atomics.add(ctrl, ARRIVED, 1) + 1;
      if (arrived === (step + 1) * threads) {
        Atomics.store(ctrl, PHASE, step + 1);
        Atomics.notify(ctrl, PHASE);
        continue;
      }
      let idle = 0;
      const limit = step === 0 ? firstIdleWaits : maxIdleWaits;
      while (Atomics.load(ctrl, PHASE) <= step) {
        if (Atomics.load(ctrl, ABORT) !== 0) return false;
        if (Atomics.wait(ctrl, PHASE, step, waitMs) === 'timed-out' && limit > 0 && ++idle >= limit) {
          Atomics.store(ctrl, ABORT, 1);
          Atomics.notify(ctrl, PHASE);
          return false;
        }
      }
    }
    return Atomics.load(ctrl, ABORT) === 0;
  }

  function warmUp(shared: boolean): void {
    const g: Argon2Geometry = { lanes: 2, laneLength: 8, segmentLength: 2, memoryBlocks: 16, passes: 2, type: 2 };
    const words = 256 * g.memoryBlocks;
    const mem = new Uint32Array(shared && typeof SharedArrayBuffer === 'function' ? new SharedArrayBuffer(4 * words) : new ArrayBuffer(4 * words));
    // Words of every size (>= 2^31 included), as real blocks and address blocks hold.
    let x = 0x9e3779b9;
    for (let i = 0; i < words; i++) mem[i] = x = (Math.imul(x, 1664525) + 1013904223) | 0;
    for (let i = 0; i < 256; i++) addressBlock[i] = mem[i]!;
    // Several rounds: V8 allocates a function's feedback vector only after its first calls.
    for (let round = 0; round < 8; round++) {
      for (let pass = 0; pass < g.passes; pass++) {
        for (let slice = 0; slice < 4; slice++) {
          for (let lane = 0; lane < g.lanes; lane++) fillSegment(mem, g, pass, slice, lane, true);
        }
      }
    }
    wipe();
  }

  function wipe(): void {
    tmp.fill(0);
    addressBlock.fill(0);
    addressScratch.fill(0);
    inputBlock.fill(0);
  }

  return { fillSegment: (mem, g, pass, slice, lane) => fillSegment(mem, g, pass, slice, lane, false), runLanes, warmUp, wipe };
}
