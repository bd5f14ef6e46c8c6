import { describe, expect, it } from 'vitest';
import { labelRegions, pixelMetrics, trapezoid } from './pro';

const f32 = (a: number[]) => Float32Array.from(a);

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
    expect(pixelMetrics(scores, new Uint8Array(8), 2, 2).aupro).toBeNull();
  });
});
