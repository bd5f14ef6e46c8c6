// The steps every way of building a bank is made of: features (features/image-features.ts) → coreset → index →
// calibrate → commit. fit, fit --stream, update and add-good are compositions of these; what differs between them
// (how patches reach the bank: all at once, folded into an epsilon-net, or added to a model) stays in their files.
import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import path from 'node:path';
import type { Calibration, FitResult, LongRunning, ModelManifest, ModelVersion, SkippedFile } from '../api';
import { sha256File } from '../backbone/resolve';
import type { EngineBackends } from '../bank/backends';
import { chunkedGreedy } from '../bank/chunked-coreset';
import { exactIndexFor, oneCallVectors } from '../bank/exact-refine';
import { givenIndex, needsTraining, type IndexChoice } from '../bank/index-rule';
import type { KnnIndex } from '../bank/knn';
import { randomSubset } from '../bank/random-coreset';
import { machineKey, spreadRows, tuneSearch, TUNING_QUERIES, type SearchTuning } from '../bank/search-tuning';
import type { FeatureSource, ImageFeatures } from '../features/image-features';
import type { PatchEmbedding } from '../features/embed';
import { ProgressTracker, throwIfAborted } from '../progress';
import { Scorer } from '../score/scorer';
import { SCHEMA_VERSION, writeBank, writeBankFiles, type StagedModel } from './artifact';
import { calibrate } from './calibration';
import { scoringParams, type ModelParams } from './params';

/** Wall-clock seconds per phase: mark(phase) closes the phase that ran since the last mark (added to its earlier laps). */
export function phaseTimer(): { seconds: Record<string, number>; mark(phase: string): void; finish(): Record<string, number> } {
  const started = performance.now();
  let lap = started;
  const seconds: Record<string, number> = {};
  return {
    seconds,
    mark(phase) {
      const now = performance.now();
      seconds[phase] = (seconds[phase] ?? 0) + (now - lap) / 1000;
      lap = now;
    },
    finish() {
      seconds.total = (performance.now() - started) / 1000;
      return seconds;
    },
  };
}

export function gatherRows(src: Float32Array, dim: number, rows: Uint32Array | number[]): Float32Array {
  const out = new Float32Array(rows.length * dim);
  for (let i = 0; i < rows.length; i++) out.set(src.subarray(rows[i] * dim, (rows[i] + 1) * dim), i * dim);
  return out;
}

export function concatRows(chunks: Float32Array[]): Float32Array {
  const out = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
  chunks.reduce((off, c) => (out.set(c, off), off + c.length), 0);
  return out;
}

// 2. Coreset ----------------------------------------------------------------------------------------------------

export interface CoresetStep {
  coreset: ModelParams['coreset'];
  seed: number;
  /** The random coreset's seed where it differs from the greedy one's (add-good draws anew for each version). */
  randomSeed?: number;
}

/**
 * The rows of `patches` (images × perImage rows of dim) the bank keeps, by the model's coreset rule, and the coverage
 * radius where the rule measures one (the greedy coreset).
 */
export async function selectCoreset(
  backends: EngineBackends,
  patches: Float32Array,
  shape: { images: number; perImage: number; dim: number },
  step: CoresetStep,
  o: LongRunning = {},
): Promise<{ indices: Uint32Array; radius?: number }> {
  const rows = patches.length / shape.dim;
  const c = step.coreset;
  const target = Math.max(1, Math.round(rows * c.ratio));
  if (c.method === 'none' || target >= rows) return { indices: Uint32Array.from({ length: rows }, (_, i) => i) };
  if (c.method === 'random') return { indices: randomSubset(rows, target, step.randomSeed ?? step.seed) };
  const progress = o.onProgress ? new ProgressTracker('coreset', target, o.onProgress) : null;
  const r = await chunkedGreedy(backends.coreset, {
    data: patches,
    images: shape.images,
    perImage: shape.perImage,
    cols: shape.dim,
    ratio: c.ratio,
    projectionDim: c.projectionDim,
    numStarts: c.numStarts,
    seed: step.seed,
    chunkRows: c.chunkRows,
    signal: o.signal,
    onProgress: progress ? (done) => progress.set(Math.min(done, target)) : undefined,
  });
  progress?.set(target);
  return { indices: r.indices, radius: r.radius };
}

// 3. Index ------------------------------------------------------------------------------------------------------

/** The user's `--index` with the search parameters they gave, or the rule's choice with them. */
export function indexChoice(given: string | undefined, params: { efSearch?: number; nprobe?: number }, rule: () => IndexChoice): IndexChoice {
  const choice = given ? givenIndex(given) : rule();
  if (params.efSearch) choice.params.efSearch = params.efSearch;
  if (params.nprobe) choice.params.nprobe = params.nprobe;
  return choice;
}

