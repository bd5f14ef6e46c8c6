// `patchline watch`: the line station without a window. The same services the app runs (createWorkstation: SQLite WAL
// records, the hot folder with its journal, sorting, line outputs, retention), with settings from the flags, for a line
// PC or a service manager. Stops cleanly on SIGINT/SIGTERM (parts in hand are finished, MQTT is given a moment to
// deliver); after a crash or kill -9 a restart scores no part twice and loses none (services/journal.ts).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { stationSettingsSchema, type StationSettings } from '../../shared/settings';
import { createWorkstation } from '../services/app';
import { tokenFile } from '../services/outputs/http';
import { appRoot, defaultDataDir } from '../host/paths';
import { num, oneOf, parseArgs, required, str, UsageError } from './args';
import { device, type Context } from './commands';

export const WATCH_HELP = `patchline watch --model MODEL --in DIR [options]

The line station without a window: scores every image that lands in DIR (and every one already there), records each
verdict in SQLite (WAL) as the app does, and tells the line: sorting into OK/NG folders with a JSON sidecar, MQTT,
OPC UA, Modbus TCP and an HTTP results API, each off unless its flag is given. Runs until SIGINT/SIGTERM (Ctrl-C),
then finishes the parts in hand and stops. Safe to kill: a restart resumes without scoring a part twice or losing one.

  --model MODEL          a model folder (from \`patchline fit\`)
  --in DIR               the hot folder a camera or PLC writes images into
  --recursive            also watch DIR's subfolders (sorted parts keep their relative path)
  --sort OK_DIR NG_DIR   move each scored part into OK_DIR or NG_DIR, with a sidecar PART.json beside it
  --error-dir DIR        (with --sort) parts that cannot be read or decoded go here, the reason in PART.json
  --sidecar json|none    the sidecar (verdict, score, threshold, model id/version, timings); default json with --sort
  --mqtt URL             publish each result as JSON to this broker (mqtt://host:1883), QoS 1, retained
  --topic T              MQTT topic (default patchline/results; T/status says online/offline)
  --opcua PORT           serve OPC UA on PORT (e.g. 4840): last verdict, score, part id, counters, model version
  --modbus PORT          serve Modbus TCP on PORT (e.g. 502 or 1502): coils OK/NG/busy, registers part counts
  --http PORT            serve GET /api/results and /api/results.csv on PORT (token: DATA/http-token)
  --http-host ADDR       address the HTTP API listens on (default 127.0.0.1; 0.0.0.0 for the plant network)
  --data-dir D           where records, the journal and settings live (default: the app's data folder)
  --device cpu|cuda|auto the extractor's device (recorded in every sidecar and in the status)
  --keep-days N          keep part images N days (default 30; 0 = by age forever)
  --max-gb N             keep at most N GB of part images (default 20; 0 = no cap)
  --min-free-gb N        below N GB free, record verdicts without images and warn (default 2)
  --settle-ms N          a file must stop changing for N ms before it is read (default 200)
  --quiet                no line per part (errors and status are still printed)
  --status-every S       every S seconds, one JSON status line (parts, backlog, outputs, disk, folder polls)

docs/station.md: payloads, OPC UA node ids, Modbus addresses, systemd and Windows service examples.
Example: patchline watch --model models/tile --in /line/in --sort /line/ok /line/ng --error-dir /line/error \\
           --mqtt mqtt://10.0.0.5:1883 --topic line3/patchline --modbus 1502
`;

function port(p: ReturnType<typeof parseArgs>, name: string): number | undefined {
  return num(p, name, { int: true, min: 1, max: 65535 });
}

