// Every parameter of a fitted model, resolved from FitOptions and the card, as recorded in the manifest.
import type { CoresetMethod, Device, FitOptions } from '../api';
import type { BackboneCard } from '../backbone/card';
import type { Interpolation, PreprocessSpec, ResizeMode } from '../image/preprocess';

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
}

/**
 * Default greedy chunk: ~64k patches (82 images of 784). The greedy pass is quadratic in the patches it sees; chunks
 * make the fit linear in the training set (docs/engine-results-v1.md: same accuracy on magnetic tile).
 */
export const CORESET_CHUNK_ROWS = 65536;
export const CORESET_PROJECTION = 128;
/** 8 exact queries per round: one round almost always settles the maximum (a few ms on a 60k bank). */
export const EXACT_TOP = 8;
/**
 * Anomaly-map blur. The reference uses 4; on magnetic tile 10 gives pixel AUROC 0.841 against 0.829 and AUPRO 0.689
 * against 0.683 (8: 0.837 / 0.688) with the same image AUROC (docs/engine-results-v1.md).
 */
export const DEFAULT_SIGMA = 10;

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
  return {
    taps,
    imageSize,
    resize: o.resize ?? Math.round((imageSize * 256) / 224),
    resizeMode: o.resizeMode ?? 'stretch',
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
  };
}

/** Fills parameters that models written before they existed lack. */
export function withDefaults(p: Partial<ModelParams>): ModelParams {
  const p2 = { gridStride: null, imageScore: 'patch-max', exactTop: 0, ...p } as ModelParams;
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
