// The streaming fold around the native epsilon-net: radius sources, payloads kept in step with the bank, the growth
// alarm on a drifting stream, and the hard cap.
import { describe, expect, it } from 'vitest';
import { PatchFeatureModel } from '../../../bench/lib/patch-features';
import { StreamFolder, type GrowthAlarm } from './fold';

const DIM = 16;
const steady = new PatchFeatureModel(DIM, { modes: 32, seed: 3 });
const other = new PatchFeatureModel(DIM, { modes: 32, seed: 99 });

async function feed(folder: StreamFolder, batches: Float32Array[], payload = false): Promise<void> {
  for (const b of batches) await folder.push(b, payload ? b.map((v) => v * 2) : undefined);
}

describe('StreamFolder', () => {
  it('calibrates r on the warm-up, keeps payload rows in step with the bank, and covers every vector', async () => {
    const batches = Array.from({ length: 8 }, (_, i) => steady.sample(1000, 10 + i));
    const folder = new StreamFolder({ dim: DIM, payloadDim: DIM, ratio: 0.05, warmup: 2000, nlist: 16 });
    await feed(folder, batches, true);
    const { keys, payload, summary } = await folder.finish();
    await folder.close();
    expect(summary.seen).toBe(8000);
    expect(summary.radiusChoice.source).toBe('ratio');
    expect(summary.radiusChoice.warmupCentres).toBe(100);
    expect(summary.bankVectors).toBeGreaterThan(100);
    expect(payload).not.toBeNull();
    for (let i = 0; i < keys.length; i++) expect(payload![i]).toBe(keys[i] * 2);
    // Every folded vector is within r of the bank.
    const r2 = summary.radius ** 2 * (1 + 1e-5);
    for (const b of batches) {
      for (let q = 0; q < b.length / DIM; q += 7) {
        let best = Infinity;
        for (let j = 0; j < keys.length / DIM; j++) {
          let s = 0;
          for (let t = 0; t < DIM; t++) s += (b[q * DIM + t] - keys[j * DIM + t]) ** 2;
          best = Math.min(best, s);
        }
        expect(best).toBeLessThanOrEqual(r2);
      }
    }
  });

  it('raises the growth alarm when the stream drifts to new parts, not before', async () => {
    const alarms: GrowthAlarm[] = [];
    const folder = new StreamFolder({ dim: DIM, ratio: 0.05, warmup: 2000, nlist: 16, growth: { window: 4000, alarmRate: 0.01 }, onAlarm: (a) => alarms.push(a) });
    await feed(folder, Array.from({ length: 12 }, (_, i) => steady.sample(1000, 100 + i)));
    expect(alarms).toEqual([]);
    await feed(folder, Array.from({ length: 4 }, (_, i) => other.sample(1000, 200 + i)));
    expect(alarms.length).toBeGreaterThan(0);
    expect(alarms[0].message).toMatch(/drifting, or a new variant/);
    expect(alarms[0].seen).toBe(16000);
    const { summary } = await folder.finish();
    expect(summary.growthCurve.length).toBe(5);
    await folder.close();
  });

  it('does not raise the alarm on a stationary stream that merely keeps growing slowly', async () => {
    const alarms: GrowthAlarm[] = [];
    // A bare rate threshold this low fires on every window of any stream: the trend test is what holds it back.
    const folder = new StreamFolder({ dim: DIM, ratio: 0.05, warmup: 2000, nlist: 16, growth: { window: 2000, alarmRate: 1e-6 }, onAlarm: (a) => alarms.push(a) });
    await feed(folder, Array.from({ length: 24 }, (_, i) => steady.sample(1000, 700 + i)));
    const { summary } = await folder.finish();
    await folder.close();
    const rates = summary.growthCurve.slice(1).map(([n, b], i) => (b - summary.growthCurve[i][1]) / (n - summary.growthCurve[i][0]));
    expect(rates.filter((r) => r > 1e-6).length).toBeGreaterThan(5);
    expect(alarms).toEqual([]);
  });

  it('enforces a hard cap by re-thinning to about 90 % of it, payloads included', async () => {
    const folder = new StreamFolder({ dim: DIM, payloadDim: DIM, radius: 0.3, cap: 200, warmup: 2000, nlist: 16 });
    await feed(folder, Array.from({ length: 6 }, (_, i) => steady.sample(1000, 300 + i)), true);
    const { keys, payload, summary } = await folder.finish();
    await folder.close();
    expect(summary.rethins).toBeGreaterThan(0);
    expect(summary.bankVectors).toBeLessThanOrEqual(200);
    expect(summary.radius).toBeGreaterThan(0.3);
    for (let i = 0; i < keys.length; i++) expect(payload![i]).toBe(keys[i] * 2);
  });

  it('derives r and the cap from a vector budget, and folds a stream shorter than the warm-up', async () => {
    const folder = new StreamFolder({ dim: DIM, budgetVectors: 300, warmup: 100_000, nlist: 16 });
    await feed(folder, [steady.sample(3000, 400)]);
    const { summary } = await folder.finish();
    await folder.close();
    expect(summary.radiusChoice).toMatchObject({ source: 'budget', warmupCentres: 150 });
    expect(summary.bankVectors).toBeLessThanOrEqual(300);
    expect(summary.seen).toBe(3000);
  });

  it('predicts r for a budget when the stream length is known, ending near the budget', async () => {
    const batches = Array.from({ length: 12 }, (_, i) => steady.sample(1000, 600 + i));
    const run = async (streamVectors?: number) => {
      const folder = new StreamFolder({ dim: DIM, budgetVectors: 600, streamVectors, warmup: 3000, nlist: 16 });
      await feed(folder, batches);
      const { summary } = await folder.finish();
      await folder.close();
      return summary;
    };
    const predicted = await run(12_000);
    const warmupOnly = await run();
    expect(predicted.radiusChoice.source).toBe('budget');
    expect(predicted.radiusChoice.predictedVectors).toBeLessThanOrEqual(600);
    expect(predicted.radiusChoice.growthExponent).toBeGreaterThan(0);
    expect(predicted.radiusChoice.growthExponent).toBeLessThanOrEqual(1);
    expect(warmupOnly.radiusChoice.predictedVectors).toBeUndefined();
    expect(predicted.rethins).toBeLessThanOrEqual(1);
    expect(predicted.bankVectors).toBeLessThanOrEqual(600);
    expect(predicted.bankVectors).toBeGreaterThan(0.5 * 600);
  });

  it('snapshots the bank mid-stream (even inside the warm-up) and keeps folding afterwards', async () => {
    const folder = new StreamFolder({ dim: DIM, payloadDim: DIM, ratio: 0.05, warmup: 5000, nlist: 16 });
    await expect(folder.snapshot()).rejects.toThrow(/nothing folded yet/);
    await feed(folder, [steady.sample(1000, 500), steady.sample(1000, 501)], true);
    const early = await folder.snapshot();
    expect(early.length / DIM).toBe(folder.bankVectors);
    early.fill(0); // a copy: the bank must not change with it
    await feed(folder, [other.sample(1000, 502)], true);
    const { keys, payload } = await folder.finish();
    await folder.close();
    expect(keys.length / DIM).toBeGreaterThan(early.length / DIM);
    for (let i = 0; i < early.length; i++) expect(payload![i]).toBe(keys[i] * 2);
  });

  it('refuses bad options and an empty stream', async () => {
    expect(() => new StreamFolder({ dim: DIM, ratio: 2 })).toThrow(/ratio must be in \(0, 1\]/);
    expect(() => new StreamFolder({ dim: DIM, cap: 1.5 })).toThrow(/cap must be a positive integer/);
    const f = new StreamFolder({ dim: DIM, payloadDim: 4 });
    await expect(f.push(new Float32Array(DIM))).rejects.toThrow(/payload must hold 1 × 4 values/);
    await expect(f.finish()).rejects.toThrow(/the stream was empty/);
  });
});
