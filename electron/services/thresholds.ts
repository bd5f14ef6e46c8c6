// Threshold tuning data: labelled scores from an evaluation of a labelled folder and from reviewed parts.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../shared/errors';
import type { EvaluationSummary, LabelledScore, ThresholdData } from '../../shared/domain';
import type { DB } from './db';
import type { EngineWorker } from './worker/engine-client';
import type { LongOptions, ModelRegistry } from './models';
import type { RecordStore } from './records';

export class ThresholdService {
  constructor(
    private readonly db: DB,
    private readonly models: ModelRegistry,
    private readonly records: RecordStore,
    private readonly jobs: EngineWorker,
  ) {}

  data(modelId: string): ThresholdData {
    const info = this.models.info(modelId);
    const evaluated = this.db
      .prepare<[string], { path: string; label: 0 | 1; score: number }>('SELECT path, label, score FROM evaluations WHERE model_id = ? ORDER BY path')
      .all(modelId)
      .map<LabelledScore>((r) => ({ score: r.score, label: r.label, origin: 'evaluation', name: path.basename(r.path) }));
    const reviewed = this.records
      .reviewedScores(modelId)
      .map<LabelledScore>((r) => ({ score: r.score, label: r.label === 'true_defect' ? 1 : 0, origin: 'review', name: `record ${r.id}` }));
    return {
      modelId,
      threshold: info.threshold,
      calibratedThreshold: info.calibration.threshold,
      quantiles: info.calibration.quantiles,
      scores: [...evaluated, ...reviewed],
    };
  }

  async evaluate(modelId: string, folder: string, opts: LongOptions = {}): Promise<EvaluationSummary> {
    const dir = this.models.dirOf(modelId);
    const st = await stat(folder).catch(() => null);
    if (!st?.isDirectory()) throw new AppError('NOT_FOUND', `Labelled folder not found: ${folder}`);
    let r;
    try {
      r = await this.jobs.engine.scoreFolder({ model: dir, data: folder, signal: opts.signal, onProgress: opts.onProgress });
    } catch (e) {
      throw e instanceof AppError ? e : new AppError('ENGINE', `Evaluation failed: ${(e as Error).message}`);
    }
    const now = Date.now();
    const insert = this.db.prepare('INSERT OR REPLACE INTO evaluations (model_id, path, defect, label, score, evaluated_at) VALUES (?, ?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM evaluations WHERE model_id = ?').run(modelId);
      for (const i of r.images) insert.run(modelId, i.path, i.defect, i.label, i.score, now);
    })();
    const good = r.images.filter((i) => i.label === 0).length;
    return {
      modelId,
      folder,
      images: r.images.length,
      good,
      defect: r.images.length - good,
      skipped: r.skipped.length,
      imageAuroc: r.imageAuroc,
    };
  }
}
