// Threshold-free classification metrics on scores where higher means more anomalous. Ties count half (the
// Mann-Whitney convention, equal to the trapezoid area under the ROC curve, as sklearn's roc_auc_score).
import { argsort } from './sort';

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
 * Walks the scores from highest to lowest, one group of tied scores at a time: visit gets the group's score and its
 * positive and negative counts. Every threshold-sweeping metric here is this walk.
 */
function forEachTieGroup(scores: Float32Array, labels: ArrayLike<number>, order: Uint32Array, visit: (score: number, gp: number, gn: number) => void): void {
  for (let i = 0; i < order.length; ) {
    const s = scores[order[i]];
    let gp = 0;
    let gn = 0;
    while (i < order.length && scores[order[i]] === s) {
      if (labels[order[i]]) gp++;
      else gn++;
      i++;
    }
    visit(s, gp, gn);
  }
}

/** Area under the ROC curve. NaN when one class is absent. */
export function auroc(scores: Float32Array, labels: ArrayLike<number>, order: Uint32Array = argsort(scores)): number {
  checkLengths(scores, labels);
  const { pos, neg } = counts(labels);
  if (pos === 0 || neg === 0) return NaN;
  let tp = 0;
  let area = 0;
  forEachTieGroup(scores, labels, order, (_s, gp, gn) => {
    area += gn * (tp + gp / 2);
    tp += gp;
  });
  return area / (pos * neg);
}

/** ROC points (FPR on x, TPR on y) at each distinct threshold, starting at (0, 0); thinned to at most maxPoints. */
export function rocCurve(scores: Float32Array, labels: ArrayLike<number>, maxPoints = 1000): Curve {
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

/** Best F1 over all thresholds "score ≥ t", and the t that attains it (the lowest score of the predicted-positive set). */
export function f1Max(scores: Float32Array, labels: ArrayLike<number>): { f1: number; threshold: number } {
  checkLengths(scores, labels);
  const { pos } = counts(labels);
  if (pos === 0) return { f1: NaN, threshold: NaN };
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
