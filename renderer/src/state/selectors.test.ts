import { describe, expect, it } from 'vitest';
import { dashboardSeries, exportPeriod, sectionDraft, sectionPatch, soundOnNG, liveRate, progressFraction, reviewQuery, thresholdView, verdictView, defaultReviewFilter } from './selectors';
import { FrameGate, frameIntervalMs } from './frame-gate';
import { formatFor, localDateToMs } from '../lib/format';
import type { MetricsSample, ThresholdData } from '../../../shared/domain';

describe('threshold view', () => {
  const data: ThresholdData = {
    modelId: 'm',
    threshold: 1,
    calibratedThreshold: 1,
    quantiles: { '0.99': 0.9 },
    scores: [
      ...[0.2, 0.4, 0.6, 1.2].map((score) => ({ score, label: 0 as const, origin: 'evaluation' as const, name: 'g' })),
      ...[0.8, 1.5, 2.0].map((score) => ({ score, label: 1 as const, origin: 'review' as const, name: 'd' })),
    ],
  };

  it('gives the false-reject and escape rates the dragged threshold implies', () => {
    const saved = thresholdView(data, null);
    expect(saved.rates).toEqual({ falseRejectRate: 0.25, escapeRate: 1 / 3 });
    expect(saved.dirty).toBe(false);
    const lower = thresholdView(data, 0.7);
    expect(lower.rates).toEqual({ falseRejectRate: 0.25, escapeRate: 0 });
    expect(lower.operatingPoint).toEqual({ fpr: 0.25, tpr: 1 });
    expect(lower.dirty).toBe(true);
  });

  it('carries histogram, ROC and AUROC, and a slider range covering every score', () => {
    const v = thresholdView(data, null, 10);
    expect(v.bins).toHaveLength(10);
    expect(v.bins.reduce((n, b) => n + b.good + b.defect, 0)).toBe(7);
    expect(v.roc.at(-1)).toMatchObject({ fpr: 1, tpr: 1 });
    expect(v.auroc).toBeCloseTo(11 / 12); // only the pair (0.8 defect, 1.2 good) is misordered
    expect(v.slider.min).toBeLessThanOrEqual(0.2);
    expect(v.slider.max).toBeGreaterThan(2.0);
  });

  it('has no ROC without defect labels', () => {
    const v = thresholdView({ ...data, scores: data.scores.filter((s) => s.label === 0) }, null);
    expect(v.roc).toEqual([]);
    expect(v.auroc).toBeNull();
    expect(v.operatingPoint).toBeNull();
  });
});

describe('review query', () => {
  it('turns the form into a contract filter with an inclusive end date', () => {
    const q = reviewQuery({ ...defaultReviewFilter, from: '2025-03-01', to: '2025-03-01', scoreMin: '1.2', scoreMax: 'x', modelId: 'm' }, 2, 24);
    expect(q).toMatchObject({ verdict: 'NG', scoreMin: 1.2, modelId: 'm', limit: 24, offset: 48 });
    expect(q.scoreMax).toBeUndefined();
    expect(q.to! - q.from!).toBe(86_400_000);
    expect(q.from).toBe(localDateToMs('2025-03-01'));
  });

  it('export period needs both dates in order', () => {
    expect(exportPeriod('2025-03-02', '2025-03-01')).toBeNull();
    expect(exportPeriod('', '2025-03-01')).toBeNull();
    const p = exportPeriod('2025-03-01', '2025-03-03');
    expect(p!.to - p!.from).toBe(3 * 86_400_000);
  });
});

describe('dashboard series', () => {
  it('converts samples to chart points in MB and percent', () => {
    const s = { at: 0, latencyP50: 10, latencyP95: 20, latencyP99: 30, partsPerMinute: 900.04, ngRate: 0.0251, rssBytes: 300 * 2 ** 20, heapUsedBytes: 2 ** 20, bankVectors: 5 } as MetricsSample;
    expect(dashboardSeries([s], formatFor('en').time)[0]).toMatchObject({ p50: 10, p99: 30, partsPerMinute: 900, ngPercent: 2.5, rssMB: 300, heapMB: 1, bankVectors: 5 });
    expect(dashboardSeries([{ ...s, ngRate: null }], formatFor('en').time)[0].ngPercent).toBeNull();
  });
});

