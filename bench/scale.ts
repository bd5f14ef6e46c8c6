// `npm run bench:scale [-- --quick] [-- --json FILE] [-- --sizes 1e6,1e7]`: the day-scale memory bank.
//
// For each stream length N it folds a seeded synthetic day of patch features (bench/lib/day-stream.ts, real
// magnetic-tile features mixed in) through the streaming epsilon-net (electron/engine/stream/fold.ts), builds the
// compressed index the day-scale rule picks (electron/engine/bank/index-rule.ts), and measures, each in a fresh
// child process so that peak RSS belongs to one step only:
//   fold:    wall time, vectors/s, peak RSS, bank vectors, radius, growth alarms;
//   index:   build time, index bytes on disk (and the raw bank file), recall@1 against exact search on held-out
//            queries from the same stream, their coverage distance;
//   load:    RSS added by an mmap load, search ms per 784-query image at k = 1;
//   compare: on an M-vector subsample (1 M; quick 200 k), the epsilon-net's radius against offline approximate
//            greedy's at the same bank size.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FaissIndex, prunedGreedyCoreset, randomProjection } from '../native/index';
import { openFitSource } from '../electron/engine/data/dataset';
import { sharedDir } from '../electron/engine/paths';
import { StreamFolder, type FoldSummary } from '../electron/engine/stream/fold';
import { openImageFeatures } from '../electron/engine/features/image-features';
import { chooseCompressedIndex } from '../electron/engine/bank/index-rule';
import { DayStream, KEY_DIM, PROJECTION_SEED } from './lib/day-stream';
import { describeMachine, machine, median, parseBenchArgs, peakRssMiB, table, writeJson, type Row } from './lib/report';

const QUERY_IMAGES = 2;
const SEARCH_IMAGES = 20;
const PATCHES = 784;
const STREAM_SEED = 5;
const DISK_BUDGET = 1.5e9;
const here = path.dirname(fileURLToPath(import.meta.url));

interface Common {
  dir: string;
  ratio: number;
  warmup: number;
  /** A fixed radius instead of the calibration (0 = calibrate). */
  radius: number;
}

async function loadStream(dir: string): Promise<DayStream> {
  const realFile = path.join(dir, 'real.f32');
  const real = existsSync(realFile) ? new Float32Array(new Uint8Array(readFileSync(realFile)).buffer) : undefined;
  return DayStream.create({ real });
}

/** Real magnetic-tile patches, projected to 128 like fit's coreset, rescaled to the synthetic stream's RMS norm. */
async function realFeatures(images: number, targetRms: number): Promise<Float32Array | null> {
  const root = path.join(sharedDir(), 'datasets', 'magnetic_tile');
  if (!existsSync(root)) {
    console.log(`(no real features: ${root} is missing; the stream is synthetic only)`);
    return null;
  }
  const files = openFitSource(root).train.slice(0, images);
  const fx = await openImageFeatures({ threads: 2 });
  const rows: Float32Array[] = [];
  try {
    await fx.each(files, async (_file, { data: patches }) => {
      rows.push(await randomProjection({ data: patches, rows: patches.length / fx.dim, cols: fx.dim }, KEY_DIM, PROJECTION_SEED));
    });
  } finally {
    await fx.close();
  }
  const out = new Float32Array(rows.reduce((a, r) => a + r.length, 0));
  rows.reduce((off, r) => (out.set(r, off), off + r.length), 0);
  let s = 0;
  for (const v of out) s += v * v;
  const scale = targetRms / Math.sqrt(s / (out.length / KEY_DIM));
  for (let i = 0; i < out.length; i++) out[i] *= scale;
  return out;
}

