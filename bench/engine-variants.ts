// `npx tsx bench/engine-variants.ts [--data DIR] [--work DIR] [--only NAME,…] [--json FILE] [--md FILE]`
// Accuracy of PatchCore variants on an MVTec AD category (default ../shared/datasets/magnetic_tile): each fit-affecting
// group (preprocessing, taps, coreset) is fitted once; scoring and index variants are copies of that model with their
// manifest parameters changed or their index rebuilt from the stored bank, then evaluated exactly as `patchline eval`.
// Prints one table row per variant (image AUROC, pixel AUROC, AUPRO@0.3, F1-max, median ms/image). Times here are
// taken on whatever else the machine runs: quote bench:engine for speed.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { evaluate, fit, readManifest, sharedDir, type FitOptions, type ModelManifest } from '../electron/engine/index';
import { buildIndex } from '../electron/engine/model/fit-steps';
import { defaultParams, type IndexChoice } from '../electron/engine/bank/index-rule';
import { nativeBackends } from '../electron/engine/bank/backends';
import type { IndexParams } from '../electron/engine/bank/knn';
import { readBank, writeManifest } from '../electron/engine/model/artifact';
import { sha256File } from '../electron/engine/backbone/resolve';
import { describeMachine, machine, parseBenchArgs, table, writeJson, type Row } from './lib/report';

interface Variant {
  name: string;
  /** Fit-affecting options; variants with equal `group` share one fit. */
  group: string;
  fit: Partial<FitOptions>;
  /** Scoring parameters written into the copied manifest (sigma, reweight, imageScore, k). */
  scoring?: Record<string, unknown>;
  /** An index rebuilt from the stored bank. */
  index?: { factory: string; params?: IndexParams };
  note?: string;
}

const REF = { group: 'ref', fit: {} };
const NOCROP = { group: 'nocrop', fit: { resize: 224 } };
const TAP339 = { group: 'tap339', fit: { taps: ['339_quantized', '365_quantized', '426_quantized'], gridStride: 8 } };
const TAP339_NOCROP = { group: 'tap339-nocrop', fit: { resize: 224, taps: ['339_quantized', '365_quantized', '426_quantized'], gridStride: 8 } };
const FULL = { group: 'full-greedy', fit: { coreset: { method: 'approx-greedy' as const, ratio: 0.1, chunkRows: 0 } } };
const SHORTER = { group: 'shorter-side', fit: { resizeMode: 'shorter-side' as const } };

const VARIANTS: Variant[] = [
  { name: 'default', ...REF, note: 'reference pipeline; chunked coreset, IVF nprobe 4 + exact top-patch refinement' },
  { name: 'ivf-np4', ...REF, scoring: { exactTop: 0 }, note: 'IVF512,SQ8,RFlat nprobe 4 (recommendIndex), no exact refinement' },
  { name: 'flat', ...REF, index: { factory: 'Flat' }, note: 'exact search (the reference)' },
  { name: 'hnsw32', ...REF, index: { factory: 'HNSW32', params: { efSearch: 64 } } },
  { name: 'ivf-np16', ...REF, index: { factory: 'IVF512,SQ8,RFlat', params: { nprobe: 16, kFactor: 4 } } },
  { name: 'ivf-np32', ...REF, index: { factory: 'IVF512,SQ8,RFlat', params: { nprobe: 32, kFactor: 8 } } },
  { name: 'ivf-np64', ...REF, index: { factory: 'IVF512,SQ8,RFlat', params: { nprobe: 64, kFactor: 8 } } },
  { name: 'ivf-np4-kf16', ...REF, index: { factory: 'IVF512,SQ8,RFlat', params: { nprobe: 4, kFactor: 16 } } },
  { name: 'ivf-np8-kf16', ...REF, index: { factory: 'IVF512,SQ8,RFlat', params: { nprobe: 8, kFactor: 16 } } },
  { name: 'ivf256-flat-np8', ...REF, index: { factory: 'IVF256,Flat', params: { nprobe: 8 } } },
  { name: 'ivf128-sq8-np8', ...REF, index: { factory: 'IVF128,SQ8,RFlat', params: { nprobe: 8, kFactor: 16 } } },
  { name: 'hnsw32-ef128', ...REF, index: { factory: 'HNSW32', params: { efSearch: 128 } } },
  { name: 'eq7', ...REF, scoring: { reweight: true } },
  { name: 'nocrop', ...NOCROP, note: 'stretch to 224, no crop: the whole part' },
  { name: 'nocrop-eq7', ...NOCROP, scoring: { reweight: true } },
  { name: 'tap339-nocrop', ...TAP339_NOCROP },
  { name: 'tap339-nocrop-eq7', ...TAP339_NOCROP, scoring: { reweight: true } },
  { name: 'sigma2', ...REF, scoring: { sigma: 2 } },
  { name: 'sigma8', ...REF, scoring: { sigma: 8 } },
  { name: 'map-max', ...REF, scoring: { imageScore: 'map-max' } },
  { name: 'k3', ...REF, scoring: { k: 3 } },
  { name: 'tap339', ...TAP339, note: '+339_quantized (stride 4) averaged to the stride-8 grid, 152-d' },
  { name: 'tap339-sigma8', ...TAP339, scoring: { sigma: 8 } },
  { name: 'sigma8-flat', ...REF, scoring: { sigma: 8 }, index: { factory: 'Flat' } },
  { name: 'sigma8-np16', ...REF, scoring: { sigma: 8 }, index: { factory: 'IVF512,SQ8,RFlat', params: { nprobe: 16, kFactor: 4 } } },
  { name: 'sigma8-np8', ...REF, scoring: { sigma: 8 }, index: { factory: 'IVF512,SQ8,RFlat', params: { nprobe: 8, kFactor: 4 } } },
  { name: 'sigma8-map-max', ...REF, scoring: { sigma: 8, imageScore: 'map-max' } },
  { name: 'shorter-side', ...SHORTER, note: 'keep aspect: shorter side 256, crop 224' },
  { name: 'full-greedy', ...FULL, note: 'one greedy pass over all 597k patches (the reference; quadratic)' },
];

