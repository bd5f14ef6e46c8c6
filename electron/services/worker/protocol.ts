// Messages between main and an engine worker thread. The worker owns the engine (ONNX extractor, coreset, Faiss index),
// so inference and training never run on a JS thread that must stay responsive.
import type {
  EvalImageResult,
  EvalOptions,
  EvalResult,
  FitOptions,
  Model,
  ModelManifest,
  ModelVersion,
  Progress,
  RawImage,
  UpdateOptions,
  UpdateResult,
} from '../../engine/api';
import type * as Engine from '../../engine/index';

/** What an engine module exports (electron/engine/index.ts, or a test double with the same shape). */
export interface EngineModule {
  fit(opts: FitOptions): Promise<unknown>;
  loadModel(dir: string): Promise<Model>;
  evaluate(opts: EvalOptions): Promise<EvalResult>;
  /** Reads a model folder's manifest without loading its backbone (optional: loadModel + close otherwise). */
  readManifest?(dir: string): ModelManifest | Promise<ModelManifest>;
  /** A day's good images into a model, as a new version (engines with incremental updates only). */
  updateModel?(o: UpdateOptions): Promise<Pick<UpdateResult, 'version' | 'skipped'>>;
  /** Back to the model's previous bank-changing version. */
  rollbackModel?(o: { model: string }): Promise<ModelVersion>;
}

type Satisfies<T extends EngineModule> = T;
/** Compile-time check that the real engine still has every call the worker makes, with these signatures. */
export type RealEngineModule = Satisfies<typeof Engine>;

export type PredictInput =
  | { kind: 'raw'; image: RawImage }
  | { kind: 'encoded'; bytes: Uint8Array }
  | { kind: 'file'; path: string };

export type WorkerRequest =
  | {
      op: 'fit';
      data: string;
      out: string;
      backbone?: string;
      coreset?: { method: 'approx-greedy' | 'random' | 'none'; ratio: number };
      seed?: number;
    }
  | { op: 'load'; key: string; dir: string }
  | { op: 'unload'; key: string }
  /** Loads, reads and closes: the manifest of a model on disk. */
  | { op: 'manifest'; dir: string }
  /**
   * The heatmap keeps the part's aspect, its long side `heatmapMax` cells. `imageSize`: the part's own size where the
   * caller knows it; otherwise the engine's (it decodes the image anyway).
   */
  | { op: 'predict'; key: string; input: PredictInput; imageSize?: { width: number; height: number }; heatmapMax: number }
  | { op: 'addGood'; key: string; dir: string; paths: string[] }
  | { op: 'setThreshold'; key: string; dir: string; threshold: number }
  /** Image scores of a labelled folder (good/ and defect folders, optionally under test/); no pixel masks needed. */
  | { op: 'scoreFolder'; dir: string; data: string }
  /** A new version of a model from a folder of good images (incremental update); `rollback` returns to the last. */
  | { op: 'update'; dir: string; data: string }
  | { op: 'rollback'; dir: string };

export interface PredictOutput {
  score: number;
  normalizedScore: number;
  threshold: number;
  verdict: 'OK' | 'NG';
  timings: { preprocessMs: number; extractMs: number; searchMs: number; mapMs: number; totalMs: number };
  /** Quantised on the threshold scale (shared/heatmap.ts), mapped onto the part's own frame. */
  heatmap: Uint8Array;
  heatmapWidth: number;
  heatmapHeight: number;
  /** The part's own size, as decoded. */
  imageWidth: number;
  imageHeight: number;
}

export interface WorkerResults {
  fit: { manifest: ModelManifest };
  load: { manifest: ModelManifest };
  unload: { unloaded: boolean };
  manifest: { manifest: ModelManifest };
  predict: PredictOutput;
  addGood: { version: ModelVersion; manifest: ModelManifest };
  setThreshold: { manifest: ModelManifest };
  scoreFolder: { images: EvalImageResult[]; skipped: number; imageAuroc: number | null };
  update: { version: ModelVersion; manifest: ModelManifest; skipped: number };
  rollback: { version: ModelVersion; manifest: ModelManifest };
}

export type WorkerOp = WorkerRequest['op'];

export type ToWorker = { type: 'call'; id: number; req: WorkerRequest } | { type: 'cancel'; id: number };

export interface WorkerError {
  name: string;
  message: string;
}

export type FromWorker =
  | { type: 'ready' }
  | { type: 'result'; id: number; result: unknown }
  | { type: 'error'; id: number; error: WorkerError }
  | { type: 'progress'; id: number; progress: Progress };
