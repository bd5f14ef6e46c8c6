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
import { Args, callNative } from './native-call';
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
const args = new Args('EpsilonNet');

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
    args.object(opts, 'options');
    this.dim = args.integer(opts.dim, 'dim', 1, MAX_DIM);
    this.nlist = args.integer(opts.nlist ?? 1024, 'nlist', 1, 1 << 20);
    this.nprobe = args.integer(opts.nprobe ?? 8, 'nprobe', 1, 1 << 20);
    this.radiusNow = args.finite(opts.radius, 'radius', 0);
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
    if (!this.raw) throw Object.assign(new Error('this EpsilonNet is closed'), { code: 'ERR_PATCHLINE_STATE' });
    return this.raw;
  }

  private rows(v: Float32Array, what: string): void {
    args.rows(v, this.dim, what);
  }

  // Runs calls one at a time in call order; a failed call does not block the next.
  private run<T>(
    method: string,
    call: (raw: RawEpsilonNet, token?: RawCancelToken) => Promise<RawNetReply<T>>,
    signal?: AbortSignal,
  ): Promise<T> {
    const raw = this.live();
    const next = callNative(
      `EpsilonNet.${method}`,
      (token) =>
        this.tail.then(async () => {
          if (signal?.aborted) throw new Error('aborted while queued');
          const reply = await call(raw, token);
          this.sizeNow = reply.size;
          this.radiusNow = reply.radius;
          return reply.value;
        }),
      { signal },
    );
    this.tail = next.catch(() => undefined);
    return next;
  }

  /** k-means centroids of the coarse lists from a sample (>= nlist rows). Only before the first add. */
  async train(sample: Float32Array, opts: { seed?: number; signal?: AbortSignal } = {}): Promise<void> {
    this.rows(sample, 'sample');
    if (sample.length / this.dim < this.nlist) {
      args.range(`training needs at least nlist = ${this.nlist} vectors, got ${sample.length / this.dim}`);
    }
    const seed = args.integer(opts.seed ?? 0, 'seed', 0, 2147483647);
    args.signal(opts.signal);
    await this.run('train', (raw, token) => raw.train(sample, seed, token), opts.signal);
    this.isTrained = true;
  }

  /** Restores saved centroids (nlist rows). */
  async setCentroids(centroids: Float32Array): Promise<void> {
    this.rows(centroids, 'centroids');
    if (centroids.length === 0) args.range('centroids are empty');
    await this.run('setCentroids', (raw) => raw.setCentroids(centroids));
    this.isTrained = true;
  }

  /** Folds a batch (rows × dim) into the bank. */
  add(batch: Float32Array): Promise<EpsilonAddResult> {
    this.rows(batch, 'batch');
    return this.run('add', async (raw) => {
      const r = await raw.add(batch);
      return { ...r, value: { ...r.value, size: r.size } };
    });
  }

  /** Appends vectors unconditionally (restoring a saved bank in id order). */
  append(vectors: Float32Array): Promise<void> {
    this.rows(vectors, 'vectors');
    return this.run('append', (raw) => raw.append(vectors));
  }

  /**
   * Raises the radius just enough that the bank holds at most `target` vectors (aiming at 97–98.5 % of it) and prunes
   * the vectors the kept ones now cover. Resolves to the kept old ids, ascending (their new ids are 0, 1, ...).
   */
  rethin(target: number, opts: RethinOptions = {}): Promise<Uint32Array> {
    args.integer(target, 'target', 1, 0xffffffff);
    const growth = opts.growth ?? 8;
    if (!(typeof growth === 'number' && growth > 0 && Number.isFinite(growth))) args.range(`growth must be a positive number, got ${growth}`);
    args.signal(opts.signal);
    return this.run('rethin', (raw, token) => raw.rethin(target, growth, token), opts.signal);
  }

  /** The bank vectors in id order (size × dim). */
  exportVectors(): Promise<Float32Array> {
    return this.run('exportVectors', (raw) => raw.exportVectors());
  }

  /** The coarse centroids (nlist × dim). */
  centroids(): Promise<Float32Array> {
    return this.run('centroids', (raw) => raw.centroids());
  }

  /** Distance from each query to its nearest bank vector within the probed lists (+Infinity when none). */
  nearest(queries: Float32Array): Promise<Float32Array> {
    this.rows(queries, 'queries');
    return this.run('nearest', (raw) => raw.nearest(queries));
  }

  setRadius(radius: number): Promise<void> {
    const r = args.finite(radius, 'radius', 0);
    return this.run('setRadius', (raw) => raw.setRadius(r));
  }

  /** Frees the bank once earlier calls have finished; later calls throw. */
  async close(): Promise<void> {
    if (!this.raw) return;
    const done = this.run('close', (raw) => raw.close());
    this.raw = null;
    await done;
  }
}
