// Step 1 of the fit pipeline (features → coreset → index → calibrate → commit): patch features of image files with the
// default (or a given) backbone, one batch at a time, for fit, fit --stream, update and add-good (which take a loaded
// model's backbone), and the scale benchmark's real-data mix-in. Nothing but the current images' patch vectors is held.
import type { FitOptions, SkippedFile } from '../api';
import { loadCard, selectTaps, type BackboneCard, type TapSpec } from '../backbone/card';
import { resolveModelFile } from '../backbone/resolve';
import { Extractor } from '../backbone/session';
import { THRESHOLD_QUANTILE } from '../model/calibration';
import { preprocessSpec, resolveParams, type ModelParams } from '../model/params';
import type { PreprocessSpec } from '../image/preprocess';
import { embeddingDim, type PatchEmbedding } from './embed';
import { extractFiles } from './extract';

/** What a fit's options make of the backbone, checked before anything is loaded. */
export interface FeaturePlan {
  card: BackboneCard;
  taps: TapSpec[];
  params: ModelParams;
  spec: PreprocessSpec;
  dim: number;
  grid: number;
  patchesPerImage: number;
}

export interface EachOptions {
  signal?: AbortSignal;
  strict?: boolean;
  /** Unreadable files are appended here as they are met (default: a new list). */
  skipped?: SkippedFile[];
}

export interface FeatureSource {
  /**
   * Calls onImage(file, embedding, part) for every readable file, in order; returns the unreadable ones. A tiled model
   * calls it once per tile (part.tile of part.tiles, in order); otherwise part is { tile: 0, tiles: 1 }.
   */
  each(files: string[], onImage: (file: string, embedding: PatchEmbedding, part: { tile: number; tiles: number }) => void | Promise<void>, o?: EachOptions): Promise<SkippedFile[]>;
}

export interface ImageFeatures extends FeaturePlan, FeatureSource {
  extractor: Extractor;
  sha256: string;
  close(): Promise<void>;
}

export function planFeatures(o: Omit<FitOptions, 'data' | 'out'>): FeaturePlan {
  const card = loadCard(o.backbone);
  const taps = selectTaps(card, o.taps);
  const params = resolveParams({ ...o, data: '', out: '' }, card, taps.map((t) => t.name), THRESHOLD_QUANTILE);
  const grid = Math.ceil(params.imageSize / (params.gridStride ?? Math.min(...taps.map((t) => t.stride))));
  const dim = embeddingDim(
    taps.map((t) => t.channels),
    params.embedDimension,
  );
  return { card, taps, params, spec: preprocessSpec(params, card), dim, grid, patchesPerImage: grid * grid };
}

/** The feature source of a backbone already open (a loaded model's). */
export function featureSource(f: { params: ModelParams; spec: PreprocessSpec; extractor: Extractor }): FeatureSource {
  const { params, spec, extractor } = f;
  return {
    async each(files, onImage, eo = {}) {
      const skipped = eo.skipped ?? [];
      await extractFiles(
        files,
        { spec, extractor, embedDimension: params.embedDimension, gridStride: params.gridStride, batchSize: params.batchSize, strict: eo.strict, signal: eo.signal, tiling: params.tiling },
        ({ file, embedding, tile, tiles }) => onImage(file, embedding, { tile, tiles }),
        skipped,
      );
      return skipped;
    },
  };
}

/** Resolves the backbone file (downloading it if need be) and opens it for the plan. */
export async function openImageFeatures(
  o: Omit<FitOptions, 'data' | 'out'>,
  onNote?: (m: string) => void,
  plan: FeaturePlan = planFeatures(o),
): Promise<ImageFeatures> {
  const { card, taps, params } = plan;
  const resolved = await resolveModelFile(card, { explicitPath: o.modelFile, signal: o.signal, onProgress: o.onProgress });
  const extractor = await Extractor.create(card, taps, resolved.path, { device: o.device, threads: o.threads, inputSize: params.imageSize, onNote });
  params.provider = extractor.provider;
  return {
    ...plan,
    ...featureSource({ params, spec: plan.spec, extractor }),
    extractor,
    sha256: resolved.sha256,
    close: () => extractor.close(),
  };
}
