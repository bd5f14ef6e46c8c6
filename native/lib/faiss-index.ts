// The memory bank's k-NN index: a Faiss index built from a factory string, searched and mutated off the JS thread.
//
// Every method that touches vectors returns a Promise and runs on a libuv worker thread. Per index, searches (and
// write()) run concurrently; train, add, removeIds, reset and setParams run alone, in call order (index-lock.ts).
// Arrays passed in are read by the worker thread: do not modify them until the returned Promise settles.
import { binding } from './binding';
import { ReadWriteQueue } from './index-lock';
import { Args, callNative, type NativeError } from './native-call';
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

/** searchImage's options: the search parameters of this call (over the stored ones) and the refinement. */
export interface ImageSearchOptions extends SearchParams {
  /**
   * Patches searched again exactly per round, highest approximate score first, until the best exact score is at
   * least the approximate score of every patch left (the engine's exactTop; see native/INDEX.md). 0: no refinement.
   */
  exactTop: number;
  /**
   * The bank's vectors (ntotal × dimension, in add order), for an index that keeps no exact vectors of its own
   * (exactSource === null: IVF without RFlat, HNSW, PQ). Read in place, never copied; ignored when the index has its
   * own (Flat, "...,RFlat"), so no second copy of the bank is needed there.
   */
  exactVectors?: Float32Array;
  /** Rejects with an AbortError (code ABORT_ERR); checked before the search and between refinement rounds. */
  signal?: AbortSignal;
}

/** One image's answer: per patch k neighbours, exact for the refined patches, and the image maximum. */
export interface ImageSearchResult extends SearchResult {
  /** Per patch: the mean over its k neighbours of the L2 distance (sqrt of `distances`), as float32. */
  scores: Float32Array;
  /** The patches searched exactly, in the order they were refined. */
  refined: Uint32Array;
  /** Refinement rounds run (each up to exactTop patches). */
  rounds: number;
  /** Every result is exact (a Flat index: no refinement needed). */
  exact: boolean;
  /** The first patch of largest score, and that score: the exact image maximum when the index's distances are
   * exact distances to the neighbours it found (Flat, "...,RFlat"; see native/INDEX.md). */
  maxPatch: number;
  maxScore: number;
}

/** Where searchImage finds exact vectors: 'flat' (the index is exact), 'refine' (its RFlat stage), null (pass them). */
export type ExactSource = 'flat' | 'refine' | null;

const MAX_DIMENSION = 65536;

// Faiss marks "no result" with label -1, so a negative id could never be told apart from a missing neighbour.
function checkIds(args: Args, ids: BigInt64Array): void {
  const bad = ids.findIndex((id) => id < 0n);
  if (bad >= 0) args.range(`ids must be >= 0 (-1 marks a missing result); ids[${bad}] is ${ids[bad]}`);
}

function toRaw(p: SearchParams): RawParams {
  return { nprobe: p.nprobe ?? -1, efSearch: p.efSearch ?? -1, kFactor: p.kFactor ?? -1 };
}

