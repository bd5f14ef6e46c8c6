// Coreset part of bench:native: (a) approximate greedy vs (c) pruned greedy on seeded synthetic patch-like features,
// same options and seed, measured in the same run; the speed-up, the set overlap and the radius agreement.
import { approximateGreedyCoreset, getNumThreads, prunedGreedyCoreset, simdKernels } from '../native/index';
import type { CoresetResult, FeatureMatrix, GreedyOptions } from '../native/index';
import { rng } from '../electron/engine/random';
import { sizesArg, table } from './lib/report';
import type { BenchArgs, Row } from './lib/report';

export interface ClusteredOptions {
  rows: number;
  cols?: number; // default 128 (already projected, so (a)/(c) skip the projection)
  clusters?: number; // default ~ rows / 300, between 8 and 3000
  intrinsicDim?: number; // local dimension of each cluster; default 8
  seed?: number;
}

function gaussian(rand: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const u = 1 - rand();
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

/**
 * Patch-feature-like data: a few thousand clusters (many patches of a good part look alike), each a low-dimensional
 * Gaussian blob (intrinsicDim directions) plus a little isotropic noise; cluster radii are heavy-tailed (Pareto-like)
 * and so are cluster sizes. Deterministic for a seed.
 */
export function clusteredFeatures(opts: ClusteredOptions): FeatureMatrix & { data: Float32Array } {
  const rows = opts.rows;
  const cols = opts.cols ?? 128;
  const clusters = opts.clusters ?? Math.max(8, Math.min(3000, Math.round(rows / 300)));
  const m = opts.intrinsicDim ?? 8;
  const rand = rng(opts.seed ?? 1);
  const normal = gaussian(rand);
  const centres = new Float32Array(clusters * cols);
  for (let i = 0; i < centres.length; i++) centres[i] = normal() * 4;
  const basis = new Float32Array(clusters * m * cols);
  for (let i = 0; i < basis.length; i++) basis[i] = normal() / Math.sqrt(cols);
  const radius = new Float32Array(clusters);
  const cumulative = new Float64Array(clusters);
  let total = 0;
  for (let c = 0; c < clusters; c++) {
    radius[c] = Math.min(20, 0.5 * Math.pow(rand() + 1e-3, -0.7));
    total += Math.min(50, Math.pow(rand() + 1e-2, -1));
    cumulative[c] = total;
  }
  const data = new Float32Array(rows * cols);
  const z = new Float64Array(m);
  for (let i = 0; i < rows; i++) {
    const u = rand() * total;
    let lo = 0;
    let hi = clusters - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    const c = lo;
    for (let a = 0; a < m; a++) z[a] = normal() * radius[c];
    const noise = 0.02 * radius[c];
    const row = i * cols;
    const b0 = c * m * cols;
    for (let j = 0; j < cols; j++) {
      let v = centres[c * cols + j] + noise * normal();
      for (let a = 0; a < m; a++) v += z[a] * basis[b0 + a * cols + j];
      data[row + j] = v;
    }
  }
  return { data, rows, cols };
}

/** |A ∩ B| / |A| for two selections of the same size. */
export function overlap(a: Uint32Array, b: Uint32Array): number {
  const set = new Set(a);
  let hit = 0;
  for (const i of b) if (set.has(i)) hit++;
  return a.length ? hit / a.length : 1;
}

interface Timed {
  result: CoresetResult;
  seconds: number;
}

async function timed(fn: () => Promise<CoresetResult>): Promise<Timed> {
  const t0 = performance.now();
  const result = await fn();
  return { result, seconds: (performance.now() - t0) / 1000 };
}

function progressPrinter(label: string): GreedyOptions['onProgress'] {
  if (!process.stdout.isTTY) return undefined;
  let last = 0;
  return (done, total) => {
    const now = Date.now();
    if (now - last < 1000 && done !== total) return;
    last = now;
    process.stdout.write(`\r  ${label}: ${done}/${total}   ${done === total ? '\n' : ''}`);
  };
}

interface Case {
  rows: number;
  storage: 'float32' | 'float16';
  /** Run (a) for only this many iterations (its ms/iteration), and (c) in full, instead of the comparison. */
  approxIterationsOnly?: number;
  /** Run (a) for its first 1,000 iterations and extrapolate its total (--extrapolate-a). */
  extrapolate?: boolean;
}

export async function runCoresetBench(args: BenchArgs): Promise<{ rows: Row[]; summary: Record<string, number> }> {
  const ratio = 0.1;
  const seed = 7;
  // The samplers run at background priority (nice +5) so an app stays responsive; measure them at normal priority,
  // like everything else on the machine.
  process.env.PATCHLINE_CORESET_NICE ??= '0';
  const kernels = simdKernels();
  const all: Case[] = args.quick
    ? [{ rows: 100_000, storage: 'float16' }]
    : [
        { rows: 100_000, storage: 'float16' },
        { rows: 100_000, storage: 'float32' },
        { rows: 1_000_000, storage: 'float32', approxIterationsOnly: 300 },
        { rows: 1_000_000, storage: 'float16' },
      ];
  // --sizes 1000000: only those N. --extrapolate-a: (a) runs its first 1,000 iterations only and its total is
  // extrapolated (each iteration scans all N points, so its cost per iteration is constant): for a machine that
  // cannot spare the 15-30 minutes of the full run.
  const sizes = sizesArg(args.rest);
  const extrapolate = args.rest.includes('--extrapolate-a');
  const cases = all
    .filter((c) => !sizes || sizes.includes(c.rows))
    .map((c) => (extrapolate && !c.approxIterationsOnly ? { ...c, extrapolate: true } : c));
  if (cases.some((c) => c.rows >= 1_000_000 && !c.approxIterationsOnly && !c.extrapolate)) {
    console.log('Full mode runs (a) to completion at N = 1M (100k iterations): expect 15-30 minutes on 2 cores.');
  }
  console.log(
    `Coreset (a) approximate greedy vs (c) pruned greedy: ratio ${ratio}, 128-d clustered synthetic features, seed ${seed}, ` +
      `${getNumThreads()} threads, ${kernels.active} kernels.`,
  );
  const rows: Row[] = [];
  const summary: Record<string, number> = {};
  let identical = true;
  const data = new Map<number, FeatureMatrix>();
  for (const c of cases) {
    let x = data.get(c.rows);
    if (!x) {
      const t0 = performance.now();
      x = clusteredFeatures({ rows: c.rows, seed: 11 });
      data.set(c.rows, x);
      console.log(`  generated ${c.rows.toLocaleString('en-US')} x 128 in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    const features = x;
    const n = `${c.rows / 1000}k`.replace('000k', 'M');
    const row = (method: string, t: Timed, extra: Row = {}): Row => {
      const count = t.result.indices.length;
      return {
        N: n,
        storage: c.storage,
        method,
        iterations: count,
        'prepare s': t.result.stats.prepareSeconds,
        'select s': t.result.stats.selectSeconds,
        'ms/iter': (1000 * t.result.stats.selectSeconds) / count,
        'dist/iter': t.result.stats.distances / count,
        'nodes/iter': t.result.stats.nodeVisits / count,
        'total s': t.seconds,
        ...extra,
      };
    };
    const opts: GreedyOptions = { ratio, seed, storage: c.storage };
    const pruned = await timed(() => prunedGreedyCoreset(features, { ...opts, onProgress: progressPrinter(`(c) ${n} ${c.storage}`) }));
    if (c.approxIterationsOnly) {
      const a = await timed(() => approximateGreedyCoreset(features, { count: c.approxIterationsOnly, seed, storage: c.storage }));
      rows.push(row('(a) approximate, first iterations only', a), row('(c) pruned', pruned, { radius: pruned.result.radius }));
      continue;
    }
    if (c.extrapolate) {
      const a = await timed(() => approximateGreedyCoreset(features, { count: 1000, seed, storage: c.storage }));
      const count = pruned.result.indices.length;
      const msPerIter = (1000 * a.result.stats.selectSeconds) / a.result.indices.length;
      const aSeconds = a.result.stats.prepareSeconds + (count * msPerIter) / 1000;
      const speedup = aSeconds / pruned.seconds;
      rows.push(
        row('(a) approximate, first 1,000 iterations', a, { 'extrapolated s': aSeconds }),
        row('(c) pruned', pruned, { 'speed-up': speedup, radius: pruned.result.radius, note: 'vs (a) extrapolated' }),
      );
      const key = c.rows === 1_000_000 ? '1m' : '100k';
      summary[`coreset_speedup_${key}`] = speedup;
      summary[`coreset_a_ms_per_iter_${key}`] = msPerIter;
      summary[`coreset_c_seconds_${key}`] = pruned.seconds;
      summary[`coreset_speedup_${key}_extrapolated`] = 1;
      continue;
    }
    const approx = await timed(() => approximateGreedyCoreset(features, { ...opts, onProgress: progressPrinter(`(a) ${n} ${c.storage}`) }));
    const count = approx.result.indices.length;
    const ov = overlap(approx.result.indices, pruned.result.indices);
    const radiusRel = Math.abs(approx.result.radius - pruned.result.radius) / approx.result.radius;
    identical &&= ov >= 0.999 && radiusRel <= 1e-4;
    const speedup = approx.seconds / pruned.seconds;
    rows.push(
      row('(a) approximate', approx, { radius: approx.result.radius }),
      row('(c) pruned', pruned, { 'speed-up': speedup, overlap: ov, radius: pruned.result.radius }),
    );
    const key = c.rows === 1_000_000 ? '1m' : '100k';
    if (c.storage === 'float16' || summary[`coreset_speedup_${key}`] === undefined) {
      summary[`coreset_speedup_${key}`] = speedup;
      summary[`coreset_a_ms_per_iter_${key}`] = (1000 * approx.result.stats.selectSeconds) / count;
      summary[`coreset_c_seconds_${key}`] = pruned.seconds;
    }
  }
  // Only cases whose (a) ran in full can show identity.
  if (cases.some((c) => !c.approxIterationsOnly && !c.extrapolate)) summary.coreset_identical = identical ? 1 : 0;
  console.log('');
  console.log(table(rows));
  console.log(
    '\nspeed-up = (a) total seconds / (c) total seconds, same data, options and seed; overlap = |(a) ∩ (c)| / |(a)|; ' +
      'radius = max distance of any point to its nearest selected point (projected space).',
  );
  return { rows, summary };
}

