// Pure statistics for the dashboard and the threshold screen, shared by main (metrics) and the renderer (selectors).
// Decision rule everywhere: a part is NG when its score is above the threshold. AUROC and the ROC walk: shared/roc.ts.
import { labelled, rocCurve } from './roc';

export function isNg(score: number, threshold: number): boolean {
  return score > threshold;
}

/** The median (the mean of the two middle values for an even count); NaN for no values. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Nearest-rank percentile (p in 0..100); null for no values. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const idx = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[idx];
}

export interface HistogramBin {
  x0: number;
  x1: number;
  mid: number;
  good: number;
  defect: number;
}

/** Good and defect scores binned on one shared axis so the two distributions overlay. */
export function histogram(good: readonly number[], defect: readonly number[], bins = 30, extra: number[] = []): HistogramBin[] {
  const all = [...good, ...defect, ...extra].filter(Number.isFinite);
  if (all.length === 0 || bins < 1) return [];
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (hi === lo) {
    lo -= 0.5;
    hi += 0.5;
  }
  const width = (hi - lo) / bins;
  const out: HistogramBin[] = Array.from({ length: bins }, (_, i) => {
    const x0 = lo + i * width;
    return { x0, x1: x0 + width, mid: x0 + width / 2, good: 0, defect: 0 };
  });
  const slot = (v: number) => Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / width)));
  for (const v of good) if (Number.isFinite(v)) out[slot(v)].good++;
  for (const v of defect) if (Number.isFinite(v)) out[slot(v)].defect++;
  return out;
}

export interface RocPoint {
  threshold: number;
  /** Good parts rejected (false reject rate). */
  fpr: number;
  /** Defective parts caught (1 − escape rate). */
  tpr: number;
}

/** The ROC curve, from (0,0) to (1,1), one point per distinct score. Empty unless both classes are present. */
export function roc(good: readonly number[], defect: readonly number[]): RocPoint[] {
  if (good.length === 0 || defect.length === 0) return [];
  const { scores, labels } = labelled(good, defect);
  const c = rocCurve(scores, labels, Infinity);
  return c.x.map((fpr, i) => ({ threshold: c.thresholds[i], fpr, tpr: c.y[i] }));
}

export interface Rates {
  /** Share of good parts a threshold would reject; null without good parts. */
  falseRejectRate: number | null;
  /** Share of defective parts it would pass; null without defective parts. */
  escapeRate: number | null;
}

export function ratesAt(threshold: number, good: readonly number[], defect: readonly number[]): Rates {
  const rejected = good.filter((s) => isNg(s, threshold)).length;
  const escaped = defect.filter((s) => !isNg(s, threshold)).length;
  return {
    falseRejectRate: good.length ? rejected / good.length : null,
    escapeRate: defect.length ? escaped / defect.length : null,
  };
}