function closedError(): NativeError {
  return Object.assign(new Error('this FaissIndex is closed'), { code: 'ERR_PATCHLINE_STATE' as const });
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
    const args = new Args('FaissIndex.create');
    args.integer(dimension, 'dimension', 1, MAX_DIMENSION);
    if (typeof factory !== 'string' || factory.trim() === '') {
      args.type('factory must be a non-empty Faiss index factory string, e.g. "Flat" or "IVF1024,SQ8,RFlat"');
    }
    return new FaissIndex(binding().createIndex(dimension, factory));
  }

  /** Reads an index written by write() (or by faiss.write_index). Rejects on a missing, truncated or corrupt file. */
  static read(path: string, options: ReadOptions = {}): Promise<FaissIndex> {
    const what = 'FaissIndex.read';
    return callNative(what, async () => {
      const args = new Args(what);
      if (typeof path !== 'string' || path === '') args.type('path must be a non-empty string');
      if (options.mmap !== undefined && typeof options.mmap !== 'boolean') args.type('options.mmap must be a boolean');
      return new FaissIndex(await binding().readIndex(path, options.mmap === true));
    });
  }

  get ntotal(): number {
    return this.live().stats().ntotal;
  }

  get isTrained(): boolean {
    return this.live().stats().isTrained;
  }

  /** Where searchImage finds the exact vectors it refines against (null: the caller passes exactVectors). */
  get exactSource(): ExactSource {
    return this.live().info().exactVectors;
  }

  /**
   * Bytes of process memory the index holds: stored vectors and codes, ids, inverted-list and HNSW link arrays,
   * centroids, quantizer tables and transform matrices, counted by capacity (growth slack included). Not counted:
   * allocator overhead, small fixed-size fields, and lists mapped from a file (see mappedBytes). Updated when a
   * mutation completes. The search copies that searches build beside the index are included once built (packedBytes).
   */
  memoryBytes(): number {
    const s = this.live().stats();
    return s.memoryBytes + s.packedBytes;
  }

  /**
   * Bytes of the search copies kept beside the index (0 until the first search builds them). An IVF index over
   * Flat, SQ8 or fp16 codes of at most 256 MiB of floats is searched from a copy of its lists decoded into the
   * layout of the tile kernel (native/src/index_ivf_packed.h; same results, a fraction of the scan time, 4·d + 12
   * bytes per vector), and searchImage's exact rounds against an RFlat stage read a binary16 copy of the bank first
   * (index_exact_half.h; 2·d bytes per vector). Mutations drop them; the next search rebuilds them.
   */
  packedBytes(): number {
    return this.live().stats().packedBytes;
  }

  /** Whether searches may build and use those copies (default true); off frees them. */
  setListPacking(on: boolean): void {
    const args = new Args('FaissIndex.setListPacking');
    if (typeof on !== 'boolean') args.type(`on must be a boolean, got ${typeof on}`);
    this.live().setListPacking(on);
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

  train(vectors: Float32Array, options: TrainOptions = {}): Promise<void> {
    const what = 'FaissIndex.train';
    const { signal } = options;
    return callNative(
      what,
      (token) => {
        const args = new Args(what);
        this.live();
        args.rows(vectors, this.dimension, 'vectors', false);
        args.signal(signal);
        return this.queue.exclusive(() => this.live().train(vectors, token));
      },
      { signal },
    );
  }

  add(vectors: Float32Array, ids?: BigInt64Array): Promise<void> {
    const what = 'FaissIndex.add';
    return callNative(what, () => {
      const args = new Args(what);
      const raw = this.live();
      const n = args.rows(vectors, this.dimension, 'vectors', false);
      if (ids !== undefined) {
        if (!(ids instanceof BigInt64Array)) args.type('ids must be a BigInt64Array');
        if (ids.length !== n) args.range(`ids length ${ids.length} does not match the ${n} vectors`);
        checkIds(args, ids);
      } else if (raw.info().needsIds) {
        args.type('this index maps ids (IDMap): add(vectors, ids) needs a BigInt64Array of ids');
      }
      return this.queue.exclusive(() => this.live().add(vectors, ids));
    });
  }

  search(queries: Float32Array, k: number, params: SearchParams = {}): Promise<SearchResult> {
    const what = 'FaissIndex.search';
    return callNative(what, () => {
      const args = new Args(what);
      this.live();
      args.rows(queries, this.dimension, 'queries');
      args.positiveInteger(k, 'k');
      this.checkParams(args, params);
      const effective = toRaw({ ...this.params, ...params });
      return this.queue.shared(() => this.live().search(queries, k, effective, true));
    });
  }

  /**
   * One image in one native call: the approximate k-NN of every patch (a row of `queries`), then the exact search
   * of the highest-scoring patches, `exactTop` at a time, until the image maximum is settled: the engine's
   * Scorer.refine without its round trips or a second Flat copy of the bank. The queries are read in place and the
   * results written in place (no copy of either between JS and C++). See native/INDEX.md, "One image per call".
   */
  searchImage(queries: Float32Array, k: number, options: ImageSearchOptions): Promise<ImageSearchResult> {
    const what = 'FaissIndex.searchImage';
    const signal = options?.signal;
    return callNative(
      what,
      (token) => {
        const args = new Args(what);
        this.live();
        args.rows(queries, this.dimension, 'queries');
        args.positiveInteger(k, 'k');
        args.object(options, 'options');
        const { exactTop, exactVectors, signal: _signal, ...params } = options;
        args.integer(exactTop, 'exactTop', 0, 0xffffffff);
        args.signal(_signal);
        this.checkParams(args, params);
        if (exactVectors !== undefined) {
          const rows = args.rows(exactVectors, this.dimension, 'exactVectors');
          if (rows !== this.ntotal) args.range(`exactVectors holds ${rows} vectors; the index holds ${this.ntotal}`);
        }
        const effective = toRaw({ ...this.params, ...params });
        return this.queue.shared(() => this.live().searchImage(queries, k, exactTop, effective, exactVectors, token));
      },
      { signal },
    );
  }

  /**
   * Persistent runtime parameters for later searches (per-call params override them). Stored in the index too, so
   * write() keeps them. Throws for a parameter the index has no use for (nprobe without IVF, efSearch without HNSW).
   */
  setParams(params: SearchParams): void {
    const args = new Args('FaissIndex.setParams');
    const raw = this.live();
    this.checkParams(args, params);
    const info = raw.info();
    if (params.nprobe !== undefined && !info.ivf) args.type('nprobe applies to IVF indexes; this index has no IVF stage');
    if (params.efSearch !== undefined && !info.hnsw) args.type('efSearch applies to HNSW indexes; this index has none');
    if (params.kFactor !== undefined && !info.refine) args.type('kFactor applies to indexes with a refine stage (RFlat)');
    this.params = { ...this.params, ...params };
    const snapshot = toRaw(params);
    // Stored in the native index only when nothing runs, so no search reads a field while it changes.
    this.queue
      .exclusive(() => this.raw?.setParams(snapshot))
      .catch(() => undefined);
  }

  /** Removes the vectors with these ids; resolves to how many were removed. Not every index type supports it (HNSW does not). */
  removeIds(ids: BigInt64Array): Promise<number> {
    const what = 'FaissIndex.removeIds';
    return callNative(what, () => {
      const args = new Args(what);
      this.live();
      if (!(ids instanceof BigInt64Array)) args.type('ids must be a BigInt64Array');
      checkIds(args, ids);
      return this.queue.exclusive(() => this.live().removeIds(ids));
    });
  }

  /** Removes every vector; training is kept. */
  reset(): Promise<void> {
    return callNative('FaissIndex.reset', () => {
      this.live();
      return this.queue.exclusive(() => this.live().reset());
    });
  }

  /**
   * Writes the index atomically: a temporary file in the same directory, fsync, rename over `path`, fsync of the
   * directory. On failure the previous file at `path` is untouched and no temporary file is left behind.
   */
  write(path: string): Promise<void> {
    const what = 'FaissIndex.write';
    return callNative(what, () => {
      const raw = this.live();
      if (typeof path !== 'string' || path === '') new Args(what).type('path must be a non-empty string');
      // A mapped index swaps in-memory copies of its lists for the duration of the write: run it alone.
      const run = () => this.live().write(path);
      return raw.info().readOnly ? this.queue.exclusive(run) : this.queue.shared(run);
    });
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
    if (this.raw === null) throw closedError();
    return this.raw;
  }

  private checkParams(args: Args, params: SearchParams): void {
    if (typeof params !== 'object' || params === null) args.type('params must be an object');
    if (params.nprobe !== undefined) args.positiveInteger(params.nprobe, 'nprobe');
    if (params.efSearch !== undefined) args.positiveInteger(params.efSearch, 'efSearch');
    if (params.kFactor !== undefined && (typeof params.kFactor !== 'number' || !(params.kFactor >= 1) || !Number.isFinite(params.kFactor))) {
      args.range(`kFactor must be a number >= 1, got ${String(params.kFactor)}`);
    }
  }
}