async function foldStream(stream: DayStream, n: number, c: Common, seed: number) {
  const folder = new StreamFolder({ dim: KEY_DIM, ratio: c.ratio, warmup: c.warmup, radius: c.radius || undefined, seed: 0 });
  const t0 = performance.now();
  let generate = 0;
  // Generation (JS) and folding (native, OpenMP) take turns: overlapping them on 2 cores made OpenMP's barrier
  // spinning fight the generator, and the fold ran 2-3x slower than the two in sequence.
  for (const it = stream.chunks(n, seed); ;) {
    const g = performance.now();
    const next = it.next();
    generate += performance.now() - g;
    if (next.done) break;
    await folder.push(next.value);
  }
  const bank = await folder.finish();
  const seconds = (performance.now() - t0) / 1000;
  await folder.close();
  return { ...bank, seconds, generateSeconds: generate / 1000 };
}

function sampleRows(x: Float32Array, dim: number, count: number): Float32Array {
  const n = x.length / dim;
  if (count >= n) return x;
  const out = new Float32Array(count * dim);
  for (let i = 0; i < count; i++) {
    const r = Math.floor((i * n) / count);
    out.set(x.subarray(r * dim, (r + 1) * dim), i * dim);
  }
  return out;
}

async function childFold(n: number, c: Common): Promise<Record<string, unknown>> {
  const stream = await loadStream(c.dir);
  const { keys, summary, seconds, generateSeconds } = await foldStream(stream, n, c, STREAM_SEED);
  const foldPeak = peakRssMiB();
  const bankVectors = keys.length / KEY_DIM;
  const bankFile = path.join(c.dir, `bank-${n}.f32`);
  writeFileSync(bankFile, new Uint8Array(keys.buffer, keys.byteOffset, keys.byteLength));
  const choice = chooseCompressedIndex(bankVectors, KEY_DIM, DISK_BUDGET - keys.byteLength);
  const t1 = performance.now();
  const index = FaissIndex.create(KEY_DIM, choice.factory);
  if (choice.trainSize > 0) await index.train(sampleRows(keys, KEY_DIM, choice.trainSize));
  await index.add(keys);
  index.setParams(choice.params);
  const indexFile = path.join(c.dir, `index-${n}.faiss`);
  await index.write(indexFile);
  const indexSeconds = (performance.now() - t1) / 1000;
  // Held-out queries: fresh images' worth of vectors from the same stream (another seed).
  const queries = stream.chunk(0, QUERY_IMAGES * PATCHES, 777);
  const approx = await index.search(queries, 1);
  index.close();
  const exact = FaissIndex.create(KEY_DIM, 'Flat');
  await exact.add(keys);
  const truth = await exact.search(queries, 1);
  exact.close();
  let hits = 0;
  let worst = 0;
  const nq = queries.length / KEY_DIM;
  for (let i = 0; i < nq; i++) {
    if (approx.labels[i] === truth.labels[i] || approx.distances[i] <= truth.distances[i] * (1 + 1e-6)) hits++;
    worst = Math.max(worst, Math.sqrt(truth.distances[i]));
  }
  return {
    n,
    fold_seconds: seconds,
    vectors_per_second: n / seconds,
    net_seconds: summary.netSeconds,
    calibrate_seconds: summary.calibrateSeconds,
    generate_seconds: generateSeconds,
    peak_rss_mb: foldPeak,
    bank_vectors: bankVectors,
    radius: summary.radius,
    radius_source: summary.radiusChoice.source,
    alarms: summary.alarms.length,
    growth: summary.growthCurve,
    factory: choice.factory,
    index_reason: choice.reason,
    index_seconds: indexSeconds,
    index_bytes: statSync(indexFile).size,
    bank_bytes: statSync(bankFile).size,
    recall_at_1: hits / nq,
    heldout_max_distance: worst,
    index_file: indexFile,
    params: choice.params,
  } satisfies Record<string, unknown> & { growth: FoldSummary['growthCurve'] };
}

/** Resident bytes of this process: anonymous (private copies) and file-backed (mapped files, shared), Linux only. */
function rssParts(): { total: number; anon: number; file: number } {
  const total = process.memoryUsage().rss;
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { total, anon: kb('RssAnon'), file: kb('RssFile') };
  } catch {
    return { total, anon: NaN, file: NaN };
  }
}

