import { describe, expect, it } from 'vitest';
import type { KnnIndex, SearchResult } from '../bank/knn';
import { ExactIndex } from '../testing/exact-backends';
import { rng } from '../random';
import { Scorer } from './scorer';

const dim = 4;
const grid = 6;

function randomRows(n: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n * dim }, () => r() * 10);
}

/** An "approximate" index: the exact answer, except that for every query in `missed` it returns the 2nd neighbour. */
class MissingIndex extends ExactIndex implements KnnIndex {
  searches = 0;
  constructor(
    data: Float32Array,
    private readonly missed: Set<number>,
  ) {
    super(dim, data);
  }
  override search(queries: Float32Array, k: number): SearchResult {
    this.searches++;
    const two = super.search(queries, k + 1);
    const n = queries.length / dim;
    const distances = new Float32Array(n * k);
    const labels = new BigInt64Array(n * k);
    for (let q = 0; q < n; q++) {
      const shift = this.missed.has(q) ? 1 : 0;
      for (let j = 0; j < k; j++) {
        distances[q * k + j] = two.distances[q * (k + 1) + j + shift];
        labels[q * k + j] = two.labels[q * (k + 1) + j + shift];
      }
    }
    return { distances, labels };
  }
}

describe('Scorer with exact refinement of the top patches', () => {
  const bank = randomRows(200, 1);
  const queries = randomRows(grid * grid, 2);
  const embedding = { data: queries, gridH: grid, gridW: grid, dim };
  const params = { k: 1, reweight: false, reweightNeighbors: 3, sigma: 0, size: grid };

  it('an approximate index that misses neighbours inflates the image score; refinement restores the exact maximum', async () => {
    const exact = new ExactIndex(dim, bank);
    const truth = (await new Scorer(exact, params, () => bank).score([embedding]))[0];
    // Miss the neighbour of every patch: every approximate score is an over-estimate.
    const all = new Set(Array.from({ length: grid * grid }, (_, i) => i));
    const approx = (await new Scorer(new MissingIndex(bank, all), params, () => bank).score([embedding]))[0];
    expect(approx.score).toBeGreaterThan(truth.score);

    const refined = (await new Scorer(new MissingIndex(bank, all), { ...params, exactTop: 4 }, () => bank, exact).score([embedding]))[0];
    expect(refined.score).toBeCloseTo(truth.score, 5);
    // Every refined patch holds its exact value; the others keep their (larger or equal) approximate one.
    for (let p = 0; p < grid * grid; p++) {
      expect(refined.scores[p]).toBeLessThanOrEqual(approx.scores[p] + 1e-6);
      expect(refined.scores[p]).toBeGreaterThanOrEqual(truth.scores[p] - 1e-6);
    }
  });

  it('stops after the first round when the best exact score already bounds the rest', async () => {
    const exact = new ExactIndex(dim, bank);
    let exactSearches = 0;
    const counting: KnnIndex = { ...exact, ntotal: exact.ntotal, search: (q, k) => (exactSearches++, exact.search(q, k)), add: () => undefined, setParams: () => undefined, write: () => undefined, memoryBytes: () => 0, close: () => undefined };
    // Nothing missed: the approximate scores are exact, so one round of 4 settles it.
    await new Scorer(new MissingIndex(bank, new Set()), { ...params, exactTop: 4 }, () => bank, counting).score([embedding]);
    expect(exactSearches).toBe(1);
  });

  it('is off without an exact index or with exactTop 0', async () => {
    const all = new Set(Array.from({ length: grid * grid }, (_, i) => i));
    const approx = (await new Scorer(new MissingIndex(bank, all), params, () => bank).score([embedding]))[0];
    const off = (await new Scorer(new MissingIndex(bank, all), { ...params, exactTop: 0 }, () => bank, new ExactIndex(dim, bank)).score([embedding]))[0];
    expect(off.score).toBe(approx.score);
  });
});
