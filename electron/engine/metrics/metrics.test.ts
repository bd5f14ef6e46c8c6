import { describe, expect, it } from 'vitest';
import { argsort } from './sort';
import { auroc, f1Max, rocCurve } from './roc';
import { labelRegions, pixelMetrics, trapezoid } from './pro';

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
    expect(auroc(f32([1, 2]), [1, 1])).toBeNaN();
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
    expect(r.f1).toBeCloseTo(6 / 7, 6);
    expect(r.threshold).toBeCloseTo(0.6, 6);
  });
});

describe('labelRegions (8-connected)', () => {
  it('joins diagonal neighbours', () => {
    const m = Uint8Array.from([1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0]);
    const r = labelRegions(m, 4, 4);
    expect(r.count).toBe(3);
    expect(r.sizes).toEqual([2, 2, 2]);
    expect(r.labels[0]).toBe(r.labels[5]);
  });
  it('merges a U shape found as two runs', () => {
    const r = labelRegions(Uint8Array.from([1, 0, 1, 1, 0, 1, 1, 1, 1]), 3, 3);
    expect(r.count).toBe(1);
    expect(r.sizes).toEqual([7]);
  });
});

describe('trapezoid', () => {
  it('interpolates at the limit', () => {
    expect(trapezoid([0, 0.2, 0.4], [0, 1, 1], 0.3)).toBeCloseTo(0.1 + 0.1, 12);
    expect(trapezoid([0, 1], [0, 1], 0.5)).toBeCloseTo(0.125, 12);
  });
});

describe('pixelMetrics', () => {
  // Two 2×2 maps. A: region {0,1} scores 0.9, 0.2; ok 0.5, 0.1. B: region {3} scores 0.8; ok 0.3, 0.4, 0.05.
  const scores = f32([0.9, 0.2, 0.5, 0.1, 0.3, 0.4, 0.05, 0.8]);
  const masks = Uint8Array.from([1, 1, 0, 0, 0, 0, 0, 1]);

  it('pools pixels for AUROC', () => {
    // 0.9 and 0.8 beat all 5 ok pixels, 0.2 beats 2: 12 / 15.
    expect(pixelMetrics(scores, masks, 2, 2).pixelAuroc).toBeCloseTo(0.8, 6);
  });

  it('integrates PRO to the FPR limit', () => {
    // Curve: (0,0) (0,.25) (0,.75) (.2,.75) (.4,.75) (.6,.75) (.6,1) (.8,1) (1,1).
    const m = pixelMetrics(scores, masks, 2, 2, 0.3);
    expect(m.regions).toBe(2);
    expect(m.aupro).toBeCloseTo(0.75, 6);
    expect(pixelMetrics(scores, masks, 2, 2, 1).aupro).toBeCloseTo(0.85, 6);
  });

  it('gives NaN AUPRO when no image has a defect region', () => {
    expect(pixelMetrics(scores, new Uint8Array(8), 2, 2).aupro).toBeNaN();
  });
});
