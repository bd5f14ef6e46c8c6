// Scores embedded patches against the memory bank: k-NN distance per patch (mean of the k nearest, in L2 units),
// image score = the largest patch score, optionally reweighted as PatchCore's Eq. 7; then the anomaly map.
import type { AnomalyMap } from '../api';
import type { KnnIndex } from '../bank/knn';
import type { PatchEmbedding } from '../features/embed';
import { anomalyMap } from './anomaly-map';

export interface ScoringParams {
  k: number;
  reweight: boolean;
  reweightNeighbors: number;
  sigma: number;
  /** Side of the anomaly map (the network input size). */
  size: number;
  /** 'patch-max' (default): the largest patch score; 'map-max': the largest value of the blurred map. */
  imageScore?: 'patch-max' | 'map-max';
  /**
   * With an approximate index: the highest-scoring patches are searched again exactly, this many at a time, until the
   * largest exact score is at least every approximate score left (0 = off). See Scorer.refine.
   */
  exactTop?: number;
}

export interface PatchScores {
  /** gridH × gridW, L2 distance units. */
  scores: Float32Array;
  gridH: number;
  gridW: number;
  /** Image score: max patch score (or map maximum), reweighted when asked. */
  score: number;
  /** The anomaly map, when computing the score needed it. */
  map?: AnomalyMap;
  /** Where the search time went (bench:engine --profile); for a batch, the search is the whole batch's. */
  profile?: SearchProfile;
}

export interface SearchProfile {
  /** The k-NN search of every patch (with a one-call index: search and refinement together, in native code). */
  searchMs: number;
  /** The exact re-search of the top patches from JS (0 with a one-call index: it is inside searchMs). */
  refineMs: number;
  rounds: number;
  refined: number;
  /** Searched through the index's one-call searchImage. */
  oneCall: boolean;
}

/** Patch scores from a search result: sqrt of squared L2, averaged over the k neighbours. */
export function patchScoresFromDistances(distances: Float32Array, patches: number, k: number, offset = 0): Float32Array {
  const out = new Float32Array(patches);
  for (let p = 0; p < patches; p++) {
    let s = 0;
    const base = (offset + p) * k;
    for (let j = 0; j < k; j++) s += Math.sqrt(Math.max(0, distances[base + j]));
    out[p] = s / k;
  }
  return out;
}

function l2(a: Float32Array, aOff: number, b: Float32Array, bOff: number, dim: number): number {
  let s = 0;
  for (let i = 0; i < dim; i++) {
    const d = a[aOff + i] - b[bOff + i];
    s += d * d;
  }
  return Math.sqrt(s);
}

export interface ScorerOptions {
  /**
   * Search each image through the index's one-call searchImage (search and refinement in native code, no round trip
   * per round, no copy of the queries). Default: wherever the index offers it. false: the JS path (Scorer.refine
   * against `exact`), for benchmarks that compare the two.
   */
  oneCall?: boolean;
  /**
   * For a one-call index without exact vectors of its own (exactSource null): the bank it refines against, read in
   * place. Without it such an index is not refined.
   */
  exactVectors?: () => Float32Array;
}

export class Scorer {
  private readonly oneCall: boolean;

  constructor(
    private readonly index: KnnIndex,
    readonly params: ScoringParams,
    /** Bank vectors (rows × dim), needed only for Eq. 7. */
    private readonly bank: () => Float32Array,
    /** An exact index over the same bank (the vectors in the same order) when `index` is approximate (JS path). */
    private readonly exact?: KnnIndex,
    private readonly options: ScorerOptions = {},
  ) {
    this.oneCall = options.oneCall ?? typeof index.searchImage === 'function';
    if (this.oneCall && typeof index.searchImage !== 'function') throw new Error('Scorer: oneCall needs an index with searchImage');
  }

  /**
   * One image through searchImage: the same scores as search + refine (the native call implements Scorer.refine's
   * rule; bench/native-image.ts checks they agree bit for bit), so the image maximum is exact where the index's
   * distances are exact distances to the neighbours it found (Flat, "...,RFlat").
   */
  private async searchOne(e: PatchEmbedding, k: number): Promise<{ scores: Float32Array; labels: number[]; profile: SearchProfile }> {
    const exactTop = this.params.exactTop ?? 0;
    const source = this.index.exactSource ?? null;
    const exactVectors = exactTop > 0 && source === null ? this.options.exactVectors?.() : undefined;
    const top = source !== null || exactVectors ? exactTop : 0;
    const t0 = performance.now();
    const r = await (this.index.searchImage as NonNullable<KnnIndex['searchImage']>)(e.data, k, exactVectors ? { exactTop: top, exactVectors } : { exactTop: top });
    const searchMs = performance.now() - t0;
    const patches = e.gridH * e.gridW;
    const labels = Array.from({ length: patches }, (_, p) => Number(r.labels[p * k]));
    return { scores: r.scores, labels, profile: { searchMs, refineMs: 0, rounds: r.rounds, refined: r.refined.length, oneCall: true } };
  }

