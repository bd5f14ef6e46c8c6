import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs, num, UsageError } from './args';
import { parseCoreset } from './commands';
import { main } from './main';
import { formatProgress } from './progress-bar';
import { tempDir } from '../engine/testing/fixtures';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += `${s}\n`), err: (s) => (err += `${s}\n`), progress: null });
  return { code, out, err };
}

describe('parseArgs', () => {
  const spec = { data: { type: 'string' as const }, strict: { type: 'boolean' as const }, help: { type: 'boolean' as const, alias: 'h' } };
  it('reads values, switches, = forms, aliases and positionals', () => {
    const p = parseArgs(['a.png', '--data', 'x', '--strict', 'b.png', '-h', '--data=y'], spec);
    expect(p.options).toEqual({ data: 'y', strict: true, help: true });
    expect(p.positionals).toEqual(['a.png', 'b.png']);
  });
  it('names the option that is wrong', () => {
    expect(() => parseArgs(['--dat', 'x'], spec)).toThrow(/unknown option --dat/);
    expect(() => parseArgs(['--data'], spec)).toThrow(/--data needs a value/);
    expect(() => parseArgs(['--strict=yes'], spec)).toThrow(/switch/);
    expect(() => num(parseArgs(['--data', 'ten'], spec), 'data')).toThrow(/--data must be a number, got "ten"/);
    expect(() => num(parseArgs(['--data', '1.5'], spec), 'data', { int: true })).toThrow(UsageError);
  });
});

describe('parseCoreset', () => {
  it('accepts ratios, methods and none', () => {
    expect(parseCoreset('0.1')).toEqual({ method: 'approx-greedy', ratio: 0.1 });
    expect(parseCoreset('greedy:0.05')).toEqual({ method: 'approx-greedy', ratio: 0.05 });
    expect(parseCoreset('random:0.2')).toEqual({ method: 'random', ratio: 0.2 });
    expect(parseCoreset('random')).toEqual({ method: 'random', ratio: 0.1 });
    expect(parseCoreset('none')).toEqual({ method: 'none', ratio: 1 });
    expect(() => parseCoreset('1.5')).toThrow(/\(0, 1\]/);
    expect(() => parseCoreset('lots')).toThrow(/--coreset must look like/);
  });
});

describe('formatProgress', () => {
  it('shows a bar, the count, percent and ETA', () => {
    const s = formatProgress({ phase: 'extract', done: 381, total: 762, etaSeconds: 75 }, 10);
    expect(s).toMatch(/^extract\s+█████░░░░░\s+50% 381\/762 {2}ETA 1:15$/);
    expect(formatProgress({ phase: 'index', done: 1, total: 1, etaSeconds: 0 }, 4)).toMatch(/100%\s+done/);
  });
});

