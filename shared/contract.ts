// The one IPC contract between the renderer and main (over Electron IPC or the headless host's WebSocket). Every
// request, response and event is declared here once; main validates inputs against these schemas at the boundary,
// the client is typed from them. Bump CONTRACT_VERSION on any change that an older renderer would misread.
import { z } from 'zod';
import {
  authStatusSchema,
  bytesSchema,
  auditEntrySchema,
  evaluationSummarySchema,
  hotFolderEventSchema,
  hotFolderStatusSchema,
  inspectionRecordSchema,
  inspectionResultSchema,
  metricsSampleSchema,
  modelDetailSchema,
  modelSummarySchema,
  modelVersionSchema,
  recordFilterSchema,
  reviewLabelSchema,
  roleSchema,
  sourceSchema,
  thresholdDataSchema,
} from './domain';
import { alertSettingsPatchSchema, stationSettingsPatchSchema, stationSettingsSchema, stationStatusSchema } from './settings';

export const CONTRACT_VERSION = 1;

/** Who may call a method: every session is an operator; engineer methods need the PIN (auth.elevate). */
export type Access = z.infer<typeof roleSchema>;

interface RequestDef<I extends z.ZodType, O extends z.ZodType> {
  kind: 'request';
  input: I;
  output: O;
  access: Access;
  /** Long requests report progress and honour cancel. */
  long: boolean;
  /** Engineer actions and other state changes worth keeping are written to the audit table. */
  audited: boolean;
}

interface TopicDef<I extends z.ZodType, E extends z.ZodType> {
  kind: 'topic';
  input: I;
  event: E;
}

function request<I extends z.ZodType, O extends z.ZodType>(
  input: I,
  output: O,
  opts: { access?: Access; long?: boolean; audited?: boolean } = {},
): RequestDef<I, O> {
  const access = opts.access ?? 'operator';
  return { kind: 'request', input, output, access, long: opts.long ?? false, audited: opts.audited ?? access === 'engineer' };
}

function topic<I extends z.ZodType, E extends z.ZodType>(input: I, event: E): TopicDef<I, E> {
  return { kind: 'topic', input, event };
}

const none = z.object({}).strict();
const pin = z.string().regex(/^\d{4,12}$/, 'a PIN is 4 to 12 digits');
const modelId = z.string().min(1).max(200);
const folder = z.string().min(1).max(4096);
const encodedImage = bytesSchema.refine((b) => b.byteLength > 0, 'the file is empty');

