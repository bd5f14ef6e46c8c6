// A loaded model: the backbone session, the memory-mapped index, and everything needed to score a part.
import path from 'node:path';
import { existsSync } from 'node:fs';
import type { AnomalyMap, Device, LongRunning, Model, ModelManifest, ModelVersion, Prediction } from '../api';
import { parseCard, type BackboneCard } from '../backbone/card';
import { resolveModelFile } from '../backbone/resolve';
import { Extractor } from '../backbone/session';
import { resolveBackends, type EngineBackends } from '../bank/backends';
import { exactIndexFor, oneCallVectors } from '../bank/exact-refine';
import type { IndexParams, KnnIndex } from '../bank/knn';
import { chooseForMachine, machineKey, type MachineChoice } from '../bank/search-tuning';
import { embedImage, type PatchEmbedding } from '../features/embed';
import { featureSource } from '../features/image-features';
import { preprocessTiles, stitchedSize, stitchMaps, type TiledImage } from '../features/tiling';
import { inputRegion, preprocess, type Preprocessed, type PreprocessSpec } from '../image/preprocess';
import { ProgressTracker } from '../progress';
import { mapToOriginal, resampleMap } from '../score/anomaly-map';
import { SourceModel, type ImageSource } from '../score/inspection';
import { Scorer, type PatchScores } from '../score/scorer';
import { readBank, readBankRows, readManifest, removeQuietly, verifyModelFiles, writeManifest } from './artifact';
import { concatRows, gatherRows, selectCoreset, writeBankVersion } from './fit-steps';
import { preprocessSpec, scoringParams, withDefaults, type ModelParams } from './params';

export interface LoadOptions {
  device?: Device;
  threads?: number;
  /** An explicit backbone ONNX file (still checked against the sha256 the model was fitted with). */
  modelFile?: string;
  backends?: Partial<EngineBackends>;
  onNote?: (msg: string) => void;
}

export interface Scored {
  patch: PatchScores;
  map: AnomalyMap;
  timings: { extractMs: number; searchMs: number; mapMs: number; totalMs: number };
}

export class PatchLineModel extends SourceModel implements Model {
  private bankCache: Float32Array | null = null;
  private scorer: Scorer;

  private constructor(
    readonly dir: string,
    public manifest: ModelManifest,
    readonly card: BackboneCard,
    readonly params: ModelParams,
    readonly spec: PreprocessSpec,
    readonly extractor: Extractor,
    private index: KnnIndex,
    private readonly backends: EngineBackends,
    /** Flat copy of the bank behind an approximate index that cannot refine in one call (see Scorer.refine). */
    private exact: KnnIndex | undefined,
  ) {
    super();
    this.scorer = this.makeScorer();
  }

  static async load(dir: string, o: LoadOptions = {}): Promise<PatchLineModel> {
    const root = path.resolve(dir);
    const manifest = readManifest(root);
    await verifyModelFiles(root, manifest);
    const card = parseCard(manifest.backbone.card, `${root}/manifest.json (backbone.card)`);
    const params = withDefaults(manifest.params as Partial<ModelParams>);
    const taps = params.taps.map((name) => {
      const t = [...card.taps, ...card.optionalTaps].find((x) => x.name === name);
      if (!t) throw new Error(`${root}: manifest names tap ${name}, which its backbone card lacks; the model is damaged. Fit it again.`);
      return t;
    });
    const backends = await resolveBackends(o.backends);
    if (o.threads) backends.setThreads?.(o.threads);
    const resolved = await resolveModelFile(card, { explicitPath: o.modelFile, expectedSha256: manifest.backbone.sha256 });
    const extractor = await Extractor.create(card, taps, resolved.path, { device: o.device, threads: o.threads, inputSize: params.imageSize, onNote: o.onNote });
    let index: KnnIndex;
    try {
      index = await backends.index.read(path.join(root, manifest.bank.indexFile), { mmap: true });
    } catch (err) {
      await extractor.close();
      throw new Error(`${root}: ${manifest.bank.indexFile} cannot be read (${(err as Error).message}); the index is corrupt. Fit the model again.`, { cause: err });
    }
    if (index.ntotal !== manifest.bank.vectors) {
      index.close();
      await extractor.close();
      throw new Error(`${root}: the index holds ${index.ntotal} vectors, the manifest says ${manifest.bank.vectors}; the model is damaged. Fit it again.`);
    }
    index.setParams(manifest.bank.indexParams ?? {});
    const model = new PatchLineModel(root, manifest, card, params, preprocessSpec(params, card), extractor, index, backends, undefined);
    try {
      await model.tuneForMachine(o.onNote);
      await model.openExact();
    } catch (err) {
      await model.close();
      throw err;
    }
    return model;
  }

