// The streaming epsilon-net: its guarantee (every folded vector within r of the bank), equality with a sequential
// reference when every list is probed, batch-size invariance, re-thinning, and clear errors.
import { describe, expect, it } from 'vitest';
import { EpsilonNet } from '../index';
import { PatchFeatureModel } from '../../bench/lib/patch-features';

const DIM = 16;
const data = new PatchFeatureModel(DIM, { modes: 64, seed: 7 }).sample(6000, 11);

function dist2(a: Float32Array, i: number, b: Float32Array, j: number): number {
  let s = 0;
  for (let t = 0; t < DIM; t++) {
    const d = a[i * DIM + t] - b[j * DIM + t];
    s += d * d;
  }
  return s;
}

/** A vector joins when no earlier bank vector is within r (float64): the definition the net must reproduce. */
function sequentialNet(x: Float32Array, r: number): number[] {
  const bank: number[] = [];
  const n = x.length / DIM;
  for (let i = 0; i < n; i++) if (!bank.some((j) => dist2(x, i, x, j) <= r * r)) bank.push(i);
  return bank;
}

function maxCoverage(x: Float32Array, bank: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < x.length / DIM; i++) {
    let best = Infinity;
    for (let j = 0; j < bank.length / DIM; j++) best = Math.min(best, dist2(x, i, bank, j));
    worst = Math.max(worst, best);
  }
  return Math.sqrt(worst);
}

async function fold(x: Float32Array, r: number, batch: number, nlist: number, nprobe: number): Promise<{ net: EpsilonNet; added: number[] }> {
  const net = new EpsilonNet({ dim: DIM, radius: r, nlist, nprobe });
  await net.train(x, { seed: 3 });
  const added: number[] = [];
  for (let off = 0; off < x.length / DIM; off += batch) {
    const rows = Math.min(batch, x.length / DIM - off);
    const res = await net.add(x.subarray(off * DIM, (off + rows) * DIM));
    for (const a of res.added) added.push(off + a);
    expect(res.size).toBe(added.length);
  }
  return { net, added };
}

// A radius that keeps a few hundred of the 6000 vectors on this data.
const R = 0.9;

describe('EpsilonNet', () => {
  it('probing every list reproduces the sequential epsilon-net exactly, whatever the batch size', async () => {
    const reference = sequentialNet(data, R);
    expect(reference.length).toBeGreaterThan(50);
    expect(reference.length).toBeLessThan(3000);
    for (const batch of [6000, 777, 1]) {
      const { net, added } = await fold(data.subarray(0, (batch === 1 ? 1500 : 6000) * DIM), R, batch, 16, 16);
      expect(added).toEqual(batch === 1 ? sequentialNet(data.subarray(0, 1500 * DIM), R) : reference);
      await net.close();
    }
  });

  it('keeps the coverage guarantee with approximate lookups, at the cost of a few extra vectors', async () => {
    const exact = sequentialNet(data, R).length;
    const { net, added } = await fold(data, R, 1024, 64, 2);
    expect(added.length).toBeGreaterThanOrEqual(exact);
    expect(added.length).toBeLessThan(exact * 1.6);
    const bank = await net.exportVectors();
    expect(bank.length).toBe(added.length * DIM);
    // Bank row i is input row added[i] (ids follow insertion order).
    for (const i of [0, Math.floor(added.length / 2), added.length - 1]) {
      expect(Array.from(bank.subarray(i * DIM, (i + 1) * DIM))).toEqual(Array.from(data.subarray(added[i] * DIM, (added[i] + 1) * DIM)));
    }
    expect(maxCoverage(data, bank)).toBeLessThanOrEqual(R * (1 + 1e-5));
    const near = await net.nearest(data.subarray(0, 100 * DIM));
    for (const d of near) expect(d).toBeLessThanOrEqual(R * (1 + 1e-5));
    await net.close();
  });

  it('re-thins to a target: raises r, keeps at most the target, and the kept vectors cover the old bank', async () => {
    const { net, added } = await fold(data, R, 2048, 16, 16);
    const before = await net.exportVectors();
    const target = Math.floor(added.length / 3);
    const kept = await net.rethin(target);
    expect(net.size).toBe(kept.length);
    expect(kept.length).toBeLessThanOrEqual(target);
    // Close to the target, not merely under it: every vector short of it is coverage lost.
    expect(kept.length).toBeGreaterThanOrEqual(Math.floor(0.95 * target));
    expect(net.radius).toBeGreaterThan(R);
    for (let i = 1; i < kept.length; i++) expect(kept[i]).toBeGreaterThan(kept[i - 1]);
    const after = await net.exportVectors();
    expect(Array.from(after.subarray(0, DIM))).toEqual(Array.from(before.subarray(kept[0] * DIM, (kept[0] + 1) * DIM)));
    expect(maxCoverage(before, after)).toBeLessThanOrEqual(net.radius * (1 + 1e-5));
    // The net goes on folding at the new radius.
    const res = await net.add(data.subarray(0, 500 * DIM));
    expect(res.added.length).toBe(0);
    await net.close();
  });

  it('restores a bank from its centroids and vectors', async () => {
    const { net } = await fold(data, R, 4096, 16, 4);
    const copy = new EpsilonNet({ dim: DIM, radius: net.radius, nlist: 16, nprobe: 4 });
    await copy.setCentroids(await net.centroids());
    await copy.append(await net.exportVectors());
    expect(copy.size).toBe(net.size);
    expect((await copy.add(data)).added.length).toBe(0);
    await Promise.all([net.close(), copy.close()]);
  });

  it('refuses bad input with clear errors', async () => {
    expect(() => new EpsilonNet({ dim: 0, radius: 1 })).toThrow(/dim must be an integer/);
    expect(() => new EpsilonNet({ dim: 4, radius: -1 })).toThrow(/radius must be a finite number >= 0/);
    const net = new EpsilonNet({ dim: DIM, radius: R, nlist: 8 });
    await expect(net.add(data.subarray(0, DIM))).rejects.toMatchObject({ message: expect.stringMatching(/not trained/), code: 'ERR_PATCHLINE_STATE' });
    expect(() => net.add(new Float32Array(DIM + 1))).toThrow(/not a multiple of the dimension 16/);
    await expect(net.train(data.subarray(0, 4 * DIM))).rejects.toThrow(/at least nlist = 8/);
    const bad = data.slice(0, 100 * DIM);
    bad[5 * DIM + 3] = NaN;
    await expect(net.train(bad)).rejects.toMatchObject({ message: expect.stringMatching(/sample vectors contain NaN at row 5, column 3/), code: 'ERR_PATCHLINE_INPUT' });
    const ac = new AbortController();
    ac.abort();
    await expect(net.train(data, { signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError' });
    await net.close();
    expect(() => net.add(data)).toThrow(/closed/);
  });
});
