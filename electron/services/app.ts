// The composition root: one workstation (database, engine workers, services, contract server) for a data folder.
// The Electron main process and the headless host both start exactly this; only the transport differs.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { openDatabase, type DB } from './db';
import { AuditLog } from './audit';
import { PinStore } from './auth';
import { RecordStore } from './records';
import { Metrics } from './metrics';
import { ModelRegistry } from './models';
import { InspectionService } from './inspection';
import { HotFolder } from './hotfolder';
import { PartJournal } from './journal';
import { Retention, type FreeSpaceProbe } from './retention';
import { LineStation, SettingsStore } from './station';
import type { MqttOutputOptions } from './outputs/mqtt';
import { DEFAULT_STATION_SETTINGS, type StationSettings } from '../../shared/settings';
import { ThresholdService } from './thresholds';
import { EngineWorker, defaultEngineModule } from './worker/engine-client';
import { ContractServer } from './server';
import { DEVICES, type Device } from '../engine/api';
import { createHandlers, createTopics, type Services } from './handlers';

export interface WorkstationOptions {
  dataDir: string;
  /** The engine module the worker threads import (default: the PatchCore engine). */
  engineModule?: string;
  appVersion?: string;
  validateOutputs?: boolean;
  maxInFlight?: number;
  hotFolderSettleMs?: number;
  /** Seconds an idle training/evaluation process stays up (default 60). */
  jobsIdleSeconds?: number;
  log?: (message: string) => void;
  /** The live extractor's device (default PATCHLINE_DEVICE, else cpu); recorded in sidecars and the station status. */
  device?: Device;
  /** Station settings for this run only (`patchline watch`); without them the app's, from the database. */
  settings?: StationSettings;
  /** Where Modbus TCP listens (default all interfaces). */
  outputHost?: string;
  mqtt?: MqttOutputOptions;
  /** Free-space probe for the disk guard (tests fake a full disk). */
  freeSpaceProbe?: FreeSpaceProbe;
}

export interface Workstation extends Services {
  dataDir: string;
  db: DB;
  server: ContractServer;
  inference: EngineWorker;
  jobs: EngineWorker;
  close(): Promise<void>;
}

export const DB_FILE = 'patchline.db';

/** PATCHLINE_DEVICE: the live extractor's device for the app and the headless host (`watch` takes --device). */
export function deviceFromEnv(env: NodeJS.ProcessEnv = process.env): Device | undefined {
  const v = env.PATCHLINE_DEVICE?.trim();
  if (!v) return undefined;
  if (!(DEVICES as readonly string[]).includes(v)) throw new Error(`PATCHLINE_DEVICE must be one of ${DEVICES.join(', ')}, got "${v}"`);
  return v as Device;
}

export async function createWorkstation(opts: WorkstationOptions): Promise<Workstation> {
  const dataDir = path.resolve(opts.dataDir);
  const device = opts.device ?? deviceFromEnv();
  mkdirSync(path.join(dataDir, 'models'), { recursive: true });
  const log = opts.log ?? ((m: string) => console.error(`[patchline] ${m}`));
  const db = openDatabase(path.join(dataDir, DB_FILE));
  // libvips keeps up to 50 MB of recent operations (process-wide, so the engine worker's decodes too) for reuse, but
  // every part is a new image: nothing is ever reused, and a line running for hours would only hold the memory.
  sharp.cache(false);
  const engineModule = opts.engineModule ?? defaultEngineModule();
  // Live inference in a worker thread (never on this, main's, thread). Training and evaluation in a child process at
  // a lower CPU priority: a fit may keep every core busy for minutes, and the window and the line must keep theirs.
  // The addon loads in worker threads now, and EngineWorker can run jobs in a niced thread, but a process keeps the
  // line faster while a fit runs (bench/job-priority.ts: part latency p95 1.07× the line alone with the fit in a niced
  // child process, 1.39× in a niced worker thread; docs/engine-api.md, "Where jobs run").
  const inference = new EngineWorker('inference', engineModule);
  const jobs = new EngineWorker('jobs', engineModule, { kind: 'process', nice: 10, idleExitMs: (opts.jobsIdleSeconds ?? 60) * 1000 });
  const metrics = new Metrics();
  const audit = new AuditLog(db);
  const pins = new PinStore(db);
  const journal = new PartJournal(db);
  const retention = new Retention(db, dataDir, DEFAULT_STATION_SETTINGS.retention, journal, { probe: opts.freeSpaceProbe, log });
  const records = new RecordStore(db, dataDir, { imagesAllowed: () => retention.imagesAllowed(), onImagesDropped: (why) => retention.imagesDropped(why) });
  const models = new ModelRegistry(db, path.join(dataDir, 'models'), inference, jobs, metrics, device);
  const inspection = new InspectionService(inference, models, records, metrics, { maxInFlight: opts.maxInFlight });
  const hotFolder = new HotFolder(
    async (bytes, name, partKey) => {
      const r = await inspection.inspectEncoded(bytes, name, 'hotfolder', { partKey });
      await records.committed(r.recordId);
      return r;
    },
    {
      settleMs: opts.hotFolderSettleMs,
      journal,
      recordOf: (key) => records.byPartKey(key),
      context: () => ({ modelVersion: models.active()?.version ?? null, device: device ?? null }),
    },
  );
  const thresholds = new ThresholdService(db, models, records, jobs);
  const appVersion = opts.appVersion ?? '0.0.0';
  const station = new LineStation({
    db,
    dataDir,
    records,
    inspection,
    models,
    hotFolder,
    retention,
    appVersion,
    device: device ?? null,
    modbusHost: opts.outputHost,
    mqtt: opts.mqtt,
    log,
  });
  // The app keeps its station settings in the database; `patchline watch` brings its own (from its flags).
  const settingsStore = opts.settings ? null : new SettingsStore(db);
  const settings = {
    get: () => station.current(),
    async set(next: StationSettings) {
      settingsStore?.set(next);
      await station.apply(next);
      return station.current();
    },
  };
  const services: Services = { appVersion, pins, audit, models, inspection, records, hotFolder, metrics, thresholds, station, settings };
  const server = new ContractServer(createHandlers(services), createTopics(services), { audit, validateOutputs: opts.validateOutputs, log });

  const swept = await records.sweepTemp();
  if (swept) log(`removed ${swept} unfinished record file(s) left by an earlier crash`);
  metrics.start();
  retention.start();
  await station.apply(opts.settings ?? settingsStore!.get());
  // Warm the active model in the background so the first part does not pay for loading it.
  if (models.active()) models.ensureLoaded().catch((e: Error) => log(`could not load the active model: ${e.message}`));

  let closed = false;
  return {
    ...services,
    dataDir,
    db,
    server,
    inference,
    jobs,
    async close() {
      if (closed) return;
      closed = true;
      hotFolder.stop();
      await hotFolder.idle();
      await station.close();
      await retention.stop();
      metrics.stop();
      server.closeAll(); // cancels what the windows had running
      await models.idle();
      await Promise.all([inference.close(), jobs.close()]);
      await records.flush();
      db.close();
    },
  };
}
