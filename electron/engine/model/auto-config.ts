// fit --auto: the model's settings chosen from the user's good images alone. Part of the good images is held out
// (seeded), synthetic defects with known masks are drawn on copies of them (data/synthetic-defects.ts), and each setting
// of a small grid is fitted on the rest and scored on held-out good + defective images by image AUROC and AUPRO.
// The expensive work is shared: features, bank and patch scores are computed once per feature setting (resize policy,
// image size, taps); σ only blurs the map, so every σ is scored from the same patch scores. The grid is walked one axis
// at a time from the published defaults (each axis keeps its best value before the next is tried), cheapest axis first,
// within a time budget of BUDGET_FACTOR plain fits; then the final model is fitted on all good images with the choice.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AutoCandidate, AutoConfigRecord, FitOptions, FitResult, ModelManifest, SkippedFile } from '../api';
import { resolveBackends, type EngineBackends } from '../bank/backends';
import { chooseIndex } from '../bank/index-rule';
import type { KnnIndex } from '../bank/knn';
import { loadCard, selectTaps } from '../backbone/card';
import { openFitSource } from '../data/dataset';
import { SYNTHETIC_DEFECT_KINDS, writeHeldOutSet, type HeldOutImage, type SyntheticDefectKind } from '../data/synthetic-defects';
import { openImageFeatures, planFeatures } from '../features/image-features';
import { geometryFor, imageSize as readImageSize, loadMask, type ResizeMode } from '../image/preprocess';
import { pixelMetrics } from '../metrics/pro';
import { ProgressTracker, throwIfAborted } from '../progress';
import { shuffledIndices } from '../random';
import { anomalyMap } from '../score/anomaly-map';
import { auroc } from '../../../shared/roc';
import { fit, type FitInternals } from './fit';
import { buildIndex, calibrationScorer, gatherRows, indexChoice, phaseTimer, selectCoreset } from './fit-steps';
import { DEFAULT_RESIZE_MODE, DEFAULT_SIGMA, type ModelParams } from './params';

/** PatchCore's published map blur (the shipped default, params.ts). */
export const PUBLISHED_SIGMA = DEFAULT_SIGMA;
/** The published σ and a larger one (twice it): the blur trades localisation of small defects against map noise. */
export const SIGMA_CANDIDATES: readonly number[] = [PUBLISHED_SIGMA, 2 * PUBLISHED_SIGMA];
/**
 * The crop choices tried for each resize mode: true = resize to 256/224 of the input and centre-crop (the reference),
 * false = the whole resized image is the input. A Record, so a resize mode added to ResizeMode must be given its entry
 * here (one line) and then joins the grid. The first entry of the first mode is the shipped default (letterbox: the
 * whole part in view; it has no crop).
 */
export const RESIZE_POLICIES: Record<ResizeMode, readonly boolean[]> = {
  letterbox: [false],
  stretch: [true, false],
  'shorter-side': [true],
};
/** Fewer good images than this and fit --auto falls back to the defaults: 4 held out and 12 to fit on at least. */
export const MIN_AUTO_IMAGES = 16;
const MIN_HOLDOUT = 4;
const MAX_HOLDOUT = 32;
const HOLDOUT_FRACTION = 0.15;
/** Defective copies per held-out good image (the kinds take turns). */
const DEFECTS_PER_IMAGE = 2;
/** A setting replaces the current best only when its score is higher by more than this (ties keep the defaults). */
export const SCORE_MARGIN = 0.005;
/** fit --auto takes at most this many times a plain fit on the same data… */
export const BUDGET_FACTOR = 3;
/** …or this many seconds where that is more: a plain fit of a few dozen images takes seconds, mostly fixed costs. */
export const BUDGET_FLOOR_SECONDS = 30;
/** The grid's banks are fitted on at least this many images (all there are, below): fewer make too thin a bank. */
const GRID_FIT_FLOOR = 48;
/** Share of the budget the grid plans for when sizing its fit subset (the rest: the final fit and slack). */
const GRID_PLAN = 1;

