// Every parameter of a fitted model, resolved from FitOptions and the card, as recorded in the manifest.
import type { CoresetMethod, Device, FitOptions } from '../api';
import type { BackboneCard } from '../backbone/card';
import type { Interpolation, PreprocessSpec, ResizeMode } from '../image/preprocess';
import { checkTiling, type Tiling } from '../features/tiling';

/**
 * Where a parameter's value came from. 'published default': PatchCore's paper / reference code (patchcore-inspection);
 * 'principle': chosen from a requirement, not a measurement (e.g. no part of the image may be cut off); 'backbone card':
 * the card's input size, taps and embedding; 'engine default': an implementation choice with no bearing on accuracy
 * by design (chunking, batch, seed, …); 'user option': given at fit; 'auto': chosen per model from its own good images.
 */
export type ParamSource = 'published default' | 'principle' | 'backbone card' | 'engine default' | 'user option' | 'auto';

export interface ParamRecord {
  value: unknown;
  source: ParamSource;
  /** Why this default (where the source alone does not say). */
  note?: string;
}

export interface ModelParams {
  taps: string[];
  imageSize: number;
  resize: number;
  resizeMode: ResizeMode;
  interpolation: Interpolation;
  embedDimension: number | null;
  /** chunkRows: the greedy pass runs on chunks of at most this many patches (0 = one pass over all of them). */
  coreset: { method: CoresetMethod; ratio: number; projectionDim: number; numStarts: number; chunkRows: number };
  k: number;
  reweight: boolean;
  reweightNeighbors: number;
  sigma: number;
  gridStride: number | null;
  imageScore: 'patch-max' | 'map-max';
  /** Patches re-searched exactly per round when the index is approximate (0 = off); see Scorer.refine. */
  exactTop: number;
  seed: number;
  batchSize: number;
  calibrationFraction: number;
  thresholdQuantile: string;
  device: Device;
  provider: string;
  /** Tiling of large images (each tile is one network input; maps stitched back); null = the whole image is one input. */
  tiling: Tiling | null;
  /** The value and source of each user-facing parameter (absent in models fitted before it was recorded). */
  sources?: Record<string, ParamRecord>;
}

/**
 * Default greedy chunk: ~64k patches (82 images of 784). The greedy pass is quadratic in the patches it sees; chunks
 * make the fit linear in the training set (docs/engine-results-v1.md: same accuracy on magnetic tile).
 */
export const CORESET_CHUNK_ROWS = 65536;
export const CORESET_PROJECTION = 128;
/**
 * One exact query per round. A round costs one pass over the whole bank whatever it holds, and the search's recall
 * rule (≥ 0.99 of patches exact, bank/search-tuning.ts) makes the top patch's approximate score its exact one almost
 * always, which already settles the maximum: 1.07 rounds per image on magnetic tile, exact rounds 1.1 ms against
 * 3.9 ms for rounds of 8 (AMD EPYC, docs/speed.md). Models record the value they were fitted with.
 */
export const EXACT_TOP = 1;
/** Anomaly-map blur: PatchCore's published σ = 4 (patchcore-inspection), not a value measured on any data set. */
export const DEFAULT_SIGMA = 4;
/**
 * Letterbox: the whole image, aspect kept, in the square input. A crop (the reference's resize 256 then centre 224)
 * cuts off the part's border, and a defect there can never be found; stretching ignores the aspect, so a round defect
 * on a long part becomes an ellipse the good bank never saw at that shape. docs/defaults.md.
 */
export const DEFAULT_RESIZE_MODE: ResizeMode = 'letterbox';

/** Why each default is what it is (see ParamSource); what `patchline info` prints beside the value. */
const DEFAULT_SOURCES: Record<string, { source: ParamSource; note?: string }> = {
  imageSize: { source: 'backbone card', note: "the card's input side" },
  resize: { source: 'published default', note: 'resize 256 for a 224 input, then centre crop' },
  resizeMode: { source: 'principle', note: 'letterbox: the whole part in view, aspect kept (PatchCore keeps the aspect; its centre crop would cut the border)' },
  interpolation: { source: 'published default', note: 'bilinear' },
  taps: { source: 'backbone card' },
  embedDimension: { source: 'backbone card' },
  coreset: { source: 'published default', note: 'approximate greedy coreset, 10 %, 128-d projection, 10 starts; chunking is an engine choice' },
  k: { source: 'published default', note: '1 nearest neighbour' },
  reweight: { source: 'published default', note: 'plain max, as patchcore-inspection scores' },
  reweightNeighbors: { source: 'published default', note: 'b = 9 (anomalib)' },
  sigma: { source: 'published default', note: 'Gaussian blur σ = 4 of the anomaly map' },
  gridStride: { source: 'backbone card', note: "the finest tap's stride" },
  imageScore: { source: 'published default', note: 'largest patch score' },
  exactTop: { source: 'engine default', note: 'exact image score behind an approximate index' },
  seed: { source: 'engine default' },
  batchSize: { source: 'engine default' },
  calibrationFraction: { source: 'engine default', note: 'held out for the threshold when there is no validation/good' },
  tiling: { source: 'engine default', note: 'none: the whole image is one network input' },
};

