// Heatmap overlays: an anomaly map in the app's colour-blind-safe scale (viridis by default, shared/heatmap.ts) blended
// over the image, with the ground-truth outline.
import sharp from 'sharp';
import type { AnomalyMap } from '../api';
import { DEFAULT_HEATMAP_PALETTE, heatmapLut, type HeatmapPalette } from '../../../shared/heatmap';

export interface OverlayOptions {
  /** Map values at or below `lo` take the palette's low end (viridis: dark violet), at or above `hi` its top (yellow). */
  lo: number;
  hi: number;
  palette?: HeatmapPalette;
  alpha?: number;
  /** 0/1 ground truth of the same size: its outline is drawn in white. */
  mask?: Uint8Array | null;
}

/** RGB (width × height × 3) blended with the coloured map. */
export function overlay(rgb: Uint8Array, map: AnomalyMap, o: OverlayOptions): Uint8Array {
  const { width: w, height: h } = map;
  if (rgb.length !== w * h * 3) throw new Error(`overlay: image is ${rgb.length / 3} pixels, map ${w}×${h}`);
  const a = o.alpha ?? 0.5;
  const span = o.hi > o.lo ? o.hi - o.lo : 1;
  const out = new Uint8Array(rgb.length);
  // 256 levels, looked up: a report of full-size images colours millions of pixels.
  const lut = heatmapLut(o.palette ?? DEFAULT_HEATMAP_PALETTE);
  for (let i = 0; i < w * h; i++) {
    const v = (map.data[i] - o.lo) / span;
    const j = (v > 0 ? (v < 1 ? Math.round(v * 255) : 255) : 0) * 4;
    const r = lut[j];
    const g = lut[j + 1];
    const b = lut[j + 2];
    out[i * 3] = rgb[i * 3] * (1 - a) + r * a;
    out[i * 3 + 1] = rgb[i * 3 + 1] * (1 - a) + g * a;
    out[i * 3 + 2] = rgb[i * 3 + 2] * (1 - a) + b * a;
  }
  const m = o.mask;
  if (m) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        if (!m[i]) continue;
        const edge = x === 0 || y === 0 || x === w - 1 || y === h - 1 || !m[i - 1] || !m[i + 1] || !m[i - w] || !m[i + w];
        if (edge) out.fill(255, i * 3, i * 3 + 3);
      }
    }
  }
  return out;
}

/** Side by side: the input crop and its overlay. */
export function sideBySide(left: Uint8Array, right: Uint8Array, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * 2 * h * 3);
  for (let y = 0; y < h; y++) {
    out.set(left.subarray(y * w * 3, (y + 1) * w * 3), y * w * 6);
    out.set(right.subarray(y * w * 3, (y + 1) * w * 3), y * w * 6 + w * 3);
  }
  return out;
}

export async function encodeRgb(rgb: Uint8Array, width: number, height: number, format: 'png' | 'jpeg'): Promise<Buffer> {
  const img = sharp(rgb, { raw: { width, height, channels: 3 } });
  return format === 'png' ? img.png().toBuffer() : img.jpeg({ quality: 82 }).toBuffer();
}

export async function dataUri(rgb: Uint8Array, width: number, height: number, format: 'png' | 'jpeg' = 'jpeg'): Promise<string> {
  const buf = await encodeRgb(rgb, width, height, format);
  return `data:image/${format};base64,${buf.toString('base64')}`;
}
