// Draws a part and its heatmap: the part at its own size, the colourised heatmap stretched over it (smoothed), scaled by
// the opacity slider.
import { colorize } from '../../../shared/heatmap';
import type { Heatmap } from '../../../shared/domain';

export function paintHeatmap(h: Heatmap, c: HTMLCanvasElement = document.createElement('canvas')): HTMLCanvasElement {
  if (c.width !== h.width) c.width = h.width;
  if (c.height !== h.height) c.height = h.height;
  const ctx = c.getContext('2d');
  if (ctx) {
    const img = ctx.createImageData(h.width, h.height);
    colorize(h.data, img.data);
    ctx.putImageData(img, 0, 0);
  }
  return c;
}

const MAX_SIDE = 1024;

export function drawPart(
  canvas: HTMLCanvasElement,
  base: ImageBitmap | null,
  heat: HTMLCanvasElement | null,
  opacity: number,
  fallbackSize: { width: number; height: number },
): void {
  // A closed bitmap has no size: draw the heatmap alone rather than fail.
  const live = base && base.width > 0 ? base : null;
  const srcW = live?.width ?? fallbackSize.width;
  const srcH = live?.height ?? fallbackSize.height;
  const scale = Math.min(1, MAX_SIDE / Math.max(srcW, srcH));
  const w = Math.max(1, Math.round(srcW * scale));
  const h = Math.max(1, Math.round(srcH * scale));
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.globalAlpha = 1;
  ctx.fillStyle = '#101418';
  ctx.fillRect(0, 0, w, h);
  if (live) ctx.drawImage(live, 0, 0, w, h);
  if (heat && opacity > 0) {
    ctx.globalAlpha = opacity;
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(heat, 0, 0, w, h);
    ctx.globalAlpha = 1;
  }
}
