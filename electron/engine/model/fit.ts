// Fit: the good images through the backbone into patch vectors, a coreset of them, its index, a calibration on
// held-out good images, and the model folder written atomically (the steps of fit-steps.ts, all patches in memory).
import path from 'node:path';
import type { FitOptions, FitResult, ModelManifest, SkippedFile } from '../api';
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
  concatRows,
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
  /** Amends the manifest just before it is committed (fit --auto adds its record: one atomic write). */
  amendManifest?: (m: ModelManifest) => ModelManifest;
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
  let fxOpen = true;
  const closeFx = async () => {
    if (fxOpen) {
      fxOpen = false;
      await fx.close();
    }
  };
  const { params, dim, grid, patchesPerImage } = fx;
  timer.mark('load');

  const staged = await stageModelDir(o.out, o.overwrite);
  const amend = internals.amendManifest;
  const stage = amend ? { ...staged, commit: (m: ModelManifest) => staged.commit(amend(m)) } : staged;
  const opened: KnnIndex[] = [];
  try {
    // 1. Patches of every training image, in file order. Each network input is one unit of patchesPerImage rows: the
    // image, or (tiled) each of its tiles; unitOwner says which kept image a unit came from.
    const files = source.train;
    const tiled = params.tiling !== null;
    let patches: Float32Array = new Float32Array(tiled ? 0 : files.length * patchesPerImage * dim);
    const chunks: Float32Array[] = [];
    const unitOwner: number[] = [];
    const kept: string[] = [];
    const skipped: SkippedFile[] = [];
    const progress = new ProgressTracker('extract', files.length, o.onProgress);
    await fx.each(
      files,
      (file, embedding, part) => {
        if (embedding.data.length !== patchesPerImage * dim) throw new Error(`${file}: embedding has ${embedding.data.length} values, expected ${patchesPerImage}×${dim}`);
        if (part.tile === 0) kept.push(file);
        if (tiled) chunks.push(embedding.data);
        else patches.set(embedding.data, (kept.length - 1) * patchesPerImage * dim);
        unitOwner.push(kept.length - 1);
        progress.set(kept.length + skipped.length);
      },
      { strict: o.strict, signal: o.signal, skipped },
    );
    progress.set(files.length);
    if (skipped.length) note(`skipped ${skipped.length} unreadable training image(s): ${skipped.map((s) => path.basename(s.path)).join(', ')}`);
    if (kept.length < 2) throw new Error(`only ${kept.length} of ${files.length} training images could be read; fit needs at least 2.`);
    if (tiled) patches = concatRows(chunks);
    else if (kept.length < files.length) patches = patches.slice(0, kept.length * patchesPerImage * dim);
    chunks.length = 0;
    // Without validation images nothing is extracted after this: the network's session and its activation arena
    // (~160 MiB for MobileNetV2) go now instead of staying through the coreset and the index.
    if (source.validation.length === 0) await closeFx();
    const units = unitOwner.length;
    const rows = units * patchesPerImage;
    timer.mark('extract');
    throwIfAborted(o.signal);

    // 2. Coreset.
    const { indices: selected, radius } = await selectCoreset(
      backends,
      patches,
      { images: units, perImage: patchesPerImage, dim },
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
      for (let i = 0; i < selected.length; i++) if (!held.has(unitOwner[Math.floor(selected[i] / patchesPerImage)])) keepRows.push(i);
      const calBank = gatherRows(bank, dim, keepRows);
      // The calibration bank's own index by the same rule (a smaller bank may be exact where the model's is not),
      // with the search parameters the user gave.
      const calChoice = indexChoice(o.index, o, () => chooseIndex(keepRows.length, dim));
      const calIndex = await buildIndex(backends, dim, calChoice, calBank, { signal: o.signal });
      opened.push(calIndex);
      timer.mark('calibrate');
      // Rows are the units' (an image, or each of its tiles): a row is held out with the image its unit came from.
      const isHeld = (row: number) => held.has(unitOwner[Math.floor(row / patchesPerImage)]);
      searchTuning = await tuneBankSearch(backends, index, choice, { ...tuneInput, heldOut: { index: calIndex, factory: calChoice.factory, bank: calBank, isHeld } });
      // tuneBankSearch leaves calIndex with the chosen parameters too: the calibration scores as the model will.
      timer.mark('tune');
      const scorer = await calibrationScorer(backends, dim, calChoice.factory, calIndex, calBank, params, opened);
      const cp = new ProgressTracker('calibrate', held.size, o.onProgress);
      // A held image's score is the maximum over its units (its tiles), as a prediction's is.
      const best = new Map<number, number>();
      for (let u = 0; u < units; u++) {
        if (!held.has(unitOwner[u])) continue;
        const data = patches.subarray(u * patchesPerImage * dim, (u + 1) * patchesPerImage * dim);
        const sc = await imageScore(scorer, { data, gridH: grid, gridW: grid, dim });
        best.set(unitOwner[u], Math.max(best.get(unitOwner[u]) ?? -Infinity, sc));
        if (!tiled || u + 1 === units || unitOwner[u + 1] !== unitOwner[u]) cp.tick();
      }
      for (const img of [...held].sort((a, b) => a - b)) calScores.push(best.get(img)!);
    }
    // 5. The artifact.
    const training = { images: kept.length, patches: rows, skipped: skipped.length, source: source.root };
    const first = { addedImages: kept.length, addedVectors: selected.length, bankVectors: selected.length, radius, ...(tiled ? { note: `${units} tiles of ${kept.length} images` } : {}) };
    return await commitNewModel(stage, { out: o.out, fx, index, bank, choice, calibration: { scores: calScores, source: calSource }, training, searchTuning, first, skipped }, timer, o.signal);
  } catch (err) {
    await stage.abort();
    throw err;
  } finally {
    for (const ix of opened) ix.close();
    await closeFx();
  }
}
