// The engine's public contract: what the CLI, the workstation's services, worker threads and the benchmarks may call.
// Types only; electron/engine/index.ts implements it. The engine imports nothing from Electron.

/** Where a long step stands. `etaSeconds` is null until the step has enough samples to estimate. */
export interface Progress {
  phase: string; // 'extract' | 'coreset' | 'index' | 'calibrate' | 'evaluate' | 'update' | ...
  done: number;
  total: number;
  etaSeconds: number | null;
  message?: string;
}

export interface LongRunning {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export type Device = 'cpu' | 'cuda' | 'webgpu' | 'dml' | 'coreml' | 'auto';

export type CoresetMethod = 'approx-greedy' | 'random' | 'none';

export interface FitOptions extends LongRunning {
  /** An MVTec AD category folder (uses train/good, and validation/good when present) or a plain folder of good images. */
  data: string;
  /** The model folder to create; written atomically (a temp folder renamed into place). */
  out: string;
  /** A backbone card path or id; default: the MobileNetV2-int8 card. */
  backbone?: string;
  device?: Device;
  coreset?: { method: CoresetMethod; ratio: number };
  /** Faiss factory string; default chosen from the bank size (recorded in the manifest). */
  index?: string;
  /** Nearest neighbours per patch (default 1) and the optional PatchCore Eq. 7 reweighting. */
  k?: number;
  reweight?: boolean;
  /** Treat an unreadable image as fatal instead of skipping it. */
  strict?: boolean;
  seed?: number;
}

export interface SkippedFile {
  path: string;
  reason: string;
}

export interface Calibration {
  /** Image-score quantiles of held-out good images, keyed '0.5', '0.9', '0.95', '0.99', '0.999', '1'. */
  quantiles: Record<string, number>;
  /** Default decision threshold on the raw image score. */
  threshold: number;
  images: number;
  source: 'validation' | 'train-holdout';
}

export interface ModelVersion {
  version: number;
  createdAt: string;
  kind: 'fit' | 'update' | 'add-good' | 'threshold';
  addedImages: number;
  addedVectors: number;
  bankVectors: number;
  radius?: number;
  note?: string;
}

export interface ModelManifest {
  schemaVersion: number;
  id: string;
  name: string;
  createdAt: string;
  backbone: { id: string; card: unknown; sha256: string };
  params: Record<string, unknown>;
  bank: { vectors: number; dimension: number; indexFactory: string; indexFile: string; indexBytes: number };
  calibration: Calibration;
  training: { images: number; patches: number; skipped: number; source: string };
  history: ModelVersion[];
}

/** An image already decoded into interleaved 8-bit pixels (1, 3 or 4 channels), e.g. a camera frame. */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 3 | 4;
}

export interface AnomalyMap {
  width: number;
  height: number;
  /** Row-major patch-distance map, resampled to width × height. */
  data: Float32Array;
}

export interface Prediction {
  /** Max patch score (raw distance units). */
  score: number;
  /** Score over the calibrated threshold's scale: 1.0 at the threshold. */
  normalizedScore: number;
  threshold: number;
  verdict: 'OK' | 'NG';
  /** Map at the model's input resolution (e.g. 224 × 224). */
  map: AnomalyMap;
  timings: { preprocessMs: number; extractMs: number; searchMs: number; mapMs: number; totalMs: number };
}

export interface Model {
  readonly dir: string;
  readonly manifest: ModelManifest;
  predictFile(path: string): Promise<Prediction>;
  predictBuffer(encoded: Uint8Array): Promise<Prediction>;
  predictRaw(image: RawImage): Promise<Prediction>;
  /** Resample a map to an image's own size (for overlays on the original). */
  mapToSize(map: AnomalyMap, width: number, height: number): AnomalyMap;
  /** Incremental add of confirmed-good images to the memory bank through the index's add; persisted atomically. */
  addGood(images: string[], opts?: LongRunning): Promise<ModelVersion>;
  setThreshold(threshold: number): Promise<void>;
  close(): Promise<void>;
}

export interface EvalOptions extends LongRunning {
  model: string;
  data: string;
  report?: string; // self-contained HTML report path
  strict?: boolean;
}

export interface EvalImageResult {
  path: string;
  defect: string; // 'good' or the defect folder name
  label: 0 | 1;
  score: number;
  msPerImage: number;
}

export interface EvalResult {
  image_auroc: number;
  pixel_auroc: number;
  aupro: number;
  f1_max: number;
  f1_threshold: number;
  ms_per_image: number;
  images: EvalImageResult[];
  skipped: SkippedFile[];
}
