// TEST DOUBLE — never used by the app. A tiny engine implementing the Engine interface of electron/engine/api.ts, so
// the services, the engine worker and the contract can be tested quickly and independently of the PatchCore engine.
// It really scores images: a per-cell mean and spread of good parts on a 16 × 16 grey grid, and the anomaly map is each
// cell's z-score. Unreadable images fail with a clear error, long steps report progress and honour AbortSignal. What
// is not about scoring (data-set reading, metrics, the part's heatmap, labelled-folder scores, atomic writes) is the
// engine's own code.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { auroc, f1Max } from '../../../shared/roc';
import type {
  AnomalyMap,
  Device,
  Engine,
  EvalOptions,
  EvalResult,
  FitOptions,
  FitResult,
  LongRunning,
  Model,
  ModelManifest,
  ModelVersion,
  Prediction,
  RollbackResult,
  SkippedFile,
  UpdateOptions,
  UpdateResult,
} from '../../engine/api';
import { writeFileAtomic } from '../../engine/atomic-file';
import { openFitSource } from '../../engine/data/dataset';
import { scoreLabelledFolder } from '../../engine/model/score-folder';
import { ProgressTracker, throwIfAborted } from '../../engine/progress';
import { SourceModel, type ImageSource } from '../../engine/score/inspection';

const GRID = 16;
const MAP = 224;

interface Bank {
  count: number;
  sum: number[];
  sumSq: number[];
  threshold: number;
}

interface Grid {
  cells: Float32Array;
  width: number;
  height: number;
}

async function grid(src: ImageSource): Promise<Grid> {
  try {
    const img =
      typeof src === 'string' || src instanceof Uint8Array
        ? sharp(src)
        : sharp(src.data, { raw: { width: src.width, height: src.height, channels: src.channels } });
    const { width = 0, height = 0 } = await img.metadata();
    const px = await img.removeAlpha().greyscale().resize(GRID, GRID, { fit: 'fill' }).raw().toBuffer();
    return { cells: Float32Array.from(px, (v) => v / 255), width, height };
  } catch (e) {
    const where = typeof src === 'string' ? ` ${src}` : '';
    throw new Error(`Cannot decode image${where}: ${(e as Error).message}`, { cause: e });
  }
}

function stats(bank: Bank): { mean: Float32Array; std: Float32Array } {
  const mean = new Float32Array(GRID * GRID);
  const std = new Float32Array(GRID * GRID);
  for (let i = 0; i < mean.length; i++) {
    mean[i] = bank.sum[i] / bank.count;
    std[i] = Math.sqrt(Math.max(0, bank.sumSq[i] / bank.count - mean[i] ** 2)) + 0.03;
  }
  return { mean, std };
}

function cellMap(g: Float32Array, bank: Bank): Float32Array {
  const { mean, std } = stats(bank);
  return g.map((v, i) => Math.abs(v - mean[i]) / std[i]);
}

function upsample(cells: Float32Array): AnomalyMap {
  const data = new Float32Array(MAP * MAP);
  for (let y = 0; y < MAP; y++) {
    const row = Math.floor((y * GRID) / MAP) * GRID;
    for (let x = 0; x < MAP; x++) data[y * MAP + x] = cells[row + Math.floor((x * GRID) / MAP)];
  }
  return { width: MAP, height: MAP, data };
}

async function accumulate(bank: Bank, files: string[], opts: LongRunning & { strict?: boolean }, phase: string): Promise<SkippedFile[]> {
  const skipped: SkippedFile[] = [];
  const progress = new ProgressTracker(phase, files.length, opts.onProgress, 0);
  for (const file of files) {
    throwIfAborted(opts.signal);
    try {
      const g = (await grid(file)).cells;
      bank.count++;
      for (let j = 0; j < g.length; j++) {
        bank.sum[j] += g[j];
        bank.sumSq[j] += g[j] * g[j];
      }
    } catch (e) {
      if (opts.strict) throw e;
      skipped.push({ path: file, reason: (e as Error).message });
    }
    progress.tick();
  }
  return skipped;
}

const copyBank = (b: Bank): Bank => ({ ...b, sum: [...b.sum], sumSq: [...b.sumSq] });

