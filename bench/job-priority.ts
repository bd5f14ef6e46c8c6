// `npx tsx bench/job-priority.ts [--quick] [--json FILE] [--train-images N] [--fps F]`: what a training job costs
// the line, by where the job runs. The line: an inference worker thread scoring real parts at a steady rate (as the
// hot folder or a camera feeds it), with main's event loop watched. The job: a fit of N real good images, run
//   - nowhere (the line alone, the reference),
//   - in a child process 10 nice steps down (the engine's jobs engine before worker threads could load the addon),
//   - in a worker thread 10 nice steps down (the thread lowers its own priority; ONNX Runtime's threads inherit it),
//   - in a worker thread at the app's priority (what the priority is worth).
// Printed per placement: parts scored, p50/p95/p99 part latency, main's event-loop delay p99, the fit's seconds, and
// the nice values of the process's threads during the fit. Ratios are against the line alone in the same run.
// --only line,process runs a subset of the placements.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { linkSubset } from '../electron/engine/testing/subset';
import { fit } from '../electron/engine/index';
import { datasetDir, datasetImages, tempDir } from '../electron/services/testing/fixtures';
import { EngineWorker, type EngineWorkerOptions } from '../electron/services/worker/engine-client';
import { describeMachine, machine, parseBenchArgs, percentile, table, writeJson, type Row } from './lib/report';

const args = parseBenchArgs();
function option(name: string, fallback: string): string {
  const i = args.rest.indexOf(name);
  return i >= 0 && args.rest[i + 1] ? args.rest[i + 1] : fallback;
}
const trainImages = Number(option('--train-images', args.quick ? '60' : '200'));
const fps = Number(option('--fps', '8'));
const aloneSeconds = Number(option('--alone-seconds', args.quick ? '10' : '20'));
/** Which placements to run (names' first words: line, process, thread), e.g. --only line,process. */
const only = option('--only', 'line,process,thread').split(',');

/** Nice values of this process's threads, counted ("0×14 10×5"). */
function threadNices(pid: number = process.pid): string {
  const counts = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const nice = Number(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ')[16]);
      counts.set(nice, (counts.get(nice) ?? 0) + 1);
    } catch {
      // the thread ended meanwhile
    }
  }
  return [...counts].sort((a, b) => a[0] - b[0]).map(([n, c]) => `${n}×${c}`).join(' ');
}

interface Placement {
  name: string;
  jobs: EngineWorkerOptions | null;
}

const placements: Placement[] = [
  { name: 'line alone', jobs: null },
  { name: 'fit in a child process, nice +10', jobs: { kind: 'process', nice: 10 } },
  { name: 'fit in a worker thread, nice +10', jobs: { kind: 'thread', nice: 10 } },
  { name: 'fit in a worker thread, nice 0', jobs: { kind: 'thread', nice: 0 } },
];

async function main(): Promise<void> {
  const work = await tempDir('job-priority');
  const data = linkSubset(datasetDir(), path.join(work, 'data'), { train: trainImages, testGood: 0, perDefect: 0 });
  const lineModel = path.join(work, 'line-model');
  await fit({ data: linkSubset(datasetDir(), path.join(work, 'line-data'), { train: 30, testGood: 0, perDefect: 0 }), out: lineModel });
  const parts = [...(await datasetImages('test/good', 20)), ...(await datasetImages('test/crack', 10))];

  const inference = new EngineWorker('inference');
  await inference.load('line', lineModel);
  const model = inference.model('line');
  for (const p of parts.slice(0, 3)) await model.inspect({ kind: 'file', path: p }, { heatmapMax: 112 }); // warm

  const rows: Row[] = [];
  let reference = { p95: NaN };
  for (const pl of placements.filter((p) => only.some((o) => p.name.includes(o)))) {
    const latencies: number[] = [];
    const loop = monitorEventLoopDelay({ resolution: 5 });
    let running = true;
    let n = 0;
    // The line: one part every 1/fps s (or at once when the last took longer), scored in the inference thread.
    const line = (async () => {
      while (running) {
        const due = performance.now() + 1000 / fps;
        const t = performance.now();
        await model.inspect({ kind: 'file', path: parts[n++ % parts.length] }, { heatmapMax: 112 });
        latencies.push(performance.now() - t);
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
    })();
    loop.enable();
    let fitSeconds: number | null = null;
    let nices = threadNices();
    if (pl.jobs) {
      const jobs = new EngineWorker('jobs', undefined, pl.jobs);
      const t0 = performance.now();
      const sample = setInterval(() => (nices = `${threadNices()}${jobs.pid ? ` | child ${threadNices(jobs.pid)}` : ''}`), 3000);
      try {
        await jobs.engine.fit({ data, out: path.join(work, `fit-${rows.length}`) });
      } finally {
        clearInterval(sample);
        await jobs.close();
      }
      fitSeconds = (performance.now() - t0) / 1000;
    } else {
      await new Promise((r) => setTimeout(r, aloneSeconds * 1000));
    }
    running = false;
    await line;
    loop.disable();
    const p95 = percentile(latencies, 95);
    if (!pl.jobs) reference = { p95 };
    rows.push({
      placement: pl.name,
      parts: latencies.length,
      'p50 ms': percentile(latencies, 50).toFixed(1),
      'p95 ms': p95.toFixed(1),
      'p99 ms': percentile(latencies, 99).toFixed(1),
      'p95 / alone': (p95 / reference.p95).toFixed(2),
      'main loop p99 ms': (loop.percentile(99) / 1e6).toFixed(1),
      'fit s': fitSeconds === null ? '–' : fitSeconds.toFixed(1),
      'thread nices (count)': nices,
    });
  }
  await inference.close();
  const m = machine();
  console.log(`job priority: the line at ${fps} parts/s while a fit of ${trainImages} images runs; ${describeMachine(m)}; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  console.log(table(rows));
  if (args.json) writeJson(args.json, { benchmark: 'job-priority', machine: m, loadavg: loadavg(), fps, trainImages, rows });
}

await main();
