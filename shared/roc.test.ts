import { describe, expect, it } from 'vitest';
import { argsort } from './argsort';
import { auroc, f1Max, labelled, rocCurve } from './roc';

const f32 = (a: number[]) => Float32Array.from(a);

describe('argsort', () => {
  it('sorts descending and ascending, negatives and zeros included, stably', () => {
    const s = f32([0.5, -2, 3, 0, -0.25, 3, 1e-8]);
    expect(Array.from(argsort(s))).toEqual([2, 5, 0, 6, 3, 4, 1]);
    expect(Array.from(argsort(s, false))).toEqual([1, 4, 3, 6, 0, 2, 5]);
  });
  it('agrees with a comparator sort on random data', () => {
    const s = new Float32Array(5000).map((_, i) => Math.sin(i * 12.9898) * 43758.5453 - Math.floor(Math.sin(i * 12.9898) * 43758.5453) - 0.5);
    const order = argsort(s);
    for (let i = 1; i < order.length; i++) expect(s[order[i - 1]]).toBeGreaterThanOrEqual(s[order[i]]);
  });
  it('refuses NaN', () => expect(() => argsort(f32([1, NaN]))).toThrow(/NaN/));
});

describe('auroc', () => {
  it('matches hand-computed values', () => {
    // 3 of 4 (pos, neg) pairs ordered right.
    expect(auroc(f32([0.1, 0.4, 0.35, 0.8]), [0, 0, 1, 1])).toBeCloseTo(0.75, 12);
    // A tie between a positive and a negative counts half: (0.5 + 1 + 1 + 1) / 4.
    expect(auroc(f32([0.5, 0.5, 0.2, 0.9]), [1, 0, 0, 1])).toBeCloseTo(0.875, 12);
    expect(auroc(f32([1, 2, 3]), [0, 0, 1])).toBe(1);
    expect(auroc(f32([3, 2, 1]), [0, 0, 1])).toBe(0);
    expect(auroc(f32([1, 2]), [1, 1])).toBeNull();
  });
  it('rejects mismatched lengths', () => expect(() => auroc(f32([1, 2]), [1])).toThrow(/2 scores but 1 labels/));
});

describe('rocCurve', () => {
  it('steps through each distinct threshold', () => {
    const c = rocCurve(f32([0.1, 0.4, 0.35, 0.8]), [0, 0, 1, 1]);
    expect(c.x).toEqual([0, 0, 0.5, 0.5, 1]);
    expect(c.y).toEqual([0, 0.5, 0.5, 1, 1]);
  });
});

describe('f1Max', () => {
  it('finds the best F1 and its threshold', () => {
    // ≥0.6 predicts 4 positives, 3 right: P = 3/4, R = 1 → F1 = 6/7.
    const r = f1Max(f32([0.9, 0.8, 0.7, 0.6, 0.5]), [1, 0, 1, 1, 0]);
    expect(r?.f1).toBeCloseTo(6 / 7, 6);
    expect(r?.threshold).toBeCloseTo(0.6, 6);
    expect(f1Max(f32([0.9, 0.8]), [0, 0])).toBeNull();
  });
});

describe('one AUROC for float32 and float64 scores', () => {
  it('sorts float64 scores without rounding them to float32', () => {
    // 1 + 1e-9 and 1 are one float32 value but two float64 ones: the defect must win outright.
    const { scores, labels } = labelled([1], [1 + 1e-9]);
    expect(Array.from(argsort(scores))).toEqual([1, 0]);
    expect(auroc(scores, labels)).toBe(1);
    expect(auroc(Float32Array.from(scores), labels)).toBe(0.5);
  });
  it('float64 argsort is stable and refuses NaN', () => {
    expect(Array.from(argsort([2, 1, 2, 3]))).toEqual([3, 0, 2, 1]);
    expect(Array.from(argsort([2, 1, 2, 3], false))).toEqual([1, 0, 2, 3]);
    expect(() => argsort([1, NaN])).toThrow(/NaN/);
  });
});
