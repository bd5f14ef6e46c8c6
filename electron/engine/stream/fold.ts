// Streaming fit of a memory bank: batches of patch vectors are folded into a native epsilon-net (native/lib/epsilon-net.ts)
// as they arrive, so memory is bounded by the bank, never by the stream. Keys (what the net compares, e.g. the
// 128-d random projection the coreset uses) and optional payloads (what the bank stores for scoring, e.g. the full
// embedding) travel together; only the kept rows' payloads are retained.
//
// The radius r comes from, in this order: `radius` (by hand); `budgetVectors` / `budgetBytes` (the budget becomes the
// hard cap; r is the one whose net is predicted to end at ~97 % of the budget when the stream's length is known,
// else the greedy radius on the warm-up sample at min(budget/2, warm-up/4) centres); or `ratio` (the radius of
// approximate greedy at that ratio on the warm-up sample; default 0.01). The warm-up sample is the stream's first
// `warmup` vectors; it also trains the net's coarse lists, and is then folded like any other batch.
//
// The prediction: an epsilon-net's size on a stationary stream grows like n^β (β < 1, from the data's intrinsic
// dimension), so nets at trial radii over the warm-up, with their sizes at half and all of it, give β and the size at
// the stream's end. On magnetic tile re-thinning a net that overgrew its budget cost 0.7 point of image AUROC against a
// net built at the right radius from the start (re-thinning covers the pruned vectors only to r_old + r_new), so the
// cap is a safety net, not the way to hit the budget.
//
// Growth is watched: over each window of `growth.window` vectors the share that joined the bank is the growth rate. An
// alarm fires (drift, or a new product variant) when it is past `growth.alarmRate` AND past `growth.trendFactor` times
// the rate the bank's own trend predicts. A net over a stationary stream never stops growing, it only slows (size ∝
// n^β, so the rate is ≈ β · size / n): on bench:scale's stationary day the last hour still added 0.13 % of its vectors,
// and a bare threshold at 0.1 % raised 22 false alarms. The trend's β is the log-log slope of the growth curve over the
// windows before (from the first window's end on: the first holds the initial build-up; with that one point, β = 1).
//
// With `cap`, a bank that outgrows it is re-thinned to ~90 % of it (r raised just enough; see EpsilonNet.rethin).
import { EpsilonNet, prunedGreedyCoreset } from '../../../native/index';
import { netLists } from '../bank/index-rule';

export interface GrowthAlarm {
  /** Vectors folded when the alarm fired. */
  seen: number;
  bankVectors: number;
  /** Bank vectors added per vector folded over the last window. */
  rate: number;
  threshold: number;
  /** The rate the growth curve's trend predicted for the window. */
  expected: number;
  message: string;
}

export interface FoldStatus {
  seen: number;
  bankVectors: number;
  radius: number;
  phase: 'warmup' | 'fold';
}

export interface StreamFoldOptions {
  /** Key dimension. */
  dim: number;
  /** Payload values per row (0 = none, the keys are the bank). */
  payloadDim?: number;
  radius?: number;
  ratio?: number;
  budgetVectors?: number;
  budgetBytes?: number;
  /** Bytes one bank vector costs on disk, to turn budgetBytes into vectors (default: dim + 8, IVF-SQ8 codes + id). */
  bytesPerVector?: number;
  /** Vectors the whole stream will hold, when known: lets a budget choose r for the stream's end (see above). */
  streamVectors?: number;
  /** Hard cap on the bank; over it the bank is re-thinned to `rethinTo` (default 0.9) of it. */
  cap?: number;
  rethinTo?: number;
  /** Warm-up sample size (default 50,000 vectors; the greedy calibration on it costs O(warm-up² · ratio)). */
  warmup?: number;
  /**
   * Coarse lists of the net (default: √warm-up as a power of two, in [16, 1024]: the coarse step costs nlist × dim
   * per vector, so more lists slow every lookup) and probes (default 8).
   */
  nlist?: number;
  nprobe?: number;
  growth?: { window?: number; alarmRate?: number; trendFactor?: number };
  seed?: number;
  signal?: AbortSignal;
  onStatus?: (s: FoldStatus) => void;
  onAlarm?: (a: GrowthAlarm) => void;
}

