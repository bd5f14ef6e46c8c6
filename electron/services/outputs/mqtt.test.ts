// The MQTT output against a real broker (mosquitto on a free loopback port): each result once as JSON, QoS 1,
// retained; results recorded while the broker is down are kept on disk and delivered, in order, once it is back.
import { afterEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { connect, type MqttClient } from 'mqtt';
import { openDatabase, type DB } from '../db';
import { RecordStore, type NewInspection } from '../records';
import { tempDir } from '../testing/fixtures';
import { freePort, mosquittoMissing, startMosquitto, type Broker } from '../testing/mosquitto';
import { MqttOutput } from './mqtt';
import type { ResultPayload } from './payload';

const missing = mosquittoMissing();
if (missing) console.warn(`[skip] ${missing}`);

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function station(): Promise<{ db: DB; records: RecordStore; dir: string }> {
  const dir = await tempDir('mqtt');
  const db = openDatabase(path.join(dir, 'patchline.db'));
  cleanup.push(() => void db.close());
  return { db, records: new RecordStore(db, dir), dir };
}

function part(i: number): NewInspection {
  return {
    at: Date.now(),
    source: 'hotfolder',
    sourceName: `part-${i}.png`,
    modelId: 'm',
    score: i,
    normalizedScore: i / 10,
    threshold: 5,
    verdict: i > 5 ? 'NG' : 'OK',
    latencyMs: 2,
    image: { kind: 'raw', image: { data: new Uint8Array(8 * 8 * 3), width: 8, height: 8, channels: 3 } },
    heatmap: new Uint8Array(4 * 4),
    heatmapWidth: 4,
    heatmapHeight: 4,
  };
}

async function subscriber(url: string, topic: string, clientId?: string): Promise<{ client: MqttClient; got: ResultPayload[]; retained: boolean[] }> {
  const got: ResultPayload[] = [];
  const retained: boolean[] = [];
  const client = connect(url, { clientId, clean: !clientId, reconnectPeriod: 100 });
  cleanup.push(() => void client.end(true));
  client.on('message', (_t, payload, packet) => {
    got.push(JSON.parse(payload.toString()) as ResultPayload);
    retained.push(packet.retain);
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => client.subscribe(topic, { qos: 1 }, (e) => (e ? reject(e) : resolve())));
    client.once('error', reject);
  });
  return { client, got, retained };
}

async function until(pred: () => boolean, ms = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out: ${pred.toString()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(missing)('MQTT output (mosquitto)', () => {
  let broker: Broker;

  it('publishes each result once as JSON, QoS 1, and retains the last one', async () => {
    broker = await startMosquitto();
    cleanup.push(() => broker.stop());
    const { db, records } = await station();
    await records.save(part(0)); // before the output was switched on: not sent
    const out = new MqttOutput(db, records);
    cleanup.push(() => out.stop());
    const sub = await subscriber(broker.url, 'line/1/results');
    out.start({ enabled: true, url: broker.url, topic: 'line/1/results' });
    await until(() => out.status().state === 'running');
    for (let i = 1; i <= 5; i++) await records.save(part(i));
    await until(() => sub.got.length === 5);
    expect(sub.got.map((p) => p.part)).toEqual(['part-1.png', 'part-2.png', 'part-3.png', 'part-4.png', 'part-5.png']);
    expect(sub.got[4]).toMatchObject({ verdict: 'OK', score: 5, threshold: 5, modelId: 'm', source: 'hotfolder', recordId: 6 });
    expect(await out.flush(2000)).toBe(true);
    expect(out.status()).toMatchObject({ state: 'running', queued: 0, published: 5, error: null });
    const late = await subscriber(broker.url, 'line/1/results');
    await until(() => late.got.length === 1);
    expect(late.got[0].part).toBe('part-5.png');
    expect(late.retained[0]).toBe(true);
  });

  it('queues results on disk while the broker is down and delivers them all, in order, when it is back', async () => {
    broker = await startMosquitto();
    cleanup.push(() => broker.stop());
    const { db, records } = await station();
    const out = new MqttOutput(db, records, { minBackoffMs: 50, maxBackoffMs: 200 });
    cleanup.push(() => out.stop());
    const sub = await subscriber(broker.url, 'plant/results', 'plant-mes');
    out.start({ enabled: true, url: broker.url, topic: 'plant/results' });
    await until(() => out.status().state === 'running');
    await records.save(part(1));
    await until(() => sub.got.length === 1);
    await broker.stop();
    await until(() => out.status().state === 'error');
    for (let i = 2; i <= 30; i++) await records.save(part(i));
    expect(out.status()).toMatchObject({ state: 'error', queued: 29, error: expect.stringContaining(broker.url) });
    await broker.start();
    await until(() => out.status().queued === 0 && sub.got.length >= 30, 20_000).catch((e) => { throw new Error(`${e.message} ${JSON.stringify(out.status())} got ${sub.got.length} ${sub.client.connected}`); });
    // QoS 1 is at-least-once: a repeat may follow a reconnect, but every result arrives, first time in order.
    const firsts = [...new Map(sub.got.map((p) => [p.recordId, p])).values()].map((p) => p.recordId);
    expect(firsts).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });

  it('names a broker it cannot reach, keeps results queued, and sends them after a restart of the station', async () => {
    const port = await freePort();
    const url = `mqtt://127.0.0.1:${port}`;
    const { db, records, dir } = await station();
    const out = new MqttOutput(db, records, { minBackoffMs: 50, maxBackoffMs: 100 });
    out.start({ enabled: true, url, topic: 't' });
    await until(() => out.status().state === 'error');
    expect(out.status().error).toMatch(new RegExp(`MQTT broker ${url}.*ECONNREFUSED`));
    for (let i = 1; i <= 3; i++) await records.save(part(i));
    expect(out.status().queued).toBe(3);
    out.stop();
    // The station restarts; the broker is there now.
    const db2 = openDatabase(path.join(dir, 'patchline.db'));
    cleanup.push(() => void db2.close());
    broker = await startMosquitto();
    cleanup.push(() => broker.stop());
    const sub = await subscriber(broker.url, 't');
    const out2 = new MqttOutput(db2, new RecordStore(db2, dir));
    cleanup.push(() => out2.stop());
    out2.start({ enabled: true, url: broker.url, topic: 't' });
    await until(() => sub.got.length === 3);
    expect(sub.got.map((p) => p.recordId)).toEqual([1, 2, 3]);
  });

  it('refuses a URL it cannot parse with a named error', async () => {
    const { db, records } = await station();
    const out = new MqttOutput(db, records);
    out.start({ enabled: true, url: 'not a url', topic: 't' });
    expect(out.status()).toMatchObject({ state: 'error', error: expect.stringContaining('MQTT broker URL "not a url" is not valid') });
  });
});
