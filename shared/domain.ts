// Domain objects as they cross the contract. Each schema is the single definition: types are inferred from it, main
// validates against it, and tests check the services' outputs against it. Times are epoch milliseconds.
import { z } from 'zod';

export const roleSchema = z.enum(['operator', 'engineer']);
export type Role = z.infer<typeof roleSchema>;

export const verdictSchema = z.enum(['OK', 'NG']);
export type Verdict = z.infer<typeof verdictSchema>;

/** Where a part's image came from. */
export const sourceSchema = z.enum(['camera', 'hotfolder', 'file']);
export type Source = z.infer<typeof sourceSchema>;

export const reviewLabelSchema = z.enum(['true_defect', 'false_alarm']);
export type ReviewLabel = z.infer<typeof reviewLabelSchema>;

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const epochMs = z.number().int().nonnegative();
/** Binary data: cloned by Electron IPC, framed by shared/codec.ts over WebSocket. */
export const bytesSchema = z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'must be binary data (a Uint8Array)');
const bytes = bytesSchema;

export const progressSchema = z.object({
  phase: z.string(),
  done: z.number().nonnegative(),
  total: z.number().nonnegative(),
  etaSeconds: z.number().nonnegative().nullable(),
  message: z.string().optional(),
});
export type Progress = z.infer<typeof progressSchema>;

/**
 * An anomaly map quantised for display: one byte per cell, value = clamp(distance / threshold, 0, 2) × 127.5, so 128
 * is the decision threshold on every part and every model (see shared/heatmap.ts).
 */
export const heatmapSchema = z.object({
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  data: bytes,
});
export type Heatmap = z.infer<typeof heatmapSchema>;

export const timingsSchema = z.object({
  preprocessMs: finite,
  extractMs: finite,
  searchMs: finite,
  mapMs: finite,
  totalMs: finite,
});

/** What every scored part has, live (InspectionResult) and recorded (InspectionRecord). */
const scoredPartFields = {
  at: epochMs,
  source: sourceSchema,
  sourceName: z.string(),
  modelId: z.string(),
  score: finite,
  normalizedScore: finite,
  threshold: finite,
  verdict: verdictSchema,
  /** Main's time from receiving the part to its verdict (queue + engine). */
  latencyMs: finite,
};

export const inspectionResultSchema = z.object({
  recordId: z.number().int().positive(),
  ...scoredPartFields,
  timings: timingsSchema,
  heatmap: heatmapSchema,
  imageWidth: z.number().int().positive(),
  imageHeight: z.number().int().positive(),
});
export type InspectionResult = z.infer<typeof inspectionResultSchema>;

export const calibrationSchema = z.object({
  quantiles: z.record(z.string(), finite),
  threshold: finite,
  images: z.number().int().nonnegative(),
  source: z.string(),
});

export const modelSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.string(),
  backbone: z.string(),
  bankVectors: z.number().int().nonnegative(),
  dimension: z.number().int().nonnegative(),
  indexType: z.string(),
  indexBytes: z.number().int().nonnegative(),
  /** The decision threshold now in force (raw score units). */
  threshold: finite,
  trainImages: z.number().int().nonnegative(),
  version: z.number().int().nonnegative(),
  active: z.boolean(),
});
export type ModelSummary = z.infer<typeof modelSummarySchema>;

export const modelVersionSchema = z.object({
  version: z.number().int(),
  createdAt: z.string(),
  kind: z.string(),
  addedImages: z.number().int(),
  addedVectors: z.number().int(),
  bankVectors: z.number().int(),
  note: z.string().optional(),
  /** The folder an update read its images from. */
  source: z.string().optional(),
  /** A later rollback undid this version. */
  rolledBack: z.boolean().optional(),
});

export const modelDetailSchema = modelSummarySchema.extend({
  calibration: calibrationSchema,
  training: z.object({ images: z.number(), patches: z.number(), skipped: z.number(), source: z.string() }),
  params: z.record(z.string(), z.unknown()),
  history: z.array(modelVersionSchema),
});
export type ModelDetail = z.infer<typeof modelDetailSchema>;