describe('patchline main', () => {
  it('prints help for the tool and each command', async () => {
    expect((await run(['--help'])).out).toMatch(/Commands:[\s\S]*fit[\s\S]*demo/);
    const r = await run(['eval', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/--report FILE\.html/);
    expect((await run([])).code).toBe(2);
  });

  it('exits 2 with the command help on a usage error', async () => {
    const r = await run(['fit', '--data', 'x']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/patchline fit: fit needs --out[\s\S]*--coreset SPEC/);
    expect((await run(['frobnicate'])).err).toMatch(/unknown command "frobnicate"/);
    expect((await run(['predict', '--model', 'm'])).err).toMatch(/at least one image/);
  });

  it('exits 1 with one clear line on a bad model folder', async () => {
    const r = await run(['info', path.join(tempDir(), 'none')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no such model folder/);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });

  it('folds a feature file into a bank folder, and names the file when it cannot', async () => {
    const { writeFileSync, existsSync } = await import('node:fs');
    const { npyBytes } = await import('../engine/testing/npy');
    const { PatchFeatureModel } = await import('../../bench/lib/patch-features');
    const work = tempDir();
    const x = new PatchFeatureModel(8, { modes: 16, seed: 2 }).sample(6000, 3);
    const npy = path.join(work, 'day.npy');
    writeFileSync(npy, npyBytes(x, 6000, 8));
    const ok = await run(['fold', '--features', npy, '--out', path.join(work, 'bank'), '--budget', '400', '--warmup', '2000']);
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/Bank written to .*bank\n\s+6,000 rows × 8 → bank \d+ \(r [\d.]+ from budget/);
    expect(existsSync(path.join(work, 'bank', 'fold.json'))).toBe(true);
    const raw = path.join(work, 'day.f32');
    writeFileSync(raw, Buffer.from(x.buffer));
    const bad = await run(['fold', '--features', raw, '--out', path.join(work, 'b2')]);
    expect(bad.code).toBe(1);
    expect(bad.err.trim()).toMatch(/^patchline fold: .*day\.f32: is a raw float32 file: give its dimension \(--dim\)$/);
    expect((await run(['fold', '--out', 'x'])).code).toBe(2);
  });

  it('lists the backbones and where their files are', async () => {
    const r = await run(['backbones']);
    expect(r.out).toMatch(/mobilenetv2-int8[\s\S]*365_quantized[\s\S]*wide-resnet50-2/);
  });
});

describe('patchline end to end (tiny backbone, native index and coreset)', () => {
  it('fits, evaluates, predicts, reports, grows the bank and sets the threshold', async () => {
    const { smallDataset, tinyBackbone } = await import('../engine/testing/fixtures');
    const { existsSync, readFileSync, readdirSync } = await import('node:fs');
    const card = tinyBackbone();
    const data = await smallDataset();
    const work = tempDir();
    const model = path.join(work, 'model');
    const fit = await run(['fit', '--data', data, '--out', model, '--backbone', card, '--coreset', '0.25']);
    expect(fit.err).toBe('');
    expect(fit.code).toBe(0);
    expect(fit.out).toMatch(/Model written to .*\n\s+6 images \(0 skipped\), 384 patches → bank 96 × 10/);
    const ev = await run(['eval', '--model', model, '--data', data, '--json', path.join(work, 'e.json'), '--report', path.join(work, 'r.html')]);
    expect(ev.code).toBe(0);
    const e = JSON.parse(readFileSync(path.join(work, 'e.json'), 'utf8'));
    expect(Object.keys(e)).toEqual(expect.arrayContaining(['image_auroc', 'pixel_auroc', 'aupro', 'f1_max', 'ms_per_image']));
    expect(existsSync(path.join(work, 'r.html'))).toBe(true);
    const img = path.join(data, 'test', 'hole', '000.png');
    const pr = await run(['predict', '--model', model, img, '--out', path.join(work, 'heat'), '--json', path.join(work, 'p.json')]);
    expect(pr.code).toBe(0);
    expect(readdirSync(path.join(work, 'heat'))).toEqual(['000_heatmap.png']);
    expect(JSON.parse(readFileSync(path.join(work, 'p.json'), 'utf8')).results[0]).toMatchObject({ path: img, verdict: expect.stringMatching(/OK|NG/) });
    const bad = await run(['predict', '--model', model, path.join(work, 'missing.png')]);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/ERROR {2}.*missing\.png/);
    expect((await run(['add-good', '--model', model, path.join(data, 'test', 'good', '000.png')])).out).toMatch(/^v2: \+1 images/);
    expect((await run(['threshold', '--model', model, '3.5'])).out).toMatch(/→ 3\.5 \(v3\)/);
    const info = await run(['info', model]);
    expect(info.out).toMatch(/threshold {2}3\.5000[\s\S]*v2 add-good[\s\S]*v3 threshold/);
    expect(info.out).toMatch(/input {6}64 px, letterbox \(whole image, aspect kept/);
    expect(info.out).toMatch(/sigma {16}4 +published default/);
    expect(info.out).toMatch(/reweight {13}false +published default/);
    expect(info.out).toMatch(/resize {15}64 +principle — letterbox does not crop/);
    expect(info.out).toMatch(/resizeMode {11}"letterbox" +principle/);
    expect(info.out).toMatch(/coreset {14}\{.*"ratio":0\.25.*\} +user option/);
    expect(ev.out).toMatch(/preprocessing: no ground-truth defect pixel cut out of view/);
  });

  it('takes --resize-mode and --tile, and refuses a bad tiling or letterbox with a crop', async () => {
    const { smallDataset, tinyBackbone } = await import('../engine/testing/fixtures');
    const card = tinyBackbone();
    const data = await smallDataset();
    const work = tempDir();
    const fit = await run(['fit', '--data', data, '--out', path.join(work, 'm'), '--backbone', card, '--tile', '2x1', '--overlap', '8', '--resize-mode', 'stretch']);
    expect(fit.err).toBe('');
    // 6 images × 2 tiles × 8 × 8 patches.
    expect(fit.out).toMatch(/6 images \(0 skipped\), 768 patches/);
    const info = await run(['info', path.join(work, 'm')]);
    expect(info.out).toMatch(/stretch resize to 73 then centre crop; 2x1 tiles, overlap 8 px, maps stitched/);
    const ev = await run(['eval', '--model', path.join(work, 'm'), '--data', data]);
    expect(ev.code).toBe(0);
    expect(ev.out).toMatch(/image AUROC [0-9.]+ +pixel AUROC [0-9.]+/);
    expect((await run(['fit', '--data', data, '--out', path.join(work, 'x'), '--tile', 'two'])).err).toMatch(/--tile must look like 2x2/);
    expect((await run(['fit', '--data', data, '--out', path.join(work, 'x'), '--tile', '2x2', '--tile-size', '64'])).err).toMatch(/not both/);
    expect((await run(['fit', '--data', data, '--out', path.join(work, 'x'), '--overlap', '8'])).err).toMatch(/--overlap needs --tile or --tile-size/);
    expect((await run(['fit', '--data', data, '--out', path.join(work, 'x'), '--backbone', card, '--resize', '80'])).err).toMatch(/--resize 80 does not apply to letterbox/);
    const big = await run(['fit', '--data', data, '--out', path.join(work, 'x'), '--backbone', card, '--tile-size', '200', '--strict']);
    expect(big.code).not.toBe(0);
    expect(big.err).toMatch(/tile size 200×200 px does not fit the 96×96 image/);
  });
});

describe('patchline fit --auto (tiny backbone, native index and coreset)', () => {
  it('chooses, prints the grid and the time, and info shows them; too few images fall back with a note', async () => {
    const { smallDataset, tinyBackbone } = await import('../engine/testing/fixtures');
    const card = tinyBackbone();
    const work = tempDir();
    const data = await smallDataset({ train: 20 });
    const model = path.join(work, 'auto');
    const r = await run(['fit', '--auto', '--data', data, '--out', model, '--backbone', card, '--coreset', '0.25']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/auto {7}chose (stretch|shorter-side) .* px, taps layer2\+layer3, σ (4|8)\n/);
    expect(r.out).toMatch(/held out 4 good images \+ 8 synthetic defects \(paste, texture, scratch, blob\)/);
    expect(r.out).toMatch(/setting +σ +image AUROC +AUPRO +score\n(.*\n)*.* 4 +[\d.]+ +[\d.]+ +[\d.]+/);
    expect(r.out).toMatch(/←/);
    expect(r.out).toMatch(/time: grid [\d.]+ s \+ final fit [\d.]+ s = [\d.]+ s, budget/);
    const info = await run(['info', model]);
    expect(info.out).toMatch(/auto {7}chose[\s\S]*rule: score = mean\(image AUROC, AUPRO@0\.3\)[\s\S]*time: grid/);
    const few = await smallDataset({ train: 6 });
    const fb = await run(['fit', '--auto', '--data', few, '--out', path.join(work, 'few'), '--backbone', card]);
    expect(fb.code).toBe(0);
    expect(fb.out).toMatch(/auto {7}fell back to the defaults: 6 training images: self-configuration needs at least 16/);
    expect((await run(['fit', '--auto', '--stream', '--data', few, '--out', path.join(work, 'x')])).err).toMatch(/cannot be combined/);
  });
});

describe('ProgressBar off a terminal', () => {
  it('writes sparse lines: start, quarters, done with the elapsed time', async () => {
    const { ProgressBar } = await import('./progress-bar');
    const lines: string[] = [];
    const bar = new ProgressBar({ write: (s: string) => lines.push(s), isTTY: false });
    for (let d = 0; d <= 100; d += 5) bar.update({ phase: 'extract', done: d, total: 100, etaSeconds: 1 });
    expect(lines.map((l) => l.match(/(\d+)%/)?.[1])).toEqual(['0', '25', '50', '75', '100']);
    expect(lines.at(-1)).toMatch(/done \(\d+\.\d s\)\n$/);
  });
});
