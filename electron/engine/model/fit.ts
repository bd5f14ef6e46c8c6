// Fit: stream the good images through the backbone into patch vectors, pick a coreset, index it, calibrate on held-out
// good images, and write the model folder atomically.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { FitOptions, FitResult, ModelManifest, SkippedFile } from '../api';
import { loadCard, selectTaps } from '../backbone/card';
import { resolveModelFile } from '../backbone/resolve';
import { Extractor } from '../backbone/session';
import { resolveBackends, type EngineBackends } from '../bank/backends';
import { chooseIndex, defaultParams, needsTraining, type IndexChoice } from '../bank/index-rule';
import type { KnnIndex } from '../bank/knn';
import { chunkedGreedy } from '../bank/chunked-coreset';
import { exactIndexFor } from '../bank/exact-refine';
import { randomSubset } from '../bank/random-coreset';
import { openFitSource } from '../data/dataset';
import { embeddingDim } from '../features/embed';
import { extractFiles } from '../features/extract';
import { ProgressTracker, throwIfAborted } from '../progress';
import { shuffledIndices } from '../random';
import { Scorer } from '../score/scorer';
import { SCHEMA_VERSION, stageModelDir, writeBankFiles } from './artifact';
import { calibrate, THRESHOLD_QUANTILE } from './calibration';
import { preprocessSpec, resolveParams, scoringParams, type ModelParams } from './params';

export interface FitInternals {
  backends?: Partial<EngineBackends>;
  /** Notes for the user (device fallback, skipped images), separate from progress. */
  onNote?: (msg: string) => void;
}

function gatherRows(src: Float32Array, dim: number, rows: Uint32Array | number[]): Float32Array {
  const out = new Float32Array(rows.length * dim);
  for (let i = 0; i < rows.length; i++) out.set(src.subarray(rows[i] * dim, (rows[i] + 1) * dim), i * dim);
  return out;
}

/** Builds an index of `vectors` with the chosen factory and search parameters. */
export async function buildIndex(backends: EngineBackends, dim: number, choice: IndexChoice, vectors: Float32Array, signal?: AbortSignal): Promise<KnnIndex> {
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
  return index;
}

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
  const exact = await exactIndexFor(backends, factory, dim, () => bank, params.exactTop);
  if (exact) opened.push(exact);
  return new Scorer(index, scoringParams(params), () => bank, exact);
}

function holdoutIndices(n: number, fraction: number, seed: number): Set<number> {
  const count = Math.max(1, Math.round(n * fraction));
  return new Set(shuffledIndices(n, seed ^ 0x5eed).slice(0, count));
}

