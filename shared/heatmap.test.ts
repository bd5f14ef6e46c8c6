import { describe, expect, it } from 'vitest';
import { HEATMAP_LUT, HEATMAP_THRESHOLD_LEVEL, colorize, heatmapLut, mapOntoImage, paletteRgb, quantizeMap, type HeatmapPalette } from './heatmap';

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
  it('is transparent far below threshold, opaque at it, and warm above it', () => {
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

/** Relative luminance (WCAG) of 0–255 sRGB. */
function luminance([r, g, b]: number[]): number {
  const lin = (c: number) => {
    const v = c / 255;
    return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** Deuteranopia and protanopia (Machado, Oliveira & Fernandes 2009, severity 1), on linear RGB. */
const CVD: Record<string, number[][]> = {
  deuteranopia: [
    [0.367322, 0.860646, -0.227968],
    [0.280085, 0.672501, 0.047413],
    [-0.01182, 0.04294, 0.968881],
  ],
  protanopia: [
    [0.152286, 1.052583, -0.204868],
    [0.114503, 0.786281, 0.099216],
    [-0.003882, -0.048116, 1.051998],
  ],
};

function simulate(rgb: number[], m: number[][]): number[] {
  const lin = rgb.map((c) => ((c / 255) <= 0.04045 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4));
  const out = m.map((row) => Math.min(1, Math.max(0, row[0] * lin[0] + row[1] * lin[1] + row[2] * lin[2])));
  return out.map((v) => 255 * (v <= 0.0031308 ? 12.92 * v : 1.055 * v ** (1 / 2.4) - 0.055));
}

/** jet, as the engine's reports drew it before: the negative control. */
function jet(x: number): number[] {
  const c = (v: number) => Math.round(255 * Math.max(0, Math.min(1, v)));
  return [c(1.5 - Math.abs(4 * x - 3)), c(1.5 - Math.abs(4 * x - 2)), c(1.5 - Math.abs(4 * x - 1))];
}

function monotonic(values: number[]): boolean {
  return values.every((v, i) => i === 0 || v > values[i - 1] - 1e-4);
}

describe('colour-blind-safe palettes', () => {
  const steps = Array.from({ length: 52 }, (_, i) => i / 51);

  it('viridis matches matplotlib\'s table at its quartiles', () => {
    const ref: [number, string][] = [
      [0, '#440154'],
      [0.25, '#3b528b'],
      [0.5, '#21918c'],
      [0.75, '#5ec962'],
      [1, '#fde725'],
    ];
    for (const [t, hex] of ref) {
      const want = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
      const got = paletteRgb('viridis', t);
      for (let c = 0; c < 3; c++) expect(Math.abs(got[c] - want[c]), `viridis(${t})`).toBeLessThanOrEqual(8);
    }
  });

  it('the default, viridis, keeps the values\' order in lightness, for normal vision and under deuteranopia and protanopia; jet does not', () => {
    const v = steps.map((t) => paletteRgb('viridis', t));
    expect(monotonic(v.map(luminance))).toBe(true);
    for (const m of Object.values(CVD)) expect(monotonic(v.map((c) => luminance(simulate(c, m))))).toBe(true);
    expect(monotonic(steps.map((t) => luminance(jet(t))))).toBe(false);
    // The overlay's LUT is viridis: dark below the threshold, light above it.
    expect(luminance([...HEATMAP_LUT.slice(250 * 4, 250 * 4 + 3)])).toBeGreaterThan(luminance([...HEATMAP_LUT.slice(130 * 4, 130 * 4 + 3)]) * 2);
  });

  it('turbo rises in lightness up to its peak and falls after it, far less than jet folds back', () => {
    const lum = steps.map((t) => luminance(paletteRgb('turbo', t)));
    const peak = lum.indexOf(Math.max(...lum));
    expect(monotonic(lum.slice(0, peak + 1))).toBe(true);
    expect(monotonic(lum.slice(peak).reverse())).toBe(true);
  });

  it('each palette makes a LUT with the same transparency ramp', () => {
    for (const p of ['viridis', 'turbo'] as HeatmapPalette[]) {
      const lut = heatmapLut(p);
      expect(lut[HEATMAP_THRESHOLD_LEVEL * 4 + 3]).toBe(255);
      expect(lut[70 * 4 + 3]).toBe(0);
      const rgba = colorize(new Uint8Array([255]), undefined, lut);
      expect([...rgba.slice(0, 3)]).toEqual(paletteRgb(p, 1));
    }
  });
});
