// The `random` coreset: a seeded uniform subsample (the reference's weaker baseline; quick for very large banks).
import { rng } from '../random';

export function randomSubset(rows: number, count: number, seed: number): Uint32Array {
  const n = Math.min(rows, Math.max(1, count));
  const rand = rng(seed);
  // Partial Fisher-Yates over a virtual identity permutation; the Map keeps memory proportional to the picks.
  const swapped = new Map<number, number>();
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(rand() * (rows - i));
    const vj = swapped.get(j) ?? j;
    const vi = swapped.get(i) ?? i;
    swapped.set(j, vi);
    out[i] = vj;
  }
  return out.sort();
}
