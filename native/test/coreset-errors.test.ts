// Bad input to the coreset API: a clear Error naming the field (or the row), never a crash.
import { describe, expect, it } from 'vitest';
import { approximateGreedyCoreset, exactGreedyCoreset, prunedGreedyCoreset, randomProjection } from '../index';
import type { FeatureMatrix, GreedyOptions } from '../index';

const good: FeatureMatrix = { data: new Float32Array(20 * 8).map((_, i) => Math.sin(i)), rows: 20, cols: 8 };
const samplers = { approximateGreedyCoreset, prunedGreedyCoreset, exactGreedyCoreset };

function withValue(index: number, v: number): FeatureMatrix {
  const data = good.data.slice() as Float32Array;
  data[index] = v;
  return { ...good, data };
}

describe('coreset input validation', () => {
  for (const [name, run] of Object.entries(samplers)) {
    describe(name, () => {
      it('names the row and column of a NaN or an infinity', async () => {
        await expect(run(withValue(7 * 8 + 3, NaN), { count: 2 })).rejects.toThrow(`${name}: features row 7, column 3 is NaN`);
        await expect(run(withValue(2 * 8, Infinity), { count: 2 })).rejects.toThrow('features row 2, column 0 is infinite');
        const half = new Uint16Array(20 * 8).fill(0x3c00);
        half[5 * 8 + 1] = 0x7e00; // binary16 NaN
        await expect(run({ data: half, rows: 20, cols: 8 }, { count: 2 })).rejects.toThrow('features row 5, column 1 is NaN');
      });

      it('rejects shapes that do not match the data', async () => {
        await expect(run({ ...good, rows: 21 }, { count: 2 })).rejects.toThrow(/rows \* features.cols .* must equal features.data.length \(160\)/);
        await expect(run({ ...good, rows: 0 }, { count: 2 })).rejects.toThrow(/features.rows must be an integer/);
        await expect(run({ ...good, cols: 2.5 }, { count: 2 })).rejects.toThrow(/features.cols must be an integer/);
        const wrongType = { data: new Int32Array(160), rows: 20, cols: 8 } as unknown as FeatureMatrix;
        await expect(run(wrongType, { count: 2 })).rejects.toThrow(/Float32Array .* or a Uint16Array/);
        await expect(run(null as unknown as FeatureMatrix, { count: 2 })).rejects.toThrow(/features must be/);
      });

      it('rejects bad ratio / count combinations', async () => {
        for (const ratio of [0, -0.1, 1.5, NaN, Infinity]) {
          await expect(run(good, { ratio })).rejects.toThrow(/ratio must be a number in \(0, 1\]/);
        }
        await expect(run(good, { ratio: 0.01 })).rejects.toThrow(/ratio 0.01 of 20 rows selects no point/);
        for (const count of [0, 21, 2.5]) {
          await expect(run(good, { count })).rejects.toThrow(/count must be an integer in \[1, rows = 20\]/);
        }
        await expect(run(good, { ratio: 0.5, count: 3 })).rejects.toThrow(/exactly one of ratio and count/);
        await expect(run(good, {})).rejects.toThrow(/exactly one of ratio and count/);
      });

      it('rejects bad options by name', async () => {
        const cases: [GreedyOptions, RegExp][] = [
          [{ count: 2, projectionDim: 0 }, /projectionDim must be an integer in \[1, 16384\]/],
          [{ count: 2, projectionDim: 1e6 }, /projectionDim must be an integer/],
          [{ count: 2, numStarts: 0 }, /numStarts must be a positive integer/],
          [{ count: 2, seed: -1 }, /seed must be an integer in \[0, 2\^53\)/],
          [{ count: 2, seed: 1.5 }, /seed must be an integer/],
          [{ count: 2, storage: 'float64' as 'float32' }, /storage must be 'float32' or 'float16'/],
          [{ count: 2, signal: {} as AbortSignal }, /signal must be an AbortSignal/],
          [{ count: 2, onProgress: 3 as unknown as () => void }, /onProgress must be a function/],
          [{ count: 2, leafSize: 2 }, /leafSize must be an integer in \[4, 65536\]/],
          [{ count: 2, projectionDims: 64 } as GreedyOptions, /unknown option 'projectionDims'/],
        ];
        for (const [opts, message] of cases) await expect(run(good, opts)).rejects.toThrow(message);
      });
    });
  }

  it('rejects values a float16 store cannot hold, naming the row and the way out', async () => {
    await expect(approximateGreedyCoreset(withValue(3 * 8 + 2, 1e5), { count: 2, projectionDim: 8, storage: 'float16' })).rejects.toThrow(
      /features row 3: value 100000 \(column 2\) does not fit float16 storage .* use storage 'float32'/,
    );
    await expect(prunedGreedyCoreset(withValue(3 * 8 + 2, 1e5), { count: 2, projectionDim: 8, storage: 'float32' })).resolves.toBeDefined();
    await expect(prunedGreedyCoreset(withValue(4 * 8, 1e30), { count: 2, projectionDim: 8 })).rejects.toThrow(/features row 4: value 1e\+30 .* too large/);
  });

  it('randomProjection validates its arguments', async () => {
    await expect(randomProjection(good, 0, 1)).rejects.toThrow(/randomProjection: dim must be an integer/);
    await expect(randomProjection(good, 4, -3)).rejects.toThrow(/randomProjection: seed must be an integer/);
    await expect(randomProjection({ ...good, cols: 7 }, 4, 1)).rejects.toThrow(/must equal features.data.length/);
    await expect(randomProjection(withValue(9 * 8 + 4, NaN), 4, 1)).rejects.toThrow('randomProjection: features row 9, column 4 is NaN');
    const huge = good.data.slice() as Float32Array;
    huge.fill(3.4e38, 0, 8);
    await expect(randomProjection({ ...good, data: huge }, 64, 1)).rejects.toThrow(/features row 0: projected value .* overflows float32/);
  });
});