async function childLoad(indexFile: string, nprobe: number): Promise<Record<string, unknown>> {
  // The load is measured before anything else allocates, so that the RSS difference is the index's.
  (globalThis as { gc?: () => void }).gc?.();
  const before = rssParts();
  const index = await FaissIndex.read(indexFile, { mmap: true });
  (globalThis as { gc?: () => void }).gc?.();
  const afterLoad = rssParts();
  const stream = await DayStream.create();
  const queries = Array.from({ length: SEARCH_IMAGES }, (_, i) => stream.chunk(i, PATCHES, 4242));
  if (nprobe > 0) index.setParams({ nprobe });
  await index.search(queries[0], 1);
  const ms: number[] = [];
  for (const q of queries) {
    const t = performance.now();
    await index.search(q, 1);
    ms.push(performance.now() - t);
  }
  const afterSearch = rssParts();
  const mapped = index.mappedBytes();
  index.close();
  return {
    rss_after_mmap_load_mb: (afterLoad.total - before.total) / 2 ** 20,
    rss_anon_after_mmap_load_mb: (afterLoad.anon - before.anon) / 2 ** 20,
    rss_file_after_search_mb: (afterSearch.file - before.file) / 2 ** 20,
    rss_total_after_search_mb: afterSearch.total / 2 ** 20,
    mapped_bytes: mapped,
    search_ms_per_image: median(ms),
  };
}

async function childCompare(m: number, c: Common): Promise<Record<string, unknown>> {
  const stream = await loadStream(c.dir);
  const { keys, summary, seconds } = await foldStream(stream, m, c, STREAM_SEED + 1);
  const bank = keys.length / KEY_DIM;
  const sub = new Float32Array(m * KEY_DIM);
  let off = 0;
  for (const chunk of stream.chunks(m, STREAM_SEED + 1)) {
    sub.set(chunk, off);
    off += chunk.length;
  }
  const t = performance.now();
  const greedy = await prunedGreedyCoreset({ data: sub, rows: m, cols: KEY_DIM }, { count: bank, projectionDim: KEY_DIM, seed: 0 });
  return {
    m,
    bank_vectors: bank,
    epsnet_radius: summary.radius,
    epsnet_seconds: seconds,
    greedy_radius: greedy.radius,
    greedy_seconds: (performance.now() - t) / 1000,
    radius_ratio: summary.radius / greedy.radius,
  };
}

function runChild(args: string[]): Record<string, unknown> {
  const res = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(here, 'scale.ts'), '--child', ...args], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (res.status !== 0) throw new Error(`bench:scale child ${args.join(' ')} failed with status ${res.status}: ${res.stdout}`);
  const line = res.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as Record<string, unknown>;
}

function option(rest: string[], name: string): string | undefined {
  const i = rest.indexOf(name);
  return i >= 0 ? rest[i + 1] : undefined;
}