function option(rest: string[], name: string): string | undefined {
  const i = rest.indexOf(`--${name}`);
  return i >= 0 ? rest[i + 1] : undefined;
}

async function rebuildIndex(dir: string, factory: string, params: IndexParams | undefined): Promise<void> {
  const m = readManifest(dir);
  const bank = readBank(path.join(dir, m.bank.bankFile!), m.bank.vectors, m.bank.dimension);
  const choice: IndexChoice = { factory, params: { ...defaultParams(factory), ...params }, reason: 'engine-variants' };
  const index = await buildIndex(nativeBackends, m.bank.dimension, choice, bank);
  const file = 'index.faiss';
  rmSync(path.join(dir, file), { force: true });
  await index.write(path.join(dir, file));
  index.close();
  const next: ModelManifest = {
    ...m,
    bank: { ...m.bank, indexFactory: factory, indexFile: file, indexParams: { ...choice.params } as Record<string, number>, indexBytes: statSync(path.join(dir, file)).size, indexSha256: await sha256File(path.join(dir, file)) },
  };
  await writeManifest(dir, next);
}

async function main(): Promise<void> {
  const args = parseBenchArgs();
  const data = option(args.rest, 'data') ?? path.join(sharedDir(), 'datasets', 'magnetic_tile');
  const work = path.resolve(option(args.rest, 'work') ?? path.join('/tmp', 'patchline-variants'));
  const only = option(args.rest, 'only')?.split(',');
  const md = option(args.rest, 'md');
  const variants = only ? VARIANTS.filter((v) => only.includes(v.name)) : VARIANTS;
  console.log(`PatchLine variants on ${data}\n${describeMachine()}\n`);
  const results: Record<string, unknown>[] = [];
  for (const v of variants) {
    const base = path.join(work, v.group, 'model');
    if (!existsSync(path.join(base, 'manifest.json'))) {
      mkdirSync(path.dirname(base), { recursive: true });
      const f = await fit({ data, out: base, overwrite: true, ...v.fit });
      writeFileSync(path.join(work, v.group, 'fit-seconds.json'), JSON.stringify(f.seconds));
      console.log(`fitted ${v.group}: ${f.manifest.bank.vectors} vectors, ${f.manifest.bank.indexFactory}, ${f.seconds.total.toFixed(0)} s`);
    }
    let dir = base;
    if (v.scoring || v.index) {
      dir = path.join(work, v.group, v.name);
      rmSync(dir, { recursive: true, force: true });
      cpSync(base, dir, { recursive: true });
      if (v.index) await rebuildIndex(dir, v.index.factory, v.index.params);
      if (v.scoring) {
        const m = readManifest(dir);
        await writeManifest(dir, { ...m, params: { ...m.params, ...v.scoring } });
      }
    }
    const r = await evaluate({ model: dir, data });
    const m = readManifest(dir);
    const row: Row = {
      variant: v.name,
      'image AUROC': r.image_auroc,
      'pixel AUROC': r.pixel_auroc,
      'AUPRO@0.3': r.aupro,
      'F1-max': r.f1_max,
      index: m.bank.indexFactory,
      'bank': m.bank.vectors,
      'dim': m.bank.dimension,
      'ms/image': r.ms_per_image,
      'search ms': r.stage_ms?.search,
    };
    results.push({ ...row, fit: v.fit, scoring: v.scoring ?? null, indexParams: m.bank.indexParams, note: v.note ?? null, stage_ms: r.stage_ms, per_defect: r.per_defect });
    console.log(table([row]));
    writeJson(path.join(work, 'results', `${v.name}.json`), { row, detail: results[results.length - 1] });
    if (dir !== base) rmSync(dir, { recursive: true, force: true });
  }
  // The table covers every variant measured in this work folder so far (runs may be split with --only).
  const all = VARIANTS.map((v) => path.join(work, 'results', `${v.name}.json`))
    .filter((f) => existsSync(f))
    .map((f) => JSON.parse(readFileSync(f, 'utf8')) as { row: Row; detail: Record<string, unknown> });
  const out = table(all.map((a) => a.row));
  console.log(`\n${out}`);
  if (args.json) writeJson(args.json, { benchmark: 'engine-variants', machine: machine(), data, variants: all.map((a) => a.detail) });
  if (md) writeFileSync(md, `${out}\n`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
