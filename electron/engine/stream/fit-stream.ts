// `fit --stream`: the same model folder as fit(), built with bounded memory. Training images are extracted one at a
// time and their patches folded into a streaming epsilon-net (fold.ts) keyed by fit's coreset projection (same
// dimension and seed, so the recorded radius means what a coreset radius means and `update` can continue from it);
// only the kept patches' full vectors are held. The bank is held to the coreset ratio of the training patches (a
// budget: r is predicted for it, re-thinning is the safety net), unless a radius is given. The index is the day-scale
// rule's compressed IVF index (bank/index-rule.ts), so it is mapped, not copied, when the model loads. As in fit(),
// every training image reaches the bank, and calibration scores held-out training images against the bank without
// them: they are folded last, each scored just before it is folded, against a snapshot of the bank taken when they
// start. The other steps are fit's (model/fit-steps.ts).
import path from 'node:path';
import { randomProjection } from '../../../native/index';
import type { FitOptions, FitResult, SkippedFile } from '../api';
import { resolveBackends } from '../bank/backends';
import { chooseCompressedIndex } from '../bank/index-rule';
import type { KnnIndex } from '../bank/knn';
import { openFitSource } from '../data/dataset';
import type { PatchEmbedding } from '../features/embed';
import { openImageFeatures, planFeatures } from '../features/image-features';
import type { FitInternals } from '../model/fit';
import { buildIndex, calibrationScorer, commitNewModel, imageScore, indexChoice, phaseTimer, scoreValidation } from '../model/fit-steps';
import { stageModelDir } from '../model/artifact';
import { ProgressTracker, throwIfAborted } from '../progress';
import { shuffledIndices } from '../random';
import { StreamFolder } from './fold';

export interface StreamFitOptions {
  /** Coverage radius by hand (in the projected key space); default: calibrated on the warm-up images. */
  radius?: number;
  /** Warm-up images whose patches calibrate r (greedy at the coreset ratio) and train the net (default 64). */
  warmupImages?: number;
  /** Hard cap on the bank (re-thinned to 90 % of it when exceeded). */
  cap?: number;
  /** Memory budget for the index, bytes (default 1.5 GB): picks IVF-SQ8 or OPQ+IVF-PQ. */
  indexBudgetBytes?: number;
}

