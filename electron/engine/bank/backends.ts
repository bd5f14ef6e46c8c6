// Where the engine gets its index and coreset implementations: native/ (Faiss + C++ kernels) by default. Tests and
// tools may inject others (e.g. an exact TypeScript index) through the `backends` option.
import { approximateGreedyCoreset, FaissIndex, setNumThreads } from '../../../native/index';
import type { Backends, CoresetRequest } from './knn';

export interface EngineBackends extends Backends {
  /** Threads for the native kernels (OpenMP), process-wide. */
  setThreads?(n: number): void;
}

/** Whether every projected value surely fits float16: |Σ r·v| ≤ √cols · max|v| for the sampler's ±1/√cols entries. */
function fitsFloat16(data: Float32Array, cols: number): boolean {
  let max = 0;
  for (let i = 0; i < data.length; i++) {
    const a = Math.abs(data[i]);
    if (a > max) max = a;
  }
  return max * Math.sqrt(cols) < 6e4;
}

export const nativeBackends: EngineBackends = {
  index: {
    create: (dim, factory) => FaissIndex.create(dim, factory),
    read: (file, opts) => FaissIndex.read(file, opts),
  },
  coreset: {
    // patchcore-inspection's approximate greedy sampler. The plain fused pass over float16 projected points: on real
    // patch features (magnetic tile, 47k–149k rows) the pruned variant computed only 3–4× fewer distances yet took
    // 1.1–3× longer (scattered reads), and float16 storage halves the memory traffic that bounds the plain pass.
    greedy: (req: CoresetRequest) =>
      approximateGreedyCoreset(
        { data: req.data, rows: req.rows, cols: req.cols },
        {
          ...(req.count !== undefined ? { count: req.count } : { ratio: req.ratio }),
          projectionDim: req.projectionDim,
          numStarts: req.numStarts,
          seed: req.seed,
          storage: fitsFloat16(req.data, req.cols) ? 'float16' : 'float32',
          signal: req.signal,
          onProgress: req.onProgress,
        },
      ),
  },
  setThreads: (n) => setNumThreads(n),
};

export async function resolveBackends(given?: Partial<EngineBackends>): Promise<EngineBackends> {
  return { ...nativeBackends, ...given };
}
