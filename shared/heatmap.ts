// One scale and one colour map for anomaly maps, used by main (record thumbnails) and the renderer (live overlay), so a
// heat colour means the same thing everywhere: cell value 128 is the model's decision threshold.

/** A map's distances at twice the threshold or more saturate. */
export const HEATMAP_FULL_SCALE = 2;
export const HEATMAP_THRESHOLD_LEVEL = 128;

/**
 * Quantise a float anomaly map (distance units) to bytes on the threshold scale, downsampling to outW × outH by max
 * pooling so a small defect's peak survives the shrink.
 */
export function quantizeMap(
  data: Float32Array,
  width: number,
  height: number,
  threshold: number,
  outW = width,
  outH = height,
): Uint8Array {
  if (data.length !== width * height) throw new RangeError(`map has ${data.length} cells, expected ${width}×${height}`);
  const out = new Uint8Array(outW * outH);
  const k = threshold > 0 ? 255 / (HEATMAP_FULL_SCALE * threshold) : 0;
  for (let oy = 0; oy < outH; oy++) {
    const y0 = Math.floor((oy * height) / outH);
    const y1 = Math.max(y0 + 1, Math.floor(((oy + 1) * height) / outH));
    for (let ox = 0; ox < outW; ox++) {
      const x0 = Math.floor((ox * width) / outW);
      const x1 = Math.max(x0 + 1, Math.floor(((ox + 1) * width) / outW));
      let m = -Infinity;
      for (let y = y0; y < y1; y++) {
        const row = y * width;
        for (let x = x0; x < x1; x++) {
          const v = data[row + x];
          if (v > m) m = v;
        }
      }
      const q = Math.round(m * k);
      out[oy * outW + ox] = Number.isFinite(q) ? Math.min(255, Math.max(0, q)) : 0;
    }
  }
  return out;
}

/** The part of the image an anomaly map covers (e.g. the model's centre crop), in the image's own pixels. */
export interface MapRegion {
  left: number;
  top: number;
  width: number;
  height: number;
  imageWidth: number;
  imageHeight: number;
}

/**
 * Places a map that covers `region` of an image onto the whole image at outW × outH (bilinear), extending its edge
 * values beyond the region, so an overlay lines up with the part even when the model saw only a centre crop.
 */
export function mapOntoImage(
  map: { data: Float32Array; width: number; height: number },
  region: MapRegion,
  outW: number,
  outH: number,
): Float32Array {
  const out = new Float32Array(outW * outH);
  const { data, width: mw, height: mh } = map;
  // Output pixel centre → image pixel → map cell coordinate (cell centres at integer + 0.5).
  const sx = region.imageWidth / outW;
  const sy = region.imageHeight / outH;
  const kx = mw / region.width;
  const ky = mh / region.height;
  for (let y = 0; y < outH; y++) {
    const fy = Math.min(mh - 1, Math.max(0, ((y + 0.5) * sy - region.top) * ky - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, mh - 1);
    const wy = fy - y0;
    for (let x = 0; x < outW; x++) {
      const fx = Math.min(mw - 1, Math.max(0, ((x + 0.5) * sx - region.left) * kx - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, mw - 1);
      const wx = fx - x0;
      const top = data[y0 * mw + x0] * (1 - wx) + data[y0 * mw + x1] * wx;
      const bottom = data[y1 * mw + x0] * (1 - wx) + data[y1 * mw + x1] * wx;
      out[y * outW + x] = top * (1 - wy) + bottom * wy;
    }
  }
  return out;
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/** Below this share of the threshold a cell is fully transparent: normal texture never hides the part. */
export const HEATMAP_VISIBLE_FROM = 0.6;

/**
 * The colour scales. Viridis is the default: its lightness rises monotonically from dark violet to yellow, so the order
 * of the values survives every kind of colour blindness (and a grey-scale print); jet's does not (its cyan and yellow
 * are lighter than its red top, and red/green carry the meaning). Turbo is offered for engineers who want more contrast
 * between neighbouring levels; it is also far better ordered than jet. Polynomial fits: viridis after Zucker's
 * approximation of matplotlib's table, turbo after Mikhailov (Google) 2019.
 */
export type HeatmapPalette = 'viridis' | 'turbo';
export const HEATMAP_PALETTES: readonly HeatmapPalette[] = ['viridis', 'turbo'];
export const DEFAULT_HEATMAP_PALETTE: HeatmapPalette = 'viridis';

const VIRIDIS = [
  [0.2777273272234177, 0.005407344544966578, 0.3340998053353061],
  [0.1050930431085774, 1.404613529898575, 1.384590162594685],
  [-0.3308618287255563, 0.214847559468213, 0.09509516302823659],
  [-4.634230498983486, -5.799100973351585, -19.33244095627987],
  [6.228269936347081, 14.17993336680509, 56.69055260068105],
  [4.776384997670288, -13.74514537774601, -65.35303263337234],
  [-5.435455855934631, 4.645852612178535, 26.3124352495832],
];
const TURBO = [
  [0.13572138, 0.0914026, 0.1066733],
  [4.6153926, 2.19418839, 12.64194608],
  [-42.66032258, 4.84296658, -60.58204836],
  [132.13108234, -14.18503333, 110.36276771],
  [-152.94239396, 4.27729857, -89.90310912],
  [59.28637943, 2.82956604, 27.34824973],
];

/** The palette's colour at v in [0, 1], as 0–255 RGB. */
export function paletteRgb(palette: HeatmapPalette, v: number): [number, number, number] {
  const x = clamp01(v);
  const coeffs = palette === 'turbo' ? TURBO : VIRIDIS;
  const rgb: [number, number, number] = [0, 0, 0];
  for (let c = 0; c < 3; c++) {
    let acc = 0;
    for (let k = coeffs.length - 1; k >= 0; k--) acc = acc * x + coeffs[k][c];
    rgb[c] = Math.round(255 * clamp01(acc));
  }
  return rgb;
}

/**
 * 256 RGBA entries of a palette on the threshold scale (the threshold at the middle). Alpha ramps from 0 (below 60 % of
 * the threshold: the part shows through) to opaque at the threshold; the overlay's opacity slider scales it further.
 */
export function heatmapLut(palette: HeatmapPalette = DEFAULT_HEATMAP_PALETTE): Uint8ClampedArray {
  const lut = new Uint8ClampedArray(256 * 4);
  const from = HEATMAP_VISIBLE_FROM * HEATMAP_THRESHOLD_LEVEL;
  for (let i = 0; i < 256; i++) {
    lut.set(paletteRgb(palette, i / 255), i * 4);
    lut[i * 4 + 3] = 255 * clamp01((i - from) / (HEATMAP_THRESHOLD_LEVEL - from));
  }
  return lut;
}

export const HEATMAP_LUT: Uint8ClampedArray = heatmapLut();

/** Colourise a quantised map into RGBA pixels (same size as the map). */
export function colorize(map: Uint8Array, out = new Uint8ClampedArray(map.length * 4), lut: Uint8ClampedArray = HEATMAP_LUT): Uint8ClampedArray {
  for (let i = 0; i < map.length; i++) {
    const j = map[i] * 4;
    out[i * 4] = lut[j];
    out[i * 4 + 1] = lut[j + 1];
    out[i * 4 + 2] = lut[j + 2];
    out[i * 4 + 3] = lut[j + 3];
  }
  return out;
}