export async function fitStream(o: FitOptions & { stream?: StreamFitOptions }, internals: FitInternals = {}): Promise<FitResult> {
  const timer = phaseTimer();
  const note = internals.onNote ?? (() => undefined);
  const so = o.stream ?? {};
  const plan = planFeatures(o);
  const source = openFitSource(o.data);
  const backends = await resolveBackends(internals.backends);
  if (o.threads) backends.setThreads?.(o.threads);
  const fx = await openImageFeatures(o, note, plan);
  const { params, dim, patchesPerImage: ppi } = fx;
  const pdim = params.coreset.projectionDim;
  const opened: KnnIndex[] = [];
  let folder: StreamFolder | null = null;
  const stage = await stageModelDir(o.out, o.overwrite);
  try {
    // Like fit(), the bank keeps every training image. Without a validation split, the held-out images are folded
    // last, and scored first against the bank as it stands before them: the bank without those images. The images
    // are folded in a seeded random order, so the warm-up is a fair sample of the whole set and the budget's
    // prediction of the bank's growth holds (a folder sorted by product variant would make it a sample of one).
    const order = shuffledIndices(source.train.length, params.seed ^ 0x57e4);
    const heldCount = source.validation.length ? 0 : Math.max(1, Math.round(source.train.length * params.calibrationFraction));
    const firstFiles = order.slice(heldCount).map((i) => source.train[i]);
    const heldFiles = order.slice(0, heldCount).map((i) => source.train[i]);
    if (source.train.length < 1 || (heldFiles.length > 0 && firstFiles.length < 1)) {
      throw new Error(`${source.root} has too few training images for a streaming fit.`);
    }
    timer.mark('load');

    // 1. Fold every training image's patches, one image at a time.
    folder = new StreamFolder({
      dim: pdim,
      payloadDim: dim,
      radius: so.radius,
      // The stream's length is known here, so the coreset ratio becomes a vector budget, and r the radius whose net
      // is predicted to end just under it (fold.ts); the budget is also the cap, re-thinned should the data drift.
      budgetVectors: so.radius ? undefined : Math.max(1, Math.round(params.coreset.ratio * source.train.length * ppi)),
      streamVectors: source.train.length * ppi,
      cap: so.cap,
      // The budget is the bank size the offline fit would keep: re-thin to just under it, not to the default 90 %.
      rethinTo: 0.97,
      warmup: (so.warmupImages ?? 64) * ppi,
      seed: params.seed,
      signal: o.signal,
      onAlarm: (a) => note(a.message),
    });
    const f = folder;
    const progress = new ProgressTracker('extract', source.train.length, o.onProgress);
    let kept = 0;
    let visited = 0;
    const fold = async (patches: Float32Array) => {
      const keys = await randomProjection({ data: patches, rows: patches.length / dim, cols: dim }, pdim, params.seed);
      await f.push(keys, patches);
      kept++;
    };
    const tick = () => progress.set(++visited, `bank ${f.bankVectors.toLocaleString('en-US')}`);
    const skipped: SkippedFile[] = [];
    const each = (files: string[], fn: (embedding: PatchEmbedding) => Promise<void>) =>
      fx.each(files, async (_file, embedding) => fn(embedding).then(tick), { signal: o.signal, strict: o.strict, skipped });
    await each(firstFiles, (e) => fold(e.data));
    const calScores: number[] = [];
    if (heldFiles.length) {
      if (kept === 0) throw new Error(`none of the ${firstFiles.length} training images could be read.`);
      const calBank = await folder.snapshot();
      const calChoice = chooseCompressedIndex(calBank.length / dim, dim, so.indexBudgetBytes);
      const calIndex = await buildIndex(backends, dim, calChoice, calBank, { signal: o.signal });
      opened.push(calIndex);
      const calScorer = await calibrationScorer(backends, dim, calChoice.factory, calIndex, calBank, params, opened);
      await each(heldFiles, async (e) => {
        calScores.push(await imageScore(calScorer, e));
        await fold(e.data);
      });
    }
    progress.set(source.train.length);
    if (kept === 0) throw new Error(`none of the ${source.train.length} training images could be read.`);
    if (skipped.length) note(`skipped ${skipped.length} unreadable training image(s): ${skipped.map((s) => path.basename(s.path)).join(', ')}`);
    const folded = await folder.finish();
    await folder.close();
    folder = null;
    const bank = folded.payload as Float32Array;
    const vectors = bank.length / dim;
    timer.mark('fold');
    throwIfAborted(o.signal);

    // 2. The compressed index.
    const choice = indexChoice(o.index, { nprobe: o.nprobe }, () => chooseCompressedIndex(vectors, dim, so.indexBudgetBytes));
    const index = await buildIndex(backends, dim, choice, bank, o);
    opened.push(index);
    timer.mark('index');

    // 3. Calibration: the held-out scores from step 1, or the validation images against the final bank.
    if (source.validation.length) {
      const scorer = await calibrationScorer(backends, dim, choice.factory, index, bank, params, opened);
      await scoreValidation(fx, source.validation, scorer, calScores, { signal: o.signal, strict: o.strict, onProgress: o.onProgress });
    }
    // 4. The artifact (the same layout as fit's).
    const s = folded.summary;
    const calibration = { scores: calScores, source: source.validation.length ? ('validation' as const) : ('train-holdout' as const) };
    const training = { images: kept, patches: s.seen, skipped: skipped.length, source: source.root };
    const history = `streaming epsilon-net, r from ${s.radiusChoice.source}${s.rethins ? `, re-thinned ${s.rethins}×` : ''}${s.alarms.length ? `, ${s.alarms.length} growth alarm(s)` : ''}`;
    const first = { addedImages: kept, addedVectors: vectors, bankVectors: vectors, radius: s.radius, note: history };
    return await commitNewModel(stage, { out: o.out, fx, index, bank, choice, calibration, training, first, skipped }, timer, o.signal);
  } catch (err) {
    await stage.abort();
    throw err;
  } finally {
    await folder?.close();
    for (const ix of opened) ix.close();
    await fx.close();
  }
}
