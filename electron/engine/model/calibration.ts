// Turns image scores of held-out good parts into quantiles and a default decision threshold.
import type { Calibration } from '../api';

export const CALIBRATION_QUANTILES = ['0.5', '0.9', '0.95', '0.99', '0.999', '1'];
/** The default threshold: this quantile of held-out good scores (about 1 % of good parts flagged). */
export const THRESHOLD_QUANTILE = '0.99';

/** Linear-interpolated quantile (numpy's default). */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function calibrate(scores: number[], source: Calibration['source']): Calibration {
  if (scores.length === 0) throw new Error('calibration needs at least one held-out good image');
  const sorted = [...scores].sort((a, b) => a - b);
  const quantiles: Record<string, number> = {};
  for (const q of CALIBRATION_QUANTILES) quantiles[q] = quantile(sorted, Number(q));
  return { quantiles, threshold: quantiles[THRESHOLD_QUANTILE], images: scores.length, source };
}
