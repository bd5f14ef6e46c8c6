// Search part of bench:native: one image's 784 patch queries against memory banks of 16k, 100k and 1M vectors at
// D = 128 and D = 1024, on seeded synthetic clustered data (bench/lib/patch-features.ts). Exact Flat search is the
// baseline and the ground truth; every other index is reported with its recall@1 against it, its build time
// (train + add) and its memory. "ms/image" is the median over repeated searches of all 784 queries at k = 1.
import { FaissIndex, getNumThreads, simdKernels, type SearchParams } from '../native/index';
import { listCount, SEARCH_LISTS } from '../electron/engine/bank/index-rule';

const nlistFor = (n: number) => listCount(n, SEARCH_LISTS);
import { PatchFeatureModel } from './lib/patch-features';
import { median, sizesArg, table, type BenchArgs, type Row } from './lib/report';

const QUERIES = 784;
const CHUNK = 65536;
const TARGET_RECALL = 0.95;

interface Bank {
  dim: number;
  size: number;
  chunks: Float32Array[];
  queries: Float32Array;
}

interface Candidate {
  /** Faiss factory string for this bank. */
  factory: (bank: Bank) => string;
  /** Parameter settings to sweep (search only: the index is built once). */
  sweep: (bank: Bank) => SearchParams[];
  /** Training vectors to use (a prefix of the bank: the sample is i.i.d.). */
  trainSize?: (bank: Bank) => number;
  /** Whether this index type belongs in this bank's table at all (default: yes). */
  applies?: (bank: Bank) => boolean;
  /** A reason not to build it here (too slow for the time budget), shown in the table; null to build it. */
  skip?: (bank: Bank, args: BenchArgs) => Promise<string | null> | string | null;
}

const HNSW_BUDGET_S = 600;

// HNSW insertion cost grows slowly (log N) with the graph; time a 20k prefix and extrapolate, so the table says
// why a row is missing instead of the run blowing its time budget.
async function hnswTooSlow(bank: Bank, factory: string): Promise<string | null> {
  const probe = 20000;
  if (bank.size <= 10 * probe) return null;
  const index = FaissIndex.create(bank.dim, factory);
  const t = performance.now();
  await index.add(prefix(bank, probe));
  const perInsert = (performance.now() - t) / 1000 / probe;
  index.close();
  const estimate = perInsert * bank.size * 1.3;
  if (estimate <= HNSW_BUDGET_S) return null;
  return `not built: ${(perInsert * 1e3).toFixed(2)} ms per insert on a 20k prefix, ~${Math.round(estimate / 60)} min for the bank`;
}

function makeBank(model: PatchFeatureModel, size: number, seed: number): Bank {
  const chunks: Float32Array[] = [];
  for (let start = 0, c = 0; start < size; start += CHUNK, c++) {
    chunks.push(model.sample(Math.min(CHUNK, size - start), seed * 1000 + c));
  }
  return { dim: model.dim, size, chunks, queries: model.sample(QUERIES, seed * 1000 + 999) };
}

function prefix(bank: Bank, n: number): Float32Array {
  const out = new Float32Array(n * bank.dim);
  let filled = 0;
  for (const chunk of bank.chunks) {
    if (filled >= out.length) break;
    const part = chunk.subarray(0, Math.min(chunk.length, out.length - filled));
    out.set(part, filled);
    filled += part.length;
  }
  return out;
}

async function build(bank: Bank, factory: string, trainSize: number): Promise<{ index: FaissIndex; seconds: number }> {
  const started = performance.now();
  const index = FaissIndex.create(bank.dim, factory);
  if (!index.isTrained) await index.train(prefix(bank, Math.min(bank.size, trainSize)));
  for (const chunk of bank.chunks) await index.add(chunk);
  return { index, seconds: (performance.now() - started) / 1000 };
}

