// Raw shape of the Faiss index exports of the addon (native/src/index_wrap.cc). Only faiss-index.ts uses these;
// everything else goes through the validated FaissIndex class.
import type { RawCancelToken } from './binding';
import type { ImageSearchResult } from './faiss-index';

export interface RawIndexStats {
  ntotal: number;
  isTrained: boolean;
  /** Heap bytes held by the index (vectors, codes, ids, graph, centroids, transforms). */
  memoryBytes: number;
  /** Bytes of inverted lists mapped from the index file (read with mmap). */
  mappedBytes: number;
  /** Bytes of the search copies searches built beside the index: packed IVF lists, binary16 bank (index_ivf_packed.h). */
  packedBytes: number;
}

export interface RawIndexInfo {
  ivf: boolean;
  hnsw: boolean;
  refine: boolean;
  /** An IDMap: add() must be given ids. */
  needsIds: boolean;
  /** Inverted lists mapped read-only from a file. */
  readOnly: boolean;
  /** Lists of the first IVF level, 0 without one. */
  nlist: number;
  /** Where searchImage finds exact vectors: the index itself ('flat'), its RFlat stage ('refine'), or none. */
  exactVectors: 'flat' | 'refine' | null;
}

/** -1 means "not set / not applicable". */
export interface RawParams {
  nprobe: number;
  efSearch: number;
  kFactor: number;
}

export interface RawSearchResult {
  distances: Float32Array;
  labels: BigInt64Array;
}

export interface RawIndex {
  readonly dimension: number;
  readonly factory: string | null;
  stats(): RawIndexStats;
  info(): RawIndexInfo;
  params(): RawParams;
  setParams(params: RawParams): void;
  setListPacking(on: boolean): void;
  train(vectors: Float32Array, token: RawCancelToken | undefined): Promise<void>;
  add(vectors: Float32Array, ids: BigInt64Array | undefined): Promise<void>;
  /** fastPaths = false runs Faiss's own search at every node: the reference for tests. */
  search(queries: Float32Array, k: number, params: RawParams, fastPaths: boolean): Promise<RawSearchResult>;
  searchImage(
    queries: Float32Array,
    k: number,
    exactTop: number,
    params: RawParams,
    exactVectors: Float32Array | undefined,
    token: RawCancelToken | undefined,
  ): Promise<ImageSearchResult>;
  removeIds(ids: BigInt64Array): Promise<number>;
  reset(): Promise<void>;
  write(path: string): Promise<void>;
  close(): void;
}

export interface RawIndexBinding {
  createIndex(dimension: number, factory: string): RawIndex;
  readIndex(path: string, mmap: boolean): Promise<RawIndex>;
}
