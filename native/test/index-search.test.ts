import { describe, expect, it } from 'vitest';
import { FaissIndex } from '../index';
import { binding } from '../lib/binding';
import { bruteForceKnn } from '../../bench/lib/patch-features';
import { clustered } from './index-helpers';

function expectSameAsBruteForce(
  got: { distances: Float32Array; labels: BigInt64Array },
  want: { distances: Float64Array; labels: Int32Array },
): void {
  expect(Array.from(got.labels, Number)).toEqual(Array.from(want.labels));
  for (let i = 0; i < want.distances.length; i++) {
    expect(Math.abs(got.distances[i] - want.distances[i])).toBeLessThanOrEqual(1e-4 * want.distances[i] + 1e-5);
  }
}

describe('Flat search', () => {
  it.each([
    [64, 3000, 40, 5],
    [100, 2500, 33, 1], // dimension not a multiple of any SIMD width: exercises the tails
    [16, 1500, 100, 9],
    [128, 20000, 8, 5], // few queries: the direct-scan path (no packing), threads splitting the bank
    [96, 5000, 1, 3],
  ])('d=%i, %i vectors, %i queries, k=%i: same ids and distances as a brute-force TS loop', async (d, nb, nq, k) => {
    const { bank, queries } = clustered(d, nb, nq);
    const index = FaissIndex.create(d, 'Flat');
    await index.add(bank);
    expectSameAsBruteForce(await index.search(queries, k), bruteForceKnn(bank, queries, d, k));
    index.close();
  });

  it('returns label -1 and +Infinity where the index holds fewer than k vectors', async () => {
    const index = FaissIndex.create(8, 'Flat');
    await index.add(new Float32Array(16).map((_, i) => i));
    const r = await index.search(new Float32Array(8), 4);
    expect(Array.from(r.labels.slice(2))).toEqual([-1n, -1n]);
    expect(r.distances[2]).toBe(Infinity);
    expect(r.distances[0]).toBeLessThan(r.distances[1]);
    index.close();
  });

  it('reports size, training state and memory footprint', async () => {
    const d = 32;
    const index = FaissIndex.create(d, 'Flat');
    expect(index.dimension).toBe(d);
    expect(index.factory).toBe('Flat');
    expect(index.isTrained).toBe(true);
    expect(index.ntotal).toBe(0);
    await index.add(clustered(d, 1000, 1).bank);
    expect(index.ntotal).toBe(1000);
    expect(index.memoryBytes()).toBeGreaterThanOrEqual(1000 * d * 4);
    expect(index.mappedBytes()).toBe(0);
    await index.reset();
    expect(index.ntotal).toBe(0);
    index.close();
  });
});

