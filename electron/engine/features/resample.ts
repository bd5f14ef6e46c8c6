// Resampling kernels shared by patch embedding and anomaly maps, matching PyTorch's conventions.

/** 1-D bilinear weights for F.interpolate(mode='bilinear', align_corners=False): for each output index, two taps. */
export interface LinearTaps {
  i0: Int32Array;
  i1: Int32Array;
  w1: Float32Array; // weight of i1; i0 gets 1 - w1
}

export function linearTaps(inLen: number, outLen: number): LinearTaps {
  const i0 = new Int32Array(outLen);
  const i1 = new Int32Array(outLen);
  const w1 = new Float32Array(outLen);
  const scale = inLen / outLen;
  for (let o = 0; o < outLen; o++) {
    const src = Math.max(0, (o + 0.5) * scale - 0.5);
    const lo = Math.min(Math.floor(src), inLen - 1);
    i0[o] = lo;
    i1[o] = Math.min(lo + 1, inLen - 1);
    w1[o] = src - lo;
  }
  return { i0, i1, w1 };
}

/** Bilinear resize of `channels` planes (channel-major) from h×w to outH×outW, align_corners=False. */
export function bilinearResize(src: Float32Array, channels: number, h: number, w: number, outH: number, outW: number, srcOffset = 0): Float32Array {
  const out = new Float32Array(channels * outH * outW);
  const ty = linearTaps(h, outH);
  const tx = linearTaps(w, outW);
  for (let c = 0; c < channels; c++) {
    const base = srcOffset + c * h * w;
    const ob = c * outH * outW;
    for (let y = 0; y < outH; y++) {
      const r0 = base + ty.i0[y] * w;
      const r1 = base + ty.i1[y] * w;
      const wy = ty.w1[y];
      for (let x = 0; x < outW; x++) {
        const a = tx.i0[x];
        const b = tx.i1[x];
        const wx = tx.w1[x];
        const top = src[r0 + a] + (src[r0 + b] - src[r0 + a]) * wx;
        const bot = src[r1 + a] + (src[r1 + b] - src[r1 + a]) * wx;
        out[ob + y * outW + x] = top + (bot - top) * wy;
      }
    }
  }
  return out;
}

/** AvgPool2d(3, stride 1, padding 1, count_include_pad=True) on `channels` planes: always divides by 9. */
export function avgPool3x3(src: Float32Array, channels: number, h: number, w: number, srcOffset = 0): Float32Array {
  const out = new Float32Array(channels * h * w);
  const rows = new Float32Array(h * w);
  for (let c = 0; c < channels; c++) {
    const base = srcOffset + c * h * w;
    // Horizontal 3-sums, then vertical: 6 adds per pixel instead of 9.
    for (let y = 0; y < h; y++) {
      const r = base + y * w;
      for (let x = 0; x < w; x++) {
        let s = src[r + x];
        if (x > 0) s += src[r + x - 1];
        if (x < w - 1) s += src[r + x + 1];
        rows[y * w + x] = s;
      }
    }
    const ob = c * h * w;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let s = rows[y * w + x];
        if (y > 0) s += rows[(y - 1) * w + x];
        if (y < h - 1) s += rows[(y + 1) * w + x];
        out[ob + y * w + x] = s / 9;
      }
    }
  }
  return out;
}

/** F.adaptive_avg_pool1d: output bin i averages [floor(i·L/n), ceil((i+1)·L/n)). */
export function adaptiveAvgPool1d(src: Float32Array, srcOffset: number, inLen: number, dst: Float32Array, dstOffset: number, outLen: number): void {
  for (let i = 0; i < outLen; i++) {
    const s = Math.floor((i * inLen) / outLen);
    const e = Math.ceil(((i + 1) * inLen) / outLen);
    let sum = 0;
    for (let j = s; j < e; j++) sum += src[srcOffset + j];
    dst[dstOffset + i] = sum / (e - s);
  }
}

/** Average pooling by an integer factor (block means): a finer tapped map brought down to a coarser patch grid. */
export function blockAverage(src: Float32Array, channels: number, h: number, w: number, outH: number, outW: number): Float32Array {
  if (h % outH !== 0 || w % outW !== 0) throw new Error(`cannot pool ${h}×${w} to ${outH}×${outW}: not an integer factor`);
  const fy = h / outH;
  const fx = w / outW;
  const out = new Float32Array(channels * outH * outW);
  const inv = 1 / (fy * fx);
  for (let c = 0; c < channels; c++) {
    const base = c * h * w;
    const ob = c * outH * outW;
    for (let y = 0; y < h; y++) {
      const oy = Math.floor(y / fy);
      for (let x = 0; x < w; x++) out[ob + oy * outW + Math.floor(x / fx)] += src[base + y * w + x] * inv;
    }
  }
  return out;
}
