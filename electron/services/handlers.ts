// The contract implemented by the workstation's services. Each handler receives a validated input and its session;
// roles, auditing and cancellation plumbing live in server.ts.
import { AppError } from '../../shared/errors';
import { CONTRACT_VERSION } from '../../shared/contract';
import type { AuditLog } from './audit';
import type { PinStore } from './auth';
import type { HotFolder } from './hotfolder';
import type { InspectionService } from './inspection';
import type { Metrics } from './metrics';
import type { ModelRegistry } from './models';
import type { RecordStore } from './records';
import type { Handlers, Topics } from './server';
import type { ThresholdService } from './thresholds';
import type { LineStation } from './station';
import { mergeStationSettings, type StationSettings } from '../../shared/settings';

export interface Services {
  appVersion: string;
  pins: PinStore;
  audit: AuditLog;
  models: ModelRegistry;
  inspection: InspectionService;
  records: RecordStore;
  hotFolder: HotFolder;
  metrics: Metrics;
  thresholds: ThresholdService;
  station: LineStation;
  /** Station settings: persisted in the app, per run in `patchline watch`; set() applies them live. */
  settings: { get(): StationSettings; set(next: StationSettings): Promise<StationSettings> };
}

function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function createHandlers(s: Services): Handlers {
  return {
    'app.hello': () => ({ contractVersion: CONTRACT_VERSION, appVersion: s.appVersion }),

    'auth.status': (_i, { session }) => session.status(s.pins),
    'auth.setupPin': async ({ pin }, { session }) => {
      if (s.pins.isSet()) throw new AppError('CONFLICT', 'An engineer PIN is already set; enter it to unlock engineer actions.');
      await s.pins.set(pin);
      session.elevate();
      return session.status(s.pins);
    },
    'auth.elevate': async ({ pin }, { session }) => {
      await s.pins.verify(pin);
      session.elevate();
      return session.status(s.pins);
    },
    'auth.dropToOperator': (_i, { session }) => {
      session.drop();
      return session.status(s.pins);
    },
    'auth.changePin': async ({ pin }, { session }) => {
      await s.pins.set(pin, { replace: true });
      return session.status(s.pins);
    },

    'models.list': () => s.models.list(),
    'models.info': ({ id }) => s.models.info(id),
    'models.train': (input, { signal, progress }) => s.models.train(input, { signal, onProgress: progress }),
    'models.load': ({ id }) => s.models.load(id),
    'models.delete': ({ id }) => s.models.delete(id),
    'models.update': async ({ id, folder }, { signal, progress }) => {
      const r = await s.models.update(id, folder, { signal, onProgress: progress });
      return { model: r.detail, version: r.version, skipped: r.skipped };
    },
    'models.rollback': async ({ id }) => {
      const r = await s.models.rollback(id);
      return { model: r.detail, version: r.version };
    },

    'inspect.file': ({ name, bytes, source }) => s.inspection.inspectEncoded(bytes, name, source),

    'hotfolder.start': ({ dir, includeExisting, recursive }) => s.hotFolder.start(dir, includeExisting, recursive),
    'hotfolder.stop': () => s.hotFolder.stop(),
    'hotfolder.status': () => s.hotFolder.status(),

    'metrics.history': () => s.metrics.getHistory(),

    'thresholds.data': ({ modelId }) => s.thresholds.data(modelId),
    'thresholds.evaluate': ({ modelId, folder }, { signal, progress }) => s.thresholds.evaluate(modelId, folder, { signal, onProgress: progress }),
    'thresholds.save': ({ modelId, threshold }) => s.models.setThreshold(modelId, threshold),

    'review.list': (filter) => s.records.list(filter),
    'review.label': ({ id, label, note }, { session }) => s.records.label(id, label, note, session.current()),
    'review.addToBank': async ({ ids }, { signal, progress }) => {
      const recs = [...new Set(ids)].map((id) => s.records.get(id));
      const notConfirmed = recs.filter((r) => r.reviewLabel !== 'false_alarm');
      if (notConfirmed.length) {
        throw new AppError('CONFLICT', `Only confirmed false alarms can be added as good; not confirmed: ${notConfirmed.map((r) => r.id).join(', ')}.`);
      }
      const modelIds = new Set(recs.map((r) => r.modelId));
      if (modelIds.size !== 1) throw new AppError('BAD_REQUEST', 'Select parts inspected by one model.');
      const modelId = recs[0].modelId;
      const todo = recs.filter((r) => !r.addedToBank);
      if (todo.length === 0) throw new AppError('CONFLICT', 'These parts are already in the memory bank.');
      const { version, manifest } = await s.models.addGood(
        modelId,
        todo.map((r) => s.records.absPath(r.imagePath)),
        { signal, onProgress: progress },
      );
      s.records.markAddedToBank(todo.map((r) => r.id));
      return { modelId, added: todo.length, bankVectors: manifest.bank.vectors, version: { ...version } };
    },

    'records.image': ({ id, kind }) => s.records.readImage(id, kind),
    'records.exportCsv': ({ from, to }) => {
      if (to <= from) throw new AppError('BAD_REQUEST', 'The period must end after it starts.');
      const { csv, rows } = s.records.exportCsv(from, to);
      return { filename: `patchline-records-${day(from)}-to-${day(to - 1)}.csv`, csv, rows };
    },

    'audit.list': ({ limit }) => s.audit.list(limit),

    'settings.get': () => s.settings.get(),
    'settings.set': (patch) => s.settings.set(mergeStationSettings(s.settings.get(), patch)),
    'settings.setAlerts': (alerts) => s.settings.set(mergeStationSettings(s.settings.get(), { alerts })),
    'station.httpToken': async () => ({ token: await s.station.http.token() }),
    'station.status': () => s.station.status(),
  };
}

export function createTopics(s: Services): Topics {
  return {
    'metrics.stream': (_ctx, emit) => s.metrics.subscribe(emit),
    'hotfolder.events': (_ctx, emit) => s.hotFolder.subscribe(emit),
    'auth.changes': ({ session }, emit) => session.onChange(() => emit(session.status(s.pins))),
  };
}