describe('IVF fast paths agree with Faiss', () => {
  const d = 48;
  const { bank, queries } = clustered(d, 6000, 120, 5);

  it.each([
    'IVF32,Flat',
    'IVF32,SQ8',
    'IVF32,SQfp16',
    'IVF32,PQ12', // no batched kernel: coarse step only
    'PCA24,IVF32,SQ8,RFlat', // PCA applied by the SIMD tile kernel instead of OpenBLAS
    'RR48,IVF32,Flat', // random rotation: another linear step
  ])(
    '%s: the batched SIMD scan, from the packed lists and from the index\'s own, returns what faiss::IndexIVF::search returns',
    async (factory) => {
      const raw = binding().createIndex(d, factory);
      await raw.train(bank, undefined);
      await raw.add(bank, undefined);
      const params = { nprobe: 6, efSearch: -1, kFactor: -1 };
      const ref = await raw.search(queries, 4, params, false);
      const packs = !factory.includes('PQ');
      for (const packing of [true, false]) {
        raw.setListPacking(packing);
        const fast = await raw.search(queries, 4, params, true);
        // PQ codes (under a byte per dimension) are never packed: that index exists to save the memory.
        expect(raw.stats().packedBytes > 0).toBe(packing && packs);
        let same = 0;
        for (let i = 0; i < ref.labels.length; i++) {
          if (fast.labels[i] === ref.labels[i]) same++;
          expect(Math.abs(fast.distances[i] - ref.distances[i])).toBeLessThanOrEqual(1e-3 * ref.distances[i] + 1e-4);
        }
        // Identical up to float rounding of near ties.
        expect(same / ref.labels.length).toBeGreaterThanOrEqual(0.99);
      }
      raw.close();
    },
  );

  it('the packed copy of the lists is counted in memoryBytes, dropped by a mutation and rebuilt by the next search', async () => {
    const index = FaissIndex.create(d, 'IVF32,SQ8');
    await index.train(bank);
    await index.add(bank.subarray(0, 3000 * d));
    const before = index.memoryBytes();
    expect(index.packedBytes()).toBe(0);
    const first = await index.search(queries, 2, { nprobe: 32 });
    // 4·d + 12 bytes per vector, padded to whole SIMD panels per list.
    expect(index.packedBytes()).toBeGreaterThanOrEqual(3000 * (4 * d + 12));
    expect(index.packedBytes()).toBeLessThan(3000 * (4 * d + 12) + 32 * 16 * (4 * d + 12));
    expect(index.memoryBytes()).toBe(before + index.packedBytes());
    await index.add(bank.subarray(3000 * d));
    expect(index.packedBytes()).toBe(0);
    // nprobe = nlist is exact search over the reconstructions: the new vectors must be found.
    const after = await index.search(queries, 2, { nprobe: 32 });
    expect(index.packedBytes()).toBeGreaterThanOrEqual(6000 * (4 * d + 12));
    let improved = 0;
    for (let i = 0; i < first.distances.length; i++) {
      expect(after.distances[i]).toBeLessThanOrEqual(first.distances[i] * (1 + 1e-5) + 1e-6);
      if (after.distances[i] < first.distances[i] * (1 - 1e-4)) improved++;
    }
    expect(improved).toBeGreaterThan(0);
    index.setListPacking(false);
    expect(index.packedBytes()).toBe(0);
    expect(() => index.setListPacking('yes' as unknown as boolean)).toThrow(/on must be a boolean/);
    index.close();
  });
});

describe('ids', () => {
  it('IDMap,Flat returns the caller ids; removeIds and reset remove them', async () => {
    const d = 16;
    const { bank, queries } = clustered(d, 500, 20, 7);
    const index = FaissIndex.create(d, 'IDMap,Flat');
    const ids = BigInt64Array.from({ length: 500 }, (_, i) => BigInt(1_000_000_000_000 + i * 7));
    await index.add(bank, ids);
    const plain = bruteForceKnn(bank, queries, d, 1);
    const r = await index.search(queries, 1);
    expect(Array.from(r.labels)).toEqual(Array.from(plain.labels, (j) => ids[j]));

    const removed = await index.removeIds(ids.slice(0, 250));
    expect(removed).toBe(250);
    expect(index.ntotal).toBe(250);
    const after = await index.search(queries, 1);
    for (const label of after.labels) expect(label >= ids[250]).toBe(true);
    await index.reset();
    expect(index.ntotal).toBe(0);
    index.close();
  });

  it('IVF accepts ids too', async () => {
    const d = 16;
    const { bank } = clustered(d, 2000, 1, 8);
    const index = FaissIndex.create(d, 'IVF16,Flat');
    await index.train(bank);
    const ids = BigInt64Array.from({ length: 2000 }, (_, i) => 2n ** 62n - BigInt(i));
    await index.add(bank, ids);
    const r = await index.search(bank.subarray(0, d * 3), 1, { nprobe: 16 });
    expect(Array.from(r.labels)).toEqual([2n ** 62n, 2n ** 62n - 1n, 2n ** 62n - 2n]);
    expect(Array.from(r.distances)).toEqual([0, 0, 0]);
    index.close();
  });
});
