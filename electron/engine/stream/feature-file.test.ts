// Feature files: .npy and raw float32 read in chunks, exactly; every bad file refused with its name and the reason.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../testing/fixtures';
import { npyBytes } from '../testing/npy';
import { openFeatureFile, readFeatureChunks } from './feature-file';

async function readAll(file: string, dim: number | undefined, chunk: number): Promise<{ rows: number; chunks: number; data: number[] }> {
  const f = openFeatureFile(file, dim);
  const data: number[] = [];
  let chunks = 0;
  for await (const c of readFeatureChunks(f, chunk)) {
    chunks++;
    data.push(...c);
  }
  return { rows: f.rows, chunks, data };
}

describe('feature files', () => {
  const dir = tempDir('pl-features-');
  const x = Float32Array.from({ length: 10 * 4 }, (_, i) => i * 0.5 - 3);

  it('reads a .npy and a raw float32 file in chunks, value for value', async () => {
    writeFileSync(path.join(dir, 'a.npy'), npyBytes(x, 10, 4));
    writeFileSync(path.join(dir, 'a.f32'), Buffer.from(x.buffer));
    const npy = await readAll(path.join(dir, 'a.npy'), undefined, 3);
    expect(npy).toMatchObject({ rows: 10, chunks: 4 });
    expect(npy.data).toEqual(Array.from(x));
    const raw = await readAll(path.join(dir, 'a.f32'), 4, 4);
    expect(raw).toMatchObject({ rows: 10, chunks: 3 });
    expect(raw.data).toEqual(Array.from(x));
  });

  it('refuses bad files by name and reason', async () => {
    const at = (name: string, bytes: Buffer) => {
      writeFileSync(path.join(dir, name), bytes);
      return path.join(dir, name);
    };
    expect(() => openFeatureFile(path.join(dir, 'missing.npy'))).toThrow(/missing\.npy: cannot be read \(ENOENT\)/);
    expect(() => openFeatureFile(at('f64.npy', npyBytes(x, 10, 4, '<f8')))).toThrow(/f64\.npy: holds <f8, not little-endian float32/);
    expect(() => openFeatureFile(at('fortran.npy', npyBytes(x, 10, 4, '<f4', true)))).toThrow(/fortran\.npy: is in Fortran order/);
    expect(() => openFeatureFile(at('short.npy', npyBytes(x, 10, 4).subarray(0, 140)))).toThrow(/short\.npy: is truncated/);
    expect(() => openFeatureFile(at('head.npy', npyBytes(x, 10, 4).subarray(0, 60)))).toThrow(/head\.npy: truncated \.npy header/);
    expect(() => openFeatureFile(at('bad.npy', Buffer.from('hello world, not numpy')))).toThrow(/bad\.npy: not a NumPy \.npy file/);
    expect(() => openFeatureFile(path.join(dir, 'a.npy'), 8)).toThrow(/a\.npy: holds 4-d rows, not 8-d/);
    expect(() => openFeatureFile(path.join(dir, 'a.f32'))).toThrow(/a\.f32: is a raw float32 file: give its dimension/);
    expect(() => openFeatureFile(path.join(dir, 'a.f32'), 3)).toThrow(/a\.f32: holds 160 bytes, not a whole number of 3-d float32 rows/);
    const nan = Float32Array.from(x);
    nan[4 * 7 + 2] = NaN;
    await expect(readAll(at('nan.f32', Buffer.from(nan.buffer)), 4, 4)).rejects.toThrow(/nan\.f32: row 7, column 2 is NaN/);
  });
});
