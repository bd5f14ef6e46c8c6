// The engine's public entry: what the CLI, the workstation's services, worker threads and the benchmarks import.
// It implements the contract in api.ts and imports nothing from Electron.
export type * from './api';
export { fit, type FitInternals } from './model/fit';
export { fitStream, type StreamFitOptions } from './stream/fit-stream';
export { StreamFolder, type StreamFoldOptions, type FoldSummary, type GrowthAlarm } from './stream/fold';
export { chooseCompressedIndex } from './stream/index-rule';
export { foldFeatureFile, FOLD_FILE, type FoldFileOptions, type FoldFileRecord } from './stream/fold-file';
export { openFeatureFile, readFeatureChunks, type FeatureFile } from './stream/feature-file';
export { evaluate, writeEvalJson, type EvalInternals } from './model/evaluate';
export { updateModel, rollbackModel, type UpdateInternals } from './model/update';
export { loadModel, PatchLineModel, type LoadOptions, type Scored } from './model/model';
export { readManifest, verifyModelFiles, SCHEMA_VERSION } from './model/artifact';
export { loadCard, builtinCardIds, selectTaps, DEFAULT_BACKBONE, type BackboneCard, type TapSpec } from './backbone/card';
export { resolveModelFile, candidatePaths, modelsCacheDir, type ResolvedModel } from './backbone/resolve';
export { Extractor, autoOrder, type Provider } from './backbone/session';
export { preprocess, loadMask, decodeRgb, geometryFor, type PreprocessSpec, type Preprocessed, type Geometry } from './image/preprocess';
export { embedImage, type PatchEmbedding } from './features/embed';
export { anomalyMap, resampleMap, mapToOriginal } from './score/anomaly-map';
export { auroc, f1Max, rocCurve } from './metrics/roc';
export { pixelMetrics, labelRegions } from './metrics/pro';
export { openFitSource, openTestSet, isMvtecLayout, IMAGE_EXTENSIONS, type TestImage } from './data/dataset';
export { generateSynthetic, syntheticName, DEFECT_KINDS } from './data/synthetic';
export { chooseIndex, type IndexChoice } from './bank/index-rule';
export { overlay, encodeRgb } from './report/heatmap';
export { userCacheDir, sharedDir, projectRoot } from './paths';