/** `--sort OK NG` takes two values; the strict parser takes one per option, so it is read here first. */
function takeSort(argv: string[]): { rest: string[]; sort: [string, string] | null } {
  const i = argv.indexOf('--sort');
  if (i < 0) return { rest: argv, sort: null };
  const [ok, ng] = [argv[i + 1], argv[i + 2]];
  if (!ok || !ng || ok.startsWith('--') || ng.startsWith('--')) throw new UsageError('--sort needs two folders: --sort OK_DIR NG_DIR');
  return { rest: [...argv.slice(0, i), ...argv.slice(i + 3)], sort: [path.resolve(ok), path.resolve(ng)] };
}

export function watchSettings(argv: string[]): { settings: StationSettings; model: string; input: string; recursive: boolean; opts: ReturnType<typeof parseArgs> } {
  const { rest, sort } = takeSort(argv);
  const p = parseArgs(rest, {
    help: { type: 'boolean', alias: 'h' },
    model: { type: 'string' },
    in: { type: 'string' },
    recursive: { type: 'boolean' },
    'error-dir': { type: 'string' },
    sidecar: { type: 'string' },
    mqtt: { type: 'string' },
    topic: { type: 'string' },
    opcua: { type: 'string' },
    modbus: { type: 'string' },
    http: { type: 'string' },
    'http-host': { type: 'string' },
    'data-dir': { type: 'string' },
    device: { type: 'string' },
    'keep-days': { type: 'string' },
    'max-gb': { type: 'string' },
    'min-free-gb': { type: 'string' },
    'settle-ms': { type: 'string' },
    'status-every': { type: 'string' },
    quiet: { type: 'boolean' },
  });
  if (p.positionals.length) throw new UsageError(`unexpected argument "${p.positionals[0]}"`);
  const model = path.resolve(required(p, 'model', 'watch'));
  const input = path.resolve(required(p, 'in', 'watch'));
  const sidecar = oneOf(p, 'sidecar', ['json', 'none'] as const);
  const errorDir = str(p, 'error-dir');
  if (!sort && errorDir) throw new UsageError('--error-dir goes with --sort OK_DIR NG_DIR');
  if (!sort && sidecar === 'json') throw new UsageError('--sidecar json goes with --sort OK_DIR NG_DIR (the sidecar is written beside the sorted part)');
  if (str(p, 'topic') && !str(p, 'mqtt')) throw new UsageError('--topic goes with --mqtt URL');
  const mqtt = str(p, 'mqtt');
  const opcua = port(p, 'opcua');
  const modbus = port(p, 'modbus');
  const http = port(p, 'http');
  if (str(p, 'http-host') && !http) throw new UsageError('--http-host goes with --http PORT');
  const settings = stationSettingsSchema.parse({
    mqtt: mqtt ? { enabled: true, url: mqtt, topic: str(p, 'topic') ?? 'patchline/results' } : {},
    opcua: opcua ? { enabled: true, port: opcua } : {},
    modbus: modbus ? { enabled: true, port: modbus } : {},
    http: http ? { enabled: true, port: http, host: str(p, 'http-host') ?? '127.0.0.1' } : {},
    sort: sort ? { enabled: true, okDir: sort[0], ngDir: sort[1], errorDir: errorDir ? path.resolve(errorDir) : '', sidecar: sidecar !== 'none' } : {},
    retention: {
      keepDays: num(p, 'keep-days', { int: true, min: 0, max: 3650 }),
      maxGB: num(p, 'max-gb', { min: 0 }),
      minFreeGB: num(p, 'min-free-gb', { min: 0 }),
    },
  });
  return { settings, model, input, recursive: p.options.recursive === true, opts: p };
}

/** MiB of this process: resident, JS heap in use, and outside the heap (buffers, native). */
function memory(): { rssMiB: number; heapMiB: number; externalMiB: number } {
  const m = process.memoryUsage();
  const mib = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;
  return { rssMiB: mib(m.rss), heapMiB: mib(m.heapUsed), externalMiB: mib(m.external) };
}

const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : '–');

