// The greedy coreset over a large patch set, in chunks. Greedy k-center costs rows × picks distances, i.e. it grows
// with the square of the training set (597k patches of 762 magnetic-tile images: minutes on 2 cores). Splitting the
// images into chunks of at most `chunkRows` patches (sets of up to twice that stay whole) (image i goes to chunk i mod n, so each chunk spans the whole set)
// and taking the same ratio from each makes it linear: the union covers every patch within the largest chunk radius.
import type { CoresetBackend } from './knn';

export interface ChunkedCoresetRequest {
  data: Float32Array;
  /** Rows are grouped by image: rows [i·perImage, (i+1)·perImage) belong to image i. */
  images: number;
  perImage: number;
  cols: number;
  ratio: number;
  projectionDim: number;
  numStarts: number;
  seed: number;
  /** Largest chunk; 0 or ≥ rows / 2: one greedy pass over everything (the reference). */
  chunkRows: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** How many picks each chunk gets: round(rows × ratio) in total, split in proportion to chunk sizes. */
export function chunkCounts(sizes: number[], ratio: number): number[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  const target = Math.max(1, Math.round(total * ratio));
  const counts = sizes.map((s) => Math.max(1, Math.floor((s * target) / total)));
  for (let i = 0, left = target - counts.reduce((a, b) => a + b, 0); left > 0; i = (i + 1) % counts.length, left--) counts[i]++;
  return counts.map((c, i) => Math.min(c, sizes[i]));
}

export async function chunkedGreedy(backend: CoresetBackend, r: ChunkedCoresetRequest): Promise<{ indices: Uint32Array; radius: number; chunks: number }> {
  const rows = r.images * r.perImage;
  // Up to two chunks' worth is still cheap in one pass (and a small set loses the most by splitting).
  const chunks = r.chunkRows > 0 && rows > 2 * r.chunkRows ? Math.min(r.images, Math.ceil(rows / r.chunkRows)) : 1;
  if (chunks <= 1) {
    const res = await backend.greedy({ data: r.data, rows, cols: r.cols, ratio: r.ratio, projectionDim: r.projectionDim, numStarts: r.numStarts, seed: r.seed, signal: r.signal, onProgress: r.onProgress });
    return { ...res, chunks: 1 };
  }
  const members = Array.from({ length: chunks }, (_, c) => Array.from({ length: Math.ceil((r.images - c) / chunks) }, (_, j) => c + j * chunks));
  const counts = chunkCounts(
    members.map((m) => m.length * r.perImage),
    r.ratio,
  );
  const target = counts.reduce((a, b) => a + b, 0);
  const picked: number[] = [];
  let radius = 0;
  for (let c = 0; c < chunks; c++) {
    const imgs = members[c];
    const block = r.perImage * r.cols;
    const data = new Float32Array(imgs.length * block);
    imgs.forEach((img, j) => data.set(r.data.subarray(img * block, (img + 1) * block), j * block));
    const before = picked.length;
    const res = await backend.greedy({
      data,
      rows: imgs.length * r.perImage,
      cols: r.cols,
      ratio: r.ratio,
      count: counts[c],
      projectionDim: r.projectionDim,
      numStarts: r.numStarts,
      seed: r.seed + c,
      signal: r.signal,
      onProgress: (done) => r.onProgress?.(before + done, target),
    });
    for (const local of res.indices) picked.push(imgs[Math.floor(local / r.perImage)] * r.perImage + (local % r.perImage));
    radius = Math.max(radius, res.radius);
  }
  return { indices: Uint32Array.from(picked), radius, chunks };
}