export const AUTO_RULE =
  `score = mean(image AUROC, AUPRO@0.3) on held-out good images and synthetic defects; axes tried one at a time from the published ` +
  `defaults (σ with every feature setting, then resize policy, taps, image size); a setting replaces the best only if it scores more ` +
  `than ${SCORE_MARGIN} higher, so ties keep the published defaults`;

export interface FeatureSetting {
  resizeMode: ResizeMode;
  crop: boolean;
  imageSize: number;
  taps: string[];
}

export interface AutoInternals extends FitInternals {
  /** Synthetic defect kinds (default: all four). */
  kinds?: readonly SyntheticDefectKind[];
  /** Overrides the measured time budget in seconds (tests of the early stop). */
  budgetSeconds?: number;
  /** Overrides the σ candidates, the first being the incumbent (tests where the published σ must lose). */
  sigmas?: readonly number[];
}

export function resizeFor(s: Pick<FeatureSetting, 'crop' | 'imageSize'>): number {
  return s.crop ? Math.round((s.imageSize * 256) / 224) : s.imageSize;
}

function optionsFor(o: FitOptions, s: FeatureSetting, sigma: number): FitOptions {
  return { ...o, resizeMode: s.resizeMode, imageSize: s.imageSize, resize: resizeFor(s), taps: s.taps, sigma };
}

function sameSetting(a: FeatureSetting, b: FeatureSetting): boolean {
  return a.resizeMode === b.resizeMode && a.crop === b.crop && a.imageSize === b.imageSize && a.taps.join() === b.taps.join();
}

/** The axes of the grid for these options: an axis the user set is fixed at their value. */
export function gridAxes(o: FitOptions): { base: FeatureSetting; policies: { resizeMode: ResizeMode; crop: boolean }[]; taps: string[][]; sizes: number[]; sigmas: number[] } {
  const card = loadCard(o.backbone);
  const size = o.imageSize ?? card.input.size;
  const defaultTaps = selectTaps(card, o.taps).map((t) => t.name);
  let policies = (Object.entries(RESIZE_POLICIES) as [ResizeMode, readonly boolean[]][]).flatMap(([resizeMode, crops]) => crops.map((crop) => ({ resizeMode, crop })));
  if (o.resizeMode) policies = policies.filter((p) => p.resizeMode === o.resizeMode);
  if (o.resize !== undefined) policies = [{ resizeMode: o.resizeMode ?? policies[0].resizeMode, crop: o.resize > size }];
  if (policies.length === 0) policies = [{ resizeMode: o.resizeMode ?? DEFAULT_RESIZE_MODE, crop: false }];
  const taps = [defaultTaps];
  if (!o.taps?.length) {
    // Coarser optional taps add context without changing the patch grid (so the bank's size and the search cost stay);
    // finer ones would multiply the patches and the time.
    const finest = Math.min(...card.taps.map((t) => t.stride));
    const coarser = card.optionalTaps.filter((t) => t.stride >= finest).map((t) => t.name);
    if (coarser.length) taps.push(selectTaps(card, [...defaultTaps, ...coarser]).map((t) => t.name));
  }
  // A larger input (4/3 of the side, a multiple of 32 so every tap's grid divides it) sees finer detail.
  const sizes = o.imageSize !== undefined ? [size] : [size, Math.max(size + 32, Math.round((size * 4) / 3 / 32) * 32)];
  const sigmas = o.sigma !== undefined ? [o.sigma] : [...SIGMA_CANDIDATES];
  const base = { ...policies[0], imageSize: size, taps: defaultTaps };
  return { base, policies, taps, sizes, sigmas };
}

interface SettingResult {
  rows: AutoCandidate[];
  seconds: { load: number; extractFit: number; coreset: number; index: number; score: number; metrics: number; total: number };
}

interface GridData {
  o: FitOptions;
  backends: EngineBackends;
  fitFiles: string[];
  heldOut: HeldOutImage[];
  sigmas: number[];
  note: (m: string) => void;
}

