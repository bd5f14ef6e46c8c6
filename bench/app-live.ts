// `npm run bench:app [-- --quick] [-- --seconds N] [-- --json FILE]`: the live screen's acceptance figures.
// Starts the headless host (`npm run serve`'s code, a child process), trains a model from real good images with the
// default backbone, then drives Debian's Chromium with a 30 fps fake camera (a .y4m made from real images) on the
// Inspect screen in continuous mode, and measures:
//   - scored parts per second held by the live screen (acceptance: >= 15 with the default backbone on 2 cores);
//   - the host process's RSS from warm-up to the end (acceptance: grows <= 50 MB over a 5-minute run).
// --engine fake runs the same harness on the services' test double (to check the script, not the product);
// --engine file:///…/index.ts picks another engine module.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';

import { createClient } from '../shared/client';
import { nodeWsBridge } from '../electron/services/testing/ws-bridge';
import { datasetImages, fakeEngineModule, goodFolder, repoRoot } from '../electron/services/testing/fixtures';
import { buildRenderer, launchChromium, longTasks, longTasksObservable, setRange, tempDir } from '../e2e/support/harness';
import { writeY4m } from '../e2e/support/y4m';
import { describeMachine, machine, median, parseBenchArgs, table, writeJson } from './lib/report';

const args = parseBenchArgs();
function option(name: string, fallback: string): string {
  const i = args.rest.indexOf(name);
  return i >= 0 && args.rest[i + 1] ? args.rest[i + 1] : fallback;
}
const seconds = Number(option('--seconds', args.quick ? '45' : '300'));
const warmup = Number(option('--warmup', args.quick ? '10' : '20'));
const fps = Number(option('--fps', '30'));
const trainImages = Number(option('--train-images', '60'));
const engine = option('--engine', 'real');
const PIN = '246810';

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) / 1024;
}

/** /proc/PID/stat's fields after the command name (0-based there: ppid 1, utime 11, stime 12). */
function statFields(pid: number): string[] | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(') ') + 2).split(' ');
  } catch {
    return null; // exited meanwhile
  }
}

/** User + system CPU seconds the process has used (all its threads); 0 once it has exited. */
function cpuSeconds(pid: number): number {
  const f = statFields(pid);
  return f ? (Number(f[11]) + Number(f[12])) / 100 : 0;
}

/** CPU seconds of every live process below this one: the host and Chromium (browser, renderer, GPU, utilities). */
function descendantsCpuSeconds(): number {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    const f = Number.isInteger(pid) && pid > 0 ? statFields(pid) : null;
    if (f) parent.set(pid, Number(f[1]));
  }
  const below = (pid: number): boolean => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === process.pid) return true;
    return false;
  };
  return [...parent.keys()].filter(below).reduce((sum, pid) => sum + cpuSeconds(pid), 0);
}

async function startHost(dataDir: string): Promise<{ child: ChildProcess; url: string; token: string; port: number }> {
  const env = { ...process.env };
  if (engine === 'fake') env.PATCHLINE_ENGINE_MODULE = fakeEngineModule;
  else if (engine !== 'real') env.PATCHLINE_ENGINE_MODULE = engine; // another engine module, by file URL
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'electron/host/serve.ts'), '--data-dir', dataDir], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      const m = /Open: (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`the host exited (${code}) before printing its URL:\n${out}`)));
  });
  const u = new URL(url);
  return { child, url, token: u.searchParams.get('token')!, port: Number(u.port) };
}

