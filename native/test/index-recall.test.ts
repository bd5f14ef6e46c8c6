// Approximate indexes against exact Flat search on seeded clustered data (d = 32, 12k vectors, 300 queries).
// The thresholds are stated per case, with margin under what this data gives on the development machine.
import { beforeAll, describe, expect, it } from 'vitest';
import { FaissIndex, type SearchParams } from '../index';
import { clustered, recallAt1 } from './index-helpers';

const d = 32;
const { bank, queries } = clustered(d, 12000, 300, 11);
let exact: BigInt64Array;

beforeAll(async () => {
  const flat = FaissIndex.create(d, 'Flat');
  await flat.add(bank);
  exact = (await flat.search(queries, 1)).labels;
  flat.close();
});

async function recall(factory: string, params: SearchParams): Promise<number> {
  const index = FaissIndex.create(d, factory);
  if (!index.isTrained) await index.train(bank);
  await index.add(bank);
  const r = await index.search(queries, 1, params);
  index.close();
  return recallAt1(r.labels, exact, 1);
}

describe('recall@1 against exact search', () => {
  it('IVF-PQ (IVF64,PQ16, nprobe 16, no re-ranking) reaches recall@1 >= 0.65', async () => {
    // PQ16 over 32 dimensions quantises pairs of coordinates to 256 centroids: the code error, not the probing,
    // bounds its recall@1.
    expect(await recall('IVF64,PQ16', { nprobe: 16 })).toBeGreaterThanOrEqual(0.65);
  });

  it('IVF-PQ with exact re-ranking (IVF64,PQ16,RFlat, kFactor 8) reaches recall@1 >= 0.95', async () => {
    expect(await recall('IVF64,PQ16,RFlat', { nprobe: 16, kFactor: 8 })).toBeGreaterThanOrEqual(0.95);
  });

  it('OPQ + IVF-PQ with exact re-ranking (OPQ8,IVF16,PQ8,RFlat, nprobe 8, kFactor 16) reaches recall@1 >= 0.95', async () => {
    // The rotation is learnt in train(); a wrong or missing rotation at search time would scatter the probes and the
    // codes and lose recall. OPQ's alternating training is slow (50 rounds of PQ k-means), so it trains on a sample.
    const index = FaissIndex.create(d, 'OPQ8,IVF16,PQ8,RFlat');
    await index.train(bank.subarray(0, 3000 * d));
    await index.add(bank);
    const r = await index.search(queries, 1, { nprobe: 8, kFactor: 16 });
    index.close();
    expect(recallAt1(r.labels, exact, 1)).toBeGreaterThanOrEqual(0.95);
  });

  it('HNSW (HNSW32, efSearch 64) reaches recall@1 >= 0.95', async () => {
    expect(await recall('HNSW32', { efSearch: 64 })).toBeGreaterThanOrEqual(0.95);
  });

  it('a per-call efSearch above the stored one takes effect (Faiss 1.7.3 would cap it at the stored value)', async () => {
    const index = FaissIndex.create(d, 'HNSW16');
    await index.add(bank);
    expect(index.getParams()).toEqual({ efSearch: 16 });
    const low = await index.search(queries, 1, { efSearch: 2 });
    const high = await index.search(queries, 1, { efSearch: 128 });
    index.setParams({ efSearch: 128 });
    const stored = await index.search(queries, 1);
    expect(high.labels).toEqual(stored.labels);
    expect(recallAt1(high.labels, exact, 1)).toBeGreaterThan(recallAt1(low.labels, exact, 1));
    index.close();
  });

  it('IVF-SQ8 with re-ranking (IVF64,SQ8,RFlat, nprobe 8, kFactor 4) reaches recall@1 >= 0.97', async () => {
    expect(await recall('IVF64,SQ8,RFlat', { nprobe: 8, kFactor: 4 })).toBeGreaterThanOrEqual(0.97);
  });

  it('more probes never lose recall: nprobe 1 < nprobe 64 = exact (every list)', async () => {
    const one = await recall('IVF64,Flat', { nprobe: 1 });
    const all = await recall('IVF64,Flat', { nprobe: 64 });
    expect(all).toBe(1);
    expect(one).toBeLessThan(all);
  });
});