export const inspectionRecordSchema = z.object({
  id: z.number().int().positive(),
  ...scoredPartFields,
  imagePath: z.string(),
  heatmapPath: z.string(),
  reviewLabel: reviewLabelSchema.nullable(),
  reviewNote: z.string().nullable(),
  reviewedAt: epochMs.nullable(),
  reviewedBy: roleSchema.nullable(),
  addedToBank: z.boolean(),
});
export type InspectionRecord = z.infer<typeof inspectionRecordSchema>;

export const recordFilterSchema = z.object({
  from: epochMs.optional(),
  to: epochMs.optional(),
  verdict: verdictSchema.optional(),
  scoreMin: finite.optional(),
  scoreMax: finite.optional(),
  modelId: z.string().optional(),
  label: z.enum(['true_defect', 'false_alarm', 'unlabelled']).optional(),
  limit: z.number().int().min(1).max(500).default(60),
  offset: z.number().int().min(0).default(0),
});
export type RecordFilter = z.input<typeof recordFilterSchema>;

export const auditEntrySchema = z.object({
  id: z.number().int(),
  at: epochMs,
  role: roleSchema,
  action: z.string(),
  target: z.string().nullable(),
  ok: z.boolean(),
  details: z.record(z.string(), z.unknown()).nullable(),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;

export const metricsSampleSchema = z.object({
  at: epochMs,
  /** Latency and rates are over the trailing window. */
  windowSeconds: z.number().positive(),
  parts: z.number().int().nonnegative(),
  latencyP50: finite.nullable(),
  latencyP95: finite.nullable(),
  latencyP99: finite.nullable(),
  partsPerMinute: finite,
  ngRate: finite.nullable(),
  dropped: z.number().int().nonnegative(),
  bankVectors: z.number().int().nullable(),
  bankBytes: z.number().int().nullable(),
  indexType: z.string().nullable(),
  modelId: z.string().nullable(),
  rssBytes: z.number().int().nonnegative(),
  heapUsedBytes: z.number().int().nonnegative(),
});
export type MetricsSample = z.infer<typeof metricsSampleSchema>;

export const authStatusSchema = z.object({
  pinSet: z.boolean(),
  role: roleSchema,
  /** When this session's engineer rights lapse (they are renewed by every engineer action). */
  engineerUntil: epochMs.nullable(),
  /** Set while wrong PINs are throttled. */
  retryAfterMs: z.number().int().nonnegative().nullable(),
});
export type AuthStatus = z.infer<typeof authStatusSchema>;

export const hotFolderStatusSchema = z.object({
  running: z.boolean(),
  dir: z.string().nullable(),
  processed: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  lastError: z.string().nullable(),
});
export type HotFolderStatus = z.infer<typeof hotFolderStatusSchema>;

export const hotFolderEventSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('result'), file: z.string(), result: inspectionResultSchema }),
  z.object({ kind: z.literal('error'), file: z.string(), at: epochMs, message: z.string() }),
  z.object({ kind: z.literal('status'), status: hotFolderStatusSchema }),
]);
export type HotFolderEvent = z.infer<typeof hotFolderEventSchema>;

export const labelledScoreSchema = z.object({
  score: finite,
  label: z.union([z.literal(0), z.literal(1)]),
  origin: z.enum(['evaluation', 'review']),
  name: z.string(),
});
export type LabelledScore = z.infer<typeof labelledScoreSchema>;

export const thresholdDataSchema = z.object({
  modelId: z.string(),
  threshold: finite,
  calibratedThreshold: finite,
  quantiles: z.record(z.string(), finite),
  scores: z.array(labelledScoreSchema),
});
export type ThresholdData = z.infer<typeof thresholdDataSchema>;

export const evaluationSummarySchema = z.object({
  modelId: z.string(),
  folder: z.string(),
  images: z.number().int(),
  good: z.number().int(),
  defect: z.number().int(),
  skipped: z.number().int(),
  imageAuroc: finite.nullable(),
});
export type EvaluationSummary = z.infer<typeof evaluationSummarySchema>;
