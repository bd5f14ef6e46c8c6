// The memory bank's k-NN index: a Faiss index built from a factory string, searched and mutated off the JS thread.
//
// Every method that touches vectors returns a Promise and runs on a libuv worker thread. Per index, searches (and
// write()) run concurrently; train, add, removeIds, reset and setParams run alone, in call order (index-lock.ts).
// Arrays passed in are read by the worker thread: do not modify them until the returned Promise settles.
import { binding } from './binding';
import { ReadWriteQueue } from './index-lock';
import type { RawIndex, RawParams } from './raw-index';

/** n * k row-major. Distances are squared L2, as Faiss returns them; label -1 (distance +Infinity) where fewer than k. */
export interface SearchResult {
  distances: Float32Array;
  labels: BigInt64Array;
}

export interface SearchParams {
  /** IVF: inverted lists visited per query (clamped to nlist). */
  nprobe?: number;
  /** HNSW: size of the candidate list (>= k for a meaningful search). */
  efSearch?: number;
  /**
   * Refine stages (factory "...,RFlat"): candidates fetched from the approximate stage per result, re-ranked with
   * exact distances. An extension of the agreed API; ignored by indexes without a refine stage.
   */
  kFactor?: number;
}

export interface ReadOptions {
  /**
   * Map the index file instead of reading it. Faiss 1.7.3 maps only the inverted lists of IVF indexes (the bulk of
   * an IVF index); quantizers, Flat and HNSW data are still read into memory. A mapped index is read-only (add,
   * removeIds, reset and train reject), and the file must not be truncated or rewritten in place while it is open:
   * write() replaces files by rename, which is safe.
   */
  mmap?: boolean;
}

export interface TrainOptions {
  /** Aborts training between Faiss's k-means iterations (and before it starts); the Promise rejects with an AbortError. */
  signal?: AbortSignal;
}

const MAX_DIMENSION = 65536;

function abortError(message: string): Error {
  const err = new Error(message);
  err.name = 'AbortError';
  return err;
}