describe('live camera gate', () => {
  it('drops frames beyond the in-flight limit instead of queueing', () => {
    const g = new FrameGate(2);
    expect([g.tryAcquire(), g.tryAcquire(), g.tryAcquire()]).toEqual([true, true, false]);
    expect(g.dropped).toBe(1);
    g.release();
    expect(g.tryAcquire()).toBe(true);
    expect(g.pending).toBe(2);
    expect(g.offered).toBe(4);
    expect(() => new FrameGate(0)).toThrow();
  });

  it('turns a rate into an interval, clamped', () => {
    expect(frameIntervalMs(20)).toBe(50);
    expect(frameIntervalMs(1000)).toBeCloseTo(1000 / 60);
    expect(frameIntervalMs(Number.NaN)).toBe(1000);
  });

  it('measures parts per second over the recent window', () => {
    expect(liveRate([0, 500, 1000], 1000)).toBeCloseTo(3);
    expect(liveRate([1000], 1000)).toBeNull();
    expect(liveRate([0, 100], 10_000)).toBeNull();
  });
});

describe('formatting', () => {
  it('verdicts, progress, ETA and bytes', () => {
    expect(verdictView(null).tone).toBe('idle');
    expect(verdictView({ verdict: 'NG' })).toEqual({ text: 'NG', tone: 'ng' });
    expect(progressFraction({ phase: 'x', done: 5, total: 10, etaSeconds: null })).toBe(0.5);
    expect(progressFraction({ phase: 'x', done: 5, total: 0, etaSeconds: null })).toBe(0);
  });

  it('numbers, units, durations, dates and times follow the locale', () => {
    const en = formatFor('en');
    const zh = formatFor('zh-CN');
    expect([en.int(0), en.int(999), en.int(1234567), en.int(-1000), en.int(NaN)]).toEqual(['0', '999', '1,234,567', '-1,000', '–']);
    expect(en.bytes(1536)).toBe('1.5 kB');
    expect(en.bytes(3 * 2 ** 20)).toBe('3.0 MB');
    expect(en.ms(12.34)).toBe('12.3 ms');
    expect(zh.ms(12.34)).toBe('12.3毫秒');
    expect(en.duration(75)).toBe('1 min 15 sec');
    expect(zh.duration(75)).toBe('1分钟15秒');
    expect(zh.duration(3700)).toBe('1小时1分钟');
    expect(en.percent(0.1234)).toBe('12.3%');
    expect([en.score(123.456), en.score(1.23456), en.score(0.0123456), en.score(null)]).toEqual(['123.5', '1.235', '0.0123', '–']);
    const t = new Date(2026, 0, 2, 13, 4, 5).getTime();
    expect(zh.dateTime(t)).toBe('2026/01/02 13:04:05');
    expect(en.dateTime(t)).toBe('01/02/2026, 01:04:05 PM');
    expect(zh.time(t)).toBe('13:04:05');
    // One formatter per locale, made once (its Intl objects cost ICU set-up).
    expect(formatFor('zh-CN')).toBe(zh);
  });
});

describe('settings form', () => {
  const mqtt = { enabled: true, url: 'mqtt://a:1883', topic: 't' };
  const retention = { keepDays: 30, maxGB: 20, minFreeGB: 2 };

  it('sends only the fields that changed, numbers as numbers', () => {
    expect(sectionPatch(mqtt, { ...sectionDraft(mqtt), topic: ' line3 ' })).toEqual({ patch: { topic: 'line3' }, invalid: [] });
    expect(sectionPatch(retention, { ...sectionDraft(retention), maxGB: '7.5' })).toEqual({ patch: { maxGB: 7.5 }, invalid: [] });
    expect(sectionPatch(mqtt, { ...sectionDraft(mqtt), enabled: false }).patch).toEqual({ enabled: false });
    expect(sectionPatch(retention, sectionDraft(retention))).toEqual({ patch: {}, invalid: [] });
  });

  it('names a number field that does not read as a number', () => {
    expect(sectionPatch(retention, { ...sectionDraft(retention), keepDays: 'ten', minFreeGB: '' }).invalid).toEqual(['keepDays', 'minFreeGB']);
  });

  it('beeps by default until the settings are loaded', () => {
    expect(soundOnNG(null)).toBe(true);
    expect(soundOnNG({ alerts: { soundOnNG: false } })).toBe(false);
  });
});
