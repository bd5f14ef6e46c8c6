// The engine's public API: what the CLI, the workstation's services, the engine worker and the benchmarks may call.
// Types only. `Engine` is the one interface: electron/engine/index.ts implements it (checked where it is defined), so
// does the services' test double, and the worker's messages are derived from it (services/worker/protocol.ts). The
// engine imports nothing from Electron.

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

export const DEVICES = ['cpu', 'cuda', 'webgpu', 'dml', 'coreml', 'auto'] as const;
export type Device = (typeof DEVICES)[number];

export type CoresetMethod = 'approx-greedy' | 'random' | 'none';

export interface FitOptions extends LongRunning {
  /**
   * Self-configuration first (`fit --auto`, the workstation's Train): σ, resize policy, taps and input size chosen on
   * held-out good images with synthetic defects (model/auto-config.ts); the choice is recorded in the manifest.
   */
  auto?: boolean;
  /** An MVTec AD category folder (uses train/good, and validation/good when present) or a plain folder of good images. */
  data: string;
  /** The model folder to create; written atomically (a temp folder renamed into place). */
  out: string;
  /** A backbone card path or id; default: the MobileNetV2-int8 card. */
  backbone?: string;
  device?: Device;
  /**
   * chunkRows: greedy on chunks of at most this many patches (0 = one pass, the reference); projectionDim: the random
   * projection the greedy distances use (the reference: 128).
   */
  coreset?: { method: CoresetMethod; ratio: number; chunkRows?: number; projectionDim?: number };
  /** Faiss factory string; default chosen from the bank size (recorded in the manifest). */
  index?: string;
  /** Nearest neighbours per patch (default 1) and the optional PatchCore Eq. 7 reweighting. */
  k?: number;
  reweight?: boolean;
  /** Treat an unreadable image as fatal instead of skipping it. */
  strict?: boolean;
  seed?: number;
  /** Tap names from the card (default taps, or optional ones such as MobileNetV2's stride-4 `339_quantized`). */
  taps?: string[];
  /** An explicit ONNX file for the backbone (checked against the card's sha256 when it has one). */
  modelFile?: string;
  /** Network input side (default: the card's, e.g. 224) and the pre-crop resize (default: 256/224 of it). */
  imageSize?: number;
  resize?: number;
  /**
   * 'letterbox' (default) fits the whole image into the square input with its aspect kept, padding the rest with the
   * card's mean; 'stretch' resizes to a square ignoring aspect, 'shorter-side' keeps aspect; both then centre-crop.
   */
  resizeMode?: 'letterbox' | 'stretch' | 'shorter-side';
  /** Resampling kernel of the pre-crop resize (default 'linear', as the reference's bilinear). */
  interpolation?: 'linear' | 'cubic' | 'lanczos3';
  /** Adaptive average pooling of the concatenated channels; default: the card's embedDimension (none for MobileNetV2). */
  embedDimension?: number | null;
  /** Images per forward pass during fit (default 16). */
  batchSize?: number;
  /** CPU threads for onnxruntime and the native kernels (default: all cores). */
  threads?: number;
  /** Fraction of train held out for calibration when there is no validation/good (default 0.1). */
  calibrationFraction?: number;
  /** Gaussian blur of the anomaly map (default 4, PatchCore's). */
  sigma?: number;
  /** Patch grid stride (default: the finest tap's); finer taps are averaged down to it. */
  gridStride?: number;
  /** Image score: the largest patch score (default, the reference) or the largest value of the blurred map. */
  imageScore?: 'patch-max' | 'map-max';
  /** Patches re-searched exactly per round behind an approximate index, for an exact image score (default 8; 0 = off). */
  exactTop?: number;
  /** Index search parameters; default chosen with the factory and recorded in the manifest. */
  efSearch?: number;
  nprobe?: number;
  /** Bank neighbours used by the Eq. 7 reweighting (default 9, as anomalib). */
  reweightNeighbors?: number;
  /** Replace an existing model folder at `out`. */
  overwrite?: boolean;
  /** High-resolution parts: each tile is one network input, tile maps stitched into one map; recorded in the model. */
  tile?: TilingSpec;
}

/** `cols × rows` tiles over the whole image, or square tiles of `size` px; neighbours overlap by `overlap` px. */
export type TilingSpec = { kind: 'grid'; cols: number; rows: number; overlap: number } | { kind: 'size'; size: number; overlap: number };

export interface FitResult {
  dir: string;
  manifest: ModelManifest;
  skipped: SkippedFile[];
  /** Wall-clock seconds per phase and in total. */
  seconds: Record<string, number>;
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
  kind: 'fit' | 'update' | 'add-good' | 'threshold' | 'rollback';
  addedImages: number;
  addedVectors: number;
  bankVectors: number;
  /** Coverage radius of the bank in the coreset's projected space (the epsilon-net radius for updates). */
  radius?: number;
  note?: string;
  /** Bank-changing versions: the files and calibration of this version, so that rollback can return to it. */
  bank?: ModelManifest['bank'];
  calibration?: Calibration;
  /** The folder an update read its images from. */
  source?: string;
  /** Set when a rollback undid this version. */
  rolledBack?: boolean;
  /** Set when this version's files were deleted (older than the versions kept for rollback). */
  filesRemoved?: boolean;
}

