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
export { recommendIndex, nlistFor } from './lib/index-recommend';
export type { IndexRecommendation } from './lib/index-recommend';
export { EpsilonNet, netNlist } from './lib/epsilon-net';
export type { EpsilonNetOptions, EpsilonAddResult, RethinOptions } from './lib/epsilon-net';
export { isAbortError } from './lib/native-call';
export type { NativeError, NativeErrorCode } from './lib/native-call';
