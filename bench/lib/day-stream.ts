// The scale benchmark's data: a seeded synthetic stream shaped like a day of patch features, generated in chunks and
// never materialised, with real magnetic-tile patch features mixed in.
//
// The synthetic part is bench/lib/patch-features.ts's model built in 1024 dimensions (a few thousand modes, Zipf
// populations, log-normal radii, an 8-dimensional manifold per mode, small isotropic noise), then mapped by the very
// random projection to 128 that fit's coreset applies (native randomProjection, seed 0). A linear map commutes with
// centre + basis · z, so the projected model is generated directly in 128 dimensions: the same stream as generating
// 1024-d vectors and projecting each, except that the isotropic noise is drawn isotropic in 128-d with the
// projection's RMS gain (instead of the projection's exact noise covariance). That makes a vector ~10 multiply-adds
// per output value instead of 1024 — 37.6 M vectors cost seconds, not the 10 TFLOP a literal projection would.
import { randomProjection } from '../../native/index';
import { rng } from '../../electron/engine/random';
import { PatchFeatureModel } from './patch-features';

export const FULL_DIM = 1024;
export const KEY_DIM = 128;
export const PROJECTION_SEED = 0;
export const CHUNK = 32768;

export interface DayStreamOptions {
  seed?: number;
  modes?: number;
  /** Real patch features (rows × KEY_DIM, already projected) to mix in, and their share of each chunk. */
  real?: Float32Array;
  realShare?: number;
}

/** RMS gain of the projection on isotropic input: sqrt(trace(W Wᵀ) / outDim), from W itself. */
async function projectionGain(): Promise<number> {
  const eye = new Float32Array(FULL_DIM * FULL_DIM);
  for (let i = 0; i < FULL_DIM; i++) eye[i * FULL_DIM + i] = 1;
  const w = await randomProjection({ data: eye, rows: FULL_DIM, cols: FULL_DIM }, KEY_DIM, PROJECTION_SEED);
  let s = 0;
  for (const v of w) s += v * v;
  return Math.sqrt(s / KEY_DIM);
}

export class DayStream {
  private constructor(
    readonly model: PatchFeatureModel,
    private readonly real: Float32Array | null,
    private readonly realShare: number,
  ) {}

  static async create(o: DayStreamOptions = {}): Promise<DayStream> {
    const full = new PatchFeatureModel(FULL_DIM, { modes: o.modes ?? 3000, intrinsicDim: 8, seed: o.seed ?? 1 });
    const parts = full.linearParts();
    const project = (x: Float32Array) => randomProjection({ data: x, rows: x.length / FULL_DIM, cols: FULL_DIM }, KEY_DIM, PROJECTION_SEED);
    const mapped = { centres: await project(parts.centres), bases: await project(parts.bases) };
    const model = full.project(mapped, KEY_DIM, await projectionGain());
    return new DayStream(model, o.real ?? null, o.real ? (o.realShare ?? 0.02) : 0);
  }

  /** Vectors [from, from + n) of the stream with this seed: chunk k is the same whatever the caller reads before. */
  chunk(index: number, rows: number, seed: number): Float32Array {
    const out = this.model.sample(rows, seed * 1_000_003 + index);
    if (this.real && this.realShare > 0) {
      const pick = rng(seed * 7919 + index);
      const pool = this.real.length / KEY_DIM;
      const count = Math.round(rows * this.realShare);
      for (let i = 0; i < count; i++) {
        const dst = Math.floor(pick() * rows);
        const src = Math.floor(pick() * pool);
        out.set(this.real.subarray(src * KEY_DIM, (src + 1) * KEY_DIM), dst * KEY_DIM);
      }
    }
    return out;
  }

  /** n vectors in CHUNK-row pieces. */
  *chunks(n: number, seed: number): Generator<Float32Array> {
    for (let i = 0, off = 0; off < n; i++, off += CHUNK) yield this.chunk(i, Math.min(CHUNK, n - off), seed);
  }

  /** RMS norm of the synthetic vectors (to put the real features on the same scale). */
  rmsNorm(): number {
    const x = this.model.sample(4096, 424242);
    let s = 0;
    for (const v of x) s += v * v;
    return Math.sqrt(s / 4096);
  }
}
