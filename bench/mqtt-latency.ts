// `npm run bench:mqtt [-- --quick] [-- --results N] [-- --rate R] [-- --json FILE]`
//
// Verdict → MQTT subscriber latency against a real broker (Debian's mosquitto on a free loopback port): the
// workstation (createWorkstation, the services `patchline watch` runs) scores parts through InspectionService with the
// MQTT output on; a subscriber in this process timestamps each message. Latency = message received − verdict given
// (the moment inspectEncoded resolves), on one clock. The MQTT output publishes a result once its record is committed
// (the records table is its on-disk queue), so the record write (image + heatmap, fsync'd) is inside the latency;
// it is reported separately (verdict → committed). Target: median ≤ 50 ms over ≥ 500 results.
//
// Engine: the services' test double, as in bench/station.ts: the latency measured starts at the verdict, after the
// engine; a real engine would only add load on the 2 cores.
import { readFile, rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import path from 'node:path';
import { connect } from 'mqtt';
import { createWorkstation } from '../electron/services/app';
import { engine as fakeEngine } from '../electron/services/testing/fake-engine';
import { datasetImages, fakeEngineModule, goodFolder, tempDir } from '../electron/services/testing/fixtures';
import { mosquittoMissing, startMosquitto } from '../electron/services/testing/mosquitto';
import { stationSettingsSchema } from '../shared/settings';
import { describeMachine, machine, median, parseBenchArgs, percentile, table, writeJson } from './lib/report';

const args = parseBenchArgs();
function option(name: string, fallback: string): string {
  const i = args.rest.indexOf(name);
  return i >= 0 && args.rest[i + 1] ? args.rest[i + 1] : fallback;
}
const results = Number(option('--results', args.quick ? '500' : '1000'));
const rate = Number(option('--rate', '20')); // parts a second: 36× the line rate of 2,000 an hour

async function main(): Promise<void> {
  const missing = mosquittoMissing();
  if (missing) throw new Error(missing);
  const broker = await startMosquitto();
  const root = await tempDir('bench-mqtt');
  const model = path.join(root, 'model');
  await fakeEngine.fit({ data: await goodFolder(20), out: model });
  const topic = 'bench/results';
  const ws = await createWorkstation({
    dataDir: path.join(root, 'data'),
    engineModule: fakeEngineModule,
    settings: stationSettingsSchema.parse({ mqtt: { enabled: true, url: broker.url, topic } }),
    log: () => {},
  });
  await ws.models.adopt(model);
  const verdictAt = new Map<number, number>();
  const committedAt = new Map<number, number>();
  const receivedAt = new Map<number, number>();
  ws.records.onCommitted((r) => committedAt.set(r.id, performance.now()));
  const sub = connect(broker.url, { clean: true });
  sub.on('message', (_t, payload) => {
    const id = (JSON.parse(payload.toString()) as { recordId: number }).recordId;
    if (!receivedAt.has(id)) receivedAt.set(id, performance.now());
  });
  await new Promise<void>((resolve) => sub.once('connect', () => sub.subscribe(topic, { qos: 1 }, () => resolve())));
  const t0 = Date.now();
  while (ws.station.mqtt.status().state !== 'running') {
    if (Date.now() - t0 > 10_000) throw new Error(`the MQTT output did not connect: ${JSON.stringify(ws.station.mqtt.status())}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const images = await Promise.all((await datasetImages('test/good', 8)).map(async (f) => new Uint8Array(await readFile(f))));
  console.log(`MQTT latency bench: ${results} results at ${rate}/s to mosquitto ${broker.url}`);
  console.log(`machine: ${describeMachine()}; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  // Warm-up (model load, first connections), not counted.
  for (let i = 0; i < 20; i++) await ws.inspection.inspectEncoded(images[i % images.length], `warm-${i}.png`, 'file');
  const warm = new Set(receivedAt.keys());
  const start = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < results; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(
      ws.inspection.inspectEncoded(images[i % images.length], `part-${i}.png`, 'file').then((r) => {
        verdictAt.set(r.recordId, performance.now());
      }),
    );
  }
  await Promise.all(pending);
  const deadline = performance.now() + 20_000;
  while ([...verdictAt.keys()].some((id) => !receivedAt.has(id)) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const ids = [...verdictAt.keys()].filter((id) => !warm.has(id));
  const lost = ids.filter((id) => !receivedAt.has(id)).length;
  const toSub = ids.filter((id) => receivedAt.has(id)).map((id) => receivedAt.get(id)! - verdictAt.get(id)!);
  const toCommit = ids.filter((id) => committedAt.has(id)).map((id) => committedAt.get(id)! - verdictAt.get(id)!);
  const commitToSub = ids.filter((id) => committedAt.has(id) && receivedAt.has(id)).map((id) => receivedAt.get(id)! - committedAt.get(id)!);
  const row = (what: string, v: number[]) => ({ stage: what, n: v.length, 'median ms': median(v), 'p95 ms': percentile(v, 95), 'max ms': Math.max(...v) });
  const rows = [row('verdict → record committed', toCommit), row('record committed → subscriber', commitToSub), row('verdict → subscriber', toSub)];
  console.log(table(rows));
  const med = median(toSub);
  const pass = lost === 0 && toSub.length >= 500 && med <= 50;
  console.log(`${pass ? 'PASS' : 'FAIL'}: median ${med.toFixed(1)} ms (target ≤ 50), ${lost} result(s) not received`);
  if (args.json) writeJson(args.json, { bench: 'mqtt-latency', machine: machine(), loadavg: loadavg(), results, rate, rows, lost, pass });
  sub.end(true);
  await ws.close();
  await broker.stop();
  await rm(root, { recursive: true, force: true });
  if (!pass) process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error((e as Error).stack ?? String(e));
  process.exit(1);
});
