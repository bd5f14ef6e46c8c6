import { describe, expect, it } from 'vitest';
import { histogram, isNg, percentile, ratesAt, roc } from './stats';
import { auroc as aurocOf, labelled } from './roc';

const auroc = (good: number[], defect: number[]) => {
  const { scores, labels } = labelled(good, defect);
  return aurocOf(scores, labels);
};

describe('percentile', () => {
  it('uses nearest rank and is null on no data', () => {
    const v = [5, 1, 4, 2, 3];
    expect(percentile(v, 50)).toBe(3);
    expect(percentile(v, 100)).toBe(5);
    expect(percentile(v, 0)).toBe(1);
    expect(percentile([...Array(100).keys()].map((i) => i + 1), 95)).toBe(95);
    expect(percentile([], 50)).toBeNull();
  });
});

describe('threshold rates', () => {
  const good = [0.1, 0.2, 0.3, 0.9];
  const defect = [0.5, 0.8, 1.2];
  it('counts good parts above and defects at or below the threshold', () => {
    expect(ratesAt(0.4, good, defect)).toEqual({ falseRejectRate: 0.25, escapeRate: 0 });
    expect(ratesAt(1.0, good, defect)).toEqual({ falseRejectRate: 0, escapeRate: 2 / 3 });
    expect(isNg(0.5, 0.5)).toBe(false);
  });
  it('reports null for a class with no parts', () => {
    expect(ratesAt(1, [], [2])).toEqual({ falseRejectRate: null, escapeRate: 0 });
  });
});

describe('ROC and AUROC', () => {
  it('separable classes give AUROC 1 and a curve through (0,1)', () => {
    const r = roc([1, 2, 3], [4, 5]);
    expect(r[0]).toMatchObject({ fpr: 0, tpr: 0 });
    expect(r.at(-1)).toMatchObject({ fpr: 1, tpr: 1 });
    expect(r.some((p) => p.fpr === 0 && p.tpr === 1)).toBe(true);
    expect(auroc([1, 2, 3], [4, 5])).toBe(1);
  });
  it('reversed classes give 0, identical ones 0.5 (ties count half)', () => {
    expect(auroc([4, 5], [1, 2])).toBe(0);
    expect(auroc([1, 1], [1, 1])).toBe(0.5);
  });
  it('matches the trapezoid area of its own curve', () => {
    const good = [0.1, 0.4, 0.35, 0.8, 0.2, 0.6];
    const defect = [0.3, 0.9, 0.7, 0.5];
    const r = roc(good, defect);
    let area = 0;
    for (let i = 1; i < r.length; i++) area += ((r[i].fpr - r[i - 1].fpr) * (r[i].tpr + r[i - 1].tpr)) / 2;
    expect(area).toBeCloseTo(auroc(good, defect)!, 10);
  });
  it('is empty without both classes', () => {
    expect(roc([1], [])).toEqual([]);
    expect(auroc([], [1])).toBeNull();
  });
});

describe('histogram', () => {
  it('bins both classes on a shared axis without losing a part', () => {
    const h = histogram([0, 0.1, 0.5], [0.9, 1.0], 10);
    expect(h).toHaveLength(10);
    expect(h.reduce((n, b) => n + b.good, 0)).toBe(3);
    expect(h.reduce((n, b) => n + b.defect, 0)).toBe(2);
    expect(h[0].x0).toBe(0);
    expect(h[9].x1).toBeCloseTo(1);
    expect(h[9].defect).toBe(2); // the maximum lands in the last bin, not past it
  });
  it('copes with a single value', () => {
    const h = histogram([2, 2], [], 4);
    expect(h.reduce((n, b) => n + b.good, 0)).toBe(2);
  });
});