async function main(): Promise<void> {
  const args = parseBenchArgs();
  const rest = args.rest;
  if (rest[0] === '--child') {
    const [, kind, a, dir, ratio, warmup, radius] = rest;
    const c: Common = { dir, ratio: Number(ratio), warmup: Number(warmup), radius: Number(radius ?? 0) };
    const out = kind === 'fold' ? await childFold(Number(a), c) : kind === 'load' ? await childLoad(a, Number(dir)) : await childCompare(Number(a), c);
    process.stdout.write(JSON.stringify(out) + '\n');
    return;
  }
  const sizes = (option(rest, '--sizes') ?? (args.quick ? '200000,1000000' : '1000000,10000000,37632000')).split(',').map(Number);
  const ratio = Number(option(rest, '--ratio') ?? 0.1);
  const warmup = Number(option(rest, '--warmup') ?? (args.quick ? 30_000 : 50_000));
  const radius = Number(option(rest, '--radius') ?? 0);
  const compareM = Number(option(rest, '--compare') ?? (args.quick ? 100_000 : 1_000_000));
  const started = Date.now();
  console.log(`PatchLine day-scale bank benchmark (${args.quick ? 'quick' : 'full'}) on ${describeMachine()}`);
  console.log(`stream: synthetic 1024-d model projected to ${KEY_DIM}, real magnetic-tile patches mixed in; r from approximate greedy at ratio ${ratio} on a ${warmup.toLocaleString('en-US')}-vector warm-up\n`);
  const dir = mkdtempSync(path.join(tmpdir(), 'patchline-scale-'));
  try {
    const synth = await DayStream.create();
    const real = await realFeatures(args.quick ? 8 : 32, synth.rmsNorm());
    if (real) writeFileSync(path.join(dir, 'real.f32'), new Uint8Array(real.buffer));
    const results: Record<string, unknown>[] = [];
    for (const n of sizes) {
      const fold = runChild(['fold', String(n), dir, String(ratio), String(warmup), String(radius)]);
      const params = fold.params as { nprobe?: number };
      const load = runChild(['load', String(fold.index_file), String(params.nprobe ?? 0)]);
      rmSync(String(fold.index_file), { force: true });
      rmSync(path.join(dir, `bank-${n}.f32`), { force: true });
      const row = { ...fold, ...load };
      results.push({ ...row, loadavg: loadavg() });
      console.error(JSON.stringify({ ...row, growth: undefined }));
      console.log(`N = ${n.toLocaleString('en-US')}: ${(n / Number(fold.fold_seconds)).toFixed(0)} vectors/s, bank ${fold.bank_vectors}`);
    }
    // --append FILE: a previous run's JSON (e.g. the smaller N, run separately to keep each locked run short).
    const appendFile = option(rest, '--append');
    const earlier = appendFile ? (JSON.parse(readFileSync(appendFile, 'utf8')) as { runs: Record<string, unknown>[]; compare: Record<string, unknown> | null }) : null;
    if (earlier) results.unshift(...earlier.runs);
    const compare = compareM > 0 ? runChild(['compare', String(compareM), dir, String(ratio), String(warmup), String(radius)]) : (earlier?.compare ?? null);
    const rows: Row[] = results.map((r) => ({
      N: Number(r.n),
      'fold s': Number(r.fold_seconds),
      'vectors/s': Math.round(Number(r.vectors_per_second)),
      'net s': Number(r.net_seconds),
      'peak RSS MB': Math.round(Number(r.peak_rss_mb)),
      bank: Number(r.bank_vectors),
      r: Number(r.radius),
      alarms: Number(r.alarms),
      index: String(r.factory),
      'index MB': Number(r.index_bytes) / 1e6,
      'bank MB': Number(r.bank_bytes) / 1e6,
      'mmap RSS MB': Number(r.rss_anon_after_mmap_load_mb),
      'ms/image': Number(r.search_ms_per_image),
      'recall@1': Number(r.recall_at_1),
    }));
    console.log('\n' + table(rows));
    if (compare) {
      console.log(
        `\ncoverage radius on a ${Number(compare.m).toLocaleString('en-US')}-vector subsample at ${Number(compare.bank_vectors).toLocaleString('en-US')} bank vectors: ` +
          `epsilon-net ${Number(compare.epsnet_radius).toFixed(3)} vs offline approximate greedy ${Number(compare.greedy_radius).toFixed(3)} ` +
          `(ratio ${Number(compare.radius_ratio).toFixed(2)}; target ≤ 1.5)`,
      );
    }
    const last = results[results.length - 1];
    const result = {
      benchmark: 'scale',
      mode: args.quick ? 'quick' : 'full',
      machine: machine(),
      seconds: (Date.now() - started) / 1000,
      summary: {
        n: Number(last.n),
        fold_seconds: Number(last.fold_seconds),
        peak_rss_mb: Number(last.peak_rss_mb),
        bank_vectors: Number(last.bank_vectors),
        index_bytes: Number(last.index_bytes),
        search_ms_per_image: Number(last.search_ms_per_image),
        recall_at_1: Number(last.recall_at_1),
        vectors_per_second: Number(last.vectors_per_second),
        radius_ratio_vs_greedy: compare ? Number(compare.radius_ratio) : null,
      },
      runs: results.map(({ index_file: _f, ...r }) => r),
      compare,
    };
    if (args.json) {
      writeJson(args.json, result);
      console.log(`\nJSON written to ${args.json}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