export interface UpdateOptions extends LongRunning {
  /** The model folder to update in place (a new version; the previous stays available to rollback). */
  model: string;
  /** A folder of new good images (or an MVTec category: its train/good and validation/good). */
  data: string;
  /** Coverage radius for the new patches; default: the radius the model records (fit's coreset, or the last update's). */
  radius?: number;
  /** Bank-changing versions whose files are kept for rollback (default 3, at least 2). */
  keepVersions?: number;
  strict?: boolean;
  device?: Device;
  threads?: number;
}

export interface UpdateResult {
  version: ModelVersion;
  /** The model's manifest as committed. */
  manifest: ModelManifest;
  skipped: SkippedFile[];
  /** Files of an interrupted earlier update (or rollback) that this run removed first. */
  discarded: string[];
  seconds: number;
}

/** Index search parameters (IVF probes, re-ranked candidates, HNSW candidate list). */
export interface SearchSetting {
  nprobe?: number;
  kFactor?: number;
  efSearch?: number;
}

/**
 * How the bank's search parameters were chosen: recall@1 of the anomaly map against exact search on held-out patches
 * (machine independent), then, per machine (CPU model + SIMD level), the fastest setting that reached the target.
 */
export interface SearchTuning {
  target: number;
  queries: number;
  /** Where the held-out queries came from. */
  source: string;
  /** Every setting measured, in order; `passing` marks the cheapest one per family that reached the target. */
  measured: { params: SearchSetting; recall: number; passing: boolean }[];
  machines: Record<string, { params: SearchSetting; ms: number; measuredAt: string }>;
}

export interface ModelManifest {
  schemaVersion: number;
  id: string;
  name: string;
  createdAt: string;
  backbone: { id: string; card: unknown; sha256: string };
  params: Record<string, unknown>;
  bank: {
    vectors: number;
    dimension: number;
    indexFactory: string;
    indexFile: string;
    indexBytes: number;
    /** Search parameters the index is used with (efSearch for HNSW, nprobe for IVF). */
    indexParams?: Record<string, number>;
    /** Why this index was chosen (size rule or user choice). */
    indexReason?: string;
    indexSha256?: string;
    /** Raw little-endian float32 bank vectors (rows × dimension), for Eq. 7 and index rebuilds. */
    bankFile?: string;
    bankSha256?: string;
    /** Search parameters chosen by measured recall of the map (bank/search-tuning.ts); per machine. */
    searchTuning?: SearchTuning;
  };
  calibration: Calibration;
  training: { images: number; patches: number; skipped: number; source: string };
  history: ModelVersion[];
  /** How `fit --auto` chose the settings (absent for a plain fit and for models written before it existed). */
  auto?: AutoConfigRecord;
}

/** One scored setting of the self-configuration grid (model/auto-config.ts). */
export interface AutoCandidate {
  resizeMode: string;
  /** Resized larger than the input and centre-cropped (the reference), or resized to the input whole. */
  crop: boolean;
  resize: number;
  imageSize: number;
  taps: string[];
  sigma: number;
  imageAuroc: number | null;
  aupro: number | null;
  /** The rule's figure: the mean of image AUROC and AUPRO (AUROC alone where AUPRO is null). */
  score: number;
  /** Seconds of the features, bank and scoring this setting needed (shared by the σ values of one feature setting). */
  seconds: number;
}

/** The self-configuration of a fit --auto: the rule, the held-out set, every setting scored, the choice and the time. */
export interface AutoConfigRecord {
  rule: string;
  seed: number;
  /** The settings the model was fitted with; null when it fell back to the plain fit's defaults. */
  choice: Omit<AutoCandidate, 'imageAuroc' | 'aupro' | 'score' | 'seconds'> | null;
  /** Why the defaults were used instead of a choice (too few images). */
  fallback?: string;
  /** Held-out good images, synthetic defective copies of them, and the good images the grid's banks were fitted on. */
  holdout?: { good: number; defective: number; fitImages: number; kinds: string[] };
  grid: AutoCandidate[];
  /** Set when the grid stopped before its last setting (the time budget), saying what was left out. */
  stoppedEarly?: string;
  /** grid and final fit wall-clock; plainEstimate: a plain fit's predicted time (from the first setting); budget: the limit. */
  seconds: { grid: number; final: number; total: number; plainEstimate?: number; budget?: number };
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
  /**
   * The part of the original image the map covers, in original pixels: the centre crop, or (letterbox) a region larger
   * than the image (negative left/top: the padding), or (tiled) the whole image.
   */
  crop?: { left: number; top: number; width: number; height: number; imageWidth: number; imageHeight: number };
  timings: { preprocessMs: number; extractMs: number; searchMs: number; mapMs: number; totalMs: number };
}