export async function cmdWatch(argv: string[], ctx: Context): Promise<void> {
  const { settings, model, input, recursive, opts: p } = watchSettings(argv);
  const dev = device(p);
  if (!existsSync(input)) throw new Error(`The hot folder does not exist: ${input}`);
  const quiet = p.options.quiet === true;
  const log = (m: string) => process.stderr.write(`[watch] ${m}\n`);
  const appVersion = (JSON.parse(readFileSync(path.join(appRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  const dataDir = path.resolve(str(p, 'data-dir') ?? (process.env.PATCHLINE_DATA_DIR || defaultDataDir()));
  const ws = await createWorkstation({
    dataDir,
    appVersion,
    device: dev,
    settings,
    hotFolderSettleMs: num(p, 'settle-ms', { int: true, min: 0 }),
    log,
  });
  try {
    const m = await ws.models.adopt(model);
    ctx.out(`patchline watch: model ${m.name} v${m.version} (threshold ${fmt(m.threshold)}), device ${dev ?? 'default'}, data ${ws.dataDir}`);
    ws.hotFolder.subscribe((e) => {
      if (e.kind === 'result' && !quiet) {
        const r = e.result;
        ctx.out(`${r.verdict.padEnd(2)}  ${e.file}  score ${fmt(r.score)} / ${fmt(r.threshold)}  ${r.latencyMs.toFixed(1)} ms`);
      } else if (e.kind === 'error') log(`${e.file}: ${e.message}`);
    });
    await ws.hotFolder.start(input, true, recursive);
    const st = ws.station.status();
    for (const [name, o] of [['MQTT', st.mqtt], ['OPC UA', st.opcua], ['Modbus TCP', st.modbus], ['results API', st.http]] as const) {
      if (o.state !== 'off') ctx.out(`${name}: ${o.state}${o.endpoint ? ` ${o.endpoint}` : ''}${o.error ? ` — ${o.error}` : ''}`);
    }
    if (st.http.state === 'running') ctx.out(`results API token: Authorization: Bearer <${process.env.PATCHLINE_HTTP_TOKEN ? 'PATCHLINE_HTTP_TOKEN' : `the token in ${tokenFile(ws.dataDir)}`}>`);
    ctx.out(`watching ${input}${recursive ? ' (recursive)' : ''}${settings.sort.enabled ? `, sorting into ${settings.sort.okDir} | ${settings.sort.ngDir}` : ''}; Ctrl-C to stop`);
    const every = num(p, 'status-every', { min: 0.1 });
    const heartbeat = every
      ? setInterval(() => {
          const hs = ws.hotFolder.status();
          const so = ws.station.status();
          ctx.out(
            JSON.stringify({
              status: new Date().toISOString(),
              processed: hs.processed,
              errors: hs.errors,
              backlog: ws.hotFolder.backlog,
              sorting: so.sorting,
              mqtt: { state: so.mqtt.state, queued: so.mqtt.queued },
              opcua: so.opcua.state,
              modbus: so.modbus.state,
              http: so.http.state,
              disk: { low: so.disk.low, freeBytes: so.disk.freeBytes },
              folder: ws.hotFolder.stats,
              memory: memory(),
            }),
          );
        }, every * 1000)
      : null;
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      ctx.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    if (heartbeat) clearInterval(heartbeat);
    ctx.out('stopping: finishing the parts in hand…');
    ws.hotFolder.stop();
    await ws.hotFolder.idle();
    // A connected broker gets a few seconds to acknowledge the last results; an absent one is not waited for.
    const mqtt = ws.station.mqtt;
    if (settings.mqtt.enabled && !(await mqtt.flush(mqtt.status().state === 'running' ? 5000 : 0))) {
      log(`MQTT: ${ws.station.mqtt.status().queued} result(s) not yet acknowledged stay queued; they are sent at the next start.`);
    }
  } finally {
    await ws.close();
  }
  const s = ws.hotFolder.status();
  ctx.out(`stopped: ${s.processed} part(s) scored, ${s.errors} error(s) this run.`);
}