export interface RadiusChoice {
  radius: number;
  source: 'given' | 'ratio' | 'budget';
  /** Greedy centres on the warm-up sample whose radius was taken. */
  warmupCentres?: number;
  /** Budget by prediction: the bank size predicted for the stream's end, and the growth exponent β it used. */
  predictedVectors?: number;
  growthExponent?: number;
}

export interface FoldSummary {
  seen: number;
  bankVectors: number;
  radius: number;
  radiusChoice: RadiusChoice;
  rethins: number;
  alarms: GrowthAlarm[];
  /** Bank sizes at the end of each growth window: [seen, bank]. */
  growthCurve: [number, number][];
  /** Wall seconds spent in the native net (calibration, training, lookups and adds, re-thinning). */
  netSeconds: number;
  /** Of which: the warm-up calibration (greedy radius) and the coarse lists' k-means. */
  calibrateSeconds: number;
}

const DEFAULT_WINDOW = 784 * 2000; // one hour of a 2,000 parts/h line
const DEFAULT_ALARM_RATE = 1e-3;
const DEFAULT_TREND_FACTOR = 2;
/** A predicted radius aims a little under the budget, so that a prediction a few per cent short does not re-thin. */
const BUDGET_AIM = 0.97;

/** The net's coarse lists, trained once on the warm-up and shared by the budget's trial nets. */
interface NetLists {
  nlist: number;
  nprobe: number;
  centroids: Float32Array;
}

function abortError(): Error {
  const err = new Error('Cancelled.');
  err.name = 'AbortError';
  return err;
}

/** A growable row store for payloads (amortised doubling; compacted on re-thinning). */
class Rows {
  data: Float32Array;
  count = 0;
  constructor(readonly dim: number) {
    this.data = new Float32Array(dim * 1024);
  }
  push(src: Float32Array, rows: ArrayLike<number>): void {
    const need = (this.count + rows.length) * this.dim;
    if (need > this.data.length) {
      const next = new Float32Array(Math.max(need, this.data.length * 2));
      next.set(this.data.subarray(0, this.count * this.dim));
      this.data = next;
    }
    for (let i = 0; i < rows.length; i++) {
      this.data.set(src.subarray(rows[i] * this.dim, (rows[i] + 1) * this.dim), (this.count + i) * this.dim);
    }
    this.count += rows.length;
  }
  keep(rows: Uint32Array): void {
    for (let i = 0; i < rows.length; i++) this.data.copyWithin(i * this.dim, rows[i] * this.dim, (rows[i] + 1) * this.dim);
    this.count = rows.length;
  }
  view(): Float32Array {
    return this.data.subarray(0, this.count * this.dim);
  }
}

function positive(v: number | undefined, name: string, integer = false): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
    throw new RangeError(`stream fold: ${name} must be a positive ${integer ? 'integer' : 'number'}, got ${String(v)}`);
  }
}

export class StreamFolder {
  private net: EpsilonNet | null = null;
  private pending: { keys: Float32Array; payload?: Float32Array }[] = [];
  private pendingRows = 0;
  private readonly payloads: Rows | null;
  private seen = 0;
  private windowSeen = 0;
  private windowStartBank = 0;
  private choice: RadiusChoice | null = null;
  private rethins = 0;
  private netMs = 0;
  private calibrateMs = 0;
  private readonly alarms: GrowthAlarm[] = [];
  private readonly curve: [number, number][] = [];
  private readonly window: number;
  private readonly alarmRate: number;
  private readonly trendFactor: number;
  private readonly cap: number | undefined;

