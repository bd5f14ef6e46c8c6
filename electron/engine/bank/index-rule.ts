// The one index rule: which Faiss index a memory bank gets, with how many inverted lists and probes (native/ spells
// the factory strings). Three situations, one list-count rule with three parameter sets:
//
// chooseIndex: the bank of a fit, searched 784 times per image. Derived from bench/native-search.ts (784 queries per
// image at k = 1, seeded clustered patch-like data; see native/INDEX.md): Flat while exact search costs a few ms per
// image, else IVF over 8-bit codes with exact re-ranking (a 128-d PCA first at high D, where the list scan is memory
// bound). That keeps recall@1 ≥ 0.95 against exact search at every measured size while minimising ms per image; the
// probes are then raised for the anomaly map (IVF_NPROBE). On magnetic tile (59.7k × 128) it keeps the accuracy of
// exact search (docs/native-benchmarks.md).
//
// chooseCompressedIndex: a day-scale bank under a memory budget (bytes the index may take, on disk and in the page
// cache once mapped). Every choice is an IVF index whose inverted lists Faiss maps from the file (FaissIndex.read
// with mmap), so a second process or an app restart shares the pages instead of copying them.
//   vectors ≤ 4096                      Flat                          exact; nothing to train
//   budget/vector ≥ dim + 8 bytes       IVF{nlist},SQ8                8-bit scalar codes
//   budget/vector ≥ dim/2 + 8 bytes     OPQ{m},IVF{nlist},PQ{m}, m = dim/2   (2-d sub-quantizers, rotated by OPQ)
//   otherwise                           OPQ{m},IVF{nlist},PQ{m}, m = dim/4   (the usual IVF-PQ recipe; lower recall)
// nprobe 8: a query then scans 8·N/nlist ≈ √N codes: on bench:scale's 110k-vector bank (2 cores, AMD EPYC)
// IVF2048,SQ8 at nprobe 8 took 5.2 ms per 784-query image at recall@1 0.996, where IVF1024 at nprobe 16 took 17.6 ms
// for 0.998. HNSW over PQ is not offered: Faiss 1.7.3 cannot map an HNSW graph, so it would be copied into every
// process.
//
// netLists: the coarse lists of an epsilon-net (the stream fold and `update`): the coarse step costs nlist × dim per
// lookup, so more lists slow every lookup.
import { FLAT_FACTORY, ivfFactory, needsTraining } from '../../../native/index';
import type { IndexParams } from './knn';

export { needsTraining };

export interface IndexChoice {
  factory: string;
  params: IndexParams;
  reason: string;
  /** Bank vectors to train the index on (a uniform sample); absent or 0: all of them when it needs training. */
  trainSize?: number;
}

/**
 * Inverted lists for N vectors: `perRootN`·√N as a power of two, clamped to [min, max], and never more lists than
 * the training sample fills with `minPerList` vectors each (k-means wants ≥ 39; Faiss warns below that). The cap is
 * a power of two too where `powerOfTwo` says so (IVF lists), or the plain quotient (an epsilon-net's coarse lists).
 */
export interface ListRule {
  perRootN: number;
  min: number;
  max: number;
  minPerList: number;
  powerOfTwo: boolean;
}

/** A fit's bank: about 4·√N lists, with at least 64 bank vectors per list. */
export const SEARCH_LISTS: ListRule = { perRootN: 4, min: 1, max: Infinity, minPerList: 64, powerOfTwo: true };
/** A day-scale bank: 8·√N lists in [64, 65536], at most N/40. */
export const DAY_LISTS: ListRule = { perRootN: 8, min: 64, max: 65536, minPerList: 40, powerOfTwo: true };
/** An epsilon-net's coarse lists: √N in [16, 1024], at most N/39. */
export const NET_LISTS: ListRule = { perRootN: 1, min: 16, max: 1024, minPerList: 39, powerOfTwo: false };

export function listCount(vectors: number, rule: ListRule): number {
  const target = Math.min(rule.max, Math.max(rule.min, 2 ** Math.round(Math.log2(rule.perRootN * Math.sqrt(vectors)))));
  const perList = Math.max(1, vectors / rule.minPerList);
  const cap = rule.powerOfTwo ? 2 ** Math.floor(Math.log2(perList)) : Math.floor(perList);
  return Math.max(1, Math.min(target, cap));
}

/** k-means trains on 40 vectors per list: more only slows training. */
function trainSizeFor(vectors: number, nlist: number): number {
  return Math.min(vectors, 40 * nlist);
}

export const HNSW_EF_SEARCH = 64;
/**
 * Lists probed per query, at least. The search rule aims at recall@1 ≥ 0.95, which suits one nearest neighbour; a
 * PatchCore map is 784 of them, and each miss over-estimates a patch of a good part. On magnetic tile (512 lists)
 * nprobe 4 loses 0.008 pixel AUROC and 0.006 AUPRO to exact search, 16 keeps them (the image score is made exact
 * separately, Scorer.refine).
 */
export const IVF_NPROBE = 16;

/** Below this many multiply-adds per query (bank size × dimension), exact search costs a few ms per image. */
const EXACT_WORK = 20000 * 128;

