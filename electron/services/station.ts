// The line station: the station settings (shared/settings.ts) applied live to the line outputs (MQTT, OPC UA,
// Modbus, the HTTP results API), the hot folder's sorting and the retention of part images, and the station's status in one place. The app
// keeps its settings in the workstation database; `patchline watch` runs with the settings its flags say.
import path from 'node:path';
import { DEFAULT_STATION_SETTINGS, stationSettingsSchema, type StationSettings, type StationStatus } from '../../shared/settings';
import type { DB } from './db';
import type { HotFolder } from './hotfolder';
import type { InspectionService } from './inspection';
import type { ModelRegistry } from './models';
import type { RecordStore } from './records';
import type { Retention } from './retention';
import { LineState } from './outputs/payload';
import { MqttOutput, type MqttOutputOptions } from './outputs/mqtt';
import { OpcuaOutput } from './outputs/opcua';
import { ModbusOutput } from './outputs/modbus';
import { HttpOutput } from './outputs/http';

const KEY = 'station';

/** Station settings in the workstation database (one JSON row), validated on the way in and out. */
export class SettingsStore {
  constructor(private readonly db: DB) {}

  get(): StationSettings {
    const row = this.db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?').get(KEY);
    if (!row) return DEFAULT_STATION_SETTINGS;
    // A setting this version does not know is dropped, one it lacks gets its default (settings written by another version).
    const parsed = stationSettingsSchema.safeParse(JSON.parse(row.value));
    return parsed.success ? parsed.data : DEFAULT_STATION_SETTINGS;
  }

  set(s: StationSettings): void {
    this.db
      .prepare('INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at')
      .run(KEY, JSON.stringify(stationSettingsSchema.parse(s)), Date.now());
  }
}

export interface LineStationDeps {
  db: DB;
  dataDir: string;
  records: RecordStore;
  inspection: InspectionService;
  models: ModelRegistry;
  hotFolder: HotFolder;
  retention: Retention;
  appVersion: string;
  device: string | null;
  /** Where the Modbus server listens (default all interfaces). */
  modbusHost?: string;
  mqtt?: MqttOutputOptions;
  log: (m: string) => void;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export class LineStation {
  readonly line: LineState;
  readonly mqtt: MqttOutput;
  readonly opcua: OpcuaOutput;
  readonly modbus: ModbusOutput;
  readonly http: HttpOutput;
  private settings: StationSettings = DEFAULT_STATION_SETTINGS;
  private applying: Promise<void> = Promise.resolve();
  private readonly offResult: () => void;

  constructor(private readonly d: LineStationDeps) {
    this.line = new LineState(
      () => d.inspection.pending > 0,
      () => {
        const m = d.models.active();
        return m ? { id: m.id, version: m.version } : null;
      },
    );
    this.offResult = d.inspection.onResult((r) => this.line.record(r));
    this.mqtt = new MqttOutput(d.db, d.records, { log: d.log, ...d.mqtt });
    this.opcua = new OpcuaOutput(this.line, { pkiDir: path.join(d.dataDir, 'opcua-pki'), appVersion: d.appVersion, log: d.log });
    this.modbus = new ModbusOutput(this.line, { host: d.modbusHost, log: d.log });
    this.http = new HttpOutput(d.records, d.dataDir, d.log);
  }

  current(): StationSettings {
    return this.settings;
  }

  /**
   * Applies settings: each output whose section changed is started, restarted or stopped; sorting and retention take
   * effect from the next part and the next sweep. An output that cannot start reports why in status(); the station
   * goes on scoring and recording regardless.
   */
  apply(next: StationSettings): Promise<void> {
    const run = this.applying.then(() => this.applyNow(next));
    this.applying = run.catch(() => undefined);
    return run;
  }

  private async applyNow(next: StationSettings): Promise<void> {
    const prev = this.settings;
    this.settings = next;
    if (!same(prev.mqtt, next.mqtt)) {
      if (next.mqtt.enabled) this.mqtt.start(next.mqtt);
      else this.mqtt.stop({ forget: true });
    }
    if (!same(prev.opcua, next.opcua)) await (next.opcua.enabled ? this.opcua.start(next.opcua) : this.opcua.stop());
    if (!same(prev.modbus, next.modbus)) await (next.modbus.enabled ? this.modbus.start(next.modbus) : this.modbus.stop());
    if (!same(prev.http, next.http)) await (next.http.enabled ? this.http.start(next.http) : this.http.stop());
    if (!same(prev.sort, next.sort)) this.d.hotFolder.configureSort(next.sort);
    if (!same(prev.retention, next.retention)) this.d.retention.configure(next.retention);
  }

  status(): StationStatus {
    return {
      mqtt: this.mqtt.status(),
      opcua: this.opcua.status(),
      modbus: this.modbus.status(),
      http: this.http.status(),
      sorting: this.d.hotFolder.sortStatus(),
      disk: this.d.retention.status(),
      device: this.d.device,
    };
  }

  /** Stops the outputs (MQTT keeps its place in the queue for the next start). */
  async close(): Promise<void> {
    await this.applying;
    this.offResult();
    this.mqtt.stop({ forget: false });
    await Promise.all([this.opcua.stop(), this.modbus.stop(), this.http.stop()]);
  }
}
