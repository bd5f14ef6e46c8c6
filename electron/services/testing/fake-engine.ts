// TEST DOUBLE — never used by the app. A tiny engine with the exact shape of electron/engine/api.ts, so the services,
// the worker thread protocol and the contract can be tested before (and independently of) the real PatchCore engine.
// It really scores images: a per-cell mean and spread of good parts on a 16 × 16 grey grid, and the anomaly map is each
// cell's z-score. Unreadable images fail with a clear error, long steps report progress and honour AbortSignal.
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type {
  AnomalyMap,
  EvalOptions,
  EvalResult,
  FitOptions,
  LongRunning,
  Model,
  ModelManifest,
  ModelVersion,
  Prediction,
  RawImage,
} from '../../engine/api';
import { writeFileAtomic } from '../../engine/atomic-file';

const GRID = 16;
const MAP = 224;
const IMAGE_EXT = /\.(png|jpe?g|bmp|tiff?|webp)$/i;

interface Bank {
  count: number;
  sum: number[];
  sumSq: number[];
  threshold: number;
}

type ImageSource = string | Uint8Array | RawImage;

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

function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw Object.assign(new Error('Cancelled.'), { name: 'AbortError' });
}

async function listImages(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  return names.filter((n) => IMAGE_EXT.test(n)).sort().map((n) => path.join(dir, n));
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(() => true, () => false);
}

async function accumulate(bank: Bank, files: string[], opts: LongRunning & { strict?: boolean }, phase: string) {
  const skipped: { path: string; reason: string }[] = [];
  const t0 = Date.now();
  for (let i = 0; i < files.length; i++) {
    checkAbort(opts.signal);
    try {
      const g = (await grid(files[i])).cells;
      bank.count++;
      for (let j = 0; j < g.length; j++) {
        bank.sum[j] += g[j];
        bank.sumSq[j] += g[j] * g[j];
      }
    } catch (e) {
      if (opts.strict) throw e;
      skipped.push({ path: files[i], reason: (e as Error).message });
    }
    const elapsed = (Date.now() - t0) / 1000;
    opts.onProgress?.({ phase, done: i + 1, total: files.length, etaSeconds: i >= 1 ? (elapsed / (i + 1)) * (files.length - i - 1) : null });
  }
  return skipped;
}

export async function fit(opts: FitOptions): Promise<ModelManifest> {
  const good = (await exists(path.join(opts.data, 'train', 'good'))) ? path.join(opts.data, 'train', 'good') : opts.data;
  if (!(await exists(good))) throw new Error(`Training folder not found: ${good}`);
  const files = await listImages(good);
  if (files.length < 2) throw new Error(`Need at least 2 good images in ${good}, found ${files.length}.`);
  const bank: Bank = { count: 0, sum: new Array(GRID * GRID).fill(0), sumSq: new Array(GRID * GRID).fill(0), threshold: 0 };
  const skipped = await accumulate(bank, files, opts, 'extract');
  // Calibrate on the training images themselves: the threshold sits just above the worst good part.
  const scores: number[] = [];
  for (const f of files) {
    checkAbort(opts.signal);
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
  const manifest: ModelManifest = {
    schemaVersion: 1,
    id: `fake-${path.basename(opts.out)}`,
    name: path.basename(opts.out),
    createdAt: now,
    backbone: { id: 'test-double-grid16', card: null, sha256: '' },
    params: { grid: GRID },
    bank: { vectors: bank.count * GRID * GRID, dimension: 1, indexFactory: 'Flat', indexFile: 'bank.json', indexBytes: 0 },
    calibration: {
      quantiles: { '0.5': q(0.5), '0.9': q(0.9), '0.95': q(0.95), '0.99': q(0.99), '1': q(1) },
      threshold: bank.threshold,
      images: scores.length,
      source: 'train-holdout',
    },
    training: { images: bank.count, patches: bank.count * GRID * GRID, skipped: skipped.length, source: good },
    history: [{ version: 1, createdAt: now, kind: 'fit', addedImages: bank.count, addedVectors: bank.count * GRID * GRID, bankVectors: bank.count * GRID * GRID }],
  };
  const tmp = `${opts.out}.${process.pid}.partial`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  const bankText = JSON.stringify(bank);
  manifest.bank.indexBytes = bankText.length;
  await writeFile(path.join(tmp, 'bank.json'), bankText);
  await writeFile(path.join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 2));
  checkAbort(opts.signal);
  await rename(tmp, opts.out);
  return manifest;
}

class FakeModel implements Model {
  constructor(
    readonly dir: string,
    public manifest: ModelManifest,
    private bank: Bank,
  ) {}

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

  async predictFile(file: string): Promise<Prediction> {
    const t0 = performance.now();
    return this.predictGrid(await grid(file), t0);
  }

  async predictBuffer(encoded: Uint8Array): Promise<Prediction> {
    const t0 = performance.now();
    return this.predictGrid(await grid(encoded), t0);
  }

  async predictRaw(image: RawImage): Promise<Prediction> {
    const t0 = performance.now();
    return this.predictGrid(await grid(image), t0);
  }

