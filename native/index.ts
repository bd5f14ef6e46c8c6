// Public surface of native/: the one import path the engine, the app and the benchmarks use.
export { setNumThreads, getNumThreads } from './lib/threads';
export {
  approximateGreedyCoreset,
  prunedGreedyCoreset,
  exactGreedyCoreset,
  randomProjection,
  coresetKernels,
} from './lib/coreset';
export type { FeatureMatrix, GreedyOptions, CoresetResult, CoresetStats, CoresetKernelInfo } from './lib/coreset';
