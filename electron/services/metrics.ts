// Live figures for the dashboard: a trailing window of inspections, sampled once a second into a bounded history.
import { percentile } from '../../shared/stats';
import type { MetricsSample, Verdict } from '../../shared/domain';

export interface BankInfo {
  modelId: string;
  bankVectors: number;
  bankBytes: number;
  indexType: string;
}

interface Part {
  at: number;
  latencyMs: number;
  ng: boolean;
}

export interface MetricsOptions {
  windowSeconds?: number;
  historySize?: number;
  now?: () => number;
  memory?: () => { rss: number; heapUsed: number };
}

export class Metrics {
  private parts: Part[] = [];
  private dropped = 0;
  private readonly history: MetricsSample[] = [];
  private readonly listeners = new Set<(s: MetricsSample) => void>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly windowMs: number;
  private readonly historySize: number;
  private readonly now: () => number;
  private readonly memory: () => { rss: number; heapUsed: number };
  bank: BankInfo | null = null;

  constructor(opts: MetricsOptions = {}) {
    this.windowMs = (opts.windowSeconds ?? 60) * 1000;
    this.historySize = opts.historySize ?? 900;
    this.now = opts.now ?? Date.now;
    this.memory = opts.memory ?? (() => process.memoryUsage());
  }

  record(latencyMs: number, verdict: Verdict, at = this.now()): void {
    this.parts.push({ at, latencyMs, ng: verdict === 'NG' });
    // Amortised pruning keeps the window bounded even between samples.
    if (this.parts.length > 4096) this.prune(at);
  }

  drop(): void {
    this.dropped++;
  }

  private prune(now: number): void {
    const cutoff = now - this.windowMs;
    let i = 0;
    while (i < this.parts.length && this.parts[i].at < cutoff) i++;
    if (i) this.parts = this.parts.slice(i);
  }

  sample(): MetricsSample {
    const now = this.now();
    this.prune(now);
    const lat = this.parts.map((p) => p.latencyMs);
    const first = this.parts[0]?.at ?? now;
    // Before a full window has passed, rate over the time actually covered (at least one second).
    const spanMs = Math.max(1000, Math.min(this.windowMs, now - first));
    const mem = this.memory();
    return {
      at: now,
      windowSeconds: this.windowMs / 1000,
      parts: this.parts.length,
      latencyP50: percentile(lat, 50),
      latencyP95: percentile(lat, 95),
      latencyP99: percentile(lat, 99),
      partsPerMinute: (this.parts.length / spanMs) * 60_000,
      ngRate: this.parts.length ? this.parts.filter((p) => p.ng).length / this.parts.length : null,
      dropped: this.dropped,
      bankVectors: this.bank?.bankVectors ?? null,
      bankBytes: this.bank?.bankBytes ?? null,
      indexType: this.bank?.indexType ?? null,
      modelId: this.bank?.modelId ?? null,
      rssBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
    };
  }

  tick(): MetricsSample {
    const s = this.sample();
    this.history.push(s);
    if (this.history.length > this.historySize) this.history.shift();
    for (const l of this.listeners) l(s);
    return s;
  }

  start(intervalMs = 1000): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  getHistory(): MetricsSample[] {
    return [...this.history];
  }

  subscribe(listener: (s: MetricsSample) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
