// `npx tsx bench/stream-real.ts [--json FILE] [--data DIR]`: the streaming fit against the engine's default offline
// fit on real data (../shared/datasets/magnetic_tile, MobileNetV2-int8): bank size, radius, index, image and pixel
// AUROC, AUPRO. The bar: the streaming + compressed path loses at most 0.5 point of image and pixel AUROC.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { evaluate, fit, fitStream, sharedDir } from '../electron/engine/index';
import { describeMachine, machine, parseBenchArgs, table, writeJson } from './lib/report';

function option(rest: string[], name: string): string | undefined {
  const i = rest.indexOf(name);
  return i >= 0 ? rest[i + 1] : undefined;
}

async function main(): Promise<void> {
  const args = parseBenchArgs();
  const data = option(args.rest, '--data') ?? path.join(sharedDir(), 'datasets', 'magnetic_tile');
  if (!existsSync(data)) throw new Error(`${data} does not exist: pass --data DIR (an MVTec AD category)`);
  console.log(`streaming vs offline fit on ${data}, ${describeMachine()}\n`);
  const work = mkdtempSync(path.join(tmpdir(), 'patchline-stream-real-'));
  try {
    const t0 = Date.now();
    const offline = await fit({ data, out: path.join(work, 'offline') });
    const t1 = Date.now();
    const stream = await fitStream({ data, out: path.join(work, 'stream') });
    const t2 = Date.now();
    const a = await evaluate({ model: offline.dir, data });
    const b = await evaluate({ model: stream.dir, data });
    const row = (name: string, f: typeof offline, e: typeof a, seconds: number) => ({
      fit: name,
      bank: f.manifest.bank.vectors,
      radius: f.manifest.history[0].radius ?? null,
      index: f.manifest.bank.indexFactory,
      'index MB': f.manifest.bank.indexBytes / 1e6,
      'fit s': seconds,
      'image AUROC': e.image_auroc,
      'pixel AUROC': e.pixel_auroc,
      AUPRO: e.aupro,
      'ms/image': e.ms_per_image,
    });
    const rows = [row('offline (default)', offline, a, (t1 - t0) / 1000), row('streaming', stream, b, (t2 - t1) / 1000)];
    console.log(table(rows));
    // Null (no defect pixels) propagates: a difference with a missing side is missing too.
    const diff = (x: number | null, y: number | null) => (x === null || y === null ? NaN : x - y);
    const delta = { image_auroc: b.image_auroc - a.image_auroc, pixel_auroc: diff(b.pixel_auroc, a.pixel_auroc), aupro: diff(b.aupro, a.aupro) };
    console.log(`\nstreaming − offline: image AUROC ${(100 * delta.image_auroc).toFixed(2)} points, pixel AUROC ${(100 * delta.pixel_auroc).toFixed(2)} points (bar: ≥ −0.5)`);
    if (args.json) writeJson(args.json, { benchmark: 'stream-real', machine: machine(), data, rows, delta, streamNote: stream.manifest.history[0].note });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
