import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ModelManifest } from '../api';
import { writeRgbPng } from '../data/synthetic-defects';
import { rng } from '../random';
import { exactBackends } from '../testing/exact-backends';
import { tempDir, tinyBackbone } from '../testing/fixtures';
import { autoFit, autoSplit, gridAxes, MIN_AUTO_IMAGES, RESIZE_POLICIES, SIGMA_CANDIDATES, type AutoInternals } from './auto-config';
import { readManifest } from './artifact';
import { fit } from './fit';
import { engine } from '../index';

let card: string;

/**
 * Good images of a flat coloured plate with pixel noise (which the tiny backbone's 8 × 8 pooling averages away), so
 * any blob or texture change is plain wherever the network sees it.
 */
async function plates(n: number, seed = 1, size = 128): Promise<string> {
  const dir = path.join(tempDir('pl-auto-'), 'plates');
  mkdirSync(dir);
  const rand = rng(seed);
  for (let k = 0; k < n; k++) {
    const data = new Uint8Array(size * size * 3);
    const base = 100 + Math.floor(rand() * 8);
    for (let i = 0; i < size * size; i++) {
      const v = base + Math.floor(rand() * 12);
      data.set([v, v + 15, v + 40], i * 3);
    }
    await writeRgbPng(path.join(dir, `${String(k).padStart(3, '0')}.png`), { data, width: size, height: size });
  }
  return dir;
}

/**
 * n copies of one long part (8:1): every good image is the same picture, so a good image scores 0 and every defect the
 * network sees scores above it; the only errors are defects the preprocessing cuts off. The default stretch-then-crop
 * cuts 1/16 of the length at each end.
 */
async function identicalParts(n: number, seed = 11, width = 512, height = 64): Promise<string> {
  const dir = path.join(tempDir('pl-auto-'), 'identical');
  mkdirSync(dir);
  const rand = rng(seed);
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const v = 90 + Math.floor(rand() * 40);
    data.set([v, v + 10, v + 30], i * 3);
  }
  for (let k = 0; k < n; k++) await writeRgbPng(path.join(dir, `${String(k).padStart(3, '0')}.png`), { data, width, height });
  return dir;
}

const base = () => ({ backbone: card, coreset: { method: 'approx-greedy' as const, ratio: 0.25 }, seed: 3 });
const run = (data: string, extra: Record<string, unknown> = {}, internals: AutoInternals = {}) =>
  autoFit({ data, out: path.join(tempDir(), 'm'), ...base(), ...extra }, { backends: exactBackends, ...internals });

beforeAll(() => {
  card = tinyBackbone(64);
});

describe('gridAxes', () => {
  it('starts at the published defaults and fixes the axes the user set', () => {
    const a = gridAxes({ data: '', out: '', backbone: card });
    expect(a.base).toEqual({ resizeMode: 'letterbox', crop: false, imageSize: 64, taps: ['layer2', 'layer3'] });
    expect(a.sigmas).toEqual([...SIGMA_CANDIDATES]);
    expect(a.sigmas[0]).toBe(4);
    // Every resize mode's crop choices, as data: a new mode joins by its entry in RESIZE_POLICIES.
    expect(a.policies).toEqual(Object.entries(RESIZE_POLICIES).flatMap(([resizeMode, crops]) => crops.map((crop) => ({ resizeMode, crop }))));
    expect(a.sizes).toEqual([64, 96]);
    const fixed = gridAxes({ data: '', out: '', backbone: card, sigma: 6, resizeMode: 'shorter-side', imageSize: 80 });
    expect(fixed.sigmas).toEqual([6]);
    expect(fixed.policies.every((p) => p.resizeMode === 'shorter-side')).toBe(true);
    expect(fixed.sizes).toEqual([80]);
  });

  it('offers the card\'s coarser optional taps, not finer ones', () => {
    const a = gridAxes({ data: '', out: '', backbone: 'mobilenetv2-int8' });
    expect(a.taps).toEqual([
      ['365_quantized', '426_quantized'],
      ['365_quantized', '426_quantized', '452_quantized'],
    ]);
  });
});

describe('autoSplit', () => {
  it('holds out a seeded 15 % (4 to 32 images) and fits on the rest up to the cap', () => {
    const a = autoSplit(100, 1, 1000);
    expect(a.heldOut).toHaveLength(15);
    expect(a.fit).toHaveLength(85);
    expect(new Set([...a.heldOut, ...a.fit]).size).toBe(100);
    expect(autoSplit(100, 1, 1000)).toEqual(a);
    expect(autoSplit(100, 2, 1000).heldOut).not.toEqual(a.heldOut);
    expect(autoSplit(1000, 1, 50)).toMatchObject({ heldOut: expect.any(Array), fit: expect.any(Array) });
    expect(autoSplit(1000, 1, 50).heldOut).toHaveLength(32);
    expect(autoSplit(1000, 1, 50).fit).toHaveLength(50);
    expect(autoSplit(16, 1, 1000).heldOut).toHaveLength(4);
  });
});