async function fit(opts: FitOptions): Promise<FitResult> {
  const started = Date.now();
  const source = openFitSource(opts.data);
  const files = source.train;
  if (files.length < 2) throw new Error(`Need at least 2 good images in ${source.root}, found ${files.length}.`);
  const bank: Bank = { count: 0, sum: new Array(GRID * GRID).fill(0), sumSq: new Array(GRID * GRID).fill(0), threshold: 0 };
  const skipped = await accumulate(bank, files, opts, 'extract');
  // Calibrate on the training images themselves: the threshold sits just above the worst good part.
  const scores: number[] = [];
  for (const f of files) {
    throwIfAborted(opts.signal);
    try {
      scores.push(Math.max(...cellMap((await grid(f)).cells, bank)));
    } catch {
      // already counted as skipped
    }
  }
  scores.sort((a, b) => a - b);
  bank.threshold = scores[scores.length - 1] * 1.1;
  const q = (p: number) => scores[Math.min(scores.length - 1, Math.floor(p * (scores.length - 1)))];
  const now = new Date().toISOString();
  const vectors = bank.count * GRID * GRID;
  const bankText = JSON.stringify(bank);
  const manifest: ModelManifest = {
    schemaVersion: 1,
    id: `fake-${path.basename(opts.out)}`,
    name: path.basename(opts.out),
    createdAt: now,
    backbone: { id: 'test-double-grid16', card: null, sha256: '' },
    params: { grid: GRID },
    bank: { vectors, dimension: 1, indexFactory: 'Flat', indexFile: 'bank.json', indexBytes: bankText.length },
    calibration: {
      quantiles: { '0.5': q(0.5), '0.9': q(0.9), '0.95': q(0.95), '0.99': q(0.99), '1': q(1) },
      threshold: bank.threshold,
      images: scores.length,
      source: 'train-holdout',
    },
    training: { images: bank.count, patches: vectors, skipped: skipped.length, source: source.root },
    history: [{ version: 1, createdAt: now, kind: 'fit', addedImages: bank.count, addedVectors: vectors, bankVectors: vectors }],
  };
  const dir = path.resolve(opts.out);
  const tmp = `${dir}.${process.pid}.partial`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  await writeFile(path.join(tmp, 'bank.json'), bankText);
  await writeFile(path.join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 2));
  throwIfAborted(opts.signal);
  await rename(tmp, dir);
  return { dir, manifest, skipped, seconds: { total: (Date.now() - started) / 1000 } };
}

class FakeModel extends SourceModel implements Model {
  constructor(
    readonly dir: string,
    public manifest: ModelManifest,
    private bank: Bank,
  ) {
    super();
  }

  private predictGrid(g: Grid, t0: number): Prediction {
    const cells = cellMap(g.cells, this.bank);
    const score = Math.max(...cells);
    const threshold = this.bank.threshold;
    const totalMs = performance.now() - t0;
    return {
      score,
      normalizedScore: score / threshold,
      threshold,
      verdict: score > threshold ? 'NG' : 'OK',
      map: upsample(cells),
      crop: { left: 0, top: 0, width: g.width, height: g.height, imageWidth: g.width, imageHeight: g.height },
      timings: { preprocessMs: totalMs, extractMs: 0, searchMs: 0, mapMs: 0, totalMs },
    };
  }

  protected async predictSource(src: ImageSource): Promise<Prediction> {
    const t0 = performance.now();
    return this.predictGrid(await grid(src), t0);
  }

