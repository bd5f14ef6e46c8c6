// Which Faiss index a memory bank gets when the user does not say: chosen by bank size for the per-image budget
// (784 queries per 224 px image must be answered in a few milliseconds) while keeping the accuracy of exact search.
import { recommendIndex } from '../../../native/index';
import type { IndexParams } from './knn';

export interface IndexChoice {
  factory: string;
  params: IndexParams;
  reason: string;
}

/**
 * Banks this small are searched exactly: brute force over them is already within budget. The bound is native's
 * (recommendIndex: N × D ≤ 20 000 × 128, measured in native/INDEX.md), whose SIMD Flat kernel answers 784 queries
 * against 4.7k 128-d vectors in ~6 ms where this Faiss build's HNSW32 (efSearch 64) takes ~50 ms.
 */
function exactSearchFits(vectors: number, dim: number): boolean {
  return recommendIndex(vectors, dim).factory === 'Flat';
}
/** Up to here a graph index (HNSW) fits in memory and is the fastest at high recall; beyond, compressed IVF-PQ. */
export const HNSW_MAX = 2_000_000;
export const HNSW_M = 32;
export const HNSW_EF_SEARCH = 64;

export function chooseIndex(vectors: number, dim: number): IndexChoice {
  if (exactSearchFits(vectors, dim)) return { factory: 'Flat', params: {}, reason: `exact search: ${vectors} × ${dim} ≤ 20000 × 128` };
  if (vectors <= HNSW_MAX) {
    return {
      factory: `HNSW${HNSW_M}`,
      params: { efSearch: HNSW_EF_SEARCH },
      reason: `HNSW graph: ${vectors} × ${dim} > 20000 × 128, ${vectors} ≤ ${HNSW_MAX} vectors`,
    };
  }
  // IVF lists ≈ 4·√N (a power of two), PQ with 4-dimensional sub-quantizers at 8 bits.
  const nlist = 2 ** Math.round(Math.log2(4 * Math.sqrt(vectors)));
  let m = Math.max(1, Math.floor(dim / 4));
  while (dim % m !== 0) m--;
  return { factory: `IVF${nlist},PQ${m}x8`, params: { nprobe: 32 }, reason: `IVF-PQ: ${vectors} > ${HNSW_MAX} vectors` };
}

/** Default search parameters for a user-given factory string. */
export function defaultParams(factory: string): IndexParams {
  if (/HNSW/i.test(factory)) return { efSearch: HNSW_EF_SEARCH };
  if (/IVF/i.test(factory)) return { nprobe: 32 };
  return {};
}

export function needsTraining(factory: string): boolean {
  return /IVF|PQ|SQ|LSH|PCA|OPQ/i.test(factory);
}