  /**
   * The search parameters measured for this machine (CPU model + SIMD level) at fit or an earlier load; on a machine
   * the manifest has no entry for, the settings that reached the target recall at fit are timed here (well under a
   * second: a few 784-query searches each) and the fastest recorded in the manifest. A read-only model folder keeps
   * the choice in memory.
   */
  private async tuneForMachine(onNote?: (msg: string) => void): Promise<void> {
    const b = this.manifest.bank;
    const tuning = b.searchTuning;
    if (!tuning || !b.bankFile) return;
    const key = machineKey();
    let mine = tuning.machines[key];
    if (!mine) {
      const queries = readBankRows(path.join(this.dir, b.bankFile), b.vectors, b.dimension, 784);
      mine = await chooseForMachine(this.index, tuning, queries);
      const withMine = (m: ModelManifest): ModelManifest => {
        const t = m.bank.searchTuning ?? tuning;
        return { ...m, bank: { ...m.bank, searchTuning: { ...t, machines: { ...t.machines, [key]: mine as MachineChoice } } } };
      };
      try {
        // Merged into the manifest as it is now: another process may have changed it while this one timed.
        const current = readManifest(this.dir);
        if (current.bank.indexSha256 === b.indexSha256) await writeManifest(this.dir, withMine(current));
      } catch (err) {
        onNote?.(`search parameters for ${key} could not be saved in ${this.dir} (${(err as Error).message}); they are measured again on the next load`);
      }
      this.manifest = withMine(this.manifest);
    }
    this.index.setParams(mine.params);
  }

  /** The index's search parameters on this machine: the tuned ones where measured, else the fit's. */
  searchParams(): IndexParams {
    const b = this.manifest.bank;
    return b.searchTuning?.machines[machineKey()]?.params ?? b.indexParams ?? {};
  }

  private async openExact(): Promise<void> {
    const b = this.manifest.bank;
    const exact = b.bankFile ? await exactIndexFor(this.backends, b.indexFactory, b.dimension, () => this.bank(), this.params.exactTop, this.index) : undefined;
    this.exact?.close();
    this.exact = exact;
    this.scorer = this.makeScorer();
  }

  private makeScorer(): Scorer {
    const b = this.manifest.bank;
    const exactVectors = b.bankFile ? oneCallVectors(this.index, () => this.bank(), this.params.exactTop, b.vectors * b.dimension * 4) : undefined;
    return new Scorer(this.index, scoringParams(this.params), () => this.bank(), this.exact, { exactVectors });
  }

  private bank(): Float32Array {
    if (!this.bankCache) {
      const b = this.manifest.bank;
      if (!b.bankFile) throw new Error(`${this.dir}: this model has no bank file; Eq. 7 reweighting needs it. Fit it again.`);
      this.bankCache = readBank(path.join(this.dir, b.bankFile), b.vectors, b.dimension);
    }
    return this.bankCache;
  }

  get threshold(): number {
    return this.manifest.calibration.threshold;
  }

  /** Preprocessed tensor → anomaly map, batch 1: what `ms_per_image` measures. */
  async scoreTensor(tensor: Float32Array): Promise<Scored> {
    const t0 = performance.now();
    const emb = await this.embed(tensor);
    const s = await this.scoreEmbedding(emb);
    s.timings.extractMs = performance.now() - t0 - s.timings.totalMs;
    s.timings.totalMs += s.timings.extractMs;
    return s;
  }

