// Search parameters per bank, by measured recall instead of a fixed nprobe. A PatchCore map is one nearest-neighbour
// distance per patch, so the map is right where the index finds each patch's nearest bank vector: recall@1 against
// exact search is the map's own accuracy. The fit measures it on held-out patches for a small grid of settings
// (nprobe × kFactor for IVF, efSearch for HNSW) and keeps, per kFactor, the cheapest setting that reaches the target:
// recall does not depend on the machine, speed does. Which of those few is fastest is then timed on the machine that
// runs the model (at fit, and once on the first load on another CPU or SIMD level) and recorded per machine.
import { cpus } from 'node:os';
import { simdKernels } from '../../../native/index';
import type { SearchTuning } from '../api';
import type { IndexBackend, IndexParams, KnnIndex } from './knn';
import { median } from '../../../shared/stats';

export type { SearchTuning };

/** Recall@1 of the anomaly map against exact search that a setting must reach. */
export const TARGET_RECALL = 0.99;
/** Held-out patches the recall is measured on: about five images' worth; ± 0.0016 at recall 0.99. */
export const TUNING_QUERIES = 4096;
/** Queries per timing run: one image of 28 × 28 patches. */
const TIMING_QUERIES = 784;
const TIMING_RUNS = 3;

/** Powers of two with the 1.5× steps between: each family is walked by powers of two, then refined by one step. */
const NPROBES = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256];
/** Re-ranked candidates per result; 8 never beat 4 at the same nprobe on the banks measured (docs/speed.md). */
const K_FACTORS = [1, 2, 4];
const EF_SEARCHES = [16, 32, 64, 128, 256, 512];

export type MachineChoice = SearchTuning['machines'][string];

/** The key a machine's choice is recorded under: the CPU model and the SIMD level the native kernels run. */
export function machineKey(): string {
  return `${cpus()[0]?.model.trim() ?? 'unknown CPU'} / ${simdKernels().active}`;
}

/** Inverted lists of an IVF factory string (0 without one). */
function nlistOf(factory: string): number {
  return Number(/IVF(\d+)/i.exec(factory)?.[1] ?? 0);
}

/** The settings worth measuring for a factory, as families ordered from cheapest to dearest; [] when nothing to tune. */
export function candidateFamilies(factory: string): IndexParams[][] {
  if (/HNSW/i.test(factory)) return [EF_SEARCHES.map((efSearch) => ({ efSearch }))];
  const nlist = nlistOf(factory);
  if (nlist <= 0) return [];
  const nprobes = NPROBES.filter((n) => n < nlist).concat(nlist <= NPROBES[NPROBES.length - 1] ? [nlist] : []);
  const refine = /RFlat|Refine/i.test(factory);
  return (refine ? K_FACTORS : [undefined]).map((kFactor) => nprobes.map((nprobe) => (kFactor === undefined ? { nprobe } : { nprobe, kFactor })));
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(Math.log2(n));
}

/** Hits: the approximate neighbour is at the exact nearest distance (a tie counts: the map value is the same). */
function recallOf(approx: Float32Array, exact: Float32Array): number {
  let hits = 0;
  for (let i = 0; i < exact.length; i++) if (approx[i] <= exact[i] * (1 + 1e-5) + 1e-6) hits++;
  return hits / exact.length;
}

export interface TuneInput {
  /** The index recall is measured on: the model's, or one of the same factory over a bank without the queries. */
  index: KnnIndex;
  factory: string;
  dim: number;
  /** The bank of `index`, for the exact reference search. */
  bank: Float32Array;
  /** Held-out patch vectors (rows × dim): patches of good parts that are not in `bank`. */
  queries: Float32Array;
  source: string;
  /** Creates the exact (Flat) reference index. */
  backend: IndexBackend;
  /** The index the choice is for, timed on this machine and left with the chosen parameters (default: `index`). */
  target?: KnnIndex;
  recall?: number;
}

/**
 * Measures recall@1 of each family's settings, cheapest first, up to the first that reaches the target (the dearer
 * ones would pass too, and cost more), then times the passing settings on this machine. Undefined when the factory
 * has nothing to tune. The target index is left with the chosen parameters.
 *
 * Recall never falls as nprobe or kFactor grows (more lists probed; a superset of candidates re-ranked), so the first
 * family is walked by doubling steps and the step between the last failing and the first passing one tried; a later
 * family starts at the previous family's passing setting and walks down while it still passes: a few searches per
 * family instead of the whole ladder.
 */
