// The index rule: a fit's bank (exact for small banks, IVF-SQ8 with re-ranking above, PCA first at high D), a day-scale
// bank (exact for small banks, IVF-SQ8 while the budget allows 8-bit codes, OPQ+IVF-PQ below that) and an
// epsilon-net's coarse lists; lists grow with √N and never outnumber the training sample.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FaissIndex, ivfFactory } from '../../../native/index';
import { chooseCompressedIndex, chooseIndex, DAY_FLAT_MAX, DAY_LISTS, DAY_NPROBE, defaultParams, givenIndex, listCount, netLists, NET_LISTS, SEARCH_LISTS } from './index-rule';

const compressedNlist = (n: number) => listCount(n, DAY_LISTS);

describe('chooseCompressedIndex', () => {
  it('keeps small banks exact', () => {
    expect(chooseCompressedIndex(DAY_FLAT_MAX, 128)).toMatchObject({ factory: 'Flat', trainSize: 0 });
    expect(chooseCompressedIndex(DAY_FLAT_MAX + 1, 128).factory).toMatch(/^IVF\d+,SQ8$/);
  });

  it('sizes the lists with √N, capped by 40 training vectors per list', () => {
    expect(compressedNlist(110_000)).toBe(2048); // 8·√110k ≈ 2653
    expect(compressedNlist(1_000_000)).toBe(8192);
    expect(compressedNlist(35_000)).toBe(512); // 8·√35k ≈ 1497, but 35k / 40 < 1024
    expect(compressedNlist(5000)).toBe(64);
    const c = chooseCompressedIndex(110_000, 128);
    expect(c).toMatchObject({ factory: 'IVF2048,SQ8', params: { nprobe: DAY_NPROBE }, trainSize: 81_920, bytesPerVector: 136 });
  });

  it('moves to OPQ + IVF-PQ as the memory budget shrinks', () => {
    const n = 10_000_000;
    expect(chooseCompressedIndex(n, 128, n * 200).factory).toMatch(/^IVF\d+,SQ8$/);
    expect(chooseCompressedIndex(n, 128, n * 100).factory).toMatch(/^OPQ64,IVF\d+,PQ64$/);
    const tight = chooseCompressedIndex(n, 128, n * 20);
    expect(tight.factory).toMatch(/^OPQ32,IVF\d+,PQ32$/);
    expect(tight.bytesPerVector).toBe(40);
    expect(tight.reason).toMatch(/exceed the 200 MB budget/);
  });

  it('refuses nonsense sizes and budgets', () => {
    expect(() => chooseCompressedIndex(0, 128)).toThrow(/positive integer/);
    expect(() => chooseCompressedIndex(10, 128, 0)).toThrow(/positive number of bytes/);
  });
});

