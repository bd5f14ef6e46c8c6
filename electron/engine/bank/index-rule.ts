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
/**
 * Lists probed per query, at least. recommendIndex aims at recall@1 ≥ 0.95, which suits one nearest neighbour; a
 * PatchCore map is 784 of them, and each miss over-estimates a patch of a good part. On magnetic tile (512 lists)
 * nprobe 4 loses 0.008 pixel AUROC and 0.006 AUPRO to exact search, 16 keeps them (the image score is made exact
 * separately, Scorer.refine).
 */
export const IVF_NPROBE = 16;

export function chooseIndex(vectors: number, dim: number): IndexChoice {
  const r = recommendIndex(vectors, dim);
  const params = { ...r.params };
  let reason = r.reason;
  if (params.nprobe !== undefined && params.nprobe < IVF_NPROBE) {
    params.nprobe = IVF_NPROBE;
    reason += `; nprobe ${IVF_NPROBE} for the anomaly map's recall`;
  }
  return { factory: r.factory, params, reason, trainSize: r.trainSize };
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
