// `npm run demo`: the main job end to end on a fresh checkout. Synthetic data by default (generated, never committed),
// or a real MVTec AD folder with --data.
import path from 'node:path';
import { evaluate, fit, generateSynthetic, syntheticName, userCacheDir, writeEvalJson } from '../engine/index';
import { num, parseArgs, str, UsageError } from './args';
import type { Context } from './commands';
import { formatMetric as fmt } from '../../shared/roc';

export async function cmdDemo(argv: string[], ctx: Context): Promise<void> {
  const p = parseArgs(argv, { help: { type: 'boolean', alias: 'h' }, data: { type: 'string' }, out: { type: 'string' }, seed: { type: 'string' }, threads: { type: 'string' } });
  if (p.positionals.length) throw new UsageError(`demo takes no positional arguments (got ${p.positionals.join(' ')})`);
  const threads = num(p, 'threads', { int: true, min: 1 });
  const seed = num(p, 'seed', { int: true }) ?? 7;
  const base = path.join(userCacheDir(), 'demo');
  let data = str(p, 'data');
  const started = Date.now();
  if (!data) {
    const dir = path.join(base, 'data', syntheticName({ seed }));
    ctx.out(`Synthetic dataset (seed ${seed}): ${dir}`);
    data = await generateSynthetic(dir, { seed });
  }
  const name = path.basename(path.resolve(data));
  const out = path.resolve(str(p, 'out') ?? path.join(base, 'runs', name));
  const model = path.join(out, 'model');
  ctx.out(`Fitting on ${path.resolve(data)} …`);
  const f = await fit({ data, out: model, overwrite: true, threads, signal: ctx.signal, onProgress: ctx.bar.update }, { onNote: (m) => ctx.bar.note(m) });
  ctx.out(`Model: ${f.dir} (bank ${f.manifest.bank.vectors} vectors, ${f.manifest.bank.indexFactory}, fit ${f.seconds.total.toFixed(1)} s)`);
  ctx.out('Evaluating …');
  const report = path.join(out, 'report.html');
  const r = await evaluate({ model, data, report, threads, signal: ctx.signal, onProgress: ctx.bar.update }, { onNote: (m) => ctx.bar.note(m) });
  await writeEvalJson(path.join(out, 'eval.json'), r);
  ctx.out('');
  ctx.out(`image AUROC ${fmt(r.image_auroc)}   pixel AUROC ${fmt(r.pixel_auroc)}   AUPRO@0.3 ${fmt(r.aupro)}   F1-max ${fmt(r.f1_max)}   ${r.ms_per_image.toFixed(1)} ms/image`);
  ctx.out(`Done in ${((Date.now() - started) / 1000).toFixed(0)} s.`);
  ctx.out(`Report: ${report}`);
  ctx.out(`        file://${report.split(path.sep).join('/')}`);
}