describe('autoFit', () => {
  it('picks the whole-image resize when the centre crop cuts off defects', async () => {
    const data = await identicalParts(100);
    // A generous budget: this test is about the choice, not the time (the machine may be loaded).
    const r = await run(data, {}, { budgetSeconds: 600 });
    const a = r.auto;
    // A whole-image policy wins (letterbox, the shipped default, or stretch of the whole image), never a crop.
    expect(a.choice).toMatchObject({ crop: false, resize: a.choice!.imageSize });
    expect(['letterbox', 'stretch']).toContain(a.choice!.resizeMode);
    expect(r.manifest.params).toMatchObject({ resizeMode: a.choice!.resizeMode, resize: a.choice!.imageSize, imageSize: a.choice!.imageSize, sigma: a.choice!.sigma });
    const at = (crop: boolean, mode = 'stretch') => a.grid.find((c) => c.crop === crop && c.resizeMode === mode && c.imageSize === 64)!;
    // Every defect the whole image shows is found; the crop misses those at the ends; shorter-side crops most of the part.
    expect(at(false).imageAuroc).toBe(1);
    expect(at(true).imageAuroc!).toBeLessThan(1);
    expect(a.grid.find((c) => c.resizeMode === 'shorter-side')!.imageAuroc!).toBeLessThan(at(true).imageAuroc!);
    // σ only blurs the map: the same patch scores give every σ the same image AUROC.
    for (const c of a.grid) expect(a.grid.filter((d) => d.seconds === c.seconds).every((d) => d.imageAuroc === c.imageAuroc)).toBe(true);
    expect(a.holdout).toEqual({ good: 15, defective: 30, fitImages: 48, kinds: ['paste', 'texture', 'scratch', 'blob'] });
    expect(a.seconds.total).toBeGreaterThanOrEqual(a.seconds.grid + a.seconds.final - 1e-9);
    expect(a.stoppedEarly).toBeUndefined();
    // The record is in the committed manifest.
    expect(readManifest(r.dir).auto).toEqual(a);
  });

  it('picks the small σ over a large incumbent when thin scratches vanish under the large blur', async () => {
    const data = await plates(30, 2);
    const r = await run(data, { resizeMode: 'stretch', resize: 64, imageSize: 64 }, { kinds: ['scratch', 'blob'], sigmas: [16, 2] });
    const rows = r.auto.grid;
    expect(rows.map((c) => c.sigma)).toEqual([16, 2]);
    expect(rows[1].aupro!).toBeGreaterThan(rows[0].aupro! + 0.05);
    expect(r.auto.choice!.sigma).toBe(2);
    expect(r.manifest.params.sigma).toBe(2);
    // Chosen by the grid, not given: recorded as auto; the axes the user fixed stay user options.
    expect(r.manifest.params.sources).toMatchObject({ sigma: { value: 2, source: 'auto' }, resizeMode: { value: 'stretch', source: 'user option' } });
  });

  it('makes the same choice from the same seed', async () => {
    const data = await plates(24, 3);
    const strip = (m: ModelManifest) => m.auto!.grid.map(({ seconds: _s, ...c }) => c);
    // The budget is generous so that machine load cannot stop one run's grid earlier than the other's.
    const a = await run(data, {}, { budgetSeconds: 600 });
    const b = await run(data, {}, { budgetSeconds: 600 });
    expect(strip(b.manifest)).toEqual(strip(a.manifest));
    expect(b.auto.choice).toEqual(a.auto.choice);
    const c = await run(data, { seed: 4 }, { budgetSeconds: 600 });
    expect(strip(c.manifest)).not.toEqual(strip(a.manifest));
  });

  it('falls back to the defaults on a folder too small to hold images out, with a note', async () => {
    const data = await plates(MIN_AUTO_IMAGES - 1, 4);
    const notes: string[] = [];
    const r = await run(data, {}, { onNote: (m) => notes.push(m) });
    expect(r.auto.choice).toBeNull();
    expect(r.auto.fallback).toMatch(new RegExp(`15 training images: self-configuration needs at least ${MIN_AUTO_IMAGES}`));
    expect(notes.join('\n')).toMatch(/fitted with the defaults/);
    const plain = await fit({ data, out: path.join(tempDir(), 'p'), ...base() }, { backends: exactBackends });
    expect(r.manifest.params).toEqual(plain.manifest.params);
    expect(r.manifest.bank.vectors).toBe(plain.manifest.bank.vectors);
    expect(JSON.parse(readFileSync(path.join(r.dir, 'manifest.json'), 'utf8')).auto.fallback).toBe(r.auto.fallback);
  });

  it('stops the grid at the time budget and says so, keeping the defaults it scored', async () => {
    const data = await plates(20, 5);
    const notes: string[] = [];
    const r = await run(data, {}, { budgetSeconds: 0.001, onNote: (m) => notes.push(m) });
    expect(r.auto.grid.map((c) => c.sigma)).toEqual([4, 8]);
    expect(r.auto.stoppedEarly).toMatch(/time budget .* not scored stretch 73 → crop 64 px/);
    expect(notes.some((n) => n.includes('time budget'))).toBe(true);
    expect(r.auto.choice).toMatchObject({ resizeMode: 'letterbox', crop: false, imageSize: 64 });
  });

  it('is what the Engine interface runs for fit with auto (the workstation\'s Train default)', async () => {
    const data = await plates(MIN_AUTO_IMAGES, 8);
    const r = await engine.fit({ data, out: path.join(tempDir(), 'e'), ...base(), auto: true });
    expect(r.manifest.auto?.grid.length).toBeGreaterThan(0);
    expect(readManifest(r.dir).auto).toEqual(r.manifest.auto);
    const plain = await engine.fit({ data, out: path.join(tempDir(), 'p'), ...base() });
    expect(plain.manifest.auto).toBeUndefined();
  });

  it('refuses an existing --out before running the grid', async () => {
    const data = await plates(MIN_AUTO_IMAGES, 6);
    const out = tempDir();
    await expect(autoFit({ data, out, ...base() }, { backends: exactBackends })).rejects.toThrow(/already exists.*--overwrite/);
  });
});

describe('manifest', () => {
  it('models without an auto record still load', async () => {
    const data = await plates(6, 7);
    const r = await fit({ data, out: path.join(tempDir(), 'm'), ...base() }, { backends: exactBackends });
    expect(readManifest(r.dir).auto).toBeUndefined();
  });
});