async function main(): Promise<void> {
  console.log(`PatchLine live-screen benchmark (${seconds} s measured after ${warmup} s warm-up, ${fps} fps camera, engine: ${engine}) on ${describeMachine()}\n`);
  buildRenderer();
  const dataDir = await tempDir('bench-data');
  const host = await startHost(dataDir);
  const session = await launchChromium(await cameraFile());
  try {
    const { bridge, socket } = await nodeWsBridge(`ws://127.0.0.1:${host.port}/ws?token=${host.token}`);
    const client = createClient(bridge);
    await client.call('auth.setupPin', { pin: PIN });
    const t0 = Date.now();
    const model = await client.call('models.train', { name: 'bench', folder: await goodFolder(trainImages) });
    const trainSeconds = (Date.now() - t0) / 1000;
    console.log(`trained "${model.name}" on ${model.trainImages} images in ${trainSeconds.toFixed(1)} s: ${model.bankVectors} vectors, ${model.indexType}`);
    socket.close();

    const page = session.page;
    await page.goto(host.url);
    await page.getByTestId('pin-cancel').click({ timeout: 5000 }).catch(() => undefined);
    await page.getByTestId('source-camera').click();
    await page.getByTestId('mode-continuous').click();
    await setRange(page, 'rate', fps);
    await page.getByTestId('camera-start').click();
    // The screen formats counts for its locale (1,234): digits only.
    const count = async (id: string) => Number(((await page.getByTestId(id).textContent()) ?? '').replace(/[^0-9]/g, ''));

    await page.waitForTimeout(warmup * 1000);
    const samples: { t: number; scored: number; dropped: number; rss: number; cpu: number; allCpu: number }[] = [];
    const sample = async () =>
      samples.push({
        t: Date.now(),
        scored: await count('scored'),
        dropped: await count('dropped'),
        rss: rssMiB(host.child.pid!),
        cpu: cpuSeconds(host.child.pid!),
        allCpu: descendantsCpuSeconds(),
      });
    // Long tasks of the measured window only (page time, ms): warm-up includes the first frames' decoder start.
    const windowStart = await page.evaluate<number>('performance.now()');
    await sample();
    const end = Date.now() + seconds * 1000;
    while (Date.now() < end) {
      await page.waitForTimeout(Math.min(5000, end - Date.now()));
      await sample();
    }
    const first = samples[0];
    const last = samples[samples.length - 1];
    const elapsed = (last.t - first.t) / 1000;
    const partsPerSecond = (last.scored - first.scored) / elapsed;
    const droppedPerSecond = (last.dropped - first.dropped) / elapsed;
    const scoredParts = Math.max(1, last.scored - first.scored);
    // CPU the host spent per scored part: comparable across machines and loads, unlike wall-clock rates.
    const hostCpuMsPerPart = ((last.cpu - first.cpu) * 1000) / scoredParts;
    const hostCores = (last.cpu - first.cpu) / elapsed;
    // Host and browser together: what one part costs the whole app, and so how many parts two idle cores could score.
    const appCpuMsPerPart = ((last.allCpu - first.allCpu) * 1000) / scoredParts;
    const twoCoreCapacity = 2000 / appCpuMsPerPart;
    // Growth: the end of the run (median of the last three samples) against its start, after warm-up.
    const rssStart = first.rss;
    const rssEnd = median(samples.slice(-3).map((s) => s.rss));
    const rssMax = Math.max(...samples.map((s) => s.rss));
    const latency = await page.getByTestId('latency').textContent();
    const observable = await longTasksObservable(page);
    const tasks = (await longTasks(page)).filter((t) => t.start >= windowStart);
    const longestTask = tasks.reduce((m, t) => Math.max(m, t.duration), 0);
    const rows = [
      { figure: 'scored parts per second', value: partsPerSecond, target: '>= 15', pass: partsPerSecond >= 15 ? 'yes' : 'NO' },
      { figure: 'frames dropped per second', value: droppedPerSecond, target: '–', pass: '–' },
      { figure: 'frames dropped (measured window)', value: last.dropped - first.dropped, target: '–', pass: '–' },
      {
        figure: 'longest renderer task (ms)',
        value: observable ? longestTask : 'not observable',
        target: '<= 100',
        pass: observable ? (longestTask <= 100 ? 'yes' : 'NO') : '–',
      },
      { figure: 'renderer tasks over 50 ms', value: observable ? tasks.length : '–', target: '–', pass: '–' },
      { figure: 'host CPU per part (ms)', value: hostCpuMsPerPart, target: '–', pass: '–' },
      { figure: 'host CPU use (cores)', value: hostCores, target: '–', pass: '–' },
      { figure: 'host + Chromium CPU per part (ms)', value: appCpuMsPerPart, target: '–', pass: '–' },
      { figure: 'CPU-bound parts/s on 2 idle cores', value: twoCoreCapacity, target: '–', pass: '–' },
      { figure: 'machine load average (1 min)', value: loadavg()[0], target: '–', pass: '–' },
      { figure: 'host RSS at start (MiB)', value: rssStart, target: '–', pass: '–' },
      { figure: 'host RSS at end (MiB)', value: rssEnd, target: '–', pass: '–' },
      { figure: 'host RSS growth (MiB)', value: rssEnd - rssStart, target: '<= 50', pass: rssEnd - rssStart <= 50 ? 'yes' : 'NO' },
      { figure: 'host RSS max (MiB)', value: rssMax, target: '–', pass: '–' },
      { figure: 'last part latency', value: latency ?? '–', target: '–', pass: '–' },
    ];
    console.log('\n' + table(rows, ['figure', 'value', 'target', 'pass']));
    if (engine === 'fake') console.log('\n(engine: test double — these figures check the harness, not the product)');
    if (args.json) {
      writeJson(args.json, {
        benchmark: 'app-live',
        machine: machine(),
        engine,
        camera: { fps, width: 640, height: 480 },
        seconds: elapsed,
        warmupSeconds: warmup,
        trainSeconds,
        model: { bankVectors: model.bankVectors, indexType: model.indexType, backbone: model.backbone },
        partsPerSecond,
        droppedPerSecond,
        droppedFrames: last.dropped - first.dropped,
        longTasks: observable ? { count: tasks.length, longestMs: longestTask } : null,
        hostCpuMsPerPart,
        hostCores,
        appCpuMsPerPart,
        twoCoreCapacity,
        loadAverage: loadavg(),
        rssStartMiB: rssStart,
        rssEndMiB: rssEnd,
        rssGrowthMiB: rssEnd - rssStart,
        rssMaxMiB: rssMax,
        samples,
      });
      console.log(`\nJSON written to ${args.json}`);
    }
  } finally {
    await session.close();
    host.child.kill('SIGTERM');
  }
}

/** 30 fps, 640×480: good tiles with a defective one now and then, each held for a few frames like parts on a belt. */
async function cameraFile(): Promise<string> {
  const file = path.join(await tempDir('bench-video'), 'camera.y4m');
  const good = await datasetImages('test/good', 12, 60);
  const bad = await datasetImages('test/crack', 3, 10);
  const seq = good.flatMap((g, i) => (i % 4 === 3 ? [g, bad[(i >> 2) % bad.length]] : [g]));
  await writeY4m(file, seq, { width: 640, height: 480, fps, framesPerImage: 5 });
  return file;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});

