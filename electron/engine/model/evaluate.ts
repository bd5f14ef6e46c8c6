// Evaluation on a labelled folder: every image scored alone (batch 1, timed from its preprocessed tensor to its
// anomaly map), then image AUROC, F1-max and the confusion at the model's threshold; with an MVTec AD ground_truth/
// folder also pooled pixel AUROC and AUPRO@0.3, and how many defect pixels the preprocessing cut out of view.
// Optionally the HTML report.
//
// Pixel metrics are pooled over one frame per image. A cropping resize mode scores the network input's frame (the
// crop; what it cut off is counted in cut_out). Letterbox and tiled models see the whole image, so they are scored on
// the whole image resized to a square frame: letterbox padding is not part of the image and never counted as a good
// pixel.
import { cpus } from 'node:os';
import path from 'node:path';
import type { EvalImageResult, EvalOptions, EvalResult, SkippedFile } from '../api';
import { openLabelledSet, type TestImage } from '../data/dataset';
import { existsSync } from 'node:fs';
import { BadImageError } from '../features/extract';
import { cutOutPixels, decodeRgbResized, geometryFor, imageSize, inputRegion, preprocess, readMask, resampleMaskNearest, viewRect, type FullMask, type Preprocessed } from '../image/preprocess';
import { preprocessTiles, stitchedSize, tilesFor, tileViews, type TiledImage } from '../features/tiling';
import { mapOntoImage } from '../../../shared/heatmap';
import { pixelMetrics } from '../metrics/pro';
import { auroc, f1Max, rocCurve } from '../../../shared/roc';
import { median } from '../../../shared/stats';
import { mapLimit, ProgressTracker, throwIfAborted } from '../progress';
import { dataUri, overlay, sideBySide } from '../report/heatmap';
import { renderReport, type ReportImage } from '../report/html';
import { writeFileAtomic } from '../atomic-file';
import { loadModel, type LoadOptions, type PatchLineModel } from './model';

export interface EvalInternals extends Pick<LoadOptions, 'backends' | 'onNote' | 'modelFile'> {
  /** Images decoded ahead of scoring; scoring itself runs one image at a time. */
  chunk?: number;
}

/**
 * With ground_truth/ the folder must be a complete MVTec AD split (every defective image masked) and pixel metrics are
 * computed; without it (a line's usual labelled folder: good/ plus one folder per defect kind) they are skipped.
 */
export function openEvalSet(dir: string): { test: ReturnType<typeof openLabelledSet>; pixelSkipped: string | null } {
  const masked = existsSync(path.join(dir, 'ground_truth'));
  const test = openLabelledSet(dir, { masks: masked ? 'required' : 'optional' });
  return { test, pixelSkipped: masked ? null : `no ground_truth/ folder in ${path.resolve(dir)}: pixel AUROC and AUPRO need a defect mask per defective image` };
}

/** Verdicts at a threshold: NG when score ≥ threshold; defective images (label 1) are the positives. */
export function confusionAt(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number): NonNullable<EvalResult['confusion']> {
  const c = { threshold, tp: 0, fp: 0, tn: 0, fn: 0 };
  for (let i = 0; i < labels.length; i++) {
    const ng = scores[i] >= threshold;
    if (labels[i] === 1) c[ng ? 'tp' : 'fn']++;
    else c[ng ? 'fp' : 'tn']++;
  }
  return c;
}

