import { describe, expect, it } from 'vitest';
import type { KnnIndex, SearchResult } from '../bank/knn';
import { ExactIndex } from '../testing/exact-backends';
import { rng } from '../random';
import { FaissIndex } from '../../../native/index';
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

describe('Scorer with a native index: one searchImage call per image', () => {
  const d = 32;
  const side = 28;
  // Clustered bank; queries near it, a few between two clusters and off them (a defect): the image maximum is then a
  // patch whose nearest neighbour may lie in a list the IVF does not probe.
  const r = rng(7);
  const centres = Array.from({ length: 64 }, () => Float32Array.from({ length: d }, () => r() * 4));
  const draw = (n: number, spread: number) => {
    const out = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      const c = centres[Math.floor(r() * centres.length)];
      for (let t = 0; t < d; t++) out[i * d + t] = c[t] + spread * (r() - 0.5);
    }
    return out;
  };
  const bank = draw(8000, 1);
  const queries = draw(side * side, 1.2);
  for (let p = 0; p < 40; p++) {
    const a = centres[(p * 7) % centres.length];
    const b = centres[(p * 13 + 1) % centres.length];
    for (let t = 0; t < d; t++) queries[p * 19 * d + t] = (a[t] + b[t]) / 2 + 0.8 * (r() - 0.5);
  }
  const embedding = { data: queries, gridH: side, gridW: side, dim: d };
  const params = { k: 1, reweight: false, reweightNeighbors: 3, sigma: 0, size: side, exactTop: 8 };

  async function build(factory: string, search: { nprobe?: number; kFactor?: number }): Promise<FaissIndex> {
    const index = FaissIndex.create(d, factory);
    if (!index.isTrained) await index.train(bank);
    await index.add(bank);
    if (Object.keys(search).length) index.setParams(search);
    return index;
  }

  it('refines inside the call: the image score is exact search\'s maximum, the map matches the JS path', async () => {
    const flat = await build('Flat', {});
    // One probe of 64 lists and no re-ranking slack: many patches miss their nearest neighbour.
    const ivf = await build('IVF64,SQ8,RFlat', { nprobe: 1, kFactor: 1 });
    try {
      const truth = (await new Scorer(flat, params, () => bank).score([embedding]))[0];
      const loose = (await new Scorer(ivf, { ...params, exactTop: 0 }, () => bank).score([embedding]))[0];
      expect(loose.scores.filter((v, p) => v > truth.scores[p] + 1e-4).length).toBeGreaterThan(10);
      expect(loose.score).toBeGreaterThan(truth.score + 1e-4);

      const one = (await new Scorer(ivf, params, () => bank).score([embedding]))[0];
      expect(one.profile?.oneCall).toBe(true);
      expect(one.profile?.rounds).toBeGreaterThan(0);
      expect(one.score).toBeCloseTo(truth.score, 5);
      for (let p = 0; p < side * side; p++) expect(one.scores[p]).toBeGreaterThanOrEqual(truth.scores[p] - 1e-5);

      const js = (await new Scorer(ivf, params, () => bank, flat, { oneCall: false }).score([embedding]))[0];
      expect(js.profile?.oneCall).toBe(false);
      expect(js.score).toBeCloseTo(one.score, 5);
      for (let p = 0; p < side * side; p++) expect(js.scores[p]).toBeCloseTo(one.scores[p], 4);
    } finally {
      flat.close();
      ivf.close();
    }
  });

  it('an index without exact vectors of its own refines against the bank passed in place, and not without it', async () => {
    const flat = await build('Flat', {});
    const ivf = await build('IVF64,Flat', { nprobe: 1 });
    try {
      expect(ivf.exactSource).toBeNull();
      const truth = (await new Scorer(flat, params, () => bank).score([embedding]))[0];
      const refined = (await new Scorer(ivf, params, () => bank, undefined, { exactVectors: () => bank }).score([embedding]))[0];
      expect(refined.score).toBeCloseTo(truth.score, 5);
      const bare = (await new Scorer(ivf, params, () => bank).score([embedding]))[0];
      expect(bare.profile?.rounds).toBe(0);
      expect(bare.score).toBeGreaterThan(truth.score + 1e-4);
    } finally {
      flat.close();
      ivf.close();
    }
  });
});
