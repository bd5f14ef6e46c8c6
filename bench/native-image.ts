// Image part of bench:native: one image's 784 patches against a 60k × 128 memory bank (seeded synthetic clustered
// patch features, bench/lib/patch-features.ts), the engine's way and the one-call way, in the same process:
//   (i)   engine path: IVF search of the 784 queries, then the engine's own Scorer.refine, which re-searches the top
//         patches in a separate Flat copy of the bank from JS, round by round;
//   (ii)  one call:    FaissIndex.searchImage, the same search and refinement in one native call, refining against
//         the index's own RFlat vectors;
//   (iii) exact:       Flat search of the 784 queries.
// recall@1 is per patch against (iii); "max exact" is the fraction of images whose image score equals the exact one.
// Half the images carry a synthetic defect (a few displaced patches), so the maximum is sometimes far out.
// Then the sweep: which nprobe / kFactor give recall@1 ≥ 0.99 of the map at what cost, per list count, so the engine
// can pick its settings per bank.
//
//   npm run bench:native -- --only image [--quick] [--json FILE]
import { loadavg } from 'node:os';
import { FaissIndex, getNumThreads, simdKernels, type SearchParams } from '../native/index';
import { Scorer, type ScoringParams } from '../electron/engine/score/scorer';
import { gaussian, PatchFeatureModel } from './lib/patch-features';
import { rng } from '../electron/engine/random';
import { median, table, type BenchArgs, type Row } from './lib/report';

const PATCHES = 784;
const DIM = 128;
const BANK = 60_000;
const K = 1;
const EXACT_TOP = 8;
const ENGINE_FACTORY = 'IVF512,SQ8,RFlat';
const ENGINE_PARAMS: SearchParams = { nprobe: 16, kFactor: 4 };
const TARGET_RECALL = 0.99;

interface Image {
  data: Float32Array;
  defective: boolean;
}

// Good images are 784 fresh draws of the model; a defective one has 12 of them pushed off the manifold.
function makeImages(model: PatchFeatureModel, count: number): Image[] {
  const normal = gaussian(rng(99));
  return Array.from({ length: count }, (_, i) => {
    const data = model.sample(PATCHES, 5000 + i);
    const defective = i % 2 === 1;
    if (defective) {
      for (let j = 0; j < 12; j++) {
        const p = (j * 61 + i * 7) % PATCHES;
        for (let t = 0; t < DIM; t++) data[p * DIM + t] += 0.6 * normal();
      }
    }
    return { data, defective };
  });
}

async function build(factory: string, bank: Float32Array): Promise<{ index: FaissIndex; seconds: number }> {
  const t = performance.now();
  const index = FaissIndex.create(DIM, factory);
  const nlist = Number(/IVF(\d+)/.exec(factory)?.[1] ?? 0);
  if (!index.isTrained) await index.train(bank.subarray(0, Math.min(BANK, 40 * Math.max(nlist, 1)) * DIM));
  await index.add(bank);
  return { index, seconds: (performance.now() - t) / 1000 };
}

function scoresOf(distances: Float32Array): Float32Array {
  return Float32Array.from(distances, (d) => Math.sqrt(Math.max(0, d)));
}

function maxOf(a: Float32Array): number {
  let m = -Infinity;
  for (const v of a) if (v > m) m = v;
  return m;
}

interface Truth {
  labels: BigInt64Array;
  max: number;
}

interface PathResult {
  ms: number[];
  hits: number;
  exactMax: number;
}

function tally(into: PathResult, ms: number, labels: ArrayLike<bigint | number>, max: number, truth: Truth): void {
  into.ms.push(ms);
  for (let p = 0; p < PATCHES; p++) if (BigInt(labels[p * K]) === truth.labels[p * K]) into.hits++;
  if (max === truth.max) into.exactMax++;
}

const empty = (): PathResult => ({ ms: [], hits: 0, exactMax: 0 });

function row(path: string, factory: string, params: string, r: PathResult, images: number, baseMs?: number): Row {
  const ms = median(r.ms);
  return {
    path,
    index: factory,
    params,
    'ms/image': ms,
    'recall@1': r.hits / (images * PATCHES),
    'max exact': r.exactMax / images,
    'vs engine': baseMs === undefined ? null : baseMs / ms,
  };
}

