// Raw shape of the coreset exports of the addon (native/src/coreset_wrap.cc). Only native/lib/coreset.ts calls these;
// it validates every argument first.
import type { RawCancelToken } from './binding';

export type RawFeatures = Float32Array | Uint16Array;

export interface RawGreedyParams {
  count: number;
  projectionDim: number;
  numStarts: number;
  seed: number;
  storage: 'float32' | 'float16';
  leafSize?: number;
}

export interface RawCoresetStats {
  prepareSeconds: number;
  selectSeconds: number;
  radiusSeconds: number;
  /** Point-to-point distances computed while selecting. */
  distances: number;
  /** Points whose coverage distance needed the exact final search. */
  unlowered: number;
  /** (c) only, 0 for the others: ball-tree nodes whose bound was tested. */
  nodeVisits: number;
  /** (c) only, 0 for the others: points inside the leaf annuli whose own bound was tested. */
  rangePoints: number;
  kernels: string;
  threads: number;
}

export interface RawCoresetResult {
  indices: Uint32Array;
  radius: number;
  stats: RawCoresetStats;
}

export interface RawCoresetBinding {
  coresetGreedy(
    method: 'approximate' | 'pruned' | 'exact',
    features: RawFeatures,
    rows: number,
    cols: number,
    params: RawGreedyParams,
    token?: RawCancelToken,
    onProgress?: (done: number, total: number) => void,
  ): Promise<RawCoresetResult>;
  coresetProject(features: RawFeatures, rows: number, cols: number, dim: number, seed: number): Promise<Float32Array>;
}
