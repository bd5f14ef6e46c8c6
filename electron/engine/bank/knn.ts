// The engine's view of the memory-bank index and the coreset sampler. The implementations live in native/ (Faiss and
// the C++ kernels); tests may pass their own through `Backends`.

export interface IndexParams {
  efSearch?: number;
  nprobe?: number;
  /** Candidates per result re-ranked exactly by a refine stage (`…,RFlat`). */
  kFactor?: number;
}

export interface SearchResult {
  /** Squared L2 distances, n × k. */
  distances: Float32Array;
  labels: BigInt64Array;
}

/** One image's answer from an index that searches and refines in one call (native FaissIndex.searchImage). */
export interface ImageSearchResult extends SearchResult {
  /** Per patch: the mean L2 distance to its k neighbours, exact for the refined patches. */
  scores: Float32Array;
  refined: Uint32Array;
  rounds: number;
  maxPatch: number;
  maxScore: number;
}

export interface ImageSearchOptions extends IndexParams {
  /** Patches searched again exactly per round (the engine's exactTop; 0 = no refinement). */
  exactTop: number;
  /** The bank (ntotal × dim, add order) where the index keeps no exact vectors of its own (exactSource null). */
  exactVectors?: Float32Array;
}

export interface KnnIndex {
  readonly ntotal: number;
  train?(vectors: Float32Array, opts?: { signal?: AbortSignal }): Promise<void> | void;
  add(vectors: Float32Array): Promise<void> | void;
  search(queries: Float32Array, k: number): Promise<SearchResult> | SearchResult;
  setParams(params: IndexParams): void;
  /** Atomic: a crash leaves either the old file or the new one. */
  write(file: string): Promise<void> | void;
  memoryBytes(): number;
  close(): void;
  /**
   * Optional: the k-NN of one image's patches and the exact refinement of its top patches in one call (no round trip
   * per refinement round, no copy of the queries). Scorer uses it where present.
   */
  searchImage?(queries: Float32Array, k: number, options: ImageSearchOptions): Promise<ImageSearchResult>;
  /** With searchImage: where it finds exact vectors ('flat': it is exact; 'refine': its RFlat stage; null: pass them). */
  readonly exactSource?: 'flat' | 'refine' | null;
}

export interface IndexBackend {
  create(dim: number, factory: string): KnnIndex | Promise<KnnIndex>;
  read(file: string, opts: { mmap: boolean }): KnnIndex | Promise<KnnIndex>;
}

export interface CoresetRequest {
  data: Float32Array;
  rows: number;
  cols: number;
  ratio: number;
  /** Exact number of rows to pick (overrides ratio). */
  count?: number;
  projectionDim: number;
  numStarts: number;
  seed: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface CoresetBackend {
  /** Approximate greedy (k-center) coreset: the indices of the picked rows and the covering radius. */
  greedy(req: CoresetRequest): Promise<{ indices: Uint32Array; radius: number }>;
}

export interface Backends {
  index: IndexBackend;
  coreset: CoresetBackend;
}