function positiveInteger(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

// Faiss marks "no result" with label -1, so a negative id could never be told apart from a missing neighbour.
function checkIds(ids: BigInt64Array): void {
  const bad = ids.findIndex((id) => id < 0n);
  if (bad >= 0) throw new RangeError(`ids must be >= 0 (-1 marks a missing result); ids[${bad}] is ${ids[bad]}`);
}

function toRaw(p: SearchParams): RawParams {
  return { nprobe: p.nprobe ?? -1, efSearch: p.efSearch ?? -1, kFactor: p.kFactor ?? -1 };
}

/** The SIMD kernel set the index fast paths run on this CPU: "avx512", "avx2" or "scalar". */
export function simdLevel(): string {
  return binding().simdLevel();
}

export class FaissIndex {
  readonly dimension: number;
  readonly factory: string | null;
  private raw: RawIndex | null;
  private readonly queue = new ReadWriteQueue();
  private params: SearchParams;

  private constructor(raw: RawIndex) {
    this.raw = raw;
    this.dimension = raw.dimension;
    this.factory = raw.factory;
    const stored = raw.params();
    this.params = {};
    if (stored.nprobe > 0) this.params.nprobe = stored.nprobe;
    if (stored.efSearch > 0) this.params.efSearch = stored.efSearch;
    if (stored.kFactor > 0) this.params.kFactor = stored.kFactor;
  }

  /** A new empty index, metric L2. `factory` is a Faiss index_factory string: "Flat", "IVF1024,SQ8,RFlat", "HNSW32"... */
  static create(dimension: number, factory: string): FaissIndex {
    if (!Number.isInteger(dimension) || dimension < 1 || dimension > MAX_DIMENSION) {
      throw new RangeError(`dimension must be an integer in 1..${MAX_DIMENSION}, got ${String(dimension)}`);
    }
    if (typeof factory !== 'string' || factory.trim() === '') {
      throw new TypeError('factory must be a non-empty Faiss index factory string, e.g. "Flat" or "IVF1024,SQ8,RFlat"');
    }
    return new FaissIndex(binding().createIndex(dimension, factory));
  }

  /** Reads an index written by write() (or by faiss.write_index). Rejects on a missing, truncated or corrupt file. */
  static async read(path: string, options: ReadOptions = {}): Promise<FaissIndex> {
    if (typeof path !== 'string' || path === '') throw new TypeError('path must be a non-empty string');
    if (options.mmap !== undefined && typeof options.mmap !== 'boolean') throw new TypeError('options.mmap must be a boolean');
    return new FaissIndex(await binding().readIndex(path, options.mmap === true));
  }

  get ntotal(): number {
    return this.live().stats().ntotal;
  }

  get isTrained(): boolean {
    return this.live().stats().isTrained;
  }

  /**
   * Bytes of process memory the index holds: stored vectors and codes, ids, inverted-list and HNSW link arrays,
   * centroids, quantizer tables and transform matrices, counted by capacity (growth slack included). Not counted:
   * allocator overhead, small fixed-size fields, and lists mapped from a file (see mappedBytes). Updated when a
   * mutation completes.
   */
  memoryBytes(): number {
    return this.live().stats().memoryBytes;
  }

  /** Bytes of the index file mapped into memory (read with { mmap: true }); the OS pages them in on demand. */
  mappedBytes(): number {
    return this.live().stats().mappedBytes;
  }

  /** Current persistent search parameters (what setParams stored, or what the file carried). */
  getParams(): SearchParams {
    this.live();
    return { ...this.params };
  }

  async train(vectors: Float32Array, options: TrainOptions = {}): Promise<void> {
    this.live();
    this.rows(vectors, 'vectors', false);
    const { signal } = options;
    if (signal?.aborted) throw abortError('train() was aborted before it started');
    const { CancelToken } = binding();
    const token = signal ? new CancelToken() : undefined;
    const onAbort = () => token?.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await this.queue.exclusive(() => this.live().train(vectors, token));
    } catch (err) {
      if (err instanceof Error && err.name === 'AbortError') throw abortError('train() was aborted');
      throw err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async add(vectors: Float32Array, ids?: BigInt64Array): Promise<void> {
    const raw = this.live();
    const n = this.rows(vectors, 'vectors', false);
    if (ids !== undefined) {
      if (!(ids instanceof BigInt64Array)) throw new TypeError('ids must be a BigInt64Array');
      if (ids.length !== n) throw new RangeError(`ids length ${ids.length} does not match the ${n} vectors`);
      checkIds(ids);
    } else if (raw.info().needsIds) {
      throw new TypeError('this index maps ids (IDMap): add(vectors, ids) needs a BigInt64Array of ids');
    }
    await this.queue.exclusive(() => this.live().add(vectors, ids));
  }

  async search(queries: Float32Array, k: number, params: SearchParams = {}): Promise<SearchResult> {
    this.live();
    this.rows(queries, 'queries', true);
    positiveInteger(k, 'k');
    this.checkParams(params);
    const effective = toRaw({ ...this.params, ...params });
    return this.queue.shared(() => this.live().search(queries, k, effective, true));
  }

  /**
   * Persistent runtime parameters for later searches (per-call params override them). Stored in the index too, so
   * write() keeps them. Throws for a parameter the index has no use for (nprobe without IVF, efSearch without HNSW).
   */
  setParams(params: SearchParams): void {
    const raw = this.live();
    this.checkParams(params);
    const info = raw.info();
    if (params.nprobe !== undefined && !info.ivf) throw new Error('nprobe applies to IVF indexes; this index has no IVF stage');
    if (params.efSearch !== undefined && !info.hnsw) throw new Error('efSearch applies to HNSW indexes; this index has none');
    if (params.kFactor !== undefined && !info.refine) throw new Error('kFactor applies to indexes with a refine stage (RFlat)');
    this.params = { ...this.params, ...params };
    const snapshot = toRaw(params);
    // Stored in the native index only when nothing runs, so no search reads a field while it changes.
    this.queue
      .exclusive(() => this.raw?.setParams(snapshot))
      .catch(() => undefined);
  }

  /** Removes the vectors with these ids; resolves to how many were removed. Not every index type supports it (HNSW does not). */
  async removeIds(ids: BigInt64Array): Promise<number> {
    this.live();
    if (!(ids instanceof BigInt64Array)) throw new TypeError('ids must be a BigInt64Array');
    checkIds(ids);
    return this.queue.exclusive(() => this.live().removeIds(ids));
  }

  /** Removes every vector; training is kept. */
  async reset(): Promise<void> {
    this.live();
    await this.queue.exclusive(() => this.live().reset());
  }

  /**
   * Writes the index atomically: a temporary file in the same directory, fsync, rename over `path`, fsync of the
   * directory. On failure the previous file at `path` is untouched and no temporary file is left behind.
   */
  async write(path: string): Promise<void> {
    const raw = this.live();
    if (typeof path !== 'string' || path === '') throw new TypeError('path must be a non-empty string');
    // A mapped index swaps in-memory copies of its lists for the duration of the write: run it alone.
    const run = () => this.live().write(path);
    await (raw.info().readOnly ? this.queue.exclusive(run) : this.queue.shared(run));
  }

  /**
   * Frees the native index now (or, if an operation is still running, as soon as it ends). Every later call throws.
   * Queued operations that have not started reject.
   */
  close(): void {
    this.raw?.close();
    this.raw = null;
  }

  get closed(): boolean {
    return this.raw === null;
  }

  private live(): RawIndex {
    if (this.raw === null) throw new Error('this FaissIndex is closed');
    return this.raw;
  }

  private rows(x: Float32Array, name: string, allowEmpty: boolean): number {
    if (!(x instanceof Float32Array)) throw new TypeError(`${name} must be a Float32Array`);
    if (x.length % this.dimension !== 0) {
      throw new RangeError(`${name} length ${x.length} is not a multiple of the index dimension ${this.dimension}`);
    }
    if (!allowEmpty && x.length === 0) throw new RangeError(`${name} is empty`);
    return x.length / this.dimension;
  }

  private checkParams(params: SearchParams): void {
    if (typeof params !== 'object' || params === null) throw new TypeError('params must be an object');
    if (params.nprobe !== undefined) positiveInteger(params.nprobe, 'nprobe');
    if (params.efSearch !== undefined) positiveInteger(params.efSearch, 'efSearch');
    if (params.kFactor !== undefined && (typeof params.kFactor !== 'number' || !(params.kFactor >= 1) || !Number.isFinite(params.kFactor))) {
      throw new RangeError(`kFactor must be a number >= 1, got ${String(params.kFactor)}`);
    }
  }
}
