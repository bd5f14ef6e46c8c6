// Progress with an ETA for every long step, throttled so a UI or a terminal is not flooded.
import type { Progress } from './api';

export class ProgressTracker {
  private started = Date.now();
  private lastEmit = 0;
  private finished = false;
  done = 0;

  constructor(
    private readonly phase: string,
    private readonly total: number,
    private readonly onProgress?: (p: Progress) => void,
    private readonly minIntervalMs = 100,
  ) {
    this.emit(true);
  }

  tick(n = 1, message?: string): void {
    this.done += n;
    this.emit(this.done >= this.total, message);
  }

  set(done: number, message?: string): void {
    this.done = done;
    this.emit(done >= this.total, message);
  }

  private emit(force: boolean, message?: string): void {
    if (!this.onProgress || this.finished) return;
    if (this.done >= this.total) this.finished = true;
    const now = Date.now();
    if (!force && now - this.lastEmit < this.minIntervalMs) return;
    this.lastEmit = now;
    const secs = (now - this.started) / 1000;
    // An ETA from fewer than 2 % of the work (or under half a second) is mostly noise.
    const eta = this.done > 0 && (this.done / this.total >= 0.02 || secs > 0.5) ? (secs * (this.total - this.done)) / this.done : null;
    this.onProgress({ phase: this.phase, done: this.done, total: this.total, etaSeconds: this.done >= this.total ? 0 : eta, message });
  }
}

/** An AbortError as Node's own (name AbortError, code ABORT_ERR): what every cancelled engine call rejects with. */
export function abortError(): Error {
  return Object.assign(new Error('Cancelled.'), { name: 'AbortError', code: 'ABORT_ERR' });
}

export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw abortError();
}

/** Runs `fn` over items with at most `limit` in flight, preserving order of results. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
