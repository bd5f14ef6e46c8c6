// The `patchline` commands. Each parses its options, calls the engine, prints a short human summary (stdout) and
// progress (stderr), and optionally writes JSON.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DEVICES, type CoresetMethod, type Device, type FitOptions, type ModelManifest, type Prediction, type TilingSpec } from '../engine/api';
import {
  builtinCardIds,
  candidatePaths,
  decodeRgb,
  encodeRgb,
  evaluate,
  fit,
  loadCard,
  loadModel,
  overlay,
  readManifest,
  writeEvalJson,
} from '../engine/index';
import { writeFileAtomic } from '../engine/atomic-file';
import { fitStream } from '../engine/stream/fit-stream';
import { autoFit, settingLabel as describeSetting } from '../engine/model/auto-config';
import { num, oneOf, parseArgs, required, str, UsageError, type OptionSpec, type Parsed } from './args';
import { ProgressBar } from './progress-bar';
import { formatMetric as fmt } from '../../shared/roc';
import { mapOntoImage } from '../../shared/heatmap';
import { describeTiling, parseTiling } from '../engine/features/tiling';
import { cutOutSentence } from '../engine/report/html';

export interface Context {
  signal: AbortSignal;
  out: (line: string) => void;
  bar: ProgressBar;
}

const common: Record<string, OptionSpec> = {
  help: { type: 'boolean', alias: 'h' },
  device: { type: 'string' },
  threads: { type: 'string' },
  json: { type: 'string' },
};

export function device(p: Parsed): Device | undefined {
  return oneOf(p, 'device', DEVICES);
}


export function parseCoreset(spec: string): { method: CoresetMethod; ratio: number } {
  if (spec === 'none') return { method: 'none', ratio: 1 };
  const m = /^(?:(greedy|approx-greedy|random):)?([0-9.]+)$/.exec(spec) ?? /^(random|greedy)$/.exec(spec);
  if (!m) throw new UsageError(`--coreset must look like 0.1, greedy:0.1, random:0.1 or none, got "${spec}"`);
  const method: CoresetMethod = m[1] === 'random' ? 'random' : 'approx-greedy';
  const ratio = m[2] === undefined ? 0.1 : Number(m[2]);
  if (!(ratio > 0 && ratio <= 1)) throw new UsageError(`--coreset ratio must be in (0, 1], got ${m[2]}`);
  return { method, ratio };
}

function coresetOption(p: Parsed): FitOptions['coreset'] {
  const spec = str(p, 'coreset');
  const chunkRows = num(p, 'coreset-chunk', { int: true, min: 0 });
  const projectionDim = num(p, 'coreset-projection', { int: true, min: 1 });
  if (!spec && chunkRows === undefined && projectionDim === undefined) return undefined;
  return { ...(spec ? parseCoreset(spec) : { method: 'approx-greedy' as const, ratio: 0.1 }), chunkRows, projectionDim };
}