/** Features, bank and patch scores of one feature setting; the metrics for every σ from the same patch scores. */
async function scoreSetting(g: GridData, s: FeatureSetting): Promise<SettingResult> {
  const { o, backends } = g;
  const timer = phaseTimer();
  const opts = optionsFor({ ...o, onProgress: undefined }, s, g.sigmas[0]);
  const fx = await openImageFeatures(opts, g.note);
  const opened: KnnIndex[] = [];
  try {
    const { dim, patchesPerImage: ppi, params } = fx;
    timer.mark('load');
    const patches = new Float32Array(g.fitFiles.length * ppi * dim);
    let kept = 0;
    const skipped: SkippedFile[] = [];
    await fx.each(
      g.fitFiles,
      (_file, e) => {
        patches.set(e.data, kept * ppi * dim);
        kept++;
      },
      { signal: o.signal, skipped },
    );
    if (kept < 2) throw new Error(`only ${kept} of the grid's ${g.fitFiles.length} fit images could be read`);
    const rows = patches.subarray(0, kept * ppi * dim);
    timer.mark('extractFit');
    const { indices } = await selectCoreset(backends, rows, { images: kept, perImage: ppi, dim }, { coreset: params.coreset, seed: params.seed }, { signal: o.signal });
    const bank = gatherRows(rows, dim, indices);
    timer.mark('coreset');
    const choice = indexChoice(o.index, o, () => chooseIndex(indices.length, dim));
    const index = await buildIndex(backends, dim, choice, bank, { signal: o.signal });
    opened.push(index);
    const scorer = await calibrationScorer(backends, dim, choice.factory, index, bank, params, opened);
    timer.mark('index');
    const byPath = new Map(g.heldOut.map((h) => [h.path, h]));
    const scored: { item: HeldOutImage; scores: Float32Array; gridH: number; gridW: number; score: number }[] = [];
    await fx.each(
      g.heldOut.map((h) => h.path),
      async (file, e) => {
        const [p] = await scorer.score([e]);
        scored.push({ item: byPath.get(file)!, scores: p.scores, gridH: p.gridH, gridW: p.gridW, score: p.score });
      },
      { signal: o.signal, strict: true },
    );
    timer.mark('score');
    const size = params.imageSize;
    const plane = size * size;
    const masks = new Uint8Array(scored.length * plane);
    for (let i = 0; i < scored.length; i++) if (scored[i].item.mask) masks.set(await loadMask(scored[i].item.mask!, fx.spec), i * plane);
    const labels = scored.map((x) => x.item.label);
    const out: AutoCandidate[] = [];
    for (const sigma of g.sigmas) {
      throwIfAborted(o.signal);
      const maps = new Float32Array(scored.length * plane);
      const imageScores = new Float32Array(scored.length);
      scored.forEach((x, i) => {
        const m = anomalyMap(x.scores, x.gridH, x.gridW, size, sigma).data;
        maps.set(m, i * plane);
        imageScores[i] = params.imageScore === 'map-max' ? m.reduce((a, v) => (v > a ? v : a), -Infinity) : x.score;
      });
      const imageAuroc = auroc(imageScores, labels);
      const { aupro } = pixelMetrics(maps, masks, size, size, 0.3);
      const parts = [imageAuroc, aupro].filter((v): v is number => v !== null);
      out.push({ ...s, resize: params.resize, sigma, imageAuroc, aupro, score: parts.length ? parts.reduce((a, v) => a + v, 0) / parts.length : 0, seconds: 0 });
    }
    timer.mark('metrics');
    const seconds = timer.finish() as SettingResult['seconds'];
    for (const r of out) r.seconds = seconds.total;
    return { rows: out, seconds };
  } finally {
    for (const ix of opened) ix.close();
    await fx.close();
  }
}

/** The preprocessing geometry of a setting on these image sizes: two settings with the same one see the same pixels. */
function geometryKey(s: FeatureSetting, sizes: { width: number; height: number }[]): string {
  const spec = { size: s.imageSize, resize: resizeFor(s), resizeMode: s.resizeMode };
  return `${s.imageSize}|${s.taps.join()}|` + sizes.map((z) => JSON.stringify(geometryFor(z.width, z.height, spec))).join();
}

