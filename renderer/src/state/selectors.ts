// Pure selectors: everything the screens compute from state, testable without React or a browser.
import { histogram, ratesAt, roc, type HistogramBin, type Rates, type RocPoint } from '../../../shared/stats';
import { auroc, labelled } from '../../../shared/roc';

const scored = (good: number[], defect: number[]) => {
  const { scores, labels } = labelled(good, defect);
  return [scores, labels] as const;
};
import type { InspectionResult, MetricsSample, Progress, RecordFilter, ThresholdData } from '../../../shared/domain';
import { localDateToMs } from '../lib/format';
import { DEFAULT_STATION_SETTINGS, type StationSettings } from '../../../shared/settings';

export interface VerdictView {
  text: 'OK' | 'NG' | '—';
  tone: 'ok' | 'ng' | 'idle';
}

export function verdictView(r: Pick<InspectionResult, 'verdict'> | null | undefined): VerdictView {
  if (!r) return { text: '—', tone: 'idle' };
  return r.verdict === 'NG' ? { text: 'NG', tone: 'ng' } : { text: 'OK', tone: 'ok' };
}

export function progressFraction(p: Progress | null | undefined): number {
  if (!p || p.total <= 0) return 0;
  return Math.min(1, Math.max(0, p.done / p.total));
}

export interface DashboardPoint {
  t: number;
  time: string;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  partsPerMinute: number;
  ngPercent: number | null;
  rssMB: number;
  heapMB: number;
  bankVectors: number | null;
}

/** The charts' points; `time` labels the x axis in the UI's locale (the caller's formatter). */
export function dashboardSeries(samples: readonly MetricsSample[], formatTime: (ms: number) => string): DashboardPoint[] {
  return samples.map((s) => ({
    t: s.at,
    time: formatTime(s.at),
    p50: s.latencyP50,
    p95: s.latencyP95,
    p99: s.latencyP99,
    partsPerMinute: Math.round(s.partsPerMinute * 10) / 10,
    ngPercent: s.ngRate === null ? null : Math.round(s.ngRate * 1000) / 10,
    rssMB: Math.round((s.rssBytes / 2 ** 20) * 10) / 10,
    heapMB: Math.round((s.heapUsedBytes / 2 ** 20) * 10) / 10,
    bankVectors: s.bankVectors,
  }));
}

export interface ThresholdView {
  good: number[];
  defect: number[];
  bins: HistogramBin[];
  roc: RocPoint[];
  auroc: number | null;
  threshold: number;
  rates: Rates;
  /** The point on the ROC curve the threshold picks. */
  operatingPoint: { fpr: number; tpr: number } | null;
  slider: { min: number; max: number; step: number };
  dirty: boolean;
}

export function thresholdView(data: ThresholdData, draft: number | null, bins = 30): ThresholdView {
  const good = data.scores.filter((s) => s.label === 0).map((s) => s.score);
  const defect = data.scores.filter((s) => s.label === 1).map((s) => s.score);
  const threshold = draft ?? data.threshold;
  const rates = ratesAt(threshold, good, defect);
  const all = [...good, ...defect, data.threshold, data.calibratedThreshold, ...Object.values(data.quantiles)];
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const span = hi - lo || Math.abs(hi) || 1;
  const min = Math.max(0, lo - span * 0.1);
  const max = hi + span * 0.1;
  return {
    good,
    defect,
    bins: histogram(good, defect, bins),
    roc: roc(good, defect),
    auroc: auroc(...scored(good, defect)),
    threshold,
    rates,
    operatingPoint:
      rates.falseRejectRate !== null && rates.escapeRate !== null ? { fpr: rates.falseRejectRate, tpr: 1 - rates.escapeRate } : null,
    slider: { min, max, step: (max - min) / 1000 },
    dirty: draft !== null && Math.abs(draft - data.threshold) > 1e-12,
  };
}

export interface ReviewFilterForm {
  from: string;
  to: string;
  verdict: '' | 'OK' | 'NG';
  scoreMin: string;
  scoreMax: string;
  modelId: string;
  label: '' | 'true_defect' | 'false_alarm' | 'unlabelled';
}

export const defaultReviewFilter: ReviewFilterForm = { from: '', to: '', verdict: 'NG', scoreMin: '', scoreMax: '', modelId: '', label: '' };

const DAY = 86_400_000;

/** The form's strings to the contract's filter; the "to" date is inclusive (up to the next local midnight). */
export function reviewQuery(f: ReviewFilterForm, page: number, pageSize: number): RecordFilter {
  const q: RecordFilter = { limit: pageSize, offset: page * pageSize };
  const from = localDateToMs(f.from);
  const to = localDateToMs(f.to);
  if (from !== null) q.from = from;
  if (to !== null) q.to = to + DAY;
  if (f.verdict) q.verdict = f.verdict;
  const min = f.scoreMin.trim() === '' ? NaN : Number(f.scoreMin);
  const max = f.scoreMax.trim() === '' ? NaN : Number(f.scoreMax);
  if (Number.isFinite(min)) q.scoreMin = min;
  if (Number.isFinite(max)) q.scoreMax = max;
  if (f.modelId) q.modelId = f.modelId;
  if (f.label) q.label = f.label;
  return q;
}

/** The period of a CSV export from two local dates (inclusive). Null when incomplete or reversed. */
export function exportPeriod(from: string, to: string): { from: number; to: number } | null {
  const a = localDateToMs(from);
  const b = localDateToMs(to);
  if (a === null || b === null || b < a) return null;
  return { from: a, to: b + DAY };
}

export interface LiveStats {
  scored: number;
  dropped: number;
  ng: number;
  partsPerSecond: number | null;
}

/** Parts per second over the recent results (by their main-side timestamps). */
export function liveRate(recentAt: readonly number[], now: number, windowMs = 5000): number | null {
  const inWindow = recentAt.filter((t) => now - t <= windowMs);
  if (inWindow.length < 2) return null;
  const span = Math.max(1, now - Math.min(...inWindow));
  return (inWindow.length / span) * 1000;
}

/** Whether an NG part beeps: the station setting, its default until the settings have loaded. */
export function soundOnNG(settings: Pick<StationSettings, 'alerts'> | null): boolean {
  return settings?.alerts.soundOnNG ?? DEFAULT_STATION_SETTINGS.alerts.soundOnNG;
}

export type SectionDraft = Record<string, string | boolean>;

/** A settings section as the form edits it: numbers as the text in their field. */
export function sectionDraft(section: Record<string, string | number | boolean>): SectionDraft {
  return Object.fromEntries(Object.entries(section).map(([k, v]) => [k, typeof v === 'number' ? String(v) : v]));
}

/**
 * The form's section back as a patch of the fields that changed: a field whose setting is a number must read as one
 * (main checks the ranges and names the field); `invalid` lists the fields that do not.
 */
export function sectionPatch(current: Record<string, string | number | boolean>, draft: SectionDraft): { patch: Record<string, string | number | boolean>; invalid: string[] } {
  const patch: Record<string, string | number | boolean> = {};
  const invalid: string[] = [];
  for (const [k, was] of Object.entries(current)) {
    const v = draft[k];
    if (v === undefined) continue;
    if (typeof was === 'number') {
      const text = String(v).trim();
      const n = text === '' ? NaN : Number(text);
      if (!Number.isFinite(n)) invalid.push(k);
      else if (n !== was) patch[k] = n;
    } else if (typeof was === 'boolean') {
      if (v !== was) patch[k] = v === true;
    } else if (String(v).trim() !== was) patch[k] = String(v).trim();
  }
  return { patch, invalid };
}
