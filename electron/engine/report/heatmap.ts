// Heatmap overlays: an anomaly map in a jet colour scale blended over the image, with the ground-truth outline.
import sharp from 'sharp';
import type { AnomalyMap } from '../api';

/** Jet: dark blue → cyan → yellow → dark red, v in [0, 1]. */
export function jet(v: number): [number, number, number] {
  const c = (x: number) => Math.round(255 * Math.max(0, Math.min(1, x)));
  return [c(1.5 - Math.abs(4 * v - 3)), c(1.5 - Math.abs(4 * v - 2)), c(1.5 - Math.abs(4 * v - 1))];
}

export interface OverlayOptions {
  /** Map values at or below `lo` are blue, at or above `hi` dark red. */
  lo: number;
  hi: number;
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
  for (let i = 0; i < w * h; i++) {
    const [r, g, b] = jet((map.data[i] - o.lo) / span);
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