/** Builds an index of `vectors` with the chosen factory and search parameters (an 'index' phase when onProgress). */
export async function buildIndex(backends: EngineBackends, dim: number, choice: IndexChoice, vectors: Float32Array, o: LongRunning = {}): Promise<KnnIndex> {
  const { signal } = o;
  const progress = o.onProgress ? new ProgressTracker('index', 1, o.onProgress) : null;
  const index = await backends.index.create(dim, choice.factory);
  if (needsTraining(choice.factory)) {
    if (!index.train) throw new Error(`index ${choice.factory} needs training but the backend cannot train`);
    const rows = vectors.length / dim;
    const n = choice.trainSize && choice.trainSize < rows ? choice.trainSize : rows;
    // k-means needs ~40 points per list, not the whole bank: a seeded uniform sample trains as well, much faster.
    await index.train(n < rows ? gatherRows(vectors, dim, randomSubset(rows, n, 0x1dec5)) : vectors, { signal });
  }
  await index.add(vectors);
  index.setParams(choice.params);
  progress?.set(1, choice.factory);
  return index;
}

/** A model's index file with `rows` added, written as `to` beside it (the file it was read from is not touched). */
export async function appendIndex(backends: EngineBackends, dir: string, from: string, rows: Float32Array, to: string): Promise<void> {
  const writable = await backends.index.read(path.join(dir, from), { mmap: false });
  try {
    if (rows.length > 0) await writable.add(rows);
    await writable.write(path.join(dir, to));
  } finally {
    writable.close();
  }
}

/**
 * The search parameters of a fit's bank by measured recall of the map (bank/search-tuning.ts), unless the user gave
 * them. The queries are patches of good images the bank has not seen, where the fit has them: the held-out calibration
 * images, searched in the calibration bank (the bank without them, same factory) — a new good part's patches against
 * a bank of its kind. Otherwise (validation images are only read later, or the calibration bank got another factory)
 * training patches the coreset did not keep, in the model's bank: the closest substitute (a bank vector as its own
 * query would always be found), though a little optimistic, since the coreset covers every training patch. The
 * model's index is left with the chosen parameters and `choice.params` updated to them.
 */
export async function tuneBankSearch(
  backends: EngineBackends,
  index: KnnIndex,
  choice: IndexChoice,
  fit: {
    patches: Float32Array;
    dim: number;
    bank: Float32Array;
    selected: ArrayLike<number>;
    given: boolean;
    /** The calibration bank and its index, and which rows of `patches` are the held-out images'. */
    heldOut?: { index: KnnIndex; factory: string; bank: Float32Array; isHeld: (row: number) => boolean };
  },
): Promise<SearchTuning | undefined> {
  if (fit.given) return undefined;
  const held = fit.heldOut && fit.heldOut.factory === choice.factory ? fit.heldOut : undefined;
  let queries: Float32Array;
  if (held) {
    queries = spreadRows(fit.patches, fit.dim, TUNING_QUERIES, (r) => !held.isHeld(r));
  } else {
    const inBank = new Uint8Array(fit.patches.length / fit.dim);
    for (let i = 0; i < fit.selected.length; i++) inBank[fit.selected[i]] = 1;
    queries = spreadRows(fit.patches, fit.dim, TUNING_QUERIES, (r) => inBank[r] === 1);
  }
  if (queries.length === 0) return undefined;
  const tuning = await tuneSearch({
    index: held?.index ?? index,
    target: index,
    factory: choice.factory,
    dim: fit.dim,
    bank: held?.bank ?? fit.bank,
    queries,
    source: held ? 'patches of the held-out calibration images, in the bank without them' : 'training patches not kept in the bank',
    backend: backends.index,
  });
  if (tuning) choice.params = { ...choice.params, ...tuning.machines[machineKey()].params };
  return tuning;
}

// 4. Calibrate --------------------------------------------------------------------------------------------------

/**
 * The scorer a calibration scores with: `index` (built from `factory`) over `bank`, with the exact index behind it
 * when refinement applies, as a loaded model scores. The indexes it opens go into `opened` for the caller to close.
 */
export async function calibrationScorer(
  backends: EngineBackends,
  dim: number,
  factory: string,
  index: KnnIndex,
  bank: Float32Array,
  params: ModelParams,
  opened: KnnIndex[],
): Promise<Scorer> {
  const exact = await exactIndexFor(backends, factory, dim, () => bank, params.exactTop, index);
  if (exact) opened.push(exact);
  return new Scorer(index, scoringParams(params), () => bank, exact, { exactVectors: oneCallVectors(index, () => bank, params.exactTop, bank.byteLength) });
}

