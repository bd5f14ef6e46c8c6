// Test-only backends: an exact brute-force index and an exact greedy coreset in plain TypeScript. They let engine
// tests run where the native addon is not built; the engine itself uses native/ (bank/backends.ts).
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { CoresetRequest, IndexParams, KnnIndex, SearchResult } from '../bank/knn';
import type { EngineBackends } from '../bank/backends';

const MAGIC = 0x50_4c_58_31; // "PLX1"

export class ExactIndex implements KnnIndex {
  private data: Float32Array;
  constructor(
    readonly dim: number,
    data?: Float32Array,
  ) {
    this.data = data ?? new Float32Array(0);
  }
  get ntotal(): number {
    return this.data.length / this.dim;
  }
  add(vectors: Float32Array): void {
    const next = new Float32Array(this.data.length + vectors.length);
    next.set(this.data);
    next.set(vectors, this.data.length);
    this.data = next;
  }
  search(queries: Float32Array, k: number): SearchResult {
    const n = queries.length / this.dim;
    const distances = new Float32Array(n * k).fill(Infinity);
    const labels = new BigInt64Array(n * k).fill(-1n);
    for (let q = 0; q < n; q++) {
      const best: [number, number][] = [];
      for (let r = 0; r < this.ntotal; r++) {
        let s = 0;
        for (let d = 0; d < this.dim; d++) {
          const v = queries[q * this.dim + d] - this.data[r * this.dim + d];
          s += v * v;
        }
        if (best.length < k || s < best[best.length - 1][0]) {
          best.push([s, r]);
          best.sort((a, b) => a[0] - b[0]);
          if (best.length > k) best.pop();
        }
      }
      best.forEach(([s, r], j) => {
        distances[q * k + j] = s;
        labels[q * k + j] = BigInt(r);
      });
    }
    return { distances, labels };
  }
  setParams(_p: IndexParams): void {}
  write(file: string): void {
    const head = new Uint32Array([MAGIC, this.dim, this.ntotal]);
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, Buffer.concat([Buffer.from(head.buffer), Buffer.from(this.data.buffer, this.data.byteOffset, this.data.byteLength)]));
    renameSync(tmp, file);
  }
  static read(file: string): ExactIndex {
    const buf = readFileSync(file);
    if (buf.length < 12) throw new Error('index file is truncated');
    const head = new Uint32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + 12));
    if (head[0] !== MAGIC) throw new Error('not an index file');
    const data = new Float32Array(head[1] * head[2]);
    if (buf.length !== 12 + data.byteLength) throw new Error('index file is truncated');
    new Uint8Array(data.buffer).set(buf.subarray(12));
    return new ExactIndex(head[1], data);
  }
  memoryBytes(): number {
    return this.data.byteLength;
  }
  close(): void {}
}

/** Exact greedy k-center (farthest-point) selection, starting from row 0. */
export async function exactGreedy(req: CoresetRequest): Promise<{ indices: Uint32Array; radius: number }> {
  const { data, rows, cols } = req;
  const target = req.count ?? Math.max(1, Math.round(rows * req.ratio));
  const minD = new Float64Array(rows).fill(Infinity);
  const picks = new Uint32Array(target);
  let last = 0;
  for (let t = 0; t < target; t++) {
    picks[t] = last;
    let far = 0;
    let farD = -1;
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let d = 0; d < cols; d++) {
        const v = data[r * cols + d] - data[last * cols + d];
        s += v * v;
      }
      if (s < minD[r]) minD[r] = s;
      if (minD[r] > farD) {
        farD = minD[r];
        far = r;
      }
    }
    last = far;
    req.onProgress?.(t + 1, target);
  }
  let radius = 0;
  for (let r = 0; r < rows; r++) radius = Math.max(radius, minD[r]);
  return { indices: picks, radius: Math.sqrt(radius) };
}

export const exactBackends: EngineBackends = {
  index: {
    create: (dim) => new ExactIndex(dim),
    read: (file) => ExactIndex.read(file),
  },
  coreset: { greedy: exactGreedy },
};