  mapToSize(map: AnomalyMap, width: number, height: number): AnomalyMap {
    const data = new Float32Array(width * height);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++)
        data[y * width + x] = map.data[Math.floor((y * map.height) / height) * map.width + Math.floor((x * map.width) / width)];
    return { width, height, data };
  }

  private async persist(): Promise<void> {
    const text = JSON.stringify(this.bank);
    this.manifest.bank.indexBytes = text.length;
    this.manifest.bank.vectors = this.bank.count * GRID * GRID;
    await writeFileAtomic(path.join(this.dir, 'bank.json'), text);
    await writeFileAtomic(path.join(this.dir, 'manifest.json'), JSON.stringify(this.manifest, null, 2));
  }

  private record(kind: ModelVersion['kind'], addedImages: number, note?: string): ModelVersion {
    const v: ModelVersion = {
      version: this.manifest.history.length + 1,
      createdAt: new Date().toISOString(),
      kind,
      addedImages,
      addedVectors: addedImages * GRID * GRID,
      bankVectors: this.bank.count * GRID * GRID,
      ...(note ? { note } : {}),
    };
    this.manifest.history.push(v);
    return v;
  }

  async addGood(images: string[], opts: LongRunning = {}): Promise<ModelVersion> {
    const next: Bank = { ...this.bank, sum: [...this.bank.sum], sumSq: [...this.bank.sumSq] };
    const skipped = await accumulate(next, images, { ...opts, strict: true }, 'update');
    this.bank = next;
    const v = this.record('add-good', images.length - skipped.length);
    await this.persist();
    return v;
  }

  async setThreshold(threshold: number): Promise<void> {
    if (!(threshold > 0) || !Number.isFinite(threshold)) throw new RangeError(`threshold must be a positive number, got ${threshold}`);
    this.bank.threshold = threshold;
    this.record('threshold', 0, `threshold ${threshold}`);
    await this.persist();
  }

  /** A folder of good images as a new version; the bank before it is kept beside, for rollback. */
  async update(folder: string, opts: LongRunning): Promise<{ version: ModelVersion; skipped: { path: string; reason: string }[] }> {
    const files = await listImages(folder);
    if (files.length === 0) throw new Error(`No images in ${folder}.`);
    const next: Bank = { ...this.bank, sum: [...this.bank.sum], sumSq: [...this.bank.sumSq] };
    const skipped = await accumulate(next, files, opts, 'update');
    const version = this.manifest.history.length + 1;
    await writeFileAtomic(path.join(this.dir, `before-v${version}.json`), JSON.stringify(this.bank));
    this.bank = next;
    const v = { ...this.record('update', files.length - skipped.length), source: folder };
    this.manifest.history[this.manifest.history.length - 1] = v;
    await this.persist();
    return { version: v, skipped };
  }

  /** Undoes the last update that is not undone yet. */
  async rollback(): Promise<ModelVersion> {
    const last = [...this.manifest.history].reverse().find((h) => h.kind === 'update' && !h.rolledBack);
    if (!last) throw new Error(`${this.dir}: nothing to roll back to; the model has no update.`);
    this.bank = JSON.parse(await readFile(path.join(this.dir, `before-v${last.version}.json`), 'utf8')) as Bank;
    last.rolledBack = true;
    const v = this.record('rollback', 0, `rolled back version ${last.version}`);
    await this.persist();
    return v;
  }

  async close(): Promise<void> {}
}

export async function updateModel(o: LongRunning & { model: string; data: string }) {
  const m = await loadModel(o.model);
  return m.update(o.data, o);
}

export async function rollbackModel(o: { model: string }): Promise<ModelVersion> {
  const m = await loadModel(o.model);
  return m.rollback();
}

export async function loadModel(dir: string): Promise<FakeModel> {
  let manifest: ModelManifest;
  let bank: Bank;
  try {
    manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as ModelManifest;
    bank = JSON.parse(await readFile(path.join(dir, 'bank.json'), 'utf8')) as Bank;
  } catch (e) {
    throw new Error(`Not a model folder: ${dir} (${(e as Error).message})`, { cause: e });
  }
  return new FakeModel(dir, manifest, bank);
}

export async function evaluate(opts: EvalOptions): Promise<EvalResult> {
  const model = await loadModel(opts.model);
  const root = (await exists(path.join(opts.data, 'test'))) ? path.join(opts.data, 'test') : opts.data;
  const folders = (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  const items: { path: string; defect: string }[] = [];
  for (const f of folders) for (const p of await listImages(path.join(root, f))) items.push({ path: p, defect: f });
  const result: EvalResult = { image_auroc: NaN, pixel_auroc: NaN, aupro: NaN, f1_max: NaN, f1_threshold: NaN, ms_per_image: 0, images: [], skipped: [] };
  const t0 = performance.now();
  for (let i = 0; i < items.length; i++) {
    checkAbort(opts.signal);
    const t = performance.now();
    try {
      const p = await model.predictFile(items[i].path);
      const label = items[i].defect === 'good' ? 0 : 1;
      result.images.push({ path: items[i].path, defect: items[i].defect, label, score: p.score, msPerImage: performance.now() - t });
    } catch (e) {
      if (opts.strict) throw e;
      result.skipped.push({ path: items[i].path, reason: (e as Error).message });
    }
    opts.onProgress?.({ phase: 'evaluate', done: i + 1, total: items.length, etaSeconds: null });
  }
  result.ms_per_image = result.images.length ? (performance.now() - t0) / result.images.length : 0;
  return result;
}
