import { describe, expect, it } from 'vitest';
import { HEATMAP_LUT, HEATMAP_THRESHOLD_LEVEL, colorize, mapOntoImage, quantizeMap } from './heatmap';

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

describe('mapOntoImage', () => {
  const map = { data: Float32Array.from([0, 0, 0, 1]), width: 2, height: 2 };

  it('is the map itself when it covers the whole image at its own size', () => {
    const whole = { left: 0, top: 0, width: 2, height: 2, imageWidth: 2, imageHeight: 2 };
    expect([...mapOntoImage(map, whole, 2, 2)]).toEqual([0, 0, 0, 1]);
  });

  it('places a centre-crop map on the centre of the image and extends its edges outwards', () => {
    const centre = { left: 2, top: 2, width: 4, height: 4, imageWidth: 8, imageHeight: 8 };
    const out = mapOntoImage(map, centre, 8, 8);
    expect(out[0]).toBe(0); // outside the crop, beyond the zero corner
    expect(out[7 * 8 + 7]).toBe(1); // outside the crop, beyond the hot corner
    expect(out[5 * 8 + 5]).toBe(1); // the hot cell's quarter of the crop
    expect(out[4 * 8 + 4]).toBeCloseTo(0.5625, 6); // between cell centres: bilinear
    expect(out[3 * 8 + 3]).toBeCloseTo(0.0625, 6);
    expect(out[2 * 8 + 2]).toBe(0); // the zero cell's centre lies between pixels 2 and 3
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