async function timeSearch(index: FaissIndex, queries: Float32Array, params: SearchParams, runs: number) {
  let labels: BigInt64Array;
  const times: number[] = [];
  // One warm-up: first-touch page faults of mapped or freshly built data are not the steady state.
  labels = (await index.search(queries, 1, params)).labels;
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    labels = (await index.search(queries, 1, params)).labels;
    times.push(performance.now() - t);
  }
  return { ms: median(times), labels };
}

function recall(labels: BigInt64Array, truth: BigInt64Array): number {
  let hits = 0;
  for (let i = 0; i < truth.length; i++) if (labels[i] === truth[i]) hits++;
  return hits / truth.length;
}

function describeParams(p: SearchParams): string {
  return Object.entries(p)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

// PatchCore's banks: D = 128 (default backbone) to 1024+ (WideResNet-50 layers 2+3). At high D the list scan is
// memory bound, so the IVF stage runs on a PCA projection and the exact re-ranking (RFlat) on the full vectors.
function candidates(quick: boolean): Candidate[] {
  const high = (b: Bank) => b.dim > 256;
  // k-means wants >= 39 points per centroid (Faiss warns below); 40 per list is plenty for a coarse quantizer.
  const ivfTrain = (b: Bank) => Math.min(b.size, 40 * nlistFor(b.size));
  const pqTrain = (b: Bank) => Math.min(b.size, Math.max(32768, 40 * nlistFor(b.size)));
  const pq = (b: Bank) => `${high(b) ? 'PCA256,' : ''}IVF${nlistFor(b.size)},PQ${high(b) ? 64 : b.dim / 4}`;
  const list: Candidate[] = [
    {
      factory: (b) => `${high(b) ? 'PCA128,' : ''}IVF${nlistFor(b.size)},SQ8,RFlat`,
      sweep: (b) =>
        high(b)
          ? [
              { nprobe: 4, kFactor: 8 },
              { nprobe: 4, kFactor: 16 },
              { nprobe: 8, kFactor: 16 },
            ]
          : [
              { nprobe: 2, kFactor: 4 },
              { nprobe: 4, kFactor: 4 },
              { nprobe: 8, kFactor: 8 },
            ],
      trainSize: ivfTrain,
    },
    {
      // At 1M, half the lists: half the coarse quantization cost, twice the list length.
      factory: (b) => `IVF${nlistFor(b.size) / 2},SQ8,RFlat`,
      sweep: () => [
        { nprobe: 1, kFactor: 4 },
        { nprobe: 2, kFactor: 4 },
      ],
      trainSize: (b) => Math.min(b.size, 40 * (nlistFor(b.size) / 2)),
      applies: (b) => b.size >= 1e6 && !high(b),
    },
    {
      factory: (b) => `PCA256,IVF${nlistFor(b.size)},SQ8,RFlat`,
      sweep: () => [
        { nprobe: 4, kFactor: 8 },
        { nprobe: 8, kFactor: 16 },
      ],
      trainSize: ivfTrain,
      applies: high,
    },
    {
      factory: (b) => `IVF${nlistFor(b.size)},SQ8,RFlat`,
      sweep: () => [{ nprobe: 4, kFactor: 4 }],
      trainSize: ivfTrain,
      applies: high,
      skip: (b) => (b.size > 200000 ? 'not built: k-means over 1024-d vectors into 4096 lists is too slow here' : null),
    },
    {
      factory: (b) => `IVF${nlistFor(b.size)},SQfp16`,
      sweep: () => (quick ? [{ nprobe: 4 }] : [{ nprobe: 4 }, { nprobe: 8 }]),
      trainSize: ivfTrain,
      applies: (b) => !high(b),
    },
    {
      factory: pq,
      sweep: () => [{ nprobe: 4 }, { nprobe: 16 }],
      // PQ k-means cost grows with the sample; 32k points train 256 centroids per sub-quantizer well.
      trainSize: pqTrain,
      applies: () => !quick,
    },
    {
      factory: (b) => `${pq(b)},RFlat`,
      sweep: () => [{ nprobe: 16, kFactor: 16 }],
      trainSize: pqTrain,
      applies: () => !quick,
    },
    {
      factory: () => 'HNSW32',
      sweep: () => [{ efSearch: 16 }, { efSearch: 32 }, { efSearch: 64 }],
      skip: (b, args) => (args.quick && b.size > 20000 ? 'skipped in --quick (build time)' : hnswTooSlow(b, 'HNSW32')),
    },
  ];
  return list;
}

export async function runSearchBench(args: BenchArgs): Promise<{ rows: Row[]; summary: Record<string, number> }> {
  // --quick: the two smaller banks at D = 128, without IVF-PQ (its training alone would take most of the budget).
  const sizes = sizesArg(args.rest) ?? (args.quick ? [16384, 100000] : [16384, 100000, 1000000]);
  const dimsAt = args.rest.indexOf('--dims');
  const dims = dimsAt >= 0 ? (args.rest[dimsAt + 1] ?? '').split(',').map(Number) : args.quick ? [128] : [128, 1024];
  const runs = args.quick ? 5 : 7;
  const rows: Row[] = [];
  const summary: Record<string, number> = {};
  console.log(`Search: ${QUERIES} queries (one image) at k = 1, ${getNumThreads()} threads, ${simdKernels().active} kernels\n`);

  for (const dim of dims) {
    const model = new PatchFeatureModel(dim, { seed: 7 });
    for (const size of sizes) {
      if (args.quick && dim > 256 && size > 16384) continue;
      const genStart = performance.now();
      const bank = makeBank(model, size, size + dim);
      const genSeconds = (performance.now() - genStart) / 1000;
      const label = `${size >= 1e6 ? `${size / 1e6}M` : `${Math.round(size / 1000)}k`} x ${dim}`;

      const flat = await build(bank, 'Flat', 0);
      const exact = await timeSearch(flat.index, bank.queries, {}, size * dim > 2e8 ? 1 : runs);
      rows.push({
        bank: label,
        index: 'Flat (exact)',
        params: '',
        'build s': flat.seconds,
        'ms/image': exact.ms,
        'recall@1': 1,
        'index MB': flat.index.memoryBytes() / 2 ** 20,
      });
      flat.index.close();
      console.log(`  ${label}: data ${genSeconds.toFixed(1)} s, Flat ${exact.ms.toFixed(1)} ms/image`);

      let best: { ms: number; recall: number } | null = null;
      for (const c of candidates(args.quick)) {
        if (c.applies && !c.applies(bank)) continue;
        const factory = c.factory(bank);
        const reason = (await c.skip?.(bank, args)) ?? null;
        if (reason) {
          rows.push({ bank: label, index: factory, params: '', 'build s': null, 'ms/image': null, 'recall@1': null, 'index MB': null, note: reason });
          continue;
        }
        const built = await build(bank, factory, c.trainSize?.(bank) ?? 0);
        for (const params of c.sweep(bank)) {
          const r = await timeSearch(built.index, bank.queries, params, runs);
          const rec = recall(r.labels, exact.labels);
          rows.push({
            bank: label,
            index: factory,
            params: describeParams(params),
            'build s': built.seconds,
            'ms/image': r.ms,
            'recall@1': rec,
            'index MB': built.index.memoryBytes() / 2 ** 20,
          });
          if (rec >= TARGET_RECALL && (best === null || r.ms < best.ms)) best = { ms: r.ms, recall: rec };
          console.log(`  ${label} ${factory} ${describeParams(params)}: ${r.ms.toFixed(1)} ms/image, recall@1 ${rec.toFixed(3)}`);
        }
        built.index.close();
      }
      if (dim === 128 && best !== null) {
        const key = size >= 1e6 ? '1m' : size === 100000 ? '100k' : null;
        if (key !== null && (!args.quick || key === '100k')) {
          summary[`best_ms_per_image_${key}`] = best.ms;
          summary[`recall_at_${key}`] = best.recall;
        }
      }
    }
  }
  console.log(`\n${table(rows, ['bank', 'index', 'params', 'build s', 'ms/image', 'recall@1', 'index MB', 'note'])}\n`);
  return { rows, summary };
}
