// Greedy coreset sampling for the PatchCore memory bank, in the native addon, off the JS thread.
//
//   (a) approximateGreedyCoreset: patchcore-inspection's ApproximateGreedyCoresetSampler. Random projection to
//       projectionDim (none when cols === projectionDim), numStarts random starting points whose MEAN distance is
//       every point's initial value (they are not selected), then `count` times: select the argmax (smallest index on
//       ties), lower every value to its distance to the selected point. One fused SIMD pass per iteration.
//   (c) prunedGreedyCoreset: selects exactly what (a) selects on the same options and seed, but skips the work the
//       triangle inequality proves useless (ball tree of the projected points, per-node maxima, annulus scans).
//       It computes 3–4× fewer distances, but on real patch features its scattered reads made it slower than (a)
//       over float16 storage, which the fit therefore uses (electron/engine/bank/backends.ts).
//   (b) exactGreedyCoreset: the same rule in float64 on the full dimension (no projection, no storage choice),
//       brute force: the reference for tests on small N.
//
// Determinism: the seed drives SplitMix64 streams documented in native/src/coreset.h (projection matrix and starting
// points); the distance kernels give bit-identical results on AVX-512, AVX2 and scalar CPUs, so one seed gives one
// coreset everywhere. randomProjection() exposes the very projection (a)/(c) apply, so a streaming bank can project
// chunks itself and later call (a)/(c) with projectionDim === cols on the projected rows, with the same result.
//
// radius: max over all points of the Euclidean distance, in the stored (projected) space, to the nearest SELECTED
// point. The running greedy value is only an upper-bounded proxy for points never lowered below their initial mean
// distance, so those get an exact search at the end; radius is the true coverage radius.
//
// The caller's typed array is read by a worker thread while the promise is pending: do not transfer or detach its
// buffer until the promise settles (modifying it meanwhile gives unspecified, but memory-safe, results).
import { binding } from './binding';
import type { RawCoresetResult, RawCoresetStats, RawGreedyParams } from './raw-coreset';

/** Row-major features; a Uint16Array holds IEEE binary16 (float16) bit patterns. */
export interface FeatureMatrix {
  data: Float32Array | Uint16Array;
  rows: number;
  cols: number;
}

export interface GreedyOptions {
  /** Selected count = Math.round(rows * ratio); ratio in (0, 1]. Exactly one of ratio / count. */
  ratio?: number;
  /** Selected count, in [1, rows]. */
  count?: number;
  /** Dimension of the random projection; default 128; no projection when cols === projectionDim. Ignored by (b). */
  projectionDim?: number;
  /** Random starting points whose mean distance initialises every value; default 10 (clipped to rows). */
  numStarts?: number;
  /** Integer in [0, 2^53); default 0. Same seed => same projection, same starts, same result. */
  seed?: number;
  /**
   * Precision of the stored projected points that every distance reads, for (a) and (c) alike (so they stay
   * identical to each other). Default 'float32' (closest to the float32 reference); 'float16' halves the memory
   * traffic, which dominates (a). Values must then fit float16 (|v| <= 65504). Ignored by (b).
   */
  storage?: 'float32' | 'float16';
  /** Rejects the promise with an Error named 'AbortError' soon after it fires. */
  signal?: AbortSignal;
  /** Selected so far / to select; at most ~20 calls per second plus a final (total, total), on the JS thread. */
  onProgress?: (done: number, total: number) => void;
  /** (c) only, tuning: points per ball-tree leaf (default 64). */
  leafSize?: number;
}

export type CoresetStats = RawCoresetStats;

export interface CoresetResult {
  /** Selected row numbers, in selection order, all distinct. */
  indices: Uint32Array;
  /** Coverage radius: max over rows of the distance to the nearest selected row (see the file comment). */
  radius: number;
  /** Diagnostics: phase timings, distances computed, instruction set. */
  stats: CoresetStats;
}

const OPTION_KEYS = new Set(['ratio', 'count', 'projectionDim', 'numStarts', 'seed', 'storage', 'signal', 'onProgress', 'leafSize']);
const MAX_DIM = 16384;

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