  private async searchAll(embeddings: PatchEmbedding[], k: number): Promise<{ scores: Float32Array; labels: number[]; profile: SearchProfile }[]> {
    if (this.oneCall) {
      const out = [];
      for (const e of embeddings) out.push(await this.searchOne(e, k));
      return out;
    }
    const dim = embeddings[0].dim;
    const total = embeddings.reduce((a, e) => a + e.gridH * e.gridW, 0);
    const queries = embeddings.length === 1 ? embeddings[0].data : new Float32Array(total * dim);
    if (embeddings.length > 1) {
      let off = 0;
      for (const e of embeddings) {
        queries.set(e.data, off);
        off += e.data.length;
      }
    }
    const t0 = performance.now();
    const res = await this.index.search(queries, k);
    const searchMs = performance.now() - t0;
    const out = [];
    let off = 0;
    for (const e of embeddings) {
      const patches = e.gridH * e.gridW;
      const scores = patchScoresFromDistances(res.distances, patches, k, off);
      const labels = Array.from({ length: patches }, (_, p) => Number(res.labels[(off + p) * k]));
      const t1 = performance.now();
      const { rounds, refined } = await this.refine(e, scores, labels, k);
      out.push({ scores, labels, profile: { searchMs, refineMs: performance.now() - t1, rounds, refined, oneCall: false } });
      off += patches;
    }
    return out;
  }

  /**
   * The image score is a maximum over 784 patches, so one patch whose neighbour an approximate index missed lifts a
   * good part's score (measured on magnetic tile: image AUROC 0.913 with IVF at nprobe 4 against 0.950 exact). The
   * index's distances are exact distances to the candidate it found, hence never below the true nearest distance: a
   * patch's approximate score is an upper bound. So re-searching the top patches exactly, batch by batch, until the
   * best exact score reaches the largest approximate score not yet re-searched, yields the exact maximum (and its
   * neighbour, for Eq. 7) at the cost of a few exact queries. Refined patches also carry exact values into the map.
   */
  private async refine(e: PatchEmbedding, scores: Float32Array, labels: number[], k: number): Promise<{ rounds: number; refined: number }> {
    const batch = this.params.exactTop ?? 0;
    let rounds = 0;
    let refined = 0;
    if (!this.exact || batch <= 0) return { rounds, refined };
    const patches = scores.length;
    const order = Array.from({ length: patches }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
    let best = -Infinity;
    for (let start = 0; start < patches; start += batch) {
      if (best >= scores[order[start]]) break;
      const ids = order.slice(start, start + batch);
      const q = new Float32Array(ids.length * e.dim);
      ids.forEach((p, i) => q.set(e.data.subarray(p * e.dim, (p + 1) * e.dim), i * e.dim));
      const res = await this.exact.search(q, k);
      rounds++;
      refined += ids.length;
      const exact = patchScoresFromDistances(res.distances, ids.length, k);
      ids.forEach((p, i) => {
        scores[p] = exact[i];
        labels[p] = Number(res.labels[i * k]);
        if (exact[i] > best) best = exact[i];
      });
    }
    return { rounds, refined };
  }

  /** Scores several embeddings (calibration, batch prediction): one search call, or one call per image. */
  async score(embeddings: PatchEmbedding[]): Promise<PatchScores[]> {
    if (embeddings.length === 0) return [];
    const k = Math.min(this.params.k, Math.max(1, this.index.ntotal));
    const searched = await this.searchAll(embeddings, k);
    const out: PatchScores[] = [];
    for (let i = 0; i < embeddings.length; i++) {
      const e = embeddings[i];
      const { scores, labels, profile } = searched[i];
      let arg = 0;
      for (let p = 1; p < scores.length; p++) if (scores[p] > scores[arg]) arg = p;
      let score = scores[arg];
      let map: AnomalyMap | undefined;
      if (this.params.imageScore === 'map-max') {
        map = anomalyMap(scores, e.gridH, e.gridW, this.params.size, this.params.sigma);
        score = map.data.reduce((m, v) => (v > m ? v : m), -Infinity);
      }
      if (this.params.reweight) score = await this.reweight(e, arg, labels[arg], score);
      out.push({ scores, gridH: e.gridH, gridW: e.gridW, score, map, profile });
    }
    return out;
  }

  /**
   * PatchCore Eq. 7 (as anomalib implements it): s = (1 − softmax(‖m_test − m‖ over m ∈ N_b(m*))[m*]) · s*, where m*
   * is the bank neighbour of the most anomalous patch and N_b(m*) its b nearest bank vectors (m* first).
   */
  private async reweight(e: PatchEmbedding, patch: number, nn: number, sStar: number): Promise<number> {
    const bank = this.bank();
    const dim = e.dim;
    if (nn < 0 || (nn + 1) * dim > bank.length) return sStar;
    const mStar = bank.subarray(nn * dim, (nn + 1) * dim);
    const b = Math.min(this.params.reweightNeighbors, this.index.ntotal);
    const support = await this.index.search(Float32Array.from(mStar), b);
    const ids = Array.from(support.labels, Number).filter((id) => id >= 0);
    // The support set starts at m* itself (distance 0 to itself), even if the index returns it elsewhere.
    const ordered = [nn, ...ids.filter((id) => id !== nn)].slice(0, b);
    const d = ordered.map((id) => l2(e.data, patch * dim, bank, id * dim, dim));
    const max = Math.max(...d);
    const exps = d.map((v) => Math.exp(v - max));
    const weight = 1 - exps[0] / exps.reduce((a, v) => a + v, 0);
    return weight * sStar;
  }

  map(p: PatchScores): AnomalyMap {
    if (p.map) return p.map;
    return anomalyMap(p.scores, p.gridH, p.gridW, this.params.size, this.params.sigma);
  }
}
