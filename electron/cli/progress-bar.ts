// Terminal progress: one redrawn line per phase on a TTY (bar, count, percent, ETA), sparse lines otherwise (CI logs).
import type { Progress } from '../engine/api';

function clock(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '--:--';
  const t = Math.max(0, Math.round(s));
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = t % 60;
  return `${h ? `${h}:${String(m).padStart(2, '0')}` : m}:${String(sec).padStart(2, '0')}`;
}

export function formatProgress(p: Progress, width = 28): string {
  const frac = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
  const filled = Math.round(frac * width);
  const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
  const count = p.total > 1 ? ` ${p.done}/${p.total}` : '';
  const eta = p.done >= p.total ? 'done' : `ETA ${clock(p.etaSeconds)}`;
  return `${p.phase.padEnd(10)} ${bar} ${String(Math.round(frac * 100)).padStart(3)}%${count}  ${eta}${p.message ? `  ${p.message}` : ''}`;
}

/** Where progress goes: a terminal stream (redrawn line) or anything with write() (sparse lines). */
export interface BarOutput {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export class ProgressBar {
  private phase = '';
  private lastPct = -25;
  private started = 0;
  constructor(
    private readonly out: BarOutput = process.stderr,
    private readonly quiet = false,
  ) {}

  readonly update = (p: Progress): void => {
    if (this.quiet) return;
    const tty = this.out.isTTY;
    if (p.phase !== this.phase) {
      if (this.phase && tty) this.out.write('\n');
      this.phase = p.phase;
      this.lastPct = -25; // so the first update (0 %) prints a line
      this.started = Date.now();
    }
    const pct = p.total > 0 ? Math.floor((100 * p.done) / p.total) : 0;
    if (tty) {
      this.out.write(`\r${formatProgress(p, Math.max(10, Math.min(28, (this.out.columns ?? 80) - 50)))}\x1b[K`);
      if (p.done >= p.total) {
        this.out.write(` (${((Date.now() - this.started) / 1000).toFixed(1)} s)\n`);
        this.phase = '';
      }
    } else if (p.done >= p.total || pct >= this.lastPct + 25) {
      this.lastPct = pct;
      this.out.write(`${formatProgress(p, 20)}${p.done >= p.total ? ` (${((Date.now() - this.started) / 1000).toFixed(1)} s)` : ''}\n`);
      if (p.done >= p.total) this.phase = '';
    }
  };

  note(msg: string): void {
    if (this.quiet) return;
    if (this.out.isTTY && this.phase) this.out.write('\n');
    this.out.write(`note: ${msg}\n`);
  }
}