  /** One preprocessed tensor's patch embedding (the backbone and the patch pooling). */
  async embed(tensor: Float32Array): Promise<PatchEmbedding> {
    const taps = await this.extractor.run(tensor, 1, this.params.imageSize);
    return embedImage(taps, 0, this.params.embedDimension, this.params.gridStride ?? undefined);
  }

  /** One image's embedding → its scores and anomaly map (extractMs 0: the embedding was given). */
  async scoreEmbedding(emb: PatchEmbedding): Promise<Scored> {
    const t1 = performance.now();
    const [patch] = await this.scorer.score([emb]);
    const t2 = performance.now();
    const map = this.scorer.map(patch);
    const t3 = performance.now();
    return { patch, map, timings: { extractMs: 0, searchMs: t2 - t1, mapMs: t3 - t2, totalMs: t3 - t1 } };
  }

  /** Scores embeddings already computed (batched searches; no maps). */
  async scoreEmbeddings(embeddings: PatchEmbedding[]): Promise<PatchScores[]> {
    return this.scorer.score(embeddings);
  }

  /**
   * A tiled model's scoring of one image: every tile scored alone, the tile maps stitched into one map of the whole
   * image (features/tiling.ts), the image score the maximum over the tiles; `patch` is the highest-scoring tile's.
   */
  async scoreTiled(img: TiledImage): Promise<Scored> {
    if (img.tiles.length === 0) throw new Error('a tiled image has at least one tile');
    const timings = { extractMs: 0, searchMs: 0, mapMs: 0, totalMs: 0 };
    const parts: Parameters<typeof stitchMaps>[0] = [];
    let best: PatchScores | null = null;
    for (const { tile, pre } of img.tiles) {
      const s = await this.scoreTensor(pre.tensor);
      for (const k of ['extractMs', 'searchMs', 'mapMs', 'totalMs'] as const) timings[k] += s.timings[k];
      parts.push({ tile, map: s.map, geometry: pre.geometry });
      if (!best || s.patch.score > best.score) best = s.patch;
    }
    const t0 = performance.now();
    const map = stitchMaps(parts, img, stitchedSize(img.width, img.height, img.tiles[0].tile, this.params.imageSize));
    const stitchMs = performance.now() - t0;
    timings.mapMs += stitchMs;
    timings.totalMs += stitchMs;
    return { patch: best!, map, timings };
  }

  private async predictTiled(src: ImageSource): Promise<Prediction> {
    const t0 = performance.now();
    const img = await preprocessTiles(src, this.spec, this.params.tiling!);
    const preprocessMs = performance.now() - t0;
    const whole = { left: 0, top: 0, width: img.width, height: img.height, imageWidth: img.width, imageHeight: img.height };
    return this.prediction(await this.scoreTiled(img), whole, preprocessMs);
  }

  private prediction(s: Scored, crop: NonNullable<Prediction['crop']>, preprocessMs: number): Prediction {
    const thr = this.threshold;
    return {
      score: s.patch.score,
      normalizedScore: s.patch.score / thr,
      threshold: thr,
      verdict: s.patch.score > thr ? 'NG' : 'OK',
      map: s.map,
      crop,
      timings: { preprocessMs, ...s.timings, totalMs: preprocessMs + s.timings.totalMs },
    };
  }

  async predictPreprocessed(pre: Preprocessed, preprocessMs = 0): Promise<Prediction> {
    if (this.params.tiling) throw new Error(`${this.dir} is a tiled model: predict whole images (predictFile, predictBuffer, predictRaw), not one preprocessed input`);
    return this.prediction(await this.scoreTensor(pre.tensor), inputRegion(pre.geometry), preprocessMs);
  }

  protected async predictSource(src: ImageSource): Promise<Prediction> {
    if (this.params.tiling) return this.predictTiled(src);
    const t0 = performance.now();
    const pre = await preprocess(src, this.spec);
    return this.predictPreprocessed(pre, performance.now() - t0);
  }

