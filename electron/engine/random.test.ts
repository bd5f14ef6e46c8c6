import { describe, expect, it } from 'vitest';
import { rng, shuffledIndices } from './random';

describe('shuffledIndices', () => {
  it('is a permutation, the same for a seed and different across seeds', () => {
    const a = shuffledIndices(50, 7);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(shuffledIndices(50, 7)).toEqual(a);
    expect(shuffledIndices(50, 8)).not.toEqual(a);
  });

  it('is Fisher-Yates from the end on mulberry32 (the order fit and fit --stream have always used)', () => {
    const rand = rng(3);
    const j3 = Math.floor(rand() * 4);
    const expected = [0, 1, 2, 3];
    [expected[3], expected[j3]] = [expected[j3], expected[3]];
    const j2 = Math.floor(rand() * 3);
    [expected[2], expected[j2]] = [expected[j2], expected[2]];
    const j1 = Math.floor(rand() * 2);
    [expected[1], expected[j1]] = [expected[j1], expected[1]];
    expect(shuffledIndices(4, 3)).toEqual(expected);
  });
});
