// Search parameters by measured recall: on a synthetic clustered bank, the chosen setting reaches recall@1 ≥ 0.99 of
// exact search (also on queries it was not chosen on), too small a setting is measured and rejected, and the choice is
// recorded for this machine.
import { describe, expect, it } from 'vitest';
import { FaissIndex } from '../../../native/index';
import { nativeBackends } from './backends';
import { rng } from '../random';
import { candidateFamilies, machineKey, spreadRows, TARGET_RECALL, tuneSearch } from './search-tuning';

const d = 32;
const r = rng(11);
const centres = Array.from({ length: 200 }, () => Float32Array.from({ length: d }, () => r() * 1.5));
function draw(n: number): Float32Array {
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = centres[Math.floor(r() * centres.length)];
    for (let t = 0; t < d; t++) out[i * d + t] = c[t] + (r() - 0.5);
  }
  return out;
}

async function recall(index: FaissIndex, flat: FaissIndex, queries: Float32Array, params: object): Promise<number> {
  const exact = (await flat.search(queries, 1)).distances;
  const got = (await index.search(queries, 1, params)).distances;
  let hits = 0;
  for (let i = 0; i < exact.length; i++) if (got[i] <= exact[i] * (1 + 1e-5) + 1e-6) hits++;
  return hits / exact.length;
}

describe('candidateFamilies', () => {
  it('nprobe up to nlist per kFactor for IVF with re-ranking, efSearch for HNSW, nothing for Flat', () => {
    const ivf = candidateFamilies('IVF64,SQ8,RFlat');
    expect(ivf.map((f) => f[0].kFactor)).toEqual([1, 2, 4]);
    expect(ivf[0].map((p) => p.nprobe)).toEqual([1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64]);
    expect(candidateFamilies('IVF16,Flat')).toEqual([[1, 2, 3, 4, 6, 8, 12, 16].map((nprobe) => ({ nprobe }))]);
    expect(candidateFamilies('HNSW32')[0].map((p) => p.efSearch)).toEqual([16, 32, 64, 128, 256, 512]);
    expect(candidateFamilies('Flat')).toEqual([]);
  });
});

describe('tuneSearch', () => {
  it('chooses the fastest setting that reaches recall@1 0.99 of the map and rejects too small ones', async () => {
    const bank = draw(20000);
    const held = draw(4096);
    const fresh = draw(4096);
    const index = FaissIndex.create(d, 'IVF128,SQ8,RFlat');
    const flat = FaissIndex.create(d, 'Flat');
    try {
      await index.train(bank);
      await index.add(bank);
      await flat.add(bank);
      const tuning = await tuneSearch({ index, factory: 'IVF128,SQ8,RFlat', dim: d, bank, queries: held, source: 'test', backend: nativeBackends.index });
      expect(tuning).toBeDefined();
      if (!tuning) return;
      // One probe of 128 lists, one re-ranked candidate: measured, far from the target, not passing.
      const smallest = tuning.measured[0];
      expect(smallest.params).toEqual({ nprobe: 1, kFactor: 1 });
      expect(smallest.recall).toBeLessThan(TARGET_RECALL);
      expect(smallest.passing).toBe(false);
      expect(await recall(index, flat, held, smallest.params)).toBeLessThan(TARGET_RECALL);

      const mine = tuning.machines[machineKey()];
      expect(mine).toBeDefined();
      expect(tuning.measured.find((m) => m.passing && JSON.stringify(m.params) === JSON.stringify(mine.params))).toBeDefined();
      expect(index.getParams()).toMatchObject(mine.params);
      // Recomputed independently on the tuning queries, and on queries the choice never saw.
      expect(await recall(index, flat, held, mine.params)).toBeGreaterThanOrEqual(TARGET_RECALL);
      expect(await recall(index, flat, fresh, mine.params)).toBeGreaterThanOrEqual(TARGET_RECALL - 0.005);
      // Per family, the next cheaper rung was measured and failed: the passing one is the cheapest of its family.
      const ladder = candidateFamilies('IVF128,SQ8,RFlat')[0].map((p) => p.nprobe);
      for (const m of tuning.measured.filter((x) => x.passing)) {
        const below = ladder[ladder.indexOf(m.params.nprobe) - 1];
        const cheaper = tuning.measured.find((x) => x.params.kFactor === m.params.kFactor && x.params.nprobe === below);
        expect(cheaper?.recall).toBeLessThan(TARGET_RECALL);
      }
      // Fewer searches than the whole grid.
      expect(tuning.measured.length).toBeLessThan(candidateFamilies('IVF128,SQ8,RFlat').flat().length / 2);
    } finally {
      index.close();
      flat.close();
    }
  });

  it('has nothing to tune on an exact index', async () => {
    const bank = draw(500);
    const index = FaissIndex.create(d, 'Flat');
    await index.add(bank);
    expect(await tuneSearch({ index, factory: 'Flat', dim: d, bank, queries: draw(10), source: 'test', backend: nativeBackends.index })).toBeUndefined();
    index.close();
  });
});

describe('spreadRows', () => {
  it('takes rows evenly, skipping the excluded ones', () => {
    const data = Float32Array.from({ length: 20 }, (_, i) => Math.floor(i / 2));
    expect(Array.from(spreadRows(data, 2, 3, (row) => row % 2 === 0))).toEqual([1, 1, 3, 3, 7, 7]);
    expect(spreadRows(data, 2, 100).length).toBe(20);
  });
});
