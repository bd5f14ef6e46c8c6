// The exact vectors behind an approximate index, for Scorer's refinement of the top patches: none extra where the index
// refines in its own one call (searchImage against its RFlat stage, or the bank passed in place), else a Flat copy of
// the bank that Scorer.refine re-searches from JS.
import type { EngineBackends } from './backends';
import type { KnnIndex } from './knn';

/** Above this, a second copy of the bank costs more memory than an exact image score is worth; refinement is off. */
export const EXACT_REFINE_MAX_BYTES = 512 * 2 ** 20;

export function isExactFactory(factory: string): boolean {
  return /^(IDMap2?,)?Flat$/i.test(factory.trim());
}

/** Whether `index` searches and refines an image in one call (Scorer then needs no Flat copy of the bank). */
export function refinesInOneCall(index: KnnIndex): boolean {
  return typeof index.searchImage === 'function';
}

/**
 * The bank for a one-call index that keeps no exact vectors of its own (IVF without RFlat, HNSW): searchImage reads
 * it in place. Undefined where the index has its own, refinement is off, or the bank is over the refinement cap.
 */
export function oneCallVectors(index: KnnIndex, bank: (() => Float32Array) | undefined, exactTop: number, bankBytes: number): (() => Float32Array) | undefined {
  if (!refinesInOneCall(index) || index.exactSource !== null || exactTop <= 0 || bankBytes > EXACT_REFINE_MAX_BYTES) return undefined;
  return bank;
}

/**
 * A Flat index over `bank` when `factory` is approximate, refinement is on and `approximate` (when given) cannot refine in
 * one call; undefined otherwise.
 */
export async function exactIndexFor(backends: EngineBackends, factory: string, dim: number, bank: () => Float32Array, exactTop: number, approximate?: KnnIndex): Promise<KnnIndex | undefined> {
  if (exactTop <= 0 || isExactFactory(factory) || (approximate && refinesInOneCall(approximate))) return undefined;
  const vectors = bank();
  if (vectors.byteLength > EXACT_REFINE_MAX_BYTES) return undefined;
  const index = await backends.index.create(dim, 'Flat');
  await index.add(vectors);
  return index;
}
