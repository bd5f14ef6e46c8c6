// The model registry: model folders under <data>/models, their manifests mirrored in SQLite, and which one is active
// (loaded in the inference worker). Training and evaluation run in the separate jobs worker, so the line keeps
// inspecting while a new model trains.
import { createHash } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../shared/errors';
import type { ModelDetail, ModelSummary, Progress } from '../../shared/domain';
import type { Device, ModelManifest, ModelVersion } from '../engine/api';
import type { DB } from './db';
import type { EngineWorker } from './worker/engine-client';
import type { Metrics } from './metrics';

interface Row {
  id: string;
  name: string;
  dir: string;
  created_at: string;
  manifest: string;
  threshold: number;
  calibrated_threshold: number;
  active: number;
}

export interface LongOptions {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

type VersionView = ModelDetail['history'][number];

/** A manifest's version entry as the window sees it (without the bank and calibration snapshots kept for rollback). */
function versionView(h: ModelVersion): VersionView {
  const { version, createdAt, kind, addedImages, addedVectors, bankVectors, note, source, rolledBack } = h;
  return { version, createdAt, kind, addedImages, addedVectors, bankVectors, note, source, rolledBack };
}

function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40) || 'model';
}

function stamp(d = new Date()): string {
  return d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

export class ModelRegistry {
  private training: Promise<unknown> | null = null;
  /** Models with an update or rollback running: one at a time per model. */
  private readonly versioning = new Set<string>();
  private loaded: { id: string; generation: number } | null = null;
  private loading: Promise<string> | null = null;

  constructor(
    private readonly db: DB,
    readonly modelsDir: string,
    private readonly inference: EngineWorker,
    private readonly jobs: EngineWorker,
    private readonly metrics: Metrics,
    /** The live extractor's device (the workstation's and `watch`'s setting); undefined: the engine's default, cpu. */
    private readonly device?: Device,
  ) {}

  private row(id: string): Row {
    const r = this.db.prepare<[string], Row>('SELECT * FROM models WHERE id = ?').get(id);
    if (!r) throw new AppError('NOT_FOUND', `No model "${id}".`);
    return r;
  }

  private summary(r: Row): ModelSummary {
    const m = JSON.parse(r.manifest) as ModelManifest;
    return {
      id: r.id,
      name: r.name,
      createdAt: r.created_at,
      backbone: m.backbone.id,
      bankVectors: m.bank.vectors,
      dimension: m.bank.dimension,
      indexType: m.bank.indexFactory,
      indexBytes: m.bank.indexBytes,
      threshold: r.threshold,
      trainImages: m.training.images,
      version: m.history.length ? m.history[m.history.length - 1].version : 1,
      active: r.active === 1,
    };
  }

  list(): ModelSummary[] {
    return this.db
      .prepare<[], Row>('SELECT * FROM models ORDER BY created_at DESC')
      .all()
      .map((r) => this.summary(r));
  }

  info(id: string): ModelDetail {
    const r = this.row(id);
    const m = JSON.parse(r.manifest) as ModelManifest;
    return {
      ...this.summary(r),
      calibration: { ...m.calibration, threshold: r.calibrated_threshold },
      training: m.training,
      params: m.params,
      history: m.history.map(versionView),
    };
  }

  active(): ModelSummary | null {
    const r = this.db.prepare<[], Row>('SELECT * FROM models WHERE active = 1').get();
    return r ? this.summary(r) : null;
  }

  dirOf(id: string): string {
    return this.row(id).dir;
  }

  get isTraining(): boolean {
    return this.training !== null;
  }

  /** Whether an update or rollback of this model is still running (a cancelled one until its job has stopped). */
  isVersioning(id: string): boolean {
    return this.versioning.has(id);
  }

  /** Resolves when no training is running (used before closing the database). */
  async idle(): Promise<void> {
    while (this.training) await this.training.catch(() => undefined);
  }

  async train(
    input: { name: string; folder: string; coresetRatio?: number; backbone?: string; auto?: boolean },
    opts: LongOptions = {},
  ): Promise<ModelSummary> {
    if (this.training) throw new AppError('CONFLICT', 'A model is already training. Wait for it or cancel it first.');
    let finish!: () => void;
    this.training = new Promise<void>((resolve) => (finish = resolve));
    const id = `${slug(input.name)}-${stamp()}`;
    const dir = path.join(this.modelsDir, id);
    try {
      const st = await stat(input.folder).catch(() => null);
      if (!st?.isDirectory()) throw new AppError('NOT_FOUND', `Training folder not found: ${input.folder}`);
      const { manifest } = await this.jobs.engine.fit({
        data: input.folder,
        out: dir,
        ...(input.backbone ? { backbone: input.backbone } : {}),
        ...(input.coresetRatio ? { coreset: { method: 'approx-greedy' as const, ratio: input.coresetRatio } } : {}),
        ...(input.auto ? { auto: true } : {}),
        signal: opts.signal,
        onProgress: opts.onProgress,
      });
      this.register(id, input.name, dir, manifest);
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      throw e instanceof AppError ? e : new AppError('ENGINE', `Training failed: ${(e as Error).message}`);
    } finally {
      this.training = null;
      finish();
    }
    // The first model becomes active by itself: nothing else could inspect.
    if (!this.active()) return this.load(id);
    return this.summary(this.row(id));
  }

  private register(id: string, name: string, dir: string, manifest: ModelManifest): void {
    this.db
      .prepare(
        `INSERT INTO models (id, name, dir, created_at, manifest, threshold, calibrated_threshold, active)
         VALUES (?, ?, ?, ?, ?, ?, ?, 0)`,
      )
      .run(id, name, dir, manifest.createdAt ?? new Date().toISOString(), JSON.stringify(manifest), manifest.calibration.threshold, manifest.calibration.threshold);
  }

  private updateManifest(id: string, manifest: ModelManifest): void {
    this.db.prepare('UPDATE models SET manifest = ? WHERE id = ?').run(JSON.stringify(manifest), id);
    if (this.loaded?.id === id) this.publishBank(id, manifest);
  }

  private publishBank(id: string, m: ModelManifest): void {
    this.metrics.bank = { modelId: id, bankVectors: m.bank.vectors, bankBytes: m.bank.indexBytes, indexType: m.bank.indexFactory };
  }

  async load(id: string): Promise<ModelSummary> {
    const r = this.row(id);
    const previous = this.loaded?.id;
    const { manifest } = await this.inference.load(id, r.dir, this.device);
    this.loaded = { id, generation: this.inference.generation };
    if (previous && previous !== id) await this.inference.unload(previous).catch(() => undefined);
    this.db.transaction(() => {
      this.db.prepare('UPDATE models SET active = (id = ?)').run(id);
      this.db.prepare('UPDATE models SET manifest = ? WHERE id = ?').run(JSON.stringify(manifest), id);
    })();
    this.publishBank(id, manifest);
    return this.summary(this.row(id));
  }

  /**
   * A model folder made elsewhere (`patchline fit`, another PC) registered where it is and made active; the same folder
   * again is the same model. Registry-deleting it never removes its files: they are not under the models folder.
   */
  async adopt(dir: string): Promise<ModelSummary> {
    const abs = path.resolve(dir);
    const known = this.db.prepare<[string], { id: string }>('SELECT id FROM models WHERE dir = ?').get(abs);
    if (known) return this.load(known.id);
    const st = await stat(abs).catch(() => null);
    if (!st?.isDirectory()) throw new AppError('NOT_FOUND', `Model folder not found: ${abs}`);
    const manifest = await this.inference.engine.readManifest(abs).catch((e: Error) => {
      throw new AppError('NOT_FOUND', `${abs} is not a readable model folder: ${e.message}`);
    });
    const id = `${slug(path.basename(abs))}-${createHash('sha256').update(abs).digest('hex').slice(0, 8)}`;
    this.register(id, path.basename(abs), abs, manifest);
    return this.load(id);
  }

  /** The active model's id, loading it again if the inference worker restarted since. */
  async ensureLoaded(): Promise<string> {
    if (this.loaded && this.loaded.generation === this.inference.generation) return this.loaded.id;
    if (this.loading) return this.loading;
    const active = this.active();
    if (!active) throw new AppError('NO_MODEL', 'No model is loaded. An engineer must train or load one on the Models screen.');
    this.loading = this.load(active.id)
      .then((m) => m.id)
      .finally(() => (this.loading = null));
    return this.loading;
  }

  async delete(id: string): Promise<{ id: string }> {
    const r = this.row(id);
    if (this.loaded?.id === id) {
      await this.inference.unload(id).catch(() => undefined);
      this.loaded = null;
      this.metrics.bank = null;
    }
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM models WHERE id = ?').run(id);
      this.db.prepare('DELETE FROM evaluations WHERE model_id = ?').run(id);
    })();
    // The row goes first: a crash between the two leaves an orphan folder, never a listed model without files.
    if (path.resolve(r.dir).startsWith(path.resolve(this.modelsDir) + path.sep)) await rm(r.dir, { recursive: true, force: true });
    return { id };
  }

  async setThreshold(id: string, threshold: number): Promise<ModelSummary> {
    const r = this.row(id);
    await this.inference.model(this.heldKey(id), r.dir).setThreshold(threshold);
    this.db.prepare('UPDATE models SET threshold = ? WHERE id = ?').run(threshold, id);
    this.updateManifest(id, await this.inference.engine.readManifest(r.dir));
    return this.summary(this.row(id));
  }

  /**
   * A day's good images into a model as a new version (in the jobs process: it extracts features for minutes); the
   * previous versions stay on disk for rollback. The active model is reloaded so the line scores with the new bank.
   */
  async update(id: string, folder: string, opts: LongOptions = {}): Promise<{ detail: ModelDetail; version: VersionView; skipped: number }> {
    const st = await stat(folder).catch(() => null);
    if (!st?.isDirectory()) throw new AppError('NOT_FOUND', `Folder of good images not found: ${folder}`);
    const out = await this.versioned(id, 'Updating', () => this.jobs.engine.updateModel({ model: this.row(id).dir, data: folder, signal: opts.signal, onProgress: opts.onProgress }));
    return { detail: this.info(id), version: versionView(out.version), skipped: out.skipped.length };
  }

  /** Back to the model's previous bank-changing version (and its calibration). */
  async rollback(id: string): Promise<{ detail: ModelDetail; version: VersionView }> {
    const out = await this.versioned(id, 'Rolling back', () => this.jobs.engine.rollbackModel({ model: this.row(id).dir }));
    return { detail: this.info(id), version: versionView(out.version) };
  }

  private async versioned<T extends { manifest: ModelManifest }>(id: string, what: string, run: () => Promise<T>): Promise<T> {
    this.row(id);
    if (this.versioning.has(id)) throw new AppError('CONFLICT', 'This model is already being updated or rolled back. Wait for it first.');
    this.versioning.add(id);
    try {
      const out = await run().catch((e: unknown) => {
        throw e instanceof AppError ? e : new AppError('ENGINE', `${what} the model failed: ${(e as Error).message}`);
      });
      // The manifest's calibration is the threshold in force after the change (a rollback restores the old one).
      this.db.prepare('UPDATE models SET manifest = ?, threshold = ? WHERE id = ?').run(JSON.stringify(out.manifest), out.manifest.calibration.threshold, id);
      if (this.loaded?.id === id) await this.load(id);
      return out;
    } finally {
      this.versioning.delete(id);
    }
  }

  async addGood(id: string, paths: string[], opts: LongOptions = {}): Promise<{ version: ModelVersion; manifest: ModelManifest }> {
    const r = this.row(id);
    const version = await this.inference.model(this.heldKey(id), r.dir).addGood(paths, { signal: opts.signal, onProgress: opts.onProgress });
    const manifest = await this.inference.engine.readManifest(r.dir);
    this.updateManifest(id, manifest);
    return { version, manifest };
  }

  /** The key a model has in the inference worker: its id while it is the loaded one, else a key for one call. */
  private heldKey(id: string): string {
    return this.loaded?.id === id ? id : `tmp:${id}`;
  }
}