export interface AutoPlan {
  heldOut: number[];
  fit: number[];
}

/** Which training images are held out and which the grid's banks are fitted on (seeded; indices into the file list). */
export function autoSplit(n: number, seed: number, gridFitCap: number): AutoPlan {
  const order = shuffledIndices(n, (seed ^ 0xa070c0f) >>> 0);
  const h = Math.min(MAX_HOLDOUT, Math.max(MIN_HOLDOUT, Math.round(n * HOLDOUT_FRACTION)));
  const rest = order.slice(h);
  return { heldOut: order.slice(0, h).sort((a, b) => a - b), fit: rest.slice(0, gridFitCap).sort((a, b) => a - b) };
}

/**
 * The grid's fit subset, sized so that the planned settings cost about GRID_PLAN plain fits: a plain fit handles every
 * image once (features + coreset), a setting its fit images (× its patch ratio) and the held-out ones (features and a
 * search, counted as half an image each).
 */
function gridFitCap(n: number, heldOutImages: number, patchRatios: number[]): number {
  const perSetting = patchRatios.reduce((a, r) => a + r, 0);
  return Math.max(GRID_FIT_FLOOR, Math.floor((GRID_PLAN * n - (heldOutImages / 2) * patchRatios.length) / perSetting));
}

export interface AutoFitResult extends FitResult {
  auto: AutoConfigRecord;
}

/** The parameters the grid chose (and the user did not set) are recorded with the source 'auto'. */
const AUTO_CHOSEN = ['sigma', 'resizeMode', 'resize', 'imageSize', 'taps'] as const;

function autoSources(params: Partial<ModelParams>, o: FitOptions, record: { fallback?: string }): Partial<ModelParams> {
  if (record.fallback || !params.sources) return params;
  const sources = { ...params.sources };
  for (const k of AUTO_CHOSEN) {
    if (o[k] !== undefined || !sources[k]) continue;
    sources[k] = { value: sources[k].value, source: 'auto', note: 'fit --auto: chosen on held-out good images with synthetic defects (manifest auto)' };
  }
  return { ...params, sources };
}