describe('chooseIndex (a fit\'s bank)', () => {
  it('exact search for small banks, IVF-SQ8 with re-ranking above, PCA first at high D', () => {
    expect(chooseIndex(6000, 128).factory).toBe('Flat');
    expect(chooseIndex(2000, 1024).factory).toBe('Flat');
    expect(chooseIndex(100000, 128)).toMatchObject({ factory: 'IVF1024,SQ8,RFlat', params: { nprobe: 16, kFactor: 4 } });
    expect(chooseIndex(1000000, 128).factory).toBe('IVF4096,SQ8,RFlat');
    expect(chooseIndex(1000000, 1536)).toMatchObject({ factory: 'PCA128,IVF4096,SQ8,RFlat', params: { nprobe: 16, kFactor: 16 } });
    expect(chooseIndex(100000, 128).trainSize).toBe(40 * 1024);
    expect(chooseIndex(59_700, 128).reason).toMatch(/nprobe 16 for the anomaly map's recall$/);
  });

  it('list counts: about 4 √N as a power of two, never fewer than 64 vectors per list', () => {
    const nlistFor = (n: number) => listCount(n, SEARCH_LISTS);
    expect(nlistFor(16384)).toBe(256);
    expect(nlistFor(100000)).toBe(1024);
    expect(nlistFor(1000000)).toBe(4096);
    expect(nlistFor(30000)).toBeLessThanOrEqual(30000 / 64);
    expect(nlistFor(10)).toBe(1);
  });

  it('rejects nonsense', () => {
    expect(() => chooseIndex(-1, 128)).toThrow(RangeError);
    expect(() => chooseIndex(100, 0)).toThrow(RangeError);
  });

  it('a chosen index builds, trains on its sample size and searches with its parameters', async () => {
    const d = 300; // > 256: the PCA branch
    const n = 12000;
    let seed = 61;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5;
    const centres = Array.from({ length: 20 }, () => Float32Array.from({ length: d }, rand));
    const bank = new Float32Array(n * d).map((_, i) => centres[Math.floor(i / d) % 20][i % d] + 0.05 * rand());
    const rec = chooseIndex(n, d);
    expect(rec.factory).toMatch(/^PCA128,IVF\d+,SQ8,RFlat$/);
    const index = FaissIndex.create(d, rec.factory);
    await index.train(bank.subarray(0, (rec.trainSize ?? n) * d));
    await index.add(bank);
    index.setParams(rec.params);
    const r = await index.search(bank.subarray(0, 10 * d), 1);
    expect(Array.from(r.labels, Number)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    index.close();
  });
});

describe('netLists (an epsilon-net\'s coarse lists)', () => {
  it('√N as a power of two in [16, 1024], at most N/39 lists, 8 probes at most', () => {
    expect(netLists(59_700)).toEqual({ nlist: 256, nprobe: 8 });
    expect(netLists(10_000_000).nlist).toBe(1024);
    expect(netLists(1000)).toEqual({ nlist: 25, nprobe: 8 }); // √1000 ≈ 32, but 1000 / 39 < 26
    expect(netLists(400).nlist).toBe(10); // √400 = 20 → 16, but 400 / 39 < 11
    expect(netLists(300)).toEqual({ nlist: 7, nprobe: 7 }); // 300 / 39
    expect(listCount(300, NET_LISTS)).toBe(7);
  });
});

describe('user-given factories', () => {
  it('get default search parameters, overridden by the given ones', () => {
    expect(defaultParams('HNSW32')).toEqual({ efSearch: 64 });
    expect(defaultParams('IVF64,SQ8,RFlat')).toEqual({ nprobe: 16, kFactor: 4 });
    expect(givenIndex('IVF64,SQ8', { nprobe: 3 })).toEqual({ factory: 'IVF64,SQ8', params: { nprobe: 3 }, reason: 'given with --index' });
  });
});

describe('native spells the factory strings', () => {
  it('from the parts of an IVF index', () => {
    expect(ivfFactory({ nlist: 512, codes: 'SQ8', refine: true })).toBe('IVF512,SQ8,RFlat');
    expect(ivfFactory({ pca: 128, nlist: 64, codes: 'SQ8', refine: true })).toBe('PCA128,IVF64,SQ8,RFlat');
    expect(ivfFactory({ opq: 32, nlist: 2048, codes: { pq: 32 } })).toBe('OPQ32,IVF2048,PQ32');
    expect(() => ivfFactory({ nlist: 0, codes: 'SQ8' })).toThrow(/nlist must be a positive integer/);
  });
});

/**
 * The rule as it stood before it became one (native recommendIndex + the engine's nprobe floor, the stream's
 * compressed rule, native netNlist), recorded over sizes from empty to 10 M: a later change of the policy shows here.
 */
describe('unchanged against the recorded choices', () => {
  const golden = JSON.parse(readFileSync(new URL('./index-rule.golden.json', import.meta.url), 'utf8')) as Record<string, Record<string, unknown>>;
  const attempt = (f: () => unknown) => {
    try {
      return f();
    } catch (e) {
      return String(e);
    }
  };
  for (const [n, row] of Object.entries(golden)) {
    if (n.startsWith('params ')) {
      it(`default parameters of ${n.slice(7)}`, () => expect(defaultParams(n.slice(7))).toEqual(row));
      continue;
    }
    it(`${n} vectors`, () => {
      const v = Number(n);
      const got: Record<string, unknown> = { nlistFor: listCount(v, SEARCH_LISTS), netNlist: netLists(v).nlist };
      for (const d of [128, 300, 1536]) {
        got[`search${d}`] = attempt(() => {
          const c = chooseIndex(v, d);
          return [c.factory, c.params, c.trainSize, c.reason];
        });
        for (const [key, budget] of [[`day${d}`, undefined], [`dayTight${d}`, v * 50]] as const) {
          got[key] = attempt(() => {
            const c = chooseCompressedIndex(v, d, budget);
            return [c.factory, c.params, c.trainSize, c.bytesPerVector, c.reason];
          });
        }
      }
      expect(got).toEqual(row);
    });
  }
});