export async function tuneSearch(t: TuneInput): Promise<SearchTuning | undefined> {
  const families = candidateFamilies(t.factory);
  if (families.length === 0) return undefined;
  const goal = t.recall ?? TARGET_RECALL;
  const flat = await t.backend.create(t.dim, 'Flat');
  let exact: Float32Array;
  try {
    await flat.add(t.bank);
    exact = (await flat.search(t.queries, 1)).distances;
  } finally {
    flat.close();
  }
  const measured: SearchTuning['measured'] = [];
  const measure = async (params: IndexParams) => {
    t.index.setParams(params);
    const recall = recallOf((await t.index.search(t.queries, 1)).distances, exact);
    const m = { params, recall, passing: false };
    measured.push(m);
    return m;
  };
  let previousPass = -1;
  for (const family of families) {
    let pass = -1;
    if (previousPass < 0) {
      // The doubling rungs (and the last, nlist itself), then the 1.5× rung just below the first that passes.
      const rungs = family.map((_, i) => i).filter((i) => isPowerOfTwo(family[i].nprobe ?? family[i].efSearch ?? 1) || i === family.length - 1);
      let last = -1;
      for (const i of rungs) {
        if ((await measure(family[i])).recall >= goal) {
          pass = i;
          break;
        }
        last = i;
      }
      if (pass > 0 && pass - 1 > last && (await measure(family[pass - 1])).recall >= goal) pass--;
    } else {
      // At least as good as the previous family at the same nprobe: the passing one is at previousPass or below.
      pass = previousPass;
      await measure(family[pass]);
      while (pass > 0 && (await measure(family[pass - 1])).recall >= goal) pass--;
    }
    if (pass >= 0) {
      const params = family[pass];
      const m = measured.find((x) => x.params === params);
      if (m && m.recall >= goal) m.passing = true;
      previousPass = pass;
    }
  }
  // No setting reached the target: the dearest one measured (closest to exact search) is the best there is.
  if (!measured.some((m) => m.passing)) measured[measured.length - 1].passing = true;
  const tuning: SearchTuning = { target: goal, queries: t.queries.length / t.dim, source: t.source, measured, machines: {} };
  const timed = t.target ?? t.index;
  tuning.machines[machineKey()] = await chooseForMachine(timed, tuning, t.queries.subarray(0, Math.min(t.queries.length, TIMING_QUERIES * t.dim)));
  if (timed !== t.index) t.index.setParams(tuning.machines[machineKey()].params);
  return tuning;
}

/**
 * Times the passing settings on this machine (median of a few 784-query searches, runs interleaved so a change of
 * load hits every setting alike) and returns the fastest. The index is left with it.
 */
export async function chooseForMachine(index: KnnIndex, tuning: SearchTuning, queries: Float32Array): Promise<MachineChoice> {
  const passing = tuning.measured.filter((m) => m.passing);
  const ms = passing.map(() => [] as number[]);
  for (let run = 0; run <= TIMING_RUNS; run++) {
    for (let i = 0; i < passing.length; i++) {
      index.setParams(passing[i].params);
      const t0 = performance.now();
      await index.search(queries, 1);
      // The first run warms caches and thread pools; it is not counted.
      if (run > 0) ms[i].push(performance.now() - t0);
    }
  }
  let best = 0;
  for (let i = 1; i < passing.length; i++) if (median(ms[i]) < median(ms[best])) best = i;
  index.setParams(passing[best].params);
  return { params: { ...passing[best].params }, ms: median(ms[best]), measuredAt: new Date().toISOString() };
}

/** Rows of `rows` × dim spread evenly over it: `count` of them (all when fewer). */
export function spreadRows(data: Float32Array, dim: number, count: number, skip?: (row: number) => boolean): Float32Array {
  const rows = data.length / dim;
  const pool: number[] = [];
  for (let r = 0; r < rows; r++) if (!skip?.(r)) pool.push(r);
  const n = Math.min(count, pool.length);
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const r = pool[Math.floor((i * pool.length) / n)];
    out.set(data.subarray(r * dim, (r + 1) * dim), i * dim);
  }
  return out;
}
