// Where the engine gets its index and coreset implementations: native/ (Faiss + C++ kernels) by default. Tests and
// tools may inject others (e.g. an exact TypeScript index) through the `backends` option.
import { FaissIndex, prunedGreedyCoreset, setNumThreads } from '../../../native/index';
import type { Backends, CoresetRequest } from './knn';

export interface EngineBackends extends Backends {
  /** Threads for the native kernels (OpenMP), process-wide. */
  setThreads?(n: number): void;
}

export const nativeBackends: EngineBackends = {
  index: {
    create: (dim, factory) => FaissIndex.create(dim, factory),
    read: (file, opts) => FaissIndex.read(file, opts),
  },
  coreset: {
    // Same picks as patchcore-inspection's approximate greedy sampler, with triangle-inequality pruning.
    greedy: (req: CoresetRequest) =>
      prunedGreedyCoreset(
        { data: req.data, rows: req.rows, cols: req.cols },
        { ratio: req.ratio, projectionDim: req.projectionDim, numStarts: req.numStarts, seed: req.seed, signal: req.signal, onProgress: req.onProgress },
      ),
  },
  setThreads: (n) => setNumThreads(n),
};

export async function resolveBackends(given?: Partial<EngineBackends>): Promise<EngineBackends> {
  return { ...nativeBackends, ...given };
}
