// `fit --stream`: the same model folder as fit(), built with bounded memory. Training images are extracted one at a
// time and their patches folded into a streaming epsilon-net (fold.ts) keyed by fit's coreset projection (same
// dimension and seed, so the recorded radius means what a coreset radius means and `update` can continue from it);
// only the kept patches' full vectors are held. The bank is held to the coreset ratio of the training patches (a
// budget enforced by re-thinning), unless a radius is given. The index is the day-scale rule's compressed IVF index
// (index-rule.ts), so it is mapped, not copied, when the model loads. Calibration scores held-out good images (never
// folded) against the final index, exactly as fit's train-holdout calibration does.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { randomProjection } from '../../../native/index';
import type { FitOptions, FitResult, ModelManifest, SkippedFile } from '../api';
import { resolveBackends } from '../bank/backends';
import type { IndexChoice } from '../bank/index-rule';
import { defaultParams } from '../bank/index-rule';
import type { KnnIndex } from '../bank/knn';
import { openFitSource } from '../data/dataset';
import { buildIndex, type FitInternals } from '../model/fit';
import { SCHEMA_VERSION, stageModelDir, writeBankFiles } from '../model/artifact';
import { calibrate } from '../model/calibration';
import { scoringParams } from '../model/params';
import { ProgressTracker, throwIfAborted } from '../progress';
import { rng } from '../random';
import { Scorer } from '../score/scorer';
import { StreamFolder } from './fold';
import { openImageFeatures } from './image-features';
import { chooseCompressedIndex } from './index-rule';

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

/** count of n image positions, seeded: the held-out calibration images. */
function heldOut(n: number, fraction: number, seed: number): Set<number> {
  const order = Array.from({ length: n }, (_, i) => i);
  const rand = rng(seed ^ 0x57e4);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return new Set(order.slice(0, Math.max(1, Math.round(n * fraction))));
}

