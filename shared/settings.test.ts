import { describe, expect, it } from 'vitest';
import { DEFAULT_STATION_SETTINGS, mergeStationSettings, stationSettingsPatchSchema, stationSettingsSchema } from './settings';

describe('station settings', () => {
  it('has every line output off by default, the HTTP API on this PC only', () => {
    for (const k of ['mqtt', 'opcua', 'modbus', 'http', 'sort'] as const) expect(DEFAULT_STATION_SETTINGS[k].enabled).toBe(false);
    expect(DEFAULT_STATION_SETTINGS.http.host).toBe('127.0.0.1');
  });

  it('a patch of one field keeps every other field of its section', () => {
    const current = mergeStationSettings(DEFAULT_STATION_SETTINGS, { mqtt: { enabled: true, url: 'mqtt://10.0.0.5:1883' }, retention: { keepDays: 7 } });
    const patch = stationSettingsPatchSchema.parse({ mqtt: { topic: 'line3/results' } });
    expect(patch).toEqual({ mqtt: { topic: 'line3/results' } });
    const next = mergeStationSettings(current, patch);
    expect(next.mqtt).toEqual({ enabled: true, url: 'mqtt://10.0.0.5:1883', topic: 'line3/results' });
    expect(next.retention.keepDays).toBe(7);
  });

  it('rejects a bad field by name and an unknown one', () => {
    const bad = stationSettingsPatchSchema.safeParse({ http: { port: 70000 } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0].path).toEqual(['http', 'port']);
    expect(stationSettingsPatchSchema.safeParse({ http: { prot: 80 } }).success).toBe(false);
    expect(stationSettingsPatchSchema.safeParse({ ftp: {} }).success).toBe(false);
  });

  it('settings written by an older version get the sections they lack', () => {
    const old = { mqtt: { enabled: true, url: 'mqtt://a:1', topic: 't' } };
    const s = stationSettingsSchema.parse(old);
    expect(s.mqtt.url).toBe('mqtt://a:1');
    expect(s.http).toEqual(DEFAULT_STATION_SETTINGS.http);
  });
});
