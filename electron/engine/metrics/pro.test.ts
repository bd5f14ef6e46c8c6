import { describe, expect, it } from 'vitest';
import { labelRegions, pixelMetrics, PixelMetricsAccumulator, sortedPixelMetrics, trapezoid } from './pro';

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

describe('PixelMetricsAccumulator', () => {
  // Seeded maps with blobs of defect pixels and heavy ties (scores on a coarse grid), so both sweeps must group them.
  function maps(count: number, w: number, h: number, seed: number) {
    let x = seed;
    const rnd = () => ((x = (x * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const scores = new Float32Array(count * w * h);
    const masks = new Uint8Array(count * w * h);
    for (let n = 0; n < count; n++) {
      const cx = Math.floor(rnd() * w);
      const cy = Math.floor(rnd() * h);
      const r = n % 3 === 0 ? 0 : 1 + Math.floor(rnd() * 4);
      for (let y = 0; y < h; y++) {
        for (let xx = 0; xx < w; xx++) {
          const i = n * w * h + y * w + xx;
          const inside = r > 0 && (xx - cx) ** 2 + (y - cy) ** 2 <= r * r;
          masks[i] = inside ? 1 : 0;
          scores[i] = Math.round((rnd() + (inside ? 0.6 : 0)) * 20) / 20;
        }
      }
    }
    return { scores, masks };
  }

  it('gives what sorting the maps gives, image by image, ties and defect-free images included', () => {
    const w = 23;
    const h = 17;
    const { scores, masks } = maps(30, w, h, 5);
    const want = sortedPixelMetrics(scores, masks, w, h, 0.3);
    const acc = new PixelMetricsAccumulator(w, h, 30);
    for (let n = 0; n < 30; n++) {
      const mask = masks.subarray(n * w * h, (n + 1) * w * h);
      acc.add(scores.subarray(n * w * h, (n + 1) * w * h), mask.some((v) => v) ? mask : null);
    }
    const got = acc.result(0.3);
    expect(want.pixelAuroc).not.toBeNull();
    expect(got.pixelAuroc).toBeCloseTo(want.pixelAuroc!, 12);
    // The sorted path adds PRO increments rounded to float32 (1/size in a Float32Array); the accumulator in float64.
    expect(got.aupro).toBeCloseTo(want.aupro!, 7);
    expect(got.regions).toBe(want.regions);
    expect(got.proCurve.fpr).toEqual(want.proCurve.fpr);
    // pixelMetrics goes through the accumulator at this size.
    expect(pixelMetrics(scores, masks, w, h).aupro).toBe(got.aupro);
  });

  it('treats -0 and +0 as one score and orders negative scores below positive ones', () => {
    const acc = new PixelMetricsAccumulator(2, 2, 1);
    acc.add(f32([-0, 0, -1, 2]), Uint8Array.from([1, 0, 0, 1]));
    const want = sortedPixelMetrics(f32([-0, 0, -1, 2]), Uint8Array.from([1, 0, 0, 1]), 2, 2);
    // 2 beats both ok pixels, -0 ties 0 (half) and beats -1: (2 + 1.5) / 4.
    expect(acc.result().pixelAuroc).toBeCloseTo(0.875, 12);
    expect(want.pixelAuroc).toBeCloseTo(0.875, 12);
  });

  it('names what is wrong: a NaN score, a map of the wrong size, one map too many, maps too large to encode', () => {
    const acc = new PixelMetricsAccumulator(2, 2, 1);
    expect(() => acc.add(f32([0, NaN, 0, 0]), null)).toThrow(/score 1 is NaN/);
    expect(() => acc.add(f32([0, 0, 0]), null)).toThrow(/maps and masks of 2×2: 3 scores/);
    acc.add(f32([0, 1, 0, 0]), null);
    expect(() => acc.add(f32([0, 1, 0, 0]), null)).toThrow(/holds 1 maps/);
    expect(() => new PixelMetricsAccumulator(2048, 1024, 1)).toThrow(/too large/);
  });
});
