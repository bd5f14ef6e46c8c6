import { describe, expect, it } from 'vitest';
import { getNumThreads, setNumThreads } from '../index';

describe('native thread control', () => {
  it('sets and reads the OpenMP thread count', () => {
    const before = getNumThreads();
    setNumThreads(1);
    expect(getNumThreads()).toBe(1);
    setNumThreads(before);
    expect(getNumThreads()).toBe(before);
  });

  it('rejects a non-positive count before it reaches C++', () => {
    expect(() => setNumThreads(0)).toThrow(RangeError);
    expect(() => setNumThreads(1.5)).toThrow(/positive integer/);
  });
});
