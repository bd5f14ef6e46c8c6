import { describe, expect, it } from 'vitest';
import { anomalyMap, gaussianKernel, mapToOriginal, resampleMap } from './anomaly-map';
import { bilinearResize } from '../features/resample';
import { geometryFor } from '../image/preprocess';

/** The straightforward two-step version the folded operator must equal: upsample, then a scipy-style blur. */
function naive(scores: Float32Array, g: number, size: number, sigma: number): Float32Array {
  const up = bilinearResize(scores, 1, g, g, size, size);
  const k = gaussianKernel(sigma);
  const r = (k.length - 1) / 2;
  const refl = (i: number) => (i < 0 ? -i - 1 : i >= size ? 2 * size - i - 1 : i);
  const rows = new Float32Array(size * size);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      let s = 0;
      for (let d = -r; d <= r; d++) s += k[d + r] * up[y * size + refl(x + d)];
      rows[y * size + x] = s;
    }
  const out = new Float32Array(size * size);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      let s = 0;
      for (let d = -r; d <= r; d++) s += k[d + r] * rows[refl(y + d) * size + x];
      out[y * size + x] = s;
    }
  return out;
}

describe('gaussianKernel', () => {
  it('has scipy radius int(4σ + 0.5) and sums to 1', () => {
    const k = gaussianKernel(4);
    expect(k.length).toBe(33);
    expect(k.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(k[16]).toBeGreaterThan(k[15]);
    // scipy.ndimage._gaussian_kernel1d(4, 0, 16)[16]: 1 / Σ_{x=-16..16} exp(-x²/32), the truncated normalisation
    expect(k[16]).toBeCloseTo(0.0997391, 6);
  });
});

describe('anomalyMap', () => {
  it('equals bilinear upsampling followed by a reflect-mode Gaussian blur', () => {
    const g = 28;
    const scores = new Float32Array(g * g).map((_, i) => Math.sin(i * 0.37) + (i % 7) * 0.1);
    const fast = anomalyMap(scores, g, g, 224, 4).data;
    const slow = naive(scores, g, 224, 4);
    let maxErr = 0;
    for (let i = 0; i < fast.length; i++) maxErr = Math.max(maxErr, Math.abs(fast[i] - slow[i]));
    expect(maxErr).toBeLessThan(1e-5);
  });

  it('keeps a constant map constant and a peak where it was', () => {
    const flat = anomalyMap(new Float32Array(16).fill(2.5), 4, 4, 32, 4).data;
    expect(Math.max(...flat) - Math.min(...flat)).toBeLessThan(1e-5);
    expect(flat[0]).toBeCloseTo(2.5, 5);
    const peak = new Float32Array(28 * 28);
    peak[5 * 28 + 20] = 1;
    const m = anomalyMap(peak, 28, 28, 224, 4).data;
    let arg = 0;
    for (let i = 1; i < m.length; i++) if (m[i] > m[arg]) arg = i;
    expect(Math.floor(arg / 224 / 8)).toBe(5);
    expect(Math.floor((arg % 224) / 8)).toBe(20);
  });

  it('sigma 0 is a plain bilinear upsample', () => {
    const s = Float32Array.from([0, 1, 2, 3]);
    expect(Array.from(anomalyMap(s, 2, 2, 4, 0).data)).toEqual(Array.from(bilinearResize(s, 1, 2, 2, 4, 4)));
  });
});

describe('resampling maps', () => {
  it('resampleMap changes the size and keeps the range', () => {
    const m = { width: 2, height: 2, data: Float32Array.from([0, 1, 2, 3]) };
    const r = resampleMap(m, 5, 3);
    expect([r.width, r.height, r.data.length]).toEqual([5, 3, 15]);
    expect(Math.min(...r.data)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...r.data)).toBeLessThanOrEqual(3);
  });

  it('mapToOriginal puts the crop back where it came from', () => {
    // 512×512 original, stretch to 256, crop 224: the crop starts at 16/256 of the image.
    const g = geometryFor(512, 512, { size: 224, resize: 256, resizeMode: 'stretch' });
    const data = new Float32Array(224 * 224);
    for (let y = 0; y < 224; y++) for (let x = 0; x < 224; x++) data[y * 224 + x] = x < 112 ? 0 : 1;
    const o = mapToOriginal({ width: 224, height: 224, data }, g);
    expect([o.width, o.height]).toEqual([512, 512]);
    // The step at crop column 112 sits at original column (112 + 16) · 2 = 256.
    expect(o.data[100 * 512 + 250]).toBe(0);
    expect(o.data[100 * 512 + 262]).toBe(1);
    // Outside the crop the edge value continues.
    expect(o.data[100 * 512 + 5]).toBe(0);
    expect(o.data[100 * 512 + 510]).toBe(1);
  });
});