function checkFeatures(x: FeatureMatrix, what: string): void {
  if (typeof x !== 'object' || x === null) throw new TypeError(`${what}: features must be { data, rows, cols }`);
  const { data, rows, cols } = x;
  if (!(data instanceof Float32Array) && !(data instanceof Uint16Array)) {
    throw new TypeError(`${what}: features.data must be a Float32Array (float32) or a Uint16Array (float16 bits)`);
  }
  if (!isInt(rows) || rows < 1 || rows > 0xffffffff) {
    throw new RangeError(`${what}: features.rows must be an integer in [1, 2^32), got ${String(rows)}`);
  }
  if (!isInt(cols) || cols < 1 || cols > 1048576) {
    throw new RangeError(`${what}: features.cols must be an integer in [1, 2^20], got ${String(cols)}`);
  }
  if (rows * cols !== data.length) {
    throw new RangeError(
      `${what}: features.rows * features.cols (${rows} * ${cols} = ${rows * cols}) must equal features.data.length (${data.length})`,
    );
  }
}

function checkSeed(seed: unknown, what: string): number {
  if (seed === undefined) return 0;
  if (!isInt(seed) || seed < 0) throw new RangeError(`${what}: seed must be an integer in [0, 2^53), got ${String(seed)}`);
  return seed;
}

function checkDim(dim: unknown, name: string, what: string): number {
  if (!isInt(dim) || dim < 1 || dim > MAX_DIM) {
    throw new RangeError(`${what}: ${name} must be an integer in [1, ${MAX_DIM}], got ${String(dim)}`);
  }
  return dim;
}

function selectedCount(rows: number, opts: GreedyOptions, what: string): number {
  const hasRatio = opts.ratio !== undefined;
  const hasCount = opts.count !== undefined;
  if (hasRatio === hasCount) throw new TypeError(`${what}: pass exactly one of ratio and count`);
  if (hasCount) {
    if (!isInt(opts.count) || opts.count < 1 || opts.count > rows) {
      throw new RangeError(`${what}: count must be an integer in [1, rows = ${rows}], got ${String(opts.count)}`);
    }
    return opts.count;
  }
  const ratio = opts.ratio;
  if (typeof ratio !== 'number' || !Number.isFinite(ratio) || ratio <= 0 || ratio > 1) {
    throw new RangeError(`${what}: ratio must be a number in (0, 1], got ${String(ratio)}`);
  }
  const count = Math.round(rows * ratio);
  if (count < 1) throw new RangeError(`${what}: ratio ${ratio} of ${rows} rows selects no point; raise ratio or pass count`);
  return count;
}

function toParams(x: FeatureMatrix, opts: GreedyOptions, what: string): RawGreedyParams {
  checkFeatures(x, what);
  if (typeof opts !== 'object' || opts === null) throw new TypeError(`${what}: options must be an object`);
  for (const key of Object.keys(opts)) {
    if (!OPTION_KEYS.has(key)) throw new TypeError(`${what}: unknown option '${key}' (known: ${[...OPTION_KEYS].join(', ')})`);
  }
  const count = selectedCount(x.rows, opts, what);
  const projectionDim = opts.projectionDim === undefined ? 128 : checkDim(opts.projectionDim, 'projectionDim', what);
  const numStarts = opts.numStarts ?? 10;
  if (!isInt(numStarts) || numStarts < 1) throw new RangeError(`${what}: numStarts must be a positive integer, got ${String(numStarts)}`);
  const storage = opts.storage ?? 'float32';
  if (storage !== 'float32' && storage !== 'float16') {
    throw new TypeError(`${what}: storage must be 'float32' or 'float16', got ${String(storage)}`);
  }
  if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal)) throw new TypeError(`${what}: signal must be an AbortSignal`);
  if (opts.onProgress !== undefined && typeof opts.onProgress !== 'function') throw new TypeError(`${what}: onProgress must be a function`);
  const params: RawGreedyParams = { count, projectionDim, numStarts, seed: checkSeed(opts.seed, what), storage };
  if (opts.leafSize !== undefined) {
    if (!isInt(opts.leafSize) || opts.leafSize < 4 || opts.leafSize > 65536) {
      throw new RangeError(`${what}: leafSize must be an integer in [4, 65536], got ${String(opts.leafSize)}`);
    }
    params.leafSize = opts.leafSize;
  }
  return params;
}