  mapToSize(map: AnomalyMap, width: number, height: number): AnomalyMap {
    const data = new Float32Array(width * height);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++)
        data[y * width + x] = map.data[Math.floor((y * map.height) / height) * map.width + Math.floor((x * map.width) / width)];
    return { width, height, data };
  }

  /** A new version in the history (and the bank it leaves), written atomically: bank first, the manifest commits. */
  private async commit(kind: ModelVersion['kind'], bank: Bank, addedImages: number, extra: Partial<ModelVersion> = {}, history = this.manifest.history): Promise<ModelVersion> {
    const vectors = bank.count * GRID * GRID;
    const v: ModelVersion = {
      version: Math.max(...history.map((h) => h.version)) + 1,
      createdAt: new Date().toISOString(),
      kind,
      addedImages,
      addedVectors: addedImages * GRID * GRID,
      bankVectors: vectors,
      ...extra,
    };
    const text = JSON.stringify(bank);
    const manifest: ModelManifest = {
      ...this.manifest,
      bank: { ...this.manifest.bank, vectors, indexBytes: text.length },
      calibration: { ...this.manifest.calibration, threshold: bank.threshold },
      history: [...history, v],
    };
    await writeFileAtomic(path.join(this.dir, 'bank.json'), text);
    await writeFileAtomic(path.join(this.dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
    this.bank = bank;
    this.manifest = manifest;
    return v;
  }

  async addGood(images: string[], opts: LongRunning = {}): Promise<ModelVersion> {
    const next = copyBank(this.bank);
    const skipped = await accumulate(next, images, { ...opts, strict: true }, 'update');
    return this.commit('add-good', next, images.length - skipped.length);
  }

  async setThreshold(threshold: number): Promise<void> {
    if (!(threshold > 0) || !Number.isFinite(threshold)) throw new RangeError(`threshold must be a positive number, got ${threshold}`);
    await this.commit('threshold', { ...this.bank, threshold }, 0, { note: `threshold ${threshold}` });
  }

  /** A folder of good images as a new version; the bank before it is kept beside, for rollback. */
  async update(o: UpdateOptions): Promise<UpdateResult> {
    const started = Date.now();
    const source = openFitSource(o.data);
    const files = [...source.train, ...source.validation];
    const next = copyBank(this.bank);
    const skipped = await accumulate(next, files, o, 'update');
    const version = Math.max(...this.manifest.history.map((h) => h.version)) + 1;
    await writeFileAtomic(path.join(this.dir, `before-v${version}.json`), JSON.stringify(this.bank));
    const v = await this.commit('update', next, files.length - skipped.length, { source: source.root });
    return { version: v, manifest: this.manifest, skipped, discarded: [], seconds: (Date.now() - started) / 1000 };
  }

  /** Undoes the last update that is not undone yet. */
  async rollback(): Promise<RollbackResult> {
    const last = [...this.manifest.history].reverse().find((h) => h.kind === 'update' && !h.rolledBack);
    if (!last) throw new Error(`${this.dir}: nothing to roll back to; the model has no update.`);
    const before = JSON.parse(await readFile(path.join(this.dir, `before-v${last.version}.json`), 'utf8')) as Bank;
    const history = this.manifest.history.map((h) => (h === last ? { ...h, rolledBack: true } : h));
    const v = await this.commit('rollback', before, 0, { addedVectors: 0, note: `rolled back version ${last.version}` }, history);
    return { version: v, manifest: this.manifest };
  }

  async close(): Promise<void> {}
}

async function loadModel(dir: string, o: { device?: Device } = {}): Promise<FakeModel> {
  // As the real extractor: a device this machine lacks is refused by name; auto falls back to the CPU.
  if (o.device && o.device !== 'cpu' && o.device !== 'auto') throw new Error(`The ${o.device} execution provider is not available on this machine (fake engine).`);
  let manifest: ModelManifest;
  let bank: Bank;
  try {
    manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as ModelManifest;
    bank = JSON.parse(await readFile(path.join(dir, 'bank.json'), 'utf8')) as Bank;
  } catch (e) {
    throw new Error(`Not a model folder: ${dir} (${(e as Error).message})`, { cause: e });
  }
  return new FakeModel(path.resolve(dir), manifest, bank);
}

/** Image metrics only: the double has no pixel maps worth scoring against masks. */
async function evaluate(opts: EvalOptions): Promise<EvalResult> {
  const scored = await scoreLabelledFolder(loadModel, opts);
  if (opts.strict && scored.skipped.length) throw new Error(`Cannot decode image ${scored.skipped[0].path}`);
  const scores = scored.images.map((i) => i.score);
  const labels = scored.images.map((i) => i.label);
  const f1 = f1Max(scores, labels);
  const imageAuroc = auroc(scores, labels);
  if (f1 === null || imageAuroc === null) throw new Error(`${opts.data}: metrics need good and defective test images.`);
  const ms = scored.images.map((i) => i.msPerImage).sort((a, b) => a - b);
  return {
    image_auroc: imageAuroc,
    pixel_auroc: null,
    aupro: null,
    f1_max: f1.f1,
    f1_threshold: f1.threshold,
    ms_per_image: ms[ms.length >> 1] ?? 0,
    images: scored.images,
    skipped: scored.skipped,
  };
}

export const engine: Engine = {
  fit,
  evaluate,
  scoreFolder: (o) => scoreLabelledFolder(loadModel, o),
  loadModel,
  readManifest: async (dir) => (await loadModel(dir)).manifest,
  updateModel: async (o) => (await loadModel(o.model)).update(o),
  rollbackModel: async (o) => (await loadModel(o.model)).rollback(),
};