  constructor(private readonly o: StreamFoldOptions) {
    positive(o.dim, 'dim', true);
    for (const k of ['radius', 'ratio', 'budgetBytes', 'bytesPerVector', 'rethinTo'] as const) positive(o[k], k);
    for (const k of ['budgetVectors', 'streamVectors', 'cap', 'warmup', 'nlist', 'nprobe'] as const) positive(o[k], k, true);
    if (o.ratio !== undefined && o.ratio > 1) throw new RangeError(`stream fold: ratio must be in (0, 1], got ${o.ratio}`);
    if (o.rethinTo !== undefined && o.rethinTo >= 1) throw new RangeError(`stream fold: rethinTo must be below 1, got ${o.rethinTo}`);
    const budget = this.budgetVectors();
    this.cap = o.cap ?? budget;
    this.payloads = o.payloadDim ? new Rows(o.payloadDim) : null;
    this.window = o.growth?.window ?? DEFAULT_WINDOW;
    this.alarmRate = o.growth?.alarmRate ?? DEFAULT_ALARM_RATE;
    this.trendFactor = o.growth?.trendFactor ?? DEFAULT_TREND_FACTOR;
    positive(this.window, 'growth.window', true);
    positive(this.alarmRate, 'growth.alarmRate');
    positive(this.trendFactor, 'growth.trendFactor');
  }

  private budgetVectors(): number | undefined {
    if (this.o.budgetVectors) return this.o.budgetVectors;
    if (this.o.budgetBytes) return Math.max(1, Math.floor(this.o.budgetBytes / (this.o.bytesPerVector ?? this.o.dim + 8)));
    return undefined;
  }

  get bankVectors(): number {
    return this.net?.size ?? 0;
  }

  get radius(): number | undefined {
    return this.choice?.radius;
  }

  /** Folds a batch: keys rows × dim, payload rows × payloadDim (required when payloadDim is set). */
  async push(keys: Float32Array, payload?: Float32Array): Promise<void> {
    if (this.o.signal?.aborted) throw abortError();
    const rows = keys.length / this.o.dim;
    if (!Number.isInteger(rows)) throw new RangeError(`stream fold: batch length ${keys.length} is not a multiple of dim ${this.o.dim}`);
    if (this.payloads && (!payload || payload.length !== rows * this.payloads.dim)) {
      throw new RangeError(`stream fold: payload must hold ${rows} × ${this.payloads.dim} values`);
    }
    if (!this.net) {
      this.pending.push({ keys: keys.slice(), payload: payload?.slice() });
      this.pendingRows += rows;
      this.status('warmup');
      if (this.pendingRows >= (this.o.warmup ?? 50_000)) await this.start();
      return;
    }
    await this.fold(keys, payload);
  }

  private warmupSample(): Float32Array {
    const all = new Float32Array(this.pendingRows * this.o.dim);
    let off = 0;
    for (const p of this.pending) {
      all.set(p.keys, off);
      off += p.keys.length;
    }
    return all;
  }

  private async calibrate(sample: Float32Array, rows: number, lists: NetLists): Promise<RadiusChoice> {
    if (this.o.radius !== undefined) return { radius: this.o.radius, source: 'given' };
    const budget = this.budgetVectors();
    const count = budget
      ? Math.max(1, Math.min(Math.floor(budget / 2), Math.floor(rows / 4)))
      : Math.max(1, Math.round(rows * (this.o.ratio ?? 0.01)));
    const r = await prunedGreedyCoreset(
      { data: sample, rows, cols: this.o.dim },
      { count, projectionDim: this.o.dim, seed: this.o.seed ?? 0, signal: this.o.signal },
    );
    const total = this.o.streamVectors;
    if (budget && total && total > rows) return this.radiusForBudget(sample, rows, BUDGET_AIM * budget, total, r.radius, lists);
    return { radius: r.radius, source: budget ? 'budget' : 'ratio', warmupCentres: count };
  }

