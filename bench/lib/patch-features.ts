// Seeded synthetic data shaped like PatchCore patch features, for the search benchmark and the index tests.
//
// Patch features of good parts are not Gaussian blobs: they form many modes (one per recurring texture or position
// on the part), with very uneven populations, spreads that vary by orders of magnitude, and each mode lives near a
// low-dimensional manifold inside the high-dimensional space. The model here has:
//   - `modes` cluster centres that themselves lie near a 32-dimensional subspace (features share structure);
//   - Zipf-distributed mode populations (a few modes hold most patches);
//   - log-normal mode radii (heavy tailed: some modes are 10x wider than the median);
//   - per mode an `intrinsicDim`-dimensional random basis with a decaying spectrum, plus small isotropic noise.
// A bank and its queries are drawn from the same model with different sample seeds, so queries resemble the bank
// without being in it, as a new good part's patches would.

import { rng } from '../../electron/engine/random';

export function gaussian(next: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = next();
    const v = next();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

export interface PatchFeatureOptions {
  /** Number of modes (clusters). Default 4096. */
  modes?: number;
  /** Dimension of each mode's local manifold. Default 8. */
  intrinsicDim?: number;
  /** Median mode radius relative to the spread of the centres. Default 0.25. */
  radius?: number;
  /** Seed of the model (centres, bases, weights): bank and queries must share it. */
  seed?: number;
}

const NOISE_TABLE = 1 << 16;

export class PatchFeatureModel {
  readonly dim: number;
  readonly modes: number;
  readonly intrinsicDim: number;
  private readonly centres: Float32Array;
  private readonly bases: Float32Array; // modes x intrinsicDim x dim, spectrum and radius folded in
  private readonly noiseScale: Float32Array; // per mode
  private readonly cumulative: Float64Array; // mode sampling CDF
  private readonly noise: Float32Array;

  /** The linear parts of the model (centres modes × dim; bases modes·intrinsicDim × dim), to map them elsewhere. */
  linearParts(): { centres: Float32Array; bases: Float32Array } {
    return { centres: this.centres, bases: this.bases };
  }

  /**
   * The same model after a linear map (e.g. the random projection fit applies), given the mapped linear parts:
   * a linear map commutes with centre + basis · z, so those are exact; the isotropic noise is scaled by noiseGain
   * (the map's RMS gain), which matches mapped samples up to the noise's shape.
   */
  project(mapped: { centres: Float32Array; bases: Float32Array }, outDim: number, noiseGain: number): PatchFeatureModel {
    const out = Object.create(PatchFeatureModel.prototype) as PatchFeatureModel;
    Object.assign(out, {
      dim: outDim,
      modes: this.modes,
      intrinsicDim: this.intrinsicDim,
      centres: mapped.centres,
      bases: mapped.bases,
      noiseScale: this.noiseScale.map((s) => s * noiseGain),
      cumulative: this.cumulative,
      noise: this.noise,
    });
    return out;
  }

  constructor(dim: number, options: PatchFeatureOptions = {}) {
    this.dim = dim;
    this.modes = options.modes ?? 4096;
    this.intrinsicDim = options.intrinsicDim ?? 8;
    const radius = options.radius ?? 0.25;
    const normal = gaussian(rng(options.seed ?? 1));
    const latent = 32;
    const mix = new Float32Array(latent * dim);
    for (let i = 0; i < mix.length; i++) mix[i] = normal() / Math.sqrt(latent);
    this.centres = new Float32Array(this.modes * dim);
    for (let c = 0; c < this.modes; c++) {
      const z = Array.from({ length: latent }, () => normal());
      const row = this.centres.subarray(c * dim, (c + 1) * dim);
      for (let l = 0; l < latent; l++) {
        const m = mix.subarray(l * dim, (l + 1) * dim);
        for (let t = 0; t < dim; t++) row[t] += z[l] * m[t];
      }
      for (let t = 0; t < dim; t++) row[t] += 0.1 * normal();
    }
    // The centres' per-coordinate spread is ~1, so a radius r spreads a mode over about r * sqrt(dim) in norm.
    const scale = radius * Math.sqrt(dim);
    this.bases = new Float32Array(this.modes * this.intrinsicDim * dim);
    this.noiseScale = new Float32Array(this.modes);
    const weights = new Float64Array(this.modes);
    for (let c = 0; c < this.modes; c++) {
      const r = scale * Math.exp(0.8 * normal());
      for (let a = 0; a < this.intrinsicDim; a++) {
        const s = r / (1 + a) / Math.sqrt(dim);
        const b = this.bases.subarray((c * this.intrinsicDim + a) * dim, (c * this.intrinsicDim + a + 1) * dim);
        for (let t = 0; t < dim; t++) b[t] = s * normal();
      }
      this.noiseScale[c] = (0.05 * r) / Math.sqrt(dim);
      weights[c] = 1 / (c + 10);
    }
    this.cumulative = new Float64Array(this.modes);
    let acc = 0;
    const total = weights.reduce((a, b) => a + b, 0);
    for (let c = 0; c < this.modes; c++) {
      acc += weights[c] / total;
      this.cumulative[c] = acc;
    }
    this.noise = new Float32Array(NOISE_TABLE);
    for (let i = 0; i < NOISE_TABLE; i++) this.noise[i] = normal();
  }

  private pickMode(u: number): number {
    let lo = 0;
    let hi = this.modes - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulative[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** n vectors, row-major. Different seeds give independent samples of the same model. */
  sample(n: number, seed: number, out = new Float32Array(n * this.dim)): Float32Array {
    const d = this.dim;
    const uniform = rng(seed);
    const normal = gaussian(uniform);
    const z = new Float32Array(this.intrinsicDim);
    const { centres, bases, noise } = this;
    const k = this.intrinsicDim;
    // Plain indexing rather than subarray views: this loop makes tens of millions of vectors in bench:scale.
    for (let i = 0; i < n; i++) {
      const c = this.pickMode(uniform());
      const o = i * d;
      const co = c * d;
      for (let t = 0; t < d; t++) out[o + t] = centres[co + t];
      for (let a = 0; a < k; a++) z[a] = normal();
      for (let a = 0; a < k; a++) {
        const bo = (c * k + a) * d;
        const za = z[a];
        for (let t = 0; t < d; t++) out[o + t] += za * bases[bo + t];
      }
      // Isotropic noise from a shared table at a random offset and stride: cheap, and plenty for a benchmark.
      const ns = this.noiseScale[c];
      let p = (uniform() * NOISE_TABLE) | 0;
      const step = (((uniform() * 1024) | 0) << 1) | 1;
      for (let t = 0; t < d; t++) {
        out[o + t] += ns * noise[p];
        p = (p + step) & (NOISE_TABLE - 1);
      }
    }
    return out;
  }
}

/** Exact k-NN by brute force in TypeScript (float64 accumulation): the reference the native index is tested against. */
export function bruteForceKnn(
  bank: Float32Array,
  queries: Float32Array,
  dim: number,
  k: number,
): { distances: Float64Array; labels: Int32Array } {
  const nb = bank.length / dim;
  const nq = queries.length / dim;
  const distances = new Float64Array(nq * k).fill(Infinity);
  const labels = new Int32Array(nq * k).fill(-1);
  for (let i = 0; i < nq; i++) {
    const q = queries.subarray(i * dim, (i + 1) * dim);
    const dist = distances.subarray(i * k, (i + 1) * k);
    const lab = labels.subarray(i * k, (i + 1) * k);
    for (let j = 0; j < nb; j++) {
      let s = 0;
      const off = j * dim;
      for (let t = 0; t < dim; t++) {
        const diff = q[t] - bank[off + t];
        s += diff * diff;
      }
      if (s >= dist[k - 1]) continue;
      let p = k - 1;
      while (p > 0 && dist[p - 1] > s) {
        dist[p] = dist[p - 1];
        lab[p] = lab[p - 1];
        p--;
      }
      dist[p] = s;
      lab[p] = j;
    }
  }
  return { distances, labels };
}
