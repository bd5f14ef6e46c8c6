// The station settings through the contract (settings.get for operators, settings.set for engineers, audited), applied
// live to the line outputs and kept in the workstation database; a port that cannot be opened is named in
// station.status while the station goes on scoring and recording.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:net';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import ModbusRTU from 'modbus-serial';
import { createWorkstation, type Workstation } from './app';
import { createClient, type Client } from '../../shared/client';
import { DEFAULT_STATION_SETTINGS } from '../../shared/settings';
import { inMemoryBridge } from './testing/in-memory-bridge';
import { datasetImages, fakeEngineModule, goodFolder, tempDir } from './testing/fixtures';
import { freePort } from './testing/mosquitto';

let ws: Workstation;
let dataDir: string;
let engineer: Client;
let operator: Client;
let blocker: Server;
let blockedPort: number;

const open = (w: Workstation) => createClient(inMemoryBridge(w.server).bridge);
const start = (dir: string) => createWorkstation({ dataDir: dir, engineModule: fakeEngineModule, validateOutputs: true, outputHost: '127.0.0.1', log: () => {} });

beforeAll(async () => {
  dataDir = await tempDir('station');
  ws = await start(dataDir);
  engineer = open(ws);
  operator = open(ws);
  await engineer.call('auth.setupPin', { pin: '2468' });
  await engineer.call('models.train', { name: 'Tile', folder: await goodFolder(8) });
  blocker = createServer();
  blockedPort = await freePort();
  await new Promise<void>((r) => blocker.listen(blockedPort, '127.0.0.1', () => r()));
});

afterAll(async () => {
  await ws.close();
  await new Promise((r) => blocker.close(r));
});

async function readCoils(port: number): Promise<boolean[]> {
  const c = new ModbusRTU();
  await c.connectTCP('127.0.0.1', { port });
  c.setID(1);
  try {
    return (await c.readCoils(0, 3)).data.slice(0, 3);
  } finally {
    await new Promise<void>((r) => c.close(() => r()));
  }
}

describe('station settings over the contract', () => {
  it('lets an operator read the settings (all outputs off) but only an engineer change them, audited', async () => {
    await expect(operator.call('settings.get', {})).resolves.toEqual(DEFAULT_STATION_SETTINGS);
    await expect(operator.call('settings.set', { modbus: { enabled: true } })).rejects.toMatchObject({ code: 'PIN_REQUIRED' });
    await expect(engineer.call('settings.set', { modbus: { port: 70000 } })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('modbus.port') });
    await expect(engineer.call('settings.set', { mqtt: { qos: 2 } } as never)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    const st = await operator.call('station.status', {});
    expect(st).toMatchObject({ mqtt: { state: 'off', queued: 0 }, opcua: { state: 'off' }, modbus: { state: 'off' }, sorting: { enabled: false }, disk: { low: false } });
    expect(ws.audit.list(5).find((a) => a.action === 'settings.set')).toMatchObject({ ok: false, role: 'operator' });
  });

  it('starts an output live, names a port it cannot open, and keeps scoring and recording meanwhile', async () => {
    const port = await freePort();
    const next = await engineer.call('settings.set', { modbus: { enabled: true, port }, opcua: { enabled: true, port: blockedPort }, retention: { keepDays: 7 } });
    expect(next).toMatchObject({ modbus: { enabled: true, port }, opcua: { enabled: true, port: blockedPort }, retention: { keepDays: 7, maxGB: 20 }, mqtt: { enabled: false } });
    const st = await operator.call('station.status', {});
    expect(st.modbus).toMatchObject({ state: 'running', endpoint: `127.0.0.1:${port}` });
    expect(st.opcua).toMatchObject({ state: 'error', error: `OPC UA port ${blockedPort} cannot be opened: it is in use by another program.` });
    const [f] = await datasetImages('test/good', 1);
    const r = await operator.call('inspect.file', { name: 'tile.png', bytes: new Uint8Array(await readFile(f)) });
    expect(r.recordId).toBeGreaterThan(0);
    const coils = await readCoils(port);
    expect(coils).toEqual([r.verdict === 'OK', r.verdict === 'NG', false]);
    expect(ws.audit.list(10).find((a) => a.action === 'settings.set' && a.ok)).toMatchObject({ role: 'engineer' });
  });

  it('changes one field and keeps the others; serves the HTTP results API behind the station token', async () => {
    const before = await operator.call('settings.get', {});
    const next = await engineer.call('settings.set', { retention: { maxGB: 5 } });
    expect(next.retention).toEqual({ ...before.retention, maxGB: 5 });
    expect(next.modbus).toEqual(before.modbus);

    const port = await freePort();
    await engineer.call('settings.set', { http: { enabled: true, port } });
    const st = await operator.call('station.status', {});
    expect(st.http).toMatchObject({ state: 'running', endpoint: `http://127.0.0.1:${port}/api/results`, error: null });
    await expect(operator.call('station.httpToken', {})).rejects.toMatchObject({ code: 'PIN_REQUIRED' });
    const { token } = await engineer.call('station.httpToken', {});
    expect((await fetch(st.http.endpoint!)).status).toBe(401);
    const res = await fetch(st.http.endpoint!, { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: { verdict: string }[] };
    expect(body.items.length).toBeGreaterThanOrEqual(1);
    await engineer.call('settings.set', { http: { enabled: false } });
    expect((await operator.call('station.status', {})).http.state).toBe('off');
    await expect(fetch(st.http.endpoint!)).rejects.toThrow();
  });

  it('lets the operator switch the NG alert sound, and nothing else, without the PIN', async () => {
    const before = await operator.call('settings.get', {});
    const next = await operator.call('settings.setAlerts', { soundOnNG: !before.alerts.soundOnNG });
    expect(next).toEqual({ ...before, alerts: { soundOnNG: !before.alerts.soundOnNG } });
    await expect(operator.call('settings.setAlerts', { soundOnNG: true, mqtt: {} } as never)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await operator.call('settings.setAlerts', { soundOnNG: before.alerts.soundOnNG });
  });

  it('keeps the settings in the database and starts the outputs again with the workstation', async () => {
    const before = await operator.call('settings.get', {});
    await ws.close();
    ws = await start(dataDir);
    engineer = open(ws);
    operator = open(ws);
    await expect(operator.call('settings.get', {})).resolves.toEqual(before);
    expect((await operator.call('station.status', {})).modbus.state).toBe('running');
    await engineer.call('auth.elevate', { pin: '2468' });
    await engineer.call('settings.set', { modbus: { enabled: false }, opcua: { enabled: false } });
    expect((await operator.call('station.status', {})).modbus).toMatchObject({ state: 'off', endpoint: null });
    expect(path.isAbsolute(ws.dataDir)).toBe(true);
  });
});
