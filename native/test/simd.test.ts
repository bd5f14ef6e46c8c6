// One SIMD dispatcher for the coreset and the index: every level this CPU has gives the scalar answers (bit-identical
// for the coreset, equal up to float rounding for index distances), and PATCHLINE_SIMD picks a level, clamped.
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { clusteredFeatures } from '../../bench/native-coreset';
import { bruteForceKnn } from '../../bench/lib/patch-features';
import { approximateGreedyCoreset, FaissIndex, prunedGreedyCoreset, randomProjection, simdKernels } from '../index';
import type { SimdLevel } from '../index';
import { clustered } from './index-helpers';

const info = simdKernels();
const levels = info.available;
const simdLevels = levels.filter((l) => l !== 'scalar');

function report(): void {
  if (simdLevels.length === 0) console.log('only the scalar kernels exist on this CPU: nothing to compare against');
}

async function forEachLevel<T>(run: (level: SimdLevel) => Promise<T>): Promise<Map<SimdLevel, T>> {
  const out = new Map<SimdLevel, T>();
  for (const level of levels) {
    expect(simdKernels(level).active).toBe(level);
    out.set(level, await run(level));
  }
  simdKernels('auto');
  return out;
}

afterAll(() => {
  simdKernels('auto');
});

describe('the SIMD dispatcher', () => {
  it('detects the CPU, lists every level it can run best first, and uses the best by default', () => {
    expect(['scalar', 'avx2', 'avx512']).toContain(info.detected);
    expect(levels.at(-1)).toBe('scalar');
    expect(levels[0]).toBe(info.detected);
    if (process.env.PATCHLINE_SIMD === undefined) expect(info.active).toBe(info.detected);
    expect(() => simdKernels('sse' as SimdLevel)).toThrow(TypeError);
  });

  it('PATCHLINE_SIMD selects a level for the whole process, clamped to the CPU, and a bad value falls back loudly', () => {
    const probe = (value: string) => {
      const r = spawnSync(process.execPath, ['-e', `console.log(require(${JSON.stringify(addonPath())}).simdKernels().active)`], {
        env: { ...process.env, PATCHLINE_SIMD: value },
        encoding: 'utf8',
      });
      return { active: r.stdout.trim(), stderr: r.stderr };
    };
    for (const level of levels) expect(probe(level).active).toBe(level);
    // A level above the CPU's is clamped to the CPU's.
    expect(probe('avx512').active).toBe(levels.includes('avx512') ? 'avx512' : info.detected);
    const bad = probe('avx1024');
    expect(bad.active).toBe(info.detected);
    expect(bad.stderr).toMatch(/PATCHLINE_SIMD=avx1024 is not one of scalar, avx2, avx512, auto/);
  });
});

function addonPath(): string {
  return new URL('../build/Release/patchline_native.node', import.meta.url).pathname;
}

describe('every level gives the scalar answers', () => {
  it('coreset: bit-identical projections, selections and radii', async () => {
    report();
    const x = clusteredFeatures({ rows: 3000, cols: 80, seed: 6 });
    const results = await forEachLevel(async (level) => {
      const p = await randomProjection(x, 128, 3);
      const a = await approximateGreedyCoreset(x, { count: 300, seed: 3, storage: 'float16' });
      const c = await prunedGreedyCoreset(x, { count: 300, seed: 3, storage: 'float32' });
      expect(a.stats.kernels).toBe(level);
      return JSON.stringify([Array.from(p.subarray(0, 2000)), Array.from(a.indices), a.radius, Array.from(c.indices), c.radius]);
    });
    for (const level of simdLevels) expect(results.get(level)).toBe(results.get('scalar'));
  });

  it('distances: Flat search matches a brute-force loop at every level, dimension tails included', async () => {
    for (const d of [72, 100]) {
      const { bank, queries } = clustered(d, 2000, 50, 3);
      const want = bruteForceKnn(bank, queries, d, 3);
      await forEachLevel(async () => {
        const index = FaissIndex.create(d, 'Flat');
        await index.add(bank);
        const got = await index.search(queries, 3);
        index.close();
        expect(Array.from(got.labels, Number)).toEqual(Array.from(want.labels));
        for (let i = 0; i < want.distances.length; i++) {
          expect(Math.abs(got.distances[i] - want.distances[i])).toBeLessThanOrEqual(1e-4 * want.distances[i] + 1e-5);
        }
      });
    }
  });

  it.each(['IVF32,Flat', 'IVF32,SQ8', 'IVF32,SQfp16', 'IVF32,SQ8,RFlat', 'PCA24,IVF32,SQ8,RFlat', 'HNSW16'])(
    'index search (%s): the same neighbours and distances as the scalar kernels',
    async (factory) => {
      const d = 48;
      const { bank, queries } = clustered(d, 4000, 200, 9);
      // Built once with the default kernels: the levels must agree on searching the same index.
      const index = FaissIndex.create(d, factory);
      if (!index.isTrained) await index.train(bank);
      await index.add(bank);
      const params = factory.startsWith('HNSW') ? { efSearch: 32 } : { nprobe: 4, ...(factory.includes('RFlat') ? { kFactor: 4 } : {}) };
      const results = await forEachLevel(() => index.search(queries, 5, params));
      const image = await forEachLevel(() => index.searchImage(queries, 1, { ...params, exactTop: 8, exactVectors: bank }));
      index.close();
      const ref = results.get('scalar')!;
      for (const level of simdLevels) {
        const got = results.get(level)!;
        let same = 0;
        for (let i = 0; i < ref.labels.length; i++) {
          if (got.labels[i] === ref.labels[i]) same++;
          expect(Math.abs(got.distances[i] - ref.distances[i])).toBeLessThanOrEqual(1e-4 * ref.distances[i] + 1e-5);
        }
        // Identical up to float rounding of near ties.
        expect(same / ref.labels.length).toBeGreaterThanOrEqual(0.995);
        const a = image.get(level)!;
        const b = image.get('scalar')!;
        expect(Math.abs(a.maxScore - b.maxScore)).toBeLessThanOrEqual(1e-5 * b.maxScore);
      }
    },
  );
});