/** The index of a fit's bank of `vectors` × `dim`. */
export function chooseIndex(vectors: number, dim: number): IndexChoice {
  if (!Number.isInteger(vectors) || vectors < 0) throw new RangeError(`ntotal must be a non-negative integer, got ${vectors}`);
  if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`dim must be a positive integer, got ${dim}`);
  if (vectors * dim <= EXACT_WORK) return { factory: FLAT_FACTORY, params: {}, trainSize: 0, reason: 'small bank: exact search is already fast' };
  const nlist = listCount(vectors, SEARCH_LISTS);
  // Sparse banks (few vectors per mode of the data) need more probes for the same recall: measured 0.957 at nprobe 4
  // on 16k vectors against 0.983 on 100k; the anomaly map needs more than either.
  const recallProbes = vectors < 50000 ? 8 : 4;
  const nprobe = Math.max(recallProbes, IVF_NPROBE);
  const raised = nprobe > recallProbes ? `; nprobe ${IVF_NPROBE} for the anomaly map's recall` : '';
  const trainSize = trainSizeFor(vectors, nlist);
  if (dim > 256) {
    return {
      factory: ivfFactory({ pca: 128, nlist, codes: 'SQ8', refine: true }),
      params: { nprobe, kFactor: 16 },
      trainSize,
      reason: `high-dimensional bank: IVF over 8-bit codes of a 128-d PCA projection, exact re-ranking of 16 candidates${raised}`,
    };
  }
  return {
    factory: ivfFactory({ nlist, codes: 'SQ8', refine: true }),
    params: { nprobe, kFactor: 4 },
    trainSize,
    reason: `IVF over 8-bit codes scanned in batches, exact re-ranking of 4 candidates per result${raised}`,
  };
}

export const DAY_FLAT_MAX = 4096;
export const DAY_NPROBE = 8;

function pqM(dim: number, target: number): number {
  let m = Math.max(1, Math.min(dim, target));
  while (dim % m !== 0) m--;
  return m;
}

/** The mapped, compressed index of a day-scale bank of `vectors` × `dim` within `budgetBytes`. */
export function chooseCompressedIndex(vectors: number, dim: number, budgetBytes = 1.5e9): IndexChoice & { trainSize: number; bytesPerVector: number } {
  if (!(Number.isInteger(vectors) && vectors >= 1)) throw new RangeError(`vectors must be a positive integer, got ${vectors}`);
  if (!(budgetBytes > 0)) throw new RangeError(`budget must be a positive number of bytes, got ${budgetBytes}`);
  if (vectors <= DAY_FLAT_MAX) {
    return { factory: FLAT_FACTORY, params: {}, reason: `exact search: ${vectors} ≤ ${DAY_FLAT_MAX} vectors`, trainSize: 0, bytesPerVector: 4 * dim };
  }
  const nlist = listCount(vectors, DAY_LISTS);
  const trainSize = trainSizeFor(vectors, nlist);
  const perVector = budgetBytes / vectors;
  const mb = (b: number) => `${(b / 1e6).toFixed(0)} MB`;
  if (perVector >= dim + 8) {
    return {
      factory: ivfFactory({ nlist, codes: 'SQ8' }),
      params: { nprobe: DAY_NPROBE },
      reason: `IVF-SQ8: ${vectors} vectors × ${dim + 8} B fit the ${mb(budgetBytes)} budget`,
      trainSize,
      bytesPerVector: dim + 8,
    };
  }
  const m = pqM(dim, perVector >= dim / 2 + 8 ? dim / 2 : Math.max(8, dim / 4));
  return {
    factory: ivfFactory({ opq: m, nlist, codes: { pq: m } }),
    params: { nprobe: DAY_NPROBE },
    reason: `OPQ+IVF-PQ${m}: ${vectors} vectors × ${dim + 8} B exceed the ${mb(budgetBytes)} budget; ${m + 8} B per vector`,
    trainSize,
    bytesPerVector: m + 8,
  };
}

/** Coarse lists probed per epsilon-net lookup (clamped to nlist by the net). */
export const NET_NPROBE = 8;

/** The coarse lists of an epsilon-net trained on `rows` vectors. */
export function netLists(rows: number): { nlist: number; nprobe: number } {
  const nlist = listCount(rows, NET_LISTS);
  return { nlist, nprobe: Math.min(NET_NPROBE, nlist) };
}

/** Default search parameters for a user-given factory string. */
export function defaultParams(factory: string): IndexParams {
  const p: IndexParams = {};
  if (/HNSW/i.test(factory)) p.efSearch = HNSW_EF_SEARCH;
  if (/IVF/i.test(factory)) p.nprobe = IVF_NPROBE;
  if (/RFlat|Refine/i.test(factory)) p.kFactor = 4;
  return p;
}

/** The index a user named (`--index`), with its default search parameters and any given ones. */
export function givenIndex(factory: string, given: { efSearch?: number; nprobe?: number } = {}): IndexChoice {
  const choice: IndexChoice = { factory, params: defaultParams(factory), reason: 'given with --index' };
  if (given.efSearch) choice.params.efSearch = given.efSearch;
  if (given.nprobe) choice.params.nprobe = given.nprobe;
  return choice;
}