export async function evaluate(o: EvalOptions, internals: EvalInternals = {}): Promise<EvalResult> {
  const { test, pixelSkipped } = openEvalSet(o.data);
  if (pixelSkipped) internals.onNote?.(`pixel metrics skipped: ${pixelSkipped}`);
  const model = await loadModel(o.model, { device: o.device, threads: o.threads, backends: internals.backends, onNote: internals.onNote, modelFile: internals.modelFile });
  try {
    const size = model.params.imageSize;
    const tiling = model.params.tiling;
    const whole = tiling !== null || model.params.resizeMode === 'letterbox';
    // The pixel-metric frame's side: the input's; for tiled models the first image's stitched map (test images of one
    // category share a size).
    const side = tiling && test.images.length ? await tiledFrameSide(model, test.images[0].path) : size;
    const plane = side * side;
    const n = test.images.length;
    const maps = new Float32Array(n * plane);
    const masks = new Uint8Array(pixelSkipped ? 0 : n * plane);
    // A cropping model is also scored on the whole image, its map extended past the crop as predict and the station
    // show it: what the crop costs, beside the figures on the crop.
    const alsoWhole = !whole && !pixelSkipped;
    const wholeMaps = new Float32Array(alsoWhole ? n * size * size : 0);
    const wholeMasks = new Uint8Array(alsoWhole ? n * size * size : 0);
    const results: EvalImageResult[] = [];
    const stages = { extract: [] as number[], search: [] as number[], map: [] as number[] };
    const skipped: SkippedFile[] = [];
    const report: (ReportImage & { rgb?: Uint8Array })[] = [];
    const cut = { defect_pixels: 0, of_defect_pixels: 0, images: 0 };
    const thr = model.threshold;
    // A fixed colour scale for every overlay, so heatmaps compare across images.
    const scale = { lo: thr * 0.5, hi: thr * 1.5 };
    const progress = new ProgressTracker('evaluate', n, o.onProgress);
    const chunk = internals.chunk ?? 16;
    let stored = 0;
    for (let start = 0; start < n; start += chunk) {
      throwIfAborted(o.signal);
      const part = test.images.slice(start, start + chunk);
      // Decoding runs before the timed loop so it does not compete with the scoring for the CPU.
      const decoded = await mapLimit(part, 4, async (img: TestImage) => {
        try {
          const tiled = tiling ? await preprocessTiles(img.path, model.spec, tiling) : null;
          const pre = tiled ? null : await preprocess(img.path, model.spec);
          const full = img.mask ? await readMask(img.mask) : null;
          let mask: Uint8Array | null = null;
          let wholeMask: Uint8Array | null = null;
          if (full) {
            if (alsoWhole) wholeMask = resampleMaskNearest(full.data, geometryFor(full.width, full.height, { size, resize: size, resizeMode: 'stretch' }));
            mask = resampleMaskNearest(full.data, whole ? geometryFor(full.width, full.height, { size: side, resize: side, resizeMode: 'stretch' }) : geometryFor(full.width, full.height, model.spec));
            const lost = cutOut(full, pre, tiled, model);
            cut.defect_pixels += lost;
            cut.of_defect_pixels += full.data.reduce((a, v) => a + v, 0);
            if (lost > 0) cut.images++;
          }
          return { img, pre, tiled, mask, wholeMask };
        } catch (err) {
          const reason = (err as Error).message.split('\n')[0];
          if (o.strict) throw new BadImageError(img.path, reason);
          skipped.push({ path: img.path, reason });
          return null;
        }
      });
      const overlays: Promise<void>[] = [];
      for (const d of decoded) {
        if (!d) {
          progress.tick();
          continue;
        }
        const s = d.tiled ? await model.scoreTiled(d.tiled) : await model.scoreTensor(d.pre!.tensor);
        stages.extract.push(s.timings.extractMs);
        stages.search.push(s.timings.searchMs);
        stages.map.push(s.timings.mapMs);
        const g = d.pre?.geometry;
        const region = g ? inputRegion(g) : { left: 0, top: 0, width: d.tiled!.width, height: d.tiled!.height, imageWidth: d.tiled!.width, imageHeight: d.tiled!.height };
        const frame = whole ? { width: side, height: side, data: mapOntoImage(s.map, region, side, side) } : s.map;
        maps.set(frame.data, stored * plane);
        if (d.mask) masks.set(d.mask, stored * plane);
        if (alsoWhole) wholeMaps.set(mapOntoImage(s.map, region, size, size), stored * size * size);
        if (d.wholeMask) wholeMasks.set(d.wholeMask, stored * size * size);
        stored++;
        results.push({ path: d.img.path, defect: d.img.defect, label: d.img.label, score: s.patch.score, msPerImage: s.timings.totalMs });
        if (o.report) {
          const rgb = whole ? decodeRgbResized(d.img.path, side, side) : Promise.resolve(d.pre!.rgb);
          overlays.push(rgb.then((px) => addOverlay(report, d.img, px, d.mask, frame, s.patch.score, scale)));
        }
        progress.tick();
      }
      await Promise.all(overlays);
    }
    if (skipped.length) internals.onNote?.(`skipped ${skipped.length} unreadable test image(s): ${skipped.map((s) => path.basename(s.path)).join(', ')}`);
    const labels = results.map((r) => r.label);
    const scores = Float32Array.from(results.map((r) => r.score));
    if (!labels.includes(0) || !labels.includes(1)) throw new Error('after skipping unreadable images, the test set lacks good or defective images; metrics need both.');
    const pm = new ProgressTracker('metrics', 1, o.onProgress);
    const pixel = pixelSkipped
      ? { pixelAuroc: null, aupro: null, proCurve: { fpr: [], pro: [] } }
      : pixelMetrics(maps.subarray(0, stored * plane), masks.subarray(0, stored * plane), side, side, 0.3);
    const wholePixel = alsoWhole ? pixelMetrics(wholeMaps.subarray(0, stored * size * size), wholeMasks.subarray(0, stored * size * size), size, size, 0.3) : null;
    pm.set(1);
    const f1 = f1Max(scores, labels);
    const imageAuroc = auroc(scores, labels);
    // Both classes are present (checked above), so the image metrics exist.
    if (f1 === null || imageAuroc === null) throw new Error('image metrics need good and defective test images.');
    const perDefect: NonNullable<EvalResult['per_defect']> = {};
    for (const d of test.defects) {
      const sel = results.filter((r) => r.defect === d || r.label === 0);
      // Null for a defect kind whose every image was unreadable.
      perDefect[d] = { images: results.filter((r) => r.defect === d).length, image_auroc: auroc(Float32Array.from(sel.map((r) => r.score)), sel.map((r) => r.label)) };
    }
    const result: EvalResult = {
      image_auroc: imageAuroc,
      pixel_auroc: pixel.pixelAuroc,
      aupro: pixel.aupro,
      f1_max: f1.f1,
      f1_threshold: f1.threshold,
      ms_per_image: median(results.map((r) => r.msPerImage)),
      images: results,
      skipped,
      stage_ms: { extract: median(stages.extract), search: median(stages.search), map: median(stages.map) },
      per_defect: perDefect,
      confusion: confusionAt(scores, labels, thr),
      ...(pixelSkipped ? { pixel_skipped: pixelSkipped } : { cut_out: cut }),
      ...(wholePixel ? { whole_image: { pixel_auroc: wholePixel.pixelAuroc, aupro: wholePixel.aupro } } : {}),
    };
    if (o.report) {
      const order = new Map(results.map((r, i) => [r.path, i]));
      report.sort((a, b) => (order.get(a.name) ?? 0) - (order.get(b.name) ?? 0));
      const html = renderReport({
        title: `PatchLine evaluation: ${path.basename(test.root)}`,
        dataset: test.root,
        manifest: model.manifest,
        result,
        roc: rocCurve(scores, labels, 400),
        pro: pixel.proCurve,
        images: report.map((r) => ({ ...r, name: path.relative(test.root, r.name) })),
        machine: `${cpus()[0]?.model.trim() ?? 'cpu'}, ${cpus().length} cores`,
        scale,
      });
      await writeFileAtomic(path.resolve(o.report), html);
      result.report = path.resolve(o.report);
    }
    return result;
  } finally {
    await model.close();
  }
}

