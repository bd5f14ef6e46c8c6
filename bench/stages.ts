// `npm run bench:stages [-- --quick] [-- --json FILE] [-- --data DIR]`: the two stages around the network, each
// against the two-step form it replaced, measured in the same process and interleaved image by image:
//   - preprocessing: the engine's one sharp pipeline (decode, colourspace, resize, crop/letterbox window, raw) then
//     the tensor, against decoding to raw pixels in one sharp call and resizing them in a second one;
//   - the anomaly map: the engine's folded operator (bilinear upsample and Gaussian blur as one (size × grid) matrix
//     per axis, applied to the 28 × 28 patch grid), against upsampling to 224² and then blurring there.
// Both pairs produce the same output (checked here: identical tensors, maps equal to float rounding).
import path from 'node:path';
import sharp from 'sharp';
import { anomalyMap, gaussianKernel, reflectIndex } from '../electron/engine/score/anomaly-map';
import { bilinearResize } from '../electron/engine/features/resample';
import { geometryFor, letterboxed, preprocess, type PreprocessSpec } from '../electron/engine/image/preprocess';
import { preprocessSpec, resolveParams } from '../electron/engine/model/params';
import { loadCard, openTestSet, sharedDir } from '../electron/engine/index';
import { describeMachine, machine, median, parseBenchArgs, percentile, table, writeJson, type Row } from './lib/report';

/** Upsample the grid to size², then blur every row and column there (scipy's gaussian_filter, mode 'reflect'). */
function twoStepMap(scores: Float32Array, grid: number, size: number, sigma: number): Float32Array {
  const up = bilinearResize(scores, 1, grid, grid, size, size);
  const k = gaussianKernel(sigma);
  const r = (k.length - 1) / 2;
  const rows = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let s = 0;
      for (let d = -r; d <= r; d++) s += k[d + r] * up[y * size + reflectIndex(x + d, size)];
      rows[y * size + x] = s;
    }
  }
  const out = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let s = 0;
      for (let d = -r; d <= r; d++) s += k[d + r] * rows[reflectIndex(y + d, size) * size + x];
      out[y * size + x] = s;
    }
  }
  return out;
}

/** Decode to raw pixels in one sharp call, resize (and crop) them in a second: what one pipeline avoids. */
async function twoStepPixels(file: string, spec: PreprocessSpec): Promise<Buffer> {
  const { data, info } = await sharp(file).toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const g = geometryFor(info.width, info.height, spec);
  const pad = letterboxed(g, spec.size);
  let p = sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } }).resize(g.resizedWidth, g.resizedHeight, { fit: 'fill', kernel: spec.interpolation, fastShrinkOnLoad: false });
  if (!pad) p = p.extract({ left: g.left, top: g.top, width: spec.size, height: spec.size });
  return p.raw().toBuffer();
}

/** The engine's pipeline up to the same raw pixels (no tensor), for the like-for-like pixel comparison. */
async function onePipelinePixels(file: string, spec: PreprocessSpec): Promise<Buffer> {
  const img = sharp(file);
  const meta = await img.metadata();
  const g = geometryFor(meta.width!, meta.height!, spec);
  const pad = letterboxed(g, spec.size);
  let p = img.toColourspace('srgb').removeAlpha().resize(g.resizedWidth, g.resizedHeight, { fit: 'fill', kernel: spec.interpolation, fastShrinkOnLoad: false });
  if (!pad) p = p.extract({ left: g.left, top: g.top, width: spec.size, height: spec.size });
  return p.raw().toBuffer();
}

async function main(): Promise<void> {
  const args = parseBenchArgs();
  const i = args.rest.indexOf('--data');
  const data = i >= 0 ? args.rest[i + 1] : path.join(sharedDir(), 'datasets', 'magnetic_tile');
  const card = loadCard();
  // The shipped defaults, as `patchline fit` with no options resolves them.
  const params = resolveParams({ data: '', out: '' }, card, card.taps.map((t) => t.name), 'p99');
  const spec = preprocessSpec(params, card);
  const images = openTestSet(data).images.slice(0, args.quick ? 40 : 200).map((im) => im.path);
  const grid = params.imageSize / 8;
  console.log(`preprocessing and anomaly-map stages on ${describeMachine()}\n${images.length} magnetic-tile images, input ${spec.size} (${spec.resizeMode}), map ${grid}² → ${spec.size}², σ ${params.sigma}\n`);

  const t = { engine: [] as number[], one: [] as number[], two: [] as number[], folded: [] as number[], twoMap: [] as number[] };
  let pixelsDiffer = 0;
  let mapErr = 0;
  let seed = 1;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let round = 0; round < (args.quick ? 1 : 2); round++) {
    for (const file of images) {
      let t0 = performance.now();
      await preprocess(file, spec);
      t.engine.push(performance.now() - t0);
      t0 = performance.now();
      const a = await onePipelinePixels(file, spec);
      t.one.push(performance.now() - t0);
      t0 = performance.now();
      const b = await twoStepPixels(file, spec);
      t.two.push(performance.now() - t0);
      if (!a.equals(b)) pixelsDiffer++;

      const scores = Float32Array.from({ length: grid * grid }, () => rnd());
      t0 = performance.now();
      const folded = anomalyMap(scores, grid, grid, spec.size, params.sigma).data;
      t.folded.push(performance.now() - t0);
      t0 = performance.now();
      const plain = twoStepMap(scores, grid, spec.size, params.sigma);
      t.twoMap.push(performance.now() - t0);
      for (let p = 0; p < plain.length; p++) mapErr = Math.max(mapErr, Math.abs(folded[p] - plain[p]));
    }
  }
  const rows: Row[] = [
    { stage: 'preprocess: the engine (one pipeline + tensor)', 'median ms': median(t.engine), 'p90 ms': percentile(t.engine, 90), ratio: '' },
    { stage: 'preprocess: one sharp pipeline to raw pixels', 'median ms': median(t.one), 'p90 ms': percentile(t.one, 90), ratio: 1 },
    { stage: 'preprocess: decode, then resize in a second call', 'median ms': median(t.two), 'p90 ms': percentile(t.two, 90), ratio: median(t.two) / median(t.one) },
    { stage: 'map: folded operator on the grid', 'median ms': median(t.folded), 'p90 ms': percentile(t.folded, 90), ratio: 1 },
    { stage: 'map: upsample, then blur at full size', 'median ms': median(t.twoMap), 'p90 ms': percentile(t.twoMap, 90), ratio: median(t.twoMap) / median(t.folded) },
  ];
  console.log(table(rows));
  console.log(`\nsame output: pixels differ on ${pixelsDiffer} of ${t.one.length} images; largest map difference ${mapErr.toExponential(2)}`);
  if (args.json) {
    writeJson(args.json, { benchmark: 'stages', machine: machine(), images: images.length, spec, rows, pixelsDiffer, mapMaxAbsDiff: mapErr });
    console.log(`JSON written to ${args.json}`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
