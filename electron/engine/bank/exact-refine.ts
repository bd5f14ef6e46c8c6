// The exact index behind an approximate one: a Flat copy of the bank that Scorer.refine re-searches the top patches in.
import type { EngineBackends } from './backends';
import type { KnnIndex } from './knn';

/** Above this, a second copy of the bank costs more memory than an exact image score is worth; refinement is off. */
export const EXACT_REFINE_MAX_BYTES = 512 * 2 ** 20;

export function isExactFactory(factory: string): boolean {
  return /^(IDMap2?,)?Flat$/i.test(factory.trim());
}

/** A Flat index over `bank` when `factory` is approximate and refinement is on; undefined otherwise. */
export async function exactIndexFor(backends: EngineBackends, factory: string, dim: number, bank: () => Float32Array, exactTop: number): Promise<KnnIndex | undefined> {
  if (exactTop <= 0 || isExactFactory(factory)) return undefined;
  const vectors = bank();
  if (vectors.byteLength > EXACT_REFINE_MAX_BYTES) return undefined;
  const index = await backends.index.create(dim, 'Flat');
  await index.add(vectors);
  return index;
}