  mapToSize(map: AnomalyMap, width: number, height: number): AnomalyMap {
    return resampleMap(map, width, height);
  }

  /** The map placed on the original image (the crop region mapped back, edges extended beyond it). */
  mapToOriginal(map: AnomalyMap, pre: Preprocessed): AnomalyMap {
    return mapToOriginal(map, pre.geometry);
  }

  async addGood(images: string[], opts: LongRunning = {}): Promise<ModelVersion> {
    const p = this.params;
    const dim = this.manifest.bank.dimension;
    const chunks: Float32Array[] = [];
    let read = 0;
    const progress = new ProgressTracker('update', images.length, opts.onProgress);
    const skipped = await featureSource(this).each(
      images,
      (_file, embedding, part) => {
        // One chunk per network input: per tile for a tiled model.
        chunks.push(embedding.data);
        if (part.tile === part.tiles - 1) {
          read++;
          progress.tick();
        }
      },
      { signal: opts.signal },
    );
    if (chunks.length === 0) throw new Error(`none of the ${images.length} image(s) could be read: ${skipped.map((s) => `${s.path} (${s.reason})`).join('; ')}`);
    const fresh = concatRows(chunks);
    // The same coreset rule as the fit, applied to the new patches only, in one pass; a random coreset draws anew
    // for each version.
    const { indices: pick, radius } = await selectCoreset(
      this.backends,
      fresh,
      { images: chunks.length, perImage: fresh.length / dim / chunks.length, dim },
      { coreset: { ...p.coreset, chunkRows: 0 }, seed: p.seed, randomSeed: p.seed + this.manifest.history.length },
      { signal: opts.signal },
    );
    const added = gatherRows(fresh, dim, pick);

    // Updates never touch the files the current manifest points at: new files first, then the manifest swap.
    const b = this.manifest.bank;
    const bank = concatRows([this.bank(), added]);
    const { version, bank: section } = await writeBankVersion(this.backends, this.dir, this.manifest, added, bank);
    const entry: ModelVersion = {
      version,
      createdAt: new Date().toISOString(),
      kind: 'add-good',
      addedImages: read,
      addedVectors: pick.length,
      bankVectors: b.vectors + pick.length,
      radius,
      note: skipped.length ? `skipped ${skipped.length} unreadable image(s)` : undefined,
    };
    const old = { index: b.indexFile, bank: b.bankFile };
    const next: ModelManifest = { ...this.manifest, bank: section, history: [...this.manifest.history, entry] };
    await writeManifest(this.dir, next);
    const reopened = await this.backends.index.read(path.join(this.dir, section.indexFile), { mmap: true });
    reopened.setParams(this.searchParams());
    this.index.close();
    this.index = reopened;
    this.manifest = next;
    this.bankCache = bank;
    await this.openExact();
    for (const f of [old.index, old.bank]) if (f && f !== section.indexFile && f !== section.bankFile && existsSync(path.join(this.dir, f))) await removeQuietly(path.join(this.dir, f));
    return entry;
  }

  async setThreshold(threshold: number): Promise<void> {
    if (!(Number.isFinite(threshold) && threshold > 0)) throw new Error(`threshold must be a positive number, got ${threshold}`);
    const prev = this.manifest.calibration.threshold;
    const version = Math.max(...this.manifest.history.map((h) => h.version)) + 1;
    const next: ModelManifest = {
      ...this.manifest,
      calibration: { ...this.manifest.calibration, threshold },
      history: [
        ...this.manifest.history,
        { version, createdAt: new Date().toISOString(), kind: 'threshold', addedImages: 0, addedVectors: 0, bankVectors: this.manifest.bank.vectors, note: `threshold ${prev} → ${threshold}` },
      ],
    };
    await writeManifest(this.dir, next);
    this.manifest = next;
  }

  async close(): Promise<void> {
    this.index.close();
    this.exact?.close();
    this.exact = undefined;
    await this.extractor.close();
  }
}

export function loadModel(dir: string, o: LoadOptions = {}): Promise<PatchLineModel> {
  return PatchLineModel.load(dir, o);
}
