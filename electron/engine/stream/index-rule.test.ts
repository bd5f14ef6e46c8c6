// The day-scale bank's index rule: exact for small banks, IVF-SQ8 while the budget allows 8-bit codes, OPQ+IVF-PQ
// below that; lists grow with √N and never outnumber the training sample.
import { describe, expect, it } from 'vitest';
import { chooseCompressedIndex, compressedNlist, DAY_FLAT_MAX, DAY_NPROBE } from './index-rule';

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