export async function fitStream(o: FitOptions & { stream?: StreamFitOptions }, internals: FitInternals = {}): Promise<FitResult> {
  const started = Date.now();
  const seconds: Record<string, number> = {};
  let lap = started;
  const mark = (phase: string) => {
    seconds[phase] = (Date.now() - lap) / 1000;
    lap = Date.now();
  };
  const note = internals.onNote ?? (() => undefined);
  const so = o.stream ?? {};
  const source = openFitSource(o.data);
  const backends = await resolveBackends(internals.backends);
  if (o.threads) backends.setThreads?.(o.threads);
  const fx = await openImageFeatures(o, note);
  const { params, dim, grid, patchesPerImage: ppi } = fx;
  const pdim = params.coreset.projectionDim;
  const opened: KnnIndex[] = [];
  let folder: StreamFolder | null = null;
  const stage = await stageModelDir(o.out, o.overwrite);
  try {
    const held = source.validation.length ? new Set<number>() : heldOut(source.train.length, params.calibrationFraction, params.seed);
    const trainFiles = source.train.filter((_, i) => !held.has(i));
    const calFiles = source.validation.length ? source.validation : source.train.filter((_, i) => held.has(i));
    if (trainFiles.length < 1) throw new Error(`${source.root} has too few training images for a streaming fit.`);
    mark('load');

    // 1. Fold every training image's patches, one image at a time.
    folder = new StreamFolder({
      dim: pdim,
      payloadDim: dim,
      radius: so.radius,
      // The stream's length is known here, so the coreset ratio becomes a vector budget: r starts at the greedy
      // radius of the warm-up at min(budget/2, warm-up/4) centres and the bank is re-thinned whenever it outgrows it.
      budgetVectors: so.radius ? undefined : Math.max(1, Math.round(params.coreset.ratio * trainFiles.length * ppi)),
      cap: so.cap,
      // The budget is the bank size the offline fit would keep: re-thin to just under it, not to the default 90 %.
      rethinTo: 0.97,
      warmup: (so.warmupImages ?? 64) * ppi,
      seed: params.seed,
      signal: o.signal,
      onAlarm: (a) => note(a.message),
    });
    const f = folder;
    const progress = new ProgressTracker('extract', trainFiles.length, o.onProgress);
    let kept = 0;
    const skipped: SkippedFile[] = await fx.each(
      trainFiles,
      async (_file, patches) => {
        const keys = await randomProjection({ data: patches, rows: patches.length / dim, cols: dim }, pdim, params.seed);
        await f.push(keys, patches);
        kept++;
        progress.set(kept, `bank ${f.bankVectors.toLocaleString('en-US')}`);
      },
      { signal: o.signal, strict: o.strict },
    );
    progress.set(trainFiles.length);
    if (kept === 0) throw new Error(`none of the ${trainFiles.length} training images could be read.`);
    if (skipped.length) note(`skipped ${skipped.length} unreadable training image(s): ${skipped.map((s) => path.basename(s.path)).join(', ')}`);
    const folded = await folder.finish();
    await folder.close();
    folder = null;
    const bank = folded.payload as Float32Array;
    const vectors = bank.length / dim;
    mark('fold');
    throwIfAborted(o.signal);

    // 2. The compressed index.
    const rule = chooseCompressedIndex(vectors, dim, so.indexBudgetBytes);
    const choice: IndexChoice = o.index ? { factory: o.index, params: defaultParams(o.index), reason: 'given with --index' } : rule;
    if (o.nprobe) choice.params.nprobe = o.nprobe;
    const ip = new ProgressTracker('index', 1, o.onProgress);
    const index = await buildIndex(backends, dim, choice, bank, o.signal);
    opened.push(index);
    ip.set(1, choice.factory);
    mark('index');

    // 3. Calibration on good images the bank never saw.
    const scorer = new Scorer(index, scoringParams(params), () => bank);
    const calScores: number[] = [];
    const cp = new ProgressTracker('calibrate', calFiles.length, o.onProgress);
    await fx.each(
      calFiles,
      async (_file, data) => {
        calScores.push((await scorer.score([{ data, gridH: grid, gridW: grid, dim }]))[0].score);
        cp.tick();
      },
      { signal: o.signal, strict: o.strict },
    );
    if (calScores.length === 0) throw new Error('no calibration image could be read');
    const calibration = calibrate(calScores, source.validation.length ? 'validation' : 'train-holdout');
    mark('calibrate');
    throwIfAborted(o.signal);

    // 4. The artifact (the same layout as fit's).
    const bankInfo = await writeBankFiles(stage.dir, index, bank, { vectors: vectors, dimension: dim, ...choice });
    const createdAt = new Date().toISOString();
    const s = folded.summary;
    const manifest: ModelManifest = {
      schemaVersion: SCHEMA_VERSION,
      id: randomUUID(),
      name: path.basename(path.resolve(o.out)),
      createdAt,
      backbone: { id: fx.card.id, card: fx.card, sha256: fx.sha256 },
      params: { ...params },
      bank: bankInfo,
      calibration,
      training: { images: kept, patches: s.seen, skipped: skipped.length, source: source.root },
      history: [
        {
          version: 1,
          createdAt,
          kind: 'fit',
          addedImages: kept,
          addedVectors: vectors,
          bankVectors: vectors,
          radius: s.radius,
          note: `streaming epsilon-net, r from ${s.radiusChoice.source}${s.rethins ? `, re-thinned ${s.rethins}×` : ''}${s.alarms.length ? `, ${s.alarms.length} growth alarm(s)` : ''}`,
        },
      ],
    };
    const dir = await stage.commit(manifest);
    mark('write');
    seconds.total = (Date.now() - started) / 1000;
    return { dir, manifest, skipped, seconds };
  } catch (err) {
    await stage.abort();
    throw err;
  } finally {
    await folder?.close();
    for (const ix of opened) ix.close();
    await fx.close();
  }
}
