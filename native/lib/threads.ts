import { binding } from './binding';

/** Threads used by Faiss and the coreset kernels (OpenMP), process-wide. */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`threads must be a positive integer, got ${n}`);
  binding().setNumThreads(n);
}

export function getNumThreads(): number {
  return binding().getNumThreads();
}
