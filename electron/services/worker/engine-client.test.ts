import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { getPriority } from 'node:os';
import { EngineWorker } from './engine-client';
import { copyInto, datasetImages, fakeEngineModule, goodFolder, labelledFolder, tempDir } from '../testing/fixtures';

let engine: EngineWorker;
let modelDir: string;

beforeAll(async () => {
  engine = new EngineWorker('test', fakeEngineModule);
  const data = await goodFolder(10);
  modelDir = path.join(await tempDir('models'), 'm1');
  const progress: number[] = [];
  const r = await engine.engine.fit({ data, out: modelDir, onProgress: (p) => progress.push(p.done) });
  expect(r.manifest.training.images).toBe(10);
  expect(progress.at(-1)).toBe(10);
});

afterAll(() => engine.close());

describe('engine worker thread', () => {
  it('loads a model and predicts from raw pixels, encoded bytes and a file, with a quantised heatmap', async () => {
    const load = await engine.load('m1', modelDir);
    expect(load.manifest.bank.vectors).toBeGreaterThan(0);
    const [file] = await datasetImages('test/good', 1);
    const bytes = new Uint8Array(await readFile(file));
    const { data, info } = await sharp(bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const m1 = engine.model('m1');
    const heat = { imageSize: { width: 64, height: 32 }, heatmapMax: 32 };
    const raw = await m1.inspect({ kind: 'raw', image: { data: new Uint8Array(data), width: info.width, height: info.height, channels: 4 } }, heat);
    const enc = await m1.inspect({ kind: 'encoded', bytes }, heat);
    const fromFile = await m1.inspect({ kind: 'file', path: file }, heat);
    expect(raw.heatmap).toBeInstanceOf(Uint8Array);
    expect([raw.heatmapWidth, raw.heatmapHeight]).toEqual([32, 16]);
    expect(raw.heatmap.length).toBe(32 * 16);
    expect(enc.score).toBeCloseTo(fromFile.score, 6);
    expect(Math.abs(raw.score - enc.score) / enc.score).toBeLessThan(0.2); // same pixels, different decode path
    expect(raw.normalizedScore).toBeCloseTo(raw.score / raw.threshold, 6);
  });

  it('turns an undecodable image into an error naming the problem, and keeps serving', async () => {
    const bad = path.join(await tempDir('bad'), 'broken.png');
    await writeFile(bad, 'not a png');
    const heat = { imageSize: { width: 8, height: 8 }, heatmapMax: 8 };
    const err = await engine.model('m1').inspect({ kind: 'file', path: bad }, heat).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/Cannot decode image.*broken\.png/);
    // The worker's stack crosses with the error: it names the engine code that threw.
    expect((err as Error).stack).toMatch(/fake-engine/);
    const [file] = await datasetImages('test/good', 1);
    await expect(engine.model('m1').inspect({ kind: 'file', path: file }, heat)).resolves.toHaveProperty('verdict');
  });

  it('says which model is missing when predicting with an unloaded key', async () => {
    await expect(engine.model('nope').inspect({ kind: 'file', path: 'x' }, { heatmapMax: 8 })).rejects.toMatchObject({
      code: 'NO_MODEL',
    });
  });

  it('cancels a fit: the call rejects as cancelled and no model folder is left behind', async () => {
    const data = await goodFolder(40);
    const out = path.join(await tempDir('models'), 'cancelled');
    const ac = new AbortController();
    const p = engine.engine.fit({ data, out, signal: ac.signal, onProgress: (pr) => void (pr.done >= 3 && ac.abort()) });
    await expect(p).rejects.toMatchObject({ code: 'CANCELLED' });
    await expect(readFile(path.join(out, 'manifest.json'))).rejects.toThrow();
  });

  it('scores a labelled folder without masks, in either layout, and refuses one without labels', async () => {
    const root = await tempDir('labelled-plain');
    await copyInto(await datasetImages('test/good', 3), path.join(root, 'good'));
    await copyInto(await datasetImages('test/crack', 2), path.join(root, 'crack'));
    await writeFile(path.join(root, 'crack', 'unreadable.png'), 'nope');
    const seen: number[] = [];
    const r = await engine.engine.scoreFolder({ model: modelDir, data: root, onProgress: (p) => seen.push(p.done) });
    expect(r.images.map((i) => i.label).sort()).toEqual([0, 0, 0, 1, 1]);
    expect(r.images.find((i) => i.label === 1)?.defect).toBe('crack');
    expect(r.skipped.map((s) => path.basename(s.path))).toEqual(['unreadable.png']);
    expect(seen.at(-1)).toBe(6);
    expect(r.imageAuroc).not.toBeNull();
    const mvtec = await labelledFolder(2, 2);
    expect((await engine.engine.scoreFolder({ model: modelDir, data: mvtec })).images).toHaveLength(4);
    await expect(engine.engine.scoreFolder({ model: modelDir, data: await tempDir('empty') })).rejects.toThrow(/no labelled images/);
  });

  it('runs long jobs in a child process at a lower CPU priority, which exits when idle', async () => {
    const jobs = new EngineWorker('jobs', fakeEngineModule, { kind: 'process', nice: 10, idleExitMs: 300 });
    try {
      const out = path.join(await tempDir('models'), 'in-process');
      const progress: number[] = [];
      const r = await jobs.engine.fit({ data: await goodFolder(6), out, onProgress: (p) => progress.push(p.done) });
      expect(r.manifest.training.images).toBe(6);
      expect(progress.at(-1)).toBe(6);
      const pid = jobs.pid!;
      expect(pid).not.toBe(process.pid);
      // Ten steps below this process, whatever its own niceness (the suite may run under `nice`).
      if (process.platform === 'linux') expect(getPriority(pid)).toBe(Math.min(19, getPriority() + 10));
      await expect.poll(() => jobs.pid, { timeout: 5000 }).toBeUndefined(); // gone after 300 ms idle
      // The next job starts a new process.
      const s = await jobs.engine.scoreFolder({ model: out, data: await labelledFolder(1, 1) });
      expect(s.images).toHaveLength(2);
    } finally {
      await jobs.close();
    }
  });

  it('a model call with its folder works on a model the worker does not hold, and changes it on disk', async () => {
    const before = await engine.engine.readManifest(modelDir);
    await engine.model('tmp:m1', modelDir).setThreshold(before.calibration.threshold * 2);
    const after = await engine.engine.readManifest(modelDir);
    expect(after.calibration.threshold).toBeCloseTo(before.calibration.threshold * 2, 9);
    expect(after.history.at(-1)?.kind).toBe('threshold');
  });

  it.runIf(process.platform === 'linux')('lowers a worker thread\'s own CPU priority, not the process\'s', async () => {
    const niceOf = (tid: string) => Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ')[16]);
    const threads = () => readdirSync('/proc/self/task').map(niceOf);
    const base = getPriority();
    const w = new EngineWorker('low', fakeEngineModule, { nice: 7 });
    try {
      await w.engine.readManifest(modelDir); // started and ready
      expect(threads()).toContain(Math.min(19, base + 7));
      expect(getPriority()).toBe(base); // this thread (and so the process's main thread) keeps its priority
    } finally {
      await w.close();
    }
  });

  it('restarts a worker that died, failing only what was pending', async () => {
    const w = new EngineWorker('crashy', fakeEngineModule);
    await w.load('m1', modelDir);
    const gen = w.generation;
    await w.kill(); // as if it had crashed
    await expect(w.model('m1').inspect({ kind: 'file', path: 'x' }, { heatmapMax: 8 })).rejects.toMatchObject({
      code: 'NO_MODEL', // fresh worker: the model must be loaded again
    });
    expect(w.generation).toBe(gen + 1);
    await w.close();
  });
});