const OPTION_OF: Record<string, keyof FitOptions> = { gridStride: 'gridStride', tiling: 'tile', reweightNeighbors: 'reweightNeighbors' };

/** The value and source of each parameter in DEFAULT_SOURCES: 'user option' where the fit's options set it. */
export function paramSources(o: FitOptions, p: Omit<ModelParams, 'sources'>): Record<string, ParamRecord> {
  const out: Record<string, ParamRecord> = {};
  for (const [key, d] of Object.entries(DEFAULT_SOURCES)) {
    const given = (o as unknown as Record<string, unknown>)[OPTION_OF[key] ?? key] !== undefined;
    const value = (p as unknown as Record<string, unknown>)[key];
    const def = key === 'resize' && p.resizeMode === 'letterbox' ? { source: 'principle' as const, note: 'letterbox does not crop: equal to the input' } : d;
    out[key] = given ? { value, source: 'user option' } : { value, source: def.source, ...(def.note ? { note: def.note } : {}) };
  }
  return out;
}

export function resolveParams(o: FitOptions, card: BackboneCard, taps: string[], thresholdQuantile: string): ModelParams {
  const imageSize = o.imageSize ?? card.input.size;
  const coreset = o.coreset ?? { method: 'approx-greedy', ratio: 0.1 };
  if (coreset.chunkRows !== undefined && !(Number.isInteger(coreset.chunkRows) && coreset.chunkRows >= 0)) throw new Error(`coreset chunk must be a non-negative integer, got ${coreset.chunkRows}`);
  if (coreset.projectionDim !== undefined && !(Number.isInteger(coreset.projectionDim) && coreset.projectionDim >= 1)) throw new Error(`coreset projection must be a positive integer, got ${coreset.projectionDim}`);
  if (!(coreset.ratio > 0 && coreset.ratio <= 1)) throw new Error(`coreset ratio must be in (0, 1], got ${coreset.ratio}`);
  const k = o.k ?? 1;
  if (!Number.isInteger(k) || k < 1) throw new Error(`k must be a positive integer, got ${k}`);
  const fraction = o.calibrationFraction ?? 0.1;
  if (!(fraction > 0 && fraction < 1)) throw new Error(`calibration fraction must be in (0, 1), got ${fraction}`);
  const resizeMode = o.resizeMode ?? DEFAULT_RESIZE_MODE;
  if (resizeMode === 'letterbox' && o.resize !== undefined && o.resize !== imageSize) {
    throw new Error(`--resize ${o.resize} does not apply to letterbox (the whole image is fitted into the ${imageSize} px input, nothing is cropped); use --resize-mode stretch or shorter-side to resize and crop`);
  }
  const tiling = o.tile === undefined ? null : checkTiling(o.tile);
  const p: Omit<ModelParams, 'sources'> = {
    taps,
    imageSize,
    resize: o.resize ?? (resizeMode === 'letterbox' ? imageSize : Math.round((imageSize * 256) / 224)),
    resizeMode,
    interpolation: o.interpolation ?? 'linear',
    embedDimension: o.embedDimension !== undefined ? o.embedDimension : card.embedDimension,
    coreset: { method: coreset.method, ratio: coreset.ratio, projectionDim: coreset.projectionDim ?? CORESET_PROJECTION, numStarts: 10, chunkRows: coreset.chunkRows ?? CORESET_CHUNK_ROWS },
    k,
    reweight: o.reweight ?? false,
    reweightNeighbors: o.reweightNeighbors ?? 9,
    sigma: o.sigma ?? DEFAULT_SIGMA,
    gridStride: o.gridStride ?? null,
    imageScore: o.imageScore ?? 'patch-max',
    exactTop: o.exactTop ?? EXACT_TOP,
    seed: o.seed ?? 0,
    batchSize: o.batchSize ?? 16,
    calibrationFraction: fraction,
    thresholdQuantile,
    device: o.device ?? 'cpu',
    provider: 'cpu',
    tiling,
  };
  return { ...p, sources: paramSources(o, p) };
}

/** Fills parameters that models written before they existed lack. */
export function withDefaults(p: Partial<ModelParams>): ModelParams {
  // Models fitted before these parameters existed ran without them; their recorded sigma and resizeMode stay theirs.
  const p2 = { gridStride: null, imageScore: 'patch-max', exactTop: 0, tiling: null, ...p } as ModelParams;
  return p2.coreset && p2.coreset.chunkRows === undefined ? { ...p2, coreset: { ...p2.coreset, chunkRows: 0 } } : p2;
}

export function scoringParams(p: ModelParams) {
  return { k: p.k, reweight: p.reweight, reweightNeighbors: p.reweightNeighbors, sigma: p.sigma, size: p.imageSize, imageScore: p.imageScore, exactTop: p.exactTop };
}

export function preprocessSpec(p: ModelParams, card: BackboneCard): PreprocessSpec {
  return {
    size: p.imageSize,
    resize: p.resize,
    resizeMode: p.resizeMode,
    interpolation: p.interpolation,
    mean: card.input.mean,
    std: card.input.std,
    channelOrder: card.input.channelOrder,
  };
}
