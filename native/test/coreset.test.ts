// The coreset samplers' results: (a) and (c) agree, (b) and (a) match a brute-force greedy, the documented PRNG
// streams are what the addon uses, and every SIMD table gives the same answer.
import { describe, expect, it } from 'vitest';
import { clusteredFeatures, overlap } from '../../bench/native-coreset';
import {
  approximateGreedyCoreset,
  exactGreedyCoreset,
  prunedGreedyCoreset,
  randomProjection,
} from '../index';
import type { FeatureMatrix, GreedyOptions } from '../index';
import { bruteForceGreedy, halfToFloat, projectionMatrix, toHalf } from './coreset-reference';

function uniform(rows: number, cols: number, seed: number): FeatureMatrix & { data: Float32Array } {
  let s = seed >>> 0;
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s / 4294967296;
  }
  return { data, rows, cols };
}

function expectSameSelection(a: { indices: Uint32Array; radius: number }, c: { indices: Uint32Array; radius: number }): void {
  // The spec allows 99.9 % overlap; the shared kernels make the sequences identical, so demand that.
  expect(overlap(a.indices, c.indices)).toBeGreaterThanOrEqual(0.999);
  expect(Math.abs(a.radius - c.radius) / a.radius).toBeLessThanOrEqual(1e-4);
  expect(Array.from(c.indices)).toEqual(Array.from(a.indices));
  expect(c.radius).toBe(a.radius);
}

describe('(a) approximate and (c) pruned greedy agree', () => {
  const clustered = clusteredFeatures({ rows: 30_000, seed: 3 });

  for (const storage of ['float16', 'float32'] as const) {
    it(`select the same points with the same radius on 30k clustered points (${storage} storage)`, async () => {
      const opts: GreedyOptions = { ratio: 0.1, seed: 4, storage };
      const a = await approximateGreedyCoreset(clustered, opts);
      const c = await prunedGreedyCoreset(clustered, opts);
      expect(a.indices.length).toBe(3000);
      expect(new Set(a.indices).size).toBe(3000);
      expectSameSelection(a, c);
      // The pruning must actually prune: far fewer distances than (a)'s N per iteration.
      expect(c.stats.distances).toBeLessThan(a.stats.distances / 5);
    });
  }

  it('agree through the random projection (192-d input projected to 128)', async () => {
    const x = clusteredFeatures({ rows: 12_000, cols: 192, seed: 8 });
    const opts: GreedyOptions = { ratio: 0.05, seed: 9, storage: 'float16' };
    const a = await approximateGreedyCoreset(x, opts);
    const c = await prunedGreedyCoreset(x, opts);
    expectSameSelection(a, c);
  });

  it('agree with a tiny leaf size and on uniform (unclustered) data', async () => {
    const x = uniform(4000, 128, 17);
    const a = await approximateGreedyCoreset(x, { count: 400, seed: 2 });
    const c = await prunedGreedyCoreset(x, { count: 400, seed: 2, leafSize: 4 });
    expectSameSelection(a, c);
  });
});

describe('the greedy rule against a brute-force TypeScript greedy', () => {
  // bruteForceGreedy draws its starting points from the documented stream, so these also check that documentation.
  it('(b) exact greedy matches it on small N', async () => {
    const x = uniform(300, 20, 5);
    const ref = bruteForceGreedy(x, 40, 10, 6);
    const b = await exactGreedyCoreset(x, { count: 40, seed: 6 });
    expect(Array.from(b.indices)).toEqual(ref.indices);
    expect(b.radius).toBeCloseTo(ref.radius, 12);
  });

  it('(b) matches it on float16 input with numStarts and a ratio', async () => {
    const x32 = uniform(200, 12, 8);
    const x: FeatureMatrix = { data: toHalf(x32.data), rows: 200, cols: 12 };
    const ref = bruteForceGreedy(x, 30, 3, 11);
    const b = await exactGreedyCoreset(x, { ratio: 0.15, numStarts: 3, seed: 11 });
    expect(Array.from(b.indices)).toEqual(ref.indices);
    expect(b.radius).toBeCloseTo(ref.radius, 12);
  });

  it('(a) without projection (cols === projectionDim) matches it up to float32 rounding', async () => {
    const x = uniform(300, 24, 21);
    const ref = bruteForceGreedy(x, 50, 10, 1);
    const a = await approximateGreedyCoreset(x, { count: 50, seed: 1, projectionDim: 24 });
    expect(Array.from(a.indices)).toEqual(ref.indices);
    expect(Math.abs(a.radius - ref.radius) / ref.radius).toBeLessThan(1e-5);
  });

  it('the radius is the true coverage radius even when a point was never lowered below its mean start distance', async () => {
    // 40 points in a tight cluster that holds every start, plus 2 far points: after 2 picks the cluster's points
    // still carry their (small) initial mean distance, which is not a distance to a selected point.
    const rows = 42;
    const data = new Float32Array(rows * 4);
    for (let i = 0; i < 40; i++) data[i * 4] = i * 1e-3;
    data[40 * 4 + 1] = 100;
    data[41 * 4 + 2] = 100;
    const x = { data, rows, cols: 4 };
    const ref = bruteForceGreedy(x, 2, 10, 0);
    for (const run of [exactGreedyCoreset, approximateGreedyCoreset, prunedGreedyCoreset]) {
      const r = await run(x, { count: 2, seed: 0, projectionDim: 4 });
      expect(Array.from(r.indices)).toEqual(ref.indices);
      expect(r.radius).toBeCloseTo(ref.radius, 4);
      expect(r.stats.unlowered).toBeGreaterThan(0);
    }
  });

  it('handles one row, a single column and selecting every row', async () => {
    const one = { data: new Float32Array([3]), rows: 1, cols: 1 };
    const line = { data: Float32Array.from([0, 10, 4, 7, 1]), rows: 5, cols: 1 };
    const ref = bruteForceGreedy(line, 5, 10, 0);
    for (const run of [exactGreedyCoreset, approximateGreedyCoreset, prunedGreedyCoreset]) {
      const r1 = await run(one, { count: 1, projectionDim: 1 });
      expect(Array.from(r1.indices)).toEqual([0]);
      expect(r1.radius).toBe(0);
      const r2 = await run(line, { ratio: 1, projectionDim: 1 });
      expect(Array.from(r2.indices)).toEqual(ref.indices);
      expect(r2.radius).toBe(0);
      const r3 = await run(line, { count: 2, projectionDim: 1 });
      expect(Array.from(r3.indices)).toEqual(ref.indices.slice(0, 2));
    }
  });

  it('duplicate rows: indices stay distinct and the radius reaches 0', async () => {
    const x = { data: new Float32Array(50 * 8).fill(0.5), rows: 50, cols: 8 };
    for (const run of [exactGreedyCoreset, approximateGreedyCoreset, prunedGreedyCoreset]) {
      const r = await run(x, { ratio: 1, projectionDim: 8 });
      expect(new Set(r.indices).size).toBe(50);
      expect(r.radius).toBe(0);
    }
  });
});

