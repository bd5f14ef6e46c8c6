// Patch features of image files, one image at a time, with the default (or a given) backbone: the source the streaming
// fit, the incremental update and the scale benchmark's real-data mix-in read from. Nothing but the current images'
// patch vectors is held.
import type { FitOptions, SkippedFile } from '../api';
import { loadCard, selectTaps, type BackboneCard } from '../backbone/card';
import { resolveModelFile } from '../backbone/resolve';
import { Extractor } from '../backbone/session';
import { embeddingDim } from '../features/embed';
import { extractFiles } from '../features/extract';
import { THRESHOLD_QUANTILE } from '../model/calibration';
import { preprocessSpec, resolveParams, type ModelParams } from '../model/params';
import type { PreprocessSpec } from '../image/preprocess';

export interface ImageFeatures {
  card: BackboneCard;
  params: ModelParams;
  spec: PreprocessSpec;
  extractor: Extractor;
  sha256: string;
  dim: number;
  patchesPerImage: number;
  grid: number;
  /** Calls onImage(file, patches rows × dim) for every readable file, in order; unreadable ones go to `skipped`. */
  each(files: string[], onImage: (file: string, patches: Float32Array) => void | Promise<void>, o?: { signal?: AbortSignal; strict?: boolean }): Promise<SkippedFile[]>;
  close(): Promise<void>;
}

export async function openImageFeatures(o: Omit<FitOptions, 'data' | 'out'>, onNote?: (m: string) => void): Promise<ImageFeatures> {
  const card = loadCard(o.backbone);
  const taps = selectTaps(card, o.taps);
  const params = resolveParams({ ...o, data: '', out: '' }, card, taps.map((t) => t.name), THRESHOLD_QUANTILE);
  const spec = preprocessSpec(params, card);
  const resolved = await resolveModelFile(card, { explicitPath: o.modelFile, signal: o.signal });
  const extractor = await Extractor.create(card, taps, resolved.path, { device: o.device, threads: o.threads, inputSize: params.imageSize, onNote });
  params.provider = extractor.provider;
  const grid = Math.ceil(params.imageSize / (params.gridStride ?? Math.min(...taps.map((t) => t.stride))));
  const dim = embeddingDim(
    taps.map((t) => t.channels),
    params.embedDimension,
  );
  return {
    card,
    params,
    spec,
    extractor,
    sha256: resolved.sha256,
    dim,
    grid,
    patchesPerImage: grid * grid,
    async each(files, onImage, eo = {}) {
      const skipped: SkippedFile[] = [];
      await extractFiles(
        files,
        { spec, extractor, embedDimension: params.embedDimension, gridStride: params.gridStride, batchSize: params.batchSize, strict: eo.strict, signal: eo.signal },
        ({ file, embedding }) => onImage(file, embedding.data),
        skipped,
      );
      return skipped;
    },
    close: () => extractor.close(),
  };
}
