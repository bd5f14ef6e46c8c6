// A streaming epsilon-net memory bank in the native addon (native/src/epsilon_net.h): a vector joins the bank when no
// bank vector lies within `radius` of it (Euclidean). Lookups run through the bank's own coarse IVF (k-means
// centroids trained on a warm-up sample, `nprobe` lists probed per query, early exit at the first covering vector);
// an approximate lookup can only add an extra vector, never break the guarantee that every vector added so far is
// within `radius` of the bank. A batch's own new vectors cover each other as in a strictly sequential pass.
//
// Every call runs on a libuv worker thread, one at a time per net in call order (a promise chain here; the addon
// also holds a mutex). Arrays passed in are read by the worker: don't modify them until the Promise settles.
import { binding } from './binding';
import type { RawCancelToken } from './binding';
import type { RawEpsilonNet, RawNetReply } from './raw-epsilon-net';

export interface EpsilonNetOptions {
  /** Vector dimension (e.g. 128 after the random projection). */
  dim: number;
  /** Coverage radius r (Euclidean, not squared), >= 0. */
  radius: number;
  /** Coarse lists (k-means centroids); default 1024. train() needs at least this many sample vectors. */
  nlist?: number;
  /** Lists probed per lookup; default 8. More probes = fewer redundant bank vectors, slower lookups. */
  nprobe?: number;
}

export interface EpsilonAddResult {
  /** Batch rows that joined the bank, ascending; their bank ids are sizeBefore + position in this array. */
  added: Uint32Array;
  /** Bank size after the batch. */
  size: number;
  /** Diagnostics: rows the parallel lookup left uncovered; bank vectors scanned; lists skipped by the bound. */
  uncovered: number;
  scanned: number;
  skipped: number;
}

export interface RethinOptions {
  /** Assumed exponent of size ~ r^-growth for the first radius step (default 8, measured on real patch features). */
  growth?: number;
  signal?: AbortSignal;
}

const MAX_DIM = 65536;

function int(value: unknown, name: string, lo: number, hi: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < lo || value > hi) {
    throw new RangeError(`EpsilonNet: ${name} must be an integer in [${lo}, ${hi}], got ${String(value)}`);
  }
  return value;
}

function radiusOf(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`EpsilonNet: radius must be a finite number >= 0, got ${String(value)}`);
  }
  return value;
}

function abortError(signal: AbortSignal): Error {
  const err = new Error('The operation was aborted', { cause: signal.reason });
  err.name = 'AbortError';
  return err;
}

export class EpsilonNet {
  readonly dim: number;
  readonly nlist: number;
  readonly nprobe: number;
  private raw: RawEpsilonNet | null;
  private tail: Promise<unknown> = Promise.resolve();
  private sizeNow = 0;
  private radiusNow: number;
  private isTrained = false;

  constructor(opts: EpsilonNetOptions) {
    if (typeof opts !== 'object' || opts === null) throw new TypeError('EpsilonNet: options must be an object');
    this.dim = int(opts.dim, 'dim', 1, MAX_DIM);
    this.nlist = int(opts.nlist ?? 1024, 'nlist', 1, 1 << 20);
    this.nprobe = int(opts.nprobe ?? 8, 'nprobe', 1, 1 << 20);
    this.radiusNow = radiusOf(opts.radius);
    this.raw = new (binding().EpsilonNet)(this.dim, this.nlist, this.nprobe, this.radiusNow);
  }

  /** Bank vectors after the last completed call. */
  get size(): number {
    return this.sizeNow;
  }

  get radius(): number {
    return this.radiusNow;
  }

  get trained(): boolean {
    return this.isTrained;
  }

  private live(): RawEpsilonNet {
    if (!this.raw) throw new Error('this EpsilonNet is closed');
    return this.raw;
  }

  private rows(v: Float32Array, what: string): void {
    if (!(v instanceof Float32Array)) throw new TypeError(`EpsilonNet: ${what} must be a Float32Array`);
    if (v.length % this.dim !== 0) {
      throw new RangeError(`EpsilonNet: ${what} length ${v.length} is not a multiple of the dimension ${this.dim}`);
    }
  }

