// Integration: the real backbone, the native index and coreset, and real defect images. Fits and evaluates through the
// CLI on a subset of ../shared/datasets/magnetic_tile (every n-th image, symlinked) and asserts a minimum accuracy.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../cli/main';
import { sharedDir } from './paths';
import { tempDir } from './testing/fixtures';
import { linkSubset } from './testing/subset';

const dataset = path.join(sharedDir(), 'datasets', 'magnetic_tile');
const model = path.join(sharedDir(), 'models', 'mobilenetv2-12-int8.onnx');
const have = existsSync(dataset) && existsSync(model);
if (!have) console.log(`SKIP magnetic tile integration test: ${existsSync(dataset) ? model : dataset} is absent (../shared is not beside this checkout)`);

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += `${s}\n`), err: (s) => (err += `${s}\n`), progress: { write: () => true } });
  return { code, out, err };
}

describe.skipIf(!have)('magnetic tile subset, MobileNetV2-int8, default settings', () => {
  it('fits, evaluates and predicts through the CLI with real accuracy', async () => {
    const work = tempDir('pl-tile-');
    const data = linkSubset(dataset, path.join(work, 'tile'), { train: 100, testGood: 40, perDefect: 12 });
    const modelDir = path.join(work, 'model');
    const fit = await cli(['fit', '--data', data, '--out', modelDir, '--json', path.join(work, 'fit.json')]);
    expect(fit.err).not.toMatch(/patchline fit:/);
    expect(fit.code).toBe(0);
    const fitJson = JSON.parse(readFileSync(path.join(work, 'fit.json'), 'utf8'));
    expect(fitJson.manifest.training.images).toBe(100);
    expect(fitJson.manifest.bank.vectors).toBe(Math.round(100 * 784 * 0.1));

    const evalFile = path.join(work, 'eval.json');
    const ev = await cli(['eval', '--model', modelDir, '--data', data, '--json', evalFile, '--report', path.join(work, 'r.html')]);
    expect(ev.code).toBe(0);
    const r = JSON.parse(readFileSync(evalFile, 'utf8'));
    console.log(`magnetic tile subset: image AUROC ${r.image_auroc.toFixed(3)}, pixel AUROC ${r.pixel_auroc.toFixed(3)}, AUPRO ${r.aupro.toFixed(3)}, F1 ${r.f1_max.toFixed(3)}, ${r.ms_per_image.toFixed(1)} ms/image`);
    expect(r.images).toHaveLength(40 + 5 * 12);
    for (const k of ['image_auroc', 'pixel_auroc', 'aupro', 'f1_max', 'ms_per_image']) expect(typeof r[k]).toBe('number');
    // Floors a few points under what this subset measures (100 train, 100 test images, the published defaults σ 4 and
    // letterbox, pixel metrics over the whole image: image AUROC 0.840, pixel AUROC 0.826, AUPRO 0.626; the old σ 10 +
    // stretch-and-crop defaults measured 0.836 / 0.883 / 0.678 on the crop), so a regression fails. docs/defaults.md.
    expect(r.image_auroc).toBeGreaterThan(0.8);
    expect(r.pixel_auroc).toBeGreaterThan(0.79);
    expect(r.aupro).toBeGreaterThan(0.59);
    expect(r.cut_out.defect_pixels).toBe(0);

    const pred = await cli(['predict', '--model', modelDir, path.join(data, 'test', 'good', readdirSync(path.join(data, 'test', 'good')).sort()[0]), '--out', path.join(work, 'heat')]);
    expect(pred.code).toBe(0);
    expect(pred.out).toMatch(/^(OK|NG) {2}[0-9.]+/);
  }, 900_000);
});

