// The threshold-free classification metrics of PatchLine, for the CLI's eval, the window's threshold screen, the
// station and the benches. Scores: higher means more anomalous; labels: 1 defective, 0 good. Ties count half (the
// Mann-Whitney convention, equal to the trapezoid area under the ROC curve, as sklearn's roc_auc_score).
//
// A metric that needs both classes is null when one is absent: every caller decides what that means for it (eval
// refuses such a test set, the window shows a dash).
import { argsort } from './argsort';

export interface Curve {
  x: number[];
  y: number[];
  thresholds: number[];
}

function counts(labels: ArrayLike<number>): { pos: number; neg: number } {
  let pos = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i]) pos++;
  return { pos, neg: labels.length - pos };
}

function checkLengths(scores: ArrayLike<number>, labels: ArrayLike<number>): void {
  if (scores.length !== labels.length) throw new Error(`${scores.length} scores but ${labels.length} labels`);
}

/**
 * Walks the scores from highest to lowest, one group of tied scores at a time: visit gets the group's score, its
 * positive and negative counts, and its span [from, to) in `order`. Every threshold-sweeping metric is this walk.
 */
export function forEachTieGroup(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  order: Uint32Array,
  visit: (score: number, gp: number, gn: number, from: number, to: number) => void,
): void {
  for (let i = 0; i < order.length; ) {
    const from = i;
    const s = scores[order[i]];
    let gp = 0;
    let gn = 0;
    while (i < order.length && scores[order[i]] === s) {
      if (labels[order[i]]) gp++;
      else gn++;
      i++;
    }
    visit(s, gp, gn, from, i);
  }
}

/** Area under the ROC curve; null when one class is absent. */
export function auroc(scores: ArrayLike<number>, labels: ArrayLike<number>, order: Uint32Array = argsort(scores)): number | null {
  checkLengths(scores, labels);
  const { pos, neg } = counts(labels);
  if (pos === 0 || neg === 0) return null;
  let tp = 0;
  let area = 0;
  forEachTieGroup(scores, labels, order, (_s, gp, gn) => {
    area += gn * (tp + gp / 2);
    tp += gp;
  });
  return area / (pos * neg);
}

/**
 * ROC points (FPR on x, TPR on y) at each distinct threshold "score ≥ t", starting at (0, 0); thinned to at most
 * maxPoints. A missing class leaves its axis at 0.
 */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number>, maxPoints = 1000): Curve {
  checkLengths(scores, labels);
  const { pos, neg } = counts(labels);
  const order = argsort(scores);
  const x = [0];
  const y = [0];
  const thresholds = [Infinity];
  let tp = 0;
  let fp = 0;
  forEachTieGroup(scores, labels, order, (s, gp, gn) => {
    tp += gp;
    fp += gn;
    x.push(neg ? fp / neg : 0);
    y.push(pos ? tp / pos : 0);
    thresholds.push(s);
  });
  if (x.length <= maxPoints) return { x, y, thresholds };
  const step = (x.length - 1) / (maxPoints - 1);
  const pick = Array.from({ length: maxPoints }, (_, k) => Math.round(k * step));
  return { x: pick.map((k) => x[k]), y: pick.map((k) => y[k]), thresholds: pick.map((k) => thresholds[k]) };
}

/**
 * Best F1 over all thresholds "score ≥ t", and the t that attains it (the lowest score of the predicted-positive set);
 * null without a positive.
 */
export function f1Max(scores: ArrayLike<number>, labels: ArrayLike<number>): { f1: number; threshold: number } | null {
  checkLengths(scores, labels);
  const { pos } = counts(labels);
  if (pos === 0) return null;
  const order = argsort(scores);
  let tp = 0;
  let fp = 0;
  let best = { f1: 0, threshold: Infinity };
  forEachTieGroup(scores, labels, order, (s, gp, gn) => {
    tp += gp;
    fp += gn;
    const precision = tp / (tp + fp);
    const recall = tp / pos;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    if (f1 > best.f1) best = { f1, threshold: s };
  });
  return best;
}

/** Good and defect scores as one scored, labelled set (the inputs of the metrics above). */
export function labelled(good: readonly number[], defect: readonly number[]): { scores: Float64Array; labels: Uint8Array } {
  const scores = Float64Array.from([...good, ...defect]);
  const labels = new Uint8Array(scores.length);
  labels.fill(1, good.length);
  return { scores, labels };
}

/** A metric for people: fixed decimals, or a dash where it does not exist (null) or is not a number. */
export function formatMetric(v: number | null | undefined, digits = 3): string {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '–';
}
