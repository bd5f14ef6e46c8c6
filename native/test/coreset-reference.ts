// Independent TypeScript re-implementations for the coreset tests: the documented PRNG streams (so the tests prove
// native/src/coreset.h says what the code does), a brute-force float64 greedy, and float32 -> binary16 conversion.
import type { FeatureMatrix } from '../index';

const MASK64 = (1n << 64n) - 1n;

/** SplitMix64 as documented in native/src/coreset.h. */
export class SplitMix64 {
  private state: bigint;
  constructor(state: bigint) {
    this.state = state & MASK64;
  }
  next(): bigint {
    this.state = (this.state + 0x9e3779b97f4a7c15n) & MASK64;
    let z = this.state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
    return z ^ (z >> 31n);
  }
}

export const PROJECTION_STREAM = 0x243f6a8885a308d3n;
export const STARTS_STREAM = 0x13198a2e03707344n;

/** The starting points: min(numStarts, n) distinct indices from the seed's "starts" stream. */
export function startIndices(n: number, numStarts: number, seed: number): number[] {
  const g = new SplitMix64(BigInt(seed) ^ STARTS_STREAM);
  const out: number[] = [];
  const want = Math.min(numStarts, n);
  while (out.length < want) {
    const idx = Number(((g.next() >> 32n) * BigInt(n)) >> 32n);
    if (!out.includes(idx)) out.push(idx);
  }
  return out;
}

/** W[j][k] (dOut x D) of the documented projection stream, as float32 values. */
export function projectionMatrix(D: number, dOut: number, seed: number): Float32Array {
  const g = new SplitMix64(BigInt(seed) ^ PROJECTION_STREAM);
  const w = new Float32Array(dOut * D);
  const bound = 1 / Math.sqrt(D);
  for (let j = 0; j < dOut; j++) {
    for (let k = 0; k < D; k++) {
      const u = Number(g.next() >> 40n) / 16777216;
      w[j * D + k] = (2 * u - 1) * bound;
    }
  }
  return w;
}

function row(x: FeatureMatrix, i: number): Float64Array {
  const out = new Float64Array(x.cols);
  for (let j = 0; j < x.cols; j++) {
    const v = x.data[i * x.cols + j];
    out[j] = x.data instanceof Uint16Array ? halfToFloat(v) : v;
  }
  return out;
}

function dist(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) {
    const t = a[j] - b[j];
    s += t * t;
  }
  return Math.sqrt(s);
}

/**
 * patchcore-inspection's greedy rule, literally: mean distance to the starts, then argmax / min-update, selected
 * points retired; radius by its definition (max over points of the distance to the nearest selected point).
 */
export function bruteForceGreedy(x: FeatureMatrix, count: number, numStarts: number, seed: number): { indices: number[]; radius: number } {
  const rows = Array.from({ length: x.rows }, (_, i) => row(x, i));
  const starts = startIndices(x.rows, numStarts, seed);
  const value = rows.map((r) => starts.reduce((s, st) => s + dist(r, rows[st]), 0) / starts.length);
  const indices: number[] = [];
  for (let it = 0; it < count; it++) {
    let best = -1;
    for (let i = 0; i < x.rows; i++) if (best < 0 || value[i] > value[best]) best = i;
    indices.push(best);
    value[best] = -1;
    for (let i = 0; i < x.rows; i++) {
      if (value[i] < 0) continue;
      value[i] = Math.min(value[i], dist(rows[i], rows[best]));
    }
  }
  let radius = 0;
  for (const r of rows) radius = Math.max(radius, Math.min(...indices.map((s) => dist(r, rows[s]))));
  return { indices, radius };
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE binary32 -> binary16 bits, round to nearest even (as F16C). */
export function floatToHalf(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = m & ((1 << shift) - 1);
    let out = m >>> shift;
    if (rest > half || (rest === half && out & 1)) out++;
    return sign | out;
  }
  let out = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && out & 1)) out++;
  return sign | out;
}

export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

export function toHalf(data: Float32Array): Uint16Array {
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = floatToHalf(data[i]);
  return out;
}
