// Bad input gets a clear Error (naming the argument or the problem), never a crash.
import { describe, expect, it } from 'vitest';
import { FaissIndex } from '../index';
import { clustered } from './index-helpers';

const d = 32;
const { bank, queries } = clustered(d, 2000, 4, 21);

async function flatWithData(): Promise<FaissIndex> {
  const index = FaissIndex.create(d, 'Flat');
  await index.add(bank);
  return index;
}

describe('create', () => {
  it('rejects an unknown factory string, naming it', () => {
    expect(() => FaissIndex.create(d, 'IVF-nonsense,Flatt')).toThrow(/unknown or invalid index factory string "IVF-nonsense,Flatt"/);
    expect(() => FaissIndex.create(d, 'PQ7')).toThrow(/factory string "PQ7" for dimension 32/); // 32 % 7 != 0
    expect(() => FaissIndex.create(d, '')).toThrow(TypeError);
  });

  it('rejects a bad dimension', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, 1e9]) expect(() => FaissIndex.create(bad, 'Flat')).toThrow(RangeError);
  });
});

describe('vectors', () => {
  it('rejects arrays whose length is not a multiple of the dimension', async () => {
    const index = await flatWithData();
    const wrong = new Float32Array(d * 3 + 5);
    await expect(index.add(wrong)).rejects.toThrow(/length 101 is not a multiple of the dimension 32/);
    await expect(index.search(wrong, 1)).rejects.toThrow(/queries length 101/);
    await expect(index.train(wrong)).rejects.toThrow(/not a multiple/);
    // A query of another dimension (e.g. a 64-d feature against a 32-d bank) is the common way to get here.
    await expect(index.search(new Float32Array(48), 1)).rejects.toThrow(RangeError);
    index.close();
  });

  it('rejects other array types', async () => {
    const index = await flatWithData();
    await expect(index.add(new Float64Array(d) as unknown as Float32Array)).rejects.toThrow(/must be a Float32Array/);
    await expect(index.search([1, 2] as unknown as Float32Array, 1)).rejects.toThrow(/must be a Float32Array/);
    await expect(index.add(new Float32Array(0))).rejects.toThrow(/empty/);
    index.close();
  });

  it('rejects NaN and Infinity, naming the row and column', async () => {
    const index = await flatWithData();
    const v = bank.slice(0, d * 4);
    v[2 * d + 7] = Number.NaN;
    await expect(index.add(v)).rejects.toThrow(/vectors contain NaN at row 2, column 7/);
    const q = queries.slice();
    q[d + 3] = -Infinity;
    await expect(index.search(q, 1)).rejects.toThrow(/queries contain Infinity at row 1, column 3/);
    expect(index.ntotal).toBe(2000);

    const ivf = FaissIndex.create(d, 'IVF8,Flat');
    await expect(ivf.train(v)).rejects.toThrow(/training vectors contain NaN/);
    expect(ivf.isTrained).toBe(false);
    index.close();
    ivf.close();
  });
});

describe('k and search parameters', () => {
  it('rejects k <= 0 and non-integer k', async () => {
    const index = await flatWithData();
    for (const k of [0, -3, 1.5, Number.NaN]) await expect(index.search(queries, k)).rejects.toThrow(/k must be a positive integer/);
    index.close();
  });

  it('rejects bad nprobe / efSearch / kFactor, and parameters the index has no use for', async () => {
    const index = await flatWithData();
    await expect(index.search(queries, 1, { nprobe: 0 })).rejects.toThrow(/nprobe must be a positive integer/);
    await expect(index.search(queries, 1, { efSearch: 2.5 })).rejects.toThrow(/efSearch/);
    await expect(index.search(queries, 1, { kFactor: 0.5 })).rejects.toThrow(/kFactor/);
    expect(() => index.setParams({ nprobe: 4 })).toThrow(/no IVF stage/);
    expect(() => index.setParams({ efSearch: 4 })).toThrow(/HNSW/);
    index.close();
  });
});

describe('training state', () => {
  it('search and add on an untrained IVF index reject with a clear message', async () => {
    const ivf = FaissIndex.create(d, 'IVF16,SQ8');
    expect(ivf.isTrained).toBe(false);
    await expect(ivf.search(queries, 1)).rejects.toThrow(/not trained: call train\(\) before search\(\)/);
    await expect(ivf.add(bank)).rejects.toThrow(/not trained: call train\(\) before add\(\)/);
    await ivf.train(bank);
    await ivf.add(bank);
    await expect(ivf.train(bank)).rejects.toThrow(/already holds vectors/);
    expect(ivf.ntotal).toBe(2000);
    ivf.close();
  });

  it('passes Faiss errors through as Errors (too few training points for the centroids)', async () => {
    const ivf = FaissIndex.create(d, 'IVF256,Flat');
    await expect(ivf.train(bank.subarray(0, d * 100))).rejects.toThrow(/Faiss: .*training points/i);
    ivf.close();
  });
});

describe('ids', () => {
  it('rejects wrong, negative or missing ids', async () => {
    const idmap = FaissIndex.create(d, 'IDMap,Flat');
    await expect(idmap.add(bank)).rejects.toThrow(/needs a BigInt64Array of ids/);
    await expect(idmap.add(bank, new BigInt64Array(3))).rejects.toThrow(/ids length 3 does not match the 2000 vectors/);
    const ids = BigInt64Array.from({ length: 2000 }, (_, i) => BigInt(i));
    ids[17] = -4n;
    await expect(idmap.add(bank, ids)).rejects.toThrow(/ids must be >= 0.*ids\[17\] is -4/);
    await expect(idmap.removeIds([1, 2] as unknown as BigInt64Array)).rejects.toThrow(/BigInt64Array/);
    idmap.close();
  });

  it('an index type without removeIds rejects instead of crashing', async () => {
    const hnsw = FaissIndex.create(d, 'HNSW8');
    await hnsw.add(bank.subarray(0, d * 200));
    await expect(hnsw.removeIds(new BigInt64Array([1n]))).rejects.toThrow(/Faiss: .*not implemented/);
    expect(hnsw.ntotal).toBe(200);
    hnsw.close();
  });
});

describe('closed index', () => {
  it('every call after close() throws a clear Error', async () => {
    const index = await flatWithData();
    index.close();
    index.close(); // idempotent
    expect(index.closed).toBe(true);
    expect(() => index.ntotal).toThrow(/closed/);
    expect(() => index.memoryBytes()).toThrow(/closed/);
    expect(() => index.setParams({})).toThrow(/closed/);
    await expect(index.search(queries, 1)).rejects.toThrow(/closed/);
    await expect(index.add(bank)).rejects.toThrow(/closed/);
    await expect(index.write('/tmp/never-written.index')).rejects.toThrow(/closed/);
    await expect(index.reset()).rejects.toThrow(/closed/);
  });
});