/** One image's score from its patches. */
export async function imageScore(scorer: Scorer, embedding: PatchEmbedding): Promise<number> {
  return (await scorer.score([embedding]))[0].score;
}

/** Scores of validation images (good images the bank has not seen), appended to `scores`. */
export async function scoreValidation(
  fx: FeatureSource,
  files: string[],
  scorer: Scorer,
  scores: number[],
  o: LongRunning & { strict?: boolean; skipped?: SkippedFile[] },
): Promise<void> {
  const progress = new ProgressTracker('calibrate', files.length, o.onProgress);
  await fx.each(
    files,
    async (_file, embedding, part) => {
      // A tiled image's score is the maximum over its tiles.
      const s = await imageScore(scorer, embedding);
      if (part.tile === 0) scores.push(s);
      else scores[scores.length - 1] = Math.max(scores[scores.length - 1], s);
      if (part.tile === part.tiles - 1) progress.tick();
    },
    { signal: o.signal, strict: o.strict, skipped: o.skipped },
  );
}

// 5. Commit -----------------------------------------------------------------------------------------------------

export interface NewModel {
  out: string;
  fx: Pick<ImageFeatures, 'card' | 'sha256' | 'params' | 'dim'>;
  index: KnnIndex;
  bank: Float32Array;
  choice: IndexChoice;
  /** Image scores of held-out good images, and where those came from. */
  calibration: { scores: number[]; source: Calibration['source'] };
  training: ModelManifest['training'];
  /** How the search parameters were chosen, when they were measured (tuneBankSearch). */
  searchTuning?: SearchTuning;
  /** The first version's own facts (its images, vectors, radius, note). */
  first: Omit<ModelVersion, 'version' | 'createdAt' | 'kind'>;
  skipped: SkippedFile[];
}

/**
 * The calibration from the held-out scores, then the new model's files into its staging folder, renamed into place:
 * the fit's commit point.
 */
export async function commitNewModel(stage: StagedModel, m: NewModel, timer: ReturnType<typeof phaseTimer>, signal?: AbortSignal): Promise<FitResult> {
  if (m.calibration.scores.length === 0) throw new Error('no calibration image could be read');
  const calibration = calibrate(m.calibration.scores, m.calibration.source);
  timer.mark('calibrate');
  throwIfAborted(signal);
  const vectors = m.bank.length / m.fx.dim;
  const written = await writeBankFiles(stage.dir, m.index, m.bank, { vectors, dimension: m.fx.dim, ...m.choice });
  const bankInfo = m.searchTuning ? { ...written, searchTuning: m.searchTuning } : written;
  const createdAt = new Date().toISOString();
  const manifest: ModelManifest = {
    schemaVersion: SCHEMA_VERSION,
    id: randomUUID(),
    name: path.basename(path.resolve(m.out)),
    createdAt,
    backbone: { id: m.fx.card.id, card: m.fx.card, sha256: m.fx.sha256 },
    params: { ...m.fx.params },
    bank: bankInfo,
    calibration,
    training: m.training,
    history: [{ version: 1, createdAt, kind: 'fit', ...m.first }],
  };
  const dir = await stage.commit(manifest);
  timer.mark('write');
  return { dir, manifest, skipped: m.skipped, seconds: timer.finish() };
}

export function nextVersion(m: ModelManifest): number {
  return Math.max(...m.history.map((h) => h.version)) + 1;
}

/**
 * A bank-changing version's files beside the current ones (index-vN.faiss, bank-vN.f32: the current index with `fresh`
 * added, and `bank`, the whole new bank), and the manifest's bank section for them. Nothing the current manifest
 * names is touched; the caller's manifest swap is the commit point.
 */
export async function writeBankVersion(
  backends: EngineBackends,
  dir: string,
  m: ModelManifest,
  fresh: Float32Array,
  bank: Float32Array,
): Promise<{ version: number; bank: ModelManifest['bank'] }> {
  const version = nextVersion(m);
  const indexFile = `index-v${version}.faiss`;
  const bankFile = `bank-v${version}.f32`;
  await appendIndex(backends, dir, m.bank.indexFile, fresh, indexFile);
  await writeBank(path.join(dir, bankFile), bank);
  return {
    version,
    bank: {
      ...m.bank,
      vectors: bank.length / m.bank.dimension,
      indexFile,
      indexBytes: statSync(path.join(dir, indexFile)).size,
      indexSha256: await sha256File(path.join(dir, indexFile)),
      bankFile,
      bankSha256: await sha256File(path.join(dir, bankFile)),
    },
  };
}
