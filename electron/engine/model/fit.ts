// Fit: the good images through the backbone into patch vectors, a coreset of them, its index, a calibration on
// held-out good images, and the model folder written atomically (the steps of fit-steps.ts, all patches in memory).
import path from 'node:path';
import type { FitOptions, FitResult, SkippedFile } from '../api';
import { resolveBackends, type EngineBackends } from '../bank/backends';
import { chooseIndex, type IndexChoice } from '../bank/index-rule';
import type { SearchTuning } from '../bank/search-tuning';
import type { KnnIndex } from '../bank/knn';
import { openFitSource } from '../data/dataset';
import { openImageFeatures, planFeatures } from '../features/image-features';
import { ProgressTracker, throwIfAborted } from '../progress';
import { shuffledIndices } from '../random';
import { stageModelDir } from './artifact';
import {
  buildIndex,
  calibrationScorer,
  commitNewModel,
  gatherRows,
  imageScore,
  indexChoice,
  phaseTimer,
  scoreValidation,
  selectCoreset,
  tuneBankSearch,
} from './fit-steps';

export interface FitInternals {
  backends?: Partial<EngineBackends>;
  /** Notes for the user (device fallback, skipped images), separate from progress. */
  onNote?: (msg: string) => void;
}

function holdoutIndices(n: number, fraction: number, seed: number): Set<number> {
  const count = Math.max(1, Math.round(n * fraction));
  return new Set(shuffledIndices(n, seed ^ 0x5eed).slice(0, count));
}

export async function fit(o: FitOptions, internals: FitInternals = {}): Promise<FitResult> {
  const timer = phaseTimer();
  const note = internals.onNote ?? (() => undefined);

  const plan = planFeatures(o);
  const source = openFitSource(o.data);
  if (source.validation.length === 0 && source.train.length < 2) {
    throw new Error(`${source.root} has ${source.train.length} training image; fit needs at least 2 (one is held out for calibration).`);
  }
  const backends = await resolveBackends(internals.backends);
  if (o.threads) backends.setThreads?.(o.threads);
  const fx = await openImageFeatures(o, note, plan);
  const { params, dim, grid, patchesPerImage } = fx;
  timer.mark('load');

  const stage = await stageModelDir(o.out, o.overwrite);
  const opened: KnnIndex[] = [];
  try {
    // 1. Patches of every training image, in file order.
    const files = source.train;
    let patches = new Float32Array(files.length * patchesPerImage * dim);
    const kept: string[] = [];
    const skipped: SkippedFile[] = [];
    const progress = new ProgressTracker('extract', files.length, o.onProgress);
    await fx.each(
      files,
      (file, embedding) => {
        if (embedding.data.length !== patchesPerImage * dim) throw new Error(`${file}: embedding has ${embedding.data.length} values, expected ${patchesPerImage}×${dim}`);
        patches.set(embedding.data, kept.length * patchesPerImage * dim);
        kept.push(file);
        progress.set(kept.length + skipped.length);
      },
      { strict: o.strict, signal: o.signal, skipped },
    );
    progress.set(files.length);
    if (skipped.length) note(`skipped ${skipped.length} unreadable training image(s): ${skipped.map((s) => path.basename(s.path)).join(', ')}`);
    if (kept.length < 2) throw new Error(`only ${kept.length} of ${files.length} training images could be read; fit needs at least 2.`);
    if (kept.length < files.length) patches = patches.slice(0, kept.length * patchesPerImage * dim);
    const rows = kept.length * patchesPerImage;
    timer.mark('extract');
    throwIfAborted(o.signal);

    // 2. Coreset.
    const { indices: selected, radius } = await selectCoreset(
      backends,
      patches,
      { images: kept.length, perImage: patchesPerImage, dim },
      { coreset: params.coreset, seed: params.seed },
      { signal: o.signal, onProgress: o.onProgress },
    );
    const bank = gatherRows(patches, dim, selected);
    timer.mark('coreset');
    throwIfAborted(o.signal);

    // 3. Index.
    const choice: IndexChoice = indexChoice(o.index, o, () => chooseIndex(selected.length, dim));
    const index = await buildIndex(backends, dim, choice, bank, o);
    opened.push(index);
    timer.mark('index');
    throwIfAborted(o.signal);
    const tuneInput = { patches, dim, bank, selected, given: Boolean(o.nprobe || o.efSearch) };
    let searchTuning: SearchTuning | undefined;

    // 4. Calibration on good images the bank has not seen.
    const calScores: number[] = [];
    let calSource: 'validation' | 'train-holdout';
    if (source.validation.length) {
      calSource = 'validation';
      searchTuning = await tuneBankSearch(backends, index, choice, tuneInput);
      timer.mark('tune');
      const scorer = await calibrationScorer(backends, dim, choice.factory, index, bank, params, opened);
      await scoreValidation(fx, source.validation, scorer, calScores, { strict: o.strict, signal: o.signal, onProgress: o.onProgress, skipped });
    } else {
      // The bank keeps every training image; the held-out images are scored against the bank vectors that did not
      // come from them, i.e. the coreset as it would be without those images.
      calSource = 'train-holdout';
      const held = holdoutIndices(kept.length, params.calibrationFraction, params.seed);
      const keepRows: number[] = [];
      for (let i = 0; i < selected.length; i++) if (!held.has(Math.floor(selected[i] / patchesPerImage))) keepRows.push(i);
      const calBank = gatherRows(bank, dim, keepRows);
      // The calibration bank's own index by the same rule (a smaller bank may be exact where the model's is not),
      // with the search parameters the user gave.
      const calChoice = indexChoice(o.index, o, () => chooseIndex(keepRows.length, dim));
      const calIndex = await buildIndex(backends, dim, calChoice, calBank, { signal: o.signal });
      opened.push(calIndex);
      timer.mark('calibrate');
      const isHeld = (row: number) => held.has(Math.floor(row / patchesPerImage));
      searchTuning = await tuneBankSearch(backends, index, choice, { ...tuneInput, heldOut: { index: calIndex, factory: calChoice.factory, bank: calBank, isHeld } });
      // tuneBankSearch leaves calIndex with the chosen parameters too: the calibration scores as the model will.
      timer.mark('tune');
      const scorer = await calibrationScorer(backends, dim, calChoice.factory, calIndex, calBank, params, opened);
      const cp = new ProgressTracker('calibrate', held.size, o.onProgress);
      for (const img of [...held].sort((a, b) => a - b)) {
        const data = patches.subarray(img * patchesPerImage * dim, (img + 1) * patchesPerImage * dim);
        calScores.push(await imageScore(scorer, { data, gridH: grid, gridW: grid, dim }));
        cp.tick();
      }
    }
    // 5. The artifact.
    const training = { images: kept.length, patches: rows, skipped: skipped.length, source: source.root };
    const first = { addedImages: kept.length, addedVectors: selected.length, bankVectors: selected.length, radius };
    return await commitNewModel(stage, { out: o.out, fx, index, bank, choice, calibration: { scores: calScores, source: calSource }, training, searchTuning, first, skipped }, timer, o.signal);
  } catch (err) {
    await stage.abort();
    throw err;
  } finally {
    for (const ix of opened) ix.close();
    await fx.close();
  }
}
