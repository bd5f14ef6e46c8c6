// Streaming fit of a memory bank: batches of patch vectors are folded into a native epsilon-net (native/lib/epsilon-net.ts)
// as they arrive, so memory is bounded by the bank, never by the stream. Keys (what the net compares, e.g. the
// 128-d random projection the coreset uses) and optional payloads (what the bank stores for scoring, e.g. the full
// embedding) travel together; only the kept rows' payloads are retained.
//
// The radius r comes from, in this order: `radius` (by hand); `budgetVectors` / `budgetBytes` (the greedy radius on the
// warm-up sample at min(budget/2, warm-up/4) centres, and the budget becomes the hard cap); or `ratio` (the radius of
// approximate greedy at that ratio on the warm-up sample; default 0.01). The warm-up sample is the stream's first
// `warmup` vectors; it also trains the net's coarse lists, and is then folded like any other batch.
//
// Growth is watched: over each window of `growth.window` vectors the share that joined the bank is the growth rate;
// past `growth.alarmRate` an alarm fires (drift, or a new product variant). With `cap`, a bank that outgrows it is
// re-thinned to ~90 % of it (r raised just enough; see EpsilonNet.rethin).
import { EpsilonNet, prunedGreedyCoreset } from '../../../native/index';

export interface GrowthAlarm {
  /** Vectors folded when the alarm fired. */
  seen: number;
  bankVectors: number;
  /** Bank vectors added per vector folded over the last window. */
  rate: number;
  threshold: number;
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
  growth?: { window?: number; alarmRate?: number };
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
  private readonly cap: number | undefined;

  constructor(private readonly o: StreamFoldOptions) {
    positive(o.dim, 'dim', true);
    for (const k of ['radius', 'ratio', 'budgetBytes', 'bytesPerVector', 'rethinTo'] as const) positive(o[k], k);
    for (const k of ['budgetVectors', 'cap', 'warmup', 'nlist', 'nprobe'] as const) positive(o[k], k, true);
    if (o.ratio !== undefined && o.ratio > 1) throw new RangeError(`stream fold: ratio must be in (0, 1], got ${o.ratio}`);
    if (o.rethinTo !== undefined && o.rethinTo >= 1) throw new RangeError(`stream fold: rethinTo must be below 1, got ${o.rethinTo}`);
    const budget = this.budgetVectors();
    this.cap = o.cap ?? budget;
    this.payloads = o.payloadDim ? new Rows(o.payloadDim) : null;
    this.window = o.growth?.window ?? DEFAULT_WINDOW;
    this.alarmRate = o.growth?.alarmRate ?? DEFAULT_ALARM_RATE;
    positive(this.window, 'growth.window', true);
    positive(this.alarmRate, 'growth.alarmRate');
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

  private async calibrate(sample: Float32Array, rows: number): Promise<RadiusChoice> {
    if (this.o.radius !== undefined) return { radius: this.o.radius, source: 'given' };
    const budget = this.budgetVectors();
    const count = budget
      ? Math.max(1, Math.min(Math.floor(budget / 2), Math.floor(rows / 4)))
      : Math.max(1, Math.round(rows * (this.o.ratio ?? 0.01)));
    const r = await prunedGreedyCoreset(
      { data: sample, rows, cols: this.o.dim },
      { count, projectionDim: this.o.dim, seed: this.o.seed ?? 0, signal: this.o.signal },
    );
    return { radius: r.radius, source: budget ? 'budget' : 'ratio', warmupCentres: count };
  }

  private async start(): Promise<void> {
    const t0 = performance.now();
    const rows = this.pendingRows;
    const sample = this.warmupSample();
    this.choice = await this.calibrate(sample, rows);
    const nlist = this.o.nlist ?? Math.min(1024, Math.max(1, Math.floor(rows / 39)), Math.max(16, 2 ** Math.round(Math.log2(Math.sqrt(rows)))));
    const net = new EpsilonNet({ dim: this.o.dim, radius: this.choice.radius, nlist: Math.min(nlist, rows), nprobe: this.o.nprobe ?? 8 });
    try {
      await net.train(sample, { seed: this.o.seed ?? 0, signal: this.o.signal });
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
    this.curve.push([this.seen, net.size]);
    // The first window includes the bank's initial build-up, so it says nothing about drift.
    if (this.curve.length > 1 && rate > this.alarmRate) {
      const alarm: GrowthAlarm = {
        seen: this.seen,
        bankVectors: net.size,
        rate,
        threshold: this.alarmRate,
        message:
          `memory bank grew by ${(rate * 100).toFixed(3)} % of the vectors folded over the last ${this.windowSeen.toLocaleString('en-US')} ` +
          `(alarm above ${(this.alarmRate * 100).toFixed(3)} %): the parts may be drifting, or a new variant is on the line`,
      };
      this.alarms.push(alarm);
      this.o.onAlarm?.(alarm);
    }
    this.windowSeen = 0;
    this.windowStartBank = net.size;
  }

  private status(phase: FoldStatus['phase']): void {
    this.o.onStatus?.({ seen: this.seen + this.pendingRows, bankVectors: this.bankVectors, radius: this.choice?.radius ?? NaN, phase });
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