export async function runImageBench(args: BenchArgs): Promise<{ rows: Row[]; sweep: Row[]; summary: Record<string, number> }> {
  const imageCount = args.quick ? 12 : 40;
  const warmup = 2;
  const model = new PatchFeatureModel(DIM, { seed: 7 });
  const bank = model.sample(BANK, 1);
  const images = makeImages(model, imageCount + warmup);
  console.log(
    `\nImage: ${PATCHES} patches per image against ${BANK / 1000}k × ${DIM}, k = ${K}, exactTop ${EXACT_TOP}, ${imageCount} images ` +
      `(half with a synthetic defect), ${getNumThreads()} threads, ${simdKernels().active} kernels, load ${loadavg()[0].toFixed(2)}\n`,
  );

  const flat = (await build('Flat', bank)).index;
  const truths: Truth[] = [];
  for (const im of images) {
    const r = await flat.search(im.data, K);
    truths.push({ labels: r.labels, max: maxOf(scoresOf(r.distances)) });
  }

  // (i), (ii), (iii) interleaved image by image, so a change of machine load hits all three alike.
  const { index: ivf, seconds: buildSeconds } = await build(ENGINE_FACTORY, bank);
  ivf.setParams(ENGINE_PARAMS);
  const scoring: ScoringParams = { k: K, reweight: false, reweightNeighbors: 9, sigma: 4, size: 224, imageScore: 'patch-max', exactTop: EXACT_TOP };
  const scorer = new Scorer(ivf, scoring, () => bank, flat, { oneCall: false });
  const engine = empty();
  const oneCall = empty();
  const exact = empty();
  for (let i = 0; i < images.length; i++) {
    const im = images[i];
    const counted = i >= warmup;
    let t = performance.now();
    const [s] = await scorer.score([{ data: im.data, dim: DIM, gridH: 28, gridW: 28 }]);
    const engineMs = performance.now() - t;
    t = performance.now();
    const one = await ivf.searchImage(im.data, K, { exactTop: EXACT_TOP });
    const oneMs = performance.now() - t;
    t = performance.now();
    const e = await flat.search(im.data, K);
    const exactMs = performance.now() - t;
    if (!counted) continue;
    // The two paths must give the same map (Scorer returns no labels, so its recall is the one call's by this check).
    if (s.score !== one.maxScore || s.scores.some((v, p) => v !== one.scores[p])) {
      throw new Error(`image ${i}: the engine path and the one call disagree (image score ${s.score} vs ${one.maxScore})`);
    }
    tally(engine, engineMs, one.labels, s.score, truths[i]);
    tally(oneCall, oneMs, one.labels, one.maxScore, truths[i]);
    tally(exact, exactMs, e.labels, maxOf(scoresOf(e.distances)), truths[i]);
  }
  const p = `nprobe=${ENGINE_PARAMS.nprobe} kFactor=${ENGINE_PARAMS.kFactor}`;
  const engineMs = median(engine.ms);
  const rows: Row[] = [
    row('(i) engine: search + Flat refine from JS', ENGINE_FACTORY, p, engine, imageCount, engineMs),
    row('(ii) one call: searchImage', ENGINE_FACTORY, p, oneCall, imageCount, engineMs),
    row('(iii) exact: Flat search', 'Flat', '', exact, imageCount, engineMs),
  ];
  console.log(table(rows, ['path', 'index', 'params', 'ms/image', 'recall@1', 'max exact', 'vs engine']));
  console.log(`(${ENGINE_FACTORY} built in ${buildSeconds.toFixed(1)} s; "vs engine" = engine ms / this path's ms)`);

  // The sweep: one-call path per setting.
  const sweep: Row[] = [];
  const factories = args.quick ? [ENGINE_FACTORY] : ['IVF256,SQ8,RFlat', ENGINE_FACTORY, 'IVF1024,SQ8,RFlat'];
  const nprobes = args.quick ? [2, 4, 8, 16] : [1, 2, 4, 8, 16, 32];
  const kFactors = args.quick ? [1, 2, 4] : [1, 2, 4, 8];
  const best = new Map<string, Row>();
  for (const factory of factories) {
    const built = factory === ENGINE_FACTORY ? ivf : (await build(factory, bank)).index;
    for (const nprobe of nprobes) {
      for (const kFactor of kFactors) {
        const r = empty();
        for (let i = 0; i < images.length; i++) {
          const t = performance.now();
          const one = await built.searchImage(images[i].data, K, { exactTop: EXACT_TOP, nprobe, kFactor });
          if (i >= warmup) tally(r, performance.now() - t, one.labels, one.maxScore, truths[i]);
        }
        const out = row('one call', factory, `nprobe=${nprobe} kFactor=${kFactor}`, r, imageCount, engineMs);
        sweep.push(out);
        const key = factory;
        const prev = best.get(key);
        if ((out['recall@1'] as number) >= TARGET_RECALL && (!prev || (out['ms/image'] as number) < (prev['ms/image'] as number))) best.set(key, out);
      }
    }
    if (built !== ivf) built.close();
  }
  for (const r of sweep) r.pick = best.get(r.index as string) === r ? `fastest with recall@1 ≥ ${TARGET_RECALL}` : null;
  console.log(`\n${table(sweep, ['index', 'params', 'ms/image', 'recall@1', 'max exact', 'vs engine', 'pick'])}\n`);
  ivf.close();
  flat.close();

  const summary: Record<string, number> = {
    image_engine_ms: engineMs,
    image_one_call_ms: median(oneCall.ms),
    image_exact_ms: median(exact.ms),
    image_one_call_speedup: engineMs / median(oneCall.ms),
    image_recall_at_1: oneCall.hits / (imageCount * PATCHES),
    image_max_exact: oneCall.exactMax / imageCount,
  };
  const pick = best.get(ENGINE_FACTORY);
  if (pick) {
    summary.image_best_ms_at_recall_099 = pick['ms/image'] as number;
    summary.image_best_recall = pick['recall@1'] as number;
  }
  return { rows, sweep, summary };
}
