// Which index to build for a PatchCore memory bank, from its size and dimension. Derived from bench/native-search.ts
// (784 queries per image at k = 1, seeded clustered patch-like data; see native/INDEX.md for the table): the rule
// keeps recall@1 >= 0.95 against exact search at every measured size while minimising ms per image.
import type { SearchParams } from './faiss-index';

export interface IndexRecommendation {
  /** Faiss index_factory string for FaissIndex.create(dim, factory). */
  factory: string;
  /** Search parameters to pass to setParams() after building. */
  params: SearchParams;
  /** How many bank vectors to train on (a uniform sample); 0 when the index needs no training. */
  trainSize: number;
  /** Why, in one line (for logs and the UI). */
  reason: string;
}

/** Below this many multiply-adds per query (bank size x dimension), exact search costs a few ms per image. */
const EXACT_WORK = 20000 * 128;

/** IVF list count: about 4 sqrt(N), a power of two, with at least 64 bank vectors per list. */
export function nlistFor(ntotal: number): number {
  const target = 2 ** Math.round(Math.log2(4 * Math.sqrt(ntotal)));
  const cap = 2 ** Math.floor(Math.log2(Math.max(ntotal, 64) / 64));
  return Math.max(1, Math.min(target, cap));
}

export function recommendIndex(ntotal: number, dim: number): IndexRecommendation {
  if (!Number.isInteger(ntotal) || ntotal < 0) throw new RangeError(`ntotal must be a non-negative integer, got ${ntotal}`);
  if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`dim must be a positive integer, got ${dim}`);
  if (ntotal * dim <= EXACT_WORK) {
    return { factory: 'Flat', params: {}, trainSize: 0, reason: 'small bank: exact search is already fast' };
  }
  const nlist = nlistFor(ntotal);
  // 40 points per list: k-means wants >= 39 (Faiss warns below), more only slows training.
  const trainSize = Math.min(ntotal, 40 * nlist);
  // Sparse banks (few vectors per mode of the data) need more probes for the same recall: measured 0.957 at
  // nprobe 4 on 16k vectors against 0.983 on 100k.
  const nprobe = ntotal < 50000 ? 8 : 4;
  if (dim > 256) {
    // The list scan is memory bound at high D: probe on a 128-d PCA projection, re-rank on the full vectors.
    return {
      factory: `PCA128,IVF${nlist},SQ8,RFlat`,
      params: { nprobe, kFactor: 16 },
      trainSize,
      reason: 'high-dimensional bank: IVF over 8-bit codes of a 128-d PCA projection, exact re-ranking of 16 candidates',
    };
  }
  return {
    factory: `IVF${nlist},SQ8,RFlat`,
    params: { nprobe, kFactor: 4 },
    trainSize,
    reason: 'IVF over 8-bit codes scanned in batches, exact re-ranking of 4 candidates per result',
  };
}