export const contract = {
  'app.hello': request(none, z.object({ contractVersion: z.number().int(), appVersion: z.string() })),

  'auth.status': request(none, authStatusSchema),
  /** First start only: sets the engineer PIN and opens an engineer session. */
  'auth.setupPin': request(z.object({ pin }).strict(), authStatusSchema, { audited: true }),
  'auth.elevate': request(z.object({ pin }).strict(), authStatusSchema, { audited: true }),
  'auth.dropToOperator': request(none, authStatusSchema),
  'auth.changePin': request(z.object({ pin }).strict(), authStatusSchema, { access: 'engineer' }),

  'models.list': request(none, z.array(modelSummarySchema)),
  'models.info': request(z.object({ id: modelId }).strict(), modelDetailSchema),
  'models.train': request(
    z
      .object({
        name: z.string().trim().min(1).max(80),
        folder,
        coresetRatio: z.number().gt(0).max(1).optional(),
        backbone: z.string().min(1).max(4096).optional(),
        /** Self-configure from the good images first (fit --auto); the Train default. false: the published defaults. */
        auto: z.boolean().default(true),
      })
      .strict(),
    modelSummarySchema,
    { access: 'engineer', long: true },
  ),
  'models.load': request(z.object({ id: modelId }).strict(), modelSummarySchema, { access: 'engineer' }),
  'models.delete': request(z.object({ id: modelId }).strict(), z.object({ id: modelId }), { access: 'engineer' }),
  /** A day's good images into a model as a new version (incremental; the previous versions are kept for rollback). */
  'models.update': request(
    z.object({ id: modelId, folder }).strict(),
    z.object({ model: modelDetailSchema, version: modelVersionSchema, skipped: z.number().int().nonnegative() }),
    { access: 'engineer', long: true },
  ),
  'models.rollback': request(z.object({ id: modelId }).strict(), z.object({ model: modelDetailSchema, version: modelVersionSchema }), {
    access: 'engineer',
  }),

  /** An encoded image: a file dropped on the window, or a camera frame the window encoded (source 'camera'). */
  'inspect.file': request(
    z.object({ name: z.string().min(1).max(400), bytes: encodedImage, source: sourceSchema.default('file') }).strict(),
    inspectionResultSchema,
  ),

  'hotfolder.start': request(
    z.object({ dir: folder, includeExisting: z.boolean().default(false), recursive: z.boolean().default(false) }).strict(),
    hotFolderStatusSchema,
    { audited: true },
  ),
  'hotfolder.stop': request(none, hotFolderStatusSchema, { audited: true }),
  'hotfolder.status': request(none, hotFolderStatusSchema),

  'metrics.history': request(none, z.array(metricsSampleSchema)),

  'thresholds.data': request(z.object({ modelId }).strict(), thresholdDataSchema),
  /** Scores a labelled folder (good/ and one folder per defect kind, optionally under test/ as in MVTec AD). */
  'thresholds.evaluate': request(z.object({ modelId, folder }).strict(), evaluationSummarySchema, {
    access: 'engineer',
    long: true,
  }),
  'thresholds.save': request(
    z.object({ modelId, threshold: z.number().positive().refine(Number.isFinite, 'must be finite') }).strict(),
    modelSummarySchema,
    { access: 'engineer' },
  ),

  'review.list': request(recordFilterSchema.strict(), z.object({ items: z.array(inspectionRecordSchema), total: z.number().int() })),
  'review.label': request(
    z.object({ id: z.number().int().positive(), label: reviewLabelSchema, note: z.string().max(2000).optional() }).strict(),
    inspectionRecordSchema,
    { audited: true },
  ),
  /** Confirmed false alarms become good examples: an incremental add to the model's memory bank. */
  'review.addToBank': request(
    z.object({ ids: z.array(z.number().int().positive()).min(1).max(500) }).strict(),
    z.object({ modelId, added: z.number().int(), bankVectors: z.number().int(), version: modelVersionSchema }),
    { access: 'engineer', long: true },
  ),

  'records.image': request(
    z.object({ id: z.number().int().positive(), kind: z.enum(['image', 'heatmap']) }).strict(),
    z.object({ mime: z.string(), bytes: bytesSchema }),
  ),
  'records.exportCsv': request(
    z.object({ from: z.number().int().nonnegative(), to: z.number().int().nonnegative() }).strict(),
    z.object({ filename: z.string(), csv: z.string(), rows: z.number().int() }),
  ),

  'audit.list': request(z.object({ limit: z.number().int().min(1).max(1000).default(100) }).strict(), z.array(auditEntrySchema), {
    access: 'engineer',
    audited: false,
  }),

  /** The station settings (line outputs, sorting, retention, alerts). */
  'settings.get': request(none, stationSettingsSchema),
  /** Any sections, each with any of its fields; applied at once (outputs started or stopped) and kept. */
  'settings.set': request(stationSettingsPatchSchema, stationSettingsSchema, { access: 'engineer' }),
  /** The operator's own switch: the audible NG alert (the rest of the settings need the engineer PIN). */
  'settings.setAlerts': request(alertSettingsPatchSchema, stationSettingsSchema, { audited: true }),
  /** The token an MES sends to the HTTP results API (Authorization: Bearer TOKEN). */
  'station.httpToken': request(none, z.object({ token: z.string() }), { access: 'engineer' }),
  /** The line outputs, sorting and disk guard as they run now, each error named. */
  'station.status': request(none, stationStatusSchema),

  // Topics: events pushed by main until the subscriber (or its window) goes away.
  'metrics.stream': topic(none, metricsSampleSchema),
  'hotfolder.events': topic(none, hotFolderEventSchema),
  'auth.changes': topic(none, authStatusSchema),
} as const;

export type Contract = typeof contract;
type Entry = Contract[keyof Contract];

export type MethodName = { [K in keyof Contract]: Contract[K] extends { kind: 'request' } ? K : never }[keyof Contract];
export type TopicName = { [K in keyof Contract]: Contract[K] extends { kind: 'topic' } ? K : never }[keyof Contract];

/** What a caller passes (defaults may be omitted). */
export type MethodInput<M extends MethodName> = z.input<Contract[M]['input']>;
/** What a handler receives, after validation and defaults. */
export type ParsedInput<M extends MethodName> = z.output<Contract[M]['input']>;
export type MethodOutput<M extends MethodName> = z.output<Contract[M] extends RequestDef<z.ZodType, infer O> ? O : never>;

export type TopicInput<T extends TopicName> = z.input<Contract[T]['input']>;
export type TopicEvent<T extends TopicName> = z.output<Contract[T] extends TopicDef<z.ZodType, infer E> ? E : never>;

export function isMethod(name: string): name is MethodName {
  return Object.hasOwn(contract, name) && (contract as Record<string, Entry>)[name].kind === 'request';
}

export function isTopic(name: string): name is TopicName {
  return Object.hasOwn(contract, name) && (contract as Record<string, Entry>)[name].kind === 'topic';
}

export function methodDef(name: MethodName): RequestDef<z.ZodType, z.ZodType> {
  return contract[name] as RequestDef<z.ZodType, z.ZodType>;
}

export function topicDef(name: TopicName): TopicDef<z.ZodType, z.ZodType> {
  return contract[name] as TopicDef<z.ZodType, z.ZodType>;
}
