// The station's settings as they cross the contract (`settings.get` / `settings.set`) and as `patchline watch` reads
// them from its flags: line outputs, sorting, retention and the operator's alerts. One schema for the app and the
// headless station, so a setting means the same thing in both. Every output is off by default: nothing leaves the
// workstation until an engineer switches it on.
import { z } from 'zod';

const port = z.number().int().min(1).max(65535);

export const mqttSettingsSchema = z.object({
  enabled: z.boolean().default(false),
  /** mqtt://host:port or mqtts://host:port */
  url: z.string().max(2000).default('mqtt://127.0.0.1:1883'),
  topic: z.string().min(1).max(500).default('patchline/results'),
});

export const opcuaSettingsSchema = z.object({
  enabled: z.boolean().default(false),
  port: port.default(4840),
});

export const modbusSettingsSchema = z.object({
  enabled: z.boolean().default(false),
  port: port.default(502),
});

export const httpSettingsSchema = z.object({
  enabled: z.boolean().default(false),
  port: port.default(8765),
  /** 127.0.0.1 serves this PC only; 0.0.0.0 (or the plant network's address) lets an MES reach it. */
  host: z.string().min(1).max(255).default('127.0.0.1'),
});

export const sortSettingsSchema = z.object({
  enabled: z.boolean().default(false),
  okDir: z.string().max(4096).default(''),
  ngDir: z.string().max(4096).default(''),
  /** Parts that could not be scored, with their reason beside them. */
  errorDir: z.string().max(4096).default(''),
  /** A JSON file beside each sorted part: verdict, score, threshold, model version, timings. */
  sidecar: z.boolean().default(true),
});

export const retentionSettingsSchema = z.object({
  /** Part images older than this are deleted (0 = keep by age forever). Verdict records are always kept. */
  keepDays: z.number().int().min(0).max(3650).default(30),
  /** At most this many GB of part images (0 = no size cap); the oldest go first. */
  maxGB: z.number().min(0).max(100000).default(20),
  /** Below this much free disk the station keeps scoring and recording verdicts, without images, and warns. */
  minFreeGB: z.number().min(0).max(100000).default(2),
});

export const alertSettingsSchema = z.object({
  /** An audible alert on every NG verdict (the operator can switch it off). */
  soundOnNG: z.boolean().default(true),
});

export const stationSettingsSchema = z.object({
  mqtt: mqttSettingsSchema.default(mqttSettingsSchema.parse({})),
  opcua: opcuaSettingsSchema.default(opcuaSettingsSchema.parse({})),
  modbus: modbusSettingsSchema.default(modbusSettingsSchema.parse({})),
  http: httpSettingsSchema.default(httpSettingsSchema.parse({})),
  sort: sortSettingsSchema.default(sortSettingsSchema.parse({})),
  retention: retentionSettingsSchema.default(retentionSettingsSchema.parse({})),
  alerts: alertSettingsSchema.default(alertSettingsSchema.parse({})),
});
export type StationSettings = z.infer<typeof stationSettingsSchema>;
export type MqttSettings = z.infer<typeof mqttSettingsSchema>;
export type OpcuaSettings = z.infer<typeof opcuaSettingsSchema>;
export type ModbusSettings = z.infer<typeof modbusSettingsSchema>;
export type HttpSettings = z.infer<typeof httpSettingsSchema>;
export type SortSettings = z.infer<typeof sortSettingsSchema>;
export type RetentionSettings = z.infer<typeof retentionSettingsSchema>;

export const DEFAULT_STATION_SETTINGS: StationSettings = stationSettingsSchema.parse({});

/**
 * A section's patch: each field optional and without its default. `.partial()` alone keeps the defaults, so a patch
 * of one field would come out of parsing with every other field reset to its default.
 */
function patchOf<S extends z.ZodRawShape>(section: z.ZodObject<S>) {
  const shape = Object.fromEntries(
    Object.entries(section.shape).map(([k, v]) => [k, (v instanceof z.ZodDefault ? (v.unwrap() as z.ZodType) : (v as z.ZodType)).optional()]),
  );
  return z.object(shape).strict() as unknown as z.ZodType<Partial<z.output<z.ZodObject<S>>>>;
}

export const alertSettingsPatchSchema = patchOf(alertSettingsSchema);

/** What `settings.set` takes: any sections, each with any of its fields; the rest stays as it is. */
export const stationSettingsPatchSchema = z
  .object({
    mqtt: patchOf(mqttSettingsSchema),
    opcua: patchOf(opcuaSettingsSchema),
    modbus: patchOf(modbusSettingsSchema),
    http: patchOf(httpSettingsSchema),
    sort: patchOf(sortSettingsSchema),
    retention: patchOf(retentionSettingsSchema),
    alerts: alertSettingsPatchSchema,
  })
  .partial()
  .strict();
export type StationSettingsPatch = z.infer<typeof stationSettingsPatchSchema>;

/** The settings with a patch applied (validated again as a whole). */
export function mergeStationSettings(current: StationSettings, patch: StationSettingsPatch): StationSettings {
  const next: Record<string, unknown> = { ...current };
  for (const [k, v] of Object.entries(patch)) {
    if (v !== undefined) next[k] = { ...(current as Record<string, object>)[k], ...v };
  }
  return stationSettingsSchema.parse(next);
}

/** One line output as the station runs it: off, starting, running, or in error (the message names what failed). */
export const outputStatusSchema = z.object({
  state: z.enum(['off', 'starting', 'running', 'error']),
  /** Where it serves or publishes (URL, port). */
  endpoint: z.string().nullable(),
  error: z.string().nullable(),
});
export type OutputStatus = z.infer<typeof outputStatusSchema>;

export const stationStatusSchema = z.object({
  mqtt: outputStatusSchema.extend({
    /** Results recorded but not yet acknowledged by the broker (kept on disk while it is away). */
    queued: z.number().int().nonnegative(),
    published: z.number().int().nonnegative(),
  }),
  opcua: outputStatusSchema,
  modbus: outputStatusSchema,
  /** The HTTP results API (endpoint: its URL). */
  http: outputStatusSchema,
  sorting: z.object({
    enabled: z.boolean(),
    /** Why sorting is stopped (an OK/NG folder that cannot be written); verdicts are still recorded meanwhile. */
    halted: z.string().nullable(),
    /** Scored parts waiting in the hot folder for sorting to resume. */
    pending: z.number().int().nonnegative(),
  }),
  disk: z.object({
    freeBytes: z.number().nonnegative().nullable(),
    /** Below the free-space floor: verdicts are recorded without their images. */
    low: z.boolean(),
    imagesBytes: z.number().nonnegative(),
    warning: z.string().nullable(),
  }),
  /** The extractor device asked for (cpu, cuda, auto, …), or null for the default. */
  device: z.string().nullable(),
});
export type StationStatus = z.infer<typeof stationStatusSchema>;