/** One part's image: raw pixels (a camera frame), encoded bytes (a file's contents) or a file. */
export type ImageInput = { kind: 'raw'; image: RawImage } | { kind: 'encoded'; bytes: Uint8Array } | { kind: 'file'; path: string };

export interface InspectOptions {
  /** The heatmap keeps the part's aspect, its long side this many cells. */
  heatmapMax: number;
  /** The part's own size where the caller knows it; otherwise the decoded image's. */
  imageSize?: { width: number; height: number };
}

/** A prediction as the workstation shows and records it: the verdict, and a heatmap on the part's own frame. */
export interface Inspection {
  score: number;
  normalizedScore: number;
  threshold: number;
  verdict: 'OK' | 'NG';
  timings: Prediction['timings'];
  /** Quantised on the threshold scale (shared/heatmap.ts), mapped onto the part's own frame. */
  heatmap: Uint8Array;
  heatmapWidth: number;
  heatmapHeight: number;
  /** The part's own size. */
  imageWidth: number;
  imageHeight: number;
}

export interface Model {
  readonly dir: string;
  readonly manifest: ModelManifest;
  predictFile(path: string): Promise<Prediction>;
  predictBuffer(encoded: Uint8Array): Promise<Prediction>;
  predictRaw(image: RawImage): Promise<Prediction>;
  /** A part's verdict and its heatmap on the part's own frame (what the line records). */
  inspect(input: ImageInput, o: InspectOptions): Promise<Inspection>;
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
  device?: Device;
  threads?: number;
}

export interface EvalImageResult {
  path: string;
  defect: string; // 'good' or the defect folder name
  label: 0 | 1;
  score: number;
  msPerImage: number;
}

/** The metrics of shared/roc.ts: null where a metric's classes are absent (no defect pixels: no pixel AUROC). */
export interface EvalResult {
  image_auroc: number;
  pixel_auroc: number | null;
  aupro: number | null;
  f1_max: number;
  f1_threshold: number;
  ms_per_image: number;
  images: EvalImageResult[];
  skipped: SkippedFile[];
  /** Median ms per stage (batch 1): extract = backbone + embedding, search = k-NN, map = scores + anomaly map. */
  stage_ms?: { extract: number; search: number; map: number };
  /** Per-defect image AUROC (each defect against the good test images). */
  per_defect?: Record<string, { images: number; image_auroc: number | null }>;
  /** Why pixel AUROC and AUPRO are null (a labelled folder without ground_truth/ masks: the usual case on a line). */
  pixel_skipped?: string;
  /** Verdicts at the model's threshold (a score at or above it is NG; defective images are the positives). */
  confusion?: { threshold: number; tp: number; fp: number; tn: number; fn: number };
  /**
   * Ground-truth defect pixels (at the masks' own resolution) that the preprocessing cut out of the network's view
   * (a centre crop), summed over the test set, and the images that lost any: defects no model could find.
   */
  cut_out?: { defect_pixels: number; of_defect_pixels: number; images: number };
  /**
   * A cropping model's pixel metrics over the whole image (its map extended past the crop, as predict and the station
   * show it), beside pixel_auroc / aupro on the crop. Letterbox and tiled models are scored on the whole image anyway.
   */
  whole_image?: { pixel_auroc: number | null; aupro: number | null };
  report?: string;
}

export interface ScoreFolderOptions extends LongRunning {
  model: string;
  /** Class folders (good/ or ok/, and one folder per defect kind), directly or under test/; masks are not needed. */
  data: string;
  device?: Device;
  threads?: number;
}

export interface ScoreFolderResult {
  images: EvalImageResult[];
  /** Unreadable images: counted, not fatal. */
  skipped: SkippedFile[];
  /** Null unless both classes were scored. */
  imageAuroc: number | null;
}

export interface RollbackOptions {
  model: string;
}

export interface RollbackResult {
  version: ModelVersion;
  manifest: ModelManifest;
}

/**
 * The engine: every call the app, the station and the CLI make to turn images into models and verdicts. Long calls
 * take their LongRunning options last (signal, onProgress), which is how a worker carries them across.
 */
export interface Engine {
  /** A model folder from good images, written atomically. */
  fit(o: FitOptions): Promise<FitResult>;
  /** Image and pixel metrics on an MVTec AD test split (masks required). */
  evaluate(o: EvalOptions): Promise<EvalResult>;
  /** Image scores of a labelled folder (no masks needed), e.g. to choose a threshold. */
  scoreFolder(o: ScoreFolderOptions): Promise<ScoreFolderResult>;
  /** A fitted model, its extractor on `device` (default cpu; 'auto' tries the accelerators present, then the CPU). */
  loadModel(dir: string, o?: { device?: Device; threads?: number }): Promise<Model>;
  /** A model folder's manifest, checked, without loading its backbone. */
  readManifest(dir: string): Promise<ModelManifest>;
  /** A folder of new good images into a model as a new version (crash-safe; earlier versions kept for rollback). */
  updateModel(o: UpdateOptions): Promise<UpdateResult>;
  /** Back to the model's previous bank-changing version. */
  rollbackModel(o: RollbackOptions): Promise<RollbackResult>;
}
