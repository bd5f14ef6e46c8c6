// Faiss index_factory strings for the index kinds PatchLine builds, and what a factory string implies. Which kind a
// bank gets, with how many lists and probes, is the engine's policy (electron/engine/bank/index-rule.ts); this file
// only spells the strings, so the policy never concatenates Faiss syntax itself.

/** Exact search: every bank vector, float32. */
export const FLAT_FACTORY = 'Flat';

export interface IvfSpec {
  /** Inverted lists (k-means centroids of the coarse quantizer). */
  nlist: number;
  /** Codes stored in the lists: 8-bit scalar codes, or product-quantizer codes of `pq` bytes. */
  codes: 'SQ8' | { pq: number };
  /** A PCA projection to this many dimensions before the lists. */
  pca?: number;
  /** An OPQ rotation for `opq` sub-quantizers before the lists. */
  opq?: number;
  /** Exact re-ranking of the candidates on the full float32 vectors (kFactor candidates per result). */
  refine?: boolean;
}

function positiveInt(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${what} must be a positive integer, got ${v}`);
  return v;
}

/** e.g. `IVF1024,SQ8,RFlat`, `PCA128,IVF512,SQ8,RFlat`, `OPQ64,IVF2048,PQ64`. */
export function ivfFactory(s: IvfSpec): string {
  const parts: string[] = [];
  if (s.pca !== undefined) parts.push(`PCA${positiveInt(s.pca, 'pca')}`);
  if (s.opq !== undefined) parts.push(`OPQ${positiveInt(s.opq, 'opq')}`);
  parts.push(`IVF${positiveInt(s.nlist, 'nlist')}`);
  parts.push(s.codes === 'SQ8' ? 'SQ8' : `PQ${positiveInt(s.codes.pq, 'pq')}`);
  if (s.refine) parts.push('RFlat');
  return parts.join(',');
}

/** Whether an index of this factory must be trained before vectors are added. */
export function needsTraining(factory: string): boolean {
  return /IVF|PQ|SQ|LSH|PCA|OPQ/i.test(factory);
}