/** --tile COLSxROWS or --tile-size N, each with an optional --overlap N (pixels of the original image). */
export function tilingOption(p: Parsed): TilingSpec | undefined {
  const grid = str(p, 'tile');
  const size = num(p, 'tile-size', { int: true, min: 16 });
  const overlap = num(p, 'overlap', { int: true, min: 0 });
  if (grid !== undefined && size !== undefined) throw new UsageError('give --tile COLSxROWS or --tile-size N, not both');
  if (grid === undefined && size === undefined) {
    if (overlap !== undefined) throw new UsageError('--overlap needs --tile or --tile-size');
    return undefined;
  }
  if (grid !== undefined && !/^\d+x\d+$/i.test(grid)) throw new UsageError(`--tile must look like 2x2 (columns x rows), got "${grid}"`);
  try {
    return parseTiling(grid ?? String(size), overlap ?? 0);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** A --json FILE result, written atomically (pretty, newline-terminated). */
export async function writeJson(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(path.resolve(file), JSON.stringify(value, null, 2) + '\n');
}

export function fitOptionsFrom(p: Parsed, ctx: Context): FitOptions {
  const taps = str(p, 'taps');
  const sigma = num(p, 'sigma', { min: 0 });
  return {
    data: required(p, 'data', 'fit'),
    out: required(p, 'out', 'fit'),
    backbone: str(p, 'backbone'),
    modelFile: str(p, 'model-file'),
    taps: taps ? taps.split(',').map((t) => t.trim()).filter(Boolean) : undefined,
    coreset: coresetOption(p),
    index: str(p, 'index'),
    efSearch: num(p, 'ef-search', { int: true, min: 1 }),
    nprobe: num(p, 'nprobe', { int: true, min: 1 }),
    k: num(p, 'k', { int: true, min: 1 }),
    // Absent unless given, so the model records it as the published default rather than a user option.
    reweight: p.options.reweight === true ? true : undefined,
    reweightNeighbors: num(p, 'reweight-neighbors', { int: true, min: 2 }),
    imageSize: num(p, 'image-size', { int: true, min: 32 }),
    resize: num(p, 'resize', { int: true, min: 32 }),
    resizeMode: oneOf(p, 'resize-mode', ['letterbox', 'stretch', 'shorter-side'] as const),
    tile: tilingOption(p),
    sigma,
    gridStride: num(p, 'grid-stride', { int: true, min: 1 }),
    imageScore: oneOf(p, 'image-score', ['patch-max', 'map-max'] as const),
    exactTop: num(p, 'exact-top', { int: true, min: 0 }),
    calibrationFraction: num(p, 'calibration', { min: 0.001, max: 0.9 }),
    device: device(p),
    threads: num(p, 'threads', { int: true, min: 1 }),
    batchSize: num(p, 'batch', { int: true, min: 1 }),
    seed: num(p, 'seed', { int: true }),
    strict: p.options.strict === true,
    overwrite: p.options.overwrite === true,
    signal: ctx.signal,
    onProgress: ctx.bar.update,
  };
}

export const FIT_OPTIONS: Record<string, OptionSpec> = {
  ...common,
  data: { type: 'string' },
  out: { type: 'string' },
  backbone: { type: 'string' },
  'model-file': { type: 'string' },
  taps: { type: 'string' },
  coreset: { type: 'string' },
  'coreset-chunk': { type: 'string' },
  'coreset-projection': { type: 'string' },
  index: { type: 'string' },
  'ef-search': { type: 'string' },
  nprobe: { type: 'string' },
  k: { type: 'string' },
  reweight: { type: 'boolean' },
  'reweight-neighbors': { type: 'string' },
  'image-size': { type: 'string' },
  resize: { type: 'string' },
  'resize-mode': { type: 'string' },
  tile: { type: 'string' },
  'tile-size': { type: 'string' },
  overlap: { type: 'string' },
  sigma: { type: 'string' },
  'grid-stride': { type: 'string' },
  'image-score': { type: 'string' },
  'exact-top': { type: 'string' },
  calibration: { type: 'string' },
  batch: { type: 'string' },
  seed: { type: 'string' },
  strict: { type: 'boolean' },
  overwrite: { type: 'boolean' },
  stream: { type: 'boolean' },
  'stream-radius': { type: 'string' },
  auto: { type: 'boolean' },
};

export async function cmdFit(argv: string[], ctx: Context): Promise<void> {
  const p = parseArgs(argv, FIT_OPTIONS);
  if (p.positionals.length) throw new UsageError(`fit takes no positional arguments (got ${p.positionals.join(' ')})`);
  const o = fitOptionsFrom(p, ctx);
  if (o.tile && p.options.stream === true) throw new UsageError('--tile / --tile-size do not combine with --stream yet: fit a tiled model without --stream');
  const internals = { onNote: (m: string) => ctx.bar.note(m) };
  if (p.options.auto === true && p.options.stream === true) throw new UsageError('--auto and --stream cannot be combined: --auto fits the grid in memory');
  const r =
    p.options.stream === true
      ? await fitStream({ ...o, stream: { radius: num(p, 'stream-radius', { min: Number.MIN_VALUE }) } }, internals)
      : p.options.auto === true
        ? await autoFit(o, internals)
        : await fit(o, internals);
  const m = r.manifest;
  if (m.auto) for (const line of autoLines(m.auto)) ctx.out(line);
  ctx.out(`Model written to ${r.dir}`);
  ctx.out(`  ${m.training.images} images (${r.skipped.length} skipped), ${m.training.patches.toLocaleString('en-US')} patches → bank ${m.bank.vectors.toLocaleString('en-US')} × ${m.bank.dimension}`);
  ctx.out(`  index ${m.bank.indexFactory} ${JSON.stringify(m.bank.indexParams ?? {})} (${m.bank.indexReason})`);
  ctx.out(`  threshold ${fmt(m.calibration.threshold, 4)} (${m.calibration.images} ${m.calibration.source} images)`);
  ctx.out(`  ${Object.entries(r.seconds).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(', ')}`);
  for (const s of r.skipped) ctx.out(`  skipped ${s.path}: ${s.reason}`);
  const json = str(p, 'json');
  if (json) await writeJson(json, { dir: r.dir, seconds: r.seconds, skipped: r.skipped, manifest: m });
}

export async function cmdEval(argv: string[], ctx: Context): Promise<void> {
  const p = parseArgs(argv, { ...common, model: { type: 'string' }, data: { type: 'string' }, report: { type: 'string' }, strict: { type: 'boolean' } });
  if (p.positionals.length) throw new UsageError(`eval takes no positional arguments (got ${p.positionals.join(' ')})`);
  const r = await evaluate(
    {
      model: required(p, 'model', 'eval'),
      data: required(p, 'data', 'eval'),
      report: str(p, 'report'),
      strict: p.options.strict === true,
      device: device(p),
      threads: num(p, 'threads', { int: true, min: 1 }),
      signal: ctx.signal,
      onProgress: ctx.bar.update,
    },
    { onNote: (m) => ctx.bar.note(m) },
  );
  ctx.out(`image AUROC ${fmt(r.image_auroc)}   pixel AUROC ${fmt(r.pixel_auroc)}   AUPRO@0.3 ${fmt(r.aupro)}   F1-max ${fmt(r.f1_max)} (at ${fmt(r.f1_threshold, 4)})`);
  if (r.pixel_skipped) ctx.out(`pixel metrics skipped: ${r.pixel_skipped}`);
  if (r.cut_out) ctx.out(`preprocessing: ${cutOutSentence(r.cut_out)}`);
  if (r.whole_image) ctx.out(`on the whole image (the map extended past the crop): pixel AUROC ${fmt(r.whole_image.pixel_auroc)}   AUPRO@0.3 ${fmt(r.whole_image.aupro)}`);
  const c = r.confusion;
  if (c) ctx.out(`at the model's threshold ${fmt(c.threshold, 4)}: ${c.tp} NG caught, ${c.fn} escaped, ${c.fp} false rejects, ${c.tn} OK passed`);
  const st = r.stage_ms;
  ctx.out(`${fmt(r.ms_per_image, 1)} ms per image (median, batch 1${st ? `: extract ${fmt(st.extract, 1)}, search ${fmt(st.search, 1)}, map ${fmt(st.map, 1)}` : ''}) over ${r.images.length} images, ${r.skipped.length} skipped`);
  for (const [d, v] of Object.entries(r.per_defect ?? {})) ctx.out(`  ${d.padEnd(16)} ${String(v.images).padStart(4)} images  AUROC ${fmt(v.image_auroc)}`);
  for (const s of r.skipped) ctx.out(`  skipped ${s.path}: ${s.reason}`);
  const json = str(p, 'json');
  if (json) {
    await writeEvalJson(json, r);
    ctx.out(`JSON: ${path.resolve(json)}`);
  }
  if (r.report) ctx.out(`Report: ${r.report}`);
}

export async function cmdPredict(argv: string[], ctx: Context): Promise<void> {
  const p = parseArgs(argv, { ...common, model: { type: 'string' }, out: { type: 'string' }, threshold: { type: 'string' } });
  const images = p.positionals;
  if (images.length === 0) throw new UsageError('predict needs at least one image');
  const model = await loadModel(required(p, 'model', 'predict'), { device: device(p), threads: num(p, 'threads', { int: true, min: 1 }), onNote: (m) => ctx.bar.note(m) });
  const thr = num(p, 'threshold', { min: 0 }) ?? model.threshold;
  const outDir = str(p, 'out');
  if (outDir) mkdirSync(outDir, { recursive: true });
  const rows: (Partial<Prediction> & { path: string; heatmap?: string; error?: string })[] = [];
  let failed = 0;
  try {
    for (const file of images) {
      ctx.signal.throwIfAborted();
      try {
        const pr = await model.predictFile(file);
        const verdict = pr.score > thr ? 'NG' : 'OK';
        let heatmap: string | undefined;
        if (outDir) {
          const orig = await decodeRgb(file);
          // The map covers pr.crop of the image (the crop, the letterbox with its padding, or the whole tiled image).
          const region = pr.crop ?? { left: 0, top: 0, width: orig.width, height: orig.height, imageWidth: orig.width, imageHeight: orig.height };
          const map = { width: orig.width, height: orig.height, data: mapOntoImage(pr.map, region, orig.width, orig.height) };
          const rgb = overlay(orig.data, map, { lo: thr * 0.5, hi: thr * 1.5 });
          heatmap = path.join(outDir, `${path.basename(file, path.extname(file))}_heatmap.png`);
          await writeFileAtomic(heatmap, await encodeRgb(rgb, orig.width, orig.height, 'png'));
        }
        rows.push({ path: file, score: pr.score, normalizedScore: pr.score / thr, threshold: thr, verdict, timings: pr.timings, heatmap });
        ctx.out(`${verdict}  ${fmt(pr.score, 4)}  (${fmt(pr.score / thr, 2)}× threshold)  ${file}${heatmap ? `  → ${heatmap}` : ''}`);
      } catch (err) {
        if ((err as Error).name === 'AbortError') throw err;
        failed++;
        rows.push({ path: file, error: (err as Error).message });
        ctx.out(`ERROR  ${file}: ${(err as Error).message.split('\n')[0]}`);
      }
    }
  } finally {
    await model.close();
  }
  const json = str(p, 'json');
  if (json) await writeJson(json, { model: model.dir, threshold: thr, results: rows });
  if (failed) throw new Error(`${failed} of ${images.length} image(s) could not be read`);
}

/** The self-configuration as `fit --auto` and `info` print it: the choice, the grid's scores, the time. */
export function autoLines(a: NonNullable<ModelManifest['auto']>): string[] {
  const lines: string[] = [];
  if (!a.choice) lines.push(`auto       fell back to the defaults: ${a.fallback ?? 'no setting was scored'}`);
  else lines.push(`auto       chose ${describeSetting(a.choice)}, σ ${a.choice.sigma}`);
  lines.push(`  rule: ${a.rule}`);
  if (a.holdout) lines.push(`  held out ${a.holdout.good} good images + ${a.holdout.defective} synthetic defects (${a.holdout.kinds.join(', ')}); grid banks fitted on ${a.holdout.fitImages} images, seed ${a.seed}`);
  if (a.grid.length) {
    const w = Math.max(...a.grid.map((c) => describeSetting(c).length));
    lines.push(`  ${'setting'.padEnd(w)} ${'σ'.padStart(4)}  image AUROC   AUPRO   score`);
    for (const c of a.grid) {
      const mark = a.choice && c.sigma === a.choice.sigma && describeSetting(c) === describeSetting(a.choice) ? ' ←' : '';
      lines.push(`  ${describeSetting(c).padEnd(w)} ${String(c.sigma).padStart(4)}  ${fmt(c.imageAuroc).padStart(11)} ${fmt(c.aupro).padStart(7)} ${fmt(c.score).padStart(7)}${mark}`);
    }
  }
  if (a.stoppedEarly) lines.push(`  stopped early: ${a.stoppedEarly}`);
  const s = a.seconds;
  const limit = s.budget !== undefined ? `, budget ${s.budget.toFixed(1)} s (plain fit estimated ${s.plainEstimate?.toFixed(1)} s)` : '';
  lines.push(`  time: grid ${s.grid.toFixed(1)} s + final fit ${s.final.toFixed(1)} s = ${s.total.toFixed(1)} s${limit}`);
  return lines;
}

export async function cmdInfo(argv: string[], ctx: Context): Promise<void> {
  const p = parseArgs(argv, { help: { type: 'boolean', alias: 'h' }, json: { type: 'boolean' } });
  if (p.positionals.length !== 1) throw new UsageError('info needs exactly one model folder');
  const m = readManifest(path.resolve(p.positionals[0]));
  if (p.options.json) {
    ctx.out(JSON.stringify(m, null, 2));
    return;
  }
  const prm = m.params as Record<string, unknown>;
  ctx.out(`${m.name}  (id ${m.id}, schema v${m.schemaVersion}, created ${m.createdAt})`);
  ctx.out(`backbone   ${m.backbone.id}  sha256 ${m.backbone.sha256}`);
  ctx.out(`taps       ${String(prm.taps)}`);
  ctx.out(
    `input      ${prm.imageSize} px, ${prm.resizeMode === 'letterbox' ? 'letterbox (whole image, aspect kept, padded with the mean)' : `${prm.resizeMode} resize to ${prm.resize} then centre crop`}` +
      (prm.tiling ? `; ${describeTiling(prm.tiling as TilingSpec)}, maps stitched (max in overlaps)` : ''),
  );
  ctx.out(`bank       ${m.bank.vectors.toLocaleString('en-US')} × ${m.bank.dimension} (coreset ${JSON.stringify(prm.coreset)})`);
  ctx.out(`index      ${m.bank.indexFactory} ${JSON.stringify(m.bank.indexParams ?? {})}, ${(m.bank.indexBytes / 2 ** 20).toFixed(1)} MiB — ${m.bank.indexReason ?? ''}`);
  ctx.out(`scoring    k=${prm.k}${prm.reweight ? `, Eq. 7 reweighting (${prm.reweightNeighbors} neighbours)` : ''}, map blur σ=${prm.sigma}`);
  ctx.out(`threshold  ${fmt(m.calibration.threshold, 4)} from ${m.calibration.images} ${m.calibration.source} images; quantiles ${Object.entries(m.calibration.quantiles).sort((a, b) => Number(a[0]) - Number(b[0])).map(([q, v]) => `${q}:${fmt(v, 3)}`).join(' ')}`);
  ctx.out(`training   ${m.training.images} images, ${m.training.patches.toLocaleString('en-US')} patches, ${m.training.skipped} skipped, from ${m.training.source}`);
  const sources = prm.sources as Record<string, { value: unknown; source: string; note?: string }> | undefined;
  if (sources) {
    ctx.out('defaults   (value, where it came from)');
    for (const [k, v] of Object.entries(sources)) ctx.out(`  ${k.padEnd(20)} ${JSON.stringify(v.value).padEnd(24)} ${v.source}${v.note ? ` — ${v.note}` : ''}`);
  } else {
    ctx.out('defaults   not recorded (fitted before PatchLine recorded where each parameter came from)');
  }
  ctx.out('history');
  for (const h of m.history) ctx.out(`  v${h.version} ${h.kind.padEnd(9)} ${h.createdAt}  +${h.addedImages} images, +${h.addedVectors} vectors → ${h.bankVectors}${h.note ? `  (${h.note})` : ''}`);
  if (m.auto) for (const line of autoLines(m.auto)) ctx.out(line);
}

export async function cmdAddGood(argv: string[], ctx: Context): Promise<void> {
  const p = parseArgs(argv, { ...common, model: { type: 'string' } });
  if (p.positionals.length === 0) throw new UsageError('add-good needs at least one image');
  const model = await loadModel(required(p, 'model', 'add-good'), { threads: num(p, 'threads', { int: true, min: 1 }), device: device(p) });
  try {
    const v = await model.addGood(p.positionals, { signal: ctx.signal, onProgress: ctx.bar.update });
    ctx.out(`v${v.version}: +${v.addedImages} images, +${v.addedVectors} vectors → bank ${v.bankVectors}${v.note ? ` (${v.note})` : ''}`);
  } finally {
    await model.close();
  }
}

export async function cmdThreshold(argv: string[], ctx: Context): Promise<void> {
  const p = parseArgs(argv, { help: { type: 'boolean', alias: 'h' }, model: { type: 'string' } });
  if (p.positionals.length !== 1) throw new UsageError('threshold needs one value');
  const value = Number(p.positionals[0]);
  if (!(value > 0)) throw new UsageError(`threshold must be a positive number, got ${p.positionals[0]}`);
  const model = await loadModel(required(p, 'model', 'threshold'));
  try {
    const prev = model.threshold;
    await model.setThreshold(value);
    ctx.out(`threshold ${prev} → ${value} (v${model.manifest.history.at(-1)?.version})`);
  } finally {
    await model.close();
  }
}

export async function cmdBackbones(argv: string[], ctx: Context): Promise<void> {
  parseArgs(argv, { help: { type: 'boolean', alias: 'h' } });
  const { existsSync } = await import('node:fs');
  for (const id of builtinCardIds()) {
    const card = loadCard(id);
    const found = candidatePaths(card).find((c) => existsSync(c.path));
    ctx.out(`${id}: ${card.name}`);
    ctx.out(`  taps ${card.taps.map((t) => `${t.name} (stride ${t.stride}, ${t.channels} ch)`).join(', ')}${card.optionalTaps.length ? `; optional ${card.optionalTaps.map((t) => t.name).join(', ')}` : ''}`);
    ctx.out(found ? `  file ${found.path} (${found.source})` : `  file ${card.file}: not found; put it in $PATCHLINE_MODELS or ${candidatePaths(card).at(-1)!.path}${card.url ? ', or it is downloaded on first use' : ''}`);
  }
}
