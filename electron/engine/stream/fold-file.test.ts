// `patchline fold`'s engine: a feature file folded into a bank folder that appears whole, maps, and covers the file;
// a cancelled or failed fold leaves no folder and an existing bank as it was.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FaissIndex } from '../../../native/index';
import { PatchFeatureModel } from '../../../bench/lib/patch-features';
import { npyBytes } from '../testing/npy';
import { tempDir } from '../testing/fixtures';
import { FOLD_FILE, foldFeatureFile, type FoldFileRecord } from './fold-file';

const DIM = 16;
const ROWS = 20_000;

describe('foldFeatureFile', () => {
  const dir = tempDir('pl-fold-file-');
  const x = new PatchFeatureModel(DIM, { modes: 32, seed: 5 }).sample(ROWS, 1);
  const npy = path.join(dir, 'day.npy');
  writeFileSync(npy, npyBytes(x, ROWS, DIM));

  it('folds a .npy into bank.f32 + a mapped index + fold.json, every row within r of the bank', async () => {
    const out = path.join(dir, 'bank');
    const phases = new Set<string>();
    const { record } = await foldFeatureFile({ features: npy, out, budgetVectors: 2000, warmup: 5000, onProgress: (p) => phases.add(p.phase) });
    expect(phases).toEqual(new Set(['fold', 'index']));
    expect(readdirSync(out).sort()).toEqual(['bank.f32', FOLD_FILE, 'index.faiss'].sort());
    const saved = JSON.parse(readFileSync(path.join(out, FOLD_FILE), 'utf8')) as FoldFileRecord;
    expect(saved).toMatchObject({ rows: ROWS, dim: DIM, source: npy, index: { factory: record.index.factory } });
    expect(saved.summary.radiusChoice.source).toBe('budget');
    const n = saved.summary.bankVectors;
    expect(n).toBeLessThanOrEqual(2000);
    const bank = new Float32Array(readFileSync(path.join(out, 'bank.f32')).buffer.slice(0));
    expect(bank.length).toBe(n * DIM);
    const index = await FaissIndex.read(path.join(out, 'index.faiss'), { mmap: true });
    expect(index.ntotal).toBe(n);
    index.close();
    // Coverage: exact nearest bank vector of a sample of rows is within r.
    const r2 = saved.summary.radius ** 2 * (1 + 1e-5);
    for (let q = 0; q < ROWS; q += 97) {
      let best = Infinity;
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let t = 0; t < DIM; t++) s += (x[q * DIM + t] - bank[j * DIM + t]) ** 2;
        if (s < best) best = s;
      }
      expect(best).toBeLessThanOrEqual(r2);
    }
  });

  it('leaves nothing behind when cancelled, and keeps an existing bank when a fold fails', async () => {
    const out = path.join(dir, 'cancelled');
    const ac = new AbortController();
    const run = foldFeatureFile({ features: npy, out, ratio: 0.05, warmup: 5000, signal: ac.signal, onProgress: (p) => p.phase === 'fold' && p.done > 0 && ac.abort() });
    await expect(run).rejects.toThrow(/Cancel|abort/i);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('cancelled'))).toEqual([]);

    const kept = path.join(dir, 'kept');
    await foldFeatureFile({ features: npy, out: kept, radius: 2, warmup: 5000 });
    const before = readFileSync(path.join(kept, FOLD_FILE), 'utf8');
    const bad = path.join(dir, 'bad.f32');
    const y = Float32Array.from(x.subarray(0, 8000 * DIM));
    y[7000 * DIM + 3] = Infinity;
    writeFileSync(bad, Buffer.from(y.buffer));
    await expect(foldFeatureFile({ features: bad, dim: DIM, out: kept, overwrite: true, radius: 2, warmup: 5000 })).rejects.toThrow(/bad\.f32: row 7000, column 3 is infinite/);
    expect(readFileSync(path.join(kept, FOLD_FILE), 'utf8')).toBe(before);
    await expect(foldFeatureFile({ features: npy, out: kept, radius: 2 })).rejects.toThrow(/already exists/);
  });
});
