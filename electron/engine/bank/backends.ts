// Where the engine gets its index and coreset implementations: native/ (Faiss + C++ kernels) by default. Tests and
// tools may inject others (e.g. an exact TypeScript index) through the `backends` option.
import type { Backends, CoresetRequest, IndexParams, KnnIndex, SearchResult } from './knn';

export interface EngineBackends extends Backends {
  /** Threads for the native kernels (OpenMP), process-wide. */
  setThreads?(n: number): void;
}

/** The part of native/index.ts the engine uses (checked at run time so a partial build fails with a clear message). */
interface NativeIndex {
  readonly ntotal: number;
  train(vectors: Float32Array, opts?: { signal?: AbortSignal }): Promise<void>;
  add(vectors: Float32Array): Promise<void>;
  search(queries: Float32Array, k: number): Promise<SearchResult>;
  setParams(p: IndexParams): void;
  write(file: string): Promise<void>;
  memoryBytes(): number;
  close(): void;
}

interface NativeModule {
  FaissIndex: { create(dim: number, factory: string): NativeIndex; read(file: string, opts: { mmap: boolean }): Promise<NativeIndex> };
  prunedGreedyCoreset(
    x: { data: Float32Array; rows: number; cols: number },
    o: { ratio: number; projectionDim: number; numStarts: number; seed: number; signal?: AbortSignal; onProgress?: (d: number, t: number) => void },
  ): Promise<{ indices: Uint32Array; radius: number }>;
  setNumThreads(n: number): void;
}

let cached: EngineBackends | undefined;

export async function resolveBackends(given?: Partial<EngineBackends>): Promise<EngineBackends> {
  if (given?.index && given.coreset) return given as EngineBackends;
  const native = await nativeBackends();
  return { ...native, ...given };
}

async function nativeBackends(): Promise<EngineBackends> {
  if (cached) return cached;
  const mod = (await import('../../../native/index')) as unknown as Partial<NativeModule>;
  if (typeof mod.FaissIndex?.create !== 'function' || typeof mod.prunedGreedyCoreset !== 'function') {
    throw new Error('This build of the native addon lacks the Faiss index or the coreset kernels. Run `npm run build:native`.');
  }
  const m = mod as NativeModule;
  const wrap = (ix: NativeIndex): KnnIndex => ix;
  cached = {
    index: {
      create: (dim, factory) => wrap(m.FaissIndex.create(dim, factory)),
      read: async (file, opts) => wrap(await m.FaissIndex.read(file, opts)),
    },
    coreset: {
      greedy: (req: CoresetRequest) =>
        m.prunedGreedyCoreset(
          { data: req.data, rows: req.rows, cols: req.cols },
          { ratio: req.ratio, projectionDim: req.projectionDim, numStarts: req.numStarts, seed: req.seed, signal: req.signal, onProgress: req.onProgress },
        ),
    },
    setThreads: (n) => m.setNumThreads(n),
  };
  return cached;
}
