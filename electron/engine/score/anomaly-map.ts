// Anomaly maps: patch scores upsampled bilinearly (align_corners=False) to the input size, then blurred with a
// Gaussian as scipy.ndimage.gaussian_filter does it (truncate 4.0, mode 'reflect'). Both steps are linear and
// separable, so they fold into one (size × grid) matrix per axis: map = M_h · S · M_wᵀ, exact and ~3× cheaper.
import type { AnomalyMap } from '../api';
import type { Geometry } from '../image/preprocess';
import { bilinearResize, linearTaps } from '../features/resample';

/** scipy's 'reflect' (d c b a | a b c d | d c b a). */
export function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  for (;;) {
    if (i < 0) i = -i - 1;
    else if (i >= n) i = 2 * n - i - 1;
    else return i;
  }
}

export function gaussianKernel(sigma: number, truncate = 4.0): Float64Array {
  const radius = Math.floor(truncate * sigma + 0.5);
  const k = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let x = -radius; x <= radius; x++) {
    const v = Math.exp((-0.5 * x * x) / (sigma * sigma));
    k[x + radius] = v;
    sum += v;
  }
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return k;
}

/** Row-major (outLen × inLen): bilinear upsample from inLen to outLen followed by the Gaussian blur on outLen. */
export function upsampleBlurMatrix(inLen: number, outLen: number, sigma: number): Float64Array {
  const up = new Float64Array(outLen * inLen);
  const t = linearTaps(inLen, outLen);
  for (let o = 0; o < outLen; o++) {
    up[o * inLen + t.i0[o]] += 1 - t.w1[o];
    up[o * inLen + t.i1[o]] += t.w1[o];
  }
  if (!(sigma > 0)) return up;
  const k = gaussianKernel(sigma);
  const r = (k.length - 1) / 2;
  const m = new Float64Array(outLen * inLen);
  for (let o = 0; o < outLen; o++) {
    for (let d = -r; d <= r; d++) {
      const j = reflectIndex(o + d, outLen);
      const w = k[d + r];
      for (let c = 0; c < inLen; c++) m[o * inLen + c] += w * up[j * inLen + c];
    }
  }
  return m;
}

const cache = new Map<string, Float32Array>();

function operator(inLen: number, outLen: number, sigma: number): Float32Array {
  const key = `${inLen}:${outLen}:${sigma}`;
  let m = cache.get(key);
  if (!m) {
    m = Float32Array.from(upsampleBlurMatrix(inLen, outLen, sigma));
    cache.set(key, m);
  }
  return m;
}

/** Patch scores (gridH × gridW, row-major) → size × size anomaly map. */
export function anomalyMap(scores: Float32Array, gridH: number, gridW: number, size: number, sigma = 4): AnomalyMap {
  const mh = operator(gridH, size, sigma);
  const mw = operator(gridW, size, sigma);
  // tmp[gy][x] = Σ_gx S[gy][gx] · Mw[x][gx]
  const tmp = new Float32Array(gridH * size);
  for (let gy = 0; gy < gridH; gy++) {
    for (let x = 0; x < size; x++) {
      let s = 0;
      const mrow = x * gridW;
      const srow = gy * gridW;
      for (let gx = 0; gx < gridW; gx++) s += scores[srow + gx] * mw[mrow + gx];
      tmp[gy * size + x] = s;
    }
  }
  const out = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    const orow = y * size;
    for (let gy = 0; gy < gridH; gy++) {
      const w = mh[y * gridH + gy];
      if (w === 0) continue;
      const trow = gy * size;
      for (let x = 0; x < size; x++) out[orow + x] += w * tmp[trow + x];
    }
  }
  return { width: size, height: size, data: out };
}

export function resampleMap(map: AnomalyMap, width: number, height: number): AnomalyMap {
  if (map.width === width && map.height === height) return map;
  return { width, height, data: bilinearResize(map.data, 1, map.height, map.width, height, width) };
}

/**
 * Places a map (which covers the centre crop) back on the original image: each original pixel samples the map at
 * its position in the resized-then-cropped frame; pixels the crop cut off take the nearest edge value.
 */
export function mapToOriginal(map: AnomalyMap, g: Geometry): AnomalyMap {
  const out = new Float32Array(g.width * g.height);
  const sx = g.resizedWidth / g.width;
  const sy = g.resizedHeight / g.height;
  const clamp = (v: number, hi: number) => (v < 0 ? 0 : v > hi ? hi : v);
  for (let y = 0; y < g.height; y++) {
    const fy = clamp((y + 0.5) * sy - 0.5 - g.top, map.height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, map.height - 1);
    const wy = fy - y0;
    for (let x = 0; x < g.width; x++) {
      const fx = clamp((x + 0.5) * sx - 0.5 - g.left, map.width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, map.width - 1);
      const wx = fx - x0;
      const d = map.data;
      const top = d[y0 * map.width + x0] * (1 - wx) + d[y0 * map.width + x1] * wx;
      const bot = d[y1 * map.width + x0] * (1 - wx) + d[y1 * map.width + x1] * wx;
      out[y * g.width + x] = top * (1 - wy) + bot * wy;
    }
  }
  return { width: g.width, height: g.height, data: out };
}
