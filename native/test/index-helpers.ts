// Shared by the index tests: seeded clustered data and recall against an exact answer.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PatchFeatureModel } from '../../bench/lib/patch-features';

export function clustered(dim: number, bank: number, queries: number, seed = 1): { bank: Float32Array; queries: Float32Array } {
  const model = new PatchFeatureModel(dim, { modes: 256, seed });
  return { bank: model.sample(bank, seed * 100 + 1), queries: model.sample(queries, seed * 100 + 2) };
}

/** Fraction of queries whose first label equals the reference's first label. */
export function recallAt1(labels: BigInt64Array, reference: ArrayLike<number | bigint>, k: number, refK = k): number {
  const n = labels.length / k;
  let hits = 0;
  for (let i = 0; i < n; i++) if (BigInt(reference[i * refK]) === labels[i * k]) hits++;
  return hits / n;
}

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'patchline-index-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
