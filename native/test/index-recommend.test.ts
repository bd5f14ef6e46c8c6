import { describe, expect, it } from 'vitest';
import { FaissIndex, nlistFor, recommendIndex } from '../index';
import { clustered } from './index-helpers';

describe('recommendIndex', () => {
  it('exact search for small banks, IVF-SQ8 with re-ranking above, PCA first at high D', () => {
    expect(recommendIndex(6000, 128).factory).toBe('Flat');
    expect(recommendIndex(2000, 1024).factory).toBe('Flat');
    expect(recommendIndex(100000, 128)).toMatchObject({ factory: 'IVF1024,SQ8,RFlat', params: { nprobe: 4, kFactor: 4 } });
    expect(recommendIndex(1000000, 128).factory).toBe('IVF4096,SQ8,RFlat');
    expect(recommendIndex(1000000, 1536)).toMatchObject({ factory: 'PCA128,IVF4096,SQ8,RFlat', params: { nprobe: 4, kFactor: 16 } });
    expect(recommendIndex(30000, 128).params.nprobe).toBe(8); // sparse bank: more probes
    expect(recommendIndex(100000, 128).trainSize).toBe(40 * 1024);
  });

  it('list counts: about 4 sqrt(N) as a power of two, never fewer than 64 vectors per list', () => {
    expect(nlistFor(16384)).toBe(256);
    expect(nlistFor(100000)).toBe(1024);
    expect(nlistFor(1000000)).toBe(4096);
    expect(nlistFor(30000)).toBeLessThanOrEqual(30000 / 64);
    expect(nlistFor(10)).toBe(1);
  });

  it('rejects nonsense', () => {
    expect(() => recommendIndex(-1, 128)).toThrow(RangeError);
    expect(() => recommendIndex(100, 0)).toThrow(RangeError);
  });

  it('a recommended index builds, trains on its sample size and searches with its parameters', async () => {
    const d = 300; // > 256: the PCA branch
    const { bank, queries } = clustered(d, 12000, 20, 61);
    const rec = recommendIndex(12000, d);
    expect(rec.factory).toMatch(/^PCA128,IVF\d+,SQ8,RFlat$/);
    const index = FaissIndex.create(d, rec.factory);
    await index.train(bank.subarray(0, rec.trainSize * d));
    await index.add(bank);
    index.setParams(rec.params);
    const r = await index.search(queries, 1);
    expect(r.labels.every((l) => l >= 0n)).toBe(true);
    index.close();
  });
});
