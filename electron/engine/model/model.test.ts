import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync, truncateSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ModelManifest } from '../api';
import { fit } from './fit';
import { evaluate } from './evaluate';
import { loadModel } from './model';
import { exactBackends } from '../testing/exact-backends';
import { smallDataset, tempDir, tinyBackbone } from '../testing/fixtures';

let card: string;
let data: string;
const backends = exactBackends;
const base = () => ({ backbone: card, coreset: { method: 'approx-greedy' as const, ratio: 0.25 }, seed: 1 });

async function fitted(extra: Record<string, unknown> = {}): Promise<string> {
  const out = path.join(tempDir(), 'model');
  await fit({ data, out, ...base(), ...extra }, { backends });
  return out;
}

function editManifest(dir: string, f: (m: ModelManifest) => void): void {
  const file = path.join(dir, 'manifest.json');
  const m = JSON.parse(readFileSync(file, 'utf8')) as ModelManifest;
  f(m);
  writeFileSync(file, JSON.stringify(m));
}

beforeAll(async () => {
  card = tinyBackbone();
  data = await smallDataset();
});

describe('fit', () => {
  it('writes a complete model folder atomically and records every parameter', async () => {
    const parent = tempDir();
    const out = path.join(parent, 'model');
    const progress = new Set<string>();
    const r = await fit({ data, out, ...base(), onProgress: (p) => progress.add(p.phase) }, { backends });
    expect(readdirSync(parent)).toEqual(['model']);
    expect(readdirSync(out).sort()).toEqual(['bank.f32', 'index.faiss', 'manifest.json']);
    const m = r.manifest;
    expect(m.schemaVersion).toBe(1);
    expect(m.backbone.id).toBe('tiny');
    expect(m.backbone.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(m.params).toMatchObject({ taps: ['layer2', 'layer3'], imageSize: 64, resize: 64, resizeMode: 'letterbox', k: 1, reweight: false, sigma: 4, provider: 'cpu' });
    // 6 images × 8×8 patches; 25 % coreset.
    expect(m.training).toMatchObject({ images: 6, patches: 384, skipped: 0 });
    expect(m.bank).toMatchObject({ vectors: 96, dimension: 10, indexFactory: 'Flat' });
    expect(m.calibration.source).toBe('train-holdout');
    expect(m.calibration.images).toBe(1);
    expect(m.calibration.threshold).toBeGreaterThan(0);
    expect(m.history).toEqual([expect.objectContaining({ version: 1, kind: 'fit', addedImages: 6, bankVectors: 96 })]);
    expect([...progress]).toEqual(expect.arrayContaining(['extract', 'coreset', 'index', 'calibrate']));
  });

  it('records each parameter with its source: published default, principle, backbone card or user option', async () => {
    const r = await fit({ data, out: path.join(tempDir(), 'm'), ...base(), sigma: 2 }, { backends });
    const src = r.manifest.params.sources as Record<string, { value: unknown; source: string }>;
    expect(src.sigma).toEqual({ value: 2, source: 'user option' });
    expect(src.resizeMode).toMatchObject({ value: 'letterbox', source: 'principle' });
    expect(src.k).toMatchObject({ value: 1, source: 'published default' });
    expect(src.imageSize).toMatchObject({ value: 64, source: 'backbone card' });
    expect(src.coreset).toMatchObject({ value: { method: 'approx-greedy', ratio: 0.25 }, source: 'user option' });
    expect(src.tiling).toMatchObject({ value: null, source: 'engine default' });
    const d = await fit({ data, out: path.join(tempDir(), 'm'), backbone: card }, { backends });
    expect((d.manifest.params.sources as typeof src).sigma).toMatchObject({ value: 4, source: 'published default' });
  });

  it('keeps loading a model fitted with the old defaults (σ 10, stretch and crop, no sources, no tiling)', async () => {
    const dir = await fitted({ resizeMode: 'stretch', resize: 73, sigma: 10 });
    editManifest(dir, (m) => {
      delete m.params.sources;
      delete m.params.tiling;
    });
    const model = await loadModel(dir, { backends });
    try {
      expect(model.params).toMatchObject({ sigma: 10, resizeMode: 'stretch', resize: 73, tiling: null });
      const p = await model.predictFile(path.join(data, 'test', 'good', '000.png'));
      // The stretch-and-crop geometry: the map covers the centre 64/73 of the 96 px image.
      expect(p.crop?.left).toBeCloseTo((5 * 96) / 73, 5);
    } finally {
      await model.close();
    }
  });

  it('calibrates on validation/good when the dataset has it', async () => {
    const d = path.join(tempDir(), 'withval');
    cpSync(data, d, { recursive: true });
    mkdirSync(path.join(d, 'validation', 'good'), { recursive: true });
    for (const f of ['000.png', '001.png']) cpSync(path.join(d, 'test', 'good', f), path.join(d, 'validation', 'good', f));
    const r = await fit({ data: d, out: path.join(tempDir(), 'm'), ...base() }, { backends });
    expect(r.manifest.calibration).toMatchObject({ source: 'validation', images: 2 });
  });

  it('refuses to replace an existing folder unless asked', async () => {
    const out = await fitted();
    await expect(fit({ data, out, ...base() }, { backends })).rejects.toThrow(/already exists.*--overwrite/);
    const r = await fit({ data, out, ...base(), overwrite: true }, { backends });
    expect(r.dir).toBe(out);
  });

  it('names and skips an unreadable image, or stops on it with strict, leaving nothing behind', async () => {
    const d = path.join(tempDir(), 'bad');
    cpSync(data, d, { recursive: true });
    const bad = path.join(d, 'train', 'good', '003.png');
    truncateSync(bad, 200);
    const r = await fit({ data: d, out: path.join(tempDir(), 'm'), ...base() }, { backends });
    expect(r.skipped).toEqual([{ path: bad, reason: expect.any(String) }]);
    expect(r.manifest.training).toMatchObject({ images: 5, skipped: 1 });
    const parent = tempDir();
    await expect(fit({ data: d, out: path.join(parent, 'm'), ...base(), strict: true }, { backends })).rejects.toThrow(/003\.png/);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('can be cancelled', async () => {
    const parent = tempDir();
    const ac = new AbortController();
    const p = fit({ data, out: path.join(parent, 'm'), ...base(), signal: ac.signal, onProgress: (x) => x.phase === 'extract' && x.done > 0 && ac.abort() }, { backends });
    await expect(p).rejects.toThrow(/Cancelled/);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('supports random and no coreset', async () => {
    const none = await fit({ data, out: path.join(tempDir(), 'm'), ...base(), coreset: { method: 'none', ratio: 1 } }, { backends });
    expect(none.manifest.bank.vectors).toBe(384);
    const rnd = await fit({ data, out: path.join(tempDir(), 'm'), ...base(), coreset: { method: 'random', ratio: 0.1 } }, { backends });
    expect(rnd.manifest.bank.vectors).toBe(38);
  });
});

describe('a loaded model', () => {
  it('predicts from a file, a buffer and a raw frame alike', async () => {
    const model = await loadModel(await fitted(), { backends });
    try {
      const file = path.join(data, 'test', 'hole', '000.png');
      const a = await model.predictFile(file);
      const b = await model.predictBuffer(readFileSync(file));
      const { data: px, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
      const c = await model.predictRaw({ data: px, width: info.width, height: info.height, channels: info.channels as 3 });
      expect(b.score).toBeCloseTo(a.score, 5);
      expect(c.score).toBeCloseTo(a.score, 4);
      expect(a.map).toMatchObject({ width: 64, height: 64 });
      expect(a.normalizedScore).toBeCloseTo(a.score / a.threshold, 6);
      expect(a.verdict).toBe(a.score > a.threshold ? 'NG' : 'OK');
      expect(a.crop).toMatchObject({ imageWidth: 96, imageHeight: 96 });
      expect(a.timings.totalMs).toBeGreaterThan(0);
      expect(Math.max(...a.map.data)).toBeLessThanOrEqual(a.score + 1e-4);
      expect(model.mapToSize(a.map, 96, 50)).toMatchObject({ width: 96, height: 50 });
      await expect(model.predictFile(path.join(data, 'nope.png'))).rejects.toThrow(/nope\.png/);
      // As the line records it: the heatmap on the part's frame, long side 32, quantised on the threshold scale.
      const seen = await model.inspect({ kind: 'encoded', bytes: readFileSync(file) }, { heatmapMax: 32, imageSize: { width: 192, height: 96 } });
      expect(seen).toMatchObject({ score: b.score, verdict: b.verdict, heatmapWidth: 32, heatmapHeight: 16, imageWidth: 192, imageHeight: 96 });
      expect(seen.heatmap).toHaveLength(32 * 16);
      // The peak cell is at the threshold level (128) times the score's multiple of the threshold, clamped to a byte.
      expect(Math.max(...seen.heatmap)).toBeLessThanOrEqual(Math.min(255, Math.round((128 * b.score) / b.threshold) + 1));
    } finally {
      await model.close();
    }
  });

  it('adds good images as a new version and keeps working after a reload', async () => {
    const dir = await fitted();
    const model = await loadModel(dir, { backends });
    const before = model.manifest.bank.vectors;
    const good0 = path.join(data, 'test', 'good', '000.png');
    const before0 = await model.predictFile(good0);
    const mean = (a: Float32Array) => a.reduce((x, y) => x + y, 0) / a.length;
    const v = await model.addGood([path.join(data, 'test', 'good', '000.png'), path.join(data, 'test', 'good', '001.png')]);
    expect(v).toMatchObject({ version: 2, kind: 'add-good', addedImages: 2, addedVectors: 32, bankVectors: before + 32 });
    const after0 = await model.predictFile(good0);
    const score = after0.score;
    await model.close();
    expect(readdirSync(dir).sort()).toEqual(['bank-v2.f32', 'index-v2.faiss', 'manifest.json']);
    const again = await loadModel(dir, { backends });
    expect(again.manifest.history.map((h) => h.kind)).toEqual(['fit', 'add-good']);
    expect((await again.predictFile(path.join(data, 'test', 'good', '000.png'))).score).toBeCloseTo(score, 5);
    // The bank only grew, and a coreset of the image's own patches is in it now: no patch scores higher, many lower.
    expect(score).toBeLessThanOrEqual(before0.score);
    expect(mean(after0.map.data)).toBeLessThan(mean(before0.map.data) * 0.95);
    await again.setThreshold(1.25);
    await again.close();
    const third = await loadModel(dir, { backends });
    expect(third.threshold).toBe(1.25);
    expect(third.manifest.history.at(-1)).toMatchObject({ version: 3, kind: 'threshold' });
    await expect(third.setThreshold(-1)).rejects.toThrow(/positive/);
    await third.close();
  });

  it('reweights the image score with Eq. 7 (never above the plain score)', async () => {
    const plain = await loadModel(await fitted(), { backends });
    const eq7 = await loadModel(await fitted({ reweight: true, reweightNeighbors: 4 }), { backends });
    const file = path.join(data, 'test', 'stain', '000.png');
    const a = await plain.predictFile(file);
    const b = await eq7.predictFile(file);
    expect(b.score).toBeLessThan(a.score);
    expect(b.score).toBeGreaterThan(0);
    // The map is not reweighted.
    expect(Array.from(b.map.data.slice(0, 10))).toEqual(Array.from(a.map.data.slice(0, 10)));
    await plain.close();
    await eq7.close();
  });
});

describe('scoring options', () => {
  it('scores an image by its map maximum when asked, and records it', async () => {
    const dir = await fitted({ imageScore: 'map-max' });
    const model = await loadModel(dir, { backends });
    expect(model.params.imageScore).toBe('map-max');
    const p = await model.predictFile(path.join(data, 'test', 'crack', '000.png'));
    expect(p.score).toBeCloseTo(Math.max(...p.map.data), 6);
    await model.close();
  });
});

describe('refusals', () => {
  it('refuses another schema version, naming what to do', async () => {
    const dir = await fitted();
    editManifest(dir, (m) => (m.schemaVersion = 99));
    await expect(loadModel(dir, { backends })).rejects.toThrow(/schema version 99.*reads version 1.*Update PatchLine/);
    editManifest(dir, (m) => (m.schemaVersion = 0));
    await expect(loadModel(dir, { backends })).rejects.toThrow(/Refit the model/);
  });

  it('refuses a corrupt or truncated index', async () => {
    const dir = await fitted();
    const idx = path.join(dir, 'index.faiss');
    const bytes = readFileSync(idx);
    bytes[bytes.length - 5] ^= 0xff;
    writeFileSync(idx, bytes);
    await expect(loadModel(dir, { backends })).rejects.toThrow(/index\.faiss does not match its sha256.*corrupt index.*fit it again/);
    truncateSync(idx, 100);
    await expect(loadModel(dir, { backends })).rejects.toThrow(/index\.faiss has 100 bytes.*corrupt or truncated/);
  });

  it('refuses a backbone whose sha256 differs from the one the model was fitted with', async () => {
    const dir = await fitted();
    editManifest(dir, (m) => (m.backbone.sha256 = '0'.repeat(64)));
    await expect(loadModel(dir, { backends })).rejects.toThrow(/tiny\.onnx has sha256 .* but tiny expects 0{64}/);
  });

  it('refuses a folder that is not a model, and a test folder without class folders', async () => {
    await expect(loadModel(tempDir(), { backends })).rejects.toThrow(/not a PatchLine model folder/);
    const dir = await fitted();
    await expect(evaluate({ model: dir, data: path.join(data, 'train', 'good') }, { backends })).rejects.toThrow(/has no labelled images: it needs a good\/ folder/);
  });
});

describe('evaluate', () => {
  it('returns MVTec metrics, the batch-1 timing and a self-contained report', async () => {
    const dir = await fitted();
    const report = path.join(tempDir(), 'r.html');
    const r = await evaluate({ model: dir, data, report }, { backends });
    for (const k of ['image_auroc', 'pixel_auroc', 'aupro', 'f1_max'] as const) {
      expect(r[k]).toBeGreaterThanOrEqual(0);
      expect(r[k]).toBeLessThanOrEqual(1);
    }
    expect(r.images).toHaveLength(7);
    expect(r.ms_per_image).toBeGreaterThan(0);
    expect(Object.keys(r.per_defect ?? {})).toEqual(['crack', 'hole', 'scratch', 'stain']);
    const html = readFileSync(report, 'utf8');
    expect(html.match(/src="data:image\/jpeg;base64,/g)).toHaveLength(7);
    expect(html).toContain('<polyline');
    expect(html).not.toMatch(/src="(https?:|file:)/);
    expect(existsSync(report)).toBe(true);
    const c = r.confusion!;
    expect(c.tp + c.fn).toBe(r.images.filter((i) => i.label === 1).length);
    expect(c.fp + c.tn).toBe(r.images.filter((i) => i.label === 0).length);
    expect(c.tp + c.fp).toBe(r.images.filter((i) => i.score >= c.threshold).length);
    expect(r.pixel_skipped).toBeUndefined();
    expect(r.cut_out).toMatchObject({ defect_pixels: 0, images: 0 });
    expect(r.cut_out!.of_defect_pixels).toBeGreaterThan(0);
    expect(html).toMatch(/no ground-truth defect pixel cut out of view/);
  });

  it('counts the defect pixels a centre crop cuts out of view', async () => {
    // Crop the centre 64 of a 96 px shorter-side resize: a third of the part's width and height is never seen.
    const dir = await fitted({ resizeMode: 'shorter-side', resize: 96 });
    const r = await evaluate({ model: dir, data }, { backends });
    const lb = await evaluate({ model: await fitted(), data }, { backends });
    expect(r.cut_out!.of_defect_pixels).toBe(lb.cut_out!.of_defect_pixels);
    expect(r.cut_out!.defect_pixels).toBeGreaterThan(0);
    expect(r.cut_out!.images).toBeGreaterThan(0);
    expect(lb.cut_out!.defect_pixels).toBe(0);
    // The cropping model is also scored on the whole image; letterbox is scored there already.
    expect(r.whole_image!.pixel_auroc).toBeGreaterThan(0);
    expect(lb.whole_image).toBeUndefined();
    // Stretching the whole image into the input (no crop): the whole-image frame is the input frame, same figures.
    const st = await evaluate({ model: await fitted({ resizeMode: 'stretch', resize: 64 }), data }, { backends });
    expect(st.cut_out!.defect_pixels).toBe(0);
    expect(st.whole_image!.pixel_auroc).toBeCloseTo(st.pixel_auroc!, 6);
    expect(st.whole_image!.aupro).toBeCloseTo(st.aupro!, 6);
  });

  it('evaluates a labelled folder without masks at image level and says why pixel metrics were skipped', async () => {
    const dir = await fitted();
    const withMasks = await evaluate({ model: dir, data }, { backends });
    // A line's labelled folder: good/ and one folder per defect kind, no ground_truth/.
    const plain = tempDir();
    cpSync(path.join(data, 'test'), plain, { recursive: true });
    const report = path.join(tempDir(), 'r.html');
    const r = await evaluate({ model: dir, data: plain, report }, { backends });
    expect(readFileSync(report, 'utf8')).toMatch(/Pixel metrics skipped: no ground_truth\/ folder/);
    expect(r.pixel_auroc).toBeNull();
    expect(r.aupro).toBeNull();
    expect(r.pixel_skipped).toMatch(/no ground_truth\/ folder in .*pixel AUROC and AUPRO need a defect mask/);
    expect(r.image_auroc).toBe(withMasks.image_auroc);
    expect(r.f1_max).toBe(withMasks.f1_max);
    expect(r.confusion).toEqual(withMasks.confusion);
  });
});

describe('staging', () => {
  it('cleans temp folders left by a killed fit, and only those', async () => {
    const { removeStaleStaging } = await import('./artifact');
    const parent = tempDir();
    const final = path.join(parent, 'model');
    // pid 2^22 + 1 is above Linux's pid_max default: never a live process.
    mkdirSync(`${final}.tmp-4194305-deadbeef`);
    mkdirSync(`${final}.tmp-${process.pid}-cafebabe`);
    mkdirSync(path.join(parent, 'model-other.tmp-4194305-deadbeef'));
    expect(await removeStaleStaging(final)).toEqual(['model.tmp-4194305-deadbeef']);
    expect(readdirSync(parent).sort()).toEqual(['model-other.tmp-4194305-deadbeef', `model.tmp-${process.pid}-cafebabe`]);
  });
});

describe('search parameters by measured recall (native index)', () => {
  it('are measured at fit, recorded per machine, and timed again on the first load on a machine without an entry', async () => {
    const out = path.join(tempDir(), 'model');
    // 96 bank vectors in 4 lists: small, but an IVF with re-ranking, so there is something to tune.
    const r = await fit({ data, out, ...base(), index: 'IVF4,SQ8,RFlat' });
    const tuning = r.manifest.bank.searchTuning;
    expect(tuning).toBeDefined();
    if (!tuning) return;
    // The held-out calibration image's 8 × 8 patches, searched in the bank without it.
    expect(tuning.queries).toBe(64);
    expect(tuning.source).toMatch(/held-out calibration images/);
    expect(tuning.measured.some((x) => x.passing)).toBe(true);
    const [key] = Object.keys(tuning.machines);
    expect(r.manifest.bank.indexParams).toMatchObject(tuning.machines[key].params);

    editManifest(out, (m) => {
      if (m.bank.searchTuning) m.bank.searchTuning.machines = { 'another CPU / scalar': { params: { nprobe: 1, kFactor: 1 }, ms: 1, measuredAt: '2020-01-01T00:00:00.000Z' } };
    });
    const model = await loadModel(out);
    try {
      const saved = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as ModelManifest;
      const machines = saved.bank.searchTuning?.machines ?? {};
      expect(Object.keys(machines).sort()).toEqual(['another CPU / scalar', key].sort());
      expect(tuning.measured.filter((x) => x.passing).map((x) => x.params)).toContainEqual(machines[key].params);
      expect(model.searchParams()).toEqual(machines[key].params);
    } finally {
      await model.close();
    }
  });
});