  /** Nets at trial radii over the warm-up: the r whose size, extrapolated to `total` vectors, is `aim`. */
  private async radiusForBudget(sample: Float32Array, rows: number, aim: number, total: number, r0: number, lists: NetLists): Promise<RadiusChoice> {
    const dim = this.o.dim;
    const half = Math.floor(rows / 2) * dim;
    const predict = async (r: number) => {
      if (this.o.signal?.aborted) throw abortError();
      const net = new EpsilonNet({ dim, radius: r, nlist: lists.nlist, nprobe: lists.nprobe });
      try {
        await net.setCentroids(lists.centroids);
        await net.add(sample.subarray(0, half));
        const atHalf = Math.max(1, net.size);
        await net.add(sample.subarray(half));
        const atAll = Math.max(1, net.size);
        const beta = Math.min(1, Math.max(0, Math.log(atAll / atHalf) / Math.log(rows / Math.floor(rows / 2))));
        return { size: atAll * (total / rows) ** beta, beta };
      } finally {
        await net.close();
      }
    };
    // Bracket aim between two radii (size falls as r grows), then bisect log r to 1 %.
    let lo = r0;
    let hi = r0;
    let p = await predict(r0);
    let at = { r: r0, ...p };
    if (p.size > aim) {
      do {
        lo = hi;
        hi *= 1.25;
        p = await predict(hi);
      } while (p.size > aim && hi < r0 * 1e3);
      at = { r: hi, ...p };
    } else {
      do {
        hi = lo;
        lo /= 1.25;
        p = await predict(lo);
        if (p.size <= aim) at = { r: lo, ...p };
      } while (p.size <= aim && lo > r0 * 1e-3);
    }
    while (hi / lo > 1.01) {
      const mid = Math.sqrt(lo * hi);
      p = await predict(mid);
      if (p.size > aim) lo = mid;
      else {
        hi = mid;
        at = { r: mid, ...p };
      }
    }
    return { radius: at.r, source: 'budget', predictedVectors: Math.round(at.size), growthExponent: at.beta };
  }

  private async start(): Promise<void> {
    const t0 = performance.now();
    const rows = this.pendingRows;
    const sample = this.warmupSample();
    const lists = netLists(rows);
    const nlist = Math.min(rows, this.o.nlist ?? lists.nlist);
    const nprobe = this.o.nprobe ?? lists.nprobe;
    // The coarse lists first (trained at a placeholder radius): the budget's trial nets reuse them.
    const net = new EpsilonNet({ dim: this.o.dim, radius: 1, nlist, nprobe });
    try {
      await net.train(sample, { seed: this.o.seed ?? 0, signal: this.o.signal });
      this.choice = await this.calibrate(sample, rows, { nlist, nprobe, centroids: await net.centroids() });
      await net.setRadius(this.choice.radius);
    } catch (err) {
      await net.close();
      throw err;
    }
    this.net = net;
    this.calibrateMs = performance.now() - t0;
    this.netMs += this.calibrateMs;
    const pending = this.pending;
    this.pending = [];
    this.pendingRows = 0;
    for (const p of pending) await this.fold(p.keys, p.payload);
  }

  private async fold(keys: Float32Array, payload?: Float32Array): Promise<void> {
    const net = this.net as EpsilonNet;
    const t0 = performance.now();
    const res = await net.add(keys);
    if (this.payloads && payload) this.payloads.push(payload, res.added);
    const rows = keys.length / this.o.dim;
    this.seen += rows;
    this.windowSeen += rows;
    if (this.cap !== undefined && net.size > this.cap) {
      const kept = await net.rethin(Math.max(1, Math.floor(this.cap * (this.o.rethinTo ?? 0.9))), { signal: this.o.signal });
      this.payloads?.keep(kept);
      this.rethins++;
      this.windowStartBank = Math.min(this.windowStartBank, net.size);
      if (this.choice) this.choice = { ...this.choice, radius: net.radius };
    }
    this.netMs += performance.now() - t0;
    if (this.windowSeen >= this.window) this.closeWindow(net);
    this.status('fold');
    if (this.o.signal?.aborted) throw abortError();
  }