/** fit --auto: self-configuration from good images, then the final fit with the choice (see the file's head). */
export async function autoFit(o: FitOptions, internals: AutoInternals = {}): Promise<AutoFitResult> {
  const note = internals.onNote ?? (() => undefined);
  const started = performance.now();
  const seed = o.seed ?? 0;
  // The grid takes minutes: refuse an existing --out before it, not after.
  if (existsSync(path.resolve(o.out)) && !o.overwrite) throw new Error(`${path.resolve(o.out)} already exists. Choose another --out, or pass --overwrite to replace it.`);
  const source = openFitSource(o.data);
  const n = source.train.length;
  const finalFit = async (chosen: FitOptions, record: Omit<AutoConfigRecord, 'seconds'>, grid: number, extra: Partial<AutoConfigRecord['seconds']>) => {
    const t0 = performance.now();
    let amended: ModelManifest | undefined;
    const r = await fit(chosen, {
      ...internals,
      amendManifest: (m) => {
        const final = (performance.now() - t0) / 1000;
        const auto: AutoConfigRecord = { ...record, seconds: { grid, final, total: grid + final, ...extra } };
        amended = { ...m, params: autoSources(m.params as Partial<ModelParams>, o, record), auto };
        return amended;
      },
    });
    // The manifest as committed (fit returns the one before the amendment).
    return { ...r, manifest: amended!, auto: amended!.auto! };
  };
  if (n < MIN_AUTO_IMAGES) {
    const fallback = `${n} training images: self-configuration needs at least ${MIN_AUTO_IMAGES} (${MIN_HOLDOUT} held out for synthetic defects, the rest to fit on); fitted with the defaults`;
    note(`fit --auto: ${fallback}`);
    return finalFit(o, { rule: AUTO_RULE, seed, choice: null, fallback, grid: [] }, 0, {});
  }

  const axes = gridAxes(o);
  if (internals.sigmas) axes.sigmas = [...internals.sigmas];
  const backends = await resolveBackends(internals.backends);
  if (o.threads) backends.setThreads?.(o.threads);
  // Relative cost of a setting: features, coreset and search grow with the patches per image; the vector dimension
  // adds to the embedding and the search only (the coreset's distances are taken in a fixed projection).
  const basePlan = planFeatures(optionsFor(o, axes.base, axes.sigmas[0]));
  const costOf = (s: FeatureSetting) => {
    const p = planFeatures(optionsFor(o, s, axes.sigmas[0]));
    return (p.patchesPerImage / basePlan.patchesPerImage) * (0.75 + (0.25 * p.dim) / basePlan.dim);
  };
  const planned: FeatureSetting[] = [
    axes.base,
    ...axes.policies.slice(1).map((p) => ({ ...axes.base, ...p })),
    ...axes.taps.slice(1).map((taps) => ({ ...axes.base, taps })),
    ...axes.sizes.slice(1).map((imageSize) => ({ ...axes.base, imageSize })),
  ];
  const heldOutCount = Math.min(MAX_HOLDOUT, Math.max(MIN_HOLDOUT, Math.round(n * HOLDOUT_FRACTION)));
  // Within one coreset chunk: a set of up to two chunks is taken in one greedy pass (chunked-coreset.ts), whose cost per
  // patch grows with the set, so a larger grid subset would cost more per image than the plain fit it is measured by.
  const chunk = basePlan.params.coreset.chunkRows;
  const cap = Math.min(gridFitCap(n, heldOutCount * (1 + DEFECTS_PER_IMAGE), planned.map(costOf)), chunk > 0 ? Math.max(GRID_FIT_FLOOR, Math.floor(chunk / basePlan.patchesPerImage)) : Infinity);
  const split = autoSplit(n, seed, cap);
  const fitFiles = split.fit.map((i) => source.train[i]);
  const work = mkdtempSync(path.join(tmpdir(), 'patchline-auto-'));
  try {
    const kinds = internals.kinds ?? SYNTHETIC_DEFECT_KINDS;
    const heldOut = await writeHeldOutSet(
      split.heldOut.map((i) => source.train[i]),
      fitFiles,
      work,
      { seed, perImage: DEFECTS_PER_IMAGE, kinds },
    );
    const g: GridData = { o, backends, fitFiles, heldOut, sigmas: axes.sigmas, note };
    const sizes = await Promise.all([...fitFiles, ...heldOut.filter((h) => h.label === 0).map((h) => h.path)].map((f) => readImageSize(f)));
    const grid: AutoCandidate[] = [];
    const seen = new Map<string, FeatureSetting>();
    const progress = new ProgressTracker('auto', planned.length, o.onProgress);
    let best: AutoCandidate | null = null;
    let bestSetting = axes.base;
    let plainEstimate: number | undefined;
    let budget = internals.budgetSeconds;
    let stoppedEarly: string | undefined;
    let firstSeconds = 0;
    const elapsed = () => (performance.now() - started) / 1000;
    const consider = (rows: AutoCandidate[], s: FeatureSetting) => {
      for (const r of rows) {
        // The published defaults are the first row: they win every tie.
        if (!best || r.score > best.score + SCORE_MARGIN) {
          best = r;
          bestSetting = s;
        }
      }
    };
    // Axis by axis: each later setting varies one axis of the best setting found so far.
    const axisOf = (s: FeatureSetting, i: number): FeatureSetting => {
      if (i === 0) return s;
      const p = planned[i];
      if (p.resizeMode !== axes.base.resizeMode || p.crop !== axes.base.crop) return { ...bestSetting, resizeMode: p.resizeMode, crop: p.crop };
      if (p.taps.join() !== axes.base.taps.join()) return { ...bestSetting, taps: p.taps };
      return { ...bestSetting, imageSize: p.imageSize };
    };
    for (let i = 0; i < planned.length; i++) {
      throwIfAborted(o.signal);
      const s = axisOf(planned[i], i);
      const key = geometryKey(s, sizes);
      const twin = seen.get(key);
      if (twin) {
        if (!sameSetting(twin, s)) note(`fit --auto: ${settingLabel(s)} preprocesses these images exactly as ${settingLabel(twin)}; not scored again`);
        progress.tick();
        continue;
      }
      const ratio = costOf(s);
      if (budget !== undefined && i > 0) {
        // The final fit is costed at the dearer of the best so far and this setting (which may win).
        const finalCost = (plainEstimate ?? 0) * Math.max(ratio, costOf(bestSetting));
        if (elapsed() + firstSeconds * ratio + finalCost > budget) {
          stoppedEarly = `time budget (${budget.toFixed(0)} s: ${BUDGET_FACTOR}× a plain fit, at least ${BUDGET_FLOOR_SECONDS} s) reached after ${elapsed().toFixed(0)} s: not scored ${planned
            .slice(i)
            .map((p, j) => settingLabel(axisOf(p, i + j)))
            .join('; ')}`;
          note(`fit --auto: ${stoppedEarly}`);
          break;
        }
      }
      const r = await scoreSetting(g, s);
      seen.set(key, s);
      grid.push(...r.rows);
      consider(r.rows, s);
      if (i === 0) {
        firstSeconds = r.seconds.total;
        // A plain fit: load, every training image's features and coreset at the rate measured here, index, and 10 %
        // of the images scored for calibration.
        const fitRate = (r.seconds.extractFit + r.seconds.coreset) / fitFiles.length;
        const scoreRate = r.seconds.score / heldOut.length;
        plainEstimate = r.seconds.load + fitRate * n + r.seconds.index + scoreRate * Math.max(1, Math.round(n * 0.1));
        budget ??= Math.max(BUDGET_FLOOR_SECONDS, BUDGET_FACTOR * plainEstimate);
        const t = r.seconds;
        note(
          `fit --auto: first setting ${t.total.toFixed(1)} s (backbone ${t.load.toFixed(1)}, features of ${fitFiles.length} fit images ${t.extractFit.toFixed(1)}, ` +
            `coreset ${t.coreset.toFixed(1)}, index ${t.index.toFixed(1)}, ${heldOut.length} held-out images ${t.score.toFixed(1)}, metrics ${t.metrics.toFixed(1)}); ` +
            `a plain fit of ${n} images estimated at ${plainEstimate.toFixed(1)} s`,
        );
      }
      progress.tick(1, settingLabel(s));
    }
    const chosen = best as AutoCandidate | null;
    if (!chosen) throw new Error('fit --auto scored no setting');
    const choice = { resizeMode: chosen.resizeMode, crop: chosen.crop, resize: chosen.resize, imageSize: chosen.imageSize, taps: chosen.taps, sigma: chosen.sigma };
    note(`fit --auto: chose ${settingLabel(bestSetting)}, σ ${chosen.sigma} (score ${chosen.score.toFixed(4)}) of ${grid.length} scored`);
    const record: Omit<AutoConfigRecord, 'seconds'> = {
      rule: AUTO_RULE,
      seed,
      choice,
      holdout: { good: split.heldOut.length, defective: heldOut.length - split.heldOut.length, fitImages: fitFiles.length, kinds: [...kinds] },
      grid,
      ...(stoppedEarly ? { stoppedEarly } : {}),
    };
    rmSync(work, { recursive: true, force: true });
    const gridSeconds = elapsed();
    return await finalFit(optionsFor(o, bestSetting, chosen.sigma), record, gridSeconds, { plainEstimate, budget });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** A feature setting in words, e.g. "stretch 256 → crop 224 px, taps 365_quantized+426_quantized". */
export function settingLabel(s: { resizeMode: string; crop: boolean; resize?: number; imageSize: number; taps: string[] }): string {
  return `${s.resizeMode}${s.crop ? ` ${s.resize ?? resizeFor(s)} → crop` : ' (whole image)'} ${s.imageSize} px, taps ${s.taps.join('+')}`;
}
