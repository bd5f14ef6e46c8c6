// The engine's public entry: what the CLI, the workstation's services, the engine worker and the benchmarks import.
// `engine` implements the Engine interface of api.ts (checked here); the rest are the parts the CLI and the benches
// use directly. Imports nothing from Electron.
import type { Engine } from './api';
import { evaluate } from './model/evaluate';
import { fit } from './model/fit';
import { autoFit } from './model/auto-config';
import { readManifest } from './model/artifact';
import { loadModel } from './model/model';
import { scoreLabelledFolder } from './model/score-folder';
import { rollbackModel, updateModel } from './model/update';

export type * from './api';

export const engine = {
  fit: (o) => (o.auto ? autoFit(o) : fit(o)),
  evaluate: (o) => evaluate(o),
  scoreFolder: (o) => scoreLabelledFolder((dir) => loadModel(dir, { device: o.device, threads: o.threads }), o),
  loadModel: (dir, o) => loadModel(dir, { device: o?.device, threads: o?.threads }),
  readManifest: async (dir) => readManifest(dir),
  updateModel: (o) => updateModel(o),
  rollbackModel: (o) => rollbackModel(o),
} satisfies Engine;

export { fit, type FitInternals } from './model/fit';
export { fitStream, type StreamFitOptions } from './stream/fit-stream';
export { StreamFolder, type StreamFoldOptions, type FoldSummary, type GrowthAlarm } from './stream/fold';
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
export { inspection, SourceModel, type ImageSource } from './score/inspection';
export { scoreLabelledFolder } from './model/score-folder';
export { auroc, f1Max, rocCurve, labelled } from '../../shared/roc';
export { pixelMetrics, labelRegions, PixelMetricsAccumulator } from './metrics/pro';
export { openFitSource, openTestSet, openLabelledSet, isMvtecLayout, type TestImage, type TestSet } from './data/dataset';
export { IMAGE_EXTENSIONS, isImageFileName } from '../../shared/images';
export { generateSynthetic, syntheticName, DEFECT_KINDS } from './data/synthetic';
export { chooseIndex, chooseCompressedIndex, netLists, listCount, type IndexChoice } from './bank/index-rule';
export { overlay, encodeRgb } from './report/heatmap';
export { userCacheDir, sharedDir, projectRoot } from './paths';
