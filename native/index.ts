// Public surface of native/: the one import path the engine, the app and the benchmarks use.
export { setNumThreads, getNumThreads } from './lib/threads';
export { simdKernels } from './lib/simd';
export type { SimdLevel, SimdKernelInfo } from './lib/simd';
export { FaissIndex } from './lib/faiss-index';
export type {
  SearchResult,
  SearchParams,
  ReadOptions,
  TrainOptions,
  ImageSearchOptions,
  ImageSearchResult,
  ExactSource,
} from './lib/faiss-index';
export { approximateGreedyCoreset, prunedGreedyCoreset, exactGreedyCoreset, randomProjection } from './lib/coreset';
export type { FeatureMatrix, GreedyOptions, CoresetResult, CoresetStats } from './lib/coreset';
export { FLAT_FACTORY, ivfFactory, needsTraining } from './lib/index-factory';
export type { IvfSpec } from './lib/index-factory';
export { EpsilonNet } from './lib/epsilon-net';
export type { EpsilonNetOptions, EpsilonAddResult, RethinOptions } from './lib/epsilon-net';
export { isAbortError } from './lib/native-call';
export type { NativeError, NativeErrorCode } from './lib/native-call';