describe('determinism and the documented PRNG', () => {
  it('the same seed gives the same result, another seed another one', async () => {
    const x = clusteredFeatures({ rows: 8000, seed: 12 });
    const r1 = await prunedGreedyCoreset(x, { ratio: 0.05, seed: 42 });
    const r2 = await prunedGreedyCoreset(x, { ratio: 0.05, seed: 42 });
    const r3 = await prunedGreedyCoreset(x, { ratio: 0.05, seed: 43 });
    expect(Array.from(r2.indices)).toEqual(Array.from(r1.indices));
    expect(r2.radius).toBe(r1.radius);
    expect(Array.from(r3.indices)).not.toEqual(Array.from(r1.indices));
  });

  it('randomProjection draws W from the documented SplitMix64 stream with the torch.nn.Linear bound', async () => {
    const D = 40;
    const dim = 24;
    const seed = 1234;
    const identity = new Float32Array(D * D);
    for (let k = 0; k < D; k++) identity[k * D + k] = 1;
    const out = await randomProjection({ data: identity, rows: D, cols: D }, dim, seed);
    const w = projectionMatrix(D, dim, seed);
    const bound = 1 / Math.sqrt(D);
    for (let k = 0; k < D; k++) {
      for (let j = 0; j < dim; j++) {
        expect(out[k * dim + j]).toBe(w[j * D + k]);
        expect(Math.abs(out[k * dim + j])).toBeLessThanOrEqual(bound);
      }
    }
  });

  it('projects row by row (chunks give the same rows) and copies when dim === cols', async () => {
    const x = uniform(300, 50, 31);
    const all = await randomProjection(x, 16, 5);
    const tail = await randomProjection({ data: x.data.subarray(100 * 50), rows: 200, cols: 50 }, 16, 5);
    expect(Array.from(tail)).toEqual(Array.from(all.subarray(100 * 16)));
    const copy = await randomProjection(x, 50, 5);
    expect(Array.from(copy)).toEqual(Array.from(x.data));
  });

  it('(a) on rows projected by randomProjection equals (a) on the raw rows (what a streaming bank relies on)', async () => {
    const x = clusteredFeatures({ rows: 3000, cols: 96, seed: 2 });
    const raw = await approximateGreedyCoreset(x, { count: 150, seed: 77, projectionDim: 32 });
    const projected = await randomProjection(x, 32, 77);
    const viaBank = await approximateGreedyCoreset({ data: projected, rows: 3000, cols: 32 }, { count: 150, seed: 77, projectionDim: 32 });
    expect(Array.from(viaBank.indices)).toEqual(Array.from(raw.indices));
    expect(viaBank.radius).toBe(raw.radius);
  });

  it('float16 input equals float32 input holding the same values', async () => {
    const x32 = clusteredFeatures({ rows: 2000, seed: 4 });
    const half = toHalf(x32.data);
    const back = Float32Array.from(half, halfToFloat);
    const a16 = await approximateGreedyCoreset({ data: half, rows: 2000, cols: 128 }, { count: 100, seed: 3 });
    const a32 = await approximateGreedyCoreset({ data: back, rows: 2000, cols: 128 }, { count: 100, seed: 3 });
    expect(Array.from(a16.indices)).toEqual(Array.from(a32.indices));
    expect(a16.radius).toBe(a32.radius);
  });
});
