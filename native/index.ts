// Public surface of native/: the one import path the engine, the app and the benchmarks use.
export { setNumThreads, getNumThreads } from './lib/threads';
export { FaissIndex, simdLevel } from './lib/faiss-index';
export type { SearchResult, SearchParams, ReadOptions, TrainOptions } from './lib/faiss-index';
export {
  approximateGreedyCoreset,
  prunedGreedyCoreset,
  exactGreedyCoreset,
  randomProjection,
  coresetKernels,
} from './lib/coreset';
export type { FeatureMatrix, GreedyOptions, CoresetResult, CoresetStats, CoresetKernelInfo } from './lib/coreset';
export { FLAT_FACTORY, ivfFactory, needsTraining } from './lib/index-factory';
export type { IvfSpec } from './lib/index-factory';
export { EpsilonNet } from './lib/epsilon-net';
export type { EpsilonNetOptions, EpsilonAddResult, RethinOptions } from './lib/epsilon-net';
