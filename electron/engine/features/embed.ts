// Patch embedding as patchcore-inspection does it: local 3×3 averaging on each tapped map, coarser maps upsampled
// bilinearly to the finest tapped grid, channels concatenated (finest first), optionally pooled to a target dimension.
import type { TapOutput } from '../backbone/session';
import { adaptiveAvgPool1d, avgPool3x3, bilinearResize, blockAverage } from './resample';

export interface PatchEmbedding {
  /** Row-major [patches × dim]: one vector per grid cell, rows then columns. */
  data: Float32Array;
  gridH: number;
  gridW: number;
  dim: number;
}

export function embeddingDim(tapChannels: number[], embedDimension: number | null): number {
  const total = tapChannels.reduce((a, b) => a + b, 0);
  return embedDimension && embedDimension < total ? embedDimension : total;
}

/**
 * Embeds image `index` of a batch. `taps` must be ordered finest first (as selectTaps returns them). The patch grid is
 * the finest tap's (the reference), or the grid of the tap with stride `gridStride`: finer taps are then averaged down
 * to it (e.g. MobileNetV2's stride-4 tap on the stride-8 grid, adding detail without 4× the patches).
 */
export function embedImage(taps: TapOutput[], index: number, embedDimension: number | null = null, gridStride?: number): PatchEmbedding {
  const gridTap = gridStride ? taps.find((t) => t.tap.stride === gridStride) : undefined;
  if (gridStride && !gridTap) throw new Error(`no tap has stride ${gridStride} (taps: ${taps.map((t) => `${t.tap.name}/${t.tap.stride}`).join(', ')})`);
  const gridH = gridTap ? gridTap.height : Math.max(...taps.map((t) => t.height));
  const gridW = gridTap ? gridTap.width : Math.max(...taps.map((t) => t.width));
  const total = taps.reduce((a, t) => a + t.channels, 0);
  const patches = gridH * gridW;
  const full = new Float32Array(patches * total);
  let chOffset = 0;
  for (const t of taps) {
    const plane = t.height * t.width;
    let maps = avgPool3x3(t.data, t.channels, t.height, t.width, index * t.channels * plane);
    if (t.height > gridH) maps = blockAverage(maps, t.channels, t.height, t.width, gridH, gridW);
    else if (t.height !== gridH || t.width !== gridW) maps = bilinearResize(maps, t.channels, t.height, t.width, gridH, gridW);
    // Channel-major maps → patch-major rows.
    for (let c = 0; c < t.channels; c++) {
      const src = c * patches;
      const col = chOffset + c;
      for (let p = 0; p < patches; p++) full[p * total + col] = maps[src + p];
    }
    chOffset += t.channels;
  }
  const dim = embeddingDim(
    taps.map((t) => t.channels),
    embedDimension,
  );
  if (dim === total) return { data: full, gridH, gridW, dim };
  const pooled = new Float32Array(patches * dim);
  for (let p = 0; p < patches; p++) adaptiveAvgPool1d(full, p * total, total, pooled, p * dim, dim);
  return { data: pooled, gridH, gridW, dim };
}
