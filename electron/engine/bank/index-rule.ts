// Which Faiss index a memory bank gets when the user does not say: native/'s recommendIndex (measured in
// native/INDEX.md: recall@1 ≥ 0.95 against exact search at every size, fewest ms per 784-query image), i.e. Flat for
// small banks and IVF over 8-bit codes with exact re-ranking above. On magnetic tile (59.7k × 128) it keeps the
// accuracy of exact search (README, "Measured results").
import { recommendIndex } from '../../../native/index';
import type { IndexParams } from './knn';

export interface IndexChoice {
  factory: string;
  params: IndexParams;
  reason: string;
  /** Bank vectors to train the index on (a uniform sample); absent or 0: all of them when it needs training. */
  trainSize?: number;
}

export const HNSW_EF_SEARCH = 64;
export const IVF_NPROBE = 8;

export function chooseIndex(vectors: number, dim: number): IndexChoice {
  const r = recommendIndex(vectors, dim);
  return { factory: r.factory, params: { ...r.params }, reason: r.reason, trainSize: r.trainSize };
}

/** Default search parameters for a user-given factory string. */
export function defaultParams(factory: string): IndexParams {
  const p: IndexParams = {};
  if (/HNSW/i.test(factory)) p.efSearch = HNSW_EF_SEARCH;
  if (/IVF/i.test(factory)) p.nprobe = IVF_NPROBE;
  if (/RFlat|Refine/i.test(factory)) p.kFactor = 4;
  return p;
}

export function needsTraining(factory: string): boolean {
  return /IVF|PQ|SQ|LSH|PCA|OPQ/i.test(factory);
}