  // Runs calls one at a time in call order; a failed call does not block the next.
  private run<T>(call: (raw: RawEpsilonNet, token?: RawCancelToken) => Promise<RawNetReply<T>>, signal?: AbortSignal): Promise<T> {
    const raw = this.live();
    const next = this.tail.then(
      async () => {
        if (signal?.aborted) throw abortError(signal);
        let token: RawCancelToken | undefined;
        let onAbort: (() => void) | undefined;
        if (signal) {
          token = new (binding().CancelToken)();
          const t = token;
          onAbort = () => t.cancel();
          signal.addEventListener('abort', onAbort, { once: true });
        }
        try {
          const reply = await call(raw, token).catch((err: unknown) => {
            if (signal?.aborted) throw abortError(signal);
            throw err instanceof Error ? new Error(`EpsilonNet: ${err.message}`, { cause: err }) : err;
          });
          this.sizeNow = reply.size;
          this.radiusNow = reply.radius;
          return reply.value;
        } finally {
          if (onAbort) signal?.removeEventListener('abort', onAbort);
        }
      },
    );
    this.tail = next.catch(() => undefined);
    return next;
  }

  /** k-means centroids of the coarse lists from a sample (>= nlist rows). Only before the first add. */
  async train(sample: Float32Array, opts: { seed?: number; signal?: AbortSignal } = {}): Promise<void> {
    this.rows(sample, 'sample');
    if (sample.length / this.dim < this.nlist) {
      throw new RangeError(`EpsilonNet: training needs at least nlist = ${this.nlist} vectors, got ${sample.length / this.dim}`);
    }
    const seed = int(opts.seed ?? 0, 'seed', 0, 2147483647);
    await this.run((raw, token) => raw.train(sample, seed, token), opts.signal);
    this.isTrained = true;
  }

  /** Restores saved centroids (nlist rows). */
  async setCentroids(centroids: Float32Array): Promise<void> {
    this.rows(centroids, 'centroids');
    if (centroids.length === 0) throw new RangeError('EpsilonNet: centroids are empty');
    await this.run((raw) => raw.setCentroids(centroids));
    this.isTrained = true;
  }

  /** Folds a batch (rows × dim) into the bank. */
  add(batch: Float32Array): Promise<EpsilonAddResult> {
    this.rows(batch, 'batch');
    return this.run(async (raw) => {
      const r = await raw.add(batch);
      return { ...r, value: { ...r.value, size: r.size } };
    });
  }

  /** Appends vectors unconditionally (restoring a saved bank in id order). */
  append(vectors: Float32Array): Promise<void> {
    this.rows(vectors, 'vectors');
    return this.run((raw) => raw.append(vectors));
  }

  /**
   * Raises the radius just enough that the bank holds at most `target` vectors (aiming at 97–98.5 % of it) and prunes
   * the vectors the kept ones now cover. Resolves to the kept old ids, ascending (their new ids are 0, 1, ...).
   */
  rethin(target: number, opts: RethinOptions = {}): Promise<Uint32Array> {
    int(target, 'target', 1, 0xffffffff);
    const growth = opts.growth ?? 8;
    if (!(growth > 0 && Number.isFinite(growth))) throw new RangeError(`EpsilonNet: growth must be a positive number, got ${growth}`);
    return this.run((raw, token) => raw.rethin(target, growth, token), opts.signal);
  }

  /** The bank vectors in id order (size × dim). */
  exportVectors(): Promise<Float32Array> {
    return this.run((raw) => raw.exportVectors());
  }

  /** The coarse centroids (nlist × dim). */
  centroids(): Promise<Float32Array> {
    return this.run((raw) => raw.centroids());
  }

  /** Distance from each query to its nearest bank vector within the probed lists (+Infinity when none). */
  nearest(queries: Float32Array): Promise<Float32Array> {
    this.rows(queries, 'queries');
    return this.run((raw) => raw.nearest(queries));
  }

  setRadius(radius: number): Promise<void> {
    const r = radiusOf(radius);
    return this.run((raw) => raw.setRadius(r));
  }

  /** Frees the bank once earlier calls have finished; later calls throw. */
  async close(): Promise<void> {
    if (!this.raw) return;
    const done = this.run((raw) => raw.close());
    this.raw = null;
    await done;
  }
}
