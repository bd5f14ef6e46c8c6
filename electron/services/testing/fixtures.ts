// Test fixtures from the real data set in ../shared (read-only, beside the checkout; CI has it too). Images are copied
// into temp folders at test time, never into the repository.
import { copyFile, mkdir, mkdtemp, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isImageFileName } from '../../../shared/images';
import { sharedDir as engineSharedDir } from '../../engine/paths';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The engine's ../shared lookup (PATCHLINE_SHARED or beside the checkout), required to hold the data set. */
export function sharedDir(): string {
  const dir = engineSharedDir();
  if (!existsSync(path.join(dir, 'datasets', 'magnetic_tile'))) {
    throw new Error(`The shared data set is missing: ${dir}/datasets/magnetic_tile (set PATCHLINE_SHARED).`);
  }
  return dir;
}

export function datasetDir(): string {
  return path.join(sharedDir(), 'datasets', 'magnetic_tile');
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(tmpdir(), `patchline-${prefix}-`));
}

/** The first `n` images of a data-set folder (sorted, so every run uses the same ones). */
export async function datasetImages(sub: string, n: number, offset = 0): Promise<string[]> {
  const dir = path.join(datasetDir(), sub);
  const names = (await readdir(dir)).filter(isImageFileName).sort();
  return names.slice(offset, offset + n).map((f) => path.join(dir, f));
}

export async function copyInto(files: string[], dest: string): Promise<string[]> {
  await mkdir(dest, { recursive: true });
  return Promise.all(
    files.map(async (f) => {
      const to = path.join(dest, path.basename(f));
      await copyFile(f, to);
      return to;
    }),
  );
}

/** A folder of `n` good training images. */
export async function goodFolder(n: number, dest?: string): Promise<string> {
  const dir = dest ?? path.join(await tempDir('good'), 'good');
  await copyInto(await datasetImages('train/good', n), dir);
  return dir;
}

/** A small labelled folder in MVTec test layout: test/good and one defect class. */
export async function labelledFolder(good: number, defect: number, defectClass = 'blowhole'): Promise<string> {
  const root = await tempDir('labelled');
  await copyInto(await datasetImages('test/good', good), path.join(root, 'test', 'good'));
  await copyInto(await datasetImages(`test/${defectClass}`, defect), path.join(root, 'test', defectClass));
  return root;
}

export const fakeEngineModule = new URL('./fake-engine.ts', import.meta.url).href;
