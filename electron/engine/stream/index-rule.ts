// Which compressed index a day-scale bank gets, from its size and a memory budget (bytes the index may take, on
// disk and in the page cache once mapped). Every choice is an IVF index whose inverted lists Faiss maps from the
// file (FaissIndex.read with mmap), so a second process or an app restart shares the pages instead of copying them.
//
//   vectors ≤ 4096                      Flat                          exact; nothing to train
//   budget/vector ≥ dim + 8 bytes       IVF{nlist},SQ8                8-bit scalar codes
//   budget/vector ≥ dim/2 + 8 bytes     OPQ{m},IVF{nlist},PQ{m}, m = dim/2   (2-d sub-quantizers, rotated by OPQ)
//   otherwise                           OPQ{m},IVF{nlist},PQ{m}, m = dim/4   (the usual IVF-PQ recipe; lower recall)
//
// nlist ≈ 8·√N as a power of two in [64, 65536], at most N/40; training takes 40 vectors per list (or the whole bank);
// nprobe 8. A query then scans 8·N/nlist ≈ √N codes: on bench:scale's 110k-vector bank (2 cores, AMD EPYC) IVF2048,SQ8
// at nprobe 8 took 5.2 ms per 784-query image at recall@1 0.996, where IVF1024 at nprobe 16 took 17.6 ms for 0.998.
// HNSW over PQ is not offered: Faiss 1.7.3 cannot map an HNSW graph, so it would be copied into every process.
import type { IndexChoice } from '../bank/index-rule';

export const DAY_FLAT_MAX = 4096;
export const DAY_NPROBE = 8;

export function compressedNlist(vectors: number): number {
  const rule = Math.min(65536, Math.max(64, 2 ** Math.round(Math.log2(8 * Math.sqrt(vectors)))));
  // k-means wants >= 39 training vectors per list (Faiss warns below that).
  return Math.min(rule, 2 ** Math.floor(Math.log2(Math.max(1, vectors / 40))));
}

function pqM(dim: number, target: number): number {
  let m = Math.max(1, Math.min(dim, target));
  while (dim % m !== 0) m--;
  return m;
}

export function chooseCompressedIndex(vectors: number, dim: number, budgetBytes = 1.5e9): IndexChoice & { trainSize: number; bytesPerVector: number } {
  if (!(Number.isInteger(vectors) && vectors >= 1)) throw new RangeError(`vectors must be a positive integer, got ${vectors}`);
  if (!(budgetBytes > 0)) throw new RangeError(`budget must be a positive number of bytes, got ${budgetBytes}`);
  if (vectors <= DAY_FLAT_MAX) {
    return { factory: 'Flat', params: {}, reason: `exact search: ${vectors} ≤ ${DAY_FLAT_MAX} vectors`, trainSize: 0, bytesPerVector: 4 * dim };
  }
  const nlist = compressedNlist(vectors);
  const trainSize = Math.min(vectors, 40 * nlist);
  const perVector = budgetBytes / vectors;
  const mb = (b: number) => `${(b / 1e6).toFixed(0)} MB`;
  if (perVector >= dim + 8) {
    return {
      factory: `IVF${nlist},SQ8`,
      params: { nprobe: DAY_NPROBE },
      reason: `IVF-SQ8: ${vectors} vectors × ${dim + 8} B fit the ${mb(budgetBytes)} budget`,
      trainSize,
      bytesPerVector: dim + 8,
    };
  }
  const m = pqM(dim, perVector >= dim / 2 + 8 ? dim / 2 : Math.max(8, dim / 4));
  return {
    factory: `OPQ${m},IVF${nlist},PQ${m}`,
    params: { nprobe: DAY_NPROBE },
    reason: `OPQ+IVF-PQ${m}: ${vectors} vectors × ${dim + 8} B exceed the ${mb(budgetBytes)} budget; ${m + 8} B per vector`,
    trainSize,
    bytesPerVector: m + 8,
  };
}
