// `npm run bench:ort [-- --quick] [-- --json FILE] [-- --data DIR]`: the extractor's onnxruntime session options,
// measured. For each intra-op thread count (1, each core, onnxruntime's default) × graph optimisation level, one
// Extractor on the default backbone runs the same preprocessed magnetic-tile images one at a time (batch 1, as the
// line scores); median and p95 ms per image, and the ratio to the shipped setting (threads 0, 'all') measured in the
// same process, interleaved round by round so the machine's load falls on every setting alike.
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Extractor, loadCard, openTestSet, preprocess, resolveModelFile, sharedDir } from '../electron/engine/index';
import { describeMachine, machine, median, parseBenchArgs, percentile, table, writeJson } from './lib/report';

type Level = 'disabled' | 'basic' | 'extended' | 'all';

async function main(): Promise<void> {
  const args = parseBenchArgs();
  const i = args.rest.indexOf('--data');
  const data = i >= 0 ? args.rest[i + 1] : path.join(sharedDir(), 'datasets', 'magnetic_tile');
  const card = loadCard();
  const model = await resolveModelFile(card);
  const images = openTestSet(data).images.slice(0, args.quick ? 16 : 48);
  const spec = { size: card.input.size, resize: card.input.size, resizeMode: 'stretch' as const, interpolation: 'linear' as const, mean: card.input.mean, std: card.input.std, channelOrder: card.input.channelOrder };
  const tensors = await Promise.all(images.map(async (im) => (await preprocess(im.path, spec)).tensor));
  const cores = availableParallelism();
  const threads = [...new Set([1, cores, 0])];
  const levels: Level[] = ['basic', 'extended', 'all'];
  const settings = threads.flatMap((t) => levels.map((l) => ({ threads: t, level: l })));
  console.log(`onnxruntime session options on ${describeMachine()}\nbackbone ${card.id} (${model.path}), ${tensors.length} images, batch 1, ${args.quick ? 2 : 4} rounds\n`);

  const extractors = await Promise.all(settings.map((s) => Extractor.create(card, card.taps, model.path, { threads: s.threads, graphOptimization: s.level })));
  const times = settings.map(() => [] as number[]);
  for (const x of extractors) for (const t of tensors.slice(0, 3)) await x.run(t, 1); // warm-up
  for (let round = 0; round < (args.quick ? 2 : 4); round++) {
    for (const [k, x] of extractors.entries()) {
      for (const t of tensors) {
        const t0 = performance.now();
        await x.run(t, 1);
        times[k].push(performance.now() - t0);
      }
    }
  }
  const base = settings.findIndex((s) => s.threads === 0 && s.level === 'all');
  const baseMedian = median(times[base]);
  const rows = settings.map((s, k) => ({
    threads: s.threads === 0 ? `0 (ort default)` : String(s.threads),
    graph: s.level,
    median_ms: median(times[k]),
    p95_ms: percentile(times[k], 95),
    vs_shipped: median(times[k]) / baseMedian,
  }));
  console.log(table(rows));
  if (args.json) writeJson(args.json, { benchmark: 'ort-options', machine: machine(), backbone: card.id, images: tensors.length, cores, rows });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