export async function fit(o: FitOptions, internals: FitInternals = {}): Promise<FitResult> {
  const seconds: Record<string, number> = {};
  const started = Date.now();
  let lap = started;
  const mark = (phase: string) => {
    const now = Date.now();
    seconds[phase] = (now - lap) / 1000;
    lap = now;
  };
  const note = internals.onNote ?? (() => undefined);

  const card = loadCard(o.backbone);
  const taps = selectTaps(card, o.taps);
  const params = resolveParams(o, card, taps.map((t) => t.name), THRESHOLD_QUANTILE);
  const spec = preprocessSpec(params, card);
  const source = openFitSource(o.data);
  if (source.validation.length === 0 && source.train.length < 2) {
    throw new Error(`${source.root} has ${source.train.length} training image; fit needs at least 2 (one is held out for calibration).`);
  }
  const backends = await resolveBackends(internals.backends);
  if (o.threads) backends.setThreads?.(o.threads);
  const resolved = await resolveModelFile(card, { explicitPath: o.modelFile, signal: o.signal, onProgress: o.onProgress });
  const extractor = await Extractor.create(card, taps, resolved.path, { device: o.device, threads: o.threads, inputSize: params.imageSize, onNote: note });
  params.provider = extractor.provider;
  mark('load');

  const stage = await stageModelDir(o.out, o.overwrite);
  const opened: KnnIndex[] = [];
  try {
    // 1. Patches of every training image, in file order.
    const gridStride = params.gridStride ?? Math.min(...taps.map((t) => t.stride));
    const grid = Math.ceil(params.imageSize / gridStride);
    const patchesPerImage = grid * grid;
    const dim = embeddingDim(
      taps.map((t) => t.channels),
      params.embedDimension,
    );
    const files = source.train;
    let patches = new Float32Array(files.length * patchesPerImage * dim);
    const kept: string[] = [];
    const skipped: SkippedFile[] = [];
    const progress = new ProgressTracker('extract', files.length, o.onProgress);
    await extractFiles(
      files,
      { spec, extractor, embedDimension: params.embedDimension, gridStride: params.gridStride, batchSize: params.batchSize, strict: o.strict, signal: o.signal },
      ({ file, embedding }) => {
        if (embedding.data.length !== patchesPerImage * dim) throw new Error(`${file}: embedding has ${embedding.data.length} values, expected ${patchesPerImage}×${dim}`);
        patches.set(embedding.data, kept.length * patchesPerImage * dim);
        kept.push(file);
        progress.set(kept.length + skipped.length);
      },
      skipped,
    );
    progress.set(files.length);
    if (skipped.length) note(`skipped ${skipped.length} unreadable training image(s): ${skipped.map((s) => path.basename(s.path)).join(', ')}`);
    if (kept.length < 2) throw new Error(`only ${kept.length} of ${files.length} training images could be read; fit needs at least 2.`);
    if (kept.length < files.length) patches = patches.slice(0, kept.length * patchesPerImage * dim);
    const rows = kept.length * patchesPerImage;
    mark('extract');
    throwIfAborted(o.signal);

    // 2. Coreset.
    let selected: Uint32Array;
    let radius: number | undefined;
    const target = Math.max(1, Math.round(rows * params.coreset.ratio));
    if (params.coreset.method === 'none' || target >= rows) {
      selected = Uint32Array.from({ length: rows }, (_, i) => i);
    } else if (params.coreset.method === 'random') {
      selected = randomSubset(rows, target, params.seed);
    } else {
      const cp = new ProgressTracker('coreset', target, o.onProgress);
      const r = await chunkedGreedy(backends.coreset, {
        data: patches,
        images: kept.length,
        perImage: patchesPerImage,
        cols: dim,
        ratio: params.coreset.ratio,
        projectionDim: params.coreset.projectionDim,
        numStarts: params.coreset.numStarts,
        seed: params.seed,
        chunkRows: params.coreset.chunkRows,
        signal: o.signal,
        onProgress: (done) => cp.set(Math.min(done, target)),
      });
      cp.set(target);
      selected = r.indices;
      radius = r.radius;
    }
    const bank = gatherRows(patches, dim, selected);
    mark('coreset');
    throwIfAborted(o.signal);

    // 3. Index.
    const choice: IndexChoice = o.index
      ? { factory: o.index, params: defaultParams(o.index), reason: 'given with --index' }
      : chooseIndex(selected.length, dim);
    if (o.efSearch) choice.params.efSearch = o.efSearch;
    if (o.nprobe) choice.params.nprobe = o.nprobe;
    const ip = new ProgressTracker('index', 1, o.onProgress);
    const index = await buildIndex(backends, dim, choice, bank, o.signal);
    opened.push(index);
    ip.set(1, choice.factory);
    mark('index');
    throwIfAborted(o.signal);

    // 4. Calibration on good images the bank has not seen.
    const calScores: number[] = [];
    let calSource: 'validation' | 'train-holdout';
    if (source.validation.length) {
      calSource = 'validation';
      const scorer = await calibrationScorer(backends, dim, choice.factory, index, bank, params, opened);
      const cp = new ProgressTracker('calibrate', source.validation.length, o.onProgress);
      await extractFiles(
        source.validation,
        { spec, extractor, embedDimension: params.embedDimension, gridStride: params.gridStride, batchSize: params.batchSize, strict: o.strict, signal: o.signal },
        async ({ embedding }) => {
          calScores.push((await scorer.score([embedding]))[0].score);
          cp.tick();
        },
        skipped,
      );
    } else {
      // The bank keeps every training image; the held-out images are scored against the bank vectors that did not
      // come from them, i.e. the coreset as it would be without those images.
      calSource = 'train-holdout';
      const held = holdoutIndices(kept.length, params.calibrationFraction, params.seed);
      const keepRows: number[] = [];
      for (let i = 0; i < selected.length; i++) if (!held.has(Math.floor(selected[i] / patchesPerImage))) keepRows.push(i);
      const calBank = gatherRows(bank, dim, keepRows);
      const calChoice = o.index ? choice : chooseIndex(keepRows.length, dim);
      const calIndex = await buildIndex(backends, dim, { ...calChoice, params: { ...calChoice.params, ...choice.params } }, calBank, o.signal);
      opened.push(calIndex);
      const scorer = await calibrationScorer(backends, dim, calChoice.factory, calIndex, calBank, params, opened);
      const cp = new ProgressTracker('calibrate', held.size, o.onProgress);
      for (const img of [...held].sort((a, b) => a - b)) {
        const data = patches.subarray(img * patchesPerImage * dim, (img + 1) * patchesPerImage * dim);
        calScores.push((await scorer.score([{ data, gridH: grid, gridW: grid, dim }]))[0].score);
        cp.tick();
      }
    }
    if (calScores.length === 0) throw new Error('no calibration image could be read');
    const calibration = calibrate(calScores, calSource);
    mark('calibrate');
    throwIfAborted(o.signal);

    // 5. The artifact.
    const bankInfo = await writeBankFiles(stage.dir, index, bank, { vectors: selected.length, dimension: dim, ...choice });
    const createdAt = new Date().toISOString();
    const manifest: ModelManifest = {
      schemaVersion: SCHEMA_VERSION,
      id: randomUUID(),
      name: path.basename(path.resolve(o.out)),
      createdAt,
      backbone: { id: card.id, card, sha256: resolved.sha256 },
      params: { ...params },
      bank: bankInfo,
      calibration,
      training: { images: kept.length, patches: rows, skipped: skipped.length, source: source.root },
      history: [{ version: 1, createdAt, kind: 'fit', addedImages: kept.length, addedVectors: selected.length, bankVectors: selected.length, radius }],
    };
    const dir = await stage.commit(manifest);
    mark('write');
    seconds.total = (Date.now() - started) / 1000;
    return { dir, manifest, skipped, seconds };
  } catch (err) {
    await stage.abort();
    throw err;
  } finally {
    for (const ix of opened) ix.close();
    await extractor.close();
  }
}