async function tiledFrameSide(model: PatchLineModel, file: string): Promise<number> {
  const { width, height } = await imageSize(file);
  const s = stitchedSize(width, height, tilesFor(width, height, model.params.tiling!)[0], model.params.imageSize);
  return Math.max(model.params.imageSize, s.width, s.height);
}

/** Defect pixels of a full-size mask outside every network input's view (the mask may be at another scale). */
function cutOut(full: FullMask, pre: Preprocessed | null, tiled: TiledImage | null, model: PatchLineModel): number {
  if (pre) return cutOutPixels(full, [viewRect(geometryFor(full.width, full.height, model.spec))]);
  const kx = full.width / tiled!.width;
  const ky = full.height / tiled!.height;
  return cutOutPixels(
    full,
    tileViews(tiled!).map((v) => ({ x0: v.x0 * kx, y0: v.y0 * ky, x1: v.x1 * kx, y1: v.y1 * ky })),
  );
}

async function addOverlay(
  out: ReportImage[],
  img: TestImage,
  rgb: Uint8Array,
  mask: Uint8Array | null,
  map: { width: number; height: number; data: Float32Array },
  score: number,
  scale: { lo: number; hi: number },
): Promise<void> {
  const size = map.width;
  const heat = overlay(rgb, map, { ...scale, mask });
  const uri = await dataUri(sideBySide(rgb, heat, size, size), size * 2, size, 'jpeg');
  out.push({ name: img.path, defect: img.defect, label: img.label, score, uri });
}

/** Writes the eval JSON (numbers at the top level, per-image rows below), atomically. */
export async function writeEvalJson(file: string, r: EvalResult): Promise<void> {
  await writeFileAtomic(path.resolve(file), JSON.stringify(r, null, 2) + '\n');
}
