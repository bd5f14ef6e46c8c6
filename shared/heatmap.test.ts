import { describe, expect, it } from 'vitest';
import { HEATMAP_LUT, HEATMAP_THRESHOLD_LEVEL, colorize, quantizeMap } from './heatmap';

describe('quantizeMap', () => {
  it('puts the threshold at level 128 and saturates at twice the threshold', () => {
    const q = quantizeMap(new Float32Array([0, 0.5, 1, 4]), 2, 2, 0.5);
    expect([...q]).toEqual([0, HEATMAP_THRESHOLD_LEVEL, 255, 255]);
  });
  it('max-pools so a one-cell peak survives downsampling', () => {
    const data = new Float32Array(16 * 16);
    data[5 * 16 + 9] = 1;
    const q = quantizeMap(data, 16, 16, 1, 4, 4);
    expect(q.length).toBe(16);
    expect(q[1 * 4 + 2]).toBe(128);
    expect([...q].filter((v) => v > 0)).toHaveLength(1);
  });
  it('rejects a map whose size does not match', () => {
    expect(() => quantizeMap(new Float32Array(3), 2, 2, 1)).toThrow(/expected 2×2/);
  });
});

describe('colour map', () => {
  it('is transparent far below threshold, opaque at it, and red above it', () => {
    expect(HEATMAP_LUT[0 * 4 + 3]).toBe(0);
    expect(HEATMAP_LUT[70 * 4 + 3]).toBe(0); // ~55 % of the threshold: still invisible
    expect(HEATMAP_LUT[110 * 4 + 3]).toBeGreaterThan(100);
    expect(HEATMAP_LUT[HEATMAP_THRESHOLD_LEVEL * 4 + 3]).toBe(255);
    const hot = 240 * 4;
    expect(HEATMAP_LUT[hot]).toBeGreaterThan(HEATMAP_LUT[hot + 2]);
    const rgba = colorize(new Uint8Array([0, 255]));
    expect(rgba.length).toBe(8);
    expect(rgba[7]).toBe(255);
  });
});
