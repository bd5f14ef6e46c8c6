import { describe, expect, it } from 'vitest';
import { exactGreedy } from '../testing/exact-backends';
import { chunkCounts, chunkedGreedy } from './chunked-coreset';
import type { CoresetRequest } from './knn';

function features(images: number, perImage: number, cols: number): Float32Array {
  // Image i's patches sit around (i, i, …) with a small per-patch offset, so every picked row is traceable.
  const out = new Float32Array(images * perImage * cols);
  for (let i = 0; i < images; i++) for (let p = 0; p < perImage; p++) for (let c = 0; c < cols; c++) out[(i * perImage + p) * cols + c] = i * 10 + ((p * (c + 1)) % 7) * 0.1;
  return out;
}

describe('chunkCounts', () => {
  it('splits round(total × ratio) in proportion and never asks a chunk for more than it has', () => {
    expect(chunkCounts([100, 100, 100], 0.1)).toEqual([10, 10, 10]);
    const c = chunkCounts([101, 99, 57], 0.1);
    expect(c.reduce((a, b) => a + b, 0)).toBe(Math.round(257 * 0.1));
    expect(chunkCounts([3, 2], 1)).toEqual([3, 2]);
  });
});

describe('chunkedGreedy', () => {
  const images = 10;
  const perImage = 16;
  const cols = 4;
  const data = features(images, perImage, cols);

  it('is one plain greedy pass up to twice the chunk size', async () => {
    const calls: number[] = [];
    const r = await chunkedGreedy({ greedy: (q: CoresetRequest) => (calls.push(q.rows), exactGreedy(q)) }, { data, images, perImage, cols, ratio: 0.25, projectionDim: cols, numStarts: 1, seed: 3, chunkRows: 80 });
    expect(r.chunks).toBe(1);
    expect(calls).toEqual([160]);
  });

  it('is one plain greedy pass when chunking is off', async () => {
    const base = { data, images, perImage, cols, ratio: 0.25, projectionDim: cols, numStarts: 1, seed: 3 };
    const one = await chunkedGreedy({ greedy: exactGreedy }, { ...base, chunkRows: 0 });
    const direct = await exactGreedy({ data, rows: images * perImage, cols, ratio: 0.25, projectionDim: cols, numStarts: 1, seed: 3 });
    expect(one.chunks).toBe(1);
    expect(Array.from(one.indices)).toEqual(Array.from(direct.indices));
  });

  it('maps each chunk’s picks back to global rows, hits the exact target and covers every image', async () => {
    const seen: CoresetRequest[] = [];
    const backend = {
      greedy: (req: CoresetRequest) => {
        seen.push(req);
        return exactGreedy(req);
      },
    };
    const r = await chunkedGreedy(backend, { data, images, perImage, cols, ratio: 0.25, projectionDim: cols, numStarts: 1, seed: 3, chunkRows: 48 });
    expect(r.chunks).toBe(4); // ceil(160 / 48); 160 > 2 × 48
    expect(seen.map((s) => s.rows)).toEqual([3 * 16, 3 * 16, 2 * 16, 2 * 16]); // images 0,4,8 | 1,5,9 | 2,6 | 3,7
    expect(r.indices.length).toBe(Math.round(160 * 0.25));
    expect(new Set(r.indices).size).toBe(r.indices.length);
    // A picked row's vector is the vector the chunk saw at its local row.
    const req = seen[1];
    const firstLocal = (await exactGreedy(req)).indices[0];
    const global = r.indices[seen[0].count!];
    expect(Array.from(data.subarray(global * cols, (global + 1) * cols))).toEqual(Array.from(req.data.subarray(firstLocal * cols, (firstLocal + 1) * cols)));
    // Every image is far from the others (spacing 10), so greedy picks at least one patch of each.
    const imagesHit = new Set(Array.from(r.indices, (g) => Math.floor(g / perImage)));
    expect(imagesHit.size).toBe(images);
  });
});