  private closeWindow(net: EpsilonNet): void {
    const rate = Math.max(0, net.size - this.windowStartBank) / this.windowSeen;
    const expected = this.trendRate();
    this.curve.push([this.seen, net.size]);
    // The first window includes the bank's initial build-up, so it says nothing about drift.
    if (this.curve.length > 1 && rate > this.alarmRate && rate > this.trendFactor * expected) {
      const alarm: GrowthAlarm = {
        seen: this.seen,
        bankVectors: net.size,
        rate,
        threshold: this.alarmRate,
        expected,
        message:
          `memory bank grew by ${(rate * 100).toFixed(3)} % of the vectors folded over the last ${this.windowSeen.toLocaleString('en-US')} ` +
          `(alarm above ${(this.alarmRate * 100).toFixed(3)} % and ${this.trendFactor}× the ${(expected * 100).toFixed(3)} % its trend predicts): ` +
          'the parts may be drifting, or a new variant is on the line',
      };
      this.alarms.push(alarm);
      this.o.onAlarm?.(alarm);
    }
    this.windowSeen = 0;
    this.windowStartBank = net.size;
  }

  /**
   * Growth rate the curve so far predicts at its end: β · size / n, β its log-log slope (1, i.e. the average rate so far,
   * while there is only the first window's point).
   */
  private trendRate(): number {
    if (this.curve.length < 1) return 0;
    const [n0, s0] = this.curve[0];
    const [n1, s1] = this.curve[this.curve.length - 1];
    if (!(n1 > 0 && s1 > 0)) return 0;
    const beta = n1 > n0 && s0 > 0 ? Math.min(1, Math.max(0, Math.log(s1 / s0) / Math.log(n1 / n0))) : 1;
    return (beta * s1) / n1;
  }

  private status(phase: FoldStatus['phase']): void {
    this.o.onStatus?.({ seen: this.seen + this.pendingRows, bankVectors: this.bankVectors, radius: this.choice?.radius ?? NaN, phase });
  }

  /**
   * A copy of the bank as it stands (payloads, or keys without them), the stream going on afterwards: what a
   * train-holdout calibration scores the held-out images against before they are folded in.
   */
  async snapshot(): Promise<Float32Array> {
    if (!this.net) {
      if (this.pendingRows === 0) throw new Error('stream fold: nothing folded yet');
      await this.start();
    }
    return this.payloads ? this.payloads.view().slice() : (this.net as EpsilonNet).exportVectors();
  }

  /** Ends the stream (a stream shorter than the warm-up is folded now) and returns the bank. */
  async finish(): Promise<{ keys: Float32Array; payload: Float32Array | null; centroids: Float32Array; summary: FoldSummary }> {
    if (!this.net) {
      if (this.pendingRows === 0) throw new Error('stream fold: the stream was empty');
      await this.start();
    }
    const net = this.net as EpsilonNet;
    const keys = await net.exportVectors();
    const centroids = await net.centroids();
    const summary: FoldSummary = {
      seen: this.seen,
      bankVectors: net.size,
      radius: net.radius,
      radiusChoice: this.choice as RadiusChoice,
      rethins: this.rethins,
      alarms: [...this.alarms],
      growthCurve: [...this.curve, [this.seen, net.size]],
      netSeconds: this.netMs / 1000,
      calibrateSeconds: this.calibrateMs / 1000,
    };
    return { keys, payload: this.payloads ? this.payloads.view().slice() : null, centroids, summary };
  }

  async close(): Promise<void> {
    await this.net?.close();
    this.net = null;
  }
}
