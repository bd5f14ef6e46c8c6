// Streams images through preprocessing, the backbone and patch embedding in batches. The next batch is decoded while
// the current one runs through the network; only patch vectors are kept, never the images.
import type { SkippedFile } from '../api';
import type { Extractor } from '../backbone/session';
import { preprocess, type Preprocessed, type PreprocessSpec } from '../image/preprocess';
import { mapLimit, throwIfAborted } from '../progress';
import { embedImage, type PatchEmbedding } from './embed';
import { preprocessTiles, type Tiling } from './tiling';

export interface ExtractOptions {
  spec: PreprocessSpec;
  extractor: Extractor;
  embedDimension: number | null;
  gridStride?: number | null;
  batchSize?: number;
  strict?: boolean;
  signal?: AbortSignal;
  /** Decoders in flight (sharp runs them on libuv's pool). */
  decoders?: number;
  /** Each file is cut into these tiles, each tile one network input (onImage is called once per tile, in order). */
  tiling?: Tiling | null;
}

export interface ExtractedImage {
  file: string;
  /** Position of the file in the input list. */
  index: number;
  embedding: PatchEmbedding;
  pre: Preprocessed;
  /** With tiling: this tile's position in its file's tiles, and their count (0 of 1 without). */
  tile: number;
  tiles: number;
}

export class BadImageError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`Cannot read image ${file}: ${reason}. Fix or remove it, or run without --strict to skip unreadable images.`);
  }
}

type Decoded = { pre: Preprocessed; file: string; index: number; tile: number; tiles: number }[];

function decodeBatch(files: string[], offset: number, o: ExtractOptions, skipped: SkippedFile[]): Promise<Decoded> {
  const p = decodeBatchNow(files, offset, o, skipped);
  // Awaited later; without a handler now, a --strict failure during the previous batch's forward pass would be an
  // unhandled rejection.
  p.catch(() => undefined);
  return p;
}

async function decodeBatchNow(files: string[], offset: number, o: ExtractOptions, skipped: SkippedFile[]): Promise<Decoded> {
  const res = await mapLimit(files, o.decoders ?? 4, async (file): Promise<Preprocessed[] | null> => {
    try {
      if (o.tiling) return (await preprocessTiles(file, o.spec, o.tiling)).tiles.map((t) => t.pre);
      return [await preprocess(file, o.spec)];
    } catch (err) {
      const reason = (err as Error).message.split('\n')[0];
      if (o.strict) throw new BadImageError(file, reason);
      skipped.push({ path: file, reason });
      return null;
    }
  });
  return res.flatMap((pres, i) => (pres ? pres.map((pre, tile) => ({ pre, file: files[i], index: offset + i, tile, tiles: pres.length })) : []));
}

/** Calls `onImage` for every readable file, in order; unreadable files are added to `skipped` (or thrown if strict). */
export async function extractFiles(
  files: string[],
  o: ExtractOptions,
  onImage: (img: ExtractedImage) => void | Promise<void>,
  skipped: SkippedFile[] = [],
): Promise<SkippedFile[]> {
  const bs = Math.max(1, o.batchSize ?? 16);
  const size = o.spec.size;
  const plane = 3 * size * size;
  let pending = files.length ? decodeBatch(files.slice(0, bs), 0, o, skipped) : null;
  for (let start = 0; start < files.length; start += bs) {
    throwIfAborted(o.signal);
    const batch = await pending!;
    const next = start + bs;
    pending = next < files.length ? decodeBatch(files.slice(next, next + bs), next, o, skipped) : null;
    if (batch.length === 0) continue;
    const input = new Float32Array(batch.length * plane);
    batch.forEach((b, i) => input.set(b.pre.tensor, i * plane));
    const taps = await o.extractor.run(input, batch.length, size);
    for (let i = 0; i < batch.length; i++) {
      const b = batch[i];
      await onImage({ file: b.file, index: b.index, embedding: embedImage(taps, i, o.embedDimension, o.gridStride ?? undefined), pre: b.pre, tile: b.tile, tiles: b.tiles });
    }
  }
  return skipped;
}