function abortError(signal: AbortSignal): Error {
  const err = new Error('The operation was aborted', { cause: signal.reason });
  err.name = 'AbortError';
  return err;
}

async function runGreedy(method: 'approximate' | 'pruned' | 'exact', what: string, x: FeatureMatrix, opts: GreedyOptions): Promise<CoresetResult> {
  const params = toParams(x, opts, what);
  const { signal, onProgress } = opts;
  if (signal?.aborted) throw abortError(signal);
  const raw = binding();
  const token = new raw.CancelToken();
  const onAbort = () => token.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  // A throwing callback must not reach C++: it cancels the work and becomes the rejection.
  let callbackError: { error: unknown } | undefined;
  const progress = onProgress
    ? (done: number, total: number) => {
        if (callbackError) return;
        try {
          onProgress(done, total);
        } catch (error) {
          callbackError = { error };
          token.cancel();
        }
      }
    : undefined;
  let result: RawCoresetResult;
  try {
    result = await raw.coresetGreedy(method, x.data, x.rows, x.cols, params, token, progress);
  } catch (err) {
    if (callbackError) throw callbackError.error;
    if (signal?.aborted) throw abortError(signal);
    throw err instanceof Error ? new Error(`${what}: ${err.message}`, { cause: err }) : err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (callbackError) throw callbackError.error;
  return result;
}

/** (a) patchcore-inspection's approximate greedy coreset. */
export function approximateGreedyCoreset(x: FeatureMatrix, opts: GreedyOptions): Promise<CoresetResult> {
  return runGreedy('approximate', 'approximateGreedyCoreset', x, opts);
}

/** (c) the same selections as (a), much faster for large N. */
export function prunedGreedyCoreset(x: FeatureMatrix, opts: GreedyOptions): Promise<CoresetResult> {
  return runGreedy('pruned', 'prunedGreedyCoreset', x, opts);
}

/** (b) float64 brute force on the full dimension, for tests on small N (projectionDim and storage are ignored). */
export function exactGreedyCoreset(x: FeatureMatrix, opts: GreedyOptions): Promise<CoresetResult> {
  return runGreedy('exact', 'exactGreedyCoreset', x, opts);
}

/**
 * The projection (a)/(c) apply for this seed: rows x dim float32, row-major; a float32 copy when dim === cols.
 * Row i depends only on row i, dim and the seed, so chunks can be projected separately.
 */
export async function randomProjection(x: FeatureMatrix, dim: number, seed: number): Promise<Float32Array> {
  const what = 'randomProjection';
  checkFeatures(x, what);
  checkDim(dim, 'dim', what);
  checkSeed(seed, what);
  if (x.rows * dim > 0xffffffff) throw new RangeError(`${what}: rows * dim (${x.rows * dim}) exceeds the largest Float32Array`);
  try {
    return await binding().coresetProject(x.data, x.rows, x.cols, dim, seed);
  } catch (err) {
    throw err instanceof Error ? new Error(`${what}: ${err.message}`, { cause: err }) : err;
  }
}

export interface CoresetKernelInfo {
  /** Instruction set new calls use: 'avx512', 'avx2' or 'scalar'. */
  active: string;
  /** The best this CPU supports. */
  detected: string;
  available: string[];
}

/** Which SIMD kernels the coreset sampler uses; passing a level forces it process-wide (tests, benchmarks). */
export function coresetKernels(force?: 'scalar' | 'avx2' | 'avx512'): CoresetKernelInfo {
  if (force !== undefined && force !== 'scalar' && force !== 'avx2' && force !== 'avx512') {
    throw new TypeError(`coresetKernels: level must be 'scalar', 'avx2' or 'avx512', got ${String(force)}`);
  }
  return binding().coresetKernels(force);
}
